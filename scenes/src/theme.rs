//! Themes as data: colours, scene lengths and which scenes play for which magnitude band.
//!
//! A theme is a JSON file (see `scenes/themes/`), decoded with [`Theme::from_json`]; every field
//! is optional and falls back to [`Theme::default`], the built-in dark navy public-service look,
//! so an operator can restyle a bulletin without recompiling by writing only what changes.
//! Colours are `"#rrggbb"` or `"#rrggbbaa"` strings. Unknown fields are refused (a typo in a
//! theme file should fail loudly, naming the field, not silently fall back).
//!
//! ```json
//! { "name": "night", "palette": { "bg_top": "#000000" },
//!   "durations": { "Map": 5.5 },
//!   "bands": [ { "min_magnitude": 0.0, "scenes": ["Header", "Parameters", "Map", "Closing"] } ] }
//! ```
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Color, SceneKind};

/// Colours of a bulletin.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Palette {
    /// Background gradient, top and bottom.
    #[serde(with = "hex")]
    pub bg_top: Color,
    #[serde(with = "hex")]
    pub bg_bottom: Color,
    #[serde(with = "hex")]
    pub text: Color,
    #[serde(with = "hex")]
    pub muted: Color,
    /// Magnitude, marker, accents.
    #[serde(with = "hex")]
    pub accent: Color,
    /// Automatic-report badge and caveats.
    #[serde(with = "hex")]
    pub warn: Color,
    #[serde(with = "hex")]
    pub badge: Color,
    #[serde(with = "hex")]
    pub rule: Color,
    #[serde(with = "hex")]
    pub sea: Color,
    #[serde(with = "hex")]
    pub land: Color,
    #[serde(with = "hex")]
    pub china_land: Color,
    #[serde(with = "hex")]
    pub province_line: Color,
    #[serde(with = "hex")]
    pub country_line: Color,
    #[serde(with = "hex")]
    pub ring_line: Color,
    #[serde(with = "hex")]
    pub label_bg: Color,
    /// County borders and names on zoomed maps.
    #[serde(with = "hex")]
    pub county_line: Color,
    #[serde(with = "hex")]
    pub county_label: Color,
    /// Active fault traces.
    #[serde(with = "hex")]
    pub fault_line: Color,
    /// Rivers on zoomed maps (lakes are filled in `sea`).
    #[serde(with = "hex")]
    pub river_line: Color,
    /// Earlier earthquakes on the maps (recent seismicity), outlined in `text`.
    #[serde(with = "hex")]
    pub quake_dot: Color,
    /// Predicted-intensity fills, from the lowest drawn level (IV) up to X and above.
    #[serde(with = "hex_list")]
    pub intensity: Vec<Color>,
}

impl Default for Palette {
    fn default() -> Self {
        Palette {
            bg_top: Color::hex(0x0c1f3f),
            bg_bottom: Color::hex(0x050e1f),
            text: Color::hex(0xffffff),
            muted: Color::hex(0xa7b6cf),
            accent: Color::hex(0xff4a2b),
            warn: Color::hex(0xffa133),
            badge: Color::hex(0x21406b),
            rule: Color::rgba(1.0, 1.0, 1.0, 0.14),
            sea: Color::hex(0x0a2445),
            land: Color::hex(0x1b3253),
            china_land: Color::hex(0x26466f),
            province_line: Color::hex(0x55779f),
            country_line: Color::hex(0x98acc8),
            ring_line: Color::rgba(1.0, 1.0, 1.0, 0.7),
            label_bg: Color::rgba(0.02, 0.06, 0.13, 0.75),
            county_line: Color::hex(0x3f6090),
            county_label: Color::hex(0x8fa6c8),
            fault_line: Color::hex(0xd9774a),
            river_line: Color::hex(0x4a8ed2),
            quake_dot: Color::hex(0xf2c14e),
            // IV .. X+: pale yellow to deep red (the usual isoseismal colours).
            intensity: vec![
                Color::hex(0xffe9a0),
                Color::hex(0xffc857),
                Color::hex(0xff9a3c),
                Color::hex(0xff6a2b),
                Color::hex(0xe8412a),
                Color::hex(0xc0222a),
                Color::hex(0x8e1228),
            ],
        }
    }
}

