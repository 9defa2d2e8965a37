//! Fitting a bulletin to its magnitude band's length, purely: from the measured length of each
//! cue's speech to the storyboard's scene lengths, the wording spoken and the cues left unspoken.
//!
//! The caller measures the speech (the audio crate synthesises it); everything else is here, so
//! one bulletin's timeline is script → cue lengths → scene lengths → subtitle times and line
//! breaks in this crate ([`fit_to_speech`], then [`crate::timeline::place_speech`]).
//!
//! The candidates are tried in order, at the band's target length then at its longest length,
//! each as (full wording) → (tight wording) → (tight, the optional cues of
//! [`UNSPOKEN_FIRST`] unspoken one by one); if none fits, the must-say cues in the tight wording
//! are spoken and the bulletin is as long as they need ([`LengthLimit::OverBand`]).
use serde::{Deserialize, Serialize};

use crate::kind::SceneKind;
use crate::narration::{must_speak, Wording, UNSPOKEN_FIRST};
use crate::settings::RenderSettings;
use crate::storyboard::Storyboard;
use crate::theme::Theme;
use crate::timeline::scene_min_frames;
use quakecast_facts::{Event, Facts};

/// Shortest a scene may become when a bulletin is fitted, seconds.
pub const MIN_SCENE_SECS: f64 = 1.5;

/// Which length limit a bulletin was fitted within.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LengthLimit {
    /// The band's target length.
    Target,
    /// The band's longest length (the must-say speech needed more than the target).
    Max,
    /// Longer than the band allows: the must-say speech alone needs more (the bulletin is still
    /// made).
    OverBand,
}

/// How a bulletin's speech was fitted: the degradation steps taken, in the stated order (tight
/// wording, then low-priority cues unspoken, then the band's longest length).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FitReport {
    /// The band's (min, target, max) seconds.
    pub band_secs: (f64, f64, f64),
    pub wording: Wording,
    /// Scenes whose cue went unspoken (their text stays on screen), in the order dropped.
    pub unspoken: Vec<SceneKind>,
    pub limit: LengthLimit,
    /// The bulletin's length, seconds.
    pub secs: f64,
}

impl FitReport {
    /// Whether the fit had to degrade the bulletin (anything but the full wording at the target).
    pub fn degraded(&self) -> bool {
        self.limit != LengthLimit::Target
            || self.wording != Wording::Full
            || !self.unspoken.is_empty()
    }
}

/// A fitted storyboard (no subtitles yet) and how it was fitted.
#[derive(Clone, Debug)]
pub struct Fitted {
    pub storyboard: Storyboard,
    pub report: FitReport,
}

/// The storyboard without speech: the theme's lengths fitted to the band's target.
pub fn fit_silent(event: &Event, facts: &Facts, theme: &Theme, settings: RenderSettings) -> Fitted {
    let band = theme.lengths_for(event.magnitude);
    let (min_secs, target, _) = band;
    let storyboard = fit_storyboard(event, facts, theme, settings, &[], target, min_secs)
        .unwrap_or_else(|| Storyboard::compose(event, facts, theme, settings, &[]));
    let secs = storyboard.duration_secs();
    Fitted {
        storyboard,
        report: FitReport {
            band_secs: band,
            wording: Wording::Full,
            unspoken: Vec::new(),
            limit: LengthLimit::Target,
            secs,
        },
    }
}

