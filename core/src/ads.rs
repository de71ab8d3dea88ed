//! The local ad history, event tokens and the counters that reports read.
//!
//! Everything here stays on the phone. It is what frequency caps, "why am I
//! seeing this", the user's ad history screen and (later) the noised reports are
//! computed from.
//!
//! # Tokens
//!
//! Each ad returned by selection carries an opaque token: `t1-` followed by 40
//! hex digits: a 64-bit serial and the first 12 bytes of HMAC-SHA256 over the
//! serial under a random per-install secret. A token cannot be forged (the MAC),
//! is local (the serial means nothing elsewhere) and cannot double-count: each
//! event kind is recorded at most once per token. A token must see its first
//! event within [`TOKEN_TTL_MS`] (24 h) of being issued; after its impression it
//! lives as long as the history entry (30 days).
//!
//! # History
//!
//! One entry per shown ad (created by its impression, or by a click or other
//! reaction if the impression was never reported), with the reactions the user
//! gave it. Entries older than [`HISTORY_DAYS`] days are dropped, and at most
//! [`MAX_HISTORY`] are kept (oldest dropped first).
//!
//! # Counters
//!
//! Per UTC day and campaign: impressions, clicks, conversions, each counted once
//! per token. Kept for [`COUNTER_DAYS`] days. The reporting stage turns them into
//! noised payloads; this module only counts.

use rustc_hash::FxHashMap as HashMap;

use ring::hmac;
use serde::{Deserialize, Serialize};

use crate::clock::{DAY_MS, HOUR_MS, Timestamp};
use crate::error::{Error, Result};

/// Days of ad history kept.
pub const HISTORY_DAYS: i64 = 30;
/// Most history entries kept.
pub const MAX_HISTORY: usize = 2048;
/// Most tokens waiting for their first event.
pub const MAX_PENDING_TOKENS: usize = 256;
/// How long an issued token waits for its first event.
pub const TOKEN_TTL_MS: i64 = 24 * HOUR_MS;
/// Days of counters kept.
pub const COUNTER_DAYS: i64 = 8;
/// Timestamps of recent shows kept per creative set (enough for any weekly cap
/// the validator allows to be checked exactly up to this many).
pub const MAX_SHOWS_TRACKED: usize = 64;

/// What the user (or the app on their behalf) did with an ad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AdEventKind {
    /// The ad was shown.
    Impression,
    /// The user tapped it.
    Click,
    /// The user closed it.
    Dismiss,
    /// The advertiser's goal happened (see the set's conversion spec).
    Conversion,
    /// The user liked it: more like this.
    Like,
    /// The user disliked it: not this ad again.
    Dislike,
    /// The user hid the advertiser: no ads from them again.
    Hide,
}

impl AdEventKind {
    /// All kinds, in bit order.
    pub const ALL: [AdEventKind; 7] = [
        AdEventKind::Impression,
        AdEventKind::Click,
        AdEventKind::Dismiss,
        AdEventKind::Conversion,
        AdEventKind::Like,
        AdEventKind::Dislike,
        AdEventKind::Hide,
    ];
    /// This kind's bit in [`ShownAd::events`].
    pub(crate) fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// Which ad a token or history entry refers to (ids survive catalog updates).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdRef {
    /// Campaign id.
    pub campaign_id: String,
    /// Creative set id.
    pub set_id: String,
    /// Creative id.
    pub creative_id: String,
    /// Advertiser id.
    pub advertiser_id: String,
    /// The creative's title, for the history screen.
    pub title: String,
    /// Version of the catalog the ad came from.
    pub catalog_version: u64,
    /// Position of the creative set in that catalog's index (a lookup hint).
    pub set_pos: u32,
}

/// A token issued by selection and not yet used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingToken {
    /// Serial.
    pub serial: u64,
    /// When it was issued.
    pub issued_at: Timestamp,
    /// The ad.
    pub ad: AdRef,
}

