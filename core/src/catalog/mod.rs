//! The signed ad catalog: model, bundle format, validation and index.
//!
//! - [`model`]: campaigns → creative sets → creatives.
//! - [`bundle`]: the signed byte format, signing and verification.
//! - [`validate`]: structural rules, each failure naming the path and the rule.
//! - [`index`]: lookup tables built at install/open time for selection.

pub mod bundle;
pub mod index;
pub mod model;
pub mod validate;

pub use bundle::{BundleHeader, PublicKey, SigningKey};
pub use index::CatalogIndex;
pub use model::*;
pub use validate::{Issue, validate};

use crate::error::{Error, Result};
use crate::taxonomy::Taxonomy;

/// A catalog that passed every check, with its index: what selection reads.
#[derive(Debug)]
pub struct InstalledCatalog {
    /// The bundle header (version, times, key id).
    pub header: BundleHeader,
    /// The catalog.
    pub catalog: Catalog,
    /// Lookup tables.
    pub index: CatalogIndex,
    /// Size of the signed bundle in bytes.
    pub bundle_len: usize,
}

impl InstalledCatalog {
    /// Everything that does not depend on the engine's state: size limit,
    /// framing, signature against `trusted`, decoding, taxonomy version,
    /// structural validation, index. (Version order and expiry are the engine's
    /// checks.)
    pub fn verify_and_load(
        bytes: &[u8],
        trusted: &[PublicKey],
        max_len: usize,
        tax: &Taxonomy,
    ) -> Result<Self> {
        let (header, body) = bundle::verify(bytes, trusted, max_len)?;
        let catalog = bundle::decode_body(body)?;
        if catalog.taxonomy_version != tax.version() {
            return Err(Error::CatalogTaxonomyMismatch {
                catalog: catalog.taxonomy_version.clone(),
                engine: tax.version().to_string(),
            });
        }
        validate::first_error(&catalog, tax)?;
        let index = CatalogIndex::build(&catalog, tax)?;
        Ok(Self {
            header,
            catalog,
            index,
            bundle_len: bytes.len(),
        })
    }
}
