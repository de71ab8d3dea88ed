//! `hearth report aggregate`: noised payloads in, per-campaign estimates out.
//!
//! # Input
//!
//! JSON lines, one payload per line (`\n` or `\r\n`). Lines that hold only
//! whitespace are counted as blank and skipped. Every other line either
//! contributes to the estimates or is rejected with its line number and the
//! reason: it does not parse ([`Payload::parse`]), or it is a valid payload for
//! another catalog (catalog version or domain size differ from the given
//! catalog). Nothing is dropped silently.
//!
//! # Estimates
//!
//! Payloads are grouped by (catalog version, period). For each group, metric
//! and domain value `v` (campaign `v`, or `v = 0` = no event):
//!
//! - the **support** `c_v` is the number of reports that support `v` (GRR: the
//!   reported value is `v`; OUE: bit `v` is set);
//! - payloads may carry different parameters (a device past its weekly cap
//!   reports ε = 0, `p = q`), so reports are split into classes of identical
//!   mechanism parameters and the **estimate** is the sum over classes with
//!   `p ≠ q` of `Mechanism::estimate(c_v,k, n_k) = (c_v,k − n_k·q_k)/(p_k − q_k)`,
//!   i.e. the sum of the per-payload contributions `(1[supports v] − q)/(p − q)`.
//!   It is unbiased for the number of devices **among those whose report
//!   carried signal** that held `v`. Reports with `p = q` carry no information
//!   about `v`; they are counted (`no_signal`) and do not enter the estimate;
//! - the **variance** is the sum of the class variances
//!   `Mechanism::variance(f_k, n_k)`, which depend on the unknown number `f_k`
//!   of class-`k` devices holding `v`. We plug in `f̂ = max(estimate, 0)`
//!   (capped at the number of signal-carrying reports) shared between classes
//!   in proportion to their sizes: `f_k = f̂ · n_k / n_signal`. With a single
//!   class this is exactly `Mechanism::variance(max(estimate, 0), n)`. The
//!   variance is nearly flat in `f` (it is dominated by `n·q(1−q)/(p−q)²`), so
//!   the plug-in barely matters;
//! - the **95% confidence interval** is `estimate ± 1.96·sqrt(variance)` (normal
//!   approximation; the estimate is a sum of many independent bounded terms).
//!   Intervals are not clipped at 0: a negative lower bound is informative.
//!
//! # Speed
//!
//! Canonical payloads (the only form a phone produces) have a fixed layout, so a
//! fast path reads them by byte slicing: the fixed text is compared with
//! templates learned from lines that went through the full parser
//! ([`Payload::parse`] and a byte-for-byte comparison with
//! [`Payload::to_json`]), and only the period and the data are decoded. A line
//! the fast path does not recognise goes through the full parser, so both paths
//! accept and reject exactly the same lines. See `cli/benches/aggregate.rs`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Read;

use base64::Engine as _;
use hearth_core::report::payload::{SCHEMA, format_day, parse_day};
use hearth_core::report::{METRICS, Mechanism, MechanismKind, Payload, Perturbed};
use serde::Serialize;

use super::{CatalogInfo, LineIssue, thousands};

/// z for a two-sided 95% interval.
pub const Z95: f64 = 1.96;

/// Most distinct parameter sets per metric the fast path remembers (a hostile
/// input with many ε values then simply takes the full parser).
const MAX_TEMPLATES: usize = 16;

/// The fixed text of one metric report, up to its data.
#[derive(Debug, Clone)]
struct Template {
    /// `{"metric":"…","mechanism":"…",…,"data":"`, exactly as in canonical form.
    key: Vec<u8>,
    /// Parameter class (index into `Aggregator::classes[metric]`).
    class: usize,
    /// Length of the data string.
    data_len: usize,
}

#[derive(Debug, Clone, Default)]
struct ClassAcc {
    /// Reports in this class.
    n: u64,
    /// Support count per domain value.
    counts: Vec<u64>,
}

#[derive(Debug, Clone)]
struct Group {
    catalog_version: u64,
    day: i64,
    n: u64,
    /// Per metric, per parameter class.
    metrics: [Vec<ClassAcc>; 3],
}

