//! Foundation: end-to-end tests of `hearth_core::Engine`.
//!
//! Every test drives a real engine (real encrypted store in a temp dir, the
//! embedded IAB Content Taxonomy 3.x) with a [`ManualClock`] and checks the
//! results against values computed by hand. The arithmetic is written out in
//! comments; in code it uses `dec(w, age_days) = w · 2^(-age_days/14)`, a
//! direct formula that shares nothing with the engine's lazy, incremental decay.
//!
//! Defaults under test: half-life 14 days; roll-up 0.5 to the parent, 0.25 to
//! the grandparent, …; weights view 1.0 × clamp(dwell/30 s, 0.25, 2), search
//! 2.0, purchase 4.0, custom 1.0, like 5.0; `top_k` 128; events older than 90
//! days ignored; future timestamps count as now; default consent
//! `ContextualOnly`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hearth_core::clock::{DAY_MS, HOUR_MS, MINUTE_MS};
use hearth_core::engine::MAX_FLUSH_INTERVAL_MS;
use hearth_core::profile::{
    Event, EventData, Evidence, Feedback, Interest, ProfileConfig, RecordOutcome, RecordStatus,
};
use hearth_core::state::{self, Consent, PersistedState, SCHEMA_VERSION, STATE_RECORD};
use hearth_core::store::Store;
use hearth_core::{Engine, EngineConfig, Error, ManualClock, Timestamp};
use hearth_tests::{
    HALF_LIFE_MS, T0, all_file_bytes, assert_rel, assert_rel_tol, at, clock_at, config,
    contains_bytes, dec, find, hearth_files, ids, key, open_personalised, open_personalised_with,
    other_key, reopen, weight,
};

const H: i64 = HALF_LIFE_MS;

fn view_dwell(topics: &[&str], dwell_ms: u64) -> Event {
    EventData::ContentView {
        topics: topics.iter().map(|s| s.to_string()).collect(),
        dwell_ms: Some(dwell_ms),
    }
    .now()
}

fn recorded(o: &RecordOutcome, updated: u32, sensitive: u32, suppressed: u32) {
    assert_eq!(
        *o,
        RecordOutcome {
            status: RecordStatus::Recorded,
            topics_updated: updated,
            sensitive_dropped: sensitive,
            suppressed_dropped: suppressed,
        }
    );
}

/// Decode the state file with a second, independent `Store` handle.
fn load_state(dir: &Path) -> Option<(u16, PersistedState)> {
    let store = Store::open(dir, &key()).unwrap();
    let rec = store.load(STATE_RECORD).unwrap()?;
    let (s, _) = state::decode(
        rec.schema_version,
        &rec.payload,
        &store.path_of(STATE_RECORD),
    )
    .unwrap();
    Some((rec.schema_version, s))
}

fn stored_ids(s: &PersistedState) -> BTreeSet<String> {
    s.profile.topics.iter().map(|t| t.0.clone()).collect()
}

fn set<'a>(it: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    it.into_iter().map(str::to_string).collect()
}

// ---------------------------------------------------------------------------
// 1. A realistic five-week stream
// ---------------------------------------------------------------------------

