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
        recent_item_ids: Vec::new(),
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
        assert!(e.record(view(&["227", "225"])).unwrap());
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
    let cfg = config(dir.path(), [2; 32], vec![public_key]);
    let e = Engine::open_with_clock(cfg, Arc::clone(&clock)).unwrap();
    e.install_catalog(bundle).unwrap();
    for _ in 0..5 {
        e.record(view(&["227", "225"])).unwrap();
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
        e.record(view(&["no-such-topic"])),
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
                        e.record(view(&[topic])).unwrap();
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

// ---------------------------------------------------------------------------
// hostile arguments (issue #9 item 4; the Kotlin and Swift sides are
// tests/kotlin/HostileTest.kt and tests/swift/hostile.swift)
// ---------------------------------------------------------------------------

const TEN_MB: usize = 10 * 1024 * 1024;

fn invalid_argument<T: std::fmt::Debug>(r: Result<T, HearthError>, want: &str) {
    match r {
        Err(HearthError::InvalidArgument { ref name, .. }) if name == want => {}
        other => panic!("expected InvalidArgument({want}), got {other:?}"),
    }
}

fn invalid_config<T: std::fmt::Debug>(r: Result<T, HearthError>, want: &str) {
    match r {
        Err(HearthError::InvalidConfig { ref field, .. }) if field == want => {}
        other => panic!("expected InvalidConfig({want}), got {other:?}"),
    }
}

fn item(id: &str, topics: &[&str]) -> ContentItem {
    ContentItem {
        id: id.into(),
        topics: topics.iter().map(|t| t.to_string()).collect(),
        embedding: Vec::new(),
        published_at_ms: None,
    }
}

#[test]
fn hostile_config_is_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let base = || config(dir.path(), [1; 32], Vec::new());
    let limits = |l: EngineLimits| EngineConfig {
        limits: l,
        ..base()
    };
    for x in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.5, 1.5] {
        invalid_config(
            Engine::open(limits(EngineLimits {
                exploration: Some(x),
                ..EngineLimits::default()
            })),
            "ads.exploration",
        );
    }
    for x in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.0, -1.0, 8.5] {
        invalid_config(
            Engine::open(limits(EngineLimits {
                report_epsilon_per_metric: Some(x),
                ..EngineLimits::default()
            })),
            "reports.epsilon_per_metric",
        );
    }
    for x in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -1.0] {
        invalid_config(
            Engine::open(limits(EngineLimits {
                report_weekly_cap_per_metric: Some(x),
                ..EngineLimits::default()
            })),
            "reports.weekly_cap_per_metric",
        );
    }
    for x in [-1, i64::MIN] {
        invalid_config(
            Engine::open(limits(EngineLimits {
                min_ad_gap_ms: Some(x),
                ..EngineLimits::default()
            })),
            "ads.min_gap_ms",
        );
    }
    for x in [0, 51, u32::MAX] {
        invalid_config(
            Engine::open(limits(EngineLimits {
                max_slots: Some(x),
                ..EngineLimits::default()
            })),
            "ads.max_slots",
        );
    }
    invalid_config(
        Engine::open(limits(EngineLimits {
            flush_interval_ms: Some(u64::MAX),
            ..EngineLimits::default()
        })),
        "flush_interval_ms",
    );
    for k in [0, 31, 33, TEN_MB] {
        invalid_argument(
            Engine::open(EngineConfig {
                key: vec![1; k],
                ..base()
            }),
            "key",
        );
    }
    invalid_argument(
        Engine::open(EngineConfig {
            trusted_keys: vec![vec![1; 32], Vec::new()],
            ..base()
        }),
        "trusted_keys",
    );
    // Storage directories that cannot be one: I/O errors, nothing created.
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    for bad in [
        String::new(),
        "a".repeat(TEN_MB),
        format!("{}/nul\0byte", dir.path().display()),
        file.display().to_string(),
    ] {
        let r = Engine::open(EngineConfig {
            storage_dir: bad,
            ..base()
        });
        assert!(matches!(r, Err(HearthError::Io { .. })), "{r:?}");
    }
    // Extreme but valid limits open.
    Engine::open(limits(EngineLimits {
        max_ads_per_hour: Some(u32::MAX),
        max_ads_per_day: Some(0),
        min_ad_gap_ms: Some(i64::MAX),
        dismiss_limit: Some(u32::MAX),
        max_catalog_bytes: Some(u64::MAX),
        exploration: Some(-0.0),
        ..EngineLimits::default()
    }))
    .unwrap()
    .close()
    .unwrap();
    // eraseStorage of paths that hold no state.
    assert_eq!(erase_storage(String::new()), Ok(()));
    assert_eq!(erase_storage("a".repeat(TEN_MB)), Ok(()));
    assert!(matches!(
        erase_storage(file.display().to_string()),
        Err(HearthError::Io { .. })
    ));
}

