//! Quake reports (CENC JSON, USGS GeoJSON feature) → validated [`Event`].
//!
//! Two formats are accepted; `docs/report-schema.md` documents both and how the USGS fields map
//! onto [`Event`]. The format is detected from the content:
//!
//! - an object with `"type": "Feature"` is a USGS real-time feed feature;
//! - an object with `"format": "cenc-quick-report/1"`, or without `format` but with
//!   `event_id` and `origin_time`, is a CENC quick report;
//! - anything else is [`ReportError::UnknownFormat`], with what was expected.
//!
//! Validation reports the first problem found, naming the field as a JSON pointer
//! (`/latitude`, `/properties/mag`, `/geometry/coordinates/2`).
use chrono::{DateTime, Datelike, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::ReportError;

/// The agency that published the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Source {
    Cenc,
    Usgs,
    Emsc,
}

/// Automatic (machine-picked, 自动测定) or official (reviewed, 正式测定).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReportStatus {
    Automatic,
    Official,
}

/// A validated earthquake report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub source: Source,
    pub event_id: String,
    pub status: ReportStatus,
    /// Revision of this event's report (0 for the first).
    pub revision: u32,
    pub origin_time: DateTime<Utc>,
    pub lat: f64,
    pub lon: f64,
    pub depth_km: f64,
    pub magnitude: f64,
    /// e.g. "M", "Ms", "ML", "mb", "Mw", "mww".
    pub magnitude_type: String,
    /// Human-readable region name as the agency gave it.
    pub region: String,
}

/// The value of a CENC report's optional `format` field.
pub const CENC_FORMAT: &str = "cenc-quick-report/1";

/// Valid ranges, shared by both formats (inclusive).
pub const LAT_RANGE: (f64, f64) = (-90.0, 90.0);
pub const LON_RANGE: (f64, f64) = (-180.0, 180.0);
pub const DEPTH_RANGE_KM: (f64, f64) = (0.0, 800.0);
pub const MAGNITUDE_RANGE: (f64, f64) = (-1.0, 10.0);
/// Origin times before this year are refused (no instrumental catalogue goes further back).
pub const MIN_YEAR: i32 = 1900;

/// Parse and validate one report; the format is detected from its content.
pub fn parse_report(bytes: &[u8]) -> Result<Event, ReportError> {
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| ReportError::Syntax(e.to_string()))?;
    let Value::Object(obj) = &value else {
        return Err(ReportError::UnknownFormat(format!(
            "the report is a JSON {}; expected an object: a CENC quick report \
             (\"format\": \"{CENC_FORMAT}\") or a USGS GeoJSON Feature (\"type\": \"Feature\")",
            type_name(&value)
        )));
    };
    let root = Obj { map: obj, path: "" };
    if let Some(t) = obj.get("type") {
        return match t.as_str() {
            Some("Feature") => parse_usgs(root),
            Some("FeatureCollection") => Err(ReportError::UnknownFormat(
                "a GeoJSON FeatureCollection; send one USGS Feature (one element of `features`)"
                    .into(),
            )),
            _ => Err(ReportError::UnknownFormat(format!(
                "`/type` is {t}; a USGS report is a GeoJSON object with \"type\": \"Feature\""
            ))),
        };
    }
    match obj.get("format") {
        Some(Value::String(f)) if f == CENC_FORMAT => return parse_cenc(root),
        Some(f) => {
            return Err(ReportError::UnknownFormat(format!(
                "`/format` is {f}; the only format understood is \"{CENC_FORMAT}\" \
                 (or a USGS GeoJSON Feature)"
            )))
        }
        None => {}
    }
    if obj.contains_key("event_id") && obj.contains_key("origin_time") {
        return parse_cenc(root);
    }
    Err(ReportError::UnknownFormat(format!(
        "expected a CENC quick report (an object with \"format\": \"{CENC_FORMAT}\" or with \
         `event_id` and `origin_time`) or a USGS GeoJSON Feature (\"type\": \"Feature\"); \
         got an object with keys [{}]",
        obj.keys().take(8).cloned().collect::<Vec<_>>().join(", ")
    )))
}

