//! Ad selection end to end: one focused test per rule, each through a real
//! [`Engine`] (encrypted store in a temp dir, the embedded IAB taxonomy, a
//! [`ManualClock`], a fixed `selection_seed`) and a hand-built, signed catalog.
//!
//! Unless a test is about them, the global limits are out of the way
//! (`max_ads_per_hour` 1,000, `max_ads_per_day` 10,000, `min_gap_ms` 0) and
//! exploration is off, so the winner of every request is determined by the
//! rule under test.
//!
//! Topics used (IAB Content Taxonomy 3.x): 483 Sports, 484 American Football
//! (child of 483), 552 Style & Fashion, 553 Beauty (child of 552), 596
//! Technology & Computing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use hearth_core::ads::AdEventKind;
use hearth_core::catalog::bundle::{self, SigningKey};
use hearth_core::catalog::model::*;
use hearth_core::clock::{DAY_MS, HOUR_MS, MINUTE_MS};
use hearth_core::error::CatalogRule;
use hearth_core::profile::Event;
use hearth_core::select::{
    AdChoice, AdContext, AdRequest, AdResponse, Basis, NoFill, SelectConfig,
};
use hearth_core::state::Consent;
use hearth_core::store::StoreKey;
use hearth_core::taxonomy::Taxonomy;
use hearth_core::{Engine, EngineConfig, Error, ManualClock, Timestamp};

/// Monday 2026-11-30, 10:15 UTC.
const NOW: Timestamp = 1_796_033_700_000;
const SECOND: i64 = 1_000;

// ---------------------------------------------------------------------------
// Catalog building
// ---------------------------------------------------------------------------

fn signing_key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::generate().unwrap())
}

fn creative(id: &str) -> Creative {
    Creative {
        id: id.into(),
        kind: CreativeKind::Native,
        title: format!("Title of {id}"),
        body: "Body text.".into(),
        image_url: Some(format!("https://cdn.example.com/{id}.jpg")),
        click_url: format!("https://shop.example.com/c/{id}"),
        call_to_action: "Shop now".into(),
    }
}

/// A set without caps or minimum interval, targeting `topics` (id, min weight).
fn set(id: &str, topics: &[(&str, f32)], creatives: &[&str]) -> CreativeSet {
    CreativeSet {
        id: id.into(),
        caps: FrequencyCaps::default(),
        min_interval_s: 0,
        include_topics: topics
            .iter()
            .map(|&(t, w)| TopicTarget {
                topic: t.into(),
                min_weight: w,
            })
            .collect(),
        exclude_topics: vec![],
        traits: vec![],
        embedding: vec![],
        item_ids: vec![],
        conversion: None,
        creatives: creatives.iter().map(|c| creative(c)).collect(),
    }
}

/// An always-on campaign: priority 1, value 1.00, no targeting rules.
fn campaign(id: &str, adv: &str, sets: Vec<CreativeSet>) -> Campaign {
    Campaign {
        id: id.into(),
        advertiser_id: adv.into(),
        priority: 1,
        value_micros: 1_000_000,
        flight: Flight {
            start_ms: NOW - 30 * DAY_MS,
            end_ms: NOW + 90 * DAY_MS,
        },
        daily_cap: 0,
        pass_through_bp: 10_000,
        dayparts: vec![],
        geo: vec![],
        locales: vec![],
        os: vec![],
        app_sections: vec![],
        creative_sets: sets,
    }
}

/// Campaign `c-{n}` of advertiser `a-{n}` with one set `s-{n}` holding one
/// creative `k-{n}`.
fn simple(n: &str, topics: &[(&str, f32)]) -> Campaign {
    campaign(
        &format!("c-{n}"),
        &format!("a-{n}"),
        vec![set(&format!("s-{n}"), topics, &[&format!("k-{n}")])],
    )
}

/// `simple` with a value.
fn valued(n: &str, topics: &[(&str, f32)], value_micros: u64) -> Campaign {
    let mut c = simple(n, topics);
    c.value_micros = value_micros;
    c
}

/// `valued` with two creatives (`k-{n}-1`, `k-{n}-2`) in its set, so it can be
/// shown twice in a row without repeating the last creative.
fn two(n: &str, topics: &[(&str, f32)], value_micros: u64) -> Campaign {
    let mut c = campaign(
        &format!("c-{n}"),
        &format!("a-{n}"),
        vec![set(
            &format!("s-{n}"),
            topics,
            &[&format!("k-{n}-1"), &format!("k-{n}-2")],
        )],
    );
    c.value_micros = value_micros;
    c
}

/// A catalog of `campaigns`; the advertisers are derived from them.
fn catalog(campaigns: Vec<Campaign>) -> Catalog {
    let advertisers: BTreeSet<String> = campaigns.iter().map(|c| c.advertiser_id.clone()).collect();
    Catalog {
        taxonomy_version: Taxonomy::iab().unwrap().version().into(),
        region: "DE".into(),
        advertisers: advertisers
            .into_iter()
            .map(|id| Advertiser {
                name: format!("Name of {id}"),
                id,
            })
            .collect(),
        campaigns,
        models: Models::default(),
    }
}

// ---------------------------------------------------------------------------
// Engine fixture
// ---------------------------------------------------------------------------

/// Limits out of the way, no exploration.
fn quiet() -> SelectConfig {
    SelectConfig {
        max_ads_per_hour: 1_000,
        max_ads_per_day: 10_000,
        min_gap_ms: 0,
        exploration: 0.0,
        ..SelectConfig::default()
    }
}

struct Fx {
    dir: tempfile::TempDir,
    clock: Arc<ManualClock>,
    ads: SelectConfig,
    consent: Consent,
    seed: u64,
    engine: Engine,
}

impl Fx {
    /// Personalised consent, `quiet()` limits, seed 1, `cat` installed.
    fn new(cat: &Catalog) -> Fx {
        Fx::with(Some(cat), quiet(), Consent::Personalised, 1)
    }

    fn with(cat: Option<&Catalog>, ads: SelectConfig, consent: Consent, seed: u64) -> Fx {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(NOW));
        let mut f = Fx {
            engine: Engine::open(engine_config(
                dir.path(),
                &clock,
                ads.clone(),
                consent,
                seed,
            ))
            .unwrap(),
            dir,
            clock,
            ads,
            consent,
            seed,
        };
        if let Some(c) = cat {
            f.install(c, 1, NOW + 120 * DAY_MS);
        }
        f.engine.set_consent(consent).unwrap();
        f.consent = consent;
        f
    }

    fn install(&mut self, cat: &Catalog, version: u64, expires_at_ms: Timestamp) {
        let b = bundle::seal(cat, version, NOW - DAY_MS, expires_at_ms, signing_key()).unwrap();
        self.engine.install_catalog(b).unwrap();
    }

    /// Close and open again on the same directory (same config).
    fn reopen(&mut self) {
        self.engine.close().unwrap();
        self.engine = Engine::open(engine_config(
            self.dir.path(),
            &self.clock,
            self.ads.clone(),
            self.consent,
            self.seed,
        ))
        .unwrap();
    }

    fn advance(&self, ms: i64) {
        self.clock.advance(ms);
    }

    fn select(&self, slots: u32, ctx: AdContext) -> AdResponse {
        let r = self.engine.select_ads(&req(slots, ctx)).unwrap();
        assert!(r.choices.len() <= slots as usize);
        assert_eq!(r.choices.is_empty(), r.no_fill.is_some(), "{r:?}");
        r
    }

    /// Campaign ids chosen for `ctx` (up to 10 slots), in order.
    fn campaigns(&self, ctx: AdContext) -> Vec<String> {
        self.select(10, ctx)
            .choices
            .into_iter()
            .map(|c| c.campaign_id)
            .collect()
    }

    /// Campaign ids chosen, as a set.
    fn campaign_set(&self, ctx: AdContext) -> BTreeSet<String> {
        self.campaigns(ctx).into_iter().collect()
    }

    /// Whether anything is eligible for `ctx`.
    fn fills(&self, ctx: AdContext) -> bool {
        let r = self.select(1, ctx);
        match r.no_fill {
            None => true,
            Some(NoFill::NoEligibleAd) => false,
            Some(other) => panic!("expected fill or NoEligibleAd, got {other:?}"),
        }
    }

    /// Select one ad and record its impression.
    fn show(&self, ctx: AdContext) -> AdChoice {
        let r = self.select(1, ctx);
        let c = r
            .choices
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no ad: {:?}", r.no_fill));
        assert!(
            self.engine
                .record_ad_event(&c.token, AdEventKind::Impression)
                .unwrap()
                .counted
        );
        c
    }

    fn view(&self, topics: &[&str]) {
        self.engine.record(&Event::view(topics)).unwrap();
    }
}

