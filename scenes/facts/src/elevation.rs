//! Mean ground elevation around the epicentre (CENC's "震中5公里范围内平均海拔约N米") from a DEM.
//!
//! The operator points `--dem` at one elevation file; the I/O layer reads it and hands the text
//! or bytes here. Two formats are read, both in geographic degrees (WGS-84 / EPSG:4326):
//!
//! - ESRI ASCII grid ([`Dem::from_esri_ascii`]), what `gdal_translate -of AAIGrid` writes: a
//!   header (`ncols`, `nrows`, `xllcorner` or `xllcenter`, `yllcorner` or `yllcenter`,
//!   `cellsize` or `dx` and `dy`, optional `NODATA_value`, default −9999) then the heights, rows
//!   north to south;
//! - an SRTM `.hgt` tile ([`Dem::from_hgt`]): 1201 × 1201 (3″) or 3601 × 3601 (1″) big-endian
//!   `i16` samples, north row first, the south-west corner in the file name (`N29E102.hgt`),
//!   −32768 for voids.
//!
//! One file, no mosaicking here: an area wider than a tile is made beforehand with
//! `gdal_merge.py` / `gdalbuildvrt` and `gdal_translate -of AAIGrid` (see `docs/elevation.md`).
//!
//! [`Dem::mean_within`] averages the valid cells whose centre lies within the radius
//! (great-circle distance, [`crate::geo::distance_km`]). It says nothing rather than
//! something wrong: `None` when the circle is not wholly inside the grid, or when fewer than
//! [`MIN_VALID_FRACTION`] of the cells in it have a height (voids over steep terrain, water
//! masks). Why not average whatever is there: voids cluster on cliffs and in gorges, so a mean
//! over a half-empty circle is biased, and a circle cut by the grid's edge is the mean of a
//! different area.
use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::geo::{distance_km, EARTH_RADIUS_KM};

/// The radius the bulletin averages over, km (CENC: "震中5公里范围内").
pub const ELEVATION_RADIUS_KM: f64 = 5.0;

/// The least share of the cells within the circle that must have a height.
pub const MIN_VALID_FRACTION: f64 = 0.8;

/// The mean is stated to this many metres. Why not to the metre, as CENC writes it: SRTM's
/// and Copernicus GLO-90's absolute vertical error is several metres to ±16 m (90 %), and two
/// DEMs of the same place differ by more than that, so the last digit would be noise.
pub const ELEVATION_ROUND_M: f64 = 10.0;

/// The mean from a grid coarser than the circle ([`ElevationSummary::interpolated`], ETOPO5's
/// 9 km cells) is stated to this many metres: its cells average terrain that varies by hundreds
/// of metres within them.
pub const ELEVATION_ROUND_COARSE_M: f64 = 100.0;

/// The void value of SRTM `.hgt` tiles.
pub const HGT_VOID: i16 = -32768;

/// ESRI ASCII grid's `NODATA_value` when the header has none (the format's default).
pub const ESRI_DEFAULT_NODATA: f64 = -9999.0;

/// Why a DEM file could not be read. The ESRI variants name the line (counted from 1) and the
/// header keyword or value; the `.hgt` variants the tile name and what was expected. The I/O
/// layer adds the path.
///
/// All variants are permanent: the same bytes give the same error
/// ([`DemError::is_retryable`] is `false`).
#[derive(Debug, Error, PartialEq)]
#[non_exhaustive]
pub enum DemError {
    /// A header line that is not `keyword value`, an unknown or repeated keyword, or a value
    /// out of range.
    #[error("ESRI ASCII grid line {line}: {reason}")]
    Header { line: usize, reason: String },
    /// A header keyword the grid needs is absent.
    #[error("ESRI ASCII grid: missing header `{keyword}`")]
    MissingHeader { keyword: &'static str },
    /// A height that is not a number; `row` and `col` count from 1, north row first.
    #[error("ESRI ASCII grid line {line}: `{token}` is not a number (row {row}, column {col})")]
    Value {
        line: usize,
        row: usize,
        col: usize,
        token: String,
    },
    /// The number of heights does not match `nrows` × `ncols`.
    #[error(
        "ESRI ASCII grid: {found} values after the header, expected {expected} \
         ({nrows} rows × {ncols} columns)"
    )]
    ValueCount {
        nrows: usize,
        ncols: usize,
        expected: usize,
        found: usize,
    },
    /// The grid's corner or extent is not in geographic degrees (a projected grid, in metres).
    #[error(
        "ESRI ASCII grid: {reason}: the grid must be in geographic degrees (EPSG:4326); \
         reproject with `gdalwarp -t_srs EPSG:4326`"
    )]
    NotGeographic { reason: String },
    /// A `.hgt` file whose name does not give the tile's south-west corner.
    #[error(
        "`{name}`: not an SRTM tile name: expected the south-west corner as in `N29E102.hgt` \
         (N/S, 2-digit latitude, E/W, 3-digit longitude)"
    )]
    TileName { name: String },
    /// A `.hgt` file of the wrong size.
    #[error(
        "`{name}`: {len} bytes is not an SRTM tile: expected 2884802 (1201 × 1201 samples, 3″) \
         or 25934402 (3601 × 3601 samples, 1″)"
    )]
    TileSize { name: String, len: usize },
}

