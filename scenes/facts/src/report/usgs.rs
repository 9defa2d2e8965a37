//! One feature of a USGS real-time GeoJSON feed (`/earthquakes/feed/v1.0/summary/*.geojson`),
//! unchanged. `properties.status` `"automatic"` / `"reviewed"` give the status, `"deleted"`
//! withdraws the event; the minutes from `time` to `updated` order the revisions.
use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;

use super::fields::{check_year, minutes_between, number_value, shown, Obj};
use super::{Message, ReportFormat, Withdrawal};
use crate::event::{
    DEPTH_RANGE_KM, EVENT_ID_MAX_CHARS, LAT_RANGE, LON_RANGE, MAGNITUDE_RANGE,
    MAGNITUDE_TYPE_MAX_CHARS, REGION_MAX_CHARS,
};
use crate::{Event, ReportError, ReportStatus, Source};

pub(crate) fn parse(root: &Obj<'_>) -> Result<Message, ReportError> {
    let event_id = root.text("id", EVENT_ID_MAX_CHARS)?;
    let props = root.obj("properties")?;
    let status = match props.str("status")?.trim() {
        "automatic" => ReportStatus::Automatic,
        "reviewed" => ReportStatus::Official,
        "deleted" => {
            return Ok(Message::Withdrawal(Withdrawal {
                source: Source::Usgs,
                event_id,
                format: ReportFormat::UsgsFeature,
                reason: "status \"deleted\"".into(),
            }))
        }
        other => {
            return Err(ReportError::OutOfRange {
                field: props.ptr("status"),
                value: shown(other),
                expected: "\"automatic\", \"reviewed\" or \"deleted\"".into(),
            })
        }
    };
    let geometry = root.obj("geometry")?;
    match geometry.get("type")? {
        Value::String(t) if t == "Point" => {}
        Value::String(t) => {
            return Err(ReportError::Invalid {
                field: geometry.ptr("type"),
                reason: format!("geometry type {}; expected \"Point\"", shown(t)),
            })
        }
        _ => {
            return Err(ReportError::WrongType {
                field: geometry.ptr("type"),
                expected: "string \"Point\"".into(),
            })
        }
    }
    let coords_ptr = geometry.ptr("coordinates");
    let Value::Array(coords) = geometry.get("coordinates")? else {
        return Err(ReportError::WrongType {
            field: coords_ptr,
            expected: "array [longitude, latitude, depth_km]".into(),
        });
    };
    let coord = |i: usize, range: (f64, f64), unit: &str| -> Result<f64, ReportError> {
        let field = format!("{coords_ptr}/{i}");
        match coords.get(i).filter(|v| !v.is_null()) {
            None => Err(ReportError::Missing { field }),
            Some(v) => number_value(v, &field, range, unit),
        }
    };
    let lon = coord(0, LON_RANGE, "degrees east")?;
    let lat = coord(1, LAT_RANGE, "degrees north")?;
    let depth_km = coord(2, DEPTH_RANGE_KM, "km")?;

    let magnitude = props.number_in("mag", MAGNITUDE_RANGE, "")?;
    let magnitude_type = props.text("magType", MAGNITUDE_TYPE_MAX_CHARS)?;
    let region = props.text("place", REGION_MAX_CHARS)?;
    let origin_time = millis(&props, "time")?;
    check_year(origin_time, &props.ptr("time"), &origin_time.to_rfc3339())?;
    let revision = match props.opt("updated") {
        None => 0,
        Some(_) => minutes_between(origin_time, millis(&props, "updated")?),
    };
    Ok(Message::Event(Event {
        source: Source::Usgs,
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
        // `updated` orders the features; none says it revises another.
        revised: false,
    }))
}