impl Palette {
    /// The fill for intensity `level` (IV and up; lower levels take the IV colour).
    pub fn intensity_color(&self, level: u8) -> Color {
        let i = usize::from(level.saturating_sub(4));
        self.intensity
            .get(i)
            .or(self.intensity.last())
            .copied()
            .unwrap_or(self.accent)
    }
}

/// The scenes that play for events of at least `min_magnitude`, and how long their bulletin
/// may last.
///
/// Length policy: the bulletin is fitted to `target_secs` first (full wording, then the tight
/// wording, then with the low-priority cues unspoken: `narration::UNSPOKEN_FIRST`), then, when
/// the must-say speech still does not fit, to `max_secs` the same way; it is never shorter than
/// `min_secs` (the scenes are stretched). A report never fails for its speech: if even the
/// must-say cues need more than `max_secs`, the bulletin runs as long as they need, and says so
/// in its manifest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    pub min_magnitude: f64,
    /// In playing order. Scenes whose data is missing (places without a seat table, history
    /// without a catalogue) are left out.
    pub scenes: Vec<SceneKind>,
    /// Shortest bulletin, seconds.
    #[serde(default = "default_min_secs")]
    pub min_secs: f64,
    /// The length a bulletin of this band is fitted to first, seconds.
    #[serde(default = "default_target_secs")]
    pub target_secs: f64,
    /// The band's longest length, seconds, used only when the must-say speech needs it.
    #[serde(default = "default_max_secs")]
    pub max_secs: f64,
}

fn default_min_secs() -> f64 {
    15.0
}
fn default_target_secs() -> f64 {
    25.0
}
fn default_max_secs() -> f64 {
    25.0
}

impl Band {
    /// A band with the default lengths (15–25 s).
    pub fn new(min_magnitude: f64, scenes: Vec<SceneKind>) -> Band {
        Band {
            min_magnitude,
            scenes,
            min_secs: default_min_secs(),
            target_secs: default_target_secs(),
            max_secs: default_max_secs(),
        }
    }

    /// The same band with lengths `min`, `target` and `max` seconds.
    pub fn lengths(mut self, min: f64, target: f64, max: f64) -> Band {
        self.min_secs = min;
        self.target_secs = target;
        self.max_secs = max;
        self
    }
}

/// A bulletin's look and timing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Theme {
    pub name: String,
    pub palette: Palette,
    /// Default length of each scene, seconds (narration may lengthen a scene, never shorten it).
    pub durations: BTreeMap<SceneKind, f64>,
    /// Scene lists by magnitude: the band with the largest `min_magnitude` not above the
    /// event's magnitude applies (the first band when none does).
    pub bands: Vec<Band>,
    /// Show the subtitle band's burned-in captions (when the storyboard has cues).
    pub subtitles: bool,
    /// Narration language: `"Zh"` (Mandarin) or `"En"` (English); none: automatic (Mandarin for
    /// CENC reports and Chinese place names, English otherwise; `narration::script_lang`).
    pub lang: Option<quakecast_facts::Lang>,
    /// Where the material library's assets go and how they look ([`MaterialStyle`]).
    pub materials: MaterialStyle,
    /// How one scene gives way to the next ([`Transition`]).
    pub transition: Transition,
}

/// How scenes change ([`crate::storyboard::FADE_SECS`] on each side of a cut).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Transition {
    /// The outgoing scene dips to the background, the incoming one rises from it.
    Dip,
    /// A panel of the background colour with an accent edge sweeps across from the right,
    /// covering the outgoing scene and uncovering the incoming one, as news channels cut.
    #[default]
    Wipe,
}

/// The material library in a theme: which scenes show the background asset, whether the
/// closing card has its own, how the assets are ranked, and how they are drawn.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MaterialStyle {
    /// Scenes drawn over the background asset (the maps never are).
    pub background_scenes: Vec<SceneKind>,
    /// Draw the closing asset (or else the background asset) behind the closing card.
    pub closing: bool,
    /// Play a music bed from the library when one fits (else the synthesized music).
    pub music: bool,
    /// Tag kinds, most important first ([`quakecast_facts::material::score`]).
    pub prefer: Vec<quakecast_facts::material::TagKind>,
    /// How much of the background gradient lies over the picture (0: none, 1: hides it).
    pub dim: f32,
    /// Zoom a still reaches at the end of its scene (a slow push-in; 1: none).
    pub zoom: f32,
    /// Clips play at this fraction of their speed (slow motion).
    pub clip_speed: f32,
}

