//! Render workers: claim a task, do it, put its output under a fixed key, then acknowledge.
//!
//! The same loop runs as tasks inside `serve` and as the separate, stateless `quakecast worker`
//! process. A worker holds no state that matters: everything a task needs is in the database
//! (the job's event and settings) and the object store (finished segments), so a worker can die
//! at any point. Its lease then expires and another worker renders the same frames — a frame is
//! a function of the storyboard and its number only — and writes the same key. An output is
//! always stored *before* its task is acknowledged, so a done task always has its object.
//!
//! While a task runs, a heartbeat renews the lease every third of its length; if renewal fails
//! (the lease was lost) the result is still offered but the fenced completion ignores it.
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use quakecast_facts::Assets;
use serde_json::{json, Value};
use tokio::sync::{watch, Notify};

use super::config::RenderEnvSpec;
use super::db::{now_ms, Db};
use super::error::{FarmError, FarmResult};
use super::hls::{
    audio_segment_name, master_playlist, media_playlist, remux_to_ts, segment_name,
    split_audio_to_ts, PlaylistEntry, AUDIO_PLAYLIST, MASTER_PLAYLIST, VIDEO_PLAYLIST,
};
use super::metrics::Metrics;
use super::model::{JobRow, Lease, TaskKind, TaskRow, TaskState};
use quakecast_core::manifest::{Manifest, ManifestParts, RendererInfo, SegmentRecord, Timings};
use quakecast_core::plan::Segment;
use quakecast_core::store::{sha256_file, sha256_hex, BulletinKeys, ObjectStore, StoredObject};

/// What every worker and the API share: the database, the store, metrics, and a bell rung when
/// new work is queued (local workers wake at once instead of at their next poll).
#[derive(Clone)]
pub struct Farm {
    pub db: Db,
    pub store: Arc<dyn ObjectStore>,
    pub metrics: Arc<Metrics>,
    pub wake: Arc<Notify>,
}

// The GPU side of a worker is behind a trait so that the farm links no GPU code: the
// `quakecast` binary plugs in wgpu + ffmpeg (`quakecast_pipeline::gpu::GpuSegments`); tests plug
// in their own.
pub use quakecast_core::render::{RenderedSegment, RendererFactory, SegmentRenderer};

/// Builds the renderer (through its [`RendererFactory`]) and decodes the map the first time a
/// worker needs them; a stitch-only or push-only process never touches the GPU.
pub struct RenderEnvLoader {
    spec: Option<RenderEnvSpec>,
    factory: Option<RendererFactory>,
    renderer: Mutex<Option<Arc<dyn SegmentRenderer>>>,
    /// The decoded map and gazetteer alone: intake needs them for the facts, not the GPU.
    assets: Mutex<Option<Arc<Assets>>>,
}

impl RenderEnvLoader {
    pub fn new(spec: RenderEnvSpec, factory: RendererFactory) -> Self {
        Self {
            spec: Some(spec),
            factory: Some(factory),
            renderer: Mutex::new(None),
            assets: Mutex::new(None),
        }
    }

    /// A loader that hands out a renderer and map built elsewhere (tests, benches).
    pub fn with_renderer(renderer: Arc<dyn SegmentRenderer>, assets: Arc<Assets>) -> Self {
        Self {
            spec: None,
            factory: None,
            assets: Mutex::new(Some(assets)),
            renderer: Mutex::new(Some(renderer)),
        }
    }

    /// The map and gazetteer, decoded on first use (blocking: call from a blocking thread).
    pub fn assets(&self) -> quakecast_core::Result<Arc<Assets>> {
        let mut slot = self
            .assets
            .lock()
            .map_err(|_| quakecast_core::Error::Tool {
                tool: "map data",
                message: "a previous load panicked".into(),
            })?;
        if let Some(a) = slot.as_ref() {
            return Ok(a.clone());
        }
        let spec = self
            .spec
            .as_ref()
            .ok_or_else(|| quakecast_core::Error::Tool {
                tool: "map data",
                message: "no data directory configured".into(),
            })?;
        let assets = Arc::new(quakecast_core::assets::load_assets(&spec.data)?);
        *slot = Some(assets.clone());
        Ok(assets)
    }

    /// The renderer, built on first use (blocking: call from a blocking thread).
    pub fn get(&self) -> quakecast_core::Result<Arc<dyn SegmentRenderer>> {
        let mut slot = self
            .renderer
            .lock()
            .map_err(|_| quakecast_core::Error::Tool {
                tool: "render environment",
                message: "a previous initialisation panicked".into(),
            })?;
        if let Some(r) = slot.as_ref() {
            return Ok(r.clone());
        }
        let (spec, factory) = match (self.spec.as_ref(), self.factory.as_ref()) {
            (Some(s), Some(f)) => (s, f),
            _ => {
                return Err(quakecast_core::Error::Tool {
                    tool: "render environment",
                    message: "no render environment configured".into(),
                })
            }
        };
        let renderer = factory(spec)?;
        *slot = Some(renderer.clone());
        Ok(renderer)
    }
}

/// One worker loop's settings.
#[derive(Clone, Debug)]
pub struct WorkerOptions {
    /// Lease owner name (unique per loop).
    pub id: String,
    pub kinds: Vec<TaskKind>,
    pub lease_ms: i64,
    /// Longest run of one attempt (ms): then the task fails retryably and its lease is
    /// released, and the heartbeat never extends the lease past it.
    pub deadline_ms: i64,
    pub poll_ms: u64,
    pub work_dir: PathBuf,
    /// How the push audience is computed (at stitch time).
    pub audience: Arc<super::audience::AudienceConfig>,
}

