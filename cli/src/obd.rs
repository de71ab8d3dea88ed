//! `hearth obd`: Hearth's engagement model and ad selection measured on the
//! Open Bandit Dataset sample (ZOZOTOWN fashion recommendations, `obp==0.4.1`;
//! fetched, pinned and checksummed by `scripts/eval-data.sh`, never committed).
//!
//! # The data
//!
//! Two logs per campaign (`all`, `men`, `women`), 10,000 impressions each: one
//! collected by a uniformly random policy, one by Bernoulli Thompson sampling
//! (`bts`). Each row: `timestamp`, `item_id` (the item shown), `position` (1–3
//! in the sample), `click` (0/1), `propensity_score` (the logging policy's
//! probability of that item at that position; 1/n_items for the random log),
//! `user_feature_0..3` (hashed categorical), `user-item_affinity_<i>` for every
//! item `i` (the user's past clicks on that item). `item_context.csv` gives each
//! item `item_feature_0` (numeric, price-like) and `item_feature_1..3` (hashed
//! categorical).
//!
//! # The mapping to Hearth's world
//!
//! - **Taxonomy** (generated, version `obd-<campaign>/1`): a topic `page` (the
//!   campaign's recommendation page, the screen the ads appear on), and four
//!   facets: `f0` with children `f0/q1`..`f0/q4` (the item's `item_feature_0`
//!   quartile among the campaign's items) and `f1`, `f2`, `f3` with one child
//!   per value of `item_feature_1..3` (`f1/<value>`).
//! - **Catalog**: every item is one campaign of its own advertiser with one
//!   creative set, one creative, the same value and priority and no caps. The
//!   set targets `page` and the item's four facet topics, and carries an
//!   embedding: the one-hot encoding of the item's four facet values.
//!   Campaigns are in item-id order, so ties go to the lowest item id (the
//!   catalog order).
//! - **Users**: what the phone would know. A user's affinities (past clicks)
//!   become, in a fresh Hearth profile (the real [`Engine`], personalised
//!   consent), one content view of the clicked item's four facet topics per
//!   past click, and the item's embedding is folded into the ad taste
//!   ([`AdBook::learn_taste`]) once per past click. `user_feature_0..3` have no
//!   counterpart in Hearth's model (traits are inferred on the phone and
//!   targeted by name; nothing in the OBD catalog targets them): they are not
//!   used, except to form user segments for `--export-eval`.
//! - **Request**: every impression is a request on the screen `page`, so every
//!   item is eligible and its `context` feature is 1; `trait` is 0 (nothing is
//!   trait-targeted) and `shows_7d` is 0 (OBD does not identify users across
//!   impressions, so fatigue cannot be observed).
//!
//! Each impression runs the real selection pipeline
//! ([`hearth_core::select::select`], exploration 0, so the policy is
//! deterministic) for all items: its picks, in order, are Hearth's ranking, and
//! each pick carries the features and the probability from the real
//! [`EngagementModel`].
//!
//! # What is measured
//!
//! - **Click prediction**: the model's free parameters (those whose feature
//!   varies in the training rows; always `b0`) are fitted on the random log's
//!   first `train_share` (70%) by time, as the MAP estimate under a flat prior
//!   on `b0` and a Normal(shipped default, 1) prior on each weight (Newton's
//!   method). On the rest of the random log, and on the whole bts log: AUC
//!   (rank-based, ties count one half; 95% CI by DeLong's variance) and
//!   log-loss (95% CI from the per-row standard deviation), for a constant CTR
//!   (the training CTR), the shipped defaults and the fitted parameters; and
//!   the paired difference in log-loss against the constant.
//! - **Off-policy value** (clicks per impression): Hearth's policy shows, at
//!   position `k`, its `k`-th pick. On a log with propensities `p_i`, with
//!   `w_i = 1[logged item = Hearth's pick at that position] / p_i`: IPS
//!   `Σ w_i r_i / n` (95% CI from the terms' standard deviation) and
//!   self-normalised IPS `Σ w_i r_i / Σ w_i` (95% CI by the delta method). The
//!   logged policies' own values are their mean click rates (on-policy).
//!
//! The design matrix of the fit is read off the real model by probing one
//! parameter at a time, so the fit and the predictions cannot disagree about
//! how a feature enters.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hearth_core::ads::{AdBook, AdSnapshot};
use hearth_core::catalog::InstalledCatalog;
use hearth_core::catalog::bundle::{self, SigningKey};
use hearth_core::catalog::model::{
    Advertiser, Campaign, Catalog, Creative, CreativeKind, CreativeSet, Flight, FrequencyCaps,
    Models, TopicTarget,
};
use hearth_core::engine::MAX_FLUSH_INTERVAL_MS;
use hearth_core::profile::EventData;
use hearth_core::select::{
    self, AdContext, EngagementModel, Features, RequestContext, SelectConfig, UserSide,
};
use hearth_core::state::Consent;
use hearth_core::store::StoreKey;
use hearth_core::taxonomy::{FORMAT, Taxonomy, TaxonomyData, TopicDef, TopicIdx};
use hearth_core::{Engine, EngineConfig, ManualClock, Timestamp};
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;
use serde::Serialize;

/// z value of a two-sided 95% normal interval.
pub const Z95: f64 = 1.959_963_984_540_054;
/// Standard deviation of the Normal prior around the shipped defaults that the
/// fit puts on each weight (not on `b0`).
pub const PRIOR_SD: f64 = 1.0;
/// Past clicks on one item taken into a profile at most (an affinity above
/// this is capped; the largest in the sample is 15).
pub const MAX_CLICKS_PER_ITEM: u32 = 100;

/// The engagement model's parameter names, in the order of [`params`].
pub const PARAM_NAMES: [&str; 6] = [
    "b0",
    "w_interest",
    "w_context",
    "w_trait",
    "w_embedding",
    "w_fatigue",
];

/// Everything `hearth obd` can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ObdError {
    /// A file could not be read or written.
    #[error("cannot {what} {}: {source}", path.display())]
    Io {
        /// `read` or `write`.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The file has no header line.
    #[error("{}: empty file, expected a CSV header", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// A required column is not in the header.
    #[error("{}: line 1: missing column `{column}`", path.display())]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column's name.
        column: String,
    },
    /// A row has a different number of fields than the header.
    #[error("{}: line {line}: {found} fields, the header has {expected}", path.display())]
    FieldCount {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// Fields found.
        found: usize,
        /// Fields in the header.
        expected: usize,
    },
    /// A value does not parse or is out of range.
    #[error("{}: line {line}, column `{column}`: {reason} (value {value:?})", path.display())]
    BadValue {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// The column's name.
        column: String,
        /// The value as written.
        value: String,
        /// What is wrong.
        reason: String,
    },
    /// The files do not fit together (item ids, affinity columns).
    #[error("{}: {reason}", path.display())]
    Inconsistent {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The logged item of a row was not among the pipeline's candidates (a
    /// bug in the mapping: every item is on the page).
    #[error("line {line}: item {item} was not eligible in Hearth's pipeline")]
    Ineligible {
        /// 1-based line number in the log.
        line: usize,
        /// The item.
        item: u32,
    },
    /// A command-line value is out of range.
    #[error("{0}")]
    Usage(String),
    /// The Hearth engine refused something (a bug in the mapping).
    #[error("hearth engine: {0}")]
    Core(#[from] hearth_core::Error),
}

/// Result of this module.
pub type Result<T, E = ObdError> = std::result::Result<T, E>;

/// One of the sample's three campaigns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ObdCampaign {
    /// All items (80 in the sample).
    All,
    /// Men's items (34).
    Men,
    /// Women's items (46).
    Women,
}

impl ObdCampaign {
    /// The directory and file stem (`all`, `men`, `women`).
    pub fn name(self) -> &'static str {
        match self {
            ObdCampaign::All => "all",
            ObdCampaign::Men => "men",
            ObdCampaign::Women => "women",
        }
    }
}

// ---------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------

/// A CSV file read into memory: header and lines (no quoting: the OBD files
/// have none, and a quoted field is refused with its line and column).
struct Csv {
    path: PathBuf,
    text: String,
    header: Vec<String>,
}

impl Csv {
    fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| ObdError::Io {
            what: "read",
            path: path.to_path_buf(),
            source,
        })?;
        let header = text
            .lines()
            .next()
            .filter(|l| !l.trim().is_empty())
            .ok_or_else(|| ObdError::Empty {
                path: path.to_path_buf(),
            })?
            .trim_end_matches('\r')
            .split(',')
            .map(|s| s.trim().to_string())
            .collect();
        Ok(Self {
            path: path.to_path_buf(),
            text,
            header,
        })
    }

    fn col(&self, name: &str) -> Result<usize> {
        self.header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| ObdError::MissingColumn {
                path: self.path.clone(),
                column: name.to_string(),
            })
    }

    /// Non-blank data lines as (1-based line number, fields).
    fn rows(&self) -> impl Iterator<Item = Result<(usize, Vec<&str>)>> + '_ {
        self.text
            .lines()
            .enumerate()
            .skip(1)
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                let fields: Vec<&str> = l.trim_end_matches('\r').split(',').collect();
                if fields.len() != self.header.len() {
                    return Err(ObdError::FieldCount {
                        path: self.path.clone(),
                        line: i + 1,
                        found: fields.len(),
                        expected: self.header.len(),
                    });
                }
                Ok((i + 1, fields))
            })
    }

    fn bad(&self, line: usize, col: usize, value: &str, reason: impl Into<String>) -> ObdError {
        ObdError::BadValue {
            path: self.path.clone(),
            line,
            column: self.header.get(col).cloned().unwrap_or_default(),
            value: value.to_string(),
            reason: reason.into(),
        }
    }

    /// Field `col` of a row, refusing quoted fields.
    fn field<'a>(&self, line: usize, fields: &[&'a str], col: usize) -> Result<&'a str> {
        let v = fields.get(col).copied().unwrap_or_default().trim();
        if v.starts_with('"') {
            return Err(self.bad(line, col, v, "quoted CSV fields are not supported"));
        }
        Ok(v)
    }

    fn num(&self, line: usize, fields: &[&str], col: usize) -> Result<f64> {
        let v = self.field(line, fields, col)?;
        match v.parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(x),
            Ok(_) => Err(self.bad(line, col, v, "not a finite number")),
            Err(_) => Err(self.bad(line, col, v, "not a number")),
        }
    }

    fn int(&self, line: usize, fields: &[&str], col: usize) -> Result<u32> {
        let v = self.field(line, fields, col)?;
        v.parse::<u32>()
            .map_err(|_| self.bad(line, col, v, "not a non-negative integer"))
    }
}

