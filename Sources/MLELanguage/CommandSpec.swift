import MLELearning

/// The type of a command's argument. Binding converts and checks values against it.
public indirect enum ArgType: Sendable {
    case dataset, model, number, integer, string, bool
    /// A model or a dataset (`save`).
    case modelOrDataset
    /// A string naming a file (completed as a path).
    case path
    case list(ArgType)
    /// One of a closed set of bare words (`kind=zero_rule`).
    case choice([String])
    /// A bare word, number or string, taken literally (`set format json`).
    case word

    /// The description with its article: "an integer", "a model".
    public var withArticle: String {
        let d = description
        return (d.first.map { "aeiou".contains($0) } ?? false ? "an " : "a ") + d
    }

    public var description: String {
        switch self {
        case .dataset: return "dataset"
        case .model: return "model"
        case .modelOrDataset: return "model or dataset"
        case .number: return "number"
        case .integer: return "integer"
        case .string: return "string"
        case .bool: return "flag"
        case .path: return "file"
        case .list(let t): return "list of \(t.description)"
        case .choice(let c): return c.joined(separator: "|")
        case .word: return "word"
        }
    }
}

/// One positional argument or option of a command.
public struct ParamSpec: Sendable {
    public var name: String
    public var type: ArgType
    public var help: String
    /// The value used when the option is not given; nil means "required" for positionals and
    /// "absent" for options.
    public var defaultValue: Value?
    public var required: Bool

    public init(
        _ name: String, _ type: ArgType, _ help: String, default defaultValue: Value? = nil,
        required: Bool = false
    ) {
        self.name = name; self.type = type; self.help = help
        self.defaultValue = defaultValue; self.required = required
    }
}

/// Everything about a command: what `help` shows, what binding checks and what completion offers.
public struct CommandSpec: Sendable {
    public var name: String
    public var summary: String
    public var positionals: [ParamSpec]
    public var options: [ParamSpec]
    /// What the command returns, for `help`.
    public var returns: String
    public var examples: [String]
    /// Where the command sits in `help` (and its folder under Commands/); set by the registry.
    public var area: CommandArea = .session
    public var run: @Sendable (Invocation) throws -> Value
    /// Whether the command's result after Ctrl-C means something (a network with the weights
    /// learned so far, the candidates scored so far) and is bound, marked as interrupted. For
    /// every other command a result that arrives after Ctrl-C is dropped and nothing is bound.
    public var keepsPartialResults = false

    /// The same command, keeping what it returns after Ctrl-C.
    public func keepingPartialResults() -> CommandSpec {
        var s = self
        s.keepsPartialResults = true
        return s
    }

    public init(
        name: String, summary: String, positionals: [ParamSpec] = [], options: [ParamSpec] = [],
        returns: String, examples: [String], run: @escaping @Sendable (Invocation) throws -> Value
    ) {
        self.name = name; self.summary = summary; self.positionals = positionals; self.options = options
        self.returns = returns; self.examples = examples; self.run = run
    }

    /// `mlp DATA [hidden=LIST] ...`, the one-line usage.
    public var usage: String {
        var parts = [name]
        for p in positionals { parts.append(p.required ? p.name.uppercased() : "[\(p.name.uppercased())]") }
        for o in options {
            if case .bool = o.type { parts.append("[\(o.name)]") } else { parts.append("[\(o.name)=…]") }
        }
        return parts.joined(separator: " ")
    }

    /// The usage for an error message: at most eight options, then where to find the rest.
    public var shortUsage: String {
        guard options.count > 8 else { return usage }
        var parts = [name]
        for p in positionals { parts.append(p.required ? p.name.uppercased() : "[\(p.name.uppercased())]") }
        for o in options.prefix(6) {
            if case .bool = o.type { parts.append("[\(o.name)]") } else { parts.append("[\(o.name)=…]") }
        }
        parts.append("… (\(options.count - 6) more options: help \(name))")
        return parts.joined(separator: " ")
    }

    public func option(_ name: String) -> ParamSpec? { options.first { $0.name == name } }
}

/// The areas commands are grouped in: `help` lists them in this order, and each command's file
/// lives in the area's folder (`Commands/Robustness/Radius.swift`).
public enum CommandArea: String, CaseIterable, Sendable {
    case data, models, evaluation, imbalance, coverage, robustness, session

    /// The heading `help` shows.
    public var title: String {
        switch self {
        case .data: return "data"
        case .models: return "models"
        case .evaluation: return "evaluation and statistics"
        case .imbalance: return "imbalanced data"
        case .coverage: return "test-set adequacy"
        case .robustness: return "robustness"
        case .session: return "the session"
        }
    }

    /// The folder under Sources/MLELanguage/Commands/.
    public var folder: String { rawValue.prefix(1).uppercased() + rawValue.dropFirst() }
}

/// The set of commands. One registry drives parsing, validation, `help` and completion.
public struct CommandRegistry: Sendable {
    public private(set) var order: [String] = []
    private var specs: [String: CommandSpec] = [:]

    public init(_ commands: [CommandSpec]) {
        for c in commands { order.append(c.name); specs[c.name] = c }
    }

    /// Commands by area, in the order `help` lists them.
    public init(areas: [(CommandArea, [CommandSpec])]) {
        for (area, commands) in areas {
            for var c in commands {
                c.area = area
                order.append(c.name); specs[c.name] = c
            }
        }
    }

    public subscript(name: String) -> CommandSpec? { specs[name] }
    public var names: [String] { order }

    /// Every command of the language.
    public static let standard = CommandRegistry(areas: [
        (
            .data,
            [
                LoadCommand.spec, DescribeCommand.spec, SplitCommand.spec, SampleCommand.spec,
                FilterCommand.spec, DropnaCommand.spec, RelabelCommand.spec, GenerateCommand.spec,
                CheckCommand.spec, AdversarialCommand.spec, DriftCommand.spec
            ]
        ),
        (
            .models,
            [
                BaselineCommand.spec, LogisticCommand.spec, MLPCommand.spec, PredictionsCommand.spec,
                LossCommand.spec, SaveCommand.spec, SearchCommand.spec
            ]
        ),
        (
            .evaluation,
            [
                EvaluateCommand.spec, PredictCommand.spec, IntervalCommand.spec,
                CompareCommand.spec, CurveCommand.spec, CalibrationCommand.spec, CalibrateCommand.spec,
                FairnessCommand.spec,
                MisclassifiedCommand.spec, CVTestCommand.spec,
                RetrainCommand.spec,
                ABTestCommand.spec, BanditCommand.spec
            ]
        ),
        (
            .imbalance,
            [
                ResampleCommand.spec, EnsembleCommand.spec, ThresholdCommand.spec,
                PriorsCommand.spec, ImbalanceCommand.spec
            ]
        ),
        (.coverage, [CoverageCommand.spec, MutationCommand.spec]),
        (.robustness, [RobustCommand.spec, RadiusCommand.spec, VerifyCommand.spec]),
        (
            .session,
            [
                HelpCommand.spec, VarsCommand.spec, DeleteCommand.spec, SetCommand.spec, ShowCommand.spec,
                PlotCommand.spec, ReportCommand.spec, OnceCommand.spec,
                SourceCommand.spec,
                QuitCommand.spec
            ]
        )
    ])
}
