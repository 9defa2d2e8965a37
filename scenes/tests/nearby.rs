//! Nearby-place distances against CENC's published automatic bulletins (quoted in each case),
//! computed from the real seat table (cpca `adcodes.csv`) and GeoNames.

use chrono::{TimeZone, Utc};
use quakecast_facts::nearby::{nearby, PlaceKind};
use quakecast_facts::{Event, ReportStatus, Source};
use quakecast_testkit::assets;

fn cenc(lat: f64, lon: f64, mag: f64, region: &str) -> Event {
    Event {
        source: Source::Cenc,
        event_id: format!("t{lat}{lon}"),
        status: ReportStatus::Official,
        revision: 0,
        origin_time: Utc.with_ymd_and_hms(2022, 9, 5, 4, 52, 0).unwrap(),
        lat,
        lon,
        depth_km: 10.0,
        magnitude: mag,
        magnitude_type: "M".into(),
        region: region.into(),
        revised: false,
    }
}

/// Our names in order must equal the bulletin's; distances agree within `tol_km`. The bulletin
/// rounds from its own coordinates (the epicentre itself only to 0.01°, ±0.6 km), so a
/// kilometre or so of difference is expected.
fn check(e: &Event, bulletin: &[(&str, u32)], tol_km: f64) {
    let n = nearby(e, assets());
    let ours: Vec<(String, f64)> = n
        .all()
        .map(|p| (p.label_zh().to_string(), p.distance_km))
        .collect();
    let names: Vec<&str> = ours.iter().map(|(n, _)| n.as_str()).collect();
    let want: Vec<&str> = bulletin.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, want, "{ours:?}");
    for ((name, d), (_, km)) in ours.iter().zip(bulletin) {
        assert!(
            (d - f64::from(*km)).abs() <= tol_km,
            "{name}: {d:.1} km, bulletin {km} km"
        );
    }
}

#[test]
fn luding_2022_09_05_m6_8() {
    // CENC: "9月5日12时52分在四川甘孜州泸定县(北纬29.59度,东经102.08度)发生6.8级地震……
    // 震中距泸定县39公里、距康定市47公里、距石棉县48公里、距汉源县62公里、距荥经县78公里,
    // 距甘孜藏族自治州52公里,距成都市226公里。"
    let e = cenc(29.59, 102.08, 6.8, "四川甘孜州泸定县");
    check(
        &e,
        &[
            ("泸定县", 39),
            ("康定市", 47),
            ("石棉县", 48),
            ("汉源县", 62),
            ("荥经县", 78),
            ("甘孜藏族自治州", 52),
            ("成都市", 226),
        ],
        1.5,
    );
    let n = nearby(&e, assets());
    assert!(n.china);
    assert_eq!(n.capital.as_ref().map(|c| c.kind), Some(PlaceKind::Capital));
    let s = n.sentence_zh().unwrap();
    assert!(
        s.starts_with("震中距泸定县39公里、距康定市47公里、距石棉县"),
        "{s}"
    );
    assert!(
        s.contains("，距甘孜藏族自治州52公里，距成都市225公里。"),
        "{s}"
    );
    assert!(n
        .sentence_zh_spoken()
        .unwrap()
        .starts_with("震中距泸定县三十九公里、距康定市四十七公里"));
}

#[test]
fn shimian_2022_09_07_m4_5() {
    // CENC (via 中国新闻网): "这次4.5级地震发生在四川雅安市石棉县……北纬29.42度,东经102.16度……
    // 震中距石棉县29公里、距汉源县48公里、距泸定县55公里、距康定市67公里、距荥经县78公里,
    // 距甘孜藏族自治州73公里,距成都市230公里。"
    check(
        &cenc(29.42, 102.16, 4.5, "四川雅安市石棉县"),
        &[
            ("石棉县", 29),
            ("汉源县", 48),
            ("泸定县", 55),
            ("康定市", 67),
            ("荥经县", 78),
            ("甘孜藏族自治州", 73),
            ("成都市", 230),
        ],
        1.0,
    );
}

#[test]
fn hanyuan_2022_05_20_m4_8() {
    // CENC: "5月20日8时36分在四川雅安市汉源县发生4.8级地震,震源深度20千米,震中位于北纬29.67度,
    // 东经102.48度……震中距泸定县36公里、距荥经县38公里、距汉源县40公里、距石棉县50公里、
    // 距天全县52公里,距甘孜藏族自治州65公里,距雅安市66公里,距成都市188公里。"
    let e = quakecast_testkit::hanyuan();
    assert_eq!((e.lat, e.lon), (29.67, 102.48));
    check(
        &e,
        &[
            ("泸定县", 36),
            ("荥经县", 38),
            ("汉源县", 40),
            ("石棉县", 50),
            ("天全县", 52),
            ("甘孜藏族自治州", 65),
            ("雅安市", 66),
            ("成都市", 188),
        ],
        1.0,
    );
}

#[test]
fn dingri_2025_01_07_m6_8() {
    // CENC: "1月7日9时5分在西藏日喀则市定日县发生6.8级地震,震源深度10公里,震中位于北纬28.50度,
    // 东经87.45度。震中距定结县34公里、距定日县36公里、距拉孜县67公里、距萨迦县71公里、
    // 距昂仁县92公里,距日喀则市164公里,距拉萨市379公里。"
    check(
        &cenc(28.50, 87.45, 6.8, "西藏日喀则市定日县"),
        &[
            ("定结县", 34),
            ("定日县", 36),
            ("拉孜县", 67),
            ("萨迦县", 71),
            ("昂仁县", 92),
            ("日喀则市", 164),
            ("拉萨市", 379),
        ],
        1.5,
    );
}

#[test]
fn worldwide_events_name_the_nearest_cities_in_english() {
    let mut e = cenc(-33.1, -71.4, 7.6, "Valparaíso, Chile");
    e.source = Source::Usgs;
    let n = nearby(&e, assets());
    assert!(!n.china);
    assert_eq!(n.cities.len(), 3);
    assert!(n
        .cities
        .windows(2)
        .all(|w| w[0].distance_km <= w[1].distance_km));
    let s = n.sentence_en().unwrap();
    assert!(s.starts_with("Nearest cities: "), "{s}");
    assert!(s.contains("Quilpué"), "{s}");
    // No seat table: a Chinese event falls back to GeoNames cities too, never to nothing.
    let bare = quakecast_facts::Assets {
        places: assets().places.clone(),
        ..Default::default()
    };
    let n = nearby(&cenc(29.59, 102.08, 6.8, "四川甘孜州泸定县"), &bare);
    assert!(!n.china && !n.cities.is_empty());
}
