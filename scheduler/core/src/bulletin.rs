//! What a bulletin says and when: facts → storyboard → narration timed to the measured speech.
//!
//! Both the one-shot `render` pipeline and the farm's intake build a bulletin's timeline here, so
//! a bulletin looks and sounds the same whichever way it was made:
//!
//! 1. facts from the event, the gazetteer, and the operator's optional catalogue and elevation
//!    model ([`Content`]: `--theme`, `--catalog`, `--dem`);
//! 2. the theme's scenes for the magnitude, less those without data
//!    ([`quakecast_scenes::lineup::scene_list`]);
//! 3. every scene's cue spoken ([`narration::script_for`]), each scene at least as long as its
//!    speech, the whole fitted to [`MAX_BULLETIN_SECS`] — first by shortening silent time, then,
//!    if speech alone is too long, by leaving the least important cues unspoken
//!    ([`UNSPOKEN_FIRST`]; their scenes still show their text);
//! 4. the subtitles placed exactly where the mixer will place the speech
//!    ([`quakecast_audio::place_cues`]).
use std::path::{Path, PathBuf};
use std::sync::Arc;

use quakecast_audio::{place_cues, synthesize_script, Narration, TtsProvider};
use quakecast_facts::history::{parse_catalog, Catalog};
use quakecast_facts::{Assets, Dem, Event, Facts};
use quakecast_scenes::narration::{
    must_speak, script_for_wording, Script, Wording, UNSPOKEN_FIRST,
};
use quakecast_scenes::timeline::scene_min_frames;
use quakecast_scenes::{RenderSettings, SceneKind, Storyboard, Theme};

use crate::error::{Error, Result};

/// Shortest a scene may become when a bulletin is fitted, seconds.
const MIN_SCENE_SECS: f64 = 1.5;

/// The operator's content choices: the theme (colours, lengths, scenes per magnitude band), an
/// optional earthquake catalogue for the recent-seismicity scene, and an optional elevation
/// model for the mean elevation around the epicentre (docs/elevation.md).
#[derive(Clone, Debug, Default)]
pub struct Content {
    pub theme: Theme,
    pub catalog: Option<Catalog>,
    pub dem: Option<Arc<Dem>>,
    /// Where they came from, for logs and manifests.
    pub theme_path: Option<PathBuf>,
    pub catalog_path: Option<PathBuf>,
    pub dem_path: Option<PathBuf>,
}

impl Content {
    /// Read `--theme` (JSON, see `scenes/themes/`), `--catalog` (FDSN text or USGS CSV) and
    /// `--dem` (ESRI ASCII grid `.asc`, or an SRTM `.hgt` tile); errors name the file and what is
    /// wrong with it.
    pub fn load(theme: Option<&Path>, catalog: Option<&Path>, dem: Option<&Path>) -> Result<Self> {
        let read = |p: &Path, what: &str| {
            std::fs::read_to_string(p).map_err(|e| Error::Data {
                path: p.display().to_string(),
                hint: format!("{what} could not be read: {e}"),
            })
        };
        let theme_v = match theme {
            Some(p) => Theme::from_json(&read(p, "theme")?).map_err(|e| Error::Data {
                path: p.display().to_string(),
                hint: format!("not a theme: {e}"),
            })?,
            None => Theme::default(),
        };
        let catalog_v = match catalog {
            Some(p) => Some(
                parse_catalog(&read(p, "catalogue")?).map_err(|e| Error::Data {
                    path: p.display().to_string(),
                    hint: format!("not a catalogue (FDSN text or USGS CSV expected): {e}"),
                })?,
            ),
            None => None,
        };
        let dem_v = match dem {
            Some(p) => {
                let bad = |e: quakecast_facts::DemError| Error::Data {
                    path: p.display().to_string(),
                    hint: format!("not an elevation model: {e}"),
                };
                let is_hgt = p.extension().is_some_and(|x| x.eq_ignore_ascii_case("hgt"));
                let dem = if is_hgt {
                    let bytes = std::fs::read(p).map_err(|e| Error::Data {
                        path: p.display().to_string(),
                        hint: format!("elevation model could not be read: {e}"),
                    })?;
                    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                    Dem::from_hgt(name, &bytes).map_err(bad)?
                } else {
                    Dem::from_esri_ascii(&read(p, "elevation model")?).map_err(bad)?
                };
                Some(Arc::new(dem))
            }
            None => None,
        };
        Ok(Self {
            theme: theme_v,
            catalog: catalog_v,
            dem: dem_v,
            theme_path: theme.map(Path::to_path_buf),
            catalog_path: catalog.map(Path::to_path_buf),
            dem_path: dem.map(Path::to_path_buf),
        })
    }

