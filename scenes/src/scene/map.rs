//! Map: the camera flies from the whole-country view to the epicentre and holds; land, borders,
//! provinces, geodesic distance rings and a pulsing epicentre marker, clipped to a panel.
//!
//! Every map panel draws China as its standard maps do (`docs/map.md`): the South China Sea
//! islands and the ten-dash line in place wherever the view reaches them, and a 南海诸岛 inset in
//! the panel's lower right when a held view holds the whole of China but not the South China Sea
//! ([`south_china_sea_inset`]). The portrait whole-country view holds both, so it draws them in
//! place, as the vertical edition of China's standard map (竖版) does, and needs no inset.
use super::{strip, words, Ctx, COL_W, COL_X};
use crate::clip::{clip_polygon, clip_polyline, Rect, SphereRegion};
use crate::layout::{block_height, ease_in_out_cubic, ease_out_cubic, fit, lines, progress};
use crate::phrases;
use crate::projection::{destination, geodesic_circle, slerp, unit, View, EARTH_RADIUS_KM};
use crate::{Align, Assets, Color, Event, Fill, Prim, Text};
use quakecast_facts::basemap::{LayerKind, MapLayer};
use quakecast_facts::Lang;

/// The map panel in design units: `[x, y, w, h]`.
pub const MAP_PANEL: [f32; 4] = [COL_X, 140.0, COL_W, 760.0];
/// The camera starts moving at this time into the scene…
pub const MAP_MOVE_START_SECS: f32 = 0.4;
/// …and rests on the epicentre from this time on.
pub const MAP_MOVE_END_SECS: f32 = 3.0;
/// The distance rings fade in from here (over [`RINGS_FADE_SECS`]).
pub const RINGS_IN_SECS: f32 = 3.0;
pub const RINGS_FADE_SECS: f32 = 0.5;
/// Period of the marker's expanding rings.
pub const PULSE_PERIOD_SECS: f32 = 1.0;

/// Centre and scale of the whole-China view.
pub const CHINA_VIEW_CENTER: (f64, f64) = (104.0, 33.0);
pub const CHINA_VIEW_KM_PER_UNIT: f64 = 9.0;
/// Points closer than this (design units) to the previous kept point are dropped.
///
/// Why units and not pixels (also for the level of detail): a 1080×1920 frame then draws the
/// same geometry as a 720×1280 one, scaled, so both sizes look alike and cost the same number
/// of vertices; 0.7 units is still only ~1 px at 1080.
const DECIMATE_UNITS: f32 = 0.7;
/// Points per distance ring.
const RING_POINTS: usize = 128;
/// Stroke width of the ten-dash line, design units, drawn in the border colour: it is a national
/// boundary, so heavier than the province lines (1.0); a dash is only ~2 km wide, so at bulletin
/// scales the stroke is the dash.
pub const DASH_WIDTH: f32 = 2.0;
/// An island smaller than this radius on screen (design units) is drawn as a dot of this radius,
/// so the island groups stay visible at national scale.
const ISLAND_DOT_UNITS: f32 = 1.8;

/// The 南海诸岛 inset shows this, `[lon0, lon1, lat0, lat1]` degrees: the South China Sea with
/// all ten dashes, Hainan and Taiwan, as the inset of China's standard map does.
pub const SCS_INSET_BOUNDS: [f64; 4] = [105.0, 125.0, 2.0, 25.0];
/// Height of the inset box, design units (the width follows from [`SCS_INSET_BOUNDS`]).
pub const SCS_INSET_H: f32 = 200.0;
/// Gap between the inset box and the panel's edges, design units.
const SCS_INSET_MARGIN: f32 = 10.0;
/// An inset on the map scene's opening view fades out over this long once the camera moves.
const SCS_INSET_OUT_SECS: f32 = 0.3;
/// No view below this many kilometres across can hold the whole of China: skip the test.
const CHINA_MIN_SPAN_KM: f64 = 4000.0;

/// A 南海诸岛 inset box in a map panel.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SeaInset {
    /// The box, design units `[x, y, w, h]`: the panel's lower-right corner.
    pub rect: [f32; 4],
    /// What it shows: [`SCS_INSET_BOUNDS`] fitted to the box.
    pub camera: MapCamera,
}

/// Where the camera looks: centre (lon, lat) and kilometres per design unit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MapCamera {
    pub center: (f64, f64),
    pub km_per_unit: f64,
}

/// Distance rings around the epicentre, km: wider for larger quakes.
pub fn ring_radii_km(e: &Event) -> [f64; 3] {
    if e.magnitude >= 6.0 {
        [100.0, 200.0, 400.0]
    } else {
        [50.0, 100.0, 200.0]
    }
}

fn start_camera(e: &Event) -> MapCamera {
    if quakecast_facts::facts::in_china_frame(e.lon, e.lat) {
        MapCamera {
            center: CHINA_VIEW_CENTER,
            km_per_unit: CHINA_VIEW_KM_PER_UNIT,
        }
    } else {
        // Far from China: start from a regional view around the event, same scale.
        MapCamera {
            center: (e.lon, e.lat),
            km_per_unit: CHINA_VIEW_KM_PER_UNIT,
        }
    }
}

/// The resting camera: on the epicentre, the widest ring filling 82 % of the panel's half-size.
pub fn end_camera(e: &Event) -> MapCamera {
    let half = MAP_PANEL[2].min(MAP_PANEL[3]) as f64 / 2.0;
    MapCamera {
        center: (e.lon, e.lat),
        km_per_unit: ring_radii_km(e)[2] / (half * 0.82),
    }
}

/// The camera at `t` seconds into the map scene.
///
/// Zoom is interpolated in log scale; the centre moves along the great circle so that the
/// epicentre approaches the panel centre in a straight line on screen at a steady eased pace
/// (its screen offset shrinks by the factor `1 − e`), instead of first running away from the
/// centre while the zoom races ahead, as a plain linear pan would do.
pub fn camera(e: &Event, t: f32) -> MapCamera {
    let (a, b) = (start_camera(e), end_camera(e));
    let k = f64::from(ease_in_out_cubic(progress(
        t,
        MAP_MOVE_START_SECS,
        MAP_MOVE_END_SECS - MAP_MOVE_START_SECS,
    )));
    let s = a.km_per_unit.powf(1.0 - k) * b.km_per_unit.powf(k);
    let f = (1.0 - k) * s / a.km_per_unit;
    MapCamera {
        center: slerp(b.center, a.center, f),
        km_per_unit: s,
    }
}

/// The panel in output pixels, `[x0, y0, x1, y1]`.
fn panel_px(x: &Ctx) -> Rect {
    let c = &x.c;
    let [px, py, pw, ph] = MAP_PANEL;
    [c.x(px), c.y(py), c.x(px + pw), c.y(py + ph)]
}

