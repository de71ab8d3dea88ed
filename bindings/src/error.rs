//! The one exported error type, [`HearthError`], and its mapping from
//! [`hearth_core::Error`].
//!
//! Kotlin sees it as `sealed class HearthException : Exception` with one
//! subclass per variant (`HearthException.StoreWrongKey`, …); Swift as
//! `enum HearthError: Error` (`catch HearthError.StoreWrongKey(let path)`).
//! Its `Display` text (Kotlin `toString()`, Swift `description`) is the
//! human-readable message; the fields are there to act on.

use hearth_core::error::Error as CoreError;

/// The structural rule a catalog broke (see [`HearthError::CatalogInvalid`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum CatalogRule {
    /// Ids must be unique.
    DuplicateId,
    /// A reference (advertiser id, topic id) must resolve.
    DanglingReference,
    /// URLs must be absolute `https://` URLs with a host and no spaces.
    HttpsUrl,
    /// A number is outside its documented range.
    Range,
    /// A string is empty, too long, or uses forbidden characters.
    StringFormat,
    /// A list holds more entries than allowed.
    Count,
    /// Sensitive topics can never be targeted or anti-targeted.
    SensitiveTopic,
    /// A rule added to the engine after this binding was built.
    Other,
}

impl From<hearth_core::error::CatalogRule> for CatalogRule {
    fn from(r: hearth_core::error::CatalogRule) -> Self {
        use hearth_core::error::CatalogRule as R;
        match r {
            R::DuplicateId => Self::DuplicateId,
            R::DanglingReference => Self::DanglingReference,
            R::HttpsUrl => Self::HttpsUrl,
            R::Range => Self::Range,
            R::StringFormat => Self::StringFormat,
            R::Count => Self::Count,
            R::SensitiveTopic => Self::SensitiveTopic,
            _ => Self::Other,
        }
    }
}

/// Everything that can go wrong in a Hearth call. Every failing call throws
/// exactly one of these; nothing else (in particular no Rust panic) crosses
/// the boundary.
#[derive(Debug, Clone, PartialEq, thiserror::Error, uniffi::Error)]
#[uniffi::export(Display)]
pub enum HearthError {
    // ---- arguments and configuration ------------------------------------
    /// A topic id the taxonomy does not contain.
    #[error("unknown topic id {topic_id:?}")]
    UnknownTopic {
        /// The id as given (truncated if very long).
        topic_id: String,
    },
    /// An argument is out of its documented range or malformed.
    #[error("invalid argument `{name}`: {reason}")]
    InvalidArgument {
        /// Name of the offending argument or field, e.g. `key` or `slots`.
        name: String,
        /// Which rule it broke.
        reason: String,
    },
    /// A configuration value is out of range (from `Engine.open`).
    #[error("invalid configuration `{field}`: {reason}")]
    InvalidConfig {
        /// The configuration field, e.g. `ads.exploration`.
        field: String,
        /// Which rule it broke.
        reason: String,
    },

    // ---- stored state (from `Engine.open`) --------------------------------
    /// The stored state was written with a different key. Use the right key,
    /// or call `eraseStorage` and start over.
    #[error("stored file {path} was written with a different key")]
    StoreWrongKey {
        /// The file.
        path: String,
    },
    /// The stored state fails authentication: it was deliberately modified.
    #[error("stored file {path} failed authentication: it was tampered with")]
    StoreTampered {
        /// The file.
        path: String,
    },
    /// The stored state is damaged (bit rot, partial overwrite, not a Hearth
    /// file) or does not decode.
    #[error("stored file {path} is corrupted: {reason}")]
    StoreCorrupted {
        /// The file.
        path: String,
        /// Which check failed.
        reason: String,
    },
    /// A stored file is shorter than its header says: it was cut off.
    #[error("stored file {path} is truncated ({actual} of {expected} bytes)")]
    StoreTruncated {
        /// The file.
        path: String,
        /// Bytes the header promises.
        expected: u64,
        /// Bytes present.
        actual: u64,
    },
    /// A stored file was written by a newer version of Hearth.
    #[error("stored file {path} has {what} version {found}, this build supports up to {supported}")]
    StoreUnsupportedVersion {
        /// The file.
        path: String,
        /// Which version field (file format or schema).
        what: String,
        /// Version found in the file.
        found: u16,
        /// Highest version this build reads.
        supported: u16,
    },

