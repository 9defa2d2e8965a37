//! Draw list → one triangle mesh per frame (CPU), split into scissor batches.
//!
//! Every primitive gets its own depth value, decreasing in painter's order, and the pipeline
//! draws with depth test `Less` and depth writes on. A sample is therefore written at most once
//! per primitive: where a translucent polyline's segment quads and join wedges overlap, or a
//! ring's triangles meet, the colour is blended once, as an SVG stroke would be. Later
//! primitives have smaller depth and always pass. This lets the tessellator use simple,
//! overlapping geometry (quads per segment plus join wedges) without double-blending seams.
//! Each glyph is its own "primitive" so neighbouring glyph boxes do not clip each other.
use std::ops::Range;

use quakecast_scenes::{Align, Color, DrawList, Fill, Prim, Text};

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

/// Triangles of one scissor rectangle, drawn in one call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Batch {
    /// `[x, y, w, h]` in pixels, inside the frame and non-empty.
    pub scissor: [u32; 4],
    pub indices: Range<u32>,
    /// Render pass number: the depth buffer is cleared between passes.
    pub pass: u32,
}

#[derive(Default)]
pub(crate) struct Mesh {
    pub verts: Vec<Vertex>,
    pub indices: Vec<u32>,
    pub batches: Vec<Batch>,
}

impl Mesh {
    pub fn passes(&self) -> u32 {
        self.batches.last().map(|b| b.pass + 1).unwrap_or(1)
    }
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
    batch_start: u32,
    glyphs: Vec<PlacedGlyph>,
    scratch: Vec<[f32; 2]>,
}

