//! Reporting benchmarks: what a device pays to produce its daily report, the
//! pieces of that report, and what an auditor pays to check payloads.
//!
//! Run: `cargo bench -p hearth-cli --bench report` (about 2 minutes).
//!
//! - `report/daily/{10k,100k}`: `Engine::pending_reports` closing one day, for
//!   a device with a generated catalog of 10,000 / 100,000 creatives (seed 7,
//!   as the selection benchmark; flights and expiry stretched so that the
//!   catalog stays live for as many simulated days as the timing needs), a
//!   realistic profile, and a day of ad events before each call (12 requests
//!   from 09:00, each ad shown, every 4th clicked, on every 10th day one
//!   converted; made untimed). The call closes the day: the top campaign per
//!   metric from the day's counters, noise for 3 metrics over the domain
//!   (campaigns + 1 values: OUE, one draw from the OS CSPRNG per value), the
//!   canonical JSON, and the encrypted, fsynced write of the ledger with its
//!   30-day transparency log (30 days are played before the timing, so the
//!   log is full). The app then acknowledges the upload (untimed). Printed
//!   first: the domain and payload size of each catalog.
//! - `report/perturb/{rng}/{domain}`: `Mechanism::perturb` alone, with the
//!   production noise source (`SystemNoise`, ring's `SystemRandom`) and, for
//!   comparison, the simulator's seeded ChaCha12 (`seeded`): the difference is
//!   the cost of drawing noise from the OS. Domains: 8 (GRR at ε = 1), 101 (the
//!   simulator's 100 campaigns, OUE) and the two catalogs' domains.
//! - `report/payload_to_json/{domain}` and `report/payload_parse/{domain}`:
//!   `Payload::to_json` (what the device uploads) and `Payload::parse` (the
//!   strict parser the aggregator's slow path and the auditor use) for one
//!   3-metric payload.
//! - `audit/20k_payloads`: `hearth audit` without the file reading: the
//!   auditor (`hearth_core::report::audit`, also run on the phone) over 20,000
//!   simulator payloads (100 campaigns, OUE, ε = 1, the catalog given), as the
//!   aggregate benchmark reads them.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::cell::Cell;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use hearth_cli::report_tools::SeededNoise;
use hearth_cli::report_tools::audit::{Auditor, Policy};
use hearth_cli::synth::GEN_CREATED_AT_MS;
use hearth_core::Clock;
use hearth_core::ads::AdEventKind;
use hearth_core::catalog::bundle::{self, SigningKey};
use hearth_core::catalog::model::Os;
use hearth_core::clock::{DAY_MS, HOUR_MS, MINUTE_MS};
use hearth_core::report::{Mechanism, MetricReport, NoiseSource, Payload, SystemNoise};
use hearth_core::select::{AdContext, AdRequest};
use hearth_core::taxonomy::Taxonomy;
use hearth_core::{Engine, ManualClock};
use support::{open_engine, realistic_profile, sim_lines, synth_model};

mod support;

/// The device starts on 2026-01-01 10:00 UTC (the generated catalogs' day).
const START: i64 = GEN_CREATED_AT_MS + 10 * HOUR_MS;
/// Flights and expiry of the stretched catalogs: far enough for any number of
/// simulated days the timing plays.
const FAR: i64 = START + 100 * 365 * DAY_MS;

/// A device that plays one day of ad activity per report.
struct Device {
    _dir: tempfile::TempDir,
    clock: Arc<ManualClock>,
    engine: Engine,
    request: AdRequest,
    /// The next day to play (days since the epoch).
    day: Cell<i64>,
    /// Domain of its payloads: campaigns + 1.
    domain: u32,
}

impl Device {
    fn new(creatives: usize, key: &SigningKey, tax: &Taxonomy) -> Self {
        let (mut cat, h) = synth_model(creatives, 7, tax);
        for c in &mut cat.campaigns {
            c.flight.end_ms = FAR;
        }
        let b = bundle::seal(&cat, 1, h.created_at_ms, FAR, key).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(START));
        let engine = open_engine(dir.path(), &clock, key);
        engine.install_catalog(b).unwrap();
        realistic_profile(&engine, &cat, START);
        let d = Self {
            _dir: dir,
            day: Cell::new(START.div_euclid(DAY_MS)),
            clock,
            engine,
            request: AdRequest {
                placement_id: "feed".into(),
                slots: 1,
                context: AdContext {
                    country: Some("DE".into()),
                    locale: Some("de-DE".into()),
                    os: Some(Os::Android),
                    utc_offset_minutes: 60,
                    ..AdContext::default()
                },
                ..AdRequest::default()
            },
            domain: u32::try_from(cat.campaigns.len() + 1).unwrap(),
        };
        // Fill the 30-day transparency log: the steady state of a device.
        let mut shown = 0;
        for _ in 0..30 {
            shown += d.play_day();
            d.report();
            d.acknowledge();
        }
        assert!(shown > 30 * 6, "{shown} ads shown in 30 days");
        d
    }

    /// One day of ads (untimed in the benchmark): 12 requests from 09:00, one
    /// every 30 minutes, each ad shown, every 4th clicked, one converted on
    /// every 10th day; then the clock moves to 00:05 of the next day, when the
    /// day is due. Returns the ads shown.
    fn play_day(&self) -> usize {
        let day = self.day.get();
        self.clock.set(day * DAY_MS + 9 * HOUR_MS);
        let mut shown = 0;
        for i in 0..12 {
            for c in self.engine.select_ads(&self.request).unwrap().choices {
                let record = |k| self.engine.record_ad_event(&c.token, k).unwrap();
                record(AdEventKind::Impression);
                if i % 4 == 0 {
                    record(AdEventKind::Click);
                }
                if i == 0 && day % 10 == 0 {
                    record(AdEventKind::Conversion);
                }
                shown += 1;
            }
            self.clock.advance(30 * MINUTE_MS);
        }
        self.engine.flush().unwrap();
        self.day.set(day + 1);
        self.clock.set((day + 1) * DAY_MS + 5 * MINUTE_MS);
        shown
    }

    /// The timed call: closes the day just played; returns its payload.
    fn report(&self) -> String {
        let pending = self.engine.pending_reports().unwrap();
        let last = pending.last().unwrap();
        debug_assert_eq!(
            last.period,
            hearth_core::report::payload::format_day(self.day.get() - 1)
        );
        last.payload.clone()
    }

    /// The app uploaded everything pending.
    fn acknowledge(&self) {
        for r in self.engine.pending_reports().unwrap() {
            self.engine.acknowledge(r.handle).unwrap();
        }
    }

    /// Criterion's routine: `iters` days, only the report timed.
    fn total(&self, iters: u64) -> Duration {
        let mut total = Duration::ZERO;
        for _ in 0..iters {
            self.play_day();
            let t = Instant::now();
            black_box(self.report());
            total += t.elapsed();
            self.acknowledge();
        }
        total
    }
}

