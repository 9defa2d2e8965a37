//! Recent seismicity around the epicentre, as CENC states it: "震中周边200公里内近5年来发生3级以上
//! 地震共79次，最大地震是本次地震" — from a catalogue the operator supplies (`--catalog FILE`).
//!
//! No registry ships an up-to-date earthquake catalogue, so none is bundled and no number is
//! ever made up: without a catalogue the History scene is left out. Two plain-text formats that
//! the FDSN event services and USGS write are read ([`parse_catalog`] tells them by the header):
//!
//! - **FDSN text** (`format=text`): `#EventID|Time|Latitude|Longitude|Depth/km|Author|Catalog|
//!   Contributor|ContributorID|MagType|Magnitude|MagAuthor|EventLocationName`;
//! - **USGS CSV** (`format=csv`): `time,latitude,longitude,depth,mag,magType,…,place,…` (columns
//!   found by name; quoted fields with commas allowed).
//!
//! The count takes every catalogued event of magnitude ≥ [`MIN_MAGNITUDE`] within
//! [`RADIUS_KM`] whose origin lies in the [`YEARS`] years up to the event (the event itself
//! included when the catalogue lists it, as CENC's counts do).
use chrono::{DateTime, Datelike, Months, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::CatalogError;
use crate::geo::distance_km;
use crate::Event;

pub const RADIUS_KM: f64 = 200.0;
pub const YEARS: u32 = 5;
pub const MIN_MAGNITUDE: f64 = 3.0;
/// A catalogue entry this close in time (s) and space (km) to the event is the event itself.
const SAME_EVENT_SECS: i64 = 120;
const SAME_EVENT_KM: f64 = 50.0;

/// One catalogued earthquake.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CatalogEvent {
    pub time: DateTime<Utc>,
    pub lat: f64,
    pub lon: f64,
    pub depth_km: Option<f64>,
    pub magnitude: f64,
    /// The catalogue's place name ("" when it has none).
    pub place: String,
}

/// A parsed catalogue, in file order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Catalog {
    pub events: Vec<CatalogEvent>,
    /// What it is, when known (the bundled catalogue's `meta.json`); `None` for an operator's
    /// `--catalog` file, which is taken as complete from [`MIN_MAGNITUDE`].
    #[serde(default)]
    pub info: Option<CatalogInfo>,
}

/// What a catalogue is: its name for the screen, the magnitude it is complete from (the
/// bulletin counts from the higher of that and [`MIN_MAGNITUDE`], and says so), and its last
/// event (a window reaching past it is said to end there).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CatalogInfo {
    /// "ISC Bulletin".
    pub source: String,
    /// The lowest magnitude it holds (3.5 for the bundled ISC extract).
    pub min_magnitude: f64,
    /// Its last event's origin time.
    pub last: Option<DateTime<Utc>>,
}

/// Bytes per record of a packed catalogue ([`PackedCatalog`]).
pub const PACKED_RECORD_BYTES: usize = 24;
const PACKED_HEADER_BYTES: usize = 16;

/// A catalogue as `scripts/catalog.py` packs it for fast start-up (`data/catalog/isc.qcat`):
/// a 16-byte header (`QCAT`, u32 version 1, u32 record count, u32 minimum magnitude × 10), then
/// records sorted by time, 24 bytes each, little-endian: i64 Unix seconds, f32 latitude, f32
/// longitude, f32 depth km (NaN when unknown), f32 magnitude. 1.6 million events take 39 MB
/// and [`PackedCatalog::around`] answers a bulletin's query in milliseconds.
#[derive(Clone, PartialEq)]
pub struct PackedCatalog {
    times: Vec<i64>,
    /// `[lat, lon, depth, mag]` per event.
    rows: Vec<[f32; 4]>,
    pub info: CatalogInfo,
}

