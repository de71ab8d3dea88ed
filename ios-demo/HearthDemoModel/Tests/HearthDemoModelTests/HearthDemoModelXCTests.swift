// XCTest wrapper of ModelTestCases.swift for Xcode (an iOS simulator: the
// Hearth XCFramework has no macOS slice). Not compiled on Linux, where
// ios-demo/ModelTestsRunner/main.swift runs the same cases.
//
// Fixtures: the directory in the HEARTH_DEMO_FIXTURES environment variable
// (scheme > Test > Arguments), else target/ios/demo-catalog in this checkout,
// which ios-demo/scripts/make-sample-catalog.sh fills (building the app once
// runs it). The simulator reads the Mac's file system, so the path works
// there; on a device, set HEARTH_DEMO_FIXTURES to a path the test bundle can read.

#if canImport(XCTest)
    import Foundation
    import XCTest

    final class HearthDemoModelXCTests: XCTestCase {
        private func run(_ body: (ModelTestEnvironment) throws -> Void) throws {
            let repo = URL(fileURLWithPath: #filePath) // ios-demo/HearthDemoModel/Tests/HearthDemoModelTests/x.swift
                .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent()
            let fixtures = ProcessInfo.processInfo.environment["HEARTH_DEMO_FIXTURES"].map { URL(fileURLWithPath: $0) }
                ?? repo.appendingPathComponent("target/ios/demo-catalog")
            guard FileManager.default.fileExists(atPath: fixtures.appendingPathComponent("sample.bundle").path) else {
                throw XCTSkip("no fixtures in \(fixtures.path): run ios-demo/scripts/make-sample-catalog.sh")
            }
            let scratch = FileManager.default.temporaryDirectory
                .appendingPathComponent("hearth-demo-tests-\(UUID().uuidString)", isDirectory: true)
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: scratch) }
            try body(ModelTestEnvironment(fixtures: fixtures, scratch: scratch))
        }

        func testEveryCaseHasAnXCTestMethod() {
            // Keep in step with ModelTestCases.all (one method per case below).
            XCTAssertEqual(ModelTestCases.all.count, 17)
        }

        func testOpenWithKeyProvider() throws { try run(ModelTestCases.openWithKeyProvider) }
        func testWrongKeyIsModelError() throws { try run(ModelTestCases.wrongKeyIsModelError) }
        func testKeyProviderFailure() throws { try run(ModelTestCases.keyProviderFailure) }
        func testCatalogInstall() throws { try run(ModelTestCases.catalogInstall) }
        func testFeedRankedWithAd() throws { try run(ModelTestCases.feedRankedWithAd) }
        func testFeedWithoutConsent() throws { try run(ModelTestCases.feedWithoutConsent) }
        func testHideRemovesAdvertiser() throws { try run(ModelTestCases.hideRemovesAdvertiser) }
        func testHistoryReactions() throws { try run(ModelTestCases.historyReactions) }
        func testInterestRemoval() throws { try run(ModelTestCases.interestRemoval) }
        func testConsentOffClears() throws { try run(ModelTestCases.consentOffClears) }
        func testResetForgets() throws { try run(ModelTestCases.resetForgets) }
        func testReportAfterADay() throws { try run(ModelTestCases.reportAfterADay) }
        func testBudgetDecreases() throws { try run(ModelTestCases.budgetDecreases) }
        func testAcknowledgeMovesToSent() throws { try run(ModelTestCases.acknowledgeMovesToSent) }
        func testUploadLog() throws { try run(ModelTestCases.uploadLog) }
        func testSkippedDaysPersist() throws { try run(ModelTestCases.skippedDaysPersist) }
        func testLifecycle() throws { try run(ModelTestCases.lifecycle) }
    }
#endif
