//! Content ranking: the app's own items, ordered for this user, on the phone.
//!
//! The "recommendation" half of Hearth. The app hands over its candidate items
//! (articles, videos, products: an id, topic ids, an optional embedding, an
//! optional publication time) and gets them back ordered, each with a score, the
//! profile topics it matched and a reason the user can read. Nothing leaves the
//! phone and nothing is learned: ranking only reads the profile's current
//! weights ([`Profile::weights`](crate::profile::Profile::weights)).
//!
//! # Model
//!
//! The input is the profile's weights `w(t) > 0` per topic `t` (one call, one
//! snapshot), an optional user embedding `u`, and per item `i` its set of topics
//! `T(i)` (duplicates count once), its embedding `e(i)` (empty = none) and its
//! publication time `p(i)`.
//!
//! 1. **Effective weight of a topic.** A topic with a weight of its own uses it.
//!    A topic without one falls back to its *nearest* weighted ancestor `a`,
//!    halved per level: `w'(t) = w(a) · 0.5^d(t, a)` ([`ANCESTOR_FACTOR`]), so
//!    an item about "World Cup" scores `0.5 · w(Soccer)` for a Soccer fan and
//!    `0.25 · w(Sports)` for someone who only follows Sports. Topics with no
//!    weighted ancestor have `w'(t) = 0`. Children never lend weight to parents
//!    (the profile already rolls weight up to parents when it learns).
//! 2. **Topic relevance.** `s(i) = Σ_{t ∈ T(i)} w'(t)`, squashed to `0..1`:
//!    `r_topic(i) = 1 − exp(−s(i) / S)`, where `S` is the profile's top weight
//!    (1 when the profile is empty). An item matching exactly the user's top
//!    topic gets `1 − e⁻¹ ≈ 0.632`; more and heavier matches approach 1. Scores
//!    are comparable within one call, not across calls.
//! 3. **Embedding similarity.** When `u` is given and `e(i)` has the same length,
//!    `r_emb(i) = 0.5 · max(0, cos(u, e(i)))` ([`EMBEDDING_WEIGHT`]); otherwise
//!    (no embedding, different length, a zero vector) `r_emb(i) = 0`.
//! 4. **Freshness.** With `freshness_half_life_ms = Some(h)`,
//!    `f(i) = 2^(−age(i) / h)` where `age(i) = max(0, now − p(i))`: an item one
//!    half-life old counts half, items dated in the future count as new, and
//!    undated items get `f = 1`. With `None`, `f = 1` for every item.
//! 5. **Content model** (optional). When the active catalog ships a content
//!    model ([`crate::content`]) and [`RankOptions::recent_item_ids`] reaches
//!    at least one candidate through it, `c(i) = Σ_{h ∈ recent} B[h][i]` and
//!    `r_content(i) = c(i) / max_j c(j)`; the topic relevance is then replaced
//!    by `(1 − α) · r_topic(i) + α · r_content(i)` with `α =`
//!    [`CONTENT_WEIGHT`] (0.8). Otherwise nothing changes. Items whose content
//!    part outweighs their topic part get the reason [`REASON_CONTENT`]. An
//!    item on a topic the user hid or removed gets no content part, so
//!    co-occurrence never brings back what the user turned off.
//! 6. **Score.** `score(i) = (r_topic(i) + r_emb(i)) · f(i)` (with the
//!    content blend of step 5 in place of `r_topic` when it applies), in
//!    `0..=1.5`.
//!
//! **Order.** By score, highest first; ties (in particular the zero scores of
//! items that match nothing) by freshness factor, freshest first, then by input
//! order. So with an empty profile (or consent other than personalised, where
//! the engine passes no weights) and no embedding match, ranking without
//! diversity is freshness, then the app's own order; with freshness off too it
//! is the app's order, unchanged. The result is deterministic: the same input
//! gives the same output.
//!
//! **Diversity** (`diversity = λ > 0`): maximal marginal relevance (Carbonell
//! & Goldstein 1998). Results are picked greedily, each time the candidate
//! maximising `(1 − λ) · score(i) − λ · max_{j picked} sim(i, j)` (ties go to
//! the better-ranked candidate). `sim(i, j) = max(0, cos(e(i), e(j)))` when both
//! items have non-zero embeddings of the same length, otherwise the Jaccard index
//! of their topic sets each expanded with all ancestors (two items without topics
//! have similarity 0). To stay fast, MMR runs only over the best
//! `max(3 · limit, 50)` candidates by score ([`MMR_WINDOW_PER_RESULT`],
//! [`MMR_MIN_WINDOW`]; with `limit = 0` the window is 50); when `limit = 0` the
//! items outside the window follow in score order. `λ = 0` is pure relevance,
//! `λ = 1` pure novelty.
//!
//! **Reasons.** [`RankedItem::matched`] lists the profile topics that
//! contributed to `s(i)` (for a fallback, the weighted ancestor the user
//! follows, not the item's own topic), each with its summed contribution
//! `w'(t)`, largest first. The reason names the top one or two of them:
//! `"Because you follow Soccer and Running and Jogging"`. When only the embedding
//! contributed it is [`REASON_EMBEDDING`]; when nothing matched, [`REASON_FRESH`].
//!
//! **Sensitive topics** (health, religion, politics, …; see
//! [`crate::taxonomy`]) may appear on items, since the app's content is what it
//! is, but never contribute to relevance or reasons: their effective weight is 0
//! and weights the caller passes for them are ignored (the profile never holds
//! them anyway). They do take part in the topic similarity used for diversity,
//! which compares items with each other and uses nothing about the user.
//!
//! **Validation.** Typed errors, never a panic: at most [`MAX_ITEMS`] items
//! (`InvalidArgument { name: "items" }`); ids of 1..=[`MAX_ID_LEN`] bytes and
//! unique (`"id"`, naming the duplicate, truncated); at most
//! [`MAX_TOPICS_PER_ITEM`] topics per item (`"topics"`); topic ids the taxonomy
//! does not know ([`Error::UnknownTopic`]); embeddings of at most
//! [`MAX_EMBEDDING_DIM`] finite components (`"embedding"`, or
//! `"user_embedding"`); `diversity` finite in `0..=1`; a half-life `> 0`
//! (`"freshness_half_life_ms"`). Weight entries that are out of the taxonomy's
//! range, not finite and positive, or on sensitive topics are ignored; for a
//! topic listed twice the larger weight counts.
//!
//! **Cost.** Linear in the items plus the taxonomy size: each distinct topic
//! string is looked up in the taxonomy once per call, profile weights sit in one
//! dense table indexed by topic with the ancestor fallback precomputed, and only
//! the returned items get reasons (the only per-item allocations); diversity adds
//! `O(window · limit)` similarity computations. 1,000 items (3 topics each,
//! 16-dimension embeddings on half) against a 128-topic profile, limit 20,
//! diversity 0.3, take a median of about 110–140 µs on the development VM
//! (budget 200 µs; `cargo bench -p hearth-core --bench rank`).

use std::cmp::Ordering;
use std::collections::HashMap;

use crate::content::ContentModel;
use crate::error::{Error, Result};
use crate::taxonomy::{Taxonomy, TopicIdx, truncate_for_error};

/// Most items one call ranks.
pub const MAX_ITEMS: usize = 10_000;
/// Longest item id, in bytes.
pub const MAX_ID_LEN: usize = 256;
/// Most topics on one item.
pub const MAX_TOPICS_PER_ITEM: usize = 32;
/// Most components of an embedding (item or user).
pub const MAX_EMBEDDING_DIM: usize = 256;
/// Weight `w_emb` of the (non-negative) cosine similarity between the user's and
/// an item's embedding, added to the squashed topic relevance.
pub const EMBEDDING_WEIGHT: f64 = 0.5;
/// Factor applied per level when a topic borrows its nearest weighted
/// ancestor's weight.
pub const ANCESTOR_FACTOR: f64 = 0.5;
/// Smallest number of candidates diversity (MMR) considers.
pub const MMR_MIN_WINDOW: usize = 50;
/// Diversity (MMR) considers this many candidates per requested result.
pub const MMR_WINDOW_PER_RESULT: usize = 3;
/// Reason for an item that matched nothing in the profile.
pub const REASON_FRESH: &str = "Recent and popular";
/// Reason for an item that matched only through its embedding.
pub const REASON_EMBEDDING: &str = "Similar to what you engaged with";
/// Start of the reason for an item that matched profile topics.
pub const REASON_FOLLOW_PREFIX: &str = "Because you follow ";
/// Reason for an item whose score came mostly from the content model.
pub const REASON_CONTENT: &str = "Often enjoyed together with things you liked";
/// Share `α` of the content model in the relevance when it applies:
/// `r = (1 − α) · r_topic + α · r_content`.
pub const CONTENT_WEIGHT: f64 = 0.8;

