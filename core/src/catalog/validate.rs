//! Structural validation of a catalog.
//!
//! [`validate`] checks every rule below and returns **all** issues, in document
//! order (the order in which the offending values appear in the catalog), each
//! with a JSON-style path such as
//! `campaigns[3].creative_sets[0].creatives[1].click_url`,
//! `campaigns[0].creative_sets[2].include_topics[1].topic` or `advertisers[4].id`.
//! [`first_error`] stops at the first issue and returns it as
//! [`Error::CatalogInvalid`]; the engine uses it at install.
//!
//! Paths use the field names of [`super::model`], which the publisher's JSON
//! source shares except in three places that the publisher tool rewrites:
//! `flight.start_ms`/`end_ms` (source: `flight.start`/`end`),
//! `dayparts[i].start_minute`/`end_minute` (source: `start`/`end`), and the
//! `(key, value)` pairs of [`Models`], reported as `models.scoring[i]` and
//! `models.blobs[i]` with the key named in the detail (source:
//! `models.scoring.NAME`).
//!
//! A list that holds too many entries is reported once, at the list's own path,
//! before its entries; the entries are still checked. One value yields at most one
//! issue per rule family listed for it (e.g. an id that is malformed is not also
//! checked for duplicates).
//!
//! # Rules
//!
//! All limits are associated constants of [`Limits`]. Lengths in "bytes" are UTF-8
//! bytes; lengths in "chars" are Unicode scalar values.
//!
//! | rule | what | limit |
//! |---|---|---|
//! | `StringFormat` | ids: advertiser, campaign, creative set, creative and item ids | 1..=[`MAX_ID_BYTES`](Limits::MAX_ID_BYTES) (64) bytes of `A-Z a-z 0-9 . _ : -` |
//! | `StringFormat` | `taxonomy_version` | 1..=[`MAX_TAXONOMY_VERSION_BYTES`](Limits::MAX_TAXONOMY_VERSION_BYTES) (128) bytes |
//! | `StringFormat` | `region` | 1..=[`MAX_REGION_CHARS`](Limits::MAX_REGION_CHARS) (16) chars, not blank |
//! | `StringFormat` | advertiser `name` | 1..=[`MAX_ADVERTISER_NAME_CHARS`](Limits::MAX_ADVERTISER_NAME_CHARS) (64) chars, not blank |
//! | `StringFormat` | creative `title` | 1..=[`MAX_TITLE_CHARS`](Limits::MAX_TITLE_CHARS) (90) chars, not blank |
//! | `StringFormat` | creative `body` | 0..=[`MAX_BODY_CHARS`](Limits::MAX_BODY_CHARS) (300) chars |
//! | `StringFormat` | creative `call_to_action` | 1..=[`MAX_CALL_TO_ACTION_CHARS`](Limits::MAX_CALL_TO_ACTION_CHARS) (30) chars, not blank |
//! | `StringFormat` | displayed text (`region`, `name`, `title`, `body`, `call_to_action`) | no control characters (Unicode `Cc`, including tab and newline) |
//! | `StringFormat` | `geo` entries | ISO 3166-1 alpha-2 in upper case, optionally `-` and 1..=3 upper-case letters or digits (`DE`, `US-CA`) |
//! | `StringFormat` | `locales` entries | 2–3 lower-case letters, optionally `-` and 2 upper-case letters or 3 digits (`de`, `en-GB`, `es-419`) |
//! | `StringFormat` | `app_sections` entries | 1..=[`MAX_APP_SECTION_BYTES`](Limits::MAX_APP_SECTION_BYTES) (32) bytes of `a-z 0-9 _ -` |
//! | `StringFormat` | `traits` entries | `id=value`, id of `a-z 0-9 _ :`, value of `a-z 0-9 _`, both non-empty, at most [`MAX_TRAIT_BYTES`](Limits::MAX_TRAIT_BYTES) (128) bytes |
//! | `StringFormat` | `conversion.event_name` | 1..=[`MAX_EVENT_NAME_BYTES`](Limits::MAX_EVENT_NAME_BYTES) (64) bytes, no control characters |
//! | `StringFormat` | `conversion.url_pattern` | as `HttpsUrl`, but `*` wildcards are also allowed in the host |
//! | `StringFormat` | `models.scoring` and `models.blobs` keys | 1..=[`MAX_MODEL_KEY_BYTES`](Limits::MAX_MODEL_KEY_BYTES) (64) bytes |
//! | `HttpsUrl` | `click_url`, `image_url` (when present) | starts with `https://` (lower case); host non-empty, of `A-Z a-z 0-9 . -`, with at least one dot, no empty label, no leading or trailing dot or hyphen in a label, labels ≤ [`MAX_HOST_LABEL_BYTES`](Limits::MAX_HOST_LABEL_BYTES) (63) and host ≤ [`MAX_HOST_BYTES`](Limits::MAX_HOST_BYTES) (253) bytes; optional `:port` of 1..=65535; no userinfo (`@` in the authority); no whitespace or control characters anywhere; at most [`MAX_URL_BYTES`](Limits::MAX_URL_BYTES) (512) bytes |
//! | `DuplicateId` | campaign, creative set and creative ids | unique across the whole catalog (one shared id space) |
//! | `DuplicateId` | advertiser ids | unique among advertisers |
//! | `DuplicateId` | `include_topics`, `exclude_topics`, `geo`, `locales`, `os`, `app_sections`, `traits`, `item_ids`, model keys | no entry repeated within one list |
//! | `DanglingReference` | campaign `advertiser_id` | names an advertiser in `advertisers` |
//! | `DanglingReference` | `include_topics[].topic`, `exclude_topics[]` | a topic id of the engine's taxonomy |
//! | `SensitiveTopic` | `include_topics[].topic`, `exclude_topics[]` | never a sensitive topic (or a descendant of one); reported instead of any other rule for that entry |
//! | `Range` | `priority` | 0..=[`MAX_PRIORITY`](Limits::MAX_PRIORITY) (9) |
//! | `Range` | `value_micros` | ≤ [`MAX_VALUE_MICROS`](Limits::MAX_VALUE_MICROS) (10¹²) |
//! | `Range` | `flight` | `start_ms < end_ms` (reported at `flight.start_ms`) |
//! | `Range` | `pass_through_bp` | 1..=[`MAX_PASS_THROUGH_BP`](Limits::MAX_PASS_THROUGH_BP) (10,000); 0 would never serve |
//! | `Range` | `dayparts[].days` | 1..=[`MAX_DAYS_MASK`](Limits::MAX_DAYS_MASK) (`0x7f`) |
//! | `Range` | `dayparts[]` minutes | `start_minute < end_minute ≤` [`MINUTES_PER_DAY`](Limits::MINUTES_PER_DAY) (1440) |
//! | `Range` | `include_topics[].min_weight` | finite, 0..=[`MAX_MIN_WEIGHT`](Limits::MAX_MIN_WEIGHT) (10⁶) |
//! | `Range` | `conversion.window_days` | 1..=[`MAX_CONVERSION_WINDOW_DAYS`](Limits::MAX_CONVERSION_WINDOW_DAYS) (90) |
//! | `Range` | `conversion` | at least one of `event_name`, `url_pattern` |
//! | `Range` | `embedding` | empty, or 1..=[`MAX_EMBEDDING_DIM`](Limits::MAX_EMBEDDING_DIM) (64) components, and the same length as the catalog's first such embedding (the set that differs is reported) |
//! | `Range` | `models.scoring` values | finite |
//! | `Count` | `advertisers` | ≤ [`MAX_ADVERTISERS`](Limits::MAX_ADVERTISERS) (10,000) |
//! | `Count` | `campaigns` | ≤ [`MAX_CAMPAIGNS`](Limits::MAX_CAMPAIGNS) (100,000) |
//! | `Count` | creatives in the catalog (reported at `campaigns`) | ≤ [`MAX_CREATIVES`](Limits::MAX_CREATIVES) (250,000) |
//! | `Count` | `creative_sets` per campaign | 1..=[`MAX_SETS_PER_CAMPAIGN`](Limits::MAX_SETS_PER_CAMPAIGN) (100) |
//! | `Count` | `creatives` per set | 1..=[`MAX_CREATIVES_PER_SET`](Limits::MAX_CREATIVES_PER_SET) (100) |
//! | `Count` | `include_topics`, `exclude_topics` per set (each) | ≤ [`MAX_TOPICS_PER_SET`](Limits::MAX_TOPICS_PER_SET) (32) |
//! | `Count` | `traits` per set | ≤ [`MAX_TRAITS_PER_SET`](Limits::MAX_TRAITS_PER_SET) (16) |
//! | `Count` | `item_ids` per set | ≤ [`MAX_ITEM_IDS`](Limits::MAX_ITEM_IDS) (64) |
//! | `Count` | `dayparts` per campaign | ≤ [`MAX_DAYPARTS`](Limits::MAX_DAYPARTS) (28) |
//! | `Count` | `geo` per campaign | ≤ [`MAX_GEO`](Limits::MAX_GEO) (256) |
//! | `Count` | `locales` per campaign | ≤ [`MAX_LOCALES`](Limits::MAX_LOCALES) (64) |
//! | `Count` | `app_sections` per campaign | ≤ [`MAX_APP_SECTIONS`](Limits::MAX_APP_SECTIONS) (64) |
//! | `Count` | `models.blobs`, total bytes | ≤ [`MAX_MODEL_BLOB_BYTES`](Limits::MAX_MODEL_BLOB_BYTES) (8 MiB) |
//!
//! # Cost
//!
//! One pass over the catalog, reading each string once; built for install on
//! the phone (100,000 creatives in a few tens of milliseconds). On the happy
//! path nothing is allocated per item; the fixed allocations are a vector of
//! 64-bit hashes of the campaign, creative set and creative ids (sorted after
//! the walk to find repeats), a small advertiser table and a topic table. Only
//! when an id hash repeats is the catalog walked a second time with an exact
//! table of where each id first occurs, so a duplicate is reported in document
//! order and a hash collision is never reported. Paths and details are built
//! only for issues. URLs of one kind that share the `https://` + authority of the
//! last URL that passed (an advertiser's URLs mostly do) skip the host check.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

use super::model::{Campaign, Catalog, CreativeFields, CreativeSet, Models, Os};
use crate::error::{CatalogRule, Error, Result};
use crate::taxonomy::{Taxonomy, TopicIdx};

/// One broken rule, with the JSON-style path of the offending value.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Issue {
    /// Path such as `campaigns[3].creative_sets[0].creatives[1].click_url`.
    pub path: String,
    /// The rule.
    pub rule: CatalogRule,
    /// What exactly is wrong.
    pub detail: String,
}

impl From<Issue> for Error {
    fn from(i: Issue) -> Self {
        Error::CatalogInvalid {
            path: i.path,
            rule: i.rule,
            detail: i.detail,
        }
    }
}

/// The limits [`validate`] enforces. See the [module docs](self) for the rules
/// that use each of them.
#[derive(Debug, Clone, Copy)]
pub struct Limits;

impl Limits {
    // ---- strings ---------------------------------------------------------
    /// Longest id (advertiser, campaign, creative set, creative, item), bytes.
    pub const MAX_ID_BYTES: usize = 64;
    /// Longest `taxonomy_version`, bytes.
    pub const MAX_TAXONOMY_VERSION_BYTES: usize = 128;
    /// Longest `region`, chars.
    pub const MAX_REGION_CHARS: usize = 16;
    /// Longest advertiser name, chars.
    pub const MAX_ADVERTISER_NAME_CHARS: usize = 64;
    /// Longest creative title, chars.
    pub const MAX_TITLE_CHARS: usize = 90;
    /// Longest creative body, chars (may be empty).
    pub const MAX_BODY_CHARS: usize = 300;
    /// Longest call to action, chars.
    pub const MAX_CALL_TO_ACTION_CHARS: usize = 30;
    /// Longest app section name, bytes.
    pub const MAX_APP_SECTION_BYTES: usize = 32;
    /// Longest trait entry (`id=value`), bytes.
    pub const MAX_TRAIT_BYTES: usize = 128;
    /// Longest conversion event name, bytes.
    pub const MAX_EVENT_NAME_BYTES: usize = 64;
    /// Longest model key (`models.scoring`, `models.blobs`), bytes.
    pub const MAX_MODEL_KEY_BYTES: usize = 64;
    /// Longest URL or URL pattern, bytes.
    pub const MAX_URL_BYTES: usize = 512;
    /// Longest host name in a URL, bytes (as in DNS).
    pub const MAX_HOST_BYTES: usize = 253;
    /// Longest label (dot-separated part) of a host name, bytes (as in DNS).
    pub const MAX_HOST_LABEL_BYTES: usize = 63;

