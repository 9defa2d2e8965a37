//! A record of CENC's quick-report catalogue, as CENC's own pages and its speedsearch JSON publish
//! it (`CATA_ID`, `O_TIME`, `EPI_LAT`, …), alone or in the `{"num": 1, "shuju": [record]}`
//! wrapper.
//!
//! CENC writes times in Beijing time without an offset, and numbers sometimes as strings and
//! sometimes as numbers; both are read. The automatic (`AU…`) and the official (`CC…`) record of
//! one quake differ only in the two-letter prefix of `CATA_ID`, so the event id drops it: the
//! official record then supersedes the automatic one. CENC has no revision counter; the minutes
//! from the origin to `SAVE_TIME` order the records of one event instead.
use serde_json::Value;

use super::fields::{beijing_time, minutes_between, shown, Obj};
use super::{Message, ReportFormat, Withdrawal};
use crate::event::{
    DEPTH_RANGE_KM, EVENT_ID_MAX_CHARS, LAT_RANGE, LON_RANGE, MAGNITUDE_RANGE, REGION_MAX_CHARS,
};
use crate::{Event, ReportError, ReportStatus, Source};

/// The `IS_DEL` values that do not delete ("not deleted").
const NOT_DELETED: [&str; 3] = ["0", "N", "n"];

pub(crate) fn parse(root: &Obj<'_>) -> Result<Message, ReportError> {
    let rec = record(root)?;
    let cata_id = rec.text("CATA_ID", EVENT_ID_MAX_CHARS + 2)?;
    let (prefix, event_id) = split_prefix(&cata_id);
    if event_id.chars().count() > EVENT_ID_MAX_CHARS || event_id.is_empty() {
        return Err(ReportError::Invalid {
            field: rec.ptr("CATA_ID"),
            reason: format!(
                "{}: expected a two-letter prefix and an id of 1 to {EVENT_ID_MAX_CHARS} \
                 characters, e.g. \"CC20220905125218\"",
                shown(&cata_id)
            ),
        });
    }
    if let Some(flag) = deleted(&rec)? {
        return Ok(Message::Withdrawal(Withdrawal {
            source: Source::Cenc,
            event_id,
            format: ReportFormat::CencRecord,
            reason: format!("IS_DEL = {flag}"),
        }));
    }
    let status = status(&rec, prefix.as_deref())?;
    let origin_time = beijing_time(rec.str("O_TIME")?, &rec.ptr("O_TIME"), true)?;
    let revision = match rec.opt_str("SAVE_TIME")? {
        None => 0,
        Some(s) => minutes_between(origin_time, beijing_time(s, &rec.ptr("SAVE_TIME"), false)?),
    };
    let lat = rec.loose_number_in("EPI_LAT", LAT_RANGE, "degrees north")?;
    let lon = rec.loose_number_in("EPI_LON", LON_RANGE, "degrees east")?;
    let depth_km = rec.loose_number_in("EPI_DEPTH", DEPTH_RANGE_KM, "km")?;
    let magnitude = rec.loose_number_in("M", MAGNITUDE_RANGE, "")?;
    let region = rec.text("LOCATION_C", REGION_MAX_CHARS)?;
    Ok(Message::Event(Event {
        source: Source::Cenc,
        event_id,
        status,
        revision,
        origin_time,
        lat,
        lon,
        depth_km,
        magnitude,
        magnitude_type: "M".into(),
        region,
        // Records are ordered by SAVE_TIME; none says it revises another.
        revised: false,
    }))
}

/// The record itself: the object, or the only element of its `shuju` wrapper.
fn record<'a>(root: &Obj<'a>) -> Result<Obj<'a>, ReportError> {
    let Some(shuju) = root.map.get("shuju") else {
        return Ok(root.clone());
    };
    let field = root.ptr("shuju");
    let Value::Array(items) = shuju else {
        return Err(ReportError::WrongType {
            field,
            expected: "array of one record".into(),
        });
    };
    match items.as_slice() {
        [Value::Object(map)] => Ok(Obj {
            map,
            path: format!("{field}/0"),
        }),
        [_] => Err(ReportError::WrongType {
            field: format!("{field}/0"),
            expected: "object (a CENC record)".into(),
        }),
        other => Err(ReportError::Invalid {
            field,
            reason: format!(
                "holds {} records; send exactly one report per message",
                other.len()
            ),
        }),
    }
}

