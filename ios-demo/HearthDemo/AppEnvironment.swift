// Where the app's pieces come from on iOS: the demo directory (Application
// Support, excluded from backup), the Keychain key, the catalog bundled at
// build time, and the upload log.

import Foundation
import HearthDemoModel

enum AppEnvironment {
    /// The demo model with the app's providers. Cheap: nothing is opened
    /// until `AppStore.open()`.
    static func makeModel() -> DemoModel {
        let directory = demoDirectory()
        return DemoModel(
            configuration: DemoConfiguration(
                directory: directory,
                // A ManualClock that follows the system clock plus the days
                // skipped on the privacy screen; a production app calls
                // Engine.open(config:), the system clock.
                clock: .systemPlusSkippedDays,
                // The sample catalog is German; a real app passes the user's
                // own locale, region and time zone here.
                region: .berlin,
                // Nothing is collected until the user opts in (Settings).
                defaultConsent: .contextualOnly
            ),
            keys: KeychainKeyProvider(),
            catalog: FileCatalogSource(
                // Signed at build time by the "Sign the sample catalog" build
                // phase (ios-demo/scripts/make-sample-catalog.sh).
                bundleURL: Bundle.main.bundleURL.appendingPathComponent("sample.catalog"),
                publicKeyURL: Bundle.main.bundleURL.appendingPathComponent("publisher.pub")
            ),
            // Uploads go to a log file instead of a server.
            uploader: LogReportUploader(fileURL: directory.appendingPathComponent("uploads.jsonl"))
        )
    }

    /// Application Support/HearthDemo, created if missing and excluded from
    /// iCloud and computer backups: the profile is encrypted with a key that
    /// never leaves this device (`…ThisDeviceOnly`), so a restored copy
    /// elsewhere could not be read anyway.
    static func demoDirectory() -> URL {
        let fm = FileManager.default
        let base = (try? fm.url(for: .applicationSupportDirectory, in: .userDomainMask, appropriateFor: nil, create: true))
            ?? fm.temporaryDirectory
        var dir = base.appendingPathComponent("HearthDemo", isDirectory: true)
        try? fm.createDirectory(at: dir, withIntermediateDirectories: true)
        var values = URLResourceValues()
        values.isExcludedFromBackup = true
        try? dir.setResourceValues(values)
        return dir
    }
}