fn parse_cenc(root: Obj<'_>) -> Result<Event, ReportError> {
    let event_id = root.non_empty_str("event_id")?;
    let status = match root.str("status")? {
        "automatic" => ReportStatus::Automatic,
        "official" => ReportStatus::Official,
        other => {
            return Err(ReportError::OutOfRange {
                field: root.ptr("status"),
                value: format!("{other:?}"),
                expected: "\"automatic\" or \"official\"".into(),
            })
        }
    };
    let revision = match root.map.get("revision") {
        None | Some(Value::Null) => 0,
        Some(v) => revision(v, &root.ptr("revision"))?,
    };
    let origin_time = rfc3339_time(root.str("origin_time")?, &root.ptr("origin_time"))?;
    let lat = root.number_in("latitude", LAT_RANGE, "degrees north")?;
    let lon = root.number_in("longitude", LON_RANGE, "degrees east")?;
    let depth_km = root.number_in("depth_km", DEPTH_RANGE_KM, "km")?;
    let magnitude = root.number_in("magnitude", MAGNITUDE_RANGE, "")?;
    let magnitude_type = root.non_empty_str("magnitude_type")?;
    let region = root.non_empty_str("region")?;
    let source = match root.map.get("source") {
        None | Some(Value::Null) => Source::Cenc,
        Some(Value::String(s)) => match s.to_ascii_uppercase().as_str() {
            "CENC" => Source::Cenc,
            "USGS" => Source::Usgs,
            "EMSC" => Source::Emsc,
            _ => {
                return Err(ReportError::OutOfRange {
                    field: root.ptr("source"),
                    value: format!("{s:?}"),
                    expected: "\"CENC\" (default), \"USGS\" or \"EMSC\"".into(),
                })
            }
        },
        Some(_) => {
            return Err(ReportError::WrongType {
                field: root.ptr("source"),
                expected: "string".into(),
            })
        }
    };
    Ok(Event {
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
    })
}

fn parse_usgs(root: Obj<'_>) -> Result<Event, ReportError> {
    let event_id = root.non_empty_str("id")?;
    let props = root.obj("properties")?;
    let geometry = root.obj("geometry")?;
    match geometry.map.get("type") {
        Some(Value::String(t)) if t == "Point" => {}
        Some(Value::String(t)) => {
            return Err(ReportError::Invalid {
                field: geometry.ptr("type"),
                reason: format!("geometry type {t:?}; expected \"Point\""),
            })
        }
        Some(_) => {
            return Err(ReportError::WrongType {
                field: geometry.ptr("type"),
                expected: "string \"Point\"".into(),
            })
        }
        None => {
            return Err(ReportError::Missing {
                field: geometry.ptr("type"),
            })
        }
    }
    let coords_ptr = geometry.ptr("coordinates");
    let coords = match geometry.map.get("coordinates") {
        None => return Err(ReportError::Missing { field: coords_ptr }),
        Some(Value::Array(a)) => a,
        Some(_) => {
            return Err(ReportError::WrongType {
                field: coords_ptr,
                expected: "array [longitude, latitude, depth_km]".into(),
            })
        }
    };
    let coord = |i: usize, range: (f64, f64), unit: &str| -> Result<f64, ReportError> {
        let field = format!("{coords_ptr}/{i}");
        match coords.get(i) {
            None => Err(ReportError::Missing { field }),
            Some(v) => number_value(v, &field, range, unit),
        }
    };
    let lon = coord(0, LON_RANGE, "degrees east")?;
    let lat = coord(1, LAT_RANGE, "degrees north")?;
    let depth_km = coord(2, DEPTH_RANGE_KM, "km")?;

    let magnitude = props.number_in("mag", MAGNITUDE_RANGE, "")?;
    let magnitude_type = props.non_empty_str("magType")?;
    let region = props.non_empty_str("place")?;
    let time_ptr = props.ptr("time");
    let millis = match props.map.get("time") {
        None => return Err(ReportError::Missing { field: time_ptr }),
        Some(Value::Number(n)) => match n.as_i64() {
            Some(ms) => ms,
            None => {
                return Err(ReportError::WrongType {
                    field: time_ptr,
                    expected: "integer milliseconds since 1970-01-01T00:00:00Z".into(),
                })
            }
        },
        Some(_) => {
            return Err(ReportError::WrongType {
                field: time_ptr,
                expected: "integer milliseconds since 1970-01-01T00:00:00Z".into(),
            })
        }
    };
    let origin_time =
        Utc.timestamp_millis_opt(millis)
            .single()
            .ok_or_else(|| ReportError::OutOfRange {
                field: time_ptr.clone(),
                value: millis.to_string(),
                expected: "a representable time".into(),
            })?;
    check_year(origin_time, &time_ptr, &millis.to_string())?;
    let status = match props.str("status")? {
        "automatic" => ReportStatus::Automatic,
        "reviewed" => ReportStatus::Official,
        other => {
            return Err(ReportError::OutOfRange {
                field: props.ptr("status"),
                value: format!("{other:?}"),
                expected: "\"automatic\" or \"reviewed\" (a \"deleted\" event is not broadcast)"
                    .into(),
            })
        }
    };
    Ok(Event {
        source: Source::Usgs,
        event_id,
        status,
        revision: 0,
        origin_time,
        lat,
        lon,
        depth_km,
        magnitude,
        magnitude_type,
        region,
    })
}

