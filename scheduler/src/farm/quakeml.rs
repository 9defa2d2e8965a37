//! QuakeML 1.2 (BED) → [`Event`], for agencies that publish XML instead of JSON.
//!
//! The first `event` of `eventParameters` is read: its preferred origin and magnitude (or the
//! first ones), `description/text` as the region, `creationInfo/agencyID` as the source and
//! `creationInfo/version` as the revision; the origin's `evaluationMode` (`manual` → official,
//! `automatic` → automatic) gives the status. Depth is metres in QuakeML, km in [`Event`]. The
//! values then go through the same validation as a CENC report (`quakecast_scenes::parse_report`),
//! and errors name the XML element (`origin/latitude/value`) instead of a JSON field.
use quakecast_scenes::{parse_report, Event, ReportError};
use roxmltree::{Document, Node};
use serde_json::json;

const BED_NS: &str = "http://quakeml.org/xmlns/bed/1.2";

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

fn missing(path: &str) -> ReportError {
    ReportError::Missing {
        field: path.to_string(),
    }
}

fn number(n: Node<'_, '_>, path: &[&str], name: &str) -> Result<f64, ReportError> {
    let t = text_at(n, path).ok_or_else(|| missing(name))?;
    t.parse().map_err(|_| ReportError::WrongType {
        field: name.to_string(),
        expected: format!("a decimal number, got {t:?}"),
    })
}