/// One of the app's content items.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Item {
    /// The app's id for the item, 1..=[`MAX_ID_LEN`] bytes, unique in a call.
    pub id: String,
    /// Topic ids of the active taxonomy, at most [`MAX_TOPICS_PER_ITEM`].
    pub topics: Vec<String>,
    /// Optional embedding (empty = none), at most [`MAX_EMBEDDING_DIM`] finite
    /// components; compared with the user embedding when the lengths agree.
    pub embedding: Vec<f32>,
    /// Publication time, Unix ms; `None` = undated (freshness factor 1).
    pub published_at_ms: Option<i64>,
}

/// How to rank. `Default`: no limit (`limit = 0`), pure relevance
/// (`diversity = 0.0`), freshness ignored (`freshness_half_life_ms = None`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RankOptions {
    /// Most results to return; 0 = all items.
    pub limit: usize,
    /// MMR trade-off `λ` in `0..=1`: 0 = pure relevance, 1 = pure novelty.
    pub diversity: f64,
    /// Half-life of the freshness factor in ms (must be > 0); `None` ignores
    /// publication times.
    pub freshness_half_life_ms: Option<i64>,
    /// Ids of items this user engaged with recently, most recent first (the
    /// app's own history; at most
    /// [`MAX_HISTORY`](crate::content::MAX_HISTORY),
    /// each 1..=[`MAX_ID_LEN`] bytes). Used only with a content model (a
    /// catalog's `content/1`); never stored and never sent anywhere.
    pub recent_item_ids: Vec<String>,
}

/// One ranked item.
#[derive(Debug, Clone, PartialEq)]
pub struct RankedItem {
    /// The item's id.
    pub id: String,
    /// `(r_topic + r_emb) · freshness`, in `0..=1.5` (see the module docs).
    pub score: f64,
    /// Why the item is here, for the user.
    pub reason: String,
    /// Profile topics that contributed, largest contribution first.
    pub matched: Vec<MatchedTopic>,
}

/// A profile topic that contributed to an item's relevance.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchedTopic {
    /// The profile topic's id (for a fallback, the weighted ancestor).
    pub topic_id: String,
    /// Its label.
    pub label: String,
    /// Its contribution to the raw sum `s(i)`: the profile weight, times
    /// [`ANCESTOR_FACTOR`] per level for a fallback, summed over the item's
    /// topics that resolve to it.
    pub weight: f64,
}

/// Rank `items` against the profile's current `weights` (heaviest first, as
/// [`Profile::weights`](crate::profile::Profile::weights) returns them; empty
/// for no personalisation) and an optional `user_embedding`, at time `now_ms`.
///
/// Builds its tables once per call; see the [module docs](self) for the model,
/// the order, diversity, reasons and validation.
pub fn rank_items(
    items: &[Item],
    weights: &[(TopicIdx, f64)],
    user_embedding: Option<&[f32]>,
    tax: &Taxonomy,
    opts: &RankOptions,
    now_ms: i64,
) -> Result<Vec<RankedItem>> {
    rank_items_with_content(items, weights, user_embedding, None, tax, opts, now_ms)
}

/// [`rank_items`] with an installed [`ContentModel`]: when the model and
/// [`RankOptions::recent_item_ids`] reach at least one candidate, an item's
/// relevance becomes `(1 − α) · r_topic + α · r_content`
/// ([`CONTENT_WEIGHT`]), where `r_content = c(i) / max_j c(j)` over the
/// candidates and `c` is [`ContentModel::scores`]. Without a model, without
/// history, or when the history reaches no candidate, the result is exactly
/// that of [`rank_items`].
pub fn rank_items_with_content(
    items: &[Item],
    weights: &[(TopicIdx, f64)],
    user_embedding: Option<&[f32]>,
    content: Option<ContentInput<'_>>,
    tax: &Taxonomy,
    opts: &RankOptions,
    now_ms: i64,
) -> Result<Vec<RankedItem>> {
    check_options(opts)?;
    if items.len() > MAX_ITEMS {
        return Err(invalid(
            "items",
            format!("{} items, the limit is {MAX_ITEMS}", items.len()),
        ));
    }
    let user = match user_embedding {
        Some(u) if !u.is_empty() => {
            check_embedding("user_embedding", "user_embedding", u)?;
            Some(Emb::new(u))
        }
        _ => None,
    };
    let resolved = Resolved::new(items, tax)?;
    let table = WeightTable::new(weights, tax);
    let diversify = opts.diversity > 0.0 && items.len() > 1;

    let hidden = content.map_or(&[][..], |c| c.hidden);
    let content = ContentTerm::new(content.map(|c| c.model), items, &opts.recent_item_ids);
    // An item on a topic the user hid gets nothing from the content model:
    // co-occurrence must not bring back what the user turned off.
    let content_blocked = |i: usize| {
        !hidden.is_empty()
            && resolved
                .topics(i)
                .iter()
                .any(|&t| hidden.get(t as usize).copied().unwrap_or(false))
    };

    // Score every item; only sortable keys are kept per item.
    let mut cands: Vec<Cand> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let s: f64 = resolved.topics(i).iter().map(|&t| table.eff(t)).sum();
        let emb = user
            .as_ref()
            .map_or(0.0, |u| embedding_term(u, &item.embedding));
        let fresh = freshness(item.published_at_ms, opts.freshness_half_life_ms, now_ms);
        let (topic, content) = content.blend(table.squash(s), i, content_blocked(i));
        cands.push(Cand {
            score: (topic + content + emb) * fresh,
            fresh,
            idx: i as u32,
        });
    }

    let n = cands.len();
    let k = if opts.limit == 0 {
        n
    } else {
        opts.limit.min(n)
    };
    if diversify {
        let window = MMR_WINDOW_PER_RESULT
            .saturating_mul(opts.limit)
            .max(MMR_MIN_WINDOW)
            .min(n);
        // Everything is needed in order when there is no limit; otherwise only
        // the window (which holds at least `limit` candidates).
        sort_top(&mut cands, if opts.limit == 0 { n } else { window });
        if let Some(win) = cands.get_mut(..window) {
            mmr(win, k.min(window), opts.diversity, items, &resolved, tax);
        }
    } else {
        sort_top(&mut cands, k);
    }
    cands.truncate(k);

    Ok(cands
        .iter()
        .filter_map(|c| {
            let i = c.idx as usize;
            let item = items.get(i)?;
            // The reason follows the larger part of the relevance.
            let s: f64 = resolved.topics(i).iter().map(|&t| table.eff(t)).sum();
            let (topic, from_content) = content.blend(table.squash(s), i, content_blocked(i));
            let content_led = from_content > topic;
            Some(explain(
                item,
                c.score,
                resolved.topics(i),
                &table,
                user.as_ref(),
                content_led,
                tax,
            ))
        })
        .collect())
}

// ---- validation -----------------------------------------------------------

fn invalid(name: &'static str, reason: String) -> Error {
    Error::InvalidArgument { name, reason }
}

fn check_options(opts: &RankOptions) -> Result<()> {
    if !(opts.diversity.is_finite() && (0.0..=1.0).contains(&opts.diversity)) {
        return Err(invalid(
            "diversity",
            format!("must be a finite number in 0..=1, got {}", opts.diversity),
        ));
    }
    if let Some(h) = opts.freshness_half_life_ms {
        if h <= 0 {
            return Err(invalid(
                "freshness_half_life_ms",
                format!("must be > 0 ms, got {h}"),
            ));
        }
    }
    crate::content::check_history(&opts.recent_item_ids)?;
    Ok(())
}

/// A content model and what it must not promote, for
/// [`rank_items_with_content`].
#[derive(Debug, Clone, Copy)]
pub struct ContentInput<'a> {
    /// The installed model.
    pub model: &'a ContentModel,
    /// Dense by topic index: topics the user hid or removed, with their
    /// descendants (empty = none). Items on them get no content score.
    pub hidden: &'a [bool],
}

/// The content model's part of one call: `α · c(i) / max c` per item.
struct ContentTerm {
    /// Per item (input order), `c(i) / max c`; empty when the model does not
    /// apply to this call.
    norm: Vec<f64>,
}

impl ContentTerm {
    fn new(model: Option<&ContentModel>, items: &[Item], recent: &[String]) -> Self {
        let none = Self { norm: Vec::new() };
        let Some(model) = model.filter(|_| !recent.is_empty()) else {
            return none;
        };
        let scores = model.scores(recent);
        if scores.is_empty() {
            return none;
        }
        let raw: Vec<f64> = items
            .iter()
            .map(|it| {
                model
                    .index(&it.id)
                    .and_then(|j| scores.get(&j))
                    .map_or(0.0, |&c| f64::from(c).max(0.0))
            })
            .collect();
        let max = raw.iter().copied().fold(0.0, f64::max);
        if max <= 0.0 {
            return none;
        }
        Self {
            norm: raw.into_iter().map(|c| c / max).collect(),
        }
    }