pub(crate) fn draw(x: &Ctx, out: &mut Vec<Prim>) {
    let c = &x.c;
    strip(x, 1.0, out);
    let panel = panel_px(x);
    let cam = camera(x.e, x.t);
    let view = View::new(
        cam.center,
        cam.km_per_unit / f64::from(c.s),
        f64::from(panel[0] + panel[2]) / 2.0,
        f64::from(panel[1] + panel[3]) / 2.0,
    );
    out.push(Prim::Clip(Some([
        panel[0],
        panel[1],
        panel[2] - panel[0],
        panel[3] - panel[1],
    ])));
    out.push(Prim::Rect {
        x: panel[0],
        y: panel[1],
        w: panel[2] - panel[0],
        h: panel[3] - panel[1],
        radius: 0.0,
        fill: Fill::Solid(x.p.sea),
    });
    draw_geography(x, &view, panel, out);
    draw_quake_dots(x, &view, panel, 1.0, out);
    // The inset belongs to the held opening view; the flight's frames are a move between two
    // maps, and testing each of them would flash a box for a few frames whenever the southern
    // dashes leave the panel a moment before the mainland does.
    let inset_alpha = 1.0 - progress(x.t, MAP_MOVE_START_SECS, SCS_INSET_OUT_SECS);
    if inset_alpha > 0.0 {
        draw_sea_inset(x, start_camera(x.e), inset_alpha, MAP_PANEL, panel, out);
    }
    let t_rings = ease_out_cubic(progress(x.t, RINGS_IN_SECS, RINGS_FADE_SECS));
    if t_rings > 0.0 {
        // Boxes already taken, so place labels do not cover the marker or the ring labels.
        let (mx, my) = view.project(x.e.lon, x.e.lat);
        let r = c.len(34.0);
        let mut taken = vec![[mx as f32 - r, my as f32 - r, mx as f32 + r, my as f32 + r]];
        draw_rings(x, &view, panel, t_rings, &mut taken, out);
        draw_places(x, &view, panel, t_rings, &mut taken, out);
        draw_county_names(x, &view, panel, t_rings, &[], &mut taken, out);
    }
    draw_marker(x, &view, out);
    out.push(Prim::Clip(None));
    // Panel frame.
    out.push(rect_outline(panel, c.len(1.5), x.p.muted.fade(0.5)));
    draw_caption(x, out);
}

/// A map panel at `panel` (design units `[x, y, w, h]`) seen by `cam`: clips to the panel, fills
/// the sea and draws the geography. Returns the view and the panel in pixels; the caller draws
/// its overlays and then [`close_panel`].
pub(crate) fn open_panel(
    x: &Ctx,
    panel: [f32; 4],
    cam: MapCamera,
    with_dots: bool,
    out: &mut Vec<Prim>,
) -> (View, Rect) {
    let c = &x.c;
    let [px, py, pw, ph] = panel;
    let rect = [c.x(px), c.y(py), c.x(px + pw), c.y(py + ph)];
    let view = View::new(
        cam.center,
        cam.km_per_unit / f64::from(c.s),
        f64::from(rect[0] + rect[2]) / 2.0,
        f64::from(rect[1] + rect[3]) / 2.0,
    );
    out.push(Prim::Clip(Some([
        rect[0],
        rect[1],
        rect[2] - rect[0],
        rect[3] - rect[1],
    ])));
    out.push(Prim::Rect {
        x: rect[0],
        y: rect[1],
        w: rect[2] - rect[0],
        h: rect[3] - rect[1],
        radius: 0.0,
        fill: Fill::Solid(x.p.sea),
    });
    draw_geography(x, &view, rect, out);
    draw_sea_inset(x, cam, 1.0, panel, rect, out);
    if with_dots {
        draw_quake_dots(x, &view, rect, 1.0, out);
    }
    (view, rect)
}

/// Where the 南海诸岛 inset goes in a map panel (`panel`, design units `[x, y, w, h]`) seen by
/// `cam`, or `None` when the view needs none.
///
/// The rule of China's standard maps: a map of the whole country shows the South China Sea
/// islands and the ten-dash line, in place when the map reaches that far south, else in a
/// lower-right inset. So there is an inset when every point of the province layer (the
/// mainland, Hainan and Taiwan) is inside the panel and some point of the dashes or islands is
/// not. `None` also when the assets lack the dashes ([`Assets::with_south_china_sea`] not
/// called). The map scene asks this of its opening view only (not of each flight frame); the
/// place and intensity panels of their fixed views.
pub fn south_china_sea_inset(assets: &Assets, cam: MapCamera, panel: [f32; 4]) -> Option<SeaInset> {
    let [px, py, pw, ph] = panel;
    if f64::from(pw.max(ph)) * cam.km_per_unit < CHINA_MIN_SPAN_KM {
        return None;
    }
    let map = &assets.map;
    let sea: Vec<&[f32; 3]> = [LayerKind::Dashes, LayerKind::Islands]
        .iter()
        .filter_map(|&k| map.layer(k)?.lods.first())
        .flat_map(|l| l.shapes.iter().flat_map(|s| &s.points))
        .collect();
    let provinces = map.layer(LayerKind::Province)?.lods.last()?;
    if sea.is_empty() || provinces.shapes.is_empty() {
        return None;
    }
    let view = View::new(
        cam.center,
        cam.km_per_unit,
        f64::from(px + pw / 2.0),
        f64::from(py + ph / 2.0),
    );
    let cu = view.center_unit();
    // Signed distance (design units) of a point inside the panel; negative outside it, and
    // very negative on the far side of the globe.
    let margin = |p: &[f32; 3]| {
        let d = cu[0] * f64::from(p[0]) + cu[1] * f64::from(p[1]) + cu[2] * f64::from(p[2]);
        if d < 0.0 {
            return f32::MIN;
        }
        let [x, y] = view.project_f32(*p);
        (x - px).min(px + pw - x).min(y - py).min(py + ph - y)
    };
    let sea_in = sea.iter().map(|p| margin(p)).fold(f32::MAX, f32::min);
    if sea_in >= 0.0 {
        return None;
    }
    let china_in = provinces
        .shapes
        .iter()
        .flat_map(|s| &s.points)
        .map(margin)
        .fold(f32::MAX, f32::min);
    if china_in < 0.0 {
        return None;
    }
    let [lon0, lon1, lat0, lat1] = SCS_INSET_BOUNDS;
    let center = ((lon0 + lon1) / 2.0, (lat0 + lat1) / 2.0);
    let h = SCS_INSET_H;
    let km_per_unit = (lat1 - lat0) * EARTH_RADIUS_KM.to_radians() / f64::from(h);
    // Width: the widest parallel of the bounds (the southern one) as the inset projects it.
    let v = View::new(center, km_per_unit, 0.0, 0.0);
    let w = [lat0, lat1]
        .iter()
        .map(|&la| (v.project(lon1, la).0 - v.project(lon0, la).0) as f32)
        .fold(0.0, f32::max)
        .ceil();
    Some(SeaInset {
        rect: [
            px + pw - SCS_INSET_MARGIN - w,
            py + ph - SCS_INSET_MARGIN - h,
            w,
            h,
        ],
        camera: MapCamera {
            center,
            km_per_unit,
        },
    })
}

