//! On-screen wording of the scenes in the bulletin's language ([`Ctx::lang`]).
//!
//! The Chinese forms are those the scenes always drew (from [`crate::facts`] and the scene
//! files), returned unchanged so that a Chinese bulletin's frames stay byte-identical; the
//! English forms are written here. The English follows the English narration
//! ([`crate::narration`]): agency short names, "reviewed"/"automatic", Beijing time for China and
//! the local time at the epicentre elsewhere, always with UTC.
use chrono::{DateTime, Datelike, FixedOffset, Timelike};

use super::Ctx;
use crate::phrases;
use crate::{Event, ReportStatus, Source};
use quakecast_facts::intensity::{roman, Relation};
use quakecast_facts::nearby::{NearPlace, Nearby, TOWN_REACH_KM};
use quakecast_facts::Lang;

/// Month abbreviations: a date on a card is "Jan 1, 2024", short enough for one line.
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The bulletin's title: "地震速报" / "Earthquake Report".
pub(crate) fn title(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "地震速报",
        Lang::En => "Earthquake Report",
    }
}

/// The status badge: "正式测定" / "Reviewed", "自动测定" / "Automatic".
pub(crate) fn status_badge(e: &Event, lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => phrases::status_zh(e),
        Lang::En => match e.status {
            ReportStatus::Official => "Reviewed",
            ReportStatus::Automatic => "Automatic",
        },
    }
}

/// "reviewed" / "automatic", as the English narration says it.
pub fn status_en(e: &Event) -> &'static str {
    match e.status {
        ReportStatus::Official => "reviewed",
        ReportStatus::Automatic => "automatic",
    }
}

/// The agency as the English header names it ("USGS").
pub fn agency_short_en(s: Source) -> &'static str {
    match s {
        Source::Cenc => "CENC",
        Source::Usgs => "USGS",
        Source::Emsc => "EMSC",
    }
}

/// The agency's full English name, for the attribution.
pub fn agency_en(s: Source) -> &'static str {
    match s {
        Source::Cenc => "China Earthquake Networks Center (CENC)",
        Source::Usgs => "U.S. Geological Survey (USGS)",
        Source::Emsc => "European-Mediterranean Seismological Centre (EMSC)",
    }
}

/// The header's sub-line: "中国地震台网正式测定" / "USGS reviewed earthquake report".
pub(crate) fn status_line(e: &Event, lang: Lang) -> String {
    match lang {
        Lang::Zh => phrases::status_line_zh(e),
        Lang::En => format!(
            "{} {} earthquake report",
            agency_short_en(e.source),
            status_en(e)
        ),
    }
}

/// The note of a revised report (revision ≥ 1).
pub(crate) fn revision_note(e: &Event, lang: Lang) -> Option<&'static str> {
    match lang {
        Lang::Zh => phrases::revision_note_zh(e),
        Lang::En => e.revised.then_some(match e.status {
            ReportStatus::Official => "Revised: supersedes the earlier automatic report",
            ReportStatus::Automatic => {
                "Revised: supersedes the earlier report (still an automatic solution)"
            }
        }),
    }
}

/// Where it struck, in the bulletin's language ([`crate::PlaceName::in_lang`]); the report's
/// own text only when the facts have no name at all (a storyboard stored before place names).
/// An English name starts with a capital on a card, where it stands on its own line ("near
/// Ushitsu, Japan" → "Near Ushitsu, Japan").
pub(crate) fn place(x: &Ctx) -> String {
    let s = x.f.place.in_lang(x.lang);
    let s = if s.is_empty() { x.e.region.as_str() } else { s };
    match x.lang {
        Lang::Zh => s.to_string(),
        Lang::En => capitalized(s),
    }
}

/// `s` with its first letter in upper case.
pub fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// "4.8级" / "M 4.8".
pub(crate) fn magnitude(e: &Event, lang: Lang) -> String {
    match lang {
        Lang::Zh => phrases::magnitude_zh(e),
        Lang::En => format!("M {}", phrases::magnitude_number(e)),
    }
}

/// "Magnitude", or "Magnitude (Mww)" when the scale is not the plain M.
pub fn magnitude_label_en(e: &Event) -> String {
    let t = phrases::magnitude_type_display(e);
    if t == "M" || t.is_empty() {
        "Magnitude".into()
    } else {
        format!("Magnitude ({t})")
    }
}

