// The app's five tabs, and a banner for the latest error or notice.

import HearthDemoModel
import SwiftUI

struct RootView: View {
    @EnvironmentObject private var store: AppStore

    var body: some View {
        // Closures that SwiftUI may run off the main actor capture the store,
        // not the view.
        let store = self.store
        TabView {
            FeedView()
                .tabItem { Label("For you", systemImage: "newspaper") }
            InterestsView()
                .tabItem { Label("Interests", systemImage: "heart.text.square") }
            HistoryView()
                .tabItem { Label("Ads", systemImage: "rectangle.stack") }
            PrivacyView()
                .tabItem { Label("Privacy", systemImage: "lock.shield") }
                .badge(store.state.privacy.pending.count)
            SettingsView()
                .tabItem { Label("Settings", systemImage: "gearshape") }
        }
        .safeAreaInset(edge: .top, spacing: 0) { StatusBanner() }
        .task { await store.open() }
    }
}

/// The latest error (with the way out it offers) or notice.
struct StatusBanner: View {
    @EnvironmentObject private var store: AppStore
    @State private var dismissedRevision = -1
    @State private var confirmErase = false

    var body: some View {
        let state = store.state
        if let error = state.error {
            VStack(alignment: .leading, spacing: 8) {
                Label(error.description, systemImage: "exclamationmark.triangle.fill")
                    .font(.footnote)
                HStack {
                    if error.offersErase {
                        Button("Erase and start over", role: .destructive) { confirmErase = true }
                    } else if !state.isOpen {
                        Button("Try again") { Task { await store.open() } }
                    }
                    Spacer()
                }
                .buttonStyle(.bordered)
                .font(.footnote)
            }
            .padding(10)
            .frame(maxWidth: .infinity, alignment: .leading)
            .background(Color.red.opacity(0.15))
            .confirmationDialog("Erase the stored profile?", isPresented: $confirmErase, titleVisibility: .visible) {
                Button("Erase", role: .destructive) { store.run { $0.eraseStorageAndReopen() } }
            } message: {
                Text("It cannot be read with this device's key. Hearth starts again with an empty profile.")
            }
        } else if let notice = state.notice, state.revision != dismissedRevision {
            HStack(alignment: .top) {
                Text(notice).font(.footnote)
                Spacer()
                Button {
                    dismissedRevision = state.revision
                } label: {
                    Image(systemName: "xmark.circle.fill").foregroundColor(.secondary)
                }
                .buttonStyle(.borderless)
                .accessibilityLabel("Dismiss")
            }
            .padding(10)
            .background(Color.accentColor.opacity(0.12))
        }
    }
}