fn bench_daily(c: &mut Criterion, key: &SigningKey, tax: &Taxonomy) -> Vec<u32> {
    let mut domains = Vec::new();
    for n in [10_000usize, 100_000] {
        let label = format!("{}k", n / 1000);
        let d = Device::new(n, key, tax);
        d.play_day();
        let payload = d.report();
        d.acknowledge();
        let now = d.clock.now_ms();
        eprintln!(
            "\n[report {label}] {} creatives: domain {} values (campaigns + none), payload {} bytes; \
             the day's counters closed at {}",
            n,
            d.domain,
            payload.len(),
            hearth_core::report::payload::format_day(now.div_euclid(DAY_MS) - 1)
        );
        domains.push(d.domain);
        let mut g = c.benchmark_group("report/daily");
        g.sample_size(10)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(3));
        g.bench_function(BenchmarkId::from_parameter(&label), |b| {
            b.iter_custom(|iters| d.total(iters))
        });
        g.finish();
    }
    domains
}

fn payload(m: Mechanism, noise: &mut dyn NoiseSource) -> Payload {
    Payload {
        catalog_version: 1,
        day: START.div_euclid(DAY_MS),
        reports: (0..3)
            .map(|i| MetricReport {
                metric: i,
                mechanism: m,
                data: m.perturb(m.domain / 2, noise).unwrap(),
            })
            .collect(),
    }
}

fn bench_pieces(c: &mut Criterion, catalog_domains: &[u32]) {
    let mut domains = vec![8u32, 101];
    domains.extend_from_slice(catalog_domains);
    let mut g = c.benchmark_group("report/perturb");
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for &d in &domains {
        let m = Mechanism::choose(1.0, d).unwrap();
        let name = format!("{}_d{d}", m.kind.name());
        let mut os = SystemNoise::new();
        g.bench_function(BenchmarkId::new("system_noise", &name), |b| {
            b.iter(|| black_box(m.perturb(black_box(d / 2), &mut os).unwrap()))
        });
        let mut seeded = SeededNoise::new(1);
        g.bench_function(BenchmarkId::new("seeded", &name), |b| {
            b.iter(|| black_box(m.perturb(black_box(d / 2), &mut seeded).unwrap()))
        });
    }
    g.finish();
    let mut g = c.benchmark_group("report/payload");
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for &d in &domains {
        let p = payload(Mechanism::choose(1.0, d).unwrap(), &mut SeededNoise::new(2));
        let json = p.to_json();
        assert_eq!(Payload::parse(&json).unwrap(), p);
        let name = format!("d{d}_{}_bytes", json.len());
        g.bench_function(BenchmarkId::new("to_json", &name), |b| {
            b.iter(|| black_box(black_box(&p).to_json()))
        });
        g.bench_function(BenchmarkId::new("parse", &name), |b| {
            b.iter(|| black_box(Payload::parse(black_box(&json)).unwrap()))
        });
    }
    g.finish();
}

fn bench_audit(c: &mut Criterion) {
    let n = 20_000;
    let (cat, lines) = sim_lines(n as u64, 0.0);
    let audit = || {
        let mut a = Auditor::new(Policy::default(), Some(cat.audit_catalog()));
        a.read_from(black_box(&lines[..])).unwrap();
        a.finish()
    };
    let r = audit();
    assert!(r.passed(), "{}", r.verdict());
    assert_eq!(r.payloads, n as u64);
    let mut g = c.benchmark_group("audit");
    g.throughput(Throughput::Elements(n as u64));
    g.sample_size(10);
    g.bench_function("20k_payloads", |b| b.iter(|| black_box(audit().passed)));
    g.finish();
}

fn bench(c: &mut Criterion) {
    let tax = Taxonomy::iab().unwrap();
    let key = SigningKey::generate().unwrap();
    let domains = bench_daily(c, &key, &tax);
    bench_pieces(c, &domains);
    bench_audit(c);
}

criterion_group! {
    name = benches;
    config = support::criterion();
    targets = bench
}
criterion_main!(benches);
