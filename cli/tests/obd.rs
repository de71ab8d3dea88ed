//! `hearth obd` on a hand-written fixture in the Open Bandit Dataset's CSV
//! format (`tests/fixtures/obd/`), with every figure checked by hand, and its
//! error paths.
//!
//! The fixture: 3 items whose four facets (price quartile, three categories)
//! are all different, so a past click on one item gives interest and taste for
//! that item only. Hearth's ranking is then: no history → items 0, 1, 2
//! (catalog order, all tied); history on item `k` → `k` first, then the
//! others in catalog order.
//!
//! Random log (20 rows, all at position 1, propensity 1/3; rows 19 and 20 are
//! swapped in the file, time order restores them). Test part = the last 6
//! rows (70% of 20 = 14 training rows):
//!
//! | row | item | click | history | Hearth's pick | matched |
//! |---|---|---|---|---|---|
//! | 15 | 0 | 0 | – | 0 | yes |
//! | 16 | 1 | 1 | – | 0 | no |
//! | 17 | 2 | 1 | item 2 ×1 | 2 | yes, click |
//! | 18 | 0 | 0 | item 2 ×1 | 2 | no |
//! | 19 | 1 | 0 | item 1 ×2 | 1 | yes |
//! | 20 | 2 | 0 | – | 0 | no |
//!
//! Shipped model on the test part: rows 15, 16, 18, 20 have only the context
//! feature: p = σ(-4 + 1) = σ(-3); row 17 has interest 1 and taste cosine 1:
//! σ(-3 + 0.8 ln 2 + 1); row 19 interest 2: σ(-3 + 0.8 ln 3 + 1), the highest.
//! Clicks 16 (lowest score, tied with three non-clicks) and 17 (above those
//! three, below row 19): AUC = (3 × ½ + 3) / 8 = 0.5625.
//!
//! Whole random log: 9 matched rows (1, 4, 6, 8, 10, 13, 15, 17, 19) with 4
//! clicks (4, 6, 8, 17): IPS = 3 × 4 / 20 = 0.6, SNIPS = 4 / 9; the logged
//! policy's value 5 / 20 = 0.25. Test part: IPS = 3 × 1 / 6 = 0.5, SNIPS 1/3.
//!
//! Bts log (6 rows, positions 1 and 2, propensities 0.5, 0.25, 0.2, 0.5, 0.1,
//! 0.8): matched rows 1 (w 2, click), 2 (position 2, Hearth's second pick is
//! item 1; w 4, click), 3 (w 5), 4 (history on item 2, so the second pick is
//! item 0; w 2): IPS = (2 + 4) / 6 = 1, SNIPS = 6 / 13; on-policy value 3/6.
//! Shipped AUC on it: the three clicks all score σ(-3), tied with two of the
//! three non-clicks and below the third: AUC = 3 × (2 × ½) / 9 = 1/3.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use hearth_cli::obd::{self, ObdCampaign, ObdError, ObdOptions, ObdReport, PolicyValue};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/obd")
}

fn hearth(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hearth"))
        .args(args)
        .output()
        .expect("run hearth")
}

fn report() -> ObdReport {
    obd::run(&ObdOptions {
        data: fixture(),
        campaign: ObdCampaign::All,
        train_share: 0.7,
    })
    .unwrap()
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

fn policy<'a>(r: &'a ObdReport, name: &str, data: &str) -> &'a PolicyValue {
    r.policies
        .iter()
        .find(|p| p.policy == name && p.data == data)
        .unwrap_or_else(|| panic!("no row {name} / {data}: {:#?}", r.policies))
}