/// The 南海诸岛 inset where [`south_china_sea_inset`] asks for one for `cam` over `panel` (design
/// units): its own sea, geography (so the dashes and islands at the inset's scale), frame and
/// label, at opacity `alpha`; then the clip goes back to the panel (`panel_px`, pixels).
fn draw_sea_inset(
    x: &Ctx,
    cam: MapCamera,
    alpha: f32,
    panel: [f32; 4],
    panel_px: Rect,
    out: &mut Vec<Prim>,
) {
    let Some(inset) = south_china_sea_inset(x.assets, cam, panel) else {
        return;
    };
    let c = &x.c;
    let [ix, iy, iw, ih] = inset.rect;
    let rect = [c.x(ix), c.y(iy), c.x(ix + iw), c.y(iy + ih)];
    let view = View::new(
        inset.camera.center,
        inset.camera.km_per_unit / f64::from(c.s),
        f64::from(rect[0] + rect[2]) / 2.0,
        f64::from(rect[1] + rect[3]) / 2.0,
    );
    let mut prims = vec![
        Prim::Clip(Some([
            rect[0],
            rect[1],
            rect[2] - rect[0],
            rect[3] - rect[1],
        ])),
        Prim::Rect {
            x: rect[0],
            y: rect[1],
            w: rect[2] - rect[0],
            h: rect[3] - rect[1],
            radius: 0.0,
            fill: Fill::Solid(x.p.sea),
        },
    ];
    draw_geography(x, &view, rect, &mut prims);
    let (label, size) = match x.lang {
        Lang::Zh => ("南海诸岛", c.len(16.0)),
        // Longer in English: shrunk to the box when it would not fit.
        Lang::En => {
            let f = fit(
                x.m,
                "South China Sea",
                (iw - 16.0) * c.s,
                1,
                c.len(16.0),
                c.len(10.0),
            );
            ("South China Sea", f.size)
        }
    };
    prims.push(Prim::Text(Text {
        text: label.into(),
        x: rect[2] - c.len(8.0),
        y: rect[3] - c.len(8.0) - size,
        size,
        color: x.p.text,
        align: Align::Right,
    }));
    prims.push(Prim::Clip(Some([
        panel_px[0],
        panel_px[1],
        panel_px[2] - panel_px[0],
        panel_px[3] - panel_px[1],
    ])));
    prims.push(rect_outline(rect, c.len(1.5), x.p.country_line));
    out.extend(prims.into_iter().map(|p| fade_prim(p, alpha)));
}

/// A primitive with its colours' alpha multiplied by `a`.
fn fade_prim(p: Prim, a: f32) -> Prim {
    if a >= 1.0 {
        return p;
    }
    match p {
        Prim::Rect {
            x,
            y,
            w,
            h,
            radius,
            fill,
        } => Prim::Rect {
            x,
            y,
            w,
            h,
            radius,
            fill: match fill {
                Fill::Solid(c) => Fill::Solid(c.fade(a)),
                Fill::Vertical(t, b) => Fill::Vertical(t.fade(a), b.fade(a)),
            },
        },
        Prim::Circle {
            cx,
            cy,
            r,
            stroke,
            color,
        } => Prim::Circle {
            cx,
            cy,
            r,
            stroke,
            color: color.fade(a),
        },
        Prim::Ellipse {
            cx,
            cy,
            rx,
            ry,
            angle,
            stroke,
            color,
        } => Prim::Ellipse {
            cx,
            cy,
            rx,
            ry,
            angle,
            stroke,
            color: color.fade(a),
        },
        Prim::Polyline {
            points,
            width,
            color,
            closed,
        } => Prim::Polyline {
            points,
            width,
            color: color.fade(a),
            closed,
        },
        Prim::Polygon { points, color } => Prim::Polygon {
            points,
            color: color.fade(a),
        },
        Prim::Text(t) => Prim::Text(Text {
            color: t.color.fade(a),
            ..t
        }),
        Prim::Shade {
            rect,
            cols,
            rows,
            colors,
        } => Prim::Shade {
            rect,
            cols,
            rows,
            colors: colors.into_iter().map(|c| c.fade(a)).collect(),
        },
        Prim::Clip(r) => Prim::Clip(r),
    }
}

/// A scale bar in the panel's bottom-left corner: a round length (1, 2, 5 × 10ⁿ km) of at
/// most a quarter of the panel's width, labelled "50公里". Returns its box (pixels), so labels
/// can keep clear of it.
pub(crate) fn scale_bar(x: &Ctx, view: &View, panel: Rect, out: &mut Vec<Prim>) -> Rect {
    let c = &x.c;
    let max_km = f64::from(panel[2] - panel[0]) * 0.25 * view.km_per_px;
    let mut km = 1.0;
    for m in [
        1.0, 2.0, 5.0, 10.0, 20.0, 25.0, 50.0, 100.0, 200.0, 250.0, 500.0, 1000.0, 2000.0,
    ] {
        if m <= max_km {
            km = m;
        }
    }
    let len = (km / view.km_per_px) as f32;
    let size = c.len(18.0);
    let (x0, y0) = (panel[0] + c.len(16.0), panel[3] - c.len(18.0));
    let label = match x.lang {
        Lang::Zh => format!("{km:.0}公里"),
        Lang::En => format!("{km:.0} km"),
    };
    let w = x.m.width(&label, size).max(len);
    let tick = c.len(6.0);
    let color = x.p.text.fade(0.85);
    out.push(Prim::Polyline {
        points: vec![
            [x0, y0 - tick],
            [x0, y0],
            [x0 + len, y0],
            [x0 + len, y0 - tick],
        ],
        width: c.len(2.0),
        color,
        closed: false,
    });
    out.push(Prim::Text(Text {
        text: label,
        x: x0,
        y: y0 - tick - size - c.len(2.0),
        size,
        color,
        align: Align::Left,
    }));
    [
        x0 - c.len(4.0),
        y0 - tick - size - c.len(4.0),
        x0 + w + c.len(4.0),
        y0 + c.len(4.0),
    ]
}

/// Ends a panel opened with [`open_panel`]: unclips and draws its frame.
pub(crate) fn close_panel(x: &Ctx, rect: Rect, out: &mut Vec<Prim>) {
    out.push(Prim::Clip(None));
    out.push(rect_outline(rect, x.c.len(1.5), x.p.muted.fade(0.5)));
}

/// The outline of `rect` (x0, y0, x1, y1) as a closed polyline.
fn rect_outline(rect: Rect, width: f32, color: Color) -> Prim {
    Prim::Polyline {
        points: vec![
            [rect[0], rect[1]],
            [rect[2], rect[1]],
            [rect[2], rect[3]],
            [rect[0], rect[3]],
        ],
        width,
        color,
        closed: true,
    }
}