/// "May 20, 2022 08:36".
pub fn datetime_en(t: &DateTime<FixedOffset>) -> String {
    format!(
        "{} {}, {} {:02}:{:02}",
        MONTHS[t.month0() as usize],
        t.day(),
        t.year(),
        t.hour(),
        t.minute()
    )
}

/// The English time row: label, value and the UTC line. Beijing time where the bulletin gives it
/// ([`quakecast_facts::time::uses_beijing_time`]), else the local time at the epicentre with its offset.
pub fn time_rows_en(e: &Event) -> (String, String, String) {
    let (label, t) = if quakecast_facts::time::uses_beijing_time(e) {
        (
            "Origin time (Beijing time)".to_string(),
            quakecast_facts::time::beijing_time(e),
        )
    } else {
        let l = quakecast_facts::time::local_time(e);
        (
            format!("Origin time (local time, {})", l.utc_label()),
            l.time,
        )
    };
    (label, datetime_en(&t), phrases::time_utc(e))
}

/// "24.5 km".
pub fn depth_en(e: &Event) -> String {
    format!("{} km", phrases::depth_number(e))
}

/// "23.93°N 121.78°E", two decimals as [`phrases::coords_zh`] writes them.
pub fn coords_en(e: &Event) -> String {
    let ns = if e.lat < 0.0 { 'S' } else { 'N' };
    let ew = if e.lon < 0.0 { 'W' } else { 'E' };
    format!("{:.2}°{ns} {:.2}°{ew}", e.lat.abs(), e.lon.abs())
}

/// "Source: U.S. Geological Survey (USGS)".
pub fn attribution_en(e: &Event) -> String {
    format!("Source: {}", agency_en(e.source))
}

/// The caveat of an automatic report.
pub const AUTOMATIC_CAVEAT_EN: &str = "Automatic solution: it may be revised";

/// "39 km".
pub fn km_en(km: u32) -> String {
    format!("{km} km")
}

/// The distance label of a place: "39公里" / "39 km".
pub(crate) fn place_km(p: &NearPlace, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!("{}公里", p.km()),
        Lang::En => km_en(p.km()),
    }
}

/// A nearby place's name: "泸定县" / "Luding County".
pub(crate) fn place_name(p: &NearPlace, lang: Lang) -> String {
    match lang {
        Lang::Zh => p.label_zh().to_string(),
        Lang::En => p.name_en(),
    }
}

/// "Towns within 20 km: Moxi, Dedo." when the gazetteer knows towns that close.
pub fn towns_en(n: &Nearby) -> Option<String> {
    if n.towns.is_empty() {
        return None;
    }
    let names: Vec<String> = n.towns.iter().map(NearPlace::name_en).collect();
    Some(format!(
        "Towns within {} km in GeoNames: {}.",
        TOWN_REACH_KM as u32,
        names.join(", ")
    ))
}

/// The word for a level of shaking, as USGS ShakeMap's legend names the modified Mercalli
/// levels ("Strong" for VI); the Chinese scale's levels match them closely enough for a card.
pub fn shaking_en(level: u8) -> &'static str {
    match level {
        0 | 1 => "Not felt",
        2 | 3 => "Weak",
        4 => "Light",
        5 => "Moderate",
        6 => "Strong",
        7 => "Very strong",
        8 => "Severe",
        9 => "Violent",
        _ => "Extreme",
    }
}

/// "VI Strong"; "Below I" under level I.
pub fn level_en(level: u8) -> String {
    match roman(level) {
        Some(r) if level >= 1 => format!("{r} {}", shaking_en(level)),
        _ => "Below I".to_string(),
    }
}

/// "Felt up to about 120 km".
pub fn felt_en(km: u32) -> String {
    format!("Felt up to about {km} km")
}

/// The citation line under the intensity numbers, in English.
pub fn basis_en(r: Relation) -> &'static str {
    match r {
        Relation::ChinaWest => {
            "Basis: Wang Suyun et al. (2000), intensity attenuation for western China. \
             Predicted; field surveys prevail."
        }
        Relation::ChinaEast => {
            "Basis: Wang Suyun et al. (2000), intensity attenuation for eastern China. \
             Predicted; field surveys prevail."
        }
        Relation::Aww2012Hypo => {
            "Basis: Allen, Wald & Worden (2012) intensity prediction (modified Mercalli). \
             Predicted; field surveys prevail."
        }
    }
}

