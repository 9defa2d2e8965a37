//! `cargo bench -p quakecast-benches --bench e2e`: the Luding bulletin end to end vs the encode
//! floor, at 720x1280, with 1 segment/1 worker and 4 segments/2 workers, in one run.
//! Under `cargo test --benches` (CI's quick mode) it runs once at 180x320 to prove it works.
use quakecast_benches::e2e::{ratio, E2e};
use quakecast_scenes::RenderSettings;

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (settings, runs) = if full {
        (RenderSettings::default(), 3)
    } else {
        (
            RenderSettings {
                width: 180,
                height: 320,
                fps: 30,
            },
            1,
        )
    };
    for (segments, workers) in [(1, 1), (4, 2)] {
        let e = E2e::new(settings, segments, workers, "veryfast");
        let (e2e, floor, r) = ratio(&e, runs);
        println!(
            "e2e {}x{} {} frames, {segments} segment(s) / {workers} worker(s): end to end {e2e:.2} s, \
             encode floor {floor:.2} s, ratio {r:.2} (median of {runs})",
            settings.width,
            settings.height,
            e.frames()
        );
    }
}
