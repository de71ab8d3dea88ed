package org.hearth.demo.platform

import android.content.Context
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import android.util.Log
import java.io.File
import java.security.KeyStore
import java.util.TimeZone
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import org.hearth.demo.model.AesGcmKeyWrapper
import org.hearth.demo.model.ClockChoice
import org.hearth.demo.model.DemoSettings
import org.hearth.demo.model.KeyProvider
import org.hearth.demo.model.PUBLISHER_KEY_ASSET
import org.hearth.demo.model.SAMPLE_BUNDLE_ASSET
import org.hearth.demo.model.StreamCatalogSource
import org.hearth.demo.model.UploadLog
import org.hearth.demo.model.WrappedKeyFileProvider

// The Android side of the model's ports: the Keystore, the APK's assets,
// Logcat. This is the only code in the app besides the UI that touches
// android.*; everything it returns is a plain model type.

private const val TAG = "HearthDemo"

/**
 * The store key from the Android Keystore.
 *
 * The Keystore never reveals key bytes, so it cannot hold Hearth's 32-byte
 * key itself. Instead it holds a non-exportable AES-256-GCM key
 * ([ALIAS], generated on first use, hardware-backed where the device has
 * it) that wraps a random Hearth key; the wrapped key lives in
 * `noBackupFilesDir/hearth-key.bin` ([WrappedKeyFileProvider]).
 */
object KeystoreKeys {
    /** Alias of the wrapping key in the `AndroidKeyStore` provider. */
    const val ALIAS = "org.hearth.demo.store-key-wrapper"

    private const val PROVIDER = "AndroidKeyStore"

    /** The wrapping key, created on first use. Blocking (a Keystore call). */
    fun wrappingKey(): SecretKey {
        val keyStore = KeyStore.getInstance(PROVIDER).apply { load(null) }
        (keyStore.getKey(ALIAS, null) as? SecretKey)?.let { return it }
        val generator = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, PROVIDER)
        generator.init(
            KeyGenParameterSpec.Builder(ALIAS, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
                .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
                .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
                .setKeySize(256)
                // The Keystore picks each IV itself (AesGcmKeyWrapper stores it).
                .setRandomizedEncryptionRequired(true)
                .build(),
        )
        return generator.generateKey()
    }

    /** The app's [KeyProvider]: a random Hearth key wrapped by [wrappingKey]. */
    fun storeKeyProvider(context: Context): KeyProvider =
        WrappedKeyFileProvider(File(context.noBackupFilesDir, "hearth-key.bin"), AesGcmKeyWrapper(::wrappingKey))
}

/**
 * The demo's [DemoSettings] on a phone:
 * - state in `noBackupFilesDir/hearth`, key from [KeystoreKeys];
 * - the signed sample catalog and its publisher key from the APK's assets
 *   (built by scripts/build-android.sh);
 * - uploads appended to `filesDir/uploads.jsonl` and logged to Logcat (tag
 *   `HearthDemo`);
 * - real time plus a "skip to tomorrow" offset kept in
 *   `noBackupFilesDir/demo-clock-offset`, so the privacy dashboard can show a
 *   closed day's report without waiting for midnight UTC;
 * - targeting as a user in Germany (`de-DE`, `DE`): the sample catalog is for
 *   region DE, and its campaigns target German users. A real app passes the
 *   device's locale and region.
 */
fun androidDemoSettings(context: Context): DemoSettings {
    val app = context.applicationContext
    val assets = app.assets
    return DemoSettings(
        storageDir = File(app.noBackupFilesDir, "hearth"),
        keys = KeystoreKeys.storeKeyProvider(app),
        catalog = StreamCatalogSource(
            description = "asset $SAMPLE_BUNDLE_ASSET",
            openBundle = { assets.open(SAMPLE_BUNDLE_ASSET) },
            openPublisherKeys = { assets.open(PUBLISHER_KEY_ASSET) },
        ),
        uploader = UploadLog(File(app.filesDir, "uploads.jsonl")) { Log.i(TAG, it) },
        clock = ClockChoice.Shifted(File(app.noBackupFilesDir, "demo-clock-offset")),
        locale = "de-DE",
        country = "DE",
        utcOffsetMinutes = TimeZone.getDefault().getOffset(System.currentTimeMillis()) / 60_000,
        log = { Log.d(TAG, it) },
    )
}
