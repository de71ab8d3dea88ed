//! The content model: item-to-item neighbour lists a catalog ships, so ranking
//! on the phone can use what *everyone's* aggregate behaviour says about items
//! without anyone's individual behaviour leaving their phone.
//!
//! # What it is
//!
//! For every item `i` the publisher knows, a short list of neighbours `j` with
//! a weight `B[i][j] > 0`: "people who engaged with `i` also engage with `j`,
//! this much". On the phone, given the user's own recent items `H` (the app
//! passes them with [`RankOptions::recent_item_ids`](crate::rank::RankOptions)),
//! an item `j` gets the content score
//!
//! ```text
//! c(j) = Σ_{h ∈ H} B[h][j]
//! ```
//!
//! which [`crate::rank`] blends with the topic profile. Nothing is learned on
//! the phone and nothing about `H` leaves it.
//!
//! # Where the weights come from
//!
//! The publisher side (`hearth content build`) computes them from one
//! aggregate only: the item co-occurrence counts `G = XᵀX` over all users
//! (optionally with Laplace noise at a stated epsilon after bounding each
//! user's contribution), then solves EASE (Steck, WWW 2019:
//! `B = I − P·diag(1/diag(P))`, `P = (G + λI)⁻¹`, zero diagonal) and keeps each
//! item's strongest positive neighbours. EASE needs nothing but `G`, so a model
//! as good as the centralised one is built from the aggregate; the per-user
//! half (`Σ_{h∈H}`) runs on the phone.
//!
//! # Format
//!
//! A catalog carries the model as the blob [`BLOB_KEY`] (`"content/1"`) in
//! [`Models::blobs`](crate::catalog::model::Models), so it is signed and
//! installed with the catalog. The blob is postcard-encoded [`ContentModelData`]:
//! the item ids, a global scale, and per item its neighbours as (index, `u16`
//! quantised weight) pairs, `weight = q · scale / 65535`. Decoding checks every
//! bound ([`MAX_ITEMS`], [`MAX_NEIGHBOURS`], [`MAX_ID_LEN`], unique ids,
//! neighbour indices in range and not the item itself, a finite positive
//! scale) and returns [`Error::CatalogMalformed`] instead of panicking.

// Fast non-cryptographic hashing: keys are item ids from the signed catalog
// and the app, and item indices (not attacker-chosen per request).
use rustc_hash::FxHashMap as HashMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Key of the content model blob in a catalog's `models.blobs`.
pub const BLOB_KEY: &str = "content/1";
/// Most items a content model may describe.
pub const MAX_ITEMS: usize = 200_000;
/// Most neighbours per item.
pub const MAX_NEIGHBOURS: usize = 256;
/// Longest item id, bytes (the same as [`crate::rank::MAX_ID_LEN`]).
pub const MAX_ID_LEN: usize = crate::rank::MAX_ID_LEN;
/// Largest weight a model may carry: with at most [`MAX_HISTORY`] history
/// items, sums stay far from `f32` overflow (no infinite or NaN scores).
pub const MAX_SCALE: f32 = 1e6;
/// Most recent items of the user that one ranking call considers.
pub const MAX_HISTORY: usize = 200;

/// Check a user's recent item ids as the API takes them: at most
/// [`MAX_HISTORY`], each 1..=[`MAX_ID_LEN`] bytes; otherwise
/// [`Error::InvalidArgument`] named `recent_item_ids`.
pub fn check_history(ids: &[String]) -> Result<()> {
    let invalid = |reason: String| Error::InvalidArgument {
        name: "recent_item_ids",
        reason,
    };
    if ids.len() > MAX_HISTORY {
        return Err(invalid(format!(
            "{} ids, the limit is {MAX_HISTORY}",
            ids.len()
        )));
    }
    if let Some(j) = ids
        .iter()
        .position(|id| id.is_empty() || id.len() > MAX_ID_LEN)
    {
        return Err(invalid(format!(
            "recent_item_ids[{j}] must be 1..={MAX_ID_LEN} bytes, it has {}",
            ids[j].len()
        )));
    }
    Ok(())
}

/// The wire form of a content model (the postcard body of the blob).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContentModelData {
    /// Item ids, as the app uses them in [`crate::rank::Item::id`].
    #[serde(deserialize_with = "crate::wire::bounded_vec::<_, _, MAX_ITEMS>")]
    pub item_ids: Vec<String>,
    /// Weight of the quantum `65535` (the largest weight in the model).
    pub scale: f32,
    /// Per item (same order as `item_ids`): neighbour index and quantised
    /// weight, strongest first.
    #[serde(deserialize_with = "crate::wire::bounded_vec::<_, _, MAX_ITEMS>")]
    pub neighbours: Vec<Vec<(u32, u16)>>,
}

