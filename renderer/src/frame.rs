//! [`FrameRenderer`]: draw lists → RGBA8 or I420 frames on a shared device, with a small ring of
//! readback buffers so that reading frame n back overlaps rendering frame n+1.
//!
//! What does not depend on the frame size lives in [`DeviceResources`]: shader modules,
//! pipelines and layouts, built once per [`GpuContext`] (which caches them, per font, for
//! [`FrameRenderer::new`]), and pools of glyph atlases and per-size frame targets that
//! renderers take when made and give back when dropped. Making a renderer per segment thus
//! costs a bind group, not a pipeline compile (see `tests/longlived.rs` for the figures).
//!
//! Anti-aliasing is analytic: the tessellator gives every edge a one-pixel fringe whose alpha
//! falls from 1 to 0 (see [`crate::tessellate`]), and the frame is rendered at one sample per
//! pixel. 4× MSAA was tried first: it looked as clean but cost 2–2.4× per frame on lavapipe
//! (clearing, blending and resolving four samples per pixel: ~30 ms vs ~13 ms for a typical
//! bulletin frame at 720×1280), and lavapipe applies scissor rectangles to MSAA samples half a
//! pixel off. Each primitive is blended once per pixel (the depth trick), in sRGB space, into
//! an `Rgba8Unorm` target, so pixel values equal the draw list's colours.
use std::collections::VecDeque;
use std::sync::{mpsc, Arc, Mutex, OnceLock};

use quakecast_scenes::{Color, DrawList, Prim};

use crate::atlas::GlyphAtlas;
use crate::error::RenderError;
use crate::font::Font;
use crate::gpu::{poll_error, GpuContext};
use crate::tessellate::{BatchKind, Mesh, Tessellator, GRID_TEX_W, VERTEX_BYTES};
use crate::yuv::yuv420p_len;

/// Frames in flight in the pipelined API: one being read back while the next renders.
pub const PIPELINE_DEPTH: usize = 2;
/// Longest wait for a frame's readback buffer to map once its submission is done: far beyond any
/// real frame (tens of milliseconds on lavapipe), short enough that a lost callback fails the
/// segment (retryable) instead of hanging the worker.
const MAP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

const COLOR_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8Unorm;
const DEPTH_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Depth32Float;
const YUV_GROUP: u32 = 64;
const MAX_GROUPS_X: u32 = 32768;

/// What a frame is read back as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Readback {
    /// Tightly packed RGBA8, sRGB values as in the draw list (for PNGs and goldens).
    Rgba,
    /// Planar I420 (Y, U, V), BT.709 limited range, converted on the GPU (for ffmpeg).
    Yuv420p,
}

/// The WGSL sources this crate compiles, by name (validated with naga in the tests).
pub const SHADERS: &[(&str, &str)] = &[
    ("draw.wgsl", include_str!("shaders/draw.wgsl")),
    ("yuv.wgsl", include_str!("shaders/yuv.wgsl")),
];

struct InFlight {
    slot: usize,
    format: Readback,
    submission: wgpu::SubmissionIndex,
    mapped: mpsc::Receiver<Result<(), wgpu::BufferAsyncError>>,
}

/// Pipelines and layouts: what depends only on the device (the output format, the sample count
/// and the vertex layout are constants of this crate). Built once per [`GpuContext`] and shared
/// by every font's [`DeviceResources`].
struct Pipelines {
    draw_layout: wgpu::BindGroupLayout,
    draw_pipeline: wgpu::RenderPipeline,
    /// Opaque shaded grids: no blending, no atlas read, no depth test or write.
    opaque_pipeline: wgpu::RenderPipeline,
    /// Opaque shaded grids as quads interpolating the grid texture (binding 2).
    grid_pipeline: wgpu::RenderPipeline,
    yuv_module: wgpu::ShaderModule,
    /// `cs_blocks` (widths divisible by 8) and `cs_main` (any even width), each compiled the
    /// first time a renderer of such a width is made.
    yuv_blocks: OnceLock<wgpu::ComputePipeline>,
    yuv_words: OnceLock<wgpu::ComputePipeline>,
}

