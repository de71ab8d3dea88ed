//! The exported API driven from Rust: the same surface the Kotlin and Swift
//! tests use (tests/kotlin, tests/swift), minus the foreign runtime. Checks
//! the conversions and the error mapping, not the engine's behaviour (which
//! hearth-core's own tests cover).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use hearth_core::catalog::bundle::{SigningKey, seal};
use hearth_ffi::{
    AdContext, AdEventKind, AdRequest, CatalogRule, Consent, ContentItem, Engine, EngineConfig,
    EngineLimits, Event, HearthError, InstallOutcome, ManualClock, NoFill, RankOptions,
    RecordStatus, TimedEvent, audit_payloads, erase_storage,
};

const DAY_MS: i64 = 86_400_000;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// The sample catalog signed by a fresh key, re-dated so that it and every
/// campaign's flight are current whatever today's date is.
fn sample_bundle(version: u64) -> (Vec<u8>, Vec<u8>) {
    let key = SigningKey::generate().unwrap();
    let built = hearth_cli::sample::build_sample(&key).unwrap();
    let mut catalog = built.catalog;
    let now = now_ms();
    for c in &mut catalog.campaigns {
        c.flight.start_ms = now - 30 * DAY_MS;
        c.flight.end_ms = now + 365 * DAY_MS;
    }
    let bundle = seal(&catalog, version, now - DAY_MS, now + 365 * DAY_MS, &key).unwrap();
    (bundle, key.public_key().0.to_vec())
}

fn config(dir: &std::path::Path, key: [u8; 32], trusted: Vec<Vec<u8>>) -> EngineConfig {
    EngineConfig {
        storage_dir: dir.display().to_string(),
        key: key.to_vec(),
        trusted_keys: trusted,
        default_consent: Some(Consent::Personalised),
        limits: EngineLimits::default(),
        selection_seed: Some(3),
        clock: None,
    }
}

fn view(topics: &[&str]) -> Event {
    Event::ContentView {
        topics: topics.iter().map(|t| t.to_string()).collect(),
        dwell_ms: Some(30_000),
    }
}

fn request() -> AdRequest {
    AdRequest {
        placement_id: "feed".into(),
        slots: 3,
        context: AdContext {
            topics: vec!["483".into()],
            locale: Some("de-DE".into()),
            country: Some("DE".into()),
            utc_offset_minutes: 60,
            ..AdContext::default()
        },
    }
}

#[test]
fn full_flow_through_the_exported_api() {
    let dir = tempfile::tempdir().unwrap();
    let (bundle, public_key) = sample_bundle(1);
    let e = Engine::open(config(dir.path(), [1; 32], vec![public_key])).unwrap();
    assert_eq!(
        e.install_catalog(bundle.clone()).unwrap(),
        InstallOutcome::Installed { version: 1 }
    );
    assert_eq!(
        e.install_catalog(bundle).unwrap(),
        InstallOutcome::AlreadyInstalled { version: 1 }
    );
    let cat = e.catalog().unwrap().unwrap();
    assert_eq!(e.status().unwrap().catalog, Some(cat));

    for _ in 0..5 {
        assert_eq!(
            e.record(view(&["227", "225"]), None).unwrap().status,
            RecordStatus::Recorded
        );
    }
    let outs = e
        .record_batch(vec![
            TimedEvent {
                event: view(&["533"]),
                at_ms: None,
            },
            TimedEvent {
                event: view(&["533"]),
                at_ms: Some(now_ms() - 200 * DAY_MS),
            },
        ])
        .unwrap();
    assert_eq!(outs[1].status, RecordStatus::TooOld);
    assert!(e.interests().unwrap().iter().any(|i| i.topic_id == "227"));

    let resp = e.select_ads(request()).unwrap();
    assert_eq!(resp.no_fill, None);
    let ad = resp.choices.first().unwrap();
    assert!(
        e.record_ad_event(ad.token.clone(), AdEventKind::Impression)
            .unwrap()
            .counted
    );
    assert!(
        e.record_ad_event(ad.token.clone(), AdEventKind::Click)
            .unwrap()
            .counted
    );
    assert_eq!(
        e.ad_history().unwrap()[0].reactions,
        vec![AdEventKind::Click]
    );
    assert!(matches!(
        e.select_ads(request()).unwrap().no_fill,
        Some(NoFill::TooSoon { .. })
    ));

    let items = vec![
        ContentItem {
            id: "cooking".into(),
            topics: vec!["216".into()],
            embedding: Vec::new(),
            published_at_ms: None,
        },
        ContentItem {
            id: "run".into(),
            topics: vec!["227".into()],
            embedding: Vec::new(),
            published_at_ms: None,
        },
    ];
    let ranked = e.rank_items(items, RankOptions::default()).unwrap();
    assert_eq!(ranked[0].id, "run");

    let export: serde_json::Value = serde_json::from_str(&e.export().unwrap()).unwrap();
    assert_eq!(export["format"], "hearth-export/1");
    assert_eq!(e.privacy_budget().unwrap().metrics.len(), 3);
    assert!(!e.acknowledge(123_456).unwrap());

    e.set_consent(Consent::Off).unwrap();
    assert!(e.interests().unwrap().is_empty());
    e.reset().unwrap();
    e.close().unwrap();
    assert_eq!(e.interests(), Err(HearthError::Closed));
}

