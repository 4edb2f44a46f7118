/// Errors about a computation's inputs, carrying the data a message needs and no command syntax:
/// the language names the option, points at the argument that caused the error and suggests a
/// fix in its own words (`MLELanguage/Diagnostics.swift`).

/// A setting that does not fit the data or the other settings.
public struct SettingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A fix to suggest, in terms of settings (the language spells it as options).
    public enum Remedy: Equatable, Sendable {
        /// Another value of the setting: `use method=random`.
        case use(String)
        /// One of several values: `use encode=target or onehot`.
        case useOneOf([String])
        /// A value no larger than this: `use chunks=12 or fewer`.
        case atMost(Int)
        /// An example of the setting's form: `e.g. hidden=[32, 16]`.
        case example(String)
    }

    /// The setting's name in the numeric API (`hidden`, `chunks`, `encoding`, `output`).
    public var setting: String
    /// What is wrong, as a clause without command syntax ("the grid has 12000 candidates; at most 10000").
    public var reason: String
    public var remedy: Remedy?

    public init(_ setting: String, _ reason: String, remedy: Remedy? = nil) {
        self.setting = setting; self.reason = reason; self.remedy = remedy
    }

    /// The message without options, for callers outside the language (tests, logs).
    public var description: String {
        switch remedy {
        case nil: return reason
        case .use(let v)?: return "\(reason) (\(setting) \(v))"
        case .useOneOf(let vs)?: return "\(reason) (\(setting) \(vs.joined(separator: " or ")))"
        case .atMost(let n)?: return "\(reason) (\(setting) at most \(n))"
        case .example(let e)?: return "\(reason) (\(setting), e.g. \(e))"
        }
    }
}

/// A name that is not among the known ones: a column, a class, a level of a column.
public struct UnknownNameError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What the name should have named: "column", "class", "value".
    public var kind: String
    public var name: String
    /// The names that exist, for the suggestion.
    public var known: [String]
    /// The column the name belongs to, when it is a class or a value of one.
    public var owner: String?
    /// The setting the name was given as, when it came from one (`positive`, `binColumns`).
    public var setting: String?
    /// When set, the known names are listed after the message under this label ("classes").
    public var listing: String?

    public init(
        kind: String, name: String, known: [String], owner: String? = nil, setting: String? = nil,
        listing: String? = nil
    ) {
        self.kind = kind; self.name = name; self.known = known; self.owner = owner
        self.setting = setting; self.listing = listing
    }

    /// "'island' has no value 'Drem'" or "no column named 'x'", without a suggestion.
    public var description: String {
        owner.map { "'\($0)' has no \(kind) '\(name)'" } ?? "no \(kind) named '\(name)'"
    }
}
