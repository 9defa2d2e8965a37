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
    /// The sound track, when the bulletin has one.
    pub audio: Option<AudioSummary>,
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

/// The sound track as mixed (measured before AAC encoding; the tests measure the MP4 too).
#[derive(Clone, Debug, Serialize)]
pub struct AudioSummary {
    pub lang: String,
    pub voice: String,
    pub mood: quakecast_renderer::audio::Mood,
    pub sample_rate: u32,
    pub duration_secs: f64,
    pub integrated_lufs: f64,
    pub true_peak_dbtp: f64,
    pub pcm_sha256: String,
    /// The speech of each cue, seconds: the subtitle times.
    pub cues: Vec<quakecast_scenes::narration::TimedCue>,
}

impl From<&quakecast_renderer::audio::AudioReport> for AudioSummary {
    fn from(a: &quakecast_renderer::audio::AudioReport) -> Self {
        Self {
            lang: a.lang.bcp47().to_string(),
            voice: a.voice.clone(),
            mood: a.mood,
            sample_rate: a.sample_rate,
            duration_secs: a.duration_secs,
            integrated_lufs: a.integrated_lufs,
            true_peak_dbtp: a.true_peak_dbtp,
            pcm_sha256: a.pcm_sha256.clone(),
            cues: a.segments.clone(),
        }
    }
}
