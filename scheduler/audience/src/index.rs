//! The user index: one memory-mappable file of user records sorted by H3 cell, with a cell
//! directory for binary search and a partition table that makes rebuilds incremental.
//!
//! Layout (little-endian; `docs/audience.md` has the full description):
//!
//! ```text
//! 0       header (4096 bytes, see `Header`)
//! 4096    records      n × 16 B  { user_id u64, lat f32, lon f32 }   sorted by (cell, user_id)
//! …       last seen    n × 4 B   u32 Unix seconds, 0 = unknown          (only if flag bit 0)
//! …       directory    c × 16 B  { cell u64, first_record u64 }         sorted by cell
//! …       partitions   p × 64 B  { parent u64, first_cell u64, cells u64, first_record u64,
//!                                  records u64, fingerprint 2 × u64, reserved u64 }
//! ```
//!
//! A cell's records run from its `first_record` to the next cell's (or `n`). All descendants
//! of a coarser H3 cell are contiguous in H3 index order, so any coarse cell maps to one
//! contiguous run of records found by two binary searches.
//!
//! **Incremental rebuild.** Partitions are the cells' parents at the partition resolution
//! (res 3 by default, ~12,400 km² each). While a new snapshot is read, each partition's
//! *multiset fingerprint* (count and two wrapping sums of a 64-bit hash of every record) is
//! accumulated. A partition whose fingerprint equals the one stored in the previous index has
//! the same users at the same places, so its records, last-seen values and directory entries
//! are byte-copied from the previous file instead of being sorted and encoded again. The result
//! is byte-identical to a build from scratch. (A new snapshot is always read in full: the saving
//! is the sort and encode of unchanged partitions, not the read.)
//!
//! **Memory.** The build streams the snapshot into one spill file per H3 base cell (122) and then
//! holds one base cell's records at a time; the selection maps the file and touches only the
//! pages of the cells it reads.
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use h3o::{CellIndex, LatLng, Resolution};
use memmap2::Mmap;

use super::error::{AudienceError, Result};
use super::snapshot::{Snapshot, SnapshotFormat, UserRow};

pub const MAGIC: &[u8; 8] = b"QCAUDX01";
pub const VERSION: u32 = 1;
pub const HEADER_LEN: u64 = 4096;
pub const RECORD_LEN: usize = 16;
pub const SEEN_LEN: usize = 4;
pub const CELL_ENTRY_LEN: usize = 16;
pub const PART_ENTRY_LEN: usize = 64;
/// Header flag: the file has a last-seen column.
pub const FLAG_SEEN: u16 = 1;

/// Default record cell resolution: res 7 (≈5.2 km², edge ≈1.4 km).
pub const DEFAULT_CELL_RES: Resolution = Resolution::Seven;
/// Default partition resolution: res 3 (≈12,400 km²).
pub const DEFAULT_PART_RES: Resolution = Resolution::Three;

/// The fixed part of the file, at offset 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub cell_res: u8,
    pub part_res: u8,
    pub flags: u16,
    pub users: u64,
    pub cells: u64,
    pub partitions: u64,
    pub records_off: u64,
    pub seen_off: u64,
    pub cells_off: u64,
    pub parts_off: u64,
    pub file_len: u64,
}

impl Header {
    const ENCODED: usize = 8 + 4 + 4 + 8 * 9;

    fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(HEADER_LEN as usize);
        b.extend_from_slice(MAGIC);
        b.extend_from_slice(&VERSION.to_le_bytes());
        b.push(self.cell_res);
        b.push(self.part_res);
        b.extend_from_slice(&self.flags.to_le_bytes());
        for v in [
            self.users,
            self.cells,
            self.partitions,
            self.records_off,
            self.seen_off,
            self.cells_off,
            self.parts_off,
            self.file_len,
            0,
        ] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        debug_assert_eq!(b.len(), Self::ENCODED);
        b.resize(HEADER_LEN as usize, 0);
        b
    }

    fn decode(path: &Path, b: &[u8]) -> Result<Header> {
        if b.len() < HEADER_LEN as usize {
            return Err(AudienceError::index(
                path,
                "shorter than its 4096-byte header",
            ));
        }
        if &b[..8] != MAGIC {
            return Err(AudienceError::index(
                path,
                "not a quakecast user index (bad magic)",
            ));
        }
        let version = u32::from_le_bytes(arr(&b[8..12]));
        if version != VERSION {
            return Err(AudienceError::index(
                path,
                format!("format version {version}; this build reads version {VERSION}: rebuild it"),
            ));
        }
        let u = |i: usize| u64_at(b, 16 + 8 * i);
        Ok(Header {
            cell_res: b[12],
            part_res: b[13],
            flags: u16::from_le_bytes([b[14], b[15]]),
            users: u(0),
            cells: u(1),
            partitions: u(2),
            records_off: u(3),
            seen_off: u(4),
            cells_off: u(5),
            parts_off: u(6),
            file_len: u(7),
        })
    }

    pub fn has_seen(&self) -> bool {
        self.flags & FLAG_SEEN != 0
    }
}