/// One shown ad and the reactions to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShownAd {
    /// Token serial.
    pub serial: u64,
    /// When it was shown (or first reacted to).
    pub at: Timestamp,
    /// The ad.
    pub ad: AdRef,
    /// Bit set of [`AdEventKind`]s recorded.
    pub events: u8,
    /// Time of the latest reaction.
    pub last_event_at: Timestamp,
}

impl ShownAd {
    /// Whether `kind` was recorded for this ad.
    pub fn has(&self, kind: AdEventKind) -> bool {
        self.events & kind.bit() != 0
    }
    /// The recorded kinds.
    pub fn kinds(&self) -> Vec<AdEventKind> {
        AdEventKind::ALL
            .into_iter()
            .filter(|k| self.has(*k))
            .collect()
    }
}

/// The counted metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Metric {
    /// Impressions.
    Impressions,
    /// Clicks.
    Clicks,
    /// Conversions.
    Conversions,
}

/// Counts of one campaign on one UTC day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayCount {
    /// Days since the Unix epoch (UTC).
    pub day: i64,
    /// Campaign id.
    pub campaign_id: String,
    /// Impressions, clicks, conversions.
    pub counts: [u32; 3],
}

/// The persisted ad state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AdSnapshot {
    /// HMAC secret for tokens (random per install; all zero = not yet made).
    pub token_secret: [u8; 32],
    /// Next token serial.
    pub next_serial: u64,
    /// Tokens waiting for a first event.
    pub pending: std::collections::VecDeque<PendingToken>,
    /// Shown ads, oldest first.
    pub history: Vec<ShownAd>,
    /// Advertisers the user hid.
    pub hidden_advertisers: Vec<String>,
    /// Daily counters.
    pub counters: Vec<DayCount>,
    /// The user's ad taste: mean embedding of clicked and liked creative sets.
    pub taste: Vec<f32>,
    /// How many embeddings `taste` averages.
    pub taste_n: u32,
    /// Lifetime totals per creative set (not limited to the 30-day history):
    /// total caps, conversions, dislikes and dismissals must outlive it.
    pub set_totals: Vec<SetTotal>,
}

/// Lifetime totals of one creative set on this device.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetTotal {
    /// Creative set id.
    pub set_id: String,
    /// Impressions ever.
    pub shows: u32,
    /// Dismissals ever.
    pub dismissals: u32,
    /// Disliked.
    pub disliked: bool,
    /// Converted.
    pub converted: bool,
    /// Latest event time (for eviction when the table is full).
    pub last_at: Timestamp,
}

/// Most creative sets with lifetime totals kept (least recently active dropped).
pub const MAX_SET_TOTALS: usize = 8192;

/// Per creative set, what the history says (derived, not persisted).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SetStats {
    /// Show times within the last week, newest last (bounded).
    pub recent_shows: Vec<Timestamp>,
    /// Shows ever (lifetime totals, kept beyond the 30-day history).
    pub total_shows: u32,
    /// Dismissals ever (lifetime totals).
    pub dismissals: u32,
    /// The user disliked an ad of this set.
    pub disliked: bool,
    /// A conversion was recorded for this set.
    pub converted: bool,
    /// The last time an ad of this set was shown.
    pub last_shown: Option<Timestamp>,
}

/// What [`AdBook::record`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdEventOutcome {
    /// False if this kind was already recorded for this token (not counted twice).
    pub counted: bool,
    /// The ad the token refers to.
    pub ad: AdRef,
}

/// The ad history, tokens, derived stats and counters.
#[derive(Debug, Clone, Default)]
pub struct AdBook {
    snap: AdSnapshot,
    stats: HashMap<String, SetStats>,
    /// (campaign id, UTC day) → impressions that day.
    campaign_day: HashMap<String, (i64, u32)>,
}

fn mac(secret: &[u8; 32], serial: u64) -> [u8; 12] {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    let tag = hmac::sign(&key, &serial.to_le_bytes());
    let mut out = [0u8; 12];
    out.copy_from_slice(tag.as_ref().get(..12).unwrap_or(&[0; 12]));
    out
}

