//! Where a bulletin's render time goes, per scene: `cargo run -p quakecast-benches --example
//! scene_profile [REPORT]` (default: the CENC Luding record, 720x1280, default content as the
//! CLI loads it). Prints per scene the frames, the distinct consecutive draw lists, the share
//! of each list that equals the start of the previous one (what a cached static prefix can
//! skip), and the render + readback time of the distinct lists with the static-prefix cache
//! off and on; before that, the cost of the segment content key over all frames.
//! `QC_KEY_ONLY=1` stops after the key; `QC_SPLIT_SHADE=1` also times each scene's shaded
//! grids alone, the rest alone and empty frames.
use std::sync::Arc;
use std::time::Instant;

use quakecast_core::config::ContentArgs;
use quakecast_core::store::LocalDirStore;
use quakecast_pipeline::{render_bulletin, RenderEnv, RenderRequest};
use quakecast_renderer::{
    AdapterPolicy, EncodeSettings, Font, FrameRenderer, GpuContext, Readback,
};
use quakecast_scenes::{DrawList, Prim, RenderSettings};

fn weight(p: &Prim) -> usize {
    match p {
        Prim::Polyline { points, .. } | Prim::Polygon { points, .. } => points.len(),
        Prim::Shade { colors, .. } => colors.len(),
        Prim::Text(t) => t.text.chars().count() * 4,
        _ => 4,
    }
}

fn common(a: &DrawList, b: &DrawList) -> usize {
    if a.clear != b.clear {
        return 0;
    }
    a.prims
        .iter()
        .zip(&b.prims)
        .take_while(|(x, y)| x == y)
        .count()
}

