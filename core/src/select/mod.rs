//! On-device ad selection: the pipeline from a request to a few chosen ads.
//!
//! Stages, each its own unit with its own tests:
//!
//! 1. [`permission`]: consent, catalog, global limits, minimum gap.
//! 2. candidates from the catalog index: sets that include one of the user's
//!    top topics or a topic on the screen, plus untargeted sets;
//! 3. [`eligibility`]: campaign rules, then set rules;
//! 4. [`pacing`]: each campaign passes with its pass-through rate;
//! 5. [`scoring`]: expected value = value × predicted engagement;
//! 6. choice, slot by slot: with probability `exploration` (default 10%) a
//!    uniformly random eligible candidate (its explanation says so), otherwise the
//!    best expected value in the lowest priority tier that still has a
//!    candidate; within a creative set the creative is drawn uniformly among
//!    those of an accepted kind;
//! 7. diversity: never two creatives of one campaign or one advertiser in a
//!    response; the last shown creative is not repeated while another candidate
//!    exists.
//!
//! Under contextual-only consent, or with an empty profile, the user side is
//! empty (no interests, traits or ad taste): sets are eligible through the
//! screen's topics or as untargeted sets, and trait-targeted sets are not
//! eligible. Topics the user hid stay excluded under every consent.
//!
//! Randomness (pacing, exploration, the creative within a set) comes from the
//! engine's seeded generator, so a fixed seed gives the same answers.

pub mod eligibility;
pub mod permission;
pub mod scoring;

use rand_chacha::rand_core::RngCore;
use serde::{Deserialize, Serialize};

use crate::catalog::model::{CreativeKind, Os};
use crate::catalog::{InstalledCatalog, index};
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::taxonomy::{Taxonomy, TopicIdx};

pub use eligibility::{Ineligible, UserSide};
pub use permission::NoFill;
pub use scoring::{EngagementModel, Features};

/// Limits and shares of selection. Every field has a documented default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SelectConfig {
    /// Most impressions in any rolling hour. Default 6.
    pub max_ads_per_hour: u32,
    /// Most impressions in any rolling 24 hours. Default 30.
    pub max_ads_per_day: u32,
    /// Least time between two impressions, ms. Default 30 s.
    pub min_gap_ms: i64,
    /// Share of slots filled by a uniformly random eligible candidate instead of
    /// the best one (0..=1). Default 0.1.
    pub exploration: f64,
    /// Most slots one request may ask for. Default 10.
    pub max_slots: u32,
    /// Dismissals after which a creative set is not shown again (0 = never).
    /// Default 3.
    pub dismiss_limit: u32,
    /// How many of the user's top topics generate candidates. Default 32.
    pub candidate_topics: usize,
}

impl Default for SelectConfig {
    fn default() -> Self {
        Self {
            max_ads_per_hour: 6,
            max_ads_per_day: 30,
            min_gap_ms: 30_000,
            exploration: 0.1,
            max_slots: 10,
            dismiss_limit: 3,
            candidate_topics: 32,
        }
    }
}

impl SelectConfig {
    pub(crate) fn validate(&self) -> Result<()> {
        let bad = |field, reason: &str| {
            Err(Error::InvalidConfig {
                field,
                reason: reason.into(),
            })
        };
        if !(0.0..=1.0).contains(&self.exploration) {
            return bad("ads.exploration", "must be within 0..=1");
        }
        if !(1..=50).contains(&self.max_slots) {
            return bad("ads.max_slots", "must be 1..=50");
        }
        if self.min_gap_ms < 0 {
            return bad("ads.min_gap_ms", "must not be negative");
        }
        if !(1..=512).contains(&self.candidate_topics) {
            return bad("ads.candidate_topics", "must be 1..=512");
        }
        Ok(())
    }
}

/// The screen an ad would appear on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AdContext {
    /// Topic ids of the screen's content.
    pub topics: Vec<String>,
    /// Text of the screen (title, query); matched to topics, not kept.
    pub text: Option<String>,
    /// The user's locale, e.g. `de-DE`.
    pub locale: Option<String>,
    /// Country or subdivision (ISO 3166), e.g. `DE` or `US-CA`.
    pub country: Option<String>,
    /// The app section, e.g. `news`.
    pub app_section: Option<String>,
    /// The OS.
    pub os: Option<Os>,
    /// Creative kinds the placement can show; empty = any.
    pub kinds: Vec<CreativeKind>,
    /// The device's offset from UTC in minutes (for dayparts).
    pub utc_offset_minutes: i32,
}

