//! Structural validation of a catalog (stub: being written).

use super::model::Catalog;
use crate::error::CatalogRule;
use crate::taxonomy::Taxonomy;

/// One broken rule, with the JSON-style path of the offending value.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Issue {
    /// Path such as `campaigns[3].creative_sets[0].creatives[1].click_url`.
    pub path: String,
    /// The rule.
    pub rule: CatalogRule,
    /// What exactly is wrong.
    pub detail: String,
}

/// Check every structural rule; returns all issues found (empty = valid).
pub fn validate(_catalog: &Catalog, _tax: &Taxonomy) -> Vec<Issue> {
    Vec::new()
}

/// The first issue as a typed error (stub).
pub fn first_error(catalog: &Catalog, tax: &Taxonomy) -> crate::error::Result<()> {
    match validate(catalog, tax).into_iter().next() {
        None => Ok(()),
        Some(i) => Err(crate::error::Error::CatalogInvalid {
            path: i.path,
            rule: i.rule,
            detail: i.detail,
        }),
    }
}