/// A decoded, validated content model, ready to score.
#[derive(Debug, Clone, PartialEq)]
pub struct ContentModel {
    item_ids: Vec<String>,
    by_id: HashMap<String, u32>,
    /// Neighbours of item `i`: `targets[ends[i-1]..ends[i]]`.
    ends: Vec<u32>,
    targets: Vec<u32>,
    weights: Vec<f32>,
}

fn bad(m: String) -> Error {
    Error::CatalogMalformed(format!("{BLOB_KEY} model: {m}"))
}

impl ContentModel {
    /// Build a model from item ids and, per item, its neighbours with real
    /// weights (non-positive and non-finite weights are dropped; each list is
    /// cut to [`MAX_NEIGHBOURS`], strongest first). Weights are quantised to
    /// 16 bits, as they will be on the wire, so the model built here scores
    /// exactly like the one a phone decodes.
    pub fn from_weights(item_ids: Vec<String>, neighbours: Vec<Vec<(u32, f32)>>) -> Result<Self> {
        if neighbours.len() != item_ids.len() {
            return Err(bad(format!(
                "{} neighbour lists for {} items",
                neighbours.len(),
                item_ids.len()
            )));
        }
        let max = neighbours
            .iter()
            .flatten()
            .map(|&(_, w)| w)
            .filter(|w| w.is_finite())
            .fold(0.0f32, f32::max);
        let scale = if max > 0.0 { max } else { 1.0 };
        let neighbours = neighbours
            .into_iter()
            .map(|mut list| {
                list.retain(|&(_, w)| w.is_finite() && w > 0.0);
                list.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                list.truncate(MAX_NEIGHBOURS);
                list.into_iter()
                    .filter_map(|(j, w)| {
                        let q = (w / scale * 65535.0).round().clamp(0.0, 65535.0) as u16;
                        (q > 0).then_some((j, q))
                    })
                    .collect()
            })
            .collect();
        Self::from_data(ContentModelData {
            item_ids,
            scale,
            neighbours,
        })
    }

    /// Validate wire data and build the lookup tables.
    pub fn from_data(d: ContentModelData) -> Result<Self> {
        let n = d.item_ids.len();
        if n > MAX_ITEMS {
            return Err(bad(format!("{n} items, the limit is {MAX_ITEMS}")));
        }
        if d.neighbours.len() != n {
            return Err(bad(format!(
                "{} neighbour lists for {n} items",
                d.neighbours.len()
            )));
        }
        if !(d.scale.is_finite() && d.scale > 0.0 && d.scale <= MAX_SCALE) {
            return Err(bad(format!(
                "scale {} must be finite, > 0 and at most {MAX_SCALE}",
                d.scale
            )));
        }
        let mut by_id = HashMap::with_capacity_and_hasher(n, Default::default());
        for (i, id) in d.item_ids.iter().enumerate() {
            if id.is_empty() || id.len() > MAX_ID_LEN {
                return Err(bad(format!(
                    "item {i}: id of {} bytes, must be 1..={MAX_ID_LEN}",
                    id.len()
                )));
            }
            if by_id.insert(id.clone(), i as u32).is_some() {
                return Err(bad(format!(
                    "item {i}: id {:?} repeats an earlier one",
                    crate::taxonomy::truncate_for_error(id)
                )));
            }
        }
        let total: usize = d.neighbours.iter().map(Vec::len).sum();
        let mut ends = Vec::with_capacity(n);
        let mut targets = Vec::with_capacity(total);
        let mut weights = Vec::with_capacity(total);
        for (i, list) in d.neighbours.iter().enumerate() {
            if list.len() > MAX_NEIGHBOURS {
                return Err(bad(format!(
                    "item {i}: {} neighbours, the limit is {MAX_NEIGHBOURS}",
                    list.len()
                )));
            }
            for &(j, q) in list {
                if j as usize >= n || j as usize == i {
                    return Err(bad(format!("item {i}: neighbour index {j} is invalid")));
                }
                targets.push(j);
                weights.push(f32::from(q) / 65535.0 * d.scale);
            }
            ends.push(targets.len() as u32);
        }
        Ok(Self {
            item_ids: d.item_ids,
            by_id,
            ends,
            targets,
            weights,
        })
    }

