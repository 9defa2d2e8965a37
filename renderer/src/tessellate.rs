//! Draw list → one triangle mesh per frame (CPU), split into scissor batches.
//!
//! **Anti-aliasing** is analytic: every edge of a shape gets a fringe one pixel wide, centred
//! on the true edge, whose vertex alpha falls from the colour's alpha (inside) to 0 (outside).
//! The opaque "core" is the shape inset by half a pixel; outlines are offset along mitred
//! vertex normals. Lines are a core of half-width `w/2 − ½` plus a fringe on each side out to
//! `w/2 + ½`; lines under 1 px are drawn 1 px wide with proportionally less alpha.
//!
//! **Blend once per primitive.** Every primitive gets its own depth value, decreasing in
//! painter's order, and the pipeline draws with depth test `Less` and depth writes on, so a
//! pixel is written at most once per primitive. A primitive's core triangles are emitted before
//! its fringe, so the fringe only reaches pixels the core did not cover; where segment quads,
//! join wedges or fringes of one translucent polyline overlap, the colour is still blended
//! once, as an SVG stroke would be. Later primitives have smaller depth and always pass. Each
//! glyph is its own "primitive" so neighbouring glyph boxes do not clip each other.
use std::ops::Range;

#[cfg(test)]
use quakecast_scenes::DrawList;
use quakecast_scenes::{Align, Color, Fill, Prim, Text};

use crate::atlas::{GlyphAtlas, SUBPX_STEPS, WHITE_UV};
use crate::error::RenderError;
use crate::font::{Font, PlacedGlyph};

/// One vertex: x, y, z, u, v as `f32` bits, then RGBA8 colour (r in the low byte), matching
/// the vertex layout in `shaders/draw.wgsl`.
pub(crate) type Vertex = [u32; 6];
pub(crate) const VERTEX_BYTES: u64 = 24;

/// Depth values are `1 − (id + 1) / 2^23`: exact in `f32`, all in `[0.5, 1)`.
const DEPTH_STEP: f32 = 1.0 / (1u32 << 23) as f32;
/// Primitives per render pass before the depth buffer is cleared and ids start again.
pub(crate) const IDS_PER_PASS: u32 = 1 << 22;
/// Join style: miter up to this ratio of miter length to half width, then round (or bevel
/// for lines under 3 px, where the difference is invisible).
const MITER_LIMIT: f32 = 2.5;
/// Largest distance between a true curve and its polygon, in pixels.
const CURVE_TOLERANCE: f32 = 0.2;
/// Half the width of the anti-aliasing fringe, in pixels.
const AA: f32 = 0.5;
/// Outline offsets at sharp vertices are capped at this many times the edge offset.
const MAX_OFFSET_SCALE: f32 = 4.0;

/// Triangles of one scissor rectangle, drawn in one call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Batch {
    /// `[x, y, w, h]` in pixels, inside the frame and non-empty.
    pub scissor: [u32; 4],
    pub indices: Range<u32>,
    /// Render pass number: the depth buffer is cleared between passes.
    pub pass: u32,
    /// Which pipeline draws it.
    pub kind: BatchKind,
}

/// How a batch is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BatchKind {
    /// Straight-alpha "over", atlas coverage, depth test (everything but opaque grids).
    Blend,
    /// Opaque shaded grids ([`Prim::Shade`] with every colour opaque) as triangles, drawn
    /// without blending, atlas read or depth test: the same pixels (an opaque colour blended
    /// "over" is that colour; a grid covers each pixel once) for less work per pixel.
    Opaque,
    /// Opaque shaded grids as one quad whose fragments interpolate the grid's colours from the
    /// mesh's grid texels ([`Mesh::grid`]) the way the grid's two triangles per cell would: a
    /// CPU rasteriser pays per triangle, and a backdrop is 10,584 of them.
    Grid,
}

/// Width in texels of the grid texture: a grid of up to `GRID_TEX_W - 1` columns (one more
/// for the replicated edge) is drawn as a quad; wider ones as triangles.
pub(crate) const GRID_TEX_W: u32 = 256;
/// Most texel rows of grids one frame draws as quads (the texture's height limit stays far).
pub(crate) const GRID_TEX_MAX_ROWS: u32 = 4096;

#[derive(Default)]
pub(crate) struct Mesh {
    pub verts: Vec<Vertex>,
    pub indices: Vec<u32>,
    pub batches: Vec<Batch>,
    /// Colours of the grids drawn as quads, RGBA8 (r in the low byte), [`GRID_TEX_W`] per
    /// row: each grid's rows stacked, each row's last colour repeated once to its right and
    /// its last row once below (so a fragment on the grid's far edge reads no other grid).
    pub grid: Vec<u32>,
    /// Rows of `grid` in use.
    pub grid_rows: u32,
}

impl Mesh {
    #[cfg(test)]
    pub fn passes(&self) -> u32 {
        self.batches.last().map(|b| b.pass + 1).unwrap_or(1)
    }
}

/// How the core of a filled outline is triangulated.
enum Core<'a> {
    /// Convex: a fan from the centroid.
    Fan,
    /// Triangles as indices into the outline (from ear clipping).
    Indices(&'a [usize]),
}

pub(crate) struct Tessellator<'a> {
    mesh: &'a mut Mesh,
    font: &'a Font,
    atlas: &'a mut GlyphAtlas,
    width: u32,
    height: u32,
    ids_per_pass: u32,
    id: u32,
    pass: u32,
    z: f32,
    scissor: Option<[u32; 4]>,
    /// What the open batch holds (see [`BatchKind`]).
    kind: BatchKind,
    batch_start: u32,
    /// Fringe triangles of the current primitive, appended after its core.
    fringe: Vec<u32>,
    glyphs: Vec<PlacedGlyph>,
    scratch: Vec<[f32; 2]>,
    offsets: Vec<[f32; 2]>,
    inner_offsets: Vec<[f32; 2]>,
    ring: Vec<[f32; 2]>,
    inner_ring: Vec<[f32; 2]>,
}

fn pack(c: Color) -> u32 {
    let q = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u32;
    q(c.r) | q(c.g) << 8 | q(c.b) << 16 | q(c.a) << 24
}

/// The same colour, fully transparent (the outer edge of a fringe).
fn clear_of(packed: u32) -> u32 {
    packed & 0x00ff_ffff
}

