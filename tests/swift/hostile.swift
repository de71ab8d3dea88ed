// Hostile arguments from Swift (issue #9 item 4, "FFI safety"): huge, empty
// and duplicate ids, NaN and infinite numbers, negative counts, timestamps at
// the ends of Int64, garbage catalog bytes, repaired invalid UTF-8, calls after
// close() and an engine closed while other threads use it. Each case asserts
// the exact HearthError case (and the argument it names) or the documented
// outcome; a Rust panic would surface as a non-HearthError (rustPanic) and
// fail the case, a crash would end the run before its summary line.
//
// Declarations only: top-level code belongs in main.swift, which calls
// hostileTests(_:) with its harness and fixtures (see HostileHarness). The Rust
// side of the same cases is bindings/tests/ffi.rs (hostile_*), the Kotlin side
// tests/kotlin/HostileTest.kt.

import Foundation

#if canImport(Hearth)
    import Hearth
#endif

let tenMB = 10 * 1024 * 1024

struct HostileFailure: Error, CustomStringConvertible {
    let description: String
}

func verify(_ cond: Bool, _ msg: @autoclosure () -> String = "check failed", line: Int = #line) throws {
    if !cond { throw HostileFailure(description: "line \(line): \(msg())") }
}

func verifyEq<T: Equatable>(_ expected: T, _ actual: T, _ what: String = "value", line: Int = #line) throws {
    if expected != actual {
        throw HostileFailure(description: "line \(line): \(what): expected <\(expected)>, got <\(actual)>")
    }
}

/// Runs `body`, which must throw a HearthError; returns it.
func caught(line: Int = #line, _ body: () throws -> Void) throws -> HearthError {
    do {
        try body()
    } catch let e as HearthError {
        return e
    }
    throw HostileFailure(description: "line \(line): expected a HearthError, nothing was thrown")
}

func hostileKey() -> Data { Data((0 ..< 32).map { _ in UInt8.random(in: 0 ... 255) }) }

/// Opens an engine, runs `body`, always closes it.
func withHostileEngine(_ cfg: EngineConfig, _ body: (Engine) throws -> Void) throws {
    let e = try Engine.open(config: cfg)
    defer { try? e.close() }
    try body(e)
}

/// A runner who follows soccer (main.swift's trainRunner).
func hostileTrain(_ e: Engine) throws {
    for _ in 0 ..< 5 {
        _ = try e.record(event: .contentView(topics: ["227", "225"], dwellMs: 60000))
        _ = try e.record(event: .contentView(topics: ["533"]))
    }
}

/// Counts and failures, from many threads.
final class Tally: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    private var errors: [String] = []
    func add() { lock.lock(); n += 1; lock.unlock() }
    func fail(_ e: Error) { lock.lock(); errors.append("\(e)"); lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return n }
    var failures: [String] { lock.lock(); defer { lock.unlock() }; return errors }
}

/// One 10 MB string (a topic id, a placement id, a token, …).
let huge = String(repeating: "7", count: tenMB)

func expectInvalidArgument(_ name: String, line: Int = #line, _ body: () throws -> Void) throws {
    let e = try caught(line: line, body)
    guard case let .InvalidArgument(n, _) = e, n == name else {
        throw HostileFailure(description: "line \(line): expected InvalidArgument(\(name)), got \(e)")
    }
}

func expectInvalidConfig(_ field: String, line: Int = #line, _ body: () throws -> Void) throws {
    let e = try caught(line: line, body)
    guard case let .InvalidConfig(f, _) = e, f == field else {
        throw HostileFailure(description: "line \(line): expected InvalidConfig(\(field)), got \(e)")
    }
}

/// Expects UnknownTopic; the echoed id is truncated (80 bytes and an
/// ellipsis), never 10 MB. Returns it.
@discardableResult
func expectUnknownTopic(line: Int = #line, _ body: () throws -> Void) throws -> String {
    let e = try caught(line: line, body)
    guard case let .UnknownTopic(id) = e, id.utf8.count < 100 else {
        throw HostileFailure(description: "line \(line): expected a short UnknownTopic, got \(e)")
    }
    return id
}

