//! Draw lists: the resolution-specific, renderer-independent description of one frame.
//!
//! A [`DrawList`] is what `scenes` hands to `renderer`. It is a flat list of primitives in
//! painter's order (later items cover earlier ones), in output pixel coordinates with the origin
//! at the top-left corner and y pointing down. Colours are non-premultiplied sRGB with alpha;
//! the renderer blends them in sRGB space ("over"), so a colour written here is the colour seen.
//!
//! Nothing here refers to fonts files, GPUs or time: text is a string plus a size, and the
//! renderer shapes it with the same font the [`TextMeasure`] passed to the scene code measured.

use serde::{Deserialize, Serialize};

/// Non-premultiplied sRGB colour, each channel in 0..=1.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Color {
    pub r: f32,
    pub g: f32,
    pub b: f32,
    pub a: f32,
}

impl Color {
    pub const fn rgba(r: f32, g: f32, b: f32, a: f32) -> Self {
        Self { r, g, b, a }
    }

    /// `0xRRGGBB`, opaque.
    pub const fn hex(rgb: u32) -> Self {
        Self {
            r: ((rgb >> 16) & 0xff) as f32 / 255.0,
            g: ((rgb >> 8) & 0xff) as f32 / 255.0,
            b: (rgb & 0xff) as f32 / 255.0,
            a: 1.0,
        }
    }

    /// The same colour with its alpha multiplied by `k` (used for fades).
    pub fn fade(self, k: f32) -> Self {
        Self {
            a: self.a * k.clamp(0.0, 1.0),
            ..self
        }
    }
}

/// How a rectangle is filled.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Fill {
    Solid(Color),
    /// Top colour, bottom colour.
    Vertical(Color, Color),
}

/// Horizontal alignment of a text run relative to its `x`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Align {
    Left,
    Center,
    Right,
}

/// One line of text. `y` is the top of the line box; the baseline sits at `y + 0.8 * size`
/// (the renderer uses the font's ascent scaled so that ascent + descent = `size`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Text {
    pub text: String,
    pub x: f32,
    pub y: f32,
    /// Font size in pixels (the em box height).
    pub size: f32,
    pub color: Color,
    pub align: Align,
}

/// A drawing primitive.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Prim {
    /// Axis-aligned rectangle with optionally rounded corners (`radius` in pixels).
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        radius: f32,
        fill: Fill,
    },
    /// A disc (`stroke: None`) or a ring of the given stroke width centred on radius `r`.
    Circle {
        cx: f32,
        cy: f32,
        r: f32,
        stroke: Option<f32>,
        color: Color,
    },
    /// An ellipse (filled or stroked like [`Prim::Circle`]), rotated by `angle` radians.
    Ellipse {
        cx: f32,
        cy: f32,
        rx: f32,
        ry: f32,
        angle: f32,
        stroke: Option<f32>,
        color: Color,
    },
    /// A stroked polyline of constant `width`; `closed` joins the last point to the first.
    Polyline {
        points: Vec<[f32; 2]>,
        width: f32,
        color: Color,
        closed: bool,
    },
    /// A filled simple polygon (may be concave; no holes).
    Polygon {
        points: Vec<[f32; 2]>,
        color: Color,
    },
    Text(Text),
    /// A smoothly shaded rectangle `[x, y, w, h]`: a regular grid of `cols × rows` vertices
    /// (`cols, rows ≥ 2`) over it, row-major from the top-left, each with its colour, drawn as
    /// two triangles per cell with colours interpolated between the vertices. The terrain
    /// relief (hillshade) of the maps; no anti-aliased edge (it is always clipped to a panel).
    Shade {
        rect: [f32; 4],
        cols: u32,
        rows: u32,
        colors: Vec<Color>,
    },
    /// Restrict the following primitives to a rectangle `[x, y, w, h]` (`None`: whole frame).
    Clip(Option<[f32; 4]>),
}

/// Everything needed to draw one frame.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DrawList {
    pub width: u32,
    pub height: u32,
    pub clear: Color,
    pub prims: Vec<Prim>,
}

/// Text measurement, supplied by whoever owns the font (the renderer in production, a simple
/// fixed-advance model in unit tests). Scene code uses it to fit and wrap text.
pub trait TextMeasure {
    /// Advance width in pixels of `text` set in one line at `size` pixels.
    fn width(&self, text: &str, size: f32) -> f32;
}
