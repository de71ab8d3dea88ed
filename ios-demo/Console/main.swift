// The iOS demo's console front end: the SwiftUI app's story, told through the
// same model layer (HearthDemoModel) on a terminal. It runs on Linux
// (scripts/demo-ios-console.sh, scripts/test-ios-demo.sh) and on a Mac.
//
// Each numbered section is one of the app's screens or actions:
//   1. launch: the store key (the app: Keychain), the signed catalog, consent
//   2. reading articles (the feed's article screen records content views)
//   3. "For you": the feed ranked on the phone, its ad slot, "Why this ad?"
//   4. "Your interests" with remove
//   5. "Hide ads from …" and the ad history with like
//   6. the privacy dashboard, the next day: the exact payload, the audit
//      verdict, the budget, the upload to a log
//   7-8. settings: consent off, reset
//
// Usage: hearth-demo-console FIXTURES_DIR [WORK_DIR]
//   FIXTURES_DIR  sample.bundle + publisher.pub (scripts/bindings-fixtures.sh)
//   WORK_DIR      where the demo keeps its files (default: a fresh temporary
//                 directory, deleted at the end); must not exist or be empty

import Foundation
import HearthDemoModel

let args = CommandLine.arguments
guard args.count >= 2 else {
    print("usage: hearth-demo-console FIXTURES_DIR [WORK_DIR]")
    exit(2)
}
let fixtures = URL(fileURLWithPath: args[1], isDirectory: true)
let keepDir = args.count >= 3
let workDir = keepDir
    ? URL(fileURLWithPath: args[2], isDirectory: true)
    : FileManager.default.temporaryDirectory.appendingPathComponent("hearth-ios-demo-\(UUID().uuidString)")

// The simulated morning: 07:00 UTC today (the fixtures' catalog was created
// yesterday, so it is valid), then the clock moves only when told to.
let dayMs: Int64 = 86_400_000
let todayMs = Int64(Date().timeIntervalSince1970 * 1000) / dayMs * dayMs
let uploader = LogReportUploader(fileURL: workDir.appendingPathComponent("uploads.jsonl"))
let model = DemoModel(
    // A pinned selection seed and no random exploration, so that every ad in
    // the story is a targeted one and reruns tell the same story (the app
    // keeps the SDK's defaults: a random seed and 10% exploration).
    configuration: DemoConfiguration(directory: workDir, clock: .manual(startMs: todayMs + 7 * 3_600_000),
                                     region: .berlin, defaultConsent: .contextualOnly, selectionSeed: 7,
                                     exploration: 0),
    // The app: KeychainKeyProvider (32 random bytes, this device only).
    keys: FixedKeyProvider.random(),
    // The app: sample.bundle + publisher.pub, bundle resources signed at build time.
    catalog: FileCatalogSource(directory: fixtures),
    // The app: the same log, shown on the privacy dashboard.
    uploader: uploader
)

/// Stops the demo if an action failed: the story would not make sense after it.
@discardableResult
func must(_ s: DemoState, _ what: String) -> DemoState {
    if let e = s.error {
        print("   ERROR while \(what): \(e)")
        exit(1)
    }
    return s
}

func utcTime(_ d: Date) -> String {
    let f = DateFormatter()
    f.locale = Locale(identifier: "en_US_POSIX")
    f.timeZone = TimeZone(identifier: "UTC")
    f.dateFormat = "yyyy-MM-dd HH:mm 'UTC'"
    return f.string(from: d)
}

func bar(_ share: Double) -> String {
    let n = max(0, min(20, Int((share * 20).rounded())))
    return String(repeating: "█", count: n) + String(repeating: " ", count: 20 - n)
}

func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
}

func printAd(_ ad: AdCard, indent: String = "   ") {
    print("\(indent)[Ad by \(ad.advertiserName)] \u{201C}\(ad.title)\u{201D} — \(ad.callToAction) (\(ad.why.basis.rawValue))")
    print("\(indent)  why: \(ad.why.text)")
    if !ad.why.interests.isEmpty {
        let list = ad.why.interests.map { "\($0.label) (\(String(format: "%.1f", $0.weight)))" }
        print("\(indent)  matched interests: \(list.joined(separator: ", "))")
    }
}

print("Hearth iOS demo, console edition: the SwiftUI app's story through the same model layer.")
print("Everything below happens on this \"phone\"; the only bytes meant to leave it are report payloads,")
print("and the demo sends those to a log instead of a server.\n")

