//! The farm in process, with no GPU: workers render through a [`SegmentRenderer`] that encodes
//! plain colour frames with ffmpeg, pushes go through a recording [`Pusher`]. Everything else is
//! what `quakecast serve` runs: HTTP intake with Standard Webhooks signatures on loopback, the
//! SQLite queue with leases, the audio task, stitch (ffmpeg concat), the local store, review and
//! the push loop with its retries.
#![allow(clippy::unwrap_used)]

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use quakecast_core::render::{RenderedSegment, SegmentRenderer};
use quakecast_facts::Assets;
use quakecast_farm::config::ServeArgs;
use quakecast_farm::service::{start_serve_with, Running};
use quakecast_farm::webhook::Secret;
use quakecast_farm::{Pusher, RenderEnvLoader};
use quakecast_scenes::{EncodeSettings, Storyboard};
use serde_json::{json, Value};

const SECRET: &str = "whsec_KioqKioqKioqKioqKioqKioqKioqKioqKioqKio=";
const PUSH_SECRET: &str = "whsec_BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";
const TOKEN: &str = "alice-token-0123456789";

/// Encodes `frames.len()` frames of one colour at the requested size, rate and preset: a real
/// H.264 segment the stitch and HLS steps treat like a rendered one. Fails the first render of
/// frames starting at `fail_once_at` with a retryable error.
struct FfmpegSegments {
    calls: Mutex<Vec<Range<u32>>>,
    fail_once_at: Option<u32>,
    failed: AtomicU32,
}

impl FfmpegSegments {
    fn new(fail_once_at: Option<u32>) -> Self {
        Self {
            calls: Mutex::new(Vec::new()),
            fail_once_at,
            failed: AtomicU32::new(0),
        }
    }
}

impl SegmentRenderer for FfmpegSegments {
    fn render_segment(
        &self,
        _storyboard: &Storyboard,
        _assets: &Assets,
        frames: Range<u32>,
        encode: &EncodeSettings,
        out: &Path,
    ) -> quakecast_core::Result<RenderedSegment> {
        self.calls.lock().unwrap().push(frames.clone());
        if Some(frames.start) == self.fail_once_at
            && self.failed.fetch_add(1, Ordering::SeqCst) == 0
        {
            return Err(quakecast_core::Error::Render {
                message: "injected: device lost".into(),
                retryable: true,
            });
        }
        let t = Instant::now();
        let colour = format!(
            "color=c=0x{:06x}:s={}x{}:r={}",
            frames.start * 997 % 0xffffff,
            encode.width,
            encode.height,
            encode.fps
        );
        let status = Command::new("ffmpeg")
            .args([
                "-hide_banner",
                "-loglevel",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
            ])
            .arg(colour)
            .args(["-frames:v", &frames.len().to_string(), "-c:v", "libx264"])
            .args(["-preset", &encode.preset, "-crf", &encode.crf.to_string()])
            .args([
                "-g",
                &encode.keyint.max(1).to_string(),
                "-pix_fmt",
                "yuv420p",
            ])
            .args(["-movflags", "+faststart"])
            .arg(out)
            .status()
            .map_err(|e| quakecast_core::Error::Tool {
                tool: "ffmpeg",
                message: e.to_string(),
            })?;
        assert!(status.success(), "ffmpeg failed for {frames:?}");
        Ok(RenderedSegment {
            render_secs: t.elapsed().as_secs_f64(),
            encode_wait_secs: 0.0,
            adapter: "ffmpeg lavfi (test)".into(),
            adapter_backend: "none".into(),
            adapter_device_type: "Cpu".into(),
            font: "none".into(),
        })
    }
}

/// Records every delivery; refuses the first `refuse` of them with a 503.
struct RecordingPusher {
    attempts: Mutex<Vec<(String, Value)>>,
    refuse: u32,
}

impl Pusher for RecordingPusher {
    fn deliver(&self, key: &str, body: &[u8]) -> Result<u16, (Option<u16>, String)> {
        let mut attempts = self.attempts.lock().unwrap();
        attempts.push((key.to_string(), serde_json::from_slice(body).unwrap()));
        if attempts.len() as u32 <= self.refuse {
            return Err((Some(503), "injected: push service unavailable".into()));
        }
        Ok(200)
    }
}

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    serve: ServeArgs,
}

