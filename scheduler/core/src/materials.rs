//! The material library on disk (docs/materials.md): a directory with a tags file
//! ([`quakecast_facts::material::TAGS_FILE`]) and the assets it lists; the choice per role
//! ([`quakecast_facts::material::choose`], by the theme's preference); the chosen pictures and
//! clips decoded by ffmpeg into the storyboard's small frames
//! ([`quakecast_scenes::backdrop::Backdrop`]); and the generated default set.
//!
//! The default set ([`default_library`]) is made here, never downloaded: relief pictures of
//! the bundled ETOPO5 grid ([`quakecast_scenes::backdrop::relief_picture`]) on a 15° grid of
//! tiles covering the Earth, in a day and a night version, each tagged with its tile's box
//! and the time of day. It is written once under `data/materials/default/` (atomically: a
//! temporary directory renamed) the first time a bulletin needs it.
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use quakecast_facts::material::{
    choose, DayNight, Entry, EventTags, Library, MaterialKind, Role, TAGS_FILE,
};
use quakecast_facts::{Assets, Event, Facts};
use quakecast_scenes::backdrop::{
    relief_picture, Backdrop, Materials, UsedMaterial, BACKDROP_H, BACKDROP_W, MAX_CLIP_FRAMES,
};
use quakecast_scenes::Theme;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Where the generated default set lives under the data directory.
pub const DEFAULT_LIBRARY_DIR: &str = "materials/default";
/// Bumped when the generated set changes: an older set is made again.
const DEFAULT_SET_VERSION: u32 = 3;
/// Tiles of the default set, degrees of longitude and latitude (from 72°S to 72°N).
const TILE_LON_DEG: f64 = 12.0;
const TILE_LAT_DEG: f64 = 18.0;
/// Map-like pictures (with an `extent`) are read at this size and cropped to the backdrop's
/// around the epicentre; the default set's pictures are made at it.
const GEO_W: u32 = 144;
const GEO_H: u32 = 256;
/// Latitude the default set's pictures cover, degrees: ETOPO5's 5′ per pixel, and more than a
/// tile, so that a crop of a tile's picture around any epicentre in the tile stays inside.
const PICTURE_LAT_DEG: f64 = GEO_H as f64 / 12.0;
/// Clips: frames sampled per second, and how many seconds are read at most.
const CLIP_FPS: f32 = 2.0;
/// Largest asset file read, bytes.
const MAX_ASSET_BYTES: u64 = 256 << 20;

/// A library: its directory and decoded tags file.
#[derive(Clone, Debug)]
pub struct MaterialLibrary {
    pub dir: PathBuf,
    pub tags: Library,
}

impl MaterialLibrary {
    /// Read and check `dir/tags.json`: the file decodes ([`Library::from_json`]) and every
    /// asset's file exists. Errors name the file and the asset.
    pub fn load(dir: &Path) -> Result<MaterialLibrary> {
        let p = dir.join(TAGS_FILE);
        let text = std::fs::read_to_string(&p).map_err(|e| Error::Material {
            path: p.display().to_string(),
            hint: format!("the material library's tags file could not be read: {e}"),
        })?;
        let tags = Library::from_json(&text).map_err(|e| Error::Material {
            path: p.display().to_string(),
            hint: e.to_string(),
        })?;
        for e in &tags.assets {
            let f = dir.join(&e.file);
            if !f.is_file() {
                return Err(Error::Material {
                    path: p.display().to_string(),
                    hint: format!("asset {:?}: file {} is missing", e.id, f.display()),
                });
            }
        }
        Ok(MaterialLibrary {
            dir: dir.to_path_buf(),
            tags,
        })
    }

    fn name(&self) -> String {
        if self.tags.name.is_empty() {
            self.dir.display().to_string()
        } else {
            self.tags.name.clone()
        }
    }
}

/// What the library gives one bulletin: the storyboard's part, and the music bed's file.
#[derive(Clone, Debug, Default)]
pub struct Picked {
    pub materials: Materials,
    pub music: Option<PathBuf>,
}