    /// Decode and validate a `content/1` blob.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let (d, rest): (ContentModelData, _) = postcard::take_from_bytes(bytes)
            .map_err(|e| bad(format!("not a content/1 model: {e}")))?;
        if !rest.is_empty() {
            return Err(bad(format!("{} bytes after the model", rest.len())));
        }
        Self::from_data(d)
    }

    /// The wire form (what [`ContentModel::decode`] reads back).
    pub fn to_data(&self) -> ContentModelData {
        let scale = self.weights.iter().copied().fold(0.0f32, f32::max);
        let scale = if scale > 0.0 { scale } else { 1.0 };
        let neighbours = (0..self.item_ids.len())
            .map(|i| {
                let r = self.range(i);
                self.targets[r.clone()]
                    .iter()
                    .zip(&self.weights[r])
                    .map(|(&j, &w)| (j, (w / scale * 65535.0).round().clamp(1.0, 65535.0) as u16))
                    .collect()
            })
            .collect();
        ContentModelData {
            item_ids: self.item_ids.clone(),
            scale,
            neighbours,
        }
    }

    /// The blob bytes to put into a catalog under [`BLOB_KEY`].
    pub fn encode(&self) -> Vec<u8> {
        // Plain data of strings, integers and floats: encoding cannot fail.
        postcard::to_allocvec(&self.to_data()).unwrap_or_default()
    }

    /// Number of items the model knows.
    pub fn len(&self) -> usize {
        self.item_ids.len()
    }

    /// True when the model knows no item.
    pub fn is_empty(&self) -> bool {
        self.item_ids.is_empty()
    }

    /// Total number of neighbour entries.
    pub fn neighbour_count(&self) -> usize {
        self.targets.len()
    }

    /// The index of an item id, if the model knows it.
    pub fn index(&self, id: &str) -> Option<u32> {
        self.by_id.get(id).copied()
    }

    /// Item id at an index.
    pub fn id(&self, idx: u32) -> Option<&str> {
        self.item_ids.get(idx as usize).map(String::as_str)
    }

    fn range(&self, i: usize) -> std::ops::Range<usize> {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        start..self.ends[i] as usize
    }

    /// Neighbours of an item (index, weight), strongest first.
    pub fn neighbours(&self, idx: u32) -> impl Iterator<Item = (u32, f32)> + '_ {
        let r = if (idx as usize) < self.ends.len() {
            self.range(idx as usize)
        } else {
            0..0
        };
        self.targets[r.clone()]
            .iter()
            .copied()
            .zip(self.weights[r].iter().copied())
    }

    /// The content scores `c(j) = Σ_{h ∈ history} B[h][j]` of every item the
    /// history reaches, by item index. History ids the model does not know
    /// are skipped; only the first [`MAX_HISTORY`] ids count; an id listed
    /// twice counts once.
    pub fn scores<S: AsRef<str>>(&self, history: &[S]) -> HashMap<u32, f32> {
        let mut seen: Vec<u32> = Vec::with_capacity(history.len().min(MAX_HISTORY));
        for h in history.iter().take(MAX_HISTORY) {
            if let Some(i) = self.index(h.as_ref()) {
                if !seen.contains(&i) {
                    seen.push(i);
                }
            }
        }
        // One allocation: at most this many distinct neighbours.
        let reach: usize = seen.iter().map(|&i| self.range(i as usize).len()).sum();
        let mut out: HashMap<u32, f32> =
            HashMap::with_capacity_and_hasher(reach, Default::default());
        for &i in &seen {
            for (j, w) in self.neighbours(i) {
                *out.entry(j).or_insert(0.0) += w;
            }
        }
        out
    }
}

/// A user's affinity to items through the content model, for ad scoring:
/// `c(j) / max c` over every item the history reaches (see
/// [`ContentModel::scores`]), looked up by item id.
#[derive(Debug, Clone)]
pub struct ItemAffinity<'a> {
    model: &'a ContentModel,
    norm: HashMap<u32, f64>,
}

impl<'a> ItemAffinity<'a> {
    /// The affinity of a history, or `None` when it reaches no item.
    pub fn new<S: AsRef<str>>(model: &'a ContentModel, history: &[S]) -> Option<Self> {
        let scores = model.scores(history);
        let max = scores.values().copied().fold(0.0f32, f32::max);
        if max <= 0.0 {
            return None;
        }
        let norm = scores
            .into_iter()
            .map(|(j, c)| (j, f64::from(c / max)))
            .collect();
        Some(Self { model, norm })
    }