    // ---- numbers ---------------------------------------------------------
    /// Highest (least preferred) priority tier.
    pub const MAX_PRIORITY: u8 = 9;
    /// Highest value of one impression, micros (one million currency units).
    pub const MAX_VALUE_MICROS: u64 = 1_000_000_000_000;
    /// Highest pass-through rate, basis points (= always); the lowest is 1.
    pub const MAX_PASS_THROUGH_BP: u16 = 10_000;
    /// All seven day bits of a daypart (Monday = bit 0 … Sunday = bit 6).
    pub const MAX_DAYS_MASK: u8 = 0x7f;
    /// Minutes in a day: the largest daypart `end_minute`.
    pub const MINUTES_PER_DAY: u16 = 1440;
    /// Largest `min_weight` of a topic target.
    pub const MAX_MIN_WEIGHT: f32 = 1e6;
    /// Longest conversion observation window, days; the shortest is 1.
    pub const MAX_CONVERSION_WINDOW_DAYS: u16 = 90;
    /// Most components of an item embedding.
    pub const MAX_EMBEDDING_DIM: usize = 64;

    // ---- counts ----------------------------------------------------------
    /// Most advertisers in a catalog.
    pub const MAX_ADVERTISERS: usize = 10_000;
    /// Most campaigns in a catalog.
    pub const MAX_CAMPAIGNS: usize = 100_000;
    /// Most creatives in a catalog, over all campaigns and sets.
    pub const MAX_CREATIVES: usize = 250_000;
    /// Most creative sets of one campaign (the least is 1).
    pub const MAX_SETS_PER_CAMPAIGN: usize = 100;
    /// Most creatives of one creative set (the least is 1).
    pub const MAX_CREATIVES_PER_SET: usize = 100;
    /// Most include topics, and separately most exclude topics, of one set.
    pub const MAX_TOPICS_PER_SET: usize = 32;
    /// Most traits of one set.
    pub const MAX_TRAITS_PER_SET: usize = 16;
    /// Most item ids of one set.
    pub const MAX_ITEM_IDS: usize = 64;
    /// Most dayparts of one campaign.
    pub const MAX_DAYPARTS: usize = 28;
    /// Most geo codes of one campaign.
    pub const MAX_GEO: usize = 256;
    /// Most locales of one campaign.
    pub const MAX_LOCALES: usize = 64;
    /// Most app sections of one campaign.
    pub const MAX_APP_SECTIONS: usize = 64;
    /// Most bytes of all model blobs together (8 MiB).
    pub const MAX_MODEL_BLOB_BYTES: usize = 8 * 1024 * 1024;
}

/// Check every structural rule; returns all issues found, in document order
/// (empty = valid). The rules are listed in the [module docs](self).
pub fn validate<C: CreativeFields>(catalog: &Catalog<C>, tax: &Taxonomy) -> Vec<Issue> {
    run(catalog, tax, usize::MAX)
}

/// Check the rules and stop at the first issue, returned as
/// [`Error::CatalogInvalid`]. `Ok(())` exactly when [`validate`] finds nothing.
pub fn first_error<C: CreativeFields>(catalog: &Catalog<C>, tax: &Taxonomy) -> Result<()> {
    match run(catalog, tax, 1).into_iter().next() {
        None => Ok(()),
        Some(issue) => Err(issue.into()),
    }
}

fn run<C: CreativeFields>(catalog: &Catalog<C>, tax: &Taxonomy, max_issues: usize) -> Vec<Issue> {
    let mut c = Checker::new(catalog, tax, max_issues, None);
    // `Err(Full)` only means "enough issues collected".
    let _ = c.catalog(catalog);
    if !has_repeats(&mut c.id_hashes) {
        return c.issues;
    }
    // Some id hash repeats among the ids walked (almost surely a duplicate id):
    // walk again knowing where every id first occurs, so that duplicates are
    // reported in document order among the other issues.
    let mut c = Checker::new(catalog, tax, max_issues, Some(first_locations(catalog)));
    let _ = c.catalog(catalog);
    c.issues
}

/// Whether any value occurs twice (sorts `hashes`).
fn has_repeats(hashes: &mut [u64]) -> bool {
    hashes.sort_unstable();
    hashes.windows(2).any(|w| w[0] == w[1])
}

// ---- the walk --------------------------------------------------------------

/// Returned by the checks once `max_issues` issues have been collected.
struct Full;
type Flow = std::result::Result<(), Full>;

/// Lists up to this length are searched linearly for duplicates; longer ones use
/// a scratch hash map.
const SMALL_LIST: usize = 16;

const NONE: u32 = u32::MAX;

/// Where a campaign, creative set or creative is, printed as its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Loc {
    c: u32,
    s: u32,
    k: u32,
}

impl Loc {
    fn campaign(c: usize) -> Self {
        Loc {
            c: c as u32,
            s: NONE,
            k: NONE,
        }
    }
    fn set(self, s: usize) -> Self {
        Loc {
            s: s as u32,
            ..self
        }
    }
    fn creative(self, k: usize) -> Self {
        Loc {
            k: k as u32,
            ..self
        }
    }
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "campaigns[{}]", self.c)?;
        if self.s != NONE {
            write!(f, ".creative_sets[{}]", self.s)?;
        }
        if self.k != NONE {
            write!(f, ".creatives[{}]", self.k)?;
        }
        Ok(())
    }
}

/// A fast, non-keyed hasher for ids: each 8-byte word is mixed in with a folded
/// 64×64→128-bit multiply (as in wyhash/foldhash). Catalogs are signed by a
/// trusted publisher, so hash flooding is not a concern; speed at install is.
/// A repeated hash is always confirmed against the ids themselves.
#[derive(Default, Clone, Copy)]
struct IdHasher(u64);

impl IdHasher {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    const K2: u64 = 0xbf58_476d_1ce4_e5b9;
    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = folded_mul(self.0 ^ w, Self::K);
    }
}

#[inline]
fn folded_mul(a: u64, b: u64) -> u64 {
    let p = u128::from(a) * u128::from(b);
    (p as u64) ^ ((p >> 64) as u64)
}

impl Hasher for IdHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in chunks.by_ref() {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let r = chunks.remainder();
        let mut w = (bytes.len() as u64) << 56;
        for (i, &b) in r.iter().enumerate() {
            w ^= u64::from(b) << (8 * i);
        }
        self.add(w ^ Self::K2);
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i) ^ Self::K2);
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64 ^ Self::K2);
    }
    fn finish(&self) -> u64 {
        folded_mul(self.0 ^ Self::K2, Self::K)
    }
}

type IdMap<'a, V> = HashMap<&'a str, V, BuildHasherDefault<IdHasher>>;

/// The 64-bit hash of an id.
#[inline]
fn hash_id(id: &str) -> u64 {
    let mut h = IdHasher::default();
    h.write(id.as_bytes());
    h.finish()
}

/// Where each campaign, creative set and creative id first occurs.
fn first_locations<C: CreativeFields>(catalog: &Catalog<C>) -> IdMap<'_, Loc> {
    let mut m = IdMap::with_capacity_and_hasher(catalog.creative_count(), Default::default());
    for (ci, c) in catalog.campaigns.iter().enumerate() {
        let loc = Loc::campaign(ci);
        m.entry(c.id.as_str()).or_insert(loc);
        for (si, s) in c.creative_sets.iter().enumerate() {
            let loc = loc.set(si);
            m.entry(s.id.as_str()).or_insert(loc);
            for (k, cr) in s.creatives.iter().enumerate() {
                m.entry(cr.view().id).or_insert(loc.creative(k));
            }
        }
    }
    m
}

struct Checker<'a> {
    tax: &'a Taxonomy,
    issues: Vec<Issue>,
    max_issues: usize,
    /// Advertiser id → index in `advertisers`.
    advertisers: IdMap<'a, usize>,
    /// Topic id → index, with the fast hasher.
    topics: IdMap<'a, TopicIdx>,
    /// First walk: the hashes of the campaign, creative set and creative ids
    /// (one shared id space), in order; checked for repeats after the walk.
    id_hashes: Vec<u64>,
    /// Second walk (only when a hash repeated): where every id first occurs.
    id_first: Option<IdMap<'a, Loc>>,
    /// Per-list duplicate detection for long lists.
    scratch: IdMap<'a, usize>,
    /// The first non-empty embedding: where, and its length.
    first_embedding: Option<(Loc, usize)>,
    /// Per kind of URL, the `https://` + authority of the last URL that passed:
    /// an advertiser's URLs mostly share it, so its host need not be parsed again.
    url_memo: [&'a [u8]; 3],
}

impl<'a> Checker<'a> {
    fn new<C: CreativeFields>(
        catalog: &'a Catalog<C>,
        tax: &'a Taxonomy,
        max_issues: usize,
        id_first: Option<IdMap<'a, Loc>>,
    ) -> Self {
        let ids = catalog
            .campaigns
            .iter()
            .map(|c| {
                1 + c.creative_sets.len()
                    + c.creative_sets
                        .iter()
                        .map(|s| s.creatives.len())
                        .sum::<usize>()
            })
            .sum();
        Checker {
            tax,
            issues: Vec::new(),
            max_issues,
            advertisers: IdMap::with_capacity_and_hasher(
                catalog.advertisers.len(),
                Default::default(),
            ),
            topics: tax
                .topics()
                .iter()
                .zip(0..)
                .map(|(t, i)| (t.id.as_str(), i))
                .collect(),
            id_hashes: if id_first.is_some() {
                Vec::new()
            } else {
                Vec::with_capacity(ids)
            },
            id_first,
            scratch: IdMap::default(),
            first_embedding: None,
            url_memo: [&[]; 3],
        }
    }

    fn push(&mut self, path: String, rule: CatalogRule, detail: String) -> Flow {
        self.issues.push(Issue { path, rule, detail });
        if self.issues.len() >= self.max_issues {
            Err(Full)
        } else {
            Ok(())
        }
    }

    fn catalog<C: CreativeFields>(&mut self, cat: &'a Catalog<C>) -> Flow {
        let v = &cat.taxonomy_version;
        if v.is_empty() || v.len() > Limits::MAX_TAXONOMY_VERSION_BYTES {
            self.push(
                "taxonomy_version".into(),
                CatalogRule::StringFormat,
                format!(
                    "taxonomy_version is {} bytes, must be 1..={}",
                    v.len(),
                    Limits::MAX_TAXONOMY_VERSION_BYTES
                ),
            )?;
        }
        if let Err(d) = check_text(&cat.region, true, Limits::MAX_REGION_CHARS) {
            self.push(
                "region".into(),
                CatalogRule::StringFormat,
                format!("region {d}"),
            )?;
        }

        // Advertisers.
        if cat.advertisers.len() > Limits::MAX_ADVERTISERS {
            self.push(
                "advertisers".into(),
                CatalogRule::Count,
                too_many(
                    cat.advertisers.len(),
                    "advertisers",
                    Limits::MAX_ADVERTISERS,
                ),
            )?;
        }
        for (i, a) in cat.advertisers.iter().enumerate() {
            match check_id(&a.id) {
                Err(d) => self.push(
                    format!("advertisers[{i}].id"),
                    CatalogRule::StringFormat,
                    format!("id {} {d}", q(&a.id)),
                )?,
                Ok(()) => match self.advertisers.entry(a.id.as_str()) {
                    Entry::Vacant(e) => {
                        e.insert(i);
                    }
                    Entry::Occupied(e) => {
                        let first = *e.get();
                        self.push(
                            format!("advertisers[{i}].id"),
                            CatalogRule::DuplicateId,
                            format!(
                                "advertiser id {} is already used by advertisers[{first}]",
                                q(&a.id)
                            ),
                        )?;
                    }
                },
            }
            if let Err(d) = check_text(&a.name, true, Limits::MAX_ADVERTISER_NAME_CHARS) {
                self.push(
                    format!("advertisers[{i}].name"),
                    CatalogRule::StringFormat,
                    format!("name {d}"),
                )?;
            }
        }

        // Campaigns.
        if cat.campaigns.len() > Limits::MAX_CAMPAIGNS {
            self.push(
                "campaigns".into(),
                CatalogRule::Count,
                too_many(cat.campaigns.len(), "campaigns", Limits::MAX_CAMPAIGNS),
            )?;
        }
        let creatives = cat.creative_count();
        if creatives > Limits::MAX_CREATIVES {
            self.push(
                "campaigns".into(),
                CatalogRule::Count,
                format!(
                    "the catalog holds {creatives} creatives in all, the limit is {}",
                    Limits::MAX_CREATIVES
                ),
            )?;
        }
        for (ci, c) in cat.campaigns.iter().enumerate() {
            self.campaign(Loc::campaign(ci), c)?;
        }

        self.models(&cat.models)
    }

    /// Format and uniqueness of a campaign, set or creative id.
    fn global_id(&mut self, loc: Loc, id: &'a str) -> Flow {
        if let Err(d) = check_id(id) {
            return self.push(
                format!("{loc}.id"),
                CatalogRule::StringFormat,
                format!("id {} {d}", q(id)),
            );
        }
        let Some(first_locs) = &self.id_first else {
            self.id_hashes.push(hash_id(id));
            return Ok(());
        };
        match first_locs.get(id) {
            Some(&first) if first != loc => self.push(
                format!("{loc}.id"),
                CatalogRule::DuplicateId,
                format!(
                    "id {} is already used by {first} (campaign, creative set and \
                         creative ids share one id space)",
                    q(id)
                ),
            ),
            _ => Ok(()),
        }
    }

