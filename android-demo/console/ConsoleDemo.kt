// The console front end of the Hearth Android demo: the same model layer as
// the app (android-demo/app/src/main/java/org/hearth/demo/model), driven from a
// plain Kotlin `main` on the JVM, printing the story the app's screens show.
//
// Run it with scripts/demo-android-console.sh (builds everything it needs).
// By hand:
//   java -Djna.library.path=target/release -cp <classes>:<kotlin-stdlib>:<coroutines>:<jna> \
//       org.hearth.demo.console.ConsoleDemoKt --assets DIR [--dir STATE_DIR] [--seed N] [--verbose]
// where DIR holds hearth/sample.bundle and hearth/publisher.pub (the app's
// assets, built by scripts/android-demo-assets.sh).

package org.hearth.demo.console

import java.io.File
import java.nio.file.Files
import java.time.Instant
import java.time.ZoneOffset
import java.time.format.DateTimeFormatter
import kotlin.system.exitProcess
import kotlinx.coroutines.runBlocking
import org.hearth.demo.model.AdCard
import org.hearth.demo.model.ClockChoice
import org.hearth.demo.model.ConsentChoice
import org.hearth.demo.model.DAY_MS
import org.hearth.demo.model.DemoSettings
import org.hearth.demo.model.DemoState
import org.hearth.demo.model.FeedRow
import org.hearth.demo.model.FileCatalogSource
import org.hearth.demo.model.FixedKeyProvider
import org.hearth.demo.model.HOUR_MS
import org.hearth.demo.model.HearthDemo
import org.hearth.demo.model.Phase
import org.hearth.demo.model.SampleContent
import org.hearth.demo.model.UploadLog

private val TIME: DateTimeFormatter = DateTimeFormatter.ofPattern("EEE yyyy-MM-dd HH:mm 'UTC'").withZone(ZoneOffset.UTC)

private fun time(ms: Long): String = TIME.format(Instant.ofEpochMilli(ms))

private val HHMM: DateTimeFormatter = DateTimeFormatter.ofPattern("HH:mm").withZone(ZoneOffset.UTC)

private fun clock(demo: HearthDemo): String = HHMM.format(Instant.ofEpochMilli(demo.state.value.clock.nowMs))

/** Exit with a message when the story cannot go on (a bug, or a broken setup). */
private fun fail(msg: String): Nothing {
    System.err.println("console demo: $msg")
    exitProcess(1)
}

private fun HearthDemo.now(): DemoState = state.value

/** The error of the last action, if any, as a failure of the demo. */
private fun HearthDemo.ok(what: String) {
    state.value.lastError?.let { fail("$what failed: ${it.title} (${it.detail})") }
}

private fun printFeed(s: DemoState, limit: Int = 6) {
    var n = 0
    for (row in s.feed.rows) {
        when (row) {
            is FeedRow.Story -> {
                n++
                if (n > limit) continue
                val why = row.article.reason?.let { " — $it" } ?: ""
                println("     $n. [${row.article.section}] ${row.article.title}$why")
            }
            is FeedRow.Ad -> printAd(row.ad, "     ")
            is FeedRow.EmptyAdSlot -> println("     [ad slot] (no ad: ${row.reason})")
        }
    }
    if (n > limit) println("     … and ${n - limit} more stories")
}

private fun printAd(ad: AdCard, indent: String) {
    println("$indent[Ad · ${ad.advertiserName}] \"${ad.title}\" — ${ad.callToAction}")
    println("$indent   Why this ad? ${ad.why.text}")
    val parts = buildList {
        add("basis: ${ad.why.basis.label}")
        if (ad.why.interests.isNotEmpty()) {
            add("your interests: " + ad.why.interests.joinToString { "%s (%.2f)".format(it.label, it.weight) })
        }
        if (ad.why.traits.isNotEmpty()) add("traits: " + ad.why.traits.joinToString())
        if (ad.why.pageTopics.isNotEmpty()) add("on screen: " + ad.why.pageTopics.joinToString())
    }
    println("$indent   (${parts.joinToString("; ")})")
}

private fun bar(share: Double): String = "█".repeat((share * 20).toInt().coerceIn(0, 20)).padEnd(20)

