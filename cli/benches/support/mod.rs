//! Fixtures shared by the `hearth-cli` benchmarks, included by each of them as
//! `mod support;`. Not a benchmark itself: cargo discovers `benches/*.rs` and
//! `benches/*/main.rs` only.
//!
//! - [`synth_bundle`]: a catalog from the synthetic generator
//!   (`hearth catalog gen`), signed;
//! - [`open_engine`], [`ads_config`]: an engine on a manual clock with the
//!   selection limits out of the way and the background writer idle;
//! - [`realistic_profile`]: 60 days of a user's activity on a catalog's topics;
//! - [`sim_lines`]: the simulator's payloads (`hearth simulate`), as JSON lines;
//! - [`quick`]: `BENCH_QUICK=1` (the smoke run of `scripts/bench.sh`).
// Each benchmark uses some of these.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use criterion::Criterion;
use hearth_cli::catalog_source::SourceHeader;
use hearth_cli::report_tools::CatalogInfo;
use hearth_cli::report_tools::simulate::{SimOptions, payload_lines};
use hearth_cli::synth::{GenOptions, generate_model, zipf_cdf};
use hearth_core::catalog::bundle::{self, SigningKey};
use hearth_core::catalog::model::Catalog;
use hearth_core::clock::{DAY_MS, Timestamp};
use hearth_core::engine::MAX_FLUSH_INTERVAL_MS;
use hearth_core::profile::{Event, EventData};
use hearth_core::select::SelectConfig;
use hearth_core::state::Consent;
use hearth_core::store::StoreKey;
use hearth_core::taxonomy::Taxonomy;
use hearth_core::{Engine, EngineConfig, ManualClock};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The suite's criterion settings: 1 s warm-up, 3 s of measurement per
/// benchmark (groups shorten or lengthen it where they need to), so the whole
/// suite (`scripts/bench.sh`) runs in minutes.
pub fn criterion() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

/// True when `BENCH_QUICK=1`: benchmarks shorten their own timing loops.
pub fn quick() -> bool {
    std::env::var("BENCH_QUICK").is_ok_and(|v| v == "1")
}

/// `full` normally, `small` under [`quick`].
pub fn scaled(full: usize, small: usize) -> usize {
    if quick() { small } else { full }
}

/// A generated catalog of `creatives` creatives (version 1), and its bundle
/// signed by `key` with the generator's lifetime (7 days from
/// `GEN_CREATED_AT_MS`).
pub fn synth_bundle(
    creatives: usize,
    seed: u64,
    key: &SigningKey,
    tax: &Taxonomy,
) -> (Catalog, Vec<u8>) {
    let (cat, h) = synth_model(creatives, seed, tax);
    let b = bundle::seal(&cat, 1, h.created_at_ms, h.expires_at_ms, key).unwrap();
    (cat, b)
}

/// The generated catalog model (version 1) and its header values.
pub fn synth_model(creatives: usize, seed: u64, tax: &Taxonomy) -> (Catalog, SourceHeader) {
    let opts = GenOptions {
        creatives,
        seed,
        version: 1,
    };
    generate_model(&opts, tax).unwrap()
}

/// Selection limits out of the way: unlimited ads per hour and day, no gap.
pub fn ads_config() -> SelectConfig {
    SelectConfig {
        max_ads_per_hour: u32::MAX,
        max_ads_per_day: u32::MAX,
        min_gap_ms: 0,
        ..SelectConfig::default()
    }
}

/// An engine in `dir` on `clock`, trusting `key`, personalised consent,
/// [`ads_config`], seeded selection, and a background writer that does not
/// run during timing loops.
pub fn open_engine(dir: &std::path::Path, clock: &Arc<ManualClock>, key: &SigningKey) -> Engine {
    let mut c = EngineConfig::new(dir, StoreKey::from_bytes([9; 32])).with_clock(clock.clone());
    c.default_consent = Consent::Personalised;
    c.trusted_keys = vec![key.public_key()];
    // The background writer must not run during the timing loops.
    c.flush_interval_ms = MAX_FLUSH_INTERVAL_MS;
    c.ads = ads_config();
    c.selection_seed = Some(42);
    Engine::open(c).unwrap()
}

/// A user of the catalog: 1,500 views, searches and purchases over the 60 days
/// before `until`, on the topics the catalog targets (Zipf over a shuffled list
/// of them).
pub fn realistic_profile(engine: &Engine, cat: &Catalog, until: Timestamp) {
    let mut topics: Vec<String> = cat
        .campaigns
        .iter()
        .flat_map(|c| &c.creative_sets)
        .flat_map(|s| s.include_topics.iter().map(|t| t.topic.clone()))
        .collect();
    topics.sort();
    topics.dedup();
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for i in (1..topics.len()).rev() {
        topics.swap(i, rng.random_range(0..=i));
    }
    let zipf = zipf_cdf(topics.len(), 1.0);
    let draw = |rng: &mut ChaCha8Rng| {
        let u: f64 = rng.random();
        let i = zipf.partition_point(|&c| c < u).min(topics.len() - 1);
        topics[i].clone()
    };
    for i in 0..1_500 {
        let at = until - 60 * DAY_MS + i * (60 * DAY_MS / 1_500);
        let a = draw(&mut rng);
        let data = match i % 20 {
            0 => EventData::Purchase {
                topics: vec![a],
                value_micros: Some(rng.random_range(10_000_000..200_000_000)),
            },
            1..=3 => EventData::Search {
                query: String::new(),
                topics: vec![a],
            },
            _ => EventData::ContentView {
                topics: vec![a, draw(&mut rng)],
                dwell_ms: Some(rng.random_range(5_000..90_000)),
            },
        };
        engine.record(&Event { at: Some(at), data }).unwrap();
    }
}

/// `devices` payloads of the simulator (100 campaigns, OUE, ε = 1, seed 7; a
/// share `capped` of them past the cap, ε = 0) as JSON lines, and the catalog
/// they are for.
pub fn sim_lines(devices: u64, capped: f64) -> (CatalogInfo, Vec<u8>) {
    payload_lines(&SimOptions {
        devices,
        campaigns: 100,
        epsilon: 1.0,
        seed: 7,
        capped,
        ..SimOptions::default()
    })
    .unwrap()
}