    fn campaign<C: CreativeFields>(&mut self, loc: Loc, c: &'a Campaign<C>) -> Flow {
        self.global_id(loc, &c.id)?;
        if !self.advertisers.contains_key(c.advertiser_id.as_str()) {
            self.push(
                format!("{loc}.advertiser_id"),
                CatalogRule::DanglingReference,
                format!(
                    "advertiser_id {} names no advertiser in `advertisers`",
                    q(&c.advertiser_id)
                ),
            )?;
        }
        if c.priority > Limits::MAX_PRIORITY {
            self.push(
                format!("{loc}.priority"),
                CatalogRule::Range,
                format!(
                    "priority is {}, must be 0..={}",
                    c.priority,
                    Limits::MAX_PRIORITY
                ),
            )?;
        }
        if c.value_micros > Limits::MAX_VALUE_MICROS {
            self.push(
                format!("{loc}.value_micros"),
                CatalogRule::Range,
                format!(
                    "value_micros is {}, the limit is {}",
                    c.value_micros,
                    Limits::MAX_VALUE_MICROS
                ),
            )?;
        }
        if c.flight.start_ms >= c.flight.end_ms {
            self.push(
                format!("{loc}.flight.start_ms"),
                CatalogRule::Range,
                format!(
                    "flight start_ms {} must be before end_ms {}",
                    c.flight.start_ms, c.flight.end_ms
                ),
            )?;
        }
        if c.pass_through_bp == 0 || c.pass_through_bp > Limits::MAX_PASS_THROUGH_BP {
            self.push(
                format!("{loc}.pass_through_bp"),
                CatalogRule::Range,
                format!(
                    "pass_through_bp is {}, must be 1..={} (0 would never serve)",
                    c.pass_through_bp,
                    Limits::MAX_PASS_THROUGH_BP
                ),
            )?;
        }

        if c.dayparts.len() > Limits::MAX_DAYPARTS {
            self.push(
                format!("{loc}.dayparts"),
                CatalogRule::Count,
                too_many(c.dayparts.len(), "dayparts", Limits::MAX_DAYPARTS),
            )?;
        }
        for (j, d) in c.dayparts.iter().enumerate() {
            if d.days == 0 || d.days > Limits::MAX_DAYS_MASK {
                self.push(
                    format!("{loc}.dayparts[{j}].days"),
                    CatalogRule::Range,
                    format!(
                        "days mask is {:#04x}, must be 0x01..={:#04x} (bit 0 = Monday … bit 6 = Sunday)",
                        d.days,
                        Limits::MAX_DAYS_MASK
                    ),
                )?;
            }
            if d.end_minute > Limits::MINUTES_PER_DAY {
                self.push(
                    format!("{loc}.dayparts[{j}].end_minute"),
                    CatalogRule::Range,
                    format!(
                        "end_minute is {}, the limit is {}",
                        d.end_minute,
                        Limits::MINUTES_PER_DAY
                    ),
                )?;
            } else if d.start_minute >= d.end_minute {
                self.push(
                    format!("{loc}.dayparts[{j}].start_minute"),
                    CatalogRule::Range,
                    format!(
                        "start_minute {} must be before end_minute {}",
                        d.start_minute, d.end_minute
                    ),
                )?;
            }
        }

        self.string_list(loc, "geo", &c.geo, Limits::MAX_GEO, "geo code", check_geo)?;
        self.string_list(
            loc,
            "locales",
            &c.locales,
            Limits::MAX_LOCALES,
            "locale",
            check_locale,
        )?;
        self.os_list(loc, &c.os)?;
        self.string_list(
            loc,
            "app_sections",
            &c.app_sections,
            Limits::MAX_APP_SECTIONS,
            "app section",
            check_section,
        )?;

        let n = c.creative_sets.len();
        if n == 0 || n > Limits::MAX_SETS_PER_CAMPAIGN {
            self.push(
                format!("{loc}.creative_sets"),
                CatalogRule::Count,
                format!(
                    "campaign has {n} creative sets, must have 1..={}",
                    Limits::MAX_SETS_PER_CAMPAIGN
                ),
            )?;
        }
        for (si, s) in c.creative_sets.iter().enumerate() {
            self.creative_set(loc.set(si), s)?;
        }
        Ok(())
    }

    /// Count, entry format and duplicates of a list of strings.
    fn string_list(
        &mut self,
        loc: Loc,
        field: &str,
        list: &'a [String],
        max: usize,
        noun: &str,
        check: fn(&str) -> std::result::Result<(), String>,
    ) -> Flow {
        if list.len() > max {
            self.push(
                format!("{loc}.{field}"),
                CatalogRule::Count,
                too_many(list.len(), field, max),
            )?;
        }
        if list.len() > SMALL_LIST {
            self.scratch.clear();
        }
        for (j, s) in list.iter().enumerate() {
            if let Err(d) = check(s) {
                self.push(
                    format!("{loc}.{field}[{j}]"),
                    CatalogRule::StringFormat,
                    format!("{noun} {} {d}", q(s)),
                )?;
            } else if let Some(i) = earlier(&mut self.scratch, list.len(), j, |i| &list[i]) {
                self.push(
                    format!("{loc}.{field}[{j}]"),
                    CatalogRule::DuplicateId,
                    format!("{noun} {} repeats {field}[{i}]", q(s)),
                )?;
            }
        }
        Ok(())
    }

    fn os_list(&mut self, loc: Loc, list: &[Os]) -> Flow {
        let mut first = [None::<usize>; 2];
        for (j, os) in list.iter().enumerate() {
            let slot = match os {
                Os::Android => 0,
                Os::Ios => 1,
            };
            match first[slot] {
                None => first[slot] = Some(j),
                Some(i) => self.push(
                    format!("{loc}.os[{j}]"),
                    CatalogRule::DuplicateId,
                    format!("os {os:?} repeats os[{i}]"),
                )?,
            }
        }
        Ok(())
    }

    fn creative_set<C: CreativeFields>(&mut self, loc: Loc, s: &'a CreativeSet<C>) -> Flow {
        self.global_id(loc, &s.id)?;

        // Include topics.
        let n = s.include_topics.len();
        if n > Limits::MAX_TOPICS_PER_SET {
            self.push(
                format!("{loc}.include_topics"),
                CatalogRule::Count,
                too_many(n, "include_topics", Limits::MAX_TOPICS_PER_SET),
            )?;
        }
        if n > SMALL_LIST {
            self.scratch.clear();
        }
        for (j, t) in s.include_topics.iter().enumerate() {
            match self.topics.get(t.topic.as_str()).copied() {
                None => self.push(
                    format!("{loc}.include_topics[{j}].topic"),
                    CatalogRule::DanglingReference,
                    self.unknown_topic(&t.topic),
                )?,
                Some(idx) if self.tax.is_sensitive(idx) => {
                    self.push(
                        format!("{loc}.include_topics[{j}].topic"),
                        CatalogRule::SensitiveTopic,
                        self.sensitive_topic(&t.topic, idx, "targeted"),
                    )?;
                    // Nothing else is reported for this entry.
                    continue;
                }
                Some(_) => {
                    let list = &s.include_topics;
                    if let Some(i) = earlier(&mut self.scratch, n, j, |i| &list[i].topic) {
                        self.push(
                            format!("{loc}.include_topics[{j}].topic"),
                            CatalogRule::DuplicateId,
                            format!("topic {} repeats include_topics[{i}].topic", q(&t.topic)),
                        )?;
                    }
                }
            }
            let w = t.min_weight;
            if !(w.is_finite() && (0.0..=Limits::MAX_MIN_WEIGHT).contains(&w)) {
                self.push(
                    format!("{loc}.include_topics[{j}].min_weight"),
                    CatalogRule::Range,
                    format!(
                        "min_weight is {w}, must be a finite number in 0..={}",
                        Limits::MAX_MIN_WEIGHT
                    ),
                )?;
            }
        }

        // Exclude topics.
        let n = s.exclude_topics.len();
        if n > Limits::MAX_TOPICS_PER_SET {
            self.push(
                format!("{loc}.exclude_topics"),
                CatalogRule::Count,
                too_many(n, "exclude_topics", Limits::MAX_TOPICS_PER_SET),
            )?;
        }
        if n > SMALL_LIST {
            self.scratch.clear();
        }
        for (j, t) in s.exclude_topics.iter().enumerate() {
            match self.topics.get(t.as_str()).copied() {
                None => self.push(
                    format!("{loc}.exclude_topics[{j}]"),
                    CatalogRule::DanglingReference,
                    self.unknown_topic(t),
                )?,
                Some(idx) if self.tax.is_sensitive(idx) => self.push(
                    format!("{loc}.exclude_topics[{j}]"),
                    CatalogRule::SensitiveTopic,
                    self.sensitive_topic(t, idx, "anti-targeted"),
                )?,
                Some(_) => {
                    let list = &s.exclude_topics;
                    if let Some(i) = earlier(&mut self.scratch, n, j, |i| &list[i]) {
                        self.push(
                            format!("{loc}.exclude_topics[{j}]"),
                            CatalogRule::DuplicateId,
                            format!("topic {} repeats exclude_topics[{i}]", q(t)),
                        )?;
                    }
                }
            }
        }

        self.string_list(
            loc,
            "traits",
            &s.traits,
            Limits::MAX_TRAITS_PER_SET,
            "trait",
            check_trait,
        )?;

        // Embedding.
        let dim = s.embedding.len();
        if dim > Limits::MAX_EMBEDDING_DIM {
            self.push(
                format!("{loc}.embedding"),
                CatalogRule::Range,
                format!(
                    "embedding has {dim} components, the limit is {}",
                    Limits::MAX_EMBEDDING_DIM
                ),
            )?;
        } else if dim > 0 {
            match self.first_embedding {
                None => self.first_embedding = Some((loc, dim)),
                Some((first, first_dim)) if first_dim != dim => self.push(
                    format!("{loc}.embedding"),
                    CatalogRule::Range,
                    format!(
                        "embedding has {dim} components, but the catalog's first embedding \
                         ({first}.embedding) has {first_dim}; all must have the same length"
                    ),
                )?,
                Some(_) => {}
            }
        }

        self.string_list(
            loc,
            "item_ids",
            &s.item_ids,
            Limits::MAX_ITEM_IDS,
            "item id",
            check_id,
        )?;

        // Conversion.
        if let Some(conv) = &s.conversion {
            if conv.event_name.is_none() && conv.url_pattern.is_none() {
                self.push(
                    format!("{loc}.conversion"),
                    CatalogRule::Range,
                    "conversion needs an event_name, a url_pattern or both".into(),
                )?;
            }
            if let Some(name) = &conv.event_name {
                if let Err(d) = check_key(name, Limits::MAX_EVENT_NAME_BYTES) {
                    self.push(
                        format!("{loc}.conversion.event_name"),
                        CatalogRule::StringFormat,
                        format!("event_name {d}"),
                    )?;
                }
            }
            if let Some(pat) = &conv.url_pattern {
                if let Err(d) = self.url(UrlKind::Pattern, pat) {
                    self.push(
                        format!("{loc}.conversion.url_pattern"),
                        CatalogRule::StringFormat,
                        format!("url_pattern {} {d}", q(pat)),
                    )?;
                }
            }
            let w = conv.window_days;
            if w == 0 || w > Limits::MAX_CONVERSION_WINDOW_DAYS {
                self.push(
                    format!("{loc}.conversion.window_days"),
                    CatalogRule::Range,
                    format!(
                        "window_days is {w}, must be 1..={}",
                        Limits::MAX_CONVERSION_WINDOW_DAYS
                    ),
                )?;
            }
        }

        let n = s.creatives.len();
        if n == 0 || n > Limits::MAX_CREATIVES_PER_SET {
            self.push(
                format!("{loc}.creatives"),
                CatalogRule::Count,
                format!(
                    "creative set has {n} creatives, must have 1..={}",
                    Limits::MAX_CREATIVES_PER_SET
                ),
            )?;
        }
        for (k, cr) in s.creatives.iter().enumerate() {
            self.creative(loc.creative(k), cr)?;
        }
        Ok(())
    }

    fn creative<C: CreativeFields>(&mut self, loc: Loc, k: &'a C) -> Flow {
        let k = k.view();
        self.global_id(loc, k.id)?;
        let texts = [
            ("title", &k.title, true, Limits::MAX_TITLE_CHARS),
            ("body", &k.body, false, Limits::MAX_BODY_CHARS),
        ];
        for (field, text, required, max) in texts {
            if let Err(d) = check_text(text, required, max) {
                self.push(
                    format!("{loc}.{field}"),
                    CatalogRule::StringFormat,
                    format!("{field} {d}"),
                )?;
            }
        }
        if let Some(url) = &k.image_url {
            if let Err(d) = self.url(UrlKind::Image, url) {
                self.push(
                    format!("{loc}.image_url"),
                    CatalogRule::HttpsUrl,
                    format!("image_url {} {d}", q(url)),
                )?;
            }
        }
        if let Err(d) = self.url(UrlKind::Click, k.click_url) {
            self.push(
                format!("{loc}.click_url"),
                CatalogRule::HttpsUrl,
                format!("click_url {} {d}", q(k.click_url)),
            )?;
        }
        if let Err(d) = check_text(k.call_to_action, true, Limits::MAX_CALL_TO_ACTION_CHARS) {
            self.push(
                format!("{loc}.call_to_action"),
                CatalogRule::StringFormat,
                format!("call_to_action {d}"),
            )?;
        }
        Ok(())
    }

