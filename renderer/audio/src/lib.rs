//! Voice-over, music and subtitles: narration script → speech → mix → AAC, SRT and WebVTT.
//!
//! Pipeline, in two steps so that scene timing can follow the narration:
//!
//! 1. [`synthesize_narration`]: the event's script ([`quakecast_scenes::narration::script`]) is
//!    spoken cue by cue through a [`TtsProvider`], each clip resampled to 48 kHz, trimmed of
//!    silence and levelled; [`Narration::durations`] gives the measured speech lengths, which
//!    [`quakecast_scenes::timeline::scene_min_frames`] turns into minimum scene lengths for the
//!    storyboard.
//! 2. [`mix_narration`]: with the storyboard's scene times, each clip is placed at its scene's
//!    start plus a lead-in, the music bed ([`music`]) is ducked under it, the mix goes through a
//!    fixed master gain and a true-peak limiter (−16 LUFS by construction: every clip is
//!    levelled on its own, so no sample depends on speech more than [`HEAD_MARGIN_SECS`] after
//!    it, and [`mix_head`] makes the first seconds from the first cues alone), cut to the video's
//!    exact length, and written as
//!    `audio.m4a` (AAC 48 kHz stereo), `subtitles.srt` and `subtitles.vtt`, the subtitle times
//!    being those of the placed speech.
//!
//! [`prepare_audio`] does both for callers that already have a storyboard.
//!
//! Configuration (environment): `QUAKECAST_TTS_URL` / `QUAKECAST_TTS_KEY` (HTTP voice with
//! espeak-ng fallback, see [`tts::tts_from_env`]), `QUAKECAST_ESPEAK`, `QUAKECAST_FFMPEG`.
pub mod error;
pub mod mix;
pub mod music;
pub mod neural;
pub mod pcm;
pub mod tts;

use std::path::{Path, PathBuf};

use quakecast_facts::lang::Lang;
use quakecast_facts::Event;
use quakecast_scenes::narration::{script, Cue, Script};
use quakecast_scenes::subtitles::{to_srt, to_webvtt, TimedCue};
use quakecast_scenes::timeline::{check_scene_times, place_speech, CueSpeech, TimelineError};
use quakecast_scenes::SceneKind;
use serde::{Deserialize, Serialize};

pub use error::{AudioError, Result};
pub use mix::{Loudness, SAMPLE_RATE};
pub use music::Mood;
pub use pcm::Pcm;
pub use tts::{EspeakTts, FallbackTts, HttpTts, Speech, SpeechLength, TtsProvider};

/// Level under which the ends of a voice clip count as silence and are trimmed, dBFS.
const TRIM_DBFS: f32 = -45.0;

/// One cue and its speech.
#[derive(Clone, Debug)]
pub struct SpokenCue {
    pub cue: Cue,
    /// 48 kHz mono, trimmed to the voice, levelled to [`mix::SPEECH_LUFS`].
    pub speech: Pcm,
}

/// The synthesized narration of one event (step 1).
#[derive(Clone, Debug)]
pub struct Narration {
    pub lang: Lang,
    /// The provider that was asked ([`TtsProvider::name`]).
    pub voice: String,
    pub cues: Vec<SpokenCue>,
}

impl Narration {
    /// Measured speech length of each cue, seconds, in script order: the input of
    /// [`quakecast_scenes::timeline::scene_min_frames`].
    pub fn durations(&self) -> Vec<(SceneKind, f64)> {
        self.lengths().durations()
    }

    /// The cues' lengths without their samples.
    pub fn lengths(&self) -> SpeechLengths {
        SpeechLengths {
            cues: self
                .cues
                .iter()
                .map(|c| (c.cue.clone(), c.speech.frames()))
                .collect(),
        }
    }
}

/// The speech length of each cue of a script, in 48 kHz frames: what [`synthesize_script`]
/// would make, measured by [`measure_script`] without making it, or taken from a narration.
#[derive(Clone, Debug, PartialEq)]
pub struct SpeechLengths {
    pub cues: Vec<(Cue, usize)>,
}

impl SpeechLengths {
    /// Seconds per cue, as [`Narration::durations`] gives them.
    pub fn durations(&self) -> Vec<(SceneKind, f64)> {
        self.cues
            .iter()
            .map(|(c, n)| (c.scene, *n as f64 / f64::from(SAMPLE_RATE)))
            .collect()
    }

