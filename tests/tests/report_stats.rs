//! Statistical and end-to-end tests of noised reporting.
//!
//! Every random draw comes from a generator with a fixed seed, so each run sees
//! the same numbers; the sizes are chosen so that each assertion would also hold
//! for almost any other seed (bounds of 3 standard errors or more, stated per
//! test), i.e. the tests are not tuned to their seeds. The mechanism code under
//! test is the real one (`Mechanism::perturb` and its Bernoulli and rejection
//! samplers); only the source of uniform 64-bit integers is swapped: the
//! millions of draws below use SplitMix64 (it passes BigCrush; hearth-core's
//! seeded ChaCha source is too slow unoptimised for the test profile), and the
//! engine tests use the production OS generator.
//!
//! - unbiasedness of GRR and OUE estimates (within 3 standard errors);
//! - empirical variance within ±10% of `Mechanism::variance`;
//! - the e^ε ratio bound, checked by sampling with confidence bounds;
//! - engine payloads: one size whatever the activity, identical bytes on
//!   re-read, the budget cap across restarts and clock changes.
// Index loops read like the formulas here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::needless_range_loop
)]

use std::path::Path;
use std::sync::{Arc, OnceLock};

use hearth_cli::report_tools::CatalogInfo;
use hearth_cli::report_tools::SeededNoise;
use hearth_cli::report_tools::audit::{Auditor, Policy, reference_payload};
use hearth_core::ads::AdEventKind;
use hearth_core::catalog::SigningKey;
use hearth_core::catalog::model::Os;
use hearth_core::clock::{DAY_MS, HOUR_MS, MINUTE_MS};
use hearth_core::report::payload::format_day;
use hearth_core::report::{
    Mechanism, MechanismKind, MetricReport, NoiseSource, Payload, Perturbed,
};
use hearth_core::select::{AdContext, AdRequest};
use hearth_core::state::Consent;
use hearth_core::store::StoreKey;
use hearth_core::{Engine, EngineConfig, ManualClock, Timestamp};

// ---------------------------------------------------------------------------
// Mechanism statistics
// ---------------------------------------------------------------------------

/// SplitMix64 (Steele, Lea & Flood 2014): fast even unoptimised.
struct SplitMix(u64);

impl NoiseSource for SplitMix {
    fn next_u64(&mut self) -> hearth_core::Result<u64> {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Ok(z ^ (z >> 31))
    }
}

/// `n` devices whose values are spread as `counts` (value v held by counts[v]).
fn population(counts: &[u32]) -> Vec<u32> {
    counts
        .iter()
        .enumerate()
        .flat_map(|(v, &c)| std::iter::repeat_n(v as u32, c as usize))
        .collect()
}

/// Perturb every device once; return the support count of every value.
fn supports(m: &Mechanism, devices: &[u32], rng: &mut SplitMix) -> Vec<u64> {
    let mut c = vec![0u64; m.domain as usize];
    for &v in devices {
        match m.perturb(v, rng).unwrap() {
            Perturbed::Value(o) => c[o as usize] += 1,
            Perturbed::Bits(bits) => {
                for (i, ci) in c.iter_mut().enumerate() {
                    if bits[i / 8] & (1 << (i % 8)) != 0 {
                        *ci += 1;
                    }
                }
            }
        }
    }
    c
}

/// `reps` independent rounds of `n` devices: per value, the mean and the
/// sample variance of the estimates.
fn rounds(m: &Mechanism, counts: &[u32], reps: u32, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let devices = population(counts);
    let n = devices.len() as f64;
    let d = m.domain as usize;
    let mut rng = SplitMix(seed);
    let (mut sum, mut sum_sq) = (vec![0.0; d], vec![0.0; d]);
    for _ in 0..reps {
        let c = supports(m, &devices, &mut rng);
        let total: f64 = (0..d).map(|v| m.estimate(c[v] as f64, n)).sum();
        if m.kind == MechanismKind::Grr {
            // GRR estimates always sum to n exactly (p + (d-1)q = 1).
            assert!((total - n).abs() < 1e-6, "{total}");
        }
        for v in 0..d {
            let e = m.estimate(c[v] as f64, n);
            sum[v] += e;
            sum_sq[v] += e * e;
        }
    }
    let r = f64::from(reps);
    let mean: Vec<f64> = sum.iter().map(|s| s / r).collect();
    let var = (0..d)
        .map(|v| (sum_sq[v] - r * mean[v] * mean[v]) / (r - 1.0))
        .collect();
    (mean, var)
}

