//! Catalog benchmarks: install of generated catalogs (verify + decode + validate +
//! index), peak extra memory during install, and bundle bytes per creative.
//!
//! Run: `cargo bench -p hearth-cli --bench catalog`. Figures that criterion does
//! not measure (memory, sizes) are printed before the timings.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]
// The counting allocator below needs `unsafe impl GlobalAlloc`; it only
// forwards to the system allocator and keeps two counters.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

use criterion::{Criterion, criterion_group, criterion_main};
use hearth_core::catalog::InstalledCatalog;
use hearth_core::catalog::bundle::{self, SigningKey};
use hearth_core::store::StoreKey;
use hearth_core::taxonomy::Taxonomy;
use hearth_core::{Engine, EngineConfig, ManualClock};
use support::synth_bundle;

mod support;

struct Counting;
static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn bench(c: &mut Criterion) {
    let tax = Taxonomy::iab().unwrap();
    let key = SigningKey::generate().unwrap();
    let trusted = [key.public_key()];
    for n in [10_000usize, 100_000] {
        let (_, b) = synth_bundle(n, 1, &key, &tax);
        // Peak extra memory of one install, beyond what was live before it.
        let before = CURRENT.load(Ordering::Relaxed);
        PEAK.store(before, Ordering::Relaxed);
        let installed =
            InstalledCatalog::verify_and_load(b.clone(), &trusted, usize::MAX, &tax).unwrap();
        let peak_extra = PEAK.load(Ordering::Relaxed) - before;
        let retained = CURRENT.load(Ordering::Relaxed) - before;
        drop(installed);
        eprintln!(
            "\n{n} creatives: bundle {} bytes = {:.1} bytes/creative; verify+load peak extra memory \
             {} bytes = {:.2}x bundle beyond the bundle handed in (retained {:.2}x)",
            b.len(),
            b.len() as f64 / n as f64,
            peak_extra,
            peak_extra as f64 / b.len() as f64,
            retained as f64 / b.len() as f64,
        );
        // The same through the engine, which also persists the bundle (encrypted).
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = EngineConfig::new(dir.path(), StoreKey::from_bytes([9; 32]));
        cfg.trusted_keys = trusted.to_vec();
        cfg.clock = std::sync::Arc::new(ManualClock::new(1_767_225_600_000)); // 2026-01-01
        let engine = Engine::open(cfg).unwrap();
        let input = b.clone();
        let before = CURRENT.load(Ordering::Relaxed);
        PEAK.store(before, Ordering::Relaxed);
        let t = std::time::Instant::now();
        engine.install_catalog(input).unwrap();
        let took = t.elapsed();
        let peak_extra = PEAK.load(Ordering::Relaxed) - before;
        eprintln!(
            "{n} creatives: Engine::install_catalog incl. encrypted persist: {:.1} ms once, \
             peak extra memory {:.2}x bundle (beyond the bundle handed in)\n",
            took.as_secs_f64() * 1e3,
            peak_extra as f64 / b.len() as f64
        );
        drop(engine);
        let mut g = c.benchmark_group("install");
        g.sample_size(if n > 50_000 { 20 } else { 50 });
        g.bench_function(format!("verify_decode_validate_index_{n}"), |bch| {
            bch.iter(|| {
                black_box(
                    InstalledCatalog::verify_and_load(
                        black_box(b.clone()),
                        &trusted,
                        usize::MAX,
                        &tax,
                    )
                    .unwrap(),
                )
            })
        });
        let (_, body) = bundle::verify(&b, &trusted, usize::MAX).unwrap();
        let cat = bundle::decode_body(body).unwrap();
        g.bench_function(format!("decode_borrowed_only_{n}"), |bch| {
            bch.iter(|| black_box(bundle::decode_body_borrowed(black_box(body)).unwrap()))
        });
        g.bench_function(format!("validate_only_{n}"), |bch| {
            bch.iter(|| black_box(hearth_core::catalog::validate(black_box(&cat), &tax)))
        });
        g.bench_function(format!("index_only_{n}"), |bch| {
            bch.iter(|| {
                black_box(hearth_core::catalog::CatalogIndex::build(black_box(&cat), &tax).unwrap())
            })
        });
        g.bench_function(format!("signature_only_{n}"), |bch| {
            bch.iter(|| black_box(bundle::verify(black_box(&b), &trusted, usize::MAX).unwrap()))
        });
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = support::criterion();
    targets = bench
}
criterion_main!(benches);