/// Integer milliseconds since 1970-01-01T00:00:00Z.
fn millis(props: &Obj<'_>, key: &str) -> Result<DateTime<Utc>, ReportError> {
    let field = props.ptr(key);
    let expected = "integer milliseconds since 1970-01-01T00:00:00Z";
    let Some(ms) = props.get(key)?.as_i64() else {
        return Err(ReportError::WrongType {
            field,
            expected: expected.into(),
        });
    };
    Utc.timestamp_millis_opt(ms)
        .single()
        .ok_or_else(|| ReportError::OutOfRange {
            field,
            value: ms.to_string(),
            expected: "a representable time".into(),
        })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{parse, parse_value, with};
    use super::*;
    use serde_json::json;

    fn usgs() -> Value {
        json!({
            "type": "Feature",
            "properties": {
                "mag": 6.4, "place": "12 km SSW of Example, Nowhere", "time": 1_700_000_000_000_i64,
                "updated": 1_700_000_500_000_i64, "status": "reviewed", "net": "us",
                "code": "7000abcd", "ids": ",us7000abcd,", "magType": "mww", "type": "earthquake"
            },
            "geometry": { "type": "Point", "coordinates": [121.5, 23.9, 15.2] },
            "id": "us7000abcd"
        })
    }

    #[test]
    fn feature_parses() {
        let e = parse(&usgs()).unwrap();
        assert_eq!(e.source, Source::Usgs);
        assert_eq!(e.event_id, "us7000abcd");
        assert_eq!(e.status, ReportStatus::Official);
        assert_eq!(e.origin_time.timestamp_millis(), 1_700_000_000_000);
        assert_eq!((e.lon, e.lat, e.depth_km), (121.5, 23.9, 15.2));
        assert_eq!(e.magnitude, 6.4);
        assert_eq!(e.magnitude_type, "mww");
        assert_eq!(e.region, "12 km SSW of Example, Nowhere");
        // 500 s after the origin: revision 8 (whole minutes).
        assert_eq!(e.revision, 8);
        let auto = with(usgs(), "/properties/status", Some(json!("automatic")));
        assert_eq!(parse(&auto).unwrap().status, ReportStatus::Automatic);
        let no_update = with(usgs(), "/properties/updated", None);
        assert_eq!(parse(&no_update).unwrap().revision, 0);
        let null_update = with(usgs(), "/properties/updated", Some(Value::Null));
        assert_eq!(parse(&null_update).unwrap().revision, 0);
    }

    #[test]
    fn negative_depths_above_sea_level_validate() {
        let v = with(usgs(), "/geometry/coordinates/2", Some(json!(-3.5)));
        assert_eq!(parse(&v).unwrap().depth_km, -3.5);
        let v = with(usgs(), "/geometry/coordinates/2", Some(json!(-11)));
        match parse(&v) {
            Err(ReportError::OutOfRange { field, .. }) => {
                assert_eq!(field, "/geometry/coordinates/2")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn far_future_or_past_times_are_out_of_range() {
        // Year 10000, the largest i64 milliseconds, 2101, 1899.
        for ms in [
            253_402_300_800_000_i64,
            i64::MAX,
            4_133_980_800_000,
            -2_240_524_800_000,
        ] {
            let v = with(usgs(), "/properties/time", Some(json!(ms)));
            let e = parse(&v).expect_err(&ms.to_string());
            assert_eq!(e.field(), Some("/properties/time"), "{ms}: {e}");
        }
        let v = with(usgs(), "/properties/updated", Some(json!(i64::MAX)));
        assert!(parse(&v).is_err());
    }

    #[test]
    fn deleted_withdraws_the_event() {
        // A deleted feature needs only its id (USGS keeps the old values, possibly nulls).
        let v = with(
            with(usgs(), "/properties/status", Some(json!("deleted"))),
            "/properties/mag",
            Some(Value::Null),
        );
        match parse_value(&v).unwrap().message {
            Message::Withdrawal(w) => {
                assert_eq!(w.event_id, "us7000abcd");
                assert_eq!(w.source, Source::Usgs);
                assert_eq!(w.format, ReportFormat::UsgsFeature);
                assert_eq!(w.reason, "status \"deleted\"");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn missing_fields_are_named() {
        for f in [
            "/id",
            "/properties/mag",
            "/properties/magType",
            "/properties/place",
            "/properties/time",
            "/properties/status",
            "/geometry",
            "/geometry/type",
            "/geometry/coordinates",
            "/geometry/coordinates/2",
        ] {
            let err = parse(&with(usgs(), f, None)).unwrap_err();
            assert_eq!(err, ReportError::Missing { field: f.into() }, "{f}");
        }
        let err = parse(&with(usgs(), "/properties/mag", Some(Value::Null))).unwrap_err();
        assert_eq!(err.field(), Some("/properties/mag"));
    }

    #[test]
    fn wrong_types_and_ranges_are_named() {
        for (f, v) in [
            ("/properties/time", json!("2023-11-14T22:13:20Z")),
            ("/properties/updated", json!("later")),
            ("/geometry/coordinates/2", json!("deep")),
            ("/geometry/coordinates", json!({"lon": 1})),
            ("/geometry/type", json!(1)),
            ("/properties", json!([])),
        ] {
            match parse(&with(usgs(), f, Some(v.clone()))) {
                Err(ReportError::WrongType { field, .. }) => assert_eq!(field, f),
                other => panic!("{f} = {v}: {other:?}"),
            }
        }
        for (f, v) in [
            ("/geometry/coordinates/0", json!(-181)),
            ("/geometry/coordinates/1", json!(95)),
            ("/geometry/coordinates/2", json!(900)),
            ("/properties/mag", json!(11)),
            ("/properties/time", json!(-2_300_000_000_000_i64)),
            ("/properties/time", json!(4_200_000_000_000_i64)),
            ("/properties/time", json!(i64::MAX)),
            ("/properties/status", json!("superseded")),
        ] {
            match parse(&with(usgs(), f, Some(v.clone()))) {
                Err(ReportError::OutOfRange { field, .. }) => assert_eq!(field, f),
                other => panic!("{f} = {v}: {other:?}"),
            }
        }
        for (f, v) in [
            ("/geometry/type", json!("Polygon")),
            ("/properties/place", json!("")),
            ("/properties/place", json!("x".repeat(201))),
        ] {
            match parse(&with(usgs(), f, Some(v.clone()))) {
                Err(ReportError::Invalid { field, .. }) => assert_eq!(field, f),
                other => panic!("{f} = {v}: {other:?}"),
            }
        }
    }
}
