package org.hearth.demo.model

import java.io.File
import java.nio.file.Files
import java.time.LocalDate
import java.time.ZoneOffset
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import kotlinx.coroutines.runBlocking
import org.hearth.sdk.EngineLimits
import org.hearth.sdk.auditPayloads
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotEquals
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Before
import org.junit.Test

/**
 * Tests of the demo's model layer against the real Rust library (through JNA;
 * nothing in the engine is mocked).
 *
 * System properties:
 *  - `hearth.demoAssets`: a directory with the app's catalog assets,
 *    `hearth/sample.bundle` and `hearth/publisher.pub`
 *    (scripts/android-demo-assets.sh; Gradle: build/generated/hearth/assets);
 *  - `jna.library.path`: where the host's `libhearth_ffi.so` is (target/release);
 *  - `hearth.testDayOffset` (optional): run the story N days from today.
 *
 * Run here by scripts/test-android-demo.sh; in Android Studio as local unit
 * tests (`./gradlew :app:testDebugUnitTest`), see android-demo/README.md.
 */
class HearthDemoTest {
    private lateinit var root: File
    private val opened = mutableListOf<HearthDemo>()

    private val assets: File by lazy {
        File(System.getProperty("hearth.demoAssets") ?: error("-Dhearth.demoAssets=DIR is required"))
    }

    /**
     * 08:00 UTC today (plus `-Dhearth.testDayOffset` days, to try other
     * weekdays: some campaigns run only at weekends): after the catalog's
     * creation (yesterday), on a simulated clock.
     */
    private val start: Long = (Math.floorDiv(System.currentTimeMillis(), DAY_MS) +
        (System.getProperty("hearth.testDayOffset")?.toLong() ?: 0L)) * DAY_MS + 8 * HOUR_MS

    @Before
    fun setUp() {
        root = Files.createTempDirectory("hearth-demo-test-").toFile()
    }

    @After
    fun tearDown() {
        opened.forEach { it.close() }
        root.deleteRecursively()
    }

    private fun demo(
        dir: File = File(root, "hearth"),
        keys: KeyProvider = FixedKeyProvider(ByteArray(32) { 1 }),
        catalog: CatalogSource = FileCatalogSource.assets(assets),
        uploader: ReportUploader = UploadLog(File(root, "uploads.jsonl")),
        clock: ClockChoice = ClockChoice.Manual(start),
    ): HearthDemo = HearthDemo(
        DemoSettings(
            storageDir = dir,
            keys = keys,
            catalog = catalog,
            uploader = uploader,
            clock = clock,
            // No exploration: every ad is chosen for a reason the tests can assert.
            limits = EngineLimits(exploration = 0.0),
            selectionSeed = 1uL,
        ),
    ).also { opened += it }

    /** A started model with personalised consent and a day of reading about running and soccer. */
    private suspend fun readerDemo(uploader: ReportUploader = UploadLog(File(root, "uploads.jsonl"))): HearthDemo {
        val d = demo(uploader = uploader)
        d.start()
        assertEquals(Phase.Ready, d.state.value.phase)
        d.setConsent(ConsentChoice.PERSONALISED)
        for ((id, dwell) in listOf(
            "first-marathon" to 240_000L, "matchday-berlin" to 90_000L, "runner-strength" to 180_000L,
            "celebrity-week" to 30_000L, "first-marathon" to 120_000L, "runner-strength" to 90_000L,
        )) {
            d.advanceClock(40 * 60_000L)
            assertEquals(true, d.readArticle(id, dwell)?.learned)
        }
        d.advanceClock(HOUR_MS)
        d.refreshFeed()
        assertNoError(d)
        return d
    }

    private fun assertNoError(d: HearthDemo) {
        d.state.value.lastError?.let { fail("unexpected error: $it") }
    }

    private fun today(d: HearthDemo): String =
        LocalDate.ofEpochDay(Math.floorDiv(d.state.value.clock.nowMs, DAY_MS)).toString()

    // ------------------------------------------------------------------

