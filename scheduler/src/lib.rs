//! Intake, segment planning, workers, stitching and object storage for quake bulletins.
//!
//! Pipeline (one machine): report → [`pipeline::validate`] → storyboard → [`plan::plan_segments`]
//! → segments rendered by worker threads → [`media::stitch`] (concat demuxer, no re-encode) →
//! [`store::ObjectStore`] with a [`manifest::Manifest`] beside the video.

pub mod assets;

pub mod bulletin;
pub mod clock;
pub mod config;
pub mod error;
pub mod farm;
pub mod manifest;
pub mod media;
pub mod pipeline;
pub mod plan;
pub mod store;

pub use error::{Error, Result};

/// The bundled sample report: CENC official, 2022-05-20 08:36 Beijing time, M4.8 Hanyuan, Ya'an.
pub const SAMPLE_REPORT: &[u8] =
    include_bytes!("../../scenes/samples/cenc-2022-05-20-hanyuan.json");
