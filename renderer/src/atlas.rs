//! Glyph atlas: rasterized glyphs cached per (glyph, size bucket, sub-pixel offset) and packed
//! on shelves into one R8 coverage image that grows (doubling its height) when full.
//!
//! Texel (1, 1) is always opaque white, so solid primitives and text share one shader:
//! a solid vertex samples that texel. Vertices carry texel coordinates (not normalised UVs), so
//! growing the atlas mid-frame does not invalidate vertices already built.
use std::collections::HashMap;

use ab_glyph::GlyphId;

use crate::error::RenderError;
use crate::font::Font;

/// Atlas width in texels; glyphs wider than this are not drawn.
pub(crate) const ATLAS_WIDTH: u32 = 2048;
const INITIAL_HEIGHT: u32 = 512;
/// Sizes are rasterized at a multiple of 1/4 pixel, which is below anything visible.
const SIZE_STEPS_PER_PX: f32 = 4.0;
/// Horizontal pen positions are rounded to 1/4 pixel.
pub(crate) const SUBPX_STEPS: f32 = 4.0;
/// Texel coordinates of the centre of the white texel.
pub(crate) const WHITE_UV: [f32; 2] = [1.5, 1.5];
/// Empty texels between glyphs (sampling is nearest, so one is enough).
const PAD: u32 = 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Key {
    glyph: u16,
    size_q: u32,
    subpx_q: u8,
}

/// Where a glyph's bitmap lies in the atlas and where it goes relative to the pen.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct AtlasGlyph {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
    pub left: i32,
    pub top: i32,
}

#[derive(Clone, Copy, Debug)]
struct Shelf {
    y: u32,
    h: u32,
    x: u32,
}

pub(crate) struct GlyphAtlas {
    pub width: u32,
    pub height: u32,
    max_height: u32,
    pub data: Vec<u8>,
    shelves: Vec<Shelf>,
    cache: HashMap<Key, Option<AtlasGlyph>>,
    /// Rows changed since the last upload (`y0..y1`).
    dirty: Option<(u32, u32)>,
}

impl GlyphAtlas {
    pub fn new(max_dim: u32) -> Self {
        let mut atlas = GlyphAtlas {
            width: ATLAS_WIDTH.min(max_dim),
            height: INITIAL_HEIGHT.min(max_dim),
            max_height: max_dim,
            data: Vec::new(),
            shelves: Vec::new(),
            cache: HashMap::new(),
            dirty: None,
        };
        atlas.reset();
        atlas
    }

    /// Forget every glyph and start over with the white texel only (keeps the current size).
    pub fn reset(&mut self) {
        self.data = vec![0; (self.width * self.height) as usize];
        for y in 0..3 {
            for x in 0..3 {
                self.data[(y * self.width + x) as usize] = 255;
            }
        }
        self.shelves = vec![Shelf { y: 0, h: 4, x: 4 }];
        self.cache.clear();
        self.dirty = Some((0, self.height));
    }

    /// Call before building a frame: when the atlas is at its largest size and mostly used,
    /// start over so that one frame never runs out of room mid-way in a long run.
    pub fn begin_frame(&mut self) {
        let used = self.shelves.last().map(|s| s.y + s.h).unwrap_or(0);
        if self.height >= self.max_height && used > self.height / 4 * 3 {
            tracing::debug!(glyphs = self.cache.len(), "glyph atlas reset");
            self.reset();
        }
    }

    /// Number of cached glyph images.
    pub fn len(&self) -> usize {
        self.cache.len()
    }

    /// No glyph cached (a fresh or just reset atlas).
    pub fn is_empty(&self) -> bool {
        self.cache.is_empty()
    }

    /// Rows to upload since the last call, if any.
    pub fn take_dirty(&mut self) -> Option<(u32, u32)> {
        self.dirty.take()
    }