#[test]
fn hostile_arguments_are_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (bundle, public_key) = sample_bundle(1);
    let e = Engine::open(config(dir.path(), [1; 32], vec![public_key])).unwrap();
    let huge = "7".repeat(TEN_MB);

    // Events.
    match e.record(view(&[&huge])) {
        Err(HearthError::UnknownTopic { topic_id }) => assert!(topic_id.len() < 100),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        e.record(view(&[""])),
        Err(HearthError::UnknownTopic {
            topic_id: String::new()
        })
    );
    let dup = e
        .record_batch(vec![TimedEvent {
            event: view(&["227", "227"]),
            at_ms: None,
        }])
        .unwrap();
    assert_eq!(dup[0].topics_updated, 1);
    invalid_argument(e.record(view(&["227"; 33])), "topics");
    invalid_argument(
        e.record(Event::Search {
            query: huge.clone(),
            topics: Vec::new(),
        }),
        "query",
    );
    for v in [-1, i64::MIN, i64::MAX] {
        invalid_argument(
            e.record(Event::Purchase {
                topics: vec!["227".into()],
                value_micros: Some(v),
            }),
            "value_micros",
        );
    }
    for name in [String::new(), huge.clone()] {
        invalid_argument(
            e.record(Event::Custom {
                name,
                topics: Vec::new(),
            }),
            "name",
        );
    }
    assert!(matches!(
        e.record(Event::Feedback {
            topic: String::new(),
            feedback: hearth_ffi::TopicFeedback::Hide
        }),
        Err(HearthError::UnknownTopic { .. })
    ));
    // Before 1970: too old, not applied; in year 292 million: counts as now.
    assert!(!e.record_at(view(&["227"]), i64::MIN).unwrap());
    assert!(e.record_at(view(&["227"]), i64::MAX).unwrap());
    let old = e
        .record_batch(vec![TimedEvent {
            event: Event::ContentView {
                topics: vec!["227".into()],
                dwell_ms: Some(u64::MAX),
            },
            at_ms: Some(-1),
        }])
        .unwrap();
    assert_eq!(old[0].status, RecordStatus::TooOld);

    // Profile controls.
    assert!(matches!(
        e.remove_interest(huge.clone()),
        Err(HearthError::UnknownTopic { ref topic_id }) if topic_id.len() < 100
    ));
    assert!(matches!(
        e.allow_interest(String::new()),
        Err(HearthError::UnknownTopic { .. })
    ));
    invalid_argument(e.remove_trait(huge.clone()), "trait_id");
    invalid_argument(e.remove_trait(String::new()), "trait_id");
    assert_eq!(e.allow_trait(huge.clone()), Ok(false));
    assert_eq!(e.unhide_advertiser(huge.clone()), Ok(false));
    assert_eq!(e.unhide_advertiser(String::new()), Ok(false));

    // Catalog bytes.
    assert!(matches!(
        e.install_catalog(Vec::new()),
        Err(HearthError::CatalogTruncated { .. })
    ));
    let mut junk = vec![0u8; TEN_MB];
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    for b in &mut junk {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
    assert!(matches!(
        e.install_catalog(junk),
        Err(HearthError::CatalogMalformed { .. })
    ));
    for cut in [1, 8, 16, 64, bundle.len() - 1] {
        let r = e.install_catalog(bundle[..cut].to_vec());
        assert!(
            matches!(
                r,
                Err(HearthError::CatalogTruncated { .. } | HearthError::CatalogMalformed { .. })
            ),
            "cut {cut}: {r:?}"
        );
    }
    let mut longer = bundle.clone();
    longer.extend_from_slice(&[0; 100]);
    let r = e.install_catalog(longer);
    assert!(
        matches!(
            r,
            Err(HearthError::CatalogMalformed { .. } | HearthError::CatalogBadSignature)
        ),
        "{r:?}"
    );
    assert_eq!(e.catalog(), Ok(None));
    e.install_catalog(bundle).unwrap();

    // Ad requests.
    let req = |f: &dyn Fn(&mut AdRequest)| {
        let mut r = request();
        f(&mut r);
        r
    };
    invalid_argument(
        e.select_ads(req(&|r| r.placement_id = String::new())),
        "placement_id",
    );
    invalid_argument(
        e.select_ads(req(&|r| r.placement_id = "p".repeat(TEN_MB))),
        "placement_id",
    );
    for s in [0, 11, u32::MAX] {
        invalid_argument(e.select_ads(req(&|r| r.slots = s)), "slots");
    }
    // i32::MIN: the core's `abs()` overflowed (a panic in debug builds, the
    // value accepted in release builds).
    for m in [841, -841, i32::MAX, i32::MIN, i32::MIN + 1] {
        invalid_argument(
            e.select_ads(req(&|r| r.context.utc_offset_minutes = m)),
            "context.utc_offset_minutes",
        );
    }
    invalid_argument(
        e.select_ads(req(&|r| r.context.text = Some("t".repeat(TEN_MB)))),
        "context.text",
    );
    invalid_argument(
        e.select_ads(req(&|r| r.context.locale = Some(String::new()))),
        "context.locale",
    );
    invalid_argument(
        e.select_ads(req(&|r| r.context.country = Some("D".repeat(TEN_MB)))),
        "context.country",
    );
    invalid_argument(
        e.select_ads(req(&|r| r.context.topics = vec!["483".into(); 33])),
        "context.topics",
    );
    assert!(matches!(
        e.select_ads(req(&|r| r.context.topics = vec![String::new()])),
        Err(HearthError::UnknownTopic { .. })
    ));
    // Duplicate context topics are one topic.
    e.select_ads(req(&|r| r.context.topics = vec!["483".into(); 32]))
        .unwrap();

    // Ad tokens and conversion URLs.
    for t in [
        String::new(),
        huge.clone(),
        format!("t1-{}", "é".repeat(20)),
    ] {
        assert_eq!(
            e.record_ad_event(t, AdEventKind::Click),
            Err(HearthError::InvalidAdToken)
        );
    }
    invalid_argument(e.record_conversion_url(huge.clone()), "url");
    assert_eq!(e.record_conversion_url(String::new()), Ok(false));
    assert_eq!(e.acknowledge(u64::MAX), Ok(false));

    // Ranking.
    invalid_argument(
        e.rank_items(vec![item("", &[])], RankOptions::default()),
        "id",
    );
    invalid_argument(
        e.rank_items(vec![item(&huge, &[])], RankOptions::default()),
        "id",
    );
    invalid_argument(
        e.rank_items(vec![item("a", &[]), item("a", &[])], RankOptions::default()),
        "id",
    );
    assert!(matches!(
        e.rank_items(vec![item("a", &[""])], RankOptions::default()),
        Err(HearthError::UnknownTopic { .. })
    ));
    assert_eq!(
        e.rank_items(vec![item("a", &["227", "227"])], RankOptions::default())
            .unwrap()
            .len(),
        1
    );
    for x in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        let mut it = item("a", &[]);
        it.embedding = vec![0.5, x];
        invalid_argument(e.rank_items(vec![it], RankOptions::default()), "embedding");
    }
    for d in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.1, 1.1] {
        invalid_argument(
            e.rank_items(
                vec![item("a", &[])],
                RankOptions {
                    diversity: d,
                    ..RankOptions::default()
                },
            ),
            "diversity",
        );
    }
    for h in [0, -1, i64::MIN] {
        invalid_argument(
            e.rank_items(
                vec![item("a", &[])],
                RankOptions {
                    freshness_half_life_ms: Some(h),
                    ..RankOptions::default()
                },
            ),
            "freshness_half_life_ms",
        );
    }
    let mut old = item("old", &["227"]);
    old.published_at_ms = Some(i64::MIN);
    let mut new = item("new", &["227"]);
    new.published_at_ms = Some(i64::MAX);
    let ranked = e
        .rank_items(
            vec![old, new],
            RankOptions {
                limit: u32::MAX,
                diversity: 1.0,
                freshness_half_life_ms: Some(i64::MAX),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(ranked.iter().all(|r| r.score.is_finite()), "{ranked:?}");
    // Huge finite, zero and mismatched embeddings, under full diversity (MMR
    // compares the items' embeddings with each other).
    let embedded = |id: &str, emb: Vec<f32>| ContentItem {
        embedding: emb,
        ..item(id, &["227"])
    };
    let ranked = e
        .rank_items(
            vec![
                embedded("max", vec![f32::MAX; 256]),
                embedded("min", vec![f32::MIN, f32::MAX]),
                embedded("zero", vec![0.0; 2]),
                embedded("tiny", vec![f32::MIN_POSITIVE, -0.0]),
                embedded("three", vec![1.0; 3]),
            ],
            RankOptions {
                diversity: 1.0,
                ..RankOptions::default()
            },
        )
        .unwrap();
    assert_eq!(ranked.len(), 5);
    assert!(
        ranked
            .iter()
            .all(|r| r.score.is_finite() && (0.0..=1.5).contains(&r.score)),
        "{ranked:?}"
    );
    invalid_argument(
        e.rank_items(
            vec![embedded("big", vec![0.0; 257])],
            RankOptions::default(),
        ),
        "embedding",
    );
    invalid_argument(
        e.rank_items(
            (0..10_001).map(|i| item(&i.to_string(), &[])).collect(),
            RankOptions::default(),
        ),
        "items",
    );

    // The auditor.
    for m in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -1.0] {
        invalid_argument(audit_payloads(Vec::new(), Some(m)), "max_epsilon");
    }
    let v = audit_payloads(vec![huge.clone(), String::new(), "[".repeat(100_000)], None).unwrap();
    assert!(!v.passed);
    assert_eq!(v.payloads, 2);
    assert!(v.violations.iter().all(|x| x.rule == "json"), "{v:?}");
    assert!(audit_payloads(vec![String::new(); 3], None).unwrap().passed);

    e.close().unwrap();
}

