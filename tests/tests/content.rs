//! The content model end to end: built by the publisher tool from aggregate
//! co-occurrence counts, shipped in a signed catalog as `content/1`, decoded at
//! install, and used by `Engine::rank_items` with the app's recent items, under
//! personalised consent only. A broken blob is refused at install.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use hearth_cli::catalog_source::Base64;
use hearth_cli::content_model::{self, BuildOptions};
use hearth_cli::sample;
use hearth_core::catalog::bundle::{self, SigningKey};
use hearth_core::clock::DAY_MS;
use hearth_core::content::{BLOB_KEY, ContentModel};
use hearth_core::rank::{Item, REASON_CONTENT, RankOptions};
use hearth_core::select::{AdContext, AdRequest};
use hearth_core::state::Consent;
use hearth_core::{Engine, Error, ManualClock};
use hearth_tests::{T0, config};

/// 2026-01-01T00:00:00Z, when the sample catalog starts.
const SAMPLE_VALID_FROM: i64 = 1_767_225_600_000;

fn ids() -> Vec<String> {
    ["film-a", "film-b", "film-c", "film-d", "film-e"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// Twenty users watched a then b; three watched a then c; d and e stand alone.
fn model_bytes() -> Vec<u8> {
    let mut histories = vec![vec![1, 0]; 20];
    histories.extend(vec![vec![2, 0]; 3]);
    histories.push(vec![3]);
    histories.push(vec![4]);
    let m = content_model::build(
        &ids(),
        &histories,
        &BuildOptions {
            lambda: 1.0,
            ..BuildOptions::default()
        },
    )
    .unwrap();
    m.encode()
}

fn bundle_with(key: &SigningKey, blob: Option<Vec<u8>>) -> Vec<u8> {
    bundle_with_items(key, blob, &[])
}

/// The sample catalog with `blob` as content/1 and every creative set
/// advertising `item_ids`.
fn bundle_with_items(key: &SigningKey, blob: Option<Vec<u8>>, item_ids: &[&str]) -> Vec<u8> {
    let mut src = sample::sample_source().unwrap();
    for c in &mut src.campaigns {
        for s in &mut c.creative_sets {
            s.item_ids = item_ids.iter().map(|s| s.to_string()).collect();
        }
    }
    if let Some(b) = blob {
        src.models.blobs.0.push((BLOB_KEY.into(), Base64(b)));
    }
    let (cat, h) = src.to_model();
    bundle::seal(&cat, 1, h.created_at_ms, h.expires_at_ms, key).unwrap()
}

fn open(key: &SigningKey) -> (tempfile::TempDir, Engine) {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(SAMPLE_VALID_FROM + T0 % DAY_MS));
    let mut cfg = config(dir.path(), &clock);
    cfg.trusted_keys = vec![key.public_key()];
    let e = Engine::open(cfg).unwrap();
    e.set_consent(Consent::Personalised).unwrap();
    (dir, e)
}

fn candidates() -> Vec<Item> {
    // In the app's order; none has topics, so without the model the order
    // stays the app's.
    ["film-e", "film-d", "film-c", "film-b"]
        .iter()
        .map(|id| Item {
            id: id.to_string(),
            ..Item::default()
        })
        .collect()
}

fn order(e: &Engine, recent: &[&str]) -> Vec<(String, String)> {
    let opts = RankOptions {
        recent_item_ids: recent.iter().map(|s| s.to_string()).collect(),
        ..RankOptions::default()
    };
    e.rank_items(&candidates(), &opts)
        .unwrap()
        .into_iter()
        .map(|r| (r.id, r.reason))
        .collect()
}

fn ids_of(v: &[(String, String)]) -> Vec<&str> {
    v.iter().map(|x| x.0.as_str()).collect()
}

#[test]
fn a_shipped_content_model_ranks_with_the_users_recent_items() {
    let key = SigningKey::generate().unwrap();
    let (_d, e) = open(&key);
    let app_order = ["film-e", "film-d", "film-c", "film-b"];
    // Before any catalog: the app's order.
    assert_eq!(ids_of(&order(&e, &["film-a"])), app_order);

    e.install_catalog(bundle_with(&key, Some(model_bytes())))
        .unwrap();
    let cat = e.catalog().unwrap().unwrap();
    let m = cat.content.as_ref().expect("decoded at install");
    assert_eq!(m.len(), 5);
    assert!(cat.catalog.models.blobs.iter().all(|(k, _)| k != BLOB_KEY));

    // Someone who just watched film-a: b (20 co-watchers) before c (3), then
    // the rest in the app's order; the reason says where it came from.
    let r = order(&e, &["film-a"]);
    assert_eq!(ids_of(&r), ["film-b", "film-c", "film-e", "film-d"]);
    assert_eq!(r[0].1, REASON_CONTENT);
    // Without history, or with history the model does not know: app order.
    assert_eq!(ids_of(&order(&e, &[])), app_order);
    assert_eq!(ids_of(&order(&e, &["unknown"])), app_order);

    // The content model personalises, so it follows consent.
    e.set_consent(Consent::ContextualOnly).unwrap();
    assert_eq!(ids_of(&order(&e, &["film-a"])), app_order);
    e.set_consent(Consent::Personalised).unwrap();
    assert_eq!(ids_of(&order(&e, &["film-a"]))[0], "film-b");

    // Bad history is a typed error.
    let bad = RankOptions {
        recent_item_ids: vec![String::new()],
        ..RankOptions::default()
    };
    assert!(matches!(
        e.rank_items(&candidates(), &bad),
        Err(Error::InvalidArgument {
            name: "recent_item_ids",
            ..
        })
    ));
}

#[test]
fn a_broken_content_blob_is_refused_at_install_and_changes_nothing() {
    let key = SigningKey::generate().unwrap();
    let (_d, e) = open(&key);
    let good = model_bytes();
    for blob in [
        vec![],
        good[..good.len() / 2].to_vec(),
        vec![0xff; 64],
        [good.clone(), vec![0]].concat(),
    ] {
        let err = e
            .install_catalog(bundle_with(&key, Some(blob)))
            .unwrap_err();
        assert!(
            matches!(&err, Error::CatalogMalformed(m) if m.starts_with("content/1 model")),
            "{err:?}"
        );
        assert!(e.catalog().unwrap().is_none());
    }
    // The model decodes the same way the publisher tool checked it.
    assert_eq!(ContentModel::decode(&good).unwrap().len(), 5);
    e.install_catalog(bundle_with(&key, Some(good))).unwrap();
    assert!(e.catalog().unwrap().unwrap().content.is_some());
}

/// Engagement of every set chosen for a broad request, by set id.
fn engagement(e: &Engine, recent: &[&str]) -> std::collections::HashMap<String, (f64, String)> {
    let r = e
        .select_ads(&AdRequest {
            placement_id: "feed".into(),
            slots: 10,
            context: AdContext {
                topics: vec!["483".into(), "227".into(), "210".into()],
                country: Some("DE".into()),
                locale: Some("de-DE".into()),
                ..AdContext::default()
            },
            recent_item_ids: recent.iter().map(|s| s.to_string()).collect(),
        })
        .unwrap();
    r.choices
        .into_iter()
        .map(|c| (c.creative_set_id, (c.engagement, c.why.text)))
        .collect()
}

#[test]
fn ad_sets_whose_items_the_model_links_to_recent_items_score_higher() {
    let key = SigningKey::generate().unwrap();
    for (items, linked) in [(&["film-b"][..], true), (&["film-d"][..], false)] {
        let (_d, e) = open(&key);
        e.install_catalog(bundle_with_items(&key, Some(model_bytes()), items))
            .unwrap();
        let before = engagement(&e, &[]);
        let after = engagement(&e, &["film-a"]);
        let common: Vec<&String> = before.keys().filter(|k| after.contains_key(*k)).collect();
        assert!(!common.is_empty(), "{before:?} / {after:?}");
        for k in common {
            let (p0, _) = &before[k];
            let (p1, _) = &after[k];
            if linked {
                // film-a → film-b is the model's strongest link: content = 1,
                // so the logit grows by w_content = 1.
                let logit = |p: f64| (p / (1.0 - p)).ln();
                assert!(
                    (logit(*p1) - logit(*p0) - 1.0).abs() < 1e-9,
                    "{k}: {p0} → {p1}"
                );
            } else {
                assert_eq!(p0, p1, "{k}: film-d is not linked to film-a");
            }
        }
        // Under contextual consent the history does not count.
        e.set_consent(Consent::ContextualOnly).unwrap();
        let ctx_before = engagement(&e, &[]);
        let ctx_after = engagement(&e, &["film-a"]);
        for (k, (p, _)) in &ctx_after {
            if let Some((q, _)) = ctx_before.get(k) {
                assert_eq!(p, q, "{k}");
            }
        }
    }
    // Bad history is a typed error here too.
    let (_d, e) = open(&key);
    let r = e.select_ads(&AdRequest {
        placement_id: "feed".into(),
        slots: 1,
        recent_item_ids: vec!["x".repeat(300)],
        ..AdRequest::default()
    });
    assert!(matches!(
        r,
        Err(Error::InvalidArgument {
            name: "recent_item_ids",
            ..
        })
    ));
}

#[test]
fn the_publisher_refuses_a_content_blob_a_phone_would_refuse() {
    let tax = hearth_core::taxonomy::Taxonomy::iab().unwrap();
    let mut src = sample::sample_source().unwrap();
    src.models
        .blobs
        .0
        .push((BLOB_KEY.into(), Base64(vec![0xff; 16])));
    let (cat, h) = src.to_model();
    let issues = hearth_cli::publish::check(&cat, &h, &tax);
    assert!(
        issues
            .iter()
            .any(|i| i.path.contains("models.blobs") && i.rule == "model"),
        "{issues:?}"
    );
    let mut good = sample::sample_source().unwrap();
    good.models
        .blobs
        .0
        .push((BLOB_KEY.into(), Base64(model_bytes())));
    let (cat, h) = good.to_model();
    assert!(hearth_cli::publish::check(&cat, &h, &tax).is_empty());
}

#[test]
fn the_content_model_never_brings_back_a_hidden_topic() {
    let key = SigningKey::generate().unwrap();
    let (_d, e) = open(&key);
    e.install_catalog(bundle_with(&key, Some(model_bytes())))
        .unwrap();
    // film-b (film-a's strongest neighbour) is about soccer.
    let mut items = candidates();
    items[3].topics = vec!["533".into()];
    let opts = RankOptions {
        recent_item_ids: vec!["film-a".into()],
        ..RankOptions::default()
    };
    let first = |e: &Engine| e.rank_items(&items, &opts).unwrap()[0].id.clone();
    assert_eq!(first(&e), "film-b");
    e.record(&hearth_core::profile::Event::feedback(
        "533",
        hearth_core::profile::Feedback::Hide,
    ))
    .unwrap();
    assert_eq!(
        first(&e),
        "film-c",
        "the next co-watched film, not the hidden one"
    );
}

#[test]
fn inspect_names_the_model_blobs_a_catalog_ships() {
    let key = SigningKey::generate().unwrap();
    let tax = hearth_core::taxonomy::Taxonomy::iab().unwrap();
    let blob = model_bytes();
    let bundle = bundle_with(&key, Some(blob.clone()));
    let ins = hearth_cli::publish::inspect(&bundle, &[key.public_key()], &tax, "b").unwrap();
    assert!(ins.issues.is_empty(), "{:?}", ins.issues);
    let text = hearth_cli::publish::inspect_summary(&ins, "b", SAMPLE_VALID_FROM);
    assert!(
        text.contains(&format!("blobs: content/1 ({} bytes)", blob.len())),
        "{text}"
    );
    let plain = bundle_with(&key, None);
    let ins = hearth_cli::publish::inspect(&plain, &[key.public_key()], &tax, "b").unwrap();
    let text = hearth_cli::publish::inspect_summary(&ins, "b", SAMPLE_VALID_FROM);
    assert!(!text.contains("content/1"), "{text}");
}
