// The three things the demo model needs from its host, as protocols: where
// the store key comes from, where the signed catalog comes from, and where
// report payloads go. The iOS app plugs in the Keychain and its bundle
// resources; the console demo and the tests plug in the simple
// implementations below. Foundation only.

import Foundation

// MARK: - store key

/// Supplies the 32-byte key that encrypts Hearth's state at rest.
///
/// The iOS app's implementation (`KeychainKeyProvider`, in the app target,
/// because it needs the Security framework) creates 32 random bytes on first
/// use and keeps them as a generic-password Keychain item with
/// `kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly`, not synchronizable.
/// The console and the tests use ``FixedKeyProvider``.
///
/// Called by ``DemoModel/open()`` (and ``DemoModel/eraseStorageAndReopen()``),
/// off the main actor: Keychain access may block.
public protocol KeyProvider: Sendable {
    /// The store key: exactly 32 bytes, the same on every launch. Create it on
    /// first use. Throw if it cannot be read (e.g. the device has not been
    /// unlocked since boot); the model then shows ``ModelError/keyUnavailable(reason:)``.
    func storeKey() throws -> Data
}

/// A key provider holding one key in memory: for the console demo and tests.
/// (A real app must never hard-code or log its key.)
public struct FixedKeyProvider: KeyProvider {
    /// The key it returns.
    public let key: Data

    /// A provider returning `key` (any length; Hearth rejects anything but 32
    /// bytes when the engine opens).
    public init(key: Data) {
        self.key = key
    }

    /// A provider with a fresh random 32-byte key.
    public static func random() -> FixedKeyProvider {
        var g = SystemRandomNumberGenerator()
        return FixedKeyProvider(key: Data((0 ..< 32).map { _ in UInt8.random(in: 0 ... 255, using: &g) }))
    }

    public func storeKey() throws -> Data {
        key
    }
}

/// A key provider that always fails, as a locked Keychain would: for tests of
/// the error state.
public struct FailingKeyProvider: KeyProvider {
    /// Why it fails.
    public let reason: String

    /// A provider whose ``storeKey()`` throws with `reason`.
    public init(reason: String) {
        self.reason = reason
    }

    public func storeKey() throws -> Data {
        throw DemoIOError(reason)
    }
}

// MARK: - catalog

/// Supplies the signed ad catalog and the publisher keys the app trusts.
///
/// The SDK does no networking: a real app downloads the bundle from its ad
/// network and ships the network's public key(s) in the app. The demo app
/// ships both as bundle resources, produced at build time by
/// `ios-demo/scripts/make-sample-catalog.sh` (never committed); the console and
/// the tests read the fixtures of `scripts/bindings-fixtures.sh`. Both use
/// ``FileCatalogSource``.
public protocol CatalogSource: Sendable {
    /// Ed25519 public keys (32 bytes each) whose signed catalogs are accepted.
    func trustedKeys() throws -> [Data]
    /// The signed catalog bundle, exactly as published. May block (file or
    /// network I/O).
    func catalogBundle() throws -> Data
}

/// A catalog source reading a signed bundle and a publisher key from files:
/// `sample.bundle` (from `hearth catalog build`) and `publisher.pub` (from
/// `hearth keygen`: 32 bytes as 64 hex digits).
public struct FileCatalogSource: CatalogSource {
    /// The signed bundle.
    public let bundleURL: URL
    /// The publisher's public key, hex.
    public let publicKeyURL: URL

    /// A source reading `bundleURL` and `publicKeyURL`.
    public init(bundleURL: URL, publicKeyURL: URL) {
        self.bundleURL = bundleURL
        self.publicKeyURL = publicKeyURL
    }

    /// `sample.bundle` and `publisher.pub` in `directory`.
    public init(directory: URL) {
        self.init(bundleURL: directory.appendingPathComponent("sample.bundle"),
                  publicKeyURL: directory.appendingPathComponent("publisher.pub"))
    }