/// Expects exactly `want`.
func expectError(_ want: HearthError, line: Int = #line, _ body: () throws -> Void) throws {
    let e = try caught(line: line, body)
    try verifyEq(want, e, "error", line: line)
}

/// Expects an error for which `match` holds.
func expectError(line: Int = #line, _ what: String, _ match: (HearthError) -> Bool,
                 _ body: () throws -> Void) throws {
    let e = try caught(line: line, body)
    if !match(e) { throw HostileFailure(description: "line \(line): expected \(what), got \(e)") }
}

func isIo(_ e: HearthError) -> Bool { if case .Io = e { return true }; return false }
func isMalformed(_ e: HearthError) -> Bool { if case .CatalogMalformed = e { return true }; return false }
func isExpired(_ e: HearthError) -> Bool { if case .CatalogExpired = e { return true }; return false }

func hostileView(_ topics: String...) -> Event { .contentView(topics: topics) }

/// A thread-safe box for a result computed on another thread.
final class Box<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Result<T, Error>?
    func set(_ r: Result<T, Error>) { lock.lock(); value = r; lock.unlock() }
    func get() -> Result<T, Error>? { lock.lock(); defer { lock.unlock() }; return value }
}

/// Runs an async call to completion from synchronous code (any thread).
func blocking<T>(_ f: @escaping @Sendable () async throws -> T) throws -> T {
    let box = Box<T>()
    let done = DispatchSemaphore(value: 0)
    Task.detached {
        do { box.set(.success(try await f())) } catch { box.set(.failure(error)) }
        done.signal()
    }
    done.wait()
    return try box.get()!.get()
}

/// A flag threads can read while another sets it.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var on = false
    func set() { lock.lock(); on = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return on }
}

/// Calls every Engine method once (the async ones too) and hands each outcome
/// to `verdict`: the method's name and what it threw (nil: it returned).
func everyCall(_ e: Engine, bundle: Data, request: AdRequest, _ verdict: (String, Error?) -> Void) {
    func call(_ name: String, _ body: () throws -> Void) {
        do {
            try body()
            verdict(name, nil)
        } catch {
            verdict(name, error)
        }
    }
    call("record") { _ = try e.record(event: hostileView("227")) }
    call("recordAt") { _ = try e.recordAt(event: hostileView("227"), atMs: 0) }
    call("recordBatch") { _ = try e.recordBatch(events: [TimedEvent(event: hostileView("533"))]) }
    call("interests") { _ = try e.interests() }
    call("removeInterest") { try e.removeInterest(topicId: "533") }
    call("allowInterest") { _ = try e.allowInterest(topicId: "533") }
    call("suppressedTopics") { _ = try e.suppressedTopics() }
    call("traits") { _ = try e.traits() }
    call("removeTrait") { try e.removeTrait(traitId: "spending_tier") }
    call("allowTrait") { _ = try e.allowTrait(traitId: "spending_tier") }
    call("consent") { _ = try e.consent() }
    call("setConsent") { try e.setConsent(consent: .personalised) }
    call("export") { _ = try e.export() }
    call("installCatalog") { _ = try e.installCatalog(bundle: bundle) }
    call("installCatalogAsync") { _ = try blocking { try await e.installCatalogAsync(bundle: bundle) } }
    call("catalog") { _ = try e.catalog() }
    call("selectAds") {
        for c in try e.selectAds(request: request).choices {
            _ = try e.recordAdEvent(token: c.token, kind: .impression)
        }
    }
    call("recordAdEvent(forged)") {
        _ = try e.recordAdEvent(token: "t1-" + String(repeating: "0", count: 40), kind: .click)
    }
    call("recordConversionUrl") { _ = try e.recordConversionUrl(url: "https://example.invalid/") }
    call("adHistory") { _ = try e.adHistory() }
    call("hiddenAdvertisers") { _ = try e.hiddenAdvertisers() }
    call("unhideAdvertiser") { _ = try e.unhideAdvertiser(advertiserId: "a") }
    call("rankItems") { _ = try e.rankItems(items: [ContentItem(id: "a", topics: ["227"])]) }
    call("pendingReports") { _ = try e.pendingReports() }
    call("pendingReportsAsync") { _ = try blocking { try await e.pendingReportsAsync() } }
    call("acknowledge") { _ = try e.acknowledge(handle: 1) }
    call("sentReports") { _ = try e.sentReports() }
    call("privacyBudget") { _ = try e.privacyBudget() }
    call("status") { _ = try e.status() }
    call("flush") { try e.flush() }
    call("reset") { try e.reset() }
}