/// Fit the bulletin of `event` to the speech: `speech_secs(wording)` gives the measured length
/// of every cue of `narration::script_for_wording(event, facts, theme, wording)`, in script
/// order (it is asked at most once per wording, and for the tight wording only when the full
/// one does not fit). The storyboard returned has its wording set and no subtitles; the cues of
/// `report.unspoken` are to be left out of the speech.
pub fn fit_to_speech<E>(
    event: &Event,
    facts: &Facts,
    theme: &Theme,
    settings: RenderSettings,
    mut speech_secs: impl FnMut(Wording) -> Result<Vec<(SceneKind, f64)>, E>,
) -> Result<Fitted, E> {
    let band = theme.lengths_for(event.magnitude);
    let (min_secs, target, max) = band;
    let mut measured: Vec<(Wording, Vec<(SceneKind, f64)>)> = Vec::new();
    let mut lengths = |wording: Wording| -> Result<Vec<(SceneKind, f64)>, E> {
        if let Some((_, d)) = measured.iter().find(|(w, _)| *w == wording) {
            return Ok(d.clone());
        }
        let d = speech_secs(wording)?;
        measured.push((wording, d.clone()));
        Ok(d)
    };
    let optional: Vec<SceneKind> = UNSPOKEN_FIRST
        .iter()
        .copied()
        .filter(|k| !must_speak(*k, event, facts))
        .collect();
    let mut candidates: Vec<(Wording, usize, LengthLimit, f64)> = Vec::new();
    for (limit, secs) in [(LengthLimit::Target, target), (LengthLimit::Max, max)] {
        if limit == LengthLimit::Max && max <= target {
            continue;
        }
        candidates.push((Wording::Full, 0, limit, secs));
        for dropped in 0..=optional.len() {
            candidates.push((Wording::Tight, dropped, limit, secs));
        }
    }
    let report = |storyboard: &Storyboard, wording, unspoken, limit| FitReport {
        band_secs: band,
        wording,
        unspoken,
        limit,
        secs: storyboard.duration_secs(),
    };
    for (wording, dropped, limit, secs) in candidates {
        let (spoken, unspoken) = leave_unspoken(lengths(wording)?, &optional[..dropped]);
        let min = scene_min_frames(&spoken, settings.fps);
        if let Some(mut sb) = fit_storyboard(event, facts, theme, settings, &min, secs, min_secs) {
            sb.wording = wording;
            let report = report(&sb, wording, unspoken, limit);
            return Ok(Fitted {
                storyboard: sb,
                report,
            });
        }
    }
    // The must-say cues alone are longer than the band allows: say them all the same, every
    // silent stretch at its shortest, the bulletin as long as the speech needs.
    let (spoken, unspoken) = leave_unspoken(lengths(Wording::Tight)?, &optional);
    let min = scene_min_frames(&spoken, settings.fps);
    let mut shortest = theme.clone();
    shortest
        .durations
        .values_mut()
        .for_each(|d| *d = MIN_SCENE_SECS);
    let mut sb = Storyboard {
        theme: theme.clone(),
        ..Storyboard::compose(event, facts, &shortest, settings, &min)
    };
    sb.wording = Wording::Tight;
    let report = report(&sb, Wording::Tight, unspoken, LengthLimit::OverBand);
    Ok(Fitted {
        storyboard: sb,
        report,
    })
}

/// `cues` without those of `kinds`; the kinds actually left out, in order.
fn leave_unspoken(
    mut cues: Vec<(SceneKind, f64)>,
    kinds: &[SceneKind],
) -> (Vec<(SceneKind, f64)>, Vec<SceneKind>) {
    let mut dropped = Vec::new();
    for k in kinds {
        if cues.iter().any(|(c, _)| c == k) {
            cues.retain(|(c, _)| c != k);
            dropped.push(*k);
        }
    }
    (cues, dropped)
}

/// The storyboard with every scene at least as long as its speech (`min`), its length between
/// `min_secs` and `cap_secs`: the theme's lengths are scaled down (never below
/// [`MIN_SCENE_SECS`], never below the speech) when the bulletin would be longer, scaled up when
/// shorter, deterministically. `None` when the speech alone does not fit in `cap_secs`.
pub fn fit_storyboard(
    event: &Event,
    facts: &Facts,
    theme: &Theme,
    settings: RenderSettings,
    min: &[(SceneKind, u32)],
    cap_secs: f64,
    min_secs: f64,
) -> Option<Storyboard> {
    let fps = f64::from(settings.fps.max(1));
    let cap = if cap_secs.is_finite() {
        (cap_secs * fps).floor() as u32
    } else {
        u32::MAX
    };
    let floor = (min_secs.min(cap_secs) * fps).ceil() as u32;
    let mut theme = theme.clone();
    let defaults = theme.durations.clone();
    let mut sb = Storyboard::compose(event, facts, &theme, settings, min);
    let mut k = 1.0;
    while sb.total_frames > cap && k > 0.0 {
        k -= 0.05;
        for (kind, d) in theme.durations.iter_mut() {
            *d = (defaults.get(kind).copied().unwrap_or(*d) * k).max(MIN_SCENE_SECS);
        }
        sb = Storyboard::compose(event, facts, &theme, settings, min);
    }
    if sb.total_frames > cap {
        return None;
    }
    // Too short for the band (a small quake's brief speech): stretch every scene evenly.
    let mut k = 1.0;
    while sb.total_frames < floor && k < 4.0 {
        k += 0.05;
        for (kind, d) in theme.durations.iter_mut() {
            *d = defaults.get(kind).copied().unwrap_or(*d) * k;
        }
        let longer = Storyboard::compose(event, facts, &theme, settings, min);
        if longer.total_frames > cap {
            break;
        }
        sb = longer;
    }
    Some(sb)
}

