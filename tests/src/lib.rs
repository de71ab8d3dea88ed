//! Shared helpers for the end-to-end tests.
//!
//! Small, dependency-free building blocks: a fixed start time, a fixed key,
//! engine openers with a [`ManualClock`], the decay formula written out by hand
//! (independently of the engine's lazy, incremental implementation), and
//! assertion helpers with relative tolerances.
// A test-support crate: failing loudly is its job.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::sync::Arc;

use hearth_core::clock::{DAY_MS, HOUR_MS, MINUTE_MS};
use hearth_core::profile::Interest;
use hearth_core::state::Consent;
use hearth_core::store::StoreKey;
use hearth_core::{Engine, EngineConfig, ManualClock, Timestamp};

/// Day 0 of every scripted timeline: 2025-06-15 00:00:00 UTC (a Sunday).
pub const T0: Timestamp = 1_749_945_600_000;

/// The default half-life: 14 days.
pub const HALF_LIFE_MS: i64 = 14 * DAY_MS;

/// Relative tolerance for "exact" weights.
pub const REL_TOL: f64 = 1e-9;

/// `T0 + day days + hour hours + minute minutes`.
pub fn at(day: i64, hour: i64, minute: i64) -> Timestamp {
    T0 + day * DAY_MS + hour * HOUR_MS + minute * MINUTE_MS
}

/// The key every test engine uses.
pub fn key() -> StoreKey {
    StoreKey::from_bytes([0x42; 32])
}

/// Another key (for wrong-key tests).
pub fn other_key() -> StoreKey {
    StoreKey::from_bytes([0x43; 32])
}

/// A new manual clock showing `now`.
pub fn clock_at(now: Timestamp) -> Arc<ManualClock> {
    Arc::new(ManualClock::new(now))
}

/// The default configuration (consent defaults to `ContextualOnly`), with the
/// manual clock.
pub fn config(dir: &Path, clock: &Arc<ManualClock>) -> EngineConfig {
    EngineConfig::new(dir, key()).with_clock(clock.clone())
}

/// Open with the default configuration and, as an app would after asking the
/// user, switch consent to `Personalised`.
pub fn open_personalised(dir: &Path, clock: &Arc<ManualClock>) -> Engine {
    open_personalised_with(config(dir, clock))
}

/// Open `cfg` and switch consent to `Personalised`.
pub fn open_personalised_with(cfg: EngineConfig) -> Engine {
    let e = Engine::open(cfg).expect("open engine");
    e.set_consent(Consent::Personalised).expect("set consent");
    e
}

/// Open (or reopen) with the default configuration, leaving consent as stored.
pub fn reopen(dir: &Path, clock: &Arc<ManualClock>) -> Engine {
    Engine::open(config(dir, clock)).expect("reopen engine")
}

/// Hand-written decay: weight `w` added `age_days` days ago, with the default
/// 14-day half-life, is worth `w · 2^(-age_days / 14)` now.
pub fn dec(w: f64, age_days: f64) -> f64 {
    w * 2f64.powf(-age_days / 14.0)
}

/// Assert `actual` is within [`REL_TOL`] (relative) of `expected`.
pub fn assert_rel(actual: f64, expected: f64, what: &str) {
    assert_rel_tol(actual, expected, REL_TOL, what);
}

/// Assert `actual` is within `tol` (relative) of `expected`.
pub fn assert_rel_tol(actual: f64, expected: f64, tol: f64, what: &str) {
    let scale = expected.abs().max(f64::MIN_POSITIVE);
    assert!(
        (actual - expected).abs() / scale <= tol,
        "{what}: got {actual:.17}, expected {expected:.17} (relative tolerance {tol:e})"
    );
}

/// The interest with this topic id, if listed.
pub fn find<'a>(interests: &'a [Interest], id: &str) -> Option<&'a Interest> {
    interests.iter().find(|i| i.topic_id == id)
}

/// The weight of the interest with this id; panics if it is not listed.
pub fn weight(interests: &[Interest], id: &str) -> f64 {
    match find(interests, id) {
        Some(i) => i.weight,
        None => panic!(
            "topic {id} not among interests {:?}",
            ids(interests).collect::<Vec<_>>()
        ),
    }
}

/// Topic ids of a list of interests, in order.
pub fn ids(interests: &[Interest]) -> impl Iterator<Item = &str> {
    interests.iter().map(|i| i.topic_id.as_str())
}

/// Sorted names of the files in `dir`.
pub fn file_names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    v.sort();
    v
}

/// Names of the Hearth state files (`*.hearth`) in `dir`.
pub fn hearth_files(dir: &Path) -> Vec<String> {
    file_names(dir)
        .into_iter()
        .filter(|n| n.ends_with(".hearth"))
        .collect()
}

/// True if `needle` occurs anywhere in `haystack`.
pub fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Concatenated raw bytes of every file in `dir`.
pub fn all_file_bytes(dir: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    for name in file_names(dir) {
        let p = dir.join(name);
        if p.is_file() {
            out.extend(std::fs::read(p).expect("read file"));
        }
    }
    out
}
