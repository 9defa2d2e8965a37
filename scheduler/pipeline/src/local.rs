//! One bulletin, end to end on this machine: report → storyboard → segments rendered by local
//! workers → stitched MP4 → object store, with a manifest.
//!
//! The segment plan and the worker loop are the same ones the distributed farm uses; here the
//! "queue" is an atomic counter over the plan and the workers are threads sharing one GPU device.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use quakecast_audio::mix_narration_with;
use quakecast_audio::tts::tts_from_env;
use quakecast_facts::{parse_report, Assets, Event};
use quakecast_renderer::{Font, GpuContext};

use crate::gpu::GpuSegments;
use quakecast_scenes::Storyboard;

pub use quakecast_core::bulletin::{fit_storyboard, scene_times};
use quakecast_core::bulletin::{plan_bulletin, plan_timeline, spoken_script, Timeline};
pub use quakecast_core::config::RenderRequest;
use quakecast_core::render::RenderEnvSpec;

use quakecast_core::error::{Error, Result};
use quakecast_core::manifest::{
    AudioSummary, Manifest, ManifestParts, RendererInfo, SegmentRecord, Timings,
};
use quakecast_core::media;
use quakecast_core::plan::{plan_segments, Segment};
use quakecast_core::store::{sha256_file, sha256_hex, BulletinKeys, ObjectStore, StoredObject};

/// Long-lived things a renderer process holds: the GPU, the font, the decoded map.
#[derive(Clone)]
pub struct RenderEnv {
    pub gpu: Arc<GpuContext>,
    pub font: Arc<Font>,
    pub assets: Arc<Assets>,
}

impl RenderEnv {
    /// Decode the map data, load the font and open the adapter `spec` allows (logged).
    pub fn open(spec: &RenderEnvSpec) -> Result<Self> {
        let assets = quakecast_core::assets::load_assets(&spec.data)?;
        let GpuSegments { gpu, font } = GpuSegments::open(spec)?;
        Ok(Self {
            gpu,
            font,
            assets: Arc::new(assets),
        })
    }
}

/// Progress of a bulletin, reported as work happens.
#[derive(Clone, Debug, PartialEq)]
pub enum Progress {
    /// Narration spoken and mixed: scene lengths now follow the speech.
    AudioReady {
        secs: f64,
        voice: String,
    },
    /// The timeline is fixed and the frames start; `speaking`: the speech is being made
    /// beside them (an [`Progress::AudioReady`] follows).
    Planned {
        segments: u32,
        frames: u32,
        speaking: bool,
    },
    Frames {
        done: u32,
        total: u32,
    },
    SegmentDone {
        index: u32,
        secs: f64,
    },
    Stitched,
    Stored {
        key: String,
    },
}

/// The result: where the bulletin is and what the manifest says.
#[derive(Clone, Debug)]
pub struct RenderOutcome {
    pub event: Event,
    /// The storyboard as rendered (scene lengths from the speech, subtitles burned in).
    pub storyboard: Storyboard,
    pub video: StoredObject,
    /// SRT and WebVTT subtitles beside the video (empty without audio).
    pub subtitles: Vec<StoredObject>,
    pub manifest: StoredObject,
    pub manifest_doc: Manifest,
}

/// Parse and validate a report (nothing is rendered or written when this fails).
pub fn validate(report: &[u8]) -> Result<Event> {
    Ok(parse_report(report)?)
}

