//! The on-device text classifier end to end: a model trained by the
//! publisher tool, shipped in a signed catalog as `classifier/1`, decoded at
//! install, and used by the engine for searches that name no topics (and for
//! an ad request's context text); without it, the keyword matcher applies.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use hearth_cli::catalog_source::Base64;
use hearth_cli::classifier::{Example, TrainOptions, train};
use hearth_cli::publish::{self, Overrides};
use hearth_cli::sample;
use hearth_core::catalog::bundle::{self, PublicKey, SigningKey};
use hearth_core::classifier::BLOB_KEY;
use hearth_core::clock::DAY_MS;
use hearth_core::error::CatalogRule;
use hearth_core::profile::Event;
use hearth_core::select::{AdContext, RequestContext};
use hearth_core::taxonomy::Taxonomy;
use hearth_core::{Engine, Error, ManualClock};
use hearth_tests::{T0, config};

const SOCCER: &str = "533";
const COOKING: &str = "216";
const RUNNING: &str = "227";
/// 2026-01-01T00:00:00Z, when the sample catalog starts.
const SAMPLE_VALID_FROM: i64 = 1_767_225_600_000;

/// Texts for three topics, in words the keyword matcher does not know.
fn examples() -> Vec<Example> {
    let vocab = [
        (
            SOCCER,
            [
                "striker",
                "penalty",
                "goalkeeper",
                "offside",
                "midfielder",
                "derby",
            ],
        ),
        (
            COOKING,
            ["risotto", "simmer", "saute", "braise", "whisk", "skillet"],
        ),
        (
            RUNNING,
            [
                "marathon",
                "sneakers",
                "treadmill",
                "tempo",
                "cadence",
                "stride",
            ],
        ),
    ];
    let filler = ["the", "a", "best", "tips", "today", "new"];
    let mut rows = Vec::new();
    for i in 0..36usize {
        for (label, w) in &vocab {
            rows.push(Example {
                text: format!(
                    "{} {} {} {}",
                    filler[i % 6],
                    w[i % 6],
                    w[(i / 6) % 6],
                    filler[(i + 3) % 6]
                ),
                label: (*label).to_string(),
            });
        }
    }
    rows
}

fn model_bytes(rows: &[Example]) -> Vec<u8> {
    let opts = TrainOptions {
        bucket_bits: Some(12),
        epochs: 5,
        ..TrainOptions::default()
    };
    let t = train(rows, &opts).unwrap();
    assert_eq!(t.train_accuracy, 1.0);
    t.bytes
}

/// The sample catalog, version `version`, with `blob` as its `classifier/1`
/// (if any), sealed without the publisher's checks (so hostile blobs get
/// through to the phone).
fn bundle_with(key: &SigningKey, version: u64, blob: Option<Vec<u8>>) -> Vec<u8> {
    let mut src = sample::sample_source().unwrap();
    if let Some(b) = blob {
        src.models.blobs.0.push((BLOB_KEY.into(), Base64(b)));
    }
    let (cat, h) = src.to_model();
    bundle::seal(&cat, version, h.created_at_ms, h.expires_at_ms, key).unwrap()
}

struct Fx {
    _dir: tempfile::TempDir,
    engine: Engine,
    key: SigningKey,
    dir: std::path::PathBuf,
    clock: Arc<ManualClock>,
}

fn open(key: SigningKey) -> Fx {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(SAMPLE_VALID_FROM + T0 % DAY_MS));
    let engine = open_at(dir.path(), &clock, &key.public_key());
    Fx {
        dir: dir.path().to_path_buf(),
        _dir: dir,
        engine,
        key,
        clock,
    }
}

fn open_at(dir: &std::path::Path, clock: &Arc<ManualClock>, public: &PublicKey) -> Engine {
    let mut cfg = config(dir, clock);
    cfg.trusted_keys = vec![*public];
    let e = Engine::open(cfg).unwrap();
    e.set_consent(hearth_core::state::Consent::Personalised)
        .unwrap();
    e
}

fn interest_ids(e: &Engine) -> Vec<String> {
    e.interests()
        .unwrap()
        .into_iter()
        .map(|i| i.topic_id)
        .collect()
}

