//! Our own CENC-style quick report, `cenc-quick-report/1`: a flat JSON object, times with their
//! UTC offset, numbers as JSON numbers. `"deleted": true` withdraws the event id.
use serde_json::Value;

use super::fields::Obj;
use super::{Message, ReportFormat, Withdrawal};
use crate::event::{
    DEPTH_RANGE_KM, EVENT_ID_MAX_CHARS, LAT_RANGE, LON_RANGE, MAGNITUDE_RANGE,
    MAGNITUDE_TYPE_MAX_CHARS, REGION_MAX_CHARS,
};
use crate::{Event, ReportError, ReportStatus, Source};

/// The value of the report's optional `format` field.
pub const FORMAT: &str = "cenc-quick-report/1";

pub(crate) fn parse(root: &Obj<'_>) -> Result<Message, ReportError> {
    let event_id = root.text("event_id", EVENT_ID_MAX_CHARS)?;
    let source = source(root)?;
    let deleted = match root.opt("deleted") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Err(ReportError::WrongType {
                field: root.ptr("deleted"),
                expected: "boolean (true withdraws the event)".into(),
            })
        }
    };
    if deleted {
        return Ok(Message::Withdrawal(Withdrawal {
            source,
            event_id,
            format: ReportFormat::CencQuickReport,
            reason: "\"deleted\": true".into(),
        }));
    }
    let status = match root.str("status")? {
        "automatic" => ReportStatus::Automatic,
        "official" => ReportStatus::Official,
        other => {
            return Err(ReportError::OutOfRange {
                field: root.ptr("status"),
                value: super::fields::shown(other),
                expected: "\"automatic\" or \"official\"".into(),
            })
        }
    };
    let revision = match root.opt("revision") {
        None => 0,
        Some(v) => revision(v, &root.ptr("revision"))?,
    };
    let origin_time =
        super::fields::rfc3339_time(root.str("origin_time")?, &root.ptr("origin_time"))?;
    let lat = root.number_in("latitude", LAT_RANGE, "degrees north")?;
    let lon = root.number_in("longitude", LON_RANGE, "degrees east")?;
    let depth_km = root.number_in("depth_km", DEPTH_RANGE_KM, "km")?;
    let magnitude = root.number_in("magnitude", MAGNITUDE_RANGE, "")?;
    let magnitude_type = root.text("magnitude_type", MAGNITUDE_TYPE_MAX_CHARS)?;
    let region = root.text("region", REGION_MAX_CHARS)?;
    Ok(Message::Event(Event {
        source,
        event_id,
        status,
        revision,
        origin_time,
        lat,
        lon,
        depth_km,
        magnitude,
        magnitude_type,
        region,
        revised: revision > 0,
    }))
}

fn source(root: &Obj<'_>) -> Result<Source, ReportError> {
    match root.opt("source") {
        None => Ok(Source::Cenc),
        Some(Value::String(s)) => match s.trim().to_ascii_uppercase().as_str() {
            "CENC" => Ok(Source::Cenc),
            "USGS" => Ok(Source::Usgs),
            "EMSC" => Ok(Source::Emsc),
            _ => Err(ReportError::OutOfRange {
                field: root.ptr("source"),
                value: super::fields::shown(s),
                expected: "\"CENC\" (default), \"USGS\" or \"EMSC\"".into(),
            }),
        },
        Some(_) => Err(ReportError::WrongType {
            field: root.ptr("source"),
            expected: "string".into(),
        }),
    }
}