/// The streaming aggregator. Feed it bytes with [`Aggregator::feed`] (or a
/// reader with [`Aggregator::read_from`]), then take [`Aggregator::report`].
#[derive(Debug, Clone)]
pub struct Aggregator {
    catalog: CatalogInfo,
    d: usize,
    /// OUE data bytes per report.
    oue_bytes: usize,
    /// `{"schema":"hearth-report/1","catalog_version":V,"period":"`.
    head: Vec<u8>,
    /// Distinct mechanisms seen, per metric.
    classes: [Vec<Mechanism>; 3],
    templates: [Vec<Template>; 3],
    groups: Vec<Group>,
    group_index: HashMap<(u64, i64), usize>,
    /// Last period seen by the fast path: its bytes, day and group.
    last_period: Option<([u8; 10], usize)>,
    scratch: Vec<u8>,
    fast_enabled: bool,
    line: u64,
    valid: u64,
    blank: u64,
    fast: u64,
    rejected: Vec<LineIssue>,
}

impl Aggregator {
    /// An aggregator for payloads of `catalog`.
    pub fn new(catalog: CatalogInfo) -> Self {
        let d = catalog.domain() as usize;
        let head = format!(
            "{{\"schema\":\"{SCHEMA}\",\"catalog_version\":{},\"period\":\"",
            catalog.version
        )
        .into_bytes();
        let oue_bytes = d.div_ceil(8);
        Self {
            catalog,
            d,
            oue_bytes,
            head,
            classes: Default::default(),
            templates: Default::default(),
            groups: Vec::new(),
            group_index: HashMap::new(),
            last_period: None,
            scratch: vec![0; 3 * (oue_bytes + 4)],
            fast_enabled: true,
            line: 0,
            valid: 0,
            blank: 0,
            fast: 0,
            rejected: Vec::new(),
        }
    }

    /// Number the next line `first_line` (when feeding a part of a larger input).
    pub fn starting_at_line(mut self, first_line: u64) -> Self {
        self.line = first_line.saturating_sub(1);
        self
    }

    /// Read every line with the full parser (for comparisons and benchmarks).
    pub fn without_fast_path(mut self) -> Self {
        self.fast_enabled = false;
        self
    }

    /// The catalog the payloads are aggregated for.
    pub fn catalog(&self) -> &CatalogInfo {
        &self.catalog
    }

    /// Lines read so far.
    pub fn lines(&self) -> u64 {
        self.line
    }

    /// Valid payloads aggregated so far.
    pub fn valid(&self) -> u64 {
        self.valid
    }

    /// Payloads read by the fast path so far.
    pub fn fast_path(&self) -> u64 {
        self.fast
    }

    /// Lines rejected so far.
    pub fn rejected(&self) -> &[LineIssue] {
        &self.rejected
    }

    /// Aggregate every complete line of `buf` (and, if `eof`, the last line even
    /// without a newline). Returns the bytes consumed; the caller keeps the rest
    /// and feeds it again with more data.
    pub fn feed(&mut self, buf: &[u8], eof: bool) -> usize {
        let mut pos = 0;
        while pos < buf.len() {
            let rest = buf.get(pos..).unwrap_or_default();
            if let Some(used) = self.try_fast(rest, eof) {
                pos += used;
                continue;
            }
            match rest.iter().position(|&c| c == b'\n') {
                Some(i) => {
                    self.line += 1;
                    self.slow(strip_cr(rest.get(..i).unwrap_or_default()));
                    pos += i + 1;
                }
                None if eof => {
                    self.line += 1;
                    self.slow(strip_cr(rest));
                    pos = buf.len();
                }
                None => break,
            }
        }
        pos
    }

    /// Aggregate everything `reader` yields.
    pub fn read_from(&mut self, mut reader: impl Read) -> std::io::Result<()> {
        let mut buf = vec![0u8; 1 << 20];
        let mut filled = 0;
        loop {
            if filled == buf.len() {
                buf.resize(buf.len() * 2, 0);
            }
            let n = match reader.read(buf.get_mut(filled..).unwrap_or_default()) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            filled += n;
            let eof = n == 0;
            let used = self.feed(buf.get(..filled).unwrap_or_default(), eof);
            buf.copy_within(used..filled, 0);
            filled -= used;
            if eof {
                return Ok(());
            }
        }
    }

    fn reject(&mut self, reason: String) {
        self.rejected.push(LineIssue {
            line: self.line,
            reason,
        });
    }