#[test]
fn grr_and_oue_estimates_are_unbiased() {
    // GRR: d = 5 at ε = 1 (5 < 3e + 2). OUE: d = 33.
    //
    // The mean of `reps` estimates must be within 3 standard errors of the
    // truth for the designated values (none, the most and the least frequent
    // campaign: 6 checks, a false alarm once in ~60 seeds), and every value
    // within 4 (a Bonferroni bound over all 38 values: once in ~400 seeds).
    // For OUE, whose estimates of different values are independent, the
    // standardised biases of all values summed also stay within 3.
    let grr = Mechanism::choose(1.0, 5).unwrap();
    assert_eq!(grr.kind, MechanismKind::Grr);
    let oue = Mechanism::choose(1.0, 33).unwrap();
    assert_eq!(oue.kind, MechanismKind::Oue);
    let grr_counts = [700u32, 600, 400, 200, 100];
    let oue_counts: Vec<u32> = (0..33u32)
        .map(|v| 900u32.checked_div(v).unwrap_or(600))
        .collect();
    for (m, counts, reps, seed) in [
        (grr, grr_counts.to_vec(), 300u32, 1u64),
        (oue, oue_counts, 150, 12),
    ] {
        let n: u32 = counts.iter().sum();
        let (mean, _) = rounds(&m, &counts, reps, seed);
        let designated = [0, 1, counts.len() - 1];
        let mut z_sum = 0.0;
        for (v, &f) in counts.iter().enumerate() {
            // Standard error of the mean of `reps` estimates.
            let se = (m.variance(f64::from(f), f64::from(n)) / f64::from(reps)).sqrt();
            let z = (mean[v] - f64::from(f)) / se;
            z_sum += z;
            let limit = if designated.contains(&v) { 3.0 } else { 4.0 };
            assert!(
                z.abs() <= limit,
                "{:?} value {v}: mean estimate {:.1} vs truth {f} ({z:.2} standard errors)",
                m.kind,
                mean[v]
            );
        }
        if m.kind == MechanismKind::Oue {
            let pooled = z_sum / (counts.len() as f64).sqrt();
            assert!(
                pooled.abs() <= 3.0,
                "pooled bias {pooled:.2} standard errors"
            );
        }
    }
}

#[test]
fn empirical_variance_is_within_ten_percent_of_the_formula() {
    // 4,000 rounds: the sample variance has a relative standard deviation of
    // sqrt(2 / 3,999) ≈ 2.2%, so ±10% is a band of about 4.5 of them (16
    // values checked: a false alarm once in thousands of seeds).
    const REPS: u32 = 4_000;
    let rel_sd = (2.0 / f64::from(REPS - 1)).sqrt();
    assert!(0.10 >= 4.0 * rel_sd);
    let grr = Mechanism::choose(1.0, 5).unwrap();
    let oue = Mechanism::choose(1.0, 11).unwrap();
    assert_eq!(
        (grr.kind, oue.kind),
        (MechanismKind::Grr, MechanismKind::Oue)
    );
    let cases = [
        (grr, vec![300u32, 350, 200, 100, 50], 21u64),
        (
            oue,
            vec![300u32, 200, 150, 100, 80, 60, 40, 30, 20, 15, 5],
            22,
        ),
    ];
    std::thread::scope(|s| {
        for (m, counts, seed) in &cases {
            s.spawn(move || {
                let n: u32 = counts.iter().sum();
                let (_, var) = rounds(m, counts, REPS, *seed);
                let mut pooled = 0.0;
                for (v, &f) in counts.iter().enumerate() {
                    let theory = m.variance(f64::from(f), f64::from(n));
                    let ratio = var[v] / theory;
                    pooled += ratio;
                    assert!(
                        (0.9..=1.1).contains(&ratio),
                        "{:?} value {v} (f = {f} of {n}): measured variance {:.1}, formula {theory:.1} (ratio {ratio:.3})",
                        m.kind,
                        var[v]
                    );
                }
                let pooled = pooled / counts.len() as f64;
                assert!((pooled - 1.0).abs() <= 0.05, "{:?} pooled ratio {pooled:.3}", m.kind);
            });
        }
    });
}

