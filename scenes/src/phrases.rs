//! The bulletin's on-screen and spoken phrases built from the facts: times, magnitudes,
//! depths, coordinates, agencies, elevation sentences, safety advice, revision notes.
use quakecast_facts::elevation::ElevationSummary;
use quakecast_facts::facts::{situation, Situation};
use quakecast_facts::time::{beijing_time, is_night, local_time};
use quakecast_facts::zh::{fmt_trimmed, zh_integer, zh_read_number};
use quakecast_facts::{Event, Facts, ReportStatus, Source};

/// "震中5公里范围内平均海拔约2530米。" (digits), CENC's wording; the mean to
/// [`quakecast_facts::elevation::ELEVATION_ROUND_M`] metres. CENC writes the number without a thousands
/// separator.
pub fn elevation_sentence_zh(e: &ElevationSummary) -> String {
    let m = e.rounded_m();
    if m < 0 {
        // Offshore: the sea floor, as a depth.
        return format!(
            "震中{}公里范围内平均水深约{}米。",
            fmt_trimmed(e.radius_km, 1),
            -m
        );
    }
    format!(
        "震中{}公里范围内平均海拔约{}米。",
        fmt_trimmed(e.radius_km, 1),
        m
    )
}

/// The spoken form: "震中五公里范围内平均海拔约两千五百三十米。"
pub fn elevation_sentence_zh_spoken(e: &ElevationSummary) -> String {
    let m = e.rounded_m();
    let what = if m < 0 {
        "平均水深"
    } else {
        "平均海拔"
    };
    format!(
        "震中{}公里范围内{what}约{}米。",
        zh_read_number(&fmt_trimmed(e.radius_km, 1)),
        zh_integer(m.abs())
    )
}

/// "Mean elevation within 5 km of the epicenter: about 2,530 m." (subtitle).
pub fn elevation_sentence_en(e: &ElevationSummary) -> String {
    let m = e.rounded_m();
    if m < 0 {
        return format!(
            "Mean water depth within {} km of the epicenter: about {} m.",
            fmt_trimmed(e.radius_km, 1),
            thousands(-m)
        );
    }
    format!(
        "Mean elevation within {} km of the epicenter: about {} m.",
        fmt_trimmed(e.radius_km, 1),
        thousands(m)
    )
}

/// The spoken English form: "The mean elevation within 5 kilometers of the epicenter is about
/// 2,530 meters."
pub fn elevation_sentence_en_spoken(e: &ElevationSummary) -> String {
    let r = fmt_trimmed(e.radius_km, 1);
    let km = if r == "1" { "kilometer" } else { "kilometers" };
    let m = e.rounded_m();
    let meters = if m.abs() == 1 { "meter" } else { "meters" };
    if m < 0 {
        return format!(
            "The mean water depth within {r} {km} of the epicenter is about {} {meters}.",
            thousands(-m)
        );
    }
    format!(
        "The mean elevation within {r} {km} of the epicenter is about {} {meters}.",
        thousands(m)
    )
}

/// An integer with comma thousands separators: 2530 → "2,530", −12000 → "-12,000".
fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    if n < 0 {
        out.push('-');
    }
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// The safety advice, one or two short sentences, by situation and time of day.
pub fn safety_zh(e: &Event, facts: &Facts) -> &'static str {
    match (situation(facts), is_night(e)) {
        (Situation::Strong, true) => {
            "夜间震感强烈，请勿慌乱跳楼，就近避险；震后到空旷处，注意保暖，防范余震"
        }
        (Situation::Strong, false) => "震区民众请远离受损建筑，到空旷处避险，注意防范余震",
        (Situation::Felt, true) => "夜间有感，请保持冷静，不必惊慌外逃，留意官方信息",
        (Situation::Felt, false) => "震区可能有感，请保持冷静，关注官方发布的信息",
        (Situation::Minor, _) => "本次地震震级较小，请勿轻信谣言，以官方信息为准",
    }
}

/// English safety advice (same rules).
pub fn safety_en(e: &Event, facts: &Facts) -> &'static str {
    match (situation(facts), is_night(e)) {
        (Situation::Strong, true) => "Strong shaking at night: drop, cover and hold on; then move to open ground and expect aftershocks.",
        (Situation::Strong, false) => "Stay away from damaged buildings, move to open ground and expect aftershocks.",
        (Situation::Felt, _) => "Shaking may have been felt. Stay calm and follow official information.",
        (Situation::Minor, _) => "A small earthquake. Rely on official information.",
    }
}

/// A report that says it revises an earlier one ([`Event::revised`]) supersedes it.
pub fn revision_note_zh(e: &Event) -> Option<&'static str> {
    e.revised.then_some(match e.status {
        ReportStatus::Official => "修订：本消息替代此前发布的自动测定结果",
        ReportStatus::Automatic => "修订：本消息替代此前发布的自动测定结果（仍为自动测定）",
    })
}

/// "2022年05月20日 08时36分" (Beijing time).
pub fn time_zh(e: &Event) -> String {
    beijing_time(e).format("%Y年%m月%d日 %H时%M分").to_string()
}

/// The second time line of the parameters scene outside China:
/// "当地时间 2015-04-25 11:56（UTC+5:45） · UTC 06:11".
pub fn time_local_line_zh(e: &Event) -> String {
    let l = local_time(e);
    format!(
        "当地时间 {}（{}） · UTC {}",
        l.time.format("%Y-%m-%d %H:%M"),
        l.utc_label(),
        e.origin_time.format("%H:%M")
    )
}

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

/// The safety reminder of the default (strong, daytime) case.
pub const SAFETY_ZH: &str = "震区民众请远离受损建筑，注意防范余震";

/// The caveat shown for automatic reports.
pub const AUTOMATIC_CAVEAT_ZH: &str = "自动测定结果，以正式测定为准";

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use quakecast_facts::facts::in_china_frame;

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
            revised: false,
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
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(530), "530");
        assert_eq!(thousands(2530), "2,530");
        assert_eq!(thousands(-12000), "-12,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
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