impl Default for MaterialStyle {
    fn default() -> Self {
        MaterialStyle {
            background_scenes: vec![SceneKind::Header, SceneKind::Parameters],
            closing: true,
            music: true,
            prefer: quakecast_facts::material::DEFAULT_PREFERENCE.to_vec(),
            dim: 0.55,
            zoom: 1.08,
            clip_speed: 0.5,
        }
    }
}

/// The scene lengths of the default theme, seconds.
pub const DEFAULT_DURATIONS: [(SceneKind, f64); 7] = [
    (SceneKind::Header, 2.5),
    (SceneKind::Parameters, 4.0),
    (SceneKind::Map, 4.5),
    (SceneKind::Places, 4.0),
    (SceneKind::Intensity, 4.0),
    (SceneKind::History, 3.5),
    (SceneKind::Closing, 3.0),
];

impl Default for Theme {
    fn default() -> Self {
        use SceneKind::*;
        Theme {
            name: "default".into(),
            palette: Palette::default(),
            durations: DEFAULT_DURATIONS.into_iter().collect(),
            bands: vec![
                // Small events: where and how big; no shaking prediction worth a scene.
                Band::new(-10.0, vec![Header, Parameters, Map, Places, Closing])
                    .lengths(15.0, 25.0, 30.0),
                Band::new(
                    3.0,
                    vec![Header, Parameters, Map, Places, Intensity, History, Closing],
                )
                .lengths(15.0, 25.0, 30.0),
                // Damaging quakes get room to say more: intensity, felt radius, history.
                Band::new(
                    5.0,
                    vec![Header, Parameters, Map, Places, Intensity, History, Closing],
                )
                .lengths(15.0, 30.0, 35.0),
                Band::new(
                    6.5,
                    vec![Header, Parameters, Map, Places, Intensity, History, Closing],
                )
                .lengths(20.0, 40.0, 50.0),
            ],
            subtitles: true,
            lang: None,
            materials: MaterialStyle::default(),
            transition: Transition::default(),
        }
    }
}

impl Theme {
    /// The night variant: darker background, dimmer land, softer white, the same layout.
    /// The built-in day theme with `lang` (what a command line's `--lang` makes of no theme).
    pub fn default_with_lang(lang: Option<quakecast_facts::Lang>) -> Theme {
        Theme {
            lang,
            ..Theme::default()
        }
    }

    pub fn night() -> Theme {
        let p = Palette {
            bg_top: Color::hex(0x05080f),
            bg_bottom: Color::hex(0x000000),
            text: Color::hex(0xe6e9ef),
            muted: Color::hex(0x8a93a6),
            badge: Color::hex(0x1a2233),
            sea: Color::hex(0x03070f),
            land: Color::hex(0x111826),
            china_land: Color::hex(0x182336),
            province_line: Color::hex(0x3b4a63),
            country_line: Color::hex(0x6d7c96),
            ring_line: Color::rgba(0.9, 0.92, 0.95, 0.6),
            label_bg: Color::rgba(0.0, 0.0, 0.0, 0.7),
            ..Palette::default()
        };
        Theme {
            name: "night".into(),
            palette: p,
            ..Theme::default()
        }
    }

    /// Decode a theme file (JSON). Missing fields take the default theme's values.
    pub fn from_json(json: &str) -> Result<Theme, crate::error::ThemeError> {
        serde_json::from_str(json).map_err(|e| crate::error::ThemeError {
            message: e.to_string(),
        })
    }

    /// This theme as pretty JSON (how `scenes/themes/*.json` are written).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The default length of `kind`, seconds (3 s for a scene the theme leaves out).
    pub fn secs(&self, kind: SceneKind) -> f64 {
        self.durations.get(&kind).copied().unwrap_or(3.0)
    }

    /// The scene list for an event of magnitude `m`.
    pub fn scenes_for(&self, m: f64) -> &[SceneKind] {
        self.band_for(m).map_or(&[], |b| b.scenes.as_slice())
    }

    /// The band for an event of magnitude `m`: the one with the largest `min_magnitude` not
    /// above `m` (the first band when none is).
    pub fn band_for(&self, m: f64) -> Option<&Band> {
        let mut best: Option<&Band> = None;
        for b in &self.bands {
            if b.min_magnitude <= m && best.is_none_or(|x| b.min_magnitude >= x.min_magnitude) {
                best = Some(b);
            }
        }
        best.or(self.bands.first())
    }

