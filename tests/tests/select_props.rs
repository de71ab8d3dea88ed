//! Property tests of ad selection through the engine.
//!
//! Each case (64, about 1–2 s in a debug build) builds a random small catalog
//! (2–9 campaigns of up to 6 advertisers over a pool of 13 topics; each
//! campaign with at most two of: a flight not covering now, a daypart, geo,
//! locale, OS or app-section targeting; random daily caps, pacing, priorities;
//! 1–3 creative sets with random caps, minimum intervals, include/exclude
//! topics, traits, conversion specs and creative kinds), a random profile and
//! consent, and a random sequence of 10–99 operations: requests (random slots
//! and context), ad events on the returned tokens, URL and custom-event
//! conversions, views, removed interests and clock moves (kept within 25 days).
//! After every response it checks:
//!
//! - never more choices than slots;
//! - never two choices of one campaign or one advertiser;
//! - every choice is eligible at that moment, re-checked here from the
//!   catalog and a model of the history kept by the test (flight, daypart,
//!   geo/locale/OS/section, creative kind, campaign daily cap, frequency caps
//!   per hour/day/week/total, minimum interval, hidden advertiser, disliked /
//!   converted / dismissed, targeting, anti-targeting through profile and page,
//!   hidden topics, traits);
//! - the global limits (per hour, per day, minimum gap) hold, and a no-fill
//!   for a limit happens only when the limit is reached;
//! - every event's `counted` is what the model expects (once per token and
//!   kind; unused tokens expire after 24 h);
//!
//! and, by running every case twice on two fresh engines with the same seed,
//! that the same inputs give the same answers.
//!
//! The profile weights, traits and removed topics are read from the engine's
//! public API (they are the user's data, not selection logic); the rules are
//! re-implemented here from their documentation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, OnceLock};

use hearth_core::ads::AdEventKind;
use hearth_core::catalog::bundle::{self, SigningKey};
use hearth_core::catalog::model::*;
use hearth_core::clock::{DAY_MS, HOUR_MS, MINUTE_MS};
use hearth_core::engine::MAX_FLUSH_INTERVAL_MS;
use hearth_core::profile::Event;
use hearth_core::select::{AdContext, AdRequest, AdResponse, Basis, NoFill, SelectConfig};
use hearth_core::state::Consent;
use hearth_core::store::StoreKey;
use hearth_core::taxonomy::Taxonomy;
use hearth_core::{Engine, EngineConfig, Error, ManualClock, Timestamp};
use proptest::prelude::*;

/// Monday 2026-11-30, 10:15 UTC.
const NOW: Timestamp = 1_796_033_700_000;

/// Sports, American Football, Boxing; Style & Fashion, Beauty, Women's
/// Fashion; Technology & Computing, AI, AR; Attractions, Theme Parks; Books
/// and Literature, Art and Photography.
const POOL: [&str; 13] = [
    "483", "484", "485", "552", "553", "560", "596", "597", "598", "150", "151", "42", "43",
];
const TRAITS: [&str; 2] = ["spending_tier=premium", "spending_tier=budget"];
const EVENTS: [&str; 2] = ["purchase", "signup"];
const MAX_PER_HOUR: u32 = 5;
const MAX_PER_DAY: u32 = 15;
const DISMISS_LIMIT: u32 = 2;

fn signing_key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::generate().unwrap())
}

// ---------------------------------------------------------------------------
// Scenario generation
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct SetSpec {
    include: Vec<(usize, f32)>,
    exclude: Option<usize>,
    trait_: Option<usize>,
    caps: FrequencyCaps,
    min_interval_s: u32,
    /// 0 = none, 1 = URL of its advertiser, 2 = event `purchase`, 3 = `signup`.
    conversion: u8,
    kinds: Vec<bool>, // true = Native, false = Banner
}

#[derive(Debug, Clone)]
struct CampSpec {
    advertiser: usize,
    priority: u8,
    value_micros: u64,
    start_h: i64,
    end_h: i64,
    daily_cap: u32,
    pass_through_bp: u16,
    daypart: Option<(u8, u16, u16)>,
    geo: usize,
    locale: usize,
    os: usize,
    section: bool,
    sets: Vec<SetSpec>,
}