/// Key of segment `index`'s TS copy, next to the bulletin's other objects.
pub fn hls_key(keys: &BulletinKeys, index: u32) -> String {
    keys.sidecar(&format!("hls/{}", segment_name(index)))
}

/// Where audio segment `index` of the HLS stream is stored.
pub fn hls_audio_key(keys: &BulletinKeys, index: u32) -> String {
    keys.sidecar(&format!("hls/{}", audio_segment_name(index)))
}

/// Where the first segment task stores the first audio segment (its head), beside the one the
/// audio task cuts from the whole track (served once that one exists).
pub fn hls_head_key(keys: &BulletinKeys) -> String {
    keys.sidecar(&format!(
        "hls/{}",
        audio_segment_name(0).replace(".ts", "-head.ts")
    ))
}

/// How much sound past the first segment's end its head is mixed and encoded with, so that the
/// AAC frames before the cut are encoded as in the whole track (the encoder looks ahead).
const HEAD_TAIL_SECS: f64 = 0.1;

pub fn keys_for(job: &JobRow) -> BulletinKeys {
    BulletinKeys::new(&job.event, job.settings.width, job.settings.height)
}

/// Claim and run render tasks until `shutdown` turns true.
pub async fn run_worker(
    farm: Farm,
    env: Arc<RenderEnvLoader>,
    opts: WorkerOptions,
    mut shutdown: watch::Receiver<bool>,
) {
    tracing::info!(worker = %opts.id, kinds = ?opts.kinds, "worker started");
    loop {
        if *shutdown.borrow() {
            break;
        }
        let claimed = farm
            .db
            .claim(&opts.id, &opts.kinds, opts.lease_ms, now_ms())
            .await;
        match claimed {
            Ok(Some(lease)) => {
                run_one(&farm, &env, &opts, lease).await;
                continue;
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(worker = %opts.id, error = %e, "claim failed"),
        }
        tokio::select! {
            _ = farm.wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_millis(opts.poll_ms)) => {}
            _ = shutdown.changed() => {}
        }
    }
    tracing::info!(worker = %opts.id, "worker stopped");
}

/// Run one leased task with a heartbeat, then complete or fail it.
async fn run_one(farm: &Farm, env: &Arc<RenderEnvLoader>, opts: &WorkerOptions, mut lease: Lease) {
    let t0 = Instant::now();
    tracing::info!(worker = %opts.id, task = %lease.task_id, attempt = lease.attempts, "claimed");
    let job = match farm.db.job(&lease.job_id).await {
        Ok(Some(job)) => job,
        Ok(None) => {
            let _ = farm
                .db
                .fail(&lease, "job row missing", false, 0, now_ms())
                .await;
            return;
        }
        Err(e) => {
            tracing::warn!(task = %lease.task_id, error = %e, "reading job failed");
            return; // the lease expires and the task is retried
        }
    };
    // The stitch joins the segments; the audio task cuts the sound at their starts.
    let tasks = if matches!(lease.kind, TaskKind::Stitch | TaskKind::Audio) {
        match farm.db.tasks(&lease.job_id).await {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(task = %lease.task_id, error = %e, "reading tasks failed");
                return;
            }
        }
    } else {
        Vec::new()
    };
    let work = {
        let (store, env, lease, opts) =
            (farm.store.clone(), env.clone(), lease.clone(), opts.clone());
        tokio::task::spawn_blocking(move || run_task(&*store, &env, &job, &tasks, &lease, &opts))
    };
    tokio::pin!(work);
    let beat = Duration::from_millis((opts.lease_ms / 3).max(100) as u64);
    let deadline_at = now_ms().saturating_add(opts.deadline_ms);
    let deadline = tokio::time::sleep(Duration::from_millis(opts.deadline_ms.max(0) as u64));
    tokio::pin!(deadline);
    let mut lost = false;
    let outcome = loop {
        tokio::select! {
            res = &mut work => break res,
            _ = &mut deadline => {
                // The blocking work cannot be interrupted; it is abandoned (its scratch
                // directory goes when it returns) and whatever it stores later is refused by
                // the fenced completion, since the lease is given up here.
                let msg = format!(
                    "task deadline of {} s exceeded (--task-deadline-secs)",
                    opts.deadline_ms as f64 / 1000.0
                );
                farm.metrics.inc(
                    "quakecast_tasks_total",
                    &[("kind", lease.kind.as_str()), ("outcome", "deadline")],
                );
                tracing::warn!(task = %lease.task_id, %msg);
                if let Err(e) = farm.db.fail(&lease, &msg, true, 1000, now_ms()).await {
                    tracing::warn!(task = %lease.task_id, error = %e, "recording the deadline failed");
                }
                return;
            }
            _ = tokio::time::sleep(beat) => {
                // Never renew past the deadline: a worker stuck here loses the lease then.
                let ttl = opts.lease_ms.min(deadline_at.saturating_sub(now_ms())).max(1);
                match farm.db.renew(&mut lease, ttl, now_ms()).await {
                    Ok(true) => {}
                    Ok(false) => {
                        if !lost {
                            tracing::warn!(task = %lease.task_id, "lease lost; the result will be discarded");
                        }
                        lost = true;
                    }
                    Err(e) => tracing::warn!(task = %lease.task_id, error = %e, "lease renewal failed"),
                }
            }
        }
    };
    let kind = lease.kind.as_str();
    let now = now_ms();
    match outcome {
        Ok(Ok(result)) => match farm.db.complete(&lease, &result, now).await {
            Ok(true) => {
                farm.metrics.inc(
                    "quakecast_tasks_total",
                    &[("kind", kind), ("outcome", "done")],
                );
                farm.metrics.observe(
                    "quakecast_stage_seconds",
                    &[("stage", kind)],
                    t0.elapsed().as_secs_f64(),
                );
                tracing::info!(task = %lease.task_id, secs = format!("{:.2}", t0.elapsed().as_secs_f64()), "done");
                farm.wake.notify_waiters();
            }
            Ok(false) => {
                farm.metrics.inc(
                    "quakecast_tasks_total",
                    &[("kind", kind), ("outcome", "fenced")],
                );
                tracing::warn!(task = %lease.task_id, "completion refused: the lease was no longer ours");
            }
            Err(e) => {
                tracing::warn!(task = %lease.task_id, error = %e, "completion failed; the lease will expire")
            }
        },
        Ok(Err(e)) => {
            let retryable = e.is_retryable();
            farm.metrics.inc(
                "quakecast_tasks_total",
                &[("kind", kind), ("outcome", "failed")],
            );
            tracing::warn!(task = %lease.task_id, error = %e, retryable, "task failed");
            let backoff = 1000 * (1i64 << lease.attempts.clamp(0, 6));
            if let Err(e2) = farm
                .db
                .fail(&lease, &e.to_string(), retryable, backoff, now)
                .await
            {
                tracing::warn!(task = %lease.task_id, error = %e2, "recording the failure failed");
            }
        }
        Err(join) => {
            farm.metrics.inc(
                "quakecast_tasks_total",
                &[("kind", kind), ("outcome", "panicked")],
            );
            let msg = format!("worker panicked: {join}");
            tracing::error!(task = %lease.task_id, %msg);
            let _ = farm.db.fail(&lease, &msg, true, 1000, now).await;
        }
    }
}