fn arr<const N: usize>(b: &[u8]) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(&b[..N]);
    a
}

#[inline]
fn u64_at(b: &[u8], off: usize) -> u64 {
    u64::from_le_bytes(arr(&b[off..off + 8]))
}

/// One partition-table entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Partition {
    /// The parent cell at the partition resolution.
    pub parent: u64,
    pub first_cell: u64,
    pub cells: u64,
    pub first_record: u64,
    pub records: u64,
    pub fingerprint: Fingerprint,
}

/// Order-independent fingerprint of a multiset of records.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Fingerprint {
    pub count: u64,
    pub a: u64,
    pub b: u64,
}

impl Fingerprint {
    fn add(&mut self, r: &SpillRec) {
        let x = mix(r.id.wrapping_add(0x9e37_79b9_7f4a_7c15));
        let y = mix(
            (u64::from(r.lat.to_bits()) << 32 | u64::from(r.lon.to_bits())) ^ 0x6a09_e667_f3bc_c909,
        );
        let z = mix(u64::from(r.seen) ^ 0xbb67_ae85_84ca_a73b);
        self.count += 1;
        self.a = self
            .a
            .wrapping_add(mix(x ^ y.rotate_left(21) ^ z.rotate_left(42)));
        self.b = self.b.wrapping_add(mix(x
            .wrapping_add(y.wrapping_mul(3))
            .wrapping_add(z.wrapping_mul(7))
            ^ 0x3c6e_f372_fe94_f82b));
    }

    /// Add another set's fingerprint (the sums commute, so the order of users never matters).
    fn merge(&mut self, o: &Fingerprint) {
        self.count += o.count;
        self.a = self.a.wrapping_add(o.a);
        self.b = self.b.wrapping_add(o.b);
    }
}

/// SplitMix64's finaliser: a fast 64-bit bijective mixer.
#[inline]
pub(crate) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A record on its way through the build.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct SpillRec {
    cell: u64,
    id: u64,
    lat: f32,
    lon: f32,
    seen: u32,
}

const SPILL_LEN: usize = 28;

impl SpillRec {
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.cell.to_le_bytes());
        out.extend_from_slice(&self.id.to_le_bytes());
        out.extend_from_slice(&self.lat.to_le_bytes());
        out.extend_from_slice(&self.lon.to_le_bytes());
        out.extend_from_slice(&self.seen.to_le_bytes());
    }

    fn read(b: &[u8]) -> SpillRec {
        SpillRec {
            cell: u64_at(b, 0),
            id: u64_at(b, 8),
            lat: f32::from_le_bytes(arr(&b[16..20])),
            lon: f32::from_le_bytes(arr(&b[20..24])),
            seen: u32::from_le_bytes(arr(&b[24..28])),
        }
    }
}

/// H3 bit layout helpers (mode and resolution bits are equal for all cells of one resolution,
/// so u64 order is (base cell, digit 1, digit 2, ...)).
pub mod bits {
    const RES_SHIFT: u32 = 52;
    const RES_MASK: u64 = 0xf << RES_SHIFT;
    const BASE_SHIFT: u32 = 45;

    pub fn resolution(cell: u64) -> u8 {
        ((cell & RES_MASK) >> RES_SHIFT) as u8
    }

    pub fn base_cell(cell: u64) -> u8 {
        ((cell >> BASE_SHIFT) & 0x7f) as u8
    }

    fn digit_shift(r: u8) -> u32 {
        u32::from(15 - r) * 3
    }

    /// The ancestor of `cell` at resolution `res` (≤ the cell's).
    pub fn parent(cell: u64, res: u8) -> u64 {
        let mut v = (cell & !RES_MASK) | (u64::from(res) << RES_SHIFT);
        for r in res + 1..=resolution(cell) {
            v |= 7 << digit_shift(r);
        }
        v
    }

    /// The smallest and largest possible descendants of `cell` at resolution `res` in u64
    /// order (digits all 0 / all 6). Every real descendant lies between them, and no cell of
    /// another branch does.
    pub fn descendant_bounds(cell: u64, res: u8) -> (u64, u64) {
        let base = (cell & !RES_MASK) | (u64::from(res) << RES_SHIFT);
        let (mut lo, mut hi) = (base, base);
        for r in resolution(cell) + 1..=res {
            lo &= !(7 << digit_shift(r));
            hi = (hi & !(7 << digit_shift(r))) | (6 << digit_shift(r));
        }
        (lo, hi)
    }
}

/// The H3 cell of a position as stored (f32), at `res`.
pub fn cell_of(lat: f32, lon: f32, res: Resolution) -> Result<u64> {
    let ll = LatLng::new(f64::from(lat), f64::from(lon))
        .map_err(|e| AudienceError::Config(format!("position ({lat}, {lon}): {e}")))?;
    Ok(u64::from(ll.to_cell(res)))
}

