package org.hearth.demo.model

// The screen state of the demo, as plain immutable data. The UI layer only maps
// these to views; it never sees an SDK type. Every list is ready to show in
// order (heaviest interest first, newest ad first, ...).

/** Everything the app shows, as one snapshot ([HearthDemo.state]). */
data class DemoState(
    /** Whether the engine is open. */
    val phase: Phase = Phase.Starting,
    /** What the user agreed to. */
    val consent: ConsentChoice = ConsentChoice.CONTEXTUAL_ONLY,
    /** The installed, verified catalog. */
    val catalog: CatalogInfo? = null,
    /** The home feed: ranked stories with an ad slot. */
    val feed: FeedState = FeedState(),
    /** "Your interests", heaviest first. */
    val interests: List<InterestRow> = emptyList(),
    /** Topics the user removed or hid (they are never learned again until allowed). */
    val removedTopics: List<RemovedTopic> = emptyList(),
    /** "Ads you've seen", newest first. */
    val history: List<HistoryRow> = emptyList(),
    /** The privacy dashboard. */
    val privacy: PrivacyState = PrivacyState(),
    /** The engine's clock. */
    val clock: ClockInfo = ClockInfo(),
    /** The engine's own status line (events, bytes on disk). */
    val storage: StorageInfo? = null,
    /** True while a call into Hearth runs. */
    val busy: Boolean = false,
    /** The last action that failed (shown once, then [HearthDemo.dismissError]). */
    val lastError: DemoError? = null,
)

/** The model's life cycle. */
sealed interface Phase {
    /** [HearthDemo.start] has not finished. */
    data object Starting : Phase

    /** The engine is open; every screen works. */
    data object Ready : Phase

    /** The engine could not be opened; [error] says why and whether starting over helps. */
    data class Failed(val error: DemoError) : Phase

    /** [HearthDemo.close] was called. */
    data object Closed : Phase
}

/** The user's consent (mirrors the SDK's `Consent`). */
enum class ConsentChoice(val label: String, val explanation: String) {
    /** A profile is built on the phone and used for the feed and ads. */
    PERSONALISED(
        "Personalised",
        "Hearth learns your interests on this phone and uses them for your feed and ads.",
    ),

    /** No profile is built or used; ads follow only the screen. */
    CONTEXTUAL_ONLY(
        "Contextual only",
        "Nothing is learned; ads match only what is on screen. Your profile is kept but unused.",
    ),

    /** Nothing is collected and the profile is erased. */
    OFF("Off", "Nothing is collected, and your profile and ad history are erased."),
}

/** The installed catalog, as verified on the phone. */
data class CatalogInfo(
    val version: Long,
    val region: String,
    val campaigns: Int,
    val creatives: Int,
    /** Hex id of the publisher key that signed it. */
    val keyId: String,
    val bundleBytes: Long,
    /** Where it came from ([CatalogSource.description]). */
    val source: String,
    /** What the install did on this launch ("installed version 1", "version 1 already installed"). */
    val installNote: String,
)

/** The home feed. */
data class FeedState(
    /** Stories in ranked order, with the ad slot among them. */
    val rows: List<FeedRow> = emptyList(),
    /** True if the order came from the user's profile (consent personalised). */
    val personalised: Boolean = false,
    /** Engine time when the feed was built, Unix ms. */
    val builtAtMs: Long = 0,
) {
    /** The ad in the feed, if one was chosen. */
    val ad: AdCard? get() = rows.firstNotNullOfOrNull { (it as? FeedRow.Ad)?.ad }

    /** The stories, in ranked order. */
    val stories: List<ArticleCard> get() = rows.mapNotNull { (it as? FeedRow.Story)?.article }
}

/** One row of the feed. */
sealed interface FeedRow {
    /** A stable key for list diffing. */
    val key: String

    /** One of the app's stories. */
    data class Story(val article: ArticleCard) : FeedRow {
        override val key: String get() = "story:${article.id}"
    }

    /** The ad slot, filled. */
    data class Ad(val ad: AdCard) : FeedRow {
        override val key: String get() = "ad:${ad.token}"
    }

    /** The ad slot, empty; [reason] says why (the SDK's `NoFill`, or a hide). */
    data class EmptyAdSlot(val reason: String) : FeedRow {
        override val key: String get() = "ad:none"
    }
}

/** A story card. */
data class ArticleCard(
    val id: String,
    val title: String,
    val summary: String,
    val section: String,
    /** Why it is this high, for the user ("Because you follow Soccer"); null when there is no personal reason. */
    val reason: String?,
    /** Hearth's score (comparable within one feed only). */
    val score: Double,
)

/** An ad chosen on the phone. */
data class AdCard(
    /** Opaque; the model uses it to record impressions, clicks, likes, hides. */
    val token: String,
    val advertiserId: String,
    val advertiserName: String,
    val title: String,
    val body: String,
    val callToAction: String,
    /** Where a click goes (https). */
    val clickUrl: String,
    val imageUrl: String?,
    /** `native`, `banner`, ... */
    val kind: String,
    /** "Why this ad?" */
    val why: WhyAd,
)

