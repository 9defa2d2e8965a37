//! Golden frames of the bulletin's content scenes (places, intensity, history, closing) at both
//! output sizes, from the real map data, seat table and gazetteer, rendered with the real font.
//! `QUAKECAST_UPDATE_GOLDEN=1` rewrites the references (`tests/golden/scenes/`).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use quakecast_facts::history::parse_catalog;
use quakecast_facts::{Assets, Facts, ASSET_FILES};
use quakecast_renderer::FrameRenderer;
use quakecast_scenes::{RenderSettings, SceneKind, Storyboard, Theme};
use quakecast_testkit::golden::{compare_png, GoldenOpts};
use quakecast_testkit::{font, gpu, hanyuan};

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
        .with_south_china_sea(&data(quakecast_facts::SOUTH_CHINA_SEA_FILE))
        .expect("South China Sea data")
        .with_places(&data(quakecast_facts::cities::PLACES_FILE))
        .expect("gazetteer")
        .with_seats(&data(quakecast_facts::seats::SEATS_FILE))
        .expect("seats")
        .with_counties(&data(quakecast_facts::regions::COUNTIES_FILE))
        .expect("county outlines decode")
        .with_faults(&data(quakecast_facts::faults::FAULTS_FILE))
        .expect("active faults decode")
        .with_rivers(&quakecast_testkit::read_data_bytes(
            quakecast_facts::rivers::RIVERS_FILE,
        ))
        .expect("rivers and lakes decode")
        .with_relief(quakecast_testkit::bundled_dem())
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
    let e = hanyuan();
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
    let mut e = hanyuan();
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

