//! The auditor: report payloads checked against the payload format and a policy.
//!
//! The same code runs in `hearth audit` (an auditor's tool, over a file of
//! payloads) and on the phone (`auditPayloads` in the bindings, so an app's
//! privacy dashboard can show the verdict on exactly what it uploads). Every
//! non-blank line must be one payload (JSON lines). Checks, each reported
//! as `line N: [rule] detail`:
//!
//! | rule | what is checked |
//! |---|---|
//! | `json` | the line is UTF-8 JSON |
//! | `extra-field` | no field outside the schema (no identifiers, timestamps or free text can hide in one) |
//! | `missing-field` | every field of the schema is present |
//! | `schema` | field types and values: schema tag, 3 reports in metric order, known mechanism, ε in [0, 20], a `YYYY-MM-DD` period, data of the right shape (`Payload::parse`) |
//! | `max-epsilon` | ε ≤ the policy maximum (`--max-epsilon`, default 1) |
//! | `parameters` | `p` and `q` are exactly the mechanism's for the stated ε and domain size (recomputed) |
//! | `mechanism` | the mechanism is the one the domain-size rule picks for the stated ε (GRR iff `d < 3·e^ε + 2`). A report without signal (ε = 0: the device reached its cap) keeps the mechanism chosen at the configured ε, so for ε = 0 the mechanism must be one the rule picks at some ε in (0, max-epsilon] |
//! | `canonical` | re-serialising the parsed payload (`Payload::to_json`) gives the identical bytes: key order, number formats, no whitespace |
//! | `catalog` | with `--catalog`: the catalog version and domain size are the catalog's |
//! | `size` | all payloads of one catalog version have the same length (the most common one); with `--catalog`, the length of a reference payload built for that catalog with the same mechanisms and ε |
//!
//! The verdict is PASS only if no line has a violation.

use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::io::BufRead;

use serde::Serialize;
use serde_json::{Map, Value};

use super::{METRICS, Mechanism, MechanismKind, MetricReport, Payload, Perturbed};

/// What the auditor needs to know about the catalog the payloads are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditCatalog {
    /// Catalog version, as the payloads must state it.
    pub version: u64,
    /// Domain size of its payloads: campaigns + 1 ("none").
    pub domain: u32,
}

impl AuditCatalog {
    fn domain(&self) -> u32 {
        self.domain
    }
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Tolerance on `p` and `q` (the payload writes them with 17 decimals).
pub const PARAM_TOLERANCE: f64 = 1e-12;

const TOP_FIELDS: [&str; 4] = ["schema", "catalog_version", "period", "reports"];
const REPORT_FIELDS: [&str; 7] = ["metric", "mechanism", "epsilon", "p", "q", "domain", "data"];
const DOMAIN_FIELDS: [&str; 2] = ["size", "encoding"];

/// What the auditor enforces beyond the format.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Largest ε allowed per metric report.
    pub max_epsilon: f64,
}

impl Default for Policy {
    fn default() -> Self {
        Self { max_epsilon: 1.0 }
    }
}

/// One violation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Violation {
    /// 1-based line number.
    pub line: u64,
    /// Rule name (see the module docs).
    pub rule: &'static str,
    /// What exactly is wrong.
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: [{}] {}", self.line, self.rule, self.detail)
    }
}

/// The length facts of one line, for the size rule.
#[derive(Debug, Clone)]
struct SizeFact {
    line: u64,
    version: Option<u64>,
    len: usize,
    /// Expected length from the reference payload, when a catalog is given.
    expected: Option<usize>,
}

/// The streaming auditor.
#[derive(Debug, Clone)]
pub struct Auditor {
    policy: Policy,
    catalog: Option<AuditCatalog>,
    line: u64,
    payloads: u64,
    blank: u64,
    violations: Vec<Violation>,
    sizes: Vec<SizeFact>,
}