fn hex_nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

/// Parse a token into (serial, mac).
fn parse_token(token: &str) -> Option<(u64, [u8; 12])> {
    let hex = token.strip_prefix("t1-")?.as_bytes();
    if hex.len() != 40 {
        return None;
    }
    let mut bytes = [0u8; 20];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = hex_nibble(*hex.get(2 * i)?)? << 4 | hex_nibble(*hex.get(2 * i + 1)?)?;
    }
    let mut s = [0u8; 8];
    s.copy_from_slice(bytes.get(..8)?);
    let mut m = [0u8; 12];
    m.copy_from_slice(bytes.get(8..)?);
    Some((u64::from_le_bytes(s), m))
}

/// Days since the epoch of a time (UTC).
pub fn utc_day(t: Timestamp) -> i64 {
    t.div_euclid(DAY_MS)
}

impl AdBook {
    /// Rebuild from the persisted form. `fresh_secret` is used if the snapshot has
    /// no secret yet.
    pub fn restore(mut snap: AdSnapshot, fresh_secret: [u8; 32]) -> Self {
        if snap.token_secret == [0; 32] {
            snap.token_secret = fresh_secret;
        }
        snap.history.sort_by_key(|h| h.at);
        let mut book = Self {
            snap,
            ..Self::default()
        };
        book.rebuild_stats();
        book
    }

    /// The persisted form.
    pub fn snapshot(&self) -> &AdSnapshot {
        &self.snap
    }

    fn rebuild_stats(&mut self) {
        self.stats.clear();
        self.campaign_day.clear();
        let history = std::mem::take(&mut self.snap.history);
        for h in &history {
            self.account(h, h.events, h.at, false);
        }
        self.snap.history = history;
        // Lifetime totals come from their own table, not from the history.
        for t in &self.snap.set_totals {
            let st = self.stats.entry(t.set_id.clone()).or_default();
            st.total_shows = t.shows;
            st.dismissals = t.dismissals;
            st.disliked = t.disliked;
            st.converted = t.converted;
        }
    }

    fn total_mut(&mut self, set_id: &str, at: Timestamp) -> Option<&mut SetTotal> {
        let pos = match self.snap.set_totals.iter().position(|t| t.set_id == set_id) {
            Some(p) => p,
            None => {
                if self.snap.set_totals.len() >= MAX_SET_TOTALS
                    && let Some((oldest, _)) = self
                        .snap
                        .set_totals
                        .iter()
                        .enumerate()
                        .min_by_key(|(_, t)| t.last_at)
                {
                    self.snap.set_totals.swap_remove(oldest);
                }
                self.snap.set_totals.push(SetTotal {
                    set_id: set_id.to_string(),
                    ..SetTotal::default()
                });
                self.snap.set_totals.len() - 1
            }
        };
        let t = self.snap.set_totals.get_mut(pos)?;
        t.last_at = t.last_at.max(at);
        Some(t)
    }

    /// Update derived stats for `new_bits` recorded on `h` at `at`; with
    /// `lifetime`, also the lifetime totals (new events, not a rebuild).
    fn account(&mut self, h: &ShownAd, new_bits: u8, at: Timestamp, lifetime: bool) {
        if lifetime && let Some(t) = self.total_mut(&h.ad.set_id, at) {
            if new_bits & AdEventKind::Impression.bit() != 0 {
                t.shows = t.shows.saturating_add(1);
            }
            if new_bits & AdEventKind::Dismiss.bit() != 0 {
                t.dismissals = t.dismissals.saturating_add(1);
            }
            t.disliked |= new_bits & AdEventKind::Dislike.bit() != 0;
            t.converted |= new_bits & AdEventKind::Conversion.bit() != 0;
        }
        let st = self.stats.entry(h.ad.set_id.clone()).or_default();
        if new_bits & AdEventKind::Impression.bit() != 0 {
            st.total_shows += 1;
            st.recent_shows.push(h.at);
            if st.recent_shows.len() > MAX_SHOWS_TRACKED {
                st.recent_shows.remove(0);
            }
            st.last_shown = Some(st.last_shown.map_or(h.at, |l| l.max(h.at)));
            let day = utc_day(h.at);
            let e = self
                .campaign_day
                .entry(h.ad.campaign_id.clone())
                .or_insert((day, 0));
            if e.0 == day {
                e.1 += 1;
            } else if day > e.0 {
                *e = (day, 1);
            }
        }
        if new_bits & AdEventKind::Dismiss.bit() != 0 {
            st.dismissals += 1;
        }
        if new_bits & AdEventKind::Dislike.bit() != 0 {
            st.disliked = true;
        }
        if new_bits & AdEventKind::Conversion.bit() != 0 {
            st.converted = true;
        }
        let _ = at;
    }

