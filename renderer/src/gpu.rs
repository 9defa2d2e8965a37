//! The shared wgpu device: adapter choice and policy, error capture.
use std::sync::{Arc, Once};

use crate::error::RenderError;
use crate::font::Font;
use crate::frame::{DeviceResources, ResourceCache};

pub use quakecast_scenes::settings::AdapterPolicy;

/// What was picked, for logs and manifests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdapterSummary {
    pub name: String,
    /// `Vulkan`, `Gl`, …
    pub backend: String,
    /// `Cpu`, `DiscreteGpu`, …
    pub device_type: String,
    /// Driver name and version, e.g. `llvmpipe` / `Mesa 22.3.6 (LLVM 15.0.6)`.
    pub driver: String,
}

impl std::fmt::Display for AdapterSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}, {}, {})",
            self.name, self.backend, self.device_type, self.driver
        )
    }
}

/// One wgpu device and queue shared by every renderer of the process. Cheap to clone (an
/// `Arc`); `wgpu::Device` and `wgpu::Queue` are `Send + Sync`, so worker threads each build a
/// [`crate::FrameRenderer`] on the same device.
#[derive(Clone)]
pub struct GpuContext {
    inner: Arc<Inner>,
}

struct Inner {
    // Kept so the instance outlives the device (and for future adapter enumeration).
    _instance: wgpu::Instance,
    adapter: wgpu::Adapter,
    device: wgpu::Device,
    queue: wgpu::Queue,
    summary: AdapterSummary,
    /// Pipelines, glyph atlases and frame targets kept between renderers.
    resources: ResourceCache,
}

impl std::fmt::Debug for GpuContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GpuContext")
            .field("adapter", &self.inner.summary)
            .finish_non_exhaustive()
    }
}

static MALLOC_TUNING: Once = Once::new();

/// lavapipe (Mesa 22.3) allocates and frees multi-megabyte buffers every frame; glibc's malloc
/// hands those straight back to the kernel (mmap threshold, heap trimming), so every frame paid
/// ~3,600 page faults. Keeping them in the heap measured ~1.6× faster rendering (RENDERING.md).
/// Must run before the instance exists so the driver's first allocations already follow it.
fn tune_malloc() {
    MALLOC_TUNING.call_once(|| {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        // SAFETY: mallopt only changes allocator thresholds; it is called once, before any
        // driver thread exists (guarded by `Once`), with valid parameter constants.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, 256 << 20);
            libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
        }
    });
}

impl GpuContext {
    /// Create the instance (backends from `WGPU_BACKEND`, default all), take the default
    /// adapter, apply `policy`, and open a device with the adapter's own limits.
    pub fn new(policy: AdapterPolicy) -> Result<Self, RenderError> {
        tune_malloc();
        let desc = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
        let backends = format!("{:?}", desc.backends);
        let instance = wgpu::Instance::new(desc);
        let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            ..Default::default()
        }))
        .map_err(|e| RenderError::NoAdapter {
            backends,
            reason: e.to_string(),
        })?;
        let info = adapter.get_info();
        let summary = AdapterSummary {
            name: info.name.clone(),
            backend: format!("{:?}", info.backend),
            device_type: format!("{:?}", info.device_type),
            driver: format!("{} {}", info.driver, info.driver_info)
                .trim()
                .to_string(),
        };
        if info.device_type == wgpu::DeviceType::Cpu && !policy.allow_cpu {
            return Err(RenderError::CpuAdapterRefused {
                name: summary.name,
                backend: summary.backend,
            });
        }
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("quakecast"),
            required_features: wgpu::Features::empty(),
            required_limits: adapter.limits(),
            ..Default::default()
        }))
        .map_err(|e| RenderError::Device {
            adapter: summary.name.clone(),
            reason: e.to_string(),
        })?;
        // Errors inside `GpuContext::scoped` come back as `RenderError::Gpu`; anything else
        // (which would be a bug) is logged rather than panicking a worker thread.
        device.on_uncaptured_error(Arc::new(|e: wgpu::Error| {
            tracing::error!(error = %e, "uncaptured wgpu error");
        }));
        tracing::info!(adapter = %summary, "GPU context ready");
        Ok(Self {
            inner: Arc::new(Inner {
                _instance: instance,
                adapter,
                device,
                queue,
                summary,
                resources: ResourceCache::default(),
            }),
        })
    }

    pub fn summary(&self) -> &AdapterSummary {
        &self.inner.summary
    }

    pub fn device(&self) -> &wgpu::Device {
        &self.inner.device
    }

    pub fn queue(&self) -> &wgpu::Queue {
        &self.inner.queue
    }

    pub fn adapter(&self) -> &wgpu::Adapter {
        &self.inner.adapter
    }

    /// The rendering resources this context keeps for `font`: pipelines built on the first
    /// call (for any font), then reused, with pools of glyph atlases and frame targets that
    /// [`crate::FrameRenderer`]s take and give back. [`crate::FrameRenderer::new`] and
    /// [`crate::render_segment`] use these, so a worker calling them once per segment builds
    /// pipelines once and keeps its glyphs. Fonts are told apart by path and a fingerprint of
    /// their metrics and outlines; the four most recently used are kept.
    pub fn resources(&self, font: &Font) -> Result<DeviceResources, RenderError> {
        self.inner.resources.get(self, font)
    }

    /// Forget the cached rendering resources (renderers alive keep what they hold); the next
    /// renderer builds its pipelines again.
    pub fn clear_resource_cache(&self) {
        self.inner.resources.clear();
    }

    /// Run `f` with validation and out-of-memory errors captured (error scopes are per thread
    /// in wgpu), turning the first one into a [`RenderError::Gpu`].
    pub(crate) fn scoped<T>(
        &self,
        f: impl FnOnce() -> Result<T, RenderError>,
    ) -> Result<T, RenderError> {
        let device = &self.inner.device;
        let oom = device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let internal = device.push_error_scope(wgpu::ErrorFilter::Internal);
        let validation = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let out = f();
        let errors = [
            pollster::block_on(validation.pop()),
            pollster::block_on(internal.pop()),
            pollster::block_on(oom.pop()),
        ];
        if let Some(e) = errors.into_iter().flatten().next() {
            return Err(gpu_error(e));
        }
        out
    }
}

fn gpu_error(e: wgpu::Error) -> RenderError {
    let (kind, retryable) = match &e {
        wgpu::Error::OutOfMemory { .. } => ("out of memory", true),
        wgpu::Error::Validation { .. } => ("validation", false),
        wgpu::Error::Internal { .. } => ("internal", true),
    };
    RenderError::Gpu {
        kind,
        message: e.to_string(),
        retryable,
    }
}

/// Turn a failed poll (device lost, timeout) into an error.
pub(crate) fn poll_error(e: wgpu::PollError) -> RenderError {
    RenderError::Gpu {
        kind: "poll",
        message: e.to_string(),
        retryable: true,
    }
}
