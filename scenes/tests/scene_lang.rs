//! The cards follow the bulletin's language: an English bulletin draws no CJK text, a Chinese one
//! no Latin place text, and in both every line stays in the column and above the subtitle band.
//! Frames are sampled from every scene, on the real map data, seat table and gazetteer.

use std::path::PathBuf;

use quakecast_facts::history::parse_catalog;
use quakecast_facts::lang::{is_cjk, Lang};
use quakecast_facts::{parse_report, Event, Facts};
use quakecast_scenes::layout::Canvas;
use quakecast_scenes::narration::lang_for;
use quakecast_scenes::scene::SUBTITLE_TOP;
use quakecast_scenes::{
    phrases, Align, FixedMeasure, Prim, RenderSettings, SceneKind, Storyboard, Text, TextMeasure,
    Theme,
};
use quakecast_testkit::{assets, hanyuan, usgs_sample};

const SIZES: [RenderSettings; 2] = [
    RenderSettings {
        width: 720,
        height: 1280,
        fps: 30,
    },
    RenderSettings {
        width: 1080,
        height: 1920,
        fps: 30,
    },
];

const CATALOG: &str = "#EventID|Time|Latitude|Longitude|Depth/km|Author|Catalog|Contributor|ContributorID|MagType|Magnitude|MagAuthor|EventLocationName
a|2021-07-14T15:36:00|30.97|103.37|15|cenc|cenc|cenc|a|M|4.8|cenc|四川阿坝州汶川县
b|2022-01-02T03:04:05|29.60|102.60|10|cenc|cenc|cenc|b|M|3.4|cenc|四川雅安市汉源县
";

fn theme(lang: Lang) -> Theme {
    Theme {
        lang: Some(lang),
        ..Theme::default()
    }
}

/// Facts with places, intensity and a history (so that every scene plays).
fn facts_of(e: &Event) -> Facts {
    Facts::compute(e, assets(), Some(&parse_catalog(CATALOG).expect("catalog")))
}

/// Every JSON report of the corpus (the QuakeML files are the scheduler's to parse).
fn corpus() -> Vec<(String, Event)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("corpus dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json") && !p.ends_with("index.json"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 30, "{} JSON reports", paths.len());
    paths
        .iter()
        .map(|p| {
            let name = p.file_name().expect("name").to_string_lossy().to_string();
            let e = parse_report(&std::fs::read(p).expect("read"))
                .unwrap_or_else(|err| panic!("{name}: {err}"));
            (name, e)
        })
        .collect()
}

/// Frames from every scene: its first faded-in frames, quarters, and late (all faded in).
fn sampled_frames(sb: &Storyboard) -> Vec<(SceneKind, u32)> {
    let mut out = Vec::new();
    for s in &sb.scenes {
        for n in [
            10,
            s.frames / 4,
            s.frames / 2,
            3 * s.frames / 4,
            s.frames.saturating_sub(12),
        ] {
            out.push((s.kind, s.start + n.min(s.frames - 1)));
        }
    }
    out
}

fn texts(list: &[Prim]) -> impl Iterator<Item = &Text> {
    list.iter().filter_map(|p| match p {
        Prim::Text(t) => Some(t),
        _ => None,
    })
}

fn text_box(t: &Text, m: &dyn TextMeasure) -> [f32; 4] {
    let w = m.width(&t.text, t.size);
    let x0 = match t.align {
        Align::Left => t.x,
        Align::Center => t.x - w / 2.0,
        Align::Right => t.x - w,
    };
    [x0, t.y, x0 + w, t.y + t.size]
}

/// Every text line of `sb`'s sampled frames inside the safe column and above the subtitle band.
fn assert_in_column(name: &str, sb: &Storyboard) {
    let m = FixedMeasure;
    let RenderSettings { width, height, .. } = sb.settings;
    let c = Canvas::new(width, height);
    let [sx, _, sw, _] = Canvas::safe_units();
    let (left, right, band) = (c.x(sx) - 0.5, c.x(sx + sw) + 0.5, c.y(SUBTITLE_TOP) + 0.5);
    for (kind, n) in sampled_frames(sb) {
        for t in texts(&sb.frame(n, assets(), &m).prims) {
            let b = text_box(t, &m);
            assert!(
                b[0] >= left && b[2] <= right && b[3] <= band,
                "{name} {width}x{height} {kind:?} frame {n}: {:?} at {b:?} leaves the column \
                 [{left}, {right}] or reaches the band ({band})",
                t.text
            );
        }
    }
}

/// The English cards of an English storyboard: no CJK anywhere, nothing out of the column.
fn check_english(name: &str, e: &Event) -> usize {
    let facts = facts_of(e);
    let mut checked = 0;
    for settings in SIZES {
        let sb = Storyboard::compose(e, &facts, &theme(Lang::En), settings, &[]);
        assert_eq!(lang_for(&sb.event, &sb.theme), Lang::En);
        for (kind, n) in sampled_frames(&sb) {
            for t in texts(&sb.frame(n, assets(), &FixedMeasure).prims) {
                assert!(
                    !t.text.chars().any(is_cjk),
                    "{name} {kind:?} frame {n}: CJK text {:?} in an English bulletin",
                    t.text
                );
                checked += 1;
            }
        }
        assert_in_column(name, &sb);
    }
    checked
}