/// One impression of a log.
#[derive(Debug, Clone, PartialEq)]
pub struct LogRow {
    /// 1-based line number in the file.
    pub line: usize,
    /// Time, Unix ms.
    pub time_ms: Timestamp,
    /// The item shown.
    pub item: u32,
    /// The position it was shown at (1-based).
    pub position: u32,
    /// Clicked.
    pub click: bool,
    /// The logging policy's probability of this item at this position.
    pub propensity: f64,
    /// `user_feature_0..3`.
    pub user: [String; 4],
    /// Past clicks by item, for the items with a non-zero affinity (ascending
    /// item id; values rounded to whole clicks, capped at
    /// [`MAX_CLICKS_PER_ITEM`]).
    pub clicks: Vec<(u32, u32)>,
}

/// A log file (`random/<c>/<c>.csv` or `bts/<c>/<c>.csv`), rows in time order.
#[derive(Debug, Clone)]
pub struct Log {
    /// Where it was read from.
    pub path: PathBuf,
    /// Number of `user-item_affinity_<i>` columns (= items).
    pub n_items: usize,
    /// The impressions, sorted by time (stable: equal times keep file order).
    pub rows: Vec<LogRow>,
}

fn parse_time(s: &str) -> Option<Timestamp> {
    use time::format_description::{OwnedFormatItem, parse_owned};
    use time::{OffsetDateTime, PrimitiveDateTime};
    const DATE: &str = "[year]-[month]-[day] [hour]:[minute]:[second]";
    const FRAC: &str = ".[subsecond]";
    const OFFSET: &str = "[offset_hour sign:mandatory]:[offset_minute]";
    thread_local! {
        // With offset (with and without fraction), then naive UTC.
        static FORMATS: Vec<Option<OwnedFormatItem>> = [
            format!("{DATE}{FRAC}{OFFSET}"),
            format!("{DATE}{OFFSET}"),
            format!("{DATE}{FRAC}"),
            DATE.to_string(),
        ]
        .iter()
        .map(|f| parse_owned::<1>(f).ok())
        .collect();
    }
    FORMATS.with(|fs| {
        let t = fs.iter().enumerate().find_map(|(k, f)| {
            let f = f.as_ref()?;
            if k < 2 {
                OffsetDateTime::parse(s, f).ok()
            } else {
                PrimitiveDateTime::parse(s, f)
                    .ok()
                    .map(PrimitiveDateTime::assume_utc)
            }
        })?;
        i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
    })
}

/// Read a log: checks the columns, every value, and that items and positions
/// are in range. Errors name the file, line and column.
pub fn read_log(path: &Path) -> Result<Log> {
    let csv = Csv::read(path)?;
    let c_time = csv.col("timestamp")?;
    let c_item = csv.col("item_id")?;
    let c_pos = csv.col("position")?;
    let c_click = csv.col("click")?;
    let c_prop = csv.col("propensity_score")?;
    let c_user = [
        csv.col("user_feature_0")?,
        csv.col("user_feature_1")?,
        csv.col("user_feature_2")?,
        csv.col("user_feature_3")?,
    ];
    // Affinity columns: user-item_affinity_0 .. _{n-1}, all present.
    let mut aff: Vec<(u32, usize)> = Vec::new();
    for (j, h) in csv.header.iter().enumerate() {
        if let Some(k) = h.strip_prefix("user-item_affinity_") {
            let k = k.parse::<u32>().map_err(|_| ObdError::Inconsistent {
                path: path.to_path_buf(),
                reason: format!("line 1: column `{h}` is not user-item_affinity_<item id>"),
            })?;
            aff.push((k, j));
        }
    }
    aff.sort_unstable();
    if aff.is_empty() {
        return Err(ObdError::MissingColumn {
            path: path.to_path_buf(),
            column: "user-item_affinity_0".into(),
        });
    }
    for (want, &(k, _)) in aff.iter().enumerate() {
        if k as usize != want {
            return Err(ObdError::MissingColumn {
                path: path.to_path_buf(),
                column: format!("user-item_affinity_{want}"),
            });
        }
    }
    let n_items = aff.len();
    let mut rows = Vec::new();
    for r in csv.rows() {
        let (line, f) = r?;
        let tv = csv.field(line, &f, c_time)?;
        let time_ms = parse_time(tv).ok_or_else(|| {
            csv.bad(
                line,
                c_time,
                tv,
                "not a time like 2019-11-24 00:00:34.762830+00:00",
            )
        })?;
        let item = csv.int(line, &f, c_item)?;
        if item as usize >= n_items {
            let v = csv.field(line, &f, c_item)?;
            return Err(csv.bad(
                line,
                c_item,
                v,
                format!("no such item: the file has {n_items} affinity columns"),
            ));
        }
        let position = csv.int(line, &f, c_pos)?;
        if position == 0 {
            return Err(csv.bad(line, c_pos, "0", "positions start at 1"));
        }
        let click = match csv.field(line, &f, c_click)? {
            "0" => false,
            "1" => true,
            v => return Err(csv.bad(line, c_click, v, "must be 0 or 1")),
        };
        let propensity = csv.num(line, &f, c_prop)?;
        if !(propensity > 0.0 && propensity <= 1.0) {
            let v = csv.field(line, &f, c_prop)?;
            return Err(csv.bad(line, c_prop, v, "must be within (0, 1]"));
        }
        let mut user: [String; 4] = Default::default();
        for (u, &c) in user.iter_mut().zip(&c_user) {
            *u = csv.field(line, &f, c)?.to_string();
        }
        let mut clicks = Vec::new();
        for &(k, c) in &aff {
            let a = csv.num(line, &f, c)?;
            if a < 0.0 {
                let v = csv.field(line, &f, c)?;
                return Err(csv.bad(line, c, v, "a negative affinity"));
            }
            let n = a.round().min(f64::from(MAX_CLICKS_PER_ITEM)) as u32;
            if n > 0 {
                clicks.push((k, n));
            }
        }
        rows.push(LogRow {
            line,
            time_ms,
            item,
            position,
            click,
            propensity,
            user,
            clicks,
        });
    }
    if rows.is_empty() {
        return Err(ObdError::Inconsistent {
            path: path.to_path_buf(),
            reason: "no data rows".into(),
        });
    }
    rows.sort_by_key(|r| r.time_ms);
    Ok(Log {
        path: path.to_path_buf(),
        n_items,
        rows,
    })
}

/// One item of `item_context.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// Item id (its row in the affinity columns).
    pub id: u32,
    /// `item_feature_0`.
    pub price: f64,
    /// `item_feature_1..3`.
    pub cats: [String; 3],
}

/// Read `item_context.csv`: item ids must be exactly 0..n, each once.
pub fn read_items(path: &Path) -> Result<Vec<Item>> {
    let csv = Csv::read(path)?;
    let c_id = csv.col("item_id")?;
    let c_price = csv.col("item_feature_0")?;
    let c_cat = [
        csv.col("item_feature_1")?,
        csv.col("item_feature_2")?,
        csv.col("item_feature_3")?,
    ];
    let mut items: Vec<Item> = Vec::new();
    for r in csv.rows() {
        let (line, f) = r?;
        let id = csv.int(line, &f, c_id)?;
        if items.iter().any(|i| i.id == id) {
            let v = csv.field(line, &f, c_id)?;
            return Err(csv.bad(line, c_id, v, "duplicate item id"));
        }
        let price = csv.num(line, &f, c_price)?;
        let mut cats: [String; 3] = Default::default();
        for (k, &c) in cats.iter_mut().zip(&c_cat) {
            let v = csv.field(line, &f, c)?;
            if v.is_empty() {
                return Err(csv.bad(line, c, v, "empty category"));
            }
            *k = v.to_string();
        }
        items.push(Item { id, price, cats });
    }
    items.sort_by_key(|i| i.id);
    for (want, it) in items.iter().enumerate() {
        if it.id as usize != want {
            return Err(ObdError::Inconsistent {
                path: path.to_path_buf(),
                reason: format!("item ids must be 0..{}; {want} is missing", items.len()),
            });
        }
    }
    if items.is_empty() {
        return Err(ObdError::Inconsistent {
            path: path.to_path_buf(),
            reason: "no items".into(),
        });
    }
    Ok(items)
}