/// Five weeks (days 0..=34) of a scripted person, evaluated at NOW = day 35
/// 00:00. All times are `at(day, hour, minute)`.
///
/// | what | when | weight each |
/// |---|---|---|
/// | view Soccer (533), dwell 45 s | every day 08:00 (35×) | 1.5 |
/// | view Cloud Computing (620), dwell 6 s | days with d%7 in 1..=5, 12:30 (25×) | clamp(0.2)=0.25 |
/// | view Tennis (539), dwell 120 s | days 6,13,20,27,34 at 14:00 (5×) | clamp(4)=2.0 |
/// | search "best tennis racket for beginners" (text → Tennis) | day 10 19:00 | 2.0 |
/// | purchase Sports Equipment (551), 129.99 | day 11 20:00 | 4.0 |
/// | like Tennis | day 20 09:00 | 5.0 |
/// | purchase Tennis, 45.50 | day 24 18:00 | 4.0 |
/// | view eSports (682) | days 1,2,3 at 22:00 | 1.0 |
/// | hide Video Gaming (680) | day 15 10:00 | — |
/// | view eSports again (dropped) | day 16 22:00 | — |
/// | view Wedding (165), dwell 30 s | day 29 20:00 | 1.0 |
/// | search "wedding venues lisbon" + topic 165 | day 30 21:00 | 2.0 |
/// | purchase Wedding, 320.00 | day 31 19:00 | 4.0 |
/// | view Marriage (191), dwell 60 s | day 32 20:00 | 2.0 |
/// | custom "added_to_watchlist" Movies (324), synced late at NOW | days 6,13,27 at 21:00 | 1.0 |
#[test]
fn realistic_five_week_stream() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock_at(T0);
    let e = open_personalised(dir.path(), &clock);
    let now = at(35, 0, 0);

    let mut script: Vec<(Timestamp, &str, Event)> = Vec::new();
    for d in 0..35 {
        script.push((at(d, 8, 0), "soccer", view_dwell(&["533"], 45_000)));
    }
    for d in (0..35).filter(|d| (1..=5).contains(&(d % 7))) {
        script.push((at(d, 12, 30), "cloud", view_dwell(&["620"], 6_000)));
    }
    for d in [6, 13, 20, 27, 34] {
        script.push((at(d, 14, 0), "tennis", view_dwell(&["539"], 120_000)));
    }
    script.push((
        at(10, 19, 0),
        "tennis-search",
        Event::search("best tennis racket for beginners", &[]),
    ));
    script.push((
        at(11, 20, 0),
        "equipment-purchase",
        Event::purchase(&["551"], Some(129_990_000)),
    ));
    script.push((
        at(20, 9, 0),
        "tennis-like",
        Event::feedback("539", Feedback::Like),
    ));
    script.push((
        at(24, 18, 0),
        "tennis-purchase",
        Event::purchase(&["539"], Some(45_500_000)),
    ));
    for d in [1, 2, 3] {
        script.push((at(d, 22, 0), "gaming", Event::view(&["682"])));
    }
    script.push((
        at(15, 10, 0),
        "gaming-hide",
        Event::feedback("680", Feedback::Hide),
    ));
    script.push((at(16, 22, 0), "gaming-after-hide", Event::view(&["682"])));
    script.push((at(29, 20, 0), "wedding", view_dwell(&["165"], 30_000)));
    script.push((
        at(30, 21, 0),
        "wedding-search",
        Event::search("wedding venues lisbon", &["165"]),
    ));
    script.push((
        at(31, 19, 0),
        "wedding-purchase",
        Event::purchase(&["165"], Some(320_000_000)),
    ));
    script.push((at(32, 20, 0), "marriage", view_dwell(&["191"], 60_000)));
    script.sort_by_key(|s| s.0);

    let mut outcomes: HashMap<&str, Vec<RecordOutcome>> = HashMap::new();
    for (t, tag, ev) in &script {
        clock.set(*t);
        if *tag == "gaming-hide" {
            // Before the hide: eSports 3 × 1.0 and Video Gaming 3 × 0.5, decayed.
            let before = e.interests().unwrap();
            // eSports views at days 1, 2, 3 22:00, read at day 15 10:00:
            // ages 13.5, 12.5, 11.5 days.
            assert_rel(
                weight(&before, "682"),
                dec(1.0, 13.5) + dec(1.0, 12.5) + dec(1.0, 11.5),
                "eSports before hide",
            );
            assert_rel(
                weight(&before, "680"),
                0.5 * (dec(1.0, 13.5) + dec(1.0, 12.5) + dec(1.0, 11.5)),
                "Video Gaming before hide",
            );
        }
        let o = e.record(ev).unwrap();
        outcomes.entry(*tag).or_default().push(o);
        if *tag == "gaming-hide" {
            let after = e.interests().unwrap();
            assert!(find(&after, "680").is_none() && find(&after, "682").is_none());
            assert_eq!(e.suppressed_topics().unwrap(), ["680"]);
        }
    }
    // Custom events from the app, synced late: delivered at NOW, stamped in the past.
    clock.set(now);
    for d in [6, 13, 27] {
        let o = e
            .record(&Event::custom("added_to_watchlist", &["324"]).at(at(d, 21, 0)))
            .unwrap();
        recorded(&o, 1, 0, 0);
    }

    // Outcomes of the interesting events.
    recorded(&outcomes["tennis-search"][0], 1, 0, 0); // the text matched Tennis only
    recorded(&outcomes["wedding-search"][0], 1, 0, 0); // text matched 165, already given
    recorded(&outcomes["gaming-hide"][0], 0, 0, 0);
    recorded(&outcomes["gaming-after-hide"][0], 0, 0, 1);
    assert!(outcomes["soccer"].iter().all(|o| o.topics_updated == 1));

    // ---- expected weights at NOW (day 35 00:00) ----
    // Soccer: day d 08:00 is (34-d) days + 16 h old; 35 terms of 1.5:
    //   1.5 · 2^(-(2/3)/14) · (1 - r^35) / (1 - r), r = 2^(-1/14)   ≈ 24.733378462943882
    let r = 2f64.powf(-1.0 / 14.0);
    let soccer = 1.5 * 2f64.powf(-(2.0 / 3.0) / 14.0) * (1.0 - r.powi(35)) / (1.0 - r);
    assert_rel(soccer, 24.733_378_462_943_88, "hand value for soccer");
    // Tennis: views at days 6,13,20,27,34 14:00 have ages 28+5/12, 21+5/12,
    // 14+5/12, 7+5/12, 5/12 days → 2·2^(-(5/12)/14)·(1 + 2^-½ + 2^-1 + 2^-1.5 + 2^-2);
    // search day 10 19:00 (age 24+5/24) ×2; like day 20 09:00 (age 14+15/24) ×5;
    // purchase day 24 18:00 (age 10.25) ×4.                           ≈ 10.941657003327206
    let tennis = 2.0
        * 2f64.powf(-(5.0 / 12.0) / 14.0)
        * (1.0 + 2f64.powf(-0.5) + 0.5 + 2f64.powf(-1.5) + 0.25)
        + dec(2.0, 24.0 + 5.0 / 24.0)
        + dec(5.0, 14.0 + 15.0 / 24.0)
        + dec(4.0, 10.25);
    assert_rel(tennis, 10.941_657_003_327_206, "hand value for tennis");
    // Sports Equipment: purchase day 11 20:00, age 23+1/6 days, ×4. ≈ 1.270360619259024
    let equipment = dec(4.0, 23.0 + 1.0 / 6.0);
    // Sports (483) gets half of each child's direct weight: 0.5·(soccer+tennis+equipment).
    let sports = 0.5 * (soccer + tennis + equipment); // ≈ 18.472698042765057
    // Cloud Computing: 25 weekday views, day d 12:30 is (34-d) + 11.5/24 days old, ×0.25.
    let cloud: f64 = (0..35)
        .filter(|d| (1..=5).contains(&(d % 7)))
        .map(|d| dec(0.25, (34 - d) as f64 + 11.5 / 24.0))
        .sum(); // ≈ 2.964645926948305
    // Movies: custom at days 6, 13, 27 21:00 → ages 28.125, 21.125, 7.125. ≈ 1.3025737879855406
    let movies = dec(1.0, 28.125) + dec(1.0, 21.125) + dec(1.0, 7.125);
    // Wedding: view day 29 20:00 (age 5+1/6) ×1, search day 30 21:00 (age 4.125) ×2,
    // purchase day 31 19:00 (age 3+5/24) ×4.                          ≈ 5.817351872616685
    let wedding = dec(1.0, 5.0 + 1.0 / 6.0) + dec(2.0, 4.125) + dec(4.0, 3.0 + 5.0 / 24.0);
    // Marriage: view day 32 20:00 (age 2+1/6), dwell 60 s → ×2.       ≈ 1.7965612168607954
    let marriage = dec(2.0, 2.0 + 1.0 / 6.0);

    let expected: Vec<(&str, f64)> = vec![
        ("533", soccer),          // Sports/Soccer                        24.73
        ("483", sports),          // Sports                               18.47
        ("539", tennis),          // Sports/Tennis                        10.94
        ("165", wedding),         // Personal Celebrations/Wedding         5.82
        ("620", cloud),           // …/Internet/Cloud Computing            2.96
        ("163", 0.5 * wedding),   // Personal Celebrations & Life Events   2.91
        ("191", marriage),        // Family…/Marriage and Civil Unions     1.80
        ("619", 0.5 * cloud),     // Technology & Computing/Computing/Internet 1.48
        ("324", movies),          // Entertainment/Movies                  1.30
        ("551", equipment),       // Sports/Sports Equipment               1.27
        ("186", 0.5 * marriage),  // Family and Relationships              0.90
        ("599", 0.25 * cloud),    // Technology & Computing/Computing      0.74
        ("JLBCU7", 0.5 * movies), // Entertainment                         0.65
        ("596", 0.125 * cloud),   // Technology & Computing                0.37
    ];

    let interests = e.interests().unwrap();
    // Exactly these topics, in exactly this order (heaviest first): no gaming.
    assert_eq!(
        ids(&interests).collect::<Vec<_>>(),
        expected.iter().map(|x| x.0).collect::<Vec<_>>()
    );
    for (id, w) in &expected {
        assert_rel(weight(&interests, id), *w, id);
    }
    // topic_weights (the selection input) agrees with interests.
    let tax = e.taxonomy();
    let tw = e.topic_weights().unwrap();
    assert_eq!(tw.len(), expected.len());
    for ((idx, w), i) in tw.iter().zip(&interests) {
        assert_eq!(tax.get(*idx).unwrap().id, i.topic_id);
        assert_eq!(*w, i.weight);
    }

    // ---- evidence ----
    let why = |id: &str| find(&interests, id).unwrap().why.clone();
    assert_eq!(
        why("539"),
        Evidence {
            views: 5,
            searches: 1,
            purchases: 1,
            likes: 1,
            ..Evidence::default()
        }
    );
    assert_eq!(
        why("533"),
        Evidence {
            views: 35,
            ..Evidence::default()
        }
    );
    // Sports: 35 soccer + 5 tennis views + tennis search + like + purchase + equipment purchase.
    assert_eq!(
        why("483"),
        Evidence {
            from_subtopics: 44,
            ..Evidence::default()
        }
    );
    assert_eq!(why("596").from_subtopics, 25);
    assert_eq!(why("619").from_subtopics, 25);
    assert_eq!(
        why("324"),
        Evidence {
            custom: 3,
            ..Evidence::default()
        }
    );
    assert_eq!(
        why("165"),
        Evidence {
            views: 1,
            searches: 1,
            purchases: 1,
            ..Evidence::default()
        }
    );
    assert_eq!(why("163").from_subtopics, 3);

    // ---- reasons ----
    let reason = |id: &str| find(&interests, id).unwrap().reason.clone();
    assert_eq!(
        reason("539"),
        "Based on 5 pages you viewed, 1 search, 1 purchase, 1 like; most recently today."
    );
    assert_eq!(
        reason("533"),
        "Based on 35 pages you viewed; most recently today."
    );
    assert_eq!(
        reason("483"),
        "Based on 44 activities on related, more specific topics; most recently today."
    );
    // Last Cloud Computing view: day 33 12:30, 35.5 h before NOW.
    assert_eq!(
        reason("596"),
        "Based on 25 activities on related, more specific topics; most recently yesterday."
    );
    // Last custom event: day 27 21:00, 7 days 3 h before NOW.
    assert_eq!(
        reason("324"),
        "Based on 3 actions in the app; most recently 7 days ago."
    );
    // Last wedding event: the purchase on day 31 19:00, 3 days 5 h ago.
    assert_eq!(
        reason("165"),
        "Based on 1 page you viewed, 1 search, 1 purchase; most recently 3 days ago."
    );
    let sports_i = find(&interests, "483").unwrap();
    assert_eq!(sports_i.last_activity, at(34, 14, 0));
    assert_eq!(
        find(&interests, "620").unwrap().path,
        "Technology & Computing/Computing/Internet/Cloud Computing"
    );

    // ---- traits ----
    let traits = e.traits().unwrap();
    let keys: Vec<String> = traits.iter().map(|t| t.key()).collect();
    assert_eq!(keys, ["spending_tier=mid", "life_event:wedding=active"]);
    // Purchases 129.99, 45.50, 320.00 → median 129.99 → mid (25.00 ≤ m < 150.00).
    assert_eq!(
        traits[0].reason,
        "The median of your 3 purchases in the last 90 days is 129.99."
    );
    assert_eq!(traits[0].label, "Mid-range spender");
    assert_eq!(traits[0].since, at(31, 19, 0));
    // Wedding rule events: days 29 20:00, 30 21:00, 31 19:00, 32 20:00 → 4 within
    // 14 days of the last, which is 2 days 4 h before NOW.
    assert_eq!(
        traits[1].reason,
        "4 of your recent activities within 14 days were about Wedding, Marriage and \
         Civil Unions, Bachelor Party, Bachelorette Party, most recently 2 days ago."
    );
    assert_eq!(traits[1].since, at(32, 20, 0));

    // ---- status ----
    // 35 + 25 + 5 + 1 + 1 + 1 + 1 + 3 + 1 (hide) + 1 (dropped) + 4 + 3 (custom) = 81.
    let st = e.status().unwrap();
    assert_eq!(st.events_recorded, 81);
    assert_eq!(st.topics, 14);
    assert_eq!(st.consent, Consent::Personalised);

    // Everything survives close and reopen bit for bit.
    let traits_before = e.traits().unwrap();
    e.close().unwrap();
    let e = reopen(dir.path(), &clock);
    assert_eq!(e.interests().unwrap(), interests);
    assert_eq!(e.traits().unwrap(), traits_before);
    assert_eq!(e.suppressed_topics().unwrap(), ["680"]);
    assert_eq!(e.status().unwrap().events_recorded, 81);
}

// ---------------------------------------------------------------------------
// 2. Decay
// ---------------------------------------------------------------------------

