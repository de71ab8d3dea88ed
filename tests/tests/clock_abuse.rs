//! Clock abuse: the injected clock jumps backwards, years ahead, and to the
//! `i64` extremes, while every engine call keeps being made (and the engine is
//! closed and reopened in between).
//!
//! Checked at every step:
//!
//! - nothing panics: every call returns `Ok` or a typed error the API
//!   documents for it (an expired token, an expired catalog, a downgrade);
//! - the engine's time never runs backwards, also across a reopen;
//! - **the privacy budget is never refunded**: every ε ever spent stays
//!   spent: for the engine's current period, the budget it reports equals the
//!   sum over every spend ever observed in the last 7 periods; a period's
//!   spending never changes once made; the latest closed period never moves
//!   back;
//! - **no report is ever sent twice**: each period gets at most one payload,
//!   a payload never changes, an acknowledged report never comes back as
//!   pending;
//! - every payload handed out passes the auditor (so its period is a real
//!   `YYYY-MM-DD` date even when the clock read `i64::MAX`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use hearth_cli::publish::{self, Overrides};
use hearth_cli::report_tools::audit::{Auditor, Policy};
use hearth_cli::sample;
use hearth_core::ads::AdEventKind;
use hearth_core::catalog::bundle::SigningKey;
use hearth_core::clock::{DAY_MS, HOUR_MS, MINUTE_MS};
use hearth_core::profile::{Event, EventData};
use hearth_core::rank::{Item, RankOptions};
use hearth_core::report::{Ledger, REPORTS_RECORD, day_of};
use hearth_core::select::{AdContext, AdRequest, SelectConfig};
use hearth_core::state::Consent;
use hearth_core::store::{Store, StoreKey};
use hearth_core::taxonomy::Taxonomy;
use hearth_core::{Engine, EngineConfig, Error, ManualClock, Timestamp};

/// Monday 2026-03-02, 08:00 UTC.
const SANE: Timestamp = 1_772_438_400_000;
const YEAR_MS: i64 = 365 * DAY_MS;

fn key() -> StoreKey {
    StoreKey::from_bytes([0x77; 32])
}

struct Rig {
    dir: tempfile::TempDir,
    clock: Arc<ManualClock>,
    signer: SigningKey,
    bundles: Vec<Vec<u8>>,
    next_bundle: usize,
    engine: Option<Engine>,
    // The oracle.
    /// Latest engine time seen (from `export()`).
    engine_now: Timestamp,
    /// Every spend ever observed: (day, metric) → ε.
    spends: BTreeMap<(i64, u8), f64>,
    last_closed: Option<i64>,
    /// Handle → (period, payload), as first seen.
    reports: HashMap<u64, (String, String)>,
    periods: HashMap<String, u64>,
    acked: HashSet<u64>,
    steps: u32,
}

fn config(dir: &Path, clock: &Arc<ManualClock>, signer: &SigningKey) -> EngineConfig {
    let mut c = EngineConfig::new(dir, key()).with_clock(clock.clone());
    c.default_consent = Consent::Personalised;
    c.trusted_keys = vec![signer.public_key()];
    c.selection_seed = Some(3);
    c.ads = SelectConfig {
        min_gap_ms: 0,
        ..SelectConfig::default()
    };
    c
}

fn bundles(signer: &SigningKey, n: u64) -> Vec<Vec<u8>> {
    let tax = Taxonomy::iab().unwrap();
    let source = sample::sample_source().unwrap();
    (1..=n)
        .map(|v| {
            let o = Overrides {
                version: Some(v),
                ..Overrides::default()
            };
            publish::build(&source, &o, signer, &tax, "sample")
                .unwrap()
                .bundle
        })
        .collect()
}

fn context() -> AdContext {
    AdContext {
        topics: vec!["227".into(), "533".into()],
        locale: Some("de-DE".into()),
        country: Some("DE".into()),
        ..AdContext::default()
    }
}

