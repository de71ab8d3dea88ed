//! The local interest model: events in, topic weights and inferred traits out.
//!
//! # The model
//!
//! Each event adds a weight to the topics it names:
//!
//! | event | weight (defaults, [`KindWeights`]) |
//! |---|---|
//! | content view | 1.0 × dwell factor (`clamp(dwell / 30 s, 0.25, 2.0)`; 1.0 without dwell) |
//! | search | 2.0 on the given topics plus the topics matched from the query text |
//! | purchase | 4.0 |
//! | custom app event | 1.0, or the weight configured for its name |
//! | feedback: like | 5.0, and lifts a hide on that topic |
//! | feedback: hide | removes the topic and its subtopics and suppresses them |
//!
//! A share of each weight rolls up to ancestors: `rollup_share` (0.5) to the parent,
//! `rollup_share²` to the grandparent, and so on. Weights decay exponentially with a
//! half-life (14 days): a weight `w` added at time `t` is worth `w · 2^-((now-t)/h)`
//! at `now`. Decay is exact and lazy: each topic stores its weight as of its last
//! update and is decayed on read.
//!
//! The profile keeps at most `top_k` (128) topics. When a new topic would exceed
//! that, the topic with the lowest current weight is evicted. Because every weight
//! decays at the same rate, the order of current weights never changes with time,
//! so each topic carries a time-independent eviction key `log2(w) + t/h`.
//!
//! # Rules for time
//!
//! - An event without a timestamp happens "now" (the engine's clock).
//! - An event stamped in the future is treated as happening now.
//! - An event older than `max_event_age` (90 days, by then its weight has decayed
//!   below 1.2% of its original) is ignored and reported as [`RecordStatus::TooOld`].
//! - Events may arrive out of order: an older event adds its already-decayed weight.
//!
//! # What is never stored
//!
//! - Sensitive topics (see [`crate::taxonomy`]) are dropped from every event.
//! - Search text is matched to topics and then discarded; custom event
//!   names are used to look up a weight and discarded.
//!
//! # Search text → topics
//!
//! When the installed catalog ships a text classifier ([`crate::classifier`]),
//! a search that names no topics takes the classifier's topics (at most
//! [`QUERY_TOPICS`], each with a probability of at least
//! [`crate::classifier::MIN_PROBABILITY`]); a search that names topics keeps
//! just those (the app knows its content better than a guess). Without a
//! classifier, the taxonomy's keyword matcher ([`Taxonomy::match_text`]) adds
//! up to [`QUERY_TOPICS`] topics whose label words all occur in the query.
//! Sensitive and suppressed topics are dropped either way.
//!
//! # Inferred traits
//!
//! A small, documented set of traits is computed on the phone only:
//!
//! - `spending_tier`: `budget`, `mid` or `premium`, from the median value of at least
//!   2 purchases in the last 90 days (thresholds 25.00 and 150.00 in the app's
//!   currency unit, configurable in [`SpendingTierConfig`]).
//! - `life_event:<name>`: a burst of at least `min_events` events on the rule's
//!   topics within `window_days`, active for `active_days` after the burst. The
//!   defaults ([`TraitRule::defaults_for_iab`]) detect moving home, a wedding and a
//!   new baby from IAB topics.
//!
//! Each trait carries a human-readable reason. A removed trait is not inferred
//! again until the user allows it or resets.

use std::collections::{BTreeSet, HashMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::clock::{DAY_MS, Timestamp};
use crate::error::{Error, Result};
use crate::taxonomy::{Taxonomy, TopicIdx};

/// Most topics one event may name.
pub const MAX_TOPICS_PER_EVENT: usize = 32;
/// Longest search query accepted, in bytes.
pub const MAX_QUERY_LEN: usize = 2048;
/// Longest custom event name accepted, in bytes.
pub const MAX_EVENT_NAME_LEN: usize = 64;
/// Largest purchase value accepted, in micros (one billion units).
pub const MAX_VALUE_MICROS: i64 = 1_000_000_000_000_000;
/// Purchases kept for the spending tier (oldest dropped first).
pub const MAX_PURCHASES_KEPT: usize = 64;
/// Evidence timestamps kept per trait rule.
pub const MAX_TRAIT_EVIDENCE: usize = 16;
/// Topics matched from a search query.
pub const QUERY_TOPICS: usize = 3;

/// Weights per event kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KindWeights {
    /// A content view without dwell time.
    pub view: f64,
    /// A search.
    pub search: f64,
    /// A purchase.
    pub purchase: f64,
    /// A custom app event whose name has no entry in `custom_by_name`.
    pub custom: f64,
    /// Weights for custom events by name.
    pub custom_by_name: HashMap<String, f64>,
    /// An explicit "like" of a topic.
    pub like: f64,
}

impl Default for KindWeights {
    fn default() -> Self {
        Self {
            view: 1.0,
            search: 2.0,
            purchase: 4.0,
            custom: 1.0,
            custom_by_name: HashMap::new(),
            like: 5.0,
        }
    }
}

/// Spending-tier thresholds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpendingTierConfig {
    /// Purchases older than this are not considered.
    pub window_days: u32,
    /// Fewer purchases than this in the window: no tier.
    pub min_purchases: u32,
    /// Median at or above this (micros) is `mid`.
    pub mid_from_micros: i64,
    /// Median at or above this (micros) is `premium`.
    pub premium_from_micros: i64,
}

impl Default for SpendingTierConfig {
    fn default() -> Self {
        Self {
            window_days: 90,
            min_purchases: 2,
            mid_from_micros: 25_000_000,
            premium_from_micros: 150_000_000,
        }
    }
}

/// A rule that infers a life-event trait from a burst of related activity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraitRule {
    /// Trait id, e.g. `life_event:moving`.
    pub id: String,
    /// Label shown to the user, e.g. "Moving home".
    pub label: String,
    /// Topic ids (a topic counts with all its subtopics). None may be sensitive.
    pub topics: Vec<String>,
    /// Events needed within the window.
    pub min_events: u32,
    /// The burst window in days.
    pub window_days: u32,
    /// Days the trait stays active after the burst.
    pub active_days: u32,
}

