//! The audience map of the review console, drawn on the server as SVG from our own basemap
//! (no tiles, no internet): country and province outlines, county borders with names near the
//! epicentre, the H3 cells of each audience tier, the predicted-intensity isoseismals and the
//! epicentre, with a legend of cells and users (or gazetteer population) per tier.
//!
//! Pure: data in, SVG text out. Local azimuthal-equidistant-like plane (equirectangular about the
//! epicentre, longitudes unwrapped), which is exact enough for the few hundred kilometres a
//! bulletin's audience spans.
use std::fmt::Write as _;

use h3o::CellIndex;
use quakecast_facts::intensity::{roman, IntensityModel};
use quakecast_facts::regions::{Region, Regions};
use quakecast_facts::Event;

/// Side of the (square) map in SVG units.
pub const SIZE: f64 = 640.0;
const KM_PER_DEG: f64 = 111.195;

/// One audience tier as the map draws it.
#[derive(Clone, Debug, PartialEq)]
pub struct MapTier {
    pub name: String,
    pub min_intensity: f64,
    /// H3 cells (compacted, any resolution) as hex strings.
    pub cells: Vec<String>,
    /// Cells at the audience resolution.
    pub cells_at_resolution: u64,
    /// Selected platform users, with a user index.
    pub users: Option<u64>,
    /// Gazetteer-based population, without one.
    pub population: Option<u64>,
}

fn wrap(d: f64) -> f64 {
    let d = (d + 180.0).rem_euclid(360.0) - 180.0;
    if d == -180.0 {
        180.0
    } else {
        d
    }
}

struct Plane {
    lon0: f64,
    lat0: f64,
    k: f64,
    /// SVG units per km.
    s: f64,
    /// Half the side, km.
    half_km: f64,
}

impl Plane {
    fn xy(&self, lon: f64, lat: f64) -> (f64, f64) {
        let x = wrap(lon - self.lon0) * self.k * KM_PER_DEG;
        let y = (lat - self.lat0) * KM_PER_DEG;
        (SIZE / 2.0 + x * self.s, SIZE / 2.0 - y * self.s)
    }

    /// Whether a (lon, lat) box may show on the map (with a margin).
    fn touches(&self, bbox: (f64, f64, f64, f64)) -> bool {
        let dlat = self.half_km * 1.2 / KM_PER_DEG;
        let dlon = dlat / self.k;
        if bbox.1 > self.lat0 + dlat || bbox.3 < self.lat0 - dlat {
            return false;
        }
        if bbox.2 - bbox.0 >= 180.0 {
            return true;
        }
        let (a, b) = (wrap(bbox.0 - self.lon0), wrap(bbox.2 - self.lon0));
        // A box straddling the epicentre's longitude, or one edge within reach.
        (a <= dlon && b >= -dlon && a <= b) || a.abs() <= dlon || b.abs() <= dlon
    }

