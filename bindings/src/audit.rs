//! [`audit_payloads`]: the auditor of `hearth audit`, on the phone, so an app's
//! privacy dashboard can show the verdict on exactly the bytes it uploads.

use hearth_core::report::audit::{Auditor, Policy};

use crate::error::HearthError;

/// One broken rule in one payload.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AuditViolation {
    /// Which payload (1-based position in the list given).
    pub index: u64,
    /// The rule's name (`extra-field`, `max-epsilon`, `canonical`, …; the
    /// table is in `docs/report-payload.md`).
    pub rule: String,
    /// What exactly is wrong.
    pub detail: String,
}

/// The auditor's verdict on a list of payloads.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AuditVerdict {
    /// True if no payload broke any rule.
    pub passed: bool,
    /// Payloads checked (blank entries are skipped, not counted).
    pub payloads: u64,
    /// Every violation, in payload order.
    pub violations: Vec<AuditViolation>,
    /// The verdict line, as `hearth audit` prints it (`verdict: PASS — …`).
    pub summary: String,
}

/// Check report payloads (e.g. `PendingReport.payload` / `SentReport.payload`)
/// against the payload format and a policy: only the allowed fields, ε at most
/// `max_epsilon` (default 1) per metric, parameters consistent with ε, the
/// mechanism the domain-size rule picks, canonical bytes, one size for one
/// catalog. The same code as the auditor's `hearth audit`. Throws
/// `InvalidArgument` for a negative, infinite or NaN `max_epsilon`. Pure
/// computation, no I/O.
#[uniffi::export(default(max_epsilon = None))]
pub fn audit_payloads(
    payloads: Vec<String>,
    max_epsilon: Option<f64>,
) -> Result<AuditVerdict, HearthError> {
    let mut policy = Policy::default();
    if let Some(e) = max_epsilon {
        if !(e.is_finite() && e >= 0.0) {
            return Err(HearthError::InvalidArgument {
                name: "max_epsilon".into(),
                reason: format!("must be a finite number ≥ 0, got {e}"),
            });
        }
        policy.max_epsilon = e;
    }
    let mut auditor = Auditor::new(policy, None);
    for p in &payloads {
        // Exactly the given bytes: one entry is one payload, even if it
        // contains a line break (which the canonical form forbids).
        auditor.check_line(p.as_bytes());
    }
    let report = auditor.finish();
    let summary = report.verdict();
    Ok(AuditVerdict {
        passed: report.passed(),
        payloads: report.payloads,
        violations: report
            .violations
            .into_iter()
            .map(|v| AuditViolation {
                index: v.line,
                rule: v.rule.to_owned(),
                detail: v.detail,
            })
            .collect(),
        summary,
    })
}