/// A request for ads.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AdRequest {
    /// The app's placement id (1..=64 bytes).
    pub placement_id: String,
    /// How many ads (1..=`max_slots`).
    pub slots: u32,
    /// The screen.
    pub context: AdContext,
    /// Ids of items the user engaged with recently, most recent first (the
    /// app's own history; at most [`crate::content::MAX_HISTORY`], each
    /// 1..=[`crate::content::MAX_ID_LEN`] bytes). With a catalog content model
    /// and personalised consent, sets whose `item_ids` the model links to
    /// them score higher (`w_content`); never stored, never sent.
    #[serde(default)]
    pub recent_item_ids: Vec<String>,
}

/// A request resolved against the taxonomy.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// Context topics (non-sensitive), resolved.
    pub topics: Vec<TopicIdx>,
    /// Dense: true for every context topic and all its ancestors.
    covered: Vec<bool>,
    /// The same topics as a list.
    covered_list: Vec<TopicIdx>,
    /// Locale.
    pub locale: Option<String>,
    /// Country.
    pub country: Option<String>,
    /// App section.
    pub app_section: Option<String>,
    /// OS.
    pub os: Option<Os>,
    /// Accepted kinds (empty = any).
    pub kinds: Vec<CreativeKind>,
    /// UTC offset, minutes.
    pub utc_offset_minutes: i32,
}

impl RequestContext {
    /// Validate and resolve a request's context; its text is matched to topics
    /// with the taxonomy's keyword matcher.
    pub fn resolve(ctx: &AdContext, tax: &Taxonomy) -> Result<Self> {
        Self::resolve_with(ctx, tax, None)
    }

    /// [`RequestContext::resolve`] with the active catalog's text classifier,
    /// if it ships one: then the text of a context that names no topics is
    /// classified (see [`crate::classifier`]) instead of keyword-matched, and
    /// the text of one that names topics is not used.
    pub fn resolve_with(
        ctx: &AdContext,
        tax: &Taxonomy,
        classifier: Option<&crate::classifier::TopicClassifier>,
    ) -> Result<Self> {
        let arg = |name, reason: String| Err(Error::InvalidArgument { name, reason });
        if ctx.topics.len() > 32 {
            return arg(
                "context.topics",
                format!("{} topics, at most 32", ctx.topics.len()),
            );
        }
        if ctx.text.as_ref().is_some_and(|t| t.len() > 2048) {
            return arg("context.text", "longer than 2048 bytes".into());
        }
        for (name, v) in [
            ("context.locale", &ctx.locale),
            ("context.country", &ctx.country),
            ("context.app_section", &ctx.app_section),
        ] {
            if v.as_ref().is_some_and(|v| v.is_empty() || v.len() > 32) {
                return arg(name, "must be 1..=32 bytes when given".into());
            }
        }
        if ctx.utc_offset_minutes.unsigned_abs() > 14 * 60 {
            return arg(
                "context.utc_offset_minutes",
                "must be within ±14 hours".into(),
            );
        }
        let mut topics = Vec::with_capacity(ctx.topics.len() + 3);
        for t in &ctx.topics {
            let i = tax.idx(t)?;
            if !tax.is_sensitive(i) && !topics.contains(&i) {
                topics.push(i);
            }
        }
        if let Some(text) = &ctx.text {
            let matched = match classifier {
                Some(c) if ctx.topics.is_empty() => c.topics(text),
                Some(_) => Vec::new(),
                None => tax.match_text(text, 3),
            };
            for i in matched {
                if !tax.is_sensitive(i) && !topics.contains(&i) {
                    topics.push(i);
                }
            }
        }
        let mut covered = vec![false; tax.len()];
        let mut covered_list = Vec::new();
        for &t in &topics {
            for a in std::iter::once(t).chain(tax.ancestors(t)) {
                if let Some(c) = covered.get_mut(a as usize)
                    && !*c
                {
                    *c = true;
                    covered_list.push(a);
                }
            }
        }
        Ok(Self {
            topics,
            covered,
            covered_list,
            locale: ctx.locale.clone(),
            country: ctx.country.clone(),
            app_section: ctx.app_section.clone(),
            os: ctx.os,
            kinds: ctx.kinds.clone(),
            utc_offset_minutes: ctx.utc_offset_minutes,
        })
    }

