//! A run of frames with equal draw lists is rendered once and its planes are encoded again for
//! each repeat: the segment still has every frame, each frame the same pixels as a fresh
//! render of its draw list, and fewer frames go through the GPU.
use quakecast_renderer::{render_segment, EncodeSettings, FrameRenderer, Readback};
use quakecast_scenes::{RenderSettings, Storyboard};
use quakecast_testkit::{assets, font, gpu, hanyuan};

const W: u32 = 180;
const H: u32 = 320;

#[test]
fn repeated_draw_lists_are_rendered_once_and_the_frames_are_the_same() {
    let settings = RenderSettings {
        width: W,
        height: H,
        fps: 30,
    };
    let sb = Storyboard::new(&hanyuan(), settings);
    let assets = assets();
    // Runs of equal draw lists, per scene (printed: where reuse pays).
    let lists: Vec<_> = (0..sb.total_frames)
        .map(|n| sb.frame(n, assets, font()))
        .collect();
    let runs = 1 + lists.windows(2).filter(|w| w[0] != w[1]).count() as u32;
    for span in &sb.scenes {
        let r = span.start as usize..(span.start + span.frames) as usize;
        let distinct = 1 + lists[r.clone()].windows(2).filter(|w| w[0] != w[1]).count();
        eprintln!(
            "{:?}: {} frames, {distinct} distinct in a row ({:.0} % repeats)",
            span.kind,
            span.frames,
            100.0 * (1.0 - distinct as f64 / span.frames as f64)
        );
    }
    eprintln!(
        "whole bulletin: {} frames, {runs} rendered ({:.0} % repeats)",
        sb.total_frames,
        100.0 * (1.0 - f64::from(runs) / f64::from(sb.total_frames))
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("all.mp4");
    let report = render_segment(
        gpu(),
        font(),
        &sb,
        assets,
        0..sb.total_frames,
        &EncodeSettings::new(W, H, 30),
        &out,
        |_| {},
    )
    .expect("segment");
    assert_eq!(report.frames, sb.total_frames);
    assert_eq!(report.rendered_frames, runs);
    assert!(runs < sb.total_frames, "the sample has held frames");

    // A repeated frame is what a fresh render of its list gives: the repeat is no stale copy.
    let held = (1..lists.len())
        .find(|&i| lists[i] == lists[i - 1])
        .expect("a held frame");
    let mut r = FrameRenderer::new(gpu(), W, H, font()).expect("renderer");
    let mut fresh = Vec::new();
    r.render_frames(
        [lists[held - 1].clone(), lists[held].clone()],
        Readback::Yuv420p,
        |f| {
            fresh.push(f);
            Ok(())
        },
    )
    .expect("render");
    assert_eq!(fresh[0], fresh[1]);
}

/// Which scenes an official report changes against the automatic one with the same parameters
/// (printed; the segment cache can reuse only segments whose every frame is unchanged).
#[test]
fn what_an_official_report_changes_against_the_automatic_one() {
    let settings = RenderSettings {
        width: W,
        height: H,
        fps: 30,
    };
    let official = hanyuan();
    let mut automatic = official.clone();
    automatic.status = quakecast_facts::ReportStatus::Automatic;
    let (a, o) = (
        Storyboard::new(&automatic, settings),
        Storyboard::new(&official, settings),
    );
    assert_eq!(a.total_frames, o.total_frames);
    let mut changed = Vec::new();
    for span in &o.scenes {
        let differ = (span.start..span.start + span.frames)
            .filter(|&n| a.frame(n, assets(), font()) != o.frame(n, assets(), font()))
            .count();
        eprintln!("{:?}: {differ} of {} frames differ", span.kind, span.frames);
        if differ > 0 {
            changed.push(span.kind);
        }
    }
    // The status is stated on screen, so something differs (today: every frame, since every
    // scene carries the status badge; the segment cache cannot help automatic → official).
    assert!(!changed.is_empty());
}
