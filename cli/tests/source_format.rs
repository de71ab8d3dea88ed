//! The source format through the library: conversions, round trips, generator.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hearth_cli::catalog_source::{self, CatalogSource, SourceHeader, parse, source_path};
use hearth_cli::publish::{self, Overrides};
use hearth_cli::sample;
use hearth_cli::synth::{self, GenOptions};
use hearth_core::catalog::bundle::{self, SigningKey};
use hearth_core::catalog::model::{Catalog, Models};
use hearth_core::taxonomy::Taxonomy;
use proptest::prelude::*;

fn tax() -> std::sync::Arc<Taxonomy> {
    Taxonomy::iab().unwrap()
}

#[test]
fn sample_is_valid_and_shaped_as_documented() {
    let src = sample::sample_source().unwrap();
    let (cat, header) = src.to_model();
    assert_eq!(header.version, 1);
    assert_eq!(cat.region, "DE");
    assert_eq!(cat.taxonomy_version, tax().version());
    assert_eq!(cat.advertisers.len(), 8);
    assert_eq!(cat.campaigns.len(), 15);
    assert!((35..=50).contains(&cat.creative_count()));
    let sets: Vec<_> = cat
        .campaigns
        .iter()
        .flat_map(|c| &c.creative_sets)
        .collect();
    let topics: std::collections::HashSet<&str> = sets
        .iter()
        .flat_map(|s| &s.include_topics)
        .map(|t| t.topic.as_str())
        .collect();
    for t in [
        "227", "225", "533", "635", "653", "668", "165", "442", "452", "579", "216",
    ] {
        assert!(topics.contains(t), "sample targets topic {t}");
    }
    for tr in [
        "spending_tier=premium",
        "life_event:wedding=active",
        "life_event:moving=active",
    ] {
        assert!(
            sets.iter().any(|s| s.traits.iter().any(|x| x == tr)),
            "{tr}"
        );
    }
    assert!(
        sets.iter()
            .filter(|s| s.include_topics.is_empty() && s.traits.is_empty())
            .count()
            >= 2,
        "untargeted sets"
    );
    let key = SigningKey::generate().unwrap();
    let built = sample::build_sample(&key).unwrap();
    let (h, opened) = bundle::open(&built.bundle, &[key.public_key()], 1 << 20).unwrap();
    assert_eq!(opened, cat);
    assert_eq!(h.created_at_ms, 1_767_225_600_000);
}

#[test]
fn sample_source_round_trips_to_model_and_back() {
    let src = sample::sample_source().unwrap();
    let (cat, header) = src.to_model();
    let back = CatalogSource::from_model(&cat, &header);
    // Everything but the editor-only `$schema` key survives.
    let mut expected = src.clone();
    expected.schema = None;
    assert_eq!(back, expected);
}

