//! Farm errors: one enum, retryable vs permanent, and the one place they become HTTP statuses.
use thiserror::Error;

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum FarmError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("database URL {url:?}: {reason}")]
    DbUrl { url: String, reason: String },
    /// Something stored cannot be read back (a bug or a hand-edited row).
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Scheduler(#[from] quakecast_core::Error),
    #[error("object store {op} `{key}`: {message}")]
    S3 {
        op: &'static str,
        key: String,
        message: String,
    },
    #[error("push to {url}: {message}")]
    Push { url: String, message: String },
    #[error("configuration: {0}")]
    Config(String),
    #[error("{0}")]
    Other(String),
}

impl FarmError {
    /// True when the same work may succeed later (connection trouble, a busy database,
    /// transient I/O); false for bad input and bugs.
    pub fn is_retryable(&self) -> bool {
        match self {
            FarmError::Db(e) => !matches!(
                e,
                sqlx::Error::ColumnDecode { .. }
                    | sqlx::Error::ColumnNotFound(_)
                    | sqlx::Error::TypeNotFound { .. }
                    | sqlx::Error::Decode(_)
            ),
            FarmError::Scheduler(e) => e.is_retryable(),
            FarmError::S3 { .. } | FarmError::Push { .. } => true,
            FarmError::DbUrl { .. }
            | FarmError::Corrupt(_)
            | FarmError::Config(_)
            | FarmError::Other(_) => false,
        }
    }
}

pub type FarmResult<T, E = FarmError> = std::result::Result<T, E>;
