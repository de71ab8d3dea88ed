//! Lookup tables built when a catalog is installed or loaded, so selection never
//! scans the whole catalog.
//!
//! - topic → creative sets that include it (targeting is any-of, so a set is
//!   listed under each of its include topics);
//! - the untargeted sets (no include topics: contextual / run of network);
//! - per set: its campaign, advertiser, resolved include and exclude topics.

use std::collections::HashMap;

use super::model::Catalog;
use crate::error::{Error, Result};
use crate::taxonomy::{Taxonomy, TopicIdx};

/// Where a creative set sits, and its targeting resolved against the taxonomy.
#[derive(Debug, Clone, PartialEq)]
pub struct SetEntry {
    /// Campaign position in [`Catalog::campaigns`].
    pub campaign: u32,
    /// Set position within the campaign.
    pub set: u32,
    /// Advertiser position in [`Catalog::advertisers`].
    pub advertiser: u32,
    /// Include topics with their minimum weights.
    pub include: Vec<(TopicIdx, f32)>,
    /// Exclude topics.
    pub exclude: Vec<TopicIdx>,
}

/// The index over one catalog.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CatalogIndex {
    /// Every creative set, in catalog order.
    pub sets: Vec<SetEntry>,
    /// Topic → positions in [`CatalogIndex::sets`] of the sets that include it.
    pub by_topic: HashMap<TopicIdx, Vec<u32>>,
    /// Positions of the sets without include topics.
    pub untargeted: Vec<u32>,
    /// Total creatives.
    pub creatives: usize,
}

fn pos(i: usize) -> Result<u32> {
    u32::try_from(i).map_err(|_| Error::CatalogMalformed("catalog too large to index".into()))
}

impl CatalogIndex {
    /// Build the index. The catalog must already be validated (unknown topics are
    /// an error here too, never a panic).
    pub fn build<C>(cat: &Catalog<C>, tax: &Taxonomy) -> Result<Self> {
        let advertisers: HashMap<&str, u32> = cat
            .advertisers
            .iter()
            .enumerate()
            .map(|(i, a)| Ok((a.id.as_str(), pos(i)?)))
            .collect::<Result<_>>()?;
        let mut idx = CatalogIndex::default();
        for (ci, c) in cat.campaigns.iter().enumerate() {
            let advertiser = *advertisers.get(c.advertiser_id.as_str()).ok_or_else(|| {
                Error::CatalogMalformed(format!("campaign {} has no advertiser", c.id))
            })?;
            for (si, s) in c.creative_sets.iter().enumerate() {
                let n = pos(idx.sets.len())?;
                let include = s
                    .include_topics
                    .iter()
                    .map(|t| Ok((tax.idx(&t.topic)?, t.min_weight)))
                    .collect::<Result<Vec<_>>>()?;
                let exclude = s
                    .exclude_topics
                    .iter()
                    .map(|t| tax.idx(t))
                    .collect::<Result<Vec<_>>>()?;
                if include.is_empty() {
                    idx.untargeted.push(n);
                }
                for &(t, _) in &include {
                    idx.by_topic.entry(t).or_default().push(n);
                }
                idx.creatives += s.creatives.len();
                idx.sets.push(SetEntry {
                    campaign: pos(ci)?,
                    set: pos(si)?,
                    advertiser,
                    include,
                    exclude,
                });
            }
        }
        Ok(idx)
    }

    /// Positions of the sets that include any of `topics`, deduplicated, in
    /// ascending order.
    pub fn sets_for_topics(&self, topics: impl IntoIterator<Item = TopicIdx>) -> Vec<u32> {
        let mut out: Vec<u32> = topics
            .into_iter()
            .filter_map(|t| self.by_topic.get(&t))
            .flatten()
            .copied()
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}