impl std::fmt::Debug for PackedCatalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PackedCatalog")
            .field("events", &self.times.len())
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl PackedCatalog {
    /// Decode a packed catalogue; `source` names it on screen. Errors say what is wrong (line 0:
    /// the header, else the record number).
    pub fn from_bytes(bytes: &[u8], source: &str) -> Result<PackedCatalog, CatalogError> {
        let bad = |line: usize, reason: String| CatalogError { line, reason };
        if bytes.len() < PACKED_HEADER_BYTES || &bytes[..4] != b"QCAT" {
            return Err(bad(0, "not a packed catalogue (no `QCAT` header)".into()));
        }
        let u32_at =
            |i: usize| u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
        let (version, count, min10) = (u32_at(4), u32_at(8) as usize, u32_at(12));
        if version != 1 {
            return Err(bad(
                0,
                format!("packed catalogue version {version}, expected 1"),
            ));
        }
        let body = &bytes[PACKED_HEADER_BYTES..];
        if body.len() != count.saturating_mul(PACKED_RECORD_BYTES) {
            return Err(bad(
                0,
                format!(
                    "header says {count} records ({} bytes) but {} bytes follow",
                    count.saturating_mul(PACKED_RECORD_BYTES),
                    body.len()
                ),
            ));
        }
        let mut times = Vec::with_capacity(count);
        let mut rows = Vec::with_capacity(count);
        let f = |b: &[u8], i: usize| f32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        for (k, r) in body.chunks_exact(PACKED_RECORD_BYTES).enumerate() {
            let t = i64::from_le_bytes(r[..8].try_into().unwrap_or_default());
            let row = [f(r, 8), f(r, 12), f(r, 16), f(r, 20)];
            if times.last().is_some_and(|&p| t < p) {
                return Err(bad(k + 1, "records are not sorted by time".into()));
            }
            if !(row[0].abs() <= 90.0 && row[1].abs() <= 180.0 && row[3].is_finite()) {
                return Err(bad(k + 1, format!("impossible record {row:?}")));
            }
            times.push(t);
            rows.push(row);
        }
        let last = times.last().and_then(|&t| DateTime::from_timestamp(t, 0));
        Ok(PackedCatalog {
            times,
            rows,
            info: CatalogInfo {
                source: source.to_string(),
                min_magnitude: f64::from(min10) / 10.0,
                last,
            },
        })
    }

    /// Events held.
    pub fn len(&self) -> usize {
        self.times.len()
    }

    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    /// The events within `radius_km` of `(lon, lat)` with origin times in `[from, to]`, as a
    /// [`Catalog`] carrying this one's [`CatalogInfo`].
    pub fn around(
        &self,
        lon: f64,
        lat: f64,
        radius_km: f64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Catalog {
        let lo = self.times.partition_point(|&t| t < from.timestamp());
        let hi = self.times.partition_point(|&t| t <= to.timestamp());
        let dlat = (radius_km / 111.195) as f32 + 0.01;
        let mut events = Vec::new();
        for k in lo..hi.max(lo) {
            let [la, lo_, depth, mag] = self.rows[k];
            if (la - lat as f32).abs() > dlat {
                continue;
            }
            let (la, lo_) = (f64::from(la), f64::from(lo_));
            if distance_km((lon, lat), (lo_, la)) > radius_km {
                continue;
            }
            let Some(time) = DateTime::from_timestamp(self.times[k], 0) else {
                continue;
            };
            events.push(CatalogEvent {
                time,
                lat: la,
                lon: lo_,
                depth_km: depth.is_finite().then_some(f64::from(depth)),
                magnitude: f64::from(mag),
                place: String::new(),
            });
        }
        Catalog {
            events,
            info: Some(self.info.clone()),
        }
    }

    /// The catalogue a bulletin of `event` needs: [`RADIUS_KM`] and [`YEARS`] up to the event
    /// (and the [`SAME_EVENT_SECS`] after it, for the event itself).
    pub fn for_event(&self, event: &Event) -> Catalog {
        let (start, end) = window(event);
        self.around(event.lon, event.lat, RADIUS_KM, start, end)
    }
}

/// The history window of `event`: [`YEARS`] years before it to [`SAME_EVENT_SECS`] after.
pub fn window(event: &Event) -> (DateTime<Utc>, DateTime<Utc>) {
    let end = event
        .origin_time
        .checked_add_signed(chrono::Duration::seconds(SAME_EVENT_SECS))
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    let start = event
        .origin_time
        .checked_sub_months(Months::new(12 * YEARS))
        .unwrap_or(event.origin_time);
    (start, end)
}

/// An earlier quake to draw on the maps.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuakeDot {
    pub lon: f64,
    pub lat: f64,
    pub magnitude: f64,
}

