//! The South China Sea islands, 钓鱼岛 and the ten-dash line from world-geo-json-zh (`bash
//! scripts/setup.sh` fetches it): decoding, the layers, the frames that draw them in place, and
//! the 南海诸岛 inset (docs/map.md).

use quakecast_facts::basemap::{decode_south_china_sea, SeaPartKind, SeaShape, CHINA_SEA_PARTS};
use quakecast_facts::{
    Assets, Event, LayerKind, MapError, ReportStatus, Source, SOUTH_CHINA_SEA_FILE,
};
use quakecast_scenes::layout::{Canvas, DESIGN_H};
use quakecast_scenes::scene::{
    south_china_sea_inset, style, MapCamera, CHINA_VIEW_CENTER, CHINA_VIEW_KM_PER_UNIT, DASH_WIDTH,
    MAP_PANEL, SUBTITLE_TOP,
};
use quakecast_scenes::{DrawList, FixedMeasure, Prim, RenderSettings, SceneKind, Storyboard};
use quakecast_testkit::{assets, event, hanyuan, read_data};

fn world_zh() -> String {
    read_data(SOUTH_CHINA_SEA_FILE)
}

/// `[lon0, lon1, lat0, lat1]` of some rings.
fn bbox<'a>(rings: impl IntoIterator<Item = &'a Vec<[f64; 2]>>) -> [f64; 4] {
    rings
        .into_iter()
        .flatten()
        .fold([f64::MAX, f64::MIN, f64::MAX, f64::MIN], |b, p| {
            [
                b[0].min(p[0]),
                b[1].max(p[0]),
                b[2].min(p[1]),
                b[3].max(p[1]),
            ]
        })
}

fn assert_bbox(what: &str, got: [f64; 4], want: [f64; 4]) {
    for (g, w) in got.iter().zip(want) {
        assert!(
            (g - w).abs() < 0.01,
            "{what}: bbox {got:?}, expected {want:?}"
        );
    }
}

fn group<'a>(shapes: &'a [SeaShape], name: &str) -> Vec<&'a Vec<[f64; 2]>> {
    shapes
        .iter()
        .filter(|s| s.part.name == name)
        .map(|s| &s.ring)
        .collect()
}

#[test]
fn decodes_ten_dashes_and_the_island_groups() {
    let shapes = decode_south_china_sea(&world_zh()).expect("world.zh.json decodes");
    assert_eq!(shapes.len(), CHINA_SEA_PARTS.len());
    let dashes: Vec<&SeaShape> = shapes
        .iter()
        .filter(|s| s.part.kind == SeaPartKind::Dash)
        .collect();
    assert_eq!(dashes.len(), 10);
    // Together they span the South China Sea from east of Taiwan to 曾母暗沙.
    assert_bbox(
        "ten-dash line",
        bbox(dashes.iter().map(|s| &s.ring)),
        [108.197, 122.799, 3.397, 24.579],
    );
    for d in &dashes {
        // A dash is a sliver ~2 km wide: twice the area over the perimeter (its width) is
        // under 0.05°, while it is 0.3–1.4° long.
        let r = &d.ring;
        let (mut area2, mut perim) = (0.0, 0.0);
        for w in r.windows(2) {
            area2 += w[0][0] * w[1][1] - w[1][0] * w[0][1];
            perim += (w[1][0] - w[0][0]).hypot(w[1][1] - w[0][1]);
        }
        let width = area2.abs() / perim;
        let [lo0, lo1, la0, la1] = bbox([r]);
        assert!(width < 0.05, "dash {r:?} is {width}° wide");
        assert!((lo1 - lo0).max(la1 - la0) > 0.3, "dash {r:?} too short");
        assert_eq!(r.first(), r.last(), "rings come closed");
    }
    for (name, n, want) in [
        ("钓鱼岛及其附属岛屿", 3, [123.264, 124.654, 25.619, 26.003]),
        ("东沙群岛", 1, [116.749, 116.925, 20.589, 20.772]),
        ("西沙群岛", 3, [111.569, 112.613, 16.001, 16.552]),
        ("南沙群岛", 3, [109.464, 116.645, 7.344, 10.396]),
    ] {
        let g = group(&shapes, name);
        assert_eq!(g.len(), n, "{name}");
        assert_bbox(name, bbox(g), want);
    }
}