    /// The cues of these scenes only.
    pub fn retain_scenes(&mut self, keep: impl Fn(SceneKind) -> bool) {
        self.cues.retain(|(c, _)| keep(c.scene));
    }
}

/// The lengths [`synthesize_script`] would give `script`, when the voice can measure every cue
/// without speaking ([`TtsProvider::measure`]); `None` when it cannot (speak to know).
pub fn measure_script(script: &Script, tts: &dyn TtsProvider) -> Result<Option<SpeechLengths>> {
    let mut cues = Vec::with_capacity(script.cues.len());
    for cue in &script.cues {
        let Some(length) = tts.measure(&cue.text_zh, script.lang) else {
            return Ok(None);
        };
        let length = length?;
        let frames = pcm::resampled_len(length.frames, length.rate, SAMPLE_RATE);
        if frames == 0 {
            return Err(AudioError::Silent {
                voice: tts.name(),
                text: cue.text_zh.clone(),
            });
        }
        cues.push((cue.clone(), frames));
    }
    Ok(Some(SpeechLengths { cues }))
}

/// Step 1: speak every cue of the event's four-scene script ([`script`]) with `tts`.
pub fn synthesize_narration(event: &Event, tts: &dyn TtsProvider) -> Result<Narration> {
    synthesize_script(&script(event), tts)
}

/// Step 1 for any script (e.g. `narration::script_for`, every scene spoken): each cue is spoken
/// with `tts`, made mono 48 kHz, trimmed of silence (by level, unless the voice cut it itself)
/// and levelled. A silent clip is an error.
pub fn synthesize_script(script: &Script, tts: &dyn TtsProvider) -> Result<Narration> {
    let mut cues = Vec::with_capacity(script.cues.len());
    for cue in &script.cues {
        let raw = tts.speak(&cue.text_zh, script.lang)?;
        let speech = raw.pcm.to_mono().resampled(SAMPLE_RATE);
        let mut speech = if raw.trimmed {
            speech
        } else {
            speech.trim_silence(TRIM_DBFS)
        };
        if speech.frames() == 0 {
            return Err(AudioError::Silent {
                voice: tts.name(),
                text: cue.text_zh.clone(),
            });
        }
        mix::level_clip(&mut speech)?;
        cues.push(SpokenCue {
            cue: cue.clone(),
            speech,
        });
    }
    Ok(Narration {
        lang: script.lang,
        voice: tts.name(),
        cues,
    })
}

/// The finished mix in memory (step 2 without the files).
#[derive(Clone, Debug)]
pub struct MixedAudio {
    /// 48 kHz stereo, exactly `round(total_secs × 48000)` frames.
    pub pcm: Pcm,
    /// Where each cue's speech ended up, with its subtitle lines.
    pub segments: Vec<TimedCue>,
    pub mood: Mood,
    /// Measured on `pcm` (before AAC).
    pub loudness: Loudness,
}

pub use quakecast_scenes::timeline::PlacedCue;

/// The speech timeline of `narration`, without mixing: [`quakecast_scenes::timeline::place_speech`]
/// of its cues' lengths at [`SAMPLE_RATE`] (the pure function the farm's intake and the mixer
/// share), with a warning for each cue cut, run past its scene or dropped.
pub fn place_cues(
    narration: &Narration,
    scenes: &[(SceneKind, f64, f64)],
    total_secs: f64,
) -> Result<Vec<PlacedCue>> {
    place_lengths(&narration.lengths(), scenes, total_secs)
}

/// [`place_cues`] from the lengths alone (the speech need not exist yet).
pub fn place_lengths(
    lengths: &SpeechLengths,
    scenes: &[(SceneKind, f64, f64)],
    total_secs: f64,
) -> Result<Vec<PlacedCue>> {
    let cues: Vec<CueSpeech<'_>> = lengths
        .cues
        .iter()
        .map(|(c, n)| CueSpeech {
            scene: c.scene,
            samples: *n,
            subtitle: &c.subtitle,
        })
        .collect();
    let plan = place_speech(&cues, SAMPLE_RATE, scenes, total_secs).map_err(timeline_error)?;
    for kind in &plan.dropped {
        tracing::warn!(scene = ?kind, "no room left for this cue's speech; it is dropped");
    }
    for p in &plan.placed {
        if p.cut_secs > 0.0 {
            tracing::warn!(
                scene = ?p.timed.scene,
                cut_secs = p.cut_secs,
                "speech runs past the end of the video and is cut; build the storyboard \
                 with scene_min_frames"
            );
        } else if p.over_secs > 0.0 {
            tracing::warn!(
                scene = ?p.timed.scene,
                over_secs = p.over_secs,
                "speech runs past its scene; build the storyboard with scene_min_frames"
            );
        }
    }
    Ok(plan.placed)
}