    /// The facts of `event`: nearby places from the gazetteer, predicted intensity, recent
    /// seismicity when a catalogue was given, mean elevation when an elevation model was.
    pub fn facts(&self, event: &Event, assets: &Assets) -> Facts {
        Facts::compute(event, assets, self.catalog.as_ref())
            .with_elevation(event, self.dem.as_deref())
    }
}

/// A bulletin's timeline: the storyboard as it will be rendered (scene lengths, facts, theme,
/// burned-in subtitles) and, with a voice, the speech to mix.
pub struct Timeline {
    pub storyboard: Storyboard,
    pub narration: Option<Narration>,
    /// How the speech was fitted to the band's lengths (for the manifest and logs).
    pub fit: FitReport,
}

/// Which length limit a bulletin was fitted within.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LengthLimit {
    /// The band's target length.
    Target,
    /// The band's longest length (the must-say speech needed more than the target).
    Max,
    /// Longer than the band allows: the must-say speech alone needs more (logged as a warning;
    /// the bulletin is still made).
    OverBand,
}

/// How a bulletin's speech was fitted: the degradation steps taken, in the stated order (tight
/// wording, then low-priority cues unspoken, then the band's longest length).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
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

/// Build the timeline of `event`. With `tts`, every scene's cue is spoken and measured first, and
/// the storyboard follows the speech; without, the theme's lengths fitted to the band's target
/// and no subtitles.
///
/// Never fails for the speech's length: the candidates are tried in order, at the band's target
/// length then at its longest length, each as (full wording) → (tight wording) → (tight, the
/// optional cues of [`UNSPOKEN_FIRST`] unspoken one by one); if none fits, the must-say cues in
/// the tight wording are spoken and the bulletin is as long as they need
/// ([`LengthLimit::OverBand`]).
pub fn plan_bulletin(
    event: &Event,
    assets: &Assets,
    content: &Content,
    settings: RenderSettings,
    tts: Option<&dyn TtsProvider>,
) -> Result<Timeline> {
    let facts = content.facts(event, assets);
    let theme = &content.theme;
    let band = theme.lengths_for(event.magnitude);
    let (min_secs, target, max) = band;
    let Some(tts) = tts else {
        let storyboard = fit_storyboard(event, &facts, theme, settings, &[], target, min_secs)
            .unwrap_or_else(|| Storyboard::compose(event, &facts, theme, settings, &[]));
        let secs = storyboard.duration_secs();
        return Ok(Timeline {
            storyboard,
            narration: None,
            fit: FitReport {
                band_secs: band,
                wording: Wording::Full,
                unspoken: Vec::new(),
                limit: LengthLimit::Target,
                secs,
            },
        });
    };
    let mut spoken: Vec<(Wording, Narration)> = Vec::new();
    let mut speech = |wording: Wording| -> Result<Narration> {
        if let Some((_, n)) = spoken.iter().find(|(w, _)| *w == wording) {
            return Ok(clone_narration(n));
        }
        let n = synthesize_script(&script_for_wording(event, &facts, theme, wording), tts)?;
        spoken.push((wording, clone_narration(&n)));
        Ok(n)
    };
    let optional: Vec<SceneKind> = UNSPOKEN_FIRST
        .iter()
        .copied()
        .filter(|k| !must_speak(*k, event, &facts))
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
    for (wording, dropped, limit, secs) in candidates {
        let mut narration = speech(wording)?;
        let unspoken = drop_cues(&mut narration, &optional[..dropped]);
        let min = scene_min_frames(&narration.durations(), settings.fps);
        if let Some(sb) = fit_storyboard(event, &facts, theme, settings, &min, secs, min_secs) {
            if limit != LengthLimit::Target || wording != Wording::Full || !unspoken.is_empty() {
                tracing::info!(
                    ?wording,
                    ?unspoken,
                    ?limit,
                    secs = sb.duration_secs(),
                    "speech fitted to the bulletin's length band by degrading it"
                );
            }
            return finish(sb, narration, wording, unspoken, limit, band);
        }
    }
    // The must-say cues alone are longer than the band allows: say them all the same.
    let mut narration = speech(Wording::Tight)?;
    let unspoken = drop_cues(&mut narration, &optional);
    let min = scene_min_frames(&narration.durations(), settings.fps);
    // Every silent stretch at its shortest: the bulletin is as long as the speech needs.
    let mut shortest = theme.clone();
    shortest
        .durations
        .values_mut()
        .for_each(|d| *d = MIN_SCENE_SECS);
    let sb = Storyboard {
        theme: theme.clone(),
        ..Storyboard::compose(event, &facts, &shortest, settings, &min)
    };
    tracing::warn!(
        secs = sb.duration_secs(),
        max_secs = max,
        "the must-say speech needs more than the band's longest length; the bulletin runs longer"
    );
    finish(
        sb,
        narration,
        Wording::Tight,
        unspoken,
        LengthLimit::OverBand,
        band,
    )
}

