//! Catalog bundles: framing, signature, decoding, validation, index, and, for
//! catalogs that pass, installation and ad selection in an engine.
//!
//! Input: a mode byte, then the bytes. Mode 0: the bytes are a whole bundle
//! (as downloaded; only the fixture key is trusted, so mutations mostly stop
//! at the framing or the signature). Modes 1 and 2: the bytes are a catalog
//! body, framed and signed with the trusted fixture key here, so they reach
//! the decoder and the validator as a compromised or buggy publisher's
//! catalog would; mode 2 also installs what loads and selects ads from it.
#![no_main]

use std::sync::Arc;

use hearth_core::ads::AdEventKind;
use hearth_core::catalog::{InstalledCatalog, bundle, validate};
use hearth_core::clock::DAY_MS;
use hearth_core::select::{AdContext, AdRequest};
use hearth_core::{Engine, ManualClock};
use hearth_fuzz::{
    Bytes, MAX_CATALOG_BYTES, START, config, fresh_store, public_key, sign_body, taxonomy,
};
use libfuzzer_sys::fuzz_target;

fn look_at(c: &InstalledCatalog) {
    let mut n = 0usize;
    for (ci, camp) in c.catalog.campaigns.iter().enumerate() {
        for (si, set) in camp.creative_sets.iter().enumerate() {
            for k in 0..set.creatives.len() {
                let v = c
                    .creative(ci as u32, si as u32, k as u32)
                    .expect("every creative of a loaded catalog resolves");
                n += v.title.len() + v.body.len() + v.click_url.len();
                let _ = v.to_owned_creative();
            }
        }
    }
    assert!(n <= c.bundle_len() * 4 + 1);
    assert_eq!(c.index.creatives, c.catalog.creative_count());
}

fn install_and_select(bundle: Vec<u8>, c: &InstalledCatalog) {
    let dir = fresh_store();
    let clock = Arc::new(ManualClock::new(START));
    let e = Engine::open(config(&dir, clock.clone())).unwrap();
    if e.install_catalog(bundle).is_err() {
        return; // expiry etc.: the engine's own checks
    }
    e.set_consent(hearth_core::state::Consent::Personalised)
        .unwrap();
    // Contexts from the catalog's own targeting, and none.
    let mut contexts = vec![AdContext::default()];
    for camp in c.catalog.campaigns.iter().take(4) {
        let topics: Vec<String> = camp
            .creative_sets
            .iter()
            .flat_map(|s| s.include_topics.iter().map(|t| t.topic.clone()))
            .take(4)
            .collect();
        let _ = e.record(&hearth_core::profile::Event::view(
            &topics.iter().map(String::as_str).collect::<Vec<_>>(),
        ));
        contexts.push(AdContext {
            topics,
            country: camp.geo.first().cloned(),
            locale: camp.locales.first().map(|l| format!("{l}-XX")),
            app_section: camp.app_sections.first().cloned(),
            os: camp.os.first().copied(),
            ..AdContext::default()
        });
    }
    for ctx in contexts {
        let Ok(r) = e.select_ads(&AdRequest {
            placement_id: "p".into(),
            slots: 3,
            context: ctx,
            ..Default::default()
        }) else {
            continue;
        };
        assert_eq!(r.choices.is_empty(), r.no_fill.is_some());
        for ch in &r.choices {
            e.record_ad_event(&ch.token, AdEventKind::Impression)
                .unwrap();
            e.record_ad_event(&ch.token, AdEventKind::Click).unwrap();
        }
    }
    let _ = e.record_conversion_url("https://example.example/thanks");
    let _ = e.ad_history().unwrap();
    clock.advance(2 * DAY_MS);
    for p in e.pending_reports().unwrap() {
        hearth_core::report::Payload::parse(&p.payload).expect("the engine's payload parses");
    }
    e.close().unwrap();
}

fuzz_target!(|data: &[u8]| {
    let mut input = Bytes(data);
    let mode = input.byte() % 3;
    let bytes = input.rest();
    let tax = taxonomy();
    let trusted = [public_key()];
    if mode == 0 {
        let _ = bundle::parse_header(bytes);
        if let Ok(c) =
            InstalledCatalog::verify_and_load(bytes.to_vec(), &trusted, MAX_CATALOG_BYTES, &tax)
        {
            look_at(&c);
        }
        return;
    }
    // A body signed by the trusted key.
    let owned = bundle::decode_body(bytes);
    let borrowed = bundle::decode_body_borrowed(bytes);
    assert_eq!(owned.is_ok(), borrowed.is_ok(), "the two decoders agree");
    if let Ok(cat) = &owned {
        let issues = validate::validate(cat, &tax);
        let first = validate::first_error(cat, &tax);
        assert_eq!(
            issues.is_empty(),
            first.is_ok(),
            "validate and first_error agree: {issues:?} / {first:?}"
        );
    }
    let signed = sign_body(bytes, 2, START - DAY_MS, START + 365 * DAY_MS);
    match InstalledCatalog::verify_and_load(signed.clone(), &trusted, MAX_CATALOG_BYTES, &tax) {
        Ok(c) => {
            look_at(&c);
            if mode == 2 {
                install_and_select(signed, &c);
            }
        }
        Err(_) => {
            assert!(
                owned.is_err()
                    || owned.as_ref().is_ok_and(|c| {
                        c.taxonomy_version != tax.version()
                            || !validate::validate(c, &tax).is_empty()
                    }),
                "a valid body must load"
            );
        }
    }
});