fn timeline_error(e: TimelineError) -> AudioError {
    match e {
        TimelineError::Invalid { field, message } => AudioError::invalid(field, message),
        TimelineError::NoSpan(kind) => {
            AudioError::invalid("scenes", format!("no span for the {kind:?} scene"))
        }
    }
}

/// Step 2 in memory: place the speech at the scene starts, duck the music, master.
/// `scenes` are `(kind, start_secs, end_secs)`; every cue's scene must be among them.
pub fn mix_narration_pcm(
    event: &Event,
    narration: &Narration,
    scenes: &[(SceneKind, f64, f64)],
    total_secs: f64,
) -> Result<MixedAudio> {
    mix_narration_pcm_with(event, narration, scenes, total_secs, None)
}

/// [`mix_narration_pcm`] over a music bed from the material library (`music`:
/// [`music::music_bed`]) instead of the synthesized music; `None`: synthesized.
pub fn mix_narration_pcm_with(
    event: &Event,
    narration: &Narration,
    scenes: &[(SceneKind, f64, f64)],
    total_secs: f64,
    music: Option<&Path>,
) -> Result<MixedAudio> {
    check_scene_times(scenes, total_secs).map_err(timeline_error)?;
    let total = (total_secs * f64::from(SAMPLE_RATE)).round() as usize;
    let placed = place_cues(narration, scenes, total_secs)?;
    let t0 = std::time::Instant::now();
    let mood = Mood::for_event(event);
    let music = music_track(event, total, music, total)?;
    let t_music = t0.elapsed().as_secs_f64();
    let pcm = mix_placed(narration, &placed, &music, total);
    let t_mix = t0.elapsed().as_secs_f64();
    let loudness = mix::measure(&pcm)?;
    if !loudness.integrated_lufs.is_finite() {
        return Err(AudioError::invalid("mix", "the mix is silent"));
    }
    tracing::debug!(
        music_secs = t_music,
        mix_secs = t_mix - t_music,
        measure_secs = t0.elapsed().as_secs_f64() - t_mix,
        integrated_lufs = loudness.integrated_lufs,
        "mixed"
    );
    let segments: Vec<TimedCue> = placed.into_iter().map(|p| p.timed).collect();
    Ok(MixedAudio {
        pcm,
        segments,
        mood,
        loudness,
    })
}

/// How far past a head ([`mix_head`]) the mixer must see for the head to come out sample for
/// sample as in the whole mix: the ducking's look-ahead ([`mix::DUCK_ATTACK_SECS`]) and the
/// limiter's windows, with room to spare.
pub const HEAD_MARGIN_SECS: f64 = 0.25;

/// The first `upto` frames of the music under a mix of `total` frames, levelled to
/// [`mix::MUSIC_LUFS`] (zeros past the music's end): the library's bed (`music`: decoded whole
/// and measured) or the synthesized music, levelled by its mood's known loudness
/// ([`music::synthesized_lufs`]) so that its start is made without the rest.
fn music_track(event: &Event, total: usize, music: Option<&Path>, upto: usize) -> Result<Pcm> {
    let secs = total as f64 / f64::from(SAMPLE_RATE);
    let upto = upto.min(total);
    let mut track = match music {
        Some(bed) => {
            let mut bed = music::music_bed(bed, secs, SAMPLE_RATE)?;
            bed.samples.resize(total * 2, 0.0);
            mix::level_to(&mut bed, mix::MUSIC_LUFS)?;
            bed
        }
        None => {
            let mood = Mood::for_event(event);
            let mut synth = music::synthesize_music_upto(
                mood,
                music::seed_for(&event.event_id),
                secs,
                SAMPLE_RATE,
                upto,
            );
            let gain = 10f64.powf((mix::MUSIC_LUFS - music::synthesized_lufs(mood)) / 20.0) as f32;
            synth.samples.iter_mut().for_each(|v| *v *= gain);
            synth
        }
    };
    track.samples.resize(upto * 2, 0.0);
    Ok(track)
}