    // ---- catalog (from `Engine.installCatalog`) ---------------------------
    /// The bundle is larger than `EngineLimits.maxCatalogBytes`; not parsed.
    #[error("catalog bundle is {size} bytes, the limit is {max}")]
    CatalogTooLarge {
        /// Bundle size.
        size: u64,
        /// Configured limit.
        max: u64,
    },
    /// The bundle is shorter than its header says (an interrupted download).
    #[error("catalog bundle is truncated ({actual} of {expected} bytes)")]
    CatalogTruncated {
        /// Bytes the header promises.
        expected: u64,
        /// Bytes present.
        actual: u64,
    },
    /// The bytes are not a Hearth catalog, or its framing is broken.
    #[error("catalog bundle is malformed: {reason}")]
    CatalogMalformed {
        /// What is wrong.
        reason: String,
    },
    /// The bundle's format version is newer than this build reads.
    #[error("catalog bundle format {found} is not supported (this build reads up to {supported})")]
    CatalogUnsupportedFormat {
        /// Version in the bundle.
        found: u16,
        /// Highest supported.
        supported: u16,
    },
    /// The bundle is signed by a key that is not in `EngineConfig.trustedKeys`.
    #[error("catalog is signed by untrusted key {key_id}")]
    CatalogUntrustedKey {
        /// Hex key id from the bundle header.
        key_id: String,
    },
    /// The signature does not verify: the bundle was altered or damaged.
    #[error("catalog signature does not verify")]
    CatalogBadSignature,
    /// The offered catalog is older than the installed one.
    #[error("catalog version {offered} is older than the installed version {installed}")]
    CatalogDowngrade {
        /// Installed version.
        installed: u64,
        /// Offered version.
        offered: u64,
    },
    /// The catalog's expiry time has passed.
    #[error("catalog expired at {expires_at_ms} (now {now_ms})")]
    CatalogExpired {
        /// Expiry, Unix ms.
        expires_at_ms: i64,
        /// The engine's current time, Unix ms.
        now_ms: i64,
    },
    /// The catalog targets a different taxonomy than the engine uses.
    #[error("catalog targets taxonomy {catalog:?}, the engine uses {engine:?}")]
    CatalogTaxonomyMismatch {
        /// The catalog's taxonomy version.
        catalog: String,
        /// The engine's taxonomy version.
        engine: String,
    },
    /// The catalog's content breaks a structural rule.
    #[error("catalog is invalid at {path}: {detail} (rule: {rule:?})")]
    CatalogInvalid {
        /// JSON-style path of the offending value, e.g.
        /// `campaigns[3].creative_sets[0].creatives[1].click_url`.
        path: String,
        /// Which rule.
        rule: CatalogRule,
        /// What exactly is wrong.
        detail: String,
    },

    // ---- ads ---------------------------------------------------------------
    /// An ad token this engine did not issue (malformed or forged).
    #[error("invalid ad token")]
    InvalidAdToken,
    /// A genuine ad token that expired unused, or whose ad left the history.
    #[error("ad token expired")]
    AdTokenExpired,

    // ---- engine --------------------------------------------------------------
    /// The engine was closed; no further calls are accepted.
    #[error("the engine is closed")]
    Closed,
    /// Another engine in this process already has the storage directory open.
    #[error("storage directory {path} is already open in this process")]
    AlreadyOpen {
        /// The directory.
        path: String,
    },
    /// The operating system refused a file operation (disk full, permissions).
    #[error("storage I/O error on {path}: {reason}")]
    Io {
        /// File or directory involved.
        path: String,
        /// The operating system's message.
        reason: String,
    },
    /// A failure that is not the caller's to fix (a bug, or an error kind
    /// added to the engine after this binding was built). Please report it.
    #[error("internal error: {reason}")]
    Internal {
        /// What went wrong.
        reason: String,
    },
}

fn path(p: &std::path::Path) -> String {
    p.display().to_string()
}

