//! User location snapshots (Parquet or CSV) read in bounded batches, validated row by row.
//!
//! Columns, matched case-insensitively by any of their accepted names:
//!
//! | field       | names                            | Parquet types                         | CSV                                  |
//! |-------------|----------------------------------|---------------------------------------|--------------------------------------|
//! | user id     | `user_id`, `uid`, `id`           | Int64/UInt64/Int32/UInt32, ≥ 0        | unsigned integer                     |
//! | latitude    | `lat`, `latitude`                | Float64/Float32, −90..=90             | decimal number                       |
//! | longitude   | `lon`, `lng`, `longitude`        | Float64/Float32, −180..=180           | decimal number                       |
//! | last seen   | `last_seen`, `seen_at` (optional)| Timestamp (any unit) or Int64 seconds | Unix seconds or RFC 3339; may be empty |
//!
//! Any other column is ignored (and, in Parquet, never decoded). The first bad value stops the
//! read with an error naming the file, the data row (from 1), the CSV line and the column.
use std::fs::File;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int32Type, Int64Type, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType, UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::arrow::ProjectionMask;

use super::error::{AudienceError, Result};

/// Rows per batch handed to the caller (bounded memory whatever the snapshot size).
pub const BATCH_ROWS: usize = 65_536;

/// One user's last known location.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UserRow {
    pub id: u64,
    pub lat: f64,
    pub lon: f64,
    /// Last seen, Unix seconds; `None` when the snapshot has no such column or the value is empty.
    pub seen: Option<i64>,
}

/// Snapshot file formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SnapshotFormat {
    Parquet,
    Csv,
}

impl SnapshotFormat {
    /// From the file name: `.parquet`/`.pq` or `.csv`.
    pub fn from_path(path: &Path) -> Result<Self> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase());
        match ext.as_deref() {
            Some("parquet") | Some("pq") => Ok(SnapshotFormat::Parquet),
            Some("csv") => Ok(SnapshotFormat::Csv),
            _ => Err(AudienceError::Config(format!(
                "{}: cannot tell the snapshot format from the name; expected .parquet, .pq or .csv \
                 (or pass --format)",
                path.display()
            ))),
        }
    }
}

const ID_NAMES: &[&str] = &["user_id", "uid", "id"];
const LAT_NAMES: &[&str] = &["lat", "latitude"];
const LON_NAMES: &[&str] = &["lon", "lng", "longitude"];
const SEEN_NAMES: &[&str] = &["last_seen", "seen_at"];

/// A snapshot being read.
pub struct Snapshot {
    file: String,
    inner: Inner,
    /// Data rows handed out so far.
    rows: u64,
    /// Whether the snapshot has a last-seen column.
    pub has_seen: bool,
}

enum Inner {
    Parquet {
        reader: ParquetRecordBatchReader,
        names: [String; 3],
        seen: Option<String>,
    },
    Csv {
        reader: csv::Reader<File>,
        cols: [usize; 3],
        seen: Option<usize>,
        names: [String; 4],
        record: csv::StringRecord,
    },
}

impl Snapshot {
    /// Open a snapshot, checking its columns (names and types) before any row is read.
    pub fn open(path: &Path, format: Option<SnapshotFormat>) -> Result<Snapshot> {
        let format = match format {
            Some(f) => f,
            None => SnapshotFormat::from_path(path)?,
        };
        let file_name = path.display().to_string();
        let file = File::open(path).map_err(|e| AudienceError::io(path, e))?;
        match format {
            SnapshotFormat::Parquet => open_parquet(file_name, file),
            SnapshotFormat::Csv => open_csv(file_name, file),
        }
    }

    /// The file name used in errors.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// Replace `out` with the next batch (at most [`BATCH_ROWS`] rows); `false` at the end.
    pub fn next_batch(&mut self, out: &mut Vec<UserRow>) -> Result<bool> {
        out.clear();
        match &mut self.inner {
            Inner::Parquet {
                reader,
                names,
                seen,
            } => {
                let Some(batch) = reader.next() else {
                    return Ok(false);
                };
                let batch = batch.map_err(|e| AudienceError::Format {
                    file: self.file.clone(),
                    message: format!("reading Parquet after row {}: {e}", self.rows),
                })?;
                decode_batch(&self.file, self.rows, &batch, names, seen.as_deref(), out)?;
            }
            Inner::Csv {
                reader,
                cols,
                seen,
                names,
                record,
            } => {
                while out.len() < BATCH_ROWS {
                    let more = reader
                        .read_record(record)
                        .map_err(|e| csv_error(&self.file, e))?;
                    if !more {
                        break;
                    }
                    let row = self.rows + out.len() as u64 + 1;
                    let line = record.position().map(|p| p.line());
                    out.push(parse_csv_row(
                        &self.file, row, line, record, cols, *seen, names,
                    )?);
                }
            }
        }
        self.rows += out.len() as u64;
        Ok(!out.is_empty())
    }

