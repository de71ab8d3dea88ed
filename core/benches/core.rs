//! Criterion benchmarks for the Foundation hot paths.
//!
//! Run: `cargo bench -p hearth-core --bench core`. Besides criterion's timings
//! it prints the on-disk size of a full (128-topic) profile.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hearth_core::clock::{DAY_MS, MINUTE_MS};
use hearth_core::profile::{Event, EventData};
use hearth_core::state::Consent;
use hearth_core::store::StoreKey;
use hearth_core::taxonomy::Taxonomy;
use hearth_core::{Engine, EngineConfig, ManualClock};

const T0: i64 = 1_763_884_800_000;

fn engine(dir: &std::path::Path, clock: Arc<ManualClock>) -> Engine {
    let mut c = EngineConfig::new(dir, StoreKey::from_bytes([3; 32])).with_clock(clock);
    c.default_consent = Consent::Personalised;
    // Longest interval: the writer must not run during the timing loop.
    c.flush_interval_ms = hearth_core::engine::MAX_FLUSH_INTERVAL_MS;
    Engine::open(c).unwrap()
}

/// A realistic event mix over the non-sensitive IAB topics.
fn events(n: usize) -> Vec<Event> {
    let tax = Taxonomy::iab().unwrap();
    let ids: Vec<String> = tax
        .topics()
        .iter()
        .filter(|t| !t.sensitive && t.depth >= 1)
        .map(|t| t.id.clone())
        .collect();
    (0..n)
        .map(|i| {
            // Zipf-ish: most events on a few dozen topics.
            let a = &ids[(i * i + 7 * i) % 40];
            let b = &ids[(i * 31) % ids.len()];
            match i % 10 {
                0 => EventData::Purchase {
                    topics: vec![a.clone()],
                    value_micros: Some(20_000_000 + (i as i64 % 7) * 10_000_000),
                }
                .now(),
                1 => EventData::Custom {
                    name: "share".into(),
                    topics: vec![a.clone()],
                }
                .now(),
                _ => EventData::ContentView {
                    topics: vec![a.clone(), b.clone()],
                    dwell_ms: Some(30_000),
                }
                .now(),
            }
        })
        .collect()
}

fn full_profile(engine: &Engine, clock: &ManualClock) {
    let tax = engine.taxonomy();
    let mut n = 0;
    for t in tax.topics().iter().filter(|t| !t.sensitive) {
        clock.advance(MINUTE_MS);
        engine.record(&Event::view(&[&t.id])).unwrap();
        n += 1;
    }
    // Then a month of ordinary use so evidence counters are realistic.
    for (i, e) in events(20_000).iter().enumerate() {
        if i % 700 == 0 {
            clock.advance(DAY_MS);
        }
        engine.record(e).unwrap();
    }
    assert!(n > 128);
}

fn bench_record(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(T0));
    let e = engine(dir.path(), clock.clone());
    let evs = events(4096);
    let mut g = c.benchmark_group("record");
    g.throughput(Throughput::Elements(evs.len() as u64));
    g.bench_function("mixed_events_x4096", |b| {
        b.iter(|| {
            clock.advance(1000);
            for ev in &evs {
                black_box(e.record(black_box(ev)).unwrap());
            }
        })
    });
    g.finish();
}

fn bench_open(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(T0));
    {
        let e = engine(dir.path(), clock.clone());
        full_profile(&e, &clock);
        e.close().unwrap();
        let e = engine(dir.path(), clock.clone());
        let st = e.status().unwrap();
        eprintln!(
            "\nprofile size: {} topics, {} bytes on disk (goal ≤ 16384)\n",
            st.topics, st.state_bytes
        );
        e.close().unwrap();
    }
    c.bench_function("open_decrypt_load_128_topics", |b| {
        b.iter(|| {
            let e = engine(dir.path(), clock.clone());
            black_box(e.status().unwrap());
            drop(e);
        })
    });
    let e = engine(dir.path(), clock.clone());
    c.bench_function("interests_128_topics", |b| {
        b.iter(|| black_box(e.interests().unwrap()))
    });
    c.bench_function("flush_128_topics", |b| {
        b.iter(|| {
            e.record(&Event::view(&["483"])).unwrap();
            e.flush().unwrap();
        })
    });
}

criterion_group! {
    name = benches;
    // Short runs: the whole suite (scripts/bench.sh) stays within minutes.
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3));
    targets = bench_record, bench_open
}
criterion_main!(benches);
