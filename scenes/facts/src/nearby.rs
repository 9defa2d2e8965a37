//! Nearby places as CENC states them: "震中距泸定县39公里、距康定市47公里……，距甘孜藏族自治州52公里，距成都市226公里".
//!
//! The rule, read off CENC's published automatic bulletins (cases in `tests/nearby.rs`):
//!
//! 1. the [`MAX_COUNTIES`] nearest county-level seats (县, 县级市, 区), nearest first;
//! 2. the prefecture-level seats within [`PREFECTURE_REACH_KM`], nearest first (at most
//!    [`MAX_PREFECTURES`]); when none is that close, the nearest one alone (2025 定日: only
//!    "距日喀则市164公里");
//! 3. the capital of the province of the nearest county seat, measured to the provincial
//!    government's location (see [`crate::gazetteer`]), unless already named.
//!
//! Distances are great-circle (mean Earth radius), rounded to whole kilometres. Towns within
//! [`TOWN_REACH_KM`] come from the GeoNames gazetteer where it has them (it lists few Chinese
//! towns; the bulletin then says nothing about towns rather than guess).
//!
//! Outside China (see [`crate::intensity::in_mainland_china`]) the seats do not apply: the
//! nearest [`MAX_WORLD_CITIES`] GeoNames places of at least
//! [`crate::cities::MIN_PLACE_POPULATION`] people are named, in English.
use serde::{Deserialize, Serialize};

use crate::geo::{distance_km, unit, EARTH_RADIUS_KM};
use crate::seats::{capital_name, Seat, SeatLevel};
use crate::{Assets, Event};

/// County-level seats named.
pub const MAX_COUNTIES: usize = 5;
/// Prefecture-level seats nearer than this are all named (up to [`MAX_PREFECTURES`]).
pub const PREFECTURE_REACH_KM: f64 = 100.0;
pub const MAX_PREFECTURES: usize = 2;
/// Towns named when this close.
pub const TOWN_REACH_KM: f64 = 20.0;
pub const MAX_TOWNS: usize = 3;
/// Cities named for an event outside China.
pub const MAX_WORLD_CITIES: usize = 3;
/// How far a Mandarin bulletin looks for a city with a Chinese name when the nearest have none.
pub const WORLD_CITY_ZH_REACH_KM: f64 = 1500.0;

/// What kind of place a [`NearPlace`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PlaceKind {
    County,
    Prefecture,
    /// A provincial capital (distance to the provincial government).
    Capital,
    /// A town or village from the GeoNames gazetteer.
    Town,
    /// A city outside China (GeoNames).
    City,
}

/// A named place and its distance from the epicentre.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NearPlace {
    /// The name as the bulletin writes it (泸定县, Kathmandu).
    pub name: String,
    /// Its Chinese name for a Chinese script, where the gazetteer has one.
    pub name_zh: Option<String>,
    pub kind: PlaceKind,
    pub lon: f64,
    pub lat: f64,
    /// Great-circle distance, km (unrounded).
    pub distance_km: f64,
}

impl NearPlace {
    /// Whole kilometres, as the bulletin says them (half away from zero).
    pub fn km(&self) -> u32 {
        self.distance_km.round().max(0.0) as u32
    }

    /// The name for a Chinese bulletin (the Chinese name when there is one).
    pub fn label_zh(&self) -> &str {
        self.name_zh.as_deref().unwrap_or(&self.name)
    }

    /// The name for an English bulletin: a Chinese seat's name in pinyin ("Luding County",
    /// "Chengdu"), other names as the gazetteer writes them.
    pub fn name_en(&self) -> String {
        if self.name.chars().any(crate::lang::is_cjk) {
            crate::placename::english_seat_name(&self.name)
        } else {
            self.name.clone()
        }
    }
}

/// County seats the narration names (the map shows them all).
pub const SPOKEN_COUNTIES: usize = 2;
/// Cities an English narration names.
pub const SPOKEN_CITIES: usize = 3;