/// Wilson score interval for `k` successes in `n` trials at `z`.
fn wilson(k: u64, n: u64, z: f64) -> (f64, f64) {
    let (k, n) = (k as f64, n as f64);
    let p = k / n;
    let denom = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / denom;
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// z of the confidence bounds below: one-sided tail 3.4e-6 each, so a few
/// hundred checks stay far from a false alarm.
const Z: f64 = 4.5;

#[test]
fn oue_neighbouring_inputs_stay_within_e_to_the_epsilon_by_sampling() {
    // d = 64 is far too large to enumerate 2^64 outputs. Sample 40,000
    // outputs for each of 4 inputs and look at every event defined by 4 bits
    // (0, 1, 2 and 63: the inputs' own bits): 16 patterns, each an event
    // whose probability must not differ by more than e^ε between inputs.
    const N: u64 = 40_000;
    let eps = 1.0f64;
    let m = Mechanism::choose(eps, 64).unwrap();
    assert_eq!(m.kind, MechanismKind::Oue);
    let watched = [0u32, 1, 2, 63];
    let mut rng = SplitMix(31);
    // Per input: per-bit set counts and counts of the 16 patterns.
    let mut bit_counts = vec![vec![0u64; 64]; watched.len()];
    let mut patterns = vec![[0u64; 16]; watched.len()];
    for (x, &input) in watched.iter().enumerate() {
        for _ in 0..N {
            let out = m.perturb(input, &mut rng).unwrap();
            let mut pat = 0;
            for (j, &b) in watched.iter().enumerate() {
                if out.supports(b) {
                    pat |= 1 << j;
                }
            }
            patterns[x][pat] += 1;
            for (i, c) in bit_counts[x].iter_mut().enumerate() {
                if out.supports(i as u32) {
                    *c += 1;
                }
            }
        }
    }
    // Each bit is set with probability p (own bit) or q (any other), within CI.
    for (x, &input) in watched.iter().enumerate() {
        for (i, &k) in bit_counts[x].iter().enumerate() {
            let want = if i as u32 == input { m.p } else { m.q };
            let (lo, hi) = wilson(k, N, Z);
            assert!(
                lo <= want && want <= hi,
                "input {input} bit {i}: {k}/{N} vs {want}"
            );
        }
    }
    // The ratio bound on every pattern, for every ordered pair of inputs: even
    // the most favourable reading of the samples (upper bound over lower bound)
    // must not be needed to stay under e^ε, i.e. the lower confidence bound of
    // the ratio is at most e^ε.
    let bound = eps.exp();
    let mut largest_point_ratio = 0.0f64;
    for a in 0..watched.len() {
        for b in 0..watched.len() {
            if a == b {
                continue;
            }
            for pat in 0..16 {
                let (ka, kb) = (patterns[a][pat], patterns[b][pat]);
                let (lo_a, _) = wilson(ka, N, Z);
                let (_, hi_b) = wilson(kb, N, Z);
                assert!(
                    lo_a / hi_b <= bound,
                    "inputs {} vs {}, pattern {pat:04b}: {ka} vs {kb} of {N}: ratio at least {:.3} > e^ε = {bound:.3}",
                    watched[a],
                    watched[b],
                    lo_a / hi_b
                );
                largest_point_ratio = largest_point_ratio.max(ka as f64 / kb.max(1) as f64);
            }
        }
    }
    // OUE meets the bound with equality on some events: the sampled ratios get
    // close to it (the check above is not vacuous).
    assert!(
        largest_point_ratio > 0.8 * bound,
        "largest ratio {largest_point_ratio:.3}"
    );
}

#[test]
fn grr_neighbouring_inputs_stay_within_e_to_the_epsilon_by_sampling() {
    // The largest GRR domain at ε = 1 (d = 10 < 3e + 2): every output value is
    // an event; 40,000 samples per input.
    const N: u64 = 40_000;
    let eps = 1.0f64;
    let m = Mechanism::choose(eps, 10).unwrap();
    assert_eq!(m.kind, MechanismKind::Grr);
    let inputs = [0u32, 1, 9];
    let mut rng = SplitMix(41);
    let mut counts = vec![vec![0u64; 10]; inputs.len()];
    for (x, &input) in inputs.iter().enumerate() {
        for _ in 0..N {
            match m.perturb(input, &mut rng).unwrap() {
                Perturbed::Value(o) => counts[x][o as usize] += 1,
                other => panic!("{other:?}"),
            }
        }
    }
    let bound = eps.exp();
    let mut largest = 0.0f64;
    for a in 0..inputs.len() {
        for o in 0..10usize {
            let want = if o as u32 == inputs[a] { m.p } else { m.q };
            let (lo, hi) = wilson(counts[a][o], N, Z);
            assert!(lo <= want && want <= hi, "input {} output {o}", inputs[a]);
            for b in 0..inputs.len() {
                if a != b {
                    let (lo_a, _) = wilson(counts[a][o], N, Z);
                    let (_, hi_b) = wilson(counts[b][o], N, Z);
                    assert!(
                        lo_a / hi_b <= bound,
                        "{} vs {} output {o}",
                        inputs[a],
                        inputs[b]
                    );
                    largest = largest.max(counts[a][o] as f64 / counts[b][o] as f64);
                }
            }
        }
    }
    assert!(largest > 0.9 * bound, "{largest}");
}

// ---------------------------------------------------------------------------
// Engine payloads
// ---------------------------------------------------------------------------

/// Monday 2026-11-23 08:00 UTC (within the sample catalog's flights).
const START: Timestamp = 1_795_420_800_000;

fn publisher() -> &'static (SigningKey, Vec<u8>, CatalogInfo) {
    static P: OnceLock<(SigningKey, Vec<u8>, CatalogInfo)> = OnceLock::new();
    P.get_or_init(|| {
        let key = SigningKey::generate().unwrap();
        let built = hearth_cli::sample::build_sample(&key).unwrap();
        let info = CatalogInfo::from_bundle(&built.bundle, &[key.public_key()]).unwrap();
        (key, built.bundle, info)
    })
}