    @Test
    fun startOpensWithTheKeyProviderAndInstallsTheCatalogAsset() = runBlocking {
        val d = demo()
        d.start()
        val s = d.state.value
        assertEquals(Phase.Ready, s.phase)
        assertNoError(d)
        assertNotNull(s.catalog)
        val cat = s.catalog!!
        assertEquals(1L, cat.version)
        assertEquals("DE", cat.region)
        assertTrue("campaigns ${cat.campaigns}", cat.campaigns >= 10)
        assertTrue("creatives ${cat.creatives}", cat.creatives > cat.campaigns)
        assertEquals(File(assets, SAMPLE_BUNDLE_ASSET).length(), cat.bundleBytes)
        assertEquals("installed version 1", cat.installNote)
        assertEquals(16, cat.keyId.length)
        // New stores start contextual-only: nothing is learned before the user opts in.
        assertEquals(ConsentChoice.CONTEXTUAL_ONLY, s.consent)
        assertEquals(false, d.readArticle("first-marathon", 60_000L)?.learned)
        assertTrue(d.state.value.interests.isEmpty())
        assertEquals(ClockMode.MANUAL, s.clock.mode)
        assertEquals(start, s.clock.nowMs)
        // The feed without consent: freshest first (then diversity), no personal reasons.
        assertEquals("phones-under-500", s.feed.stories.first().id)
        assertEquals(SampleContent.articles.map { it.id }.toSet(), s.feed.stories.map { it.id }.toSet())
        assertTrue(s.feed.stories.all { it.reason == null })
        assertFalse(s.feed.personalised)
        // A second launch finds the same version installed.
        d.close()
        val again = demo()
        again.start()
        assertEquals("version 1 already installed", again.state.value.catalog?.installNote)
    }

    @Test
    fun wrongKeyIsATypedModelErrorAndStartingOverRecovers() = runBlocking {
        val dir = File(root, "hearth")
        val first = demo(dir = dir, keys = FixedKeyProvider(ByteArray(32) { 1 }))
        first.start()
        first.setConsent(ConsentChoice.PERSONALISED)
        first.readArticle("matchday-berlin", 60_000L)
        assertFalse(first.state.value.interests.isEmpty())
        first.close()

        val other = demo(dir = dir, keys = FixedKeyProvider(ByteArray(32) { 2 }))
        other.start()
        val phase = other.state.value.phase
        assertTrue("phase $phase", phase is Phase.Failed)
        val error = (phase as Phase.Failed).error
        assertTrue("error $error", error is DemoError.WrongKey)
        assertTrue(error.canStartOver)
        assertTrue(error.detail, error.detail.contains("different key"))
        // Actions before a successful start report an error instead of throwing.
        other.refreshFeed()
        assertTrue(other.state.value.lastError is DemoError.Failed)
        other.dismissError()
        assertNull(other.state.value.lastError)

        other.eraseAndStartOver()
        assertEquals(Phase.Ready, other.state.value.phase)
        assertTrue(other.state.value.interests.isEmpty())
        assertEquals(1L, other.state.value.catalog?.version)
    }

    @Test
    fun wrappedKeyFileKeepsTheKeyOnlyWrappedAndALostWrappingKeyIsRecoverable() = runBlocking {
        val wrapping: SecretKey = KeyGenerator.getInstance("AES").apply { init(256) }.generateKey()
        val keyFile = File(root, "hearth-key.bin")
        val provider = WrappedKeyFileProvider(keyFile, AesGcmKeyWrapper { wrapping })
        val k1 = provider.storeKey()
        assertEquals(STORE_KEY_BYTES, k1.size)
        assertTrue(keyFile.exists())
        assertTrue(k1.contentEquals(provider.storeKey()))
        val stored = keyFile.readBytes()
        assertFalse("the key is stored in the clear", String(stored, Charsets.ISO_8859_1).contains(String(k1, Charsets.ISO_8859_1)))
        assertEquals(1 + 1 + 12 + 32 + 16, stored.size)

        val d = demo(keys = provider)
        d.start()
        assertEquals(Phase.Ready, d.state.value.phase)
        d.close()

        // The Keystore key is gone (e.g. the app's data was restored to a new phone).
        val otherWrapping = KeyGenerator.getInstance("AES").apply { init(256) }.generateKey()
        val lost = demo(keys = WrappedKeyFileProvider(keyFile, AesGcmKeyWrapper { otherWrapping }))
        lost.start()
        val phase = lost.state.value.phase
        assertTrue("phase $phase", phase is Phase.Failed && phase.error is DemoError.KeyUnavailable)
        lost.eraseAndStartOver()
        assertEquals(Phase.Ready, lost.state.value.phase)
        assertFalse("a new key replaced the old one", keyFile.readBytes().contentEquals(stored))
    }

