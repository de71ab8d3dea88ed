//! `hearth classifier train` and `eval` on a small committed fixture
//! (`cli/tests/fixtures/classifier-*.tsv`, labels are IAB topic ids), and
//! `hearth catalog build --classifier`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn hearth(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hearth"))
        .args(args)
        .output()
        .expect("run hearth")
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "status {:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn train(dir: &Path, name: &str, extra: &[&str]) -> PathBuf {
    let model = dir.join(name);
    let m = model.display().to_string();
    let train = fixture("classifier-train.tsv");
    let mut args = vec!["classifier", "train", "--input", &train, "--out", &m];
    args.extend_from_slice(extra);
    let text = ok(&hearth(&args));
    assert!(text.contains("examples       30"), "{text}");
    assert!(text.contains("labels         3"), "{text}");
    model
}

#[test]
fn train_then_eval_beats_the_majority_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let model = train(
        dir.path(),
        "m.bin",
        &["--buckets-bits", "12", "--seed", "7"],
    );
    let bytes = std::fs::read(&model).unwrap();
    // 3 labels × 2^12 buckets of i8 weights, plus labels, biases and scales.
    assert!(
        bytes.len() > 3 << 12 && bytes.len() < (3 << 12) + 200,
        "{}",
        bytes.len()
    );
    // Same seed, same bytes.
    let again = train(
        dir.path(),
        "m2.bin",
        &["--buckets-bits", "12", "--seed", "7"],
    );
    assert_eq!(std::fs::read(&again).unwrap(), bytes);

    let m = model.display().to_string();
    let test = fixture("classifier-test.tsv");
    let json = ok(&hearth(&[
        "classifier",
        "eval",
        "--model",
        &m,
        "--input",
        &test,
        "--json",
    ]));
    let r: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(r["rows"], 9);
    assert_eq!(r["labels"], 3);
    assert_eq!(r["bucket_bits"], 12);
    assert_eq!(r["model_bytes"], bytes.len());
    assert_eq!(r["model"]["accuracy"], 1.0, "{json}");
    assert_eq!(r["model"]["macro_f1"], 1.0, "{json}");
    // Three balanced labels: the constant predictor gets a third.
    let base = r["baseline"]["accuracy"].as_f64().unwrap();
    assert!((base - 1.0 / 3.0).abs() < 1e-9, "{json}");
    // No test text has 20 words: nothing is timed.
    assert_eq!(r["timed_texts"], 0);

    let text = ok(&hearth(&[
        "classifier",
        "eval",
        "--model",
        &m,
        "--input",
        &test,
    ]));
    assert!(
        text.contains("accuracy       1.0000   majority baseline 0.3333"),
        "{text}"
    );
}

#[test]
fn bad_inputs_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.tsv");
    std::fs::write(&bad, "text\tlabel\nfine\t1\nno tab here\n").unwrap();
    let b = bad.display().to_string();
    let out_path = dir.path().join("m.bin").display().to_string();
    let out = hearth(&["classifier", "train", "--input", &b, "--out", &out_path]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 3"), "{err}");

    let garbage = dir.path().join("garbage.bin");
    std::fs::write(&garbage, b"\x01\xff\xff").unwrap();
    let g = garbage.display().to_string();
    let test = fixture("classifier-test.tsv");
    let out = hearth(&["classifier", "eval", "--model", &g, "--input", &test]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("classifier model"), "{err}");
}

#[test]
fn catalog_build_ships_the_model_and_checks_its_labels() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    ok(&hearth(&["keygen", "--out", &d, "--name", "pub1"]));
    let key = dir.path().join("pub1.key").display().to_string();
    let public = dir.path().join("pub1.pub").display().to_string();
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../catalog/sample.json")
        .display()
        .to_string();
    let model = train(dir.path(), "m.bin", &["--buckets-bits", "10"]);
    let m = model.display().to_string();
    let bundle = dir.path().join("c.bundle").display().to_string();
    ok(&hearth(&[
        "catalog",
        "build",
        &source,
        "--key",
        &key,
        "--out",
        &bundle,
        "--classifier",
        &m,
    ]));
    let json = ok(&hearth(&[
        "catalog", "inspect", &bundle, "--pub", &public, "--json",
    ]));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let blob = v["models"]["blobs"]["classifier/1"].as_str().unwrap();
    assert!(!blob.is_empty());

    // A model labelled with something that is not a topic id is refused.
    let fix = dir.path().join("words.tsv");
    std::fs::write(&fix, "text\tlabel\ngoal\tsoccer\nrecipe\tcooking\n").unwrap();
    let words = dir.path().join("words.bin").display().to_string();
    let f = fix.display().to_string();
    ok(&hearth(&[
        "classifier",
        "train",
        "--input",
        &f,
        "--out",
        &words,
        "--buckets-bits",
        "8",
    ]));
    let out = hearth(&[
        "catalog",
        "build",
        &source,
        "--key",
        &key,
        "--out",
        &bundle,
        "--classifier",
        &words,
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("\"cooking\" is not a topic id"), "{err}");

    // --label-map turns them into topic ids, and then the build succeeds.
    let map = dir.path().join("map.tsv");
    std::fs::write(&map, "soccer\t533\ncooking\t216\n").unwrap();
    let mp = map.display().to_string();
    ok(&hearth(&[
        "classifier",
        "train",
        "--input",
        &f,
        "--out",
        &words,
        "--buckets-bits",
        "8",
        "--label-map",
        &mp,
    ]));
    ok(&hearth(&[
        "catalog",
        "build",
        &source,
        "--key",
        &key,
        "--out",
        &bundle,
        "--classifier",
        &words,
    ]));
}