#[test]
fn hand_checked_figures() {
    let r = report();
    assert_eq!((r.items, r.random.rows, r.random.clicks), (3, 20, 5));
    assert_eq!((r.train_rows, r.train_clicks), (14, 3));
    assert_eq!((r.test_rows, r.test_clicks), (6, 2));
    let bts = r.bts.as_ref().unwrap();
    assert_eq!((bts.rows, bts.clicks), (6, 3));
    // 7 of 20 random rows have a history.
    assert!(close(r.random.with_profile, 7.0 / 20.0));

    // Click prediction, shipped defaults.
    let shipped = r
        .models
        .iter()
        .find(|m| m.model == "shipped default")
        .unwrap();
    assert!(close(shipped.auc_test.unwrap().value, 0.5625));
    assert!(close(shipped.auc_bts.unwrap().value, 1.0 / 3.0));
    let (low, c, e) = (
        sigmoid(-3.0),
        sigmoid(-2.0 + 0.8 * 2f64.ln()),
        sigmoid(-2.0 + 0.8 * 3f64.ln()),
    );
    let want = (-3.0 * (1.0 - low).ln() - low.ln() - c.ln() - (1.0 - e).ln()) / 6.0;
    assert!(
        (shipped.log_loss_test.value - want).abs() < 1e-9,
        "{} vs {want}",
        shipped.log_loss_test.value
    );
    // The constant CTR is the training rate 3/14: AUC exactly 1/2.
    let constant = &r.models[0];
    assert!(close(constant.params[0].1, 3.0 / 14.0));
    let a = constant.auc_test.unwrap();
    assert!(close(a.value, 0.5) && close(a.lo, 0.5) && close(a.hi, 0.5));
    let want = -(2.0 * (3.0f64 / 14.0).ln() + 4.0 * (11.0f64 / 14.0).ln()) / 6.0;
    assert!(close(constant.log_loss_test.value, want));
    // The fit: b0 always, and interest and embedding vary in training.
    assert_eq!(r.fit.fitted, ["b0", "w_interest", "w_embedding"]);
    let fitted = &r.models[2];
    assert!(fitted.log_loss_test.value.is_finite());

    // Off-policy values.
    let random = policy(&r, "logged: uniform random", "random log");
    assert!(close(random.value.ips.value, 0.25));
    let all = &policy(&r, "Hearth, shipped defaults", "random log").value;
    assert_eq!((all.matched, all.matched_clicks), (9, 4));
    assert!((all.ips.value - 0.6).abs() < 1e-12);
    assert!(close(all.snips.unwrap().value, 4.0 / 9.0));
    let pos1 = &policy(&r, "Hearth, shipped defaults", "random log, position 1").value;
    assert_eq!(pos1, all);
    let test = &policy(&r, "Hearth, shipped defaults", "random log, test part").value;
    assert_eq!((test.matched, test.matched_clicks), (3, 1));
    assert!(close(test.ips.value, 0.5));
    assert!(close(test.snips.unwrap().value, 1.0 / 3.0));
    let b = &policy(&r, "Hearth, shipped defaults", "bts log (its propensities)").value;
    assert_eq!((b.matched, b.matched_clicks), (4, 2));
    assert!(close(b.ips.value, 1.0));
    assert!(close(b.snips.unwrap().value, 6.0 / 13.0));
    let bts_on = policy(&r, "logged: Bernoulli TS", "bts log");
    assert!(close(bts_on.value.ips.value, 0.5));
    // Every interval holds its estimate.
    for p in &r.policies {
        let v = &p.value.ips;
        assert!(v.lo <= v.value && v.value <= v.hi, "{p:?}");
    }
    assert!(close(r.hearth_with_exploration, 0.9 * 0.6 + 0.1 * 0.25));
}

