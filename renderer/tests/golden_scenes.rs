//! Golden frames of the bulletin's content scenes (places, intensity, history, closing) at both
//! output sizes, from the real map data, seat table and gazetteer, rendered with the real font.
//! `QUAKECAST_UPDATE_GOLDEN=1` rewrites the references (`tests/golden/scenes/`).
mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{font, gpu, sample_event};
use quakecast_renderer::golden::{compare_png, GoldenOpts};
use quakecast_renderer::FrameRenderer;
use quakecast_scenes::history::parse_catalog;
use quakecast_scenes::{Assets, Facts, RenderSettings, SceneKind, Storyboard, Theme, ASSET_FILES};

fn data(rel: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../data")
        .join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run `bash scripts/setup.sh` to fetch the data",
            p.display()
        )
    })
}

fn assets() -> &'static Assets {
    static A: OnceLock<Assets> = OnceLock::new();
    A.get_or_init(|| {
        Assets::from_sources(
            &data(ASSET_FILES[0]),
            &data(ASSET_FILES[1]),
            &data(ASSET_FILES[2]),
        )
        .expect("map data")
        .with_south_china_sea(&data(quakecast_scenes::SOUTH_CHINA_SEA_FILE))
        .expect("South China Sea data")
        .with_places(&data(quakecast_scenes::places::PLACES_FILE))
        .expect("gazetteer")
        .with_seats(&data(quakecast_scenes::gazetteer::SEATS_FILE))
        .expect("seats")
        .with_counties(&data(quakecast_scenes::regions::COUNTIES_FILE))
        .expect("county outlines decode")
    })
}

/// A small FDSN-text catalogue, so that the history scene has something to show.
const CATALOG: &str = "#EventID|Time|Latitude|Longitude|Depth/km|Author|Catalog|Contributor|ContributorID|MagType|Magnitude|MagAuthor|EventLocationName
a|2021-07-14T15:36:00|30.97|103.37|15|cenc|cenc|cenc|a|M|4.8|cenc|四川阿坝州汶川县
b|2022-01-02T03:04:05|29.60|102.60|10|cenc|cenc|cenc|b|M|3.4|cenc|四川雅安市汉源县
";

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/scenes")
}

fn check_scenes(width: u32, height: u32, theme: &Theme, tag: &str, kinds: &[SceneKind]) {
    let e = sample_event();
    let catalog = parse_catalog(CATALOG).expect("catalog");
    let facts = Facts::compute(&e, assets(), Some(&catalog));
    let settings = RenderSettings {
        width,
        height,
        fps: 30,
    };
    let sb = Storyboard::compose(&e, &facts, theme, settings, &[]);
    let mut r = FrameRenderer::new(gpu(), width, height, font()).expect("renderer");
    std::fs::create_dir_all(golden_dir()).expect("golden dir");
    let mut failures = Vec::new();
    for &kind in kinds {
        let span = sb
            .scenes
            .iter()
            .find(|s| s.kind == kind)
            .unwrap_or_else(|| panic!("no {kind:?} scene"));
        // Late in the scene: everything faded in, before the dip to the next scene.
        let n = span.start + span.frames - 12;
        let list = sb.frame(n, assets(), font());
        let rgba = r.render_rgba(&list).expect("frame");
        let name = format!(
            "{}-{tag}-{width}x{height}.png",
            format!("{kind:?}").to_lowercase()
        );
        if let Err(e) = compare_png(
            &golden_dir().join(name),
            &rgba,
            width,
            height,
            GoldenOpts::default(),
        ) {
            failures.push(e.to_string());
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

const NEW_SCENES: [SceneKind; 4] = [
    SceneKind::Places,
    SceneKind::Intensity,
    SceneKind::History,
    SceneKind::Closing,
];

#[test]
fn new_scenes_720x1280() {
    check_scenes(720, 1280, &Theme::default(), "day", &NEW_SCENES);
}

#[test]
fn new_scenes_1080x1920() {
    check_scenes(1080, 1920, &Theme::default(), "day", &NEW_SCENES);
}

/// Golden frames of the map scene for China as its standard maps draw it (docs/map.md), for an
/// event in the South China Sea: the whole-country view (the islands and the ten dashes in
/// place, no inset needed) and the resting view (dashes and 西沙 around the epicentre).
#[test]
fn south_china_sea_720x1280() {
    let (width, height) = (720, 1280);
    let settings = RenderSettings {
        width,
        height,
        fps: 30,
    };
    let mut e = sample_event();
    e.event_id = "golden-scs".into();
    e.lon = 110.8;
    e.lat = 14.5;
    e.magnitude = 6.2;
    e.region = "南海海域".into();
    let facts = Facts::compute(&e, assets(), None);
    let sb = Storyboard::compose(&e, &facts, &Theme::default(), settings, &[]);
    let span = sb
        .scenes
        .iter()
        .find(|s| s.kind == SceneKind::Map)
        .expect("a map scene");
    let mut r = FrameRenderer::new(gpu(), width, height, font()).expect("renderer");
    std::fs::create_dir_all(golden_dir()).expect("golden dir");
    let mut failures = Vec::new();
    // 0.33 s in (faded in, the camera not yet moving), and late in the scene (at rest).
    for (name, n) in [("national", 10), ("rest", span.frames - 12)] {
        let rgba = r
            .render_rgba(&sb.frame(span.start + n, assets(), font()))
            .expect("frame");
        let path = golden_dir().join(format!("map-scs-{name}-{width}x{height}.png"));
        if let Err(e) = compare_png(&path, &rgba, width, height, GoldenOpts::default()) {
            failures.push(e.to_string());
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn night_theme_720x1280() {
    check_scenes(720, 1280, &Theme::night(), "night", &[SceneKind::Places]);
}