    /// The band's lengths for magnitude `m` as (min, target, max) seconds, checked to be in
    /// order (a theme with `max_secs` below `target_secs` gets its target as the max); 15–25 s
    /// when the theme has no band.
    pub fn lengths_for(&self, m: f64) -> (f64, f64, f64) {
        match self.band_for(m) {
            Some(b) => {
                let target = b.target_secs.max(1.0);
                (
                    b.min_secs.clamp(0.0, target),
                    target,
                    b.max_secs.max(target),
                )
            }
            None => (15.0, 25.0, 25.0),
        }
    }
}

mod hex {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::Color;

    pub fn to_string(c: &Color) -> String {
        let b = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
        if c.a >= 1.0 {
            format!("#{:02x}{:02x}{:02x}", b(c.r), b(c.g), b(c.b))
        } else {
            format!("#{:02x}{:02x}{:02x}{:02x}", b(c.r), b(c.g), b(c.b), b(c.a))
        }
    }

    pub fn parse(s: &str) -> Option<Color> {
        let h = s.strip_prefix('#')?;
        if !(h.len() == 6 || h.len() == 8) || !h.is_ascii() {
            return None;
        }
        let byte = |i: usize| u8::from_str_radix(&h[i..i + 2], 16).ok();
        let a = if h.len() == 8 { byte(6)? } else { 255 };
        Some(Color::rgba(
            f32::from(byte(0)?) / 255.0,
            f32::from(byte(2)?) / 255.0,
            f32::from(byte(4)?) / 255.0,
            f32::from(a) / 255.0,
        ))
    }

    pub fn serialize<S: Serializer>(c: &Color, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&to_string(c))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Color, D::Error> {
        let s = String::deserialize(d)?;
        parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "`{s}`: expected a colour \"#rrggbb\" or \"#rrggbbaa\""
            ))
        })
    }
}

mod hex_list {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::Color;

    pub fn serialize<S: Serializer>(v: &[Color], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(super::hex::to_string))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Color>, D::Error> {
        let v = Vec::<String>::deserialize(d)?;
        v.iter()
            .map(|s| {
                super::hex::parse(s).ok_or_else(|| {
                    serde::de::Error::custom(format!("`{s}`: expected a colour \"#rrggbb\""))
                })
            })
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip_and_partial_files() {
        let t = Theme::night();
        let back = Theme::from_json(&t.to_json()).unwrap();
        assert_eq!(back.name, "night");
        assert_eq!(back.durations, t.durations);
        assert_eq!(back.bands, t.bands);
        // Colours survive to 8-bit precision.
        assert!((back.palette.sea.b - t.palette.sea.b).abs() < 1.0 / 255.0);
        let partial = Theme::from_json(r##"{"palette": {"accent": "#00ff0080"}}"##).unwrap();
        assert_eq!(partial.palette.accent.g, 1.0);
        assert!((partial.palette.accent.a - 128.0 / 255.0).abs() < 1e-6);
        assert_eq!(partial.palette.text, Palette::default().text);
        assert_eq!(partial.bands, Theme::default().bands);
        let e = Theme::from_json(r##"{"palette": {"acent": "#fff"}}"##)
            .unwrap_err()
            .to_string();
        assert!(e.contains("acent"), "{e}");
        let e = Theme::from_json(r##"{"palette": {"accent": "red"}}"##)
            .unwrap_err()
            .to_string();
        assert!(e.contains("red"), "{e}");
    }

    #[test]
    fn bands_pick_scenes_by_magnitude() {
        let t = Theme::default();
        assert!(!t.scenes_for(2.0).contains(&SceneKind::Intensity));
        assert!(t.scenes_for(4.8).contains(&SceneKind::Intensity));
        assert!(t.scenes_for(9.0).contains(&SceneKind::History));
        assert_eq!(t.scenes_for(-1.0)[0], SceneKind::Header);
    }

    #[test]
    fn sample_theme_files_decode() {
        for (name, json) in [
            ("default", include_str!("../themes/default.json")),
            ("night", include_str!("../themes/night.json")),
        ] {
            let t = Theme::from_json(json).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(t.name, name);
        }
        assert_eq!(
            Theme::from_json(include_str!("../themes/default.json")).unwrap(),
            Theme::from_json(&Theme::default().to_json()).unwrap()
        );
    }
}
