//! Lookup tables built when a catalog is installed or loaded, so selection never
//! scans the whole catalog.
//!
//! - topic → creative sets that include it (targeting is any-of, so a set is
//!   listed under each of its include topics);
//! - the untargeted sets (no include topics: contextual / run of network);
//! - per set: its campaign, advertiser, resolved include and exclude topics, and
//!   a hash of its id (to find its ad history without touching the id);
//! - per campaign: the facts eligibility checks first ([`CampaignFacts`]), packed
//!   into one contiguous array, with geo, locale and app-section targets
//!   interned, so a request compares small integers, not strings scattered over
//!   the heap.

use std::collections::HashMap;
use std::hash::BuildHasher;

use super::model::{Catalog, Os};
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
    /// Include topics with their minimum weights: a run of
    /// [`CatalogIndex::include_pool`] (read it with [`CatalogIndex::include`]).
    pub include: CodeRun,
    /// Exclude topics: a run of [`CatalogIndex::exclude_pool`] (read it with
    /// [`CatalogIndex::exclude`]).
    pub exclude: CodeRun,
    /// [`id_hash`] of the set's id.
    pub id_hash: u64,
}

/// The hash of a creative set or campaign id that [`SetEntry::id_hash`] and
/// [`CampaignFacts::id_hash`] hold (FxHash: fast, not keyed; equal hashes are
/// confirmed by comparing the ids).
pub fn id_hash(id: &str) -> u64 {
    rustc_hash::FxBuildHasher.hash_one(id)
}

/// Values keyed by [`id_hash`] of their id, for lookups that must not read
/// the id on a miss. `None`: two ids share the hash (look those up by id).
pub type ByIdHash<'a, V> = rustc_hash::FxHashMap<u64, Option<(&'a str, V)>>;

/// Build a [`ByIdHash`] from `(id, value)` pairs.
pub fn by_id_hash<'a, V>(items: impl IntoIterator<Item = (&'a str, V)>) -> ByIdHash<'a, V> {
    let mut map = ByIdHash::default();
    for (id, v) in items {
        map.entry(id_hash(id))
            .and_modify(|e| *e = None)
            .or_insert(Some((id, v)));
    }
    map
}

/// A run of consecutive entries in one of the index's pools.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CodeRun {
    /// First position.
    pub start: u32,
    /// Number of codes (0: no restriction).
    pub len: u32,
}

/// What the first stage of eligibility needs of a campaign, in a fixed-size
/// record (see [`crate::select::eligibility::campaign_facts`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CampaignFacts {
    /// Flight start (Unix ms, inclusive).
    pub start_ms: i64,
    /// Flight end (Unix ms, inclusive).
    pub end_ms: i64,
    /// The campaign's daily impression cap on this device (0: none).
    pub daily_cap: u32,
    /// Geo targets, interned into [`CatalogIndex::geo_names`].
    pub geo: CodeRun,
    /// Locale targets, interned into [`CatalogIndex::locale_names`].
    pub locales: CodeRun,
    /// App-section targets, interned into [`CatalogIndex::section_names`].
    pub sections: CodeRun,
    /// Bit `os_bit(o)` set for each targeted OS; 0 means any.
    pub os_mask: u8,
    /// Whether the campaign has dayparts (checked on the campaign itself).
    pub has_dayparts: bool,
    /// The campaign's pass-through rate (basis points, see `select::pacing`).
    pub pass_through_bp: u16,
    /// [`id_hash`] of the campaign id (to find its daily count without reading
    /// the id).
    pub id_hash: u64,
}

/// The bit of an OS in [`CampaignFacts::os_mask`].
pub fn os_bit(os: Os) -> u8 {
    match os {
        Os::Android => 1,
        Os::Ios => 2,
    }
}

/// Interns strings to dense codes.
#[derive(Default)]
struct Interner<'a> {
    codes: HashMap<&'a str, u16>,
    names: Vec<String>,
}

impl<'a> Interner<'a> {
    fn code(&mut self, s: &'a str) -> Result<u16> {
        if let Some(&c) = self.codes.get(s) {
            return Ok(c);
        }
        let c = u16::try_from(self.names.len()).map_err(|_| {
            Error::CatalogMalformed("more than 65,536 distinct targeting values".into())
        })?;
        self.codes.insert(s, c);
        self.names.push(s.to_owned());
        Ok(c)
    }

