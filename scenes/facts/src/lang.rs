//! Languages and scripts: the bulletin's spoken language, and which characters are CJK (wide).
//! A leaf module: no other module of the crate is used here.
use serde::{Deserialize, Serialize};

/// Spoken language of a script.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Lang {
    /// Mandarin Chinese (zh-CN), times in Beijing time.
    Zh,
    /// American English (en-US); Beijing time for China, local time elsewhere, with UTC.
    En,
}

impl Lang {
    /// BCP 47 tag, as written into WebVTT headers and sent to HTTP voices.
    pub fn bcp47(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en-US",
        }
    }
}

/// Is `c` a wide (CJK, full-width) character?
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x20000..=0x3FFFD)
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