impl Rig {
    fn new(start: Timestamp) -> Rig {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(start));
        let signer = SigningKey::generate().unwrap();
        let bundles = bundles(&signer, 40);
        let engine = Engine::open(config(dir.path(), &clock, &signer)).unwrap();
        let mut r = Rig {
            dir,
            clock,
            signer,
            bundles,
            next_bundle: 0,
            engine: Some(engine),
            engine_now: i64::MIN,
            spends: BTreeMap::new(),
            last_closed: None,
            reports: HashMap::new(),
            periods: HashMap::new(),
            acked: HashSet::new(),
            steps: 0,
        };
        r.install();
        r
    }

    fn e(&self) -> &Engine {
        self.engine.as_ref().unwrap()
    }

    fn install(&mut self) {
        let Some(b) = self.bundles.get(self.next_bundle).cloned() else {
            return;
        };
        self.next_bundle += 1;
        match self.e().install_catalog(b) {
            Ok(_) | Err(Error::CatalogExpired { .. }) => {}
            Err(other) => panic!("install_catalog: {other}"),
        }
    }

    fn reopen(&mut self) {
        self.engine.take().unwrap().close().unwrap();
        self.engine =
            Some(Engine::open(config(self.dir.path(), &self.clock, &self.signer)).unwrap());
    }

    /// Set the clock and make every call; then check the oracle.
    fn step(&mut self, t: Timestamp) {
        self.steps += 1;
        self.clock.set(t);
        let what = format!("step {} (clock {t})", self.steps);
        let e = self.e();

        // The profile, with event times at the extremes too.
        for at in [
            None,
            Some(i64::MIN),
            Some(i64::MAX),
            Some(0),
            Some(t),
            Some(-1),
        ] {
            let ev = Event {
                at,
                data: EventData::ContentView {
                    topics: vec!["227".into(), "533".into()],
                    dwell_ms: Some(u64::MAX),
                },
            };
            e.record(&ev)
                .unwrap_or_else(|err| panic!("{what}: record: {err}"));
        }
        e.record(&Event::purchase(&["635"], Some(80_000_000)))
            .unwrap();
        e.record(&Event::custom("race_signup", &["227"])).unwrap();
        let interests = e.interests().unwrap();
        assert!(
            interests
                .iter()
                .all(|i| i.weight.is_finite() && i.weight >= 0.0),
            "{what}: {interests:?}"
        );
        let _ = e.traits().unwrap();
        let _ = e.topic_weights().unwrap();
        let items: Vec<Item> = [i64::MIN, -1, 0, t, i64::MAX]
            .iter()
            .enumerate()
            .map(|(i, &p)| Item {
                id: format!("i{i}"),
                topics: vec!["227".into()],
                published_at_ms: Some(p),
                ..Item::default()
            })
            .collect();
        for half_life in [None, Some(1), Some(DAY_MS), Some(i64::MAX)] {
            let opts = RankOptions {
                freshness_half_life_ms: half_life,
                diversity: 0.5,
                ..RankOptions::default()
            };
            let ranked = e
                .rank_items(&items, &opts)
                .unwrap_or_else(|err| panic!("{what}: rank_items: {err}"));
            assert!(ranked.iter().all(|r| r.score.is_finite()), "{what}");
        }

        // Ads.
        let r = e
            .select_ads(&AdRequest {
                placement_id: "feed".into(),
                slots: 3,
                context: context(),
                ..Default::default()
            })
            .unwrap_or_else(|err| panic!("{what}: select_ads: {err}"));
        for c in &r.choices {
            for k in [AdEventKind::Impression, AdEventKind::Click] {
                match e.record_ad_event(&c.token, k) {
                    Ok(_) | Err(Error::AdTokenExpired) => {}
                    Err(err) => panic!("{what}: record_ad_event: {err}"),
                }
            }
        }
        // Tokens from the history screen, possibly issued "in the future".
        for h in e.ad_history().unwrap().iter().take(3) {
            match e.record_ad_event(&h.token, AdEventKind::Dismiss) {
                Ok(_) | Err(Error::AdTokenExpired) => {}
                Err(err) => panic!("{what}: record_ad_event(history): {err}"),
            }
        }
        let _ = e
            .record_conversion_url("https://stride-running.example/checkout/done")
            .unwrap();
        let _ = e.status().unwrap();
        let _ = e.export().unwrap();
        e.flush().unwrap();
        self.install();
        self.check_reports(&what);
        self.check_time(&what);
    }

    fn check_time(&mut self, what: &str) {
        let x: serde_json::Value = serde_json::from_str(&self.e().export().unwrap()).unwrap();
        let now = x["exported_at_ms"].as_i64().unwrap();
        assert!(
            now >= self.engine_now,
            "{what}: engine time went back from {} to {now}",
            self.engine_now
        );
        self.engine_now = now;
    }

    fn ledger(&self) -> Ledger {
        let store = Store::open(self.dir.path(), &key()).unwrap();
        match store.load(REPORTS_RECORD).unwrap() {
            Some(rec) => postcard::from_bytes(&rec.payload).unwrap(),
            None => Ledger::default(),
        }
    }

    fn check_reports(&mut self, what: &str) {
        let e = self.engine.as_ref().unwrap();
        let pending = e
            .pending_reports()
            .unwrap_or_else(|err| panic!("{what}: pending_reports: {err}"));
        // Every payload handed out passes the auditor.
        let mut auditor = Auditor::new(Policy::default(), None);
        for p in &pending {
            auditor.check_line(p.payload.as_bytes());
        }
        let verdict = auditor.finish();
        assert!(
            verdict.passed(),
            "{what}: {}",
            verdict.text("pending reports")
        );
        for p in &pending {
            assert!(
                !self.acked.contains(&p.handle),
                "{what}: report {} pending again after its acknowledgement",
                p.handle
            );
            let seen = self
                .reports
                .entry(p.handle)
                .or_insert_with(|| (p.period.clone(), p.payload.clone()));
            assert_eq!(
                *seen,
                (p.period.clone(), p.payload.clone()),
                "{what}: report {} changed",
                p.handle
            );
            let first = self.periods.entry(p.period.clone()).or_insert(p.handle);
            assert_eq!(
                *first, p.handle,
                "{what}: two reports for period {}",
                p.period
            );
        }
        for s in e.sent_reports().unwrap() {
            if let Some(seen) = self.reports.get(&s.handle) {
                assert_eq!(seen.1, s.payload, "{what}: report {} changed", s.handle);
            }
        }
        if let Some(p) = pending.first() {
            assert!(e.acknowledge(p.handle).unwrap());
            assert!(!e.acknowledge(p.handle).unwrap(), "acknowledged twice");
            self.acked.insert(p.handle);
        }

        // The ledger: spends never change or vanish while they count.
        let ledger = self.ledger();
        assert!(
            ledger.last_closed_day >= self.last_closed,
            "{what}: the latest closed period moved back from {:?} to {:?}",
            self.last_closed,
            ledger.last_closed_day
        );
        self.last_closed = ledger.last_closed_day;
        for s in &ledger.spends {
            let old = self.spends.insert((s.day, s.metric), s.epsilon);
            assert!(
                old.is_none_or(|o| o == s.epsilon),
                "{what}: period {} metric {} spent {old:?} then {}",
                s.day,
                s.metric,
                s.epsilon
            );
        }
        let budget = e.privacy_budget().unwrap();
        let x: serde_json::Value = serde_json::from_str(&e.export().unwrap()).unwrap();
        let today = day_of(x["exported_at_ms"].as_i64().unwrap());
        for (m, mb) in budget.metrics.iter().enumerate() {
            let expected: f64 = self
                .spends
                .iter()
                .filter(|((d, metric), _)| {
                    usize::from(*metric) == m && *d > today - 7 && *d <= today
                })
                .map(|(_, eps)| eps)
                .sum();
            assert!(
                (mb.spent_last_7_periods - expected).abs() < 1e-9,
                "{what}: metric {m}: the engine reports {} spent in the last 7 periods, but {expected} was spent (refund)",
                mb.spent_last_7_periods
            );
            assert!(mb.spent_last_7_periods <= budget.weekly_cap_per_metric + 1e-9);
        }
    }
}

