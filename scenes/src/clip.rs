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
