//! I420 frames → one H.264 segment (MP4) through the system ffmpeg, via `ffmpeg-sidecar`.
//!
//! Segments are made to be joined later with ffmpeg's concat demuxer and `-c copy`:
//! - every segment starts with an IDR frame (x264 always opens with one; `-sc_threshold 0` and
//!   a GOP of [`EncodeSettings::keyint`] frames keep other keyframes at fixed places);
//! - no B-frames (`-bf 0`), so decode order equals presentation order, the first timestamp is
//!   0 and MP4 needs no edit list: joined timestamps are simply consecutive;
//! - a fixed track timescale (`fps × 1000`), so every frame lasts exactly 1000 ticks in every
//!   segment and durations add up to exactly N frames.
//!
//! MP4 rather than MPEG-TS: with no B-frames and a fixed timescale an MP4 segment carries exact
//! frame durations and no PCR/stream offsets (MPEG-TS starts at 1.4 s and pads 188-byte
//! packets), it is what the final bulletin is anyway, and ffprobe reads its frame count from
//! the index. MP4 is unreadable until its index is written, which is fine here: output goes to
//! `<out>.partial` and is renamed only when ffmpeg succeeded.
//!
//! Colour: the frames are BT.709 limited range (see [`crate::yuv`]); the stream is tagged so
//! (`bt709`, `tv`, chroma sited at the centre, matching the 2×2 average).
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ChildStdin;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ffmpeg_sidecar::child::FfmpegChild;
use ffmpeg_sidecar::command::FfmpegCommand;
use ffmpeg_sidecar::event::{FfmpegEvent, LogLevel};

use crate::error::RenderError;
use crate::yuv::yuv420p_len;

/// x264 preset used unless configured. Measured on the 2-core CPU-only box, the whole sample
/// bulletin (510 frames, 720×1280, CRF 20, lavapipe rendering in the same process; example
/// `segment_timing`): ultrafast 8.3 s / 2.9 MB / PSNR-Y 59 dB, superfast 8.5 s / 1.7 MB,
/// veryfast 8.9 s / 0.9 MB / 50 dB, faster 9.5 s / 0.94 MB. Rendering dominates here, so
/// veryfast costs ~6 % more time than ultrafast for a third of the bytes.
pub const DEFAULT_PRESET: &str = "veryfast";
/// x264 constant rate factor used unless configured (visually clean for flat graphics).
pub const DEFAULT_CRF: u32 = 20;
/// Default GOP length in seconds (keyframe interval inside long segments).
pub const DEFAULT_KEYINT_SECS: u32 = 10;

/// How segments are encoded. Every segment of a bulletin must use identical settings, or the
/// `-c copy` join may fail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodeSettings {
    /// x264 preset (`ultrafast` … `veryslow`).
    pub preset: String,
    /// x264 CRF, 0..=51 (lower is better quality).
    pub crf: u32,
    pub fps: u32,
    pub width: u32,
    pub height: u32,
    /// Largest GOP in frames. Keep it at least as long as the longest segment so each segment
    /// holds exactly one keyframe (its first frame); any value still starts each segment on one.
    pub keyint: u32,
}

impl EncodeSettings {
    /// Defaults ([`DEFAULT_PRESET`], [`DEFAULT_CRF`], a 10-second GOP) for a frame size and rate.
    pub fn new(width: u32, height: u32, fps: u32) -> Self {
        Self {
            preset: DEFAULT_PRESET.to_string(),
            crf: DEFAULT_CRF,
            fps,
            width,
            height,
            keyint: fps.max(1) * DEFAULT_KEYINT_SECS,
        }
    }