    @Test
    fun aTamperedCatalogIsRefusedButTheAppStillRuns() = runBlocking {
        val good = FileCatalogSource.assets(assets)
        val tampered = object : CatalogSource {
            override val description = "tampered copy"
            override fun trustedKeys() = good.trustedKeys()
            override fun bundle() = good.bundle().also { it[200] = (it[200].toInt() xor 1).toByte() }
        }
        val d = demo(catalog = tampered)
        d.start()
        val s = d.state.value
        assertEquals(Phase.Ready, s.phase)
        val error = s.lastError
        assertTrue("error $error", error is DemoError.CatalogRejected)
        assertEquals("CatalogBadSignature", (error as DemoError.CatalogRejected).kind)
        assertNull(s.catalog)
        assertEquals(listOf("No ad catalog is installed."), s.feed.rows.filterIsInstance<FeedRow.EmptyAdSlot>().map { it.reason })
    }

    @Test
    fun theFeedIsRankedForTheReaderAndTheAdComesWithItsReason() = runBlocking {
        val d = readerDemo()
        val s = d.state.value
        assertTrue(s.feed.personalised)
        val top = s.feed.stories.first()
        assertTrue("top story ${top.id}", top.id in setOf("runner-strength", "first-marathon"))
        assertTrue("reason ${top.reason}", top.reason!!.startsWith("Because you follow"))
        val stories = s.feed.stories
        assertEquals(SampleContent.articles.size, stories.size)
        assertEquals(SampleContent.articles.map { it.id }.toSet(), stories.map { it.id }.toSet())
        // Stories nobody follows come without a personal reason.
        assertNull(stories.first { it.id == "retirement-30s" }.reason)
        // The ad slot sits after the second story.
        assertTrue(s.feed.rows[2] is FeedRow.Ad)
        assertNotNull(s.feed.ad)
        val ad = s.feed.ad!!
        assertTrue(ad.title.isNotEmpty() && ad.advertiserName.isNotEmpty())
        assertTrue(ad.clickUrl.startsWith("https://"))
        assertEquals(AdBasis.INTERESTS, ad.why.basis)
        assertTrue(ad.why.text.isNotEmpty())
        assertTrue("why ${ad.why}", ad.why.interests.isNotEmpty())
        // Nothing is recorded until the ad is on screen.
        assertTrue(s.history.isEmpty())
        assertEquals(true, d.adShown(ad.token))
        assertEquals(false, d.adShown(ad.token))
        val history = d.state.value.history
        assertEquals(listOf(ad.token), history.map { it.token })
        assertEquals(ad.title, history[0].title)
        assertEquals(true, d.likeAd(ad.token))
        assertEquals(true, d.adClicked(ad.token))
        val row = d.state.value.history.single()
        assertTrue(row.liked)
        assertEquals(listOf("click", "like"), row.reactions.sorted())
        // The minimum gap between two ads: an immediate refresh has no ad, and says why.
        d.refreshFeed()
        val empty = d.state.value.feed.rows.filterIsInstance<FeedRow.EmptyAdSlot>().single()
        assertTrue(empty.reason, empty.reason.startsWith("The next ad can appear in"))
    }

    @Test
    fun hidingAnAdvertiserRemovesItFromTheFeed() = runBlocking {
        val d = readerDemo()
        val ad = d.state.value.feed.ad!!
        d.adShown(ad.token)
        assertEquals(ad.advertiserId, d.hideAdvertiser(ad.token))
        assertNoError(d)
        val slot = d.state.value.feed.rows.filterIsInstance<FeedRow.EmptyAdSlot>().single()
        assertEquals("Ads from ${ad.advertiserName} are hidden.", slot.reason)
        assertTrue(d.state.value.history.single { it.token == ad.token }.advertiserHidden)
        assertTrue("hide" in d.state.value.history.single().reactions)
        var filled = 0
        repeat(8) {
            d.advanceClock(10 * 60_000L)
            d.refreshFeed()
            assertNoError(d)
            d.state.value.feed.ad?.let { next ->
                filled++
                assertNotEquals("hidden advertiser shown", ad.advertiserId, next.advertiserId)
                d.adShown(next.token)
            }
        }
        assertTrue("no other ad filled the slot", filled > 0)
        assertEquals(true, d.unhideAdvertiser(ad.advertiserId))
        assertFalse(d.state.value.history.any { it.advertiserHidden })
    }