#[derive(Debug, Clone)]
struct CtxSpec {
    topics: Vec<usize>,
    country: usize,
    locale: usize,
    os: usize,
    section: usize,
    native_only: bool,
    utc_offset_minutes: i32,
}

#[derive(Debug, Clone)]
enum Op {
    Select { slots: u32, ctx: CtxSpec },
    Event { choice: usize, kind: AdEventKind },
    Advance(i64),
    View(usize),
    ConvertUrl(usize),
    CustomEvent(usize),
    RemoveInterest(usize),
}

#[derive(Debug, Clone)]
struct Scenario {
    campaigns: Vec<CampSpec>,
    personalised: bool,
    views: Vec<usize>,
    purchases: Vec<i64>,
    exploration: f64,
    min_gap_ms: i64,
    seed: u64,
    ops: Vec<Op>,
}

const GEOS: [&[&str]; 5] = [&[], &["DE"], &["DE-BY"], &["US-CA"], &["AT", "CH"]];
const LOCALES: [&[&str]; 3] = [&[], &["de"], &["en-GB"]];
const OSES: [&[Os]; 3] = [&[], &[Os::Android], &[Os::Ios]];
const COUNTRIES: [Option<&str>; 5] = [None, Some("DE"), Some("DE-BY"), Some("US-CA"), Some("AT")];
const USER_LOCALES: [Option<&str>; 4] = [None, Some("de-DE"), Some("en-GB"), Some("en-US")];
const USER_OS: [Option<Os>; 3] = [None, Some(Os::Android), Some(Os::Ios)];
const SECTIONS: [Option<&str>; 3] = [None, Some("news"), Some("games")];

/// An index into a list, drawn with the given weights.
fn weighted_index(weights: &[u32]) -> impl Strategy<Value = usize> + use<> {
    let total: u32 = weights.iter().sum();
    let cum: Vec<u32> = weights
        .iter()
        .scan(0, |acc, w| {
            *acc += w;
            Some(*acc)
        })
        .collect();
    (0..total).prop_map(move |x| cum.iter().position(|&c| x < c).unwrap_or(0))
}

fn cap() -> impl Strategy<Value = u16> {
    prop_oneof![3 => Just(0u16), 2 => 1u16..4]
}

fn set_spec() -> impl Strategy<Value = SetSpec> {
    (
        prop_oneof![
            1 => Just(Vec::new()),
            2 => prop::collection::vec(
                (0..POOL.len(), prop::sample::select(vec![0.1f32, 0.1, 0.5, 1.0, 2.0])),
                1..4,
            ),
        ],
        prop::option::weighted(0.2, 0..POOL.len()),
        prop::option::weighted(0.15, 0..TRAITS.len()),
        (cap(), cap(), cap(), cap()),
        prop::sample::select(vec![0u32, 0, 60, 600, 3600]),
        prop_oneof![4 => Just(0u8), 1 => 1u8..4],
        prop::collection::vec(prop::bool::weighted(0.7), 1..4),
    )
        .prop_map(
            |(mut include, exclude, trait_, (h, d, w, t), min_interval_s, conversion, kinds)| {
                include.sort_by_key(|x| x.0);
                include.dedup_by_key(|x| x.0);
                SetSpec {
                    include,
                    exclude,
                    trait_,
                    caps: FrequencyCaps {
                        per_hour: h,
                        per_day: d,
                        per_week: w,
                        total: t,
                    },
                    min_interval_s,
                    conversion,
                    kinds,
                }
            },
        )
}

/// Restrictions a campaign may have (at most two per campaign, so that about
/// half of the campaigns are open to everyone and requests usually fill).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Restriction {
    None,
    Flight,
    Daypart,
    Geo,
    Locale,
    Os,
    Section,
}

fn restriction() -> impl Strategy<Value = Restriction> {
    prop::sample::select(vec![
        Restriction::None,
        Restriction::None,
        Restriction::None,
        Restriction::None,
        Restriction::None,
        Restriction::Flight,
        Restriction::Daypart,
        Restriction::Geo,
        Restriction::Locale,
        Restriction::Os,
        Restriction::Section,
    ])
}

