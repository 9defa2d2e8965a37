//! A deterministic [`TextMeasure`] for tests and for planning without a font.
use crate::TextMeasure;
use quakecast_facts::lang::is_wide;

/// Fixed-advance text measure: a wide (CJK, full-width) character advances `size`, anything else
/// `0.55 × size`. Real fonts (WenQuanYi Micro Hei) come close: CJK glyphs are one em wide and
/// Latin glyphs about half an em, so layouts that fit under this model fit in production too.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FixedMeasure;

/// Advance of a narrow character, in ems.
pub const NARROW_ADVANCE: f32 = 0.55;

impl TextMeasure for FixedMeasure {
    fn width(&self, text: &str, size: f32) -> f32 {
        text.chars()
            .map(|c| {
                if is_wide(c) {
                    size
                } else {
                    NARROW_ADVANCE * size
                }
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths() {
        let m = FixedMeasure;
        assert_eq!(m.width("地震", 10.0), 20.0);
        assert!((m.width("4.8级", 10.0) - (3.0 * 5.5 + 10.0)).abs() < 1e-4);
        assert_eq!(m.width("（）：", 10.0), 30.0);
        assert_eq!(m.width("", 10.0), 0.0);
    }
}