// ---------------------------------------------------------------------------
// The mapping
// ---------------------------------------------------------------------------

/// FNV-1a, 64 bits: a stable hash for ids derived from arbitrary strings.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// A category value as a topic id segment: itself when it is 1..=40 bytes of
/// `A-Z a-z 0-9 _ -`, otherwise `h` + its FNV-1a hash in hex.
fn segment(v: &str) -> String {
    if !v.is_empty()
        && v.len() <= 40
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        v.to_string()
    } else {
        format!("h{:016x}", fnv1a(v.as_bytes()))
    }
}

/// The four facet topics of every item: `f0/q<quartile of item_feature_0>`,
/// `f1/<item_feature_1>`, `f2/…`, `f3/…` (see the module docs).
pub fn item_topics(items: &[Item]) -> Vec<[String; 4]> {
    let mut prices: Vec<f64> = items.iter().map(|i| i.price).collect();
    prices.sort_by(f64::total_cmp);
    let n = prices.len().max(1);
    items
        .iter()
        .map(|it| {
            let rank = prices.partition_point(|&p| p < it.price);
            let q = (rank * 4 / n).min(3) + 1;
            [
                format!("f0/q{q}"),
                format!("f1/{}", segment(&it.cats[0])),
                format!("f2/{}", segment(&it.cats[1])),
                format!("f3/{}", segment(&it.cats[2])),
            ]
        })
        .collect()
}

/// The OBD items as Hearth sees them: taxonomy, installed catalog, and each
/// item's topics and embedding.
pub struct World {
    /// The generated taxonomy.
    pub tax: Arc<Taxonomy>,
    /// The catalog, signed with a throw-away key and installed through the
    /// phone's own checks (signature, validation, index).
    pub catalog: InstalledCatalog,
    /// Facet topics per item.
    pub topics: Vec<[String; 4]>,
    /// Embedding per item (one-hot of the four facet values).
    pub embeddings: Vec<Vec<i8>>,
}

/// Longest embedding a catalog accepts.
const MAX_EMBEDDING_DIM: usize = 64;

impl World {
    /// Build the taxonomy and the catalog for these items (see the module docs).
    pub fn build(items: &[Item], campaign: &str) -> Result<Self> {
        let topics = item_topics(items);
        // Taxonomy: page, the facets, their values (sorted, deduplicated).
        let mut defs = vec![TopicDef {
            id: "page".into(),
            label: format!("OBD {campaign} recommendation page"),
            parent: None,
            sensitive: None,
        }];
        let facet_labels = [
            "item_feature_0 quartile",
            "item_feature_1",
            "item_feature_2",
            "item_feature_3",
        ];
        let mut values: Vec<Vec<String>> = vec![Vec::new(); 4];
        for t in &topics {
            for (v, id) in values.iter_mut().zip(t) {
                if !v.contains(id) {
                    v.push(id.clone());
                }
            }
        }
        for (k, (label, vals)) in facet_labels.iter().zip(values.iter_mut()).enumerate() {
            vals.sort();
            let facet = format!("f{k}");
            defs.push(TopicDef {
                id: facet.clone(),
                label: (*label).to_string(),
                parent: None,
                sensitive: None,
            });
            for v in vals.iter() {
                defs.push(TopicDef {
                    id: v.clone(),
                    label: format!("{label} = {}", v.get(3..).unwrap_or(v)),
                    parent: Some(facet.clone()),
                    sensitive: None,
                });
            }
        }
        let tax = Arc::new(Taxonomy::from_data(TaxonomyData {
            format: FORMAT.into(),
            version: format!("obd-{campaign}/1"),
            attribution: Some("Open Bandit Dataset (ZOZO, CC BY 4.0), via obp 0.4.1".into()),
            topics: defs,
        })?);
        // Embeddings: one-hot over all facet values (hashed into 64 dims if
        // there are more).
        let all: Vec<&String> = values.iter().flatten().collect();
        let dim = all.len().min(MAX_EMBEDDING_DIM);
        let embeddings: Vec<Vec<i8>> = topics
            .iter()
            .map(|t| {
                let mut e = vec![0i8; dim];
                for id in t {
                    if let Some(i) = all.iter().position(|a| *a == id)
                        && let Some(x) = e.get_mut(i % dim.max(1))
                    {
                        *x = 127;
                    }
                }
                e
            })
            .collect();
        let mut advertisers = Vec::with_capacity(items.len());
        let mut campaigns = Vec::with_capacity(items.len());
        for (it, (t, e)) in items.iter().zip(topics.iter().zip(&embeddings)) {
            let id = it.id;
            advertisers.push(Advertiser {
                id: format!("adv-{id}"),
                name: format!("OBD item {id}"),
            });
            let include_topics = std::iter::once("page".to_string())
                .chain(t.iter().cloned())
                .map(|topic| TopicTarget {
                    topic,
                    min_weight: 0.0,
                })
                .collect();
            campaigns.push(Campaign {
                id: format!("item-{id}"),
                advertiser_id: format!("adv-{id}"),
                priority: 0,
                value_micros: 1_000_000,
                flight: Flight {
                    start_ms: 0,
                    end_ms: 4_102_444_800_000, // 2100-01-01
                },
                daily_cap: 0,
                pass_through_bp: 10_000,
                dayparts: Vec::new(),
                geo: Vec::new(),
                locales: Vec::new(),
                os: Vec::new(),
                app_sections: Vec::new(),
                creative_sets: vec![CreativeSet {
                    id: format!("set-{id}"),
                    caps: FrequencyCaps::default(),
                    min_interval_s: 0,
                    include_topics,
                    exclude_topics: Vec::new(),
                    traits: Vec::new(),
                    embedding: e.clone(),
                    item_ids: vec![id.to_string()],
                    conversion: None,
                    creatives: vec![Creative {
                        id: format!("cr-{id}"),
                        kind: CreativeKind::Native,
                        title: format!("OBD item {id}"),
                        body: String::new(),
                        image_url: None,
                        click_url: format!("https://obd.example.com/item/{id}"),
                        call_to_action: "View".into(),
                    }],
                }],
            });
        }
        let catalog = Catalog {
            taxonomy_version: tax.version().to_string(),
            region: "JP".into(),
            advertisers,
            campaigns,
            models: Models::default(),
        };
        let key = SigningKey::generate()?;
        let sealed = bundle::seal(&catalog, 1, 0, 4_102_444_800_000, &key)?;
        let catalog =
            InstalledCatalog::verify_and_load(sealed, &[key.public_key()], usize::MAX, &tax)?;
        Ok(Self {
            tax,
            catalog,
            topics,
            embeddings,
        })
    }
}

/// What the phone knows about one user: dense topic weights, the top topics
/// and an ad book holding the taste.
struct UserState {
    dense: Vec<f64>,
    top: Vec<(TopicIdx, f64)>,
    book: AdBook,
}

/// Builds users' profiles through the real engine, one per distinct click
/// history (cached).
struct Profiler {
    engine: Engine,
    _dir: tempfile::TempDir,
    cache: HashMap<Vec<(u32, u32)>, Arc<UserState>>,
}

impl Profiler {
    fn new(world: &World) -> Result<Self> {
        let dir = tempfile::tempdir().map_err(|source| ObdError::Io {
            what: "write",
            path: std::env::temp_dir(),
            source,
        })?;
        let mut cfg = EngineConfig::new(dir.path(), StoreKey::from_bytes([7; 32]))
            .with_clock(Arc::new(ManualClock::new(1_574_553_600_000))); // 2019-11-24
        cfg.taxonomy = Some(Arc::clone(&world.tax));
        cfg.default_consent = Consent::Personalised;
        // The life-event rules name IAB topics; this taxonomy has none.
        cfg.profile.trait_rules = Vec::new();
        cfg.flush_interval_ms = MAX_FLUSH_INTERVAL_MS;
        let engine = Engine::open(cfg)?;
        Ok(Self {
            engine,
            _dir: dir,
            cache: HashMap::new(),
        })
    }

    fn user(&mut self, world: &World, clicks: &[(u32, u32)]) -> Result<Arc<UserState>> {
        if let Some(u) = self.cache.get(clicks) {
            return Ok(Arc::clone(u));
        }
        let mut book = AdBook::restore(AdSnapshot::default(), [1; 32]);
        let state = if clicks.is_empty() {
            UserState {
                dense: Vec::new(),
                top: Vec::new(),
                book,
            }
        } else {
            self.engine.reset()?;
            for &(item, n) in clicks {
                let (Some(t), Some(e)) = (
                    world.topics.get(item as usize),
                    world.embeddings.get(item as usize),
                ) else {
                    continue;
                };
                for _ in 0..n {
                    self.engine.record(
                        &EventData::ContentView {
                            topics: t.to_vec(),
                            dwell_ms: None,
                        }
                        .now(),
                    )?;
                    book.learn_taste(e);
                }
            }
            let top = self.engine.topic_weights()?;
            let mut dense = vec![0.0; world.tax.len()];
            for &(t, w) in &top {
                if let Some(d) = dense.get_mut(t as usize) {
                    *d = w;
                }
            }
            UserState { dense, top, book }
        };
        let state = Arc::new(state);
        self.cache.insert(clicks.to_vec(), Arc::clone(&state));
        Ok(state)
    }
}

/// Hearth's view of one impression.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    /// Features of the logged item.
    pub features: Features,
    /// Hearth's ranking (item ids, best first) under the shipped defaults.
    pub ranking: Vec<u32>,
    /// The user has a non-empty profile.
    pub has_profile: bool,
}