    /// True if topic `t` is on the screen, or a subtopic of it is.
    pub fn covers(&self, t: TopicIdx) -> bool {
        self.covered.get(t as usize).copied().unwrap_or(false)
    }
}

/// Why an ad was chosen, as a category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Basis {
    /// It matches the user's interests (and possibly traits).
    Interests,
    /// It matches the screen's content.
    Context,
    /// It targets no one in particular.
    Untargeted,
    /// Chosen at random among eligible ads, to learn what the user likes.
    Exploration,
}

/// One chosen ad, by position in the catalog.
#[derive(Debug, Clone, PartialEq)]
pub struct Pick {
    /// Campaign position.
    pub campaign: u32,
    /// Set position within the campaign.
    pub set: u32,
    /// Creative position within the set.
    pub creative: u32,
    /// Position in the index's set list.
    pub set_pos: u32,
    /// Expected value (micros × probability).
    pub score: f64,
    /// Predicted engagement.
    pub p: f64,
    /// Features it was scored on.
    pub features: Features,
    /// Why.
    pub basis: Basis,
}

/// The result of the pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    /// Chosen ads, in slot order.
    pub picks: Vec<Pick>,
    /// Why there are none, when there are none.
    pub no_fill: Option<NoFill>,
}

/// Stage 4, pacing.
pub mod pacing {
    use rand_chacha::rand_core::RngCore;

    /// Whether a campaign with pass-through rate `bp` (basis points) takes part
    /// in this request: true with probability `bp / 10,000`.
    pub fn passes(bp: u16, rng: &mut impl RngCore) -> bool {
        bp >= 10_000 || (rng.next_u32() % 10_000) < u32::from(bp)
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use rand_chacha::ChaCha8Rng;
        use rand_chacha::rand_core::SeedableRng;

        #[test]
        fn pass_through_rate_is_respected() {
            let mut rng = ChaCha8Rng::seed_from_u64(1);
            let n = 100_000;
            let hits = (0..n).filter(|_| passes(2_500, &mut rng)).count();
            // Binomial(100000, 0.25): sd ≈ 137; allow 5 sd.
            assert!((hits as i64 - 25_000).abs() < 700, "{hits}");
            assert!((0..1000).all(|_| passes(10_000, &mut rng)));
            assert!((0..1000).all(|_| !passes(0, &mut rng)));
        }
    }
}

/// A uniform draw in [0, 1).
fn unit(rng: &mut impl RngCore) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

#[derive(Debug, Clone)]
struct Candidate {
    set_pos: u32,
    campaign: u32,
    set: u32,
    advertiser: u32,
    priority: u8,
    score: f64,
    p: f64,
    features: Features,
    matched: eligibility::SetMatch,
}

/// The candidate order as one integer: priority tier ascending, then expected
/// value descending (in `f64::total_cmp` order), then index position ascending.
fn sort_key(c: &Candidate) -> u128 {
    // `f64::total_cmp` as an unsigned integer order.
    let bits = c.score.to_bits();
    let ordered = if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    };
    (u128::from(c.priority) << 96) | (u128::from(!ordered) << 32) | u128::from(c.set_pos)
}

