//! Audio preparation for the sample bulletin: narration synthesis, mix, encode, subtitles.
//!
//! The timeline mirrors what the storyboard does with measured speech: each scene lasts the
//! larger of its default length and [`scene_min_frames`] of its speech.
use chrono::{TimeZone, Utc};
use quakecast_audio::tts::EspeakTts;
use quakecast_audio::{
    mix_narration, mix_narration_pcm, synthesize_narration, AudioReport, MixedAudio, Narration,
};
use quakecast_facts::{Event, ReportStatus, Source};
use quakecast_scenes::timeline::scene_min_frames;
use quakecast_scenes::SceneKind;

/// The bundled sample: CENC official, 2022-05-20 08:36 Beijing time, M4.8 Hanyuan, Ya'an.
pub fn sample_event() -> Event {
    Event {
        source: Source::Cenc,
        event_id: "CC20220520083601".into(),
        status: ReportStatus::Official,
        revision: 0,
        origin_time: Utc
            .with_ymd_and_hms(2022, 5, 20, 0, 36, 1)
            .single()
            .expect("valid time"),
        lat: 29.67,
        lon: 102.67,
        depth_km: 20.0,
        magnitude: 4.8,
        magnitude_type: "M".into(),
        region: "四川雅安市汉源县".into(),
        revised: false,
    }
}

/// Scene spans in seconds and the total, at `fps`, from the narration's measured durations.
pub fn timeline(narration: &Narration, fps: u32) -> (Vec<(SceneKind, f64, f64)>, f64) {
    let defaults = [
        (SceneKind::Header, 3 * fps),
        (SceneKind::Parameters, 5 * fps),
        (SceneKind::Map, 6 * fps),
        (SceneKind::Closing, 3 * fps),
    ];
    let need = scene_min_frames(&narration.durations(), fps);
    let mut start = 0u32;
    let mut spans = Vec::new();
    for (kind, default) in defaults {
        let min = need.iter().find(|(k, _)| *k == kind).map_or(0, |(_, f)| *f);
        let frames = default.max(min);
        let f = f64::from(fps);
        spans.push((kind, f64::from(start) / f, f64::from(start + frames) / f));
        start += frames;
    }
    (spans, f64::from(start) / f64::from(fps))
}

/// Everything one audio preparation needs, set up once.
pub struct AudioBench {
    pub event: Event,
    pub tts: EspeakTts,
    pub narration: Narration,
    pub scenes: Vec<(SceneKind, f64, f64)>,
    pub total_secs: f64,
    pub dir: tempfile::TempDir,
}

impl AudioBench {
    pub fn new() -> Self {
        let event = sample_event();
        let tts = EspeakTts::from_env();
        let narration =
            synthesize_narration(&event, &tts).expect("espeak-ng: run scripts/setup.sh");
        let (scenes, total_secs) = timeline(&narration, 30);
        Self {
            event,
            tts,
            narration,
            scenes,
            total_secs,
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// Step 1: speak the four cues (espeak-ng), resample, trim, level.
    pub fn synthesize(&self) -> Narration {
        synthesize_narration(&self.event, &self.tts).expect("synthesize")
    }

    /// Step 2 in memory: music, ducking, R128 normalisation, true-peak limiting.
    pub fn mix(&self) -> MixedAudio {
        mix_narration_pcm(&self.event, &self.narration, &self.scenes, self.total_secs).expect("mix")
    }

    /// Both steps with the AAC encode and the subtitle files: what a bulletin pays.
    pub fn prepare(&self) -> AudioReport {
        let narration = self.synthesize();
        mix_narration(
            &self.event,
            &narration,
            &self.scenes,
            self.total_secs,
            self.dir.path(),
        )
        .expect("prepare")
    }
}

impl Default for AudioBench {
    fn default() -> Self {
        Self::new()
    }
}
