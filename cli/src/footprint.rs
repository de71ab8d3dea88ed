//! `hearth footprint`: a simulated year (or any number of days) of heavy use
//! of one engine, with the size of everything it keeps, month by month.
//!
//! The run drives the real [`Engine`] on a [`ManualClock`] in a temporary
//! directory. Each simulated day:
//!
//! - a new catalog version is installed (a synthetic catalog from
//!   [`crate::synth`], re-signed daily with its flights moved along; every
//!   [`CATALOG_ROTATION_DAYS`] days a new one with new campaign, set and
//!   creative ids, as real catalogs change);
//! - `events_per_day` events are recorded, spread over the day: views (with
//!   dwell time), searches (with query text), purchases (with values) and app
//!   events, on topics drawn from interests that drift over the year, some of
//!   them sensitive (dropped), with a like, a hide and an allow now and then;
//! - `ad_requests_per_day` ad requests, each ad shown is reported as an
//!   impression, some are clicked, dismissed, liked, disliked; conversions by
//!   URL and by app event; now and then an advertiser is hidden;
//! - the reports of the closed days are collected and (unless
//!   `never_acknowledge`) acknowledged, as an app's daily upload job would;
//! - the day ends with a flush; once a week the engine is closed and opened
//!   again (an app restart).
//!
//! After every day the files are measured and the state is decoded to count
//! the entries of every bounded structure. "User state" is every file of the
//! store except the catalog bundle, which is the publisher's data (its size is
//! whatever the publisher ships, bounded by `max_catalog_bytes`); it is
//! reported on its own.

use std::path::Path;
use std::sync::Arc;

use hearth_core::ads::AdEventKind;
use hearth_core::catalog::bundle::{self, SigningKey};
use hearth_core::catalog::model::Catalog;
use hearth_core::clock::{DAY_MS, HOUR_MS};
use hearth_core::engine::CATALOG_RECORD;
use hearth_core::profile::{Event, EventData, Feedback};
use hearth_core::report::REPORTS_RECORD;
use hearth_core::select::{AdContext, AdRequest};
use hearth_core::state::{self, Consent, PersistedState, STATE_RECORD};
use hearth_core::store::{Store, StoreKey};
use hearth_core::taxonomy::{Taxonomy, TopicIdx};
use hearth_core::{Engine, EngineConfig, ManualClock, Timestamp};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::error::CliError;
use crate::synth::{self, GenOptions};

/// Day 0 of the simulation: Thursday 2026-01-01 00:00 UTC.
pub const START: Timestamp = 1_767_225_600_000;
/// A catalog with new ids every this many days.
pub const CATALOG_ROTATION_DAYS: u32 = 30;
/// The goal for all user state on disk.
pub const USER_STATE_GOAL_BYTES: u64 = 1_000_000;

/// What to simulate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FootprintOptions {
    /// Simulated days.
    pub days: u32,
    /// Events recorded per day.
    pub events_per_day: u32,
    /// Ad requests per day (each for 1–3 ads).
    pub ad_requests_per_day: u32,
    /// Creatives in each day's catalog.
    pub creatives: usize,
    /// Seed of the simulation.
    pub seed: u64,
    /// The app never acknowledges a report (pending reports pile up).
    pub never_acknowledge: bool,
}

impl Default for FootprintOptions {
    fn default() -> Self {
        Self {
            days: 365,
            events_per_day: 20_000,
            ad_requests_per_day: 300,
            creatives: 2_000,
            seed: 1,
            never_acknowledge: false,
        }
    }
}

