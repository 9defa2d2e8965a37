//! Command-line flags → a validated render configuration, before any work starts.
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use quakecast_scenes::{AdapterPolicy, EncodeSettings, RenderSettings};

use crate::bulletin::Content;
use crate::render::RenderEnvSpec;

/// What the bulletin shows beyond the report: theme and catalogue files (`render`, `serve`).
#[derive(Args, Clone, Debug, Default)]
pub struct ContentArgs {
    /// Theme file (JSON: colours, font sizes, scene lengths, scenes per magnitude band); see
    /// scenes/themes/default.json and night.json. Default: the built-in day theme.
    #[arg(long, env = "QUAKECAST_THEME")]
    pub theme: Option<PathBuf>,
    /// Earthquake catalogue for the recent-seismicity scene (FDSN text, e.g. an FDSN
    /// `format=text` export, or a USGS CSV). Default: the bundled ISC Bulletin extract
    /// (data/catalog, M3.5 and above); `none` leaves the scene out.
    #[arg(long, env = "QUAKECAST_CATALOG")]
    pub catalog: Option<PathBuf>,
    /// Elevation model for the mean elevation within 5 km of the epicentre: an ESRI ASCII grid
    /// (.asc, geographic degrees) or an SRTM .hgt tile (docs/elevation.md). Default: the
    /// bundled ETOPO5 grid (data/dem, 5′ ≈ 9 km, interpolated); `none` leaves the fact out.
    #[arg(long, env = "QUAKECAST_DEM")]
    pub dem: Option<PathBuf>,
    /// Narration and subtitle language: auto (Mandarin for CENC reports and Chinese place
    /// names, English otherwise), zh-CN or en-US. Overrides the theme's `lang`.
    #[arg(long, env = "QUAKECAST_LANG", default_value = "auto")]
    pub lang: String,
    /// County profile file (JSON, keyed by county code or name) for the introduction of the
    /// epicentral area on the places card (docs/area.md). Default: none, nothing is said.
    #[arg(long, env = "QUAKECAST_AREA_INFO")]
    pub area_info: Option<PathBuf>,
    /// Weather service asked for the weather at the epicentre (`GET URL?lat=&lon=&time=`,
    /// answering `{"zh", "en", "source"}`; 2 s timeout, left out when it fails; docs/area.md).
    /// Default: none.
    #[arg(long, env = "QUAKECAST_WEATHER_URL")]
    pub weather_url: Option<String>,
    /// Material library: a directory with `tags.json` and the images, clips and music beds it
    /// lists, matched to each event by the theme's rules (docs/materials.md). Default: the
    /// generated set of relief pictures (data/materials/default); `none`: plain backgrounds
    /// and synthesized music.
    #[arg(long, env = "QUAKECAST_MATERIALS")]
    pub materials: Option<PathBuf>,
}

impl ContentArgs {
    /// Read and check the files now, so that a bad file stops the command before any work.
    pub fn load(&self) -> anyhow::Result<Content> {
        use quakecast_facts::lang::Lang;
        let lang = match self.lang.as_str() {
            "" | "auto" => None,
            "zh" | "zh-CN" => Some(Lang::Zh),
            "en" | "en-US" => Some(Lang::En),
            other => anyhow::bail!("--lang {other:?}: expected auto, zh-CN or en-US"),
        };
        let none = |p: &Option<PathBuf>| p.as_ref().is_some_and(|p| p.as_os_str() == "none");
        let mut content = Content::load(
            self.theme.as_deref(),
            real_file(&self.catalog),
            real_file(&self.dem),
        )
        .map_err(|e| {
            let is = |p: &Option<PathBuf>, path: &str| {
                p.as_ref().is_some_and(|c| c.display().to_string() == path)
            };
            let flag = match &e {
                crate::Error::Data { path, .. } if is(&self.catalog, path) => "--catalog",
                crate::Error::Data { path, .. } if is(&self.dem, path) => "--dem",
                _ => "--theme",
            };
            anyhow::anyhow!("{flag}: {e}")
        })?;
        if lang.is_some() {
            content.theme.lang = lang;
        }
        if let Some(p) = &self.area_info {
            let info =
                crate::area::AreaInfo::load(p).map_err(|e| anyhow::anyhow!("--area-info: {e}"))?;
            content.area_info = Some(Arc::new(info));
        }
        if let Some(u) = self.weather_url.as_deref().filter(|u| !u.trim().is_empty()) {
            content.weather =
                Some(crate::area::WeatherService::new(u).map_err(|e| anyhow::anyhow!("{e}"))?);
        }
        if let Some(dir) = real_file(&self.materials) {
            let lib = crate::materials::MaterialLibrary::load(dir)
                .map_err(|e| anyhow::anyhow!("--materials: {e}"))?;
            content.materials = Some(Arc::new(lib));
        }
        content.materials_off = none(&self.materials);
        let content = content.with_bundled(
            &crate::assets::default_data_dir(),
            !none(&self.catalog),
            !none(&self.dem),
        );
        Ok(content)
    }
}