/// A day of normal use: an hourly step for `hours` hours.
fn normal(r: &mut Rig, from: Timestamp, hours: i64) {
    for h in 0..hours {
        r.step(from + h * HOUR_MS);
    }
}

#[test]
fn backwards_ahead_and_extremes_never_crash_refund_or_resend() {
    let mut r = Rig::new(SANE);
    normal(&mut r, SANE, 30);
    // Backwards: a minute, an hour, three days, a year, to the epoch and before.
    for back in [MINUTE_MS, HOUR_MS, 3 * DAY_MS, YEAR_MS] {
        r.step(SANE + 30 * HOUR_MS - back);
    }
    r.step(0);
    r.step(-1);
    r.step(i64::MIN);
    r.step(i64::MIN + 1);
    r.reopen();
    r.step(i64::MIN);
    // The clock comes back: reports close again for the days that passed.
    normal(&mut r, SANE + 2 * DAY_MS, 30);
    r.reopen();
    // Years ahead, then back.
    r.step(SANE + 3 * YEAR_MS);
    r.step(SANE + 3 * DAY_MS);
    r.reopen();
    r.step(SANE + 3 * DAY_MS + HOUR_MS);
    r.step(SANE + 3 * YEAR_MS + DAY_MS);
    r.step(SANE + 3 * YEAR_MS + 2 * DAY_MS);
    // The far end.
    r.step(i64::MAX);
    r.step(i64::MAX - 1);
    r.step(i64::MIN);
    r.reopen();
    r.step(i64::MAX);
    r.step(SANE);
    assert!(
        !r.periods.is_empty(),
        "the run must produce reports to check"
    );
}

