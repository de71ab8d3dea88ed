//! Bounded footprint: weeks of heavy use through the real engine
//! ([`hearth_cli::footprint`], the code behind `hearth footprint`) keep every
//! stored structure within its bound and all user state under 1 MB.
//!
//! The test runs 40 simulated days (past every 30-day window: ad history,
//! report log, catalog id rotation) at 1,500 events and 120 ad requests a day,
//! short enough for a debug build; `hearth footprint --days 365
//! --events-per-day 20000` runs the full year and prints the figures per month.
//! "User state" is every file of the store except the catalog bundle, which is
//! the publisher's data (bounded by `max_catalog_bytes`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hearth_cli::footprint::{self, DayFigures, FootprintOptions, USER_STATE_GOAL_BYTES};
use hearth_core::ads::{MAX_HISTORY, MAX_PENDING_TOKENS, MAX_SET_TOTALS};
use hearth_core::profile::{MAX_PURCHASES_KEPT, MAX_TRAIT_EVIDENCE, ProfileConfig};

#[test]
fn weeks_of_heavy_use_stay_bounded() {
    let opts = FootprintOptions {
        days: 40,
        events_per_day: 1_500,
        ad_requests_per_day: 120,
        creatives: 800,
        seed: 7,
        never_acknowledge: false,
    };
    let mut months: Vec<DayFigures> = Vec::new();
    let r = footprint::run(&opts, |m| months.push(m.clone())).unwrap();
    eprint!("{}", r.text());
    let max = &r.max;

    // All user state, on every day.
    assert!(
        max.user_bytes <= USER_STATE_GOAL_BYTES,
        "user state reached {} bytes",
        max.user_bytes
    );
    assert_eq!(max.other_bytes, 0, "no leftover files after a flush");

    // Every bounded structure within its bound.
    let top_k = ProfileConfig::default().top_k;
    assert!(max.topics <= top_k, "{} topics", max.topics);
    assert!(max.purchases <= MAX_PURCHASES_KEPT);
    assert!(
        max.trait_evidence <= 3 * MAX_TRAIT_EVIDENCE,
        "3 default trait rules"
    );
    assert!(max.history <= MAX_HISTORY);
    assert!(max.pending_tokens <= MAX_PENDING_TOKENS);
    assert!(max.set_totals <= MAX_SET_TOTALS);
    // The default limit is 30 ads a day: 30 days of history hold at most 900.
    assert!(
        max.history <= 30 * 30 + 30,
        "{} history entries",
        max.history
    );
    // Daily counters: 8 days of the campaigns shown (at most 30 a day).
    assert!(
        max.counter_rows <= 8 * 30,
        "{} counter rows",
        max.counter_rows
    );
    // The report log: 30 days of acknowledged reports plus today's.
    assert!(max.reports <= 32, "{} reports in the log", max.reports);
    assert!(
        max.pending_reports <= 1,
        "uploaded daily: at most the day's report waits"
    );

    // The windows are full after 30 days: the state stops growing with them.
    // (Only the lifetime per-set totals still grow, by the sets shown, up to
    // MAX_SET_TOTALS.)
    let day30 = &months[0];
    let last = months.last().unwrap();
    assert_eq!(day30.day, 30);
    assert_eq!(last.day, 40);
    assert!(
        last.history <= day30.history + 30,
        "history keeps growing: {} → {}",
        day30.history,
        last.history
    );
    let per_set_total = 64; // bytes per set total, generously (ids of ~12 bytes)
    let growth_allowed =
        day30.state_bytes + (last.set_totals - day30.set_totals) as u64 * per_set_total + 10_000;
    assert!(
        last.state_bytes <= growth_allowed,
        "state grew from {} to {} bytes (allowed {growth_allowed})",
        day30.state_bytes,
        last.state_bytes
    );
    assert!(r.max.events_recorded >= 40 * 1_500);
    assert!(r.max.impressions > 40 * 10, "ads were shown");
}