/// A content flag's file, unless it is the word `none`.
fn real_file(p: &Option<PathBuf>) -> Option<&std::path::Path> {
    p.as_deref().filter(|p| p.as_os_str() != "none")
}

/// What to render and how.
#[derive(Clone, Debug)]
pub struct RenderRequest {
    pub settings: RenderSettings,
    /// Upper bound on the number of segments (each at least one second long).
    pub segments: u32,
    /// Local worker threads rendering segments concurrently.
    pub workers: u32,
    pub encode: EncodeSettings,
    /// Voice-over, music and subtitles (burned in + SRT/WebVTT sidecars). Off: a silent video
    /// with the theme's scene lengths.
    pub audio: bool,
    /// Theme and catalogue (`--theme`, `--catalog`).
    pub content: Arc<Content>,
}

/// Where the data and font come from and which adapters are acceptable: declared once, flattened
/// into `render`/`demo` ([`RenderFlags`]) and `serve`/`worker` (the farm's common flags).
#[derive(Args, Clone, Debug, Default)]
pub struct GpuFlags {
    /// Data directory filled by scripts/setup.sh (map data, gazetteer).
    #[arg(long, env = "QUAKECAST_DATA")]
    pub data: Option<PathBuf>,
    /// Font file (TTF/TTC) with CJK glyphs.
    #[arg(long, env = "QUAKECAST_FONT")]
    pub font: Option<PathBuf>,
    /// Refuse a CPU (software) adapter: production GPU workers set this.
    #[arg(long, env = "QUAKECAST_REQUIRE_GPU")]
    pub require_gpu: bool,
}

impl GpuFlags {
    /// `--data`, else [`crate::assets::default_data_dir`].
    pub fn data_dir(&self) -> PathBuf {
        self.data
            .clone()
            .unwrap_or_else(crate::assets::default_data_dir)
    }

    /// The adapter policy `--require-gpu` asks for.
    pub fn adapter(&self) -> AdapterPolicy {
        AdapterPolicy {
            allow_cpu: !self.require_gpu,
        }
    }

    /// The render environment these flags ask for (`data`: the data directory to use).
    pub fn spec(&self, data: PathBuf) -> RenderEnvSpec {
        RenderEnvSpec {
            data,
            font: self.font.clone(),
            adapter: self.adapter(),
        }
    }
}