    /// Stats of a creative set, if it has any history.
    pub fn set_stats(&self, set_id: &str) -> Option<&SetStats> {
        self.stats.get(set_id)
    }

    /// Every creative set with local statistics, by id.
    pub fn all_set_stats(&self) -> impl Iterator<Item = (&str, &SetStats)> {
        self.stats.iter().map(|(id, st)| (id.as_str(), st))
    }

    /// Every campaign with impressions on the UTC day of `now`, with their count.
    pub fn campaigns_today(&self, now: Timestamp) -> impl Iterator<Item = (&str, u32)> {
        let today = utc_day(now);
        self.campaign_day
            .iter()
            .filter(move |(_, (day, _))| *day == today)
            .map(|(id, &(_, n))| (id.as_str(), n))
    }

    /// Impressions of a campaign on the UTC day of `now`.
    pub fn campaign_impressions_today(&self, campaign_id: &str, now: Timestamp) -> u32 {
        match self.campaign_day.get(campaign_id) {
            Some(&(day, n)) if day == utc_day(now) => n,
            _ => 0,
        }
    }

    /// Whether the user hid this advertiser.
    pub fn is_hidden(&self, advertiser_id: &str) -> bool {
        self.snap
            .hidden_advertisers
            .iter()
            .any(|a| a == advertiser_id)
    }

    /// Advertisers the user hid.
    pub fn hidden_advertisers(&self) -> &[String] {
        &self.snap.hidden_advertisers
    }

    /// Let a hidden advertiser's ads be shown again. Returns whether it was hidden.
    pub fn unhide(&mut self, advertiser_id: &str) -> bool {
        let before = self.snap.hidden_advertisers.len();
        self.snap.hidden_advertisers.retain(|a| a != advertiser_id);
        before != self.snap.hidden_advertisers.len()
    }

    /// Impressions within `window_ms` before `now`.
    pub fn impressions_since(&self, since: Timestamp) -> usize {
        self.snap
            .history
            .iter()
            .rev()
            .take_while(|h| h.at >= since)
            .filter(|h| h.has(AdEventKind::Impression))
            .count()
    }

    /// The latest impression.
    pub fn last_impression(&self) -> Option<&ShownAd> {
        self.snap
            .history
            .iter()
            .rev()
            .find(|h| h.has(AdEventKind::Impression))
    }

    /// The user's ad taste embedding (empty if none).
    pub fn taste(&self) -> &[f32] {
        &self.snap.taste
    }

    /// Issue a token for an ad.
    pub fn issue(&mut self, ad: AdRef, now: Timestamp) -> String {
        let serial = self.snap.next_serial;
        self.snap.next_serial = self.snap.next_serial.wrapping_add(1);
        if self.snap.pending.len() >= MAX_PENDING_TOKENS {
            self.snap.pending.pop_front();
        }
        self.snap.pending.push_back(PendingToken {
            serial,
            issued_at: now,
            ad,
        });
        self.token_of(serial)
    }

    /// Record an event for an ad already in the history, by serial (used for
    /// conversions attributed from app events). Returns whether it was counted.
    pub fn record_serial(&mut self, serial: u64, kind: AdEventKind, now: Timestamp) -> bool {
        self.record_verified(serial, kind, now)
            .is_ok_and(|o| o.counted)
    }