impl DemError {
    /// Whether retrying with the same input could succeed: never.
    pub fn is_retryable(&self) -> bool {
        false
    }
}

/// The elevation fact: statistics of the valid DEM cells around the epicentre.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ElevationSummary {
    /// Mean height of the valid cells, metres above the DEM's datum (unrounded; the bulletin
    /// says [`ElevationSummary::rounded_m`]).
    pub mean_m: f64,
    /// Lowest and highest valid cell, metres: kept for the record and for checks, not said.
    pub min_m: f64,
    pub max_m: f64,
    /// Valid cells averaged: how much data the mean rests on (bilinear samples when
    /// `interpolated`).
    pub cells: usize,
    /// The radius averaged over, km.
    pub radius_km: f64,
    /// The DEM's name and resolution ("ETOPO5 (NOAA NGDC, 1988)", "5′ (≈9 km)") when it came
    /// with them (the bundled grid); `None` for an operator's `--dem` file.
    #[serde(default)]
    pub source: Option<DemSource>,
    /// The grid is coarser than the circle: the mean is of heights interpolated bilinearly on a
    /// 0.5 km lattice inside the circle, not of cells ([`Dem::mean_within`]).
    #[serde(default)]
    pub interpolated: bool,
}

/// Where a DEM came from, for the bulletin's source line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemSource {
    pub name: String,
    pub resolution: String,
}

impl ElevationSummary {
    /// The mean to [`ELEVATION_ROUND_M`] metres, as the bulletin states it.
    pub fn rounded_m(&self) -> i64 {
        let step = if self.interpolated {
            ELEVATION_ROUND_COARSE_M
        } else {
            ELEVATION_ROUND_M
        };
        ((self.mean_m / step).round() * step) as i64
    }
}

/// A digital elevation model: a regular grid of heights in geographic degrees.
///
/// Heights are kept as `f32` (a 1″ tile is 13 million cells), voids as NaN. Cell centres:
/// column `c` at `lon0 + c·dx`, row `r` at `lat0 − r·dy`, row 0 the northernmost.
#[derive(Clone, PartialEq)]
pub struct Dem {
    ncols: usize,
    nrows: usize,
    /// Longitude of the centre of the westernmost column, degrees.
    lon0: f64,
    /// Latitude of the centre of the northernmost row, degrees.
    lat0: f64,
    /// Cell width and height, degrees (not equal in grids made from Copernicus tiles above 50°).
    dx: f64,
    dy: f64,
    /// `nrows × ncols` heights in metres, row-major, north row first; NaN where void.
    heights: Vec<f32>,
    /// Name and resolution, when known ([`Dem::with_source`]).
    source: Option<DemSource>,
}

impl fmt::Debug for Dem {
    /// Size and extent only: the heights would be millions of numbers.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [w, s, e, n] = self.extent();
        f.debug_struct("Dem")
            .field("ncols", &self.ncols)
            .field("nrows", &self.nrows)
            .field("dx", &self.dx)
            .field("dy", &self.dy)
            .field("extent_wsen", &[w, s, e, n])
            .finish_non_exhaustive()
    }
}

/// The header keywords an ESRI ASCII grid may have, for error messages.
const ESRI_KEYWORDS: &str =
    "ncols, nrows, xllcorner, xllcenter, yllcorner, yllcenter, cellsize, dx, dy, NODATA_value";