/// Land, water holes, China's provinces, lakes and rivers (regional zooms), county and country
/// borders and faults, culled, clipped on the sphere, projected, decimated and clipped to the
/// panel (plus a margin, so clipped edges stay outside the visible panel).
fn draw_geography(x: &Ctx, view: &View, panel: Rect, out: &mut Vec<Prim>) {
    let c = &x.c;
    let margin = c.len(6.0);
    let rect = [
        panel[0] - margin,
        panel[1] - margin,
        panel[2] + margin,
        panel[3] + margin,
    ];
    let half_diag = ((panel[2] - panel[0]).hypot(panel[3] - panel[1]) / 2.0 + margin) as f64;
    let view_radius = (half_diag * view.km_per_px / EARTH_RADIUS_KM) * 1.05;
    let geo = Geo {
        view,
        region: SphereRegion::around(view, view_radius * 1.2),
        view_radius,
        s: c.s,
    };
    let map = &x.assets.map;
    let fill = |kind, color: Color, out: &mut Vec<Prim>| {
        for (pts, _) in geo.shapes(map.layer(kind), true) {
            let poly = clip_polygon(&pts, rect);
            if poly.len() >= 3 {
                out.push(Prim::Polygon {
                    points: poly,
                    color,
                });
            }
        }
    };
    let stroke = |kind, width: f32, color: Color, out: &mut Vec<Prim>| {
        // Thin detail layers (county borders, faults, rivers) take a coarser level of detail: their
        // lines are hairlines, and they would otherwise double a regional frame's vertices.
        let lod_scale = match kind {
            LayerKind::County | LayerKind::Fault | LayerKind::River => DETAIL_LOD_SCALE,
            _ => 1.0,
        };
        for (pts, closed) in geo.shapes_at(map.layer(kind), false, lod_scale) {
            for run in clip_polyline(&pts, closed, rect) {
                out.push(Prim::Polyline {
                    points: run,
                    width,
                    color,
                    closed: false,
                });
            }
        }
    };
    let km_per_unit = view.km_per_px * f64::from(c.s);
    fill(LayerKind::Land, x.p.land, out);
    fill(LayerKind::Water, x.p.sea, out);
    fill(LayerKind::Province, x.p.china_land, out);
    draw_relief(x, view, panel, out);
    // Lakes over the land and its relief (flat water), rivers over the lakes, both under the
    // borders and faults.
    let river_a = zoom_fade(km_per_unit, RIVER_MAX_KM_PER_UNIT);
    if river_a > 0.0 {
        fill(LayerKind::Lake, x.p.sea.fade(river_a), out);
        stroke(
            LayerKind::River,
            c.len(0.9),
            x.p.river_line.fade(river_a),
            out,
        );
    }
    let county_a = zoom_fade(km_per_unit, COUNTY_MAX_KM_PER_UNIT);
    if county_a > 0.0 {
        stroke(
            LayerKind::County,
            c.len(0.8),
            x.p.county_line.fade(county_a),
            out,
        );
    }
    stroke(LayerKind::Province, c.len(1.0), x.p.province_line, out);
    fill(LayerKind::Islands, x.p.china_land, out);
    stroke(LayerKind::Islands, c.len(1.0), x.p.province_line, out);
    island_dots(x, &geo, rect, out);
    fill(LayerKind::Dashes, x.p.country_line, out);
    stroke(LayerKind::Dashes, c.len(DASH_WIDTH), x.p.country_line, out);
    stroke(LayerKind::Country, c.len(1.4), x.p.country_line, out);
    let fault_a = zoom_fade(km_per_unit, FAULT_MAX_KM_PER_UNIT);
    if fault_a > 0.0 {
        stroke(
            LayerKind::Fault,
            c.len(1.6),
            x.p.fault_line.fade(fault_a),
            out,
        );
    }
}

/// Vertices of the relief grid are this many design units apart.
const RELIEF_STEP_UNITS: f32 = 10.0;
/// Vertical exaggeration of the hillshade: ETOPO5's 9 km cells flatten slopes, so the light
/// would otherwise barely change.
const RELIEF_Z_FACTOR: f64 = 8.0;
/// The light, degrees: from the north-west (the cartographic convention), 45° above the horizon.
const LIGHT_AZIMUTH_DEG: f64 = 315.0;
const LIGHT_ALTITUDE_DEG: f64 = 45.0;
/// Strongest darkening and lightening of the land by the relief (alpha of black / white).
const RELIEF_SHADOW: f32 = 0.42;
const RELIEF_LIGHT: f32 = 0.22;

/// Terrain relief over the land: a hillshade of [`crate::Assets::relief`] on a grid of
/// [`RELIEF_STEP_UNITS`], light from the north-west, as a [`Prim::Shade`] of translucent black
/// (slopes away from the light) and white (towards it), transparent over the sea and where the
/// grid has no data. Slopes come from central differences one grid step (or one DEM cell, if
/// larger) apart, so the shading is as smooth as the data and the same at both frame sizes.
fn draw_relief(x: &Ctx, view: &View, panel: Rect, out: &mut Vec<Prim>) {
    let Some(dem) = x.assets.relief.as_deref() else {
        return;
    };
    let c = &x.c;
    let step = c.len(RELIEF_STEP_UNITS);
    let (w, h) = (panel[2] - panel[0], panel[3] - panel[1]);
    let cols = (w / step).ceil() as u32 + 1;
    let rows = (h / step).ceil() as u32 + 1;
    let (sx, sy) = (w / (cols - 1) as f32, h / (rows - 1) as f32);
    let (cell_deg, _) = dem.cell_deg();
    let cell_km = cell_deg * 111.195;
    let d_km = (f64::from(step) * view.km_per_px).max(cell_km);
    let (sa, ca) = LIGHT_AZIMUTH_DEG.to_radians().sin_cos();
    let alt = LIGHT_ALTITUDE_DEG.to_radians();
    let mut colors = Vec::with_capacity((cols * rows) as usize);
    let mut any = false;
    for r in 0..rows {
        for col in 0..cols {
            let px = f64::from(panel[0] + col as f32 * sx);
            let py = f64::from(panel[1] + r as f32 * sy);
            let (lon, lat) = view.unproject(px, py);
            let shade = (|| {
                let z = dem.height_bilinear(lat, lon)?;
                if z <= 0.0 {
                    return None;
                }
                let (le, ln) = (
                    crate::projection::destination(lon, lat, 90.0, d_km),
                    crate::projection::destination(lon, lat, 0.0, d_km),
                );
                let (lw, ls) = (
                    crate::projection::destination(lon, lat, 270.0, d_km),
                    crate::projection::destination(lon, lat, 180.0, d_km),
                );
                let dzdx = (dem.height_bilinear(le.1, le.0)? - dem.height_bilinear(lw.1, lw.0)?)
                    / (2000.0 * d_km);
                let dzdy = (dem.height_bilinear(ln.1, ln.0)? - dem.height_bilinear(ls.1, ls.0)?)
                    / (2000.0 * d_km);
                let (gx, gy) = (RELIEF_Z_FACTOR * dzdx, RELIEF_Z_FACTOR * dzdy);
                // Lambert: the normal (−gx, −gy, 1) against the light (sin az·cos alt,
                // cos az·cos alt, sin alt), east and north axes.
                let dot = (-gx * sa * alt.cos() - gy * ca * alt.cos() + alt.sin())
                    / (1.0 + gx * gx + gy * gy).sqrt();
                Some(dot - alt.sin())
            })();
            let col = match shade {
                Some(s) if s < 0.0 => {
                    any = true;
                    Color::rgba(0.0, 0.0, 0.0, ((-s as f32) * 1.6).min(1.0) * RELIEF_SHADOW)
                }
                Some(s) => {
                    any = true;
                    Color::rgba(1.0, 1.0, 1.0, ((s as f32) * 2.5).min(1.0) * RELIEF_LIGHT)
                }
                None => Color::rgba(0.0, 0.0, 0.0, 0.0),
            };
            colors.push(col);
        }
    }
    if any {
        out.push(Prim::Shade {
            rect: [panel[0], panel[1], w, h],
            cols,
            rows,
            colors,
        });
    }
}

