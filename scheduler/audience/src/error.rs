//! Audience errors: each names the file, the row and the column where that applies.
use thiserror::Error;

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum AudienceError {
    /// A snapshot lacks a required column.
    #[error("{file}: missing column `{column}` (accepted names: {accepted}; found: {found})")]
    MissingColumn {
        file: String,
        column: &'static str,
        accepted: String,
        found: String,
    },
    /// A snapshot column has a type we cannot read as the field.
    #[error("{file}: column `{column}` has type {found}; expected {expected}")]
    ColumnType {
        file: String,
        column: String,
        found: String,
        expected: &'static str,
    },
    /// One value of one row is unusable. `row` counts data rows from 1; `line` is the CSV line.
    #[error("{file}: row {row}{}, column `{column}`: {problem}", line.map(|l| format!(" (line {l})")).unwrap_or_default())]
    BadValue {
        file: String,
        row: u64,
        line: Option<u64>,
        column: String,
        problem: String,
    },
    /// The file is not readable as the format it claims (truncated Parquet, ragged CSV...).
    #[error("{file}: {message}")]
    Format { file: String, message: String },
    /// The index file is missing, truncated, of another version or inconsistent.
    #[error("index {path}: {reason}")]
    Index { path: String, reason: String },
    #[error("gazetteer {path}: {message}")]
    Gazetteer { path: String, message: String },
    /// Bad options (tier list, resolution...).
    #[error("{0}")]
    Config(String),
    #[error("I/O on {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl AudienceError {
    /// True when retrying may succeed (I/O); bad input stays bad.
    pub fn is_retryable(&self) -> bool {
        matches!(self, AudienceError::Io { .. })
    }

    pub(crate) fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        AudienceError::Io {
            path: path.as_ref().display().to_string(),
            source,
        }
    }

    pub(crate) fn index(path: impl AsRef<std::path::Path>, reason: impl Into<String>) -> Self {
        AudienceError::Index {
            path: path.as_ref().display().to_string(),
            reason: reason.into(),
        }
    }
}

pub type Result<T, E = AudienceError> = std::result::Result<T, E>;
