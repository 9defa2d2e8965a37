//! `cargo bench -p quakecast-benches --bench render -- --warm-up-time 1 --measurement-time 2`:
//! render + readback frames per second at 720×1280 (light vs map-heavy, RGBA vs I420,
//! one at a time vs pipelined).
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use quakecast_benches::render::{RenderBench, BATCH};
use quakecast_renderer::Readback;

fn render(c: &mut Criterion) {
    let mut b = RenderBench::new();
    let mut g = c.benchmark_group("render_720x1280");
    for (scene, heavy) in [("light", false), ("map_heavy", true)] {
        for (name, format) in [("rgba", Readback::Rgba), ("yuv420p", Readback::Yuv420p)] {
            g.throughput(Throughput::Elements(1));
            g.bench_function(format!("{scene}/{name}"), |x| {
                x.iter(|| b.one(heavy, format))
            });
        }
        g.throughput(Throughput::Elements(u64::from(BATCH)));
        g.bench_function(format!("{scene}/yuv420p_pipelined"), |x| {
            x.iter(|| b.pipelined(heavy, Readback::Yuv420p))
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2));
    targets = render
}
criterion_main!(benches);
