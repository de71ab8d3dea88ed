//! `hearth catalog gen`: realistic synthetic catalogs for tests and benchmarks.
//!
//! Deterministic per seed (ChaCha8 seeded with [`ChaCha8Rng::seed_from_u64`], with
//! `rand` and `rand_chacha` pinned to exact versions so the stream never changes
//! under us). The shape follows what real ad networks see:
//!
//! - **heavy-tailed advertisers**: campaigns pick their advertiser from a Zipf
//!   distribution (exponent 1.1), so a few advertisers own many campaigns and most
//!   own one or two; only advertisers with at least one campaign are listed;
//! - each advertiser has a **vertical** (a root of the taxonomy) and targets
//!   topics inside it; 1–4 creative sets per campaign, 2–5 creatives per set
//!   (the last set is cut to hit the exact count);
//! - **topic targeting**: 1–3 include topics with minimum weights (multiples of
//!   0.05), sometimes an exclude topic from another vertical, all drawn from the
//!   **non-sensitive** topics of the embedded taxonomy; about 1 in 12 campaigns is
//!   untargeted (run of network);
//! - sometimes trait targeting, 16-dim embeddings, item ids, conversion specs,
//!   frequency caps, dayparts, geo/locale/OS/app-section targeting, pacing;
//! - `https://` URLs on `.example` domains and short, plausible copy.
//!
//! Strings are kept short so that the signed bundle averages well under 300
//! bytes per creative (`hearth catalog build` prints the figure).

use hearth_core::catalog::model::{
    Advertiser, Campaign, Catalog, ConversionSpec, Creative, CreativeKind, CreativeSet, Daypart,
    Flight, FrequencyCaps, Models, Os, TopicTarget,
};
use hearth_core::clock::DAY_MS;
use hearth_core::taxonomy::{Taxonomy, TopicIdx};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::catalog_source::{CatalogSource, SourceHeader};

/// `created_at` of every generated catalog: 2026-01-01T00:00:00Z.
pub const GEN_CREATED_AT_MS: i64 = 1_767_225_600_000;
/// Generated catalogs expire this long after [`GEN_CREATED_AT_MS`] (7 days).
pub const GEN_LIFETIME_MS: i64 = 7 * DAY_MS;
/// Most creatives `gen` makes in one catalog.
pub const MAX_GEN_CREATIVES: usize = 10_000_000;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenOptions {
    /// Exact number of creatives.
    pub creatives: usize,
    /// RNG seed: same seed, same catalog.
    pub seed: u64,
    /// Catalog version written in the source.
    pub version: u64,
}

/// Generate a catalog source.
pub fn generate(opts: &GenOptions, tax: &Taxonomy) -> Result<CatalogSource, String> {
    let (catalog, header) = generate_model(opts, tax)?;
    Ok(CatalogSource::from_model(&catalog, &header))
}

/// Generate a catalog model and its header values.
pub fn generate_model(
    opts: &GenOptions,
    tax: &Taxonomy,
) -> Result<(Catalog, SourceHeader), String> {
    if opts.creatives > MAX_GEN_CREATIVES {
        return Err(format!(
            "--creatives {} is above the generator's limit of {MAX_GEN_CREATIVES}",
            opts.creatives
        ));
    }
    let verticals = Verticals::of(tax)?;
    let mut g = Gen {
        rng: ChaCha8Rng::seed_from_u64(opts.seed),
        tax,
        verticals,
        next_id: 0,
    };
    let catalog = g.catalog(opts.creatives);
    let header = SourceHeader {
        version: opts.version,
        created_at_ms: GEN_CREATED_AT_MS,
        expires_at_ms: GEN_CREATED_AT_MS + GEN_LIFETIME_MS,
    };
    Ok((catalog, header))
}

/// Non-sensitive topics grouped by their root.
struct Verticals {
    /// `(root, non-sensitive topics in its subtree, root first)`, only roots with
    /// at least 3 such topics.
    groups: Vec<(TopicIdx, Vec<TopicIdx>)>,
}

impl Verticals {
    fn of(tax: &Taxonomy) -> Result<Self, String> {
        let mut groups: Vec<(TopicIdx, Vec<TopicIdx>)> = Vec::new();
        for idx in 0..tax.len() as TopicIdx {
            if tax.is_sensitive(idx) {
                continue;
            }
            let root = tax.ancestors(idx).last().unwrap_or(idx);
            match groups.iter_mut().find(|(r, _)| *r == root) {
                Some((_, v)) => v.push(idx),
                None => groups.push((root, vec![idx])),
            }
        }
        for (root, v) in &mut groups {
            v.sort_by_key(|&t| (t != *root, t));
        }
        groups.retain(|(_, v)| v.len() >= 3);
        if groups.len() < 2 {
            return Err(
                "the taxonomy has too few non-sensitive topics to generate a catalog".into(),
            );
        }
        Ok(Verticals { groups })
    }
}

