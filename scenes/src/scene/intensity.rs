//! Predicted intensity: the isoseismal rings of the intensity prediction equation on the map,
//! labelled with Roman numerals, and in words: 预计震中烈度, 有感范围 (in English "Predicted
//! intensity at the epicenter", "VI Strong", "Felt up to about … km").
use super::map::{close_panel, draw_marker, open_panel, scale_bar, MapCamera};
use super::{strip, words, Ctx, COL_W, COL_X};
use crate::clip::{clip_polygon, clip_polyline, Rect};
use crate::layout::{block_height, ease_out_cubic, fit, lines, progress, text};
use crate::projection::{destination, geodesic_circle};
use crate::{Align, Fill, Prim, Text};
use quakecast_facts::intensity::{roman, IntensitySummary, Relation, Ring};
use quakecast_facts::Lang;

/// The map panel, design units `[x, y, w, h]`.
pub const INTENSITY_PANEL: [f32; 4] = [COL_X, 140.0, COL_W, 580.0];
const RING_POINTS: usize = 96;
const NUMERAL_SIZE: f32 = 22.0;

/// The camera: on the epicentre, the outermost ring (or the felt radius, when no ring is drawn)
/// filling 80 % of the panel's half-size.
pub fn intensity_camera(lon: f64, lat: f64, s: &IntensitySummary) -> MapCamera {
    let outer = s
        .rings
        .last()
        .map_or(s.felt_radius_km, |r| r.radius_km.max(r.long_km))
        .max(10.0);
    let half = f64::from(INTENSITY_PANEL[2].min(INTENSITY_PANEL[3])) / 2.0;
    MapCamera {
        center: (lon, lat),
        km_per_unit: outer / (half * 0.8),
    }
}

/// The semi-axes of `ring` (km): the ellipse's when the summary is oriented, else the
/// equal-area circle's (also for facts stored before the axes were).
fn ring_axes(ring: &Ring, s: &IntensitySummary) -> (f64, f64) {
    match s.long_axis_azimuth_deg {
        Some(_) if ring.long_km > 0.0 && ring.short_km > 0.0 => (ring.long_km, ring.short_km),
        _ => (ring.radius_km, ring.radius_km),
    }
}

/// The ring's radius towards azimuth `az_deg` (clockwise from north), km.
fn ring_radius_at(ring: &Ring, s: &IntensitySummary, az_deg: f64) -> f64 {
    let (a, b) = ring_axes(ring, s);
    let phi = (az_deg - s.long_axis_azimuth_deg.unwrap_or(0.0)).to_radians();
    a * b / ((b * phi.cos()).powi(2) + (a * phi.sin()).powi(2)).sqrt()
}

/// The ring as (lon, lat) points, scaled by `grow` (0..1, the opening animation): a geodesic
/// circle, or the ellipse along the long-axis azimuth (each point at its azimuth's radius).
fn ring_outline(
    lon: f64,
    lat: f64,
    ring: &Ring,
    s: &IntensitySummary,
    grow: f64,
) -> Vec<(f64, f64)> {
    if s.long_axis_azimuth_deg.is_none() {
        return geodesic_circle(lon, lat, ring.radius_km * grow, RING_POINTS);
    }
    (0..RING_POINTS)
        .map(|i| {
            let az = 360.0 * i as f64 / RING_POINTS as f64;
            destination(lon, lat, az, ring_radius_at(ring, s, az) * grow)
        })
        .collect()
}

/// A strike (a line's direction, 0–180°) in quadrant notation from north: 30° → (30, east),
/// 170° → (10, west), 90° → (90, east).
fn strike_quadrant(az: f64) -> (i64, bool) {
    let a = az.rem_euclid(180.0).round() as i64 % 180;
    if a <= 90 {
        (a, true)
    } else {
        (180 - a, false)
    }
}

/// "北偏东30°", "北偏西10°", "南北向", "东西向".
pub fn strike_zh(az: f64) -> String {
    match strike_quadrant(az) {
        (0, _) => "南北向".to_string(),
        (90, _) => "东西向".to_string(),
        (a, true) => format!("北偏东{a}°"),
        (a, false) => format!("北偏西{a}°"),
    }
}

/// "N30°E", "N10°W", "N–S", "E–W".
pub fn strike_en(az: f64) -> String {
    match strike_quadrant(az) {
        (0, _) => "N–S".to_string(),
        (90, _) => "E–W".to_string(),
        (a, true) => format!("N{a}°E"),
        (a, false) => format!("N{a}°W"),
    }
}

