package org.hearth.demo.model

import java.io.File

// The four things the demo's model needs from its host, as plain interfaces.
// The Android app implements them with the Keystore, the APK's assets, Logcat
// and the system clock (package org.hearth.demo.platform); the console demo and
// the tests implement them with files, fixed keys and a simulated clock. No
// android.* type appears in this package, so it compiles and runs on a plain JVM.

/**
 * Supplies the 32-byte key that encrypts Hearth's state at rest.
 *
 * Hearth never stores its key: the app keeps it in the platform's key store
 * and hands it to `Engine.open` on every launch. The same key must come back
 * on every call and every launch; with any other key the stored profile cannot
 * be read (`HearthException.StoreWrongKey`, surfaced as [DemoError.WrongKey]).
 *
 * Implementations: [WrappedKeyFileProvider] (the app's: a random key wrapped by
 * a non-exportable Android Keystore key), [FixedKeyProvider] (tests, console).
 */
interface KeyProvider {
    /**
     * The store key, exactly 32 bytes. **Blocking** (may read a file and use
     * the Keystore): called by [HearthDemo.start] on its background dispatcher.
     * The caller wipes the returned array after use, so return a fresh copy.
     *
     * @throws KeyUnavailableException if the key exists but cannot be
     *   recovered (e.g. the Keystore key was invalidated).
     */
    fun storeKey(): ByteArray

    /**
     * Forget the key, so the next [storeKey] makes a new one. Called by
     * [HearthDemo.eraseAndStartOver] after the stored state was erased.
     * Default: nothing to forget.
     */
    fun discard() {}
}

/** The store key exists but cannot be recovered; the stored profile is lost. */
class KeyUnavailableException(message: String, cause: Throwable? = null) : Exception(message, cause)

/**
 * Where the signed ad catalog comes from, and which publisher keys sign it.
 *
 * The SDK does no networking: a real app downloads the bundle from its ad
 * network and passes the bytes to `Engine.installCatalog`, which verifies the
 * Ed25519 signature against `EngineConfig.trustedKeys` before using anything
 * in it. The demo ships the bundle as an asset (built and signed at build time
 * by `scripts/build-android.sh`), so its "download" is reading that asset.
 *
 * Implementations: [FileCatalogSource], [StreamCatalogSource] (the app passes
 * `AssetManager.open`).
 */
interface CatalogSource {
    /** A short description for the UI and logs, e.g. `asset hearth/sample.bundle`. */
    val description: String

    /**
     * The Ed25519 public keys (32 bytes each) whose catalogs the app accepts:
     * `EngineConfig.trustedKeys`. A real app compiles these in; the demo
     * reads the key that signed its asset. **Blocking.**
     */
    fun trustedKeys(): List<ByteArray>

    /** The signed bundle, byte for byte as downloaded. **Blocking.** */
    fun bundle(): ByteArray
}

/**
 * Sends one report payload to the collector.
 *
 * The payload is the only data Hearth means to leave the phone; upload it
 * exactly as given (canonical JSON, UTF-8), and only then let
 * [HearthDemo.uploadReports] acknowledge it. The demo's implementation,
 * [UploadLog], appends to a log file instead of talking to a server.
 */
fun interface ReportUploader {
    /**
     * Upload [payload] (the report of UTC day [period], `YYYY-MM-DD`). Return
     * true once the collector has it. Returning false or throwing leaves the
     * report pending; the engine offers the identical bytes again next time.
     * **Blocking** (network I/O in a real app).
     */
    fun upload(period: String, payload: String): Boolean
}

/**
 * Which clock the engine runs on.
 *
 * Hearth closes a report period at the UTC day boundary, so a demo that wants
 * to show "tomorrow's" payload has to let a day pass. Production apps use
 * [System]; the console demo and the tests use [Manual]; the demo app uses
 * [Shifted], real time plus a "skip to tomorrow" offset.
 */
sealed interface ClockChoice {
    /** The device clock (`Engine.open`, no ManualClock): what a production app uses. */
    data object System : ClockChoice

    /**
     * Simulated time that moves only when told ([HearthDemo.advanceClock],
     * [HearthDemo.skipToNextDay]), starting at [startMs] (Unix ms). For the
     * console demo and tests: deterministic and instant.
     */
    data class Manual(val startMs: Long) : ClockChoice

    /**
     * Real time plus an offset that only grows ([HearthDemo.skipToNextDay]),
     * kept in [offsetFile] so it survives restarts. The engine persists the
     * latest time it has seen and never goes back, so a forgotten offset would
     * freeze its time until the real clock caught up; hence the file.
     * For the demo app. [realTimeMs] is injectable for tests.
     */
    data class Shifted(
        val offsetFile: File,
        val realTimeMs: () -> Long = java.lang.System::currentTimeMillis,
    ) : ClockChoice
}