/// Choose and read the assets of `lib` for `event` under `theme`: a background (for the
/// theme's background scenes), a closing asset (when the theme wants one) and a music bed
/// (when the theme plays one). An asset that cannot be read or decoded is logged and the next
/// best is tried; a role nothing fits is left empty (the plain gradient, the synthesized
/// music).
pub fn pick(
    lib: &MaterialLibrary,
    event: &Event,
    facts: &Facts,
    assets: &Assets,
    theme: &Theme,
) -> Picked {
    let tags = EventTags::of(event, facts, assets);
    let style = &theme.materials;
    let mut out = Picked::default();
    let mut roles = Vec::new();
    if !style.background_scenes.is_empty() {
        roles.push(Role::Background);
    }
    if style.closing {
        roles.push(Role::Closing);
    }
    if style.music {
        roles.push(Role::Music);
    }
    for role in roles {
        let mut left = lib.tags.clone();
        // At most a few tries: a broken asset is skipped, not fatal.
        for _ in 0..4 {
            let Some(c) = choose(&left, role, &tags, &style.prefer) else {
                break;
            };
            let entry = left.assets[c.index].clone();
            match read_asset(lib, &entry, role, (event.lon, event.lat)) {
                Ok((sha, backdrop)) => {
                    let path = lib.dir.join(&entry.file);
                    tracing::info!(role = role.name(), id = %entry.id, reasons = ?c.reasons, "material chosen");
                    out.materials.used.push(UsedMaterial {
                        role,
                        id: entry.id.clone(),
                        kind: entry.kind,
                        library: lib.name(),
                        file: entry.file.clone(),
                        sha256: sha,
                        licence: entry.licence.clone(),
                        source: entry.source.clone(),
                        reasons: c.reasons.clone(),
                    });
                    match role {
                        Role::Background => out.materials.background = backdrop,
                        Role::Closing => out.materials.closing = backdrop,
                        Role::Music => out.music = Some(path),
                    }
                    break;
                }
                Err(e) => {
                    tracing::warn!(role = role.name(), id = %entry.id, error = %e, "material left out; trying the next");
                    left.assets.remove(c.index);
                }
            }
        }
    }
    out
}

/// The file's SHA-256 and, for pictures and clips, its frames.
fn read_asset(
    lib: &MaterialLibrary,
    e: &Entry,
    role: Role,
    (lon, lat): (f64, f64),
) -> Result<(String, Option<Backdrop>)> {
    let path = lib.dir.join(&e.file);
    let sha = sha256_file(&path)?;
    let backdrop = match e.kind {
        MaterialKind::Music => None,
        MaterialKind::Image => match e.extent {
            Some(extent) => {
                let full = decode_frames_at(&path, false, GEO_W, GEO_H)?;
                let (crop, focus) = crop_around(&full[0], extent, lon, lat);
                Some(backdrop(e, role, 0.0, vec![crop])?.with_focus(focus))
            }
            None => {
                let frames = decode_frames(&path, false)?;
                Some(backdrop(e, role, 0.0, frames)?)
            }
        },
        MaterialKind::Clip => {
            let frames = decode_frames(&path, true)?;
            let fps = if frames.len() > 1 { CLIP_FPS } else { 0.0 };
            Some(backdrop(e, role, fps, frames)?)
        }
    };
    Ok((sha, backdrop))
}

fn backdrop(e: &Entry, role: Role, fps: f32, frames: Vec<Vec<u8>>) -> Result<Backdrop> {
    Backdrop::new(&e.id, role, e.kind, BACKDROP_W, BACKDROP_H, fps, frames).map_err(|m| {
        Error::Material {
            path: e.file.clone(),
            hint: m,
        }
    })
}