/// How the rings were shaped, for the line under the basis.
fn shape_note_zh(x: &Ctx, s: &IntensitySummary) -> String {
    match (&x.f.fault, s.long_axis_azimuth_deg) {
        (Some(f), Some(az)) => format!(
            "椭圆长轴取距震中{}公里的已知活动断层走向（{}，GEM全球活动断层库）",
            f.distance_km.round() as i64,
            strike_zh(az)
        ),
        _ if s.relation.is_elliptical() => {
            "震中附近无已知活动断层，走向未知，按等面积圆绘制".to_string()
        }
        _ => String::new(),
    }
}

fn shape_note_en(x: &Ctx, s: &IntensitySummary) -> String {
    match (&x.f.fault, s.long_axis_azimuth_deg) {
        (Some(f), Some(az)) => format!(
            "Ellipses along the strike of the mapped active fault {} km away ({}, GEM Global Active Faults).",
            f.distance_km.round() as i64,
            strike_en(az)
        ),
        _ if s.relation.is_elliptical() => {
            "No mapped active fault near the epicenter: strike unknown, drawn as equal-area circles.".to_string()
        }
        _ => String::new(),
    }
}

/// "VI度区：泸定县、石棉县等5县" lines, highest ring first.
fn seat_lines_zh(s: &IntensitySummary) -> Vec<String> {
    s.seats
        .iter()
        .map(|r| {
            let mut line = format!("{}区：{}", level_zh(r.level), r.names.join("、"));
            if r.total > r.names.len() {
                line.push_str(&format!("等{}县", r.total));
            }
            line
        })
        .collect()
}

fn seat_lines_en(s: &IntensitySummary) -> Vec<String> {
    s.seats
        .iter()
        .map(|r| {
            let names: Vec<String> = r
                .names
                .iter()
                .map(|n| quakecast_facts::placename::pinyin_name(n))
                .collect();
            let mut line = format!("{}: {}", roman(r.level).unwrap_or("—"), names.join(", "));
            if r.total > r.names.len() {
                line.push_str(&format!(" and {} more", r.total - r.names.len()));
            }
            line
        })
        .collect()
}

/// The notes under the basis (ring shape, then the seats per ring) from `y` down to the
/// subtitle band, as many lines as fit.
fn draw_notes(x: &Ctx, notes: Vec<String>, mut y: f32, a: f32, out: &mut Vec<Prim>) {
    let c = &x.c;
    let bottom = super::subtitle::SUBTITLE_TOP - 8.0;
    for (i, note) in notes.iter().enumerate() {
        if note.is_empty() {
            continue;
        }
        let size = if i == 0 { 18.0 } else { 22.0 };
        let block = fit(x.m, note, COL_W, 2, size, 15.0);
        let h = block_height(&block, 1.3);
        if y + h > bottom {
            break;
        }
        let color = if i == 0 { x.p.muted } else { x.p.text };
        lines(
            c,
            &block,
            COL_X,
            y,
            1.3,
            color.fade(a * 0.9),
            Align::Left,
            out,
        );
        y += h + 8.0;
    }
}

/// "VIII度" as the bulletin writes a level.
pub fn level_zh(level: u8) -> String {
    format!("{}度", roman(level).unwrap_or("—"))
}

/// The short citation line under the numbers.
pub fn basis_zh(r: Relation) -> &'static str {
    match r {
        Relation::ChinaWest => "依据：汪素云等（2000）中国西部烈度衰减关系。预测值，以实地调查为准",
        Relation::ChinaEast => "依据：汪素云等（2000）中国东部烈度衰减关系。预测值，以实地调查为准",
        Relation::Aww2012Hypo => {
            "依据：Allen, Wald & Worden (2012) 烈度预测方程（修正麦加利烈度）。预测值，以实地调查为准"
        }
    }
}