#[test]
fn decay_after_whole_half_lives_and_out_of_order_events() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock_at(T0);
    let e = open_personalised(dir.path(), &clock);
    // One view of Soccer at T0: Soccer 1.0, Sports 0.5.
    e.record(&Event::view(&["533"])).unwrap();
    for (n, soccer) in [(0, 1.0), (1, 0.5), (2, 0.25), (3, 0.125)] {
        clock.set(T0 + n * H);
        let i = e.interests().unwrap();
        assert_rel_tol(weight(&i, "533"), soccer, 1e-12, "soccer");
        assert_rel_tol(weight(&i, "483"), soccer / 2.0, 1e-12, "sports");
    }

    // At T0+3H, events about Tennis arrive out of order:
    //   view at T0+2H (1.0 → 1·2^-1 = 0.5), view at T0 (1.0 → 2^-3 = 0.125),
    //   search at T0+H (2.0 → 2·2^-2 = 0.5).        Tennis = 1.125
    e.record(&Event::view(&["539"]).at(T0 + 2 * H)).unwrap();
    e.record(&Event::view(&["539"]).at(T0)).unwrap();
    let o = e.record(&Event::search("", &["539"]).at(T0 + H)).unwrap();
    recorded(&o, 1, 0, 0);
    let i = e.interests().unwrap();
    assert_rel_tol(weight(&i, "539"), 1.125, 1e-12, "tennis");
    // Sports = 0.5·2^-3 = 0.0625 (from the soccer view) + 0.5 · 1.125 = 0.625.
    assert_rel_tol(weight(&i, "483"), 0.625, 1e-12, "sports");
    let tennis = find(&i, "539").unwrap();
    assert_eq!(tennis.last_activity, T0 + 2 * H);
    assert_eq!(tennis.why.views, 2);
    assert_eq!(tennis.why.searches, 1);
    // One more half-life halves everything.
    clock.set(T0 + 4 * H);
    let i = e.interests().unwrap();
    assert_rel_tol(weight(&i, "539"), 0.5625, 1e-12, "tennis at 4H");
    assert_rel_tol(weight(&i, "483"), 0.3125, 1e-12, "sports at 4H");

    // The same three events in chronological order in another engine: same weight.
    let dir2 = tempfile::tempdir().unwrap();
    let clock2 = clock_at(T0);
    let e2 = open_personalised(dir2.path(), &clock2);
    clock2.set(T0);
    e2.record(&Event::view(&["539"])).unwrap();
    clock2.set(T0 + H);
    e2.record(&Event::search("", &["539"])).unwrap();
    clock2.set(T0 + 2 * H);
    e2.record(&Event::view(&["539"])).unwrap();
    clock2.set(T0 + 4 * H);
    assert_rel_tol(
        weight(&e2.interests().unwrap(), "539"),
        0.5625,
        1e-12,
        "in-order tennis",
    );

    // A future timestamp counts as now (T0+4H): Golf = 1.0 now, 0.5 a half-life later.
    let now = T0 + 4 * H;
    e.record(&Event::view(&["512"]).at(now + 100 * DAY_MS))
        .unwrap();
    let golf = e.interests().unwrap();
    let golf = find(&golf, "512").unwrap();
    assert_eq!(golf.weight, 1.0);
    assert_eq!(golf.last_activity, now);
    clock.set(now + H);
    assert_rel_tol(
        weight(&e.interests().unwrap(), "512"),
        0.5,
        1e-12,
        "golf after H",
    );

    // The 90-day horizon: 90 days + 1 ms is too old, exactly 90 days is kept
    // (2^(-90/14) ≈ 0.0116, above the 0.01 display threshold).
    let now = now + H;
    let o = e
        .record(&Event::view(&["541"]).at(now - 90 * DAY_MS - 1))
        .unwrap();
    assert_eq!(
        o,
        RecordOutcome {
            status: RecordStatus::TooOld,
            topics_updated: 0,
            sensitive_dropped: 0,
            suppressed_dropped: 0
        }
    );
    assert!(find(&e.interests().unwrap(), "541").is_none());
    let o = e
        .record(&Event::view(&["541"]).at(now - 90 * DAY_MS))
        .unwrap();
    recorded(&o, 1, 0, 0);
    assert_rel(
        weight(&e.interests().unwrap(), "541"),
        dec(1.0, 90.0),
        "volleyball at 90 days",
    );

    // A clock that jumps back does not undo decay (high-water mark).
    clock.set(T0);
    assert_rel_tol(
        weight(&e.interests().unwrap(), "512"),
        0.5,
        1e-12,
        "golf after clock jump back",
    );
}

// ---------------------------------------------------------------------------
// 3. Roll-up across three levels
// ---------------------------------------------------------------------------

#[test]
fn rollup_across_three_levels() {
    // Men's Business Wear (583) → Men's Clothing (582) → Men's Fashion (579)
    // → Style & Fashion (552): a depth-3 topic.
    let dir = tempfile::tempdir().unwrap();
    let clock = clock_at(T0);
    let e = open_personalised(dir.path(), &clock);
    let tax = e.taxonomy();
    let chain: Vec<&str> = tax
        .ancestors(tax.idx("583").unwrap())
        .map(|a| tax.get(a).unwrap().id.as_str())
        .collect();
    assert_eq!(chain, ["582", "579", "552"]);

    // purchase 583 (4.0):  583 4, 582 2, 579 1, 552 0.5
    // view 584 (1.0):      584 1, 582 +0.5, 579 +0.25, 552 +0.125
    // like 579 (5.0):      579 +5, 552 +2.5
    recorded(
        &e.record(&Event::purchase(&["583"], Some(99_000_000)))
            .unwrap(),
        1,
        0,
        0,
    );
    e.record(&Event::view(&["584"])).unwrap();
    e.record(&Event::feedback("579", Feedback::Like)).unwrap();
    let i = e.interests().unwrap();
    let want = [
        ("579", 6.25),  // 1 + 0.25 + 5
        ("583", 4.0),   // direct
        ("552", 3.125), // 0.5 + 0.125 + 2.5
        ("582", 2.5),   // 2 + 0.5
        ("584", 1.0),   // direct
    ];
    assert_eq!(
        ids(&i).collect::<Vec<_>>(),
        want.iter().map(|w| w.0).collect::<Vec<_>>()
    );
    for (id, w) in want {
        assert_eq!(weight(&i, id), w, "{id}");
    }
    assert_eq!(find(&i, "582").unwrap().why.from_subtopics, 2);
    assert_eq!(
        find(&i, "579").unwrap().why,
        Evidence {
            likes: 1,
            from_subtopics: 2,
            ..Evidence::default()
        }
    );
    assert_eq!(find(&i, "552").unwrap().why.from_subtopics, 3);
    assert_eq!(
        find(&i, "583").unwrap().path,
        "Style & Fashion/Men's Fashion/Men's Clothing/Men's Business Wear"
    );
    // Decay applies to the whole chain alike.
    clock.set(T0 + H);
    assert_rel_tol(
        weight(&e.interests().unwrap(), "552"),
        1.5625,
        1e-12,
        "552 at H",
    );

    // A configured share of 0.3: 4, 1.2, 0.36, 0.108.
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path(), &clock);
    cfg.profile.rollup_share = 0.3;
    let e = open_personalised_with(cfg);
    e.record(&Event::purchase(&["583"], None)).unwrap();
    let i = e.interests().unwrap();
    for (id, w) in [("583", 4.0), ("582", 1.2), ("579", 0.36), ("552", 0.108)] {
        assert_rel_tol(weight(&i, id), w, 1e-12, id);
    }

    // A share of 0 disables roll-up.
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path(), &clock);
    cfg.profile.rollup_share = 0.0;
    let e = open_personalised_with(cfg);
    e.record(&Event::purchase(&["583"], None)).unwrap();
    assert_eq!(ids(&e.interests().unwrap()).collect::<Vec<_>>(), ["583"]);
}

// ---------------------------------------------------------------------------
// 4. Suppression
// ---------------------------------------------------------------------------