/// The whole mix of `total` frames: the placed speech over the ducked music, mastered.
fn mix_placed(narration: &Narration, placed: &[PlacedCue], music: &Pcm, total: usize) -> Pcm {
    mix_range(narration, placed, music, total, total)
}

/// The first `upto` frames of the mix of `total` frames. Each sample depends only on the speech
/// up to [`HEAD_MARGIN_SECS`] after it, so the mix is computed that far past `upto` and cut:
/// equal to the first `upto` frames of [`mix_placed`], sample for sample, as long as `placed`
/// holds every cue that starts before then.
fn mix_range(
    narration: &Narration,
    placed: &[PlacedCue],
    music: &Pcm,
    total: usize,
    upto: usize,
) -> Pcm {
    let sr = f64::from(SAMPLE_RATE);
    let upto = upto.min(total);
    let len = (upto + (HEAD_MARGIN_SECS * sr) as usize).min(total);
    let mut voice = vec![0.0f32; len];
    for p in placed.iter().filter(|p| p.start < len) {
        let clip = &narration.cues[p.cue_index].speech.samples;
        let end = p.end.min(len);
        voice[p.start..end].copy_from_slice(&clip[..end - p.start]);
        // A cut clip gets a 20 ms fade so it does not click.
        if p.end - p.start < clip.len() {
            let fade = ((0.02 * sr) as usize).min(p.end - p.start);
            for k in 0..fade {
                if let Some(v) = voice.get_mut(p.end - fade + k) {
                    *v *= 1.0 - (k + 1) as f32 / fade as f32;
                }
            }
        }
    }
    let duck = mix::duck_envelope(&voice, SAMPLE_RATE);
    let samples = voice
        .iter()
        .zip(&duck)
        .zip(music.samples.chunks_exact(2))
        .flat_map(|((&v, &d), m)| [v + m[0] * d, v + m[1] * d])
        .collect();
    let mut pcm = Pcm::new(SAMPLE_RATE, 2, samples);
    mix::master(&mut pcm);
    pcm.samples.truncate(upto * 2);
    pcm
}

/// The cues of `script` that the first `upto_secs` of the mix hold (every cue placed to start
/// before `upto_secs` + [`HEAD_MARGIN_SECS`]), spoken: a prefix of what [`synthesize_script`]
/// speaks, enough for [`mix_head`]. Cues are placed one after the other, so a cue's start
/// depends on the cues before it only, and the first cue that would start later ends the head.
pub fn synthesize_head(
    script: &Script,
    tts: &dyn TtsProvider,
    scenes: &[(SceneKind, f64, f64)],
    total_secs: f64,
    upto_secs: f64,
) -> Result<Narration> {
    check_scene_times(scenes, total_secs).map_err(timeline_error)?;
    let need = ((upto_secs + HEAD_MARGIN_SECS) * f64::from(SAMPLE_RATE)).round() as usize;
    let mut head = Narration {
        lang: script.lang,
        voice: tts.name(),
        cues: Vec::new(),
    };
    for (i, cue) in script.cues.iter().enumerate() {
        // Where this cue would start: place it (one sample long) after the spoken ones.
        let mut lengths = head.lengths();
        lengths.cues.push((cue.clone(), 1));
        let plan = place_lengths(&lengths, scenes, total_secs)?;
        match plan.last() {
            Some(p) if p.cue_index == i && p.start < need => {}
            _ => break,
        }
        let one = Script {
            lang: script.lang,
            cues: vec![cue.clone()],
        };
        head.cues.extend(synthesize_script(&one, tts)?.cues);
    }
    Ok(head)
}