    /// The ring as an SVG path segment, points closer than a third of a unit to the last one
    /// dropped.
    fn path(&self, ring: &[(f64, f64)], closed: bool, out: &mut String) {
        let mut last: Option<(f64, f64)> = None;
        let mut n = 0;
        for &(lon, lat) in ring {
            let (x, y) = self.xy(lon, lat);
            if let Some((lx, ly)) = last {
                if (x - lx).abs() < 0.35 && (y - ly).abs() < 0.35 {
                    continue;
                }
            }
            let _ = write!(out, "{}{:.1} {:.1}", if n == 0 { "M" } else { "L" }, x, y);
            last = Some((x, y));
            n += 1;
        }
        if closed && n > 0 {
            out.push('Z');
        }
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn tier_colour(name: &str, i: usize) -> &'static str {
    match name {
        "strong" => "#c62828",
        "felt" => "#ef8f00",
        "weak" => "#f6d13a",
        _ => ["#8e24aa", "#3949ab", "#00897b"][i % 3],
    }
}

fn regions_path(p: &Plane, regions: &[Region], out: &mut String) -> usize {
    let mut n = 0;
    for r in regions.iter().filter(|r| p.touches(r.bbox)) {
        for ring in &r.rings {
            p.path(ring, true, out);
        }
        n += 1;
    }
    n
}

/// The map's half side in km: the outermost tier's isoseismal with a margin, at least 40 km, at
/// most 1500 km.
pub fn half_side_km(model: &IntensityModel, tiers: &[MapTier]) -> f64 {
    let lowest = tiers
        .iter()
        .map(|t| t.min_intensity)
        .fold(f64::INFINITY, f64::min);
    let r = if lowest.is_finite() {
        model.max_radius_km(lowest)
    } else {
        0.0
    };
    let r = if r.is_finite() { r } else { 0.0 };
    (r * 1.2).clamp(40.0, 1500.0)
}

/// The SVG. `lang` chooses the legend's words ("zh" or anything else for English).
pub fn svg(event: &Event, tiers: &[MapTier], regions: &Regions, lang: &str) -> String {
    let model = IntensityModel::for_event(event);
    let half_km = half_side_km(&model, tiers);
    let p = Plane {
        lon0: event.lon,
        lat0: event.lat,
        k: event.lat.to_radians().cos().max(0.05),
        s: SIZE / 2.0 / half_km,
        half_km,
    };
    let zh = lang == "zh";
    let mut o = String::with_capacity(256 * 1024);
    let _ = write!(
        o,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SIZE} {SIZE}" class="audience-map" role="img" aria-label="{}">"##,
        if zh {
            "推送受众地图"
        } else {
            "audience map"
        }
    );
    let _ = write!(
        o,
        r##"<rect class="sea" x="0" y="0" width="{SIZE}" height="{SIZE}" fill="#cfe2ef"/>"##
    );
    // Land: the countries (China's provinces cover China's land in finer outlines).
    let mut d = String::new();
    regions_path(&p, &regions.countries, &mut d);
    regions_path(&p, &regions.provinces, &mut d);
    let _ = write!(
        o,
        r##"<path class="land" d="{d}" fill="#f3efe6" fill-rule="nonzero" stroke="none"/>"##
    );
    // Tier cells, weakest first so the stronger ones lie on top.
    let mut cells_drawn = 0usize;
    for (i, t) in tiers.iter().enumerate().rev() {
        let colour = tier_colour(&t.name, i);
        let _ = write!(
            o,
            r##"<g class="tier tier-{}" data-tier="{}" fill="{colour}" fill-opacity="0.42" stroke="{colour}" stroke-opacity="0.7" stroke-width="0.4">"##,
            esc(&t.name),
            esc(&t.name)
        );
        for c in &t.cells {
            let Ok(cell) = c.parse::<CellIndex>() else {
                continue;
            };
            let ring: Vec<(f64, f64)> =
                cell.boundary().iter().map(|v| (v.lng(), v.lat())).collect();
            let mut d = String::new();
            p.path(&ring, true, &mut d);
            let _ = write!(o, r##"<path class="cell" d="{d}"/>"##);
            cells_drawn += 1;
        }
        o.push_str("</g>");
    }
    // Borders: counties (thin, only when zoomed in enough to read them), provinces, countries.
    if half_km <= 600.0 {
        let mut d = String::new();
        regions_path(&p, &regions.counties, &mut d);
        let _ = write!(
            o,
            r##"<path class="counties" d="{d}" fill="none" stroke="#8d8d8d" stroke-width="0.5" stroke-dasharray="2 1.5"/>"##
        );
    }
    let mut d = String::new();
    regions_path(&p, &regions.provinces, &mut d);
    let _ = write!(
        o,
        r##"<path class="provinces" d="{d}" fill="none" stroke="#5f5f5f" stroke-width="1.1"/>"##
    );
    let mut d = String::new();
    regions_path(&p, &regions.countries, &mut d);
    let _ = write!(
        o,
        r##"<path class="countries" d="{d}" fill="none" stroke="#333" stroke-width="1.4"/>"##
    );
    // Isoseismals of each tier's lowest intensity.
    for (i, t) in tiers.iter().enumerate() {
        let ring: Vec<(f64, f64)> = model
            .isoseismal(t.min_intensity, 96)
            .into_iter()
            .map(|(lat, lon)| (lon, lat))
            .collect();
        if ring.is_empty() {
            continue;
        }
        let mut d = String::new();
        p.path(&ring, true, &mut d);
        let _ = write!(
            o,
            r##"<path class="ring" data-tier="{}" d="{d}" fill="none" stroke="{}" stroke-width="1.6" stroke-dasharray="6 3"/>"##,
            esc(&t.name),
            tier_colour(&t.name, i)
        );
    }
    // County names near the epicentre: the nearest dozen whose outline is on the map.
    if half_km <= 600.0 {
        let mut near: Vec<(f64, &Region)> = regions
            .counties
            .iter()
            .filter(|r| p.touches(r.bbox))
            .map(|r| {
                let (cx, cy) = ((r.bbox.0 + r.bbox.2) / 2.0, (r.bbox.1 + r.bbox.3) / 2.0);
                let (x, y) = p.xy(cx, cy);
                (
                    ((x - SIZE / 2.0).powi(2) + (y - SIZE / 2.0).powi(2)).sqrt(),
                    r,
                )
            })
            .filter(|(d, _)| *d < SIZE * 0.45)
            .collect();
        near.sort_by(|a, b| a.0.total_cmp(&b.0));
        o.push_str(r##"<g class="county-names" font-size="11" fill="#222" text-anchor="middle" stroke="#fff" stroke-width="2.5" paint-order="stroke">"##);
        for (_, r) in near.iter().take(12) {
            let (cx, cy) = ((r.bbox.0 + r.bbox.2) / 2.0, (r.bbox.1 + r.bbox.3) / 2.0);
            let (x, y) = p.xy(cx, cy);
            let name = if zh || r.name_en.is_empty() {
                &r.name_zh
            } else {
                &r.name_en
            };
            let _ = write!(o, r##"<text x="{x:.1}" y="{y:.1}">{}</text>"##, esc(name));
        }
        o.push_str("</g>");
    }
    // The epicentre.
    let (x, y) = p.xy(event.lon, event.lat);
    let star: String = (0..10)
        .map(|k| {
            let a = std::f64::consts::PI * f64::from(k) / 5.0 - std::f64::consts::FRAC_PI_2;
            let r = if k % 2 == 0 { 11.0 } else { 4.5 };
            format!("{:.1},{:.1}", x + r * a.cos(), y + r * a.sin())
        })
        .collect::<Vec<_>>()
        .join(" ");
    let _ = write!(
        o,
        r##"<polygon class="epicentre" points="{star}" fill="#d50000" stroke="#fff" stroke-width="1.5"/>"##
    );
    // Scale bar: a round length near a fifth of the side.
    let target = half_km * 2.0 / 5.0;
    let step = [1.0, 2.0, 5.0]
        .iter()
        .flat_map(|m| (0..5).map(move |e| m * 10f64.powi(e)))
        .filter(|v| *v <= target)
        .fold(1.0, f64::max);
    let w = step * p.s;
    let _ = write!(
        o,
        r##"<g class="scale" font-size="11"><rect x="12" y="{:.1}" width="{w:.1}" height="4" fill="#333"/><text x="12" y="{:.1}">{step} km</text></g>"##,
        SIZE - 20.0,
        SIZE - 26.0
    );
    // Legend.
    let rows = tiers.len() as f64;
    let _ = write!(
        o,
        r##"<g class="legend" font-size="12"><rect x="{:.1}" y="8" width="236" height="{:.1}" fill="#fff" fill-opacity="0.88" stroke="#999"/>"##,
        SIZE - 246.0,
        22.0 + 18.0 * rows
    );
    for (i, t) in tiers.iter().enumerate() {
        let y = 26.0 + 18.0 * i as f64;
        let count = match (t.users, t.population) {
            (Some(u), _) => format!(" · {u} {}", if zh { "用户" } else { "users" }),
            (None, Some(pop)) => format!(" · {pop} {}", if zh { "人口" } else { "people" }),
            (None, None) => String::new(),
        };
        let level = roman(t.min_intensity.floor().clamp(0.0, 12.0) as u8).unwrap_or("?");
        let _ = write!(
            o,
            r##"<rect x="{:.1}" y="{:.1}" width="12" height="12" fill="{}"/><text class="legend-row" data-tier="{}" x="{:.1}" y="{y:.1}">{} ≥{level} · {} {}{count}</text>"##,
            SIZE - 238.0,
            y - 10.0,
            tier_colour(&t.name, i),
            esc(&t.name),
            SIZE - 220.0,
            esc(&tier_label(&t.name, zh)),
            t.cells_at_resolution,
            if zh { "格" } else { "cells" },
        );
    }
    o.push_str("</g>");
    let _ = write!(o, "<desc>{cells_drawn} H3 cells drawn</desc></svg>");
    o
}

fn tier_label(name: &str, zh: bool) -> String {
    match (name, zh) {
        ("strong", true) => "强烈".into(),
        ("felt", true) => "有感".into(),
        ("weak", true) => "轻微".into(),
        (other, _) => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> Event {
        quakecast_facts::parse_report(quakecast_core::SAMPLE_REPORT).expect("sample")
    }

    #[test]
    fn draws_cells_rings_epicentre_and_legend() {
        let e = event();
        let centre = h3o::LatLng::new(e.lat, e.lon)
            .expect("latlng")
            .to_cell(h3o::Resolution::Six);
        let ring: Vec<String> = centre
            .grid_disk::<Vec<_>>(2)
            .iter()
            .map(|c| c.to_string())
            .collect();
        let tiers = vec![
            MapTier {
                name: "strong".into(),
                min_intensity: 6.0,
                cells: vec![centre.to_string()],
                cells_at_resolution: 1,
                users: Some(12),
                population: None,
            },
            MapTier {
                name: "felt".into(),
                min_intensity: 4.0,
                cells: ring,
                cells_at_resolution: 19,
                users: Some(340),
                population: None,
            },
        ];
        let svg = svg(&e, &tiers, &Regions::default(), "en");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches(r#"class="cell""#).count(), 20, "{svg}");
        assert_eq!(svg.matches(r#"class="ring""#).count(), 2);
        assert!(svg.contains(r#"class="epicentre""#));
        assert!(svg.contains("340 users") && svg.contains("12 users"));
        // The felt ring is larger than the strong one, and both fit in the map.
        let half = half_side_km(&IntensityModel::for_event(&e), &tiers);
        assert!(half > 40.0 && half < 1500.0, "{half}");
        let zh = super::svg(&e, &tiers, &Regions::default(), "zh");
        assert!(zh.contains("有感") && zh.contains("用户"));
    }

    #[test]
    fn longitudes_wrap_across_the_antimeridian() {
        assert!((wrap(179.0 - (-179.0)) - (-2.0)).abs() < 1e-9);
        assert!((wrap(-179.5 - 179.5) - 1.0).abs() < 1e-9);
        assert_eq!(wrap(180.0), 180.0);
    }
}
