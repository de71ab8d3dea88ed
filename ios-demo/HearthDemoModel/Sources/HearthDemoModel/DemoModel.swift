// The demo app's logic: every Hearth call the app makes, and the mapping of
// the SDK's answers to the screens' plain state. Foundation + Hearth only.

import Foundation
import Hearth

/// The Hearth demo's app logic, independent of any UI.
///
/// It owns one Hearth `Engine` and turns user actions (open an article, hide
/// an advertiser, switch consent, upload the reports, …) into SDK calls, and
/// the SDK's answers into ``DemoState``: plain, `Sendable` value types that a
/// SwiftUI view, the console demo or a test reads. Failures never escape as
/// thrown errors: they land in ``DemoState/error`` as a ``ModelError``.
///
/// ## Threading: every call may block
///
/// Every action is synchronous and returns the new ``DemoState``. Actions run
/// one at a time (an internal lock), and each makes one or more SDK calls. The
/// ones that do I/O are documented as **blocking**:
///
/// | action | blocking SDK calls inside |
/// |---|---|
/// | ``open()``, ``eraseStorageAndReopen()`` | `KeyProvider.storeKey` (Keychain), `Engine.open` (read + decrypt the state), `installCatalog` (verify the signature, fsync), `pendingReports` |
/// | ``installCatalog()`` | `CatalogSource.catalogBundle`, `installCatalog` |
/// | ``refreshFeed()`` | `rankItems`, `selectAds` |
/// | ``refreshPrivacy()``, ``passDay()``, ``refresh()`` | `pendingReports` (closes a finished day: may write a file) |
/// | ``uploadPendingReports()`` | `pendingReports`, `ReportUploader.upload`, `acknowledge` (fsync) |
/// | ``setConsent(_:)``, ``reset()``, the remove/hide/allow actions | a persisted write before returning (fsync) |
/// | ``flush()``, ``close()`` | an fsynced write |
///
/// So call the model **off the main actor**: the SwiftUI layer runs every
/// action in `Task.detached` and publishes the returned state on the main
/// actor (see `AppStore` in the app). The model itself uses the SDK's
/// synchronous calls; an app without such a layer can call the SDK's
/// `installCatalogAsync` / `pendingReportsAsync` directly from the main actor.
/// Reading ``state`` does not block beyond waiting for a running action.
public final class DemoModel: @unchecked Sendable {
    // @unchecked Sendable: every mutable property below is only touched with
    // `lock` held (see `perform`).

    private let configuration: DemoConfiguration
    private let keys: any KeyProvider
    private let catalogSource: any CatalogSource
    private let uploader: any ReportUploader
    private let clock: ManualClock
    private let lock = NSLock()

    private var engine: Engine?
    private var current = DemoState()
    private var skippedDays = 0
    /// Names for the ids the SDK returns without one (hidden advertisers).
    private var advertiserNames: [String: String] = [:]
    /// Labels for the ids the SDK returns without one (hidden topics).
    private var topicLabels = SampleContent.topicLabels

    private static let dayMs: Int64 = 86_400_000
    private static let hourMs: Int64 = 3_600_000

    /// A model that will keep its files in `configuration.directory`, take
    /// the store key from `keys`, the catalog from `catalog`, and send
    /// reports through `uploader`. Nothing is opened yet: call ``open()``.
    public init(configuration: DemoConfiguration, keys: any KeyProvider,
                catalog: any CatalogSource, uploader: any ReportUploader) {
        self.configuration = configuration
        self.keys = keys
        catalogSource = catalog
        self.uploader = uploader
        switch configuration.clock {
        case let .manual(startMs):
            clock = ManualClock(nowMs: startMs)
        case .systemPlusSkippedDays:
            let saved = (try? String(contentsOf: configuration.skippedDaysFile, encoding: .utf8))
                .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
            skippedDays = max(0, saved)
            clock = ManualClock(nowMs: Self.systemNowMs() + Int64(skippedDays) * Self.dayMs)
        }
        current.now = Self.date(clock.nowMs())
        current.consent = configuration.defaultConsent
        current.skippedDays = skippedDays
        current.privacy.uploadDestination = uploader.destination
    }