    /// The token of a serial (issued ads and the history screen).
    pub fn token_of(&self, serial: u64) -> String {
        let mut bytes = [0u8; 20];
        bytes[..8].copy_from_slice(&serial.to_le_bytes());
        bytes[8..].copy_from_slice(&mac(&self.snap.token_secret, serial));
        format!("t1-{}", crate::catalog::bundle::hex(&bytes))
    }

    /// Check a token and return its ad without recording anything.
    pub fn peek(&self, token: &str) -> Result<AdRef> {
        let serial = self.verify(token)?;
        self.snap
            .history
            .iter()
            .rev()
            .find(|h| h.serial == serial)
            .map(|h| h.ad.clone())
            .or_else(|| {
                self.snap
                    .pending
                    .iter()
                    .find(|p| p.serial == serial)
                    .map(|p| p.ad.clone())
            })
            .ok_or(Error::AdTokenExpired)
    }

    /// Record an event for a token. Forged or malformed tokens are
    /// [`Error::InvalidAdToken`]; tokens that expired unused, or whose ad left
    /// the history, are [`Error::AdTokenExpired`]. A repeated event of the same
    /// kind is accepted but not counted again.
    pub fn record(
        &mut self,
        token: &str,
        kind: AdEventKind,
        now: Timestamp,
    ) -> Result<AdEventOutcome> {
        let serial = self.verify(token)?;
        self.record_verified(serial, kind, now)
    }

