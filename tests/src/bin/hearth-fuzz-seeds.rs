//! Writes the committed seed corpus of the fuzz targets (`fuzz/seeds/<target>/`)
//! from real fixtures: the sample catalog signed with the fuzz targets'
//! throwaway key, a real store written by a real engine, real report payloads.
//!
//! Usage: `cargo run -p hearth-tests --bin hearth-fuzz-seeds -- fuzz` (the
//! `fuzz/` directory: it reads `fixtures/fuzz-publisher.key` and rewrites
//! `seeds/`). The output is deterministic except where the engine draws from
//! the OS (nonces, privacy noise, token secrets), so regenerate only when a
//! format changes. The input formats (a mode byte first, …) are described in
//! each target's docs in `fuzz/fuzz_targets/`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::sync::Arc;

use hearth_cli::publish::{self, Overrides};
use hearth_cli::report_tools::simulate::{self, SimOptions};
use hearth_cli::{catalog_source, keys, sample, synth};
use hearth_core::ads::AdEventKind;
use hearth_core::catalog::bundle::{self, SigningKey};
use hearth_core::catalog::model::Catalog;
use hearth_core::clock::{DAY_MS, HOUR_MS};
use hearth_core::profile::{Event, ProfileSnapshot};
use hearth_core::report::REPORTS_RECORD;
use hearth_core::select::{AdContext, AdRequest, SelectConfig};
use hearth_core::state::{self, Consent, STATE_RECORD};
use hearth_core::store::{Store, StoreKey};
use hearth_core::taxonomy::Taxonomy;
use hearth_core::{Engine, EngineConfig, ManualClock};

/// As in `fuzz/src/lib.rs`.
const STORE_KEY: [u8; 32] = [0x5a; 32];
/// As in `fuzz/src/lib.rs`: Monday 2026-03-02, 08:00 UTC.
const START: i64 = 1_772_438_400_000;

fn write(dir: &Path, target: &str, name: &str, bytes: &[u8]) {
    let d = dir.join(target);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join(name), bytes).unwrap();
}

fn with_prefix(prefix: &[u8], bytes: &[u8]) -> Vec<u8> {
    let mut v = prefix.to_vec();
    v.extend_from_slice(bytes);
    v
}

fn body(bundle: &[u8]) -> &[u8] {
    let (_, range) = bundle::parse_header(bundle).unwrap();
    &bundle[range]
}

fn seal(cat: &Catalog, key: &SigningKey) -> Vec<u8> {
    bundle::seal(cat, 1, START - DAY_MS, START + 365 * DAY_MS, key).unwrap()
}