    @Test
    fun removingAnInterestKeepsItOutUntilAllowed() = runBlocking {
        val d = readerDemo()
        // Reading about a celebrity scandal (438) rolled up to Pop Culture (432).
        val scandal = d.state.value.interests.single { it.path == "Pop Culture/Celebrity Scandal" }
        val popCulture = d.state.value.interests.single { it.path == "Pop Culture" }
        assertTrue(popCulture.reason.isNotEmpty())
        assertTrue(popCulture.share > 0.0 && popCulture.share < 1.0)
        assertEquals(1.0, d.state.value.interests.first().share, 1e-9)
        assertEquals(
            "Because you follow Celebrity Scandal",
            d.state.value.feed.stories.single { it.id == "celebrity-week" }.reason,
        )
        // Removing the broader topic removes its subtopics too.
        d.removeInterest(popCulture.topicId)
        assertNoError(d)
        val ids = d.state.value.interests.map { it.topicId }
        assertFalse(popCulture.topicId in ids || scandal.topicId in ids)
        assertEquals(listOf(RemovedTopic(popCulture.topicId, "Pop Culture")), d.state.value.removedTopics)
        assertNull(d.state.value.feed.stories.single { it.id == "celebrity-week" }.reason)
        val again = d.readArticle("celebrity-week", 60_000L)!!
        assertEquals(1, again.suppressedDropped)
        assertFalse(d.state.value.interests.any { it.topicId == scandal.topicId })
        d.allowInterest(popCulture.topicId)
        assertTrue(d.state.value.removedTopics.isEmpty())
        d.readArticle("celebrity-week", 60_000L)
        assertTrue(d.state.value.interests.any { it.topicId == scandal.topicId })
    }

    @Test
    fun consentOffClearsTheProfileAndTheAds() = runBlocking {
        val d = readerDemo()
        d.adShown(d.state.value.feed.ad!!.token)
        assertFalse(d.state.value.interests.isEmpty())
        assertFalse(d.state.value.history.isEmpty())
        d.setConsent(ConsentChoice.OFF)
        val s = d.state.value
        assertEquals(ConsentChoice.OFF, s.consent)
        assertTrue(s.interests.isEmpty())
        assertTrue(s.history.isEmpty())
        assertNull(s.feed.ad)
        assertEquals("Ads are off: consent is off.", s.feed.rows.filterIsInstance<FeedRow.EmptyAdSlot>().single().reason)
        assertFalse(s.feed.personalised)
        assertEquals(false, d.readArticle("first-marathon", 60_000L)?.learned)
        assertTrue(d.state.value.interests.isEmpty())
    }

    @Test
    fun resetForgetsEverythingButKeepsTheCatalog() = runBlocking {
        val d = readerDemo()
        d.adShown(d.state.value.feed.ad!!.token)
        d.reset()
        assertNoError(d)
        val s = d.state.value
        assertEquals(ConsentChoice.CONTEXTUAL_ONLY, s.consent)
        assertTrue(s.interests.isEmpty())
        assertTrue(s.history.isEmpty())
        assertTrue(s.removedTopics.isEmpty())
        assertEquals(0L, s.storage?.eventsRecorded)
        assertEquals(1L, s.catalog?.version)
        assertFalse(s.feed.personalised)
        assertTrue(s.feed.stories.all { it.reason == null })
    }

    @Test
    fun aSimulatedDayClosesTheReportTheAuditPassesAndTheBudgetIsSpent() = runBlocking {
        val d = readerDemo()
        d.adShown(d.state.value.feed.ad!!.token)
        val before = d.state.value.privacy
        assertTrue(before.pending.isEmpty())
        assertNull(before.audit)
        val budgetBefore = before.budget!!
        assertEquals(1.0, budgetBefore.epsilonPerDay, 0.0)
        assertEquals(7.0, budgetBefore.weeklyCap, 0.0)
        assertEquals(listOf("impressions", "clicks", "conversions"), budgetBefore.metrics.map { it.metric })
        assertEquals(7.0, budgetBefore.remaining, 1e-9)
        val day = today(d)

        assertTrue(d.skipToNextDay())
        val s = d.state.value
        assertEquals(9 * HOUR_MS, Math.floorMod(s.clock.nowMs, DAY_MS))
        val pending = s.privacy.pending.single()
        assertEquals(day, pending.period)
        assertTrue(pending.json, pending.json.startsWith("{\"schema\":\"hearth-report/1\",\"catalog_version\":1,\"period\":\"$day\""))
        assertEquals(pending.json.toByteArray().size, pending.bytes)
        val audit = s.privacy.audit!!
        assertTrue(audit.summary, audit.passed)
        assertEquals(1L, audit.payloads)
        assertTrue(audit.summary, audit.summary.startsWith("verdict: PASS"))
        assertTrue(audit.violations.isEmpty())
        val budget = s.privacy.budget!!
        for (m in budget.metrics) {
            assertEquals(m.metric, 1.0, m.spentLast7Days, 1e-9)
            assertEquals(m.metric, 6.0, m.remaining, 1e-9)
        }
        assertTrue(budget.remaining < budgetBefore.remaining)
        // Asking again returns the identical bytes: no fresh noise to average away.
        d.refresh()
        assertEquals(pending, d.state.value.privacy.pending.single())
        // A stricter auditor (ε ≤ 0.5) rejects the same payload.
        val strict = auditPayloads(listOf(pending.json), 0.5)
        assertFalse(strict.passed)
        assertTrue(strict.violations.isNotEmpty())
    }

