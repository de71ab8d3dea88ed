//! End-to-end tests of the collector commands (`hearth audit`, `hearth report
//! aggregate`, `hearth simulate`), running the real `hearth` binary on payloads
//! produced by a real Engine.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use hearth_cli::report_tools::SeededNoise;
use hearth_core::ads::AdEventKind;
use hearth_core::catalog::SigningKey;
use hearth_core::catalog::model::Os;
use hearth_core::clock::{DAY_MS, MINUTE_MS};
use hearth_core::report::{Mechanism, MechanismKind, MetricReport, Payload};
use hearth_core::select::{AdContext, AdRequest};
use hearth_core::state::Consent;
use hearth_core::store::StoreKey;
use hearth_core::{Engine, EngineConfig, ManualClock, Timestamp};

/// Monday 2026-11-23 08:00 UTC (within the sample catalog's flights).
const START: Timestamp = 1_795_420_800_000;

fn hearth(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hearth"))
        .args(args)
        .output()
        .expect("run hearth")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A publisher key, the signed sample catalog, and where they are.
struct Fixture {
    dir: tempfile::TempDir,
    key: SigningKey,
    bundle: PathBuf,
    public: PathBuf,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let files = hearth_cli::keys::keygen(dir.path(), "publisher", false).unwrap();
    let key = hearth_cli::keys::load_signing_key(&files.key_path).unwrap();
    let built = hearth_cli::sample::build_sample(&key).unwrap();
    let bundle = dir.path().join("sample.bundle");
    std::fs::write(&bundle, &built.bundle).unwrap();
    Fixture {
        key,
        bundle,
        public: files.pub_path,
        dir,
    }
}

impl Fixture {
    fn write(&self, name: &str, lines: &[String]) -> PathBuf {
        let path = self.dir.path().join(name);
        let mut s = lines.join("\n");
        s.push('\n');
        std::fs::write(&path, s).unwrap();
        path
    }

    /// Payloads of a real engine: `days` days with `screens` ad screens a day
    /// (each impression recorded, every third ad clicked), then the clock
    /// moves on a day and the pending reports are read.
    fn engine_payloads(&self, days: i64, screens: usize) -> Vec<String> {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(START));
        let mut cfg =
            EngineConfig::new(dir.path(), StoreKey::from_bytes([9; 32])).with_clock(clock.clone());
        cfg.trusted_keys = vec![self.key.public_key()];
        cfg.selection_seed = Some(5);
        let engine = Engine::open(cfg).unwrap();
        engine.set_consent(Consent::Personalised).unwrap();
        let bundle = std::fs::read(&self.bundle).unwrap();
        engine.install_catalog(bundle).unwrap();
        // A fresh engine closes the 7 periods before today on its first call
        // (nothing happened in them); upload and forget those.
        for r in engine.pending_reports().unwrap() {
            assert!(engine.acknowledge(r.handle).unwrap());
        }
        let mut shown = 0;
        for day in 0..days {
            clock.set(START + day * DAY_MS);
            for s in 0..screens {
                clock.advance(5 * MINUTE_MS);
                let resp = engine.select_ads(&request(s)).unwrap();
                for (k, c) in resp.choices.iter().enumerate() {
                    engine
                        .record_ad_event(&c.token, AdEventKind::Impression)
                        .unwrap();
                    shown += 1;
                    if k % 3 == 0 {
                        engine
                            .record_ad_event(&c.token, AdEventKind::Click)
                            .unwrap();
                    }
                }
            }
        }
        assert!(screens == 0 || shown > 0, "no ad was shown");
        clock.set(START + days * DAY_MS + 60 * MINUTE_MS);
        let pending = engine.pending_reports().unwrap();
        assert_eq!(pending.len() as i64, days.max(1));
        pending.into_iter().map(|r| r.payload).collect()
    }
}

