//! Golden frames: the all-primitives test scene at 180×320 against a committed lavapipe
//! reference (`tests/golden/`). `QUAKECAST_UPDATE_GOLDEN=1` rewrites it.

use std::path::Path;

use quakecast_renderer::FrameRenderer;
use quakecast_testkit::golden::{compare_png, GoldenOpts};
use quakecast_testkit::testscene;
use quakecast_testkit::{font, gpu};

fn check(name: &str, width: u32, height: u32, list: quakecast_scenes::DrawList) {
    let mut r = FrameRenderer::new(gpu(), width, height, font()).expect("renderer");
    let rgba = r.render_rgba(&list).expect("frame");
    let reference = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.png"));
    if let Err(e) = compare_png(&reference, &rgba, width, height, GoldenOpts::default()) {
        panic!("{e}");
    }
}

#[test]
fn all_primitives_180x320() {
    check(
        "all-primitives-180x320",
        180,
        320,
        testscene::all_primitives(180, 320),
    );
}

#[test]
fn light_scene_180x320() {
    check("light-180x320", 180, 320, testscene::light(180, 320));
}
