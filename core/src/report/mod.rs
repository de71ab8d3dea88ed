//! Aggregate, noised reporting: the only data meant to leave the phone.
//!
//! # What a device contributes
//!
//! The reporting period is one UTC day. For each metric (impressions, clicks,
//! conversions) a device contributes **one value** per period: the catalog
//! campaign with the most events of that metric that day (ties: the earlier
//! campaign in catalog order), or "none". That is the contribution bound: at
//! most one campaign per metric per period, counted once, whatever the device
//! did. The domain is `d = campaigns + 1` values: `0` = none, `i` = the `i`-th
//! campaign of the catalog (1-based, catalog order) named by the payload's
//! catalog version.
//!
//! An aggregator's estimate for campaign `c` is therefore the number of devices
//! whose top campaign for the metric was `c` that day; summed over campaigns it
//! is the number of devices with any event.
//!
//! # Noise and budget
//!
//! Each value is perturbed by the mechanism [`mechanism::Mechanism::choose`]
//! picks for `d` at the configured ε (GRR for small domains, OUE otherwise).
//! The [`Ledger`] records ε per metric per period. Defaults: ε = 1 per metric per
//! period, and at most 7 per metric in any 7 consecutive periods. A period whose
//! spending would exceed the cap is reported with ε = 0: the same mechanism,
//! size and shape, but `p = q`, so it carries no signal. Spending is never
//! refunded: the ledger survives restarts, `reset()`, consent changes and clock
//! changes (a period that was closed is never closed again, and at most the 7
//! most recent periods are closed at once, however far the clock jumps).
//!
//! # Once, and unchanged
//!
//! When a period closes, its payload is generated once and stored, together with
//! the ledger entry, in one atomic write, before it is handed out. Until the app
//! acknowledges the upload, [`crate::Engine::pending_reports`] returns the same
//! bytes (fresh noise on a retry would let a collector average it away).
//! Payloads stay in a transparency log for 30 days.
//!
//! The payload format is specified in `docs/report-payload.md` and
//! `docs/report-payload.schema.json`.

pub mod audit;
pub mod mechanism;
pub mod payload;

use serde::{Deserialize, Serialize};

use crate::clock::{DAY_MS, Timestamp};
use crate::error::{Error, Result};
pub use mechanism::{Mechanism, MechanismKind, NoiseSource, Perturbed, SystemNoise};
pub use payload::{METRICS, MetricReport, Payload};

/// Name of the store record holding the ledger and the reports.
pub const REPORTS_RECORD: &str = "reports";
/// Schema version of that record.
pub const REPORTS_SCHEMA: u16 = 1;
/// Periods looked back when closing (at most this many are closed at once).
pub const CLOSE_LOOKBACK_DAYS: i64 = 7;
/// Days payloads stay in the transparency log.
pub const LOG_DAYS: i64 = 30;

/// Privacy-budget settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportConfig {
    /// ε spent per metric per period. Default 1.0. Range (0, 8].
    pub epsilon_per_metric: f64,
    /// Most ε per metric in any 7 consecutive periods. Default 7.0.
    pub weekly_cap_per_metric: f64,
}

impl Default for ReportConfig {
    fn default() -> Self {
        Self {
            epsilon_per_metric: 1.0,
            weekly_cap_per_metric: 7.0,
        }
    }
}

impl ReportConfig {
    pub(crate) fn validate(&self) -> Result<()> {
        if !(self.epsilon_per_metric > 0.0 && self.epsilon_per_metric <= 8.0) {
            return Err(Error::InvalidConfig {
                field: "reports.epsilon_per_metric",
                reason: "must be within (0, 8]".into(),
            });
        }
        // The payload states ε with 6 decimals and p, q are recomputed from the
        // stated ε: an ε with more decimals would make every payload
        // inconsistent (rejected by `Payload::parse`, the aggregator and the
        // auditor).
        if !has_at_most_6_decimals(self.epsilon_per_metric) {
            return Err(Error::InvalidConfig {
                field: "reports.epsilon_per_metric",
                reason: format!(
                    "{} has more than 6 decimals (payloads state ε with 6)",
                    self.epsilon_per_metric
                ),
            });
        }
        if !(self.weekly_cap_per_metric.is_finite() && self.weekly_cap_per_metric >= 0.0) {
            return Err(Error::InvalidConfig {
                field: "reports.weekly_cap_per_metric",
                reason: "must be finite and non-negative".into(),
            });
        }
        Ok(())
    }
}

/// True if `x` is exactly what a 6-decimal rendering of it parses back to, so
/// a payload stating it with 6 decimals recomputes the same `p` and `q`.
pub fn has_at_most_6_decimals(x: f64) -> bool {
    format!("{x:.6}").parse::<f64>().ok() == Some(x)
}

/// One ledger entry: ε spent on one metric for one period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spend {
    /// Period (days since the epoch, UTC).
    pub day: i64,
    /// Metric index (0 impressions, 1 clicks, 2 conversions).
    pub metric: u8,
    /// ε spent (0 when the cap was reached).
    pub epsilon: f64,
}

/// A payload produced by this device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredReport {
    /// Local handle (never in the payload).
    pub handle: u64,
    /// Period (days since the epoch, UTC).
    pub day: i64,
    /// When it was produced (local; never in the payload).
    pub created_at: Timestamp,
    /// When the app acknowledged the upload.
    pub acknowledged_at: Option<Timestamp>,
    /// The exact payload bytes (canonical JSON).
    pub payload: String,
}

