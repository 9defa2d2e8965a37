//! Tiers, and the H3 cells an event reaches: grown outwards from the epicentre's cell, never
//! by visiting every cell on Earth; exported as GeoJSON and as compacted cell lists.
use std::collections::{HashSet, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::str::FromStr;

use h3o::{CellIndex, LatLng, Resolution};
use quakecast_facts::intensity::{parse_level, roman, IntensityModel};
use serde::Serialize;
use serde_json::{json, Value};

use super::error::{AudienceError, Result};

/// One audience tier: everyone predicted at `min_intensity` or more, and below the tier above.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Tier {
    pub name: String,
    pub min_intensity: f64,
}

/// Tiers in priority order (highest intensity first). At most 255.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Tiers(Vec<Tier>);

impl Default for Tiers {
    /// `strong` ≥ VI (may be damaged), `felt` IV–V, `weak` III.
    fn default() -> Self {
        Tiers(vec![
            Tier {
                name: "strong".into(),
                min_intensity: 6.0,
            },
            Tier {
                name: "felt".into(),
                min_intensity: 4.0,
            },
            Tier {
                name: "weak".into(),
                min_intensity: 3.0,
            },
        ])
    }
}

impl FromStr for Tiers {
    type Err = AudienceError;

    /// `name=level,...`, the level as a Roman numeral or a number (`strong=VI,felt=4,weak=2.5`).
    fn from_str(s: &str) -> Result<Tiers> {
        let mut tiers = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, level) = part.split_once('=').ok_or_else(|| {
                AudienceError::Config(format!(
                    "tier {part:?}: expected name=level, e.g. strong=VI"
                ))
            })?;
            let name = name.trim();
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(AudienceError::Config(format!(
                    "tier name {name:?}: use letters, digits, - or _"
                )));
            }
            let min_intensity = match parse_level(level) {
                Some(l) => f64::from(l),
                None => level
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|v| (1.0..=12.0).contains(v))
                    .ok_or_else(|| {
                        AudienceError::Config(format!(
                        "tier {name}: level {level:?} is not a Roman numeral I–XII or a number 1–12"
                    ))
                    })?,
            };
            tiers.push(Tier {
                name: name.to_string(),
                min_intensity,
            });
        }
        Tiers::new(tiers)
    }
}

impl Tiers {
    pub fn new(mut tiers: Vec<Tier>) -> Result<Tiers> {
        if tiers.is_empty() || tiers.len() > 255 {
            return Err(AudienceError::Config("give between 1 and 255 tiers".into()));
        }
        tiers.sort_by(|a, b| b.min_intensity.total_cmp(&a.min_intensity));
        for w in tiers.windows(2) {
            if w[0].min_intensity == w[1].min_intensity {
                return Err(AudienceError::Config(format!(
                    "tiers {} and {} have the same level {}",
                    w[0].name, w[1].name, w[0].min_intensity
                )));
            }
        }
        let mut names: Vec<&str> = tiers.iter().map(|t| t.name.as_str()).collect();
        names.sort_unstable();
        if names.windows(2).any(|w| w[0] == w[1]) {
            return Err(AudienceError::Config("tier names must be distinct".into()));
        }
        Ok(Tiers(tiers))
    }

    pub fn list(&self) -> &[Tier] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The lowest level anyone is selected at.
    pub fn min_intensity(&self) -> f64 {
        self.0.last().map_or(f64::INFINITY, |t| t.min_intensity)
    }

    /// Priority (0 = highest) of a predicted intensity; `None` below the lowest tier.
    #[inline]
    pub fn tier_of(&self, intensity: f64) -> Option<u8> {
        self.0
            .iter()
            .position(|t| intensity >= t.min_intensity)
            .map(|p| p as u8)
    }
}

/// The coarsest-to-finest resolution whose cells keep a region of radius `radius_km` under
/// `max_cells` cells, never finer than `finest`.
pub fn resolution_for(radius_km: f64, max_cells: f64, finest: Resolution) -> Resolution {
    let area = std::f64::consts::PI * (radius_km + 20.0).powi(2);
    let mut best = Resolution::Zero;
    for r in Resolution::range(Resolution::Zero, finest) {
        if area / r.area_km2() <= max_cells {
            best = r;
        } else {
            break;
        }
    }
    best
}

/// Breadth-first growth from the epicentre's cell at `res`, expanding only cells that `keep`
/// accepts. Returns the kept cells (in visiting order) and how many cells were looked at.
pub fn grow(
    model: &IntensityModel,
    res: Resolution,
    mut keep: impl FnMut(CellIndex) -> bool,
) -> Result<(Vec<CellIndex>, usize)> {
    let start = LatLng::new(model.lat, model.lon)
        .map_err(|e| AudienceError::Config(format!("epicentre: {e}")))?
        .to_cell(res);
    let mut seen: HashSet<CellIndex, BuildHasherDefault<CellHasher>> = HashSet::default();
    seen.insert(start);
    let mut queue = VecDeque::from([start]);
    let mut kept = Vec::new();
    while let Some(cell) = queue.pop_front() {
        if !keep(cell) {
            continue;
        }
        kept.push(cell);
        for n in cell.grid_disk::<Vec<_>>(1) {
            if seen.insert(n) {
                queue.push_back(n);
            }
        }
    }
    Ok((kept, seen.len()))
}