    /// The serial of a token this book issued, or [`Error::InvalidAdToken`].
    fn verify(&self, token: &str) -> Result<u64> {
        let (serial, m) = parse_token(token).ok_or(Error::InvalidAdToken)?;
        let expect = mac(&self.snap.token_secret, serial);
        // Constant-time comparison of the truncated MAC.
        if m.iter()
            .zip(expect.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            != 0
        {
            return Err(Error::InvalidAdToken);
        }
        Ok(serial)
    }

    fn record_verified(
        &mut self,
        serial: u64,
        kind: AdEventKind,
        now: Timestamp,
    ) -> Result<AdEventOutcome> {
        let pos = match self.snap.history.iter().rposition(|h| h.serial == serial) {
            Some(p) => p,
            None => {
                let i = self
                    .snap
                    .pending
                    .iter()
                    .position(|p| p.serial == serial)
                    .ok_or(Error::AdTokenExpired)?;
                let p = self.snap.pending.remove(i).ok_or(Error::AdTokenExpired)?;
                if now.saturating_sub(p.issued_at) > TOKEN_TTL_MS {
                    return Err(Error::AdTokenExpired);
                }
                self.snap.history.push(ShownAd {
                    serial,
                    at: now.max(p.issued_at),
                    ad: p.ad,
                    events: 0,
                    last_event_at: now,
                });
                self.snap.history.len() - 1
            }
        };
        let Some(h) = self.snap.history.get_mut(pos) else {
            return Err(Error::AdTokenExpired);
        };
        // A reaction to an ad implies it was shown: count the impression once.
        let mut bits = kind.bit();
        if !h.has(AdEventKind::Impression) {
            bits |= AdEventKind::Impression.bit();
        }
        let new_bits = bits & !h.events;
        h.events |= bits;
        h.last_event_at = h.last_event_at.max(now);
        let ad = h.ad.clone();
        let shown = h.clone();
        let counted = new_bits & kind.bit() != 0;
        if new_bits != 0 {
            self.account(&shown, new_bits, now, true);
            let day = utc_day(now);
            for (metric, k) in [
                (0usize, AdEventKind::Impression),
                (1, AdEventKind::Click),
                (2, AdEventKind::Conversion),
            ] {
                if new_bits & k.bit() != 0 {
                    self.count(day, &ad.campaign_id, metric);
                }
            }
            if kind == AdEventKind::Hide && counted && !self.is_hidden(&ad.advertiser_id) {
                self.snap.hidden_advertisers.push(ad.advertiser_id.clone());
            }
        }
        Ok(AdEventOutcome { counted, ad })
    }

    fn count(&mut self, day: i64, campaign_id: &str, metric: usize) {
        let entry = match self
            .snap
            .counters
            .iter_mut()
            .find(|c| c.day == day && c.campaign_id == campaign_id)
        {
            Some(e) => e,
            None => {
                self.snap.counters.push(DayCount {
                    day,
                    campaign_id: campaign_id.to_string(),
                    counts: [0; 3],
                });
                match self.snap.counters.last_mut() {
                    Some(e) => e,
                    None => return,
                }
            }
        };
        if let Some(c) = entry.counts.get_mut(metric) {
            *c = c.saturating_add(1);
        }
    }

    /// Daily counters (oldest first).
    pub fn counters(&self) -> &[DayCount] {
        &self.snap.counters
    }

    /// Fold an embedding into the taste (running mean).
    pub fn learn_taste(&mut self, embedding: &[i8]) {
        if embedding.is_empty() {
            return;
        }
        let e: Vec<f32> = embedding.iter().map(|&x| f32::from(x) / 127.0).collect();
        if self.snap.taste.len() != e.len() {
            self.snap.taste = e;
            self.snap.taste_n = 1;
            return;
        }
        self.snap.taste_n = self.snap.taste_n.saturating_add(1);
        let n = self.snap.taste_n as f32;
        for (t, x) in self.snap.taste.iter_mut().zip(e) {
            *t += (x - *t) / n;
        }
    }

    /// The history of the last [`HISTORY_DAYS`] days, newest first.
    pub fn history(&self) -> impl Iterator<Item = &ShownAd> {
        self.snap.history.iter().rev()
    }

    /// Drop what is older than the retention windows.
    pub fn prune(&mut self, now: Timestamp) {
        let horizon = now.saturating_sub(HISTORY_DAYS * DAY_MS);
        let before = self.snap.history.len();
        self.snap.history.retain(|h| h.at >= horizon);
        let excess = self.snap.history.len().saturating_sub(MAX_HISTORY);
        if excess > 0 {
            self.snap.history.drain(..excess);
        }
        self.snap
            .pending
            .retain(|p| now.saturating_sub(p.issued_at) <= TOKEN_TTL_MS);
        let first_day = utc_day(now) - COUNTER_DAYS + 1;
        self.snap.counters.retain(|c| c.day >= first_day);
        let week = now.saturating_sub(7 * DAY_MS);
        if self.snap.history.len() != before {
            self.rebuild_stats();
        } else {
            for st in self.stats.values_mut() {
                st.recent_shows.retain(|&t| t >= week);
            }
        }
    }

    /// Forget everything but the token secret and serial (so old tokens stay
    /// invalid after a reset).
    pub fn clear(&mut self) {
        let secret = self.snap.token_secret;
        let serial = self.snap.next_serial;
        *self = Self::default();
        self.snap.token_secret = secret;
        self.snap.next_serial = serial;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ad(set: &str) -> AdRef {
        AdRef {
            campaign_id: "c1".into(),
            set_id: set.into(),
            creative_id: "cr1".into(),
            advertiser_id: "a1".into(),
            title: "T".into(),
            catalog_version: 1,
            set_pos: 0,
        }
    }

    #[test]
    fn impression_counts_once_and_tokens_cannot_be_forged() {
        let mut b = AdBook::restore(AdSnapshot::default(), [7; 32]);
        let t = b.issue(ad("s1"), 1000);
        assert!(t.starts_with("t1-") && t.len() == 43);
        assert!(b.record(&t, AdEventKind::Impression, 2000).unwrap().counted);
        assert!(!b.record(&t, AdEventKind::Impression, 3000).unwrap().counted);
        assert_eq!(b.counters()[0].counts, [1, 0, 0]);
        assert_eq!(b.set_stats("s1").unwrap().total_shows, 1);
        // Flip one hex digit of the MAC: forged.
        let mut forged = t.clone();
        forged.replace_range(42..43, if t.ends_with('0') { "1" } else { "0" });
        assert!(matches!(
            b.record(&forged, AdEventKind::Click, 3000),
            Err(Error::InvalidAdToken)
        ));
        assert!(matches!(
            b.record("nonsense", AdEventKind::Click, 3000),
            Err(Error::InvalidAdToken)
        ));
        // Another install's secret: forged too.
        let mut other = AdBook::restore(AdSnapshot::default(), [8; 32]);
        assert!(matches!(
            other.record(&t, AdEventKind::Click, 3000),
            Err(Error::InvalidAdToken)
        ));
    }

    #[test]
    fn click_without_impression_counts_both_once() {
        let mut b = AdBook::restore(AdSnapshot::default(), [7; 32]);
        let t = b.issue(ad("s1"), 0);
        b.record(&t, AdEventKind::Click, 10).unwrap();
        b.record(&t, AdEventKind::Impression, 20).unwrap();
        b.record(&t, AdEventKind::Click, 30).unwrap();
        assert_eq!(b.counters()[0].counts, [1, 1, 0]);
        let h: Vec<_> = b.history().collect();
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].kinds(), [AdEventKind::Impression, AdEventKind::Click]);
    }

