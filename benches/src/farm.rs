//! The farm end to end in one process: a signed webhook → the stitched MP4 in the object store,
//! and → the first HLS segment playable, with N local workers on one shared GPU context.
//!
//! Real components throughout (SQLite, the local-directory store, wgpu, ffmpeg, HTTP on
//! loopback); only the process boundary is gone, so the render environment is built once and
//! not counted.
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use quakecast_farm::config::ServeArgs;
use quakecast_farm::service::start_serve;
use quakecast_farm::webhook::Secret;
use quakecast_farm::worker::RenderEnvLoader;
use quakecast_pipeline::RenderEnv;
use serde_json::Value;

const SECRET: &str = "whsec_KioqKioqKioqKioqKioqKioqKioqKioqKioqKio=";

#[derive(Parser)]
struct Flags {
    #[command(flatten)]
    serve: ServeArgs,
}

/// One measured run.
#[derive(Clone, Debug)]
pub struct FarmRun {
    pub first_hls_secs: f64,
    /// Webhook → the intake's answer (report checked, timeline planned, job stored).
    pub intake_secs: f64,
    /// The first segment task's own wall time (claimed → its TS stored).
    pub first_segment_secs: f64,
    /// The first segment's sound (its head), spoken and mixed beside its frames.
    pub head_audio_secs: f64,
    pub stored_secs: f64,
    pub segments: usize,
}

/// The bench's read-only API token (`--reader`): every read of the API needs one.
const READER_TOKEN: &str = "bench-reader-token-0123456789";

fn get(agent: &ureq::Agent, url: &str) -> (u16, Vec<u8>) {
    let req = agent
        .get(url)
        .header("authorization", &format!("Bearer {READER_TOKEN}"));
    match req.call() {
        Ok(mut r) => (
            r.status().as_u16(),
            r.body_mut()
                .with_config()
                .limit(1 << 30)
                .read_to_vec()
                .unwrap_or_default(),
        ),
        Err(_) => (0, Vec::new()),
    }
}

/// Post the sample once to a fresh `serve` with `workers` local workers and time it.
pub fn run(env: &RenderEnv, size: &str, fps: u32, segments: u32, workers: u32) -> FarmRun {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}", dir.path().join("farm.db").display());
    let store = dir.path().join("store").display().to_string();
    let work = dir.path().join("work").display().to_string();
    let (fps_s, seg_s, w_s) = (fps.to_string(), segments.to_string(), workers.to_string());
    let flags = Flags::parse_from([
        "bench",
        "--listen",
        "127.0.0.1:0",
        "--webhook-secret",
        SECRET,
        "--reader",
        &format!("bench:{READER_TOKEN}"),
        "--database",
        &db,
        "--store",
        &store,
        "--work-dir",
        &work,
        "--size",
        size,
        "--fps",
        &fps_s,
        "--segments",
        &seg_s,
        "--workers",
        &w_s,
        "--poll-ms",
        "20",
        "--preset",
        "veryfast",
        "--audio",
    ]);
    let cfg = flags.serve.validate().expect("config");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let running = rt
        .block_on(start_serve(
            cfg,
            Arc::new(RenderEnvLoader::with_renderer(
                Arc::new(quakecast_pipeline::gpu::GpuSegments {
                    gpu: env.gpu.clone(),
                    font: env.font.clone(),
                }),
                env.assets.clone(),
            )),
        ))
        .expect("serve");
    let base = format!("http://{}", running.addr.expect("addr"));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let body = quakecast_core::SAMPLE_REPORT;
    let secret = Secret::parse(SECRET).expect("secret");
    let ts = quakecast_core::clock::now().timestamp();
    let t0 = Instant::now();
    let mut resp = agent
        .post(format!("{base}/v1/events"))
        .header("content-type", "application/json")
        .header("webhook-id", "msg_bench")
        .header("webhook-timestamp", &ts.to_string())
        .header("webhook-signature", &secret.sign("msg_bench", ts, body))
        .send(body)
        .expect("post");
    let intake_secs = t0.elapsed().as_secs_f64();
    let v: Value =
        serde_json::from_str(&resp.body_mut().read_to_string().expect("body")).expect("json");
    let id = v["job"]["id"].as_str().expect("job id").to_string();
    let mut first_hls = None;
    let stored = loop {
        // Playable: the first video segment and its sound (the audio rendition's first one).
        if first_hls.is_none() {
            let (v, _) = get(&agent, &format!("{base}/v1/jobs/{id}/hls/seg0000.ts"));
            let (a, _) = get(&agent, &format!("{base}/v1/jobs/{id}/hls/aud0000.ts"));
            if v == 200 && a == 200 {
                first_hls = Some(t0.elapsed().as_secs_f64());
            }
        }
        let (_, j) = get(&agent, &format!("{base}/v1/jobs/{id}"));
        let j: Value = serde_json::from_slice(&j).unwrap_or_default();
        match j["state"].as_str() {
            Some("awaiting_review") => break t0.elapsed().as_secs_f64(),
            Some("failed") => panic!("job failed: {}", j["reason"]),
            // Never loop on a refusal (a missing token once made this spin forever).
            None => panic!("no job state in {j}"),
            _ => std::thread::sleep(Duration::from_millis(10)),
        }
    };
    let (_, j) = get(&agent, &format!("{base}/v1/jobs/{id}"));
    let j: Value = serde_json::from_slice(&j).unwrap_or_default();
    rt.block_on(running.stop());
    let first_segment_secs = j["progress"]["segments"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["index"] == 0))
        .and_then(|s| s["wall_secs"].as_f64())
        .unwrap_or(f64::NAN);
    if let Some(h) = j["progress"]["segments"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["index"] == 0))
    {
        println!("first segment's sound: {}", h["audio_head"]);
    }
    let head_audio_secs = j["progress"]["segments"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["index"] == 0))
        .and_then(|s| s["audio_head_secs"].as_f64())
        .unwrap_or(f64::NAN);
    FarmRun {
        first_hls_secs: first_hls.unwrap_or(stored),
        intake_secs,
        first_segment_secs,
        head_audio_secs,
        stored_secs: stored,
        segments: j["progress"]["segments"]
            .as_array()
            .map(Vec::len)
            .unwrap_or(0),
    }
}