/// Every call the engine has, on `e`: each result must be a success or an
/// error `allowed` lets through (`allowed(None)`: whether a success is fine).
fn every_call(e: &Arc<Engine>, bundle: &[u8], allowed: &dyn Fn(Option<&HearthError>) -> bool) {
    fn chk<T>(
        what: &str,
        r: Result<T, HearthError>,
        allowed: &dyn Fn(Option<&HearthError>) -> bool,
    ) {
        let err = r.err();
        assert!(allowed(err.as_ref()), "{what}: {err:?}");
    }
    chk("record_at", e.record_at(view(&["227"]), 0), allowed);
    chk("record", e.record(view(&["227"])), allowed);
    chk(
        "record_batch",
        e.record_batch(vec![TimedEvent {
            event: view(&["533"]),
            at_ms: None,
        }]),
        allowed,
    );
    chk("interests", e.interests(), allowed);
    chk("remove_interest", e.remove_interest("533".into()), allowed);
    chk("allow_interest", e.allow_interest("533".into()), allowed);
    chk("suppressed_topics", e.suppressed_topics(), allowed);
    chk("traits", e.traits(), allowed);
    chk(
        "remove_trait",
        e.remove_trait("spending_tier".into()),
        allowed,
    );
    chk(
        "allow_trait",
        e.allow_trait("spending_tier".into()),
        allowed,
    );
    chk("consent", e.consent(), allowed);
    chk("set_consent", e.set_consent(Consent::Personalised), allowed);
    chk("export", e.export(), allowed);
    chk(
        "install_catalog",
        e.install_catalog(bundle.to_vec()),
        allowed,
    );
    chk("catalog", e.catalog(), allowed);
    let ads = e.select_ads(request());
    if let Ok(r) = &ads {
        for c in &r.choices {
            // Another thread's `reset()` may forget the ad in between.
            chk(
                "record_ad_event",
                e.record_ad_event(c.token.clone(), AdEventKind::Impression),
                &|err| allowed(err) || (allowed(None) && err == Some(&HearthError::AdTokenExpired)),
            );
        }
    }
    chk("select_ads", ads, allowed);
    chk(
        "record_ad_event",
        e.record_ad_event("forged".into(), AdEventKind::Click),
        // A forged token is refused, unless the engine is closed.
        &|err| allowed(err) || (allowed(None) && err == Some(&HearthError::InvalidAdToken)),
    );
    chk(
        "record_conversion_url",
        e.record_conversion_url("https://example.invalid/".into()),
        allowed,
    );
    chk("ad_history", e.ad_history(), allowed);
    chk("hidden_advertisers", e.hidden_advertisers(), allowed);
    chk(
        "unhide_advertiser",
        e.unhide_advertiser("a".into()),
        allowed,
    );
    chk(
        "rank_items",
        e.rank_items(vec![item("a", &["227"])], RankOptions::default()),
        allowed,
    );
    chk("pending_reports", e.pending_reports(), allowed);
    chk("acknowledge", e.acknowledge(1), allowed);
    chk("sent_reports", e.sent_reports(), allowed);
    chk("privacy_budget", e.privacy_budget(), allowed);
    chk("status", e.status(), allowed);
    chk("flush", e.flush(), allowed);
    chk("reset", e.reset(), allowed);
}