/// The outcome.
#[derive(Debug, Clone, Serialize)]
pub struct AuditReport {
    /// Lines read.
    pub lines: u64,
    /// Non-blank lines (payloads checked).
    pub payloads: u64,
    /// Blank lines skipped.
    pub blank: u64,
    /// Payloads without any violation.
    pub passed: u64,
    /// Every violation, by line.
    pub violations: Vec<Violation>,
    /// The policy's maximum ε.
    pub max_epsilon: f64,
    /// The catalog checked against, if any.
    pub catalog_version: Option<u64>,
}

impl AuditReport {
    /// True if no violation was found.
    pub fn passed(&self) -> bool {
        self.violations.is_empty()
    }

    /// The verdict line: `verdict: PASS — …` or `verdict: FAIL — …`.
    pub fn verdict(&self) -> String {
        if self.passed() {
            format!(
                "verdict: PASS — {} payload(s) conform to hearth-report/1 and the policy",
                thousands(self.payloads)
            )
        } else {
            format!(
                "verdict: FAIL — {} violation(s) in {} of {} payload(s)",
                thousands(self.violations.len() as u64),
                thousands(self.payloads - self.passed),
                thousands(self.payloads)
            )
        }
    }

    /// The printed report: one line per violation, then the verdict.
    pub fn text(&self, origin: &str) -> String {
        let mut t = String::new();
        let cat = self
            .catalog_version
            .map_or_else(String::new, |v| format!(", catalog version {v}"));
        let _ = writeln!(
            t,
            "audit of {origin}: {} payload(s) on {} line(s) ({} blank); policy: max epsilon {}{cat}",
            thousands(self.payloads),
            thousands(self.lines),
            thousands(self.blank),
            self.max_epsilon
        );
        for v in &self.violations {
            let _ = writeln!(t, "{v}");
        }
        let _ = writeln!(t, "{}", self.verdict());
        t
    }
}

impl Auditor {
    /// An auditor with a policy and, optionally, the catalog the payloads are for.
    pub fn new(policy: Policy, catalog: Option<AuditCatalog>) -> Self {
        Self {
            policy,
            catalog,
            line: 0,
            payloads: 0,
            blank: 0,
            violations: Vec::new(),
            sizes: Vec::new(),
        }
    }

    /// Audit every line `reader` yields.
    pub fn read_from(&mut self, reader: impl BufRead) -> std::io::Result<()> {
        for line in reader.split(b'\n') {
            let line = line?;
            self.check_line(line.strip_suffix(b"\r").unwrap_or(&line));
        }
        Ok(())
    }

    fn flag(&mut self, rule: &'static str, detail: String) {
        self.violations.push(Violation {
            line: self.line,
            rule,
            detail,
        });
    }