    fn run(&mut self, values: &'a [String], pool: &mut Vec<u16>) -> Result<CodeRun> {
        let start = pos(pool.len())?;
        for v in values {
            pool.push(self.code(v)?);
        }
        Ok(CodeRun {
            start,
            len: pos(values.len())?,
        })
    }
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
    /// Per campaign, in catalog order: the facts checked first.
    pub campaigns: Vec<CampaignFacts>,
    /// The pool the [`CodeRun`]s of [`CampaignFacts`] point into.
    pub codes: Vec<u16>,
    /// Distinct geo targets; code `i` is `geo_names[i]`.
    pub geo_names: Vec<String>,
    /// Distinct locale targets.
    pub locale_names: Vec<String>,
    /// Distinct app-section targets.
    pub section_names: Vec<String>,
    /// Every set's include topics, set after set (sets are scanned in
    /// ascending position, so this is read front to back).
    pub include_pool: Vec<(TopicIdx, f32)>,
    /// Every set's exclude topics, set after set.
    pub exclude_pool: Vec<TopicIdx>,
}

fn slice<T>(pool: &[T], r: CodeRun) -> &[T] {
    let start = r.start as usize;
    pool.get(start..start + r.len as usize).unwrap_or_default()
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
        let (mut geo, mut locales, mut sections) = (
            Interner::default(),
            Interner::default(),
            Interner::default(),
        );
        for (ci, c) in cat.campaigns.iter().enumerate() {
            let advertiser = *advertisers.get(c.advertiser_id.as_str()).ok_or_else(|| {
                Error::CatalogMalformed(format!("campaign {} has no advertiser", c.id))
            })?;
            idx.campaigns.push(CampaignFacts {
                start_ms: c.flight.start_ms,
                end_ms: c.flight.end_ms,
                daily_cap: c.daily_cap,
                geo: geo.run(&c.geo, &mut idx.codes)?,
                locales: locales.run(&c.locales, &mut idx.codes)?,
                sections: sections.run(&c.app_sections, &mut idx.codes)?,
                os_mask: c.os.iter().fold(0, |m, &o| m | os_bit(o)),
                has_dayparts: !c.dayparts.is_empty(),
                pass_through_bp: c.pass_through_bp,
                id_hash: id_hash(&c.id),
            });
            for (si, s) in c.creative_sets.iter().enumerate() {
                let n = pos(idx.sets.len())?;
                let include = CodeRun {
                    start: pos(idx.include_pool.len())?,
                    len: pos(s.include_topics.len())?,
                };
                for t in &s.include_topics {
                    let topic = tax.idx(&t.topic)?;
                    idx.include_pool.push((topic, t.min_weight));
                    idx.by_topic.entry(topic).or_default().push(n);
                }
                if s.include_topics.is_empty() {
                    idx.untargeted.push(n);
                }
                let exclude = CodeRun {
                    start: pos(idx.exclude_pool.len())?,
                    len: pos(s.exclude_topics.len())?,
                };
                for t in &s.exclude_topics {
                    idx.exclude_pool.push(tax.idx(t)?);
                }
                idx.creatives += s.creatives.len();
                idx.sets.push(SetEntry {
                    campaign: pos(ci)?,
                    set: pos(si)?,
                    advertiser,
                    include,
                    exclude,
                    id_hash: id_hash(&s.id),
                });
            }
        }
        idx.geo_names = geo.names;
        idx.locale_names = locales.names;
        idx.section_names = sections.names;
        Ok(idx)
    }

    /// The interned codes of a run.
    pub fn run(&self, r: CodeRun) -> &[u16] {
        slice(&self.codes, r)
    }

    /// A set's include topics with their minimum weights.
    pub fn include(&self, e: &SetEntry) -> &[(TopicIdx, f32)] {
        slice(&self.include_pool, e.include)
    }

    /// A set's exclude topics.
    pub fn exclude(&self, e: &SetEntry) -> &[TopicIdx] {
        slice(&self.exclude_pool, e.exclude)
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
