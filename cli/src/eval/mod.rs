//! `hearth eval`: offline ranking quality of Hearth's on-device models against
//! baselines and centralised references, on any interaction log.
//!
//! # Input
//!
//! Two tab-separated files with a header line (columns found by name):
//! - `items.tsv`: `item_id`, `topics`, `title`. `topics` is a `|`-separated
//!   list of labels; a label may be a `/`-separated path (`Sports/Soccer`).
//!   The taxonomy is built from the file ([`data::Dataset`]).
//! - `events.tsv`: `user_id`, `item_id`, `timestamp` (Unix seconds), `label`
//!   (1 = positive engagement, 0 = exposure without engagement or negative).
//!
//! # Protocol
//!
//! Per user, events in time order (ties by item id, numerically when both are
//! integers); the last positive event is the target; everything before it is
//! the user's training history, except earlier interactions with the target
//! item itself (they would hand every model the answer). Every item the user
//! has not interacted with in training, plus the target, is ranked (full ranking, no sampled negatives).
//! Users without a positive training event are counted and skipped. Ties in a
//! model's scores are broken by one fixed pseudo-random order of the items
//! (seeded), the same for every model, so no model profits from the file's
//! order.
//!
//! # Metrics
//!
//! With `r` the target's 1-based rank: HR@10 = `[r ≤ 10]`, NDCG@10 =
//! `1/log2(r+1)` if `r ≤ 10` else 0 (one relevant item, so IDCG = 1), MRR =
//! `1/r`; each averaged over users with a normal-approximation 95% interval
//! (`mean ± 1.96·sd/√n`, clamped to `0..=1`). Catalogue coverage = distinct items in all users'
//! top 10 / all items, with a normal 95% interval from the jackknife over
//! users (a bootstrap's resamples repeat users and so cover fewer items: its
//! percentile interval would not even contain the estimate).
//!
//! # Rows
//!
//! - `random`: uniform scores.
//! - `popularity`: number of positive training events per item over all users,
//!   the prior a catalog can ship.
//! - `user-kNN` (centralised): cosine similarity of users' positive training
//!   sets, the `knn` most similar users vote for their items.
//! - `EASE` (centralised): Steck 2019 on the positive training matrix.
//! - `hearth: profile`: a real [`Profile`] fed the user's own positive
//!   training events (content views of the item's topics at their times), then
//!   [`rank_items_with_content`] without a content model.
//! - `hearth: profile + content`: the same profile plus the content model a
//!   catalog ships ([`crate::content_model`]): built from the aggregate
//!   co-occurrence counts of all users' training data only, encoded to the
//!   `content/1` blob and decoded as a phone does; the phone passes the user's
//!   most recent positive items as `recent_item_ids`.
//! - `hearth: profile + content (ε = …)`: the content model from an aggregate
//!   released with ε-differential privacy (per-user contribution bounding,
//!   Laplace noise), one row per epsilon.
//!
//! The goal line compares the best on-device row with the best centralised
//! reference (≥ 0.9×) and with popularity (≥ 1.5×), by NDCG@10.

pub mod data;
pub mod plot;

use std::collections::{HashMap, HashSet};

use rand_chacha::ChaCha12Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use serde::Serialize;

use hearth_core::content::{ContentModel, MAX_HISTORY};
use hearth_core::profile::{EventData, Profile, ProfileConfig};
use hearth_core::rank::{ContentInput, Item, RankOptions, rank_items_with_content};

use crate::content_model::{self, BuildOptions, Privacy};
use crate::error::CliError;
use data::{Dataset, Split, UserSplit};

/// Cut-off of HR and NDCG.
pub const CUTOFF: usize = 10;

/// Options of one evaluation run.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalOptions {
    /// Seed of the random row, the tie order, the bootstrap and the noise.
    pub seed: u64,
    /// Neighbours of user-kNN.
    pub knn: usize,
    /// λ of EASE (the centralised reference and the content model alike).
    pub lambda: f64,
    /// Neighbours per item in the content model.
    pub top_n: usize,
    /// Epsilons of the noised content model rows (empty: none).
    pub epsilons: Vec<f64>,
    /// Per-user contribution bound of the noised aggregate.
    pub max_items_per_user: usize,
}

