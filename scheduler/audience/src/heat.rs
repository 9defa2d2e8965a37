//! The platform-user heat layer from an audience index ([`quakecast_facts::heat`]): the located
//! users around an epicentre counted per H3 cell (a coarser level than the index's), straight
//! from the index's cell directory: no user record is read, and cells under
//! [`HEAT_MIN_USERS`] are dropped.
use std::path::Path;

use h3o::{CellIndex, LatLng, Resolution};
use quakecast_facts::heat::{HeatCell, HeatSource, UserHeat, HEAT_MIN_USERS};

use crate::error::Result;
use crate::index::UserIndex;

/// Cells drawn across the radius at most (a disk of k rings holds 3k(k+1)+1 cells).
const MAX_RINGS: u32 = 24;

/// An index opened for heat queries.
pub struct IndexHeat {
    index: UserIndex,
}

impl std::fmt::Debug for IndexHeat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IndexHeat({})", self.index.path.display())
    }
}

impl IndexHeat {
    /// Open the index `quakecast audience index` built.
    pub fn open(path: &Path) -> Result<IndexHeat> {
        Ok(IndexHeat {
            index: UserIndex::open(path)?,
        })
    }

    /// The finest level at or above the index's whose disk of [`MAX_RINGS`] rings covers
    /// `radius_km`.
    fn level_for(&self, radius_km: f64) -> Resolution {
        let finest = u8::from(self.index.cell_res());
        let mut res = Resolution::Zero;
        for r in (0..=finest.min(9)).rev() {
            let Ok(level) = Resolution::try_from(r) else {
                continue;
            };
            // Centre-to-centre spacing is √3 × the edge length.
            if level.edge_length_km() * 3f64.sqrt() * f64::from(MAX_RINGS) >= radius_km {
                res = level;
                break;
            }
        }
        res
    }

    /// Users under `cell` (at the index's level or coarser), from the directory alone.
    fn users_under(&self, cell: CellIndex) -> u64 {
        let r = self.index.cells_under(cell);
        if r.is_empty() {
            return 0;
        }
        self.index.cell_end(r.end - 1) - self.index.cell_first(r.start)
    }
}

impl HeatSource for IndexHeat {
    fn heat(&self, lat: f64, lon: f64, radius_km: f64) -> Option<UserHeat> {
        let res = self.level_for(radius_km);
        let centre = LatLng::new(lat, lon).ok()?;
        let origin = centre.to_cell(res);
        let rings = (radius_km / (res.edge_length_km() * 3f64.sqrt())).ceil() as u32;
        let mut cells = Vec::new();
        let mut users = 0;
        for cell in origin.grid_disk::<Vec<_>>(rings.min(MAX_RINGS)) {
            if LatLng::from(cell).distance_km(centre) > radius_km {
                continue;
            }
            let n = self.users_under(cell);
            if n < HEAT_MIN_USERS {
                continue;
            }
            users += n;
            let boundary = cell.boundary().iter().map(|v| [v.lng(), v.lat()]).collect();
            cells.push(HeatCell { boundary, users: n });
        }
        if cells.is_empty() {
            return None;
        }
        Some(UserHeat {
            resolution: u8::from(res),
            cells,
            users,
            min_users: HEAT_MIN_USERS,
            radius_km,
            source: format!(
                "audience index {}",
                self.index
                    .path
                    .file_name()
                    .map_or_else(String::new, |f| f.to_string_lossy().into_owned())
            ),
        })
    }
}
