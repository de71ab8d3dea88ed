//! Ad selection benchmarks: `Engine::select_ads` on generated catalogs of
//! 10,000 and 100,000 creatives, side by side with the selection pipeline
//! alone and with a naive full scan; and `Engine::record_ad_event`.
//!
//! Run: `cargo bench -p hearth-cli --bench select` (about 3 minutes).
//!
//! Setup, per size: a catalog from the synthetic generator (seed 7); a user
//! with a realistic profile (1,500 views, searches and purchases over 60 days
//! on the catalog's own topics, Zipf-distributed: 128 topics, a spending tier)
//! and a realistic ad history (400 ads selected and shown over the 2.8 days
//! before the timing, one every 10 minutes: caps, fatigue, the last creative
//! all in play); and a request for 3 slots on a screen with two topics, a
//! country, locale, OS and app section. Selection limits are out of the way
//! (`max_ads_per_hour/day` unlimited, `min_gap_ms` 0) and no impressions are
//! recorded in the timed loops, so every request runs the whole pipeline
//! against the same state.
//!
//! - `engine`: `Engine::select_ads`, everything an app pays for (locks,
//!   profile weights, pipeline, explanations, tokens, owned creatives).
//! - `pipeline`: `hearth_core::select::select` alone, on the same inputs (an
//!   `AdBook` with the same history).
//! - `naive_full_scan`: the baseline: every campaign and every creative set of
//!   the catalog checked with the same eligibility and scoring functions
//!   (`select::eligibility::{campaign, set}`, pacing, `EngagementModel::p`),
//!   without the topic → sets index (it reads only each set's resolved
//!   topics, `index.sets[i]`); then the best per slot with one per campaign
//!   and advertiser.
//!
//! Criterion reports mean and median. The p50 / p99 figures (and ratios) come
//! from a separate loop of 2,000 timed calls each (400 under `BENCH_QUICK=1`;
//! alternating blocks of 100
//! calls of each function), printed to stderr, also without the calls during
//! which the thread was preempted by another process (counted from
//! `/proc/thread-self/status`), since on a busy 2-CPU machine those are what
//! the p99 of a 0.4 ms call measures.
//!
//! `record_ad_event`: an impression on a fresh token per call, a click on a
//! token whose impression was recorded just before (untimed), and a conversion
//! after an impression and a click (untimed), each against a full history
//! (2,048 entries, the most kept): tokens are issued in batches by
//! `select_ads` outside the timing, and the history is pruned back to its
//! bound between batches. The ads target one topic the screen shows, so a
//! click also updates the profile. Criterion times impressions and clicks;
//! conversions stop their creative set for good, so they are timed only in the
//! single-call loop (p50 / p99), on an engine with 16 sets per campaign.
//!
//! `SELECT_BENCH_PROFILE=<creatives>:<engine|pipeline|naive>` runs only that
//! case for 10 s, for `perf record`.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use hearth_cli::synth::GEN_CREATED_AT_MS;
use hearth_core::ads::{AdBook, AdEventKind, AdRef, AdSnapshot};
use hearth_core::catalog::InstalledCatalog;
use hearth_core::catalog::bundle::{self, SigningKey};
use hearth_core::catalog::model::{
    Advertiser, Campaign, Catalog, Creative, CreativeKind, CreativeSet, Flight, FrequencyCaps,
    Models, Os, TopicTarget,
};
use hearth_core::clock::{DAY_MS, HOUR_MS, MINUTE_MS, Timestamp};
use hearth_core::select::{
    self, AdContext, AdRequest, EngagementModel, Features, RequestContext, UserSide, eligibility,
    pacing,
};
use hearth_core::taxonomy::{Taxonomy, TopicIdx};
use hearth_core::{Engine, ManualClock};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use support::{ads_config, open_engine, realistic_profile, synth_bundle};

mod support;