struct Farm {
    rt: tokio::runtime::Runtime,
    running: Option<Running>,
    base: String,
    store: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Farm {
    fn drop(&mut self) {
        if let Some(r) = self.running.take() {
            self.rt.block_on(r.stop());
        }
    }
}

fn start(renderer: Arc<FfmpegSegments>, pusher: Arc<RecordingPusher>, extra: &[&str]) -> Farm {
    let dir = tempfile::tempdir().unwrap();
    let data = quakecast_core::assets::default_data_dir();
    let p = |s: &Path| s.display().to_string();
    let mut args: Vec<String> = [
        "serve",
        "--database",
        &format!("sqlite://{}", p(&dir.path().join("farm.db"))),
        "--store",
        &p(&dir.path().join("store")),
        "--work-dir",
        &p(&dir.path().join("work")),
        "--data",
        &p(&data),
        "--lease-secs",
        "2",
        "--poll-ms",
        "50",
        "--listen",
        "127.0.0.1:0",
        "--webhook-secret",
        SECRET,
        "--reviewer",
        &format!("alice:{TOKEN}"),
        "--push-url",
        "http://127.0.0.1:9/unused-the-test-pusher-delivers",
        "--push-secret",
        PUSH_SECRET,
        "--push-backoff-ms",
        "50",
        "--size",
        "180x320",
        "--fps",
        "10",
        "--segments",
        "3",
        "--preset",
        "ultrafast",
        "--workers",
        "2",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    let cfg = Cli::try_parse_from(&args)
        .unwrap()
        .serve
        .validate()
        .unwrap();
    let assets = Arc::new(quakecast_core::assets::load_assets(&data).unwrap());
    let env = Arc::new(RenderEnvLoader::with_renderer(renderer, assets));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let running = rt.block_on(start_serve_with(cfg, env, pusher)).unwrap();
    let base = format!("http://{}", running.addr.unwrap());
    Farm {
        rt,
        running: Some(running),
        base,
        store: dir.path().join("store"),
        _dir: dir,
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

impl Farm {
    fn post_report(&self, body: &[u8]) -> (u16, Value) {
        static N: AtomicU32 = AtomicU32::new(0);
        let id = format!("msg_{}", N.fetch_add(1, Ordering::SeqCst));
        let ts = quakecast_core::clock::now().timestamp();
        let sig = Secret::parse(SECRET).unwrap().sign(&id, ts, body);
        let mut resp = agent()
            .post(format!("{}/v1/events", self.base))
            .header("content-type", "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", &ts.to_string())
            .header("webhook-signature", &sig)
            .send(body)
            .unwrap();
        let status = resp.status().as_u16();
        (status, json_of(&mut resp))
    }

    fn job(&self, id: &str) -> Value {
        let mut resp = agent()
            .get(format!("{}/v1/jobs/{id}", self.base))
            .header("authorization", &format!("Bearer {TOKEN}"))
            .call()
            .unwrap();
        json_of(&mut resp)
    }

    fn decide(&self, id: &str, what: &str) -> (u16, Value) {
        let mut resp = agent()
            .post(format!("{}/v1/jobs/{id}/{what}", self.base))
            .header("authorization", &format!("Bearer {TOKEN}"))
            .header("content-type", "application/json")
            .send(json!({"reason": "checked"}).to_string().as_bytes())
            .unwrap();
        let status = resp.status().as_u16();
        (status, json_of(&mut resp))
    }

    fn wait_state(&self, id: &str, state: &str) -> Value {
        let t = Instant::now();
        loop {
            let j = self.job(id);
            if j["state"] == state {
                return j;
            }
            assert!(j["state"] != "failed", "job failed: {j:#}");
            assert!(
                t.elapsed() < Duration::from_secs(120),
                "still {}: {j:#}",
                j["state"]
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn json_of(resp: &mut ureq::http::Response<ureq::Body>) -> Value {
    let text = resp.body_mut().read_to_string().unwrap_or_default();
    serde_json::from_str(&text).unwrap_or(Value::String(text))
}

fn report(event_id: &str) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(quakecast_core::SAMPLE_REPORT).unwrap();
    v["event_id"] = json!(event_id);
    serde_json::to_vec(&v).unwrap()
}

fn ffprobe_frames(path: &Path) -> u64 {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-count_frames", "-select_streams", "v:0"])
        .args(["-show_entries", "stream=nb_read_frames", "-of", "csv=p=0"])
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

#[test]
fn a_report_becomes_a_stitched_reviewed_bulletin_pushed_once_without_a_gpu() {
    let renderer = Arc::new(FfmpegSegments::new(None));
    let pusher = Arc::new(RecordingPusher {
        attempts: Mutex::new(Vec::new()),
        refuse: 0,
    });
    let farm = start(renderer.clone(), pusher.clone(), &["--audio"]);
    let (status, body) = farm.post_report(&report("NOGPU-1"));
    assert_eq!(status, 202, "{body:#}");
    let id = body["job"]["id"].as_str().unwrap().to_string();
    let j = farm.wait_state(&id, "awaiting_review");

    // Every frame rendered exactly once, by segments that tile the storyboard.
    let mut calls = renderer.calls.lock().unwrap().clone();
    calls.sort_by_key(|r| r.start);
    assert_eq!(calls.len(), 3, "{calls:?}");
    assert_eq!(calls[0].start, 0);
    for w in calls.windows(2) {
        assert_eq!(w[0].end, w[1].start);
    }
    // The stitched video in the store has them all, with the narration muxed in.
    let manifest_key = j["outputs"]["manifest"]["key"]
        .as_str()
        .or_else(|| j["result"]["manifest"]["key"].as_str())
        .map(str::to_string);
    let video = find(&farm.store, "bulletin.mp4").expect("stored video");
    assert_eq!(ffprobe_frames(&video), u64::from(calls[2].end));
    let manifest_path = match manifest_key {
        Some(k) => farm.store.join(k),
        None => find(&farm.store, "manifest.json").expect("manifest"),
    };
    let m: Value = serde_json::from_slice(&std::fs::read(manifest_path).unwrap()).unwrap();
    assert_eq!(m["video"]["frames"], json!(calls[2].end));
    assert_eq!(m["tools"]["adapter"], "ffmpeg lavfi (test)");
    assert_eq!(m["segments"].as_array().unwrap().len(), 3);
    let names: Vec<String> = m["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            o["key"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    for want in [
        "bulletin.mp4",
        "audio.m4a",
        "subtitles.srt",
        "bulletin.md",
        "push.json",
    ] {
        assert!(names.iter().any(|n| n == want), "{want} not in {names:?}");
    }
    assert!(
        pusher.attempts.lock().unwrap().is_empty(),
        "pushed before review"
    );

    // Review, then exactly one push with the bulletin's idempotency key and audience.
    let (status, body) = farm.decide(&id, "approve");
    assert_eq!(status, 200, "{body:#}");
    let j = farm.wait_state(&id, "pushed");
    assert_eq!(j["push"]["attempts"], 1, "{j:#}");
    let attempts = pusher.attempts.lock().unwrap().clone();
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].0, format!("push-{id}"));
    assert_eq!(
        attempts[0].1["idempotency_key"],
        json!(format!("push-{id}"))
    );
    assert_eq!(attempts[0].1["approved_by"], "alice");
    assert_eq!(attempts[0].1["audience"]["kind"], "h3_tiers");
    // A second decision is refused.
    let (status, body) = farm.decide(&id, "reject");
    assert_eq!(status, 409, "{body:#}");
}

#[test]
fn a_lost_device_and_a_refusing_push_service_are_retried_to_one_delivery() {
    let renderer = Arc::new(FfmpegSegments::new(Some(0)));
    let pusher = Arc::new(RecordingPusher {
        attempts: Mutex::new(Vec::new()),
        refuse: 2,
    });
    let farm = start(renderer.clone(), pusher.clone(), &[]);
    let (status, body) = farm.post_report(&report("NOGPU-2"));
    assert_eq!(status, 202, "{body:#}");
    let id = body["job"]["id"].as_str().unwrap().to_string();
    farm.wait_state(&id, "awaiting_review");
    // The first segment failed once (retryable) and was rendered again.
    let calls = renderer.calls.lock().unwrap().clone();
    assert_eq!(
        calls.iter().filter(|r| r.start == 0).count(),
        2,
        "{calls:?}"
    );
    assert_eq!(calls.len(), 4, "{calls:?}");
    let (status, _) = farm.decide(&id, "approve");
    assert_eq!(status, 200);
    let j = farm.wait_state(&id, "pushed");
    assert_eq!(j["push"]["attempts"], 3, "{j:#}");
    let attempts = pusher.attempts.lock().unwrap().clone();
    assert_eq!(attempts.len(), 3);
    // Every attempt carries the same key: the push service can drop the repeats.
    assert!(attempts.iter().all(|(k, _)| *k == format!("push-{id}")));
}

fn find(dir: &Path, name: &str) -> Option<PathBuf> {
    for entry in std::fs::read_dir(dir).ok()? {
        let p = entry.ok()?.path();
        if p.is_dir() {
            if let Some(f) = find(&p, name) {
                return Some(f);
            }
        } else if p.file_name().is_some_and(|n| n == name) {
            return Some(p);
        }
    }
    None
}