fn engine_config(
    dir: &std::path::Path,
    clock: &Arc<ManualClock>,
    ads: SelectConfig,
    consent: Consent,
    seed: u64,
) -> EngineConfig {
    let mut c = EngineConfig::new(dir, StoreKey::from_bytes([0x5e; 32])).with_clock(clock.clone());
    c.default_consent = consent;
    c.trusted_keys = vec![signing_key().public_key()];
    c.ads = ads;
    c.selection_seed = Some(seed);
    c
}

fn req(slots: u32, context: AdContext) -> AdRequest {
    AdRequest {
        placement_id: "feed".into(),
        slots,
        context,
        ..Default::default()
    }
}

/// A screen without any context.
fn blank() -> AdContext {
    AdContext::default()
}

/// A screen about `topics`.
fn page(topics: &[&str]) -> AdContext {
    AdContext {
        topics: topics.iter().map(|s| s.to_string()).collect(),
        ..AdContext::default()
    }
}

fn names(v: &[&str]) -> BTreeSet<String> {
    v.iter().map(|s| format!("c-{s}")).collect()
}

// ---------------------------------------------------------------------------
// 1. Permission
// ---------------------------------------------------------------------------

#[test]
fn permission_consent_off_comes_first() {
    let f = Fx::with(None, quiet(), Consent::Off, 1);
    assert_eq!(f.select(1, blank()).no_fill, Some(NoFill::ConsentOff));
    let f = Fx::with(
        Some(&catalog(vec![simple("x", &[])])),
        quiet(),
        Consent::Off,
        1,
    );
    assert_eq!(f.select(1, blank()).no_fill, Some(NoFill::ConsentOff));
}

#[test]
fn permission_no_catalog() {
    let f = Fx::with(None, quiet(), Consent::Personalised, 1);
    assert_eq!(f.select(1, blank()).no_fill, Some(NoFill::NoCatalog));
}

#[test]
fn permission_expired_catalog() {
    let mut f = Fx::with(None, quiet(), Consent::Personalised, 1);
    f.install(&catalog(vec![simple("x", &[])]), 1, NOW + DAY_MS);
    assert!(f.fills(blank()));
    f.advance(DAY_MS - 1);
    assert!(f.fills(blank()));
    f.advance(1);
    assert_eq!(f.select(1, blank()).no_fill, Some(NoFill::CatalogExpired));
}

#[test]
fn permission_hourly_limit() {
    let ads = SelectConfig {
        max_ads_per_hour: 2,
        ..quiet()
    };
    let f = Fx::with(
        Some(&catalog(vec![simple("x", &[])])),
        ads,
        Consent::Personalised,
        1,
    );
    f.show(blank()); // NOW
    f.advance(MINUTE_MS);
    f.show(blank()); // NOW + 1 min
    f.advance(MINUTE_MS);
    assert_eq!(f.select(1, blank()).no_fill, Some(NoFill::HourlyLimit));
    // Exactly an hour after the first impression it no longer counts.
    f.advance(HOUR_MS - 2 * MINUTE_MS - 1);
    assert_eq!(f.select(1, blank()).no_fill, Some(NoFill::HourlyLimit));
    f.advance(1);
    assert!(f.fills(blank()));
}

#[test]
fn permission_daily_limit() {
    let ads = SelectConfig {
        max_ads_per_hour: 100,
        max_ads_per_day: 3,
        ..quiet()
    };
    let f = Fx::with(
        Some(&catalog(vec![simple("x", &[])])),
        ads,
        Consent::Personalised,
        1,
    );
    for _ in 0..3 {
        f.show(blank());
        f.advance(2 * HOUR_MS);
    }
    // NOW + 6 h: three impressions within the last 24 hours.
    assert_eq!(f.select(1, blank()).no_fill, Some(NoFill::DailyLimit));
    f.advance(18 * HOUR_MS - 1);
    assert_eq!(f.select(1, blank()).no_fill, Some(NoFill::DailyLimit));
    f.advance(1); // NOW + 24 h: the first one drops out of the window
    assert!(f.fills(blank()));
}

#[test]
fn permission_min_gap_says_when_to_retry() {
    let ads = SelectConfig {
        min_gap_ms: 60_000,
        ..quiet()
    };
    let f = Fx::with(
        Some(&catalog(vec![simple("x", &[])])),
        ads,
        Consent::Personalised,
        1,
    );
    // Selecting without showing does not start the gap.
    assert!(f.fills(blank()));
    assert!(f.fills(blank()));
    f.show(blank());
    f.advance(20 * SECOND);
    assert_eq!(
        f.select(1, blank()).no_fill,
        Some(NoFill::TooSoon {
            retry_after_ms: 40_000
        })
    );
    f.advance(40 * SECOND - 1);
    assert_eq!(
        f.select(1, blank()).no_fill,
        Some(NoFill::TooSoon { retry_after_ms: 1 })
    );
    f.advance(1);
    assert!(f.fills(blank()));
}

// ---------------------------------------------------------------------------
// 2. Eligibility: campaign rules
// ---------------------------------------------------------------------------

#[test]
fn eligibility_flight_both_ends_inclusive() {
    let mut c = simple("x", &[]);
    c.flight = Flight {
        start_ms: NOW + DAY_MS,
        end_ms: NOW + 2 * DAY_MS,
    };
    let f = Fx::new(&catalog(vec![c]));
    assert!(!f.fills(blank()));
    f.advance(DAY_MS - 1);
    assert!(!f.fills(blank()));
    f.advance(1);
    assert!(f.fills(blank()), "start is inclusive");
    f.advance(DAY_MS);
    assert!(f.fills(blank()), "end is inclusive");
    f.advance(1);
    assert!(!f.fills(blank()));
}

#[test]
fn eligibility_daypart_in_device_local_time() {
    // NOW is Monday 10:15 UTC.
    let mut mon = simple("mon", &[]);
    mon.dayparts = vec![Daypart {
        days: 0b000_0001, // Monday
        start_minute: 9 * 60,
        end_minute: 12 * 60,
    }];
    let mut tue = simple("tue", &[]);
    tue.dayparts = vec![Daypart {
        days: 0b000_0010, // Tuesday
        start_minute: 0,
        end_minute: 60,
    }];
    let f = Fx::new(&catalog(vec![mon, tue]));
    let at = |offset_min: i32| {
        f.campaign_set(AdContext {
            utc_offset_minutes: offset_min,
            ..blank()
        })
    };
    assert_eq!(at(0), names(&["mon"]), "10:15 Monday");
    assert_eq!(at(-75), names(&["mon"]), "09:00 Monday: start inclusive");
    assert_eq!(at(-76), names(&[]), "08:59 Monday");
    assert_eq!(at(104), names(&["mon"]), "11:59 Monday");
    assert_eq!(at(105), names(&[]), "12:00 Monday: end exclusive");
    assert_eq!(at(14 * 60), names(&["tue"]), "UTC+14 is 00:15 Tuesday");
    assert_eq!(at(-11 * 60), names(&[]), "UTC-11 is 23:15 Sunday");
}