#[test]
fn the_command_prints_text_and_json() {
    let data = fixture();
    let out = hearth(&["obd", "--data", data.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("0.562"), "{text}");
    assert!(text.contains("Hearth, shipped defaults"), "{text}");
    let out = hearth(&["obd", "--data", data.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["random"]["rows"], 20);
    assert_eq!(v["campaign"], "all");
}

#[test]
fn export_for_eval() {
    let dir = tempfile::tempdir().unwrap();
    let data = fixture();
    let out = hearth(&[
        "obd",
        "--data",
        data.to_str().unwrap(),
        "--export-eval",
        dir.path().to_str().unwrap(),
        "--exposures",
    ]);
    assert!(out.status.success(), "{out:?}");
    let items = std::fs::read_to_string(dir.path().join("items.tsv")).unwrap();
    let lines: Vec<&str> = items.lines().collect();
    assert_eq!(lines[0], "item_id\ttopics\ttitle");
    assert_eq!(lines[1], "0\tf0/q1|f1/a|f2/x|f3/m\tOBD item 0");
    assert_eq!(lines.len(), 4);
    let events = std::fs::read_to_string(dir.path().join("events.tsv")).unwrap();
    let lines: Vec<&str> = events.lines().collect();
    assert_eq!(lines[0], "user_id\titem_id\ttimestamp\tlabel");
    assert_eq!(lines.len(), 1 + 20 + 6);
    // Time order across both logs: random row 1 (00:00:00), then bts row 1.
    let first: Vec<&str> = lines[1].split('\t').collect();
    assert_eq!(first[1..], ["0", "1574553600", "0"]);
    let second: Vec<&str> = lines[2].split('\t').collect();
    assert_eq!(second[1..], ["0", "1574553630", "1"]);
    assert!(first[0].starts_with('u') && first[0].len() == 17);
    let clicks = lines[1..].iter().filter(|l| l.ends_with("\t1")).count();
    assert_eq!(clicks, 5 + 3);
    // By default, clicks only: the first is bts row 1 at 00:00:30.
    let out = hearth(&[
        "obd",
        "--data",
        data.to_str().unwrap(),
        "--export-eval",
        dir.path().to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{out:?}");
    let events = std::fs::read_to_string(dir.path().join("events.tsv")).unwrap();
    let lines: Vec<&str> = events.lines().collect();
    assert_eq!(lines.len(), 1 + 8);
    assert!(lines[1].ends_with("\t0\t1574553630\t1"), "{}", lines[1]);
    assert!(lines[1..].iter().all(|l| l.ends_with("\t1")));
}

/// A copy of the fixture with one file's text changed by `edit`.
fn broken(file: &str, edit: impl Fn(&str) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for f in [
        "random/all/all.csv",
        "random/all/item_context.csv",
        "bts/all/all.csv",
    ] {
        let src = std::fs::read_to_string(fixture().join(f)).unwrap();
        let dst = dir.path().join(f);
        std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
        let text = if f == file { edit(&src) } else { src };
        std::fs::write(dst, text).unwrap();
    }
    dir
}

fn run_on(dir: &Path) -> Result<ObdReport, ObdError> {
    obd::run(&ObdOptions {
        data: dir.to_path_buf(),
        campaign: ObdCampaign::All,
        train_share: 0.7,
    })
}

#[test]
fn a_bad_number_names_line_and_column() {
    // Line 4 of the file is data row 3; its propensity becomes "abc".
    let dir = broken("random/all/all.csv", |s| {
        s.replacen(
            "2,2019-11-24 00:02:00.000000+00:00,2,1,0,0.3333333333333333",
            "2,2019-11-24 00:02:00.000000+00:00,2,1,0,abc",
            1,
        )
    });
    let e = run_on(dir.path()).unwrap_err();
    let msg = e.to_string();
    assert!(
        matches!(&e, ObdError::BadValue { line: 4, column, .. } if column == "propensity_score"),
        "{e:?}"
    );
    assert!(
        msg.contains("line 4") && msg.contains("`propensity_score`") && msg.contains("\"abc\""),
        "{msg}"
    );
    // The binary says the same and exits 2.
    let out = hearth(&["obd", "--data", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 4, column `propensity_score`"), "{err}");
}

#[test]
fn other_malformed_inputs_are_typed_errors() {
    // A missing column.
    let dir = broken("random/all/all.csv", |s| {
        s.replacen(",click,", ",clack,", 1)
    });
    let e = run_on(dir.path()).unwrap_err();
    assert!(
        matches!(&e, ObdError::MissingColumn { column, .. } if column == "click"),
        "{e:?}"
    );
    assert!(e.to_string().contains("missing column `click`"), "{e}");
    // A missing affinity column.
    let dir = broken("random/all/all.csv", |s| {
        s.replacen("user-item_affinity_1,", "user-item_affinity_7,", 1)
    });
    let e = run_on(dir.path()).unwrap_err();
    assert!(
        matches!(&e, ObdError::MissingColumn { column, .. } if column == "user-item_affinity_1"),
        "{e:?}"
    );
    // A click that is not 0/1, an item out of range, a bad time.
    for (from, to, column) in [
        (",0,1,1,0.3333", ",0,1,2,0.3333", "click"),
        (
            ":01:00.000000+00:00,1,",
            ":01:00.000000+00:00,9,",
            "item_id",
        ),
        ("2019-11-24 00:01:00", "2019-11-34 00:01:00", "timestamp"),
    ] {
        let dir = broken("random/all/all.csv", |s| s.replacen(from, to, 1));
        let e = run_on(dir.path()).unwrap_err();
        assert!(
            matches!(&e, ObdError::BadValue { column: c, .. } if c == column),
            "{column}: {e:?}"
        );
    }
    // A short row.
    let dir = broken("bts/all/all.csv", |s| format!("{s}7,2019-11-24\n"));
    let e = run_on(dir.path()).unwrap_err();
    assert!(matches!(e, ObdError::FieldCount { line: 8, .. }), "{e:?}");
    // Items that do not match the affinity columns.
    let dir = broken("random/all/item_context.csv", |s| {
        s.lines().take(3).collect::<Vec<_>>().join("\n")
    });
    let e = run_on(dir.path()).unwrap_err();
    assert!(matches!(e, ObdError::Inconsistent { .. }), "{e:?}");
    // A missing file: an I/O error, exit code 1.
    let out = hearth(&["obd", "--data", "/nonexistent/obd"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
    // An empty file.
    let dir = broken("random/all/item_context.csv", |_| String::new());
    assert!(matches!(
        run_on(dir.path()).unwrap_err(),
        ObdError::Empty { .. }
    ));
    // A train share out of range.
    let e = obd::run(&ObdOptions {
        data: fixture(),
        campaign: ObdCampaign::All,
        train_share: 1.0,
    })
    .unwrap_err();
    assert!(matches!(e, ObdError::Usage(_)), "{e:?}");
}