/// Dots kept per bulletin at most (the largest).
pub const MAX_DOTS: usize = 300;

/// The largest earthquake of the window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Largest {
    pub event: CatalogEvent,
    /// From this event's epicentre, km.
    pub distance_km: f64,
    /// It is this very event.
    pub is_this_event: bool,
}

/// The history facts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct History {
    pub count: u32,
    pub largest: Option<Largest>,
    pub radius_km: f64,
    pub years: u32,
    pub min_magnitude: f64,
    /// The catalogue's name ("ISC Bulletin"); `None`: the operator's file.
    #[serde(default)]
    pub source: Option<String>,
    /// The catalogue ends before the window does (its last event's time): the count covers
    /// the window only up to it.
    #[serde(default)]
    pub ends: Option<DateTime<Utc>>,
    /// The counted quakes, largest first (at most [`MAX_DOTS`]), for the maps.
    #[serde(default)]
    pub dots: Vec<QuakeDot>,
}

impl History {
    /// "震中周边200公里内近5年来发生3级以上地震共79次，最大地震是本次地震。" (digits).
    pub fn sentence_zh(&self) -> String {
        self.sentence_with(|x| x.to_string(), |m| format!("{m:.1}"), false)
    }

    /// The spoken form (numbers read in Mandarin).
    pub fn sentence_zh_spoken(&self) -> String {
        self.sentence_with(
            |x| crate::zh::zh_integer(i64::from(x)),
            |m| crate::zh::zh_read_number(&format!("{m:.1}")),
            true,
        )
    }

    fn sentence_with(
        &self,
        int: impl Fn(u32) -> String,
        mag: impl Fn(f64) -> String,
        spoken: bool,
    ) -> String {
        let min = if self.min_magnitude.fract() == 0.0 {
            int(self.min_magnitude as u32)
        } else {
            mag(self.min_magnitude)
        };
        let mut s = format!(
            "震中周边{}公里内近{}年来发生{}级以上地震共{}次",
            int(self.radius_km as u32),
            int(self.years),
            min,
            if spoken && self.count == 2 {
                "两".to_string()
            } else {
                int(self.count)
            }
        );
        match &self.largest {
            Some(l) if l.is_this_event => s.push_str("，最大地震是本次地震"),
            Some(l) => {
                let t = crate::time::beijing_time_of(l.event.time);
                let date = if spoken {
                    format!(
                        "{}年{}月{}日",
                        crate::zh::zh_digits(&t.year().to_string()),
                        int(t.month()),
                        int(t.day())
                    )
                } else {
                    format!("{}年{}月{}日", t.year(), t.month(), t.day())
                };
                let place = if l.event.place.is_empty() {
                    String::new()
                } else {
                    format!("在{}", l.event.place)
                };
                s.push_str(&format!(
                    "，最大地震是{date}{place}发生的{}级地震（距离本次震中{}公里）",
                    mag(l.event.magnitude),
                    int(l.distance_km.round() as u32)
                ));
            }
            None => {}
        }
        if let Some(end) = self.ends {
            let t = crate::time::beijing_time_of(end);
            if spoken {
                s.push_str(&format!(
                    "（目录截至{}年{}月）",
                    crate::zh::zh_digits(&t.year().to_string()),
                    int(t.month())
                ));
            } else {
                s.push_str(&format!("（目录截至{}年{}月）", t.year(), t.month()));
            }
        }
        s.push('。');
        s
    }

