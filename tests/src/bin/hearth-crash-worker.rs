//! The child process of the crash test (`tests/tests/crash_kill.rs`): real
//! engine work in an endless loop, until the parent kills it with SIGKILL.
//!
//! Usage: `hearth-crash-worker DIR SEED`. `DIR` holds `store/` (the engine's
//! directory), `publisher.key` (the PKCS#8 signing key the catalogs are signed
//! with) and `journal.log`, where the worker appends one line per step with a
//! single `write` (a killed process loses no completed `write`; the journal is
//! for a SIGKILL test, so it is not fsynced):
//!
//! - `O <run>`: the worker started.
//! - `S <j> <op> <dE> <dH> <dS> <dD> <consent> <suppressed>`: engine call `j`
//!   starts; it can add at most `dE` events, `dH` token serials, `dS`
//!   impressions, `dD` dismissals, and leaves consent and the suppressed topics
//!   as given if it takes effect.
//! - `F <j> <unix µs> <durable 0/1> <fingerprint>`: call `j` returned; the
//!   fingerprint is the state after it (see `Known`); `durable` says
//!   whether the durability contract promises it is on disk now (flush, user
//!   controls, feedback, installs).
//! - `R <handle> <period> <sha256 of payload>`: `pending_reports()` handed
//!   out this report (it was stored before it was handed out).
//! - `I <handle>`: `acknowledge()` of this report is about to be called.
//! - `A <handle>`: `acknowledge()` returned true (stored before it returned).
//! - `C <version>`: `install_catalog()` installed this version (stored before
//!   it returned).
//!
//! Each engine call is one step, and each of the calls used here changes the
//! state under the engine's lock in one piece, so every state the background
//! writer can persist is the state after some completed step.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hearth_cli::publish::{self, Overrides};
use hearth_cli::sample;
use hearth_core::ads::AdEventKind;
use hearth_core::catalog::bundle::SigningKey;
use hearth_core::clock::MINUTE_MS;
use hearth_core::profile::{Event, EventData, Feedback, RecordStatus};
use hearth_core::select::{AdContext, AdRequest, SelectConfig};
use hearth_core::state::{self, Consent, PersistedState, STATE_RECORD};
use hearth_core::store::{Store, StoreKey};
use hearth_core::taxonomy::Taxonomy;
use hearth_core::{Engine, EngineConfig, ManualClock, Timestamp};

/// The key of the crash test's store.
const KEY: [u8; 32] = [0x6b; 32];
/// Monday 2026-03-02, 08:00 UTC.
const START: Timestamp = 1_772_438_400_000;
/// The background writer's interval in the crash test.
const FLUSH_INTERVAL_MS: u64 = 50;

fn supp_text(supp: &[String]) -> String {
    if supp.is_empty() {
        "-".into()
    } else {
        supp.join("+")
    }
}

/// What the worker knows of the state, the fields of the fingerprint the
/// parent computes from the persisted state: events recorded, the next token
/// serial, lifetime impressions and dismissals, consent, suppressed topics
/// (sorted).
#[derive(Clone)]
struct Known {
    events: u64,
    next_serial: u64,
    shows: u64,
    dismissals: u64,
    consent: Consent,
    suppressed: Vec<String>,
}

impl Known {
    fn of(s: &PersistedState) -> Known {
        let mut suppressed = s.profile.suppressed.clone();
        suppressed.sort();
        Known {
            events: s.events_recorded,
            next_serial: s.ads.next_serial,
            shows: s.ads.set_totals.iter().map(|t| u64::from(t.shows)).sum(),
            dismissals: s
                .ads
                .set_totals
                .iter()
                .map(|t| u64::from(t.dismissals))
                .sum(),
            consent: s.consent,
            suppressed,
        }
    }
    fn text(&self) -> String {
        format!(
            "{},{},{},{},{:?},{}",
            self.events,
            self.next_serial,
            self.shows,
            self.dismissals,
            self.consent,
            supp_text(&self.suppressed)
        )
    }
}

struct Journal(File);

impl Journal {
    fn line(&mut self, s: String) {
        let mut s = s;
        s.push('\n');
        // One write per line: a kill never leaves half of a completed write.
        self.0.write_all(s.as_bytes()).unwrap();
    }
}

fn unix_us() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros()
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn serial_of(token: &str) -> u64 {
    let hex = token.strip_prefix("t1-").unwrap();
    let mut b = [0u8; 8];
    for (i, x) in b.iter_mut().enumerate() {
        *x = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
    }
    u64::from_le_bytes(b)
}

fn sha256_hex(s: &str) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, s.as_bytes());
    hearth_core::catalog::bundle::hex(d.as_ref())
}

