//! The pure part of a bulletin's timeline: from the measured length of each cue's speech to
//! scene lengths (every scene holds its speech with a lead-in and a tail), and from scene times
//! to where each cue's speech and subtitle go ([`place_speech`]).
//!
//! The fit of a whole bulletin to its length band (which wording, which cues unspoken) is in
//! [`crate::fit`]; the audio crate only synthesises the speech whose lengths come in here and
//! mixes it where [`place_speech`] says.
use thiserror::Error;

use crate::kind::SceneKind;
use crate::linebreak::break_lines;
use crate::subtitles::{TimedCue, SUBTITLE_MAX_CHARS};

/// Silence from a scene's start to its speech, seconds.
pub const LEAD_IN_SECS: f64 = 0.4;
/// Silence after a scene's speech before the next scene may start, seconds.
pub const TAIL_SECS: f64 = 0.6;

/// Shortest silence between one cue's speech and the next one's, seconds.
pub const MIN_GAP_SECS: f64 = 0.25;

/// A scene timeline or cue that cannot be placed (a caller's bug, not bad input).
#[derive(Clone, Debug, Error, PartialEq)]
pub enum TimelineError {
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("no span for the {0:?} scene")]
    NoSpan(SceneKind),
}

/// One cue's speech as the timeline sees it: its scene, its length in samples, its subtitle.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CueSpeech<'a> {
    pub scene: SceneKind,
    pub samples: usize,
    pub subtitle: &'a str,
}

/// Where one cue's speech goes in the mix.
#[derive(Clone, Debug, PartialEq)]
pub struct PlacedCue {
    /// Index into the cues given to [`place_speech`].
    pub cue_index: usize,
    /// First and one-past-last sample of the speech in the mix.
    pub start: usize,
    pub end: usize,
    /// The subtitle shown while it is spoken.
    pub timed: TimedCue,
    /// Speech cut off at the end of the video, seconds (0 when it fits).
    pub cut_secs: f64,
    /// Speech running past its own scene's end, seconds (0 when it fits).
    pub over_secs: f64,
}

/// The speech timeline: the cues placed, and the scenes of those dropped for want of room.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SpeechPlan {
    pub placed: Vec<PlacedCue>,
    pub dropped: Vec<SceneKind>,
}

/// Check a scene timeline `(kind, start_secs, end_secs)` against the bulletin's length.
pub fn check_scene_times(
    scenes: &[(SceneKind, f64, f64)],
    total_secs: f64,
) -> Result<(), TimelineError> {
    if !(total_secs.is_finite() && total_secs > 0.0) {
        return Err(TimelineError::Invalid {
            field: "total_secs",
            message: format!("expected a positive duration, got {total_secs}"),
        });
    }
    for &(kind, start, end) in scenes {
        if !(start.is_finite() && end.is_finite() && 0.0 <= start && start <= end) {
            return Err(TimelineError::Invalid {
                field: "scenes",
                message: format!("{kind:?} spans {start}..{end} s; expected 0 <= start <= end"),
            });
        }
    }
    Ok(())
}