fn main() {
    let fuzz = std::path::PathBuf::from(std::env::args().nth(1).expect("the fuzz/ directory"));
    let key_hex = std::fs::read_to_string(fuzz.join("fixtures/fuzz-publisher.key")).unwrap();
    let signer = SigningKey::from_pkcs8(&keys::hex_decode(&key_hex).unwrap()).unwrap();
    let seeds = fuzz.join("seeds");
    let _ = std::fs::remove_dir_all(&seeds);
    let tax = Taxonomy::iab().unwrap();

    // --- catalog_bundle: mode byte, then a bundle (0) or a body (1, 2). ---
    let source = sample::sample_source().unwrap();
    let o = Overrides {
        version: Some(1),
        ..Overrides::default()
    };
    let sample_bundle = publish::build(&source, &o, &signer, &tax, "sample")
        .unwrap()
        .bundle;
    write(
        &seeds,
        "catalog_bundle",
        "sample-bundle",
        &with_prefix(&[0], &sample_bundle),
    );
    write(
        &seeds,
        "catalog_bundle",
        "sample-body",
        &with_prefix(&[2], body(&sample_bundle)),
    );
    let (small, _) = synth::generate_model(
        &synth::GenOptions {
            creatives: 12,
            seed: 1,
            version: 1,
        },
        &tax,
    )
    .unwrap();
    let small_bundle = seal(&small, &signer);
    write(
        &seeds,
        "catalog_bundle",
        "synth-12-body",
        &with_prefix(&[2], body(&small_bundle)),
    );
    let mut tiny = small.clone();
    tiny.campaigns.truncate(1);
    let used = tiny.campaigns[0].advertiser_id.clone();
    tiny.advertisers.retain(|a| a.id == used);
    write(
        &seeds,
        "catalog_bundle",
        "tiny-body",
        &with_prefix(&[1], body(&seal(&tiny, &signer))),
    );

    // --- catalog_source: source JSON. ---
    write(
        &seeds,
        "catalog_source",
        "sample.json",
        sample::SAMPLE_JSON.as_bytes(),
    );
    let generated = synth::generate(
        &synth::GenOptions {
            creatives: 8,
            seed: 2,
            version: 3,
        },
        &tax,
    )
    .unwrap();
    write(
        &seeds,
        "catalog_source",
        "synth-8.json",
        catalog_source::to_json(&generated, false)
            .unwrap()
            .as_bytes(),
    );
    write(&seeds, "catalog_source", "empty-object.json", b"{}");

    // --- A real store and real payloads, from a real engine. ---
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let clock = Arc::new(ManualClock::new(START));
    let mut cfg = EngineConfig::new(dir, StoreKey::from_bytes(STORE_KEY)).with_clock(clock.clone());
    cfg.default_consent = Consent::Personalised;
    cfg.trusted_keys = vec![signer.public_key()];
    cfg.selection_seed = Some(1);
    cfg.ads = SelectConfig {
        min_gap_ms: 0,
        ..SelectConfig::default()
    };
    let e = Engine::open(cfg).unwrap();
    e.install_catalog(sample_bundle.clone()).unwrap();
    let mut payloads = Vec::new();
    for day in 0..3 {
        for topics in [["227", "225"], ["533", "635"], ["668", "442"]] {
            e.record(&Event::view(&topics)).unwrap();
        }
        e.record(&Event::search("running shoes", &[])).unwrap();
        e.record(&Event::purchase(&["635"], Some(89_000_000)))
            .unwrap();
        for topic in ["227", "533", "635"] {
            let r = e
                .select_ads(&AdRequest {
                    placement_id: "feed".into(),
                    slots: 2,
                    context: AdContext {
                        topics: vec![topic.into()],
                        country: Some("DE".into()),
                        locale: Some("de-DE".into()),
                        ..AdContext::default()
                    },
                    ..AdRequest::default()
                })
                .unwrap();
            for c in r.choices {
                e.record_ad_event(&c.token, AdEventKind::Impression)
                    .unwrap();
                if day == 1 {
                    e.record_ad_event(&c.token, AdEventKind::Click).unwrap();
                }
            }
            clock.advance(HOUR_MS);
        }
        clock.set(START + (day + 1) * DAY_MS);
        for p in e.pending_reports().unwrap() {
            payloads.push(p.payload);
            if day < 2 {
                e.acknowledge(p.handle).unwrap();
            }
        }
    }
    e.close().unwrap();
    let state_file = std::fs::read(dir.join(format!("{STATE_RECORD}.hearth"))).unwrap();
    let store = Store::open(dir, &StoreKey::from_bytes(STORE_KEY)).unwrap();
    let state_rec = store.load(STATE_RECORD).unwrap().unwrap();
    let ledger_rec = store.load(REPORTS_RECORD).unwrap().unwrap();

    // --- store_decoder: mode byte, schema byte, bytes. ---
    write(
        &seeds,
        "store_decoder",
        "state-file",
        &with_prefix(&[0, 2], &state_file),
    );
    write(
        &seeds,
        "store_decoder",
        "state-file-rechecksummed",
        &with_prefix(&[1, 2], &state_file),
    );
    write(
        &seeds,
        "store_decoder",
        "state-v3-payload",
        &with_prefix(&[2, 2], &state_rec.payload),
    );
    write(
        &seeds,
        "store_decoder",
        "state-v3-engine",
        &with_prefix(&[3, 2], &state_rec.payload),
    );
    write(
        &seeds,
        "store_decoder",
        "ledger-engine",
        &with_prefix(&[3, 0x82], &ledger_rec.payload),
    );
    let (s, _) = state::decode(state_rec.schema_version, &state_rec.payload, dir).unwrap();
    // The same state with every time at an i64 extreme (what a build that let
    // a broken clock through could have written).
    let mut extreme = s.clone();
    for (i, (_, t)) in extreme.profile.topics.iter_mut().enumerate() {
        t.at = if i % 2 == 0 { i64::MIN } else { i64::MAX };
        t.last_activity = i64::MAX;
    }
    for h in &mut extreme.ads.history {
        h.at = i64::MIN;
        h.last_event_at = i64::MAX;
    }
    extreme.high_water_ms = i64::MAX;
    extreme.created_at = i64::MIN;
    let extreme = state::encode(&extreme).unwrap();
    write(
        &seeds,
        "store_decoder",
        "state-extreme-times-payload",
        &with_prefix(&[2, 2], &extreme),
    );
    write(
        &seeds,
        "store_decoder",
        "state-extreme-times-engine",
        &with_prefix(&[3, 2], &extreme),
    );
    let v2 = state::v2::StateV2 {
        consent: s.consent,
        taxonomy_version: s.taxonomy_version.clone(),
        high_water_ms: s.high_water_ms,
        created_at: s.created_at,
        events_recorded: s.events_recorded,
        profile: ProfileSnapshot {
            topics: s.profile.topics.iter().take(4).cloned().collect(),
            ..s.profile.clone()
        },
    };
    write(
        &seeds,
        "store_decoder",
        "state-v2-payload",
        &with_prefix(&[2, 1], &postcard::to_stdvec(&v2).unwrap()),
    );
    let v1 = state::v1::StateV1 {
        consent: 0,
        topics: vec![
            ("227".into(), 2.5, START),
            ("533".into(), 1.0, START - DAY_MS),
        ],
        hidden: vec!["286".into()],
    };
    write(
        &seeds,
        "store_decoder",
        "state-v1-engine",
        &with_prefix(&[3, 0], &postcard::to_stdvec(&v1).unwrap()),
    );

    // --- report_audit: JSON lines. ---
    let mut lines = payloads.join("\n");
    lines.push('\n');
    write(
        &seeds,
        "report_audit",
        "device-payloads.jsonl",
        lines.as_bytes(),
    );
    let (_, sim) = simulate::payload_lines(&SimOptions {
        devices: 4,
        campaigns: 40,
        epsilon: 1.0,
        seed: 1,
        zipf_s: 1.1,
        capped: 0.5,
        buckets: 0,
        threads: 1,
        top: 3,
        out: None,
    })
    .unwrap();
    write(&seeds, "report_audit", "simulated-oue.jsonl", &sim);
    let mut mixed = payloads.first().cloned().unwrap_or_default();
    mixed.push_str("\n\n{\"schema\":\"hearth-report/1\"}\nnot json\n");
    write(&seeds, "report_audit", "mixed.jsonl", mixed.as_bytes());

    // --- engine_events: arbitrary bytes decode to operation sequences. ---
    let mut x: u64 = 0x5eed;
    for (i, len) in [64usize, 256, 1024, 2048].into_iter().enumerate() {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect();
        write(&seeds, "engine_events", &format!("random-{i}"), &bytes);
    }
    let mut total = 0u64;
    let mut files = 0;
    for t in std::fs::read_dir(&seeds).unwrap() {
        for f in std::fs::read_dir(t.unwrap().path()).unwrap() {
            total += f.unwrap().metadata().unwrap().len();
            files += 1;
        }
    }
    println!(
        "wrote {files} seed files, {total} bytes, to {}",
        seeds.display()
    );
}
