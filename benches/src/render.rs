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

/// The Luding M6.8 bulletin's scenes, one frame late in each, with the map layers a bulletin
/// gets by default (relief, county borders and names, faults, earlier quakes from the bundled
/// ISC catalogue, oriented intensity ellipses) and without them (the maps as they were before
/// those layers: land, provinces, borders, circles): what the layers cost per frame, in draw
/// list time (scenes, CPU) and render + readback time (wgpu).
pub struct SceneBench {
    pub renderer: FrameRenderer,
    pub font: Font,
    pub full: (quakecast_scenes::Storyboard, quakecast_facts::Assets),
    pub plain: (quakecast_scenes::Storyboard, quakecast_facts::Assets),
}

impl SceneBench {
    pub fn new() -> Self {
        use quakecast_facts::{Facts, LayerKind};
        use quakecast_scenes::{RenderSettings, Storyboard, Theme};
        let gpu = GpuContext::new(AdapterPolicy { allow_cpu: true }).expect("a wgpu adapter");
        let font = Font::load(None).expect("fonts-wqy-microhei");
        let renderer = FrameRenderer::new(&gpu, WIDTH, HEIGHT, &font).expect("renderer");
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../scenes/tests/corpus/09-luding-2022-cenc-record-official.json");
        let e = quakecast_facts::parse_report(&std::fs::read(path).expect("corpus"))
            .expect("Luding report");
        let settings = RenderSettings {
            width: WIDTH,
            height: HEIGHT,
            fps: 30,
        };
        let theme = Theme::default();
        let full_assets = quakecast_testkit::assets().clone();
        let catalog = quakecast_testkit::bundled_catalog().for_event(&e);
        let full_facts = Facts::compute(&e, &full_assets, Some(&catalog));
        let mut plain_assets = full_assets.clone();
        plain_assets.relief = None;
        plain_assets.faults.clear();
        plain_assets.map.layers.retain(|l| {
            !matches!(
                l.kind,
                Some(LayerKind::County | LayerKind::Fault | LayerKind::River | LayerKind::Lake)
            )
        });
        plain_assets.regions.counties.clear();
        let mut plain_facts = Facts::compute(&e, &plain_assets, None);
        // The history scene as it was: its facts without the dots.
        let mut h = full_facts.history.clone();
        if let Some(h) = h.as_mut() {
            h.dots.clear();
        }
        plain_facts.history = h;
        let full = Storyboard::compose(&e, &full_facts, &theme, settings, &[]);
        let plain = Storyboard::compose(&e, &plain_facts, &theme, settings, &[]);
        Self {
            renderer,
            font,
            full: (full, full_assets),
            plain: (plain, plain_assets),
        }
    }

    /// The frame number late in `kind`'s scene (everything faded in).
    pub fn frame_of(&self, full: bool, kind: quakecast_scenes::SceneKind) -> Option<u32> {
        let sb = if full { &self.full.0 } else { &self.plain.0 };
        let span = sb.scenes.iter().find(|s| s.kind == kind)?;
        Some(span.start + span.frames - 12)
    }

    /// The draw list of frame `n`.
    pub fn list(&self, full: bool, n: u32) -> DrawList {
        let (sb, assets) = if full { &self.full } else { &self.plain };
        sb.frame(n, assets, &self.font)
    }

    /// Render and read back one list; returns its size.
    pub fn render(&mut self, list: &DrawList) -> usize {
        self.renderer.render_yuv420p(list).expect("frame").len()
    }
}

impl Default for SceneBench {
    fn default() -> Self {
        Self::new()
    }
}

impl Default for RenderBench {
    fn default() -> Self {
        Self::new()
    }
}
