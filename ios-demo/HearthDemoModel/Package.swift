// swift-tools-version:6.0
// HearthDemoModel: the iOS demo's app logic as a plain Swift package
// (Foundation only: no SwiftUI, UIKit or Security), on top of the Hearth SDK
// package that scripts/build-ios.sh writes to target/ios/Hearth.
//
// The SwiftUI app (HearthDemo.xcodeproj) depends on the `HearthDemoModel`
// product; the same sources are compiled on Linux by scripts/test-ios-demo.sh
// for the console demo and the model tests.
import PackageDescription

let package = Package(
    name: "HearthDemoModel",
    // Keep equal to the app's IPHONEOS_DEPLOYMENT_TARGET and to
    // scripts/build-ios.sh's default (15.0).
    platforms: [.iOS(.v15)],
    products: [
        .library(name: "HearthDemoModel", targets: ["HearthDemoModel"]),
    ],
    dependencies: [
        // Built by scripts/build-ios.sh (XCFramework + generated Hearth.swift).
        .package(path: "../../target/ios/Hearth"),
    ],
    targets: [
        .target(
            name: "HearthDemoModel",
            dependencies: [.product(name: "Hearth", package: "Hearth")],
            path: "Sources/HearthDemoModel"
        ),
        // ModelTestCases.swift (shared with the Linux runner in
        // ios-demo/ModelTestsRunner) + the XCTest wrapper. Run them in Xcode
        // on an iOS simulator: scheme HearthDemo, Product > Test.
        .testTarget(
            name: "HearthDemoModelTests",
            dependencies: ["HearthDemoModel"],
            path: "Tests/HearthDemoModelTests"
        ),
    ]
)
