// "For you": the app's articles ranked on the phone (Engine.rankItems), with
// one ad slot (Engine.selectAds) and "Why this ad?".

import HearthDemoModel
import SwiftUI

struct FeedView: View {
    @EnvironmentObject private var store: AppStore
    @State private var whyAd: AdCard?
    @State private var query = ""

    var body: some View {
        let feed = store.state.feed
        let store = self.store // for the @Sendable refresh closure
        NavigationView {
            List {
                if !feed.personalised {
                    Section {
                        Text("Personalisation is off: the feed keeps the magazine's order and ads match only the screen. Turn it on in Settings.")
                            .font(.footnote)
                            .foregroundColor(.secondary)
                    }
                }
                Section {
                    ForEach(Array(feed.items.enumerated()), id: \.element.id) { index, item in
                        NavigationLink(destination: ArticleView(item: item)) {
                            FeedRow(item: item, personalised: feed.personalised)
                        }
                        if index + 1 == feed.adPosition {
                            AdSlotView(ad: feed.ad, noAdReason: feed.noAdReason) { whyAd = $0 }
                        }
                    }
                }
            }
            .listStyle(.insetGrouped)
            .navigationTitle("For you")
            // Ranking and ad selection block: off the main actor.
            .refreshable { await store.perform { $0.refreshFeed() } }
            .searchable(text: $query, prompt: "Search articles")
            .onSubmit(of: .search) {
                let q = query
                store.run { $0.search(q) }
            }
            .sheet(item: $whyAd) { ad in WhyThisAdView(ad: ad).environmentObject(store) }
        }
        .navigationViewStyle(.stack)
    }
}

struct FeedRow: View {
    let item: FeedItem
    let personalised: Bool

    var body: some View {
        VStack(alignment: .leading, spacing: 4) {
            Text(item.title).font(.headline)
            Text(item.summary).font(.subheadline).foregroundColor(.secondary)
            if personalised {
                Label(item.reason, systemImage: "sparkles").font(.caption).foregroundColor(.accentColor)
            }
        }
        .padding(.vertical, 2)
    }
}

/// The feed's ad slot: the ad chosen on the phone, or why there is none.
struct AdSlotView: View {
    let ad: AdCard?
    let noAdReason: String?
    let onWhy: (AdCard) -> Void
    @EnvironmentObject private var store: AppStore
    @Environment(\.openURL) private var openURL

    var body: some View {
        if let ad {
            VStack(alignment: .leading, spacing: 6) {
                HStack {
                    Text("Ad · \(ad.advertiserName)").font(.caption).foregroundColor(.secondary)
                    Spacer()
                    Menu {
                        Button { onWhy(ad) } label: { Label("Why this ad?", systemImage: "questionmark.circle") }
                        Button { react(ad, .like) } label: { Label("I like this", systemImage: "hand.thumbsup") }
                        Button { react(ad, .dislike) } label: { Label("Not interested", systemImage: "hand.thumbsdown") }
                        Button(role: .destructive) { react(ad, .hide) } label: {
                            Label("Hide ads from \(ad.advertiserName)", systemImage: "eye.slash")
                        }
                    } label: {
                        Image(systemName: "ellipsis.circle").accessibilityLabel("Ad options")
                    }
                }
                Text(ad.title).font(.headline)
                Text(ad.body).font(.subheadline)
                HStack {
                    Button(ad.callToAction) {
                        react(ad, .click)
                        if let url = URL(string: ad.clickURL) { openURL(url) }
                    }
                    .buttonStyle(.borderedProminent)
                    Spacer()
                    Button("Why this ad?") { onWhy(ad) }
                        .buttonStyle(.borderless)
                        .font(.caption)
                }
            }
            .padding(.vertical, 4)
            // The impression counts when the ad is on screen, not when chosen.
            .onAppear { store.adAppeared(ad) }
        } else if let noAdReason {
            Label(noAdReason, systemImage: "rectangle.dashed")
                .font(.footnote)
                .foregroundColor(.secondary)
        }
    }

    private func react(_ ad: AdCard, _ reaction: AdReaction) {
        let token = ad.token
        store.run { $0.react(token: token, reaction) }
    }
}

/// An article: reading it is what Hearth learns from (a content view with the
/// time spent, recorded when the user leaves).
struct ArticleView: View {
    let item: FeedItem
    @EnvironmentObject private var store: AppStore
    @State private var openedAt = Date()

    var body: some View {
        ScrollView {
            VStack(alignment: .leading, spacing: 12) {
                Text(item.title).font(.title2.bold())
                Text(item.topics.joined(separator: " · ")).font(.caption).foregroundColor(.secondary)
                Text(item.summary).font(.body.italic())
                Text("This is where the article would go. Hearth records that you read it, which topics it is about and for how long, on this phone only. With personalisation off, nothing is recorded.")
                    .foregroundColor(.secondary)
            }
            .padding()
            .frame(maxWidth: .infinity, alignment: .leading)
        }
        .navigationTitle("Article")
        .navigationBarTitleDisplayMode(.inline)
        .onAppear { openedAt = Date() }
        .onDisappear {
            let id = item.id
            let seconds = UInt64(max(1, Date().timeIntervalSince(openedAt).rounded()))
            store.run { $0.openArticle(id, dwellSeconds: seconds) }
        }
    }
}
