//! QuakeML 1.2 (Basic Event Description) → [`Event`], for agencies that publish XML.
//!
//! The document must hold one `event` in `eventParameters` (a bulletin is about one quake). Read
//! from it: the preferred origin and magnitude (by `preferredOriginID` / `preferredMagnitudeID`,
//! else the first ones), `description/text` as the region (a `region name` description first),
//! `creationInfo/agencyID` as the source (USGS network codes, CENC, EMSC; any other agency is
//! refused) and `creationInfo/version` as the revision; the origin's `evaluationMode`
//! (`manual` → official, `automatic` → automatic; without one, `evaluationStatus` `reviewed` /
//! `final` → official) gives the status. Depth is metres in QuakeML, km in [`Event`]. The id is
//! the ANSS `catalog:eventid` attribute when present, else the last part of the event's
//! `publicID`.
//!
//! An event of `type` `not existing`, or whose preferred origin's `evaluationStatus` is
//! `rejected`, is a withdrawal.
//!
//! Errors name the element by its path from the root, e.g.
//! `eventParameters/event/origin/latitude/value`. DTDs are refused (no entity expansion) and the
//! document is limited to [`NODES_LIMIT`] nodes.
use roxmltree::{Document, Node, ParsingOptions};

use super::fields::{in_range, parse_decimal, shown, text, utc_time};
use super::{Message, ReportFormat, Withdrawal};
use crate::event::{
    DEPTH_RANGE_KM, EVENT_ID_MAX_CHARS, LAT_RANGE, LON_RANGE, MAGNITUDE_RANGE,
    MAGNITUDE_TYPE_MAX_CHARS, REGION_MAX_CHARS,
};
use crate::{Event, ReportError, ReportStatus, Source};

/// The BED namespace of QuakeML 1.2.
pub const BED_NS: &str = "http://quakeml.org/xmlns/bed/1.2";
/// The ANSS catalog namespace (`catalog:eventid`).
pub const ANSS_CATALOG_NS: &str = "http://anss.org/xmlns/catalog/0.1";
/// At most this many XML nodes are parsed (a report has a few dozen).
pub const NODES_LIMIT: u32 = 100_000;

const EVENT: &str = "eventParameters/event";

