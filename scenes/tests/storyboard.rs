//! Storyboard tests on the real map data: timing, determinism, safe area, vertex budget, rings.

use quakecast_facts::{Assets, Facts, LayerKind};
use quakecast_scenes::layout::Canvas;
use quakecast_scenes::projection::{distance_km, View};
use quakecast_scenes::scene::{camera, style, MAP_MOVE_END_SECS, MAP_PANEL};
use quakecast_scenes::{
    Align, DrawList, FixedMeasure, Prim, RenderSettings, SceneKind, Storyboard, TextMeasure, Theme,
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

fn points(list: &DrawList) -> usize {
    list.prims
        .iter()
        .map(|p| match p {
            Prim::Polygon { points, .. } | Prim::Polyline { points, .. } => points.len(),
            _ => 1,
        })
        .sum()
}

fn map_span(sb: &Storyboard) -> (u32, u32) {
    let s = sb
        .scenes
        .iter()
        .find(|s| s.kind == SceneKind::Map)
        .expect("map scene");
    (s.start, s.frames)
}

#[test]
fn durations_are_15_to_25_seconds_at_both_sizes() {
    for settings in [SMALL, LARGE, RenderSettings { fps: 25, ..LARGE }] {
        let sb = Storyboard::new(&hanyuan(), settings);
        let secs = sb.duration_secs();
        assert!((15.0..=25.0).contains(&secs), "{secs} s at {settings:?}");
        // Scenes tile the timeline in order.
        let mut next = 0;
        let kinds: Vec<SceneKind> = sb.scenes.iter().map(|s| s.kind).collect();
        assert_eq!(
            kinds,
            [
                SceneKind::Header,
                SceneKind::Parameters,
                SceneKind::Map,
                SceneKind::Intensity,
                SceneKind::Closing
            ]
        );
        for s in &sb.scenes {
            assert_eq!(s.start, next);
            assert!(s.frames > 0);
            next += s.frames;
        }
        assert_eq!(next, sb.total_frames);
    }
    // Same timeline at both sizes.
    assert_eq!(
        Storyboard::new(&hanyuan(), SMALL).scenes,
        Storyboard::new(&hanyuan(), LARGE).scenes
    );
}

#[test]
fn with_durations_lengthens_scenes_to_their_minimum() {
    let base = Storyboard::new(&hanyuan(), SMALL);
    let sb = Storyboard::with_durations(
        &hanyuan(),
        SMALL,
        &[(SceneKind::Parameters, 200), (SceneKind::Header, 10)],
    );
    let frames = |sb: &Storyboard, k| sb.scenes.iter().find(|s| s.kind == k).unwrap().frames;
    assert_eq!(frames(&sb, SceneKind::Parameters), 200);
    assert_eq!(
        frames(&sb, SceneKind::Header),
        frames(&base, SceneKind::Header)
    );
    assert_eq!(sb.total_frames, base.total_frames + 200 - 120);
    assert_eq!(sb.scenes[2].start, sb.scenes[1].start + 200);
}

#[test]
fn frames_are_pure_functions_of_n() {
    let a = assets();
    let one = Storyboard::new(&hanyuan(), SMALL);
    let whole: Vec<DrawList> = (0..one.total_frames)
        .map(|n| one.frame(n, a, &FixedMeasure))
        .collect();
    // Rebuilt storyboards, frames asked for in two halves and in reverse order.
    let two = Storyboard::new(&hanyuan(), SMALL);
    let half = one.total_frames / 2;
    let mut split: Vec<DrawList> = (0..half).map(|n| two.frame(n, a, &FixedMeasure)).collect();
    let three = Storyboard::new(&hanyuan(), SMALL);
    let mut back: Vec<DrawList> = (half..one.total_frames)
        .rev()
        .map(|n| three.frame(n, a, &FixedMeasure))
        .collect();
    back.reverse();
    split.extend(back);
    assert!(whole == split, "frames differ between runs");
    // And frames actually change: the animation is not frozen.
    let distinct = whole.windows(2).filter(|w| w[0] != w[1]).count();
    assert!(distinct > whole.len() / 2, "only {distinct} frame changes");
}

/// The horizontal and vertical extent of a text primitive under `m`.
fn text_box(t: &quakecast_scenes::Text, m: &dyn TextMeasure) -> [f32; 4] {
    let w = m.width(&t.text, t.size);
    let x0 = match t.align {
        Align::Left => t.x,
        Align::Center => t.x - w / 2.0,
        Align::Right => t.x - w,
    };
    [x0, t.y, x0 + w, t.y + t.size]
}

#[test]
fn all_text_stays_in_the_safe_area() {
    let a = assets();
    let m = FixedMeasure;
    let mut checked = 0;
    for e in stress_events() {
        for settings in [SMALL, LARGE] {
            let sb = Storyboard::new(&e, settings);
            let [sx, sy, sw, sh] = Canvas::safe_px(settings.width, settings.height);
            let eps = 0.01;
            for n in (0..sb.total_frames)
                .step_by(10)
                .chain([sb.total_frames - 1])
            {
                for p in sb.frame(n, a, &m).prims {
                    if let Prim::Text(t) = p {
                        let [x0, y0, x1, y1] = text_box(&t, &m);
                        assert!(
                            x0 >= sx - eps
                                && y0 >= sy - eps
                                && x1 <= sx + sw + eps
                                && y1 <= sy + sh + eps,
                            "{:?} frame {n} at {}x{}: {:?} box {:?} outside safe area {:?}",
                            e.region,
                            settings.width,
                            settings.height,
                            t.text,
                            [x0, y0, x1, y1],
                            [sx, sy, sx + sw, sy + sh]
                        );
                        assert!(t.size >= 8.0, "{:?} shrunk to {}", t.text, t.size);
                        checked += 1;
                    }
                }
            }
        }
    }
    assert!(checked > 1000, "only {checked} texts checked");
}

#[test]
fn large_size_is_the_small_layout_scaled() {
    // Outside the map (whose level of detail follows the pixel density), every primitive of
    // 1080x1920 is the 720x1280 one scaled by 1.5.
    let a = assets();
    let (small, large) = (
        Storyboard::new(&hanyuan(), SMALL),
        Storyboard::new(&hanyuan(), LARGE),
    );
    let (ms, mf) = map_span(&small);
    let close = |x: f32, y: f32| (x * 1.5 - y).abs() < 0.01 * (1.0 + y.abs());
    let mut compared = 0;
    for n in (0..small.total_frames).step_by(7) {
        let (ps, pl) = (
            small.frame(n, a, &FixedMeasure).prims,
            large.frame(n, a, &FixedMeasure).prims,
        );
        let in_map = (ms..ms + mf).contains(&n);
        let texts = |ps: &[Prim]| -> Vec<quakecast_scenes::Text> {
            ps.iter()
                .filter_map(|p| match p {
                    Prim::Text(t) => Some(t.clone()),
                    _ => None,
                })
                .collect()
        };
        if !in_map {
            assert_eq!(ps.len(), pl.len(), "frame {n}");
        }
        let (ts, tl) = (texts(&ps), texts(&pl));
        assert_eq!(ts.len(), tl.len(), "frame {n}");
        for (s, l) in ts.iter().zip(&tl) {
            assert_eq!(s.text, l.text);
            assert!(
                close(s.x, l.x) && close(s.y, l.y) && close(s.size, l.size),
                "frame {n}: {s:?} vs {l:?}"
            );
            compared += 1;
        }
        if !in_map {
            for (s, l) in ps.iter().zip(&pl) {
                if let (
                    Prim::Rect { x, y, w, h, .. },
                    Prim::Rect {
                        x: x2,
                        y: y2,
                        w: w2,
                        h: h2,
                        ..
                    },
                ) = (s, l)
                {
                    assert!(
                        close(*x, *x2) && close(*y, *y2) && close(*w, *w2) && close(*h, *h2),
                        "frame {n}: {s:?} vs {l:?}"
                    );
                }
            }
        }
    }
    assert!(compared > 100);
}

#[test]
fn map_frames_stay_within_the_vertex_budget() {
    let a = assets();
    for e in stress_events() {
        for settings in [SMALL, LARGE] {
            let sb = Storyboard::new(&e, settings);
            let (start, frames) = map_span(&sb);
            let mut max = 0;
            for n in (start..start + frames).step_by(3) {
                max = max.max(points(&sb.frame(n, a, &FixedMeasure)));
            }
            assert!(
                max < 20_000,
                "{:?} at {}: {max} points",
                e.region,
                settings.width
            );
            assert!(max > 50, "{:?}: the map is empty ({max} points)", e.region);
        }
    }
}

#[test]
fn map_draws_land_around_the_epicentre_and_clips_to_the_panel() {
    let a = assets();
    let sb = Storyboard::new(&hanyuan(), SMALL);
    let (start, frames) = map_span(&sb);
    for n in [start, start + frames / 2, start + frames - 1] {
        let prims = sb.frame(n, a, &FixedMeasure).prims;
        let clip = prims
            .iter()
            .position(|p| matches!(p, Prim::Clip(Some(_))))
            .expect("map clips to its panel");
        let unclip = prims
            .iter()
            .position(|p| matches!(p, Prim::Clip(None)))
            .expect("clip is reset");
        assert!(clip < unclip);
        let polys: Vec<&Vec<[f32; 2]>> = prims[clip..unclip]
            .iter()
            .filter_map(|p| match p {
                Prim::Polygon { points, color } if *color == style::CHINA_LAND => Some(points),
                _ => None,
            })
            .collect();
        assert!(!polys.is_empty(), "frame {n}: no Chinese province drawn");
        let [px, py, pw, ph] = MAP_PANEL;
        let m = 6.01;
        for pts in &polys {
            for p in pts.iter() {
                assert!(
                    p[0] >= px - m && p[0] <= px + pw + m && p[1] >= py - m && p[1] <= py + ph + m,
                    "frame {n}: point {p:?} outside the clipped panel"
                );
            }
        }
    }
}

fn ring_prims(list: &DrawList) -> Vec<&Vec<[f32; 2]>> {
    list.prims
        .iter()
        .filter_map(|p| match p {
            Prim::Polyline { points, color, .. } if *color == style::RING_LINE => Some(points),
            _ => None,
        })
        .collect()
}

#[test]
fn distance_rings_are_true_geodesic_circles() {
    let a = assets();
    for e in [hanyuan(), quakecast_testkit::usgs_sample()] {
        for settings in [SMALL, LARGE] {
            let sb = Storyboard::new(&e, settings);
            let (start, frames) = map_span(&sb);
            let list = sb.frame(start + frames - 1, a, &FixedMeasure);
            let c = Canvas::new(settings.width, settings.height);
            let cam = camera(&e, (frames - 1) as f32 / settings.fps as f32);
            assert_eq!(cam.center, (e.lon, e.lat), "camera rests on the epicentre");
            let km_per_px = cam.km_per_unit / f64::from(c.s);
            let (cx, cy) = (
                c.x(MAP_PANEL[0] + MAP_PANEL[2] / 2.0),
                c.y(MAP_PANEL[1] + MAP_PANEL[3] / 2.0),
            );
            let rings = ring_prims(&list);
            let radii = if e.magnitude >= 6.0 {
                [100.0, 200.0, 400.0]
            } else {
                [50.0, 100.0, 200.0]
            };
            assert_eq!(rings.len(), 3, "three whole rings inside the panel");
            for (pts, r) in rings.iter().zip(radii) {
                assert!(pts.len() > 100);
                let want = (r / km_per_px) as f32;
                for p in pts.iter() {
                    let got = (p[0] - cx).hypot(p[1] - cy);
                    assert!(
                        (got - want).abs() < 0.05,
                        "ring {r} km: {got} px, want {want}"
                    );
                }
                // And back through the inverse projection: each point is r km away on the sphere.
                let view = View::new((e.lon, e.lat), km_per_px, f64::from(cx), f64::from(cy));
                for p in pts.iter().step_by(16) {
                    let ll = view.unproject(f64::from(p[0]), f64::from(p[1]));
                    assert!((distance_km((e.lon, e.lat), ll) - r).abs() < 0.2);
                }
            }
        }
    }
}

#[test]
fn camera_flies_from_china_to_the_epicentre() {
    let e = hanyuan();
    let start = camera(&e, 0.0);
    let end = camera(&e, MAP_MOVE_END_SECS);
    assert!(start.km_per_unit > 5.0 * end.km_per_unit);
    assert_eq!(end.center, (e.lon, e.lat));
    // Zoom is monotonic and the epicentre's distance from the centre (in units) never grows.
    let mut prev = (f64::MAX, f64::MAX);
    for i in 0..=60 {
        let c = camera(&e, MAP_MOVE_END_SECS * i as f32 / 60.0);
        let off = distance_km(c.center, (e.lon, e.lat)) / c.km_per_unit;
        assert!(c.km_per_unit <= prev.0 + 1e-9);
        assert!(
            off <= prev.1 + 1e-6,
            "step {i}: offset {off} after {}",
            prev.1
        );
        prev = (c.km_per_unit, off);
    }
}

#[test]
fn map_without_data_still_draws() {
    let sb = Storyboard::new(&hanyuan(), SMALL);
    let (start, frames) = map_span(&sb);
    let list = sb.frame(start + frames - 1, &Assets::default(), &FixedMeasure);
    assert_eq!(ring_prims(&list).len(), 3);
}

#[test]
fn header_shows_the_status_line_and_closing_the_source() {
    let a = assets();
    let texts = |sb: &Storyboard, n: u32| -> Vec<String> {
        sb.frame(n, a, &FixedMeasure)
            .prims
            .into_iter()
            .filter_map(|p| match p {
                Prim::Text(t) => Some(t.text),
                _ => None,
            })
            .collect()
    };
    let sb = Storyboard::new(&hanyuan(), SMALL);
    let header = texts(&sb, 60);
    for want in [
        "地震速报",
        "中国地震台网正式测定",
        "四川雅安市汉源县",
        "4.8级",
    ] {
        assert!(header.iter().any(|t| t == want), "{want} not in {header:?}");
    }
    let params = texts(&sb, sb.scenes[1].start + sb.scenes[1].frames - 1);
    for want in [
        "2022年05月20日 08时36分",
        "北纬29.67度 东经102.48度",
        "20千米",
        "4.8级",
    ] {
        assert!(params.iter().any(|t| t == want), "{want} not in {params:?}");
    }
    let closing = texts(&sb, sb.total_frames - 1);
    assert!(
        closing.iter().any(|t| t == "以上信息来源：中国地震台网"),
        "{closing:?}"
    );
    // A USGS feature with an English place is an English bulletin, with English cards…
    let usgs = Storyboard::new(&quakecast_testkit::usgs_sample(), SMALL);
    let header = texts(&usgs, 60);
    assert!(
        header
            .iter()
            .any(|t| t == "USGS reviewed earthquake report"),
        "{header:?}"
    );
    // …and the same feature in Mandarin gets the Chinese status line.
    let e = quakecast_testkit::usgs_sample();
    let zh = Theme {
        lang: Some(quakecast_facts::lang::Lang::Zh),
        ..Theme::default()
    };
    let usgs_zh = Storyboard::compose(&e, &Facts::from_event(&e), &zh, SMALL, &[]);
    let header = texts(&usgs_zh, 60);
    assert!(header.iter().any(|t| t == "USGS 正式测定"), "{header:?}");
}

/// The full-height background-coloured panel a cut draws over the scene (the first
/// primitive is the background itself): (left edge, width, opacity).
fn cut_panel(list: &DrawList) -> Option<(f32, f32, f32)> {
    list.prims.iter().skip(1).rev().find_map(|p| match p {
        Prim::Rect {
            x,
            y,
            w,
            h,
            fill: quakecast_scenes::Fill::Vertical(top, _),
            ..
        } if *y == 0.0 && *h == 1280.0 => Some((*x, *w, top.a)),
        _ => None,
    })
}

#[test]
fn scene_cuts_dip_to_the_background() {
    let theme = Theme {
        transition: quakecast_scenes::theme::Transition::Dip,
        ..Theme::default()
    };
    let e = hanyuan();
    let sb = Storyboard::compose(&e, &Facts::from_event(&e), &theme, SMALL, &[]);
    let a = assets();
    let overlay = |n: u32| -> f32 {
        match cut_panel(&sb.frame(n, a, &FixedMeasure)) {
            Some((x, w, alpha)) if x == 0.0 && w == 720.0 => alpha,
            _ => 0.0,
        }
    };
    let cut = sb.scenes[1].start;
    assert_eq!(overlay(0), 0.0, "the cover frame is not faded");
    assert!(
        (overlay(cut - 1) - 1.0).abs() < 1e-6,
        "outgoing scene fully faded"
    );
    assert!(
        (overlay(cut) - 1.0).abs() < 1e-6,
        "incoming scene starts from the background"
    );
    assert!(overlay(cut + 4) > 0.0 && overlay(cut + 4) < 1.0);
    assert_eq!(overlay(cut + 20), 0.0);
    assert_eq!(
        overlay(sb.total_frames - 1),
        0.0,
        "the closing card holds to the end"
    );
}

#[test]
fn scene_cuts_wipe_across_by_default() {
    let sb = Storyboard::new(&hanyuan(), SMALL);
    let a = assets();
    let panel = |n: u32| cut_panel(&sb.frame(n, a, &FixedMeasure)).filter(|p| p.2 == 1.0);
    let cut = sb.scenes[1].start;
    assert_eq!(panel(0), None, "the cover frame is not covered");
    // The panel enters from the right over the outgoing scene…
    let (x0, w0, _) = panel(cut - 5).expect("entering panel");
    assert!(x0 > 0.0 && (x0 + w0 - 720.0).abs() < 1e-3, "{x0} {w0}");
    let (x1, _, _) = panel(cut - 3).expect("entering panel");
    assert!(x1 < x0, "moves left: {x0} → {x1}");
    // …covers the whole width at the cut…
    for n in [cut - 1, cut] {
        let (x, w, _) = panel(n).expect("covered");
        assert!(
            x.abs() < 1e-3 && (w - 720.0).abs() < 1e-3,
            "frame {n}: {x} {w}"
        );
    }
    // …and leaves to the left, uncovering the incoming scene from the right.
    let (x, w, _) = panel(cut + 4).expect("leaving panel");
    assert!(x == 0.0 && w > 0.0 && w < 720.0, "{x} {w}");
    assert_eq!(panel(cut + 20), None);
    assert_eq!(panel(sb.total_frames - 1), None, "the closing card holds");
}

fn land_area_fraction(list: &DrawList) -> f64 {
    let area = |p: &[[f32; 2]]| -> f64 {
        let n = p.len();
        (0..n)
            .map(|i| {
                let (a, b) = (p[i], p[(i + 1) % n]);
                f64::from(a[0]) * f64::from(b[1]) - f64::from(b[0]) * f64::from(a[1])
            })
            .sum::<f64>()
            .abs()
            / 2.0
    };
    let land: f64 = list
        .prims
        .iter()
        .filter_map(|p| match p {
            Prim::Polygon { points, color } if *color == style::LAND => Some(area(points)),
            _ => None,
        })
        .sum();
    let c = Canvas::new(list.width, list.height);
    land / f64::from(c.len(MAP_PANEL[2]) * c.len(MAP_PANEL[3]))
}

#[test]
fn far_continents_do_not_flood_an_ocean_view() {
    // Seen from Fiji the antipode is in Africa, from Chile it is in China: land rings around
    // the antipode must not turn inside out and cover the panel.
    let a = assets();
    let events = stress_events();
    for (region, max) in [("Fiji region", 0.15), ("Gulf of Guinea", 0.6)] {
        let e = events
            .iter()
            .find(|e| e.region == region)
            .expect("stress event");
        let sb = Storyboard::new(e, SMALL);
        let (start, frames) = map_span(&sb);
        for n in (start..start + frames).step_by(5) {
            let f = land_area_fraction(&sb.frame(n, a, &FixedMeasure));
            assert!(
                f < max,
                "{region} frame {n}: land covers {:.0} % of the panel",
                f * 100.0
            );
        }
    }
    // And land is there when it should be: Sichuan at rest is all land.
    let sb = Storyboard::new(&hanyuan(), SMALL);
    let (start, frames) = map_span(&sb);
    let f = land_area_fraction(&sb.frame(start + frames - 10, a, &FixedMeasure));
    assert!(f > 0.9, "Sichuan: land covers {:.0} %", f * 100.0);
}

/// Place labels: 22-unit text inside the map panel (the status badge above it is 22 too).
fn is_place_label(t: &quakecast_scenes::Text) -> bool {
    t.size == 22.0 && t.y > MAP_PANEL[1] && t.y < MAP_PANEL[1] + MAP_PANEL[3]
}

#[test]
fn place_labels_name_nearby_towns_without_overlap() {
    let a = assets();
    let sb = Storyboard::new(&hanyuan(), SMALL);
    let (start, frames) = map_span(&sb);
    let rest = start + frames - 10;
    let list = sb.frame(rest, a, &FixedMeasure);
    let labels: Vec<&quakecast_scenes::Text> = list
        .prims
        .iter()
        .filter_map(|p| match p {
            Prim::Text(t) if is_place_label(t) => Some(t),
            _ => None,
        })
        .collect();
    let names: Vec<&str> = labels.iter().map(|t| t.text.as_str()).collect();
    assert!(names.len() >= 3, "{names:?}");
    assert!(
        names.contains(&"成都") || names.contains(&"眉山"),
        "{names:?}"
    );
    let boxes: Vec<[f32; 4]> = labels.iter().map(|t| text_box(t, &FixedMeasure)).collect();
    for (i, a) in boxes.iter().enumerate() {
        assert!(
            a[0] >= MAP_PANEL[0] && a[2] <= MAP_PANEL[0] + MAP_PANEL[2],
            "{names:?}"
        );
        for b in &boxes[i + 1..] {
            let apart = a[2] <= b[0] || b[2] <= a[0] || a[3] <= b[1] || b[3] <= a[1];
            assert!(apart, "labels overlap: {a:?} {b:?}");
        }
    }
    // No labels without a gazetteer, and none while the camera is still moving.
    let bare = Assets {
        map: a.map.clone(),
        ..Default::default()
    };
    let none = sb.frame(rest, &bare, &FixedMeasure);
    assert!(!none
        .prims
        .iter()
        .any(|p| matches!(p, Prim::Text(t) if is_place_label(t))));
    let (start, _) = map_span(&sb);
    let moving = sb.frame(start + 30, a, &FixedMeasure);
    assert!(!moving
        .prims
        .iter()
        .any(|p| matches!(p, Prim::Text(t) if is_place_label(t))));
}

/// Subtitles from the event's own script, one cue per scene, each spoken for most of its scene.
fn with_script_subtitles(e: &quakecast_facts::Event, settings: RenderSettings) -> Storyboard {
    use quakecast_scenes::linebreak::break_lines;
    use quakecast_scenes::narration::script;
    use quakecast_scenes::subtitles::{TimedCue, SUBTITLE_MAX_CHARS};
    let sb = Storyboard::new(e, settings);
    let fps = f64::from(settings.fps);
    let cues = script(e)
        .cues
        .iter()
        .filter_map(|c| {
            let span = sb.scenes.iter().find(|s| s.kind == c.scene)?;
            let start = f64::from(span.start) / fps + 0.4;
            Some(TimedCue {
                scene: c.scene,
                start_secs: start,
                end_secs: start + f64::from(span.frames) / fps * 0.6,
                lines: break_lines(&c.subtitle, SUBTITLE_MAX_CHARS),
            })
        })
        .collect();
    sb.with_subtitles(cues)
}

#[test]
fn subtitles_show_while_spoken_in_the_safe_band_below_the_content() {
    use quakecast_scenes::scene::SUBTITLE_TOP;
    let a = assets();
    let m = FixedMeasure;
    let mut shown = 0;
    for e in stress_events() {
        for settings in [SMALL, LARGE] {
            let sb = with_script_subtitles(&e, settings);
            assert!(!sb.subtitles.is_empty());
            let plain = Storyboard::new(&e, settings);
            let [sx, sy, sw, sh] = Canvas::safe_px(settings.width, settings.height);
            let c = Canvas::new(settings.width, settings.height);
            let band_top = c.y(SUBTITLE_TOP);
            let fps = f64::from(settings.fps);
            for n in (0..sb.total_frames).step_by(7) {
                let t = f64::from(n) / fps;
                let cue = sb
                    .subtitles
                    .iter()
                    .find(|q| q.start_secs <= t && t < q.end_secs);
                let with = sb.frame(n, a, &m).prims;
                let without = plain.frame(n, a, &m).prims;
                // The scene's own primitives are untouched; the subtitle only adds.
                assert_eq!(&with[..without.len()], &without[..], "frame {n}");
                let extra: Vec<_> = with[without.len()..]
                    .iter()
                    .filter_map(|p| match p {
                        Prim::Text(t) => Some(t.clone()),
                        _ => None,
                    })
                    .collect();
                match cue {
                    None => assert!(extra.is_empty(), "frame {n}: subtitle outside its cue"),
                    Some(q) => {
                        let joined: String = extra.iter().map(|t| t.text.as_str()).collect();
                        let pages: Vec<String> = q
                            .lines
                            .chunks(quakecast_scenes::scene::PAGE_LINES)
                            .map(|p| p.concat().replace(' ', ""))
                            .collect();
                        assert!(
                            pages.contains(&joined.replace(' ', "")),
                            "frame {n}: {joined:?} is not a page of {:?}",
                            q.lines
                        );
                        for t in &extra {
                            let [x0, y0, x1, y1] = text_box(t, &m);
                            assert!(
                                x0 >= sx - 0.01 && x1 <= sx + sw + 0.01 && y1 <= sy + sh + 0.01,
                                "{:?} outside the safe area",
                                t.text
                            );
                            assert!(y0 >= band_top - 0.01, "{:?} above the band", t.text);
                        }
                        shown += 1;
                    }
                }
                // No scene text reaches into the band.
                for p in &without {
                    if let Prim::Text(t) = p {
                        let [_, _, _, y1] = text_box(t, &m);
                        assert!(
                            y1 <= band_top + 0.5,
                            "{:?} in the subtitle band: frame {n} {:?} y1 {y1} band {band_top}",
                            t.text,
                            sb.scene_at(n).0.kind
                        );
                    }
                }
            }
        }
    }
    assert!(shown > 100, "only {shown} subtitled frames");
}

#[test]
fn area_notes_and_heat_show_on_the_places_card_at_both_sizes() {
    use quakecast_facts::area::{AreaNotes, Note, INTRO_MAX_CHARS, WEATHER_MAX_CHARS};
    let a = assets();
    let m = FixedMeasure;
    let e = hanyuan();
    // The longest notes the providers let through.
    let notes = AreaNotes {
        intro: Note::clean(
            &"汉源县地处大渡河中游，".repeat(20),
            &"Hanyuan lies on the middle Dadu River. ".repeat(20),
            "示例县情库",
            INTRO_MAX_CHARS,
        ),
        weather: Note::clean(
            &"多云，22°C，东北风2级".repeat(4),
            &"Cloudy, 22 °C ".repeat(10),
            "示例气象服务",
            WEATHER_MAX_CHARS,
        ),
    };
    let mut facts = Facts::compute(&e, a, None).with_area(notes);
    // And a heat layer: one hexagon of 12,345 users beside the epicentre.
    let hex: Vec<[f64; 2]> = (0..6)
        .map(|k| {
            let t = f64::from(k) * std::f64::consts::PI / 3.0;
            [e.lon + 0.05 + 0.03 * t.cos(), e.lat + 0.03 * t.sin()]
        })
        .collect();
    facts.heat = Some(quakecast_facts::heat::UserHeat {
        resolution: 6,
        cells: vec![quakecast_facts::heat::HeatCell {
            boundary: hex,
            users: 12_345,
        }],
        users: 12_345,
        min_users: 10,
        radius_km: 150.0,
        source: "test".into(),
    });
    for lang in [quakecast_facts::Lang::Zh, quakecast_facts::Lang::En] {
        let theme = Theme::default_with_lang(Some(lang));
        for settings in [SMALL, LARGE] {
            let sb = Storyboard::compose(&e, &facts, &theme, settings, &[]);
            let s = sb
                .scenes
                .iter()
                .find(|s| s.kind == SceneKind::Places)
                .expect("places scene");
            let list = sb.frame(s.start + s.frames - 1, a, &m);
            let texts: Vec<_> = list
                .prims
                .iter()
                .filter_map(|p| match p {
                    Prim::Text(t) => Some(t),
                    _ => None,
                })
                .collect();
            let (w, i, h) = match lang {
                quakecast_facts::Lang::Zh => ("震区天气：", "震区概况：", "橙色网格："),
                quakecast_facts::Lang::En => ("Weather there:", "The area:", "Orange cells:"),
            };
            assert!(
                list.prims
                    .iter()
                    .any(|p| matches!(p, Prim::Polygon { points, .. } if points.len() == 6)),
                "no heat hexagon"
            );
            for head in [w, i, h] {
                assert!(
                    texts.iter().any(|t| t.text.starts_with(head)),
                    "{lang:?} {}: no {head:?} in {:?}",
                    settings.width,
                    texts.iter().map(|t| &t.text).collect::<Vec<_>>()
                );
            }
            // Every text inside the safe area, and no two text boxes overlapping.
            let [sx, sy, sw, sh] = Canvas::safe_px(settings.width, settings.height);
            let boxes: Vec<[f32; 4]> = texts.iter().map(|t| text_box(t, &m)).collect();
            for (k, b) in boxes.iter().enumerate() {
                assert!(
                    b[0] >= sx - 0.01 && b[2] <= sx + sw + 0.01 && b[3] <= sy + sh + 0.01,
                    "{:?} outside the safe area",
                    texts[k].text
                );
                for (j, o) in boxes.iter().enumerate().skip(k + 1) {
                    let overlap = b[0] < o[2] - 0.5
                        && o[0] < b[2] - 0.5
                        && b[1] < o[3] - 0.5
                        && o[1] < b[3] - 0.5;
                    assert!(
                        !overlap,
                        "{lang:?} {}: {:?} overlaps {:?}",
                        settings.width, texts[k].text, texts[j].text
                    );
                }
            }
        }
    }
}

/// Whether two text boxes overlap by more than half a pixel each way.
fn boxes_overlap(b: &[f32; 4], o: &[f32; 4]) -> bool {
    b[0] < o[2] - 0.5 && o[0] < b[2] - 0.5 && b[1] < o[3] - 0.5 && o[1] < b[3] - 0.5
}

#[test]
fn no_text_lies_over_another_in_any_scene_at_rest_at_both_sizes() {
    let a = assets();
    let m = FixedMeasure;
    let mut checked = 0;
    let mut bad = Vec::new();
    let dem = quakecast_testkit::bundled_dem();
    let mut scenes = std::collections::BTreeSet::new();
    for e in stress_events().into_iter().chain([hanyuan()]) {
        // With the bundled catalogue and relief: every scene a bulletin can have.
        let around = quakecast_testkit::bundled_catalog().for_event(&e);
        let facts = Facts::compute(&e, a, Some(&around)).with_elevation(&e, Some(&dem));
        for lang in [quakecast_facts::Lang::Zh, quakecast_facts::Lang::En] {
            let theme = Theme::default_with_lang(Some(lang));
            for settings in [SMALL, LARGE] {
                let sb = Storyboard::compose(&e, &facts, &theme, settings, &[]);
                for s in &sb.scenes {
                    scenes.insert(format!("{:?}", s.kind));
                    // The scene at rest: its last frame before the cut.
                    let list = sb.frame(s.start + s.frames.saturating_sub(2), a, &m);
                    let (pairs, overlaps) = overlapping_texts(&list, &m, 0.05);
                    checked += pairs;
                    for (x, y) in overlaps {
                        bad.push(format!(
                            "{:?} {lang:?} {}x{} {:?}: {x:?} over {y:?}",
                            e.region, settings.width, settings.height, s.kind
                        ));
                    }
                }
            }
        }
    }
    assert!(checked > 1000, "only {checked} pairs checked");
    assert_eq!(scenes.len(), 7, "scenes seen: {scenes:?}");
    assert!(
        bad.is_empty(),
        "{} overlaps:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

/// Pairs of visible texts (opacity above `min_alpha`) whose boxes overlap in one draw list,
/// with the number of pairs looked at.
fn overlapping_texts(
    list: &DrawList,
    m: &dyn TextMeasure,
    min_alpha: f32,
) -> (usize, Vec<(String, String)>) {
    let texts: Vec<_> = list
        .prims
        .iter()
        .filter_map(|p| match p {
            Prim::Text(t) if t.color.a > min_alpha => Some(t),
            _ => None,
        })
        .collect();
    let boxes: Vec<[f32; 4]> = texts.iter().map(|t| text_box(t, m)).collect();
    let (mut pairs, mut out) = (0, Vec::new());
    for (k, b) in boxes.iter().enumerate() {
        for (j, o) in boxes.iter().enumerate().skip(k + 1) {
            pairs += 1;
            if boxes_overlap(b, o) {
                out.push((texts[k].text.clone(), texts[j].text.clone()));
            }
        }
    }
    (pairs, out)
}

#[test]
fn no_readable_text_lies_over_another_in_motion_at_both_sizes() {
    // Every fourth frame of every scene, cuts included: labels that slide, fade or follow the
    // camera never cross one another while they can be read (opacity above a third).
    let a = assets();
    let m = FixedMeasure;
    let dem = quakecast_testkit::bundled_dem();
    let events: Vec<_> = stress_events()
        .into_iter()
        .take(2)
        .chain([hanyuan()])
        .collect();
    let (mut frames, mut bad) = (0, Vec::new());
    for e in &events {
        let around = quakecast_testkit::bundled_catalog().for_event(e);
        let facts = Facts::compute(e, a, Some(&around)).with_elevation(e, Some(&dem));
        for lang in [quakecast_facts::Lang::Zh, quakecast_facts::Lang::En] {
            let theme = Theme::default_with_lang(Some(lang));
            for settings in [SMALL, LARGE] {
                let sb = Storyboard::compose(e, &facts, &theme, settings, &[]);
                for n in (0..sb.total_frames).step_by(4) {
                    frames += 1;
                    for (x, y) in overlapping_texts(&sb.frame(n, a, &m), &m, 0.33).1 {
                        bad.push(format!(
                            "{:?} {lang:?} {}x{} frame {n} ({:?}): {x:?} over {y:?}",
                            e.region,
                            settings.width,
                            settings.height,
                            sb.scene_at(n).0.kind
                        ));
                    }
                }
            }
        }
    }
    assert!(frames > 1500, "only {frames} frames checked");
    assert!(
        bad.is_empty(),
        "{} overlaps:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

/// Polylines in the river colour (any opacity: they fade in with the zoom) and their points.
fn river_prims(list: &DrawList) -> (usize, usize) {
    let river = Theme::default().palette.river_line;
    list.prims
        .iter()
        .filter_map(|p| match p {
            Prim::Polyline { points, color, .. }
                if (color.r, color.g, color.b) == (river.r, river.g, river.b) =>
            {
                Some(points.len())
            }
            _ => None,
        })
        .fold((0, 0), |(n, k), len| (n + 1, k + len))
}

#[test]
fn zoomed_sichuan_map_draws_rivers_and_the_national_view_none() {
    let a = assets();
    assert!(a.map.layer(LayerKind::River).is_some() && a.map.layer(LayerKind::Lake).is_some());
    for settings in [SMALL, LARGE] {
        let sb = Storyboard::new(&hanyuan(), settings);
        let (start, frames) = map_span(&sb);
        // At rest on the epicentre (Hanyuan, on the Dadu river): rivers drawn.
        let end = sb.frame(start + frames - 1, a, &FixedMeasure);
        let (n, pts) = river_prims(&end);
        assert!(n >= 10 && pts >= 100, "{n} river lines, {pts} points");
        // The opening view of all China: no rivers.
        let first = sb.frame(start, a, &FixedMeasure);
        assert_eq!(river_prims(&first), (0, 0), "rivers at the national zoom");
    }
    // Without the river data the zoomed map still draws, without rivers.
    let mut plain = a.clone();
    plain
        .map
        .layers
        .retain(|l| !matches!(l.kind, Some(LayerKind::River | LayerKind::Lake)));
    let sb = Storyboard::new(&hanyuan(), SMALL);
    let (start, frames) = map_span(&sb);
    assert_eq!(
        river_prims(&sb.frame(start + frames - 1, &plain, &FixedMeasure)),
        (0, 0)
    );
}
