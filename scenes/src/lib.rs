//! Pure bulletin content: a quake report becomes a validated [`Event`], the event a
//! [`Storyboard`] of timed scenes, and the storyboard a [`DrawList`] for any frame number.
//!
//! Pipeline: [`parse_report`] (five input formats detected from the content, [`report`];
//! [`parse_message`] also returns withdrawals) → `Event` → [`Facts::compute`] (nearby seats and
//! cities, predicted intensity, history from an optional catalogue) → `narration::script_for` and
//! [`Storyboard::compose`] under a [`Theme`] → `Storyboard::frame(n, …)`. `Storyboard::new` is the
//! default theme with the facts of the event alone.
//! No I/O, clocks, GPU or async here: map data and text measurement are passed in
//! ([`Assets`], [`TextMeasure`]), so every function is deterministic and fast to test.
//!
//! The I/O layer builds [`Assets`] once: [`Assets::from_sources`] with the contents of
//! [`ASSET_FILES`] (world-atlas countries and land TopoJSON, ECharts `china.js`), then
//! [`Assets::with_south_china_sea`] with [`SOUTH_CHINA_SEA_FILE`] (npm
//! `@surbowl/world-geo-json-zh` 2.1.5, Unlicense: the South China Sea islands and the ten-dash
//! line that China's standard maps show; `docs/map.md`), optionally
//! [`Assets::with_places`] with `geonames/cities1000.json` for map labels and world cities, and
//! [`Assets::with_seats`] with `cpca/adcodes.csv` (PyPI `cpca` 0.5.5, MIT: China's province,
//! prefecture and county seats) for the CENC-style "震中距X县N公里" facts; a catalogue for the
//! history scene is parsed with [`history::parse_catalog`], a theme with [`Theme::from_json`]
//! (samples in `scenes/themes/`), and the operator's `--dem` file with [`Dem::from_esri_ascii`]
//! or [`Dem::from_hgt`] for [`Facts::with_elevation`] (mean elevation within 5 km). See
//! `docs/bulletin-facts.md` and `docs/elevation.md`. Tests and tools measure
//! text with [`FixedMeasure`]; production passes the renderer's font measure. No feature flags.

pub mod backdrop;
pub mod clip;
pub mod draw;
pub mod error;
pub mod fit;
pub mod kind;
pub mod layout;
pub mod linebreak;
pub mod lineup;
pub mod measure;
pub mod narration;
pub mod phrases;
pub mod projection;
pub mod record;
pub mod scene;
pub mod settings;
pub mod storyboard;
pub mod subtitles;
pub mod svg;
pub mod theme;
pub mod timeline;

pub use draw::{Align, Color, DrawList, Fill, Prim, Text, TextMeasure};
pub use error::ThemeError;
pub use kind::SceneKind;
pub use measure::FixedMeasure;
pub use settings::{AdapterPolicy, EncodeSettings, RenderSettings};
pub use storyboard::{SceneSpan, Storyboard};
pub use theme::Theme;

// The facts this crate builds on, under the names its modules use (`crate::Event`, …).
use quakecast_facts::{Assets, Event, ReportStatus, Source};