/// Options for [`build_index`].
#[derive(Clone, Debug)]
pub struct BuildOptions {
    pub cell_res: Resolution,
    pub part_res: Resolution,
    /// Where spill files go (default: next to the output).
    pub tmp_dir: Option<PathBuf>,
    /// A previous index to reuse unchanged partitions from (default: the output file, if any).
    pub previous: Option<PathBuf>,
    /// Ignore any previous index.
    pub full: bool,
    pub format: Option<SnapshotFormat>,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            cell_res: DEFAULT_CELL_RES,
            part_res: DEFAULT_PART_RES,
            tmp_dir: None,
            previous: None,
            full: false,
            format: None,
        }
    }
}

/// What a build did.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct BuildReport {
    pub users: u64,
    pub cells: u64,
    pub partitions: u64,
    pub partitions_rebuilt: u64,
    pub partitions_reused: u64,
    pub users_rebuilt: u64,
    pub bytes: u64,
    /// Snapshot read, validation, cell assignment and spill.
    pub secs_read: f64,
    /// Sorting, copying and writing the index.
    pub secs_write: f64,
    pub previous: Option<String>,
}

/// Build (or incrementally rebuild) the index at `out` from a snapshot file.
pub fn build_index(snapshot: &Path, out: &Path, opts: &BuildOptions) -> Result<BuildReport> {
    let mut snap = Snapshot::open(snapshot, opts.format)?;
    let has_seen = snap.has_seen;
    let mut batch = Vec::new();
    build_from(
        &mut |rows: &mut Vec<UserRow>| {
            let more = snap.next_batch(&mut batch)?;
            std::mem::swap(rows, &mut batch);
            Ok(more)
        },
        has_seen,
        out,
        opts,
    )
}

