//! Every report of the corpus (`tests/corpus/`, five formats) parses to the event its index
//! entry describes (id, status, origin in UTC, magnitude, depth), in the format it claims; the
//! withdrawal messages beside it parse to withdrawals of the events they name.
use chrono::{DateTime, Utc};
use quakecast_facts::{parse_message, Message, ReportFormat, ReportStatus, Source};
use serde::Deserialize;

#[derive(Deserialize)]
struct Entry {
    file: String,
    format: String,
    event_id: String,
    status: String,
    origin_utc: String,
    magnitude: f64,
    depth_km: f64,
}

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus");

#[test]
fn every_corpus_report_parses_to_its_indexed_event() {
    let index: Vec<Entry> =
        serde_json::from_str(&std::fs::read_to_string(format!("{DIR}/index.json")).expect("index"))
            .expect("index parses");
    assert!(index.len() >= 40, "{} entries", index.len());
    let mut bad = Vec::new();
    let mut formats = std::collections::BTreeSet::new();
    for e in &index {
        let bytes = std::fs::read(format!("{DIR}/{}", e.file)).expect("corpus file");
        let parsed = match parse_message(&bytes) {
            Ok(p) => p,
            Err(err) => {
                bad.push(format!("{}: {err}", e.file));
                continue;
            }
        };
        let want_format = match e.format.as_str() {
            "cenc-quick-report" => ReportFormat::CencQuickReport,
            "cenc-record" => ReportFormat::CencRecord,
            "emsc" => ReportFormat::EmscMessage,
            "usgs" => ReportFormat::UsgsFeature,
            "quakeml" => ReportFormat::QuakeMl,
            other => panic!("{}: unknown index format {other}", e.file),
        };
        formats.insert(want_format.name());
        if parsed.format != want_format {
            bad.push(format!("{}: detected as {}", e.file, parsed.format));
        }
        let Message::Event(ev) = parsed.message else {
            bad.push(format!("{}: a withdrawal", e.file));
            continue;
        };
        let status = match ev.status {
            ReportStatus::Automatic => "automatic",
            ReportStatus::Official => "official",
        };
        let origin: DateTime<Utc> = e.origin_utc.parse().expect("index origin_utc");
        // The index gives whole seconds; reports may carry a fraction.
        let dt = (ev.origin_time - origin).num_milliseconds().abs();
        if ev.event_id != e.event_id
            || status != e.status
            || dt >= 1000
            || (ev.magnitude - e.magnitude).abs() > 1e-9
            || (ev.depth_km - e.depth_km).abs() > 1e-6
        {
            bad.push(format!(
                "{}: got {} {status} {} M{} {} km; index {} {} {} M{} {} km",
                e.file,
                ev.event_id,
                ev.origin_time,
                ev.magnitude,
                ev.depth_km,
                e.event_id,
                e.status,
                e.origin_utc,
                e.magnitude,
                e.depth_km
            ));
        }
    }
    assert!(
        bad.is_empty(),
        "{} problems:\n{}",
        bad.len(),
        bad.join("\n")
    );
    assert_eq!(formats.len(), 5, "{formats:?}");
}

#[test]
fn corpus_withdrawals_name_their_events() {
    for (file, source, id, format) in [
        (
            "cenc-record-is-del.json",
            Source::Cenc,
            "20191211000252",
            ReportFormat::CencRecord,
        ),
        (
            "emsc-delete.json",
            Source::Emsc,
            "20210502_0000100",
            ReportFormat::EmscMessage,
        ),
        (
            "usgs-deleted.json",
            Source::Usgs,
            "ok2025xdio",
            ReportFormat::UsgsFeature,
        ),
    ] {
        let bytes = std::fs::read(format!("{DIR}/withdrawals/{file}")).expect("withdrawal file");
        let p = parse_message(&bytes).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(p.format, format, "{file}");
        match p.message {
            Message::Withdrawal(w) => {
                assert_eq!((w.source, w.event_id.as_str()), (source, id), "{file}");
            }
            other => panic!("{file}: {other:?}"),
        }
        assert!(matches!(
            quakecast_facts::parse_report(&bytes),
            Err(quakecast_facts::ReportError::Withdrawn(_))
        ));
    }
}
