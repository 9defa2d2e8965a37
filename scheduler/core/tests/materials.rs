//! The material library for real: a library of pictures, a clip and a music bed made by ffmpeg,
//! matched to real reports and read into the storyboard; broken libraries and assets; the
//! generated default set over epicentres around the world.
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use quakecast_core::assets::{default_data_dir, load_assets};
use quakecast_core::bulletin::{plan_bulletin, Content};
use quakecast_core::materials::{generate_default, pick, MaterialLibrary};
use quakecast_facts::material::{Library, MaterialKind, Role};
use quakecast_facts::{parse_report, Event};
use quakecast_scenes::backdrop::{BACKDROP_H, BACKDROP_W};
use quakecast_scenes::{RenderSettings, Theme};

fn sample(name: &str) -> Event {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../scenes/samples")
        .join(name);
    parse_report(&std::fs::read(p).expect("sample")).expect("parses")
}

fn ffmpeg(args: &[&str]) {
    let st = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-nostdin"])
        .args(args)
        .status()
        .expect("ffmpeg");
    assert!(st.success(), "ffmpeg {args:?}");
}

/// A library: a Sichuan picture (landscape, so it is cropped), an untagged picture, a
/// mountain clip for closing cards, a music bed for strong quakes, and `extra` assets.
fn library(dir: &Path, extra: &str) -> PathBuf {
    let f = |n: &str| dir.join(n).display().to_string();
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=400x300",
        "-frames:v",
        "1",
        &f("sichuan.png"),
    ]);
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "color=c=0x336699:size=90x160",
        "-frames:v",
        "1",
        &f("plain.jpg"),
    ]);
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=320x240:rate=10",
        "-t",
        "3",
        "-pix_fmt",
        "yuv420p",
        &f("gorge.mp4"),
    ]);
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=220:duration=3",
        "-ac",
        "2",
        "-ar",
        "44100",
        &f("bed.wav"),
    ]);
    let tags = format!(
        r#"{{ "name": "test desk", "assets": [
        {{ "id": "sichuan", "file": "sichuan.png", "kind": "image", "roles": ["background"],
           "regions": ["CN-51"], "licence": "own work", "source": "test" }},
        {{ "id": "plain", "file": "plain.jpg", "kind": "image", "licence": "own work", "source": "test" }},
        {{ "id": "gorge", "file": "gorge.mp4", "kind": "clip", "roles": ["closing"], "terrain": ["mountain", "plateau", "hills"],
           "licence": "CC BY 4.0", "source": "test" }},
        {{ "id": "bed", "file": "bed.wav", "kind": "music", "magnitude": [6.0, 10.0], "licence": "own work", "source": "test" }}
        {extra} ] }}"#
    );
    std::fs::write(dir.join("tags.json"), tags).expect("tags");
    dir.to_path_buf()
}