/// How much coarser the county, fault and river lines' level of detail is than the land's.
const DETAIL_LOD_SCALE: f64 = 3.0;

/// County borders are drawn at views of at most this many kilometres per design unit (a
/// 720-unit panel ≈ 1,400 km across), fading in over the last fifth.
pub const COUNTY_MAX_KM_PER_UNIT: f64 = 2.0;
/// Rivers and lakes are drawn at the same zooms as the county borders: at national views the
/// GSHHG rivers would be a dense mesh of hairlines over the provinces.
pub const RIVER_MAX_KM_PER_UNIT: f64 = COUNTY_MAX_KM_PER_UNIT;
/// Active faults are drawn at views of at most this many kilometres per design unit.
pub const FAULT_MAX_KM_PER_UNIT: f64 = 4.0;

/// Opacity of a layer drawn up to `max` km per unit: 1 below 80 % of it, 0 above it.
fn zoom_fade(km_per_unit: f64, max: f64) -> f32 {
    (((max - km_per_unit) / (0.2 * max)).clamp(0.0, 1.0)) as f32
}

/// Names of the counties in view at regional zooms, small and muted, each at the centroid of
/// its largest ring, skipping those in `skip` (already labelled), any that would overlap a
/// `taken` box or leave the panel. Fewer than [`MAX_COUNTY_LABELS`], nearest the centre first.
pub(crate) fn draw_county_names(
    x: &Ctx,
    view: &View,
    panel: Rect,
    a: f32,
    skip: &[&str],
    taken: &mut Vec<Rect>,
    out: &mut Vec<Prim>,
) {
    let c = &x.c;
    let km_per_unit = view.km_per_px * f64::from(c.s);
    let a = a * zoom_fade(km_per_unit, COUNTY_MAX_KM_PER_UNIT);
    if a <= 0.0 {
        return;
    }
    let size = c.len(COUNTY_LABEL_SIZE);
    let pad = c.len(4.0);
    let inset = c.len(6.0);
    let (w_km, h_km) = (
        f64::from(panel[2] - panel[0]) * view.km_per_px,
        f64::from(panel[3] - panel[1]) * view.km_per_px,
    );
    let (lon0, lat0) = view.center;
    let dlat = h_km / 2.0 / 111.195 + 0.05;
    let dlon = w_km / 2.0 / (111.195 * lat0.to_radians().cos().max(0.05)) + 0.05;
    let mut found: Vec<(f64, f32, f32, String)> = Vec::new();
    for county in &x.assets.regions.counties {
        let (x0, y0, x1, y1) = county.bbox;
        if x1 < lon0 - dlon || x0 > lon0 + dlon || y1 < lat0 - dlat || y0 > lat0 + dlat {
            continue;
        }
        if skip.contains(&county.name_zh.as_str()) {
            continue;
        }
        let Some((lon, lat)) = label_point(&county.rings) else {
            continue;
        };
        let (px, py) = view.project(lon, lat);
        let d = (px - view.cx).hypot(py - view.cy);
        let name = match x.lang {
            Lang::Zh => county.name_zh.clone(),
            Lang::En => quakecast_facts::placename::pinyin_name(&county.name_zh),
        };
        if name.is_empty() {
            continue;
        }
        found.push((d, px as f32, py as f32, name));
    }
    found.sort_by(|p, q| p.0.total_cmp(&q.0).then_with(|| p.3.cmp(&q.3)));
    let mut shown = 0;
    for (_, px, py, name) in found {
        if shown == MAX_COUNTY_LABELS {
            break;
        }
        let w = x.m.width(&name, size);
        let b = [px - w / 2.0, py - size / 2.0, px + w / 2.0, py + size / 2.0];
        let inside = b[0] >= panel[0] + inset
            && b[2] <= panel[2] - inset
            && b[1] >= panel[1] + inset
            && b[3] <= panel[3] - inset;
        let hit = taken.iter().any(|t| {
            b[0] < t[2] + pad && t[0] < b[2] + pad && b[1] < t[3] + pad && t[1] < b[3] + pad
        });
        if !inside || hit {
            continue;
        }
        taken.push(b);
        shown += 1;
        out.push(Prim::Text(Text {
            text: name,
            x: px,
            y: b[1],
            size,
            color: x.p.county_label.fade(a),
            align: Align::Center,
        }));
    }
}

/// The history's quakes (largest first in the facts) as discs sized by magnitude, drawn
/// smallest on top so none hides another; `grow` (0..1) brings them in, largest first.
/// Nothing without history facts or at national zooms.
pub(crate) fn draw_quake_dots(x: &Ctx, view: &View, panel: Rect, grow: f32, out: &mut Vec<Prim>) {
    let Some(h) = x.f.history.as_ref() else {
        return;
    };
    let c = &x.c;
    let a = zoom_fade(view.km_per_px * f64::from(c.s), FAULT_MAX_KM_PER_UNIT);
    if a <= 0.0 || grow <= 0.0 || h.dots.is_empty() {
        return;
    }
    let n = h.dots.len() as f32;
    for (i, d) in h.dots.iter().enumerate() {
        let appear = ((grow * n - i as f32) / 3.0).clamp(0.0, 1.0);
        if appear <= 0.0 {
            continue;
        }
        let (px, py) = view.project(d.lon, d.lat);
        let (px, py) = (px as f32, py as f32);
        if px < panel[0] || px > panel[2] || py < panel[1] || py > panel[3] {
            continue;
        }
        let r = c.len(quake_dot_radius(d.magnitude));
        out.push(Prim::Circle {
            cx: px,
            cy: py,
            r,
            stroke: None,
            color: x.p.quake_dot.fade(0.45 * a * appear),
        });
        out.push(Prim::Circle {
            cx: px,
            cy: py,
            r,
            stroke: Some(c.len(1.0)),
            color: x.p.quake_dot.fade(0.9 * a * appear),
        });
    }
}

/// Radius of a quake's disc, design units: 2.5 at M3, 3.2 more per magnitude unit, at most 24.
pub fn quake_dot_radius(magnitude: f64) -> f32 {
    (2.5 + 3.2 * (magnitude as f32 - 3.0).max(0.0)).min(24.0)
}

