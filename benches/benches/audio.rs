//! `cargo bench -p quakecast-benches --bench audio`: audio preparation for the sample bulletin
//! (narration synthesis, mix, and the whole of it with AAC encoding), criterion quick settings.
use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use quakecast_benches::audio::AudioBench;

fn audio(c: &mut Criterion) {
    let b = AudioBench::new();
    let mut g = c.benchmark_group("audio");
    g.bench_function("script", |x| {
        x.iter(|| quakecast_scenes::narration::script(black_box(&b.event)))
    });
    g.bench_function("synthesize_narration", |x| x.iter(|| b.synthesize()));
    g.bench_function("mix_pcm", |x| x.iter(|| b.mix()));
    g.finish();
    // The whole preparation takes ~1.7 s here: its own group with a longer window.
    let mut g = c.benchmark_group("audio_total");
    g.measurement_time(Duration::from_secs(20));
    g.bench_function("prepare_audio", |x| x.iter(|| b.prepare()));
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8));
    targets = audio
}
criterion_main!(benches);
