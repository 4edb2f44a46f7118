import MLELearning
import MLETensor

/// A command call with its arguments bound and checked against the command's spec.
public struct Invocation {
    public let spec: CommandSpec
    public let location: SourceLocation
    public let session: Session
    /// The name the result will be bound to, when the call is assigned (`net = mlp ...`).
    public let assignedName: String?
    var values: [String: Value]
    var locations: [String: SourceLocation]
    /// The variable each argument was written as (`evaluate net test`: model → net), for titles.
    public internal(set) var names: [String: String] = [:]

    /// An error at the argument `name` (or at the command when it was not given).
    public func error(_ message: String, at name: String? = nil) -> MLEError {
        MLEError(name.flatMap { locations[$0] } ?? location, message)
    }

    public func has(_ name: String) -> Bool { values[name] != nil }
    public func value(_ name: String) -> Value? { values[name] }
    /// Whether the argument was written in the call (not taken from its default).
    public func given(_ name: String) -> Bool { locations[name] != nil }

    /// Where argument `name` was written, or the command's location.
    public func location(of name: String) -> SourceLocation { locations[name] ?? location }

    public func dataset(_ name: String) throws -> Dataset {
        guard case .dataset(let d)? = values[name] else { throw error("missing dataset '\(name)'", at: name) }
        return d
    }

    public func model(_ name: String) throws -> ModelValue {
        guard case .model(let m)? = values[name] else { throw error("missing model '\(name)'", at: name) }
        return m
    }

    public func number(_ name: String) -> Double? {
        if case .number(let v)? = values[name] { return v }
        return nil
    }

    public func int(_ name: String) -> Int? { number(name).map { Int($0) } }

    public func bool(_ name: String) -> Bool {
        if case .bool(let b)? = values[name] { return b }
        return false
    }

    public func string(_ name: String) -> String? {
        switch values[name] {
        case .string(let s)?, .symbol(let s)?: return s
        default: return nil
        }
    }

    /// A list of names; numbers in it stand for their text (`keep=[8]`).
    public func stringList(_ name: String) -> [String]? {
        guard case .list(let items)? = values[name] else { return nil }
        return items.compactMap { String(argument: $0) }
    }

    /// A list of numbers (nil when not given or when an item is not a number).
    public func numberList(_ name: String) -> [Double]? {
        guard case .list(let items)? = values[name] else { return nil }
        let numbers = items.compactMap { if case .number(let v) = $0 { return v } else { return nil } }
        return numbers.count == items.count ? numbers : nil
    }

    public func intList(_ name: String) -> [Int]? {
        guard case .list(let items)? = values[name] else { return nil }
        return items.compactMap { if case .number(let v) = $0 { return Int(v) } else { return nil } }
    }

    /// The seed to use: `seed=` when given, else the session seed, which then advances, so a
    /// script gives the same output every run.
    public func seed() -> UInt64 {
        if let s = number("seed") { return UInt64(bitPattern: Int64(s)) }
        return session.takeSeed()
    }

    /// A check for Ctrl-C, for long work.
    public var cancellation: Cancellation { session.cancellation }

    /// The context for this command's numeric work: the session's Ctrl-C and thread policy, and
    /// progress drawn on the session's bar as `label` (with `detail` beside the count).
    public func context(_ label: String, detail: (@Sendable (Int, Int) -> String)? = nil) -> ExecutionContext {
        let relay = ProgressRelay(session.progress, label: label, detail: detail)
        return ExecutionContext(cancellation: session.cancellation, threads: session.threads) { done, total in
            relay.report(done, total)
        }
    }
}

/// A Swift type an argument decodes into.
public protocol ArgumentValue {
    init?(argument: Value)
}

extension Double: ArgumentValue {
    public init?(argument v: Value) {
        guard case .number(let x) = v else { return nil }
        self = x
    }
}

extension Int: ArgumentValue {
    public init?(argument v: Value) {
        guard case .number(let x) = v, let n = Int(exactly: x.rounded()) else { return nil }
        self = n
    }
}

extension Bool: ArgumentValue {
    public init?(argument v: Value) {
        guard case .bool(let b) = v else { return nil }
        self = b
    }
}

extension String: ArgumentValue {
    /// A string, a bare word, or a number standing for its text (a class named 8).
    public init?(argument v: Value) {
        switch v {
        case .string(let s), .symbol(let s): self = s
        case .number(let x): self = Format.number(x)
        default: return nil
        }
    }
}

extension Array: ArgumentValue where Element: ArgumentValue {
    public init?(argument v: Value) {
        guard case .list(let items) = v else { return nil }
        var out: [Element] = []
        for item in items {
            guard let e = Element(argument: item) else { return nil }
            out.append(e)
        }
        self = out
    }
}

extension Invocation {
    /// The option's value as given, or else its declared default: the one place a default is
    /// written is the command's declaration. Binding has already checked the value's type.
    /// - Throws: when the declaration gives the option no default (a mistake in the command,
    ///   reported as such rather than guessed around).
    public func declared<T: ArgumentValue>(_ name: String, _ type: T.Type = T.self) throws -> T {
        guard let v = values[name] else {
            throw MLEError(
                location, "internal error: '\(spec.name)' reads '\(name)', which its declaration gives no default")
        }
        guard let t = T(argument: v) else {
            throw error("\(name) takes a \(T.self), got \(v.typeName) \(v.summary)", at: name)
        }
        return t
    }

    /// A choice decoded into its enum, from the value given or the declared default.
    public func choice<E: RawRepresentable>(_ name: String, _ type: E.Type) throws -> E where E.RawValue == String {
        let word = try declared(name, String.self)
        guard let e = E(rawValue: word) else { throw error("'\(word)' is not a choice for \(name)", at: name) }
        return e
    }

    /// A choice decoded into its enum when given (or declared by default), else nil.
    public func optionalChoice<E: RawRepresentable>(_ name: String, _ type: E.Type) throws -> E?
    where E.RawValue == String {
        guard values[name] != nil else { return nil }
        return try choice(name, type)
    }
}

extension ParamSpec {
    /// An option whose choices are an enum's cases: spelled once, in the enum.
    public static func choice<E: CaseIterable & RawRepresentable>(
        _ name: String, _ type: E.Type, _ help: String,
        default value: E? = nil
    ) -> ParamSpec where E.RawValue == String {
        ParamSpec(name, .choice(E.allCases.map(\.rawValue)), help, default: value.map { .symbol($0.rawValue) })
    }
}