    fn group(&mut self, catalog_version: u64, day: i64) -> usize {
        if let Some(&i) = self.group_index.get(&(catalog_version, day)) {
            return i;
        }
        let i = self.groups.len();
        self.groups.push(Group {
            catalog_version,
            day,
            n: 0,
            metrics: Default::default(),
        });
        self.group_index.insert((catalog_version, day), i);
        i
    }

    fn class_of(&mut self, metric: usize, m: &Mechanism) -> usize {
        let Some(list) = self.classes.get_mut(metric) else {
            return 0;
        };
        if let Some(i) = list.iter().position(|x| {
            x.kind == m.kind && x.epsilon.to_bits() == m.epsilon.to_bits() && x.domain == m.domain
        }) {
            return i;
        }
        list.push(*m);
        list.len() - 1
    }

    fn acc(&mut self, group: usize, metric: usize, class: usize) -> Option<&mut ClassAcc> {
        let d = self.d;
        let list = self.groups.get_mut(group)?.metrics.get_mut(metric)?;
        if list.len() <= class {
            list.resize_with(class + 1, ClassAcc::default);
        }
        let acc = list.get_mut(class)?;
        if acc.counts.len() != d {
            acc.counts = vec![0; d];
        }
        Some(acc)
    }

    /// The fast path: a canonical payload whose fixed text matches learned
    /// templates. Returns the bytes consumed (with the line end) after
    /// aggregating it, or `None` (nothing changed) to let the full parser decide.
    fn try_fast(&mut self, buf: &[u8], eof: bool) -> Option<usize> {
        const MID: &[u8] = b"\",\"reports\":[";
        if !self.fast_enabled || !buf.starts_with(&self.head) {
            return None;
        }
        let mut pos = self.head.len();
        let period: [u8; 10] = buf.get(pos..pos + 10)?.try_into().ok()?;
        pos += 10;
        if !buf.get(pos..)?.starts_with(MID) {
            return None;
        }
        pos += MID.len();
        // (data start, class, data length) per metric.
        let mut parts = [(0usize, 0usize, 0usize); 3];
        for (i, part) in parts.iter_mut().enumerate() {
            if i > 0 {
                if buf.get(pos) != Some(&b',') {
                    return None;
                }
                pos += 1;
            }
            let rest = buf.get(pos..)?;
            let t = self
                .templates
                .get(i)?
                .iter()
                .find(|t| rest.starts_with(&t.key))?;
            pos += t.key.len();
            *part = (pos, t.class, t.data_len);
            pos += t.data_len;
            if buf.get(pos..pos + 2)? != b"\"}" {
                return None;
            }
            pos += 2;
        }
        if buf.get(pos..pos + 2)? != b"]}" {
            return None;
        }
        pos += 2;
        let used = match buf.get(pos) {
            Some(b'\n') => pos + 1,
            Some(b'\r') if buf.get(pos + 1) == Some(&b'\n') => pos + 2,
            None if eof => pos,
            _ => return None,
        };
        // Decode and check every data field before changing anything.
        let need = self.oue_bytes;
        let stride = need + 4;
        let mut values = [None::<u32>; 3];
        for (i, &(start, class, len)) in parts.iter().enumerate() {
            let data = buf.get(start..start + len)?;
            let kind = self.classes.get(i)?.get(class)?.kind;
            match kind {
                MechanismKind::Grr => {
                    if !data.iter().all(u8::is_ascii_digit) {
                        return None;
                    }
                    let v = std::str::from_utf8(data).ok()?.parse::<u32>().ok()?;
                    if v as usize >= self.d {
                        return None;
                    }
                    *values.get_mut(i)? = Some(v);
                }
                MechanismKind::Oue => {
                    let out = self.scratch.get_mut(i * stride..(i + 1) * stride)?;
                    let n = base64::engine::general_purpose::STANDARD
                        .decode_slice(data, out)
                        .ok()?;
                    let spare = need * 8 - self.d;
                    let last = *out.get(need.checked_sub(1)?)?;
                    if n != need || (spare > 0 && last >> (8 - spare) != 0) {
                        return None;
                    }
                }
            }
        }
        // Commit.
        let group = match self.last_period {
            Some((p, g)) if p == period => g,
            _ => {
                let day = parse_day(std::str::from_utf8(&period).ok()?)?;
                let g = self.group(self.catalog.version, day);
                self.last_period = Some((period, g));
                g
            }
        };
        self.line += 1;
        self.valid += 1;
        self.fast += 1;
        if let Some(g) = self.groups.get_mut(group) {
            g.n += 1;
        }
        let scratch = std::mem::take(&mut self.scratch);
        for (i, &(_, class, _)) in parts.iter().enumerate() {
            let value = values.get(i).copied().flatten();
            let bits = scratch.get(i * stride..i * stride + need);
            if let Some(acc) = self.acc(group, i, class) {
                acc.n += 1;
                match (value, bits) {
                    (Some(v), _) => {
                        if let Some(c) = acc.counts.get_mut(v as usize) {
                            *c += 1;
                        }
                    }
                    (None, Some(b)) => count_bits(&mut acc.counts, b),
                    (None, None) => {}
                }
            }
        }
        self.scratch = scratch;
        Some(used)
    }

