// RGBA8 frame -> planar I420 (Y, then U, then V), BT.709 limited range, on the GPU, so only
// 1.5 bytes per pixel are read back. Each invocation writes one 32-bit word (4 output bytes)
// of the concatenated planes, so any even width and height work without atomics.
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
