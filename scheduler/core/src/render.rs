//! The seam between bulletin making and the GPU: a [`SegmentRenderer`] turns frames of a
//! storyboard into an MP4 segment. The core and the farm link no GPU code; the
//! `quakecast-pipeline` crate implements this trait on wgpu + ffmpeg, and tests may plug in their
//! own (the farm's tests render with ffmpeg alone).
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use quakecast_facts::Assets;
use quakecast_scenes::{AdapterPolicy, EncodeSettings, Storyboard};

use crate::error::Result;

/// Renders frames of a storyboard into an MP4 segment.
pub trait SegmentRenderer: Send + Sync {
    /// Render frames `frames` of `storyboard` (map data from `assets`) into the MP4 `out`,
    /// encoded with `encode`.
    fn render_segment(
        &self,
        storyboard: &Storyboard,
        assets: &Assets,
        frames: Range<u32>,
        encode: &EncodeSettings,
        out: &Path,
    ) -> Result<RenderedSegment>;
}

/// What rendering one segment cost and which adapter and font did it (for the task's result).
#[derive(Clone, Debug, PartialEq)]
pub struct RenderedSegment {
    pub render_secs: f64,
    pub encode_wait_secs: f64,
    pub adapter: String,
    pub adapter_backend: String,
    pub adapter_device_type: String,
    pub font: String,
}

/// How to build a renderer (GPU, font, map data) when a worker first needs one.
#[derive(Clone, Debug)]
pub struct RenderEnvSpec {
    pub data: PathBuf,
    pub font: Option<PathBuf>,
    pub adapter: AdapterPolicy,
}

/// Builds a [`SegmentRenderer`] from its spec the first time a worker needs one.
pub type RendererFactory =
    Arc<dyn Fn(&RenderEnvSpec) -> Result<Arc<dyn SegmentRenderer>> + Send + Sync>;
