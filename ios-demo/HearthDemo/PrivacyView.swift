// The privacy dashboard: every byte that leaves (or left) the phone, exactly
// as uploaded; the privacy budget (ε); the auditor's verdict on those bytes;
// the demo collector's upload log. And, for the demo, "pass a day" so that
// today's report closes without waiting for midnight UTC.

import HearthDemoModel
import SwiftUI

struct PrivacyView: View {
    @EnvironmentObject private var store: AppStore

    var body: some View {
        let state = store.state
        let privacy = state.privacy
        let store = self.store // for the @Sendable task and refresh closures
        NavigationView {
            List {
                Section {
                    Text("Hearth sends no data about you. Once a day it produces one small report of noised counts (which campaigns were shown, clicked, converted), with local differential privacy. Below are the exact bytes.")
                        .font(.footnote)
                }
                if let budget = privacy.budget {
                    Section {
                        ForEach(budget.metrics) { m in
                            VStack(alignment: .leading, spacing: 4) {
                                HStack {
                                    Text(m.metric)
                                    Spacer()
                                    Text(String(format: "ε %.1f of %.1f spent · %.1f left", m.spent, budget.weeklyCap, m.remaining))
                                        .font(.caption).monospacedDigit().foregroundColor(.secondary)
                                }
                                ProgressView(value: min(m.spent, budget.weeklyCap), total: budget.weeklyCap)
                            }
                        }
                    } header: {
                        Text("Privacy budget")
                    } footer: {
                        Text(String(format: "ε = %.1f per metric per day, at most %.1f in any 7 days. Spent budget is never refunded.", budget.epsilonPerDay, budget.weeklyCap))
                    }
                }
                Section("Auditor") {
                    if let audit = privacy.audit {
                        Label(audit.passed ? "PASS" : "FAIL", systemImage: audit.passed ? "checkmark.seal.fill" : "xmark.octagon.fill")
                            .foregroundColor(audit.passed ? .green : .red)
                            .font(.headline)
                        Text(audit.summary).font(.caption)
                        ForEach(audit.violations, id: \.self) { v in
                            Text(v).font(.caption).foregroundColor(.red)
                        }
                        Text("The same checks as the auditors' `hearth audit` tool, run on the phone over every payload below.")
                            .font(.caption2).foregroundColor(.secondary)
                    } else {
                        Text("No payloads yet: today's report closes at midnight UTC (or tap Pass a day).")
                            .foregroundColor(.secondary)
                    }
                }
                Section {
                    ForEach(privacy.pending) { PayloadView(report: $0) }
                    Button("Upload now") { store.run { $0.uploadPendingReports() } }
                        .disabled(privacy.pending.isEmpty)
                } header: {
                    Text("Waiting for upload (\(privacy.pending.count))")
                }
                if !privacy.sent.isEmpty {
                    Section("Sent (\(privacy.sent.count))") {
                        ForEach(privacy.sent) { PayloadView(report: $0) }
                    }
                }
                Section {
                    if privacy.uploadLog.isEmpty {
                        Text("Nothing uploaded yet.").foregroundColor(.secondary)
                    }
                    ForEach(Array(privacy.uploadLog.enumerated()), id: \.offset) { _, line in
                        Text(line).font(.system(.caption2, design: .monospaced)).textSelection(.enabled)
                    }
                } header: {
                    Text("Upload log (the demo's \u{201C}server\u{201D})")
                } footer: {
                    Text(privacy.uploadDestination)
                }
                Section {
                    Button("Pass a day") { store.run { $0.passDay() } }
                } header: {
                    Text("Demo: simulated time")
                } footer: {
                    Text("It is \(state.now.formatted(date: .abbreviated, time: .shortened)) on Hearth's clock (\(state.skippedDays) day(s) skipped). Skipping a day closes today's report.")
                }
            }
            .listStyle(.insetGrouped)
            .navigationTitle("Privacy")
            // pendingReports blocks (it may close a day and write a file).
            .refreshable { await store.perform { $0.refreshPrivacy() } }
            .task { await store.perform { $0.refreshPrivacy() } }
        }
        .navigationViewStyle(.stack)
    }
}

/// One report: its day and its exact payload, selectable.
struct PayloadView: View {
    let report: ReportRow

    var body: some View {
        VStack(alignment: .leading, spacing: 4) {
            HStack {
                Text(report.period).font(.headline)
                Spacer()
                Text("\(report.bytes) bytes").font(.caption).foregroundColor(.secondary)
            }
            if let sent = report.acknowledgedAt {
                Text("Uploaded \(sent.formatted(date: .abbreviated, time: .shortened))")
                    .font(.caption).foregroundColor(.secondary)
            }
            Text(report.payload)
                .font(.system(.caption2, design: .monospaced))
                .textSelection(.enabled)
        }
        .padding(.vertical, 2)
    }
}