/// The blocking part of a task.
fn run_task(
    store: &dyn ObjectStore,
    env: &RenderEnvLoader,
    job: &JobRow,
    tasks: &[TaskRow],
    lease: &Lease,
    opts: &WorkerOptions,
) -> FarmResult<Value> {
    let (dir, worker, audience) = (opts.work_dir.as_path(), opts.id.as_str(), &opts.audience);
    std::fs::create_dir_all(dir).map_err(|e| quakecast_core::Error::Io {
        path: dir.display().to_string(),
        source: e,
    })?;
    // A private scratch directory per attempt, removed on every exit path.
    let scratch = scratch_dir(dir, &format!("{}-{}", lease.task_id, lease.token))?;
    match lease.kind {
        TaskKind::Segment => run_segment(store, env, job, lease, scratch.path(), worker),
        TaskKind::Audio => run_audio(store, job, tasks, scratch.path()),
        TaskKind::Stitch => run_stitch(store, job, tasks, scratch.path(), audience),
        TaskKind::Push | TaskKind::Retract => Err(FarmError::Other(
            "push and retract tasks are not render work".into(),
        )),
    }
}

/// A task's scratch directory under the worker's work dir, removed when dropped.
fn scratch_dir(parent: &Path, name: &str) -> FarmResult<tempfile::TempDir> {
    let io = |e: std::io::Error| quakecast_core::Error::Io {
        path: parent.display().to_string(),
        source: e,
    };
    std::fs::create_dir_all(parent).map_err(io)?;
    Ok(tempfile::Builder::new()
        .prefix(&format!("{name}-"))
        .tempdir_in(parent)
        .map_err(io)?)
}

