//! Encoding with the system ffmpeg, checked with the system ffprobe: stream format, exact frame
//! counts, keyframes, joins with the concat demuxer and `-c copy`, failure cleanup.

use std::path::Path;
use std::process::Command;

use quakecast_facts::Assets;
use quakecast_renderer::encode::partial_path;
use quakecast_renderer::{
    render_segment, EncodeSettings, FrameRenderer, Readback, RenderError, SegmentEncoder,
};
use quakecast_scenes::{Color, DrawList, Fill, Prim, RenderSettings, Storyboard};
use quakecast_testkit::{font, gpu, hanyuan};

const W: u32 = 180;
const H: u32 = 320;

/// Frame `n` of a small animation: a square moving right over a gradient.
fn moving(n: u32) -> DrawList {
    DrawList {
        width: W,
        height: H,
        clear: Color::hex(0x050e1f),
        prims: vec![
            Prim::Rect {
                x: 0.0,
                y: 0.0,
                w: W as f32,
                h: H as f32,
                radius: 0.0,
                fill: Fill::Vertical(Color::hex(0x0c1f3f), Color::hex(0x050e1f)),
            },
            Prim::Rect {
                x: 10.0 + 3.0 * n as f32,
                y: 100.0,
                w: 40.0,
                h: 40.0,
                radius: 6.0,
                fill: Fill::Solid(Color::hex(0xff4a2b)),
            },
        ],
    }
}

fn encode_frames(frames: std::ops::Range<u32>, settings: &EncodeSettings, out: &Path) -> u32 {
    let mut r = FrameRenderer::new(gpu(), W, H, font()).expect("renderer");
    let mut enc = SegmentEncoder::start(settings, out).expect("ffmpeg starts");
    r.render_frames(frames.map(moving), Readback::Yuv420p, |f| {
        enc.write_frame(&f)
    })
    .expect("frames");
    let summary = enc.finish().expect("ffmpeg succeeds");
    assert_eq!(summary.bytes, std::fs::metadata(out).expect("output").len());
    summary.frames
}

fn ffprobe(args: &[&str], file: &Path) -> String {
    let out = Command::new("ffprobe")
        .args(["-v", "error"])
        .args(args)
        .arg(file)
        .output()
        .expect("ffprobe runs");
    assert!(
        out.status.success(),
        "ffprobe: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `key=value` lines of ffprobe's default writer for the first video stream.
fn stream_info(file: &Path) -> String {
    ffprobe(
        &[
            "-count_frames",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=codec_name,pix_fmt,width,height,nb_read_frames,color_range,color_space,r_frame_rate,has_b_frames",
            "-of",
            "default=noprint_wrappers=1",
        ],
        file,
    )
}

/// Key-frame flag of every frame, in order.
fn keyframes(file: &Path) -> Vec<bool> {
    ffprobe(
        &[
            "-select_streams",
            "v:0",
            "-show_entries",
            "frame=key_frame",
            "-of",
            "csv=p=0",
        ],
        file,
    )
    .lines()
    .map(|l| l.split(',').next().unwrap_or("").trim())
    .filter(|f| !f.is_empty()) // side-data lines
    .map(|f| f == "1")
    .collect()
}

#[test]
fn segment_is_h264_yuv420p_with_exact_frames_and_a_leading_keyframe() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("seg.mp4");
    let settings = EncodeSettings::new(W, H, 30);
    assert_eq!(encode_frames(0..45, &settings, &out), 45);
    assert!(!partial_path(&out).exists());
    let info = stream_info(&out);
    for want in [
        "codec_name=h264",
        "pix_fmt=yuv420p",
        "width=180",
        "height=320",
        "nb_read_frames=45",
        "color_range=tv",
        "color_space=bt709",
        "r_frame_rate=30/1",
        "has_b_frames=0",
    ] {
        assert!(info.lines().any(|l| l == want), "{want} not in\n{info}");
    }
    let keys = keyframes(&out);
    assert_eq!(keys.len(), 45);
    assert!(keys[0], "first frame is a keyframe");
    assert_eq!(
        keys.iter().filter(|&&k| k).count(),
        1,
        "one GOP per segment"
    );
}

#[test]
fn segments_join_with_concat_copy_to_exact_frame_count() {
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = EncodeSettings::new(W, H, 30);
    let (a, b) = (dir.path().join("a.mp4"), dir.path().join("b.mp4"));
    encode_frames(0..30, &settings, &a);
    encode_frames(30..75, &settings, &b);
    let list = dir.path().join("list.txt");
    std::fs::write(
        &list,
        format!("file '{}'\nfile '{}'\n", a.display(), b.display()),
    )
    .expect("list");
    let joined = dir.path().join("joined.mp4");
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-f", "concat", "-safe", "0", "-i"])
        .arg(&list)
        .args(["-c", "copy", "-y"])
        .arg(&joined)
        .output()
        .expect("ffmpeg runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "no warnings: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let info = stream_info(&joined);
    assert!(info.contains("nb_read_frames=75"), "{info}");
    let keys = keyframes(&joined);
    let at: Vec<usize> = keys
        .iter()
        .enumerate()
        .filter(|(_, &k)| k)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(at, vec![0, 30], "keyframes at each join");
    let duration = ffprobe(
        &["-show_entries", "format=duration", "-of", "csv=p=0"],
        &joined,
    );
    let secs: f64 = duration.trim().parse().expect("duration");
    assert!((secs - 2.5).abs() < 1e-3, "duration {secs}");
}

#[test]
fn ffmpeg_failure_is_an_error_with_its_words_and_leaves_no_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("bad.mp4");
    let settings = EncodeSettings {
        preset: "nosuchpreset".into(),
        ..EncodeSettings::new(W, H, 30)
    };
    let mut r = FrameRenderer::new(gpu(), W, H, font()).expect("renderer");
    // ffmpeg fails when it opens the encoder: either a write or finish reports it.
    let res = SegmentEncoder::start(&settings, &out).and_then(|mut enc| {
        for n in 0..10 {
            let f = r.render_yuv420p(&moving(n))?;
            enc.write_frame(&f)?;
        }
        enc.finish()
    });
    let e = res.expect_err("bad preset must fail");
    match &e {
        RenderError::Encode { stderr, .. } => {
            assert!(stderr.contains("nosuchpreset"), "ffmpeg's text: {stderr}")
        }
        other => panic!("expected an encode error, got {other}"),
    }
    assert!(e.is_retryable());
    assert!(!out.exists(), "no output");
    assert!(!partial_path(&out).exists(), "no partial output");
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("dir").count(),
        0,
        "nothing left behind"
    );
}

