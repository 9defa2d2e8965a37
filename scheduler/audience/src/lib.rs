//! The push audience: who is likely to feel an event, tiered by predicted intensity.
//!
//! Pipeline: user snapshot (Parquet/CSV) → [`index::build_index`] (a memory-mapped file sorted
//! by H3 cell, rebuilt incrementally) → per event: [`IntensityModel`] (shared with the
//! bulletin, `quakecast_facts::intensity`) → [`select::select`] (cells grown from the
//! epicentre, then exact per-user checks) → `audience.parquet` + `summary.json` (counts per
//! tier and nearest place, exposure) + tier cells (`cells.geojson`, `cells.json`).
//! [`generate`] writes realistic synthetic snapshots for tests and benches.
//!
//! `docs/audience.md` documents the index format, the choices made and measured figures.
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use clap::{Args, Subcommand};
use h3o::Resolution;
use quakecast_facts::intensity::{IntensityModel, Relation};
use quakecast_facts::Event;

pub mod cells;
pub mod error;
pub mod gazetteer;
pub mod generate;
pub mod heat;
pub mod index;
pub mod select;
pub mod snapshot;
pub mod summary;

pub use cells::{Tier, TierCells, Tiers};
pub use error::AudienceError;
pub use gazetteer::Gazetteer;
pub use index::{build_index, BuildOptions, BuildReport, UserIndex};
pub use select::{select, SelectOptions, SelectedUser, Selection};
pub use snapshot::{Snapshot, SnapshotFormat, UserRow};

/// `quakecast audience …`
#[derive(Debug, Subcommand)]
pub enum AudienceCmd {
    /// Build the user index from a snapshot; partitions unchanged since the previous index are
    /// copied, not rebuilt.
    Index(IndexArgs),
    /// Select the audience of an event: audience.parquet, summary.json, cells.geojson, cells.json.
    Select(SelectArgs),
    /// Write a synthetic user snapshot whose density follows the gazetteer's populations.
    Generate(GenerateArgs),
    /// Tier cells and the gazetteer-based exposure of an event, without a user index.
    Cells(CellsArgs),
    /// Read a whole index sequentially once (the memory-bandwidth floor `select` is compared with).
    Scan {
        #[arg(
            long,
            env = "QUAKECAST_AUDIENCE_INDEX",
            default_value = "audience/users.qcx"
        )]
        index: PathBuf,
        /// Threads (default: all cores, as `select` uses).
        #[arg(long, env = "QUAKECAST_AUDIENCE_THREADS")]
        threads: Option<usize>,
    },
}

#[derive(Debug, Args)]
pub struct IndexArgs {
    /// The snapshot: Parquet (.parquet, .pq) or CSV (.csv) with user_id, lat, lon[, last_seen].
    pub snapshot: PathBuf,
    /// The index file to write (replaced atomically).
    #[arg(
        long,
        env = "QUAKECAST_AUDIENCE_INDEX",
        default_value = "audience/users.qcx"
    )]
    pub index: PathBuf,
    /// Snapshot format, when the file name does not tell.
    #[arg(long, value_enum)]
    pub format: Option<SnapshotFormat>,
    /// H3 resolution of the index cells (0–15).
    #[arg(long, env = "QUAKECAST_AUDIENCE_CELL_RES", default_value_t = 7)]
    pub cell_res: u8,
    /// H3 resolution of the rebuild partitions (≤ cell resolution).
    #[arg(long, default_value_t = 3)]
    pub partition_res: u8,
    /// Previous index to reuse unchanged partitions from (default: the existing --index file).
    #[arg(long)]
    pub previous: Option<PathBuf>,
    /// Rebuild every partition.
    #[arg(long)]
    pub full: bool,
    /// Directory for spill files (default: next to the index).
    #[arg(long, env = "QUAKECAST_AUDIENCE_TMP")]
    pub tmp: Option<PathBuf>,
}