/// Where each cue's speech goes: at its scene's start plus [`LEAD_IN_SECS`] (or
/// [`MIN_GAP_SECS`] after the previous cue), clipped to `total_secs`; a cue with no room left
/// is dropped. `scenes` are `(kind, start_secs, end_secs)`; every cue's scene must be among them.
/// Pure and cheap, so a farm computes the subtitle times at intake and burns them into frames
/// before any audio exists; the mixer places the speech by the same function.
pub fn place_speech(
    cues: &[CueSpeech<'_>],
    sample_rate: u32,
    scenes: &[(SceneKind, f64, f64)],
    total_secs: f64,
) -> Result<SpeechPlan, TimelineError> {
    check_scene_times(scenes, total_secs)?;
    if sample_rate == 0 {
        return Err(TimelineError::Invalid {
            field: "sample_rate",
            message: "expected a positive sample rate".into(),
        });
    }
    let sr = f64::from(sample_rate);
    let total = (total_secs * sr).round() as usize;
    let mut plan = SpeechPlan::default();
    let mut prev_end = 0usize;
    for (cue_index, cue) in cues.iter().enumerate() {
        let kind = cue.scene;
        let &(_, scene_start, scene_end) = scenes
            .iter()
            .find(|(k, _, _)| *k == kind)
            .ok_or(TimelineError::NoSpan(kind))?;
        let gap = if prev_end == 0 {
            0
        } else {
            (MIN_GAP_SECS * sr) as usize
        };
        let start = (((scene_start + LEAD_IN_SECS) * sr).round() as usize).max(prev_end + gap);
        if start >= total {
            plan.dropped.push(kind);
            continue;
        }
        let len = cue.samples;
        let end = start.saturating_add(len).min(total);
        let cut_secs = (start.saturating_add(len) - end) as f64 / sr;
        let over_secs = if cut_secs > 0.0 {
            0.0
        } else {
            (end as f64 / sr - scene_end).max(0.0)
        };
        plan.placed.push(PlacedCue {
            cue_index,
            start,
            end,
            timed: TimedCue {
                scene: kind,
                start_secs: start as f64 / sr,
                end_secs: end as f64 / sr,
                lines: break_lines(cue.subtitle, SUBTITLE_MAX_CHARS),
            },
            cut_secs,
            over_secs: if over_secs > 1e-9 { over_secs } else { 0.0 },
        });
        prev_end = end;
    }
    Ok(plan)
}

/// The minimum length in frames of each scene so that it holds its speech: lead-in
/// ([`LEAD_IN_SECS`]) + speech + tail ([`TAIL_SECS`]), rounded up to whole frames. Several
/// entries for one scene add up; scenes come out in the order of their first entry.
///
/// The storyboard takes, per scene, the larger of its own default length and this one
/// (`Storyboard::with_durations`), which keeps the timeline a pure function of the event and the
/// measured durations.
pub fn scene_min_frames(cue_secs: &[(SceneKind, f64)], fps: u32) -> Vec<(SceneKind, u32)> {
    let mut totals: Vec<(SceneKind, f64)> = Vec::new();
    for &(kind, secs) in cue_secs {
        let secs = if secs.is_finite() { secs.max(0.0) } else { 0.0 };
        match totals.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, t)) => *t += secs,
            None => totals.push((kind, secs)),
        }
    }
    totals
        .into_iter()
        .map(|(kind, secs)| {
            let need = (LEAD_IN_SECS + secs + TAIL_SECS) * f64::from(fps);
            // Tolerate float noise so that an exact frame count is not rounded up by one.
            (kind, (need - 1e-6).ceil().max(1.0) as u32)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_frames_cover_speech() {
        let got = scene_min_frames(
            &[
                (SceneKind::Header, 2.0),
                (SceneKind::Parameters, 9.95),
                (SceneKind::Header, 1.0),
                (SceneKind::Map, f64::NAN),
            ],
            30,
        );
        // Header: 0.4 + 3.0 + 0.6 = 4 s = exactly 120 frames (no float round-up).
        assert_eq!(got[0], (SceneKind::Header, 120));
        // Parameters: 10.95 s = 328.5 frames → 329.
        assert_eq!(got[1], (SceneKind::Parameters, 329));
        assert_eq!(got[2], (SceneKind::Map, 30));
        for &(k, f) in &got {
            let secs: f64 = [(SceneKind::Header, 3.0), (SceneKind::Parameters, 9.95)]
                .iter()
                .filter(|(kk, _)| *kk == k)
                .map(|(_, s)| *s)
                .sum();
            assert!(f64::from(f) / 30.0 >= secs + LEAD_IN_SECS + TAIL_SECS - 1e-9);
        }
    }

    fn cue(scene: SceneKind, secs: f64) -> CueSpeech<'static> {
        CueSpeech {
            scene,
            samples: (secs * 1000.0) as usize,
            subtitle: "字幕",
        }
    }

    #[test]
    fn speech_starts_after_the_lead_in_and_keeps_a_gap() {
        let scenes = [
            (SceneKind::Header, 0.0, 2.0),
            (SceneKind::Parameters, 2.0, 6.0),
        ];
        let plan = place_speech(
            &[cue(SceneKind::Header, 1.0), cue(SceneKind::Parameters, 1.0)],
            1000,
            &scenes,
            6.0,
        )
        .expect("placed");
        assert!(plan.dropped.is_empty());
        assert_eq!(plan.placed[0].start, 400);
        assert_eq!(plan.placed[0].end, 1400);
        assert_eq!(plan.placed[1].start, 2400);
        assert_eq!(plan.placed[1].timed.lines, vec!["字幕".to_string()]);
        // Speech longer than its scene: placed right after the previous cue's gap.
        let plan = place_speech(
            &[cue(SceneKind::Header, 2.5), cue(SceneKind::Parameters, 1.0)],
            1000,
            &scenes,
            6.0,
        )
        .expect("placed");
        assert!((plan.placed[0].over_secs - 0.9).abs() < 1e-9);
        assert_eq!(plan.placed[1].start, 2900 + 250);
    }

    #[test]
    fn speech_past_the_end_is_cut_or_dropped() {
        let scenes = [
            (SceneKind::Header, 0.0, 2.0),
            (SceneKind::Closing, 2.0, 2.0),
        ];
        let plan = place_speech(
            &[cue(SceneKind::Header, 3.0), cue(SceneKind::Closing, 1.0)],
            1000,
            &scenes,
            2.0,
        )
        .expect("placed");
        assert_eq!(plan.placed.len(), 1);
        assert!((plan.placed[0].cut_secs - 1.4).abs() < 1e-9);
        assert_eq!(plan.placed[0].end, 2000);
        assert_eq!(plan.dropped, vec![SceneKind::Closing]);
    }

    #[test]
    fn bad_timelines_are_refused() {
        let ok = [(SceneKind::Header, 0.0, 2.0)];
        assert!(place_speech(&[], 1000, &ok, f64::NAN).is_err());
        assert!(place_speech(&[], 0, &ok, 2.0).is_err());
        assert!(place_speech(&[], 1000, &[(SceneKind::Header, 3.0, 2.0)], 4.0).is_err());
        assert_eq!(
            place_speech(&[cue(SceneKind::Map, 1.0)], 1000, &ok, 2.0),
            Err(TimelineError::NoSpan(SceneKind::Map))
        );
    }
}
