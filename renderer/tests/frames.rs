//! Rendering on the real device (lavapipe here): colours, blending, clipping, text metrics,
//! GPU YUV against the CPU reference, determinism, the pipelined API, adapter policy.

use quakecast_facts::Assets;
use quakecast_renderer::yuv::rgba_to_yuv420p;
use quakecast_renderer::{AdapterPolicy, FrameRenderer, GpuContext, Readback, RenderError};
use quakecast_scenes::{
    Align, Color, DrawList, Fill, Prim, RenderSettings, Storyboard, Text, TextMeasure,
};
use quakecast_testkit::{font, gpu, hanyuan, px, testscene};

fn list(width: u32, height: u32, prims: Vec<Prim>) -> DrawList {
    DrawList {
        width,
        height,
        clear: Color::hex(0x000000),
        prims,
    }
}

fn solid(x: f32, y: f32, w: f32, h: f32, c: Color) -> Prim {
    Prim::Rect {
        x,
        y,
        w,
        h,
        radius: 0.0,
        fill: Fill::Solid(c),
    }
}

#[test]
fn colours_are_exact_and_blending_is_straight_alpha_over() {
    let mut r = FrameRenderer::new(gpu(), 64, 32, font()).expect("renderer");
    let l = list(
        64,
        32,
        vec![
            solid(0.0, 0.0, 32.0, 32.0, Color::hex(0x336699)),
            solid(32.0, 0.0, 32.0, 32.0, Color::rgba(1.0, 1.0, 1.0, 0.5)),
            // Over the blue half: 25 % red.
            solid(0.0, 16.0, 32.0, 16.0, Color::rgba(1.0, 0.0, 0.0, 0.25)),
        ],
    );
    let img = r.render_rgba(&l).expect("frame");
    assert_eq!(img.len(), 64 * 32 * 4);
    assert_eq!(px(&img, 64, 5, 5), [0x33, 0x66, 0x99, 255]);
    let half = px(&img, 64, 40, 5);
    assert!(half[..3].iter().all(|&v| v.abs_diff(128) <= 1), "{half:?}");
    assert_eq!(half[3], 255, "opaque clear stays opaque");
    let over = px(&img, 64, 5, 20);
    let want = |d: u8, s: f32| (f32::from(d) * 0.75 + s * 255.0 * 0.25).round() as u8;
    assert!(over[0].abs_diff(want(0x33, 1.0)) <= 1, "{over:?}");
    assert!(over[1].abs_diff(want(0x66, 0.0)) <= 1, "{over:?}");
    assert!(over[2].abs_diff(want(0x99, 0.0)) <= 1, "{over:?}");
}

#[test]
fn translucent_strokes_blend_once_at_joins_and_overlaps() {
    // A 50 % white zig-zag with sharp joins (and a self-overlapping U-turn) and a 50 % ring:
    // with per-primitive single blending no pixel can exceed 50 % grey.
    let mut r = FrameRenderer::new(gpu(), 120, 120, font()).expect("renderer");
    let half = Color::rgba(1.0, 1.0, 1.0, 0.5);
    let l = list(
        120,
        120,
        vec![
            Prim::Polyline {
                points: vec![
                    [10.0, 60.0],
                    [30.0, 10.0],
                    [40.0, 60.0],
                    [50.0, 12.0],
                    [52.0, 60.0],
                    [52.0, 20.0],
                    [110.0, 30.0],
                ],
                width: 8.0,
                color: half,
                closed: false,
            },
            Prim::Circle {
                cx: 60.0,
                cy: 90.0,
                r: 20.0,
                stroke: Some(6.0),
                color: half,
            },
        ],
    );
    let img = r.render_rgba(&l).expect("frame");
    let max = img.chunks_exact(4).map(|p| p[0]).max().unwrap_or(0);
    assert!(
        (127..=129).contains(&max),
        "brightest pixel {max}, want ≈128"
    );
    let lit = img.chunks_exact(4).filter(|p| p[0] >= 127).count();
    assert!(lit > 800, "strokes drawn ({lit} px)");
}

