//! `hearth simulate`: devices with known ground truth through the real reporting
//! code, aggregated, and compared with the truth and the theory.
//!
//! # The simulated day
//!
//! Each device's activity for one period:
//!
//! - **impressions**: with probability 0.7 the device saw ads; its top campaign
//!   is drawn from a Zipf law over the catalog's campaigns (weight of the
//!   `k`-th campaign ∝ `k^-s`, `s = 1.1` by default: a few campaigns get most
//!   of the traffic, a long tail gets little);
//! - **clicks**: a device that saw ads clicked with probability 0.2; the clicked
//!   campaign is its impression campaign with probability 0.8, otherwise an
//!   independent Zipf draw;
//! - **conversions**: a device that clicked converted with probability 0.15, for
//!   the clicked campaign.
//!
//! A share `--capped` of devices (default 0) is past its weekly cap and reports
//! with ε = 0 (no signal), as the engine does.
//!
//! Each device's values are reported exactly as the engine does it:
//! `Mechanism::choose(ε, campaigns + 1)`, `Mechanism::perturb` (with the seeded
//! seeded noise source (`report_tools::SeededNoise`) instead of the OS RNG, so
//! a run is reproducible), a `Payload`, `Payload::to_json`. The JSON lines are
//! then aggregated by the same [`Aggregator`] as `hearth report aggregate`.
//!
//! # What is compared
//!
//! - per campaign: estimate vs truth (relative error), for the top campaigns;
//! - per metric: mean absolute error over campaigns, and the coverage of the
//!   95% intervals;
//! - **measured vs theoretical variance.** The devices are split into buckets
//!   (100 by default). Each bucket is aggregated on its own (then merged into the
//!   totals), so every (bucket, metric, value) gives one normalised squared error
//!   `z² = (estimate − truth)² / Mechanism::variance(truth, n)`. If the
//!   mechanism's variance formula is right, the mean of `z²` is 1; with 100
//!   buckets × 3 metrics × (campaigns + 1) values its standard error is under 1%.
//!   The full run gives the same statistic over 3 × (campaigns + 1) values, with a
//!   larger standard error (about 8% for 100 campaigns). For the top campaigns
//!   the variance of the bucket errors is also compared with the formula one by
//!   one (100 buckets: about ±14% standard error each).
//!
//! Seeds: bucket `b` draws its truth and its noise from generators seeded with
//! `seed` and `b`, so the result does not depend on the number of threads.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use crate::report_tools::SeededNoise;
use hearth_core::report::payload::parse_day;
use hearth_core::report::{METRICS, Mechanism, MetricReport, Payload};
use rand::{Rng, SeedableRng};
use serde::Serialize;

use super::aggregate::{AggregateReport, Aggregator, kind_name};
use super::{CatalogInfo, thousands};
use crate::error::CliError;

/// The simulated period.
pub const PERIOD: &str = "2026-01-01";
/// Catalog version of the simulated payloads.
pub const CATALOG_VERSION: u64 = 1;
/// P(the device saw ads).
pub const P_IMPRESSION: f64 = 0.7;
/// P(click | saw ads).
pub const P_CLICK: f64 = 0.2;
/// P(the click is on the impression campaign | click).
pub const P_CLICK_SAME: f64 = 0.8;
/// P(conversion | click).
pub const P_CONVERSION: f64 = 0.15;

/// `hearth simulate` options.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// Number of devices.
    pub devices: u64,
    /// Number of campaigns in the (synthetic) catalog.
    pub campaigns: u32,
    /// ε per metric.
    pub epsilon: f64,
    /// Seed.
    pub seed: u64,
    /// Zipf exponent of campaign popularity.
    pub zipf_s: f64,
    /// Share of devices past their cap (ε = 0).
    pub capped: f64,
    /// Buckets for the variance check (0: `min(100, devices / 1000)`, at least 1).
    pub buckets: u32,
    /// Worker threads (0: all cores).
    pub threads: usize,
    /// Top campaigns listed per metric.
    pub top: usize,
    /// Write the payloads here as JSON lines (`-`: stdout).
    pub out: Option<PathBuf>,
}