impl TraitRule {
    /// The default life-event rules, written against the IAB Content Taxonomy 3.x.
    pub fn defaults_for_iab() -> Vec<TraitRule> {
        let rule = |id: &str, label: &str, topics: &[&str]| TraitRule {
            id: id.into(),
            label: label.into(),
            topics: topics.iter().map(|s| s.to_string()).collect(),
            min_events: 3,
            window_days: 14,
            active_days: 60,
        };
        vec![
            // Real Estate Buying and Selling, Renting and Leasing, Apartments, Houses.
            rule(
                "life_event:moving",
                "Moving home",
                &["451", "452", "442", "447"],
            ),
            // Wedding, Marriage and Civil Unions, Bachelor Party, Bachelorette Party.
            rule(
                "life_event:wedding",
                "Getting married",
                &["165", "191", "167", "168"],
            ),
            // Baby Shower, Birth, Parenting Babies and Toddlers.
            rule("life_event:new_baby", "A new baby", &["166", "169", "196"]),
        ]
    }
}

/// Parameters of the interest model. Every field has a documented default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileConfig {
    /// Half-life of interest weights, ms. Default 14 days.
    pub half_life_ms: i64,
    /// Most topics kept. Default 128.
    pub top_k: usize,
    /// Share of a weight passed to the parent (and its square to the grandparent…).
    /// Default 0.5; 0 disables roll-up.
    pub rollup_share: f64,
    /// Weights per event kind.
    pub weights: KindWeights,
    /// Events older than this are ignored. Default 90 days.
    pub max_event_age_ms: i64,
    /// Topics whose current weight is below this are not shown and are pruned.
    /// Default 0.01.
    pub min_weight: f64,
    /// Spending-tier thresholds.
    pub spending: SpendingTierConfig,
    /// Life-event rules. Default: [`TraitRule::defaults_for_iab`].
    pub trait_rules: Vec<TraitRule>,
}

impl Default for ProfileConfig {
    fn default() -> Self {
        Self {
            half_life_ms: 14 * DAY_MS,
            top_k: 128,
            rollup_share: 0.5,
            weights: KindWeights::default(),
            max_event_age_ms: 90 * DAY_MS,
            min_weight: 0.01,
            spending: SpendingTierConfig::default(),
            trait_rules: TraitRule::defaults_for_iab(),
        }
    }
}

impl ProfileConfig {
    /// Check every field's range and resolve trait rules against `tax`.
    pub(crate) fn validate(&self, tax: &Taxonomy) -> Result<Vec<ResolvedRule>> {
        let cfg = |field: &'static str, reason: &str| {
            Err(Error::InvalidConfig {
                field,
                reason: reason.into(),
            })
        };
        if self.half_life_ms < 60_000 {
            return cfg("profile.half_life_ms", "must be at least one minute");
        }
        if !(1..=4096).contains(&self.top_k) {
            return cfg("profile.top_k", "must be 1..=4096");
        }
        if !(0.0..=1.0).contains(&self.rollup_share) {
            return cfg("profile.rollup_share", "must be within 0..=1");
        }
        let w = &self.weights;
        let finite_nonneg = |x: f64| x.is_finite() && (0.0..=1e6).contains(&x);
        if ![w.view, w.search, w.purchase, w.custom, w.like]
            .into_iter()
            .chain(w.custom_by_name.values().copied())
            .all(finite_nonneg)
        {
            return cfg(
                "profile.weights",
                "every weight must be finite and within 0..=1e6",
            );
        }
        if self.max_event_age_ms <= 0 {
            return cfg("profile.max_event_age_ms", "must be positive");
        }
        if !(self.min_weight.is_finite() && self.min_weight >= 0.0) {
            return cfg("profile.min_weight", "must be finite and non-negative");
        }
        let s = &self.spending;
        if s.window_days == 0 || s.min_purchases == 0 || s.mid_from_micros > s.premium_from_micros {
            return cfg(
                "profile.spending",
                "window and minimum must be positive and mid ≤ premium",
            );
        }
        let mut out = Vec::with_capacity(self.trait_rules.len());
        for r in &self.trait_rules {
            if r.min_events == 0 || r.window_days == 0 || r.active_days == 0 || r.topics.is_empty()
            {
                return cfg(
                    "profile.trait_rules",
                    "each rule needs topics and positive counts and windows",
                );
            }
            let mut topics = Vec::with_capacity(r.topics.len());
            for id in &r.topics {
                let idx = tax.idx(id).map_err(|_| Error::InvalidConfig {
                    field: "profile.trait_rules",
                    reason: format!("rule {} names unknown topic {id:?}", r.id),
                })?;
                if tax.is_sensitive(idx) {
                    return Err(Error::InvalidConfig {
                        field: "profile.trait_rules",
                        reason: format!("rule {} names sensitive topic {id:?}", r.id),
                    });
                }
                topics.push(idx);
            }
            out.push(ResolvedRule {
                rule: r.clone(),
                topics,
            });
        }
        Ok(out)
    }
}

/// A trait rule with its topics resolved to indices.
#[derive(Debug, Clone)]
pub(crate) struct ResolvedRule {
    rule: TraitRule,
    topics: Vec<TopicIdx>,
}

/// Explicit feedback on a topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Feedback {
    /// More of this.
    Like,
    /// Never this: removes and suppresses the topic and its subtopics.
    Hide,
}

/// What happened, without the when.
#[derive(Debug, Clone, PartialEq)]
pub enum EventData {
    /// The user viewed a piece of content.
    ContentView {
        /// Topic ids of the content.
        topics: Vec<String>,
        /// Time spent on it, if known.
        dwell_ms: Option<u64>,
    },
    /// The user searched. The text is matched to topics and discarded.
    Search {
        /// The query as typed.
        query: String,
        /// Topic ids the app already knows for this search.
        topics: Vec<String>,
    },
    /// The user bought something.
    Purchase {
        /// Topic ids of what was bought.
        topics: Vec<String>,
        /// Price in micros of the app's currency unit (feeds the spending tier).
        value_micros: Option<i64>,
    },
    /// An app-defined event.
    Custom {
        /// The event's name (selects its weight; not stored).
        name: String,
        /// Topic ids it relates to.
        topics: Vec<String>,
    },
    /// Explicit feedback on a topic.
    Feedback {
        /// The topic id.
        topic: String,
        /// Like or hide.
        feedback: Feedback,
    },
}

/// An event: what happened and, optionally, when.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// When it happened (ms since epoch); `None` means now.
    pub at: Option<Timestamp>,
    /// What happened.
    pub data: EventData,
}

fn ids(topics: &[&str]) -> Vec<String> {
    topics.iter().map(|s| s.to_string()).collect()
}