#[test]
fn suppression_by_hide_and_remove_with_subtrees_and_persistence() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock_at(T0); // the clock stays put: no decay, round numbers
    let e = open_personalised(dir.path(), &clock);
    for t in ["533", "539", "484", "483", "620"] {
        e.record(&Event::view(&[t])).unwrap();
    }
    // Sports = 1 + 3 · 0.5 = 2.5.
    assert_eq!(weight(&e.interests().unwrap(), "483"), 2.5);

    // Hide Sports: it and its whole subtree go.
    recorded(
        &e.record(&Event::feedback("483", Feedback::Hide)).unwrap(),
        0,
        0,
        0,
    );
    let tech = set(["620", "619", "599", "596"]);
    assert_eq!(set(ids(&e.interests().unwrap())), tech);
    assert_eq!(e.suppressed_topics().unwrap(), ["483"]);
    // Later events on the subtree are dropped, others still count.
    recorded(&e.record(&Event::view(&["533"])).unwrap(), 0, 0, 1);
    recorded(&e.record(&Event::view(&["533", "620"])).unwrap(), 1, 0, 1);
    assert_eq!(weight(&e.interests().unwrap(), "620"), 2.0);
    // Liking a child of a hidden topic does not lift the parent's hide.
    recorded(
        &e.record(&Event::feedback("539", Feedback::Like)).unwrap(),
        0,
        0,
        1,
    );
    assert_eq!(set(ids(&e.interests().unwrap())), tech);

    // remove_interest on a middle level: Computing (599) and its subtree go, the
    // root keeps what had rolled up: 596 = 2 views · 0.125 = 0.25.
    e.remove_interest("599").unwrap();
    assert!(!e.status().unwrap().unsaved_changes, "remove is durable");
    let i = e.interests().unwrap();
    assert_eq!(ids(&i).collect::<Vec<_>>(), ["596"]);
    assert_eq!(weight(&i, "596"), 0.25);
    recorded(
        &e.record(&Event::purchase(&["620"], None)).unwrap(),
        0,
        0,
        1,
    );
    recorded(&e.record(&Event::view(&["596"])).unwrap(), 1, 0, 0);
    assert_eq!(weight(&e.interests().unwrap(), "596"), 1.25);
    let hidden = set(["483", "599"]);
    assert_eq!(
        set(e.suppressed_topics().unwrap().iter().map(String::as_str)),
        hidden
    );

    // Persisted across close and reopen.
    e.close().unwrap();
    let e = reopen(dir.path(), &clock);
    assert_eq!(
        set(e.suppressed_topics().unwrap().iter().map(String::as_str)),
        hidden
    );
    recorded(&e.record(&Event::view(&["533"])).unwrap(), 0, 0, 1);
    recorded(&e.record(&Event::view(&["627"])).unwrap(), 0, 0, 1); // Internet/Search

    // allow_interest lifts it; the topic is learned afresh.
    assert!(e.allow_interest("483").unwrap());
    assert!(!e.allow_interest("483").unwrap());
    recorded(&e.record(&Event::view(&["533"])).unwrap(), 1, 0, 0);
    let i = e.interests().unwrap();
    assert_eq!(weight(&i, "533"), 1.0);
    assert_eq!(weight(&i, "483"), 0.5);
    // A like on the hidden topic itself lifts its hide: Computing 5, root +2.5.
    recorded(
        &e.record(&Event::feedback("599", Feedback::Like)).unwrap(),
        1,
        0,
        0,
    );
    let i = e.interests().unwrap();
    assert_eq!(weight(&i, "599"), 5.0);
    assert_eq!(weight(&i, "596"), 3.75);
    assert!(e.suppressed_topics().unwrap().is_empty());
    e.close().unwrap();
    let e = reopen(dir.path(), &clock);
    assert!(e.suppressed_topics().unwrap().is_empty());
    assert_eq!(weight(&e.interests().unwrap(), "599"), 5.0);
    assert!(matches!(
        e.allow_interest("nope"),
        Err(Error::UnknownTopic(_))
    ));
}

// ---------------------------------------------------------------------------
// 5. Bounds
// ---------------------------------------------------------------------------

#[test]
fn top_k_keeps_the_heaviest() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock_at(T0);
    let mut cfg = config(dir.path(), &clock);
    cfg.profile.top_k = 10;
    cfg.profile.rollup_share = 0.0; // leaves only, so the arithmetic stays simple
    let e = open_personalised_with(cfg);

    // Golf purchase at T0: 4.0.
    e.record(&Event::purchase(&["512"], None)).unwrap();
    // Twenty other sports, one view each (1.0), a minute apart, starting at T0+H.
    let others = [
        "484", "507", "518", "534", "545", "547", "548", "549", "550", "485", "486", "487", "491",
        "492", "493", "494", "495", "496", "498", "508",
    ];
    for (n, t) in others.iter().enumerate() {
        clock.set(T0 + H + n as i64 * MINUTE_MS);
        e.record(&Event::view(&[t])).unwrap();
        assert!(e.interests().unwrap().len() <= 10);
        assert!(e.status().unwrap().topics <= 10);
    }
    // Since all weights decay at one rate, order never changes with time. At the
    // last view (T0+H+19 min): Golf = 4·2^-(1+19 min/14 d) ≈ 1.998 beats every view;
    // a view made k minutes earlier is worth 2^-(k min/14 d) < 1, so the survivors
    // are Golf and the 9 latest views, latest first.
    let now = T0 + H + 19 * MINUTE_MS;
    let i = e.interests().unwrap();
    let mut want = vec!["512"];
    want.extend(others[11..].iter().rev());
    assert_eq!(ids(&i).collect::<Vec<_>>(), want);
    assert_rel(
        weight(&i, "512"),
        dec(4.0, (now - T0) as f64 / DAY_MS as f64),
        "golf",
    );
    assert_eq!(weight(&i, "508"), 1.0);
    assert_rel(
        weight(&i, "498"),
        dec(1.0, 1.0 / (24.0 * 60.0)),
        "one minute old",
    );

    // A new, light topic (dwell 3 s → 0.25) is the lightest: evicted at once.
    recorded(&e.record(&view_dwell(&["509"], 3_000)).unwrap(), 1, 0, 0);
    assert_eq!(ids(&e.interests().unwrap()).collect::<Vec<_>>(), want);
    // A heavy one (like, 5.0) pushes out the lightest survivor: 487, the oldest
    // surviving view.
    e.record(&Event::feedback("510", Feedback::Like)).unwrap();
    let i = e.interests().unwrap();
    assert_eq!(i.len(), 10);
    assert_eq!(i[0].topic_id, "510");
    assert!(find(&i, "487").is_none());
    assert!(find(&i, "491").is_some());

    // Same bound with roll-up on and deep topics: never above 10.
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path(), &clock);
    cfg.profile.top_k = 10;
    let e = open_personalised_with(cfg);
    for (n, t) in [
        "583", "584", "585", "603", "608", "620", "623", "364", "365", "64", "140",
    ]
    .iter()
    .cycle()
    .take(60)
    .enumerate()
    {
        clock.advance(HOUR_MS);
        e.record(&view_dwell(&[t], 1_000 * (n as u64 % 70)))
            .unwrap();
        assert!(e.interests().unwrap().len() <= 10);
        assert!(e.status().unwrap().topics <= 10);
    }
}

#[test]
fn whole_taxonomy_stays_within_128_topics_and_16_kib() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock_at(T0);
    let e = open_personalised(dir.path(), &clock);
    let tax = e.taxonomy();
    let all: Vec<String> = tax
        .topics()
        .iter()
        .filter(|t| !t.sensitive)
        .map(|t| t.id.clone())
        .collect();
    assert_eq!(all.len(), 610); // 704 IAB topics, 94 sensitive
    for (n, id) in all.iter().enumerate() {
        clock.set(T0 + n as i64 * MINUTE_MS);
        let o = e.record(&view_dwell(&[id], 45_000)).unwrap();
        recorded(&o, 1, 0, 0);
    }
    let i = e.interests().unwrap();
    assert!(!i.is_empty() && i.len() <= 128, "{} interests", i.len());
    assert!(e.status().unwrap().topics <= 128);
    // Heaviest first.
    assert!(i.windows(2).all(|w| w[0].weight >= w[1].weight));
    // The most recently viewed topic is among the survivors (it is the newest
    // full-weight view: nothing else can outrank it but roll-up sums).
    assert!(find(&i, all.last().unwrap()).is_some());
    e.flush().unwrap();
    let st = e.status().unwrap();
    assert!(
        st.state_bytes > 0 && st.state_bytes <= 16 * 1024,
        "state is {} bytes",
        st.state_bytes
    );
    let on_disk = std::fs::metadata(dir.path().join("state.hearth"))
        .unwrap()
        .len();
    assert_eq!(st.state_bytes, on_disk);
    let (_, s) = load_state(dir.path()).unwrap();
    assert!(s.profile.topics.len() <= 128);
}

// ---------------------------------------------------------------------------
// 6. Sensitive topics
// ---------------------------------------------------------------------------

#[test]
fn sensitive_topics_are_never_stored_or_shown() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock_at(T0);
    let e = open_personalised(dir.path(), &clock);
    let tax = e.taxonomy();
    // 286 Medical Health, 301 Mental Health, 459 Christianity (inherits from 453
    // Religion & Spirituality), 320 Pharmaceutical Drugs, 387 Elections.
    for id in ["286", "301", "459", "320", "387", "453"] {
        assert!(tax.is_sensitive(tax.idx(id).unwrap()), "{id}");
    }
    recorded(&e.record(&Event::view(&["286"])).unwrap(), 0, 1, 0);
    recorded(&e.record(&Event::view(&["301", "533"])).unwrap(), 1, 1, 0);
    recorded(
        &e.record(&Event::purchase(&["320", "459"], Some(12_000_000)))
            .unwrap(),
        0,
        2,
        0,
    );
    // Search text that matches only sensitive topics (Cancer, Diabetes, Christianity).
    recorded(
        &e.record(&Event::search("christianity cancer diabetes", &[]))
            .unwrap(),
        0,
        3,
        0,
    );
    recorded(
        &e.record(&Event::feedback("453", Feedback::Like)).unwrap(),
        0,
        1,
        0,
    );
    recorded(
        &e.record(&Event::custom("vote", &["387"])).unwrap(),
        0,
        1,
        0,
    );

    // Only Soccer and Sports were learned.
    let i = e.interests().unwrap();
    assert_eq!(ids(&i).collect::<Vec<_>>(), ["533", "483"]);
    assert!(
        e.topic_weights()
            .unwrap()
            .iter()
            .all(|(t, _)| !tax.is_sensitive(*t))
    );

    // Export: no sensitive id or label anywhere.
    let export = e.export().unwrap();
    let doc: serde_json::Value = serde_json::from_str(&export).unwrap();
    let mut exported_ids = BTreeSet::new();
    for it in doc["interests"].as_array().unwrap() {
        exported_ids.insert(it["topic_id"].as_str().unwrap().to_string());
    }
    for t in doc["stored"]["topics"].as_array().unwrap() {
        exported_ids.insert(t[0].as_str().unwrap().to_string());
    }
    assert_eq!(exported_ids, set(["533", "483"]));
    for needle in [
        "\"286\"",
        "\"301\"",
        "\"320\"",
        "\"459\"",
        "\"453\"",
        "\"387\"",
        "\"314\"",
        "\"317\"",
        "Medical Health",
        "Mental Health",
        "Christianity",
        "Religion",
        "Cancer",
        "Diabetes",
        "Elections",
    ] {
        assert!(!export.contains(needle), "export contains {needle}");
    }
    // Nor in the stored state.
    e.flush().unwrap();
    let (_, s) = load_state(dir.path()).unwrap();
    assert_eq!(stored_ids(&s), set(["533", "483"]));
}

