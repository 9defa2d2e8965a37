//! History: recent seismicity within 200 km, as CENC states it (only with a catalogue), in the
//! bulletin's language.
use super::{strip, words, Ctx, COL_W};
use crate::layout::{block_height, ease_out_cubic, fit, lines, progress, DESIGN_W};
use crate::{Align, Prim};
use quakecast_facts::Lang;

pub(crate) fn draw(x: &Ctx, out: &mut Vec<Prim>) {
    let c = &x.c;
    strip(x, 1.0, out);
    let Some(h) = x.f.history.as_ref() else {
        return;
    };
    let cx = DESIGN_W / 2.0;
    let a = ease_out_cubic(progress(x.t, 0.1, 0.5));
    let head = match x.lang {
        Lang::Zh => format!(
            "震中周边{}公里内 · 近{}年 · {}级以上",
            h.radius_km as u32, h.years, h.min_magnitude as u32
        ),
        Lang::En => words::history_head_en(h.radius_km, h.years, h.min_magnitude),
    };
    let head = fit(x.m, &head, COL_W, 2, 30.0, 20.0);
    let mut y = 300.0;
    lines(c, &head, cx, y, 1.3, x.p.muted.fade(a), Align::Center, out);
    y += block_height(&head, 1.3) + 40.0;
    let a2 = ease_out_cubic(progress(x.t, 0.4, 0.5));
    let count = match x.lang {
        Lang::Zh => format!("{}次", h.count),
        Lang::En => words::history_count_en(h.count),
    };
    let count = fit(x.m, &count, COL_W, 1, 120.0, 60.0);
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
    y += block_height(&count, 1.1) + 70.0;
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
    let largest = fit(x.m, &largest, COL_W, 2, 34.0, 22.0);
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
    y += block_height(&largest, 1.3) + 60.0;
    let src = match x.lang {
        Lang::Zh => "据运营方提供的地震目录统计",
        Lang::En => words::HISTORY_SOURCE_EN,
    };
    let src = fit(x.m, src, COL_W, 1, 20.0, 14.0);
    lines(
        c,
        &src,
        cx,
        y.max(900.0),
        1.2,
        x.p.muted.fade(a3 * 0.8),
        Align::Center,
        out,
    );
}
