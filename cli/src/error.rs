//! The CLI's error type and its exit codes.
//!
//! | exit code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | could not do the job: I/O, keys, a bundle that fails verification |
//! | 2 | the catalog itself is wrong: the source does not parse or breaks a rule |

use std::fmt;
use std::path::{Path, PathBuf};

use crate::catalog_source::ParseError;

/// One problem with a catalog, named by its source JSON path and rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceIssue {
    /// Path in the source document, e.g.
    /// `campaigns[3].creative_sets[0].creatives[1].click_url`.
    pub path: String,
    /// The rule, as printed: `https-url`, `duplicate-id`, `taxonomy-version`, ….
    pub rule: String,
    /// What exactly is wrong.
    pub detail: String,
}

impl fmt::Display for SourceIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} [rule {}]", self.path, self.detail, self.rule)
    }
}

/// Everything a `hearth` publisher command can fail with.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Reading or writing a file (or stdin/stdout) failed.
    #[error("{what} {}: {source}", path.display())]
    Io {
        /// What was being done ("cannot read", "cannot write", …).
        what: &'static str,
        /// The file (`-` for stdin/stdout).
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A key file is missing, malformed or would be overwritten.
    #[error("key {}: {reason}", path.display())]
    Key {
        /// The key file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The catalog source is not valid JSON of the source format.
    #[error("{origin} is not a valid catalog source at {error}")]
    Parse {
        /// Where the source came from (file name or `stdin`).
        origin: String,
        /// The problem and its JSON path.
        error: ParseError,
    },
    /// The catalog breaks structural rules; every issue is listed.
    #[error("{origin}: {} validation issue{}", issues.len(), if issues.len() == 1 { "" } else { "s" })]
    Invalid {
        /// Where the catalog came from.
        origin: String,
        /// All issues, in document order.
        issues: Vec<SourceIssue>,
    },
    /// A bundle failed verification.
    #[error(
        "{origin}: bundle rejected ({}): {error}. {}",
        bundle_error_kind(error),
        bundle_error_meaning(error)
    )]
    Bundle {
        /// The bundle file.
        origin: String,
        /// The core's typed error.
        error: hearth_core::Error,
    },
    /// Any other error from `hearth-core` (taxonomy, sealing).
    #[error(transparent)]
    Core(#[from] hearth_core::Error),
    /// Serialising output failed.
    #[error("cannot write JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A command-line value is out of range.
    #[error("{0}")]
    Usage(String),
    /// An input data file (an interaction log, a model) is unreadable or
    /// malformed; the message names the file and line.
    #[error("{0}")]
    Input(String),
}

impl CliError {
    /// The process exit code for this error (see the module docs).
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Parse { .. } | CliError::Invalid { .. } => 2,
            _ => 1,
        }
    }

    pub(crate) fn io(what: &'static str, path: &Path, source: std::io::Error) -> Self {
        CliError::Io {
            what,
            path: path.to_path_buf(),
            source,
        }
    }
}

/// A short, stable name for each way a bundle can fail verification.
pub fn bundle_error_kind(e: &hearth_core::Error) -> &'static str {
    use hearth_core::Error as E;
    match e {
        E::CatalogTooLarge { .. } => "too-large",
        E::CatalogTruncated { .. } => "truncated",
        E::CatalogMalformed(_) => "malformed",
        E::CatalogUnsupportedFormat { .. } => "unsupported-format",
        E::CatalogUntrustedKey { .. } => "untrusted-key",
        E::CatalogBadSignature => "bad-signature",
        _ => "error",
    }
}

/// What a verification failure means for the person holding the file.
pub fn bundle_error_meaning(e: &hearth_core::Error) -> &'static str {
    use hearth_core::Error as E;
    match e {
        E::CatalogTooLarge { .. } => {
            "The file is larger than any phone accepts; it was not parsed."
        }
        E::CatalogTruncated { .. } => "The file was cut off (an incomplete download or copy).",
        E::CatalogMalformed(_) => "This is not a Hearth catalog bundle, or its framing is broken.",
        E::CatalogUnsupportedFormat { .. } => "It was written by a newer Hearth than this one.",
        E::CatalogUntrustedKey { .. } => {
            "It was signed by a key that is not among the --pub keys given."
        }
        E::CatalogBadSignature => {
            "The bytes were altered or damaged after signing; do not ship this file."
        }
        _ => "",
    }
}