/// Core issue (reported, not fixed here): a purchase whose only topics are
/// sensitive (here Pharmaceutical Drugs and Pregnancy) has its topics dropped,
/// but its value and time are still stored, exported, and drive the spending
/// tier: the user becomes a "Premium spender" purely from pharmacy purchases.
#[test]
fn sensitive_only_purchases_do_not_feed_the_spending_tier() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock_at(T0);
    let e = open_personalised(dir.path(), &clock);
    recorded(
        &e.record(&Event::purchase(&["320"], Some(500_000_000)))
            .unwrap(),
        0,
        1,
        0,
    );
    recorded(
        &e.record(&Event::purchase(&["305"], Some(600_000_000)))
            .unwrap(),
        0,
        1,
        0,
    );
    assert!(e.traits().unwrap().is_empty());
    let doc: serde_json::Value = serde_json::from_str(&e.export().unwrap()).unwrap();
    assert!(doc["stored"]["purchases"].as_array().unwrap().is_empty());
}

// ---------------------------------------------------------------------------
// 7. Consent
// ---------------------------------------------------------------------------

#[test]
fn consent_contextual_keeps_profile_unused_and_off_erases_it() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock_at(T0);
    let e = Engine::open(config(dir.path(), &clock)).unwrap();
    // Default: contextual only, nothing collected.
    assert_eq!(e.consent().unwrap(), Consent::ContextualOnly);
    let o = e.record(&Event::view(&["533"])).unwrap();
    assert_eq!(o.status, RecordStatus::ConsentWithheld);
    assert_eq!(o.topics_updated, 0);
    assert!(e.interests().unwrap().is_empty());
    assert_eq!(e.status().unwrap().events_recorded, 0);

    e.set_consent(Consent::Personalised).unwrap();
    e.record(&Event::view(&["533"])).unwrap();
    e.record(&Event::purchase(&["551"], Some(10_000_000)))
        .unwrap();
    e.record(&Event::purchase(&["551"], Some(20_000_000)))
        .unwrap();
    let weights = e.topic_weights().unwrap();
    assert_eq!(weights.len(), 3); // 551 4+4, 533 1, 483 0.5+2+2
    assert_eq!(e.traits().unwrap().len(), 1); // spending tier

    // Contextual only: nothing new is collected, the profile is kept but not used.
    e.set_consent(Consent::ContextualOnly).unwrap();
    let o = e.record(&Event::view(&["539"])).unwrap();
    assert_eq!(o.status, RecordStatus::ConsentWithheld);
    assert!(e.topic_weights().unwrap().is_empty());
    assert!(e.traits().unwrap().is_empty());
    assert_eq!(e.status().unwrap().topics, 3);
    let doc: serde_json::Value = serde_json::from_str(&e.export().unwrap()).unwrap();
    assert_eq!(doc["stored"]["topics"].as_array().unwrap().len(), 3);
    assert_eq!(doc["consent"], "ContextualOnly");
    // …and back: restored exactly.
    e.set_consent(Consent::Personalised).unwrap();
    assert_eq!(e.topic_weights().unwrap(), weights);

    // Off: erased, and stays erased across reopen.
    e.set_consent(Consent::Off).unwrap();
    assert!(e.interests().unwrap().is_empty());
    assert!(e.topic_weights().unwrap().is_empty());
    assert_eq!(
        e.record(&Event::view(&["533"])).unwrap().status,
        RecordStatus::ConsentWithheld
    );
    let doc: serde_json::Value = serde_json::from_str(&e.export().unwrap()).unwrap();
    assert!(doc["interests"].as_array().unwrap().is_empty());
    assert!(doc["traits"].as_array().unwrap().is_empty());
    assert!(doc["stored"]["topics"].as_array().unwrap().is_empty());
    assert!(doc["stored"]["purchases"].as_array().unwrap().is_empty());
    assert_eq!(doc["consent"], "Off");
    // On disk too, before close.
    let (_, s) = load_state(dir.path()).unwrap();
    assert_eq!(s.consent, Consent::Off);
    assert!(s.profile.topics.is_empty() && s.profile.purchases.is_empty());
    e.close().unwrap();

    let e = reopen(dir.path(), &clock);
    assert_eq!(e.consent().unwrap(), Consent::Off);
    assert!(e.interests().unwrap().is_empty());
    assert_eq!(e.status().unwrap().topics, 0);

    // Back to personalised: starts empty.
    e.set_consent(Consent::Personalised).unwrap();
    assert!(e.interests().unwrap().is_empty());
    assert!(e.traits().unwrap().is_empty());
    recorded(&e.record(&Event::view(&["539"])).unwrap(), 1, 0, 0);
    assert_eq!(
        ids(&e.interests().unwrap()).collect::<Vec<_>>(),
        ["539", "483"]
    );
    assert_eq!(weight(&e.interests().unwrap(), "483"), 0.5);
}

// ---------------------------------------------------------------------------
// 8. Reset
// ---------------------------------------------------------------------------

#[test]
fn reset_deletes_the_file_and_returns_to_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock_at(T0);
    let e = open_personalised(dir.path(), &clock);
    e.record(&Event::view(&["533"])).unwrap();
    e.record(&Event::purchase(&["551"], Some(10_000_000)))
        .unwrap();
    e.remove_interest("680").unwrap();
    e.flush().unwrap();
    assert_eq!(hearth_files(dir.path()), ["state.hearth"]);

    e.reset().unwrap();
    assert!(
        hearth_files(dir.path()).is_empty(),
        "{:?}",
        hearth_files(dir.path())
    );
    assert!(e.interests().unwrap().is_empty());
    assert!(e.suppressed_topics().unwrap().is_empty());
    assert_eq!(e.consent().unwrap(), Consent::ContextualOnly);
    let st = e.status().unwrap();
    assert_eq!(
        (
            st.events_recorded,
            st.topics,
            st.state_bytes,
            st.unsaved_changes
        ),
        (0, 0, 0, false)
    );
    // Default consent again: nothing is collected.
    assert_eq!(
        e.record(&Event::view(&["533"])).unwrap().status,
        RecordStatus::ConsentWithheld
    );
    e.close().unwrap();
    // Nothing was written back by close.
    assert!(hearth_files(dir.path()).is_empty());

    let e = reopen(dir.path(), &clock);
    assert_eq!(e.consent().unwrap(), Consent::ContextualOnly);
    assert!(e.interests().unwrap().is_empty());
    assert!(e.suppressed_topics().unwrap().is_empty());
    assert_eq!(e.status().unwrap().events_recorded, 0);
}

// ---------------------------------------------------------------------------
// 9. Export
// ---------------------------------------------------------------------------