impl Default for SimOptions {
    fn default() -> Self {
        Self {
            devices: 100_000,
            campaigns: 100,
            epsilon: 1.0,
            seed: 1,
            zipf_s: 1.1,
            capped: 0.0,
            buckets: 0,
            threads: 0,
            top: 10,
            out: None,
        }
    }
}

/// One campaign's comparison.
#[derive(Debug, Clone, Serialize)]
pub struct CampaignRow {
    /// Rank by true count.
    pub rank: usize,
    /// Campaign id.
    pub campaign_id: String,
    /// True number of (signal-carrying) devices.
    pub truth: u64,
    /// Estimate.
    pub estimate: f64,
    /// 95% CI.
    pub ci_low: f64,
    /// 95% CI.
    pub ci_high: f64,
    /// |estimate − truth| / truth.
    pub relative_error: f64,
    /// Theoretical standard deviation at the true count.
    pub theoretical_sd: f64,
    /// Variance of the bucket errors / mean theoretical bucket variance.
    pub bucket_variance_ratio: f64,
}

/// One metric's summary.
#[derive(Debug, Clone, Serialize)]
pub struct MetricSummary {
    /// Metric.
    pub metric: String,
    /// Devices with an event (truth).
    pub devices_with_event: u64,
    /// Mean |estimate − truth| over campaigns.
    pub mean_abs_error: f64,
    /// Root mean squared error over campaigns.
    pub rmse: f64,
    /// Mean theoretical standard deviation over campaigns.
    pub mean_theoretical_sd: f64,
    /// Mean of (estimate − truth)² / variance over all values, full run.
    pub full_run_mean_z2: f64,
    /// Mean z² over (bucket, value).
    pub bucket_mean_z2: f64,
    /// Its standard error.
    pub bucket_mean_z2_se: f64,
    /// Share of bucket 95% intervals containing the truth.
    pub bucket_ci_coverage: f64,
    /// The top campaigns.
    pub top: Vec<CampaignRow>,
}

/// Everything `simulate` measured.
#[derive(Debug, Clone, Serialize)]
pub struct SimReport {
    /// Devices.
    pub devices: u64,
    /// Campaigns.
    pub campaigns: u32,
    /// ε.
    pub epsilon: f64,
    /// Seed.
    pub seed: u64,
    /// Zipf exponent.
    pub zipf_s: f64,
    /// Share of capped devices.
    pub capped_share: f64,
    /// Mechanism used.
    pub mechanism: String,
    /// p.
    pub p: f64,
    /// q.
    pub q: f64,
    /// Payload length in bytes.
    pub payload_bytes: usize,
    /// Devices whose report had no signal.
    pub no_signal: u64,
    /// Buckets.
    pub buckets: u32,
    /// Threads used.
    pub threads: usize,
    /// Seconds spent simulating, perturbing and serialising (summed over threads).
    pub generate_cpu_seconds: f64,
    /// Seconds spent aggregating (summed over threads: the time of one core).
    pub aggregate_cpu_seconds: f64,
    /// Payloads aggregated per second per core.
    pub aggregate_payloads_per_second: f64,
    /// Total wall-clock seconds.
    pub total_seconds: f64,
    /// Mean z² over all buckets, metrics and values: measured / theoretical variance.
    pub variance_ratio: f64,
    /// Its standard error.
    pub variance_ratio_se: f64,
    /// Mean z² of the full run over all metrics and values.
    pub full_run_variance_ratio: f64,
    /// Its standard error (sqrt(2 / values)).
    pub full_run_variance_ratio_se: f64,
    /// Per metric.
    pub metrics: Vec<MetricSummary>,
    /// The aggregation of all payloads (estimates with CIs).
    #[serde(skip)]
    pub aggregate: Option<AggregateReport>,
}

struct Bucket {
    agg: Aggregator,
    /// Per metric, per value: signal-carrying devices holding it.
    truth: [Vec<u64>; 3],
    bytes: Vec<u8>,
    no_signal: u64,
    gen_secs: f64,
    agg_secs: f64,
}

