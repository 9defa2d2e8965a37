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
// Colours of the shaded grids drawn as quads (one texel per grid vertex, see fs_grid).
@group(0) @binding(2) var grid: texture_2d<f32>;

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

// Opaque shaded grids as one quad: `uv` is the position in grid units (column, and row in the
// grid texture, where the grid's rows are stacked with its last column and row repeated once).
// The colour is interpolated as the grid's two triangles per cell (split along the diagonal
// from the cell's top-left to its bottom-right) would interpolate their vertex colours.
@fragment
fn fs_grid(in: VertexOut) -> @location(0) vec4<f32> {
    let cell = max(floor(in.uv), vec2<f32>(0.0, 0.0));
    let f = in.uv - cell;
    let c = vec2<i32>(cell);
    let a = textureLoad(grid, c, 0);
    let e = textureLoad(grid, c + vec2<i32>(1, 1), 0);
    if (f.x >= f.y) {
        let b = textureLoad(grid, c + vec2<i32>(1, 0), 0);
        return a * (1.0 - f.x) + b * (f.x - f.y) + e * f.y;
    }
    let d = textureLoad(grid, c + vec2<i32>(0, 1), 0);
    return a * (1.0 - f.y) + d * (f.y - f.x) + e * f.x;
}