/// The first `upto_secs` of the mix that [`mix_narration_pcm_with`] makes, from the head of the
/// narration ([`synthesize_head`]): 48 kHz stereo, equal sample for sample to the start of the
/// whole mix when the rest of the speech is spoken the same. The first HLS segment's sound.
pub fn mix_head(
    event: &Event,
    head: &Narration,
    scenes: &[(SceneKind, f64, f64)],
    total_secs: f64,
    upto_secs: f64,
    music: Option<&Path>,
) -> Result<Pcm> {
    check_scene_times(scenes, total_secs).map_err(timeline_error)?;
    let sr = f64::from(SAMPLE_RATE);
    let total = (total_secs * sr).round() as usize;
    let upto = ((upto_secs * sr).round() as usize).min(total);
    let placed = place_cues(head, scenes, total_secs)?;
    let margin = (HEAD_MARGIN_SECS * sr) as usize;
    let music = music_track(event, total, music, upto + margin)?;
    Ok(mix_range(head, &placed, &music, total, upto))
}

/// What [`prepare_audio`] / [`mix_narration`] made.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AudioReport {
    /// `audio.m4a`: AAC-LC, 48 kHz, stereo.
    pub audio: PathBuf,
    pub srt: PathBuf,
    pub vtt: PathBuf,
    pub lang: Lang,
    /// The voice provider that was asked (a fallback, if it spoke, is in the log).
    pub voice: String,
    pub mood: Mood,
    /// Measured speech times, one per spoken cue: the subtitle times.
    pub segments: Vec<TimedCue>,
    pub sample_rate: u32,
    /// Length of the mix in frames: `round(total_secs × sample_rate)`.
    pub frames: u64,
    pub duration_secs: f64,
    /// EBU R128 integrated loudness and true peak of the mix before encoding.
    pub integrated_lufs: f64,
    pub true_peak_dbtp: f64,
    /// SHA-256 of the mixed PCM: equal for equal inputs.
    pub pcm_sha256: String,
}

/// Step 2: mix and write `audio.m4a`, `subtitles.srt` and `subtitles.vtt` into `out_dir`
/// (created if missing).
pub fn mix_narration(
    event: &Event,
    narration: &Narration,
    scenes: &[(SceneKind, f64, f64)],
    total_secs: f64,
    out_dir: &Path,
) -> Result<AudioReport> {
    mix_narration_with(event, narration, scenes, total_secs, out_dir, None)
}

/// [`mix_narration`] over a music bed (`music`, see [`mix_narration_pcm_with`]).
pub fn mix_narration_with(
    event: &Event,
    narration: &Narration,
    scenes: &[(SceneKind, f64, f64)],
    total_secs: f64,
    out_dir: &Path,
    music: Option<&Path>,
) -> Result<AudioReport> {
    let mixed = mix_narration_pcm_with(event, narration, scenes, total_secs, music)?;
    let t0 = std::time::Instant::now();
    std::fs::create_dir_all(out_dir).map_err(|e| AudioError::io(out_dir, e))?;
    let audio = out_dir.join("audio.m4a");
    let srt = out_dir.join("subtitles.srt");
    let vtt = out_dir.join("subtitles.vtt");
    mix::encode_aac_within_peak(&mixed.pcm, &audio)?;
    tracing::debug!(
        secs = t0.elapsed().as_secs_f64(),
        "encoded AAC within the peak"
    );
    std::fs::write(&srt, to_srt(&mixed.segments)).map_err(|e| AudioError::io(&srt, e))?;
    std::fs::write(&vtt, to_webvtt(&mixed.segments, narration.lang))
        .map_err(|e| AudioError::io(&vtt, e))?;
    Ok(AudioReport {
        audio,
        srt,
        vtt,
        lang: narration.lang,
        voice: narration.voice.clone(),
        mood: mixed.mood,
        segments: mixed.segments,
        sample_rate: SAMPLE_RATE,
        frames: mixed.pcm.frames() as u64,
        duration_secs: mixed.pcm.duration_secs(),
        integrated_lufs: mixed.loudness.integrated_lufs,
        true_peak_dbtp: mixed.loudness.true_peak_dbtp,
        pcm_sha256: mixed.pcm.sha256_hex(),
    })
}

/// Both steps: speak the event's script with `tts`, then mix it at the given scene times
/// (`(kind, start_secs, end_secs)`) into `total_secs` of audio in `out_dir`.
pub fn prepare_audio(
    event: &Event,
    scenes: &[(SceneKind, f64, f64)],
    total_secs: f64,
    tts: &dyn TtsProvider,
    out_dir: &Path,
) -> Result<AudioReport> {
    let narration = synthesize_narration(event, tts)?;
    mix_narration(event, &narration, scenes, total_secs, out_dir)
}