fn mix(seed: u64, bucket: u64, stream: u64) -> u64 {
    // SplitMix64 finaliser over the three inputs.
    let mut z = seed
        .wrapping_add(bucket.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(stream.wrapping_mul(0xD1B5_4A32_D192_ED03));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The Zipf CDF over `n` campaigns.
fn zipf_cdf(n: u32, s: f64) -> Vec<f64> {
    let mut acc = 0.0;
    let mut cdf: Vec<f64> = (1..=n)
        .map(|k| {
            acc += f64::from(k).powf(-s);
            acc
        })
        .collect();
    for c in &mut cdf {
        *c /= acc;
    }
    cdf
}

/// One device's true values (0 = none, i = campaign i), per metric.
fn device_values(rng: &mut impl Rng, cdf: &[f64]) -> [u32; 3] {
    let zipf = |rng: &mut dyn FnMut() -> f64| {
        let u = rng();
        let i = cdf
            .partition_point(|&c| c < u)
            .min(cdf.len().saturating_sub(1));
        i as u32 + 1
    };
    let mut uni = || rng.random::<f64>();
    let mut v = [0u32; 3];
    if uni() < P_IMPRESSION {
        v[0] = zipf(&mut uni);
        if uni() < P_CLICK {
            v[1] = if uni() < P_CLICK_SAME {
                v[0]
            } else {
                zipf(&mut uni)
            };
            if uni() < P_CONVERSION {
                v[2] = v[1];
            }
        }
    }
    v
}

/// Simulated payloads of one bucket, as JSON lines, with the truth.
struct Generated {
    bytes: Vec<u8>,
    truth: [Vec<u64>; 3],
    no_signal: u64,
}

fn generate(
    opts: &SimOptions,
    cat: &CatalogInfo,
    cdf: &[f64],
    b: u32,
    devices: u64,
) -> Result<Generated, CliError> {
    let d = cat.domain();
    let day = parse_day(PERIOD).unwrap_or(0);
    let mech = Mechanism::choose(opts.epsilon, d)?;
    let zero = Mechanism::new(mech.kind, 0.0, d);
    let mut truth_rng = rand_chacha::ChaCha8Rng::seed_from_u64(mix(opts.seed, u64::from(b), 0));
    let mut noise = SeededNoise::new(mix(opts.seed, u64::from(b), 1));
    let mut truth: [Vec<u64>; 3] = std::array::from_fn(|_| vec![0; d as usize]);
    let mut bytes = Vec::with_capacity(devices as usize * 900);
    let mut no_signal = 0;
    for _ in 0..devices {
        let values = device_values(&mut truth_rng, cdf);
        let capped = opts.capped > 0.0 && truth_rng.random::<f64>() < opts.capped;
        let m = if capped { zero } else { mech };
        let mut reports = Vec::with_capacity(3);
        for (i, &v) in values.iter().enumerate() {
            reports.push(MetricReport {
                metric: i,
                mechanism: m,
                data: m.perturb(v, &mut noise)?,
            });
            if capped {
                continue;
            }
            if let Some(c) = truth.get_mut(i).and_then(|t| t.get_mut(v as usize)) {
                *c += 1;
            }
        }
        no_signal += u64::from(capped);
        let p = Payload {
            catalog_version: cat.version,
            day,
            reports,
        };
        bytes.extend_from_slice(p.to_json().as_bytes());
        bytes.push(b'\n');
    }
    Ok(Generated {
        bytes,
        truth,
        no_signal,
    })
}

/// The payloads of `opts.devices` simulated devices as JSON lines (one bucket,
/// seeded by `opts.seed`), and the synthetic catalog they are for. For
/// benchmarks and tests.
pub fn payload_lines(opts: &SimOptions) -> Result<(CatalogInfo, Vec<u8>), CliError> {
    let cat = CatalogInfo::synthetic(CATALOG_VERSION, opts.campaigns);
    let cdf = zipf_cdf(opts.campaigns, opts.zipf_s);
    let g = generate(opts, &cat, &cdf, 0, opts.devices)?;
    Ok((cat, g.bytes))
}

fn run_bucket(
    opts: &SimOptions,
    cat: &CatalogInfo,
    cdf: &[f64],
    b: u32,
    devices: u64,
    first_line: u64,
) -> Result<Bucket, CliError> {
    let t0 = Instant::now();
    let Generated {
        bytes,
        truth,
        no_signal,
    } = generate(opts, cat, cdf, b, devices)?;
    let gen_secs = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let mut agg = Aggregator::new(cat.clone()).starting_at_line(first_line);
    agg.feed(&bytes, true);
    let agg_secs = t1.elapsed().as_secs_f64();
    Ok(Bucket {
        agg,
        truth,
        bytes,
        no_signal,
        gen_secs,
        agg_secs,
    })
}

#[derive(Default, Clone)]
struct Z2 {
    sum: f64,
    sum_sq: f64,
    n: u64,
    covered: u64,
}

impl Z2 {
    fn add(&mut self, z2: f64, covered: bool) {
        self.sum += z2;
        self.sum_sq += z2 * z2;
        self.n += 1;
        self.covered += u64::from(covered);
    }
    fn mean(&self) -> f64 {
        self.sum / self.n.max(1) as f64
    }
    fn se(&self) -> f64 {
        let n = self.n.max(2) as f64;
        let m = self.mean();
        let var = (self.sum_sq / n - m * m) * n / (n - 1.0);
        (var.max(0.0) / n).sqrt()
    }
}

/// Estimates of one aggregated group, per metric and value, with CIs.
fn estimates(r: &AggregateReport) -> Vec<Vec<(f64, f64, f64)>> {
    let Some(g) = r.groups.first() else {
        return vec![Vec::new(); 3];
    };
    g.metrics
        .iter()
        .map(|m| {
            std::iter::once(&m.no_event)
                .chain(&m.campaigns)
                .map(|e| {
                    (
                        e.estimate.unwrap_or(f64::NAN),
                        e.ci_low.unwrap_or(f64::NAN),
                        e.ci_high.unwrap_or(f64::NAN),
                    )
                })
                .collect()
        })
        .collect()
}

/// Run the simulation.
pub fn run(opts: &SimOptions) -> Result<SimReport, CliError> {
    if opts.devices == 0 || opts.campaigns == 0 {
        return Err(CliError::Usage(
            "--devices and --campaigns must be at least 1".into(),
        ));
    }
    if !(opts.epsilon > 0.0
        && opts.epsilon <= 8.0
        && hearth_core::report::has_at_most_6_decimals(opts.epsilon))
    {
        return Err(CliError::Usage(
            "--epsilon must be within (0, 8], with at most 6 decimals (as in payloads)".into(),
        ));
    }
    if !(0.0..=1.0).contains(&opts.capped) {
        return Err(CliError::Usage("--capped must be within [0, 1]".into()));
    }
    let start = Instant::now();
    let cat = CatalogInfo::synthetic(CATALOG_VERSION, opts.campaigns);
    let d = cat.domain();
    let mech = Mechanism::choose(opts.epsilon, d)?;
    let cdf = zipf_cdf(opts.campaigns, opts.zipf_s);
    let buckets = if opts.buckets == 0 {
        (opts.devices / 1000).clamp(1, 100) as u32
    } else {
        opts.buckets
            .min(u32::try_from(opts.devices).unwrap_or(u32::MAX))
    };
    let threads = if opts.threads == 0 {
        std::thread::available_parallelism().map_or(1, usize::from)
    } else {
        opts.threads
    };
    let size_of = |b: u32| {
        opts.devices / u64::from(buckets)
            + u64::from(u64::from(b) < opts.devices % u64::from(buckets))
    };
    let mut out: Option<Box<dyn Write>> = match &opts.out {
        None => None,
        Some(p) if p.as_os_str() == "-" => {
            Some(Box::new(std::io::BufWriter::new(std::io::stdout())))
        }
        Some(p) => {
            let f = std::fs::File::create(p).map_err(|e| CliError::Io {
                what: "cannot write",
                path: p.clone(),
                source: e,
            })?;
            Some(Box::new(std::io::BufWriter::with_capacity(1 << 20, f)))
        }
    };
    let out_path = opts.out.clone().unwrap_or_default();

    let mut total = Aggregator::new(cat.clone());
    let mut truth_total: [Vec<u64>; 3] = std::array::from_fn(|_| vec![0; d as usize]);
    let mut bucket_z2: [Z2; 3] = Default::default();
    // Per metric, per value: Σ (est − truth)² and Σ theoretical variance over buckets.
    let mut sq_err: [Vec<f64>; 3] = std::array::from_fn(|_| vec![0.0; d as usize]);
    let mut th_var: [Vec<f64>; 3] = std::array::from_fn(|_| vec![0.0; d as usize]);
    let (mut gen_secs, mut agg_secs, mut no_signal, mut payload_bytes) = (0.0, 0.0, 0u64, 0usize);
    let mut first_line = 1u64;
    let mut next = 0u32;
    while next < buckets {
        let wave: Vec<u32> = (next..buckets.min(next + threads as u32)).collect();
        let firsts: Vec<u64> = wave
            .iter()
            .scan(first_line, |acc, &b| {
                let f = *acc;
                *acc += size_of(b);
                Some(f)
            })
            .collect();
        first_line += wave.iter().map(|&b| size_of(b)).sum::<u64>();
        next += wave.len() as u32;
        let results: Vec<Result<Bucket, CliError>> = std::thread::scope(|s| {
            let handles: Vec<_> = wave
                .iter()
                .zip(&firsts)
                .map(|(&b, &f)| {
                    let (cat, cdf) = (&cat, &cdf);
                    s.spawn(move || run_bucket(opts, cat, cdf, b, size_of(b), f))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(CliError::Usage("a simulation thread panicked".into()))
                    })
                })
                .collect()
        });
        for r in results {
            let bucket = r?;
            gen_secs += bucket.gen_secs;
            agg_secs += bucket.agg_secs;
            no_signal += bucket.no_signal;
            if payload_bytes == 0 {
                payload_bytes = bucket.bytes.iter().position(|&c| c == b'\n').unwrap_or(0);
            }
            if let Some(w) = out.as_mut() {
                w.write_all(&bucket.bytes).map_err(|e| CliError::Io {
                    what: "cannot write",
                    path: out_path.clone(),
                    source: e,
                })?;
            }
            let n_signal = (bucket.agg.valid() - bucket.no_signal) as f64;
            let est = estimates(&bucket.agg.report());
            for m in 0..3 {
                for v in 0..d as usize {
                    let t = bucket.truth[m][v];
                    truth_total[m][v] += t;
                    let Some(&(e, lo, hi)) = est.get(m).and_then(|x| x.get(v)) else {
                        continue;
                    };
                    if n_signal > 0.0 {
                        let var = mech.variance(t as f64, n_signal);
                        let err = e - t as f64;
                        bucket_z2[m].add(err * err / var, lo <= t as f64 && t as f64 <= hi);
                        sq_err[m][v] += err * err;
                        th_var[m][v] += var;
                    }
                }
            }
            total.merge(&bucket.agg);
        }
    }
    if let Some(mut w) = out {
        w.flush().map_err(|e| CliError::Io {
            what: "cannot write",
            path: out_path.clone(),
            source: e,
        })?;
    }
    let agg_report = total.report();
    let est = estimates(&agg_report);
    let n_signal = (opts.devices - no_signal) as f64;
    let mut all_full = Z2::default();
    let mut all_bucket = Z2::default();
    let metrics: Vec<MetricSummary> = (0..3)
        .map(|m| {
            let truth = &truth_total[m];
            let mut full = Z2::default();
            let (mut abs, mut sq, mut sd) = (0.0, 0.0, 0.0);
            for (v, &t) in truth.iter().enumerate() {
                let t = t as f64;
                let (e, lo, hi) = est[m].get(v).copied().unwrap_or((f64::NAN, 0.0, 0.0));
                let var = mech.variance(t, n_signal);
                full.add((e - t) * (e - t) / var, lo <= t && t <= hi);
                all_full.add((e - t) * (e - t) / var, lo <= t && t <= hi);
                if v > 0 {
                    abs += (e - t).abs();
                    sq += (e - t) * (e - t);
                    sd += var.sqrt();
                }
            }
            let c = f64::from(opts.campaigns);
            let mut order: Vec<usize> = (1..d as usize).collect();
            order.sort_by_key(|&v| std::cmp::Reverse(truth[v]));
            let top = order
                .iter()
                .take(opts.top)
                .enumerate()
                .map(|(rank, &v)| {
                    let t = truth[v] as f64;
                    let (e, lo, hi) = est[m].get(v).copied().unwrap_or((f64::NAN, 0.0, 0.0));
                    CampaignRow {
                        rank: rank + 1,
                        campaign_id: cat.value_name(v as u32).to_string(),
                        truth: truth[v],
                        estimate: e,
                        ci_low: lo,
                        ci_high: hi,
                        relative_error: if t > 0.0 { (e - t).abs() / t } else { f64::NAN },
                        theoretical_sd: mech.variance(t, n_signal).sqrt(),
                        bucket_variance_ratio: sq_err[m][v] / th_var[m][v],
                    }
                })
                .collect();
            let bz = &bucket_z2[m];
            all_bucket.sum += bz.sum;
            all_bucket.sum_sq += bz.sum_sq;
            all_bucket.n += bz.n;
            all_bucket.covered += bz.covered;
            MetricSummary {
                metric: METRICS[m].to_string(),
                devices_with_event: truth.iter().skip(1).sum(),
                mean_abs_error: abs / c,
                rmse: (sq / c).sqrt(),
                mean_theoretical_sd: sd / c,
                full_run_mean_z2: full.mean(),
                bucket_mean_z2: bz.mean(),
                bucket_mean_z2_se: bz.se(),
                bucket_ci_coverage: bz.covered as f64 / bz.n.max(1) as f64,
                top,
            }
        })
        .collect();
    Ok(SimReport {
        devices: opts.devices,
        campaigns: opts.campaigns,
        epsilon: opts.epsilon,
        seed: opts.seed,
        zipf_s: opts.zipf_s,
        capped_share: opts.capped,
        mechanism: kind_name(mech.kind).to_string(),
        p: mech.p,
        q: mech.q,
        payload_bytes,
        no_signal,
        buckets,
        threads,
        generate_cpu_seconds: gen_secs,
        aggregate_cpu_seconds: agg_secs,
        aggregate_payloads_per_second: opts.devices as f64 / agg_secs.max(1e-9),
        total_seconds: start.elapsed().as_secs_f64(),
        variance_ratio: all_bucket.mean(),
        variance_ratio_se: all_bucket.se(),
        full_run_variance_ratio: all_full.mean(),
        full_run_variance_ratio_se: (2.0 / all_full.n.max(1) as f64).sqrt(),
        metrics,
        aggregate: Some(agg_report),
    })
}

