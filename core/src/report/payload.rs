//! The report payload: canonical JSON, fixed size for a given schema version and
//! catalog.
//!
//! ```json
//! {"schema":"hearth-report/1","catalog_version":12,"period":"2026-11-29","reports":[
//!   {"metric":"impressions","mechanism":"oue","epsilon":1.000000,
//!    "p":0.50000000000000000,"q":0.26894142137000000,
//!    "domain":{"size":101,"encoding":"0=none,i=campaign i of the catalog"},
//!    "data":"<base64 of ceil(size/8) bytes>"},
//!   …clicks…, …conversions…]}
//! ```
//!
//! (shown wrapped; the real payload has no whitespace). Canonical means: keys in
//! exactly this order, no whitespace, `epsilon` with 6 decimals, `p` and `q`
//! with 17 decimals, `period` as `YYYY-MM-DD`, GRR data as a decimal string
//! zero-padded to the width of `size - 1`, OUE data as standard padded base64.
//! Every field's width is then fixed by the schema version, the catalog version
//! and the domain size, so all payloads for one catalog have the same length.
//! There is no device or user identifier, no time finer than the period, no free
//! text.

use base64::Engine as _;
use serde::Deserialize;

use super::mechanism::{Mechanism, MechanismKind, Perturbed};
use crate::error::{Error, Result};

/// The schema tag.
pub const SCHEMA: &str = "hearth-report/1";
/// Metric names, in payload order.
pub const METRICS: [&str; 3] = ["impressions", "clicks", "conversions"];
/// The fixed domain encoding text.
pub const ENCODING: &str = "0=none,i=campaign i of the catalog";

/// One metric's noised value.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricReport {
    /// Metric index into [`METRICS`].
    pub metric: usize,
    /// The mechanism and its parameters.
    pub mechanism: Mechanism,
    /// The perturbed value.
    pub data: Perturbed,
}

/// A parsed or built payload.
#[derive(Debug, Clone, PartialEq)]
pub struct Payload {
    /// Catalog version that defines the domain.
    pub catalog_version: u64,
    /// Period: days since the epoch (UTC).
    pub day: i64,
    /// One report per metric, in [`METRICS`] order.
    pub reports: Vec<MetricReport>,
}

/// `YYYY-MM-DD` of a day number (days since 1970-01-01), proleptic Gregorian.
pub fn format_day(day: i64) -> String {
    // Howard Hinnant's civil_from_days.
    let z = day + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!("{y:04}-{m:02}-{d:02}")
}

/// Day number of `YYYY-MM-DD` (strict: exactly that shape, a real date).
pub fn parse_day(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())?
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&m) || d < 1 {
        return None;
    }
    // Hinnant's days_from_civil.
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let day = era * 146_097 + doe - 719_468;
    (format_day(day) == s).then_some(day)
}

fn digits(mut n: u32) -> usize {
    let mut k = 1;
    while n >= 10 {
        n /= 10;
        k += 1;
    }
    k
}

