//! Segment planning, workers, stitching and object storage for quake bulletins.

pub mod audience;