/// The footprint after one simulated day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DayFigures {
    /// Simulated day (1-based).
    pub day: u32,
    /// `state.hearth` bytes: profile, ad history, tokens, counters.
    pub state_bytes: u64,
    /// `reports.hearth` bytes: privacy-budget ledger and reports.
    pub reports_bytes: u64,
    /// Every other Hearth file except the catalog (e.g. a `.tmp` left over).
    pub other_bytes: u64,
    /// All user state: every Hearth file but the catalog bundle.
    pub user_bytes: u64,
    /// The installed catalog bundle (the publisher's data).
    pub catalog_bytes: u64,
    /// Events recorded so far.
    pub events_recorded: u64,
    /// Impressions counted so far.
    pub impressions: u64,
    /// Topics in the profile.
    pub topics: usize,
    /// Suppressed topics.
    pub suppressed: usize,
    /// Purchases kept for the spending tier.
    pub purchases: usize,
    /// Trait evidence timestamps kept, all rules.
    pub trait_evidence: usize,
    /// Ad history entries.
    pub history: usize,
    /// Tokens waiting for their first event.
    pub pending_tokens: usize,
    /// Daily counter rows.
    pub counter_rows: usize,
    /// Lifetime per-set totals.
    pub set_totals: usize,
    /// Hidden advertisers.
    pub hidden_advertisers: usize,
    /// Reports in the log (pending and acknowledged).
    pub reports: usize,
    /// Reports pending upload.
    pub pending_reports: usize,
    /// Resident memory of this process, KiB (Linux only).
    pub rss_kib: Option<u64>,
}

/// The whole run.
#[derive(Debug, Clone, Serialize)]
pub struct FootprintReport {
    /// The options.
    #[serde(skip)]
    pub options: FootprintOptions,
    /// The figures at the end of every 30-day month, and of the last day.
    pub months: Vec<DayFigures>,
    /// The largest value of every figure over all days.
    pub max: DayFigures,
    /// Wall time of the run, seconds.
    pub seconds: f64,
}

impl FootprintReport {
    /// The printed table.
    pub fn text(&self) -> String {
        let o = &self.options;
        let mut t = format!(
            "footprint: {} days, {} events/day, {} ad requests/day, catalog of {} creatives (new version daily, new ids every {CATALOG_ROTATION_DAYS} days){}\n",
            o.days,
            o.events_per_day,
            o.ad_requests_per_day,
            o.creatives,
            if o.never_acknowledge {
                ", reports never acknowledged"
            } else {
                ""
            }
        );
        t.push_str(
            "  day   state B  reports B   user B  catalog B   events  topics history tokens counters set-totals reports pending  RSS KiB\n",
        );
        let row = |d: &DayFigures, label: String| {
            format!(
                "{label:>5} {:>9} {:>10} {:>8} {:>10} {:>8} {:>7} {:>7} {:>6} {:>8} {:>10} {:>7} {:>7} {:>8}\n",
                d.state_bytes,
                d.reports_bytes,
                d.user_bytes,
                d.catalog_bytes,
                short(d.events_recorded),
                d.topics,
                d.history,
                d.pending_tokens,
                d.counter_rows,
                d.set_totals,
                d.reports,
                d.pending_reports,
                d.rss_kib.map_or_else(|| "-".into(), |k| k.to_string()),
            )
        };
        for m in &self.months {
            t.push_str(&row(m, m.day.to_string()));
        }
        t.push_str(&row(&self.max, "max".into()));
        t.push_str(&format!(
            "all user state (every file but the catalog bundle): at most {} bytes on any day (goal ≤ {USER_STATE_GOAL_BYTES}): {}; {:.1} s\n",
            self.max.user_bytes,
            if self.max.user_bytes <= USER_STATE_GOAL_BYTES {
                "within the goal"
            } else {
                "OVER THE GOAL"
            },
            self.seconds
        ));
        t
    }
}

fn short(n: u64) -> String {
    if n >= 10_000_000 {
        format!("{}M", n / 1_000_000)
    } else if n >= 10_000 {
        format!("{}k", n / 1_000)
    } else {
        n.to_string()
    }
}

fn rss_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The key of the simulated device.
fn key() -> StoreKey {
    StoreKey::from_bytes([0x46; 32])
}

fn config(dir: &Path, clock: &Arc<ManualClock>, signer: &SigningKey) -> EngineConfig {
    let mut c = EngineConfig::new(dir, key()).with_clock(clock.clone());
    c.default_consent = Consent::Personalised;
    c.trusted_keys = vec![signer.public_key()];
    c.selection_seed = Some(1);
    c
}