fn config(dir: &Path, clock: &Arc<ManualClock>, cap: Option<f64>) -> EngineConfig {
    let mut cfg =
        EngineConfig::new(dir, StoreKey::from_bytes([0x51; 32])).with_clock(clock.clone());
    cfg.trusted_keys = vec![publisher().0.public_key()];
    cfg.selection_seed = Some(3);
    if let Some(c) = cap {
        cfg.reports.weekly_cap_per_metric = c;
    }
    cfg
}

/// Open, opt in; the first call closes (skips: no catalog yet) the periods
/// before today; then install the sample catalog.
fn fresh_engine(dir: &Path, clock: &Arc<ManualClock>, cap: Option<f64>) -> Engine {
    let e = Engine::open(config(dir, clock, cap)).unwrap();
    e.set_consent(Consent::Personalised).unwrap();
    assert!(e.pending_reports().unwrap().is_empty());
    e.install_catalog(publisher().1.clone()).unwrap();
    e
}

fn request(i: usize) -> AdRequest {
    let (section, topic) = [("tech", "635"), ("sports", "533"), ("home", "227")][i % 3];
    AdRequest {
        placement_id: format!("{section}-inline"),
        slots: 2,
        context: AdContext {
            topics: vec![topic.to_string()],
            text: None,
            locale: Some("de-DE".into()),
            country: Some("DE-BE".into()),
            app_section: Some(section.into()),
            os: Some(Os::Android),
            kinds: Vec::new(),
            utc_offset_minutes: 60,
        },
        ..Default::default()
    }
}

