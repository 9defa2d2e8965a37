//! ffmpeg/ffprobe at the edges: stitching segments with the concat demuxer, and probing results.
//!
//! The system binaries are used (`QUAKECAST_FFMPEG` / `QUAKECAST_FFPROBE` override the paths);
//! nothing is ever downloaded.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

pub fn ffmpeg_path() -> PathBuf {
    std::env::var_os("QUAKECAST_FFMPEG")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("ffmpeg"))
}

pub fn ffprobe_path() -> PathBuf {
    std::env::var_os("QUAKECAST_FFPROBE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("ffprobe"))
}

fn run(tool: &'static str, cmd: &mut Command) -> Result<Vec<u8>> {
    let out = cmd.output().map_err(|e| Error::Tool {
        tool,
        message: format!(
            "could not start {:?}: {e} (install it: `apt-get install ffmpeg`)",
            cmd.get_program()
        ),
    })?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(8).collect();
        return Err(Error::Tool {
            tool,
            message: format!(
                "{} ({})",
                tail.into_iter().rev().collect::<Vec<_>>().join(" | "),
                out.status
            ),
        });
    }
    Ok(out.stdout)
}

/// First line of `ffmpeg -version`, for manifests.
pub fn ffmpeg_version() -> Result<String> {
    let out = run("ffmpeg", Command::new(ffmpeg_path()).arg("-version"))?;
    Ok(String::from_utf8_lossy(&out)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string())
}

/// Join `segments` (identical encoder settings, each starting on a keyframe) into `out` with the
/// concat demuxer and stream copy; optionally mux an audio track (copied as is). The result is
/// MP4 with `+faststart`. Written to a temporary name and renamed, so `out` is never partial.
pub fn stitch(segments: &[PathBuf], audio: Option<&Path>, out: &Path) -> Result<()> {
    let dir = out.parent().unwrap_or(Path::new("."));
    let list = dir.join(format!(
        ".{}.concat.txt",
        out.file_name().and_then(|n| n.to_str()).unwrap_or("out")
    ));
    let mut text = String::from("ffconcat version 1.0\n");
    for s in segments {
        let abs = s.canonicalize().map_err(|e| Error::io(s, e))?;
        // The concat format quotes with single quotes; escape embedded ones.
        let quoted = abs.display().to_string().replace('\'', "'\\''");
        text.push_str(&format!("file '{quoted}'\n"));
    }
    std::fs::write(&list, text).map_err(|e| Error::io(&list, e))?;
    let partial = dir.join(format!(
        ".{}.partial.mp4",
        out.file_name().and_then(|n| n.to_str()).unwrap_or("out")
    ));
    let mut cmd = Command::new(ffmpeg_path());
    cmd.args([
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "concat",
        "-safe",
        "0",
        "-i",
    ])
    .arg(&list);
    if let Some(a) = audio {
        cmd.arg("-i")
            .arg(a)
            .args(["-map", "0:v:0", "-map", "1:a:0"]);
    }
    cmd.args(["-c", "copy", "-movflags", "+faststart", "-f", "mp4"])
        .arg(&partial);
    let res = run("ffmpeg concat", &mut cmd);
    let _ = std::fs::remove_file(&list);
    if let Err(e) = res {
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }
    std::fs::rename(&partial, out).map_err(|e| Error::io(out, e))
}

/// What ffprobe says about a video file's first video stream.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VideoProbe {
    pub codec: String,
    pub pix_fmt: String,
    pub width: u32,
    pub height: u32,
    /// Decoded frame count (`-count_frames`).
    pub frames: u32,
    /// Container duration in seconds.
    pub duration: f64,
    pub avg_frame_rate: String,
    /// Presentation times (s) of the keyframes.
    pub keyframes: Vec<f64>,
    /// Audio stream codec, sample rate and channels, when present.
    pub audio: Option<(String, u32, u32)>,
    /// Audio stream duration in seconds, when there is audio.
    pub audio_duration: Option<f64>,
}

pub fn probe(path: &Path) -> Result<VideoProbe> {
    let out = run(
        "ffprobe",
        Command::new(ffprobe_path())
            .args([
                "-v",
                "error",
                "-count_frames",
                "-show_streams",
                "-show_format",
                "-of",
                "json",
            ])
            .arg(path),
    )?;
    let v: serde_json::Value = serde_json::from_slice(&out).map_err(|e| Error::Tool {
        tool: "ffprobe",
        message: format!("unreadable JSON: {e}"),
    })?;
    let streams = v["streams"].as_array().cloned().unwrap_or_default();
    let video = streams
        .iter()
        .find(|s| s["codec_type"] == "video")
        .ok_or_else(|| Error::Tool {
            tool: "ffprobe",
            message: format!("{} has no video stream", path.display()),
        })?;
    let audio = streams
        .iter()
        .find(|s| s["codec_type"] == "audio")
        .map(|a| {
            (
                a["codec_name"].as_str().unwrap_or_default().to_string(),
                a["sample_rate"]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0),
                a["channels"].as_u64().unwrap_or(0) as u32,
            )
        });
    let audio_duration = streams
        .iter()
        .find(|s| s["codec_type"] == "audio")
        .and_then(|a| a["duration"].as_str())
        .and_then(|d| d.parse().ok());
    let s = |k: &str| video[k].as_str().unwrap_or_default().to_string();
    let keyframes = keyframe_times(path)?;
    Ok(VideoProbe {
        codec: s("codec_name"),
        pix_fmt: s("pix_fmt"),
        width: video["width"].as_u64().unwrap_or(0) as u32,
        height: video["height"].as_u64().unwrap_or(0) as u32,
        frames: s("nb_read_frames").parse().unwrap_or(0),
        duration: v["format"]["duration"]
            .as_str()
            .and_then(|d| d.parse().ok())
            .unwrap_or(0.0),
        avg_frame_rate: s("avg_frame_rate"),
        keyframes,
        audio,
        audio_duration,
    })
}

