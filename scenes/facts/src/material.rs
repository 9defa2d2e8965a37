//! The material library: an operator's directory of assets (images, short clips, music beds)
//! described by a tags file ([`TAGS_FILE`]), and the rules that pick one asset per role for an
//! event. Pure: the tags file is decoded from its text ([`Library::from_json`]) and matched
//! against [`EventTags`]; reading the files and decoding their pixels or sound is the I/O
//! layer's (`quakecast-core`'s `materials` module).
//!
//! A tags file:
//!
//! ```json
//! { "name": "newsroom",
//!   "assets": [
//!     { "id": "sichuan-gorge", "file": "sichuan.jpg", "kind": "image",
//!       "roles": ["background"], "regions": ["CN-51"], "terrain": ["mountain"],
//!       "time": "day", "licence": "CC BY 4.0", "source": "Our photo desk, 2021" },
//!     { "id": "bed-calm", "file": "calm.wav", "kind": "music", "magnitude": [0, 6.5],
//!       "licence": "own work", "source": "Studio B" } ] }
//! ```
//!
//! Every tag is a constraint: an asset tagged `"regions": ["CN-51"]` is never used outside
//! Sichuan; an untagged asset fits any event. Among the assets that fit, the one whose tags say
//! the most about this event wins: each satisfied tag scores by its place in the theme's
//! preference order ([`score`]), a region more the finer it is (county over province over
//! country); ties go to the smallest id, so the choice is deterministic.
use serde::{Deserialize, Serialize};

use crate::{Assets, Event, Facts};

/// The tags file at the top of a library directory.
pub const TAGS_FILE: &str = "tags.json";

/// What an asset is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MaterialKind {
    /// A still picture (PNG, JPEG, WebP: anything ffmpeg decodes).
    Image,
    /// A short video clip (its first seconds are used, without sound).
    Clip,
    /// A music bed (WAV, FLAC, MP3, Ogg), looped or cut to the bulletin's length.
    Music,
}

/// Where an asset is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Behind the card scenes (the theme says which), in slow motion.
    Background,
    /// Behind the closing card.
    Closing,
    /// Under the voice.
    Music,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Background, Role::Closing, Role::Music];

    /// The kinds of asset a role can use.
    pub fn fits(self, kind: MaterialKind) -> bool {
        match self {
            Role::Background | Role::Closing => kind != MaterialKind::Music,
            Role::Music => kind == MaterialKind::Music,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Role::Background => "background",
            Role::Closing => "closing",
            Role::Music => "music",
        }
    }
}

/// The ground at the epicentre, as [`EventTags::of`] classifies it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Terrain {
    /// Offshore.
    Sea,
    /// Lowland: heights within 5 km span less than [`HILLS_SPAN_M`].
    Plain,
    /// Heights within 5 km span [`HILLS_SPAN_M`] to [`MOUNTAIN_SPAN_M`].
    Hills,
    /// Heights within 5 km span more than [`MOUNTAIN_SPAN_M`].
    Mountain,
    /// Mean height within 5 km above [`PLATEAU_M`] (the Tibetan plateau, the Andes' altiplano).
    Plateau,
}

impl Terrain {
    pub fn name(self) -> &'static str {
        match self {
            Terrain::Sea => "sea",
            Terrain::Plain => "plain",
            Terrain::Hills => "hills",
            Terrain::Mountain => "mountain",
            Terrain::Plateau => "plateau",
        }
    }
}

/// Mean heights above this are [`Terrain::Plateau`], metres.
pub const PLATEAU_M: f64 = 3000.0;
/// Spans of height within the elevation circle above these are hills / mountains, metres.
pub const HILLS_SPAN_M: f64 = 150.0;
pub const MOUNTAIN_SPAN_M: f64 = 600.0;

/// Local day or night at the epicentre ([`crate::time::is_dark`]: 19:00–06:00 is night).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DayNight {
    Day,
    Night,
}

/// The kinds of tag, in the order a theme may prefer them ([`score`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TagKind {
    Region,
    Area,
    Terrain,
    Magnitude,
    Time,
}

/// The default preference: where first (region, then the box), then the ground, the time of
/// day and the size.
pub const DEFAULT_PREFERENCE: [TagKind; 5] = [
    TagKind::Region,
    TagKind::Area,
    TagKind::Terrain,
    TagKind::Time,
    TagKind::Magnitude,
];

