//! The collector side of reporting: `hearth report aggregate`, `hearth audit`
//! and `hearth simulate`. Publisher/auditor tooling only; never linked into the
//! phone library.
//!
//! - [`aggregate`]: payloads (JSON lines) in, unbiased per-campaign, per-metric
//!   estimates with 95% confidence intervals out. Malformed lines are counted and
//!   listed by line number, never dropped silently.
//! - [`audit`]: every line checked against the payload format and a policy
//!   (maximum ε, parameters consistent with ε, the mechanism the domain-size rule
//!   picks, canonical bytes, fixed size, allowed fields only).
//! - [`simulate`]: simulated devices with known ground truth run through the
//!   real reporting code (`Mechanism::choose`, `perturb`, `Payload::to_json`),
//!   aggregated by the same code as `report aggregate`, and compared with the
//!   truth and with the mechanism's theoretical variance.
//!
//! The catalog given to `aggregate` and `audit` defines the domain: value `0` is
//! "no campaign", value `i ≥ 1` is `campaigns[i-1]` of the catalog (see
//! `hearth_core::report`).

pub mod aggregate;
pub mod simulate;

/// The auditor lives in the core (the phone runs it too); re-exported here for
/// the CLI's `hearth audit`.
pub mod audit {
    pub use hearth_core::report::audit::*;
}

/// A seeded noise source for the simulator and tests (ChaCha12). It lives on the
/// collector side on purpose: the phone library only ever draws privacy noise
/// from the OS CSPRNG, and has no seeded source to select.
#[derive(Debug, Clone)]
pub struct SeededNoise(rand_chacha::ChaCha12Rng);

impl SeededNoise {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        use rand_chacha::rand_core::SeedableRng;
        Self(rand_chacha::ChaCha12Rng::seed_from_u64(seed))
    }
}

impl hearth_core::report::NoiseSource for SeededNoise {
    fn next_u64(&mut self) -> hearth_core::Result<u64> {
        use rand_chacha::rand_core::RngCore;
        Ok(self.0.next_u64())
    }
}

use std::io::Read;
use std::path::Path;

use hearth_core::catalog::bundle::{self, PublicKey};

use crate::error::CliError;
use crate::keys;
use crate::publish::MAX_BUNDLE_LEN;

/// What the collector needs to know about a catalog: its version and its
/// campaign ids in catalog order (domain value `i` is `campaign_ids[i-1]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogInfo {
    /// Catalog version, as the payloads state it.
    pub version: u64,
    /// Campaign ids in catalog order.
    pub campaign_ids: Vec<String>,
}

impl CatalogInfo {
    /// Domain size of the payloads for this catalog: campaigns + "none".
    pub fn domain(&self) -> u32 {
        u32::try_from(self.campaign_ids.len() + 1).unwrap_or(u32::MAX)
    }

    /// Verify a bundle with the trusted keys and read its version and campaigns.
    pub fn from_bundle(bytes: &[u8], trusted: &[PublicKey]) -> Result<Self, hearth_core::Error> {
        let (header, catalog) = bundle::open(bytes, trusted, MAX_BUNDLE_LEN)?;
        Ok(Self {
            version: header.catalog_version,
            campaign_ids: catalog.campaigns.into_iter().map(|c| c.id).collect(),
        })
    }

    /// Load and verify `BUNDLE` with the public key file `KEY.pub`.
    pub fn load(bundle_path: &Path, pub_path: &Path) -> Result<Self, CliError> {
        let key = keys::load_public_key(pub_path)?;
        let bytes = crate::publish::read_input(bundle_path)?;
        Self::from_bundle(&bytes, &[key]).map_err(|error| CliError::Bundle {
            origin: crate::publish::origin(bundle_path),
            error,
        })
    }

    /// A synthetic catalog of `campaigns` campaigns named `cmp-001`, `cmp-002`, …
    /// (for the simulator and benchmarks).
    pub fn synthetic(version: u64, campaigns: u32) -> Self {
        let width = campaigns.to_string().len().max(3);
        Self {
            version,
            campaign_ids: (1..=campaigns)
                .map(|i| format!("cmp-{i:0width$}"))
                .collect(),
        }
    }

    /// What the auditor checks payloads against.
    pub fn audit_catalog(&self) -> hearth_core::report::audit::AuditCatalog {
        hearth_core::report::audit::AuditCatalog {
            version: self.version,
            domain: self.domain(),
        }
    }

    /// Human name of domain value `v`: `none` or the campaign id.
    pub fn value_name(&self, v: u32) -> &str {
        if v == 0 {
            "none"
        } else {
            self.campaign_ids
                .get(v as usize - 1)
                .map_or("?", String::as_str)
        }
    }
}

/// Open a payload file, or stdin for `-`.
pub fn open_input(path: &Path) -> Result<Box<dyn Read>, CliError> {
    if path == Path::new("-") {
        Ok(Box::new(std::io::stdin()))
    } else {
        let f = std::fs::File::open(path).map_err(|e| CliError::Io {
            what: "cannot read",
            path: path.to_path_buf(),
            source: e,
        })?;
        Ok(Box::new(f))
    }
}

/// One rejected input line.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LineIssue {
    /// 1-based line number.
    pub line: u64,
    /// Why it was rejected.
    pub reason: String,
}

pub use hearth_core::report::audit::thousands;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_catalog_names() {
        let c = CatalogInfo::synthetic(3, 100);
        assert_eq!(c.domain(), 101);
        assert_eq!(c.value_name(0), "none");
        assert_eq!(c.value_name(1), "cmp-001");
        assert_eq!(c.value_name(100), "cmp-100");
        assert_eq!(c.value_name(101), "?");
    }
}