/// Build from any source of validated rows (`next` fills the vector; `false` at the end).
pub fn build_from(
    next: &mut dyn FnMut(&mut Vec<UserRow>) -> Result<bool>,
    has_seen: bool,
    out: &Path,
    opts: &BuildOptions,
) -> Result<BuildReport> {
    let started = Instant::now();
    if opts.part_res > opts.cell_res {
        return Err(AudienceError::Config(format!(
            "partition resolution {} is finer than the cell resolution {}",
            opts.part_res, opts.cell_res
        )));
    }
    let cell_res = u8::from(opts.cell_res);
    let part_res = u8::from(opts.part_res);
    let tmp_dir = match &opts.tmp_dir {
        Some(d) => d.clone(),
        None => out
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from(".")),
    };
    let spill_dir = tempdir_in(&tmp_dir)?;

    // Pass 1: read, assign cells, spill by base cell, fingerprint partitions. Three stages in
    // a pipeline: this thread decodes batch n+2 while an assigner thread gives batch n+1 its
    // cells on the rayon pool (cell assignment is most of the CPU time) and a spill thread
    // fingerprints and writes batch n. Buffers go back upstream to be reused.
    let spills = Spills::new(spill_dir.path())?;
    let (rows_tx, rows_rx) = std::sync::mpsc::sync_channel::<Vec<UserRow>>(2);
    let (rows_back_tx, rows_back_rx) = std::sync::mpsc::sync_channel::<Vec<UserRow>>(3);
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<SpillRec>>(2);
    let (back_tx, back_rx) = std::sync::mpsc::sync_channel::<Vec<SpillRec>>(3);
    let (users, spills, prints) = std::thread::scope(|s| -> Result<_> {
        let writer = s.spawn(move || -> Result<_> {
            let mut spills = spills;
            let mut prints: std::collections::HashMap<u64, Fingerprint> = Default::default();
            for recs in rx {
                // Neighbouring users often share a partition: add to one fingerprint until the
                // partition changes rather than look it up per user.
                let mut run: Option<(u64, Fingerprint)> = None;
                for r in &recs {
                    let parent = bits::parent(r.cell, part_res);
                    match &mut run {
                        Some((p, f)) if *p == parent => f.add(r),
                        _ => {
                            if let Some((p, f)) = run.take() {
                                prints.entry(p).or_default().merge(&f);
                            }
                            let mut f = Fingerprint::default();
                            f.add(r);
                            run = Some((parent, f));
                        }
                    }
                    spills.push(r)?;
                }
                if let Some((p, f)) = run {
                    prints.entry(p).or_default().merge(&f);
                }
                // The assigner may have stopped early; a closed return channel is fine.
                let _ = back_tx.try_send(recs);
            }
            spills.finish()?;
            Ok((spills, prints))
        });
        let cell_res = opts.cell_res;
        let assigner = s.spawn(move || -> Result<u64> {
            let mut users = 0u64;
            for rows in rows_rx {
                let mut recs = back_rx.try_recv().unwrap_or_default();
                recs.clear();
                recs.resize(rows.len(), SpillRec::default());
                assign_cells(&rows, &mut recs, cell_res)?;
                users += rows.len() as u64;
                let _ = rows_back_tx.try_send(rows);
                if tx.send(recs).is_err() {
                    break; // the writer failed; its error is reported below
                }
            }
            Ok(users)
        });
        let read = (|| -> Result<()> {
            loop {
                let mut rows = rows_back_rx.try_recv().unwrap_or_default();
                if !next(&mut rows)? {
                    return Ok(());
                }
                if rows_tx.send(rows).is_err() {
                    return Ok(()); // the assigner failed; its error is reported below
                }
            }
        })();
        drop(rows_tx);
        let assigned = assigner.join().unwrap_or_else(|_| {
            Err(AudienceError::Config(
                "cell assignment thread panicked".into(),
            ))
        });
        let written = writer
            .join()
            .unwrap_or_else(|_| Err(AudienceError::Config("spill thread panicked".into())));
        read?;
        let users = assigned?;
        let (spills, prints) = written?;
        Ok((users, spills, prints))
    })?;
    let mut spills = spills;
    let secs_read = started.elapsed().as_secs_f64();

    // The previous index, if compatible.
    let previous_path = if opts.full {
        None
    } else {
        opts.previous
            .clone()
            .or_else(|| out.exists().then(|| out.to_path_buf()))
    };
    let previous = match &previous_path {
        Some(p) => match UserIndex::open(p) {
            Ok(ix)
                if ix.header.cell_res == cell_res
                    && ix.header.part_res == part_res
                    && ix.header.has_seen() == has_seen =>
            {
                Some(ix)
            }
            Ok(_) => {
                tracing::info!(path = %p.display(), "previous index has other parameters; full rebuild");
                None
            }
            Err(e) => {
                tracing::warn!(path = %p.display(), error = %e, "previous index unreadable; full rebuild");
                None
            }
        },
        None => None,
    };
    let reusable: std::collections::HashMap<u64, Partition> = match &previous {
        Some(ix) => ix
            .partitions()
            .filter(|p| prints.get(&p.parent) == Some(&p.fingerprint))
            .map(|p| (p.parent, p))
            .collect(),
        None => Default::default(),
    };

    // Pass 2: write the new file next to the output, then rename over it.
    let write_started = Instant::now();
    let tmp_out = out.with_extension("qcx.tmp");
    let records_off = HEADER_LEN;
    let seen_off = if has_seen {
        records_off + users * RECORD_LEN as u64
    } else {
        0
    };
    let cells_off = align16(if has_seen {
        seen_off + users * SEEN_LEN as u64
    } else {
        records_off + users * RECORD_LEN as u64
    });
    let mut w = Writer::create(&tmp_out, records_off, seen_off, cells_off, has_seen)?;
    let mut report = BuildReport {
        users,
        secs_read,
        previous: previous.as_ref().map(|ix| ix.path.display().to_string()),
        ..Default::default()
    };
    let mut parts: Vec<Partition> = Vec::new();
    let mut by_base: Vec<Vec<u64>> = vec![Vec::new(); spills.files.len()];
    for &parent in prints.keys() {
        by_base[usize::from(bits::base_cell(parent))].push(parent);
    }
    for (base, keys) in by_base.iter_mut().enumerate() {
        // A base cell whose partitions are all unchanged is copied without reading its spill.
        keys.sort_unstable();
        if let Some(ix) = previous
            .as_ref()
            .filter(|_| !keys.is_empty() && keys.iter().all(|k| reusable.contains_key(k)))
        {
            spills.discard(base);
            for parent in keys.iter() {
                let old = &reusable[parent];
                let (first_cell, first_record) = (w.cells, w.records);
                w.copy_partition(ix, old)?;
                report.partitions_reused += 1;
                parts.push(Partition {
                    parent: *parent,
                    first_cell,
                    cells: w.cells - first_cell,
                    first_record,
                    records: w.records - first_record,
                    fingerprint: old.fingerprint,
                });
            }
            continue;
        }
        let mut bucket = spills.load(base)?;
        if bucket.is_empty() {
            continue;
        }
        // One sort by (cell, id) on all cores also groups the partitions: a cell's H3 index
        // begins with its resolution, base cell and the digits of its ancestors, so the
        // children of one partition are contiguous and the partitions come in key order.
        {
            use rayon::prelude::*;
            bucket.par_sort_unstable_by_key(|r| (r.cell, r.id));
        }
        let mut bounds = vec![0usize];
        for k in 1..bucket.len() {
            if bits::parent(bucket[k].cell, part_res) != bits::parent(bucket[k - 1].cell, part_res)
            {
                bounds.push(k);
            }
        }
        bounds.push(bucket.len());
        for pair in bounds.windows(2) {
            let slice = &bucket[pair[0]..pair[1]];
            let parent = bits::parent(slice[0].cell, part_res);
            debug_assert!(parts.last().is_none_or(|p| p.parent < parent));
            let first_cell = w.cells;
            let first_record = w.records;
            match (reusable.get(&parent), &previous) {
                (Some(old), Some(ix)) => {
                    w.copy_partition(ix, old)?;
                    report.partitions_reused += 1;
                }
                _ => {
                    w.write_sorted(slice)?;
                    report.partitions_rebuilt += 1;
                    report.users_rebuilt += slice.len() as u64;
                }
            }
            parts.push(Partition {
                parent,
                first_cell,
                cells: w.cells - first_cell,
                first_record,
                records: w.records - first_record,
                fingerprint: prints.get(&parent).copied().unwrap_or_default(),
            });
        }
    }
    let header = w.finish(&parts, cell_res, part_res)?;
    drop(previous);
    std::fs::rename(&tmp_out, out).map_err(|e| AudienceError::io(out, e))?;
    report.cells = header.cells;
    report.partitions = header.partitions;
    report.bytes = header.file_len;
    report.secs_write = write_started.elapsed().as_secs_f64();
    Ok(report)
}

