//! The full bulletin: facts → composed storyboard → narration, on the real data. New scenes
//! (places, intensity, history), their labels, the subtitle band, themes, safety wording.

use chrono::{TimeZone, Utc};
use quakecast_facts::facts::{situation, Situation};
use quakecast_facts::history::parse_catalog;
use quakecast_facts::{Event, Facts, ReportStatus, Source};
use quakecast_scenes::layout::Canvas;
use quakecast_scenes::narration::script_for;
use quakecast_scenes::phrases::safety_zh;
use quakecast_scenes::scene::SUBTITLE_TOP;
use quakecast_scenes::timeline::scene_min_frames;
use quakecast_scenes::{
    Align, FixedMeasure, Prim, RenderSettings, SceneKind, Storyboard, TextMeasure, Theme,
};
use quakecast_testkit::{assets, hanyuan, stress_events};

const SMALL: RenderSettings = RenderSettings {
    width: 720,
    height: 1280,
    fps: 30,
};
const LARGE: RenderSettings = RenderSettings {
    width: 1080,
    height: 1920,
    fps: 30,
};

const CATALOG: &str = "#EventID|Time|Latitude|Longitude|Depth/km|Author|Catalog|Contributor|ContributorID|MagType|Magnitude|MagAuthor|EventLocationName
a|2021-07-14T15:36:00|30.97|103.37|15|cenc|cenc|cenc|a|M|4.8|cenc|四川阿坝州汶川县
b|2022-01-02T03:04:05|29.60|102.60|10|cenc|cenc|cenc|b|M|3.4|cenc|四川雅安市汉源县
";

fn full(e: &Event) -> Facts {
    Facts::compute(e, assets(), Some(&parse_catalog(CATALOG).expect("catalog")))
}

fn text_box(t: &quakecast_scenes::Text, m: &dyn TextMeasure) -> [f32; 4] {
    let w = m.width(&t.text, t.size);
    let x0 = match t.align {
        Align::Left => t.x,
        Align::Center => t.x - w / 2.0,
        Align::Right => t.x - w,
    };
    [x0, t.y, x0 + w, t.y + t.size]
}

fn span(sb: &Storyboard, k: SceneKind) -> (u32, u32) {
    let s = sb.scenes.iter().find(|s| s.kind == k).expect("scene");
    (s.start, s.frames)
}

#[test]
fn full_bulletin_has_every_scene_and_one_cue_each() {
    let e = hanyuan();
    let facts = full(&e);
    let theme = Theme::default();
    let sb = Storyboard::compose(&e, &facts, &theme, SMALL, &[]);
    assert_eq!(
        sb.kinds(),
        [
            SceneKind::Header,
            SceneKind::Parameters,
            SceneKind::Map,
            SceneKind::Places,
            SceneKind::Intensity,
            SceneKind::History,
            SceneKind::Closing
        ]
    );
    assert!((15.0..=25.5).contains(&sb.duration_secs()));
    let script = script_for(&e, &facts, &theme);
    let kinds: Vec<SceneKind> = script.cues.iter().map(|c| c.scene).collect();
    assert_eq!(kinds, sb.kinds(), "one cue per scene, in order");
    // The facts name every seat (the scene labels them all on the map)…
    assert_eq!(
        facts
            .nearby
            .as_ref()
            .and_then(|n| n.sentence_zh())
            .as_deref(),
        Some(
            "震中距泸定县36公里、距荥经县38公里、距汉源县39公里、距石棉县51公里、距天全县52公里，\
             距甘孜藏族自治州65公里，距雅安市66公里，距成都市188公里。"
        )
    );
    // …the narration the two nearest county seats and the provincial capital, to stay short.
    let places = &script.cues[3];
    assert_eq!(
        places.subtitle,
        "震中距泸定县36公里、距荥经县38公里，距成都市188公里。"
    );
    assert!(places
        .text_zh
        .starts_with("震中距泸定县三十六公里、距荥经县三十八公里"));
    assert_eq!(
        script.cues[4].text_zh,
        "预计震中烈度六度，有感范围约八十公里。"
    );
    assert_eq!(
        script.cues[4].subtitle,
        "预计震中烈度VI度，有感范围约80公里。"
    );
    assert!(script.cues[5]
        .subtitle
        .starts_with("震中周边200公里内近5年来发生3级以上地震共2次"));
    for c in &script.cues {
        assert!(
            !c.text_zh.chars().any(|ch| ch.is_ascii_digit()),
            "digits left for the voice: {}",
            c.text_zh
        );
    }
    // Narration lengthens scenes; re-timing keeps the scene list.
    let min = scene_min_frames(&[(SceneKind::Places, 9.0)], 30);
    let long = sb.retimed(&min);
    assert_eq!(long.kinds(), sb.kinds());
    assert_eq!(span(&long, SceneKind::Places).1, 300);
}

