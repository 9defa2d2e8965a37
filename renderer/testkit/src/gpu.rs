//! One wgpu device and one font per test binary.
use std::sync::OnceLock;

use quakecast_renderer::{AdapterPolicy, Font, GpuContext};

pub fn gpu() -> &'static GpuContext {
    static GPU: OnceLock<GpuContext> = OnceLock::new();
    GPU.get_or_init(|| {
        // "XDG_RUNTIME_DIR is invalid" from the Vulkan loader is harmless.
        GpuContext::new(AdapterPolicy { allow_cpu: true }).expect("a wgpu adapter (lavapipe here)")
    })
}

pub fn font() -> &'static Font {
    static FONT: OnceLock<Font> = OnceLock::new();
    FONT.get_or_init(|| Font::load(None).expect("fonts-wqy-microhei installed"))
}

/// Pixel `(x, y)` of a tightly packed RGBA8 frame.
pub fn px(rgba: &[u8], width: u32, x: u32, y: u32) -> [u8; 4] {
    let i = ((y * width + x) * 4) as usize;
    [rgba[i], rgba[i + 1], rgba[i + 2], rgba[i + 3]]
}