    /// The full parser, for every line the fast path did not take.
    fn slow(&mut self, line: &[u8]) {
        if line.iter().all(u8::is_ascii_whitespace) {
            self.blank += 1;
            return;
        }
        let Ok(text) = std::str::from_utf8(line) else {
            return self.reject("not UTF-8 text".into());
        };
        let payload = match Payload::parse(text) {
            Ok(p) => p,
            Err(e) => return self.reject(e.to_string()),
        };
        if payload.catalog_version != self.catalog.version {
            return self.reject(format!(
                "malformed for this catalog: catalog version {} is not the given catalog's ({})",
                payload.catalog_version, self.catalog.version
            ));
        }
        for (i, r) in payload.reports.iter().enumerate() {
            if r.mechanism.domain as usize != self.d {
                return self.reject(format!(
                    "malformed for this catalog: reports[{i}] ({}) has domain size {}, the catalog has {} values ({} campaigns + none)",
                    METRICS.get(i).copied().unwrap_or("?"),
                    r.mechanism.domain,
                    self.d,
                    self.d - 1
                ));
            }
        }
        let group = self.group(payload.catalog_version, payload.day);
        self.valid += 1;
        if let Some(g) = self.groups.get_mut(group) {
            g.n += 1;
        }
        for (i, r) in payload.reports.iter().enumerate() {
            let class = self.class_of(i, &r.mechanism);
            if let Some(acc) = self.acc(group, i, class) {
                acc.n += 1;
                match &r.data {
                    Perturbed::Value(v) => {
                        if let Some(c) = acc.counts.get_mut(*v as usize) {
                            *c += 1;
                        }
                    }
                    Perturbed::Bits(b) => count_bits(&mut acc.counts, b),
                }
            }
        }
        if self.fast_enabled && payload.to_json().as_bytes() == line {
            self.learn(line, &payload);
        }
    }

    /// Remember the fixed text of each report of a canonical line.
    fn learn(&mut self, line: &[u8], payload: &Payload) {
        const METRIC: &[u8] = b"{\"metric\":\"";
        const DATA: &[u8] = b"\"data\":\"";
        let mut from = 0;
        for (i, r) in payload.reports.iter().enumerate() {
            let Some(start) = find(line, METRIC, from) else {
                return;
            };
            let Some(data) = find(line, DATA, start).map(|p| p + DATA.len()) else {
                return;
            };
            let Some(end) = find(line, b"\"}", data) else {
                return;
            };
            from = end;
            let key = line.get(start..data).unwrap_or_default();
            let class = self.class_of(i, &r.mechanism);
            let Some(list) = self.templates.get_mut(i) else {
                return;
            };
            if list.len() < MAX_TEMPLATES && !list.iter().any(|t| t.key == key) {
                list.push(Template {
                    key: key.to_vec(),
                    class,
                    data_len: end - data,
                });
            }
        }
    }