/// Runs the real selection pipeline for impressions.
pub struct Scorer<'w> {
    world: &'w World,
    profiler: Profiler,
    ctx: RequestContext,
    cfg: SelectConfig,
}

impl<'w> Scorer<'w> {
    /// A scorer over `world`, with a fresh engine for the profiles.
    pub fn new(world: &'w World) -> Result<Self> {
        let ctx = RequestContext::resolve(
            &AdContext {
                topics: vec!["page".into()],
                ..AdContext::default()
            },
            &world.tax,
        )?;
        let cfg = SelectConfig {
            exploration: 0.0,
            max_slots: 50,
            ..SelectConfig::default()
        };
        Ok(Self {
            world,
            profiler: Profiler::new(world)?,
            ctx,
            cfg,
        })
    }

    /// Hearth's first `slots` picks (item ids) and their features for the
    /// user of `row`, under `model`.
    pub fn picks(
        &mut self,
        row: &LogRow,
        model: &EngagementModel,
        slots: u32,
    ) -> Result<Vec<(u32, Features)>> {
        let user = self.profiler.user(self.world, &row.clicks)?;
        let side = UserSide {
            weights: &user.dense,
            hidden: &[],
            traits: &[],
            taste: user.book.taste(),
            book: &user.book,
            content: None,
        };
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let sel = select::select(
            &self.world.catalog,
            &side,
            &user.top,
            &self.ctx,
            slots,
            &self.cfg,
            model,
            row.time_ms,
            &mut rng,
        );
        Ok(sel.picks.iter().map(|p| (p.campaign, p.features)).collect())
    }

    /// The logged item's features and Hearth's full ranking under the
    /// shipped defaults.
    pub fn score(&mut self, row: &LogRow) -> Result<Scored> {
        let n = self.world.catalog.catalog.campaigns.len() as u32;
        let picks = self.picks(row, &EngagementModel::default(), n)?;
        let features = picks
            .iter()
            .find(|(i, _)| *i == row.item)
            .map(|(_, f)| *f)
            .ok_or(ObdError::Ineligible {
                line: row.line,
                item: row.item,
            })?;
        Ok(Scored {
            features,
            ranking: picks.iter().map(|(i, _)| *i).collect(),
            has_profile: !row.clicks.is_empty(),
        })
    }
}

// ---------------------------------------------------------------------------
// The model's parameters and the fit
// ---------------------------------------------------------------------------

/// The model's parameters in [`PARAM_NAMES`] order.
pub fn params(m: &EngagementModel) -> [f64; 6] {
    [
        m.b0,
        m.w_interest,
        m.w_context,
        m.w_trait,
        m.w_embedding,
        m.w_fatigue,
    ]
}

/// The model with these parameters ([`PARAM_NAMES`] order).
pub fn model_of(t: &[f64; 6]) -> EngagementModel {
    EngagementModel {
        b0: t[0],
        w_interest: t[1],
        w_context: t[2],
        w_trait: t[3],
        w_embedding: t[4],
        w_fatigue: t[5],
        // OBD items carry no item ids: the content feature is always 0.
        ..EngagementModel::default()
    }
}

fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

/// The model's linear terms for `f`: entry `j` is the log-odds of the real
/// model with parameter `j` = 1 and all others 0 (so `z = Σ θ_j x_j`).
pub fn design(f: &Features) -> [f64; 6] {
    let mut x = [0.0; 6];
    for (j, xj) in x.iter_mut().enumerate() {
        let mut t = [0.0; 6];
        if let Some(tj) = t.get_mut(j) {
            *tj = 1.0;
        }
        *xj = logit(model_of(&t).p(f));
    }
    x
}

/// A fitted model and how it was fitted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fit {
    /// The parameters, by name.
    pub params: Vec<(String, f64)>,
    /// The names of the parameters that were fitted (the others keep their
    /// shipped value: their feature is constant in the training rows).
    pub fitted: Vec<String>,
    /// Newton iterations.
    pub iterations: u32,
    /// The model.
    #[serde(skip)]
    pub model: EngagementModel,
}

fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for c in 0..n {
        let piv = (c..n).max_by(|&i, &j| {
            let (x, y) = (a[i][c].abs(), a[j][c].abs());
            x.total_cmp(&y)
        })?;
        if a[piv][c].abs() < 1e-300 {
            return None;
        }
        a.swap(c, piv);
        b.swap(c, piv);
        for r in c + 1..n {
            let f = a[r][c] / a[c][c];
            let (top, bottom) = a.split_at_mut(r);
            if let (Some(pivot), Some(row)) = (top.get(c), bottom.first_mut()) {
                for (x, &p) in row.iter_mut().zip(pivot).skip(c) {
                    *x -= f * p;
                }
            }
            b[r] -= f * b[c];
        }
    }
    let mut x = vec![0.0; n];
    for r in (0..n).rev() {
        let s: f64 = (r + 1..n).map(|k| a[r][k] * x[k]).sum();
        x[r] = (b[r] - s) / a[r][r];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// Fit the model on (features, click) rows: MAP under a flat prior on `b0`
/// and Normal(`prior`'s value, [`PRIOR_SD`]) on each weight whose feature
/// varies; weights whose feature is constant keep `prior`'s value.
pub fn fit(rows: &[(Features, bool)], prior: &EngagementModel) -> Fit {
    let x: Vec<[f64; 6]> = rows.iter().map(|(f, _)| design(f)).collect();
    let y: Vec<f64> = rows.iter().map(|&(_, c)| f64::from(u8::from(c))).collect();
    let theta0 = params(prior);
    // Free: b0, and every parameter whose column varies.
    let free: Vec<usize> = (0..6)
        .filter(|&j| {
            j == 0
                || x.first()
                    .is_some_and(|x0| x.iter().any(|xi| (xi[j] - x0[j]).abs() > 1e-12))
        })
        .collect();
    let lambda = 1.0 / (PRIOR_SD * PRIOR_SD);
    let objective = |t: &[f64; 6]| -> f64 {
        let m = model_of(t);
        let nll: f64 = rows
            .iter()
            .map(|(f, c)| {
                let p = m.p(f).clamp(1e-300, 1.0 - 1e-16);
                if *c { -p.ln() } else { -(1.0 - p).ln() }
            })
            .sum();
        let pen: f64 = free
            .iter()
            .filter(|&&j| j != 0)
            .map(|&j| 0.5 * lambda * (t[j] - theta0[j]).powi(2))
            .sum();
        nll + pen
    };
    let mut t = theta0;
    let mut iterations = 0;
    let mut obj = objective(&t);
    for _ in 0..100 {
        iterations += 1;
        let m = model_of(&t);
        let k = free.len();
        let mut g = vec![0.0; k];
        let mut h = vec![vec![0.0; k]; k];
        for ((f, xi), yi) in rows.iter().map(|(f, _)| f).zip(&x).zip(&y) {
            let p = m.p(f);
            let w = p * (1.0 - p);
            for (a, &ja) in free.iter().enumerate() {
                g[a] += (p - yi) * xi[ja];
                for (b, &jb) in free.iter().enumerate() {
                    h[a][b] += w * xi[ja] * xi[jb];
                }
            }
        }
        for (a, &j) in free.iter().enumerate() {
            if j != 0 {
                g[a] += lambda * (t[j] - theta0[j]);
                h[a][a] += lambda;
            }
        }
        // A tiny ridge keeps the intercept's Hessian invertible when the
        // training rows have no click.
        for (a, row) in h.iter_mut().enumerate() {
            row[a] += 1e-9;
        }
        let Some(step) = solve(h, g) else { break };
        let mut scale = 1.0;
        let mut accepted = false;
        for _ in 0..40 {
            let mut cand = t;
            for (a, &j) in free.iter().enumerate() {
                cand[j] -= scale * step[a];
            }
            let o = objective(&cand);
            if o <= obj + 1e-12 {
                t = cand;
                obj = o;
                accepted = true;
                break;
            }
            scale *= 0.5;
        }
        let size = step.iter().fold(0.0f64, |a, s| a.max(s.abs())) * scale;
        if !accepted || size < 1e-10 {
            break;
        }
    }
    Fit {
        params: PARAM_NAMES
            .iter()
            .zip(t)
            .map(|(n, v)| ((*n).to_string(), v))
            .collect(),
        fitted: free.iter().map(|&j| PARAM_NAMES[j].to_string()).collect(),
        iterations,
        model: model_of(&t),
    }
}

// ---------------------------------------------------------------------------
// Metrics
// ---------------------------------------------------------------------------

/// A point estimate with a 95% confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    /// The estimate.
    pub value: f64,
    /// Lower end of the 95% CI.
    pub lo: f64,
    /// Upper end of the 95% CI.
    pub hi: f64,
}

impl Estimate {
    fn normal(value: f64, se: f64) -> Self {
        Self {
            value,
            lo: value - Z95 * se,
            hi: value + Z95 * se,
        }
    }

    fn clamp(self, lo: f64, hi: f64) -> Self {
        Self {
            value: self.value,
            lo: self.lo.max(lo),
            hi: self.hi.min(hi),
        }
    }

    fn show(&self, digits: usize) -> String {
        format!(
            "{:.d$} [{:.d$}, {:.d$}]",
            self.value,
            self.lo,
            self.hi,
            d = digits
        )
    }
}

fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    if v.is_empty() {
        return (0.0, 0.0);
    }
    let m = v.iter().sum::<f64>() / n;
    let var = if v.len() > 1 {
        v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    (m, var.sqrt())
}