    /// Check what ffmpeg would reject late or silently misread.
    pub fn validate(&self) -> Result<(), RenderError> {
        if self.width == 0
            || self.height == 0
            || !self.width.is_multiple_of(2)
            || !self.height.is_multiple_of(2)
        {
            return Err(RenderError::invalid(
                "width/height",
                format!(
                    "{}x{}: yuv420p needs a positive, even width and height",
                    self.width, self.height
                ),
            ));
        }
        if !(1..=240).contains(&self.fps) {
            return Err(RenderError::invalid(
                "fps",
                format!("{}: expected 1..=240", self.fps),
            ));
        }
        if self.crf > 51 {
            return Err(RenderError::invalid(
                "crf",
                format!("{}: expected 0..=51", self.crf),
            ));
        }
        if self.keyint == 0 {
            return Err(RenderError::invalid(
                "keyint",
                "0: expected at least 1 frame",
            ));
        }
        if self.preset.is_empty() || !self.preset.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(RenderError::invalid(
                "preset",
                format!("{:?}: expected an x264 preset name", self.preset),
            ));
        }
        Ok(())
    }

    /// The MP4 track timescale: 1000 ticks per frame.
    pub fn timescale(&self) -> u32 {
        self.fps * 1000
    }

    /// ffmpeg's arguments (after the program name) to encode raw I420 from stdin into `out`.
    pub fn ffmpeg_args(&self, out: &Path) -> Vec<String> {
        let mut a: Vec<String> = [
            "-hide_banner",
            "-nostats",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "yuv420p",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let mut push = |k: &str, v: String| {
            a.push(k.to_string());
            a.push(v);
        };
        push("-video_size", format!("{}x{}", self.width, self.height));
        push("-framerate", self.fps.to_string());
        push("-i", "pipe:0".into());
        push("-map", "0:v:0".into());
        push("-c:v", "libx264".into());
        push("-preset", self.preset.clone());
        push("-crf", self.crf.to_string());
        push("-pix_fmt", "yuv420p".into());
        push("-bf", "0".into());
        push("-g", self.keyint.to_string());
        push("-sc_threshold", "0".into());
        push("-flags", "+cgop".into());
        push("-colorspace", "bt709".into());
        push("-color_primaries", "bt709".into());
        push("-color_trc", "bt709".into());
        push("-color_range", "tv".into());
        push("-chroma_sample_location", "center".into());
        push("-video_track_timescale", self.timescale().to_string());
        push("-f", "mp4".into());
        a.push("-y".into());
        a.push(out.to_string_lossy().into_owned());
        a
    }
}

/// What rendering one segment cost.
#[derive(Clone, Debug, PartialEq)]
pub struct SegmentReport {
    pub frames: u32,
    /// Seconds spent building draw lists, rendering and reading back.
    pub render_secs: f64,
    /// Seconds blocked on ffmpeg (writing into its full pipe, and waiting for it to finish).
    pub encode_wait_secs: f64,
    /// Size of the finished segment file.
    pub bytes: u64,
}

/// What [`SegmentEncoder::finish`] reports.
#[derive(Clone, Debug, PartialEq)]
pub struct EncodeSummary {
    pub frames: u32,
    pub wait_secs: f64,
    pub bytes: u64,
}

/// The ffmpeg program: `QUAKECAST_FFMPEG` if set, else `ffmpeg` on the `PATH`. Never a
/// downloaded sidecar binary.
pub fn ffmpeg_program() -> PathBuf {
    std::env::var_os("QUAKECAST_FFMPEG")
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("ffmpeg"))
}

/// What ffmpeg said: its error lines, and the last lines of everything as a fallback.
#[derive(Default)]
struct Log {
    errors: Vec<String>,
    tail: Vec<String>,
}

impl Log {
    fn text(&self) -> String {
        let lines = if self.errors.is_empty() {
            &self.tail
        } else {
            &self.errors
        };
        lines.join("\n")
    }
}

const LOG_TAIL: usize = 12;

