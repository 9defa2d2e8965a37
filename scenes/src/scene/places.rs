//! Places: a map of the nearby county seats and cities with their distances, no two labels
//! overlapping, and the list CENC states ("震中距泸定县39公里、…") beneath it, in the bulletin's
//! language (English names in pinyin for Chinese seats).
use super::map::{close_panel, draw_marker, open_panel, scale_bar, MapCamera};
use super::{strip, words, Ctx, COL_W, COL_X};
use crate::clip::Rect;
use crate::layout::{ease_out_cubic, fit, lines, progress, text};
use crate::{Align, Fill, Prim, Text};
use quakecast_facts::nearby::{NearPlace, PlaceKind};
use quakecast_facts::Lang;

/// The map panel, design units `[x, y, w, h]`.
pub const PLACES_PANEL: [f32; 4] = [COL_X, 140.0, COL_W, 520.0];
/// Top and bottom of the list under the panel (above the subtitle band).
const LIST_TOP: f32 = 680.0;
const LIST_BOTTOM: f32 = 1044.0;
const LABEL_SIZE: f32 = 21.0;

/// The camera: on the epicentre, wide enough for every seat named except the provincial
/// capital (which may be hundreds of kilometres off; the list states it).
pub fn places_camera(x_lon: f64, x_lat: f64, places: &[&NearPlace]) -> MapCamera {
    let reach = places
        .iter()
        .filter(|p| p.kind != PlaceKind::Capital)
        .map(|p| p.distance_km)
        .fold(30.0f64, f64::max);
    let half = f64::from(PLACES_PANEL[2].min(PLACES_PANEL[3])) / 2.0;
    MapCamera {
        center: (x_lon, x_lat),
        km_per_unit: reach * 1.2 / half,
    }
}

pub(crate) fn draw(x: &Ctx, out: &mut Vec<Prim>) {
    let c = &x.c;
    strip(x, 1.0, out);
    let Some(nearby) = x.f.nearby.as_ref() else {
        return;
    };
    let places: Vec<&NearPlace> = nearby.all().collect();
    let cam = places_camera(x.e.lon, x.e.lat, &places);
    let (view, panel) = open_panel(x, PLACES_PANEL, cam, true, out);
    let inset = c.len(4.0);
    let inside = |b: &Rect| {
        b[0] >= panel[0] + inset
            && b[2] <= panel[2] - inset
            && b[1] >= panel[1] + inset
            && b[3] <= panel[3] - inset
    };
    draw_heat(x, &view, &inside, out);
    let (mx, my) = view.project(x.e.lon, x.e.lat);
    let r = c.len(16.0);
    let mut taken: Vec<Rect> = vec![[mx as f32 - r, my as f32 - r, mx as f32 + r, my as f32 + r]];
    // Dots first: no label may cover another place's dot.
    let pts: Vec<[f32; 2]> = places
        .iter()
        .map(|p| {
            let (px, py) = view.project(p.lon, p.lat);
            [px as f32, py as f32]
        })
        .collect();
    let dot = c.len(5.0);
    for q in &pts {
        taken.push([q[0] - dot, q[1] - dot, q[0] + dot, q[1] + dot]);
    }
    taken.push(scale_bar(x, &view, panel, out));
    let size = c.len(LABEL_SIZE);
    let pad = c.len(5.0);
    for (i, (p, q)) in places.iter().zip(&pts).enumerate() {
        let a = ease_out_cubic(progress(x.t, 0.3 + 0.12 * i as f32, 0.4));
        if a <= 0.0 {
            continue;
        }
        let dot_box = [q[0] - dot, q[1] - dot, q[0] + dot, q[1] + dot];
        if !inside(&dot_box) {
            continue;
        }
        let label = format!(
            "{} {}",
            words::place_name(p, x.lang),
            words::place_km(p, x.lang)
        );
        let w = x.m.width(&label, size) + 2.0 * pad;
        let h = size + pad;
        let gap = c.len(8.0);
        // Right, left, above, below the dot: the first that is free and inside the panel.
        let candidates = [
            [q[0] + gap, q[1] - h / 2.0],
            [q[0] - gap - w, q[1] - h / 2.0],
            [q[0] - w / 2.0, q[1] - gap - h],
            [q[0] - w / 2.0, q[1] + gap],
        ];
        let own = 1 + i; // this place's dot in `taken`
        let free = |b: &Rect, taken: &[Rect]| {
            taken.iter().enumerate().all(|(k, t)| {
                k == own || !(b[0] < t[2] && t[0] < b[2] && b[1] < t[3] && t[1] < b[3])
            })
        };
        let Some(b) = candidates
            .iter()
            .map(|o| [o[0], o[1], o[0] + w, o[1] + h])
            .find(|b| inside(b) && free(b, &taken))
        else {
            continue;
        };
        taken.push(b);
        let color = match p.kind {
            PlaceKind::County | PlaceKind::Town | PlaceKind::City => x.p.text,
            PlaceKind::Prefecture | PlaceKind::Capital => x.p.warn,
        };
        out.push(Prim::Circle {
            cx: q[0],
            cy: q[1],
            r: c.len(4.5),
            stroke: None,
            color: color.fade(a),
        });
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
            x: b[0] + pad,
            y: b[1] + pad / 2.0,
            size,
            color: color.fade(a),
            align: Align::Left,
        }));
    }
    let named: Vec<&str> = places.iter().map(|p| p.name.as_str()).collect();
    let a_names = ease_out_cubic(progress(x.t, 0.3, 0.5));
    super::map::draw_county_names(x, &view, panel, a_names, &named, &mut taken, out);
    draw_marker(x, &view, out);
    close_panel(x, panel, out);
    let towns = match x.lang {
        Lang::Zh => nearby.towns_zh(),
        Lang::En => words::towns_en(nearby),
    };
    draw_list(x, &places, towns, out);
}

