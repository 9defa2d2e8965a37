//! The validated earthquake report every input format becomes, and the limits it is held to.
//!
//! Parsing lives in [`crate::report`] (five formats, detected from the content); this module is
//! the shared result and the ranges every format is validated against, so a depth or a year means
//! the same whichever agency sent it.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The agency that published the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Source {
    Cenc,
    Usgs,
    Emsc,
}

/// Automatic (machine-picked, 自动测定) or official (reviewed, 正式测定).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReportStatus {
    Automatic,
    Official,
}

/// A validated earthquake report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub source: Source,
    pub event_id: String,
    pub status: ReportStatus,
    /// Revision of this event's report (0 for the first).
    pub revision: u32,
    pub origin_time: DateTime<Utc>,
    pub lat: f64,
    pub lon: f64,
    pub depth_km: f64,
    pub magnitude: f64,
    /// e.g. "M", "Ms", "ML", "mb", "Mw", "mww".
    pub magnitude_type: String,
    /// Human-readable region name as the agency gave it.
    pub region: String,
    /// The report says it revises an earlier one of the same status (our schema's
    /// `revision` ≥ 1, an EMSC `update`, a QuakeML version ≥ 1): the bulletin then says so
    /// ("修订：…"). `revision` alone is an ordering key (minutes since origin for CENC records,
    /// USGS and EMSC) and says nothing about whether the report was revised.
    #[serde(default)]
    pub revised: bool,
}

/// Valid ranges, shared by every format (inclusive).
pub const LAT_RANGE: (f64, f64) = (-90.0, 90.0);
pub const LON_RANGE: (f64, f64) = (-180.0, 180.0);
/// Depth below sea level, km. Negative depths are hypocentres above sea level, which USGS and
/// EMSC do publish for shallow events under mountains (e.g. −3.5 km); the bulletin treats them as
/// 0 km ("shallow") for speech and intensity.
pub const DEPTH_RANGE_KM: (f64, f64) = (-10.0, 800.0);
pub const MAGNITUDE_RANGE: (f64, f64) = (-1.0, 10.0);
/// Origin times before this year are refused (no instrumental catalogue goes further back).
pub const MIN_YEAR: i32 = 1900;
/// Origin times after this year are refused (a typo or a unit error, not a quake to announce).
pub const MAX_YEAR: i32 = 2100;
/// Longest event id, characters (ids become object-store paths and database keys).
pub const EVENT_ID_MAX_CHARS: usize = 128;
/// Longest region text, characters (it is drawn on cards and spoken).
pub const REGION_MAX_CHARS: usize = 200;
/// Longest magnitude type, characters ("M", "Ms", "mww", "Mwp"…).
pub const MAGNITUDE_TYPE_MAX_CHARS: usize = 16;