/// An object inside the report together with its JSON pointer.
#[derive(Clone, Copy)]
struct Obj<'a> {
    map: &'a Map<String, Value>,
    path: &'a str,
}

impl<'a> Obj<'a> {
    fn ptr(&self, key: &str) -> String {
        format!("{}/{key}", self.path)
    }

    fn get(&self, key: &str) -> Result<&'a Value, ReportError> {
        match self.map.get(key) {
            None | Some(Value::Null) => Err(ReportError::Missing {
                field: self.ptr(key),
            }),
            Some(v) => Ok(v),
        }
    }

    fn obj(&self, key: &'static str) -> Result<Obj<'a>, ReportError> {
        match self.get(key)? {
            Value::Object(map) => Ok(Obj {
                map,
                // Only one level of nesting occurs (`/properties`, `/geometry`).
                path: match key {
                    "properties" => "/properties",
                    "geometry" => "/geometry",
                    _ => "",
                },
            }),
            _ => Err(ReportError::WrongType {
                field: self.ptr(key),
                expected: "object".into(),
            }),
        }
    }

    fn str(&self, key: &str) -> Result<&'a str, ReportError> {
        match self.get(key)? {
            Value::String(s) => Ok(s),
            _ => Err(ReportError::WrongType {
                field: self.ptr(key),
                expected: "string".into(),
            }),
        }
    }

    fn non_empty_str(&self, key: &str) -> Result<String, ReportError> {
        let s = self.str(key)?.trim();
        if s.is_empty() {
            return Err(ReportError::Invalid {
                field: self.ptr(key),
                reason: "empty; expected a non-empty string".into(),
            });
        }
        Ok(s.to_string())
    }

    fn number_in(&self, key: &str, range: (f64, f64), unit: &str) -> Result<f64, ReportError> {
        number_value(self.get(key)?, &self.ptr(key), range, unit)
    }
}

fn number_value(v: &Value, field: &str, range: (f64, f64), unit: &str) -> Result<f64, ReportError> {
    let Some(x) = v.as_f64() else {
        return Err(ReportError::WrongType {
            field: field.to_string(),
            expected: "number".into(),
        });
    };
    if !(range.0..=range.1).contains(&x) {
        let unit = if unit.is_empty() {
            String::new()
        } else {
            format!(" {unit}")
        };
        return Err(ReportError::OutOfRange {
            field: field.to_string(),
            value: v.to_string(),
            expected: format!("{} to {}{unit}", range.0, range.1),
        });
    }
    Ok(x)
}