impl Dem {
    /// Parse an ESRI ASCII grid (`.asc`, GDAL's `AAIGrid`) in geographic degrees.
    ///
    /// Header keywords are case-insensitive and may come in any order; the header ends at the
    /// first line that starts with a number (`nan` counts as one). The heights are read as
    /// whitespace-separated numbers, `nrows × ncols` of them, north row first; `NODATA_value`
    /// (default −9999) and non-finite values (`nan`) are voids.
    pub fn from_esri_ascii(text: &str) -> Result<Dem, DemError> {
        let mut h = EsriHeader::default();
        let mut lines = text.lines().enumerate().peekable();
        while let Some(&(i, line)) = lines.peek() {
            let trimmed = line.trim();
            if trimmed.is_empty() {
                lines.next();
                continue;
            }
            // The first line that starts with a number (`nan` included) is the first row.
            let first = trimmed.split_whitespace().next().unwrap_or_default();
            if first.parse::<f64>().is_ok() {
                break;
            }
            lines.next();
            h.line(i + 1, trimmed)?;
        }
        let geo = h.finish()?;

        let expected = geo
            .ncols
            .checked_mul(geo.nrows)
            .ok_or_else(|| DemError::Header {
                line: geo.nrows_line,
                reason: format!("nrows × ncols = {} × {} is too large", geo.nrows, geo.ncols),
            })?;
        // Each value takes at least two bytes (a digit and a separator): a bogus header cannot
        // make this allocate more than the text's size.
        let mut heights = Vec::with_capacity(expected.min(text.len() / 2 + 1));
        let mut found = 0usize;
        for (i, line) in lines {
            for token in line.split_whitespace() {
                if found < expected {
                    let v: f64 = token.parse().map_err(|_| DemError::Value {
                        line: i + 1,
                        row: found / geo.ncols + 1,
                        col: found % geo.ncols + 1,
                        token: token.to_string(),
                    })?;
                    let void = !v.is_finite() || v == geo.nodata;
                    heights.push(if void { f32::NAN } else { v as f32 });
                }
                found += 1;
            }
        }
        if found != expected {
            return Err(DemError::ValueCount {
                nrows: geo.nrows,
                ncols: geo.ncols,
                expected,
                found,
            });
        }
        Ok(Dem {
            ncols: geo.ncols,
            nrows: geo.nrows,
            lon0: geo.lon0,
            lat0: geo.lat0,
            dx: geo.dx,
            dy: geo.dy,
            heights,
            source: None,
        })
    }

    /// Parse an SRTM `.hgt` tile. `name` is the file name (a leading directory is ignored);
    /// its first seven characters give the south-west corner (`N29E102`, `S09W075`), so
    /// `N29E102.SRTMGL1.hgt` is read too. Samples lie on whole multiples of 3″ (or 1″): the
    /// first is at the tile's north-west corner, the last at its south-east corner.
    pub fn from_hgt(name: &str, bytes: &[u8]) -> Result<Dem, DemError> {
        let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
        let (lat_sw, lon_sw) = parse_tile_name(base).ok_or_else(|| DemError::TileName {
            name: base.to_string(),
        })?;
        let n = match bytes.len() {
            2_884_802 => 1201,
            25_934_402 => 3601,
            len => {
                return Err(DemError::TileSize {
                    name: base.to_string(),
                    len,
                })
            }
        };
        let heights = bytes
            .chunks_exact(2)
            .map(|b| match i16::from_be_bytes([b[0], b[1]]) {
                HGT_VOID => f32::NAN,
                v => f32::from(v),
            })
            .collect();
        let step = 1.0 / (n - 1) as f64;
        Ok(Dem {
            ncols: n,
            nrows: n,
            lon0: lon_sw,
            lat0: lat_sw + 1.0,
            dx: step,
            dy: step,
            heights,
            source: None,
        })
    }

    /// A raw grid of little-endian `i16` metres (`ncols × nrows`, row 0 northernmost, column
    /// 0 westernmost), cell `(r, c)` centred at `(lon0 + c·dx, lat0 − r·dy)`: what
    /// `scripts/dem.py` writes to `data/dem/etopo5.i16` from ETOPO5. [`HGT_VOID`] is a void.
    pub fn from_i16_le(
        ncols: usize,
        nrows: usize,
        [lon0, lat0]: [f64; 2],
        [dx, dy]: [f64; 2],
        bytes: &[u8],
    ) -> Result<Dem, DemError> {
        let expected = ncols.saturating_mul(nrows).saturating_mul(2);
        if ncols == 0 || nrows == 0 || bytes.len() != expected {
            return Err(DemError::ValueCount {
                nrows,
                ncols,
                expected: expected / 2,
                found: bytes.len() / 2,
            });
        }
        if !(dx > 0.0 && dy > 0.0 && lon0.is_finite() && lat0.is_finite()) {
            return Err(DemError::Header {
                line: 0,
                reason: format!("cell size {dx} × {dy} or origin ({lon0}, {lat0}) is not valid"),
            });
        }
        let heights = bytes
            .chunks_exact(2)
            .map(|b| match i16::from_le_bytes([b[0], b[1]]) {
                HGT_VOID => f32::NAN,
                v => f32::from(v),
            })
            .collect();
        Ok(Dem {
            ncols,
            nrows,
            lon0,
            lat0,
            dx,
            dy,
            heights,
            source: None,
        })
    }