pub(crate) fn draw(x: &Ctx, out: &mut Vec<Prim>) {
    let c = &x.c;
    strip(x, 1.0, out);
    let Some(s) = x.f.intensity.as_ref() else {
        return;
    };
    let cam = intensity_camera(x.e.lon, x.e.lat, s);
    let (view, panel) = open_panel(x, INTENSITY_PANEL, cam, true, out);
    let project = |lon: f64, lat: f64| {
        let (px, py) = view.project(lon, lat);
        [px as f32, py as f32]
    };
    // Discs from the outermost (lowest level) in, so higher levels paint over lower ones.
    let n = s.rings.len();
    for (k, ring) in s.rings.iter().rev().enumerate() {
        let grow = ease_out_cubic(progress(x.t, 0.3 + 0.25 * k as f32, 0.6));
        if grow <= 0.0 {
            continue;
        }
        let pts: Vec<[f32; 2]> = ring_outline(x.e.lon, x.e.lat, ring, s, f64::from(grow))
            .into_iter()
            .map(|(lon, lat)| project(lon, lat))
            .collect();
        let color = x.p.intensity_color(ring.level);
        let poly = clip_polygon(&pts, panel);
        if poly.len() >= 3 {
            out.push(Prim::Polygon {
                points: poly,
                color: color.fade(0.22),
            });
        }
        for run in clip_polyline(&pts, true, panel) {
            out.push(Prim::Polyline {
                points: run,
                width: c.len(2.0),
                color: color.fade(0.9 * grow),
                closed: false,
            });
        }
    }
    draw_marker(x, &view, out);
    // Numerals: on each ring's north point, or east, south, west when that is taken.
    let (mx, my) = view.project(x.e.lon, x.e.lat);
    let mr = c.len(16.0);
    let mut taken: Vec<Rect> = vec![[
        mx as f32 - mr,
        my as f32 - mr,
        mx as f32 + mr,
        my as f32 + mr,
    ]];
    taken.push(scale_bar(x, &view, panel, out));
    let size = c.len(NUMERAL_SIZE);
    let pad = c.len(5.0);
    let inset = c.len(4.0);
    for (k, ring) in s.rings.iter().rev().enumerate() {
        let a = ease_out_cubic(progress(x.t, 0.8 + 0.25 * k as f32, 0.4));
        if a <= 0.0 {
            continue;
        }
        let label = roman(ring.level).unwrap_or("").to_string();
        let w = x.m.width(&label, size) + 2.0 * pad;
        let h = size + pad;
        let spot = [0.0, 90.0, 180.0, 270.0].iter().find_map(|&az| {
            let (lon, lat) = destination(x.e.lon, x.e.lat, az, ring_radius_at(ring, s, az));
            let q = project(lon, lat);
            let b = [
                q[0] - w / 2.0,
                q[1] - h / 2.0,
                q[0] + w / 2.0,
                q[1] + h / 2.0,
            ];
            let inside = b[0] >= panel[0] + inset
                && b[2] <= panel[2] - inset
                && b[1] >= panel[1] + inset
                && b[3] <= panel[3] - inset;
            let free = taken
                .iter()
                .all(|t| !(b[0] < t[2] && t[0] < b[2] && b[1] < t[3] && t[1] < b[3]));
            (inside && free).then_some(b)
        });
        let Some(b) = spot else { continue };
        taken.push(b);
        out.push(Prim::Rect {
            x: b[0],
            y: b[1],
            w: b[2] - b[0],
            h: b[3] - b[1],
            radius: c.len(4.0),
            fill: Fill::Solid(x.p.label_bg.fade(a)),
        });
        out.push(Prim::Text(Text {
            text: label,
            x: (b[0] + b[2]) / 2.0,
            y: b[1] + pad / 2.0,
            size,
            color: x.p.intensity_color(ring.level).fade(a),
            align: Align::Center,
        }));
    }
    let _ = n;
    let a_names = ease_out_cubic(progress(x.t, 1.2, 0.5));
    if a_names > 0.0 {
        super::map::draw_county_names(x, &view, panel, a_names, &[], &mut taken, out);
    }
    close_panel(x, panel, out);
    match x.lang {
        Lang::Zh => draw_words(x, s, out),
        Lang::En => draw_words_en(x, s, out),
    }
}

