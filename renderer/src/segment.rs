//! One segment of a bulletin: storyboard frames → GPU → I420 → ffmpeg → `<out>` (MP4).
use std::cell::RefCell;
use std::collections::VecDeque;
use std::ops::Range;
use std::path::Path;
use std::time::Instant;

use quakecast_facts::Assets;
use quakecast_scenes::Storyboard;

use crate::encode::{EncodeSettings, SegmentEncoder, SegmentReport};
use crate::error::RenderError;
use crate::font::Font;
use crate::frame::{FrameRenderer, Readback};
use crate::gpu::GpuContext;

/// Render frames `frames` of `storyboard` and encode them into `out`; what workers call.
///
/// Any worker can render any range: a frame depends only on the storyboard and its number.
/// `progress` is called with each frame number once its frame is handed to the encoder.
/// On error nothing is left at `out` (nor at `<out>.partial`).
///
/// The renderer is made with [`FrameRenderer::new`], on the resources `gpu` keeps for `font`
/// ([`GpuContext::resources`]): pipelines are built once per device, and the glyph atlas and
/// frame targets of the previous segment on this thread (or any finished one) are reused.
#[allow(clippy::too_many_arguments)] // the worker's one call; a struct would only rename these
pub fn render_segment(
    gpu: &GpuContext,
    font: &Font,
    storyboard: &Storyboard,
    assets: &Assets,
    frames: Range<u32>,
    encode: &EncodeSettings,
    out: &Path,
    progress: impl FnMut(u32),
) -> Result<SegmentReport, RenderError> {
    let mut renderer = FrameRenderer::new(gpu, encode.width, encode.height, font)?;
    render_segment_with(
        &mut renderer,
        storyboard,
        assets,
        frames,
        encode,
        out,
        progress,
    )
}

/// [`render_segment`] with a renderer kept between segments (one made with
/// [`FrameRenderer::with_resources`], say). The renderer's size must match `encode`.
pub fn render_segment_with(
    renderer: &mut FrameRenderer,
    storyboard: &Storyboard,
    assets: &Assets,
    frames: Range<u32>,
    encode: &EncodeSettings,
    out: &Path,
    mut progress: impl FnMut(u32),
) -> Result<SegmentReport, RenderError> {
    let s = storyboard.settings;
    if (s.width, s.height) != (encode.width, encode.height)
        || (renderer.width(), renderer.height()) != (encode.width, encode.height)
    {
        return Err(RenderError::invalid(
            "encode settings",
            format!(
                "{}x{} encoder, but the storyboard is {}x{} and the renderer {}x{}",
                encode.width,
                encode.height,
                s.width,
                s.height,
                renderer.width(),
                renderer.height()
            ),
        ));
    }
    if s.fps != encode.fps {
        return Err(RenderError::invalid(
            "encode settings",
            format!("{} fps encoder, storyboard at {} fps", encode.fps, s.fps),
        ));
    }
    if frames.is_empty() || frames.end > storyboard.total_frames {
        return Err(RenderError::invalid(
            "frames",
            format!(
                "{frames:?}: expected a non-empty range within 0..{}",
                storyboard.total_frames
            ),
        ));
    }
    let t0 = Instant::now();
    let mut encoder = SegmentEncoder::start(encode, out)?;
    let font = renderer.font().clone();
    let mut next = frames.start;
    // A run of frames with equal draw lists (a card that has settled, a held map) is rendered
    // once and its planes fed to the encoder again for each repeat: the pixels of a draw list
    // depend on nothing else, so the video is the same, byte for byte.
    let runs: RefCell<VecDeque<u32>> = RefCell::default();
    let mut source = frames
        .clone()
        .map(|n| storyboard.frame(n, assets, &font))
        .peekable();
    let lists = std::iter::from_fn(|| {
        let list = source.next()?;
        let mut run = 1u32;
        while source.peek() == Some(&list) {
            source.next();
            run += 1;
        }
        runs.borrow_mut().push_back(run);
        Some(list)
    });
    let mut rendered = 0u32;
    renderer.render_frames(lists, Readback::Yuv420p, |yuv| {
        let run = runs.borrow_mut().pop_front().unwrap_or(1);
        rendered += 1;
        for _ in 0..run {
            encoder.write_frame(&yuv)?;
            progress(next);
            next += 1;
        }
        Ok(())
    })?;
    let summary = encoder.finish()?;
    let total = t0.elapsed().as_secs_f64();
    Ok(SegmentReport {
        frames: summary.frames,
        rendered_frames: rendered,
        render_secs: (total - summary.wait_secs).max(0.0),
        encode_wait_secs: summary.wait_secs,
        bytes: summary.bytes,
    })
}
