//! Screen-space clipping of projected geometry to a rectangle, so draw lists carry only what shows.
//!
//! Polygons use Sutherland–Hodgman (the window is convex, the subject may be concave); the result
//! can contain zero-width slivers along the window edge where a concave polygon leaves and comes
//! back, which fill nothing. Callers clip to a rectangle slightly larger than the visible panel
//! and add [`crate::Prim::Clip`] for the panel itself, so those edges are never seen.

/// `[x0, y0, x1, y1]`.
pub type Rect = [f32; 4];

/// Clip a closed polygon to `r`. Returns an empty vector when nothing is inside.
pub fn clip_polygon(pts: &[[f32; 2]], r: Rect) -> Vec<[f32; 2]> {
    // Fast paths: all inside, or all on the outer side of one edge.
    let (mut all_in, mut l, mut t, mut rt, mut b) = (true, true, true, true, true);
    for p in pts {
        let inside = p[0] >= r[0] && p[0] <= r[2] && p[1] >= r[1] && p[1] <= r[3];
        all_in &= inside;
        l &= p[0] < r[0];
        t &= p[1] < r[1];
        rt &= p[0] > r[2];
        b &= p[1] > r[3];
    }
    if all_in {
        return pts.to_vec();
    }
    if l || t || rt || b {
        return Vec::new();
    }
    let mut cur = pts.to_vec();
    let mut next = Vec::with_capacity(cur.len() + 8);
    for edge in 0..4 {
        next.clear();
        let inside = |p: &[f32; 2]| match edge {
            0 => p[0] >= r[0],
            1 => p[0] <= r[2],
            2 => p[1] >= r[1],
            _ => p[1] <= r[3],
        };
        let cross = |a: &[f32; 2], b: &[f32; 2]| -> [f32; 2] {
            let (v, ai, bi) = match edge {
                0 => (r[0], a[0], b[0]),
                1 => (r[2], a[0], b[0]),
                2 => (r[1], a[1], b[1]),
                _ => (r[3], a[1], b[1]),
            };
            let t = (v - ai) / (bi - ai);
            if edge < 2 {
                [v, a[1] + t * (b[1] - a[1])]
            } else {
                [a[0] + t * (b[0] - a[0]), v]
            }
        };
        let n = cur.len();
        for i in 0..n {
            let (a, b) = (&cur[(i + n - 1) % n], &cur[i]);
            match (inside(a), inside(b)) {
                (true, true) => next.push(*b),
                (true, false) => next.push(cross(a, b)),
                (false, true) => {
                    next.push(cross(a, b));
                    next.push(*b);
                }
                (false, false) => {}
            }
        }
        std::mem::swap(&mut cur, &mut next);
        if cur.is_empty() {
            break;
        }
    }
    if cur.len() < 3 {
        cur.clear();
    }
    cur
}

/// Clip a polyline (closed: the last point joins the first) to `r`: the visible runs.
pub fn clip_polyline(pts: &[[f32; 2]], closed: bool, r: Rect) -> Vec<Vec<[f32; 2]>> {
    let mut runs: Vec<Vec<[f32; 2]>> = Vec::new();
    if pts.len() < 2 {
        return runs;
    }
    let inside = |p: &[f32; 2]| p[0] >= r[0] && p[0] <= r[2] && p[1] >= r[1] && p[1] <= r[3];
    if pts.iter().all(inside) {
        let mut v = pts.to_vec();
        if closed {
            v.push(pts[0]);
        }
        runs.push(v);
        return runs;
    }
    let n = pts.len();
    let segs = if closed { n } else { n - 1 };
    let mut cur: Vec<[f32; 2]> = Vec::new();
    for i in 0..segs {
        let (a, b) = (pts[i], pts[(i + 1) % n]);
        match clip_segment(a, b, r) {
            Some((p, q, a_in, b_in)) => {
                if !a_in || cur.is_empty() {
                    if cur.len() >= 2 {
                        runs.push(std::mem::take(&mut cur));
                    }
                    cur.clear();
                    cur.push(p);
                }
                cur.push(q);
                if !b_in {
                    runs.push(std::mem::take(&mut cur));
                }
            }
            None => {
                if cur.len() >= 2 {
                    runs.push(std::mem::take(&mut cur));
                }
                cur.clear();
            }
        }
    }
    if cur.len() >= 2 {
        runs.push(cur);
    }
    // A closed ring starting inside: join the last run onto the first.
    if closed && runs.len() >= 2 && inside(&pts[0]) {
        let first_starts_at_0 = runs[0].first() == Some(&pts[0]);
        let last_ends_at_0 = runs.last().and_then(|l| l.last()) == Some(&pts[0]);
        if first_starts_at_0 && last_ends_at_0 {
            let first = runs.remove(0);
            if let Some(last) = runs.last_mut() {
                last.extend(first.into_iter().skip(1));
            }
        }
    }
    runs
}

