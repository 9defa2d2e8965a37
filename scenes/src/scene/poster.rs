//! The cover image beside the video, for image-and-text channels: one still picture of the
//! bulletin at 9:16 (the video's own design canvas) or 1:1 (a square canvas 720 units wide), in
//! the bulletin's language: the top strip, the epicentre map at rest (relief, counties, faults,
//! earlier quakes, the rings), and the key parameters.
use super::map::{close_panel, draw_marker, end_camera, open_panel};
use super::{strip, words, Ctx, COL_W, COL_X};
use crate::layout::{block_height, fit, lines, Canvas, DESIGN_W};
use crate::phrases;
use crate::{Align, Prim};
use quakecast_facts::Lang;

/// The two cover shapes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum PosterShape {
    /// 9:16, the video's shape.
    Portrait,
    /// 1:1.
    Square,
}

impl PosterShape {
    /// The canvas for a cover of `width` pixels (height follows from the shape).
    pub fn canvas(self, width: u32) -> Canvas {
        let s = width.max(1) as f32 / DESIGN_W;
        let height = match self {
            PosterShape::Portrait => width * 16 / 9,
            PosterShape::Square => width,
        };
        Canvas {
            s,
            ox: 0.0,
            oy: 0.0,
            width,
            height,
        }
    }

    /// The file name of this shape's cover.
    pub fn file_name(self) -> &'static str {
        match self {
            PosterShape::Portrait => "poster-9x16.png",
            PosterShape::Square => "poster-1x1.png",
        }
    }
}

pub(crate) fn draw(x: &Ctx, shape: PosterShape, out: &mut Vec<Prim>) {
    strip(x, 1.0, out);
    let cam = end_camera(x.e);
    // The map: the upper half of a portrait cover, the left half of a square one.
    let (panel, text_x, text_w, text_y) = match shape {
        PosterShape::Portrait => ([COL_X, 140.0, COL_W, 640.0], COL_X, COL_W, 810.0),
        PosterShape::Square => {
            let w = COL_W * 0.52;
            (
                [COL_X, 140.0, w, 530.0],
                COL_X + w + 24.0,
                COL_W - w - 24.0,
                150.0,
            )
        }
    };
    let (view, rect) = open_panel(x, panel, cam, true, out);
    draw_marker(x, &view, out);
    close_panel(x, rect, out);
    let c = &x.c;
    let m = x.m;
    let mut y = text_y;
    let mut put = |text: &str, size: f32, min: f32, color: crate::Color, max_lines: usize| {
        let block = fit(m, text, text_w, max_lines, size, min);
        lines(c, &block, text_x, y, 1.25, color, Align::Left, out);
        y += block_height(&block, 1.25) + 14.0;
    };
    match x.lang {
        Lang::Zh => {
            put(&words::place(x), 44.0, 28.0, x.p.text, 2);
            put(&phrases::magnitude_zh(x.e), 96.0, 52.0, x.p.accent, 1);
            put(
                &format!("震源深度{}", phrases::depth_zh(x.e)),
                34.0,
                24.0,
                x.p.text,
                1,
            );
            put(
                &format!("北京时间{}", phrases::time_zh(x.e)),
                28.0,
                20.0,
                x.p.muted,
                2,
            );
            if let Some(i) = &x.f.intensity {
                put(
                    &format!(
                        "预计震中烈度{}，有感范围约{}公里",
                        super::intensity::level_zh(i.epicentral_level),
                        i.felt_radius_rounded_km()
                    ),
                    28.0,
                    20.0,
                    x.p.text,
                    2,
                );
            }
        }
        Lang::En => {
            put(&words::place(x), 40.0, 26.0, x.p.text, 2);
            put(
                &format!("M {}", phrases::magnitude_number(x.e)),
                96.0,
                52.0,
                x.p.accent,
                1,
            );
            put(
                &format!("Depth {}", words::depth_en(x.e)),
                34.0,
                24.0,
                x.p.text,
                1,
            );
            let (_, time, utc) = words::time_rows_en(x.e);
            put(&time, 28.0, 20.0, x.p.muted, 2);
            if !utc.is_empty() && utc != time {
                put(&utc, 24.0, 18.0, x.p.muted, 1);
            }
            if let Some(i) = &x.f.intensity {
                put(
                    &format!(
                        "{}; {}",
                        words::level_en(i.epicentral_level),
                        words::felt_en(i.felt_radius_rounded_km())
                    ),
                    26.0,
                    18.0,
                    x.p.text,
                    2,
                );
            }
        }
    }
    let _ = COL_W;
}