#[test]
fn a_library_is_matched_to_the_event_and_read_into_the_storyboard() {
    let tmp = tempfile::tempdir().expect("tmp");
    let lib = Arc::new(MaterialLibrary::load(&library(tmp.path(), "")).expect("library"));
    let data = default_data_dir();
    let assets = load_assets(&data).expect("assets: run `bash scripts/setup.sh`");
    let content = Content {
        materials: Some(lib.clone()),
        ..Content::default()
    }
    .with_bundled(&data, false, true);
    let settings = RenderSettings {
        width: 180,
        height: 320,
        fps: 10,
    };
    // Luding M6.8 (Sichuan, mountains): the Sichuan picture, the clip, the bed.
    let tl = plan_bulletin(
        &sample("cenc-record-2022-09-05-luding.json"),
        &assets,
        &content,
        settings,
        None,
    )
    .expect("plan");
    let m = &tl.storyboard.materials;
    let bg = m.background.as_ref().expect("background");
    assert_eq!(
        (bg.id.as_str(), bg.kind, bg.frames.len()),
        ("sichuan", MaterialKind::Image, 1)
    );
    assert_eq!((bg.width, bg.height), (BACKDROP_W, BACKDROP_H));
    let closing = m.closing.as_ref().expect("closing");
    assert_eq!(closing.id, "gorge");
    // 3 s at 2 frames a second.
    assert_eq!(closing.frames.len(), 6, "clip frames");
    assert!(closing.fps > 0.0);
    assert_ne!(closing.frames[0], closing.frames[5], "the clip moves");
    let used: Vec<(Role, &str)> = m.used.iter().map(|u| (u.role, u.id.as_str())).collect();
    assert_eq!(
        used,
        vec![
            (Role::Background, "sichuan"),
            (Role::Closing, "gorge"),
            (Role::Music, "bed")
        ]
    );
    let bed = m.music().expect("bed");
    assert_eq!(bed.reasons, vec!["magnitude 6–10"]);
    assert_eq!(bed.sha256.len(), 64);
    assert_eq!(bed.library, "test desk");
    assert_eq!(
        tl.music.as_deref(),
        Some(tmp.path().join("bed.wav").as_path())
    );
    let reasons = &m.used[1].reasons;
    assert!(reasons[0].starts_with("terrain "), "{reasons:?}");
    // The storyboard carries the pixels through JSON (what a farm job stores).
    let json = serde_json::to_string(&tl.storyboard).expect("json");
    let back: quakecast_scenes::Storyboard = serde_json::from_str(&json).expect("back");
    assert_eq!(back.materials, tl.storyboard.materials);
    // Frames of the header draw the picture, the closing frames the clip.
    let measure = quakecast_scenes::FixedMeasure;
    let header = tl.storyboard.frame(2, &assets, &measure);
    assert!(matches!(
        header.prims[1],
        quakecast_scenes::Prim::Shade { cols: 55, .. }
    ));
    let last = tl.storyboard.total_frames - 1;
    let closing_frame = tl.storyboard.frame(last, &assets, &measure);
    assert!(matches!(
        closing_frame.prims[1],
        quakecast_scenes::Prim::Shade { cols: 55, .. }
    ));
    let map = tl
        .storyboard
        .scenes
        .iter()
        .find(|s| s.kind == quakecast_scenes::SceneKind::Map)
        .expect("map");
    let map_frame = tl
        .storyboard
        .frame(map.start + map.frames / 2, &assets, &measure);
    let backdrop = |p: &quakecast_scenes::Prim| {
        matches!(
            p,
            quakecast_scenes::Prim::Shade {
                cols: 55,
                rows: 97,
                ..
            }
        )
    };
    assert!(
        !map_frame.prims.iter().any(backdrop),
        "no picture behind the map"
    );

    // Hanyuan, a smaller quake in Sichuan: no bed fits (magnitude 6–10), synthesized music.
    let small = plan_bulletin(
        &sample("cenc-2022-05-20-hanyuan.json"),
        &assets,
        &content,
        settings,
        None,
    )
    .expect("plan");
    assert!(small.storyboard.materials.music().is_none());
    assert!(small.music.is_none());
    // Turkey: not Sichuan, so the untagged picture.
    let turkey = plan_bulletin(
        &sample("emsc-2023-02-06-kahramanmaras.json"),
        &assets,
        &content,
        settings,
        None,
    )
    .expect("plan");
    assert_eq!(
        turkey
            .storyboard
            .materials
            .background
            .as_ref()
            .map(|b| b.id.as_str()),
        Some("plain")
    );
    // The theme can turn it all off.
    let off = Content {
        theme: Theme {
            materials: quakecast_scenes::theme::MaterialStyle {
                background_scenes: vec![],
                closing: false,
                music: false,
                ..Default::default()
            },
            ..Theme::default()
        },
        theme_path: Some("t.json".into()),
        ..content.clone()
    };
    let none = plan_bulletin(
        &sample("cenc-record-2022-09-05-luding.json"),
        &assets,
        &off,
        settings,
        None,
    )
    .expect("plan");
    assert!(none.storyboard.materials.used.is_empty());
}

#[test]
fn broken_libraries_are_refused_naming_the_file_and_broken_assets_are_skipped() {
    let tmp = tempfile::tempdir().expect("tmp");
    let e = MaterialLibrary::load(tmp.path())
        .expect_err("no tags")
        .to_string();
    assert!(e.contains("tags.json"), "{e}");
    std::fs::write(
        tmp.path().join("tags.json"),
        r#"{ "assets": [ { "id": "a", "file": "gone.png", "kind": "image", "licence": "x", "source": "y" } ] }"#,
    )
    .expect("write");
    let e = MaterialLibrary::load(tmp.path())
        .expect_err("missing file")
        .to_string();
    assert!(e.contains("\"a\"") && e.contains("gone.png"), "{e}");
    std::fs::write(
        tmp.path().join("tags.json"),
        r#"{ "assets": [ { "id": "a" } ] }"#,
    )
    .expect("write");
    let e = MaterialLibrary::load(tmp.path())
        .expect_err("bad tags")
        .to_string();
    assert!(
        e.contains("tags.json") && e.contains("missing field"),
        "{e}"
    );

    // A picture that is not one (text named .png) is skipped for the next best.
    let dir = tempfile::tempdir().expect("tmp");
    library(
        dir.path(),
        r#", { "id": "broken", "file": "broken.png", "kind": "image", "regions": ["CN-5133"], "licence": "x", "source": "y" }"#,
    );
    std::fs::write(dir.path().join("broken.png"), "not a picture").expect("write");
    let lib = MaterialLibrary::load(dir.path()).expect("library");
    let data = default_data_dir();
    let assets = load_assets(&data).expect("assets");
    let event = sample("cenc-record-2022-09-05-luding.json");
    let facts = Content::default().facts(&event, &assets);
    let picked = pick(&lib, &event, &facts, &assets, &Theme::default());
    assert_eq!(
        picked.materials.background.map(|b| b.id),
        Some("sichuan".to_string())
    );
}

