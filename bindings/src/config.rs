//! [`EngineConfig`] and [`EngineLimits`]: what `Engine.open` needs.
//!
//! Every limit is optional; `None` (Kotlin `null`, Swift `nil`) means the
//! engine's documented default, so the defaults live in one place (the core)
//! and cannot drift between Rust, Kotlin and Swift.

use hearth_core::catalog::PublicKey;
use hearth_core::store::StoreKey;
use zeroize::Zeroize;

use crate::error::HearthError;
use crate::types::Consent;

/// Tuning knobs. All optional: leave a field `null`/`nil` for the default.
#[derive(Debug, Clone, Default, PartialEq, uniffi::Record)]
pub struct EngineLimits {
    /// Longest time a recorded event waits in memory before the background
    /// writer persists it. Default 1,000 ms; 0 persists on every call (slow);
    /// at most 3,600,000.
    #[uniffi(default)]
    pub flush_interval_ms: Option<u64>,
    /// Largest catalog bundle accepted, checked before parsing. Default 64 MiB.
    #[uniffi(default)]
    pub max_catalog_bytes: Option<u64>,
    /// Most ad impressions in any rolling hour. Default 6.
    #[uniffi(default)]
    pub max_ads_per_hour: Option<u32>,
    /// Most ad impressions in any rolling 24 hours. Default 30.
    #[uniffi(default)]
    pub max_ads_per_day: Option<u32>,
    /// Least time between two ad impressions, ms. Default 30,000.
    #[uniffi(default)]
    pub min_ad_gap_ms: Option<i64>,
    /// Most slots one ad request may ask for (1..=50). Default 10.
    #[uniffi(default)]
    pub max_slots: Option<u32>,
    /// Dismissals after which a creative set is not shown again (0 = never).
    /// Default 3.
    #[uniffi(default)]
    pub dismiss_limit: Option<u32>,
    /// Share of ad slots filled by a random eligible ad instead of the best
    /// one, to learn what the user likes (0..=1). Default 0.1.
    #[uniffi(default)]
    pub exploration: Option<f64>,
    /// Privacy budget: ε spent per metric per report period, in (0, 8].
    /// Default 1.0.
    #[uniffi(default)]
    pub report_epsilon_per_metric: Option<f64>,
    /// Privacy budget: most ε per metric in any 7 consecutive periods.
    /// Default 7.0.
    #[uniffi(default)]
    pub report_weekly_cap_per_metric: Option<f64>,
}

/// Everything `Engine.open` needs.
///
/// Kotlin: `EngineConfig(storageDir = dir.path, key = keyFromKeystore)`;
/// Swift: `EngineConfig(storageDir: dir.path, key: keyFromKeychain)`.
#[derive(Clone, PartialEq, uniffi::Record)]
pub struct EngineConfig {
    /// Directory holding all of Hearth's files (created if missing). Use an
    /// app-private directory excluded from cloud backup, e.g. Android
    /// `context.noBackupFilesDir`, iOS Application Support with
    /// `isExcludedFromBackup`.
    pub storage_dir: String,
    /// Exactly 32 bytes: the key for encryption at rest. Keep it in the
    /// Android Keystore / iOS Keychain; with a different key the stored state
    /// cannot be read (`HearthError.StoreWrongKey`).
    pub key: Vec<u8>,
    /// Ed25519 public keys (32 bytes each) whose signed catalogs are accepted.
    /// Several may be listed so a publisher can rotate keys. Default: none
    /// (no catalog can be installed).
    #[uniffi(default)]
    pub trusted_keys: Vec<Vec<u8>>,
    /// Consent for a new (or reset) store. Default (`null`/`nil`):
    /// contextual-only, so nothing is collected until the app, having asked
    /// the user, sets `Consent.Personalised`.
    #[uniffi(default)]
    pub default_consent: Option<Consent>,
    /// Tuning knobs; the default is every engine default.
    #[uniffi(default)]
    pub limits: EngineLimits,
    /// Seed of the ad-selection randomness (pacing, exploration). Default
    /// (`null`/`nil`): seeded from the system RNG. Set it only in tests, to
    /// make selection reproducible.
    #[uniffi(default)]
    pub selection_seed: Option<u64>,
}

