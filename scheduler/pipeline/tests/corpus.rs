//! Every real report of the corpus (`scenes/tests/corpus/`: 48 quakes, five input formats,
//! M2.7–M9.1, China and abroad, land and sea, deep, antimeridian, high latitude, automatic,
//! official and revised) becomes a complete bulletin, rendered for real (wgpu on lavapipe here,
//! ffmpeg, the local store) at a small size with voice, music and subtitles, in each language
//! its index entry names. Each bulletin must:
//!
//! - render (no error of any kind, in particular none about the speech's length);
//! - have an AAC track as long as the video and an SRT beside it;
//! - speak the must-say facts (subtitles are the speech): status and source, time, place,
//!   magnitude, depth, the nearest place with its distance, the predicted intensity and felt
//!   radius from M6 or intensity VI, the safety advice;
//! - in Mandarin, carry no Latin place text;
//! - last within its magnitude band's lengths.
//!
//! All failures are collected and reported together, with a table of lengths per band.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use quakecast_core::bulletin::Content;
use quakecast_core::store::{LocalDirStore, ObjectStore};
use quakecast_core::{assets, media};
use quakecast_facts::lang::Lang;
use quakecast_pipeline::{render_bulletin, RenderEnv, RenderOutcome, RenderRequest};
use quakecast_renderer::{AdapterPolicy, EncodeSettings, Font, GpuContext};
use quakecast_scenes::narration::must_speak;
use quakecast_scenes::{RenderSettings, SceneKind, Theme};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Entry {
    file: String,
    format: String,
    quake: String,
    in_china: bool,
    langs: Vec<String>,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenes/tests/corpus")
}

fn env() -> RenderEnv {
    let gpu =
        GpuContext::new(AdapterPolicy { allow_cpu: true }).expect("a wgpu adapter (lavapipe here)");
    RenderEnv {
        gpu: Arc::new(gpu),
        font: Arc::new(Font::load(None).expect("CJK font (fonts-wqy-microhei)")),
        assets: Arc::new(
            assets::load_assets(&assets::default_data_dir())
                .expect("map data: run `bash scripts/setup.sh`"),
        ),
    }
}

/// Small and short-framed: the test is about content, timing and sound, not pixels (the goldens
/// and the e2e test check those), so 180x320 at 10 fps keeps 57 renders within a few minutes.
fn request(lang: Lang) -> RenderRequest {
    let settings = RenderSettings {
        width: 180,
        height: 320,
        fps: 10,
    };
    RenderRequest {
        settings,
        segments: 1,
        workers: 1,
        encode: EncodeSettings {
            preset: "ultrafast".into(),
            crf: 30,
            ..EncodeSettings::new(settings.width, settings.height, settings.fps)
        },
        audio: true,
        content: Arc::new(
            Content {
                theme: Theme {
                    lang: Some(lang),
                    ..Theme::default()
                },
                ..Content::default()
            }
            // As `render` gets it by default: the bundled catalogue and elevation grid (each
            // read once per process).
            .with_bundled(&quakecast_core::assets::default_data_dir(), true, true),
        ),
    }
}

/// Latin letters a Mandarin subtitle may hold that are not place text: "UTC" in the time line
/// abroad and the Roman numeral of the intensity ("VI度").
fn latin_place_text(s: &str) -> Option<String> {
    let cleaned = s.replace("UTC", "");
    let chars: Vec<char> = cleaned.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_alphabetic() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_alphabetic() {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let roman = word.chars().all(|c| "IVX".contains(c)) && chars.get(i) == Some(&'度');
            if !roman {
                return Some(word);
            }
        } else {
            i += 1;
        }
    }
    None
}

