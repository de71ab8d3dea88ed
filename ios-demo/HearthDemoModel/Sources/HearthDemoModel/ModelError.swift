// What can go wrong, as the screens need it: one case per thing the user or
// the app can act on, mapped from the SDK's typed HearthError.

import Foundation
import Hearth

/// A failure the UI shows. Each case says what the user can do about it.
public enum ModelError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The key provider could not supply the store key (e.g. the Keychain is
    /// locked before the first unlock). Retry later.
    case keyUnavailable(reason: String)
    /// The stored profile was written with a different key (SDK:
    /// `HearthError.StoreWrongKey`). Only ``DemoModel/eraseStorageAndReopen()``
    /// gets the app going again, with an empty profile.
    case storeWrongKey(path: String)
    /// The stored profile is damaged, tampered with, cut off or from a newer
    /// SDK (`StoreTampered`, `StoreCorrupted`, `StoreTruncated`,
    /// `StoreUnsupportedVersion`). Erase and reopen, as for a wrong key.
    case storeUnreadable(reason: String)
    /// Another engine in this process has the storage directory open
    /// (`AlreadyOpen`): a programming error in the app.
    case storeInUse(path: String)
    /// The catalog source failed (no bundle resource, download failed).
    case catalogUnavailable(reason: String)
    /// The catalog was refused (`CatalogBadSignature`, `CatalogUntrustedKey`,
    /// `CatalogExpired`, `CatalogDowngrade`, …). The previous catalog, if
    /// any, stays active.
    case catalogRejected(reason: String)
    /// An ad's token is unknown or too old to record a reaction on
    /// (`InvalidAdToken`, `AdTokenExpired`). Refresh the screen.
    case staleAd
    /// The engine is not open (``DemoModel/open()`` failed or was not called,
    /// or ``DemoModel/close()`` was).
    case notOpen
    /// The report upload failed; the reports stay pending and are retried.
    case uploadFailed(reason: String)
    /// Anything else the SDK reported, with its message.
    case engine(reason: String)

    /// True if erasing the stored data is the way out
    /// (``DemoModel/eraseStorageAndReopen()``).
    public var offersErase: Bool {
        switch self {
        case .storeWrongKey, .storeUnreadable: true
        default: false
        }
    }

    /// A message for the user.
    public var description: String {
        switch self {
        case let .keyUnavailable(reason):
            "The key that protects your data on this phone is not available right now (\(reason))."
        case .storeWrongKey:
            "Your stored profile was encrypted with a different key and cannot be read. Erase it to start over."
        case let .storeUnreadable(reason):
            "Your stored profile cannot be read (\(reason)). Erase it to start over."
        case let .storeInUse(path):
            "The profile at \(path) is already open."
        case let .catalogUnavailable(reason):
            "The ad catalog could not be loaded (\(reason))."
        case let .catalogRejected(reason):
            "The ad catalog was refused: \(reason)."
        case .staleAd:
            "That ad is no longer known; refresh the screen."
        case .notOpen:
            "Hearth is not open."
        case let .uploadFailed(reason):
            "The upload failed (\(reason)); the reports stay pending."
        case let .engine(reason):
            "Hearth: \(reason)"
        }
    }

    /// Maps any error thrown by the SDK (or by a provider) to a model error.
    ///
    /// `HearthError.description` is the SDK's human-readable message (the
    /// Rust `Display` text); note that `localizedDescription` and string
    /// interpolation of a `HearthError` give its debug form instead.
    static func from(_ error: Error) -> ModelError {
        if let e = error as? ModelError { return e }
        guard let h = error as? HearthError else {
            return .engine(reason: "\(error)")
        }
        switch h {
        case let .StoreWrongKey(path):
            return .storeWrongKey(path: path)
        case .StoreTampered, .StoreCorrupted, .StoreTruncated, .StoreUnsupportedVersion:
            return .storeUnreadable(reason: h.description)
        case let .AlreadyOpen(path):
            return .storeInUse(path: path)
        case .CatalogTooLarge, .CatalogTruncated, .CatalogMalformed, .CatalogUnsupportedFormat,
             .CatalogUntrustedKey, .CatalogBadSignature, .CatalogDowngrade, .CatalogExpired,
             .CatalogTaxonomyMismatch, .CatalogInvalid:
            return .catalogRejected(reason: h.description)
        case .InvalidAdToken, .AdTokenExpired:
            return .staleAd
        case .Closed:
            return .notOpen
        default:
            return .engine(reason: h.description)
        }
    }
}