/// The places a bulletin names around its epicentre.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Nearby {
    /// Whether the Chinese seat rule applied (epicentre in China).
    pub china: bool,
    /// County-level seats, nearest first.
    pub counties: Vec<NearPlace>,
    /// Prefecture-level seats, nearest first.
    pub prefectures: Vec<NearPlace>,
    pub capital: Option<NearPlace>,
    /// Towns within [`TOWN_REACH_KM`], nearest first.
    pub towns: Vec<NearPlace>,
    /// Outside China: the nearest cities, nearest first.
    pub cities: Vec<NearPlace>,
}

impl Nearby {
    /// Every named place, in the order the sentence names them.
    pub fn all(&self) -> impl Iterator<Item = &NearPlace> {
        self.counties
            .iter()
            .chain(&self.prefectures)
            .chain(&self.capital)
            .chain(&self.cities)
    }

    /// Whether there is anything to say.
    pub fn is_empty(&self) -> bool {
        self.all().next().is_none()
    }

    /// "震中距泸定县39公里、距康定市47公里……，距甘孜藏族自治州52公里，距成都市226公里。"
    /// (digits, as CENC writes it); `None` when no place is known.
    pub fn sentence_zh(&self) -> Option<String> {
        self.sentence_zh_with(|km| km.to_string())
    }

    /// The spoken form: numbers read in Mandarin ("三十九公里").
    pub fn sentence_zh_spoken(&self) -> Option<String> {
        self.sentence_zh_with(|km| crate::zh::zh_integer(i64::from(km)))
    }

    /// The narration's shorter sentence (the scene's map labels name them all): the
    /// [`SPOKEN_COUNTIES`] nearest county seats and the provincial capital (the nearest
    /// prefecture seat when no county seat is near); outside China the [`SPOKEN_CITIES`] nearest cities. Digits, as the subtitle
    /// shows it.
    pub fn brief_zh(&self) -> Option<String> {
        self.brief().sentence_zh()
    }

    /// [`Nearby::brief_zh`] as spoken ("三十九公里").
    pub fn brief_zh_spoken(&self) -> Option<String> {
        self.brief().sentence_zh_spoken()
    }

    /// [`Nearby::sentence_en`] of the brief list.
    pub fn brief_en(&self) -> Option<String> {
        self.brief().sentence_en()
    }

    /// The tight narration's sentence: only the nearest county seat (in China; its prefecture
    /// seat when there is none) or the nearest city with a Chinese name ("震中距泸定县39公里。").
    pub fn nearest_zh(&self) -> Option<String> {
        self.nearest(true).sentence_zh()
    }

    /// [`Nearby::nearest_zh`] as spoken.
    pub fn nearest_zh_spoken(&self) -> Option<String> {
        self.nearest(true).sentence_zh_spoken()
    }

    /// The tight English sentence: the nearest place alone.
    pub fn nearest_en(&self) -> Option<String> {
        self.nearest(false).sentence_en()
    }

    fn nearest(&self, zh: bool) -> Nearby {
        let first = self
            .counties
            .first()
            .or(self.prefectures.first())
            .or(self.capital.as_ref());
        let city = self
            .cities
            .iter()
            .find(|c| !zh || c.name_zh.is_some())
            .cloned();
        Nearby {
            china: self.china,
            counties: if self.china {
                first.cloned().into_iter().collect()
            } else {
                Vec::new()
            },
            cities: city.into_iter().collect(),
            ..Nearby::default()
        }
    }

    fn brief(&self) -> Nearby {
        Nearby {
            china: self.china,
            counties: self
                .counties
                .iter()
                .take(SPOKEN_COUNTIES)
                .cloned()
                .collect(),
            prefectures: if self.counties.is_empty() {
                self.prefectures.iter().take(1).cloned().collect()
            } else {
                Vec::new()
            },
            capital: self.capital.clone(),
            towns: Vec::new(),
            cities: self.cities.iter().take(SPOKEN_CITIES).cloned().collect(),
        }
    }