impl Event {
    /// A content view, now, without dwell time.
    pub fn view(topics: &[&str]) -> Self {
        EventData::ContentView {
            topics: ids(topics),
            dwell_ms: None,
        }
        .now()
    }
    /// A search, now.
    pub fn search(query: &str, topics: &[&str]) -> Self {
        EventData::Search {
            query: query.to_string(),
            topics: ids(topics),
        }
        .now()
    }
    /// A purchase, now.
    pub fn purchase(topics: &[&str], value_micros: Option<i64>) -> Self {
        EventData::Purchase {
            topics: ids(topics),
            value_micros,
        }
        .now()
    }
    /// A custom event, now.
    pub fn custom(name: &str, topics: &[&str]) -> Self {
        EventData::Custom {
            name: name.to_string(),
            topics: ids(topics),
        }
        .now()
    }
    /// Feedback on a topic, now.
    pub fn feedback(topic: &str, feedback: Feedback) -> Self {
        EventData::Feedback {
            topic: topic.to_string(),
            feedback,
        }
        .now()
    }
    /// The same event at a given time.
    pub fn at(mut self, at: Timestamp) -> Self {
        self.at = Some(at);
        self
    }
}

impl EventData {
    /// This event, happening now.
    pub fn now(self) -> Event {
        Event {
            at: None,
            data: self,
        }
    }
}

/// Whether an event changed the profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RecordStatus {
    /// Applied to the profile.
    Recorded,
    /// Not collected: consent is contextual-only or off.
    ConsentWithheld,
    /// Older than `max_event_age`: ignored.
    TooOld,
}

/// What [`Engine::record`](crate::Engine::record) did with an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordOutcome {
    /// Whether the event was applied.
    pub status: RecordStatus,
    /// Topics that received weight directly (not counting roll-up).
    pub topics_updated: u32,
    /// Topics dropped because they are sensitive.
    pub sensitive_dropped: u32,
    /// Topics dropped because the user hid or removed them.
    pub suppressed_dropped: u32,
}

impl RecordOutcome {
    pub(crate) fn skipped(status: RecordStatus) -> Self {
        Self {
            status,
            topics_updated: 0,
            sensitive_dropped: 0,
            suppressed_dropped: 0,
        }
    }
}

/// Counts of the activity behind a topic's weight.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// Content views.
    pub views: u32,
    /// Searches.
    pub searches: u32,
    /// Purchases.
    pub purchases: u32,
    /// Custom app events.
    pub custom: u32,
    /// Explicit likes.
    pub likes: u32,
    /// Events on subtopics that rolled up here.
    pub from_subtopics: u32,
}

/// Which kind of evidence an update adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    View,
    Search,
    Purchase,
    Custom,
    Like,
    Subtopic,
}

impl Evidence {
    fn bump(&mut self, k: Kind) {
        let c = match k {
            Kind::View => &mut self.views,
            Kind::Search => &mut self.searches,
            Kind::Purchase => &mut self.purchases,
            Kind::Custom => &mut self.custom,
            Kind::Like => &mut self.likes,
            Kind::Subtopic => &mut self.from_subtopics,
        };
        *c = c.saturating_add(1);
    }
}

/// One topic's stored state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopicState {
    /// Weight as of `at` (decay it to read the current weight).
    pub weight: f64,
    /// The time `weight` refers to.
    pub at: Timestamp,
    /// Most recent event that touched the topic.
    pub last_activity: Timestamp,
    /// What built the weight.
    pub evidence: Evidence,
}

/// A purchase kept for the spending tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Purchase {
    /// When.
    pub at: Timestamp,
    /// Value in micros.
    pub value_micros: i64,
}

/// The profile's persisted form (topics by id, so it survives taxonomy updates).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProfileSnapshot {
    /// Topic id → state.
    pub topics: Vec<(String, TopicState)>,
    /// Topic ids the user hid or removed.
    pub suppressed: Vec<String>,
    /// Recent purchases (bounded).
    pub purchases: Vec<Purchase>,
    /// Trait id → recent evidence timestamps (bounded).
    pub trait_evidence: Vec<(String, Vec<Timestamp>)>,
    /// Trait ids the user removed.
    pub removed_traits: Vec<String>,
}

#[derive(Debug, Clone)]
struct Entry {
    st: TopicState,
    /// Time-independent eviction key: log2(weight) + at / half_life.
    key: f64,
}

/// A topic the user is interested in, with the reason.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Interest {
    /// Topic id.
    pub topic_id: String,
    /// Topic label.
    pub label: String,
    /// Full path, e.g. "Sports/Soccer".
    pub path: String,
    /// Current (decayed) weight.
    pub weight: f64,
    /// Why it is there.
    pub why: Evidence,
    /// Most recent activity on the topic.
    pub last_activity: Timestamp,
    /// One sentence for the user.
    pub reason: String,
}

/// A trait inferred on the phone, with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InferredTrait {
    /// Stable id (`spending_tier`, `life_event:moving`, …); also the removal key.
    pub id: String,
    /// The trait's value (`premium`, `active`, …).
    pub value: String,
    /// Label shown to the user.
    pub label: String,
    /// Why it was inferred.
    pub reason: String,
    /// When the evidence for it was last seen.
    pub since: Timestamp,
}

impl InferredTrait {
    /// The key catalogs target: `id=value`, e.g. `spending_tier=premium`.
    pub fn key(&self) -> String {
        format!("{}={}", self.id, self.value)
    }
}

/// A person's interest profile. Not thread-safe by itself; the engine guards it.
#[derive(Debug, Clone, Default)]
pub struct Profile {
    topics: HashMap<TopicIdx, Entry>,
    suppressed: BTreeSet<TopicIdx>,
    purchases: VecDeque<Purchase>,
    trait_evidence: HashMap<String, VecDeque<Timestamp>>,
    removed_traits: BTreeSet<String>,
}

fn decay(dt_ms: i64, half_life_ms: i64) -> f64 {
    if dt_ms <= 0 {
        1.0
    } else {
        (-(dt_ms as f64) / half_life_ms as f64).exp2()
    }
}

fn eviction_key(weight: f64, at: Timestamp, half_life_ms: i64) -> f64 {
    weight.max(f64::MIN_POSITIVE).log2() + at as f64 / half_life_ms as f64
}

fn check_topics(topics: &[String]) -> Result<()> {
    if topics.len() > MAX_TOPICS_PER_EVENT {
        return Err(Error::InvalidArgument {
            name: "topics",
            reason: format!(
                "{} topics, at most {MAX_TOPICS_PER_EVENT} per event",
                topics.len()
            ),
        });
    }
    Ok(())
}

fn resolve(tax: &Taxonomy, topics: &[String], out: &mut Vec<TopicIdx>) -> Result<()> {
    check_topics(topics)?;
    for t in topics {
        let idx = tax.idx(t)?;
        if !out.contains(&idx) {
            out.push(idx);
        }
    }
    Ok(())
}