#[test]
fn a_manual_clock_at_the_ends_of_time() {
    let (bundle, public_key) = sample_bundle(1);
    for start in [i64::MIN, -1, 0, i64::MAX] {
        let dir = tempfile::tempdir().unwrap();
        let clock = ManualClock::new(start);
        let e = Engine::open_with_clock(
            config(dir.path(), [1; 32], vec![public_key.clone()]),
            Arc::clone(&clock),
        )
        .unwrap();
        let t = std::time::Instant::now();
        // A catalog offered when the clock says 9999 has expired.
        every_call(&e, &bundle, &|err| {
            matches!(err, None | Some(HearthError::CatalogExpired { .. }))
        });
        for to in [i64::MAX, i64::MIN, now_ms(), i64::MAX] {
            clock.set(to);
            every_call(&e, &bundle, &|err| {
                matches!(err, None | Some(HearthError::CatalogExpired { .. }))
            });
        }
        clock.advance(i64::MAX);
        clock.advance(i64::MIN);
        clock.advance(i64::MIN);
        assert_eq!(clock.now_ms(), i64::MIN);
        every_call(&e, &bundle, &|err| {
            matches!(err, None | Some(HearthError::CatalogExpired { .. }))
        });
        e.close().unwrap();
        eprintln!("clock from {start}: {:?}", t.elapsed());
    }
}