#[test]
fn export_is_complete_json_and_search_text_is_never_kept() {
    const QUERY: &str = "cheap xylophonequartz tennis lessons";
    const SECRET_WORD: &str = "xylophonequartz";
    const EVENT_NAME: &str = "opened_zebracornflakes_screen";
    let dir = tempfile::tempdir().unwrap();
    let clock = clock_at(T0);
    let e = open_personalised(dir.path(), &clock);
    // The query's text matches Tennis: 2.0 there, 1.0 on Sports.
    recorded(&e.record(&Event::search(QUERY, &[])).unwrap(), 1, 0, 0);
    e.record(&Event::custom(EVENT_NAME, &["324"])).unwrap();
    e.record(&Event::purchase(&["551"], Some(200_000_000)))
        .unwrap();
    e.record(&Event::purchase(&["551"], Some(300_000_000)))
        .unwrap();
    e.remove_interest("680").unwrap();
    e.record(&Event::feedback("210", Feedback::Hide)).unwrap();
    e.flush().unwrap();

    let export = e.export().unwrap();
    let doc: serde_json::Value = serde_json::from_str(&export).unwrap();
    assert_eq!(doc["format"], "hearth-export/1");
    assert_eq!(doc["consent"], "Personalised");
    assert_eq!(doc["events_recorded"], 5); // search, custom, 2 purchases, hide
    assert_eq!(doc["exported_at_ms"], T0);
    assert_eq!(doc["taxonomy_version"], e.taxonomy().version());
    // Interests, heaviest first: 483 = 0.5·2 + 0.5·4 + 0.5·4 = 5, 551 = 8, 539 = 2,
    // 324 = 1, JLBCU7 = 0.5.
    let exported: Vec<(&str, f64)> = doc["interests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["topic_id"].as_str().unwrap(),
                i["weight"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        exported,
        [
            ("551", 8.0),
            ("483", 5.0),
            ("539", 2.0),
            ("324", 1.0),
            ("JLBCU7", 0.5)
        ]
    );
    assert_eq!(
        doc["interests"][2]["reason"],
        "Based on 1 search; most recently today."
    );
    assert_eq!(doc["interests"][2]["path"], "Sports/Tennis");
    let mut suppressed: Vec<&str> = doc["stored"]["suppressed_topics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    suppressed.sort_unstable();
    assert_eq!(suppressed, ["210", "680"]);
    // Traits: purchases 200 and 300 → median 250.00 → premium.
    let traits = doc["traits"].as_array().unwrap();
    assert_eq!(traits.len(), 1);
    assert_eq!(traits[0]["id"], "spending_tier");
    assert_eq!(traits[0]["value"], "premium");
    assert_eq!(
        traits[0]["reason"],
        "The median of your 2 purchases in the last 90 days is 250.00."
    );
    assert_eq!(doc["stored"]["purchases"].as_array().unwrap().len(), 2);
    assert_eq!(doc["stored"]["topics"].as_array().unwrap().len(), 5);

    // The search text and the custom event name are nowhere: not in the export,
    // not in the decrypted state, not in any file of the directory.
    for needle in [SECRET_WORD, EVENT_NAME, "lessons", "cheap"] {
        assert!(!export.contains(needle), "export contains {needle:?}");
    }
    let store = Store::open(dir.path(), &key()).unwrap();
    let payload = store.load(STATE_RECORD).unwrap().unwrap().payload;
    for needle in [SECRET_WORD, EVENT_NAME, "lessons", "cheap"] {
        assert!(
            !contains_bytes(&payload, needle.as_bytes()),
            "state holds {needle:?}"
        );
    }
    // (Sanity: the plaintext check can fail: the topic ids are there.)
    assert!(contains_bytes(&payload, b"JLBCU7"));
    e.close().unwrap();
    let raw = all_file_bytes(dir.path());
    assert!(!raw.is_empty());
    for needle in [SECRET_WORD, EVENT_NAME, "JLBCU7"] {
        assert!(
            !contains_bytes(&raw, needle.as_bytes()),
            "disk holds {needle:?}"
        );
    }
}

// ---------------------------------------------------------------------------
// 10. Traits
// ---------------------------------------------------------------------------

#[test]
fn spending_tier_follows_the_median_and_its_window() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock_at(T0);
    let e = open_personalised(dir.path(), &clock);
    let tier = |e: &Engine| {
        e.traits()
            .unwrap()
            .into_iter()
            .find(|t| t.id == "spending_tier")
    };
    e.record(&Event::purchase(&["473"], Some(10_000_000)))
        .unwrap();
    assert!(tier(&e).is_none(), "one purchase is not enough");
    e.record(&Event::purchase(&["473"], None)).unwrap(); // no value: not counted
    assert!(tier(&e).is_none());
    clock.set(at(1, 0, 0));
    e.record(&Event::purchase(&["473"], Some(20_000_000)))
        .unwrap();
    // Median of 10.00, 20.00 = 15.00 → budget.
    let t = tier(&e).unwrap();
    assert_eq!(t.key(), "spending_tier=budget");
    assert_eq!(t.label, "Budget-conscious spender");
    assert_eq!(
        t.reason,
        "The median of your 2 purchases in the last 90 days is 15.00."
    );
    assert_eq!(t.since, at(1, 0, 0));
    clock.set(at(2, 0, 0));
    e.record(&Event::purchase(&["473"], Some(400_000_000)))
        .unwrap();
    assert_eq!(tier(&e).unwrap().value, "budget"); // median 20.00
    clock.set(at(3, 0, 0));
    e.record(&Event::purchase(&["473"], Some(500_000_000)))
        .unwrap();
    // Median of 10, 20, 400, 500 = (20 + 400) / 2 = 210.00 → premium.
    let t = tier(&e).unwrap();
    assert_eq!(t.key(), "spending_tier=premium");
    assert_eq!(
        t.reason,
        "The median of your 4 purchases in the last 90 days is 210.00."
    );
    // Day 91 12:00: the window starts at day 1 12:00 → 400, 500 → 450.00.
    clock.set(at(91, 12, 0));
    assert_eq!(
        tier(&e).unwrap().reason,
        "The median of your 2 purchases in the last 90 days is 450.00."
    );
    // Day 92 12:00: only 500 is left → no tier.
    clock.set(at(92, 12, 0));
    assert!(tier(&e).is_none());
}

#[test]
fn life_events_are_inferred_from_bursts_and_removal_persists() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock_at(T0);
    let e = open_personalised(dir.path(), &clock);
    let wedding = |e: &Engine| {
        e.traits()
            .unwrap()
            .into_iter()
            .find(|t| t.id == "life_event:wedding")
    };
    // Baby Shower (166) on days 0, 20, 40: never 3 within 14 days → no trait.
    for d in [0, 20, 40] {
        clock.set(at(d, 10, 0));
        e.record(&Event::view(&["166"])).unwrap();
    }
    // Wedding (165) views on days 41 and 44, a search naming Marriage (191) on day 46.
    clock.set(at(41, 10, 0));
    e.record(&Event::view(&["165"])).unwrap();
    assert!(wedding(&e).is_none());
    clock.set(at(44, 10, 0));
    e.record(&Event::view(&["165"])).unwrap();
    assert!(wedding(&e).is_none(), "two events are not a burst");
    clock.set(at(46, 10, 0));
    e.record(&Event::search("where to register", &["191"]))
        .unwrap();
    let t = wedding(&e).unwrap();
    assert_eq!(t.key(), "life_event:wedding=active");
    assert_eq!(t.label, "Getting married");
    assert_eq!(
        t.reason,
        "3 of your recent activities within 14 days were about Wedding, Marriage and \
         Civil Unions, Bachelor Party, Bachelorette Party, most recently today."
    );
    assert_eq!(t.since, at(46, 10, 0));
    assert!(
        e.traits()
            .unwrap()
            .iter()
            .all(|t| t.id != "life_event:new_baby")
    );
    clock.set(at(48, 11, 0));
    assert!(
        wedding(&e)
            .unwrap()
            .reason
            .ends_with("most recently 2 days ago.")
    );
    // Active for 60 days after the last event of the burst.
    clock.set(at(46 + 60, 10, 0));
    assert!(wedding(&e).is_some());
    clock.set(at(46 + 60, 10, 0) + 1);
    assert!(wedding(&e).is_none());

    // A new burst, then the user removes the trait.
    for d in [110, 111, 112] {
        clock.set(at(d, 9, 0));
        e.record(&Event::view(&["168"])).unwrap(); // Bachelorette Party
    }
    assert!(wedding(&e).is_some());
    e.remove_trait("life_event:wedding").unwrap();
    assert!(wedding(&e).is_none());
    assert!(
        !e.status().unwrap().unsaved_changes,
        "remove_trait is durable"
    );
    e.close().unwrap();

    let e = reopen(dir.path(), &clock);
    assert!(wedding(&e).is_none());
    let doc: serde_json::Value = serde_json::from_str(&e.export().unwrap()).unwrap();
    assert_eq!(
        doc["stored"]["removed_traits"],
        serde_json::json!(["life_event:wedding"])
    );
    // More wedding activity does not bring it back.
    for d in [113, 114, 115] {
        clock.set(at(d, 9, 0));
        e.record(&Event::view(&["165"])).unwrap();
    }
    assert!(wedding(&e).is_none());
    // Allowing it again lets it be inferred again.
    assert!(e.allow_trait("life_event:wedding").unwrap());
    assert!(!e.allow_trait("life_event:wedding").unwrap());
    for d in [116, 117, 118] {
        clock.set(at(d, 9, 0));
        e.record(&Event::view(&["165"])).unwrap();
    }
    assert!(wedding(&e).is_some());

    // Removing the spending tier drops the purchases, persistently.
    e.record(&Event::purchase(&["165"], Some(1_000_000_000)))
        .unwrap();
    e.record(&Event::purchase(&["165"], Some(2_000_000_000)))
        .unwrap();
    assert!(
        e.traits()
            .unwrap()
            .iter()
            .any(|t| t.key() == "spending_tier=premium")
    );
    e.remove_trait("spending_tier").unwrap();
    assert!(e.traits().unwrap().iter().all(|t| t.id != "spending_tier"));
    e.close().unwrap();
    let e = reopen(dir.path(), &clock);
    assert!(e.traits().unwrap().iter().all(|t| t.id != "spending_tier"));
    let doc: serde_json::Value = serde_json::from_str(&e.export().unwrap()).unwrap();
    assert!(doc["stored"]["purchases"].as_array().unwrap().is_empty());
    assert!(matches!(
        e.remove_trait("life_event:lottery_win"),
        Err(Error::InvalidArgument {
            name: "trait_id",
            ..
        })
    ));
}

