//! The store decoder and what it feeds: store files (`open_sealed`), the
//! decrypted state of every schema version with its migrations, the report
//! ledger, and an engine opening such a store.
//!
//! Input: a mode byte, a schema byte, then the bytes. Mode 0: a whole store
//! file. Mode 1: the same with its trailing checksum made right, so that
//! mutations reach the version, key and authentication checks. Mode 2: a
//! decrypted payload, sealed here with the store key, then decoded as state
//! (schema 1, 2, 3 or any) and as ledger, sanitised as the engine does at load
//! and restored in memory. Mode 3: that
//! payload stored as the state or the ledger of an engine that is then
//! opened and used.
#![no_main]

use std::path::Path;
use std::sync::Arc;

use hearth_core::ads::AdBook;
use hearth_core::clock::{DAY_MS, HOUR_MS, clamp};
use hearth_core::profile::{Profile, ProfileConfig};
use hearth_core::report::{Ledger, REPORTS_RECORD, ReportConfig, day_of};
use hearth_core::select::{AdContext, AdRequest};
use hearth_core::state::{self, STATE_RECORD};
use hearth_core::store::{self, StoreKey};
use hearth_core::{Engine, ManualClock};
use hearth_fuzz::{Bytes, START, STORE_KEY, config, fresh_store, taxonomy};
use libfuzzer_sys::fuzz_target;

fn in_memory(schema: u16, payload: &[u8]) {
    let tax = taxonomy();
    let cfg = ProfileConfig::default();
    if let Ok((mut s, _)) = state::decode(schema, payload, Path::new("state.hearth")) {
        // As the engine does with every state it loads.
        s.sanitize();
        let high = s.high_water_ms;
        let p = Profile::restore(s.profile.clone(), &tax, &cfg);
        assert!(p.len() <= cfg.top_k);
        for now in [high, START, clamp(i64::MIN), clamp(i64::MAX)] {
            for (_, w) in p.weights(&cfg, now) {
                assert!(w.is_finite() && w >= 0.0, "weight {w}");
            }
            let _ = p.interests(&tax, &cfg, now);
            let _ = p.suppressed_ids(&tax);
            let mut book = AdBook::restore(s.ads.clone(), [1; 32]);
            let _ = book.impressions_since(now.saturating_sub(HOUR_MS));
            let _ = book.last_impression();
            book.prune(now);
            let _ = book.history().count();
            let _ = book.counters().len();
        }
    }
    if let Ok(mut l) = postcard::from_bytes::<Ledger>(payload) {
        l.sanitize();
        let cfg = ReportConfig::default();
        for now in [START, clamp(i64::MAX), clamp(i64::MIN)] {
            let mut l = l.clone();
            for day in l.due(now) {
                let eps = l.spend(day, &cfg);
                assert!(eps.iter().all(|e| *e >= 0.0));
            }
            for m in 0..3 {
                let _ = l.spent_in_window(m, day_of(now));
            }
            l.prune(now);
        }
    }
}

fn through_engine(schema: u16, payload: &[u8], as_ledger: bool) {
    let dir = fresh_store();
    let key = StoreKey::from_bytes(STORE_KEY);
    let (name, schema) = if as_ledger {
        (REPORTS_RECORD, hearth_core::report::REPORTS_SCHEMA)
    } else {
        (STATE_RECORD, schema)
    };
    let sealed = store::seal(&key, name, schema, payload).unwrap();
    std::fs::write(dir.join(format!("{name}.hearth")), sealed).unwrap();
    let clock = Arc::new(ManualClock::new(START));
    let Ok(e) = Engine::open(config(&dir, clock.clone())) else {
        return; // a typed error: the app may erase and start over
    };
    let _ = e.status().unwrap();
    let _ = e.interests().unwrap();
    let _ = e.traits().unwrap();
    let _ = e.suppressed_topics().unwrap();
    let _ = e.hidden_advertisers().unwrap();
    for h in e.ad_history().unwrap().into_iter().take(3) {
        let _ = e.record_ad_event(&h.token, hearth_core::ads::AdEventKind::Click);
    }
    let _ = e
        .record(&hearth_core::profile::Event::view(&["227"]))
        .unwrap();
    let r = e
        .select_ads(&AdRequest {
            placement_id: "p".into(),
            slots: 2,
            context: AdContext {
                topics: vec!["227".into()],
                country: Some("DE".into()),
                locale: Some("de-DE".into()),
                ..AdContext::default()
            },
            ..AdRequest::default()
        })
        .unwrap();
    for c in r.choices {
        let _ = e.record_ad_event(&c.token, hearth_core::ads::AdEventKind::Impression);
    }
    let _ = e.record_conversion_url("https://stride-running.example/checkout/done");
    clock.advance(DAY_MS);
    // (A stored payload is handed out verbatim: one from an arbitrary ledger
    // need not parse. The engine's own payloads are checked in engine_events.)
    for p in e.pending_reports().unwrap() {
        let _ = e.acknowledge(p.handle).unwrap();
    }
    let _ = e.sent_reports().unwrap();
    let b = e.privacy_budget().unwrap();
    assert!(b.metrics.iter().all(|m| m.remaining >= 0.0));
    let _ = e.export().unwrap();
    e.close().unwrap();
}

fuzz_target!(|data: &[u8]| {
    let mut input = Bytes(data);
    let mode = input.byte() % 4;
    let schema_byte = input.byte();
    let bytes = input.rest();
    // Mostly the schemas this build reads; now and then any.
    let schema = match schema_byte % 5 {
        0 => 1,
        1 => 2,
        2 | 3 => state::SCHEMA_VERSION,
        _ => u16::from(schema_byte),
    };
    let key = StoreKey::from_bytes(STORE_KEY);
    let path = Path::new("state.hearth");
    match mode {
        0 => {
            let _ = store::open_sealed(&key, STATE_RECORD, path, bytes);
        }
        1 => {
            let mut b = bytes.to_vec();
            if b.len() >= 32 {
                let n = b.len() - 32;
                let sum = ring::digest::digest(&ring::digest::SHA256, &b[..n]);
                b[n..].copy_from_slice(sum.as_ref());
            }
            let _ = store::open_sealed(&key, STATE_RECORD, path, &b);
        }
        2 => {
            let sealed = store::seal(&key, STATE_RECORD, schema, bytes).unwrap();
            let rec = store::open_sealed(&key, STATE_RECORD, path, &sealed).unwrap();
            assert_eq!(rec.payload, bytes);
            assert_eq!(rec.schema_version, schema);
            in_memory(schema, bytes);
        }
        _ => through_engine(schema, bytes, schema_byte & 0x80 != 0),
    }
});