fn run_segment(
    store: &dyn ObjectStore,
    env: &RenderEnvLoader,
    job: &JobRow,
    lease: &Lease,
    dir: &Path,
    worker: &str,
) -> FarmResult<Value> {
    let t = Instant::now();
    let renderer = env.get()?;
    let assets = env.assets()?;
    let settings = &job.settings;
    let storyboard = settings.storyboard(&job.event);
    let (start, end) = (lease.frame_start as u32, lease.frame_end as u32);
    if end > storyboard.total_frames || start >= end {
        return Err(FarmError::Corrupt(format!(
            "segment {} frames {start}..{end} outside the storyboard's 0..{}",
            lease.seg_index, storyboard.total_frames
        )));
    }
    let index = lease.seg_index as u32;
    let mp4 = dir.join(format!("seg{index:04}.mp4"));
    let encode = settings.encode();
    // A segment whose draw lists, encoder settings and renderer are those of one already in the
    // store (an earlier revision of the report) is copied, not rendered again.
    let t_key = Instant::now();
    let content = renderer.content_key(&storyboard, &assets, start..end, &encode);
    let key_secs = t_key.elapsed().as_secs_f64();
    let cached = content.as_deref().map(segment_cache_keys);
    let reused = match &cached {
        Some((video, info)) => reuse_segment(store, video, info, &mp4),
        None => None,
    };
    let was_reused = reused.is_some();
    // The first segment carries the first second of sound: its cues are spoken and mixed beside
    // the frames, so the first HLS segment plays with audio before the audio task is done.
    let upto = f64::from(end) / f64::from(settings.fps);
    let (report, head) = std::thread::scope(|sc| {
        let head = (index == 0 && settings.audio).then(|| {
            std::thread::Builder::new()
                .name("head-audio".into())
                .spawn_scoped(sc, || {
                    head_audio(store, job, &storyboard, upto, &dir.join("head"))
                })
        });
        let report: FarmResult<RenderedSegment> = match reused {
            Some(r) => Ok(r),
            None => renderer
                .render_segment(&storyboard, &assets, start..end, &encode, &mp4)
                .map_err(FarmError::from)
                .inspect(|r| {
                    if let Some((video, info)) = &cached {
                        // Best effort: a failed cache write only costs a later render.
                        let info_json = json!({
                            "adapter": r.adapter, "adapter_backend": r.adapter_backend,
                            "adapter_device_type": r.adapter_device_type, "font": r.font,
                            "render_secs": r.render_secs,
                        });
                        let put = store.put_file(video, &mp4, "video/mp4").and_then(|_| {
                            store.put_bytes(
                                info,
                                info_json.to_string().as_bytes(),
                                "application/json",
                            )
                        });
                        if let Err(e) = put {
                            tracing::warn!(error = %e, "segment cache: not stored");
                        }
                    }
                }),
        };
        let head = head.map(|h| h.map(|h| h.join()));
        (report, head)
    });
    let report = report?;
    let keys = keys_for(job);
    let segment = store.put_file(&keys.segment(index), &mp4, "video/mp4")?;
    let ts = dir.join(segment_name(index));
    remux_to_ts(&mp4, f64::from(start) / f64::from(settings.fps), &ts)?;
    let ts_obj = store.put_file(&hls_key(&keys, index), &ts, "video/mp2t")?;
    // Best effort: without its head the first segment's sound comes with the audio task.
    let head = match head {
        None => None,
        Some(Err(e)) => {
            tracing::warn!(error = %e, "could not start the head audio thread");
            None
        }
        Some(Ok(joined)) => match joined {
            Ok(Ok((ts, secs))) => match store.put_file(&hls_head_key(&keys), &ts, "video/mp2t") {
                Ok(obj) => Some((obj, secs)),
                Err(e) => {
                    tracing::warn!(error = %e, "head audio: not stored");
                    None
                }
            },
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "head audio failed; the audio task makes it");
                None
            }
            Err(_) => {
                tracing::warn!("head audio panicked; the audio task makes it");
                None
            }
        },
    };
    Ok(json!({
        "segment": segment,
        "ts": ts_obj,
        "audio_ts": head.as_ref().map(|h| &h.0),
        "audio_head_secs": head.as_ref().map(|h| h.1["wall_secs"].clone()),
        "audio_head": head.as_ref().map(|h| &h.1),
        "frames": [start, end],
        "render_secs": if was_reused { 0.0 } else { report.render_secs },
        "encode_wait_secs": report.encode_wait_secs,
        "reused": was_reused,
        "content_key": content,
        "content_key_secs": key_secs,
        "wall_secs": t.elapsed().as_secs_f64(),
        "worker": worker,
        "adapter": report.adapter,
        "adapter_backend": report.adapter_backend,
        "adapter_device_type": report.adapter_device_type,
        "font": report.font,
    }))
}

/// Where a segment of content key `key` is cached: the MP4 and a note of what rendered it.
fn segment_cache_keys(key: &str) -> (String, String) {
    (
        format!("cache/segments/{key}.mp4"),
        format!("cache/segments/{key}.json"),
    )
}

/// The cached segment copied to `mp4`, with what rendered it; `None` when it is not cached (or
/// cannot be read: then it is rendered again).
fn reuse_segment(
    store: &dyn ObjectStore,
    video: &str,
    info: &str,
    mp4: &Path,
) -> Option<RenderedSegment> {
    if !store.exists(info).ok()? {
        return None;
    }
    let note: Value = serde_json::from_slice(&store.get_bytes(info).ok()?).ok()?;
    let bytes = store.get_bytes(video).ok()?;
    std::fs::write(mp4, bytes).ok()?;
    let s = |k: &str| note[k].as_str().unwrap_or_default().to_string();
    Some(RenderedSegment {
        render_secs: note["render_secs"].as_f64().unwrap_or(0.0),
        encode_wait_secs: 0.0,
        adapter: s("adapter"),
        adapter_backend: s("adapter_backend"),
        adapter_device_type: s("adapter_device_type"),
        font: s("font"),
    })
}

/// The script the audio speaks: the cues the timeline kept (jobs from before the timeline: the
/// four classic ones).
fn spoken_script(
    job: &JobRow,
    storyboard: &quakecast_scenes::Storyboard,
) -> quakecast_scenes::narration::Script {
    if job.settings.storyboard.is_some() {
        quakecast_core::bulletin::spoken_script(storyboard)
    } else {
        quakecast_scenes::narration::script(&job.event)
    }
}

/// The library's music bed, stored by the intake under its SHA-256, written into `dir`; `None`
/// when the bulletin uses the synthesized music.
fn music_bed_file(
    store: &dyn ObjectStore,
    storyboard: &quakecast_scenes::Storyboard,
    dir: &Path,
) -> FarmResult<Option<PathBuf>> {
    let Some(used) = storyboard.materials.music() else {
        return Ok(None);
    };
    let key = quakecast_core::materials::bed_key(used);
    let bytes = store.get_bytes(&key)?;
    let got = quakecast_core::store::sha256_hex(&bytes);
    if got != used.sha256 {
        return Err(FarmError::Other(format!(
            "music bed {key}: stored bytes hash to {got}, not {}",
            used.sha256
        )));
    }
    let p = dir.join(format!("bed-{}", key.rsplit('/').next().unwrap_or("bed")));
    std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&p, bytes))
        .map_err(|e| FarmError::Other(format!("{}: {e}", p.display())))?;
    Ok(Some(p))
}

