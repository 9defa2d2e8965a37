//! Audio end to end with the real tools: espeak-ng speaks, ffmpeg encodes, and ffmpeg's own
//! EBU R128 meter and ffprobe check the result. Nothing is listened to; everything is measured.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::{bail, ensure, Context, Result};
use chrono::{TimeZone, Utc};
use quakecast_audio::mix::{self, MAX_TRUE_PEAK_DBTP, SAMPLE_RATE, TARGET_LUFS};
use quakecast_audio::tts::{check_not_silent, Lang};
use quakecast_audio::{
    mix_narration, mix_narration_pcm, prepare_audio, synthesize_narration, AudioError, EspeakTts,
    FallbackTts, HttpTts, Narration, Pcm, TtsProvider,
};
use quakecast_facts::{Event, ReportStatus, Source};
use quakecast_scenes::linebreak::line_width;
use quakecast_scenes::subtitles::SUBTITLE_MAX_CHARS;
use quakecast_scenes::timeline::{scene_min_frames, LEAD_IN_SECS, TAIL_SECS};
use quakecast_scenes::SceneKind;

const FPS: u32 = 30;

/// The bundled sample: CENC official, 2022-05-20 08:36 Beijing time, M4.8 Hanyuan, Ya'an.
fn hanyuan() -> Event {
    Event {
        source: Source::Cenc,
        event_id: "CC20220520083601".into(),
        status: ReportStatus::Official,
        revision: 0,
        origin_time: Utc.with_ymd_and_hms(2022, 5, 20, 0, 36, 1).unwrap(),
        lat: 29.67,
        lon: 102.67,
        depth_km: 20.0,
        magnitude: 4.8,
        magnitude_type: "M".into(),
        region: "四川雅安市汉源县".into(),
        revised: false,
    }
}

/// What `Storyboard::with_durations` is to do: each scene lasts the larger of its default and
/// the frames its speech needs. Returns (kind, start frame, frames) and the total.
fn timeline(narration: &Narration) -> (Vec<(SceneKind, u32, u32)>, u32) {
    let defaults = [
        (SceneKind::Header, 90),
        (SceneKind::Parameters, 150),
        (SceneKind::Map, 180),
        (SceneKind::Closing, 90),
    ];
    let need = scene_min_frames(&narration.durations(), FPS);
    let mut start = 0;
    let mut spans = Vec::new();
    for (kind, default) in defaults {
        let min = need.iter().find(|(k, _)| *k == kind).map_or(0, |(_, f)| *f);
        let frames = default.max(min);
        spans.push((kind, start, frames));
        start += frames;
    }
    (spans, start)
}

fn secs_spans(spans: &[(SceneKind, u32, u32)]) -> Vec<(SceneKind, f64, f64)> {
    spans
        .iter()
        .map(|&(k, s, n)| {
            (
                k,
                f64::from(s) / f64::from(FPS),
                f64::from(s + n) / f64::from(FPS),
            )
        })
        .collect()
}

fn ffmpeg() -> PathBuf {
    mix::ffmpeg_program()
}

fn ffprobe() -> PathBuf {
    std::env::var_os("QUAKECAST_FFPROBE")
        .filter(|p| !p.is_empty())
        .map_or_else(|| PathBuf::from("ffprobe"), PathBuf::from)
}

fn run(cmd: &mut Command) -> Result<std::process::Output> {
    let out = cmd.output().with_context(|| format!("running {cmd:?}"))?;
    ensure!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(out)
}

/// Integrated loudness (LUFS) and true peak (dBTP) as ffmpeg's ebur128 filter reports them.
fn ffmpeg_r128(path: &Path) -> Result<(f64, f64)> {
    let out = run(Command::new(ffmpeg())
        .args(["-hide_banner", "-nostats", "-i"])
        .arg(path)
        .args(["-af", "ebur128=peak=true", "-f", "null", "-"]))?;
    let text = String::from_utf8_lossy(&out.stderr);
    let summary = text
        .split("Summary:")
        .nth(1)
        .context("no ebur128 summary")?;
    let value = |key: &str| -> Result<f64> {
        let line = summary
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with(key))
            .with_context(|| format!("no `{key}` in summary:\n{summary}"))?;
        let num = line[key.len()..].split_whitespace().next().unwrap_or("");
        num.parse().with_context(|| format!("parsing {line:?}"))
    };
    Ok((value("I:")?, value("Peak:")?))
}