    /// The latest state (the one the last action returned).
    public var state: DemoState {
        lock.lock()
        defer { lock.unlock() }
        return current
    }

    // MARK: - lifecycle

    /// Opens the engine: takes the key from the key provider, opens the
    /// encrypted store, installs the catalog and loads every screen.
    ///
    /// **Blocking.** A wrong key, a damaged store or a locked Keychain leave
    /// the model closed with ``DemoState/error`` set (``ModelError/storeWrongKey(path:)``
    /// and ``ModelError/storeUnreadable(reason:)`` offer
    /// ``eraseStorageAndReopen()``). A refused catalog leaves the engine open
    /// without ads and sets ``ModelError/catalogRejected(reason:)``. Calling it
    /// again while open does nothing.
    @discardableResult
    public func open() -> DemoState {
        perform {
            guard engine == nil else { return }
            try openLocked()
        }
    }

    /// Deletes every stored Hearth file (`eraseStorage`, no key needed) and
    /// opens again with an empty profile: the way out of
    /// ``ModelError/storeWrongKey(path:)`` and ``ModelError/storeUnreadable(reason:)``.
    /// **Blocking.**
    @discardableResult
    public func eraseStorageAndReopen() -> DemoState {
        perform {
            if let e = engine {
                try? e.close()
                engine = nil
                current.isOpen = false
            }
            try eraseStorage(storageDir: configuration.storageDirectory.path)
            try openLocked()
            current.notice = "Stored data erased; starting with an empty profile."
        }
    }

    /// Writes everything recorded so far to disk (call it when the app goes
    /// to the background). **Blocking** (one fsynced write).
    @discardableResult
    public func flush() -> DemoState {
        perform { try requireEngine().flush() }
    }

    /// Closes the engine (flushes and releases the storage directory). Later
    /// actions report ``ModelError/notOpen`` until ``open()``. **Blocking.**
    @discardableResult
    public func close() -> DemoState {
        perform {
            guard let e = engine else { return }
            engine = nil
            current.isOpen = false
            try e.close()
        }
    }

    // MARK: - catalog

    /// Installs the catalog from the catalog source again (a real app does
    /// this after downloading a new version). **Blocking.** A refused bundle
    /// sets ``ModelError/catalogRejected(reason:)`` and keeps the previous
    /// catalog.
    @discardableResult
    public func installCatalog() -> DemoState {
        perform {
            let e = try requireEngine()
            defer { try? refreshStatusLocked(e) }
            try installCatalogLocked(e)
            try refreshFeedLocked(e)
        }
    }

    // MARK: - screens

    /// Reloads every screen, including the privacy dashboard. **Blocking.**
    @discardableResult
    public func refresh() -> DemoState {
        perform { try refreshAllLocked(try requireEngine()) }
    }

    /// Ranks the feed and asks for an ad for its slot. **Blocking**
    /// (`rankItems`, `selectAds`).
    ///
    /// If the slot already shows an ad and a new one may not be shown yet
    /// (the minimum gap between ads, the hourly or daily limit), the shown ad
    /// stays; otherwise ``FeedScreen/noAdReason`` says why the slot is empty.
    @discardableResult
    public func refreshFeed() -> DemoState {
        perform { try refreshFeedLocked(try requireEngine()) }
    }

    /// Reloads the privacy dashboard: pending and sent payloads (exact JSON),
    /// the budget, the audit verdict, the upload log. **Blocking**
    /// (`pendingReports` closes a finished day first, which may write a file).
    @discardableResult
    public func refreshPrivacy() -> DemoState {
        perform { try refreshPrivacyLocked(try requireEngine()) }
    }

    // MARK: - user activity