/// A catalog with ids of its own (`r{rotation}-…`), so that each rotation
/// brings new campaigns, sets and creatives, as a real catalog does.
fn rotated_catalog(
    opts: &FootprintOptions,
    rotation: u32,
    tax: &Taxonomy,
) -> Result<Catalog, CliError> {
    let (mut cat, _) = synth::generate_model(
        &GenOptions {
            creatives: opts.creatives,
            seed: opts
                .seed
                .wrapping_mul(1000)
                .wrapping_add(u64::from(rotation)),
            version: 1,
        },
        tax,
    )
    .map_err(CliError::Usage)?;
    let p = format!("r{rotation}-");
    for c in &mut cat.campaigns {
        c.id.insert_str(0, &p);
        for s in &mut c.creative_sets {
            s.id.insert_str(0, &p);
            for k in &mut s.creatives {
                k.id.insert_str(0, &p);
            }
        }
    }
    Ok(cat)
}

/// Today's bundle: the rotation's catalog with every flight moved so that it
/// is running, signed as version `day + 1`.
fn daily_bundle(cat: &Catalog, day: u32, signer: &SigningKey) -> Result<Vec<u8>, CliError> {
    let mut c = cat.clone();
    let today = START + i64::from(day) * DAY_MS;
    for camp in &mut c.campaigns {
        camp.flight.start_ms = today - DAY_MS;
        camp.flight.end_ms = today + 30 * DAY_MS;
    }
    Ok(bundle::seal(
        &c,
        u64::from(day) + 1,
        today - HOUR_MS,
        today + 7 * DAY_MS,
        signer,
    )?)
}

/// The measured footprint of the store in `dir` (the engine's, open).
fn measure(dir: &Path, engine: &Engine, day: u32) -> Result<DayFigures, CliError> {
    let mut f = DayFigures {
        day,
        rss_kib: rss_kib(),
        ..DayFigures::default()
    };
    let io = |e| CliError::io("cannot read", dir, e);
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !(name.ends_with(".hearth") || name.ends_with(".hearth.tmp")) {
            continue;
        }
        let len = entry.metadata().map_err(io)?.len();
        if name == format!("{CATALOG_RECORD}.hearth") {
            f.catalog_bytes = len;
            continue;
        }
        f.user_bytes += len;
        if name == format!("{STATE_RECORD}.hearth") {
            f.state_bytes = len;
        } else if name == format!("{REPORTS_RECORD}.hearth") {
            f.reports_bytes = len;
        } else {
            f.other_bytes += len;
        }
    }
    let store = Store::open(dir, &key())?;
    if let Some(rec) = store.load(STATE_RECORD)? {
        let (s, _): (PersistedState, bool) = state::decode(rec.schema_version, &rec.payload, dir)?;
        f.events_recorded = s.events_recorded;
        f.impressions = s.ads.set_totals.iter().map(|t| u64::from(t.shows)).sum();
        f.topics = s.profile.topics.len();
        f.suppressed = s.profile.suppressed.len();
        f.purchases = s.profile.purchases.len();
        f.trait_evidence = s.profile.trait_evidence.iter().map(|(_, v)| v.len()).sum();
        f.history = s.ads.history.len();
        f.pending_tokens = s.ads.pending.len();
        f.counter_rows = s.ads.counters.len();
        f.set_totals = s.ads.set_totals.len();
        f.hidden_advertisers = s.ads.hidden_advertisers.len();
    }
    let log = engine.sent_reports()?;
    f.reports = log.len();
    f.pending_reports = log
        .iter()
        .filter(|r| r.acknowledged_at_ms.is_none())
        .count();
    Ok(f)
}

fn max_of(a: &DayFigures, b: &DayFigures) -> DayFigures {
    DayFigures {
        day: a.day.max(b.day),
        state_bytes: a.state_bytes.max(b.state_bytes),
        reports_bytes: a.reports_bytes.max(b.reports_bytes),
        other_bytes: a.other_bytes.max(b.other_bytes),
        user_bytes: a.user_bytes.max(b.user_bytes),
        catalog_bytes: a.catalog_bytes.max(b.catalog_bytes),
        events_recorded: a.events_recorded.max(b.events_recorded),
        impressions: a.impressions.max(b.impressions),
        topics: a.topics.max(b.topics),
        suppressed: a.suppressed.max(b.suppressed),
        purchases: a.purchases.max(b.purchases),
        trait_evidence: a.trait_evidence.max(b.trait_evidence),
        history: a.history.max(b.history),
        pending_tokens: a.pending_tokens.max(b.pending_tokens),
        counter_rows: a.counter_rows.max(b.counter_rows),
        set_totals: a.set_totals.max(b.set_totals),
        hidden_advertisers: a.hidden_advertisers.max(b.hidden_advertisers),
        reports: a.reports.max(b.reports),
        pending_reports: a.pending_reports.max(b.pending_reports),
        rss_kib: a.rss_kib.max(b.rss_kib),
    }
}