    /// The glyph image for `id` at `size` px with the pen `subpx` right of a whole pixel
    /// (both are quantised here; the returned `subpx` bucket is what the caller must use).
    pub fn glyph(
        &mut self,
        font: &Font,
        id: GlyphId,
        size: f32,
        subpx_q: u8,
    ) -> Result<Option<AtlasGlyph>, RenderError> {
        let size_q = (size * SIZE_STEPS_PER_PX).round().max(1.0) as u32;
        let key = Key {
            glyph: id.0,
            size_q,
            subpx_q,
        };
        if let Some(g) = self.cache.get(&key) {
            return Ok(*g);
        }
        let bitmap = font.rasterize(
            id,
            size_q as f32 / SIZE_STEPS_PER_PX,
            f32::from(subpx_q) / SUBPX_STEPS,
        );
        let placed = match bitmap {
            None => None,
            Some(b) if b.w + PAD > self.width => {
                tracing::warn!(size, w = b.w, "glyph wider than the atlas; not drawn");
                None
            }
            Some(b) => {
                let (x, y) = self.alloc(b.w, b.h)?;
                for row in 0..b.h {
                    let dst = ((y + row) * self.width + x) as usize;
                    let src = (row * b.w) as usize;
                    self.data[dst..dst + b.w as usize]
                        .copy_from_slice(&b.data[src..src + b.w as usize]);
                }
                self.mark_dirty(y, y + b.h);
                Some(AtlasGlyph {
                    x,
                    y,
                    w: b.w,
                    h: b.h,
                    left: b.left,
                    top: b.top,
                })
            }
        };
        self.cache.insert(key, placed);
        Ok(placed)
    }

    fn mark_dirty(&mut self, y0: u32, y1: u32) {
        self.dirty = Some(match self.dirty {
            None => (y0, y1),
            Some((a, b)) => (a.min(y0), b.max(y1)),
        });
    }

    fn alloc(&mut self, w: u32, h: u32) -> Result<(u32, u32), RenderError> {
        let (pw, ph) = (w + PAD, h + PAD);
        // A shelf no more than ~30 % taller than the glyph, so small glyphs don't waste rows.
        if let Some(s) = self
            .shelves
            .iter_mut()
            .find(|s| s.h >= ph && s.h <= ph + ph / 3 + 2 && s.x + pw <= self.width)
        {
            let at = (s.x, s.y);
            s.x += pw;
            return Ok(at);
        }
        let next_y = self.shelves.last().map(|s| s.y + s.h).unwrap_or(0);
        while next_y + ph > self.height {
            if self.height >= self.max_height {
                return Err(RenderError::AtlasFull {
                    reason: format!(
                        "{} glyphs in a {}x{} atlas, the largest this device allows; \
                         a single frame uses too many distinct glyph sizes",
                        self.cache.len(),
                        self.width,
                        self.height
                    ),
                });
            }
            self.grow();
        }
        self.shelves.push(Shelf {
            y: next_y,
            h: ph,
            x: pw,
        });
        Ok((0, next_y))
    }

    fn grow(&mut self) {
        let new_h = (self.height * 2).min(self.max_height);
        self.data.resize((self.width * new_h) as usize, 0);
        self.height = new_h;
        // The texture is recreated at the new size: upload everything.
        self.dirty = Some((0, new_h));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caches_packs_and_grows() {
        let font = Font::load(None).expect("font");
        let face = font.glyph_id('震');
        let mut atlas = GlyphAtlas::new(4096);
        assert_eq!(atlas.data[(atlas.width + 1) as usize], 255, "white texel");
        let a = atlas
            .glyph(&font, face, 40.0, 0)
            .expect("room")
            .expect("ink");
        let b = atlas
            .glyph(&font, face, 40.0, 0)
            .expect("room")
            .expect("ink");
        assert_eq!(a, b);
        assert_eq!(atlas.len(), 1);
        // 40.1 px falls in the same 1/4-px bucket; 41 px does not.
        atlas.glyph(&font, face, 40.1, 0).expect("room");
        assert_eq!(atlas.len(), 1);
        let c = atlas
            .glyph(&font, face, 41.0, 0)
            .expect("room")
            .expect("ink");
        assert_ne!((a.x, a.y), (c.x, c.y));
        // Big glyphs at many sizes force growth up to the limit, then a clear error.
        let mut grew = false;
        let mut err = None;
        for s in 0..400 {
            match atlas.glyph(&font, face, 120.0 + s as f32, 0) {
                Ok(_) => grew |= atlas.height > INITIAL_HEIGHT,
                Err(e) => {
                    err = Some(e);
                    break;
                }
            }
        }
        assert!(grew);
        assert_eq!(atlas.height, 4096);
        assert!(
            matches!(err, Some(RenderError::AtlasFull { .. })),
            "{err:?}"
        );
        // A full atlas is cleared at the next frame start.
        atlas.begin_frame();
        assert_eq!(atlas.len(), 0);
        assert!(atlas.glyph(&font, face, 40.0, 0).expect("room").is_some());
    }
}