/// A hasher for H3 indexes (already well-spread 64-bit keys): one multiply-xorshift instead of
/// SipHash, which was a third of the growth step's time.
#[derive(Default)]
pub struct CellHasher(u64);

impl Hasher for CellHasher {
    fn finish(&self) -> u64 {
        super::index::mix(self.0)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 ^= v;
    }
}

/// Distance from a cell's centre to its farthest vertex, km, with a 1 % + 10 m margin.
pub fn bounding_radius_km(cell: CellIndex) -> f64 {
    let c = LatLng::from(cell);
    let r = cell
        .boundary()
        .iter()
        .map(|v| c.distance_km(*v))
        .fold(0.0, f64::max);
    r * 1.01 + 0.01
}

/// Whether any point of `cell` may reach `min_intensity`: conservative (the cell's nearest
/// possible point to the epicentre, in the most shaken direction). The cell's circumradius is
/// only computed when its centre's distance alone does not decide.
pub fn may_reach(
    model: &IntensityModel,
    cell: CellIndex,
    epicentre_cell: CellIndex,
    min_intensity: f64,
) -> bool {
    if cell == epicentre_cell {
        return model.epicentral_intensity() >= min_intensity;
    }
    let c = LatLng::from(cell);
    let d = model.offset(c.lat(), c.lng()).distance_km;
    model.max_intensity_at_distance(d) >= min_intensity
        || model.max_intensity_at_distance((d - bounding_radius_km(cell)).max(0.0)) >= min_intensity
}

/// The highest intensity reached in `cell`, sampled at its centre and vertices (the epicentral
/// intensity for the cell holding the epicentre).
pub fn cell_intensity(model: &IntensityModel, cell: CellIndex, epicentre_cell: CellIndex) -> f64 {
    if cell == epicentre_cell {
        return model.epicentral_intensity();
    }
    let c = LatLng::from(cell);
    cell.boundary()
        .iter()
        .chain(std::iter::once(&c))
        .map(|p| model.intensity_at(p.lat(), p.lng()))
        .fold(f64::NEG_INFINITY, f64::max)
}

/// The tier of `cell`: that of [`cell_intensity`], found with one intensity solve instead of
/// seven where the cell's centre and the most any point of the cell can reach (its nearest
/// possible point in the most shaken direction, as in [`may_reach`]) fall in the same tier; the
/// highest of the seven samples lies between the two, so it falls there too.
pub fn cell_tier(
    model: &IntensityModel,
    tiers: &Tiers,
    cell: CellIndex,
    epicentre_cell: CellIndex,
) -> Option<u8> {
    if cell != epicentre_cell {
        let c = LatLng::from(cell);
        let centre = model.sample(c.lat(), c.lng());
        let tier = tiers.tier_of(centre.intensity);
        let nearest = (centre.distance_km - bounding_radius_km(cell)).max(0.0);
        if tiers.tier_of(model.max_intensity_at_distance(nearest)) == tier {
            return tier;
        }
    }
    tiers.tier_of(cell_intensity(model, cell, epicentre_cell))
}

/// The cells of each tier at one resolution.
#[derive(Clone, Debug)]
pub struct TierCells {
    pub resolution: Resolution,
    /// Per tier (priority order): the cells whose highest intensity falls in that tier.
    pub cells: Vec<Vec<CellIndex>>,
    /// Cells looked at while growing.
    pub visited: usize,
}

impl TierCells {
    /// Grow the tier cells of `model` at `res`.
    pub fn compute(model: &IntensityModel, tiers: &Tiers, res: Resolution) -> Result<TierCells> {
        let mut cells = vec![Vec::new(); tiers.len()];
        let epicentre_cell = LatLng::new(model.lat, model.lon)
            .map_err(|e| AudienceError::Config(format!("epicentre: {e}")))?
            .to_cell(res);
        let (_, visited) = grow(model, res, |cell| {
            match cell_tier(model, tiers, cell, epicentre_cell) {
                Some(t) => {
                    cells[usize::from(t)].push(cell);
                    true
                }
                None => false,
            }
        })?;
        for c in &mut cells {
            c.sort_unstable();
        }
        Ok(TierCells {
            resolution: res,
            cells,
            visited,
        })
    }

    /// Each tier's cells compacted (seven siblings → their parent, recursively).
    pub fn compacted(&self) -> Result<Vec<Vec<CellIndex>>> {
        self.cells
            .iter()
            .map(|c| {
                let mut v = c.clone();
                CellIndex::compact(&mut v)
                    .map_err(|e| AudienceError::Config(format!("compacting cells: {e}")))?;
                v.sort_unstable();
                Ok(v)
            })
            .collect()
    }