/// 2025-12-30 10:00 UTC: the history starts here (most generated flights
/// began up to 30 days before the catalog's creation).
const START: Timestamp = GEN_CREATED_AT_MS - 2 * DAY_MS + 10 * HOUR_MS;
/// Ads shown to the user before the timing starts, one every 10 minutes.
const SHOWN: i64 = 400;
/// The timing runs at the end of that history: 2026-01-01 04:40 UTC, a
/// Thursday, inside the catalogs' lifetime.
const NOW: Timestamp = START + SHOWN * 10 * MINUTE_MS;
/// For the record_ad_event catalog.
const RECORD_NOW: Timestamp = GEN_CREATED_AT_MS + 10 * HOUR_MS;
const SLOTS: u32 = 3;

/// Calls per function in the single-call timing loops (p50 / p99): 2,000, or
/// 400 under `BENCH_QUICK=1`.
fn timed_calls() -> usize {
    support::scaled(2_000, 400)
}

struct Setup {
    _dir: tempfile::TempDir,
    engine: Engine,
    cat: Arc<InstalledCatalog>,
    request: AdRequest,
    top: Vec<(TopicIdx, f64)>,
    dense: Vec<f64>,
    traits: Vec<String>,
    ctx: RequestContext,
    model: EngagementModel,
    book: AdBook,
}

fn setup(creatives: usize, key: &SigningKey, tax: &Arc<Taxonomy>) -> Setup {
    let (catalog, b) = synth_bundle(creatives, 7, key, tax);
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(START));
    let engine = open_engine(dir.path(), &clock, key);
    engine.install_catalog(b).unwrap();
    realistic_profile(&engine, &catalog, START);
    // A history of shown ads (caps, fatigue, the last creative), mirrored into
    // the book the pipeline and the baseline read.
    let mut book = AdBook::restore(AdSnapshot::default(), [1; 32]);
    let mut shown = 0;
    for _ in 0..SHOWN {
        let ctx = AdContext {
            country: Some("DE".into()),
            locale: Some("de-DE".into()),
            os: Some(Os::Android),
            utc_offset_minutes: 60,
            ..AdContext::default()
        };
        let r = engine
            .select_ads(&AdRequest {
                placement_id: "feed".into(),
                slots: 1,
                context: ctx,
                ..Default::default()
            })
            .unwrap();
        let now = hearth_core::Clock::now_ms(&*clock);
        for c in r.choices {
            engine
                .record_ad_event(&c.token, AdEventKind::Impression)
                .unwrap();
            let t = book.issue(
                AdRef {
                    campaign_id: c.campaign_id,
                    set_id: c.creative_set_id,
                    creative_id: c.creative.id,
                    advertiser_id: c.advertiser_id,
                    title: c.creative.title,
                    catalog_version: 1,
                    set_pos: 0,
                },
                now,
            );
            book.record(&t, AdEventKind::Impression, now).unwrap();
            shown += 1;
        }
        clock.advance(10 * MINUTE_MS);
    }
    assert_eq!(hearth_core::Clock::now_ms(&*clock), NOW);
    engine.flush().unwrap();
    assert!(shown > SHOWN * 9 / 10, "{shown} ads shown");
    let top = engine.topic_weights().unwrap();
    // Two screen topics from the middle of the profile.
    let screen: Vec<String> = [top.len() / 3, top.len() / 2]
        .iter()
        .filter_map(|&i| top.get(i))
        .map(|&(t, _)| tax.get(t).unwrap().id.clone())
        .collect();
    let request = AdRequest {
        placement_id: "feed".into(),
        slots: SLOTS,
        context: AdContext {
            topics: screen,
            text: None,
            locale: Some("de-DE".into()),
            country: Some("DE-BY".into()),
            app_section: Some("news".into()),
            os: Some(Os::Android),
            kinds: vec![],
            utc_offset_minutes: 60,
        },
        ..Default::default()
    };
    let cat = engine.catalog().unwrap().unwrap();
    let mut dense = vec![0.0; tax.len()];
    for &(t, w) in &top {
        dense[t as usize] = w;
    }
    let traits = engine.traits().unwrap().iter().map(|t| t.key()).collect();
    let ctx = RequestContext::resolve(&request.context, tax).unwrap();
    let model = EngagementModel::with_overrides(&cat.catalog.models.scoring);
    Setup {
        _dir: dir,
        engine,
        cat,
        request,
        top,
        dense,
        traits,
        ctx,
        model,
        book,
    }
}

