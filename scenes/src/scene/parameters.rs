//! Parameters: time, place, magnitude, depth and coordinates, each row sliding in, staggered, in
//! the bulletin's language.
use super::{rule, strip, words, Ctx, COL_W, COL_X};
use crate::layout::{block_height, ease_out_cubic, fit, lines, progress, Fitted};
use crate::phrases;
use crate::{Align, Color, Prim};
use quakecast_facts::Lang;

/// Delay before the first row, and between rows, seconds.
pub const ROW_DELAY_SECS: f32 = 0.2;
pub const ROW_STAGGER_SECS: f32 = 0.25;
/// How long a row takes to arrive, seconds.
pub const ROW_IN_SECS: f32 = 0.5;

struct Row {
    label: String,
    value: Fitted,
    color: Color,
    /// An optional smaller second line under the value (UTC time for events outside China).
    note: Option<Fitted>,
}

const LABEL_SIZE: f32 = 26.0;
const LABEL_GAP: f32 = 12.0;
const LEADING: f32 = 1.2;
const NOTE_GAP: f32 = 8.0;

fn rows(x: &Ctx) -> Vec<Row> {
    match x.lang {
        Lang::Zh => rows_zh(x),
        Lang::En => rows_en(x),
    }
}

fn rows_zh(x: &Ctx) -> Vec<Row> {
    let e = x.e;
    let m = x.m;
    let china = quakecast_facts::facts::in_china_frame(e.lon, e.lat);
    let time_label = "发震时刻（北京时间）".to_string();
    // Outside China: the local time at the epicentre and UTC under Beijing time.
    let note = (!china && !quakecast_facts::time::uses_beijing_time(e))
        .then(|| fit(m, &phrases::time_local_line_zh(e), COL_W, 1, 28.0, 20.0));
    vec![
        Row {
            label: time_label,
            value: fit(m, &phrases::time_zh(e), COL_W, 2, 46.0, 32.0),
            color: x.p.text,
            note,
        },
        Row {
            label: "参考位置".into(),
            value: fit(m, &words::place(x), COL_W, 2, 48.0, 32.0),
            color: x.p.text,
            note: None,
        },
        Row {
            label: phrases::magnitude_label_zh(e),
            value: fit(m, &phrases::magnitude_zh(e), COL_W, 1, 84.0, 48.0),
            color: x.p.accent,
            note: None,
        },
        Row {
            label: "震源深度".into(),
            value: fit(m, &phrases::depth_zh(e), COL_W, 1, 48.0, 32.0),
            color: x.p.text,
            note: None,
        },
        Row {
            label: "震中位置".into(),
            value: fit(m, &phrases::coords_zh(e), COL_W, 2, 40.0, 28.0),
            color: x.p.text,
            note: None,
        },
    ]
}

/// The English rows: the time where the bulletin gives it (Beijing time in China, the local time
/// elsewhere), always with the UTC line under it, as the English narration says both.
fn rows_en(x: &Ctx) -> Vec<Row> {
    let e = x.e;
    let m = x.m;
    let (time_label, time, utc) = words::time_rows_en(e);
    vec![
        Row {
            label: time_label,
            value: fit(m, &time, COL_W, 2, 46.0, 32.0),
            color: x.p.text,
            note: Some(fit(m, &utc, COL_W, 1, 28.0, 20.0)),
        },
        Row {
            label: "Location".into(),
            value: fit(m, &words::place(x), COL_W, 2, 48.0, 32.0),
            color: x.p.text,
            note: None,
        },
        Row {
            label: words::magnitude_label_en(e),
            value: fit(m, &phrases::magnitude_number(e), COL_W, 1, 84.0, 48.0),
            color: x.p.accent,
            note: None,
        },
        Row {
            label: "Depth".into(),
            value: fit(m, &words::depth_en(e), COL_W, 1, 48.0, 32.0),
            color: x.p.text,
            note: None,
        },
        Row {
            label: "Epicenter".into(),
            value: fit(m, &words::coords_en(e), COL_W, 2, 40.0, 28.0),
            color: x.p.text,
            note: None,
        },
    ]
}

fn row_height(r: &Row) -> f32 {
    let note = r
        .note
        .as_ref()
        .map_or(0.0, |n| NOTE_GAP + block_height(n, LEADING));
    LABEL_SIZE + LABEL_GAP + block_height(&r.value, LEADING) + note
}

pub(crate) fn draw(x: &Ctx, out: &mut Vec<Prim>) {
    let c = &x.c;
    let top = strip(x, 1.0, out) + 50.0;
    let rows = rows(x);
    // Rows share the space down to the subtitle band (y = 1060) with equal gaps, 28–56 units.
    let content: f32 = rows.iter().map(row_height).sum();
    let gap = ((1060.0 - top - content) / rows.len() as f32).clamp(28.0, 56.0);
    let mut y = top;
    for (i, r) in rows.iter().enumerate() {
        let a = ease_out_cubic(progress(
            x.t,
            ROW_DELAY_SECS + ROW_STAGGER_SECS * i as f32,
            ROW_IN_SECS,
        ));
        let h = row_height(r);
        if a > 0.0 {
            // Rise into place while fading in; widths never change, so the text stays fitted.
            let ry = y + (1.0 - a) * 28.0;
            let lab = fit(x.m, &r.label, COL_W, 1, LABEL_SIZE, 18.0);
            lines(
                c,
                &lab,
                COL_X,
                ry,
                LEADING,
                x.p.muted.fade(a),
                Align::Left,
                out,
            );
            let vy = ry + LABEL_SIZE + LABEL_GAP;
            lines(
                c,
                &r.value,
                COL_X,
                vy,
                LEADING,
                r.color.fade(a),
                Align::Left,
                out,
            );
            if let Some(n) = &r.note {
                let ny = vy + block_height(&r.value, LEADING) + NOTE_GAP;
                lines(
                    c,
                    n,
                    COL_X,
                    ny,
                    LEADING,
                    x.p.muted.fade(a),
                    Align::Left,
                    out,
                );
            }
            out.push(rule(c, COL_X, y + h + gap / 2.0, COL_W * a, x.p.rule));
        }
        y += h + gap;
    }
}