    /// The bundled grid: `meta_json` is `data/dem/meta.json` as `scripts/dem.py` writes it
    /// (`ncols`, `nrows`, `lon0`, `lat0`, `dx`, `dy`, `source`, `resolution`), `bytes` the
    /// [`Dem::from_i16_le`] grid it describes.
    pub fn from_bundled(meta_json: &str, bytes: &[u8]) -> Result<Dem, DemError> {
        let meta: serde_json::Value =
            serde_json::from_str(meta_json).map_err(|e| DemError::Header {
                line: 0,
                reason: format!("meta.json is not JSON: {e}"),
            })?;
        let num = |k: &str| {
            meta[k].as_f64().ok_or_else(|| DemError::Header {
                line: 0,
                reason: format!("meta.json has no number `{k}`"),
            })
        };
        let dem = Dem::from_i16_le(
            num("ncols")? as usize,
            num("nrows")? as usize,
            [num("lon0")?, num("lat0")?],
            [num("dx")?, num("dy")?],
            bytes,
        )?;
        Ok(dem.with_source(
            meta["source"].as_str().unwrap_or("bundled DEM"),
            meta["resolution"].as_str().unwrap_or(""),
        ))
    }

    /// This DEM, labelled with its name and resolution (stated beside the facts it gives).
    pub fn with_source(mut self, name: &str, resolution: &str) -> Dem {
        self.source = Some(DemSource {
            name: name.to_string(),
            resolution: resolution.to_string(),
        });
        self
    }

    pub fn source(&self) -> Option<&DemSource> {
        self.source.as_ref()
    }

    /// The height at `(lat, lon)` interpolated bilinearly between the four nearest cell
    /// centres, metres; `None` outside the grid or next to a void.
    pub fn height_bilinear(&self, lat: f64, lon: f64) -> Option<f64> {
        let lon = self.lon_in_frame(lon);
        let fc = (lon - self.lon0) / self.dx;
        let fr = (self.lat0 - lat) / self.dy;
        if !(fc.is_finite() && fr.is_finite()) {
            return None;
        }
        let (c0, r0) = (fc.floor(), fr.floor());
        let (tc, tr) = (fc - c0, fr - r0);
        // A global grid wraps in longitude; otherwise the last column is the edge.
        let wraps = (self.ncols as f64 * self.dx - 360.0).abs() < self.dx / 2.0;
        let col = |c: f64| -> Option<usize> {
            if wraps {
                Some((c as i64).rem_euclid(self.ncols as i64) as usize)
            } else {
                (0.0..self.ncols as f64).contains(&c).then_some(c as usize)
            }
        };
        let row = |r: f64| (0.0..self.nrows as f64).contains(&r).then_some(r as usize);
        let (ca, cb) = (col(c0)?, col(c0 + 1.0).or(col(c0))?);
        let (ra, rb) = (row(r0)?, row(r0 + 1.0).or(row(r0))?);
        let h = |r: usize, c: usize| {
            let v = self.heights[r * self.ncols + c];
            (!v.is_nan()).then_some(f64::from(v))
        };
        let top = h(ra, ca)? * (1.0 - tc) + h(ra, cb)? * tc;
        let bottom = h(rb, ca)? * (1.0 - tc) + h(rb, cb)? * tc;
        Some(top * (1.0 - tr) + bottom * tr)
    }

    /// The mean of [`Dem::height_bilinear`] on a lattice of `step_km` inside the circle: the
    /// mean within a radius smaller than a few cells (a 5 km circle on a 9 km grid).
    fn mean_interpolated(&self, lat: f64, lon: f64, radius_km: f64) -> Option<ElevationSummary> {
        let step_km = 0.5;
        let n = (radius_km / step_km).ceil() as i64;
        let mut acc = MeanAcc::default();
        for i in -n..=n {
            for j in -n..=n {
                let (e, nn) = (i as f64 * step_km, j as f64 * step_km);
                let d = e.hypot(nn);
                if d > radius_km {
                    continue;
                }
                let az = e.atan2(nn).to_degrees();
                let (plon, plat) = crate::geo::destination(lon, lat, az, d);
                acc.add(self.height_bilinear(plat, plon));
            }
        }
        acc.summary(radius_km, self.source.clone(), true)
    }