impl Setup {
    fn user(&self) -> UserSide<'_> {
        UserSide {
            weights: &self.dense,
            hidden: &[],
            traits: &self.traits,
            taste: &[],
            book: &self.book,
            content: None,
        }
    }

    fn pipeline(&self, rng: &mut ChaCha8Rng) -> usize {
        let s = select::select(
            &self.cat,
            &self.user(),
            &self.top,
            &self.ctx,
            SLOTS,
            &ads_config(),
            &self.model,
            NOW,
            rng,
        );
        s.picks.len()
    }

    /// The baseline: every set of the catalog, no topic index.
    fn naive(&self, rng: &mut ChaCha8Rng) -> usize {
        let user = self.user();
        let cfg = ads_config();
        struct Cand {
            priority: u8,
            score: f64,
            pos: usize,
            campaign: u32,
            advertiser: u32,
        }
        let mut cands: Vec<Cand> = Vec::new();
        let mut pos = 0usize;
        for c in &self.cat.catalog.campaigns {
            let n = c.creative_sets.len();
            let ok = eligibility::campaign(c, &self.ctx, user.book, NOW).is_ok()
                && pacing::passes(c.pass_through_bp, rng);
            if !ok {
                pos += n;
                continue;
            }
            for s in &c.creative_sets {
                let entry = &self.cat.index.sets[pos];
                pos += 1;
                let Ok(m) = eligibility::set(
                    s,
                    &self.cat.index,
                    entry,
                    &user,
                    &self.ctx,
                    user.book.set_stats(&s.id),
                    NOW,
                    cfg.dismiss_limit,
                ) else {
                    continue;
                };
                let f = Features {
                    interest: m.interest,
                    context: m.context,
                    trait_match: m.traits,
                    embedding: select::scoring::cosine(user.taste, &s.embedding),
                    shows_7d: 0,
                    ..Default::default()
                };
                let p = self.model.p(&f);
                cands.push(Cand {
                    priority: c.priority,
                    score: c.value_micros as f64 * p,
                    pos: pos - 1,
                    campaign: entry.campaign,
                    advertiser: entry.advertiser,
                });
            }
        }
        cands.sort_by(|a, b| {
            a.priority
                .cmp(&b.priority)
                .then(b.score.total_cmp(&a.score))
                .then(a.pos.cmp(&b.pos))
        });
        let mut picked: Vec<&Cand> = Vec::new();
        for c in &cands {
            if picked.len() == SLOTS as usize {
                break;
            }
            if !picked
                .iter()
                .any(|p| p.campaign == c.campaign || p.advertiser == c.advertiser)
            {
                picked.push(c);
            }
        }
        picked.len()
    }

    /// Sets the pipeline looks at (index candidates) vs all sets.
    fn candidate_sets(&self) -> (usize, usize) {
        let idx = &self.cat.index;
        let mut v: Vec<u32> = Vec::new();
        for &(t, _) in self.top.iter().take(ads_config().candidate_topics) {
            v.extend(idx.by_topic.get(&t).into_iter().flatten());
        }
        for t in &self.ctx.topics {
            v.extend(idx.by_topic.get(t).into_iter().flatten());
        }
        v.extend(&idx.untargeted);
        v.sort_unstable();
        v.dedup();
        (v.len(), idx.sets.len())
    }
}

/// Involuntary context switches of this thread so far (Linux; 0 elsewhere).
fn preemptions() -> u64 {
    std::fs::read_to_string("/proc/thread-self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("nonvoluntary_ctxt_switches:"))
                .and_then(|v| v.trim().parse().ok())
        })
        .unwrap_or(0)
}

/// p50, p99 and max of a sample.
#[derive(Clone, Copy)]
struct Pct {
    p50: Duration,
    p99: Duration,
    max: Duration,
}

fn percentiles(mut v: Vec<Duration>) -> Pct {
    v.sort_unstable();
    let at = |q: f64| v[((v.len() as f64 * q) as usize).min(v.len() - 1)];
    Pct {
        p50: at(0.5),
        p99: at(0.99),
        max: *v.last().unwrap(),
    }
}

/// Timings of one function: over all calls, and over the calls during which
/// the thread was not preempted (another process took the CPU).
struct Timing {
    all: Pct,
    unpreempted: Pct,
    preempted: usize,
}