/// The mean of `v` with a normal 95% CI (`± 1.96 sd / √n`).
pub fn mean_ci(v: &[f64]) -> Estimate {
    let (m, sd) = mean_sd(v);
    Estimate::normal(m, sd / (v.len().max(1) as f64).sqrt())
}

/// Area under the ROC curve: the probability that a random click scores
/// above a random non-click, ties counting one half; 95% CI from DeLong's
/// variance, clipped to [0, 1]. `None` without both classes.
pub fn auc(scores: &[f64], labels: &[bool]) -> Option<Estimate> {
    let n_pos = labels.iter().filter(|&&l| l).count();
    let n_neg = labels.len() - n_pos;
    if n_pos == 0 || n_neg == 0 || scores.len() != labels.len() {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let (mut v10, mut v01) = (Vec::with_capacity(n_pos), Vec::with_capacity(n_neg));
    let (mut pos_below, mut neg_below) = (0usize, 0usize);
    let mut i = 0;
    while i < order.len() {
        let s = scores[order[i]];
        let mut j = i;
        while j < order.len() && scores[order[j]] == s {
            j += 1;
        }
        let group = &order[i..j];
        let gp = group.iter().filter(|&&k| labels[k]).count();
        let gn = group.len() - gp;
        let pos_above = n_pos - pos_below - gp;
        for _ in 0..gp {
            v10.push((neg_below as f64 + 0.5 * gn as f64) / n_neg as f64);
        }
        for _ in 0..gn {
            v01.push((pos_above as f64 + 0.5 * gp as f64) / n_pos as f64);
        }
        pos_below += gp;
        neg_below += gn;
        i = j;
    }
    let (a, s10) = mean_sd(&v10);
    let (_, s01) = mean_sd(&v01);
    let se = (s10 * s10 / n_pos as f64 + s01 * s01 / n_neg as f64).sqrt();
    Some(Estimate::normal(a, se).clamp(0.0, 1.0))
}

/// Per-row log-loss (natural log), probabilities clipped to [1e-15, 1 - 1e-15].
pub fn log_losses(p: &[f64], labels: &[bool]) -> Vec<f64> {
    p.iter()
        .zip(labels)
        .map(|(&p, &y)| {
            let p = p.clamp(1e-15, 1.0 - 1e-15);
            if y { -p.ln() } else { -(1.0 - p).ln() }
        })
        .collect()
}

/// Off-policy estimates of a target policy on a logged data set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OffPolicy {
    /// Rows.
    pub rows: usize,
    /// Rows where the logged item is the target policy's choice.
    pub matched: usize,
    /// Clicks among them.
    pub matched_clicks: usize,
    /// IPS: `Σ w r / n`.
    pub ips: Estimate,
    /// Self-normalised IPS: `Σ w r / Σ w`; `None` when nothing matched.
    pub snips: Option<Estimate>,
}

/// Matched clicks below which a non-uniform log's intervals are not the
/// normal approximation (see [`off_policy`]).
pub const FEW_CLICKS: usize = 5;

/// Wilson's 95% score interval for `k` successes in `n` trials.
pub fn wilson(k: usize, n: usize) -> Estimate {
    wilson_f(k as f64, n as f64)
}

/// [`wilson`] for a fractional (effective) count and sample size.
pub fn wilson_f(k: f64, n: f64) -> Estimate {
    if n <= 0.0 {
        return Estimate {
            value: 0.0,
            lo: 0.0,
            hi: 1.0,
        };
    }
    let ph = (k / n).clamp(0.0, 1.0);
    let z2 = Z95 * Z95;
    let centre = (ph + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = Z95 * (ph * (1.0 - ph) / n + z2 / (4.0 * n * n)).sqrt() / (1.0 + z2 / n);
    Estimate {
        value: ph,
        lo: (centre - half).max(0.0),
        hi: (centre + half).min(1.0),
    }
}

/// IPS and SNIPS of a target policy given, per row, the target's probability
/// of the logged action `pi`, the logging propensity `p` and the reward `r`.
///
/// Intervals: when the target is deterministic (`pi` 0 or 1) and every
/// propensity is the same `p` (uniform logging, or an on-policy value), IPS is
/// `1/p` times the binomial share of rows that match and click, and SNIPS the
/// binomial click rate of the matched rows, so both get Wilson's interval
/// (which stays informative with few or no clicks). Otherwise IPS gets
/// `± 1.96 sd / √n` of its terms and SNIPS the delta method's
/// `± 1.96 √(mean(w² (r - V)²) / mean(w)² / n)`; with fewer than
/// [`FEW_CLICKS`] matched clicks, where those collapse, IPS gets
/// `[0, max(w) · Wilson(matched clicks, n).hi]` and SNIPS Wilson's interval
/// on Kish's effective sample size `(Σw)² / Σw²`.
pub fn off_policy(pi: &[f64], p: &[f64], r: &[bool]) -> OffPolicy {
    let w: Vec<f64> = pi.iter().zip(p).map(|(&a, &b)| a / b).collect();
    let r: Vec<f64> = r.iter().map(|&c| f64::from(u8::from(c))).collect();
    let terms: Vec<f64> = w.iter().zip(&r).map(|(w, r)| w * r).collect();
    let ips = mean_ci(&terms).clamp(0.0, f64::INFINITY);
    let n = w.len().max(1) as f64;
    let sw: f64 = w.iter().sum();
    let snips = (sw > 0.0).then(|| {
        let v = terms.iter().sum::<f64>() / sw;
        let mw = sw / n;
        let m2: f64 = w
            .iter()
            .zip(&r)
            .map(|(w, r)| (w * (r - v)).powi(2))
            .sum::<f64>()
            / n;
        Estimate::normal(v, (m2 / (mw * mw) / n).sqrt()).clamp(0.0, 1.0)
    });
    let matched = pi.iter().filter(|&&x| x > 0.0).count();
    let matched_clicks = pi
        .iter()
        .zip(&r)
        .filter(|&(&x, &r)| x > 0.0 && r > 0.0)
        .count();
    let p0 = p.first().copied().unwrap_or(1.0);
    let binomial =
        pi.iter().all(|&x| x == 0.0 || x == 1.0) && p.iter().all(|&q| (q - p0).abs() <= 1e-12 * p0);
    let (ips, snips) = if binomial {
        let share = wilson(matched_clicks, w.len());
        let ips = Estimate {
            value: ips.value,
            lo: share.lo / p0,
            hi: share.hi / p0,
        };
        let snips = snips.map(|s| {
            let rate = wilson(matched_clicks, matched);
            Estimate {
                value: s.value,
                lo: rate.lo,
                hi: rate.hi,
            }
        });
        (ips, snips)
    } else if matched_clicks < FEW_CLICKS {
        // Too few clicks for a normal interval: IPS is at most the largest
        // weight times the share of rows that match and click; SNIPS gets
        // Wilson's interval on Kish's effective sample size of the matched
        // rows.
        let w_max = w
            .iter()
            .zip(pi)
            .filter(|&(_, &x)| x > 0.0)
            .fold(0.0f64, |a, (&w, _)| a.max(w));
        let ips = Estimate {
            value: ips.value,
            lo: 0.0,
            hi: ips.hi.max(w_max * wilson(matched_clicks, w.len()).hi),
        };
        let sw2: f64 = w.iter().map(|w| w * w).sum();
        let snips = snips.map(|s| {
            let n_eff = if sw2 > 0.0 { sw * sw / sw2 } else { 0.0 };
            let rate = wilson_f(s.value * n_eff, n_eff);
            Estimate {
                value: s.value,
                lo: rate.lo,
                hi: rate.hi,
            }
        });
        (ips, snips)
    } else {
        (ips, snips)
    };
    OffPolicy {
        rows: w.len(),
        matched,
        matched_clicks,
        ips,
        snips,
    }
}

// ---------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------

/// What to run.
#[derive(Debug, Clone, PartialEq)]
pub struct ObdOptions {
    /// The `obd` directory written by `scripts/eval-data.sh`
    /// (`random/<c>/<c>.csv`, `random/<c>/item_context.csv`, `bts/<c>/<c>.csv`).
    pub data: PathBuf,
    /// Which campaign.
    pub campaign: ObdCampaign,
    /// Share of the random log (earliest first) used to fit; 0 < share < 1.
    pub train_share: f64,
}

/// A log's size.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogSummary {
    /// The file.
    pub path: String,
    /// Impressions.
    pub rows: usize,
    /// Clicks.
    pub clicks: usize,
    /// Share of impressions whose user has a non-empty Hearth profile.
    pub with_profile: f64,
    /// First and last time (RFC 3339).
    pub from: String,
    /// Last time.
    pub to: String,
}

/// One model's click-prediction figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelEval {
    /// `constant CTR`, `shipped default` or `fitted`.
    pub model: String,
    /// Its parameters (for the constant: `p`).
    pub params: Vec<(String, f64)>,
    /// On the random log's test part: AUC (None without both classes).
    pub auc_test: Option<Estimate>,
    /// Mean log-loss on the test part.
    pub log_loss_test: Estimate,
    /// Paired log-loss difference against the constant CTR on the test part
    /// (negative: better than the constant).
    pub delta_log_loss_test: Estimate,
    /// On the whole bts log, if there is one.
    pub auc_bts: Option<Estimate>,
    /// Mean log-loss on the bts log.
    pub log_loss_bts: Option<Estimate>,
}

