//! The GeoNames gazetteer (`data/geonames/cities1000.json`) for the audience: nearest place,
//! gazetteer-based exposure and the synthetic user generator's city weights.
//!
//! Decoding (and the choice of Chinese names) is `quakecast_facts::cities`, shared with the
//! bulletin's map labels.
use std::path::Path;

use quakecast_facts::cities::{decode_geonames, decode_geonames_where, Place};
use quakecast_facts::intensity::EARTH_RADIUS_KM;

use super::error::{AudienceError, Result};

/// The gazetteer file under the data directory.
pub const GAZETTEER_FILE: &str = "geonames/cities1000.json";

/// Every place of the gazetteer (≥ 1,000 people), largest first.
pub struct Gazetteer {
    pub places: Vec<Place>,
}

impl Gazetteer {
    /// Read and decode `cities1000.json`.
    pub fn load(path: &Path) -> Result<Gazetteer> {
        let json = std::fs::read_to_string(path).map_err(|e| AudienceError::io(path, e))?;
        let places = decode_geonames(&json, 0).map_err(|e| AudienceError::Gazetteer {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        if places.is_empty() {
            return Err(AudienceError::Gazetteer {
                path: path.display().to_string(),
                message: "no places".into(),
            });
        }
        Ok(Gazetteer { places })
    }

    /// Read `cities1000.json` keeping only the places within `radius_km` (plus a 10 km margin)
    /// of a point: what [`Gazetteer::near`] with that radius then finds is the same as in the
    /// whole gazetteer, and the other places' names are never decoded (the audience's
    /// `select` and `cells` need only the places around the epicentre). May be empty (a quake
    /// at sea).
    pub fn load_near(path: &Path, lat: f64, lon: f64, radius_km: f64) -> Result<Gazetteer> {
        let json = std::fs::read_to_string(path).map_err(|e| AudienceError::io(path, e))?;
        let c = unit(lat, lon);
        let reach = (radius_km.max(0.0) + 10.0) / EARTH_RADIUS_KM;
        let min_dot = if reach >= std::f64::consts::PI {
            -2.0
        } else {
            reach.cos()
        };
        let keep = |la: f64, lo: f64| dot(&unit(la, lo), &c) >= min_dot;
        let places =
            decode_geonames_where(&json, 0, &keep).map_err(|e| AudienceError::Gazetteer {
                path: path.display().to_string(),
                message: e.to_string(),
            })?;
        Ok(Gazetteer { places })
    }

    pub fn from_places(places: Vec<Place>) -> Gazetteer {
        Gazetteer { places }
    }

    /// The places within `radius_km` of a point, indexed for nearest-place queries.
    pub fn near(&self, lat: f64, lon: f64, radius_km: f64) -> NearPlaces<'_> {
        let c = unit(lat, lon);
        let min_dot = (radius_km / EARTH_RADIUS_KM)
            .min(std::f64::consts::PI)
            .cos();
        let mut entries: Vec<(f64, [f64; 3], u32)> = self
            .places
            .iter()
            .enumerate()
            .filter_map(|(i, p)| {
                let u = unit(p.lat, p.lon);
                (dot(&u, &c) >= min_dot).then_some((p.lat, u, i as u32))
            })
            .collect();
        entries.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.2.cmp(&b.2)));
        NearPlaces {
            places: &self.places,
            entries,
        }
    }
}

/// A subset of places sorted by latitude: the nearest place to a point is found by sweeping
/// outwards in latitude until the latitude gap alone exceeds the best distance (a great-circle
/// distance is never less than the latitude difference), so the answer is exact.
pub struct NearPlaces<'a> {
    places: &'a [Place],
    entries: Vec<(f64, [f64; 3], u32)>,
}

