//! Synthetic draw lists for tests and benchmarks (no storyboard or map data needed).
use quakecast_scenes::{Align, Color, DrawList, Fill, Prim, Text};

fn text(s: &str, x: f32, y: f32, size: f32, color: Color, align: Align) -> Prim {
    Prim::Text(Text {
        text: s.to_string(),
        x,
        y,
        size,
        color,
        align,
    })
}

/// Every primitive kind, at design size 180×320 scaled to `width × height`: gradient and
/// rounded rects, discs, rings, rotated ellipses, thin/hairline/wide translucent polylines with
/// sharp joins, a concave polygon, clipping, and Chinese and Latin text in all alignments.
pub fn all_primitives(width: u32, height: u32) -> DrawList {
    let k = width as f32 / 180.0;
    let p = |x: f32, y: f32| [x * k, y * k];
    let white = Color::hex(0xffffff);
    let prims = vec![
        Prim::Rect {
            x: 0.0,
            y: 0.0,
            w: width as f32,
            h: height as f32,
            radius: 0.0,
            fill: Fill::Vertical(Color::hex(0x0c1f3f), Color::hex(0x050e1f)),
        },
        text(
            "地震速报",
            90.0 * k,
            8.0 * k,
            22.0 * k,
            white,
            Align::Center,
        ),
        text(
            "四川雅安 6.1级",
            8.0 * k,
            36.0 * k,
            14.0 * k,
            white,
            Align::Left,
        ),
        text(
            "M6.1 深度17km",
            172.0 * k,
            54.0 * k,
            11.0 * k,
            Color::hex(0xffa133),
            Align::Right,
        ),
        Prim::Rect {
            x: 8.0 * k,
            y: 74.0 * k,
            w: 70.0 * k,
            h: 34.0 * k,
            radius: 8.0 * k,
            fill: Fill::Solid(Color::hex(0x21406b)),
        },
        Prim::Rect {
            x: 40.0 * k,
            y: 90.0 * k,
            w: 60.0 * k,
            h: 30.0 * k,
            radius: 4.0 * k,
            fill: Fill::Vertical(
                Color::rgba(1.0, 0.29, 0.17, 0.8),
                Color::rgba(1.0, 0.29, 0.17, 0.2),
            ),
        },
        Prim::Circle {
            cx: 135.0 * k,
            cy: 100.0 * k,
            r: 14.0 * k,
            stroke: None,
            color: Color::hex(0xff4a2b),
        },
        Prim::Circle {
            cx: 135.0 * k,
            cy: 100.0 * k,
            r: 24.0 * k,
            stroke: Some(3.0 * k),
            color: Color::rgba(1.0, 1.0, 1.0, 0.6),
        },
        Prim::Circle {
            cx: 135.0 * k,
            cy: 100.0 * k,
            r: 34.0 * k,
            stroke: Some(0.6 * k),
            color: Color::rgba(1.0, 1.0, 1.0, 0.9),
        },
        Prim::Ellipse {
            cx: 45.0 * k,
            cy: 150.0 * k,
            rx: 32.0 * k,
            ry: 12.0 * k,
            angle: 0.5,
            stroke: None,
            color: Color::hex(0x26466f),
        },
        Prim::Ellipse {
            cx: 45.0 * k,
            cy: 150.0 * k,
            rx: 36.0 * k,
            ry: 16.0 * k,
            angle: 0.5,
            stroke: Some(1.5 * k),
            color: Color::hex(0x98acc8),
        },
        // Map-like: a clip panel with a concave polygon and borders crossing its edge.
        Prim::Clip(Some([95.0 * k, 130.0 * k, 78.0 * k, 70.0 * k])),
        Prim::Rect {
            x: 95.0 * k,
            y: 130.0 * k,
            w: 78.0 * k,
            h: 70.0 * k,
            radius: 0.0,
            fill: Fill::Solid(Color::hex(0x0a2445)),
        },
        Prim::Polygon {
            points: vec![
                p(90.0, 140.0),
                p(140.0, 135.0),
                p(130.0, 160.0),
                p(185.0, 170.0),
                p(150.0, 210.0),
                p(120.0, 180.0),
                p(90.0, 205.0),
            ],
            color: Color::hex(0x1b3253),
        },
        Prim::Polyline {
            points: vec![
                p(90.0, 140.0),
                p(140.0, 135.0),
                p(130.0, 160.0),
                p(185.0, 170.0),
            ],
            width: 1.0 * k,
            color: Color::hex(0x55779f),
            closed: false,
        },
        Prim::Polyline {
            points: vec![p(100.0, 195.0), p(130.0, 150.0), p(170.0, 190.0)],
            width: 0.5 * k,
            color: Color::hex(0x98acc8),
            closed: false,
        },
        Prim::Clip(None),
        // A wide translucent zig-zag: joins must not double-blend.
        Prim::Polyline {
            points: vec![
                p(10.0, 230.0),
                p(40.0, 210.0),
                p(55.0, 250.0),
                p(70.0, 212.0),
                p(72.0, 250.0),
                p(110.0, 235.0),
            ],
            width: 5.0 * k,
            color: Color::rgba(1.0, 1.0, 1.0, 0.5),
            closed: false,
        },
        // Panel frame with miter corners.
        Prim::Polyline {
            points: vec![
                p(8.0, 262.0),
                p(172.0, 262.0),
                p(172.0, 300.0),
                p(8.0, 300.0),
            ],
            width: 1.5 * k,
            color: Color::rgba(0.65, 0.71, 0.81, 0.5),
            closed: true,
        },
        text(
            "Ya'an, Sichuan 雅安",
            90.0 * k,
            272.0 * k,
            12.0 * k,
            Color::hex(0xa7b6cf),
            Align::Center,
        ),
        // Invisible: must not change anything.
        Prim::Rect {
            x: 0.0,
            y: 0.0,
            w: width as f32,
            h: height as f32,
            radius: 0.0,
            fill: Fill::Solid(Color::rgba(1.0, 0.0, 0.0, 0.0)),
        },
    ];
    DrawList {
        width,
        height,
        clear: Color::hex(0x050e1f),
        prims,
    }
}