/** "Why am I seeing this ad?" */
data class WhyAd(
    val basis: AdBasis,
    /** One or two sentences from Hearth. */
    val text: String,
    /** The user's interests the ad targets, heaviest first. */
    val interests: List<WhyInterest>,
    /** Labels of inferred traits the ad targets. */
    val traits: List<String>,
    /** Labels of the screen's topics the ad targets. */
    val pageTopics: List<String>,
)

/** One interest behind an ad, with the user's current weight on it. */
data class WhyInterest(val topicId: String, val label: String, val weight: Double)

/** The main reason for an ad, as a category. */
enum class AdBasis(val label: String) {
    INTERESTS("Your interests"),
    CONTEXT("What is on screen"),
    UNTARGETED("Shown to everyone"),
    EXPLORATION("Chosen at random, to learn what you like"),
}

/** One row of "Your interests". */
data class InterestRow(
    val topicId: String,
    val label: String,
    /** Full taxonomy path, e.g. `Sports/Soccer`. */
    val path: String,
    val weight: Double,
    /** [weight] relative to the heaviest interest (0..1), for a bar. */
    val share: Double,
    /** Why Hearth thinks so, in one sentence. */
    val reason: String,
)

/** A topic the user removed or hid; [label] is the last label seen, or the id. */
data class RemovedTopic(val topicId: String, val label: String)

/** One ad in "Ads you've seen". */
data class HistoryRow(
    val token: String,
    val advertiserId: String,
    val advertiserName: String,
    val title: String,
    val shownAtMs: Long,
    /** The user's reactions, lower case (`click`, `like`, `hide`, ...). */
    val reactions: List<String>,
    val liked: Boolean,
    /** True if the user hid this advertiser (undo with [HearthDemo.unhideAdvertiser]). */
    val advertiserHidden: Boolean,
)

/** The privacy dashboard. */
data class PrivacyState(
    /** Payloads waiting for upload, exactly as they will be sent. */
    val pending: List<PayloadRow> = emptyList(),
    /** Payloads uploaded and acknowledged (the transparency log, last 30 days). */
    val sent: List<PayloadRow> = emptyList(),
    /** The ε budget. */
    val budget: BudgetView? = null,
    /** The auditor's verdict on every payload in the log (pending and sent); null when there are none yet. */
    val audit: AuditView? = null,
    /** What the upload log received (the demo's "server"). */
    val uploads: List<UploadRecord> = emptyList(),
)

/** One report payload. */
data class PayloadRow(
    /** The engine's local handle (never part of the payload). */
    val handle: Long,
    /** The UTC day it reports, `YYYY-MM-DD`. */
    val period: String,
    /** The exact bytes that are uploaded (canonical JSON). */
    val json: String,
    /** Its size in bytes. */
    val bytes: Int,
    /** When the app acknowledged its upload, Unix ms; null while pending. */
    val acknowledgedAtMs: Long?,
)

/** The privacy budget. */
data class BudgetView(
    /** ε spent per metric per day. */
    val epsilonPerDay: Double,
    /** Most ε per metric over any 7 days. */
    val weeklyCap: Double,
    val metrics: List<MetricBudgetRow>,
) {
    /** The least ε left under the weekly cap, over all metrics. */
    val remaining: Double get() = metrics.minOfOrNull { it.remaining } ?: weeklyCap
}

/** ε of one metric (`impressions`, `clicks`, `conversions`). */
data class MetricBudgetRow(val metric: String, val spentLast7Days: Double, val remaining: Double)

/** The auditor's verdict (the same code as `hearth audit`). */
data class AuditView(
    val passed: Boolean,
    val payloads: Long,
    /** The verdict line, e.g. `verdict: PASS — ...`. */
    val summary: String,
    val violations: List<AuditIssue>,
    /** The policy's ε limit per metric. */
    val maxEpsilon: Double,
)

/** One broken rule in one payload (1-based [index] in the audited list). */
data class AuditIssue(val index: Long, val rule: String, val detail: String)

/** One payload the upload log received. */
data class UploadRecord(val period: String, val payload: String)

/** The engine's clock, for the UI. */
data class ClockInfo(
    /** The engine's time, Unix ms. */
    val nowMs: Long = 0,
    val mode: ClockMode = ClockMode.SYSTEM,
) {
    /** True if [HearthDemo.skipToNextDay] can move time. */
    val canSkip: Boolean get() = mode != ClockMode.SYSTEM
}

/** Which [ClockChoice] the model runs on. */
enum class ClockMode { SYSTEM, MANUAL, SHIFTED }

/** What the engine reports about its storage. */
data class StorageInfo(
    val eventsRecorded: Long,
    /** Size of the encrypted state file. */
    val stateBytes: Long,
    val taxonomyVersion: String,
)
