// Stands in for ios-demo/HearthDemo/KeychainKeyProvider.swift (which needs
// Apple's Security framework) when scripts/test-ios-demo.sh type-checks the
// app layer on Linux.

import Foundation
import HearthDemoModel

struct KeychainKeyProvider: KeyProvider {
    func storeKey() throws -> Data {
        Data(count: 32)
    }
}
