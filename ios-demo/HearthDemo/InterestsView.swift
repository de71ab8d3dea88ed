// "Your interests": what Hearth learned on the phone, each with its reason,
// with remove; the traits it inferred; the topics the user removed.

import HearthDemoModel
import SwiftUI

struct InterestsView: View {
    @EnvironmentObject private var store: AppStore

    var body: some View {
        let screen = store.state.interests
        NavigationView {
            List {
                Section {
                    if screen.interests.isEmpty {
                        Text(screen.learning
                            ? "Nothing learned yet. Read a few articles in For you."
                            : "Personalisation is off: Hearth learns nothing. Turn it on in Settings.")
                            .foregroundColor(.secondary)
                    }
                    ForEach(screen.interests) { row in
                        InterestRowView(row: row)
                            .swipeActions {
                                Button("Remove", role: .destructive) { remove(row) }
                            }
                            .contextMenu {
                                Button(role: .destructive) { remove(row) } label: { Label("Remove", systemImage: "trash") }
                            }
                    }
                } header: {
                    Text("Learned on this phone")
                } footer: {
                    Text("Swipe to remove an interest; Hearth then never learns it (or its subtopics) again until you allow it.")
                }
                if !screen.traits.isEmpty {
                    Section("Inferred about you") {
                        ForEach(screen.traits) { t in
                            VStack(alignment: .leading, spacing: 4) {
                                Text(t.label).font(.headline)
                                Text(t.reason).font(.caption).foregroundColor(.secondary)
                            }
                            .swipeActions {
                                Button("Remove", role: .destructive) {
                                    let id = t.id
                                    store.run { $0.removeTrait(id) }
                                }
                            }
                        }
                    }
                }
                if !screen.hiddenTopics.isEmpty {
                    Section("Removed topics") {
                        ForEach(screen.hiddenTopics) { topic in
                            HStack {
                                Text(topic.label)
                                Spacer()
                                Button("Allow again") {
                                    let id = topic.id
                                    store.run { $0.allowTopic(id) }
                                }
                                .buttonStyle(.borderless)
                            }
                        }
                    }
                }
            }
            .listStyle(.insetGrouped)
            .navigationTitle("Your interests")
        }
        .navigationViewStyle(.stack)
    }

    private func remove(_ row: InterestRow) {
        let id = row.id
        store.run { $0.removeInterest(id) }
    }
}

struct InterestRowView: View {
    let row: InterestRow

    var body: some View {
        VStack(alignment: .leading, spacing: 4) {
            HStack {
                Text(row.label).font(.headline)
                Spacer()
                Text(String(format: "%.1f", row.weight)).font(.caption).foregroundColor(.secondary).monospacedDigit()
            }
            ProgressView(value: row.share)
            Text(row.path).font(.caption2).foregroundColor(.secondary)
            Text(row.reason).font(.caption)
        }
        .padding(.vertical, 2)
    }
}
