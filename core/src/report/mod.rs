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
//! Payloads stay in a transparency log for 30 days. At most
//! [`MAX_PENDING_REPORTS`] (30) wait for upload: an app that stops uploading
//! does not grow the store without bound; the oldest waiting report is dropped
//! unsent (its budget stays spent).
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
/// Most reports kept waiting for upload: an app that never acknowledges must
/// not grow the store without bound. Beyond it the oldest pending report is
/// dropped unsent (its privacy budget stays spent).
pub const MAX_PENDING_REPORTS: usize = 30;

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
    /// Bring every stored period and time into the engine's range
    /// ([`crate::clock::clamp`]) and make an unreadable spend count as fully
    /// spent (a NaN or infinite ε counts as the largest, a negative one as 0:
    /// never a refund). A ledger this build wrote is unchanged by it; the
    /// engine applies it to every ledger it loads, so a damaged one cannot
    /// overflow `last_closed_day + 1` or make the budget NaN.
    pub fn sanitize(&mut self) {
        use crate::clock::{EARLIEST, LATEST, clamp};
        let day = |d: i64| d.clamp(day_of(EARLIEST), day_of(LATEST));
        for s in &mut self.spends {
            s.day = day(s.day);
            s.epsilon = if s.epsilon.is_nan() || s.epsilon == f64::INFINITY {
                f64::MAX / 64.0
            } else {
                s.epsilon.clamp(0.0, f64::MAX / 64.0)
            };
        }
        self.last_closed_day = self.last_closed_day.map(day);
        for r in &mut self.reports {
            r.day = day(r.day);
            r.created_at = clamp(r.created_at);
            r.acknowledged_at = r.acknowledged_at.map(clamp);
        }
    }

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
    /// Pending (unacknowledged) reports are kept whatever their age, the
    /// newest [`MAX_PENDING_REPORTS`] of them.
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
        // Reports are kept in the order they were made (handles increase).
        let mut excess = self
            .reports
            .iter()
            .filter(|r| r.acknowledged_at.is_none())
            .count()
            .saturating_sub(MAX_PENDING_REPORTS);
        self.reports.retain(|r| {
            let drop = excess > 0 && r.acknowledged_at.is_none();
            excess -= usize::from(drop);
            !drop
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
    fn pending_reports_are_bounded_oldest_dropped_first() {
        let cfg = ReportConfig::default();
        let mut l = Ledger::default();
        let last = 2 + MAX_PENDING_REPORTS as i64 + 5;
        for day in 2..=last {
            l.spend(day, &cfg);
            l.add_report(day, day * DAY_MS, format!("report of day {day}"));
            if day == last - 1 {
                // An uploaded report: the pending cap leaves it alone.
                let h = l.reports.last().map(|r| r.handle);
                let r = l.reports.iter_mut().find(|r| Some(r.handle) == h);
                r.unwrap().acknowledged_at = Some(day * DAY_MS);
            }
            l.prune(day * DAY_MS + 1);
            let pending: Vec<i64> = l
                .reports
                .iter()
                .filter(|r| r.acknowledged_at.is_none())
                .map(|r| r.day)
                .collect();
            assert!(pending.len() <= MAX_PENDING_REPORTS);
            // The newest ones stay.
            let newest = if day == last - 1 { day - 1 } else { day };
            assert_eq!(pending.last(), Some(&newest));
            assert!(pending.windows(2).all(|w| w[0] < w[1]));
        }
        let pending = l.reports.iter().filter(|r| r.acknowledged_at.is_none());
        assert_eq!(pending.count(), MAX_PENDING_REPORTS);
        assert!(
            l.reports
                .iter()
                .any(|r| r.day == last - 1 && r.acknowledged_at.is_some())
        );
        assert_eq!(
            l.reports.first().map(|r| r.day),
            Some(last - MAX_PENDING_REPORTS as i64)
        );
        // What is kept is unchanged, and the spending was never refunded.
        assert!(
            l.reports
                .iter()
                .all(|r| r.payload == format!("report of day {}", r.day))
        );
        assert_eq!(l.spent_in_window(0, last), 7.0);
        assert_eq!(l.last_closed_day, Some(last));
    }

    #[test]
    fn sanitize_keeps_good_ledgers_and_never_refunds() {
        let cfg = ReportConfig::default();
        let mut l = Ledger::default();
        l.spend(20_000, &cfg);
        l.add_report(20_000, 20_001 * DAY_MS, "p".into());
        let good = l.clone();
        l.sanitize();
        assert_eq!(l, good, "a ledger this build wrote is unchanged");
        l.last_closed_day = Some(i64::MAX);
        l.spends[0].epsilon = f64::NAN;
        l.spends[1].epsilon = -5.0;
        l.spends[2].day = i64::MIN;
        l.reports[0].created_at = i64::MIN;
        l.sanitize();
        let today = 20_001;
        assert!(
            l.due(today * DAY_MS).is_empty(),
            "no overflow, nothing reopened"
        );
        assert!(l.spent_in_window(0, 20_000) >= cfg.weekly_cap_per_metric);
        assert_eq!(l.spent_in_window(1, 20_000), 0.0);
        assert_eq!(
            l.spend(20_001, &cfg)[0],
            0.0,
            "an unreadable spend counts as spent"
        );
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
