//! Background music synthesized in Rust: a slow minor pad over a soft low pulse, by mood.
//!
//! Nothing is bundled and nothing is random at run time: the mood (magnitude band, night at the
//! epicentre) picks tempo, brightness and chord colour, and a seed hashed from the event id picks
//! the key, the progression and the voices' starting phases, so the same event always gets
//! bit-identical music and two events rarely sound the same.
use chrono::{Timelike, Utc};
use quakecast_facts::lang::Lang;
use quakecast_facts::Event;
use quakecast_scenes::narration::script_lang;
use serde::{Deserialize, Serialize};

use super::pcm::Pcm;

/// Magnitude band.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Severity {
    /// Below 5.0.
    Light,
    /// 5.0 to below 6.5.
    Moderate,
    /// 6.5 and above.
    Strong,
}

/// What the music should feel like.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mood {
    pub severity: Severity,
    /// Local time at the epicentre between 20:00 and 06:00: slower and darker.
    pub night: bool,
}

impl Mood {
    pub fn for_event(event: &Event) -> Self {
        let severity = if event.magnitude < 5.0 {
            Severity::Light
        } else if event.magnitude < 6.5 {
            Severity::Moderate
        } else {
            Severity::Strong
        };
        let h = local_hour(event);
        Mood {
            severity,
            night: !(6..20).contains(&h),
        }
    }
}

/// Local hour (0–23) of the event: Beijing time for events narrated in Mandarin (China's single
/// time zone), mean solar time from the longitude otherwise (time zones need a database; the
/// sun is what makes it night).
pub fn local_hour(event: &Event) -> u32 {
    let t = event.origin_time.with_timezone(&Utc);
    let utc_min = i64::from(t.hour() * 60 + t.minute());
    let offset_min = match script_lang(event) {
        Lang::Zh => 8 * 60,
        Lang::En => (event.lon * 4.0).round() as i64, // 360° = 24 h
    };
    ((utc_min + offset_min).rem_euclid(24 * 60) / 60) as u32
}