    @Test
    fun uploadingAcknowledgesAndMovesPayloadsToSentAndTheLogHoldsTheExactBytes() = runBlocking {
        val logFile = File(root, "uploads.jsonl")
        val echoed = mutableListOf<String>()
        val log = UploadLog(logFile) { echoed += it }
        val d = readerDemo(uploader = log)
        d.skipToNextDay()
        val pending = d.state.value.privacy.pending
        assertEquals(1, pending.size)
        assertEquals(1, d.uploadReports())
        val s = d.state.value.privacy
        assertTrue(s.pending.isEmpty())
        val sent = s.sent.single()
        assertEquals(pending[0].json, sent.json)
        assertEquals(pending[0].period, sent.period)
        assertEquals(d.state.value.clock.nowMs, sent.acknowledgedAtMs)
        // The log file is JSON Lines, byte for byte the payloads: `hearth audit uploads.jsonl` reads it.
        assertEquals(pending[0].json + "\n", logFile.readText())
        assertEquals(listOf(UploadRecord(pending[0].period, pending[0].json)), s.uploads)
        assertEquals(1, echoed.size)
        assertTrue(echoed[0], echoed[0].contains(pending[0].period))
        assertTrue(auditPayloads(logFile.readLines(), 1.0).passed)
        assertTrue(s.audit!!.passed)
        // Nothing left to upload; a reopened log still lists what was sent.
        assertEquals(0, d.uploadReports())
        assertEquals(s.uploads, UploadLog(logFile).entries())
    }

    @Test
    fun aFailedUploadLeavesThePayloadPending() = runBlocking {
        var calls = 0
        val d = readerDemo(
            uploader = ReportUploader { _, _ ->
                calls++
                if (calls == 1) throw java.io.IOException("network down") else false
            },
        )
        d.skipToNextDay()
        val pending = d.state.value.privacy.pending.single()
        assertEquals(0, d.uploadReports())
        assertEquals(0, d.uploadReports())
        assertEquals(2, calls)
        assertNoError(d)
        assertEquals(pending, d.state.value.privacy.pending.single())
        assertTrue(d.state.value.privacy.sent.isEmpty())
    }

    @Test
    fun theShiftedClockKeepsItsOffsetAcrossLaunches() = runBlocking {
        val offsetFile = File(root, "clock-offset")
        var real = start
        val clock = ClockChoice.Shifted(offsetFile) { real }
        val d = demo(clock = clock)
        d.start()
        assertEquals(ClockMode.SHIFTED, d.state.value.clock.mode)
        assertEquals(start, d.state.value.clock.nowMs)
        real += 5 * 60_000L
        d.refresh()
        assertEquals(start + 5 * 60_000L, d.state.value.clock.nowMs)
        assertTrue(d.skipToNextDay())
        val shifted = d.state.value.clock.nowMs
        assertEquals(Math.floorDiv(start, DAY_MS) * DAY_MS + DAY_MS + 9 * HOUR_MS, shifted)
        assertEquals((shifted - real).toString(), offsetFile.readText())
        d.close()
        val again = demo(clock = clock)
        again.start()
        assertEquals(shifted, again.state.value.clock.nowMs)
        // The system clock cannot be moved.
        val system = demo(dir = File(root, "other"), clock = ClockChoice.System)
        system.start()
        assertFalse(system.skipToNextDay())
        assertFalse(system.state.value.clock.canSkip)
    }

    @Test
    fun publicKeyFilesAreParsedStrictly() {
        val hex = File(assets, PUBLISHER_KEY_ASSET).readText().trim()
        val keys = parsePublicKeys("# the demo's publisher\n$hex\n\n")
        assertEquals(1, keys.size)
        assertEquals(32, keys[0].size)
        assertEquals(hex, keys[0].joinToString("") { "%02x".format(it) })
        try {
            parsePublicKeys("abc")
            fail("a short key was accepted")
        } catch (e: IllegalArgumentException) {
            assertTrue(e.message!!.contains("64 hex digits"))
        }
    }
}