    /// Add everything `other` aggregated (same catalog) to this aggregator.
    /// Rejected lines are appended as they are (number `other`'s lines with
    /// [`Aggregator::starting_at_line`]).
    pub fn merge(&mut self, other: &Aggregator) {
        for g in &other.groups {
            let gi = self.group(g.catalog_version, g.day);
            if let Some(x) = self.groups.get_mut(gi) {
                x.n += g.n;
            }
            for (m, accs) in g.metrics.iter().enumerate() {
                for (k, a) in accs.iter().enumerate() {
                    let Some(mech) = other.classes.get(m).and_then(|c| c.get(k)).copied() else {
                        continue;
                    };
                    let class = self.class_of(m, &mech);
                    if let Some(acc) = self.acc(gi, m, class) {
                        acc.n += a.n;
                        for (c, o) in acc.counts.iter_mut().zip(&a.counts) {
                            *c += o;
                        }
                    }
                }
            }
        }
        self.line = self.line.max(other.line);
        self.valid += other.valid;
        self.blank += other.blank;
        self.fast += other.fast;
        self.rejected.extend(other.rejected.iter().cloned());
    }

    /// The estimates, groups sorted by period.
    pub fn report(&self) -> AggregateReport {
        let mut groups: Vec<&Group> = self.groups.iter().collect();
        groups.sort_by_key(|g| (g.catalog_version, g.day));
        AggregateReport {
            catalog_version: self.catalog.version,
            campaigns: self.catalog.campaign_ids.len(),
            lines: self.line,
            valid: self.valid,
            blank: self.blank,
            fast_path: self.fast,
            rejected: self.rejected.clone(),
            groups: groups.into_iter().map(|g| self.group_result(g)).collect(),
        }
    }

    fn group_result(&self, g: &Group) -> GroupResult {
        let metrics = (0..METRICS.len())
            .map(|m| {
                let classes = self.classes.get(m).map_or(&[][..], Vec::as_slice);
                let accs = g.metrics.get(m).map_or(&[][..], Vec::as_slice);
                let mut mechanisms = Vec::new();
                let (mut reports, mut no_signal) = (0, 0);
                for (mech, acc) in classes.iter().zip(accs) {
                    if acc.n == 0 {
                        continue;
                    }
                    reports += acc.n;
                    if mech.p == mech.q {
                        no_signal += acc.n;
                    }
                    mechanisms.push(MechanismUse {
                        mechanism: kind_name(mech.kind),
                        epsilon: mech.epsilon,
                        p: mech.p,
                        q: mech.q,
                        reports: acc.n,
                    });
                }
                let values: Vec<Estimate> = (0..self.d as u32)
                    .map(|v| estimate_value(classes, accs, v, &self.catalog))
                    .collect();
                let mut values = values.into_iter();
                let no_event = values.next().unwrap_or_else(|| Estimate::empty(0, "none"));
                MetricResult {
                    metric: METRICS.get(m).copied().unwrap_or("?").to_string(),
                    reports,
                    no_signal,
                    mechanisms,
                    no_event,
                    campaigns: values.collect(),
                }
            })
            .collect();
        GroupResult {
            catalog_version: g.catalog_version,
            period: format_day(g.day),
            day: g.day,
            reports: g.n,
            metrics,
        }
    }
}

fn estimate_value(
    classes: &[Mechanism],
    accs: &[ClassAcc],
    v: u32,
    catalog: &CatalogInfo,
) -> Estimate {
    let mut support = 0u64;
    let mut est = 0.0;
    let mut n_signal = 0u64;
    let signal: Vec<(&Mechanism, u64)> = classes
        .iter()
        .zip(accs)
        .filter(|(_, a)| a.n > 0)
        .map(|(m, a)| {
            let c = a.counts.get(v as usize).copied().unwrap_or(0);
            support += c;
            if m.p != m.q {
                est += m.estimate(c as f64, a.n as f64);
                n_signal += a.n;
            }
            (m, a.n)
        })
        .filter(|(m, _)| m.p != m.q)
        .collect();
    let mut e = Estimate::empty(v, catalog.value_name(v));
    e.support = support;
    if n_signal == 0 {
        return e;
    }
    let total = n_signal as f64;
    let f = est.clamp(0.0, total);
    let var: f64 = signal
        .iter()
        .map(|(m, n)| m.variance(f * *n as f64 / total, *n as f64))
        .sum();
    let se = var.max(0.0).sqrt();
    e.estimate = Some(est);
    e.std_error = Some(se);
    e.ci_low = Some(est - Z95 * se);
    e.ci_high = Some(est + Z95 * se);
    e
}