fn probe(path: &Path) -> Result<serde_json::Value> {
    let out = run(Command::new(ffprobe())
        .args([
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_streams",
            "-show_format",
        ])
        .arg(path))?;
    Ok(serde_json::from_slice(&out.stdout)?)
}

fn num(v: &serde_json::Value) -> f64 {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .or_else(|| v.as_f64())
        .unwrap_or(f64::NAN)
}

/// Decode the first audio stream of `path` to 48 kHz interleaved stereo f32.
fn decode(path: &Path) -> Result<Vec<f32>> {
    let out = run(Command::new(ffmpeg())
        .args(["-hide_banner", "-loglevel", "error", "-i"])
        .arg(path)
        .args([
            "-map", "0:a:0", "-f", "f32le", "-ar", "48000", "-ac", "2", "-",
        ]))?;
    Ok(out
        .stdout
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect())
}

/// `(start, end)` seconds of each SubRip or WebVTT cue.
fn cue_times(text: &str) -> Vec<(f64, f64)> {
    let t = |s: &str| -> f64 {
        let s = s.trim().replace(',', ".");
        let p: Vec<&str> = s.split(':').collect();
        p[0].parse::<f64>().unwrap() * 3600.0
            + p[1].parse::<f64>().unwrap() * 60.0
            + p[2].parse::<f64>().unwrap()
    };
    text.lines()
        .filter_map(|l| l.split_once(" --> "))
        .map(|(a, b)| (t(a), t(b)))
        .collect()
}

#[test]
fn audio_hanyuan_bulletin_meets_loudness_format_and_subtitle_timing() -> Result<()> {
    let event = hanyuan();
    let tts = EspeakTts::from_env();
    let narration = synthesize_narration(&event, &tts)?;
    assert_eq!(narration.lang, Lang::Zh);
    let (spans, total_frames) = timeline(&narration);
    let scenes = secs_spans(&spans);
    let total_secs = f64::from(total_frames) / f64::from(FPS);
    let dir = tempfile::tempdir()?;
    let report = mix_narration(&event, &narration, &scenes, total_secs, dir.path())?;
    eprintln!(
        "voice {}, {total_frames} frames, speech {:?}, {:.2} LUFS {:.2} dBTP before AAC",
        report.voice,
        narration.durations(),
        report.integrated_lufs,
        report.true_peak_dbtp
    );

    // Loudness and true peak of the encoded file, read by ffmpeg's own R128 meter.
    let (lufs, peak) = ffmpeg_r128(&report.audio)?;
    eprintln!("ffmpeg ebur128 on audio.m4a: I = {lufs} LUFS, true peak = {peak} dBTP");
    assert!((lufs - TARGET_LUFS).abs() <= 1.0, "integrated {lufs} LUFS");
    assert!(peak <= MAX_TRUE_PEAK_DBTP, "true peak {peak} dBTP");

    // Format and length: AAC, 48 kHz, stereo, the video's duration to within one frame.
    let p = probe(&report.audio)?;
    let a = &p["streams"][0];
    assert_eq!(a["codec_type"], "audio");
    assert_eq!(a["codec_name"], "aac");
    assert_eq!(num(&a["sample_rate"]), 48_000.0);
    assert_eq!(a["channels"], 2);
    let duration = num(&p["format"]["duration"]);
    assert!(
        (duration - total_secs).abs() <= 1.0 / f64::from(FPS),
        "audio {duration} s vs video {total_secs} s"
    );
    assert_eq!(report.frames, u64::from(total_frames) * 1600);

    // One speech segment per cue, inside its scene, after the lead-in.
    assert_eq!(report.segments.len(), 4);
    for (seg, &(kind, start, end)) in report.segments.iter().zip(&scenes) {
        assert_eq!(seg.scene, kind);
        assert!(seg.start_secs >= start + LEAD_IN_SECS - 1e-6, "{seg:?}");
        assert!(
            seg.end_secs <= end - TAIL_SECS + 1e-6,
            "{seg:?} in {start}..{end}"
        );
        for l in &seg.lines {
            assert!(line_width(l) <= SUBTITLE_MAX_CHARS as f32, "{l}");
        }
    }
    let speech: Vec<f64> = narration.durations().iter().map(|d| d.1).collect();
    for (seg, secs) in report.segments.iter().zip(&speech) {
        assert!((seg.end_secs - seg.start_secs - secs).abs() < 1e-9);
    }

    // Subtitle cues are exactly the speech segments (to the formats' millisecond).
    let srt = std::fs::read_to_string(&report.srt)?;
    let vtt = std::fs::read_to_string(&report.vtt)?;
    eprintln!("{srt}");
    assert!(vtt.starts_with("WEBVTT"));
    assert!(srt.contains("4.8级"), "{srt}");
    for times in [cue_times(&srt), cue_times(&vtt)] {
        assert_eq!(times.len(), report.segments.len());
        for ((s, e), seg) in times.iter().zip(&report.segments) {
            assert!(
                (s - seg.start_secs).abs() <= 0.0005,
                "{s} vs {}",
                seg.start_secs
            );
            assert!(
                (e - seg.end_secs).abs() <= 0.0005,
                "{e} vs {}",
                seg.end_secs
            );
        }
    }

    // The voice is where the segments say: decoded audio is much louder inside a segment
    // (voice + ducked music) than just before it (music alone, 9 dB under the voice and
    // already ducking), and that music is there (not silence) once it has faded in.
    let pcm = decode(&report.audio)?;
    let rms = |from: f64, to: f64| -> f64 {
        let (a, b) = ((from * 48_000.0) as usize * 2, (to * 48_000.0) as usize * 2);
        let s = &pcm[a..b.min(pcm.len())];
        (s.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / s.len() as f64).sqrt()
    };
    for seg in &report.segments {
        let inside = rms(seg.start_secs, seg.end_secs);
        let before = rms(seg.start_secs - 0.35, seg.start_secs - 0.02);
        if seg.start_secs > 2.0 {
            assert!(before > 0.003, "{:?}: no music before the voice", seg.scene);
        }
        assert!(
            // 6 dB: music recovering from the previous cue's duck can sit in the window before;
            // a misplaced voice gives a ratio near 1.
            inside > 2.0 * before,
            "{:?}: rms {inside} inside vs {before} before",
            seg.scene
        );
    }
    Ok(())
}

