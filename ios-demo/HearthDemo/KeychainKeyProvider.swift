// The store key from the iOS Keychain: 32 random bytes created on first use,
// kept as a generic-password item that is readable after the first unlock
// since boot, on this device only, and never synchronised to iCloud Keychain.

import Foundation
@preconcurrency import Security
import HearthDemoModel

/// A ``KeyProvider`` backed by the Keychain.
struct KeychainKeyProvider: KeyProvider {
    /// The Keychain item's service and account.
    let service = "org.hearth.demo"
    let account = "hearth-store-key"

    /// A Keychain failure, with its OSStatus.
    struct KeychainError: Error, CustomStringConvertible {
        let operation: String
        let status: OSStatus

        var description: String {
            let message = SecCopyErrorMessageString(status, nil) as String? ?? "OSStatus \(status)"
            return "Keychain \(operation): \(message)"
        }
    }

    func storeKey() throws -> Data {
        if let key = try read() {
            return key
        }
        var key = Data(count: 32)
        let rc = key.withUnsafeMutableBytes { buffer in
            SecRandomCopyBytes(nil, 32, buffer.baseAddress!) // nil = kSecRandomDefault
        }
        guard rc == errSecSuccess else { throw KeychainError(operation: "random", status: rc) }
        var item = baseQuery()
        item[kSecAttrAccessible as String] = kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly
        item[kSecValueData as String] = key
        let status = SecItemAdd(item as CFDictionary, nil)
        if status == errSecDuplicateItem, let existing = try read() {
            return existing // created concurrently
        }
        guard status == errSecSuccess else { throw KeychainError(operation: "add", status: status) }
        return key
    }

    /// Deletes the key (e.g. for a "start from scratch" developer action).
    /// The stored profile becomes unreadable; erase it too.
    func deleteKey() throws {
        let status = SecItemDelete(baseQuery() as CFDictionary)
        guard status == errSecSuccess || status == errSecItemNotFound else {
            throw KeychainError(operation: "delete", status: status)
        }
    }

    private func baseQuery() -> [String: Any] {
        [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: account,
            kSecAttrSynchronizable as String: false,
        ]
    }

    private func read() throws -> Data? {
        var query = baseQuery()
        query[kSecReturnData as String] = true
        query[kSecMatchLimit as String] = kSecMatchLimitOne
        var result: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &result)
        if status == errSecItemNotFound {
            return nil
        }
        guard status == errSecSuccess else {
            // errSecInteractionNotAllowed: the device has not been unlocked
            // since it booted (e.g. the app was launched in the background).
            throw KeychainError(operation: "read", status: status)
        }
        guard let key = result as? Data, key.count == 32 else {
            throw KeychainError(operation: "read (not a 32-byte key)", status: errSecDecode)
        }
        return key
    }
}
