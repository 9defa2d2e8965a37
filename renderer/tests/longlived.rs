//! Long-lived device resources: renderers made on shared pipelines, with a glyph atlas and
//! targets left by earlier renderers, render the same bytes as fresh ones.

use std::time::{Duration, Instant};

use quakecast_facts::Assets;
use quakecast_renderer::{DeviceResources, FrameRenderer, Readback};
use quakecast_scenes::{RenderSettings, Storyboard};
use quakecast_testkit::{font, gpu, hanyuan};

fn storyboard(width: u32, height: u32) -> Storyboard {
    Storyboard::new(
        &hanyuan(),
        RenderSettings {
            width,
            height,
            fps: 30,
        },
    )
}

/// Frames spread over the whole bulletin (every scene, so most of its text).
fn spread(sb: &Storyboard, count: u32) -> Vec<u32> {
    (0..count)
        .map(|i| i * (sb.total_frames - 1) / (count - 1))
        .collect()
}

fn render(
    r: &mut FrameRenderer,
    sb: &Storyboard,
    frames: &[u32],
    format: Readback,
) -> Vec<Vec<u8>> {
    let assets = Assets::default();
    let font = r.font().clone();
    let mut out = Vec::new();
    r.render_frames(
        frames.iter().map(|&n| sb.frame(n, &assets, &font)),
        format,
        |f| {
            out.push(f);
            Ok(())
        },
    )
    .expect("frames");
    out
}

#[test]
fn reused_resources_render_the_same_bytes_as_fresh_ones() {
    let (w, h) = (360, 640);
    let sb = storyboard(w, h);
    let frames = spread(&sb, 12);

    // Fresh: new pipelines, a new atlas, new targets.
    let fresh_res = DeviceResources::new(gpu(), font()).expect("resources");
    let mut fresh = FrameRenderer::with_resources(&fresh_res, w, h).expect("renderer");
    let want_yuv = render(&mut fresh, &sb, &frames, Readback::Yuv420p);
    drop(fresh);
    let mut fresh =
        FrameRenderer::with_resources(&DeviceResources::new(gpu(), font()).unwrap(), w, h)
            .expect("renderer");
    let want_rgba = render(&mut fresh, &sb, &frames, Readback::Rgba);
    drop(fresh);

    // Reused: render other segments (other frames, another size) first, so the atlas that the
    // later renderer takes already holds glyphs in other places, and its targets held other
    // frames.
    let res = DeviceResources::new(gpu(), font()).expect("resources");
    {
        let other = storyboard(180, 320);
        let mut r = FrameRenderer::with_resources(&res, 180, 320).expect("renderer");
        render(&mut r, &other, &spread(&other, 7), Readback::Yuv420p);
        drop(r);
        let mut r = FrameRenderer::with_resources(&res, w, h).expect("renderer");
        let later: Vec<u32> = (sb.total_frames / 2..sb.total_frames).step_by(41).collect();
        render(&mut r, &sb, &later, Readback::Rgba);
    }
    let mut reused = FrameRenderer::with_resources(&res, w, h).expect("renderer");
    assert!(
        format!("{res:?}").contains("atlases_pooled: 0"),
        "the renderer took the pooled atlas: {res:?}"
    );
    assert!(
        render(&mut reused, &sb, &frames, Readback::Yuv420p) == want_yuv,
        "reused renderer's I420 frames differ from a fresh renderer's"
    );
    // The same renderer again, in the other format and in reverse order.
    let mut back = frames.clone();
    back.reverse();
    let mut got_rgba = render(&mut reused, &sb, &back, Readback::Rgba);
    got_rgba.reverse();
    assert!(
        got_rgba == want_rgba,
        "reused renderer's RGBA frames differ"
    );
    drop(reused);

    // The context's cache, which `FrameRenderer::new` and `render_segment` use.
    for _ in 0..2 {
        let mut r = FrameRenderer::new(gpu(), w, h, font()).expect("renderer");
        assert!(render(&mut r, &sb, &frames, Readback::Yuv420p) == want_yuv);
    }
    assert_ne!(want_yuv[0], want_yuv[11], "the bulletin moves");
}

