//! The facts of a quake, pure: a report becomes a validated [`Event`], and the event the
//! [`Facts`] a bulletin states (nearby seats and cities, predicted intensity, recent
//! seismicity, mean elevation, the place name in both languages).
//!
//! No I/O, clocks, GPU, async or network: data files are passed in as their contents
//! ([`Assets::from_sources`], [`history::parse_catalog`], [`Dem::from_esri_ascii`]), so every
//! function is deterministic. The audience tools use this crate without the storyboard; the
//! storyboard (`quakecast-scenes`) builds on it.
//!
//! Modules, leaves first (no module cycles; `scenes/tests/module_graph.rs` checks):
//! - [`lang`] (spoken language, CJK characters), [`zh`] (Mandarin numbers), [`geo`] (the one
//!   geodesy: distances, destinations, circles, `(lon, lat)` order), [`error`];
//! - [`event`] and [`report`] (five input formats detected from the content: [`parse_report`],
//!   [`parse_message`] with withdrawals);
//! - geodata: [`basemap`] ([`Assets`]: borders and land from world-atlas and ECharts `china.js`,
//!   the South China Sea from `world-geo-json-zh`), [`cities`] (GeoNames `cities1000`), [`seats`]
//!   (China's province/prefecture/county seats from `cpca`), [`regions`] (province, county and
//!   country at a point), [`placename`], [`faults`] (GEM active faults), [`rivers`] (GSHHG
//!   rivers and lakes);
//! - [`intensity`] (predicted intensity relations and rings), [`nearby`], [`history`]
//!   (catalogues), [`elevation`] (DEMs), [`localtime`], [`time`];
//! - [`facts`]: [`Facts::compute`], the situation the safety advice addresses.

pub mod area;
pub mod basemap;
pub mod cities;
pub mod elevation;
pub mod error;
pub mod event;
pub mod facts;
pub mod faults;
pub mod geo;
pub mod heat;
pub mod history;
pub mod intensity;
pub mod lang;
pub mod localtime;
pub mod material;
pub mod nearby;
pub mod placename;
pub mod regions;
pub mod report;
pub mod rivers;
pub mod seats;
pub mod time;
pub mod zh;

pub use basemap::{Assets, LayerKind, MapData, MapLayer, ASSET_FILES, SOUTH_CHINA_SEA_FILE};
pub use elevation::{Dem, DemError, ElevationSummary};
pub use error::{CatalogError, MapError, ReportError};
pub use event::{Event, ReportStatus, Source};
pub use facts::Facts;
pub use lang::Lang;
pub use placename::{PlaceMethod, PlaceName};
pub use report::{parse_message, parse_report, Message, Parsed, ReportFormat, Withdrawal};