    /// The user read an article for `dwellSeconds`: records a content view
    /// with the article's topics (learned only under personalised consent).
    @discardableResult
    public func openArticle(_ id: String, dwellSeconds: UInt64 = 60) -> DemoState {
        perform {
            let e = try requireEngine()
            guard let article = SampleContent.article(id) else {
                throw ModelError.engine(reason: "no article \(id)")
            }
            // The demo shows what was dropped (sensitive, suppressed topics), so
            // it asks for the detailed outcome: `recordBatch` of one event. An
            // app that only needs to know whether it was applied calls `record`.
            let out = try Self.recordDetailed(e, .contentView(topics: article.topics, dwellMs: dwellSeconds * 1000))
            current.notice = Self.recordNotice(out, what: "Reading \u{201C}\(article.title)\u{201D}")
            try refreshInterestsLocked(e)
            try refreshStatusLocked(e)
        }
    }

    /// One event's detailed outcome (`recordBatch` of one event).
    private static func recordDetailed(_ e: Engine, _ event: Event) throws -> RecordOutcome {
        guard let out = try e.recordBatch(events: [TimedEvent(event: event)]).first else {
            throw ModelError.engine(reason: "recordBatch returned no outcome")
        }
        return out
    }

    /// The user searched: Hearth matches the text to topics and discards it.
    @discardableResult
    public func search(_ query: String) -> DemoState {
        perform {
            let e = try requireEngine()
            let out = try Self.recordDetailed(e, .search(query: query, topics: []))
            current.notice = Self.recordNotice(out, what: "The search")
            try refreshInterestsLocked(e)
            try refreshStatusLocked(e)
        }
    }

    /// The ad in a slot is on screen: records its impression (call it once
    /// the ad is actually visible, not when it is chosen).
    @discardableResult
    public func adDidAppear(token: String) -> DemoState {
        perform {
            let e = try requireEngine()
            _ = try e.recordAdEvent(token: token, kind: .impression)
            try refreshHistoryLocked(e)
        }
    }

    /// The user reacted to an ad (in the feed or in the history): click,
    /// like, dislike, dismiss, hide (no ads from this advertiser again).
    /// Persisted before returning.
    @discardableResult
    public func react(token: String, _ reaction: AdReaction) -> DemoState {
        perform {
            let e = try requireEngine()
            let out = try e.recordAdEvent(token: token, kind: reaction.sdk)
            let advertiser = advertiserNames[out.ad.advertiserId] ?? out.ad.advertiserId
            switch reaction {
            case .hide:
                current.notice = "You won't see ads from \(advertiser) again."
                if current.feed.ad?.advertiserId == out.ad.advertiserId {
                    current.feed.ad = nil
                    current.feed.noAdReason = "You hid \(advertiser). Refresh for another ad."
                }
            case .dislike:
                current.notice = "You won't see this ad again."
                if current.feed.ad?.token == token {
                    current.feed.ad = nil
                    current.feed.noAdReason = "You disliked that ad. Refresh for another ad."
                }
            case .like:
                current.notice = out.counted ? "Noted: you like \u{201C}\(out.ad.title)\u{201D}; more ads like it." : nil
            case .click, .dismiss, .conversion:
                break
            }
            try refreshHistoryLocked(e)
        }
    }

    /// Shows a hidden advertiser's ads again.
    @discardableResult
    public func unhideAdvertiser(_ advertiserId: String) -> DemoState {
        perform {
            let e = try requireEngine()
            _ = try e.unhideAdvertiser(advertiserId: advertiserId)
            try refreshHistoryLocked(e)
        }
    }

    /// Removes an interest and keeps it (and its subtopics) out of the
    /// profile until ``allowTopic(_:)``. Persisted before returning.
    @discardableResult
    public func removeInterest(_ topicId: String) -> DemoState {
        perform {
            let e = try requireEngine()
            let label = current.interests.interests.first { $0.id == topicId }?.label
            try e.removeInterest(topicId: topicId)
            current.notice = "Removed \(label ?? topicLabels[topicId] ?? topicId); Hearth won't learn it again."
            try refreshInterestsLocked(e)
            try refreshStatusLocked(e)
        }
    }

    /// Lets a removed or hidden topic be learned again.
    @discardableResult
    public func allowTopic(_ topicId: String) -> DemoState {
        perform {
            let e = try requireEngine()
            _ = try e.allowInterest(topicId: topicId)
            try refreshInterestsLocked(e)
        }
    }

