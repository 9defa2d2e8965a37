//! The progressive output: an HLS media playlist that grows as segments finish.
//!
//! Each finished MP4 segment is remuxed (stream copy, no re-encode) to MPEG-TS with its start
//! time as timestamp offset, so the TS segments' timestamps continue one another and a player
//! needs no discontinuity markers. The playlist lists the longest run of finished segments from
//! the first one (a player must not see a gap), as an `EVENT` playlist while it grows and with
//! `#EXT-X-ENDLIST` once all are there. The target duration is computed over the whole plan, so
//! it does not change between reloads (RFC 8216 §6.2.1).
//!
//! The sound is an audio rendition of its own (`EXT-X-MEDIA`, RFC 8216 §4.3.4.1): `index.m3u8`
//! is a master playlist naming `video.m3u8` and `audio.m3u8`. The audio segments are cut at the
//! video segments' starts from one AAC stream; the first one is made by the first segment's
//! task from the first cue alone (the mix has a fixed master gain, so its start does not wait
//! for the rest of the speech), the others by the audio task.
use std::path::{Path, PathBuf};
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

/// File name of audio segment `index`.
pub fn audio_segment_name(index: u32) -> String {
    format!("aud{index:04}.ts")
}

/// The master playlist (what a player opens).
pub const MASTER_PLAYLIST: &str = "index.m3u8";
/// The video's media playlist.
pub const VIDEO_PLAYLIST: &str = "video.m3u8";
/// The sound's media playlist.
pub const AUDIO_PLAYLIST: &str = "audio.m3u8";

/// Nominal peak bit rate of the stream for `EXT-X-STREAM-INF` (a required attribute; the
/// encoder runs at constant quality, so this is an estimate): H.264 at `width`×`height` plus
/// the AAC track.
fn nominal_bandwidth(width: u32, height: u32, audio: bool) -> u64 {
    let video = (u64::from(width) * u64::from(height) * 3).max(200_000);
    video + if audio { 160_000 } else { 0 }
}

/// The master playlist: the video playlist, with the sound as its audio rendition when there
/// is one (`lang`: the narration's BCP 47 tag). `uri(name)` names a playlist.
pub fn master_playlist(
    width: u32,
    height: u32,
    audio_lang: Option<&str>,
    uri: impl Fn(&str) -> String,
) -> String {
    let mut s = String::from("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-INDEPENDENT-SEGMENTS\n");
    let bandwidth = nominal_bandwidth(width, height, audio_lang.is_some());
    match audio_lang {
        Some(lang) => {
            s.push_str(&format!(
                "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"narration\",NAME=\"narration\",LANGUAGE=\"{lang}\",\
                 DEFAULT=YES,AUTOSELECT=YES,URI=\"{}\"\n",
                uri(AUDIO_PLAYLIST)
            ));
            s.push_str(&format!(
                "#EXT-X-STREAM-INF:BANDWIDTH={bandwidth},RESOLUTION={width}x{height},AUDIO=\"narration\"\n{}\n",
                uri(VIDEO_PLAYLIST)
            ));
        }
        None => s.push_str(&format!(
            "#EXT-X-STREAM-INF:BANDWIDTH={bandwidth},RESOLUTION={width}x{height}\n{}\n",
            uri(VIDEO_PLAYLIST)
        )),
    }
    s
}

/// Every TS segment's timestamps start this far in, video and audio alike. A stream with
/// B-frames decodes its first picture before time 0, and the AAC encoder's priming frame starts
/// before 0 too; ffmpeg shifts a file whose timestamps would go negative, by a different amount
/// per stream and only for the segment that starts at 0. With a base, no file is shifted and
/// the picture and the sound of time t carry the same timestamp in every segment.
pub const TS_BASE_SECS: f64 = 1.0;

fn ffmpeg_ts(args: &[std::ffi::OsString], tool: &'static str) -> Result<()> {
    let output = Command::new(ffmpeg_path())
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .output()
        .map_err(|e| Error::Tool {
            tool,
            message: format!("could not start {:?}: {e}", ffmpeg_path()),
        })?;
    if !output.status.success() {
        return Err(Error::Tool {
            tool,
            message: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        });
    }
    Ok(())
}