/// Under the map: 预计震中烈度 VIII度, 有感范围约…公里, the basis.
fn draw_words(x: &Ctx, s: &IntensitySummary, out: &mut Vec<Prim>) {
    let c = &x.c;
    let a = ease_out_cubic(progress(x.t, 0.4, 0.5));
    let y = INTENSITY_PANEL[1] + INTENSITY_PANEL[3] + 26.0;
    let label = "预计震中烈度";
    let size = 32.0;
    out.push(text(
        c,
        label,
        COL_X,
        y + 14.0,
        size,
        x.p.muted.fade(a),
        Align::Left,
    ));
    let lw = x.m.width(label, c.len(size)) / c.s;
    let value = if s.epicentral_level >= 1 {
        level_zh(s.epicentral_level)
    } else {
        "不足I度".to_string()
    };
    out.push(text(
        c,
        &value,
        COL_X + lw + 16.0,
        y,
        52.0,
        x.p.intensity_color(s.epicentral_level.max(4)).fade(a),
        Align::Left,
    ));
    let a2 = ease_out_cubic(progress(x.t, 0.8, 0.5));
    let felt = format!("有感范围约{}公里", s.felt_radius_rounded_km());
    let felt = fit(x.m, &felt, COL_W, 1, 36.0, 24.0);
    let y2 = y + 78.0;
    lines(
        c,
        &felt,
        COL_X,
        y2,
        1.2,
        x.p.text.fade(a2),
        Align::Left,
        out,
    );
    let basis = fit(x.m, basis_zh(s.relation), COL_W, 3, 20.0, 14.0);
    let y3 = y2 + block_height(&felt, 1.2) + 22.0;
    lines(
        c,
        &basis,
        COL_X,
        y3,
        1.3,
        x.p.muted.fade(a2 * 0.9),
        Align::Left,
        out,
    );
    let a3 = ease_out_cubic(progress(x.t, 1.2, 0.5));
    let mut notes = vec![shape_note_zh(x, s)];
    notes.extend(seat_lines_zh(s));
    draw_notes(x, notes, y3 + block_height(&basis, 1.3) + 8.0, a3, out);
}

/// The English words under the map, stacked (the English label is too long to share a line with
/// the level): "Predicted intensity at the epicenter", "VI Strong", "Felt up to about … km", the
/// basis. Each line is fitted to the column; the block ends above the subtitle band.
fn draw_words_en(x: &Ctx, s: &IntensitySummary, out: &mut Vec<Prim>) {
    let c = &x.c;
    let a = ease_out_cubic(progress(x.t, 0.4, 0.5));
    let mut y = INTENSITY_PANEL[1] + INTENSITY_PANEL[3] + 22.0;
    let label = fit(
        x.m,
        "Predicted intensity at the epicenter",
        COL_W,
        1,
        28.0,
        20.0,
    );
    lines(
        c,
        &label,
        COL_X,
        y,
        1.2,
        x.p.muted.fade(a),
        Align::Left,
        out,
    );
    y += block_height(&label, 1.2) + 10.0;
    let value = fit(
        x.m,
        &words::level_en(s.epicentral_level),
        COL_W,
        1,
        52.0,
        36.0,
    );
    lines(
        c,
        &value,
        COL_X,
        y,
        1.2,
        x.p.intensity_color(s.epicentral_level.max(4)).fade(a),
        Align::Left,
        out,
    );
    y += block_height(&value, 1.2) + 18.0;
    let a2 = ease_out_cubic(progress(x.t, 0.8, 0.5));
    let felt = fit(
        x.m,
        &words::felt_en(s.felt_radius_rounded_km()),
        COL_W,
        1,
        34.0,
        24.0,
    );
    lines(c, &felt, COL_X, y, 1.2, x.p.text.fade(a2), Align::Left, out);
    y += block_height(&felt, 1.2) + 18.0;
    // Wrapped rather than shrunk to one tiny line: the English citation is long.
    let basis = fit(x.m, words::basis_en(s.relation), COL_W, 3, 20.0, 18.0);
    lines(
        c,
        &basis,
        COL_X,
        y,
        1.3,
        x.p.muted.fade(a2 * 0.9),
        Align::Left,
        out,
    );
    y += block_height(&basis, 1.3) + 8.0;
    let a3 = ease_out_cubic(progress(x.t, 1.2, 0.5));
    let mut notes = vec![shape_note_en(x, s)];
    notes.extend(seat_lines_en(s));
    draw_notes(x, notes, y, a3, out);
}

#[cfg(test)]
mod strike_tests {
    use super::*;

    #[test]
    fn strikes_in_quadrant_notation() {
        assert_eq!(strike_zh(169.6), "北偏西10°");
        assert_eq!(strike_zh(30.2), "北偏东30°");
        assert_eq!(strike_zh(0.2), "南北向");
        assert_eq!(strike_zh(179.8), "南北向");
        assert_eq!(strike_zh(90.0), "东西向");
        assert_eq!(strike_en(169.6), "N10°W");
        assert_eq!(strike_en(45.0), "N45°E");
    }
}
