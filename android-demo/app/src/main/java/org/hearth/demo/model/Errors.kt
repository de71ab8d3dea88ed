package org.hearth.demo.model

import org.hearth.sdk.HearthException

/**
 * A failure the UI can show and act on. Built from the SDK's typed
 * `HearthException` (one subclass per case an app acts on), so the UI never
 * parses messages. [detail] is the SDK's human-readable text
 * (`HearthException.toString()`, the Rust `Display`).
 */
sealed interface DemoError {
    /** A short headline for the user. */
    val title: String

    /** The technical detail (for a "details" line or a log). */
    val detail: String

    /**
     * True if [HearthDemo.eraseAndStartOver] is the way out (the stored
     * profile is unreadable; erasing it loses nothing that could be read).
     */
    val canStartOver: Boolean get() = false

    /** The stored state was written with a different key (`StoreWrongKey`). */
    data class WrongKey(val path: String, override val detail: String) : DemoError {
        override val title: String get() = "Your Hearth data is locked with a different key"
        override val canStartOver: Boolean get() = true
    }

    /**
     * The stored state is damaged, tampered with, cut off, or from a newer
     * version (`StoreTampered`, `StoreCorrupted`, `StoreTruncated`,
     * `StoreUnsupportedVersion`: [kind]).
     */
    data class StoreUnreadable(val kind: String, val path: String, override val detail: String) : DemoError {
        override val title: String get() = "Your Hearth data cannot be read"
        override val canStartOver: Boolean get() = true
    }

    /** The key provider could not recover the store key ([KeyUnavailableException]). */
    data class KeyUnavailable(override val detail: String) : DemoError {
        override val title: String get() = "The key for your Hearth data is gone"
        override val canStartOver: Boolean get() = true
    }

    /**
     * The catalog was refused (`CatalogBadSignature`, `CatalogUntrustedKey`,
     * `CatalogExpired`, ...: [kind]); the previous catalog, if any, stays.
     */
    data class CatalogRejected(val kind: String, override val detail: String) : DemoError {
        override val title: String get() = "The ad catalog was refused"
    }

    /** An ad's token is no longer valid (`AdTokenExpired`, `InvalidAdToken`), e.g. after a reset. */
    data class StaleAd(override val detail: String) : DemoError {
        override val title: String get() = "That ad is no longer available"
    }

    /** Anything else, while doing [action]. [kind] is the SDK error's name. */
    data class Failed(val action: String, val kind: String, override val detail: String) : DemoError {
        override val title: String get() = "Could not $action"
    }

    companion object {
        /** The [DemoError] for [e], thrown while doing [action] ("open Hearth", "hide the advertiser"). */
        fun from(action: String, e: Throwable): DemoError {
            val kind = e::class.simpleName ?: "Exception"
            return when (e) {
                is HearthException -> {
                    val detail = e.toString()
                    when (e) {
                        is HearthException.StoreWrongKey -> WrongKey(e.path, detail)
                        is HearthException.StoreTampered -> StoreUnreadable(kind, e.path, detail)
                        is HearthException.StoreCorrupted -> StoreUnreadable(kind, e.path, detail)
                        is HearthException.StoreTruncated -> StoreUnreadable(kind, e.path, detail)
                        is HearthException.StoreUnsupportedVersion -> StoreUnreadable(kind, e.path, detail)
                        is HearthException.CatalogTooLarge,
                        is HearthException.CatalogTruncated,
                        is HearthException.CatalogMalformed,
                        is HearthException.CatalogUnsupportedFormat,
                        is HearthException.CatalogUntrustedKey,
                        is HearthException.CatalogBadSignature,
                        is HearthException.CatalogDowngrade,
                        is HearthException.CatalogExpired,
                        is HearthException.CatalogTaxonomyMismatch,
                        is HearthException.CatalogInvalid,
                        -> CatalogRejected(kind, detail)
                        is HearthException.AdTokenExpired,
                        is HearthException.InvalidAdToken,
                        -> StaleAd(detail)
                        else -> Failed(action, kind, detail)
                    }
                }
                is KeyUnavailableException -> KeyUnavailable(listOfNotNull(e.message, e.cause?.toString()).joinToString(": "))
                else -> Failed(action, kind, e.message ?: e.toString())
            }
        }
    }
}
