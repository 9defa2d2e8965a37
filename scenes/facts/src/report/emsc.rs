//! An EMSC message as the seismicportal real-time websocket sends it
//! (`{"action": "create"|"update"|"delete", "data": Feature}`), or the bare feature.
//!
//! The values are read from `properties` (`lat`, `lon`, `depth` in km, `mag`, `magtype`, `time`,
//! `flynn_region`, `unid`); the geometry's third coordinate is minus the depth by EMSC's
//! convention and is ignored. A `create` is EMSC's first, automatic solution; an `update` (and a
//! bare feature, the feed's current state) is official once EMSC has reviewed it
//! (`evtype` `"ke"`, known earthquake). `delete` withdraws the event.
use super::fields::{shown, utc_time, Obj};
use super::{Message, ReportFormat, Withdrawal};
use crate::event::{
    DEPTH_RANGE_KM, EVENT_ID_MAX_CHARS, LAT_RANGE, LON_RANGE, MAGNITUDE_RANGE,
    MAGNITUDE_TYPE_MAX_CHARS, REGION_MAX_CHARS,
};
use crate::{Event, ReportError, ReportStatus, Source};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    Create,
    Update,
    Delete,
}

/// `{"action", "data"}`.
pub(crate) fn parse_message(root: &Obj<'_>) -> Result<Message, ReportError> {
    let action = match root.str("action")?.trim() {
        "create" => Action::Create,
        "update" => Action::Update,
        "delete" => Action::Delete,
        other => {
            return Err(ReportError::OutOfRange {
                field: root.ptr("action"),
                value: shown(other),
                expected: "\"create\", \"update\" or \"delete\"".into(),
            })
        }
    };
    let data = root.obj("data")?;
    feature(&data, action)
}

/// A bare feature (an element of the FDSN/seismicportal feed): read like an `update`.
pub(crate) fn parse_feature(root: &Obj<'_>) -> Result<Message, ReportError> {
    feature(root, Action::Update)
}