    fn models(&mut self, m: &'a Models) -> Flow {
        let n = m.scoring.len();
        if n > SMALL_LIST {
            self.scratch.clear();
        }
        for (i, (key, value)) in m.scoring.iter().enumerate() {
            if let Err(d) = check_key(key, Limits::MAX_MODEL_KEY_BYTES) {
                self.push(
                    format!("models.scoring[{i}]"),
                    CatalogRule::StringFormat,
                    format!("scoring key {d}"),
                )?;
            } else if let Some(p) = earlier(&mut self.scratch, n, i, |i| &m.scoring[i].0) {
                self.push(
                    format!("models.scoring[{i}]"),
                    CatalogRule::DuplicateId,
                    format!("scoring key {} repeats models.scoring[{p}]", q(key)),
                )?;
            }
            if !value.is_finite() {
                self.push(
                    format!("models.scoring[{i}]"),
                    CatalogRule::Range,
                    format!("scoring value for {} is {value}, must be finite", q(key)),
                )?;
            }
        }

        let total: usize = m.blobs.iter().map(|(_, b)| b.len()).sum();
        if total > Limits::MAX_MODEL_BLOB_BYTES {
            self.push(
                "models.blobs".into(),
                CatalogRule::Count,
                format!(
                    "model blobs hold {total} bytes in all, the limit is {} (8 MiB)",
                    Limits::MAX_MODEL_BLOB_BYTES
                ),
            )?;
        }
        let n = m.blobs.len();
        if n > SMALL_LIST {
            self.scratch.clear();
        }
        for (i, (key, _)) in m.blobs.iter().enumerate() {
            if let Err(d) = check_key(key, Limits::MAX_MODEL_KEY_BYTES) {
                self.push(
                    format!("models.blobs[{i}]"),
                    CatalogRule::StringFormat,
                    format!("blob key {d}"),
                )?;
            } else if let Some(p) = earlier(&mut self.scratch, n, i, |i| &m.blobs[i].0) {
                self.push(
                    format!("models.blobs[{i}]"),
                    CatalogRule::DuplicateId,
                    format!("blob key {} repeats models.blobs[{p}]", q(key)),
                )?;
            }
        }
        Ok(())
    }

    /// [`check_https_url`], skipping the host when it is the same as that of the
    /// last URL of this kind that passed.
    fn url(&mut self, kind: UrlKind, url: &'a str) -> std::result::Result<(), String> {
        let b = url.as_bytes();
        let memo = self.url_memo[kind as usize];
        if !memo.is_empty()
            && b.len() <= Limits::MAX_URL_BYTES
            && b.starts_with(memo)
            && b.get(memo.len()..).is_some_and(|tail| match tail.first() {
                None => true,
                Some(b'/' | b'?' | b'#') => printable_ascii_bytes(tail, false),
                Some(_) => false,
            })
        {
            return Ok(());
        }
        check_https_url(url, kind == UrlKind::Pattern)?;
        let authority_end = b
            .iter()
            .skip(HTTPS.len())
            .position(|&c| matches!(c, b'/' | b'?' | b'#'))
            .map_or(b.len(), |p| p + HTTPS.len());
        self.url_memo[kind as usize] = &b[..authority_end];
        Ok(())
    }

    fn unknown_topic(&self, id: &str) -> String {
        format!(
            "topic {} is not in taxonomy {:?}",
            q(id),
            self.tax.version()
        )
    }

    fn sensitive_topic(&self, id: &str, idx: TopicIdx, verb: &str) -> String {
        let category = std::iter::once(idx)
            .chain(self.tax.ancestors(idx))
            .find_map(|a| self.tax.get(a).and_then(|t| t.marked_sensitive.clone()))
            .unwrap_or_else(|| "sensitive".into());
        format!(
            "topic {} ({}) is in the sensitive category {category:?}; sensitive topics can \
             never be {verb}",
            q(id),
            self.tax.path(idx)
        )
    }
}

/// The kinds of URL, each with its own memo of the last host that passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UrlKind {
    Click = 0,
    Image = 1,
    Pattern = 2,
}

const HTTPS: &[u8] = b"https://";

/// Index of an earlier entry of the list equal to entry `j`, if any.
///
/// Short lists are searched linearly; for lists longer than [`SMALL_LIST`] the
/// caller clears `scratch` before the first call, and must call this for every
/// entry it wants later entries compared with.
fn earlier<'a>(
    scratch: &mut IdMap<'a, usize>,
    len: usize,
    j: usize,
    key: impl Fn(usize) -> &'a str,
) -> Option<usize> {
    let k = key(j);
    if len <= SMALL_LIST {
        (0..j).find(|&i| key(i) == k)
    } else {
        match scratch.entry(k) {
            Entry::Occupied(e) => Some(*e.get()),
            Entry::Vacant(e) => {
                e.insert(j);
                None
            }
        }
    }
}

// ---- string checks -----------------------------------------------------------
//
// Each returns `Err(detail)` where `detail` continues a sentence that starts with
// the value's name (e.g. "title " + "is 91 characters, the limit is 90").

fn too_many(n: usize, what: &str, max: usize) -> String {
    format!("{n} {what}, the limit is {max}")
}

/// The value quoted for a detail message, cut to 48 chars.
fn q(s: &str) -> String {
    const MAX: usize = 48;
    match s.char_indices().nth(MAX) {
        None => format!("{s:?}"),
        Some((cut, _)) => format!("{:?}…", &s[..cut]),
    }
}

/// True when every byte is printable ASCII: `0x20..=0x7e` when `space_ok`,
/// `0x21..=0x7e` otherwise. Checks eight bytes at a time.
fn printable_ascii(s: &str, space_ok: bool) -> bool {
    printable_ascii_bytes(s.as_bytes(), space_ok)
}

/// [`printable_ascii`] on bytes.
fn printable_ascii_bytes(b: &[u8], space_ok: bool) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let low = if space_ok { 0x20 } else { 0x21 };
    let mut chunks = b.chunks_exact(8);
    let mut bad = 0u64;
    for c in chunks.by_ref() {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let x = u64::from_le_bytes(w);
        // High bit set: not ASCII.
        bad |= x & HIGH;
        // Some byte < low (exact for ASCII bytes, which is all that matters once
        // the high bits are clear).
        bad |= x.wrapping_sub(ONES * low) & !x & HIGH;
        // Some byte == 0x7f.
        let y = x ^ (ONES * 0x7f);
        bad |= y.wrapping_sub(ONES) & !y & HIGH;
    }
    bad == 0
        && chunks
            .remainder()
            .iter()
            .all(|c| (low as u8..0x7f).contains(c))
}

/// Displayed text: length in chars, no control characters, optionally not blank.
fn check_text(s: &str, required: bool, max: usize) -> std::result::Result<(), String> {
    let chars = if printable_ascii(s, true) {
        s.len()
    } else {
        let mut n = 0;
        for c in s.chars() {
            if c.is_control() {
                return Err(format!(
                    "contains the control character U+{:04X} at character {n}",
                    c as u32
                ));
            }
            n += 1;
        }
        n
    };
    if chars > max {
        return Err(format!("is {chars} characters, the limit is {max}"));
    }
    if required && s.trim().is_empty() {
        return Err(if s.is_empty() {
            format!("is empty, must be 1..={max} characters")
        } else {
            "is blank (only whitespace)".into()
        });
    }
    Ok(())
}

const HOST_ALNUM: u8 = 1;
const HOST_DOT: u8 = 2;
const HOST_DASH: u8 = 4;
const HOST_STAR: u8 = 8;
/// Ends the host: `:`, `/`, `?`, `#`.
const HOST_END: u8 = 16;

/// `PAIR_BAD[(prev & (DOT|DASH)) << 2 | (this & (DOT|DASH))]`: 1 for `..`, `.-`
/// and `-.`.
const PAIR_BAD: [u8; 32] = {
    let mut t = [0u8; 32];
    t[((HOST_DOT << 2) | HOST_DOT) as usize] = 1;
    t[((HOST_DOT << 2) | HOST_DASH) as usize] = 1;
    t[((HOST_DASH << 2) | HOST_DOT) as usize] = 1;
    t
};

/// `HOST_CLASS[b]`: what byte `b` is in a URL's host (0: not allowed).
const HOST_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = if c.is_ascii_alphanumeric() {
            HOST_ALNUM
        } else {
            match c {
                b'.' => HOST_DOT,
                b'-' => HOST_DASH,
                b'*' => HOST_STAR,
                b':' | b'/' | b'?' | b'#' => HOST_END,
                _ => 0,
            }
        };
        b += 1;
    }
    t
};

/// `ID_BYTES[b]`: `b` may appear in an id.
const ID_BYTES: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b':' | b'-');
        b += 1;
    }
    t
};

fn is_id_byte(b: u8) -> bool {
    ID_BYTES[b as usize]
}

/// Ids: 1..=64 bytes of `A-Z a-z 0-9 . _ : -`.
fn check_id(s: &str) -> std::result::Result<(), String> {
    if s.is_empty() {
        return Err(format!(
            "is empty, ids are 1..={} bytes of A-Z a-z 0-9 . _ : -",
            Limits::MAX_ID_BYTES
        ));
    }
    if s.len() > Limits::MAX_ID_BYTES {
        return Err(format!(
            "is {} bytes, the limit is {}",
            s.len(),
            Limits::MAX_ID_BYTES
        ));
    }
    if s.bytes().all(is_id_byte) {
        return Ok(());
    }
    if let Some(c) = s.chars().find(|&c| !(c.is_ascii() && is_id_byte(c as u8))) {
        return Err(format!(
            "contains {c:?}, ids may only use A-Z a-z 0-9 . _ : -"
        ));
    }
    Ok(())
}

/// Keys (event names, model keys): 1..=max bytes, no control characters.
fn check_key(s: &str, max: usize) -> std::result::Result<(), String> {
    if s.is_empty() || s.len() > max {
        return Err(format!("{} is {} bytes, must be 1..={max}", q(s), s.len()));
    }
    if let Some(c) = s.chars().find(|c| c.is_control()) {
        return Err(format!(
            "{} contains the control character U+{:04X}",
            q(s),
            c as u32
        ));
    }
    Ok(())
}

/// `DE`, `US-CA`: ISO 3166-1 alpha-2, optionally `-` + 1..=3 of `A-Z 0-9`.
fn check_geo(s: &str) -> std::result::Result<(), String> {
    let b = s.as_bytes();
    let ok = match b {
        [a, c, rest @ ..] if a.is_ascii_uppercase() && c.is_ascii_uppercase() => match rest {
            [] => true,
            [b'-', sub @ ..] => {
                (1..=3).contains(&sub.len())
                    && sub
                        .iter()
                        .all(|x| x.is_ascii_uppercase() || x.is_ascii_digit())
            }
            _ => false,
        },
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(
            "is not an upper-case ISO 3166 code: two letters, optionally `-` and 1 to 3 \
             upper-case letters or digits (`DE`, `US-CA`)"
                .into(),
        )
    }
}

/// `de`, `en-GB`, `es-419`.
fn check_locale(s: &str) -> std::result::Result<(), String> {
    let (lang, region) = match s.split_once('-') {
        Some((l, r)) => (l, Some(r)),
        None => (s, None),
    };
    let lang_ok = (2..=3).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_lowercase());
    let region_ok = match region {
        None => true,
        Some(r) => {
            (r.len() == 2 && r.bytes().all(|b| b.is_ascii_uppercase()))
                || (r.len() == 3 && r.bytes().all(|b| b.is_ascii_digit()))
        }
    };
    if lang_ok && region_ok {
        Ok(())
    } else {
        Err(
            "is not a locale: 2 or 3 lower-case letters, optionally `-` and 2 upper-case \
             letters or 3 digits (`de`, `en-GB`, `es-419`)"
                .into(),
        )
    }
}

/// App sections: 1..=32 bytes of `a-z 0-9 _ -`.
fn check_section(s: &str) -> std::result::Result<(), String> {
    let ok = !s.is_empty()
        && s.len() <= Limits::MAX_APP_SECTION_BYTES
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "must be 1..={} bytes of a-z 0-9 _ -",
            Limits::MAX_APP_SECTION_BYTES
        ))
    }
}