    /// Read the whole snapshot (tests and small files).
    pub fn read_all(mut self) -> Result<Vec<UserRow>> {
        let (mut all, mut batch) = (Vec::new(), Vec::new());
        while self.next_batch(&mut batch)? {
            all.append(&mut batch);
        }
        Ok(all)
    }
}

fn find<'a>(names: impl Iterator<Item = &'a str> + Clone, accepted: &[&str]) -> Option<usize> {
    accepted.iter().find_map(|want| {
        names
            .clone()
            .position(|n| n.trim().eq_ignore_ascii_case(want))
    })
}

fn missing(file: &str, column: &'static str, accepted: &[&str], found: Vec<&str>) -> AudienceError {
    AudienceError::MissingColumn {
        file: file.to_string(),
        column,
        accepted: accepted.join(", "),
        found: if found.is_empty() {
            "no columns".into()
        } else {
            found.join(", ")
        },
    }
}

fn open_parquet(file_name: String, file: File) -> Result<Snapshot> {
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| AudienceError::Format {
            file: file_name.clone(),
            message: format!("not a readable Parquet file: {e}"),
        })?;
    let schema = builder.schema().clone();
    let field_names = || schema.fields().iter().map(|f| f.name().as_str());
    let all: Vec<&str> = field_names().collect();
    let idx = |column: &'static str, accepted: &[&str]| {
        find(field_names(), accepted)
            .ok_or_else(|| missing(&file_name, column, accepted, all.clone()))
    };
    let id = idx("user_id", ID_NAMES)?;
    let lat = idx("lat", LAT_NAMES)?;
    let lon = idx("lon", LON_NAMES)?;
    let seen = find(field_names(), SEEN_NAMES);
    let check = |i: usize, ok: fn(&DataType) -> bool, expected: &'static str| {
        let f = schema.field(i);
        if ok(f.data_type()) {
            Ok(())
        } else {
            Err(AudienceError::ColumnType {
                file: file_name.clone(),
                column: f.name().clone(),
                found: f.data_type().to_string(),
                expected,
            })
        }
    };
    check(
        id,
        is_id_type,
        "an integer (Int64, UInt64, Int32 or UInt32)",
    )?;
    check(
        lat,
        is_float_type,
        "a floating-point number (Float64 or Float32)",
    )?;
    check(
        lon,
        is_float_type,
        "a floating-point number (Float64 or Float32)",
    )?;
    if let Some(s) = seen {
        check(s, is_seen_type, "a Timestamp or Int64 Unix seconds")?;
    }
    // Only top-level primitive columns are used, so root indices are leaf indices here; a nested
    // column elsewhere in the file is still skipped because the mask is by root.
    let mut roots = vec![id, lat, lon];
    roots.extend(seen);
    let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
    let reader = builder
        .with_projection(mask)
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(|e| AudienceError::Format {
            file: file_name.clone(),
            message: format!("cannot read Parquet: {e}"),
        })?;
    let name = |i: usize| schema.field(i).name().clone();
    Ok(Snapshot {
        inner: Inner::Parquet {
            reader,
            names: [name(id), name(lat), name(lon)],
            seen: seen.map(name),
        },
        file: file_name,
        rows: 0,
        has_seen: seen.is_some(),
    })
}

fn is_id_type(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Int64 | DataType::UInt64 | DataType::Int32 | DataType::UInt32
    )
}

fn is_float_type(t: &DataType) -> bool {
    matches!(t, DataType::Float64 | DataType::Float32)
}

fn is_seen_type(t: &DataType) -> bool {
    matches!(t, DataType::Timestamp(..) | DataType::Int64)
}

fn bad(file: &str, row: u64, line: Option<u64>, column: &str, problem: String) -> AudienceError {
    AudienceError::BadValue {
        file: file.to_string(),
        row,
        line,
        column: column.to_string(),
        problem,
    }
}

