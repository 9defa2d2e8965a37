//! Quake reports (CENC JSON, USGS GeoJSON feature) → validated [`Event`].
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ReportError;

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
}

/// Parse and validate one report; the format is detected from its content.
pub fn parse_report(bytes: &[u8]) -> Result<Event, ReportError> {
    let _ = bytes;
    todo!("scenes helper")
}
