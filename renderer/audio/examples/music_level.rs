use quakecast_audio::music::{synthesize_music, Severity};
use quakecast_audio::Mood;
fn main() {
    for severity in [Severity::Light, Severity::Moderate, Severity::Strong] {
        for night in [false, true] {
            let mood = Mood { severity, night };
            let mut v = Vec::new();
            for seed in 0..12u64 {
                for secs in [15.0, 30.0, 50.0] {
                    let m =
                        synthesize_music(mood, seed.wrapping_mul(0x9E3779B97F4A7C15), secs, 48000);
                    v.push(quakecast_audio::mix::integrated_lufs(&m).unwrap());
                }
            }
            let lo = v.iter().cloned().fold(f64::MAX, f64::min);
            let hi = v.iter().cloned().fold(f64::MIN, f64::max);
            let mean = v.iter().sum::<f64>() / v.len() as f64;
            println!("{severity:?} night={night}: {lo:.2} .. {hi:.2}, mean {mean:.2}");
        }
    }
}
