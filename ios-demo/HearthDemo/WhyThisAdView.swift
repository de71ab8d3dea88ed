// "Why this ad?": the reason Hearth chose the ad, on the phone, with the
// user's controls.

import HearthDemoModel
import SwiftUI

struct WhyThisAdView: View {
    let ad: AdCard
    @EnvironmentObject private var store: AppStore
    @Environment(\.dismiss) private var dismiss

    var body: some View {
        NavigationView {
            List {
                Section {
                    Text(ad.why.text)
                } header: {
                    Text(ad.why.basis.title)
                } footer: {
                    Text("Chosen on your phone from a catalog signed by the ad network. Nothing about you was sent to choose it.")
                }
                if !ad.why.interests.isEmpty {
                    Section("Your interests it matches") {
                        ForEach(ad.why.interests) { i in
                            HStack {
                                Text(i.label)
                                Spacer()
                                Text(String(format: "%.1f", i.weight)).foregroundColor(.secondary).monospacedDigit()
                            }
                        }
                    }
                }
                if !ad.why.traits.isEmpty {
                    Section("What it is aimed at") {
                        ForEach(ad.why.traits, id: \.self) { Text($0) }
                    }
                }
                if !ad.why.pageTopics.isEmpty {
                    Section("This screen's topics") {
                        ForEach(ad.why.pageTopics, id: \.self) { Text($0) }
                    }
                }
                Section {
                    Button("Not interested in this ad") { react(.dislike) }
                    Button("Hide all ads from \(ad.advertiserName)", role: .destructive) { react(.hide) }
                }
            }
            .navigationTitle("Why this ad?")
            .navigationBarTitleDisplayMode(.inline)
            .toolbar {
                ToolbarItem(placement: .confirmationAction) { Button("Done") { dismiss() } }
            }
        }
    }

    private func react(_ reaction: AdReaction) {
        let token = ad.token
        store.run { $0.react(token: token, reaction) }
        dismiss()
    }
}
