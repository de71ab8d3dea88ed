// "Ads you've seen": the last 30 days of ads shown, kept on the phone, with
// like and hide; the advertisers the user hid, with "show again".

import HearthDemoModel
import SwiftUI

struct HistoryView: View {
    @EnvironmentObject private var store: AppStore

    var body: some View {
        let screen = store.state.history
        NavigationView {
            List {
                Section {
                    if screen.entries.isEmpty {
                        Text("No ads shown yet.").foregroundColor(.secondary)
                    }
                    ForEach(screen.entries) { row in
                        HistoryRowView(row: row,
                                       hidden: screen.hiddenAdvertisers.contains { $0.id == row.advertiserId })
                    }
                } header: {
                    Text("Last 30 days")
                } footer: {
                    Text("This history never leaves the phone. Only noised daily counts do (see Privacy).")
                }
                if !screen.hiddenAdvertisers.isEmpty {
                    Section("Hidden advertisers") {
                        ForEach(screen.hiddenAdvertisers) { a in
                            HStack {
                                Text(a.name)
                                Spacer()
                                Button("Show again") {
                                    let id = a.id
                                    store.run { $0.unhideAdvertiser(id) }
                                }
                                .buttonStyle(.borderless)
                            }
                        }
                    }
                }
            }
            .listStyle(.insetGrouped)
            .navigationTitle("Ads you've seen")
        }
        .navigationViewStyle(.stack)
    }
}

struct HistoryRowView: View {
    let row: HistoryRow
    let hidden: Bool
    @EnvironmentObject private var store: AppStore

    var body: some View {
        VStack(alignment: .leading, spacing: 6) {
            Text(row.title).font(.headline)
            Text("\(row.advertiserName) · \(row.shownAt.formatted(date: .abbreviated, time: .shortened))")
                .font(.caption)
                .foregroundColor(.secondary)
            HStack(spacing: 16) {
                Button {
                    react(.like)
                } label: {
                    Label("Like", systemImage: row.reactions.contains(.like) ? "hand.thumbsup.fill" : "hand.thumbsup")
                }
                .disabled(row.reactions.contains(.like))
                Button(role: .destructive) {
                    react(.hide)
                } label: {
                    Label(hidden ? "Hidden" : "Hide advertiser", systemImage: "eye.slash")
                }
                .disabled(hidden)
                Spacer()
                if !row.reactions.isEmpty {
                    Text(row.reactions.map(\.rawValue).joined(separator: ", "))
                        .font(.caption2)
                        .foregroundColor(.secondary)
                }
            }
            .buttonStyle(.borderless)
            .font(.caption)
        }
        .padding(.vertical, 2)
    }

    private func react(_ reaction: AdReaction) {
        let token = row.id
        store.run { $0.react(token: token, reaction) }
    }
}
