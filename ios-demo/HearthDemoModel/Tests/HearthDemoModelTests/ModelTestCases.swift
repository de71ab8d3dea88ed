// Tests of the demo's model layer (HearthDemoModel) against the real Hearth
// library: no mock of the engine anywhere. Each case is a plain throwing
// function, so two runners share them:
//
//   - on Linux, ios-demo/ModelTestsRunner/main.swift (a tiny harness, run by
//     scripts/test-ios-demo.sh; XCTest is not available there);
//   - in Xcode, HearthDemoModelXCTests.swift wraps each case in an XCTest
//     method (not compiled on Linux).
//
// A failed check throws `CheckFailure`. Fixtures: a directory with
// sample.bundle and publisher.pub whose catalog was created yesterday
// (scripts/bindings-fixtures.sh on Linux, ios-demo/scripts/make-sample-catalog.sh
// on a Mac).

import Foundation
import HearthDemoModel

// MARK: - checks

/// A failed check.
struct CheckFailure: Error, CustomStringConvertible {
    let description: String
}

func check(_ cond: Bool, _ msg: @autoclosure () -> String = "check failed", line: Int = #line) throws {
    if !cond { throw CheckFailure(description: "line \(line): \(msg())") }
}

func checkEq<T: Equatable>(_ expected: T, _ actual: T, _ what: String = "value", line: Int = #line) throws {
    if expected != actual {
        throw CheckFailure(description: "line \(line): \(what): expected <\(expected)>, got <\(actual)>")
    }
}

/// Checks that an action left no error, and returns its state.
@discardableResult
func ok(_ s: DemoState, _ what: String = "action", line: Int = #line) throws -> DemoState {
    if let e = s.error {
        throw CheckFailure(description: "line \(line): \(what) failed: \(e)")
    }
    return s
}

// MARK: - environment

/// What every case gets: the fixtures and a fresh scratch directory.
struct ModelTestEnvironment: Sendable {
    /// sample.bundle + publisher.pub.
    let fixtures: URL
    /// A fresh, empty directory for this case.
    let scratch: URL

    /// 07:00 UTC today: the manual clock's start (the catalog was created
    /// yesterday, so it is valid).
    static let startMs: Int64 = Int64(Date().timeIntervalSince1970 * 1000) / 86_400_000 * 86_400_000 + 7 * 3_600_000

    var catalog: FileCatalogSource {
        FileCatalogSource(directory: fixtures)
    }

    /// A new directory under `scratch`.
    func dir(_ name: String = UUID().uuidString) -> URL {
        scratch.appendingPathComponent(name, isDirectory: true)
    }

    /// A model on a manual clock, personalised unless told otherwise, with a
    /// pinned selection seed and no exploration (so every ad is a targeted
    /// one), uploading to `directory/uploads.jsonl`.
    func model(directory: URL? = nil, keys: any KeyProvider = FixedKeyProvider.random(),
               consent: ConsentChoice = .personalised, catalog: (any CatalogSource)? = nil,
               uploader: (any ReportUploader)? = nil,
               clock: DemoClockMode = .manual(startMs: ModelTestEnvironment.startMs)) -> DemoModel {
        let d = directory ?? dir()
        return DemoModel(
            configuration: DemoConfiguration(directory: d, clock: clock, region: .berlin, defaultConsent: consent,
                                             selectionSeed: 7, exploration: 0),
            keys: keys,
            catalog: catalog ?? self.catalog,
            uploader: uploader ?? LogReportUploader(fileURL: d.appendingPathComponent("uploads.jsonl"))
        )
    }
}

/// A runner for marathons who follows soccer and reads celebrity gossip.
func train(_ m: DemoModel) throws {
    for (id, seconds) in [("marathon-plan", 240), ("trail-shoes", 180), ("marathon-plan", 120),
                          ("bundesliga-matchday", 90), ("back-four", 60), ("celebrity-week", 60)] as [(String, UInt64)] {
        m.advanceClock(seconds: 300)
        try ok(m.openArticle(id, dwellSeconds: seconds), "openArticle \(id)")
    }
    try ok(m.search("best running shoes for a marathon"), "search")
}

/// Refreshes the feed 11 minutes later (past every pacing gap of the sample
/// catalog's hourly caps) and records the ad's impression, if there is one.
@discardableResult
func nextFeed(_ m: DemoModel) throws -> DemoState {
    m.advanceClock(seconds: 11 * 60)
    let s = try ok(m.refreshFeed(), "refreshFeed")
    if let ad = s.feed.ad {
        try ok(m.adDidAppear(token: ad.token), "adDidAppear")
    }
    return m.state
}