/// `("AU", "20220905125218")` from `"AU20220905125218"`; an id without a two-letter prefix is
/// kept whole.
fn split_prefix(cata_id: &str) -> (Option<String>, String) {
    let mut chars = cata_id.chars();
    match (chars.next(), chars.next()) {
        (Some(a), Some(b)) if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => (
            Some(format!("{a}{b}").to_ascii_uppercase()),
            chars.as_str().to_string(),
        ),
        _ => (None, cata_id.to_string()),
    }
}

/// `Some(shown value)` when `IS_DEL` deletes the record.
fn deleted(rec: &Obj<'_>) -> Result<Option<String>, ReportError> {
    match rec.opt("IS_DEL") {
        None => Ok(None),
        Some(Value::String(s)) => {
            let t = s.trim();
            Ok((!t.is_empty() && !NOT_DELETED.contains(&t)).then(|| shown(s)))
        }
        Some(Value::Number(n)) => Ok((n.as_f64() != Some(0.0)).then(|| n.to_string())),
        Some(Value::Bool(b)) => Ok(b.then(|| "true".to_string())),
        Some(_) => Err(ReportError::WrongType {
            field: rec.ptr("IS_DEL"),
            expected: "string (empty, \"0\" or \"N\": not deleted)".into(),
        }),
    }
}