    /// Removes an inferred trait with its evidence and stops inferring it.
    @discardableResult
    public func removeTrait(_ traitId: String) -> DemoState {
        perform {
            let e = try requireEngine()
            try e.removeTrait(traitId: traitId)
            try refreshInterestsLocked(e)
        }
    }

    /// Changes consent. `off` erases the profile, traits and ad history;
    /// `contextualOnly` stops learning and personalising but keeps the
    /// profile. Persisted before returning; reloads every screen.
    @discardableResult
    public func setConsent(_ choice: ConsentChoice) -> DemoState {
        perform {
            let e = try requireEngine()
            try e.setConsent(consent: choice.sdk)
            // An ad chosen under the old consent must not stay on screen.
            current.feed.ad = nil
            try refreshAllLocked(e)
            current.notice = "Consent: \(choice.title). \(choice.explanation)"
        }
    }

    /// Forgets everything: erases all user data on disk and in memory. The
    /// installed catalog and the privacy-budget ledger stay; consent returns
    /// to the default. Persisted before returning.
    @discardableResult
    public func reset() -> DemoState {
        perform {
            let e = try requireEngine()
            try e.reset()
            current.feed.ad = nil
            try refreshAllLocked(e)
            current.notice = "All your data on this phone was erased."
        }
    }

    /// All stored user data as JSON (`hearth-export/1`), for a
    /// data-portability request. Throws a ``ModelError``.
    public func exportData() throws -> String {
        lock.lock()
        defer { lock.unlock() }
        do {
            return try requireEngine().export()
        } catch {
            throw ModelError.from(error)
        }
    }

    // MARK: - reports

    /// Uploads every pending report through the uploader, byte for byte, and
    /// acknowledges each one after its upload returned; a failed upload stays
    /// pending (``ModelError/uploadFailed(reason:)``). **Blocking.**
    @discardableResult
    public func uploadPendingReports() -> DemoState {
        perform {
            let e = try requireEngine()
            defer { try? refreshPrivacyLocked(e) }
            var uploaded = 0
            for report in try e.pendingReports() {
                do {
                    try uploader.upload(period: report.period, payload: report.payload)
                } catch {
                    throw ModelError.uploadFailed(reason: "\(error)")
                }
                if try e.acknowledge(handle: report.handle) {
                    uploaded += 1
                }
            }
            current.notice = uploaded == 0 ? "Nothing to upload." : "Uploaded \(uploaded) report(s) to the log."
        }
    }

    // MARK: - simulated time

    /// Lets a day pass on the engine's clock, so the current UTC day's report
    /// closes, then reloads every screen (the privacy dashboard then shows
    /// its payload). In ``DemoClockMode/systemPlusSkippedDays`` the skipped
    /// day is remembered across launches. **Blocking.**
    @discardableResult
    public func passDay() -> DemoState {
        perform {
            switch configuration.clock {
            case .manual:
                clock.advance(deltaMs: Self.dayMs)
            case .systemPlusSkippedDays:
                skippedDays += 1
                try? FileManager.default.createDirectory(at: configuration.directory,
                                                         withIntermediateDirectories: true)
                try String(skippedDays).write(to: configuration.skippedDaysFile, atomically: true, encoding: .utf8)
                syncClock()
            }
            current.feed.ad = nil
            if let e = engine {
                try refreshAllLocked(e)
            }
            current.notice = "A day passed: yesterday's report is ready."
        }
    }

    /// Moves a ``DemoClockMode/manual(startMs:)`` clock forward (the console
    /// and the tests use it to space ads out). Does nothing on the system clock.
    @discardableResult
    public func advanceClock(seconds: Int64) -> DemoState {
        perform {
            if case .manual = configuration.clock {
                clock.advance(deltaMs: seconds * 1000)
            }
        }
    }

    // MARK: - internals (lock held)

    /// Runs one action with the lock held: the clock is synced first, a
    /// thrown error becomes `current.error`, and the new snapshot is returned.
    private func perform(_ body: () throws -> Void) -> DemoState {
        lock.lock()
        defer { lock.unlock() }
        syncClock()
        current.notice = nil
        do {
            try body()
            current.error = nil
        } catch {
            current.error = ModelError.from(error)
        }
        current.now = Self.date(clock.nowMs())
        current.skippedDays = skippedDays
        current.revision += 1
        return current
    }