fn align16(v: u64) -> u64 {
    v.div_ceil(16) * 16
}

/// Cells for a batch, on all cores (H3 assignment is the costliest step of the read).
fn assign_cells(rows: &[UserRow], recs: &mut [SpillRec], res: Resolution) -> Result<()> {
    use rayon::prelude::*;
    const CHUNK: usize = 4096;
    rows.par_chunks(CHUNK)
        .zip(recs.par_chunks_mut(CHUNK))
        .try_for_each(|(rows, recs)| -> Result<()> {
            for (u, r) in rows.iter().zip(recs.iter_mut()) {
                let (lat, lon) = (u.lat as f32, u.lon as f32);
                *r = SpillRec {
                    cell: cell_of(lat, lon, res)?,
                    id: u.id,
                    lat,
                    lon,
                    seen: u.seen.map_or(0, |s| s.clamp(1, i64::from(u32::MAX)) as u32),
                };
            }
            Ok(())
        })
}

/// The spill directory, removed on drop.
fn tempdir_in(dir: &Path) -> Result<tempfile::TempDir> {
    std::fs::create_dir_all(dir).map_err(|e| AudienceError::io(dir, e))?;
    tempfile::Builder::new()
        .prefix(".qcx-spill-")
        .tempdir_in(dir)
        .map_err(|e| AudienceError::io(dir, e))
}

/// One spill file per H3 base cell, buffered.
struct Spills {
    dir: PathBuf,
    files: Vec<Option<BufWriter<File>>>,
    buf: Vec<u8>,
}

impl Spills {
    fn new(dir: &Path) -> Result<Spills> {
        Ok(Spills {
            dir: dir.to_path_buf(),
            files: (0..122).map(|_| None).collect(),
            buf: Vec::with_capacity(SPILL_LEN),
        })
    }

    fn path(&self, base: usize) -> PathBuf {
        self.dir.join(format!("base-{base:03}.spill"))
    }

    fn push(&mut self, r: &SpillRec) -> Result<()> {
        let base = usize::from(bits::base_cell(r.cell));
        if self.files[base].is_none() {
            let p = self.path(base);
            let f = File::create(&p).map_err(|e| AudienceError::io(&p, e))?;
            self.files[base] = Some(BufWriter::with_capacity(256 * 1024, f));
        }
        self.buf.clear();
        r.write(&mut self.buf);
        match self.files[base].as_mut() {
            Some(w) => w
                .write_all(&self.buf)
                .map_err(|e| AudienceError::io(self.path(base), e)),
            None => Ok(()),
        }
    }

    fn finish(&mut self) -> Result<()> {
        for base in 0..self.files.len() {
            if let Some(w) = self.files[base].as_mut() {
                w.flush().map_err(|e| {
                    AudienceError::io(self.dir.join(format!("base-{base:03}.spill")), e)
                })?;
            }
        }
        Ok(())
    }

    /// Forget a base cell's spill (its partitions are copied from the previous index).
    fn discard(&mut self, base: usize) {
        if self.files[base].take().is_some() {
            let _ = std::fs::remove_file(self.path(base));
        }
    }

    fn load(&mut self, base: usize) -> Result<Vec<SpillRec>> {
        if self.files[base].take().is_none() {
            return Ok(Vec::new());
        }
        let p = self.path(base);
        let mut bytes = Vec::new();
        File::open(&p)
            .and_then(|f| BufReader::new(f).read_to_end(&mut bytes))
            .map_err(|e| AudienceError::io(&p, e))?;
        let _ = std::fs::remove_file(&p);
        Ok(bytes.chunks_exact(SPILL_LEN).map(SpillRec::read).collect())
    }
}

/// Writes the three growing sections through separate handles.
struct Writer {
    path: PathBuf,
    file: File,
    recs: BufWriter<File>,
    seen: Option<BufWriter<File>>,
    dir: BufWriter<File>,
    records_off: u64,
    seen_off: u64,
    cells_off: u64,
    records: u64,
    cells: u64,
    buf: Vec<u8>,
}