impl Profile {
    /// An empty profile.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of topics held (including ones decayed below `min_weight` but not
    /// yet pruned).
    pub fn len(&self) -> usize {
        self.topics.len()
    }

    /// True if no topic is held.
    pub fn is_empty(&self) -> bool {
        self.topics.is_empty()
    }

    /// Dense by topic index: true for every topic the user hid or removed,
    /// and their descendants; empty when nothing is suppressed.
    pub fn suppressed_table(&self, tax: &Taxonomy) -> Vec<bool> {
        if self.suppressed.is_empty() {
            return Vec::new();
        }
        (0..tax.len() as u32)
            .map(|t| self.is_suppressed(tax, t))
            .collect()
    }

    /// True if the topic or one of its ancestors is suppressed.
    pub fn is_suppressed(&self, tax: &Taxonomy, idx: TopicIdx) -> bool {
        !self.suppressed.is_empty()
            && (self.suppressed.contains(&idx)
                || tax.ancestors(idx).any(|a| self.suppressed.contains(&a)))
    }

    /// Apply one event at time `at` to a stand-alone profile, with the same
    /// rules as [`Engine::record`](crate::Engine::record) but without trait
    /// rules (no traits are inferred) and without the engine's clock clamp.
    /// For offline tools that replay histories (`hearth eval`); apps record
    /// through the engine. All-or-nothing: an invalid event leaves the profile
    /// untouched.
    pub fn record(
        &mut self,
        tax: &Taxonomy,
        cfg: &ProfileConfig,
        data: &EventData,
        at: Timestamp,
    ) -> Result<RecordOutcome> {
        self.apply(tax, cfg, &[], data, at)
    }

    /// Apply one event at time `at` (already clamped by the caller's time rule).
    /// All-or-nothing: an invalid event leaves the profile untouched.
    pub(crate) fn apply(
        &mut self,
        tax: &Taxonomy,
        cfg: &ProfileConfig,
        rules: &[ResolvedRule],
        data: &EventData,
        at: Timestamp,
    ) -> Result<RecordOutcome> {
        self.apply_classified(tax, cfg, rules, data, at, None)
    }

    /// [`Profile::apply`] with the text classifier's answer for a search:
    /// `Some(topics)` when a classifier is installed (the topics it gave the
    /// query, empty when the event names topics of its own or nothing passed
    /// its threshold), `None` for the keyword fallback
    /// ([`Taxonomy::match_text`]).
    pub(crate) fn apply_classified(
        &mut self,
        tax: &Taxonomy,
        cfg: &ProfileConfig,
        rules: &[ResolvedRule],
        data: &EventData,
        at: Timestamp,
        classified: Option<&[TopicIdx]>,
    ) -> Result<RecordOutcome> {
        // Validate and resolve everything first.
        let mut topics: Vec<TopicIdx> = Vec::with_capacity(4);
        let (kind, weight) = match data {
            EventData::ContentView {
                topics: t,
                dwell_ms,
            } => {
                resolve(tax, t, &mut topics)?;
                let f = dwell_ms.map_or(1.0, |d| (d as f64 / 30_000.0).clamp(0.25, 2.0));
                (Kind::View, cfg.weights.view * f)
            }
            EventData::Search { query, topics: t } => {
                if query.len() > MAX_QUERY_LEN {
                    return Err(Error::InvalidArgument {
                        name: "query",
                        reason: format!("{} bytes, at most {MAX_QUERY_LEN}", query.len()),
                    });
                }
                resolve(tax, t, &mut topics)?;
                let matched = match classified {
                    Some(c) => c.iter().take(QUERY_TOPICS).copied().collect(),
                    None => tax.match_text(query, QUERY_TOPICS),
                };
                for m in matched {
                    if !topics.contains(&m) {
                        topics.push(m);
                    }
                }
                (Kind::Search, cfg.weights.search)
            }
            EventData::Purchase {
                topics: t,
                value_micros,
            } => {
                if let Some(v) = value_micros
                    && !(0..=MAX_VALUE_MICROS).contains(v)
                {
                    return Err(Error::InvalidArgument {
                        name: "value_micros",
                        reason: format!("{v} is outside 0..={MAX_VALUE_MICROS}"),
                    });
                }
                resolve(tax, t, &mut topics)?;
                (Kind::Purchase, cfg.weights.purchase)
            }
            EventData::Custom { name, topics: t } => {
                if name.is_empty() || name.len() > MAX_EVENT_NAME_LEN {
                    return Err(Error::InvalidArgument {
                        name: "name",
                        reason: format!(
                            "custom event name must be 1..={MAX_EVENT_NAME_LEN} bytes, got {}",
                            name.len()
                        ),
                    });
                }
                resolve(tax, t, &mut topics)?;
                let w = cfg
                    .weights
                    .custom_by_name
                    .get(name)
                    .copied()
                    .unwrap_or(cfg.weights.custom);
                (Kind::Custom, w)
            }
            EventData::Feedback { topic, feedback } => {
                let idx = tax.idx(topic)?;
                match feedback {
                    Feedback::Hide => {
                        self.suppress(tax, idx);
                        return Ok(RecordOutcome::skipped(RecordStatus::Recorded));
                    }
                    Feedback::Like => {
                        self.suppressed.remove(&idx);
                        topics.push(idx);
                        (Kind::Like, cfg.weights.like)
                    }
                }
            }
        };

        let mut out = RecordOutcome::skipped(RecordStatus::Recorded);
        let mut accepted: Vec<TopicIdx> = Vec::with_capacity(topics.len());
        for &t in &topics {
            if tax.is_sensitive(t) {
                out.sensitive_dropped += 1;
                continue;
            }
            if self.is_suppressed(tax, t) {
                out.suppressed_dropped += 1;
                continue;
            }
            accepted.push(t);
            out.topics_updated += 1;
            self.add(cfg, t, weight, at, kind);
            let mut share = 1.0;
            for a in tax.ancestors(t) {
                share *= cfg.rollup_share;
                let w = weight * share;
                if w <= 0.0 {
                    break;
                }
                // Ancestors of a non-sensitive, non-suppressed topic are neither.
                self.add(cfg, a, w, at, Kind::Subtopic);
            }
        }
        while self.topics.len() > cfg.top_k {
            self.evict_lowest();
        }

        // Purchase values feed the spending tier only when the purchase itself was
        // kept (not a sensitive or hidden topic) and the user has not removed the
        // tier; likewise, removed traits collect no evidence.
        if let EventData::Purchase {
            value_micros: Some(v),
            ..
        } = data
            && !accepted.is_empty()
            && !self.removed_traits.contains("spending_tier")
        {
            if self.purchases.len() >= MAX_PURCHASES_KEPT {
                self.purchases.pop_front();
            }
            self.purchases.push_back(Purchase {
                at,
                value_micros: *v,
            });
        }
        if !accepted.is_empty() {
            for r in rules
                .iter()
                .filter(|r| !self.removed_traits.contains(&r.rule.id))
            {
                let hit = accepted
                    .iter()
                    .any(|&t| r.topics.iter().any(|&rt| tax.is_within(t, rt)));
                if hit {
                    let ev = self.trait_evidence.entry(r.rule.id.clone()).or_default();
                    if ev.len() >= MAX_TRAIT_EVIDENCE {
                        ev.pop_front();
                    }
                    // Keep sorted so out-of-order events still form bursts.
                    let pos = ev.partition_point(|&x| x <= at);
                    ev.insert(pos, at);
                }
            }
        }
        Ok(out)
    }