impl Payload {
    /// The canonical JSON.
    pub fn to_json(&self) -> String {
        let mut s = String::with_capacity(256 + 3 * 64);
        s.push_str("{\"schema\":\"");
        s.push_str(SCHEMA);
        s.push_str(&format!(
            "\",\"catalog_version\":{},\"period\":\"{}\",\"reports\":[",
            self.catalog_version,
            format_day(self.day)
        ));
        for (i, r) in self.reports.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            let m = &r.mechanism;
            let kind = match m.kind {
                MechanismKind::Grr => "grr",
                MechanismKind::Oue => "oue",
            };
            let data = match &r.data {
                Perturbed::Value(v) => {
                    format!("{v:0width$}", width = digits(m.domain.saturating_sub(1)))
                }
                Perturbed::Bits(b) => base64::engine::general_purpose::STANDARD.encode(b),
            };
            s.push_str(&format!(
                "{{\"metric\":\"{}\",\"mechanism\":\"{kind}\",\"epsilon\":{:.6},\"p\":{:.17},\"q\":{:.17},\"domain\":{{\"size\":{},\"encoding\":\"{ENCODING}\"}},\"data\":\"{data}\"}}",
                METRICS.get(r.metric).copied().unwrap_or("?"),
                m.epsilon,
                m.p,
                m.q,
                m.domain,
            ));
        }
        s.push_str("]}");
        s
    }

    /// Parse a payload strictly: exact field set, known schema, consistent
    /// mechanism parameters, data of the right shape. (Policy checks such as a
    /// maximum ε and the canonical size are the auditor's.)
    pub fn parse(json: &str) -> Result<Payload> {
        let raw: RawPayload<'_> =
            serde_json::from_str(json).map_err(|e| Error::InvalidPayload(e.to_string()))?;
        let bad = |m: String| Err(Error::InvalidPayload(m));
        if raw.schema != SCHEMA {
            return bad(format!("schema {:?} is not {SCHEMA:?}", raw.schema));
        }
        let Some(day) = parse_day(raw.period) else {
            return bad(format!("period {:?} is not a YYYY-MM-DD date", raw.period));
        };
        if raw.reports.len() != METRICS.len() {
            return bad(format!(
                "{} reports, expected {}",
                raw.reports.len(),
                METRICS.len()
            ));
        }
        let mut reports = Vec::with_capacity(3);
        for (i, r) in raw.reports.iter().enumerate() {
            if Some(&r.metric) != METRICS.get(i) {
                return bad(format!("reports[{i}].metric is {:?}", r.metric));
            }
            if r.domain.encoding != ENCODING || r.domain.size < 2 {
                return bad(format!(
                    "reports[{i}].domain is not a valid campaign domain"
                ));
            }
            let kind = match r.mechanism {
                "grr" => MechanismKind::Grr,
                "oue" => MechanismKind::Oue,
                other => return bad(format!("reports[{i}].mechanism {other:?} is unknown")),
            };
            if !(r.epsilon.is_finite() && (0.0..=20.0).contains(&r.epsilon)) {
                return bad(format!(
                    "reports[{i}].epsilon {} is out of range",
                    r.epsilon
                ));
            }
            let mut m = Mechanism::new(kind, r.epsilon, r.domain.size);
            if (m.p - r.p).abs() > 1e-12 || (m.q - r.q).abs() > 1e-12 {
                return bad(format!(
                    "reports[{i}]: p={} q={} are not the {} parameters for epsilon {} and size {}",
                    r.p, r.q, r.mechanism, r.epsilon, r.domain.size
                ));
            }
            // Keep the stated values (consistent to 1e-12): another platform's
            // `exp` may differ in the last bit, and the canonical form must
            // round-trip the bytes the phone wrote.
            m.p = r.p;
            m.q = r.q;
            let data = match kind {
                MechanismKind::Grr => {
                    let w = digits(r.domain.size - 1);
                    let ok = r.data.len() == w && r.data.bytes().all(|c| c.is_ascii_digit());
                    match r.data.parse::<u32>() {
                        Ok(v) if ok && v < r.domain.size => Perturbed::Value(v),
                        _ => return bad(format!("reports[{i}].data is not a value of the domain")),
                    }
                }
                MechanismKind::Oue => {
                    let bytes = base64::engine::general_purpose::STANDARD
                        .decode(r.data)
                        .map_err(|e| Error::InvalidPayload(format!("reports[{i}].data: {e}")))?;
                    let need = r.domain.size.div_ceil(8) as usize;
                    let spare = need * 8 - r.domain.size as usize;
                    let last_ok = bytes
                        .last()
                        .is_none_or(|b| spare == 0 || b >> (8 - spare) == 0);
                    if bytes.len() != need || !last_ok {
                        return bad(format!(
                            "reports[{i}].data does not hold {} bits",
                            r.domain.size
                        ));
                    }
                    Perturbed::Bits(bytes)
                }
            };
            reports.push(MetricReport {
                metric: i,
                mechanism: m,
                data,
            });
        }
        Ok(Payload {
            catalog_version: raw.catalog_version,
            day,
            reports,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPayload<'a> {
    #[serde(borrow)]
    schema: &'a str,
    catalog_version: u64,
    #[serde(borrow)]
    period: &'a str,
    #[serde(borrow)]
    reports: Vec<RawReport<'a>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReport<'a> {
    #[serde(borrow)]
    metric: &'a str,
    #[serde(borrow)]
    mechanism: &'a str,
    epsilon: f64,
    p: f64,
    q: f64,
    #[serde(borrow)]
    domain: RawDomain<'a>,
    #[serde(borrow)]
    data: &'a str,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDomain<'a> {
    size: u32,
    #[serde(borrow)]
    encoding: &'a str,
}

#[cfg(test)]
mod tests {
    use super::super::mechanism::SeededNoise;
    use super::*;

    fn payload(eps: f64, domain: u32, values: [u32; 3], seed: u64) -> Payload {
        let mut rng = SeededNoise::new(seed);
        let kind = Mechanism::choose(1.0, domain).unwrap().kind;
        Payload {
            catalog_version: 42,
            day: 20_000,
            reports: (0..3)
                .map(|i| {
                    let m = Mechanism::new(kind, eps, domain);
                    MetricReport {
                        metric: i,
                        mechanism: m,
                        data: m.perturb(values[i], &mut rng).unwrap(),
                    }
                })
                .collect(),
        }
    }

    #[test]
    fn dates_round_trip() {
        assert_eq!(format_day(0), "1970-01-01");
        assert_eq!(format_day(20_422), "2025-11-30");
        for d in [-1000, 0, 59, 365 * 30 + 7, 20_422, 100_000] {
            assert_eq!(parse_day(&format_day(d)), Some(d));
        }
        for bad in [
            "2025-02-30",
            "2025-13-01",
            "25-01-01",
            "2025-1-01",
            "2025/01/01",
            "2025-01-0x",
        ] {
            assert_eq!(parse_day(bad), None, "{bad}");
        }
    }

    #[test]
    fn payload_round_trips_and_has_fixed_size() {
        for domain in [5u32, 101, 2000] {
            let sizes: Vec<usize> = (0..20)
                .map(|s| {
                    let eps = if s % 3 == 0 { 0.0 } else { 1.0 };
                    let p = payload(eps, domain, [s % domain, 0, domain - 1], s as u64);
                    let j = p.to_json();
                    assert_eq!(Payload::parse(&j).unwrap(), p, "{j}");
                    j.len()
                })
                .collect();
            assert!(sizes.iter().all(|&s| s == sizes[0]), "{domain}: {sizes:?}");
        }
    }

    #[test]
    fn parser_rejects_what_is_not_a_payload() {
        let good = payload(1.0, 101, [1, 2, 3], 1).to_json();
        let cases = [
            good.replace("\"schema\":\"hearth-report/1\"", "\"schema\":\"x\""),
            good.replacen("{\"metric\"", "{\"extra\":1,\"metric\"", 1),
            good.replace(
                "\"period\":\"2024-10-04\"",
                "\"period\":\"2024-10-04T00:00\"",
            ),
            good.replacen("\"q\":0.26894142136999510", "\"q\":0.3", 1),
            good.replacen("\"mechanism\":\"oue\"", "\"mechanism\":\"olh\"", 1),
            good.replace("]}", "]"),
        ];
        for (i, c) in cases.iter().enumerate() {
            assert_ne!(c, &good, "case {i} did not change the payload");
            assert!(Payload::parse(c).is_err(), "case {i}: {c}");
        }
    }
}
