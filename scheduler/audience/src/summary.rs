//! The selection summary: counts per tier and per nearest place, and the exposure estimate
//! (people per intensity level, like USGS PAGER) from the gazetteer and from the user index.
use std::collections::HashMap;

use h3o::{CellIndex, LatLng};
use quakecast_facts::intensity::{level, roman, IntensityModel};
use quakecast_facts::Event;
use serde_json::{json, Map, Value};

use super::cells::{TierCells, Tiers};
use super::gazetteer::{display_name, Gazetteer};
use super::select::Selection;

/// How many places the summary lists (by users, then population).
pub const TOP_PLACES: usize = 100;

/// Extra distance beyond the lowest tier's reach within which places are candidates for
/// "nearest place" (a user at the edge may live nearest a town just outside).
const PLACE_MARGIN_KM: f64 = 100.0;
/// The farthest beyond the lowest tier's reach any part of the summary looks for places (the
/// exposure looks 1 km beyond it, the per-place counts [`PLACE_MARGIN_KM`]): a gazetteer
/// loaded with this margin ([`crate::Gazetteer::load_near`]) gives the same summary.
pub const PLACE_SEARCH_KM: f64 = PLACE_MARGIN_KM;

pub const LABEL_GAZETTEER: &str = "gazetteer-based: populations of the GeoNames places of 1,000 people or more \
     (cities1000) at their predicted intensity; people outside those places are not counted, and each \
     place's population is counted at its centre";
pub const LABEL_USERS: &str =
    "platform users: located users in the user index at their own predicted intensity";

/// The model block of a summary.
pub fn model_json(model: &IntensityModel, tiers: &Tiers) -> Value {
    let tiers_json: Vec<Value> = tiers
        .list()
        .iter()
        .map(|t| {
            let r = model.radii(t.min_intensity);
            json!({
                "name": t.name,
                "min_intensity": t.min_intensity,
                "level": roman(t.min_intensity.floor() as u8),
                "radius_km": {
                    "long": round2(r.long_km),
                    "short": round2(r.short_km),
                    "equivalent": round2(r.equivalent_km),
                    "max": round2(model.max_radius_km(t.min_intensity)),
                },
            })
        })
        .collect();
    json!({
        "relation": model.relation.key(),
        "citation": model.relation.citation(),
        "scale": model.relation.scale(),
        "magnitude": model.magnitude,
        "depth_km": model.depth_km,
        "epicentral_intensity": round2(model.epicentral_intensity()),
        "epicentral_level": roman(level(model.epicentral_intensity())),
        "long_axis_azimuth_deg": model.long_axis_azimuth_deg,
        "elliptical": model.is_elliptical(),
        "tiers": tiers_json,
    })
}

/// Gazetteer-based exposure: population per tier and per level.
pub fn gazetteer_exposure(model: &IntensityModel, tiers: &Tiers, gaz: &Gazetteer) -> Value {
    let reach = model.max_radius_km(tiers.min_intensity());
    let mut by_tier = vec![0u64; tiers.len()];
    let mut by_level = [0u64; 13];
    let mut places = 0u64;
    if reach > 0.0 {
        let near = gaz.near(model.lat, model.lon, reach + 1.0);
        for i in near.indices() {
            let p = near.place(i);
            let intensity = model.intensity_at(p.lat, p.lon);
            if let Some(t) = tiers.tier_of(intensity) {
                by_tier[usize::from(t)] += p.population;
                by_level[usize::from(level(intensity))] += p.population;
                places += 1;
            }
        }
    }
    json!({
        "label": LABEL_GAZETTEER,
        "places": places,
        "total": by_tier.iter().sum::<u64>(),
        "by_tier": tier_map(tiers, &by_tier),
        "by_level": level_map(&by_level),
    })
}