/// Remux an MP4 segment to MPEG-TS starting at `start_secs` (stream copy).
pub fn remux_to_ts(mp4: &Path, start_secs: f64, out: &Path) -> Result<()> {
    let args: Vec<std::ffi::OsString> = vec![
        "-i".into(),
        mp4.into(),
        "-map".into(),
        "0".into(),
        "-c".into(),
        "copy".into(),
        "-output_ts_offset".into(),
        format!("{:.6}", TS_BASE_SECS + start_secs).into(),
        "-f".into(),
        "mpegts".into(),
        out.into(),
    ];
    ffmpeg_ts(&args, "ffmpeg (remux to TS)")
}

/// Cut an AAC track that starts at 0 (`m4a`) into MPEG-TS audio segments at `cuts` (seconds,
/// increasing; the video segments' starts after the first): segment i holds the AAC frames
/// that start in `[cuts[i-1], cuts[i])`, stream-copied, timestamps as [`remux_to_ts`] gives the
/// pictures. Returns `dir/aud0000.ts`, `dir/aud0001.ts`, …: `cuts.len() + 1` files.
pub fn split_audio_to_ts(m4a: &Path, cuts: &[f64], dir: &Path) -> Result<Vec<PathBuf>> {
    let tool = "ffmpeg (audio to TS segments)";
    std::fs::create_dir_all(dir).map_err(|e| Error::Io {
        path: dir.display().to_string(),
        source: e,
    })?;
    let mut args: Vec<std::ffi::OsString> = vec![
        "-i".into(),
        m4a.into(),
        "-map".into(),
        "0:a:0".into(),
        "-c".into(),
        "copy".into(),
        "-output_ts_offset".into(),
        format!("{TS_BASE_SECS:.6}").into(),
        "-f".into(),
        "segment".into(),
        "-segment_format".into(),
        "mpegts".into(),
    ];
    if !cuts.is_empty() {
        // The segment muxer cuts on the timestamps it is given: the offset ones.
        let times: Vec<String> = cuts
            .iter()
            .map(|c| format!("{:.6}", c + TS_BASE_SECS))
            .collect();
        args.push("-segment_times".into());
        args.push(times.join(",").into());
    } else {
        // One segment: longer than any bulletin.
        args.push("-segment_time".into());
        args.push("100000".into());
    }
    args.push(dir.join("aud%04d.ts").into());
    ffmpeg_ts(&args, tool)?;
    let files: Vec<PathBuf> = (0..=cuts.len() as u32)
        .map(|i| dir.join(audio_segment_name(i)))
        .collect();
    if let Some(missing) = files.iter().find(|f| !f.is_file()) {
        return Err(Error::Tool {
            tool,
            message: format!(
                "{} cut at {cuts:?} gave no {}",
                m4a.display(),
                missing.display()
            ),
        });
    }
    Ok(files)
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

    #[test]
    fn the_master_playlist_names_the_sound_as_its_own_rendition() {
        let m = master_playlist(720, 1280, Some("zh-CN"), |n| format!("{n}?exp=1&sig=ab"));
        assert!(
            m.contains(
                "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"narration\",NAME=\"narration\",\
                 LANGUAGE=\"zh-CN\",DEFAULT=YES,AUTOSELECT=YES,URI=\"audio.m3u8?exp=1&sig=ab\"\n"
            ),
            "{m}"
        );
        assert!(
            m.ends_with(
                "#EXT-X-STREAM-INF:BANDWIDTH=2924800,RESOLUTION=720x1280,AUDIO=\"narration\"\n\
                 video.m3u8?exp=1&sig=ab\n"
            ),
            "{m}"
        );
        let silent = master_playlist(180, 320, None, str::to_string);
        assert!(!silent.contains("EXT-X-MEDIA"), "{silent}");
        assert!(
            silent.ends_with("RESOLUTION=180x320\nvideo.m3u8\n"),
            "{silent}"
        );
        assert_eq!(audio_segment_name(7), "aud0007.ts");
    }
}