struct AdvertiserPlan {
    name: String,
    slug: String,
    vertical: usize,
}

struct Gen<'a> {
    rng: ChaCha8Rng,
    tax: &'a Taxonomy,
    verticals: Verticals,
    next_id: u64,
}

const SYLLABLES: &[&str] = &[
    "al", "ber", "ca", "dor", "el", "fin", "ga", "hel", "is", "jo", "ka", "lum", "mi", "nor", "ol",
    "pa", "qui", "ro", "sa", "tin", "ur", "ve", "wen", "xa", "yo", "zen", "bri", "sto", "flo",
    "gri",
];
const NAME_SUFFIXES: &[&str] = &[
    "", "", "", " & Co.", " Group", " Store", " Labs", " Direct", " Club",
];
const TITLES: &[&str] = &[
    "{L}: new season",
    "Save {p}% on {l}",
    "{L} made easy",
    "Top picks: {l}",
    "{B} for {l}",
    "Free delivery: {l}",
    "Discover {l}",
    "{L} deals this week",
    "Love {l}? Try {B}",
];
const BODIES: &[&str] = &[
    "Everything for {l}, delivered in 48 hours.",
    "Rated 4.{d} by {n},000 customers.",
    "Members save {p}% until Sunday.",
    "New arrivals. Free returns for 30 days.",
    "Book today, pay later.",
    "Hand-picked {l}, from {B}.",
    "Join {n},000 fans of {B}.",
];
const CTAS: &[&str] = &[
    "Shop now",
    "Learn more",
    "Book now",
    "Get offer",
    "Sign up",
    "Install",
    "See more",
    "Try free",
];
const TRAITS: &[&str] = &[
    "spending_tier=premium",
    "spending_tier=mid",
    "spending_tier=budget",
    "life_event:moving=active",
    "life_event:wedding=active",
    "life_event:new_baby=active",
];
const SECTIONS: &[&str] = &["news", "sports", "video", "shopping", "games"];
const SUBDIVISIONS: &[&str] = &["DE-BE", "DE-BY", "DE-HH", "DE-NW", "DE-BW", "DE-HE"];
const EVENTS: &[&str] = &["purchase", "signup", "install", "add_to_cart", "booking"];