    /// The best affinity, `0..=1`, among `ids` (0 when none is reached).
    pub fn best<S: AsRef<str>>(&self, ids: &[S]) -> f64 {
        ids.iter()
            .filter_map(|id| self.model.index(id.as_ref()))
            .filter_map(|j| self.norm.get(&j).copied())
            .fold(0.0, f64::max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("item-{i}")).collect()
    }

    fn model() -> ContentModel {
        ContentModel::from_weights(
            ids(4),
            vec![
                vec![(1, 0.5), (2, 0.25), (3, -1.0)],
                vec![(0, 0.5), (2, 1.0)],
                vec![(1, 1.0), (3, f32::NAN)],
                vec![],
            ],
        )
        .unwrap()
    }

    #[test]
    fn keeps_positive_finite_weights_strongest_first() {
        let m = model();
        assert_eq!(m.len(), 4);
        assert_eq!(m.neighbour_count(), 5);
        let n0: Vec<_> = m.neighbours(0).collect();
        assert_eq!(n0.len(), 2);
        assert_eq!(n0[0].0, 1);
        assert!((n0[0].1 - 0.5).abs() < 1e-4);
        assert!((n0[1].1 - 0.25).abs() < 1e-4);
        assert_eq!(m.neighbours(3).count(), 0);
        assert_eq!(m.neighbours(99).count(), 0);
    }

    #[test]
    fn scores_sum_over_distinct_known_history_items() {
        let m = model();
        let s = m.scores(&["item-0", "item-1", "item-0", "unknown"]);
        // item-2 is reached from item-0 (0.25) and item-1 (1.0).
        assert!((s[&2] - 1.25).abs() < 1e-4, "{s:?}");
        assert!((s[&1] - 0.5).abs() < 1e-4);
        assert!((s[&0] - 0.5).abs() < 1e-4);
        assert!(!s.contains_key(&3));
        assert!(m.scores::<&str>(&[]).is_empty());
    }

    #[test]
    fn affinity_is_normalised_and_takes_the_best_id() {
        let m = model();
        // From item-0: item-1 0.5, item-2 0.25 → normalised 1.0 and 0.5.
        let a = ItemAffinity::new(&m, &["item-0"]).unwrap();
        assert!((a.best(&["item-2"]) - 0.5).abs() < 1e-4);
        assert!((a.best(&["item-2", "item-1", "nope"]) - 1.0).abs() < 1e-4);
        assert_eq!(a.best(&["item-3"]), 0.0);
        assert_eq!(a.best::<&str>(&[]), 0.0);
        assert!(
            ItemAffinity::new(&m, &["item-3"]).is_none(),
            "no neighbours"
        );
        assert!(ItemAffinity::new(&m, &["unknown"]).is_none());
    }

    #[test]
    fn round_trips_through_the_blob() {
        let m = model();
        let bytes = m.encode();
        let back = ContentModel::decode(&bytes).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.index("item-2"), Some(2));
        assert_eq!(back.id(2), Some("item-2"));
    }

    #[test]
    fn rejects_bad_blobs_with_a_typed_error() {
        let bytes = model().encode();
        for cut in 0..bytes.len() {
            assert!(matches!(
                ContentModel::decode(&bytes[..cut]),
                Err(Error::CatalogMalformed(_))
            ));
        }
        let mut extra = bytes.clone();
        extra.push(0);
        assert!(ContentModel::decode(&extra).is_err());
        let data = |f: &dyn Fn(&mut ContentModelData)| {
            let mut d = model().to_data();
            f(&mut d);
            ContentModel::from_data(d)
        };
        assert!(
            data(&|d| d.neighbours[0].push((0, 5))).is_err(),
            "self loop"
        );
        assert!(
            data(&|d| d.neighbours[0].push((9, 5))).is_err(),
            "out of range"
        );
        assert!(
            data(&|d| d.item_ids[1] = "item-0".into()).is_err(),
            "duplicate"
        );
        assert!(
            data(&|d| d.item_ids[1] = String::new()).is_err(),
            "empty id"
        );
        assert!(data(&|d| d.scale = f32::INFINITY).is_err());
        assert!(data(&|d| d.scale = 0.0).is_err());
        assert!(
            data(&|d| d.scale = 2.0 * MAX_SCALE).is_err(),
            "sums could overflow"
        );
        assert!(data(&|d| d.neighbours.pop().map_or((), drop)).is_err());
        assert!(
            data(&|d| d.neighbours[3] = vec![(1, 1); MAX_NEIGHBOURS + 1]).is_err(),
            "too many neighbours"
        );
    }
}