impl Pipelines {
    fn new(device: &wgpu::Device) -> Pipelines {
        let draw_module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("draw.wgsl"),
            source: wgpu::ShaderSource::Wgsl(SHADERS[0].1.into()),
        });
        let draw_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("draw"),
            entries: &[
                wgpu::BindGroupLayoutEntry {
                    binding: 0,
                    visibility: wgpu::ShaderStages::VERTEX,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Uniform,
                        has_dynamic_offset: false,
                        min_binding_size: None,
                    },
                    count: None,
                },
                wgpu::BindGroupLayoutEntry {
                    binding: 1,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Texture {
                        sample_type: wgpu::TextureSampleType::Float { filterable: false },
                        view_dimension: wgpu::TextureViewDimension::D2,
                        multisampled: false,
                    },
                    count: None,
                },
                wgpu::BindGroupLayoutEntry {
                    binding: 2,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Texture {
                        sample_type: wgpu::TextureSampleType::Float { filterable: false },
                        view_dimension: wgpu::TextureViewDimension::D2,
                        multisampled: false,
                    },
                    count: None,
                },
            ],
        });
        let draw_pl = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("draw"),
            bind_group_layouts: &[Some(&draw_layout)],
            immediate_size: 0,
        });
        let pipeline = |label, entry, blend, depth_compare, depth_write| {
            device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
                label: Some(label),
                layout: Some(&draw_pl),
                vertex: wgpu::VertexState {
                    module: &draw_module,
                    entry_point: Some("vs_main"),
                    compilation_options: Default::default(),
                    buffers: &[Some(wgpu::VertexBufferLayout {
                        array_stride: VERTEX_BYTES,
                        step_mode: wgpu::VertexStepMode::Vertex,
                        attributes: &wgpu::vertex_attr_array![
                            0 => Float32x2, 1 => Float32, 2 => Float32x2, 3 => Unorm8x4
                        ],
                    })],
                },
                primitive: wgpu::PrimitiveState {
                    topology: wgpu::PrimitiveTopology::TriangleList,
                    cull_mode: None,
                    ..Default::default()
                },
                depth_stencil: Some(wgpu::DepthStencilState {
                    format: DEPTH_FORMAT,
                    depth_write_enabled: Some(depth_write),
                    depth_compare: Some(depth_compare),
                    stencil: Default::default(),
                    bias: Default::default(),
                }),
                multisample: wgpu::MultisampleState {
                    count: 1,
                    mask: !0,
                    alpha_to_coverage_enabled: false,
                },
                fragment: Some(wgpu::FragmentState {
                    module: &draw_module,
                    entry_point: Some(entry),
                    compilation_options: Default::default(),
                    targets: &[Some(wgpu::ColorTargetState {
                        format: COLOR_FORMAT,
                        blend,
                        write_mask: wgpu::ColorWrites::ALL,
                    })],
                }),
                multiview_mask: None,
                cache: None,
            })
        };
        // Straight-alpha "over" in sRGB space; destination alpha accumulates coverage (frames
        // are opaque once the clear colour is).
        let over = wgpu::BlendState {
            color: wgpu::BlendComponent {
                src_factor: wgpu::BlendFactor::SrcAlpha,
                dst_factor: wgpu::BlendFactor::OneMinusSrcAlpha,
                operation: wgpu::BlendOperation::Add,
            },
            alpha: wgpu::BlendComponent {
                src_factor: wgpu::BlendFactor::One,
                dst_factor: wgpu::BlendFactor::OneMinusSrcAlpha,
                operation: wgpu::BlendOperation::Add,
            },
        };
        let draw_pipeline = pipeline(
            "draw",
            "fs_main",
            Some(over),
            wgpu::CompareFunction::Less,
            true,
        );
        let opaque_pipeline = pipeline(
            "opaque",
            "fs_opaque",
            None,
            wgpu::CompareFunction::Always,
            false,
        );
        let grid_pipeline = pipeline(
            "grid",
            "fs_grid",
            None,
            wgpu::CompareFunction::Always,
            false,
        );
        let yuv_module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("yuv.wgsl"),
            source: wgpu::ShaderSource::Wgsl(SHADERS[1].1.into()),
        });
        Pipelines {
            draw_layout,
            draw_pipeline,
            opaque_pipeline,
            grid_pipeline,
            yuv_module,
            yuv_blocks: OnceLock::new(),
            yuv_words: OnceLock::new(),
        }
    }

    /// The RGBA→I420 kernel for frames `width` wide. Widths divisible by 8 take the block
    /// kernel (~5× faster on lavapipe: no integer division, each texel loaded once); others the
    /// per-word kernel.
    fn yuv(&self, device: &wgpu::Device, width: u32) -> &wgpu::ComputePipeline {
        let (cell, entry) = if width.is_multiple_of(8) {
            (&self.yuv_blocks, "cs_blocks")
        } else {
            (&self.yuv_words, "cs_main")
        };
        cell.get_or_init(|| {
            device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some("yuv"),
                layout: None,
                module: &self.yuv_module,
                entry_point: Some(entry),
                compilation_options: Default::default(),
                cache: None,
            })
        })
    }
}

/// A glyph atlas (CPU image and cache) with the texture it is uploaded to. Owned by one
/// renderer at a time: see [`DeviceResources`].
struct GlyphCache {
    atlas: GlyphAtlas,
    texture: wgpu::Texture,
}

impl GlyphCache {
    fn new(device: &wgpu::Device) -> GlyphCache {
        let atlas = GlyphAtlas::new(device.limits().max_texture_dimension_2d);
        let texture = atlas_texture(device, &atlas);
        GlyphCache { atlas, texture }
    }
}

/// What depends on the frame size: targets, the I420 conversion's buffers and bind group,
/// readback buffers; and the geometry buffers and mesh, which keep their grown capacity.
struct FrameTargets {
    width: u32,
    height: u32,
    globals: wgpu::Buffer,
    target: wgpu::Texture,
    target_view: wgpu::TextureView,
    depth_view: wgpu::TextureView,
    /// The frame as it was after its static prefix (see [`FrameRenderer`]'s prefix cache).
    snapshot: wgpu::Texture,
    /// The colours of the frame's grids drawn as quads ([`Mesh::grid`]); grows in height.
    grid: wgpu::Texture,
    vertices: wgpu::Buffer,
    indices: wgpu::Buffer,
    yuv_pipeline: wgpu::ComputePipeline,
    yuv_bind: wgpu::BindGroup,
    yuv_out: wgpu::Buffer,
    yuv_groups: (u32, u32),
    /// Readback buffers, one per frame in flight, each large enough for either format.
    slots: Vec<wgpu::Buffer>,
    mesh: Mesh,
}