/// Parse a QuakeML 1.2 document.
pub fn parse_quakeml(xml: &str) -> Result<Event, ReportError> {
    let doc = Document::parse(xml).map_err(|e| ReportError::Syntax(format!("XML: {e}")))?;
    let root = doc.root_element();
    if root.tag_name().name() != "quakeml" {
        return Err(ReportError::UnknownFormat(format!(
            "XML root element is <{}>; expected <q:quakeml> (QuakeML 1.2)",
            root.tag_name().name()
        )));
    }
    let params = child(root, "eventParameters").ok_or_else(|| missing("eventParameters"))?;
    if params.tag_name().namespace().is_some_and(|ns| ns != BED_NS) {
        return Err(ReportError::UnknownFormat(format!(
            "eventParameters is in namespace {:?}; expected {BED_NS} (QuakeML 1.2 BED)",
            params.tag_name().namespace().unwrap_or_default()
        )));
    }
    let event = child(params, "event").ok_or_else(|| missing("eventParameters/event"))?;

    let by_id = |name: &str, preferred: &str| -> Option<Node<'_, '_>> {
        let want = text_at(event, &[preferred]);
        let mut all = event
            .children()
            .filter(move |c| c.is_element() && c.tag_name().name() == name);
        match want {
            Some(id) => event
                .children()
                .find(|c| {
                    c.is_element()
                        && c.tag_name().name() == name
                        && c.attribute("publicID") == Some(id.as_str())
                })
                .or_else(|| all.next()),
            None => all.next(),
        }
    };
    let origin = by_id("origin", "preferredOriginID").ok_or_else(|| missing("event/origin"))?;
    let magnitude =
        by_id("magnitude", "preferredMagnitudeID").ok_or_else(|| missing("event/magnitude"))?;

    // The event id: the catalog's id attribute when present, else the publicID's last part.
    let public_id = event.attribute("publicID").unwrap_or_default();
    let event_id = event
        .attributes()
        .find(|a| a.name() == "eventid")
        .map(|a| a.value().to_string())
        .or_else(|| {
            public_id
                .rsplit(['/', '=', '?'])
                .next()
                .map(str::to_string)
                .filter(|s| !s.is_empty())
        })
        .ok_or_else(|| missing("event/@publicID"))?;
    let agency = text_at(event, &["creationInfo", "agencyID"])
        .or_else(|| text_at(origin, &["creationInfo", "agencyID"]))
        .or_else(|| {
            event
                .attributes()
                .find(|a| a.name() == "datasource" || a.name() == "eventsource")
                .map(|a| a.value().to_string())
        })
        .ok_or_else(|| missing("event/creationInfo/agencyID"))?;
    let source = match agency.to_ascii_lowercase().as_str() {
        "us" | "usgs" | "at" | "pt" | "ak" | "ci" | "nc" | "uw" | "nn" | "hv" | "nm" | "se"
        | "uu" | "mb" | "ok" | "tx" | "pr" => "USGS",
        "cenc" | "cea" | "cn" | "cnsn" => "CENC",
        "emsc" | "emsc-csem" => "EMSC",
        other => {
            return Err(ReportError::OutOfRange {
                field: "event/creationInfo/agencyID".into(),
                value: format!("{other:?}"),
                expected: "a USGS network code (us, ci, ...), CENC or EMSC".into(),
            })
        }
    };
    let status = match text_at(origin, &["evaluationMode"]).as_deref() {
        Some("manual") => "official",
        Some("automatic") | None => match text_at(origin, &["evaluationStatus"]).as_deref() {
            Some("reviewed") | Some("final") => "official",
            _ => "automatic",
        },
        Some(other) => {
            return Err(ReportError::OutOfRange {
                field: "origin/evaluationMode".into(),
                value: format!("{other:?}"),
                expected: "\"manual\" or \"automatic\"".into(),
            })
        }
    };
    let revision: u64 = match text_at(event, &["creationInfo", "version"])
        .or_else(|| text_at(origin, &["creationInfo", "version"]))
    {
        None => 0,
        Some(v) => v.parse().map_err(|_| ReportError::WrongType {
            field: "event/creationInfo/version".into(),
            expected: format!("a whole revision number, got {v:?}"),
        })?,
    };
    let time = text_at(origin, &["time", "value"]).ok_or_else(|| missing("origin/time/value"))?;
    let lat = number(origin, &["latitude", "value"], "origin/latitude/value")?;
    let lon = number(origin, &["longitude", "value"], "origin/longitude/value")?;
    let depth_m = number(origin, &["depth", "value"], "origin/depth/value")?;
    let mag = number(magnitude, &["mag", "value"], "magnitude/mag/value")?;
    let mag_type = text_at(magnitude, &["type"]).unwrap_or_else(|| "M".into());
    let region = text_at(event, &["description", "text"])
        .ok_or_else(|| missing("event/description/text"))?;
    // QuakeML times are UTC; a value without a zone gets one.
    let time = if time.ends_with('Z') || time.contains('+') || time[10..].contains('-') {
        time
    } else {
        format!("{time}Z")
    };

    let cenc = json!({
        "format": quakecast_scenes::event::CENC_FORMAT,
        "source": source,
        "event_id": event_id,
        "status": status,
        "revision": revision,
        "origin_time": time,
        "latitude": lat,
        "longitude": lon,
        "depth_km": depth_m / 1000.0,
        "magnitude": mag,
        "magnitude_type": mag_type,
        "region": region,
    });
    parse_report(cenc.to_string().as_bytes()).map_err(rename_fields)
}