#[test]
fn a_shipped_classifier_gives_searches_their_topics() {
    let fx = open(SigningKey::generate().unwrap());
    let e = &fx.engine;
    e.install_catalog(bundle_with(&fx.key, 1, Some(model_bytes(&examples()))))
        .unwrap();
    let cat = e.catalog().unwrap().unwrap();
    assert!(cat.classifier.is_some());
    // The blob is decoded once and not kept twice.
    assert!(cat.catalog.models.blobs.iter().all(|(k, _)| k != BLOB_KEY));

    // A query in words no topic label has: the classifier finds running.
    let out = e
        .record(&Event::search("tempo run on the treadmill", &[]))
        .unwrap();
    assert_eq!(out.topics_updated, 1);
    let ids = interest_ids(e);
    assert_eq!(ids.first().map(String::as_str), Some(RUNNING), "{ids:?}");
    assert!(!ids.iter().any(|t| t == SOCCER || t == COOKING), "{ids:?}");

    // A search naming topics keeps just those.
    e.record(&Event::search("striker penalty derby", &[COOKING]))
        .unwrap();
    let ids = interest_ids(e);
    assert!(ids.iter().any(|t| t == COOKING), "{ids:?}");
    assert!(!ids.iter().any(|t| t == SOCCER), "{ids:?}");

    // Reopened, the stored catalog's classifier is decoded again.
    drop(fx.engine);
    let e = open_at(&fx.dir, &fx.clock, &fx.key.public_key());
    assert!(e.catalog().unwrap().unwrap().classifier.is_some());
    e.record(&Event::search("offside striker", &[])).unwrap();
    assert!(interest_ids(&e).iter().any(|t| t == SOCCER));

    // An ad request's context text is classified too.
    let tax = Taxonomy::iab().unwrap();
    let cat = e.catalog().unwrap().unwrap();
    let ctx = AdContext {
        text: Some("braise and simmer".into()),
        ..AdContext::default()
    };
    let r = RequestContext::resolve_with(&ctx, &tax, cat.classifier.as_deref()).unwrap();
    assert_eq!(r.topics, vec![tax.idx(COOKING).unwrap()]);
    let keyword = RequestContext::resolve(&ctx, &tax).unwrap();
    assert!(keyword.topics.is_empty());
}

#[test]
fn without_a_classifier_the_keyword_matcher_applies() {
    let fx = open(SigningKey::generate().unwrap());
    let e = &fx.engine;
    e.install_catalog(bundle_with(&fx.key, 1, None)).unwrap();
    assert!(e.catalog().unwrap().unwrap().classifier.is_none());
    // The classifier's vocabulary means nothing to the keyword matcher…
    let out = e
        .record(&Event::search("tempo run on the treadmill", &[]))
        .unwrap();
    assert_eq!(out.topics_updated, 0);
    assert!(interest_ids(e).is_empty());
    // …but topic label words do.
    e.record(&Event::search("soccer tickets", &[])).unwrap();
    assert_eq!(interest_ids(e).first().map(String::as_str), Some(SOCCER));
}

#[test]
fn a_bad_classifier_blob_refuses_the_catalog_with_a_typed_error() {
    let fx = open(SigningKey::generate().unwrap());
    let e = &fx.engine;
    e.install_catalog(bundle_with(&fx.key, 1, None)).unwrap();
    let good = model_bytes(&examples());
    let rule = |version: u64, blob: Vec<u8>| match e.install_catalog(bundle_with(
        &fx.key,
        version,
        Some(blob),
    )) {
        Err(Error::CatalogInvalid { path, rule, detail }) => {
            assert!(path.starts_with("models.blobs["), "{path}");
            assert!(!detail.is_empty());
            rule
        }
        other => panic!("{other:?}"),
    };
    // Truncated, garbage, trailing bytes, a future format.
    assert_eq!(rule(2, good[..good.len() / 2].to_vec()), CatalogRule::Model);
    assert_eq!(
        rule(2, vec![1, 0xff, 0xff, 0xff, 0xff, 0x0f]),
        CatalogRule::Model
    );
    let mut trailing = good.clone();
    trailing.push(0);
    assert_eq!(rule(2, trailing), CatalogRule::Model);
    let mut future = good.clone();
    future[0] = 2;
    assert_eq!(rule(2, future), CatalogRule::Model);
    // Labels that are not topic ids, or are sensitive topics.
    let mut rows = examples();
    for r in rows.iter_mut().filter(|r| r.label == COOKING) {
        r.label = "cooking".into();
    }
    assert_eq!(rule(2, model_bytes(&rows)), CatalogRule::DanglingReference);
    let tax = Taxonomy::iab().unwrap();
    let sensitive = (0..tax.len() as u32)
        .find(|&i| tax.is_sensitive(i))
        .map(|i| tax.get(i).unwrap().id.clone())
        .unwrap();
    for r in rows.iter_mut().filter(|r| r.label == "cooking") {
        r.label.clone_from(&sensitive);
    }
    assert_eq!(rule(2, model_bytes(&rows)), CatalogRule::SensitiveTopic);

    // The first catalog keeps serving, without a classifier.
    let cat = e.catalog().unwrap().unwrap();
    assert_eq!(cat.header.catalog_version, 1);
    assert!(cat.classifier.is_none());

    // The publisher's build refuses the same blobs before signing.
    let mut src = sample::sample_source().unwrap();
    src.models
        .blobs
        .0
        .push((BLOB_KEY.into(), Base64(model_bytes(&rows))));
    let err = publish::build(&src, &Overrides::default(), &fx.key, &tax, "src").unwrap_err();
    let text = format!("{err:?}");
    assert!(text.contains("models.blobs.classifier/1"), "{text}");
    assert!(text.contains("sensitive-topic"), "{text}");
}