#[test]
fn the_default_set_has_a_relief_picture_around_every_epicentre() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("default");
    generate_default(&default_data_dir(), &out).expect("generate");
    let lib = MaterialLibrary::load(&out).expect("load");
    let tags: Library = lib.tags.clone();
    // 8 rows × 30 columns of tiles, day and night.
    assert_eq!(tags.assets.len(), 480);
    assert!(tags
        .assets
        .iter()
        .all(|a| !a.licence.is_empty() && a.extent.is_some()));
    let assets = load_assets(&default_data_dir()).expect("assets");
    let theme = Theme::default();
    for name in [
        "cenc-record-2022-09-05-luding.json",
        "cenc-2022-05-20-hanyuan.json",
        "emsc-2023-02-06-kahramanmaras.json",
        "quakeml-2019-07-06-ridgecrest.xml",
        "usgs-sample-feature.json",
    ] {
        let event = sample(name);
        let facts = Content::default().facts(&event, &assets);
        let picked = pick(&lib, &event, &facts, &assets, &theme);
        let bg = picked
            .materials
            .background
            .as_ref()
            .unwrap_or_else(|| panic!("{name}: no background"));
        let entry = tags.assets.iter().find(|a| a.id == bg.id).expect("entry");
        let [w, s, e, n] = entry.bbox.expect("bbox");
        assert!(
            (w..=e).contains(&event.lon) && (s..=n).contains(&event.lat),
            "{name}: {}",
            bg.id
        );
        // The crop heads for the epicentre, which lies inside the picture.
        assert!(
            bg.focus.iter().all(|f| (0.05..=0.95).contains(f)),
            "{name}: focus {:?}",
            bg.focus
        );
        let night = quakecast_facts::time::is_dark(&event);
        assert_eq!(bg.id.ends_with("-night"), night, "{name}: {}", bg.id);
        assert!(picked.music.is_none(), "the default set has no music");
    }
}

#[test]
fn a_music_bed_is_looped_to_length_with_fades() {
    let tmp = tempfile::tempdir().expect("tmp");
    let bed = tmp.path().join("bed.wav");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=330:duration=2",
        "-ar",
        "22050",
        &bed.display().to_string(),
    ]);
    let pcm = quakecast_audio::music::music_bed(&bed, 7.25, 48_000).expect("bed");
    assert_eq!((pcm.rate, pcm.channels), (48_000, 2));
    assert_eq!(pcm.samples.len(), (7.25f64 * 48_000.0).round() as usize * 2);
    assert_eq!(pcm.samples[0], 0.0);
    assert!(pcm.samples[pcm.samples.len() - 1].abs() < 1e-3);
    // The loop keeps sounding: every 100 ms window between the fades has signal (the sine is
    // at 1/8 of full scale: rms 0.088).
    let win = 4800 * 2;
    for (i, w) in pcm.samples.chunks(win).enumerate().skip(6).take(51) {
        let rms = (w.iter().map(|v| v * v).sum::<f32>() / w.len() as f32).sqrt();
        assert!(rms > 0.05, "window {i}: rms {rms}");
    }
    let short = tmp.path().join("short.wav");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "sine=duration=0.3",
        &short.display().to_string(),
    ]);
    let e = quakecast_audio::music::music_bed(&short, 5.0, 48_000)
        .expect_err("short")
        .to_string();
    assert!(e.contains("at least 1 s"), "{e}");
    std::fs::write(tmp.path().join("x.wav"), "nope").expect("write");
    let e = quakecast_audio::music::music_bed(&tmp.path().join("x.wav"), 5.0, 48_000)
        .expect_err("bad")
        .to_string();
    assert!(e.contains("x.wav"), "{e}");
}
