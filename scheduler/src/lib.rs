//! The `quakecast` binary's library: the local render pipeline on this machine's GPU (or
//! lavapipe) and the GPU side of farm workers.
//!
//! Pipeline (one machine): report → [`pipeline::validate`] → storyboard →
//! [`quakecast_core::plan::plan_segments`] → segments rendered by worker threads →
//! [`quakecast_core::media::stitch`] (concat demuxer, no re-encode) →
//! [`quakecast_core::store::ObjectStore`] with a [`quakecast_core::manifest::Manifest`] beside the
//! video. [`gpu::GpuSegments`] is the farm's [`quakecast_farm::SegmentRenderer`].

pub mod gpu;
pub mod pipeline;

pub use quakecast_core::{Error, Result, SAMPLE_REPORT};