// 1. Launch ---------------------------------------------------------------
var s = must(model.open(), "opening")
print("1. Sam installs the app. It opens Hearth with a 32-byte key (on iOS: from the Keychain,")
print("   this device only), the encrypted store in \(workDir.appendingPathComponent("hearth").path),")
print("   and the signed sample catalog shipped with the app.")
if let c = s.catalog {
    print("   \(s.notice ?? "Ad catalog v\(c.version) installed.") Key \(c.keyId), \(c.campaigns) campaigns, \(c.creatives) creatives, region \(c.region).")
}
print("   Consent starts as \(s.consent.title): \(s.consent.explanation)")
s = must(model.openArticle("bundesliga-matchday"), "reading")
print("   Sam reads an article: \(s.notice ?? "")")
s = must(model.setConsent(.personalised), "opting in")
print("   Sam opts in: consent is now \(s.consent.title).\n")

// 2. Reading ----------------------------------------------------------------
let reading: [(String, UInt64)] = [
    ("marathon-plan", 240), ("trail-shoes", 180), ("bundesliga-matchday", 120), ("marathon-plan", 90),
    ("phone-cameras", 60), ("celebrity-week", 45), ("back-four", 90), ("trail-shoes", 120),
    ("lisbon-48h", 60), ("celebrity-week", 30),
]
print("2. A morning of reading on the simulated clock (\(utcTime(s.now))):")
for (id, seconds) in reading {
    model.advanceClock(seconds: 6 * 60)
    s = must(model.openArticle(id, dwellSeconds: seconds), "reading")
    print("   \(pad(SampleContent.article(id)?.title ?? id, 44)) \(seconds) s")
}
s = must(model.search("best running shoes for a marathon"), "searching")
print("   search \u{201C}best running shoes for a marathon\u{201D}: \(s.notice ?? "") The text itself is not kept.")
print("   \(s.status.eventsRecorded) events in the profile, \(s.status.topics) topics, encrypted state \(s.status.stateBytes) bytes.\n")

// 3. The feed ---------------------------------------------------------------
model.advanceClock(seconds: 10 * 60)
s = must(model.refreshFeed(), "ranking the feed")
print("3. \u{201C}For you\u{201D}: the app's \(s.feed.items.count) articles ranked on the phone (\(s.feed.personalised ? "personalised" : "app order")):")
for (i, item) in s.feed.items.prefix(6).enumerated() {
    print("   \(String(format: "%2d", i + 1)). \(pad(item.title, 44)) — \(item.reason)")
    if i + 1 == s.feed.adPosition {
        if let ad = s.feed.ad {
            printAd(ad, indent: "       ")
        } else {
            print("       [no ad: \(s.feed.noAdReason ?? "")]")
        }
    }
}
guard let firstAd = s.feed.ad else {
    print("   ERROR: the feed has no ad (\(s.feed.noAdReason ?? "?"))")
    exit(1)
}
must(model.adDidAppear(token: firstAd.token), "recording the impression")
print("   The ad is on screen: its impression is recorded, on the phone.\n")

// 4. Interests --------------------------------------------------------------
s = model.state
print("4. \u{201C}Your interests\u{201D} (top 6 of \(s.interests.interests.count)), each with its reason:")
for i in s.interests.interests.prefix(6) {
    print("   \(pad(i.label, 26)) \(bar(i.share)) \(String(format: "%6.2f", i.weight))  \(i.reason)")
}
if let gossip = s.interests.interests.first(where: { $0.label == "Pop Culture" }) {
    s = must(model.removeInterest(gossip.id), "removing an interest")
    print("   Sam taps remove on Pop Culture. \(s.notice ?? "")")
    model.advanceClock(seconds: 60)
    s = must(model.openArticle("celebrity-week", dwellSeconds: 30), "reading")
    let back = s.interests.interests.contains { $0.path.hasPrefix("Pop Culture") }
    print("   Next gossip article: \(s.notice ?? "") Pop Culture in the profile: \(back).")
    print("   Hidden topics: \(s.interests.hiddenTopics.map(\.label).joined(separator: ", ")).")
}
print()

