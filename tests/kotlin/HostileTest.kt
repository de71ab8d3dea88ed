// Hostile arguments from Kotlin (issue #9 item 4, "FFI safety"): huge, empty
// and duplicate ids, NaN and infinite numbers, negative counts, timestamps at
// the ends of Long, garbage catalog bytes, lone surrogates, calls after
// shutdown()/close() and an engine closed while other threads use it. Each
// case asserts the exact HearthException subtype (and the argument it names)
// or the documented outcome; a Rust panic would surface as InternalException
// and fail the case, a crash would end the run before its summary line.
//
// Runs in HearthTest.kt's harness (main() calls hostileTests()) and reuses its
// helpers and fixtures. The Rust side of the same cases is
// bindings/tests/ffi.rs (hostile_*).

import java.io.File
import java.nio.charset.CharacterCodingException
import java.util.Random
import java.util.concurrent.ConcurrentLinkedQueue
import java.util.concurrent.CountDownLatch
import java.util.concurrent.atomic.AtomicBoolean
import java.util.concurrent.atomic.AtomicInteger
import kotlinx.coroutines.runBlocking
import org.hearth.sdk.*

const val TEN_MB = 10 * 1024 * 1024

/// One 10 MB string, built once (a topic id, a placement id, a token, …).
val huge: String by lazy { "7".repeat(TEN_MB) }

fun expectInvalidArgument(name: String, body: () -> Unit) {
    val e = expectThrows<HearthException.InvalidArgument>(body)
    checkEq(name, e.name, "InvalidArgument.name")
}

fun expectInvalidConfig(field: String, body: () -> Unit) {
    val e = expectThrows<HearthException.InvalidConfig>(body)
    checkEq(field, e.field, "InvalidConfig.field")
}

fun expectUnknownTopic(body: () -> Unit): String {
    val e = expectThrows<HearthException.UnknownTopic>(body)
    // Echoed ids are truncated (80 bytes and an ellipsis), never 10 MB.
    check(e.topicId.length < 100) { "topicId echoed at ${e.topicId.length} chars" }
    return e.topicId
}

/// A view with these topic ids.
fun view(vararg topics: String) = Event.ContentView(topics = topics.toList())

/// Calls every Engine method once (the suspend ones too) and hands each outcome
/// to `verdict`: the method's name and what it threw (null: it returned).
fun Engine.everyCall(verdict: (String, Throwable?) -> Unit) {
    fun call(name: String, body: () -> Unit) {
        val thrown = try {
            body()
            null
        } catch (t: Throwable) {
            t
        }
        verdict(name, thrown)
    }
    call("record") { record(view("227")) }
    call("recordAt") { recordAt(view("227"), atMs = 0L) }
    call("recordBatch") { recordBatch(listOf(TimedEvent(view("533")))) }
    call("interests") { interests() }
    call("removeInterest") { removeInterest("533") }
    call("allowInterest") { allowInterest("533") }
    call("suppressedTopics") { suppressedTopics() }
    call("traits") { traits() }
    call("removeTrait") { removeTrait("spending_tier") }
    call("allowTrait") { allowTrait("spending_tier") }
    call("consent") { consent() }
    call("setConsent") { setConsent(Consent.PERSONALISED) }
    call("export") { export() }
    call("installCatalog") { installCatalog(sampleBundle) }
    call("installCatalogAsync") { runBlocking { installCatalogAsync(sampleBundle) } }
    call("catalog") { catalog() }
    call("selectAds") {
        for (c in selectAds(feedRequest).choices) recordAdEvent(c.token, AdEventKind.IMPRESSION)
    }
    call("recordAdEvent(forged)") { recordAdEvent("t1-" + "0".repeat(40), AdEventKind.CLICK) }
    call("recordConversionUrl") { recordConversionUrl("https://example.invalid/") }
    call("adHistory") { adHistory() }
    call("hiddenAdvertisers") { hiddenAdvertisers() }
    call("unhideAdvertiser") { unhideAdvertiser("a") }
    call("rankItems") { rankItems(listOf(ContentItem("a", listOf("227")))) }
    call("pendingReports") { pendingReports() }
    call("pendingReportsAsync") { runBlocking { pendingReportsAsync() } }
    call("acknowledge") { acknowledge(1uL) }
    call("sentReports") { sentReports() }
    call("privacyBudget") { privacyBudget() }
    call("status") { status() }
    call("flush") { flush() }
    call("reset") { reset() }
}

