/// A command as a typed unit: its declaration (help, completion, the reference, binding), its
/// options decoded once into a struct (choices into their enums, defaults from the declaration
/// only), a validation step that checks every range once, and the work, which returns a value
/// (usually a `Report`).
protocol Command {
    associatedtype Options
    static var spec: CommandSpec { get }
    /// Decodes the bound arguments; reads nothing else from the invocation's values.
    static func options(_ inv: Invocation) throws -> Options
    /// Every range and consistency check, with the error at the argument at fault.
    static func validate(_ options: Options, _ inv: Invocation) throws
    /// The work, on validated options.
    static func run(_ options: Options, _ inv: Invocation) throws -> Value
}

extension Command {
    static func validate(_ options: Options, _ inv: Invocation) throws {}

    /// Decode, validate, run: what the declaration's closure calls.
    static func execute(_ inv: Invocation) throws -> Value {
        let o = try options(inv)
        try validate(o, inv)
        return try run(o, inv)
    }
}

extension Invocation {
    /// The models of a list option (`versus=[a, b]` or `versus=a`) with the names they were
    /// written as (a model written as an expression is named by its kind and place).
    func namedModels(_ name: String) -> [(name: String, value: ModelValue)] {
        guard case .list(let items)? = value(name) else { return [] }
        let models = items.compactMap { item -> ModelValue? in
            if case .model(let m) = item { return m } else { return nil }
        }
        return models.enumerated().map { i, m in
            (names["\(name).\(i)"] ?? (models.count == 1 ? names[name] : nil) ?? "\(m.model.kind) \(i + 1)", m)
        }
    }
}

/// Range checks for validation steps, with the error at the option.
extension Invocation {
    /// - Throws: at `level=` unless the confidence level lies strictly between 0 and 1.
    func checkLevel(_ level: Double) throws {
        guard level > 0, level < 1 else { throw error("level must be between 0 and 1, e.g. 0.95", at: "level") }
    }

    /// - Throws: "NAME must be between LOW and HIGH" at the option when `value` is outside.
    func check<T: Comparable>(_ name: String, _ value: T, in range: ClosedRange<T>) throws {
        guard range.contains(value) else {
            throw error("\(name) must be between \(range.lowerBound) and \(range.upperBound)", at: name)
        }
    }
}