impl Gen<'_> {
    fn id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}{}", base36(self.next_id))
    }

    fn pick<'s>(&mut self, xs: &[&'s str]) -> &'s str {
        xs.get(self.rng.random_range(0..xs.len().max(1)))
            .copied()
            .unwrap_or("")
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p.clamp(0.0, 1.0))
    }

    fn catalog(&mut self, creatives: usize) -> Catalog {
        // ~2.5 sets × 3.5 creatives per campaign; ~6 campaigns per advertiser on average.
        let est_campaigns = creatives.div_ceil(9).max(1);
        let n_adv = (est_campaigns / 6).clamp(3, 10_000);
        let plans: Vec<AdvertiserPlan> = (0..n_adv).map(|_| self.advertiser_plan()).collect();
        let cdf = zipf_cdf(n_adv, 1.1);

        let mut campaigns = Vec::with_capacity(est_campaigns + 16);
        let mut used = vec![false; n_adv];
        let mut left = creatives;
        while left > 0 {
            let u: f64 = self.rng.random();
            let a = cdf.partition_point(|&c| c < u).min(n_adv - 1);
            if let Some(flag) = used.get_mut(a) {
                *flag = true;
            }
            if let Some(plan) = plans.get(a) {
                let c = self.campaign(a, plan, &mut left);
                campaigns.push(c);
            }
        }
        let advertisers = plans
            .iter()
            .enumerate()
            .filter(|(i, _)| used.get(*i).copied().unwrap_or(false))
            .map(|(i, p)| Advertiser {
                id: format!("a{}", base36(i as u64 + 1)),
                name: p.name.clone(),
            })
            .collect();
        Catalog {
            taxonomy_version: self.tax.version().to_string(),
            region: "DE".into(),
            advertisers,
            campaigns,
            models: Models::default(),
        }
    }

    fn advertiser_plan(&mut self) -> AdvertiserPlan {
        let n = self.rng.random_range(2..=3);
        let mut slug = String::new();
        for _ in 0..n {
            slug.push_str(self.pick(SYLLABLES));
        }
        let mut name = capitalise(&slug);
        name.push_str(self.pick(NAME_SUFFIXES));
        let vertical = self.rng.random_range(0..self.verticals.groups.len());
        AdvertiserPlan {
            name,
            slug,
            vertical,
        }
    }

    fn campaign(&mut self, adv: usize, plan: &AdvertiserPlan, left: &mut usize) -> Campaign {
        let id = self.id("c");
        let priority = match self.rng.random_range(0..10) {
            0 => 0,
            1..=5 => 1,
            6..=8 => 2,
            _ => 3,
        };
        // Log-uniform CPM between 0.40 and 25 (in micros per impression: 400..25,000).
        let value_micros =
            (400.0 * (self.rng.random::<f64>() * (25_000f64 / 400.0).ln()).exp()).round() as u64;
        let start_ms = GEN_CREATED_AT_MS - self.rng.random_range(0..30) * DAY_MS;
        let end_ms = GEN_CREATED_AT_MS + self.rng.random_range(14..120) * DAY_MS - 1000;
        let daily_cap = if self.chance(0.4) {
            self.rng.random_range(3..=10)
        } else {
            0
        };
        let pass_through_bp = if self.chance(0.7) {
            10_000
        } else {
            self.rng.random_range(5..=19) * 500
        };
        let mut dayparts = Vec::new();
        if self.chance(0.2) {
            dayparts.push(if self.chance(0.6) {
                Daypart {
                    days: 0b001_1111,
                    start_minute: 7 * 60,
                    end_minute: 22 * 60,
                }
            } else {
                Daypart {
                    days: 0b110_0000,
                    start_minute: 9 * 60,
                    end_minute: 24 * 60,
                }
            });
        }
        let geo = match self.rng.random_range(0..10) {
            0..=5 => vec!["DE".to_string()],
            6 => vec![self.pick(SUBDIVISIONS).to_string()],
            7 => vec!["DE".into(), "AT".into(), "CH".into()],
            _ => Vec::new(),
        };
        let locales = match self.rng.random_range(0..10) {
            0..=4 => vec!["de".to_string()],
            5 | 6 => vec!["de".into(), "en".into()],
            _ => Vec::new(),
        };
        let os = match self.rng.random_range(0..10) {
            0 => vec![Os::Android],
            1 => vec![Os::Ios],
            _ => Vec::new(),
        };
        let app_sections = if self.chance(0.15) {
            vec![self.pick(SECTIONS).to_string()]
        } else {
            Vec::new()
        };
        let untargeted = self.chance(1.0 / 12.0);
        let n_sets = self.rng.random_range(1..=4);
        let mut creative_sets = Vec::with_capacity(n_sets);
        for _ in 0..n_sets {
            if *left == 0 {
                break;
            }
            let set = self.creative_set(plan, untargeted, left);
            creative_sets.push(set);
        }
        Campaign {
            id,
            advertiser_id: format!("a{}", base36(adv as u64 + 1)),
            priority,
            value_micros,
            flight: Flight { start_ms, end_ms },
            daily_cap,
            pass_through_bp,
            dayparts,
            geo,
            locales,
            os,
            app_sections,
            creative_sets,
        }
    }

    fn topic_in(&mut self, vertical: usize) -> TopicIdx {
        let len = self
            .verticals
            .groups
            .get(vertical)
            .map_or(0, |(_, v)| v.len());
        // Prefer specific topics (skip the root most of the time).
        let lo = usize::from(len > 1 && self.chance(0.9));
        let i = self.rng.random_range(lo..len.max(lo + 1));
        self.verticals
            .groups
            .get(vertical)
            .and_then(|(_, v)| v.get(i))
            .copied()
            .unwrap_or(0)
    }

    fn topic_id(&self, idx: TopicIdx) -> String {
        self.tax.get(idx).map(|t| t.id.clone()).unwrap_or_default()
    }

    fn label(&self, idx: TopicIdx) -> String {
        self.tax
            .get(idx)
            .map(|t| t.label.clone())
            .unwrap_or_default()
    }

    fn creative_set(
        &mut self,
        plan: &AdvertiserPlan,
        untargeted: bool,
        left: &mut usize,
    ) -> CreativeSet {
        let id = self.id("s");
        let caps = FrequencyCaps {
            per_hour: self.rng.random_range(0..=2),
            per_day: self.rng.random_range(2..=6),
            per_week: self.rng.random_range(5..=20),
            total: if self.chance(0.2) { 30 } else { 0 },
        };
        let min_interval_s = [0, 60, 300, 900, 3600]
            .get(self.rng.random_range(0..5))
            .copied()
            .unwrap_or(0);
        let mut include_topics: Vec<TopicTarget> = Vec::new();
        let mut main_topic = self
            .verticals
            .groups
            .get(plan.vertical)
            .map(|(r, _)| *r)
            .unwrap_or(0);
        let traits = if self.chance(0.15) {
            vec![self.pick(TRAITS).to_string()]
        } else {
            Vec::new()
        };
        // Trait-only sets (no topics) happen for some trait-targeted sets.
        let trait_only = !untargeted && traits.len() == 1 && self.chance(0.3);
        if !untargeted && !trait_only {
            let n = self.rng.random_range(1..=3);
            for i in 0..n {
                let t = self.topic_in(plan.vertical);
                if i == 0 {
                    main_topic = t;
                }
                let id = self.topic_id(t);
                if include_topics.iter().any(|x| x.topic == id) {
                    continue;
                }
                let k: u8 = self.rng.random_range(1..=10);
                include_topics.push(TopicTarget {
                    topic: id,
                    min_weight: f32::from(k) / 20.0,
                });
            }
        }
        let mut exclude_topics = Vec::new();
        if self.chance(0.2) {
            let groups = self.verticals.groups.len();
            let mut other = self.rng.random_range(0..groups);
            if other == plan.vertical {
                other = (other + 1) % groups;
            }
            let t = self.topic_in(other);
            exclude_topics.push(self.topic_id(t));
        }
        let embedding = if self.chance(0.3) {
            (0..16)
                .map(|_| {
                    let x: f64 = (0..3).map(|_| self.rng.random::<f64>() - 0.5).sum::<f64>() / 1.5;
                    (x * 127.0).round().clamp(-127.0, 127.0) as i8
                })
                .collect()
        } else {
            Vec::new()
        };
        let mut item_ids: Vec<String> = Vec::new();
        if self.chance(0.1) {
            for _ in 0..self.rng.random_range(1..=3) {
                let sku = format!("sku{}", self.rng.random_range(1000..99_999));
                if !item_ids.contains(&sku) {
                    item_ids.push(sku);
                }
            }
        }
        let conversion = if self.chance(0.4) {
            let window_days = [7, 14, 30]
                .get(self.rng.random_range(0..3))
                .copied()
                .unwrap_or(7);
            Some(if self.chance(0.5) {
                ConversionSpec {
                    event_name: Some(self.pick(EVENTS).to_string()),
                    url_pattern: None,
                    window_days,
                }
            } else {
                ConversionSpec {
                    event_name: None,
                    url_pattern: Some(format!("https://{}.example/thanks*", plan.slug)),
                    window_days,
                }
            })
        } else {
            None
        };
        let want = self.rng.random_range(2..=5usize);
        let n = want.min(*left);
        *left -= n;
        let label = self.label(main_topic);
        let creatives = (0..n).map(|_| self.creative(plan, &label)).collect();
        CreativeSet {
            id,
            caps,
            min_interval_s,
            include_topics,
            exclude_topics,
            traits,
            embedding,
            item_ids,
            conversion,
            creatives,
        }
    }

    fn creative(&mut self, plan: &AdvertiserPlan, label: &str) -> Creative {
        let id = self.id("k");
        let kind = match self.rng.random_range(0..20) {
            0..=8 => CreativeKind::Native,
            9..=14 => CreativeKind::Banner,
            15..=17 => CreativeKind::Notification,
            _ => CreativeKind::Interstitial,
        };
        let brand = plan
            .name
            .split_once([' ', '&'])
            .map(|(b, _)| b.to_string())
            .unwrap_or_else(|| plan.name.clone());
        let fill = |t: &str, rng: &mut ChaCha8Rng| {
            t.replace("{L}", label)
                .replace("{l}", &label.to_lowercase())
                .replace("{B}", &brand)
                .replace("{p}", &(rng.random_range(2..=8) * 5).to_string())
                .replace("{d}", &rng.random_range(1..=9).to_string())
                .replace("{n}", &rng.random_range(2..=90).to_string())
        };
        let tt = self.pick(TITLES);
        let bt = self.pick(BODIES);
        let title = fill(tt, &mut self.rng);
        let body = fill(bt, &mut self.rng);
        let image_url = match kind {
            CreativeKind::Notification => None,
            _ => Some(format!(
                "https://img.{}.example/{}.webp",
                plan.slug,
                base36(self.rng.random_range(1000..2_000_000))
            )),
        };
        let click_url = format!(
            "https://{}.example/p/{}",
            plan.slug,
            base36(self.rng.random_range(1000..2_000_000))
        );
        let call_to_action = self.pick(CTAS).to_string();
        Creative {
            id,
            kind,
            title,
            body,
            image_url,
            click_url,
            call_to_action,
        }
    }
}

/// Cumulative Zipf(s) probabilities over ranks `1..=n` (also used by the
/// benchmarks' synthetic users).
pub fn zipf_cdf(n: usize, s: f64) -> Vec<f64> {
    let w: Vec<f64> = (1..=n).map(|k| (k as f64).powf(-s)).collect();
    let total: f64 = w.iter().sum();
    let mut acc = 0.0;
    w.iter()
        .map(|x| {
            acc += x / total;
            acc
        })
        .collect()
}

fn base36(mut n: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS.get((n % 36) as usize).copied().unwrap_or(b'0'));
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
