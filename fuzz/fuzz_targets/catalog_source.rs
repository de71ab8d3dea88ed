//! The catalog source format (`hearth catalog build`): JSON parsing with
//! paths in errors, conversion to the model, every validation rule, and the
//! round trip source → model → source → JSON → source.
#![no_main]

use hearth_cli::catalog_source::{self, CatalogSource};
use hearth_cli::publish;
use hearth_core::catalog::{InstalledCatalog, bundle};
use hearth_fuzz::{MAX_CATALOG_BYTES, public_key, signer, taxonomy};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let src = match catalog_source::parse(data) {
        Ok(s) => s,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let tax = taxonomy();
    let (catalog, header) = src.to_model();
    let issues = publish::check(&catalog, &header, &tax);
    for i in &issues {
        assert!(!i.path.is_empty() && !i.rule.is_empty(), "{i}");
        let _ = i.to_string();
    }
    // The source format holds the model without loss. (JSON has no infinity:
    // a number too large for an f32 reads as one, which the `range` rule
    // refuses, and is written back as `null`.)
    let back = CatalogSource::from_model(&catalog, &header);
    let json = catalog_source::to_json(&back, false).expect("serialises");
    match catalog_source::parse(json.as_bytes()) {
        Ok(again) => assert_eq!(again.to_model(), (catalog.clone(), header), "round trip"),
        Err(e) => assert!(
            issues
                .iter()
                .any(|i| i.rule == "range" && i.detail.contains("inf")),
            "a written source parses again: {e}\n{json}"
        ),
    }
    if issues.is_empty() {
        // What `catalog build` accepts, a phone installs.
        let b = bundle::seal(
            &catalog,
            header.version,
            header.created_at_ms,
            header.expires_at_ms,
            signer(),
        )
        .expect("seals");
        if b.len() <= MAX_CATALOG_BYTES {
            InstalledCatalog::verify_and_load(b, &[public_key()], MAX_CATALOG_BYTES, &tax)
                .expect("a catalog that passed every check loads");
        }
    }
});