/// Core issue (reported, not fixed here): after `remove_trait`, the profile
/// keeps collecting evidence for the removed trait (life-event timestamps,
/// purchase values), stores it and exports it; `allow_trait` then revives the
/// trait at once from data gathered while the user had it removed.
#[test]
fn removed_traits_collect_no_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock_at(T0);
    let e = open_personalised(dir.path(), &clock);
    e.remove_trait("life_event:wedding").unwrap();
    e.remove_trait("spending_tier").unwrap();
    for d in [1, 2, 3] {
        clock.set(at(d, 9, 0));
        e.record(&Event::view(&["165"])).unwrap();
        e.record(&Event::purchase(&["165"], Some(500_000_000)))
            .unwrap();
    }
    let doc: serde_json::Value = serde_json::from_str(&e.export().unwrap()).unwrap();
    assert!(
        doc["stored"]["trait_evidence"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(doc["stored"]["purchases"].as_array().unwrap().is_empty());
    e.allow_trait("life_event:wedding").unwrap();
    e.allow_trait("spending_tier").unwrap();
    assert!(e.traits().unwrap().is_empty());
}

// ---------------------------------------------------------------------------
// 11. Schema migration
// ---------------------------------------------------------------------------

#[test]
fn schema_1_state_is_migrated_on_open_and_rewritten_in_the_current_schema() {
    use hearth_core::state::v1::StateV1;
    let dir = tempfile::tempdir().unwrap();
    let old = StateV1 {
        consent: 0,
        topics: vec![
            ("483".into(), 2.5, T0),      // Sports, 2.5 as of T0
            ("533".into(), 1.0, T0 - H),  // Soccer, 1.0 as of T0 - H
            ("286".into(), 3.0, T0),      // Medical Health: sensitive → dropped
            ("gone".into(), 1.0, T0),     // unknown id → dropped
            ("539".into(), f32::NAN, T0), // invalid weight → dropped
            ("512".into(), -1.0, T0),     // invalid weight → dropped
        ],
        hidden: vec!["680".into()],
    };
    Store::open(dir.path(), &key())
        .unwrap()
        .save(STATE_RECORD, 1, &postcard::to_stdvec(&old).unwrap())
        .unwrap();
    assert_eq!(load_state(dir.path()).unwrap().0, 1);

    let clock = clock_at(T0 + H);
    let e = reopen(dir.path(), &clock); // default consent would be ContextualOnly
    assert_eq!(e.consent().unwrap(), Consent::Personalised);
    // At T0+H: Sports 2.5·2^-1 = 1.25; Soccer 1.0·2^-2 = 0.25.
    let i = e.interests().unwrap();
    assert_eq!(ids(&i).collect::<Vec<_>>(), ["483", "533"]);
    assert_rel_tol(weight(&i, "483"), 1.25, 1e-12, "migrated sports");
    assert_rel_tol(weight(&i, "533"), 0.25, 1e-12, "migrated soccer");
    assert_eq!(i[0].why, Evidence::default());
    assert_eq!(
        i[0].reason,
        "Carried over from an earlier version; last activity 14 days ago."
    );
    assert_eq!(
        i[1].reason,
        "Carried over from an earlier version; last activity 28 days ago."
    );
    assert_eq!(e.suppressed_topics().unwrap(), ["680"]);
    assert_eq!(e.status().unwrap().events_recorded, 0);

    // Already rewritten on disk as the current schema, before any close.
    let (schema, s) = load_state(dir.path()).unwrap();
    assert_eq!(schema, 3);
    assert_eq!(schema, SCHEMA_VERSION);
    assert_eq!(s.taxonomy_version, e.taxonomy().version());
    assert_eq!(stored_ids(&s), set(["483", "533"]));
    assert_eq!(s.profile.suppressed, ["680"]);
    assert_eq!(s.consent, Consent::Personalised);

    // The migrated profile keeps learning: Sports 1.25 + 1.
    e.record(&Event::view(&["483"])).unwrap();
    assert_rel_tol(
        weight(&e.interests().unwrap(), "483"),
        2.25,
        1e-12,
        "after view",
    );
    e.close().unwrap();
    let e = reopen(dir.path(), &clock);
    assert_rel_tol(
        weight(&e.interests().unwrap(), "483"),
        2.25,
        1e-12,
        "reopened",
    );
    drop(e);

    // Consent numbers: 1 → contextual, 2 and unknown → off (profile dropped).
    for (n, want, topics) in [
        (1u8, Consent::ContextualOnly, 1u32),
        (2, Consent::Off, 0),
        (9, Consent::Off, 0),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let old = StateV1 {
            consent: n,
            topics: vec![("552".into(), 1.0, T0)],
            hidden: vec![],
        };
        Store::open(dir.path(), &key())
            .unwrap()
            .save(STATE_RECORD, 1, &postcard::to_stdvec(&old).unwrap())
            .unwrap();
        let e = reopen(dir.path(), &clock);
        assert_eq!(e.consent().unwrap(), want, "v1 consent {n}");
        assert_eq!(e.status().unwrap().topics, topics, "v1 consent {n}");
        assert_eq!(load_state(dir.path()).unwrap().0, SCHEMA_VERSION);
    }
}

// ---------------------------------------------------------------------------
// 12. Durability
// ---------------------------------------------------------------------------

#[test]
fn durability_close_flush_drop_and_background_writer() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock_at(T0);
    // Default flush interval (1 s): close writes everything.
    let e = open_personalised(dir.path(), &clock);
    for t in ["533", "539", "620"] {
        e.record(&Event::view(&[t])).unwrap();
    }
    e.close().unwrap();
    assert!(matches!(e.interests(), Err(Error::Closed)));
    assert!(e.close().is_ok(), "closing twice is harmless");
    let e = reopen(dir.path(), &clock);
    assert_eq!(e.status().unwrap().events_recorded, 3);
    assert_eq!(weight(&e.interests().unwrap(), "483"), 1.0);

    // record then flush: a second Store handle sees it while the engine is open.
    e.record(&Event::purchase(&["551"], Some(5_000_000)))
        .unwrap();
    e.flush().unwrap();
    assert!(!e.status().unwrap().unsaved_changes);
    let (_, s) = load_state(dir.path()).unwrap();
    assert_eq!(s.events_recorded, 4);
    assert!(stored_ids(&s).contains("551"));
    assert_eq!(s.profile.purchases.len(), 1);

    // Dropping without close also persists.
    e.record(&Event::view(&["512"])).unwrap();
    drop(e);
    let e = reopen(dir.path(), &clock);
    assert_eq!(weight(&e.interests().unwrap(), "512"), 1.0);
    e.close().unwrap();

    // With a long interval, a record stays in memory until flush…
    let mut cfg = config(dir.path(), &clock);
    cfg.flush_interval_ms = MAX_FLUSH_INTERVAL_MS;
    let e = Engine::open(cfg).unwrap();
    e.record(&Event::view(&["541"])).unwrap();
    assert!(e.status().unwrap().unsaved_changes);
    assert!(!stored_ids(&load_state(dir.path()).unwrap().1).contains("541"));
    // …but a control action is durable at once, taking pending events with it.
    e.remove_interest("680").unwrap();
    let (_, s) = load_state(dir.path()).unwrap();
    assert!(stored_ids(&s).contains("541"));
    assert_eq!(s.profile.suppressed, ["680"]);
    e.close().unwrap();

    // A short interval: the background writer persists without flush.
    let mut cfg = config(dir.path(), &clock);
    cfg.flush_interval_ms = 20;
    let e = Engine::open(cfg).unwrap();
    e.record(&Event::view(&["547"])).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !stored_ids(&load_state(dir.path()).unwrap().1).contains("547") {
        assert!(Instant::now() < deadline, "background writer never wrote");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Core issue (reported, not fixed here): the durability contract says a crash
/// never loses "a user's control action", but a hide sent as
/// `Feedback::Hide` through `record` is only as durable as any event.
#[test]
fn hide_feedback_is_durable_like_remove_interest() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock_at(T0);
    let mut cfg = config(dir.path(), &clock);
    cfg.flush_interval_ms = MAX_FLUSH_INTERVAL_MS;
    let e = open_personalised_with(cfg);
    e.record(&Event::feedback("680", Feedback::Hide)).unwrap();
    let (_, s) = load_state(dir.path()).unwrap();
    assert_eq!(s.profile.suppressed, ["680"]);
}

// ---------------------------------------------------------------------------
// 13. Concurrency smoke
// ---------------------------------------------------------------------------

#[test]
fn concurrent_records_and_reads_on_one_engine() {
    const THREADS: usize = 8;
    const OPS: usize = 500;
    let dir = tempfile::tempdir().unwrap();
    let clock = clock_at(T0); // fixed: weights add exactly
    let e = Arc::new(open_personalised(dir.path(), &clock));
    // One Sports child per thread.
    let topics = ["484", "485", "486", "487", "491", "492", "493", "494"];
    let handles: Vec<_> = (0..THREADS)
        .map(|n| {
            let e = Arc::clone(&e);
            let topic = topics[n];
            std::thread::spawn(move || {
                let (mut recorded, mut views) = (0u64, 0u64);
                for j in 0..OPS {
                    match j % 6 {
                        0 => {
                            let i = e.interests().unwrap();
                            assert!(i.windows(2).all(|w| w[0].weight >= w[1].weight));
                        }
                        1 => {
                            let o = e
                                .record(&Event::view(&[topic]).at(T0 - 100 * DAY_MS))
                                .unwrap();
                            assert_eq!(o.status, RecordStatus::TooOld);
                        }
                        2 => {
                            let o = e.record(&Event::view(&["286"])).unwrap();
                            assert_eq!(o.sensitive_dropped, 1);
                            recorded += 1;
                        }
                        3 if n == 0 => e.flush().unwrap(),
                        3 => {
                            let _ = e.topic_weights().unwrap();
                            let _ = e.status().unwrap();
                        }
                        _ => {
                            let o = e.record(&Event::view(&[topic])).unwrap();
                            assert_eq!(o.status, RecordStatus::Recorded);
                            recorded += 1;
                            views += 1;
                        }
                    }
                }
                (recorded, views)
            })
        })
        .collect();
    let results: Vec<(u64, u64)> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let total_recorded: u64 = results.iter().map(|r| r.0).sum();
    // Per thread: 500 = 6·83 + 2, so residues 2, 4 and 5 (the recording ones)
    // occur 83 times each → 249 recorded, 166 of them views.
    assert_eq!(total_recorded, (THREADS * 249) as u64);
    assert!(results.iter().all(|r| r.1 == 166));
    assert_eq!(e.status().unwrap().events_recorded, total_recorded);
    let i = e.interests().unwrap();
    let mut total_views = 0.0;
    for (n, (_, views)) in results.iter().enumerate() {
        assert_eq!(weight(&i, topics[n]), *views as f64);
        total_views += *views as f64;
    }
    assert_eq!(weight(&i, "483"), 0.5 * total_views);
    e.close().unwrap();
    let e = reopen(dir.path(), &clock);
    assert_eq!(e.status().unwrap().events_recorded, total_recorded);
    assert_eq!(e.interests().unwrap(), i);
}

// ---------------------------------------------------------------------------
// 14. Typed errors
// ---------------------------------------------------------------------------

fn write_some_state(dir: &Path, clock: &Arc<ManualClock>) -> Vec<u8> {
    let e = open_personalised(dir, clock);
    e.record(&Event::view(&["533"])).unwrap();
    e.close().unwrap();
    std::fs::read(dir.join("state.hearth")).unwrap()
}

fn assert_recovers(dir: &Path, clock: &Arc<ManualClock>) {
    Engine::erase_storage(dir).unwrap();
    assert!(hearth_files(dir).is_empty());
    let e = reopen(dir, clock);
    assert!(e.interests().unwrap().is_empty());
    assert_eq!(e.consent().unwrap(), Consent::ContextualOnly);
    e.set_consent(Consent::Personalised).unwrap();
    recorded(&e.record(&Event::view(&["539"])).unwrap(), 1, 0, 0);
    e.close().unwrap();
}

#[test]
fn typed_errors_for_arguments() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock_at(T0);
    let e = open_personalised(dir.path(), &clock);
    e.record(&Event::view(&["539"])).unwrap();
    let before: Vec<Interest> = e.interests().unwrap();
    assert!(matches!(
        e.record(&Event::view(&["nope"])),
        Err(Error::UnknownTopic(id)) if id == "nope"
    ));
    // All or nothing: the valid topic in the same event is not applied.
    assert!(matches!(
        e.record(&Event::view(&["533", "nope"])),
        Err(Error::UnknownTopic(_))
    ));
    assert!(matches!(
        e.record(&Event::purchase(&["533"], Some(-1))),
        Err(Error::InvalidArgument {
            name: "value_micros",
            ..
        })
    ));
    assert!(matches!(
        e.record(&Event::custom("", &["533"])),
        Err(Error::InvalidArgument { name: "name", .. })
    ));
    let many: Vec<&str> = vec!["533"; 33];
    assert!(matches!(
        e.record(&Event::view(&many)),
        Err(Error::InvalidArgument { name: "topics", .. })
    ));
    assert!(matches!(
        e.record(&Event::feedback("nope", Feedback::Hide)),
        Err(Error::UnknownTopic(_))
    ));
    assert!(matches!(
        e.remove_interest("nope"),
        Err(Error::UnknownTopic(_))
    ));
    assert_eq!(e.interests().unwrap(), before);
    assert_eq!(e.status().unwrap().events_recorded, 1);
    assert!(matches!(
        Engine::open(config(dir.path(), &clock)),
        Err(Error::AlreadyOpen(_))
    ));
    assert!(matches!(
        Engine::erase_storage(dir.path()),
        Err(Error::AlreadyOpen(_))
    ));
    e.close().unwrap();
    assert!(matches!(
        e.record(&Event::view(&["533"])),
        Err(Error::Closed)
    ));

    let mut cfg = config(dir.path(), &clock);
    cfg.profile = ProfileConfig {
        top_k: 0,
        ..ProfileConfig::default()
    };
    assert!(matches!(
        Engine::open(cfg),
        Err(Error::InvalidConfig {
            field: "profile.top_k",
            ..
        })
    ));
    let mut cfg = config(dir.path(), &clock);
    cfg.flush_interval_ms = MAX_FLUSH_INTERVAL_MS + 1;
    assert!(matches!(
        Engine::open(cfg),
        Err(Error::InvalidConfig {
            field: "flush_interval_ms",
            ..
        })
    ));
    // Failed opens do not leave the directory registered.
    let e = reopen(dir.path(), &clock);
    assert_eq!(e.interests().unwrap(), before);
}

