//! The loudness of the synthesized music per mood over seeds and lengths: the figures behind
//! `music::synthesized_lufs`. `cargo run --release -p quakecast-audio --example music_level`.
use quakecast_audio::music::{synthesize_music, Severity};
use quakecast_audio::Mood;

fn main() -> quakecast_audio::Result<()> {
    for severity in [Severity::Light, Severity::Moderate, Severity::Strong] {
        for night in [false, true] {
            let mood = Mood { severity, night };
            let mut v = Vec::new();
            for seed in 0..12u64 {
                for secs in [15.0, 30.0, 50.0] {
                    let seed = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
                    let m = synthesize_music(mood, seed, secs, 48_000);
                    v.push(quakecast_audio::mix::integrated_lufs(&m)?);
                }
            }
            let lo = v.iter().copied().fold(f64::MAX, f64::min);
            let hi = v.iter().copied().fold(f64::MIN, f64::max);
            let mean = v.iter().sum::<f64>() / v.len() as f64;
            println!("{severity:?} night={night}: {lo:.2} .. {hi:.2} LUFS, mean {mean:.2}");
        }
    }
    Ok(())
}