#[test]
fn value_types_parse_and_print_as_documented() {
    let json = r#"{
        "version": 2, "created_at": "2026-01-01T01:00:00.250+01:00", "expires_at": "2026-02-01T00:00:00Z",
        "taxonomy_version": "t", "region": "DE", "advertisers": [], "campaigns": [],
        "models": {"scoring": {"zeta": 0.5, "alpha": 2}, "blobs": {"classifier/1": "AAEC/w=="}}
    }"#;
    let src = parse(json.as_bytes()).unwrap();
    let (cat, h) = src.to_model();
    assert_eq!(h.created_at_ms, 1_767_225_600_250);
    assert_eq!(
        cat.models.scoring,
        vec![("zeta".to_string(), 0.5), ("alpha".to_string(), 2.0)]
    );
    assert_eq!(
        cat.models.blobs,
        vec![("classifier/1".to_string(), vec![0, 1, 2, 255])]
    );
    let out = catalog_source::to_json(&CatalogSource::from_model(&cat, &h), false).unwrap();
    assert!(
        out.contains(r#""created_at":"2026-01-01T00:00:00.25Z""#),
        "{out}"
    );
    assert!(
        out.contains(r#""scoring":{"zeta":0.5,"alpha":2.0}"#),
        "order kept: {out}"
    );
    assert!(
        out.contains(r#""blobs":{"classifier/1":"AAEC/w=="}"#),
        "{out}"
    );

    let err = |s: &str| parse(s.as_bytes()).unwrap_err();
    let base = |extra: &str| {
        format!(
            r#"{{"version": 1, "created_at": "2026-01-01T00:00:00Z", "expires_at": "2026-02-01T00:00:00Z",
            "taxonomy_version": "t", "region": "DE", "advertisers": [], "campaigns": [] {extra}}}"#
        )
    };
    let e = err(&base(r#", "models": {"scoring": {"a": 1, "a": 2}}"#));
    assert_eq!(e.path, "models.scoring");
    assert!(e.message.contains("duplicate name"), "{e}");
    let e = err(&base(r#", "models": {"blobs": {"a": "not base64!"}}"#));
    assert_eq!(e.path, "models.blobs.a");
    let e = err(&base(r#", "extra": 1"#));
    assert!(e.message.contains("unknown field `extra`"), "{e}");
    let e = err(&base("").replace("00:00:00Z\", \"exp", "00:00:00.0001Z\", \"exp"));
    assert_eq!(e.path, "created_at");
    assert!(e.message.contains("sub-millisecond"), "{e}");
    assert!(e.line > 0);
    let e = err(&(base("") + " trailing"));
    assert!(e.message.contains("trailing"), "{e}");
}

#[test]
fn dayparts_embeddings_and_enums() {
    let campaign = |daypart: &str, embedding: &str| {
        format!(
            r#"{{"version": 1, "created_at": "2026-01-01T00:00:00Z", "expires_at": "2026-02-01T00:00:00Z",
            "taxonomy_version": "t", "region": "DE", "advertisers": [{{"id": "a", "name": "A"}}],
            "campaigns": [{{"id": "c", "advertiser_id": "a", "priority": 1, "value_micros": 5,
              "flight": {{"start": "2026-01-01T00:00:00Z", "end": "2026-01-31T00:00:00Z"}},
              "dayparts": [{daypart}], "os": ["ios"],
              "creative_sets": [{{"id": "s", "embedding": [{embedding}], "creatives": [
                {{"id": "k", "kind": "interstitial", "title": "T", "body": "B",
                  "click_url": "https://x.example/", "call_to_action": "Go"}}]}}]}}]}}"#
        )
    };
    let src = parse(
        campaign(
            r#"{"days": ["sun", "mon"], "start": "00:00", "end": "24:00"}"#,
            "1, -1, 0.5, -0.004, 0",
        )
        .as_bytes(),
    )
    .unwrap();
    let (cat, h) = src.to_model();
    let c = &cat.campaigns[0];
    assert_eq!(c.dayparts[0].days, 0b100_0001);
    assert_eq!(
        (c.dayparts[0].start_minute, c.dayparts[0].end_minute),
        (0, 1440)
    );
    assert_eq!(c.pass_through_bp, 10_000, "default");
    assert_eq!(c.creative_sets[0].embedding, vec![127, -127, 64, -1, 0]);
    let back = CatalogSource::from_model(&cat, &h);
    let json = catalog_source::to_json(&back, false).unwrap();
    assert!(
        json.contains(r#""days":["mon","sun"],"start":"00:00","end":"24:00""#),
        "{json}"
    );
    assert!(json.contains(r#""os":["ios"]"#) && json.contains(r#""kind":"interstitial""#));
    assert!(
        !json.contains("pass_through_bp"),
        "default left out: {json}"
    );
    // model → source → model is exact, even for -128.
    let mut cat2 = cat.clone();
    cat2.campaigns[0].creative_sets[0].embedding = (-128..=127).map(|x: i16| x as i8).collect();
    let json = catalog_source::to_json(&CatalogSource::from_model(&cat2, &h), false).unwrap();
    assert_eq!(parse(json.as_bytes()).unwrap().to_model().0, cat2);

    for (daypart, embedding, path) in [
        (
            r#"{"days": ["mon", "mon"], "start": "08:00", "end": "09:00"}"#,
            "0",
            "campaigns[0].dayparts[0].days",
        ),
        (
            r#"{"days": ["monday"], "start": "08:00", "end": "09:00"}"#,
            "0",
            "campaigns[0].dayparts[0].days[0]",
        ),
        (
            r#"{"days": ["mon"], "start": "8:00", "end": "09:00"}"#,
            "0",
            "campaigns[0].dayparts[0].start",
        ),
        (
            r#"{"days": ["mon"], "start": "08:00", "end": "24:01"}"#,
            "0",
            "campaigns[0].dayparts[0].end",
        ),
        (
            r#"{"days": ["mon"], "start": "08:00", "end": "09:00"}"#,
            "1.5",
            "campaigns[0].creative_sets[0].embedding[0]",
        ),
    ] {
        let e = parse(campaign(daypart, embedding).as_bytes()).unwrap_err();
        assert_eq!(e.path, path, "{e}");
    }
}

#[test]
fn model_paths_become_source_paths() {
    let mut cat = Catalog {
        taxonomy_version: "t".into(),
        region: "DE".into(),
        advertisers: vec![],
        campaigns: vec![],
        models: Models::default(),
    };
    cat.models.scoring = vec![("a".into(), 1.0), ("explore_rate".into(), 2.0)];
    cat.models.blobs = vec![("classifier/1".into(), vec![])];
    for (model, source) in [
        ("campaigns[2].flight.end_ms", "campaigns[2].flight.end"),
        ("campaigns[2].flight.start_ms", "campaigns[2].flight.start"),
        (
            "campaigns[0].dayparts[1].start_minute",
            "campaigns[0].dayparts[1].start",
        ),
        (
            "campaigns[0].dayparts[1].end_minute",
            "campaigns[0].dayparts[1].end",
        ),
        ("models.scoring[1]", "models.scoring.explore_rate"),
        ("models.scoring[1].1", "models.scoring.explore_rate"),
        ("models.blobs[0]", "models.blobs.classifier/1"),
        (
            "campaigns[3].creative_sets[0].creatives[1].click_url",
            "campaigns[3].creative_sets[0].creatives[1].click_url",
        ),
    ] {
        assert_eq!(source_path(model, &cat), source, "{model}");
    }
}

#[test]
fn generator_respects_the_taxonomy_and_counts() {
    let tax = tax();
    for (n, seed) in [(0usize, 1u64), (1, 2), (7, 3), (1000, 4)] {
        let (cat, h) = synth::generate_model(
            &GenOptions {
                creatives: n,
                seed,
                version: 9,
            },
            &tax,
        )
        .unwrap();
        assert_eq!(cat.creative_count(), n);
        assert_eq!(h.version, 9);
        assert_eq!(h.expires_at_ms - h.created_at_ms, 7 * 86_400_000);
        let refs: std::collections::HashSet<&str> = cat
            .campaigns
            .iter()
            .map(|c| c.advertiser_id.as_str())
            .collect();
        assert_eq!(
            refs.len(),
            cat.advertisers.len(),
            "only used advertisers listed"
        );
        for s in cat.campaigns.iter().flat_map(|c| &c.creative_sets) {
            assert!(!s.creatives.is_empty() && s.creatives.len() <= 5);
            for t in s
                .include_topics
                .iter()
                .map(|t| &t.topic)
                .chain(&s.exclude_topics)
            {
                let idx = tax.idx(t).unwrap();
                assert!(!tax.is_sensitive(idx), "sensitive topic {t} targeted");
            }
            assert!(s.embedding.is_empty() || s.embedding.len() == 16);
            for k in &s.creatives {
                assert!(k.click_url.starts_with("https://"));
                assert!(
                    k.image_url
                        .as_deref()
                        .is_none_or(|u| u.starts_with("https://"))
                );
            }
        }
        assert!(
            publish::check(&cat, &h, &tax).is_empty(),
            "{:?}",
            publish::check(&cat, &h, &tax)
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// source → model → source is the identity, the JSON text round-trips, and
    /// build → open gives the same model back.
    #[test]
    fn generated_catalogs_round_trip(seed in any::<u64>(), n in 1usize..400) {
        let tax = tax();
        let src = synth::generate(&GenOptions { creatives: n, seed, version: 5 }, &tax).unwrap();
        let (cat, header) = src.to_model();
        prop_assert_eq!(&CatalogSource::from_model(&cat, &header), &src);

        for pretty in [false, true] {
            let json = catalog_source::to_json(&src, pretty).unwrap();
            let parsed = parse(json.as_bytes()).unwrap();
            prop_assert_eq!(&parsed, &src);
        }

        let key = SigningKey::generate().unwrap();
        let built = publish::build(&src, &Overrides::default(), &key, &tax, "gen").unwrap();
        let (h, opened) = bundle::open(&built.bundle, &[key.public_key()], publish::MAX_BUNDLE_LEN).unwrap();
        prop_assert_eq!(&opened, &cat);
        prop_assert_eq!(
            SourceHeader { version: h.catalog_version, created_at_ms: h.created_at_ms, expires_at_ms: h.expires_at_ms },
            header
        );
        let ins = publish::inspect(&built.bundle, &[key.public_key()], &tax, "gen").unwrap();
        prop_assert!(ins.issues.is_empty());
        let again = parse(publish::inspect_json(&ins).unwrap().as_bytes()).unwrap();
        prop_assert_eq!(&again, &src);
    }
}