fn revision(v: &Value, field: &str) -> Result<u32, ReportError> {
    let out_of_range = |shown: String| ReportError::OutOfRange {
        field: field.to_string(),
        value: shown,
        expected: format!("an integer from 0 to {}", u32::MAX),
    };
    match v {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                u32::try_from(i).map_err(|_| out_of_range(i.to_string()))
            } else if let Some(u) = n.as_u64() {
                Err(out_of_range(u.to_string()))
            } else {
                Err(ReportError::WrongType {
                    field: field.to_string(),
                    expected: "non-negative integer".into(),
                })
            }
        }
        _ => Err(ReportError::WrongType {
            field: field.to_string(),
            expected: "non-negative integer".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{parse, with};
    use super::*;
    use chrono::{TimeZone, Utc};
    use serde_json::json;

    fn cenc() -> Value {
        json!({
            "format": "cenc-quick-report/1",
            "event_id": "CC20220520083600",
            "status": "official",
            "revision": 1,
            "origin_time": "2022-05-20T08:36:00+08:00",
            "latitude": 29.67,
            "longitude": 102.48,
            "depth_km": 20,
            "magnitude": 4.8,
            "magnitude_type": "M",
            "region": "四川雅安市汉源县",
            "source": "CENC"
        })
    }

    #[test]
    fn report_parses() {
        let e = parse(&cenc()).unwrap();
        assert_eq!(e.source, Source::Cenc);
        assert_eq!(e.event_id, "CC20220520083600");
        assert_eq!(e.status, ReportStatus::Official);
        assert_eq!(e.revision, 1);
        assert_eq!(
            e.origin_time,
            Utc.with_ymd_and_hms(2022, 5, 20, 0, 36, 0).unwrap()
        );
        assert_eq!(
            (e.lat, e.lon, e.depth_km, e.magnitude),
            (29.67, 102.48, 20.0, 4.8)
        );
        assert_eq!(e.magnitude_type, "M");
        assert_eq!(e.region, "四川雅安市汉源县");
    }

    #[test]
    fn defaults_and_detection_without_format() {
        let mut v = cenc();
        let m = v.as_object_mut().unwrap();
        m.remove("format");
        m.remove("revision");
        m.remove("source");
        m.insert("status".into(), json!("automatic"));
        let e = parse(&v).unwrap();
        assert_eq!(e.revision, 0);
        assert_eq!(e.source, Source::Cenc);
        assert_eq!(e.status, ReportStatus::Automatic);
        // `"deleted": false` is an ordinary report.
        assert!(parse(&with(cenc(), "/deleted", Some(json!(false)))).is_ok());
    }

    #[test]
    fn deleted_withdraws_the_event() {
        let v = json!({"event_id": "CC20220520083600", "deleted": true, "source": "usgs"});
        let p = super::super::parse_message(v.to_string().as_bytes()).unwrap();
        assert_eq!(p.format, ReportFormat::CencQuickReport);
        assert_eq!(
            p.message,
            Message::Withdrawal(Withdrawal {
                source: Source::Usgs,
                event_id: "CC20220520083600".into(),
                format: ReportFormat::CencQuickReport,
                reason: "\"deleted\": true".into(),
            })
        );
        match parse(&with(cenc(), "/deleted", Some(json!("yes")))) {
            Err(ReportError::WrongType { field, .. }) => assert_eq!(field, "/deleted"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn missing_fields_are_named() {
        for f in [
            "/event_id",
            "/status",
            "/origin_time",
            "/latitude",
            "/longitude",
            "/depth_km",
            "/magnitude",
            "/magnitude_type",
            "/region",
        ] {
            let err = parse(&with(cenc(), f, None)).unwrap_err();
            assert_eq!(err, ReportError::Missing { field: f.into() }, "{f}");
        }
    }

    #[test]
    fn wrong_types_are_named() {
        for (f, v) in [
            ("/latitude", json!("29.67")),
            ("/magnitude", json!(true)),
            ("/event_id", json!(42)),
            ("/revision", json!(1.5)),
            ("/revision", json!("1")),
            ("/source", json!(1)),
        ] {
            match parse(&with(cenc(), f, Some(v.clone()))) {
                Err(ReportError::WrongType { field, .. }) => assert_eq!(field, f),
                other => panic!("{f} = {v}: {other:?}"),
            }
        }
    }

    #[test]
    fn out_of_range_values_are_named() {
        for (f, v) in [
            ("/latitude", json!(90.5)),
            ("/latitude", json!(-91)),
            ("/longitude", json!(180.01)),
            ("/depth_km", json!(-11)),
            ("/depth_km", json!(-10.01)),
            ("/depth_km", json!(801)),
            ("/magnitude", json!(10.5)),
            ("/magnitude", json!(-1.5)),
            ("/origin_time", json!("1899-12-31T23:59:59+00:00")),
            ("/origin_time", json!("2101-01-01T00:00:00+00:00")),
            ("/status", json!("reviewed")),
            ("/revision", json!(-1)),
            ("/revision", json!(5_000_000_000_u64)),
            ("/source", json!("JMA")),
        ] {
            match parse(&with(cenc(), f, Some(v.clone()))) {
                Err(ReportError::OutOfRange { field, .. }) => assert_eq!(field, f),
                other => panic!("{f} = {v}: {other:?}"),
            }
        }
        // Bounds are inclusive; real negative depths (above sea level) validate.
        for depth in [json!(-10), json!(-3.5), json!(-1), json!(0), json!(800)] {
            let v = with(
                with(cenc(), "/latitude", Some(json!(-90))),
                "/depth_km",
                Some(depth.clone()),
            );
            assert!(parse(&v).is_ok(), "depth {depth}");
        }
        assert!(parse(&with(
            cenc(),
            "/origin_time",
            Some(json!("2100-12-31T23:59:59Z"))
        ))
        .is_ok());
    }

    #[test]
    fn invalid_values_are_named() {
        for (f, v) in [
            ("/event_id", json!("  ")),
            ("/event_id", json!("x".repeat(129))),
            ("/region", json!("")),
            ("/region", json!("川".repeat(201))),
            ("/region", json!("四川\n雅安")),
            ("/magnitude_type", json!("")),
            ("/origin_time", json!("2022-05-20 08:36")),
            ("/origin_time", json!("2022-05-20T08:36:00")),
            ("/origin_time", json!("yesterday")),
            ("/origin_time", json!("二〇二二年五月二十日")),
        ] {
            match parse(&with(cenc(), f, Some(v.clone()))) {
                Err(ReportError::Invalid { field, .. }) => assert_eq!(field, f),
                other => panic!("{f} = {v}: {other:?}"),
            }
        }
        // At the limits.
        assert!(parse(&with(cenc(), "/event_id", Some(json!("x".repeat(128))))).is_ok());
        assert!(parse(&with(cenc(), "/region", Some(json!("川".repeat(200))))).is_ok());
    }

    #[test]
    fn error_messages_name_the_field() {
        let err = parse(&with(cenc(), "/latitude", Some(json!(123)))).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("/latitude") && msg.contains("123") && msg.contains("-90"));
        assert!(!err.is_retryable());
    }
}
