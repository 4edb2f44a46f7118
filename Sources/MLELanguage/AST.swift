/// An expression: a literal, a name or a list.
public indirect enum Expr: Equatable, Sendable {
    case number(Double, SourceLocation)
    case string(String, SourceLocation)
    case name(String, SourceLocation)
    case list([Expr], SourceLocation)

    public var location: SourceLocation {
        switch self {
        case .number(_, let l), .string(_, let l), .name(_, let l), .list(_, let l): return l
        }
    }
}

/// One argument of a command: positional (`data`) or an option (`epochs=50`).
public struct Argument: Equatable, Sendable {
    public var label: String?
    public var labelLocation: SourceLocation?
    public var value: Expr
}

/// A command call `name arg... key=value...`, or a bare name (a variable to show).
public struct Call: Equatable, Sendable {
    public var name: String
    public var location: SourceLocation
    public var arguments: [Argument]
}

/// The right side of an assignment.
public enum Assigned: Equatable, Sendable {
    case call(Call)
    case value(Expr)
}

public indirect enum Statement: Equatable, Sendable {
    case call(Call)
    /// `a = ...` or `a, b = ...`.
    case assign(targets: [String], locations: [SourceLocation], value: Assigned)
    /// `for name in list { body }`.
    case forLoop(variable: String, location: SourceLocation, list: Expr, body: [Statement])

    public var location: SourceLocation {
        switch self {
        case .call(let c): return c.location
        case .assign(_, let l, _): return l.first ?? SourceLocation(file: "", line: 0, column: 0)
        case .forLoop(_, let l, _, _): return l
        }
    }
}