fn lerp(a: Color, b: Color, t: f32) -> Color {
    let t = t.clamp(0.0, 1.0);
    Color::rgba(
        a.r + (b.r - a.r) * t,
        a.g + (b.g - a.g) * t,
        a.b + (b.b - a.b) * t,
        a.a + (b.a - a.a) * t,
    )
}

/// Segments for a full circle of radius `r` so the chord error stays under the tolerance.
fn circle_segments(r: f32) -> u32 {
    if !positive(r - CURVE_TOLERANCE) {
        return 8;
    }
    let step = (1.0 - CURVE_TOLERANCE / r).acos();
    ((std::f32::consts::TAU / (2.0 * step)).ceil() as u32).clamp(8, 1024)
}

/// Lines thinner than a pixel are drawn one pixel wide with proportionally less alpha, which
/// reads as the right weight and does not break up.
fn hairline(width: f32, color: Color) -> (f32, Color) {
    if width < 1.0 {
        (1.0, color.fade(width.max(0.0)))
    } else {
        (width, color)
    }
}

/// `v > 0`, false for NaN.
fn positive(v: f32) -> bool {
    v > 0.0
}

fn finite(points: &[[f32; 2]]) -> bool {
    points.iter().all(|p| p[0].is_finite() && p[1].is_finite())
}

fn add(p: [f32; 2], v: [f32; 2], k: f32) -> [f32; 2] {
    [p[0] + v[0] * k, p[1] + v[1] * k]
}

/// Twice the signed area of a closed outline (positive: clockwise on screen, y down).
fn signed_area2(ring: &[[f32; 2]]) -> f32 {
    let n = ring.len();
    (0..n)
        .map(|i| {
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            a[0] * b[1] - b[0] * a[1]
        })
        .sum()
}

/// Per vertex of a closed outline, the outward offset that moves both adjacent edges out by
/// one unit (a mitre, capped at [`MAX_OFFSET_SCALE`]). Empty for a degenerate outline.
fn ring_offsets(ring: &[[f32; 2]], out: &mut Vec<[f32; 2]>) {
    out.clear();
    let n = ring.len();
    let area = signed_area2(ring);
    if n < 3 || area.abs() < 1e-6 {
        return;
    }
    let s = area.signum();
    let normal = |a: [f32; 2], b: [f32; 2]| {
        let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
        let l = dx.hypot(dy).max(1e-12);
        [s * dy / l, -s * dx / l]
    };
    for i in 0..n {
        let (prev, p, next) = (ring[(i + n - 1) % n], ring[i], ring[(i + 1) % n]);
        let (n0, n1) = (normal(prev, p), normal(p, next));
        let m = [n0[0] + n1[0], n0[1] + n1[1]];
        let ml = m[0].hypot(m[1]);
        if ml < 1e-6 {
            out.push(n0); // a spike folding back on itself
            continue;
        }
        let m = [m[0] / ml, m[1] / ml];
        let cos = (m[0] * n0[0] + m[1] * n0[1]).max(1.0 / MAX_OFFSET_SCALE);
        out.push([m[0] / cos, m[1] / cos]);
    }
}

/// Points of an ellipse (`n` of them) with semi-axes `ax`, `ay`, rotated by (`sin`, `cos`).
fn ellipse_points(
    c: [f32; 2],
    ax: f32,
    ay: f32,
    (sin, cos): (f32, f32),
    n: u32,
    out: &mut Vec<[f32; 2]>,
) {
    out.clear();
    for k in 0..n {
        let t = std::f32::consts::TAU * k as f32 / n as f32;
        let (x, y) = (ax * t.cos(), ay * t.sin());
        out.push([c[0] + x * cos - y * sin, c[1] + x * sin + y * cos]);
    }
}

impl<'a> Tessellator<'a> {
    pub fn new(
        mesh: &'a mut Mesh,
        font: &'a Font,
        atlas: &'a mut GlyphAtlas,
        width: u32,
        height: u32,
    ) -> Self {
        mesh.verts.clear();
        mesh.indices.clear();
        mesh.batches.clear();
        mesh.grid.clear();
        mesh.grid_rows = 0;
        Self::resume(mesh, font, atlas, width, height, 0)
    }

    /// A tessellator that appends to what `mesh` holds, starting at render pass `first_pass`
    /// with fresh depth ids: the frame is drawn in parts (see [`Tessellator::run_part`]), each
    /// beginning a new pass, whose depth buffer is cleared.
    pub fn resume(
        mesh: &'a mut Mesh,
        font: &'a Font,
        atlas: &'a mut GlyphAtlas,
        width: u32,
        height: u32,
        first_pass: u32,
    ) -> Self {
        let batch_start = mesh.indices.len() as u32;
        Tessellator {
            mesh,
            font,
            atlas,
            width,
            height,
            ids_per_pass: IDS_PER_PASS,
            id: 0,
            pass: first_pass,
            z: 1.0,
            scissor: Some([0, 0, width, height]),
            kind: BatchKind::Blend,
            batch_start,
            fringe: Vec::new(),
            glyphs: Vec::new(),
            scratch: Vec::new(),
            offsets: Vec::new(),
            inner_offsets: Vec::new(),
            ring: Vec::new(),
            inner_ring: Vec::new(),
        }
    }

    #[cfg(test)]
    fn with_ids_per_pass(mut self, n: u32) -> Self {
        self.ids_per_pass = n;
        self
    }

    /// Tessellate every primitive of `list` (whose size must match the tessellator's).
    #[cfg(test)]
    pub fn run(self, list: &DrawList) -> Result<(), RenderError> {
        self.run_part(&[], &list.prims).map(|_| ())
    }

    /// Tessellate `prims`, the part of a list that follows `before` (already drawn, or drawn
    /// in an earlier part): the clip is the one the last [`Prim::Clip`] of `before` set.
    /// Returns the number of render passes the mesh holds now (the next part starts there).
    ///
    /// A primitive's pixels do not depend on where its part starts: depth only keeps each
    /// primitive from blending twice over itself, and every part begins with a cleared depth
    /// buffer, so the frame drawn in parts equals the frame drawn in one (the renderer's
    /// static-prefix cache relies on this, `tests/prefix_cache.rs` checks it).
    pub fn run_part(mut self, before: &[Prim], prims: &[Prim]) -> Result<u32, RenderError> {
        if let Some(Prim::Clip(rect)) = before.iter().rev().find(|p| matches!(p, Prim::Clip(_))) {
            self.scissor = self.scissor_for(*rect);
        }
        for prim in prims {
            self.prim(prim)?;
            self.mesh.indices.append(&mut self.fringe);
        }
        self.close_batch();
        Ok(self.pass + 1)
    }

