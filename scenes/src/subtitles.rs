//! Subtitles: cues placed on the timeline ([`TimedCue`]), the cue on screen at a time, and the
//! SubRip and WebVTT files.
use serde::{Deserialize, Serialize};

use crate::kind::SceneKind;
use quakecast_facts::lang::Lang;

/// A cue placed on the timeline: the times are those of the measured speech, so the subtitle is
/// on screen exactly while the voice speaks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimedCue {
    pub scene: SceneKind,
    /// Start of the speech, seconds from the start of the video.
    pub start_secs: f64,
    /// End of the speech (exclusive), seconds.
    pub end_secs: f64,
    /// Subtitle lines, already broken with [`crate::linebreak::break_lines`].
    pub lines: Vec<String>,
}

/// Subtitle line length in full-width characters used for the SRT/WebVTT files; at 720 px wide
/// and a 40 px font this is the 90 % title-safe width (see [`crate::linebreak::max_chars_per_line`]).
pub const SUBTITLE_MAX_CHARS: usize = 16;

/// The cue whose speech is under way at time `t_secs`, if any (for burning subtitles in).
pub fn active_cue(cues: &[TimedCue], t_secs: f64) -> Option<&TimedCue> {
    cues.iter()
        .find(|c| c.start_secs <= t_secs && t_secs < c.end_secs)
}

fn srt_time(secs: f64) -> String {
    let ms = (secs.max(0.0) * 1000.0).round() as u64;
    format!(
        "{:02}:{:02}:{:02},{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

/// SubRip text of the cues (numbered from 1, times in milliseconds, CRLF-free).
pub fn to_srt(cues: &[TimedCue]) -> String {
    let mut out = String::new();
    for (i, c) in cues.iter().enumerate() {
        out.push_str(&format!(
            "{}\n{} --> {}\n{}\n\n",
            i + 1,
            srt_time(c.start_secs),
            srt_time(c.end_secs),
            c.lines.join("\n")
        ));
    }
    out
}

/// WebVTT text of the cues, with the language in a header comment.
pub fn to_webvtt(cues: &[TimedCue], lang: Lang) -> String {
    let mut out = format!("WEBVTT\n\nNOTE language: {}\n\n", lang.bcp47());
    for c in cues {
        out.push_str(&format!(
            "{} --> {}\n{}\n\n",
            srt_time(c.start_secs).replace(',', "."),
            srt_time(c.end_secs).replace(',', "."),
            c.lines
                .iter()
                .map(|l| l.replace('&', "&amp;").replace('<', "&lt;"))
                .collect::<Vec<_>>()
                .join("\n")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linebreak::max_chars_per_line;

    #[test]
    fn srt_and_vtt() {
        let cues = vec![
            TimedCue {
                scene: SceneKind::Header,
                start_secs: 0.4,
                end_secs: 2.0004,
                lines: vec!["中国地震台网正式测定".into()],
            },
            TimedCue {
                scene: SceneKind::Map,
                start_secs: 3661.25,
                end_secs: 3662.5,
                lines: vec!["a<b".into(), "c".into()],
            },
        ];
        assert_eq!(
            to_srt(&cues),
            "1\n00:00:00,400 --> 00:00:02,000\n中国地震台网正式测定\n\n\
             2\n01:01:01,250 --> 01:01:02,500\na<b\nc\n\n"
        );
        let vtt = to_webvtt(&cues, Lang::Zh);
        assert!(vtt.starts_with("WEBVTT\n\n"));
        assert!(vtt.contains("00:00:00.400 --> 00:00:02.000\n"));
        assert!(vtt.contains("a&lt;b\nc"));
        assert_eq!(
            active_cue(&cues, 1.0).map(|c| c.scene),
            Some(SceneKind::Header)
        );
        assert_eq!(active_cue(&cues, 2.5), None);
        assert_eq!(max_chars_per_line(720, 40.0), 16);
    }
}