impl Default for EvalOptions {
    fn default() -> Self {
        Self {
            seed: 1,
            knn: 50,
            lambda: 200.0,
            top_n: 100,
            epsilons: Vec::new(),
            max_items_per_user: 10,
        }
    }
}

/// A mean with its 95% interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    /// Point estimate.
    pub mean: f64,
    /// Lower end of the 95% interval.
    pub lo: f64,
    /// Upper end of the 95% interval.
    pub hi: f64,
}

impl Estimate {
    /// Mean and normal-approximation 95% interval of per-user values in
    /// `0..=1` (every metric here), the interval clamped to that range.
    pub fn of(values: &[f64]) -> Self {
        let n = values.len();
        if n == 0 {
            return Self {
                mean: 0.0,
                lo: 0.0,
                hi: 0.0,
            };
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        let var = if n > 1 {
            values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64
        } else {
            0.0
        };
        let h = 1.96 * (var / n as f64).sqrt();
        Self {
            mean,
            lo: (mean - h).max(0.0),
            hi: (mean + h).min(1.0),
        }
    }
}

/// Who may see what, for a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RowKind {
    /// Needs nothing about users (random) or only a shippable prior.
    Baseline,
    /// Sees every user's training data: the privacy-invasive references.
    Centralised,
    /// Sees one user's own history plus what a signed bundle ships.
    OnDevice,
}

/// One row of the result table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// Model name.
    pub name: String,
    /// Who sees what.
    pub kind: RowKind,
    /// Epsilon of the aggregate the row's model is built from, if noised.
    pub epsilon: Option<f64>,
    /// HR@10.
    pub hr: Estimate,
    /// NDCG@10.
    pub ndcg: Estimate,
    /// MRR.
    pub mrr: Estimate,
    /// Catalogue coverage of the top 10.
    pub coverage: Estimate,
}

/// The goal the on-device models are held to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Goal {
    /// Best on-device row without noise, by NDCG@10.
    pub best_on_device: String,
    /// Best centralised row, by NDCG@10.
    pub best_centralised: String,
    /// NDCG@10 ratio of the two (goal ≥ 0.9).
    pub ratio_to_centralised: f64,
    /// NDCG@10 ratio of the best on-device row to popularity (goal ≥ 1.5).
    pub ratio_to_popularity: f64,
    /// Both goals met.
    pub met: bool,
    /// Per epsilon: the noised content row's NDCG@10 over the best
    /// centralised reference's.
    pub epsilon_curve: Vec<(f64, f64)>,
}

/// Counts of the split.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SplitCounts {
    /// Items in the log.
    pub items: usize,
    /// Users in the log.
    pub users: usize,
    /// Events in the log.
    pub events: usize,
    /// Users evaluated.
    pub evaluated: usize,
    /// Users without any positive event.
    pub skipped_no_target: usize,
    /// Users without a positive event before their target.
    pub skipped_no_positive_history: usize,
}

/// The whole result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalReport {
    /// Sizes.
    pub split: SplitCounts,
    /// Rows in order.
    pub rows: Vec<Row>,
    /// The goal line.
    pub goal: Goal,
    /// Bytes of the (exact) content model blob.
    pub content_model_bytes: usize,
}

/// Per-user ranks of the target, plus each user's top 10, for one model.
struct Outcome {
    ranks: Vec<usize>,
    tops: Vec<Vec<u32>>,
}