fn camp_spec() -> impl Strategy<Value = CampSpec> {
    (
        (0usize..6, 0u8..3, 100_000u64..5_000_000),
        (
            prop_oneof![2 => -300i64..0, 1 => 1i64..48],
            prop_oneof![2 => 100i64..900, 1 => -50i64..100],
        ),
        (
            prop_oneof![3 => Just(0u32), 1 => 1u32..4],
            prop_oneof![4 => Just(10_000u16), 1 => 1u16..10_000],
        ),
        (1u8..128, 0u16..24, 1u16..24),
        (1..GEOS.len(), 1..LOCALES.len(), 1..OSES.len()),
        (restriction(), restriction()),
        prop::collection::vec(set_spec(), 1..4),
    )
        .prop_map(
            |(
                (advertiser, priority, value_micros),
                (start_h, end_h),
                (daily_cap, pass_through_bp),
                daypart,
                (geo, locale, os),
                (r1, r2),
                sets,
            )| {
                let has = |r: Restriction| r1 == r || r2 == r;
                let flight = has(Restriction::Flight);
                CampSpec {
                    advertiser,
                    priority,
                    value_micros,
                    start_h: if flight { start_h } else { -300 },
                    end_h: if flight { end_h } else { 900 },
                    daily_cap,
                    pass_through_bp,
                    daypart: has(Restriction::Daypart).then_some(daypart),
                    geo: if has(Restriction::Geo) { geo } else { 0 },
                    locale: if has(Restriction::Locale) { locale } else { 0 },
                    os: if has(Restriction::Os) { os } else { 0 },
                    section: has(Restriction::Section),
                    sets,
                }
            },
        )
}

fn ctx_spec() -> impl Strategy<Value = CtxSpec> {
    (
        prop::collection::vec(0..POOL.len(), 0..3),
        (
            weighted_index(&[1, 5, 2, 1, 1]),
            weighted_index(&[1, 5, 2, 1]),
            weighted_index(&[1, 2, 2]),
            weighted_index(&[3, 2, 1]),
        ),
        prop::bool::weighted(0.2),
        prop::sample::select(vec![-600, -60, 0, 0, 60, 540, 840]),
    )
        .prop_map(
            |(topics, (country, locale, os, section), native_only, utc_offset_minutes)| CtxSpec {
                topics,
                country,
                locale,
                os,
                section,
                native_only,
                utc_offset_minutes,
            },
        )
}

fn op() -> impl Strategy<Value = Op> {
    let kind = prop::sample::select(vec![
        AdEventKind::Impression,
        AdEventKind::Impression,
        AdEventKind::Impression,
        AdEventKind::Impression,
        AdEventKind::Impression,
        AdEventKind::Impression,
        AdEventKind::Impression,
        AdEventKind::Impression,
        AdEventKind::Click,
        AdEventKind::Click,
        AdEventKind::Dismiss,
        AdEventKind::Dismiss,
        AdEventKind::Conversion,
        AdEventKind::Like,
        AdEventKind::Dislike,
        AdEventKind::Hide,
    ]);
    prop_oneof![
        8 => (1u32..4, ctx_spec()).prop_map(|(slots, ctx)| Op::Select { slots, ctx }),
        6 => (0usize..4, kind).prop_map(|(choice, kind)| Op::Event { choice, kind }),
        3 => prop::sample::select(vec![
            0,
            1_000,
            20_000,
            MINUTE_MS,
            10 * MINUTE_MS,
            HOUR_MS,
            6 * HOUR_MS,
            DAY_MS
        ])
        .prop_map(Op::Advance),
        1 => (0..POOL.len()).prop_map(Op::View),
        1 => (0usize..4).prop_map(Op::ConvertUrl),
        1 => (0..EVENTS.len()).prop_map(Op::CustomEvent),
        1 => (0..POOL.len()).prop_map(Op::RemoveInterest),
    ]
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        prop::collection::vec(camp_spec(), 2..10),
        prop::bool::weighted(0.75),
        prop::collection::vec(0..POOL.len(), 0..16),
        prop::collection::vec(10_000_000i64..300_000_000, 0..3),
        prop::sample::select(vec![0.0, 0.0, 0.2, 1.0]),
        prop::sample::select(vec![0i64, 0, 0, 30_000]),
        any::<u64>(),
        prop::collection::vec(op(), 10..100),
    )
        .prop_map(
            |(campaigns, personalised, views, purchases, exploration, min_gap_ms, seed, ops)| {
                Scenario {
                    campaigns,
                    personalised,
                    views,
                    purchases,
                    exploration,
                    min_gap_ms,
                    seed,
                    ops,
                }
            },
        )
}

