//! End-to-end tests of catalog installation through the engine: every way a
//! bundle can be bad has its own typed error, and the previous catalog keeps
//! serving after each.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::sync::Arc;

use hearth_core::catalog::bundle::{self, SigningKey};
use hearth_core::catalog::model::*;
use hearth_core::clock::DAY_MS;
use hearth_core::engine::InstallOutcome;
use hearth_core::error::CatalogRule;
use hearth_core::state::Consent;
use hearth_core::store::StoreKey;
use hearth_core::taxonomy::Taxonomy;
use hearth_core::{Engine, EngineConfig, Error, ManualClock};

const NOW: i64 = 1_764_460_800_000; // 2025-11-30

fn creative(id: &str) -> Creative {
    Creative {
        id: id.into(),
        kind: CreativeKind::Native,
        title: "Trail shoes, 20% off".into(),
        body: "Grip for wet trails.".into(),
        image_url: Some(format!("https://cdn.example.com/{id}.jpg")),
        click_url: format!("https://shop.example.com/c/{id}"),
        call_to_action: "Shop now".into(),
    }
}

fn set(id: &str, topic: Option<&str>, creatives: &[&str]) -> CreativeSet {
    CreativeSet {
        id: id.into(),
        caps: FrequencyCaps {
            per_hour: 1,
            per_day: 3,
            per_week: 10,
            total: 0,
        },
        min_interval_s: 60,
        include_topics: topic
            .map(|t| TopicTarget {
                topic: t.into(),
                min_weight: 0.5,
            })
            .into_iter()
            .collect(),
        exclude_topics: vec![],
        traits: vec![],
        embedding: vec![],
        item_ids: vec![],
        conversion: None,
        creatives: creatives.iter().map(|c| creative(c)).collect(),
    }
}

fn campaign(id: &str, adv: &str, sets: Vec<CreativeSet>) -> Campaign {
    Campaign {
        id: id.into(),
        advertiser_id: adv.into(),
        priority: 1,
        value_micros: 1_500_000,
        flight: Flight {
            start_ms: NOW - 30 * DAY_MS,
            end_ms: NOW + 60 * DAY_MS,
        },
        daily_cap: 5,
        pass_through_bp: 10_000,
        dayparts: vec![],
        geo: vec!["DE".into()],
        locales: vec!["de".into()],
        os: vec![],
        app_sections: vec![],
        creative_sets: sets,
    }
}

fn catalog() -> Catalog {
    Catalog {
        taxonomy_version: Taxonomy::iab().unwrap().version().into(),
        region: "DE".into(),
        advertisers: vec![
            Advertiser {
                id: "adv-run".into(),
                name: "Trailrunner".into(),
            },
            Advertiser {
                id: "adv-phone".into(),
                name: "Phonehouse".into(),
            },
        ],
        campaigns: vec![
            campaign(
                "c-run",
                "adv-run",
                vec![set("s-run", Some("227"), &["cr-run-1", "cr-run-2"])],
            ),
            campaign(
                "c-phone",
                "adv-phone",
                vec![
                    set("s-phone", Some("635"), &["cr-phone-1"]),
                    set("s-any", None, &["cr-any-1"]),
                ],
            ),
        ],
        models: Models::default(),
    }
}

struct Fx {
    _dir: tempfile::TempDir,
    key: SigningKey,
    engine: Engine,
}

fn config(dir: &Path, key: &SigningKey, clock: &Arc<ManualClock>) -> EngineConfig {
    let mut c = EngineConfig::new(dir, StoreKey::from_bytes([1; 32])).with_clock(clock.clone());
    c.default_consent = Consent::Personalised;
    c.trusted_keys = vec![key.public_key()];
    c
}

fn fx() -> Fx {
    let dir = tempfile::tempdir().unwrap();
    let key = SigningKey::generate().unwrap();
    let clock = Arc::new(ManualClock::new(NOW));
    let engine = Engine::open(config(dir.path(), &key, &clock)).unwrap();
    Fx {
        _dir: dir,
        key,
        engine,
    }
}

impl Fx {
    fn seal(&self, cat: &Catalog, version: u64) -> Vec<u8> {
        bundle::seal(cat, version, NOW - DAY_MS, NOW + 7 * DAY_MS, &self.key).unwrap()
    }
    fn installed_version(&self) -> Option<u64> {
        self.engine.status().unwrap().catalog.map(|c| c.version)
    }
}

