//! The signed ad catalog: model, bundle format, validation and index.
//!
//! - [`model`]: campaigns → creative sets → creatives.
//! - [`bundle`]: the signed byte format, signing and verification.
//! - [`mod@validate`]: structural rules, each failure naming the path and the rule.
//! - [`index`]: lookup tables built at install/open time for selection.

pub mod bundle;
pub mod index;
pub mod model;
pub mod validate;

pub use bundle::{BundleHeader, PublicKey, SigningKey};
pub use index::CatalogIndex;
pub use model::*;
pub use validate::{Issue, Limits, first_error, validate};

use crate::error::{Error, Result};
use crate::taxonomy::Taxonomy;

/// A catalog that passed every check, with its index: what selection reads.
///
/// Creative text is not copied out of the bundle: the installed catalog keeps the
/// signed bundle it was given and its creatives are spans into it (see
/// [`model`]).
#[derive(Debug)]
pub struct InstalledCatalog {
    /// The bundle header (version, times, key id).
    pub header: BundleHeader,
    /// The catalog; creatives are spans into the bundle.
    pub catalog: Catalog<CreativeSpan>,
    /// Lookup tables.
    pub index: CatalogIndex,
    /// The decoded content model (blob [`crate::content::BLOB_KEY`]), if the
    /// catalog ships one; its blob is dropped from `catalog.models` once
    /// decoded.
    pub content: Option<std::sync::Arc<crate::content::ContentModel>>,
    /// The decoded text classifier (blob [`crate::classifier::BLOB_KEY`]),
    /// its labels bound to the engine's taxonomy, if the catalog ships one;
    /// its blob is dropped from `catalog.models` once decoded.
    pub classifier: Option<std::sync::Arc<crate::classifier::TopicClassifier>>,
    bundle: Box<[u8]>,
}

/// A bundle whose size, framing and signature have been checked, not yet decoded.
#[derive(Debug)]
pub struct VerifiedBundle {
    /// The header, now trustworthy.
    pub header: BundleHeader,
    bundle: Box<[u8]>,
    body: std::ops::Range<usize>,
}

impl VerifiedBundle {
    /// Check size (before parsing), framing and signature against `trusted`.
    /// Takes the bundle by value: if it is later loaded, creative text is read
    /// from it in place.
    pub fn verify(bundle: Vec<u8>, trusted: &[PublicKey], max_len: usize) -> Result<Self> {
        let (header, body) = {
            let (header, body) = bundle::verify(&bundle, trusted, max_len)?;
            (header, bundle::HEADER_LEN..bundle::HEADER_LEN + body.len())
        };
        Ok(Self {
            header,
            bundle: bundle.into_boxed_slice(),
            body,
        })
    }

    /// Decode, check the taxonomy version, validate and index.
    pub fn load(self, tax: &Taxonomy) -> Result<InstalledCatalog> {
        let body = self.bundle.get(self.body.clone()).unwrap_or_default();
        let borrowed = bundle::decode_body_borrowed(body)?;
        if borrowed.taxonomy_version != tax.version() {
            return Err(Error::CatalogTaxonomyMismatch {
                catalog: borrowed.taxonomy_version.clone(),
                engine: tax.version().to_string(),
            });
        }
        validate::first_error(&borrowed, tax)?;
        let index = CatalogIndex::build(&borrowed, tax)?;
        let mut catalog = borrowed.map_creatives(|c| {
            CreativeSpan::of(&c, &self.bundle)
                .ok_or_else(|| Error::CatalogMalformed("creative text outside the body".into()))
        })?;
        // Before any blob moves: errors name the blob's position.
        let classifier = crate::classifier::TopicClassifier::from_models(&catalog.models, tax)?
            .map(std::sync::Arc::new);
        if classifier.is_some() {
            catalog
                .models
                .blobs
                .retain(|(k, _)| k != crate::classifier::BLOB_KEY);
        }
        let content = match catalog
            .models
            .blobs
            .iter()
            .position(|(k, _)| k == crate::content::BLOB_KEY)
        {
            Some(i) => {
                let (_, blob) = catalog.models.blobs.swap_remove(i);
                Some(std::sync::Arc::new(crate::content::ContentModel::decode(
                    &blob,
                )?))
            }
            None => None,
        };
        Ok(InstalledCatalog {
            header: self.header,
            catalog,
            index,
            content,
            classifier,
            bundle: self.bundle,
        })
    }
}

impl InstalledCatalog {
    /// Everything that does not depend on the engine's state: size limit,
    /// framing, signature against `trusted`, decoding, taxonomy version,
    /// structural validation, index ([`VerifiedBundle::verify`] then
    /// [`VerifiedBundle::load`]). Version order and expiry are the engine's checks.
    pub fn verify_and_load(
        bundle: Vec<u8>,
        trusted: &[PublicKey],
        max_len: usize,
        tax: &Taxonomy,
    ) -> Result<Self> {
        VerifiedBundle::verify(bundle, trusted, max_len)?.load(tax)
    }

    /// The signed bundle this catalog was loaded from.
    pub fn bundle(&self) -> &[u8] {
        &self.bundle
    }

    /// Size of the signed bundle in bytes.
    pub fn bundle_len(&self) -> usize {
        self.bundle.len()
    }

    /// The fields of creative `i` of set `set` of campaign `campaign`.
    pub fn creative(&self, campaign: u32, set: u32, i: u32) -> Option<CreativeView<'_>> {
        self.catalog
            .campaigns
            .get(campaign as usize)?
            .creative_sets
            .get(set as usize)?
            .creatives
            .get(i as usize)
            .map(|c| c.view(&self.bundle))
    }

    /// Resolve a creative span of this catalog.
    pub fn view(&self, c: &CreativeSpan) -> CreativeView<'_> {
        c.view(&self.bundle)
    }
}