#[test]
fn eligibility_geo_with_subdivisions() {
    let mut de = simple("de", &[]);
    de.geo = vec!["DE".into()];
    let mut ca = simple("ca", &[]);
    ca.geo = vec!["US-CA".into()];
    let any = simple("any", &[]);
    let f = Fx::new(&catalog(vec![de, ca, any]));
    let geo = |country: Option<&str>| {
        f.campaign_set(AdContext {
            country: country.map(str::to_string),
            ..blank()
        })
    };
    assert_eq!(geo(Some("DE")), names(&["de", "any"]));
    assert_eq!(geo(Some("DE-BY")), names(&["de", "any"]), "a subdivision");
    assert_eq!(geo(Some("de")), names(&["de", "any"]), "case-insensitive");
    assert_eq!(geo(Some("DK")), names(&["any"]));
    assert_eq!(geo(Some("US-CA")), names(&["ca", "any"]));
    assert_eq!(
        geo(Some("US")),
        names(&["any"]),
        "the whole country is not CA"
    );
    assert_eq!(geo(Some("US-NY")), names(&["any"]));
    assert_eq!(
        geo(None),
        names(&["any"]),
        "unknown country: geo-targeted out"
    );
}

#[test]
fn eligibility_locale() {
    let mut de = simple("de", &[]);
    de.locales = vec!["de".into()];
    let mut gb = simple("gb", &[]);
    gb.locales = vec!["en-GB".into()];
    let f = Fx::new(&catalog(vec![de, gb]));
    let loc = |l: Option<&str>| {
        f.campaign_set(AdContext {
            locale: l.map(str::to_string),
            ..blank()
        })
    };
    assert_eq!(loc(Some("de")), names(&["de"]));
    assert_eq!(loc(Some("de-AT")), names(&["de"]));
    assert_eq!(loc(Some("de_CH")), names(&["de"]));
    assert_eq!(loc(Some("en-GB")), names(&["gb"]));
    assert_eq!(loc(Some("en-gb")), names(&["gb"]));
    assert_eq!(loc(Some("en-US")), names(&[]));
    assert_eq!(loc(Some("en")), names(&[]), "en-GB needs the region");
    assert_eq!(loc(None), names(&[]));
}

#[test]
fn eligibility_os() {
    let mut ios = simple("ios", &[]);
    ios.os = vec![Os::Ios];
    let mut android = simple("android", &[]);
    android.os = vec![Os::Android];
    let any = simple("any", &[]);
    let f = Fx::new(&catalog(vec![ios, android, any]));
    let os = |o: Option<Os>| f.campaign_set(AdContext { os: o, ..blank() });
    assert_eq!(os(Some(Os::Ios)), names(&["ios", "any"]));
    assert_eq!(os(Some(Os::Android)), names(&["android", "any"]));
    assert_eq!(os(None), names(&["any"]));
}

#[test]
fn eligibility_app_section() {
    let mut news = simple("news", &[]);
    news.app_sections = vec!["news".into()];
    let any = simple("any", &[]);
    let f = Fx::new(&catalog(vec![news, any]));
    let sec = |s: Option<&str>| {
        f.campaign_set(AdContext {
            app_section: s.map(str::to_string),
            ..blank()
        })
    };
    assert_eq!(sec(Some("news")), names(&["news", "any"]));
    assert_eq!(sec(Some("sports")), names(&["any"]));
    assert_eq!(sec(Some("News")), names(&["any"]), "sections are exact");
    assert_eq!(sec(None), names(&["any"]));
}

#[test]
fn eligibility_campaign_daily_cap_per_utc_day() {
    let mut c = campaign(
        "c-x",
        "a-x",
        vec![set("s-1", &[], &["k-1"]), set("s-2", &[], &["k-2"])],
    );
    c.daily_cap = 2;
    let f = Fx::new(&catalog(vec![c]));
    f.show(blank());
    f.advance(MINUTE_MS);
    f.show(blank());
    f.advance(MINUTE_MS);
    assert!(!f.fills(blank()), "two impressions today");
    // NOW is 10:15 UTC; the next UTC day starts 13 h 45 min later.
    f.advance(13 * HOUR_MS + 43 * MINUTE_MS - 1);
    assert!(!f.fills(blank()));
    f.advance(1);
    assert!(f.fills(blank()), "a new UTC day");
}

// ---------------------------------------------------------------------------
// 2. Eligibility: creative-set rules
// ---------------------------------------------------------------------------

fn capped(caps: FrequencyCaps, min_interval_s: u32) -> Catalog {
    let mut c = simple("x", &[]);
    c.creative_sets[0].caps = caps;
    c.creative_sets[0].min_interval_s = min_interval_s;
    catalog(vec![c])
}

#[test]
fn eligibility_cap_per_hour() {
    let f = Fx::new(&capped(
        FrequencyCaps {
            per_hour: 1,
            ..FrequencyCaps::default()
        },
        0,
    ));
    f.show(blank());
    assert!(!f.fills(blank()));
    f.advance(HOUR_MS - 1);
    assert!(!f.fills(blank()));
    f.advance(1);
    assert!(f.fills(blank()));
}

#[test]
fn eligibility_cap_per_day() {
    let f = Fx::new(&capped(
        FrequencyCaps {
            per_day: 2,
            ..FrequencyCaps::default()
        },
        0,
    ));
    f.show(blank());
    f.advance(HOUR_MS);
    f.show(blank());
    f.advance(HOUR_MS);
    assert!(!f.fills(blank()));
    f.advance(22 * HOUR_MS - 1);
    assert!(!f.fills(blank()));
    f.advance(1);
    assert!(f.fills(blank()), "24 h after the first show");
}

#[test]
fn eligibility_cap_per_week() {
    let f = Fx::new(&capped(
        FrequencyCaps {
            per_week: 3,
            ..FrequencyCaps::default()
        },
        0,
    ));
    for _ in 0..3 {
        f.show(blank());
        f.advance(DAY_MS);
    }
    assert!(!f.fills(blank()));
    f.advance(4 * DAY_MS - 1);
    assert!(!f.fills(blank()));
    f.advance(1);
    assert!(f.fills(blank()), "7 days after the first show");
}

#[test]
fn eligibility_cap_total() {
    let f = Fx::new(&capped(
        FrequencyCaps {
            total: 2,
            ..FrequencyCaps::default()
        },
        0,
    ));
    f.show(blank());
    f.advance(DAY_MS);
    f.show(blank());
    for _ in 0..3 {
        f.advance(8 * DAY_MS);
        assert!(!f.fills(blank()));
    }
}

#[test]
fn eligibility_min_interval() {
    let f = Fx::new(&capped(FrequencyCaps::default(), 300));
    assert!(f.fills(blank()));
    f.show(blank());
    f.advance(299 * SECOND);
    assert!(!f.fills(blank()));
    f.advance(SECOND);
    assert!(f.fills(blank()));
}

