//! The audience a bulletin is pushed to: the H3 tier cells of the predicted intensity (the same
//! intensity model the bulletin's rings are drawn from) and, where this worker has a user index
//! (`--audience-index`), the selected users themselves — `scheduler/src/audience/` does the work.
//!
//! Computed by the stitch task, before review, so the reviewer sees the audience summary and the
//! push service gets the audience's objects by key/URL, with the compact tier cell list inline.
use std::path::{Path, PathBuf};
use std::sync::Arc;

use h3o::Resolution;
use quakecast_facts::intensity::IntensityModel;
use quakecast_facts::Event;
use serde_json::{json, Value};

use super::error::{FarmError, FarmResult};
use quakecast_audience::{
    gazetteer::GAZETTEER_FILE, select, summary, Gazetteer, SelectOptions, TierCells, Tiers,
    UserIndex,
};
use quakecast_core::store::{BulletinKeys, ObjectStore};

/// How audiences are computed; the same on every worker.
#[derive(Clone, Debug)]
pub struct AudienceConfig {
    pub tiers: Tiers,
    /// H3 resolution of the tier cells handed to the push service.
    pub cell_res: Resolution,
    /// The user index (`quakecast audience index`); none: tier cells and the gazetteer-based
    /// exposure only.
    pub index: Option<PathBuf>,
    /// Data directory with the gazetteer (per-place counts); missing files only lose those.
    pub data: PathBuf,
}

impl AudienceConfig {
    pub fn new(
        tiers: &str,
        cell_res: u8,
        index: Option<PathBuf>,
        data: PathBuf,
    ) -> anyhow::Result<Self> {
        let tiers: Tiers = tiers
            .parse()
            .map_err(|e| anyhow::anyhow!("--audience-tiers {tiers:?}: {e}"))?;
        let cell_res = Resolution::try_from(cell_res).map_err(|_| {
            anyhow::anyhow!("--audience-cell-res {cell_res}: H3 resolutions are 0–15")
        })?;
        if let Some(p) = &index {
            anyhow::ensure!(
                p.is_file(),
                "--audience-index {}: no such file (build it with `quakecast audience index`)",
                p.display()
            );
        }
        Ok(Self {
            tiers,
            cell_res,
            index,
            data,
        })
    }
}

impl Default for AudienceConfig {
    fn default() -> Self {
        Self {
            tiers: Tiers::default(),
            cell_res: Resolution::Six,
            index: None,
            data: quakecast_core::assets::default_data_dir(),
        }
    }
}

fn audience_err(e: quakecast_audience::AudienceError) -> FarmError {
    FarmError::Other(format!("audience: {e}"))
}

/// Compute the audience of `event`, store its objects beside the bulletin, and return what the
/// job result keeps: the compact tier cells, the summary, and the stored objects.
pub fn build(
    event: &Event,
    cfg: &Arc<AudienceConfig>,
    store: &dyn ObjectStore,
    keys: &BulletinKeys,
    dir: &Path,
    long_axis_azimuth_deg: Option<f64>,
) -> FarmResult<Value> {
    // The same isoseismals the bulletin draws: elliptical along the nearest mapped fault when
    // its facts found one (quakecast_facts::faults), circles otherwise.
    let model = match long_axis_azimuth_deg {
        Some(az) => IntensityModel::for_event(event).with_long_axis_azimuth(az),
        None => IntensityModel::for_event(event),
    };
    let tiers = &cfg.tiers;
    let tc = TierCells::compute(&model, tiers, cfg.cell_res).map_err(audience_err)?;
    let gaz = Gazetteer::load(&cfg.data.join(GAZETTEER_FILE))
        .map_err(
            |e| tracing::warn!(error = %e, "audience: no gazetteer; per-place counts left out"),
        )
        .ok();
    let selection = match &cfg.index {
        Some(path) => {
            let index = UserIndex::open(path).map_err(audience_err)?;
            let opts = SelectOptions {
                tiers: tiers.clone(),
                ..SelectOptions::default()
            };
            Some(select(&index, &model, &opts).map_err(audience_err)?)
        }
        None => None,
    };
    let doc = summary::summary(
        event,
        &model,
        tiers,
        selection.as_ref(),
        gaz.as_ref(),
        Some(&tc),
    );
    let cells = tc.cell_list(tiers).map_err(audience_err)?;
    let put_json = |name: &str, v: &Value| -> FarmResult<Value> {
        let bytes = serde_json::to_vec_pretty(v).map_err(|e| FarmError::Other(e.to_string()))?;
        let obj = store.put_bytes(
            &keys.sidecar(&format!("audience/{name}")),
            &bytes,
            "application/json",
        )?;
        Ok(json!(obj))
    };
    let mut objects = serde_json::Map::new();
    objects.insert("summary".into(), put_json("summary.json", &doc)?);
    objects.insert("cells".into(), put_json("cells.json", &cells)?);
    objects.insert(
        "cells_geojson".into(),
        put_json("cells.geojson", &tc.geojson(tiers).map_err(audience_err)?)?,
    );
    if let Some(sel) = &selection {
        let p = dir.join("audience.parquet");
        quakecast_audience::select::write_audience(&p, sel, tiers).map_err(audience_err)?;
        let obj = store.put_file(
            &keys.sidecar("audience/audience.parquet"),
            &p,
            "application/vnd.apache.parquet",
        )?;
        objects.insert("users".into(), json!(obj));
    }
    Ok(json!({
        "kind": "h3_tiers",
        "basis": "predicted intensity (the bulletin's intensity model), tiered; a cell belongs to the highest tier reached anywhere in it",
        "center": {"lat": event.lat, "lon": event.lon},
        "epicentral_intensity": (model.epicentral_intensity() * 10.0).round() / 10.0,
        "users_selected": selection.as_ref().map(|s| s.users.len()),
        "tier_cells": cells,
        "summary": doc,
        "objects": objects,
    }))
}
