// The Hearth demo app: a small magazine whose feed and ads are chosen on the
// phone by Hearth. The SwiftUI layer is thin: it builds the model with the
// app's providers (Keychain key, bundled catalog, upload log), runs model
// actions off the main actor through AppStore, and maps DemoState to views.

import HearthDemoModel
import SwiftUI

@main
struct HearthDemoApp: App {
    @StateObject private var store = AppStore(model: AppEnvironment.makeModel())
    @Environment(\.scenePhase) private var scenePhase

    var body: some Scene {
        WindowGroup {
            RootView()
                .environmentObject(store)
        }
        .onChange(of: scenePhase) { phase in
            // Persist what was recorded before iOS may suspend the app (the
            // engine also writes within a second on its own).
            if phase == .background {
                store.run { $0.flush() }
            }
        }
    }
}
