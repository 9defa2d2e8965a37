//! Errors of the storyboard layer.
use thiserror::Error;

/// A theme file that does not decode (permanent): serde's message names the field and position.
#[derive(Debug, Error, PartialEq)]
#[error("theme: {message}")]
pub struct ThemeError {
    pub message: String,
}