/// The outcome an open engine gives `everyCall`: every call returns, except the
/// forged token (InvalidAdToken) and, when `expired` says so, a catalog install
/// (CatalogExpired: no catalog is installed and the engine's clock is past the
/// bundle's expiry). With `racing`, other threads call too: a `reset()` may
/// forget an ad between its selection and its impression (AdTokenExpired).
func openOutcome(_ name: String, _ error: Error?, expired: Bool = false, racing: Bool = false) -> Bool {
    let e = error as? HearthError
    if name == "recordAdEvent(forged)" { return e == .InvalidAdToken }
    if expired && name.hasPrefix("installCatalog") { return e.map(isExpired) ?? false }
    if racing && name == "selectAds" { return error == nil || e == .AdTokenExpired }
    return error == nil
}

/// Deterministic noise (xorshift64).
func noise(_ n: Int, seed: UInt64) -> Data {
    var x = seed
    var d = Data(count: n)
    d.withUnsafeMutableBytes { (p: UnsafeMutableRawBufferPointer) in
        for i in 0 ..< n {
            x ^= x << 13
            x ^= x >> 7
            x ^= x << 17
            p[i] = UInt8(truncatingIfNeeded: x)
        }
    }
    return d
}

/// What these tests take from main.swift. No function declared in main.swift
/// can be called from another file (Swift 6.0.3 treats them as script-local
/// and asserts while lowering their captures: "captureInfo.hasBeenComputed()"),
/// so main.swift passes its harness and fixtures in, and the small helpers
/// below repeat main.swift's `check`, `checkEq`, `thrown`, `withEngine`, ….
struct HostileHarness {
    let test: @MainActor (String, () throws -> Void) -> Void
    let freshDir: @MainActor () -> String
    let sampleBundle: Data
    let publisherKey: Data
    let feedRequest: AdRequest
}

/// main.swift's `config`: a fresh directory and key, personalised consent,
/// the publisher key trusted, a fixed selection seed.
@MainActor func hostileConfig(_ h: HostileHarness, dir: String? = nil, key: Data = hostileKey(),
                              limits: EngineLimits = EngineLimits(), trusted: [Data]? = nil) -> EngineConfig {
    EngineConfig(storageDir: dir ?? h.freshDir(), key: key, trustedKeys: trusted ?? [h.publisherKey],
                 defaultConsent: .personalised, limits: limits, selectionSeed: 7)
}

