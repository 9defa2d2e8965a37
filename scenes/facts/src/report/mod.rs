//! Quake reports in five formats → a validated [`Event`], or a [`Withdrawal`] of one.
//!
//! `docs/report-schema.md` documents each format, its fields and how they map onto [`Event`].
//! The format is detected from the content, never from a file name or a content type:
//!
//! | the input is… | format |
//! |---|---|
//! | XML (first character after a BOM and whitespace is `<`) | [`ReportFormat::QuakeMl`] ([`quakeml`]) |
//! | a JSON object with `action` (and `data`) | [`ReportFormat::EmscMessage`] ([`emsc`]) |
//! | a GeoJSON `Feature` whose `properties` have `unid` | [`ReportFormat::EmscMessage`] (bare feature) |
//! | any other GeoJSON `Feature` | [`ReportFormat::UsgsFeature`] ([`usgs`]) |
//! | an object with `shuju` (the wrapper of one record), `CATA_ID` or `O_TIME` | [`ReportFormat::CencRecord`] ([`cenc_record`]) |
//! | an object with `"format": "cenc-quick-report/1"`, or with `event_id` and `origin_time` (or `deleted`) | [`ReportFormat::CencQuickReport`] ([`cenc`]) |
//!
//! Anything else is [`ReportError::UnknownFormat`], saying what was expected. Validation reports
//! the first problem found and names the field: a JSON pointer (`/EPI_LAT`,
//! `/data/properties/mag`, `/shuju/0/O_TIME`) or the XML element path
//! (`eventParameters/event/origin/latitude/value`).
//!
//! Every format can withdraw an event (CENC `IS_DEL`, our `"deleted": true`, EMSC `delete`, USGS
//! `deleted`, QuakeML `not existing` / `rejected`). [`parse_message`] returns it as a
//! [`Message::Withdrawal`]; [`parse_report`], which wants a bulletin's event, refuses it with
//! [`ReportError::Withdrawn`].
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{Event, ReportError, Source};

pub mod cenc;
pub mod cenc_record;
pub mod emsc;
pub(crate) mod fields;
pub mod quakeml;
pub mod usgs;

use fields::{type_name, Obj};

/// The five input formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ReportFormat {
    /// Our own schema, `cenc-quick-report/1` ([`cenc`]).
    #[serde(rename = "cenc-quick-report")]
    CencQuickReport,
    /// A record of CENC's quick-report catalogue (`CATA_ID`, `O_TIME`, …; [`cenc_record`]).
    #[serde(rename = "cenc-record")]
    CencRecord,
    /// An EMSC seismicportal real-time message or feature ([`emsc`]).
    #[serde(rename = "emsc-message")]
    EmscMessage,
    /// One feature of a USGS real-time GeoJSON feed ([`usgs`]).
    #[serde(rename = "usgs-feature")]
    UsgsFeature,
    /// QuakeML 1.2 Basic Event Description ([`quakeml`]).
    #[serde(rename = "quakeml")]
    QuakeMl,
}

impl ReportFormat {
    pub const ALL: [ReportFormat; 5] = [
        ReportFormat::CencQuickReport,
        ReportFormat::CencRecord,
        ReportFormat::EmscMessage,
        ReportFormat::UsgsFeature,
        ReportFormat::QuakeMl,
    ];

    /// The format's name as stored, logged and printed (the serde name): `"cenc-record"`.
    pub fn name(self) -> &'static str {
        match self {
            ReportFormat::CencQuickReport => "cenc-quick-report",
            ReportFormat::CencRecord => "cenc-record",
            ReportFormat::EmscMessage => "emsc-message",
            ReportFormat::UsgsFeature => "usgs-feature",
            ReportFormat::QuakeMl => "quakeml",
        }
    }
}

impl std::fmt::Display for ReportFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A report that takes an event back: the agency deleted it (a false detection, a duplicate).
/// Its bulletin must not be broadcast, and one already pushed must be retracted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Withdrawal {
    pub source: Source,
    /// The id of the event withdrawn, as [`Event::event_id`] of that event's reports.
    pub event_id: String,
    pub format: ReportFormat,
    /// What in the report says so, e.g. `IS_DEL = "1"`, `action "delete"`.
    pub reason: String,
}

impl std::fmt::Display for Withdrawal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "withdrawal of {} event {} ({}: {})",
            source_name(self.source),
            self.event_id,
            self.format,
            self.reason
        )
    }
}

/// What a report says: an event to announce, or the withdrawal of one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Message {
    Event(Event),
    Withdrawal(Withdrawal),
}

/// A parsed report and the format it was detected as.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Parsed {
    pub format: ReportFormat,
    pub message: Message,
}

/// The agency's usual abbreviation.
pub fn source_name(s: Source) -> &'static str {
    match s {
        Source::Cenc => "CENC",
        Source::Usgs => "USGS",
        Source::Emsc => "EMSC",
    }
}