/// A reporter that always fails, like a phone without network.
struct FailingUploader: ReportUploader {
    func upload(period _: String, payload _: String) throws {
        throw DemoIOError("offline")
    }

    func uploadedPayloads() -> [String] {
        []
    }

    var destination: String {
        "nowhere"
    }
}

// MARK: - the cases

enum ModelTestCases {
    /// Every case, by name, in run order.
    static let all: [(name: String, run: @Sendable (ModelTestEnvironment) throws -> Void)] = [
        ("open: key from the provider, catalog installed, nothing collected before opt-in", openWithKeyProvider),
        ("open: a wrong key is ModelError.storeWrongKey; erase and reopen recovers", wrongKeyIsModelError),
        ("open: a failing key provider and a bad key are error states", keyProviderFailure),
        ("catalog: installed once, a tampered bundle refused without closing", catalogInstall),
        ("feed: ranked by interests with reasons, an ad with why-this-ad", feedRankedWithAd),
        ("feed: without personalised consent, the app's order", feedWithoutConsent),
        ("hide: the advertiser no longer appears; unhide", hideRemovesAdvertiser),
        ("history: like and dislike on shown ads", historyReactions),
        ("interests: remove keeps the topic out; allow again", interestRemoval),
        ("consent off: profile, traits, history and ads cleared", consentOffClears),
        ("reset: everything forgotten, default consent, catalog kept", resetForgets),
        ("report: after a simulated day, the exact payload passes the audit", reportAfterADay),
        ("budget: epsilon spent after a day", budgetDecreases),
        ("upload: acknowledge moves the payload to sent", acknowledgeMovesToSent),
        ("upload: the log holds the exact payload; a failed upload stays pending", uploadLog),
        ("clock: skipped days survive a relaunch (system clock mode)", skippedDaysPersist),
        ("lifecycle: close, then notOpen; the profile persists", lifecycle),
    ]

    static func openWithKeyProvider(_ env: ModelTestEnvironment) throws {
        let m = env.model(consent: .contextualOnly)
        let s = try ok(m.open(), "open")
        try check(s.isOpen, "open")
        try checkEq(.contextualOnly, s.consent, "default consent")
        let cat = try unwrap(s.catalog, "catalog")
        try checkEq(15, cat.campaigns, "campaigns")
        try checkEq(43, cat.creatives, "creatives")
        try checkEq("DE", cat.region, "region")
        try checkEq(14, s.feed.items.count, "feed items")
        let read = try ok(m.openArticle("marathon-plan"), "openArticle")
        try check(read.notice?.contains("not recorded") == true, read.notice ?? "no notice")
        try checkEq(0, read.interests.interests.count, "interests before opt-in")
        try checkEq(0, read.status.eventsRecorded, "eventsRecorded")
        try ok(m.setConsent(.personalised), "opt in")
        let after = try ok(m.openArticle("marathon-plan"), "openArticle")
        try check(after.interests.interests.contains { $0.label == "Running and Jogging" }, "learned")
        // Opening twice is harmless.
        try ok(m.open(), "open again")
    }

    static func wrongKeyIsModelError(_ env: ModelTestEnvironment) throws {
        let dir = env.dir()
        let first = env.model(directory: dir)
        try ok(first.open(), "open")
        try train(first)
        try ok(first.close(), "close")

        let other = env.model(directory: dir, keys: FixedKeyProvider.random())
        let s = other.open()
        try check(!s.isOpen, "opened with the wrong key")
        guard case let .storeWrongKey(path)? = s.error else {
            throw CheckFailure(description: "expected storeWrongKey, got \(String(describing: s.error))")
        }
        try check(path.hasPrefix(dir.path), path)
        try check(s.error?.offersErase == true, "offersErase")
        try checkEq(.notOpen, other.refreshFeed().error, "calls before a successful open")

        let recovered = try ok(other.eraseStorageAndReopen(), "eraseStorageAndReopen")
        try check(recovered.isOpen, "reopened")
        try checkEq(0, recovered.interests.interests.count, "empty profile")
        try check(recovered.catalog != nil, "catalog reinstalled")
    }

