//! The sample bulletin end to end, against the encode floor.
//!
//! The floor is what ffmpeg alone needs to encode the same number of raw yuv420p frames at the same
//! settings (frames already in memory, piped to the same encoder). The ratio e2e / floor says how
//! much rendering, readback, scene building and stitching add on top of the encoder that any
//! design must pay. The end-to-end run includes the voice-over and music (speech synthesis, mix,
//! AAC) and the stitch; the floor is video only. Both are measured back to back in one process,
//! alternating, so the ratio is robust to the machine's noise.
//!
//! The bulletin is the CENC record of the Luding M6.8 (`scenes/samples/`) with the content a
//! user gets from `quakecast render` without flags: the bundled catalogue, elevation grid and
//! default material set ([`ContentArgs::load`]).

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

use quakecast_core::config::ContentArgs;
use quakecast_core::store::LocalDirStore;
use quakecast_pipeline::{render_bulletin, RenderEnv, RenderRequest};
use quakecast_renderer::{AdapterPolicy, EncodeSettings, Font, FrameRenderer, GpuContext};
use quakecast_scenes::RenderSettings;

/// The report the bench renders: the CENC record of the 2022 Luding M6.8.
pub const LUDING: &[u8] = include_bytes!("../../scenes/samples/cenc-record-2022-09-05-luding.json");

pub struct E2e {
    pub env: RenderEnv,
    pub request: RenderRequest,
    /// Every frame of the sample, pre-rendered as yuv420p, for the floor measurement.
    frames: Vec<Vec<u8>>,
}

impl E2e {
    pub fn new(settings: RenderSettings, segments: u32, workers: u32, preset: &str) -> Self {
        let gpu = GpuContext::new(AdapterPolicy { allow_cpu: true }).expect("adapter");
        let env = RenderEnv {
            gpu: Arc::new(gpu),
            font: Arc::new(Font::load(None).expect("font")),
            assets: Arc::new(
                quakecast_core::assets::load_assets(&quakecast_core::assets::default_data_dir())
                    .expect("data: run scripts/setup.sh"),
            ),
        };
        let request = RenderRequest {
            settings,
            segments,
            workers,
            encode: EncodeSettings {
                preset: preset.to_string(),
                ..EncodeSettings::new(settings.width, settings.height, settings.fps)
            },
            audio: true,
            content: Arc::new(
                ContentArgs::default()
                    .load()
                    .expect("default content: run scripts/setup.sh"),
            ),
        };
        // The storyboard as the pipeline builds it (scene lengths from the measured speech,
        // subtitles burned in), so the floor encodes exactly the frames the bulletin has.
        let sb = {
            let dir = tempfile::tempdir().expect("tempdir");
            let store = LocalDirStore::new(dir.path().join("store")).expect("store");
            render_bulletin(
                &env,
                LUDING,
                &request,
                &store,
                &dir.path().join("work"),
                &|_| {},
            )
            .expect("render")
            .storyboard
        };
        let mut fr = FrameRenderer::new(&env.gpu, settings.width, settings.height, &env.font)
            .expect("renderer");
        let frames = (0..sb.total_frames)
            .map(|n| {
                fr.render_yuv420p(&sb.frame(n, &env.assets, env.font.as_ref()))
                    .expect("frame")
            })
            .collect();
        Self {
            env,
            request,
            frames,
        }
    }

    pub fn frames(&self) -> usize {
        self.frames.len()
    }

    /// Webhook-less end to end: report bytes → stitched MP4 in a local store. Seconds.
    pub fn run_e2e(&self) -> f64 {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = LocalDirStore::new(dir.path().join("store")).expect("store");
        let t = Instant::now();
        render_bulletin(
            &self.env,
            LUDING,
            &self.request,
            &store,
            &dir.path().join("work"),
            &|_| {},
        )
        .expect("render");
        t.elapsed().as_secs_f64()
    }

    /// ffmpeg alone: the same frames, the same encoder settings, to a file. Seconds.
    pub fn run_floor(&self) -> f64 {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = &self.request.settings;
        let t = Instant::now();
        let mut child = Command::new(quakecast_core::media::ffmpeg_path())
            .args([
                "-hide_banner",
                "-loglevel",
                "error",
                "-y",
                "-f",
                "rawvideo",
                "-pix_fmt",
                "yuv420p",
            ])
            .args([
                "-s",
                &format!("{}x{}", s.width, s.height),
                "-r",
                &s.fps.to_string(),
                "-i",
                "-",
            ])
            .args(["-c:v", "libx264", "-preset", &self.request.encode.preset])
            .args([
                "-crf",
                &self.request.encode.crf.to_string(),
                "-pix_fmt",
                "yuv420p",
            ])
            .arg(dir.path().join("floor.mp4"))
            .stdin(Stdio::piped())
            .spawn()
            .expect("ffmpeg");
        {
            let mut stdin = child.stdin.take().expect("stdin");
            for f in &self.frames {
                stdin.write_all(f).expect("pipe");
            }
        }
        assert!(child.wait().expect("wait").success());
        t.elapsed().as_secs_f64()
    }
}

/// Alternate `runs` end-to-end and floor runs; returns (median e2e, median floor, ratio).
pub fn ratio(e: &E2e, runs: usize) -> (f64, f64, f64) {
    let mut a = Vec::new();
    let mut b = Vec::new();
    for _ in 0..runs.max(1) {
        a.push(e.run_e2e());
        b.push(e.run_floor());
    }
    let med = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (ma, mb) = (med(&mut a), med(&mut b));
    (ma, mb, ma / mb)
}