#[test]
fn decoding_errors_name_what_is_wrong() {
    let text = world_zh();
    assert!(matches!(
        decode_south_china_sea("{ not json"),
        Err(MapError::Syntax { .. })
    ));
    let no_china = text.replace(r#""iso_a2":"CN""#, r#""iso_a2":"XX""#);
    assert!(matches!(
        decode_south_china_sea(&no_china),
        Err(MapError::NotFound { .. })
    ));
    // Move the dash east of Taiwan a degree north: no part matches it any more.
    let moved = text.replace("[122.798614,24.573674]", "[122.798614,25.573674]");
    assert_ne!(moved, text);
    match decode_south_china_sea(&moved) {
        Err(e @ MapError::Shape { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains("十段线") && msg.contains("2.1.5"), "{msg}");
        }
        other => panic!("expected a shape error, got {other:?}"),
    }
}

#[test]
fn assets_get_unsimplified_island_and_dash_layers() {
    let map = &assets().map;
    for (kind, n) in [(LayerKind::Islands, 10), (LayerKind::Dashes, 10)] {
        let layer = map.layer(kind).unwrap_or_else(|| panic!("{kind:?} layer"));
        assert_eq!(layer.rings.len(), n);
        // One level, at full resolution, chosen at every zoom: simplifying would delete them.
        assert_eq!(layer.lods.len(), 1);
        for km in [0.5, 9.0, 100.0] {
            let lod = layer.lod_for(km).expect("a level");
            assert_eq!(lod.tolerance_deg, 0.0);
            assert_eq!(lod.shapes.len(), n, "{kind:?} at {km} km/unit");
        }
    }
    // Calling it twice replaces the layers instead of adding a second copy.
    let twice = Assets {
        map: map.clone(),
        ..Default::default()
    }
    .with_south_china_sea(&world_zh())
    .expect("decodes");
    let count = |k| {
        twice
            .map
            .layers
            .iter()
            .filter(|l| l.kind == Some(k))
            .count()
    };
    assert_eq!(
        (count(LayerKind::Islands), count(LayerKind::Dashes)),
        (1, 1)
    );
}

/// An M6.2 in the South China Sea, south-east of Hainan, near 西沙.
fn scs_event() -> Event {
    event(
        110.8,
        14.5,
        6.2,
        "南海海域",
        Source::Cenc,
        ReportStatus::Official,
    )
}

fn map_frame(e: &Event, width: u32, height: u32, secs_into_map: f64) -> DrawList {
    let settings = RenderSettings {
        width,
        height,
        fps: 30,
    };
    let sb = Storyboard::new(e, settings);
    let span = sb
        .scenes
        .iter()
        .find(|s| s.kind == SceneKind::Map)
        .expect("a map scene");
    // Never past the dip to the next scene (its last 12 frames).
    let n = span.start + ((secs_into_map * 30.0).round() as u32).min(span.frames - 12);
    sb.frame(n, assets(), &FixedMeasure)
}

/// The dash strokes of a frame: polylines in the border colour at [`DASH_WIDTH`].
fn dash_strokes(list: &DrawList) -> Vec<&Vec<[f32; 2]>> {
    let c = Canvas::new(list.width, list.height);
    list.prims
        .iter()
        .filter_map(|p| match p {
            Prim::Polyline {
                points,
                width,
                color,
                ..
            } if *color == style::COUNTRY_LINE && (*width - c.len(DASH_WIDTH)).abs() < 1e-3 => {
                Some(points)
            }
            _ => None,
        })
        .collect()
}

fn inset_label(list: &DrawList) -> Option<&quakecast_scenes::Text> {
    list.prims.iter().find_map(|p| match p {
        Prim::Text(t) if t.text == "南海诸岛" => Some(t),
        _ => None,
    })
}

#[test]
fn a_view_over_the_south_china_sea_draws_dashes_and_islands_in_place() {
    let e = scs_event();
    for (w, h) in [(720, 1280), (1080, 1920)] {
        let c = Canvas::new(w, h);
        // At rest on the epicentre (the scene's end): the dashes west of 西沙 and off Vietnam
        // are in the panel.
        let rest = map_frame(&e, w, h, 60.0);
        let strokes = dash_strokes(&rest);
        assert!(
            strokes.len() >= 2,
            "{w}x{h}: {} dash strokes",
            strokes.len()
        );
        let panel = [
            c.x(MAP_PANEL[0]),
            c.y(MAP_PANEL[1]),
            c.x(MAP_PANEL[0] + MAP_PANEL[2]),
            c.y(MAP_PANEL[1] + MAP_PANEL[3]),
        ];
        for s in &strokes {
            for p in s.iter() {
                assert!(
                    p[0] >= panel[0] - 7.0 * c.s
                        && p[0] <= panel[2] + 7.0 * c.s
                        && p[1] >= panel[1] - 7.0 * c.s
                        && p[1] <= panel[3] + 7.0 * c.s,
                    "{p:?} outside the panel"
                );
            }
        }
        // Dashes are filled too (thin polygons in the border colour), and 西沙's islands are
        // China's land.
        assert!(rest
            .prims
            .iter()
            .any(|p| matches!(p, Prim::Polygon { color, .. } if *color == style::COUNTRY_LINE)));
        assert!(rest
            .prims
            .iter()
            .any(|p| matches!(p, Prim::Polygon { color, .. } if *color == style::CHINA_LAND)));
        assert!(inset_label(&rest).is_none(), "a regional view has no inset");
    }
}

#[test]
fn the_national_view_shows_the_south_china_sea_in_place_without_an_inset() {
    // 0.33 s into the map scene: faded in, the camera still on the whole-country view.
    let list = map_frame(&hanyuan(), 720, 1280, 0.33);
    let strokes = dash_strokes(&list);
    assert_eq!(strokes.len(), 10, "all ten dashes, whole, in the panel");
    // The southernmost dash (曾母暗沙, lat 3.4–3.75) is inside the panel.
    let lowest = strokes
        .iter()
        .flat_map(|s| s.iter())
        .map(|p| p[1])
        .fold(f32::MIN, f32::max);
    assert!(
        lowest < MAP_PANEL[1] + MAP_PANEL[3],
        "lowest dash at y {lowest}"
    );
    assert!(inset_label(&list).is_none());
    // The island groups show as dots at this scale.
    assert!(list.prims.iter().any(|p| matches!(
        p,
        Prim::Circle { stroke: None, color, .. } if *color == style::PROVINCE_LINE
    )));
    let national = MapCamera {
        center: CHINA_VIEW_CENTER,
        km_per_unit: CHINA_VIEW_KM_PER_UNIT,
    };
    assert_eq!(south_china_sea_inset(assets(), national, MAP_PANEL), None);
}

fn inside(inner: [f32; 4], outer: [f32; 4]) -> bool {
    inner[0] >= outer[0]
        && inner[1] >= outer[1]
        && inner[0] + inner[2] <= outer[0] + outer[2]
        && inner[1] + inner[3] <= outer[1] + outer[3]
}

#[test]
fn the_inset_appears_when_china_is_whole_but_the_sea_is_not() {
    // The whole country with the centre 5° further north: the southern dashes leave the panel.
    let north = MapCamera {
        center: (CHINA_VIEW_CENTER.0, CHINA_VIEW_CENTER.1 + 5.0),
        km_per_unit: CHINA_VIEW_KM_PER_UNIT,
    };
    let inset = south_china_sea_inset(assets(), north, MAP_PANEL).expect("an inset");
    assert!(inside(inset.rect, MAP_PANEL), "{inset:?}");
    assert!(inside(inset.rect, Canvas::safe_units()));
    assert!(inset.rect[1] + inset.rect[3] < SUBTITLE_TOP && SUBTITLE_TOP < DESIGN_H);
    // Lower right of the panel.
    assert!(inset.rect[0] > MAP_PANEL[0] + MAP_PANEL[2] / 2.0);
    assert!(inset.rect[1] > MAP_PANEL[1] + MAP_PANEL[3] / 2.0);
    // Zoomed in (any bulletin's resting view) or without the dash data: none.
    let close = MapCamera {
        center: (104.0, 38.0),
        km_per_unit: 2.0,
    };
    assert_eq!(south_china_sea_inset(assets(), close, MAP_PANEL), None);
    let mut bare = Assets {
        map: assets().map.clone(),
        ..Default::default()
    };
    bare.map
        .layers
        .retain(|l| l.kind != Some(LayerKind::Dashes) && l.kind != Some(LayerKind::Islands));
    assert_eq!(south_china_sea_inset(&bare, north, MAP_PANEL), None);
}

#[test]
fn flight_frames_do_not_flash_an_inset() {
    // An event far north: early in the flight the southern dashes leave the panel a moment
    // before the mainland does. Those frames are a move between two maps, not a held map of
    // the whole country: no inset flashes up (the rule is asked of the opening view only).
    let e = event(
        98.0,
        52.0,
        6.5,
        "俄罗斯",
        Source::Cenc,
        ReportStatus::Official,
    );
    let flight: Vec<u32> = (0..90)
        .filter(|&i| {
            let cam = quakecast_scenes::scene::camera(&e, i as f32 / 30.0);
            south_china_sea_inset(assets(), cam, MAP_PANEL).is_some()
        })
        .collect();
    assert!(
        !flight.is_empty(),
        "the rule would fire on some flight frames"
    );
    for i in flight {
        let list = map_frame(&e, 720, 1280, f64::from(i) / 30.0);
        assert!(inset_label(&list).is_none(), "frame {i}");
        assert!(
            dash_strokes(&list).len() >= 5,
            "frame {i}: the dashes stay in place"
        );
    }
}
