//! Where the platform's own located users are around the epicentre, aggregated to hexagonal
//! cells (CENC's "population heat map" item, from the platform's side): never individuals, only
//! cells with at least [`HEAT_MIN_USERS`] users, and only when an audience index is configured.
//! The cells come from a [`HeatSource`] (the audience crate's index); facts only carry them.
use serde::{Deserialize, Serialize};

/// Cells with fewer located users than this are not shown (no cell can point at a few people).
pub const HEAT_MIN_USERS: u64 = 10;
/// How far from the epicentre the heat is gathered, km (the places map's reach).
pub const HEAT_RADIUS_KM: f64 = 150.0;

/// One cell: its outline (`[lon, lat]` degrees) and how many located users it holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HeatCell {
    pub boundary: Vec<[f64; 2]>,
    pub users: u64,
}

/// The platform-user heat around an epicentre.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserHeat {
    /// The cells' H3 resolution.
    pub resolution: u8,
    pub cells: Vec<HeatCell>,
    /// Users in the cells shown.
    pub users: u64,
    pub min_users: u64,
    pub radius_km: f64,
    /// Where the counts come from (the index file's name and build time).
    pub source: String,
}

impl UserHeat {
    /// "网格为本平台已定位用户（H3第6级格子，每格≥10人），150公里内共约3.2万人" and the English.
    pub fn legend(&self, lang: crate::Lang) -> String {
        match lang {
            crate::Lang::Zh => format!(
                "橙色网格：本平台已定位用户分布（H3第{}级格子，每格≥{}人），{}公里内共{}人",
                self.resolution,
                self.min_users,
                self.radius_km.round(),
                zh_count(self.users)
            ),
            crate::Lang::En => format!(
                "Orange cells: this platform's located users (H3 level {} cells of ≥{} users), {} within {} km",
                self.resolution,
                self.min_users,
                en_count(self.users),
                self.radius_km.round()
            ),
        }
    }
}

fn zh_count(n: u64) -> String {
    if n >= 100_000_000 {
        format!("约{:.1}亿", n as f64 / 1e8)
    } else if n >= 10_000 {
        format!("约{:.1}万", n as f64 / 1e4)
    } else {
        n.to_string()
    }
}

fn en_count(n: u64) -> String {
    if n >= 1_000_000 {
        format!("{:.1} million", n as f64 / 1e6)
    } else if n >= 10_000 {
        format!("{},000", (n as f64 / 1000.0).round() as u64)
    } else {
        n.to_string()
    }
}

/// Something that can count the located users around a point (the audience index).
pub trait HeatSource: Send + Sync + std::fmt::Debug {
    /// The cells within `radius_km` of `(lat, lon)` holding at least [`HEAT_MIN_USERS`] users;
    /// `None` when there are none (or the source cannot answer; it logs why).
    fn heat(&self, lat: f64, lon: f64, radius_km: f64) -> Option<UserHeat>;
}