fn main() {
    let report = std::env::args().nth(1).unwrap_or_else(|| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../scenes/samples/cenc-record-2022-09-05-luding.json"
        )
        .to_string()
    });
    let bytes = std::fs::read(&report).expect("report");
    let settings = RenderSettings::default();
    let gpu = GpuContext::new(AdapterPolicy { allow_cpu: true }).expect("adapter");
    let env = RenderEnv {
        gpu: Arc::new(gpu),
        font: Arc::new(Font::load(None).expect("font")),
        assets: Arc::new(
            quakecast_core::assets::load_assets(&quakecast_core::assets::default_data_dir())
                .expect("data: run scripts/setup.sh"),
        ),
    };
    let content = ContentArgs::default().load().expect("content");
    let request = RenderRequest {
        settings,
        segments: 1,
        workers: 1,
        encode: EncodeSettings {
            preset: "veryfast".into(),
            ..EncodeSettings::new(settings.width, settings.height, settings.fps)
        },
        audio: true,
        content: Arc::new(content),
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let store = LocalDirStore::new(dir.path().join("store")).expect("store");
    let t = Instant::now();
    let out = render_bulletin(
        &env,
        &bytes,
        &request,
        &store,
        &dir.path().join("work"),
        &|_| {},
    )
    .expect("render");
    println!("render_bulletin: {:.2} s", t.elapsed().as_secs_f64());
    let sb = out.storyboard;
    let t = Instant::now();
    let key = quakecast_core::render::segment_content_key(
        "profile",
        &request.encode,
        (0..sb.total_frames).map(|n| sb.frame(n, &env.assets, env.font.as_ref())),
    );
    println!(
        "segment content key over all {} frames: {:.2} s ({})",
        sb.total_frames,
        t.elapsed().as_secs_f64(),
        &key[..12]
    );
    // What the key cost when the lists were hashed as JSON: the same lists written as JSON
    // into a sink that only counts bytes (SHA-256 of them would come on top).
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0 += b.len();
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let t = Instant::now();
    let mut json = Count(0);
    let (mut raw, mut buf) = (0usize, Vec::new());
    let mut json_secs = 0.0;
    for n in 0..sb.total_frames {
        let l = sb.frame(n, &env.assets, env.font.as_ref());
        let tj = Instant::now();
        serde_json::to_writer(&mut json, &l).expect("json");
        json_secs += tj.elapsed().as_secs_f64();
        buf.clear();
        quakecast_core::rawser::append(&l, &mut buf).expect("raw");
        raw += buf.len();
    }
    println!(
        "draw lists as JSON: {} MB, written in {json_secs:.2} s; as the key's raw bytes: {} MB \
         ({:.2} s for building, JSON and raw)",
        json.0 >> 20,
        raw >> 20,
        t.elapsed().as_secs_f64()
    );
    if std::env::var_os("QC_KEY_ONLY").is_some() {
        return;
    }
    let mut plain =
        FrameRenderer::new(&env.gpu, settings.width, settings.height, &env.font).expect("renderer");
    plain.set_prefix_cache(false);
    let mut fr =
        FrameRenderer::new(&env.gpu, settings.width, settings.height, &env.font).expect("renderer");
    let (mut total, mut total_plain) = (0.0, 0.0);
    for span in &sb.scenes {
        let t = Instant::now();
        let lists: Vec<DrawList> = (span.start..span.start + span.frames)
            .map(|n| sb.frame(n, &env.assets, env.font.as_ref()))
            .collect();
        let build = t.elapsed().as_secs_f64();
        let mut distinct = Vec::new();
        let (mut shared_w, mut all_w, mut shared_p, mut all_p) = (0usize, 0usize, 0usize, 0usize);
        for (i, l) in lists.iter().enumerate() {
            if i > 0 && *l == lists[i - 1] {
                continue;
            }
            let k = if i > 0 { common(l, &lists[i - 1]) } else { 0 };
            shared_w += l.prims[..k].iter().map(weight).sum::<usize>();
            all_w += l.prims.iter().map(weight).sum::<usize>();
            shared_p += k;
            all_p += l.prims.len();
            distinct.push(l.clone());
        }
        let n = distinct.len();
        if std::env::var_os("QC_SPLIT_SHADE").is_some() {
            let is_shade = |p: &Prim| matches!(p, Prim::Shade { .. });
            let only: Vec<DrawList> = distinct
                .iter()
                .map(|l| DrawList {
                    prims: l.prims.iter().filter(|p| is_shade(p)).cloned().collect(),
                    ..l.clone()
                })
                .collect();
            let without: Vec<DrawList> = distinct
                .iter()
                .map(|l| DrawList {
                    prims: l.prims.iter().filter(|p| !is_shade(p)).cloned().collect(),
                    ..l.clone()
                })
                .collect();
            let empty: Vec<DrawList> = distinct
                .iter()
                .map(|l| DrawList {
                    prims: Vec::new(),
                    ..l.clone()
                })
                .collect();
            let coarse: Vec<DrawList> = only
                .iter()
                .map(|l| DrawList {
                    prims: l
                        .prims
                        .iter()
                        .map(|p| match p {
                            Prim::Shade { rect, colors, .. } => Prim::Shade {
                                rect: *rect,
                                cols: 2,
                                rows: 2,
                                colors: colors[..4].to_vec(),
                            },
                            other => other.clone(),
                        })
                        .collect(),
                    ..l.clone()
                })
                .collect();
            for (what, lists) in [
                ("shade only", only),
                ("shade only, 2x2 grid", coarse),
                ("without shade", without),
                ("empty", empty),
            ] {
                let t = Instant::now();
                plain
                    .render_frames(lists, Readback::Yuv420p, |_| Ok(()))
                    .expect("frames");
                println!(
                    "  {what}: {:.1} ms/frame",
                    1e3 * t.elapsed().as_secs_f64() / n.max(1) as f64
                );
            }
        }
        let t = Instant::now();
        plain
            .render_frames(distinct.clone(), Readback::Yuv420p, |_| Ok(()))
            .expect("frames");
        let secs_plain = t.elapsed().as_secs_f64();
        total_plain += secs_plain;
        let t = Instant::now();
        fr.render_frames(distinct, Readback::Yuv420p, |_| Ok(()))
            .expect("frames");
        let secs = t.elapsed().as_secs_f64();
        total += secs;
        println!(
            "{:?}: {} frames, {n} distinct, build {:.2} s, render {:.2} s ({:.1} ms/frame), \
             with the prefix cache {:.2} s ({:.1} ms/frame); \
             prefix shared: {:.0} % of prims, {:.0} % of weight",
            span.kind,
            span.frames,
            build,
            secs_plain,
            1e3 * secs_plain / n.max(1) as f64,
            secs,
            1e3 * secs / n.max(1) as f64,
            100.0 * shared_p as f64 / all_p.max(1) as f64,
            100.0 * shared_w as f64 / all_w.max(1) as f64
        );
    }
    println!(
        "render of distinct frames: {total_plain:.2} s, with the prefix cache {total:.2} s \
         ({:.2}x), {} frames; {:?}",
        total_plain / total,
        sb.total_frames,
        fr.prefix_stats()
    );
}
