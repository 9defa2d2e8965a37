//! One bulletin on this machine's GPU (or lavapipe), and the GPU side of farm workers.
//!
//! Pipeline (one machine): report → [`validate`] → timeline
//! ([`quakecast_core::bulletin::plan_bulletin`]) → [`quakecast_core::plan::plan_segments`] →
//! segments rendered by worker threads → [`quakecast_core::media::stitch`] (concat demuxer, no
//! re-encode) → [`quakecast_core::store::ObjectStore`] with a
//! [`quakecast_core::manifest::Manifest`] beside the video. [`gpu::GpuSegments`] is the farm's
//! [`quakecast_core::render::SegmentRenderer`].
//!
//! The `quakecast` binary is a thin layer over this crate, the farm and the audience: it parses
//! flags into a configuration and calls them.

pub mod gpu;
mod local;

pub use local::*;
pub use quakecast_core::{Error, Result, SAMPLE_REPORT};