impl Outcome {
    fn row(&self, name: &str, kind: RowKind, epsilon: Option<f64>, n_items: usize) -> Row {
        let hr: Vec<f64> = self
            .ranks
            .iter()
            .map(|&r| f64::from(u8::from(r <= CUTOFF)))
            .collect();
        let ndcg: Vec<f64> = self
            .ranks
            .iter()
            .map(|&r| {
                if r <= CUTOFF {
                    1.0 / ((r + 1) as f64).log2()
                } else {
                    0.0
                }
            })
            .collect();
        let mrr: Vec<f64> = self.ranks.iter().map(|&r| 1.0 / r as f64).collect();
        Row {
            name: name.to_string(),
            kind,
            epsilon,
            hr: Estimate::of(&hr),
            ndcg: Estimate::of(&ndcg),
            mrr: Estimate::of(&mrr),
            coverage: coverage(&self.tops, n_items),
        }
    }
}

/// Coverage of the union of `tops`, with a normal 95% interval from the
/// jackknife over users: leaving user `u` out uncovers exactly the items only
/// `u`'s top list holds, so every leave-one-out value is exact and cheap.
fn coverage(tops: &[Vec<u32>], n_items: usize) -> Estimate {
    let mut holders = vec![0u32; n_items];
    for t in tops {
        for &i in t {
            holders[i as usize] += 1;
        }
    }
    let n_items_f = n_items.max(1) as f64;
    let covered = holders.iter().filter(|&&h| h > 0).count() as f64;
    let mean = covered / n_items_f;
    let n = tops.len();
    if n < 2 {
        return Estimate {
            mean,
            lo: mean,
            hi: mean,
        };
    }
    let loo: Vec<f64> = tops
        .iter()
        .map(|t| {
            (covered - t.iter().filter(|&&i| holders[i as usize] == 1).count() as f64) / n_items_f
        })
        .collect();
    let m = loo.iter().sum::<f64>() / n as f64;
    let var = (n - 1) as f64 / n as f64 * loo.iter().map(|x| (x - m).powi(2)).sum::<f64>();
    let h = 1.96 * var.sqrt();
    Estimate {
        mean,
        lo: (mean - h).max(0.0),
        hi: (mean + h).min(1.0),
    }
}

/// The fixed pseudo-random tie order: `tie[i]` is item `i`'s position.
fn tie_order(n: usize, seed: u64) -> Vec<u32> {
    let mut rng = ChaCha12Rng::seed_from_u64(seed ^ 0x7E5);
    let mut keys: Vec<(u64, u32)> = (0..n as u32).map(|i| (rng.next_u64(), i)).collect();
    keys.sort_unstable();
    let mut pos = vec![0u32; n];
    for (p, &(_, i)) in keys.iter().enumerate() {
        pos[i as usize] = p as u32;
    }
    pos
}

/// Candidates of a user: items not interacted with in training, plus the target.
fn candidates(u: &UserSplit, n_items: usize, tie: &[u32]) -> Vec<u32> {
    let mut seen = vec![false; n_items];
    for e in &u.train {
        seen[e.item as usize] = true;
    }
    seen[u.target as usize] = false;
    let mut c: Vec<u32> = (0..n_items as u32).filter(|&i| !seen[i as usize]).collect();
    c.sort_unstable_by_key(|&i| tie[i as usize]);
    c
}

/// A user's positive training items, most recent first, each once.
fn positives_recent_first(u: &UserSplit) -> Vec<u32> {
    let mut out = Vec::new();
    for e in u.train.iter().rev() {
        if e.positive && !out.contains(&e.item) {
            out.push(e.item);
        }
    }
    out
}

/// Rank of the target and the top 10 from per-item scores (higher first,
/// ties by the tie order, which `cands` is already sorted by).
fn rank_by_scores(cands: &[u32], target: u32, score: impl Fn(u32) -> f64) -> (usize, Vec<u32>) {
    let mut scored: Vec<(f64, u32)> = cands.iter().map(|&i| (score(i), i)).collect();
    // Stable sort: equal scores keep the tie order.
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let rank = scored
        .iter()
        .position(|&(_, i)| i == target)
        .map_or(scored.len(), |p| p + 1);
    (rank, scored.iter().take(CUTOFF).map(|&(_, i)| i).collect())
}