#[test]
fn every_call_after_close_is_closed_even_while_other_threads_call() {
    let (bundle, public_key) = sample_bundle(1);
    let dir = tempfile::tempdir().unwrap();
    let e = Engine::open(config(dir.path(), [1; 32], vec![public_key.clone()])).unwrap();
    e.install_catalog(bundle.clone()).unwrap();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (e, bundle, stop) = (Arc::clone(&e), bundle.clone(), Arc::clone(&stop));
            std::thread::spawn(move || {
                // Rounds until one that starts after close() returned.
                loop {
                    let last = stop.load(std::sync::atomic::Ordering::Acquire);
                    every_call(&e, &bundle, &|err| {
                        matches!(err, None | Some(HearthError::Closed))
                    });
                    if last {
                        break;
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(50));
    e.close().unwrap();
    stop.store(true, std::sync::atomic::Ordering::Release);
    for w in workers {
        w.join().unwrap();
    }
    // After close: every call is Closed, close again is harmless.
    every_call(&e, &bundle, &|err| err == Some(&HearthError::Closed));
    assert_eq!(e.close(), Ok(()));
}

#[test]
fn a_manual_clock_outlives_its_foreign_references() {
    // Kotlin's `clock.close()` releases the foreign side's reference, yet its
    // generated code may still lower the closed clock as an argument of
    // `Engine.openWithClock` (uniffi 0.32 clones the handle unchecked): the
    // clock must never be freed, or that clone reads freed memory (a SIGSEGV,
    // found by tests/kotlin/HostileTest.kt).
    let clock = ManualClock::new(0);
    assert_eq!(Arc::strong_count(&clock), 2);
    let dir = tempfile::tempdir().unwrap();
    let e = Engine::open_with_clock(config(dir.path(), [1; 32], Vec::new()), Arc::clone(&clock))
        .unwrap();
    e.close().unwrap();
    drop(e);
    assert_eq!(Arc::strong_count(&clock), 2);
}
