//! Report payloads as the auditor (`hearth audit`, and the phone's privacy
//! dashboard) and the collector (`hearth report aggregate`) read them: any
//! bytes, many lines. Checks that the canonical form is a fixed point and that
//! the aggregator's fast path agrees with its full parser.
#![no_main]

use hearth_cli::report_tools::CatalogInfo;
use hearth_cli::report_tools::aggregate::Aggregator;
use hearth_cli::report_tools::audit::{AuditCatalog, Auditor, Policy};
use hearth_core::report::Payload;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The auditor, with and without a catalog.
    for catalog in [
        None,
        Some(AuditCatalog {
            version: 1,
            domain: 16,
        }),
    ] {
        let mut a = Auditor::new(Policy::default(), catalog);
        a.read_from(data).expect("reading a slice cannot fail");
        let r = a.finish();
        assert!(r.passed <= r.payloads && r.payloads + r.blank == r.lines);
        let _ = r.text("fuzz");
    }
    // The payload parser: what parses re-serialises to a fixed point.
    for line in data.split(|&b| b == b'\n') {
        let Ok(text) = std::str::from_utf8(line) else {
            continue;
        };
        if let Ok(p) = Payload::parse(text) {
            let canonical = p.to_json();
            let again = Payload::parse(&canonical)
                .unwrap_or_else(|e| panic!("canonical form does not parse: {e}\n{canonical}"));
            assert_eq!(
                again.to_json(),
                canonical,
                "canonical form is a fixed point"
            );
        }
    }
    // The collector: the fast path must agree with the full parser.
    let cat = CatalogInfo::synthetic(1, 15);
    let mut fast = Aggregator::new(cat.clone());
    let mut slow = Aggregator::new(cat).without_fast_path();
    assert_eq!(fast.feed(data, true), data.len());
    assert_eq!(slow.feed(data, true), data.len());
    let (f, s) = (fast.report(), slow.report());
    assert_eq!((f.lines, f.valid, f.blank), (s.lines, s.valid, s.blank));
    let lines = |r: &hearth_cli::report_tools::aggregate::AggregateReport| {
        r.rejected.iter().map(|i| i.line).collect::<Vec<_>>()
    };
    assert_eq!(lines(&f), lines(&s), "the same lines rejected");
    assert_eq!(
        serde_json::to_string(&f.groups).unwrap(),
        serde_json::to_string(&s.groups).unwrap(),
        "the same estimates"
    );
    let _ = f.table();
});