fn feature(data: &Obj<'_>, action: Action) -> Result<Message, ReportError> {
    if let Some(t) = data.opt("type") {
        if t.as_str() != Some("Feature") {
            return Err(ReportError::Invalid {
                field: data.ptr("type"),
                reason: format!("{t}; expected \"Feature\""),
            });
        }
    }
    let props = data.obj("properties")?;
    // `unid` is EMSC's event id; the feature's `id` carries the same value.
    let event_id = if props.opt("unid").is_none() && data.opt("id").is_some() {
        data.text("id", EVENT_ID_MAX_CHARS)?
    } else {
        props.text("unid", EVENT_ID_MAX_CHARS)?
    };
    if action == Action::Delete {
        return Ok(Message::Withdrawal(Withdrawal {
            source: Source::Emsc,
            event_id,
            format: ReportFormat::EmscMessage,
            reason: "action \"delete\"".into(),
        }));
    }
    let origin_time = utc_time(props.str("time")?, &props.ptr("time"), true)?;
    let revision = match props.opt_str("lastupdate")? {
        None => 0,
        Some(s) => super::fields::minutes_between(
            origin_time,
            utc_time(s, &props.ptr("lastupdate"), false)?,
        ),
    };
    let lat = props.number_in("lat", LAT_RANGE, "degrees north")?;
    let lon = props.number_in("lon", LON_RANGE, "degrees east")?;
    let depth_km = props.number_in("depth", DEPTH_RANGE_KM, "km")?;
    let magnitude = props.number_in("mag", MAGNITUDE_RANGE, "")?;
    let magnitude_type = props.text("magtype", MAGNITUDE_TYPE_MAX_CHARS)?;
    let region = props.text("flynn_region", REGION_MAX_CHARS)?;
    let reviewed = props
        .opt_str("evtype")?
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("ke"));
    let status = match action {
        Action::Update if reviewed => ReportStatus::Official,
        _ => ReportStatus::Automatic,
    };
    Ok(Message::Event(Event {
        source: Source::Emsc,
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
        revised: action == Action::Update,
    }))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{parse, parse_value, with};
    use super::*;
    use chrono::{TimeZone, Utc};
    use serde_json::{json, Value};

    /// EMSC's message for the 2023-02-06 Kahramanmaraş Mw7.8 (as in `samples/`).
    fn turkey() -> Value {
        serde_json::from_slice(include_bytes!(
            "../../../samples/emsc-2023-02-06-kahramanmaras.json"
        ))
        .unwrap()
    }

    #[test]
    fn update_message_parses() {
        let e = parse(&turkey()).unwrap();
        assert_eq!(e.source, Source::Emsc);
        assert_eq!(e.event_id, "20230206_0000008");
        assert_eq!(e.status, ReportStatus::Official);
        assert_eq!(
            e.origin_time,
            Utc.with_ymd_and_hms(2023, 2, 6, 1, 17, 35).unwrap()
        );
        // Depth from properties (the geometry's -10 is minus the depth).
        assert_eq!(
            (e.lat, e.lon, e.depth_km, e.magnitude),
            (37.17, 37.04, 10.0, 7.8)
        );
        assert_eq!(e.magnitude_type, "mw");
        assert_eq!(e.region, "CENTRAL TURKEY");
        // lastupdate 09:23:18 - time 01:17:35 = 485 min 43 s.
        assert_eq!(e.revision, 485);
    }

    #[test]
    fn create_is_automatic_and_update_official_only_when_reviewed() {
        for (action, evtype, want) in [
            ("create", "ke", ReportStatus::Automatic),
            ("update", "ke", ReportStatus::Official),
            ("update", "uk", ReportStatus::Automatic),
            ("update", "", ReportStatus::Automatic),
        ] {
            let v = with(
                with(turkey(), "/action", Some(json!(action))),
                "/data/properties/evtype",
                Some(json!(evtype)),
            );
            assert_eq!(parse(&v).unwrap().status, want, "{action} {evtype}");
        }
        let v = with(turkey(), "/data/properties/evtype", None);
        assert_eq!(parse(&v).unwrap().status, ReportStatus::Automatic);
    }

    #[test]
    fn delete_withdraws_and_a_bare_feature_is_detected() {
        let v = with(turkey(), "/action", Some(json!("delete")));
        match parse_value(&v).unwrap().message {
            Message::Withdrawal(w) => {
                assert_eq!(w.event_id, "20230206_0000008");
                assert_eq!(w.source, Source::Emsc);
                assert_eq!(w.format, ReportFormat::EmscMessage);
            }
            other => panic!("{other:?}"),
        }
        let bare = turkey()["data"].clone();
        let p = parse_value(&bare).unwrap();
        assert_eq!(p.format, ReportFormat::EmscMessage);
        let Message::Event(e) = p.message else {
            panic!("not an event")
        };
        assert_eq!(e.status, ReportStatus::Official);
        match parse(&with(bare, "/properties/mag", Some(json!("big")))) {
            Err(ReportError::WrongType { field, .. }) => assert_eq!(field, "/properties/mag"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn fields_are_named() {
        for f in [
            "/data",
            "/data/properties",
            "/data/properties/time",
            "/data/properties/lat",
            "/data/properties/lon",
            "/data/properties/depth",
            "/data/properties/mag",
            "/data/properties/magtype",
            "/data/properties/flynn_region",
        ] {
            let err = parse(&with(turkey(), f, None)).unwrap_err();
            assert_eq!(err, ReportError::Missing { field: f.into() }, "{f}");
        }
        // No unid and no id.
        let v = with(
            with(turkey(), "/data/properties/unid", None),
            "/data/id",
            None,
        );
        assert_eq!(
            parse(&v).unwrap_err().field(),
            Some("/data/properties/unid")
        );
        for (f, v) in [
            ("/action", json!("upsert")),
            ("/data/properties/lat", json!(-90.5)),
            ("/data/properties/depth", json!(-11.0)),
            ("/data/properties/mag", json!(10.1)),
            ("/data/properties/time", json!("1890-01-01T00:00:00Z")),
        ] {
            match parse(&with(turkey(), f, Some(v.clone()))) {
                Err(ReportError::OutOfRange { field, .. }) => assert_eq!(field, f),
                other => panic!("{f} = {v}: {other:?}"),
            }
        }
        for (f, v) in [
            ("/action", json!(1)),
            ("/data", json!("x")),
            ("/data/properties/lon", json!("37.04")),
        ] {
            match parse(&with(turkey(), f, Some(v.clone()))) {
                Err(ReportError::WrongType { field, .. }) => assert_eq!(field, f),
                other => panic!("{f} = {v}: {other:?}"),
            }
        }
        for (f, v) in [
            ("/data/type", json!("Point")),
            ("/data/properties/time", json!("06/02/2023 01:17")),
            ("/data/properties/lastupdate", json!("later")),
            ("/data/properties/flynn_region", json!("")),
            ("/data/properties/unid", json!("9".repeat(129))),
        ] {
            match parse(&with(turkey(), f, Some(v.clone()))) {
                Err(ReportError::Invalid { field, .. }) => assert_eq!(field, f),
                other => panic!("{f} = {v}: {other:?}"),
            }
        }
        // Shallow above-sea-level depths validate; microsecond times parse.
        let v = with(
            with(turkey(), "/data/properties/depth", Some(json!(-2.0))),
            "/data/properties/lastupdate",
            Some(json!("2023-02-06T02:17:35.946851Z")),
        );
        let e = parse(&v).unwrap();
        assert_eq!((e.depth_km, e.revision), (-2.0, 60));
    }
}