fn request(i: usize) -> AdRequest {
    let (section, topics) = [("tech", "635"), ("sports", "533"), ("home", "227")][i % 3];
    AdRequest {
        placement_id: format!("{section}-inline"),
        slots: 2,
        context: AdContext {
            topics: vec![topics.to_string()],
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

#[track_caller]
fn assert_exit(out: &Output, code: i32) -> String {
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{stdout}\nstderr:\n{}",
        text(&out.stderr)
    );
    stdout
}

fn audit(f: &Fixture, file: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "audit",
        p(file),
        "--catalog",
        p(&f.bundle),
        "--pub",
        p(&f.public),
    ];
    args.extend_from_slice(extra);
    hearth(&args)
}

/// Replace the value of the first `"key":` after `from` (up to the next `,`).
fn replace_number(payload: &str, key: &str, nth: usize, new: &str) -> String {
    let pat = format!("\"{key}\":");
    let start = payload.match_indices(&pat).nth(nth).unwrap().0 + pat.len();
    let end = start + payload[start..].find(',').unwrap();
    format!("{}{new}{}", &payload[..start], &payload[end..])
}

#[test]
fn audit_accepts_real_engine_payloads() {
    let f = fixture();
    let mut lines = f.engine_payloads(3, 6);
    lines.extend(f.engine_payloads(2, 0));
    lines.extend(f.engine_payloads(1, 12));
    let file = f.write("engine.jsonl", &lines);
    let out = assert_exit(&audit(&f, &file, &[]), 0);
    assert!(out.contains("verdict: PASS — 6 payload(s)"), "{out}");
    // Without the catalog as well.
    let out = assert_exit(&hearth(&["audit", p(&file)]), 0);
    assert!(out.contains("verdict: PASS"), "{out}");
    // And from stdin, as JSON.
    let out = Command::new(env!("CARGO_BIN_EXE_hearth"))
        .args(["audit", "-", "--json"])
        .stdin(std::fs::File::open(&file).unwrap())
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&assert_exit(&out, 0)).unwrap();
    assert_eq!(v["payloads"], 6);
    assert_eq!(v["violations"].as_array().unwrap().len(), 0);
}

#[test]
fn audit_rejects_an_extra_field() {
    let f = fixture();
    let good = f.engine_payloads(1, 3).remove(0);
    let bad = good.replacen(
        "\"catalog_version\"",
        "\"device_id\":\"a1b2c3\",\"catalog_version\"",
        1,
    );
    let file = f.write("extra.jsonl", &[good, bad]);
    let out = assert_exit(&audit(&f, &file, &[]), 2);
    assert!(
        out.contains("line 2: [extra-field] `device_id` is not an allowed field"),
        "{out}"
    );
    assert!(!out.contains("line 1:"), "{out}");
    assert!(out.contains("verdict: FAIL"), "{out}");
}

#[test]
fn audit_rejects_a_missing_field() {
    let f = fixture();
    let good = f.engine_payloads(1, 3).remove(0);
    // Drop `"q":…,` from the clicks report.
    let start = good.match_indices("\"q\":").nth(1).unwrap().0;
    let end = start + good[start..].find(',').unwrap() + 1;
    let bad = format!("{}{}", &good[..start], &good[end..]);
    let file = f.write("missing.jsonl", &[bad]);
    let out = assert_exit(&audit(&f, &file, &[]), 2);
    assert!(
        out.contains("line 1: [missing-field] `reports[1].q` is missing"),
        "{out}"
    );
    assert!(out.contains("verdict: FAIL"), "{out}");
}

#[test]
fn audit_rejects_epsilon_above_the_policy() {
    let f = fixture();
    // A real ε = 1 payload against a stricter policy.
    let good = f.engine_payloads(1, 3).remove(0);
    let file = f.write("eps.jsonl", &[good]);
    let out = assert_exit(&audit(&f, &file, &["--max-epsilon", "0.5"]), 2);
    assert!(
        out.contains(
            "line 1: [max-epsilon] reports[0] (impressions): epsilon 1 is above the policy maximum 0.5"
        ),
        "{out}"
    );
    // A self-consistent ε = 2 payload (GRR is what the rule picks for 16
    // values at ε = 2) against the default policy: only ε is wrong.
    let m = Mechanism::choose(2.0, 16).unwrap();
    assert_eq!(m.kind, MechanismKind::Grr);
    let mut rng = SeededNoise::new(1);
    let p2 = Payload {
        catalog_version: 1,
        day: 20_000,
        reports: (0..3)
            .map(|i| MetricReport {
                metric: i,
                mechanism: m,
                data: m.perturb(2, &mut rng).unwrap(),
            })
            .collect(),
    };
    let file = f.write("eps2.jsonl", &[p2.to_json()]);
    let out = assert_exit(&audit(&f, &file, &[]), 2);
    let violations: Vec<&str> = out.lines().filter(|l| l.starts_with("line ")).collect();
    assert_eq!(violations.len(), 3, "{out}");
    assert!(
        violations.iter().all(|l| l.contains("[max-epsilon]")
            && l.contains("epsilon 2 is above the policy maximum 1")),
        "{out}"
    );
}

