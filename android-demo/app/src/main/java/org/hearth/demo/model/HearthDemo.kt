package org.hearth.demo.model

import java.io.File
import kotlin.coroutines.cancellation.CancellationException
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock
import kotlinx.coroutines.withContext
import org.hearth.sdk.AdChoice
import org.hearth.sdk.AdContext
import org.hearth.sdk.AdEventKind
import org.hearth.sdk.AdRequest
import org.hearth.sdk.Basis
import org.hearth.sdk.Consent
import org.hearth.sdk.ContentItem
import org.hearth.sdk.Engine
import org.hearth.sdk.EngineConfig
import org.hearth.sdk.EngineLimits
import org.hearth.sdk.Event
import org.hearth.sdk.InstallOutcome
import org.hearth.sdk.ManualClock
import org.hearth.sdk.NoFill
import org.hearth.sdk.Os
import org.hearth.sdk.RankOptions
import org.hearth.sdk.RecordStatus
import org.hearth.sdk.TimedEvent
import org.hearth.sdk.auditPayloads
import org.hearth.sdk.eraseStorage

/** One hour in milliseconds. */
const val HOUR_MS: Long = 3_600_000L

/** One day in milliseconds (report periods are UTC days). */
const val DAY_MS: Long = 24 * HOUR_MS

/**
 * Everything [HearthDemo] needs from its host.
 *
 * @property storageDir Hearth's private directory; on Android
 *   `File(context.noBackupFilesDir, "hearth")` (not backed up: the key that
 *   encrypts it cannot be restored on another device anyway).
 * @property keys the store key ([WrappedKeyFileProvider] on a phone).
 * @property catalog the signed ad catalog and the keys that may sign it.
 * @property uploader where report payloads go ([UploadLog] in the demo).
 * @property clock the engine's clock ([ClockChoice.System] in production).
 * @property content the app's own stories, in the editors' order.
 * @property locale the user's locale for ad targeting (`de-DE`; the sample
 *   catalog targets Germany).
 * @property country country or subdivision for ad targeting (`DE`, `DE-BE`).
 * @property utcOffsetMinutes the device's UTC offset, for dayparting.
 * @property limits the engine's tuning knobs (defaults are production values).
 * @property selectionSeed fixes the ad-selection randomness (tests, console);
 *   null in an app.
 * @property auditMaxEpsilon the auditor's policy: most ε per metric per payload.
 * @property adSlotAfter how many stories come before the feed's ad slot.
 * @property log diagnostics (Logcat on Android, stderr in the console).
 */
data class DemoSettings(
    val storageDir: File,
    val keys: KeyProvider,
    val catalog: CatalogSource,
    val uploader: ReportUploader,
    val clock: ClockChoice = ClockChoice.System,
    val content: List<Article> = SampleContent.articles,
    val locale: String = "de-DE",
    val country: String = "DE",
    val utcOffsetMinutes: Int = 60,
    val limits: EngineLimits = EngineLimits(),
    val selectionSeed: ULong? = null,
    val auditMaxEpsilon: Double = 1.0,
    val adSlotAfter: Int = 2,
    val log: (String) -> Unit = {},
)

/** What recording a read did. */
data class ReadOutcome(
    /** True if the profile learned from it (consent personalised). */
    val learned: Boolean,
    /** Topics dropped because they are sensitive (health, religion, ...). */
    val sensitiveDropped: Int,
    /** Topics dropped because the user removed or hid them. */
    val suppressedDropped: Int,
)

/**
 * The demo app's logic: one Hearth engine and the screens' state, with no
 * Android dependency. The Android UI (`org.hearth.demo.ui`), the console demo
 * (`android-demo/console/ConsoleDemo.kt`) and the tests drive this class the
 * same way.
 *
 * **Threading.** Every public `suspend` function is main-safe: the calls into
 * Hearth run on [dispatcher] (default [Dispatchers.IO]), never on the caller's
 * thread, because several of them block for milliseconds (`Engine.open`
 * decrypts the state, `installCatalog` verifies a signature and writes a file,
 * `pendingReports` may close a report period and write, the user controls
 * persist before returning), and every call from Kotlin pays the JNA runtime's
 * fixed cost. Calls are serialised by a mutex, so the state each one publishes
 * is consistent. Results arrive in [state]; failures do not throw but land in
 * [DemoState.lastError] (or [Phase.Failed] for [start]).
 *
 * **Life cycle.** [start] once; then any action; [close] at the end (the
 * Android ViewModel's `onCleared`).
 *
 * @param dispatcher where the blocking calls run; tests may pass their own.
 */
