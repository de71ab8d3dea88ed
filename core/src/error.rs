//! The one error type of `hearth-core`.
//!
//! Every fallible call in the crate returns [`Result<T>`]. Variants are grouped by
//! the part that raises them; each says exactly what went wrong so that the
//! bindings can map it to a typed exception without parsing messages.

use std::path::PathBuf;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong inside Hearth's core.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    // ---- arguments -------------------------------------------------------
    /// A topic id that the active taxonomy does not contain.
    #[error("unknown topic id {0:?}")]
    UnknownTopic(String),
    /// A topic label that the active taxonomy does not contain.
    #[error("unknown topic label {0:?}")]
    UnknownLabel(String),
    /// An argument is out of its documented range or malformed.
    #[error("invalid argument `{name}`: {reason}")]
    InvalidArgument {
        /// Name of the offending argument or field.
        name: &'static str,
        /// What rule it broke.
        reason: String,
    },
    /// A configuration value is out of range.
    #[error("invalid configuration `{field}`: {reason}")]
    InvalidConfig {
        /// The configuration field.
        field: &'static str,
        /// What rule it broke.
        reason: String,
    },

    // ---- taxonomy data ---------------------------------------------------
    /// Taxonomy data could not be parsed or is inconsistent.
    #[error("invalid taxonomy: {0}")]
    InvalidTaxonomy(String),

    // ---- store -----------------------------------------------------------
    /// The operating system refused a file operation.
    #[error("storage I/O error on {path}: {source}")]
    StoreIo {
        /// File or directory involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A stored file is shorter than its header says: it was cut off.
    #[error("stored file {path} is truncated ({actual} of {expected} bytes)")]
    StoreTruncated {
        /// The file.
        path: PathBuf,
        /// Bytes the header promises.
        expected: u64,
        /// Bytes present.
        actual: u64,
    },
    /// A stored file fails its integrity checksum or is not a Hearth file:
    /// accidental corruption (bit rot, partial overwrite, wrong file).
    #[error("stored file {path} is corrupted: {reason}")]
    StoreCorrupted {
        /// The file.
        path: PathBuf,
        /// What check failed.
        reason: &'static str,
    },
    /// The file is intact but was written under a different key.
    #[error("stored file {path} was written with a different key")]
    StoreWrongKey {
        /// The file.
        path: PathBuf,
    },
    /// The checksum matches but authenticated decryption fails: the file was
    /// deliberately modified.
    #[error("stored file {path} failed authentication: it was tampered with")]
    StoreTampered {
        /// The file.
        path: PathBuf,
    },
    /// The file was written by a newer version of Hearth than this one.
    #[error("stored file {path} has {what} version {found}, this build supports up to {supported}")]
    StoreUnsupportedVersion {
        /// The file.
        path: PathBuf,
        /// Which version field (file format or schema).
        what: &'static str,
        /// Version found in the file.
        found: u16,
        /// Highest version this build reads.
        supported: u16,
    },
    /// The decrypted content could not be decoded as the declared schema.
    #[error("stored file {path} decrypted but could not be decoded: {reason}")]
    StoreDecode {
        /// The file.
        path: PathBuf,
        /// Decoder message.
        reason: String,
    },

    // ---- catalog ---------------------------------------------------------
    /// The bundle is larger than the configured limit; it was not parsed.
    #[error("catalog bundle is {size} bytes, the limit is {max}")]
    CatalogTooLarge {
        /// Bundle size.
        size: u64,
        /// Configured limit.
        max: u64,
    },
    /// The bundle is shorter than its header says.
    #[error("catalog bundle is truncated ({actual} of {expected} bytes)")]
    CatalogTruncated {
        /// Bytes the header promises.
        expected: u64,
        /// Bytes present.
        actual: u64,
    },
    /// The bundle is not a Hearth catalog or its framing is broken.
    #[error("catalog bundle is malformed: {0}")]
    CatalogMalformed(String),
    /// The bundle's format version is newer than this build reads.
    #[error("catalog bundle format {found} is not supported (this build reads up to {supported})")]
    CatalogUnsupportedFormat {
        /// Version in the bundle.
        found: u16,
        /// Highest supported.
        supported: u16,
    },
    /// The bundle is signed by a key that is not in the trusted list.
    #[error("catalog is signed by untrusted key {key_id}")]
    CatalogUntrustedKey {
        /// Hex key id from the header.
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
    #[error("catalog is invalid at {path}: {detail} (rule: {rule})")]
    CatalogInvalid {
        /// JSON-style path of the offending value, e.g.
        /// `campaigns[3].creative_sets[0].creatives[1].click_url`.
        path: String,
        /// Which rule.
        rule: CatalogRule,
        /// What exactly is wrong.
        detail: String,
    },

    // ---- ads -------------------------------------------------------------
    /// An ad event token that this engine did not issue (malformed or forged).
    #[error("invalid ad token")]
    InvalidAdToken,
    /// A genuine ad token that expired unused, or whose ad left the history.
    #[error("ad token expired")]
    AdTokenExpired,

    // ---- reports -----------------------------------------------------------
    /// A report payload is malformed or inconsistent.
    #[error("invalid report payload: {0}")]
    InvalidPayload(String),

    // ---- engine ----------------------------------------------------------
    /// The engine was closed; no further calls are accepted.
    #[error("the engine is closed")]
    Closed,
    /// Another engine in this process already has the storage directory open.
    #[error("storage directory {0} is already open in this process")]
    AlreadyOpen(PathBuf),
    /// Serialising data for export failed.
    #[error("export failed: {0}")]
    Export(String),
}

/// The structural rules a catalog must satisfy (see [`Error::CatalogInvalid`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[non_exhaustive]
pub enum CatalogRule {
    /// Ids must be unique (campaigns, creative sets and creatives share one space;
    /// advertisers have their own).
    DuplicateId,
    /// A reference (advertiser id, topic id) must resolve.
    DanglingReference,
    /// URLs must be absolute `https://` URLs with a host and no spaces.
    HttpsUrl,
    /// A number is outside its documented range.
    Range,
    /// A string is empty or longer than allowed, or uses forbidden characters.
    StringFormat,
    /// A list holds more entries than allowed.
    Count,
    /// Sensitive topics can never be targeted or anti-targeted.
    SensitiveTopic,
    /// A model blob (e.g. `classifier/1`) cannot be decoded or breaks its
    /// format's rules.
    Model,
}

impl std::fmt::Display for CatalogRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CatalogRule::DuplicateId => "duplicate-id",
            CatalogRule::DanglingReference => "dangling-reference",
            CatalogRule::HttpsUrl => "https-url",
            CatalogRule::Range => "range",
            CatalogRule::StringFormat => "string-format",
            CatalogRule::Count => "count",
            CatalogRule::SensitiveTopic => "sensitive-topic",
            CatalogRule::Model => "model",
        })
    }
}
