import Foundation
import MLELearning

/// `set`: change a session setting.
enum SetCommand: Command {
    static let spec = CommandSpec(
        name: "set",
        summary: "Change a session setting: format (table, json, csv), seed, or timer (on, off)",
        positionals: [
            ParamSpec("setting", .choice(Setting.allCases.map(\.rawValue)), "the setting to change", required: true),
            ParamSpec("value", .word, "its new value", required: true)
        ],
        returns: "nothing",
        examples: ["set format json", "set seed 42", "set timer on"]
    ) { inv in try execute(inv) }

    /// The settings `set` changes.
    enum Setting: String, CaseIterable { case format, seed, timer }

    /// A setting and its new value, decoded.
    enum Options {
        case format(OutputFormat)
        case timer(Bool)
        case seed(UInt64)
    }

    static func options(_ inv: Invocation) throws -> Options {
        let value = inv.value("value")
        switch try inv.choice("setting", Setting.self) {
        case .format:
            guard case .symbol(let s)? = value, let f = OutputFormat(rawValue: s) else {
                let choices = SessionCommands.settingValues["format", default: []].joined(separator: ", ")
                throw inv.error("'\(value?.summary ?? "")' is not an output format (choices: \(choices))", at: "value")
            }
            return .format(f)
        case .timer:
            switch value {
            case .symbol("on")?, .symbol("true")?, .bool(true)?: return .timer(true)
            case .symbol("off")?, .symbol("false")?, .bool(false)?: return .timer(false)
            default:
                let choices = SessionCommands.settingValues["timer", default: []].joined(separator: ", ")
                throw inv.error("'\(value?.summary ?? "")' is not a timer setting (choices: \(choices))", at: "value")
            }
        case .seed:
            guard case .number(let v)? = value, v >= 0, v == v.rounded(), v < 9.2e18 else {
                throw inv.error("seed takes a whole number of 0 or more", at: "value")
            }
            return .seed(UInt64(v))
        }
    }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        switch o {
        case .format(let f): inv.session.format = f
        case .timer(let on): inv.session.timer = on
        case .seed(let s): inv.session.seed = s
        }
        return .none
    }
}
