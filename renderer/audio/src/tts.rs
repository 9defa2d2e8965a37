//! Text to speech behind [`TtsProvider`]: espeak-ng offline, an HTTP voice, and a fallback pair.
//!
//! Voice choice on Debian 12 (espeak-ng 1.51): the `cmn` voice reads the tone numbers of its own
//! pinyin aloud in English ("ni three hao three"), so Mandarin uses `cmn-latn-pinyin`, the same
//! dictionary spoken with Mandarin phonemes and tones. `audio_espeak_voice_speaks_mandarin`
//! (renderer/audio/tests/audio.rs) checks this on the machine it runs on.
use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

pub use quakecast_facts::lang::Lang;

use super::error::{AudioError, Result};
use super::pcm::Pcm;

/// Clips whose peak stays below this level count as silence, and are refused: a voice that
/// returns silence has failed, and the fallback must speak instead.
const SILENCE_DBFS: f32 = -50.0;

/// Something that turns text into speech.
pub trait TtsProvider: Send + Sync {
    /// Speak `text` in `lang`. The result may have any rate and channel count; it must not be
    /// silent.
    fn synthesize(&self, text: &str, lang: Lang) -> Result<Pcm>;

    /// A short description for logs and the audio report (e.g. `espeak-ng cmn-latn-pinyin`).
    fn name(&self) -> String;

    /// Speak `text`, saying whether the voice already cut the silence at its ends (then the
    /// narration does not trim it again by level, see [`crate::synthesize_script`]). Default:
    /// [`TtsProvider::synthesize`], untrimmed.
    fn speak(&self, text: &str, lang: Lang) -> Result<Speech> {
        Ok(Speech {
            pcm: self.synthesize(text, lang)?,
            trimmed: false,
        })
    }

    /// The exact length of what [`TtsProvider::speak`] would return, when the voice can tell
    /// without making the waveform (the neural voice, from its predicted durations: a fraction
    /// of the cost). `None`: speak to know. A voice that measures must trim in `speak`.
    fn measure(&self, _text: &str, _lang: Lang) -> Option<Result<SpeechLength>> {
        None
    }
}

/// What [`TtsProvider::speak`] returns.
#[derive(Clone, Debug)]
pub struct Speech {
    pub pcm: Pcm,
    /// The ends are already cut to the speech.
    pub trimmed: bool,
}

/// A speech length in frames at `rate` ([`TtsProvider::measure`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpeechLength {
    pub frames: usize,
    pub rate: u32,
}

/// Refuse empty or silent clips (see [`SILENCE_DBFS`]).
pub fn check_not_silent(pcm: Pcm, voice: &str, text: &str) -> Result<Pcm> {
    if pcm.frames() == 0 || pcm.peak() < 10f32.powf(SILENCE_DBFS / 20.0) {
        return Err(AudioError::Silent {
            voice: voice.to_string(),
            text: text.to_string(),
        });
    }
    Ok(pcm)
}

/// The system `espeak-ng` (Debian package `espeak-ng`), run once per clip, its WAV read from
/// stdout.
#[derive(Clone, Debug, PartialEq)]
pub struct EspeakTts {
    /// The program (`QUAKECAST_ESPEAK`, default `espeak-ng` on `PATH`).
    pub program: PathBuf,
    /// Voice for Mandarin; see the module docs for why not plain `cmn`.
    pub voice_zh: String,
    pub voice_en: String,
    /// Speaking rate in words per minute (espeak-ng `-s`); bulletins read briskly (news pace, and
    /// the whole bulletin must stay within 25 s).
    pub rate_zh: u32,
    pub rate_en: u32,
}

impl Default for EspeakTts {
    fn default() -> Self {
        Self {
            program: PathBuf::from("espeak-ng"),
            voice_zh: "cmn-latn-pinyin".into(),
            voice_en: "en-us".into(),
            rate_zh: 290,
            rate_en: 175,
        }
    }
}

