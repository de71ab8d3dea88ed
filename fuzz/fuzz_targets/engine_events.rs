//! Event ingestion through the engine: arbitrary sequences of every call with
//! arbitrary strings and numbers (topic ids, queries, names, values, event
//! times, dwell times, URLs, ad request contexts, tokens, handles, clock jumps),
//! on a fresh store holding the sample catalog, with a manual clock.
//!
//! Every call must return `Ok` or a typed error, never panic; what it returns
//! must make sense (finite weights, payloads that parse, a budget within its
//! cap), and closing and reopening must keep working.
#![no_main]

use std::sync::Arc;

use arbitrary::Arbitrary;
use hearth_core::ads::AdEventKind;
use hearth_core::catalog::model::{CreativeKind, Os};
use hearth_core::profile::{Event, EventData, Feedback};
use hearth_core::rank::{Item, RankOptions};
use hearth_core::select::{AdContext, AdRequest};
use hearth_core::state::Consent;
use hearth_core::{Engine, Error, ManualClock};
use hearth_fuzz::{START, TOPICS, config, fresh_store};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Topic {
    Known(u8),
    Raw(String),
}

impl Topic {
    fn id(&self) -> String {
        match self {
            Topic::Known(i) => TOPICS[usize::from(*i) % TOPICS.len()].to_string(),
            Topic::Raw(s) => s.clone(),
        }
    }
}

fn ids(t: &[Topic]) -> Vec<String> {
    t.iter().map(Topic::id).collect()
}

#[derive(Arbitrary, Debug)]
enum Data {
    View(Vec<Topic>, Option<u64>),
    Search(String, Vec<Topic>),
    Purchase(Vec<Topic>, Option<i64>),
    Custom(String, Vec<Topic>),
    Like(Topic),
    Hide(Topic),
}

#[derive(Arbitrary, Debug)]
enum Token {
    Issued(u8),
    Raw(String),
}

#[derive(Arbitrary, Debug)]
struct Context {
    topics: Vec<Topic>,
    text: Option<String>,
    locale: Option<String>,
    country: Option<String>,
    app_section: Option<String>,
    os: Option<bool>,
    kinds: Vec<u8>,
    utc_offset_minutes: i32,
}

#[derive(Arbitrary, Debug)]
struct RankItem {
    id: String,
    topics: Vec<Topic>,
    embedding: Vec<f32>,
    published_at_ms: Option<i64>,
}

#[derive(Arbitrary, Debug)]
enum Op {
    Record(Data, Option<i64>),
    Select {
        placement: String,
        slots: u32,
        context: Context,
    },
    AdEvent(Token, u8),
    ConversionUrl(String),
    SetClock(i64),
    Advance(i64),
    Consent(u8),
    RemoveInterest(Topic),
    AllowInterest(Topic),
    RemoveTrait(String),
    AllowTrait(String),
    Unhide(String),
    PendingReports,
    Acknowledge(Option<u8>, u64),
    SentReports,
    Budget,
    Rank(Vec<RankItem>, u16, f64, Option<i64>),
    Interests,
    Traits,
    TopicWeights,
    AdHistory,
    Export,
    Status,
    Flush,
    Reset,
    Reopen,
}

fn kind(k: u8) -> AdEventKind {
    AdEventKind::ALL[usize::from(k) % AdEventKind::ALL.len()]
}

/// Errors that mean the engine failed, not that the input was refused.
fn check<T>(r: Result<T, Error>, what: &str) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(e @ (Error::StoreIo { .. } | Error::Export(_) | Error::Closed)) => {
            panic!("{what}: {e}")
        }
        Err(_) => None,
    }
}