    /// The compact cell list for push services: per tier, compacted H3 indexes as hex strings.
    pub fn cell_list(&self, tiers: &Tiers) -> Result<Value> {
        let compacted = self.compacted()?;
        let per_tier: Vec<Value> = tiers
            .list()
            .iter()
            .zip(&compacted)
            .zip(&self.cells)
            .map(|((t, comp), full)| {
                json!({
                    "tier": t.name,
                    "min_intensity": t.min_intensity,
                    "cells_at_resolution": full.len(),
                    "cells": comp.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
                })
            })
            .collect();
        Ok(json!({
            "format": "quakecast-tier-cells/1",
            "h3_resolution": u8::from(self.resolution),
            "compacted": true,
            "note": "H3 indexes (hex); a coarser index stands for all its descendants at h3_resolution. A cell belongs to the highest tier reached anywhere in it.",
            "tiers": per_tier,
        }))
    }

    /// GeoJSON FeatureCollection: one Polygon per compacted cell, with its tier.
    ///
    /// Rings are closed and counter-clockwise. A cell crossing the antimeridian gets longitudes
    /// continued past ±180 (e.g. 179.9 → 180.1) instead of being cut, which map libraries draw
    /// correctly; a cell containing a pole is written as the ring around it.
    pub fn geojson(&self, tiers: &Tiers) -> Result<Value> {
        let compacted = self.compacted()?;
        let mut features = Vec::new();
        for (t, cells) in tiers.list().iter().zip(&compacted) {
            for cell in cells {
                let mut ring: Vec<[f64; 2]> = Vec::with_capacity(7);
                let mut prev: Option<f64> = None;
                for v in cell.boundary().iter() {
                    let mut lon = v.lng();
                    if let Some(p) = prev {
                        while lon - p > 180.0 {
                            lon -= 360.0;
                        }
                        while lon - p < -180.0 {
                            lon += 360.0;
                        }
                    }
                    prev = Some(lon);
                    ring.push([round6(lon), round6(v.lat())]);
                }
                if let Some(first) = ring.first().copied() {
                    ring.push(first);
                }
                features.push(json!({
                    "type": "Feature",
                    "properties": {
                        "tier": t.name,
                        "min_intensity": t.min_intensity,
                        "level": roman(t.min_intensity.floor() as u8),
                        "h3": cell.to_string(),
                        "h3_resolution": u8::from(cell.resolution()),
                    },
                    "geometry": { "type": "Polygon", "coordinates": [ring] },
                }));
            }
        }
        Ok(json!({ "type": "FeatureCollection", "features": features }))
    }
}

fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;
    use quakecast_facts::intensity::Relation;

    #[test]
    fn tiers_parse_and_order() {
        let t: Tiers = "weak=III, strong=VI,felt=4".parse().unwrap();
        let names: Vec<&str> = t.list().iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["strong", "felt", "weak"]);
        assert_eq!(t.tier_of(6.0), Some(0));
        assert_eq!(t.tier_of(5.99), Some(1));
        assert_eq!(t.tier_of(3.0), Some(2));
        assert_eq!(t.tier_of(2.99), None);
        assert_eq!(t, Tiers::default());
        assert!("strong"
            .parse::<Tiers>()
            .unwrap_err()
            .to_string()
            .contains("name=level"));
        assert!("a=VI,b=6"
            .parse::<Tiers>()
            .unwrap_err()
            .to_string()
            .contains("same level"));
        assert!("a=XIV"
            .parse::<Tiers>()
            .unwrap_err()
            .to_string()
            .contains("not a Roman"));
        assert_eq!("x=2.5".parse::<Tiers>().unwrap().min_intensity(), 2.5);
    }

    #[test]
    fn tier_cells_grow_without_visiting_the_world() {
        let model = IntensityModel::new(Relation::ChinaWest, 6.8, 16.0, 29.59, 102.08);
        let tiers = Tiers::default();
        let tc = TierCells::compute(&model, &tiers, Resolution::Five).unwrap();
        let total: usize = tc.cells.iter().map(Vec::len).sum();
        // III equal-area radius 471 km → ≈697,000 km² ≈ 2,760 res-5 cells (252.9 km² each).
        assert!((2_400..3_600).contains(&total), "{total}");
        assert!(
            tc.visited < total + total / 5,
            "visited {} for {total}",
            tc.visited
        );
        assert!(tc.visited < 2_016_842 / 100);
        // Strong cells: VI equal-area radius 73.6 km → ≈17,000 km² ≈ 67 cells, plus the rim.
        assert!(
            (55..130).contains(&tc.cells[0].len()),
            "{}",
            tc.cells[0].len()
        );
        let list = tc.cell_list(&tiers).unwrap();
        let n: usize = list["tiers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["cells"].as_array().unwrap().len())
            .sum();
        assert!(n < total, "compaction should shrink {total} → {n}");
        let gj = tc.geojson(&tiers).unwrap();
        assert_eq!(gj["features"].as_array().unwrap().len(), n);
    }

    #[test]
    fn resolution_choice() {
        assert_eq!(
            resolution_for(640.0, 20_000.0, Resolution::Seven),
            Resolution::Five
        );
        assert_eq!(
            resolution_for(5.0, 20_000.0, Resolution::Seven),
            Resolution::Seven
        );
        assert_eq!(
            resolution_for(20_000.0, 20_000.0, Resolution::Seven),
            Resolution::Two
        );
    }
}