/// The head line of the history scene: "Within 200 km · past 5 years · M3+".
pub fn history_head_en(radius_km: f64, years: u32, min_magnitude: f64) -> String {
    format!(
        "Within {} km · past {years} years · M{}+",
        radius_km as u32,
        magnitude_threshold(min_magnitude)
    )
}

/// A magnitude threshold as written: "3", "3.5".
pub fn magnitude_threshold(m: f64) -> String {
    if m.fract() == 0.0 {
        format!("{}", m as i64)
    } else {
        format!("{m:.1}")
    }
}

/// "79 earthquakes" / "1 earthquake".
pub fn history_count_en(count: u32) -> String {
    if count == 1 {
        "1 earthquake".to_string()
    } else {
        format!("{count} earthquakes")
    }
}

/// The largest quake of the window, dated in UTC as the English subtitle dates it.
pub fn history_largest_en(h: &quakecast_facts::history::History) -> String {
    match &h.largest {
        Some(l) if l.is_this_event => "The largest is this earthquake".to_string(),
        Some(l) => format!(
            "Largest: M{:.1} on {}, {} km from this epicenter",
            l.event.magnitude,
            l.event.time.format("%Y-%m-%d"),
            l.distance_km.round() as u32
        ),
        None => "None recorded in this area".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn ev() -> Event {
        Event {
            source: Source::Usgs,
            event_id: "us7000sm9q".into(),
            status: ReportStatus::Official,
            revision: 0,
            origin_time: Utc.with_ymd_and_hms(2024, 5, 1, 6, 0, 0).unwrap(),
            lat: 23.9261,
            lon: 121.7833,
            depth_km: 24.5,
            magnitude: 6.3,
            magnitude_type: "mww".into(),
            region: "18 km ESE of Hualien City, Taiwan".into(),
            revised: false,
        }
    }

    #[test]
    fn english_values() {
        let mut e = ev();
        assert_eq!(depth_en(&e), "24.5 km");
        assert_eq!(coords_en(&e), "23.93°N 121.78°E");
        assert_eq!(magnitude(&e, Lang::En), "M 6.3");
        assert_eq!(magnitude_label_en(&e), "Magnitude (Mww)");
        assert_eq!(status_line(&e, Lang::En), "USGS reviewed earthquake report");
        assert_eq!(attribution_en(&e), "Source: U.S. Geological Survey (USGS)");
        // Taiwan: Beijing time, and UTC under it.
        let (label, value, utc) = time_rows_en(&e);
        assert_eq!(label, "Origin time (Beijing time)");
        assert_eq!(value, "May 1, 2024 14:00");
        assert_eq!(utc, "UTC 2024-05-01 06:00");
        // Chile: local time with its offset.
        e.lat = -33.1;
        e.lon = -71.4;
        e.status = ReportStatus::Automatic;
        assert_eq!(coords_en(&e), "33.10°S 71.40°W");
        let (label, value, _) = time_rows_en(&e);
        assert_eq!(label, "Origin time (local time, UTC−4)");
        assert_eq!(value, "May 1, 2024 02:00");
        assert_eq!(status_badge(&e, Lang::En), "Automatic");
    }

    #[test]
    fn levels_in_words() {
        assert_eq!(level_en(6), "VI Strong");
        assert_eq!(level_en(8), "VIII Severe");
        assert_eq!(level_en(0), "Below I");
        assert_eq!(level_en(12), "XII Extreme");
    }

    #[test]
    fn capitals() {
        assert_eq!(capitalized("near Ushitsu, Japan"), "Near Ushitsu, Japan");
        assert_eq!(capitalized("Off Hualien County"), "Off Hualien County");
        assert_eq!(capitalized(""), "");
    }

    #[test]
    fn chinese_forms_are_the_facts_ones() {
        let e = ev();
        assert_eq!(title(Lang::Zh), "地震速报");
        assert_eq!(status_badge(&e, Lang::Zh), phrases::status_zh(&e));
        assert_eq!(status_line(&e, Lang::Zh), phrases::status_line_zh(&e));
        assert_eq!(magnitude(&e, Lang::Zh), phrases::magnitude_zh(&e));
    }
}
