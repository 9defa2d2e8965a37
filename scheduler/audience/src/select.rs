//! Selecting the audience of an event from the user index.
//!
//! 1. The lowest tier's farthest reach fixes a coarse H3 resolution (≤ 20,000 cells for the
//!    region); cells are grown from the epicentre's cell, keeping those whose *upper bound* of
//!    intensity (nearest possible point, most shaken direction) reaches the lowest tier.
//! 2. Each kept coarse cell is one contiguous run of index records (two binary searches in the
//!    cell directory); only those pages of the mapped file are read.
//! 3. Every user in those runs is checked individually: exact great-circle position in the
//!    event's frame, a geometric test against the lowest isoseismal, then the predicted
//!    intensity and tier. The cells are only the coarse filter.
//!
//! The scan runs on all cores, split at index-cell boundaries by record count.
use std::sync::Arc;
use std::time::Instant;

use arrow_array::types::UInt8Type;
use arrow_array::{
    ArrayRef, DictionaryArray, Float32Array, RecordBatch, StringArray, UInt64Array, UInt8Array,
};
use arrow_schema::{DataType, Field, Schema};
use h3o::{CellIndex, LatLng};
use parquet::arrow::{arrow_writer::ArrowWriterOptions, ArrowWriter};
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;
use quakecast_facts::intensity::{level, IntensityModel};
use serde::Serialize;

use super::cells::{grow, may_reach, resolution_for, Tiers};
use super::error::{AudienceError, Result};
use super::index::{decode_record, UserIndex, RECORD_LEN};

/// Most coarse cells the growth step may keep; sets the coarse resolution.
pub const COARSE_MAX_CELLS: f64 = 20_000.0;

#[derive(Clone, Debug)]
pub struct SelectOptions {
    pub tiers: Tiers,
    /// Skip users last seen before this Unix time (users with unknown last seen are kept).
    pub seen_since: Option<i64>,
    /// Scan threads (default: all cores).
    pub threads: usize,
}

impl Default for SelectOptions {
    fn default() -> Self {
        SelectOptions {
            tiers: Tiers::default(),
            seen_since: None,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

/// One selected user.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SelectedUser {
    pub id: u64,
    pub distance_km: f32,
    pub intensity: f32,
    /// Tier priority (0 = highest).
    pub tier: u8,
}

/// Counters and timings of one selection.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SelectStats {
    pub coarse_resolution: u8,
    pub coarse_cells_visited: usize,
    pub coarse_cells_kept: usize,
    pub index_cells_read: u64,
    pub records_read: u64,
    pub bytes_read: u64,
    pub users_selected: u64,
    pub users_skipped_last_seen: u64,
    pub index_users: u64,
    pub secs_cells: f64,
    pub secs_scan: f64,
    pub secs_total: f64,
}

/// The audience of one event.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Grouped by tier (highest first); within a tier, in index (cell) order.
    pub users: Vec<SelectedUser>,
    /// Users per tier.
    pub tier_counts: Vec<u64>,
    /// Users per intensity level 0..=12 (only levels at or above the lowest tier occur).
    pub level_counts: [u64; 13],
    /// Index cells with selected users, and per cell the users per tier (`cells.len() × tiers`).
    pub cells: Vec<u64>,
    pub cell_counts: Vec<u32>,
    pub stats: SelectStats,
}