fn child<'a, 'i>(n: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    n.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

fn text_at(n: Node<'_, '_>, path: &[&str]) -> Option<String> {
    let mut cur = n;
    for p in path {
        cur = child(cur, p)?;
    }
    cur.text()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

fn missing(path: String) -> ReportError {
    ReportError::Missing { field: path }
}

/// A decimal value at `base/path`, named `base/path` in errors.
fn number(n: Node<'_, '_>, base: &str, path: &[&str]) -> Result<f64, ReportError> {
    let name = format!("{base}/{}", path.join("/"));
    let t = text_at(n, path).ok_or_else(|| missing(name.clone()))?;
    parse_decimal(&t, &name)
}

/// The USGS networks that contribute to ComCat (their QuakeML carries the network code).
const USGS_NETWORKS: [&str; 17] = [
    "us", "usgs", "at", "pt", "ak", "ci", "nc", "uw", "nn", "hv", "nm", "se", "uu", "mb", "ok",
    "tx", "pr",
];

fn source_of(agency: &str, field: &str) -> Result<Source, ReportError> {
    let a = agency.trim().to_ascii_lowercase();
    if USGS_NETWORKS.contains(&a.as_str()) {
        return Ok(Source::Usgs);
    }
    match a.as_str() {
        "cenc" | "cea" | "cn" | "cnsn" => Ok(Source::Cenc),
        "emsc" | "emsc-csem" => Ok(Source::Emsc),
        _ => Err(ReportError::OutOfRange {
            field: field.to_string(),
            value: shown(agency),
            expected: "a USGS network code (us, ci, ak, …), CENC (or CEA) or EMSC".into(),
        }),
    }
}

/// Parse a QuakeML 1.2 document: an event or the withdrawal of one.
pub fn parse(xml: &str) -> Result<Message, ReportError> {
    let opts = ParsingOptions {
        allow_dtd: false,
        nodes_limit: NODES_LIMIT,
        ..ParsingOptions::default()
    };
    let doc = Document::parse_with_options(xml, opts)
        .map_err(|e| ReportError::Syntax(format!("XML: {e}")))?;
    let root = doc.root_element();
    if root.tag_name().name() != "quakeml" {
        return Err(ReportError::UnknownFormat(format!(
            "XML root element is <{}>; expected <q:quakeml> (QuakeML 1.2)",
            root.tag_name().name().chars().take(40).collect::<String>()
        )));
    }
    let params = child(root, "eventParameters").ok_or_else(|| missing("eventParameters".into()))?;
    if params.tag_name().namespace().is_some_and(|ns| ns != BED_NS) {
        return Err(ReportError::UnknownFormat(format!(
            "eventParameters is in namespace {}; expected {BED_NS} (QuakeML 1.2 BED)",
            shown(params.tag_name().namespace().unwrap_or_default())
        )));
    }
    let events: Vec<Node<'_, '_>> = params
        .children()
        .filter(|c| c.is_element() && c.tag_name().name() == "event")
        .collect();
    let event = match events.as_slice() {
        [e] => *e,
        [] => return Err(missing(EVENT.into())),
        many => {
            return Err(ReportError::Invalid {
                field: "eventParameters".into(),
                reason: format!(
                    "holds {} events; send one report (one <event>) per message",
                    many.len()
                ),
            })
        }
    };

    let event_id = event_id(event)?;
    let agency_field = format!("{EVENT}/creationInfo/agencyID");
    let origin = preferred(event, "origin", "preferredOriginID");
    let agency = text_at(event, &["creationInfo", "agencyID"])
        .or_else(|| origin.and_then(|o| text_at(o, &["creationInfo", "agencyID"])))
        .or_else(|| {
            event
                .attributes()
                .find(|a| a.name() == "datasource" || a.name() == "eventsource")
                .map(|a| a.value().to_string())
        })
        .ok_or_else(|| missing(agency_field.clone()))?;
    let source = source_of(&agency, &agency_field)?;

    let withdrawn = |reason: String| {
        Ok(Message::Withdrawal(Withdrawal {
            source,
            event_id: event_id.clone(),
            format: ReportFormat::QuakeMl,
            reason,
        }))
    };
    if let Some(t) = text_at(event, &["type"]) {
        if t == "not existing" {
            return withdrawn("event type \"not existing\"".into());
        }
    }
    let o = format!("{EVENT}/origin");
    let origin = origin.ok_or_else(|| missing(o.clone()))?;
    let eval_status = text_at(origin, &["evaluationStatus"]);
    if eval_status.as_deref() == Some("rejected") {
        return withdrawn("origin evaluationStatus \"rejected\"".into());
    }
    let m = format!("{EVENT}/magnitude");
    let magnitude =
        preferred(event, "magnitude", "preferredMagnitudeID").ok_or_else(|| missing(m.clone()))?;

    let status = match text_at(origin, &["evaluationMode"]).as_deref() {
        Some("manual") => ReportStatus::Official,
        Some("automatic") => ReportStatus::Automatic,
        None => match eval_status.as_deref() {
            Some("reviewed") | Some("final") => ReportStatus::Official,
            _ => ReportStatus::Automatic,
        },
        Some(other) => {
            return Err(ReportError::OutOfRange {
                field: format!("{o}/evaluationMode"),
                value: shown(other),
                expected: "\"manual\" or \"automatic\"".into(),
            })
        }
    };
    let revision = match text_at(event, &["creationInfo", "version"]) {
        None => 0,
        Some(v) => v.parse::<u32>().map_err(|_| ReportError::WrongType {
            field: format!("{EVENT}/creationInfo/version"),
            expected: format!(
                "a whole revision number 0 to {}, got {}",
                u32::MAX,
                shown(&v)
            ),
        })?,
    };
    let time_field = format!("{o}/time/value");
    let time = text_at(origin, &["time", "value"]).ok_or_else(|| missing(time_field.clone()))?;
    let origin_time = utc_time(&time, &time_field, true)?;
    let lat = number(origin, &o, &["latitude", "value"])?;
    let lat = in_range(
        lat,
        &format!("{o}/latitude/value"),
        LAT_RANGE,
        "degrees north",
        &lat.to_string(),
    )?;
    let lon = number(origin, &o, &["longitude", "value"])?;
    let lon = in_range(
        lon,
        &format!("{o}/longitude/value"),
        LON_RANGE,
        "degrees east",
        &lon.to_string(),
    )?;
    let depth_m = number(origin, &o, &["depth", "value"])?;
    let depth_km = depth_m / 1000.0;
    if !(DEPTH_RANGE_KM.0..=DEPTH_RANGE_KM.1).contains(&depth_km) {
        return Err(ReportError::OutOfRange {
            field: format!("{o}/depth/value"),
            value: depth_m.to_string(),
            expected: format!(
                "{} to {} m ({} to {} km)",
                DEPTH_RANGE_KM.0 * 1000.0,
                DEPTH_RANGE_KM.1 * 1000.0,
                DEPTH_RANGE_KM.0,
                DEPTH_RANGE_KM.1
            ),
        });
    }
    let mag = number(magnitude, &m, &["mag", "value"])?;
    let mag = in_range(
        mag,
        &format!("{m}/mag/value"),
        MAGNITUDE_RANGE,
        "",
        &mag.to_string(),
    )?;
    let magnitude_type = match text_at(magnitude, &["type"]) {
        None => "M".to_string(),
        Some(t) => text(&t, &format!("{m}/type"), MAGNITUDE_TYPE_MAX_CHARS)?,
    };
    let region_field = format!("{EVENT}/description/text");
    let region = region_text(event).ok_or_else(|| missing(region_field.clone()))?;
    let region = text(&region, &region_field, REGION_MAX_CHARS)?;
    Ok(Message::Event(Event {
        source,
        event_id,
        status,
        revision,
        origin_time,
        lat,
        lon,
        depth_km,
        magnitude: mag,
        magnitude_type,
        region,
        revised: revision > 0,
    }))
}

/// The origin (magnitude) the event prefers, else its first.
fn preferred<'a, 'i>(event: Node<'a, 'i>, name: &str, pref: &str) -> Option<Node<'a, 'i>> {
    let mut all = event
        .children()
        .filter(|c| c.is_element() && c.tag_name().name() == name);
    let first = all.clone().next();
    match text_at(event, &[pref]) {
        Some(id) => all
            .find(|c| c.attribute("publicID") == Some(id.as_str()))
            .or(first),
        None => first,
    }
}

fn event_id(event: Node<'_, '_>) -> Result<String, ReportError> {
    let catalog = event
        .attribute((ANSS_CATALOG_NS, "eventid"))
        .or_else(|| {
            event
                .attributes()
                .find(|a| a.name() == "eventid")
                .map(|a| a.value())
        })
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if let Some(id) = catalog {
        return text(id, &format!("{EVENT}/@catalog:eventid"), EVENT_ID_MAX_CHARS);
    }
    let field = format!("{EVENT}/@publicID");
    let public_id = event
        .attribute("publicID")
        .ok_or_else(|| missing(field.clone()))?;
    // "…/query?eventid=us7000h4z1&format=quakeml" or "smi:agency/event/ID".
    let last = match public_id.split_once("eventid=") {
        Some((_, rest)) => rest.split('&').next().unwrap_or_default(),
        None => {
            let path = public_id.split('?').next().unwrap_or(public_id);
            path.rsplit('/').next().unwrap_or_default()
        }
    };
    text(last, &field, EVENT_ID_MAX_CHARS)
}

/// The `region name` description (Flinn-Engdahl), else the first description's text.
fn region_text(event: Node<'_, '_>) -> Option<String> {
    let descriptions: Vec<Node<'_, '_>> = event
        .children()
        .filter(|c| c.is_element() && c.tag_name().name() == "description")
        .collect();
    descriptions
        .iter()
        .find(|d| text_at(**d, &["type"]).as_deref() == Some("region name"))
        .or(descriptions.first())
        .and_then(|d| text_at(*d, &["text"]))
}

#[cfg(test)]
mod tests {
    use super::super::parse_message;
    use super::*;

    /// The USGS QuakeML of the 2019-07-06 Ridgecrest M7.1 (as in `samples/`).
    const SAMPLE: &str = include_str!("../../../samples/quakeml-2019-07-06-ridgecrest.xml");

    fn event(xml: &str) -> Result<Event, ReportError> {
        match parse(xml)? {
            Message::Event(e) => Ok(e),
            Message::Withdrawal(w) => panic!("withdrawal {w}"),
        }
    }

    fn field(xml: &str) -> String {
        event(xml)
            .unwrap_err()
            .field()
            .unwrap_or("(none)")
            .to_string()
    }

    #[test]
    fn short_or_non_ascii_times_are_errors_not_panics() {
        let from = "<time><value>2019-07-06T03:19:53.040Z</value></time>";
        assert!(SAMPLE.contains(from));
        for bad in [
            "2022",
            "",
            "20",
            "２０１９-07-06T03:19:53Z",
            "2019-07-06T03:19:53.04０Z",
            "2019-07-06T03:19:5震",
            "震",
            "10000-01-01T00:00:00Z",
            "2101-01-01T00:00:00Z",
        ] {
            let xml = SAMPLE.replace(from, &format!("<time><value>{bad}</value></time>"));
            let e = event(&xml).expect_err(bad);
            assert!(
                e.field().is_some_and(|f| f.ends_with("time/value")),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn usgs_quakeml_parses() {
        let e = event(SAMPLE).expect("parses");
        assert_eq!(e.source, Source::Usgs);
        assert_eq!(e.event_id, "38457511");
        assert_eq!(e.status, ReportStatus::Official);
        assert_eq!(e.revision, 27);
        assert_eq!((e.lat, e.lon), (35.7695, -117.5993));
        assert!((e.depth_km - 8.0).abs() < 1e-9);
        assert_eq!(e.magnitude, 7.1);
        assert_eq!(e.magnitude_type, "mw");
        assert_eq!(e.region, "2019 Ridgecrest Earthquake Sequence");
        assert_eq!(e.origin_time.to_rfc3339(), "2019-07-06T03:19:53.040+00:00");
        let p = parse_message(SAMPLE.as_bytes()).unwrap();
        assert_eq!(p.format, ReportFormat::QuakeMl);
    }

    #[test]
    fn agencies_map_to_sources() {
        for (agency, want) in [
            ("us", Source::Usgs),
            ("ci", Source::Usgs),
            ("CENC", Source::Cenc),
            ("CEA", Source::Cenc),
            ("EMSC", Source::Emsc),
        ] {
            let xml = SAMPLE.replace(
                "<agencyID>ci</agencyID>",
                &format!("<agencyID>{agency}</agencyID>"),
            );
            assert_eq!(event(&xml).unwrap().source, want, "{agency}");
        }
        let xml = SAMPLE.replace("<agencyID>ci</agencyID>", "<agencyID>JMA</agencyID>");
        assert_eq!(field(&xml), "eventParameters/event/creationInfo/agencyID");
    }

    #[test]
    fn ids_from_catalog_attribute_or_public_id() {
        let xml = SAMPLE.replace(" catalog:eventid=\"38457511\"", "");
        // publicID "…?eventid=ci38457511&format=quakeml": the id, not the format.
        assert_eq!(event(&xml).unwrap().event_id, "ci38457511");
    }

    #[test]
    fn automatic_origin_is_an_automatic_report() {
        let auto = SAMPLE
            .replace(
                "<evaluationMode>manual</evaluationMode>",
                "<evaluationMode>automatic</evaluationMode>",
            )
            .replace(
                "<evaluationStatus>reviewed</evaluationStatus>",
                "<evaluationStatus>preliminary</evaluationStatus>",
            );
        assert_eq!(event(&auto).unwrap().status, ReportStatus::Automatic);
        let no_mode = SAMPLE.replace("<evaluationMode>manual</evaluationMode>", "");
        assert_eq!(event(&no_mode).unwrap().status, ReportStatus::Official);
    }

    #[test]
    fn rejected_or_not_existing_withdraws() {
        for xml in [
            SAMPLE.replace(
                "<evaluationStatus>reviewed</evaluationStatus>",
                "<evaluationStatus>rejected</evaluationStatus>",
            ),
            SAMPLE.replace("<type>earthquake</type>", "<type>not existing</type>"),
        ] {
            match parse(&xml).unwrap() {
                Message::Withdrawal(w) => {
                    assert_eq!(w.event_id, "38457511");
                    assert_eq!(w.source, Source::Usgs);
                    assert_eq!(w.format, ReportFormat::QuakeMl);
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn errors_name_the_xml_element() {
        let o = "eventParameters/event/origin";
        for (from, to, want) in [
            (
                "<value>35.7695</value>",
                "<value>91.5</value>",
                format!("{o}/latitude/value"),
            ),
            (
                "<value>35.7695</value>",
                "<value>north</value>",
                format!("{o}/latitude/value"),
            ),
            (
                "<value>-117.5993</value>",
                "",
                format!("{o}/longitude/value"),
            ),
            (
                "<value>8000</value>",
                "<value>-11000</value>",
                format!("{o}/depth/value"),
            ),
            (
                "<value>8000</value>",
                "<value>801000</value>",
                format!("{o}/depth/value"),
            ),
            (
                "<value>2019-07-06T03:19:53.040Z</value>",
                "<value>2101-07-06T03:19:53Z</value>",
                format!("{o}/time/value"),
            ),
            (
                "<value>2019-07-06T03:19:53.040Z</value>",
                "<value>July 6</value>",
                format!("{o}/time/value"),
            ),
            (
                "<mag><value>7.1</value></mag>",
                "<mag></mag>",
                "eventParameters/event/magnitude/mag/value".into(),
            ),
            (
                "<mag><value>7.1</value></mag>",
                "<mag><value>11</value></mag>",
                "eventParameters/event/magnitude/mag/value".into(),
            ),
            (
                "<evaluationMode>manual</evaluationMode>",
                "<evaluationMode>guessed</evaluationMode>",
                format!("{o}/evaluationMode"),
            ),
            (
                "<version>27</version>",
                "<version>2.5</version>",
                "eventParameters/event/creationInfo/version".into(),
            ),
            (
                "<text>2019 Ridgecrest Earthquake Sequence</text>",
                "",
                "eventParameters/event/description/text".into(),
            ),
        ] {
            let xml = SAMPLE.replace(from, to);
            assert_ne!(xml, SAMPLE, "{from}");
            assert_eq!(field(&xml), want, "{from} → {to}");
        }
        // A negative depth (above sea level) in metres validates.
        let xml = SAMPLE.replace("<value>8000</value>", "<value>-3500</value>");
        assert_eq!(event(&xml).unwrap().depth_km, -3.5);
        // A time without a zone is UTC (no byte slicing of short or multi-byte values).
        let xml = SAMPLE.replace("2019-07-06T03:19:53.040Z", "2019-07-06T03:19:53");
        assert_eq!(
            event(&xml).unwrap().origin_time.to_rfc3339(),
            "2019-07-06T03:19:53+00:00"
        );
        let xml = SAMPLE.replace("2019-07-06T03:19:53.040Z", "二〇一九");
        assert_eq!(field(&xml), format!("{o}/time/value"));
    }

    #[test]
    fn structure_errors() {
        assert!(matches!(
            parse("<quakeml><eventParameters>"),
            Err(ReportError::Syntax(_))
        ));
        assert!(matches!(
            parse("<rss/>"),
            Err(ReportError::UnknownFormat(_))
        ));
        assert_eq!(
            parse("<quakeml/>").unwrap_err().field(),
            Some("eventParameters")
        );
        let none = "<q:quakeml xmlns:q=\"http://quakeml.org/xmlns/quakeml/1.2\" \
                    xmlns=\"http://quakeml.org/xmlns/bed/1.2\"><eventParameters/></q:quakeml>";
        assert_eq!(
            parse(none).unwrap_err().field(),
            Some("eventParameters/event")
        );
        let start = SAMPLE.find("<event ").unwrap();
        let end = SAMPLE.find("</event>").unwrap() + "</event>".len();
        let one = &SAMPLE[start..end];
        let two = SAMPLE.replace(one, &format!("{one}{one}"));
        let err = parse(&two).unwrap_err();
        assert_eq!(err.field(), Some("eventParameters"), "{err}");
        let other_ns = SAMPLE.replace(BED_NS, "http://quakeml.org/xmlns/bed/1.1");
        assert!(matches!(
            parse(&other_ns),
            Err(ReportError::UnknownFormat(_))
        ));
        let no_origin = SAMPLE
            .replace("<origin ", "<notorigin ")
            .replace("</origin>", "</notorigin>");
        assert_eq!(
            parse(&no_origin).unwrap_err().field(),
            Some("eventParameters/event/origin")
        );
    }
}
