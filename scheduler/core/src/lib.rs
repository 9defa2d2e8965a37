//! What every way of running quakecast shares, without GPU code: the bulletin timeline
//! ([`bulletin::plan_bulletin`]: facts → storyboard → narration timed to the measured speech),
//! the segment plan ([`plan::plan_segments`]), the object store ([`store::ObjectStore`],
//! [`store::LocalDirStore`]), the manifest beside each video ([`manifest::Manifest`]), ffmpeg
//! stitching and probing ([`media`]), the data directory ([`assets`]), render configuration
//! ([`config`]) and errors.
//!
//! The local render pipeline (`quakecast-pipeline`) and the farm (`quakecast-farm`) build on
//! it; the GPU stays behind them (`docs/architecture.md`).

pub mod area;
pub mod assets;
pub mod bulletin;
pub mod clock;
pub mod config;
pub mod error;
pub mod manifest;
pub mod materials;
pub mod media;
pub mod plan;
pub mod rawser;
pub mod render;
pub mod store;

pub use error::{Error, Result};

/// The bundled sample report: CENC official, 2022-05-20 08:36 Beijing time, M4.8 Hanyuan, Ya'an.
pub const SAMPLE_REPORT: &[u8] =
    include_bytes!("../../../scenes/samples/cenc-2022-05-20-hanyuan.json");