#[test]
fn audio_same_event_twice_gives_identical_pcm() -> Result<()> {
    let event = hanyuan();
    let tts = EspeakTts::from_env();
    let first = synthesize_narration(&event, &tts)?;
    let (spans, total) = timeline(&first);
    let scenes = secs_spans(&spans);
    let total_secs = f64::from(total) / f64::from(FPS);
    let (d1, d2) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let a = prepare_audio(&event, &scenes, total_secs, &tts, d1.path())?;
    let b = prepare_audio(&event, &scenes, total_secs, &tts, d2.path())?;
    assert_eq!(a.pcm_sha256, b.pcm_sha256);
    assert_eq!(a.segments, b.segments);
    assert_eq!(std::fs::read(&a.srt)?, std::fs::read(&b.srt)?);
    // The encoder is deterministic too: the decoded files are sample-identical.
    assert_eq!(decode(&a.audio)?, decode(&b.audio)?);
    // Another event gets other music (and other words).
    let mut other = event.clone();
    other.event_id = "CC20220520083602".into();
    let c = mix_narration_pcm(&other, &first, &scenes, total_secs)?;
    assert_ne!(c.pcm.sha256_hex(), a.pcm_sha256);
    Ok(())
}

/// Video segments cut at the scene joins, encoded alike, joined with the concat demuxer and
/// `-c copy`, with the audio muxed in as the scheduler's stitch does: around every join the
/// audio in the final MP4 lines up with the mix to well within one frame.
#[test]
fn audio_stays_in_sync_with_video_across_segment_joins() -> Result<()> {
    let event = hanyuan();
    let narration = synthesize_narration(&event, &EspeakTts::from_env())?;
    let (spans, total_frames) = timeline(&narration);
    let scenes = secs_spans(&spans);
    let total_secs = f64::from(total_frames) / f64::from(FPS);
    let mixed = mix_narration_pcm(&event, &narration, &scenes, total_secs)?;
    let dir = tempfile::tempdir()?;
    let audio = dir.path().join("audio.m4a");
    mix::encode_aac(&mixed.pcm, &audio)?;

    // One small H.264 segment per scene, each opening on a keyframe.
    let mut list = String::from("ffconcat version 1.0\n");
    for (i, &(_, start, frames)) in spans.iter().enumerate() {
        let seg = dir.path().join(format!("seg{i}.mp4"));
        run(Command::new(ffmpeg())
            .args([
                "-hide_banner",
                "-loglevel",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
            ])
            .arg(format!("testsrc2=size=64x112:rate={FPS}"))
            .args([
                "-vf",
                &format!(
                    "trim=start_frame={start}:end_frame={},setpts=PTS-STARTPTS",
                    start + frames
                ),
            ])
            .args([
                "-frames:v",
                &frames.to_string(),
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
            ])
            .args([
                "-g",
                "300",
                "-pix_fmt",
                "yuv420p",
                "-video_track_timescale",
                "15360",
            ])
            .arg(&seg))?;
        list.push_str(&format!("file '{}'\n", seg.display()));
    }
    let list_path = dir.path().join("list.txt");
    std::fs::write(&list_path, list)?;
    let out = dir.path().join("bulletin.mp4");
    run(Command::new(ffmpeg())
        .args([
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
        .arg(&list_path)
        .arg("-i")
        .arg(&audio)
        .args([
            "-map",
            "0:v:0",
            "-map",
            "1:a:0",
            "-c",
            "copy",
            "-movflags",
            "+faststart",
        ])
        .arg(&out))?;

    let p = probe(&out)?;
    let streams = p["streams"].as_array().context("streams")?;
    let v = streams
        .iter()
        .find(|s| s["codec_type"] == "video")
        .context("video")?;
    let a = streams
        .iter()
        .find(|s| s["codec_type"] == "audio")
        .context("audio")?;
    let frame = 1.0 / f64::from(FPS);
    assert!((num(&a["start_time"]) - num(&v["start_time"])).abs() < frame);
    assert!(
        (num(&a["duration"]) - num(&v["duration"])).abs() <= frame,
        "audio {} s, video {} s",
        num(&a["duration"]),
        num(&v["duration"])
    );
    assert!((num(&v["duration"]) - total_secs).abs() <= frame);

    // Cross-correlate the muxed audio with the mix around each join.
    let got = decode(&out)?;
    let mono = |s: &[f32]| -> Vec<f32> { s.chunks_exact(2).map(|f| f[0] + f[1]).collect() };
    let (want, got) = (mono(&mixed.pcm.samples), mono(&got));
    let max_lag = 2 * 1600; // two frames of samples either way
    for &(kind, start, _) in &scenes[1..] {
        let centre = (start * f64::from(SAMPLE_RATE)) as usize;
        let w = &want[centre - 12_000..centre + 36_000];
        let corr = |lag: i64| -> f64 {
            let from = (centre as i64 - 12_000 + lag) as usize;
            let g = &got[from..from + w.len()];
            let dot: f64 = w
                .iter()
                .zip(g)
                .map(|(a, b)| f64::from(*a) * f64::from(*b))
                .sum();
            let e: f64 = g.iter().map(|b| f64::from(*b).powi(2)).sum();
            dot / e.sqrt().max(1e-9)
        };
        let coarse = (-max_lag..=max_lag)
            .step_by(8)
            .max_by(|&x, &y| corr(x).total_cmp(&corr(y)))
            .unwrap_or(0);
        let best = (coarse - 8..=coarse + 8)
            .max_by(|&x, &y| corr(x).total_cmp(&corr(y)))
            .unwrap_or(coarse);
        eprintln!("{kind:?} join at {start:.3} s: audio offset {best} samples");
        assert!(
            best.unsigned_abs() < 1600,
            "{kind:?}: audio off by {best} samples at the join"
        );
        assert!(best.abs() <= 48, "{kind:?}: {best} samples (> 1 ms)");
    }
    Ok(())
}

/// A request the loopback voice server saw.
#[derive(Debug, Clone)]
struct Seen {
    request_line: String,
    headers: Vec<(String, String)>,
    body: String,
}

/// A voice server on 127.0.0.1 that answers `n` requests with `status` and `body`, then stops.
fn voice_server(
    n: usize,
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
) -> (String, Arc<Mutex<Vec<Seen>>>, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1/tts", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let handle = std::thread::spawn(move || {
        for _ in 0..n {
            let Ok((stream, _)) = listener.accept() else {
                return;
            };
            if let Ok(s) = serve_one(stream, status, content_type, &body) {
                log.lock().unwrap().push(s);
            }
        }
    });
    (url, seen, handle)
}