#[test]
fn random_jumps_never_crash_refund_or_resend() {
    let mut r = Rig::new(SANE);
    let mut x: u64 = 0x00c0_ffee;
    let mut t = SANE;
    for i in 0..120 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        t = match x % 16 {
            0 => i64::MIN,
            1 => i64::MAX,
            2 => 0,
            3 => t.saturating_sub(YEAR_MS),
            4 => t.saturating_add(5 * YEAR_MS),
            5 => t.saturating_sub((x >> 8) as i64 % (10 * DAY_MS)),
            6 => SANE + (x >> 8) as i64 % (2 * YEAR_MS),
            _ => t.saturating_add((x >> 8) as i64 % (2 * DAY_MS)),
        };
        r.step(t);
        if i % 17 == 16 {
            r.reopen();
        }
    }
}

/// A state first created while the clock read an extreme value opens, works,
/// and reports normally once the clock is sane.
#[test]
fn state_created_at_extreme_clock_values() {
    for start in [i64::MIN, -1, 0, i64::MAX] {
        let mut r = Rig::new(start);
        r.step(start);
        r.reopen();
        r.step(SANE);
        normal(&mut r, SANE + DAY_MS, 26);
    }
}

/// A store whose times were written at the `i64` extremes (by a build that let
/// a broken clock through, before the engine clamped its time) opens and
/// keeps working: every stored time is brought into range at load, so no
/// `now - at` overflows and no period past `i64::MAX` is closed.
#[test]
fn stored_times_at_the_extremes_are_brought_into_range() {
    use hearth_core::state::{SCHEMA_VERSION, STATE_RECORD, encode};

    let mut r = Rig::new(SANE);
    normal(&mut r, SANE, 30);
    r.engine.take().unwrap().close().unwrap();
    let store = Store::open(r.dir.path(), &key()).unwrap();
    let rec = store.load(STATE_RECORD).unwrap().unwrap();
    let (mut s, _) =
        hearth_core::state::decode(rec.schema_version, &rec.payload, r.dir.path()).unwrap();
    assert!(!s.profile.topics.is_empty() && !s.ads.history.is_empty());
    for (i, (_, t)) in s.profile.topics.iter_mut().enumerate() {
        t.at = if i % 2 == 0 { i64::MIN } else { i64::MAX };
        t.last_activity = i64::MAX;
    }
    for h in &mut s.ads.history {
        h.at = i64::MIN;
        h.last_event_at = i64::MAX;
    }
    for t in &mut s.ads.set_totals {
        t.last_at = i64::MIN;
    }
    for c in &mut s.ads.counters {
        c.day = i64::MAX;
    }
    s.created_at = i64::MIN;
    store
        .save(STATE_RECORD, SCHEMA_VERSION, &encode(&s).unwrap())
        .unwrap();
    r.engine = Some(Engine::open(config(r.dir.path(), &r.clock, &r.signer)).unwrap());
    normal(&mut r, SANE + 2 * DAY_MS, 30);

    // The ledger too: a closed period near i64::MAX, reports stamped at the extremes.
    r.engine.take().unwrap().close().unwrap();
    let mut ledger = r.ledger();
    ledger.last_closed_day = Some(i64::MAX);
    for rep in &mut ledger.reports {
        rep.created_at = i64::MIN;
        rep.day = i64::MIN;
    }
    store
        .save(
            REPORTS_RECORD,
            hearth_core::report::REPORTS_SCHEMA,
            &postcard::to_stdvec(&ledger).unwrap(),
        )
        .unwrap();
    r.engine = Some(Engine::open(config(r.dir.path(), &r.clock, &r.signer)).unwrap());
    let e = r.e();
    assert!(e.pending_reports().is_ok());
    assert!(e.privacy_budget().is_ok());
    assert!(e.sent_reports().is_ok());
    assert!(e.interests().unwrap().iter().all(|i| i.weight.is_finite()));
}