/// Deterministic pseudo-random numbers in `0..1` (a 64-bit LCG).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 40) as f32 / (1u64 << 24) as f32
    }
}

/// A light frame: a background, a few cards and text, and one 5,000-point polyline.
pub fn light(width: u32, height: u32) -> DrawList {
    let (w, h) = (width as f32, height as f32);
    let mut prims = vec![Prim::Rect {
        x: 0.0,
        y: 0.0,
        w,
        h,
        radius: 0.0,
        fill: Fill::Vertical(Color::hex(0x0c1f3f), Color::hex(0x050e1f)),
    }];
    for i in 0..6 {
        prims.push(Prim::Rect {
            x: w * 0.08,
            y: h * (0.2 + 0.1 * i as f32),
            w: w * 0.84,
            h: h * 0.08,
            radius: w * 0.02,
            fill: Fill::Solid(Color::hex(0x21406b)),
        });
        prims.push(text(
            &format!("震级 {}.{} 级 深度 {} 公里", 4 + i, i * 3 % 10, 10 + i * 7),
            w * 0.12,
            h * (0.215 + 0.1 * i as f32),
            w * 0.05,
            Color::hex(0xffffff),
            Align::Left,
        ));
    }
    let points = (0..5000)
        .map(|i| {
            let t = i as f32 / 4999.0;
            [w * (0.05 + 0.9 * t), h * (0.9 + 0.04 * (t * 60.0).sin())]
        })
        .collect();
    prims.push(Prim::Polyline {
        points,
        width: w / 360.0 * 2.0,
        color: Color::hex(0xff4a2b),
        closed: false,
    });
    DrawList {
        width,
        height,
        clear: Color::hex(0x050e1f),
        prims,
    }
}

/// A map-heavy frame: ~2,000 jittered "province" polygons with their borders (≈60k points in
/// all), rings, a marker and labels, inside a clipped panel.
pub fn map_heavy(width: u32, height: u32) -> DrawList {
    let (w, h) = (width as f32, height as f32);
    let mut rng = Lcg(42);
    let mut prims = vec![Prim::Rect {
        x: 0.0,
        y: 0.0,
        w,
        h,
        radius: 0.0,
        fill: Fill::Solid(Color::hex(0x0a2445)),
    }];
    prims.push(Prim::Clip(Some([0.05 * w, 0.1 * h, 0.9 * w, 0.6 * h])));
    let (cols, rows) = (36, 56);
    let (cw, ch) = (w / cols as f32, 0.8 * h / rows as f32);
    for r in 0..rows {
        for c in 0..cols {
            let (x0, y0) = (c as f32 * cw, 0.05 * h + r as f32 * ch);
            let n = 14;
            let pts: Vec<[f32; 2]> = (0..n)
                .map(|i| {
                    let a = std::f32::consts::TAU * i as f32 / n as f32;
                    let j = 0.35 + 0.2 * rng.next();
                    [x0 + cw * (0.5 + j * a.cos()), y0 + ch * (0.5 + j * a.sin())]
                })
                .collect();
            let shade = 0.12 + 0.1 * rng.next();
            prims.push(Prim::Polygon {
                points: pts.clone(),
                color: Color::rgba(shade, shade + 0.1, shade + 0.25, 1.0),
            });
            prims.push(Prim::Polyline {
                points: pts,
                width: 1.0,
                color: Color::hex(0x55779f),
                closed: true,
            });
        }
    }
    for i in 1..=4 {
        prims.push(Prim::Circle {
            cx: w / 2.0,
            cy: 0.4 * h,
            r: 0.08 * w * i as f32,
            stroke: Some(2.0),
            color: Color::rgba(1.0, 1.0, 1.0, 0.7),
        });
    }
    prims.push(Prim::Circle {
        cx: w / 2.0,
        cy: 0.4 * h,
        r: 0.015 * w,
        stroke: None,
        color: Color::hex(0xff4a2b),
    });
    prims.push(Prim::Clip(None));
    prims.push(text(
        "四川省雅安市芦山县 6.1级",
        w / 2.0,
        0.75 * h,
        0.06 * w,
        Color::hex(0xffffff),
        Align::Center,
    ));
    DrawList {
        width,
        height,
        clear: Color::hex(0x050e1f),
        prims,
    }
}
