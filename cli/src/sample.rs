//! The sample catalog used by the demo and the tests.
//!
//! The source is hand-written in `catalog/sample.json` (and embedded here); the
//! signed bundle is never stored: it is built by code with whatever key the
//! caller holds, so it can never be hand-edited or go stale.

use hearth_core::catalog::bundle::SigningKey;
use hearth_core::taxonomy::Taxonomy;

use crate::catalog_source::CatalogSource;
use crate::error::CliError;
use crate::publish::{self, Built, Overrides};

/// The text of `catalog/sample.json`.
pub const SAMPLE_JSON: &str = include_str!("../../catalog/sample.json");

/// The sample catalog source, parsed.
pub fn sample_source() -> Result<CatalogSource, CliError> {
    publish::parse_source(SAMPLE_JSON.as_bytes(), "catalog/sample.json")
}

/// Validate and sign the sample catalog with `key` against the embedded
/// taxonomy. The bundle's header is the source's (version 1, created
/// 2026-01-01, expiring 2027-12-31).
pub fn build_sample(key: &SigningKey) -> Result<Built, CliError> {
    let tax = Taxonomy::iab()?;
    publish::build(
        &sample_source()?,
        &Overrides::default(),
        key,
        &tax,
        "catalog/sample.json",
    )
}
