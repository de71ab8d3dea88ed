// How a DemoModel is set up: where it keeps its files, which clock it runs
// on, the device's region, and the knobs the tests pin down.

import Foundation

/// The consent choices the demo offers (the SDK's `Consent`, as a model type
/// so that views never need to import Hearth).
public enum ConsentChoice: String, Sendable, Equatable, CaseIterable, Identifiable {
    /// Events build a local profile; ads and the feed use it.
    case personalised
    /// No profile is built or used; ads use only the screen's context. A
    /// profile built earlier is kept, unused.
    case contextualOnly
    /// Nothing is collected; the profile, traits and ad history are erased.
    case off

    public var id: String { rawValue }

    /// A short label for a picker.
    public var title: String {
        switch self {
        case .personalised: "Personalised"
        case .contextualOnly: "Contextual only"
        case .off: "Off"
        }
    }

    /// One sentence saying what the choice means for the user.
    public var explanation: String {
        switch self {
        case .personalised:
            "Hearth learns your interests on this phone and uses them to pick your feed and ads. Nothing about you leaves the phone."
        case .contextualOnly:
            "Nothing is learned. Ads match only the screen you are on; the feed keeps the app's order."
        case .off:
            "Nothing is learned and your profile, inferred traits and ad history are erased."
        }
    }
}

/// The clock the engine runs on.
///
/// Reports close at the end of a UTC day, so without help a demo would have
/// to wait until midnight UTC to show a payload. The demo therefore always
/// gives the engine a `ManualClock` (`Engine.openWithClock`) and moves it
/// itself. A production app calls `Engine.open(config:)`: the engine then
/// reads the system clock.
public enum DemoClockMode: Sendable, Equatable {
    /// The system clock plus the whole days skipped with
    /// ``DemoModel/passDay()``. The skipped days are kept in
    /// `directory/demo-clock.txt`, so they survive relaunches (the engine never
    /// lets its own time run backwards anyway). The app uses this.
    case systemPlusSkippedDays
    /// A clock that starts at `startMs` (Unix ms) and moves only through
    /// ``DemoModel/advanceClock(seconds:)`` and ``DemoModel/passDay()``: the
    /// console demo and the tests, which need repeatable time.
    case manual(startMs: Int64)
}

/// Where the simulated user is: the ad request's locale, region and time zone.
public struct DemoRegion: Sendable, Equatable {
    /// BCP 47 locale, e.g. `en-DE`.
    public var locale: String
    /// ISO 3166 country or subdivision, e.g. `DE-BE` (Berlin).
    public var country: String
    /// The device's offset from UTC in minutes (for dayparted campaigns).
    public var utcOffsetMinutes: Int32

    /// A region.
    public init(locale: String, country: String, utcOffsetMinutes: Int32) {
        self.locale = locale
        self.country = country
        self.utcOffsetMinutes = utcOffsetMinutes
    }

    /// Berlin: the sample catalog is a German (`DE`) catalog, so the demo
    /// pretends to be there wherever it runs. A real app passes the user's
    /// own locale and region (`Locale.current`, `TimeZone.current`).
    public static let berlin = DemoRegion(locale: "en-DE", country: "DE-BE", utcOffsetMinutes: 60)
}

/// Everything a ``DemoModel`` needs besides its three providers.
public struct DemoConfiguration: Sendable {
    /// The demo's own directory. The engine's encrypted state lives in
    /// `directory/hearth` (``storageDirectory``); the clock's skipped days in
    /// `directory/demo-clock.txt`. The app uses Application Support, excluded
    /// from backup.
    public var directory: URL
    /// The engine's clock.
    public var clock: DemoClockMode
    /// The simulated user's locale, region and time zone.
    public var region: DemoRegion
    /// Consent for a new (or reset) store. The SDK's default is
    /// contextual-only: nothing is collected until the user opts in.
    public var defaultConsent: ConsentChoice
    /// Seed of the ad-selection randomness; nil = random. Tests pin it.
    public var selectionSeed: UInt64?
    /// Share of ad slots filled at random to learn what the user likes
    /// (0...1); nil = the SDK's default (0.1).
    public var exploration: Double?

    /// A configuration; only `directory` is required.
    public init(directory: URL,
                clock: DemoClockMode = .systemPlusSkippedDays,
                region: DemoRegion = .berlin,
                defaultConsent: ConsentChoice = .contextualOnly,
                selectionSeed: UInt64? = nil,
                exploration: Double? = nil) {
        self.directory = directory
        self.clock = clock
        self.region = region
        self.defaultConsent = defaultConsent
        self.selectionSeed = selectionSeed
        self.exploration = exploration
    }

    /// The engine's storage directory (`directory/hearth`).
    public var storageDirectory: URL {
        directory.appendingPathComponent("hearth", isDirectory: true)
    }

    /// Where ``DemoClockMode/systemPlusSkippedDays`` keeps the skipped days.
    var skippedDaysFile: URL {
        directory.appendingPathComponent("demo-clock.txt")
    }
}
