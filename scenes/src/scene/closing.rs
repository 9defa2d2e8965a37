//! Closing card: source attribution, safety advice matched to the predicted shaking and the
//! time of day ([`phrases::safety_zh`], [`phrases::safety_en`]), the automatic-report caveat,
//! "quakecast", in the bulletin's language.
use super::{words, Ctx, COL_W};
use crate::layout::{block_height, ease_out_cubic, fit, lines, progress, DESIGN_W};
use crate::phrases;
use crate::{Align, Fill, Prim, ReportStatus};
use quakecast_facts::Lang;

pub(crate) fn draw(x: &Ctx, out: &mut Vec<Prim>) {
    let c = &x.c;
    let cx = DESIGN_W / 2.0;
    let a = ease_out_cubic(progress(x.t, 0.0, 0.5));
    let mut y = 420.0;
    out.push(Prim::Rect {
        x: c.x(cx - 60.0),
        y: c.y(y),
        w: c.len(120.0),
        h: c.len(6.0),
        radius: c.len(3.0),
        fill: Fill::Solid(x.p.accent.fade(a)),
    });
    y += 40.0;
    let attribution = match x.lang {
        Lang::Zh => phrases::attribution_zh(x.e),
        Lang::En => words::attribution_en(x.e),
    };
    let attribution = fit(x.m, &attribution, COL_W, 2, 38.0, 26.0);
    lines(
        c,
        &attribution,
        cx,
        y,
        1.3,
        x.p.text.fade(a),
        Align::Center,
        out,
    );
    y += block_height(&attribution, 1.3) + 56.0;

    let a2 = ease_out_cubic(progress(x.t, 0.3, 0.5));
    // English advice is about twice as long: up to four lines rather than a smaller size.
    let safety = match x.lang {
        Lang::Zh => fit(x.m, phrases::safety_zh(x.e, x.f), COL_W, 2, 34.0, 24.0),
        Lang::En => fit(x.m, phrases::safety_en(x.e, x.f), COL_W, 4, 34.0, 26.0),
    };
    lines(
        c,
        &safety,
        cx,
        y,
        1.35,
        x.p.muted.fade(a2),
        Align::Center,
        out,
    );
    y += block_height(&safety, 1.35) + 36.0;
    if x.e.status == ReportStatus::Automatic {
        let caveat = match x.lang {
            Lang::Zh => phrases::AUTOMATIC_CAVEAT_ZH,
            Lang::En => words::AUTOMATIC_CAVEAT_EN,
        };
        let caveat = fit(x.m, caveat, COL_W, 2, 30.0, 22.0);
        lines(
            c,
            &caveat,
            cx,
            y,
            1.3,
            x.p.warn.fade(a2),
            Align::Center,
            out,
        );
        y += block_height(&caveat, 1.3) + 36.0;
    }

    let a3 = ease_out_cubic(progress(x.t, 0.6, 0.5));
    let brand = fit(x.m, "quakecast", COL_W, 1, 28.0, 18.0);
    lines(
        c,
        &brand,
        cx,
        y.max(860.0),
        1.2,
        x.p.muted.fade(a3 * 0.8),
        Align::Center,
        out,
    );
    let id = fit(x.m, &x.e.event_id, COL_W, 1, 20.0, 12.0);
    lines(
        c,
        &id,
        cx,
        y.max(860.0) + 40.0,
        1.2,
        x.p.muted.fade(a3 * 0.6),
        Align::Center,
        out,
    );
}