/// One asset of a library.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Unique within the library; names the asset in manifests.
    pub id: String,
    /// Path relative to the library directory.
    pub file: String,
    pub kind: MaterialKind,
    /// Roles it may play; empty: every role its kind fits.
    #[serde(default)]
    pub roles: Vec<Role>,
    /// Region codes: `CN`, `CN-51` (province, GB/T 2260 first two digits), `CN-5118`
    /// (prefecture), `CN-511823` (county); outside China a country's English name as the world
    /// map writes it ("Turkey", "Nepal"). Case-insensitive. Empty: anywhere.
    #[serde(default)]
    pub regions: Vec<String>,
    /// `[west, south, east, north]` degrees: the epicentre must lie inside.
    #[serde(default)]
    pub bbox: Option<[f64; 4]>,
    /// For a map-like picture: the `[west, south, east, north]` box it shows (equirectangular,
    /// 9:16), so the picture is cropped around the epicentre when it lies inside.
    #[serde(default)]
    pub extent: Option<[f64; 4]>,
    #[serde(default)]
    pub terrain: Vec<Terrain>,
    /// `[min, max)` magnitudes.
    #[serde(default)]
    pub magnitude: Option<[f64; 2]>,
    #[serde(default)]
    pub time: Option<DayNight>,
    /// Required: the asset's licence, shown in the manifest.
    pub licence: String,
    /// Required: who made it or where it came from.
    pub source: String,
}

/// A decoded tags file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Library {
    #[serde(default)]
    pub name: String,
    pub assets: Vec<Entry>,
}

/// Why a tags file was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LibraryError {
    #[error("not a tags file: {0}")]
    Syntax(String),
    #[error("asset {index} ({id:?}): {reason}")]
    Entry {
        index: usize,
        id: String,
        reason: String,
    },
}

impl Library {
    /// Decode and check a tags file: unique non-empty ids, relative file paths inside the
    /// library, a licence and a source for every asset, roles its kind can play, sane boxes and
    /// magnitude ranges, well-formed region codes.
    pub fn from_json(text: &str) -> Result<Library, LibraryError> {
        let lib: Library =
            serde_json::from_str(text).map_err(|e| LibraryError::Syntax(e.to_string()))?;
        let mut seen = std::collections::BTreeSet::new();
        for (index, e) in lib.assets.iter().enumerate() {
            let bad = |reason: String| LibraryError::Entry {
                index,
                id: e.id.clone(),
                reason,
            };
            if e.id.trim().is_empty() {
                return Err(bad("empty id".into()));
            }
            if !seen.insert(e.id.as_str()) {
                return Err(bad("the id is used twice".into()));
            }
            let f = e.file.replace('\\', "/");
            if f.is_empty()
                || f.starts_with('/')
                || f.split('/').any(|p| p == ".." || p.is_empty())
                || f.contains(':')
            {
                return Err(bad(format!(
                    "file {:?} must be a relative path inside the library",
                    e.file
                )));
            }
            if e.licence.trim().is_empty() {
                return Err(bad("no licence".into()));
            }
            if e.source.trim().is_empty() {
                return Err(bad("no source".into()));
            }
            if let Some(r) = e.roles.iter().find(|r| !r.fits(e.kind)) {
                return Err(bad(format!(
                    "a {:?} cannot play the {} role",
                    e.kind,
                    r.name()
                )));
            }
            for (name, b) in [("bbox", e.bbox), ("extent", e.extent)] {
                let Some([w, s, east, n]) = b else { continue };
                let ok = [w, s, east, n].iter().all(|v| v.is_finite())
                    && (-180.0..=180.0).contains(&w)
                    && (-180.0..=180.0).contains(&east)
                    && (-90.0..=90.0).contains(&s)
                    && (-90.0..=90.0).contains(&n)
                    && s < n
                    && w != east;
                if !ok {
                    return Err(bad(format!(
                        "{name} {:?} is not [west, south, east, north] degrees",
                        [w, s, east, n]
                    )));
                }
            }
            if let Some([lo, hi]) = e.magnitude {
                if !(lo.is_finite() && hi.is_finite() && lo < hi) {
                    return Err(bad(format!("magnitude [{lo}, {hi}] is not a range")));
                }
            }
            if let Some(r) = e.regions.iter().find(|r| !region_code_ok(r)) {
                return Err(bad(format!(
                    "region {r:?}: expected CN, CN- and 2, 4 or 6 digits, or a country name"
                )));
            }
        }
        Ok(lib)
    }
}

fn region_code_ok(r: &str) -> bool {
    let r = r.trim();
    if r.is_empty() {
        return false;
    }
    match r.to_ascii_uppercase().strip_prefix("CN-") {
        Some(d) => matches!(d.len(), 2 | 4 | 6) && d.bytes().all(|b| b.is_ascii_digit()),
        None => true,
    }
}