/// How intensity is predicted and tiered.
#[derive(Debug, Args)]
pub struct ModelArgs {
    /// Tiers as name=level, the level a Roman numeral or a number (highest first or in any order).
    #[arg(
        long,
        env = "QUAKECAST_AUDIENCE_TIERS",
        default_value = "strong=VI,felt=IV,weak=III"
    )]
    pub tiers: String,
    /// Intensity relation: auto (by epicentre), china-west, china-east, aww2012-hypo.
    #[arg(long, env = "QUAKECAST_AUDIENCE_RELATION", default_value = "auto")]
    pub relation: String,
    /// Long axis azimuth (fault strike), degrees from north; without it the model is circular.
    #[arg(long, alias = "strike")]
    pub long_axis_azimuth: Option<f64>,
    /// H3 resolution of the exported tier cells.
    #[arg(long, env = "QUAKECAST_AUDIENCE_TIER_CELL_RES", default_value_t = 6)]
    pub tier_cell_res: u8,
    /// Data directory holding geonames/cities1000.json (default: QUAKECAST_DATA or ./data).
    #[arg(long, env = "QUAKECAST_DATA")]
    pub data: Option<PathBuf>,
    /// Skip the gazetteer (no per-place counts, no gazetteer-based exposure).
    #[arg(long)]
    pub no_places: bool,
}

#[derive(Debug, Args)]
pub struct SelectArgs {
    /// The report (CENC JSON or a USGS GeoJSON feature).
    pub event_file: PathBuf,
    #[arg(
        long,
        env = "QUAKECAST_AUDIENCE_INDEX",
        default_value = "audience/users.qcx"
    )]
    pub index: PathBuf,
    /// Output directory.
    #[arg(long, env = "QUAKECAST_AUDIENCE_OUT", default_value = "out/audience")]
    pub out: PathBuf,
    #[command(flatten)]
    pub model: ModelArgs,
    /// Leave out users last seen before this time (RFC 3339 or Unix seconds).
    #[arg(long, env = "QUAKECAST_AUDIENCE_SEEN_SINCE")]
    pub seen_since: Option<String>,
    /// Scan threads (default: all cores).
    #[arg(long, env = "QUAKECAST_AUDIENCE_THREADS")]
    pub threads: Option<usize>,
}

#[derive(Debug, Args)]
pub struct CellsArgs {
    /// The report (CENC JSON or a USGS GeoJSON feature).
    pub event_file: PathBuf,
    /// Output directory.
    #[arg(long, env = "QUAKECAST_AUDIENCE_OUT", default_value = "out/audience")]
    pub out: PathBuf,
    #[command(flatten)]
    pub model: ModelArgs,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Number of users.
    #[arg(long, default_value_t = 1_000_000)]
    pub users: u64,
    /// Random seed (the same seed and size give the same file).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output file (.parquet or .csv).
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long, value_enum)]
    pub format: Option<SnapshotFormat>,
    /// Data directory holding geonames/cities1000.json.
    #[arg(long, env = "QUAKECAST_DATA")]
    pub data: Option<PathBuf>,
}