/// The checks on one rendered bulletin; an empty list when it passes.
fn check(out: &RenderOutcome, store: &LocalDirStore, lang: Lang, entry: &Entry) -> Vec<String> {
    let mut bad = Vec::new();
    let sb = &out.storyboard;
    let e = &sb.event;
    let f = &sb.facts;
    // Subtitle lines joined back into the sentence (a space between English lines).
    let sep = if lang == Lang::En { " " } else { "" };
    let text_of = |k: SceneKind| -> Option<String> {
        sb.subtitles
            .iter()
            .filter(|c| c.scene == k)
            .map(|c| c.lines.join(sep))
            .reduce(|a, b| a + sep + &b)
    };
    // Sound and subtitles.
    match store.path(&out.video.key).map(|p| media::probe(&p)) {
        Ok(Ok(p)) => {
            match &p.audio {
                Some((codec, _, _)) if codec == "aac" => {}
                other => bad.push(format!("audio stream {other:?}, expected AAC")),
            }
            if let Some(a) = p.audio_duration {
                if (a - p.duration).abs() > 0.2 {
                    bad.push(format!("audio {a:.2} s vs video {:.2} s", p.duration));
                }
            }
        }
        other => bad.push(format!("probe failed: {other:?}")),
    }
    // Loudness by construction (a fixed master gain): every mix within half a LU of the target.
    match &out.manifest_doc.audio {
        Some(a) if (a.integrated_lufs + 16.0).abs() <= 0.5 && a.true_peak_dbtp <= -3.0 => {}
        Some(a) => bad.push(format!(
            "mix at {:.2} LUFS, {:.2} dBTP: expected −16 ± 0.5 LUFS under −3 dBTP",
            a.integrated_lufs, a.true_peak_dbtp
        )),
        None => bad.push("no sound track in the manifest".into()),
    }
    let srt = out
        .subtitles
        .iter()
        .find(|s| s.key.ends_with(".srt"))
        .and_then(|s| store.get_bytes(&s.key).ok());
    match srt {
        Some(b) if b.len() > 20 => {}
        _ => bad.push("no SRT beside the video".into()),
    }
    // Must-say facts, each in its scene's cue.
    let mag = format!("{:.1}", e.magnitude);
    let place = f.place.in_lang(lang).to_string();
    let header = text_of(SceneKind::Header).unwrap_or_default();
    let params = text_of(SceneKind::Parameters).unwrap_or_default();
    let places = text_of(SceneKind::Places);
    let closing = text_of(SceneKind::Closing).unwrap_or_default();
    match lang {
        Lang::Zh => {
            if !(header.contains("测定")) {
                bad.push(format!("header does not say status and source: {header:?}"));
            }
            for need in [
                format!("{mag}级"),
                "震源深度".to_string(),
                place.clone(),
                "时".to_string(),
            ] {
                if !params.contains(&need) {
                    bad.push(format!("parameters lack {need:?}: {params:?}"));
                }
            }
            if !closing.contains(quakecast_scenes::phrases::safety_zh(e, f)) {
                bad.push(format!("closing lacks the safety advice: {closing:?}"));
            }
        }
        Lang::En => {
            if !(header.contains("report")) {
                bad.push(format!("header does not say status and source: {header:?}"));
            }
            for need in [format!("M{mag}"), "depth".to_string(), place.clone()] {
                if !params.contains(&need) {
                    bad.push(format!("parameters lack {need:?}: {params:?}"));
                }
            }
            if !closing.contains(quakecast_scenes::phrases::safety_en(e, f)) {
                bad.push(format!("closing lacks the safety advice: {closing:?}"));
            }
        }
    }
    if f.nearby.is_some() {
        match &places {
            Some(p) if p.contains("公里") || p.contains(" km") => {}
            other => bad.push(format!("the nearest place is not spoken: {other:?}")),
        }
    } else {
        bad.push("no nearby places computed".into());
    }
    if must_speak(SceneKind::Intensity, e, f) {
        let said = text_of(SceneKind::Intensity).unwrap_or_default();
        let ok = match lang {
            Lang::Zh => said.contains("烈度") && said.contains("有感范围"),
            Lang::En => said.contains("intensity") && said.contains("felt"),
        };
        if !ok {
            bad.push(format!("intensity and felt radius not spoken: {said:?}"));
        }
    }
    if lang == Lang::Zh {
        for c in &sb.subtitles {
            if let Some(w) = latin_place_text(&c.lines.concat()) {
                bad.push(format!(
                    "Latin text {w:?} in a Mandarin subtitle: {:?}",
                    c.lines
                ));
            }
        }
        if let Some(w) = latin_place_text(&place) {
            bad.push(format!(
                "Latin text {w:?} in the Mandarin place name {place:?}"
            ));
        }
    }
    let (min, _, max) = sb.theme.lengths_for(e.magnitude);
    let secs = sb.duration_secs();
    if secs > max + 1e-6 || secs < min - 1e-6 {
        bad.push(format!("{secs:.2} s outside the band's {min}–{max} s"));
    }
    if f.place.in_china != entry.in_china {
        bad.push(format!(
            "in China: {} by the place name ({:?}), {} by the corpus index",
            f.place.in_china, f.place.method, entry.in_china
        ));
    }
    bad
}