#[test]
fn scenes_without_data_are_left_out() {
    let e = hanyuan();
    let no_history = Facts::compute(&e, assets(), None);
    let sb = Storyboard::compose(&e, &no_history, &Theme::default(), SMALL, &[]);
    assert!(!sb.kinds().contains(&SceneKind::History));
    assert!(sb.kinds().contains(&SceneKind::Places));
    let script = script_for(&e, &no_history, &Theme::default());
    assert!(script.cues.iter().all(|c| sb.kinds().contains(&c.scene)));
    // A small event: the band without the intensity scene.
    let mut small = e.clone();
    small.magnitude = 2.4;
    let sb = Storyboard::compose(
        &small,
        &Facts::from_event(&small),
        &Theme::default(),
        SMALL,
        &[],
    );
    assert_eq!(
        sb.kinds(),
        [
            SceneKind::Header,
            SceneKind::Parameters,
            SceneKind::Map,
            SceneKind::Closing
        ]
    );
}

/// Every label box drawn in a scene's panel, from the text primitives with a backing rect.
fn label_boxes(list: &[Prim], m: &dyn TextMeasure, panel_px: [f32; 4]) -> Vec<(String, [f32; 4])> {
    list.iter()
        .filter_map(|p| match p {
            Prim::Text(t)
                if t.y > panel_px[1] && t.y < panel_px[3] && t.size < panel_px[3] * 0.05 =>
            {
                Some((t.text.clone(), text_box(t, m)))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn place_and_intensity_labels_never_overlap_and_stay_above_the_band() {
    let m = FixedMeasure;
    let mut checked = 0;
    let mut events = stress_events();
    events.push(quakecast_testkit::event(
        102.08,
        29.59,
        6.8,
        "四川甘孜州泸定县",
        Source::Cenc,
        ReportStatus::Official,
    ));
    events.push(quakecast_testkit::event(
        87.45,
        28.50,
        6.8,
        "西藏日喀则市定日县",
        Source::Cenc,
        ReportStatus::Official,
    ));
    for e in &events {
        let facts = full(e);
        for settings in [SMALL, LARGE] {
            let sb = Storyboard::compose(e, &facts, &Theme::default(), settings, &[]);
            let c = Canvas::new(settings.width, settings.height);
            let band = c.y(SUBTITLE_TOP);
            for (kind, panel) in [
                (SceneKind::Places, quakecast_scenes::scene::PLACES_PANEL),
                (
                    SceneKind::Intensity,
                    quakecast_scenes::scene::INTENSITY_PANEL,
                ),
                (SceneKind::History, [0.0, 0.0, 0.0, 0.0]),
            ] {
                if !sb.kinds().contains(&kind) {
                    continue;
                }
                let (start, frames) = span(&sb, kind);
                let panel_px = [
                    c.x(panel[0]),
                    c.y(panel[1]),
                    c.x(panel[0] + panel[2]),
                    c.y(panel[1] + panel[3]),
                ];
                for n in [start + frames / 2, start + frames - 12] {
                    let list = sb.frame(n, assets(), &m).prims;
                    // Nothing of the scene in the subtitle band.
                    for p in &list {
                        let bottom = match p {
                            Prim::Text(t) => text_box(t, &m)[3],
                            Prim::Rect { y, h, w, .. } if *w < settings.width as f32 => y + h,
                            _ => 0.0,
                        };
                        assert!(
                            bottom <= band + 0.5,
                            "{:?} {kind:?}: {p:?} in the band",
                            e.region
                        );
                    }
                    let boxes = label_boxes(&list, &m, panel_px);
                    for (i, (na, a)) in boxes.iter().enumerate() {
                        for (nb, b) in &boxes[i + 1..] {
                            let apart =
                                a[2] <= b[0] || b[2] <= a[0] || a[3] <= b[1] || b[3] <= a[1];
                            assert!(apart, "{:?} {kind:?}: {na} overlaps {nb}", e.region);
                        }
                        checked += 1;
                    }
                }
            }
        }
    }
    assert!(checked > 100, "only {checked} labels checked");
}

#[test]
fn places_scene_labels_the_seats_with_distances() {
    let e = hanyuan();
    let sb = Storyboard::compose(&e, &full(&e), &Theme::default(), SMALL, &[]);
    let (start, frames) = span(&sb, SceneKind::Places);
    let list = sb.frame(start + frames - 12, assets(), &FixedMeasure);
    let texts: Vec<&str> = list
        .prims
        .iter()
        .filter_map(|p| match p {
            Prim::Text(t) => Some(t.text.as_str()),
            _ => None,
        })
        .collect();
    for want in [
        "泸定县 36公里",
        "荥经县 38公里",
        "汉源县 39公里",
        "成都市",
        "188公里",
    ] {
        assert!(texts.contains(&want), "{want} not in {texts:?}");
    }
    // Intensity: numerals V and IV on the map (the VI ring, 3 km, has no room for one beside the
    // epicentre marker), the words under it.
    let (start, frames) = span(&sb, SceneKind::Intensity);
    let list = sb.frame(start + frames - 12, assets(), &FixedMeasure);
    let texts: Vec<&str> = list
        .prims
        .iter()
        .filter_map(|p| match p {
            Prim::Text(t) => Some(t.text.as_str()),
            _ => None,
        })
        .collect();
    for want in ["V", "IV", "VI度", "有感范围约80公里"] {
        assert!(texts.contains(&want), "{want} not in {texts:?}");
    }
}

#[test]
fn safety_advice_matches_the_situation_and_the_hour() {
    let mut e = hanyuan(); // 08:36 Beijing time, M4.8: VI predicted → strong, daytime.
    assert_eq!(situation(&Facts::from_event(&e)), Situation::Strong);
    assert!(safety_zh(&e, &Facts::from_event(&e)).starts_with("震区民众请远离受损建筑"));
    e.origin_time = Utc.with_ymd_and_hms(2022, 5, 19, 17, 0, 0).unwrap(); // 01:00 Beijing
    assert!(safety_zh(&e, &Facts::from_event(&e)).starts_with("夜间震感强烈"));
    e.magnitude = 3.5; // IV: felt
    assert_eq!(situation(&Facts::from_event(&e)), Situation::Felt);
    assert!(safety_zh(&e, &Facts::from_event(&e)).starts_with("夜间有感"));
    e.magnitude = 2.0;
    assert_eq!(situation(&Facts::from_event(&e)), Situation::Minor);
    // The closing cue carries the advice and the source.
    let e = hanyuan();
    let s = quakecast_scenes::narration::script(&e);
    let closing = s.cues.last().expect("closing");
    assert_eq!(closing.scene, SceneKind::Closing);
    assert_eq!(
        closing.subtitle,
        "震区民众请远离受损建筑，到空旷处避险，注意防范余震。"
    );
}

#[test]
fn revisions_say_so() {
    let mut e = hanyuan();
    e.revision = 1;
    e.revised = true;
    let s = quakecast_scenes::narration::script(&e);
    assert_eq!(s.cues[0].subtitle, "中国地震台网正式测定（修订）");
    assert!(s.cues[0]
        .text_zh
        .contains("修订：本消息替代此前发布的自动测定结果"));
    let sb = Storyboard::new(&e, SMALL);
    let texts: Vec<String> = sb
        .frame(40, assets(), &FixedMeasure)
        .prims
        .iter()
        .filter_map(|p| match p {
            Prim::Text(t) => Some(t.text.clone()),
            _ => None,
        })
        .collect();
    assert!(texts.iter().any(|t| t.contains("修订")), "{texts:?}");
}

#[test]
fn night_theme_restyles_without_changing_the_timeline() {
    let e = hanyuan();
    let facts = full(&e);
    let day = Storyboard::compose(&e, &facts, &Theme::default(), SMALL, &[]);
    let night = Storyboard::compose(&e, &facts, &Theme::night(), SMALL, &[]);
    assert_eq!(day.scenes, night.scenes);
    let (a, b) = (
        day.frame(100, assets(), &FixedMeasure),
        night.frame(100, assets(), &FixedMeasure),
    );
    assert_ne!(a.clear, b.clear);
    assert_eq!(a.prims.len(), b.prims.len());
    // Storyboard::new is the default theme.
    assert_eq!(Storyboard::new(&e, SMALL).theme, Theme::default());
    // A theme file changes durations and scene lists.
    let t = Theme::from_json(
        r#"{"durations": {"Places": 6.0}, "bands": [{"min_magnitude": 0, "scenes": ["Header", "Places", "Closing"]}]}"#,
    )
    .expect("theme");
    let sb = Storyboard::compose(&e, &facts, &t, SMALL, &[]);
    assert_eq!(
        sb.kinds(),
        [SceneKind::Header, SceneKind::Places, SceneKind::Closing]
    );
    assert_eq!(span(&sb, SceneKind::Places).1, 180);
}
