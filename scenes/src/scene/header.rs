//! Header: the big "地震速报" title, the agency/status sub-line and a teaser (place, magnitude),
//! in the bulletin's language.
use super::{words, Ctx, COL_W};
use crate::layout::{block_height, ease_out_cubic, fit, lines, progress, DESIGN_W};
use crate::{Align, Fill, Prim};

pub(crate) fn draw(x: &Ctx, out: &mut Vec<Prim>) {
    let c = &x.c;
    let cx = DESIGN_W / 2.0;
    // The title is there from the first frame (the frame platforms use as a cover picture);
    // it only settles into place.
    let a = ease_out_cubic(progress(x.t, 0.0, 0.6));
    let title = fit(x.m, words::title(x.lang), COL_W, 1, 112.0, 64.0);
    let y0 = 380.0 + (1.0 - a) * 24.0;
    lines(c, &title, cx, y0, 1.2, x.p.text, Align::Center, out);

    let rule_y = y0 + title.size + 34.0;
    let w = 280.0 * ease_out_cubic(progress(x.t, 0.2, 0.6));
    if w > 0.5 {
        out.push(Prim::Rect {
            x: c.x(cx - w / 2.0),
            y: c.y(rule_y),
            w: c.len(w),
            h: c.len(6.0),
            radius: c.len(3.0),
            fill: Fill::Solid(x.p.accent),
        });
    }

    let a2 = ease_out_cubic(progress(x.t, 0.45, 0.5));
    let sub = fit(x.m, &words::status_line(x.e, x.lang), COL_W, 2, 40.0, 28.0);
    let sub_y = rule_y + 34.0;
    lines(
        c,
        &sub,
        cx,
        sub_y,
        1.25,
        x.p.muted.fade(a2),
        Align::Center,
        out,
    );

    let mut sub_bottom = sub_y + block_height(&sub, 1.25);
    if let Some(note) = words::revision_note(x.e, x.lang) {
        let note = fit(x.m, note, COL_W, 2, 26.0, 18.0);
        lines(
            c,
            &note,
            cx,
            sub_bottom + 16.0,
            1.25,
            x.p.warn.fade(a2),
            Align::Center,
            out,
        );
        sub_bottom += 16.0 + block_height(&note, 1.25) - 40.0;
    }
    let a3 = ease_out_cubic(progress(x.t, 0.9, 0.5));
    if a3 > 0.0 {
        let dy = (1.0 - a3) * 20.0;
        let region_y = sub_bottom + 90.0 + dy;
        let region = fit(x.m, &words::place(x), COL_W, 2, 44.0, 30.0);
        lines(
            c,
            &region,
            cx,
            region_y,
            1.25,
            x.p.text.fade(a3),
            Align::Center,
            out,
        );
        let mag = fit(x.m, &words::magnitude(x.e, x.lang), COL_W, 1, 96.0, 48.0);
        let mag_y = region_y + block_height(&region, 1.25) + 24.0;
        lines(
            c,
            &mag,
            cx,
            mag_y,
            1.2,
            x.p.accent.fade(a3),
            Align::Center,
            out,
        );
    }
}
