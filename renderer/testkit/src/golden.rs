//! Golden-frame checks: compare a rendered RGBA frame with a reference PNG, per channel with a
//! tolerance and a budget of failed pixels; usable from any crate's tests.
//!
//! On a mismatch `<name>-actual.png` and `<name>-diff.png` (failed pixels red over a dimmed
//! reference) are written next to the reference. `QUAKECAST_UPDATE_GOLDEN=1` rewrites the
//! references instead of comparing. References are per backend (lavapipe here): Vulkan and GL
//! differ in ~0.4 % of pixels.
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};

use thiserror::Error;

/// Environment variable that turns comparisons into reference updates.
pub const UPDATE_ENV: &str = "QUAKECAST_UPDATE_GOLDEN";

/// How close is close enough.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GoldenOpts {
    /// Largest per-channel difference (0..=255) that still counts as equal.
    pub tolerance: u8,
    /// Fraction of pixels allowed to exceed the tolerance (0.001 = 0.1 %).
    pub max_failed_fraction: f64,
}

impl Default for GoldenOpts {
    fn default() -> Self {
        Self {
            tolerance: 3,
            max_failed_fraction: 0.001,
        }
    }
}

/// The outcome of a passing comparison.
#[derive(Clone, Debug, PartialEq)]
pub struct GoldenReport {
    pub failed_pixels: u64,
    pub total_pixels: u64,
    pub max_channel_diff: u8,
    /// The reference was (re)written because of [`UPDATE_ENV`].
    pub updated: bool,
}

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum GoldenError {
    #[error(
        "{reference}: {failed} of {total} pixels differ by more than {tolerance} (max diff \
         {max_diff}); see {actual} and {diff}, or set {UPDATE_ENV}=1 to accept"
    )]
    Mismatch {
        reference: PathBuf,
        actual: PathBuf,
        diff: PathBuf,
        failed: u64,
        total: u64,
        tolerance: u8,
        max_diff: u8,
    },
    #[error("{reference}: reference is {want:?}, frame is {got:?}; see {actual}")]
    Size {
        reference: PathBuf,
        actual: PathBuf,
        want: (u32, u32),
        got: (u32, u32),
    },
    #[error("{reference}: no reference yet; wrote {actual} (set {UPDATE_ENV}=1 to create it)")]
    Missing { reference: PathBuf, actual: PathBuf },
    #[error("{path}: {reason}")]
    Png { path: PathBuf, reason: String },
}

fn png_err(path: &Path, e: impl std::fmt::Display) -> GoldenError {
    GoldenError::Png {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

/// Write tightly packed RGBA8 as a PNG.
pub fn write_png(path: &Path, rgba: &[u8], width: u32, height: u32) -> Result<(), GoldenError> {
    if rgba.len() != (width as usize) * (height as usize) * 4 {
        return Err(png_err(
            path,
            "buffer size does not match width × height × 4",
        ));
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| png_err(path, e))?;
    }
    let file = std::fs::File::create(path).map_err(|e| png_err(path, e))?;
    let mut enc = png::Encoder::new(BufWriter::new(file), width, height);
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    let mut w = enc.write_header().map_err(|e| png_err(path, e))?;
    w.write_image_data(rgba).map_err(|e| png_err(path, e))?;
    w.finish().map_err(|e| png_err(path, e))
}

/// Read a PNG as tightly packed RGBA8 (RGB and grey are expanded).
pub fn read_png(path: &Path) -> Result<(Vec<u8>, u32, u32), GoldenError> {
    let file = std::fs::File::open(path).map_err(|e| png_err(path, e))?;
    let mut dec = png::Decoder::new(BufReader::new(file));
    dec.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = dec.read_info().map_err(|e| png_err(path, e))?;
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| png_err(path, "image too large"))?;
    let mut buf = vec![0; size];
    let info = reader.next_frame(&mut buf).map_err(|e| png_err(path, e))?;
    buf.truncate(info.buffer_size());
    let (w, h) = (info.width, info.height);
    let px = (w * h) as usize;
    let rgba = match info.color_type {
        png::ColorType::Rgba => buf,
        png::ColorType::Rgb => buf
            .chunks_exact(3)
            .flat_map(|c| [c[0], c[1], c[2], 255])
            .collect(),
        png::ColorType::GrayscaleAlpha => buf
            .chunks_exact(2)
            .flat_map(|c| [c[0], c[0], c[0], c[1]])
            .collect(),
        png::ColorType::Grayscale => buf.iter().flat_map(|&g| [g, g, g, 255]).collect(),
        png::ColorType::Indexed => return Err(png_err(path, "indexed PNG not expanded")),
    };
    if rgba.len() != px * 4 {
        return Err(png_err(path, "unexpected decoded size"));
    }
    Ok((rgba, w, h))
}

fn sibling(reference: &Path, suffix: &str) -> PathBuf {
    let stem = reference
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    reference.with_file_name(format!("{stem}-{suffix}.png"))
}

