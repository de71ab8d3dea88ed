//! Throughput of `hearth report aggregate` on the simulator's output (100
//! campaigns, OUE, ε = 1): the fast path (canonical layout read by byte
//! slicing) and, for comparison, the full parser (`Payload::parse`) alone.
//!
//! Run: `cargo bench -p hearth-cli --bench aggregate`. Besides criterion's
//! figures it prints payloads/s measured directly on 200,000 payloads.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hearth_cli::report_tools::aggregate::Aggregator;
use support::sim_lines as lines;

mod support;

/// Best of `runs` of aggregating `bytes`, in payloads per second.
fn rate(
    cat: &hearth_cli::report_tools::CatalogInfo,
    bytes: &[u8],
    fast: bool,
    runs: usize,
) -> (f64, u64) {
    let mut best = f64::INFINITY;
    let mut n = 0;
    for _ in 0..runs {
        let mut agg = Aggregator::new(cat.clone());
        if !fast {
            agg = agg.without_fast_path();
        }
        let t = Instant::now();
        agg.read_from(bytes).unwrap();
        let r = agg.report();
        best = best.min(t.elapsed().as_secs_f64());
        n = black_box(r.valid);
        assert!(r.rejected.is_empty());
    }
    (n as f64 / best, n)
}

fn bench(c: &mut Criterion) {
    let (cat, bytes) = lines(200_000, 0.0);
    let per = bytes.len() as f64 / 200_000.0;
    let (fast, n) = rate(&cat, &bytes, true, 5);
    let (slow, _) = rate(&cat, &bytes, false, 2);
    let (_, capped) = lines(200_000, 0.2);
    let (mixed, _) = rate(&cat, &capped, true, 5);
    println!(
        "aggregate, {n} payloads of {per:.0} bytes (100 campaigns, OUE, ε = 1), one core:\n  \
         fast path      {:>6.2} M payloads/s ({:.0} MB/s)\n  \
         with 20% ε = 0 {:>6.2} M payloads/s\n  \
         full parser    {:>6.2} M payloads/s",
        fast / 1e6,
        fast * per / 1e6,
        mixed / 1e6,
        slow / 1e6
    );

    let (cat, small) = lines(20_000, 0.0);
    let mut g = c.benchmark_group("aggregate");
    g.throughput(Throughput::Elements(20_000));
    g.sample_size(20);
    g.bench_function("fast_path_20k_payloads", |b| {
        b.iter(|| {
            let mut agg = Aggregator::new(cat.clone());
            agg.feed(black_box(&small), true);
            black_box(agg.report().valid)
        })
    });
    g.bench_function("full_parser_20k_payloads", |b| {
        b.iter(|| {
            let mut agg = Aggregator::new(cat.clone()).without_fast_path();
            agg.feed(black_box(&small), true);
            black_box(agg.report().valid)
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = support::criterion();
    targets = bench
}
criterion_main!(benches);