/// One policy's value on one log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyValue {
    /// Which policy.
    pub policy: String,
    /// Which rows of which log.
    pub data: String,
    /// The estimates (for a logged policy on its own log: matched = rows,
    /// and the IPS is its mean click rate).
    pub value: OffPolicy,
}

/// Everything `hearth obd` measures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObdReport {
    /// Which campaign.
    pub campaign: ObdCampaign,
    /// Items.
    pub items: usize,
    /// Topics in the generated taxonomy.
    pub topics: usize,
    /// Embedding dimension.
    pub embedding_dim: usize,
    /// The random log.
    pub random: LogSummary,
    /// The bts log, if present.
    pub bts: Option<LogSummary>,
    /// Training rows (the random log's first).
    pub train_rows: usize,
    /// Clicks in them.
    pub train_clicks: usize,
    /// Test rows (the rest of the random log).
    pub test_rows: usize,
    /// Clicks in them.
    pub test_clicks: usize,
    /// The fit.
    pub fit: Fit,
    /// Click prediction per model.
    pub models: Vec<ModelEval>,
    /// Policy values.
    pub policies: Vec<PolicyValue>,
    /// Value of Hearth with the shipped 10% exploration on the random log:
    /// `0.9 · V(Hearth, shipped, IPS) + 0.1 · V(random)` (exploration draws
    /// uniformly among the eligible items, i.e. all of them here).
    pub hearth_with_exploration: f64,
}

fn rfc3339(ms: Timestamp) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

fn summary(log: &Log, scored: &[Scored]) -> LogSummary {
    LogSummary {
        path: log.path.display().to_string(),
        rows: log.rows.len(),
        clicks: log.rows.iter().filter(|r| r.click).count(),
        with_profile: scored.iter().filter(|s| s.has_profile).count() as f64
            / scored.len().max(1) as f64,
        from: log
            .rows
            .first()
            .map(|r| rfc3339(r.time_ms))
            .unwrap_or_default(),
        to: log
            .rows
            .last()
            .map(|r| rfc3339(r.time_ms))
            .unwrap_or_default(),
    }
}

/// The files of a campaign under the data directory: random log, item
/// context, bts log (which may be missing).
pub fn paths(data: &Path, campaign: ObdCampaign) -> (PathBuf, PathBuf, PathBuf) {
    let c = campaign.name();
    (
        data.join("random").join(c).join(format!("{c}.csv")),
        data.join("random").join(c).join("item_context.csv"),
        data.join("bts").join(c).join(format!("{c}.csv")),
    )
}

/// Read the logs and items of a campaign and check they fit together.
pub fn load(opts: &ObdOptions) -> Result<(Log, Option<Log>, Vec<Item>)> {
    let (random_p, items_p, bts_p) = paths(&opts.data, opts.campaign);
    let items = read_items(&items_p)?;
    let random = read_log(&random_p)?;
    let bts = if bts_p.exists() {
        Some(read_log(&bts_p)?)
    } else {
        None
    };
    for log in std::iter::once(&random).chain(bts.as_ref()) {
        if log.n_items != items.len() {
            return Err(ObdError::Inconsistent {
                path: log.path.clone(),
                reason: format!(
                    "{} affinity columns, but {} has {} items",
                    log.n_items,
                    items_p.display(),
                    items.len()
                ),
            });
        }
    }
    Ok((random, bts, items))
}

/// Run the whole evaluation (see the module docs).
pub fn run(opts: &ObdOptions) -> Result<ObdReport> {
    if !(opts.train_share > 0.0 && opts.train_share < 1.0) {
        return Err(ObdError::Usage(
            "--train-share must be strictly between 0 and 1".into(),
        ));
    }
    let (random, bts, items) = load(opts)?;
    let world = World::build(&items, opts.campaign.name())?;
    let mut scorer = Scorer::new(&world)?;
    let score_all = |scorer: &mut Scorer<'_>, log: &Log| -> Result<Vec<Scored>> {
        log.rows.iter().map(|r| scorer.score(r)).collect()
    };
    let r_scored = score_all(&mut scorer, &random)?;
    let b_scored = match &bts {
        Some(b) => Some(score_all(&mut scorer, b)?),
        None => None,
    };

    // Split by time.
    let n_train = ((random.rows.len() as f64) * opts.train_share).round() as usize;
    let n_train = n_train.clamp(1, random.rows.len().saturating_sub(1).max(1));
    let (train_rows, test_rows) = random.rows.split_at(n_train.min(random.rows.len()));
    let (train_sc, test_sc) = r_scored.split_at(n_train.min(r_scored.len()));
    let train: Vec<(Features, bool)> = train_sc
        .iter()
        .zip(train_rows)
        .map(|(s, r)| (s.features, r.click))
        .collect();
    let shipped = EngagementModel::default();
    let fitted = fit(&train, &shipped);
    let train_clicks = train_rows.iter().filter(|r| r.click).count();
    let ctr = (train_clicks as f64 / train_rows.len().max(1) as f64).clamp(1e-6, 1.0 - 1e-6);

    // Click prediction.
    let test_y: Vec<bool> = test_rows.iter().map(|r| r.click).collect();
    let bts_y: Option<Vec<bool>> = bts
        .as_ref()
        .map(|b| b.rows.iter().map(|r| r.click).collect());
    let const_ll = log_losses(&vec![ctr; test_y.len()], &test_y);
    let eval = |name: &str, params: Vec<(String, f64)>, pred: &dyn Fn(&Features) -> f64| {
        let p: Vec<f64> = test_sc.iter().map(|s| pred(&s.features)).collect();
        let ll = log_losses(&p, &test_y);
        let delta: Vec<f64> = ll.iter().zip(&const_ll).map(|(a, b)| a - b).collect();
        let (auc_bts, ll_bts) = match (&b_scored, &bts_y) {
            (Some(s), Some(y)) => {
                let p: Vec<f64> = s.iter().map(|s| pred(&s.features)).collect();
                (auc(&p, y), Some(mean_ci(&log_losses(&p, y))))
            }
            _ => (None, None),
        };
        ModelEval {
            model: name.to_string(),
            params,
            auc_test: auc(&p, &test_y),
            log_loss_test: mean_ci(&ll),
            delta_log_loss_test: mean_ci(&delta),
            auc_bts,
            log_loss_bts: ll_bts,
        }
    };
    let named = |m: &EngagementModel| -> Vec<(String, f64)> {
        PARAM_NAMES
            .iter()
            .zip(params(m))
            .map(|(n, v)| ((*n).to_string(), v))
            .collect()
    };
    let fitted_model = fitted.model;
    let models = vec![
        eval("constant CTR", vec![("p".into(), ctr)], &|_| ctr),
        eval("shipped default", named(&shipped), &|f| shipped.p(f)),
        eval("fitted", named(&fitted_model), &|f| fitted_model.p(f)),
    ];

    // Off-policy values.
    let mut policies = Vec::new();
    let on_policy = |name: &str, data: &str, log: &Log| PolicyValue {
        policy: name.to_string(),
        data: data.to_string(),
        value: off_policy(
            &vec![1.0; log.rows.len()],
            &vec![1.0; log.rows.len()],
            &log.rows.iter().map(|r| r.click).collect::<Vec<_>>(),
        ),
    };
    let hearth = |rows: &[LogRow], choice: &dyn Fn(usize, &LogRow) -> Option<u32>| {
        let pi: Vec<f64> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| f64::from(u8::from(choice(i, r) == Some(r.item))))
            .collect();
        let p: Vec<f64> = rows.iter().map(|r| r.propensity).collect();
        let c: Vec<bool> = rows.iter().map(|r| r.click).collect();
        off_policy(&pi, &p, &c)
    };
    let nth = |s: &Scored, r: &LogRow| s.ranking.get(r.position as usize - 1).copied();
    policies.push(on_policy("logged: uniform random", "random log", &random));
    if let Some(b) = &bts {
        policies.push(on_policy("logged: Bernoulli TS", "bts log", b));
    }
    let shipped_all = hearth(&random.rows, &|i, r| {
        r_scored.get(i).and_then(|s| nth(s, r))
    });
    let hearth_with_exploration = 0.9 * shipped_all.ips.value
        + 0.1 * random.rows.iter().filter(|r| r.click).count() as f64 / random.rows.len() as f64;
    policies.push(PolicyValue {
        policy: "Hearth, shipped defaults".into(),
        data: "random log".into(),
        value: shipped_all,
    });
    let pos1: Vec<(LogRow, Scored)> = random
        .rows
        .iter()
        .zip(&r_scored)
        .filter(|(r, _)| r.position == 1)
        .map(|(r, s)| (r.clone(), s.clone()))
        .collect();
    let pos1_rows: Vec<LogRow> = pos1.iter().map(|(r, _)| r.clone()).collect();
    policies.push(PolicyValue {
        policy: "Hearth, shipped defaults".into(),
        data: "random log, position 1".into(),
        value: hearth(&pos1_rows, &|i, r| pos1.get(i).and_then(|(_, s)| nth(s, r))),
    });
    policies.push(PolicyValue {
        policy: "Hearth, shipped defaults".into(),
        data: "random log, test part".into(),
        value: hearth(test_rows, &|i, r| test_sc.get(i).and_then(|s| nth(s, r))),
    });
    let max_pos = random
        .rows
        .iter()
        .chain(bts.iter().flat_map(|b| &b.rows))
        .map(|r| r.position)
        .max()
        .unwrap_or(1);
    let mut fitted_choice = Vec::with_capacity(test_rows.len());
    for r in test_rows {
        let picks = scorer.picks(r, &fitted_model, max_pos)?;
        fitted_choice.push(picks.get(r.position as usize - 1).map(|(i, _)| *i));
    }
    policies.push(PolicyValue {
        policy: "Hearth, fitted".into(),
        data: "random log, test part".into(),
        value: hearth(test_rows, &|i, _| fitted_choice.get(i).copied().flatten()),
    });
    if let (Some(b), Some(bs)) = (&bts, &b_scored) {
        policies.push(PolicyValue {
            policy: "Hearth, shipped defaults".into(),
            data: "bts log (its propensities)".into(),
            value: hearth(&b.rows, &|i, r| bs.get(i).and_then(|s| nth(s, r))),
        });
    }

    Ok(ObdReport {
        campaign: opts.campaign,
        items: items.len(),
        topics: world.tax.len(),
        embedding_dim: world.embeddings.first().map_or(0, Vec::len),
        random: summary(&random, &r_scored),
        bts: bts
            .as_ref()
            .zip(b_scored.as_ref())
            .map(|(b, s)| summary(b, s)),
        train_rows: train_rows.len(),
        train_clicks,
        test_rows: test_rows.len(),
        test_clicks: test_rows.iter().filter(|r| r.click).count(),
        fit: fitted,
        models,
        policies,
        hearth_with_exploration,
    })
}

