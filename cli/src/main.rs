//! `hearth`: demo, publisher and auditor tool.
fn main() {}
