//! Time whole-bulletin encodes of the sample report per x264 preset (to choose the default).
//!
//! `cargo run --release -p quakecast-renderer --example segment_timing -- DATA_DIR OUT_DIR
//! [PRESET...]` (default presets: ultrafast superfast veryfast faster). Prints wall time,
//! render/encode-wait split, size and the mean luma PSNR against the uncompressed frames.
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use quakecast_facts::{parse_report, Assets, ASSET_FILES};
use quakecast_renderer::{
    render_segment, AdapterPolicy, EncodeSettings, Font, FrameRenderer, GpuContext, Readback,
};
use quakecast_scenes::{RenderSettings, Storyboard};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        return Err("usage: segment_timing DATA_DIR OUT_DIR [PRESET...]".into());
    }
    let read = |rel: &str| std::fs::read_to_string(Path::new(&args[0]).join(rel));
    let assets = Assets::from_sources(
        &read(ASSET_FILES[0])?,
        &read(ASSET_FILES[1])?,
        &read(ASSET_FILES[2])?,
    )?
    .with_south_china_sea(&read(quakecast_facts::SOUTH_CHINA_SEA_FILE)?)?;
    let out = Path::new(&args[1]);
    std::fs::create_dir_all(out)?;
    let event = parse_report(include_bytes!(
        "../../scenes/samples/cenc-2022-05-20-hanyuan.json"
    ))?;
    let settings = RenderSettings::default();
    let sb = Storyboard::new(&event, settings);
    let gpu = GpuContext::new(AdapterPolicy { allow_cpu: true })?;
    let font = Font::load(None)?;
    eprintln!("{}; {} frames", gpu.summary(), sb.total_frames);

    // Render only (no encoder), and keep the raw frames for PSNR.
    let raw = out.join("raw.yuv");
    let t = Instant::now();
    let mut r = FrameRenderer::new(&gpu, settings.width, settings.height, &font)?;
    let mut bytes = Vec::new();
    r.render_frames(
        (0..sb.total_frames).map(|n| sb.frame(n, &assets, &font)),
        Readback::Yuv420p,
        |f| {
            bytes.extend_from_slice(&f);
            Ok(())
        },
    )?;
    let render_only = t.elapsed().as_secs_f64();
    std::fs::write(&raw, &bytes)?;
    drop(bytes);
    println!(
        "render only: {render_only:.2} s ({:.0} fps)",
        f64::from(sb.total_frames) / render_only
    );

    let presets: Vec<String> = if args.len() > 2 {
        args[2..].to_vec()
    } else {
        ["ultrafast", "superfast", "veryfast", "faster"]
            .map(String::from)
            .to_vec()
    };
    for preset in presets {
        let enc = EncodeSettings {
            preset: preset.clone(),
            ..EncodeSettings::new(settings.width, settings.height, settings.fps)
        };
        let file = out.join(format!("{preset}.mp4"));
        let t = Instant::now();
        let rep = render_segment(
            &gpu,
            &font,
            &sb,
            &assets,
            0..sb.total_frames,
            &enc,
            &file,
            |_| {},
        )?;
        let wall = t.elapsed().as_secs_f64();
        let psnr = Command::new("ffmpeg")
            .args(["-hide_banner", "-i"])
            .arg(&file)
            .args([
                "-f",
                "rawvideo",
                "-pix_fmt",
                "yuv420p",
                "-video_size",
                "720x1280",
            ])
            .args(["-framerate", "30", "-i"])
            .arg(&raw)
            .args(["-lavfi", "psnr", "-f", "null", "-"])
            .output()?;
        let log = String::from_utf8_lossy(&psnr.stderr);
        let y = log
            .lines()
            .rev()
            .find_map(|l| l.split(" y:").nth(1))
            .and_then(|s| s.split_whitespace().next())
            .unwrap_or("?")
            .to_string();
        println!(
            "{preset:>10}: {wall:.2} s wall ({:.0} fps), render {:.2} s, encode wait {:.2} s, \
             {} kB, PSNR-Y {y} dB",
            f64::from(rep.frames) / wall,
            rep.render_secs,
            rep.encode_wait_secs,
            rep.bytes / 1000
        );
    }
    Ok(())
}
