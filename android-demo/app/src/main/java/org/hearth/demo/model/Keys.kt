package org.hearth.demo.model

import java.io.File
import java.io.IOException
import java.security.GeneralSecurityException
import java.security.SecureRandom
import javax.crypto.Cipher
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/** Length of Hearth's store key in bytes (`EngineConfig.key`). */
const val STORE_KEY_BYTES = 32

/**
 * A key provider that always returns the same key. For tests and the console
 * demo, where there is no Keystore; never ship a hard-coded key in an app.
 */
class FixedKeyProvider(key: ByteArray) : KeyProvider {
    private val key = key.copyOf()

    init {
        require(key.size == STORE_KEY_BYTES) { "a store key has $STORE_KEY_BYTES bytes, not ${key.size}" }
    }

    override fun storeKey(): ByteArray = key.copyOf()

    companion object {
        /** A provider of a fresh random key (`SecureRandom`). */
        fun random(): FixedKeyProvider = FixedKeyProvider(randomBytes(STORE_KEY_BYTES))
    }
}

/**
 * Encrypts and decrypts a small secret (the store key) with a key the app
 * cannot read. On Android the wrapping key lives in the Android Keystore
 * (hardware-backed where available) and never leaves it.
 */
interface KeyWrapper {
    /** Encrypt [plain]; the result is what gets stored. */
    fun wrap(plain: ByteArray): ByteArray

    /** Decrypt what [wrap] produced. @throws GeneralSecurityException if it does not authenticate. */
    fun unwrap(wrapped: ByteArray): ByteArray
}

/**
 * AES-256-GCM wrapping with a [SecretKey] from any JCA provider: the
 * `AndroidKeyStore` provider on a phone (see
 * `org.hearth.demo.platform.KeystoreKeys`), a software key in tests. Uses only
 * `javax.crypto`, which Android and the JVM both have.
 *
 * Wrapped format: `[1][iv length][iv][ciphertext + 16-byte tag]`; the IV is
 * chosen by the cipher (the Keystore insists on choosing it itself), and the
 * fixed associated data binds the blob to its purpose.
 *
 * @param secretKey returns the wrapping key, creating it on first use; called
 *   on every wrap and unwrap (cheap: the Keystore returns a handle).
 */
class AesGcmKeyWrapper(private val secretKey: () -> SecretKey) : KeyWrapper {
    override fun wrap(plain: ByteArray): ByteArray {
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.ENCRYPT_MODE, secretKey())
        cipher.updateAAD(AAD)
        val iv = cipher.iv
        val sealed = cipher.doFinal(plain)
        return byteArrayOf(FORMAT, iv.size.toByte()) + iv + sealed
    }

    override fun unwrap(wrapped: ByteArray): ByteArray {
        if (wrapped.size < 2 || wrapped[0] != FORMAT) throw GeneralSecurityException("not a wrapped key (format)")
        val ivLen = wrapped[1].toInt() and 0xff
        if (ivLen !in 12..16 || wrapped.size < 2 + ivLen + TAG_BITS / 8) {
            throw GeneralSecurityException("not a wrapped key (length)")
        }
        val iv = wrapped.copyOfRange(2, 2 + ivLen)
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.DECRYPT_MODE, secretKey(), GCMParameterSpec(TAG_BITS, iv))
        cipher.updateAAD(AAD)
        return cipher.doFinal(wrapped, 2 + ivLen, wrapped.size - 2 - ivLen)
    }

    private companion object {
        const val TRANSFORMATION = "AES/GCM/NoPadding"
        const val TAG_BITS = 128
        const val FORMAT: Byte = 1
        val AAD = "hearth-store-key/1".toByteArray(Charsets.UTF_8)
    }
}

/**
 * The app's key provider: a random 32-byte Hearth key, generated once,
 * wrapped by [wrapper] and kept in [file] (on Android in `noBackupFilesDir`,
 * so neither the wrapped key nor the profile goes to a cloud backup, where the
 * Keystore key could not follow them anyway).
 *
 * The Android Keystore never hands out key bytes, so it cannot hold Hearth's
 * key directly; it holds an AES-GCM key that encrypts it. If that key is gone
 * (app data cleared, device restored, key invalidated), [storeKey] throws
 * [KeyUnavailableException] and the stored profile is unreadable: the app
 * erases it and starts over ([HearthDemo.eraseAndStartOver] calls [discard]).
 */
class WrappedKeyFileProvider(
    private val file: File,
    private val wrapper: KeyWrapper,
    private val random: SecureRandom = SecureRandom(),
) : KeyProvider {
    private val lock = Any()

    override fun storeKey(): ByteArray = synchronized(lock) {
        if (file.exists()) {
            val key = try {
                wrapper.unwrap(file.readBytes())
            } catch (e: GeneralSecurityException) {
                throw KeyUnavailableException("the wrapped store key in ${file.name} cannot be unwrapped", e)
            } catch (e: IOException) {
                throw KeyUnavailableException("the wrapped store key in ${file.name} cannot be read", e)
            }
            if (key.size != STORE_KEY_BYTES) {
                key.fill(0)
                throw KeyUnavailableException("the wrapped store key in ${file.name} has the wrong length")
            }
            return key
        }
        val key = ByteArray(STORE_KEY_BYTES).also(random::nextBytes)
        writeAtomically(file, wrapper.wrap(key))
        key
    }

    override fun discard() {
        synchronized(lock) { file.delete() }
    }
}

/** Write [bytes] to [file] through a synced temporary file and a rename, so a crash never leaves half a file. */
internal fun writeAtomically(file: File, bytes: ByteArray) {
    file.parentFile?.mkdirs()
    val tmp = File(file.parentFile, ".${file.name}.tmp")
    tmp.outputStream().use { out ->
        out.write(bytes)
        out.fd.sync()
    }
    // rename(2): atomic, replaces an existing file (java.nio.file needs API 26).
    if (!tmp.renameTo(file)) throw IOException("cannot rename $tmp to $file")
}

internal fun randomBytes(n: Int): ByteArray = ByteArray(n).also(SecureRandom()::nextBytes)