/// What an event offers the tags.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventTags {
    /// Region codes, coarse to fine (`CN`, `CN-51`, `CN-5118`, `CN-511823`), or the country's
    /// English name outside China; empty when none is known (at sea far from land).
    pub regions: Vec<String>,
    pub lon: f64,
    pub lat: f64,
    /// `None`: no elevation data and not at sea.
    pub terrain: Option<Terrain>,
    pub magnitude: f64,
    pub time: DayNight,
}

impl EventTags {
    /// The tags of `event` with its facts (place, elevation) and the map's regions.
    pub fn of(event: &Event, facts: &Facts, assets: &Assets) -> EventTags {
        let mut regions = Vec::new();
        if facts.place.in_china {
            regions.push("CN".to_string());
            if let Some(code) = facts.place.seat_adcode {
                // 6-digit county codes (12-digit village codes start with them).
                let s = format!("{code:06}");
                let s = if s.len() == 12 { &s[..6] } else { &s[..] };
                if s.len() == 6 {
                    regions.push(format!("CN-{}", &s[..2]));
                    if &s[2..4] != "00" {
                        regions.push(format!("CN-{}", &s[..4]));
                    }
                    if &s[4..6] != "00" {
                        regions.push(format!("CN-{s}"));
                    }
                }
            }
        } else if let Some(c) = assets.regions.country_at(event.lon, event.lat) {
            regions.push(c.name_en.clone());
        } else if let Some((c, _)) = assets.regions.nearest_country(event.lon, event.lat, 50.0) {
            regions.push(c.name_en.clone());
        }
        let terrain = if facts.place.at_sea {
            Some(Terrain::Sea)
        } else {
            facts.elevation.as_ref().map(|e| {
                let span = e.max_m - e.min_m;
                if e.mean_m >= PLATEAU_M {
                    Terrain::Plateau
                } else if span >= MOUNTAIN_SPAN_M {
                    Terrain::Mountain
                } else if span >= HILLS_SPAN_M {
                    Terrain::Hills
                } else {
                    Terrain::Plain
                }
            })
        };
        EventTags {
            regions,
            lon: event.lon,
            lat: event.lat,
            terrain,
            magnitude: event.magnitude,
            time: if crate::time::is_dark(event) {
                DayNight::Night
            } else {
                DayNight::Day
            },
        }
    }
}

/// The asset chosen for a role, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    pub role: Role,
    /// Index into [`Library::assets`].
    pub index: usize,
    pub id: String,
    pub score: u32,
    /// The tags it matched ("region CN-51", "terrain mountain", "night"), or "untagged".
    pub reasons: Vec<String>,
}

/// The score of `entry` for `event` under the preference order `prefer` (earlier kinds weigh
/// more: the first 2⁶, the next 2⁵, …; a kind not listed 1), or `None` when one of its tags
/// excludes the event. A region scores its weight times its depth (country 1, province 2,
/// prefecture 3, county 4), so the finer region wins among the preferred kind.
pub fn score(entry: &Entry, event: &EventTags, prefer: &[TagKind]) -> Option<(u32, Vec<String>)> {
    let weight = |k: TagKind| -> u32 {
        prefer
            .iter()
            .position(|p| *p == k)
            .map_or(1, |i| 1u32 << (6u32.saturating_sub(i as u32)))
    };
    let mut total = 0u32;
    let mut reasons = Vec::new();
    if !entry.regions.is_empty() {
        let best = entry
            .regions
            .iter()
            .filter_map(|r| {
                let r = r.trim();
                let depth = event
                    .regions
                    .iter()
                    .position(|e| e.eq_ignore_ascii_case(r))?;
                Some((depth as u32 + 1, r))
            })
            .max_by_key(|(d, _)| *d)?;
        total += weight(TagKind::Region) * best.0;
        reasons.push(format!("region {}", best.1));
    }
    if let Some([w, s, e, n]) = entry.bbox {
        let lon_in = if w <= e {
            (w..=e).contains(&event.lon)
        } else {
            event.lon >= w || event.lon <= e
        };
        if !(lon_in && (s..=n).contains(&event.lat)) {
            return None;
        }
        total += weight(TagKind::Area);
        reasons.push(format!("area {w}..{e}°E {s}..{n}°N"));
    }
    if !entry.terrain.is_empty() {
        let t = event.terrain.filter(|t| entry.terrain.contains(t))?;
        total += weight(TagKind::Terrain);
        reasons.push(format!("terrain {}", t.name()));
    }
    if let Some([lo, hi]) = entry.magnitude {
        if !(lo..hi).contains(&event.magnitude) {
            return None;
        }
        total += weight(TagKind::Magnitude);
        reasons.push(format!("magnitude {lo}–{hi}"));
    }
    if let Some(t) = entry.time {
        if t != event.time {
            return None;
        }
        total += weight(TagKind::Time);
        reasons.push(match t {
            DayNight::Day => "day".to_string(),
            DayNight::Night => "night".to_string(),
        });
    }
    if reasons.is_empty() {
        reasons.push("untagged (fits any event)".into());
    }
    Some((total, reasons))
}