/// Run every row on a dataset.
pub fn evaluate(ds: &Dataset, opts: &EvalOptions) -> Result<EvalReport, CliError> {
    let split = ds.split();
    if split.users.is_empty() {
        return Err(CliError::Input(
            "no user has a positive event before their last positive event: nothing to evaluate"
                .into(),
        ));
    }
    let n = ds.items.len();
    let tie = tie_order(n, opts.seed);
    let cands: Vec<Vec<u32>> = split.users.iter().map(|u| candidates(u, n, &tie)).collect();
    let histories: Vec<Vec<u32>> = split.users.iter().map(positives_recent_first).collect();
    let per_user = |f: &dyn Fn(usize) -> (usize, Vec<u32>)| -> Outcome {
        let (ranks, tops) = (0..split.users.len()).map(f).unzip();
        Outcome { ranks, tops }
    };
    let mut rows = Vec::new();
    let row = |o: &Outcome, name: &str, kind, eps| o.row(name, kind, eps, n);

    // random
    let rnd = per_user(&|k| {
        let mut rng = ChaCha12Rng::seed_from_u64(opts.seed.wrapping_add(k as u64));
        let s: HashMap<u32, f64> = cands[k]
            .iter()
            .map(|&i| (i, rng.next_u64() as f64))
            .collect();
        rank_by_scores(&cands[k], split.users[k].target, |i| s[&i])
    });
    rows.push(row(&rnd, "random", RowKind::Baseline, None));

    // popularity
    let mut pop = vec![0.0f64; n];
    for h in &histories {
        for &i in h {
            pop[i as usize] += 1.0;
        }
    }
    let popularity =
        per_user(&|k| rank_by_scores(&cands[k], split.users[k].target, |i| pop[i as usize]));
    rows.push(row(&popularity, "popularity", RowKind::Baseline, None));

    // user-kNN
    let knn = user_knn(&histories, n, opts.knn);
    let uknn = per_user(&|k| {
        rank_by_scores(&cands[k], split.users[k].target, |i| {
            knn[k].get(&i).copied().unwrap_or(0.0)
        })
    });
    rows.push(row(&uknn, "user-kNN", RowKind::Centralised, None));

    // EASE
    let g = content_model::cooccurrence(n, &histories, None);
    let b = content_model::ease(&g, opts.lambda)?;
    let ease = per_user(&|k| {
        let mut s = vec![0.0f64; n];
        for &h in &histories[k] {
            for (j, v) in s.iter_mut().enumerate() {
                *v += b[(h as usize, j)];
            }
        }
        rank_by_scores(&cands[k], split.users[k].target, |i| s[i as usize])
    });
    rows.push(row(&ease, "EASE", RowKind::Centralised, None));
    drop(b);
    drop(g);

    // Hearth on-device rows.
    let profiles = profiles(ds, &split)?;
    let hearth = |model: Option<&ContentModel>| -> Result<Outcome, CliError> {
        let mut ranks = Vec::new();
        let mut tops = Vec::new();
        for (k, u) in split.users.iter().enumerate() {
            let (r, t) = hearth_rank(ds, u, &cands[k], &profiles[k], model, &histories[k])?;
            ranks.push(r);
            tops.push(t);
        }
        Ok(Outcome { ranks, tops })
    };
    rows.push(row(
        &hearth(None)?,
        "hearth: profile",
        RowKind::OnDevice,
        None,
    ));
    let ids: Vec<String> = ds.items.iter().map(|i| i.id.clone()).collect();
    let build = |privacy: Option<Privacy>| -> Result<(ContentModel, usize), CliError> {
        let m = content_model::build(
            &ids,
            &histories,
            &BuildOptions {
                lambda: opts.lambda,
                top_n: opts.top_n,
                privacy,
                seed: Some(opts.seed),
            },
        )?;
        // As a phone gets it: the blob, decoded.
        let blob = m.encode();
        Ok((ContentModel::decode(&blob)?, blob.len()))
    };
    let (exact, content_model_bytes) = build(None)?;
    rows.push(row(
        &hearth(Some(&exact))?,
        "hearth: profile + content",
        RowKind::OnDevice,
        None,
    ));
    drop(exact);
    for &eps in &opts.epsilons {
        let (m, _) = build(Some(Privacy {
            epsilon: eps,
            max_items_per_user: opts.max_items_per_user,
        }))?;
        rows.push(row(
            &hearth(Some(&m))?,
            &format!("hearth: profile + content (ε = {eps})"),
            RowKind::OnDevice,
            Some(eps),
        ));
    }

    let goal = goal(&rows);
    Ok(EvalReport {
        split: SplitCounts {
            items: n,
            users: ds.users.len(),
            events: ds.events.len(),
            evaluated: split.users.len(),
            skipped_no_target: split.skipped_no_target,
            skipped_no_positive_history: split.skipped_no_positive_history,
        },
        rows,
        goal,
        content_model_bytes,
    })
}

