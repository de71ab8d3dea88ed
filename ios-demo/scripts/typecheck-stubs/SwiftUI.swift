// A stand-in for SwiftUI, only the API the demo app uses, with the
// signatures (labels, types, isolation and Sendable annotations) of the
// iOS 18 SDK as far as the app depends on them, so that
// scripts/test-ios-demo.sh can type-check the app layer (HearthDemo/*.swift)
// in Swift 6 mode on Linux against the real model layer. It catches drift
// between the views and HearthDemoModel; it cannot prove that the real
// SwiftUI accepts the views. Never linked into anything that runs.

@_exported import Combine
@_exported import Foundation

// MARK: - core

@MainActor @preconcurrency
public protocol View {
    associatedtype Body: View
    @ViewBuilder var body: Body { get }
}

extension Never: View {
    public var body: Never { return fatalError() }
}

public struct AnyModified: View {
    public var body: Never { return fatalError() }
}

public struct TupleView<T>: View {
    public init(_ value: T) {}
    public var body: Never { return fatalError() }
}

public struct EmptyView: View {
    public init() {}
    public var body: Never { return fatalError() }
}

public struct OptionalView<W: View>: View {
    public var body: Never { return fatalError() }
}

public struct EitherView<A: View, B: View>: View {
    public var body: Never { return fatalError() }
}

@resultBuilder @MainActor
public enum ViewBuilder {
    public static func buildExpression<C: View>(_ c: C) -> C { c }
    public static func buildBlock() -> EmptyView { EmptyView() }
    public static func buildBlock<each C: View>(_ c: repeat each C) -> TupleView<(repeat each C)> { TupleView((repeat each c)) }
    public static func buildIf<C: View>(_ c: C?) -> OptionalView<C> { OptionalView() }
    public static func buildEither<A: View, B: View>(first: A) -> EitherView<A, B> { EitherView() }
    public static func buildEither<A: View, B: View>(second: B) -> EitherView<A, B> { EitherView() }
    public static func buildLimitedAvailability<C: View>(_ c: C) -> AnyModified { AnyModified() }
}

@resultBuilder
public enum SceneBuilder {
    public static func buildBlock<S: Scene>(_ s: S) -> S { s }
}

@MainActor @preconcurrency
public protocol Scene {
    associatedtype Body: Scene
    @SceneBuilder var body: Body { get }
}

extension Never: Scene {}

@MainActor @preconcurrency
public protocol App {
    associatedtype Body: Scene
    @SceneBuilder var body: Body { get }
    init()
}

extension App {
    public static func main() {}
}

public struct WindowGroup<Content: View>: Scene {
    public init(@ViewBuilder content: () -> Content) {}
    public var body: Never { return fatalError() }
}

public struct ModifiedScene: Scene {
    public var body: Never { return fatalError() }
}

extension Scene {
    public func onChange<V: Equatable>(of value: V, perform action: @escaping (V) -> Void) -> ModifiedScene { ModifiedScene() }
}

// MARK: - state

@propertyWrapper
public struct State<Value>: DynamicProperty {
    public init(wrappedValue: Value) {}
    public var wrappedValue: Value {
        get { fatalError() }
        nonmutating set {}
    }
    public var projectedValue: Binding<Value> { fatalError() }
}

@propertyWrapper
public struct Binding<Value> {
    public init(projectedValue: Binding<Value>) {}
    public var wrappedValue: Value {
        get { fatalError() }
        nonmutating set {}
    }
    public var projectedValue: Binding<Value> { self }
}

@propertyWrapper
public struct StateObject<O: ObservableObject>: DynamicProperty {
    public init(wrappedValue thunk: @autoclosure @escaping () -> O) {}
    @MainActor public var wrappedValue: O { fatalError() }
}

@propertyWrapper
public struct EnvironmentObject<O: ObservableObject>: DynamicProperty {
    public init() {}
    @MainActor public var wrappedValue: O { fatalError() }
}

public protocol DynamicProperty {}

public struct EnvironmentValues {
    public var openURL: OpenURLAction { fatalError() }
    public var dismiss: DismissAction { fatalError() }
    public var scenePhase: ScenePhase { fatalError() }
}

@propertyWrapper
public struct Environment<Value>: DynamicProperty {
    public init(_ keyPath: KeyPath<EnvironmentValues, Value>) {}
    @MainActor public var wrappedValue: Value { fatalError() }
}

@MainActor public struct OpenURLAction {
    public func callAsFunction(_ url: URL) {}
}

@MainActor public struct DismissAction {
    public func callAsFunction() {}
}

public enum ScenePhase: Equatable, Sendable {
    case background, inactive, active
}

// MARK: - values

public struct Color: View, Sendable {
    public static let red = Color(), green = Color(), secondary = Color(), accentColor = Color()
    public func opacity(_ o: Double) -> Color { self }
    public var body: Never { return fatalError() }
}