impl FrameTargets {
    fn new(ctx: &GpuContext, pipelines: &Pipelines, width: u32, height: u32) -> FrameTargets {
        let device = ctx.device();
        let size = wgpu::Extent3d {
            width,
            height,
            depth_or_array_layers: 1,
        };
        let texture = |label, format, usage| {
            device.create_texture(&wgpu::TextureDescriptor {
                label: Some(label),
                size,
                mip_level_count: 1,
                sample_count: 1,
                dimension: wgpu::TextureDimension::D2,
                format,
                usage,
                view_formats: &[],
            })
        };
        let target = texture(
            "frame",
            COLOR_FORMAT,
            wgpu::TextureUsages::RENDER_ATTACHMENT
                | wgpu::TextureUsages::COPY_SRC
                | wgpu::TextureUsages::COPY_DST
                | wgpu::TextureUsages::TEXTURE_BINDING,
        );
        let target_view = target.create_view(&Default::default());
        let snapshot = texture(
            "static prefix",
            COLOR_FORMAT,
            wgpu::TextureUsages::COPY_SRC | wgpu::TextureUsages::COPY_DST,
        );
        let depth_view = texture(
            "depth",
            DEPTH_FORMAT,
            wgpu::TextureUsages::RENDER_ATTACHMENT,
        )
        .create_view(&Default::default());
        let globals = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("globals"),
            size: 16,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let g = [width as f32, height as f32, 0.0, 0.0];
        ctx.queue()
            .write_buffer(&globals, 0, bytemuck::cast_slice(&g));

        let blocks = width.is_multiple_of(8);
        let yuv_pipeline = pipelines.yuv(device, width).clone();
        let words = yuv_words(width, height);
        let yuv_out = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("yuv out"),
            size: u64::from(words) * 4,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let yuv_groups = if blocks {
            ((width / 8).div_ceil(8), (height / 2).div_ceil(8))
        } else {
            let groups = words.div_ceil(YUV_GROUP);
            (groups.min(MAX_GROUPS_X), groups.div_ceil(MAX_GROUPS_X))
        };
        let params = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("yuv params"),
            size: 16,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let p = [width, height, words, yuv_groups.0 * YUV_GROUP];
        ctx.queue()
            .write_buffer(&params, 0, bytemuck::cast_slice(&p));
        let yuv_bind = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("yuv"),
            layout: &yuv_pipeline.get_bind_group_layout(0),
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: wgpu::BindingResource::TextureView(&target_view),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: yuv_out.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: params.as_entire_binding(),
                },
            ],
        });
        let slot_size = u64::from(padded_row(width)) * u64::from(height);
        let slot_size = slot_size.max(u64::from(words) * 4);
        let slots = (0..PIPELINE_DEPTH)
            .map(|_| {
                device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("readback"),
                    size: slot_size,
                    usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                })
            })
            .collect();
        let geometry = |label, usage: wgpu::BufferUsages, size| {
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size,
                usage: usage | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        };
        FrameTargets {
            width,
            height,
            globals,
            target,
            target_view,
            depth_view,
            snapshot,
            grid: grid_texture(device, 256),
            vertices: geometry("vertices", wgpu::BufferUsages::VERTEX, 1 << 20),
            indices: geometry("indices", wgpu::BufferUsages::INDEX, 1 << 20),
            yuv_pipeline,
            yuv_bind,
            yuv_out,
            yuv_groups,
            slots,
            mesh: Mesh::default(),
        }
    }
}

/// Most glyph atlases (and, separately, most sets of frame targets) a [`DeviceResources`]
/// keeps for reuse: one per renderer alive at once is enough; more only holds memory.
const POOL_CAP: usize = 8;
/// Most fonts a [`GpuContext`] keeps resources for.
const FONTS_CACHED: usize = 4;

/// The shared part of [`DeviceResources`]: no [`GpuContext`] inside, so that the context's
/// own cache can hold it without a reference cycle.
pub(crate) struct Shared {
    pipelines: Arc<Pipelines>,
    atlases: Mutex<Vec<GlyphCache>>,
    targets: Mutex<Vec<FrameTargets>>,
}

impl Shared {
    fn new(pipelines: Arc<Pipelines>) -> Arc<Shared> {
        Arc::new(Shared {
            pipelines,
            atlases: Mutex::new(Vec::new()),
            targets: Mutex::new(Vec::new()),
        })
    }
}

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The pools hold plain values that are only pushed and popped; a panic elsewhere while
    // one was locked leaves them consistent.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Device-level rendering resources for one font: the shader modules, render and compute
/// pipelines and bind group layout (built once, shared by all renderers on the device), and
/// pools of glyph atlases and size-dependent frame targets that renderers take when they are
/// made and give back when they are dropped.
///
/// Cheap to clone (an `Arc`) and `Send + Sync`, like the wgpu objects inside.
///
/// **Glyph atlases and threads.** A glyph atlas is mutable state (rasterized glyphs are added
/// while a frame is tessellated, then uploaded), so it is never shared between renderers:
/// each [`FrameRenderer`] takes one atlas from the pool (or makes a new one) when it is made,
/// owns it alone while it lives, and returns it, with its texture and every cached glyph, when
/// it is dropped (after its last frame has completed on the GPU). Threads rendering at once
/// thus each hold their own atlas, and no lock is held while a frame is built; the pool's
/// mutex is touched only at renderer creation and drop. A renderer that hit an error returns
/// nothing to the pools.
///
/// **Determinism.** Which glyphs an atlas already holds, and where, changes only texel
/// addresses, never pixels: glyph bitmaps are sampled exactly (nearest, whole texels), and
/// every target is cleared each frame. A frame that finds a reused atlas too full for its
/// glyphs is retried once with the atlas cleared, so a reused renderer renders every frame a
/// fresh one can, byte for byte.
#[derive(Clone)]
pub struct DeviceResources {
    ctx: GpuContext,
    font: Font,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for DeviceResources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceResources")
            .field("font", &self.font)
            .field("atlases_pooled", &locked(&self.shared.atlases).len())
            .field("targets_pooled", &locked(&self.shared.targets).len())
            .finish_non_exhaustive()
    }
}

impl DeviceResources {
    /// Build new pipelines and empty pools for `font` on `ctx`, sharing nothing with earlier
    /// ones. [`GpuContext::resources`] returns cached ones instead, which is what
    /// [`FrameRenderer::new`] (and so [`crate::render_segment`]) uses.
    pub fn new(ctx: &GpuContext, font: &Font) -> Result<DeviceResources, RenderError> {
        let pipelines = ctx.scoped(|| Ok(Arc::new(Pipelines::new(ctx.device()))))?;
        Ok(DeviceResources {
            ctx: ctx.clone(),
            font: font.clone(),
            shared: Shared::new(pipelines),
        })
    }

    pub fn context(&self) -> &GpuContext {
        &self.ctx
    }

    /// The font text is drawn with.
    pub fn font(&self) -> &Font {
        &self.font
    }

    /// Drop the pooled glyph atlases and frame targets (renderers alive keep theirs).
    pub fn trim(&self) {
        locked(&self.shared.atlases).clear();
        locked(&self.shared.targets).clear();
    }
}

/// What identifies a font for the cache: its path and a fingerprint of its metrics and of a
/// few rasterized glyphs (two fonts read from the same path agree on all of these unless the
/// file changed, and then they differ in the fingerprint).
#[derive(Clone, PartialEq, Eq)]
struct FontKey {
    path: std::path::PathBuf,
    fingerprint: u64,
}

impl FontKey {
    fn of(font: &Font) -> FontKey {
        use std::hash::{Hash as _, Hasher as _};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        let mut glyphs = Vec::new();
        let width = font.layout("震g W5", 1000.0, &mut glyphs);
        for v in [font.baseline(1000.0), font.em(1000.0), width] {
            v.to_bits().hash(&mut h);
        }
        for g in glyphs {
            (g.id.0, g.x.to_bits()).hash(&mut h);
            if let Some(b) = font.rasterize(g.id, 24.0, 0.0) {
                (b.w, b.h, b.left, b.top).hash(&mut h);
                b.data.hash(&mut h);
            }
        }
        FontKey {
            path: font.path().to_path_buf(),
            fingerprint: h.finish(),
        }
    }
}