    /// Columns and rows: `(ncols, nrows)`.
    pub fn size(&self) -> (usize, usize) {
        (self.ncols, self.nrows)
    }

    /// Cell width and height in degrees: `(dx, dy)`.
    pub fn cell_deg(&self) -> (f64, f64) {
        (self.dx, self.dy)
    }

    /// The area the cells cover, to their outer edges: `[west, south, east, north]`, degrees.
    pub fn extent(&self) -> [f64; 4] {
        let west = self.lon0 - self.dx / 2.0;
        let north = self.lat0 + self.dy / 2.0;
        [
            west,
            north - self.nrows as f64 * self.dy,
            west + self.ncols as f64 * self.dx,
            north,
        ]
    }

    /// The height of the cell containing `(lat, lon)`, metres; `None` outside the grid or on a
    /// void.
    pub fn height_at(&self, lat: f64, lon: f64) -> Option<f64> {
        let lon = self.lon_in_frame(lon);
        let c = ((lon - self.lon0) / self.dx).round();
        let r = ((self.lat0 - lat) / self.dy).round();
        if !(0.0..self.ncols as f64).contains(&c) || !(0.0..self.nrows as f64).contains(&r) {
            return None;
        }
        let v = self.heights[r as usize * self.ncols + c as usize];
        (!v.is_nan()).then_some(f64::from(v))
    }

    /// The mean of the valid cells whose centre lies within `radius_km` (great-circle) of
    /// `(lat, lon)`; on a grid too coarse for the circle (cells of 2 km or more and fewer than
    /// 12 cell centres in the circle, a 5 km circle on ETOPO5's 9 km cells) the mean of bilinear heights on a 0.5 km lattice
    /// inside it instead ([`ElevationSummary::interpolated`]). `None` when the circle is not
    /// wholly inside the grid (or takes in a pole), or when fewer than [`MIN_VALID_FRACTION`]
    /// of its cells (samples) are valid.
    pub fn mean_within(&self, lat: f64, lon: f64, radius_km: f64) -> Option<ElevationSummary> {
        if !(lat.is_finite() && lon.is_finite() && radius_km.is_finite() && radius_km > 0.0) {
            return None;
        }
        let lon = self.lon_in_frame(lon);
        // The circle's bounding box: its half-height is the angular radius; its half-width the
        // longitude of the tangent meridians, asin(sin d / cos φ).
        let d = radius_km / EARTH_RADIUS_KM;
        let dlat = d.to_degrees();
        if lat.abs() + dlat >= 90.0 {
            return None;
        }
        let dlon = (d.sin() / lat.to_radians().cos())
            .min(1.0)
            .asin()
            .to_degrees();
        let [west, south, east, north] = self.extent();
        if lat - dlat < south || lat + dlat > north || lon - dlon < west || lon + dlon > east {
            return None;
        }

        let clamp = |x: f64, n: usize| x.clamp(0.0, (n - 1) as f64) as usize;
        let r0 = clamp(((self.lat0 - (lat + dlat)) / self.dy).ceil(), self.nrows);
        let r1 = clamp(((self.lat0 - (lat - dlat)) / self.dy).floor(), self.nrows);
        let c0 = clamp(((lon - dlon - self.lon0) / self.dx).ceil(), self.ncols);
        let c1 = clamp(((lon + dlon - self.lon0) / self.dx).floor(), self.ncols);

        let mut acc = MeanAcc::default();
        for r in r0..=r1 {
            let clat = self.lat0 - r as f64 * self.dy;
            let row = &self.heights[r * self.ncols..(r + 1) * self.ncols];
            for (c, &v) in row.iter().enumerate().take(c1 + 1).skip(c0) {
                let clon = self.lon0 + c as f64 * self.dx;
                if distance_km((lon, lat), (clon, clat)) > radius_km {
                    continue;
                }
                acc.add((!v.is_nan()).then_some(f64::from(v)));
            }
        }
        // On a coarse grid (cells of 2 km or more: ETOPO5's 9 km) a circle holding fewer cell
        // centres than this is averaged by interpolation; finer grids keep counting cells.
        const MIN_CELLS: usize = 12;
        const COARSE_CELL_KM: f64 = 2.0;
        let cell_km = (self.dx * lat.to_radians().cos()).max(self.dy) * 111.195;
        if acc.total < MIN_CELLS && cell_km >= COARSE_CELL_KM {
            return self.mean_interpolated(lat, lon, radius_km);
        }
        acc.summary(radius_km, self.source.clone(), false)
    }