fn revision(v: &Value, field: &str) -> Result<u32, ReportError> {
    match v {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                u32::try_from(i).map_err(|_| ReportError::OutOfRange {
                    field: field.to_string(),
                    value: i.to_string(),
                    expected: format!("an integer from 0 to {}", u32::MAX),
                })
            } else if let Some(u) = n.as_u64() {
                Err(ReportError::OutOfRange {
                    field: field.to_string(),
                    value: u.to_string(),
                    expected: format!("an integer from 0 to {}", u32::MAX),
                })
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

fn rfc3339_time(s: &str, field: &str) -> Result<DateTime<Utc>, ReportError> {
    let t = DateTime::parse_from_rfc3339(s.trim()).map_err(|e| ReportError::Invalid {
        field: field.to_string(),
        reason: format!(
            "{s:?} is not an ISO-8601 time with a UTC offset ({e}); \
             expected e.g. \"2022-05-20T08:36:00+08:00\""
        ),
    })?;
    let utc = t.with_timezone(&Utc);
    check_year(utc, field, &format!("{s:?}"))?;
    Ok(utc)
}

fn check_year(t: DateTime<Utc>, field: &str, shown: &str) -> Result<(), ReportError> {
    if t.year() < MIN_YEAR {
        return Err(ReportError::OutOfRange {
            field: field.to_string(),
            value: shown.to_string(),
            expected: format!("a time in {MIN_YEAR} or later"),
        });
    }
    Ok(())
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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

    fn parse(v: &Value) -> Result<Event, ReportError> {
        parse_report(v.to_string().as_bytes())
    }

    fn with(mut v: Value, pointer: &str, new: Option<Value>) -> Value {
        let (parent, key) = pointer.rsplit_once('/').expect("pointer");
        let target = v.pointer_mut(parent).expect("parent exists");
        match (target, new) {
            (Value::Object(m), Some(n)) => {
                m.insert(key.to_string(), n);
            }
            (Value::Object(m), None) => {
                m.remove(key);
            }
            (Value::Array(a), Some(n)) => a[key.parse::<usize>().expect("index")] = n,
            (Value::Array(a), None) => {
                a.truncate(key.parse::<usize>().expect("index"));
            }
            _ => panic!("bad pointer {pointer}"),
        }
        v
    }

    #[test]
    fn cenc_report_parses() {
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
    fn cenc_defaults_and_detection_without_format() {
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
    }

    #[test]
    fn usgs_feature_parses() {
        let e = parse(&usgs()).unwrap();
        assert_eq!(e.source, Source::Usgs);
        assert_eq!(e.event_id, "us7000abcd");
        assert_eq!(e.status, ReportStatus::Official);
        assert_eq!(e.origin_time.timestamp_millis(), 1_700_000_000_000);
        assert_eq!((e.lon, e.lat, e.depth_km), (121.5, 23.9, 15.2));
        assert_eq!(e.magnitude, 6.4);
        assert_eq!(e.magnitude_type, "mww");
        assert_eq!(e.region, "12 km SSW of Example, Nowhere");
        let auto = with(usgs(), "/properties/status", Some(json!("automatic")));
        assert_eq!(parse(&auto).unwrap().status, ReportStatus::Automatic);
    }

    #[test]
    fn samples_parse() {
        let hanyuan = parse_report(include_bytes!("../samples/cenc-2022-05-20-hanyuan.json"))
            .expect("CENC sample");
        assert_eq!(hanyuan.region, "四川雅安市汉源县");
        assert_eq!(hanyuan.magnitude, 4.8);
        assert_eq!(hanyuan.depth_km, 20.0);
        assert_eq!(
            hanyuan.origin_time,
            Utc.with_ymd_and_hms(2022, 5, 20, 0, 36, 0).unwrap()
        );
        let usgs = parse_report(include_bytes!("../samples/usgs-sample-feature.json"))
            .expect("USGS sample");
        assert_eq!(usgs.source, Source::Usgs);
    }

    #[test]
    fn syntax_error() {
        assert!(matches!(
            parse_report(b"{\"event_id\": "),
            Err(ReportError::Syntax(_))
        ));
    }

    #[test]
    fn unknown_formats() {
        for (v, needle) in [
            (json!([1, 2]), "array"),
            (json!({"hello": 1}), "hello"),
            (json!({"format": "cenc-quick-report/2"}), CENC_FORMAT),
            (
                json!({"type": "FeatureCollection", "features": []}),
                "one USGS Feature",
            ),
            (json!({"type": "Point"}), "Feature"),
        ] {
            match parse(&v) {
                Err(ReportError::UnknownFormat(msg)) => {
                    assert!(msg.contains(needle), "{msg:?} lacks {needle:?}")
                }
                other => panic!("{v}: {other:?}"),
            }
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
        for f in [
            "/id",
            "/properties/mag",
            "/properties/magType",
            "/properties/place",
            "/properties/time",
            "/properties/status",
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
        for (f, v) in [
            ("/properties/time", json!("2023-11-14T22:13:20Z")),
            ("/geometry/coordinates/2", json!("deep")),
            ("/geometry/coordinates", json!({"lon": 1})),
            ("/properties", json!([])),
        ] {
            match parse(&with(usgs(), f, Some(v.clone()))) {
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
            ("/depth_km", json!(-1)),
            ("/depth_km", json!(801)),
            ("/magnitude", json!(10.5)),
            ("/magnitude", json!(-1.5)),
            ("/origin_time", json!("1899-12-31T23:59:59+00:00")),
            ("/status", json!("reviewed")),
            ("/revision", json!(-1)),
            ("/source", json!("JMA")),
        ] {
            match parse(&with(cenc(), f, Some(v.clone()))) {
                Err(ReportError::OutOfRange { field, .. }) => assert_eq!(field, f),
                other => panic!("{f} = {v}: {other:?}"),
            }
        }
        for (f, v) in [
            ("/geometry/coordinates/0", json!(-181)),
            ("/geometry/coordinates/1", json!(95)),
            ("/geometry/coordinates/2", json!(900)),
            ("/properties/mag", json!(11)),
            ("/properties/time", json!(-2_300_000_000_000_i64)),
            ("/properties/status", json!("deleted")),
        ] {
            match parse(&with(usgs(), f, Some(v.clone()))) {
                Err(ReportError::OutOfRange { field, .. }) => assert_eq!(field, f),
                other => panic!("{f} = {v}: {other:?}"),
            }
        }
        // Bounds are inclusive.
        let edge = with(
            with(cenc(), "/latitude", Some(json!(-90))),
            "/depth_km",
            Some(json!(0)),
        );
        assert!(parse(&edge).is_ok());
    }

    #[test]
    fn invalid_values_are_named() {
        for (f, v) in [
            ("/event_id", json!("  ")),
            ("/region", json!("")),
            ("/magnitude_type", json!("")),
            ("/origin_time", json!("2022-05-20 08:36")),
            ("/origin_time", json!("2022-05-20T08:36:00")),
            ("/origin_time", json!("yesterday")),
        ] {
            match parse(&with(cenc(), f, Some(v.clone()))) {
                Err(ReportError::Invalid { field, .. }) => assert_eq!(field, f),
                other => panic!("{f} = {v}: {other:?}"),
            }
        }
        match parse(&with(usgs(), "/geometry/type", Some(json!("Polygon")))) {
            Err(ReportError::Invalid { field, .. }) => assert_eq!(field, "/geometry/type"),
            other => panic!("{other:?}"),
        }
        match parse(&with(usgs(), "/properties/place", Some(json!("")))) {
            Err(ReportError::Invalid { field, .. }) => assert_eq!(field, "/properties/place"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn error_messages_name_the_field() {
        let err = parse(&with(cenc(), "/latitude", Some(json!(123)))).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("/latitude") && msg.contains("123") && msg.contains("-90"));
        assert!(!err.is_retryable());
    }
}