/// The per-[`GpuContext`] cache behind [`GpuContext::resources`]: the device's pipelines, and
/// pools per font (the most recently used [`FONTS_CACHED`] fonts).
#[derive(Default)]
pub(crate) struct ResourceCache {
    inner: Mutex<CacheInner>,
}

#[derive(Default)]
struct CacheInner {
    pipelines: Option<Arc<Pipelines>>,
    fonts: Vec<(FontKey, Arc<Shared>)>,
}

impl ResourceCache {
    /// The cached resources for `font` on `ctx` (whose cache this is), built on first use.
    /// Building happens under the cache's lock, so threads asking at once build them once.
    pub(crate) fn get(
        &self,
        ctx: &GpuContext,
        font: &Font,
    ) -> Result<DeviceResources, RenderError> {
        let key = FontKey::of(font);
        let mut inner = locked(&self.inner);
        let shared = if let Some(i) = inner.fonts.iter().position(|(k, _)| *k == key) {
            let entry = inner.fonts.remove(i);
            let shared = entry.1.clone();
            inner.fonts.push(entry);
            shared
        } else {
            let pipelines = match &inner.pipelines {
                Some(p) => p.clone(),
                None => {
                    let p = ctx.scoped(|| Ok(Arc::new(Pipelines::new(ctx.device()))))?;
                    inner.pipelines = Some(p.clone());
                    p
                }
            };
            let shared = Shared::new(pipelines);
            if inner.fonts.len() >= FONTS_CACHED {
                inner.fonts.remove(0);
            }
            inner.fonts.push((key, shared.clone()));
            shared
        };
        Ok(DeviceResources {
            ctx: ctx.clone(),
            font: font.clone(),
            shared,
        })
    }

    pub(crate) fn clear(&self) {
        *locked(&self.inner) = CacheInner::default();
    }
}

/// A value taken from one of [`Shared`]'s pools, given back when dropped unless
/// [`Pooled::discard`] was called.
struct Pooled<T: 'static> {
    /// `Some` until drop.
    item: Option<T>,
    give_back: bool,
    shared: Arc<Shared>,
    pool: fn(&Shared) -> &Mutex<Vec<T>>,
}

impl<T> Pooled<T> {
    /// The first pooled value that `fits`, or a new one from `make`.
    fn take(
        shared: &Arc<Shared>,
        pool: fn(&Shared) -> &Mutex<Vec<T>>,
        fits: impl Fn(&T) -> bool,
        make: impl FnOnce() -> T,
    ) -> Pooled<T> {
        let found = {
            let mut items = locked(pool(shared));
            items.iter().position(fits).map(|i| items.remove(i))
        };
        Pooled {
            item: Some(found.unwrap_or_else(make)),
            give_back: true,
            shared: shared.clone(),
            pool,
        }
    }

    /// Keep using the value, but drop it instead of giving it back.
    fn discard(&mut self) {
        self.give_back = false;
    }
}

impl<T> std::ops::Deref for Pooled<T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.item.as_ref().expect("pooled value present until drop")
    }
}

impl<T> std::ops::DerefMut for Pooled<T> {
    fn deref_mut(&mut self) -> &mut T {
        self.item.as_mut().expect("pooled value present until drop")
    }
}

impl<T> Drop for Pooled<T> {
    fn drop(&mut self) {
        if let Some(item) = self.item.take().filter(|_| self.give_back) {
            let mut items = locked((self.pool)(&self.shared));
            if items.len() >= POOL_CAP {
                items.remove(0);
            }
            items.push(item);
        }
    }
}

/// Renders draw lists of one size. Create one per worker thread; all may share a
/// [`GpuContext`].
///
/// **Static-prefix cache.** Consecutive frames of a map scene mostly start with the same
/// primitives (relief, borders, rivers, faults, earlier quakes) and differ only in what is
/// drawn over them (growing rings, labels fading in). When a frame's list starts with the
/// same primitives as the previous frame's, and that shared start is at least a third of the
/// frame's drawing, the renderer copies the frame as it stands after the shared start into a
/// texture; a later frame that starts with the same primitives begins from that texture and
/// draws only the rest. Pixels are the same as a full render, byte for byte: each part begins
/// a render pass with a cleared depth buffer, and depth only keeps a primitive from blending
/// over itself (`tests/golden_scenes.rs` compares every frame of a bulletin both ways). Holds its font (for text and for [`quakecast_scenes::TextMeasure`]), a
/// glyph atlas that persists across frames, and its frame targets; pipelines come from
/// [`DeviceResources`], and the atlas and targets go back to its pools when the renderer is
/// dropped, for the next renderer to reuse.
pub struct FrameRenderer {
    res: DeviceResources,
    width: u32,
    height: u32,
    glyphs: Pooled<GlyphCache>,
    targets: Pooled<FrameTargets>,
    draw_bind: wgpu::BindGroup,
    in_flight: VecDeque<InFlight>,
    /// The previous frame's clear colour and primitives: where the next frame's list starts
    /// the same way, that start is a static layer worth keeping.
    prev: Option<(Color, Vec<Prim>)>,
    /// The primitives (and clear colour) whose pixels `targets.snapshot` holds.
    prefix: Option<(Color, Vec<Prim>)>,
    prefix_cache: bool,
    stats: PrefixStats,
}

/// How often [`FrameRenderer`]'s static-prefix cache was used (see its documentation).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PrefixStats {
    /// Frames submitted.
    pub frames: u64,
    /// Frames that started from the stored prefix instead of the clear colour.
    pub restored: u64,
    /// Prefixes stored (one texture copy each).
    pub stored: u64,
    /// Primitives not drawn because the stored prefix held them.
    pub prims_skipped: u64,
}

