//! Render + readback throughput of the wgpu renderer at 720×1280 on synthetic frames: a light
//! one (cards, text, one 5k-point polyline) and a map-heavy one (~4k polygons and borders,
//! ~56k points), read back as RGBA or as GPU-converted I420, one frame at a time or pipelined.
use quakecast_renderer::{AdapterPolicy, Font, FrameRenderer, GpuContext, Readback};
use quakecast_scenes::DrawList;
use quakecast_testkit::testscene;

pub const WIDTH: u32 = 720;
pub const HEIGHT: u32 = 1280;
/// Frames per pipelined iteration.
pub const BATCH: u32 = 8;

pub struct RenderBench {
    pub renderer: FrameRenderer,
    pub light: DrawList,
    pub heavy: DrawList,
}

impl RenderBench {
    pub fn new() -> Self {
        let gpu = GpuContext::new(AdapterPolicy { allow_cpu: true }).expect("a wgpu adapter");
        eprintln!("adapter: {}", gpu.summary());
        let font = Font::load(None).expect("fonts-wqy-microhei");
        let renderer = FrameRenderer::new(&gpu, WIDTH, HEIGHT, &font).expect("renderer");
        Self {
            renderer,
            light: testscene::light(WIDTH, HEIGHT),
            heavy: testscene::map_heavy(WIDTH, HEIGHT),
        }
    }

    pub fn list(&self, heavy: bool) -> &DrawList {
        if heavy {
            &self.heavy
        } else {
            &self.light
        }
    }

    /// One frame rendered and read back, nothing in flight before or after; returns its size.
    pub fn one(&mut self, heavy: bool, format: Readback) -> usize {
        let list = if heavy { &self.heavy } else { &self.light };
        let frame = match format {
            Readback::Rgba => self.renderer.render_rgba(list),
            Readback::Yuv420p => self.renderer.render_yuv420p(list),
        };
        frame.expect("frame").len()
    }

    /// [`BATCH`] frames through the pipelined API; returns the bytes read back.
    pub fn pipelined(&mut self, heavy: bool, format: Readback) -> usize {
        let list = if heavy { &self.heavy } else { &self.light };
        let lists = (0..BATCH).map(|_| list.clone());
        let mut bytes = 0;
        self.renderer
            .render_frames(lists, format, |f| {
                bytes += f.len();
                Ok(())
            })
            .expect("frames");
        bytes
    }
}

impl Default for RenderBench {
    fn default() -> Self {
        Self::new()
    }
}