impl SimReport {
    /// The printed tables.
    pub fn text(&self) -> String {
        use std::fmt::Write as _;
        let mut t = String::new();
        let _ = writeln!(
            t,
            "simulate: {} devices, {} campaigns (Zipf s = {}), epsilon {} per metric, seed {}{}",
            thousands(self.devices),
            self.campaigns,
            self.zipf_s,
            self.epsilon,
            self.seed,
            if self.capped_share > 0.0 {
                format!(
                    ", {:.1}% of devices capped (ε = 0)",
                    100.0 * self.capped_share
                )
            } else {
                String::new()
            }
        );
        let _ = writeln!(
            t,
            "mechanism {} over {} values: p = {:.6}, q = {:.6}; payload {} bytes; {} reports without signal",
            self.mechanism,
            self.campaigns + 1,
            self.p,
            self.q,
            self.payload_bytes,
            thousands(self.no_signal)
        );
        let _ = writeln!(
            t,
            "time: {:.2} s wall in all ({} threads); thread time: simulate + perturb + serialise {:.2} s, aggregate {:.2} s = {:.2} M payloads/s per core",
            self.total_seconds,
            self.threads,
            self.generate_cpu_seconds,
            self.aggregate_cpu_seconds,
            self.aggregate_payloads_per_second / 1e6
        );
        for m in &self.metrics {
            let _ = writeln!(
                t,
                "\n{}: {} devices with an event; top {} campaigns",
                m.metric,
                thousands(m.devices_with_event),
                m.top.len()
            );
            let _ = writeln!(
                t,
                "{:>4}  {:<10} {:>10} {:>12} {:>25} {:>9} {:>9} {:>10}",
                "rank", "campaign", "truth", "estimate", "95% CI", "rel.err", "sd", "var ratio"
            );
            for r in &m.top {
                let _ = writeln!(
                    t,
                    "{:>4}  {:<10} {:>10} {:>12.1} {:>25} {:>8.2}% {:>9.1} {:>10.2}",
                    r.rank,
                    r.campaign_id,
                    r.truth,
                    r.estimate,
                    format!("[{:.0}, {:.0}]", r.ci_low, r.ci_high),
                    100.0 * r.relative_error,
                    r.theoretical_sd,
                    r.bucket_variance_ratio
                );
            }
        }
        let _ = writeln!(
            t,
            "\n(sd: theoretical standard deviation at the true count; var ratio: variance of the {} bucket errors / theoretical, ±{:.0}% standard error each)",
            self.buckets,
            100.0 * (2.0 / f64::from(self.buckets.max(2) - 1)).sqrt()
        );
        let _ = writeln!(t, "\nper metric (over all {} campaigns):", self.campaigns);
        let _ = writeln!(
            t,
            "{:<12} {:>10} {:>10} {:>12} {:>14} {:>20} {:>12}",
            "metric", "MAE", "RMSE", "theory sd", "full-run z²", "bucket z² ± se", "CI coverage"
        );
        for m in &self.metrics {
            let _ = writeln!(
                t,
                "{:<12} {:>10.1} {:>10.1} {:>12.1} {:>14.3} {:>20} {:>11.1}%",
                m.metric,
                m.mean_abs_error,
                m.rmse,
                m.mean_theoretical_sd,
                m.full_run_mean_z2,
                format!("{:.3} ± {:.3}", m.bucket_mean_z2, m.bucket_mean_z2_se),
                100.0 * m.bucket_ci_coverage
            );
        }
        let _ = writeln!(
            t,
            "\nmeasured / theoretical variance: {:.4} ± {:.4} (mean z² over {} buckets × 3 metrics × {} values; goal 1 ± 0.05)",
            self.variance_ratio,
            self.variance_ratio_se,
            self.buckets,
            self.campaigns + 1
        );
        let _ = writeln!(
            t,
            "full run ({} devices per estimate): {:.3} ± {:.3} (mean z² over 3 × {} values)",
            thousands(self.devices - self.no_signal),
            self.full_run_variance_ratio,
            self.full_run_variance_ratio_se,
            self.campaigns + 1
        );
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_run_is_reproducible_and_consistent() {
        let opts = SimOptions {
            devices: 4_000,
            campaigns: 20,
            buckets: 4,
            threads: 2,
            capped: 0.1,
            ..SimOptions::default()
        };
        let a = run(&opts).unwrap();
        let b = run(&SimOptions {
            threads: 1,
            ..opts.clone()
        })
        .unwrap();
        let key = |r: &SimReport| serde_json::to_string(&r.metrics).unwrap();
        assert_eq!(key(&a), key(&b));
        assert_eq!(a.aggregate.as_ref().unwrap().valid, 4_000);
        assert!(a.no_signal > 300 && a.no_signal < 500, "{}", a.no_signal);
        let g = &a.aggregate.as_ref().unwrap().groups[0];
        assert_eq!(g.metrics[0].no_signal, a.no_signal);
        assert!(a.variance_ratio > 0.7 && a.variance_ratio < 1.3);
    }

    #[test]
    fn zipf_is_heavy_tailed() {
        let cdf = zipf_cdf(100, 1.1);
        assert!((cdf[99] - 1.0).abs() < 1e-12);
        assert!(cdf[0] > 0.2 && cdf[9] > 0.5);
    }
}