/// Liang–Barsky: the visible part of segment a→b, and whether each end was inside.
fn clip_segment(a: [f32; 2], b: [f32; 2], r: Rect) -> Option<([f32; 2], [f32; 2], bool, bool)> {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let (mut t0, mut t1) = (0.0f32, 1.0f32);
    for (p, q) in [
        (-dx, a[0] - r[0]),
        (dx, r[2] - a[0]),
        (-dy, a[1] - r[1]),
        (dy, r[3] - a[1]),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                if t > t1 {
                    return None;
                }
                t0 = t0.max(t);
            } else {
                if t < t0 {
                    return None;
                }
                t1 = t1.min(t);
            }
        }
    }
    let p = [a[0] + t0 * dx, a[1] + t0 * dy];
    let q = [a[0] + t1 * dx, a[1] + t1 * dy];
    Some((p, q, t0 == 0.0, t1 == 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    const R: Rect = [0.0, 0.0, 10.0, 10.0];

    fn area(p: &[[f32; 2]]) -> f32 {
        let n = p.len();
        (0..n)
            .map(|i| p[i][0] * p[(i + 1) % n][1] - p[(i + 1) % n][0] * p[i][1])
            .sum::<f32>()
            .abs()
            / 2.0
    }

    #[test]
    fn polygon_inside_outside_and_partial() {
        let sq = [[1.0, 1.0], [4.0, 1.0], [4.0, 4.0], [1.0, 4.0]];
        assert_eq!(clip_polygon(&sq, R), sq.to_vec());
        let far = [[20.0, 1.0], [24.0, 1.0], [24.0, 4.0]];
        assert!(clip_polygon(&far, R).is_empty());
        let big = [[-5.0, -5.0], [5.0, -5.0], [5.0, 5.0], [-5.0, 5.0]];
        let c = clip_polygon(&big, R);
        assert!((area(&c) - 25.0).abs() < 1e-4, "{c:?}");
        let cover = [[-50.0, -50.0], [50.0, -50.0], [50.0, 50.0], [-50.0, 50.0]];
        assert!((area(&clip_polygon(&cover, R)) - 100.0).abs() < 1e-3);
        for p in c {
            assert!(p[0] >= 0.0 && p[0] <= 10.0 && p[1] >= 0.0 && p[1] <= 10.0);
        }
    }

    #[test]
    fn polyline_runs() {
        // In, out, in again: two runs.
        let line = [[1.0, 5.0], [15.0, 5.0], [15.0, 8.0], [2.0, 8.0]];
        let runs = clip_polyline(&line, false, R);
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0], vec![[1.0, 5.0], [10.0, 5.0]]);
        assert_eq!(runs[1], vec![[10.0, 8.0], [2.0, 8.0]]);
        // Passing through without a vertex inside.
        let through = [[-5.0, 5.0], [15.0, 5.0]];
        assert_eq!(
            clip_polyline(&through, false, R),
            vec![vec![[0.0, 5.0], [10.0, 5.0]]]
        );
        // Closed ring starting inside and leaving once: one run, joined across the start.
        let ring = [[5.0, 5.0], [20.0, 5.0], [20.0, 7.0], [5.0, 7.0]];
        let runs = clip_polyline(&ring, true, R);
        assert_eq!(runs.len(), 1, "{runs:?}");
        assert_eq!(
            runs[0],
            vec![[10.0, 7.0], [5.0, 7.0], [5.0, 5.0], [10.0, 5.0]]
        );
        assert!(clip_polyline(&[[20.0, 20.0], [30.0, 30.0]], false, R).is_empty());
    }
}

