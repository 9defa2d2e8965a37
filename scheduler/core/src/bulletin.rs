//! What a bulletin says and when: facts → storyboard → narration timed to the measured speech.
//!
//! Both the one-shot `render` pipeline and the farm's intake build a bulletin's timeline here, so
//! a bulletin looks and sounds the same whichever way it was made:
//!
//! 1. facts from the event, the gazetteer, and the operator's optional catalogue and elevation
//!    model ([`Content`]: `--theme`, `--catalog`, `--dem`);
//! 2. the theme's scenes for the magnitude, less those without data
//!    ([`quakecast_scenes::lineup::scene_list`]);
//! 3. every scene's cue spoken (`narration::script_for_wording`), and the storyboard fitted to
//!    the magnitude band's length by the pure [`quakecast_scenes::fit::fit_to_speech`] — first by
//!    shortening silent time, then with the tight wording, then by leaving the least important
//!    cues unspoken (`narration::UNSPOKEN_FIRST`; their scenes still show their text);
//! 4. the subtitles placed exactly where the mixer will place the speech
//!    ([`quakecast_scenes::timeline::place_speech`], through [`quakecast_audio::place_cues`]).
//!
//! Only step 3's synthesis is impure; this module calls it and hands the lengths to the fit.
use std::path::{Path, PathBuf};
use std::sync::Arc;

use quakecast_audio::{place_cues, synthesize_script, Narration, TtsProvider};
use quakecast_facts::history::{parse_catalog, Catalog};
use quakecast_facts::{Assets, Dem, Event, Facts};
use quakecast_scenes::fit::{fit_silent, fit_to_speech, Fitted};
pub use quakecast_scenes::fit::{fit_storyboard, scene_times, FitReport, LengthLimit};
use quakecast_scenes::narration::{script_for_wording, Script, Wording};
use quakecast_scenes::{RenderSettings, Storyboard, Theme};

use crate::error::{Error, Result};

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

/// Build the timeline of `event`. With `tts`, every scene's cue is spoken and measured first, and
/// the storyboard follows the speech ([`quakecast_scenes::fit::fit_to_speech`]: the wording,
/// the unspoken cues and the scene lengths are decided there, purely); without, the theme's
/// lengths fitted to the band's target and no subtitles. This function only synthesises the
/// speech the fit asks for and logs what the fit did.
///
/// Never fails for the speech's length (see [`LengthLimit::OverBand`]).
pub fn plan_bulletin(
    event: &Event,
    assets: &Assets,
    content: &Content,
    settings: RenderSettings,
    tts: Option<&dyn TtsProvider>,
) -> Result<Timeline> {
    let facts = content.facts(event, assets);
    let theme = &content.theme;
    let Some(tts) = tts else {
        let Fitted { storyboard, report } = fit_silent(event, &facts, theme, settings);
        return Ok(Timeline {
            storyboard,
            narration: None,
            fit: report,
        });
    };
    let mut spoken: Vec<(Wording, Narration)> = Vec::new();
    let Fitted { storyboard, report } = fit_to_speech(event, &facts, theme, settings, |wording| {
        let n = synthesize_script(&script_for_wording(event, &facts, theme, wording), tts)?;
        let lengths = n.durations();
        spoken.push((wording, n));
        Ok::<_, Error>(lengths)
    })?;
    if report.limit == LengthLimit::OverBand {
        tracing::warn!(
            secs = report.secs,
            max_secs = report.band_secs.2,
            "the must-say speech needs more than the band's longest length; the bulletin runs longer"
        );
    } else if report.degraded() {
        tracing::info!(
            wording = ?report.wording,
            unspoken = ?report.unspoken,
            limit = ?report.limit,
            secs = report.secs,
            "speech fitted to the bulletin's length band by degrading it"
        );
    }
    let mut narration = spoken
        .into_iter()
        .find(|(w, _)| *w == report.wording)
        .map(|(_, n)| n)
        .ok_or_else(|| Error::Tool {
            tool: "timeline",
            message: "the fitted wording was never spoken".into(),
        })?;
    narration
        .cues
        .retain(|c| !report.unspoken.contains(&c.cue.scene));
    let placed = place_cues(
        &narration,
        &scene_times(&storyboard),
        storyboard.duration_secs(),
    )?;
    let storyboard = storyboard.with_subtitles(placed.into_iter().map(|p| p.timed).collect());
    Ok(Timeline {
        storyboard,
        narration: Some(narration),
        fit: report,
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