#[test]
fn clip_restricts_following_primitives() {
    let mut r = FrameRenderer::new(gpu(), 50, 40, font()).expect("renderer");
    let l = list(
        50,
        40,
        vec![
            Prim::Clip(Some([10.0, 5.0, 20.0, 10.0])),
            solid(0.0, 0.0, 50.0, 40.0, Color::hex(0xff0000)),
            Prim::Clip(None),
            solid(0.0, 30.0, 50.0, 10.0, Color::hex(0x00ff00)),
        ],
    );
    let img = r.render_rgba(&l).expect("frame");
    for y in 0..40 {
        for x in 0..50 {
            let want = if y >= 30 {
                [0, 255, 0, 255]
            } else if (10..30).contains(&x) && (5..15).contains(&y) {
                [255, 0, 0, 255]
            } else {
                [0, 0, 0, 255]
            };
            assert_eq!(px(&img, 50, x, y), want, "({x}, {y})");
        }
    }
}

/// Columns and rows holding ink (any channel above 64) of a frame drawn on black.
fn ink_box(img: &[u8], w: u32, h: u32) -> Option<(u32, u32, u32, u32)> {
    let mut b: Option<(u32, u32, u32, u32)> = None;
    for y in 0..h {
        for x in 0..w {
            if px(img, w, x, y)[0] > 64 {
                b = Some(match b {
                    None => (x, y, x, y),
                    Some((x0, y0, x1, y1)) => (x0.min(x), y0.min(y), x1.max(x), y1.max(y)),
                });
            }
        }
    }
    b
}

#[test]
fn text_pixels_agree_with_measurement_and_alignment() {
    let (w, h) = (400, 120);
    let mut r = FrameRenderer::new(gpu(), w, h, font()).expect("renderer");
    let size = 48.0;
    let s = "地震速报";
    let width = font().width(s, size);
    assert!(
        (width - 4.0 * font().em(size)).abs() < 0.01,
        "CJK advance is one em: {width}"
    );
    assert!(
        (font().baseline(size) - 0.8 * size).abs() < 0.01 * size,
        "draw.rs: 0.8 × size"
    );
    for (align, x) in [
        (Align::Left, 20.0),
        (Align::Center, 200.0),
        (Align::Right, 380.0),
    ] {
        let l = list(
            w,
            h,
            vec![Prim::Text(Text {
                text: s.into(),
                x,
                y: 30.0,
                size,
                color: Color::hex(0xffffff),
                align,
            })],
        );
        let img = r.render_rgba(&l).expect("frame");
        let (x0, y0, x1, y1) = ink_box(&img, w, h).expect("text drawn (no tofu-free blank)");
        let left = match align {
            Align::Left => x,
            Align::Center => x - width / 2.0,
            Align::Right => x - width,
        };
        // Ink lies inside the advance box, touching both ends within a few pixels of bearing.
        assert!(
            x0 as f32 >= left - 1.0 && (x0 as f32) < left + 6.0,
            "{align:?} x0 {x0}"
        );
        assert!((x1 as f32) < left + width + 1.0 && x1 as f32 > left + width - 8.0);
        // Inside the line box [y, y + size], around the baseline at y + ascent.
        let baseline = 30.0 + font().baseline(size);
        assert!(
            y0 as f32 >= 30.0 - 1.0 && (y1 as f32) <= 30.0 + size + 1.0,
            "{y0} {y1}"
        );
        assert!(
            (y1 as f32 - baseline).abs() < 0.2 * size,
            "{y1} vs baseline {baseline}"
        );
    }
}

#[test]
fn gpu_yuv_matches_cpu_reference() {
    for (w, h) in [(720, 1280), (182, 322)] {
        let l = testscene::all_primitives(w, h);
        let mut r = FrameRenderer::new(gpu(), w, h, font()).expect("renderer");
        let rgba = r.render_rgba(&l).expect("rgba");
        let yuv = r.render_yuv420p(&l).expect("yuv");
        let cpu = rgba_to_yuv420p(&rgba, w, h);
        assert_eq!(yuv.len(), cpu.len());
        assert_eq!(yuv.len(), (w * h * 3 / 2) as usize);
        let max = yuv
            .iter()
            .zip(&cpu)
            .map(|(a, b)| a.abs_diff(*b))
            .max()
            .unwrap_or(0);
        assert!(max <= 1, "{w}x{h}: max difference {max} levels");
        let differing = yuv.iter().zip(&cpu).filter(|(a, b)| a != b).count();
        assert!(differing * 1000 < yuv.len(), "{differing} bytes differ");
    }
}