#[test]
fn eligibility_hidden_advertiser() {
    let x1 = campaign("c-x1", "a-x", vec![set("s-x1", &[], &["k-x1"])]);
    let mut x2 = campaign("c-x2", "a-x", vec![set("s-x2", &[], &["k-x2"])]);
    x2.value_micros = 900_000;
    let y = valued("y", &[], 500_000);
    let f = Fx::new(&catalog(vec![x1, x2, y]));
    let c = f.select(1, blank()).choices.remove(0);
    assert_eq!(
        (c.campaign_id.as_str(), c.advertiser_name.as_str()),
        ("c-x1", "Name of a-x")
    );
    let o = f
        .engine
        .record_ad_event(&c.token, AdEventKind::Hide)
        .unwrap();
    assert!(o.counted);
    assert_eq!(f.engine.hidden_advertisers().unwrap(), ["a-x"]);
    assert_eq!(
        f.campaigns(blank()),
        ["c-y"],
        "every campaign of a-x is out"
    );
    assert!(f.engine.unhide_advertiser("a-x").unwrap());
    assert!(!f.engine.unhide_advertiser("a-x").unwrap());
    // The hide implied an impression of k-x1, the last creative shown: a-x
    // comes back with its other campaign first.
    assert_eq!(f.campaigns(blank()), ["c-x2", "c-y"]);
}

#[test]
fn eligibility_topic_removed_by_the_user() {
    let f = Fx::new(&catalog(vec![
        valued("football", &[("484", 0.1)], 2_000_000),
        simple("any", &[]),
    ]));
    f.view(&["484"]);
    assert_eq!(f.campaigns(page(&["484"])), ["c-football", "c-any"]);
    // Removing the parent topic removes American Football with it.
    f.engine.remove_interest("483").unwrap();
    assert_eq!(
        f.campaigns(page(&["484"])),
        ["c-any"],
        "not even through the page's context"
    );
    f.engine.allow_interest("483").unwrap();
    assert_eq!(f.campaigns(page(&["484"])), ["c-football", "c-any"]);
}

#[test]
fn eligibility_topic_hidden_is_honoured_under_contextual_consent() {
    // A hide is honoured under contextual-only consent (Engine::record); the ads
    // must honour it too, even though selection then uses only the page.
    let f = Fx::with(
        Some(&catalog(vec![
            valued("football", &[("484", 0.1)], 2_000_000),
            simple("any", &[]),
        ])),
        quiet(),
        Consent::ContextualOnly,
        1,
    );
    assert_eq!(f.campaigns(page(&["484"])), ["c-football", "c-any"]);
    f.engine
        .record(&Event::feedback(
            "483",
            hearth_core::profile::Feedback::Hide,
        ))
        .unwrap();
    assert_eq!(f.engine.suppressed_topics().unwrap(), ["483"]);
    assert_eq!(f.campaigns(page(&["484"])), ["c-any"]);
}

fn converting(spec: ConversionSpec) -> Catalog {
    let mut c = two("shop", &[], 2_000_000);
    c.creative_sets[0].conversion = Some(spec);
    catalog(vec![c, simple("other", &[])])
}

#[test]
fn eligibility_converted_by_url() {
    let f = Fx::new(&converting(ConversionSpec {
        event_name: None,
        url_pattern: Some("https://shop.example.com/thanks*".into()),
        window_days: 7,
    }));
    let c = f.show(blank());
    assert_eq!(c.campaign_id, "c-shop");
    f.engine
        .record_ad_event(&c.token, AdEventKind::Click)
        .unwrap();
    f.advance(HOUR_MS);
    assert!(
        !f.engine
            .record_conversion_url("https://shop.example.com/cart")
            .unwrap()
    );
    assert_eq!(f.campaigns(blank()), ["c-shop", "c-other"]);
    assert!(
        f.engine
            .record_conversion_url("https://shop.example.com/thanks?order=1")
            .unwrap()
    );
    assert_eq!(f.campaigns(blank()), ["c-other"], "converted: not again");
    assert!(
        !f.engine
            .record_conversion_url("https://shop.example.com/thanks?order=2")
            .unwrap(),
        "one conversion per ad"
    );
    let h = f.engine.ad_history().unwrap();
    assert_eq!(
        h[0].reactions,
        [AdEventKind::Click, AdEventKind::Conversion]
    );
}

#[test]
fn conversion_url_outside_the_window_is_not_attributed() {
    let f = Fx::new(&converting(ConversionSpec {
        event_name: None,
        url_pattern: Some("https://shop.example.com/thanks*".into()),
        window_days: 1,
    }));
    f.show(blank());
    f.advance(DAY_MS + 1);
    assert!(
        !f.engine
            .record_conversion_url("https://shop.example.com/thanks")
            .unwrap()
    );
    assert_eq!(f.campaigns(blank()), ["c-shop", "c-other"]);
}

#[test]
fn eligibility_converted_by_custom_event() {
    let f = Fx::new(&converting(ConversionSpec {
        event_name: Some("purchase".into()),
        url_pattern: None,
        window_days: 7,
    }));
    assert_eq!(f.show(blank()).campaign_id, "c-shop");
    f.advance(MINUTE_MS);
    f.engine.record(&Event::custom("signup", &["483"])).unwrap();
    assert_eq!(f.campaigns(blank()), ["c-shop", "c-other"]);
    f.engine
        .record(&Event::custom("purchase", &["483"]))
        .unwrap();
    assert_eq!(f.campaigns(blank()), ["c-other"]);
}

#[test]
fn eligibility_dismissed_three_times() {
    let f = Fx::new(&catalog(vec![
        two("x", &[], 2_000_000),
        simple("other", &[]),
    ]));
    for i in 0..3 {
        let c = f.select(1, blank()).choices.remove(0);
        assert_eq!(c.campaign_id, "c-x", "after {i} dismissals");
        assert!(
            f.engine
                .record_ad_event(&c.token, AdEventKind::Dismiss)
                .unwrap()
                .counted
        );
    }
    assert_eq!(f.campaigns(blank()), ["c-other"]);
}

#[test]
fn eligibility_disliked() {
    let f = Fx::new(&catalog(vec![
        valued("x", &[], 2_000_000),
        simple("other", &[]),
    ]));
    let c = f.select(1, blank()).choices.remove(0);
    assert_eq!(c.campaign_id, "c-x");
    f.engine
        .record_ad_event(&c.token, AdEventKind::Dislike)
        .unwrap();
    assert_eq!(f.campaigns(blank()), ["c-other"]);
}

fn anti_targeted() -> Catalog {
    let mut x = valued("x", &[("483", 0.1)], 2_000_000);
    x.creative_sets[0].exclude_topics = vec!["552".into()];
    let mut y = simple("y", &[]);
    y.creative_sets[0].exclude_topics = vec!["483".into()];
    catalog(vec![x, y])
}

#[test]
fn eligibility_anti_targeting_through_the_profile() {
    let f = Fx::new(&anti_targeted());
    f.view(&["596"]);
    assert_eq!(f.campaigns(blank()), ["c-y"], "x needs Sports");
    f.view(&["484"]); // American Football; rolls up to Sports
    assert_eq!(
        f.campaigns(blank()),
        ["c-x"],
        "y excludes Sports, which the profile now holds by roll-up"
    );
    f.view(&["553"]); // Beauty; rolls up to Style & Fashion
    assert!(f.campaigns(blank()).is_empty());
}

#[test]
fn eligibility_anti_targeting_through_the_page() {
    let f = Fx::with(Some(&anti_targeted()), quiet(), Consent::ContextualOnly, 1);
    assert_eq!(f.campaigns(page(&["483"])), ["c-x"]);
    assert_eq!(f.campaigns(page(&["484"])), ["c-x"], "a subtopic of Sports");
    assert!(f.campaigns(page(&["483", "552"])).is_empty());
    assert!(
        f.campaigns(page(&["483", "553"])).is_empty(),
        "Beauty is in Style & Fashion"
    );
    assert_eq!(f.campaigns(page(&["596"])), ["c-y"]);
}