fun main(args: Array<String>) {
    var assets: File? = null
    var stateDir: File? = null
    var verbose = false
    var seed = 1uL
    var i = 0
    while (i < args.size) {
        when (args[i]) {
            "--assets" -> assets = File(args.getOrNull(++i) ?: fail("--assets needs a directory"))
            "--dir" -> stateDir = File(args.getOrNull(++i) ?: fail("--dir needs a directory"))
            "-v", "--verbose" -> verbose = true
            "--seed" -> seed = args.getOrNull(++i)?.toULongOrNull() ?: fail("--seed needs a number")
            "-h", "--help" -> {
                println("usage: ConsoleDemo --assets DIR [--dir STATE_DIR] [--seed N] [--verbose]")
                return
            }
            else -> fail("unknown argument ${args[i]}")
        }
        i++
    }
    val assetsDir = assets ?: fail("--assets DIR is required (the app's assets: hearth/sample.bundle, hearth/publisher.pub)")
    val tmp = if (stateDir == null) Files.createTempDirectory("hearth-console-").toFile() else null
    val root = stateDir ?: tmp!!
    try {
        runBlocking { story(assetsDir, root, verbose, seed) }
    } finally {
        tmp?.deleteRecursively()
    }
}

private suspend fun story(assetsDir: File, root: File, verbose: Boolean, seed: ULong) {
    // 08:00 UTC today: a simulated clock, so a day can pass in a second.
    val start = Math.floorDiv(System.currentTimeMillis(), DAY_MS) * DAY_MS + 8 * HOUR_MS
    val uploads = File(root, "uploads.jsonl")
    val settings = DemoSettings(
        storageDir = File(root, "hearth"),
        // The app: WrappedKeyFileProvider + an Android Keystore AES-GCM key.
        keys = FixedKeyProvider.random(),
        catalog = FileCatalogSource.assets(assetsDir),
        uploader = UploadLog(uploads) { println("   [upload log] $it") },
        clock = ClockChoice.Manual(start),
        selectionSeed = seed,
        log = { if (verbose) System.err.println("[model] $it") },
    )
    val demo = HearthDemo(settings)
    demo.use { story(it, settings, uploads) }
}