impl ObdReport {
    /// The report as text.
    pub fn text(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(
            o,
            "Open Bandit Dataset sample, campaign `{}`: {} items; Hearth taxonomy of {} topics, embeddings of {} dims",
            self.campaign.name(),
            self.items,
            self.topics,
            self.embedding_dim
        );
        for (name, s) in
            std::iter::once(("random", &self.random)).chain(self.bts.as_ref().map(|b| ("bts", b)))
        {
            let _ = writeln!(
                o,
                "  {name:<6} log: {} impressions, {} clicks, {} to {}; {:.1}% with a non-empty profile",
                s.rows,
                s.clicks,
                s.from,
                s.to,
                100.0 * s.with_profile
            );
        }
        let _ = writeln!(
            o,
            "\nClick prediction: fitted on the random log's first {} impressions ({} clicks), tested on the last {} ({} clicks) and on the whole bts log.",
            self.train_rows, self.train_clicks, self.test_rows, self.test_clicks
        );
        let _ = writeln!(
            o,
            "  fitted {} in {} Newton steps; the others keep the shipped value (their feature is constant in training)",
            self.fit.fitted.join(", "),
            self.fit.iterations
        );
        for m in &self.models {
            let p: Vec<String> = m
                .params
                .iter()
                .map(|(n, v)| format!("{n}={v:.4}"))
                .collect();
            let _ = writeln!(o, "  {:<16} {}", m.model, p.join(" "));
        }
        let _ = writeln!(
            o,
            "  {:<16} {:<24} {:<27} {:<28} {:<24} log-loss bts",
            "model",
            "AUC test [95% CI]",
            "log-loss test [95% CI]",
            "Δ log-loss vs constant",
            "AUC bts",
        );
        for m in &self.models {
            let na = || "n/a".to_string();
            let _ = writeln!(
                o,
                "  {:<16} {:<24} {:<27} {:<28} {:<24} {}",
                m.model,
                m.auc_test.map_or_else(na, |a| a.show(3)),
                m.log_loss_test.show(4),
                m.delta_log_loss_test.show(5),
                m.auc_bts.map_or_else(na, |a| a.show(3)),
                m.log_loss_bts.map_or_else(na, |a| a.show(4)),
            );
        }
        let _ = writeln!(
            o,
            "\nOff-policy value (clicks per impression; Hearth shows its k-th pick at position k):"
        );
        let _ = writeln!(
            o,
            "  {:<26} {:<28} {:>6} {:>8} {:>7}  {:<28} SNIPS [95% CI]",
            "policy", "data", "rows", "matched", "clicks", "IPS [95% CI]"
        );
        for p in &self.policies {
            let v = &p.value;
            let _ = writeln!(
                o,
                "  {:<26} {:<28} {:>6} {:>8} {:>7}  {:<28} {}",
                p.policy,
                p.data,
                v.rows,
                v.matched,
                v.matched_clicks,
                v.ips.show(5),
                v.snips.map_or_else(|| "n/a".into(), |s| s.show(5))
            );
        }
        let _ = writeln!(
            o,
            "  Hearth as shipped (10% uniform exploration) on the random log: 0.9 × IPS + 0.1 × random = {:.5}",
            self.hearth_with_exploration
        );
        o
    }
}

// ---------------------------------------------------------------------------
// Export for `hearth eval`
// ---------------------------------------------------------------------------

/// What `export_eval` wrote.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportSummary {
    /// `items.tsv`.
    pub items_path: PathBuf,
    /// `events.tsv`.
    pub events_path: PathBuf,
    /// Items written.
    pub items: usize,
    /// Events written.
    pub events: usize,
    /// Distinct users (segments).
    pub users: usize,
}

/// The user id of a row in the export: `u` + the FNV-1a hash of its four
/// user features (a user segment: OBD does not identify users).
pub fn segment_id(user: &[String; 4]) -> String {
    format!("u{:016x}", fnv1a(user.join("\u{1f}").as_bytes()))
}

