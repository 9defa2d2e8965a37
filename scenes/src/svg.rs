//! A draw list as SVG text: for looking at frames and for reviews, without a GPU.
//!
//! Close to what the renderer draws, not identical: fonts come from the SVG viewer
//! ("WenQuanYi Micro Hei" requested), and blending is the viewer's.
use std::fmt::Write;

use crate::{Align, Color, DrawList, Fill, Prim};

fn rgba(c: Color) -> String {
    format!(
        "rgba({},{},{},{:.3})",
        (c.r * 255.0).round() as u8,
        (c.g * 255.0).round() as u8,
        (c.b * 255.0).round() as u8,
        c.a
    )
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn points(p: &[[f32; 2]]) -> String {
    let mut s = String::with_capacity(p.len() * 12);
    for q in p {
        let _ = write!(s, "{:.1},{:.1} ", q[0], q[1]);
    }
    s
}

/// Render `list` as a standalone SVG document.
pub fn to_svg(list: &DrawList) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}"><rect width="{w}" height="{h}" fill="{c}"/>"#,
        w = list.width,
        h = list.height,
        c = rgba(list.clear)
    );
    let mut defs = 0;
    let mut open_clip = false;
    for p in &list.prims {
        match p {
            Prim::Rect {
                x,
                y,
                w,
                h,
                radius,
                fill,
            } => {
                let f = match fill {
                    Fill::Solid(c) => rgba(*c),
                    Fill::Vertical(a, b) => {
                        defs += 1;
                        let _ = write!(
                            s,
                            r#"<defs><linearGradient id="g{defs}" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="{}"/><stop offset="1" stop-color="{}"/></linearGradient></defs>"#,
                            rgba(*a),
                            rgba(*b)
                        );
                        format!("url(#g{defs})")
                    }
                };
                let _ = write!(
                    s,
                    r#"<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="{radius}" fill="{f}"/>"#
                );
            }
            Prim::Circle {
                cx,
                cy,
                r,
                stroke,
                color,
            } => {
                let paint = match stroke {
                    Some(w) => format!(
                        r#"fill="none" stroke="{}" stroke-width="{w}""#,
                        rgba(*color)
                    ),
                    None => format!(r#"fill="{}""#, rgba(*color)),
                };
                let _ = write!(s, r#"<circle cx="{cx}" cy="{cy}" r="{r}" {paint}/>"#);
            }
            Prim::Ellipse {
                cx,
                cy,
                rx,
                ry,
                angle,
                stroke,
                color,
            } => {
                let paint = match stroke {
                    Some(w) => format!(
                        r#"fill="none" stroke="{}" stroke-width="{w}""#,
                        rgba(*color)
                    ),
                    None => format!(r#"fill="{}""#, rgba(*color)),
                };
                let _ = write!(
                    s,
                    r#"<ellipse cx="{cx}" cy="{cy}" rx="{rx}" ry="{ry}" transform="rotate({} {cx} {cy})" {paint}/>"#,
                    angle.to_degrees()
                );
            }
            Prim::Polyline {
                points: p,
                width,
                color,
                closed,
            } => {
                let tag = if *closed { "polygon" } else { "polyline" };
                let _ = write!(
                    s,
                    r#"<{tag} points="{}" fill="none" stroke="{}" stroke-width="{width}" stroke-linejoin="round" stroke-linecap="round"/>"#,
                    points(p),
                    rgba(*color)
                );
            }
            Prim::Polygon { points: p, color } => {
                let _ = write!(
                    s,
                    r#"<polygon points="{}" fill="{}" fill-rule="nonzero"/>"#,
                    points(p),
                    rgba(*color)
                );
            }
            Prim::Text(t) => {
                let anchor = match t.align {
                    Align::Left => "start",
                    Align::Center => "middle",
                    Align::Right => "end",
                };
                let _ = write!(
                    s,
                    r#"<text x="{}" y="{}" font-size="{}" font-family="WenQuanYi Micro Hei, sans-serif" text-anchor="{anchor}" fill="{}">{}</text>"#,
                    t.x,
                    t.y + 0.8 * t.size,
                    t.size,
                    rgba(t.color),
                    esc(&t.text)
                );
            }
            Prim::Shade {
                rect,
                cols,
                rows,
                colors,
            } => {
                // One rectangle per cell, in the cell's mean colour (SVG has no Gouraud fill).
                let (cols, rows) = (*cols as usize, *rows as usize);
                if cols >= 2 && rows >= 2 && colors.len() == cols * rows {
                    let (cw, ch) = (rect[2] / (cols - 1) as f32, rect[3] / (rows - 1) as f32);
                    for r in 0..rows - 1 {
                        for c in 0..cols - 1 {
                            let k = [
                                r * cols + c,
                                r * cols + c + 1,
                                (r + 1) * cols + c,
                                (r + 1) * cols + c + 1,
                            ];
                            let avg = |f: fn(&Color) -> f32| {
                                k.iter().map(|&i| f(&colors[i])).sum::<f32>() / 4.0
                            };
                            let col =
                                Color::rgba(avg(|c| c.r), avg(|c| c.g), avg(|c| c.b), avg(|c| c.a));
                            let _ = write!(
                                s,
                                r#"<rect x="{}" y="{}" width="{cw}" height="{ch}" fill="{}"/>"#,
                                rect[0] + c as f32 * cw,
                                rect[1] + r as f32 * ch,
                                rgba(col)
                            );
                        }
                    }
                }
            }
            Prim::Clip(c) => {
                if open_clip {
                    s.push_str("</g>");
                    open_clip = false;
                }
                if let Some([x, y, w, h]) = c {
                    defs += 1;
                    let _ = write!(
                        s,
                        r#"<defs><clipPath id="c{defs}"><rect x="{x}" y="{y}" width="{w}" height="{h}"/></clipPath></defs><g clip-path="url(#c{defs})">"#
                    );
                    open_clip = true;
                }
            }
        }
    }
    if open_clip {
        s.push_str("</g>");
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Text;

    #[test]
    fn svg_has_every_primitive() {
        let list = DrawList {
            width: 10,
            height: 20,
            clear: Color::hex(0x000000),
            prims: vec![
                Prim::Clip(Some([0.0, 0.0, 5.0, 5.0])),
                Prim::Polygon {
                    points: vec![[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]],
                    color: Color::hex(0xff0000),
                },
                Prim::Clip(None),
                Prim::Text(Text {
                    text: "a<b".into(),
                    x: 1.0,
                    y: 2.0,
                    size: 10.0,
                    color: Color::hex(0xffffff),
                    align: Align::Center,
                }),
            ],
        };
        let s = to_svg(&list);
        assert!(s.starts_with("<svg") && s.trim_end().ends_with("</svg>"));
        assert!(s.contains("<polygon") && s.contains("a&lt;b") && s.contains("clip-path"));
        assert_eq!(s.matches("<g ").count(), s.matches("</g>").count());
    }
}
