// The bridge between the SwiftUI views (main actor) and DemoModel (whose
// calls block): every action runs in a detached task off the main actor, and
// the state it returns is published on the main actor.

import Combine
import Foundation
import HearthDemoModel

/// The views' only handle on the model.
@MainActor
final class AppStore: ObservableObject {
    /// What the screens show.
    @Published private(set) var state: DemoState
    /// True while an action runs.
    @Published private(set) var busy = false

    private let model: DemoModel
    private var running = 0
    /// Tokens whose impression was recorded, so a row scrolling back into
    /// view does not record it again (the SDK would not count it twice either).
    private var impressions = Set<String>()

    init(model: DemoModel) {
        self.model = model
        state = model.state
    }

    /// Runs `action` off the main actor and publishes its state. Actions
    /// finish in any order; an older snapshot never replaces a newer one.
    func run(_ action: @escaping @Sendable (DemoModel) -> DemoState) {
        Task { await perform(action) }
    }

    /// `run`, awaitable (for `.refreshable`).
    func perform(_ action: @escaping @Sendable (DemoModel) -> DemoState) async {
        running += 1
        busy = true
        let model = self.model
        let next = await Task.detached(priority: .userInitiated) { action(model) }.value
        if next.revision >= state.revision {
            state = next
        }
        running -= 1
        busy = running > 0
    }

    /// Opens the engine (blocking work, done off the main actor: Keychain,
    /// decrypting the store, verifying the catalog, closing finished report
    /// days).
    func open() async {
        await perform { $0.open() }
    }

    /// Records the impression of an ad that is on screen, once per ad.
    func adAppeared(_ ad: AdCard) {
        guard impressions.insert(ad.token).inserted else { return }
        let token = ad.token
        run { $0.adDidAppear(token: token) }
    }

    /// The user's data as JSON (`hearth-export/1`), or the error's message,
    /// once ``loadExport()`` has run.
    @Published private(set) var exportText: String?

    /// Loads ``exportText`` off the main actor.
    func loadExport() async {
        let model = self.model
        exportText = await Task.detached(priority: .userInitiated) { () -> String in
            do {
                return try model.exportData()
            } catch {
                return "\(error)"
            }
        }.value
    }
}