impl Writer {
    fn create(
        path: &Path,
        records_off: u64,
        seen_off: u64,
        cells_off: u64,
        has_seen: bool,
    ) -> Result<Writer> {
        let io = |e| AudienceError::io(path, e);
        let file = File::create(path).map_err(io)?;
        // Separate descriptors share one file offset after try_clone, so open new ones.
        let open_at = |off: u64| -> Result<BufWriter<File>> {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(io)?;
            f.seek(SeekFrom::Start(off)).map_err(io)?;
            Ok(BufWriter::with_capacity(1 << 20, f))
        };
        let recs = open_at(records_off)?;
        let seen = if has_seen {
            Some(open_at(seen_off)?)
        } else {
            None
        };
        let dir = open_at(cells_off)?;
        Ok(Writer {
            path: path.to_path_buf(),
            file,
            recs,
            seen,
            dir,
            records_off,
            seen_off,
            cells_off,
            records: 0,
            cells: 0,
            buf: Vec::with_capacity(RECORD_LEN),
        })
    }

    fn io(&self, e: std::io::Error) -> AudienceError {
        AudienceError::io(&self.path, e)
    }

    fn write_sorted(&mut self, recs: &[SpillRec]) -> Result<()> {
        let mut last = None;
        for r in recs {
            if last != Some(r.cell) {
                let mut e = [0u8; CELL_ENTRY_LEN];
                e[..8].copy_from_slice(&r.cell.to_le_bytes());
                e[8..].copy_from_slice(&self.records.to_le_bytes());
                self.dir
                    .write_all(&e)
                    .map_err(|e| AudienceError::io(&self.path, e))?;
                self.cells += 1;
                last = Some(r.cell);
            }
            self.buf.clear();
            self.buf.extend_from_slice(&r.id.to_le_bytes());
            self.buf.extend_from_slice(&r.lat.to_le_bytes());
            self.buf.extend_from_slice(&r.lon.to_le_bytes());
            let res = self.recs.write_all(&self.buf);
            res.map_err(|e| self.io(e))?;
            if let Some(s) = self.seen.as_mut() {
                s.write_all(&r.seen.to_le_bytes())
                    .map_err(|e| AudienceError::io(&self.path, e))?;
            }
            self.records += 1;
        }
        Ok(())
    }

    fn copy_partition(&mut self, ix: &UserIndex, p: &Partition) -> Result<()> {
        let (r0, n) = (p.first_record as usize, p.records as usize);
        let rec_bytes = ix.record_bytes(r0, r0 + n);
        self.recs
            .write_all(rec_bytes)
            .map_err(|e| AudienceError::io(&self.path, e))?;
        if let Some(s) = self.seen.as_mut() {
            s.write_all(ix.seen_bytes(r0, r0 + n))
                .map_err(|e| AudienceError::io(&self.path, e))?;
        }
        for c in p.first_cell..p.first_cell + p.cells {
            let c = c as usize;
            let first = ix.cell_first(c) - p.first_record + self.records;
            let mut e = [0u8; CELL_ENTRY_LEN];
            e[..8].copy_from_slice(&ix.cell_at(c).to_le_bytes());
            e[8..].copy_from_slice(&first.to_le_bytes());
            self.dir
                .write_all(&e)
                .map_err(|e| AudienceError::io(&self.path, e))?;
        }
        self.cells += p.cells;
        self.records += p.records;
        Ok(())
    }

    fn finish(mut self, parts: &[Partition], cell_res: u8, part_res: u8) -> Result<Header> {
        let parts_off = align16(self.cells_off + self.cells * CELL_ENTRY_LEN as u64);
        let pad = parts_off - (self.cells_off + self.cells * CELL_ENTRY_LEN as u64);
        self.dir
            .write_all(&vec![0u8; pad as usize])
            .map_err(|e| AudienceError::io(&self.path, e))?;
        for p in parts {
            for v in [
                p.parent,
                p.first_cell,
                p.cells,
                p.first_record,
                p.records,
                p.fingerprint.a,
                p.fingerprint.b,
                0,
            ] {
                self.dir
                    .write_all(&v.to_le_bytes())
                    .map_err(|e| AudienceError::io(&self.path, e))?;
            }
        }
        let file_len = parts_off + parts.len() as u64 * PART_ENTRY_LEN as u64;
        self.recs
            .flush()
            .map_err(|e| AudienceError::io(&self.path, e))?;
        if let Some(s) = self.seen.as_mut() {
            s.flush().map_err(|e| AudienceError::io(&self.path, e))?;
        }
        self.dir
            .flush()
            .map_err(|e| AudienceError::io(&self.path, e))?;
        let header = Header {
            cell_res,
            part_res,
            flags: if self.seen.is_some() { FLAG_SEEN } else { 0 },
            users: self.records,
            cells: self.cells,
            partitions: parts.len() as u64,
            records_off: self.records_off,
            seen_off: self.seen_off,
            cells_off: self.cells_off,
            parts_off,
            file_len,
        };
        self.file
            .set_len(file_len)
            .map_err(|e| AudienceError::io(&self.path, e))?;
        self.file
            .seek(SeekFrom::Start(0))
            .map_err(|e| AudienceError::io(&self.path, e))?;
        self.file
            .write_all(&header.encode())
            .map_err(|e| AudienceError::io(&self.path, e))?;
        self.file
            .sync_all()
            .map_err(|e| AudienceError::io(&self.path, e))?;
        Ok(header)
    }
}