/// How much drawing a primitive costs, roughly (vertices it makes): decides whether a shared
/// prefix is worth a snapshot.
fn weight(p: &Prim) -> u64 {
    match p {
        Prim::Polyline { points, .. } | Prim::Polygon { points, .. } => points.len() as u64 * 2,
        Prim::Shade { colors, .. } => colors.len() as u64,
        Prim::Text(t) => t.text.len() as u64 * 2,
        Prim::Clip(_) => 0,
        _ => 8,
    }
}

/// What [`FrameRenderer::encode`] draws of a list: from `base` (the stored prefix's length,
/// restored first, or 0), with a snapshot after primitive `snapshot_at` when one is taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PrefixPlan {
    restore: bool,
    base: usize,
    snapshot_at: Option<usize>,
}

fn padded_row(width: u32) -> u32 {
    (width * 4).div_ceil(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT) * wgpu::COPY_BYTES_PER_ROW_ALIGNMENT
}

fn yuv_words(width: u32, height: u32) -> u32 {
    (yuv420p_len(width, height) as u32).div_ceil(4)
}

fn atlas_texture(device: &wgpu::Device, atlas: &GlyphAtlas) -> wgpu::Texture {
    device.create_texture(&wgpu::TextureDescriptor {
        label: Some("glyph atlas"),
        size: wgpu::Extent3d {
            width: atlas.width,
            height: atlas.height,
            depth_or_array_layers: 1,
        },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format: wgpu::TextureFormat::R8Unorm,
        usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
        view_formats: &[],
    })
}

fn grid_texture(device: &wgpu::Device, rows: u32) -> wgpu::Texture {
    device.create_texture(&wgpu::TextureDescriptor {
        label: Some("grid colours"),
        size: wgpu::Extent3d {
            width: GRID_TEX_W,
            height: rows,
            depth_or_array_layers: 1,
        },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format: wgpu::TextureFormat::Rgba8Unorm,
        usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
        view_formats: &[],
    })
}

fn draw_bind(
    device: &wgpu::Device,
    layout: &wgpu::BindGroupLayout,
    globals: &wgpu::Buffer,
    atlas: &wgpu::Texture,
    grid: &wgpu::Texture,
) -> wgpu::BindGroup {
    device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some("draw"),
        layout,
        entries: &[
            wgpu::BindGroupEntry {
                binding: 0,
                resource: globals.as_entire_binding(),
            },
            wgpu::BindGroupEntry {
                binding: 1,
                resource: wgpu::BindingResource::TextureView(
                    &atlas.create_view(&Default::default()),
                ),
            },
            wgpu::BindGroupEntry {
                binding: 2,
                resource: wgpu::BindingResource::TextureView(
                    &grid.create_view(&Default::default()),
                ),
            },
        ],
    })
}

impl FrameRenderer {
    /// A renderer for `width × height` frames with `font`, on the resources `ctx` caches for
    /// that font ([`GpuContext::resources`]): pipelines are built on the device's first
    /// renderer only, and a glyph atlas and targets of this size left by a dropped renderer
    /// are reused.
    pub fn new(
        ctx: &GpuContext,
        width: u32,
        height: u32,
        font: &Font,
    ) -> Result<FrameRenderer, RenderError> {
        Self::check_size(ctx, width, height)?;
        let res = ctx.resources(font)?;
        Self::with_resources(&res, width, height)
    }

    /// A renderer for `width × height` frames on `res` (its device and font).
    pub fn with_resources(
        res: &DeviceResources,
        width: u32,
        height: u32,
    ) -> Result<FrameRenderer, RenderError> {
        let ctx = &res.ctx;
        Self::check_size(ctx, width, height)?;
        ctx.scoped(|| {
            let device = ctx.device();
            let shared = &res.shared;
            let glyphs = Pooled::take(shared, |s| &s.atlases, |_| true, || GlyphCache::new(device));
            let targets = Pooled::take(
                shared,
                |s| &s.targets,
                |t| (t.width, t.height) == (width, height),
                || FrameTargets::new(ctx, &shared.pipelines, width, height),
            );
            let draw_bind = draw_bind(
                device,
                &shared.pipelines.draw_layout,
                &targets.globals,
                &glyphs.texture,
                &targets.grid,
            );
            Ok(FrameRenderer {
                res: res.clone(),
                width,
                height,
                glyphs,
                targets,
                draw_bind,
                in_flight: VecDeque::new(),
                prev: None,
                prefix: None,
                prefix_cache: true,
                stats: PrefixStats::default(),
            })
        })
    }

    fn check_size(ctx: &GpuContext, width: u32, height: u32) -> Result<(), RenderError> {
        let max = ctx.device().limits().max_texture_dimension_2d;
        if width == 0 || height == 0 || width > max || height > max {
            return Err(RenderError::invalid(
                "frame size",
                format!("{width}x{height}: expected 1..={max} on each side"),
            ));
        }
        Ok(())
    }

    /// The device resources this renderer draws with (to make more renderers on them).
    pub fn resources(&self) -> &DeviceResources {
        &self.res
    }

    /// Give nothing back to the pools on drop: after a GPU error, the atlas texture or a
    /// readback buffer may be in an unknown state. The renderer itself stays usable.
    fn poison(&mut self) {
        self.glyphs.discard();
        self.targets.discard();
        self.prev = None;
        self.prefix = None;
    }

    /// Turn the static-prefix cache on (the default) or off; off draws every primitive of
    /// every frame (the same pixels, for tests and benches to compare).
    pub fn set_prefix_cache(&mut self, on: bool) {
        self.prefix_cache = on;
        if !on {
            self.prev = None;
            self.prefix = None;
        }
    }

    /// How often the static-prefix cache was used since this renderer was made.
    pub fn prefix_stats(&self) -> PrefixStats {
        self.stats
    }