/// Select the audience of `model`'s event from `index`.
pub fn select(
    index: &UserIndex,
    model: &IntensityModel,
    opts: &SelectOptions,
) -> Result<Selection> {
    let started = Instant::now();
    let tiers = &opts.tiers;
    let n_tiers = tiers.len();
    let i_min = tiers.min_intensity();
    let mut stats = SelectStats {
        index_users: index.users(),
        ..Default::default()
    };
    let reach = model.max_radius_km(i_min);
    if model.epicentral_intensity() < i_min || reach <= 0.0 || index.users() == 0 {
        stats.secs_total = started.elapsed().as_secs_f64();
        return Ok(Selection {
            tier_counts: vec![0; n_tiers],
            stats,
            ..Default::default()
        });
    }

    // 1. Coarse cells.
    let res = resolution_for(reach, COARSE_MAX_CELLS, index.cell_res());
    let epicentre_cell = LatLng::new(model.lat, model.lon)
        .map_err(|e| AudienceError::Config(format!("epicentre: {e}")))?
        .to_cell(res);
    let (kept, visited) = grow(model, res, |cell: CellIndex| {
        may_reach(model, cell, epicentre_cell, i_min)
    })?;
    let mut ranges: Vec<(usize, usize)> = kept
        .iter()
        .map(|&c| index.cells_under(c))
        .filter(|r| !r.is_empty())
        .map(|r| (r.start, r.end))
        .collect();
    ranges.sort_unstable();
    stats.coarse_resolution = u8::from(res);
    stats.coarse_cells_visited = visited;
    stats.coarse_cells_kept = kept.len();
    stats.index_cells_read = ranges.iter().map(|r| (r.1 - r.0) as u64).sum();
    stats.secs_cells = started.elapsed().as_secs_f64();

    // 2–3. Scan the runs on all threads.
    let scan_started = Instant::now();
    let pieces = split_by_records(index, &ranges, opts.threads.max(1));
    let radii_min = model.radii(i_min);
    let results: Vec<Partial> = std::thread::scope(|s| {
        let handles: Vec<_> = pieces
            .iter()
            .map(|piece| s.spawn(|| scan(index, model, tiers, &radii_min, opts.seen_since, piece)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join())
            .collect::<std::result::Result<Vec<_>, _>>()
    })
    .map_err(|_| AudienceError::Config("a scan thread panicked".into()))?;

    let mut sel = Selection {
        tier_counts: vec![0; n_tiers],
        ..Default::default()
    };
    let total: usize = results
        .iter()
        .map(|p| p.by_tier.iter().map(Vec::len).sum::<usize>())
        .sum();
    sel.users.reserve_exact(total);
    for t in 0..n_tiers {
        for p in &results {
            sel.users.extend_from_slice(&p.by_tier[t]);
        }
        sel.tier_counts[t] = results.iter().map(|p| p.by_tier[t].len() as u64).sum();
    }
    for p in results {
        for (a, b) in sel.level_counts.iter_mut().zip(p.levels) {
            *a += b;
        }
        sel.cells.extend(p.cells);
        sel.cell_counts.extend(p.cell_counts);
        stats.records_read += p.records;
        stats.users_skipped_last_seen += p.skipped_seen;
    }
    stats.bytes_read = stats.records_read * RECORD_LEN as u64;
    stats.users_selected = sel.users.len() as u64;
    stats.secs_scan = scan_started.elapsed().as_secs_f64();
    stats.secs_total = started.elapsed().as_secs_f64();
    sel.stats = stats;
    Ok(sel)
}

/// Cut the directory runs into `n` pieces of about equal record counts, at cell boundaries.
fn split_by_records(
    index: &UserIndex,
    ranges: &[(usize, usize)],
    n: usize,
) -> Vec<Vec<(usize, usize)>> {
    let records = |a: usize, b: usize| -> u64 {
        if a >= b {
            0
        } else {
            index.cell_end(b - 1) - index.cell_first(a)
        }
    };
    let total: u64 = ranges.iter().map(|&(a, b)| records(a, b)).sum();
    let target = total.div_ceil(n as u64).max(1);
    let mut pieces = vec![Vec::new()];
    let mut acc = 0u64;
    for &(mut a, b) in ranges {
        while a < b {
            let room = target.saturating_sub(acc);
            let first = index.cell_first(a);
            // The last cell of this run that still fits in the current piece.
            let (mut lo, mut hi) = (a, b);
            while lo < hi {
                let mid = (lo + hi).div_ceil(2);
                if index.cell_end(mid - 1) - first <= room {
                    lo = mid;
                } else {
                    hi = mid - 1;
                }
            }
            let cut = if lo == a { a + 1 } else { lo };
            let cut = cut.min(b);
            if let Some(p) = pieces.last_mut() {
                p.push((a, cut));
            }
            acc += records(a, cut);
            a = cut;
            if acc >= target && pieces.len() < n {
                pieces.push(Vec::new());
                acc = 0;
            }
        }
    }
    pieces.retain(|p| !p.is_empty());
    pieces
}

struct Partial {
    by_tier: Vec<Vec<SelectedUser>>,
    levels: [u64; 13],
    cells: Vec<u64>,
    cell_counts: Vec<u32>,
    records: u64,
    skipped_seen: u64,
}

fn scan(
    index: &UserIndex,
    model: &IntensityModel,
    tiers: &Tiers,
    radii_min: &quakecast_facts::intensity::Radii,
    seen_since: Option<i64>,
    piece: &[(usize, usize)],
) -> Partial {
    let n_tiers = tiers.len();
    let mut p = Partial {
        by_tier: vec![Vec::new(); n_tiers],
        levels: [0; 13],
        cells: Vec::new(),
        cell_counts: Vec::new(),
        records: 0,
        skipped_seen: 0,
    };
    let mut counts = vec![0u32; n_tiers];
    let since = seen_since.map(|s| s.clamp(0, i64::from(u32::MAX)) as u32);
    for &(a, b) in piece {
        for ci in a..b {
            let (r0, r1) = (index.cell_first(ci) as usize, index.cell_end(ci) as usize);
            p.records += (r1 - r0) as u64;
            counts.iter_mut().for_each(|c| *c = 0);
            for (k, chunk) in index
                .record_bytes(r0, r1)
                .chunks_exact(RECORD_LEN)
                .enumerate()
            {
                let rec = decode_record(chunk);
                let o = model.offset(f64::from(rec.lat), f64::from(rec.lon));
                if !model.inside(&o, radii_min) {
                    continue;
                }
                if let Some(since) = since {
                    let seen = index.seen(r0 + k);
                    if seen != 0 && seen < since {
                        p.skipped_seen += 1;
                        continue;
                    }
                }
                let intensity = model.intensity_at_offset(o.along_km, o.across_km);
                let Some(tier) = tiers.tier_of(intensity) else {
                    continue;
                };
                p.by_tier[usize::from(tier)].push(SelectedUser {
                    id: rec.id,
                    distance_km: o.distance_km as f32,
                    intensity: intensity as f32,
                    tier,
                });
                p.levels[usize::from(level(intensity))] += 1;
                counts[usize::from(tier)] += 1;
            }
            if counts.iter().any(|&c| c > 0) {
                p.cells.push(index.cell_at(ci));
                p.cell_counts.extend_from_slice(&counts);
            }
        }
    }
    p
}

/// The audience Parquet schema: `user_id` UInt64, `tier` Utf8 (dictionary-encoded in the file),
/// `distance_km` Float32, `intensity` Float32.
pub fn audience_schema() -> Schema {
    Schema::new(vec![
        Field::new("user_id", DataType::UInt64, false),
        Field::new("tier", DataType::Utf8, false),
        Field::new("distance_km", DataType::Float32, false),
        Field::new("intensity", DataType::Float32, false),
    ])
}

/// Write the audience as Parquet, in batches (highest tier first).
pub fn write_audience(path: &std::path::Path, sel: &Selection, tiers: &Tiers) -> Result<u64> {
    let err = |e: String| AudienceError::Format {
        file: path.display().to_string(),
        message: e,
    };
    let file = std::fs::File::create(path).map_err(|e| AudienceError::io(path, e))?;
    // The tier goes in as dictionary keys over the tier names (one byte per user, no string
    // per row to hash); the file stores a dictionary-encoded string column either way, and
    // without the Arrow schema hint readers see `tier` as plain Utf8 ([`audience_schema`]).
    let schema = Arc::new(Schema::new(vec![
        Field::new("user_id", DataType::UInt64, false),
        Field::new(
            "tier",
            DataType::Dictionary(Box::new(DataType::UInt8), Box::new(DataType::Utf8)),
            false,
        ),
        Field::new("distance_km", DataType::Float32, false),
        Field::new("intensity", DataType::Float32, false),
    ]));
    // Ids, distances and intensities are nearly all distinct: a dictionary attempt on them
    // (the default) only hashes every value before falling back to plain encoding.
    let mut props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(1 << 20));
    for column in ["user_id", "distance_km", "intensity"] {
        props = props
            .set_column_dictionary_enabled(ColumnPath::from(column), false)
            .set_column_compression(ColumnPath::from(column), Compression::UNCOMPRESSED);
    }
    let props = props.build();
    let options = ArrowWriterOptions::new()
        .with_properties(props)
        .with_skip_arrow_metadata(true);
    let mut w = ArrowWriter::try_new_with_options(file, schema.clone(), options)
        .map_err(|e| err(e.to_string()))?;
    let names: Arc<StringArray> = Arc::new(StringArray::from_iter_values(
        tiers.list().iter().map(|t| t.name.as_str()),
    ));
    for chunk in sel.users.chunks(1 << 18) {
        let keys = UInt8Array::from_iter_values(chunk.iter().map(|u| u.tier));
        let tier = DictionaryArray::<UInt8Type>::try_new(keys, names.clone())
            .map_err(|e| err(e.to_string()))?;
        let cols: Vec<ArrayRef> = vec![
            Arc::new(UInt64Array::from_iter_values(chunk.iter().map(|u| u.id))),
            Arc::new(tier),
            Arc::new(Float32Array::from_iter_values(
                chunk.iter().map(|u| u.distance_km),
            )),
            Arc::new(Float32Array::from_iter_values(
                chunk.iter().map(|u| u.intensity),
            )),
        ];
        let batch = RecordBatch::try_new(schema.clone(), cols).map_err(|e| err(e.to_string()))?;
        w.write(&batch).map_err(|e| err(e.to_string()))?;
    }
    w.close().map_err(|e| err(e.to_string()))?;
    Ok(std::fs::metadata(path)
        .map_err(|e| AudienceError::io(path, e))?
        .len())
}