fn keyframe_times(path: &Path) -> Result<Vec<f64>> {
    let out = run(
        "ffprobe",
        Command::new(ffprobe_path())
            .args([
                "-v",
                "error",
                "-select_streams",
                "v:0",
                "-skip_frame",
                "nokey",
                "-show_entries",
                "frame=pts_time",
                "-of",
                "csv=p=0",
            ])
            .arg(path),
    )?;
    Ok(String::from_utf8_lossy(&out)
        .lines()
        .filter_map(|l| l.trim().trim_end_matches(',').parse().ok())
        .collect())
}

/// Decode frame `n` of `path` to planar I420 (`yuv420p`, no colour conversion), for comparing
/// with frames the renderer produced directly.
pub fn decode_frame_yuv420p(path: &Path, n: u32, width: u32, height: u32) -> Result<Vec<u8>> {
    let out = run(
        "ffmpeg",
        Command::new(ffmpeg_path())
            .args(["-hide_banner", "-loglevel", "error", "-i"])
            .arg(path)
            .args([
                "-vf",
                &format!("select=eq(n\\,{n})"),
                "-frames:v",
                "1",
                "-f",
                "rawvideo",
                "-pix_fmt",
                "yuv420p",
                "-",
            ]),
    )?;
    let expected = (width * height * 3 / 2) as usize;
    if out.len() != expected {
        return Err(Error::Tool {
            tool: "ffmpeg",
            message: format!(
                "frame {n} of {}: got {} bytes, expected {expected}",
                path.display(),
                out.len()
            ),
        });
    }
    Ok(out)
}

/// Still pictures of `path` at `times` (seconds), scaled to `width` pixels wide, as JPEG bytes in
/// the same order: one ffmpeg run, each still seeked to on its own input (`-ss` before `-i`
/// seeks by key frame and decodes only up to the time, not the whole video).
pub fn stills_jpeg(path: &Path, times: &[f64], width: u32) -> Result<Vec<Vec<u8>>> {
    let dir = tempfile::tempdir().map_err(|e| Error::Tool {
        tool: "ffmpeg",
        message: format!("scratch directory for stills: {e}"),
    })?;
    let mut cmd = Command::new(ffmpeg_path());
    cmd.args(["-hide_banner", "-loglevel", "error", "-y"]);
    for t in times {
        cmd.args(["-ss", &format!("{:.3}", t.max(0.0))])
            .arg("-i")
            .arg(path);
    }
    for (i, _) in times.iter().enumerate() {
        cmd.args([
            "-map",
            &format!("{i}:v:0"),
            "-frames:v",
            "1",
            "-vf",
            &format!("scale={width}:-2"),
            "-q:v",
            "4",
        ])
        .arg(dir.path().join(format!("{i}.jpg")));
    }
    run("ffmpeg", &mut cmd)?;
    (0..times.len())
        .map(|i| {
            std::fs::read(dir.path().join(format!("{i}.jpg"))).map_err(|e| Error::Tool {
                tool: "ffmpeg",
                message: format!("still {i} of {}: {e}", path.display()),
            })
        })
        .collect()
}

/// Integrated loudness (LUFS) and true peak (dBTP) of `path`'s audio, read by ffmpeg's EBU R128
/// meter (`ebur128=peak=true`).
pub fn loudness(path: &Path) -> Result<(f64, f64)> {
    let out = Command::new(ffmpeg_path())
        .args(["-hide_banner", "-nostats", "-i"])
        .arg(path)
        .args([
            "-map",
            "0:a:0",
            "-af",
            "ebur128=peak=true",
            "-f",
            "null",
            "-",
        ])
        .output()
        .map_err(|e| Error::Tool {
            tool: "ffmpeg ebur128",
            message: e.to_string(),
        })?;
    let text = String::from_utf8_lossy(&out.stderr);
    let bad = |what: &str| Error::Tool {
        tool: "ffmpeg ebur128",
        message: format!("{what} in the meter's output ({})", out.status),
    };
    let summary = text
        .split("Summary:")
        .nth(1)
        .ok_or_else(|| bad("no summary"))?;
    let value = |key: &str| -> Result<f64> {
        summary
            .lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix(key))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| bad(key))
    };
    Ok((value("I:")?, value("Peak:")?))
}

/// Presentation times (s) of every frame of the first video stream, in decode order of output.
pub fn video_frame_times(path: &Path) -> Result<Vec<f64>> {
    let out = run(
        "ffprobe",
        Command::new(ffprobe_path())
            .args([
                "-v",
                "error",
                "-select_streams",
                "v:0",
                "-show_entries",
                "frame=pts_time",
                "-of",
                "csv=p=0",
            ])
            .arg(path),
    )?;
    Ok(String::from_utf8_lossy(&out)
        .lines()
        .filter_map(|l| l.trim().trim_end_matches(',').parse().ok())
        .collect())
}

/// Start time (s) of the first audio stream, if any.
pub fn audio_start_time(path: &Path) -> Result<Option<f64>> {
    let out = run(
        "ffprobe",
        Command::new(ffprobe_path())
            .args([
                "-v",
                "error",
                "-select_streams",
                "a:0",
                "-show_entries",
                "stream=start_time",
                "-of",
                "csv=p=0",
            ])
            .arg(path),
    )?;
    Ok(String::from_utf8_lossy(&out).trim().parse().ok())
}