    /// `lon` shifted by ±360° when that puts it inside the grid (a grid written in 0–360°, or
    /// an epicentre given as −179° for a grid east of 180°).
    fn lon_in_frame(&self, lon: f64) -> f64 {
        let [west, _, east, _] = self.extent();
        [lon, lon - 360.0, lon + 360.0]
            .into_iter()
            .find(|l| (west..=east).contains(l))
            .unwrap_or(lon)
    }
}

/// Running statistics of the heights in a circle: every cell or sample counts in `total`, the
/// ones with a height (`Some`) in the mean.
#[derive(Default)]
struct MeanAcc {
    total: usize,
    valid: usize,
    sum: f64,
    min: f64,
    max: f64,
}

impl MeanAcc {
    fn add(&mut self, v: Option<f64>) {
        self.total += 1;
        let Some(v) = v else { return };
        if self.valid == 0 {
            (self.min, self.max) = (v, v);
        }
        self.valid += 1;
        self.sum += v;
        self.min = self.min.min(v);
        self.max = self.max.max(v);
    }

    /// The summary, or `None` for an empty circle or fewer than [`MIN_VALID_FRACTION`] valid.
    fn summary(
        &self,
        radius_km: f64,
        source: Option<DemSource>,
        interpolated: bool,
    ) -> Option<ElevationSummary> {
        if self.total == 0 || (self.valid as f64) < MIN_VALID_FRACTION * self.total as f64 {
            return None;
        }
        Some(ElevationSummary {
            mean_m: self.sum / self.valid as f64,
            min_m: self.min,
            max_m: self.max,
            cells: self.valid,
            radius_km,
            source,
            interpolated,
        })
    }
}

/// `N29E102…` → (29, 102); `S09W075…` → (−9, −75).
fn parse_tile_name(name: &str) -> Option<(f64, f64)> {
    let b = name.as_bytes();
    if b.len() < 7 || !b[..7].is_ascii() {
        return None;
    }
    let lat_sign = match b[0].to_ascii_uppercase() {
        b'N' => 1.0,
        b'S' => -1.0,
        _ => return None,
    };
    let lon_sign = match b[3].to_ascii_uppercase() {
        b'E' => 1.0,
        b'W' => -1.0,
        _ => return None,
    };
    let digits = |s: &[u8]| -> Option<f64> {
        s.iter()
            .all(u8::is_ascii_digit)
            .then(|| std::str::from_utf8(s).ok()?.parse::<f64>().ok())
            .flatten()
    };
    let lat = lat_sign * digits(&b[1..3])?;
    let lon = lon_sign * digits(&b[4..7])?;
    // The tile must lie on the globe: its south-west corner at most 89°N and 179°E.
    ((-90.0..=89.0).contains(&lat) && (-180.0..=179.0).contains(&lon)).then_some((lat, lon))
}

/// The header values as read, each with the line it came from.
#[derive(Default)]
struct EsriHeader {
    ncols: Option<(usize, usize)>,
    nrows: Option<(usize, usize)>,
    /// (value, is_center, line)
    xll: Option<(f64, bool, usize)>,
    yll: Option<(f64, bool, usize)>,
    cellsize: Option<(f64, usize)>,
    dx: Option<(f64, usize)>,
    dy: Option<(f64, usize)>,
    nodata: Option<f64>,
}

/// A complete, checked header.
struct EsriGeometry {
    ncols: usize,
    nrows: usize,
    nrows_line: usize,
    lon0: f64,
    lat0: f64,
    dx: f64,
    dy: f64,
    nodata: f64,
}

