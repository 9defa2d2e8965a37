//! What a renderer is asked for: frame size and rate ([`RenderSettings`]), the H.264 encode
//! ([`EncodeSettings`]) and which GPU adapters are acceptable ([`AdapterPolicy`]). Plain data,
//! a leaf module: the farm and the CLI read and store these without linking the renderer.
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenderSettings {
    pub width: u32,
    pub height: u32,
    pub fps: u32,
}

impl Default for RenderSettings {
    fn default() -> Self {
        Self {
            width: 720,
            height: 1280,
            fps: 30,
        }
    }
}

/// x264 preset used unless configured. Measured on the 2-core CPU-only box, the whole sample
/// bulletin (510 frames, 720×1280, CRF 20, lavapipe rendering in the same process; example
/// `segment_timing`): ultrafast 8.3 s / 2.9 MB / PSNR-Y 59 dB, superfast 8.5 s / 1.7 MB,
/// veryfast 8.9 s / 0.9 MB / 50 dB, faster 9.5 s / 0.94 MB. Rendering dominates here, so
/// veryfast costs ~6 % more time than ultrafast for a third of the bytes.
pub const DEFAULT_PRESET: &str = "veryfast";
/// x264 constant rate factor used unless configured (visually clean for flat graphics).
pub const DEFAULT_CRF: u32 = 20;
/// Default GOP length in seconds (keyframe interval inside long segments).
pub const DEFAULT_KEYINT_SECS: u32 = 10;

/// How segments are encoded. Every segment of a bulletin must use identical settings, or the
/// `-c copy` join may fail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodeSettings {
    /// x264 preset (`ultrafast` … `veryslow`).
    pub preset: String,
    /// x264 CRF, 0..=51 (lower is better quality).
    pub crf: u32,
    pub fps: u32,
    pub width: u32,
    pub height: u32,
    /// Largest GOP in frames. Keep it at least as long as the longest segment so each segment
    /// holds exactly one keyframe (its first frame); any value still starts each segment on one.
    pub keyint: u32,
}

impl EncodeSettings {
    /// Defaults ([`DEFAULT_PRESET`], [`DEFAULT_CRF`], a 10-second GOP) for a frame size and rate.
    pub fn new(width: u32, height: u32, fps: u32) -> Self {
        Self {
            preset: DEFAULT_PRESET.to_string(),
            crf: DEFAULT_CRF,
            fps,
            width,
            height,
            keyint: fps.max(1) * DEFAULT_KEYINT_SECS,
        }
    }

    /// Check what ffmpeg would reject late or silently misread.
    pub fn validate(&self) -> Result<(), SettingsError> {
        if self.width == 0
            || self.height == 0
            || !self.width.is_multiple_of(2)
            || !self.height.is_multiple_of(2)
        {
            return Err(SettingsError::new(
                "width/height",
                format!(
                    "{}x{}: yuv420p needs a positive, even width and height",
                    self.width, self.height
                ),
            ));
        }
        if !(1..=240).contains(&self.fps) {
            return Err(SettingsError::new(
                "fps",
                format!("{}: expected 1..=240", self.fps),
            ));
        }
        if self.crf > 51 {
            return Err(SettingsError::new(
                "crf",
                format!("{}: expected 0..=51", self.crf),
            ));
        }
        if self.keyint == 0 {
            return Err(SettingsError::new("keyint", "0: expected at least 1 frame"));
        }
        if self.preset.is_empty() || !self.preset.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(SettingsError::new(
                "preset",
                format!("{:?}: expected an x264 preset name", self.preset),
            ));
        }
        Ok(())
    }

    /// The MP4 track timescale: 1000 ticks per frame.
    pub fn timescale(&self) -> u32 {
        self.fps * 1000
    }

    /// ffmpeg's arguments (after the program name) to encode raw I420 from stdin into `out`.
    pub fn ffmpeg_args(&self, out: &str) -> Vec<String> {
        let mut a: Vec<String> = [
            "-hide_banner",
            "-nostats",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "yuv420p",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let mut push = |k: &str, v: String| {
            a.push(k.to_string());
            a.push(v);
        };
        push("-video_size", format!("{}x{}", self.width, self.height));
        push("-framerate", self.fps.to_string());
        push("-i", "pipe:0".into());
        push("-map", "0:v:0".into());
        push("-c:v", "libx264".into());
        push("-preset", self.preset.clone());
        push("-crf", self.crf.to_string());
        push("-pix_fmt", "yuv420p".into());
        push("-bf", "0".into());
        push("-g", self.keyint.to_string());
        push("-sc_threshold", "0".into());
        push("-flags", "+cgop".into());
        push("-colorspace", "bt709".into());
        push("-color_primaries", "bt709".into());
        push("-color_trc", "bt709".into());
        push("-color_range", "tv".into());
        push("-chroma_sample_location", "center".into());
        push("-video_track_timescale", self.timescale().to_string());
        push("-f", "mp4".into());
        a.push("-y".into());
        a.push(out.to_string());
        a
    }
}

/// Which adapters are acceptable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdapterPolicy {
    /// Accept a CPU rasterizer (lavapipe/llvmpipe, `DeviceType::Cpu`). Tests and the CLI's
    /// default allow it; a production farm forbids it so that a node whose GPU driver broke
    /// fails loudly instead of rendering fifty times slower.
    pub allow_cpu: bool,
}

impl Default for AdapterPolicy {
    fn default() -> Self {
        Self { allow_cpu: true }
    }
}

/// A setting out of range: which one and why (the renderer reports it as `RenderError::Invalid`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{field}` is invalid: {reason}")]
pub struct SettingsError {
    pub field: &'static str,
    pub reason: String,
}

impl SettingsError {
    fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            field,
            reason: reason.into(),
        }
    }
}
