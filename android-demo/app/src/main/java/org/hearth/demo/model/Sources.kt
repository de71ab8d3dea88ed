package org.hearth.demo.model

import java.io.File
import java.io.InputStream

/**
 * A catalog read through two streams: the signed bundle and the publisher's
 * public key file (hex, one key per line, as `hearth keygen` writes
 * `publisher.pub`). The app passes `AssetManager.open("hearth/sample.bundle")`
 * and `AssetManager.open("hearth/publisher.pub")`.
 */
class StreamCatalogSource(
    override val description: String,
    private val openBundle: () -> InputStream,
    private val openPublisherKeys: () -> InputStream,
) : CatalogSource {
    override fun trustedKeys(): List<ByteArray> =
        openPublisherKeys().use { parsePublicKeys(it.readBytes().toString(Charsets.UTF_8)) }

    override fun bundle(): ByteArray = openBundle().use { it.readBytes() }
}

/**
 * A catalog in two files (the console demo and the tests read the same files
 * that `scripts/build-android.sh` puts into the app's assets).
 */
class FileCatalogSource(private val bundleFile: File, private val publisherKeyFile: File) : CatalogSource {
    override val description: String get() = bundleFile.path

    override fun trustedKeys(): List<ByteArray> = parsePublicKeys(publisherKeyFile.readText())

    override fun bundle(): ByteArray = bundleFile.readBytes()

    companion object {
        /**
         * The demo's asset layout under [assetsDir]: `hearth/sample.bundle` and
         * `hearth/publisher.pub` (see `scripts/android-demo-assets.sh`).
         */
        fun assets(assetsDir: File): FileCatalogSource =
            FileCatalogSource(File(assetsDir, SAMPLE_BUNDLE_ASSET), File(assetsDir, PUBLISHER_KEY_ASSET))
    }
}

/** Asset path of the signed sample catalog. */
const val SAMPLE_BUNDLE_ASSET = "hearth/sample.bundle"

/** Asset path of the hex public key that signed it. */
const val PUBLISHER_KEY_ASSET = "hearth/publisher.pub"

/**
 * Ed25519 public keys from text: one 64-digit hex key per non-blank line;
 * `#` starts a comment.
 */
fun parsePublicKeys(text: String): List<ByteArray> =
    text.lineSequence()
        .map { it.substringBefore('#').trim() }
        .filter { it.isNotEmpty() }
        .map { line ->
            require(line.length == 64 && line.all { it in "0123456789abcdefABCDEF" }) {
                "a public key is 64 hex digits, got \"${line.take(80)}\""
            }
            ByteArray(32) { line.substring(2 * it, 2 * it + 2).toInt(16).toByte() }
        }
        .toList()