/// An ffmpeg process encoding one segment. Feed it frames with
/// [`SegmentEncoder::write_frame`], then call [`SegmentEncoder::finish`]. Dropping it
/// unfinished kills ffmpeg and removes the partial file.
pub struct SegmentEncoder {
    child: Option<FfmpegChild>,
    stdin: Option<ChildStdin>,
    log: Option<JoinHandle<Log>>,
    out: PathBuf,
    partial: PathBuf,
    frame_len: usize,
    frames: u32,
    wait: Duration,
}

/// `<out>.partial`.
pub fn partial_path(out: &Path) -> PathBuf {
    let mut s = out.as_os_str().to_owned();
    s.push(".partial");
    PathBuf::from(s)
}

impl SegmentEncoder {
    /// Start ffmpeg writing `out` (through `<out>.partial`).
    pub fn start(settings: &EncodeSettings, out: &Path) -> Result<Self, RenderError> {
        settings.validate()?;
        let partial = partial_path(out);
        let program = ffmpeg_program();
        let mut cmd = FfmpegCommand::new_with_path(&program);
        cmd.args(settings.ffmpeg_args(&partial));
        let mut child = cmd.spawn().map_err(|source| RenderError::FfmpegSpawn {
            program: program.to_string_lossy().into_owned(),
            source,
        })?;
        let stdin = child.take_stdin();
        let events = child.iter();
        let mut enc = SegmentEncoder {
            child: Some(child),
            stdin,
            log: None,
            out: out.to_path_buf(),
            partial,
            frame_len: yuv420p_len(settings.width, settings.height),
            frames: 0,
            wait: Duration::ZERO,
        };
        let events = match events {
            Ok(ev) => ev,
            Err(e) => {
                return Err(enc.fail(format!("could not read ffmpeg's output: {e}")));
            }
        };
        // ffmpeg-sidecar hands events over a rendezvous channel: drain it on a thread so that
        // ffmpeg never blocks on its stderr while we block on its stdin.
        enc.log = Some(std::thread::spawn(move || {
            let mut log = Log::default();
            for ev in events {
                let line = match ev {
                    FfmpegEvent::Log(LogLevel::Error | LogLevel::Fatal, l) => {
                        log.errors.push(l.clone());
                        l
                    }
                    FfmpegEvent::Log(_, l) => l,
                    FfmpegEvent::Error(e) => e,
                    _ => continue,
                };
                if log.tail.len() == LOG_TAIL {
                    log.tail.remove(0);
                }
                log.tail.push(line);
            }
            log
        }));
        Ok(enc)
    }

    /// Frames written so far.
    pub fn frames(&self) -> u32 {
        self.frames
    }

    /// Seconds spent blocked writing into ffmpeg so far.
    pub fn wait_secs(&self) -> f64 {
        self.wait.as_secs_f64()
    }

    /// Append one I420 frame (exactly `width × height × 1.5` bytes).
    pub fn write_frame(&mut self, yuv: &[u8]) -> Result<(), RenderError> {
        if yuv.len() != self.frame_len {
            return Err(RenderError::invalid(
                "frame",
                format!(
                    "{} bytes, expected {} (I420 of the encoder's size)",
                    yuv.len(),
                    self.frame_len
                ),
            ));
        }
        let t = Instant::now();
        let res = match self.stdin.as_mut() {
            Some(s) => s.write_all(yuv),
            None => Err(std::io::Error::from(std::io::ErrorKind::BrokenPipe)),
        };
        self.wait += t.elapsed();
        match res {
            Ok(()) => {
                self.frames += 1;
                Ok(())
            }
            Err(e) => Err(self.fail(format!("ffmpeg stopped reading its input ({e})"))),
        }
    }