    fn sentence_zh_with(&self, num: impl Fn(u32) -> String) -> Option<String> {
        if self.is_empty() {
            return None;
        }
        let part = |p: &NearPlace| format!("{}{}公里", p.label_zh(), num(p.km()));
        let mut s = String::from("震中距");
        if self.china {
            let counties: Vec<String> = self.counties.iter().map(part).collect();
            s.push_str(&counties.join("、距"));
            for p in self.prefectures.iter().chain(&self.capital) {
                if s != "震中距" {
                    s.push_str("，距");
                }
                s.push_str(&part(p));
            }
        } else {
            // A Mandarin sentence names only places with a Chinese name (no Latin text).
            let cities: Vec<String> = self
                .cities
                .iter()
                .filter(|c| c.name_zh.is_some())
                .map(part)
                .collect();
            if cities.is_empty() {
                return None;
            }
            s.push_str(&cities.join("、距"));
        }
        s.push('。');
        Some(s)
    }

    /// "GeoNames所载20公里内的乡镇：磨西镇、得妥镇。" when the gazetteer knows towns that close. The
    /// gazetteer holds some towns only (places of 1,000 people or more that GeoNames lists), so
    /// the line says where the names come from rather than claiming they are all.
    pub fn towns_zh(&self) -> Option<String> {
        if self.towns.is_empty() {
            return None;
        }
        let names: Vec<&str> = self.towns.iter().map(NearPlace::label_zh).collect();
        Some(format!(
            "GeoNames所载{}公里内的乡镇：{}。",
            TOWN_REACH_KM as u32,
            names.join("、")
        ))
    }

    /// "Nearest cities: Kathmandu 93 km, Pokhara 150 km." (also for Chinese seats, in pinyin-free
    /// Chinese names, for an English script about an event in China).
    pub fn sentence_en(&self) -> Option<String> {
        if self.is_empty() {
            return None;
        }
        let parts: Vec<String> = self
            .all()
            .map(|p| format!("{} {} km", p.name_en(), p.km()))
            .collect();
        let what = match (self.china, parts.len()) {
            (true, 1) => "Nearest county seat",
            (true, _) => "Distances from the epicenter",
            (false, 1) => "Nearest city",
            (false, _) => "Nearest cities",
        };
        Some(format!("{what}: {}.", parts.join(", ")))
    }
}

/// The places around an event's epicentre (pure; cost: one scan of the seat table and of the
/// gazetteer, ~0.1 ms).
pub fn nearby(event: &Event, assets: &Assets) -> Nearby {
    let (lon, lat) = (event.lon, event.lat);
    let china = crate::intensity::in_mainland_china(lat, lon) && !assets.seats.is_empty();
    if china {
        china_seats(lon, lat, &assets.seats, assets)
    } else {
        world_cities(lon, lat, assets)
    }
}

fn dist(u: [f64; 3], p: [f64; 3]) -> f64 {
    // Chord to arc: exact on the sphere, cheaper than haversine for a scan.
    let d = ((u[0] - p[0]).powi(2) + (u[1] - p[1]).powi(2) + (u[2] - p[2]).powi(2)).sqrt();
    2.0 * (d / 2.0).clamp(0.0, 1.0).asin() * EARTH_RADIUS_KM
}

fn seat_place(s: &Seat, kind: PlaceKind, d: f64) -> NearPlace {
    NearPlace {
        name: s.name.clone(),
        name_zh: Some(s.name.clone()),
        kind,
        lon: s.lon,
        lat: s.lat,
        distance_km: d,
    }
}