/// Show `screens` ad screens (impressions recorded; clicks on every
/// `click_every`-th ad if non-zero). Returns the number of impressions.
fn activity(e: &Engine, clock: &ManualClock, screens: usize, click_every: usize) -> usize {
    let mut shown = 0;
    for s in 0..screens {
        clock.advance(7 * MINUTE_MS);
        for c in e.select_ads(&request(s)).unwrap().choices {
            e.record_ad_event(&c.token, AdEventKind::Impression)
                .unwrap();
            if click_every > 0 && shown % click_every == 0 {
                e.record_ad_event(&c.token, AdEventKind::Click).unwrap();
            }
            shown += 1;
        }
    }
    shown
}

fn epsilons(payload: &str) -> Vec<f64> {
    Payload::parse(payload)
        .unwrap()
        .reports
        .iter()
        .map(|r| r.mechanism.epsilon)
        .collect()
}

#[test]
fn payloads_have_one_size_whatever_the_activity() {
    let info = &publisher().2;
    let mut payloads = Vec::new();
    // (screens, click every k-th ad, weekly cap): none, light, heavy with
    // clicks, and one that reaches its cap on the second day (ε = 0).
    for (screens, clicks, cap) in [(0, 0, None), (2, 0, None), (12, 1, None), (6, 2, Some(1.0))] {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(START));
        let e = fresh_engine(dir.path(), &clock, cap);
        for day in 0..2 {
            clock.set(START + day * DAY_MS);
            let shown = activity(&e, &clock, screens, clicks);
            assert!(screens == 0 || shown > 0);
        }
        clock.set(START + 2 * DAY_MS + HOUR_MS);
        let pending = e.pending_reports().unwrap();
        assert_eq!(pending.len(), 2);
        if cap == Some(1.0) {
            assert_eq!(epsilons(&pending[0].payload), [1.0; 3]);
            assert_eq!(epsilons(&pending[1].payload), [0.0; 3]);
        }
        payloads.extend(pending.into_iter().map(|r| r.payload));
    }
    let kind = Mechanism::choose(1.0, info.domain()).unwrap().kind;
    let reference = reference_payload(info.version, info.domain(), [(kind, 1.0); 3], 0)
        .to_json()
        .len();
    for p in &payloads {
        assert_eq!(p.len(), reference, "{p}");
    }
    // The payloads differ (noise, values), the sizes do not.
    let distinct: std::collections::BTreeSet<&String> = payloads.iter().collect();
    assert_eq!(distinct.len(), payloads.len());
    // Every value of the domain, with and without signal: one size.
    let mut rng = SeededNoise::new(5);
    for eps in [0.0, 1.0] {
        for v in 0..info.domain() {
            let m = Mechanism::new(kind, eps, info.domain());
            let p = Payload {
                catalog_version: info.version,
                day: 20_000,
                reports: (0..3)
                    .map(|i| MetricReport {
                        metric: i,
                        mechanism: m,
                        data: m.perturb(v, &mut rng).unwrap(),
                    })
                    .collect(),
            };
            assert_eq!(p.to_json().len(), reference);
        }
    }
    // And the auditor agrees.
    let mut a = Auditor::new(Policy::default(), Some(info.audit_catalog()));
    for p in &payloads {
        a.check_line(p.as_bytes());
    }
    let r = a.finish();
    assert!(r.passed(), "{}", r.text("engine payloads"));
}

#[test]
fn a_pending_report_reads_back_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(START));
    let e = fresh_engine(dir.path(), &clock, None);
    assert!(activity(&e, &clock, 6, 2) > 0);
    clock.set(START + DAY_MS + HOUR_MS);
    let first = e.pending_reports().unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].period, format_day(START / DAY_MS));
    // Again, later the same day: the same bytes (no fresh noise).
    clock.advance(3 * HOUR_MS);
    assert_eq!(e.pending_reports().unwrap(), first);
    // After a restart.
    e.close().unwrap();
    drop(e);
    let e = Engine::open(config(dir.path(), &clock, None)).unwrap();
    assert_eq!(e.pending_reports().unwrap(), first);
    // The transparency log holds the same bytes.
    let log = e.sent_reports().unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].payload, first[0].payload);
    assert_eq!(log[0].acknowledged_at_ms, None);
    // Acknowledged: no longer pending, still logged, unchanged.
    assert!(e.acknowledge(first[0].handle).unwrap());
    assert!(!e.acknowledge(first[0].handle).unwrap());
    assert!(e.pending_reports().unwrap().is_empty());
    let log = e.sent_reports().unwrap();
    assert_eq!(log[0].payload, first[0].payload);
    assert!(log[0].acknowledged_at_ms.is_some());
}

