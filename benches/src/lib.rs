//! Benchmark bodies; `benches/*.rs` are thin criterion wrappers.

pub mod audience;
pub mod render;