    #[test]
    fn unused_tokens_expire() {
        let mut b = AdBook::restore(AdSnapshot::default(), [7; 32]);
        let t = b.issue(ad("s1"), 0);
        assert!(matches!(
            b.record(&t, AdEventKind::Impression, TOKEN_TTL_MS + 1),
            Err(Error::AdTokenExpired)
        ));
    }

    #[test]
    fn hide_dislike_dismiss_convert_update_stats() {
        let mut b = AdBook::restore(AdSnapshot::default(), [7; 32]);
        for k in [
            AdEventKind::Dismiss,
            AdEventKind::Dislike,
            AdEventKind::Conversion,
            AdEventKind::Hide,
        ] {
            let t = b.issue(ad("s1"), 0);
            b.record(&t, k, 5).unwrap();
        }
        let st = b.set_stats("s1").unwrap();
        assert_eq!(
            (st.total_shows, st.dismissals, st.disliked, st.converted),
            (4, 1, true, true)
        );
        assert!(b.is_hidden("a1"));
        assert_eq!(b.counters()[0].counts, [4, 0, 1]);
        // Stats are derived: a restore rebuilds the same.
        let again = AdBook::restore(b.snapshot().clone(), [0; 32]);
        assert_eq!(again.set_stats("s1"), b.set_stats("s1"));
        assert!(b.unhide("a1"));
        assert!(!b.is_hidden("a1"));
    }

    #[test]
    fn prune_drops_old_history_and_counters() {
        let mut b = AdBook::restore(AdSnapshot::default(), [7; 32]);
        let t = b.issue(ad("s1"), 0);
        b.record(&t, AdEventKind::Impression, 0).unwrap();
        b.prune(31 * DAY_MS);
        assert_eq!(b.history().count(), 0);
        // Lifetime totals outlive the history (total caps, conversions, dislikes).
        let st = b.set_stats("s1").unwrap();
        assert_eq!((st.total_shows, st.last_shown), (1, None));
        assert!(st.recent_shows.is_empty());
        let again = AdBook::restore(b.snapshot().clone(), [0; 32]);
        assert_eq!(again.set_stats("s1").unwrap().total_shows, 1);
        assert!(b.counters().is_empty());
    }

    #[test]
    fn taste_is_the_mean_embedding() {
        let mut b = AdBook::default();
        b.learn_taste(&[127, 0]);
        b.learn_taste(&[0, 127]);
        assert_eq!(b.taste(), [0.5, 0.5]);
        b.learn_taste(&[127]);
        assert_eq!(b.taste(), [1.0], "a new dimension restarts the mean");
    }
}