fn audio_err(e: quakecast_audio::AudioError) -> FarmError {
    FarmError::Other(format!("audio: {e}"))
}

/// The first `upto` seconds of sound as the first audio segment (`aud0000.ts`), made from the
/// cues that reach into them: the start of the track the audio task makes (the mix has a fixed
/// master gain). Returns the TS file and the seconds it took.
fn head_audio(
    store: &dyn ObjectStore,
    job: &JobRow,
    storyboard: &quakecast_scenes::Storyboard,
    upto: f64,
    dir: &Path,
) -> FarmResult<(PathBuf, Value)> {
    let t = Instant::now();
    std::fs::create_dir_all(dir)
        .map_err(|e| FarmError::Other(format!("{}: {e}", dir.display())))?;
    let script = spoken_script(job, storyboard);
    let tts = quakecast_audio::tts::tts_from_env();
    let scenes = quakecast_core::bulletin::scene_times(storyboard);
    let total = storyboard.duration_secs();
    let mix_upto = (upto + HEAD_TAIL_SECS).min(total);
    let head = quakecast_audio::synthesize_head(&script, tts.as_ref(), &scenes, total, mix_upto)
        .map_err(audio_err)?;
    let speak = t.elapsed().as_secs_f64();
    let bed = music_bed_file(store, storyboard, dir)?;
    let pcm =
        quakecast_audio::mix_head(&job.event, &head, &scenes, total, mix_upto, bed.as_deref())
            .map_err(audio_err)?;
    let mix = t.elapsed().as_secs_f64();
    let m4a = dir.join("head.m4a");
    quakecast_audio::mix::encode_aac_within_peak(&pcm, &m4a).map_err(audio_err)?;
    let encode = t.elapsed().as_secs_f64();
    // A bulletin of one segment: its head is the whole track, uncut.
    let cuts: &[f64] = if upto < total { &[upto] } else { &[] };
    let files = split_audio_to_ts(&m4a, cuts, dir)?;
    let wall = t.elapsed().as_secs_f64();
    let times = json!({
        "cues": head.cues.len(),
        "speak_secs": speak,
        "mix_secs": mix - speak,
        "encode_secs": encode - mix,
        "cut_secs": wall - encode,
        "wall_secs": wall,
    });
    Ok((files[0].clone(), times))
}

fn run_audio(
    store: &dyn ObjectStore,
    job: &JobRow,
    tasks: &[TaskRow],
    dir: &Path,
) -> FarmResult<Value> {
    let t = Instant::now();
    let storyboard = job.settings.storyboard(&job.event);
    let script = spoken_script(job, &storyboard);
    let tts = quakecast_audio::tts::tts_from_env();
    let narration = quakecast_audio::synthesize_script(&script, tts.as_ref()).map_err(audio_err)?;
    let bed = music_bed_file(store, &storyboard, dir)?;
    let report = quakecast_audio::mix_narration_with(
        &job.event,
        &narration,
        &quakecast_core::bulletin::scene_times(&storyboard),
        storyboard.duration_secs(),
        dir,
        bed.as_deref(),
    )
    .map_err(audio_err)?;
    let matches_frames = report.segments == storyboard.subtitles;
    if !matches_frames && job.settings.storyboard.is_some() {
        tracing::warn!(job = %job.id, "the speech differs from the timeline fixed at intake (another voice answered?); the burned-in subtitles follow the timeline, the SRT/WebVTT files the speech");
    }
    let keys = keys_for(job);
    let audio = store.put_file(&keys.sidecar("audio.m4a"), &report.audio, "audio/mp4")?;
    let srt = store.put_file(
        &keys.sidecar("subtitles.srt"),
        &report.srt,
        "application/x-subrip",
    )?;
    let vtt = store.put_file(&keys.sidecar("subtitles.vtt"), &report.vtt, "text/vtt")?;
    // The HLS stream's audio segments, cut at the video segments' starts. The first one replaces
    // the first segment task's head (the same samples, as the head was mixed from the first cues).
    let mut starts: Vec<i64> = tasks
        .iter()
        .filter(|t| t.kind == TaskKind::Segment)
        .map(|t| t.frame_start)
        .collect();
    starts.sort_unstable();
    let fps = f64::from(job.settings.fps.max(1));
    let cuts: Vec<f64> = starts
        .iter()
        .filter(|&&f| f > 0)
        .map(|&f| f as f64 / fps)
        .collect();
    let ts_dir = dir.join("hls");
    let mut hls_audio = Vec::new();
    for (i, f) in split_audio_to_ts(&report.audio, &cuts, &ts_dir)?
        .iter()
        .enumerate()
    {
        hls_audio.push(store.put_file(&hls_audio_key(&keys, i as u32), f, "video/mp2t")?);
    }
    Ok(json!({
        "audio": audio,
        "hls_audio": hls_audio,
        "srt": srt,
        "vtt": vtt,
        "voice": report.voice,
        "integrated_lufs": report.integrated_lufs,
        "true_peak_dbtp": report.true_peak_dbtp,
        "duration_secs": report.duration_secs,
        "cues": report.segments.len(),
        "subtitles_match_speech": matches_frames,
        "wall_secs": t.elapsed().as_secs_f64(),
    }))
}