    fn close_batch(&mut self) {
        let end = self.mesh.indices.len() as u32;
        if end > self.batch_start {
            if let Some(scissor) = self.scissor {
                self.mesh.batches.push(Batch {
                    scissor,
                    indices: self.batch_start..end,
                    pass: self.pass,
                    kind: self.kind,
                });
            }
        }
        self.batch_start = end;
    }

    /// Start a primitive: its own depth value (and a new pass when ids run out).
    fn begin(&mut self) {
        self.mesh.indices.append(&mut self.fringe);
        if self.id >= self.ids_per_pass {
            self.close_batch();
            self.pass += 1;
            self.id = 0;
        }
        self.z = 1.0 - (self.id + 1) as f32 * DEPTH_STEP;
        self.id += 1;
    }

    fn vert(&mut self, p: [f32; 2], uv: [f32; 2], color: u32) -> u32 {
        let i = self.mesh.verts.len() as u32;
        self.mesh.verts.push([
            p[0].to_bits(),
            p[1].to_bits(),
            self.z.to_bits(),
            uv[0].to_bits(),
            uv[1].to_bits(),
            color,
        ]);
        i
    }

    fn solid(&mut self, p: [f32; 2], color: u32) -> u32 {
        self.vert(p, WHITE_UV, color)
    }

    /// A core triangle.
    fn tri(&mut self, a: u32, b: u32, c: u32) {
        self.mesh.indices.extend_from_slice(&[a, b, c]);
    }

    /// A fringe quad `a b c d` (drawn after the primitive's core).
    fn fringe_quad(&mut self, a: u32, b: u32, c: u32, d: u32) {
        self.fringe.extend_from_slice(&[a, b, c, a, c, d]);
    }

    fn prim(&mut self, prim: &Prim) -> Result<(), RenderError> {
        if let Prim::Clip(rect) = prim {
            self.close_batch();
            self.scissor = self.scissor_for(*rect);
            return Ok(());
        }
        if self.scissor.is_none() {
            return Ok(()); // inside an empty clip
        }
        let kind = match prim {
            Prim::Shade {
                cols, rows, colors, ..
            } if colors.iter().all(|c| c.a >= 1.0) => {
                let fits = rows
                    .checked_add(self.mesh.grid_rows)
                    .is_some_and(|n| n < GRID_TEX_MAX_ROWS);
                if *cols < GRID_TEX_W && fits {
                    BatchKind::Grid
                } else {
                    BatchKind::Opaque
                }
            }
            _ => BatchKind::Blend,
        };
        if kind != self.kind {
            self.mesh.indices.append(&mut self.fringe);
            self.close_batch();
            self.kind = kind;
        }
        match prim {
            Prim::Rect {
                x,
                y,
                w,
                h,
                radius,
                fill,
            } => self.rect(*x, *y, *w, *h, *radius, *fill),
            Prim::Circle {
                cx,
                cy,
                r,
                stroke,
                color,
            } => self.ellipse([*cx, *cy], *r, *r, 0.0, *stroke, *color),
            Prim::Ellipse {
                cx,
                cy,
                rx,
                ry,
                angle,
                stroke,
                color,
            } => self.ellipse([*cx, *cy], *rx, *ry, *angle, *stroke, *color),
            Prim::Polyline {
                points,
                width,
                color,
                closed,
            } => self.polyline(points, *width, *color, *closed),
            Prim::Polygon { points, color } => self.polygon(points, *color),
            Prim::Shade {
                rect,
                cols,
                rows,
                colors,
            } => self.shade(*rect, *cols, *rows, colors),
            Prim::Text(t) => self.text(t)?,
            Prim::Clip(_) => {}
        }
        Ok(())
    }

    fn scissor_for(&self, rect: Option<[f32; 4]>) -> Option<[u32; 4]> {
        let Some([x, y, w, h]) = rect else {
            return Some([0, 0, self.width, self.height]);
        };
        let clamp = |v: f32, max: u32| {
            if v.is_nan() {
                0
            } else {
                v.round().clamp(0.0, max as f32) as u32
            }
        };
        let (x0, x1) = (clamp(x, self.width), clamp(x + w, self.width));
        let (y0, y1) = (clamp(y, self.height), clamp(y + h, self.height));
        (x1 > x0 && y1 > y0).then_some([x0, y0, x1 - x0, y1 - y0])
    }

    /// Fill the closed outline in `self.ring` with an anti-aliased edge: the core is the
    /// outline inset by half a pixel, the fringe runs to the outline outset by half a pixel.
    /// `color_at(y)` gives the colour at height `y` (vertical gradients).
    fn fill_ring(&mut self, core: Core<'_>, color_at: &dyn Fn(f32) -> u32) {
        let ring = std::mem::take(&mut self.ring);
        let mut offsets = std::mem::take(&mut self.offsets);
        ring_offsets(&ring, &mut offsets);
        if !offsets.is_empty() {
            let first = self.mesh.verts.len() as u32;
            for (p, o) in ring.iter().zip(&offsets) {
                let q = add(*p, *o, -AA);
                self.solid(q, color_at(q[1]));
                let q = add(*p, *o, AA);
                self.solid(q, clear_of(color_at(q[1])));
            }
            let n = ring.len() as u32;
            let inner = |i: u32| first + 2 * i;
            match core {
                Core::Fan => {
                    let (sx, sy) = ring
                        .iter()
                        .fold((0.0, 0.0), |(x, y), p| (x + p[0], y + p[1]));
                    let c = [sx / n as f32, sy / n as f32];
                    let centre = self.solid(c, color_at(c[1]));
                    for i in 0..n {
                        self.tri(centre, inner(i), inner((i + 1) % n));
                    }
                }
                Core::Indices(tris) => self
                    .mesh
                    .indices
                    .extend(tris.iter().map(|&i| inner(i as u32))),
            }
            for i in 0..n {
                let j = (i + 1) % n;
                self.fringe_quad(inner(i), inner(j), inner(j) + 1, inner(i) + 1);
            }
        }
        self.ring = ring;
        self.offsets = offsets;
    }