private suspend fun story(demo: HearthDemo, settings: DemoSettings, uploads: File) {
    println("Hearth Android demo — console front end (the app's model layer, on the JVM).")
    println("Everything below runs on this \"phone\"; the only bytes that leave it go to an upload log.\n")

    demo.start()
    val started = demo.now()
    val phase = started.phase
    if (phase is Phase.Failed) fail("start failed: ${phase.error.title} (${phase.error.detail})")
    demo.ok("start")
    val cat = started.catalog ?: fail("no catalog after start")
    println("1. The app starts (${time(started.clock.nowMs)}, simulated clock).")
    println("   Store: ${settings.storageDir} (encrypted; the app's key comes from the Android Keystore).")
    println(
        "   Ad catalog from the app's assets (${cat.source}): ${cat.installNote}; verified on the phone: " +
            "signed by key ${cat.keyId}, region ${cat.region}, ${cat.campaigns} campaigns, ${cat.creatives} creatives.",
    )
    println("   Consent starts as: ${started.consent.label}. ${started.consent.explanation}")
    demo.setConsent(ConsentChoice.PERSONALISED)
    demo.ok("consent")
    println("   The user opts in → consent: ${demo.now().consent.label}.\n")

    println("2. A day of reading (each read is a content view with its dwell time):")
    val reads = listOf(
        "first-marathon" to 240_000L, "matchday-berlin" to 90_000L, "celebrity-week" to 30_000L,
        "runner-strength" to 180_000L, "phones-under-500" to 60_000L, "matchday-berlin" to 60_000L,
        "first-marathon" to 120_000L, "celebrity-week" to 40_000L, "runner-strength" to 90_000L,
    )
    for ((id, dwell) in reads) {
        demo.advanceClock(47 * 60_000L)
        val out = demo.readArticle(id, dwell) ?: fail("read $id failed")
        demo.ok("read")
        val title = SampleContent.byId(id)!!.title
        println("   ${clock(demo)}  reads \"$title\" for ${dwell / 1000} s${if (out.learned) "" else " (not learned)"}")
    }

    demo.advanceClock(HOUR_MS)
    demo.refreshFeed()
    demo.ok("refresh")
    val feedState = demo.now()
    println("\n3. The home feed, ranked by Hearth on the phone (${time(feedState.clock.nowMs)}):")
    printFeed(feedState)
    val ad = feedState.feed.ad ?: fail("no ad in the feed: ${feedState.feed.rows}")
    demo.adShown(ad.token)
    demo.ok("impression")
    println("   (The ad card is on screen: impression recorded.)")

    println("\n4. Your interests (learned on the phone, each with its reason):")
    for (row in demo.now().interests.take(6)) {
        println("   ${bar(row.share)} %5.2f  ${row.path}".format(row.weight))
        println("   ${" ".repeat(20)}        ${row.reason}")
    }

    val hidden = ad.advertiserName
    demo.hideAdvertiser(ad.token)
    demo.ok("hide")
    println("\n5. The user taps \"Hide ads from $hidden\" on the ad.")
    println("   Feed slot now: ${(demo.now().feed.rows.first { it !is FeedRow.Story } as? FeedRow.EmptyAdSlot)?.reason}")
    println("   The feed over the next hour, every 10 minutes:")
    var seenHidden = false
    repeat(6) { n ->
        demo.advanceClock(10 * 60_000L)
        demo.refreshFeed()
        demo.ok("refresh")
        val next = demo.now().feed.ad
        if (next != null) {
            seenHidden = seenHidden || next.advertiserId == ad.advertiserId
            demo.adShown(next.token)
            println("   +${(n + 1) * 10} min: ${next.advertiserName}: \"${next.title}\" (${next.why.basis.label.lowercase()})")
        } else {
            val empty = demo.now().feed.rows.filterIsInstance<FeedRow.EmptyAdSlot>().firstOrNull()
            println("   +${(n + 1) * 10} min: (no ad: ${empty?.reason})")
        }
    }
    if (seenHidden) fail("the hidden advertiser $hidden was shown again")
    println("   $hidden no longer appears. Ads you've seen: ${demo.now().history.size}, hidden advertisers: " +
        demo.now().history.filter { it.advertiserHidden }.map { it.advertiserName }.distinct())

    val popCulture = demo.now().interests.firstOrNull { it.path == "Pop Culture" }
        ?: fail("no Pop Culture interest to remove: ${demo.now().interests.map { it.path }}")
    demo.removeInterest(popCulture.topicId)
    demo.ok("remove interest")
    println("\n6. The user doesn't want gossip in the profile and removes \"${popCulture.label}\" (with its subtopics).")
    val again = demo.readArticle("celebrity-week", 30_000L) ?: fail("read failed")
    println(
        "   Next gossip read: ${again.suppressedDropped} topic(s) dropped as removed; Pop Culture in interests: " +
            "${demo.now().interests.any { it.path.startsWith("Pop Culture") }}; removed topics: " +
            demo.now().removedTopics.map { it.label } + ".",
    )

    println("\n7. Privacy dashboard, today: ${demo.now().privacy.pending.size} payload(s) pending " +
        "(a day's report closes at midnight UTC); remaining epsilon %.1f of %.1f per metric this week."
            .format(demo.now().privacy.budget?.remaining, demo.now().privacy.budget?.weeklyCap))
    demo.skipToNextDay()
    demo.ok("next day")
    val privacy = demo.now().privacy
    println("   Next morning (${time(demo.now().clock.nowMs)}): ${privacy.pending.size} payload(s) pending.")
    for (p in privacy.pending) {
        println("   pending payload, period ${p.period}, ${p.bytes} bytes — exactly as it will be uploaded:")
        println("   ${p.json}")
    }
    val audit = privacy.audit ?: fail("no audit verdict")
    println("   Auditor on the phone (the same code as `hearth audit`, max ε ${audit.maxEpsilon} per metric):")
    println("   ${audit.summary}")
    audit.violations.forEach { println("     payload ${it.index}: ${it.rule}: ${it.detail}") }
    val budget = privacy.budget ?: fail("no budget")
    for (m in budget.metrics) {
        println(
            "   privacy budget, ${m.metric}: spent %.1f of %.1f over the last 7 days, remaining epsilon %.1f (ε = %.1f per day)"
                .format(m.spentLast7Days, budget.weeklyCap, m.remaining, budget.epsilonPerDay),
        )
    }
    val uploaded = demo.uploadReports() ?: fail("upload failed")
    demo.ok("upload")
    val after = demo.now().privacy
    println(
        "   The upload job sent $uploaded payload(s) to the log (${uploads.name}, ${after.uploads.size} line(s)) and acknowledged them: " +
            "pending ${after.pending.size}, sent ${after.sent.size}.",
    )
    val identical = after.uploads.map { it.payload } == privacy.pending.map { it.json }
    println("   The log holds exactly the pending bytes: $identical")
    if (!identical) fail("upload log differs from the pending payloads")

    demo.setConsent(ConsentChoice.OFF)
    demo.ok("consent off")
    val off = demo.now()
    println("\n8. The user switches consent off: interests ${off.interests.size}, ad history ${off.history.size}; " +
        "feed ad slot: ${off.feed.rows.filterIsInstance<FeedRow.EmptyAdSlot>().firstOrNull()?.reason}")
    demo.reset()
    demo.ok("reset")
    val reset = demo.now()
    println(
        "9. Reset: all user data erased; consent back to ${reset.consent.label}; catalog kept (version ${reset.catalog?.version}); " +
            "interests ${reset.interests.size}.",
    )
    println("\nDone: the same story as the app's screens; the only bytes meant to leave the phone are the payloads in step 7.")
}
