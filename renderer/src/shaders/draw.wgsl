// Draw-list triangles: solid colour or glyph coverage from the R8 atlas, straight alpha.
//
// Positions arrive in output pixels (origin top-left, y down) with a per-primitive depth;
// `uv` is in atlas texels (solids point at the white texel), read with textureLoad, so the
// atlas can grow without touching vertices.

struct Globals {
    // Output size in pixels.
    size: vec2<f32>,
    _pad: vec2<f32>,
}

@group(0) @binding(0) var<uniform> g: Globals;
@group(0) @binding(1) var atlas: texture_2d<f32>;

struct VertexIn {
    @location(0) pos: vec2<f32>,
    @location(1) z: f32,
    @location(2) uv: vec2<f32>,
    @location(3) color: vec4<f32>,
}

struct VertexOut {
    @builtin(position) pos: vec4<f32>,
    @location(0) uv: vec2<f32>,
    @location(1) color: vec4<f32>,
}

@vertex
fn vs_main(v: VertexIn) -> VertexOut {
    var out: VertexOut;
    let ndc = vec2<f32>(v.pos.x / g.size.x * 2.0 - 1.0, 1.0 - v.pos.y / g.size.y * 2.0);
    out.pos = vec4<f32>(ndc, v.z, 1.0);
    out.uv = v.uv;
    out.color = v.color;
    return out;
}

@fragment
fn fs_main(in: VertexOut) -> @location(0) vec4<f32> {
    let dims = vec2<i32>(textureDimensions(atlas));
    let texel = clamp(vec2<i32>(floor(in.uv)), vec2<i32>(0, 0), dims - vec2<i32>(1, 1));
    let coverage = textureLoad(atlas, texel, 0).r;
    return vec4<f32>(in.color.rgb, in.color.a * coverage);
}

// Opaque shaded grids (the relief, material backdrops): the vertex colour as it is, drawn
// without blending or depth test (the same pixels as "over" with alpha 1, for less work).
@fragment
fn fs_opaque(in: VertexOut) -> @location(0) vec4<f32> {
    return in.color;
}