/// Run the whole pipeline. `last_creative` is the id of the last shown creative.
#[allow(clippy::too_many_arguments)]
pub fn select(
    cat: &InstalledCatalog,
    user: &UserSide<'_>,
    top_topics: &[(TopicIdx, f64)],
    ctx: &RequestContext,
    slots: u32,
    cfg: &SelectConfig,
    model: &EngagementModel,
    now: Timestamp,
    rng: &mut impl RngCore,
) -> Selection {
    let idx = &cat.index;
    // Stage 2: candidates from the index, deduplicated in ascending position
    // order through a bit set over the index's sets (cheaper than sorting the
    // concatenated lists, which repeat sets listed under several topics).
    let mut seen = vec![0u64; idx.sets.len().div_ceil(64)];
    let mut mark = |v: &[u32]| {
        for &p in v {
            if let Some(w) = seen.get_mut(p as usize / 64) {
                *w |= 1 << (p % 64);
            }
        }
    };
    for &(t, _) in top_topics.iter().take(cfg.candidate_topics) {
        if let Some(v) = idx.by_topic.get(&t) {
            mark(v);
        }
    }
    // A set targeting a screen topic or any of its ancestors matches the screen.
    for t in &ctx.covered_list {
        if let Some(v) = idx.by_topic.get(t) {
            mark(v);
        }
    }
    mark(&idx.untargeted);
    let mut sets: Vec<u32> = Vec::with_capacity(256);
    for (i, &w) in seen.iter().enumerate() {
        let mut w = w;
        while w != 0 {
            sets.push(i as u32 * 64 + w.trailing_zeros());
            w &= w - 1;
        }
    }

    // Stages 3–5, with campaign verdicts memoised per request.
    // 0 = unknown, 1 = eligible, 2 = not eligible.
    let mut campaign_ok = vec![0u8; cat.catalog.campaigns.len()];
    let targeting = eligibility::Targeting::new(idx, ctx, user.book, now);
    // The sets with local history, by id hash, so a candidate's history is
    // found without reading its id (`None`: two ids share a hash; look up by id).
    let stats = index::by_id_hash(user.book.all_set_stats());
    let last_creative = user
        .book
        .last_impression()
        .map(|h| h.ad.creative_id.as_str());
    let mut cands: Vec<Candidate> = Vec::with_capacity(sets.len());
    // The slot loop below scans every candidate once per slot: it reads this
    // compact copy (sort key, campaign, advertiser), not the full records.
    let mut slim: Vec<(u128, u32, u32)> = Vec::with_capacity(sets.len());
    for pos in sets {
        let Some(entry) = idx.sets.get(pos as usize) else {
            continue;
        };
        let ci = entry.campaign as usize;
        // The campaign's verdict first, from the packed facts: the campaign
        // and set records are read only for candidates it lets through.
        let ok = match campaign_ok.get(ci).copied().unwrap_or(2) {
            1 => true,
            2 => false,
            _ => {
                let ok = match (idx.campaigns.get(ci), cat.catalog.campaigns.get(ci)) {
                    (Some(f), Some(c)) => {
                        eligibility::campaign_facts(f, c, idx, &targeting, ctx, user.book, now)
                            .is_ok()
                            && pacing::passes(f.pass_through_bp, rng)
                    }
                    _ => false,
                };
                if let Some(m) = campaign_ok.get_mut(ci) {
                    *m = if ok { 1 } else { 2 };
                }
                ok
            }
        };
        if !ok {
            continue;
        }
        let Some(c) = cat.catalog.campaigns.get(ci) else {
            continue;
        };
        let Some(s) = c.creative_sets.get(entry.set as usize) else {
            continue;
        };
        let set_stats = match stats.get(&entry.id_hash) {
            None => None,
            Some(Some((id, st))) => (*id == s.id).then_some(*st),
            Some(None) => user.book.set_stats(&s.id),
        };
        let Ok(matched) =
            eligibility::set(s, idx, entry, user, ctx, set_stats, now, cfg.dismiss_limit)
        else {
            continue;
        };
        if !ctx.kinds.is_empty() && !s.creatives.iter().any(|k| ctx.kinds.contains(&k.kind)) {
            continue;
        }
        let features = Features {
            interest: matched.interest,
            context: matched.context,
            trait_match: matched.traits,
            embedding: scoring::cosine(user.taste, &s.embedding),
            shows_7d: matched.shows_7d,
            content: user.content.map_or(0.0, |a| a.best(&s.item_ids)),
        };
        let p = model.p(&features);
        let cand = Candidate {
            set_pos: pos,
            campaign: entry.campaign,
            set: entry.set,
            advertiser: entry.advertiser,
            priority: c.priority,
            score: c.value_micros as f64 * p,
            p,
            features,
            matched,
        };
        slim.push((sort_key(&cand), cand.campaign, cand.advertiser));
        cands.push(cand);
    }
    if cands.is_empty() {
        return Selection {
            picks: Vec::new(),
            no_fill: Some(NoFill::NoEligibleAd),
        };
    }
    // Candidate order: lowest tier first, then highest expected value; ties
    // by catalog order. One packed integer key per candidate (see `sort_key`);
    // positions are unique, so this is one total order. The candidates are
    // not sorted: each slot only needs the first one or two in this order
    // (found by linear scans), or, when exploring, the one of a random rank.

    // Stages 6–7: fill slots.
    let mut picks: Vec<Pick> = Vec::new();
    // Campaigns and advertisers already picked, and candidates used.
    let mut taken: Vec<(u32, u32)> = Vec::new();
    let mut used = vec![false; cands.len()];
    for _ in 0..slots {
        // The allowed candidates with their keys, in no particular order.
        let avail: Vec<(u128, usize)> = slim
            .iter()
            .enumerate()
            .filter(|&(i, &(_, campaign, advertiser))| {
                !used.get(i).copied().unwrap_or(true)
                    && !taken.iter().any(|&(c, a)| c == campaign || a == advertiser)
            })
            .map(|(i, &(key, _, _))| (key, i))
            .collect();
        if avail.is_empty() {
            break;
        }
        let explore = unit(rng) < cfg.exploration;
        // A creative of candidate `i` other than the last one shown, if any.
        let choose = |i: usize, rng: &mut dyn RngCore| -> Option<u32> {
            let c = cands.get(i)?;
            let s = cat
                .catalog
                .campaigns
                .get(c.campaign as usize)?
                .creative_sets
                .get(c.set as usize)?;
            let options: Vec<u32> = s
                .creatives
                .iter()
                .enumerate()
                .filter(|(_, k)| ctx.kinds.is_empty() || ctx.kinds.contains(&k.kind))
                .filter(|(_, k)| Some(cat.view(k).id) != last_creative)
                .map(|(n, _)| n as u32)
                .collect();
            if options.is_empty() {
                return None;
            }
            let n = options.len() as u64;
            options.get((rng.next_u64() % n) as usize).copied()
        };
        let first_of_kind = |i: usize| -> Option<u32> {
            let c = cands.get(i)?;
            let s = cat
                .catalog
                .campaigns
                .get(c.campaign as usize)?
                .creative_sets
                .get(c.set as usize)?;
            let n = s
                .creatives
                .iter()
                .position(|k| ctx.kinds.is_empty() || ctx.kinds.contains(&k.kind))?;
            u32::try_from(n).ok()
        };
        // Candidates are tried in key order starting from the best one, or,
        // when exploring, from the one of a uniformly random rank k, wrapping
        // around after the last (the allowed candidates in key order, rotated
        // left by k); the first that has a creative other than the last one
        // shown is chosen.
        let smallest = avail.iter().min().copied();
        let start = if explore {
            let k = (rng.next_u64() % avail.len() as u64) as usize;
            let mut ranked = avail.clone();
            let (_, nth, _) = ranked.select_nth_unstable(k);
            Some(*nth)
        } else {
            smallest
        };
        let next_after = |key: u128| {
            avail
                .iter()
                .filter(|x| x.0 > key)
                .min()
                .copied()
                .or(smallest)
        };
        let mut chosen = None;
        let mut cur = start;
        for _ in 0..avail.len() {
            let Some((key, i)) = cur else { break };
            if let Some(cr) = choose(i, rng) {
                chosen = Some((i, cr));
                break;
            }
            cur = next_after(key);
        }
        // Only the last shown creative is left: repeat it rather than show
        // nothing (the first creative of an accepted kind, which is that one).
        if chosen.is_none()
            && let Some((_, i)) = start
            && let Some(cr) = first_of_kind(i)
        {
            chosen = Some((i, cr));
        }
        let Some((i, creative)) = chosen else { break };
        let Some(c) = cands.get(i) else { break };
        if let Some(u) = used.get_mut(i) {
            *u = true;
        }
        taken.push((c.campaign, c.advertiser));
        let basis = if explore {
            Basis::Exploration
        } else if c.matched.interest > 0.0 || c.matched.traits {
            Basis::Interests
        } else if c.matched.context {
            Basis::Context
        } else {
            Basis::Untargeted
        };
        picks.push(Pick {
            campaign: c.campaign,
            set: c.set,
            creative,
            set_pos: c.set_pos,
            score: c.score,
            p: c.p,
            features: c.features,
            basis,
        });
    }
    Selection {
        no_fill: if picks.is_empty() {
            Some(NoFill::NoEligibleAd)
        } else {
            None
        },
        picks,
    }
}