fn serve_one(stream: TcpStream, status: u16, ctype: &str, body: &[u8]) -> Result<Seen> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .map_or(Ok(0), |(_, v)| v.parse())?;
    let mut req_body = vec![0; len];
    reader.read_exact(&mut req_body)?;
    let mut w = stream;
    write!(
        w,
        "HTTP/1.1 {status} X\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    w.write_all(body)?;
    w.flush()?;
    Ok(Seen {
        request_line: request_line.trim_end().to_string(),
        headers,
        body: String::from_utf8_lossy(&req_body).into_owned(),
    })
}

fn tone_wav(rate: u32, secs: f64) -> (Pcm, Vec<u8>) {
    let n = (f64::from(rate) * secs) as usize;
    let samples = (0..n)
        .map(|i| {
            (0.4 * (2.0 * std::f64::consts::PI * 330.0 * i as f64 / f64::from(rate)).sin()) as f32
        })
        .collect();
    let pcm = Pcm::new(rate, 1, samples);
    let wav = pcm.to_wav_i16();
    (pcm, wav)
}

#[test]
fn audio_http_voice_returns_wav_and_sends_text_lang_and_key() -> Result<()> {
    let (tone, wav) = tone_wav(24_000, 1.0);
    let (url, seen, server) = voice_server(1, 200, "audio/wav", wav);
    let http = HttpTts::new(url, Some("sekret".into()));
    let espeak = EspeakTts::from_env();
    let tts = FallbackTts::new(http, espeak.clone());
    let got = tts.synthesize("震中位于北纬二十九点六七度", Lang::Zh)?;
    server.join().unwrap();
    // The HTTP voice spoke (not the fallback): its 1 s tone at 24 kHz came back intact.
    assert_eq!((got.rate, got.channels, got.frames()), (24_000, 1, 24_000));
    let err = got
        .samples
        .iter()
        .zip(&tone.samples)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(err < 1e-4, "max error {err}");
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].request_line, "POST /v1/tts HTTP/1.1");
    let header = |k: &str| {
        seen[0]
            .headers
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(header("authorization").as_deref(), Some("Bearer sekret"));
    assert_eq!(header("content-type").as_deref(), Some("application/json"));
    let body: serde_json::Value = serde_json::from_str(&seen[0].body)?;
    assert_eq!(body["text"], "震中位于北纬二十九点六七度");
    assert_eq!(body["lang"], "zh-CN");
    Ok(())
}