/// The privacy-budget ledger and the reports, persisted together.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Ledger {
    /// Every spend within the cap window (older ones are pruned; they can no
    /// longer affect the cap).
    pub spends: Vec<Spend>,
    /// The latest period ever closed; periods up to it are never closed again.
    pub last_closed_day: Option<i64>,
    /// Reports of the last 30 days.
    pub reports: Vec<StoredReport>,
    /// Next handle.
    pub next_handle: u64,
}

/// Days since the epoch (UTC) of a time.
pub fn day_of(t: Timestamp) -> i64 {
    t.div_euclid(DAY_MS)
}

impl Ledger {
    /// ε spent on `metric` in the 7 periods ending at `day`.
    pub fn spent_in_window(&self, metric: u8, day: i64) -> f64 {
        self.spends
            .iter()
            .filter(|s| s.metric == metric && s.day > day - 7 && s.day <= day)
            .map(|s| s.epsilon)
            .sum()
    }

    /// Periods that are due to close at `now`: every day after the last closed
    /// one and before today, at most the [`CLOSE_LOOKBACK_DAYS`] latest.
    pub fn due(&self, now: Timestamp) -> Vec<i64> {
        let today = day_of(now);
        let first =
            (today - CLOSE_LOOKBACK_DAYS).max(self.last_closed_day.map_or(i64::MIN, |d| d + 1));
        (first..today).collect()
    }

    /// Decide ε for each metric of `day`, record it, and mark `day` closed.
    /// Returns the ε to use per metric (the configured ε, or 0 past the cap).
    pub fn spend(&mut self, day: i64, cfg: &ReportConfig) -> [f64; 3] {
        let mut out = [0.0; 3];
        for (m, e) in out.iter_mut().enumerate() {
            let metric = m as u8;
            let spent = self.spent_in_window(metric, day);
            let eps = if spent + cfg.epsilon_per_metric <= cfg.weekly_cap_per_metric + 1e-9 {
                cfg.epsilon_per_metric
            } else {
                0.0
            };
            self.spends.push(Spend {
                day,
                metric,
                epsilon: eps,
            });
            *e = eps;
        }
        self.last_closed_day = Some(self.last_closed_day.map_or(day, |d| d.max(day)));
        out
    }

    /// Mark a period closed without a report (no catalog, consent off).
    pub fn skip(&mut self, day: i64) {
        self.last_closed_day = Some(self.last_closed_day.map_or(day, |d| d.max(day)));
    }

    /// Store a payload; returns its handle.
    pub fn add_report(&mut self, day: i64, now: Timestamp, payload: String) -> u64 {
        let handle = self.next_handle;
        self.next_handle += 1;
        self.reports.push(StoredReport {
            handle,
            day,
            created_at: now,
            acknowledged_at: None,
            payload,
        });
        handle
    }

    /// Drop spends that can no longer matter and reports past the log window.
    /// Pending (unacknowledged) reports are kept whatever their age.
    pub fn prune(&mut self, now: Timestamp) {
        let today = day_of(now);
        let keep_from = self
            .last_closed_day
            .map_or(today, |d| d.max(today))
            .saturating_sub(14);
        self.spends.retain(|s| s.day >= keep_from);
        self.reports.retain(|r| {
            r.acknowledged_at.is_none() || now.saturating_sub(r.created_at) <= LOG_DAYS * DAY_MS
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cap_turns_a_period_into_no_signal_and_never_refunds() {
        let cfg = ReportConfig {
            epsilon_per_metric: 1.0,
            weekly_cap_per_metric: 2.0,
        };
        let mut l = Ledger::default();
        assert_eq!(l.spend(10, &cfg), [1.0; 3]);
        assert_eq!(l.spend(11, &cfg), [1.0; 3]);
        assert_eq!(l.spend(12, &cfg), [0.0; 3]);
        assert_eq!(l.spent_in_window(0, 12), 2.0);
        // Seven periods later the window has moved on.
        assert_eq!(l.spend(18, &cfg), [1.0; 3]);
        l.prune(19 * DAY_MS);
        assert_eq!(l.spent_in_window(0, 18), 1.0);
    }

    #[test]
    fn due_periods_never_go_backwards_and_are_bounded() {
        let mut l = Ledger::default();
        let now = 100 * DAY_MS + 5;
        assert_eq!(l.due(now), (93..100).collect::<Vec<_>>());
        l.skip(99);
        assert!(l.due(now).is_empty());
        // The clock going back does not reopen closed periods.
        assert!(l.due(50 * DAY_MS).is_empty());
        // A jump of years closes at most 7 periods.
        assert_eq!(l.due(10_000 * DAY_MS).len(), 7);
    }

    #[test]
    fn config_ranges() {
        assert!(ReportConfig::default().validate().is_ok());
        for e in [0.0, -1.0, 9.0, f64::NAN] {
            let c = ReportConfig {
                epsilon_per_metric: e,
                ..ReportConfig::default()
            };
            assert!(c.validate().is_err(), "{e}");
        }
        // ε must survive the payload's 6 decimals, or every payload would be
        // inconsistent with its own ε.
        for (e, ok) in [
            (0.3, true),
            (0.123456, true),
            (1.0 / 3.0, false),
            (0.1234567, false),
        ] {
            let c = ReportConfig {
                epsilon_per_metric: e,
                ..ReportConfig::default()
            };
            assert_eq!(c.validate().is_ok(), ok, "{e}");
            let m = Mechanism::choose(e, 101).unwrap();
            let p = Payload {
                catalog_version: 1,
                day: 0,
                reports: (0..3)
                    .map(|i| MetricReport {
                        metric: i,
                        mechanism: m,
                        data: Perturbed::Bits(vec![0; 13]),
                    })
                    .collect(),
            };
            assert_eq!(Payload::parse(&p.to_json()).is_ok(), ok, "{e}");
        }
    }
}