#[test]
fn install_status_same_version_and_upgrade() {
    let f = fx();
    let st = f.engine.status().unwrap();
    assert!(!st.selection_ready);
    assert_eq!(
        st.selection_blocked.as_deref(),
        Some("no catalog is installed")
    );

    let b1 = f.seal(&catalog(), 1);
    assert_eq!(
        f.engine.install_catalog(b1.to_vec()).unwrap(),
        InstallOutcome::Installed { version: 1 }
    );
    let st = f.engine.status().unwrap();
    assert!(st.selection_ready, "{:?}", st.selection_blocked);
    let c = st.catalog.unwrap();
    assert_eq!((c.version, c.campaigns, c.creatives), (1, 2, 4));
    assert_eq!(c.key_id, bundle::hex(&f.key.public_key().key_id()));
    assert_eq!(c.bundle_bytes, b1.len() as u64);

    assert_eq!(
        f.engine.install_catalog(b1.to_vec()).unwrap(),
        InstallOutcome::AlreadyInstalled { version: 1 }
    );
    let b2 = f.seal(&catalog(), 2);
    assert_eq!(
        f.engine.install_catalog(b2.to_vec()).unwrap(),
        InstallOutcome::Installed { version: 2 }
    );
    match f.engine.install_catalog(b1.to_vec()) {
        Err(Error::CatalogDowngrade {
            installed: 2,
            offered: 1,
        }) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(f.installed_version(), Some(2));
}

#[test]
fn index_lists_sets_by_topic_and_untargeted() {
    let f = fx();
    f.engine.install_catalog(f.seal(&catalog(), 1)).unwrap();
    let c = f.engine.catalog().unwrap().unwrap();
    let tax = f.engine.taxonomy();
    let run = c.index.sets_for_topics([tax.idx("227").unwrap()]);
    assert_eq!(run.len(), 1);
    let e = &c.index.sets[run[0] as usize];
    assert_eq!(
        c.catalog.campaigns[e.campaign as usize].creative_sets[e.set as usize].id,
        "s-run"
    );
    assert_eq!(c.index.untargeted.len(), 1);
    assert!(
        c.index
            .sets_for_topics([tax.idx("483").unwrap()])
            .is_empty()
    );
}

#[test]
fn every_single_byte_flip_is_rejected_and_the_old_catalog_keeps_serving() {
    let f = fx();
    f.engine.install_catalog(f.seal(&catalog(), 1)).unwrap();
    let b2 = f.seal(&catalog(), 2);
    for i in 0..b2.len() {
        let mut bad = b2.clone();
        bad[i] ^= 0x01;
        let err = f.engine.install_catalog(bad.to_vec());
        assert!(err.is_err(), "flip at byte {i} was accepted");
        assert!(
            matches!(
                err,
                Err(Error::CatalogBadSignature
                    | Error::CatalogMalformed(_)
                    | Error::CatalogTruncated { .. }
                    | Error::CatalogUntrustedKey { .. }
                    | Error::CatalogUnsupportedFormat { .. })
            ),
            "byte {i}: {err:?}"
        );
        assert_eq!(f.installed_version(), Some(1), "byte {i}");
    }
    // Header, body and signature flips map to the documented errors.
    let flip = |i: usize| {
        let mut bad = b2.clone();
        bad[i] ^= 0x01;
        f.engine.install_catalog(bad.to_vec())
    };
    assert!(matches!(flip(0), Err(Error::CatalogMalformed(_))));
    assert!(matches!(flip(12), Err(Error::CatalogBadSignature)));
    assert!(matches!(flip(33), Err(Error::CatalogUntrustedKey { .. })));
    assert!(matches!(flip(60), Err(Error::CatalogBadSignature)));
    assert!(matches!(
        flip(b2.len() - 1),
        Err(Error::CatalogBadSignature)
    ));
}

#[test]
fn each_framing_failure_has_its_own_error() {
    let dir = tempfile::tempdir().unwrap();
    let key = SigningKey::generate().unwrap();
    let clock = Arc::new(ManualClock::new(NOW));
    let mut cfg = config(dir.path(), &key, &clock);
    let f = fx();
    let good = f.seal(&catalog(), 1);
    cfg.max_catalog_bytes = good.len() - 1;
    cfg.trusted_keys = vec![f.key.public_key()];
    let small = Engine::open(cfg).unwrap();
    assert!(matches!(
        small.install_catalog(good.to_vec()),
        Err(Error::CatalogTooLarge { .. })
    ));

    // Wrong key: signed by a key nobody trusts.
    let stranger = SigningKey::generate().unwrap();
    let foreign = bundle::seal(&catalog(), 1, NOW, NOW + DAY_MS, &stranger).unwrap();
    assert!(matches!(
        f.engine.install_catalog(foreign.to_vec()),
        Err(Error::CatalogUntrustedKey { .. })
    ));
    // Truncated anywhere.
    for cut in [0, 10, 43, 44, good.len() / 2, good.len() - 1] {
        assert!(
            matches!(
                f.engine.install_catalog(good[..cut].to_vec()),
                Err(Error::CatalogTruncated { .. })
            ),
            "cut at {cut}"
        );
    }
    // Expired.
    let old = bundle::seal(&catalog(), 1, NOW - 9 * DAY_MS, NOW - DAY_MS, &f.key).unwrap();
    assert!(matches!(
        f.engine.install_catalog(old.to_vec()),
        Err(Error::CatalogExpired { .. })
    ));
    assert_eq!(f.installed_version(), None);
    // A catalog for another taxonomy.
    let mut other = catalog();
    other.taxonomy_version = "some-other-taxonomy".into();
    assert!(matches!(
        f.engine.install_catalog(f.seal(&other, 1).to_vec()),
        Err(Error::CatalogTaxonomyMismatch { .. })
    ));
}

fn invalid(f: &Fx, cat: &Catalog) -> (String, CatalogRule) {
    match f.engine.install_catalog(f.seal(cat, 5).to_vec()) {
        Err(Error::CatalogInvalid { path, rule, .. }) => (path, rule),
        other => panic!("expected CatalogInvalid, got {other:?}"),
    }
}

#[test]
fn structural_errors_name_the_path_and_rule_and_keep_the_old_catalog() {
    let f = fx();
    f.engine.install_catalog(f.seal(&catalog(), 1)).unwrap();

    let mut dup = catalog();
    dup.campaigns[1].creative_sets[0].creatives[0].id = "cr-run-1".into();
    let (path, rule) = invalid(&f, &dup);
    assert_eq!(rule, CatalogRule::DuplicateId);
    assert_eq!(path, "campaigns[1].creative_sets[0].creatives[0].id");

    let mut dangling = catalog();
    dangling.campaigns[0].advertiser_id = "adv-nobody".into();
    let (path, rule) = invalid(&f, &dangling);
    assert_eq!(rule, CatalogRule::DanglingReference);
    assert_eq!(path, "campaigns[0].advertiser_id");

    let mut unknown_topic = catalog();
    unknown_topic.campaigns[0].creative_sets[0].include_topics[0].topic = "no-such".into();
    let (path, rule) = invalid(&f, &unknown_topic);
    assert_eq!(rule, CatalogRule::DanglingReference);
    assert_eq!(
        path,
        "campaigns[0].creative_sets[0].include_topics[0].topic"
    );

    let mut http = catalog();
    http.campaigns[0].creative_sets[0].creatives[1].click_url = "http://shop.example.com".into();
    let (path, rule) = invalid(&f, &http);
    assert_eq!(rule, CatalogRule::HttpsUrl);
    assert_eq!(path, "campaigns[0].creative_sets[0].creatives[1].click_url");

    let mut sensitive = catalog();
    sensitive.campaigns[0].creative_sets[0].include_topics[0].topic = "317".into(); // Diabetes
    let (path, rule) = invalid(&f, &sensitive);
    assert_eq!(rule, CatalogRule::SensitiveTopic);
    assert_eq!(
        path,
        "campaigns[0].creative_sets[0].include_topics[0].topic"
    );

    assert_eq!(f.installed_version(), Some(1));
    assert!(f.engine.status().unwrap().selection_ready);
}

#[test]
fn installed_catalog_survives_reopen_and_is_verified_again() {
    let dir = tempfile::tempdir().unwrap();
    let key = SigningKey::generate().unwrap();
    let clock = Arc::new(ManualClock::new(NOW));
    let e = Engine::open(config(dir.path(), &key, &clock)).unwrap();
    let b = bundle::seal(&catalog(), 3, NOW, NOW + 7 * DAY_MS, &key).unwrap();
    e.install_catalog(b.to_vec()).unwrap();
    e.reset().unwrap();
    assert_eq!(
        e.status().unwrap().catalog.map(|c| c.version),
        Some(3),
        "reset erases user data, not the public catalog"
    );
    e.close().unwrap();

    let e = Engine::open(config(dir.path(), &key, &clock)).unwrap();
    assert_eq!(e.status().unwrap().catalog.unwrap().version, 3);
    e.close().unwrap();

    // The publisher's key is no longer trusted: the engine opens without the
    // catalog, says why, and still refuses a downgrade.
    let new_key = SigningKey::generate().unwrap();
    let e = Engine::open(config(dir.path(), &new_key, &clock)).unwrap();
    let st = e.status().unwrap();
    assert!(st.catalog.is_none());
    assert!(
        st.selection_blocked
            .as_deref()
            .unwrap()
            .contains("untrusted key"),
        "{:?}",
        st.selection_blocked
    );
    let older = bundle::seal(&catalog(), 2, NOW, NOW + 7 * DAY_MS, &new_key).unwrap();
    assert!(matches!(
        e.install_catalog(older.to_vec()),
        Err(Error::CatalogDowngrade { installed: 3, .. })
    ));
    // The same version re-signed with the new key is no downgrade: with no
    // catalog active it is installed (not a no-op that would leave the app
    // without ads); once active, offering it again is the usual no-op.
    let same = bundle::seal(&catalog(), 3, NOW, NOW + 7 * DAY_MS, &new_key).unwrap();
    assert_eq!(
        e.install_catalog(same.to_vec()).unwrap(),
        InstallOutcome::Installed { version: 3 }
    );
    assert!(e.status().unwrap().selection_ready);
    assert_eq!(
        e.install_catalog(same.to_vec()).unwrap(),
        InstallOutcome::AlreadyInstalled { version: 3 }
    );
    let newer = bundle::seal(&catalog(), 4, NOW, NOW + 7 * DAY_MS, &new_key).unwrap();
    e.install_catalog(newer.to_vec()).unwrap();
    assert!(e.status().unwrap().selection_ready);
    e.close().unwrap();

    // Expiry after install: status says so.
    clock.set(NOW + 8 * DAY_MS);
    let e = Engine::open(config(dir.path(), &new_key, &clock)).unwrap();
    let st = e.status().unwrap();
    assert!(!st.selection_ready);
    assert!(st.selection_blocked.unwrap().contains("expired"));
}

#[test]
fn bundle_worked_example_matches_the_spec() {
    // docs/catalog-format.md, section "A worked example".
    let cat = Catalog {
        taxonomy_version: "t".into(),
        region: "DE".into(),
        advertisers: vec![Advertiser {
            id: "a".into(),
            name: "A".into(),
        }],
        campaigns: vec![],
        models: Models::default(),
    };
    let key = SigningKey::generate().unwrap();
    let b = bundle::seal(&cat, 7, 1000, 2000, &key).unwrap();
    assert_eq!(b.len(), 121);
    assert_eq!(&b[0..8], &[0x48, 0x43, 0x41, 0x54, 1, 0, 0, 0]);
    assert_eq!(&b[8..16], &7u64.to_le_bytes());
    assert_eq!(&b[16..24], &[0xe8, 0x03, 0, 0, 0, 0, 0, 0]);
    assert_eq!(&b[24..32], &[0xd0, 0x07, 0, 0, 0, 0, 0, 0]);
    assert_eq!(&b[32..40], &key.public_key().key_id());
    assert_eq!(&b[40..44], &[13, 0, 0, 0]);
    assert_eq!(
        &b[44..57],
        &[
            0x01, 0x74, 0x02, 0x44, 0x45, 0x01, 0x01, 0x61, 0x01, 0x41, 0x00, 0x00, 0x00
        ]
    );
    // The signature is plain Ed25519 over the first 57 bytes.
    ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, key.public_key().0)
        .verify(&b[..57], &b[57..])
        .unwrap();
}