/// The outcome an open engine gives `everyCall`: every call returns, except the
/// forged token (InvalidAdToken) and, when `expired` says so, a catalog install
/// (CatalogExpired: no catalog is installed and the engine's clock is past the
/// bundle's expiry). With `racing`, other threads call too: a `reset()` may
/// forget an ad between its selection and its impression (AdTokenExpired).
fun openOutcome(name: String, t: Throwable?, expired: Boolean = false, racing: Boolean = false): Boolean = when {
    name == "recordAdEvent(forged)" -> t is HearthException.InvalidAdToken
    expired && name.startsWith("installCatalog") -> t is HearthException.CatalogExpired
    racing && name == "selectAds" -> t == null || t is HearthException.AdTokenExpired
    else -> t == null
}

fun hostileTests() {
    Harness.test("hostile: config — NaN/±inf/out-of-range limits, bad keys, unusable dirs") {
        fun limits(l: EngineLimits) = config(limits = l)
        for (x in listOf(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.5, 1.5)) {
            expectInvalidConfig("ads.exploration") { Engine.open(limits(EngineLimits(exploration = x))) }
        }
        for (x in listOf(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0.0, -1.0, 8.5)) {
            expectInvalidConfig("reports.epsilon_per_metric") {
                Engine.open(limits(EngineLimits(reportEpsilonPerMetric = x)))
            }
        }
        for (x in listOf(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -1.0)) {
            expectInvalidConfig("reports.weekly_cap_per_metric") {
                Engine.open(limits(EngineLimits(reportWeeklyCapPerMetric = x)))
            }
        }
        for (x in listOf(-1L, Long.MIN_VALUE)) {
            expectInvalidConfig("ads.min_gap_ms") { Engine.open(limits(EngineLimits(minAdGapMs = x))) }
        }
        for (x in listOf(0u, 51u, UInt.MAX_VALUE)) {
            expectInvalidConfig("ads.max_slots") { Engine.open(limits(EngineLimits(maxSlots = x))) }
        }
        expectInvalidConfig("flush_interval_ms") {
            Engine.open(limits(EngineLimits(flushIntervalMs = ULong.MAX_VALUE)))
        }
        for (n in listOf(0, 31, 33, TEN_MB)) {
            expectInvalidArgument("key") { Engine.open(config(key = ByteArray(n))) }
        }
        expectInvalidArgument("trusted_keys") {
            Engine.open(config(trusted = listOf(publisherKey, ByteArray(0))))
        }
        expectInvalidArgument("trusted_keys") { Engine.open(config(trusted = listOf(ByteArray(TEN_MB)))) }
        // Directories that cannot be one: the OS refuses them (Io), nothing is created.
        val file = File(freshDir(), "a-file").also { it.writeText("x") }
        for (dir in listOf("", huge, "nul\u0000byte", file.path)) {
            expectThrows<HearthException.Io> {
                Engine.open(config().copy(storageDir = dir))
            }
        }
        // Extreme but valid limits open and work: no daily impressions allowed.
        val extreme = EngineLimits(
            maxAdsPerHour = UInt.MAX_VALUE,
            maxAdsPerDay = 0u,
            minAdGapMs = Long.MAX_VALUE,
            dismissLimit = UInt.MAX_VALUE,
            maxCatalogBytes = ULong.MAX_VALUE,
            flushIntervalMs = 0uL,
            exploration = -0.0,
        )
        Engine.open(config(limits = extreme).copy(selectionSeed = ULong.MAX_VALUE)).use { e ->
            e.installCatalog(sampleBundle)
            checkEq<NoFill?>(NoFill.DailyLimit, e.selectAds(feedRequest).noFill, "noFill")
        }
        // eraseStorage of paths holding no state: nothing to do; of a file: Io.
        eraseStorage("")
        eraseStorage(huge)
        expectThrows<HearthException.Io> { eraseStorage(file.path) }
    }

    Harness.test("hostile: events — huge/empty/duplicate topics, bad numbers, Long.MIN/MAX times") {
        Engine.open(config()).use { e ->
            expectUnknownTopic { e.record(view(huge)) }
            checkEq("", expectUnknownTopic { e.record(view("")) }, "empty topic id")
            checkEq(1u, e.recordDetailed(view("227", "227")).topicsUpdated, "duplicate topics count once")
            expectInvalidArgument("topics") { e.record(view(*Array(33) { "227" })) }
            expectInvalidArgument("query") { e.record(Event.Search(huge)) }
            for (v in listOf(-1L, Long.MIN_VALUE, Long.MAX_VALUE)) {
                expectInvalidArgument("value_micros") { e.record(Event.Purchase(listOf("227"), v)) }
            }
            expectInvalidArgument("name") { e.record(Event.Custom("")) }
            expectInvalidArgument("name") { e.record(Event.Custom(huge)) }
            expectUnknownTopic { e.record(Event.Feedback("", TopicFeedback.HIDE)) }
            expectUnknownTopic { e.record(Event.Feedback(huge, TopicFeedback.LIKE)) }
            checkEq(RecordStatus.TOO_OLD, e.recordDetailed(view("227"), atMs = Long.MIN_VALUE).status, "Long.MIN")
            checkEq(RecordStatus.TOO_OLD, e.recordDetailed(view("227"), atMs = -1L).status, "before 1970")
            checkEq(RecordStatus.RECORDED, e.recordDetailed(view("227"), atMs = Long.MAX_VALUE).status, "Long.MAX = now")
            checkEq(
                RecordStatus.RECORDED,
                e.recordDetailed(Event.ContentView(listOf("227"), dwellMs = ULong.MAX_VALUE)).status,
                "dwell ULong.MAX",
            )
            // A batch stops at its first hostile event; the ones before it count.
            val before = e.status().eventsRecorded
            expectUnknownTopic {
                e.recordBatch(listOf(TimedEvent(view("533"), Long.MAX_VALUE), TimedEvent(view(huge))))
            }
            checkEq(before + 1uL, e.status().eventsRecorded, "batch prefix")
            check(e.interests().all { it.topicId.length < 8 }) { "a hostile id was stored" }
        }
    }

    Harness.test("hostile: profile controls with huge and empty ids") {
        Engine.open(config()).use { e ->
            expectUnknownTopic { e.removeInterest(huge) }
            expectUnknownTopic { e.removeInterest("") }
            expectUnknownTopic { e.allowInterest(huge) }
            expectInvalidArgument("trait_id") { e.removeTrait(huge) }
            expectInvalidArgument("trait_id") { e.removeTrait("") }
            checkEq(false, e.allowTrait(huge), "allowTrait(huge)")
            checkEq(false, e.unhideAdvertiser(huge), "unhideAdvertiser(huge)")
            checkEq(false, e.unhideAdvertiser(""), "unhideAdvertiser(\"\")")
            checkEq(emptyList<String>(), e.suppressedTopics(), "nothing suppressed")
            check(e.export().length < 100_000) { "export grew" }
        }
    }

    Harness.test("hostile: catalog bytes — empty, 10 MB random, every cut of a real bundle, junk") {
        Engine.open(config()).use { e ->
            checkEq(0uL, expectThrows<HearthException.CatalogTruncated> { e.installCatalog(ByteArray(0)) }.actual)
            val noise = ByteArray(TEN_MB).also { Random(9).nextBytes(it) }
            expectThrows<HearthException.CatalogMalformed> { e.installCatalog(noise) }
            // Every prefix of a real bundle is a truncated download.
            for (cut in listOf(1, 4, 5, 43, 44, 107, 108, sampleBundle.size / 2, sampleBundle.size - 1)) {
                val t = expectThrows<HearthException.CatalogTruncated> {
                    e.installCatalog(sampleBundle.copyOf(cut))
                }
                checkEq(cut.toULong(), t.actual, "actual at cut $cut")
            }
            expectThrows<HearthException.CatalogMalformed> { e.installCatalog(sampleBundle + ByteArray(100)) }
            // Header fields at their extremes.
            val futureFormat = sampleBundle.copyOf().also { it[4] = -1; it[5] = -1 }
            checkEq(
                65535.toUShort(),
                expectThrows<HearthException.CatalogUnsupportedFormat> { e.installCatalog(futureFormat) }.found,
            )
            val hugeLength = sampleBundle.copyOf().also { for (i in 40..43) it[i] = -1 }
            expectThrows<HearthException.CatalogTruncated> { e.installCatalog(hugeLength) }
            checkEq(null, e.catalog(), "nothing installed")
            checkEq(InstallOutcome.Installed(1uL), e.installCatalog(sampleBundle), "the real one")
        }
    }

    Harness.test("hostile: ad requests — empty/huge ids, slots 0/UInt.MAX, utc offsets Int.MIN/MAX") {
        Engine.open(config()).use { e ->
            e.installCatalog(sampleBundle)
            expectInvalidArgument("placement_id") { e.selectAds(feedRequest.copy(placementId = "")) }
            expectInvalidArgument("placement_id") { e.selectAds(feedRequest.copy(placementId = huge)) }
            for (s in listOf(0u, 11u, UInt.MAX_VALUE)) {
                expectInvalidArgument("slots") { e.selectAds(feedRequest.copy(slots = s)) }
            }
            fun ctx(c: AdContext) = feedRequest.copy(context = c)
            for (m in listOf(841, -841, Int.MAX_VALUE, Int.MIN_VALUE, Int.MIN_VALUE + 1)) {
                expectInvalidArgument("context.utc_offset_minutes") {
                    e.selectAds(ctx(feedRequest.context.copy(utcOffsetMinutes = m)))
                }
            }
            expectInvalidArgument("context.text") { e.selectAds(ctx(AdContext(text = huge))) }
            expectInvalidArgument("context.locale") { e.selectAds(ctx(AdContext(locale = ""))) }
            expectInvalidArgument("context.country") { e.selectAds(ctx(AdContext(country = huge))) }
            expectInvalidArgument("context.app_section") { e.selectAds(ctx(AdContext(appSection = ""))) }
            expectInvalidArgument("context.topics") { e.selectAds(ctx(AdContext(topics = List(33) { "483" }))) }
            expectUnknownTopic { e.selectAds(ctx(AdContext(topics = listOf("")))) }
            expectUnknownTopic { e.selectAds(ctx(AdContext(topics = listOf(huge)))) }
            // Duplicates are one topic; every kind twice is every kind.
            val dup = e.selectAds(
                ctx(AdContext(topics = List(32) { "483" }, kinds = CreativeKind.values().toList() + CreativeKind.BANNER)),
            )
            check(dup.choices.isNotEmpty() || dup.noFill != null) { "no answer" }
        }
    }

    Harness.test("hostile: ad tokens, conversion URLs, report handles") {
        Engine.open(config()).use { e ->
            for (t in listOf("", huge, "t1-" + "é".repeat(20), "t1-" + "g".repeat(40), "t1-" + "0".repeat(40))) {
                expectThrows<HearthException.InvalidAdToken> { e.recordAdEvent(t, AdEventKind.CLICK) }
            }
            expectInvalidArgument("url") { e.recordConversionUrl(huge) }
            checkEq(false, e.recordConversionUrl(""), "empty URL")
            checkEq(false, e.acknowledge(ULong.MAX_VALUE), "acknowledge ULong.MAX")
            checkEq(false, e.acknowledge(0uL), "acknowledge 0")
        }
    }

    Harness.test("hostile: rankItems — empty/duplicate/huge ids, NaN/inf embeddings and diversity") {
        Engine.open(config()).use { e ->
            e.trainRunner()
            fun rank(items: List<ContentItem>, o: RankOptions = RankOptions()) = e.rankItems(items, o)
            val a = ContentItem("a", listOf("227"))
            expectInvalidArgument("id") { rank(listOf(ContentItem(""))) }
            expectInvalidArgument("id") { rank(listOf(ContentItem(huge))) }
            expectInvalidArgument("id") { rank(listOf(a, a.copy(topics = emptyList()))) }
            expectUnknownTopic { rank(listOf(ContentItem("a", listOf("")))) }
            expectUnknownTopic { rank(listOf(ContentItem("a", listOf(huge)))) }
            checkEq(1, rank(listOf(ContentItem("a", listOf("227", "227")))).size, "duplicate topics")
            for (x in listOf(Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY)) {
                expectInvalidArgument("embedding") { rank(listOf(a.copy(embedding = listOf(0.5f, x)))) }
            }
            expectInvalidArgument("embedding") { rank(listOf(a.copy(embedding = List(257) { 0f }))) }
            for (d in listOf(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.1, 1.1)) {
                expectInvalidArgument("diversity") { rank(listOf(a), RankOptions(diversity = d)) }
            }
            for (h in listOf(0L, -1L, Long.MIN_VALUE)) {
                expectInvalidArgument("freshness_half_life_ms") {
                    rank(listOf(a), RankOptions(freshnessHalfLifeMs = h))
                }
            }
            expectInvalidArgument("items") { rank(List(10_001) { ContentItem("i$it") }) }
            // Extreme but valid: times at the ends of Long, huge finite, zero
            // and mismatched embeddings, full diversity, limit UInt.MAX.
            val ranked = rank(
                listOf(
                    a.copy(id = "old", publishedAtMs = Long.MIN_VALUE),
                    a.copy(id = "new", publishedAtMs = Long.MAX_VALUE),
                    a.copy(id = "max", embedding = List(256) { Float.MAX_VALUE }),
                    a.copy(id = "mixed", embedding = listOf(-Float.MAX_VALUE, Float.MAX_VALUE)),
                    a.copy(id = "zero", embedding = listOf(0f, -0f)),
                    a.copy(id = "three", embedding = listOf(1f, 1f, 1f)),
                ),
                RankOptions(limit = UInt.MAX_VALUE, diversity = 1.0, freshnessHalfLifeMs = Long.MAX_VALUE),
            )
            checkEq(6, ranked.size, "ranked")
            check(ranked.all { it.score.isFinite() && it.score in 0.0..1.5 }) { ranked.toString() }
        }
    }

    Harness.test("hostile: auditPayloads — NaN/inf/negative maxEpsilon, 10 MB and nested garbage") {
        for (m in listOf(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -1.0)) {
            expectInvalidArgument("max_epsilon") { auditPayloads(emptyList(), m) }
        }
        val v = auditPayloads(listOf(huge, "", "[".repeat(100_000), "{\"a\":1,\"a\":1}"), 1.0)
        checkEq(false, v.passed, "passed")
        checkEq(3uL, v.payloads, "blank entries are not payloads")
        checkEq(listOf(1uL, 3uL, 4uL), v.violations.map { it.index }.distinct(), "indices")
        check(v.summary.startsWith("verdict: FAIL")) { v.summary }
        checkEq(true, auditPayloads(listOf("", " ", "\n"), null).passed, "only blanks")
    }

    Harness.test("hostile: lone surrogates are refused by the generated code, the engine keeps working") {
        // Kotlin strings may hold unpaired UTF-16 surrogates; uniffi's
        // FfiConverterString encodes with CodingErrorAction.REPORT, so the
        // call throws CharacterCodingException before reaching Rust.
        val dir = freshDir()
        val key = randomKey()
        val e = Engine.open(config(dir = dir, key = key))
        try {
            e.installCatalog(sampleBundle)
            expectThrows<CharacterCodingException> { e.record(view("227", "\uD800")) }
            expectThrows<CharacterCodingException> { e.record(Event.Search("running \uDC00 shoes")) }
            expectThrows<CharacterCodingException> { e.removeInterest("\uDBFF") }
            expectThrows<CharacterCodingException> { e.selectAds(feedRequest.copy(placementId = "feed\uD800")) }
            expectThrows<CharacterCodingException> { e.recordAdEvent("\uD800", AdEventKind.CLICK) }
            expectThrows<CharacterCodingException> { e.rankItems(listOf(ContentItem("\uDC00x"))) }
            expectThrows<CharacterCodingException> { auditPayloads(listOf("{\"\uD800\":1}")) }
            expectThrows<CharacterCodingException> { eraseStorage(dir.path + "/\uD800") }
            expectThrows<CharacterCodingException> {
                Engine.open(config().copy(storageDir = "\uD800"))
            }
            // A valid surrogate pair (an emoji) is ordinary text.
            expectUnknownTopic { e.record(view("\uD83D\uDE00")) }
            checkEq(RecordStatus.RECORDED, e.recordDetailed(view("227")).status, "engine still works")
            checkEq(1, e.status().eventsRecorded.toInt(), "nothing else recorded")
        } finally {
            // shutdown(), not only close(): each refused call above leaked the
            // engine handle uniffi had cloned before lowering the arguments,
            // so close() alone would not release the directory.
            e.shutdown()
            e.close()
        }
        Engine.open(config(dir = dir, key = key)).use { checkEq(1uL, it.status().eventsRecorded) }
    }

    Harness.test("hostile: ManualClock at Long.MIN/MAX — every call works, time never runs back") {
        for (start in listOf(Long.MIN_VALUE, -1L, Long.MAX_VALUE)) {
            ManualClock(start).use { clock ->
                Engine.openWithClock(config(), clock).use { e ->
                    // Long.MIN and -1 count as 1970: the catalog installs. Long.MAX
                    // counts as 9999-12-31: it has expired, and never gets installed.
                    val expired = start == Long.MAX_VALUE
                    e.everyCall { n, t -> check(openOutcome(n, t, expired)) { "start $start, $n: $t" } }
                    for (to in listOf(Long.MAX_VALUE, Long.MIN_VALUE, System.currentTimeMillis())) {
                        // Once the engine has seen 9999 it stays there (its time
                        // never runs back); an installed catalog stays installed.
                        clock.set(to)
                        e.everyCall { n, t -> check(openOutcome(n, t, expired)) { "$start → $to, $n: $t" } }
                    }
                    clock.advance(Long.MAX_VALUE)
                    clock.advance(Long.MIN_VALUE)
                    clock.advance(Long.MIN_VALUE)
                    checkEq(Long.MIN_VALUE, clock.nowMs(), "advance saturates")
                    val reports = e.sentReports()
                    check(reports.all { Regex("""\d{4}-\d{2}-\d{2}""").matches(it.period) }) {
                        reports.map { it.period }.toString()
                    }
                    val verdict = auditPayloads(reports.map { it.payload })
                    check(verdict.passed) { verdict.toString() }
                }
            }
        }
        // A closed clock: its own methods throw IllegalStateException (uniffi),
        // an engine given it still opens and runs on it (documented benign).
        val closed = ManualClock(1_750_000_000_000L)
        closed.close()
        expectThrows<IllegalStateException> { closed.nowMs() }
        Engine.openWithClock(config(), closed).use { e ->
            checkEq(RecordStatus.RECORDED, e.recordDetailed(view("227")).status, "record")
        }
    }

    Harness.test("hostile: every call after shutdown() throws Closed; shutdown/close twice") {
        val dir = freshDir()
        val key = randomKey()
        val e = Engine.open(config(dir = dir, key = key))
        e.installCatalog(sampleBundle)
        e.trainRunner()
        e.shutdown()
        e.shutdown()
        var calls = 0
        e.everyCall { n, t ->
            calls++
            check(t is HearthException.Closed) { "$n after shutdown: $t" }
        }
        checkEq(31, calls, "calls checked")
        // The directory is free at once, even before close().
        Engine.open(config(dir = dir, key = key)).use { check(it.interests().isNotEmpty()) { "profile lost" } }
        e.close()
        e.close()
        expectThrows<IllegalStateException> { e.shutdown() }
        expectThrows<IllegalStateException> { e.status() }
    }

    Harness.test("hostile: threads call everything while another shuts the engine down") {
        val e = Engine.open(config(limits = EngineLimits(minAdGapMs = 0L)))
        e.installCatalog(sampleBundle)
        val bad = ConcurrentLinkedQueue<String>()
        val closedSeen = AtomicInteger()
        val stop = AtomicBoolean(false)
        val started = CountDownLatch(6)
        val workers = (0 until 6).map {
            Thread {
                started.countDown()
                // Rounds until one that starts after shutdown() returned.
                do {
                    val last = stop.get()
                    e.everyCall { n, t ->
                        when {
                            t is HearthException.Closed -> closedSeen.incrementAndGet()
                            !openOutcome(n, t, racing = true) -> bad.add("$n: $t")
                        }
                    }
                } while (!last)
            }.also { it.start() }
        }
        started.await()
        Thread.sleep(100)
        e.shutdown()
        stop.set(true)
        workers.forEach { it.join(30_000) }
        check(workers.none { it.isAlive }) { "a worker hangs" }
        checkEq(emptyList<String>(), bad.toList(), "unexpected outcomes")
        check(closedSeen.get() >= 6 * 30) { "Closed seen ${closedSeen.get()} times" }
        e.close()
    }

    Harness.test("hostile: close() (AutoCloseable) while threads call — the last call frees the engine") {
        // uniffi's close() frees the Rust object once no call is in flight;
        // until then calls that start still run (so under constant load the
        // engine lives on: apps that need it closed at once call shutdown()).
        // Calls that start after that moment throw IllegalStateException.
        val dir = freshDir()
        val key = randomKey()
        val e = Engine.open(config(dir = dir, key = key))
        e.installCatalog(sampleBundle)
        val bad = ConcurrentLinkedQueue<String>()
        val refused = AtomicInteger()
        val stop = AtomicBoolean(false)
        val started = CountDownLatch(6)
        val workers = (0 until 6).map {
            Thread {
                started.countDown()
                while (!stop.get()) {
                    e.everyCall { n, t ->
                        when {
                            t is IllegalStateException && t.message!!.contains("destroyed") -> refused.incrementAndGet()
                            !openOutcome(n, t, racing = true) -> bad.add("$n: $t")
                        }
                    }
                }
            }.also { it.start() }
        }
        started.await()
        Thread.sleep(100)
        e.close()
        Thread.sleep(50)
        stop.set(true)
        workers.forEach { it.join(30_000) }
        check(workers.none { it.isAlive }) { "a worker hangs" }
        checkEq(emptyList<String>(), bad.toList(), "unexpected outcomes")
        check(e.uniffiIsDestroyed) { "not destroyed" }
        expectThrows<IllegalStateException> { e.status() }
        // The last in-flight call released the engine: the directory is free.
        Engine.open(config(dir = dir, key = key)).use { checkEq(1uL, it.catalog()?.version, "catalog kept") }
        println("info: calls refused after close(): ${refused.get()}")
    }
}