#[test]
fn a_manual_clock_lets_a_simulated_day_close_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let (bundle, public_key) = sample_bundle(1);
    let clock = ManualClock::new(now_ms());
    let mut cfg = config(dir.path(), [2; 32], vec![public_key]);
    cfg.clock = Some(Arc::clone(&clock));
    let e = Engine::open(cfg).unwrap();
    e.install_catalog(bundle).unwrap();
    for _ in 0..5 {
        e.record(view(&["227", "225"]), None).unwrap();
    }
    let ad = e.select_ads(request()).unwrap().choices.remove(0);
    e.record_ad_event(ad.token, AdEventKind::Impression)
        .unwrap();
    // Today's report is still open: nothing to upload yet.
    assert!(e.pending_reports().unwrap().is_empty());
    clock.advance(DAY_MS + 60_000);
    let pending = e.pending_reports().unwrap();
    assert_eq!(pending.len(), 1, "{pending:?}");
    // Moving the clock back does not reopen the day or duplicate the report.
    clock.advance(-3 * DAY_MS);
    assert_eq!(e.pending_reports().unwrap(), pending);
    // The on-device auditor passes the real payload and catches a doctored one.
    let payload = pending[0].payload.clone();
    let verdict = audit_payloads(vec![payload.clone()], None).unwrap();
    assert!(verdict.passed, "{verdict:?}");
    assert_eq!(verdict.payloads, 1);
    assert!(
        verdict.summary.starts_with("verdict: PASS"),
        "{}",
        verdict.summary
    );
    let doctored = payload.replacen('{', "{\"device_id\":\"abc\",", 1);
    let verdict = audit_payloads(vec![payload.clone(), doctored], Some(1.0)).unwrap();
    assert!(!verdict.passed);
    assert!(
        verdict
            .violations
            .iter()
            .any(|v| v.index == 2 && v.rule == "extra-field"),
        "{verdict:?}"
    );
    assert!(verdict.violations.iter().all(|v| v.index == 2));
    let strict = audit_payloads(vec![payload], Some(0.5)).unwrap();
    assert!(strict.violations.iter().any(|v| v.rule == "max-epsilon"));
    assert!(matches!(
        audit_payloads(Vec::new(), Some(f64::NAN)),
        Err(HearthError::InvalidArgument { .. })
    ));
    assert!(e.acknowledge(pending[0].handle).unwrap());
    assert_eq!(e.sent_reports().unwrap().len(), 1);
    // Saturating, never overflowing, at the ends of time.
    clock.set(i64::MAX - 1);
    clock.advance(10);
    assert_eq!(clock.now_ms(), i64::MAX);
}

#[test]
fn errors_are_typed() {
    let dir = tempfile::tempdir().unwrap();
    let (bundle, public_key) = sample_bundle(1);
    let bad_key = Engine::open(EngineConfig {
        key: vec![0; 31],
        ..config(dir.path(), [1; 32], Vec::new())
    });
    assert!(matches!(bad_key, Err(HearthError::InvalidArgument { ref name, .. }) if name == "key"));

    let e = Engine::open(config(dir.path(), [1; 32], vec![public_key])).unwrap();
    assert!(matches!(
        Engine::open(config(dir.path(), [1; 32], Vec::new())),
        Err(HearthError::AlreadyOpen { .. })
    ));
    assert!(matches!(
        e.install_catalog(vec![1, 2, 3]),
        Err(HearthError::CatalogMalformed { .. })
    ));
    let mut flipped = bundle.clone();
    flipped[200] ^= 1;
    assert_eq!(
        e.install_catalog(flipped),
        Err(HearthError::CatalogBadSignature)
    );
    let half = bundle.len() / 2;
    assert!(matches!(
        e.install_catalog(bundle[..half].to_vec()),
        Err(HearthError::CatalogTruncated { actual, .. }) if actual == half as u64
    ));
    assert_eq!(
        e.record(view(&["no-such-topic"]), None),
        Err(HearthError::UnknownTopic {
            topic_id: "no-such-topic".into()
        })
    );
    e.install_catalog(bundle).unwrap();
    let mut zero = request();
    zero.slots = 0;
    assert!(matches!(
        e.select_ads(zero),
        Err(HearthError::InvalidArgument { ref name, .. }) if name == "slots"
    ));
    assert_eq!(
        e.record_ad_event("forged".into(), AdEventKind::Click),
        Err(HearthError::InvalidAdToken)
    );
    e.close().unwrap();

    let wrong = Engine::open(config(dir.path(), [2; 32], Vec::new()));
    assert!(
        matches!(wrong, Err(HearthError::StoreWrongKey { .. })),
        "{wrong:?}"
    );
    erase_storage(dir.path().display().to_string()).unwrap();
    Engine::open(config(dir.path(), [2; 32], Vec::new()))
        .unwrap()
        .close()
        .unwrap();

    // A catalog structural error carries its path and rule.
    let e: HearthError = hearth_core::Error::CatalogInvalid {
        path: "campaigns[0].id".into(),
        rule: hearth_core::error::CatalogRule::DuplicateId,
        detail: "duplicate".into(),
    }
    .into();
    assert!(matches!(
        e,
        HearthError::CatalogInvalid {
            rule: CatalogRule::DuplicateId,
            ..
        }
    ));
}

#[test]
fn eight_threads_share_one_engine() {
    let dir = tempfile::tempdir().unwrap();
    let (bundle, public_key) = sample_bundle(1);
    let e = Engine::open(config(dir.path(), [1; 32], vec![public_key])).unwrap();
    e.install_catalog(bundle).unwrap();
    let per_thread = 200;
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let e = Arc::clone(&e);
            std::thread::spawn(move || {
                for i in 0..per_thread {
                    if i % 4 == 3 {
                        e.select_ads(request()).unwrap();
                        e.interests().unwrap();
                    } else {
                        let topic = if (t + i) % 2 == 0 { "227" } else { "533" };
                        e.record(view(&[topic]), None).unwrap();
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(e.status().unwrap().events_recorded, 8 * 150);
    e.close().unwrap();
}
