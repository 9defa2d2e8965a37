//! Fixtures for quakecast's tests and benches (`publish = false`; never a dependency of a
//! shipped crate):
//! - [`golden`]: compare rendered frames with reference PNGs (`QUAKECAST_UPDATE_GOLDEN=1`
//!   rewrites them);
//! - [`testscene`]: synthetic draw lists exercising every primitive;
//! - [`fixtures`]: the real map data under `data/` (decoded once per test binary) and sample
//!   events (the bundled Hanyuan and USGS reports, events chosen to stress layout);
//! - [`gpu`]: one wgpu device (lavapipe allowed) and one font per test binary.
#![allow(clippy::unwrap_used)]

pub mod fixtures;
pub mod golden;
pub mod gpu;
pub mod testscene;

pub use fixtures::{
    assets, bundled_catalog, bundled_dem, data_dir, event, hanyuan, read_data, read_data_bytes,
    stress_events, usgs_sample,
};
pub use gpu::{font, gpu, px};
