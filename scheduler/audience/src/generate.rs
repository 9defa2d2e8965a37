//! A synthetic user snapshot at any size: users around the gazetteer's places, in proportion to
//! their populations, spread with a distance decay that grows with the place's size.
//!
//! For user `i` (deterministic for a seed, independent of batch boundaries):
//! - a place drawn with probability ∝ population (binary search over the cumulative sum);
//! - a distance `r = s·E` with `E` exponential (mean 1) and `s = 1 km + 4 km·√(population / 10⁶)`
//!   (1.1 km around a village of 1,000, 5 km around a city of 1 M, 13.6 km around 10 M), at a
//!   uniform azimuth;
//! - `user_id = mix(seed, i)`, a bijection of `i`, so ids are unique and unordered;
//! - `last_seen` uniform in the `window_days` before `seen_base`.
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, RecordBatch, TimestampSecondArray, UInt64Array};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use quakecast_facts::cities::Place;
use quakecast_facts::geo::destination;

use super::error::{AudienceError, Result};
use super::index::mix;
use super::snapshot::{SnapshotFormat, UserRow};

/// Rows per generated batch (and per Parquet write).
pub const GEN_BATCH: usize = 65_536;

#[derive(Clone, Debug)]
pub struct GenerateOptions {
    pub users: u64,
    pub seed: u64,
    /// `last_seen` values fall in the `window_days` before this Unix time.
    pub seen_base: i64,
    pub window_days: u32,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            users: 1_000_000,
            seed: 1,
            // 2022-09-05T00:00:00Z, the day of the Luding earthquake.
            seen_base: 1_662_336_000,
            window_days: 30,
        }
    }
}

/// The sampler: call [`Synthetic::fill`] repeatedly.
pub struct Synthetic<'a> {
    places: &'a [Place],
    cumulative: Vec<u64>,
    opts: GenerateOptions,
    next: u64,
}

impl<'a> Synthetic<'a> {
    pub fn new(places: &'a [Place], opts: GenerateOptions) -> Result<Synthetic<'a>> {
        let mut total = 0u64;
        let cumulative: Vec<u64> = places
            .iter()
            .map(|p| {
                total += p.population;
                total
            })
            .collect();
        if total == 0 {
            return Err(AudienceError::Config(
                "the gazetteer has no population to sample from".into(),
            ));
        }
        Ok(Synthetic {
            places,
            cumulative,
            opts,
            next: 0,
        })
    }

    /// User `i` of the snapshot.
    pub fn user(&self, i: u64) -> UserRow {
        let mut rng = Rng::new(self.opts.seed ^ mix(i.wrapping_add(0x5851_f42d_4c95_7f2d)));
        let total = *self.cumulative.last().unwrap_or(&1);
        let pick = rng.below(total);
        let k = self
            .cumulative
            .partition_point(|&c| c <= pick)
            .min(self.places.len() - 1);
        let p = &self.places[k];
        let scale = 1.0 + 4.0 * (p.population as f64 / 1e6).sqrt();
        let r = -scale * (1.0 - rng.unit()).ln();
        let az = rng.unit() * 360.0;
        let (lon, lat) = destination(p.lon, p.lat, az, r);
        let round6 = |v: f64| (v * 1e6).round() / 1e6;
        let window = i64::from(self.opts.window_days) * 86_400;
        let seen = self.opts.seen_base - (rng.unit() * window as f64) as i64;
        UserRow {
            id: mix(i ^ mix(self.opts.seed)),
            lat: round6(lat).clamp(-90.0, 90.0),
            lon: round6(lon).clamp(-180.0, 180.0),
            seen: Some(seen),
        }
    }

    /// Replace `out` with the next batch; `false` when all users were produced.
    pub fn fill(&mut self, out: &mut Vec<UserRow>) -> bool {
        out.clear();
        let end = (self.next + GEN_BATCH as u64).min(self.opts.users);
        out.extend((self.next..end).map(|i| self.user(i)));
        self.next = end;
        !out.is_empty()
    }
}

/// xoshiro256** seeded through SplitMix64: small, fast, and fixed here so generated snapshots
/// never change with a dependency upgrade.
struct Rng {
    s: [u64; 4],
}

impl Rng {
    fn new(seed: u64) -> Rng {
        let mut z = seed;
        let mut next = || {
            z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
            mix(z)
        };
        Rng {
            s: [next(), next(), next(), next()],
        }
    }

    fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [0, n) (Lemire's multiply-shift; the bias is below 2⁻³⁰ for our n).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }
}

/// What was written.
#[derive(Clone, Debug, serde::Serialize)]
pub struct GenerateReport {
    pub users: u64,
    pub bytes: u64,
    pub secs: f64,
}

/// Write a synthetic snapshot to `out` (Parquet or CSV).
pub fn generate(
    places: &[Place],
    opts: &GenerateOptions,
    out: &Path,
    format: SnapshotFormat,
) -> Result<GenerateReport> {
    let started = std::time::Instant::now();
    let mut gen = Synthetic::new(places, opts.clone())?;
    let mut rows = Vec::with_capacity(GEN_BATCH);
    let io = |e| AudienceError::io(out, e);
    let file = File::create(out).map_err(io)?;
    match format {
        SnapshotFormat::Csv => {
            let mut w = BufWriter::with_capacity(1 << 20, file);
            writeln!(w, "user_id,lat,lon,last_seen").map_err(io)?;
            while gen.fill(&mut rows) {
                for r in &rows {
                    writeln!(
                        w,
                        "{},{},{},{}",
                        r.id,
                        r.lat,
                        r.lon,
                        r.seen.unwrap_or_default()
                    )
                    .map_err(io)?;
                }
            }
            w.flush().map_err(io)?;
        }
        SnapshotFormat::Parquet => {
            let schema = Arc::new(snapshot_schema());
            let props = WriterProperties::builder()
                .set_compression(Compression::UNCOMPRESSED)
                .set_dictionary_enabled(false)
                .set_max_row_group_row_count(Some(1 << 20))
                .build();
            let mut w = ArrowWriter::try_new(file, schema.clone(), Some(props))
                .map_err(|e| parquet_err(out, e))?;
            while gen.fill(&mut rows) {
                let batch = rows_to_batch(&schema, &rows).map_err(|e| AudienceError::Format {
                    file: out.display().to_string(),
                    message: e.to_string(),
                })?;
                w.write(&batch).map_err(|e| parquet_err(out, e))?;
            }
            w.close().map_err(|e| parquet_err(out, e))?;
        }
    }
    let bytes = std::fs::metadata(out).map_err(io)?.len();
    Ok(GenerateReport {
        users: opts.users,
        bytes,
        secs: started.elapsed().as_secs_f64(),
    })
}

fn parquet_err(out: &Path, e: parquet::errors::ParquetError) -> AudienceError {
    AudienceError::Format {
        file: out.display().to_string(),
        message: format!("writing Parquet: {e}"),
    }
}

/// The schema the generator writes: `user_id` UInt64, `lat`/`lon` Float64, `last_seen`
/// Timestamp(s, UTC).
pub fn snapshot_schema() -> Schema {
    Schema::new(vec![
        Field::new("user_id", DataType::UInt64, false),
        Field::new("lat", DataType::Float64, false),
        Field::new("lon", DataType::Float64, false),
        Field::new(
            "last_seen",
            DataType::Timestamp(TimeUnit::Second, Some("UTC".into())),
            true,
        ),
    ])
}

/// Rows as a record batch of [`snapshot_schema`].
pub fn rows_to_batch(
    schema: &Arc<Schema>,
    rows: &[UserRow],
) -> std::result::Result<RecordBatch, arrow_schema::ArrowError> {
    let cols: Vec<ArrayRef> = vec![
        Arc::new(UInt64Array::from_iter_values(rows.iter().map(|r| r.id))),
        Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.lat))),
        Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.lon))),
        Arc::new(
            TimestampSecondArray::from(rows.iter().map(|r| r.seen).collect::<Vec<_>>())
                .with_timezone("UTC"),
        ),
    ];
    RecordBatch::try_new(schema.clone(), cols)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gazetteer::tests::place;
    use quakecast_facts::geo::distance_km;

    #[test]
    fn users_follow_population_and_stay_near_their_place() {
        let places = vec![
            place(1, "big", 30.0, 104.0, 9_000_000),
            place(2, "small", 40.0, 116.0, 1_000_000),
        ];
        let opts = GenerateOptions {
            users: 20_000,
            ..Default::default()
        };
        let mut g = Synthetic::new(&places, opts.clone()).unwrap();
        let mut rows = Vec::new();
        let mut all = Vec::new();
        while g.fill(&mut rows) {
            all.extend_from_slice(&rows);
        }
        assert_eq!(all.len(), 20_000);
        let near_big = all
            .iter()
            .filter(|r| distance_km((r.lon, r.lat), (104.0, 30.0)) < 200.0)
            .count();
        let frac = near_big as f64 / all.len() as f64;
        assert!((0.88..0.92).contains(&frac), "{frac}");
        // Mean distance around the 9 M city ≈ 1 + 4·3 = 13 km.
        let d: Vec<f64> = all
            .iter()
            .map(|r| distance_km((r.lon, r.lat), (104.0, 30.0)))
            .filter(|&d| d < 200.0)
            .collect();
        let mean = d.iter().sum::<f64>() / d.len() as f64;
        assert!((12.0..14.0).contains(&mean), "{mean}");
        // Unique ids, deterministic, independent of batching.
        let mut ids: Vec<u64> = all.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 20_000);
        let again = Synthetic::new(&places, opts).unwrap();
        assert_eq!(again.user(12_345), all[12_345]);
        let seen = all[0].seen.unwrap();
        assert!((1_662_336_000 - 30 * 86_400..=1_662_336_000).contains(&seen));
    }
}