/// Status, content type, body, and what the HTTP voice's own error must be.
type FailureCase = (u16, &'static str, Vec<u8>, fn(&AudioError) -> bool);

#[test]
fn audio_failing_http_voice_falls_back_to_espeak_never_silence() -> Result<()> {
    let espeak = EspeakTts::from_env();
    let text = "以上为自动测定结果。";
    let reference = espeak.synthesize(text, Lang::Zh)?;

    // 500, a silent WAV, and a body that is not audio: each falls back to espeak-ng.
    let (_, silent) = {
        let p = Pcm::silence(16_000, 1, 16_000);
        let w = p.to_wav_i16();
        (p, w)
    };
    let cases: Vec<FailureCase> = vec![
        (500, "text/plain", b"voice exploded".to_vec(), |e| {
            matches!(
                e,
                AudioError::Http {
                    retryable: true,
                    ..
                }
            )
        }),
        (200, "audio/wav", silent, |e| {
            matches!(e, AudioError::Silent { .. })
        }),
        (200, "text/html", b"<html>oops</html>".to_vec(), |e| {
            matches!(e, AudioError::Wav { .. })
        }),
    ];
    for (status, ctype, body, expected) in cases {
        // The primary's own error is the one the fallback hides.
        let (url, _, server) = voice_server(1, status, ctype, body.clone());
        let e = HttpTts::new(url, None)
            .synthesize(text, Lang::Zh)
            .unwrap_err();
        server.join().unwrap();
        assert!(expected(&e), "{status} {ctype}: {e}");

        let (url, seen, server) = voice_server(1, status, ctype, body);
        let tts = FallbackTts::new(HttpTts::new(url, None), espeak.clone());
        let got = tts.synthesize(text, Lang::Zh)?;
        server.join().unwrap();
        assert_eq!(
            seen.lock().unwrap().len(),
            1,
            "the HTTP voice was asked first"
        );
        assert_eq!(
            got, reference,
            "{status} {ctype}: fallback is espeak-ng's speech"
        );
        assert!(check_not_silent(got, "fallback", text).is_ok());
    }

    // Nobody listening at all.
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let dead = HttpTts {
        timeout: Duration::from_secs(2),
        ..HttpTts::new(format!("http://127.0.0.1:{port}/tts"), None)
    };
    let e = dead.synthesize(text, Lang::Zh).unwrap_err();
    assert!(e.is_retryable(), "{e}");
    let got = FallbackTts::new(dead, espeak).synthesize(text, Lang::Zh)?;
    assert_eq!(got, reference);
    Ok(())
}

#[test]
fn audio_espeak_voice_speaks_mandarin_not_english_tone_numbers() -> Result<()> {
    let espeak = EspeakTts::from_env();
    // Debian 12's `cmn` voice switches to English for its own pinyin ("(en)nI55Tr'i:55" —
    // "ni three"); the voice we use must stay in Mandarin phonemes with tone contours.
    let ph = espeak.phonemes("你好，四点八级地震", Lang::Zh)?;
    if ph.contains("(en)") {
        bail!(
            "Mandarin voice {} switched to English: {ph}",
            espeak.voice_zh
        );
    }
    assert!(ph.contains("n'i35") || ph.contains("n'i21"), "{ph}");
    let en = espeak.synthesize("A magnitude 6.1 earthquake.", Lang::En)?;
    assert!(en.duration_secs() > 1.0);
    let zh = espeak.synthesize("中国地震台网正式测定", Lang::Zh)?;
    assert!(zh.duration_secs() > 1.0);
    Ok(())
}

#[test]
fn audio_english_bulletin_for_a_usgs_event() -> Result<()> {
    let mut event = hanyuan();
    event.source = Source::Usgs;
    event.status = ReportStatus::Automatic;
    event.event_id = "us7000h8ps".into();
    event.magnitude = 6.6;
    event.depth_km = 10.0;
    event.origin_time = Utc.with_ymd_and_hms(2022, 9, 5, 4, 52, 0).unwrap();
    event.region = "43 km SE of Kangding, China".into();
    let narration = synthesize_narration(&event, &EspeakTts::from_env())?;
    assert_eq!(narration.lang, Lang::En);
    let (spans, total) = timeline(&narration);
    let scenes = secs_spans(&spans);
    let mixed = mix_narration_pcm(&event, &narration, &scenes, f64::from(total) / 30.0)?;
    eprintln!("english mix: {:?}", mixed.loudness);
    assert!((mixed.loudness.integrated_lufs - TARGET_LUFS).abs() <= 0.5);
    assert!(mixed.loudness.true_peak_dbtp <= mix::LIMIT_DBTP);
    assert_eq!(mixed.pcm.frames(), total as usize * 1600);
    assert!(mixed.segments[1].lines.concat().contains("M6.6"));
    // Strong quake at 12:52 local solar time: strong, daytime mood.
    assert!(!mixed.mood.night);
    Ok(())
}

/// The first HLS segment's sound is mixed from the first cues alone, before the rest of the
/// speech exists: it must be the start of the whole mix, sample for sample, for a head inside
/// the first cue and for one that spans several cues.
#[test]
fn audio_head_mixed_from_the_first_cues_is_the_start_of_the_whole_mix() -> Result<()> {
    let event = hanyuan();
    let tts = EspeakTts::from_env();
    let script = quakecast_scenes::narration::script(&event);
    let narration = quakecast_audio::synthesize_script(&script, &tts)?;
    let (spans, total) = timeline(&narration);
    let scenes = secs_spans(&spans);
    let total_secs = f64::from(total) / f64::from(FPS);
    let whole = mix_narration_pcm(&event, &narration, &scenes, total_secs)?;
    eprintln!(
        "whole mix: {:.2} LUFS, {:.2} dBTP",
        whole.loudness.integrated_lufs, whole.loudness.true_peak_dbtp
    );
    assert!((whole.loudness.integrated_lufs - TARGET_LUFS).abs() <= 0.5);
    assert!(whole.loudness.true_peak_dbtp <= mix::LIMIT_DBTP);
    let second_cue_end = whole.segments[1].end_secs;
    for upto in [1.0, second_cue_end + 0.5] {
        let head = quakecast_audio::synthesize_head(&script, &tts, &scenes, total_secs, upto)?;
        // Only the cues that reach into the head are spoken.
        let reach = whole
            .segments
            .iter()
            .filter(|s| s.start_secs < upto + quakecast_audio::HEAD_MARGIN_SECS)
            .count();
        assert_eq!(head.cues.len(), reach, "head of {upto} s");
        let pcm = quakecast_audio::mix_head(&event, &head, &scenes, total_secs, upto, None)?;
        let n = (upto * f64::from(SAMPLE_RATE)).round() as usize;
        assert_eq!(pcm.frames(), n);
        assert!(
            pcm.samples == whole.pcm.samples[..2 * n],
            "the head of {upto} s differs from the whole mix"
        );
    }
    Ok(())
}
