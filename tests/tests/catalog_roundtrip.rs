//! Property test across the publisher and the phone: a catalog source (JSON) is
//! built and signed by the CLI's code, installed by the engine, read back from
//! the installed catalog, and inspected again by the CLI: every step preserves
//! the catalog exactly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use hearth_cli::catalog_source::{self, CatalogSource};
use hearth_cli::publish::{self, Overrides};
use hearth_cli::synth::{GenOptions, generate};
use hearth_core::catalog::SigningKey;
use hearth_core::catalog::model::{Catalog, Creative};
use hearth_core::store::StoreKey;
use hearth_core::taxonomy::Taxonomy;
use hearth_core::{Engine, EngineConfig, ManualClock};
use proptest::prelude::*;

/// The installed catalog, converted back to an owned model.
fn installed_model(engine: &Engine) -> Catalog {
    let c = engine.catalog().unwrap().unwrap();
    c.catalog
        .clone()
        .map_creatives(|s| Ok::<Creative, ()>(c.view(&s).to_owned_creative()))
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, .. ProptestConfig::default() })]

    #[test]
    fn json_build_install_inspect_round_trips(seed in any::<u64>(), creatives in 1usize..400) {
        let tax = Taxonomy::iab().unwrap();
        let key = SigningKey::generate().unwrap();
        let source = generate(&GenOptions { creatives, seed, version: 1 + seed % 1000 }, &tax).unwrap();
        // Through JSON text, as a publisher would hand it over.
        let json = catalog_source::to_json(&source, true).unwrap();
        let parsed: CatalogSource = publish::parse_source(json.as_bytes(), "prop").unwrap();
        prop_assert_eq!(&parsed, &source);
        let built = publish::build(&parsed, &Overrides::default(), &key, &tax, "prop").unwrap();

        let dir = tempfile::tempdir().unwrap();
        let mut cfg = EngineConfig::new(dir.path(), StoreKey::from_bytes([4; 32]))
            .with_clock(Arc::new(ManualClock::new(built.header.created_at_ms)));
        cfg.trusted_keys = vec![key.public_key()];
        let engine = Engine::open(cfg.clone()).unwrap();
        engine.install_catalog(built.bundle.clone()).unwrap();
        prop_assert_eq!(&installed_model(&engine), &built.catalog);
        prop_assert_eq!(engine.catalog().unwrap().unwrap().index.creatives, creatives);
        engine.close().unwrap();

        // After a reopen (verified again from the stored bundle) it is the same.
        let engine = Engine::open(cfg).unwrap();
        prop_assert_eq!(&installed_model(&engine), &built.catalog);
        let stored = engine.catalog().unwrap().unwrap().bundle().to_vec();
        prop_assert_eq!(&stored, &built.bundle);

        // Inspect the bundle the phone holds: the source comes back unchanged.
        let ins = publish::inspect(&stored, &[key.public_key()], &tax, "prop").unwrap();
        prop_assert!(ins.issues.is_empty());
        let again = publish::inspect_json(&ins).unwrap();
        let back = publish::parse_source(again.as_bytes(), "inspect").unwrap();
        prop_assert_eq!(back, source);
    }
}