impl EspeakTts {
    /// Defaults, with the program from `QUAKECAST_ESPEAK` when set.
    pub fn from_env() -> Self {
        let mut t = Self::default();
        if let Some(p) = std::env::var_os("QUAKECAST_ESPEAK").filter(|p| !p.is_empty()) {
            t.program = PathBuf::from(p);
        }
        t
    }

    fn voice(&self, lang: Lang) -> (&str, u32) {
        match lang {
            Lang::Zh => (&self.voice_zh, self.rate_zh),
            Lang::En => (&self.voice_en, self.rate_en),
        }
    }

    /// The phonemes espeak-ng would speak for `text` (`-x -q`), for checking a voice.
    pub fn phonemes(&self, text: &str, lang: Lang) -> Result<String> {
        let (voice, rate) = self.voice(lang);
        let out = self.run(&["-q", "-x", "-v", voice, "-s", &rate.to_string()], text)?;
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    fn run(&self, args: &[&str], text: &str) -> Result<Vec<u8>> {
        let program = self.program.display().to_string();
        // The text goes in as the last argument; a leading space keeps a text that starts
        // with '-' from being read as an option.
        let out = Command::new(&self.program)
            .args(args)
            .arg(format!(" {text}"))
            .stdin(Stdio::null())
            .output()
            .map_err(|source| AudioError::Spawn {
                program: program.clone(),
                env: "QUAKECAST_ESPEAK",
                source,
            })?;
        if !out.status.success() {
            return Err(AudioError::Tool {
                program,
                status: out.status.to_string(),
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            });
        }
        Ok(out.stdout)
    }
}

impl TtsProvider for EspeakTts {
    fn synthesize(&self, text: &str, lang: Lang) -> Result<Pcm> {
        let (voice, rate) = self.voice(lang);
        let wav = self.run(&["--stdout", "-v", voice, "-s", &rate.to_string()], text)?;
        let pcm = Pcm::from_wav(&wav, "espeak-ng output")?;
        check_not_silent(pcm, &self.name(), text)
    }

    fn name(&self) -> String {
        format!("espeak-ng {}/{}", self.voice_zh, self.voice_en)
    }
}

/// An external voice over HTTP: `POST url` with JSON `{"text": …, "lang": "zh-CN"}` and
/// `Authorization: Bearer <key>`; the answer must be `200` with a WAV body.
#[derive(Clone, Debug)]
pub struct HttpTts {
    /// Endpoint (`QUAKECAST_TTS_URL`).
    pub url: String,
    /// Bearer token (`QUAKECAST_TTS_KEY`); none sends no `Authorization` header.
    pub key: Option<String>,
    /// Whole-request limit: a slow voice must not hold up the bulletin; the fallback speaks.
    pub timeout: Duration,
}

impl HttpTts {
    pub fn new(url: impl Into<String>, key: Option<String>) -> Self {
        Self {
            url: url.into(),
            key,
            timeout: Duration::from_secs(20),
        }
    }

    fn err(&self, reason: impl Into<String>, retryable: bool) -> AudioError {
        AudioError::Http {
            url: self.url.clone(),
            reason: reason.into(),
            retryable,
        }
    }
}

/// Largest WAV accepted from an HTTP voice (a minute of 48 kHz stereo 32-bit is 23 MB).
const MAX_HTTP_AUDIO_BYTES: u64 = 64 << 20;

impl TtsProvider for HttpTts {
    fn synthesize(&self, text: &str, lang: Lang) -> Result<Pcm> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(self.timeout))
            .http_status_as_error(false)
            .build()
            .into();
        let body = serde_json::json!({ "text": text, "lang": lang.bcp47() }).to_string();
        let mut req = agent
            .post(&self.url)
            .header("Content-Type", "application/json")
            .header("Accept", "audio/wav");
        if let Some(key) = &self.key {
            req = req.header("Authorization", format!("Bearer {key}"));
        }
        let mut resp = req.send(body).map_err(|e| self.err(e.to_string(), true))?;
        let status = resp.status().as_u16();
        if status != 200 {
            let mut detail = String::new();
            let _ = resp
                .body_mut()
                .as_reader()
                .take(512)
                .read_to_string(&mut detail);
            return Err(self.err(
                format!("status {status}: {}", detail.trim()),
                status >= 500 || status == 429 || status == 408,
            ));
        }
        let bytes = resp
            .body_mut()
            .with_config()
            .limit(MAX_HTTP_AUDIO_BYTES)
            .read_to_vec()
            .map_err(|e| self.err(e.to_string(), true))?;
        let pcm = Pcm::from_wav(&bytes, &format!("HTTP voice {} response", self.url))?;
        check_not_silent(pcm, &self.name(), text)
    }

    fn name(&self) -> String {
        format!("http {}", self.url)
    }
}

