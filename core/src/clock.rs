//! Injected time.
//!
//! The engine never reads the system clock directly: it asks a [`Clock`]. Apps use
//! [`SystemClock`]; tests use [`ManualClock`] to make decay and windows exact.

use std::fmt::Debug;
use std::sync::atomic::{AtomicI64, Ordering};

/// Milliseconds since the Unix epoch (UTC).
pub type Timestamp = i64;

/// One minute in milliseconds.
pub const MINUTE_MS: i64 = 60_000;
/// One hour in milliseconds.
pub const HOUR_MS: i64 = 60 * MINUTE_MS;
/// One day in milliseconds.
pub const DAY_MS: i64 = 24 * HOUR_MS;

/// The earliest time the engine works with: the Unix epoch.
pub const EARLIEST: Timestamp = 0;
/// The latest time the engine works with: 9999-12-31T23:59:59.999Z, the last
/// instant a report period (`YYYY-MM-DD`) can name.
pub const LATEST: Timestamp = 253_402_300_799_999;

/// A clock reading brought into [`EARLIEST`]`..=`[`LATEST`]. A clock outside
/// that range is broken (or abused); clamping keeps every duration the engine
/// computes far from `i64` overflow and every report period a real date.
pub fn clamp(t: Timestamp) -> Timestamp {
    t.clamp(EARLIEST, LATEST)
}

/// A source of the current time.
pub trait Clock: Send + Sync + Debug {
    /// The current time in milliseconds since the Unix epoch.
    fn now_ms(&self) -> Timestamp;
}

/// The operating system's wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> Timestamp {
        match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
            // A clock set before 1970: report the epoch rather than fail.
            Err(_) => EARLIEST,
        }
    }
}

/// A clock that only moves when told to. For tests and simulations.
#[derive(Debug, Default)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    /// A clock showing `now_ms`.
    pub fn new(now_ms: Timestamp) -> Self {
        Self(AtomicI64::new(now_ms))
    }
    /// Set the time (it may move backwards, as real clocks sometimes do).
    pub fn set(&self, now_ms: Timestamp) {
        self.0.store(now_ms, Ordering::SeqCst);
    }
    /// Move the time forward (or backward, with a negative delta).
    pub fn advance(&self, delta_ms: i64) {
        self.0.fetch_add(delta_ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> Timestamp {
        self.0.load(Ordering::SeqCst)
    }
}