// ---------------------------------------------------------------------------
// Catalog and request building
// ---------------------------------------------------------------------------

fn build_catalog(specs: &[CampSpec]) -> Catalog {
    let mut campaigns = Vec::new();
    for (ci, c) in specs.iter().enumerate() {
        let sets = c
            .sets
            .iter()
            .enumerate()
            .map(|(si, s)| CreativeSet {
                id: format!("s{ci}-{si}"),
                caps: s.caps,
                min_interval_s: s.min_interval_s,
                include_topics: s
                    .include
                    .iter()
                    .map(|&(t, w)| TopicTarget {
                        topic: POOL[t].into(),
                        min_weight: w,
                    })
                    .collect(),
                exclude_topics: s.exclude.map(|t| POOL[t].to_string()).into_iter().collect(),
                traits: s
                    .trait_
                    .map(|t| TRAITS[t].to_string())
                    .into_iter()
                    .collect(),
                embedding: vec![],
                item_ids: vec![],
                conversion: match s.conversion {
                    0 => None,
                    1 => Some(ConversionSpec {
                        event_name: None,
                        url_pattern: Some(format!(
                            "https://shop{}.example.com/thanks*",
                            c.advertiser
                        )),
                        window_days: 7,
                    }),
                    n => Some(ConversionSpec {
                        event_name: Some(EVENTS[usize::from(n - 2)].into()),
                        url_pattern: None,
                        window_days: 7,
                    }),
                },
                creatives: s
                    .kinds
                    .iter()
                    .enumerate()
                    .map(|(ki, &native)| Creative {
                        id: format!("k{ci}-{si}-{ki}"),
                        kind: if native {
                            CreativeKind::Native
                        } else {
                            CreativeKind::Banner
                        },
                        title: "Title".into(),
                        body: "Body.".into(),
                        image_url: None,
                        click_url: "https://shop.example.com/c".into(),
                        call_to_action: "Go".into(),
                    })
                    .collect(),
            })
            .collect();
        let start_ms = NOW + c.start_h * HOUR_MS;
        let end_ms = NOW + c.end_h.max(c.start_h + 1) * HOUR_MS;
        campaigns.push(Campaign {
            id: format!("c{ci}"),
            advertiser_id: format!("a{}", c.advertiser),
            priority: c.priority,
            value_micros: c.value_micros,
            flight: Flight { start_ms, end_ms },
            daily_cap: c.daily_cap,
            pass_through_bp: c.pass_through_bp,
            dayparts: c
                .daypart
                .map(|(days, start, len)| Daypart {
                    days,
                    start_minute: start * 60,
                    end_minute: ((start + len) * 60).min(1440),
                })
                .into_iter()
                .collect(),
            geo: GEOS[c.geo].iter().map(|s| s.to_string()).collect(),
            locales: LOCALES[c.locale].iter().map(|s| s.to_string()).collect(),
            os: OSES[c.os].to_vec(),
            app_sections: if c.section {
                vec!["news".into()]
            } else {
                vec![]
            },
            creative_sets: sets,
        });
    }
    let advertisers: BTreeSet<String> = campaigns.iter().map(|c| c.advertiser_id.clone()).collect();
    Catalog {
        taxonomy_version: Taxonomy::iab().unwrap().version().into(),
        region: "DE".into(),
        advertisers: advertisers
            .into_iter()
            .map(|id| Advertiser {
                name: format!("Name {id}"),
                id,
            })
            .collect(),
        campaigns,
        models: Models::default(),
    }
}

fn context(c: &CtxSpec) -> AdContext {
    AdContext {
        topics: c.topics.iter().map(|&t| POOL[t].to_string()).collect(),
        text: None,
        locale: USER_LOCALES[c.locale].map(str::to_string),
        country: COUNTRIES[c.country].map(str::to_string),
        app_section: SECTIONS[c.section].map(str::to_string),
        os: USER_OS[c.os],
        kinds: if c.native_only {
            vec![CreativeKind::Native]
        } else {
            vec![]
        },
        utc_offset_minutes: c.utc_offset_minutes,
    }
}

// ---------------------------------------------------------------------------
// The test's own model of the history and its own eligibility rules
// ---------------------------------------------------------------------------