#[test]
fn english_usgs_sample_draws_no_cjk_in_any_scene() {
    let e = usgs_sample();
    let facts = facts_of(&e);
    let sb = Storyboard::compose(&e, &facts, &theme(Lang::En), SIZES[0], &[]);
    // Every scene plays, so every scene is sampled.
    for k in [
        SceneKind::Header,
        SceneKind::Parameters,
        SceneKind::Map,
        SceneKind::Places,
        SceneKind::Intensity,
        SceneKind::History,
        SceneKind::Closing,
    ] {
        assert!(sb.kinds().contains(&k), "{k:?} missing: {:?}", sb.kinds());
    }
    assert!(check_english("usgs-sample", &e) > 200);
    // The English wording itself, late in each scene.
    let all: Vec<String> = sb
        .scenes
        .iter()
        .flat_map(|s| {
            texts(
                &sb.frame(s.start + s.frames - 12, assets(), &FixedMeasure)
                    .prims,
            )
            .map(|t| t.text.clone())
            .collect::<Vec<_>>()
        })
        .collect();
    // Wrapped lines joined back (English wraps at spaces).
    let joined = all.join(" ");
    for want in [
        "Earthquake Report",
        "USGS reviewed earthquake report",
        "Origin time (Beijing time)",
        "UTC 2024-05-01 06:00",
        "Location",
        "Magnitude (Mww)",
        "Depth",
        "24.5 km",
        "Epicenter",
        "23.93°N 121.78°E",
        "Predicted intensity at the epicenter",
        "Source: U.S. Geological Survey (USGS)",
        phrases::safety_en(&e, &facts),
    ] {
        assert!(
            all.iter().any(|t| t == want) || joined.contains(want),
            "{want:?} not on screen:\n{}",
            all.join("\n")
        );
    }
    // The place comes from the facts, in English (a capital first letter on a card).
    let place = facts.place.in_lang(Lang::En);
    assert!(!place.is_empty());
    assert!(
        all.iter().filter(|t| t.as_str() == place).count() >= 3,
        "{place:?} not on the header, parameters and map cards"
    );
    // Level in numerals and words.
    let level = facts
        .intensity
        .as_ref()
        .expect("intensity")
        .epicentral_level;
    assert!(all.iter().any(|t| t
        .starts_with(quakecast_facts::intensity::roman(level).expect("a level"))
        && t.contains(' ')));
}

#[test]
fn english_cards_for_every_report_of_the_corpus() {
    let mut checked = 0;
    for (name, e) in corpus() {
        checked += check_english(&name, &e);
    }
    assert!(checked > 5000, "only {checked} lines checked");
}

/// Latin words in a Mandarin card that are not place text: the brand, the event id, agency
/// acronyms, the magnitude scale, "km" of the ring labels, "UTC", Roman numerals, and the
/// citation of the intensity equation (abroad only).
fn latin_place_word(t: &str, e: &Event) -> Option<String> {
    if t == e.event_id || t.starts_with("依据：Allen, Wald & Worden") {
        return None;
    }
    let scale = phrases::magnitude_type_display(e);
    let allowed = ["quakecast", "USGS", "EMSC", "UTC", "km", scale.as_str()];
    let mut word = String::new();
    for ch in t.chars().chain(std::iter::once(' ')) {
        if ch.is_ascii_alphabetic() {
            word.push(ch);
            continue;
        }
        if !word.is_empty() {
            let roman = word.chars().all(|c| "IVX".contains(c));
            if !roman && !allowed.contains(&word.as_str()) {
                return Some(word);
            }
            word.clear();
        }
    }
    None
}

/// A Chinese storyboard: no Latin place text in any scene, and the English names of its places
/// nowhere on screen.
fn check_chinese(name: &str, e: &Event) {
    let facts = facts_of(e);
    let nearby = facts.nearby.as_ref().expect("nearby places");
    assert!(!nearby.is_empty(), "{name}: no places");
    let english: Vec<String> = nearby
        .all()
        .map(|p| p.name_en())
        .chain([facts.place.en.clone()])
        .filter(|n| !n.is_empty())
        .collect();
    for settings in SIZES {
        let sb = Storyboard::compose(e, &facts, &theme(Lang::Zh), settings, &[]);
        assert!(sb.kinds().contains(&SceneKind::Places), "{name}");
        for (kind, n) in sampled_frames(&sb) {
            for t in texts(&sb.frame(n, assets(), &FixedMeasure).prims) {
                if let Some(w) = latin_place_word(&t.text, e) {
                    panic!("{name} {kind:?} frame {n}: Latin {w:?} in {:?}", t.text);
                }
                for en in &english {
                    assert!(!t.text.contains(en.as_str()), "{name}: {en:?} on screen");
                }
            }
        }
        assert_in_column(name, &sb);
    }
}

#[test]
fn chinese_cards_have_no_latin_place_text() {
    check_chinese("hanyuan", &hanyuan());
    // A USGS feature of a quake in China, in Mandarin: the report's "128 km WNW of Aykol, China"
    // gives way to the county name.
    let wushi = parse_report(include_bytes!("corpus/30-wushi-2024-usgs.json")).expect("wushi");
    check_chinese("wushi-usgs", &wushi);
    let facts = facts_of(&wushi);
    let sb = Storyboard::compose(&wushi, &facts, &theme(Lang::Zh), SIZES[0], &[]);
    let place = facts.place.in_lang(Lang::Zh);
    assert!(place.chars().all(is_cjk), "{place}");
    for kind in [SceneKind::Header, SceneKind::Parameters, SceneKind::Map] {
        let s = sb.scenes.iter().find(|s| s.kind == kind).expect("scene");
        let list = sb.frame(s.start + s.frames - 12, assets(), &FixedMeasure);
        assert!(
            texts(&list.prims).any(|t| t.text == place),
            "{kind:?} does not name {place}"
        );
    }
}

#[test]
fn chinese_cards_of_the_corpus_stay_in_the_column() {
    for (name, e) in corpus() {
        let facts = facts_of(&e);
        for settings in SIZES {
            let sb = Storyboard::compose(&e, &facts, &theme(Lang::Zh), settings, &[]);
            assert_in_column(&name, &sb);
        }
    }
}
