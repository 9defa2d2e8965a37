//! Errors for report parsing and validation.
use thiserror::Error;

/// Why a report was refused. Every variant names the offending field (JSON pointer style,
/// e.g. `/properties/mag`) so the sender can fix it.
#[derive(Debug, Error, PartialEq)]
#[non_exhaustive]
pub enum ReportError {
    #[error("report is not valid JSON: {0}")]
    Syntax(String),
    #[error("report format not recognised: {0}")]
    UnknownFormat(String),
    #[error("missing field `{field}`")]
    Missing { field: String },
    #[error("field `{field}` has the wrong type: expected {expected}")]
    WrongType { field: String, expected: String },
    #[error("field `{field}` = {value} is out of range: expected {expected}")]
    OutOfRange {
        field: String,
        value: String,
        expected: String,
    },
    #[error("field `{field}` is invalid: {reason}")]
    Invalid { field: String, reason: String },
}