impl std::fmt::Debug for EngineConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        f.debug_struct("EngineConfig")
            .field("storage_dir", &self.storage_dir)
            .field("key", &format_args!("<{} bytes>", self.key.len()))
            .field("trusted_keys", &self.trusted_keys.len())
            .field("default_consent", &self.default_consent)
            .field("limits", &self.limits)
            .field("selection_seed", &self.selection_seed)
            .finish()
    }
}

impl TryFrom<EngineConfig> for hearth_core::EngineConfig {
    type Error = HearthError;

    fn try_from(mut c: EngineConfig) -> Result<Self, HearthError> {
        let key = StoreKey::from_slice(&c.key);
        // Our copy of the key bytes (lifted from the foreign call) is wiped
        // at once; StoreKey wipes its own when dropped.
        c.key.zeroize();
        let key = key?;
        let mut cfg = hearth_core::EngineConfig::new(c.storage_dir, key);
        cfg.trusted_keys = c
            .trusted_keys
            .iter()
            .enumerate()
            .map(|(i, k)| {
                PublicKey::from_slice(k).map_err(|_| HearthError::InvalidArgument {
                    name: "trusted_keys".into(),
                    reason: format!(
                        "entry {i}: an Ed25519 public key is 32 bytes, got {}",
                        k.len()
                    ),
                })
            })
            .collect::<Result<_, _>>()?;
        if let Some(consent) = c.default_consent {
            cfg.default_consent = consent.into();
        }
        cfg.selection_seed = c.selection_seed;
        let l = c.limits;
        if let Some(v) = l.flush_interval_ms {
            cfg.flush_interval_ms = v;
        }
        if let Some(v) = l.max_catalog_bytes {
            cfg.max_catalog_bytes = usize::try_from(v).map_err(|_| HearthError::InvalidConfig {
                field: "max_catalog_bytes".into(),
                reason: format!("{v} does not fit this platform's address space"),
            })?;
        }
        if let Some(v) = l.max_ads_per_hour {
            cfg.ads.max_ads_per_hour = v;
        }
        if let Some(v) = l.max_ads_per_day {
            cfg.ads.max_ads_per_day = v;
        }
        if let Some(v) = l.min_ad_gap_ms {
            cfg.ads.min_gap_ms = v;
        }
        if let Some(v) = l.max_slots {
            cfg.ads.max_slots = v;
        }
        if let Some(v) = l.dismiss_limit {
            cfg.ads.dismiss_limit = v;
        }
        if let Some(v) = l.exploration {
            cfg.ads.exploration = v;
        }
        if let Some(v) = l.report_epsilon_per_metric {
            cfg.reports.epsilon_per_metric = v;
        }
        if let Some(v) = l.report_weekly_cap_per_metric {
            cfg.reports.weekly_cap_per_metric = v;
        }
        Ok(cfg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(key: Vec<u8>) -> EngineConfig {
        EngineConfig {
            storage_dir: "/tmp/x".into(),
            key,
            trusted_keys: Vec::new(),
            default_consent: None,
            limits: EngineLimits::default(),
            selection_seed: None,
        }
    }

    #[test]
    fn defaults_are_the_cores() {
        let Ok(c) = hearth_core::EngineConfig::try_from(config(vec![7; 32])) else {
            unreachable!("a 32-byte key is valid")
        };
        let d = hearth_core::EngineConfig::new("/tmp/x", StoreKey::from_bytes([7; 32]));
        assert_eq!(c.flush_interval_ms, d.flush_interval_ms);
        assert_eq!(c.max_catalog_bytes, d.max_catalog_bytes);
        assert_eq!(c.ads, d.ads);
        assert_eq!(c.reports, d.reports);
        assert_eq!(c.default_consent, d.default_consent);
    }

    #[test]
    fn wrong_key_length_is_a_typed_error() {
        let r = hearth_core::EngineConfig::try_from(config(vec![7; 31]));
        assert!(
            matches!(r, Err(HearthError::InvalidArgument { ref name, .. }) if name == "key"),
            "{r:?}",
        );
        let mut c = config(vec![7; 32]);
        c.trusted_keys = vec![vec![1; 32], vec![1; 3]];
        let r = hearth_core::EngineConfig::try_from(c);
        assert!(
            matches!(r, Err(HearthError::InvalidArgument { ref name, ref reason })
                if name == "trusted_keys" && reason.contains("entry 1")),
            "{r:?}",
        );
    }
}