/// At most this many county names per panel.
pub const MAX_COUNTY_LABELS: usize = 10;
const COUNTY_LABEL_SIZE: f32 = 17.0;

/// Where a region's name goes: the area centroid of its largest ring (by the shoelace formula
/// in degrees scaled by cos φ), or `None` for degenerate rings.
fn label_point(rings: &[Vec<(f64, f64)>]) -> Option<(f64, f64)> {
    let mut best: Option<(f64, f64, f64)> = None;
    for r in rings {
        if r.len() < 3 {
            continue;
        }
        let (ox, oy) = r[0];
        let (mut a2, mut cx, mut cy) = (0.0, 0.0, 0.0);
        for i in 0..r.len() {
            let (x0, y0) = (r[i].0 - ox, r[i].1 - oy);
            let j = (i + 1) % r.len();
            let (x1, y1) = (r[j].0 - ox, r[j].1 - oy);
            let cr = x0 * y1 - x1 * y0;
            a2 += cr;
            cx += (x0 + x1) * cr;
            cy += (y0 + y1) * cr;
        }
        if a2.abs() < 1e-12 {
            continue;
        }
        let area = a2.abs() / 2.0;
        if best.is_none_or(|b| area > b.0) {
            best = Some((area, ox + cx / (3.0 * a2), oy + cy / (3.0 * a2)));
        }
    }
    best.map(|(_, x, y)| (x, y))
}

/// A dot on each island of [`LayerKind::Islands`] too small to see at this zoom, as small-scale
/// maps mark island groups.
fn island_dots(x: &Ctx, geo: &Geo, rect: Rect, out: &mut Vec<Prim>) {
    let Some(lod) = x
        .assets
        .map
        .layer(LayerKind::Islands)
        .and_then(|l| l.lods.first())
    else {
        return;
    };
    let r = x.c.len(ISLAND_DOT_UNITS);
    let cu = geo.view.center_unit();
    let px_per_rad = (EARTH_RADIUS_KM / geo.view.km_per_px) as f32;
    for s in &lod.shapes {
        let cc = s.cap_center;
        let d = (cu[0] * f64::from(cc[0]) + cu[1] * f64::from(cc[1]) + cu[2] * f64::from(cc[2]))
            .clamp(-1.0, 1.0)
            .acos();
        if d > geo.view_radius || s.cap_radius * px_per_rad >= r {
            continue;
        }
        let [cx, cy] = geo.view.project_f32(cc);
        if cx < rect[0] || cx > rect[2] || cy < rect[1] || cy > rect[3] {
            continue;
        }
        out.push(Prim::Circle {
            cx,
            cy,
            r,
            stroke: None,
            color: x.p.province_line,
        });
    }
}

/// What a frame needs to turn map shapes into screen geometry.
struct Geo<'a> {
    view: &'a View,
    /// Shapes not wholly inside this region are clipped to it on the sphere first.
    region: SphereRegion,
    /// Angular radius (radians) of a cap containing the panel: shapes whose caps miss it are
    /// skipped.
    view_radius: f64,
    /// Pixels per design unit.
    s: f32,
}

impl Geo<'_> {
    /// The shapes of a layer (at the level of detail for this zoom) that reach the view, in
    /// pixels with near-duplicate points dropped. As areas (`fill`): closed polygons; as lines:
    /// runs, each flagged closed when it is a whole ring.
    fn shapes(&self, layer: Option<&MapLayer>, fill: bool) -> Vec<(Vec<[f32; 2]>, bool)> {
        self.shapes_at(layer, fill, 1.0)
    }

    /// [`Geo::shapes`] at a level of detail `lod_scale` times coarser than the default.
    fn shapes_at(
        &self,
        layer: Option<&MapLayer>,
        fill: bool,
        lod_scale: f64,
    ) -> Vec<(Vec<[f32; 2]>, bool)> {
        let view = self.view;
        let Some(lod) =
            layer.and_then(|l| l.lod_for(view.km_per_px * f64::from(self.s) * lod_scale))
        else {
            return Vec::new();
        };
        let cu = view.center_unit();
        let dec = DECIMATE_UNITS * self.s;
        let project = |pts: &[[f32; 3]]| -> Vec<[f32; 2]> {
            let mut out: Vec<[f32; 2]> = Vec::with_capacity(pts.len());
            for p in pts {
                let q = view.project_f32(*p);
                if let Some(last) = out.last() {
                    if (q[0] - last[0]).abs() < dec && (q[1] - last[1]).abs() < dec {
                        continue;
                    }
                }
                out.push(q);
            }
            out
        };
        let mut out = Vec::new();
        for s in &lod.shapes {
            let cc = s.cap_center;
            let d =
                (cu[0] * f64::from(cc[0]) + cu[1] * f64::from(cc[1]) + cu[2] * f64::from(cc[2]))
                    .clamp(-1.0, 1.0)
                    .acos();
            if d > f64::from(s.cap_radius) + self.view_radius {
                continue;
            }
            let inside = self.region.contains_cap(cc, s.cap_radius);
            if fill {
                let pts = if inside {
                    project(&s.points)
                } else {
                    project(&self.region.clip_ring(&s.points))
                };
                if pts.len() >= 3 {
                    out.push((pts, true));
                }
            } else if inside {
                let pts = project(&s.points);
                if pts.len() >= 2 {
                    out.push((pts, s.closed));
                }
            } else {
                for run in self.region.clip_line(&s.points, s.closed) {
                    let pts = project(&run);
                    if pts.len() >= 2 {
                        out.push((pts, false));
                    }
                }
            }
        }
        out
    }
}

fn draw_rings(
    x: &Ctx,
    view: &View,
    panel: Rect,
    a: f32,
    taken: &mut Vec<Rect>,
    out: &mut Vec<Prim>,
) {
    let c = &x.c;
    let e = x.e;
    let size = 20.0;
    for r in ring_radii_km(e) {
        let pts: Vec<[f32; 2]> = geodesic_circle(e.lon, e.lat, r, RING_POINTS)
            .into_iter()
            .map(|(lon, lat)| {
                let (px, py) = view.project(lon, lat);
                [px as f32, py as f32]
            })
            .collect();
        for run in clip_polyline(&pts, true, panel) {
            out.push(Prim::Polyline {
                points: run,
                width: c.len(1.6),
                color: x.p.ring_line.fade(a),
                closed: false,
            });
        }
        // Label on the ring's northernmost point, on a dark backing.
        let (lon, lat) = destination(e.lon, e.lat, 0.0, r);
        let (px, py) = view.project(lon, lat);
        let label = match x.lang {
            Lang::Zh => format!("{r:.0}km"),
            Lang::En => format!("{r:.0} km"),
        };
        let w = x.m.width(&label, c.len(size));
        let (bw, bh) = (w + c.len(10.0), c.len(size + 6.0));
        let (bx, by) = (px as f32 - bw / 2.0, py as f32 - bh / 2.0);
        if bx < panel[0] || by < panel[1] || bx + bw > panel[2] || by + bh > panel[3] {
            continue;
        }
        taken.push([bx, by, bx + bw, by + bh]);
        out.push(Prim::Rect {
            x: bx,
            y: by,
            w: bw,
            h: bh,
            radius: c.len(4.0),
            fill: Fill::Solid(x.p.label_bg.fade(a)),
        });
        out.push(Prim::Text(Text {
            text: label,
            x: px as f32,
            y: py as f32 - c.len(size) / 2.0,
            size: c.len(size),
            color: x.p.text.fade(a),
            align: Align::Center,
        }));
    }
}

