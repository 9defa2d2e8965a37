//! The font: loading, the one line-layout both scene measurement and the renderer use, glyph
//! rasterization.
//!
//! Layout is deliberately simple (no shaping engine): one glyph per `char`, advances plus the
//! font's `kern` pairs, in `f32` pixels. That covers CJK and Latin bulletin text, and keeps
//! [`TextMeasure::width`] and the pixels in exact agreement because both run [`Font::layout`].
use std::path::{Path, PathBuf};

use ab_glyph::{Font as _, FontArc, FontVec, GlyphId, PxScale, ScaleFont as _};
use quakecast_scenes::TextMeasure;

use crate::error::RenderError;

/// Where Debian's `fonts-wqy-microhei` puts WenQuanYi Micro Hei (CJK + Latin).
pub const DEFAULT_FONT_PATH: &str = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";

/// A loaded font face. Cheap to clone (the face data is shared).
#[derive(Clone)]
pub struct Font {
    face: FontArc,
    path: PathBuf,
    /// Ascent / (ascent − descent): where the baseline sits in a line box of height `size`.
    ascent_ratio: f32,
    /// Units per em / (ascent − descent): the em square in a line box of height `size`.
    em_ratio: f32,
}

impl std::fmt::Debug for Font {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Font")
            .field("path", &self.path)
            .field("glyphs", &self.face.glyph_count())
            .finish()
    }
}

/// A glyph placed on a line: its id and pen position (pixels from the line start).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct PlacedGlyph {
    pub id: GlyphId,
    pub x: f32,
}

/// A rasterized glyph: coverage bytes, row-major, and its offset from the pen position on the
/// baseline (`left`, `top` in pixels, `top` negative above the baseline).
pub(crate) struct GlyphBitmap {
    pub w: u32,
    pub h: u32,
    pub left: i32,
    pub top: i32,
    pub data: Vec<u8>,
}

