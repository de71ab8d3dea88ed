//! Stage 1, permission: may any ad be shown at all right now?
//!
//! Checked in this order; the first that fails is the answer: consent is not
//! off; a catalog is installed; it has not expired; fewer than
//! `max_ads_per_hour` impressions in the last hour; fewer than `max_ads_per_day`
//! in the last 24 hours; at least `min_gap_ms` since the last impression.

use serde::{Deserialize, Serialize};

use super::SelectConfig;
use crate::ads::AdBook;
use crate::catalog::InstalledCatalog;
use crate::clock::{DAY_MS, HOUR_MS, Timestamp};
use crate::state::Consent;

/// Why a request got no ads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NoFill {
    /// Consent is off.
    ConsentOff,
    /// No catalog is installed (or the stored one no longer verifies).
    NoCatalog,
    /// The installed catalog has expired.
    CatalogExpired,
    /// The hourly limit of impressions is reached.
    HourlyLimit,
    /// The daily limit of impressions is reached.
    DailyLimit,
    /// The last ad was shown too recently.
    TooSoon {
        /// Milliseconds until an ad may be shown.
        retry_after_ms: i64,
    },
    /// Nothing in the catalog is eligible for this request.
    NoEligibleAd,
}

/// Run the permission rules.
pub fn check(
    consent: Consent,
    catalog: Option<&InstalledCatalog>,
    book: &AdBook,
    cfg: &SelectConfig,
    now: Timestamp,
) -> Result<(), NoFill> {
    if consent == Consent::Off {
        return Err(NoFill::ConsentOff);
    }
    let Some(cat) = catalog else {
        return Err(NoFill::NoCatalog);
    };
    if cat.header.expires_at_ms <= now {
        return Err(NoFill::CatalogExpired);
    }
    limits(book, cfg, now)
}

/// The impression limits and the minimum gap.
pub fn limits(book: &AdBook, cfg: &SelectConfig, now: Timestamp) -> Result<(), NoFill> {
    if book.impressions_since(now - HOUR_MS + 1) >= cfg.max_ads_per_hour as usize {
        return Err(NoFill::HourlyLimit);
    }
    if book.impressions_since(now - DAY_MS + 1) >= cfg.max_ads_per_day as usize {
        return Err(NoFill::DailyLimit);
    }
    if let Some(last) = book.last_impression() {
        let next = last.at.saturating_add(cfg.min_gap_ms);
        if now < next {
            return Err(NoFill::TooSoon {
                retry_after_ms: next - now,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ads::{AdEventKind, AdRef, AdSnapshot};

    fn book_with_impressions(times: &[Timestamp]) -> AdBook {
        let mut b = AdBook::restore(AdSnapshot::default(), [1; 32]);
        for &t in times {
            let ad = AdRef {
                campaign_id: "c".into(),
                set_id: "s".into(),
                creative_id: "k".into(),
                advertiser_id: "a".into(),
                title: "t".into(),
                catalog_version: 1,
                set_pos: 0,
            };
            let tok = b.issue(ad, t);
            b.record(&tok, AdEventKind::Impression, t).unwrap();
        }
        b
    }

    #[test]
    fn consent_and_catalog_come_first() {
        let b = book_with_impressions(&[]);
        let cfg = SelectConfig::default();
        assert_eq!(
            check(Consent::Off, None, &b, &cfg, 0),
            Err(NoFill::ConsentOff)
        );
        assert_eq!(
            check(Consent::Personalised, None, &b, &cfg, 0),
            Err(NoFill::NoCatalog)
        );
    }

    #[test]
    fn limits_and_gap() {
        let cfg = SelectConfig {
            max_ads_per_hour: 2,
            max_ads_per_day: 3,
            min_gap_ms: 60_000,
            ..SelectConfig::default()
        };
        let now = 10 * DAY_MS;
        let check_book = |b: &AdBook| limits(b, &cfg, now);
        assert_eq!(
            check_book(&book_with_impressions(&[now - 30_000])),
            Err(NoFill::TooSoon {
                retry_after_ms: 30_000
            })
        );
        assert_eq!(check_book(&book_with_impressions(&[now - 120_000])), Ok(()));
        assert_eq!(
            check_book(&book_with_impressions(&[now - 1_000_000, now - 120_000])),
            Err(NoFill::HourlyLimit)
        );
        assert_eq!(
            check_book(&book_with_impressions(&[
                now - 5 * HOUR_MS,
                now - 3 * HOUR_MS,
                now - 2 * HOUR_MS
            ])),
            Err(NoFill::DailyLimit)
        );
        assert_eq!(
            check_book(&book_with_impressions(&[
                now - DAY_MS,
                now - 5 * HOUR_MS,
                now - 3 * HOUR_MS
            ])),
            Ok(()),
            "an impression exactly a day ago no longer counts"
        );
    }
}
