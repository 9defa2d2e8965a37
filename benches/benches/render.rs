//! `cargo bench -p quakecast-benches --bench render -- --warm-up-time 1 --measurement-time 2`:
//! render + readback frames per second at 720×1280 (light vs map-heavy, RGBA vs I420,
//! one at a time vs pipelined); and per scene of the Luding bulletin, the cost of the map layers
//! (relief, counties, faults, earlier quakes, ellipses): draw list and render, with and without.
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use quakecast_benches::render::{RenderBench, SceneBench, BATCH};
use quakecast_renderer::Readback;
use quakecast_scenes::SceneKind;

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
    drop(b);

    // Per scene of the Luding bulletin: draw list (CPU) and render + readback, with the map
    // layers a bulletin gets by default ("full") and without them ("plain").
    let mut sb = SceneBench::new();
    let mut g = c.benchmark_group("luding_scene_720x1280");
    for kind in [
        SceneKind::Map,
        SceneKind::Places,
        SceneKind::Intensity,
        SceneKind::History,
    ] {
        for full in [false, true] {
            let tag = if full { "full" } else { "plain" };
            let Some(n) = sb.frame_of(full, kind) else {
                continue;
            };
            g.bench_function(format!("{kind:?}/{tag}/draw_list"), |x| {
                x.iter(|| sb.list(full, n).prims.len())
            });
            let list = sb.list(full, n);
            g.bench_function(format!("{kind:?}/{tag}/render"), |x| {
                x.iter(|| sb.render(&list))
            });
        }
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
