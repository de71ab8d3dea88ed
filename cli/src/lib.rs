//! # hearth-cli
//!
//! The logic behind the `hearth` binary's publisher commands; `main.rs` is only
//! the command-line front end. This crate is never linked into the phone
//! library.
//!
//! - [`catalog_source`]: the JSON source format of a catalog, its JSON Schema,
//!   and conversions to and from [`hearth_core::catalog::model`].
//! - [`keys`]: `hearth keygen` and the key file formats.
//! - [`publish`]: `hearth catalog build` (source → validated, signed bundle) and
//!   `hearth catalog inspect` (bundle → verified summary or source JSON).
//! - [`synth`]: `hearth catalog gen`, deterministic synthetic catalogs.
//! - [`sample`]: the hand-written sample catalog and how to sign it.
//! - [`footprint`]: `hearth footprint`, a simulated year of heavy use and the
//!   size of everything the engine keeps.
//! - [`report_tools`]: the collector side of reporting: `hearth report
//!   aggregate`, `hearth audit`, `hearth simulate`.
//! - [`eval`]: `hearth eval`, offline ranking quality on interaction logs;
//!   [`content_model`]: building the content model a catalog ships.
//! - [`classifier`]: `hearth classifier train` / `eval`, the on-device text
//!   classifier's training and evaluation, and embedding it in a catalog.
//! - [`obd`]: `hearth obd`, the engagement model as a click predictor and
//!   the off-policy value of Hearth's selection on the Open Bandit Dataset.
//! - [`error`]: the error type and exit codes (0 ok, 1 failure, 2 invalid catalog).

pub mod catalog_source;
pub mod classifier;
pub mod content_model;
pub mod error;
pub mod eval;
pub mod footprint;
pub mod keys;
pub mod obd;
pub mod publish;
pub mod report_tools;
pub mod sample;
pub mod synth;

pub use error::{CliError, SourceIssue};
