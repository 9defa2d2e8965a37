//! A deterministic [`TextMeasure`] for tests and for planning without a font.
use crate::TextMeasure;

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

/// Is `c` drawn one em wide (CJK ideographs, kana, hangul, CJK punctuation, full-width forms)?
pub fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F        // Hangul Jamo initials
        | 0x2E80..=0x303E      // CJK radicals, Kangxi, CJK symbols and punctuation
        | 0x3041..=0x33FF      // kana, bopomofo, CJK compatibility
        | 0x3400..=0x4DBF      // CJK extension A
        | 0x4E00..=0x9FFF      // CJK unified ideographs
        | 0xA960..=0xA97F
        | 0xAC00..=0xD7A3      // Hangul syllables
        | 0xF900..=0xFAFF      // CJK compatibility ideographs
        | 0xFE30..=0xFE4F      // CJK compatibility forms
        | 0xFF00..=0xFF60      // full-width forms
        | 0xFFE0..=0xFFE6
        | 0x20000..=0x3FFFD    // CJK extensions B and later
    )
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
