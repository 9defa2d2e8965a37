//! The farm: webhook intake, a durable segment queue, render workers, review and push.
//!
//! ```text
//! POST /v1/events → verify signature → parse → Db::intake (job + idempotency key + tasks, one tx)
//!   → workers claim segment tasks (leases) → render → store under a fixed key → complete (fenced)
//!   → last segment queues the stitch → stitch → awaiting_review → approve → push task → pushed
//! ```
//!
//! One code path for the embedded default (SQLite, local directory store, workers in the `serve`
//! process) and the distributed setup (PostgreSQL, S3, separate `quakecast worker` processes).
//!
//! This crate links no GPU code: workers render through the [`worker::SegmentRenderer`] trait,
//! which the `quakecast` binary implements with wgpu + ffmpeg; deliveries go through the
//! [`push::Pusher`] trait ([`push::HttpPusher`] in production). The job state machine is pure
//! ([`state`]); the database guards its transitions with the same function.
pub mod audience;
pub mod auth;
pub mod config;
pub mod console;
pub mod db;
pub mod dialect;
pub mod error;
pub mod hls;
pub mod http;
pub mod metrics;
pub mod model;
pub mod push;
pub mod s3;
pub mod server;
pub mod service;
pub mod state;
pub mod webhook;
pub mod worker;

pub use error::{FarmError, FarmResult};
pub use push::{HttpPusher, Pusher};
pub use worker::{RenderEnvLoader, RenderedSegment, RendererFactory, SegmentRenderer};
