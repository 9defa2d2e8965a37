//! History: recent seismicity within 200 km, as CENC states it, in the bulletin's language: a
//! map of the counted quakes as dots sized by magnitude inside the 200 km circle, then the count,
//! the largest and the catalogue it comes from (with the magnitude it is complete from).
use super::map::{close_panel, draw_marker, draw_quake_dots, open_panel, MapCamera};
use super::{strip, words, Ctx, COL_W, COL_X};
use crate::clip::clip_polyline;
use crate::layout::{block_height, ease_out_cubic, fit, lines, progress, DESIGN_W};
use crate::projection::geodesic_circle;
use crate::{Align, Prim};
use quakecast_facts::history::History;
use quakecast_facts::Lang;

/// The map panel, design units `[x, y, w, h]`.
pub const HISTORY_PANEL: [f32; 4] = [COL_X, 140.0, COL_W, 470.0];

/// The camera: the history circle filling 88 % of the panel's half-height.
pub fn history_camera(lon: f64, lat: f64, h: &History) -> MapCamera {
    let half = f64::from(HISTORY_PANEL[2].min(HISTORY_PANEL[3])) / 2.0;
    MapCamera {
        center: (lon, lat),
        km_per_unit: h.radius_km / (half * 0.88),
    }
}

pub(crate) fn draw(x: &Ctx, out: &mut Vec<Prim>) {
    let c = &x.c;
    strip(x, 1.0, out);
    let Some(h) = x.f.history.as_ref() else {
        return;
    };
    let cam = history_camera(x.e.lon, x.e.lat, h);
    let (view, panel) = open_panel(x, HISTORY_PANEL, cam, false, out);
    let circle: Vec<[f32; 2]> = geodesic_circle(x.e.lon, x.e.lat, h.radius_km, 128)
        .into_iter()
        .map(|(lon, lat)| {
            let (px, py) = view.project(lon, lat);
            [px as f32, py as f32]
        })
        .collect();
    for run in clip_polyline(&circle, true, panel) {
        out.push(Prim::Polyline {
            points: run,
            width: c.len(1.5),
            color: x.p.ring_line.fade(0.6),
            closed: false,
        });
    }
    let grow = ease_out_cubic(progress(x.t, 0.2, 1.0));
    draw_quake_dots(x, &view, panel, grow, out);
    draw_marker(x, &view, out);
    close_panel(x, panel, out);

    let cx = DESIGN_W / 2.0;
    let a = ease_out_cubic(progress(x.t, 0.1, 0.5));
    let head = match x.lang {
        Lang::Zh => format!(
            "震中周边{}公里内 · 近{}年 · {}级以上",
            h.radius_km as u32,
            h.years,
            words::magnitude_threshold(h.min_magnitude)
        ),
        Lang::En => words::history_head_en(h.radius_km, h.years, h.min_magnitude),
    };
    let head = fit(x.m, &head, COL_W, 2, 28.0, 20.0);
    let mut y = HISTORY_PANEL[1] + HISTORY_PANEL[3] + 24.0;
    lines(c, &head, cx, y, 1.3, x.p.muted.fade(a), Align::Center, out);
    y += block_height(&head, 1.3) + 14.0;
    let a2 = ease_out_cubic(progress(x.t, 0.4, 0.5));
    let count = match x.lang {
        Lang::Zh => format!("{}次", h.count),
        Lang::En => words::history_count_en(h.count),
    };
    let count = fit(x.m, &count, COL_W, 1, 96.0, 56.0);
    lines(
        c,
        &count,
        cx,
        y,
        1.1,
        x.p.accent.fade(a2),
        Align::Center,
        out,
    );
    y += block_height(&count, 1.1) + 20.0;
    let a3 = ease_out_cubic(progress(x.t, 0.9, 0.5));
    let largest = match (&h.largest, x.lang) {
        (_, Lang::En) => words::history_largest_en(h),
        (Some(l), Lang::Zh) if l.is_this_event => "最大地震是本次地震".to_string(),
        (Some(l), Lang::Zh) => {
            let t = quakecast_facts::time::beijing_time_of(l.event.time);
            format!(
                "最大地震：{}年{}月{}日 {:.1}级，距本次震中{}公里",
                t.format("%Y"),
                t.format("%-m"),
                t.format("%-d"),
                l.event.magnitude,
                l.distance_km.round() as u32
            )
        }
        (None, Lang::Zh) => "此范围内无记录".to_string(),
    };
    let largest = fit(x.m, &largest, COL_W, 2, 32.0, 22.0);
    lines(
        c,
        &largest,
        cx,
        y,
        1.3,
        x.p.text.fade(a3),
        Align::Center,
        out,
    );
    y += block_height(&largest, 1.3) + 22.0;
    let mut src = match x.lang {
        Lang::Zh => h.source_zh(),
        Lang::En => h.source_en(),
    };
    if let Some(end) = h.ends {
        src.push_str(&match x.lang {
            Lang::Zh => format!("，目录截至{}", end.format("%Y-%m-%d")),
            Lang::En => format!("; the catalogue ends {}", end.format("%Y-%m-%d")),
        });
    }
    let src = fit(x.m, &src, COL_W, 2, 19.0, 14.0);
    lines(
        c,
        &src,
        cx,
        y,
        1.3,
        x.p.muted.fade(a3 * 0.85),
        Align::Center,
        out,
    );
}