/// At most this many place labels.
pub const MAX_PLACE_LABELS: usize = 6;
const PLACE_SIZE: f32 = 22.0;

/// Labels for the largest places in view (from [`crate::Assets::places`], largest first),
/// skipping any that would overlap the marker, a ring label, another label or the panel edge.
fn draw_places(
    x: &Ctx,
    view: &View,
    panel: Rect,
    a: f32,
    taken: &mut Vec<Rect>,
    out: &mut Vec<Prim>,
) {
    let c = &x.c;
    let size = c.len(PLACE_SIZE);
    let pad = c.len(6.0);
    let inset = c.len(4.0);
    let half_diag = f64::from((panel[2] - panel[0]).hypot(panel[3] - panel[1]) / 2.0);
    let cos_reach = (half_diag * view.km_per_px / EARTH_RADIUS_KM)
        .min(1.5)
        .cos() as f32;
    let cu = view.center_unit();
    let cu = [cu[0] as f32, cu[1] as f32, cu[2] as f32];
    let overlaps = |b: &Rect, taken: &[Rect]| {
        taken.iter().any(|t| {
            b[0] < t[2] + pad && t[0] < b[2] + pad && b[1] < t[3] + pad && t[1] < b[3] + pad
        })
    };
    let mut shown = 0;
    for p in &x.assets.places {
        if shown == MAX_PLACE_LABELS {
            break;
        }
        if p.unit[0] * cu[0] + p.unit[1] * cu[1] + p.unit[2] * cu[2] < cos_reach {
            continue;
        }
        let label = match x.lang {
            Lang::Zh => p.label_zh(),
            // The GeoNames name, Latin script (pinyin in China).
            Lang::En => Some(p.name.as_str()),
        };
        let Some(label) = label else { continue };
        let [px, py] = view.project_f32(p.unit);
        let w = x.m.width(label, size);
        let gap = c.len(9.0);
        let (y0, y1) = (py - size / 2.0, py + size / 2.0);
        let right = [px - gap, y0, px + gap + w, y1];
        let left = [px - gap - w, y0, px + gap, y1];
        let fits = |b: &Rect| {
            b[0] >= panel[0] + inset
                && b[2] <= panel[2] - inset
                && b[1] >= panel[1] + inset
                && b[3] <= panel[3] - inset
        };
        let (b, align, tx) = if fits(&right) && !overlaps(&right, taken) {
            (right, Align::Left, px + gap)
        } else if fits(&left) && !overlaps(&left, taken) {
            (left, Align::Right, px - gap)
        } else {
            continue;
        };
        taken.push(b);
        shown += 1;
        out.push(Prim::Circle {
            cx: px,
            cy: py,
            r: c.len(3.5),
            stroke: None,
            color: x.p.text.fade(a * 0.9),
        });
        out.push(Prim::Text(Text {
            text: label.to_string(),
            x: tx,
            y: y0,
            size,
            color: x.p.text.fade(a * 0.85),
            align,
        }));
    }
}

/// The epicentre: a red disc ringed in white, with two rings expanding and fading each period.
pub(crate) fn draw_marker(x: &Ctx, view: &View, out: &mut Vec<Prim>) {
    let c = &x.c;
    let (px, py) = view.project_unit(unit(x.e.lon, x.e.lat));
    let (cx, cy) = (px as f32, py as f32);
    for i in 0..2 {
        let phase = (x.t / PULSE_PERIOD_SECS + 0.5 * i as f32).fract();
        let r = 10.0 + 52.0 * ease_out_cubic(phase);
        let a = (1.0 - phase).powf(1.5) * 0.9;
        out.push(Prim::Circle {
            cx,
            cy,
            r: c.len(r),
            stroke: Some(c.len(3.0)),
            color: x.p.accent.fade(a),
        });
    }
    out.push(Prim::Circle {
        cx,
        cy,
        r: c.len(11.0),
        stroke: None,
        color: x.p.text,
    });
    out.push(Prim::Circle {
        cx,
        cy,
        r: c.len(8.5),
        stroke: None,
        color: x.p.accent,
    });
}

