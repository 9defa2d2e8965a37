//! PCM buffers: WAV reading and writing, resampling, silence trimming, hashing.
use sha2::{Digest, Sha256};

use super::error::{AudioError, Result};

/// Interleaved f32 samples (nominally in −1..=1) at `rate` Hz.
#[derive(Clone, Debug, PartialEq)]
pub struct Pcm {
    pub rate: u32,
    pub channels: u16,
    /// Interleaved: frame `i`, channel `c` is `samples[i * channels + c]`.
    pub samples: Vec<f32>,
}

impl Pcm {
    pub fn new(rate: u32, channels: u16, samples: Vec<f32>) -> Self {
        Self {
            rate,
            channels,
            samples,
        }
    }

    /// Silence of `frames` frames.
    pub fn silence(rate: u32, channels: u16, frames: usize) -> Self {
        Self::new(rate, channels, vec![0.0; frames * usize::from(channels)])
    }

    /// Number of frames (samples per channel).
    pub fn frames(&self) -> usize {
        self.samples.len() / usize::from(self.channels.max(1))
    }

    pub fn duration_secs(&self) -> f64 {
        self.frames() as f64 / f64::from(self.rate.max(1))
    }

    /// Largest absolute sample value (sample peak, not true peak).
    pub fn peak(&self) -> f32 {
        self.samples.iter().fold(0.0f32, |m, s| m.max(s.abs()))
    }

    /// Channels averaged into one.
    pub fn to_mono(&self) -> Pcm {
        let ch = usize::from(self.channels.max(1));
        if ch == 1 {
            return self.clone();
        }
        let samples = self
            .samples
            .chunks_exact(ch)
            .map(|f| f.iter().sum::<f32>() / ch as f32)
            .collect();
        Pcm::new(self.rate, 1, samples)
    }

    /// SHA-256 of the samples' little-endian bytes (with rate and channels), hex: two buffers
    /// with the same hash are bit-identical.
    pub fn sha256_hex(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.rate.to_le_bytes());
        h.update(self.channels.to_le_bytes());
        for s in &self.samples {
            h.update(s.to_le_bytes());
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The buffer without leading and trailing frames quieter than `threshold_db` dBFS
    /// (all channels), so that a clip's duration is that of the voice in it.
    pub fn trim_silence(&self, threshold_db: f32) -> Pcm {
        let ch = usize::from(self.channels.max(1));
        let thr = 10f32.powf(threshold_db / 20.0);
        let loud = |f: &[f32]| f.iter().any(|s| s.abs() > thr);
        let frames: Vec<&[f32]> = self.samples.chunks_exact(ch).collect();
        let Some(first) = frames.iter().position(|f| loud(f)) else {
            return Pcm::new(self.rate, self.channels, Vec::new());
        };
        let last = frames.iter().rposition(|f| loud(f)).unwrap_or(first);
        Pcm::new(
            self.rate,
            self.channels,
            self.samples[first * ch..(last + 1) * ch].to_vec(),
        )
    }

    /// Parse a RIFF/WAVE file: integer PCM (8/16/24/32-bit) or IEEE float (32/64-bit),
    /// plain or WAVE_FORMAT_EXTENSIBLE. A data chunk whose size runs past the end of the input
    /// (espeak-ng writes 0x7ffff000 when it streams to stdout) is read to the end.
    pub fn from_wav(bytes: &[u8], what: &str) -> Result<Pcm> {
        let bad = |reason: &str| AudioError::Wav {
            what: what.to_string(),
            reason: reason.to_string(),
        };
        if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
            return Err(bad("no RIFF/WAVE header"));
        }
        let mut pos = 12;
        let mut fmt: Option<(u16, u16, u32, u16)> = None; // tag, channels, rate, bits
        while pos + 8 <= bytes.len() {
            let id = &bytes[pos..pos + 4];
            let size = u32::from_le_bytes([
                bytes[pos + 4],
                bytes[pos + 5],
                bytes[pos + 6],
                bytes[pos + 7],
            ]) as usize;
            let body_start = pos + 8;
            let body_end = body_start.saturating_add(size).min(bytes.len());
            let body = &bytes[body_start..body_end];
            match id {
                b"fmt " => {
                    if body.len() < 16 {
                        return Err(bad("short fmt chunk"));
                    }
                    let le16 = |i: usize| u16::from_le_bytes([body[i], body[i + 1]]);
                    let mut tag = le16(0);
                    if tag == 0xFFFE && body.len() >= 26 {
                        tag = le16(24); // sub-format GUID starts with the real tag
                    }
                    let rate = u32::from_le_bytes([body[4], body[5], body[6], body[7]]);
                    fmt = Some((tag, le16(2), rate, le16(14)));
                }
                b"data" => {
                    let (tag, channels, rate, bits) =
                        fmt.ok_or_else(|| bad("data chunk before fmt chunk"))?;
                    if channels == 0 || rate == 0 {
                        return Err(bad("zero channels or sample rate"));
                    }
                    let samples = decode(body, tag, bits).ok_or_else(|| {
                        bad(&format!("unsupported sample format {tag} / {bits} bits"))
                    })?;
                    let whole = samples.len() - samples.len() % usize::from(channels);
                    let mut samples = samples;
                    samples.truncate(whole);
                    return Ok(Pcm::new(rate, channels, samples));
                }
                _ => {}
            }
            // Chunks are padded to an even size.
            pos = body_start.saturating_add(size).saturating_add(size & 1);
        }
        Err(bad("no data chunk"))
    }

