//! Notes on the epicentral area from operator-configured providers (CENC's robot states them:
//! an introduction of the area and the weather there). Facts only carry the texts and where they
//! came from; reading the operator's file and asking the weather service happen in the
//! scheduler. Without a provider the notes are absent and nothing is said of them.
use serde::{Deserialize, Serialize};

use crate::lang::Lang;

/// Longest introduction kept, in characters (Mandarin; English may be 2.5× as long).
pub const INTRO_MAX_CHARS: usize = 90;
/// Longest weather line kept, in characters (Mandarin; English may be 2.5× as long).
pub const WEATHER_MAX_CHARS: usize = 40;

/// One provider's text in both languages and the provider's name (shown with it).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Note {
    pub zh: String,
    pub en: String,
    /// Who says so ("四川省地震局", "Open-Meteo"), shown after the text.
    pub source: String,
}

impl Note {
    /// The text in `lang`, or the other language's when `lang`'s is empty.
    pub fn in_lang(&self, lang: Lang) -> &str {
        let (a, b) = match lang {
            Lang::Zh => (&self.zh, &self.en),
            Lang::En => (&self.en, &self.zh),
        };
        if a.trim().is_empty() {
            b
        } else {
            a
        }
    }

    /// A note from untrusted text: control characters dropped, whitespace collapsed, each
    /// language cut to `max_chars` (English to 2.5×) with "…"; `None` when both are empty.
    pub fn clean(zh: &str, en: &str, source: &str, max_chars: usize) -> Option<Note> {
        let tidy = |s: &str, max: usize| {
            let s: String = s
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
            if s.chars().count() > max {
                let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
                t.push('…');
                t
            } else {
                s
            }
        };
        let note = Note {
            zh: tidy(zh, max_chars),
            en: tidy(en, max_chars * 5 / 2),
            source: tidy(source, 40),
        };
        (!note.zh.is_empty() || !note.en.is_empty()).then_some(note)
    }
}

/// The notes of one bulletin.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AreaNotes {
    /// The operator's introduction of the epicentral county (its county profile file).
    pub intro: Option<Note>,
    /// The weather at the epicentre (the operator's weather service, asked at intake).
    pub weather: Option<Note>,
}

impl AreaNotes {
    pub fn is_empty(&self) -> bool {
        self.intro.is_none() && self.weather.is_none()
    }

    /// "震区天气：多云，12°C（来源：…）" / "Weather there: cloudy, 12 °C (source: …)".
    pub fn weather_line(&self, lang: Lang) -> Option<String> {
        let w = self.weather.as_ref()?;
        Some(match lang {
            Lang::Zh => format!("震区天气：{}（{}）", w.in_lang(lang), w.source),
            Lang::En => format!("Weather there: {} ({})", w.in_lang(lang), w.source),
        })
    }

    /// "震区概况：…（来源：…）" / "The area: … (…)".
    pub fn intro_line(&self, lang: Lang) -> Option<String> {
        let i = self.intro.as_ref()?;
        Some(match lang {
            Lang::Zh => format!("震区概况：{}（{}）", i.in_lang(lang), i.source),
            Lang::En => format!("The area: {} ({})", i.in_lang(lang), i.source),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_are_cleaned_cut_and_fall_back_to_the_other_language() {
        let n = Note::clean("晴\u{7}，\n 12°C", "", "气象台", WEATHER_MAX_CHARS).unwrap();
        assert_eq!(n.zh, "晴 ， 12°C");
        assert_eq!(n.in_lang(Lang::En), "晴 ， 12°C");
        let long = "很".repeat(200);
        let n = Note::clean(&long, "x", "s", INTRO_MAX_CHARS).unwrap();
        assert_eq!(n.zh.chars().count(), INTRO_MAX_CHARS);
        assert!(n.zh.ends_with('…'));
        assert!(Note::clean(" ", "\t", "s", 10).is_none());
        let a = AreaNotes {
            intro: None,
            weather: Some(n),
        };
        assert!(a.weather_line(Lang::Zh).unwrap().starts_with("震区天气："));
        assert!(a.intro_line(Lang::Zh).is_none());
    }
}