/// An interest that made an ad eligible, for "why this ad".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatchedInterest {
    /// Topic id.
    pub topic_id: String,
    /// Topic label.
    pub label: String,
    /// The user's current weight on it.
    pub weight: f64,
}

/// "Why am I seeing this ad?"
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WhyThisAd {
    /// The main reason.
    pub basis: Basis,
    /// The user's interests the ad targets (heaviest first).
    pub interests: Vec<MatchedInterest>,
    /// Labels of the user's traits the ad targets.
    pub traits: Vec<String>,
    /// Labels of the screen's topics the ad targets.
    pub page_topics: Vec<String>,
    /// One or two sentences for the user.
    pub text: String,
}

/// One ad chosen for a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdChoice {
    /// Opaque token for [`crate::Engine::record_ad_event`].
    pub token: String,
    /// Campaign id.
    pub campaign_id: String,
    /// Creative set id.
    pub creative_set_id: String,
    /// Advertiser id.
    pub advertiser_id: String,
    /// Advertiser name (for "Ad by …" and "hide ads from …").
    pub advertiser_name: String,
    /// The creative to show.
    pub creative: crate::catalog::model::Creative,
    /// Expected value (value micros × predicted engagement).
    pub score: f64,
    /// Predicted engagement probability.
    pub engagement: f64,
    /// Why this ad.
    pub why: WhyThisAd,
}

