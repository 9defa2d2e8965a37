//! `cargo bench -p quakecast-benches --bench farm`: webhook → stitched MP4 in the store with 1 and
//! 2 local workers, and webhook → first HLS segment playable, for the sample at 720x1280/30.
//! With voice-over, music and subtitles, as `serve --audio` makes them. Under `cargo test
//! --benches` it runs once at 180x320 to prove it works. `QUAKECAST_BENCH_RUNS` (default 3).
use std::sync::Arc;

use quakecast_benches::farm::run;
use quakecast_pipeline::RenderEnv;
use quakecast_renderer::{AdapterPolicy, Font, GpuContext};

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let runs = std::env::var("QUAKECAST_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3usize)
        .max(1);
    let (size, runs) = if full {
        ("720x1280", runs)
    } else {
        ("180x320", 1)
    };
    let env = RenderEnv {
        gpu: Arc::new(GpuContext::new(AdapterPolicy { allow_cpu: true }).expect("adapter")),
        font: Arc::new(Font::load(None).expect("font")),
        assets: Arc::new(
            quakecast_core::assets::load_assets(&quakecast_core::assets::default_data_dir())
                .expect("data: run scripts/setup.sh"),
        ),
    };
    println!("adapter: {}", env.gpu.summary().name);
    for workers in [1, 2] {
        let mut results: Vec<_> = (0..runs).map(|_| run(&env, size, 30, 4, workers)).collect();
        results.sort_by(|a, b| a.stored_secs.total_cmp(&b.stored_secs));
        let median = &results[results.len() / 2];
        let mut hls: Vec<f64> = results.iter().map(|r| r.first_hls_secs).collect();
        hls.sort_by(f64::total_cmp);
        let hls_median = hls[hls.len() / 2];
        let first = results
            .iter()
            .find(|r| r.first_hls_secs == hls_median)
            .unwrap_or(median);
        println!(
            "farm {size} sample, {} segments, {workers} worker(s): webhook → stitched MP4 stored \
             {:.2} s, webhook → first HLS segment playable with its sound {:.2} s (median of \
             {runs}; in that run the intake answered at {:.2} s, the first segment's task took \
             {:.2} s and its sound, made beside its frames, {:.2} s)",
            median.segments,
            median.stored_secs,
            hls_median,
            first.intake_secs,
            first.first_segment_secs,
            first.head_audio_secs
        );
    }
}