    /// Close ffmpeg's input, wait for it, and move the segment into place.
    pub fn finish(mut self) -> Result<EncodeSummary, RenderError> {
        let t = Instant::now();
        drop(self.stdin.take());
        let status = match self.child.as_mut().map(|c| c.wait()) {
            Some(Ok(s)) => s,
            Some(Err(e)) => return Err(self.fail(format!("waiting for ffmpeg: {e}"))),
            None => return Err(self.fail("ffmpeg already gone".into())),
        };
        self.child = None;
        let log = self
            .log
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default();
        self.wait += t.elapsed();
        if !status.success() {
            let _ = std::fs::remove_file(&self.partial);
            return Err(RenderError::Encode {
                path: self.out.clone(),
                status: status.to_string(),
                stderr: log.text(),
            });
        }
        if self.frames == 0 {
            let _ = std::fs::remove_file(&self.partial);
            return Err(RenderError::invalid(
                "frames",
                "a segment needs at least one frame",
            ));
        }
        let bytes = std::fs::metadata(&self.partial)
            .map_err(|e| RenderError::io(&self.partial, e))?
            .len();
        std::fs::rename(&self.partial, &self.out).map_err(|e| RenderError::io(&self.out, e))?;
        Ok(EncodeSummary {
            frames: self.frames,
            wait_secs: self.wait.as_secs_f64(),
            bytes,
        })
    }

    /// Stop ffmpeg, remove the partial file, and describe the failure with ffmpeg's words.
    fn fail(&mut self, what: String) -> RenderError {
        drop(self.stdin.take());
        let mut status = what;
        if let Some(mut child) = self.child.take() {
            // Give ffmpeg a moment to exit on its own (it usually has, with an error message),
            // then make sure it is gone.
            let deadline = Instant::now() + Duration::from_secs(2);
            loop {
                match child.as_inner_mut().try_wait() {
                    Ok(Some(s)) => {
                        status = format!("{status}; {s}");
                        break;
                    }
                    Ok(None) if Instant::now() < deadline => {
                        std::thread::sleep(Duration::from_millis(20))
                    }
                    _ => {
                        let _ = child.kill();
                        let _ = child.wait();
                        break;
                    }
                }
            }
        }
        let log = self
            .log
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default();
        let _ = std::fs::remove_file(&self.partial);
        RenderError::Encode {
            path: self.out.clone(),
            status,
            stderr: log.text(),
        }
    }
}

impl Drop for SegmentEncoder {
    fn drop(&mut self) {
        if self.child.is_some() {
            drop(self.stdin.take());
            if let Some(mut child) = self.child.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
            if let Some(h) = self.log.take() {
                let _ = h.join();
            }
            let _ = std::fs::remove_file(&self.partial);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_make_joinable_segments() {
        let s = EncodeSettings::new(720, 1280, 30);
        let a = s.ffmpeg_args(Path::new("/tmp/seg.mp4.partial")).join(" ");
        for want in [
            "-f rawvideo -pix_fmt yuv420p",
            "-video_size 720x1280 -framerate 30 -i pipe:0",
            "-c:v libx264 -preset veryfast -crf 20",
            "-bf 0 -g 300",
            "-sc_threshold 0",
            "-color_range tv",
            "-video_track_timescale 30000",
            "-f mp4 -y /tmp/seg.mp4.partial",
        ] {
            assert!(a.contains(want), "missing {want:?} in {a}");
        }
    }

    #[test]
    fn validation_names_the_field() {
        let mut s = EncodeSettings::new(721, 1280, 30);
        assert!(s.validate().expect_err("odd").to_string().contains("width"));
        s.width = 720;
        s.crf = 60;
        assert!(s.validate().expect_err("crf").to_string().contains("crf"));
        s.crf = 20;
        s.preset = "fast; rm -rf".into();
        assert!(s
            .validate()
            .expect_err("preset")
            .to_string()
            .contains("preset"));
        s.preset = "veryfast".into();
        assert!(s.validate().is_ok());
    }

    #[test]
    fn partial_path_appends_suffix() {
        assert_eq!(
            partial_path(Path::new("/a/seg0001.mp4")),
            PathBuf::from("/a/seg0001.mp4.partial")
        );
    }
}