impl Font {
    /// Load the font at `path`, or at [`DEFAULT_FONT_PATH`] when `None` (the CLI passes
    /// `QUAKECAST_FONT`). A `.ttc` collection uses its first face.
    pub fn load(path: Option<&Path>) -> Result<Font, RenderError> {
        let path = path.unwrap_or(Path::new(DEFAULT_FONT_PATH));
        let data = std::fs::read(path).map_err(|source| RenderError::FontMissing {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_bytes(data, path)
    }

    /// A font from bytes already read; `path` is only used in messages.
    pub fn from_bytes(data: Vec<u8>, path: impl Into<PathBuf>) -> Result<Font, RenderError> {
        let path = path.into();
        let face =
            FontVec::try_from_vec_and_index(data, 0).map_err(|e| RenderError::FontInvalid {
                path: path.clone(),
                reason: e.to_string(),
            })?;
        let height = face.ascent_unscaled() - face.descent_unscaled();
        if height <= 0.0 {
            return Err(RenderError::FontInvalid {
                path,
                reason: format!("ascent − descent = {height} font units"),
            });
        }
        let ascent_ratio = face.ascent_unscaled() / height;
        let em_ratio = face.units_per_em().unwrap_or(height) / height;
        Ok(Font {
            face: FontArc::new(face),
            path,
            ascent_ratio,
            em_ratio,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Baseline offset below the top of the line box for text of `size` pixels: the font's
    /// ascent scaled so that ascent + descent = `size`.
    pub fn baseline(&self, size: f32) -> f32 {
        self.ascent_ratio * size
    }

    /// The em square, in pixels, of text set at `size` (WQY Micro Hei: 0.853 × `size`, so a
    /// CJK ideograph advances 0.853 × `size`). `size` is the line box: ascent + descent.
    pub fn em(&self, size: f32) -> f32 {
        self.em_ratio * size
    }

    /// Whether the font has a glyph for `c` (not the .notdef box).
    pub fn has_glyph(&self, c: char) -> bool {
        self.face.glyph_id(c).0 != 0
    }

    #[cfg(test)]
    pub(crate) fn glyph_id(&self, c: char) -> GlyphId {
        self.face.glyph_id(c)
    }

    /// Lay out one line at `size` pixels: glyphs with pen positions, appended to `out`; returns
    /// the advance width. Control characters are skipped.
    pub(crate) fn layout(&self, text: &str, size: f32, out: &mut Vec<PlacedGlyph>) -> f32 {
        self.walk(text, size, |id, x| out.push(PlacedGlyph { id, x }))
    }

    fn walk(&self, text: &str, size: f32, mut f: impl FnMut(GlyphId, f32)) -> f32 {
        if !(size.is_finite() && size > 0.0) {
            return 0.0;
        }
        let scaled = self.face.as_scaled(PxScale::from(size));
        let mut pen = 0.0f32;
        let mut prev: Option<GlyphId> = None;
        for c in text.chars().filter(|c| !c.is_control()) {
            let id = self.face.glyph_id(c);
            if let Some(p) = prev {
                pen += scaled.kern(p, id);
            }
            f(id, pen);
            pen += scaled.h_advance(id);
            prev = Some(id);
        }
        pen
    }

    /// Rasterize glyph `id` at `size` pixels with the pen `subpx` (0..1) pixels right of a
    /// whole pixel. `None` for glyphs without an outline (spaces).
    pub(crate) fn rasterize(&self, id: GlyphId, size: f32, subpx: f32) -> Option<GlyphBitmap> {
        let glyph = id.with_scale_and_position(PxScale::from(size), ab_glyph::point(subpx, 0.0));
        let outlined = self.face.outline_glyph(glyph)?;
        let b = outlined.px_bounds();
        let (w, h) = (b.width() as u32, b.height() as u32);
        if w == 0 || h == 0 {
            return None;
        }
        let mut data = vec![0u8; (w * h) as usize];
        outlined.draw(|x, y, c| {
            if x < w && y < h {
                data[(y * w + x) as usize] = (c.clamp(0.0, 1.0) * 255.0).round() as u8;
            }
        });
        Some(GlyphBitmap {
            w,
            h,
            left: b.min.x as i32,
            top: b.min.y as i32,
            data,
        })
    }
}

impl TextMeasure for Font {
    fn width(&self, text: &str, size: f32) -> f32 {
        self.walk(text, size, |_, _| {})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn font() -> Font {
        Font::load(None).expect("fonts-wqy-microhei installed")
    }

    #[test]
    fn missing_font_names_path_and_package() {
        let e = Font::load(Some(Path::new("/nonexistent/font.ttc"))).expect_err("missing");
        let msg = e.to_string();
        assert!(msg.contains("/nonexistent/font.ttc"), "{msg}");
        assert!(msg.contains("fonts-wqy-microhei"), "{msg}");
    }

    #[test]
    fn not_a_font_is_an_error() {
        let e =
            Font::from_bytes(b"definitely not a font".to_vec(), "/tmp/x.ttf").expect_err("invalid");
        assert!(matches!(e, RenderError::FontInvalid { .. }), "{e}");
    }

    #[test]
    fn measure_equals_layout_and_scales_linearly() {
        let f = font();
        let mut glyphs = Vec::new();
        let w = f.layout("四川雅安 M6.1", 40.0, &mut glyphs);
        assert_eq!(w, f.width("四川雅安 M6.1", 40.0));
        assert_eq!(glyphs.len(), 9);
        assert!(glyphs.windows(2).all(|g| g[1].x > g[0].x));
        // CJK glyphs are one em wide in this face; the em is 2048 of the 2401 units that
        // ascent + descent span, and the baseline sits at 1918 / 2401 ≈ 0.8 of the line box.
        assert!((f.em(40.0) - 40.0 * 2048.0 / 2401.0).abs() < 1e-3);
        assert!((f.width("地震", 40.0) - 2.0 * f.em(40.0)).abs() < 0.01);
        assert!(
            (f.baseline(100.0) - 79.88).abs() < 0.01,
            "{}",
            f.baseline(100.0)
        );
        let w20 = f.width("Magnitude 5.8", 20.0);
        let w40 = f.width("Magnitude 5.8", 40.0);
        assert!((w40 - 2.0 * w20).abs() < 0.01, "{w20} {w40}");
        assert_eq!(f.width("", 30.0), 0.0);
        assert_eq!(f.width("abc", 0.0), 0.0);
    }

    #[test]
    fn cjk_has_glyphs_and_rasterizes() {
        let f = font();
        for c in "地震速报四川雅安震级深度公里级".chars() {
            assert!(f.has_glyph(c), "no glyph for {c}");
        }
        let g = f
            .rasterize(f.face.glyph_id('震'), 32.0, 0.0)
            .expect("outline");
        assert!(g.w > 20 && g.h > 20, "{}x{}", g.w, g.h);
        assert!(g.top < 0, "glyph sits above the baseline");
        let ink = g.data.iter().filter(|&&c| c > 128).count();
        assert!(ink > 100, "{ink}");
        assert!(f.rasterize(f.face.glyph_id(' '), 32.0, 0.0).is_none());
    }
}