/// Run one `quakecast audience` command.
///
/// `default_data`: the data directory when the command has no `--data`
/// (`quakecast_core::assets::default_data_dir`).
pub fn run(cmd: AudienceCmd, default_data: &Path) -> anyhow::Result<()> {
    match cmd {
        AudienceCmd::Index(a) => {
            let opts = BuildOptions {
                cell_res: resolution(a.cell_res, "--cell-res")?,
                part_res: resolution(a.partition_res, "--partition-res")?,
                tmp_dir: a.tmp,
                previous: a.previous,
                full: a.full,
                format: a.format,
            };
            if let Some(dir) = a.index.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
            }
            let report = build_index(&a.snapshot, &a.index, &opts)?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(())
        }
        AudienceCmd::Select(a) => {
            let event = read_event(&a.event_file)?;
            let model = model_for(&event, &a.model)?;
            let tiers: Tiers = a.model.tiers.parse()?;
            let tier_cell_res = resolution(a.model.tier_cell_res, "--tier-cell-res")?;
            let seen_since = a.seen_since.as_deref().map(parse_time).transpose()?;
            // On two cores the whole command is ~1 s of CPU: the gazetteer decodes while the
            // index is scanned, and the audience Parquet is written while the tier cells are
            // grown, so the wall time is the longer of each pair, not their sum.
            std::thread::scope(|s| -> anyhow::Result<()> {
                let gaz = s.spawn(|| load_gazetteer(&a.model, default_data, &model, &tiers));
                let index = UserIndex::open(&a.index)?;
                let opts = SelectOptions {
                    tiers: tiers.clone(),
                    seen_since,
                    threads: a
                        .threads
                        .unwrap_or_else(|| SelectOptions::default().threads),
                };
                let sel = select(&index, &model, &opts)?;
                std::fs::create_dir_all(&a.out)
                    .with_context(|| format!("creating {}", a.out.display()))?;
                let (secs_parquet, secs_cells, tc, gaz) = std::thread::scope(|s2| {
                    let parquet = s2.spawn(|| {
                        let t = Instant::now();
                        select::write_audience(&a.out.join("audience.parquet"), &sel, &tiers)
                            .map(|_| t.elapsed().as_secs_f64())
                    });
                    let t = Instant::now();
                    let tc = TierCells::compute(&model, &tiers, tier_cell_res)?;
                    write_cells(&a.out, &tc, &tiers)?;
                    let secs_cells = t.elapsed().as_secs_f64();
                    let gaz = gaz
                        .join()
                        .map_err(|_| anyhow::anyhow!("the gazetteer thread panicked"))??;
                    let secs_parquet = parquet
                        .join()
                        .map_err(|_| anyhow::anyhow!("the Parquet writer panicked"))??;
                    anyhow::Ok((secs_parquet, secs_cells, tc, gaz))
                })?;
                let t = Instant::now();
                let mut doc =
                    summary::summary(&event, &model, &tiers, Some(&sel), gaz.as_ref(), Some(&tc));
                let secs_summary = t.elapsed().as_secs_f64();
                doc["timings"] = serde_json::json!({
                    "select_secs": sel.stats.secs_total,
                    "write_parquet_secs": secs_parquet,
                    "tier_cells_secs": secs_cells,
                    "summary_secs": secs_summary,
                });
                write_json(&a.out.join("summary.json"), &doc)?;
                eprintln!(
                    "audience: {} users ({}) selected from {} in {:.3} s; written to {}",
                    sel.users.len(),
                    tiers
                        .list()
                        .iter()
                        .zip(&sel.tier_counts)
                        .map(|(t, c)| format!("{} {c}", t.name))
                        .collect::<Vec<_>>()
                        .join(", "),
                    index.users(),
                    sel.stats.secs_total,
                    a.out.display()
                );
                Ok(())
            })
        }
        AudienceCmd::Cells(a) => {
            let event = read_event(&a.event_file)?;
            let model = model_for(&event, &a.model)?;
            let tiers: Tiers = a.model.tiers.parse()?;
            let gaz = load_gazetteer(&a.model, default_data, &model, &tiers)?;
            let tc = TierCells::compute(
                &model,
                &tiers,
                resolution(a.model.tier_cell_res, "--tier-cell-res")?,
            )?;
            std::fs::create_dir_all(&a.out)
                .with_context(|| format!("creating {}", a.out.display()))?;
            write_cells(&a.out, &tc, &tiers)?;
            let doc = summary::summary(&event, &model, &tiers, None, gaz.as_ref(), Some(&tc));
            write_json(&a.out.join("summary.json"), &doc)?;
            eprintln!("tier cells written to {}", a.out.display());
            Ok(())
        }
        AudienceCmd::Generate(a) => {
            let format = match a.format {
                Some(f) => f,
                None => SnapshotFormat::from_path(&a.out)?,
            };
            let data = a.data.unwrap_or_else(|| default_data.to_path_buf());
            let gaz = Gazetteer::load(&data.join(gazetteer::GAZETTEER_FILE))
                .context("the generator samples users around the gazetteer's places; run `bash scripts/setup.sh`")?;
            let opts = generate::GenerateOptions {
                users: a.users,
                seed: a.seed,
                ..Default::default()
            };
            let report = generate::generate(&gaz.places, &opts, &a.out, format)?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(())
        }
        AudienceCmd::Scan { index, threads } => {
            let ix = UserIndex::open(&index)?;
            let threads = threads.unwrap_or_else(|| SelectOptions::default().threads);
            let t = Instant::now();
            let checksum = ix.scan(threads);
            let secs = t.elapsed().as_secs_f64();
            println!(
                "{}",
                serde_json::json!({
                    "users": ix.users(),
                    "bytes": ix.users() * index::RECORD_LEN as u64,
                    "threads": threads,
                    "secs": secs,
                    "checksum": checksum,
                })
            );
            Ok(())
        }
    }
}