fn sha256_file(path: &Path) -> Result<String> {
    let bad = |m: String| Error::Material {
        path: path.display().to_string(),
        hint: m,
    };
    let f = std::fs::File::open(path).map_err(|e| bad(format!("could not be read: {e}")))?;
    let mut h = Sha256::new();
    let mut r = f.take(MAX_ASSET_BYTES + 1);
    let mut buf = vec![0u8; 1 << 16];
    let mut n_total = 0u64;
    loop {
        let n = r
            .read(&mut buf)
            .map_err(|e| bad(format!("could not be read: {e}")))?;
        if n == 0 {
            break;
        }
        n_total += n as u64;
        h.update(&buf[..n]);
    }
    if n_total > MAX_ASSET_BYTES {
        return Err(bad(format!("larger than {} MiB", MAX_ASSET_BYTES >> 20)));
    }
    Ok(hex(&h.finalize()))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Frames of a picture (one) or clip (up to [`MAX_CLIP_FRAMES`] at [`CLIP_FPS`]), scaled to
/// cover [`BACKDROP_W`] × [`BACKDROP_H`] and cropped to it, as RGB8, by ffmpeg.
fn decode_frames(path: &Path, clip: bool) -> Result<Vec<Vec<u8>>> {
    decode_frames_at(path, clip, BACKDROP_W, BACKDROP_H)
}

/// A [`BACKDROP_W`] × [`BACKDROP_H`] window of a [`GEO_W`] × [`GEO_H`] picture showing
/// `extent`, centred on `(lon, lat)` as far as the picture allows, and where that point lies in
/// the window (fractions).
fn crop_around(px: &[u8], extent: [f64; 4], lon: f64, lat: f64) -> (Vec<u8>, [f32; 2]) {
    let [w, s, e, n] = extent;
    let span = if e > w { e - w } else { e + 360.0 - w };
    let mut dx = lon - w;
    if dx < 0.0 {
        dx += 360.0;
    }
    let fx = (dx / span).clamp(0.0, 1.0) * f64::from(GEO_W);
    let fy = ((n - lat) / (n - s)).clamp(0.0, 1.0) * f64::from(GEO_H);
    let (cw, ch) = (f64::from(BACKDROP_W), f64::from(BACKDROP_H));
    let x0 = (fx - cw / 2.0).round().clamp(0.0, f64::from(GEO_W) - cw) as usize;
    let y0 = (fy - ch / 2.0).round().clamp(0.0, f64::from(GEO_H) - ch) as usize;
    let mut out = Vec::with_capacity((BACKDROP_W * BACKDROP_H * 3) as usize);
    for y in y0..y0 + BACKDROP_H as usize {
        let row = (y * GEO_W as usize + x0) * 3;
        out.extend_from_slice(&px[row..row + BACKDROP_W as usize * 3]);
    }
    let focus = [
        ((fx - x0 as f64) / cw) as f32,
        ((fy - y0 as f64) / ch) as f32,
    ];
    (out, focus)
}

fn decode_frames_at(path: &Path, clip: bool, w: u32, h: u32) -> Result<Vec<Vec<u8>>> {
    let mut filter = format!(
        "scale={w}:{h}:force_original_aspect_ratio=increase:flags=area,crop={w}:{h},format=rgb24"
    );
    let frames = if clip { MAX_CLIP_FRAMES } else { 1 };
    if clip {
        filter = format!("fps={CLIP_FPS},{filter}");
    }
    let mut cmd = Command::new(crate::media::ffmpeg_path());
    cmd.args(["-v", "error", "-nostdin"]);
    if clip {
        cmd.args(["-t", &format!("{}", MAX_CLIP_FRAMES as f32 / CLIP_FPS)]);
    }
    cmd.arg("-i")
        .arg(path)
        .args(["-an", "-frames:v", &frames.to_string(), "-vf", &filter])
        .args(["-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        .stdin(Stdio::null());
    let out = cmd.output().map_err(|e| Error::Tool {
        tool: "ffmpeg",
        message: format!("could not start: {e}"),
    })?;
    let bad = |m: String| Error::Material {
        path: path.display().to_string(),
        hint: m,
    };
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(bad(format!(
            "not a picture or clip ffmpeg can read: {}",
            err.lines().last().unwrap_or("").trim()
        )));
    }
    let size = (w * h * 3) as usize;
    let n = out.stdout.len() / size;
    if n == 0 {
        return Err(bad("ffmpeg decoded no frame".into()));
    }
    Ok(out
        .stdout
        .chunks_exact(size)
        .take(n)
        .map(<[u8]>::to_vec)
        .collect())
}

/// The generated default set under `data_dir` ([`DEFAULT_LIBRARY_DIR`]), made now if it is
/// missing or from an older version. Needs the bundled elevation grid.
pub fn default_library(data_dir: &Path) -> Result<Arc<MaterialLibrary>> {
    static CACHE: std::sync::OnceLock<
        std::sync::Mutex<std::collections::HashMap<PathBuf, Arc<MaterialLibrary>>>,
    > = std::sync::OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = data_dir.to_path_buf();
    if let Some(l) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return Ok(l);
    }
    let dir = data_dir.join(DEFAULT_LIBRARY_DIR);
    let stamp = dir.join(".version");
    let current =
        std::fs::read_to_string(&stamp).is_ok_and(|v| v.trim() == DEFAULT_SET_VERSION.to_string());
    if !current {
        generate_default(data_dir, &dir)?;
    }
    let lib = Arc::new(MaterialLibrary::load(&dir)?);
    if let Ok(mut c) = cache.lock() {
        c.insert(key, lib.clone());
    }
    Ok(lib)
}

/// Write the default set into `dir` (replacing an older one).
pub fn generate_default(data_dir: &Path, dir: &Path) -> Result<()> {
    let t0 = std::time::Instant::now();
    let dem = crate::bulletin::bundled_dem(data_dir)?;
    let parent = dir.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    let tmp = tempfile::Builder::new()
        .prefix(".default-materials-")
        .tempdir_in(parent)
        .map_err(|e| Error::io(parent, e))?;
    let mut assets = Vec::new();
    let rows = (144.0 / TILE_LAT_DEG) as i32;
    let cols = (360.0 / TILE_LON_DEG) as i32;
    for r in 0..rows {
        // The polar caps have no tiles of their own: the pictures of the rows next to them
        // reach past 72°.
        let south = -72.0 + f64::from(r) * TILE_LAT_DEG;
        let north = south + TILE_LAT_DEG;
        for c in 0..cols {
            let west = -180.0 + f64::from(c) * TILE_LON_DEG;
            let east = west + TILE_LON_DEG;
            let (lon, lat) = (west + TILE_LON_DEG / 2.0, south + TILE_LAT_DEG / 2.0);
            let half_h = PICTURE_LAT_DEG / 2.0;
            let half_w =
                half_h * f64::from(GEO_W) / f64::from(GEO_H) / lat.to_radians().cos().max(0.2);
            let wrap = |x: f64| (x + 180.0).rem_euclid(360.0) - 180.0;
            let extent = [
                wrap(lon - half_w),
                lat - half_h,
                wrap(lon + half_w),
                lat + half_h,
            ];
            for time in [DayNight::Day, DayNight::Night] {
                let night = time == DayNight::Night;
                let px = relief_picture(&dem, lon, lat, PICTURE_LAT_DEG, GEO_W, GEO_H, night);
                let tname = if night { "night" } else { "day" };
                let id = format!(
                    "relief-{}{:03}-{}{:02}-{tname}",
                    ew(lon),
                    lon.abs() as i32,
                    ns(lat),
                    lat.abs() as i32
                );
                let file = format!("{id}.png");
                write_png(&tmp.path().join(&file), GEO_W, GEO_H, &px)?;
                assets.push(Entry {
                    id,
                    file,
                    kind: MaterialKind::Image,
                    roles: vec![Role::Background, Role::Closing],
                    regions: Vec::new(),
                    bbox: Some([west, south, east, north]),
                    extent: Some(extent),
                    terrain: Vec::new(),
                    magnitude: None,
                    time: Some(time),
                    licence: "public domain (ETOPO5, NOAA NGDC; rendered by quakecast)".into(),
                    source: format!(
                        "quakecast default set v{DEFAULT_SET_VERSION}: ETOPO5 relief around {lon}°, {lat}°, {PICTURE_LAT_DEG}° of latitude"
                    ),
                });
            }
        }
    }
    let lib = Library {
        name: "quakecast default (generated relief)".into(),
        assets,
    };
    let json = serde_json::to_string_pretty(&lib).map_err(|e| Error::Material {
        path: TAGS_FILE.into(),
        hint: e.to_string(),
    })?;
    let tp = tmp.path().join(TAGS_FILE);
    std::fs::write(&tp, json).map_err(|e| Error::io(&tp, e))?;
    let vp = tmp.path().join(".version");
    std::fs::write(&vp, format!("{DEFAULT_SET_VERSION}\n")).map_err(|e| Error::io(&vp, e))?;
    let kept = tmp.keep();
    if dir.exists() {
        let old = parent.join(format!(".default-materials-old-{}", std::process::id()));
        let _ = std::fs::rename(dir, &old);
        let _ = std::fs::remove_dir_all(&old);
    }
    if let Err(e) = std::fs::rename(&kept, dir) {
        let _ = std::fs::remove_dir_all(&kept);
        // Another process made it meanwhile: theirs is as good.
        if !dir.join(".version").is_file() {
            return Err(Error::io(dir, e));
        }
    }
    tracing::info!(
        dir = %dir.display(),
        assets = lib.assets.len(),
        secs = t0.elapsed().as_secs_f64(),
        "generated the default material set"
    );
    Ok(())
}

fn ew(lon: f64) -> char {
    if lon < 0.0 {
        'w'
    } else {
        'e'
    }
}

fn ns(lat: f64) -> char {
    if lat < 0.0 {
        's'
    } else {
        'n'
    }
}

fn write_png(path: &Path, w: u32, h: u32, rgb: &[u8]) -> Result<()> {
    let f = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
    let mut enc = png::Encoder::new(std::io::BufWriter::new(f), w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut wr = enc.write_header().map_err(|e| Error::Material {
        path: path.display().to_string(),
        hint: e.to_string(),
    })?;
    wr.write_image_data(rgb).map_err(|e| Error::Material {
        path: path.display().to_string(),
        hint: e.to_string(),
    })?;
    Ok(())
}

/// The object-store key a music bed is shared under between a farm's intake and its audio
/// task: content-addressed, so a bed is stored once however many bulletins use it.
pub fn bed_key(used: &UsedMaterial) -> String {
    let ext = Path::new(&used.file)
        .extension()
        .and_then(|e| e.to_str())
        .filter(|e| e.len() <= 8 && e.bytes().all(|b| b.is_ascii_alphanumeric()))
        .map(|e| e.to_ascii_lowercase())
        .unwrap_or_else(|| "bin".into());
    format!("materials/{}.{ext}", used.sha256)
}