/// Write the campaign as `items.tsv` (`item_id  topics  title`, topics the
/// item's four facets, `|`-separated) and `events.tsv` (`user_id  item_id
/// timestamp  label`: the clicks of the random and bts logs in time order,
/// label 1, timestamp in Unix seconds) under `dir`. With `exposures`, every
/// impression without a click is written too, with label 0; by default they
/// are left out because `hearth eval` drops every item a user was exposed to
/// from that user's candidates, and an OBD segment is exposed to nearly the
/// whole catalog.
pub fn export_eval(opts: &ObdOptions, dir: &Path, exposures: bool) -> Result<ExportSummary> {
    let (random, bts, items) = load(opts)?;
    let topics = item_topics(&items);
    let io = |path: &Path, source| ObdError::Io {
        what: "write",
        path: path.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let items_path = dir.join("items.tsv");
    let mut s = String::from("item_id\ttopics\ttitle\n");
    for (it, t) in items.iter().zip(&topics) {
        let _ = writeln!(s, "{}\t{}\tOBD item {}", it.id, t.join("|"), it.id);
    }
    std::fs::write(&items_path, s).map_err(|e| io(&items_path, e))?;
    let mut rows: Vec<&LogRow> = random
        .rows
        .iter()
        .chain(bts.iter().flat_map(|b| &b.rows))
        .filter(|r| exposures || r.click)
        .collect();
    rows.sort_by_key(|r| r.time_ms);
    let events_path = dir.join("events.tsv");
    let mut s = String::from("user_id\titem_id\ttimestamp\tlabel\n");
    let mut users = std::collections::HashSet::new();
    for r in &rows {
        let u = segment_id(&r.user);
        let _ = writeln!(
            s,
            "{u}\t{}\t{}\t{}",
            r.item,
            r.time_ms.div_euclid(1000),
            u8::from(r.click)
        );
        users.insert(u);
    }
    std::fs::write(&events_path, s).map_err(|e| io(&events_path, e))?;
    Ok(ExportSummary {
        items_path,
        events_path,
        items: items.len(),
        events: rows.len(),
        users: users.len(),
    })
}

// ---------------------------------------------------------------------------
// The command
// ---------------------------------------------------------------------------

/// The arguments of `hearth obd`.
#[derive(Debug, Clone, clap::Args)]
pub struct ObdArgs {
    /// The `obd` directory written by `scripts/eval-data.sh`
    /// (`~/.cache/hearth/data/obd` by default there).
    #[arg(long, value_name = "DIR")]
    pub data: PathBuf,
    /// Which campaign of the sample.
    #[arg(long, value_enum, default_value = "all")]
    pub campaign: ObdCampaign,
    /// Share of the random log, earliest first, used to fit the model.
    #[arg(long, default_value_t = 0.7)]
    pub train_share: f64,
    /// Print the figures as JSON.
    #[arg(long)]
    pub json: bool,
    /// Instead of evaluating, write the campaign as `items.tsv` and
    /// `events.tsv` for `hearth eval` into this directory (users are
    /// segments: a hash of user_feature_0..3; clicks only unless
    /// --exposures).
    #[arg(long, value_name = "DIR")]
    pub export_eval: Option<PathBuf>,
    /// With --export-eval: also write impressions without a click (label 0).
    #[arg(long, requires = "export_eval")]
    pub exposures: bool,
}

/// Run `hearth obd`: print the report (or export), return the exit code
/// (0 done; 1 a file could not be read or written; 2 the data is malformed).
pub fn command(a: &ObdArgs) -> std::process::ExitCode {
    use std::process::ExitCode;
    let opts = ObdOptions {
        data: a.data.clone(),
        campaign: a.campaign,
        train_share: a.train_share,
    };
    let result = match &a.export_eval {
        Some(dir) => export_eval(&opts, dir, a.exposures).map(|s| {
            println!(
                "wrote {} ({} items) and {} ({} events, {} user segments)",
                s.items_path.display(),
                s.items,
                s.events_path.display(),
                s.events,
                s.users
            );
        }),
        None => run(&opts).map(|r| {
            if a.json {
                match serde_json::to_string_pretty(&r) {
                    Ok(j) => println!("{j}"),
                    Err(e) => eprintln!("error: cannot write JSON: {e}"),
                }
            } else {
                print!("{}", r.text());
            }
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

impl ObdError {
    /// The process exit code: 2 for malformed data, 1 for everything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            ObdError::Empty { .. }
            | ObdError::MissingColumn { .. }
            | ObdError::FieldCount { .. }
            | ObdError::BadValue { .. }
            | ObdError::Inconsistent { .. } => 2,
            _ => 1,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn auc_by_hand() {
        // Pairs (pos, neg): 0.35>0.1, 0.35<0.4, 0.8>0.1, 0.8>0.4 → 3/4.
        let a = auc(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true]).unwrap();
        assert!(close(a.value, 0.75));
        // Ties count one half: one pos tied with one of two negatives.
        let a = auc(&[0.5, 0.5, 0.1], &[true, false, false]).unwrap();
        assert!(close(a.value, 0.75));
        // A constant score: 0.5 with no spread.
        let a = auc(&[0.2; 5], &[true, false, false, true, false]).unwrap();
        assert!(close(a.value, 0.5) && close(a.lo, 0.5) && close(a.hi, 0.5));
        assert!(auc(&[0.1, 0.2], &[false, false]).is_none());
        // DeLong by hand for [0.1,0.4 | 0.35,0.8]: V10 = (1/2, 1), V01 = (1, 1/2);
        // var = 0.125/2 + 0.125/2 = 0.125.
        let a = auc(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true]).unwrap();
        assert!(close(a.lo, 0.75 - Z95 * 0.125f64.sqrt()));
        assert!(close(a.hi, 1.0));
    }

    #[test]
    fn wilson_by_hand() {
        // k = 0: upper end z²/(n + z²).
        let w = wilson(0, 10);
        assert!(close(w.hi, Z95 * Z95 / (10.0 + Z95 * Z95)) && close(w.lo, 0.0));
        // k = n/2 is symmetric around 1/2.
        let w = wilson(5, 10);
        assert!(close(w.lo + w.hi, 1.0));
    }

    #[test]
    fn log_loss_by_hand() {
        let l = log_losses(&[0.5, 0.25, 1.0], &[true, false, false]);
        assert!(close(l[0], 2f64.ln()));
        assert!(close(l[1], (4.0f64 / 3.0).ln()));
        // Clipped to 1 - 1e-15 (as a float, 1 - 1.11e-15): about 34.5, not infinite.
        assert!((l[2] - -(1e-15f64).ln()).abs() < 0.01, "clipped: {}", l[2]);
    }

    #[test]
    fn ips_and_snips_by_hand() {
        // Logging p = 1/4; target matches rows 0, 2 (click), 3. A tiny
        // difference in one propensity selects the normal / delta intervals.
        let pi = [1.0, 0.0, 1.0, 1.0];
        let p = [0.25, 0.25 + 1e-9, 0.25, 0.25];
        let r = [false, true, true, false];
        let o = off_policy(&pi, &p, &r);
        // IPS = (0 + 0 + 4 + 0) / 4 = 1; SNIPS = 4 / 12 = 1/3.
        assert!(close(o.ips.value, 1.0));
        assert!(close(o.snips.unwrap().value, 1.0 / 3.0));
        assert_eq!((o.matched, o.matched_clicks), (3, 1));
        // One matched click: too few for the normal interval (which would be
        // 1 ± 1.96 × sd 2 / √4). IPS: [0, max(1 + 1.96, 4 × Wilson(1, 4).hi)];
        // SNIPS: Kish's n_eff = 12² / 48 = 3, so Wilson(1, 3).
        assert!(close(o.ips.lo, 0.0));
        assert!(close(o.ips.hi, (1.0 + Z95).max(4.0 * wilson(1, 4).hi)));
        let s = o.snips.unwrap();
        assert!((s.hi - wilson(1, 3).hi).abs() < 1e-6, "{s:?}");
        // Enough clicks: normal and delta-method intervals. Weights 2 and 4
        // alternating, clicks on rows 0..6 of 10.
        let p2: Vec<f64> = (0..10)
            .map(|i| if i % 2 == 0 { 0.5 } else { 0.25 })
            .collect();
        let r2: Vec<bool> = (0..10).map(|i| i < 6).collect();
        let o = off_policy(&[1.0; 10], &p2, &r2);
        // Terms 2,4,2,4,2,4,0,0,0,0: mean 1.8, sd² = (6 × ... ) computed below.
        let t = [2.0, 4.0, 2.0, 4.0, 2.0, 4.0, 0.0, 0.0, 0.0, 0.0];
        let m = 1.8;
        let sd = (t.iter().map(|x: &f64| (x - m).powi(2)).sum::<f64>() / 9.0).sqrt();
        assert!(close(o.ips.value, 1.8) && close(o.ips.hi, 1.8 + Z95 * sd / 10f64.sqrt()));
        // SNIPS = 18 / 30 = 0.6; delta method: mean w = 3,
        // mean (w (r - 0.6))² = (3 × 0.64 + 3 × 2.56 + 2 × 1.44 + 2 × 5.76) / 10 = 2.4.
        let s = o.snips.unwrap();
        assert!(close(s.value, 0.6));
        assert!(
            close(s.hi, 0.6 + Z95 * (2.4f64 / 9.0 / 10.0).sqrt()),
            "{s:?}"
        );
        let none = off_policy(&[0.0, 0.0], &[0.5, 0.5], &[true, false]);
        assert!(none.snips.is_none() && close(none.ips.value, 0.0));
        // Uniform logging: Wilson intervals. 1 matched click in 4 rows at
        // p = 1/4: IPS = 1, CI = 4 × Wilson(1, 4); SNIPS = 1/3, CI = Wilson(1, 3).
        let o = off_policy(&pi, &[0.25; 4], &r);
        assert!(close(o.ips.value, 1.0));
        assert!(close(o.ips.lo, 4.0 * wilson(1, 4).lo) && close(o.ips.hi, 4.0 * wilson(1, 4).hi));
        let s = o.snips.unwrap();
        assert!(close(s.lo, wilson(1, 3).lo) && close(s.hi, wilson(1, 3).hi));
        // No click at all still has an informative upper end.
        let o = off_policy(&[1.0, 1.0], &[0.5, 0.5], &[false, false]);
        assert!(o.ips.hi > 0.0 && close(o.ips.lo, 0.0));
    }

    #[test]
    fn the_design_matrix_is_the_models() {
        let f = Features {
            interest: 3.0,
            context: true,
            trait_match: false,
            embedding: 0.5,
            shows_7d: 2,
            ..Default::default()
        };
        let x = design(&f);
        let want = [1.0, 4f64.ln(), 1.0, 0.0, 0.5, 2.0];
        for (a, b) in x.iter().zip(want) {
            assert!((a - b).abs() < 1e-9, "{x:?}");
        }
        let m = EngagementModel::default();
        let z: f64 = x.iter().zip(params(&m)).map(|(a, b)| a * b).sum();
        assert!((1.0 / (1.0 + (-z).exp()) - m.p(&f)).abs() < 1e-12);
    }

    #[test]
    fn fit_recovers_a_rate_and_keeps_constant_features() {
        // 1 click in 10 rows, no varying feature: b0 = logit(0.1) - w_context.
        let f = Features {
            context: true,
            ..Features::default()
        };
        let rows: Vec<(Features, bool)> = (0..10).map(|i| (f, i == 0)).collect();
        let fit = fit(&rows, &EngagementModel::default());
        assert_eq!(fit.fitted, vec!["b0".to_string()]);
        assert!((fit.model.p(&f) - 0.1).abs() < 1e-8, "{fit:?}");
        assert_eq!(fit.model.w_context, 1.0);
    }

    #[test]
    fn fit_moves_a_weight_with_the_data() {
        // Clicks only where interest > 0: w_interest grows past its prior.
        let mut rows = Vec::new();
        for i in 0..400 {
            let interest = if i % 4 == 0 { 3.0 } else { 0.0 };
            let click = interest > 0.0 && i % 8 == 0;
            rows.push((
                Features {
                    interest,
                    ..Features::default()
                },
                click,
            ));
        }
        let fit = fit(&rows, &EngagementModel::default());
        assert!(fit.fitted.contains(&"w_interest".to_string()));
        assert!(fit.model.w_interest > 0.8, "{fit:?}");
    }

    #[test]
    fn time_parses_with_and_without_offset() {
        assert_eq!(
            parse_time("2019-11-24 00:00:34.762830+00:00"),
            Some(1_574_553_634_762)
        );
        assert_eq!(
            parse_time("2019-11-24 09:00:00+09:00"),
            Some(1_574_553_600_000)
        );
        assert_eq!(parse_time("2019-11-24 00:00:00"), Some(1_574_553_600_000));
        assert_eq!(parse_time("yesterday"), None);
    }

    #[test]
    fn quartiles_and_segments() {
        let items: Vec<Item> = [0.3, -1.0, 2.0, 0.0]
            .iter()
            .enumerate()
            .map(|(i, &p)| Item {
                id: i as u32,
                price: p,
                cats: ["a".into(), "b b".into(), "c".into()],
            })
            .collect();
        let t = item_topics(&items);
        assert_eq!(t[1][0], "f0/q1");
        assert_eq!(t[3][0], "f0/q2");
        assert_eq!(t[0][0], "f0/q3");
        assert_eq!(t[2][0], "f0/q4");
        assert_eq!(t[0][1], "f1/a");
        assert!(t[0][2].starts_with("f2/h"), "{}", t[0][2]);
    }
}