    /// The topic relevance and the content part of item `i`'s score:
    /// `(r_topic, 0)` when the model does not apply, else
    /// `((1 − α) · r_topic, α · r_content)`.
    fn blend(&self, r_topic: f64, i: usize, blocked: bool) -> (f64, f64) {
        match self.norm.get(i) {
            Some(&c) => (
                (1.0 - CONTENT_WEIGHT) * r_topic,
                if blocked { 0.0 } else { CONTENT_WEIGHT * c },
            ),
            None => (r_topic, 0.0),
        }
    }
}

fn check_embedding(name: &'static str, what: impl std::fmt::Display, e: &[f32]) -> Result<()> {
    if e.len() > MAX_EMBEDDING_DIM {
        return Err(invalid(
            name,
            format!(
                "{what} has {} components, the limit is {MAX_EMBEDDING_DIM}",
                e.len()
            ),
        ));
    }
    if let Some(j) = e.iter().position(|x| !x.is_finite()) {
        return Err(invalid(name, format!("{what}[{j}] is not a finite number")));
    }
    Ok(())
}

/// Every item's topics resolved to indices once, deduplicated, in one flat
/// buffer: item `i` owns `topics[ends[i - 1]..ends[i]]`.
struct Resolved {
    topics: Vec<TopicIdx>,
    ends: Vec<u32>,
}

impl Resolved {
    /// Validates ids, topics and embeddings while resolving.
    fn new(items: &[Item], tax: &Taxonomy) -> Result<Resolved> {
        let total: usize = items.iter().map(|it| it.topics.len()).sum();
        let mut topics = Vec::with_capacity(total.min(MAX_ITEMS * MAX_TOPICS_PER_ITEM));
        let mut ends = Vec::with_capacity(items.len());
        let mut seen: HashMap<&str, usize> = HashMap::with_capacity(items.len());
        let mut cache = TopicCache::new(total.min(tax.len()));
        for (i, item) in items.iter().enumerate() {
            let id = item.id.as_str();
            if id.is_empty() || id.len() > MAX_ID_LEN {
                return Err(invalid(
                    "id",
                    format!(
                        "items[{i}].id must be 1..={MAX_ID_LEN} bytes, it has {}",
                        id.len()
                    ),
                ));
            }
            if let Some(first) = seen.insert(id, i) {
                return Err(invalid(
                    "id",
                    format!(
                        "items[{i}].id {:?} duplicates items[{first}].id",
                        truncate_for_error(id)
                    ),
                ));
            }
            if item.topics.len() > MAX_TOPICS_PER_ITEM {
                return Err(invalid(
                    "topics",
                    format!(
                        "items[{i}] has {} topics, the limit is {MAX_TOPICS_PER_ITEM}",
                        item.topics.len()
                    ),
                ));
            }
            let start = topics.len();
            for t in &item.topics {
                let Some(idx) = cache.resolve(tax, t) else {
                    return Err(Error::UnknownTopic(truncate_for_error(t)));
                };
                if !topics.get(start..).is_some_and(|mine| mine.contains(&idx)) {
                    topics.push(idx);
                }
            }
            check_embedding("embedding", EmbeddingName(i), &item.embedding)?;
            ends.push(topics.len() as u32);
        }
        Ok(Resolved { topics, ends })
    }

    fn topics(&self, i: usize) -> &[TopicIdx] {
        let end = self.ends.get(i).copied().unwrap_or(0) as usize;
        let start = match i.checked_sub(1) {
            Some(p) => self.ends.get(p).copied().unwrap_or(0) as usize,
            None => 0,
        };
        self.topics.get(start..end).unwrap_or(&[])
    }
}

/// A per-call memo of topic id → index: items repeat a few hundred topic ids
/// thousands of times, and a short word-at-a-time hash beats the taxonomy's
/// SipHash map. Open addressing over a power-of-two table kept at most half
/// full; it only ever holds ids the taxonomy resolved (so attacker-chosen
/// strings cannot build long probe chains), and once half full it stops
/// memoising rather than degrade.
struct TopicCache<'a> {
    /// `(hash, id, index)`; an empty id marks a free slot (topic ids are never
    /// empty).
    slots: Vec<(u64, &'a str, TopicIdx)>,
    len: usize,
}

impl<'a> TopicCache<'a> {
    /// A table for at most `distinct` different ids (more still resolve, just
    /// without the memo).
    fn new(distinct: usize) -> TopicCache<'a> {
        let cap = (distinct.max(8) * 2).next_power_of_two();
        TopicCache {
            slots: vec![(0, "", 0); cap],
            len: 0,
        }
    }

    /// The index of `id`, `None` if the taxonomy does not know it. (An
    /// `Option`, not a [`Result`]: the hot path then moves 8 bytes, not an
    /// [`Error`]-sized value.)
    fn resolve(&mut self, tax: &Taxonomy, id: &'a str) -> Option<TopicIdx> {
        let mask = self.slots.len() - 1;
        let h = short_hash(id.as_bytes());
        let mut p = h as usize & mask;
        // Terminates: the table is never more than half full.
        loop {
            let Some(slot) = self.slots.get_mut(p) else {
                return tax.idx(id).ok();
            };
            if slot.1.is_empty() {
                let idx = tax.idx(id).ok()?;
                if 2 * (self.len + 1) <= mask + 1 {
                    *slot = (h, id, idx);
                    self.len += 1;
                }
                return Some(idx);
            }
            if slot.0 == h && slot.1 == id {
                return Some(slot.2);
            }
            p = (p + 1) & mask;
        }
    }
}

/// A fast multiplicative hash for short strings (not DoS-resistant; see
/// [`TopicCache`] for why that is fine here).
fn short_hash(b: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = b.len() as u64;
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut w = [0u8; 8];
        if let Some(dst) = w.get_mut(..rest.len()) {
            dst.copy_from_slice(rest);
        }
        h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
    }
    h ^ (h >> 29)
}

/// `items[i].embedding`, formatted only when an error needs it.
struct EmbeddingName(usize);

impl std::fmt::Display for EmbeddingName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "items[{}].embedding", self.0)
    }
}

// ---- the model ------------------------------------------------------------

/// Sentinel for "no weighted topic" in [`WeightTable::src`].
const NO_SOURCE: TopicIdx = TopicIdx::MAX;

/// The profile's weights spread densely over the taxonomy, ancestor fallback
/// included: `eff[t] = w'(t)`, `src[t]` = the weighted topic it comes from.
/// Both are empty when the profile has no usable weight.
struct WeightTable {
    eff: Vec<f64>,
    src: Vec<TopicIdx>,
    /// `S`: the top weight, or 1.
    scale: f64,
}

impl WeightTable {
    fn new(weights: &[(TopicIdx, f64)], tax: &Taxonomy) -> WeightTable {
        let n = tax.len();
        let usable = |&(t, w): &(TopicIdx, f64)| {
            w.is_finite() && w > 0.0 && (t as usize) < n && !tax.is_sensitive(t)
        };
        if !weights.iter().any(usable) {
            return WeightTable {
                eff: Vec::new(),
                src: Vec::new(),
                scale: 1.0,
            };
        }
        let mut eff = vec![0.0f64; n];
        let mut src = vec![NO_SOURCE; n];
        let mut scale = 0.0f64;
        for &(t, w) in weights.iter().filter(|p| usable(p)) {
            if let (Some(e), Some(s)) = (eff.get_mut(t as usize), src.get_mut(t as usize)) {
                if w > *e {
                    *e = w;
                    *s = t;
                }
            }
            scale = scale.max(w);
        }
        // Fallback: walk up to the nearest topic that already has a value. A
        // topic processed earlier carries its own nearest weighted ancestor, so
        // the walk stops there with the right distance. Sensitive topics keep 0.
        for (t, topic) in tax.topics().iter().enumerate() {
            if topic.sensitive || src.get(t).is_none_or(|&s| s != NO_SOURCE) {
                continue;
            }
            let mut factor = ANCESTOR_FACTOR;
            let mut found = None;
            for a in tax.ancestors(t as TopicIdx) {
                let a = a as usize;
                if let (Some(&sa), Some(&ea)) = (src.get(a), eff.get(a)) {
                    if sa != NO_SOURCE {
                        found = Some((sa, ea * factor));
                        break;
                    }
                }
                factor *= ANCESTOR_FACTOR;
            }
            if let Some((sa, w)) = found {
                if let (Some(e), Some(s)) = (eff.get_mut(t), src.get_mut(t)) {
                    *e = w;
                    *s = sa;
                }
            }
        }
        WeightTable { eff, src, scale }
    }