#[test]
fn eligibility_trait_targeting() {
    let mut premium = valued("premium", &[], 2_000_000);
    premium.creative_sets[0].traits = vec!["spending_tier=premium".into()];
    let mut budget = valued("budget", &[], 2_000_000);
    budget.creative_sets[0].traits = vec!["spending_tier=budget".into()];
    let cat = catalog(vec![premium, budget, simple("any", &[])]);
    let f = Fx::new(&cat);
    assert_eq!(f.campaigns(blank()), ["c-any"], "no tier yet");
    for _ in 0..2 {
        f.engine
            .record(&Event::purchase(&["552"], Some(200_000_000)))
            .unwrap();
    }
    let r = f.select(3, blank());
    let ids: Vec<&str> = r.choices.iter().map(|c| c.campaign_id.as_str()).collect();
    assert_eq!(ids, ["c-premium", "c-any"]);
    let why = &r.choices[0].why;
    assert_eq!(why.basis, Basis::Interests);
    assert_eq!(why.traits, ["Premium spender"]);
    assert!(why.text.contains("Premium spender"), "{}", why.text);
    // Contextual-only consent: no traits, so no trait-targeted ads.
    f.engine.set_consent(Consent::ContextualOnly).unwrap();
    assert_eq!(f.campaigns(blank()), ["c-any"]);
    // Removing the trait has the same effect.
    f.engine.set_consent(Consent::Personalised).unwrap();
    assert_eq!(f.campaigns(blank())[0], "c-premium");
    f.engine.remove_trait("spending_tier").unwrap();
    assert_eq!(f.campaigns(blank()), ["c-any"]);
}

#[test]
fn creative_kinds_filter_the_placement() {
    let mut banner = valued("banner", &[], 2_000_000);
    banner.creative_sets[0].creatives[0].kind = CreativeKind::Banner;
    let f = Fx::new(&catalog(vec![banner, simple("native", &[])]));
    let kinds = |k: Vec<CreativeKind>| {
        f.campaigns(AdContext {
            kinds: k,
            ..blank()
        })
    };
    assert_eq!(kinds(vec![]), ["c-banner", "c-native"]);
    assert_eq!(kinds(vec![CreativeKind::Native]), ["c-native"]);
    assert_eq!(kinds(vec![CreativeKind::Banner]), ["c-banner"]);
    assert!(kinds(vec![CreativeKind::Interstitial]).is_empty());
}

// ---------------------------------------------------------------------------
// 3. Pacing
// ---------------------------------------------------------------------------