/// A convex region of the sphere around a view centre: the intersection of four hemispheres
/// whose great circles pass `alpha` east, west, north and south of the centre. It contains the
/// cap of radius `alpha` around the centre.
///
/// Why clip on the sphere before projecting: the azimuthal equidistant projection tears at the
/// antipode of the view centre. A land ring that surrounds that antipode (Afro-Eurasia seen
/// from Fiji, whose antipode is in Africa) projects to a curve around the outer rim of the
/// map, and filling it paints the whole panel as land. Clipped to this region first, every
/// point drawn is within ~70° of the centre, where the projection is well behaved.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SphereRegion {
    /// Inside is `dot(p, n) >= 0` for every plane normal `n`.
    planes: [[f32; 3]; 4],
    /// Cosine of `alpha`, for the fast "whole cap inside" test.
    alpha: f64,
    center: [f64; 3],
}

/// Edges longer than this (radians) are subdivided after clipping, so that boundary edges
/// follow their great circles once projected.
const MAX_EDGE_RAD: f32 = 0.035;

impl SphereRegion {
    /// The region around `center` (unit vector) with east/north unit tangents `east`, `north`;
    /// `alpha` in radians, capped at 75°.
    pub fn new(center: [f64; 3], east: [f64; 3], north: [f64; 3], alpha: f64) -> Self {
        let alpha = alpha.min(75f64.to_radians());
        let (s, c) = (alpha.sin(), alpha.cos());
        let plane = |t: [f64; 3], sign: f64| -> [f32; 3] {
            [
                (s * center[0] + sign * c * t[0]) as f32,
                (s * center[1] + sign * c * t[1]) as f32,
                (s * center[2] + sign * c * t[2]) as f32,
            ]
        };
        Self {
            planes: [
                plane(east, -1.0),
                plane(east, 1.0),
                plane(north, -1.0),
                plane(north, 1.0),
            ],
            alpha,
            center,
        }
    }

    /// The region around a view's centre.
    pub fn around(view: &crate::projection::View, alpha: f64) -> Self {
        let (c, e, n) = view.basis();
        Self::new(c, e, n, alpha)
    }

    /// Whether a cap (centre unit vector, radius in radians) lies wholly inside the region.
    pub fn contains_cap(&self, cap_center: [f32; 3], cap_radius: f32) -> bool {
        let d = self.center[0] * f64::from(cap_center[0])
            + self.center[1] * f64::from(cap_center[1])
            + self.center[2] * f64::from(cap_center[2]);
        d.clamp(-1.0, 1.0).acos() + f64::from(cap_radius) <= self.alpha
    }

    fn dot(n: &[f32; 3], p: &[f32; 3]) -> f32 {
        n[0] * p[0] + n[1] * p[1] + n[2] * p[2]
    }