/// Every scene of the storyboard, one frame each late in the scene, at `width × height`, as
/// `<prefix>-<scene>-<W>x<H>.png`; and before rendering, every text line inside the safe column
/// and above the subtitle band as the real font measures it.
fn check_every_scene(sb: &Storyboard, prefix: &str) {
    let RenderSettings { width, height, .. } = sb.settings;
    let mut r = FrameRenderer::new(gpu(), width, height, font()).expect("renderer");
    std::fs::create_dir_all(golden_dir()).expect("golden dir");
    let mut failures = Vec::new();
    for span in &sb.scenes {
        let n = span.start + span.frames - 12;
        let list = sb.frame(n, assets(), font());
        assert_fits(&list, prefix, span.kind);
        let rgba = r.render_rgba(&list).expect("frame");
        let name = format!(
            "{prefix}-{}-{width}x{height}.png",
            format!("{:?}", span.kind).to_lowercase()
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

/// Every text line of `list` inside the safe column and above the subtitle band, measured with
/// the real font.
fn assert_fits(list: &quakecast_scenes::DrawList, what: &str, kind: SceneKind) {
    use quakecast_scenes::layout::Canvas;
    use quakecast_scenes::{Align, Prim, TextMeasure};
    let c = Canvas::new(list.width, list.height);
    let [sx, _, sw, _] = Canvas::safe_units();
    let (left, right) = (c.x(sx) - 0.5, c.x(sx + sw) + 0.5);
    let band = c.y(quakecast_scenes::scene::SUBTITLE_TOP) + 0.5;
    for p in &list.prims {
        let Prim::Text(t) = p else { continue };
        let w = font().width(&t.text, t.size);
        let x0 = match t.align {
            Align::Left => t.x,
            Align::Center => t.x - w / 2.0,
            Align::Right => t.x - w,
        };
        assert!(
            x0 >= left && x0 + w <= right && t.y + t.size <= band,
            "{what} {kind:?} {}x{}: {:?} at x {x0}..{} y {}..{} leaves the column {left}..{right} \
             or reaches the band at {band}",
            list.width,
            list.height,
            t.text,
            x0 + w,
            t.y,
            t.y + t.size
        );
    }
}

/// A catalogue around the Noto Peninsula, made up for the test (so that the history scene has
/// something to show; the numbers are not a real count).
const NOTO_CATALOG: &str = "#EventID|Time|Latitude|Longitude|Depth/km|Author|Catalog|Contributor|ContributorID|MagType|Magnitude|MagAuthor|EventLocationName
n1|2023-05-05T05:42:00|37.54|137.31|12|test|test|test|n1|mww|6.2|test|Noto Peninsula, Japan
n2|2022-06-19T06:08:00|37.52|137.28|13|test|test|test|n2|mb|5.1|test|Noto Peninsula, Japan
n3|2021-09-16T09:42:00|37.50|137.30|10|test|test|test|n3|mb|4.9|test|Noto Peninsula, Japan
";

/// A catalogue around Wushi, made up for the test likewise.
const WUSHI_CATALOG: &str = "#EventID|Time|Latitude|Longitude|Depth/km|Author|Catalog|Contributor|ContributorID|MagType|Magnitude|MagAuthor|EventLocationName
w1|2021-03-01T10:00:00|41.10|78.90|10|test|test|test|w1|M|4.5|test|新疆阿克苏地区乌什县
w2|2022-08-12T03:20:00|40.90|79.30|12|test|test|test|w2|M|3.6|test|新疆阿克苏地区温宿县
";

fn corpus_event(file: &str) -> quakecast_facts::Event {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scenes/tests/corpus")
        .join(file);
    let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    quakecast_facts::parse_report(&bytes).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The storyboard of a corpus report in `lang`, its history from `catalog` (FDSN text) or,
/// with `None`, from the bundled ISC catalogue as a bulletin gets it by default.
fn lang_storyboard(
    file: &str,
    catalog: Option<&str>,
    lang: quakecast_facts::lang::Lang,
    width: u32,
    height: u32,
) -> Storyboard {
    let e = corpus_event(file);
    let catalog = match catalog {
        Some(text) => parse_catalog(text).expect("catalog"),
        None => quakecast_testkit::bundled_catalog().for_event(&e),
    };
    let facts = Facts::compute(&e, assets(), Some(&catalog));
    let theme = Theme {
        lang: Some(lang),
        ..Theme::default()
    };
    let settings = RenderSettings {
        width,
        height,
        fps: 30,
    };
    let sb = Storyboard::compose(&e, &facts, &theme, settings, &[]);
    assert_eq!(
        quakecast_scenes::narration::lang_for(&sb.event, &sb.theme),
        lang
    );
    sb
}

/// A foreign quake in English (USGS feature of the 2024 Noto Peninsula quake): every scene.
#[test]
fn english_noto_every_scene_360x640() {
    let sb = lang_storyboard(
        "31-noto-2024-usgs.json",
        Some(NOTO_CATALOG),
        quakecast_facts::lang::Lang::En,
        360,
        640,
    );
    assert_eq!(sb.scenes.len(), 7, "{:?}", sb.kinds());
    check_every_scene(&sb, "en-noto");
}

/// A quake in China from a USGS feature, in Mandarin (2024 Wushi): every scene, the place named
/// from the county seats rather than the feature's "128 km WNW of Aykol, China".
#[test]
fn mandarin_wushi_usgs_every_scene_360x640() {
    let sb = lang_storyboard(
        "30-wushi-2024-usgs.json",
        Some(WUSHI_CATALOG),
        quakecast_facts::lang::Lang::Zh,
        360,
        640,
    );
    assert_eq!(sb.scenes.len(), 7, "{:?}", sb.kinds());
    check_every_scene(&sb, "zh-wushi-usgs");
}

/// The Luding M6.8 (CENC official record) in Mandarin at both sizes, with the bundled data a
/// bulletin gets by default: relief, county borders and names, active faults, the intensity
/// ellipses along the Xianshuihe fault's strike with the counties in each ring, and the
/// recent seismicity from the ISC catalogue as dots.
#[test]
fn mandarin_luding_every_scene_with_the_bundled_data() {
    for (w, h) in [(720, 1280), (1080, 1920)] {
        let sb = lang_storyboard(
            "09-luding-2022-cenc-record-official.json",
            None,
            quakecast_facts::lang::Lang::Zh,
            w,
            h,
        );
        let f = &sb.facts;
        let fault = f.fault.as_ref().expect("a mapped fault near Luding");
        assert!(
            fault.distance_km < 20.0 && fault.slip_type.contains("Sinistral"),
            "{fault:?}"
        );
        // The Xianshuihe fault (left-lateral) runs NNW–SSE there.
        assert!((120.0..175.0).contains(&fault.strike_deg), "{fault:?}");
        let i = f.intensity.as_ref().expect("intensity");
        assert!(i.long_axis_azimuth_deg.is_some());
        assert!(i.rings.iter().all(|r| r.long_km >= r.short_km));
        assert!(!i.seats.is_empty(), "counties inside the rings");
        let hist = f
            .history
            .as_ref()
            .expect("history from the bundled catalogue");
        assert_eq!(hist.source.as_deref(), Some("ISC Bulletin"));
        assert!(hist.count > 10 && !hist.dots.is_empty(), "{hist:?}");
        let el = f.elevation.as_ref();
        assert!(
            el.is_none(),
            "the elevation comes from Content, not Facts::compute"
        );
        check_every_scene(&sb, "zh-luding");
    }
}

/// Both languages at both output sizes, every JSON report of the corpus: the cards' text fits
/// the column as the real font measures it (no GPU needed).
#[test]
fn cards_fit_with_the_real_font_across_the_corpus() {
    use quakecast_facts::lang::Lang;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenes/tests/corpus");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("corpus")
        .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".json") && n != "index.json")
        .collect();
    files.sort();
    assert!(files.len() >= 30);
    for file in &files {
        for lang in [Lang::Zh, Lang::En] {
            for (w, h) in [(720, 1280), (1080, 1920)] {
                let sb = lang_storyboard(file, None, lang, w, h);
                for span in &sb.scenes {
                    for n in [span.frames / 2, span.frames - 12] {
                        let list = sb.frame(span.start + n, assets(), font());
                        assert_fits(&list, &format!("{file} {lang:?}"), span.kind);
                    }
                }
            }
        }
    }
}

/// The covers beside the video (9:16 and 1:1) at both widths, for the Luding bulletin in
/// Mandarin and the Noto bulletin in English: every text line inside the column.
#[test]
fn posters_at_both_sizes() {
    use quakecast_scenes::scene::PosterShape;
    for (file, lang, tag) in [
        (
            "09-luding-2022-cenc-record-official.json",
            quakecast_facts::lang::Lang::Zh,
            "zh-luding",
        ),
        (
            "31-noto-2024-usgs.json",
            quakecast_facts::lang::Lang::En,
            "en-noto",
        ),
    ] {
        for width in [720, 1080] {
            let sb = lang_storyboard(file, None, lang, width, width * 16 / 9);
            for shape in [PosterShape::Portrait, PosterShape::Square] {
                let list = sb.poster(shape, width, assets(), font());
                let expected_h = match shape {
                    PosterShape::Portrait => width * 16 / 9,
                    PosterShape::Square => width,
                };
                assert_eq!((list.width, list.height), (width, expected_h));
                let right = list.width as f32 * (1.0 - 0.06) + 0.5;
                for p in &list.prims {
                    if let quakecast_scenes::Prim::Text(t) = p {
                        let w = quakecast_scenes::TextMeasure::width(font(), &t.text, t.size);
                        let x0 = match t.align {
                            quakecast_scenes::Align::Left => t.x,
                            quakecast_scenes::Align::Center => t.x - w / 2.0,
                            quakecast_scenes::Align::Right => t.x - w,
                        };
                        assert!(
                            x0 >= 0.0 && x0 + w <= right && t.y + t.size <= list.height as f32,
                            "{tag} {shape:?} {width}: {:?} leaves the poster",
                            t.text
                        );
                    }
                }
                let mut r =
                    FrameRenderer::new(gpu(), list.width, list.height, font()).expect("renderer");
                let rgba = r.render_rgba(&list).expect("poster");
                let name = format!(
                    "poster-{tag}-{}-{}x{}.png",
                    match shape {
                        PosterShape::Portrait => "9x16",
                        PosterShape::Square => "1x1",
                    },
                    list.width,
                    list.height
                );
                compare_png(
                    &golden_dir().join(name),
                    &rgba,
                    list.width,
                    list.height,
                    GoldenOpts::default(),
                )
                .unwrap_or_else(|e| panic!("{e}"));
            }
        }
    }
}

/// Golden frames of the material library's backgrounds (docs/materials.md) at both sizes: the
/// header and parameter cards over a relief picture of the default set's kind (pushed in
/// toward the epicentre), the closing card over its night version, and the wipe between the
/// parameters and the map.
#[test]
fn material_backgrounds_and_the_wipe_at_both_sizes() {
    use quakecast_facts::material::{MaterialKind, Role};
    use quakecast_scenes::backdrop::{relief_picture, Backdrop, BACKDROP_H, BACKDROP_W};
    let e = hanyuan();
    let facts = Facts::compute(&e, assets(), None);
    let dem = quakecast_testkit::bundled_dem();
    let picture = |night: bool, role: Role| {
        let px = relief_picture(&dem, e.lon, e.lat, 16.0, BACKDROP_W, BACKDROP_H, night);
        Backdrop::new(
            "relief",
            role,
            MaterialKind::Image,
            BACKDROP_W,
            BACKDROP_H,
            0.0,
            vec![px],
        )
        .expect("backdrop")
        .with_focus([0.5, 0.5])
    };
    let mut failures = Vec::new();
    for (width, height) in [(720, 1280), (1080, 1920)] {
        let settings = RenderSettings {
            width,
            height,
            fps: 30,
        };
        let mut sb = Storyboard::compose(&e, &facts, &Theme::default(), settings, &[]);
        sb.materials.background = Some(picture(false, Role::Background));
        sb.materials.closing = Some(picture(true, Role::Closing));
        let span = |k: SceneKind| {
            sb.scenes
                .iter()
                .find(|s| s.kind == k)
                .expect("scene")
                .clone()
        };
        let (header, params, closing) = (
            span(SceneKind::Header),
            span(SceneKind::Parameters),
            span(SceneKind::Closing),
        );
        let mut frames = vec![
            ("header", header.start + header.frames - 12),
            ("closing", closing.start + closing.frames - 1),
        ];
        if width == 720 {
            frames.push(("parameters", params.start + params.frames - 12));
            // Four frames before the cut: the panel a third of the way across.
            frames.push(("wipe", params.start + params.frames - 4));
        }
        let mut r = FrameRenderer::new(gpu(), width, height, font()).expect("renderer");
        for (tag, n) in frames {
            let list = sb.frame(n, assets(), font());
            let rgba = r.render_rgba(&list).expect("frame");
            let name = format!("material-{tag}-{width}x{height}.png");
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
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Frames `frames` of `sb` rendered in order by one renderer with the static-prefix cache on
/// and by one with it off, as RGBA: every frame must be the same, byte for byte. Returns the
/// cache's statistics.
fn prefix_cache_frames_equal(
    sb: &Storyboard,
    frames: std::ops::Range<u32>,
) -> quakecast_renderer::PrefixStats {
    let (w, h) = (sb.settings.width, sb.settings.height);
    let render = |cache: bool| {
        let mut r = FrameRenderer::new(gpu(), w, h, font()).expect("renderer");
        r.set_prefix_cache(cache);
        let mut out = Vec::new();
        r.render_frames(
            frames.clone().map(|n| sb.frame(n, assets(), font())),
            quakecast_renderer::Readback::Rgba,
            |f| {
                out.push(f);
                Ok(())
            },
        )
        .expect("frames");
        (out, r.prefix_stats())
    };
    let (cached, stats) = render(true);
    let (plain, off) = render(false);
    assert_eq!(off.restored, 0, "the cache was off");
    for (i, (a, b)) in cached.iter().zip(&plain).enumerate() {
        let n = frames.start + i as u32;
        if a != b {
            let diff = a.iter().zip(b).filter(|(x, y)| x != y).count();
            panic!(
                "frame {n} ({}x{h}): {diff} bytes differ with the prefix cache",
                w
            );
        }
    }
    assert_eq!(cached.len(), frames.len());
    stats
}

/// The static-prefix cache (a map's relief, borders and faults kept in a texture while the
/// rings grow over them) changes no pixel: every frame of the Luding bulletin with the bundled
/// data at 180x320, and the map and intensity scenes at 720x1280, equal a full render; and the
/// cache is used on most frames of the map scenes.
#[test]
fn the_static_prefix_cache_changes_no_pixel() {
    let sb = lang_storyboard(
        "09-luding-2022-cenc-record-official.json",
        None,
        quakecast_facts::lang::Lang::Zh,
        180,
        320,
    );
    let stats = prefix_cache_frames_equal(&sb, 0..sb.total_frames);
    eprintln!("180x320, {} frames: {stats:?}", sb.total_frames);
    let mapped: u32 = sb
        .scenes
        .iter()
        .filter(|s| {
            matches!(
                s.kind,
                SceneKind::Places | SceneKind::Intensity | SceneKind::History
            )
        })
        .map(|s| s.frames)
        .sum();
    assert!(
        stats.restored * 10 >= u64::from(mapped) * 8,
        "{stats:?}: expected most of the {mapped} frames of the places, intensity and history \
         scenes to start from the stored prefix"
    );

    let sb = lang_storyboard(
        "09-luding-2022-cenc-record-official.json",
        None,
        quakecast_facts::lang::Lang::Zh,
        720,
        1280,
    );
    for kind in [SceneKind::Map, SceneKind::Intensity] {
        let span = sb.scenes.iter().find(|s| s.kind == kind).expect("scene");
        let end = span.start + span.frames;
        let stats = prefix_cache_frames_equal(&sb, end - 40..end);
        eprintln!("720x1280 {kind:?}, last 40 frames: {stats:?}");
        assert!(stats.restored >= 30, "{kind:?}: {stats:?}");
    }
}