@MainActor func hostileTests(_ h: HostileHarness) {
    let bundle = h.sampleBundle
    let request = h.feedRequest
    let publisherKey = h.publisherKey
    /// Opens (and drops) an engine with these limits.
    let openWithLimits = { (l: EngineLimits) throws in _ = try Engine.open(config: hostileConfig(h, limits: l)) }

    h.test("hostile: config — NaN/±inf/out-of-range limits, bad keys, unusable dirs") {
        for x in [Double.nan, .infinity, -.infinity, -0.5, 1.5] {
            try expectInvalidConfig("ads.exploration") { try openWithLimits(EngineLimits(exploration: x)) }
        }
        for x in [Double.nan, .infinity, -.infinity, 0.0, -1.0, 8.5] {
            try expectInvalidConfig("reports.epsilon_per_metric") {
                try openWithLimits(EngineLimits(reportEpsilonPerMetric: x))
            }
        }
        for x in [Double.nan, .infinity, -.infinity, -1.0] {
            try expectInvalidConfig("reports.weekly_cap_per_metric") {
                try openWithLimits(EngineLimits(reportWeeklyCapPerMetric: x))
            }
        }
        for x in [Int64(-1), .min] {
            try expectInvalidConfig("ads.min_gap_ms") { try openWithLimits(EngineLimits(minAdGapMs: x)) }
        }
        for x in [UInt32(0), 51, .max] {
            try expectInvalidConfig("ads.max_slots") { try openWithLimits(EngineLimits(maxSlots: x)) }
        }
        try expectInvalidConfig("flush_interval_ms") { try openWithLimits(EngineLimits(flushIntervalMs: .max)) }
        for n in [0, 31, 33, tenMB] {
            try expectInvalidArgument("key") { _ = try Engine.open(config: hostileConfig(h, key: Data(count: n))) }
        }
        try expectInvalidArgument("trusted_keys") {
            _ = try Engine.open(config: hostileConfig(h, trusted: [publisherKey, Data()]))
        }
        try expectInvalidArgument("trusted_keys") {
            _ = try Engine.open(config: hostileConfig(h, trusted: [Data(count: tenMB)]))
        }
        // Directories that cannot be one: the OS refuses them (Io).
        let file = h.freshDir() + "/a-file"
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        for dir in ["", huge, "nul\u{0}byte", file] {
            try expectError("Io", isIo) { _ = try Engine.open(config: hostileConfig(h, dir: dir)) }
        }
        // Extreme but valid limits open and work: no daily impressions allowed.
        let extreme = EngineLimits(flushIntervalMs: 0, maxCatalogBytes: .max, maxAdsPerHour: .max,
                                   maxAdsPerDay: 0, minAdGapMs: .max, dismissLimit: .max,
                                   exploration: -0.0)
        var cfg = hostileConfig(h, limits: extreme)
        cfg.selectionSeed = .max
        try withHostileEngine(cfg) { e in
            _ = try e.installCatalog(bundle: bundle)
            try verifyEq(.dailyLimit, try e.selectAds(request: request).noFill, "noFill")
        }
        // eraseStorage of paths holding no state: nothing to do; of a file: Io.
        try eraseStorage(storageDir: "")
        try eraseStorage(storageDir: huge)
        try expectError("Io", isIo) { try eraseStorage(storageDir: file) }
    }

    h.test("hostile: events — huge/empty/duplicate topics, bad numbers, Int64.min/max times") {
        try withHostileEngine(hostileConfig(h)) { e in
            try expectUnknownTopic { _ = try e.record(event: hostileView(huge)) }
            try verifyEq("", try expectUnknownTopic { _ = try e.record(event: hostileView("")) }, "empty id")
            try verifyEq(1, try e.recordDetailed(event: hostileView("227", "227")).topicsUpdated, "duplicates")
            try expectInvalidArgument("topics") {
                _ = try e.record(event: .contentView(topics: Array(repeating: "227", count: 33)))
            }
            try expectInvalidArgument("query") { _ = try e.record(event: .search(query: huge)) }
            for v in [Int64(-1), .min, .max] {
                try expectInvalidArgument("value_micros") {
                    _ = try e.record(event: .purchase(topics: ["227"], valueMicros: v))
                }
            }
            try expectInvalidArgument("name") { _ = try e.record(event: .custom(name: "")) }
            try expectInvalidArgument("name") { _ = try e.record(event: .custom(name: huge)) }
            try expectUnknownTopic { _ = try e.record(event: .feedback(topic: "", feedback: .hide)) }
            try expectUnknownTopic { _ = try e.record(event: .feedback(topic: huge, feedback: .like)) }
            try verifyEq(.tooOld, try e.recordDetailed(event: hostileView("227"), atMs: .min).status, "Int64.min")
            try verifyEq(.tooOld, try e.recordDetailed(event: hostileView("227"), atMs: -1).status, "before 1970")
            try verifyEq(.recorded, try e.recordDetailed(event: hostileView("227"), atMs: .max).status, "max = now")
            try verifyEq(.recorded,
                        try e.recordDetailed(event: .contentView(topics: ["227"], dwellMs: .max)).status, "dwell")
            // A batch stops at its first hostile event; the ones before it count.
            let before = try e.status().eventsRecorded
            try expectUnknownTopic {
                _ = try e.recordBatch(events: [TimedEvent(event: hostileView("533"), atMs: .max),
                                               TimedEvent(event: hostileView(huge))])
            }
            try verifyEq(before + 1, try e.status().eventsRecorded, "batch prefix")
            try verify(try e.interests().allSatisfy { $0.topicId.count < 8 }, "a hostile id was stored")
        }
    }

    h.test("hostile: invalid UTF-8 is repaired by Swift before the call; NUL is ordinary text") {
        // Swift strings are always valid Unicode: bytes that are not UTF-8
        // decode to U+FFFD, which reaches Rust as valid text.
        let repaired = String(decoding: [0x32, 0x32, 0xFF, 0xC3, 0x37], as: UTF8.self)
        try verifyEq("22\u{FFFD}\u{FFFD}7", repaired, "repaired")
        try withHostileEngine(hostileConfig(h)) { e in
            try verifyEq(repaired, try expectUnknownTopic { _ = try e.record(event: hostileView(repaired)) })
            try verifyEq("227\u{0}", try expectUnknownTopic { _ = try e.record(event: hostileView("227\u{0}")) })
            try expectError(.InvalidAdToken) { _ = try e.recordAdEvent(token: repaired, kind: .click) }
            try verifyEq(0, try e.status().eventsRecorded, "nothing recorded")
        }
    }

    h.test("hostile: profile controls with huge and empty ids") {
        try withHostileEngine(hostileConfig(h)) { e in
            try expectUnknownTopic { try e.removeInterest(topicId: huge) }
            try expectUnknownTopic { try e.removeInterest(topicId: "") }
            try expectUnknownTopic { _ = try e.allowInterest(topicId: huge) }
            try expectInvalidArgument("trait_id") { try e.removeTrait(traitId: huge) }
            try expectInvalidArgument("trait_id") { try e.removeTrait(traitId: "") }
            try verifyEq(false, try e.allowTrait(traitId: huge), "allowTrait(huge)")
            try verifyEq(false, try e.unhideAdvertiser(advertiserId: huge), "unhide(huge)")
            try verifyEq(false, try e.unhideAdvertiser(advertiserId: ""), "unhide(\"\")")
            try verifyEq([], try e.suppressedTopics(), "nothing suppressed")
        }
    }

    h.test("hostile: catalog bytes — empty, 10 MB random, every cut of a real bundle, junk") {
        try withHostileEngine(hostileConfig(h)) { e in
            try expectError(.CatalogTruncated(expected: 108, actual: 0)) { _ = try e.installCatalog(bundle: Data()) }
            try expectError("CatalogMalformed", isMalformed) {
                _ = try e.installCatalog(bundle: noise(tenMB, seed: 9))
            }
            // Every prefix of a real bundle is a truncated download.
            for cut in [1, 4, 5, 43, 44, 107, 108, bundle.count / 2, bundle.count - 1] {
                let err = try caught { _ = try e.installCatalog(bundle: Data(bundle.prefix(cut))) }
                guard case let .CatalogTruncated(_, actual) = err, actual == UInt64(cut) else {
                    throw HostileFailure(description: "cut \(cut): \(err)")
                }
            }
            try expectError("CatalogMalformed", isMalformed) {
                _ = try e.installCatalog(bundle: bundle + Data(count: 100))
            }
            var futureFormat = bundle
            futureFormat[4] = 0xFF
            futureFormat[5] = 0xFF
            try expectError(.CatalogUnsupportedFormat(found: 65535, supported: 1)) {
                _ = try e.installCatalog(bundle: futureFormat)
            }
            var hugeLength = bundle
            for i in 40 ... 43 { hugeLength[i] = 0xFF }
            try expectError(.CatalogTruncated(expected: 44 + 0xFFFF_FFFF + 64, actual: UInt64(bundle.count))) {
                _ = try e.installCatalog(bundle: hugeLength)
            }
            try verifyEq(nil, try e.catalog(), "nothing installed")
            try verifyEq(.installed(version: 1), try e.installCatalog(bundle: bundle), "the real one")
        }
    }

    h.test("hostile: ad requests — empty/huge ids, slots 0/UInt32.max, utc offsets Int32.min/max") {
        try withHostileEngine(hostileConfig(h)) { e in
            _ = try e.installCatalog(bundle: bundle)
            func with(_ f: (inout AdRequest) -> Void) -> AdRequest {
                var r = request
                f(&r)
                return r
            }
            try expectInvalidArgument("placement_id") { _ = try e.selectAds(request: with { $0.placementId = "" }) }
            try expectInvalidArgument("placement_id") { _ = try e.selectAds(request: with { $0.placementId = huge }) }
            for s in [UInt32(0), 11, .max] {
                try expectInvalidArgument("slots") { _ = try e.selectAds(request: with { $0.slots = s }) }
            }
            for m in [Int32(841), -841, .max, .min, .min + 1] {
                try expectInvalidArgument("context.utc_offset_minutes") {
                    _ = try e.selectAds(request: with { $0.context.utcOffsetMinutes = m })
                }
            }
            try expectInvalidArgument("context.text") { _ = try e.selectAds(request: with { $0.context.text = huge }) }
            try expectInvalidArgument("context.locale") { _ = try e.selectAds(request: with { $0.context.locale = "" }) }
            try expectInvalidArgument("context.country") {
                _ = try e.selectAds(request: with { $0.context.country = huge })
            }
            try expectInvalidArgument("context.app_section") {
                _ = try e.selectAds(request: with { $0.context.appSection = "" })
            }
            try expectInvalidArgument("context.topics") {
                _ = try e.selectAds(request: with { $0.context.topics = Array(repeating: "483", count: 33) })
            }
            try expectUnknownTopic { _ = try e.selectAds(request: with { $0.context.topics = [""] }) }
            try expectUnknownTopic { _ = try e.selectAds(request: with { $0.context.topics = [huge] }) }
            // Duplicates are one topic; every kind twice is every kind.
            let dup = try e.selectAds(request: with {
                $0.context.topics = Array(repeating: "483", count: 32)
                $0.context.kinds = [.banner, .native, .notification, .interstitial, .banner]
            })
            try verify(!dup.choices.isEmpty || dup.noFill != nil, "no answer")
        }
    }

    h.test("hostile: ad tokens, conversion URLs, report handles") {
        try withHostileEngine(hostileConfig(h)) { e in
            for t in ["", huge, "t1-" + String(repeating: "é", count: 20), "t1-" + String(repeating: "g", count: 40),
                      "t1-" + String(repeating: "0", count: 40)] {
                try expectError(.InvalidAdToken) { _ = try e.recordAdEvent(token: t, kind: .click) }
            }
            try expectInvalidArgument("url") { _ = try e.recordConversionUrl(url: huge) }
            try verifyEq(false, try e.recordConversionUrl(url: ""), "empty URL")
            try verifyEq(false, try e.acknowledge(handle: .max), "acknowledge max")
            try verifyEq(false, try e.acknowledge(handle: 0), "acknowledge 0")
        }
    }

    h.test("hostile: rankItems — empty/duplicate/huge ids, NaN/inf embeddings and diversity") {
        try withHostileEngine(hostileConfig(h)) { e in
            try hostileTrain(e)
            let a = ContentItem(id: "a", topics: ["227"])
            func rank(_ items: [ContentItem], _ o: RankOptions = RankOptions()) throws -> [RankedItem] {
                try e.rankItems(items: items, options: o)
            }
            func with(_ id: String, _ f: (inout ContentItem) -> Void) -> ContentItem {
                var i = a
                i.id = id
                f(&i)
                return i
            }
            try expectInvalidArgument("id") { _ = try rank([ContentItem(id: "")]) }
            try expectInvalidArgument("id") { _ = try rank([ContentItem(id: huge)]) }
            try expectInvalidArgument("id") { _ = try rank([a, ContentItem(id: "a")]) }
            try expectUnknownTopic { _ = try rank([ContentItem(id: "a", topics: [""])]) }
            try expectUnknownTopic { _ = try rank([ContentItem(id: "a", topics: [huge])]) }
            try verifyEq(1, try rank([ContentItem(id: "a", topics: ["227", "227"])]).count, "duplicate topics")
            for x in [Float.nan, .infinity, -.infinity] {
                try expectInvalidArgument("embedding") { _ = try rank([with("a") { $0.embedding = [0.5, x] }]) }
            }
            try expectInvalidArgument("embedding") {
                _ = try rank([with("a") { $0.embedding = Array(repeating: 0, count: 257) }])
            }
            for d in [Double.nan, .infinity, -.infinity, -0.1, 1.1] {
                try expectInvalidArgument("diversity") { _ = try rank([a], RankOptions(diversity: d)) }
            }
            for h in [Int64(0), -1, .min] {
                try expectInvalidArgument("freshness_half_life_ms") {
                    _ = try rank([a], RankOptions(freshnessHalfLifeMs: h))
                }
            }
            try expectInvalidArgument("items") { _ = try rank((0 ... 10000).map { ContentItem(id: "i\($0)") }) }
            // Extreme but valid: times at the ends of Int64, huge finite, zero
            // and mismatched embeddings, full diversity, limit UInt32.max.
            let ranked = try rank([
                with("old") { $0.publishedAtMs = .min },
                with("new") { $0.publishedAtMs = .max },
                with("max") { $0.embedding = Array(repeating: .greatestFiniteMagnitude, count: 256) },
                with("mixed") { $0.embedding = [-.greatestFiniteMagnitude, .greatestFiniteMagnitude] },
                with("zero") { $0.embedding = [0, -0.0] },
                with("three") { $0.embedding = [1, 1, 1] },
            ], RankOptions(limit: .max, diversity: 1, freshnessHalfLifeMs: .max))
            try verifyEq(6, ranked.count, "ranked")
            try verify(ranked.allSatisfy { $0.score.isFinite && (0 ... 1.5).contains($0.score) }, "\(ranked)")
        }
    }

    h.test("hostile: auditPayloads — NaN/inf/negative maxEpsilon, 10 MB and nested garbage") {
        for m in [Double.nan, .infinity, -.infinity, -1] {
            try expectInvalidArgument("max_epsilon") { _ = try auditPayloads(payloads: [], maxEpsilon: m) }
        }
        let v = try auditPayloads(payloads: [huge, "", String(repeating: "[", count: 100_000), "{\"a\":1,\"a\":1}"],
                                  maxEpsilon: 1)
        try verifyEq(false, v.passed, "passed")
        try verifyEq(3, v.payloads, "blank entries are not payloads")
        try verifyEq([1, 3, 4], Array(Set(v.violations.map(\.index))).sorted(), "indices")
        try verify(v.summary.hasPrefix("verdict: FAIL"), v.summary)
        try verifyEq(true, try auditPayloads(payloads: ["", " ", "\n"]).passed, "only blanks")
    }

    h.test("hostile: ManualClock at Int64.min/max — every call works, time never runs back") {
        for start in [Int64.min, -1, .max] {
            let clock = ManualClock(nowMs: start)
            let e = try Engine.openWithClock(config: hostileConfig(h), clock: clock)
            defer { try? e.close() }
            // Int64.min and -1 count as 1970: the catalog installs. Int64.max
            // counts as 9999-12-31: it has expired, and never gets installed.
            let expired = start == .max
            var bad: [String] = []
            everyCall(e, bundle: bundle, request: request) { n, err in
                if !openOutcome(n, err, expired: expired) { bad.append("start \(start), \(n): \(String(describing: err))") }
            }
            for to in [Int64.max, .min, Int64(Date().timeIntervalSince1970 * 1000)] {
                // Once the engine has seen 9999 it stays there (its time never
                // runs back); an installed catalog stays installed.
                clock.set(nowMs: to)
                everyCall(e, bundle: bundle, request: request) { n, err in
                    if !openOutcome(n, err, expired: expired) { bad.append("\(start) → \(to), \(n): \(String(describing: err))") }
                }
            }
            try verifyEq([], bad, "outcomes")
            clock.advance(deltaMs: .max)
            clock.advance(deltaMs: .min)
            clock.advance(deltaMs: .min)
            try verifyEq(.min, clock.nowMs(), "advance saturates")
            let reports = try e.sentReports()
            try verify(reports.allSatisfy { $0.period.count == 10 }, "\(reports.map(\.period))")
            let verdict = try auditPayloads(payloads: reports.map(\.payload))
            try verify(verdict.passed, "\(verdict)")
        }
    }

    h.test("hostile: every call after close() throws Closed; close twice") {
        let dir = h.freshDir()
        let key = hostileKey()
        let e = try Engine.open(config: hostileConfig(h, dir: dir, key: key))
        _ = try e.installCatalog(bundle: bundle)
        try hostileTrain(e)
        try e.close()
        try e.close()
        var calls = 0
        var bad: [String] = []
        everyCall(e, bundle: bundle, request: request) { n, err in
            calls += 1
            if (err as? HearthError) != .Closed { bad.append("\(n): \(String(describing: err))") }
        }
        try verifyEq([], bad, "after close")
        try verifyEq(31, calls, "calls checked")
        try withHostileEngine(hostileConfig(h, dir: dir, key: key)) { e2 in try verify(!(try e2.interests()).isEmpty, "profile") }
    }

    h.test("hostile: threads call everything while another closes the engine") {
        let e = try Engine.open(config: hostileConfig(h, limits: EngineLimits(minAdGapMs: 0)))
        _ = try e.installCatalog(bundle: bundle)
        let closedSeen = Tally()
        let stop = Flag()
        let group = DispatchGroup()
        let started = DispatchSemaphore(value: 0)
        for _ in 0 ..< 6 {
            DispatchQueue.global().async(group: group) {
                started.signal()
                // Rounds until one that starts after close() returned.
                var last = false
                repeat {
                    last = stop.isSet
                    everyCall(e, bundle: bundle, request: request) { n, err in
                        if (err as? HearthError) == .Closed {
                            closedSeen.add()
                        } else if !openOutcome(n, err, racing: true) {
                            closedSeen.fail(HostileFailure(description: "\(n): \(String(describing: err))"))
                        }
                    }
                } while !last
            }
        }
        for _ in 0 ..< 6 { started.wait() }
        Thread.sleep(forTimeInterval: 0.1)
        try e.close()
        stop.set()
        try verify(group.wait(timeout: .now() + 30) == .success, "a worker hangs")
        try verifyEq([], closedSeen.failures, "unexpected outcomes")
        try verify(closedSeen.value >= 6 * 30, "Closed seen \(closedSeen.value) times")
    }
}

extension Engine {
    /// The detailed outcome of one event: `record` and `recordAt` return only
    /// whether it was applied; `recordBatch` gives the `RecordOutcome`.
    /// (Declared here, not in main.swift: Swift 6.0.3 crashes when another file
    /// calls a function declared in main.swift.)
    func recordDetailed(event: Event, atMs: Int64? = nil) throws -> RecordOutcome {
        let out = try recordBatch(events: [TimedEvent(event: event, atMs: atMs)])
        guard let first = out.first, out.count == 1 else {
            throw HostileFailure(description: "recordBatch of one returned \(out.count) outcomes")
        }
        return first
    }
}