/// Read and validate a report.
pub fn read_event(path: &Path) -> anyhow::Result<Event> {
    let bytes =
        std::fs::read(path).with_context(|| format!("reading report {}", path.display()))?;
    quakecast_facts::parse_report(&bytes)
        .map_err(|e| anyhow::anyhow!("invalid report: {e}"))
        .with_context(|| format!("in {}", path.display()))
}

/// The intensity model for an event under the command's options.
pub fn model_for(event: &Event, a: &ModelArgs) -> anyhow::Result<IntensityModel> {
    let relation = match a.relation.as_str() {
        "auto" => Relation::for_epicenter(event.lat, event.lon),
        k => Relation::from_key(k).ok_or_else(|| {
            AudienceError::Config(format!(
                "--relation {k:?}: expected auto, china-west, china-east or aww2012-hypo"
            ))
        })?,
    };
    let model = IntensityModel::new(
        relation,
        event.magnitude,
        event.depth_km,
        event.lat,
        event.lon,
    );
    Ok(match a.long_axis_azimuth {
        Some(az) if az.is_finite() => model.with_long_axis_azimuth(az),
        Some(az) => {
            return Err(
                AudienceError::Config(format!("--long-axis-azimuth {az} is not a number")).into(),
            )
        }
        None => model,
    })
}

/// The gazetteer's places the summary can use: those within the lowest tier's reach of the
/// epicentre plus the summary's margin ([`summary::PLACE_SEARCH_KM`]).
fn load_gazetteer(
    a: &ModelArgs,
    default_data: &Path,
    model: &IntensityModel,
    tiers: &Tiers,
) -> anyhow::Result<Option<Gazetteer>> {
    if a.no_places {
        return Ok(None);
    }
    let data = a.data.clone().unwrap_or_else(|| default_data.to_path_buf());
    let path = data.join(gazetteer::GAZETTEER_FILE);
    let radius = model.max_radius_km(tiers.min_intensity()).max(0.0) + summary::PLACE_SEARCH_KM;
    let g = Gazetteer::load_near(&path, model.lat, model.lon, radius).context(
        "per-place counts need the gazetteer: run `bash scripts/setup.sh`, or pass --no-places",
    )?;
    Ok(Some(g))
}

fn resolution(r: u8, flag: &str) -> Result<Resolution, AudienceError> {
    Resolution::try_from(r)
        .map_err(|_| AudienceError::Config(format!("{flag} {r}: H3 resolutions are 0–15")))
}

/// Unix seconds or RFC 3339.
fn parse_time(s: &str) -> Result<i64, AudienceError> {
    if let Ok(v) = s.trim().parse::<i64>() {
        return Ok(v);
    }
    chrono::DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.timestamp())
        .map_err(|_| {
            AudienceError::Config(format!(
                "--seen-since {s:?}: expected RFC 3339 or Unix seconds"
            ))
        })
}

/// Write `cells.geojson` and `cells.json`.
pub fn write_cells(out: &Path, tc: &TierCells, tiers: &Tiers) -> Result<(), AudienceError> {
    write_json(&out.join("cells.geojson"), &tc.geojson(tiers)?)?;
    write_json(&out.join("cells.json"), &tc.cell_list(tiers)?)
}

fn write_json(path: &Path, v: &serde_json::Value) -> Result<(), AudienceError> {
    let bytes = serde_json::to_vec_pretty(v)
        .map_err(|e| AudienceError::Config(format!("encoding {}: {e}", path.display())))?;
    std::fs::write(path, bytes).map_err(|e| AudienceError::io(path, e))
}