fn pack(c: Color) -> u32 {
    let q = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u32;
    q(c.r) | q(c.g) << 8 | q(c.b) << 16 | q(c.a) << 24
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
/// reads as the right weight and does not break up into MSAA dots.
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
        Tessellator {
            mesh,
            font,
            atlas,
            width,
            height,
            ids_per_pass: IDS_PER_PASS,
            id: 0,
            pass: 0,
            z: 1.0,
            scissor: Some([0, 0, width, height]),
            batch_start: 0,
            glyphs: Vec::new(),
            scratch: Vec::new(),
        }
    }

    #[cfg(test)]
    fn with_ids_per_pass(mut self, n: u32) -> Self {
        self.ids_per_pass = n;
        self
    }

    /// Tessellate every primitive of `list` (whose size must match the tessellator's).
    pub fn run(mut self, list: &DrawList) -> Result<(), RenderError> {
        for prim in &list.prims {
            self.prim(prim)?;
        }
        self.close_batch();
        Ok(())
    }

    fn close_batch(&mut self) {
        let end = self.mesh.indices.len() as u32;
        if end > self.batch_start {
            if let Some(scissor) = self.scissor {
                self.mesh.batches.push(Batch {
                    scissor,
                    indices: self.batch_start..end,
                    pass: self.pass,
                });
            }
        }
        self.batch_start = end;
    }

    /// Start a primitive: its own depth value (and a new pass when ids run out).
    fn begin(&mut self) {
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

    fn tri(&mut self, a: u32, b: u32, c: u32) {
        self.mesh.indices.extend_from_slice(&[a, b, c]);
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
        if r < 0.05 {
            let (ct, cb) = (pack(top), pack(bottom));
            let a = self.solid([x, y], ct);
            let b = self.solid([x + w, y], ct);
            let c = self.solid([x + w, y + h], cb);
            let d = self.solid([x, y + h], cb);
            self.tri(a, b, c);
            self.tri(a, c, d);
            return;
        }
        // Convex outline with quarter-circle corners, fanned from the centre. Colours are
        // linear in y, which barycentric interpolation reproduces exactly.
        let n = (circle_segments(r) / 4).max(2);
        let corners = [
            ([x + w - r, y + r], -90.0f32),
            ([x + w - r, y + h - r], 0.0),
            ([x + r, y + h - r], 90.0),
            ([x + r, y + r], 180.0),
        ];
        let centre = [x + w / 2.0, y + h / 2.0];
        let c0 = self.solid(centre, at(centre[1]));
        let first = self.mesh.verts.len() as u32;
        for (c, start) in corners {
            for k in 0..=n {
                let a = (start + 90.0 * k as f32 / n as f32).to_radians();
                let p = [c[0] + r * a.cos(), c[1] + r * a.sin()];
                self.solid(p, at(p[1]));
            }
        }
        let last = self.mesh.verts.len() as u32;
        for i in first..last {
            let j = if i + 1 == last { first } else { i + 1 };
            self.tri(c0, i, j);
        }
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
        let (sin, cos) = angle.sin_cos();
        let point = |t: f32, ax: f32, ay: f32| {
            let (x, y) = (ax * t.cos(), ay * t.sin());
            [c[0] + x * cos - y * sin, c[1] + x * sin + y * cos]
        };
        match stroke {
            None => {
                self.begin();
                let col = pack(color);
                let n = circle_segments(rx.max(ry));
                let centre = self.solid(c, col);
                let first = self.mesh.verts.len() as u32;
                for k in 0..n {
                    let t = std::f32::consts::TAU * k as f32 / n as f32;
                    self.solid(point(t, rx, ry), col);
                }
                for k in 0..n {
                    self.tri(centre, first + k, first + (k + 1) % n);
                }
            }
            Some(s) => {
                if !positive(s) {
                    return;
                }
                let (s, color) = hairline(s, color);
                let (ix, iy) = (rx - s / 2.0, ry - s / 2.0);
                if ix <= 0.0 || iy <= 0.0 {
                    return self.ellipse(c, rx + s / 2.0, ry + s / 2.0, angle, None, color);
                }
                self.begin();
                let col = pack(color);
                let (ox, oy) = (rx + s / 2.0, ry + s / 2.0);
                let n = circle_segments(ox.max(oy));
                let first = self.mesh.verts.len() as u32;
                for k in 0..n {
                    let t = std::f32::consts::TAU * k as f32 / n as f32;
                    self.solid(point(t, ix, iy), col);
                    self.solid(point(t, ox, oy), col);
                }
                for k in 0..n {
                    let (i0, o0) = (first + 2 * k, first + 2 * k + 1);
                    let (i1, o1) = (first + 2 * ((k + 1) % n), first + 2 * ((k + 1) % n) + 1);
                    self.tri(i0, o0, o1);
                    self.tri(i0, o1, i1);
                }
            }
        }
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
        let col = pack(color);
        self.begin();
        let n = p.len();
        let segs = if closed { n } else { n - 1 };
        let dir = |i: usize| {
            let (a, b) = (p[i], p[(i + 1) % n]);
            let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
            let l = dx.hypot(dy);
            [dx / l, dy / l]
        };
        for i in 0..segs {
            let (a, b) = (p[i], p[(i + 1) % n]);
            let d = dir(i);
            let nrm = [-d[1] * hw, d[0] * hw];
            let v0 = self.solid([a[0] + nrm[0], a[1] + nrm[1]], col);
            let v1 = self.solid([b[0] + nrm[0], b[1] + nrm[1]], col);
            let v2 = self.solid([b[0] - nrm[0], b[1] - nrm[1]], col);
            let v3 = self.solid([a[0] - nrm[0], a[1] - nrm[1]], col);
            self.tri(v0, v1, v2);
            self.tri(v0, v2, v3);
        }
        let joins = if closed { 0..n } else { 1..n - 1 };
        for j in joins {
            let d0 = dir((j + n - 1) % n);
            let d1 = dir(j);
            self.join(p[j], d0, d1, hw, col);
        }
    }

    /// Fill the wedge on the outer side of the corner at `c` between a segment arriving in
    /// direction `d0` and one leaving in `d1` (unit vectors).
    fn join(&mut self, c: [f32; 2], d0: [f32; 2], d1: [f32; 2], hw: f32, col: u32) {
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
        let at = |v: [f32; 2], k: f32| [c[0] + v[0] * k, c[1] + v[1] * k];
        let m = [o0[0] + o1[0], o0[1] + o1[1]];
        let ml = m[0].hypot(m[1]);
        let centre = self.solid(c, col);
        let a = self.solid(at(o0, hw), col);
        if ml > 1e-4 {
            let m = [m[0] / ml, m[1] / ml];
            let cos_half = m[0] * o0[0] + m[1] * o0[1];
            if cos_half > 1.0 / MITER_LIMIT {
                let tip = self.solid(at(m, hw / cos_half), col);
                let b = self.solid(at(o1, hw), col);
                self.tri(centre, a, tip);
                self.tri(centre, tip, b);
                return;
            }
        }
        if hw < 1.5 {
            let b = self.solid(at(o1, hw), col);
            self.tri(centre, a, b);
            return;
        }
        // Round: sweep from o0 to o1 the short way; for a U-turn, the way through d0.
        let a0 = o0[1].atan2(o0[0]);
        let mut sweep = o1[1].atan2(o1[0]) - a0;
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
        let steps = ((circle_segments(hw) as f32 * sweep.abs() / std::f32::consts::TAU).ceil()
            as u32)
            .max(1);
        let mut prev = a;
        for k in 1..=steps {
            let t = a0 + sweep * k as f32 / steps as f32;
            let v = self.solid(at([t.cos(), t.sin()], hw), col);
            self.tri(centre, prev, v);
            prev = v;
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
                    let first = self.mesh.verts.len() as u32;
                    for q in &p {
                        self.solid(*q, col);
                    }
                    self.mesh
                        .indices
                        .extend(tris.iter().map(|&i| first + i as u32));
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

    fn area(mesh: &Mesh, idx: &[u32]) -> f32 {
        let p = |i: u32| {
            let v = mesh.verts[i as usize];
            (f32::from_bits(v[0]), f32::from_bits(v[1]))
        };
        idx.chunks(3)
            .map(|t| {
                let (a, b, c) = (p(t[0]), p(t[1]), p(t[2]));
                ((b.0 - a.0) * (c.1 - a.1) - (c.0 - a.0) * (b.1 - a.1)).abs() / 2.0
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
    fn rect_is_two_triangles_with_decreasing_depth() {
        let m = run(vec![rect(0.0, 1.0), rect(20.0, 1.0)], IDS_PER_PASS);
        assert_eq!(m.verts.len(), 8);
        assert_eq!(m.indices.len(), 12);
        let z = |i: usize| f32::from_bits(m.verts[i][2]);
        assert!(z(0) < 1.0 && z(4) < z(0));
        assert_eq!(m.verts[0][5], 0xff00_00ff, "RGBA8 with red in the low byte");
        assert_eq!(area(&m, &m.indices[..6]), 100.0);
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
        assert_eq!(m.verts.len(), 12, "the prim in the empty clip is dropped");
    }

    #[test]
    fn concave_polygon_area_is_exact() {
        // An L shape: 10x10 square minus a 5x5 corner = 75.
        let m = run(
            vec![Prim::Polygon {
                points: vec![
                    [0.0, 0.0],
                    [10.0, 0.0],
                    [10.0, 5.0],
                    [5.0, 5.0],
                    [5.0, 10.0],
                    [0.0, 10.0],
                    [0.0, 0.0],
                ],
                color: Color::hex(0x336699),
            }],
            IDS_PER_PASS,
        );
        assert_eq!(m.verts.len(), 6, "closing point dropped");
        assert!((area(&m, &m.indices) - 75.0).abs() < 1e-3);
    }

    #[test]
    fn rounded_rect_and_disc_areas_match_geometry() {
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
        let got = area(&m, &m.indices);
        assert!(
            got <= want && want - got < slack,
            "{}",
            area(&m, &m.indices)
        );
        let m = run(
            vec![Prim::Circle {
                cx: 50.0,
                cy: 40.0,
                r: 30.0,
                stroke: Some(4.0),
                color: Color::hex(0xffffff),
            }],
            IDS_PER_PASS,
        );
        let want = std::f32::consts::PI * (32.0f32.powi(2) - 28.0f32.powi(2));
        assert!((area(&m, &m.indices) - want).abs() / want < 0.01);
    }

    #[test]
    fn polyline_joins_fill_corners_with_a_miter() {
        // A right angle, 4 px wide: two 10x4 quads plus a 2x2 miter corner square = 84.
        let m = run(
            vec![Prim::Polyline {
                points: vec![[10.0, 10.0], [20.0, 10.0], [20.0, 20.0]],
                width: 4.0,
                color: Color::hex(0xffffff),
                closed: false,
            }],
            IDS_PER_PASS,
        );
        assert!(
            (area(&m, &m.indices) - 84.0).abs() < 1e-3,
            "{}",
            area(&m, &m.indices)
        );
        let xs: Vec<f32> = m.verts.iter().map(|v| f32::from_bits(v[0])).collect();
        assert!(
            xs.iter().any(|&x| (x - 22.0).abs() < 1e-4),
            "miter tip at x = 22"
        );
    }

    #[test]
    fn depth_ids_wrap_into_new_passes() {
        let m = run((0..5).map(|i| rect(i as f32, 1.0)).collect(), 2);
        let passes: Vec<u32> = m.batches.iter().map(|b| b.pass).collect();
        assert_eq!(passes, vec![0, 1, 2]);
        assert_eq!(m.passes(), 3);
    }

    #[test]
    fn segment_counts_follow_radius() {
        assert_eq!(circle_segments(0.1), 8);
        assert!(circle_segments(10.0) >= 16);
        assert!(circle_segments(300.0) > circle_segments(30.0));
        assert_eq!(circle_segments(1e9), 1024);
    }
}
