//! Criterion benchmark for content ranking (`hearth_core::rank::rank_items`).
//!
//! Run: `cargo bench -p hearth-core --bench rank`. The case the budget is set
//! for (≤ 200 µs): 1,000 items with 3 topics each and 16-dimension embeddings
//! on half of them, a 128-topic profile over the IAB taxonomy, limit 20,
//! diversity 0.3, freshness on (3-day half-life); plus the same without
//! diversity, and with a catalog content model (10,000 items × 100
//! neighbours, the user's 50 recent items). Besides criterion's report it times single calls itself and
//! prints the median and p99.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use hearth_core::content::ContentModel;
use hearth_core::rank::{ContentInput, Item, RankOptions, rank_items_with_content};
use hearth_core::taxonomy::{Taxonomy, TopicIdx};

const NOW: i64 = 1_763_884_800_000;
const DAY_MS: i64 = 86_400_000;
const DIM: usize = 16;

/// A small deterministic generator (no RNG dependency needed).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn unit(&mut self) -> f32 {
        (self.next() % 2001) as f32 / 1000.0 - 1.0
    }
}

struct Case {
    tax: std::sync::Arc<Taxonomy>,
    items: Vec<Item>,
    weights: Vec<(TopicIdx, f64)>,
    user: Vec<f32>,
    model: ContentModel,
    recent: Vec<String>,
}

fn case() -> Case {
    let tax = Taxonomy::iab().unwrap();
    let ids: Vec<&str> = tax
        .topics()
        .iter()
        .filter(|t| !t.sensitive)
        .map(|t| t.id.as_str())
        .collect();
    let mut rng = Lcg(42);
    // 128 distinct profile topics, heaviest first (as Profile::weights gives).
    let mut picked: Vec<usize> = Vec::new();
    while picked.len() < 128 {
        let k = rng.below(ids.len());
        if !picked.contains(&k) {
            picked.push(k);
        }
    }
    let weights: Vec<(TopicIdx, f64)> = picked
        .iter()
        .enumerate()
        .map(|(i, &k)| (tax.idx(ids[k]).unwrap(), 10.0 * 0.97f64.powi(i as i32)))
        .collect();
    let items: Vec<Item> = (0..1000)
        .map(|i| Item {
            id: format!("article-{i:05}"),
            topics: (0..3)
                .map(|_| ids[rng.below(ids.len())].to_string())
                .collect(),
            embedding: if i % 2 == 0 {
                (0..DIM).map(|_| rng.unit()).collect()
            } else {
                Vec::new()
            },
            published_at_ms: Some(NOW - (rng.below(30 * 24) as i64) * DAY_MS / 24),
        })
        .collect();
    let user = (0..DIM).map(|_| rng.unit()).collect();
    // A content model over 10,000 items (the 1,000 ranked are among them),
    // 100 neighbours each, and 50 recent items of the user.
    let n = 10_000u32;
    let model_ids: Vec<String> = (0..n).map(|i| format!("article-{i:05}")).collect();
    let neighbours = (0..n)
        .map(|i| {
            (0..100)
                .map(|k| {
                    (
                        (i + 1 + rng.below(n as usize - 1) as u32) % n,
                        1.0 / (1.0 + k as f32),
                    )
                })
                .collect()
        })
        .collect();
    let model = ContentModel::from_weights(model_ids, neighbours).unwrap();
    let recent = (0..50)
        .map(|_| format!("article-{:05}", rng.below(n as usize)))
        .collect();
    Case {
        tax,
        items,
        weights,
        user,
        model,
        recent,
    }
}

fn opts(diversity: f64) -> RankOptions {
    RankOptions {
        limit: 20,
        diversity,
        freshness_half_life_ms: Some(3 * DAY_MS),
        ..Default::default()
    }
}

fn run(c: &Case, o: &RankOptions) -> usize {
    let content = (!o.recent_item_ids.is_empty()).then_some(ContentInput {
        model: &c.model,
        hidden: &[],
    });
    rank_items_with_content(
        black_box(&c.items),
        black_box(&c.weights),
        Some(&c.user),
        content,
        &c.tax,
        o,
        NOW,
    )
    .unwrap()
    .len()
}

/// Median and p99 of single calls, timed one by one.
fn percentiles(c: &Case, o: &RankOptions) -> (f64, f64) {
    for _ in 0..200 {
        black_box(run(c, o));
    }
    let mut t: Vec<f64> = (0..3000)
        .map(|_| {
            let start = Instant::now();
            black_box(run(c, o));
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    t.sort_by(f64::total_cmp);
    (t[t.len() / 2], t[t.len() * 99 / 100])
}

fn bench_rank(cr: &mut Criterion) {
    let c = case();
    assert_eq!(run(&c, &opts(0.3)), 20);
    let mut summary = Vec::new();
    let mut g = cr.benchmark_group("rank_items");
    for (name, diversity, content) in [
        ("1000_items_128_topics_limit20_diversity0.3", 0.3, false),
        ("1000_items_128_topics_limit20_no_diversity", 0.0, false),
        (
            "1000_items_content_model_50_recent_limit20_diversity0.3",
            0.3,
            true,
        ),
    ] {
        let mut o = opts(diversity);
        if content {
            o.recent_item_ids = c.recent.clone();
        }
        g.bench_function(name, |b| b.iter(|| run(&c, &o)));
        let (p50, p99) = percentiles(&c, &o);
        summary.push(format!(
            "rank_items {name}: median {p50:.1} µs, p99 {p99:.1} µs (budget 200 µs)"
        ));
    }
    g.finish();
    eprintln!();
    for line in summary {
        eprintln!("{line}");
    }
}

criterion_group! {
    name = benches;
    // Short runs: the whole suite (scripts/bench.sh) stays within minutes.
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3));
    targets = bench_rank
}
criterion_main!(benches);
