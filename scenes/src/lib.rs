//! Pure bulletin content: a quake report becomes a validated [`Event`], the event a
//! [`Storyboard`] of timed scenes, and the storyboard a [`DrawList`] for any frame number.
//!
//! Pipeline: `parse_report` → `Event` → `Storyboard::new` → `Storyboard::frame(n, …)`.
//! No I/O, clocks, GPU or async here: map data and text measurement are passed in
//! ([`Assets`], [`TextMeasure`]), so every function is deterministic and fast to test.

pub mod clip;
pub mod draw;
pub mod error;
pub mod event;
pub mod facts;
pub mod intensity;
pub mod layout;
pub mod map;
pub mod measure;
pub mod narration;
pub mod places;
pub mod projection;
pub mod scene;
pub mod storyboard;
pub mod svg;

pub use draw::{Align, Color, DrawList, Fill, Prim, Text, TextMeasure};
pub use error::{MapError, ReportError};
pub use event::{parse_report, Event, ReportStatus, Source};
pub use map::{Assets, LayerKind, MapData, MapLayer, ASSET_FILES};
pub use measure::FixedMeasure;
pub use storyboard::{RenderSettings, SceneKind, SceneSpan, Storyboard};
