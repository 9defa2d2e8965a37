//! Errors for report parsing and validation, and for decoding map data.
use thiserror::Error;

/// Why a report was refused. Every variant but `Syntax`, `UnknownFormat` and `Withdrawn` names
/// the offending field (a JSON pointer such as `/properties/mag`, or a QuakeML element path such
/// as `eventParameters/event/origin/latitude/value`) so the sender can fix it.
///
/// All variants are permanent: sending the same bytes again gives the same error
/// ([`ReportError::is_retryable`] is `false` for every one of them).
#[derive(Debug, Error, PartialEq)]
#[non_exhaustive]
pub enum ReportError {
    /// Not JSON, or not XML (the message says which and where).
    #[error("report does not parse: {0}")]
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
    /// The report withdraws an event ([`crate::parse_message`] returns it as a
    /// [`crate::Message::Withdrawal`]); there is no event to make a bulletin of.
    #[error("the report is a {0}: there is no bulletin to render")]
    Withdrawn(crate::Withdrawal),
}

impl ReportError {
    /// Whether retrying the same input could succeed. Parsing is pure, so never.
    pub fn is_retryable(&self) -> bool {
        false
    }

    /// The JSON pointer of the offending field, where the error concerns one field.
    pub fn field(&self) -> Option<&str> {
        match self {
            ReportError::Missing { field }
            | ReportError::WrongType { field, .. }
            | ReportError::OutOfRange { field, .. }
            | ReportError::Invalid { field, .. } => Some(field),
            ReportError::Syntax(_) | ReportError::UnknownFormat(_) | ReportError::Withdrawn(_) => {
                None
            }
        }
    }
}

/// Why map source data could not be decoded. `source` names the input
/// (`countries`, `land`, `china`, `rivers.qriv`, …), `path` the JSON location where it went
/// wrong (`offset` the byte, for binary inputs).
///
/// Permanent: the inputs are files shipped by `scripts/setup.sh`; a decoding error means a
/// wrong or corrupted file, which retrying does not fix.
#[derive(Debug, Error, PartialEq)]
#[non_exhaustive]
pub enum MapError {
    #[error("{source_name}: not valid JSON: {message}")]
    Syntax {
        source_name: &'static str,
        message: String,
    },
    #[error("{source_name}: `{path}`: {reason}")]
    Shape {
        source_name: &'static str,
        path: String,
        reason: String,
    },
    #[error("{source_name}: cannot find the map object: {reason}")]
    NotFound {
        source_name: &'static str,
        reason: String,
    },
    /// A binary file (`rivers.qriv`) that is truncated or holds impossible values: `offset` is
    /// the byte where the bad field starts.
    #[error("{source_name}: at byte {offset}: {reason}")]
    Binary {
        source_name: &'static str,
        offset: usize,
        reason: String,
    },
}

impl MapError {
    /// Whether retrying with the same input could succeed: never.
    pub fn is_retryable(&self) -> bool {
        false
    }
}

/// A seismicity catalogue that does not parse (permanent): names the line and the column.
#[derive(Debug, Error, PartialEq)]
#[error("catalog line {line}: {reason}")]
pub struct CatalogError {
    pub line: usize,
    pub reason: String,
}