/// The engine configuration of the crash test.
fn config(store_dir: &Path, clock: Arc<ManualClock>, signer: &SigningKey) -> EngineConfig {
    let mut c = EngineConfig::new(store_dir, StoreKey::from_bytes(KEY)).with_clock(clock);
    c.default_consent = Consent::Personalised;
    c.trusted_keys = vec![signer.public_key()];
    c.flush_interval_ms = FLUSH_INTERVAL_MS;
    c.ads = SelectConfig {
        max_ads_per_hour: 100,
        max_ads_per_day: 1000,
        min_gap_ms: 0,
        ..SelectConfig::default()
    };
    c
}

const TOPICS: [&str; 8] = ["227", "225", "533", "635", "668", "653", "442", "579"];

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().expect("DIR"));
    let seed: u64 = args
        .next()
        .expect("SEED")
        .parse()
        .expect("SEED is a number");
    let store_dir = dir.join("store");
    let signer =
        SigningKey::from_pkcs8(&std::fs::read(dir.join("publisher.key")).unwrap()).unwrap();
    let mut journal = Journal(
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("journal.log"))
            .unwrap(),
    );
    journal.line(format!("O {seed}"));

    // What is on disk now (the parent checked it): the starting point.
    let store = Store::open(&store_dir, &StoreKey::from_bytes(KEY)).unwrap();
    let persisted = store.load(STATE_RECORD).unwrap().map(|r| {
        state::decode(r.schema_version, &r.payload, &store_dir)
            .unwrap()
            .0
    });
    drop(store);
    let start = persisted
        .as_ref()
        .map_or(START, |s| s.high_water_ms.max(START));
    let clock = Arc::new(ManualClock::new(start));

    let mut j: u64 = 0;
    let fresh = persisted.is_none();
    let mut known = persisted.as_ref().map_or(
        Known {
            events: 0,
            next_serial: 0,
            shows: 0,
            dismissals: 0,
            consent: Consent::Personalised,
            suppressed: vec![],
        },
        Known::of,
    );
    // Step 0: open (a fresh store is written at once: the token secret).
    journal.line(format!(
        "S {j} open 0 0 0 0 {:?} {}",
        known.consent,
        supp_text(&known.suppressed)
    ));
    let engine = Engine::open(config(&store_dir, clock.clone(), &signer)).unwrap();
    journal.line(format!(
        "F {j} {} {} {}",
        unix_us(),
        u8::from(fresh),
        known.text()
    ));

    let tax = Taxonomy::iab().unwrap();
    let source = sample::sample_source().unwrap();
    let mut version = engine.status().unwrap().catalog.map_or(0, |c| c.version);
    let mut rng = Rng(seed | 1);
    let mut tokens: Vec<String> = Vec::new();
    let ctx = AdContext {
        topics: vec!["227".into()],
        locale: Some("de-DE".into()),
        country: Some("DE".into()),
        ..AdContext::default()
    };

    loop {
        j += 1;
        // The clock moves a few minutes per step: days pass, reports close.
        clock.advance((1 + rng.below(6) as i64) * MINUTE_MS);
        let roll = rng.below(100);
        let topic = TOPICS[rng.below(TOPICS.len() as u64) as usize].to_string();
        let mut after = known.clone();
        let (op, d_events, d_serial, d_shows, d_dismiss) = match roll {
            0..=39 => ("record", 1, 0, 0, 0),
            40..=41 => ("like", 1, 0, 0, 0),
            42 => ("hide-topic", 1, 0, 0, 0),
            43..=44 => ("allow", 0, 0, 0, 0),
            45..=46 => ("remove", 0, 0, 0, 0),
            47..=48 => ("consent", 0, 0, 0, 0),
            49..=62 => ("select", 0, 3, 0, 0),
            63..=76 => ("impression", 0, 0, 1, 0),
            77..=80 => ("click", 0, 0, 1, 0),
            81..=82 => ("dismiss", 0, 0, 1, 1),
            83..=88 => ("reports", 0, 0, 0, 0),
            89..=92 => ("acknowledge", 0, 0, 0, 0),
            93..=94 => ("install", 0, 0, 0, 0),
            95..=96 => ("flush", 0, 0, 0, 0),
            _ => ("status", 0, 0, 0, 0),
        };
        // The consent and suppressed topics the call leaves if it takes effect.
        match op {
            "hide-topic" | "remove" if !after.suppressed.contains(&topic) => {
                after.suppressed.push(topic.clone());
                after.suppressed.sort();
            }
            "allow" => after.suppressed.retain(|t| *t != topic),
            "consent" => {
                after.consent = if known.consent == Consent::Personalised {
                    Consent::ContextualOnly
                } else {
                    Consent::Personalised
                }
            }
            _ => {}
        }
        if op == "like" && known.consent == Consent::Personalised {
            // A like lifts a hide on its topic.
            after.suppressed.retain(|t| *t != topic);
        }
        journal.line(format!(
            "S {j} {op} {d_events} {d_serial} {d_shows} {d_dismiss} {:?} {}",
            after.consent,
            supp_text(&after.suppressed)
        ));
        let mut durable = false;
        match op {
            "record" => {
                let data = match rng.below(4) {
                    0 => EventData::ContentView {
                        topics: vec![topic],
                        dwell_ms: Some(rng.below(60_000)),
                    },
                    1 => EventData::Search {
                        query: "running shoes".into(),
                        topics: vec![],
                    },
                    2 => EventData::Purchase {
                        topics: vec![topic],
                        value_micros: Some(rng.below(200_000_000) as i64),
                    },
                    // Not a conversion event name of the sample catalog: a
                    // conversion would make this call change the state twice.
                    _ => EventData::Custom {
                        name: "app_open".into(),
                        topics: vec![topic],
                    },
                };
                if engine.record(&data.now()).unwrap().status == RecordStatus::Recorded {
                    after.events += 1;
                }
            }
            "like" | "hide-topic" => {
                let fb = if op == "like" {
                    Feedback::Like
                } else {
                    Feedback::Hide
                };
                let out = engine.record(&Event::feedback(&topic, fb)).unwrap();
                // Feedback that is recorded is durable when the call returns;
                // refused feedback (a like under contextual consent) changes
                // and writes nothing.
                if out.status == RecordStatus::Recorded {
                    after.events += 1;
                    durable = true;
                } else {
                    after.suppressed = known.suppressed.clone();
                }
            }
            "allow" => {
                engine.allow_interest(&topic).unwrap();
                durable = true;
            }
            "remove" => {
                engine.remove_interest(&topic).unwrap();
                durable = true;
            }
            "consent" => {
                engine.set_consent(after.consent).unwrap();
                durable = true;
            }
            "select" => {
                let r = engine
                    .select_ads(&AdRequest {
                        placement_id: "feed".into(),
                        slots: 3,
                        context: ctx.clone(),
                        ..Default::default()
                    })
                    .unwrap();
                for c in r.choices {
                    after.next_serial = after.next_serial.max(serial_of(&c.token) + 1);
                    tokens.push(c.token);
                }
            }
            "impression" | "click" | "dismiss" => {
                if let Some(t) = tokens.pop() {
                    let kind = match op {
                        "impression" => AdEventKind::Impression,
                        "click" => AdEventKind::Click,
                        _ => AdEventKind::Dismiss,
                    };
                    // The first event of a token also counts its impression.
                    if let Ok(out) = engine.record_ad_event(&t, kind) {
                        if out.counted {
                            after.shows += 1;
                            if kind == AdEventKind::Dismiss {
                                after.dismissals += 1;
                            }
                        }
                        durable = kind == AdEventKind::Dismiss;
                    }
                }
            }
            "reports" => {
                for p in engine.pending_reports().unwrap() {
                    journal.line(format!(
                        "R {} {} {}",
                        p.handle,
                        p.period,
                        sha256_hex(&p.payload)
                    ));
                }
            }
            "acknowledge" => {
                // Keep a few reports pending (the parent follows them
                // across kills); upload the oldest.
                let pending = engine.pending_reports().unwrap();
                if let Some(p) = pending.first().filter(|_| pending.len() > 3) {
                    journal.line(format!(
                        "R {} {} {}",
                        p.handle,
                        p.period,
                        sha256_hex(&p.payload)
                    ));
                    journal.line(format!("I {}", p.handle));
                    if engine.acknowledge(p.handle).unwrap() {
                        journal.line(format!("A {}", p.handle));
                    }
                }
            }
            "install" => {
                // Valid from a day ago for two years, whatever the simulated
                // date (however many steps earlier runs took).
                let now = hearth_core::Clock::now_ms(&*clock);
                let o = Overrides {
                    version: Some(version + 1),
                    created_at_ms: Some(now - 24 * 60 * MINUTE_MS),
                    expires_at_ms: Some(now + 2 * 365 * 24 * 60 * MINUTE_MS),
                };
                let built = publish::build(&source, &o, &signer, &tax, "sample").unwrap();
                engine.install_catalog(built.bundle).unwrap();
                version += 1;
                journal.line(format!("C {version}"));
            }
            "flush" => {
                engine.flush().unwrap();
                durable = true;
            }
            _ => {
                let s = engine.status().unwrap();
                assert_eq!(s.events_recorded, known.events);
            }
        }
        let status = engine.status().unwrap();
        assert_eq!(status.events_recorded, after.events, "step {j} ({op})");
        known = after;
        journal.line(format!(
            "F {j} {} {} {}",
            unix_us(),
            u8::from(durable),
            known.text()
        ));
    }
}
