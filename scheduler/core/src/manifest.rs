//! The JSON manifest stored beside every bulletin: what went in, what came out, and how.
use chrono::{DateTime, Utc};
use quakecast_facts::Event;
use quakecast_scenes::narration::lang_for;
use quakecast_scenes::record::{bulletin_text, facts_record, push_copy, FactsRecord, PushCopy};
use quakecast_scenes::{RenderSettings, SceneSpan, Storyboard};

use crate::bulletin::FitReport;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::media::VideoProbe;
use crate::plan::Segment;
use crate::store::{BulletinKeys, ObjectStore, StoredObject};

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
    /// The material library's assets the bulletin used (background, closing card, music
    /// bed): library, file, SHA-256, licence, source, and the tags that chose each.
    pub materials: Vec<quakecast_scenes::backdrop::UsedMaterial>,
}

/// The renderer that made a bulletin's frames (from the GPU context or the segment results).
#[derive(Clone, Debug, Default)]
pub struct RendererInfo {
    pub adapter: String,
    pub adapter_backend: String,
    pub adapter_device_type: String,
    pub font: String,
}

/// Everything a bulletin maker knows once its video is stitched: the one input of
/// [`Manifest::build`], which both makers (the one-shot `render` pipeline and the farm's stitch
/// task) call, so their manifests differ only in what they measured.
pub struct ManifestParts<'a> {
    /// The report exactly as received.
    pub report: &'a [u8],
    /// The storyboard as rendered (its event, facts, theme and subtitles).
    pub storyboard: &'a Storyboard,
    pub settings: RenderSettings,
    pub preset: String,
    pub crf: u32,
    /// How the segments were made and joined, for the encoder summary.
    pub encoder_note: &'static str,
    pub segments: Vec<SegmentRecord>,
    /// The stitched video as ffprobe reads it, its SHA-256 and size.
    pub probe: &'a VideoProbe,
    pub video_sha256: String,
    pub video_bytes: u64,
    pub audio: Option<AudioSummary>,
    pub renderer: RendererInfo,
    pub timings: Timings,
    pub fit: Option<FitReport>,
    /// Objects already stored (the video first).
    pub outputs: Vec<StoredObject>,
}

/// The objects [`Manifest::store`] writes beside the video.
#[derive(Clone, Debug)]
pub struct StoredDocs {
    pub bulletin_text: StoredObject,
    pub push_copy: StoredObject,
    pub manifest: StoredObject,
}

impl Manifest {
    /// The manifest of a stitched bulletin.
    pub fn build(parts: ManifestParts<'_>) -> Self {
        let storyboard = parts.storyboard;
        let fps = parts.settings.fps.max(1);
        let (facts, push) = content_of(storyboard);
        let probe = parts.probe;
        Manifest {
            schema: "quakecast-manifest/1",
            quakecast_version: env!("CARGO_PKG_VERSION"),
            created_at: crate::clock::now(),
            input_report: serde_json::from_slice(parts.report).unwrap_or_else(|_| {
                serde_json::Value::String(String::from_utf8_lossy(parts.report).into())
            }),
            input_sha256: crate::store::sha256_hex(parts.report),
            event: storyboard.event.clone(),
            settings: parts.settings,
            storyboard: StoryboardSummary {
                total_frames: storyboard.total_frames,
                duration_secs: f64::from(storyboard.total_frames) / f64::from(fps),
                scenes: storyboard.scenes.clone(),
            },
            encoder: EncoderSummary {
                codec: "h264 (libx264)",
                preset: parts.preset,
                crf: parts.crf,
                pix_fmt: "yuv420p",
                container: "mp4 (+faststart)",
                note: parts.encoder_note,
            },
            segments: parts.segments,
            outputs: parts.outputs,
            video: VideoSummary {
                frames: probe.frames,
                duration_secs: probe.duration,
                width: probe.width,
                height: probe.height,
                codec: probe.codec.clone(),
                pix_fmt: probe.pix_fmt.clone(),
                sha256: parts.video_sha256,
                bytes: parts.video_bytes,
            },
            audio: parts.audio,
            tools: ToolVersions {
                ffmpeg: crate::media::ffmpeg_version().unwrap_or_else(|e| format!("unknown: {e}")),
                adapter: parts.renderer.adapter,
                adapter_backend: parts.renderer.adapter_backend,
                adapter_device_type: parts.renderer.adapter_device_type,
                font: parts.renderer.font,
            },
            timings: parts.timings,
            facts,
            fit: parts.fit,
            push,
            materials: storyboard.materials.used.clone(),
        }
    }

    /// Store the text channels beside the video (the bulletin in CENC's robot wording as
    /// `bulletin.md`, the push copy as `push.json`), add them to the outputs, let `finish` set
    /// the last timings, then store the manifest itself as the bulletin's last object.
    pub fn store(
        &mut self,
        store: &dyn ObjectStore,
        keys: &BulletinKeys,
        storyboard: &Storyboard,
        finish: impl FnOnce(&mut Timings),
    ) -> Result<StoredDocs> {
        let text = bulletin_md(storyboard);
        let bulletin_text = store.put_bytes(
            &keys.sidecar("bulletin.md"),
            text.as_bytes(),
            "text/markdown; charset=utf-8",
        )?;
        let push_copy = store.put_bytes(
            &keys.sidecar("push.json"),
            &pretty(&self.push)?,
            "application/json",
        )?;
        self.outputs.push(bulletin_text.clone());
        self.outputs.push(push_copy.clone());
        finish(&mut self.timings);
        let manifest = store.put_bytes(&keys.manifest(), &pretty(&*self)?, "application/json")?;
        Ok(StoredDocs {
            bulletin_text,
            push_copy,
            manifest,
        })
    }
}

/// Pretty JSON of a document the manifest writes.
fn pretty<T: Serialize>(v: &T) -> Result<Vec<u8>> {
    serde_json::to_vec_pretty(v).map_err(|e| Error::Tool {
        tool: "manifest",
        message: e.to_string(),
    })
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