/// The whole summary. `sel` is absent for `audience cells` (no user index).
pub fn summary(
    event: &Event,
    model: &IntensityModel,
    tiers: &Tiers,
    sel: Option<&Selection>,
    gaz: Option<&Gazetteer>,
    tier_cells: Option<&TierCells>,
) -> Value {
    let mut out = Map::new();
    out.insert("format".into(), json!("quakecast-audience-summary/1"));
    out.insert(
        "event".into(),
        json!({
            "event_id": event.event_id,
            "source": event.source,
            "origin_time": event.origin_time,
            "lat": event.lat,
            "lon": event.lon,
            "depth_km": event.depth_km,
            "magnitude": event.magnitude,
            "magnitude_type": event.magnitude_type,
            "region": event.region,
        }),
    );
    out.insert("model".into(), model_json(model, tiers));
    if let Some(sel) = sel {
        out.insert(
            "users".into(),
            json!({
                "total": sel.users.len(),
                "by_tier": tier_map(tiers, &sel.tier_counts),
            }),
        );
    }
    let mut exposure = Map::new();
    if let Some(g) = gaz {
        exposure.insert(
            "gazetteer_based".into(),
            gazetteer_exposure(model, tiers, g),
        );
    }
    if let Some(sel) = sel {
        exposure.insert(
            "platform_users".into(),
            json!({
                "label": LABEL_USERS,
                "total": sel.users.len(),
                "by_tier": tier_map(tiers, &sel.tier_counts),
                "by_level": level_map(&sel.level_counts),
            }),
        );
    }
    out.insert(
        "exposure".into(),
        json!({
            "note": "no population grid is shipped by a package registry reachable here; both estimates are labelled with their source",
            "estimates": exposure,
        }),
    );
    if let (Some(sel), Some(g)) = (sel, gaz) {
        out.insert("places".into(), places_json(model, tiers, sel, g));
    }
    if let Some(tc) = tier_cells {
        let counts: Vec<u64> = tc.cells.iter().map(|c| c.len() as u64).collect();
        out.insert(
            "cells".into(),
            json!({
                "h3_resolution": u8::from(tc.resolution),
                "by_tier": tier_map(tiers, &counts),
                "visited": tc.visited,
            }),
        );
    }
    if let Some(sel) = sel {
        out.insert(
            "stats".into(),
            serde_json::to_value(&sel.stats).unwrap_or(Value::Null),
        );
    }
    Value::Object(out)
}

/// Users per nearest place (the place nearest each user's index cell centre).
fn places_json(model: &IntensityModel, tiers: &Tiers, sel: &Selection, gaz: &Gazetteer) -> Value {
    let n = tiers.len();
    let reach = model.max_radius_km(tiers.min_intensity());
    let near = gaz.near(model.lat, model.lon, reach + PLACE_MARGIN_KM);
    let mut per_place: HashMap<usize, Vec<u64>> = HashMap::new();
    let mut unplaced = vec![0u64; n];
    for (k, &cell) in sel.cells.iter().enumerate() {
        let counts = &sel.cell_counts[k * n..(k + 1) * n];
        let centre = CellIndex::try_from(cell).map(LatLng::from).ok();
        let slot = match centre.and_then(|c| near.nearest(c.lat(), c.lng())) {
            Some((i, _)) => per_place.entry(i).or_insert_with(|| vec![0; n]),
            None => &mut unplaced,
        };
        for (a, &b) in slot.iter_mut().zip(counts) {
            *a += u64::from(b);
        }
    }
    let mut rows: Vec<(usize, Vec<u64>)> = per_place.into_iter().collect();
    rows.sort_by(|a, b| {
        let (ta, tb) = (a.1.iter().sum::<u64>(), b.1.iter().sum::<u64>());
        tb.cmp(&ta)
            .then(gaz.places[b.0].population.cmp(&gaz.places[a.0].population))
            .then(gaz.places[a.0].geonameid.cmp(&gaz.places[b.0].geonameid))
    });
    let listed: Vec<Value> = rows
        .iter()
        .take(TOP_PLACES)
        .map(|(i, counts)| {
            let p = &gaz.places[*i];
            let s = model.sample(p.lat, p.lon);
            json!({
                "name": display_name(p),
                "name_en": p.name,
                "name_zh": p.name_zh,
                "country": p.country,
                "geonameid": p.geonameid,
                "population": p.population,
                "lat": p.lat,
                "lon": p.lon,
                "distance_km": round2(s.distance_km),
                "intensity": round2(s.intensity),
                "level": roman(level(s.intensity)),
                "users": counts.iter().sum::<u64>(),
                "by_tier": tier_map(tiers, counts),
            })
        })
        .collect();
    let mut rest = vec![0u64; n];
    for (_, c) in rows.iter().skip(TOP_PLACES) {
        for (a, b) in rest.iter_mut().zip(c) {
            *a += b;
        }
    }
    json!({
        "method": "each user counts for the gazetteer place nearest the centre of their H3 index cell",
        "places_with_users": rows.len(),
        "listed": listed,
        "other_places": { "users": rest.iter().sum::<u64>(), "by_tier": tier_map(tiers, &rest) },
        "no_place_nearby": { "users": unplaced.iter().sum::<u64>(), "by_tier": tier_map(tiers, &unplaced) },
    })
}

fn tier_map(tiers: &Tiers, counts: &[u64]) -> Value {
    Value::Object(
        tiers
            .list()
            .iter()
            .zip(counts)
            .map(|(t, c)| (t.name.clone(), json!(c)))
            .collect(),
    )
}

/// Per level, lowest first: `[{"level": "III", "min_intensity": 3, "count": n}, ...]`.
fn level_map(counts: &[u64; 13]) -> Value {
    Value::Array(
        counts
            .iter()
            .enumerate()
            .filter(|(_, &c)| c > 0)
            .map(|(l, c)| json!({ "level": roman(l as u8).unwrap_or("0"), "min_intensity": l, "count": c }))
            .collect(),
    )
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}