fn stored(v: &Value, field: &str) -> FarmResult<StoredObject> {
    let o = &v[field];
    let s = |k: &str| o[k].as_str().map(str::to_string);
    Ok(StoredObject {
        key: s("key")
            .ok_or_else(|| FarmError::Corrupt(format!("task result has no {field}.key")))?,
        url: s("url").unwrap_or_default(),
        bytes: o["bytes"].as_u64().unwrap_or(0),
        sha256: s("sha256").unwrap_or_default(),
    })
}

/// A downloaded segment must be the object its task stored: same SHA-256 (and size). Anything
/// else (a later writer of the key, a store that lost or changed it) is refused rather than
/// stitched into a bulletin nobody rendered. Not retryable: the stored object does not heal;
/// the job fails with this message for an operator.
fn verify_segment(obj: &StoredObject, bytes: &[u8], task: &str) -> FarmResult<()> {
    let got = sha256_hex(bytes);
    if obj.sha256.is_empty() || got != obj.sha256 || bytes.len() as u64 != obj.bytes {
        return Err(FarmError::Corrupt(format!(
            "segment {} of task {task} is {} bytes with SHA-256 {got}; the task stored {} bytes \
             with SHA-256 {:?}",
            obj.key,
            bytes.len(),
            obj.bytes,
            obj.sha256
        )));
    }
    Ok(())
}