/// Name QuakeML elements in errors instead of the CENC fields they were mapped to.
fn rename_fields(e: ReportError) -> ReportError {
    let map = |f: &str| -> String {
        match f {
            "/latitude" => "origin/latitude/value",
            "/longitude" => "origin/longitude/value",
            "/depth_km" => "origin/depth/value (metres)",
            "/magnitude" => "magnitude/mag/value",
            "/magnitude_type" => "magnitude/type",
            "/origin_time" => "origin/time/value",
            "/region" => "event/description/text",
            "/event_id" => "event/@publicID",
            "/revision" => "event/creationInfo/version",
            other => other,
        }
        .to_string()
    };
    match e {
        ReportError::Missing { field } => ReportError::Missing { field: map(&field) },
        ReportError::WrongType { field, expected } => ReportError::WrongType {
            field: map(&field),
            expected,
        },
        ReportError::OutOfRange {
            field,
            value,
            expected,
        } => ReportError::OutOfRange {
            field: map(&field),
            value,
            expected,
        },
        ReportError::Invalid { field, reason } => ReportError::Invalid {
            field: map(&field),
            reason,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quakecast_scenes::{ReportStatus, Source};

    pub(crate) const SAMPLE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<q:quakeml xmlns="http://quakeml.org/xmlns/bed/1.2" xmlns:q="http://quakeml.org/xmlns/quakeml/1.2"
           xmlns:catalog="http://anss.org/xmlns/catalog/0.1">
  <eventParameters publicID="quakeml:earthquake.usgs.gov/fdsnws/event/1/query">
    <event catalog:datasource="us" catalog:eventsource="us" catalog:eventid="7000h4z1"
           publicID="quakeml:earthquake.usgs.gov/fdsnws/event/1/query?eventid=us7000h4z1">
      <description><type>earthquake name</type><text>38 km SSW of Ya'an, China</text></description>
      <origin publicID="quakeml:us/origin/1">
        <time><value>2022-05-20T00:36:01.520Z</value></time>
        <longitude><value>102.5095</value></longitude>
        <latitude><value>29.6867</value></latitude>
        <depth><value>10000</value></depth>
        <evaluationMode>manual</evaluationMode>
        <evaluationStatus>reviewed</evaluationStatus>
      </origin>
      <magnitude publicID="quakeml:us/magnitude/1">
        <mag><value>4.9</value></mag>
        <type>mb</type>
      </magnitude>
      <preferredOriginID>quakeml:us/origin/1</preferredOriginID>
      <preferredMagnitudeID>quakeml:us/magnitude/1</preferredMagnitudeID>
      <type>earthquake</type>
      <creationInfo><agencyID>us</agencyID><version>2</version></creationInfo>
    </event>
  </eventParameters>
</q:quakeml>"#;

    #[test]
    fn usgs_quakeml_parses() {
        let e = parse_quakeml(SAMPLE).expect("parses");
        assert_eq!(e.source, Source::Usgs);
        assert_eq!(e.event_id, "7000h4z1");
        assert_eq!(e.status, ReportStatus::Official);
        assert_eq!(e.revision, 2);
        assert!((e.lat - 29.6867).abs() < 1e-9 && (e.lon - 102.5095).abs() < 1e-9);
        assert!((e.depth_km - 10.0).abs() < 1e-9);
        assert!((e.magnitude - 4.9).abs() < 1e-9);
        assert_eq!(e.magnitude_type, "mb");
        assert_eq!(e.region, "38 km SSW of Ya'an, China");
        assert_eq!(e.origin_time.to_rfc3339(), "2022-05-20T00:36:01.520+00:00");
    }

    #[test]
    fn errors_name_the_xml_element() {
        let bad = SAMPLE.replace("<value>29.6867</value>", "<value>91.5</value>");
        let err = parse_quakeml(&bad).expect_err("latitude out of range");
        assert_eq!(err.field(), Some("origin/latitude/value"), "{err}");
        let bad = SAMPLE.replace("<mag><value>4.9</value></mag>", "<mag></mag>");
        let err = parse_quakeml(&bad).expect_err("no magnitude value");
        assert_eq!(err.field(), Some("magnitude/mag/value"), "{err}");
        let err = parse_quakeml("<quakeml><eventParameters>").expect_err("syntax");
        assert!(matches!(err, ReportError::Syntax(_)), "{err}");
        let err = parse_quakeml("<rss/>").expect_err("not quakeml");
        assert!(matches!(err, ReportError::UnknownFormat(_)), "{err}");
        let bad = SAMPLE.replace("<agencyID>us</agencyID>", "<agencyID>xx</agencyID>");
        let err = parse_quakeml(&bad).expect_err("agency");
        assert_eq!(err.field(), Some("event/creationInfo/agencyID"), "{err}");
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
        assert_eq!(
            parse_quakeml(&auto).expect("parses").status,
            ReportStatus::Automatic
        );
    }
}
