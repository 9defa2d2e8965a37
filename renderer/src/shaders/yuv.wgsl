// RGBA8 frame -> planar I420 (Y, then U, then V), BT.709 limited range, on the GPU, so only
// 1.5 bytes per pixel are read back. `cs_main` works for any even width and height: each
// invocation writes one 32-bit word (4 output bytes) of the concatenated planes, without
// atomics. `cs_blocks` (below) is the fast path for widths divisible by 8.
//
// Y  = 16 + 219 * (0.2126 R + 0.7152 G + 0.0722 B)
// Cb = 128 + 224 * (B - Y') / 1.8556,  Cr = 128 + 224 * (R - Y') / 1.5748
// on the sRGB-encoded values (as video does); chroma from the 2x2 average of R, G, B.
// The CPU reference (`yuv::rgba_to_yuv420p`) is the same arithmetic.

struct Params {
    width: u32,
    height: u32,
    // Total 32-bit words of output.
    words: u32,
    // Invocations per row of the 2-D dispatch (x groups * 64).
    row: u32,
}

@group(0) @binding(0) var frame: texture_2d<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;
@group(0) @binding(2) var<uniform> p: Params;

fn rgb(x: u32, y: u32) -> vec3<f32> {
    return textureLoad(frame, vec2<u32>(x, y), 0).rgb;
}

fn luma(c: vec3<f32>) -> f32 {
    return 0.2126 * c.r + 0.7152 * c.g + 0.0722 * c.b;
}

fn quantize(v: f32) -> u32 {
    return u32(clamp(floor(v + 0.5), 0.0, 255.0));
}

fn byte_at(i: u32) -> u32 {
    let w = p.width;
    let h = p.height;
    let y_size = w * h;
    let cw = w / 2u;
    let c_size = cw * (h / 2u);
    if (i < y_size) {
        return quantize(16.0 + 219.0 * luma(rgb(i % w, i / w)));
    }
    var j = i - y_size;
    var is_v = false;
    if (j >= c_size) {
        j = j - c_size;
        is_v = true;
    }
    if (j >= c_size) {
        return 0u;
    }
    let x = (j % cw) * 2u;
    let y = (j / cw) * 2u;
    let c = (rgb(x, y) + rgb(x + 1u, y) + rgb(x, y + 1u) + rgb(x + 1u, y + 1u)) * 0.25;
    let l = luma(c);
    if (is_v) {
        return quantize(128.0 + 224.0 * (c.r - l) / 1.5748);
    }
    return quantize(128.0 + 224.0 * (c.b - l) / 1.8556);
}

@compute @workgroup_size(64)
fn cs_main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let word = gid.x + gid.y * p.row;
    if (word >= p.words) {
        return;
    }
    let base = word * 4u;
    out[word] = byte_at(base) | (byte_at(base + 1u) << 8u) | (byte_at(base + 2u) << 16u)
        | (byte_at(base + 3u) << 24u);
}

// Fast path for widths divisible by 8: one invocation per 8x2 pixel block writes two Y words
// on each of its two rows, one U word and one V word; no division, 16 texel loads for 24 bytes.
@compute @workgroup_size(8, 8)
fn cs_blocks(@builtin(global_invocation_id) gid: vec3<u32>) {
    let w = p.width;
    if (gid.x >= w / 8u || gid.y >= p.height / 2u) {
        return;
    }
    let x0 = gid.x * 8u;
    let y0 = gid.y * 2u;
    var top = array<u32, 2>(0u, 0u);
    var bottom = array<u32, 2>(0u, 0u);
    var u = 0u;
    var v = 0u;
    for (var k = 0u; k < 4u; k = k + 1u) {
        let x = x0 + 2u * k;
        let a = rgb(x, y0);
        let b = rgb(x + 1u, y0);
        let c = rgb(x, y0 + 1u);
        let d = rgb(x + 1u, y0 + 1u);
        let shift = 16u * (k % 2u);
        let t = quantize(16.0 + 219.0 * luma(a)) | (quantize(16.0 + 219.0 * luma(b)) << 8u);
        let s = quantize(16.0 + 219.0 * luma(c)) | (quantize(16.0 + 219.0 * luma(d)) << 8u);
        top[k / 2u] = top[k / 2u] | (t << shift);
        bottom[k / 2u] = bottom[k / 2u] | (s << shift);
        let m = (a + b + c + d) * 0.25;
        let l = luma(m);
        u = u | (quantize(128.0 + 224.0 * (m.b - l) / 1.8556) << (8u * k));
        v = v | (quantize(128.0 + 224.0 * (m.r - l) / 1.5748) << (8u * k));
    }
    let row_words = w / 4u;
    let yi = y0 * row_words + gid.x * 2u;
    out[yi] = top[0];
    out[yi + 1u] = top[1];
    out[yi + row_words] = bottom[0];
    out[yi + row_words + 1u] = bottom[1];
    let cw = w / 2u;
    let c_words = cw * (p.height / 2u) / 4u;
    let ci = (w * p.height + gid.y * cw + gid.x * 4u) / 4u;
    out[ci] = u;
    out[ci + c_words] = v;
}
