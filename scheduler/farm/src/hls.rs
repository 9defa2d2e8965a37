//! The progressive output: an HLS media playlist that grows as segments finish.
//!
//! Each finished MP4 segment is remuxed (stream copy, no re-encode) to MPEG-TS with its start
//! time as timestamp offset, so the TS segments' timestamps continue one another and a player
//! needs no discontinuity markers. The playlist lists the longest run of finished segments from
//! the first one (a player must not see a gap), as an `EVENT` playlist while it grows and with
//! `#EXT-X-ENDLIST` once all are there. The target duration is computed over the whole plan, so
//! it does not change between reloads (RFC 8216 §6.2.1).
use std::path::Path;
use std::process::Command;

use quakecast_core::error::{Error, Result};
use quakecast_core::media::ffmpeg_path;

/// One planned segment as the playlist needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlaylistEntry {
    pub index: u32,
    pub frames: u32,
    pub done: bool,
}

/// The media playlist for `entries` (in index order) at `fps`; `uri(index)` names a segment.
pub fn media_playlist(entries: &[PlaylistEntry], fps: u32, uri: impl Fn(u32) -> String) -> String {
    let fps = f64::from(fps.max(1));
    let target = entries
        .iter()
        .map(|e| (f64::from(e.frames) / fps).ceil() as u64)
        .max()
        .unwrap_or(1)
        .max(1);
    let ready: Vec<&PlaylistEntry> = entries.iter().take_while(|e| e.done).collect();
    let complete = !entries.is_empty() && ready.len() == entries.len();
    let mut s = String::from("#EXTM3U\n#EXT-X-VERSION:3\n");
    s.push_str(&format!("#EXT-X-TARGETDURATION:{target}\n"));
    s.push_str("#EXT-X-MEDIA-SEQUENCE:0\n");
    s.push_str(if complete {
        "#EXT-X-PLAYLIST-TYPE:VOD\n"
    } else {
        "#EXT-X-PLAYLIST-TYPE:EVENT\n"
    });
    for e in &ready {
        s.push_str(&format!(
            "#EXTINF:{:.3},\n{}\n",
            f64::from(e.frames) / fps,
            uri(e.index)
        ));
    }
    if complete {
        s.push_str("#EXT-X-ENDLIST\n");
    }
    s
}

/// File name of segment `index` in the playlist's directory.
pub fn segment_name(index: u32) -> String {
    format!("seg{index:04}.ts")
}

/// Remux an MP4 segment to MPEG-TS starting at `start_secs` (stream copy).
pub fn remux_to_ts(mp4: &Path, start_secs: f64, out: &Path) -> Result<()> {
    let output = Command::new(ffmpeg_path())
        .args(["-hide_banner", "-loglevel", "error", "-y", "-i"])
        .arg(mp4)
        .args(["-map", "0", "-c", "copy", "-output_ts_offset"])
        .arg(format!("{start_secs:.6}"))
        .args(["-f", "mpegts"])
        .arg(out)
        .output()
        .map_err(|e| Error::Tool {
            tool: "ffmpeg (remux to TS)",
            message: format!("could not start {:?}: {e}", ffmpeg_path()),
        })?;
    if !output.status.success() {
        return Err(Error::Tool {
            tool: "ffmpeg (remux to TS)",
            message: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(done: &[bool]) -> Vec<PlaylistEntry> {
        done.iter()
            .enumerate()
            .map(|(i, d)| PlaylistEntry {
                index: i as u32,
                frames: if i == 2 { 135 } else { 120 },
                done: *d,
            })
            .collect()
    }

    #[test]
    fn only_the_finished_prefix_is_listed() {
        let p = media_playlist(&entries(&[true, false, true]), 30, segment_name);
        assert!(p.contains("#EXTINF:4.000,\nseg0000.ts\n"), "{p}");
        assert!(
            !p.contains("seg0001.ts") && !p.contains("seg0002.ts"),
            "{p}"
        );
        assert!(p.contains("#EXT-X-PLAYLIST-TYPE:EVENT"));
        assert!(!p.contains("#EXT-X-ENDLIST"));
        // Target duration covers the longest planned segment (4.5 s → 5) from the start.
        assert!(p.contains("#EXT-X-TARGETDURATION:5\n"), "{p}");
    }

    #[test]
    fn a_finished_playlist_ends() {
        let p = media_playlist(&entries(&[true, true, true]), 30, |i| {
            format!("/hls/{}", segment_name(i))
        });
        assert!(
            p.ends_with("#EXTINF:4.500,\n/hls/seg0002.ts\n#EXT-X-ENDLIST\n"),
            "{p}"
        );
        assert!(p.contains("#EXT-X-PLAYLIST-TYPE:VOD"));
        let none = media_playlist(&entries(&[false, true, true]), 30, segment_name);
        assert!(!none.contains("#EXTINF"), "{none}");
    }
}
