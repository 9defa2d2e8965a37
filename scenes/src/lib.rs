//! Pure bulletin content: a quake report becomes a validated [`Event`], the event a
//! [`Storyboard`] of timed scenes, and the storyboard a [`DrawList`] for any frame number.
//!
//! Pipeline: `parse_report` → `Event` → `Storyboard::new` → `Storyboard::frame(n, …)`.
//! No I/O, clocks, GPU or async here: map data and text measurement are passed in
//! ([`Assets`], [`TextMeasure`]), so every function is deterministic and fast to test.

pub mod draw;
pub mod error;
pub mod event;
pub mod map;
pub mod narration;
pub mod storyboard;

pub use draw::{Align, Color, DrawList, Fill, Prim, Text, TextMeasure};
pub use error::ReportError;
pub use event::{parse_report, Event, ReportStatus, Source};
pub use map::{Assets, LayerKind, MapData, MapLayer};
pub use storyboard::{RenderSettings, SceneKind, SceneSpan, Storyboard};