public struct Font: Sendable {
    public enum TextStyle: Sendable { case body, caption, caption2, footnote, headline, subheadline, title2 }
    public enum Design: Sendable { case monospaced }
    public static let body = Font(), caption = Font(), caption2 = Font(), footnote = Font(), headline = Font(),
        subheadline = Font(), title2 = Font()
    public static func system(_ style: TextStyle, design: Design? = nil) -> Font { Font() }
    public func bold() -> Font { self }
    public func italic() -> Font { self }
}

public struct ButtonRole: Sendable {
    public static let destructive = ButtonRole()
}

public enum Edge: Sendable { case top, bottom }

public struct Alignment: Sendable {
    public static let leading = Alignment(), top = Alignment()
}

public enum HorizontalAlignment: Sendable { case leading }
public enum VerticalAlignment: Sendable { case top }
public enum TextAlignment: Sendable { case trailing }

public enum Visibility: Sendable { case visible, automatic }

public struct ToolbarItemPlacement: Sendable {
    public static let confirmationAction = ToolbarItemPlacement()
}

public struct SearchFieldPlacement: Sendable {
    public static let automatic = SearchFieldPlacement()
}

public struct SubmitTriggers: Sendable {
    public static let search = SubmitTriggers()
}

public struct TitleDisplayMode: Sendable {
    public static let inline = TitleDisplayMode()
}

public struct ListStyleValue: Sendable {
    public static let insetGrouped = ListStyleValue()
}

public struct ButtonStyleValue: Sendable {
    public static let bordered = ButtonStyleValue(), borderless = ButtonStyleValue(),
        borderedProminent = ButtonStyleValue()
}

public struct NavigationViewStyleValue: Sendable {
    public static let stack = NavigationViewStyleValue()
}

public struct TextSelectability: Sendable {
    public static let enabled = TextSelectability()
}

public struct HorizontalEdgeSet: Sendable {
    public static let vertical = HorizontalEdgeSet()
}

public enum TaskPriority2: Sendable { case userInitiated }

// MARK: - views

public struct Text: View {
    public init<S: StringProtocol>(_ s: S) {}
    public func font(_ f: Font?) -> Text { self }
    public func bold() -> Text { self }
    public func monospacedDigit() -> Text { self }
    public var body: Never { return fatalError() }
}

public struct Image: View {
    public init(systemName: String) {}
    public var body: Never { return fatalError() }
}

public struct Label<Title: View, Icon: View>: View {
    public var body: Never { return fatalError() }
}

extension Label where Title == Text, Icon == Image {
    public init<S: StringProtocol>(_ title: S, systemImage: String) {}
}

public struct Spacer: View {
    public init() {}
    public var body: Never { return fatalError() }
}

public struct HStack<Content: View>: View {
    public init(alignment: VerticalAlignment? = nil, spacing: Double? = nil, @ViewBuilder content: () -> Content) {}
    public var body: Never { return fatalError() }
}

public struct VStack<Content: View>: View {
    public init(alignment: HorizontalAlignment? = nil, spacing: Double? = nil, @ViewBuilder content: () -> Content) {}
    public var body: Never { return fatalError() }
}

public struct ScrollView<Content: View>: View {
    public init(@ViewBuilder content: () -> Content) {}
    public var body: Never { return fatalError() }
}

public struct List<Content: View>: View {
    public init(@ViewBuilder content: () -> Content) {}
    public var body: Never { return fatalError() }
}

public struct Section<Parent, Content: View, Footer>: View {
    public var body: Never { return fatalError() }
}

extension Section where Parent == Text, Footer == EmptyView {
    public init<S: StringProtocol>(_ title: S, @ViewBuilder content: () -> Content) {}
}

extension Section where Parent == EmptyView, Footer == EmptyView {
    public init(@ViewBuilder content: () -> Content) {}
}

extension Section where Parent: View, Footer == EmptyView {
    public init(@ViewBuilder content: () -> Content, @ViewBuilder header: () -> Parent) {}
}

extension Section where Parent: View, Footer: View {
    public init(@ViewBuilder content: () -> Content, @ViewBuilder header: () -> Parent, @ViewBuilder footer: () -> Footer) {}
}

public struct ForEach<Data: RandomAccessCollection, ID: Hashable, Content: View>: View {
    public init(_ data: Data, id: KeyPath<Data.Element, ID>, @ViewBuilder content: @escaping (Data.Element) -> Content) {}
    public var body: Never { return fatalError() }
}

extension ForEach where Data.Element: Identifiable, ID == Data.Element.ID {
    public init(_ data: Data, @ViewBuilder content: @escaping (Data.Element) -> Content) {}
}

public struct NavigationView<Content: View>: View {
    public init(@ViewBuilder content: () -> Content) {}
    public var body: Never { return fatalError() }
}

public struct NavigationLink<Label: View, Destination: View>: View {
    public init(destination: Destination, @ViewBuilder label: () -> Label) {}
    public var body: Never { return fatalError() }
}

public struct TabView<Content: View>: View {
    public init(@ViewBuilder content: () -> Content) {}
    public var body: Never { return fatalError() }
}

public struct Button<Label: View>: View {
    public init(role: ButtonRole? = nil, action: @escaping @MainActor () -> Void, @ViewBuilder label: () -> Label) {}
    public var body: Never { return fatalError() }
}