/// Values of one numeric column as f64/u64/i64 accessors without copying the batch.
fn decode_batch(
    file: &str,
    first_row: u64,
    batch: &RecordBatch,
    names: &[String; 3],
    seen_name: Option<&str>,
    out: &mut Vec<UserRow>,
) -> Result<()> {
    let col = |name: &str| -> ArrayRef {
        // The projection kept exactly these columns.
        batch
            .column_by_name(name)
            .cloned()
            .unwrap_or_else(|| arrow_array::new_null_array(&DataType::Null, batch.num_rows()))
    };
    let (ids, lats, lons) = (col(&names[0]), col(&names[1]), col(&names[2]));
    let seen = seen_name.map(col);
    let row_of = |i: usize| first_row + i as u64 + 1;
    let null_check = |a: &ArrayRef, name: &str| -> Result<()> {
        if a.null_count() > 0 {
            if let Some(i) = (0..a.len()).find(|&i| a.is_null(i)) {
                return Err(bad(
                    file,
                    row_of(i),
                    None,
                    name,
                    "null; a value is required".into(),
                ));
            }
        }
        Ok(())
    };
    null_check(&ids, &names[0])?;
    null_check(&lats, &names[1])?;
    null_check(&lons, &names[2])?;

    let n = batch.num_rows();
    let id_at: Box<dyn Fn(usize) -> std::result::Result<u64, String>> = match ids.data_type() {
        DataType::UInt64 => {
            let a = ids.as_primitive::<UInt64Type>().clone();
            Box::new(move |i| Ok(a.value(i)))
        }
        DataType::UInt32 => {
            let a = ids.as_primitive::<UInt32Type>().clone();
            Box::new(move |i| Ok(u64::from(a.value(i))))
        }
        DataType::Int64 => {
            let a = ids.as_primitive::<Int64Type>().clone();
            Box::new(move |i| {
                u64::try_from(a.value(i))
                    .map_err(|_| format!("{} is negative; ids are ≥ 0", a.value(i)))
            })
        }
        DataType::Int32 => {
            let a = ids.as_primitive::<Int32Type>().clone();
            Box::new(move |i| {
                u64::try_from(a.value(i))
                    .map_err(|_| format!("{} is negative; ids are ≥ 0", a.value(i)))
            })
        }
        t => return Err(type_error(file, &names[0], t, "an integer")),
    };
    let float_at = |a: &ArrayRef, name: &str| -> Result<Box<dyn Fn(usize) -> f64>> {
        Ok(match a.data_type() {
            DataType::Float64 => {
                let a = a.as_primitive::<Float64Type>().clone();
                Box::new(move |i| a.value(i))
            }
            DataType::Float32 => {
                let a = a.as_primitive::<Float32Type>().clone();
                Box::new(move |i| f64::from(a.value(i)))
            }
            t => return Err(type_error(file, name, t, "a floating-point number")),
        })
    };
    let lat_at = float_at(&lats, &names[1])?;
    let lon_at = float_at(&lons, &names[2])?;
    let seen_at: Option<Box<dyn Fn(usize) -> Option<i64>>> = match &seen {
        None => None,
        Some(a) => {
            let a2 = a.clone();
            let valid = move |i: usize| a2.is_valid(i);
            Some(match a.data_type() {
                DataType::Int64 => {
                    let p = a.as_primitive::<Int64Type>().clone();
                    Box::new(move |i| valid(i).then(|| p.value(i)))
                }
                DataType::Timestamp(unit, _) => {
                    let div: i64 = match unit {
                        TimeUnit::Second => 1,
                        TimeUnit::Millisecond => 1_000,
                        TimeUnit::Microsecond => 1_000_000,
                        TimeUnit::Nanosecond => 1_000_000_000,
                    };
                    let raw: Box<dyn Fn(usize) -> i64> = match unit {
                        TimeUnit::Second => {
                            let p = a.as_primitive::<TimestampSecondType>().clone();
                            Box::new(move |i| p.value(i))
                        }
                        TimeUnit::Millisecond => {
                            let p = a.as_primitive::<TimestampMillisecondType>().clone();
                            Box::new(move |i| p.value(i))
                        }
                        TimeUnit::Microsecond => {
                            let p = a.as_primitive::<TimestampMicrosecondType>().clone();
                            Box::new(move |i| p.value(i))
                        }
                        TimeUnit::Nanosecond => {
                            let p = a.as_primitive::<TimestampNanosecondType>().clone();
                            Box::new(move |i| p.value(i))
                        }
                    };
                    Box::new(move |i| valid(i).then(|| raw(i).div_euclid(div)))
                }
                t => {
                    return Err(type_error(
                        file,
                        seen_name.unwrap_or("last_seen"),
                        t,
                        "a Timestamp or Int64",
                    ))
                }
            })
        }
    };
    out.reserve(n);
    for i in 0..n {
        let id = id_at(i).map_err(|p| bad(file, row_of(i), None, &names[0], p))?;
        let lat = lat_at(i);
        let lon = lon_at(i);
        check_lat(lat).map_err(|p| bad(file, row_of(i), None, &names[1], p))?;
        check_lon(lon).map_err(|p| bad(file, row_of(i), None, &names[2], p))?;
        out.push(UserRow {
            id,
            lat,
            lon,
            seen: seen_at.as_ref().and_then(|f| f(i)),
        });
    }
    Ok(())
}