/// The user's interests: a few dozen non-sensitive topics that drift, plus
/// now and then a sensitive one (dropped by the engine).
struct Interests {
    pool: Vec<TopicIdx>,
    sensitive: Vec<TopicIdx>,
    offset: usize,
}

impl Interests {
    fn new(tax: &Taxonomy, rng: &mut ChaCha8Rng) -> Self {
        let mut pool: Vec<TopicIdx> = (0..tax.len() as TopicIdx)
            .filter(|&t| !tax.is_sensitive(t))
            .collect();
        // A fixed shuffle: the drift walks through it.
        for i in (1..pool.len()).rev() {
            let j = rng.random_range(0..=i);
            pool.swap(i, j);
        }
        let sensitive = (0..tax.len() as TopicIdx)
            .filter(|&t| tax.is_sensitive(t))
            .collect();
        Interests {
            pool,
            sensitive,
            offset: 0,
        }
    }
    /// A topic of today's interests (a window of 60 topics moving by 2 a day).
    fn topic(&self, tax: &Taxonomy, rng: &mut ChaCha8Rng) -> String {
        let t = if rng.random_bool(0.01) && !self.sensitive.is_empty() {
            self.sensitive[rng.random_range(0..self.sensitive.len())]
        } else {
            // Skewed towards the head of the window.
            let i = (rng.random::<f64>().powi(2) * 60.0) as usize;
            self.pool[(self.offset + i) % self.pool.len()]
        };
        tax.get(t).map(|x| x.id.clone()).unwrap_or_default()
    }
}

const QUERIES: &[&str] = &[
    "running shoes",
    "cheap flights to lisbon",
    "wedding venue",
    "flat to rent",
    "new phone",
    "pasta recipe",
    "football results",
    "winter jacket",
];
const APP_EVENTS: &[&str] = &["app_open", "share", "signup", "add_to_cart", "purchase"];

