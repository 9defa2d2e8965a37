//! Resolution-independent layout: design units, the safe area, text fitting and line breaking, easing.
//!
//! Scenes are laid out on a 720 × 1280 design canvas; [`Canvas`] scales it to the output size
//! (s = width / 720 for 9:16 outputs, so 1080 × 1920 is the same picture at 1.5×). Other aspect
//! ratios get the design canvas centred and scaled to fit.
use crate::{Align, Color, Prim, Text, TextMeasure};

/// Design canvas width in units.
pub const DESIGN_W: f32 = 720.0;
/// Design canvas height in units.
pub const DESIGN_H: f32 = 1280.0;
/// Safe-area margin as a fraction of each side (title-safe area).
pub const SAFE_MARGIN: f32 = 0.06;

/// Maps design units to output pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Canvas {
    /// Pixels per design unit.
    pub s: f32,
    /// Pixel offset of the design canvas' origin (non-zero only for non-9:16 outputs).
    pub ox: f32,
    pub oy: f32,
    pub width: u32,
    pub height: u32,
}

impl Canvas {
    pub fn new(width: u32, height: u32) -> Self {
        let (w, h) = (width.max(1) as f32, height.max(1) as f32);
        let s = (w / DESIGN_W).min(h / DESIGN_H);
        Self {
            s,
            ox: (w - DESIGN_W * s) / 2.0,
            oy: (h - DESIGN_H * s) / 2.0,
            width,
            height,
        }
    }

    pub fn x(&self, u: f32) -> f32 {
        self.ox + u * self.s
    }

    pub fn y(&self, u: f32) -> f32 {
        self.oy + u * self.s
    }

    /// A length in design units → pixels.
    pub fn len(&self, u: f32) -> f32 {
        u * self.s
    }

    /// Safe area of the design canvas in units: `[x, y, w, h]`.
    pub fn safe_units() -> [f32; 4] {
        let (mx, my) = (DESIGN_W * SAFE_MARGIN, DESIGN_H * SAFE_MARGIN);
        [mx, my, DESIGN_W - 2.0 * mx, DESIGN_H - 2.0 * my]
    }

    /// Safe area of the output frame in pixels: `[x, y, w, h]` (6 % margins of the frame itself).
    pub fn safe_px(width: u32, height: u32) -> [f32; 4] {
        let (w, h) = (width as f32, height as f32);
        [
            w * SAFE_MARGIN,
            h * SAFE_MARGIN,
            w * (1.0 - 2.0 * SAFE_MARGIN),
            h * (1.0 - 2.0 * SAFE_MARGIN),
        ]
    }
}

/// Where a line break may not fall: characters that must not start a line.
fn no_line_start(c: char) -> bool {
    "，。、．：；！？）》」』】〕％,.:;!?)%".contains(c)
}

/// Characters that must not end a line.
fn no_line_end(c: char) -> bool {
    "（《「『【〔(".contains(c)
}

/// Part of a number or Latin word: never broken inside.
fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | '°' | '\'' | '/' | '_' | '&')
}

/// Units kept on the same line as the number before them ("20千米", "4.8级").
const UNITS: [&str; 11] = [
    "千米", "公里", "级", "度", "年", "月", "日", "时", "分", "秒", "米",
];

/// Splits text into unbreakable pieces: a Latin word or number (with a following unit), a single
/// CJK character (with trailing no-line-start punctuation), or a run of spaces.
fn tokens(text: &str) -> Vec<&str> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let c = text[i..].chars().next().unwrap_or(' ');
        let start = i;
        if c == ' ' {
            while i < text.len() && b[i] == b' ' {
                i += 1;
            }
        } else if is_word_char(c) {
            let mut has_digit = false;
            while let Some(c) = text[i..].chars().next() {
                if !is_word_char(c) {
                    break;
                }
                has_digit |= c.is_ascii_digit();
                i += c.len_utf8();
            }
            if has_digit {
                if let Some(u) = UNITS.iter().find(|u| text[i..].starts_with(*u)) {
                    i += u.len();
                }
            }
        } else {
            // Opening brackets stay with what follows them.
            while let Some(c) = text[i..].chars().next() {
                i += c.len_utf8();
                if !no_line_end(c) {
                    break;
                }
            }
        }
        // Closing punctuation stays with what precedes it.
        while let Some(c) = text[i..].chars().next() {
            if !no_line_start(c) || c == ' ' {
                break;
            }
            i += c.len_utf8();
        }
        out.push(&text[start..i]);
    }
    out
}

/// Most characters [`wrap`] and [`fit`] lay out; longer text is cut there and ends in `…`.
///
/// Fitting costs about characters × characters-per-line × size steps, so an unbounded string
/// (a 200 000-character region inside the 256 KiB body limit) kept a render busy for hours.
/// Intake refuses such text long before this (`quakecast_facts::event::REGION_MAX_CHARS`); the
/// bound keeps the layout itself bounded for any string it is handed.
pub const MAX_LAYOUT_CHARS: usize = 1000;