    static func keyProviderFailure(_ env: ModelTestEnvironment) throws {
        let locked = env.model(keys: FailingKeyProvider(reason: "device locked"))
        let s = locked.open()
        try check(!s.isOpen, "opened without a key")
        guard case let .keyUnavailable(reason)? = s.error else {
            throw CheckFailure(description: "expected keyUnavailable, got \(String(describing: s.error))")
        }
        try check(reason.contains("device locked"), reason)
        try check(s.error?.offersErase == false, "no erase offered for a locked keychain")

        let short = env.model(keys: FixedKeyProvider(key: Data(count: 31)))
        let e = short.open().error
        guard case let .engine(reason)? = e else {
            throw CheckFailure(description: "expected an engine error, got \(String(describing: e))")
        }
        try check(reason.contains("key"), reason)
    }

    static func catalogInstall(_ env: ModelTestEnvironment) throws {
        let m = env.model()
        let s = try ok(m.open(), "open")
        try check(s.notice?.contains("verified and installed") == true, s.notice ?? "no notice")
        let again = try ok(m.installCatalog(), "installCatalog again")
        try checkEq(s.catalog, again.catalog, "same catalog")
        try check(s.status.selectionBlocked == nil, s.status.selectionBlocked ?? "")

        var tampered = try env.catalog.catalogBundle()
        tampered[200] ^= 1
        let bad = env.model(catalog: InMemoryCatalogSource(bundle: tampered, keys: try env.catalog.trustedKeys()))
        let b = bad.open()
        try check(b.isOpen, "a refused catalog does not close the engine")
        guard case let .catalogRejected(reason)? = b.error else {
            throw CheckFailure(description: "expected catalogRejected, got \(String(describing: b.error))")
        }
        try check(reason.contains("signature"), reason)
        try checkEq(nil, b.catalog, "catalog")
        try checkEq(nil, b.feed.ad, "ad without a catalog")
        try check(b.feed.noAdReason?.contains("catalog") == true, b.feed.noAdReason ?? "")
        try checkEq(14, b.feed.items.count, "the feed works without ads")
    }

    static func feedRankedWithAd(_ env: ModelTestEnvironment) throws {
        let m = env.model()
        try ok(m.open(), "open")
        try train(m)
        let s = try nextFeed(m)
        try check(s.feed.personalised, "personalised")
        let top = try unwrap(s.feed.items.first, "top item")
        try check(["marathon-plan", "trail-shoes"].contains(top.id), "top item \(top.id)")
        try check(top.reason.hasPrefix("Because you follow"), top.reason)
        try check(top.topics.contains("Running and Jogging"), "\(top.topics)")
        try checkEq(Set(SampleContent.articles.map(\.id)), Set(s.feed.items.map(\.id)), "every article once")
        let ad = try unwrap(s.feed.ad, "ad (\(s.feed.noAdReason ?? ""))")
        try checkEq(nil, s.feed.noAdReason, "noAdReason")
        try check(!ad.title.isEmpty && !ad.advertiserName.isEmpty && ad.clickURL.hasPrefix("https://"), "\(ad)")
        try checkEq(.interests, ad.why.basis, "basis")
        try check(ad.why.text.contains("interested in"), ad.why.text)
        try check(!ad.why.interests.isEmpty, "matched interests")
        // adDidAppear recorded the impression: the ad is in the history.
        try checkEq([ad.token], s.history.entries.map(\.id), "history")
        try checkEq(ad.advertiserName, s.history.entries.first?.advertiserName, "history name")
    }

    static func feedWithoutConsent(_ env: ModelTestEnvironment) throws {
        let m = env.model()
        try ok(m.open(), "open")
        try train(m)
        let s = try ok(m.setConsent(.contextualOnly), "contextual only")
        try check(!s.feed.personalised, "personalised")
        // Newest first, ties in the app's order: the magazine's own order.
        try checkEq(SampleContent.articles.map(\.id), s.feed.items.map(\.id), "app order")
        try check(!s.interests.learning, "learning")
        try check(!s.interests.interests.isEmpty, "the profile is kept under contextual-only")
    }