#[derive(Debug, Default)]
struct Model {
    /// (time, campaign id, set id) of every impression.
    shows: Vec<(Timestamp, String, String)>,
    /// Per token: the ad and the kinds recorded.
    tokens: HashMap<String, TokenInfo>,
    dismissals: HashMap<String, u32>,
    disliked: BTreeSet<String>,
    converted: BTreeSet<String>,
    hidden_advertisers: BTreeSet<String>,
}

#[derive(Debug)]
struct TokenInfo {
    issued_at: Timestamp,
    campaign: String,
    set: String,
    advertiser: String,
    kinds: BTreeSet<u8>,
}

fn utc_day(t: Timestamp) -> i64 {
    t.div_euclid(DAY_MS)
}

impl Model {
    /// Apply what the engine should do for `kind` on `token` at `now`;
    /// returns the expected result: `None` = expired, `Some(counted)`.
    fn record(&mut self, token: &str, kind: AdEventKind, now: Timestamp) -> Option<bool> {
        let t = self.tokens.get_mut(token)?;
        if t.kinds.is_empty() && now - t.issued_at > 24 * HOUR_MS {
            return None;
        }
        // A first event of any kind implies the impression.
        if t.kinds.is_empty() {
            self.shows.push((now, t.campaign.clone(), t.set.clone()));
        }
        let counted = t.kinds.insert(kind as u8);
        t.kinds.insert(AdEventKind::Impression as u8);
        if counted {
            match kind {
                AdEventKind::Dismiss => *self.dismissals.entry(t.set.clone()).or_default() += 1,
                AdEventKind::Dislike => {
                    self.disliked.insert(t.set.clone());
                }
                AdEventKind::Conversion => {
                    self.converted.insert(t.set.clone());
                }
                AdEventKind::Hide => {
                    self.hidden_advertisers.insert(t.advertiser.clone());
                }
                _ => {}
            }
        }
        Some(counted)
    }

    fn impressions_within(&self, now: Timestamp, ms: i64) -> usize {
        self.shows.iter().filter(|s| now - s.0 < ms).count()
    }
}

fn geo_ok(targets: &[String], country: Option<&str>) -> bool {
    if targets.is_empty() {
        return true;
    }
    let Some(c) = country.map(str::to_ascii_uppercase) else {
        return false;
    };
    targets
        .iter()
        .any(|t| c == *t || c.starts_with(&format!("{t}-")))
}

fn locale_ok(targets: &[String], locale: Option<&str>) -> bool {
    if targets.is_empty() {
        return true;
    }
    let Some(l) = locale.map(|l| l.replace('_', "-").to_ascii_lowercase()) else {
        return false;
    };
    targets.iter().any(|t| {
        let t = t.to_ascii_lowercase();
        l == t || (!t.contains('-') && l.starts_with(&format!("{t}-")))
    })
}

struct UserView {
    weights: HashMap<String, f64>,
    traits: BTreeSet<String>,
    suppressed: BTreeSet<String>,
}

/// Whether topic `t` is `anc` or below it.
fn within(tax: &Taxonomy, t: &str, anc: &str) -> bool {
    let (Ok(t), Ok(a)) = (tax.idx(t), tax.idx(anc)) else {
        return false;
    };
    tax.is_within(t, a)
}