/// 64-bit FNV-1a of the event id: the music seed.
pub fn seed_for(event_id: &str) -> u64 {
    event_id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// SplitMix64: small, fast, and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

const TABLE_LEN: usize = 2048;

/// One cycle of the pad's timbre: harmonics 1..=10 falling off as 1/k^tilt.
fn wavetable(tilt: f64) -> Vec<f32> {
    let mut t: Vec<f64> = (0..TABLE_LEN)
        .map(|i| {
            let x = 2.0 * std::f64::consts::PI * i as f64 / TABLE_LEN as f64;
            (1..=10)
                .map(|k| (k as f64 * x).sin() / (k as f64).powf(tilt))
                .sum()
        })
        .collect();
    let peak = t.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    t.iter_mut().for_each(|v| *v /= peak);
    t.into_iter().map(|v| v as f32).collect()
}

fn table_at(table: &[f32], phase: f64) -> f32 {
    let pos = phase.fract() * TABLE_LEN as f64;
    let i = pos as usize % TABLE_LEN;
    let j = (i + 1) % TABLE_LEN;
    let f = (pos - pos.floor()) as f32;
    table[i] + (table[j] - table[i]) * f
}

fn midi_hz(note: f64) -> f64 {
    440.0 * 2f64.powf((note - 69.0) / 12.0)
}

/// Raised-cosine ramp 0 → 1 over `x` in 0..=1.
fn smooth(x: f64) -> f64 {
    let x = x.clamp(0.0, 1.0);
    0.5 - 0.5 * (std::f64::consts::PI * x).cos()
}

/// Chord roots (semitones above the key note) and whether each chord is minor.
const PROGRESSIONS: [[(i32, bool); 4]; 5] = [
    [(0, true), (8, false), (3, false), (10, false)], // i VI III VII
    [(0, true), (5, true), (8, false), (7, true)],    // i iv VI v
    [(0, true), (10, false), (8, false), (10, false)], // i VII VI VII
    [(0, true), (8, false), (5, true), (7, true)],    // i VI iv v
    [(0, true), (0, true), (8, false), (7, true)],    // i i VI v (static, grave)
];

/// `secs` seconds of stereo music at `rate` Hz for `mood`, fully determined by `seed`. Peak
/// level about −6 dBFS; the mixer sets the final level ([`level_db`]).
pub fn synthesize_music(mood: Mood, seed: u64, secs: f64, rate: u32) -> Pcm {
    synthesize_music_upto(mood, seed, secs, rate, usize::MAX)
}

/// The integrated loudness of [`synthesize_music`] for each mood, LUFS: the mean over 12 seeds
/// and lengths of 15, 30 and 50 s (`examples/music_level.rs`; every one within 0.35 LU of it).
/// The synth's level is a property of the mood, so the mixer levels the music by it without
/// making the whole track first.
pub fn synthesized_lufs(mood: Mood) -> f64 {
    match (mood.severity, mood.night) {
        (Severity::Light, false) => -21.50,
        (Severity::Light, true) => -21.46,
        (Severity::Moderate, false) => -20.76,
        (Severity::Moderate, true) => -21.05,
        (Severity::Strong, false) => -19.89,
        (Severity::Strong, true) => -20.33,
    }
}

/// The first `upto` frames of [`synthesize_music`]`(mood, seed, secs, rate)`, sample for sample
/// (the whole when `upto` is longer): the track is a sum of notes, a causal low-pass and fades
/// fixed by `secs`, so its start can be made alone.
pub fn synthesize_music_upto(mood: Mood, seed: u64, secs: f64, rate: u32, upto: usize) -> Pcm {
    let mut rng = Rng(seed);
    let whole = (secs.max(0.0) * f64::from(rate)).round() as usize;
    let frames = whole.min(upto);
    let sr = f64::from(rate);
    let (mut bpm, mut tilt, mut cutoff_hz) = match mood.severity {
        Severity::Light => (66.0, 1.3, 2600.0),
        Severity::Moderate => (60.0, 1.5, 2000.0),
        Severity::Strong => (54.0, 1.8, 1500.0),
    };
    if mood.night {
        bpm -= 6.0;
        tilt += 0.3;
        cutoff_hz *= 0.7;
    }
    let beat = 60.0 / bpm;
    let chord_len = 4.0 * beat;
    let key = 45.0 + rng.below(8) as f64; // A2 .. E3
    let progression = match mood.severity {
        Severity::Strong => PROGRESSIONS[2 + rng.below(3) as usize],
        _ => PROGRESSIONS[rng.below(4) as usize],
    };
    let table = wavetable(tilt);
    let mut left = vec![0.0f32; frames];
    let mut right = vec![0.0f32; frames];

    // Pad: each chord fades in over 1.2 s and out over 1.6 s after its slot, so chords overlap.
    let (attack, release) = (1.2, 1.6);
    let chords = (secs / chord_len).ceil() as usize + 1;
    for c in 0..chords {
        let (root, minor) = progression[c % progression.len()];
        let third = if minor { 3.0 } else { 4.0 };
        let mut notes = vec![0.0, third, 7.0, 12.0];
        if mood.severity == Severity::Light {
            notes.push(14.0); // an open ninth keeps small quakes from sounding dire
        }
        let t0 = c as f64 * chord_len;
        let start = (t0 * sr) as usize;
        let end = (((t0 + chord_len + release) * sr) as usize).min(frames);
        // The chords of the whole track draw their phases, made or not, so the bells that
        // follow draw the same numbers for a start as for the whole.
        if start >= whole {
            break;
        }
        let voices: Vec<(f64, f64, f32)> = notes
            .iter()
            .flat_map(|n| {
                let hz = midi_hz(key + 12.0 + f64::from(root) + n);
                [(-1.0, 0.2f32), (1.0, 0.8f32)]
                    .map(|(cents, pan)| (hz * 2f64.powf(cents * 4.0 / 1200.0), rng.unit(), pan))
            })
            .collect();
        let gain = 0.5 / voices.len() as f32;
        for i in start..end {
            let t = i as f64 / sr - t0;
            let env = smooth(t / attack) * (1.0 - smooth((t - chord_len) / release));
            // A slow swell (0.08 Hz) so the held chord breathes.
            let swell = 0.85 + 0.15 * (2.0 * std::f64::consts::PI * 0.08 * (i as f64 / sr)).sin();
            let g = gain * (env * swell) as f32;
            for &(hz, ph0, pan) in &voices {
                let v = table_at(&table, ph0 + hz * t) * g;
                left[i] += v * (1.0 - pan);
                right[i] += v * pan;
            }
        }
    }

    // Low pulse: a soft thump on the chord root an octave below the key, every other beat
    // (every beat when strong), with a little second harmonic so phone speakers carry it.
    let every = if mood.severity == Severity::Strong {
        1
    } else {
        2
    };
    let beats = (secs / beat).ceil() as usize;
    for b in (0..beats).step_by(every) {
        let t0 = b as f64 * beat;
        let chord = (t0 / chord_len) as usize;
        let (root, _) = progression[chord % progression.len()];
        let hz = midi_hz(key - 12.0 + f64::from(root));
        let start = (t0 * sr) as usize;
        let end = (((t0 + 1.2) * sr) as usize).min(frames);
        for i in start..end {
            let t = i as f64 / sr - t0;
            let env = (1.0 - (-t / 0.012).exp()) * (-t / 0.35).exp();
            let x = 2.0 * std::f64::consts::PI * hz * t;
            let v = (0.22 * env * (x.sin() + 0.3 * (2.0 * x).sin())) as f32;
            left[i] += v;
            right[i] += v;
        }
    }

    // Bell: a quiet high note on some chord changes (not at night, not when strong).
    if !mood.night && mood.severity != Severity::Strong {
        for c in 0..chords {
            if rng.below(3) != 0 {
                continue;
            }
            let (root, _) = progression[c % progression.len()];
            let hz = midi_hz(key + 36.0 + f64::from(root) + 7.0);
            let t0 = c as f64 * chord_len + beat;
            let start = (t0 * sr) as usize;
            let end = (((t0 + 3.0) * sr) as usize).min(frames);
            let pan = 0.3 + 0.4 * rng.unit() as f32;
            for i in start..end {
                let t = i as f64 / sr - t0;
                let env = (1.0 - (-t / 0.005).exp()) * (-t / 0.9).exp();
                let v = (0.05 * env * (2.0 * std::f64::consts::PI * hz * t).sin()) as f32;
                left[i] += v * (1.0 - pan);
                right[i] += v * pan;
            }
        }
    }

    // One-pole low-pass for warmth, then fade in 1.5 s and out 2 s.
    let a = (1.0 - (-2.0 * std::f64::consts::PI * cutoff_hz / sr).exp()) as f32;
    for ch in [&mut left, &mut right] {
        let mut y = 0.0f32;
        for v in ch.iter_mut() {
            y += a * (*v - y);
            *v = y;
        }
    }
    let mut samples = Vec::with_capacity(frames * 2);
    for i in 0..frames {
        let t = i as f64 / sr;
        let fade = (smooth(t / 1.5) * smooth((secs - t) / 2.0)) as f32;
        samples.push(left[i] * fade);
        samples.push(right[i] * fade);
    }
    Pcm::new(rate, 2, samples)
}

/// Seconds of the fades a music bed gets at its start and end, and at a loop's seam.
pub const BED_FADE_IN_SECS: f64 = 0.5;
pub const BED_FADE_OUT_SECS: f64 = 1.5;
pub const BED_SEAM_SECS: f64 = 0.5;

/// A music bed from the material library, decoded by ffmpeg to `rate` Hz stereo and made
/// exactly `secs` long: looped with a [`BED_SEAM_SECS`] cross-fade when it is shorter, cut when
/// longer, faded in and out. Any format ffmpeg reads; errors name the file.
pub fn music_bed(path: &std::path::Path, secs: f64, rate: u32) -> crate::Result<Pcm> {
    let program = crate::mix::ffmpeg_program();
    let out = std::process::Command::new(&program)
        .args(["-hide_banner", "-loglevel", "error", "-nostdin"])
        // A bed longer than the bulletin is read only as far as needed.
        .args(["-t", &format!("{:.3}", secs + 1.0), "-i"])
        .arg(path)
        .args([
            "-vn",
            "-f",
            "f32le",
            "-ac",
            "2",
            "-ar",
            &rate.to_string(),
            "-",
        ])
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| crate::AudioError::Spawn {
            program: program.display().to_string(),
            env: "QUAKECAST_FFMPEG",
            source: e,
        })?;
    let what = || format!("music bed {}", path.display());
    if !out.status.success() {
        return Err(crate::AudioError::Wav {
            what: what(),
            reason: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    let src: Vec<f32> = out
        .stdout
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .map(|v| {
            if v.is_finite() {
                v.clamp(-1.0, 1.0)
            } else {
                0.0
            }
        })
        .collect();
    let sr = f64::from(rate);
    let src_frames = src.len() / 2;
    let seam = (BED_SEAM_SECS * sr) as usize;
    if src_frames < 2 * seam.max(1) || src_frames < (sr * 1.0) as usize {
        return Err(crate::AudioError::Wav {
            what: what(),
            reason: format!(
                "{:.2} s of sound; a bed needs at least 1 s",
                src_frames as f64 / sr
            ),
        });
    }
    let total = (secs * sr).round() as usize;
    let mut samples = vec![0.0f32; total * 2];
    // Loop: each repeat starts `seam` before the previous one ends, cross-faded.
    let step = src_frames - seam;
    let mut start = 0usize;
    let mut first = true;
    while start < total {
        for i in 0..src_frames.min(total - start) {
            let mut g = 1.0f32;
            if !first && i < seam {
                g = i as f32 / seam as f32;
            }
            if start + src_frames < total && i >= src_frames - seam {
                g *= (src_frames - i) as f32 / seam as f32;
            }
            for c in 0..2 {
                samples[2 * (start + i) + c] += src[2 * i + c] * g;
            }
        }
        first = false;
        start += step;
    }
    let fin = ((BED_FADE_IN_SECS * sr) as usize).min(total);
    let fout = ((BED_FADE_OUT_SECS * sr) as usize).min(total);
    for i in 0..fin {
        let g = i as f32 / fin as f32;
        samples[2 * i] *= g;
        samples[2 * i + 1] *= g;
    }
    for i in 0..fout {
        let g = i as f32 / fout as f32;
        let k = total - 1 - i;
        samples[2 * k] *= g;
        samples[2 * k + 1] *= g;
    }
    Ok(Pcm::new(rate, 2, samples))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use quakecast_facts::{ReportStatus, Source};

    fn event(mag: f64, utc_hour: u32, source: Source, lon: f64) -> Event {
        Event {
            source,
            event_id: "x".into(),
            status: ReportStatus::Official,
            revision: 0,
            origin_time: Utc.with_ymd_and_hms(2022, 5, 20, utc_hour, 36, 0).unwrap(),
            lat: 29.0,
            lon,
            depth_km: 10.0,
            magnitude: mag,
            magnitude_type: "M".into(),
            region: "somewhere".into(),
            revised: false,
        }
    }

    #[test]
    fn mood_by_magnitude_and_local_night() {
        // 00:36 UTC = 08:36 Beijing: day.
        let m = Mood::for_event(&event(4.8, 0, Source::Cenc, 102.7));
        assert_eq!((m.severity, m.night), (Severity::Light, false));
        // 16:36 UTC = 00:36 Beijing: night.
        let m = Mood::for_event(&event(6.5, 16, Source::Cenc, 102.7));
        assert_eq!((m.severity, m.night), (Severity::Strong, true));
        // USGS off Chile (lon −72, UTC−4.8 h solar): 03:36 UTC is 22:48 local.
        let e = event(5.9, 3, Source::Usgs, -72.0);
        assert_eq!(local_hour(&e), 22);
        assert_eq!(Mood::for_event(&e).severity, Severity::Moderate);
    }

    #[test]
    fn same_seed_same_samples_other_seed_other_music() {
        let mood = Mood {
            severity: Severity::Moderate,
            night: false,
        };
        let a = synthesize_music(mood, seed_for("CC20220520083601"), 3.0, 48_000);
        let b = synthesize_music(mood, seed_for("CC20220520083601"), 3.0, 48_000);
        let c = synthesize_music(mood, seed_for("us7000abcd"), 3.0, 48_000);
        assert_eq!(a.frames(), 144_000);
        assert_eq!(a.sha256_hex(), b.sha256_hex());
        assert_ne!(a.sha256_hex(), c.sha256_hex());
        let peak = a.peak();
        assert!(peak > 0.05 && peak < 1.0, "peak {peak}");
        // Starts and ends silent (fades).
        assert_eq!(a.samples[0], 0.0);
        assert!(a.samples[a.samples.len() - 1].abs() < 1e-6);
    }

    const MOODS: [Mood; 6] = [
        Mood {
            severity: Severity::Light,
            night: false,
        },
        Mood {
            severity: Severity::Light,
            night: true,
        },
        Mood {
            severity: Severity::Moderate,
            night: false,
        },
        Mood {
            severity: Severity::Moderate,
            night: true,
        },
        Mood {
            severity: Severity::Strong,
            night: false,
        },
        Mood {
            severity: Severity::Strong,
            night: true,
        },
    ];

    #[test]
    fn the_start_of_the_music_is_made_alone_sample_for_sample() {
        for (k, mood) in MOODS.into_iter().enumerate() {
            let seed = seed_for(&format!("CC2022052008360{k}"));
            let whole = synthesize_music(mood, seed, 12.0, 48_000);
            for upto in [1, 64_800, 300_000] {
                let start = synthesize_music_upto(mood, seed, 12.0, 48_000, upto);
                assert_eq!(start.frames(), upto, "{mood:?}");
                assert!(
                    start.samples == whole.samples[..2 * upto],
                    "{mood:?}: the first {upto} frames differ"
                );
            }
            let all = synthesize_music_upto(mood, seed, 12.0, 48_000, usize::MAX);
            assert_eq!(all.samples, whole.samples);
        }
    }

    #[test]
    fn each_mood_is_as_loud_as_the_mixer_assumes() {
        for mood in MOODS {
            for id in ["CC20220520083601", "us7000abcd"] {
                let m = synthesize_music(mood, seed_for(id), 20.0, 48_000);
                let got = crate::mix::integrated_lufs(&m).unwrap();
                assert!(
                    (got - synthesized_lufs(mood)).abs() <= 0.5,
                    "{mood:?} {id}: {got:.2} LUFS, assumed {:.2}",
                    synthesized_lufs(mood)
                );
            }
        }
    }
}
