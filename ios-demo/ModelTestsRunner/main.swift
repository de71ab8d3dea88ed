// The Linux runner of the demo model's tests (XCTest is not available in the
// Swift root on this machine): runs every case of ModelTestCases.swift, each
// in a fresh scratch directory, prints `ok`/`FAIL` per case and ends with
// `N passed, N failed`; the exit status is 1 if anything failed. In Xcode the
// same cases run through HearthDemoModelXCTests.swift instead.
//
// Usage: hearth-demo-model-tests FIXTURES_DIR
//   FIXTURES_DIR  sample.bundle + publisher.pub (scripts/bindings-fixtures.sh)

import Foundation

let args = CommandLine.arguments
guard args.count >= 2 else {
    print("usage: hearth-demo-model-tests FIXTURES_DIR")
    exit(2)
}
let fixtures = URL(fileURLWithPath: args[1], isDirectory: true)
let root = FileManager.default.temporaryDirectory.appendingPathComponent("hearth-demo-tests-\(UUID().uuidString)")

var passed = 0
var failed = 0
for (name, run) in ModelTestCases.all {
    let scratch = root.appendingPathComponent(UUID().uuidString, isDirectory: true)
    try? FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    do {
        try run(ModelTestEnvironment(fixtures: fixtures, scratch: scratch))
        passed += 1
        print("ok   \(name)")
    } catch {
        failed += 1
        print("FAIL \(name): \(error)")
    }
}
try? FileManager.default.removeItem(at: root)
print("\(passed) passed, \(failed) failed")
exit(failed == 0 ? 0 : 1)