fn goal(rows: &[Row]) -> Goal {
    let best = |pred: &dyn Fn(&Row) -> bool| {
        rows.iter()
            .filter(|r| pred(r))
            .max_by(|a, b| a.ndcg.mean.total_cmp(&b.ndcg.mean))
    };
    let on = best(&|r| r.kind == RowKind::OnDevice && r.epsilon.is_none());
    let cen = best(&|r| r.kind == RowKind::Centralised);
    let pop = rows.iter().find(|r| r.name == "popularity");
    let ratio = |a: Option<&Row>, b: Option<&Row>| match (a, b) {
        (Some(a), Some(b)) if b.ndcg.mean > 0.0 => a.ndcg.mean / b.ndcg.mean,
        _ => f64::NAN,
    };
    let rc = ratio(on, cen);
    let rp = ratio(on, pop);
    Goal {
        best_on_device: on.map(|r| r.name.clone()).unwrap_or_default(),
        best_centralised: cen.map(|r| r.name.clone()).unwrap_or_default(),
        ratio_to_centralised: rc,
        ratio_to_popularity: rp,
        met: rc >= 0.9 && rp >= 1.5,
        epsilon_curve: rows
            .iter()
            .filter_map(|r| Some((r.epsilon?, ratio(Some(r), cen))))
            .collect(),
    }
}

/// Per user, the `k` most similar users (cosine of positive sets) vote with
/// their similarity for each of their items.
fn user_knn(histories: &[Vec<u32>], n_items: usize, k: usize) -> Vec<HashMap<u32, f64>> {
    let mut by_item: Vec<Vec<u32>> = vec![Vec::new(); n_items];
    for (u, h) in histories.iter().enumerate() {
        for &i in h {
            by_item[i as usize].push(u as u32);
        }
    }
    let sets: Vec<HashSet<u32>> = histories
        .iter()
        .map(|h| h.iter().copied().collect())
        .collect();
    (0..histories.len())
        .map(|u| {
            let mut overlap: HashMap<u32, f64> = HashMap::new();
            for &i in &histories[u] {
                for &v in &by_item[i as usize] {
                    if v as usize != u {
                        *overlap.entry(v).or_insert(0.0) += 1.0;
                    }
                }
            }
            let nu = sets[u].len() as f64;
            let mut sims: Vec<(f64, u32)> = overlap
                .into_iter()
                .map(|(v, o)| (o / (nu * sets[v as usize].len() as f64).sqrt(), v))
                .collect();
            sims.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            sims.truncate(k);
            let mut score: HashMap<u32, f64> = HashMap::new();
            for (s, v) in sims {
                for &i in &sets[v as usize] {
                    *score.entry(i).or_insert(0.0) += s;
                }
            }
            score
        })
        .collect()
}

