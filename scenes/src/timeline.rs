//! The pure part of a bulletin's timeline: from the measured length of each cue's speech to
//! scene lengths (every scene holds its speech with a lead-in and a tail).
use crate::kind::SceneKind;

/// Silence from a scene's start to its speech, seconds.
pub const LEAD_IN_SECS: f64 = 0.4;
/// Silence after a scene's speech before the next scene may start, seconds.
pub const TAIL_SECS: f64 = 0.6;

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
}