/// Compare `rgba` (`width × height`, tightly packed RGBA8) with the PNG at `reference`.
pub fn compare_png(
    reference: &Path,
    rgba: &[u8],
    width: u32,
    height: u32,
    opts: GoldenOpts,
) -> Result<GoldenReport, GoldenError> {
    let actual = sibling(reference, "actual");
    let diff_path = sibling(reference, "diff");
    let total = u64::from(width) * u64::from(height);
    if std::env::var(UPDATE_ENV).is_ok_and(|v| v == "1") {
        write_png(reference, rgba, width, height)?;
        let _ = std::fs::remove_file(&actual);
        let _ = std::fs::remove_file(&diff_path);
        return Ok(GoldenReport {
            failed_pixels: 0,
            total_pixels: total,
            max_channel_diff: 0,
            updated: true,
        });
    }
    if !reference.exists() {
        write_png(&actual, rgba, width, height)?;
        return Err(GoldenError::Missing {
            reference: reference.to_path_buf(),
            actual,
        });
    }
    let (want, rw, rh) = read_png(reference)?;
    if (rw, rh) != (width, height) {
        write_png(&actual, rgba, width, height)?;
        return Err(GoldenError::Size {
            reference: reference.to_path_buf(),
            actual,
            want: (rw, rh),
            got: (width, height),
        });
    }
    let (failed, max_diff, diff_img) = diff(&want, rgba, opts.tolerance);
    let budget = (opts.max_failed_fraction * total as f64).floor() as u64;
    if failed > budget {
        write_png(&actual, rgba, width, height)?;
        write_png(&diff_path, &diff_img, width, height)?;
        return Err(GoldenError::Mismatch {
            reference: reference.to_path_buf(),
            actual,
            diff: diff_path,
            failed,
            total,
            tolerance: opts.tolerance,
            max_diff,
        });
    }
    let _ = std::fs::remove_file(&actual);
    let _ = std::fs::remove_file(&diff_path);
    Ok(GoldenReport {
        failed_pixels: failed,
        total_pixels: total,
        max_channel_diff: max_diff,
        updated: false,
    })
}

/// Failed pixel count, largest channel difference, and a diff image (failed pixels red, the
/// rest a dimmed grey version of the reference).
fn diff(want: &[u8], got: &[u8], tolerance: u8) -> (u64, u8, Vec<u8>) {
    let mut failed = 0u64;
    let mut max_diff = 0u8;
    let mut img = Vec::with_capacity(want.len());
    for (a, b) in want.chunks_exact(4).zip(got.chunks_exact(4)) {
        let d = a
            .iter()
            .zip(b)
            .map(|(x, y)| x.abs_diff(*y))
            .max()
            .unwrap_or(0);
        max_diff = max_diff.max(d);
        if d > tolerance {
            failed += 1;
            img.extend_from_slice(&[255, 0, 0, 255]);
        } else {
            let grey = ((u16::from(a[0]) + u16::from(a[1]) + u16::from(a[2])) / 12) as u8;
            img.extend_from_slice(&[grey, grey, grey, 255]);
        }
    }
    (failed, max_diff, img)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(w: u32, h: u32) -> Vec<u8> {
        (0..w * h)
            .flat_map(|i| [(i % 251) as u8, (i * 7 % 253) as u8, 90, 255])
            .collect()
    }

    #[test]
    fn png_round_trip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("a.png");
        let img = image(13, 7);
        write_png(&p, &img, 13, 7).expect("write");
        assert_eq!(read_png(&p).expect("read"), (img, 13, 7));
    }

    #[test]
    fn comparer_passes_within_tolerance_and_fails_a_deliberate_change() {
        if std::env::var(UPDATE_ENV).is_ok() {
            return; // this test needs comparisons, not updates
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let reference = dir.path().join("scene.png");
        let (w, h) = (40, 30);
        let img = image(w, h);
        write_png(&reference, &img, w, h).expect("write");
        let opts = GoldenOpts::default();

        // Noise of ±3 everywhere passes.
        let noisy: Vec<u8> = img
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                if i % 2 == 0 {
                    v.saturating_add(3)
                } else {
                    v.saturating_sub(3)
                }
            })
            .collect();
        let r = compare_png(&reference, &noisy, w, h, opts).expect("within tolerance");
        assert_eq!(r.failed_pixels, 0);
        assert_eq!(r.max_channel_diff, 3);

        // One changed pixel of 1,200 is within a 0.1 % budget... (budget = 1 pixel)
        let mut one = img.clone();
        one[4 * 17] ^= 0x80;
        assert!(compare_png(&reference, &one, w, h, opts).is_ok());

        // ...a 3x3 square is not: the error names counts and files, which exist.
        let mut square = img.clone();
        for y in 10..13 {
            for x in 10..13 {
                square[((y * w + x) * 4 + 1) as usize] ^= 0x40;
            }
        }
        match compare_png(&reference, &square, w, h, opts) {
            Err(GoldenError::Mismatch {
                failed,
                actual,
                diff,
                ..
            }) => {
                assert_eq!(failed, 9);
                let (d, _, _) = read_png(&diff).expect("diff png");
                let px = |x: u32, y: u32| &d[((y * w + x) * 4) as usize..][..4];
                assert_eq!(px(11, 11), [255, 0, 0, 255]);
                assert_ne!(px(0, 0), [255, 0, 0, 255]);
                assert_eq!(read_png(&actual).expect("actual png").0, square);
            }
            other => panic!("expected a mismatch, got {other:?}"),
        }
        // A later pass cleans the failure files up.
        compare_png(&reference, &img, w, h, opts).expect("identical");
        assert!(!dir.path().join("scene-actual.png").exists());
        assert!(!dir.path().join("scene-diff.png").exists());

        // Wrong size and missing reference are errors too.
        assert!(matches!(
            compare_png(&reference, &image(30, 40), 30, 40, opts),
            Err(GoldenError::Size { .. })
        ));
        assert!(matches!(
            compare_png(&dir.path().join("none.png"), &img, w, h, opts),
            Err(GoldenError::Missing { .. })
        ));
    }
}