#[test]
fn odd_sizes_and_wrong_lists_are_rejected() {
    let mut r = FrameRenderer::new(gpu(), 181, 320, font()).expect("odd sizes render RGBA");
    let l = testscene::all_primitives(181, 320);
    assert!(r.render_rgba(&l).is_ok());
    let e = r.render_yuv420p(&l).expect_err("odd width");
    assert!(matches!(e, RenderError::Invalid { .. }), "{e}");
    let e = r
        .render_rgba(&testscene::all_primitives(180, 320))
        .expect_err("size mismatch");
    assert!(e.to_string().contains("180x320"), "{e}");
    assert!(FrameRenderer::new(gpu(), 0, 10, font()).is_err());
}

#[test]
fn same_draw_list_renders_byte_identically() {
    let l = testscene::map_heavy(360, 640);
    let mut a = FrameRenderer::new(gpu(), 360, 640, font()).expect("renderer");
    let mut b = FrameRenderer::new(gpu(), 360, 640, font()).expect("renderer");
    let first = a.render_rgba(&l).expect("frame");
    let other = testscene::light(360, 640);
    a.render_rgba(&other).expect("frame");
    assert_eq!(
        first,
        a.render_rgba(&l).expect("frame"),
        "same renderer, later"
    );
    assert_eq!(first, b.render_rgba(&l).expect("frame"), "fresh renderer");
}

#[test]
fn pipelined_frames_equal_one_at_a_time_and_keep_order() {
    let (w, h) = (180, 320);
    let lists = [
        testscene::all_primitives(w, h),
        testscene::light(w, h),
        testscene::map_heavy(w, h),
        testscene::all_primitives(w, h),
    ];
    let mut r = FrameRenderer::new(gpu(), w, h, font()).expect("renderer");
    let single: Vec<Vec<u8>> = lists
        .iter()
        .map(|l| r.render_yuv420p(l).expect("frame"))
        .collect();
    let mut piped = Vec::new();
    r.render_frames(lists.iter().cloned(), Readback::Yuv420p, |f| {
        piped.push(f);
        Ok(())
    })
    .expect("pipelined");
    assert_eq!(piped, single);
    assert_ne!(single[0], single[1]);

    // The manual API: submit up to the depth, then take frames in order.
    r.submit(&lists[1], Readback::Rgba).expect("submit");
    r.submit(&lists[2], Readback::Rgba).expect("submit");
    let full = r
        .submit(&lists[0], Readback::Rgba)
        .expect_err("pipeline full");
    assert!(matches!(full, RenderError::Pipeline(_)), "{full}");
    assert!(matches!(
        r.render_rgba(&lists[0]),
        Err(RenderError::Pipeline(_))
    ));
    let one = r.next_frame().expect("frame").expect("in flight");
    let two = r.next_frame().expect("frame").expect("in flight");
    assert!(r.next_frame().expect("empty").is_none());
    assert_eq!(one, r.render_rgba(&lists[1]).expect("frame"));
    assert_eq!(two, r.render_rgba(&lists[2]).expect("frame"));
}

#[test]
fn storyboard_frames_split_across_renderers_equal_one_run() {
    // Frames 0–59 in one run equal frames 0–29 and 30–59 rendered by two fresh renderers.
    let settings = RenderSettings {
        width: 180,
        height: 320,
        fps: 30,
    };
    let sb = Storyboard::new(&hanyuan(), settings);
    let assets = Assets::default();
    let frames = |range: std::ops::Range<u32>| {
        let mut r = FrameRenderer::new(gpu(), 180, 320, font()).expect("renderer");
        let mut out = Vec::new();
        r.render_frames(
            range.map(|n| sb.frame(n, &assets, font())),
            Readback::Yuv420p,
            |f| {
                out.push(f);
                Ok(())
            },
        )
        .expect("frames");
        out
    };
    let whole = frames(0..60);
    let mut split = frames(0..30);
    split.extend(frames(30..60));
    assert_eq!(whole.len(), 60);
    assert!(whole == split, "split rendering differs");
    assert_ne!(whole[0], whole[59], "the bulletin moves");
}

#[test]
fn cpu_adapter_policy_is_enforced() {
    let allowed = gpu().summary().clone();
    assert!(!allowed.name.is_empty() && !allowed.driver.is_empty());
    let strict = GpuContext::new(AdapterPolicy { allow_cpu: false });
    if allowed.device_type == "Cpu" {
        let e = strict.expect_err("CPU adapter must be refused");
        assert!(matches!(e, RenderError::CpuAdapterRefused { .. }), "{e}");
        assert!(e.to_string().contains(&allowed.name), "{e}");
        assert!(!e.is_retryable());
    } else {
        assert!(strict.is_ok(), "a real GPU is accepted");
    }
}