fn run_stitch(
    store: &dyn ObjectStore,
    job: &JobRow,
    tasks: &[TaskRow],
    dir: &Path,
    audience: &Arc<super::audience::AudienceConfig>,
) -> FarmResult<Value> {
    let t0 = Instant::now();
    let settings = &job.settings;
    let storyboard = settings.storyboard(&job.event);
    let mut segs: Vec<&TaskRow> = tasks
        .iter()
        .filter(|t| t.kind == TaskKind::Segment)
        .collect();
    segs.sort_by_key(|t| t.seg_index);
    if segs.is_empty() || segs.iter().any(|t| t.state != TaskState::Done) {
        return Err(FarmError::Corrupt(format!(
            "stitch of job {} started before all its segments were done",
            job.id
        )));
    }
    let mut paths = Vec::new();
    let mut records = Vec::new();
    let mut owners: Vec<String> = segs
        .iter()
        .filter_map(|t| t.result.as_ref()?["worker"].as_str().map(str::to_string))
        .collect();
    owners.sort();
    owners.dedup();
    for t in &segs {
        let result = t
            .result
            .as_ref()
            .ok_or_else(|| FarmError::Corrupt(format!("segment task {} has no result", t.id)))?;
        let obj = stored(result, "segment")?;
        let bytes = store.get_bytes(&obj.key)?;
        verify_segment(&obj, &bytes, &t.id)?;
        let p = dir.join(format!("seg{:04}.mp4", t.seg_index));
        std::fs::write(&p, &bytes).map_err(|e| quakecast_core::Error::Io {
            path: p.display().to_string(),
            source: e,
        })?;
        paths.push(p);
        let worker = result["worker"].as_str().unwrap_or_default();
        records.push(SegmentRecord {
            segment: Segment {
                index: t.seg_index as u32,
                start: t.frame_start as u32,
                end: t.frame_end as u32,
            },
            worker: owners.iter().position(|o| o == worker).unwrap_or(0) as u32,
            render_secs: result["render_secs"].as_f64().unwrap_or(0.0),
            encode_wait_secs: result["encode_wait_secs"].as_f64().unwrap_or(0.0),
            wall_secs: result["wall_secs"].as_f64().unwrap_or(0.0),
            bytes: bytes.len() as u64,
            sha256: sha256_hex(&bytes),
        });
    }
    let keys = keys_for(job);
    let audio_result = tasks
        .iter()
        .find(|t| t.kind == TaskKind::Audio && t.state == TaskState::Done)
        .and_then(|t| t.result.clone());
    let audio_path = match &audio_result {
        Some(r) => {
            let obj = stored(r, "audio")?;
            let p = dir.join("audio.m4a");
            std::fs::write(&p, store.get_bytes(&obj.key)?).map_err(|e| {
                quakecast_core::Error::Io {
                    path: p.display().to_string(),
                    source: e,
                }
            })?;
            Some(p)
        }
        None => None,
    };
    let video_path = dir.join("bulletin.mp4");
    quakecast_core::media::stitch(&paths, audio_path.as_deref(), &video_path)?;
    let probe = quakecast_core::media::probe(&video_path)?;
    if probe.frames != storyboard.total_frames {
        return Err(FarmError::Scheduler(quakecast_core::Error::Tool {
            tool: "stitch",
            message: format!(
                "stitched video has {} frames, the storyboard {}",
                probe.frames, storyboard.total_frames
            ),
        }));
    }
    let stitch_secs = t0.elapsed().as_secs_f64();
    let t_store = Instant::now();
    let video = store.put_file(&keys.video(), &video_path, "video/mp4")?;
    let (_, video_sha) = sha256_file(&video_path)?;

    // The final playlist, beside the TS segments (the API serves the growing one).
    let entries: Vec<PlaylistEntry> = segs
        .iter()
        .map(|t| PlaylistEntry {
            index: t.seg_index as u32,
            frames: (t.frame_end - t.frame_start) as u32,
            done: true,
        })
        .collect();
    let m3u8 = "application/vnd.apple.mpegurl";
    let playlist = media_playlist(&entries, settings.fps, segment_name);
    store.put_bytes(
        &keys.sidecar(&format!("hls/{VIDEO_PLAYLIST}")),
        playlist.as_bytes(),
        m3u8,
    )?;
    let audio_lang = audio_result.as_ref().and_then(|r| {
        r["hls_audio"].as_array()?;
        Some(quakecast_scenes::narration::lang_for(&storyboard.event, &storyboard.theme).bcp47())
    });
    if audio_lang.is_some() {
        let playlist = media_playlist(&entries, settings.fps, audio_segment_name);
        store.put_bytes(
            &keys.sidecar(&format!("hls/{AUDIO_PLAYLIST}")),
            playlist.as_bytes(),
            m3u8,
        )?;
    }
    let master = master_playlist(settings.width, settings.height, audio_lang, str::to_string);
    let playlist_obj = store.put_bytes(
        &keys.sidecar(&format!("hls/{MASTER_PLAYLIST}")),
        master.as_bytes(),
        m3u8,
    )?;

    let first = segs
        .first()
        .and_then(|t| t.result.clone())
        .unwrap_or_default();
    let s = |k: &str| first[k].as_str().unwrap_or_default().to_string();
    let ms = |a: Option<i64>, b: Option<i64>| match (a, b) {
        (Some(a), Some(b)) => (b - a) as f64 / 1000.0,
        _ => 0.0,
    };
    let mut outputs = vec![video.clone(), playlist_obj.clone()];
    if let Some(r) = &audio_result {
        for f in ["audio", "srt", "vtt"] {
            if let Ok(o) = stored(r, f) {
                outputs.push(o);
            }
        }
    }
    let mut manifest = Manifest::build(ManifestParts {
        report: job.report.as_bytes(),
        storyboard: &storyboard,
        settings: settings.render(),
        preset: settings.preset.clone(),
        crf: settings.crf,
        encoder_note: "segments rendered by farm workers, joined with the concat demuxer (-c copy)",
        segments: records,
        probe: &probe,
        video_sha256: video_sha,
        video_bytes: video.bytes,
        // The farm's audio task records its figures in the job result (see below).
        audio: None,
        renderer: RendererInfo {
            adapter: s("adapter"),
            adapter_backend: s("adapter_backend"),
            adapter_device_type: s("adapter_device_type"),
            font: s("font"),
        },
        timings: Timings {
            storyboard_secs: 0.0,
            render_wall_secs: ms(job.render_started_at, job.rendered_at),
            audio_secs: audio_result
                .as_ref()
                .and_then(|r| r["wall_secs"].as_f64())
                .unwrap_or(0.0),
            stitch_secs,
            store_secs: 0.0,
            total_secs: 0.0,
        },
        fit: None,
        outputs,
    });
    let docs = manifest.store(store, &keys, &storyboard, |t| {
        t.store_secs = t_store.elapsed().as_secs_f64();
        t.total_secs = (now_ms() - job.received_at) as f64 / 1000.0;
    })?;
    let (text_obj, manifest_obj) = (docs.bulletin_text, docs.manifest);
    let t_audience = Instant::now();
    let mut audience = super::audience::build(
        &job.event,
        audience,
        store,
        &keys,
        dir,
        storyboard
            .facts
            .intensity
            .as_ref()
            .and_then(|i| i.long_axis_azimuth_deg),
    )?;
    audience["secs"] = json!(t_audience.elapsed().as_secs_f64());
    Ok(json!({
        "audience": audience,
        "video": video,
        "manifest": manifest_obj,
        "bulletin_text": text_obj,
        "push_copy": manifest.push,
        "playlist": playlist_obj,
        "subtitles": audio_result.as_ref().map(|r| json!({"srt": r["srt"], "vtt": r["vtt"]})),
        "probe": {
            "frames": probe.frames,
            "duration_secs": probe.duration,
            "width": probe.width,
            "height": probe.height,
            "codec": probe.codec,
            "audio": probe.audio.as_ref().map(|a| a.0.clone()),
        },
        "workers": owners,
        "stitch_secs": stitch_secs,
    }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::ops::Range;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use quakecast_scenes::{EncodeSettings, Storyboard};

    use super::*;

    /// A renderer that renders nothing: it only says it was asked.
    struct Counting(AtomicUsize);

    impl SegmentRenderer for Counting {
        fn render_segment(
            &self,
            _storyboard: &Storyboard,
            _assets: &Assets,
            frames: Range<u32>,
            _encode: &EncodeSettings,
            _out: &Path,
        ) -> quakecast_core::Result<RenderedSegment> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(RenderedSegment {
                render_secs: f64::from(frames.len() as u32),
                encode_wait_secs: 0.0,
                adapter: "none".into(),
                adapter_backend: "none".into(),
                adapter_device_type: "Other".into(),
                font: String::new(),
            })
        }
    }

    fn spec() -> RenderEnvSpec {
        RenderEnvSpec {
            data: PathBuf::from("/nonexistent"),
            font: None,
            adapter: quakecast_scenes::AdapterPolicy::default(),
        }
    }

    #[test]
    fn the_factory_runs_once_and_only_when_a_renderer_is_needed() {
        let built = Arc::new(AtomicUsize::new(0));
        let b = built.clone();
        let factory: RendererFactory = Arc::new(move |_spec| {
            b.fetch_add(1, Ordering::SeqCst);
            Ok(Arc::new(Counting(AtomicUsize::new(0))) as Arc<dyn SegmentRenderer>)
        });
        let loader = RenderEnvLoader::new(spec(), factory);
        assert_eq!(
            built.load(Ordering::SeqCst),
            0,
            "nothing built before a task needs it"
        );
        let a = loader.get().unwrap();
        let b = loader.get().unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(built.load(Ordering::SeqCst), 1);
        // The map is separate: a missing data directory fails the map, not the renderer.
        assert!(loader.assets().is_err());
    }

    #[test]
    fn an_injected_renderer_and_map_are_handed_out_as_they_are() {
        let r = Arc::new(Counting(AtomicUsize::new(0)));
        let loader = RenderEnvLoader::with_renderer(r.clone(), Arc::new(Assets::default()));
        let got = loader.get().unwrap();
        let event = quakecast_facts::parse_report(quakecast_core::SAMPLE_REPORT).unwrap();
        let board = Storyboard::new(&event, quakecast_scenes::RenderSettings::default());
        let out = got
            .render_segment(
                &board,
                &loader.assets().unwrap(),
                0..30,
                &EncodeSettings::new(720, 1280, 30),
                Path::new("/dev/null"),
            )
            .unwrap();
        assert_eq!(out.render_secs, 30.0);
        assert_eq!(r.0.load(Ordering::SeqCst), 1);
    }

    /// A renderer that takes `0` to render (and renders nothing).
    struct Sleepy(Duration);

    impl SegmentRenderer for Sleepy {
        fn render_segment(
            &self,
            _storyboard: &Storyboard,
            _assets: &Assets,
            _frames: Range<u32>,
            _encode: &EncodeSettings,
            _out: &Path,
        ) -> quakecast_core::Result<RenderedSegment> {
            std::thread::sleep(self.0);
            Err(quakecast_core::Error::Tool {
                tool: "sleepy",
                message: "rendered nothing".into(),
            })
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_task_past_its_deadline_fails_retryably_and_releases_its_lease() {
        use crate::db::NewJob;
        use crate::model::JobSettings;
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(&format!("sqlite://{}", dir.path().join("q.db").display()))
            .await
            .unwrap();
        let farm = Farm {
            db: db.clone(),
            store: Arc::new(
                quakecast_core::store::LocalDirStore::new(dir.path().join("s")).unwrap(),
            ),
            metrics: Arc::new(Metrics::default()),
            wake: Arc::new(Notify::new()),
        };
        let event = quakecast_facts::parse_report(quakecast_core::SAMPLE_REPORT).unwrap();
        let new = NewJob {
            event,
            format: "cenc".into(),
            report: String::from_utf8(quakecast_core::SAMPLE_REPORT.to_vec()).unwrap(),
            settings: JobSettings::default(),
            auto_approve: false,
            plan: vec![Segment {
                index: 0,
                start: 0,
                end: 30,
            }],
            webhook: None,
        };
        let crate::db::IntakeOutcome::Created { job, .. } =
            db.intake(&new, now_ms()).await.unwrap()
        else {
            panic!("not created");
        };
        // A long lease and a live heartbeat: only the deadline can end this attempt.
        let lease = db
            .claim("w", &[TaskKind::Segment], 60_000, now_ms())
            .await
            .unwrap()
            .unwrap();
        let env = Arc::new(RenderEnvLoader::with_renderer(
            Arc::new(Sleepy(Duration::from_secs(3))),
            Arc::new(Assets::default()),
        ));
        let opts = WorkerOptions {
            id: "w".into(),
            kinds: vec![TaskKind::Segment],
            lease_ms: 60_000,
            deadline_ms: 300,
            poll_ms: 50,
            work_dir: dir.path().join("work"),
            audience: Arc::new(crate::audience::AudienceConfig::default()),
        };
        let t = Instant::now();
        run_one(&farm, &env, &opts, lease).await;
        assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
        let tasks = db.tasks(&job.id).await.unwrap();
        let seg = tasks.iter().find(|t| t.kind == TaskKind::Segment).unwrap();
        assert_eq!(seg.state, TaskState::Pending, "{seg:?}");
        assert_eq!(seg.lease_owner, None, "{seg:?}");
        let err = seg.last_error.clone().unwrap_or_default();
        assert!(err.contains("task deadline of 0.3 s exceeded"), "{err}");
        // Released, not left to expire: another worker takes it after the retry backoff.
        let again = db
            .claim("w2", &[TaskKind::Segment], 60_000, now_ms() + 1_500)
            .await
            .unwrap();
        assert!(again.is_some(), "the task is claimable again");
    }

    #[test]
    fn a_segment_that_differs_from_its_recorded_hash_is_refused() {
        let bytes = b"segment bytes";
        let obj = StoredObject {
            key: "bulletins/x/seg0000.mp4".into(),
            url: String::new(),
            bytes: bytes.len() as u64,
            sha256: sha256_hex(bytes),
        };
        verify_segment(&obj, bytes, "t1").unwrap();
        let e = verify_segment(&obj, b"segment bytez", "t1").unwrap_err();
        assert!(e.to_string().contains("the task stored 13 bytes"), "{e}");
        assert!(!e.is_retryable());
        let unrecorded = StoredObject {
            sha256: String::new(),
            ..obj
        };
        assert!(verify_segment(&unrecorded, bytes, "t1").is_err());
    }

    #[test]
    fn a_loader_without_a_spec_says_so() {
        let loader = RenderEnvLoader {
            spec: None,
            factory: None,
            renderer: Mutex::new(None),
            assets: Mutex::new(None),
        };
        let e = loader
            .get()
            .err()
            .expect("no renderer configured")
            .to_string();
        assert!(e.contains("no render environment configured"), "{e}");
    }
}