    /// A 16-bit PCM WAV file of the buffer (samples clipped to −1..=1).
    pub fn to_wav_i16(&self) -> Vec<u8> {
        let data_len = (self.samples.len() * 2) as u32;
        let block = self.channels * 2;
        let mut out = Vec::with_capacity(44 + data_len as usize);
        out.extend_from_slice(b"RIFF");
        out.extend_from_slice(&(36 + data_len).to_le_bytes());
        out.extend_from_slice(b"WAVEfmt ");
        out.extend_from_slice(&16u32.to_le_bytes());
        out.extend_from_slice(&1u16.to_le_bytes());
        out.extend_from_slice(&self.channels.to_le_bytes());
        out.extend_from_slice(&self.rate.to_le_bytes());
        out.extend_from_slice(&(self.rate * u32::from(block)).to_le_bytes());
        out.extend_from_slice(&block.to_le_bytes());
        out.extend_from_slice(&16u16.to_le_bytes());
        out.extend_from_slice(b"data");
        out.extend_from_slice(&data_len.to_le_bytes());
        for s in &self.samples {
            let v = (s.clamp(-1.0, 1.0) * 32767.0).round() as i16;
            out.extend_from_slice(&v.to_le_bytes());
        }
        out
    }

    /// The buffer at another sample rate (windowed-sinc interpolation, see [`resample`]).
    pub fn resampled(&self, rate: u32) -> Pcm {
        if rate == self.rate || self.samples.is_empty() {
            return Pcm::new(rate, self.channels, self.samples.clone());
        }
        let ch = usize::from(self.channels.max(1));
        let planes: Vec<Vec<f32>> = (0..ch)
            .map(|c| {
                let plane: Vec<f32> = self.samples.iter().skip(c).step_by(ch).copied().collect();
                resample(&plane, self.rate, rate)
            })
            .collect();
        let n = planes.first().map_or(0, Vec::len);
        let mut samples = Vec::with_capacity(n * ch);
        for i in 0..n {
            for p in &planes {
                samples.push(p[i]);
            }
        }
        Pcm::new(rate, self.channels, samples)
    }
}

fn decode(body: &[u8], tag: u16, bits: u16) -> Option<Vec<f32>> {
    Some(match (tag, bits) {
        (1, 8) => body
            .iter()
            .map(|&b| (f32::from(b) - 128.0) / 128.0)
            .collect(),
        (1, 16) => body
            .chunks_exact(2)
            .map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32768.0)
            .collect(),
        (1, 24) => body
            .chunks_exact(3)
            .map(|b| (i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8) as f32 / 8_388_608.0)
            .collect(),
        (1, 32) => body
            .chunks_exact(4)
            .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f32 / 2_147_483_648.0)
            .collect(),
        (3, 32) => body
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect(),
        (3, 64) => body
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) as f32)
            .collect(),
        _ => return None,
    })
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Zero crossings of the sinc kernel on each side, in units of the lower rate's sample period.
const SINC_HALF_WIDTH: usize = 16;

/// Band-limited resampling of one channel from `from` Hz to `to` Hz: a Blackman-windowed sinc
/// with its cutoff at 95 % of the lower Nyquist frequency, one kernel per output phase
/// (precomputed when the rate ratio has at most 4096 phases, e.g. 22 050 → 48 000 has 320),
/// each normalised to unit DC gain. Output length is `ceil(len * to / from)`.
///
/// Written here rather than taken from a crate because it is thirty lines, deterministic, and
/// only ever runs once per voice clip.
/// The number of samples [`resample`] makes of `n` (the same rule, for lengths known before
/// the samples are).
pub fn resampled_len(n: usize, from: u32, to: u32) -> usize {
    if from == to || n == 0 || from == 0 || to == 0 {
        return n;
    }
    let g = gcd(u64::from(from), u64::from(to));
    let (up, down) = (u64::from(to) / g, u64::from(from) / g);
    ((n as u64 * up).div_ceil(down)) as usize
}