    fn add(&mut self, cfg: &ProfileConfig, t: TopicIdx, w: f64, at: Timestamp, kind: Kind) {
        let h = cfg.half_life_ms;
        let e = self.topics.entry(t).or_insert_with(|| Entry {
            st: TopicState {
                weight: 0.0,
                at,
                last_activity: at,
                evidence: Evidence::default(),
            },
            key: f64::NEG_INFINITY,
        });
        if at >= e.st.at {
            e.st.weight = e.st.weight * decay(at - e.st.at, h) + w;
            e.st.at = at;
        } else {
            e.st.weight += w * decay(e.st.at - at, h);
        }
        e.st.last_activity = e.st.last_activity.max(at);
        e.st.evidence.bump(kind);
        e.key = eviction_key(e.st.weight, e.st.at, h);
    }

    fn evict_lowest(&mut self) {
        let lowest = self
            .topics
            .iter()
            .min_by(|a, b| a.1.key.total_cmp(&b.1.key).then(b.0.cmp(a.0)))
            .map(|(&k, _)| k);
        if let Some(k) = lowest {
            self.topics.remove(&k);
        }
    }

    /// Remove the topic and all its subtopics, and keep them out from now on.
    pub(crate) fn suppress(&mut self, tax: &Taxonomy, idx: TopicIdx) {
        self.topics.retain(|&t, _| !tax.is_within(t, idx));
        self.suppressed.insert(idx);
    }

    /// Lift a suppression set by hide or remove. Returns whether one existed.
    pub(crate) fn allow(&mut self, idx: TopicIdx) -> bool {
        self.suppressed.remove(&idx)
    }

    /// Topic ids currently suppressed.
    pub fn suppressed_ids(&self, tax: &Taxonomy) -> Vec<String> {
        self.suppressed
            .iter()
            .filter_map(|&i| tax.get(i).map(|t| t.id.clone()))
            .collect()
    }

    /// Current weight of one topic, 0 if absent.
    pub fn weight(&self, cfg: &ProfileConfig, idx: TopicIdx, now: Timestamp) -> f64 {
        self.topics.get(&idx).map_or(0.0, |e| {
            e.st.weight * decay(now - e.st.at, cfg.half_life_ms)
        })
    }

    /// Current weights of all topics at or above `min_weight`, heaviest first.
    pub fn weights(&self, cfg: &ProfileConfig, now: Timestamp) -> Vec<(TopicIdx, f64)> {
        let mut v: Vec<(TopicIdx, f64)> = self
            .topics
            .iter()
            .map(|(&t, e)| (t, e.st.weight * decay(now - e.st.at, cfg.half_life_ms)))
            .filter(|&(_, w)| w >= cfg.min_weight && w > 0.0)
            .collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    }

    /// The user-facing list of interests, heaviest first.
    pub fn interests(&self, tax: &Taxonomy, cfg: &ProfileConfig, now: Timestamp) -> Vec<Interest> {
        self.weights(cfg, now)
            .into_iter()
            .filter_map(|(idx, weight)| {
                let t = tax.get(idx)?;
                let e = self.topics.get(&idx)?;
                Some(Interest {
                    topic_id: t.id.clone(),
                    label: t.label.clone(),
                    path: tax.path(idx),
                    weight,
                    why: e.st.evidence.clone(),
                    last_activity: e.st.last_activity,
                    reason: reason(&e.st.evidence, e.st.last_activity, now),
                })
            })
            .collect()
    }

    /// Drop topics decayed below `min_weight` and evidence older than needed.
    pub(crate) fn prune(&mut self, cfg: &ProfileConfig, now: Timestamp) {
        let h = cfg.half_life_ms;
        self.topics
            .retain(|_, e| e.st.weight * decay(now - e.st.at, h) >= cfg.min_weight);
        let horizon = now.saturating_sub(cfg.max_event_age_ms);
        while self.purchases.front().is_some_and(|p| p.at < horizon) {
            self.purchases.pop_front();
        }
        self.trait_evidence.retain(|_, ev| {
            while ev.front().is_some_and(|&t| t < horizon) {
                ev.pop_front();
            }
            !ev.is_empty()
        });
    }

    /// Traits inferred at `now`, minus those the user removed.
    pub(crate) fn traits(
        &self,
        cfg: &ProfileConfig,
        rules: &[ResolvedRule],
        tax: &Taxonomy,
        now: Timestamp,
    ) -> Vec<InferredTrait> {
        let mut out = Vec::new();
        if !self.removed_traits.contains("spending_tier")
            && let Some(t) = self.spending_tier(&cfg.spending, now)
        {
            out.push(t);
        }
        for r in rules {
            if self.removed_traits.contains(&r.rule.id) {
                continue;
            }
            let Some(ev) = self.trait_evidence.get(&r.rule.id) else {
                continue;
            };
            if let Some(t) = life_event(r, ev, tax, now) {
                out.push(t);
            }
        }
        out
    }

    fn spending_tier(&self, s: &SpendingTierConfig, now: Timestamp) -> Option<InferredTrait> {
        let from = now.saturating_sub(i64::from(s.window_days) * DAY_MS);
        let mut values: Vec<i64> = self
            .purchases
            .iter()
            .filter(|p| p.at >= from && p.at <= now)
            .map(|p| p.value_micros)
            .collect();
        if values.len() < s.min_purchases as usize {
            return None;
        }
        values.sort_unstable();
        let n = values.len();
        let median = if n % 2 == 1 {
            *values.get(n / 2)?
        } else {
            let a = *values.get(n / 2 - 1)?;
            let b = *values.get(n / 2)?;
            a / 2 + b / 2 + (a % 2 + b % 2) / 2
        };
        let (value, label) = if median >= s.premium_from_micros {
            ("premium", "Premium spender")
        } else if median >= s.mid_from_micros {
            ("mid", "Mid-range spender")
        } else {
            ("budget", "Budget-conscious spender")
        };
        let since = self.purchases.iter().map(|p| p.at).max().unwrap_or(now);
        Some(InferredTrait {
            id: "spending_tier".into(),
            value: value.into(),
            label: label.into(),
            reason: format!(
                "The median of your {n} purchases in the last {} days is {}.",
                s.window_days,
                money(median)
            ),
            since,
        })
    }

