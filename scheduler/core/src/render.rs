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

    /// A key for the segment file this renderer would make of `frames`: equal keys mean equal
    /// files, so a worker may reuse a stored segment instead of rendering it again (a revised
    /// report whose header changed but whose map did not). `None` (the default): never reuse.
    fn content_key(
        &self,
        _storyboard: &Storyboard,
        _assets: &Assets,
        _frames: Range<u32>,
        _encode: &EncodeSettings,
    ) -> Option<String> {
        None
    }
}

/// Bump when rendering changes what the same draw list looks like (shaders, anti-aliasing,
/// colour conversion, encoder options): segment files cached under an older epoch are then
/// never reused.
pub const SEGMENT_CACHE_EPOCH: u32 = 1;

/// SHA-256 (hex) of the segment's inputs: the epoch, the renderer's identity, the encoder
/// settings and each frame's draw list, in order. The frame numbers themselves are left out:
/// the same pictures at other times (a timeline shifted by whole segments) are the same file.
pub fn segment_content_key<I>(identity: &str, encode: &EncodeSettings, lists: I) -> String
where
    I: IntoIterator<Item = quakecast_scenes::DrawList>,
{
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(format!(
        "quakecast-segment/{SEGMENT_CACHE_EPOCH}/raw\n{identity}\n{} {} {} {} {} {}\n",
        encode.preset, encode.crf, encode.fps, encode.width, encode.height, encode.keyint
    ));
    // Each list's bytes as [`crate::rawser`] writes them: floats as their bits, not formatted
    // as decimals (a map frame holds tens of thousands of coordinates and a backdrop 5,335
    // colours; as JSON the key cost ~7 s for the 1137 frames of Luding). A list that would
    // not serialise hashes as far as it got plus a marker, which still separates it.
    let mut buf = Vec::new();
    for list in lists {
        buf.clear();
        if crate::rawser::append(&list, &mut buf).is_err() {
            buf.extend_from_slice(b"\0unserialisable");
        }
        h.update((buf.len() as u64).to_le_bytes());
        h.update(&buf);
    }
    let digest = h.finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
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
