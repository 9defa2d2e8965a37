//! Times of an event: Beijing time (CENC's clock), whether a bulletin uses it, the local civil
//! time at the epicentre, and whether the origin falls at night there.
use chrono::{DateTime, FixedOffset, Timelike, Utc};

use crate::Event;

/// Any UTC time in Beijing time.
pub fn beijing_time_of(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    t.with_timezone(&beijing())
}

/// UTC+8, the time zone CENC reports in (北京时间).
pub fn beijing() -> FixedOffset {
    // `east_opt` only fails beyond ±24 h.
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// The origin time in Beijing time.
pub fn beijing_time(e: &Event) -> DateTime<FixedOffset> {
    e.origin_time.with_timezone(&beijing())
}

/// Whether the bulletin gives Beijing time (as CENC does for China: the mainland outline with its
/// coastal margin, and the zones of China's other regions, all UTC+8); elsewhere it gives the
/// local time at the epicentre and UTC ([`local_time`]).
pub fn uses_beijing_time(e: &Event) -> bool {
    crate::intensity::in_mainland_china(e.lat, e.lon)
        || matches!(
            crate::localtime::zone_at(e.lat, e.lon).as_deref(),
            Some("Asia/Shanghai" | "Asia/Urumqi" | "Asia/Taipei" | "Asia/Hong_Kong" | "Asia/Macau")
        )
}

/// Local (civil) time at the epicentre at the origin time, from the IANA zone there.
pub fn local_time(e: &Event) -> crate::localtime::LocalTime {
    crate::localtime::local_time(e.lat, e.lon, e.origin_time)
}

/// Whether the origin falls at night (22:00–06:00) where it struck: Beijing time in China,
/// solar time (longitude / 15°) elsewhere, which is what "night" means for the people there
/// whatever their civil time zone.
pub fn is_night(e: &Event) -> bool {
    !(6..22).contains(&local_hour(e))
}

/// The hour of the origin where it struck (Beijing time in China, solar time elsewhere; see
/// [`is_night`]).
pub fn local_hour(e: &Event) -> u32 {
    if crate::intensity::in_mainland_china(e.lat, e.lon) {
        beijing_time(e).hour()
    } else {
        let secs = (e.lon / 15.0 * 3600.0).round() as i32;
        FixedOffset::east_opt(secs).map_or(e.origin_time.hour(), |o| {
            e.origin_time.with_timezone(&o).hour()
        })
    }
}

/// Whether it is dark where it struck (19:00–06:00 local): the bulletin then takes the night
/// look when the operator chose no theme.
pub fn is_dark(e: &Event) -> bool {
    !(6..19).contains(&local_hour(e))
}