    /// A shaded grid ([`Prim::Shade`]): the vertices as given, two triangles per cell, no
    /// fringe. Malformed grids (too few vertices, a colour count that does not match, a
    /// non-finite or empty rectangle) draw nothing.
    fn shade(&mut self, rect: [f32; 4], cols: u32, rows: u32, colors: &[Color]) {
        let [x, y, w, h] = rect;
        let (nc, nr) = (cols as usize, rows as usize);
        if nc < 2
            || nr < 2
            || nc.checked_mul(nr) != Some(colors.len())
            || !(positive(w) && positive(h) && finite(&[[x, y], [w, h]]))
        {
            return;
        }
        self.begin();
        if self.kind == BatchKind::Grid {
            // One quad; its uv runs over the grid's columns and its rows in the grid texture.
            let row0 = self.mesh.grid_rows;
            let width = GRID_TEX_W as usize;
            let start = self.mesh.grid.len();
            self.mesh.grid.resize(start + (nr + 1) * width, 0);
            for r in 0..=nr {
                let src = &colors[r.min(nr - 1) * nc..][..nc];
                let dst = &mut self.mesh.grid[start + r * width..][..nc + 1];
                for (d, c) in dst.iter_mut().zip(src) {
                    *d = pack(*c);
                }
                dst[nc] = dst[nc - 1];
            }
            self.mesh.grid_rows += nr as u32 + 1;
            let (c1, r0, r1) = (
                (nc - 1) as f32,
                row0 as f32,
                (row0 as usize + nr - 1) as f32,
            );
            let white = pack(Color::rgba(1.0, 1.0, 1.0, 1.0));
            let a = self.vert([x, y], [0.0, r0], white);
            let b = self.vert([x + w, y], [c1, r0], white);
            let d = self.vert([x, y + h], [0.0, r1], white);
            let e = self.vert([x + w, y + h], [c1, r1], white);
            self.tri(a, b, e);
            self.tri(a, e, d);
            return;
        }
        let base = self.mesh.verts.len() as u32;
        let (dx, dy) = (w / (nc - 1) as f32, h / (nr - 1) as f32);
        for r in 0..nr {
            for c in 0..nc {
                let p = [x + c as f32 * dx, y + r as f32 * dy];
                self.vert(p, WHITE_UV, pack(colors[r * nc + c]));
            }
        }
        let (nc32, nr32) = (cols, rows);
        for r in 0..nr32 - 1 {
            for c in 0..nc32 - 1 {
                let a = base + r * nc32 + c;
                let b = a + 1;
                let d = a + nc32;
                let e = d + 1;
                self.tri(a, b, e);
                self.tri(a, e, d);
            }
        }
    }

    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, radius: f32, fill: Fill) {
        if !(positive(w) && positive(h) && finite(&[[x, y], [w, h]])) {
            return;
        }
        let (top, bottom) = match fill {
            Fill::Solid(c) => (c, c),
            Fill::Vertical(a, b) => (a, b),
        };
        if top.a <= 0.0 && bottom.a <= 0.0 {
            return;
        }
        self.begin();
        let at = |py: f32| pack(lerp(top, bottom, (py - y) / h));
        let r = radius.max(0.0).min(w / 2.0).min(h / 2.0);
        let mut ring = std::mem::take(&mut self.ring);
        ring.clear();
        if r < 0.05 {
            ring.extend_from_slice(&[[x, y], [x + w, y], [x + w, y + h], [x, y + h]]);
        } else {
            // Quarter circles at the corners; colours are linear in y, which barycentric
            // interpolation reproduces exactly.
            let n = (circle_segments(r) / 4).max(2);
            let corners = [
                ([x + w - r, y + r], -90.0f32),
                ([x + w - r, y + h - r], 0.0),
                ([x + r, y + h - r], 90.0),
                ([x + r, y + r], 180.0),
            ];
            for (c, start) in corners {
                for k in 0..=n {
                    let a = (start + 90.0 * k as f32 / n as f32).to_radians();
                    let p = [c[0] + r * a.cos(), c[1] + r * a.sin()];
                    if ring
                        .last()
                        .is_none_or(|q| (p[0] - q[0]).hypot(p[1] - q[1]) > 1e-3)
                    {
                        ring.push(p);
                    }
                }
            }
            if ring.len() > 2 {
                let (f, l) = (ring[0], ring[ring.len() - 1]);
                if (f[0] - l[0]).hypot(f[1] - l[1]) <= 1e-3 {
                    ring.pop();
                }
            }
        }
        self.ring = ring;
        self.fill_ring(Core::Fan, &at);
    }

    #[allow(clippy::too_many_arguments)]
    fn ellipse(
        &mut self,
        c: [f32; 2],
        rx: f32,
        ry: f32,
        angle: f32,
        stroke: Option<f32>,
        color: Color,
    ) {
        if color.a <= 0.0
            || !(positive(rx) && positive(ry))
            || !finite(&[c, [rx, ry], [angle, 0.0]])
        {
            return;
        }
        let rot = angle.sin_cos();
        let Some(s) = stroke else {
            self.begin();
            let col = pack(color);
            let mut ring = std::mem::take(&mut self.ring);
            ellipse_points(c, rx, ry, rot, circle_segments(rx.max(ry)), &mut ring);
            self.ring = ring;
            self.fill_ring(Core::Fan, &|_| col);
            return;
        };
        if !positive(s) {
            return;
        }
        let (s, color) = hairline(s, color);
        let (ix, iy) = (rx - s / 2.0, ry - s / 2.0);
        if ix <= AA || iy <= AA {
            return self.ellipse(c, rx + s / 2.0, ry + s / 2.0, angle, None, color);
        }
        self.begin();
        let col = pack(color);
        let (ox, oy) = (rx + s / 2.0, ry + s / 2.0);
        let n = circle_segments(ox.max(oy));
        let mut outer = std::mem::take(&mut self.ring);
        let mut inner = std::mem::take(&mut self.inner_ring);
        let mut oo = std::mem::take(&mut self.offsets);
        let mut io = std::mem::take(&mut self.inner_offsets);
        ellipse_points(c, ox, oy, rot, n, &mut outer);
        ellipse_points(c, ix, iy, rot, n, &mut inner);
        ring_offsets(&outer, &mut oo);
        ring_offsets(&inner, &mut io);
        if oo.len() == n as usize && io.len() == n as usize {
            // Per step: outer edge out (clear), outer core edge, inner core edge, inner edge
            // in (clear). A 1-px ring has its two core edges on the same circle.
            let first = self.mesh.verts.len() as u32;
            for k in 0..n as usize {
                self.solid(add(outer[k], oo[k], AA), clear_of(col));
                self.solid(add(outer[k], oo[k], -AA), col);
                self.solid(add(inner[k], io[k], AA), col);
                self.solid(add(inner[k], io[k], -AA), clear_of(col));
            }
            let v = |k: u32, j: u32| first + 4 * (k % n) + j;
            for k in 0..n {
                self.tri(v(k, 1), v(k + 1, 1), v(k + 1, 2));
                self.tri(v(k, 1), v(k + 1, 2), v(k, 2));
                self.fringe_quad(v(k, 1), v(k, 0), v(k + 1, 0), v(k + 1, 1));
                self.fringe_quad(v(k, 2), v(k + 1, 2), v(k + 1, 3), v(k, 3));
            }
        }
        self.ring = outer;
        self.inner_ring = inner;
        self.offsets = oo;
        self.inner_offsets = io;
    }

    /// Copy `points` into the scratch buffer without consecutive duplicates (and without a
    /// repeated closing point when `drop_closing`).
    fn dedup(&mut self, points: &[[f32; 2]], drop_closing: bool) -> Vec<[f32; 2]> {
        let mut out = std::mem::take(&mut self.scratch);
        out.clear();
        for p in points {
            if out
                .last()
                .is_none_or(|q: &[f32; 2]| (p[0] - q[0]).hypot(p[1] - q[1]) > 1e-3)
            {
                out.push(*p);
            }
        }
        if drop_closing && out.len() > 2 {
            let (f, l) = (out[0], out[out.len() - 1]);
            if (f[0] - l[0]).hypot(f[1] - l[1]) <= 1e-3 {
                out.pop();
            }
        }
        out
    }

    fn polyline(&mut self, points: &[[f32; 2]], width: f32, color: Color, closed: bool) {
        if color.a <= 0.0 || !positive(width) || !finite(points) {
            return;
        }
        let p = self.dedup(points, closed);
        let n = p.len();
        if n >= 2 {
            self.stroke(&p, width, color, closed && n > 2);
        }
        self.scratch = p;
    }

    fn stroke(&mut self, p: &[[f32; 2]], width: f32, color: Color, closed: bool) {
        let (width, color) = hairline(width, color);
        let hw = width / 2.0;
        // Core half-width and fringe half-width.
        let (hc, hf) = ((hw - AA).max(0.0), hw + AA);
        let col = pack(color);
        let clear = clear_of(col);
        self.begin();
        let n = p.len();
        let segs = if closed { n } else { n - 1 };
        let dir = |i: usize| {
            let (a, b) = (p[i], p[(i + 1) % n]);
            let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
            let l = dx.hypot(dy);
            [dx / l, dy / l]
        };
        // Open ends are pulled in by half a pixel so that their fringe is centred on the end.
        let end_at = |i: usize| {
            let q = p[i];
            if closed || (i != 0 && i != n - 1) {
                return q;
            }
            let (other, sign) = if i == 0 {
                (p[1], 1.0)
            } else {
                (p[n - 2], -1.0)
            };
            let len = (other[0] - q[0]).hypot(other[1] - q[1]);
            let d = if i == 0 { dir(0) } else { dir(n - 2) };
            add(q, d, sign * AA.min(len / 2.0))
        };
        for i in 0..segs {
            let (a, b) = (end_at(i), end_at((i + 1) % n));
            let d = dir(i);
            let nrm = [-d[1], d[0]];
            let v = [
                self.solid(add(a, nrm, hf), clear),
                self.solid(add(a, nrm, hc), col),
                self.solid(add(a, nrm, -hc), col),
                self.solid(add(a, nrm, -hf), clear),
                self.solid(add(b, nrm, hf), clear),
                self.solid(add(b, nrm, hc), col),
                self.solid(add(b, nrm, -hc), col),
                self.solid(add(b, nrm, -hf), clear),
            ];
            if hc > 0.0 {
                self.tri(v[1], v[5], v[6]);
                self.tri(v[1], v[6], v[2]);
            }
            self.fringe_quad(v[1], v[0], v[4], v[5]);
            self.fringe_quad(v[2], v[6], v[7], v[3]);
        }
        if closed {
            for (j, &c) in p.iter().enumerate() {
                self.join(c, dir((j + n - 1) % n), dir(j), hc, hf, col);
            }
        } else {
            for (j, &c) in p.iter().enumerate().take(n - 1).skip(1) {
                self.join(c, dir(j - 1), dir(j), hc, hf, col);
            }
            let d0 = dir(0);
            self.cap(end_at(0), [-d0[0], -d0[1]], hc, hf, col);
            self.cap(end_at(n - 1), dir(n - 2), hc, hf, col);
        }
    }

    /// Fringe beyond an open end at `c`, facing `out` (unit vector away from the line).
    fn cap(&mut self, c: [f32; 2], out: [f32; 2], hc: f32, hf: f32, col: u32) {
        let nrm = [-out[1], out[0]];
        let clear = clear_of(col);
        let e = 2.0 * AA;
        let a = self.solid(add(c, nrm, hc), col);
        let b = self.solid(add(c, nrm, -hc), col);
        let a_out = self.solid(add(add(c, nrm, hc), out, e), clear);
        let b_out = self.solid(add(add(c, nrm, -hc), out, e), clear);
        let a_side = self.solid(add(c, nrm, hf), clear);
        let b_side = self.solid(add(c, nrm, -hf), clear);
        let a_corner = self.solid(add(add(c, nrm, hf), out, e), clear);
        let b_corner = self.solid(add(add(c, nrm, -hf), out, e), clear);
        self.fringe_quad(a, b, b_out, a_out);
        self.fringe_quad(a, a_out, a_corner, a_side);
        self.fringe_quad(b, b_side, b_corner, b_out);
    }

    /// Fill the wedge on the outer side of the corner at `c` between a segment arriving in
    /// direction `d0` and one leaving in `d1` (unit vectors): core out to `hc`, fringe from
    /// `hc` (opaque) to `hf` (clear).
    fn join(&mut self, c: [f32; 2], d0: [f32; 2], d1: [f32; 2], hc: f32, hf: f32, col: u32) {
        let cross = d0[0] * d1[1] - d0[1] * d1[0];
        let dot = d0[0] * d1[0] + d0[1] * d1[1];
        if cross.abs() < 1e-4 && dot > 0.0 {
            return; // straight on
        }
        let n0 = [-d0[1], d0[0]];
        let n1 = [-d1[1], d1[0]];
        // The outer side is the one whose offset point lies behind the outgoing segment.
        let s = if n0[0] * d1[0] + n0[1] * d1[1] > 0.0 {
            -1.0
        } else {
            1.0
        };
        let (o0, o1) = ([s * n0[0], s * n0[1]], [s * n1[0], s * n1[1]]);
        let m = [o0[0] + o1[0], o0[1] + o1[1]];
        let ml = m[0].hypot(m[1]);
        // The outer path at distance r is `point(j, r)` for j in 0..count.
        let mut tip = None;
        if ml > 1e-4 {
            let m = [m[0] / ml, m[1] / ml];
            let cos_half = m[0] * o0[0] + m[1] * o0[1];
            if cos_half > 1.0 / MITER_LIMIT {
                tip = Some([m[0] / cos_half, m[1] / cos_half]);
            }
        }
        let (a0, mut sweep) = (o0[1].atan2(o0[0]), 0.0f32);
        let count = match tip {
            Some(_) => 3,
            None if hf < 2.0 => 2,
            None => {
                // Round: sweep from o0 to o1 the short way; for a U-turn, the way through d0.
                sweep = o1[1].atan2(o1[0]) - a0;
                while sweep > std::f32::consts::PI {
                    sweep -= std::f32::consts::TAU;
                }
                while sweep <= -std::f32::consts::PI {
                    sweep += std::f32::consts::TAU;
                }
                let mid = a0 + sweep / 2.0;
                if (std::f32::consts::PI - sweep.abs()) < 1e-3
                    && mid.cos() * d0[0] + mid.sin() * d0[1] < 0.0
                {
                    sweep = -sweep;
                }
                let steps = (circle_segments(hf) as f32 * sweep.abs() / std::f32::consts::TAU)
                    .ceil()
                    .max(1.0) as usize;
                steps + 1
            }
        };
        let point = |j: usize, r: f32| -> [f32; 2] {
            match (tip, count) {
                (Some(t), _) => add(c, [o0, t, o1][j], r),
                (None, 2) => add(c, [o0, o1][j], r),
                _ => {
                    let a = a0 + sweep * j as f32 / (count - 1) as f32;
                    add(c, [a.cos(), a.sin()], r)
                }
            }
        };
        let clear = clear_of(col);
        let first = self.mesh.verts.len() as u32;
        for j in 0..count {
            self.solid(point(j, hc), col);
            self.solid(point(j, hf), clear);
        }
        let (inner, outer) = (
            |j: usize| first + 2 * j as u32,
            |j: usize| first + 2 * j as u32 + 1,
        );
        if hc > 0.0 {
            let centre = self.solid(c, col);
            for j in 0..count - 1 {
                self.tri(centre, inner(j), inner(j + 1));
            }
        }
        for j in 0..count - 1 {
            self.fringe_quad(inner(j), outer(j), outer(j + 1), inner(j + 1));
        }
    }

    fn polygon(&mut self, points: &[[f32; 2]], color: Color) {
        if color.a <= 0.0 || !finite(points) {
            return;
        }
        let p = self.dedup(points, true);
        if p.len() >= 3 {
            let flat: Vec<f64> = p
                .iter()
                .flat_map(|q| [f64::from(q[0]), f64::from(q[1])])
                .collect();
            match earcutr::earcut(&flat, &[], 2) {
                Ok(tris) if !tris.is_empty() => {
                    self.begin();
                    let col = pack(color);
                    let mut ring = std::mem::take(&mut self.ring);
                    ring.clear();
                    ring.extend_from_slice(&p);
                    self.ring = ring;
                    self.fill_ring(Core::Indices(&tris), &|_| col);
                }
                Ok(_) => {}
                Err(e) => tracing::debug!(points = p.len(), error = ?e, "polygon not drawn"),
            }
        }
        self.scratch = p;
    }

    fn text(&mut self, t: &Text) -> Result<(), RenderError> {
        if t.color.a <= 0.0 || !positive(t.size) || !finite(&[[t.x, t.y], [t.size, 0.0]]) {
            return Ok(());
        }
        let mut glyphs = std::mem::take(&mut self.glyphs);
        glyphs.clear();
        let width = self.font.layout(&t.text, t.size, &mut glyphs);
        let x0 = match t.align {
            Align::Left => t.x,
            Align::Center => t.x - width / 2.0,
            Align::Right => t.x - width,
        };
        let baseline = (t.y + self.font.baseline(t.size)).round();
        let col = pack(t.color);
        let mut result = Ok(());
        for g in &glyphs {
            let pen = x0 + g.x;
            let mut px = pen.floor();
            let mut q = ((pen - px) * SUBPX_STEPS).round() as u8;
            if f32::from(q) >= SUBPX_STEPS {
                px += 1.0;
                q = 0;
            }
            let placed = match self.atlas.glyph(self.font, g.id, t.size, q) {
                Ok(Some(p)) => p,
                Ok(None) => continue,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            };
            self.begin();
            let gx = px + placed.left as f32;
            let gy = baseline + placed.top as f32;
            let (w, h) = (placed.w as f32, placed.h as f32);
            let (u, v) = (placed.x as f32, placed.y as f32);
            let a = self.vert([gx, gy], [u, v], col);
            let b = self.vert([gx + w, gy], [u + w, v], col);
            let c = self.vert([gx + w, gy + h], [u + w, v + h], col);
            let d = self.vert([gx, gy + h], [u, v + h], col);
            self.tri(a, b, c);
            self.tri(a, c, d);
        }
        self.glyphs = glyphs;
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn font() -> Font {
        Font::load(None).expect("font")
    }

    fn run(prims: Vec<Prim>, ids_per_pass: u32) -> Mesh {
        let font = font();
        let mut atlas = GlyphAtlas::new(4096);
        let mut mesh = Mesh::default();
        let list = DrawList {
            width: 100,
            height: 80,
            clear: Color::hex(0),
            prims,
        };
        Tessellator::new(&mut mesh, &font, &mut atlas, 100, 80)
            .with_ids_per_pass(ids_per_pass)
            .run(&list)
            .expect("tessellate");
        mesh
    }

    fn pos(mesh: &Mesh, i: u32) -> [f32; 2] {
        let v = mesh.verts[i as usize];
        [f32::from_bits(v[0]), f32::from_bits(v[1])]
    }

    fn alpha(mesh: &Mesh, i: u32) -> f32 {
        (mesh.verts[i as usize][5] >> 24) as f32 / 255.0
    }

    /// Coverage: the alpha-weighted area of the triangles (exact for alpha linear over each
    /// triangle), i.e. how much paint the primitive puts down, in pixels.
    fn coverage(mesh: &Mesh) -> f32 {
        mesh.indices
            .chunks(3)
            .map(|t| {
                let (a, b, c) = (pos(mesh, t[0]), pos(mesh, t[1]), pos(mesh, t[2]));
                let area =
                    ((b[0] - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (b[1] - a[1])).abs() / 2.0;
                area * (alpha(mesh, t[0]) + alpha(mesh, t[1]) + alpha(mesh, t[2])) / 3.0
            })
            .sum()
    }

    fn rect(x: f32, alpha: f32) -> Prim {
        Prim::Rect {
            x,
            y: 0.0,
            w: 10.0,
            h: 10.0,
            radius: 0.0,
            fill: Fill::Solid(Color::rgba(1.0, 0.0, 0.0, alpha)),
        }
    }

    #[test]
    fn rect_core_is_inset_by_half_a_pixel_and_fringe_comes_after() {
        let m = run(vec![rect(0.0, 1.0), rect(20.0, 1.0)], IDS_PER_PASS);
        // Per rect: 4 inner + 4 outer + centre; 4 core and 8 fringe triangles.
        assert_eq!(m.verts.len(), 18);
        assert_eq!(m.indices.len(), 2 * 12 * 3);
        let z = |i: usize| f32::from_bits(m.verts[i][2]);
        assert!(z(0) < 1.0 && z(9) < z(0), "later prims are nearer");
        assert_eq!(m.verts[0][5], 0xff00_00ff, "RGBA8 with red in the low byte");
        assert_eq!(m.verts[1][5], 0x0000_00ff, "outer fringe edge is clear red");
        assert_eq!(pos(&m, 0), [0.5, 0.5]);
        assert_eq!(pos(&m, 1), [-0.5, -0.5]);
        // The first 4 triangles (core) use only opaque vertices.
        assert!(m.indices[..12].iter().all(|&i| alpha(&m, i) == 1.0));
        let one = run(vec![rect(0.0, 1.0)], IDS_PER_PASS);
        assert!((coverage(&one) - 100.0).abs() < 0.5, "{}", coverage(&one));
    }

    #[test]
    fn invisible_and_degenerate_prims_emit_nothing() {
        let m = run(
            vec![
                rect(0.0, 0.0),
                Prim::Rect {
                    x: 0.0,
                    y: 0.0,
                    w: -5.0,
                    h: 3.0,
                    radius: 0.0,
                    fill: Fill::Solid(Color::hex(0xffffff)),
                },
                Prim::Polyline {
                    points: vec![[1.0, 1.0], [1.0, 1.0]],
                    width: 2.0,
                    color: Color::hex(0xffffff),
                    closed: false,
                },
                Prim::Polygon {
                    points: vec![[0.0, 0.0], [f32::NAN, 1.0], [2.0, 2.0]],
                    color: Color::hex(0xffffff),
                },
            ],
            IDS_PER_PASS,
        );
        assert!(m.verts.is_empty() && m.batches.is_empty());
    }

    #[test]
    fn clips_split_batches_and_empty_clips_drop_prims() {
        let m = run(
            vec![
                rect(0.0, 1.0),
                Prim::Clip(Some([10.4, 5.0, 30.0, 200.0])),
                rect(20.0, 1.0),
                Prim::Clip(Some([50.0, 50.0, 0.0, 10.0])),
                rect(40.0, 1.0),
                Prim::Clip(None),
                rect(60.0, 1.0),
            ],
            IDS_PER_PASS,
        );
        let scissors: Vec<_> = m.batches.iter().map(|b| b.scissor).collect();
        assert_eq!(
            scissors,
            vec![[0, 0, 100, 80], [10, 5, 30, 75], [0, 0, 100, 80]]
        );
        assert_eq!(m.verts.len(), 27, "the prim in the empty clip is dropped");
    }

    #[test]
    fn concave_polygon_coverage_is_its_area() {
        // An L shape: 10x10 square minus a 5x5 corner = 75, in either winding.
        let l = [
            [0.0, 0.0],
            [10.0, 0.0],
            [10.0, 5.0],
            [5.0, 5.0],
            [5.0, 10.0],
            [0.0, 10.0],
            [0.0, 0.0],
        ];
        for points in [l.to_vec(), l.iter().rev().copied().collect()] {
            let m = run(
                vec![Prim::Polygon {
                    points,
                    color: Color::hex(0x336699),
                }],
                IDS_PER_PASS,
            );
            assert_eq!(m.verts.len(), 12, "closing point dropped; inner + outer");
            assert!((coverage(&m) - 75.0).abs() < 0.5, "{}", coverage(&m));
        }
    }

    #[test]
    fn rounded_rect_disc_and_ring_coverage_match_geometry() {
        let m = run(
            vec![Prim::Rect {
                x: 0.0,
                y: 0.0,
                w: 40.0,
                h: 20.0,
                radius: 5.0,
                fill: Fill::Vertical(Color::hex(0x000000), Color::hex(0xffffff)),
            }],
            IDS_PER_PASS,
        );
        // Inscribed arcs lose at most the chord tolerance along the corners' length.
        let want = 800.0 - (4.0 - std::f32::consts::PI) * 25.0;
        let slack = CURVE_TOLERANCE * std::f32::consts::TAU * 5.0;
        let got = coverage(&m);
        assert!(got <= want + 0.5 && want - got < slack, "{got} vs {want}");
        let ring = |r: f32, s: f32| {
            run(
                vec![Prim::Circle {
                    cx: 50.0,
                    cy: 40.0,
                    r,
                    stroke: Some(s),
                    color: Color::hex(0xffffff),
                }],
                IDS_PER_PASS,
            )
        };
        let annulus =
            |r: f32, s: f32| std::f32::consts::PI * ((r + s / 2.0).powi(2) - (r - s / 2.0).powi(2));
        for (r, s) in [(30.0, 4.0), (30.0, 1.0), (12.0, 2.5)] {
            let got = coverage(&ring(r, s));
            assert!(
                (got - annulus(r, s)).abs() / annulus(r, s) < 0.02,
                "r {r} s {s}: {got}"
            );
        }
        // A 0.5 px ring puts down half the paint of a 1 px one.
        let thin = coverage(&ring(30.0, 0.5));
        assert!((thin - annulus(30.0, 1.0) / 2.0).abs() < 2.0, "{thin}");
    }

    #[test]
    fn polyline_coverage_is_length_times_width() {
        // A right angle, 4 px wide: two 10x4 rectangles plus a 2x2 miter corner = 84; the
        // pulled-in ends and their fringes keep the length.
        let m = run(
            vec![Prim::Polyline {
                points: vec![[10.0, 10.0], [20.0, 10.0], [20.0, 20.0]],
                width: 4.0,
                color: Color::hex(0xffffff),
                closed: false,
            }],
            IDS_PER_PASS,
        );
        assert!((coverage(&m) - 84.0).abs() < 1.0, "{}", coverage(&m));
        let xs: Vec<f32> = m.verts.iter().map(|v| f32::from_bits(v[0])).collect();
        assert!(
            xs.iter().any(|&x| (x - 22.5).abs() < 1e-4),
            "outer miter tip at 22.5"
        );
        // Hairlines: 0.5 px wide draws like 1 px at half alpha.
        let line = |w: f32| {
            coverage(&run(
                vec![Prim::Polyline {
                    points: vec![[10.0, 10.0], [60.0, 10.0]],
                    width: w,
                    color: Color::hex(0xffffff),
                    closed: false,
                }],
                IDS_PER_PASS,
            ))
        };
        assert!((line(1.0) - 50.0).abs() < 0.5, "{}", line(1.0));
        assert!((line(0.5) - 25.0).abs() < 0.5, "{}", line(0.5));
        assert!((line(3.0) - 150.0).abs() < 0.5, "{}", line(3.0));
    }

    #[test]
    fn opaque_grids_become_one_quad_over_their_colours() {
        let colors: Vec<Color> = (0..6)
            .map(|i| Color::rgba(i as f32 / 5.0, 0.5, 0.0, 1.0))
            .collect();
        let m = run(
            vec![
                Prim::Shade {
                    rect: [0.0, 0.0, 100.0, 80.0],
                    cols: 3,
                    rows: 2,
                    colors: colors.clone(),
                },
                // Malformed grids (no colours for a huge size) draw nothing and do not panic.
                Prim::Shade {
                    rect: [0.0, 0.0, 10.0, 10.0],
                    cols: 0,
                    rows: u32::MAX,
                    colors: Vec::new(),
                },
            ],
            IDS_PER_PASS,
        );
        assert_eq!(m.verts.len(), 4, "a quad, not 2x1 cells of triangles");
        assert_eq!(m.indices.len(), 6);
        assert_eq!(m.batches[0].kind, BatchKind::Grid);
        assert_eq!(m.grid_rows, 3, "two rows and the repeated last one");
        let w = GRID_TEX_W as usize;
        assert_eq!(m.grid[0], pack(colors[0]));
        assert_eq!(m.grid[3], pack(colors[2]), "the last column repeated");
        assert_eq!(m.grid[2 * w + 1], pack(colors[4]), "the last row repeated");
        // The quad's uv spans the grid's columns and rows.
        let uv = |v: &Vertex| [f32::from_bits(v[3]), f32::from_bits(v[4])];
        assert_eq!(uv(&m.verts[0]), [0.0, 0.0]);
        assert_eq!(uv(&m.verts[3]), [2.0, 1.0]);
        // A translucent grid stays triangles.
        let mut translucent = colors;
        translucent[0].a = 0.5;
        let m = run(
            vec![Prim::Shade {
                rect: [0.0, 0.0, 100.0, 80.0],
                cols: 3,
                rows: 2,
                colors: translucent,
            }],
            IDS_PER_PASS,
        );
        assert_eq!(m.verts.len(), 6);
        assert_eq!(m.batches[0].kind, BatchKind::Blend);
    }

    #[test]
    fn depth_ids_wrap_into_new_passes() {
        let m = run((0..5).map(|i| rect(i as f32, 1.0)).collect(), 2);
        let passes: Vec<u32> = m.batches.iter().map(|b| b.pass).collect();
        assert_eq!(passes, vec![0, 1, 2]);
        assert_eq!(m.passes(), 3);
    }

    #[test]
    fn offsets_follow_winding_and_cap_spikes() {
        let square = [[0.0, 0.0], [4.0, 0.0], [4.0, 4.0], [0.0, 4.0]];
        let mut o = Vec::new();
        ring_offsets(&square, &mut o);
        assert_eq!(o[0], [-1.0, -1.0], "outward at the top-left corner");
        let rev: Vec<_> = square.iter().rev().copied().collect();
        ring_offsets(&rev, &mut o);
        assert_eq!(o[3], [-1.0, -1.0], "same for the other winding");
        let spike = [[0.0, 0.0], [100.0, 1.0], [0.0, 2.0]];
        ring_offsets(&spike, &mut o);
        assert!(o
            .iter()
            .all(|v| v[0].hypot(v[1]) <= MAX_OFFSET_SCALE + 1e-4));
    }

    #[test]
    fn segment_counts_follow_radius() {
        assert_eq!(circle_segments(0.1), 8);
        assert!(circle_segments(10.0) >= 16);
        assert!(circle_segments(300.0) > circle_segments(30.0));
        assert_eq!(circle_segments(1e9), 1024);
    }
}