fn clone_narration(n: &Narration) -> Narration {
    Narration {
        lang: n.lang,
        voice: n.voice.clone(),
        cues: n.cues.clone(),
    }
}

/// Leave the cues of `kinds` unspoken; the kinds actually dropped, in order.
fn drop_cues(narration: &mut Narration, kinds: &[SceneKind]) -> Vec<SceneKind> {
    let mut dropped = Vec::new();
    for k in kinds {
        if narration.cues.iter().any(|c| c.cue.scene == *k) {
            narration.cues.retain(|c| c.cue.scene != *k);
            dropped.push(*k);
        }
    }
    dropped
}

fn finish(
    storyboard: Storyboard,
    narration: Narration,
    wording: Wording,
    unspoken: Vec<SceneKind>,
    limit: LengthLimit,
    band_secs: (f64, f64, f64),
) -> Result<Timeline> {
    let placed = place_cues(
        &narration,
        &scene_times(&storyboard),
        storyboard.duration_secs(),
    )?;
    let cues = placed.into_iter().map(|p| p.timed).collect();
    let mut storyboard = storyboard.with_subtitles(cues);
    storyboard.wording = wording;
    let secs = storyboard.duration_secs();
    Ok(Timeline {
        storyboard,
        narration: Some(narration),
        fit: FitReport {
            band_secs,
            wording,
            unspoken,
            limit,
            secs,
        },
    })
}

/// The script a timeline's narration speaks: [`script_for_wording`] of its facts, theme and
/// wording, kept to the scenes that have subtitles (the cues [`plan_bulletin`] kept). A farm's
/// audio task speaks this again to mix the same speech the frames were timed to.
pub fn spoken_script(storyboard: &Storyboard) -> Script {
    let mut script = script_for_wording(
        &storyboard.event,
        &storyboard.facts,
        &storyboard.theme,
        storyboard.wording,
    );
    script
        .cues
        .retain(|c| storyboard.subtitles.iter().any(|s| s.scene == c.scene));
    script
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
