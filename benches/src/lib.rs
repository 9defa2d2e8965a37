//! Benchmark bodies; `benches/*.rs` are thin wrappers (criterion or a one-run ratio report).

pub mod audience;
pub mod audio;
pub mod e2e;
pub mod farm;
pub mod render;