#[test]
fn dropping_an_unfinished_encoder_removes_the_partial_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("cut.mp4");
    let settings = EncodeSettings::new(W, H, 30);
    let mut r = FrameRenderer::new(gpu(), W, H, font()).expect("renderer");
    let mut enc = SegmentEncoder::start(&settings, &out).expect("start");
    enc.write_frame(&r.render_yuv420p(&moving(0)).expect("frame"))
        .expect("write");
    let wrong = enc.write_frame(&[0u8; 10]).expect_err("wrong frame size");
    assert!(matches!(wrong, RenderError::Invalid { .. }), "{wrong}");
    drop(enc);
    assert!(!out.exists() && !partial_path(&out).exists());
}

#[test]
fn render_segment_encodes_a_storyboard_range() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("seg0001.mp4");
    let settings = RenderSettings {
        width: W,
        height: H,
        fps: 30,
    };
    let sb = Storyboard::new(&hanyuan(), settings);
    let mut seen = Vec::new();
    let report = render_segment(
        gpu(),
        font(),
        &sb,
        &Assets::default(),
        60..105,
        &EncodeSettings::new(W, H, 30),
        &out,
        |n| seen.push(n),
    )
    .expect("segment");
    assert_eq!(report.frames, 45);
    assert_eq!(seen, (60..105).collect::<Vec<_>>());
    assert_eq!(report.bytes, std::fs::metadata(&out).expect("file").len());
    assert!(report.render_secs > 0.0 && report.encode_wait_secs > 0.0);
    assert!(stream_info(&out).contains("nb_read_frames=45"));
    // Mismatched settings are refused before any work.
    let e = render_segment(
        gpu(),
        font(),
        &sb,
        &Assets::default(),
        0..10,
        &EncodeSettings::new(W, H, 25),
        &dir.path().join("x.mp4"),
        |_| {},
    )
    .expect_err("fps mismatch");
    assert!(e.to_string().contains("fps"), "{e}");
    let e = render_segment(
        gpu(),
        font(),
        &sb,
        &Assets::default(),
        0..sb.total_frames + 1,
        &EncodeSettings::new(W, H, 30),
        &dir.path().join("y.mp4"),
        |_| {},
    )
    .expect_err("range past the end");
    assert!(
        matches!(
            e,
            RenderError::Invalid {
                field: "frames",
                ..
            }
        ),
        "{e}"
    );
}