/// Run the simulation; `on_month` sees the figures at the end of every 30-day
/// month (and of the last day) as they come.
pub fn run(
    opts: &FootprintOptions,
    mut on_month: impl FnMut(&DayFigures),
) -> Result<FootprintReport, CliError> {
    let started = std::time::Instant::now();
    let tmp =
        tempfile::tempdir().map_err(|e| CliError::io("cannot create", Path::new("tmp"), e))?;
    let dir = tmp.path();
    let tax = Taxonomy::iab()?;
    let signer = SigningKey::generate()?;
    let clock = Arc::new(ManualClock::new(START));
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let mut interests = Interests::new(&tax, &mut rng);
    let mut engine = Engine::open(config(dir, &clock, &signer))?;
    let mut catalog = rotated_catalog(opts, 0, &tax)?;
    let mut months = Vec::new();
    let mut max = DayFigures::default();
    let contexts = [
        ("DE", "de-DE"),
        ("DE-BE", "de-DE"),
        ("AT", "de-AT"),
        ("DE", "en-GB"),
    ];
    for day in 0..opts.days {
        let day_start = START + i64::from(day) * DAY_MS;
        clock.set(day_start);
        if day > 0 && day % CATALOG_ROTATION_DAYS == 0 {
            catalog = rotated_catalog(opts, day / CATALOG_ROTATION_DAYS, &tax)?;
        }
        engine.install_catalog(daily_bundle(&catalog, day, &signer)?)?;
        interests.offset += 2;

        // The daily upload job: yesterday's report.
        for p in engine.pending_reports()? {
            if !opts.never_acknowledge {
                engine.acknowledge(p.handle)?;
            }
        }

        // Events and ad requests, interleaved over the day.
        let n_events = opts.events_per_day as usize;
        let n_ads = opts.ad_requests_per_day as usize;
        let steps = n_events + n_ads;
        let mut tokens: Vec<String> = Vec::new();
        for i in 0..steps {
            clock.set(day_start + (i as i64 * DAY_MS) / steps.max(1) as i64);
            // Spread the ad requests evenly among the events.
            let is_ad = n_ads > 0 && (i * n_ads) / steps != ((i + 1) * n_ads) / steps;
            if is_ad {
                let (country, locale) = contexts[rng.random_range(0..contexts.len())];
                let r = engine.select_ads(&AdRequest {
                    placement_id: "feed".into(),
                    slots: rng.random_range(1..=3),
                    context: AdContext {
                        topics: vec![interests.topic(&tax, &mut rng)],
                        country: Some(country.into()),
                        locale: Some(locale.into()),
                        ..AdContext::default()
                    },
                    ..AdRequest::default()
                })?;
                for c in r.choices {
                    engine.record_ad_event(&c.token, AdEventKind::Impression)?;
                    let reaction = match rng.random_range(0..1000) {
                        0..=79 => Some(AdEventKind::Click),
                        80..=99 => Some(AdEventKind::Dismiss),
                        100..=104 => Some(AdEventKind::Like),
                        105..=107 => Some(AdEventKind::Dislike),
                        108 => Some(AdEventKind::Hide),
                        109..=113 => Some(AdEventKind::Conversion),
                        _ => None,
                    };
                    if let Some(k) = reaction {
                        engine.record_ad_event(&c.token, k)?;
                    }
                    tokens.push(c.token);
                }
                if rng.random_bool(0.02) {
                    let _ = engine.record_conversion_url("https://example.example/thanks")?;
                }
                continue;
            }
            let event = match rng.random_range(0..100) {
                0..=69 => {
                    let mut topics = vec![interests.topic(&tax, &mut rng)];
                    if rng.random_bool(0.3) {
                        topics.push(interests.topic(&tax, &mut rng));
                    }
                    EventData::ContentView {
                        topics,
                        dwell_ms: Some(rng.random_range(1_000..180_000)),
                    }
                }
                70..=79 => EventData::Search {
                    query: QUERIES[rng.random_range(0..QUERIES.len())].into(),
                    topics: vec![],
                },
                80..=87 => EventData::Purchase {
                    topics: vec![interests.topic(&tax, &mut rng)],
                    value_micros: Some(rng.random_range(1_000_000..400_000_000)),
                },
                _ => EventData::Custom {
                    name: APP_EVENTS[rng.random_range(0..APP_EVENTS.len())].into(),
                    topics: vec![interests.topic(&tax, &mut rng)],
                },
            };
            engine.record(&Event {
                at: None,
                data: event,
            })?;
        }
        // A few user controls a day.
        let t = interests.topic(&tax, &mut rng);
        engine.record(&Event::feedback(&t, Feedback::Like))?;
        if day % 3 == 0 {
            let t = interests.topic(&tax, &mut rng);
            engine.record(&Event::feedback(&t, Feedback::Hide))?;
        }
        if day % 5 == 0 {
            let t = interests.topic(&tax, &mut rng);
            let _ = engine.allow_interest(&t)?;
        }
        if day % 7 == 3 {
            if let Some(a) = engine.hidden_advertisers()?.first().cloned() {
                engine.unhide_advertiser(&a)?;
            }
        }
        // Reactions from the ad history screen.
        if let Some(h) = engine.ad_history()?.get(rng.random_range(0..5)) {
            let _ = engine.record_ad_event(&h.token, AdEventKind::Like);
        }
        clock.set(day_start + DAY_MS - 1);
        engine.flush()?;
        if day % 7 == 6 {
            engine.close()?;
            engine = Engine::open(config(dir, &clock, &signer))?;
        }
        let f = measure(dir, &engine, day + 1)?;
        max = max_of(&max, &f);
        if (day + 1) % 30 == 0 || day + 1 == opts.days {
            on_month(&f);
            months.push(f);
        }
    }
    engine.close()?;
    Ok(FootprintReport {
        options: opts.clone(),
        months,
        max,
        seconds: started.elapsed().as_secs_f64(),
    })
}