/// The answer to a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdResponse {
    /// The chosen ads (at most the slots asked for; possibly none).
    pub choices: Vec<AdChoice>,
    /// Why there are none, when there are none.
    pub no_fill: Option<NoFill>,
}

/// Build the explanation of a pick. `traits` are the user's (key, label) pairs.
pub fn explain(
    pick: &Pick,
    cat: &InstalledCatalog,
    tax: &Taxonomy,
    weights: &[f64],
    traits: &[(String, String)],
    ctx: &RequestContext,
) -> WhyThisAd {
    let entry = cat.index.sets.get(pick.set_pos as usize);
    let set = cat
        .catalog
        .campaigns
        .get(pick.campaign as usize)
        .and_then(|c| c.creative_sets.get(pick.set as usize));
    let mut interests: Vec<MatchedInterest> = entry
        .map(|e| {
            cat.index
                .include(e)
                .iter()
                .filter_map(|&(t, min)| {
                    let w = weights.get(t as usize).copied().unwrap_or(0.0);
                    let topic = tax.get(t)?;
                    (w > 0.0 && w >= f64::from(min)).then(|| MatchedInterest {
                        topic_id: topic.id.clone(),
                        label: topic.label.clone(),
                        weight: w,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    interests.sort_by(|a, b| b.weight.total_cmp(&a.weight));
    let trait_labels: Vec<String> = set
        .map(|s| {
            traits
                .iter()
                .filter(|(k, _)| s.traits.contains(k))
                .map(|(_, l)| l.clone())
                .collect()
        })
        .unwrap_or_default();
    let page_topics: Vec<String> = entry
        .map(|e| {
            cat.index
                .include(e)
                .iter()
                .filter(|&&(t, _)| ctx.covers(t))
                .filter_map(|&(t, _)| tax.get(t).map(|x| x.label.clone()))
                .collect()
        })
        .unwrap_or_default();
    let list = |v: &[String]| match v {
        [] => String::new(),
        [a] => a.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    };
    let labels: Vec<String> = interests.iter().map(|i| i.label.clone()).collect();
    let mut text = match pick.basis {
        Basis::Interests if !labels.is_empty() => {
            format!(
                "You're seeing this because you're interested in {}.",
                list(&labels)
            )
        }
        Basis::Interests => {
            String::from("You're seeing this because of what Hearth inferred on your phone.")
        }
        Basis::Context => format!(
            "Based on this page ({}), not on your interests.",
            list(&page_topics)
        ),
        Basis::Untargeted if pick.features.content > 0.0 => String::from(
            "Often liked together with things you engaged with in this app (worked out on your phone).",
        ),
        Basis::Untargeted => String::from("Shown to everyone in this region; not based on you."),
        Basis::Exploration => String::from(
            "Picked at random among the ads you're eligible for, so Hearth can learn what you like.",
        ),
    };
    if !trait_labels.is_empty() && pick.basis != Basis::Context {
        text.push_str(&format!(" It is aimed at: {}.", list(&trait_labels)));
    }
    text.push_str(" Chosen on your phone; nothing about you was sent.");
    WhyThisAd {
        basis: pick.basis,
        interests,
        traits: trait_labels,
        page_topics,
        text,
    }
}

/// Match a URL against a conversion pattern where `*` stands for any run of
/// characters (case-sensitive, whole string).
pub fn url_matches(pattern: &str, url: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let (Some(first), Some(last)) = (parts.first(), parts.last()) else {
        return false;
    };
    if parts.len() == 1 {
        return pattern == url;
    }
    if !url.starts_with(first) || url.len() < first.len() + last.len() || !url.ends_with(last) {
        return false;
    }
    let mut rest = &url[first.len()..url.len() - last.len()];
    for mid in parts.iter().skip(1).take(parts.len().saturating_sub(2)) {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: `i32::MIN.abs()` overflows (a panic in debug builds, and
    /// accepted as in range in release builds).
    #[test]
    fn utc_offsets_outside_14_hours_are_refused_at_both_ends_of_i32() {
        let tax = Taxonomy::iab().unwrap();
        for (offset, ok) in [
            (i32::MIN, false),
            (i32::MIN + 1, false),
            (-841, false),
            (-840, true),
            (840, true),
            (841, false),
            (i32::MAX, false),
        ] {
            let ctx = AdContext {
                utc_offset_minutes: offset,
                ..AdContext::default()
            };
            let r = RequestContext::resolve(&ctx, &tax);
            assert_eq!(r.is_ok(), ok, "{offset}: {r:?}");
            if !ok {
                assert!(
                    matches!(r, Err(Error::InvalidArgument { name, .. }) if name == "context.utc_offset_minutes")
                );
            }
        }
    }

    #[test]
    fn sort_key_orders_like_the_comparator() {
        let cand = |priority: u8, score: f64, set_pos: u32| Candidate {
            set_pos,
            campaign: 0,
            set: 0,
            advertiser: 0,
            priority,
            score,
            p: 0.0,
            features: Features::default(),
            matched: eligibility::SetMatch {
                interest: 0.0,
                context: false,
                traits: false,
                shows_7d: 0,
            },
        };
        let scores = [
            f64::NEG_INFINITY,
            -1e9,
            -1.0,
            -0.0,
            0.0,
            1e-300,
            0.5,
            1.0,
            7e5,
            f64::MAX,
            f64::INFINITY,
        ];
        let mut all = Vec::new();
        for p in [0u8, 1, 9] {
            for (i, &s) in scores.iter().enumerate() {
                for pos in [0u32, 3, u32::MAX] {
                    all.push(cand(p, s, pos.wrapping_add(i as u32)));
                }
            }
        }
        let cmp = |a: &Candidate, b: &Candidate| {
            a.priority
                .cmp(&b.priority)
                .then(b.score.total_cmp(&a.score))
                .then(a.set_pos.cmp(&b.set_pos))
        };
        for a in &all {
            for b in &all {
                assert_eq!(sort_key(a).cmp(&sort_key(b)), cmp(a, b), "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn url_patterns() {
        assert!(url_matches(
            "https://shop.example.com/thanks*",
            "https://shop.example.com/thanks?o=1"
        ));
        assert!(url_matches(
            "https://*.example.com/*/done",
            "https://a.example.com/x/y/done"
        ));
        assert!(!url_matches(
            "https://*.example.com/*/done",
            "https://a.example.org/x/done"
        ));
        assert!(url_matches("https://x.com/a", "https://x.com/a"));
        assert!(!url_matches("https://x.com/a", "https://x.com/ab"));
        assert!(url_matches("*", "anything"));
        assert!(!url_matches("a*a", "a"));
    }
}