#[test]
fn the_budget_cap_holds_across_restarts_and_clock_changes() {
    // ε = 1 per metric per period, at most 2 per metric in 7 periods.
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(START));
    let day0 = START / DAY_MS;
    let at = |day: i64, hour: i64| (day0 + day) * DAY_MS + hour * HOUR_MS;
    let e = fresh_engine(dir.path(), &clock, Some(2.0));
    activity(&e, &clock, 3, 0);

    // Day 1: period 0 closes with ε = 1.
    clock.set(at(1, 9));
    let p0 = e.pending_reports().unwrap();
    assert_eq!(p0.len(), 1);
    assert_eq!(epsilons(&p0[0].payload), [1.0; 3]);
    assert!(e.acknowledge(p0[0].handle).unwrap());
    activity(&e, &clock, 3, 0);

    // Restart; day 2: period 1 closes with ε = 1.
    e.close().unwrap();
    drop(e);
    let e = Engine::open(config(dir.path(), &clock, Some(2.0))).unwrap();
    clock.set(at(2, 9));
    let p1 = e.pending_reports().unwrap();
    assert_eq!(p1.len(), 1);
    assert_eq!(p1[0].period, format_day(day0 + 1));
    assert_eq!(epsilons(&p1[0].payload), [1.0; 3]);

    // The clock goes back two days: nothing new, nothing reopened.
    clock.set(at(0, 12));
    assert_eq!(e.pending_reports().unwrap(), p1);
    activity(&e, &clock, 3, 0);
    // … and stays back across a restart.
    e.close().unwrap();
    drop(e);
    let e = Engine::open(config(dir.path(), &clock, Some(2.0))).unwrap();
    assert_eq!(e.pending_reports().unwrap(), p1);

    // Forward to day 3: period 2 closes, past the cap: ε = 0, p = q, same size.
    clock.set(at(3, 9));
    let pending = e.pending_reports().unwrap();
    assert_eq!(pending.len(), 2);
    assert_eq!(pending[0], p1[0]);
    let p2 = &pending[1];
    assert_eq!(p2.period, format_day(day0 + 2));
    assert_eq!(epsilons(&p2.payload), [0.0; 3]);
    for r in Payload::parse(&p2.payload).unwrap().reports {
        assert_eq!(r.mechanism.p, r.mechanism.q);
    }
    assert_eq!(p2.payload.len(), p1[0].payload.len());
    let budget = e.privacy_budget().unwrap();
    for m in &budget.metrics {
        assert_eq!(m.spent_last_7_periods, 2.0, "{}", m.metric);
        assert_eq!(m.remaining, 0.0, "{}", m.metric);
    }

    // More restarts and clock jumps never report a period twice.
    e.close().unwrap();
    drop(e);
    for (day, hour) in [(1, 0), (3, 10), (2, 23), (3, 23)] {
        let e = Engine::open(config(dir.path(), &clock, Some(2.0))).unwrap();
        clock.set(at(day, hour));
        e.pending_reports().unwrap();
        e.close().unwrap();
    }
    let e = Engine::open(config(dir.path(), &clock, Some(2.0))).unwrap();
    let log = e.sent_reports().unwrap();
    let mut periods: Vec<String> = log.iter().map(|r| r.period.clone()).collect();
    periods.sort();
    assert_eq!(
        periods,
        [format_day(day0), format_day(day0 + 1), format_day(day0 + 2)]
    );
    // Spent ε per metric over those periods: 1 + 1 + 0 ≤ 2.
    let spent: f64 = log.iter().map(|r| epsilons(&r.payload)[0]).sum();
    assert_eq!(spent, 2.0);
}
