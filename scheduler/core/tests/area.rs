//! The area notes' providers for real: a county profile file, and a weather service on
//! loopback that answers, answers late, answers nonsense or is not there.
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use quakecast_core::area::{AreaInfo, WeatherService};
use quakecast_core::assets::{default_data_dir, load_assets};
use quakecast_core::bulletin::Content;
use quakecast_facts::{parse_report, Event, Lang};
use quakecast_scenes::narration::{script_for_wording, Wording};

fn luding() -> Event {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../scenes/samples/cenc-record-2022-09-05-luding.json");
    parse_report(&std::fs::read(p).expect("sample")).expect("parses")
}

/// A one-request-at-a-time HTTP server on loopback answering `body` after `delay`, for at most
/// `requests` requests; returns its URL and what it was asked.
fn serve(body: &'static str, delay: Duration, requests: usize) -> (String, Asked) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/weather", l.local_addr().expect("addr"));
    let asked = Asked::default();
    let tx = asked.clone();
    std::thread::spawn(move || {
        for stream in l.incoming().take(requests) {
            let Ok(mut s) = stream else { return };
            let mut buf = [0u8; 2048];
            let n = s.read(&mut buf).unwrap_or(0);
            let line = String::from_utf8_lossy(&buf[..n])
                .lines()
                .next()
                .unwrap_or_default()
                .to_string();
            if let Ok(mut v) = tx.0.lock() {
                v.push(line);
            }
            std::thread::sleep(delay);
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (url, asked)
}

/// The request lines a test server saw.
#[derive(Clone, Default)]
struct Asked(Arc<Mutex<Vec<String>>>);

impl Asked {
    fn first(&self) -> Option<String> {
        self.0.lock().ok().and_then(|v| v.first().cloned())
    }
}

#[test]
fn weather_from_a_service_on_loopback_reaches_the_facts_and_the_full_wording() {
    let (url, asked) = serve(
        r#"{"zh": "多云，22°C", "en": "Cloudy, 22 °C", "source": "测试气象服务"}"#,
        Duration::ZERO,
        1,
    );
    let event = luding();
    let assets = load_assets(&default_data_dir()).expect("assets: run `bash scripts/setup.sh`");
    let content = Content {
        weather: Some(WeatherService::new(&url).expect("url")),
        ..Content::default()
    };
    let facts = content.facts(&event, &assets);
    let line = asked.first().expect("the service was asked");
    assert!(
        line.starts_with("GET /weather?lat=29.5900&lon=102.0800&time=2022-09-05T04%3A52")
            || line.starts_with("GET /weather?lat=29.5900&lon=102.0800&time=2022-09-05T04:52"),
        "{line}"
    );
    let w = facts.area.weather.as_ref().expect("the weather");
    assert_eq!(w.zh, "多云，22°C");
    assert_eq!(w.source, "测试气象服务");
    assert_eq!(
        facts.area.weather_line(Lang::Zh).as_deref(),
        Some("震区天气：多云，22°C（测试气象服务）")
    );
    let theme = content.theme_for(&event);
    let full = script_for_wording(&event, &facts, &theme, Wording::Full);
    let places = full
        .cues
        .iter()
        .find(|c| c.scene == quakecast_scenes::SceneKind::Places)
        .expect("a places cue");
    assert!(
        places.subtitle.contains("震区天气：多云，22°C。"),
        "{places:?}"
    );
    assert!(
        places.text_zh.contains("二十二摄氏度"),
        "{}",
        places.text_zh
    );
    let tight = script_for_wording(&event, &facts, &theme, Wording::Tight);
    assert!(tight.cues.iter().all(|c| !c.text_zh.contains("天气")));
}

#[test]
fn a_slow_wrong_or_absent_weather_service_is_left_out_in_bounded_time() {
    let event = luding();
    // Late: the 2 s timeout holds.
    let (late, _asked) = serve(r#"{"zh": "晴"}"#, Duration::from_secs(6), 1);
    let t = Instant::now();
    assert!(WeatherService::new(&late)
        .unwrap()
        .weather_for(&event)
        .is_none());
    let secs = t.elapsed().as_secs_f64();
    assert!(secs < 4.0, "waited {secs:.1} s");
    // Nonsense, and nothing listening.
    let (bad, _asked) = serve(r#"<html>oops</html>"#, Duration::ZERO, 1);
    assert!(WeatherService::new(&bad)
        .unwrap()
        .weather_for(&event)
        .is_none());
    let (empty, _asked) = serve(r#"{"zh": " ", "en": ""}"#, Duration::ZERO, 1);
    assert!(WeatherService::new(&empty)
        .unwrap()
        .weather_for(&event)
        .is_none());
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/w", l.local_addr().unwrap())
    };
    assert!(WeatherService::new(&closed)
        .unwrap()
        .weather_for(&event)
        .is_none());
    // A bad address is refused when the flag is read.
    for u in ["ftp://x", "http://x/?lat=1", "weather"] {
        assert!(WeatherService::new(u).is_err(), "{u}");
    }
}

#[test]
fn county_profiles_by_code_or_name_and_precise_errors() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("profiles.json");
    std::fs::write(
        &p,
        r#"{"source": "测试县情库", "counties": {
            "513322": {"zh": "泸定县地处大渡河峡谷，红军飞夺泸定桥之地。", "en": "Luding lies in the Dadu gorge."},
            "汉源县": {"zh": "汉源县以花椒和瀑布沟水库闻名。"}}}"#,
    )
    .unwrap();
    let info = AreaInfo::load(&p).expect("loads");
    let assets = load_assets(&default_data_dir()).expect("assets");
    let event = luding();
    let content = Content {
        area_info: Some(std::sync::Arc::new(info.clone())),
        ..Content::default()
    };
    let facts = content.facts(&event, &assets);
    let intro = facts
        .area
        .intro
        .as_ref()
        .unwrap_or_else(|| panic!("no profile for {:?}", facts.place));
    assert!(
        intro.zh.starts_with("泸定县地处"),
        "{intro:?} for {:?}",
        facts.place
    );
    assert!(facts.area.weather.is_none());
    // By name, for a place whose Chinese name ends with it.
    let mut place = facts.place.clone();
    place.seat_adcode = None;
    place.zh = "四川雅安市汉源县".into();
    assert!(info.intro_for(&place).unwrap().zh.starts_with("汉源县以"));
    place.zh = "四川雅安市石棉县".into();
    assert!(info.intro_for(&place).is_none());
    // Errors name the file and what is wrong.
    for (text, want) in [
        ("{", "not a county profile file"),
        (r#"{"source": "", "counties": {}}"#, "\"source\" is empty"),
        (
            r#"{"source": "s", "counties": {"x": {"zh": "", "en": " "}}}"#,
            "county \"x\"",
        ),
    ] {
        std::fs::write(&p, text).unwrap();
        let e = AreaInfo::load(&p).unwrap_err().to_string();
        assert!(e.contains(want) && e.contains("profiles.json"), "{e}");
    }
    assert!(AreaInfo::load(&dir.path().join("missing.json")).is_err());
}
