//! Storyboard and draw-list speed on the real map data (`bash scripts/setup.sh` fetches it).
//!
//! `cargo bench -p quakecast-scenes --bench frame`
use std::hint::black_box;
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion};
use quakecast_scenes::{
    parse_report, Assets, FixedMeasure, RenderSettings, SceneKind, Storyboard, ASSET_FILES,
};

fn read(rel: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../data")
        .join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}; run `bash scripts/setup.sh`",
            p.display()
        )
    })
}

fn benches(c: &mut Criterion) {
    let sources: Vec<String> = ASSET_FILES.iter().map(|f| read(f)).collect();
    let mut g = c.benchmark_group("assets");
    g.sample_size(10);
    g.bench_function("from_sources", |b| {
        b.iter(|| Assets::from_sources(&sources[0], &sources[1], &sources[2]).expect("decodes"))
    });
    g.finish();

    let assets = Assets::from_sources(&sources[0], &sources[1], &sources[2]).expect("decodes");
    let event = parse_report(include_bytes!("../samples/cenc-2022-05-20-hanyuan.json"))
        .expect("sample parses");
    c.bench_function("storyboard_new", |b| {
        b.iter(|| Storyboard::new(black_box(&event), RenderSettings::default()))
    });
    for (w, h) in [(720, 1280), (1080, 1920)] {
        let sb = Storyboard::new(
            &event,
            RenderSettings {
                width: w,
                height: h,
                fps: 30,
            },
        );
        let map = sb
            .scenes
            .iter()
            .find(|s| s.kind == SceneKind::Map)
            .expect("map scene");
        let mut g = c.benchmark_group(format!("frame_{w}x{h}"));
        for (name, n) in [
            ("header", 45),
            ("parameters", 200),
            ("map_china_view", map.start + 5),
            // The busiest frame of the zoom (most points).
            ("map_zooming", map.start + 45),
            ("map_at_rest", map.start + map.frames - 20),
            ("closing", sb.total_frames - 1),
        ] {
            g.bench_function(name, |b| {
                b.iter(|| sb.frame(black_box(n), &assets, &FixedMeasure))
            });
        }
        g.sample_size(10);
        g.bench_function("whole_bulletin", |b| {
            b.iter(|| {
                (0..sb.total_frames)
                    .map(|n| sb.frame(n, &assets, &FixedMeasure).prims.len())
                    .sum::<usize>()
            })
        });
        g.finish();
    }
}

criterion_group!(frame, benches);
criterion_main!(frame);
