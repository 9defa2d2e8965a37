//! Local time at the epicentre, for bulletins about events outside China (Beijing time is used
//! inside China, as CENC publishes it).
//!
//! The IANA zone comes from the zone boundaries embedded by `tzf-rs` (timezone-boundary-builder
//! polygons, ODbL; at sea the nautical `Etc/GMT±N` zones), the offset at the origin time from
//! the IANA tz database embedded by `chrono-tz` (daylight saving time included). Pure: no files,
//! no clock.
use std::sync::OnceLock;

use chrono::{DateTime, FixedOffset, Offset, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// The local time of an instant at a place.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LocalTime {
    /// IANA zone name (`Asia/Kathmandu`, `Etc/GMT+5` at sea).
    pub zone: String,
    pub time: DateTime<FixedOffset>,
}

impl LocalTime {
    /// Offset from UTC in seconds (east positive).
    pub fn offset_secs(&self) -> i32 {
        self.time.offset().local_minus_utc()
    }

    /// "UTC+5:45", "UTC−5", "UTC" — the offset as a bulletin writes it.
    pub fn utc_label(&self) -> String {
        let s = self.offset_secs();
        if s == 0 {
            return "UTC".into();
        }
        let sign = if s < 0 { '−' } else { '+' };
        let (h, m) = (s.abs() / 3600, s.abs() % 3600 / 60);
        if m == 0 {
            format!("UTC{sign}{h}")
        } else {
            format!("UTC{sign}{h}:{m:02}")
        }
    }
}

fn finder() -> &'static tzf_rs::EmbeddedFinder {
    static F: OnceLock<tzf_rs::EmbeddedFinder> = OnceLock::new();
    F.get_or_init(tzf_rs::EmbeddedFinder::new)
}

/// The IANA zone at (lat, lon); `None` where the boundaries give none.
pub fn zone_at(lat: f64, lon: f64) -> Option<String> {
    let name = finder().get_tz_name(lon, lat);
    (!name.is_empty()).then(|| name.to_string())
}

/// Local time of `t` at (lat, lon). A zone the tz database does not know (boundary data newer
/// than the database) falls back to the nautical zone of the longitude, named as such.
pub fn local_time(lat: f64, lon: f64, t: DateTime<Utc>) -> LocalTime {
    if let Some(zone) = zone_at(lat, lon) {
        if let Ok(tz) = zone.parse::<chrono_tz::Tz>() {
            let offset = tz.offset_from_utc_datetime(&t.naive_utc()).fix();
            return LocalTime {
                zone,
                time: t.with_timezone(&offset),
            };
        }
    }
    // Nautical time: 15° per hour, centred on the meridian (Etc/GMT signs are inverted).
    let hours = (lon / 15.0).round().clamp(-12.0, 12.0) as i32;
    let offset = FixedOffset::east_opt(hours * 3600).unwrap_or_else(|| Utc.fix());
    LocalTime {
        zone: match hours {
            0 => "Etc/GMT".into(),
            h => format!("Etc/GMT{:+}", -h),
        },
        time: t.with_timezone(&offset),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).expect("time").to_utc()
    }

    #[test]
    fn zones_and_offsets_follow_the_tz_database() {
        // Kathmandu: UTC+5:45, no DST.
        let k = local_time(27.7, 85.3, at("2015-04-25T06:11:25Z"));
        assert_eq!(k.zone, "Asia/Kathmandu");
        assert_eq!(k.utc_label(), "UTC+5:45");
        assert_eq!(k.time.to_rfc3339(), "2015-04-25T11:56:25+05:45");
        // Los Angeles in summer (PDT, UTC−7) and winter (PST, UTC−8).
        let s = local_time(34.05, -118.25, at("2019-07-06T03:19:53Z"));
        assert_eq!(
            (s.zone.as_str(), s.utc_label().as_str()),
            ("America/Los_Angeles", "UTC−7")
        );
        assert_eq!(s.time.to_rfc3339(), "2019-07-05T20:19:53-07:00");
        let w = local_time(34.05, -118.25, at("2019-01-06T03:19:53Z"));
        assert_eq!(w.utc_label(), "UTC−8");
        // Tokyo, and Beijing's zone for a point in China.
        assert_eq!(
            local_time(35.7, 139.7, at("2024-01-01T07:10:09Z")).utc_label(),
            "UTC+9"
        );
        assert_eq!(zone_at(29.59, 102.08).as_deref(), Some("Asia/Shanghai"));
    }

    #[test]
    fn open_ocean_uses_the_nautical_zone() {
        // Mid-Pacific, far from land.
        let t = local_time(0.0, -140.0, at("2024-01-01T00:00:00Z"));
        assert_eq!(t.offset_secs(), -9 * 3600, "{t:?}");
        assert!(t.zone.starts_with("Etc/GMT"), "{t:?}");
    }
}