#[test]
fn every_corpus_report_becomes_a_complete_bulletin() {
    let dir = corpus_dir();
    let index: Vec<Entry> = serde_json::from_str(
        &std::fs::read_to_string(dir.join("index.json")).expect("corpus index"),
    )
    .expect("corpus index parses");
    assert!(index.len() >= 30, "the corpus has {} reports", index.len());
    let env = env();
    let tmp = tempfile::tempdir().expect("tempdir");
    let store = LocalDirStore::new(tmp.path().join("store")).expect("store");
    let mut failures: Vec<String> = Vec::new();
    let mut passed = 0;
    let mut lengths: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut loudness: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut formats: BTreeMap<String, usize> = BTreeMap::new();
    let mut jobs: Vec<(&Entry, Lang, &str)> = Vec::new();
    for entry in &index {
        *formats.entry(entry.format.clone()).or_default() += 1;
        for l in &entry.langs {
            let lang = match l.as_str() {
                "zh" => Lang::Zh,
                "en" => Lang::En,
                other => panic!("{}: unknown language {other}", entry.file),
            };
            jobs.push((entry, lang, l.as_str()));
        }
    }
    // Two renders at a time: mixing the audio is single-threaded, so a second bulletin keeps
    // the other core busy.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: std::sync::Mutex<Vec<(usize, Result<RenderOutcome, String>)>> =
        std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some((entry, lang, l)) = jobs.get(i) else {
                    return;
                };
                let bytes = std::fs::read(dir.join(&entry.file)).expect("corpus file");
                let work = tmp.path().join(format!("work-{}-{l}", entry.file));
                let r = render_bulletin(&env, &bytes, &request(*lang), &store, &work, &|_| {})
                    .map_err(|e| e.to_string());
                results.lock().expect("results").push((i, r));
            });
        }
    });
    let mut results = results.into_inner().expect("results");
    results.sort_by_key(|(i, _)| *i);
    for (i, r) in results {
        let (entry, lang, l) = jobs[i];
        let label = format!("{} [{l}] ({})", entry.file, entry.quake);
        match r {
            Err(e) => failures.push(format!("{label}: {e}")),
            Ok(out) => {
                let bad = check(&out, &store, lang, entry);
                let band = match out.event.magnitude {
                    m if m < 5.0 => "M<5",
                    m if m < 6.5 => "M5–6.5",
                    _ => "M≥6.5",
                };
                lengths
                    .entry(format!("{band} {l}"))
                    .or_default()
                    .push(out.storyboard.duration_secs());
                if let Some(a) = &out.manifest_doc.audio {
                    loudness
                        .entry(l.to_string())
                        .or_default()
                        .push(a.integrated_lufs);
                }
                eprintln!(
                    "corpus: {label}: {:.1} s, {}, {}",
                    out.storyboard.duration_secs(),
                    out.storyboard.facts.place.in_lang(lang),
                    if bad.is_empty() { "ok" } else { "FAILED" }
                );
                if bad.is_empty() {
                    passed += 1;
                } else {
                    failures.push(format!("{label}:\n    {}", bad.join("\n    ")));
                }
            }
        }
    }
    eprintln!("corpus: formats {formats:?}");
    for (band, v) in &lengths {
        let (lo, hi) = v
            .iter()
            .fold((f64::MAX, 0f64), |(a, b), &x| (a.min(x), b.max(x)));
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        eprintln!(
            "corpus: {band}: {} bulletins, {lo:.1}–{hi:.1} s, mean {mean:.1} s",
            v.len()
        );
    }
    for (l, v) in &loudness {
        let (lo, hi) = v
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), &x| (a.min(x), b.max(x)));
        eprintln!(
            "corpus: loudness [{l}]: {} mixes, {lo:.2} to {hi:.2} LUFS",
            v.len()
        );
    }
    eprintln!("corpus: {passed} passed, {} failed", failures.len());
    assert!(
        failures.is_empty(),
        "{} corpus bulletins failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