/// Traits: `id=value`, id of `a-z 0-9 _ :`, value of `a-z 0-9 _`.
fn check_trait(s: &str) -> std::result::Result<(), String> {
    let lower = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_';
    let ok = s.len() <= Limits::MAX_TRAIT_BYTES
        && match s.split_once('=') {
            Some((id, value)) => {
                !id.is_empty()
                    && !value.is_empty()
                    && id.bytes().all(|b| lower(b) || b == b':')
                    && value.bytes().all(lower)
            }
            None => false,
        };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "must be `id=value` (id of a-z 0-9 _ :, value of a-z 0-9 _, at most {} bytes), \
             e.g. `spending_tier=premium`",
            Limits::MAX_TRAIT_BYTES
        ))
    }
}

/// A strict `https://` URL check (see the module docs); with `wildcard`, `*` is
/// also allowed in the host (URL patterns). Elsewhere in the URL `*` is always
/// allowed, like any other non-whitespace, non-control character.
fn check_https_url(url: &str, wildcard: bool) -> std::result::Result<(), String> {
    if https_url_fast_ok(url.as_bytes(), wildcard) {
        return Ok(());
    }
    https_url_problem(url, wildcard)
}

/// The common case in one pass over the bytes: a printable-ASCII URL that
/// [`https_url_problem`] accepts. `false` means "not sure": the caller then asks
/// [`https_url_problem`], which decides and explains.
fn https_url_fast_ok(b: &[u8], wildcard: bool) -> bool {
    if b.len() > Limits::MAX_URL_BYTES || !b.starts_with(HTTPS) {
        return false;
    }
    let rest = &b[HTTPS.len()..];
    // Host: up to the first `:`, `/`, `?` or `#`, in one pass with a class table.
    // Starting as if after a dot rejects a leading `.` or `-` and an empty host.
    // `bad` collects, per byte: a byte not allowed (class 0, or `*` outside a
    // pattern), an empty label (`..`), or a label that starts (`.-`) or ends
    // (`-.`) with `-` (`PAIR_BAD`, indexed by the dot/dash bits of the previous
    // and this byte). Independent per byte, so the loop has no long dependency.
    let star_bad = if wildcard { 0 } else { HOST_STAR };
    let mut bad = 0u8;
    let mut dots = 0usize;
    let mut prev = HOST_DOT;
    let mut i = 0;
    while let Some(&c) = rest.get(i) {
        let k = HOST_CLASS[usize::from(c)];
        if k & HOST_END != 0 {
            break;
        }
        let pair = ((prev & (HOST_DOT | HOST_DASH)) << 2) | (k & (HOST_DOT | HOST_DASH));
        bad |= u8::from(k == 0) | (k & star_bad) | PAIR_BAD[usize::from(pair)];
        dots += usize::from(k & HOST_DOT);
        prev = k;
        i += 1;
    }
    // Only hosts of at most 63 bytes are taken here, so that no label can be too
    // long; longer ones are left to the slow path.
    if bad != 0
        || dots == 0
        || prev & (HOST_DOT | HOST_DASH) != 0
        || i > Limits::MAX_HOST_LABEL_BYTES
    {
        return false;
    }
    // Optional port: 1..=5 digits, 1..=65535.
    if rest.get(i) == Some(&b':') {
        i += 1;
        let mut port = 0u32;
        let mut digits = 0;
        while let Some(&c) = rest.get(i) {
            match c {
                b'0'..=b'9' => {
                    port = port * 10 + u32::from(c - b'0');
                    digits += 1;
                    if digits > 5 {
                        return false;
                    }
                }
                b'/' | b'?' | b'#' => break,
                _ => return false,
            }
            i += 1;
        }
        if digits == 0 || port == 0 || port > 65_535 {
            return false;
        }
    }
    // Path, query, fragment: printable ASCII without spaces (anything else is
    // left to the slow path).
    rest.get(i..)
        .is_some_and(|tail| printable_ascii_bytes(tail, false))
}