/// An open, memory-mapped index.
pub struct UserIndex {
    pub path: PathBuf,
    pub header: Header,
    map: Mmap,
}

/// One user record.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Record {
    pub id: u64,
    pub lat: f32,
    pub lon: f32,
}

impl UserIndex {
    /// Map an index file and check its header and section bounds.
    pub fn open(path: &Path) -> Result<UserIndex> {
        let file = File::open(path).map_err(|e| AudienceError::io(path, e))?;
        // SAFETY: the map is read-only and index files are never modified in place: builds write
        // a new file and rename it over the old one, so a mapped file's contents stay fixed.
        let map = unsafe { Mmap::map(&file) }.map_err(|e| AudienceError::io(path, e))?;
        let header = Header::decode(path, &map)?;
        let bad =
            |what: &str| AudienceError::index(path, format!("truncated or inconsistent: {what}"));
        if header.file_len != map.len() as u64 {
            return Err(bad(&format!(
                "header says {} bytes, file has {}",
                header.file_len,
                map.len()
            )));
        }
        let n = header.users;
        let end = |off: u64, len: u64| off.checked_add(len).filter(|&e| e <= header.file_len);
        end(header.records_off, n * RECORD_LEN as u64).ok_or_else(|| bad("records"))?;
        if header.has_seen() {
            end(header.seen_off, n * SEEN_LEN as u64).ok_or_else(|| bad("last seen"))?;
        }
        end(header.cells_off, header.cells * CELL_ENTRY_LEN as u64)
            .ok_or_else(|| bad("directory"))?;
        end(header.parts_off, header.partitions * PART_ENTRY_LEN as u64)
            .ok_or_else(|| bad("partitions"))?;
        Resolution::try_from(header.cell_res).map_err(|_| bad("cell resolution"))?;
        Ok(UserIndex {
            path: path.to_path_buf(),
            header,
            map,
        })
    }

    pub fn users(&self) -> u64 {
        self.header.users
    }

    pub fn cell_res(&self) -> Resolution {
        Resolution::try_from(self.header.cell_res).unwrap_or(DEFAULT_CELL_RES)
    }

    pub fn cell_count(&self) -> usize {
        self.header.cells as usize
    }

    /// The i-th directory cell.
    #[inline]
    pub fn cell_at(&self, i: usize) -> u64 {
        u64_at(
            &self.map,
            self.header.cells_off as usize + i * CELL_ENTRY_LEN,
        )
    }

    /// First record of the i-th directory cell.
    #[inline]
    pub fn cell_first(&self, i: usize) -> u64 {
        u64_at(
            &self.map,
            self.header.cells_off as usize + i * CELL_ENTRY_LEN + 8,
        )
    }

    /// One past the last record of the i-th directory cell.
    #[inline]
    pub fn cell_end(&self, i: usize) -> u64 {
        if i + 1 < self.cell_count() {
            self.cell_first(i + 1)
        } else {
            self.header.users
        }
    }

    /// First directory position whose cell is ≥ `cell`.
    pub fn lower_bound(&self, cell: u64) -> usize {
        let (mut lo, mut hi) = (0usize, self.cell_count());
        while lo < hi {
            let mid = (lo + hi) / 2;
            if self.cell_at(mid) < cell {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// Directory positions of all cells under `cell` (a cell at the index resolution or coarser).
    pub fn cells_under(&self, cell: CellIndex) -> std::ops::Range<usize> {
        let (lo, hi) = bits::descendant_bounds(u64::from(cell), self.header.cell_res);
        let a = self.lower_bound(lo);
        let b = self.lower_bound(hi.saturating_add(1));
        a..b.max(a)
    }

    /// Raw bytes of records `a..b`.
    pub fn record_bytes(&self, a: usize, b: usize) -> &[u8] {
        let off = self.header.records_off as usize;
        &self.map[off + a * RECORD_LEN..off + b * RECORD_LEN]
    }

    /// Raw bytes of the last-seen values `a..b` (empty without that column).
    pub fn seen_bytes(&self, a: usize, b: usize) -> &[u8] {
        if !self.header.has_seen() {
            return &[];
        }
        let off = self.header.seen_off as usize;
        &self.map[off + a * SEEN_LEN..off + b * SEEN_LEN]
    }

    /// Record `i`.
    #[inline]
    pub fn record(&self, i: usize) -> Record {
        decode_record(self.record_bytes(i, i + 1))
    }

    /// Last seen of record `i` (Unix seconds; 0 unknown).
    #[inline]
    pub fn seen(&self, i: usize) -> u32 {
        if !self.header.has_seen() {
            return 0;
        }
        let off = self.header.seen_off as usize + i * SEEN_LEN;
        u32::from_le_bytes(arr(&self.map[off..off + 4]))
    }

    /// The partition table.
    pub fn partitions(&self) -> impl Iterator<Item = Partition> + '_ {
        (0..self.header.partitions as usize).map(move |i| {
            let off = self.header.parts_off as usize + i * PART_ENTRY_LEN;
            let u = |k: usize| u64_at(&self.map, off + 8 * k);
            Partition {
                parent: u(0),
                first_cell: u(1),
                cells: u(2),
                first_record: u(3),
                records: u(4),
                fingerprint: Fingerprint {
                    count: u(4),
                    a: u(5),
                    b: u(6),
                },
            }
        })
    }

    /// Read every record once, in file order, on `threads` threads: the memory-bandwidth floor
    /// a selection is compared with (it decodes each record as the selection does, and does
    /// nothing else). Returns a checksum so the work cannot be optimised away.
    pub fn scan(&self, threads: usize) -> u64 {
        let n = self.header.users as usize;
        let per = n.div_ceil(threads.max(1)).max(1);
        let sum = |a: usize, b: usize| {
            let mut acc = 0u64;
            for chunk in self.record_bytes(a, b).chunks_exact(RECORD_LEN) {
                let r = decode_record(chunk);
                acc = acc
                    .wrapping_add(r.id ^ u64::from(r.lat.to_bits()) ^ u64::from(r.lon.to_bits()));
            }
            acc
        };
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..n)
                .step_by(per)
                .map(|a| s.spawn(move || sum(a, (a + per).min(n))))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or(0))
                .fold(0u64, u64::wrapping_add)
        })
    }
}

