//! Progress of `render` on a terminal, or as log lines.
use quakecast_pipeline::Progress;

/// Progress of `render`: one bar per stage on a terminal (speech and timeline, frames, stitch,
/// store), log lines otherwise (pipes, CI, the farm's logs).
pub struct ProgressBars {
    bars: Option<(
        indicatif::MultiProgress,
        indicatif::ProgressBar,
        indicatif::ProgressBar,
        indicatif::ProgressBar,
    )>,
}

impl ProgressBars {
    pub fn new() -> Self {
        use std::io::IsTerminal;
        if !std::io::stderr().is_terminal() {
            return Self { bars: None };
        }
        let multi = indicatif::MultiProgress::new();
        let spin = indicatif::ProgressStyle::with_template("{spinner} {prefix:<8} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner());
        let speech = multi.add(indicatif::ProgressBar::new_spinner());
        speech.set_style(spin.clone());
        speech.set_prefix("speech");
        speech.set_message("speaking and timing the narration…");
        speech.enable_steady_tick(std::time::Duration::from_millis(120));
        let frames = multi.add(indicatif::ProgressBar::new(0));
        frames.set_style(
            indicatif::ProgressStyle::with_template(
                "  {prefix:<8} [{bar:40}] {pos}/{len} frames  {per_sec}  eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        frames.set_prefix("frames");
        let finish = multi.add(indicatif::ProgressBar::new_spinner());
        finish.set_style(spin);
        finish.set_prefix("output");
        Self {
            bars: Some((multi, speech, frames, finish)),
        }
    }

    pub fn on(&self, p: Progress) {
        let Some((_, speech, frames, finish)) = &self.bars else {
            match p {
                Progress::AudioReady { secs, voice } => {
                    tracing::info!(voice, secs = format!("{secs:.2}"), "narration mixed")
                }
                Progress::Planned {
                    segments,
                    frames,
                    speaking,
                } => {
                    tracing::info!(segments, frames, speaking, "planned")
                }
                Progress::Frames { done, total } => {
                    tracing::info!("rendered {done}/{total} frames")
                }
                Progress::SegmentDone { index, secs } => {
                    tracing::info!(index, secs = format!("{secs:.2}"), "segment done")
                }
                Progress::Stitched => tracing::info!("stitched"),
                Progress::Stored { key } => tracing::info!(%key, "stored"),
            }
            return;
        };
        match p {
            Progress::AudioReady { secs, voice } => {
                speech.finish_with_message(format!("{secs:.1} s of narration mixed ({voice})"))
            }
            Progress::Planned {
                segments,
                frames: n,
                speaking,
            } => {
                if speaking {
                    speech.set_message("timeline planned; speaking beside the frames…");
                } else if !speech.is_finished() {
                    speech.finish_with_message("timeline planned (no audio)");
                }
                frames.set_length(u64::from(n));
                frames.set_message(format!("{segments} segments"));
            }
            Progress::Frames { done, .. } => frames.set_position(u64::from(done)),
            Progress::SegmentDone { .. } => {}
            Progress::Stitched => {
                frames.finish();
                finish.set_message("segments stitched; storing…");
            }
            Progress::Stored { key } => finish.set_message(format!("stored {key}")),
        }
    }

    pub fn finish(&self) {
        if let Some((_, speech, frames, finish)) = &self.bars {
            speech.finish();
            frames.finish();
            finish.finish();
        }
    }
}