    /// `w'(t)`.
    fn eff(&self, t: TopicIdx) -> f64 {
        self.eff.get(t as usize).copied().unwrap_or(0.0)
    }

    /// The weighted profile topic `t` draws on, with `w'(t)`, if any.
    fn source(&self, t: TopicIdx) -> Option<(TopicIdx, f64)> {
        let s = *self.src.get(t as usize)?;
        (s != NO_SOURCE).then(|| (s, self.eff(t)))
    }

    /// `1 − exp(−s / S)`.
    fn squash(&self, s: f64) -> f64 {
        if s > 0.0 {
            1.0 - (-s / self.scale).exp()
        } else {
            0.0
        }
    }
}

/// An embedding with its Euclidean norm.
struct Emb<'a> {
    v: &'a [f32],
    norm: f64,
}

impl<'a> Emb<'a> {
    fn new(v: &'a [f32]) -> Emb<'a> {
        Emb { v, norm: norm(v) }
    }
}

fn norm(v: &[f32]) -> f64 {
    // f64 so that large finite components cannot overflow.
    v.iter()
        .map(|&x| f64::from(x) * f64::from(x))
        .sum::<f64>()
        .sqrt()
}

/// `max(0, cos(a, b))` clamped to 0..=1, or `None` when it is undefined
/// (different lengths, empty or zero vectors).
fn cosine(a: &[f32], a_norm: f64, b: &[f32], b_norm: f64) -> Option<f64> {
    if a.len() != b.len() || a.is_empty() || a_norm <= 0.0 || b_norm <= 0.0 {
        return None;
    }
    let dot: f64 = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| f64::from(x) * f64::from(y))
        .sum();
    let c = dot / (a_norm * b_norm);
    Some(if c > 0.0 { c.min(1.0) } else { 0.0 })
}

/// `r_emb = w_emb · max(0, cos(u, e))`.
fn embedding_term(user: &Emb<'_>, item: &[f32]) -> f64 {
    if item.len() != user.v.len() {
        return 0.0;
    }
    cosine(user.v, user.norm, item, norm(item)).map_or(0.0, |c| EMBEDDING_WEIGHT * c)
}

/// `2^(−max(0, now − published) / half_life)`, 1 when either is absent.
fn freshness(published: Option<i64>, half_life: Option<i64>, now_ms: i64) -> f64 {
    match (published, half_life) {
        (Some(p), Some(h)) if h > 0 => {
            let age = now_ms.saturating_sub(p).max(0) as f64;
            (-age / h as f64).exp2()
        }
        _ => 1.0,
    }
}

// ---- ordering ---------------------------------------------------------------

/// What sorting needs of an item.
#[derive(Debug, Clone, Copy)]
struct Cand {
    score: f64,
    fresh: f64,
    idx: u32,
}

/// Score desc, then freshness desc, then input order: a total order, so
/// unstable sorts and selections give the same result as a stable sort.
fn by_rank(a: &Cand, b: &Cand) -> Ordering {
    b.score
        .total_cmp(&a.score)
        .then(b.fresh.total_cmp(&a.fresh))
        .then(a.idx.cmp(&b.idx))
}

/// Put the best `k` candidates first, in order (the rest unordered).
fn sort_top(cands: &mut [Cand], k: usize) {
    if k == 0 {
        return;
    }
    if k < cands.len() {
        cands.select_nth_unstable_by(k - 1, by_rank);
    }
    if let Some(top) = cands.get_mut(..k) {
        top.sort_unstable_by(by_rank);
    }
}

/// What similarity needs of a window candidate.
struct SimInfo<'a> {
    /// Span of its expanded topic set in the shared buffer.
    start: usize,
    end: usize,
    emb: Emb<'a>,
}

/// Reorder `win` (sorted by rank) so that its first `picks` entries are the
/// greedy MMR choices; the others follow in rank order.
fn mmr(
    win: &mut [Cand],
    picks: usize,
    lambda: f64,
    items: &[Item],
    resolved: &Resolved,
    tax: &Taxonomy,
) {
    let w = win.len();
    if picks == 0 || w < 2 {
        return;
    }
    // Expanded topic sets (topics plus ancestors, sorted, deduplicated).
    let mut sets: Vec<TopicIdx> = Vec::with_capacity(w * 8);
    let mut info: Vec<SimInfo<'_>> = Vec::with_capacity(w);
    let mut scratch: Vec<TopicIdx> = Vec::with_capacity(64);
    for c in win.iter() {
        let i = c.idx as usize;
        scratch.clear();
        for &t in resolved.topics(i) {
            scratch.push(t);
            scratch.extend(tax.ancestors(t));
        }
        scratch.sort_unstable();
        scratch.dedup();
        let start = sets.len();
        sets.extend_from_slice(&scratch);
        let emb = items.get(i).map_or(&[][..], |it| it.embedding.as_slice());
        info.push(SimInfo {
            start,
            end: sets.len(),
            emb: Emb::new(emb),
        });
    }
    let sim = |a: &SimInfo<'_>, b: &SimInfo<'_>| -> f64 {
        if let Some(c) = cosine(a.emb.v, a.emb.norm, b.emb.v, b.emb.norm) {
            return c;
        }
        jaccard(
            sets.get(a.start..a.end).unwrap_or(&[]),
            sets.get(b.start..b.end).unwrap_or(&[]),
        )
    };

    let mut max_sim = vec![0.0f64; w];
    let mut taken = vec![false; w];
    let mut order: Vec<Cand> = Vec::with_capacity(w);
    for round in 0..picks {
        let mut best: Option<(usize, f64)> = None;
        for (p, c) in win.iter().enumerate() {
            if taken.get(p).copied().unwrap_or(true) {
                continue;
            }
            let v = (1.0 - lambda) * c.score - lambda * max_sim.get(p).copied().unwrap_or(0.0);
            // Strictly greater: ties keep the better-ranked (earlier) candidate.
            if best.is_none_or(|(_, bv)| v > bv) {
                best = Some((p, v));
            }
        }
        let Some((b, _)) = best else { break };
        if let Some(t) = taken.get_mut(b) {
            *t = true;
        }
        if let Some(&c) = win.get(b) {
            order.push(c);
        }
        if round + 1 == picks {
            break;
        }
        let Some(bi) = info.get(b) else { break };
        for ((p, ms), inf) in max_sim.iter_mut().enumerate().zip(&info) {
            if !taken.get(p).copied().unwrap_or(true) {
                let s = sim(inf, bi);
                if s > *ms {
                    *ms = s;
                }
            }
        }
    }
    order.extend(
        win.iter()
            .zip(&taken)
            .filter(|&(_, &t)| !t)
            .map(|(&c, _)| c),
    );
    if order.len() == w {
        win.copy_from_slice(&order);
    }
}

