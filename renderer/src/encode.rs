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

pub use quakecast_scenes::settings::{
    EncodeSettings, DEFAULT_CRF, DEFAULT_KEYINT_SECS, DEFAULT_PRESET,
};

/// What rendering one segment cost.
#[derive(Clone, Debug, PartialEq)]
pub struct SegmentReport {
    pub frames: u32,
    /// Frames actually rendered: a run of equal draw lists is rendered once and repeated.
    pub rendered_frames: u32,
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
        settings
            .validate()
            .map_err(|err| RenderError::invalid(err.field, err.reason))?;
        let partial = partial_path(out);
        let program = ffmpeg_program();
        let mut cmd = FfmpegCommand::new_with_path(&program);
        cmd.args(settings.ffmpeg_args(&partial.to_string_lossy()));
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
        let a = s.ffmpeg_args("/tmp/seg.mp4.partial").join(" ");
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