    /// The source line under the numbers: "据ISC Bulletin地震目录（收录3.5级以上）统计".
    pub fn source_zh(&self) -> String {
        match &self.source {
            Some(src) => format!(
                "据{src}地震目录统计（目录收录{:.1}级以上；CENC按3级以上统计）",
                self.min_magnitude
            ),
            None => "据运营方提供的地震目录统计".to_string(),
        }
    }

    pub fn source_en(&self) -> String {
        match &self.source {
            Some(src) => format!(
                "Counted in the {src} (it holds M{:.1} and above)",
                self.min_magnitude
            ),
            None => "Counted in the operator's earthquake catalogue".to_string(),
        }
    }

    /// "Since 2017: 79 earthquakes of M3+ within 200 km; the largest is this one."
    pub fn sentence_en(&self) -> String {
        let mut s = format!(
            "{} earthquakes of M{}+ within {} km in the past {} years",
            self.count, self.min_magnitude, self.radius_km, self.years
        );
        if let Some(end) = self.ends {
            s.push_str(&format!(" (catalogue to {})", end.format("%Y-%m")));
        }
        match &self.largest {
            Some(l) if l.is_this_event => s.push_str("; the largest is this one."),
            Some(l) => s.push_str(&format!(
                "; the largest was M{:.1} on {}, {:.0} km away.",
                l.event.magnitude,
                l.event.time.format("%Y-%m-%d"),
                l.distance_km
            )),
            None => s.push('.'),
        }
        s
    }
}

/// The history around `event` from `catalog`.
pub fn history(event: &Event, catalog: &Catalog) -> History {
    // Checked: `history` takes any event (a far-future time must not panic; intake refuses
    // such times, but this is a library function).
    let (start, end) = window(event);
    let min_magnitude = catalog
        .info
        .as_ref()
        .map_or(MIN_MAGNITUDE, |i| i.min_magnitude.max(MIN_MAGNITUDE));
    let mut dots: Vec<QuakeDot> = Vec::new();
    let mut count = 0;
    let mut largest: Option<Largest> = None;
    for c in &catalog.events {
        if c.magnitude < min_magnitude || c.time < start || c.time > end {
            continue;
        }
        let d = distance_km((event.lon, event.lat), (c.lon, c.lat));
        if d > RADIUS_KM {
            continue;
        }
        count += 1;
        dots.push(QuakeDot {
            lon: c.lon,
            lat: c.lat,
            magnitude: c.magnitude,
        });
        let same = (c.time - event.origin_time).num_seconds().abs() <= SAME_EVENT_SECS
            && d <= SAME_EVENT_KM;
        if largest
            .as_ref()
            .is_none_or(|l| c.magnitude > l.event.magnitude)
        {
            largest = Some(Largest {
                event: c.clone(),
                distance_km: d,
                is_this_event: same,
            });
        }
    }
    // This event outdoes every catalogued one (or the catalogue ends before it).
    if let Some(l) = &mut largest {
        if !l.is_this_event && event.magnitude >= l.event.magnitude {
            l.is_this_event = true;
        }
    }
    // Largest first; ties by position, so the list is deterministic.
    dots.sort_by(|a, b| {
        b.magnitude
            .total_cmp(&a.magnitude)
            .then(a.lon.total_cmp(&b.lon))
            .then(a.lat.total_cmp(&b.lat))
    });
    dots.truncate(MAX_DOTS);
    let info = catalog.info.as_ref();
    History {
        count,
        largest,
        radius_km: RADIUS_KM,
        years: YEARS,
        min_magnitude,
        source: info.map(|i| i.source.clone()),
        ends: info.and_then(|i| i.last).filter(|&l| l < event.origin_time),
        dots,
    }
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some(t.and_utc());
        }
    }
    None
}