    private func requireEngine() throws -> Engine {
        guard let e = engine else { throw ModelError.notOpen }
        return e
    }

    private func syncClock() {
        if case .systemPlusSkippedDays = configuration.clock {
            clock.set(nowMs: Self.systemNowMs() + Int64(skippedDays) * Self.dayMs)
        }
    }

    private func openLocked() throws {
        let key: Data
        do {
            key = try keys.storeKey()
        } catch {
            throw ModelError.keyUnavailable(reason: "\(error)")
        }
        let trusted: [Data]
        do {
            trusted = try catalogSource.trustedKeys()
        } catch {
            throw ModelError.catalogUnavailable(reason: "\(error)")
        }
        try FileManager.default.createDirectory(at: configuration.directory, withIntermediateDirectories: true)
        let config = EngineConfig(
            storageDir: configuration.storageDirectory.path,
            key: key,
            trustedKeys: trusted,
            defaultConsent: configuration.defaultConsent.sdk,
            limits: EngineLimits(exploration: configuration.exploration),
            selectionSeed: configuration.selectionSeed
        )
        // A production app calls Engine.open(config:) (system clock); the
        // demo's clock can skip days to show a report closing.
        let e = try Engine.openWithClock(config: config, clock: clock)
        engine = e
        current.isOpen = true
        // A refused catalog is not fatal: the app runs without ads. Its error
        // is reported after the screens are loaded.
        var catalogError: Error?
        do {
            try installCatalogLocked(e)
        } catch {
            catalogError = error
        }
        try refreshAllLocked(e)
        if let catalogError { throw catalogError }
    }

    private func installCatalogLocked(_ e: Engine) throws {
        let bytes: Data
        do {
            bytes = try catalogSource.catalogBundle()
        } catch {
            throw ModelError.catalogUnavailable(reason: "\(error)")
        }
        switch try e.installCatalog(bundle: bytes) {
        case let .installed(version):
            current.notice = "Ad catalog v\(version) verified and installed."
        case .alreadyInstalled:
            break
        }
    }

    private func refreshAllLocked(_ e: Engine) throws {
        try refreshStatusLocked(e)
        try refreshFeedLocked(e)
        try refreshInterestsLocked(e)
        try refreshHistoryLocked(e)
        try refreshPrivacyLocked(e)
    }

    private func refreshStatusLocked(_ e: Engine) throws {
        let s = try e.status()
        current.consent = ConsentChoice(s.consent)
        current.catalog = s.catalog.map(CatalogSummary.init)
        current.status.topics = Int(s.topics)
        current.status.eventsRecorded = s.eventsRecorded
        current.status.stateBytes = s.stateBytes
        current.status.selectionBlocked = s.selectionBlocked
    }

    private func refreshFeedLocked(_ e: Engine) throws {
        let now = clock.nowMs()
        let items = SampleContent.articles.map {
            ContentItem(id: $0.id, topics: $0.topics, publishedAtMs: now - Int64($0.ageHours) * Self.hourMs)
        }
        // Personalised: relevance to the profile, a little diversity and
        // freshness with a 3-day half-life. Otherwise the SDK orders by
        // freshness, then the app's order; diversity would still reorder
        // by topic, so it is only asked for with a profile.
        let personalised = try e.consent() == .personalised
        let ranked = try e.rankItems(items: items,
                                     options: RankOptions(diversity: personalised ? 0.3 : 0,
                                                          freshnessHalfLifeMs: 3 * Self.dayMs))
        current.feed.items = ranked.compactMap { r in
            guard let a = SampleContent.article(r.id) else { return nil }
            return FeedItem(id: a.id, title: a.title, summary: a.summary,
                            topics: a.topics.map { topicLabels[$0] ?? $0 },
                            reason: r.reason, score: r.score,
                            publishedAt: Self.date(now - Int64(a.ageHours) * Self.hourMs))
        }
        current.feed.personalised = personalised

        let response = try e.selectAds(request: feedAdRequest())
        if let choice = response.choices.first {
            advertiserNames[choice.advertiserId] = choice.advertiserName
            current.feed.ad = AdCard(choice)
            current.feed.noAdReason = nil
            return
        }
        let hidden = Set(try e.hiddenAdvertisers())
        switch response.noFill {
        case .tooSoon?, .hourlyLimit?, .dailyLimit?:
            // Pacing: keep the ad already on screen, if it is still allowed.
            if let shown = current.feed.ad, !hidden.contains(shown.advertiserId) {
                current.feed.noAdReason = nil
                return
            }
        default:
            break
        }
        current.feed.ad = nil
        current.feed.noAdReason = Self.noFillText(response.noFill)
    }