impl<'a> NearPlaces<'a> {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Indices (into the gazetteer) of the places in this subset.
    pub fn indices(&self) -> impl Iterator<Item = usize> + '_ {
        self.entries.iter().map(|e| e.2 as usize)
    }

    pub fn place(&self, index: usize) -> &'a Place {
        &self.places[index]
    }

    /// The nearest place (gazetteer index) and its distance in km.
    pub fn nearest(&self, lat: f64, lon: f64) -> Option<(usize, f64)> {
        if self.entries.is_empty() {
            return None;
        }
        let q = unit(lat, lon);
        let start = self.entries.partition_point(|e| e.0 < lat);
        let mut best: Option<(usize, f64)> = None; // (entry, angle in radians)
        let consider = |k: usize, best: &mut Option<(usize, f64)>| {
            let ang = angle(&q, &self.entries[k].1);
            if best.is_none_or(|(_, b)| ang < b) {
                *best = Some((k, ang));
            }
        };
        let (mut up, mut down) = (start, start);
        loop {
            let bound = best.map_or(f64::INFINITY, |(_, b)| b.to_degrees());
            let up_ok = up < self.entries.len() && self.entries[up].0 - lat <= bound;
            let down_ok = down > 0 && lat - self.entries[down - 1].0 <= bound;
            if !up_ok && !down_ok {
                break;
            }
            if up_ok {
                consider(up, &mut best);
                up += 1;
            }
            if down_ok {
                down -= 1;
                consider(down, &mut best);
            }
        }
        best.map(|(k, a)| (self.entries[k].2 as usize, a * EARTH_RADIUS_KM))
    }
}

pub(crate) fn unit(lat: f64, lon: f64) -> [f64; 3] {
    let (sp, cp) = lat.to_radians().sin_cos();
    let (sl, cl) = lon.to_radians().sin_cos();
    [cp * cl, cp * sl, sp]
}

fn dot(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// Angle between unit vectors, accurate at small angles.
fn angle(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    let c = [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ];
    (c[0] * c[0] + c[1] * c[1] + c[2] * c[2])
        .sqrt()
        .atan2(dot(a, b))
}

/// A short display name: Chinese where the gazetteer has it, else the GeoNames name.
pub fn display_name(p: &Place) -> &str {
    p.name_zh.as_deref().unwrap_or(&p.name)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use quakecast_facts::geo::distance_km;

    pub(crate) fn place(id: u64, name: &str, lat: f64, lon: f64, population: u64) -> Place {
        Place {
            geonameid: id,
            name: name.into(),
            name_zh: None,
            country: "XX".into(),
            lon,
            lat,
            population,
            unit: [0.0; 3],
        }
    }

    #[test]
    fn nearest_is_exact_against_brute_force() {
        let mut places = Vec::new();
        let mut s = 12345u64;
        for i in 0..400 {
            s = super::super::index::mix(s.wrapping_add(i));
            let lat = 28.0 + (s % 10_000) as f64 / 10_000.0 * 4.0;
            let lon = 100.0 + ((s >> 20) % 10_000) as f64 / 10_000.0 * 4.0;
            places.push(place(i, "p", lat, lon, 1000));
        }
        let g = Gazetteer::from_places(places);
        let near = g.near(30.0, 102.0, 1000.0);
        assert_eq!(near.len(), 400);
        for k in 0..200u64 {
            let lat = 27.5 + (k % 20) as f64 * 0.25;
            let lon = 99.5 + (k / 20) as f64 * 0.5;
            let (got, d) = near.nearest(lat, lon).unwrap();
            let want = (0..g.places.len())
                .min_by(|&a, &b| {
                    let da = distance_km((lon, lat), (g.places[a].lon, g.places[a].lat));
                    let db = distance_km((lon, lat), (g.places[b].lon, g.places[b].lat));
                    da.total_cmp(&db)
                })
                .unwrap();
            let dw = distance_km((lon, lat), (g.places[want].lon, g.places[want].lat));
            assert!(
                (d - dw).abs() < 1e-6,
                "{lat},{lon}: {got} {d} vs {want} {dw}"
            );
        }
    }

    #[test]
    fn near_filters_by_radius_across_the_antimeridian() {
        let g = Gazetteer::from_places(vec![
            place(1, "east", -17.0, 179.9, 5000),
            place(2, "west", -17.0, -179.9, 5000),
            place(3, "far", -17.0, 170.0, 5000),
        ]);
        let near = g.near(-17.0, 180.0, 100.0);
        let mut ids: Vec<u64> = near.indices().map(|i| g.places[i].geonameid).collect();
        ids.sort();
        assert_eq!(ids, vec![1, 2]);
        let (i, d) = near.nearest(-17.0, -179.95).unwrap();
        assert_eq!(g.places[i].geonameid, 2);
        assert!(d < 6.0);
    }
}
