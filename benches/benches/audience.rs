//! `cargo bench -p quakecast-benches --bench audience`: 1 M synthetic users (density from the
//! gazetteer's populations): index build from Parquet (full, and with every partition reused),
//! the Luding M6.8 selection, the sequential scan floor, and their ratio. Criterion quick
//! settings; `cargo test --benches` runs each once.
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use quakecast_benches::audience::{ratio, AudienceBench};

const USERS: u64 = 1_000_000;

fn audience(c: &mut Criterion) {
    let b = AudienceBench::new(USERS);
    let mut g = c.benchmark_group("audience_1M");
    g.bench_function("index_build_full", |x| x.iter(|| b.build_full()));
    g.bench_function("index_build_unchanged", |x| x.iter(|| b.build_unchanged()));
    g.bench_function("select_luding", |x| x.iter(|| b.select()));
    g.bench_function("scan_floor", |x| x.iter(|| b.scan()));
    g.finish();
    let s = b.select();
    let (sel, scan, r) = ratio(&b, 21);
    println!(
        "audience 1M: Luding selects {} users (tiers {:?}) reading {} of {} records; \
         select {:.2} ms, sequential scan {:.2} ms, ratio {r:.2} (medians of 21)",
        s.users.len(),
        s.tier_counts,
        s.stats.records_read,
        b.index.users(),
        sel * 1e3,
        scan * 1e3
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    targets = audience
}
criterion_main!(benches);