/// Try `primary`; on any error log a warning and speak with `fallback` instead, so a bulletin is
/// never silent because a remote voice is down.
pub struct FallbackTts<P, F> {
    pub primary: P,
    pub fallback: F,
}

impl<P: TtsProvider, F: TtsProvider> FallbackTts<P, F> {
    pub fn new(primary: P, fallback: F) -> Self {
        Self { primary, fallback }
    }
}

impl<P: TtsProvider, F: TtsProvider> FallbackTts<P, F> {
    fn warn(&self, e: &AudioError) {
        tracing::warn!(
            primary = %self.primary.name(),
            fallback = %self.fallback.name(),
            error = %e,
            "voice failed; speaking with the fallback"
        );
    }
}

impl<P: TtsProvider, F: TtsProvider> TtsProvider for FallbackTts<P, F> {
    fn synthesize(&self, text: &str, lang: Lang) -> Result<Pcm> {
        self.primary.synthesize(text, lang).or_else(|e| {
            self.warn(&e);
            self.fallback.synthesize(text, lang)
        })
    }

    fn speak(&self, text: &str, lang: Lang) -> Result<Speech> {
        self.primary.speak(text, lang).or_else(|e| {
            self.warn(&e);
            self.fallback.speak(text, lang)
        })
    }

    /// The primary's measure; when it cannot measure (or fails), `None`, so the caller speaks
    /// and the fallback answers as it would.
    fn measure(&self, text: &str, lang: Lang) -> Option<Result<SpeechLength>> {
        match self.primary.measure(text, lang) {
            Some(Ok(l)) => Some(Ok(l)),
            _ => None,
        }
    }

    fn name(&self) -> String {
        format!(
            "{} (fallback: {})",
            self.primary.name(),
            self.fallback.name()
        )
    }
}

/// The voice configured by the environment: `QUAKECAST_TTS_URL` (and `QUAKECAST_TTS_KEY`)
/// gives an [`HttpTts`] that falls back to espeak-ng; otherwise the neural Mandarin voice that
/// setup made under the data directory ([`crate::neural::voice_for`]; `QUAKECAST_DATA`, else
/// `./data`, else the checkout's `data/`) with espeak-ng for English and as its fallback;
/// `QUAKECAST_VOICE=espeak` (or a missing voice, with a warning) gives espeak-ng alone.
pub fn tts_from_env() -> Box<dyn TtsProvider> {
    let espeak = EspeakTts::from_env();
    match std::env::var("QUAKECAST_TTS_URL") {
        Ok(url) if !url.trim().is_empty() => {
            let key = std::env::var("QUAKECAST_TTS_KEY")
                .ok()
                .filter(|k| !k.is_empty());
            Box::new(FallbackTts::new(HttpTts::new(url.trim(), key), espeak))
        }
        _ if std::env::var("QUAKECAST_VOICE").is_ok_and(|v| v == "espeak") => Box::new(espeak),
        _ => crate::neural::voice_for(&voice_data_dir(), espeak),
    }
}

/// Where the voice's data directory is: `QUAKECAST_DATA`, else `./data` when it holds the
/// voice, else the checkout's `data/`.
fn voice_data_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("QUAKECAST_DATA") {
        return PathBuf::from(d);
    }
    let local = PathBuf::from("data");
    if local.join(crate::neural::VOICE_DIR).is_dir() {
        return local;
    }
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data")
}