/// Time `fs` in alternating blocks of 100 calls (so that noise from other
/// processes hits all of them alike, while each block runs warm):
/// [`timed_calls`] calls each, after 200 warm-up calls each.
fn timed<const N: usize>(fs: &mut [&mut dyn FnMut(); N]) -> [Timing; N] {
    for f in fs.iter_mut() {
        for _ in 0..200 {
            f();
        }
    }
    let mut v: [Vec<(Duration, bool)>; N] =
        std::array::from_fn(|_| Vec::with_capacity(timed_calls()));
    for _ in 0..timed_calls() / 100 {
        for (f, v) in fs.iter_mut().zip(v.iter_mut()) {
            for _ in 0..100 {
                let before = preemptions();
                let t = Instant::now();
                f();
                let d = t.elapsed();
                v.push((d, preemptions() != before));
            }
        }
    }
    v.map(|v| Timing {
        all: percentiles(v.iter().map(|x| x.0).collect()),
        unpreempted: percentiles(v.iter().filter(|x| !x.1).map(|x| x.0).collect()),
        preempted: v.iter().filter(|x| x.1).count(),
    })
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// `SELECT_BENCH_PROFILE=<creatives>:<engine|pipeline|naive>` runs only that
/// case for 10 s and exits (for `perf record`).
fn profile_only(spec: &str) {
    let (n, which) = spec.split_once(':').expect("creatives:which");
    let tax = Taxonomy::iab().unwrap();
    let key = SigningKey::generate().unwrap();
    let s = setup(n.parse().unwrap(), &key, &tax);
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let end = Instant::now() + Duration::from_secs(10);
    let mut calls = 0u64;
    while Instant::now() < end {
        for _ in 0..100 {
            match which {
                "engine" => {
                    black_box(s.engine.select_ads(&s.request).unwrap());
                }
                "pipeline" => {
                    black_box(s.pipeline(&mut rng));
                }
                _ => {
                    black_box(s.naive(&mut rng));
                }
            }
        }
        calls += 100;
    }
    eprintln!("{calls} calls of {which} in 10 s");
    std::process::exit(0);
}

fn bench_select(c: &mut Criterion) {
    if let Ok(spec) = std::env::var("SELECT_BENCH_PROFILE") {
        profile_only(&spec);
    }
    let tax = Taxonomy::iab().unwrap();
    let key = SigningKey::generate().unwrap();
    for n in [10_000usize, 100_000] {
        let s = setup(n, &key, &tax);
        let label = format!("{}k", n / 1000);
        let r = s.engine.select_ads(&s.request).unwrap();
        let (cands, sets) = s.candidate_sets();
        eprintln!(
            "\n[select {label}] {} creatives, {} campaigns, {sets} creative sets; profile {} topics, \
             {} traits; index candidates {cands} sets ({:.1}%); answer: {} choices {:?}",
            s.cat.index.creatives,
            s.cat.catalog.campaigns.len(),
            s.top.len(),
            s.traits.len(),
            100.0 * cands as f64 / sets as f64,
            r.choices.len(),
            r.choices
                .iter()
                .map(|c| (c.campaign_id.as_str(), c.why.basis))
                .collect::<Vec<_>>()
        );
        assert_eq!(
            r.choices.len(),
            SLOTS as usize,
            "the benchmark request must fill"
        );
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        assert_eq!(s.pipeline(&mut rng), SLOTS as usize);
        assert_eq!(s.naive(&mut rng), SLOTS as usize);

        // p50 / p99 from plain timed loops, interleaved.
        let mut rng2 = ChaCha8Rng::seed_from_u64(6);
        let [e, p, b] = timed(&mut [
            &mut || {
                black_box(s.engine.select_ads(black_box(&s.request)).unwrap());
            },
            &mut || {
                black_box(s.pipeline(&mut rng));
            },
            &mut || {
                black_box(s.naive(&mut rng2));
            },
        ]);
        for (name, t) in [("engine", &e), ("pipeline", &p), ("naive_full_scan", &b)] {
            eprintln!(
                "[select {label}] {name:16} p50 {:8.1} µs  p99 {:8.1} µs  (p99/p50 {:.2})  max {:8.1} µs \
                 | {} of {} calls preempted; without them: p50 {:8.1} µs  p99 {:8.1} µs  (p99/p50 {:.2})",
                us(t.all.p50),
                us(t.all.p99),
                us(t.all.p99) / us(t.all.p50),
                us(t.all.max),
                t.preempted,
                timed_calls(),
                us(t.unpreempted.p50),
                us(t.unpreempted.p99),
                us(t.unpreempted.p99) / us(t.unpreempted.p50),
            );
        }
        eprintln!(
            "[select {label}] naive / pipeline p50 = {:.1}×, naive / engine p50 = {:.1}×",
            us(b.all.p50) / us(p.all.p50),
            us(b.all.p50) / us(e.all.p50)
        );

        let mut g = c.benchmark_group(format!("select_ads/{label}"));
        g.sample_size(if n > 50_000 { 30 } else { 60 });
        g.bench_function(BenchmarkId::new("engine", &label), |bench| {
            bench.iter(|| black_box(s.engine.select_ads(black_box(&s.request)).unwrap()))
        });
        g.bench_function(BenchmarkId::new("pipeline", &label), |bench| {
            bench.iter(|| black_box(s.pipeline(&mut rng)))
        });
        g.bench_function(BenchmarkId::new("naive_full_scan", &label), |bench| {
            bench.iter(|| black_box(s.naive(&mut rng)))
        });
        g.finish();
    }
}

/// 64 uncapped campaigns of 64 advertisers, `sets` creative sets each, all
/// targeting one topic the request's screen shows: every request fills 10
/// slots, so tokens are cheap to make, and a click strengthens that topic in
/// the profile (as a click on a targeted ad does).
fn token_catalog(tax: &Taxonomy, sets: usize) -> Catalog {
    let topic = tax
        .topics()
        .iter()
        .find(|t| !t.sensitive && t.depth >= 1)
        .unwrap()
        .id
        .clone();
    let creative = |id: String| Creative {
        id,
        kind: CreativeKind::Native,
        title: "A title".into(),
        body: "A body.".into(),
        image_url: None,
        click_url: "https://shop.example.com/p".into(),
        call_to_action: "Go".into(),
    };
    let set = |i: usize, j: usize| CreativeSet {
        id: format!("s{i}-{j}"),
        caps: FrequencyCaps::default(),
        min_interval_s: 0,
        include_topics: vec![TopicTarget {
            topic: topic.clone(),
            min_weight: 0.0,
        }],
        exclude_topics: vec![],
        traits: vec![],
        embedding: vec![],
        item_ids: vec![],
        conversion: None,
        creatives: (0..3).map(|k| creative(format!("k{i}-{j}-{k}"))).collect(),
    };
    let campaigns: Vec<Campaign> = (0..64)
        .map(|i| Campaign {
            id: format!("c{i}"),
            advertiser_id: format!("a{i}"),
            priority: 1,
            value_micros: 1_000_000 + i as u64,
            flight: Flight {
                start_ms: RECORD_NOW - 30 * DAY_MS,
                end_ms: RECORD_NOW + 60 * DAY_MS,
            },
            daily_cap: 0,
            pass_through_bp: 10_000,
            dayparts: vec![],
            geo: vec![],
            locales: vec![],
            os: vec![],
            app_sections: vec![],
            creative_sets: (0..sets).map(|j| set(i, j)).collect(),
        })
        .collect();
    Catalog {
        taxonomy_version: tax.version().into(),
        region: "DE".into(),
        advertisers: (0..64)
            .map(|i| Advertiser {
                id: format!("a{i}"),
                name: format!("Advertiser {i}"),
            })
            .collect(),
        campaigns,
        models: Models::default(),
    }
}

/// An engine with [`token_catalog`] installed and a full ad history (2,048
/// entries, the most kept), for timing `record_ad_event`.
struct Tokens {
    _dir: tempfile::TempDir,
    clock: Arc<ManualClock>,
    engine: Engine,
    request: AdRequest,
}

impl Tokens {
    fn new(tax: &Taxonomy, key: &SigningKey, sets: usize) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(RECORD_NOW));
        let engine = open_engine(dir.path(), &clock, key);
        let cat = token_catalog(tax, sets);
        let b = bundle::seal(&cat, 1, RECORD_NOW - DAY_MS, RECORD_NOW + 60 * DAY_MS, key).unwrap();
        engine.install_catalog(b).unwrap();
        let screen = cat.campaigns[0].creative_sets[0].include_topics[0]
            .topic
            .clone();
        let t = Self {
            _dir: dir,
            clock,
            engine,
            request: AdRequest {
                placement_id: "feed".into(),
                slots: 10,
                context: AdContext {
                    topics: vec![screen],
                    ..AdContext::default()
                },
                ..AdRequest::default()
            },
        };
        // Fill the history to its bound.
        for _ in 0..9 {
            t.run(&[], AdEventKind::Impression, usize::MAX, &mut |_| {});
            t.clock.advance(1_000);
        }
        t
    }

    /// 250 fresh tokens (the pending list holds 256).
    fn batch(&self) -> Vec<String> {
        let tokens: Vec<String> = (0..25)
            .flat_map(|_| self.engine.select_ads(&self.request).unwrap().choices)
            .map(|c| c.token)
            .collect();
        assert!(!tokens.is_empty(), "the token catalog must fill");
        tokens
    }

    /// On at most `limit` tokens of a fresh batch: the events `before`
    /// (untimed), then `kind`, timed call by call (`each`). Then a flush, as
    /// the background writer would do, so dirty state does not pile up.
    /// Returns the number of timed calls.
    fn run(
        &self,
        before: &[AdEventKind],
        kind: AdEventKind,
        limit: usize,
        each: &mut dyn FnMut(Duration),
    ) -> usize {
        let mut n = 0;
        for t in self.batch().iter().take(limit) {
            for &k in before {
                self.engine.record_ad_event(t, k).unwrap();
            }
            let start = Instant::now();
            let o = self.engine.record_ad_event(black_box(t), kind).unwrap();
            each(start.elapsed());
            assert!(black_box(o).counted);
            n += 1;
        }
        self.engine.flush().unwrap();
        n
    }

    /// Single-call timings of `count` calls.
    fn sample(&self, before: &[AdEventKind], kind: AdEventKind, count: usize) -> Pct {
        let mut all = Vec::with_capacity(count);
        while all.len() < count {
            self.run(before, kind, count - all.len(), &mut |d| all.push(d));
        }
        percentiles(all)
    }

    /// Criterion's routine: total time of `iters` calls.
    fn total(&self, before: &[AdEventKind], kind: AdEventKind, iters: u64) -> Duration {
        let mut total = Duration::ZERO;
        let mut left = iters as usize;
        while left > 0 {
            left -= self.run(before, kind, left, &mut |d| total += d);
        }
        total
    }
}