    /// Clip a closed ring of unit vectors (Sutherland–Hodgman against the four planes), then
    /// subdivide long edges. Points may come back slightly off the unit sphere (chords);
    /// [`crate::projection::View::project_f32`] does not need unit length.
    pub fn clip_ring(&self, pts: &[[f32; 3]]) -> Vec<[f32; 3]> {
        let mut cur = pts.to_vec();
        let mut next = Vec::with_capacity(pts.len() + 8);
        for n in &self.planes {
            if cur.iter().all(|p| Self::dot(n, p) >= 0.0) {
                continue;
            }
            next.clear();
            let len = cur.len();
            for i in 0..len {
                let (a, b) = (cur[(i + len - 1) % len], cur[i]);
                let (da, db) = (Self::dot(n, &a), Self::dot(n, &b));
                let cross = || {
                    let t = da / (da - db);
                    [
                        a[0] + t * (b[0] - a[0]),
                        a[1] + t * (b[1] - a[1]),
                        a[2] + t * (b[2] - a[2]),
                    ]
                };
                match (da >= 0.0, db >= 0.0) {
                    (true, true) => next.push(b),
                    (true, false) => next.push(cross()),
                    (false, true) => {
                        next.push(cross());
                        next.push(b);
                    }
                    (false, false) => {}
                }
            }
            std::mem::swap(&mut cur, &mut next);
            if cur.len() < 3 {
                return Vec::new();
            }
        }
        subdivide(&cur, true)
    }

    /// Clip a line (closed: last point joins the first) to the region: the runs inside.
    pub fn clip_line(&self, pts: &[[f32; 3]], closed: bool) -> Vec<Vec<[f32; 3]>> {
        let mut runs = Vec::new();
        let n = pts.len();
        if n < 2 {
            return runs;
        }
        let segs = if closed { n } else { n - 1 };
        let mut cur: Vec<[f32; 3]> = Vec::new();
        for i in 0..segs {
            let (a, b) = (pts[i], pts[(i + 1) % n]);
            let (mut t0, mut t1) = (0.0f32, 1.0f32);
            for pl in &self.planes {
                let (da, db) = (Self::dot(pl, &a), Self::dot(pl, &b));
                if da < 0.0 && db < 0.0 {
                    t0 = 1.0;
                    t1 = 0.0;
                    break;
                }
                if da < 0.0 {
                    t0 = t0.max(da / (da - db));
                } else if db < 0.0 {
                    t1 = t1.min(da / (da - db));
                }
            }
            if t0 > t1 {
                if cur.len() >= 2 {
                    runs.push(std::mem::take(&mut cur));
                }
                cur.clear();
                continue;
            }
            let at = |t: f32| {
                [
                    a[0] + t * (b[0] - a[0]),
                    a[1] + t * (b[1] - a[1]),
                    a[2] + t * (b[2] - a[2]),
                ]
            };
            if t0 > 0.0 || cur.is_empty() {
                if cur.len() >= 2 {
                    runs.push(std::mem::take(&mut cur));
                }
                cur.clear();
                cur.push(at(t0));
            }
            cur.push(at(t1));
            if t1 < 1.0 {
                runs.push(std::mem::take(&mut cur));
            }
        }
        if cur.len() >= 2 {
            runs.push(cur);
        }
        runs.into_iter().map(|r| subdivide(&r, false)).collect()
    }
}

/// Insert points along edges longer than [`MAX_EDGE_RAD`] (chord interpolation: projected,
/// the points lie on the great circle through the edge's ends).
fn subdivide(pts: &[[f32; 3]], closed: bool) -> Vec<[f32; 3]> {
    let n = pts.len();
    let mut out = Vec::with_capacity(n);
    let segs = if closed { n } else { n.saturating_sub(1) };
    for i in 0..n {
        out.push(pts[i]);
        if i >= segs {
            break;
        }
        let (a, b) = (pts[i], pts[(i + 1) % n]);
        let d = ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt();
        if d > MAX_EDGE_RAD {
            let k = (d / MAX_EDGE_RAD).ceil() as usize;
            for j in 1..k {
                let t = j as f32 / k as f32;
                out.push([
                    a[0] + t * (b[0] - a[0]),
                    a[1] + t * (b[1] - a[1]),
                    a[2] + t * (b[2] - a[2]),
                ]);
            }
        }
    }
    out
}

#[cfg(test)]
mod sphere_tests {
    use super::*;
    use crate::projection::{unit, View};