/// `AUTO_FLAG` decides; without one, the `CATA_ID` prefix does.
fn status(rec: &Obj<'_>, prefix: Option<&str>) -> Result<ReportStatus, ReportError> {
    let flag = rec.opt_str("AUTO_FLAG")?;
    match flag.map(|f| f.trim().to_ascii_uppercase()).as_deref() {
        Some("M") => Ok(ReportStatus::Official),
        Some("AU") | Some("A") => Ok(ReportStatus::Automatic),
        Some(_) => Err(ReportError::OutOfRange {
            field: rec.ptr("AUTO_FLAG"),
            value: shown(flag.unwrap_or_default()),
            expected: "\"M\" (official, 正式测定) or \"AU\" / \"A\" (automatic, 自动测定)".into(),
        }),
        None => match prefix {
            Some("AU") => Ok(ReportStatus::Automatic),
            Some("CC") => Ok(ReportStatus::Official),
            _ => Err(ReportError::Missing {
                field: rec.ptr("AUTO_FLAG"),
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{parse, parse_value, with};
    use super::*;
    use chrono::{TimeZone, Utc};
    use serde_json::json;

    /// CENC's official record of the 2022-09-05 Luding M6.8 (as in `samples/`).
    fn luding() -> Value {
        serde_json::from_slice(include_bytes!(
            "../../../samples/cenc-record-2022-09-05-luding.json"
        ))
        .unwrap()
    }

    #[test]
    fn official_record_parses() {
        let e = parse(&luding()).unwrap();
        assert_eq!(e.source, Source::Cenc);
        assert_eq!(e.event_id, "20220905125218");
        assert_eq!(e.status, ReportStatus::Official);
        // Beijing 12:52:18 is 04:52:18 UTC.
        assert_eq!(
            e.origin_time,
            Utc.with_ymd_and_hms(2022, 9, 5, 4, 52, 18).unwrap()
        );
        // String numbers and a number depth.
        assert_eq!(
            (e.lat, e.lon, e.depth_km, e.magnitude),
            (29.59, 102.08, 16.0, 6.8)
        );
        assert_eq!(e.magnitude_type, "M");
        assert_eq!(e.region, "四川甘孜州泸定县");
        // Saved 7 min 13 s after the origin.
        assert_eq!(e.revision, 7);
    }

    #[test]
    fn automatic_and_official_share_the_event_id_and_official_is_later() {
        let auto = with(
            with(
                with(luding(), "/CATA_ID", Some(json!("AU20220905125218"))),
                "/AUTO_FLAG",
                Some(json!("AU")),
            ),
            "/SAVE_TIME",
            Some(json!("2022-09-05 12:53:40")),
        );
        let a = parse(&auto).unwrap();
        let o = parse(&luding()).unwrap();
        assert_eq!(a.status, ReportStatus::Automatic);
        assert_eq!(a.event_id, o.event_id);
        assert_eq!(a.revision, 1);
        assert!(a.revision < o.revision);
    }

    #[test]
    fn auto_flag_decides_and_the_prefix_only_without_it() {
        for (cata, flag, want) in [
            ("AU20220905125218", json!("AU"), ReportStatus::Automatic),
            ("CC20220905125218", json!("A"), ReportStatus::Automatic),
            ("AU20220905125218", json!("M"), ReportStatus::Official),
            ("CD20230419082211.00", json!("M"), ReportStatus::Official),
            ("AU20220905125218", json!(""), ReportStatus::Automatic),
            ("CC20220905125218", json!(""), ReportStatus::Official),
            ("AU20220905125218", Value::Null, ReportStatus::Automatic),
        ] {
            let v = with(
                with(luding(), "/CATA_ID", Some(json!(cata))),
                "/AUTO_FLAG",
                Some(flag.clone()),
            );
            assert_eq!(parse(&v).unwrap().status, want, "{cata} {flag}");
        }
        let cd = with(luding(), "/CATA_ID", Some(json!("CD20230419082211.00")));
        assert_eq!(parse(&cd).unwrap().event_id, "20230419082211.00");
        let v = with(
            with(luding(), "/CATA_ID", Some(json!("CD20230419082211"))),
            "/AUTO_FLAG",
            None,
        );
        assert_eq!(
            parse(&v).unwrap_err(),
            ReportError::Missing {
                field: "/AUTO_FLAG".into()
            }
        );
        match parse(&with(luding(), "/AUTO_FLAG", Some(json!("X")))) {
            Err(ReportError::OutOfRange { field, .. }) => assert_eq!(field, "/AUTO_FLAG"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn wrapper_holds_one_record_and_errors_point_into_it() {
        let wrapped = json!({"num": 1, "shuju": [luding()]});
        assert_eq!(parse(&wrapped).unwrap(), parse(&luding()).unwrap());
        let bad = json!({"num": 1, "shuju": [with(luding(), "/EPI_LAT", Some(json!("95.1")))]});
        match parse(&bad) {
            Err(ReportError::OutOfRange { field, value, .. }) => {
                assert_eq!(field, "/shuju/0/EPI_LAT");
                assert_eq!(value, "\"95.1\"");
            }
            other => panic!("{other:?}"),
        }
        for (v, field) in [
            (json!({"num": 0, "shuju": []}), "/shuju"),
            (json!({"num": 2, "shuju": [luding(), luding()]}), "/shuju"),
            (json!({"shuju": {"a": 1}}), "/shuju"),
            (json!({"shuju": ["x"]}), "/shuju/0"),
        ] {
            let e = parse(&v).unwrap_err();
            assert_eq!(e.field(), Some(field), "{v}: {e}");
        }
    }

    #[test]
    fn times_and_revision() {
        // No SAVE_TIME: revision 0; SAVE_TIME before O_TIME: 0.
        assert_eq!(
            parse(&with(luding(), "/SAVE_TIME", None)).unwrap().revision,
            0
        );
        let early = with(luding(), "/SAVE_TIME", Some(json!("2022-09-05 12:00:00")));
        assert_eq!(parse(&early).unwrap().revision, 0);
        // A fraction of a second; a save on the next day (23:59:30 + 10 min).
        let v = with(
            with(luding(), "/O_TIME", Some(json!("2023-12-18 23:59:30.5"))),
            "/SAVE_TIME",
            Some(json!("2023-12-19 00:09:31")),
        );
        let e = parse(&v).unwrap();
        assert_eq!(e.origin_time.to_rfc3339(), "2023-12-18T15:59:30.500+00:00");
        assert_eq!(e.revision, 10);
        for (f, v) in [
            ("/O_TIME", json!("2022-09-05T12:52:18+08:00")),
            ("/O_TIME", json!("2022/09/05 12:52:18")),
            ("/SAVE_TIME", json!("soon")),
        ] {
            match parse(&with(luding(), f, Some(v.clone()))) {
                Err(ReportError::Invalid { field, .. }) => assert_eq!(field, f),
                other => panic!("{f} = {v}: {other:?}"),
            }
        }
        match parse(&with(
            luding(),
            "/O_TIME",
            Some(json!("2101-01-01 12:00:00")),
        )) {
            Err(ReportError::OutOfRange { field, .. }) => assert_eq!(field, "/O_TIME"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn is_del_withdraws_the_event() {
        for flag in [json!("1"), json!("Y"), json!(1), json!(true)] {
            let v = with(
                with(luding(), "/IS_DEL", Some(flag.clone())),
                "/CATA_ID",
                Some(json!("AU20220905125218")),
            );
            match parse_value(&v).unwrap().message {
                Message::Withdrawal(w) => {
                    assert_eq!(w.event_id, "20220905125218", "{flag}");
                    assert_eq!(w.source, Source::Cenc);
                    assert_eq!(w.format, ReportFormat::CencRecord);
                    assert!(w.reason.starts_with("IS_DEL"), "{}", w.reason);
                }
                other => panic!("{flag}: {other:?}"),
            }
        }
        for flag in [
            json!(""),
            json!("0"),
            json!("N"),
            json!(0),
            json!(false),
            Value::Null,
        ] {
            let v = with(luding(), "/IS_DEL", Some(flag.clone()));
            assert!(parse(&v).is_ok(), "{flag}");
        }
        // A deleted record needs only its id.
        let v = json!({"CATA_ID": "AU20191211000252", "IS_DEL": "1"});
        assert!(matches!(
            parse_value(&v).unwrap().message,
            Message::Withdrawal(_)
        ));
    }

    #[test]
    fn missing_and_wrong_fields_are_named() {
        for f in [
            "/CATA_ID",
            "/O_TIME",
            "/EPI_LAT",
            "/EPI_LON",
            "/EPI_DEPTH",
            "/M",
            "/LOCATION_C",
        ] {
            let err = parse(&with(luding(), f, None)).unwrap_err();
            assert_eq!(err, ReportError::Missing { field: f.into() }, "{f}");
        }
        for (f, v) in [
            ("/EPI_LAT", json!("北纬29.59")),
            ("/EPI_LON", json!([102.08])),
            ("/M", json!("NaN")),
            ("/O_TIME", json!(20220905)),
            ("/IS_DEL", json!([1])),
            ("/AUTO_FLAG", json!(1)),
        ] {
            match parse(&with(luding(), f, Some(v.clone()))) {
                Err(ReportError::WrongType { field, .. }) => assert_eq!(field, f),
                other => panic!("{f} = {v}: {other:?}"),
            }
        }
        for (f, v) in [
            ("/EPI_LAT", json!("91")),
            ("/EPI_LON", json!(-180.5)),
            ("/EPI_DEPTH", json!("-11")),
            ("/EPI_DEPTH", json!(900)),
            ("/M", json!("12")),
        ] {
            match parse(&with(luding(), f, Some(v.clone()))) {
                Err(ReportError::OutOfRange { field, .. }) => assert_eq!(field, f),
                other => panic!("{f} = {v}: {other:?}"),
            }
        }
        for (f, v) in [
            ("/EPI_DEPTH", json!("")),
            ("/LOCATION_C", json!(" ")),
            ("/LOCATION_C", json!("泸".repeat(201))),
            ("/CATA_ID", json!("CC")),
            ("/CATA_ID", json!(format!("CC{}", "1".repeat(129)))),
        ] {
            match parse(&with(luding(), f, Some(v.clone()))) {
                Err(ReportError::Invalid { field, .. }) => assert_eq!(field, f),
                other => panic!("{f} = {v}: {other:?}"),
            }
        }
        // A real shallow negative depth validates.
        assert_eq!(
            parse(&with(luding(), "/EPI_DEPTH", Some(json!("-3.5"))))
                .unwrap()
                .depth_km,
            -3.5
        );
    }

    #[test]
    fn ids_without_a_prefix_are_kept_and_multibyte_ids_do_not_panic() {
        assert_eq!(
            split_prefix("20220905125218"),
            (None, "20220905125218".into())
        );
        assert_eq!(split_prefix("泸定1"), (None, "泸定1".into()));
        assert_eq!(split_prefix("a泸"), (None, "a泸".into()));
        assert_eq!(split_prefix("au1"), (Some("AU".into()), "1".into()));
    }
}
