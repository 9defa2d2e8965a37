//! Draw lists → pixels with wgpu offscreen; frames → H.264 segments through ffmpeg.

pub mod audio;