// 5. Hide an advertiser, ad history -----------------------------------------
let hidden = firstAd.advertiserName
s = must(model.react(token: firstAd.token, .hide), "hiding")
print("5. Sam opens \u{201C}Why this ad?\u{201D} and taps \u{201C}Hide ads from \(hidden)\u{201D}. \(s.notice ?? "")")
print("   The feed's ad slot over the next hour:")
var appeared = false
for _ in 0 ..< 5 {
    model.advanceClock(seconds: 11 * 60)
    s = must(model.refreshFeed(), "refreshing the feed")
    if let ad = s.feed.ad {
        appeared = appeared || ad.advertiserId == firstAd.advertiserId
        print("   \(utcTime(s.now)): [Ad by \(ad.advertiserName)] \u{201C}\(ad.title)\u{201D} (\(ad.why.basis.rawValue))")
        must(model.adDidAppear(token: ad.token), "recording the impression")
    } else {
        print("   \(utcTime(s.now)): no ad (\(s.feed.noAdReason ?? ""))")
    }
}
if appeared {
    print("   BUG: \(hidden) appeared after being hidden")
    exit(1)
}
s = model.state
print("   \(hidden) no longer appears (hidden advertisers: \(s.history.hiddenAdvertisers.map(\.name).joined(separator: ", "))).")
print("   \u{201C}Ads you've seen\u{201D}: \(s.history.entries.count) in the last 30 days, newest first:")
for h in s.history.entries.prefix(3) {
    let reactions = h.reactions.isEmpty ? "" : " [\(h.reactions.map(\.rawValue).joined(separator: ", "))]"
    print("   \(utcTime(h.shownAt))  \(h.advertiserName): \u{201C}\(h.title)\u{201D}\(reactions)")
}
if let newest = s.history.entries.first {
    s = must(model.react(token: newest.id, .like), "liking")
    let reactions = s.history.entries.first?.reactions.map(\.rawValue).joined(separator: ", ") ?? ""
    print("   Sam likes the newest one: \(s.notice ?? "") Its reactions: \(reactions).")
}
print()

// 6. Privacy dashboard, the next day ----------------------------------------
s = must(model.passDay(), "passing a day")
print("6. The next morning (\(utcTime(s.now))) the day's report has closed. The privacy dashboard:")
print("   pending reports: \(s.privacy.pending.count)")
for r in s.privacy.pending {
    print("   period \(r.period) — the exact bytes to upload (\(r.bytes) bytes):")
    print("   \(r.payload)")
}
if let audit = s.privacy.audit {
    print("   auditor: \(audit.payloads) payload(s) checked on the phone (the same code as `hearth audit`)")
    print("   auditor: \(audit.summary)")
    for v in audit.violations {
        print("   auditor: \(v)")
    }
}
if let b = s.privacy.budget {
    for m in b.metrics {
        let f = { (x: Double) in String(format: "%.1f", x) }
        print("   privacy budget, \(m.metric): spent \(f(m.spent)) of \(f(b.weeklyCap)) over the last 7 days (ε = \(f(b.epsilonPerDay)) per day), \(f(m.remaining)) left")
    }
}
let pendingPayloads = s.privacy.pending.map(\.payload)
s = must(model.uploadPendingReports(), "uploading")
print("   Upload: \(s.notice ?? "") → \(s.privacy.uploadDestination)")
print("   pending \(s.privacy.pending.count), sent \(s.privacy.sent.count); the log holds \(s.privacy.uploadLog.count) line(s), byte-identical to the payloads: \(s.privacy.uploadLog == pendingPayloads)")
print()

// 7. Consent off ------------------------------------------------------------
s = must(model.setConsent(.off), "turning consent off")
print("7. Sam turns Hearth off in settings: \(ConsentChoice.off.explanation)")
print("   interests \(s.interests.interests.count), traits \(s.interests.traits.count), ad history \(s.history.entries.count); feed ad: \(s.feed.ad.map { $0.title } ?? s.feed.noAdReason ?? "none")")
print("   The feed falls back to the app's order: \(s.feed.items.prefix(3).map(\.title).joined(separator: " · ")) …")
print()

// 8. Reset ------------------------------------------------------------------
s = must(model.reset(), "resetting")
print("8. reset(): \(s.notice ?? "") consent back to \(s.consent.title); the public catalog stays (v\(s.catalog?.version ?? 0)); the budget ledger stays.")
must(model.close(), "closing")
print("\nDone: everything above ran on the phone; the only bytes that left it are the payload(s) in step 6, now in \(uploader.fileURL.lastPathComponent).")
if !keepDir {
    try? FileManager.default.removeItem(at: workDir)
}