impl EsriHeader {
    fn line(&mut self, line: usize, text: &str) -> Result<(), DemError> {
        let err = |reason: String| DemError::Header { line, reason };
        let mut parts = text.split_whitespace();
        let (Some(key), Some(value), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(err(format!(
                "`{text}` is not a header line: expected a keyword and one value"
            )));
        };
        let key_lc = key.to_ascii_lowercase();
        let count = |what: &str| -> Result<usize, DemError> {
            match value.parse::<usize>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(err(format!(
                    "`{what}` = `{value}` is not a positive whole number"
                ))),
            }
        };
        let number = |what: &str| -> Result<f64, DemError> {
            match value.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(v),
                _ => Err(err(format!("`{what}` = `{value}` is not a number"))),
            }
        };
        let size = |what: &str| -> Result<f64, DemError> {
            match number(what)? {
                v if v > 0.0 => Ok(v),
                _ => Err(err(format!("`{what}` = `{value}` must be positive"))),
            }
        };
        let repeated = |first: usize| {
            Err(err(format!(
                "`{key}` repeats (first given on line {first})"
            )))
        };
        match key_lc.as_str() {
            "ncols" => match self.ncols {
                Some((_, l)) => return repeated(l),
                None => self.ncols = Some((count("ncols")?, line)),
            },
            "nrows" => match self.nrows {
                Some((_, l)) => return repeated(l),
                None => self.nrows = Some((count("nrows")?, line)),
            },
            "xllcorner" | "xllcenter" => match self.xll {
                Some((_, _, l)) => return repeated(l),
                None => self.xll = Some((number(key)?, key_lc == "xllcenter", line)),
            },
            "yllcorner" | "yllcenter" => match self.yll {
                Some((_, _, l)) => return repeated(l),
                None => self.yll = Some((number(key)?, key_lc == "yllcenter", line)),
            },
            "cellsize" => match self.cellsize.or(self.dx).or(self.dy) {
                Some((_, l)) => return repeated(l),
                None => self.cellsize = Some((size("cellsize")?, line)),
            },
            "dx" => match self.cellsize.or(self.dx) {
                Some((_, l)) => return repeated(l),
                None => self.dx = Some((size("dx")?, line)),
            },
            "dy" => match self.cellsize.or(self.dy) {
                Some((_, l)) => return repeated(l),
                None => self.dy = Some((size("dy")?, line)),
            },
            "nodata_value" => {
                if self.nodata.is_some() {
                    return Err(err("`NODATA_value` repeats".into()));
                }
                // `nan` is allowed: non-finite heights are voids anyway.
                self.nodata = Some(
                    value
                        .parse::<f64>()
                        .map_err(|_| err(format!("`{key}` = `{value}` is not a number")))?,
                );
            }
            _ => {
                return Err(err(format!(
                    "unknown header keyword `{key}`: expected one of {ESRI_KEYWORDS}"
                )))
            }
        }
        Ok(())
    }

    fn finish(self) -> Result<EsriGeometry, DemError> {
        let missing = |keyword| DemError::MissingHeader { keyword };
        let (ncols, _) = self.ncols.ok_or_else(|| missing("ncols"))?;
        let (nrows, nrows_line) = self.nrows.ok_or_else(|| missing("nrows"))?;
        let (xll, x_center, x_line) = self.xll.ok_or_else(|| missing("xllcorner"))?;
        let (yll, y_center, y_line) = self.yll.ok_or_else(|| missing("yllcorner"))?;
        let (dx, dy) = match (self.cellsize, self.dx, self.dy) {
            (Some((c, _)), _, _) => (c, c),
            (None, Some((dx, _)), Some((dy, _))) => (dx, dy),
            (None, Some(_), None) => return Err(missing("dy")),
            (None, None, Some(_)) => return Err(missing("dx")),
            (None, None, None) => return Err(missing("cellsize")),
        };
        // Centre of the south-west cell.
        let lon0 = if x_center { xll } else { xll + dx / 2.0 };
        let lat_s = if y_center { yll } else { yll + dy / 2.0 };
        let lat0 = lat_s + (nrows - 1) as f64 * dy;
        let (west, south) = (lon0 - dx / 2.0, lat_s - dy / 2.0);
        let (east, north) = (west + ncols as f64 * dx, south + nrows as f64 * dy);
        // A little slack for grids whose edge is written as 179.99999999.
        const EPS: f64 = 1e-6;
        if !(-180.0 - EPS..=360.0 + EPS).contains(&west) || east > 360.0 + EPS {
            return Err(DemError::NotGeographic {
                reason: format!(
                    "line {x_line}: the grid spans longitudes {west} to {east}, \
                     outside −180° to 360°"
                ),
            });
        }
        if south < -90.0 - EPS || north > 90.0 + EPS {
            return Err(DemError::NotGeographic {
                reason: format!(
                    "line {y_line}: the grid spans latitudes {south} to {north}, \
                     outside −90° to 90°"
                ),
            });
        }
        Ok(EsriGeometry {
            ncols,
            nrows,
            nrows_line,
            lon0,
            lat0,
            dx,
            dy,
            nodata: self.nodata.unwrap_or(ESRI_DEFAULT_NODATA),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(
        ncols: usize,
        nrows: usize,
        header_extra: &str,
        z: impl Fn(usize, usize) -> f64,
    ) -> String {
        let mut s = format!(
            "ncols {ncols}\nnrows {nrows}\nxllcenter 100.0\nyllcenter -0.1\ncellsize 0.01\n{header_extra}"
        );
        for r in 0..nrows {
            let row: Vec<String> = (0..ncols).map(|c| z(r, c).to_string()).collect();
            s.push_str(&row.join(" "));
            s.push('\n');
        }
        s
    }

    #[test]
    fn geometry_of_centre_and_corner_registration() {
        let centre = Dem::from_esri_ascii(&grid(21, 21, "", |_, _| 1.0)).expect("grid");
        let [w, s, e, n] = centre.extent();
        assert!(
            (w - 99.995).abs() < 1e-9 && (e - 100.205).abs() < 1e-9,
            "{centre:?}"
        );
        assert!(
            (s + 0.105).abs() < 1e-9 && (n - 0.105).abs() < 1e-9,
            "{centre:?}"
        );
        let corner = Dem::from_esri_ascii(
            "ncols 2\nnrows 1\nxllcorner 10\nyllcorner 20\ncellsize 0.5\n1 2\n",
        )
        .expect("grid");
        assert_eq!(corner.extent(), [10.0, 20.0, 11.0, 20.5]);
        assert_eq!(corner.height_at(20.25, 10.7), Some(2.0));
        assert_eq!(corner.height_at(20.25, 10.2), Some(1.0));
        assert_eq!(corner.height_at(20.25, 11.2), None);
    }

    #[test]
    fn tile_names() {
        assert_eq!(parse_tile_name("N29E102.hgt"), Some((29.0, 102.0)));
        assert_eq!(parse_tile_name("s09w075.hgt"), Some((-9.0, -75.0)));
        assert_eq!(parse_tile_name("N29E102.SRTMGL1.hgt"), Some((29.0, 102.0)));
        assert_eq!(parse_tile_name("N29E1.hgt"), None);
        assert_eq!(parse_tile_name("X29E102.hgt"), None);
        assert_eq!(parse_tile_name("N90E000.hgt"), None);
        assert_eq!(parse_tile_name("N2xE102.hgt"), None);
    }

    #[test]
    fn rounding_to_ten_metres() {
        let s = |m| ElevationSummary {
            mean_m: m,
            min_m: m,
            max_m: m,
            cells: 1,
            radius_km: 5.0,
            source: None,
            interpolated: false,
        };
        assert_eq!(s(2534.9).rounded_m(), 2530);
        assert_eq!(s(2535.0).rounded_m(), 2540);
        assert_eq!(s(-14.0).rounded_m(), -10);
        assert_eq!(s(4.9).rounded_m(), 0);
        let coarse = ElevationSummary {
            interpolated: true,
            ..s(2125.1)
        };
        assert_eq!(coarse.rounded_m(), 2100, "a 9 km grid's mean to 100 m");
    }

    /// A 3 × 3 grid of 1° cells rising 100 m per column eastward: bilinear heights, a global
    /// grid's wrap, and the interpolated mean of a circle smaller than a cell.
    #[test]
    fn bilinear_heights_and_the_mean_of_a_small_circle_on_a_coarse_grid() {
        let bytes: Vec<u8> = (0..3)
            .flat_map(|_| [0i16, 100, 200])
            .flat_map(i16::to_le_bytes)
            .collect();
        let dem = Dem::from_i16_le(3, 3, [100.0, 31.0], [1.0, 1.0], &bytes)
            .unwrap()
            .with_source("test", "1°");
        assert_eq!(dem.height_bilinear(30.0, 100.5), Some(50.0));
        assert_eq!(dem.height_bilinear(30.3, 101.25), Some(125.0));
        assert_eq!(dem.height_bilinear(30.0, 103.0), None, "outside");
        let m = dem.mean_within(30.0, 101.0, 5.0).expect("interpolated");
        assert!(m.interpolated);
        assert!((m.mean_m - 100.0).abs() < 0.5, "{}", m.mean_m);
        assert_eq!(m.source.as_ref().map(|s| s.name.as_str()), Some("test"));
        assert!(Dem::from_i16_le(3, 3, [100.0, 31.0], [1.0, 1.0], &bytes[..10]).is_err());
    }
}