/// Add one to `counts[i]` for every set bit `i` of `bytes` (little-endian bit
/// order, as `Mechanism::perturb` packs them).
fn count_bits(counts: &mut [u64], bytes: &[u8]) {
    for (ci, chunk) in bytes.chunks(8).enumerate() {
        let mut w = [0u8; 8];
        if let Some(dst) = w.get_mut(..chunk.len()) {
            dst.copy_from_slice(chunk);
        }
        let mut x = u64::from_le_bytes(w);
        while x != 0 {
            let t = x.trailing_zeros() as usize;
            if let Some(c) = counts.get_mut(ci * 64 + t) {
                *c += 1;
            }
            x &= x - 1;
        }
    }
}

fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// `grr` or `oue`.
pub fn kind_name(kind: MechanismKind) -> &'static str {
    kind.name()
}

/// Everything `report aggregate` found.
#[derive(Debug, Clone, Serialize)]
pub struct AggregateReport {
    /// The catalog version aggregated for.
    pub catalog_version: u64,
    /// Campaigns in that catalog.
    pub campaigns: usize,
    /// Lines read.
    pub lines: u64,
    /// Valid payloads aggregated.
    pub valid: u64,
    /// Blank lines skipped.
    pub blank: u64,
    /// Payloads read by the fast path (the rest took the full parser).
    pub fast_path: u64,
    /// Lines rejected, with the reason.
    pub rejected: Vec<LineIssue>,
    /// One entry per (catalog version, period).
    pub groups: Vec<GroupResult>,
}

/// Estimates for one (catalog version, period).
#[derive(Debug, Clone, Serialize)]
pub struct GroupResult {
    /// Catalog version.
    pub catalog_version: u64,
    /// Period, `YYYY-MM-DD`.
    pub period: String,
    /// Period as days since the epoch.
    #[serde(skip)]
    pub day: i64,
    /// Valid payloads in the group (`n`).
    pub reports: u64,
    /// One per metric, in payload order.
    pub metrics: Vec<MetricResult>,
}

/// Estimates for one metric of one group.
#[derive(Debug, Clone, Serialize)]
pub struct MetricResult {
    /// Metric name.
    pub metric: String,
    /// Reports (equals the group's `reports`).
    pub reports: u64,
    /// Reports with `p = q` (ε = 0: a device past its cap): no signal.
    pub no_signal: u64,
    /// The parameter classes present.
    pub mechanisms: Vec<MechanismUse>,
    /// The estimate for value 0: devices with no event of this metric.
    pub no_event: Estimate,
    /// One per campaign, in catalog order.
    pub campaigns: Vec<Estimate>,
}

/// Reports that used one set of mechanism parameters.
#[derive(Debug, Clone, Serialize)]
pub struct MechanismUse {
    /// `grr` or `oue`.
    pub mechanism: &'static str,
    /// ε.
    pub epsilon: f64,
    /// p.
    pub p: f64,
    /// q.
    pub q: f64,
    /// How many reports.
    pub reports: u64,
}

/// The estimate for one domain value.
#[derive(Debug, Clone, Serialize)]
pub struct Estimate {
    /// Domain value (0 = none, i = campaign i).
    pub value: u32,
    /// Campaign id (`none` for value 0).
    pub campaign_id: String,
    /// Reports supporting the value (`c_v`).
    pub support: u64,
    /// Unbiased estimate of the number of devices (None: no report had signal).
    pub estimate: Option<f64>,
    /// Its estimated standard error.
    pub std_error: Option<f64>,
    /// 95% CI, low end.
    pub ci_low: Option<f64>,
    /// 95% CI, high end.
    pub ci_high: Option<f64>,
}

impl Estimate {
    fn empty(value: u32, name: &str) -> Self {
        Self {
            value,
            campaign_id: name.to_string(),
            support: 0,
            estimate: None,
            std_error: None,
            ci_low: None,
            ci_high: None,
        }
    }
}

