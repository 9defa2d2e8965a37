//! Segment planning: split a storyboard's frames into independently renderable ranges.
//!
//! Every segment starts on a keyframe and is encoded with identical settings, so the stitched file
//! is the concatenation of the segments without re-encoding. Segments are sized for the workers
//! that will render them: on one 2-core machine few segments gain little (RENDERING.md measured
//! 0–10 %), across GPU workers each segment is a unit of parallel work.

use std::ops::Range;

use serde::{Deserialize, Serialize};

/// One unit of render work.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    /// 0-based position in the bulletin.
    pub index: u32,
    /// First frame (inclusive).
    pub start: u32,
    /// One past the last frame.
    pub end: u32,
}

impl Segment {
    pub fn frames(&self) -> Range<u32> {
        self.start..self.end
    }

    pub fn len(&self) -> u32 {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

/// Split `total_frames` into at most `segments` contiguous ranges of near-equal length, each at
/// least `min_frames` long (except when the whole bulletin is shorter). Boundaries are rounded to
/// multiples of `align` frames (e.g. the frame rate, so joins fall on whole seconds).
pub fn plan_segments(
    total_frames: u32,
    segments: u32,
    min_frames: u32,
    align: u32,
) -> Vec<Segment> {
    if total_frames == 0 {
        return Vec::new();
    }
    let align = align.max(1);
    let by_min = (total_frames / min_frames.max(1)).max(1);
    let count = segments.clamp(1, by_min);
    let mut bounds = vec![0u32];
    for i in 1..count {
        let ideal = (u64::from(total_frames) * u64::from(i) / u64::from(count)) as u32;
        let snapped = ((ideal + align / 2) / align) * align;
        let prev = *bounds.last().unwrap_or(&0);
        if snapped > prev && snapped < total_frames {
            bounds.push(snapped);
        }
    }
    bounds.push(total_frames);
    bounds
        .windows(2)
        .enumerate()
        .map(|(i, w)| Segment {
            index: i as u32,
            start: w[0],
            end: w[1],
        })
        .collect()
}

/// [`plan_segments`] with a short first segment of `first` frames (rounded up to `align`), so a
/// player has the start of the bulletin as soon as one short render is done (the farm's
/// progressive HLS); the rest is split as [`plan_segments`] splits it into `segments - 1`.
/// Without room for it (one segment, or a bulletin shorter than `first + min_frames`) it is
/// [`plan_segments`].
pub fn plan_segments_fast_start(
    total_frames: u32,
    segments: u32,
    min_frames: u32,
    align: u32,
    first: u32,
) -> Vec<Segment> {
    let align = align.max(1);
    let first = first.max(1).div_ceil(align) * align;
    if segments < 2 || total_frames < first + min_frames.max(1) {
        return plan_segments(total_frames, segments, min_frames, align);
    }
    std::iter::once(Segment {
        index: 0,
        start: 0,
        end: first,
    })
    .chain(
        plan_segments(total_frames - first, segments - 1, min_frames, align)
            .into_iter()
            .map(|s| Segment {
                index: s.index + 1,
                start: s.start + first,
                end: s.end + first,
            }),
    )
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_cover(total: u32, segs: &[Segment]) {
        assert_eq!(segs.first().map(|s| s.start), Some(0));
        assert_eq!(segs.last().map(|s| s.end), Some(total));
        for w in segs.windows(2) {
            assert_eq!(w[0].end, w[1].start, "segments must be contiguous");
        }
        for (i, s) in segs.iter().enumerate() {
            assert_eq!(s.index as usize, i);
            assert!(!s.is_empty());
        }
    }

    #[test]
    fn covers_every_frame_once() {
        for total in [1, 29, 30, 31, 540, 541, 599, 600, 751] {
            for n in 1..=8 {
                let segs = plan_segments(total, n, 30, 30);
                check_cover(total, &segs);
                assert!(segs.len() as u32 <= n);
            }
        }
    }

    #[test]
    fn joins_are_aligned() {
        let segs = plan_segments(540, 4, 30, 30);
        assert_eq!(segs.len(), 4);
        for s in &segs[1..] {
            assert_eq!(s.start % 30, 0, "{s:?}");
        }
    }

    #[test]
    fn minimum_length_limits_count() {
        let segs = plan_segments(90, 8, 30, 1);
        assert_eq!(segs.len(), 3);
        assert!(plan_segments(0, 4, 30, 30).is_empty());
    }

    #[test]
    fn a_fast_start_has_a_short_first_segment_and_covers_the_rest() {
        let segs = plan_segments_fast_start(748, 4, 30, 30, 30);
        check_cover(748, &segs);
        assert_eq!(segs.len(), 4);
        assert_eq!((segs[0].start, segs[0].end), (0, 30));
        assert!(segs[1..].iter().all(|s| s.start % 30 == 0 && s.len() >= 30));
        // No room: the plain plan.
        assert_eq!(
            plan_segments_fast_start(40, 4, 30, 30, 30),
            plan_segments(40, 4, 30, 30)
        );
        assert_eq!(
            plan_segments_fast_start(748, 1, 30, 30, 30),
            plan_segments(748, 1, 30, 30)
        );
        assert_eq!(plan_segments(10, 4, 30, 30).len(), 1);
    }
}
