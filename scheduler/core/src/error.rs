//! Scheduler errors.
use thiserror::Error;

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// The report was refused; nothing was rendered or stored.
    #[error("invalid report: {0}")]
    Report(#[from] quakecast_facts::ReportError),
    #[error("invalid object key `{key}`: {reason}")]
    Key { key: String, reason: &'static str },
    #[error("object store: {op} `{key}`: {source}")]
    Store {
        op: &'static str,
        key: String,
        #[source]
        source: std::io::Error,
    },
    #[error("missing data file {path}: {hint}")]
    Data { path: String, hint: String },
    /// A material library's tags file or asset is unusable.
    #[error("material {path}: {hint}")]
    Material { path: String, hint: String },
    #[error("{tool} failed: {message}")]
    Tool { tool: &'static str, message: String },
    /// Rendering failed (the renderer's error as text: this crate links no GPU code).
    #[error("render: {message}")]
    Render { message: String, retryable: bool },
    #[error("audio: {0}")]
    Audio(#[from] quakecast_audio::AudioError),
    #[error("I/O on {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// True when retrying the same work may succeed (transient I/O, a worker's GPU loss).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Store { .. } | Error::Io { .. } => true,
            Error::Render { retryable, .. } => *retryable,
            Error::Audio(e) => e.is_retryable(),
            _ => false,
        }
    }

    pub fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().display().to_string(),
            source,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