/// Parse and validate one report that must describe an event (a bulletin's input); the format
/// is detected from its content. A withdrawal is refused with [`ReportError::Withdrawn`].
pub fn parse_report(bytes: &[u8]) -> Result<Event, ReportError> {
    match parse_message(bytes)?.message {
        Message::Event(e) => Ok(e),
        Message::Withdrawal(w) => Err(ReportError::Withdrawn(w)),
    }
}

const EXPECTED: &str =
    "expected one of: a CENC quick report (\"format\": \"cenc-quick-report/1\"), \
     a CENC catalogue record (CATA_ID, O_TIME, …), an EMSC message ({\"action\", \"data\"}), \
     a USGS GeoJSON Feature (\"type\": \"Feature\") or QuakeML 1.2 (XML)";

/// Parse and validate one report of any format: an event or a withdrawal.
pub fn parse_message(bytes: &[u8]) -> Result<Parsed, ReportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace()).copied();
    if first == Some(b'<') {
        let text = std::str::from_utf8(bytes)
            .map_err(|e| ReportError::Syntax(format!("XML is not UTF-8: {e}")))?;
        return Ok(Parsed {
            format: ReportFormat::QuakeMl,
            message: quakeml::parse(text)?,
        });
    }
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| ReportError::Syntax(format!("JSON: {e}")))?;
    let Value::Object(obj) = &value else {
        return Err(ReportError::UnknownFormat(format!(
            "the report is a JSON {}; {EXPECTED}",
            type_name(&value)
        )));
    };
    let root = Obj::root(obj);
    let (format, message) = detect_json(&root)?;
    Ok(Parsed { format, message })
}

fn detect_json(root: &Obj<'_>) -> Result<(ReportFormat, Message), ReportError> {
    if root.has("action") {
        return Ok((ReportFormat::EmscMessage, emsc::parse_message(root)?));
    }
    if let Some(t) = root.map.get("type") {
        return match t.as_str() {
            Some("Feature") => {
                let emsc = root
                    .map
                    .get("properties")
                    .and_then(Value::as_object)
                    .is_some_and(|p| p.contains_key("unid"));
                if emsc {
                    Ok((ReportFormat::EmscMessage, emsc::parse_feature(root)?))
                } else {
                    Ok((ReportFormat::UsgsFeature, usgs::parse(root)?))
                }
            }
            Some("FeatureCollection") => Err(ReportError::UnknownFormat(
                "a GeoJSON FeatureCollection; send one USGS Feature (one element of `features`)"
                    .into(),
            )),
            _ => Err(ReportError::UnknownFormat(format!(
                "`/type` is {}; a USGS or EMSC report is a GeoJSON object with \
                 \"type\": \"Feature\"",
                fields::shown(&t.to_string())
            ))),
        };
    }
    if root.has("shuju") || root.has("CATA_ID") || root.has("O_TIME") {
        return Ok((ReportFormat::CencRecord, cenc_record::parse(root)?));
    }
    match root.map.get("format") {
        Some(Value::String(f)) if f == cenc::FORMAT => {
            return Ok((ReportFormat::CencQuickReport, cenc::parse(root)?))
        }
        Some(f) => {
            return Err(ReportError::UnknownFormat(format!(
                "`/format` is {}; the only `format` understood is \"{}\" ({EXPECTED})",
                fields::shown(&f.to_string()),
                cenc::FORMAT
            )))
        }
        None => {}
    }
    if root.has("event_id") && (root.has("origin_time") || root.has("deleted")) {
        return Ok((ReportFormat::CencQuickReport, cenc::parse(root)?));
    }
    let keys: Vec<String> = root
        .map
        .keys()
        .take(8)
        .map(|k| k.chars().take(40).collect())
        .collect();
    Err(ReportError::UnknownFormat(format!(
        "{EXPECTED}; got an object with keys [{}]",
        keys.join(", ")
    )))
}

