// The demo's screen state as plain value types. Views (SwiftUI) and the
// console only read these; they never see an SDK type. Every type is
// Sendable and Equatable, so a snapshot can cross from the model's
// background work to the main actor and be diffed.

import Foundation

/// Everything the app's screens show, as one snapshot. Every ``DemoModel``
/// action returns a new one.
public struct DemoState: Sendable, Equatable {
    /// Increases with every action, so a UI that runs actions concurrently
    /// can drop a snapshot older than the one it shows.
    public var revision: Int = 0
    /// Whether the engine is open.
    public var isOpen = false
    /// The latest failure; nil after an action that succeeded.
    public var error: ModelError?
    /// A short message about the latest action ("You won't see ads from …").
    public var notice: String?
    /// The current consent.
    public var consent: ConsentChoice = .contextualOnly
    /// The installed catalog, if one is installed and verified.
    public var catalog: CatalogSummary?
    /// The "For you" feed with its ad slot.
    public var feed = FeedScreen()
    /// "Your interests".
    public var interests = InterestsScreen()
    /// "Ads you've seen".
    public var history = HistoryScreen()
    /// The privacy dashboard.
    public var privacy = PrivacyScreen()
    /// Engine facts for the settings screen.
    public var status = StatusSummary()
    /// The engine's current time (simulated: see ``DemoClockMode``).
    public var now = Date(timeIntervalSince1970: 0)
    /// Whole days skipped with ``DemoModel/passDay()``.
    public var skippedDays = 0

    public init() {}
}

// MARK: - catalog and status

/// What the settings screen says about the installed catalog.
public struct CatalogSummary: Sendable, Equatable {
    /// Catalog version.
    public var version: UInt64
    /// Campaigns in it.
    public var campaigns: Int
    /// Creatives in it.
    public var creatives: Int
    /// Hex id of the publisher key that signed it.
    public var keyId: String
    /// Region tag, e.g. `DE`.
    public var region: String
    /// When it expires.
    public var expiresAt: Date
    /// Bundle size in bytes.
    public var bundleBytes: UInt64
}

/// Engine facts for the settings screen.
public struct StatusSummary: Sendable, Equatable {
    /// Topics held in the profile.
    public var topics = 0
    /// Events recorded since the profile was created.
    public var eventsRecorded: UInt64 = 0
    /// Size of the encrypted state on disk.
    public var stateBytes: UInt64 = 0
    /// Why ads cannot be selected right now, if they cannot.
    public var selectionBlocked: String?

    public init() {}
}

// MARK: - feed

/// The "For you" feed: the app's own articles ranked on the phone, and one
/// ad slot.
public struct FeedScreen: Sendable, Equatable {
    /// The articles, best first.
    public var items: [FeedItem] = []
    /// True if the order comes from the user's interests (consent
    /// personalised); false: the app's own order (newest first).
    public var personalised = false
    /// The ad for the slot, if one was chosen.
    public var ad: AdCard?
    /// Why the slot is empty, for the user, when it is.
    public var noAdReason: String?
    /// The slot's position: the ad goes after this many items.
    public var adPosition = 2

    public init() {}
}

/// One article in the feed.
public struct FeedItem: Sendable, Equatable, Identifiable {
    /// The app's article id.
    public var id: String
    /// Headline.
    public var title: String
    /// One-line teaser.
    public var summary: String
    /// Labels of the article's topics.
    public var topics: [String]
    /// Why it is where it is, for the user ("Because you follow Soccer").
    public var reason: String
    /// Ranking score (comparable within one feed only).
    public var score: Double
    /// When it was published.
    public var publishedAt: Date
}

/// The ad in a slot, ready to render.
public struct AdCard: Sendable, Equatable, Identifiable {
    /// The ad's token (unique per choice): the key for reactions.
    public var id: String { token }
    /// Opaque token for impressions, clicks, likes, hides.
    public var token: String
    /// Advertiser id.
    public var advertiserId: String
    /// "Ad by …".
    public var advertiserName: String
    /// Headline.
    public var title: String
    /// Body text.
    public var body: String
    /// Button text.
    public var callToAction: String
    /// Where a tap goes (https).
    public var clickURL: String
    /// "Why this ad?"
    public var why: WhyThisAdInfo
}

/// Why an ad was chosen, as a category.
public enum AdBasis: String, Sendable, Equatable {
    /// It matches the user's interests (and possibly traits).
    case interests
    /// It matches the screen's content.
    case context
    /// It targets no one in particular.
    case untargeted
    /// Picked at random among eligible ads, to learn what the user likes.
    case exploration

    /// A label for the basis.
    public var title: String {
        switch self {
        case .interests: "Your interests"
        case .context: "What's on this screen"
        case .untargeted: "Shown to everyone"
        case .exploration: "A random pick, to learn what you like"
        }
    }
}

/// The "Why this ad?" sheet.
public struct WhyThisAdInfo: Sendable, Equatable {
    /// The main reason.
    public var basis: AdBasis
    /// The SDK's explanation for the user, verbatim.
    public var text: String
    /// The user's interests the ad targets, heaviest first.
    public var interests: [WeightedLabel]
    /// Labels of the inferred traits the ad targets.
    public var traits: [String]
    /// Labels of the screen's topics the ad targets.
    public var pageTopics: [String]
}

/// A label with a weight (an interest and how strong it is).
public struct WeightedLabel: Sendable, Equatable, Identifiable {
    /// Topic id.
    public var id: String
    /// Label, e.g. "Running and Jogging".
    public var label: String
    /// Weight (the profile's decayed weight).
    public var weight: Double
}