#[test]
fn typed_errors_for_damaged_state_and_erase_storage_recovers() {
    let clock = clock_at(T0);

    // Wrong key.
    let dir = tempfile::tempdir().unwrap();
    write_some_state(dir.path(), &clock);
    let wrong = EngineConfig::new(dir.path(), other_key()).with_clock(clock.clone());
    assert!(matches!(
        Engine::open(wrong),
        Err(Error::StoreWrongKey { path }) if path.ends_with("state.hearth")
    ));
    assert_recovers(dir.path(), &clock);

    // One flipped byte inside the ciphertext: the checksum catches it.
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = write_some_state(dir.path(), &clock);
    bytes[40] ^= 0x01;
    std::fs::write(dir.path().join("state.hearth"), &bytes).unwrap();
    assert!(matches!(
        Engine::open(config(dir.path(), &clock)),
        Err(Error::StoreCorrupted {
            reason: "checksum mismatch",
            ..
        })
    ));
    assert_recovers(dir.path(), &clock);

    // A flipped byte with the checksum recomputed: authentication catches it.
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = write_some_state(dir.path(), &clock);
    bytes[40] ^= 0x01;
    let body = bytes.len() - 32;
    let sum = ring::digest::digest(&ring::digest::SHA256, &bytes[..body]);
    bytes[body..].copy_from_slice(sum.as_ref());
    std::fs::write(dir.path().join("state.hearth"), &bytes).unwrap();
    assert!(matches!(
        Engine::open(config(dir.path(), &clock)),
        Err(Error::StoreTampered { .. })
    ));
    assert_recovers(dir.path(), &clock);

    // Truncated (e.g. a copy cut short).
    let dir = tempfile::tempdir().unwrap();
    let bytes = write_some_state(dir.path(), &clock);
    let full = bytes.len() as u64;
    std::fs::write(dir.path().join("state.hearth"), &bytes[..bytes.len() - 7]).unwrap();
    match Engine::open(config(dir.path(), &clock)) {
        Err(Error::StoreTruncated {
            expected, actual, ..
        }) => assert_eq!((expected, actual), (full, full - 7)),
        other => panic!("expected StoreTruncated, got {other:?}"),
    }
    assert_recovers(dir.path(), &clock);

    // A state written by a newer build (schema 3), and an undecodable schema-2 payload.
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), &key()).unwrap();
    store
        .save(STATE_RECORD, SCHEMA_VERSION + 1, b"future")
        .unwrap();
    assert!(matches!(
        Engine::open(config(dir.path(), &clock)),
        Err(Error::StoreUnsupportedVersion {
            what: "schema",
            found,
            supported: SCHEMA_VERSION,
            ..
        }) if found == SCHEMA_VERSION + 1
    ));
    store
        .save(STATE_RECORD, SCHEMA_VERSION, &[0xff; 5])
        .unwrap();
    assert!(matches!(
        Engine::open(config(dir.path(), &clock)),
        Err(Error::StoreDecode { .. })
    ));
    assert_recovers(dir.path(), &clock);
    // Erasing a missing directory is fine.
    assert!(Engine::erase_storage(dir.path().join("never-created")).is_ok());
}

/// `close` waits for calls in flight: every `record` that reported
/// `Recorded` is in the state close wrote, even when threads are still
/// recording while another thread closes (before the fix, a record that
/// passed the open check could finish after close's final write and be lost).
#[test]
fn close_waits_for_calls_in_flight_and_loses_no_reported_event() {
    use std::sync::atomic::{AtomicU64, Ordering};
    for round in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let clock = clock_at(T0);
        let engine = Arc::new(open_personalised(dir.path(), &clock));
        let recorded = Arc::new(AtomicU64::new(0));
        let closed_seen = Arc::new(AtomicU64::new(0));
        let workers: Vec<_> = (0..4)
            .map(|_| {
                let (engine, recorded, closed_seen) = (
                    Arc::clone(&engine),
                    Arc::clone(&recorded),
                    Arc::clone(&closed_seen),
                );
                std::thread::spawn(move || {
                    loop {
                        match engine.record(&Event::view(&["227", "225"])) {
                            Ok(o) => {
                                assert_eq!(o.status, RecordStatus::Recorded);
                                recorded.fetch_add(1, Ordering::SeqCst);
                            }
                            Err(Error::Closed) => {
                                closed_seen.fetch_add(1, Ordering::SeqCst);
                                return;
                            }
                            Err(e) => panic!("{e}"),
                        }
                    }
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(20 + 10 * round));
        engine.close().unwrap();
        for w in workers {
            w.join().unwrap();
        }
        assert_eq!(closed_seen.load(Ordering::SeqCst), 4);
        let reported = recorded.load(Ordering::SeqCst);
        assert!(reported > 0);
        let again = reopen(dir.path(), &clock);
        assert_eq!(
            again.status().unwrap().events_recorded,
            reported,
            "round {round}: every event reported as recorded is stored"
        );
    }
}