fuzz_target!(|ops: Vec<Op>| {
    let dir = fresh_store();
    let clock = Arc::new(ManualClock::new(START));
    let mut e = Engine::open(config(&dir, clock.clone())).unwrap();
    let mut tokens: Vec<String> = Vec::new();
    let mut handles: Vec<u64> = Vec::new();
    for op in ops.into_iter().take(64) {
        match op {
            Op::Record(d, at) => {
                let data = match d {
                    Data::View(t, dwell) => EventData::ContentView {
                        topics: ids(&t),
                        dwell_ms: dwell,
                    },
                    Data::Search(q, t) => EventData::Search {
                        query: q,
                        topics: ids(&t),
                    },
                    Data::Purchase(t, v) => EventData::Purchase {
                        topics: ids(&t),
                        value_micros: v,
                    },
                    Data::Custom(name, t) => EventData::Custom {
                        name,
                        topics: ids(&t),
                    },
                    Data::Like(t) => EventData::Feedback {
                        topic: t.id(),
                        feedback: Feedback::Like,
                    },
                    Data::Hide(t) => EventData::Feedback {
                        topic: t.id(),
                        feedback: Feedback::Hide,
                    },
                };
                let _ = check(e.record(&Event { at, data }), "record");
            }
            Op::Select {
                placement,
                slots,
                context: c,
            } => {
                let kinds = c
                    .kinds
                    .iter()
                    .map(|k| match k % 4 {
                        0 => CreativeKind::Banner,
                        1 => CreativeKind::Native,
                        2 => CreativeKind::Notification,
                        _ => CreativeKind::Interstitial,
                    })
                    .collect();
                let req = AdRequest {
                    placement_id: placement,
                    slots,
                    context: AdContext {
                        topics: ids(&c.topics),
                        text: c.text,
                        locale: c.locale,
                        country: c.country,
                        app_section: c.app_section,
                        os: c.os.map(|a| if a { Os::Android } else { Os::Ios }),
                        kinds,
                        utc_offset_minutes: c.utc_offset_minutes,
                    },
                    ..Default::default()
                };
                if let Some(r) = check(e.select_ads(&req), "select_ads") {
                    assert_eq!(r.choices.is_empty(), r.no_fill.is_some());
                    assert!(r.choices.len() <= slots as usize);
                    for ch in r.choices {
                        assert!(ch.score.is_finite() && ch.engagement.is_finite());
                        tokens.push(ch.token);
                    }
                }
            }
            Op::AdEvent(t, k) => {
                let token = match t {
                    Token::Issued(i) if !tokens.is_empty() => {
                        tokens[usize::from(i) % tokens.len()].clone()
                    }
                    Token::Issued(_) => continue,
                    Token::Raw(s) => s,
                };
                let _ = check(e.record_ad_event(&token, kind(k)), "record_ad_event");
            }
            Op::ConversionUrl(u) => {
                let _ = check(e.record_conversion_url(&u), "record_conversion_url");
            }
            Op::SetClock(t) => clock.set(t),
            Op::Advance(d) => clock.set(hearth_core::Clock::now_ms(&*clock).saturating_add(d)),
            Op::Consent(c) => {
                let c = [Consent::Personalised, Consent::ContextualOnly, Consent::Off]
                    [usize::from(c) % 3];
                check(e.set_consent(c), "set_consent").unwrap();
            }
            Op::RemoveInterest(t) => {
                let _ = check(e.remove_interest(&t.id()), "remove_interest");
            }
            Op::AllowInterest(t) => {
                let _ = check(e.allow_interest(&t.id()), "allow_interest");
            }
            Op::RemoveTrait(s) => {
                let _ = check(e.remove_trait(&s), "remove_trait");
            }
            Op::AllowTrait(s) => {
                let _ = check(e.allow_trait(&s), "allow_trait");
            }
            Op::Unhide(s) => {
                let _ = check(e.unhide_advertiser(&s), "unhide_advertiser");
            }
            Op::PendingReports => {
                for p in check(e.pending_reports(), "pending_reports").unwrap() {
                    hearth_core::report::Payload::parse(&p.payload)
                        .unwrap_or_else(|err| panic!("payload does not parse: {err}"));
                    handles.push(p.handle);
                }
            }
            Op::Acknowledge(pick, raw) => {
                let h = match pick {
                    Some(i) if !handles.is_empty() => handles[usize::from(i) % handles.len()],
                    _ => raw,
                };
                let _ = check(e.acknowledge(h), "acknowledge").unwrap();
            }
            Op::SentReports => {
                let _ = check(e.sent_reports(), "sent_reports").unwrap();
            }
            Op::Budget => {
                let b = check(e.privacy_budget(), "privacy_budget").unwrap();
                for m in &b.metrics {
                    assert!(m.spent_last_7_periods <= b.weekly_cap_per_metric + 1e-9);
                    assert!(m.remaining >= 0.0);
                }
            }
            Op::Rank(items, limit, diversity, half_life) => {
                let items: Vec<Item> = items
                    .into_iter()
                    .take(32)
                    .map(|i| Item {
                        id: i.id,
                        topics: ids(&i.topics),
                        embedding: i.embedding,
                        published_at_ms: i.published_at_ms,
                    })
                    .collect();
                let opts = RankOptions {
                    limit: usize::from(limit),
                    diversity,
                    freshness_half_life_ms: half_life,
                    ..Default::default()
                };
                if let Some(r) = check(e.rank_items(&items, &opts), "rank_items") {
                    assert!(r.iter().all(|x| x.score.is_finite()));
                }
            }
            Op::Interests => {
                for i in check(e.interests(), "interests").unwrap() {
                    assert!(i.weight.is_finite() && i.weight >= 0.0, "{i:?}");
                }
            }
            Op::Traits => {
                let _ = check(e.traits(), "traits").unwrap();
            }
            Op::TopicWeights => {
                let _ = check(e.topic_weights(), "topic_weights").unwrap();
            }
            Op::AdHistory => {
                for h in check(e.ad_history(), "ad_history").unwrap() {
                    tokens.push(h.token);
                }
            }
            Op::Export => {
                let _ = check(e.export(), "export").unwrap();
            }
            Op::Status => {
                let _ = check(e.status(), "status").unwrap();
            }
            Op::Flush => check(e.flush(), "flush").unwrap(),
            Op::Reset => check(e.reset(), "reset").unwrap(),
            Op::Reopen => {
                e.close().unwrap();
                e = Engine::open(config(&dir, clock.clone())).expect("reopens");
            }
        }
        tokens.truncate(64);
    }
    e.close().unwrap();
});
