//! The Rust side of the binding overhead measurement in `scripts/test-kotlin.sh`
//! and `scripts/test-swift.sh`: times `select_ads` on a given catalog bundle
//! with the same scenario as the Kotlin and Swift tests (`figures()` in
//! `tests/kotlin/HearthTest.kt` and `tests/swift/main.swift`),
//! once on `hearth_core::Engine` directly and once through this crate's
//! `Engine` (the layer the foreign code calls, without the foreign side).
//!
//! ```sh
//! cargo run --release -p hearth-ffi --example select_timing -- BUNDLE PUBKEY.pub [ITERATIONS]
//! ```
//!
//! ITERATIONS is the calls per round (default 200). Prints `rust-core select_ads median_us=…` and `rust-ffi select_ads
//! median_us=…` lines (the best of 5 round medians of ITERATIONS calls each,
//! as in the Kotlin and Swift tests); the foreign tests divide their figure by
//! the first.

use std::time::Instant;

use hearth_ffi::{AdContext, AdRequest, Consent, Engine, EngineConfig, EngineLimits, Event};

/// Topics the scenario's user views (sports, running, travel, finance, …).
const TOPICS: [&str; 16] = [
    "483", "227", "225", "533", "635", "668", "653", "416", "414", "396", "403", "398", "392",
    "402", "412", "410",
];

fn hex_decode(s: &str) -> Result<Vec<u8>, String> {
    let s = s.trim();
    if s.len() % 2 != 0 {
        return Err("odd-length hex".into());
    }
    (0..s.len())
        .step_by(2)
        .map(|i| {
            s.get(i..i + 2)
                .and_then(|b| u8::from_str_radix(b, 16).ok())
                .ok_or_else(|| format!("bad hex at {i}"))
        })
        .collect()
}

/// The scenario's request (identical in Kotlin and Swift).
fn request() -> AdRequest {
    AdRequest {
        placement_id: "feed".into(),
        slots: 3,
        context: AdContext {
            topics: vec!["483".into()],
            text: None,
            locale: Some("de-DE".into()),
            country: Some("DE".into()),
            app_section: None,
            os: None,
            kinds: Vec::new(),
            utc_offset_minutes: 60,
        },
        recent_item_ids: Vec::new(),
    }
}

fn median_us(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples.get(samples.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Rounds of the measurement; the figure is the best round's median.
const ROUNDS: usize = 5;

/// The lowest of [`ROUNDS`] medians of `n` timed calls each, with a pause
/// between rounds: on a shared machine a burst of other work can cover a
/// whole round, and the best round is the one least disturbed. The Kotlin and
/// Swift tests measure the same way.
fn best_round_median(
    n: usize,
    mut timed_call: impl FnMut() -> Result<f64, Box<dyn std::error::Error>>,
) -> Result<f64, Box<dyn std::error::Error>> {
    let mut best = f64::INFINITY;
    for _ in 0..ROUNDS {
        let samples = (0..n)
            .map(|_| timed_call())
            .collect::<Result<Vec<_>, _>>()?;
        best = best.min(median_us(samples));
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    Ok(best)
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(bundle_path), Some(pub_path)) = (args.get(1), args.get(2)) else {
        return Err("usage: select_timing BUNDLE PUBKEY.pub [ITERATIONS]".into());
    };
    let iterations: usize = args.get(3).map(|s| s.parse()).transpose()?.unwrap_or(200);
    let bundle = std::fs::read(bundle_path)?;
    let public_key = hex_decode(&std::fs::read_to_string(pub_path)?)?;
    let dir = tempfile::tempdir()?;

    let engine = Engine::open(EngineConfig {
        storage_dir: dir.path().display().to_string(),
        key: vec![7; 32],
        trusted_keys: vec![public_key],
        default_consent: Some(Consent::Personalised),
        limits: EngineLimits {
            // Keep the background writer out of the measurement.
            flush_interval_ms: Some(3_600_000),
            ..EngineLimits::default()
        },
        selection_seed: Some(1),
    })?;
    engine.install_catalog(bundle)?;
    for _ in 0..3 {
        for t in TOPICS {
            engine.record(Event::ContentView {
                topics: vec![t.into()],
                dwell_ms: Some(30_000),
            })?;
        }
    }
    let req = request();
    let core_req: hearth_core::select::AdRequest = req.clone().into();
    let warmup = iterations.max(100);
    for _ in 0..warmup {
        std::hint::black_box(engine.core().select_ads(&core_req)?);
    }
    let mut filled = 0usize;
    let core_us = best_round_median(iterations, || {
        let t = Instant::now();
        let r = engine.core().select_ads(&core_req)?;
        filled += r.choices.len();
        Ok(t.elapsed().as_secs_f64() * 1e6)
    })?;
    let ffi_us = best_round_median(iterations, || {
        let t = Instant::now();
        std::hint::black_box(engine.select_ads(req.clone())?);
        Ok(t.elapsed().as_secs_f64() * 1e6)
    })?;
    let status = engine.status()?;
    let creatives = status.catalog.map_or(0, |c| c.creatives);
    println!(
        "rust-core select_ads median_us={core_us:.1} iterations={iterations} creatives={creatives} ads_per_call={:.2}",
        filled as f64 / (ROUNDS * iterations) as f64
    );
    println!("rust-ffi select_ads median_us={ffi_us:.1} iterations={iterations}");
    engine.close()?;
    Ok(())
}

fn main() {
    if let Err(e) = run() {
        eprintln!("select_timing: {e}");
        std::process::exit(1);
    }
}