    static func hideRemovesAdvertiser(_ env: ModelTestEnvironment) throws {
        let m = env.model()
        try ok(m.open(), "open")
        try train(m)
        let first = try unwrap(try nextFeed(m).feed.ad, "first ad")
        let hidden = try ok(m.react(token: first.token, .hide), "hide")
        try check(hidden.notice?.contains(first.advertiserName) == true, hidden.notice ?? "")
        try checkEq(nil, hidden.feed.ad, "the hidden ad leaves the slot")
        try checkEq([first.advertiserId], hidden.history.hiddenAdvertisers.map(\.id), "hidden advertisers")
        try checkEq([first.advertiserName], hidden.history.hiddenAdvertisers.map(\.name), "hidden names")
        try checkEq([.hide], hidden.history.entries.first?.reactions ?? [], "reaction")
        var shown = 0
        for _ in 0 ..< 8 {
            let s = try nextFeed(m)
            if let ad = s.feed.ad {
                shown += 1
                try check(ad.advertiserId != first.advertiserId, "hidden advertiser \(ad.advertiserName) shown")
            }
        }
        try check(shown > 0, "no ad at all after hiding one advertiser")
        let unhidden = try ok(m.unhideAdvertiser(first.advertiserId), "unhide")
        try checkEq(0, unhidden.history.hiddenAdvertisers.count, "hidden after unhide")
    }

    static func historyReactions(_ env: ModelTestEnvironment) throws {
        let m = env.model()
        try ok(m.open(), "open")
        try train(m)
        let ad = try unwrap(try nextFeed(m).feed.ad, "ad")
        let liked = try ok(m.react(token: ad.token, .like), "like")
        try checkEq([.like], liked.history.entries.first?.reactions ?? [], "reactions")
        try check(liked.notice?.contains(ad.title) == true, liked.notice ?? "")
        try checkEq(ad, liked.feed.ad, "a liked ad stays")
        let second = try ok(m.react(token: ad.token, .like), "like again")
        try checkEq([.like], second.history.entries.first?.reactions ?? [], "a repeat counts once")
        let disliked = try ok(m.react(token: ad.token, .dislike), "dislike")
        try checkEq(nil, disliked.feed.ad, "a disliked ad leaves the slot")
        try checkEq(Set([.like, .dislike]), Set(disliked.history.entries.first?.reactions ?? []), "reactions")
        try checkEq(.staleAd, m.react(token: "forged", .like).error, "an unknown token")
    }

    static func interestRemoval(_ env: ModelTestEnvironment) throws {
        let m = env.model()
        try ok(m.open(), "open")
        try train(m)
        let before = m.state.interests
        let pop = try unwrap(before.interests.first { $0.label == "Pop Culture" }, "Pop Culture interest")
        try check(before.interests.allSatisfy { !$0.reason.isEmpty }, "every interest has a reason")
        try checkEq(1.0, before.interests.first?.share ?? 0, "the strongest interest's share")
        let s = try ok(m.removeInterest(pop.id), "removeInterest")
        try check(s.interests.interests.allSatisfy { !$0.path.hasPrefix("Pop Culture") }, "Pop Culture and subtopics removed")
        try checkEq([pop.id], s.interests.hiddenTopics.map(\.id), "hidden topic ids")
        try checkEq(["Pop Culture"], s.interests.hiddenTopics.map(\.label), "hidden topic labels")
        m.advanceClock(seconds: 60)
        let read = try ok(m.openArticle("celebrity-week"), "openArticle")
        try check(read.interests.interests.allSatisfy { !$0.path.hasPrefix("Pop Culture") }, "relearned")
        try check(read.notice?.contains("you removed were ignored") == true, read.notice ?? "")
        let allowed = try ok(m.allowTopic(pop.id), "allowTopic")
        try checkEq(0, allowed.interests.hiddenTopics.count, "hidden after allow")
        let relearned = try ok(m.openArticle("celebrity-week"), "openArticle")
        try check(relearned.interests.interests.contains { $0.id == pop.id }, "learned again after allow")
    }

    static func consentOffClears(_ env: ModelTestEnvironment) throws {
        let m = env.model()
        try ok(m.open(), "open")
        try train(m)
        try unwrap(try nextFeed(m).feed.ad, "ad")
        let s = try ok(m.setConsent(.off), "consent off")
        try checkEq(.off, s.consent, "consent")
        try checkEq(0, s.interests.interests.count, "interests")
        try checkEq(0, s.interests.traits.count, "traits")
        try checkEq(0, s.history.entries.count, "ad history")
        try checkEq(nil, s.feed.ad, "ad")
        try check(s.feed.noAdReason?.contains("consent is off") == true, s.feed.noAdReason ?? "")
        let read = try ok(m.openArticle("marathon-plan"), "openArticle")
        try checkEq(0, read.interests.interests.count, "nothing collected under off")
        try check(m.state.catalog != nil, "catalog kept")
    }

