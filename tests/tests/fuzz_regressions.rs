//! Regression tests for what the fuzz targets (`fuzz/`) found. Each test
//! replays the essence of a saved crash input through the normal code path.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hearth_cli::catalog_source::{self, CatalogSource};
use hearth_cli::{publish, sample};
use hearth_core::taxonomy::Taxonomy;

/// `catalog_source`, 10-minute run: a `min_weight` too large for an `f32`
/// (`1111…1`, 50 digits) parses as infinity. It must be refused by the `range`
/// rule with its path, never built into a bundle; written back as source it
/// becomes `null` (JSON has no infinity), which does not parse again.
#[test]
fn min_weight_beyond_f32_is_refused_with_its_path() {
    let huge = "1".repeat(50);
    let text =
        sample::SAMPLE_JSON.replacen("\"min_weight\": 0.3", &format!("\"min_weight\": {huge}"), 1);
    assert_ne!(
        text,
        sample::SAMPLE_JSON,
        "the sample has a min_weight of 0.3"
    );
    let src = catalog_source::parse(text.as_bytes()).unwrap();
    let (catalog, header) = src.to_model();
    let tax = Taxonomy::iab().unwrap();
    let issues = publish::check(&catalog, &header, &tax);
    let issue = issues
        .iter()
        .find(|i| i.rule == "range" && i.path.ends_with("include_topics[0].min_weight"))
        .unwrap_or_else(|| panic!("{issues:?}"));
    assert!(issue.detail.contains("inf"), "{issue}");
    let key = hearth_core::catalog::bundle::SigningKey::generate().unwrap();
    assert!(publish::build(&src, &Default::default(), &key, &tax, "t").is_err());
    let json =
        catalog_source::to_json(&CatalogSource::from_model(&catalog, &header), false).unwrap();
    assert!(json.contains("\"min_weight\":null"));
    assert!(catalog_source::parse(json.as_bytes()).is_err());
}