fn bench_record(c: &mut Criterion) {
    use AdEventKind::{Click, Conversion, Impression};
    let tax = Taxonomy::iab().unwrap();
    let key = SigningKey::generate().unwrap();
    let t = Tokens::new(&tax, &key, 1);
    let history = t.engine.ad_history().unwrap().len();
    // Conversions stop their creative set for good, so they get an engine of
    // their own with enough sets for the timed calls (16 per campaign).
    let conv = Tokens::new(&tax, &key, 16);
    let calls = timed_calls();
    eprintln!();
    for (name, engine, before, kind) in [
        ("impression on a fresh token", &t, &[][..], Impression),
        (
            "click after an (untimed) impression",
            &t,
            &[Impression][..],
            Click,
        ),
        (
            "conversion after an (untimed) impression and click",
            &conv,
            &[Impression, Click][..],
            Conversion,
        ),
    ] {
        let p = engine.sample(before, kind, calls);
        eprintln!(
            "[record_ad_event] history {history} entries: {name} p50 {:.2} µs  p99 {:.2} µs  max {:.1} µs",
            us(p.p50),
            us(p.p99),
            us(p.max)
        );
    }
    c.bench_function("record_ad_event/impression", |bench| {
        bench.iter_custom(|iters| t.total(&[], Impression, iters))
    });
    c.bench_function("record_ad_event/click", |bench| {
        bench.iter_custom(|iters| t.total(&[Impression], Click, iters))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = bench_select, bench_record
}
criterion_main!(benches);