    /// Remove a trait and stop inferring it. Returns whether the id is known.
    pub(crate) fn remove_trait(&mut self, rules: &[ResolvedRule], id: &str) -> bool {
        let known = id == "spending_tier" || rules.iter().any(|r| r.rule.id == id);
        if known {
            self.removed_traits.insert(id.to_string());
            if id == "spending_tier" {
                self.purchases.clear();
            } else {
                self.trait_evidence.remove(id);
            }
        }
        known
    }

    /// Let a removed trait be inferred again. Returns whether it was removed.
    pub(crate) fn allow_trait(&mut self, id: &str) -> bool {
        self.removed_traits.remove(id)
    }

    /// Ids of traits the user removed.
    pub fn removed_traits(&self) -> impl Iterator<Item = &str> {
        self.removed_traits.iter().map(String::as_str)
    }

    /// Recent purchases kept for the spending tier.
    pub fn purchases(&self) -> impl Iterator<Item = &Purchase> {
        self.purchases.iter()
    }

    /// The persisted form. Topics are written by id.
    pub fn snapshot(&self, tax: &Taxonomy) -> ProfileSnapshot {
        let mut topics: Vec<(String, TopicState)> = self
            .topics
            .iter()
            .filter_map(|(&i, e)| tax.get(i).map(|t| (t.id.clone(), e.st.clone())))
            .collect();
        topics.sort_by(|a, b| a.0.cmp(&b.0));
        let mut trait_evidence: Vec<(String, Vec<Timestamp>)> = self
            .trait_evidence
            .iter()
            .map(|(k, v)| (k.clone(), v.iter().copied().collect()))
            .collect();
        trait_evidence.sort();
        ProfileSnapshot {
            topics,
            suppressed: self.suppressed_ids(tax),
            purchases: self.purchases.iter().copied().collect(),
            trait_evidence,
            removed_traits: self.removed_traits.iter().cloned().collect(),
        }
    }

    /// Rebuild from the persisted form. Topics the taxonomy no longer knows, and
    /// topics that are now sensitive, are dropped; bounds are re-applied.
    pub fn restore(snap: ProfileSnapshot, tax: &Taxonomy, cfg: &ProfileConfig) -> Profile {
        let mut p = Profile::new();
        for (id, st) in snap.topics {
            let Ok(idx) = tax.idx(&id) else { continue };
            if tax.is_sensitive(idx) || !st.weight.is_finite() || st.weight < 0.0 {
                continue;
            }
            let key = eviction_key(st.weight, st.at, cfg.half_life_ms);
            p.topics.insert(idx, Entry { st, key });
        }
        while p.topics.len() > cfg.top_k {
            p.evict_lowest();
        }
        p.suppressed = snap
            .suppressed
            .iter()
            .filter_map(|id| tax.idx(id).ok())
            .collect();
        p.purchases = snap
            .purchases
            .into_iter()
            .rev()
            .take(MAX_PURCHASES_KEPT)
            .rev()
            .collect();
        p.trait_evidence = snap
            .trait_evidence
            .into_iter()
            .map(|(k, mut v)| {
                v.sort_unstable();
                let skip = v.len().saturating_sub(MAX_TRAIT_EVIDENCE);
                (k, v.into_iter().skip(skip).collect())
            })
            .collect();
        p.removed_traits = snap.removed_traits.into_iter().collect();
        p
    }
}

fn life_event(
    r: &ResolvedRule,
    ev: &VecDeque<Timestamp>,
    tax: &Taxonomy,
    now: Timestamp,
) -> Option<InferredTrait> {
    let n = r.rule.min_events as usize;
    let window = i64::from(r.rule.window_days) * DAY_MS;
    let ts: Vec<Timestamp> = ev.iter().copied().filter(|&t| t <= now).collect();
    // The latest burst: n events within the window, ending as late as possible.
    let mut burst: Option<(Timestamp, Timestamp, usize)> = None;
    for end in (n.saturating_sub(1)..ts.len()).rev() {
        let (Some(&last), Some(&first)) = (ts.get(end), ts.get(end + 1 - n)) else {
            continue;
        };
        if last - first <= window {
            let count = ts
                .iter()
                .filter(|&&t| t >= last - window && t <= last)
                .count();
            burst = Some((first, last, count));
            break;
        }
    }
    let (_, last, count) = burst?;
    if now - last > i64::from(r.rule.active_days) * DAY_MS {
        return None;
    }
    let labels: Vec<&str> = r
        .topics
        .iter()
        .filter_map(|&t| tax.get(t).map(|t| t.label.as_str()))
        .collect();
    Some(InferredTrait {
        id: r.rule.id.clone(),
        value: "active".into(),
        label: r.rule.label.clone(),
        reason: format!(
            "{count} of your recent activities within {} days were about {}, most recently {}.",
            r.rule.window_days,
            labels.join(", "),
            ago(last, now)
        ),
        since: last,
    })
}

fn money(micros: i64) -> String {
    let cents = (micros + 5_000) / 10_000;
    format!("{}.{:02}", cents / 100, cents % 100)
}

fn ago(t: Timestamp, now: Timestamp) -> String {
    let days = (now - t).max(0) / DAY_MS;
    match days {
        0 => "today".into(),
        1 => "yesterday".into(),
        d => format!("{d} days ago"),
    }
}

