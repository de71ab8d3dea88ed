//! [`ManualClock`]: a clock the app moves by hand, for demos, tests and
//! simulations (a console demo that shows a day's report closing, a test of a
//! frequency cap's window), given to `Engine.openWithClock`. Production apps
//! use `Engine.open`, and the engine reads the system clock.

use std::sync::Arc;

use hearth_core::clock::Clock as _;

/// A clock that only moves when told to.
///
/// Kotlin: `val clock = ManualClock(startMs)`, then
/// `Engine.openWithClock(EngineConfig(storageDir = …, key = …), clock)` and
/// `clock.advance(24 * 3_600_000L)` to let a day pass. Swift:
/// `ManualClock(nowMs:)`, `Engine.openWithClock(config:clock:)`. The engine never lets its own notion of time run
/// backwards: setting this clock back makes the engine keep using the latest
/// time it has seen until the clock catches up.
#[derive(Debug, uniffi::Object)]
pub struct ManualClock {
    inner: Arc<hearth_core::clock::ManualClock>,
}

#[uniffi::export]
impl ManualClock {
    /// A clock showing `now_ms` (Unix milliseconds).
    ///
    /// A clock lives until the process ends, even after Kotlin's `close()`
    /// (a few dozen bytes each; this is a demo and test type). Calling a
    /// closed clock's own methods from Kotlin throws `IllegalStateException`,
    /// but giving it to `Engine.openWithClock` works: the engine uses it.
    #[uniffi::constructor]
    pub fn new(now_ms: i64) -> Arc<Self> {
        let clock = Arc::new(Self {
            inner: Arc::new(hearth_core::clock::ManualClock::new(now_ms)),
        });
        // The extra reference is never released. uniffi 0.32's Kotlin code
        // lowers an object argument by cloning its handle without checking
        // whether the object was closed (`FfiConverterTypeManualClock.lower`
        // calls `uniffiCloneHandle()`, unguarded), so `clock.close()` followed
        // by `Engine.openWithClock(config, clock)` cloned a freed `Arc`: a
        // SIGSEGV in `open_with_clock` (tests/kotlin/HostileTest.kt). With this
        // reference a closed clock's memory stays valid.
        std::mem::forget(Arc::clone(&clock));
        clock
    }

    /// The time this clock shows (Unix milliseconds).
    pub fn now_ms(&self) -> i64 {
        self.inner.now_ms()
    }

    /// Show `now_ms` (it may move backwards, as real clocks sometimes do).
    pub fn set(&self, now_ms: i64) {
        self.inner.set(now_ms);
    }

    /// Move the time by `delta_ms` (negative moves it back). Saturates at the
    /// ends of the `i64` range instead of overflowing.
    pub fn advance(&self, delta_ms: i64) {
        let now = self.inner.now_ms();
        self.inner.set(now.saturating_add(delta_ms));
    }
}

impl ManualClock {
    /// The core clock behind this object, for the engine's configuration.
    pub(crate) fn core(&self) -> Arc<hearth_core::clock::ManualClock> {
        Arc::clone(&self.inner)
    }
}
