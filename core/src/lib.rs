//! # hearth-core
//!
//! The on-device engine of Hearth: a local interest model built from the app's
//! events, kept encrypted on the phone, and a thread-safe [`Engine`] facade that
//! apps (through the bindings) talk to. Nothing in this crate touches the network.
//!
//! Module map:
//! - [`taxonomy`]: the versioned, hierarchical topic taxonomy (IAB Content 3.x embedded).
//! - [`profile`]: events in, decayed topic weights and inferred traits out.
//! - [`store`]: encrypted, atomic, versioned persistence of all user state.
//! - [`state`]: the persisted state's schema and its migrations.
//! - [`catalog`]: the signed ad catalog: model, bundle format, validation, index.
//! - [`classifier`]: the on-device text classifier (text → topics).
//! - [`select`]: on-device ad selection; [`ads`]: ad events, tokens, history.
//! - [`rank`]: ranking the app's own content against the profile.
//! - [`content`]: the item-neighbour content model a catalog ships for ranking.
//! - [`report`]: aggregate, noised reports and the privacy-budget ledger.
//! - [`engine`]: the facade apps talk to.
//! - [`clock`]: injected time.
#![forbid(unsafe_code)]

pub mod ads;
pub mod catalog;
pub mod classifier;
pub mod clock;
pub mod content;
pub mod engine;
pub mod error;
pub mod profile;
pub mod rank;
pub mod report;
pub mod select;
pub mod state;
pub mod store;
pub mod taxonomy;
mod wire;

pub use clock::{Clock, ManualClock, SystemClock, Timestamp};
pub use engine::{Engine, EngineConfig};
pub use error::{Error, Result};