/// The platform-user heat layer: each cell whose outline lies inside the panel, filled with the
/// warning colour, more opaque with more users (log scale), fading in with the places.
fn draw_heat(
    x: &Ctx,
    view: &crate::projection::View,
    inside: &dyn Fn(&Rect) -> bool,
    out: &mut Vec<Prim>,
) {
    let Some(heat) = x.f.heat.as_ref() else {
        return;
    };
    let a = ease_out_cubic(progress(x.t, 0.1, 0.5));
    if a <= 0.0 {
        return;
    }
    let top = heat.cells.iter().map(|c| c.users).max().unwrap_or(1).max(2) as f64;
    for cell in &heat.cells {
        let points: Vec<[f32; 2]> = cell
            .boundary
            .iter()
            .map(|p| {
                let (px, py) = view.project(p[0], p[1]);
                [px as f32, py as f32]
            })
            .collect();
        if points.len() < 3 || !points.iter().all(|q| inside(&[q[0], q[1], q[0], q[1]])) {
            continue;
        }
        let share = ((cell.users.max(1) as f64).ln() / top.ln()).clamp(0.0, 1.0) as f32;
        out.push(Prim::Polygon {
            points,
            color: x.p.warn.fade(a * (0.12 + 0.43 * share)),
        });
    }
}

/// The list under the map: one row per place (name left, distance right), then the towns.
fn draw_list(x: &Ctx, places: &[&NearPlace], towns: Option<String>, out: &mut Vec<Prim>) {
    let c = &x.c;
    let a = ease_out_cubic(progress(x.t, 0.2, 0.5));
    let head = match x.lang {
        Lang::Zh => "震中距",
        Lang::En => "Distance from the epicenter",
    };
    let head = fit(x.m, head, COL_W, 1, 26.0, 18.0);
    lines(
        c,
        &head,
        COL_X,
        LIST_TOP,
        1.2,
        x.p.muted.fade(a),
        Align::Left,
        out,
    );
    let mut y = LIST_TOP + 40.0;
    // Under the rows: the towns, then the operator's notes on the area (weather, introduction),
    // each with its source; all fitted to their lines before the rows take what is left.
    let area = &x.f.area;
    let notes: Vec<_> = [
        x.f.heat
            .as_ref()
            .map(|h| fit(x.m, &h.legend(x.lang), COL_W, 2, 22.0, 15.0)),
        towns.map(|t| fit(x.m, &t, COL_W, 2, 22.0, 16.0)),
        area.weather_line(x.lang)
            .map(|t| fit(x.m, &t, COL_W, 2, 22.0, 16.0)),
        area.intro_line(x.lang)
            .map(|t| fit(x.m, &t, COL_W, 3, 22.0, 15.0)),
    ]
    .into_iter()
    .flatten()
    .collect();
    let towns_h: f32 = notes
        .iter()
        .map(|t| crate::layout::block_height(t, 1.25) + 12.0)
        .sum();
    let n = places.len().max(1) as f32;
    let row = ((LIST_BOTTOM - y - towns_h) / n).min(40.0);
    let size = (row * 0.72).min(28.0);
    for (i, p) in places.iter().enumerate() {
        let ai = a * ease_out_cubic(progress(x.t, 0.3 + 0.12 * i as f32, 0.4));
        let color = match p.kind {
            PlaceKind::Prefecture | PlaceKind::Capital => x.p.warn,
            _ => x.p.text,
        };
        let name = fit(
            x.m,
            &words::place_name(p, x.lang),
            COL_W * 0.7,
            1,
            size,
            size * 0.6,
        );
        lines(
            c,
            &name,
            COL_X + 4.0,
            y,
            1.0,
            color.fade(ai),
            Align::Left,
            out,
        );
        out.push(text(
            c,
            &words::place_km(p, x.lang),
            COL_X + COL_W - 4.0,
            y,
            size,
            color.fade(ai),
            Align::Right,
        ));
        out.push(super::rule(
            c,
            COL_X,
            y + row - 5.0,
            COL_W,
            x.p.rule.fade(ai),
        ));
        y += row;
    }
    let mut y = y + 8.0;
    for t in &notes {
        lines(c, t, COL_X, y, 1.25, x.p.muted.fade(a), Align::Left, out);
        y += crate::layout::block_height(t, 1.25) + 12.0;
    }
}
