//! Times in bulletins: Beijing time for China, local time at the epicentre and UTC elsewhere.
use quakecast_facts::lang::Lang;
use quakecast_facts::parse_report;
use quakecast_facts::time::{local_time, uses_beijing_time};
use quakecast_scenes::narration::script;
use quakecast_scenes::phrases::time_local_line_zh;

fn usgs(place: &str, lon: f64, lat: f64, time_ms: i64) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "type": "Feature",
        "id": "us7000test",
        "properties": {
            "mag": 7.8, "place": place, "time": time_ms, "updated": time_ms,
            "status": "reviewed", "magType": "mww", "type": "earthquake",
            "net": "us", "code": "7000test"
        },
        "geometry": {"type": "Point", "coordinates": [lon, lat, 8.2]}
    }))
    .expect("json")
}

#[test]
fn nepal_2015_is_told_in_kathmandu_time_and_utc() {
    // 2015-04-25 06:11:25 UTC, Gorkha: 11:56 in Kathmandu (UTC+5:45).
    let e = parse_report(&usgs(
        "36 km E of Khudi, Nepal",
        84.731,
        28.231,
        1_429_942_285_000,
    ))
    .expect("report");
    assert!(!uses_beijing_time(&e));
    let l = local_time(&e);
    assert_eq!(l.zone, "Asia/Kathmandu");
    assert_eq!(l.time.to_rfc3339(), "2015-04-25T11:56:25+05:45");
    assert_eq!(
        time_local_line_zh(&e),
        "当地时间 2015-04-25 11:56（UTC+5:45） · UTC 06:11"
    );
    let s = script(&e);
    assert_eq!(s.lang, Lang::En);
    let params = &s.cues[1];
    assert!(
        params
            .subtitle
            .contains("11:56 local time (UTC+5:45) on April 25, 2015 (06:11 UTC)"),
        "{params:?}"
    );
    assert!(
        params.text_zh.contains("local time (UTC plus 5:45)"),
        "{params:?}"
    );
}

#[test]
fn los_angeles_local_time_follows_daylight_saving() {
    // 2019-07-06 03:19:53 UTC, Ridgecrest: 20:19 PDT the evening before.
    let e =
        parse_report(&usgs("Ridgecrest, CA", -117.599, 35.770, 1_562_383_193_000)).expect("report");
    let s = script(&e);
    assert!(
        s.cues[1]
            .subtitle
            .contains("20:19 local time (UTC−7) on July 5, 2019 (03:19 UTC)"),
        "{:?}",
        s.cues[1]
    );
}

#[test]
fn china_is_told_in_beijing_time() {
    let e =
        parse_report(include_bytes!("../samples/cenc-2022-05-20-hanyuan.json")).expect("sample");
    assert!(uses_beijing_time(&e));
    let s = script(&e);
    assert!(
        s.cues[1]
            .subtitle
            .starts_with("北京时间2022年5月20日8时36分"),
        "{:?}",
        s.cues[1]
    );
    // Taiwan (UTC+8, Asia/Taipei) too.
    let t = parse_report(include_bytes!("../samples/usgs-sample-feature.json")).expect("sample");
    assert!(uses_beijing_time(&t));
}

#[test]
fn the_theme_can_force_the_narration_language() {
    use quakecast_facts::Facts;
    use quakecast_scenes::narration::script_for;
    use quakecast_scenes::Theme;
    let e =
        parse_report(include_bytes!("../samples/cenc-2022-05-20-hanyuan.json")).expect("sample");
    let facts = Facts::from_event(&e);
    let auto = script_for(&e, &facts, &Theme::default());
    assert_eq!(auto.lang, Lang::Zh);
    let theme = Theme::from_json(r#"{"lang": "En"}"#).expect("theme");
    let en = script_for(&e, &facts, &theme);
    assert_eq!(en.lang, Lang::En);
    assert!(
        en.cues[1].subtitle.contains("Beijing time") && en.cues[1].subtitle.contains("00:36 UTC"),
        "{:?}",
        en.cues[1]
    );
}
