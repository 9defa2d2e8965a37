//! Material backgrounds ([`quakecast_facts::material`]): the chosen picture or clip, carried in
//! the storyboard as small RGB frames, drawn behind a scene with a slow push-in (stills) or in
//! slow motion (clips), under a veil of the theme's background colour that keeps the cards
//! legible.
//!
//! The pixels travel with the storyboard (base64 in JSON), so any farm worker draws any frame
//! from the storyboard alone, as it does the rest; they are kept small ([`BACKDROP_W`] ×
//! [`BACKDROP_H`], at most [`MAX_CLIP_FRAMES`] frames) because a background under a veil needs
//! no more: it is drawn as a smoothly shaded grid of [`GRID_COLS`] × [`GRID_ROWS`] vertices
//! sampled from the frames ([`Prim::Shade`]), about 13 px apart at 720×1280.
use serde::{Deserialize, Serialize};

use quakecast_facts::material::{MaterialKind, Role};

use crate::theme::{MaterialStyle, Palette};
use crate::{Color, Prim};

/// Size of a backdrop's frames, pixels (9:16, as the bulletin).
pub const BACKDROP_W: u32 = 108;
pub const BACKDROP_H: u32 = 192;
/// Most frames a clip keeps.
pub const MAX_CLIP_FRAMES: usize = 16;
/// Vertices of the shaded grid a backdrop is drawn as.
pub const GRID_COLS: u32 = 55;
pub const GRID_ROWS: u32 = 97;

/// One material's pixels.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Backdrop {
    /// The library asset's id.
    pub id: String,
    pub role: Role,
    pub kind: MaterialKind,
    pub width: u32,
    pub height: u32,
    /// Frames per second of the clip's frames as sampled; 0 for a still.
    pub fps: f32,
    /// RGB8, rows top-down, `width × height × 3` bytes each (base64 in JSON).
    #[serde(with = "b64_frames")]
    pub frames: Vec<Vec<u8>>,
    /// Where the push-in heads, as fractions of width and height: the epicentre on a
    /// map-like picture (an asset with an `extent`), else the centre.
    #[serde(default = "centre")]
    pub focus: [f32; 2],
}

fn centre() -> [f32; 2] {
    [0.5, 0.5]
}

impl Backdrop {
    /// A backdrop from frames of `width × height` RGB8 pixels; refused when a frame has the
    /// wrong length, there is none, or there are more than [`MAX_CLIP_FRAMES`].
    pub fn new(
        id: &str,
        role: Role,
        kind: MaterialKind,
        width: u32,
        height: u32,
        fps: f32,
        frames: Vec<Vec<u8>>,
    ) -> Result<Backdrop, String> {
        let want = width as usize * height as usize * 3;
        if width == 0 || height == 0 || width > 4096 || height > 4096 {
            return Err(format!("backdrop {id}: size {width}x{height}"));
        }
        if frames.is_empty() || frames.len() > MAX_CLIP_FRAMES {
            return Err(format!("backdrop {id}: {} frames", frames.len()));
        }
        if let Some(f) = frames.iter().find(|f| f.len() != want) {
            return Err(format!(
                "backdrop {id}: a frame of {} bytes, {want} expected",
                f.len()
            ));
        }
        if !(fps.is_finite() && fps >= 0.0) {
            return Err(format!("backdrop {id}: fps {fps}"));
        }
        Ok(Backdrop {
            id: id.to_string(),
            role,
            kind,
            width,
            height,
            fps,
            frames,
            focus: centre(),
        })
    }

    /// The same with the push-in heading to `focus` (fractions, clamped to 0..1).
    pub fn with_focus(mut self, focus: [f32; 2]) -> Backdrop {
        self.focus = focus.map(|v| {
            if v.is_finite() {
                v.clamp(0.0, 1.0)
            } else {
                0.5
            }
        });
        self
    }

