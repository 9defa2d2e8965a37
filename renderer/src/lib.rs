//! Draw lists → pixels with wgpu offscreen; frames → H.264 segments through ffmpeg.
//!
//! Video pipeline: [`GpuContext`] (one shared wgpu device; lavapipe allowed by
//! [`AdapterPolicy`]) → [`FrameRenderer`] (draw list → CPU tessellation with analytic AA →
//! GPU RGBA→I420 → pipelined readback) → [`SegmentEncoder`] (system ffmpeg, libx264, MP4
//! segments joinable with `-c copy`). [`render_segment`] ties them together for one frame range
//! of a [`quakecast_scenes::Storyboard`]. Text uses [`Font`], which is also the
//! [`quakecast_scenes::TextMeasure`] scenes lay text out with. Golden-frame comparison and synthetic
//! test scenes live in the `quakecast-testkit` crate, the audio in `quakecast-audio`.
//!
//! Environment: `QUAKECAST_FFMPEG` (ffmpeg path), `WGPU_BACKEND` (e.g. `gl`), and for tests
//! `QUAKECAST_UPDATE_GOLDEN=1`. No cargo features.

mod atlas;

pub mod encode;
pub mod error;
pub mod font;
pub mod frame;
pub mod gpu;
pub mod segment;
mod tessellate;
pub mod yuv;

pub use encode::{EncodeSettings, SegmentEncoder, SegmentReport};
pub use error::RenderError;
pub use font::{Font, DEFAULT_FONT_PATH};
pub use frame::{DeviceResources, FrameRenderer, PrefixStats, Readback};
pub use gpu::{AdapterPolicy, AdapterSummary, GpuContext};
pub use segment::{render_segment, render_segment_with};