#[test]
fn threads_sharing_resources_each_render_what_a_fresh_renderer_does() {
    let (w, h) = (180, 320);
    let sb = storyboard(w, h);
    let frames = spread(&sb, 16);
    let mut fresh =
        FrameRenderer::with_resources(&DeviceResources::new(gpu(), font()).unwrap(), w, h)
            .expect("renderer");
    let want = render(&mut fresh, &sb, &frames, Readback::Yuv420p);
    drop(fresh);

    let res = gpu().resources(font()).expect("resources");
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..3)
            .map(|t| {
                let (res, sb, frames, want) = (&res, &sb, &frames, &want);
                s.spawn(move || {
                    // Each worker renders segments one after another, each on a new renderer
                    // (as `render_segment` does), in its own order.
                    for round in 0..3 {
                        let mut r = FrameRenderer::with_resources(res, w, h).expect("renderer");
                        let k = (t + round) % frames.len();
                        let order: Vec<u32> =
                            frames[k..].iter().chain(&frames[..k]).copied().collect();
                        let got = render(&mut r, sb, &order, Readback::Yuv420p);
                        for (i, f) in got.iter().enumerate() {
                            assert!(
                                *f == want[(k + i) % frames.len()],
                                "thread {t} round {round}: frame {} differs",
                                order[i]
                            );
                        }
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().expect("worker");
        }
    });
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Per-segment setup (renderer creation + first frame) at the bulletin size, with everything
/// built anew (as every segment did before resources were shared) and with shared resources
/// after earlier segments. Prints the figures; asserts only that reuse is not slower.
#[test]
fn per_segment_setup_time_fresh_vs_reused() {
    let settings = RenderSettings::default();
    let (w, h) = (settings.width, settings.height);
    let sb = storyboard(w, h);
    let assets = Assets::default();
    let first = sb.frame(sb.total_frames / 3, &assets, font());
    let runs = 5;

    let mut fresh_new = Vec::new();
    let mut fresh_total = Vec::new();
    let mut want = None;
    for _ in 0..runs {
        let t = Instant::now();
        let res = DeviceResources::new(gpu(), font()).expect("resources");
        let mut r = FrameRenderer::with_resources(&res, w, h).expect("renderer");
        fresh_new.push(t.elapsed());
        let f = r.render_yuv420p(&first).expect("frame");
        fresh_total.push(t.elapsed());
        want.get_or_insert(f);
    }

    let res = DeviceResources::new(gpu(), font()).expect("resources");
    // An earlier segment on these resources.
    let mut r = FrameRenderer::with_resources(&res, w, h).expect("renderer");
    r.render_yuv420p(&sb.frame(0, &assets, font()))
        .expect("frame");
    drop(r);
    let mut reused_new = Vec::new();
    let mut reused_total = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let mut r = FrameRenderer::with_resources(&res, w, h).expect("renderer");
        reused_new.push(t.elapsed());
        let f = r.render_yuv420p(&first).expect("frame");
        reused_total.push(t.elapsed());
        assert!(Some(&f) == want.as_ref(), "reused first frame differs");
    }

    // Shared pipelines, but a new atlas and new targets (the pools emptied): what the
    // pipelines alone save.
    let mut trimmed_total = Vec::new();
    for _ in 0..runs {
        res.trim();
        let t = Instant::now();
        let mut r = FrameRenderer::with_resources(&res, w, h).expect("renderer");
        r.render_yuv420p(&first).expect("frame");
        trimmed_total.push(t.elapsed());
    }

    // `FrameRenderer::new` on the context's cache (font fingerprint + pools), creation only.
    let mut cached_new = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let r = FrameRenderer::new(gpu(), w, h, font()).expect("renderer");
        cached_new.push(t.elapsed());
        drop(r);
    }

    // A renderer that keeps rendering: the per-frame cost for reference.
    let mut r = FrameRenderer::with_resources(&res, w, h).expect("renderer");
    let mut steady = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        r.render_yuv420p(&first).expect("frame");
        steady.push(t.elapsed());
    }

    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let (fa, fb) = (median(fresh_new), median(fresh_total));
    let (ra, rb) = (median(reused_new), median(reused_total));
    let st = median(steady);
    eprintln!(
        "per-segment setup at {w}x{h}, median of {runs}: \
         fresh: new {:.1} ms, new + first frame {:.1} ms; \
         reused: new {:.1} ms, new + first frame {:.1} ms; \
         FrameRenderer::new on the context cache: new {:.2} ms; \
         shared pipelines only (new atlas and targets): new + first frame {:.1} ms; \
         steady frame {:.1} ms; setup ratio fresh/reused {:.1}x \
         (setup beyond a steady frame: {:.1} ms vs {:.1} ms)",
        ms(fa),
        ms(fb),
        ms(ra),
        ms(rb),
        ms(median(cached_new)),
        ms(median(trimmed_total)),
        ms(st),
        ms(fb) / ms(rb),
        ms(fb) - ms(st),
        ms(rb) - ms(st),
    );
    assert!(rb <= fb, "reuse is slower: {rb:?} vs {fb:?}");
}