    /// What to draw of `list`: restore the stored prefix when the list starts with it, and
    /// store a longer one when the list shares more with the previous frame and that shared
    /// part is at least a third of what is left to draw.
    fn plan(&self, list: &DrawList) -> PrefixPlan {
        let prims = &list.prims;
        if !self.prefix_cache {
            return PrefixPlan {
                restore: false,
                base: 0,
                snapshot_at: None,
            };
        }
        let base = match &self.prefix {
            Some((clear, p))
                if *clear == list.clear && prims.len() >= p.len() && prims[..p.len()] == p[..] =>
            {
                Some(p.len())
            }
            _ => None,
        };
        let restore = base.is_some();
        let base = base.unwrap_or(0);
        let shared = match &self.prev {
            Some((clear, p)) if *clear == list.clear => {
                p.iter().zip(prims).take_while(|(a, b)| a == b).count()
            }
            _ => 0,
        };
        let snapshot_at = (shared > base && shared < prims.len())
            .then(|| {
                let a: u64 = prims[base..shared].iter().map(weight).sum();
                let b: u64 = prims[shared..].iter().map(weight).sum();
                (a > 0 && a * 3 >= a + b).then_some(shared)
            })
            .flatten();
        PrefixPlan {
            restore,
            base,
            snapshot_at,
        }
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn height(&self) -> u32 {
        self.height
    }

    /// The font text is drawn (and should be measured) with.
    pub fn font(&self) -> &Font {
        &self.res.font
    }

    /// Frames submitted and not yet taken with [`FrameRenderer::next_frame`].
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Render one frame and read it back as tightly packed RGBA8 (straight sRGB values).
    /// The pipeline must be empty.
    pub fn render_rgba(&mut self, list: &DrawList) -> Result<Vec<u8>, RenderError> {
        self.render_one(list, Readback::Rgba)
    }

    /// Render one frame and read it back as I420 (BT.709 limited range), converted on the
    /// GPU. Width and height must be even. The pipeline must be empty.
    pub fn render_yuv420p(&mut self, list: &DrawList) -> Result<Vec<u8>, RenderError> {
        self.render_one(list, Readback::Yuv420p)
    }

    fn render_one(&mut self, list: &DrawList, format: Readback) -> Result<Vec<u8>, RenderError> {
        if !self.in_flight.is_empty() {
            return Err(RenderError::Pipeline(
                "render_rgba/render_yuv420p called with frames in flight; take them with next_frame first",
            ));
        }
        self.submit(list, format)?;
        self.next_frame()?
            .ok_or(RenderError::Pipeline("submitted frame vanished"))
    }

    /// Render every draw list of `lists` in order, handing each frame to `sink` in the same
    /// order, with up to [`PIPELINE_DEPTH`] frames in flight: the next draw list is built and
    /// rendered while the previous frame is read back and consumed.
    pub fn render_frames<I, F>(
        &mut self,
        lists: I,
        format: Readback,
        mut sink: F,
    ) -> Result<(), RenderError>
    where
        I: IntoIterator<Item = DrawList>,
        F: FnMut(Vec<u8>) -> Result<(), RenderError>,
    {
        let result = (|| {
            for list in lists {
                if self.in_flight.len() >= PIPELINE_DEPTH {
                    if let Some(frame) = self.next_frame()? {
                        sink(frame)?;
                    }
                }
                self.submit(&list, format)?;
            }
            while let Some(frame) = self.next_frame()? {
                sink(frame)?;
            }
            Ok(())
        })();
        if result.is_err() {
            self.discard_in_flight();
        }
        result
    }

    /// Drop frames in flight (after an error), leaving the renderer usable.
    pub fn discard_in_flight(&mut self) {
        while let Some(f) = self.in_flight.pop_front() {
            let _ = self.res.ctx.device().poll(wgpu::PollType::Wait {
                submission_index: Some(f.submission),
                timeout: None,
            });
            if let Ok(Ok(())) = f.mapped.try_recv() {
                self.targets.slots[f.slot].unmap();
            } else {
                // The buffer may still be mapping: don't hand it to another renderer.
                self.poison();
            }
        }
    }

    /// Queue `list` for rendering and readback as `format`; take the result, in submission
    /// order, with [`FrameRenderer::next_frame`]. At most [`PIPELINE_DEPTH`] frames may be in
    /// flight.
    pub fn submit(&mut self, list: &DrawList, format: Readback) -> Result<(), RenderError> {
        if (list.width, list.height) != (self.width, self.height) {
            return Err(RenderError::invalid(
                "draw list size",
                format!(
                    "{}x{}, but this renderer makes {}x{} frames",
                    list.width, list.height, self.width, self.height
                ),
            ));
        }
        if format == Readback::Yuv420p
            && (!self.width.is_multiple_of(2) || !self.height.is_multiple_of(2))
        {
            return Err(RenderError::invalid(
                "frame size",
                format!(
                    "{}x{}: yuv420p needs even width and height",
                    self.width, self.height
                ),
            ));
        }
        if self.in_flight.len() >= PIPELINE_DEPTH {
            return Err(RenderError::Pipeline(
                "submit with a full pipeline; take a frame with next_frame first",
            ));
        }
        let slot = (0..PIPELINE_DEPTH)
            .find(|s| self.in_flight.iter().all(|f| f.slot != *s))
            .ok_or(RenderError::Pipeline("no free readback buffer"))?;
        let ctx = self.res.ctx.clone();
        let plan = self.plan(list);
        let submission = match ctx.scoped(|| self.encode(list, plan, format, slot)) {
            Ok(s) => s,
            Err(e) => {
                if matches!(e, RenderError::Gpu { .. }) {
                    self.poison();
                }
                return Err(e);
            }
        };
        self.stats.frames += 1;
        if plan.restore {
            self.stats.restored += 1;
            self.stats.prims_skipped += plan.base as u64;
        }
        if let Some(k) = plan.snapshot_at {
            self.stats.stored += 1;
            self.prefix = Some((list.clear, list.prims[..k].to_vec()));
        }
        match &mut self.prev {
            _ if !self.prefix_cache => {}
            Some((clear, prims)) => {
                *clear = list.clear;
                prims.clone_from(&list.prims);
            }
            None => self.prev = Some((list.clear, list.prims.clone())),
        }
        let size = self.readback_size(format);
        let (tx, rx) = mpsc::sync_channel(1);
        self.targets.slots[slot].map_async(wgpu::MapMode::Read, 0..size, move |r| {
            let _ = tx.send(r);
        });
        self.in_flight.push_back(InFlight {
            slot,
            format,
            submission,
            mapped: rx,
        });
        Ok(())
    }

    fn readback_size(&self, format: Readback) -> u64 {
        match format {
            Readback::Rgba => u64::from(padded_row(self.width)) * u64::from(self.height),
            Readback::Yuv420p => u64::from(yuv_words(self.width, self.height)) * 4,
        }
    }

    /// Wait for the oldest frame in flight and return its bytes (`None` when none is).
    pub fn next_frame(&mut self) -> Result<Option<Vec<u8>>, RenderError> {
        let Some(f) = self.in_flight.pop_front() else {
            return Ok(None);
        };
        let out = self.read_back(f);
        if out.is_err() {
            self.poison();
        }
        out.map(Some)
    }

    fn read_back(&self, f: InFlight) -> Result<Vec<u8>, RenderError> {
        // Threads sharing one device poll it for each other: another thread's poll may be
        // running this buffer's callback when ours returns, so after polling, wait a moment for
        // the callback before polling again (up to MAP_TIMEOUT in all).
        let deadline = std::time::Instant::now() + MAP_TIMEOUT;
        let mapped = loop {
            match f.mapped.try_recv() {
                Ok(r) => break Some(r),
                Err(mpsc::TryRecvError::Disconnected) => break None,
                Err(mpsc::TryRecvError::Empty) => {
                    self.res
                        .ctx
                        .device()
                        .poll(wgpu::PollType::Wait {
                            submission_index: Some(f.submission.clone()),
                            timeout: None,
                        })
                        .map_err(poll_error)?;
                    match f.mapped.recv_timeout(std::time::Duration::from_millis(20)) {
                        Ok(r) => break Some(r),
                        Err(mpsc::RecvTimeoutError::Disconnected) => break None,
                        Err(mpsc::RecvTimeoutError::Timeout)
                            if std::time::Instant::now() >= deadline =>
                        {
                            break None
                        }
                        Err(mpsc::RecvTimeoutError::Timeout) => {}
                    }
                }
            }
        };
        let map_err = |message: String| RenderError::Gpu {
            kind: "readback",
            message,
            retryable: true,
        };
        match mapped {
            Some(Ok(())) => {}
            Some(Err(e)) => return Err(map_err(e.to_string())),
            None => {
                return Err(map_err(format!(
                    "buffer mapping did not complete within {} s",
                    MAP_TIMEOUT.as_secs()
                )))
            }
        }
        let buf = &self.targets.slots[f.slot];
        let size = self.readback_size(f.format);
        let out = {
            let view = buf
                .get_mapped_range(0..size)
                .map_err(|e| map_err(e.to_string()))?;
            match f.format {
                Readback::Rgba => {
                    let row = (self.width * 4) as usize;
                    let padded = padded_row(self.width) as usize;
                    let mut out = Vec::with_capacity(row * self.height as usize);
                    for r in view.chunks_exact(padded) {
                        out.extend_from_slice(&r[..row]);
                    }
                    out
                }
                Readback::Yuv420p => view[..yuv420p_len(self.width, self.height)].to_vec(),
            }
        };
        buf.unmap();
        Ok(out)
    }

    /// Tessellate, upload, record and submit one frame into readback slot `slot`, drawing
    /// what `plan` says (the stored prefix restored, a new one stored).
    fn encode(
        &mut self,
        list: &DrawList,
        plan: PrefixPlan,
        format: Readback,
        slot: usize,
    ) -> Result<wgpu::SubmissionIndex, RenderError> {
        let (w, h) = (self.width, self.height);
        let font = &self.res.font;
        let atlas = &mut self.glyphs.atlas;
        let mesh = &mut self.targets.mesh;
        let prims = &list.prims;
        // Passes in all, and the pass after which the snapshot is taken.
        let mut tessellate = |atlas: &mut GlyphAtlas| -> Result<(u32, Option<u32>), RenderError> {
            let end = plan.snapshot_at.unwrap_or(prims.len());
            let first = Tessellator::new(mesh, font, atlas, w, h)
                .run_part(&prims[..plan.base], &prims[plan.base..end])?;
            if plan.snapshot_at.is_none() {
                return Ok((first, None));
            }
            let all = Tessellator::resume(mesh, font, atlas, w, h, first)
                .run_part(&prims[..end], &prims[end..])?;
            Ok((all, Some(first - 1)))
        };
        atlas.begin_frame();
        let (passes, snapshot_after) = match tessellate(atlas) {
            // A reused atlas may be too full for this frame's glyphs where a fresh one is not:
            // start it over and build the frame again (glyph placement never shows in pixels).
            Err(RenderError::AtlasFull { .. }) if !atlas.is_empty() => {
                tracing::debug!(glyphs = atlas.len(), "glyph atlas full; reset and retry");
                atlas.reset();
                tessellate(atlas)?
            }
            other => other?,
        };
        let device = self.res.ctx.device().clone();
        let queue = self.res.ctx.queue().clone();
        let pipelines = &self.res.shared.pipelines;

        let mut rebind = false;
        // Glyphs rasterized this frame (the whole atlas when it grew).
        let glyphs = &mut *self.glyphs;
        if let Some((y0, y1)) = glyphs.atlas.take_dirty() {
            if glyphs.texture.height() != glyphs.atlas.height {
                glyphs.texture = atlas_texture(&device, &glyphs.atlas);
                rebind = true;
            }
            let y1 = y1.min(glyphs.atlas.height);
            if y1 > y0 {
                let w = glyphs.atlas.width;
                queue.write_texture(
                    wgpu::TexelCopyTextureInfo {
                        texture: &glyphs.texture,
                        mip_level: 0,
                        origin: wgpu::Origin3d { x: 0, y: y0, z: 0 },
                        aspect: wgpu::TextureAspect::All,
                    },
                    &glyphs.atlas.data[(y0 * w) as usize..(y1 * w) as usize],
                    wgpu::TexelCopyBufferLayout {
                        offset: 0,
                        bytes_per_row: Some(w),
                        rows_per_image: None,
                    },
                    wgpu::Extent3d {
                        width: w,
                        height: y1 - y0,
                        depth_or_array_layers: 1,
                    },
                );
            }
        }

        // The grids drawn as quads: their colours, the rows this frame uses.
        let t = &mut *self.targets;
        let rows = t.mesh.grid_rows;
        if rows > 0 {
            if t.grid.height() < rows {
                t.grid = grid_texture(&device, rows.next_power_of_two());
                rebind = true;
            }
            queue.write_texture(
                t.grid.as_image_copy(),
                bytemuck::cast_slice(&t.mesh.grid),
                wgpu::TexelCopyBufferLayout {
                    offset: 0,
                    bytes_per_row: Some(GRID_TEX_W * 4),
                    rows_per_image: None,
                },
                wgpu::Extent3d {
                    width: GRID_TEX_W,
                    height: rows,
                    depth_or_array_layers: 1,
                },
            );
        }

        if rebind {
            self.draw_bind = draw_bind(
                &device,
                &pipelines.draw_layout,
                &self.targets.globals,
                &glyphs.texture,
                &self.targets.grid,
            );
        }

        let t = &mut *self.targets;
        let vbytes: &[u8] = bytemuck::cast_slice(&t.mesh.verts);
        let ibytes: &[u8] = bytemuck::cast_slice(&t.mesh.indices);
        let grow = |buf: &mut wgpu::Buffer, need: usize, usage, label| {
            if need as u64 > buf.size() {
                *buf = device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some(label),
                    size: (need as u64).next_power_of_two(),
                    usage: usage | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                });
            }
        };
        grow(
            &mut t.vertices,
            vbytes.len(),
            wgpu::BufferUsages::VERTEX,
            "vertices",
        );
        grow(
            &mut t.indices,
            ibytes.len(),
            wgpu::BufferUsages::INDEX,
            "indices",
        );
        if !vbytes.is_empty() {
            queue.write_buffer(&t.vertices, 0, vbytes);
            queue.write_buffer(&t.indices, 0, ibytes);
        }