#[inline]
pub fn decode_record(b: &[u8]) -> Record {
    Record {
        id: u64_at(b, 0),
        lat: f32::from_le_bytes(arr(&b[8..12])),
        lon: f32::from_le_bytes(arr(&b[12..16])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_helpers_match_h3o() {
        let ll = LatLng::new(29.59, 102.08).unwrap();
        for (coarse, fine) in [
            (Resolution::Three, Resolution::Seven),
            (Resolution::Zero, Resolution::Five),
        ] {
            let cell = ll.to_cell(fine);
            let parent = cell.parent(coarse).unwrap();
            assert_eq!(
                bits::parent(u64::from(cell), u8::from(coarse)),
                u64::from(parent)
            );
            assert_eq!(bits::base_cell(u64::from(cell)), u8::from(cell.base_cell()));
            let (lo, hi) = bits::descendant_bounds(u64::from(parent), u8::from(fine));
            let kids: Vec<u64> = parent.children(fine).map(u64::from).collect();
            assert!(kids.iter().all(|&k| (lo..=hi).contains(&k)));
            assert_eq!(kids.iter().min(), Some(&lo));
            assert_eq!(kids.iter().max(), Some(&hi));
            // A neighbour's descendants fall outside.
            for n in parent
                .grid_disk::<Vec<_>>(1)
                .into_iter()
                .filter(|&n| n != parent)
            {
                assert!(n
                    .children(fine)
                    .map(u64::from)
                    .all(|k| !(lo..=hi).contains(&k)));
            }
        }
        // Pentagon: base cell 4 at res 0, descendants skip the K axis.
        let pent = CellIndex::base_cells().find(|c| c.is_pentagon()).unwrap();
        let (lo, hi) = bits::descendant_bounds(u64::from(pent), 3);
        assert!(pent
            .children(Resolution::Three)
            .map(u64::from)
            .all(|k| (lo..=hi).contains(&k)));
    }

    #[test]
    fn header_round_trip() {
        let h = Header {
            cell_res: 7,
            part_res: 3,
            flags: FLAG_SEEN,
            users: 10,
            cells: 4,
            partitions: 2,
            records_off: 4096,
            seen_off: 4256,
            cells_off: 4304,
            parts_off: 4368,
            file_len: 4496,
        };
        let b = h.encode();
        assert_eq!(b.len(), HEADER_LEN as usize);
        assert_eq!(Header::decode(Path::new("x"), &b).unwrap(), h);
        let mut bad = b.clone();
        bad[0] = b'X';
        assert!(Header::decode(Path::new("x"), &bad)
            .unwrap_err()
            .to_string()
            .contains("bad magic"));
        let mut v2 = b;
        v2[8] = 2;
        assert!(Header::decode(Path::new("x"), &v2)
            .unwrap_err()
            .to_string()
            .contains("version 2"));
    }

    #[test]
    fn fingerprint_ignores_order_but_not_content() {
        let r = |id, lat| SpillRec {
            cell: 1,
            id,
            lat,
            lon: 2.0,
            seen: 0,
        };
        let (mut a, mut b, mut c) = (
            Fingerprint::default(),
            Fingerprint::default(),
            Fingerprint::default(),
        );
        for x in [r(1, 1.0), r(2, 1.5), r(3, 2.0)] {
            a.add(&x);
        }
        for x in [r(3, 2.0), r(1, 1.0), r(2, 1.5)] {
            b.add(&x);
        }
        for x in [r(3, 2.0), r(1, 1.0), r(2, 1.5001)] {
            c.add(&x);
        }
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