    /// Bilinear sample of frame `f` at pixel coordinates `(x, y)` (pixel centres at +0.5).
    fn sample(&self, f: usize, x: f32, y: f32) -> [f32; 3] {
        let w = self.width as usize;
        let h = self.height as usize;
        let fx = (x - 0.5).clamp(0.0, (w - 1) as f32);
        let fy = (y - 0.5).clamp(0.0, (h - 1) as f32);
        let (x0, y0) = (fx.floor() as usize, fy.floor() as usize);
        let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
        let (tx, ty) = (fx - x0 as f32, fy - y0 as f32);
        let px = &self.frames[f.min(self.frames.len() - 1)];
        let at = |x: usize, y: usize, c: usize| f32::from(px[(y * w + x) * 3 + c]);
        let mut out = [0.0; 3];
        for (c, o) in out.iter_mut().enumerate() {
            let top = at(x0, y0, c) * (1.0 - tx) + at(x1, y0, c) * tx;
            let bot = at(x0, y1, c) * (1.0 - tx) + at(x1, y1, c) * tx;
            *o = (top * (1.0 - ty) + bot * ty) / 255.0;
        }
        out
    }
}

/// The backdrop behind a scene at `t` of its `dur` seconds, covering `width × height`: a
/// [`Prim::Shade`] of the picture cropped to the frame's shape, zooming in from 1 to
/// `style.zoom` (with a slight drift) over the scene, a clip played at `style.clip_speed` of
/// its speed with its frames cross-faded, all under `style.dim` of the background gradient.
pub(crate) fn draw(
    b: &Backdrop,
    style: &MaterialStyle,
    p: &Palette,
    width: u32,
    height: u32,
    t: f32,
    dur: f32,
) -> Prim {
    let (bw, bh) = (b.width as f32, b.height as f32);
    let aspect = width as f32 / height.max(1) as f32;
    // Cover: the largest window of the frame's shape.
    let (cw0, ch0) = if bw / bh > aspect {
        (bh * aspect, bh)
    } else {
        (bw, bw / aspect)
    };
    let u = if dur > 0.0 {
        (t / dur).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let ease = u * u * (3.0 - 2.0 * u);
    let zoom = 1.0 + (style.zoom.clamp(1.0, 2.0) - 1.0) * ease;
    let (cw, ch) = (cw0 / zoom, ch0 / zoom);
    // Head for the focus as the zoom opens a margin, never past the picture's edge.
    let cx = (bw / 2.0 + (b.focus[0] * bw - bw / 2.0) * ease).clamp(cw / 2.0, bw - cw / 2.0);
    let cy = (bh / 2.0 + (b.focus[1] * bh - bh / 2.0) * ease).clamp(ch / 2.0, bh - ch / 2.0);
    let (x0, y0) = (cx - cw / 2.0, cy - ch / 2.0);
    // Clips: frame position at the slowed speed, held on the last frame.
    let n = b.frames.len();
    let pos = if b.fps > 0.0 && n > 1 {
        (t.max(0.0) * b.fps * style.clip_speed.clamp(0.05, 1.0)).min((n - 1) as f32)
    } else {
        0.0
    };
    let (f0, fw) = (pos.floor() as usize, pos.fract());
    let f1 = (f0 + 1).min(n - 1);
    let dim = style.dim.clamp(0.0, 1.0);
    let mut colors = Vec::with_capacity((GRID_COLS * GRID_ROWS) as usize);
    for j in 0..GRID_ROWS {
        let v = j as f32 / (GRID_ROWS - 1) as f32;
        let veil = mix(p.bg_top, p.bg_bottom, v);
        let sy = y0 + v * ch;
        for i in 0..GRID_COLS {
            let sx = x0 + i as f32 / (GRID_COLS - 1) as f32 * cw;
            let a = b.sample(f0, sx, sy);
            let px = if fw > 0.0 && f1 != f0 {
                let c = b.sample(f1, sx, sy);
                [0, 1, 2].map(|k| a[k] * (1.0 - fw) + c[k] * fw)
            } else {
                a
            };
            colors.push(Color::rgba(
                px[0] * (1.0 - dim) + veil.r * dim,
                px[1] * (1.0 - dim) + veil.g * dim,
                px[2] * (1.0 - dim) + veil.b * dim,
                1.0,
            ));
        }
    }
    Prim::Shade {
        rect: [0.0, 0.0, width as f32, height as f32],
        cols: GRID_COLS,
        rows: GRID_ROWS,
        colors,
    }
}

fn mix(a: Color, b: Color, t: f32) -> Color {
    Color::rgba(
        a.r + (b.r - a.r) * t,
        a.g + (b.g - a.g) * t,
        a.b + (b.b - a.b) * t,
        1.0,
    )
}

/// Base64 (RFC 4648, with padding) of the frames, so a storyboard's JSON stays compact.
mod b64_frames {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    pub fn encode(bytes: &[u8]) -> String {
        let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                chunk.get(1).copied().unwrap_or(0),
                chunk.get(2).copied().unwrap_or(0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for k in 0..4 {
                if k <= chunk.len() {
                    out.push(ALPHABET[((n >> (18 - 6 * k)) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    pub fn decode(s: &str) -> Result<Vec<u8>, String> {
        let s = s.as_bytes();
        if !s.len().is_multiple_of(4) {
            return Err(format!("base64 of {} characters", s.len()));
        }
        let val = |c: u8| -> Result<u32, String> {
            ALPHABET
                .iter()
                .position(|&a| a == c)
                .map(|p| p as u32)
                .ok_or_else(|| format!("not base64: {:?}", c as char))
        };
        let mut out = Vec::with_capacity(s.len() / 4 * 3);
        for (i, q) in s.chunks(4).enumerate() {
            let last = i == s.len() / 4 - 1;
            let pad = q.iter().rev().take_while(|&&c| c == b'=').count();
            if pad > 2 || (pad > 0 && !last) {
                return Err("misplaced base64 padding".into());
            }
            let mut n = 0u32;
            for &c in &q[..4 - pad] {
                n = (n << 6) | val(c)?;
            }
            n <<= 6 * pad as u32;
            let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
            out.extend_from_slice(&bytes[..3 - pad]);
        }
        Ok(out)
    }

    pub fn serialize<S: Serializer>(frames: &[Vec<u8>], s: S) -> Result<S::Ok, S::Error> {
        frames
            .iter()
            .map(|f| encode(f))
            .collect::<Vec<_>>()
            .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<u8>>, D::Error> {
        let v = Vec::<String>::deserialize(d)?;
        v.iter()
            .map(|f| decode(f).map_err(serde::de::Error::custom))
            .collect()
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn round_trips_every_length() {
            for n in 0..10usize {
                let bytes: Vec<u8> = (0..n).map(|i| (i * 97 + 13) as u8).collect();
                let s = super::encode(&bytes);
                assert_eq!(super::decode(&s).unwrap(), bytes, "{s}");
            }
            assert_eq!(super::encode(b"Man"), "TWFu");
            assert_eq!(super::encode(b"Ma"), "TWE=");
            assert!(super::decode("TW=u").is_err());
            assert!(super::decode("TWF").is_err());
            assert!(super::decode("TW*u").is_err());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stripes(w: u32, h: u32) -> Vec<u8> {
        let mut v = Vec::new();
        for y in 0..h {
            for x in 0..w {
                v.extend_from_slice(&[(x * 255 / w) as u8, (y * 255 / h) as u8, 128]);
            }
        }
        v
    }

    #[test]
    fn a_still_zooms_in_slowly_and_the_veil_dims_it() {
        let b = Backdrop::new(
            "s",
            Role::Background,
            MaterialKind::Image,
            BACKDROP_W,
            BACKDROP_H,
            0.0,
            vec![stripes(BACKDROP_W, BACKDROP_H)],
        )
        .unwrap();
        let style = MaterialStyle::default();
        let p = Palette::default();
        let colors = |t| match draw(&b, &style, &p, 720, 1280, t, 4.0) {
            Prim::Shade { colors, .. } => colors,
            other => panic!("{other:?}"),
        };
        let (a, z) = (colors(0.0), colors(4.0));
        assert_eq!(a.len(), (GRID_COLS * GRID_ROWS) as usize);
        // At the start the left edge shows the picture's left edge (red ≈ 0), after the zoom
        // less of the left.
        let veil = p.bg_top;
        let red_left = |c: &[Color]| (c[0].r - veil.r * style.dim) / (1.0 - style.dim);
        assert!(red_left(&a) < 0.01, "{}", red_left(&a));
        assert!(red_left(&z) > 0.02, "{}", red_left(&z));
        // Deterministic.
        assert_eq!(colors(1.3), colors(1.3));
        // The veil: no vertex brighter than (1 − dim) + dim·veil.
        assert!(a
            .iter()
            .all(|c| c.g <= 1.0 - style.dim + veil.g * style.dim + 1e-4));
    }

    #[test]
    fn a_clip_cross_fades_its_frames_in_slow_motion() {
        let black = vec![0u8; (BACKDROP_W * BACKDROP_H * 3) as usize];
        let white = vec![255u8; (BACKDROP_W * BACKDROP_H * 3) as usize];
        let b = Backdrop::new(
            "c",
            Role::Background,
            MaterialKind::Clip,
            BACKDROP_W,
            BACKDROP_H,
            2.0,
            vec![black, white],
        )
        .unwrap();
        let style = MaterialStyle {
            dim: 0.0,
            ..MaterialStyle::default()
        };
        let p = Palette::default();
        let mid = |t| match draw(&b, &style, &p, 180, 320, t, 3.0) {
            Prim::Shade { colors, .. } => colors[colors.len() / 2].r,
            _ => unreachable!(),
        };
        // 2 fps at half speed: frame 1 is reached after 1 s; halfway at 0.5 s; held after.
        assert!(mid(0.0) < 1e-6);
        assert!((mid(0.5) - 0.5).abs() < 1e-3, "{}", mid(0.5));
        assert!((mid(1.0) - 1.0).abs() < 1e-6);
        assert!((mid(2.5) - 1.0).abs() < 1e-6);
    }

    #[test]
    fn bad_frames_are_refused_and_json_round_trips() {
        assert!(Backdrop::new(
            "x",
            Role::Closing,
            MaterialKind::Image,
            2,
            2,
            0.0,
            vec![vec![0; 11]]
        )
        .is_err());
        assert!(Backdrop::new("x", Role::Closing, MaterialKind::Image, 2, 2, 0.0, vec![]).is_err());
        let b = Backdrop::new(
            "x",
            Role::Closing,
            MaterialKind::Image,
            2,
            2,
            0.0,
            vec![(0..12).collect()],
        )
        .unwrap();
        let j = serde_json::to_string(&b).unwrap();
        assert!(j.contains("\"AAECAwQFBgcICQoL\""), "{j}");
        assert_eq!(serde_json::from_str::<Backdrop>(&j).unwrap(), b);
    }
}

/// The material library's part in a storyboard: the pixels of the chosen background and
/// closing assets, and the record of every asset used (pictures and music), for the manifest.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Materials {
    pub background: Option<Backdrop>,
    pub closing: Option<Backdrop>,
    pub used: Vec<UsedMaterial>,
}

impl Materials {
    /// The backdrop behind `kind` under `style`, if any.
    pub fn for_scene(&self, kind: crate::SceneKind, style: &MaterialStyle) -> Option<&Backdrop> {
        if kind == crate::SceneKind::Closing && style.closing {
            return self.closing.as_ref().or(self.background.as_ref());
        }
        style
            .background_scenes
            .contains(&kind)
            .then_some(self.background.as_ref())
            .flatten()
    }

    /// The music bed chosen, if any.
    pub fn music(&self) -> Option<&UsedMaterial> {
        self.used.iter().find(|u| u.role == Role::Music)
    }
}

/// One asset a bulletin used, and why it was chosen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UsedMaterial {
    pub role: Role,
    pub id: String,
    pub kind: MaterialKind,
    /// The library's name and the asset's file within it.
    pub library: String,
    pub file: String,
    /// SHA-256 of the file as read (hex): a farm worker fetches a music bed by it.
    pub sha256: String,
    pub licence: String,
    pub source: String,
    /// The tags it matched ([`quakecast_facts::material::Choice::reasons`]).
    pub reasons: Vec<String>,
}

/// A relief picture of the area around `(lon, lat)`: `width × height` RGB8 pixels covering
/// `height_deg` degrees of latitude (and as many kilometres across as the shape asks), from the
/// elevation grid, in hypsometric tints (sea blues by depth; greens, ochres and browns up to
/// snow) under a hillshade lit from the north-west; `night`: the same in moonlit blues. The
/// generated default material set ([`quakecast_facts::material`]) is made of these.
pub fn relief_picture(
    dem: &quakecast_facts::Dem,
    lon: f64,
    lat: f64,
    height_deg: f64,
    width: u32,
    height: u32,
    night: bool,
) -> Vec<u8> {
    let coslat = lat.to_radians().cos().max(0.2);
    let dlat = height_deg / f64::from(height);
    let dlon = dlat / coslat;
    let west = lon - dlon * f64::from(width) / 2.0;
    let north = (lat + height_deg / 2.0).min(89.9);
    let h = |x: f64, y: f64| {
        let la = (north - y * dlat).clamp(-89.9, 89.9);
        let mut lo = west + x * dlon;
        lo = (lo + 180.0).rem_euclid(360.0) - 180.0;
        dem.height_bilinear(la, lo).unwrap_or(0.0)
    };
    // Metres per pixel, for the slope.
    let m = dlat * 111_195.0;
    let light = {
        let (az, alt) = (315f64.to_radians(), 45f64.to_radians());
        [alt.cos() * az.sin(), alt.cos() * az.cos(), alt.sin()]
    };
    let mut out = Vec::with_capacity((width * height * 3) as usize);
    for j in 0..height {
        for i in 0..width {
            let (x, y) = (f64::from(i) + 0.5, f64::from(j) + 0.5);
            let z = h(x, y);
            // Exaggerated 4× so 5′ relief reads at this scale.
            let gx = (h(x + 1.0, y) - h(x - 1.0, y)) / (2.0 * m) * 4.0;
            let gy = (h(x, y - 1.0) - h(x, y + 1.0)) / (2.0 * m) * 4.0;
            let n = {
                let l = (gx * gx + gy * gy + 1.0).sqrt();
                [-gx / l, -gy / l, 1.0 / l]
            };
            let lambert = (n[0] * light[0] + n[1] * light[1] + n[2] * light[2]).clamp(0.0, 1.0);
            let base = tint(z);
            let shade = if z < 0.0 {
                0.85 + 0.15 * lambert
            } else {
                0.45 + 0.75 * lambert
            };
            let night_k = [0.30, 0.36, 0.55];
            for (c, b) in base.iter().enumerate() {
                let mut v = b * shade;
                if night {
                    v *= night_k[c];
                }
                out.push((v.clamp(0.0, 1.0) * 255.0).round() as u8);
            }
        }
    }
    out
}

/// Hypsometric tint of a height, metres (linear RGB stops, sRGB-ish values).
fn tint(z: f64) -> [f64; 3] {
    const STOPS: [(f64, [f64; 3]); 10] = [
        (-6000.0, [0.04, 0.10, 0.25]),
        (-1000.0, [0.08, 0.22, 0.42]),
        (-50.0, [0.18, 0.38, 0.58]),
        (0.0, [0.30, 0.45, 0.30]),
        (300.0, [0.36, 0.52, 0.32]),
        (1000.0, [0.60, 0.60, 0.40]),
        (2000.0, [0.62, 0.50, 0.35]),
        (3500.0, [0.55, 0.45, 0.36]),
        (5000.0, [0.62, 0.55, 0.48]),
        (7000.0, [0.92, 0.92, 0.94]),
    ];
    if z <= STOPS[0].0 {
        return STOPS[0].1;
    }
    for w in STOPS.windows(2) {
        let ((z0, c0), (z1, c1)) = (w[0], w[1]);
        if z <= z1 {
            let t = (z - z0) / (z1 - z0);
            return [0, 1, 2].map(|k| c0[k] + (c1[k] - c0[k]) * t);
        }
    }
    STOPS[STOPS.len() - 1].1
}