/// Re-check one choice against every rule; returns the broken rule.
#[allow(clippy::too_many_arguments)]
fn violation(
    cat: &Catalog,
    tax: &Taxonomy,
    model: &Model,
    user: &UserView,
    ctx: &AdContext,
    now: Timestamp,
    campaign_id: &str,
    set_id: &str,
    creative_id: &str,
) -> Option<String> {
    let c = cat.campaigns.iter().find(|c| c.id == campaign_id)?;
    let Some(s) = c.creative_sets.iter().find(|s| s.id == set_id) else {
        return Some("set not in campaign".into());
    };
    let Some(k) = s.creatives.iter().find(|k| k.id == creative_id) else {
        return Some("creative not in set".into());
    };
    // Campaign rules.
    if now < c.flight.start_ms || now > c.flight.end_ms {
        return Some("flight".into());
    }
    if !c.dayparts.is_empty() {
        let local = now + i64::from(ctx.utc_offset_minutes) * MINUTE_MS;
        let dow = (local.div_euclid(DAY_MS) + 3).rem_euclid(7);
        let minute = local.rem_euclid(DAY_MS) / MINUTE_MS;
        if !c.dayparts.iter().any(|d| {
            d.days & (1 << dow) != 0
                && minute >= i64::from(d.start_minute)
                && minute < i64::from(d.end_minute)
        }) {
            return Some("daypart".into());
        }
    }
    if !geo_ok(&c.geo, ctx.country.as_deref()) {
        return Some("geo".into());
    }
    if !locale_ok(&c.locales, ctx.locale.as_deref()) {
        return Some("locale".into());
    }
    if !c.os.is_empty() && !ctx.os.is_some_and(|o| c.os.contains(&o)) {
        return Some("os".into());
    }
    if !c.app_sections.is_empty()
        && !ctx
            .app_section
            .as_ref()
            .is_some_and(|s| c.app_sections.contains(s))
    {
        return Some("app section".into());
    }
    let today = model
        .shows
        .iter()
        .filter(|x| x.1 == c.id && utc_day(x.0) == utc_day(now))
        .count();
    if c.daily_cap > 0 && today >= c.daily_cap as usize {
        return Some(format!("campaign daily cap {} reached", c.daily_cap));
    }
    if model.hidden_advertisers.contains(&c.advertiser_id) {
        return Some("advertiser hidden".into());
    }
    // Set rules.
    if !ctx.kinds.is_empty() && !ctx.kinds.contains(&k.kind) {
        return Some("creative kind".into());
    }
    if model.disliked.contains(&s.id) {
        return Some("disliked".into());
    }
    if model.converted.contains(&s.id) {
        return Some("converted".into());
    }
    if model.dismissals.get(&s.id).copied().unwrap_or(0) >= DISMISS_LIMIT {
        return Some("dismissed".into());
    }
    let shows: Vec<Timestamp> = model
        .shows
        .iter()
        .filter(|x| x.2 == s.id)
        .map(|x| x.0)
        .collect();
    if let Some(&last) = shows.iter().max()
        && now - last < i64::from(s.min_interval_s) * 1000
    {
        return Some("min interval".into());
    }
    let within_ms = |ms: i64| shows.iter().filter(|&&t| now - t < ms).count();
    for (cap, n, what) in [
        (s.caps.per_hour, within_ms(HOUR_MS), "per hour"),
        (s.caps.per_day, within_ms(DAY_MS), "per day"),
        (s.caps.per_week, within_ms(7 * DAY_MS), "per week"),
        (s.caps.total, shows.len(), "total"),
    ] {
        if cap > 0 && n >= usize::from(cap) {
            return Some(format!("cap {what} {cap} reached with {n}"));
        }
    }
    // The page covers a topic if the topic is on it or is an ancestor of one on it.
    let covered = |t: &str| ctx.topics.iter().any(|p| within(tax, p, t));
    let weight = |t: &str| user.weights.get(t).copied().unwrap_or(0.0);
    if !s.include_topics.is_empty()
        && !s.include_topics.iter().any(|x| {
            let w = weight(&x.topic);
            (w > 0.0 && w >= f64::from(x.min_weight)) || covered(&x.topic)
        })
    {
        return Some("not targeted".into());
    }
    if let Some(x) = s
        .exclude_topics
        .iter()
        .find(|x| weight(x) > 0.0 || covered(x))
    {
        return Some(format!("anti-targeted by {x}"));
    }
    if s.include_topics
        .iter()
        .any(|x| user.suppressed.iter().any(|h| within(tax, &x.topic, h)))
    {
        return Some("topic hidden".into());
    }
    if !s.traits.is_empty() && !s.traits.iter().any(|t| user.traits.contains(t)) {
        return Some("trait".into());
    }
    None
}

// ---------------------------------------------------------------------------
// The driver
// ---------------------------------------------------------------------------

/// What a run produced, for comparing two runs (tokens left out: they are
/// per install).
#[derive(Debug, PartialEq)]
enum Step {
    Response(Vec<(String, String, String, Basis, u64)>, Option<NoFill>),
    Recorded(Option<bool>),
    Converted(bool),
}