/// The storyboard's scenes as `(kind, start_secs, end_secs)`, the audio mixer's timeline.
pub fn scene_times(storyboard: &Storyboard) -> Vec<(SceneKind, f64, f64)> {
    let fps = f64::from(storyboard.settings.fps.max(1));
    storyboard
        .scenes
        .iter()
        .map(|s| {
            (
                s.kind,
                f64::from(s.start) / fps,
                f64::from(s.start + s.frames) / fps,
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::narration::script_for_wording;
    use quakecast_testkit::fixtures::{assets, hanyuan};

    /// A voice that speaks every cue at a fixed rate per character.
    fn voice(
        event: &Event,
        facts: &Facts,
        theme: &Theme,
        per_char: f64,
    ) -> impl FnMut(Wording) -> Result<Vec<(SceneKind, f64)>, ()> {
        let (event, facts, theme) = (event.clone(), facts.clone(), theme.clone());
        move |w| {
            Ok(script_for_wording(&event, &facts, &theme, w)
                .cues
                .iter()
                .map(|c| (c.scene, c.text_zh.chars().count() as f64 * per_char))
                .collect())
        }
    }

    #[test]
    fn a_short_speech_fits_the_target_in_full_and_asks_once() {
        let event = hanyuan();
        let facts = Facts::compute(&event, assets(), None);
        let theme = Theme::default();
        let mut calls = 0;
        let mut v = voice(&event, &facts, &theme, 0.05);
        let fitted = fit_to_speech(&event, &facts, &theme, RenderSettings::default(), |w| {
            calls += 1;
            v(w)
        })
        .expect("fits");
        assert_eq!(calls, 1);
        assert_eq!(fitted.report.limit, LengthLimit::Target);
        assert_eq!(fitted.report.wording, Wording::Full);
        assert!(!fitted.report.degraded());
        let (_, target, _) = theme.lengths_for(event.magnitude);
        assert!(fitted.storyboard.duration_secs() <= target + 1e-9);
    }

    #[test]
    fn a_long_speech_degrades_in_order_and_never_fails() {
        let event = hanyuan();
        let facts = Facts::compute(&event, assets(), None);
        let theme = Theme::default();
        let mut prev: Option<(usize, LengthLimit)> = None;
        let order = |r: &FitReport| {
            let step = match (r.wording, r.unspoken.len()) {
                (Wording::Full, _) => 0,
                (Wording::Tight, n) => 1 + n,
            };
            (step, r.limit)
        };
        for per_char in [0.05, 0.2, 0.3, 0.4, 0.6, 1.0] {
            let mut v = voice(&event, &facts, &theme, per_char);
            let fitted = fit_to_speech(&event, &facts, &theme, RenderSettings::default(), &mut v)
                .expect("fits");
            let r = &fitted.report;
            // Every spoken cue's scene holds its speech.
            let lengths = v(r.wording).expect("speech");
            for (kind, secs) in lengths.iter().filter(|(k, _)| !r.unspoken.contains(k)) {
                let span = fitted
                    .storyboard
                    .scenes
                    .iter()
                    .find(|s| s.kind == *kind)
                    .expect("scene");
                assert!(
                    f64::from(span.frames) / 30.0 >= secs + 1.0 - 1e-6,
                    "{kind:?} at {per_char}"
                );
            }
            // Slower speech never takes an earlier step.
            let o = order(r);
            if let Some(p) = prev {
                let rank = |(step, limit): (usize, LengthLimit)| (limit as u8, step);
                assert!(rank(o) >= rank(p), "{per_char}: {o:?} after {p:?}");
            }
            prev = Some(o);
            if r.limit == LengthLimit::OverBand {
                assert!(r.secs > r.band_secs.2);
            }
        }
        assert_eq!(prev.map(|p| p.1), Some(LengthLimit::OverBand));
    }

    #[test]
    fn scene_times_cover_the_storyboard() {
        let event = hanyuan();
        let facts = Facts::compute(&event, assets(), None);
        let fitted = fit_silent(&event, &facts, &Theme::default(), RenderSettings::default());
        let times = scene_times(&fitted.storyboard);
        assert_eq!(times.first().map(|t| t.1), Some(0.0));
        assert!(
            (times.last().map(|t| t.2).unwrap_or(0.0) - fitted.storyboard.duration_secs()).abs()
                < 1e-9
        );
        for w in times.windows(2) {
            assert_eq!(w[0].2, w[1].1);
        }
    }
}