/// Parse an FDSN text or USGS CSV catalogue (see the module docs). Errors name the line and
/// the column.
pub fn parse_catalog(text: &str) -> Result<Catalog, CatalogError> {
    let Some(header) = text.lines().find(|l| !l.trim().is_empty()) else {
        return Ok(Catalog::default());
    };
    // FDSN text: a `#`-commented, `|`-separated header, then `|`-separated rows. USGS CSV: an
    // RFC 4180 header row, then rows (quoted fields may hold commas: "10 km SSE of X, Japan").
    let fdsn = header.starts_with('#') && header.contains('|');
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(if fdsn { b'|' } else { b',' })
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let row_error = |e: csv::Error| CatalogError {
        line: e.position().map_or(0, |p| p.line() as usize),
        reason: format!("not a CSV row: {e}"),
    };
    let cols: Vec<String> = if fdsn {
        header
            .trim_start_matches('#')
            .split('|')
            .map(|s| s.trim().to_ascii_lowercase())
            .collect()
    } else {
        match records.next() {
            Some(r) => r
                .map_err(row_error)?
                .iter()
                .map(|s| s.trim().to_ascii_lowercase())
                .collect(),
            None => return Ok(Catalog::default()),
        }
    };
    let col = |names: &[&str]| cols.iter().position(|c| names.contains(&c.as_str()));
    let need = |names: &[&str]| {
        col(names).ok_or_else(|| CatalogError {
            line: 1,
            reason: format!(
                "no `{}` column: expected an FDSN text (`#EventID|Time|Latitude|…`) or USGS CSV \
                 (`time,latitude,longitude,depth,mag,…`) header",
                names[0]
            ),
        })
    };
    let (ti, la, lo, ma) = (
        need(&["time"])?,
        need(&["latitude"])?,
        need(&["longitude"])?,
        need(&["magnitude", "mag"])?,
    );
    let de = col(&["depth/km", "depth"]);
    let pl = col(&["eventlocationname", "place"]);
    let mut events = Vec::new();
    for record in records {
        let f = record.map_err(row_error)?;
        let n = f.position().map_or(0, |p| p.line() as usize);
        if f.iter().all(|s| s.trim().is_empty()) {
            continue;
        }
        let get = |k: usize, what: &str| {
            f.get(k).map(|s| s.trim()).ok_or_else(|| CatalogError {
                line: n,
                reason: format!("missing `{what}`"),
            })
        };
        let num = |k: usize, what: &str| -> Result<f64, CatalogError> {
            let s = get(k, what)?;
            s.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| CatalogError {
                    line: n,
                    reason: format!("`{what}` is `{s}`, not a number"),
                })
        };
        let ts = get(ti, "time")?;
        let time = parse_time(ts).ok_or_else(|| CatalogError {
            line: n,
            reason: format!("`time` is `{ts}`, not an ISO 8601 time"),
        })?;
        let lat = num(la, "latitude")?;
        let lon = num(lo, "longitude")?;
        if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
            return Err(CatalogError {
                line: n,
                reason: format!("({lat}, {lon}) is not a coordinate"),
            });
        }
        // A catalogued event without a magnitude cannot be counted: skipped.
        let Ok(magnitude) = num(ma, "magnitude") else {
            continue;
        };
        events.push(CatalogEvent {
            time,
            lat,
            lon,
            depth_km: de.and_then(|k| f.get(k)?.trim().parse().ok()),
            magnitude,
            place: pl
                .and_then(|k| f.get(k))
                .map(|s| s.trim().to_string())
                .unwrap_or_default(),
        });
    }
    Ok(Catalog { events, info: None })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn luding() -> Event {
        Event {
            source: crate::Source::Cenc,
            event_id: "x".into(),
            status: crate::ReportStatus::Official,
            revision: 0,
            origin_time: Utc.with_ymd_and_hms(2022, 9, 5, 4, 52, 18).unwrap(),
            lat: 29.59,
            lon: 102.08,
            depth_km: 16.0,
            magnitude: 6.8,
            magnitude_type: "M".into(),
            region: "四川甘孜州泸定县".into(),
            revised: false,
        }
    }

    #[test]
    fn extreme_origin_times_do_not_panic() {
        let c = parse_catalog(FDSN).unwrap();
        for t in [DateTime::<Utc>::MAX_UTC, DateTime::<Utc>::MIN_UTC] {
            let mut e = luding();
            e.origin_time = t;
            let h = history(&e, &c);
            let _ = (h.sentence_zh(), h.sentence_en());
        }
        // A catalogue line far in the future or the past parses or is refused, never panics.
        for time in [
            "+262142-12-31T23:59:59Z",
            "-262143-01-01T00:00:00Z",
            "9999-12-31T23:59:59",
        ] {
            let text = format!("time,latitude,longitude,mag\n{time},29.6,102.1,5.0\n");
            if let Ok(c) = parse_catalog(&text) {
                let _ = history(&luding(), &c);
            }
        }
    }

    const FDSN: &str = "#EventID|Time|Latitude|Longitude|Depth/km|Author|Catalog|Contributor|ContributorID|MagType|Magnitude|MagAuthor|EventLocationName