/// The best asset of `library` for `role` (highest [`score`], ties to the smallest id), or
/// `None` when none fits.
pub fn choose(
    library: &Library,
    role: Role,
    event: &EventTags,
    prefer: &[TagKind],
) -> Option<Choice> {
    library
        .assets
        .iter()
        .enumerate()
        .filter(|(_, e)| role.fits(e.kind) && (e.roles.is_empty() || e.roles.contains(&role)))
        .filter_map(|(i, e)| score(e, event, prefer).map(|(s, r)| (i, e, s, r)))
        .min_by(|a, b| b.2.cmp(&a.2).then_with(|| a.1.id.cmp(&b.1.id)))
        .map(|(index, e, score, reasons)| Choice {
            role,
            index,
            id: e.id.clone(),
            score,
            reasons,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lib(json: &str) -> Library {
        Library::from_json(json).expect("tags")
    }

    fn sichuan_night() -> EventTags {
        EventTags {
            regions: vec![
                "CN".into(),
                "CN-51".into(),
                "CN-5133".into(),
                "CN-513322".into(),
            ],
            lon: 102.08,
            lat: 29.59,
            terrain: Some(Terrain::Mountain),
            magnitude: 6.8,
            time: DayNight::Night,
        }
    }

    const ASSETS: &str = r#"{ "name": "t", "assets": [
        { "id": "any", "file": "a.png", "kind": "image", "licence": "own", "source": "s" },
        { "id": "china", "file": "c.png", "kind": "image", "regions": ["CN"], "licence": "own", "source": "s" },
        { "id": "sichuan", "file": "s.png", "kind": "image", "regions": ["cn-51"], "licence": "own", "source": "s" },
        { "id": "luding", "file": "l.png", "kind": "image", "regions": ["CN-513322"], "time": "day", "licence": "own", "source": "s" },
        { "id": "yunnan", "file": "y.png", "kind": "image", "regions": ["CN-53"], "licence": "own", "source": "s" },
        { "id": "bed", "file": "m.wav", "kind": "music", "magnitude": [6.0, 10.0], "licence": "own", "source": "s" },
        { "id": "bed-small", "file": "n.wav", "kind": "music", "magnitude": [0.0, 6.0], "licence": "own", "source": "s" }
    ] }"#;

    #[test]
    fn the_finest_fitting_region_wins_and_a_mismatched_tag_excludes() {
        let l = lib(ASSETS);
        let c = choose(&l, Role::Background, &sichuan_night(), &DEFAULT_PREFERENCE).unwrap();
        // The county asset is day-only: excluded at night; Sichuan beats China beats untagged.
        assert_eq!(c.id, "sichuan");
        assert_eq!(c.reasons, vec!["region cn-51".to_string()]);
        let day = EventTags {
            time: DayNight::Day,
            ..sichuan_night()
        };
        let c = choose(&l, Role::Background, &day, &DEFAULT_PREFERENCE).unwrap();
        assert_eq!(c.id, "luding");
        assert_eq!(c.reasons, vec!["region CN-513322", "day"]);
        let abroad = EventTags {
            regions: vec!["Nepal".into()],
            ..day
        };
        let c = choose(&l, Role::Closing, &abroad, &DEFAULT_PREFERENCE).unwrap();
        assert_eq!(c.id, "any");
        assert_eq!(c.reasons, vec!["untagged (fits any event)"]);
    }

    #[test]
    fn music_goes_by_magnitude_and_images_never_play_music() {
        let l = lib(ASSETS);
        let c = choose(&l, Role::Music, &sichuan_night(), &DEFAULT_PREFERENCE).unwrap();
        assert_eq!(c.id, "bed");
        let small = EventTags {
            magnitude: 4.2,
            ..sichuan_night()
        };
        assert_eq!(
            choose(&l, Role::Music, &small, &DEFAULT_PREFERENCE)
                .unwrap()
                .id,
            "bed-small"
        );
        let only_images = Library {
            name: String::new(),
            assets: l.assets[..5].to_vec(),
        };
        assert!(choose(&only_images, Role::Music, &small, &DEFAULT_PREFERENCE).is_none());
    }

    #[test]
    fn boxes_terrain_and_preference_order() {
        let l = lib(r#"{ "assets": [
            { "id": "box", "file": "b.png", "kind": "image", "bbox": [100, 25, 110, 35], "licence": "x", "source": "y" },
            { "id": "mountain", "file": "m.png", "kind": "clip", "terrain": ["mountain", "plateau"], "licence": "x", "source": "y" },
            { "id": "dateline", "file": "d.png", "kind": "image", "bbox": [170, -50, -170, -30], "licence": "x", "source": "y" }
        ] }"#);
        let e = sichuan_night();
        // Default order: the box (area) outranks terrain.
        assert_eq!(
            choose(&l, Role::Background, &e, &DEFAULT_PREFERENCE)
                .unwrap()
                .id,
            "box"
        );
        let terrain_first = [TagKind::Terrain, TagKind::Area];
        assert_eq!(
            choose(&l, Role::Background, &e, &terrain_first).unwrap().id,
            "mountain"
        );
        // Unknown terrain: a terrain-tagged asset does not fit.
        let flat = EventTags {
            terrain: None,
            lon: 0.0,
            lat: 0.0,
            ..e.clone()
        };
        assert!(choose(&l, Role::Background, &flat, &DEFAULT_PREFERENCE).is_none());
        // A box across the date line.
        let nz = EventTags {
            lon: 178.0,
            lat: -40.0,
            terrain: None,
            ..e
        };
        assert_eq!(
            choose(&l, Role::Background, &nz, &DEFAULT_PREFERENCE)
                .unwrap()
                .id,
            "dateline"
        );
    }

    #[test]
    fn ties_go_to_the_smallest_id() {
        let l = lib(r#"{ "assets": [
            { "id": "b", "file": "b.png", "kind": "image", "licence": "x", "source": "y" },
            { "id": "a", "file": "a.png", "kind": "image", "licence": "x", "source": "y" }
        ] }"#);
        assert_eq!(
            choose(&l, Role::Background, &sichuan_night(), &DEFAULT_PREFERENCE)
                .unwrap()
                .id,
            "a"
        );
    }

    #[test]
    fn bad_tags_files_are_refused_naming_the_asset() {
        let cases = [
            (
                r#"{ "assets": [ { "id": "a", "file": "a.png", "kind": "image", "source": "y" } ] }"#,
                "licence",
            ),
            (
                r#"{ "assets": [ { "id": "a", "file": "a.png", "kind": "image", "licence": " ", "source": "y" } ] }"#,
                "no licence",
            ),
            (
                r#"{ "assets": [ { "id": "a", "file": "../a.png", "kind": "image", "licence": "x", "source": "y" } ] }"#,
                "relative path",
            ),
            (
                r#"{ "assets": [ { "id": "a", "file": "/etc/a.png", "kind": "image", "licence": "x", "source": "y" } ] }"#,
                "relative path",
            ),
            (
                r#"{ "assets": [ { "id": "a", "file": "a.png", "kind": "image", "licence": "x", "source": "y" }, { "id": "a", "file": "b.png", "kind": "image", "licence": "x", "source": "y" } ] }"#,
                "twice",
            ),
            (
                r#"{ "assets": [ { "id": "a", "file": "a.wav", "kind": "music", "roles": ["background"], "licence": "x", "source": "y" } ] }"#,
                "cannot play",
            ),
            (
                r#"{ "assets": [ { "id": "a", "file": "a.png", "kind": "image", "bbox": [10, 40, 20, 30], "licence": "x", "source": "y" } ] }"#,
                "bbox",
            ),
            (
                r#"{ "assets": [ { "id": "a", "file": "a.png", "kind": "image", "magnitude": [7, 6], "licence": "x", "source": "y" } ] }"#,
                "range",
            ),
            (
                r#"{ "assets": [ { "id": "a", "file": "a.png", "kind": "image", "regions": ["CN-5"], "licence": "x", "source": "y" } ] }"#,
                "region",
            ),
            (
                r#"{ "assets": [ { "id": "a", "file": "a.png", "kind": "image", "colour": "red", "licence": "x", "source": "y" } ] }"#,
                "unknown field",
            ),
            (
                r#"{ "assets": [ { "id": "a", "file": "a.png", "kind": "poster", "licence": "x", "source": "y" } ] }"#,
                "unknown variant",
            ),
            ("not json", "not a tags file"),
        ];
        for (json, want) in cases {
            let e = Library::from_json(json).expect_err(json).to_string();
            assert!(e.contains(want), "{json}: {e}");
        }
    }
}