fn open_engine(dir: &std::path::Path, clock: &Arc<ManualClock>, s: &Scenario) -> Engine {
    let mut c = EngineConfig::new(dir, StoreKey::from_bytes([0x77; 32])).with_clock(clock.clone());
    c.default_consent = Consent::Personalised;
    c.trusted_keys = vec![signing_key().public_key()];
    c.flush_interval_ms = MAX_FLUSH_INTERVAL_MS;
    c.selection_seed = Some(s.seed);
    c.ads = SelectConfig {
        max_ads_per_hour: MAX_PER_HOUR,
        max_ads_per_day: MAX_PER_DAY,
        min_gap_ms: s.min_gap_ms,
        exploration: s.exploration,
        max_slots: 10,
        dismiss_limit: DISMISS_LIMIT,
        ..SelectConfig::default()
    };
    Engine::open(c).unwrap()
}

fn run(s: &Scenario, cat: &Catalog, bundle: &[u8]) -> Result<Vec<Step>, TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(NOW));
    let engine = open_engine(dir.path(), &clock, s);
    engine.install_catalog(bundle.to_vec()).unwrap();
    let tax = engine.taxonomy();
    for &v in &s.views {
        engine.record(&Event::view(&[POOL[v]])).unwrap();
    }
    for &p in &s.purchases {
        engine.record(&Event::purchase(&[], Some(p))).unwrap();
    }
    if !s.personalised {
        engine.set_consent(Consent::ContextualOnly).unwrap();
    }
    let set_of_creative: HashMap<String, String> = cat
        .campaigns
        .iter()
        .flat_map(|c| &c.creative_sets)
        .flat_map(|s| s.creatives.iter().map(|k| (k.id.clone(), s.id.clone())))
        .collect();

    let mut model = Model::default();
    let mut steps = Vec::new();
    let mut last: Vec<String> = Vec::new(); // tokens of the last response
    for op in &s.ops {
        let now = hearth_core::Clock::now_ms(&*clock);
        match op {
            Op::Select { slots, ctx } => {
                let ctx = context(ctx);
                let r: AdResponse = engine
                    .select_ads(&AdRequest {
                        placement_id: "p".into(),
                        slots: *slots,
                        context: ctx.clone(),
                        ..Default::default()
                    })
                    .unwrap();
                let user = UserView {
                    weights: engine
                        .topic_weights()
                        .unwrap()
                        .into_iter()
                        .filter_map(|(t, w)| Some((tax.get(t)?.id.clone(), w)))
                        .collect(),
                    traits: engine.traits().unwrap().iter().map(|t| t.key()).collect(),
                    suppressed: engine.suppressed_topics().unwrap().into_iter().collect(),
                };
                prop_assert!(
                    r.choices.len() <= *slots as usize,
                    "{} > {slots}",
                    r.choices.len()
                );
                prop_assert_eq!(r.choices.is_empty(), r.no_fill.is_some());
                let campaigns: BTreeSet<&str> =
                    r.choices.iter().map(|c| c.campaign_id.as_str()).collect();
                let advertisers: BTreeSet<&str> =
                    r.choices.iter().map(|c| c.advertiser_id.as_str()).collect();
                prop_assert_eq!(campaigns.len(), r.choices.len(), "two of one campaign");
                prop_assert_eq!(advertisers.len(), r.choices.len(), "two of one advertiser");
                // Permission: the global limits, both ways.
                let hour = model.impressions_within(now, HOUR_MS);
                let day = model.impressions_within(now, DAY_MS);
                let last_show = model.shows.iter().map(|x| x.0).max();
                match r.no_fill {
                    Some(NoFill::HourlyLimit) => prop_assert!(hour >= MAX_PER_HOUR as usize),
                    Some(NoFill::DailyLimit) => prop_assert!(day >= MAX_PER_DAY as usize),
                    Some(NoFill::TooSoon { retry_after_ms }) => {
                        let l = last_show.unwrap_or(i64::MIN);
                        prop_assert_eq!(retry_after_ms, l + s.min_gap_ms - now);
                    }
                    Some(NoFill::NoEligibleAd) | None => {
                        prop_assert!(hour < MAX_PER_HOUR as usize);
                        prop_assert!(day < MAX_PER_DAY as usize);
                        prop_assert!(last_show.is_none_or(|l| now - l >= s.min_gap_ms));
                    }
                    Some(other) => prop_assert!(false, "unexpected {:?}", other),
                }
                for c in &r.choices {
                    prop_assert_eq!(
                        set_of_creative.get(&c.creative.id),
                        Some(&c.creative_set_id)
                    );
                    if let Some(v) = violation(
                        cat,
                        &tax,
                        &model,
                        &user,
                        &ctx,
                        now,
                        &c.campaign_id,
                        &c.creative_set_id,
                        &c.creative.id,
                    ) {
                        prop_assert!(
                            false,
                            "{} / {} is ineligible: {}",
                            c.campaign_id,
                            c.creative_set_id,
                            v
                        );
                    }
                    if s.exploration == 0.0 {
                        prop_assert!(c.why.basis != Basis::Exploration);
                    }
                    if !s.personalised {
                        prop_assert!(c.why.interests.is_empty());
                        prop_assert!(c.why.traits.is_empty());
                    }
                }
                last = r.choices.iter().map(|c| c.token.clone()).collect();
                for c in &r.choices {
                    model.tokens.insert(
                        c.token.clone(),
                        TokenInfo {
                            issued_at: now,
                            campaign: c.campaign_id.clone(),
                            set: c.creative_set_id.clone(),
                            advertiser: c.advertiser_id.clone(),
                            kinds: BTreeSet::new(),
                        },
                    );
                }
                steps.push(Step::Response(
                    r.choices
                        .iter()
                        .map(|c| {
                            (
                                c.campaign_id.clone(),
                                c.creative_set_id.clone(),
                                c.creative.id.clone(),
                                c.why.basis,
                                c.score.to_bits(),
                            )
                        })
                        .collect(),
                    r.no_fill,
                ));
            }
            Op::Event { choice, kind } => {
                if last.is_empty() {
                    continue;
                }
                let token = last[choice % last.len()].clone();
                let expected = model.record(&token, *kind, now);
                let got = match engine.record_ad_event(&token, *kind) {
                    Ok(o) => Some(o.counted),
                    Err(Error::AdTokenExpired) => None,
                    Err(e) => return Err(TestCaseError::fail(format!("{e:?}"))),
                };
                prop_assert_eq!(got, expected, "{:?} on {}", kind, token);
                steps.push(Step::Recorded(got));
            }
            // Stay within 25 days: the catalog lives 60 days and the ad
            // history 30 days, neither of which is under test here.
            Op::Advance(ms) => {
                if now + ms <= NOW + 25 * DAY_MS {
                    clock.advance(*ms);
                }
            }
            Op::View(t) => {
                engine.record(&Event::view(&[POOL[*t]])).unwrap();
            }
            Op::RemoveInterest(t) => engine.remove_interest(POOL[*t]).unwrap(),
            Op::ConvertUrl(_) | Op::CustomEvent(_) => {
                let converted = match op {
                    Op::ConvertUrl(a) => engine
                        .record_conversion_url(&format!("https://shop{a}.example.com/thanks?o=1"))
                        .unwrap(),
                    Op::CustomEvent(e) => {
                        let before = engine.ad_history().unwrap();
                        engine.record(&Event::custom(EVENTS[*e], &[])).unwrap();
                        engine.ad_history().unwrap() != before
                    }
                    _ => unreachable!(),
                };
                // Which ad converted is the engine's attribution; the model
                // reads it from the user's ad history.
                for h in engine.ad_history().unwrap() {
                    if h.reactions.contains(&AdEventKind::Conversion) {
                        if let Some(set) = set_of_creative.get(&h.creative_id) {
                            model.converted.insert(set.clone());
                        }
                        // The conversion is now recorded for that ad's token.
                        if let Some(t) = model.tokens.get_mut(&h.token) {
                            t.kinds.insert(AdEventKind::Conversion as u8);
                        }
                    }
                }
                steps.push(Step::Converted(converted));
            }
        }
    }
    engine.close().unwrap();
    Ok(steps)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn every_response_is_eligible_and_reproducible(s in scenario()) {
        let cat = build_catalog(&s.campaigns);
        let bundle = bundle::seal(&cat, 1, NOW - DAY_MS, NOW + 60 * DAY_MS, signing_key()).unwrap();
        let a = run(&s, &cat, &bundle)?;
        let b = run(&s, &cat, &bundle)?;
        prop_assert_eq!(a, b, "same seed, same inputs, different answers");
    }
}
