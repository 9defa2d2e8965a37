//! Errors of the video path (adapter, font, frame rendering, encoding).
use std::path::PathBuf;

use thiserror::Error;

/// Why a frame or a segment could not be made. [`RenderError::is_retryable`] tells a passing
/// failure (a lost device, memory pressure, an encoder that died on a full disk) from one that
/// will fail again with the same input and configuration.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum RenderError {
    #[error("no GPU adapter found ({backends}): {reason}")]
    NoAdapter { backends: String, reason: String },
    #[error(
        "adapter `{name}` ({backend}) is a CPU rasterizer; refused because the adapter policy \
         forbids CPU adapters (set `allow_cpu`, e.g. drop --require-gpu, to accept it)"
    )]
    CpuAdapterRefused { name: String, backend: String },
    #[error("could not open a device on adapter `{adapter}`: {reason}")]
    Device { adapter: String, reason: String },
    /// A wgpu error captured while rendering; `retryable` for out-of-memory and device loss.
    #[error("GPU error ({kind}): {message}")]
    Gpu {
        kind: &'static str,
        message: String,
        retryable: bool,
    },
    #[error(
        "font file {path} could not be read: {source} (install the Debian package \
         fonts-wqy-microhei, or point QUAKECAST_FONT at a TTF/TTC with CJK glyphs)"
    )]
    FontMissing {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("font file {path} is not a TrueType/OpenType font or collection: {reason}")]
    FontInvalid { path: PathBuf, reason: String },
    #[error("`{field}` is invalid: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("glyph atlas full: {reason}")]
    AtlasFull { reason: String },
    /// The pipelined API ([`crate::FrameRenderer::submit`]) was misused.
    #[error("frame pipeline: {0}")]
    Pipeline(&'static str),
    #[error("could not start ffmpeg `{program}`: {source} (install ffmpeg, or set QUAKECAST_FFMPEG to its path)")]
    FfmpegSpawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    /// ffmpeg exited with an error or stopped reading its input; `stderr` holds its own words.
    #[error("ffmpeg failed ({status}) writing {path}: {stderr}")]
    Encode {
        path: PathBuf,
        status: String,
        stderr: String,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl RenderError {
    /// Whether trying again (possibly on another worker) may succeed. Missing fonts, refused
    /// adapters, invalid settings and bugs (validation errors) are permanent; device loss,
    /// out-of-memory, and encoder or I/O failures (disk full, killed process) are not.
    pub fn is_retryable(&self) -> bool {
        match self {
            RenderError::Gpu { retryable, .. } => *retryable,
            RenderError::NoAdapter { .. } | RenderError::Device { .. } => true,
            RenderError::Encode { .. } | RenderError::Io { .. } => true,
            RenderError::CpuAdapterRefused { .. }
            | RenderError::FontMissing { .. }
            | RenderError::FontInvalid { .. }
            | RenderError::Invalid { .. }
            | RenderError::AtlasFull { .. }
            | RenderError::Pipeline(_)
            | RenderError::FfmpegSpawn { .. } => false,
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        RenderError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        RenderError::Invalid {
            field,
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_split() {
        let gpu = |retryable| RenderError::Gpu {
            kind: "out of memory",
            message: "x".into(),
            retryable,
        };
        assert!(gpu(true).is_retryable());
        assert!(!gpu(false).is_retryable());
        assert!(!RenderError::invalid("width", "odd").is_retryable());
        assert!(RenderError::Encode {
            path: "a.mp4".into(),
            status: "exit status: 1".into(),
            stderr: "No space left on device".into()
        }
        .is_retryable());
        let missing = RenderError::FontMissing {
            path: "/nope.ttc".into(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        };
        assert!(!missing.is_retryable());
        let text = missing.to_string();
        assert!(
            text.contains("/nope.ttc") && text.contains("fonts-wqy-microhei"),
            "{text}"
        );
    }
}