/// `text`, or its first [`MAX_LAYOUT_CHARS`] − 1 characters and `…`.
pub fn bounded(text: &str) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(MAX_LAYOUT_CHARS) {
        None => std::borrow::Cow::Borrowed(text),
        Some(_) => {
            let mut t: String = text.chars().take(MAX_LAYOUT_CHARS - 1).collect();
            t.push('…');
            std::borrow::Cow::Owned(t)
        }
    }
}

/// Break `text` into lines no wider than `max_w` at `size`. CJK breaks between any two characters
/// (respecting the usual punctuation rules), Latin text at spaces; a number stays whole with its
/// unit. A single piece wider than a line is broken between characters as a last resort, so no
/// line is ever wider than `max_w` (unless one character is).
///
/// At most [`MAX_LAYOUT_CHARS`] characters are laid out ([`bounded`]).
pub fn wrap(measure: &dyn TextMeasure, text: &str, max_w: f32, size: f32) -> Vec<String> {
    let text = bounded(text);
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for tok in tokens(&text) {
        if tok.starts_with(' ') {
            if !cur.is_empty() {
                cur.push(' ');
            }
            continue;
        }
        let trial = format!("{cur}{tok}");
        if measure.width(&trial, size) <= max_w {
            cur = trial;
            continue;
        }
        let trimmed = cur.trim_end().to_string();
        if !trimmed.is_empty() {
            lines.push(trimmed);
        }
        cur = String::new();
        if measure.width(tok, size) <= max_w {
            cur.push_str(tok);
        } else {
            for c in tok.chars() {
                let mut t = cur.clone();
                t.push(c);
                if !cur.is_empty() && measure.width(&t, size) > max_w {
                    lines.push(std::mem::take(&mut cur));
                    cur.push(c);
                } else {
                    cur = t;
                }
            }
        }
    }
    let trimmed = cur.trim_end();
    if !trimmed.is_empty() {
        lines.push(trimmed.to_string());
    }
    lines
}

/// Text fitted into a box: the size chosen and the lines.
#[derive(Clone, Debug, PartialEq)]
pub struct Fitted {
    pub size: f32,
    pub lines: Vec<String>,
}

/// Fit `text` into `max_w` × `max_lines`: first one line at `size`, shrinking down to
/// `min_size`; then wrapped lines, from `size` down; if even `min_size` needs more than
/// `max_lines` lines the size keeps shrinking until it fits. Never wider than `max_w`.
pub fn fit(
    measure: &dyn TextMeasure,
    text: &str,
    max_w: f32,
    max_lines: usize,
    size: f32,
    min_size: f32,
) -> Fitted {
    let text = &*bounded(text);
    let w = measure.width(text, size);
    if w <= max_w {
        return Fitted {
            size,
            lines: vec![text.to_string()],
        };
    }
    // Shrink on one line (widths are close to linear in size; verify and step down if not).
    let mut s = size * max_w / w;
    while s >= min_size && measure.width(text, s) > max_w {
        s *= 0.98;
    }
    if s >= min_size {
        return Fitted {
            size: s,
            lines: vec![text.to_string()],
        };
    }
    let mut s = size;
    loop {
        let lines = wrap(measure, text, max_w, s);
        if lines.len() <= max_lines.max(1) || s < 2.0 {
            return Fitted { size: s, lines };
        }
        s *= if s > min_size { 0.95 } else { 0.9 };
    }
}

/// One text line as a primitive, with `x`/`y`/`size` in design units.
pub fn text(c: &Canvas, s: &str, x: f32, y: f32, size: f32, color: Color, align: Align) -> Prim {
    Prim::Text(Text {
        text: s.to_string(),
        x: c.x(x),
        y: c.y(y),
        size: c.len(size),
        color,
        align,
    })
}

/// Fitted lines as primitives, top line at `y`, `leading` × size apart (design units).
#[allow(clippy::too_many_arguments)]
pub fn lines(
    c: &Canvas,
    f: &Fitted,
    x: f32,
    y: f32,
    leading: f32,
    color: Color,
    align: Align,
    out: &mut Vec<Prim>,
) {
    for (i, l) in f.lines.iter().enumerate() {
        out.push(text(
            c,
            l,
            x,
            y + i as f32 * f.size * leading,
            f.size,
            color,
            align,
        ));
    }
}

/// Height in design units of fitted lines at `leading`.
pub fn block_height(f: &Fitted, leading: f32) -> f32 {
    if f.lines.is_empty() {
        0.0
    } else {
        f.size * (1.0 + (f.lines.len() - 1) as f32 * leading)
    }
}

pub fn clamp01(t: f32) -> f32 {
    t.clamp(0.0, 1.0)
}

/// Progress of `t` through `[start, start + dur]`, clamped to 0..=1.
pub fn progress(t: f32, start: f32, dur: f32) -> f32 {
    if dur <= 0.0 {
        return if t >= start { 1.0 } else { 0.0 };
    }
    clamp01((t - start) / dur)
}

pub fn ease_out_cubic(t: f32) -> f32 {
    let u = 1.0 - clamp01(t);
    1.0 - u * u * u
}