#[test]
fn audit_rejects_parameters_inconsistent_with_epsilon() {
    let f = fixture();
    let good = f.engine_payloads(1, 3).remove(0);
    // Same width, other value: q of the impressions report.
    let bad = replace_number(&good, "q", 0, "0.30000000000000000");
    assert_eq!(bad.len(), good.len());
    let file = f.write("pq.jsonl", &[bad]);
    let out = assert_exit(&audit(&f, &file, &[]), 2);
    assert!(
        out.contains(
            "line 1: [parameters] reports[0] (impressions): p = 0.5, q = 0.3 are inconsistent with oue at epsilon 1 over 16 values"
        ),
        "{out}"
    );
    assert!(
        out.contains("expected p = 0.50000000000000000, q = 0.26894142136999"),
        "{out}"
    );
    // ε changed but p, q kept: also inconsistent.
    let bad = replace_number(&good, "epsilon", 2, "0.500000");
    let file = f.write("pq2.jsonl", &[bad]);
    let out = assert_exit(&audit(&f, &file, &[]), 2);
    assert!(
        out.contains("line 1: [parameters] reports[2] (conversions): p = 0.5, q = 0.2689414213699951 are inconsistent with oue at epsilon 0.5 over 16 values"),
        "{out}"
    );
}

#[test]
fn audit_rejects_a_wrong_size() {
    let f = fixture();
    let lines = f.engine_payloads(3, 4);
    let n = lines[0].len();
    // One byte longer: a space after a comma (valid JSON, parses).
    let padded = lines[1].replacen(",\"period\"", ", \"period\"", 1);
    // Against the catalog's reference payload.
    let file = f.write("size1.jsonl", std::slice::from_ref(&padded));
    let out = assert_exit(&audit(&f, &file, &[]), 2);
    assert!(
        out.contains(&format!(
            "line 1: [size] {} bytes, but a payload for catalog version 1 is {n} bytes (reference payload built for the given catalog)",
            n + 1
        )),
        "{out}"
    );
    assert!(
        out.contains("line 1: [canonical] not in canonical form"),
        "{out}"
    );
    // Without a catalog: against the other payloads of the same catalog version.
    let file = f.write("size2.jsonl", &[lines[0].clone(), padded, lines[2].clone()]);
    let out = assert_exit(&hearth(&["audit", p(&file)]), 2);
    assert!(
        out.contains(&format!(
            "line 2: [size] {} bytes, but payloads for catalog version 1 are {n} bytes (the most common length)",
            n + 1
        )),
        "{out}"
    );
    assert!(
        !out.contains("line 1:") && !out.contains("line 3:"),
        "{out}"
    );
    // A payload built for a bigger domain under the same catalog version.
    let m = Mechanism::choose(1.0, 40).unwrap();
    let mut rng = SeededNoise::new(2);
    let other = Payload {
        catalog_version: 1,
        day: 20_000,
        reports: (0..3)
            .map(|i| MetricReport {
                metric: i,
                mechanism: m,
                data: m.perturb(0, &mut rng).unwrap(),
            })
            .collect(),
    }
    .to_json();
    let file = f.write("size3.jsonl", &[other]);
    let out = assert_exit(&audit(&f, &file, &[]), 2);
    assert!(out.contains("line 1: [catalog] reports[0] (impressions): domain size 40, but the given catalog has 16 values"), "{out}");
    assert!(out.contains("line 1: [size]"), "{out}");
}

