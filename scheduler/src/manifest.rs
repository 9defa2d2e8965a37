//! The JSON manifest stored beside every bulletin: what went in, what came out, and how.
use chrono::{DateTime, Utc};
use quakecast_scenes::{Event, RenderSettings, SceneSpan};
use serde::Serialize;

use crate::plan::Segment;
use crate::store::StoredObject;

#[derive(Clone, Debug, Serialize)]
pub struct Manifest {
    pub schema: &'static str,
    pub quakecast_version: &'static str,
    pub created_at: DateTime<Utc>,
    /// The report exactly as received (parsed JSON when it is JSON, else a string).
    pub input_report: serde_json::Value,
    pub input_sha256: String,
    pub event: Event,
    pub settings: RenderSettings,
    pub storyboard: StoryboardSummary,
    pub encoder: EncoderSummary,
    pub segments: Vec<SegmentRecord>,
    pub outputs: Vec<StoredObject>,
    pub video: VideoSummary,
    pub tools: ToolVersions,
    pub timings: Timings,
}

#[derive(Clone, Debug, Serialize)]
pub struct StoryboardSummary {
    pub total_frames: u32,
    pub duration_secs: f64,
    pub scenes: Vec<SceneSpan>,
}

#[derive(Clone, Debug, Serialize)]
pub struct EncoderSummary {
    pub codec: &'static str,
    pub preset: String,
    pub crf: u32,
    pub pix_fmt: &'static str,
    pub container: &'static str,
    /// Why this preset: the figure that chose it.
    pub note: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub struct SegmentRecord {
    #[serde(flatten)]
    pub segment: Segment,
    pub worker: u32,
    pub render_secs: f64,
    pub encode_wait_secs: f64,
    pub wall_secs: f64,
    pub bytes: u64,
    pub sha256: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct VideoSummary {
    pub frames: u32,
    pub duration_secs: f64,
    pub width: u32,
    pub height: u32,
    pub codec: String,
    pub pix_fmt: String,
    pub sha256: String,
    pub bytes: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct ToolVersions {
    pub ffmpeg: String,
    pub adapter: String,
    pub adapter_backend: String,
    pub adapter_device_type: String,
    pub font: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Timings {
    pub storyboard_secs: f64,
    pub render_wall_secs: f64,
    pub audio_secs: f64,
    pub stitch_secs: f64,
    pub store_secs: f64,
    pub total_secs: f64,
}