class HearthDemo(
    private val settings: DemoSettings,
    private val dispatcher: CoroutineDispatcher = Dispatchers.IO,
) : AutoCloseable {
    private val mutableState = MutableStateFlow(DemoState(clock = ClockInfo(mode = modeOf(settings.clock))))

    /** The screens' state; every action publishes a new snapshot. */
    val state: StateFlow<DemoState> = mutableState.asStateFlow()

    private val mutex = Mutex()

    @Volatile
    private var engine: Engine? = null
    private var manualClock: ManualClock? = null
    private var clockOffsetMs: Long = 0
    private var feed = FeedState()
    private var catalogNote = ""

    /** Topic labels seen so far (interests, ads), to name removed topics: the SDK returns only their ids. */
    private val labels = HashMap<String, String>()
    private val articlesById = settings.content.associateBy { it.id }

    // ------------------------------------------------------------------
    // life cycle
    // ------------------------------------------------------------------

    /**
     * Open the engine with the key from [DemoSettings.keys], install the
     * catalog from [DemoSettings.catalog] (verified on the phone; an already
     * installed version is a no-op), and build the feed. **Blocking work on
     * [dispatcher]** (open, installCatalog, selectAds).
     *
     * A wrong key or an unreadable store ends in [Phase.Failed] with a
     * [DemoError] whose `canStartOver` is true ([eraseAndStartOver]). A refused
     * catalog does not stop the app: [Phase.Ready] with
     * [DemoError.CatalogRejected] in [DemoState.lastError].
     */
    suspend fun start() {
        mutex.withLock { withContext(dispatcher) { openLocked() } }
    }

    /**
     * The way out of [Phase.Failed]: close anything open, erase every Hearth
     * file in the storage directory (`eraseStorage`, which needs no key),
     * forget the store key ([KeyProvider.discard]) and start again with a fresh,
     * empty profile. The user's profile is lost; it was unreadable anyway.
     */
    suspend fun eraseAndStartOver() {
        mutex.withLock {
            withContext(dispatcher) {
                closeEngineLocked()
                try {
                    eraseStorage(settings.storageDir.path)
                    settings.keys.discard()
                } catch (e: Exception) {
                    if (e is CancellationException) throw e
                    mutableState.update { it.copy(phase = Phase.Failed(DemoError.from("erase Hearth's data", e))) }
                    return@withContext
                }
                settings.log("erased ${settings.storageDir}; starting over")
                openLocked()
            }
        }
    }

    /**
     * Write everything recorded so far to disk (e.g. when the app goes to the
     * background). Events are otherwise persisted within a second by the
     * engine's own writer. **Blocking (one fsynced write) on [dispatcher].**
     */
    suspend fun flush() {
        act("save") { it.flush() }
    }

    /**
     * Close the engine (a final write) and release the clock. **Blocking** for
     * a few milliseconds on the calling thread: call it when the app is done
     * (ViewModel `onCleared`), not while other calls are expected.
     */
    override fun close() {
        closeEngineLocked()
        manualClock?.close()
        manualClock = null
        mutableState.update { it.copy(phase = Phase.Closed, busy = false) }
    }

    /** Forget [DemoState.lastError] once the UI has shown it. */
    fun dismissError() {
        mutableState.update { it.copy(lastError = null) }
    }

    // ------------------------------------------------------------------
    // feed and ads
    // ------------------------------------------------------------------

    /**
     * Rank the stories again (`rankItems`) and choose an ad for the feed's
     * slot (`selectAds`), on the phone. Nothing is recorded: the ad counts as
     * seen only when the UI reports [adShown].
     */
    suspend fun refreshFeed() {
        act("refresh the feed") { e -> feed = buildFeed(e, selectAd = true) }
    }

    /**
     * The user read story [articleId] for [dwellMs]: record a content view
     * with its topics. Learns only under personalised consent; sensitive
     * topics are dropped by the engine. Returns null if the story is unknown
     * or the call failed.
     */
    suspend fun readArticle(articleId: String, dwellMs: Long): ReadOutcome? {
        val article = articlesById[articleId] ?: return null
        return act("record what you read") { e ->
            // The demo shows what was dropped (sensitive, suppressed topics), so
            // it asks for the detailed outcome: recordBatch of one event. An app
            // that only needs to know whether it was applied calls e.record(event).
            val event = Event.ContentView(topics = article.topics, dwellMs = dwellMs.coerceAtLeast(0).toULong())
            val out = e.recordBatch(listOf(TimedEvent(event))).single()
            ReadOutcome(
                learned = out.status == RecordStatus.RECORDED,
                sensitiveDropped = out.sensitiveDropped.toInt(),
                suppressedDropped = out.suppressedDropped.toInt(),
            )
        }
    }

    /**
     * The ad with [token] is on screen: record the impression (once per ad;
     * returns whether this call counted it). Call it when the ad becomes
     * visible, not when it is chosen.
     */
    suspend fun adShown(token: String): Boolean? =
        act("record the ad impression") { it.recordAdEvent(token, AdEventKind.IMPRESSION).counted }

    /** The user tapped the ad: record the click (the UI then opens [AdCard.clickUrl]). */
    suspend fun adClicked(token: String): Boolean? =
        act("record the click") { it.recordAdEvent(token, AdEventKind.CLICK).counted }

    /** The user liked the ad ("more like this"). */
    suspend fun likeAd(token: String): Boolean? =
        act("like the ad") { it.recordAdEvent(token, AdEventKind.LIKE).counted }

    /**
     * The user hid the ad's advertiser: no ads from it again (until
     * [unhideAdvertiser]). The feed's slot is emptied at once if it showed
     * that advertiser. Returns the hidden advertiser's id.
     */
    suspend fun hideAdvertiser(token: String): String? =
        act("hide the advertiser") { e ->
            val info = e.recordAdEvent(token, AdEventKind.HIDE).ad
            val name = advertiserName(info.advertiserId) ?: info.advertiserId
            feed = feed.copy(
                rows = feed.rows.map { row ->
                    if (row is FeedRow.Ad && row.ad.advertiserId == info.advertiserId) {
                        FeedRow.EmptyAdSlot("Ads from $name are hidden.")
                    } else {
                        row
                    }
                },
            )
            settings.log("hid advertiser ${info.advertiserId}")
            info.advertiserId
        }

    /** Show a hidden advertiser's ads again. Returns whether it was hidden. */
    suspend fun unhideAdvertiser(advertiserId: String): Boolean? =
        act("show the advertiser again") { it.unhideAdvertiser(advertiserId) }

    // ------------------------------------------------------------------
    // interests and consent
    // ------------------------------------------------------------------

    /**
     * Remove an interest and keep it (and its subtopics) out of the profile
     * until [allowInterest]. The stories are re-ranked; the ad stays.
     */
    suspend fun removeInterest(topicId: String) {
        act("remove the interest") { e ->
            e.removeInterest(topicId)
            feed = buildFeed(e, selectAd = false)
        }
    }

    /** Let a removed topic be learned again. */
    suspend fun allowInterest(topicId: String) {
        act("allow the topic again") { e ->
            e.allowInterest(topicId)
            feed = buildFeed(e, selectAd = false)
        }
    }

    /**
     * Change consent. [ConsentChoice.OFF] erases the profile and the ad
     * history before returning. The feed is rebuilt (ads stop under OFF).
     */
    suspend fun setConsent(choice: ConsentChoice) {
        act("change consent") { e ->
            e.setConsent(choice.toSdk())
            feed = buildFeed(e, selectAd = true)
        }
    }

    /**
     * Forget everything: every piece of user data on disk and in memory. The
     * catalog and the privacy-budget ledger stay; consent returns to the
     * default (contextual only).
     */
    suspend fun reset() {
        act("reset") { e ->
            e.reset()
            labels.clear()
            feed = buildFeed(e, selectAd = true)
        }
    }

    // ------------------------------------------------------------------
    // reports and the privacy dashboard
    // ------------------------------------------------------------------

    /**
     * The app's daily upload job: take the pending payloads
     * (`pendingReports`, which first closes any UTC day that ended), hand each
     * to [DemoSettings.uploader] exactly as returned, and acknowledge those it
     * accepted (they move from pending to sent). Returns how many were
     * uploaded. **Blocking work on [dispatcher].**
     */
    suspend fun uploadReports(): Int? =
        act("upload the reports") { e ->
            var uploaded = 0
            for (r in e.pendingReports()) {
                val ok = try {
                    settings.uploader.upload(r.period, r.payload)
                } catch (x: Exception) {
                    if (x is CancellationException) throw x
                    settings.log("upload of ${r.period} failed: $x (stays pending)")
                    false
                }
                if (ok && e.acknowledge(r.handle)) uploaded++
            }
            uploaded
        }

    /** Re-read every screen's state from the engine (and close any ended report period). */
    suspend fun refresh() {
        act("refresh") { }
    }

    // ------------------------------------------------------------------
    // time (demo only)
    // ------------------------------------------------------------------

    /**
     * Move the engine's time to 09:00 UTC of the next day, so today's report
     * period closes and [DemoState.privacy] shows its payload. Only with a
     * [ClockChoice.Manual] or [ClockChoice.Shifted] clock; returns false with
     * the system clock.
     */
    suspend fun skipToNextDay(): Boolean = act("skip to the next day") { e ->
        val now = nowMs()
        moveClockLocked(Math.floorDiv(now, DAY_MS) * DAY_MS + DAY_MS + 9 * HOUR_MS - now)
    } ?: false

    /**
     * Move the engine's time forward by [deltaMs] (e.g. ten minutes between
     * two screens, past the minimum gap between ads). Only with a
     * [ClockChoice.Manual] or [ClockChoice.Shifted] clock; returns false with
     * the system clock.
     */
    suspend fun advanceClock(deltaMs: Long): Boolean {
        require(deltaMs >= 0) { "time only moves forward" }
        return act("move the clock") { moveClockLocked(deltaMs) } ?: false
    }

    // ------------------------------------------------------------------
    // internals (all run on the dispatcher, under the mutex)
    // ------------------------------------------------------------------

    private fun openLocked() {
        if (engine != null) return
        mutableState.update { it.copy(phase = Phase.Starting, busy = true) }
        val opened = try {
            prepareClockLocked()
            val key = settings.keys.storeKey()
            try {
                val config = EngineConfig(
                    storageDir = settings.storageDir.path,
                    key = key,
                    trustedKeys = settings.catalog.trustedKeys(),
                    defaultConsent = null,
                    limits = settings.limits,
                    selectionSeed = settings.selectionSeed,
                )
                // A production app calls Engine.open(config) (system clock);
                // the demo's clock can skip days to show a report closing.
                manualClock?.let { Engine.openWithClock(config, it) } ?: Engine.open(config)
            } finally {
                key.fill(0)
            }
        } catch (e: Exception) {
            if (e is CancellationException) throw e
            val error = DemoError.from("open Hearth", e)
            settings.log("open failed: $error")
            mutableState.update { it.copy(phase = Phase.Failed(error), busy = false) }
            return
        } catch (e: LinkageError) {
            // libhearth_ffi.so missing for this ABI, or bindings that do not
            // match it (uniffi's checksum check): a broken build, not a crash.
            val error = DemoError.Failed("open Hearth", e::class.simpleName ?: "LinkageError", "the native library could not be loaded: $e")
            settings.log("open failed: $error")
            mutableState.update { it.copy(phase = Phase.Failed(error), busy = false) }
            return
        }
        engine = opened
        val catalogError = try {
            installCatalogLocked(opened)
            null
        } catch (e: Exception) {
            if (e is CancellationException) throw e
            settings.log("catalog refused: $e")
            catalogNote = "refused: $e"
            DemoError.from("install the ad catalog", e)
        }
        try {
            feed = buildFeed(opened, selectAd = true)
            publish(opened) { it.copy(phase = Phase.Ready, lastError = catalogError ?: it.lastError) }
        } catch (e: Exception) {
            if (e is CancellationException) throw e
            mutableState.update { it.copy(phase = Phase.Ready, busy = false, lastError = DemoError.from("build the feed", e)) }
        }
    }

    private fun installCatalogLocked(e: Engine) {
        val bytes = settings.catalog.bundle()
        catalogNote = when (val outcome = e.installCatalog(bytes)) {
            is InstallOutcome.Installed -> "installed version ${outcome.version}"
            is InstallOutcome.AlreadyInstalled -> "version ${outcome.version} already installed"
        }
        settings.log("catalog from ${settings.catalog.description}: $catalogNote")
    }

    private fun closeEngineLocked() {
        val e = engine ?: return
        engine = null
        try {
            e.shutdown()
        } catch (x: Exception) {
            settings.log("final write failed: $x")
        } finally {
            e.close()
        }
    }

    /**
     * Run [block] against the open engine on the dispatcher, under the mutex,
     * then publish a fresh snapshot. A failure becomes [DemoState.lastError]
     * and a null result.
     */
    private suspend fun <T> act(action: String, block: (Engine) -> T): T? = mutex.withLock {
        withContext(dispatcher) {
            val e = engine
            if (e == null) {
                mutableState.update {
                    it.copy(lastError = DemoError.Failed(action, "NotOpen", "Hearth is not open (${it.phase})"))
                }
                return@withContext null
            }
            mutableState.update { it.copy(busy = true) }
            try {
                syncClockLocked()
                val result = block(e)
                publish(e) { it }
                result
            } catch (x: Exception) {
                if (x is CancellationException) throw x
                val error = DemoError.from(action, x)
                settings.log("$action failed: $error")
                try {
                    publish(e) { it.copy(lastError = error) }
                } catch (y: Exception) {
                    if (y is CancellationException) throw y
                    mutableState.update { it.copy(busy = false, lastError = error) }
                }
                null
            }
        }
    }

    /** Read every screen's data from [e] and publish it (busy = false). */
    private fun publish(e: Engine, tweak: (DemoState) -> DemoState) {
        val consent = e.consent()
        val interests = e.interests()
        interests.forEach { labels[it.topicId] = it.label }
        val heaviest = interests.firstOrNull()?.weight ?: 0.0
        val interestRows = interests.map {
            InterestRow(
                topicId = it.topicId,
                label = it.label,
                path = it.path,
                weight = it.weight,
                share = if (heaviest > 0) it.weight / heaviest else 0.0,
                reason = it.reason,
            )
        }
        val removed = e.suppressedTopics().map { RemovedTopic(it, labels[it] ?: "topic $it") }
        val hidden = e.hiddenAdvertisers().toSet()
        val history = e.adHistory().map { h ->
            val reactions = h.reactions.map { it.name.lowercase() }
            HistoryRow(
                token = h.token,
                advertiserId = h.advertiserId,
                advertiserName = h.advertiserName ?: h.advertiserId,
                title = h.title,
                shownAtMs = h.shownAtMs,
                reactions = reactions,
                liked = AdEventKind.LIKE in h.reactions,
                advertiserHidden = h.advertiserId in hidden,
            )
        }
        val pending = e.pendingReports()
        val log = e.sentReports()
        val budget = e.privacyBudget()
        // Every payload produced (the log lists pending ones too): the same
        // bytes that were or will be uploaded.
        val audited = (log.map { it.handle to it.payload } + pending.map { it.handle to it.payload })
            .distinctBy { it.first }
            .map { it.second }
        val audit = if (audited.isEmpty()) {
            null
        } else {
            val v = auditPayloads(audited, settings.auditMaxEpsilon)
            AuditView(
                passed = v.passed,
                payloads = v.payloads.toLong(),
                summary = v.summary,
                violations = v.violations.map { AuditIssue(it.index.toLong(), it.rule, it.detail) },
                maxEpsilon = settings.auditMaxEpsilon,
            )
        }
        val privacy = PrivacyState(
            pending = pending.map { PayloadRow(it.handle.toLong(), it.period, it.payload, it.payload.utf8Size(), null) },
            sent = log.filter { it.acknowledgedAtMs != null }
                .map { PayloadRow(it.handle.toLong(), it.period, it.payload, it.payload.utf8Size(), it.acknowledgedAtMs) },
            budget = BudgetView(
                epsilonPerDay = budget.epsilonPerMetric,
                weeklyCap = budget.weeklyCapPerMetric,
                metrics = budget.metrics.map { MetricBudgetRow(it.metric, it.spentLast7Periods, it.remaining) },
            ),
            audit = audit,
            uploads = (settings.uploader as? UploadLog)?.entries() ?: emptyList(),
        )
        val status = e.status()
        val catalog = status.catalog?.let {
            CatalogInfo(
                version = it.version.toLong(),
                region = it.region,
                campaigns = it.campaigns.toInt(),
                creatives = it.creatives.toInt(),
                keyId = it.keyId,
                bundleBytes = it.bundleBytes.toLong(),
                source = settings.catalog.description,
                installNote = catalogNote,
            )
        }
        val snapshot = DemoState(
            phase = Phase.Ready,
            consent = consent.toChoice(),
            catalog = catalog,
            feed = feed,
            interests = interestRows,
            removedTopics = removed,
            history = history,
            privacy = privacy,
            clock = ClockInfo(nowMs = nowMs(), mode = modeOf(settings.clock)),
            storage = StorageInfo(status.eventsRecorded.toLong(), status.stateBytes.toLong(), status.taxonomyVersion),
            busy = false,
        )
        mutableState.update { old -> tweak(snapshot.copy(lastError = old.lastError)) }
    }

    /** Rank the stories; choose a new ad if [selectAd], else keep the current slot. */
    private fun buildFeed(e: Engine, selectAd: Boolean): FeedState {
        val now = nowMs()
        val personalised = e.consent() == Consent.PERSONALISED
        val items = settings.content.map {
            ContentItem(id = it.id, topics = it.topics, publishedAtMs = now - it.ageHours * HOUR_MS)
        }
        val ranked = e.rankItems(items, RankOptions(diversity = 0.3, freshnessHalfLifeMs = 3 * DAY_MS))
        val stories = ranked.mapNotNull { r ->
            val a = articlesById[r.id] ?: return@mapNotNull null
            r.matched.forEach { labels[it.topicId] = it.label }
            ArticleCard(
                id = a.id,
                title = a.title,
                summary = a.summary,
                section = a.section,
                reason = r.reason.takeIf { personalised && r.matched.isNotEmpty() && it.isNotBlank() },
                score = r.score,
            )
        }
        val slot: FeedRow = if (selectAd) {
            selectFeedAd(e)
        } else {
            feed.rows.firstOrNull { it is FeedRow.Ad || it is FeedRow.EmptyAdSlot } ?: selectFeedAd(e)
        }
        val rows = stories.map<ArticleCard, FeedRow> { FeedRow.Story(it) }.toMutableList()
        rows.add(settings.adSlotAfter.coerceIn(0, rows.size), slot)
        return FeedState(rows = rows, personalised = personalised, builtAtMs = now)
    }

    private fun selectFeedAd(e: Engine): FeedRow {
        val response = e.selectAds(
            AdRequest(
                placementId = FEED_PLACEMENT,
                slots = 1u,
                context = AdContext(
                    locale = settings.locale,
                    country = settings.country,
                    appSection = "home",
                    os = Os.ANDROID,
                    utcOffsetMinutes = settings.utcOffsetMinutes,
                ),
            ),
        )
        val choice = response.choices.firstOrNull() ?: return FeedRow.EmptyAdSlot(describe(response.noFill))
        return FeedRow.Ad(choice.toCard())
    }

    private fun AdChoice.toCard(): AdCard {
        why.interests.forEach { labels[it.topicId] = it.label }
        return AdCard(
            token = token,
            advertiserId = advertiserId,
            advertiserName = advertiserName,
            title = creative.title,
            body = creative.body,
            callToAction = creative.callToAction,
            clickUrl = creative.clickUrl,
            imageUrl = creative.imageUrl,
            kind = creative.kind.name.lowercase(),
            why = WhyAd(
                basis = when (why.basis) {
                    Basis.INTERESTS -> AdBasis.INTERESTS
                    Basis.CONTEXT -> AdBasis.CONTEXT
                    Basis.UNTARGETED -> AdBasis.UNTARGETED
                    Basis.EXPLORATION -> AdBasis.EXPLORATION
                },
                text = why.text,
                interests = why.interests.map { WhyInterest(it.topicId, it.label, it.weight) },
                traits = why.traits,
                pageTopics = why.pageTopics,
            ),
        )
    }

    private fun advertiserName(advertiserId: String): String? =
        feed.ad?.takeIf { it.advertiserId == advertiserId }?.advertiserName
            ?: mutableState.value.history.firstOrNull { it.advertiserId == advertiserId }?.advertiserName

    private fun prepareClockLocked() {
        if (manualClock != null) return
        when (val c = settings.clock) {
            ClockChoice.System -> Unit
            is ClockChoice.Manual -> manualClock = ManualClock(c.startMs)
            is ClockChoice.Shifted -> {
                clockOffsetMs = c.offsetFile.takeIf { it.exists() }?.readText()?.trim()?.toLongOrNull() ?: 0L
                manualClock = ManualClock(c.realTimeMs() + clockOffsetMs)
            }
        }
    }

    /** A [ClockChoice.Shifted] clock follows real time: set it before every call. */
    private fun syncClockLocked() {
        val c = settings.clock
        if (c is ClockChoice.Shifted) manualClock?.set(c.realTimeMs() + clockOffsetMs)
    }

    private fun moveClockLocked(deltaMs: Long): Boolean {
        val clock = manualClock ?: return false
        when (val c = settings.clock) {
            ClockChoice.System -> return false
            is ClockChoice.Manual -> clock.advance(deltaMs)
            is ClockChoice.Shifted -> {
                clockOffsetMs += deltaMs
                writeAtomically(c.offsetFile, clockOffsetMs.toString().toByteArray(Charsets.UTF_8))
                clock.set(c.realTimeMs() + clockOffsetMs)
            }
        }
        return true
    }

    private fun nowMs(): Long = manualClock?.nowMs() ?: System.currentTimeMillis()

    private companion object {
        const val FEED_PLACEMENT = "home-feed"

        fun modeOf(c: ClockChoice): ClockMode = when (c) {
            ClockChoice.System -> ClockMode.SYSTEM
            is ClockChoice.Manual -> ClockMode.MANUAL
            is ClockChoice.Shifted -> ClockMode.SHIFTED
        }

        fun describe(noFill: NoFill?): String = when (noFill) {
            NoFill.ConsentOff -> "Ads are off: consent is off."
            NoFill.NoCatalog -> "No ad catalog is installed."
            NoFill.CatalogExpired -> "The ad catalog has expired."
            NoFill.HourlyLimit -> "You have seen enough ads this hour."
            NoFill.DailyLimit -> "You have seen enough ads today."
            is NoFill.TooSoon -> "The next ad can appear in ${(noFill.retryAfterMs + 999) / 1000} s."
            NoFill.NoEligibleAd -> "No ad in the catalog fits this screen."
            null -> "No ad."
        }

        fun Consent.toChoice(): ConsentChoice = when (this) {
            Consent.PERSONALISED -> ConsentChoice.PERSONALISED
            Consent.CONTEXTUAL_ONLY -> ConsentChoice.CONTEXTUAL_ONLY
            Consent.OFF -> ConsentChoice.OFF
        }

        fun ConsentChoice.toSdk(): Consent = when (this) {
            ConsentChoice.PERSONALISED -> Consent.PERSONALISED
            ConsentChoice.CONTEXTUAL_ONLY -> Consent.CONTEXTUAL_ONLY
            ConsentChoice.OFF -> Consent.OFF
        }

        fun String.utf8Size(): Int = toByteArray(Charsets.UTF_8).size
    }
}