pub fn resample(input: &[f32], from: u32, to: u32) -> Vec<f32> {
    if from == to || input.is_empty() || from == 0 || to == 0 {
        return input.to_vec();
    }
    let g = gcd(u64::from(from), u64::from(to));
    let (up, down) = (u64::from(to) / g, u64::from(from) / g); // out t = n * down / up
    let cutoff = 0.95 * (f64::from(to) / f64::from(from)).min(1.0);
    let half = (SINC_HALF_WIDTH as f64 / cutoff).ceil() as i64; // taps each side, input samples
    let kernel = |x: f64| -> f64 {
        if x.abs() >= half as f64 {
            return 0.0;
        }
        let sinc = if x == 0.0 {
            1.0
        } else {
            let px = std::f64::consts::PI * cutoff * x;
            px.sin() / px
        };
        let w = 0.5 + x / (2.0 * half as f64); // 0..1 across the window
        let tau = 2.0 * std::f64::consts::PI * w;
        let blackman = 0.42 - 0.5 * tau.cos() + 0.08 * (2.0 * tau).cos();
        sinc * blackman
    };
    let taps = (2 * half) as usize;
    let weights_for = |frac: f64| -> Vec<f32> {
        // Tap k covers input index i0 - half + 1 + k; its distance from t is (k - half + 1) - frac.
        let mut w: Vec<f64> = (0..taps)
            .map(|k| kernel((k as i64 - half + 1) as f64 - frac))
            .collect();
        let sum: f64 = w.iter().sum();
        if sum.abs() > 1e-12 {
            w.iter_mut().for_each(|v| *v /= sum);
        }
        w.into_iter().map(|v| v as f32).collect()
    };
    let table: Option<Vec<Vec<f32>>> =
        (up <= 4096).then(|| (0..up).map(|p| weights_for(p as f64 / up as f64)).collect());
    let out_len = resampled_len(input.len(), from, to);
    let mut out = Vec::with_capacity(out_len);
    let last = input.len() as i64 - 1;
    for n in 0..out_len as u64 {
        let pos = n * down;
        let i0 = (pos / up) as i64;
        let phase = pos % up;
        let computed;
        let w: &[f32] = match &table {
            Some(t) => &t[phase as usize],
            None => {
                computed = weights_for(phase as f64 / up as f64);
                &computed
            }
        };
        let base = i0 - half + 1;
        let mut acc = 0.0f32;
        if base >= 0 && base + taps as i64 - 1 <= last {
            let s = &input[base as usize..base as usize + taps];
            for (x, k) in s.iter().zip(w) {
                acc += x * k;
            }
        } else {
            for (k, wk) in w.iter().enumerate() {
                let i = base + k as i64;
                if (0..=last).contains(&i) {
                    acc += input[i as usize] * wk;
                }
            }
        }
        out.push(acc);
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn sine(freq: f64, rate: u32, secs: f64) -> Vec<f32> {
        let n = (f64::from(rate) * secs) as usize;
        (0..n)
            .map(|i| {
                (0.5 * (2.0 * std::f64::consts::PI * freq * i as f64 / f64::from(rate)).sin())
                    as f32
            })
            .collect()
    }

    #[test]
    fn resampling_keeps_a_tone_and_removes_nothing_else() {
        let x = sine(1000.0, 22_050, 0.5);
        let y = resample(&x, 22_050, 48_000);
        assert_eq!(y.len(), (x.len() * 48_000).div_ceil(22_050));
        let want = sine(1000.0, 48_000, 0.5);
        // Away from the edges the result is the same tone sampled at 48 kHz.
        let err = y[500..y.len() - 500]
            .iter()
            .zip(&want[500..])
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(err < 2e-3, "max error {err}");
    }

    #[test]
    fn downsampling_removes_content_above_the_new_nyquist() {
        // 15 kHz at 48 kHz → 22.05 kHz (Nyquist 11.025 kHz): must be filtered out.
        let x = sine(15_000.0, 48_000, 0.5);
        let y = resample(&x, 48_000, 22_050);
        let rms = (y[200..y.len() - 200].iter().map(|v| v * v).sum::<f32>()
            / (y.len() - 400) as f32)
            .sqrt();
        assert!(rms < 0.01, "alias rms {rms}");
    }

    #[test]
    fn wav_round_trip_and_streamed_size() {
        let pcm = Pcm::new(22_050, 2, vec![0.0, 0.5, -0.5, 0.25, 1.0, -1.0]);
        let mut wav = pcm.to_wav_i16();
        let back = Pcm::from_wav(&wav, "test").unwrap();
        assert_eq!((back.rate, back.channels, back.frames()), (22_050, 2, 3));
        for (a, b) in back.samples.iter().zip(&pcm.samples) {
            assert!((a - b).abs() < 1e-4);
        }
        // espeak-ng's streamed header: a data size far past the end.
        wav[40..44].copy_from_slice(&0x7fff_f000u32.to_le_bytes());
        assert_eq!(Pcm::from_wav(&wav, "test").unwrap().frames(), 3);
        assert!(Pcm::from_wav(b"RIFF0000WAVEjunk", "test").is_err());
        assert!(Pcm::from_wav(b"<html>", "test").is_err());
    }

    #[test]
    fn trimming_and_hash() {
        let pcm = Pcm::new(8, 1, vec![0.0, 0.0001, 0.3, 0.0, -0.4, 0.0, 0.0]);
        let t = pcm.trim_silence(-40.0);
        assert_eq!(t.samples, vec![0.3, 0.0, -0.4]);
        assert!(Pcm::new(8, 1, vec![0.0; 4])
            .trim_silence(-40.0)
            .samples
            .is_empty());
        assert_eq!(pcm.sha256_hex(), pcm.clone().sha256_hex());
        assert_ne!(pcm.sha256_hex(), t.sha256_hex());
    }
}