extension Button where Label == Text {
    public init<S: StringProtocol>(_ title: S, role: ButtonRole? = nil, action: @escaping @MainActor () -> Void) {}
}

public struct Menu<Label: View, Content: View>: View {
    public init(@ViewBuilder content: () -> Content, @ViewBuilder label: () -> Label) {}
    public var body: Never { return fatalError() }
}

public struct Toggle: View {
    public init<S: StringProtocol>(_ title: S, isOn: Binding<Bool>) {}
    public var body: Never { return fatalError() }
}

public struct ProgressView: View {
    public init<V: BinaryFloatingPoint>(value: V?, total: V = 1.0) {}
    public var body: Never { return fatalError() }
}

public struct ToolbarItem<Content: View> {
    public init(placement: ToolbarItemPlacement, @ViewBuilder content: () -> Content) {}
}

// MARK: - modifiers

extension View {
    public func font(_ f: Font?) -> AnyModified { AnyModified() }
    public func foregroundColor(_ c: Color?) -> AnyModified { AnyModified() }
    public func padding(_ length: Double? = nil) -> AnyModified { AnyModified() }
    public func padding(_ edges: HorizontalEdgeSet, _ length: Double? = nil) -> AnyModified { AnyModified() }
    public func frame(maxWidth: Double? = nil, alignment: Alignment = .leading) -> AnyModified { AnyModified() }
    public func background(_ c: Color) -> AnyModified { AnyModified() }
    public func listStyle(_ s: ListStyleValue) -> AnyModified { AnyModified() }
    public func buttonStyle(_ s: ButtonStyleValue) -> AnyModified { AnyModified() }
    public func navigationViewStyle(_ s: NavigationViewStyleValue) -> AnyModified { AnyModified() }
    public func navigationTitle<S: StringProtocol>(_ s: S) -> AnyModified { AnyModified() }
    public func navigationBarTitleDisplayMode(_ m: TitleDisplayMode) -> AnyModified { AnyModified() }
    public func tabItem<V: View>(@ViewBuilder _ label: () -> V) -> AnyModified { AnyModified() }
    public func badge(_ count: Int) -> AnyModified { AnyModified() }
    public func disabled(_ d: Bool) -> AnyModified { AnyModified() }
    public func textSelection(_ s: TextSelectability) -> AnyModified { AnyModified() }
    public func monospacedDigit() -> AnyModified { AnyModified() }
    public func multilineTextAlignment(_ a: TextAlignment) -> AnyModified { AnyModified() }
    public func accessibilityLabel<S: StringProtocol>(_ s: S) -> AnyModified { AnyModified() }
    public func environmentObject<O: ObservableObject>(_ o: O) -> AnyModified { AnyModified() }
    public func safeAreaInset<V: View>(edge: Edge, spacing: Double? = nil, @ViewBuilder content: () -> V) -> AnyModified { AnyModified() }
    public func onAppear(perform action: (@MainActor () -> Void)? = nil) -> AnyModified { AnyModified() }
    public func onDisappear(perform action: (@MainActor () -> Void)? = nil) -> AnyModified { AnyModified() }
    public func onChange<V: Equatable>(of value: V, perform action: @escaping @MainActor (V) -> Void) -> AnyModified { AnyModified() }
    /// iOS 18 SDK: `@isolated(any) @Sendable`.
    public func task(priority: TaskPriority = .userInitiated, _ action: @escaping @isolated(any) @Sendable () async -> Void) -> AnyModified { AnyModified() }
    /// Declared `@Sendable` (without `@isolated(any)`): the stricter reading.
    public func refreshable(action: @escaping @Sendable () async -> Void) -> AnyModified { AnyModified() }
    public func searchable(text: Binding<String>, placement: SearchFieldPlacement = .automatic, prompt: String) -> AnyModified { AnyModified() }
    public func onSubmit(of triggers: SubmitTriggers, _ action: @escaping @MainActor () -> Void) -> AnyModified { AnyModified() }
    public func sheet<Item: Identifiable, C: View>(item: Binding<Item?>, @ViewBuilder content: @escaping (Item) -> C) -> AnyModified { AnyModified() }
    public func sheet<C: View>(isPresented: Binding<Bool>, @ViewBuilder content: @escaping () -> C) -> AnyModified { AnyModified() }
    public func swipeActions<C: View>(@ViewBuilder content: () -> C) -> AnyModified { AnyModified() }
    public func contextMenu<C: View>(@ViewBuilder menuItems: () -> C) -> AnyModified { AnyModified() }
    public func confirmationDialog<S: StringProtocol, A: View, M: View>(_ title: S, isPresented: Binding<Bool>, titleVisibility: Visibility = .automatic, @ViewBuilder actions: () -> A, @ViewBuilder message: () -> M) -> AnyModified { AnyModified() }
    public func toolbar<C>(@ToolbarBuilder content: () -> C) -> AnyModified { AnyModified() }
}

@resultBuilder
public enum ToolbarBuilder {
    public static func buildBlock<C>(_ c: ToolbarItem<C>) -> ToolbarItem<C> { c }
}