    private func feedAdRequest() -> AdRequest {
        let r = configuration.region
        return AdRequest(
            placementId: "feed",
            slots: 1,
            context: AdContext(topics: [], text: nil, locale: r.locale, country: r.country,
                               appSection: "feed", os: .ios, kinds: [.native, .banner],
                               utcOffsetMinutes: r.utcOffsetMinutes)
        )
    }

    private func refreshInterestsLocked(_ e: Engine) throws {
        let interests = try e.interests()
        let top = interests.first?.weight ?? 0
        for i in interests {
            topicLabels[i.topicId] = i.label
        }
        current.interests.interests = interests.map {
            InterestRow(id: $0.topicId, label: $0.label, path: $0.path, weight: $0.weight,
                        share: top > 0 ? min(1, $0.weight / top) : 0, reason: $0.reason)
        }
        current.interests.traits = try e.traits().map { TraitRow(id: $0.id, label: $0.label, reason: $0.reason) }
        current.interests.hiddenTopics = try e.suppressedTopics().map {
            HiddenTopicRow(id: $0, label: topicLabels[$0] ?? "Topic \($0)")
        }
        current.interests.learning = try e.consent() == .personalised
    }

    private func refreshHistoryLocked(_ e: Engine) throws {
        let entries = try e.adHistory()
        for h in entries {
            if let name = h.advertiserName { advertiserNames[h.advertiserId] = name }
        }
        current.history.entries = entries.map {
            HistoryRow(id: $0.token, shownAt: Self.date($0.shownAtMs), title: $0.title,
                       advertiserId: $0.advertiserId,
                       advertiserName: $0.advertiserName ?? advertiserNames[$0.advertiserId] ?? "unknown advertiser",
                       reactions: $0.reactions.compactMap(AdReaction.init))
        }
        current.history.hiddenAdvertisers = try e.hiddenAdvertisers().map {
            HiddenAdvertiserRow(id: $0, name: advertiserNames[$0] ?? $0)
        }
    }

    private func refreshPrivacyLocked(_ e: Engine) throws {
        let pending = try e.pendingReports()
        let log = try e.sentReports()
        current.privacy.pending = pending.map {
            ReportRow(id: $0.handle, period: $0.period, payload: $0.payload, bytes: $0.payload.utf8.count,
                      acknowledgedAt: nil)
        }
        current.privacy.sent = log.compactMap { r in
            guard let ack = r.acknowledgedAtMs else { return nil }
            return ReportRow(id: r.handle, period: r.period, payload: r.payload, bytes: r.payload.utf8.count,
                             acknowledgedAt: Self.date(ack))
        }
        current.privacy.budget = BudgetInfo(try e.privacyBudget())
        // Audit every payload that left or will leave the phone, oldest
        // first, under the auditor's default policy (ε ≤ 1 per metric), the
        // same check as `hearth audit`.
        var seen = Set<UInt64>()
        var payloads: [String] = []
        for (handle, payload) in log.reversed().map({ ($0.handle, $0.payload) }) + pending.map({ ($0.handle, $0.payload) })
            where seen.insert(handle).inserted {
            payloads.append(payload)
        }
        current.privacy.audit = payloads.isEmpty ? nil : AuditInfo(try auditPayloads(payloads: payloads))
        current.privacy.uploadLog = uploader.uploadedPayloads()
        current.privacy.uploadDestination = uploader.destination
    }