impl AggregateReport {
    /// The table `report aggregate` prints.
    pub fn table(&self) -> String {
        let mut t = String::new();
        let _ = writeln!(
            t,
            "catalog version {} ({} campaigns): {} lines, {} valid payloads, {} rejected, {} blank",
            self.catalog_version,
            self.campaigns,
            thousands(self.lines),
            thousands(self.valid),
            thousands(self.rejected.len() as u64),
            thousands(self.blank)
        );
        for g in &self.groups {
            let _ = writeln!(t, "\nperiod {}: {} reports", g.period, thousands(g.reports));
            for m in &g.metrics {
                let mechs: Vec<String> = m
                    .mechanisms
                    .iter()
                    .map(|u| {
                        format!(
                            "{} ε={} (p={:.6}, q={:.6}) × {}",
                            u.mechanism,
                            u.epsilon,
                            u.p,
                            u.q,
                            thousands(u.reports)
                        )
                    })
                    .collect();
                let _ = writeln!(
                    t,
                    "  {}: {}; without signal (ε=0): {}",
                    m.metric,
                    mechs.join(", "),
                    thousands(m.no_signal)
                );
            }
            let _ = writeln!(
                t,
                "{:<10}  {:<11}  {:<24} {:>12} {:>12} {:>12} {:>10}",
                "period", "metric", "campaign", "estimate", "95% CI low", "95% CI high", "reports"
            );
            for m in &g.metrics {
                for e in &m.campaigns {
                    let f =
                        |x: Option<f64>| x.map_or_else(|| "-".to_string(), |x| format!("{x:.1}"));
                    let _ = writeln!(
                        t,
                        "{:<10}  {:<11}  {:<24} {:>12} {:>12} {:>12} {:>10}",
                        g.period,
                        m.metric,
                        e.campaign_id,
                        f(e.estimate),
                        f(e.ci_low),
                        f(e.ci_high),
                        m.reports
                    );
                }
            }
        }
        if !self.rejected.is_empty() {
            let _ = writeln!(
                t,
                "\n{} rejected line(s), not aggregated:",
                thousands(self.rejected.len() as u64)
            );
            for r in &self.rejected {
                let _ = writeln!(t, "line {}: {}", r.line, r.reason);
            }
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report_tools::SeededNoise;
    use hearth_core::report::MetricReport;

    fn payload(cat: &CatalogInfo, day: i64, eps: f64, values: [u32; 3], seed: u64) -> String {
        let d = cat.domain();
        let kind = Mechanism::choose(1.0, d).unwrap().kind;
        let mut rng = SeededNoise::new(seed);
        Payload {
            catalog_version: cat.version,
            day,
            reports: (0..3)
                .map(|i| {
                    let m = Mechanism::new(kind, eps, d);
                    MetricReport {
                        metric: i,
                        mechanism: m,
                        data: m.perturb(values[i], &mut rng).unwrap(),
                    }
                })
                .collect(),
        }
        .to_json()
    }

    fn lines(cat: &CatalogInfo, n: u64) -> String {
        let mut s = String::new();
        for i in 0..n {
            let eps = if i % 5 == 0 { 0.0 } else { 1.0 };
            let day = 20_000 + (i % 2) as i64;
            s.push_str(&payload(cat, day, eps, [(i % 7) as u32, 1, 0], i));
            s.push('\n');
        }
        s
    }

    /// Same estimates and rejections (the fast-path count may differ).
    fn same(a: &AggregateReport, b: &AggregateReport) {
        let j = |r: &AggregateReport| {
            serde_json::to_string(&(&r.groups, &r.rejected, r.valid, r.blank, r.lines)).unwrap()
        };
        assert_eq!(j(a), j(b));
    }

    #[test]
    fn fast_path_and_full_parser_agree_for_oue_and_grr() {
        for campaigns in [100u32, 4] {
            let cat = CatalogInfo::synthetic(7, campaigns);
            let input = lines(&cat, 300);
            let mut fast = Aggregator::new(cat.clone());
            fast.feed(input.as_bytes(), true);
            assert!(fast.fast_path() > 250, "{}", fast.fast_path());
            // The full parser only: no templates learned.
            let mut slow = Aggregator::new(cat.clone()).without_fast_path();
            slow.feed(input.as_bytes(), true);
            assert_eq!(slow.fast_path(), 0);
            let (a, b) = (fast.report(), slow.report());
            assert_eq!(a.valid, 300);
            assert_eq!(a.groups.len(), 2);
            same(&a, &b);
        }
    }

    #[test]
    fn estimates_sum_per_payload_contributions_and_skip_no_signal() {
        let cat = CatalogInfo::synthetic(1, 3);
        let input = lines(&cat, 50);
        let mut agg = Aggregator::new(cat.clone());
        agg.feed(input.as_bytes(), true);
        let r = agg.report();
        for g in &r.groups {
            let m = &g.metrics[0];
            // By hand: Σ over payloads with p ≠ q of (1[supports v] − q)/(p − q).
            for v in 0..4u32 {
                let mut by_hand = 0.0;
                for line in input.lines() {
                    let p = Payload::parse(line).unwrap();
                    if p.day != g.day {
                        continue;
                    }
                    let rep = &p.reports[0];
                    let (pp, qq) = (rep.mechanism.p, rep.mechanism.q);
                    if pp != qq {
                        let s = f64::from(u8::from(rep.data.supports(v)));
                        by_hand += (s - qq) / (pp - qq);
                    }
                }
                let e = if v == 0 {
                    &m.no_event
                } else {
                    &m.campaigns[v as usize - 1]
                };
                assert!((e.estimate.unwrap() - by_hand).abs() < 1e-9, "{v}");
            }
            assert_eq!(m.no_signal, 5);
            assert_eq!(m.reports, 25);
        }
    }

    #[test]
    fn variance_is_the_single_class_formula_when_there_is_one_class() {
        let cat = CatalogInfo::synthetic(1, 100);
        let mut agg = Aggregator::new(cat.clone());
        let mut s = String::new();
        for i in 0..200 {
            s.push_str(&payload(&cat, 20_000, 1.0, [(i % 3) as u32, 0, 0], i));
            s.push('\n');
        }
        agg.feed(s.as_bytes(), true);
        let r = agg.report();
        let m = Mechanism::choose(1.0, 101).unwrap();
        let e = &r.groups[0].metrics[0].campaigns[0];
        let est = e.estimate.unwrap();
        let var = m.variance(est.clamp(0.0, 200.0), 200.0);
        assert!((e.std_error.unwrap() - var.sqrt()).abs() < 1e-9);
        assert!((e.ci_high.unwrap() - (est + 1.96 * var.sqrt())).abs() < 1e-9);
    }

    #[test]
    fn rejected_lines_are_listed_and_chunking_does_not_matter() {
        let cat = CatalogInfo::synthetic(1, 100);
        let other = CatalogInfo::synthetic(2, 100);
        let smaller = CatalogInfo::synthetic(1, 50);
        let good = payload(&cat, 20_000, 1.0, [3, 0, 0], 1);
        let input = [
            good.clone(),
            "not json".to_string(),
            payload(&other, 20_000, 1.0, [3, 0, 0], 2),
            String::new(),
            payload(&smaller, 20_000, 1.0, [3, 0, 0], 3),
            good.replacen("\"data\"", "\"extra\":1,\"data\"", 1),
            format!("{good}\r"),
            good.clone(),
        ]
        .join("\n");
        let mut whole = Aggregator::new(cat.clone());
        whole.feed(input.as_bytes(), true);
        let r = whole.report();
        let lines: Vec<u64> = r.rejected.iter().map(|x| x.line).collect();
        assert_eq!(lines, [2, 3, 5, 6], "{:?}", r.rejected);
        assert!(r.rejected[1].reason.contains("catalog version 2"));
        assert!(r.rejected[2].reason.contains("domain size 51"));
        assert!(r.rejected[3].reason.contains("unknown field"));
        assert_eq!((r.valid, r.blank, r.lines), (3, 1, 8));
        // Byte by byte through a reader: the same result.
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = self.0.len().min(buf.len()).min(7);
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut trickled = Aggregator::new(cat);
        trickled.read_from(Trickle(input.as_bytes())).unwrap();
        same(&r, &trickled.report());
    }

    #[test]
    fn merge_equals_one_pass() {
        let cat = CatalogInfo::synthetic(1, 20);
        let input = lines(&cat, 100);
        let mut one = Aggregator::new(cat.clone());
        one.feed(input.as_bytes(), true);
        let all: Vec<&str> = input.lines().collect();
        let mut merged = Aggregator::new(cat.clone());
        for (k, chunk) in all.chunks(30).enumerate() {
            let mut part = Aggregator::new(cat.clone()).starting_at_line(k as u64 * 30 + 1);
            part.feed(chunk.join("\n").as_bytes(), true);
            merged.merge(&part);
        }
        let (a, b) = (one.report(), merged.report());
        same(&a, &b);
    }
}