/// `|A ∩ B| / |A ∪ B|` of two sorted, deduplicated sets; 0 when both are empty.
fn jaccard(a: &[TopicIdx], b: &[TopicIdx]) -> f64 {
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while let (Some(&x), Some(&y)) = (a.get(i), b.get(j)) {
        match x.cmp(&y) {
            Ordering::Less => i += 1,
            Ordering::Greater => j += 1,
            Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = a.len() + b.len() - common;
    if union == 0 {
        0.0
    } else {
        common as f64 / union as f64
    }
}

// ---- reasons ----------------------------------------------------------------

fn explain(
    item: &Item,
    score: f64,
    topics: &[TopicIdx],
    table: &WeightTable,
    user: Option<&Emb<'_>>,
    content_led: bool,
    tax: &Taxonomy,
) -> RankedItem {
    // Merge contributions by the profile topic they come from, first-seen order.
    let mut contrib: Vec<(TopicIdx, f64)> = Vec::new();
    for &t in topics {
        if let Some((src, w)) = table.source(t) {
            match contrib.iter_mut().find(|(s, _)| *s == src) {
                Some((_, sum)) => *sum += w,
                None => contrib.push((src, w)),
            }
        }
    }
    contrib.sort_by(|a, b| b.1.total_cmp(&a.1)); // stable: ties keep item order
    let matched: Vec<MatchedTopic> = contrib
        .iter()
        .filter_map(|&(src, weight)| {
            let t = tax.get(src)?;
            Some(MatchedTopic {
                topic_id: t.id.clone(),
                label: t.label.clone(),
                weight,
            })
        })
        .collect();
    let reason = if content_led {
        REASON_CONTENT.to_string()
    } else if let Some(first) = matched.first() {
        let mut r = String::with_capacity(REASON_FOLLOW_PREFIX.len() + 48);
        r.push_str(REASON_FOLLOW_PREFIX);
        r.push_str(&first.label);
        if let Some(second) = matched.iter().skip(1).find(|m| m.label != first.label) {
            r.push_str(" and ");
            r.push_str(&second.label);
        }
        r
    } else if user.is_some_and(|u| embedding_term(u, &item.embedding) > 0.0) {
        REASON_EMBEDDING.to_string()
    } else {
        REASON_FRESH.to_string()
    };
    RankedItem {
        id: item.id.clone(),
        score,
        reason,
        matched,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::MAX_HISTORY;

    const NOW: i64 = 1_763_884_800_000;

    /// Sports > Soccer > World Cup, Sports > Running and Jogging, Cooking >
    /// Baking, Health (sensitive) > Cancer.
    fn tax() -> Taxonomy {
        Taxonomy::from_json(
            r#"{"format":"hearth-taxonomy/1","version":"t1","topics":[
            {"id":"s","label":"Sports","parent":null},
            {"id":"f","label":"Soccer","parent":"s"},
            {"id":"w","label":"World Cup","parent":"f"},
            {"id":"r","label":"Running and Jogging","parent":"s"},
            {"id":"k","label":"Cooking","parent":null},
            {"id":"b","label":"Baking","parent":"k"},
            {"id":"h","label":"Health","parent":null,"sensitive":"health"},
            {"id":"c","label":"Cancer","parent":"h"}]}"#,
        )
        .unwrap()
    }

    /// Soccer 2, Running 1, Cooking 0.5 (top weight S = 2).
    fn weights(t: &Taxonomy) -> Vec<(TopicIdx, f64)> {
        vec![
            (t.idx("f").unwrap(), 2.0),
            (t.idx("r").unwrap(), 1.0),
            (t.idx("k").unwrap(), 0.5),
        ]
    }

    fn item(id: &str, topics: &[&str]) -> Item {
        Item {
            id: id.into(),
            topics: topics.iter().map(|s| s.to_string()).collect(),
            ..Item::default()
        }
    }

    fn rank(items: &[Item], w: &[(TopicIdx, f64)], opts: &RankOptions) -> Vec<RankedItem> {
        rank_items(items, w, None, &tax(), opts, NOW).unwrap()
    }

    fn ids(r: &[RankedItem]) -> Vec<&str> {
        r.iter().map(|x| x.id.as_str()).collect()
    }

    /// "seen" leads strongly to "b" and weakly to "c"; "other" leads to "a".
    fn content_model() -> ContentModel {
        let names = ["seen", "a", "b", "c", "other"];
        ContentModel::from_weights(
            names.iter().map(|s| s.to_string()).collect(),
            vec![
                vec![(2, 1.0), (3, 0.25)],
                vec![],
                vec![],
                vec![],
                vec![(1, 0.5)],
            ],
        )
        .unwrap()
    }

    fn rank_content(items: &[Item], recent: &[&str]) -> Vec<RankedItem> {
        rank_content_hiding(items, recent, &[])
    }

    fn rank_content_hiding(items: &[Item], recent: &[&str], hidden: &[bool]) -> Vec<RankedItem> {
        let opts = RankOptions {
            recent_item_ids: recent.iter().map(|s| s.to_string()).collect(),
            ..RankOptions::default()
        };
        let t = tax();
        let m = content_model();
        let input = ContentInput { model: &m, hidden };
        rank_items_with_content(items, &weights(&t), None, Some(input), &t, &opts, NOW).unwrap()
    }

    #[test]
    fn the_content_model_never_promotes_a_hidden_topic() {
        // "b" is the recent item's strongest neighbour, but it is about
        // Baking and the user hid Cooking (and so its subtopics).
        let t = tax();
        let items = [item("c", &[]), item("b", &["b"]), item("d", &[])];
        assert_eq!(ids(&rank_content(&items, &["seen"]))[0], "b");
        let mut hidden = vec![false; t.len()];
        for id in ["k", "b"] {
            hidden[t.idx(id).unwrap() as usize] = true;
        }
        let r = rank_content_hiding(&items, &["seen"], &hidden);
        assert_eq!(ids(&r), ["c", "b", "d"], "{r:?}");
        // Only its topic part is left (the test's weights still hold Cooking,
        // which the engine's would not): Baking borrows 0.5 · 0.5 over S = 2.
        assert!((r[1].score - (1.0 - CONTENT_WEIGHT) * (1.0 - (-0.125f64).exp())).abs() < 1e-12);
        assert_ne!(r[1].reason, REASON_CONTENT);
    }

    #[test]
    fn content_model_blends_with_the_profile_as_documented() {
        // "a" matches the top topic (Soccer); "b" and "c" match nothing but
        // are neighbours of the user's recent item.
        let items = [
            item("a", &["f"]),
            item("b", &[]),
            item("c", &[]),
            item("d", &[]),
        ];
        let r = rank_content(&items, &["seen"]);
        // c: α · 0.25 = 0.2 beats a: (1 − α) · 0.632 = 0.126.
        assert_eq!(ids(&r), ["b", "c", "a", "d"]);
        let alpha = CONTENT_WEIGHT;
        let r_topic_a = 1.0 - (-1.0f64).exp(); // Soccer 2 over S = 2
        let by = |id: &str| r.iter().find(|x| x.id == id).unwrap();
        assert!((by("b").score - alpha).abs() < 1e-4, "{r:?}");
        assert!((by("c").score - alpha * 0.25).abs() < 1e-4);
        assert!((by("a").score - (1.0 - alpha) * r_topic_a).abs() < 1e-9);
        assert_eq!(by("d").score, 0.0);
        assert_eq!(by("b").reason, REASON_CONTENT);
        assert!(by("b").matched.is_empty());
        assert_eq!(by("a").reason, "Because you follow Soccer");
        assert_eq!(by("d").reason, REASON_FRESH);
    }

    #[test]
    fn without_model_history_or_reach_the_ranking_is_unchanged() {
        let t = tax();
        let items = [item("a", &["f"]), item("b", &[]), item("c", &["k"])];
        let plain = rank(&items, &weights(&t), &RankOptions::default());
        // No model.
        let opts = RankOptions {
            recent_item_ids: vec!["seen".into()],
            ..RankOptions::default()
        };
        let none = rank_items_with_content(&items, &weights(&t), None, None, &t, &opts, NOW);
        assert_eq!(none.unwrap(), plain);
        // A model, but no history; history the model does not know; history
        // whose neighbours are not among the candidates.
        assert_eq!(rank_content(&items, &[]), plain);
        assert_eq!(rank_content(&items, &["unknown"]), plain);
        let far = [item("a", &["f"]), item("x", &[]), item("c2", &["k"])];
        assert_eq!(
            rank_content(&far, &["other"])
                .iter()
                .map(|x| x.score)
                .collect::<Vec<_>>(),
            {
                // "other" reaches "a", which is a candidate: it now leads alone.
                vec![
                    CONTENT_WEIGHT + (1.0 - CONTENT_WEIGHT) * (1.0 - (-1.0f64).exp()),
                    (1.0 - CONTENT_WEIGHT) * (1.0 - (-0.25f64).exp()),
                    0.0,
                ]
            }
        );
    }

    #[test]
    fn recent_item_ids_are_validated() {
        let t = tax();
        let bad = |recent: Vec<String>| {
            let opts = RankOptions {
                recent_item_ids: recent,
                ..RankOptions::default()
            };
            rank_items(&[item("a", &[])], &[], None, &t, &opts, NOW)
        };
        for recent in [
            vec![String::new()],
            vec!["x".repeat(MAX_ID_LEN + 1)],
            vec!["x".to_string(); MAX_HISTORY + 1],
        ] {
            assert!(matches!(
                bad(recent),
                Err(Error::InvalidArgument {
                    name: "recent_item_ids",
                    ..
                })
            ));
        }
        assert!(bad(vec!["x".to_string(); MAX_HISTORY]).is_ok());
    }

    fn score_of(r: &[RankedItem], id: &str) -> f64 {
        r.iter().find(|x| x.id == id).unwrap().score
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn default_options_are_documented_values() {
        let o = RankOptions::default();
        assert_eq!(o.limit, 0);
        assert_eq!(o.diversity, 0.0);
        assert_eq!(o.freshness_half_life_ms, None);
    }

    #[test]
    fn hand_computed_scores() {
        let t = tax();
        let items = [
            item("soccer", &["f"]),          // s = 2
            item("soccer+run", &["f", "r"]), // s = 3
            item("run", &["r"]),             // s = 1
            item("dup", &["f", "f"]),        // duplicates count once: s = 2
            item("none", &[]),
        ];
        let r = rank(&items, &weights(&t), &RankOptions::default());
        assert_eq!(ids(&r), ["soccer+run", "soccer", "dup", "run", "none"]);
        assert!(close(score_of(&r, "soccer"), 1.0 - (-1.0f64).exp()));
        assert!(close(score_of(&r, "soccer+run"), 1.0 - (-1.5f64).exp()));
        assert!(close(score_of(&r, "run"), 1.0 - (-0.5f64).exp()));
        assert!(close(score_of(&r, "dup"), 1.0 - (-1.0f64).exp()));
        assert_eq!(score_of(&r, "none"), 0.0);
        let m = &r[0].matched;
        assert_eq!(m.len(), 2);
        assert_eq!((m[0].topic_id.as_str(), m[0].weight), ("f", 2.0));
        assert_eq!(
            (m[1].label.as_str(), m[1].weight),
            ("Running and Jogging", 1.0)
        );
    }

    #[test]
    fn ancestor_fallback_halves_per_level() {
        let t = tax();
        let items = [
            item("wc", &["w"]),        // Soccer one level up: 2 * 0.5 = 1
            item("baking", &["b"]),    // Cooking one level up: 0.5 * 0.5 = 0.25
            item("sports", &["s"]),    // root without weight: nothing to borrow
            item("wc+f", &["w", "f"]), // 1 + 2, both from Soccer
        ];
        let r = rank(&items, &weights(&t), &RankOptions::default());
        assert!(close(score_of(&r, "wc"), 1.0 - (-0.5f64).exp()));
        assert!(close(score_of(&r, "baking"), 1.0 - (-0.125f64).exp()));
        assert_eq!(score_of(&r, "sports"), 0.0);
        assert!(close(score_of(&r, "wc+f"), 1.0 - (-1.5f64).exp()));
        let wc = r.iter().find(|x| x.id == "wc").unwrap();
        assert_eq!(wc.matched.len(), 1);
        assert_eq!(
            wc.matched[0].topic_id, "f",
            "the followed ancestor is named"
        );
        assert_eq!(wc.matched[0].weight, 1.0);
        assert_eq!(wc.reason, "Because you follow Soccer");
        let merged = r.iter().find(|x| x.id == "wc+f").unwrap();
        assert_eq!(merged.matched.len(), 1, "merged by profile topic");
        assert_eq!(merged.matched[0].weight, 3.0);

        // Two levels: only Sports is followed.
        let s = vec![(t.idx("s").unwrap(), 4.0)];
        let r = rank(&[item("wc", &["w"])], &s, &RankOptions::default());
        assert!(close(r[0].score, 1.0 - (-0.25f64).exp()), "4 * 0.25 / 4");
        // The nearest weighted ancestor wins over a heavier, farther one.
        let both = vec![(t.idx("s").unwrap(), 8.0), (t.idx("f").unwrap(), 1.0)];
        let r = rank(&[item("wc", &["w"])], &both, &RankOptions::default());
        assert!(close(r[0].score, 1.0 - (-0.5f64 / 8.0).exp()));
        assert_eq!(r[0].matched[0].topic_id, "f");
    }

    #[test]
    fn embedding_adds_half_the_cosine() {
        let t = tax();
        let mut a = item("same", &["f"]);
        a.embedding = vec![1.0, 0.0];
        let mut b = item("diag", &[]);
        b.embedding = vec![1.0, 1.0];
        let mut c = item("opposite", &[]);
        c.embedding = vec![-1.0, 0.0];
        let mut d = item("other-dim", &[]);
        d.embedding = vec![1.0, 0.0, 0.0];
        let mut z = item("zero", &[]);
        z.embedding = vec![0.0, 0.0];
        let items = [a, b, c, d, z];
        let u = [2.0f32, 0.0];
        let r = rank_items(
            &items,
            &weights(&t),
            Some(&u),
            &t,
            &RankOptions::default(),
            NOW,
        )
        .unwrap();
        assert!(close(score_of(&r, "same"), 1.0 - (-1.0f64).exp() + 0.5));
        assert!(close(
            score_of(&r, "diag"),
            0.5 * std::f64::consts::FRAC_1_SQRT_2
        ));
        for id in ["opposite", "other-dim", "zero"] {
            assert_eq!(score_of(&r, id), 0.0, "{id}");
        }
        let diag = r.iter().find(|x| x.id == "diag").unwrap();
        assert_eq!(diag.reason, REASON_EMBEDDING);
        assert!(diag.matched.is_empty());
        let same = r.iter().find(|x| x.id == "same").unwrap();
        assert_eq!(
            same.reason, "Because you follow Soccer",
            "topics name the reason"
        );
        assert_eq!(
            r.iter().find(|x| x.id == "opposite").unwrap().reason,
            REASON_FRESH
        );
    }

    #[test]
    fn freshness_halves_at_one_half_life() {
        let t = tax();
        let h = 7 * 86_400_000;
        let dated = |id: &str, at: Option<i64>| Item {
            published_at_ms: at,
            ..item(id, &["f"])
        };
        let items = [
            dated("new", Some(NOW)),
            dated("one", Some(NOW - h)),
            dated("two", Some(NOW - 2 * h)),
            dated("future", Some(NOW + h)),
            dated("undated", None),
        ];
        let base = 1.0 - (-1.0f64).exp();
        let opts = RankOptions {
            freshness_half_life_ms: Some(h),
            ..RankOptions::default()
        };
        let r = rank(&items, &weights(&t), &opts);
        assert!(close(score_of(&r, "new"), base));
        assert!(close(score_of(&r, "one"), base / 2.0));
        assert!(close(score_of(&r, "two"), base / 4.0));
        assert!(close(score_of(&r, "future"), base), "future = age 0");
        assert!(close(score_of(&r, "undated"), base), "undated = factor 1");
        assert_eq!(ids(&r), ["new", "future", "undated", "one", "two"]);
        // Freshness off: dates are ignored.
        let r = rank(&items, &weights(&t), &RankOptions::default());
        assert!(r.iter().all(|x| close(x.score, base)));
        assert_eq!(ids(&r), ["new", "one", "two", "future", "undated"]);
    }

    #[test]
    fn empty_profile_falls_back_to_freshness_then_input_order() {
        let day = 86_400_000;
        let dated = |id: &str, at: Option<i64>| Item {
            published_at_ms: at,
            ..item(id, &["f", "c"])
        };
        let items = [
            dated("old", Some(NOW - 30 * day)),
            dated("undated-1", None),
            dated("new", Some(NOW - day)),
            dated("mid", Some(NOW - 7 * day)),
            dated("undated-2", None),
            dated("new-too", Some(NOW - day)),
        ];
        let fresh = RankOptions {
            freshness_half_life_ms: Some(7 * day),
            ..RankOptions::default()
        };
        let r = rank(&items, &[], &fresh);
        assert_eq!(
            ids(&r),
            ["undated-1", "undated-2", "new", "new-too", "mid", "old"]
        );
        assert!(r.iter().all(|x| x.score == 0.0 && x.reason == REASON_FRESH));
        assert!(r.iter().all(|x| x.matched.is_empty()));
        // Without freshness: the app's order, unchanged.
        let r = rank(&items, &[], &RankOptions::default());
        assert_eq!(
            ids(&r),
            ["old", "undated-1", "new", "mid", "undated-2", "new-too"]
        );
        // Diversity over an empty profile still starts with the freshest.
        let r = rank(
            &items,
            &[],
            &RankOptions {
                diversity: 0.5,
                ..fresh
            },
        );
        assert_eq!(r[0].id, "undated-1");
        assert_eq!(r.len(), items.len());
    }

    #[test]
    fn ties_keep_input_order() {
        let t = tax();
        let items: Vec<Item> = (0..20).map(|i| item(&format!("i{i:02}"), &["f"])).collect();
        let r = rank(&items, &weights(&t), &RankOptions::default());
        let want: Vec<String> = (0..20).map(|i| format!("i{i:02}")).collect();
        assert_eq!(ids(&r), want);
        let r = rank(
            &items,
            &weights(&t),
            &RankOptions {
                limit: 5,
                ..RankOptions::default()
            },
        );
        assert_eq!(ids(&r), want[..5]);
    }

    /// Two near-duplicates on Soccer + World Cup, and a less relevant item on
    /// Running.
    fn near_duplicates() -> Vec<Item> {
        vec![
            item("a1", &["f", "w"]),
            item("a2", &["w", "f"]),
            item("b", &["r"]),
        ]
    }

    #[test]
    fn mmr_prefers_a_different_item_over_a_near_duplicate() {
        let t = tax();
        let w = weights(&t);
        let opts = |diversity| RankOptions {
            limit: 2,
            diversity,
            ..RankOptions::default()
        };
        assert_eq!(ids(&rank(&near_duplicates(), &w, &opts(0.0))), ["a1", "a2"]);
        // λ = 0.5: a2 scores 0.5·0.777 − 0.5·1 < 0; b scores 0.5·0.393 − 0.5·0.25
        // (Jaccard {s,r} vs {s,f,w} = 1/4) > 0.
        let r = rank(&near_duplicates(), &w, &opts(0.5));
        assert_eq!(ids(&r), ["a1", "b"]);
        // Scores are still the relevance scores.
        assert!(close(r[1].score, 1.0 - (-0.5f64).exp()));
        // Without a limit, the duplicate comes last.
        let r = rank(
            &near_duplicates(),
            &w,
            &RankOptions {
                diversity: 0.5,
                ..RankOptions::default()
            },
        );
        assert_eq!(ids(&r), ["a1", "b", "a2"]);
        // A small λ does not outweigh the relevance gap.
        assert_eq!(ids(&rank(&near_duplicates(), &w, &opts(0.1))), ["a1", "a2"]);
    }

    #[test]
    fn mmr_uses_embeddings_when_both_items_have_one() {
        let t = tax();
        // Same topics everywhere, so only the embeddings tell them apart.
        let with = |id: &str, e: [f32; 2]| Item {
            embedding: e.to_vec(),
            ..item(id, &["f"])
        };
        let items = [
            with("x1", [1.0, 0.0]),
            with("x2", [0.99, 0.01]),
            with("y", [0.0, 1.0]),
        ];
        let opts = RankOptions {
            limit: 2,
            diversity: 0.3,
            ..RankOptions::default()
        };
        let r = rank(&items, &weights(&t), &opts);
        assert_eq!(ids(&r), ["x1", "y"]);
        // Topic Jaccard alone (items without embeddings) would see duplicates
        // everywhere and keep the input order.
        let plain: Vec<Item> = items
            .iter()
            .map(|i| Item {
                embedding: vec![],
                ..i.clone()
            })
            .collect();
        assert_eq!(ids(&rank(&plain, &weights(&t), &opts)), ["x1", "x2"]);
    }

    #[test]
    fn mmr_window_bounds_the_work_and_keeps_everything() {
        let t = tax();
        // 200 items; MMR with limit 0 only reorders the best 50.
        let items: Vec<Item> = (0..200)
            .map(|i| {
                let topics: &[&str] = match i % 4 {
                    0 => &["f", "w"],
                    1 => &["r"],
                    2 => &["b"],
                    _ => &[],
                };
                item(&format!("i{i}"), topics)
            })
            .collect();
        let opts = RankOptions {
            diversity: 0.4,
            ..RankOptions::default()
        };
        let r = rank(&items, &weights(&t), &opts);
        assert_eq!(r.len(), 200);
        let mut seen: Vec<&str> = ids(&r);
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 200, "a permutation");
        // Beyond the window: plain score order.
        let tail = &r[MMR_MIN_WINDOW..];
        assert!(tail.windows(2).all(|p| p[0].score >= p[1].score));
        // The window holds the 50 best items (all the Soccer ones), reordered.
        let plain = rank(&items, &weights(&t), &RankOptions::default());
        let mut a = ids(&r[..MMR_MIN_WINDOW]);
        let mut b = ids(&plain[..MMR_MIN_WINDOW]);
        a.sort_unstable();
        b.sort_unstable();
        assert_eq!(a, b);
    }

    #[test]
    fn limit_is_respected() {
        let t = tax();
        let items: Vec<Item> = (0..10).map(|i| item(&format!("i{i}"), &["r"])).collect();
        for diversity in [0.0, 0.7] {
            for (limit, want) in [(0, 10), (1, 1), (3, 3), (10, 10), (25, 10)] {
                let r = rank(
                    &items,
                    &weights(&t),
                    &RankOptions {
                        limit,
                        diversity,
                        ..RankOptions::default()
                    },
                );
                assert_eq!(r.len(), want, "limit {limit} diversity {diversity}");
            }
        }
        assert!(rank(&[], &weights(&t), &RankOptions::default()).is_empty());
    }

    #[test]
    fn deterministic() {
        let t = Taxonomy::iab().unwrap();
        let topics: Vec<&str> = t
            .topics()
            .iter()
            .filter(|x| !x.sensitive)
            .map(|x| x.id.as_str())
            .collect();
        let w: Vec<(TopicIdx, f64)> = topics
            .iter()
            .take(60)
            .enumerate()
            .map(|(i, id)| (t.idx(id).unwrap(), 1.0 / (1.0 + i as f64)))
            .collect();
        let items: Vec<Item> = (0..300)
            .map(|i| Item {
                id: format!("item-{i}"),
                topics: (0..3)
                    .map(|j| topics[(i * 7 + j * 13) % topics.len()].to_string())
                    .collect(),
                embedding: if i % 2 == 0 {
                    (0..8)
                        .map(|d| ((i * 31 + d * 17) % 11) as f32 - 5.0)
                        .collect()
                } else {
                    vec![]
                },
                published_at_ms: Some(NOW - (i as i64 % 17) * 3_600_000),
            })
            .collect();
        let u: Vec<f32> = (0..8).map(|d| d as f32 - 3.5).collect();
        let opts = RankOptions {
            limit: 20,
            diversity: 0.3,
            freshness_half_life_ms: Some(86_400_000),
            ..Default::default()
        };
        let a = rank_items(&items, &w, Some(&u), &t, &opts, NOW).unwrap();
        let b = rank_items(&items, &w, Some(&u), &t, &opts, NOW).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len(), 20);
    }

    #[test]
    fn sensitive_topics_give_no_score_and_no_reason() {
        let t = tax();
        // Even if a caller passed a weight on a sensitive topic, it is ignored
        // (and does not change S).
        let mut w = weights(&t);
        w.insert(0, (t.idx("h").unwrap(), 50.0));
        w.push((t.idx("c").unwrap(), 9.0));
        let items = [
            item("cancer", &["c"]),
            item("health", &["h"]),
            item("soccer-and-cancer", &["c", "f"]),
        ];
        let r = rank(&items, &w, &RankOptions::default());
        assert_eq!(score_of(&r, "cancer"), 0.0);
        assert_eq!(score_of(&r, "health"), 0.0);
        assert!(close(
            score_of(&r, "soccer-and-cancer"),
            1.0 - (-1.0f64).exp()
        ));
        for x in &r {
            assert!(!x.reason.contains("Health") && !x.reason.contains("Cancer"));
            assert!(
                x.matched
                    .iter()
                    .all(|m| m.topic_id != "h" && m.topic_id != "c")
            );
        }
        // A taxonomy where a sensitive topic sits under a followed one: no
        // fallback through it either.
        let t2 = Taxonomy::from_json(
            r#"{"format":"hearth-taxonomy/1","version":"t2","topics":[
            {"id":"life","label":"Lifestyle","parent":null},
            {"id":"faith","label":"Faith","parent":"life","sensitive":"religion"},
            {"id":"x","label":"Faith Events","parent":"faith"}]}"#,
        )
        .unwrap();
        let w2 = vec![(t2.idx("life").unwrap(), 1.0)];
        let r = rank_items(
            &[item("f", &["faith"]), item("x", &["x"])],
            &w2,
            None,
            &t2,
            &RankOptions::default(),
            NOW,
        )
        .unwrap();
        assert!(r.iter().all(|x| x.score == 0.0 && x.reason == REASON_FRESH));
    }

    #[test]
    fn reasons_name_the_top_two_labels() {
        let t = tax();
        let mut w = weights(&t);
        w.push((t.idx("b").unwrap(), 0.1));
        let items = [
            item("three", &["b", "r", "f"]),
            item("one", &["r"]),
            item("nothing", &["s"]),
        ];
        let r = rank(&items, &w, &RankOptions::default());
        let three = r.iter().find(|x| x.id == "three").unwrap();
        assert_eq!(
            three.reason,
            "Because you follow Soccer and Running and Jogging"
        );
        let labels: Vec<&str> = three.matched.iter().map(|m| m.label.as_str()).collect();
        assert_eq!(labels, ["Soccer", "Running and Jogging", "Baking"]);
        assert_eq!(
            r.iter().find(|x| x.id == "one").unwrap().reason,
            "Because you follow Running and Jogging"
        );
        assert_eq!(
            r.iter().find(|x| x.id == "nothing").unwrap().reason,
            REASON_FRESH
        );
    }

    #[test]
    fn topic_cache_agrees_with_the_taxonomy_even_when_full() {
        let t = Taxonomy::iab().unwrap();
        let all: Vec<&str> = t.topics().iter().map(|x| x.id.as_str()).collect();
        // Room for 8 memoised ids; 704 distinct ones, each asked three times.
        let mut cache = TopicCache::new(1);
        for _ in 0..3 {
            for id in &all {
                assert_eq!(cache.resolve(&t, id), Some(t.idx(id).unwrap()));
            }
        }
        assert!(2 * cache.len <= cache.slots.len());
        assert_eq!(cache.resolve(&t, "nope"), None);
        assert_eq!(cache.resolve(&t, ""), None);
        assert_ne!(short_hash(b"12345678a"), short_hash(b"12345678b"));
        assert_ne!(short_hash(b"ab"), short_hash(b"ab\0"));
    }

    fn invalid_name(r: Result<Vec<RankedItem>>) -> (&'static str, String) {
        match r {
            Err(Error::InvalidArgument { name, reason }) => (name, reason),
            other => panic!("expected InvalidArgument, got {other:?}"),
        }
    }

    #[test]
    fn every_validation_error() {
        let t = tax();
        let w = weights(&t);
        let d = RankOptions::default();
        let run = |items: &[Item], opts: &RankOptions| rank_items(items, &w, None, &t, opts, NOW);

        let many: Vec<Item> = (0..=MAX_ITEMS).map(|i| item(&i.to_string(), &[])).collect();
        assert_eq!(invalid_name(run(&many, &d)).0, "items");
        assert_eq!(run(&many[..MAX_ITEMS], &d).unwrap().len(), MAX_ITEMS);

        assert_eq!(invalid_name(run(&[item("", &[])], &d)).0, "id");
        let long = "x".repeat(MAX_ID_LEN + 1);
        assert_eq!(invalid_name(run(&[item(&long, &[])], &d)).0, "id");
        assert!(run(&[item(&long[..MAX_ID_LEN], &[])], &d).is_ok());

        let dup = "d".repeat(MAX_ID_LEN);
        let (name, reason) = invalid_name(run(
            &[item(&dup, &["f"]), item("other", &[]), item(&dup, &["r"])],
            &d,
        ));
        assert_eq!(name, "id");
        assert!(
            reason.contains("items[2]") && reason.contains("items[0]"),
            "{reason}"
        );
        assert!(
            reason.contains("ddd") && reason.len() < 160,
            "truncated: {reason}"
        );

        // The first repeat in input order is named.
        for (list, want) in [
            (
                ["a", "b", "b", "a"],
                "items[2].id \"b\" duplicates items[1].id",
            ),
            (
                ["x", "y", "x", "x"],
                "items[2].id \"x\" duplicates items[0].id",
            ),
            (
                ["q", "r", "s", "q"],
                "items[3].id \"q\" duplicates items[0].id",
            ),
        ] {
            let items: Vec<Item> = list.iter().map(|i| item(i, &[])).collect();
            let (name, reason) = invalid_name(run(&items, &d));
            assert_eq!((name, reason.as_str()), ("id", want));
        }

        let topics: Vec<&str> = ["f"; MAX_TOPICS_PER_ITEM + 1].to_vec();
        assert_eq!(invalid_name(run(&[item("a", &topics)], &d)).0, "topics");
        assert!(run(&[item("a", &topics[..MAX_TOPICS_PER_ITEM])], &d).is_ok());

        match run(&[item("a", &["f", "nope"])], &d) {
            Err(Error::UnknownTopic(id)) => assert_eq!(id, "nope"),
            other => panic!("{other:?}"),
        }

        let emb = |e: Vec<f32>| Item {
            embedding: e,
            ..item("e", &[])
        };
        let (name, reason) = invalid_name(run(&[emb(vec![0.5; MAX_EMBEDDING_DIM + 1])], &d));
        assert_eq!(name, "embedding");
        assert!(reason.contains("items[0].embedding"), "{reason}");
        assert!(run(&[emb(vec![0.5; MAX_EMBEDDING_DIM])], &d).is_ok());
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            let (name, reason) = invalid_name(run(&[emb(vec![1.0, bad])], &d));
            assert_eq!(name, "embedding");
            assert!(reason.contains("[1]"), "{reason}");
        }
        let ok = [item("a", &["f"])];
        let u = vec![f32::NAN];
        assert_eq!(
            invalid_name(rank_items(&ok, &w, Some(&u), &t, &d, NOW)).0,
            "user_embedding"
        );
        let u = vec![0.0; MAX_EMBEDDING_DIM + 1];
        assert_eq!(
            invalid_name(rank_items(&ok, &w, Some(&u), &t, &d, NOW)).0,
            "user_embedding"
        );
        assert!(
            rank_items(&ok, &w, Some(&[]), &t, &d, NOW).is_ok(),
            "empty = none"
        );

        for diversity in [-0.1, 1.1, f64::NAN, f64::INFINITY] {
            let o = RankOptions {
                diversity,
                ..RankOptions::default()
            };
            assert_eq!(invalid_name(run(&ok, &o)).0, "diversity");
        }
        for h in [0, -1, i64::MIN] {
            let o = RankOptions {
                freshness_half_life_ms: Some(h),
                ..RankOptions::default()
            };
            assert_eq!(invalid_name(run(&ok, &o)).0, "freshness_half_life_ms");
        }
        for diversity in [0.0, 1.0] {
            let o = RankOptions {
                diversity,
                freshness_half_life_ms: Some(1),
                limit: usize::MAX,
                ..Default::default()
            };
            assert!(run(&ok, &o).is_ok());
        }
    }

    #[test]
    fn odd_weights_and_times_do_not_break_anything() {
        let t = tax();
        let f = t.idx("f").unwrap();
        let w = vec![
            (f, f64::NAN),
            (f, -3.0),
            (f, f64::INFINITY),
            (999, 5.0),
            (t.idx("r").unwrap(), 1.0),
            (f, 0.5),
        ];
        let items = [
            Item {
                published_at_ms: Some(i64::MIN),
                ..item("ancient", &["f"])
            },
            Item {
                published_at_ms: Some(i64::MAX),
                ..item("far-future", &["r"])
            },
        ];
        let opts = RankOptions {
            freshness_half_life_ms: Some(1),
            diversity: 1.0,
            ..RankOptions::default()
        };
        let r = rank_items(&items, &w, None, &t, &opts, NOW).unwrap();
        assert_eq!(ids(&r), ["far-future", "ancient"]);
        assert!(close(r[0].score, 1.0 - (-1.0f64).exp()), "S = 1 (Running)");
        assert_eq!(r[1].score, 0.0, "decayed away, still listed");
        assert_eq!(r[1].reason, "Because you follow Soccer");
        // Huge but finite embedding components do not overflow the cosine.
        let big = Item {
            embedding: vec![f32::MAX, f32::MAX],
            ..item("big", &[])
        };
        let u = [f32::MAX, f32::MAX];
        let r = rank_items(&[big], &[], Some(&u), &t, &RankOptions::default(), NOW).unwrap();
        assert!(close(r[0].score, 0.5));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        const IDS: [&str; 8] = ["s", "f", "w", "r", "k", "b", "h", "c"];

        fn arb_item() -> impl Strategy<Value = (Vec<usize>, Vec<f32>, Option<i64>)> {
            (
                prop::collection::vec(0..IDS.len(), 0..5),
                prop::collection::vec(-2.0f32..2.0, 0..4),
                prop::option::of(-100_000i64..100_000),
            )
        }

        proptest! {
            #[test]
            fn results_are_a_bounded_ordered_subset(
                raw in prop::collection::vec(arb_item(), 0..80),
                ws in prop::collection::vec((0..IDS.len(), 0.0f64..5.0), 0..6),
                limit in 0usize..12,
                diversity in prop_oneof![Just(0.0), 0.0f64..=1.0],
                half_life in prop::option::of(1i64..100_000),
                user in prop::option::of(prop::collection::vec(-2.0f32..2.0, 0..4)),
            ) {
                let t = tax();
                let items: Vec<Item> = raw.iter().enumerate().map(|(i, (ts, e, p))| Item {
                    id: format!("i{i}"),
                    topics: ts.iter().map(|&k| IDS[k].to_string()).collect(),
                    embedding: e.clone(),
                    published_at_ms: p.map(|p| NOW + p),
                }).collect();
                let w: Vec<(TopicIdx, f64)> =
                    ws.iter().map(|&(k, x)| (t.idx(IDS[k]).unwrap(), x)).collect();
                let opts = RankOptions { limit, diversity, freshness_half_life_ms: half_life, ..Default::default() };
                let r = rank_items(&items, &w, user.as_deref(), &t, &opts, NOW).unwrap();
                let want = if limit == 0 { items.len() } else { limit.min(items.len()) };
                prop_assert_eq!(r.len(), want);
                let mut seen: Vec<&str> = r.iter().map(|x| x.id.as_str()).collect();
                seen.sort_unstable();
                seen.dedup();
                prop_assert_eq!(seen.len(), r.len());
                for x in &r {
                    prop_assert!(x.score.is_finite() && (0.0..=1.5).contains(&x.score));
                    prop_assert!(!x.reason.is_empty());
                    prop_assert!(x.matched.iter().all(|m| m.topic_id != "h" && m.topic_id != "c"));
                }
                if diversity == 0.0 {
                    prop_assert!(r.windows(2).all(|p| p[0].score >= p[1].score));
                }
                let again = rank_items(&items, &w, user.as_deref(), &t, &opts, NOW).unwrap();
                prop_assert_eq!(r, again);
            }
        }
    }
}