a|2022-09-05T04:52:19.000|29.61|102.09|12.0|us|us|us|a|mww|6.6|us|Luding
b|2021-01-01T00:00:00|29.90|102.20|10|us|us|us|b|mb|4.1|us|Kangding
c|2016-01-01T00:00:00|29.90|102.20|10|us|us|us|c|mb|5.5|us|too old
d|2022-01-01T00:00:00|35.00|110.00|10|us|us|us|d|mb|5.5|us|too far
e|2022-02-01T00:00:00|29.00|102.00|10|us|us|us|e|mb|2.9|us|too small
";

    #[test]
    fn fdsn_text_and_counts() {
        let c = parse_catalog(FDSN).unwrap();
        assert_eq!(c.events.len(), 5);
        let h = history(&luding(), &c);
        assert_eq!(h.count, 2);
        assert!(h.largest.as_ref().unwrap().is_this_event);
        assert_eq!(
            h.sentence_zh(),
            "震中周边200公里内近5年来发生3级以上地震共2次，最大地震是本次地震。"
        );
        assert_eq!(
            h.sentence_zh_spoken(),
            "震中周边二百公里内近五年来发生三级以上地震共两次，最大地震是本次地震。"
        );
    }

    #[test]
    fn usgs_csv_and_an_earlier_larger_quake() {
        let csv = "time,latitude,longitude,depth,mag,magType,nst,gap,dmin,rms,net,id,updated,place,type
2019-06-17T14:55:43.000Z,28.34,104.90,10,5.8,mww,,,,,us,x,2019-06-18T00:00:00Z,\"Changning, Sichuan, China\",earthquake
2021-01-01T00:00:00.000Z,29.00,102.50,10,4.0,mb,,,,,us,y,2021-01-01T00:00:00Z,\"Shimian, China\",earthquake
";
        let c = parse_catalog(csv).unwrap();
        assert_eq!(c.events[0].place, "Changning, Sichuan, China");
        let mut e = luding();
        e.lat = 28.5;
        e.lon = 104.0;
        e.magnitude = 4.2;
        let h = history(&e, &c);
        assert_eq!(h.count, 2);
        let l = h.largest.as_ref().unwrap();
        assert!(!l.is_this_event);
        let s = h.sentence_zh();
        assert!(
            s.contains(
                "最大地震是2019年6月17日在Changning, Sichuan, China发生的5.8级地震（距离本次震中"
            ),
            "{s}"
        );
        assert!(h.sentence_en().contains("M5.8 on 2019-06-17"));
    }

    #[test]
    fn errors_name_line_and_column() {
        let e =
            parse_catalog("time,latitude,longitude,mag\n2020-01-01T00:00:00Z,x,1,3\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.reason.contains("latitude"), "{e}");
        let e = parse_catalog("foo,bar\n").unwrap_err();
        assert!(e.to_string().contains("header"), "{e}");
        assert!(parse_catalog("").unwrap().events.is_empty());
    }
}
