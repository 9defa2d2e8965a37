//! What a bulletin says and when: facts → storyboard → narration timed to the measured speech.
//!
//! Both the one-shot `render` pipeline and the farm's intake build a bulletin's timeline here, so
//! a bulletin looks and sounds the same whichever way it was made:
//!
//! 1. facts from the event, the gazetteer, and the operator's optional catalogue and elevation
//!    model ([`Content`]: `--theme`, `--catalog`, `--dem`);
//! 2. the theme's scenes for the magnitude, less those without data
//!    ([`quakecast_scenes::storyboard::scene_list`]);
//! 3. every scene's cue spoken ([`narration::script_for`]), each scene at least as long as its
//!    speech, the whole fitted to [`MAX_BULLETIN_SECS`] — first by shortening silent time, then,
//!    if speech alone is too long, by leaving the least important cues unspoken
//!    ([`UNSPOKEN_FIRST`]; their scenes still show their text);
//! 4. the subtitles placed exactly where the mixer will place the speech
//!    ([`quakecast_renderer::audio::place_cues`]).
use std::path::{Path, PathBuf};
use std::sync::Arc;

use quakecast_renderer::audio::{place_cues, synthesize_script, Narration, TtsProvider};
use quakecast_scenes::history::{parse_catalog, Catalog};
use quakecast_scenes::narration::{scene_min_frames, script_for, Script};
use quakecast_scenes::{Assets, Dem, Event, Facts, RenderSettings, SceneKind, Storyboard, Theme};

use crate::error::{Error, Result};

/// Longest bulletin, seconds: a short vertical video (the 15–25 s).
pub const MAX_BULLETIN_SECS: f64 = 25.0;
/// Shortest a scene may become when a bulletin is fitted, seconds.
const MIN_SCENE_SECS: f64 = 1.5;
/// When the speech alone is longer than [`MAX_BULLETIN_SECS`], these cues go unspoken first, in
/// this order (the scene stays, with its text on screen). Header, parameters and the closing
/// safety advice are always spoken.
pub const UNSPOKEN_FIRST: [SceneKind; 4] = [
    SceneKind::History,
    SceneKind::Map,
    SceneKind::Intensity,
    SceneKind::Places,
];

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
                let bad = |e: quakecast_scenes::DemError| Error::Data {
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
}

/// Build the timeline of `event`. With `tts`, every scene's cue is spoken and measured first, and
/// the storyboard follows the speech; without, the theme's lengths (fitted) and no subtitles.
pub fn plan_bulletin(
    event: &Event,
    assets: &Assets,
    content: &Content,
    settings: RenderSettings,
    tts: Option<&dyn TtsProvider>,
) -> Result<Timeline> {
    let facts = content.facts(event, assets);
    let Some(tts) = tts else {
        let storyboard = fit_storyboard(event, &facts, &content.theme, settings, &[])?;
        return Ok(Timeline {
            storyboard,
            narration: None,
        });
    };
    let script = script_for(event, &facts, &content.theme);
    let mut narration = synthesize_script(&script, tts)?;
    loop {
        let min = scene_min_frames(&narration.durations(), settings.fps);
        match fit_storyboard(event, &facts, &content.theme, settings, &min) {
            Ok(storyboard) => {
                let placed = place_cues(
                    &narration,
                    &scene_times(&storyboard),
                    storyboard.duration_secs(),
                )?;
                let cues = placed.into_iter().map(|p| p.timed).collect();
                return Ok(Timeline {
                    storyboard: storyboard.with_subtitles(cues),
                    narration: Some(narration),
                });
            }
            Err(e) => {
                let drop = UNSPOKEN_FIRST
                    .iter()
                    .find(|k| narration.cues.iter().any(|c| c.cue.scene == **k));
                let Some(drop) = drop else { return Err(e) };
                tracing::info!(scene = ?drop, "speech too long for the bulletin; this scene's cue is left unspoken");
                narration.cues.retain(|c| c.cue.scene != *drop);
            }
        }
    }
}

/// The script a timeline's narration speaks: [`script_for`] of its facts and theme, kept to the
/// scenes that have subtitles (the cues [`plan_bulletin`] kept). A farm's audio task speaks this
/// again to mix the same speech the frames were timed to.
pub fn spoken_script(storyboard: &Storyboard) -> Script {
    let mut script = script_for(&storyboard.event, &storyboard.facts, &storyboard.theme);
    script
        .cues
        .retain(|c| storyboard.subtitles.iter().any(|s| s.scene == c.scene));
    script
}

/// The storyboard with every scene at least as long as its speech (`min`), shortened to
/// [`MAX_BULLETIN_SECS`] when the theme's lengths would make it longer: the theme's lengths are
/// scaled down (never below [`MIN_SCENE_SECS`], never below the speech), deterministically.
/// Speech alone longer than the limit is an error naming the figures, not a silent overrun.
pub fn fit_storyboard(
    event: &Event,
    facts: &Facts,
    theme: &Theme,
    settings: RenderSettings,
    min: &[(SceneKind, u32)],
) -> Result<Storyboard> {
    let cap = (MAX_BULLETIN_SECS * f64::from(settings.fps.max(1))).floor() as u32;
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
        return Err(Error::Tool {
            tool: "storyboard",
            message: format!(
                "the narration needs {:.1} s, more than the {MAX_BULLETIN_SECS} s a bulletin may last",
                sb.duration_secs()
            ),
        });
    }
    Ok(sb)
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
