//! The farm's segment renderer on wgpu + ffmpeg: what `quakecast serve` and `quakecast worker`
//! plug into the farm's `RenderEnvLoader`.
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use quakecast_core::render::{RenderEnvSpec, RenderedSegment, RendererFactory, SegmentRenderer};
use quakecast_core::{Error, Result};
use quakecast_facts::Assets;
use quakecast_renderer::{Font, GpuContext, RenderError};
use quakecast_scenes::{EncodeSettings, Storyboard};

/// A renderer error as the core's error (the core links no GPU code).
pub fn render_error(e: RenderError) -> Error {
    Error::Render {
        retryable: e.is_retryable(),
        message: e.to_string(),
    }
}

/// One GPU device and font, shared by a process's worker loops.
pub struct GpuSegments {
    pub gpu: Arc<GpuContext>,
    pub font: Arc<Font>,
}

impl GpuSegments {
    /// Open the adapter `spec` allows and load its font; logs which adapter it got.
    pub fn open(spec: &RenderEnvSpec) -> Result<Self> {
        let t = Instant::now();
        let font = Font::load(spec.font.as_deref()).map_err(render_error)?;
        let gpu = GpuContext::new(spec.adapter).map_err(render_error)?;
        let s = gpu.summary();
        tracing::info!(adapter = %s.name, backend = %s.backend, device_type = %s.device_type,
            secs = format!("{:.2}", t.elapsed().as_secs_f64()), "render environment ready");
        Ok(Self {
            gpu: Arc::new(gpu),
            font: Arc::new(font),
        })
    }

    /// The factory `RenderEnvLoader::new` takes.
    pub fn factory() -> RendererFactory {
        Arc::new(|spec| Ok(Arc::new(GpuSegments::open(spec)?) as Arc<dyn SegmentRenderer>))
    }
}

impl SegmentRenderer for GpuSegments {
    fn render_segment(
        &self,
        storyboard: &Storyboard,
        assets: &Assets,
        frames: Range<u32>,
        encode: &EncodeSettings,
        out: &Path,
    ) -> Result<RenderedSegment> {
        let report = quakecast_renderer::render_segment(
            &self.gpu,
            &self.font,
            storyboard,
            assets,
            frames,
            encode,
            out,
            |_| {},
        )
        .map_err(render_error)?;
        let adapter = self.gpu.summary();
        Ok(RenderedSegment {
            render_secs: report.render_secs,
            encode_wait_secs: report.encode_wait_secs,
            adapter: adapter.name.clone(),
            adapter_backend: adapter.backend.clone(),
            adapter_device_type: adapter.device_type.clone(),
            font: self.font.path().display().to_string(),
        })
    }

    fn content_key(
        &self,
        storyboard: &Storyboard,
        assets: &Assets,
        frames: Range<u32>,
        encode: &EncodeSettings,
    ) -> Option<String> {
        let a = self.gpu.summary();
        let identity = format!(
            "quakecast {} | {} {} {} | {}",
            env!("CARGO_PKG_VERSION"),
            a.name,
            a.backend,
            a.device_type,
            self.font.path().display()
        );
        let font = &*self.font;
        Some(quakecast_core::render::segment_content_key(
            &identity,
            encode,
            frames.map(|n| storyboard.frame(n, assets, font)),
        ))
    }
}
