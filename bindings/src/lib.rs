//! # hearth-ffi
//!
//! The uniffi layer of Hearth: the Kotlin (Android) and Swift (iOS) API of
//! [`hearth_core`]. It is deliberately thin: one exported object ([`Engine`]),
//! a clock for demos and tests ([`ManualClock`]), the auditor's check of report
//! payloads ([`audit_payloads`]),
//! records and enums that mirror the core's types field by field
//! ([`types`], [`config`]), and one exported error enum ([`HearthError`]). No
//! business logic lives here, and no panic crosses the boundary (every call
//! returns a typed error instead; uniffi additionally turns any panic into an
//! internal error rather than unwinding into foreign code).
//!
//! The generated code (Kotlin package `org.hearth.sdk`, Swift module `Hearth`
//! with the C module `HearthFFI`) comes from `uniffi-bindgen` in library mode,
//! run by `scripts/test-kotlin.sh`, `scripts/test-swift.sh`,
//! `scripts/build-android.sh` and `scripts/build-ios.sh`; the documentation
//! comments here become the KDoc / Swift doc comments there.
//!
//! Naming across languages: Rust `snake_case` becomes Kotlin/Swift
//! `lowerCamelCase` (`select_ads` → `selectAds`); Kotlin renames the error to
//! `HearthException` (`HearthException.StoreWrongKey`) and `Engine::close` to
//! `shutdown` (its `close()` is `AutoCloseable`'s); Swift keeps `HearthError`.

uniffi::setup_scaffolding!();

pub mod audit;
pub mod clock;
pub mod config;
pub mod engine;
pub mod error;
mod offthread;
pub mod types;

pub use audit::{AuditVerdict, AuditViolation, audit_payloads};
pub use clock::ManualClock;
pub use config::{EngineConfig, EngineLimits};
pub use engine::{Engine, erase_storage};
pub use error::{CatalogRule, HearthError};
pub use types::*;