fn plural(n: u32, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

fn reason(e: &Evidence, last: Timestamp, now: Timestamp) -> String {
    let mut parts = Vec::new();
    if e.views > 0 {
        parts.push(plural(e.views, "page you viewed", "pages you viewed"));
    }
    if e.searches > 0 {
        parts.push(plural(e.searches, "search", "searches"));
    }
    if e.purchases > 0 {
        parts.push(plural(e.purchases, "purchase", "purchases"));
    }
    if e.custom > 0 {
        parts.push(plural(e.custom, "action in the app", "actions in the app"));
    }
    if e.likes > 0 {
        parts.push(plural(e.likes, "like", "likes"));
    }
    if e.from_subtopics > 0 {
        parts.push(plural(
            e.from_subtopics,
            "activity on a related, more specific topic",
            "activities on related, more specific topics",
        ));
    }
    if parts.is_empty() {
        return format!(
            "Carried over from an earlier version; last activity {}.",
            ago(last, now)
        );
    }
    format!(
        "Based on {}; most recently {}.",
        parts.join(", "),
        ago(last, now)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Timestamp = 1_700_000_000_000;

    fn tax() -> Taxonomy {
        Taxonomy::from_json(
            r#"{"format":"hearth-taxonomy/1","version":"t","topics":[
            {"id":"s","label":"Sports","parent":null},
            {"id":"f","label":"Soccer","parent":"s"},
            {"id":"w","label":"World Cup","parent":"f"},
            {"id":"t","label":"Tennis","parent":"s"},
            {"id":"h","label":"Health","parent":null,"sensitive":"health"},
            {"id":"c","label":"Cancer","parent":"h"},
            {"id":"r","label":"Real Estate","parent":null},
            {"id":"m","label":"Moving","parent":"r"}]}"#,
        )
        .unwrap()
    }

    fn cfg() -> ProfileConfig {
        ProfileConfig {
            trait_rules: vec![TraitRule {
                id: "life_event:moving".into(),
                label: "Moving home".into(),
                topics: vec!["r".into()],
                min_events: 3,
                window_days: 14,
                active_days: 60,
            }],
            ..ProfileConfig::default()
        }
    }

    struct Fx {
        tax: Taxonomy,
        cfg: ProfileConfig,
        rules: Vec<ResolvedRule>,
        p: Profile,
    }

    impl Fx {
        fn new() -> Self {
            let tax = tax();
            let cfg = cfg();
            let rules = cfg.validate(&tax).unwrap();
            Self {
                tax,
                cfg,
                rules,
                p: Profile::new(),
            }
        }
        fn apply(&mut self, e: EventData, at: Timestamp) -> Result<RecordOutcome> {
            self.p.apply(&self.tax, &self.cfg, &self.rules, &e, at)
        }
        fn w(&self, id: &str, now: Timestamp) -> f64 {
            self.p.weight(&self.cfg, self.tax.idx(id).unwrap(), now)
        }
    }

    fn view(t: &[&str]) -> EventData {
        Event::view(t).data
    }

    #[test]
    fn view_weight_rolls_up_geometrically() {
        let mut f = Fx::new();
        let o = f.apply(view(&["w"]), T0).unwrap();
        assert_eq!(o.topics_updated, 1);
        assert_eq!(f.w("w", T0), 1.0);
        assert_eq!(f.w("f", T0), 0.5);
        assert_eq!(f.w("s", T0), 0.25);
        assert_eq!(f.w("t", T0), 0.0);
    }

    #[test]
    fn decay_halves_every_half_life_and_accumulates_exactly() {
        let mut f = Fx::new();
        f.apply(view(&["t"]), T0).unwrap();
        let h = f.cfg.half_life_ms;
        assert!((f.w("t", T0 + h) - 0.5).abs() < 1e-12);
        assert!((f.w("t", T0 + 2 * h) - 0.25).abs() < 1e-12);
        f.apply(view(&["t"]), T0 + h).unwrap();
        assert!((f.w("t", T0 + h) - 1.5).abs() < 1e-12);
        // An out-of-order older event adds its decayed weight.
        f.apply(view(&["t"]), T0).unwrap();
        assert!((f.w("t", T0 + h) - 2.0).abs() < 1e-12);
    }

    #[test]
    fn kind_weights_and_dwell() {
        let mut f = Fx::new();
        let d = |ms| EventData::ContentView {
            topics: vec!["t".into()],
            dwell_ms: Some(ms),
        };
        f.apply(d(60_000), T0).unwrap();
        assert_eq!(f.w("t", T0), 2.0);
        f.apply(d(1), T0).unwrap();
        assert_eq!(f.w("t", T0), 2.25);
        f.apply(Event::purchase(&["t"], None).data, T0).unwrap();
        assert_eq!(f.w("t", T0), 6.25);
        f.apply(Event::search("", &["t"]).data, T0).unwrap();
        assert_eq!(f.w("t", T0), 8.25);
        f.cfg.weights.custom_by_name.insert("share".into(), 3.0);
        f.apply(Event::custom("share", &["t"]).data, T0).unwrap();
        f.apply(Event::custom("other", &["t"]).data, T0).unwrap();
        assert_eq!(f.w("t", T0), 12.25);
        f.apply(Event::feedback("t", Feedback::Like).data, T0)
            .unwrap();
        assert_eq!(f.w("t", T0), 17.25);
        let e = &f.p.topics[&f.tax.idx("t").unwrap()].st.evidence;
        assert_eq!(
            (e.views, e.purchases, e.searches, e.custom, e.likes),
            (2, 1, 1, 2, 1)
        );
    }

    #[test]
    fn search_text_is_matched_not_stored() {
        let mut f = Fx::new();
        let o = f
            .apply(
                Event::search("world cup tickets secret-phrase", &[]).data,
                T0,
            )
            .unwrap();
        assert_eq!(o.topics_updated, 1);
        assert_eq!(f.w("w", T0), 2.0);
        let snap = format!("{:?}", f.p.snapshot(&f.tax));
        assert!(!snap.contains("secret"));
        assert!(!snap.contains("tickets"));
    }

    #[test]
    fn sensitive_topics_are_never_stored() {
        let mut f = Fx::new();
        let o = f.apply(view(&["c", "t"]), T0).unwrap();
        assert_eq!((o.topics_updated, o.sensitive_dropped), (1, 1));
        assert_eq!(f.w("c", T0), 0.0);
        assert_eq!(f.w("h", T0), 0.0);
        assert_eq!(f.p.len(), 2); // Tennis and Sports
    }

    #[test]
    fn hide_removes_subtree_and_suppresses_future_events() {
        let mut f = Fx::new();
        f.apply(view(&["w"]), T0).unwrap();
        f.apply(Event::feedback("f", Feedback::Hide).data, T0)
            .unwrap();
        assert_eq!(f.w("w", T0), 0.0);
        assert_eq!(f.w("f", T0), 0.0);
        assert_eq!(f.w("s", T0), 0.25, "the parent keeps what it had");
        let o = f.apply(view(&["w"]), T0).unwrap();
        assert_eq!((o.topics_updated, o.suppressed_dropped), (0, 1));
        assert_eq!(f.w("w", T0), 0.0);
        // Like lifts the hide.
        f.apply(Event::feedback("f", Feedback::Like).data, T0)
            .unwrap();
        assert_eq!(f.w("f", T0), 5.0);
    }

    #[test]
    fn bounded_to_top_k_evicting_lowest_current_weight() {
        let mut f = Fx::new();
        f.cfg.top_k = 2;
        f.cfg.rollup_share = 0.0;
        f.apply(view(&["t"]), T0).unwrap(); // 1.0 at T0
        f.apply(view(&["w"]), T0 + DAY_MS).unwrap(); // newer: higher current weight
        f.apply(view(&["m"]), T0 + 2 * DAY_MS).unwrap(); // evicts the oldest (t)
        assert_eq!(f.p.len(), 2);
        assert_eq!(f.w("t", T0 + 2 * DAY_MS), 0.0);
        assert!(f.w("w", T0 + 2 * DAY_MS) > 0.0);
        assert!(f.w("m", T0 + 2 * DAY_MS) > 0.0);
    }

    #[test]
    fn invalid_events_are_typed_errors_and_change_nothing() {
        let mut f = Fx::new();
        assert!(matches!(
            f.apply(view(&["t", "zz"]), T0),
            Err(Error::UnknownTopic(_))
        ));
        assert!(f.p.is_empty(), "all or nothing");
        let many: Vec<String> = (0..33).map(|_| "t".to_string()).collect();
        let e = EventData::ContentView {
            topics: many,
            dwell_ms: None,
        };
        assert!(matches!(
            f.apply(e, T0),
            Err(Error::InvalidArgument { name: "topics", .. })
        ));
        let q = Event::search(&"x".repeat(MAX_QUERY_LEN + 1), &[]).data;
        assert!(matches!(
            f.apply(q, T0),
            Err(Error::InvalidArgument { name: "query", .. })
        ));
        let p = Event::purchase(&["t"], Some(-1)).data;
        assert!(matches!(f.apply(p, T0), Err(Error::InvalidArgument { .. })));
        let c = Event::custom("", &["t"]).data;
        assert!(matches!(
            f.apply(c, T0),
            Err(Error::InvalidArgument { name: "name", .. })
        ));
        assert!(f.p.is_empty());
    }

    #[test]
    fn spending_tier_from_median_purchase() {
        let mut f = Fx::new();
        let buy = |v| Event::purchase(&["t"], Some(v)).data;
        f.apply(buy(10_000_000), T0).unwrap();
        assert!(
            f.p.traits(&f.cfg, &f.rules, &f.tax, T0).is_empty(),
            "needs 2"
        );
        f.apply(buy(200_000_000), T0).unwrap();
        f.apply(buy(180_000_000), T0).unwrap();
        let t = f.p.traits(&f.cfg, &f.rules, &f.tax, T0);
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].key(), "spending_tier=premium");
        assert!(t[0].reason.contains("180.00"), "{}", t[0].reason);
        // 91 days later the purchases are out of the window.
        assert!(
            f.p.traits(&f.cfg, &f.rules, &f.tax, T0 + 91 * DAY_MS)
                .is_empty()
        );
        // Removal sticks.
        f.apply(buy(50_000_000), T0).unwrap();
        assert!(f.p.remove_trait(&f.rules, "spending_tier"));
        f.apply(buy(50_000_000), T0).unwrap();
        f.apply(buy(50_000_000), T0).unwrap();
        assert!(f.p.traits(&f.cfg, &f.rules, &f.tax, T0).is_empty());
        assert!(f.p.allow_trait("spending_tier"));
        assert!(
            f.p.traits(&f.cfg, &f.rules, &f.tax, T0).is_empty(),
            "nothing was collected while removed"
        );
        f.apply(buy(50_000_000), T0).unwrap();
        f.apply(buy(50_000_000), T0).unwrap();
        assert_eq!(f.p.traits(&f.cfg, &f.rules, &f.tax, T0)[0].value, "mid");
    }

    #[test]
    fn life_event_needs_a_burst_and_expires() {
        let mut f = Fx::new();
        // Three events 10 days apart: no burst within 14 days.
        for d in [0, 10, 20] {
            f.apply(view(&["m"]), T0 + d * DAY_MS).unwrap();
        }
        assert!(
            f.p.traits(&f.cfg, &f.rules, &f.tax, T0 + 20 * DAY_MS)
                .is_empty()
        );
        f.apply(view(&["r"]), T0 + 21 * DAY_MS).unwrap();
        f.apply(view(&["m"]), T0 + 22 * DAY_MS).unwrap();
        let t = f.p.traits(&f.cfg, &f.rules, &f.tax, T0 + 23 * DAY_MS);
        assert_eq!(t.len(), 1, "{t:?}");
        assert_eq!(t[0].id, "life_event:moving");
        assert!(t[0].reason.contains("Real Estate"));
        assert!(t[0].reason.contains("yesterday"), "{}", t[0].reason);
        assert!(
            f.p.traits(&f.cfg, &f.rules, &f.tax, T0 + 83 * DAY_MS)
                .is_empty()
        );
    }

    #[test]
    fn snapshot_round_trip_and_taxonomy_change() {
        let mut f = Fx::new();
        f.apply(view(&["w", "t"]), T0).unwrap();
        f.apply(Event::purchase(&["t"], Some(5)).data, T0).unwrap();
        f.apply(Event::feedback("m", Feedback::Hide).data, T0)
            .unwrap();
        let snap = f.p.snapshot(&f.tax);
        let back = Profile::restore(snap.clone(), &f.tax, &f.cfg);
        assert_eq!(back.snapshot(&f.tax), snap);
        // Under a taxonomy without Tennis, that topic is dropped quietly.
        let mut data = f.tax.to_data();
        data.topics.retain(|t| t.id != "t");
        let smaller = Taxonomy::from_data(data).unwrap();
        let p = Profile::restore(snap, &smaller, &f.cfg);
        assert!(p.snapshot(&smaller).topics.iter().all(|(id, _)| id != "t"));
        assert_eq!(p.len(), 3);
    }

    #[test]
    fn config_validation() {
        let tax = tax();
        let mut c = cfg();
        c.top_k = 0;
        assert!(matches!(
            c.validate(&tax),
            Err(Error::InvalidConfig {
                field: "profile.top_k",
                ..
            })
        ));
        let mut c = cfg();
        c.weights.view = f64::NAN;
        assert!(c.validate(&tax).is_err());
        let mut c = cfg();
        c.trait_rules[0].topics = vec!["c".into()];
        assert!(
            matches!(c.validate(&tax), Err(Error::InvalidConfig { reason, .. }) if reason.contains("sensitive"))
        );
        let iab = Taxonomy::iab().unwrap();
        assert_eq!(ProfileConfig::default().validate(&iab).unwrap().len(), 3);
    }
}
