//! Write chosen frames of a bulletin as SVG files, to look at them without the GPU renderer.
//!
//! `cargo run -p quakecast-scenes --example frames -- REPORT.json DATA_DIR OUT_DIR WIDTHxHEIGHT FRAME...`
//! e.g. `… scenes/samples/cenc-2022-05-20-hanyuan.json data /tmp/frames 720x1280 0 60 200 400`.
//! Text is measured with the fixed-advance model ([`FixedMeasure`]).
use std::time::Instant;

use quakecast_facts::{parse_report, Assets, ASSET_FILES};
use quakecast_scenes::{svg::to_svg, FixedMeasure, Prim, RenderSettings, Storyboard};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 5 {
        return Err("usage: frames REPORT DATA_DIR OUT_DIR WxH FRAME...".into());
    }
    let event = parse_report(&std::fs::read(&args[0])?)?;
    let read = |rel: &str| std::fs::read_to_string(std::path::Path::new(&args[1]).join(rel));
    let t0 = Instant::now();
    let assets = Assets::from_sources(
        &read(ASSET_FILES[0])?,
        &read(ASSET_FILES[1])?,
        &read(ASSET_FILES[2])?,
    )?
    .with_south_china_sea(&read(quakecast_facts::SOUTH_CHINA_SEA_FILE)?)?
    .with_places(&read(quakecast_facts::cities::PLACES_FILE)?)?;
    eprintln!("assets built in {:.0} ms", t0.elapsed().as_secs_f64() * 1e3);
    let (w, h) = args[3].split_once('x').ok_or("size must be WxH")?;
    let settings = RenderSettings {
        width: w.parse()?,
        height: h.parse()?,
        fps: 30,
    };
    let sb = Storyboard::new(&event, settings);
    eprintln!("{} frames, scenes {:?}", sb.total_frames, sb.scenes);
    std::fs::create_dir_all(&args[2])?;
    for f in &args[4..] {
        let n: u32 = f.parse()?;
        let t = Instant::now();
        let list = sb.frame(n, &assets, &FixedMeasure);
        let us = t.elapsed().as_secs_f64() * 1e6;
        let points: usize = list
            .prims
            .iter()
            .map(|p| match p {
                Prim::Polygon { points, .. } | Prim::Polyline { points, .. } => points.len(),
                _ => 1,
            })
            .sum();
        eprintln!(
            "frame {n}: {} prims, {points} points, {us:.0} µs",
            list.prims.len()
        );
        std::fs::write(format!("{}/frame-{n:04}.svg", args[2]), to_svg(&list))?;
    }
    Ok(())
}
