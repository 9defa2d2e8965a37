//! Storyboard and draw-list speed on the real map data (`bash scripts/setup.sh` fetches it).
//!
//! `cargo bench -p quakecast-scenes --bench frame`
use std::hint::black_box;
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion};
use quakecast_facts::{parse_report, Assets, ASSET_FILES};
use quakecast_scenes::{FixedMeasure, RenderSettings, SceneKind, Storyboard};

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

    let assets = Assets::from_sources(&sources[0], &sources[1], &sources[2])
        .expect("decodes")
        .with_south_china_sea(&read(quakecast_facts::SOUTH_CHINA_SEA_FILE))
        .expect("South China Sea data");
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
        let span = |k: SceneKind| {
            sb.scenes
                .iter()
                .find(|s| s.kind == k)
                .expect("scene")
                .clone()
        };
        let map = span(SceneKind::Map);
        let params = span(SceneKind::Parameters);
        let mut g = c.benchmark_group(format!("frame_{w}x{h}"));
        for (name, n) in [
            ("header", 45),
            ("parameters", params.start + params.frames / 2),
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

/// A synthetic FDSN-text catalogue of `n` M3–6 events spread over China and five years.
fn synthetic_catalog(n: usize) -> String {
    let mut s = String::from(
        "#EventID|Time|Latitude|Longitude|Depth/km|Author|Catalog|Contributor|ContributorID|MagType|Magnitude|MagAuthor|EventLocationName\n",
    );
    for i in 0..n {
        let f = i as f64;
        let lat = 22.0 + (f * 0.618_034).fract() * 20.0;
        let lon = 80.0 + (f * 0.414_214).fract() * 40.0;
        let mag = 3.0 + (f * 0.732_051).fract() * 3.0;
        let day = 1 + i % 28;
        let month = 1 + i % 12;
        let year = 2018 + i % 5;
        s.push_str(&format!(
            "e{i}|{year}-{month:02}-{day:02}T00:00:00|{lat:.3}|{lon:.3}|10|x|x|x|e{i}|M|{mag:.1}|x|somewhere\n"
        ));
    }
    s
}

/// Event → every fact (nearby seats, intensity, history over a 20,000-event catalogue) → the
/// composed storyboard and its script: what the pipeline does before rendering a frame.
fn bulletin(c: &mut Criterion) {
    use quakecast_facts::history::parse_catalog;
    use quakecast_facts::Facts;
    use quakecast_scenes::narration::script_for;
    use quakecast_scenes::Theme;
    let sources: Vec<String> = ASSET_FILES.iter().map(|f| read(f)).collect();
    let assets = Assets::from_sources(&sources[0], &sources[1], &sources[2])
        .expect("decodes")
        .with_south_china_sea(&read(quakecast_facts::SOUTH_CHINA_SEA_FILE))
        .expect("South China Sea data")
        .with_places(&read(quakecast_facts::cities::PLACES_FILE))
        .expect("gazetteer")
        .with_seats(&read(quakecast_facts::seats::SEATS_FILE))
        .expect("seats")
        .with_counties(&read(quakecast_facts::regions::COUNTIES_FILE))
        .expect("county outlines");
    let event = parse_report(include_bytes!("../samples/cenc-2022-05-20-hanyuan.json"))
        .expect("sample parses");
    let text = synthetic_catalog(20_000);
    let mut g = c.benchmark_group("bulletin");
    g.bench_function("parse_catalog_20k", |b| {
        b.iter(|| parse_catalog(black_box(&text)).expect("parses"))
    });
    let catalog = parse_catalog(&text).expect("parses");
    g.bench_function("nearby", |b| {
        b.iter(|| quakecast_facts::nearby::nearby(black_box(&event), &assets))
    });
    g.bench_function("facts_all", |b| {
        b.iter(|| Facts::compute(black_box(&event), &assets, Some(&catalog)))
    });
    let theme = Theme::default();
    g.bench_function("event_to_storyboard_and_script", |b| {
        b.iter(|| {
            let facts = Facts::compute(black_box(&event), &assets, Some(&catalog));
            let script = script_for(&event, &facts, &theme);
            let sb = Storyboard::compose(&event, &facts, &theme, RenderSettings::default(), &[]);
            (sb.total_frames, script.cues.len())
        })
    });
    // Outside mainland China: nearest cities and the time zone at the epicentre are looked up.
    let usgs =
        parse_report(include_bytes!("../samples/usgs-sample-feature.json")).expect("sample parses");
    g.bench_function("usgs_event_to_storyboard_and_script", |b| {
        b.iter(|| {
            let facts = Facts::compute(black_box(&usgs), &assets, None);
            let script = script_for(&usgs, &facts, &theme);
            let sb = Storyboard::compose(&usgs, &facts, &theme, RenderSettings::default(), &[]);
            (sb.total_frames, script.cues.len())
        })
    });
    g.finish();
}

criterion_group!(frame, benches, bulletin);
criterion_main!(frame);