/// Helpers for the format modules' tests.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    pub fn parse_value(v: &Value) -> Result<Parsed, ReportError> {
        parse_message(v.to_string().as_bytes())
    }

    pub fn parse(v: &Value) -> Result<Event, ReportError> {
        parse_report(v.to_string().as_bytes())
    }

    /// `v` with the value at `pointer` replaced (`Some`) or removed (`None`).
    pub fn with(mut v: Value, pointer: &str, new: Option<Value>) -> Value {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_have_stable_names() {
        for f in ReportFormat::ALL {
            let json = serde_json::to_value(f).unwrap();
            assert_eq!(json, Value::String(f.name().into()));
            let back: ReportFormat = serde_json::from_value(json).unwrap();
            assert_eq!(back, f);
        }
        assert_eq!(ReportFormat::CencRecord.name(), "cenc-record");
    }

    #[test]
    fn detection_and_unknown_formats() {
        for (text, needle) in [
            ("[1, 2]", "array"),
            ("{\"hello\": 1}", "hello"),
            (
                "{\"format\": \"cenc-quick-report/2\"}",
                "cenc-quick-report/1",
            ),
            (
                "{\"type\": \"FeatureCollection\", \"features\": []}",
                "one USGS Feature",
            ),
            ("{\"type\": \"Point\"}", "Feature"),
            ("\"text\"", "string"),
        ] {
            match parse_message(text.as_bytes()) {
                Err(ReportError::UnknownFormat(msg)) => {
                    assert!(msg.contains(needle), "{msg:?} lacks {needle:?}")
                }
                other => panic!("{text}: {other:?}"),
            }
        }
        assert!(matches!(
            parse_message(b"{\"event_id\": "),
            Err(ReportError::Syntax(_))
        ));
        assert!(matches!(
            parse_message(b"   <q:quakeml"),
            Err(ReportError::Syntax(_))
        ));
        assert!(matches!(
            parse_message(b"<\xff\xfe>"),
            Err(ReportError::Syntax(_))
        ));
        assert!(matches!(parse_message(b""), Err(ReportError::Syntax(_))));
    }

    #[test]
    fn a_byte_order_mark_is_skipped() {
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend_from_slice(include_bytes!(
            "../../../samples/cenc-2022-05-20-hanyuan.json"
        ));
        let p = parse_message(&bytes).unwrap();
        assert_eq!(p.format, ReportFormat::CencQuickReport);
    }

    #[test]
    fn samples_parse_in_their_formats() {
        for (bytes, format, id) in [
            (
                &include_bytes!("../../../samples/cenc-2022-05-20-hanyuan.json")[..],
                ReportFormat::CencQuickReport,
                "CC20220520083600",
            ),
            (
                &include_bytes!("../../../samples/usgs-sample-feature.json")[..],
                ReportFormat::UsgsFeature,
                "us7000sm9q",
            ),
            (
                &include_bytes!("../../../samples/cenc-record-2022-09-05-luding.json")[..],
                ReportFormat::CencRecord,
                "20220905125218",
            ),
            (
                &include_bytes!("../../../samples/emsc-2023-02-06-kahramanmaras.json")[..],
                ReportFormat::EmscMessage,
                "20230206_0000008",
            ),
            (
                &include_bytes!("../../../samples/quakeml-2019-07-06-ridgecrest.xml")[..],
                ReportFormat::QuakeMl,
                "38457511",
            ),
        ] {
            let p = parse_message(bytes).unwrap_or_else(|e| panic!("{format}: {e}"));
            assert_eq!(p.format, format);
            match p.message {
                Message::Event(e) => assert_eq!(e.event_id, id),
                other => panic!("{format}: {other:?}"),
            }
        }
    }

    #[test]
    fn parse_report_refuses_a_withdrawal_precisely() {
        let text = r#"{"format":"cenc-quick-report/1","event_id":"CC1","deleted":true}"#;
        match parse_report(text.as_bytes()) {
            Err(ReportError::Withdrawn(w)) => {
                assert_eq!(w.event_id, "CC1");
                assert_eq!(w.source, Source::Cenc);
                assert_eq!(w.format, ReportFormat::CencQuickReport);
            }
            other => panic!("{other:?}"),
        }
        let err = parse_report(text.as_bytes()).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("CENC event CC1") && msg.contains("withdraw"),
            "{msg}"
        );
        assert_eq!(err.field(), None);
        assert!(!err.is_retryable());
        let p = parse_message(text.as_bytes()).unwrap();
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["message"]["kind"], "withdrawal");
        assert_eq!(json["format"], "cenc-quick-report");
    }

    /// Arbitrary bytes never panic: truncations of every sample at every byte, and a few
    /// hostile shapes.
    #[test]
    fn no_input_panics() {
        let samples: [&[u8]; 5] = [
            include_bytes!("../../../samples/cenc-2022-05-20-hanyuan.json"),
            include_bytes!("../../../samples/usgs-sample-feature.json"),
            include_bytes!("../../../samples/cenc-record-2022-09-05-luding.json"),
            include_bytes!("../../../samples/emsc-2023-02-06-kahramanmaras.json"),
            include_bytes!("../../../samples/quakeml-2019-07-06-ridgecrest.xml"),
        ];
        for s in samples {
            for n in 0..s.len() {
                let _ = parse_message(&s[..n]);
            }
            // Every byte replaced by a multi-byte character's lead byte or a quote.
            for n in (0..s.len()).step_by(7) {
                for b in [b'"', 0xE6, b'<', b'9', b'-'] {
                    let mut v = s.to_vec();
                    v[n] = b;
                    let _ = parse_message(&v);
                }
            }
        }
        let deep = "[".repeat(100_000);
        assert!(parse_message(deep.as_bytes()).is_err());
        let deep_xml = "<a>".repeat(100_000);
        assert!(parse_message(deep_xml.as_bytes()).is_err());
        let dtd =
            r#"<?xml version="1.0"?><!DOCTYPE q [<!ENTITY a "aaaa">]><q:quakeml>&a;</q:quakeml>"#;
        assert!(parse_message(dtd.as_bytes()).is_err());
    }
}
