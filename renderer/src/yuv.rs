//! RGBA8 → I420 (yuv420p), BT.709 limited ("TV") range: the CPU reference of the GPU pass.
//!
//! Frames are converted on the GPU (`shaders/yuv.wgsl`) so that only 1.5 bytes per pixel are
//! read back and piped to ffmpeg; this module is the same arithmetic on the CPU, for tests and
//! for callers that hold RGBA already. Values are the sRGB-encoded channels, as video expects;
//! chroma is the 2×2 average (centre-sited), alpha is ignored (frames are opaque).

/// Bytes of an I420 frame of `width × height` (both even).
pub fn yuv420p_len(width: u32, height: u32) -> usize {
    let (w, h) = (width as usize, height as usize);
    w * h + 2 * (w / 2) * (h / 2)
}

fn quantize(v: f32) -> u8 {
    (v + 0.5).floor().clamp(0.0, 255.0) as u8
}

fn luma(r: f32, g: f32, b: f32) -> f32 {
    0.2126 * r + 0.7152 * g + 0.0722 * b
}

/// Convert tightly packed RGBA8 to planar I420.
///
/// # Panics
/// If `width` or `height` is odd or `rgba` is not `width × height × 4` bytes.
pub fn rgba_to_yuv420p(rgba: &[u8], width: u32, height: u32) -> Vec<u8> {
    let (w, h) = (width as usize, height as usize);
    assert!(
        w % 2 == 0 && h % 2 == 0 && rgba.len() == w * h * 4,
        "even size and matching buffer"
    );
    let px = |x: usize, y: usize| {
        let i = (y * w + x) * 4;
        [
            f32::from(rgba[i]) / 255.0,
            f32::from(rgba[i + 1]) / 255.0,
            f32::from(rgba[i + 2]) / 255.0,
        ]
    };
    let mut out = Vec::with_capacity(yuv420p_len(width, height));
    for y in 0..h {
        for x in 0..w {
            let [r, g, b] = px(x, y);
            out.push(quantize(16.0 + 219.0 * luma(r, g, b)));
        }
    }
    let (cw, ch) = (w / 2, h / 2);
    let mut u = Vec::with_capacity(cw * ch);
    let mut v = Vec::with_capacity(cw * ch);
    for cy in 0..ch {
        for cx in 0..cw {
            let (x, y) = (cx * 2, cy * 2);
            let s = [px(x, y), px(x + 1, y), px(x, y + 1), px(x + 1, y + 1)];
            let avg = |k: usize| (s[0][k] + s[1][k] + s[2][k] + s[3][k]) * 0.25;
            let (r, g, b) = (avg(0), avg(1), avg(2));
            let l = luma(r, g, b);
            u.push(quantize(128.0 + 224.0 * (b - l) / 1.8556));
            v.push(quantize(128.0 + 224.0 * (r - l) / 1.5748));
        }
    }
    out.extend_from_slice(&u);
    out.extend_from_slice(&v);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_colours_in_limited_range() {
        // 2x2 frames of one colour: (Y, U, V).
        let cases = [
            ([0u8, 0, 0], (16u8, 128u8, 128u8)),
            ([255, 255, 255], (235, 128, 128)),
            ([255, 0, 0], (63, 102, 240)),
            ([0, 255, 0], (173, 42, 26)),
            ([0, 0, 255], (32, 240, 118)),
        ];
        for (c, want) in cases {
            let rgba: Vec<u8> = (0..4).flat_map(|_| [c[0], c[1], c[2], 255]).collect();
            let yuv = rgba_to_yuv420p(&rgba, 2, 2);
            assert_eq!(yuv.len(), 6);
            assert_eq!((yuv[0], yuv[4], yuv[5]), want, "{c:?}");
        }
    }

    #[test]
    fn chroma_is_the_two_by_two_average() {
        // Left column red, right column blue: chroma of the average colour (127.5, 0, 127.5).
        let rgba = [
            255, 0, 0, 255, 0, 0, 255, 255, 255, 0, 0, 255, 0, 0, 255, 255,
        ];
        let yuv = rgba_to_yuv420p(&rgba, 2, 2);
        assert_eq!(&yuv[..4], &[63, 32, 63, 32]);
        let (r, b) = (0.5f32, 0.5f32);
        let l = 0.2126 * r + 0.0722 * b;
        assert_eq!(yuv[4], quantize(128.0 + 224.0 * (b - l) / 1.8556));
        assert_eq!(yuv[5], quantize(128.0 + 224.0 * (r - l) / 1.5748));
    }
}