#[test]
fn audit_reports_unparseable_lines_and_bad_keys() {
    let f = fixture();
    let file = f.write("junk.jsonl", &["{\"schema\":".to_string(), "[1,2]".into()]);
    let out = assert_exit(&hearth(&["audit", p(&file)]), 2);
    assert!(out.contains("line 1: [json] not a JSON document"), "{out}");
    assert!(out.contains("line 2: [schema] not a JSON object"), "{out}");
    // A bundle checked with the wrong key: exit 1, nothing audited.
    let other = fixture();
    let out = hearth(&[
        "audit",
        p(&file),
        "--catalog",
        p(&f.bundle),
        "--pub",
        p(&other.public),
    ]);
    assert_exit(&out, 1);
    assert!(
        text(&out.stderr).contains("untrusted-key"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn aggregate_estimates_engine_payloads_and_lists_rejected_lines() {
    let f = fixture();
    let mut lines = f.engine_payloads(2, 6);
    lines.extend(f.engine_payloads(2, 3));
    let good = lines.len();
    let other_version = lines[0].replacen("\"catalog_version\":1,", "\"catalog_version\":2,", 1);
    lines.insert(1, "this is not a payload".into());
    lines.push(other_version);
    lines.push(String::new());
    let file = f.write("agg.jsonl", &lines);
    let out = hearth(&[
        "report",
        "aggregate",
        p(&file),
        "--catalog",
        p(&f.bundle),
        "--pub",
        p(&f.public),
    ]);
    let table = assert_exit(&out, 2);
    assert!(
        table.contains(&format!("{good} valid payloads, 2 rejected, 1 blank")),
        "{table}"
    );
    assert!(table.contains("period 2026-11-23: 2 reports"), "{table}");
    assert!(table.contains("period 2026-11-24: 2 reports"), "{table}");
    assert!(table.contains("cmp-pixel-brand"), "{table}");
    assert!(table.contains("line 2: invalid report payload:"), "{table}");
    assert!(
        table.contains(&format!(
            "line {}: malformed for this catalog: catalog version 2 is not the given catalog's (1)",
            good + 2
        )),
        "{table}"
    );
    // Every campaign, for every metric and period, in catalog order.
    let rows = table.lines().filter(|l| l.starts_with("2026-11-2")).count();
    assert_eq!(rows, 2 * 3 * 15, "{table}");

    let out = hearth(&[
        "report",
        "aggregate",
        p(&file),
        "--catalog",
        p(&f.bundle),
        "--pub",
        p(&f.public),
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&assert_exit(&out, 2)).unwrap();
    assert_eq!(v["valid"], good);
    assert_eq!(v["rejected"][0]["line"], 2);
    let g = &v["groups"][0];
    assert_eq!(g["period"], "2026-11-23");
    let imp = &g["metrics"][0];
    assert_eq!(imp["metric"], "impressions");
    assert_eq!(imp["mechanisms"][0]["mechanism"], "oue");
    assert_eq!(imp["campaigns"].as_array().unwrap().len(), 15);
    let e = &imp["campaigns"][0];
    let (est, lo, hi) = (
        e["estimate"].as_f64().unwrap(),
        e["ci_low"].as_f64().unwrap(),
        e["ci_high"].as_f64().unwrap(),
    );
    assert!(lo < est && est < hi);

    // Only good lines: exit 0.
    let file = f.write("agg-ok.jsonl", &lines[2..good + 1]);
    let out = hearth(&[
        "report",
        "aggregate",
        p(&file),
        "--catalog",
        p(&f.bundle),
        "--pub",
        p(&f.public),
    ]);
    assert_exit(&out, 0);
}

#[test]
fn simulate_writes_payloads_that_pass_the_audit() {
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("sim.jsonl");
    let out = hearth(&[
        "simulate",
        "--devices",
        "3000",
        "--campaigns",
        "12",
        "--seed",
        "3",
        "--capped",
        "0.1",
        "--out",
        p(&out_file),
    ]);
    let table = assert_exit(&out, 0);
    assert!(
        table.contains("measured / theoretical variance:"),
        "{table}"
    );
    assert!(table.contains("impressions: "), "{table}");
    let written = std::fs::read_to_string(&out_file).unwrap();
    assert_eq!(written.lines().count(), 3000);
    let out = hearth(&["audit", p(&out_file)]);
    let report = assert_exit(&out, 0);
    assert!(
        report.contains("verdict: PASS — 3,000 payload(s)"),
        "{report}"
    );
    // The same seed gives the same payloads.
    let again = dir.path().join("again.jsonl");
    let out = hearth(&[
        "simulate",
        "--devices",
        "3000",
        "--campaigns",
        "12",
        "--seed",
        "3",
        "--capped",
        "0.1",
        "--threads",
        "1",
        "--out",
        p(&again),
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&assert_exit(&out, 0)).unwrap();
    assert_eq!(v["devices"], 3000);
    assert_eq!(std::fs::read(&again).unwrap(), written.as_bytes());
}