/// The strict check with an explanation (see [`check_https_url`]).
fn https_url_problem(url: &str, wildcard: bool) -> std::result::Result<(), String> {
    if url.len() > Limits::MAX_URL_BYTES {
        return Err(format!(
            "is {} bytes, the limit is {}",
            url.len(),
            Limits::MAX_URL_BYTES
        ));
    }
    if !printable_ascii(url, false) {
        if let Some((i, c)) = url
            .char_indices()
            .find(|(_, c)| c.is_whitespace() || c.is_control())
        {
            return Err(format!(
                "contains whitespace or a control character (U+{:04X}) at byte {i}",
                c as u32
            ));
        }
    }
    let Some(rest) = url.strip_prefix("https://") else {
        return Err(if url.is_empty() {
            "is empty, must be an https:// URL".into()
        } else if url.starts_with("http://") {
            "uses http://, only https:// is allowed".into()
        } else {
            "must start with https://".into()
        });
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    if authority.contains('@') {
        return Err("contains userinfo (`@` before the path), which is not allowed".into());
    }
    let (host, port) = match authority.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (authority, None),
    };
    if host.is_empty() {
        return Err("has no host".into());
    }
    if let Some(c) = host
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || c == '.' || c == '-' || (wildcard && c == '*')))
    {
        return Err(format!(
            "has {c:?} in its host, hosts may only use A-Z a-z 0-9 . -{}",
            if wildcard { " *" } else { "" }
        ));
    }
    if host.len() > Limits::MAX_HOST_BYTES {
        return Err(format!(
            "has a host of {} bytes, the limit is {}",
            host.len(),
            Limits::MAX_HOST_BYTES
        ));
    }
    if !host.contains('.') {
        return Err(format!(
            "has host {}, which is not a fully qualified name (it needs a dot)",
            q(host)
        ));
    }
    if host.starts_with('.') || host.ends_with('.') {
        return Err("has a host that starts or ends with a dot".into());
    }
    for label in host.split('.') {
        if label.is_empty() {
            return Err("has an empty label (`..`) in its host".into());
        }
        if label.len() > Limits::MAX_HOST_LABEL_BYTES {
            return Err(format!(
                "has a host label of {} bytes, the limit is {}",
                label.len(),
                Limits::MAX_HOST_LABEL_BYTES
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!(
                "has host label {} that starts or ends with `-`",
                q(label)
            ));
        }
    }
    if let Some(p) = port {
        let ok = (1..=5).contains(&p.len())
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u32>().is_ok_and(|n| (1..=65_535).contains(&n));
        if !ok {
            return Err(format!("has port {}, must be a number 1..=65535", q(p)));
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::catalog::model::*;

    fn tax() -> std::sync::Arc<Taxonomy> {
        Taxonomy::iab().unwrap()
    }

    fn creative(id: &str) -> Creative {
        Creative {
            id: id.into(),
            kind: CreativeKind::Native,
            title: "Boots for the new season".into(),
            body: "Handmade in Portugal. Free returns.".into(),
            image_url: Some("https://cdn.example.com/img/boots.png".into()),
            click_url: "https://shop.example.com/boots?utm_source=hearth".into(),
            call_to_action: "Shop now".into(),
        }
    }

    fn set(id: &str, creatives: &[&str]) -> CreativeSet {
        CreativeSet {
            id: id.into(),
            caps: FrequencyCaps {
                per_hour: 1,
                per_day: 3,
                per_week: 10,
                total: 0,
            },
            min_interval_s: 60,
            include_topics: vec![
                TopicTarget {
                    topic: "483".into(),
                    min_weight: 0.1,
                },
                TopicTarget {
                    topic: "533".into(),
                    min_weight: 0.0,
                },
            ],
            exclude_topics: vec!["1".into()],
            traits: vec![
                "spending_tier=premium".into(),
                "life_event:moving=active".into(),
            ],
            embedding: vec![1, -2, 3, 127],
            item_ids: vec!["sku-1".into(), "sku:2".into()],
            conversion: Some(ConversionSpec {
                event_name: Some("purchase".into()),
                url_pattern: Some("https://*.example.com/thanks/*".into()),
                window_days: 7,
            }),
            creatives: creatives.iter().map(|c| creative(c)).collect(),
        }
    }

    fn campaign(id: &str, advertiser: &str, sets: Vec<CreativeSet>) -> Campaign {
        Campaign {
            id: id.into(),
            advertiser_id: advertiser.into(),
            priority: 1,
            value_micros: 2_500_000,
            flight: Flight {
                start_ms: 1_700_000_000_000,
                end_ms: 1_800_000_000_000,
            },
            daily_cap: 5,
            pass_through_bp: 10_000,
            dayparts: vec![Daypart {
                days: 0x1f,
                start_minute: 8 * 60,
                end_minute: 1440,
            }],
            geo: vec!["DE".into(), "US-CA".into(), "AT".into()],
            locales: vec!["de".into(), "en-GB".into(), "es-419".into()],
            os: vec![Os::Android, Os::Ios],
            app_sections: vec!["news".into(), "sport_live".into()],
            creative_sets: sets,
        }
    }

    /// Two advertisers, two campaigns, three sets, five creatives; all valid.
    fn valid() -> Catalog {
        Catalog {
            taxonomy_version: tax().version().to_string(),
            region: "DE".into(),
            advertisers: vec![
                Advertiser {
                    id: "adv-1".into(),
                    name: "Schuhhaus Müller".into(),
                },
                Advertiser {
                    id: "adv-2".into(),
                    name: "Kicker Sport".into(),
                },
            ],
            campaigns: vec![
                campaign(
                    "c1",
                    "adv-1",
                    vec![
                        set("c1.s1", &["c1.s1.k1", "c1.s1.k2"]),
                        set("c1.s2", &["c1.s2.k1"]),
                    ],
                ),
                campaign("c2", "adv-2", vec![set("c2.s1", &["c2.s1.k1", "c2.s1.k2"])]),
            ],
            models: Models {
                scoring: vec![("bias".into(), 0.5), ("recency".into(), -1.25)],
                blobs: vec![("classifier/1".into(), vec![0; 16])],
            },
        }
    }

    fn issues(c: &Catalog) -> Vec<Issue> {
        validate(c, &tax())
    }

    /// The catalog has exactly one issue, at `path`, for `rule`; returns its detail.
    #[track_caller]
    fn only(c: &Catalog, path: &str, rule: CatalogRule) -> String {
        let found = issues(c);
        assert_eq!(
            found
                .iter()
                .map(|i| (i.path.as_str(), i.rule))
                .collect::<Vec<_>>(),
            vec![(path, rule)],
            "issues: {found:#?}"
        );
        found.into_iter().next().unwrap().detail
    }

    fn set_mut(c: &mut Catalog) -> &mut CreativeSet {
        &mut c.campaigns[0].creative_sets[1]
    }

    fn creative_mut(c: &mut Catalog) -> &mut Creative {
        &mut c.campaigns[1].creative_sets[0].creatives[1]
    }

    const K: &str = "campaigns[1].creative_sets[0].creatives[1]";
    const S: &str = "campaigns[0].creative_sets[1]";

    #[test]
    fn valid_catalog_has_no_issues() {
        let c = valid();
        assert_eq!(issues(&c), vec![]);
        first_error(&c, &tax()).unwrap();
    }

    #[test]
    fn limits_table_matches_the_brief() {
        assert_eq!(Limits::MAX_ID_BYTES, 64);
        assert_eq!(Limits::MAX_TITLE_CHARS, 90);
        assert_eq!(Limits::MAX_BODY_CHARS, 300);
        assert_eq!(Limits::MAX_CALL_TO_ACTION_CHARS, 30);
        assert_eq!(Limits::MAX_URL_BYTES, 512);
        assert_eq!(Limits::MAX_CREATIVES, 250_000);
        assert_eq!(Limits::MAX_MODEL_BLOB_BYTES, 8 << 20);
    }

    // ---- DuplicateId -------------------------------------------------------

    #[test]
    fn duplicate_ids_share_one_space_across_campaign_set_creative() {
        // A creative reusing a campaign id.
        let mut c = valid();
        creative_mut(&mut c).id = "c1".into();
        let d = only(&c, &format!("{K}.id"), CatalogRule::DuplicateId);
        assert!(d.contains("already used by campaigns[0]"), "{d}");

        // A set reusing a creative id.
        let mut c = valid();
        c.campaigns[1].creative_sets[0].id = "c1.s1.k2".into();
        let d = only(
            &c,
            "campaigns[1].creative_sets[0].id",
            CatalogRule::DuplicateId,
        );
        assert!(
            d.contains("campaigns[0].creative_sets[0].creatives[1]"),
            "{d}"
        );

        // A campaign reusing a set id.
        let mut c = valid();
        c.campaigns[1].id = "c1.s2".into();
        only(&c, "campaigns[1].id", CatalogRule::DuplicateId);

        // Two creatives with the same id in one set.
        let mut c = valid();
        c.campaigns[0].creative_sets[0].creatives[1].id = "c1.s1.k1".into();
        only(
            &c,
            "campaigns[0].creative_sets[0].creatives[1].id",
            CatalogRule::DuplicateId,
        );
    }

    #[test]
    fn duplicate_advertiser_ids() {
        let mut c = valid();
        c.advertisers[1].id = "adv-1".into();
        // The second campaign now dangles too.
        let found = issues(&c);
        assert_eq!(found[0].path, "advertisers[1].id");
        assert_eq!(found[0].rule, CatalogRule::DuplicateId);
        assert!(found[0].detail.contains("advertisers[0]"));
        assert_eq!(found[1].path, "campaigns[1].advertiser_id");
        assert_eq!(found[1].rule, CatalogRule::DanglingReference);
        assert_eq!(found.len(), 2);
    }

    #[test]
    fn advertiser_and_campaign_ids_are_separate_spaces() {
        let mut c = valid();
        c.advertisers[0].id = "c1".into();
        c.campaigns[0].advertiser_id = "c1".into();
        assert_eq!(issues(&c), vec![]);
    }

    #[test]
    fn duplicate_list_entries() {
        let mut c = valid();
        set_mut(&mut c).include_topics[1].topic = "483".into();
        let d = only(
            &c,
            &format!("{S}.include_topics[1].topic"),
            CatalogRule::DuplicateId,
        );
        assert!(d.contains("include_topics[0]"), "{d}");

        let mut c = valid();
        set_mut(&mut c).exclude_topics.push("1".into());
        only(
            &c,
            &format!("{S}.exclude_topics[1]"),
            CatalogRule::DuplicateId,
        );

        let mut c = valid();
        c.campaigns[0].geo.push("DE".into());
        let d = only(&c, "campaigns[0].geo[3]", CatalogRule::DuplicateId);
        assert!(d.contains("geo[0]"), "{d}");

        let mut c = valid();
        c.campaigns[0].locales.push("en-GB".into());
        only(&c, "campaigns[0].locales[3]", CatalogRule::DuplicateId);

        let mut c = valid();
        c.campaigns[0].os.push(Os::Android);
        let d = only(&c, "campaigns[0].os[2]", CatalogRule::DuplicateId);
        assert!(d.contains("os[0]"), "{d}");

        let mut c = valid();
        c.campaigns[0].app_sections.push("news".into());
        only(&c, "campaigns[0].app_sections[2]", CatalogRule::DuplicateId);

        let mut c = valid();
        set_mut(&mut c).traits.push("spending_tier=premium".into());
        only(&c, &format!("{S}.traits[2]"), CatalogRule::DuplicateId);

        let mut c = valid();
        c.models.scoring.push(("bias".into(), 1.0));
        only(&c, "models.scoring[2]", CatalogRule::DuplicateId);
    }

    #[test]
    fn duplicates_in_long_lists_use_the_hash_path() {
        let mut c = valid();
        let codes: Vec<String> = (b'A'..=b'Z').map(|b| format!("D{}", b as char)).collect();
        c.campaigns[0].geo = codes.clone();
        c.campaigns[0].geo.push("DQ".into());
        assert!(c.campaigns[0].geo.len() > SMALL_LIST);
        let d = only(&c, "campaigns[0].geo[26]", CatalogRule::DuplicateId);
        assert!(d.contains("geo[16]"), "{d}");
        // A second long list in the same catalog starts from a clean slate.
        c.campaigns[1].geo = codes;
        only(&c, "campaigns[0].geo[26]", CatalogRule::DuplicateId);
    }

    #[test]
    fn exact_walk_reports_only_real_duplicates() {
        // The second walk (after a repeated hash) knows every id's first place:
        // an id at its own first place is never a duplicate, even if its hash
        // repeated another id's.
        let t = tax();
        let c = valid();
        let mut ch = Checker::new(&c, &t, usize::MAX, Some(first_locations(&c)));
        assert!(ch.catalog(&c).is_ok());
        assert_eq!(ch.issues, vec![]);
        assert!(ch.id_hashes.is_empty());

        let mut c = valid();
        creative_mut(&mut c).id = "c1.s1".into();
        let mut ch = Checker::new(&c, &t, usize::MAX, Some(first_locations(&c)));
        assert!(ch.catalog(&c).is_ok());
        let got: Vec<_> = ch.issues.iter().map(|i| (i.path.clone(), i.rule)).collect();
        assert_eq!(got, vec![(format!("{K}.id"), CatalogRule::DuplicateId)]);
        assert!(
            ch.issues[0]
                .detail
                .contains("campaigns[0].creative_sets[0]")
        );
    }

    #[test]
    fn repeats_are_found_in_any_order() {
        assert!(!has_repeats(&mut []));
        assert!(!has_repeats(&mut [3, 1, 2]));
        assert!(has_repeats(&mut [3, 1, 2, 1]));
        assert!(has_repeats(&mut [u64::MAX, 0, u64::MAX]));
    }

    #[test]
    fn first_error_orders_duplicates_among_other_issues() {
        // A duplicate before another issue: the duplicate comes first.
        let mut c = valid();
        c.campaigns[0].creative_sets[1].creatives[0].id = "c1".into();
        c.campaigns[1].priority = 10;
        let e = first_error(&c, &tax()).unwrap_err();
        assert!(
            matches!(&e, Error::CatalogInvalid { rule: CatalogRule::DuplicateId, path, .. }
                if path == "campaigns[0].creative_sets[1].creatives[0].id"),
            "{e:?}"
        );
        // Another issue before a duplicate: that issue comes first.
        let mut c = valid();
        c.campaigns[0].priority = 10;
        creative_mut(&mut c).id = "c1".into();
        let e = first_error(&c, &tax()).unwrap_err();
        assert!(
            matches!(&e, Error::CatalogInvalid { rule: CatalogRule::Range, path, .. }
                if path == "campaigns[0].priority"),
            "{e:?}"
        );
        assert_eq!(issues(&c).len(), 2);
    }

    #[test]
    fn id_hashes_are_distinct_for_similar_ids() {
        let mut ids = Vec::new();
        for c in 0..2_000 {
            ids.push(format!("cmp-{c}"));
            for s in 0..3 {
                ids.push(format!("cmp-{c}.set-{s}"));
                for k in 0..4 {
                    ids.push(format!("cmp-{c}.set-{s}.cr-{k}"));
                }
            }
        }
        ids.extend((0..20_000u32).map(|i| i.to_string()));
        ids.extend((1..=64).map(|n| "a".repeat(n)));
        ids.push(String::new());
        let mut hashes: Vec<u64> = ids.iter().map(|i| hash_id(i)).collect();
        hashes.sort_unstable();
        hashes.dedup();
        assert_eq!(hashes.len(), ids.len());
    }

    // ---- DanglingReference ---------------------------------------------------

    #[test]
    fn dangling_advertiser() {
        let mut c = valid();
        c.campaigns[1].advertiser_id = "adv-9".into();
        let d = only(
            &c,
            "campaigns[1].advertiser_id",
            CatalogRule::DanglingReference,
        );
        assert!(d.contains("\"adv-9\""), "{d}");
    }

    #[test]
    fn unknown_topics() {
        let mut c = valid();
        set_mut(&mut c).include_topics[1].topic = "no-such-topic".into();
        only(
            &c,
            &format!("{S}.include_topics[1].topic"),
            CatalogRule::DanglingReference,
        );

        let mut c = valid();
        set_mut(&mut c).exclude_topics[0] = "99999".into();
        only(
            &c,
            &format!("{S}.exclude_topics[0]"),
            CatalogRule::DanglingReference,
        );
    }

    // ---- SensitiveTopic ------------------------------------------------------

    #[test]
    fn sensitive_include_topic() {
        let mut c = valid();
        // Diabetes is sensitive through its own mark; its bad weight is not
        // reported in addition.
        set_mut(&mut c).include_topics[0] = TopicTarget {
            topic: "317".into(),
            min_weight: f32::NAN,
        };
        let d = only(
            &c,
            &format!("{S}.include_topics[0].topic"),
            CatalogRule::SensitiveTopic,
        );
        assert!(d.contains("health") && d.contains("Diabetes"), "{d}");

        // A repeated sensitive topic is reported as sensitive, not duplicate.
        let mut c = valid();
        for t in &mut set_mut(&mut c).include_topics {
            t.topic = "453".into();
        }
        let found = issues(&c);
        assert_eq!(found.len(), 2);
        assert!(found.iter().all(|i| i.rule == CatalogRule::SensitiveTopic));
    }

    #[test]
    fn sensitive_exclude_topic() {
        let mut c = valid();
        set_mut(&mut c).exclude_topics = vec!["1".into(), "453".into()];
        let d = only(
            &c,
            &format!("{S}.exclude_topics[1]"),
            CatalogRule::SensitiveTopic,
        );
        assert!(d.contains("religion") && d.contains("anti-targeted"), "{d}");
    }

    #[test]
    fn descendant_of_sensitive_topic_is_sensitive() {
        let t = tax();
        let religion = t.idx("453").unwrap();
        let child = t
            .topics()
            .iter()
            .find(|x| x.parent == Some(religion))
            .expect("religion has children")
            .id
            .clone();
        let mut c = valid();
        set_mut(&mut c).include_topics[0].topic = child;
        let d = only(
            &c,
            &format!("{S}.include_topics[0].topic"),
            CatalogRule::SensitiveTopic,
        );
        assert!(d.contains("religion"), "{d}");
    }

    // ---- HttpsUrl ------------------------------------------------------------

    #[test]
    fn http_url() {
        let mut c = valid();
        creative_mut(&mut c).click_url = "http://shop.example.com/".into();
        let d = only(&c, &format!("{K}.click_url"), CatalogRule::HttpsUrl);
        assert!(d.contains("http://"), "{d}");
    }

    #[test]
    fn url_with_space() {
        let mut c = valid();
        creative_mut(&mut c).image_url = Some("https://cdn.example.com/a b.png".into());
        let d = only(&c, &format!("{K}.image_url"), CatalogRule::HttpsUrl);
        assert!(d.contains("whitespace") && d.contains("byte 25"), "{d}");
    }

    #[test]
    fn url_with_userinfo() {
        let mut c = valid();
        creative_mut(&mut c).click_url = "https://shop.example.com@evil.example/".into();
        let d = only(&c, &format!("{K}.click_url"), CatalogRule::HttpsUrl);
        assert!(d.contains("userinfo"), "{d}");
    }

    #[test]
    fn url_without_host() {
        let mut c = valid();
        creative_mut(&mut c).click_url = "https:///path".into();
        let d = only(&c, &format!("{K}.click_url"), CatalogRule::HttpsUrl);
        assert!(d.contains("no host"), "{d}");
    }

    #[test]
    fn url_checker_accepts() {
        for u in [
            "https://example.com",
            "https://example.com/",
            "https://a.b.example.co.uk/path/to?q=1&r=%20#frag",
            "https://EXAMPLE.com:8443/x",
            "https://xn--mnchen-3ya.de/",
            "https://1.2.3.4/",
            "https://example.com?q",
            "https://example.com#top",
            "https://example.com/ümlaut",
            "https://example.com/a@b", // `@` in the path is not userinfo
        ] {
            assert_eq!(check_https_url(u, false), Ok(()), "{u}");
        }
        assert_eq!(
            check_https_url(&format!("https://example.com/{}", "a".repeat(492)), false),
            Ok(())
        );
    }

    #[test]
    fn url_checker_rejects() {
        for (u, why) in [
            ("", "empty"),
            ("http://example.com/", "http://"),
            ("HTTPS://example.com/", "must start with https://"),
            ("ftp://example.com/", "must start with https://"),
            ("//example.com/", "must start with https://"),
            ("https://", "no host"),
            ("https://:443/", "no host"),
            ("https://?q", "no host"),
            ("https://localhost/", "needs a dot"),
            ("https://example/", "needs a dot"),
            ("https://.example.com/", "starts or ends with a dot"),
            ("https://example.com./", "starts or ends with a dot"),
            ("https://a..example.com/", "empty label"),
            ("https://-a.example.com/", "`-`"),
            ("https://a-.example.com/", "`-`"),
            ("https://user@example.com/", "userinfo"),
            ("https://user:pw@example.com/", "userinfo"),
            ("https://exa_mple.com/", "'_'"),
            ("https://exämple.com/", "'ä'"),
            ("https://[::1]/", "'['"),
            ("https://example.com\\@evil.com/", "userinfo"),
            ("https://example.com\\.evil.com/", "'\\\\'"),
            ("https://*.example.com/", "'*'"),
            ("https://example.com:/", "port"),
            ("https://example.com:0/", "port"),
            ("https://example.com:65536/", "port"),
            ("https://example.com:80a/", "port"),
            ("https://example.com:1:2/", "port"),
            ("https://example.com/a b", "whitespace"),
            ("https://example.com/a\tb", "whitespace"),
            ("https://example.com/\u{7f}", "control"),
            ("https://example.com/\u{85}", "control"),
            ("https://example.com/\u{a0}", "whitespace"),
            ("https://example.com/\u{2028}", "whitespace"),
            (" https://example.com/", "whitespace"),
            ("https://example.com/\n", "whitespace"),
        ] {
            let err = check_https_url(u, false).expect_err(u);
            assert!(err.contains(why), "{u:?}: {err:?} should mention {why:?}");
        }
        let long = format!("https://example.com/{}", "a".repeat(493));
        assert!(
            check_https_url(&long, false)
                .unwrap_err()
                .contains("513 bytes")
        );
        let host = format!("https://{}com/", "abcdefgh.".repeat(28));
        assert!(
            check_https_url(&host, false)
                .unwrap_err()
                .contains("255 bytes")
        );
        assert!(!https_url_fast_ok(host.as_bytes(), false));
        let label = format!("https://{}.com/", "a".repeat(64));
        assert!(check_https_url(&label, false).unwrap_err().contains("63"));
    }

    proptest::proptest! {
        /// The one-pass fast path never accepts what the explaining check rejects.
        #[test]
        fn url_fast_path_agrees_with_the_strict_check(
            u in "(https?://)?([a-zA-Z0-9.*:@_\\[\\]-]{0,24}|[a-z0-9.-]{0,70})([/?#][ -~\u{e4}\u{a0}]{0,12})?",
            wildcard in proptest::bool::ANY,
        ) {
            let fast = https_url_fast_ok(u.as_bytes(), wildcard);
            let strict = https_url_problem(&u, wildcard);
            if fast {
                proptest::prop_assert_eq!(strict, Ok(()));
            } else if strict.is_ok() && printable_ascii(&u, false) {
                // The fast path may only pass on long hosts.
                let host = u["https://".len()..].split([':', '/', '?', '#']).next().unwrap_or("");
                proptest::prop_assert!(host.len() > Limits::MAX_HOST_LABEL_BYTES, "{u:?}");
            }
        }
    }

    #[test]
    fn url_fast_path_takes_ordinary_urls() {
        for u in [
            "https://example.com",
            "https://a.b.example.co.uk/path/to?q=1&r=%20#frag",
            "https://EXAMPLE.com:8443/x",
            "https://shop.example.com/boots?utm_source=hearth",
        ] {
            assert!(https_url_fast_ok(u.as_bytes(), false), "{u}");
        }
        assert!(https_url_fast_ok(b"https://*.example.com/*", true));
        // Non-ASCII is left to the strict check, which accepts it in the path.
        assert!(!https_url_fast_ok(
            "https://example.com/ü".as_bytes(),
            false
        ));
        assert_eq!(check_https_url("https://example.com/ü", false), Ok(()));
    }

    #[test]
    fn urls_sharing_a_checked_host_are_still_checked() {
        // After `https://shop.example.com/…` passed, URLs that merely start with
        // the same characters get the full check.
        for (bad, why) in [
            ("https://shop.example.com@evil.example/", "userinfo"),
            ("https://shop.example.com:0/", "port"),
            ("https://shop.example.com/a b", "whitespace"),
            ("https://shop.example.com/\u{7f}", "control"),
            ("https://shop.example.com_x/", "'_'"),
            ("https://shop.example.com./", "dot"),
            ("https://shop.example.com", ""),
            ("https://shop.example.com?q", ""),
            ("https://shop.example.com/ümlaut", ""),
        ] {
            let mut c = valid();
            let set = &mut c.campaigns[1].creative_sets[0];
            set.creatives[0].click_url = "https://shop.example.com/first".into();
            set.creatives[1].click_url = bad.into();
            let found = issues(&c);
            if why.is_empty() {
                assert_eq!(found, vec![], "{bad:?} is valid");
            } else {
                assert_eq!(found.len(), 1, "{bad:?}: {found:#?}");
                assert_eq!(found[0].path, format!("{K}.click_url"));
                assert!(
                    found[0].detail.contains(why),
                    "{bad:?}: {}",
                    found[0].detail
                );
            }
        }
        // Each kind of URL remembers its own host: a pattern host with `*` does
        // not let a click URL with `*` through.
        let mut c = valid();
        set_mut(&mut c).conversion.as_mut().unwrap().url_pattern =
            Some("https://*.example.com/x".into());
        set_mut(&mut c).creatives[0].click_url = "https://*.example.com/y".into();
        only(
            &c,
            &format!("{S}.creatives[0].click_url"),
            CatalogRule::HttpsUrl,
        );
    }

    #[test]
    fn url_patterns_allow_wildcards() {
        for p in [
            "https://*.example.com/*",
            "https://shop.example.com/thanks*",
            "https://shop.example.com/order/*/done",
        ] {
            assert_eq!(check_https_url(p, true), Ok(()), "{p}");
        }
        let mut c = valid();
        set_mut(&mut c).conversion.as_mut().unwrap().url_pattern =
            Some("shop.example.com/*".into());
        only(
            &c,
            &format!("{S}.conversion.url_pattern"),
            CatalogRule::StringFormat,
        );
    }

    // ---- StringFormat --------------------------------------------------------

    #[test]
    fn bad_geo_codes() {
        for bad in [
            "de", "D", "DEU", "D1", "US-", "US-CALI", "US_CA", "US-ca", " DE", "",
        ] {
            let mut c = valid();
            c.campaigns[1].geo[1] = bad.into();
            only(&c, "campaigns[1].geo[1]", CatalogRule::StringFormat);
        }
        for good in ["FR", "US-NY", "GB-ENG", "FR-75", "CN-11"] {
            assert_eq!(check_geo(good), Ok(()), "{good}");
        }
    }

    #[test]
    fn bad_locales() {
        for bad in [
            "DE", "d", "deut", "en-gb", "en_GB", "en-G", "es-41", "en-GBR", "en-", "",
        ] {
            let mut c = valid();
            c.campaigns[0].locales[2] = bad.into();
            only(&c, "campaigns[0].locales[2]", CatalogRule::StringFormat);
        }
        for good in ["en", "fil", "pt-BR", "es-419", "gsw-CH"] {
            assert_eq!(check_locale(good), Ok(()), "{good}");
        }
    }

    #[test]
    fn bad_ids() {
        let long = "x".repeat(65);
        for bad in ["", "has space", "ümlaut", "a/b", long.as_str()] {
            let mut c = valid();
            creative_mut(&mut c).id = bad.into();
            only(&c, &format!("{K}.id"), CatalogRule::StringFormat);
        }
        let mut c = valid();
        c.advertisers[0].id = "adv 1".into();
        // The advertiser's campaign then dangles.
        let found = issues(&c);
        assert_eq!(
            found
                .iter()
                .map(|i| (i.path.as_str(), i.rule))
                .collect::<Vec<_>>(),
            vec![
                ("advertisers[0].id", CatalogRule::StringFormat),
                ("campaigns[0].advertiser_id", CatalogRule::DanglingReference),
            ]
        );
        let mut c = valid();
        set_mut(&mut c).item_ids[0] = "sku 1".into();
        only(&c, &format!("{S}.item_ids[0]"), CatalogRule::StringFormat);
        assert_eq!(check_id(&"a".repeat(64)), Ok(()));
    }

    #[test]
    fn over_long_title() {
        let mut c = valid();
        creative_mut(&mut c).title = "é".repeat(90);
        assert_eq!(issues(&c), vec![], "90 chars (180 bytes) are fine");
        creative_mut(&mut c).title = "a".repeat(91);
        let d = only(&c, &format!("{K}.title"), CatalogRule::StringFormat);
        assert_eq!(d, "title is 91 characters, the limit is 90");
    }

    #[test]
    fn empty_and_blank_texts() {
        let mut c = valid();
        creative_mut(&mut c).title = String::new();
        only(&c, &format!("{K}.title"), CatalogRule::StringFormat);
        let mut c = valid();
        creative_mut(&mut c).call_to_action = "   ".into();
        let d = only(
            &c,
            &format!("{K}.call_to_action"),
            CatalogRule::StringFormat,
        );
        assert!(d.contains("blank"), "{d}");
        let mut c = valid();
        creative_mut(&mut c).body = String::new();
        assert_eq!(issues(&c), vec![], "an empty body is fine");
        let mut c = valid();
        creative_mut(&mut c).call_to_action = "x".repeat(31);
        only(
            &c,
            &format!("{K}.call_to_action"),
            CatalogRule::StringFormat,
        );
        let mut c = valid();
        creative_mut(&mut c).body = "x".repeat(301);
        only(&c, &format!("{K}.body"), CatalogRule::StringFormat);
        let mut c = valid();
        c.advertisers[1].name = String::new();
        only(&c, "advertisers[1].name", CatalogRule::StringFormat);
        let mut c = valid();
        c.region = "x".repeat(17);
        only(&c, "region", CatalogRule::StringFormat);
        let mut c = valid();
        c.taxonomy_version = String::new();
        only(&c, "taxonomy_version", CatalogRule::StringFormat);
    }

    #[test]
    fn control_char_in_body() {
        for (body, code) in [
            ("line one\nline two", "U+000A"),
            ("tab\there", "U+0009"),
            ("nul\0", "U+0000"),
            ("del\u{7f}", "U+007F"),
            ("Grüße\u{9b}", "U+009B"),
        ] {
            let mut c = valid();
            creative_mut(&mut c).body = body.into();
            let d = only(&c, &format!("{K}.body"), CatalogRule::StringFormat);
            assert!(d.contains(code), "{d}");
        }
        let mut c = valid();
        c.advertisers[0].name = "Evil\u{1b}[31m".into();
        only(&c, "advertisers[0].name", CatalogRule::StringFormat);
    }

    #[test]
    fn printable_ascii_matches_the_slow_check() {
        for len in 0..20 {
            for bad in [0u8, 0x09, 0x1f, 0x20, 0x7f, 0x80, 0xff] {
                for pos in 0..len {
                    let mut b = vec![b'a'; len];
                    b[pos] = bad;
                    let s = String::from_utf8_lossy(&b).into_owned();
                    let slow = |space_ok: bool| {
                        s.bytes()
                            .all(|c| (if space_ok { 0x20 } else { 0x21 }..0x7f).contains(&c))
                    };
                    assert_eq!(printable_ascii(&s, true), slow(true), "{s:?}");
                    assert_eq!(printable_ascii(&s, false), slow(false), "{s:?}");
                }
            }
        }
        assert!(printable_ascii(" ~}{!", true));
    }

    #[test]
    fn bad_sections_traits_and_keys() {
        for bad in ["News", "", "a b", &"x".repeat(33)] {
            let mut c = valid();
            c.campaigns[0].app_sections[0] = bad.into();
            only(
                &c,
                "campaigns[0].app_sections[0]",
                CatalogRule::StringFormat,
            );
        }
        for bad in [
            "premium",
            "=premium",
            "tier=",
            "Tier=x",
            "tier=pre:mium",
            "a=b=c",
            "a = b",
        ] {
            let mut c = valid();
            set_mut(&mut c).traits[1] = bad.into();
            only(&c, &format!("{S}.traits[1]"), CatalogRule::StringFormat);
        }
        let mut c = valid();
        set_mut(&mut c).conversion.as_mut().unwrap().event_name = Some(String::new());
        only(
            &c,
            &format!("{S}.conversion.event_name"),
            CatalogRule::StringFormat,
        );
        let mut c = valid();
        c.models.blobs[0].0 = "k".repeat(65);
        only(&c, "models.blobs[0]", CatalogRule::StringFormat);
    }

    // ---- Range ---------------------------------------------------------------

    #[test]
    fn numeric_ranges() {
        type Edit = fn(&mut Catalog);
        let cases: [(Edit, &str); 16] = [
            (|c| c.campaigns[0].priority = 10, "campaigns[0].priority"),
            (
                |c| c.campaigns[0].value_micros = Limits::MAX_VALUE_MICROS + 1,
                "campaigns[0].value_micros",
            ),
            (
                |c| c.campaigns[0].flight.end_ms = c.campaigns[0].flight.start_ms,
                "campaigns[0].flight.start_ms",
            ),
            (
                |c| c.campaigns[0].pass_through_bp = 0,
                "campaigns[0].pass_through_bp",
            ),
            (
                |c| c.campaigns[0].pass_through_bp = 10_001,
                "campaigns[0].pass_through_bp",
            ),
            (
                |c| c.campaigns[0].dayparts[0].days = 0,
                "campaigns[0].dayparts[0].days",
            ),
            (
                |c| c.campaigns[0].dayparts[0].days = 0x80,
                "campaigns[0].dayparts[0].days",
            ),
            (
                |c| c.campaigns[0].dayparts[0].end_minute = 1441,
                "campaigns[0].dayparts[0].end_minute",
            ),
            (
                |c| c.campaigns[0].dayparts[0].start_minute = 1440,
                "campaigns[0].dayparts[0].start_minute",
            ),
            (
                |c| set_mut(c).include_topics[1].min_weight = -0.1,
                "campaigns[0].creative_sets[1].include_topics[1].min_weight",
            ),
            (
                |c| set_mut(c).include_topics[1].min_weight = f32::INFINITY,
                "campaigns[0].creative_sets[1].include_topics[1].min_weight",
            ),
            (
                |c| set_mut(c).include_topics[0].min_weight = 1.5e6,
                "campaigns[0].creative_sets[1].include_topics[0].min_weight",
            ),
            (
                |c| set_mut(c).conversion.as_mut().unwrap().window_days = 0,
                "campaigns[0].creative_sets[1].conversion.window_days",
            ),
            (
                |c| set_mut(c).conversion.as_mut().unwrap().window_days = 91,
                "campaigns[0].creative_sets[1].conversion.window_days",
            ),
            (
                |c| set_mut(c).embedding = vec![1; 65],
                "campaigns[0].creative_sets[1].embedding",
            ),
            (|c| c.models.scoring[1].1 = f32::NAN, "models.scoring[1]"),
        ];
        for (edit, path) in cases {
            let mut c = valid();
            edit(&mut c);
            only(&c, path, CatalogRule::Range);
        }
        // The edges are accepted.
        let mut c = valid();
        c.campaigns[0].priority = 9;
        c.campaigns[0].value_micros = Limits::MAX_VALUE_MICROS;
        c.campaigns[0].pass_through_bp = 1;
        c.campaigns[0].dayparts[0] = Daypart {
            days: 0x7f,
            start_minute: 0,
            end_minute: 1,
        };
        set_mut(&mut c).include_topics[0].min_weight = 1e6;
        set_mut(&mut c).conversion.as_mut().unwrap().window_days = 90;
        assert_eq!(issues(&c), vec![]);
    }

    #[test]
    fn conversion_without_event_or_pattern() {
        let mut c = valid();
        let conv = set_mut(&mut c).conversion.as_mut().unwrap();
        conv.event_name = None;
        conv.url_pattern = None;
        let d = only(&c, &format!("{S}.conversion"), CatalogRule::Range);
        assert!(d.contains("event_name") && d.contains("url_pattern"), "{d}");
        // Either one alone is enough.
        let mut c = valid();
        set_mut(&mut c).conversion.as_mut().unwrap().event_name = None;
        assert_eq!(issues(&c), vec![]);
    }

    #[test]
    fn embedding_dimension_mismatch() {
        let mut c = valid();
        set_mut(&mut c).embedding = vec![1, 2, 3];
        let d = only(&c, &format!("{S}.embedding"), CatalogRule::Range);
        assert!(
            d.contains("3 components")
                && d.contains("campaigns[0].creative_sets[0].embedding")
                && d.contains("has 4"),
            "{d}"
        );
        // Empty embeddings are fine and do not set the reference length.
        let mut c = valid();
        c.campaigns[0].creative_sets[0].embedding.clear();
        c.campaigns[0].creative_sets[1].embedding = vec![5; 8];
        let d = only(
            &c,
            "campaigns[1].creative_sets[0].embedding",
            CatalogRule::Range,
        );
        assert!(d.contains("campaigns[0].creative_sets[1].embedding"), "{d}");
    }

    // ---- Count ---------------------------------------------------------------

    #[test]
    fn counts() {
        // 33 include topics: the count, and the repeats among them.
        let t = tax();
        let ok_topics: Vec<String> = t
            .topics()
            .iter()
            .filter(|x| !x.sensitive)
            .take(33)
            .map(|x| x.id.clone())
            .collect();
        let mut c = valid();
        set_mut(&mut c).include_topics = ok_topics
            .iter()
            .map(|id| TopicTarget {
                topic: id.clone(),
                min_weight: 0.5,
            })
            .collect();
        set_mut(&mut c).exclude_topics.clear();
        let d = only(&c, &format!("{S}.include_topics"), CatalogRule::Count);
        assert_eq!(d, "33 include_topics, the limit is 32");
        let mut c = valid();
        set_mut(&mut c).exclude_topics = ok_topics;
        only(&c, &format!("{S}.exclude_topics"), CatalogRule::Count);

        let mut c = valid();
        set_mut(&mut c).traits = (0..17).map(|i| format!("t{i}=x")).collect();
        only(&c, &format!("{S}.traits"), CatalogRule::Count);

        let mut c = valid();
        set_mut(&mut c).item_ids = (0..65).map(|i| format!("sku{i}")).collect();
        only(&c, &format!("{S}.item_ids"), CatalogRule::Count);

        let mut c = valid();
        c.campaigns[0].dayparts = vec![c.campaigns[0].dayparts[0]; 29];
        only(&c, "campaigns[0].dayparts", CatalogRule::Count);

        let mut c = valid();
        c.campaigns[0].geo = (0..257)
            .map(|i| format!("DE-{}", i % 1000))
            .collect::<Vec<_>>();
        // 257 distinct subdivision codes ("DE-0" … "DE-256").
        only(&c, "campaigns[0].geo", CatalogRule::Count);

        let mut c = valid();
        c.campaigns[0].locales = (0..65).map(|i| format!("en-{:03}", i)).collect();
        only(&c, "campaigns[0].locales", CatalogRule::Count);

        let mut c = valid();
        c.campaigns[0].app_sections = (0..65).map(|i| format!("s{i}")).collect();
        only(&c, "campaigns[0].app_sections", CatalogRule::Count);

        let mut c = valid();
        c.campaigns[1].creative_sets.clear();
        let d = only(&c, "campaigns[1].creative_sets", CatalogRule::Count);
        assert!(d.contains("0 creative sets"), "{d}");

        let mut c = valid();
        set_mut(&mut c).creatives.clear();
        only(&c, &format!("{S}.creatives"), CatalogRule::Count);

        let mut c = valid();
        set_mut(&mut c).creatives = (0..101).map(|i| creative(&format!("x{i}"))).collect();
        only(&c, &format!("{S}.creatives"), CatalogRule::Count);

        let mut c = valid();
        let template = c.campaigns[1].creative_sets[0].clone();
        c.campaigns[1].creative_sets = (0..101)
            .map(|i| {
                let mut s = template.clone();
                s.id = format!("c2.x{i}");
                for (k, cr) in s.creatives.iter_mut().enumerate() {
                    cr.id = format!("c2.x{i}.k{k}");
                }
                s
            })
            .collect();
        only(&c, "campaigns[1].creative_sets", CatalogRule::Count);

        let mut c = valid();
        c.models
            .blobs
            .push(("big".into(), vec![0; Limits::MAX_MODEL_BLOB_BYTES]));
        only(&c, "models.blobs", CatalogRule::Count);

        let mut c = valid();
        c.advertisers = (0..10_001)
            .map(|i| Advertiser {
                id: format!("adv-{i}"),
                name: "A".into(),
            })
            .collect();
        only(&c, "advertisers", CatalogRule::Count);
    }

    #[test]
    fn total_creatives_and_campaigns() {
        // Catalog-wide counts are reported before any campaign is walked, so
        // `first_error` sees them first even when the entries are bare clones.
        let t = tax();
        let bare = Campaign {
            id: String::new(),
            advertiser_id: String::new(),
            priority: 0,
            value_micros: 0,
            flight: Flight {
                start_ms: 0,
                end_ms: 1,
            },
            daily_cap: 0,
            pass_through_bp: 1,
            dayparts: vec![],
            geo: vec![],
            locales: vec![],
            os: vec![],
            app_sections: vec![],
            creative_sets: vec![],
        };
        let mut c = valid();
        c.campaigns = vec![bare; Limits::MAX_CAMPAIGNS + 1];
        match first_error(&c, &t) {
            Err(Error::CatalogInvalid { path, rule, detail }) => {
                assert_eq!((path.as_str(), rule), ("campaigns", CatalogRule::Count));
                assert_eq!(detail, "100001 campaigns, the limit is 100000");
            }
            other => panic!("expected CatalogInvalid, got {other:?}"),
        }

        let bare = Creative {
            id: String::new(),
            kind: CreativeKind::Banner,
            title: String::new(),
            body: String::new(),
            image_url: None,
            click_url: String::new(),
            call_to_action: String::new(),
        };
        let mut c = valid();
        c.campaigns[0].creative_sets[0].creatives = vec![bare; Limits::MAX_CREATIVES + 1];
        match first_error(&c, &t) {
            Err(Error::CatalogInvalid { path, rule, detail }) => {
                assert_eq!((path.as_str(), rule), ("campaigns", CatalogRule::Count));
                // 250,001 plus the three other creatives of the valid catalog.
                assert!(detail.contains("250004 creatives"), "{detail}");
            }
            other => panic!("expected CatalogInvalid, got {other:?}"),
        }
    }

    // ---- several issues, first_error ------------------------------------------

    #[test]
    fn all_issues_reported_in_document_order() {
        let mut c = valid();
        c.region = String::new();
        c.campaigns[0].priority = 12;
        c.campaigns[0].creative_sets[0].creatives[1].click_url = "http://x.example/".into();
        set_mut(&mut c).include_topics[0].topic = "317".into();
        set_mut(&mut c).exclude_topics[0] = "nope".into();
        c.campaigns[1].advertiser_id = "ghost".into();
        creative_mut(&mut c).id = "c1".into();
        creative_mut(&mut c).title = "t\r".into();
        c.models.scoring[0].1 = f32::INFINITY;
        let found = issues(&c);
        let got: Vec<_> = found.iter().map(|i| (i.path.as_str(), i.rule)).collect();
        assert_eq!(
            got,
            vec![
                ("region", CatalogRule::StringFormat),
                ("campaigns[0].priority", CatalogRule::Range),
                (
                    "campaigns[0].creative_sets[0].creatives[1].click_url",
                    CatalogRule::HttpsUrl
                ),
                (
                    "campaigns[0].creative_sets[1].include_topics[0].topic",
                    CatalogRule::SensitiveTopic
                ),
                (
                    "campaigns[0].creative_sets[1].exclude_topics[0]",
                    CatalogRule::DanglingReference
                ),
                ("campaigns[1].advertiser_id", CatalogRule::DanglingReference),
                (
                    "campaigns[1].creative_sets[0].creatives[1].id",
                    CatalogRule::DuplicateId
                ),
                (
                    "campaigns[1].creative_sets[0].creatives[1].title",
                    CatalogRule::StringFormat
                ),
                ("models.scoring[0]", CatalogRule::Range),
            ]
        );
        // Deterministic.
        assert_eq!(found, issues(&c));

        // first_error returns the first of them, typed.
        match first_error(&c, &tax()) {
            Err(Error::CatalogInvalid { path, rule, detail }) => {
                assert_eq!(path, "region");
                assert_eq!(rule, CatalogRule::StringFormat);
                assert_eq!(detail, found[0].detail);
            }
            other => panic!("expected CatalogInvalid, got {other:?}"),
        }
    }

    #[test]
    fn first_error_is_typed_and_displays_path_and_rule() {
        let mut c = valid();
        creative_mut(&mut c).click_url = "https://user@shop.example.com/".into();
        let err = first_error(&c, &tax()).unwrap_err();
        let msg = err.to_string();
        assert!(
            matches!(
                &err,
                Error::CatalogInvalid { path, rule: CatalogRule::HttpsUrl, .. } if path == &format!("{K}.click_url")
            ),
            "{err:?}"
        );
        assert!(msg.contains(K) && msg.contains("https-url"), "{msg}");
    }

    #[test]
    fn long_values_are_cut_in_details() {
        let mut c = valid();
        creative_mut(&mut c).click_url = format!("http://{}", "a".repeat(200));
        let d = only(&c, &format!("{K}.click_url"), CatalogRule::HttpsUrl);
        assert!(d.len() < 120 && d.contains('…'), "{d}");
    }

    /// A synthetic catalog of `n` creatives (four per set, two sets per campaign).
    fn big(n: usize) -> Catalog {
        let mut c = valid();
        let template = set("t", &["t.k"]);
        let per_campaign = 8;
        c.advertisers = (0..1000)
            .map(|i| Advertiser {
                id: format!("adv-{i}"),
                name: format!("Advertiser Nummer {i}"),
            })
            .collect();
        c.campaigns = (0..n / per_campaign)
            .map(|ci| {
                let sets = (0..2)
                    .map(|si| {
                        let mut s = template.clone();
                        s.id = format!("cmp-{ci}.set-{si}");
                        s.creatives = (0..4)
                            .map(|k| {
                                let mut cr = creative(&format!("cmp-{ci}.set-{si}.cr-{k}"));
                                cr.click_url = format!(
                                    "https://shop{}.example.com/landing/{ci}/{k}?src=hearth",
                                    ci % 97
                                );
                                cr
                            })
                            .collect();
                        s
                    })
                    .collect();
                campaign(&format!("cmp-{ci}"), &format!("adv-{}", ci % 1000), sets)
            })
            .collect();
        c
    }

    #[test]
    fn big_catalog_is_valid() {
        let c = big(4_000);
        assert_eq!(c.creative_count(), 4_000);
        assert_eq!(issues(&c), vec![]);
    }

    /// Timing on 100,000 creatives; run with
    /// `cargo test --release -p hearth-core validate::tests::timing -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn timing_100k_creatives() {
        // Round-trip through postcard so the heap layout is the one install sees.
        let c: Catalog =
            postcard::from_bytes(&postcard::to_allocvec(&big(100_000)).unwrap()).unwrap();
        let t = tax();
        assert_eq!(validate(&c, &t), vec![]);
        let runs = 10;
        let start = std::time::Instant::now();
        for _ in 0..runs {
            assert!(first_error(&c, &t).is_ok());
        }
        let per = start.elapsed() / runs;
        println!("validate, 100,000 creatives: {per:?} per run");
    }
}