// MARK: - interests

/// "Your interests": what the phone learned, and the user's controls.
public struct InterestsScreen: Sendable, Equatable {
    /// Interests, heaviest first, each with its reason.
    public var interests: [InterestRow] = []
    /// Traits inferred on the phone (spending tier, life events).
    public var traits: [TraitRow] = []
    /// Topics the user removed or hid; they are not learned again until allowed.
    public var hiddenTopics: [HiddenTopicRow] = []
    /// False unless consent is personalised (nothing is learned then).
    public var learning = false

    public init() {}
}

/// One interest.
public struct InterestRow: Sendable, Equatable, Identifiable {
    /// Topic id (the key for removal).
    public var id: String
    /// Label, e.g. "Soccer".
    public var label: String
    /// Full path, e.g. "Sports/Soccer".
    public var path: String
    /// Current weight.
    public var weight: Double
    /// Weight relative to the strongest interest, 0...1 (for a bar).
    public var share: Double
    /// The SDK's reason, for the user.
    public var reason: String
}

/// One inferred trait.
public struct TraitRow: Sendable, Equatable, Identifiable {
    /// Trait id, e.g. `spending_tier` (the key for removal).
    public var id: String
    /// Label, e.g. "Mid-range spender".
    public var label: String
    /// Why it was inferred.
    public var reason: String
}

/// A topic the user removed or hid.
public struct HiddenTopicRow: Sendable, Equatable, Identifiable {
    /// Topic id (the key for allowing it again).
    public var id: String
    /// Its label, if the demo knows it (the SDK returns ids only).
    public var label: String
}

// MARK: - ad history

/// "Ads you've seen": the last 30 days, with like / hide.
public struct HistoryScreen: Sendable, Equatable {
    /// Shown ads, newest first.
    public var entries: [HistoryRow] = []
    /// Advertisers the user hid, with "show again".
    public var hiddenAdvertisers: [HiddenAdvertiserRow] = []

    public init() {}
}

/// A reaction to an ad.
public enum AdReaction: String, Sendable, Equatable, CaseIterable {
    /// Tapped.
    case click
    /// Closed.
    case dismiss
    /// The advertiser's goal happened.
    case conversion
    /// More like this.
    case like
    /// Not this ad again.
    case dislike
    /// No ads from this advertiser again.
    case hide
}

/// One shown ad.
public struct HistoryRow: Sendable, Equatable, Identifiable {
    /// The ad's token (the key for reactions).
    public var id: String
    /// When it was shown.
    public var shownAt: Date
    /// The creative's headline.
    public var title: String
    /// Advertiser id.
    public var advertiserId: String
    /// Advertiser name ("unknown advertiser" if the catalog no longer has it).
    public var advertiserName: String
    /// The user's reactions so far.
    public var reactions: [AdReaction]
}

/// An advertiser the user hid.
public struct HiddenAdvertiserRow: Sendable, Equatable, Identifiable {
    /// Advertiser id (the key for showing it again).
    public var id: String
    /// Its name, if the demo knows it (the SDK returns ids only).
    public var name: String
}

// MARK: - privacy

/// The privacy dashboard: everything that leaves (or left) the phone, exactly.
public struct PrivacyScreen: Sendable, Equatable {
    /// Reports waiting for upload, each with its exact payload.
    public var pending: [ReportRow] = []
    /// Reports uploaded and acknowledged (the transparency log, 30 days).
    public var sent: [ReportRow] = []
    /// The privacy budget.
    public var budget: BudgetInfo?
    /// The auditor's verdict on every payload above (pending and sent).
    public var audit: AuditInfo?
    /// The demo collector's log: every payload uploaded, oldest first.
    public var uploadLog: [String] = []
    /// Where the upload log is.
    public var uploadDestination = ""

    public init() {}
}

/// One report payload.
public struct ReportRow: Sendable, Equatable, Identifiable {
    /// Local handle (never part of the payload).
    public var id: UInt64
    /// The UTC day it covers, `YYYY-MM-DD`.
    public var period: String
    /// The exact bytes uploaded (canonical JSON).
    public var payload: String
    /// Payload size in bytes.
    public var bytes: Int
    /// When the upload was acknowledged; nil while pending.
    public var acknowledgedAt: Date?
}

/// The privacy budget (local differential privacy, ε).
public struct BudgetInfo: Sendable, Equatable {
    /// ε spent per metric per day.
    public var epsilonPerDay: Double
    /// Most ε per metric over any 7 days.
    public var weeklyCap: Double
    /// Per metric.
    public var metrics: [MetricBudgetRow]

    /// The smallest ε left under the cap over all metrics.
    public var remaining: Double {
        metrics.map(\.remaining).min() ?? weeklyCap
    }
}

/// The budget of one metric.
public struct MetricBudgetRow: Sendable, Equatable, Identifiable {
    /// Metric name (`impressions`, `clicks`, `conversions`).
    public var id: String { metric }
    /// Metric name.
    public var metric: String
    /// ε spent over the last 7 days.
    public var spent: Double
    /// ε left under the 7-day cap.
    public var remaining: Double
}

/// The auditor's verdict (the same code as the `hearth audit` tool).
public struct AuditInfo: Sendable, Equatable {
    /// True if every payload conforms to the spec and the policy.
    public var passed: Bool
    /// Payloads checked.
    public var payloads: Int
    /// The verdict line (`verdict: PASS — …`).
    public var summary: String
    /// One line per violation (`payload N: [rule] detail`).
    public var violations: [String]
}