    /// Check one line (without its line end).
    pub fn check_line(&mut self, line: &[u8]) {
        self.line += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            self.blank += 1;
            return;
        }
        self.payloads += 1;
        let before = self.violations.len();
        let mut size = SizeFact {
            line: self.line,
            version: None,
            len: line.len(),
            expected: None,
        };
        let Ok(text) = std::str::from_utf8(line) else {
            self.flag("json", "not UTF-8 text".into());
            self.sizes.push(size);
            return;
        };
        let value: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                self.flag("json", format!("not a JSON document: {e}"));
                self.sizes.push(size);
                return;
            }
        };
        let Some(obj) = value.as_object() else {
            self.flag("schema", "not a JSON object".into());
            self.sizes.push(size);
            return;
        };
        self.fields(obj, &TOP_FIELDS, "");
        size.version = obj.get("catalog_version").and_then(Value::as_u64);
        if obj.contains_key("catalog_version") && size.version.is_none() {
            self.flag(
                "schema",
                "`catalog_version` is not a non-negative integer".into(),
            );
        }
        if let (Some(cat), Some(v)) = (&self.catalog, size.version)
            && v != cat.version
        {
            let msg = format!(
                "catalog version {v} is not the given catalog's ({})",
                cat.version
            );
            self.flag("catalog", msg);
        }
        let mut mechs: [Option<Mechanism>; 3] = [None; 3];
        match obj.get("reports") {
            Some(Value::Array(reports)) => {
                if reports.len() != METRICS.len() {
                    self.flag(
                        "schema",
                        format!(
                            "`reports` has {} entries, expected {} ({})",
                            reports.len(),
                            METRICS.len(),
                            METRICS.join(", ")
                        ),
                    );
                }
                for (i, r) in reports.iter().enumerate() {
                    let m = self.report(i, r);
                    if let Some(slot) = mechs.get_mut(i) {
                        *slot = m;
                    }
                }
            }
            Some(_) => self.flag("schema", "`reports` is not an array".into()),
            None => {}
        }
        // The reference length for the given catalog, with this line's
        // mechanisms and ε (falling back to what the rule picks at max ε).
        if let Some(cat) = &self.catalog {
            let d = cat.domain();
            let fallback = Mechanism::choose(self.policy.max_epsilon.clamp(0.0, 20.0), d)
                .map_or(MechanismKind::Oue, |m| m.kind);
            let params = mechs
                .map(|m| m.map_or((fallback, self.policy.max_epsilon), |m| (m.kind, m.epsilon)));
            size.expected = Some(reference_payload(cat.version, d, params, 0).to_json().len());
        }
        self.sizes.push(size);
        if self.violations.len() > before {
            // The full parser would only repeat what is already reported.
            return;
        }
        match Payload::parse(text) {
            Err(e) => self.flag("schema", e.to_string()),
            Ok(p) => {
                let canonical = p.to_json();
                if canonical != text {
                    let detail = first_difference(&canonical, text);
                    self.flag("canonical", format!("not in canonical form: {detail}"));
                }
            }
        }
    }

    fn fields(&mut self, obj: &Map<String, Value>, allowed: &[&str], path: &str) {
        for k in obj.keys() {
            if !allowed.contains(&k.as_str()) {
                self.flag(
                    "extra-field",
                    format!(
                        "`{path}{k}` is not an allowed field (allowed here: {})",
                        allowed.join(", ")
                    ),
                );
            }
        }
        for a in allowed {
            if !obj.contains_key(*a) {
                self.flag("missing-field", format!("`{path}{a}` is missing"));
            }
        }
    }

    /// Check one metric report; returns its mechanism if it could be read.
    fn report(&mut self, i: usize, r: &Value) -> Option<Mechanism> {
        let Some(obj) = r.as_object() else {
            self.flag("schema", format!("`reports[{i}]` is not an object"));
            return None;
        };
        let path = format!("reports[{i}].");
        self.fields(obj, &REPORT_FIELDS, &path);
        let expected_metric = METRICS.get(i).copied().unwrap_or("?");
        let name = format!("reports[{i}] ({expected_metric})");
        match obj.get("metric").and_then(Value::as_str) {
            Some(m) if m == expected_metric => {}
            Some(m) => self.flag(
                "schema",
                format!("{name}: metric is {m:?}, expected {expected_metric:?}"),
            ),
            None if obj.contains_key("metric") => {
                self.flag("schema", format!("{name}: metric is not a string"));
            }
            None => {}
        }
        let kind = match obj.get("mechanism").and_then(Value::as_str) {
            Some("grr") => Some(MechanismKind::Grr),
            Some("oue") => Some(MechanismKind::Oue),
            Some(other) => {
                self.flag(
                    "schema",
                    format!("{name}: mechanism {other:?} is unknown (grr or oue)"),
                );
                None
            }
            None => {
                if obj.contains_key("mechanism") {
                    self.flag("schema", format!("{name}: mechanism is not a string"));
                }
                None
            }
        };
        let eps = match obj.get("epsilon") {
            Some(v) => match v.as_f64() {
                Some(e) if e.is_finite() && (0.0..=20.0).contains(&e) => Some(e),
                _ => {
                    self.flag(
                        "schema",
                        format!("{name}: epsilon {v} is not a number in [0, 20]"),
                    );
                    None
                }
            },
            None => None,
        };
        let size = match obj.get("domain") {
            Some(Value::Object(dom)) => {
                self.fields(dom, &DOMAIN_FIELDS, &format!("{path}domain."));
                match dom.get("size") {
                    Some(v) => match v.as_u64().and_then(|s| u32::try_from(s).ok()) {
                        Some(s) if s >= 2 => Some(s),
                        _ => {
                            self.flag(
                                "schema",
                                format!("{name}: domain size {v} is not an integer ≥ 2"),
                            );
                            None
                        }
                    },
                    None => None,
                }
            }
            Some(_) => {
                self.flag("schema", format!("{name}: domain is not an object"));
                None
            }
            None => None,
        };
        if let Some(e) = eps
            && e > self.policy.max_epsilon + 1e-12
        {
            let msg = format!(
                "{name}: epsilon {e} is above the policy maximum {}",
                self.policy.max_epsilon
            );
            self.flag("max-epsilon", msg);
        }
        if let (Some(cat), Some(s)) = (&self.catalog, size) {
            let d = cat.domain();
            if s != d {
                let msg = format!(
                    "{name}: domain size {s}, but the given catalog has {d} values ({} campaigns + none)",
                    d - 1
                );
                self.flag("catalog", msg);
            }
        }
        let (Some(kind), Some(e), Some(s)) = (kind, eps, size) else {
            return None;
        };
        let m = Mechanism::new(kind, e, s);
        let num = |k: &str| obj.get(k).and_then(Value::as_f64);
        let (p, q) = (num("p"), num("q"));
        for (k, v) in [("p", obj.get("p")), ("q", obj.get("q"))] {
            if let Some(v) = v
                && v.as_f64().is_none()
            {
                self.flag("schema", format!("{name}: {k} is not a number"));
            }
        }
        let off = |x: Option<f64>, want: f64| x.is_some_and(|x| (x - want).abs() > PARAM_TOLERANCE);
        if off(p, m.p) || off(q, m.q) {
            let show = |x: Option<f64>| x.map_or_else(|| "?".to_string(), |x| x.to_string());
            let formula = match kind {
                MechanismKind::Grr => "p = e^ε/(e^ε+d-1), q = 1/(e^ε+d-1)",
                MechanismKind::Oue => "p = 1/2, q = 1/(e^ε+1)",
            };
            let msg = format!(
                "{name}: p = {}, q = {} are inconsistent with {} at epsilon {e} over {s} values ({formula}: expected p = {:.17}, q = {:.17})",
                show(p),
                show(q),
                kind.name(),
                m.p,
                m.q
            );
            self.flag("parameters", msg);
        }
        let threshold = |eps: f64| 3.0 * eps.exp() + 2.0;
        if e > 0.0 {
            if let Ok(chosen) = Mechanism::choose(e, s)
                && chosen.kind != kind
            {
                let msg = format!(
                    "{name}: {} over {s} values at epsilon {e}, but the domain-size rule (GRR iff d < 3·e^ε + 2 = {:.2}) picks {}",
                    kind.name(),
                    threshold(e),
                    chosen.kind.name()
                );
                self.flag("mechanism", msg);
            }
        } else {
            // Capped: the mechanism of some configured ε in (0, max].
            let max = self.policy.max_epsilon;
            let possible = match kind {
                MechanismKind::Grr => f64::from(s) < threshold(max),
                MechanismKind::Oue => s > 5,
            };
            if !possible {
                let msg = format!(
                    "{name}: a report without signal (epsilon 0) keeps the mechanism chosen at the configured epsilon, but {} over {s} values is not chosen at any epsilon in (0, {max}]",
                    kind.name()
                );
                self.flag("mechanism", msg);
            }
        }
        Some(m)
    }

    /// Finish: apply the size rule and sort the violations by line.
    pub fn finish(mut self) -> AuditReport {
        // The most common length per catalog version (ties: the shorter).
        let mut freq: HashMap<Option<u64>, HashMap<usize, u64>> = HashMap::new();
        for s in &self.sizes {
            *freq.entry(s.version).or_default().entry(s.len).or_default() += 1;
        }
        let mode: HashMap<Option<u64>, usize> = freq
            .into_iter()
            .filter_map(|(v, lens)| {
                lens.into_iter()
                    .max_by_key(|&(len, n)| (n, std::cmp::Reverse(len)))
                    .map(|(len, _)| (v, len))
            })
            .collect();
        let cat_version = self.catalog.as_ref().map(|c| c.version);
        for s in std::mem::take(&mut self.sizes) {
            let reference = s.expected.filter(|_| s.version == cat_version);
            let detail = match (reference, mode.get(&s.version)) {
                (Some(exp), _) if exp != s.len => Some(format!(
                    "{} bytes, but a payload for catalog version {} is {exp} bytes (reference payload built for the given catalog)",
                    s.len,
                    s.version.map_or_else(|| "?".into(), |v| v.to_string())
                )),
                (_, Some(&m)) if m != s.len && s.version.is_some() => Some(format!(
                    "{} bytes, but payloads for catalog version {} are {m} bytes (the most common length)",
                    s.len,
                    s.version.map_or_else(|| "?".into(), |v| v.to_string())
                )),
                _ => None,
            };
            if let Some(detail) = detail {
                self.violations.push(Violation {
                    line: s.line,
                    rule: "size",
                    detail,
                });
            }
        }
        self.violations.sort_by_key(|v| v.line);
        let mut bad: Vec<u64> = self.violations.iter().map(|v| v.line).collect();
        bad.dedup();
        AuditReport {
            lines: self.line,
            payloads: self.payloads,
            blank: self.blank,
            passed: self.payloads - bad.len() as u64,
            violations: self.violations,
            max_epsilon: self.policy.max_epsilon,
            catalog_version: cat_version,
        }
    }
}