/// Render `report` into `store`. `work_dir` holds segments while they are joined; it is removed
/// afterwards. On any error nothing is written to the store.
///
/// The speech is spoken while the frames render: the voice measures each cue from its
/// acoustic model's predicted durations ([`plan_timeline`]), which fixes the scene lengths and
/// subtitle times, and the vocoder and the mix run on their own thread beside the segment
/// workers. Should the spoken speech not land where the subtitles were placed (a fallback
/// voice answered), the bulletin is made again the sequential way: speech first, then frames.
pub fn render_bulletin(
    env: &RenderEnv,
    report: &[u8],
    req: &RenderRequest,
    store: &dyn ObjectStore,
    work_dir: &Path,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<RenderOutcome> {
    match render_bulletin_as(env, report, req, store, work_dir, progress, true)? {
        Some(done) => Ok(done),
        None => {
            tracing::warn!(
                "the speech is not where the measured subtitles were placed (another voice \
                 answered?); rendering again with the speech made first"
            );
            render_bulletin_as(env, report, req, store, work_dir, progress, false)?.ok_or_else(
                || Error::Tool {
                    tool: "audio",
                    message: "the mixed speech is not where the subtitles were placed".into(),
                },
            )
        }
    }
}

/// [`render_bulletin`], with the speech made beside the frames (`overlap`) or before them.
/// `None`: overlapped, the speech did not match the subtitles (nothing was stored).
fn render_bulletin_as(
    env: &RenderEnv,
    report: &[u8],
    req: &RenderRequest,
    store: &dyn ObjectStore,
    work_dir: &Path,
    progress: &(dyn Fn(Progress) + Sync),
    overlap: bool,
) -> Result<Option<RenderOutcome>> {
    let t0 = Instant::now();
    let event = validate(report)?;
    std::fs::create_dir_all(work_dir).map_err(|e| Error::io(work_dir, e))?;
    let work = work_dir_for(work_dir, &event)?;

    // The speech's measured lengths set the scene lengths, and the mix's speech times are the
    // subtitles burned into the frames.
    let tts = req.audio.then(tts_from_env);
    let plan_with = if overlap {
        plan_timeline
    } else {
        plan_bulletin
    };
    let Timeline {
        storyboard,
        narration,
        fit,
        music,
    } = plan_with(
        &event,
        &env.assets,
        &req.content,
        req.settings,
        tts.as_deref(),
    )?;
    let storyboard_secs = t0.elapsed().as_secs_f64();
    // Speak what the timeline kept (unless the plan already did) and mix it under the music.
    let make_audio = || -> Result<(Option<quakecast_audio::AudioReport>, f64)> {
        let t = Instant::now();
        let Some(tts) = tts.as_deref() else {
            return Ok((None, 0.0));
        };
        let spoken;
        let narration = match &narration {
            Some(n) => n,
            None => {
                spoken = quakecast_audio::synthesize_script(&spoken_script(&storyboard), tts)?;
                &spoken
            }
        };
        let report = mix_narration_with(
            &event,
            narration,
            &scene_times(&storyboard),
            storyboard.duration_secs(),
            &work.path().join("audio"),
            music.as_deref(),
        )?;
        if report.segments == storyboard.subtitles {
            progress(Progress::AudioReady {
                secs: report.duration_secs,
                voice: report.voice.clone(),
            });
        }
        Ok((Some(report), t.elapsed().as_secs_f64()))
    };
    let fps = req.settings.fps;
    let plan = plan_segments(storyboard.total_frames, req.segments, fps, fps);
    let render = || -> Result<(Vec<SegmentRecord>, f64)> {
        progress(Progress::Planned {
            segments: plan.len() as u32,
            frames: storyboard.total_frames,
            speaking: overlap && tts.is_some(),
        });
        let t_render = Instant::now();
        let records = render_segments(env, &storyboard, &plan, req, work.path(), progress)?;
        Ok((records, t_render.elapsed().as_secs_f64()))
    };
    let ((audio, audio_secs), (records, render_wall_secs)) = if overlap {
        std::thread::scope(|s| {
            let audio = std::thread::Builder::new()
                .name("speech".into())
                .spawn_scoped(s, make_audio)
                .map_err(|e| Error::Tool {
                    tool: "audio",
                    message: format!("cannot start the speech thread: {e}"),
                })?;
            let frames = render();
            let audio = audio.join().unwrap_or_else(|_| {
                Err(Error::Tool {
                    tool: "audio",
                    message: "the speech thread panicked".into(),
                })
            });
            Ok::<_, Error>((audio?, frames?))
        })?
    } else {
        let audio = make_audio()?;
        (audio, render()?)
    };
    if audio
        .as_ref()
        .is_some_and(|a| a.segments != storyboard.subtitles)
    {
        if overlap {
            return Ok(None);
        }
        return Err(Error::Tool {
            tool: "audio",
            message: "the mixed speech is not where the subtitles were placed".into(),
        });
    }

    let t_stitch = Instant::now();
    let seg_paths: Vec<PathBuf> = plan.iter().map(|s| segment_path(work.path(), s)).collect();
    let video_path = work.path().join("bulletin.mp4");
    media::stitch(
        &seg_paths,
        audio.as_ref().map(|a| a.audio.as_path()),
        &video_path,
    )?;
    let probe = media::probe(&video_path)?;
    if probe.frames != storyboard.total_frames {
        return Err(Error::Tool {
            tool: "stitch",
            message: format!(
                "stitched video has {} frames, storyboard has {}",
                probe.frames, storyboard.total_frames
            ),
        });
    }
    if let (Some(a), Some(secs)) = (&audio, probe.audio_duration) {
        // AAC works in 1024-sample frames; anything beyond one frame of difference is a bug.
        if (secs - a.duration_secs).abs() > 1024.0 / f64::from(a.sample_rate) + 1e-3 {
            return Err(Error::Tool {
                tool: "stitch",
                message: format!(
                    "audio track lasts {secs:.3} s, the mix {:.3} s",
                    a.duration_secs
                ),
            });
        }
    }
    let stitch_secs = t_stitch.elapsed().as_secs_f64();
    progress(Progress::Stitched);

    let t_store = Instant::now();
    let keys = BulletinKeys::new(&event, req.settings.width, req.settings.height);
    let (video_bytes, video_sha) = sha256_file(&video_path)?;
    let adapter = env.gpu.summary().clone();
    let video = store.put_file(&keys.video(), &video_path, "video/mp4")?;
    progress(Progress::Stored {
        key: video.key.clone(),
    });
    let mut outputs = vec![video.clone()];
    let mut subtitles = Vec::new();
    if let Some(a) = &audio {
        subtitles.push(store.put_file(
            &keys.sidecar("subtitles.srt"),
            &a.srt,
            "application/x-subrip",
        )?);
        subtitles.push(store.put_file(&keys.sidecar("subtitles.vtt"), &a.vtt, "text/vtt")?);
        outputs.extend(subtitles.iter().cloned());
    }
    // The covers for image-and-text channels, beside the video (docs/bulletin-facts.md).
    for (shape, png) in render_posters(env, &storyboard)? {
        outputs.push(store.put_bytes(&keys.sidecar(shape.file_name()), &png, "image/png")?);
    }
    let mut manifest = Manifest::build(ManifestParts {
        report,
        storyboard: &storyboard,
        settings: req.settings,
        preset: req.encode.preset.clone(),
        crf: req.encode.crf,
        encoder_note: "preset chosen from the encode-floor bench; see README",
        segments: records,
        probe: &probe,
        video_sha256: video_sha,
        video_bytes,
        audio: audio.as_ref().map(AudioSummary::from),
        renderer: RendererInfo {
            adapter: adapter.name.clone(),
            adapter_backend: adapter.backend.clone(),
            adapter_device_type: adapter.device_type.clone(),
            font: env.font.path().display().to_string(),
        },
        timings: Timings {
            storyboard_secs,
            render_wall_secs,
            audio_secs,
            stitch_secs,
            store_secs: 0.0,
            total_secs: 0.0,
        },
        fit: Some(fit),
        outputs,
    });
    let docs = manifest.store(store, &keys, &storyboard, |t| {
        t.store_secs = t_store.elapsed().as_secs_f64();
        t.total_secs = t0.elapsed().as_secs_f64();
    })?;
    let manifest_obj = docs.manifest;
    Ok(Some(RenderOutcome {
        event,
        storyboard,
        video,
        subtitles,
        manifest: manifest_obj,
        manifest_doc: manifest,
    }))
}

fn segment_path(dir: &Path, s: &Segment) -> PathBuf {
    dir.join(format!("seg{:04}.mp4", s.index))
}

/// Render every segment of `plan` into `dir` with `req.workers` threads pulling from a shared
/// cursor (the local stand-in for the work queue).
pub fn render_segments(
    env: &RenderEnv,
    storyboard: &Storyboard,
    plan: &[Segment],
    req: &RenderRequest,
    dir: &Path,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Vec<SegmentRecord>> {
    let next = AtomicU32::new(0);
    let done_frames = AtomicU32::new(0);
    let total = storyboard.total_frames;
    let records: Mutex<Vec<SegmentRecord>> = Mutex::new(Vec::new());
    let first_error: Mutex<Option<Error>> = Mutex::new(None);
    let workers = req.workers.clamp(1, plan.len().max(1) as u32);
    std::thread::scope(|scope| {
        for worker in 0..workers {
            let (next, done_frames, records, first_error) =
                (&next, &done_frames, &records, &first_error);
            scope.spawn(move || loop {
                if first_error.lock().map(|e| e.is_some()).unwrap_or(true) {
                    return;
                }
                let i = next.fetch_add(1, Ordering::SeqCst) as usize;
                let Some(seg) = plan.get(i) else { return };
                let out = segment_path(dir, seg);
                let t = Instant::now();
                let res = quakecast_renderer::render_segment(
                    &env.gpu,
                    &env.font,
                    storyboard,
                    &env.assets,
                    seg.frames(),
                    &req.encode,
                    &out,
                    |_frame| {
                        let d = done_frames.fetch_add(1, Ordering::Relaxed) + 1;
                        if d % 30 == 0 || d == total {
                            progress(Progress::Frames { done: d, total });
                        }
                    },
                )
                .map_err(crate::gpu::render_error)
                .and_then(|report| {
                    let (bytes, sha256) = sha256_file(&out)?;
                    Ok(SegmentRecord {
                        segment: seg.clone(),
                        worker,
                        render_secs: report.render_secs,
                        encode_wait_secs: report.encode_wait_secs,
                        wall_secs: t.elapsed().as_secs_f64(),
                        bytes,
                        sha256,
                    })
                });
                match res {
                    Ok(rec) => {
                        progress(Progress::SegmentDone {
                            index: seg.index,
                            secs: rec.wall_secs,
                        });
                        if let Ok(mut r) = records.lock() {
                            r.push(rec);
                        }
                    }
                    Err(e) => {
                        if let Ok(mut slot) = first_error.lock() {
                            slot.get_or_insert(e);
                        }
                        return;
                    }
                }
            });
        }
    });
    if let Some(e) = first_error.into_inner().ok().flatten() {
        return Err(e);
    }
    let mut records = records.into_inner().unwrap_or_default();
    records.sort_by_key(|r| r.segment.index);
    Ok(records)
}

/// A per-render scratch directory (removed when dropped, on success and on error), named after
/// the event so a leftover one after a crash says whose it was.
fn work_dir_for(parent: &Path, event: &Event) -> Result<tempfile::TempDir> {
    let stamp = sha256_hex(format!("{}-{}", event.event_id, event.revision).as_bytes());
    std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    tempfile::Builder::new()
        .prefix(&format!(".work-{}-", &stamp[..12]))
        .tempdir_in(parent)
        .map_err(|e| Error::io(parent, e))
}

/// The bulletin's covers ([`PosterShape`]: 9:16 and 1:1) at the video's width, as PNG.
pub fn render_posters(
    env: &RenderEnv,
    storyboard: &Storyboard,
) -> Result<Vec<(quakecast_scenes::scene::PosterShape, Vec<u8>)>> {
    use quakecast_scenes::scene::PosterShape;
    let width = storyboard.settings.width;
    let mut out = Vec::new();
    for shape in [PosterShape::Portrait, PosterShape::Square] {
        let list = storyboard.poster(shape, width, &env.assets, env.font.as_ref());
        let mut r =
            quakecast_renderer::FrameRenderer::new(&env.gpu, list.width, list.height, &env.font)
                .map_err(|e| Error::Tool {
                    tool: "poster",
                    message: e.to_string(),
                })?;
        let rgba = r.render_rgba(&list).map_err(|e| Error::Tool {
            tool: "poster",
            message: e.to_string(),
        })?;
        out.push((shape, encode_png(list.width, list.height, &rgba)?));
    }
    Ok(out)
}

fn encode_png(width: u32, height: u32, rgba: &[u8]) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    let err = |e: png::EncodingError| Error::Tool {
        tool: "poster",
        message: format!("PNG: {e}"),
    };
    {
        let mut enc = png::Encoder::new(&mut bytes, width, height);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().map_err(err)?;
        w.write_image_data(rgba).map_err(err)?;
    }
    Ok(bytes)
}