#[test]
fn pacing_zero_pass_through_is_refused_by_the_catalog() {
    let mut c = simple("x", &[]);
    c.pass_through_bp = 0;
    let cat = catalog(vec![c]);
    let b = bundle::seal(&cat, 1, NOW - DAY_MS, NOW + DAY_MS, signing_key()).unwrap();
    let f = Fx::with(None, quiet(), Consent::Personalised, 1);
    match f.engine.install_catalog(b) {
        Err(Error::CatalogInvalid {
            rule: CatalogRule::Range,
            path,
            ..
        }) => assert!(path.ends_with("pass_through_bp"), "{path}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(f.select(1, blank()).no_fill, Some(NoFill::NoCatalog));
}

fn paced(bp: u16, seed: u64) -> usize {
    let mut c = simple("x", &[]);
    c.pass_through_bp = bp;
    let f = Fx::with(
        Some(&catalog(vec![c])),
        quiet(),
        Consent::Personalised,
        seed,
    );
    (0..400).filter(|_| f.fills(blank())).count()
}

#[test]
fn pacing_pass_through_rate() {
    // 1 basis point: (almost) never.
    assert!(paced(1, 1) <= 2);
    assert_eq!(paced(10_000, 1), 400);
    // 50%: Binomial(400, 0.5) has sd 10; allow 5 sd per seed.
    let mut total = 0;
    for seed in [1, 2, 3, 4] {
        let n = paced(5_000, seed);
        assert!((150..=250).contains(&n), "seed {seed}: {n} of 400");
        total += n;
    }
    assert!((700..=900).contains(&total), "{total} of 1600");
    // Same seed, same pacing decisions.
    assert_eq!(paced(5_000, 3), paced(5_000, 3));
}

// ---------------------------------------------------------------------------
// 4. Scoring and priority tiers
// ---------------------------------------------------------------------------

#[test]
fn scoring_higher_value_wins() {
    let f = Fx::new(&catalog(vec![
        valued("lo", &[], 1_000_000),
        valued("hi", &[], 3_000_000),
        valued("mid", &[], 2_000_000),
    ]));
    let r = f.select(3, blank());
    let ids: Vec<&str> = r.choices.iter().map(|c| c.campaign_id.as_str()).collect();
    assert_eq!(ids, ["c-hi", "c-mid", "c-lo"]);
    // Same features: same engagement; score = value × engagement.
    let p = r.choices[0].engagement;
    let base = 1.0 / (1.0 + 4f64.exp()); // b0 = -4, nothing matched
    assert!((p - base).abs() < 1e-12, "{p}");
    for (c, v) in r.choices.iter().zip([3e6, 2e6, 1e6]) {
        assert!((c.score - v * p).abs() < 1e-6, "{c:?}");
        assert_eq!(c.why.basis, Basis::Untargeted);
    }
}

#[test]
fn scoring_better_match_wins() {
    let f = Fx::new(&catalog(vec![
        simple("fashion", &[("552", 0.1)]),
        simple("sports", &[("483", 0.1)]),
    ]));
    f.view(&["552"]);
    for _ in 0..5 {
        f.view(&["483"]);
    }
    let r = f.select(2, blank());
    let ids: Vec<&str> = r.choices.iter().map(|c| c.campaign_id.as_str()).collect();
    assert_eq!(ids, ["c-sports", "c-fashion"]);
    // z = -4 + 0.8 ln(1 + w).
    let p = |w: f64| 1.0 / (1.0 + (4.0 - 0.8 * (1.0 + w).ln()).exp());
    assert!((r.choices[0].engagement - p(5.0)).abs() < 1e-9);
    assert!((r.choices[1].engagement - p(1.0)).abs() < 1e-9);
    // A context match adds w_context = 1.0 and overturns it.
    let r = f.select(2, page(&["552"]));
    assert_eq!(r.choices[0].campaign_id, "c-fashion");
    let p_ctx = 1.0 / (1.0 + (3.0 - 0.8 * 2f64.ln()).exp());
    assert!((r.choices[0].engagement - p_ctx).abs() < 1e-9);
}

fn override_catalog(scoring: Vec<(String, f32)>) -> Catalog {
    let mut cat = catalog(vec![
        valued("interest", &[("483", 0.5)], 2_000_000),
        valued("context", &[("596", 0.5)], 1_000_000),
    ]);
    cat.models.scoring = scoring;
    cat
}

#[test]
fn scoring_catalog_override_changes_the_winner() {
    // interest: 2.00 × σ(-4 + 0.8 ln 2) ≈ 61,800; context: 1.00 × σ(-3) ≈ 47,400.
    let f = Fx::new(&override_catalog(vec![]));
    f.view(&["483"]);
    let r = f.select(1, page(&["596"]));
    assert_eq!(r.choices[0].campaign_id, "c-interest");
    // With w_context = 3: context: 1.00 × σ(-1) ≈ 268,900.
    let f = Fx::new(&override_catalog(vec![("w_context".into(), 3.0)]));
    f.view(&["483"]);
    let r = f.select(2, page(&["596"]));
    assert_eq!(r.choices[0].campaign_id, "c-context");
    assert_eq!(r.choices[0].why.basis, Basis::Context);
    let p = 1.0 / (1.0 + 1f64.exp());
    assert!((r.choices[0].engagement - p).abs() < 1e-9);
    assert!((r.choices[0].score - 1e6 * p).abs() < 1e-3);
    assert_eq!(r.choices[1].campaign_id, "c-interest");
}

#[test]
fn priority_tier_zero_beats_higher_value_in_tier_one() {
    let mut t0 = valued("t0", &[], 100_000);
    t0.priority = 0;
    let mut t1 = valued("t1", &[], 10_000_000);
    t1.priority = 1;
    let mut t1b = valued("t1b", &[], 5_000_000);
    t1b.priority = 1;
    let mut t2 = valued("t2", &[], 90_000_000);
    t2.priority = 2;
    let f = Fx::new(&catalog(vec![t2, t1b, t1, t0]));
    assert_eq!(f.campaigns(blank()), ["c-t0", "c-t1", "c-t1b", "c-t2"]);
    let one = f.select(1, blank());
    assert_eq!(one.choices[0].campaign_id, "c-t0");
    let two = f.select(2, blank());
    assert_eq!(
        two.choices
            .iter()
            .map(|c| c.campaign_id.as_str())
            .collect::<Vec<_>>(),
        ["c-t0", "c-t1"],
        "tier 1 fills the remaining slot"
    );
}

// ---------------------------------------------------------------------------
// 5. Exploration
// ---------------------------------------------------------------------------

fn five() -> Catalog {
    catalog(
        (1..=5u64)
            .map(|i| valued(&i.to_string(), &[], i * 1_000_000))
            .collect(),
    )
}

/// Everything of a response but the tokens (which are per install).
fn tokenless(r: &AdResponse) -> Vec<(String, String, String, Basis, String)> {
    r.choices
        .iter()
        .map(|c| {
            (
                c.campaign_id.clone(),
                c.creative_set_id.clone(),
                c.creative.id.clone(),
                c.why.basis,
                format!("{:.9} {:.12}", c.score, c.engagement),
            )
        })
        .collect()
}

#[test]
fn exploration_picks_at_random_and_says_so() {
    let ads = SelectConfig {
        exploration: 1.0,
        ..quiet()
    };
    let f = Fx::with(Some(&five()), ads.clone(), Consent::Personalised, 7);
    let mut firsts = BTreeSet::new();
    for _ in 0..40 {
        let r = f.select(3, blank());
        assert_eq!(r.choices.len(), 3);
        for c in &r.choices {
            assert_eq!(c.why.basis, Basis::Exploration);
            assert!(c.why.text.contains("at random"), "{}", c.why.text);
        }
        firsts.insert(r.choices[0].campaign_id.clone());
    }
    assert!(firsts.len() >= 4, "exploration is not random: {firsts:?}");
    // Without exploration the best always comes first.
    let f = Fx::with(Some(&five()), quiet(), Consent::Personalised, 7);
    for _ in 0..10 {
        let r = f.select(3, blank());
        assert_eq!(r.choices[0].campaign_id, "c-5");
        assert!(r.choices.iter().all(|c| c.why.basis != Basis::Exploration));
    }
}

#[test]
fn exploration_same_seed_same_answers() {
    let ads = SelectConfig {
        exploration: 0.5,
        ..quiet()
    };
    let run = |seed: u64| {
        let f = Fx::with(Some(&five()), ads.clone(), Consent::Personalised, seed);
        (0..30)
            .map(|i| tokenless(&f.select(1 + i % 3, blank())))
            .collect::<Vec<_>>()
    };
    let a = run(11);
    assert_eq!(a, run(11));
    assert_ne!(a, run(12), "a different seed explores differently");
    let explored = a
        .iter()
        .flatten()
        .filter(|c| c.3 == Basis::Exploration)
        .count();
    let total = a.iter().flatten().count();
    assert!(
        explored * 4 > total && explored * 4 < 3 * total,
        "{explored} of {total} explored at share 0.5"
    );
}

// ---------------------------------------------------------------------------
// 6. Diversity
// ---------------------------------------------------------------------------

#[test]
fn diversity_one_per_campaign_and_advertiser() {
    let many_sets = campaign(
        "c-many",
        "a-many",
        vec![
            set("s-1", &[], &["k-1"]),
            set("s-2", &[], &["k-2"]),
            set("s-3", &[], &["k-3"]),
        ],
    );
    let mut same_adv = campaign("c-same", "a-many", vec![set("s-4", &[], &["k-4"])]);
    same_adv.value_micros = 5_000_000;
    let f = Fx::new(&catalog(vec![many_sets, same_adv, simple("other", &[])]));
    let r = f.select(10, blank());
    let ids: Vec<&str> = r.choices.iter().map(|c| c.campaign_id.as_str()).collect();
    assert_eq!(ids, ["c-same", "c-other"], "one of a-many's campaigns");
    let advs: BTreeSet<&str> = r.choices.iter().map(|c| c.advertiser_id.as_str()).collect();
    assert_eq!(advs.len(), r.choices.len());
}

#[test]
fn diversity_last_creative_is_not_repeated_while_another_exists() {
    // One set, two creatives: they alternate.
    let c = campaign("c-x", "a-x", vec![set("s-x", &[], &["k-1", "k-2"])]);
    let f = Fx::new(&catalog(vec![c]));
    let mut last = f.show(blank()).creative.id;
    for _ in 0..10 {
        f.advance(MINUTE_MS);
        let next = f.show(blank()).creative.id;
        assert_ne!(next, last);
        last = next;
    }
}

#[test]
fn diversity_last_creative_yields_to_another_campaign() {
    let f = Fx::new(&catalog(vec![
        valued("best", &[], 3_000_000),
        simple("second", &[]),
    ]));
    assert_eq!(f.show(blank()).campaign_id, "c-best");
    // best's only creative was the last one shown: second goes first now…
    let r = f.select(2, blank());
    let ids: Vec<&str> = r.choices.iter().map(|c| c.campaign_id.as_str()).collect();
    assert_eq!(ids, ["c-second", "c-best"]);
    // …and is then the last one shown itself.
    f.engine
        .record_ad_event(&r.choices[0].token, AdEventKind::Impression)
        .unwrap();
    assert_eq!(f.campaigns(blank()), ["c-best", "c-second"]);
}

#[test]
fn diversity_last_creative_repeats_when_it_is_the_only_one() {
    let f = Fx::new(&catalog(vec![simple("only", &[])]));
    for _ in 0..3 {
        assert_eq!(f.show(blank()).creative.id, "k-only");
        f.advance(MINUTE_MS);
    }
}

// ---------------------------------------------------------------------------
// 7. Context only
// ---------------------------------------------------------------------------

fn sports_and_run() -> Catalog {
    let mut trait_only = valued("premium", &[], 9_000_000);
    trait_only.creative_sets[0].traits = vec!["spending_tier=premium".into()];
    catalog(vec![
        valued("sports", &[("483", 0.5)], 2_000_000),
        simple("run", &[]),
        trait_only,
    ])
}

fn check_contextual(f: &Fx) {
    let r = f.select(3, page(&["484"]));
    let ids: Vec<&str> = r.choices.iter().map(|c| c.campaign_id.as_str()).collect();
    assert_eq!(ids, ["c-sports", "c-run"]);
    let why = &r.choices[0].why;
    assert_eq!(why.basis, Basis::Context);
    assert_eq!(why.page_topics, ["Sports"]);
    assert!(why.interests.is_empty());
    assert!(
        why.text.starts_with("Based on this page (Sports)"),
        "{}",
        why.text
    );
    assert_eq!(r.choices[1].why.basis, Basis::Untargeted);
    assert!(
        r.choices[1].why.text.contains("not based on you"),
        "{}",
        r.choices[1].why.text
    );
    // Without context: only the untargeted set.
    assert_eq!(f.campaigns(blank()), ["c-run"]);
}

#[test]
fn contextual_consent_selects_from_the_page() {
    let f = Fx::with(Some(&sports_and_run()), quiet(), Consent::ContextualOnly, 1);
    check_contextual(&f);
}

#[test]
fn empty_profile_selects_from_the_page() {
    let f = Fx::new(&sports_and_run());
    assert!(f.engine.interests().unwrap().is_empty());
    check_contextual(&f);
}

#[test]
fn contextual_consent_ignores_a_kept_profile() {
    let f = Fx::new(&sports_and_run());
    for _ in 0..3 {
        f.view(&["483"]);
    }
    for _ in 0..2 {
        f.engine
            .record(&Event::purchase(&["552"], Some(200_000_000)))
            .unwrap();
    }
    assert_eq!(f.campaigns(blank()), ["c-premium", "c-sports", "c-run"]);
    f.engine.set_consent(Consent::ContextualOnly).unwrap();
    assert!(!f.engine.interests().unwrap().is_empty(), "kept, not used");
    check_contextual(&f);
}

#[test]
fn page_text_is_matched_to_topics() {
    let f = Fx::with(Some(&sports_and_run()), quiet(), Consent::ContextualOnly, 1);
    let tax = f.engine.taxonomy();
    let matched = tax.match_text("American Football", 3);
    assert!(
        matched.contains(&tax.idx("484").unwrap()),
        "taxonomy matched {matched:?}"
    );
    let r = f.select(
        1,
        AdContext {
            text: Some("American Football".into()),
            ..blank()
        },
    );
    assert_eq!(r.choices[0].campaign_id, "c-sports");
    assert_eq!(r.choices[0].why.basis, Basis::Context);
}

// ---------------------------------------------------------------------------
// 8. Explanation
// ---------------------------------------------------------------------------

#[test]
fn explanation_names_the_matched_interests() {
    let f = Fx::new(&catalog(vec![simple(
        "x",
        &[("483", 0.5), ("552", 0.5), ("596", 0.5)],
    )]));
    f.view(&["552"]);
    f.view(&["483"]);
    f.view(&["483"]);
    let c = f.select(1, blank()).choices.remove(0);
    let why = &c.why;
    assert_eq!(why.basis, Basis::Interests);
    let got: Vec<(&str, &str)> = why
        .interests
        .iter()
        .map(|i| (i.topic_id.as_str(), i.label.as_str()))
        .collect();
    assert_eq!(got, [("483", "Sports"), ("552", "Style & Fashion")]);
    assert!((why.interests[0].weight - 2.0).abs() < 1e-9);
    assert!((why.interests[1].weight - 1.0).abs() < 1e-9);
    assert!(
        why.text.starts_with(
            "You're seeing this because you're interested in Sports and Style & Fashion."
        ),
        "{}",
        why.text
    );
    assert!(why.text.contains("nothing about you was sent"));
    assert_eq!(c.advertiser_name, "Name of a-x");
}

// ---------------------------------------------------------------------------
// 9. Tokens and events
// ---------------------------------------------------------------------------

#[test]
fn impression_counts_once() {
    let f = Fx::new(&catalog(vec![simple("x", &[])]));
    let c = f.select(1, blank()).choices.remove(0);
    let o = f
        .engine
        .record_ad_event(&c.token, AdEventKind::Impression)
        .unwrap();
    assert!(o.counted);
    assert_eq!(o.ad.campaign_id, "c-x");
    assert_eq!(o.ad.creative_id, "k-x");
    let o = f
        .engine
        .record_ad_event(&c.token, AdEventKind::Impression)
        .unwrap();
    assert!(!o.counted);
    assert!(
        f.engine
            .record_ad_event(&c.token, AdEventKind::Click)
            .unwrap()
            .counted
    );
    assert!(
        !f.engine
            .record_ad_event(&c.token, AdEventKind::Click)
            .unwrap()
            .counted
    );
    assert_eq!(f.engine.ad_history().unwrap().len(), 1);
}

#[test]
fn forged_tokens_are_refused() {
    let f = Fx::new(&catalog(vec![simple("x", &[])]));
    let c = f.select(1, blank()).choices.remove(0);
    assert!(
        c.token.starts_with("t1-") && c.token.len() == 43,
        "{}",
        c.token
    );
    // Change each hex digit in turn: the serial or the MAC no longer fits.
    for i in 3..c.token.len() {
        let mut forged = c.token.clone().into_bytes();
        forged[i] = if forged[i] == b'0' { b'1' } else { b'0' };
        let forged = String::from_utf8(forged).unwrap();
        assert!(
            matches!(
                f.engine.record_ad_event(&forged, AdEventKind::Click),
                Err(Error::InvalidAdToken)
            ),
            "digit {i}"
        );
    }
    for junk in [
        "",
        "t1-",
        "nonsense",
        &c.token[..42],
        &c.token.to_uppercase(),
    ] {
        assert!(
            matches!(
                f.engine.record_ad_event(junk, AdEventKind::Impression),
                Err(Error::InvalidAdToken)
            ),
            "{junk:?}"
        );
    }
    // A token of another install is forged too.
    let g = Fx::new(&catalog(vec![simple("x", &[])]));
    assert!(matches!(
        g.engine.record_ad_event(&c.token, AdEventKind::Impression),
        Err(Error::InvalidAdToken)
    ));
    assert!(f.engine.ad_history().unwrap().is_empty());
    // The real one still works.
    assert!(
        f.engine
            .record_ad_event(&c.token, AdEventKind::Impression)
            .unwrap()
            .counted
    );
}

#[test]
fn unused_tokens_expire_after_a_day() {
    let f = Fx::new(&catalog(vec![simple("x", &[])]));
    let a = f.select(1, blank()).choices.remove(0);
    let b = f.select(1, blank()).choices.remove(0);
    f.advance(24 * HOUR_MS);
    assert!(
        f.engine
            .record_ad_event(&a.token, AdEventKind::Impression)
            .unwrap()
            .counted,
        "exactly 24 h is still in time"
    );
    f.advance(1);
    assert!(matches!(
        f.engine.record_ad_event(&b.token, AdEventKind::Impression),
        Err(Error::AdTokenExpired)
    ));
    // A used token lives on with its history entry.
    f.advance(5 * DAY_MS);
    assert!(
        f.engine
            .record_ad_event(&a.token, AdEventKind::Click)
            .unwrap()
            .counted
    );
}

#[test]
fn ad_history_shows_reactions_and_forgets_after_30_days() {
    let f = Fx::new(&catalog(vec![
        valued("x", &[], 2_000_000),
        simple("y", &[]),
    ]));
    let x = f.show(blank());
    f.engine
        .record_ad_event(&x.token, AdEventKind::Like)
        .unwrap();
    f.engine
        .record_ad_event(&x.token, AdEventKind::Click)
        .unwrap();
    f.advance(DAY_MS);
    let y = f.show(blank());
    assert_eq!(y.campaign_id, "c-y", "the last creative is not repeated");
    let h = f.engine.ad_history().unwrap();
    assert_eq!(h.len(), 2);
    assert_eq!(
        (h[0].campaign_id.as_str(), h[0].reactions.as_slice()),
        ("c-y", [].as_slice()),
        "newest first"
    );
    assert_eq!(h[0].shown_at_ms, NOW + DAY_MS);
    assert_eq!(h[1].campaign_id, "c-x");
    assert_eq!(h[1].creative_id, "k-x");
    assert_eq!(h[1].title, "Title of k-x");
    assert_eq!(h[1].advertiser_name.as_deref(), Some("Name of a-x"));
    assert_eq!(h[1].reactions, [AdEventKind::Click, AdEventKind::Like]);
    assert_eq!(h[1].shown_at_ms, NOW);
    // The history entry's token records a reaction on that ad.
    assert!(
        f.engine
            .record_ad_event(&h[1].token, AdEventKind::Hide)
            .unwrap()
            .counted
    );
    // 30 days after x was shown it is still listed; a moment later it is gone.
    f.advance(29 * DAY_MS);
    let h = f.engine.ad_history().unwrap();
    assert_eq!(h.len(), 2);
    f.advance(1);
    let h = f.engine.ad_history().unwrap();
    assert_eq!(
        h.iter().map(|e| e.campaign_id.as_str()).collect::<Vec<_>>(),
        ["c-y"]
    );
    f.advance(DAY_MS);
    assert!(f.engine.ad_history().unwrap().is_empty());
}

// ---------------------------------------------------------------------------
// 10. Invalid requests
// ---------------------------------------------------------------------------

#[test]
fn invalid_requests_are_typed_errors() {
    let f = Fx::new(&catalog(vec![simple("x", &[])]));
    let bad_arg = |r: AdRequest, name: &str| match f.engine.select_ads(&r) {
        Err(Error::InvalidArgument { name: n, .. }) => assert_eq!(n, name),
        other => panic!("{name}: {other:?}"),
    };
    bad_arg(
        AdRequest {
            placement_id: String::new(),
            ..req(1, blank())
        },
        "placement_id",
    );
    bad_arg(
        AdRequest {
            placement_id: "p".repeat(65),
            ..req(1, blank())
        },
        "placement_id",
    );
    bad_arg(req(0, blank()), "slots");
    bad_arg(req(11, blank()), "slots");
    assert_eq!(f.select(10, blank()).choices.len(), 1, "10 slots are fine");
    bad_arg(req(1, page(&["483"; 33])), "context.topics");
    bad_arg(
        req(
            1,
            AdContext {
                text: Some("x".repeat(2049)),
                ..blank()
            },
        ),
        "context.text",
    );
    bad_arg(
        req(
            1,
            AdContext {
                utc_offset_minutes: 14 * 60 + 1,
                ..blank()
            },
        ),
        "context.utc_offset_minutes",
    );
    bad_arg(
        req(
            1,
            AdContext {
                country: Some(String::new()),
                ..blank()
            },
        ),
        "context.country",
    );
    match f
        .engine
        .select_ads(&req(1, page(&["483", "no-such-topic"])))
    {
        Err(Error::UnknownTopic(t)) => assert!(t.contains("no-such-topic"), "{t}"),
        other => panic!("{other:?}"),
    }
    f.engine.close().unwrap();
    assert!(matches!(
        f.engine.select_ads(&req(1, blank())),
        Err(Error::Closed)
    ));
}

// ---------------------------------------------------------------------------
// 11. Persistence
// ---------------------------------------------------------------------------

#[test]
fn history_hidden_advertisers_and_caps_survive_reopen() {
    let mut capped = valued("capped", &[], 3_000_000);
    capped.creative_sets[0].caps.per_day = 1;
    let mut f = Fx::new(&catalog(vec![
        capped,
        valued("hidden", &[], 2_000_000),
        simple("rest", &[]),
    ]));
    let a = f.show(blank());
    assert_eq!(a.campaign_id, "c-capped");
    let r = f.select(1, blank());
    let b = &r.choices[0];
    assert_eq!(b.campaign_id, "c-hidden");
    f.engine
        .record_ad_event(&b.token, AdEventKind::Hide)
        .unwrap();
    let before = f.engine.ad_history().unwrap();
    assert_eq!(f.campaigns(blank()), ["c-rest"]);

    f.reopen();
    assert_eq!(f.engine.ad_history().unwrap(), before);
    assert_eq!(f.engine.hidden_advertisers().unwrap(), ["a-hidden"]);
    assert_eq!(f.campaigns(blank()), ["c-rest"], "cap and hide still apply");
    // Tokens issued before the restart still work, and still count once.
    assert!(
        !f.engine
            .record_ad_event(&a.token, AdEventKind::Impression)
            .unwrap()
            .counted
    );
    assert!(
        f.engine
            .record_ad_event(&a.token, AdEventKind::Click)
            .unwrap()
            .counted
    );
    f.advance(DAY_MS);
    assert_eq!(f.campaigns(blank()), ["c-capped", "c-rest"]);
}

// ---------------------------------------------------------------------------
// 12. Found while writing these tests
// ---------------------------------------------------------------------------

/// The fallback that repeats the last creative (when nothing else is left)
/// must still respect the placement's creative kinds.
#[test]
fn creative_kinds_hold_when_the_last_creative_repeats() {
    let mut c = campaign(
        "c-x",
        "a-x",
        vec![set("s-x", &[], &["k-banner", "k-native"])],
    );
    c.creative_sets[0].creatives[0].kind = CreativeKind::Banner;
    let f = Fx::new(&catalog(vec![c]));
    let native = || AdContext {
        kinds: vec![CreativeKind::Native],
        ..blank()
    };
    for _ in 0..3 {
        assert_eq!(f.show(native()).creative.id, "k-native");
    }
    // Without a kind restriction the other creative is preferred.
    assert_eq!(f.show(blank()).creative.id, "k-banner");
}

fn tasteful() -> Catalog {
    let mut a = simple("a", &[]);
    a.creative_sets[0].embedding = vec![127, 0];
    let mut like_a = simple("like-a", &[]);
    like_a.creative_sets[0].embedding = vec![127, 0];
    let mut b = simple("b", &[]);
    b.creative_sets[0].embedding = vec![0, 127];
    catalog(vec![a, like_a, b])
}

/// Engagement by campaign id.
fn engagement(r: &AdResponse, campaign: &str) -> f64 {
    r.choices
        .iter()
        .find(|c| c.campaign_id == campaign)
        .unwrap_or_else(|| panic!("{campaign} not chosen"))
        .engagement
}

/// The ad taste (mean embedding of clicked ads) is learned from the user's
/// behaviour: it personalises scoring under personalised consent only.
#[test]
fn taste_from_clicks_personalises_only_under_personalised_consent() {
    let sigma = |z: f64| 1.0 / (1.0 + (-z).exp());
    for consent in [Consent::Personalised, Consent::ContextualOnly] {
        let f = Fx::with(Some(&tasteful()), quiet(), consent, 1);
        let r = f.select(3, blank());
        assert_eq!(r.choices[0].campaign_id, "c-a");
        f.engine
            .record_ad_event(&r.choices[0].token, AdEventKind::Click)
            .unwrap();
        let r = f.select(3, blank());
        // cos(taste, [1, 0]) = 1 with w_embedding 1.0 when the taste is used.
        let boost = if consent == Consent::Personalised {
            1.0
        } else {
            0.0
        };
        // a was shown once: fatigue -0.3.
        assert!((engagement(&r, "c-a") - sigma(-4.3 + boost)).abs() < 1e-12);
        assert!((engagement(&r, "c-b") - sigma(-4.0)).abs() < 1e-12);
        let similar = sigma(-4.0 + boost);
        assert!(
            (engagement(&r, "c-like-a") - similar).abs() < 1e-12,
            "{consent:?}: {r:#?}"
        );
    }
}

/// KNOWN ISSUE (reported, not fixed): the set statistics behind `caps.total`
/// ("ever"), converted, disliked and dismissed are derived from the retained ad
/// history, which is pruned to 30 days whenever the state is written. So a set
/// capped "for ever" (or disliked, or converted) comes back 30 days later, and
/// exactly when depends on when the background writer last ran.
#[test]
fn total_cap_holds_after_30_days() {
    let f = Fx::new(&capped(
        FrequencyCaps {
            total: 1,
            ..FrequencyCaps::default()
        },
        0,
    ));
    f.show(blank());
    f.advance(31 * DAY_MS);
    assert!(!f.fills(blank()), "before a write");
    f.engine.flush().unwrap();
    assert!(!f.fills(blank()), "after a write");
}