    private static func recordNotice(_ out: RecordOutcome, what: String) -> String {
        switch out.status {
        case .recorded:
            var s = "\(what) was noted on this phone"
            if out.sensitiveDropped > 0 { s += "; \(out.sensitiveDropped) sensitive topic(s) were dropped" }
            if out.suppressedDropped > 0 { s += "; \(out.suppressedDropped) topic(s) you removed were ignored" }
            return s + "."
        case .consentWithheld:
            return "\(what) was not recorded: personalisation is off."
        case .tooOld:
            return "\(what) is too old to count."
        }
    }

    private static func noFillText(_ n: NoFill?) -> String {
        switch n {
        case .consentOff?: "No ads: consent is off."
        case .noCatalog?: "No ads: no verified ad catalog is installed."
        case .catalogExpired?: "No ads: the ad catalog has expired."
        case .hourlyLimit?: "No more ads this hour: Hearth limits how many ads you see."
        case .dailyLimit?: "No more ads today: Hearth limits how many ads you see."
        case let .tooSoon(retryAfterMs)?:
            "The last ad was shown moments ago; the next can appear in \((retryAfterMs + 999) / 1000) s."
        case .noEligibleAd?: "No ad in the catalog fits you and this screen right now."
        case nil: "No ad."
        }
    }

    private static func systemNowMs() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded())
    }

    fileprivate static func date(_ ms: Int64) -> Date {
        Date(timeIntervalSince1970: Double(ms) / 1000)
    }
}

// MARK: - SDK ⇄ model mappings

extension ConsentChoice {
    init(_ c: Consent) {
        switch c {
        case .personalised: self = .personalised
        case .contextualOnly: self = .contextualOnly
        case .off: self = .off
        }
    }

    var sdk: Consent {
        switch self {
        case .personalised: .personalised
        case .contextualOnly: .contextualOnly
        case .off: .off
        }
    }
}

extension AdReaction {
    /// nil for an impression: it is not a reaction (every history entry was shown).
    init?(_ k: AdEventKind) {
        switch k {
        case .impression: return nil
        case .click: self = .click
        case .dismiss: self = .dismiss
        case .conversion: self = .conversion
        case .like: self = .like
        case .dislike: self = .dislike
        case .hide: self = .hide
        }
    }

    var sdk: AdEventKind {
        switch self {
        case .click: .click
        case .dismiss: .dismiss
        case .conversion: .conversion
        case .like: .like
        case .dislike: .dislike
        case .hide: .hide
        }
    }
}

extension CatalogSummary {
    init(_ c: CatalogStatus) {
        self.init(version: c.version, campaigns: Int(c.campaigns), creatives: Int(c.creatives), keyId: c.keyId,
                  region: c.region, expiresAt: DemoModel.date(c.expiresAtMs), bundleBytes: c.bundleBytes)
    }
}

extension AdCard {
    init(_ c: AdChoice) {
        let basis: AdBasis = switch c.why.basis {
        case .interests: .interests
        case .context: .context
        case .untargeted: .untargeted
        case .exploration: .exploration
        }
        self.init(token: c.token, advertiserId: c.advertiserId, advertiserName: c.advertiserName,
                  title: c.creative.title, body: c.creative.body, callToAction: c.creative.callToAction,
                  clickURL: c.creative.clickUrl,
                  why: WhyThisAdInfo(basis: basis, text: c.why.text,
                                     interests: c.why.interests.map {
                                         WeightedLabel(id: $0.topicId, label: $0.label, weight: $0.weight)
                                     },
                                     traits: c.why.traits, pageTopics: c.why.pageTopics))
    }
}

extension BudgetInfo {
    init(_ b: BudgetStatus) {
        self.init(epsilonPerDay: b.epsilonPerMetric, weeklyCap: b.weeklyCapPerMetric,
                  metrics: b.metrics.map {
                      MetricBudgetRow(metric: $0.metric, spent: $0.spentLast7Periods, remaining: $0.remaining)
                  })
    }
}

extension AuditInfo {
    init(_ v: AuditVerdict) {
        self.init(passed: v.passed, payloads: Int(v.payloads), summary: v.summary,
                  violations: v.violations.map { "payload \($0.index): [\($0.rule)] \($0.detail)" })
    }
}