impl From<CoreError> for HearthError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::UnknownTopic(topic_id) => Self::UnknownTopic { topic_id },
            CoreError::UnknownLabel(label) => Self::InvalidArgument {
                name: "label".into(),
                reason: format!("unknown topic label {label:?}"),
            },
            CoreError::InvalidArgument { name, reason } => Self::InvalidArgument {
                name: name.into(),
                reason,
            },
            CoreError::InvalidConfig { field, reason } => Self::InvalidConfig {
                field: field.into(),
                reason,
            },
            CoreError::StoreIo { path: p, source } => Self::Io {
                path: path(&p),
                reason: source.to_string(),
            },
            CoreError::StoreTruncated {
                path: p,
                expected,
                actual,
            } => Self::StoreTruncated {
                path: path(&p),
                expected,
                actual,
            },
            CoreError::StoreCorrupted { path: p, reason } => Self::StoreCorrupted {
                path: path(&p),
                reason: reason.into(),
            },
            CoreError::StoreDecode { path: p, reason } => Self::StoreCorrupted {
                path: path(&p),
                reason: format!("decrypted but could not be decoded: {reason}"),
            },
            CoreError::StoreWrongKey { path: p } => Self::StoreWrongKey { path: path(&p) },
            CoreError::StoreTampered { path: p } => Self::StoreTampered { path: path(&p) },
            CoreError::StoreUnsupportedVersion {
                path: p,
                what,
                found,
                supported,
            } => Self::StoreUnsupportedVersion {
                path: path(&p),
                what: what.into(),
                found,
                supported,
            },
            CoreError::CatalogTooLarge { size, max } => Self::CatalogTooLarge { size, max },
            CoreError::CatalogTruncated { expected, actual } => {
                Self::CatalogTruncated { expected, actual }
            }
            CoreError::CatalogMalformed(reason) => Self::CatalogMalformed { reason },
            CoreError::CatalogUnsupportedFormat { found, supported } => {
                Self::CatalogUnsupportedFormat { found, supported }
            }
            CoreError::CatalogUntrustedKey { key_id } => Self::CatalogUntrustedKey { key_id },
            CoreError::CatalogBadSignature => Self::CatalogBadSignature,
            CoreError::CatalogDowngrade { installed, offered } => {
                Self::CatalogDowngrade { installed, offered }
            }
            CoreError::CatalogExpired {
                expires_at_ms,
                now_ms,
            } => Self::CatalogExpired {
                expires_at_ms,
                now_ms,
            },
            CoreError::CatalogTaxonomyMismatch { catalog, engine } => {
                Self::CatalogTaxonomyMismatch { catalog, engine }
            }
            CoreError::CatalogInvalid { path, rule, detail } => Self::CatalogInvalid {
                path,
                rule: rule.into(),
                detail,
            },
            CoreError::InvalidAdToken => Self::InvalidAdToken,
            CoreError::AdTokenExpired => Self::AdTokenExpired,
            CoreError::Closed => Self::Closed,
            CoreError::AlreadyOpen(p) => Self::AlreadyOpen { path: path(&p) },
            // InvalidTaxonomy (the embedded taxonomy is checked by tests),
            // InvalidPayload, Export and kinds added later.
            other => Self::Internal {
                reason: other.to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_errors_map_to_distinct_variants() {
        let e: HearthError = CoreError::StoreWrongKey {
            path: "/x/state.hearth".into(),
        }
        .into();
        assert_eq!(
            e,
            HearthError::StoreWrongKey {
                path: "/x/state.hearth".into()
            }
        );
        let e: HearthError = CoreError::CatalogInvalid {
            path: "campaigns[0].id".into(),
            rule: hearth_core::error::CatalogRule::DuplicateId,
            detail: "dup".into(),
        }
        .into();
        assert!(matches!(
            e,
            HearthError::CatalogInvalid {
                rule: CatalogRule::DuplicateId,
                ..
            }
        ));
        let e: HearthError = CoreError::Export("boom".into()).into();
        assert!(matches!(e, HearthError::Internal { .. }));
        assert_eq!(e.to_string(), "internal error: export failed: boom");
    }
}