/// Long use means a new catalog version every day: conversions are still
/// attributed to ads shown under an older version (by campaign and set id),
/// by app event and by URL. (Regression guard for the attribution lookup,
/// which now matches sets by id from one pass over the catalog.)
#[test]
fn conversions_are_attributed_across_daily_catalog_updates() {
    use std::sync::Arc;

    use hearth_cli::publish::{self, Overrides};
    use hearth_cli::sample;
    use hearth_core::ads::AdEventKind;
    use hearth_core::catalog::bundle::SigningKey;
    use hearth_core::clock::{DAY_MS, HOUR_MS};
    use hearth_core::profile::Event;
    use hearth_core::select::{AdContext, AdRequest, SelectConfig};
    use hearth_core::state::Consent;
    use hearth_core::store::StoreKey;
    use hearth_core::taxonomy::Taxonomy;
    use hearth_core::{Engine, EngineConfig, ManualClock};

    let dir = tempfile::tempdir().unwrap();
    let signer = SigningKey::generate().unwrap();
    let tax = Taxonomy::iab().unwrap();
    let source = sample::sample_source().unwrap();
    let bundle = |v: u64| {
        let o = Overrides {
            version: Some(v),
            ..Overrides::default()
        };
        publish::build(&source, &o, &signer, &tax, "sample")
            .unwrap()
            .bundle
    };
    // Monday 2026-03-02 08:00 UTC.
    let clock = Arc::new(ManualClock::new(1_772_438_400_000));
    let mut cfg =
        EngineConfig::new(dir.path(), StoreKey::from_bytes([1; 32])).with_clock(clock.clone());
    cfg.default_consent = Consent::Personalised;
    cfg.trusted_keys = vec![signer.public_key()];
    cfg.ads = SelectConfig {
        min_gap_ms: 0,
        exploration: 0.0,
        ..SelectConfig::default()
    };
    let e = Engine::open(cfg).unwrap();
    e.install_catalog(bundle(1)).unwrap();
    // Running (227) and phones (635): the stride road set converts by URL,
    // the pixel launch set by the app event "purchase".
    for _ in 0..5 {
        e.record(&Event::view(&["227", "635"])).unwrap();
    }
    let mut shown = Vec::new();
    for topic in ["227", "635"] {
        let r = e
            .select_ads(&AdRequest {
                placement_id: "feed".into(),
                slots: 3,
                context: AdContext {
                    topics: vec![topic.into()],
                    country: Some("DE".into()),
                    locale: Some("de-DE".into()),
                    os: Some(hearth_core::catalog::model::Os::Android),
                    ..AdContext::default()
                },
                ..AdRequest::default()
            })
            .unwrap();
        for c in r.choices {
            e.record_ad_event(&c.token, AdEventKind::Impression)
                .unwrap();
            shown.push(c.creative_set_id);
        }
        clock.advance(HOUR_MS);
    }
    assert!(shown.iter().any(|s| s == "set-stride-road"), "{shown:?}");
    assert!(shown.iter().any(|s| s == "set-pixel-launch"), "{shown:?}");
    // Two daily updates later…
    for v in [2, 3] {
        clock.advance(DAY_MS);
        e.install_catalog(bundle(v)).unwrap();
    }
    // An app event that converts nothing is not a conversion.
    e.record(&Event::custom("app_open", &["227"])).unwrap();
    assert!(
        !e.record_conversion_url("https://unrelated.example/")
            .unwrap()
    );
    assert!(
        e.record_conversion_url("https://stride-running.example/checkout/done?o=1")
            .unwrap()
    );
    e.record(&Event::custom("purchase", &["635"])).unwrap();
    let history = e.ad_history().unwrap();
    let converted = |set_prefix: &str| {
        history.iter().any(|h| {
            h.campaign_id.starts_with(set_prefix) && h.reactions.contains(&AdEventKind::Conversion)
        })
    };
    assert!(converted("cmp-stride-season"), "{history:#?}");
    assert!(converted("cmp-pixel-launch"), "{history:#?}");
    // Once converted, a set converts no more.
    assert!(
        !e.record_conversion_url("https://stride-running.example/checkout/done?o=2")
            .unwrap()
    );
}

/// An app that never uploads: reports wait, but at most
/// `MAX_PENDING_REPORTS` of them (the newest), so the store stays bounded;
/// the ones kept never change.
#[test]
fn never_acknowledged_reports_stay_bounded() {
    use std::collections::HashMap;
    use std::sync::Arc;

    use hearth_cli::sample;
    use hearth_core::catalog::bundle::SigningKey;
    use hearth_core::clock::DAY_MS;
    use hearth_core::report::MAX_PENDING_REPORTS;
    use hearth_core::state::Consent;
    use hearth_core::store::StoreKey;
    use hearth_core::{Engine, EngineConfig, ManualClock};

    let dir = tempfile::tempdir().unwrap();
    let signer = SigningKey::generate().unwrap();
    let clock = Arc::new(ManualClock::new(1_772_438_400_000));
    let mut cfg =
        EngineConfig::new(dir.path(), StoreKey::from_bytes([2; 32])).with_clock(clock.clone());
    cfg.default_consent = Consent::Personalised;
    cfg.trusted_keys = vec![signer.public_key()];
    let e = Engine::open(cfg).unwrap();
    e.install_catalog(sample::build_sample(&signer).unwrap().bundle)
        .unwrap();
    let mut seen: HashMap<u64, String> = HashMap::new();
    let mut sizes = Vec::new();
    for _ in 0..(MAX_PENDING_REPORTS + 10) {
        clock.advance(DAY_MS);
        let pending = e.pending_reports().unwrap();
        assert!(pending.len() <= MAX_PENDING_REPORTS);
        for p in &pending {
            let first = seen.entry(p.handle).or_insert_with(|| p.payload.clone());
            assert_eq!(*first, p.payload, "a waiting report never changes");
        }
        sizes.push(
            std::fs::metadata(dir.path().join("reports.hearth"))
                .unwrap()
                .len(),
        );
    }
    let pending = e.pending_reports().unwrap();
    assert_eq!(pending.len(), MAX_PENDING_REPORTS);
    let newest = seen.keys().max().unwrap();
    assert_eq!(
        pending.last().map(|p| p.handle),
        Some(*newest),
        "the newest are kept"
    );
    // The ledger file stops growing once the cap is reached.
    let at_cap = sizes[MAX_PENDING_REPORTS + 1];
    assert!(
        sizes
            .iter()
            .skip(MAX_PENDING_REPORTS + 1)
            .all(|&s| s <= at_cap + 64),
        "{sizes:?}"
    );
}