/// Flags shared by every command that renders.
#[derive(Args, Clone, Debug)]
pub struct RenderFlags {
    /// Output directory (the local object store's root).
    #[arg(long, env = "QUAKECAST_OUT", default_value = "out")]
    pub out: PathBuf,
    /// Frame size: 720x1280 (default) or 1080x1920.
    #[arg(long, env = "QUAKECAST_SIZE", default_value = "720x1280")]
    pub size: String,
    /// Frames per second.
    #[arg(long, env = "QUAKECAST_FPS", default_value_t = 30)]
    pub fps: u32,
    /// Maximum number of segments the bulletin is split into (each ≥ 1 s).
    #[arg(long, env = "QUAKECAST_SEGMENTS", default_value_t = 4)]
    pub segments: u32,
    /// Local worker threads rendering segments at once.
    #[arg(long, env = "QUAKECAST_RENDER_THREADS", default_value_t = 2)]
    pub workers: u32,
    /// x264 preset (every segment uses the same one, so joins need no re-encode).
    #[arg(long, env = "QUAKECAST_X264_PRESET", default_value = "veryfast")]
    pub preset: String,
    /// x264 constant rate factor (lower is better quality).
    #[arg(long, env = "QUAKECAST_CRF", default_value_t = 20)]
    pub crf: u32,
    #[command(flatten)]
    pub gpu: GpuFlags,
    /// No voice-over, music or subtitles (a silent video with default scene lengths).
    #[arg(long, env = "QUAKECAST_NO_AUDIO")]
    pub no_audio: bool,
    /// Audience index (`quakecast audience index`) for the heat layer of this platform's
    /// located users on the places map (H3 cells of ≥10 users, never individuals). Default:
    /// none, no heat layer. (`serve` uses its own `--audience-index` for this too.)
    #[arg(long, env = "QUAKECAST_AUDIENCE_INDEX")]
    pub audience_index: Option<PathBuf>,
    #[command(flatten)]
    pub content: ContentArgs,
}

/// A validated configuration.
#[derive(Clone, Debug)]
pub struct RenderConfig {
    pub out: PathBuf,
    pub request: RenderRequest,
    /// Map data, font and adapter policy.
    pub env: RenderEnvSpec,
}

const PRESETS: &[&str] = &[
    "ultrafast",
    "superfast",
    "veryfast",
    "faster",
    "fast",
    "medium",
    "slow",
    "slower",
    "veryslow",
];

impl RenderFlags {
    pub fn validate(&self) -> anyhow::Result<RenderConfig> {
        let (width, height) = match self.size.as_str() {
            "720x1280" => (720, 1280),
            "1080x1920" => (1080, 1920),
            other => {
                let parsed = other
                    .split_once('x')
                    .and_then(|(w, h)| Some((w.parse::<u32>().ok()?, h.parse::<u32>().ok()?)));
                match parsed {
                    // Any even 9:16 size works; the named ones are the supported defaults.
                    Some((w, h)) if w % 2 == 0 && h % 2 == 0 && w * 16 == h * 9 && w >= 180 => (w, h),
                    _ => anyhow::bail!(
                        "--size {other:?}: expected 720x1280, 1080x1920 or another even 9:16 size like 360x640"
                    ),
                }
            }
        };
        anyhow::ensure!(
            (1..=120).contains(&self.fps),
            "--fps {}: expected 1..=120",
            self.fps
        );
        anyhow::ensure!(
            (1..=64).contains(&self.segments),
            "--segments {}: expected 1..=64",
            self.segments
        );
        anyhow::ensure!(
            (1..=64).contains(&self.workers),
            "--workers {}: expected 1..=64",
            self.workers
        );
        anyhow::ensure!(
            PRESETS.contains(&self.preset.as_str()),
            "--preset {:?}: expected one of {}",
            self.preset,
            PRESETS.join(", ")
        );
        anyhow::ensure!(self.crf <= 51, "--crf {}: expected 0..=51", self.crf);
        let settings = RenderSettings {
            width,
            height,
            fps: self.fps,
        };
        Ok(RenderConfig {
            out: self.out.clone(),
            request: RenderRequest {
                settings,
                segments: self.segments,
                workers: self.workers,
                encode: EncodeSettings {
                    preset: self.preset.clone(),
                    crf: self.crf,
                    ..EncodeSettings::new(width, height, self.fps)
                },
                audio: !self.no_audio,
                content: std::sync::Arc::new(self.content.load()?),
            },
            env: self.gpu.spec(self.gpu.data_dir()),
        })
    }
}
