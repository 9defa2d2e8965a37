//! Burned-in subtitles: the cue being spoken, in a band at the bottom of the safe area.
//!
//! The band (design units `SUBTITLE_TOP`..the bottom safe margin) is kept free by every scene.
//! Lines come already broken by [`crate::linebreak::break_lines`]; each is fitted to the column
//! once more with the real measure (a proportional font can be wider than the character count
//! says), so a subtitle never leaves the safe area.
use super::{Ctx, COL_W};
use crate::layout::{fit, lines, progress, Fitted, DESIGN_H, DESIGN_W, SAFE_MARGIN};
use crate::subtitles::TimedCue;
use crate::{Align, Fill, Prim};

/// Top of the subtitle band, design units; scenes draw nothing below it.
pub const SUBTITLE_TOP: f32 = 1060.0;
/// Largest and smallest subtitle size, design units.
const SIZE: f32 = 36.0;
const MIN_SIZE: f32 = 24.0;
const LEADING: f32 = 1.3;
const PAD: f32 = 14.0;
/// Fade in/out of a subtitle, seconds.
const FADE: f32 = 0.12;
/// Lines on screen at once.
pub const PAGE_LINES: usize = 2;

/// The page of `lines` showing at fraction `f` (0..1) of the cue.
pub fn page_at(lines: &[String], f: f32) -> &[String] {
    let pages: Vec<&[String]> = lines.chunks(PAGE_LINES).collect();
    let weight = |p: &[String]| p.iter().map(|l| l.chars().count()).sum::<usize>().max(1);
    let total: usize = pages.iter().map(|p| weight(p)).sum();
    let mut acc = 0usize;
    for p in &pages {
        acc += weight(p);
        if f < acc as f32 / total as f32 {
            return p;
        }
    }
    pages.last().copied().unwrap_or(&[])
}

/// Draw `cue` as it shows `t_secs` seconds into the video (absolute time).
pub(crate) fn draw(x: &Ctx, cue: &TimedCue, t_secs: f64, out: &mut Vec<Prim>) {
    if cue.lines.is_empty() {
        return;
    }
    let c = &x.c;
    let since = (t_secs - cue.start_secs) as f32;
    let until = (cue.end_secs - t_secs) as f32;
    if since < 0.0 || until <= 0.0 {
        return;
    }
    // Fade in over FADE, and out so the cue's last frame is still half visible.
    let a = progress(since, 0.0, FADE)
        .min(progress(until, 0.0, FADE))
        .max(0.5);
    // A long cue shows as pages of PAGE_LINES lines, each on screen for its share of the
    // speech by character count (the voice reads at a steady rate).
    let page = page_at(&cue.lines, since / (since + until).max(1e-6));
    let inner_w = COL_W - 2.0 * PAD;
    // Every line at one size: the largest at which all of them fit the column.
    let size = page
        .iter()
        .map(|l| fit(x.m, l, inner_w, 1, SIZE, MIN_SIZE).size)
        .fold(SIZE, f32::min);
    let fitted_lines: Vec<String> = page
        .iter()
        .flat_map(|l| fit(x.m, l, inner_w, 2, size, MIN_SIZE).lines)
        .take(PAGE_LINES + 1)
        .collect();
    let bottom = DESIGN_H * (1.0 - SAFE_MARGIN);
    // Shrink further if the lines would not fit the band's height.
    let rows = fitted_lines.len() as f32;
    let avail = bottom - SUBTITLE_TOP - 2.0 * PAD;
    let size = size.min(avail / (1.0 + (rows - 1.0) * LEADING));
    let fitted = Fitted {
        size,
        lines: fitted_lines,
    };
    let n = fitted.lines.len() as f32;
    let block = size * (1.0 + (n - 1.0) * LEADING);
    let box_h = block + 2.0 * PAD;
    let top = (bottom - box_h).max(SUBTITLE_TOP);
    let widest = fitted
        .lines
        .iter()
        .map(|l| x.m.width(l, size))
        .fold(0.0f32, f32::max);
    let box_w = (widest + 2.0 * PAD).min(COL_W);
    let cx = DESIGN_W / 2.0;
    out.push(Prim::Rect {
        x: c.x(cx - box_w / 2.0),
        y: c.y(top),
        w: c.len(box_w),
        h: c.len(box_h),
        radius: c.len(10.0),
        fill: Fill::Solid(x.p.label_bg.fade(a)),
    });
    lines(
        c,
        &fitted,
        cx,
        top + PAD,
        LEADING,
        x.p.text.fade(a),
        Align::Center,
        out,
    );
}
