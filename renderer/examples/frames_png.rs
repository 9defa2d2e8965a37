//! Render frames to PNG files to look at them.
//!
//! `cargo run -p quakecast-renderer --example frames_png -- OUT_DIR [REPORT DATA_DIR WxH FRAME...]`
//! Without a report: the synthetic test scenes (all primitives, light, map-heavy). With one:
//! the given storyboard frames, e.g. `… /tmp/f scenes/samples/cenc-2022-05-20-hanyuan.json
//! data 720x1280 0 100 300`.
use std::path::Path;
use std::time::Instant;

use quakecast_facts::{parse_report, Assets, ASSET_FILES};
use quakecast_renderer::{AdapterPolicy, Font, FrameRenderer, GpuContext};
use quakecast_scenes::{DrawList, RenderSettings, Storyboard};
use quakecast_testkit::golden::write_png;
use quakecast_testkit::testscene;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = Path::new(
        args.first()
            .ok_or("usage: frames_png OUT_DIR [REPORT DATA WxH N...]")?,
    );
    std::fs::create_dir_all(out)?;
    let gpu = GpuContext::new(AdapterPolicy { allow_cpu: true })?;
    eprintln!("adapter: {}", gpu.summary());
    let font = Font::load(std::env::var_os("QUAKECAST_FONT").as_deref().map(Path::new))?;
    let mut lists: Vec<(String, DrawList)> = Vec::new();
    if args.len() >= 5 {
        let event = parse_report(&std::fs::read(&args[1])?)?;
        let read = |rel: &str| std::fs::read_to_string(Path::new(&args[2]).join(rel));
        let assets = Assets::from_sources(
            &read(ASSET_FILES[0])?,
            &read(ASSET_FILES[1])?,
            &read(ASSET_FILES[2])?,
        )?
        .with_south_china_sea(&read(quakecast_facts::SOUTH_CHINA_SEA_FILE)?)?;
        let (w, h) = args[3].split_once('x').ok_or("size must be WxH")?;
        let sb = Storyboard::new(
            &event,
            RenderSettings {
                width: w.parse()?,
                height: h.parse()?,
                fps: 30,
            },
        );
        for f in &args[4..] {
            let n: u32 = f.parse()?;
            lists.push((format!("frame-{n:04}"), sb.frame(n, &assets, &font)));
        }
    } else {
        lists.push(("all-180".into(), testscene::all_primitives(180, 320)));
        lists.push(("all-720".into(), testscene::all_primitives(720, 1280)));
        lists.push(("light-720".into(), testscene::light(720, 1280)));
        lists.push(("map-heavy-720".into(), testscene::map_heavy(720, 1280)));
    }
    for (name, list) in lists {
        let mut r = FrameRenderer::new(&gpu, list.width, list.height, &font)?;
        let t = Instant::now();
        let rgba = r.render_rgba(&list)?;
        eprintln!(
            "{name}: {} prims, {:.1} ms",
            list.prims.len(),
            t.elapsed().as_secs_f64() * 1e3
        );
        write_png(
            &out.join(format!("{name}.png")),
            &rgba,
            list.width,
            list.height,
        )?;
    }
    Ok(())
}
