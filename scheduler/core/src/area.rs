//! Operator-configured providers of the area notes ([`quakecast_facts::area`]): a county
//! profile file (`--area-info`) for the introduction of the epicentral county, and a weather
//! service (`--weather-url`) asked once per bulletin with a short timeout. Each is optional;
//! without one, or when the weather service does not answer in time or answers nonsense, that
//! note is left out (logged) and the bulletin goes on.
//!
//! The county profile file (JSON):
//! ```json
//! {"source": "四川省地震局", "counties": {
//!   "513322": {"zh": "泸定县位于四川盆地西缘……", "en": "Luding lies on the western rim …"},
//!   "汉源县": {"zh": "……"}}}
//! ```
//! keyed by the county's administrative code (GB/T 2260) or its Chinese name.
//!
//! The weather service: `GET {url}?lat=29.59&lon=102.08&time=2022-09-05T04:52:18Z` answering
//! `{"zh": "多云，22°C", "en": "Cloudy, 22 °C", "source": "Example Weather"}` (either language
//! may be missing).
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use quakecast_facts::area::{AreaNotes, Note, INTRO_MAX_CHARS, WEATHER_MAX_CHARS};
use quakecast_facts::{Event, PlaceName};
use serde::Deserialize;

use crate::error::{Error, Result};

/// How long the weather service may take before the bulletin goes on without it.
pub const WEATHER_TIMEOUT: Duration = Duration::from_secs(2);
/// The most of a weather answer that is read.
pub const WEATHER_MAX_BYTES: u64 = 16 * 1024;

#[derive(Deserialize)]
struct Texts {
    #[serde(default)]
    zh: String,
    #[serde(default)]
    en: String,
}

#[derive(Deserialize)]
struct ProfileFile {
    source: String,
    counties: HashMap<String, Texts>,
}

/// The county profiles of an operator's `--area-info` file.
#[derive(Clone, Debug)]
pub struct AreaInfo {
    pub path: PathBuf,
    source: String,
    counties: HashMap<String, Note>,
}

impl AreaInfo {
    /// Read and check the file: errors name the file and the county whose entry is wrong.
    pub fn load(path: &Path) -> Result<AreaInfo> {
        let bad = |hint: String| Error::Data {
            path: path.display().to_string(),
            hint,
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| bad(format!("the county profile file could not be read: {e}")))?;
        let file: ProfileFile = serde_json::from_str(&text).map_err(|e| {
            bad(format!(
                "not a county profile file ({{\"source\": …, \"counties\": {{code or name: \
                 {{\"zh\": …, \"en\": …}}}}}} expected): {e}"
            ))
        })?;
        if file.source.trim().is_empty() {
            return Err(bad(
                "\"source\" is empty: say whose profiles these are".into()
            ));
        }
        let mut counties = HashMap::new();
        for (key, t) in file.counties {
            let Some(note) = Note::clean(&t.zh, &t.en, &file.source, INTRO_MAX_CHARS) else {
                return Err(bad(format!(
                    "county {key:?}: both \"zh\" and \"en\" are empty"
                )));
            };
            counties.insert(key.trim().to_string(), note);
        }
        Ok(AreaInfo {
            path: path.to_path_buf(),
            source: file.source,
            counties,
        })
    }

    /// The profile of the county `place` names: by its seat's code, else by a county name the
    /// Chinese place name ends with.
    pub fn intro_for(&self, place: &PlaceName) -> Option<Note> {
        if let Some(code) = place.seat_adcode {
            // The seat table's codes are 12 digits (513322000000); files may use the 6-digit
            // county code (513322) or the full one.
            let six = if code >= 100_000_000_000 {
                code / 1_000_000
            } else {
                code
            };
            for key in [code.to_string(), six.to_string()] {
                if let Some(n) = self.counties.get(&key) {
                    return Some(n.clone());
                }
            }
        }
        self.counties
            .iter()
            .filter(|(k, _)| !k.is_empty() && !k.bytes().all(|b| b.is_ascii_digit()))
            .filter(|(k, _)| place.zh.ends_with(k.as_str()))
            .max_by_key(|(k, _)| k.len())
            .map(|(_, n)| n.clone())
    }

    pub fn source(&self) -> &str {
        &self.source
    }
}

/// The operator's weather service (`--weather-url`).
#[derive(Clone, Debug)]
pub struct WeatherService {
    pub url: String,
    pub timeout: Duration,
}

#[derive(Deserialize)]
struct WeatherAnswer {
    #[serde(default)]
    zh: String,
    #[serde(default)]
    en: String,
    #[serde(default)]
    source: String,
}

impl WeatherService {
    /// A service at `url` (http or https), asked with [`WEATHER_TIMEOUT`].
    pub fn new(url: &str) -> Result<WeatherService> {
        let url = url.trim();
        if !(url.starts_with("http://") || url.starts_with("https://")) || url.contains('?') {
            return Err(Error::Data {
                path: url.to_string(),
                hint: "--weather-url: an http:// or https:// address without a query expected \
                       (lat, lon and time are added)"
                    .into(),
            });
        }
        Ok(WeatherService {
            url: url.to_string(),
            timeout: WEATHER_TIMEOUT,
        })
    }

    /// The weather at the epicentre, or `None` (with a warning saying why) when the service
    /// fails, is slow or answers something that is not a weather note.
    pub fn weather_for(&self, event: &Event) -> Option<Note> {
        match self.ask(event) {
            Ok(n) => Some(n),
            Err(why) => {
                tracing::warn!(url = %self.url, %why, "no weather for the bulletin: left out");
                None
            }
        }
    }

    fn ask(&self, event: &Event) -> std::result::Result<Note, String> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(self.timeout))
            .http_status_as_error(false)
            .build()
            .into();
        let time = event
            .origin_time
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let mut resp = agent
            .get(&self.url)
            .query("lat", format!("{:.4}", event.lat))
            .query("lon", format!("{:.4}", event.lon))
            .query("time", time)
            .header("Accept", "application/json")
            .call()
            .map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        if status != 200 {
            return Err(format!("HTTP {status}"));
        }
        let body = resp
            .body_mut()
            .with_config()
            .limit(WEATHER_MAX_BYTES)
            .read_to_string()
            .map_err(|e| e.to_string())?;
        let a: WeatherAnswer = serde_json::from_str(&body)
            .map_err(|e| format!("not a weather answer ({{\"zh\", \"en\", \"source\"}}): {e}"))?;
        let source = if a.source.trim().is_empty() {
            "weather service".to_string()
        } else {
            a.source
        };
        Note::clean(&a.zh, &a.en, &source, WEATHER_MAX_CHARS)
            .ok_or_else(|| "the answer has no text".to_string())
    }
}

/// The notes for `event` from whichever providers are configured.
pub fn notes_for(
    event: &Event,
    place: &PlaceName,
    info: Option<&AreaInfo>,
    weather: Option<&WeatherService>,
) -> AreaNotes {
    AreaNotes {
        intro: info.and_then(|i| i.intro_for(place)),
        weather: weather.and_then(|w| w.weather_for(event)),
    }
}