    fn u(lon: f64, lat: f64) -> [f32; 3] {
        let v = unit(lon, lat);
        [v[0] as f32, v[1] as f32, v[2] as f32]
    }

    fn region(lon: f64, lat: f64, alpha_deg: f64) -> (SphereRegion, View) {
        let v = View::new((lon, lat), 10.0, 0.0, 0.0);
        (SphereRegion::around(&v, alpha_deg.to_radians()), v)
    }

    #[test]
    fn ring_around_the_antipode_does_not_cover_the_view() {
        // Seen from Fiji, a big ring around its antipode in Africa.
        let (r, v) = region(-178.2, -17.9, 40.0);
        let ring: Vec<[f32; 3]> = (0..72)
            .map(|i| {
                let (lon, lat) = crate::projection::destination(1.8, 17.9, i as f64 * 5.0, 9000.0);
                u(lon, lat)
            })
            .collect();
        // 9,000 km around the antipode stays > 80° from Fiji: nothing of it is in the region.
        assert!(r.clip_ring(&ring).is_empty());
        // Unclipped, its projection would surround the view centre.
        let proj: Vec<[f32; 2]> = ring.iter().map(|p| v.project_f32(*p)).collect();
        let winding: f32 = (0..proj.len())
            .map(|i| {
                let (a, b) = (proj[i], proj[(i + 1) % proj.len()]);
                (a[0] * b[1] - a[1] * b[0]).atan2(a[0] * b[0] + a[1] * b[1])
            })
            .sum();
        assert!(
            winding.abs() > 6.0,
            "the projected ring winds around the centre"
        );
    }

    #[test]
    fn ring_crossing_the_region_is_cut_to_it() {
        let (r, v) = region(100.0, 30.0, 10.0);
        // A 40°×40° box centred on the view: clipped to about the region's 20°×20° box.
        let mut ring = Vec::new();
        for i in 0..=40 {
            ring.push(u(80.0 + i as f64, 10.0));
        }
        for i in 0..=40 {
            ring.push(u(120.0, 10.0 + i as f64));
        }
        for i in 0..=40 {
            ring.push(u(120.0 - i as f64, 50.0));
        }
        for i in 0..=40 {
            ring.push(u(80.0, 50.0 - i as f64));
        }
        let c = r.clip_ring(&ring);
        assert!(c.len() >= 4);
        let limit = 10.0f64.to_radians() * crate::projection::EARTH_RADIUS_KM / 10.0;
        for p in &c {
            let q = v.project_f32(*p);
            let d = f64::from(q[0].hypot(q[1]));
            assert!(d <= limit * 1.5, "{d} px beyond {limit}");
        }
        // The centre is still covered: winding number 1 around it.
        let proj: Vec<[f32; 2]> = c.iter().map(|p| v.project_f32(*p)).collect();
        let winding: f32 = (0..proj.len())
            .map(|i| {
                let (a, b) = (proj[i], proj[(i + 1) % proj.len()]);
                (a[0] * b[1] - a[1] * b[0]).atan2(a[0] * b[0] + a[1] * b[1])
            })
            .sum();
        assert!((winding.abs() - std::f32::consts::TAU).abs() < 0.01);
    }

    #[test]
    fn lines_are_cut_into_runs() {
        let (r, _) = region(0.0, 0.0, 10.0);
        let line: Vec<[f32; 3]> = (0..=60).map(|i| u(-30.0 + i as f64, 0.0)).collect();
        let runs = r.clip_line(&line, false);
        assert_eq!(runs.len(), 1);
        let far: Vec<[f32; 3]> = (0..=10).map(|i| u(100.0 + i as f64, 0.0)).collect();
        assert!(r.clip_line(&far, false).is_empty());
        assert!(r.contains_cap(u(1.0, 1.0), 0.05));
        assert!(!r.contains_cap(u(9.0, 0.0), 0.05));
    }
}