/// A payload with the given catalog version, domain size, and per-metric
/// mechanism and ε, with all-zero data: its canonical length is the length every
/// payload with those parameters must have.
pub fn reference_payload(
    catalog_version: u64,
    domain: u32,
    params: [(MechanismKind, f64); 3],
    day: i64,
) -> Payload {
    Payload {
        catalog_version,
        day,
        reports: params
            .iter()
            .enumerate()
            .map(|(i, &(kind, eps))| {
                let m = Mechanism::new(kind, eps, domain.max(2));
                MetricReport {
                    metric: i,
                    mechanism: m,
                    data: match kind {
                        MechanismKind::Grr => Perturbed::Value(0),
                        MechanismKind::Oue => {
                            Perturbed::Bits(vec![0; domain.max(2).div_ceil(8) as usize])
                        }
                    },
                }
            })
            .collect(),
    }
}

/// Where two strings first differ, with a little context.
fn first_difference(expected: &str, found: &str) -> String {
    let at = expected
        .bytes()
        .zip(found.bytes())
        .position(|(a, b)| a != b)
        .unwrap_or(expected.len().min(found.len()));
    let snippet = |s: &str| {
        let start = at.saturating_sub(12);
        let end = (at + 24).min(s.len());
        String::from_utf8_lossy(s.as_bytes().get(start..end).unwrap_or_default()).into_owned()
    };
    format!(
        "first difference at byte {at}: expected `…{}…`, found `…{}…`",
        snippet(expected),
        snippet(found)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
    use crate::report::mechanism::SeededNoise;

    fn synthetic(version: u64, campaigns: u32) -> AuditCatalog {
        AuditCatalog {
            version,
            domain: campaigns + 1,
        }
    }

    fn payload(cat: &AuditCatalog, eps: [f64; 3], seed: u64) -> String {
        let d = cat.domain();
        let kind = Mechanism::choose(1.0, d).unwrap().kind;
        let mut rng = SeededNoise::new(seed);
        Payload {
            catalog_version: cat.version,
            day: 20_000,
            reports: (0..3)
                .map(|i| {
                    let m = Mechanism::new(kind, eps[i], d);
                    MetricReport {
                        metric: i,
                        mechanism: m,
                        data: m.perturb(seed as u32, &mut rng).unwrap(),
                    }
                })
                .collect(),
        }
        .to_json()
    }

    fn audit(lines: &[String], policy: Policy, cat: Option<AuditCatalog>) -> AuditReport {
        let mut a = Auditor::new(policy, cat);
        for l in lines {
            a.check_line(l.as_bytes());
        }
        a.finish()
    }

    #[test]
    fn good_payloads_pass_including_capped_ones() {
        for campaigns in [3u32, 15, 100] {
            let cat = synthetic(4, campaigns);
            let lines: Vec<String> = (0..20)
                .map(|s| {
                    let e = if s % 4 == 0 { 0.0 } else { 1.0 };
                    payload(&cat, [e, 1.0, e], s)
                })
                .collect();
            let r = audit(&lines, Policy::default(), Some(cat));
            assert!(r.passed(), "{}", r.text("t"));
            assert_eq!(r.passed, 20);
            let reference = reference_payload(
                cat.version,
                cat.domain(),
                [(Mechanism::choose(1.0, cat.domain()).unwrap().kind, 1.0); 3],
                0,
            );
            assert_eq!(reference.to_json().len(), lines[0].len());
        }
    }

    #[test]
    fn mechanism_rule_and_capped_exception() {
        // d = 16: OUE at ε = 1.
        // GRR at ε = 1 over 16 values is not what the rule picks.
        let mut rng = SeededNoise::new(1);
        let m = Mechanism::new(MechanismKind::Grr, 1.0, 16);
        let p = Payload {
            catalog_version: 1,
            day: 20_000,
            reports: (0..3)
                .map(|i| MetricReport {
                    metric: i,
                    mechanism: m,
                    data: m.perturb(1, &mut rng).unwrap(),
                })
                .collect(),
        };
        let r = audit(&[p.to_json()], Policy::default(), None);
        assert_eq!(r.violations.len(), 3, "{}", r.text("t"));
        assert!(r.violations.iter().all(|v| v.rule == "mechanism"));
        // Capped GRR over 16 values: chosen at ε = 1? No (16 ≥ 10.15); at ε = 2
        // it would be (16 < 24.2), so a policy allowing ε = 2 accepts it.
        let z = Mechanism::new(MechanismKind::Grr, 0.0, 16);
        let p = Payload {
            reports: (0..3)
                .map(|i| MetricReport {
                    metric: i,
                    mechanism: z,
                    data: Perturbed::Value(3),
                })
                .collect(),
            ..p
        };
        let r = audit(&[p.to_json()], Policy::default(), None);
        assert!(!r.passed());
        let r = audit(&[p.to_json()], Policy { max_epsilon: 2.0 }, None);
        assert!(r.passed(), "{}", r.text("t"));
    }

    #[test]
    fn non_canonical_but_parseable_is_reported() {
        let cat = synthetic(1, 15);
        let good = payload(&cat, [1.0; 3], 1);
        let spaced = good.replacen(",\"period\"", ", \"period\"", 1);
        let r = audit(&[good.clone(), spaced, good], Policy::default(), None);
        let rules: Vec<(u64, &str)> = r.violations.iter().map(|v| (v.line, v.rule)).collect();
        assert_eq!(rules, [(2, "canonical"), (2, "size")], "{}", r.text("t"));
    }
}