    public func trustedKeys() throws -> [Data] {
        let text = try String(contentsOf: publicKeyURL, encoding: .utf8)
        guard let key = Hex.decode(text.trimmingCharacters(in: .whitespacesAndNewlines)), key.count == 32 else {
            throw DemoIOError("\(publicKeyURL.lastPathComponent) is not a 32-byte hex public key")
        }
        return [key]
    }

    public func catalogBundle() throws -> Data {
        try Data(contentsOf: bundleURL)
    }
}

/// A catalog source with bytes in memory (e.g. a deliberately damaged bundle
/// in a test).
public struct InMemoryCatalogSource: CatalogSource {
    /// The bundle bytes.
    public let bundle: Data
    /// The trusted keys.
    public let keys: [Data]

    /// A source returning `bundle` and `keys`.
    public init(bundle: Data, keys: [Data]) {
        self.bundle = bundle
        self.keys = keys
    }

    public func trustedKeys() throws -> [Data] {
        keys
    }

    public func catalogBundle() throws -> Data {
        bundle
    }
}

// MARK: - report upload

/// Sends report payloads to the collector.
///
/// Hearth hands the app finished payloads (`PendingReport.payload`: canonical
/// JSON, the exact bytes to send); the app uploads them and then
/// acknowledges each one. ``DemoModel/uploadPendingReports()`` calls
/// ``upload(period:payload:)`` for each pending report and acknowledges it
/// only if the call returned, so a failed upload is retried next time.
///
/// The demo never talks to a server: ``LogReportUploader`` appends each
/// payload to a local log instead.
public protocol ReportUploader: Sendable {
    /// Upload one payload, byte for byte. Throw to leave it pending. Blocking.
    func upload(period: String, payload: String) throws
    /// The payloads uploaded so far, oldest first, for the privacy dashboard.
    /// A real uploader may return an empty list.
    func uploadedPayloads() -> [String]
    /// Where the uploads go, for display (a file path or a URL).
    var destination: String { get }
}

/// The demo's "collector": appends every uploaded payload as one line to a
/// file (JSON Lines). The file is exactly what a collector would have
/// received, so an auditor can check it with `hearth audit FILE`.
public final class LogReportUploader: ReportUploader, @unchecked Sendable {
    /// The log file.
    public let fileURL: URL
    private let lock = NSLock()

    /// A log at `fileURL` (created on the first upload; appended to after).
    public init(fileURL: URL) {
        self.fileURL = fileURL
    }

    public var destination: String {
        fileURL.path
    }

    public func upload(period _: String, payload: String) throws {
        // A payload is canonical JSON on one line; a line break would corrupt
        // the log's framing, so refuse it (and keep the report pending).
        guard !payload.contains("\n") else {
            throw DemoIOError("a payload must be one line")
        }
        lock.lock()
        defer { lock.unlock() }
        let line = Data((payload + "\n").utf8)
        if let handle = try? FileHandle(forWritingTo: fileURL) {
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: line)
        } else {
            try FileManager.default.createDirectory(at: fileURL.deletingLastPathComponent(),
                                                    withIntermediateDirectories: true)
            try line.write(to: fileURL, options: .atomic)
        }
    }

    public func uploadedPayloads() -> [String] {
        lock.lock()
        defer { lock.unlock() }
        guard let data = try? Data(contentsOf: fileURL) else { return [] }
        return String(decoding: data, as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: true)
            .map(String.init)
    }
}

// MARK: - helpers

/// An I/O or provider failure with a message for the user.
public struct DemoIOError: Error, CustomStringConvertible, Sendable {
    /// The message.
    public let description: String

    /// An error saying `description`.
    public init(_ description: String) {
        self.description = description
    }
}

/// Hex decoding for publisher keys.
enum Hex {
    /// The bytes of an even-length hex string, or nil if it is not one.
    static func decode(_ s: String) -> Data? {
        let chars = Array(s.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out = Data(capacity: chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0") ... UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a") ... UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A") ... UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