/// Each evaluated user's profile from their own positive training events.
fn profiles(ds: &Dataset, split: &Split) -> Result<Vec<Profile>, CliError> {
    let cfg = ProfileConfig::default();
    split
        .users
        .iter()
        .map(|u| {
            let mut p = Profile::new();
            for e in u.train.iter().filter(|e| e.positive) {
                let topics = &ds.items[e.item as usize].topics;
                if topics.is_empty() {
                    continue;
                }
                let data = EventData::ContentView {
                    topics: topics.clone(),
                    dwell_ms: None,
                };
                p.record(&ds.taxonomy, &cfg, &data, e.ts.saturating_mul(1000))?;
            }
            Ok(p)
        })
        .collect()
}

/// Hearth's ranking of a user's candidates with the core's `rank_items`.
fn hearth_rank(
    ds: &Dataset,
    u: &UserSplit,
    cands: &[u32],
    profile: &Profile,
    model: Option<&ContentModel>,
    history: &[u32],
) -> Result<(usize, Vec<u32>), CliError> {
    let now = u.target_ts.saturating_mul(1000);
    let weights = profile.weights(&ProfileConfig::default(), now);
    let items: Vec<Item> = cands
        .iter()
        .map(|&i| {
            let it = &ds.items[i as usize];
            Item {
                id: it.id.clone(),
                topics: it.topics.clone(),
                ..Item::default()
            }
        })
        .collect();
    let opts = RankOptions {
        recent_item_ids: history
            .iter()
            .take(MAX_HISTORY)
            .map(|&i| ds.items[i as usize].id.clone())
            .collect(),
        ..RankOptions::default()
    };
    let content = model.map(|model| ContentInput { model, hidden: &[] });
    let ranked =
        rank_items_with_content(&items, &weights, None, content, &ds.taxonomy, &opts, now)?;
    let target = &ds.items[u.target as usize].id;
    let rank = ranked
        .iter()
        .position(|r| &r.id == target)
        .map_or(ranked.len(), |p| p + 1);
    let index: HashMap<&str, u32> = cands
        .iter()
        .map(|&i| (ds.items[i as usize].id.as_str(), i))
        .collect();
    let top = ranked
        .iter()
        .take(CUTOFF)
        .filter_map(|r| index.get(r.id.as_str()).copied())
        .collect();
    Ok((rank, top))
}

/// The result as a terminal table.
pub fn render(r: &EvalReport) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let c = &r.split;
    let _ = writeln!(
        s,
        "{} items, {} users, {} events; evaluated {} users (skipped: {} without a positive event, {} without a positive event before the target)",
        c.items, c.users, c.events, c.evaluated, c.skipped_no_target, c.skipped_no_positive_history
    );
    let _ = writeln!(
        s,
        "\n{:<38} {:<12} {:>21} {:>21} {:>21} {:>21}",
        "model", "sees", "HR@10", "NDCG@10", "MRR", "coverage"
    );
    let est = |e: &Estimate| format!("{:.4} [{:.4},{:.4}]", e.mean, e.lo, e.hi);
    for row in &r.rows {
        let kind = match row.kind {
            RowKind::Baseline => "baseline",
            RowKind::Centralised => "centralised",
            RowKind::OnDevice => "on-device",
        };
        let _ = writeln!(
            s,
            "{:<38} {:<12} {:>21} {:>21} {:>21} {:>21}",
            row.name,
            kind,
            est(&row.hr),
            est(&row.ndcg),
            est(&row.mrr),
            est(&row.coverage)
        );
    }
    let g = &r.goal;
    let _ = writeln!(
        s,
        "\ngoal: {} / {} NDCG@10 = {:.3} (≥ 0.9), / popularity = {:.3} (≥ 1.5): {}",
        g.best_on_device,
        g.best_centralised,
        g.ratio_to_centralised,
        g.ratio_to_popularity,
        if g.met { "MET" } else { "NOT MET" }
    );
    for (eps, ratio) in &g.epsilon_curve {
        let _ = writeln!(
            s,
            "  ε = {eps:<8} ratio to {} = {ratio:.3}",
            g.best_centralised
        );
    }
    let _ = writeln!(s, "content model blob: {} bytes", r.content_model_bytes);
    s
}