    static func resetForgets(_ env: ModelTestEnvironment) throws {
        let m = env.model(consent: .contextualOnly)
        try ok(m.open(), "open")
        try ok(m.setConsent(.personalised), "opt in")
        try train(m)
        try unwrap(try nextFeed(m).feed.ad, "ad")
        let s = try ok(m.reset(), "reset")
        try checkEq(0, s.interests.interests.count, "interests")
        try checkEq(0, s.history.entries.count, "history")
        try checkEq(0, s.interests.hiddenTopics.count, "hidden topics")
        try checkEq(.contextualOnly, s.consent, "default consent")
        try checkEq(0, s.status.eventsRecorded, "eventsRecorded")
        try check(s.catalog != nil, "catalog kept")
        try check(s.notice?.contains("erased") == true, s.notice ?? "")
    }

    /// The UTC day of the manual clock's start, `YYYY-MM-DD`.
    static func startDay() -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd"
        return f.string(from: Date(timeIntervalSince1970: Double(ModelTestEnvironment.startMs) / 1000))
    }

    /// A model that saw ads today, then a day passed.
    static func dayWithAds(_ env: ModelTestEnvironment, uploader: (any ReportUploader)? = nil) throws
        -> (DemoModel, DemoState) {
        let m = env.model(uploader: uploader)
        try ok(m.open(), "open")
        try train(m)
        for _ in 0 ..< 3 {
            try nextFeed(m)
        }
        let before = try ok(m.refreshPrivacy(), "refreshPrivacy")
        try checkEq(0, before.privacy.pending.count, "pending before the day closed")
        try checkEq(nil, before.privacy.audit, "nothing to audit yet")
        return (m, try ok(m.passDay(), "passDay"))
    }

    static func reportAfterADay(_ env: ModelTestEnvironment) throws {
        let (m, s) = try dayWithAds(env)
        try checkEq(1, s.privacy.pending.count, "pending")
        let r = s.privacy.pending[0]
        try checkEq(startDay(), r.period, "period")
        try check(r.payload.hasPrefix("{\"schema\":\"hearth-report/1\","), r.payload)
        try checkEq(r.payload.utf8.count, r.bytes, "bytes")
        let doc = try JSONSerialization.jsonObject(with: Data(r.payload.utf8)) as? [String: Any]
        try checkEq(startDay(), doc?["period"] as? String, "payload period")
        try checkEq(3, (doc?["reports"] as? [Any])?.count, "metrics in the payload")
        try check(!r.payload.contains("marathon") && !r.payload.contains("Stride"), "no personal data in the payload")
        let audit = try unwrap(s.privacy.audit, "audit")
        try check(audit.passed, "audit: \(audit.summary) \(audit.violations)")
        try checkEq(1, audit.payloads, "payloads audited")
        try check(audit.summary.hasPrefix("verdict: PASS"), audit.summary)
        try checkEq([], audit.violations, "violations")
        // Asking again returns identical bytes: no fresh noise to average away.
        try checkEq(s.privacy.pending, try ok(m.refreshPrivacy()).privacy.pending, "pending on a second read")
        try check(s.now.timeIntervalSince1970 * 1000 >= Double(ModelTestEnvironment.startMs + 86_400_000), "a day later")
    }

    static func budgetDecreases(_ env: ModelTestEnvironment) throws {
        let m = env.model()
        let s0 = try ok(m.open(), "open")
        let b0 = try unwrap(s0.privacy.budget, "budget")
        try checkEq(1.0, b0.epsilonPerDay, "epsilon per day")
        try checkEq(7.0, b0.weeklyCap, "weekly cap")
        try checkEq(["impressions", "clicks", "conversions"], b0.metrics.map(\.metric), "metrics")
        try checkEq(7.0, b0.remaining, "remaining before any report")
        try check(b0.metrics.allSatisfy { $0.spent == 0 }, "spent before any report")
        try train(m)
        try nextFeed(m)
        let s1 = try ok(m.passDay(), "passDay")
        let b1 = try unwrap(s1.privacy.budget, "budget")
        try checkEq(6.0, b1.remaining, "remaining after a day")
        try check(b1.metrics.allSatisfy { $0.spent == 1.0 && $0.remaining == 6.0 }, "\(b1.metrics)")
        let s2 = try ok(m.passDay(), "passDay")
        try checkEq(5.0, try unwrap(s2.privacy.budget, "budget").remaining, "remaining after two days")
    }

    static func acknowledgeMovesToSent(_ env: ModelTestEnvironment) throws {
        let (m, s) = try dayWithAds(env)
        let payload = try unwrap(s.privacy.pending.first, "pending").payload
        try checkEq(0, s.privacy.sent.count, "sent before upload")
        let up = try ok(m.uploadPendingReports(), "upload")
        try checkEq(0, up.privacy.pending.count, "pending after upload")
        try checkEq([payload], up.privacy.sent.map(\.payload), "sent")
        try check(up.privacy.sent[0].acknowledgedAt != nil, "acknowledgedAt")
        try check(up.privacy.audit?.passed == true, "the audit covers the sent payload")
        try check(up.notice?.contains("Uploaded 1") == true, up.notice ?? "")
        let again = try ok(m.uploadPendingReports(), "upload again")
        try checkEq("Nothing to upload.", again.notice, "notice")
        try checkEq(1, again.privacy.sent.count, "sent")
    }

    static func uploadLog(_ env: ModelTestEnvironment) throws {
        let logDir = env.dir()
        let log = LogReportUploader(fileURL: logDir.appendingPathComponent("uploads.jsonl"))
        let (m, s) = try dayWithAds(env, uploader: log)
        let payload = try unwrap(s.privacy.pending.first, "pending").payload
        try checkEq([], s.privacy.uploadLog, "log before upload")
        let up = try ok(m.uploadPendingReports(), "upload")
        try checkEq([payload], up.privacy.uploadLog, "log on the dashboard")
        try checkEq([payload], log.uploadedPayloads(), "log")
        try checkEq(payload + "\n", try String(contentsOf: log.fileURL, encoding: .utf8), "the file, byte for byte")
        try checkEq(log.fileURL.path, up.privacy.uploadDestination, "destination")

        // Offline: the upload fails and the report stays pending.
        let (offline, s2) = try dayWithAds(env, uploader: FailingUploader())
        let failed = offline.uploadPendingReports()
        guard case let .uploadFailed(reason)? = failed.error else {
            throw CheckFailure(description: "expected uploadFailed, got \(String(describing: failed.error))")
        }
        try check(reason.contains("offline"), reason)
        try checkEq(s2.privacy.pending, failed.privacy.pending, "still pending")
        try checkEq(0, failed.privacy.sent.count, "nothing sent")
    }

    static func skippedDaysPersist(_ env: ModelTestEnvironment) throws {
        let dir = env.dir()
        let keys = FixedKeyProvider.random()
        let m = env.model(directory: dir, keys: keys, clock: .systemPlusSkippedDays)
        let s0 = try ok(m.open(), "open")
        try checkEq(0, s0.skippedDays, "skipped days")
        try check(abs(s0.now.timeIntervalSinceNow) < 60, "follows the system clock")
        let s1 = try ok(m.passDay(), "passDay")
        try checkEq(1, s1.skippedDays, "skipped days")
        try check(abs(s1.now.timeIntervalSinceNow - 86400) < 60, "a day ahead")
        try ok(m.close(), "close")
        let relaunched = env.model(directory: dir, keys: keys, clock: .systemPlusSkippedDays)
        let s2 = try ok(relaunched.open(), "reopen")
        try checkEq(1, s2.skippedDays, "skipped days after a relaunch")
        try check(abs(s2.now.timeIntervalSinceNow - 86400) < 60, "still a day ahead")
    }

    static func lifecycle(_ env: ModelTestEnvironment) throws {
        let dir = env.dir()
        let keys = FixedKeyProvider.random()
        let m = env.model(directory: dir, keys: keys)
        try ok(m.open(), "open")
        try train(m)
        try ok(m.flush(), "flush")
        let closed = try ok(m.close(), "close")
        try check(!closed.isOpen, "closed")
        try checkEq(.notOpen, m.openArticle("marathon-plan").error, "after close")
        do {
            _ = try m.exportData()
            throw CheckFailure(description: "exported after close")
        } catch ModelError.notOpen {}
        let again = env.model(directory: dir, keys: keys)
        let s = try ok(again.open(), "reopen")
        try check(s.interests.interests.contains { $0.label == "Running and Jogging" }, "profile persisted")
        let export = try again.exportData()
        try check(export.contains("hearth-export/1") && !export.contains("marathon"), "export")
    }

    @discardableResult
    private static func unwrap<T>(_ v: T?, _ what: String, line: Int = #line) throws -> T {
        guard let v else { throw CheckFailure(description: "line \(line): \(what) is nil") }
        return v
    }
}
