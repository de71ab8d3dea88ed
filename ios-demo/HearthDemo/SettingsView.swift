// Settings: the consent switch (personalised / contextual only / off), the
// user's data (export, reset), and what is installed (catalog, engine).

import HearthDemoModel
import SwiftUI

struct SettingsView: View {
    @EnvironmentObject private var store: AppStore
    /// The switch's position; follows the engine's consent.
    @State private var personalised = false
    @State private var confirmOff = false
    @State private var confirmReset = false
    @State private var showExport = false

    var body: some View {
        let state = store.state
        NavigationView {
            List {
                Section {
                    Toggle("Personalised feed and ads", isOn: $personalised)
                    Text(state.consent.explanation).font(.caption).foregroundColor(.secondary)
                    Button("Turn Hearth off and erase my profile", role: .destructive) { confirmOff = true }
                        .disabled(state.consent == .off)
                } header: {
                    Text("Consent: \(state.consent.title)")
                }
                Section("Your data") {
                    Button("Export my data (JSON)") { showExport = true }
                    Button("Reset: forget everything", role: .destructive) { confirmReset = true }
                }
                if let catalog = state.catalog {
                    Section("Ad catalog (signed, verified on the phone)") {
                        LabeledRow("Version", "\(catalog.version)")
                        LabeledRow("Campaigns", "\(catalog.campaigns) · \(catalog.creatives) creatives")
                        LabeledRow("Region", catalog.region)
                        LabeledRow("Signed by key", catalog.keyId)
                        LabeledRow("Expires", catalog.expiresAt.formatted(date: .abbreviated, time: .omitted))
                        Button("Install again") { store.run { $0.installCatalog() } }
                    }
                } else {
                    Section("Ad catalog") {
                        Text(state.status.selectionBlocked ?? "No catalog installed.").foregroundColor(.secondary)
                        Button("Install the bundled catalog") { store.run { $0.installCatalog() } }
                    }
                }
                Section("Engine") {
                    LabeledRow("Topics in the profile", "\(state.status.topics)")
                    LabeledRow("Events recorded", "\(state.status.eventsRecorded)")
                    LabeledRow("Encrypted state", "\(state.status.stateBytes) bytes")
                }
            }
            .listStyle(.insetGrouped)
            .navigationTitle("Settings")
            .onAppear { personalised = state.consent == .personalised }
            .onChange(of: state.consent) { consent in personalised = consent == .personalised }
            .onChange(of: personalised) { on in
                // Only a change made by the user reaches the engine.
                guard on != (store.state.consent == .personalised) else { return }
                let choice: ConsentChoice = on ? .personalised : .contextualOnly
                store.run { $0.setConsent(choice) }
            }
            .confirmationDialog("Turn Hearth off?", isPresented: $confirmOff, titleVisibility: .visible) {
                Button("Turn off and erase", role: .destructive) { store.run { $0.setConsent(.off) } }
            } message: {
                Text(ConsentChoice.off.explanation)
            }
            .confirmationDialog("Forget everything?", isPresented: $confirmReset, titleVisibility: .visible) {
                Button("Erase all my data", role: .destructive) { store.run { $0.reset() } }
            } message: {
                Text("Your interests, traits, ad history and choices are deleted from this phone. The public ad catalog stays.")
            }
            .sheet(isPresented: $showExport) { ExportView().environmentObject(store) }
        }
        .navigationViewStyle(.stack)
    }
}

/// A label and a value on one row (LabeledContent needs iOS 16).
struct LabeledRow: View {
    let label: String
    let value: String

    init(_ label: String, _ value: String) {
        self.label = label
        self.value = value
    }

    var body: some View {
        HStack {
            Text(label)
            Spacer()
            Text(value).foregroundColor(.secondary).multilineTextAlignment(.trailing)
        }
    }
}

/// Everything stored about the user, as JSON (`hearth-export/1`).
struct ExportView: View {
    @EnvironmentObject private var store: AppStore
    @Environment(\.dismiss) private var dismiss

    var body: some View {
        let store = self.store // for the @Sendable task closure
        NavigationView {
            ScrollView {
                Text(store.exportText ?? "Loading…")
                    .font(.system(.caption2, design: .monospaced))
                    .textSelection(.enabled)
                    .frame(maxWidth: .infinity, alignment: .leading)
                    .padding()
            }
            .navigationTitle("Your data")
            .navigationBarTitleDisplayMode(.inline)
            .toolbar {
                ToolbarItem(placement: .confirmationAction) { Button("Done") { dismiss() } }
            }
            .task { await store.loadExport() }
        }
    }
}