fn china_seats(lon: f64, lat: f64, seats: &[Seat], assets: &Assets) -> Nearby {
    let u = unit(lon, lat);
    let mut counties: Vec<(f64, &Seat)> = Vec::new();
    let mut prefs: Vec<(f64, &Seat)> = Vec::new();
    for s in seats {
        let d = dist(u, s.unit);
        match s.level {
            SeatLevel::County => counties.push((d, s)),
            SeatLevel::Prefecture => prefs.push((d, s)),
            SeatLevel::Province => {}
        }
    }
    let by_distance =
        |a: &(f64, &Seat), b: &(f64, &Seat)| a.0.total_cmp(&b.0).then(a.1.adcode.cmp(&b.1.adcode));
    counties.sort_by(by_distance);
    prefs.sort_by(by_distance);
    let first_province = counties.first().map(|(_, s)| s.province_code());
    let counties: Vec<NearPlace> = counties
        .iter()
        .take(MAX_COUNTIES)
        .map(|(d, s)| seat_place(s, PlaceKind::County, *d))
        .collect();
    let mut prefectures: Vec<NearPlace> = prefs
        .iter()
        .take_while(|(d, _)| *d <= PREFECTURE_REACH_KM)
        .take(MAX_PREFECTURES)
        .map(|(d, s)| seat_place(s, PlaceKind::Prefecture, *d))
        .collect();
    if prefectures.is_empty() {
        if let Some((d, s)) = prefs.first() {
            prefectures.push(seat_place(s, PlaceKind::Prefecture, *d));
        }
    }
    let capital = first_province.and_then(|code| {
        let name = capital_name(code)?;
        let province = seats
            .iter()
            .find(|s| s.level == SeatLevel::Province && s.province_code() == code)?;
        let named = counties.iter().chain(&prefectures).any(|p| p.name == name);
        (!named).then(|| NearPlace {
            name: name.to_string(),
            name_zh: Some(name.to_string()),
            kind: PlaceKind::Capital,
            lon: province.lon,
            lat: province.lat,
            distance_km: dist(u, province.unit),
        })
    });
    // Towns: gazetteer places close by that are not one of the seats already named.
    let mut towns: Vec<NearPlace> = Vec::new();
    for p in &assets.towns {
        let d = distance_km((lon, lat), (p.lon, p.lat));
        if d > TOWN_REACH_KM {
            continue;
        }
        let Some(zh) = p.name_zh.as_deref() else {
            continue;
        };
        let seat_like = counties
            .iter()
            .any(|c| distance_km((c.lon, c.lat), (p.lon, p.lat)) < 3.0 || c.name.contains(zh));
        if seat_like || zh.ends_with('县') {
            continue;
        }
        towns.push(NearPlace {
            name: p.name.clone(),
            name_zh: Some(zh.to_string()),
            kind: PlaceKind::Town,
            lon: p.lon,
            lat: p.lat,
            distance_km: d,
        });
    }
    towns.sort_by(|a, b| a.distance_km.total_cmp(&b.distance_km));
    towns.truncate(MAX_TOWNS);
    Nearby {
        china: true,
        counties,
        prefectures,
        capital,
        towns,
        cities: Vec::new(),
    }
}

fn world_cities(lon: f64, lat: f64, assets: &Assets) -> Nearby {
    let u = unit(lon, lat);
    let mut best: Vec<(f64, &crate::cities::Place)> = assets
        .places
        .iter()
        .map(|p| {
            let pu = unit(p.lon, p.lat);
            (dist(u, pu), p)
        })
        .collect();
    best.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.geonameid.cmp(&b.1.geonameid)));
    let city = |&(d, p): &(f64, &crate::cities::Place)| NearPlace {
        name: p.name.clone(),
        // Only a real Chinese name: a Mandarin sentence must not fall back to the Latin one.
        name_zh: p.name_zh.clone(),
        kind: PlaceKind::City,
        lon: p.lon,
        lat: p.lat,
        distance_km: d,
    };
    let mut cities: Vec<NearPlace> = best.iter().take(MAX_WORLD_CITIES).map(city).collect();
    // A Mandarin bulletin names only places with a Chinese name: when none of the nearest has
    // one, the nearest that has one (within WORLD_CITY_ZH_REACH_KM) joins the list.
    if !cities.iter().any(|c| c.name_zh.is_some()) {
        if let Some(p) = best
            .iter()
            .take_while(|(d, _)| *d <= WORLD_CITY_ZH_REACH_KM)
            .find(|(_, p)| p.name_zh.is_some())
        {
            cities.push(city(p));
        }
    }
    Nearby {
        china: false,
        cities,
        ..Nearby::default()
    }
}