fn type_error(file: &str, column: &str, t: &DataType, expected: &'static str) -> AudienceError {
    AudienceError::ColumnType {
        file: file.to_string(),
        column: column.to_string(),
        found: t.to_string(),
        expected,
    }
}

/// Latitude must be finite and within −90..=90.
pub fn check_lat(v: f64) -> std::result::Result<(), String> {
    if v.is_finite() && (-90.0..=90.0).contains(&v) {
        Ok(())
    } else {
        Err(format!("latitude {v} is outside −90..=90"))
    }
}

/// Longitude must be finite and within −180..=180.
pub fn check_lon(v: f64) -> std::result::Result<(), String> {
    if v.is_finite() && (-180.0..=180.0).contains(&v) {
        Ok(())
    } else {
        Err(format!("longitude {v} is outside −180..=180"))
    }
}

fn open_csv(file_name: String, file: File) -> Result<Snapshot> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(file);
    let headers = reader
        .headers()
        .map_err(|e| csv_error(&file_name, e))?
        .clone();
    let found: Vec<&str> = headers.iter().collect();
    let idx = |column: &'static str, accepted: &[&str]| {
        find(headers.iter(), accepted)
            .ok_or_else(|| missing(&file_name, column, accepted, found.clone()))
    };
    let cols = [
        idx("user_id", ID_NAMES)?,
        idx("lat", LAT_NAMES)?,
        idx("lon", LON_NAMES)?,
    ];
    let seen = find(headers.iter(), SEEN_NAMES);
    let name = |i: usize| headers.get(i).unwrap_or_default().to_string();
    let names = [
        name(cols[0]),
        name(cols[1]),
        name(cols[2]),
        seen.map(name).unwrap_or_default(),
    ];
    Ok(Snapshot {
        inner: Inner::Csv {
            reader,
            cols,
            seen,
            names,
            record: csv::StringRecord::new(),
        },
        file: file_name,
        rows: 0,
        has_seen: seen.is_some(),
    })
}

fn csv_error(file: &str, e: csv::Error) -> AudienceError {
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => format!(
            "line {}: {len} fields where the header has {expected_len}",
            pos.as_ref().map(|p| p.line()).unwrap_or(0)
        ),
        csv::ErrorKind::Utf8 { pos, err } => format!(
            "line {}: not UTF-8 ({err})",
            pos.as_ref().map(|p| p.line()).unwrap_or(0)
        ),
        _ => e.to_string(),
    };
    match e.into_kind() {
        csv::ErrorKind::Io(io) => AudienceError::io(file, io),
        _ => AudienceError::Format {
            file: file.to_string(),
            message,
        },
    }
}

fn parse_csv_row(
    file: &str,
    row: u64,
    line: Option<u64>,
    record: &csv::StringRecord,
    cols: &[usize; 3],
    seen: Option<usize>,
    names: &[String; 4],
) -> Result<UserRow> {
    let field = |i: usize| record.get(i).unwrap_or("");
    let err = |c: usize, p: String| bad(file, row, line, &names[c], p);
    let id_s = field(cols[0]);
    let id = id_s.parse::<u64>().map_err(|_| {
        err(
            0,
            if id_s.is_empty() {
                "empty; a user id is required".into()
            } else {
                format!("{id_s:?} is not an unsigned integer id")
            },
        )
    })?;
    let num = |c: usize| -> Result<f64> {
        let s = field(cols[c]);
        s.parse::<f64>().map_err(|_| {
            err(
                c,
                if s.is_empty() {
                    "empty; a number is required".into()
                } else {
                    format!("{s:?} is not a number")
                },
            )
        })
    };
    let lat = num(1)?;
    let lon = num(2)?;
    check_lat(lat).map_err(|p| err(1, p))?;
    check_lon(lon).map_err(|p| err(2, p))?;
    let seen = match seen.map(field) {
        None | Some("") => None,
        Some(s) => Some(parse_seen(s).map_err(|p| err(3, p))?),
    };
    Ok(UserRow { id, lat, lon, seen })
}

/// Unix seconds, or an RFC 3339 time.
fn parse_seen(s: &str) -> std::result::Result<i64, String> {
    if let Ok(v) = s.parse::<i64>() {
        return Ok(v);
    }
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.timestamp())
        .map_err(|_| format!("{s:?} is neither Unix seconds nor an RFC 3339 time"))
}
