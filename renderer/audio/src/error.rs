//! Errors of the audio pipeline (voices, mixing, encoding).
use std::path::PathBuf;

use thiserror::Error;

/// Why audio could not be made. [`AudioError::is_retryable`] tells a passing failure (a voice
/// server that is down, a timeout) from one that will fail again with the same input.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum AudioError {
    #[error("could not start `{program}`: {source} (set {env} to its path)")]
    Spawn {
        program: String,
        env: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("`{program}` failed ({status}): {stderr}")]
    Tool {
        program: String,
        status: String,
        stderr: String,
    },
    #[error("{what} is not audio we can read: {reason}")]
    Wav { what: String, reason: String },
    #[error("HTTP voice {url}: {reason}")]
    Http {
        url: String,
        reason: String,
        retryable: bool,
    },
    #[error("voice `{voice}` produced silence for {text:?}")]
    Silent { voice: String, text: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{field}` is invalid: {reason}")]
    Invalid { field: String, reason: String },
    #[error("loudness meter: {0}")]
    Meter(String),
}

impl AudioError {
    /// True when the same call may succeed later (network trouble, 5xx, 429, timeouts);
    /// false for bad input, missing programs and undecodable audio.
    pub fn is_retryable(&self) -> bool {
        match self {
            AudioError::Http { retryable, .. } => *retryable,
            AudioError::Io { .. } => true,
            _ => false,
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        AudioError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn invalid(field: &str, reason: impl Into<String>) -> Self {
        AudioError::Invalid {
            field: field.to_string(),
            reason: reason.into(),
        }
    }
}

/// Result of the audio pipeline.
pub type Result<T, E = AudioError> = std::result::Result<T, E>;
