//! Map data handed to the scenes (loaded by the I/O layers from `data/`).
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LayerKind {
    /// Land polygons (filled).
    Land,
    /// Country borders (lines).
    Country,
    /// Province / first-level borders (lines).
    Province,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MapLayer {
    pub kind: Option<LayerKind>,
    /// Rings or lines in (lon, lat) degrees.
    pub rings: Vec<Vec<[f32; 2]>>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MapData {
    pub layers: Vec<MapLayer>,
}

/// Everything from the outside world that scenes need, passed in by value.
#[derive(Clone, Debug, Default)]
pub struct Assets {
    pub map: MapData,
}
