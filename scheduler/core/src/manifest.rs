//! The JSON manifest stored beside every bulletin: what went in, what came out, and how.
use chrono::{DateTime, Utc};
use quakecast_facts::Event;
use quakecast_scenes::narration::lang_for;
use quakecast_scenes::record::{bulletin_text, facts_record, push_copy, FactsRecord, PushCopy};
use quakecast_scenes::{RenderSettings, SceneSpan, Storyboard};

use crate::bulletin::FitReport;
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
    /// Every fact the video shows (place names, places with distance and bearing, intensity
    /// model and radii, history, elevation) with its source and method.
    pub facts: FactsRecord,
    /// How the speech was fitted to the magnitude band's length (`None`: planned elsewhere).
    pub fit: Option<FitReport>,
    /// The push copy (title ≤ 20 characters, body ≤ 60), also stored as `push.json`.
    pub push: PushCopy,
}

/// The facts record and push copy of a storyboard, in its bulletin's language: what both
/// manifest builders (one-shot render and farm stitch) write.
pub fn content_of(storyboard: &Storyboard) -> (FactsRecord, PushCopy) {
    let lang = lang_for(&storyboard.event, &storyboard.theme);
    (
        facts_record(&storyboard.event, &storyboard.facts, lang),
        push_copy(&storyboard.event, &storyboard.facts, lang),
    )
}

/// The text bulletin (`bulletin.md`) of a storyboard, in its language.
pub fn bulletin_md(storyboard: &Storyboard) -> String {
    let lang = lang_for(&storyboard.event, &storyboard.theme);
    bulletin_text(&storyboard.event, &storyboard.facts, lang)
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
    pub mood: quakecast_audio::Mood,
    pub sample_rate: u32,
    pub duration_secs: f64,
    pub integrated_lufs: f64,
    pub true_peak_dbtp: f64,
    pub pcm_sha256: String,
    /// The speech of each cue, seconds: the subtitle times.
    pub cues: Vec<quakecast_scenes::subtitles::TimedCue>,
}

impl From<&quakecast_audio::AudioReport> for AudioSummary {
    fn from(a: &quakecast_audio::AudioReport) -> Self {
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