/// Under the panel: the place, then "4.8级" in the accent colour and the depth beside it (in the
/// bulletin's language).
fn draw_caption(x: &Ctx, out: &mut Vec<Prim>) {
    let c = &x.c;
    let y = MAP_PANEL[1] + MAP_PANEL[3] + 22.0;
    let region = fit(x.m, &words::place(x), COL_W, 2, 36.0, 26.0);
    lines(c, &region, COL_X, y, 1.25, x.p.text, Align::Left, out);
    let y2 = y + block_height(&region, 1.25) + 14.0;
    let mag = words::magnitude(x.e, x.lang);
    let depth = match x.lang {
        Lang::Zh => format!("震源深度{}", phrases::depth_zh(x.e)),
        Lang::En => format!("Depth {}", words::depth_en(x.e)),
    };
    let gap = 24.0;
    let mut size = 40.0f32;
    let total = |s: f32| x.m.width(&mag, s) + gap + x.m.width(&depth, s * 0.8);
    if total(size) > COL_W {
        size *= COL_W / total(size);
        while total(size) > COL_W {
            size *= 0.98;
        }
    }
    out.push(crate::layout::text(
        c,
        &mag,
        COL_X,
        y2,
        size,
        x.p.accent,
        Align::Left,
    ));
    let dx = x.m.width(&mag, size) + gap;
    out.push(crate::layout::text(
        c,
        &depth,
        COL_X + dx,
        y2 + size * 0.2,
        size * 0.8,
        x.p.muted,
        Align::Left,
    ));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::{Canvas, DESIGN_H};
    use crate::theme::Palette;
    use crate::{FixedMeasure, ReportStatus, Source};
    use chrono::{TimeZone, Utc};
    use quakecast_facts::basemap::{MapData, Shape, CHINA_SEA_PARTS};
    use quakecast_facts::Facts;

    /// A stand-in for the province layer: one rectangle "China" (the inset test only needs
    /// its extent).
    fn rect_layer(lon: [f64; 2], lat: [f64; 2]) -> MapLayer {
        let mut ring = Vec::new();
        let n = 20;
        for i in 0..n {
            ring.push((
                lon[0] + (lon[1] - lon[0]) * f64::from(i) / f64::from(n),
                lat[0],
            ));
        }
        for i in 0..n {
            ring.push((
                lon[1],
                lat[0] + (lat[1] - lat[0]) * f64::from(i) / f64::from(n),
            ));
        }
        for i in 0..n {
            ring.push((
                lon[1] - (lon[1] - lon[0]) * f64::from(i) / f64::from(n),
                lat[1],
            ));
        }
        for i in 0..n {
            ring.push((
                lon[0],
                lat[1] - (lat[1] - lat[0]) * f64::from(i) / f64::from(n),
            ));
        }
        let f = |v: [f64; 3]| [v[0] as f32, v[1] as f32, v[2] as f32];
        let shape = Shape {
            points: ring.iter().map(|&(lo, la)| f(unit(lo, la))).collect(),
            cap_center: f(unit((lon[0] + lon[1]) / 2.0, (lat[0] + lat[1]) / 2.0)),
            cap_radius: std::f32::consts::PI,
            closed: true,
        };
        MapLayer {
            kind: Some(LayerKind::Province),
            rings: vec![],
            lods: vec![quakecast_facts::basemap::Lod {
                tolerance_deg: 0.0,
                points: shape.points.len(),
                shapes: vec![shape],
            }],
        }
    }

    /// world.zh.json in miniature: China's feature with a rectangle for every part of
    /// [`CHINA_SEA_PARTS`], at its bounding box.
    fn mini_world_zh() -> String {
        let parts: Vec<String> = CHINA_SEA_PARTS
            .iter()
            .map(|p| {
                let [a, b, c, d] = p.bbox;
                format!("[[[{a},{c}],[{b},{c}],[{b},{d}],[{a},{d}],[{a},{c}]]]")
            })
            .collect();
        format!(
            r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":
            {{"iso_a2":"CN"}},"geometry":{{"type":"MultiPolygon","coordinates":[{}]}}}}]}}"#,
            parts.join(",")
        )
    }

    fn mini_assets() -> Assets {
        Assets {
            map: MapData {
                layers: vec![rect_layer([95.0, 113.0], [32.0, 45.0])],
            },
            ..Default::default()
        }
        .with_south_china_sea(&mini_world_zh())
        .expect("the miniature decodes")
    }

    fn event_at(lon: f64, lat: f64) -> Event {
        Event {
            source: Source::Usgs,
            event_id: "t".into(),
            status: ReportStatus::Official,
            revision: 0,
            origin_time: Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap(),
            lat,
            lon,
            depth_km: 10.0,
            magnitude: 6.0,
            magnitude_type: "mww".into(),
            region: "Siberia".into(),
            revised: false,
        }
    }

    fn scene(assets: &Assets, e: &Event, t: f32, w: u32, h: u32) -> Vec<Prim> {
        let (p, f) = (Palette::default(), Facts::default());
        let x = Ctx {
            c: Canvas::new(w, h),
            m: &FixedMeasure,
            e,
            assets,
            t,
            p: &p,
            f: &f,
            lang: quakecast_facts::Lang::Zh,
        };
        let mut out = Vec::new();
        draw(&x, &mut out);
        out
    }

    fn label(out: &[Prim]) -> Option<&Text> {
        out.iter().find_map(|p| match p {
            Prim::Text(t) if t.text == "南海诸岛" => Some(t),
            _ => None,
        })
    }

    #[test]
    fn opening_view_without_the_sea_gets_the_inset() {
        let assets = mini_assets();
        // Far north of the China frame: the opening view is centred on the event, the
        // "country" is whole in it and the South China Sea is not.
        let e = event_at(104.0, 60.0);
        let inset = south_china_sea_inset(&assets, start_camera(&e), MAP_PANEL).expect("inset");
        for (w, h) in [(720, 1280), (1080, 1920)] {
            let c = Canvas::new(w, h);
            let out = scene(&assets, &e, 0.2, w, h);
            let t = label(&out).expect("the inset's label");
            assert_eq!(t.color.a, 1.0);
            let [ix, iy, iw, ih] = inset.rect;
            let r = [c.x(ix), c.y(iy), c.x(ix + iw), c.y(iy + ih)];
            // Clipped to the box, then back to the panel.
            let clips: Vec<[f32; 4]> = out
                .iter()
                .filter_map(|p| match p {
                    Prim::Clip(Some(r)) => Some(*r),
                    _ => None,
                })
                .collect();
            assert!(clips.contains(&[r[0], r[1], r[2] - r[0], r[3] - r[1]]));
            // All ten dashes, at the inset's scale, inside the box.
            let dashes: Vec<&Vec<[f32; 2]>> = out
                .iter()
                .filter_map(|p| match p {
                    Prim::Polyline {
                        points,
                        width,
                        color,
                        ..
                    } if *color == Palette::default().country_line
                        && (*width - c.len(DASH_WIDTH)).abs() < 1e-4 =>
                    {
                        Some(points)
                    }
                    _ => None,
                })
                .collect();
            assert_eq!(dashes.len(), 10, "{w}x{h}");
            for p in dashes.iter().flat_map(|d| d.iter()) {
                assert!(
                    p[0] > r[0] && p[0] < r[2] && p[1] > r[1] && p[1] < r[3],
                    "{p:?}"
                );
            }
            // Label inside the box; the box inside the panel, the safe area and above the
            // subtitle band.
            assert!(t.y >= r[1] && t.y + t.size <= r[3] && t.x <= r[2]);
            assert!(ix >= MAP_PANEL[0] && ix + iw <= MAP_PANEL[0] + MAP_PANEL[2]);
            assert!(iy >= MAP_PANEL[1] && iy + ih <= MAP_PANEL[1] + MAP_PANEL[3]);
            let safe = Canvas::safe_units();
            assert!(ix >= safe[0] && ix + iw <= safe[0] + safe[2]);
            assert!(iy + ih < super::super::SUBTITLE_TOP && super::super::SUBTITLE_TOP < DESIGN_H);
        }
        // It fades out as the camera leaves the opening view, and is gone after.
        let mid = scene(
            &assets,
            &e,
            MAP_MOVE_START_SECS + SCS_INSET_OUT_SECS / 2.0,
            720,
            1280,
        );
        let a = label(&mid).expect("fading").color.a;
        assert!(a > 0.2 && a < 0.8, "{a}");
        assert!(label(&scene(
            &assets,
            &e,
            MAP_MOVE_START_SECS + SCS_INSET_OUT_SECS,
            720,
            1280
        ))
        .is_none());
        assert!(label(&scene(&assets, &e, 5.0, 720, 1280)).is_none());
    }

    #[test]
    fn whole_country_view_with_the_sea_in_place_has_no_inset() {
        let assets = mini_assets();
        // An event in the China frame opens on the whole-country view, which reaches 曾母暗沙.
        let e = event_at(102.5, 29.7);
        let out = scene(&assets, &e, 0.2, 720, 1280);
        assert!(label(&out).is_none());
        let national = MapCamera {
            center: CHINA_VIEW_CENTER,
            km_per_unit: CHINA_VIEW_KM_PER_UNIT,
        };
        assert_eq!(south_china_sea_inset(&assets, national, MAP_PANEL), None);
    }
}