pub fn ease_in_out_cubic(t: f32) -> f32 {
    let t = clamp01(t);
    if t < 0.5 {
        4.0 * t * t * t
    } else {
        let u = -2.0 * t + 2.0;
        1.0 - u * u * u / 2.0
    }
}

pub fn lerp(a: f32, b: f32, t: f32) -> f32 {
    a + (b - a) * t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FixedMeasure;

    #[test]
    fn canvas_scales_9_16() {
        let c = Canvas::new(1080, 1920);
        assert_eq!((c.s, c.ox, c.oy), (1.5, 0.0, 0.0));
        let c = Canvas::new(720, 1280);
        assert_eq!((c.s, c.ox, c.oy), (1.0, 0.0, 0.0));
        let c = Canvas::new(1280, 1280);
        assert_eq!(c.s, 1.0);
        assert_eq!(c.ox, 280.0);
    }

    #[test]
    fn layout_stays_bounded_for_any_string() {
        let m = FixedMeasure;
        for text in [
            "X".repeat(200_000),
            "震".repeat(200_000),
            "a ".repeat(100_000),
            "4.8级".repeat(40_000),
        ] {
            // (Its time is checked in tests/fuzz.rs: a pure crate reads no clock.)
            let f = fit(&m, &text, 600.0, 3, 48.0, 24.0);
            let lines = wrap(&m, &text, 600.0, 30.0);
            let shown: usize = f.lines.iter().map(|l| l.chars().count()).sum();
            assert!(shown <= MAX_LAYOUT_CHARS, "{shown}");
            assert!(
                f.lines.last().is_some_and(|l| l.ends_with('…')),
                "{:?}",
                f.lines.last()
            );
            assert!(lines.iter().all(|l| m.width(l, 30.0) <= 600.0));
        }
        assert_eq!(bounded("四川汉源"), "四川汉源");
        assert_eq!(
            bounded(&"震".repeat(MAX_LAYOUT_CHARS)).chars().count(),
            MAX_LAYOUT_CHARS
        );
    }

    #[test]
    fn tokens_keep_numbers_and_units() {
        assert_eq!(
            tokens("北纬29.67度 东经102.48度"),
            vec!["北", "纬", "29.67度", " ", "东", "经", "102.48度"]
        );
        assert_eq!(tokens("深度20千米。"), vec!["深", "度", "20千米。"]);
        assert_eq!(tokens("（北京时间）"), vec!["（北", "京", "时", "间）"]);
        assert_eq!(tokens("18 km ESE"), vec!["18", " ", "km", " ", "ESE"]);
    }

    #[test]
    fn wrap_never_overflows_and_keeps_numbers() {
        let m = FixedMeasure;
        let text = "四川雅安市汉源县发生4.8级地震，震源深度20千米";
        for max_w in [70.0, 100.0, 150.0, 233.0, 400.0] {
            let lines = wrap(&m, text, max_w, 20.0);
            assert_eq!(lines.concat(), text);
            for l in &lines {
                assert!(m.width(l, 20.0) <= max_w, "{l} wider than {max_w}");
                assert!(!l.starts_with('，'));
            }
            assert!(lines.iter().any(|l| l.contains("4.8级")), "{lines:?}");
            assert!(lines.iter().any(|l| l.contains("20千米")), "{lines:?}");
        }
    }

    #[test]
    fn wrap_latin_at_spaces_and_breaks_overlong_words() {
        let m = FixedMeasure;
        let lines = wrap(&m, "18 km ESE of Hualien City, Taiwan", 120.0, 20.0);
        assert_eq!(lines, vec!["18 km ESE", "of Hualien", "City,", "Taiwan"]);
        let lines = wrap(&m, "Llanfairpwllgwyngyll", 50.0, 20.0);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| m.width(l, 20.0) <= 50.0));
    }

    #[test]
    fn fit_shrinks_then_wraps() {
        let m = FixedMeasure;
        let f = fit(&m, "地震速报", 400.0, 2, 96.0, 60.0);
        assert_eq!((f.size, f.lines.len()), (96.0, 1));
        let f = fit(&m, "地震速报", 320.0, 2, 96.0, 60.0);
        assert_eq!(f.lines.len(), 1);
        assert!(f.size < 96.0 && f.size >= 60.0 && m.width("地震速报", f.size) <= 320.0);
        let long = "新疆维吾尔自治区克孜勒苏柯尔克孜自治州阿图什市";
        let f = fit(&m, long, 300.0, 2, 40.0, 30.0);
        assert!(f.lines.len() <= 2);
        assert!(f.lines.iter().all(|l| m.width(l, f.size) <= 300.0));
        let f = fit(&m, &long.repeat(5), 300.0, 2, 40.0, 30.0);
        assert!(f.lines.len() <= 2 && f.size < 30.0);
    }

    #[test]
    fn easing_ends() {
        for f in [ease_out_cubic, ease_in_out_cubic] {
            assert_eq!(f(0.0), 0.0);
            assert_eq!(f(1.0), 1.0);
            assert!(f(0.5) > 0.0 && f(0.5) < 1.0);
        }
        assert_eq!(progress(5.0, 1.0, 2.0), 1.0);
        assert_eq!(progress(0.0, 1.0, 2.0), 0.0);
    }
}