        let mut enc = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("frame"),
        });
        let c = list.clear;
        let whole = wgpu::Extent3d {
            width: w,
            height: h,
            depth_or_array_layers: 1,
        };
        let copy = |enc: &mut wgpu::CommandEncoder, from: &wgpu::Texture, to: &wgpu::Texture| {
            enc.copy_texture_to_texture(from.as_image_copy(), to.as_image_copy(), whole)
        };
        if plan.restore {
            copy(&mut enc, &t.snapshot, &t.target);
        }
        for pass in 0..passes {
            if pass > 0 && snapshot_after == Some(pass - 1) {
                copy(&mut enc, &t.target, &t.snapshot);
            }
            let load = if pass == 0 && !plan.restore {
                wgpu::LoadOp::Clear(wgpu::Color {
                    r: f64::from(c.r),
                    g: f64::from(c.g),
                    b: f64::from(c.b),
                    a: f64::from(c.a),
                })
            } else {
                wgpu::LoadOp::Load
            };
            let mut rp = enc.begin_render_pass(&wgpu::RenderPassDescriptor {
                label: Some("draw"),
                color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                    view: &t.target_view,
                    depth_slice: None,
                    resolve_target: None,
                    ops: wgpu::Operations {
                        load,
                        store: wgpu::StoreOp::Store,
                    },
                })],
                depth_stencil_attachment: Some(wgpu::RenderPassDepthStencilAttachment {
                    view: &t.depth_view,
                    depth_ops: Some(wgpu::Operations {
                        load: wgpu::LoadOp::Clear(1.0),
                        store: wgpu::StoreOp::Discard,
                    }),
                    stencil_ops: None,
                }),
                timestamp_writes: None,
                occlusion_query_set: None,
                multiview_mask: None,
            });
            let batches: Vec<_> = t.mesh.batches.iter().filter(|b| b.pass == pass).collect();
            if batches.is_empty() {
                continue;
            }
            rp.set_pipeline(&pipelines.draw_pipeline);
            rp.set_bind_group(0, &self.draw_bind, &[]);
            rp.set_vertex_buffer(0, t.vertices.slice(..vbytes.len() as u64));
            rp.set_index_buffer(
                t.indices.slice(..ibytes.len() as u64),
                wgpu::IndexFormat::Uint32,
            );
            let mut kind = BatchKind::Blend;
            for b in batches {
                if b.kind != kind {
                    kind = b.kind;
                    rp.set_pipeline(match kind {
                        BatchKind::Blend => &pipelines.draw_pipeline,
                        BatchKind::Opaque => &pipelines.opaque_pipeline,
                        BatchKind::Grid => &pipelines.grid_pipeline,
                    });
                }
                let [x, y, w, h] = b.scissor;
                rp.set_scissor_rect(x, y, w, h);
                rp.draw_indexed(b.indices.clone(), 0, 0..1);
            }
        }

        let slot_buf = &t.slots[slot];
        match format {
            Readback::Rgba => enc.copy_texture_to_buffer(
                wgpu::TexelCopyTextureInfo {
                    texture: &t.target,
                    mip_level: 0,
                    origin: wgpu::Origin3d::ZERO,
                    aspect: wgpu::TextureAspect::All,
                },
                wgpu::TexelCopyBufferInfo {
                    buffer: slot_buf,
                    layout: wgpu::TexelCopyBufferLayout {
                        offset: 0,
                        bytes_per_row: Some(padded_row(self.width)),
                        rows_per_image: None,
                    },
                },
                wgpu::Extent3d {
                    width: self.width,
                    height: self.height,
                    depth_or_array_layers: 1,
                },
            ),
            Readback::Yuv420p => {
                {
                    let mut cp = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                        label: Some("yuv"),
                        timestamp_writes: None,
                    });
                    cp.set_pipeline(&t.yuv_pipeline);
                    cp.set_bind_group(0, &t.yuv_bind, &[]);
                    cp.dispatch_workgroups(t.yuv_groups.0, t.yuv_groups.1, 1);
                }
                enc.copy_buffer_to_buffer(
                    &t.yuv_out,
                    0,
                    slot_buf,
                    0,
                    u64::from(yuv_words(w, h)) * 4,
                );
            }
        }
        Ok(queue.submit([enc.finish()]))
    }
}

impl Drop for FrameRenderer {
    fn drop(&mut self) {
        self.discard_in_flight();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readback_rows_are_padded_to_256_bytes() {
        assert_eq!(padded_row(180), 768);
        assert_eq!(padded_row(720), 3072);
        assert_eq!(padded_row(64), 256);
        assert_eq!(yuv_words(720, 1280), 720 * 1280 * 3 / 2 / 4);
        assert_eq!(yuv_words(2, 2), 2, "6 bytes round up to two words");
    }
}
