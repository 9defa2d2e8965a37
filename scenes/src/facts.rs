//! The bulletin's on-screen wording: times in Beijing time, magnitudes, depths, coordinates, agencies.
use chrono::{DateTime, FixedOffset};

use crate::{Event, ReportStatus, Source};

/// UTC+8, the time zone CENC reports in (北京时间).
pub fn beijing() -> FixedOffset {
    // `east_opt` only fails beyond ±24 h.
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// The origin time in Beijing time.
pub fn beijing_time(e: &Event) -> DateTime<FixedOffset> {
    e.origin_time.with_timezone(&beijing())
}

/// "2022年05月20日 08时36分" (Beijing time).
pub fn time_zh(e: &Event) -> String {
    beijing_time(e).format("%Y年%m月%d日 %H时%M分").to_string()
}

/// "UTC 2022-05-20 00:36".
pub fn time_utc(e: &Event) -> String {
    e.origin_time.format("UTC %Y-%m-%d %H:%M").to_string()
}

/// Magnitude to one decimal, as agencies publish it: "4.8".
pub fn magnitude_number(e: &Event) -> String {
    format!("{:.1}", e.magnitude)
}

/// "4.8级".
pub fn magnitude_zh(e: &Event) -> String {
    format!("{}级", magnitude_number(e))
}

/// The magnitude scale for display: "M" stays "M", others get a capital first letter ("Mww").
pub fn magnitude_type_display(e: &Event) -> String {
    let mut c = e.magnitude_type.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Label of the magnitude line: "震级", or "震级（Mww）" when the scale is not CENC's plain M.
pub fn magnitude_label_zh(e: &Event) -> String {
    let t = magnitude_type_display(e);
    if t == "M" || t.is_empty() {
        "震级".into()
    } else {
        format!("震级（{t}）")
    }
}

/// Depth in km without needless decimals: 20 → "20", 10.5 → "10.5", 7.25 → "7.3".
pub fn depth_number(e: &Event) -> String {
    let r = (e.depth_km * 10.0).round() / 10.0;
    if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

/// "20千米".
pub fn depth_zh(e: &Event) -> String {
    format!("{}千米", depth_number(e))
}

/// "北纬29.67度 东经102.48度" (南纬/西经 in the other hemispheres), two decimals as CENC writes.
pub fn coords_zh(e: &Event) -> String {
    let ns = if e.lat < 0.0 { "南纬" } else { "北纬" };
    let ew = if e.lon < 0.0 { "西经" } else { "东经" };
    format!("{ns}{:.2}度 {ew}{:.2}度", e.lat.abs(), e.lon.abs())
}

/// The agency's name in Chinese.
pub fn source_name_zh(s: Source) -> &'static str {
    match s {
        Source::Cenc => "中国地震台网",
        Source::Usgs => "美国地质调查局（USGS）",
        Source::Emsc => "欧洲地中海地震中心（EMSC）",
    }
}

/// Short agency name for the header sub-line.
fn source_short(s: Source) -> &'static str {
    match s {
        Source::Cenc => "中国地震台网",
        Source::Usgs => "USGS ",
        Source::Emsc => "EMSC ",
    }
}

/// "正式测定" or "自动测定".
pub fn status_zh(e: &Event) -> &'static str {
    match e.status {
        ReportStatus::Official => "正式测定",
        ReportStatus::Automatic => "自动测定",
    }
}

/// "中国地震台网正式测定", "USGS 自动测定", …
pub fn status_line_zh(e: &Event) -> String {
    format!("{}{}", source_short(e.source), status_zh(e))
}

/// "以上信息来源：中国地震台网".
pub fn attribution_zh(e: &Event) -> String {
    format!("以上信息来源：{}", source_name_zh(e.source))
}

/// The safety reminder on the closing card.
pub const SAFETY_ZH: &str = "震区民众请远离受损建筑，注意防范余震";

/// The caveat shown for automatic reports.
pub const AUTOMATIC_CAVEAT_ZH: &str = "自动测定结果，以正式测定为准";

/// Whether the epicentre lies in the box around China (73–136°E, 3–54°N) the bulletin frames
/// as "China": the map then starts from the whole-country view. A box, so it also takes in
/// parts of neighbouring countries, which is what a Chinese audience wants for those events too.
pub fn in_china_frame(lon: f64, lat: f64) -> bool {
    (73.0..=136.0).contains(&lon) && (3.0..=54.0).contains(&lat)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn ev() -> Event {
        Event {
            source: Source::Cenc,
            event_id: "x".into(),
            status: ReportStatus::Official,
            revision: 0,
            origin_time: Utc.with_ymd_and_hms(2022, 5, 20, 0, 36, 0).unwrap(),
            lat: 29.67,
            lon: 102.48,
            depth_km: 20.0,
            magnitude: 4.8,
            magnitude_type: "M".into(),
            region: "四川雅安市汉源县".into(),
        }
    }

    #[test]
    fn hanyuan_wording() {
        let e = ev();
        assert_eq!(time_zh(&e), "2022年05月20日 08时36分");
        assert_eq!(time_utc(&e), "UTC 2022-05-20 00:36");
        assert_eq!(magnitude_zh(&e), "4.8级");
        assert_eq!(depth_zh(&e), "20千米");
        assert_eq!(coords_zh(&e), "北纬29.67度 东经102.48度");
        assert_eq!(status_line_zh(&e), "中国地震台网正式测定");
        assert_eq!(attribution_zh(&e), "以上信息来源：中国地震台网");
        assert_eq!(magnitude_label_zh(&e), "震级");
        assert!(in_china_frame(e.lon, e.lat));
    }

    #[test]
    fn other_hemispheres_and_agencies() {
        let mut e = ev();
        e.lat = -33.5;
        e.lon = -71.25;
        e.depth_km = 10.55;
        e.magnitude = 6.0;
        e.magnitude_type = "mww".into();
        e.source = Source::Usgs;
        e.status = ReportStatus::Automatic;
        assert_eq!(coords_zh(&e), "南纬33.50度 西经71.25度");
        assert_eq!(depth_zh(&e), "10.6千米");
        assert_eq!(magnitude_zh(&e), "6.0级");
        assert_eq!(magnitude_label_zh(&e), "震级（Mww）");
        assert_eq!(status_line_zh(&e), "USGS 自动测定");
        assert!(!in_china_frame(e.lon, e.lat));
        // Midnight UTC is 08:00 the same day in Beijing; 20:00 UTC is the next day.
        e.origin_time = Utc.with_ymd_and_hms(2023, 12, 31, 20, 5, 0).unwrap();
        assert_eq!(time_zh(&e), "2024年01月01日 04时05分");
    }
}
