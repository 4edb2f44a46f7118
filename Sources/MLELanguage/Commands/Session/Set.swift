import Foundation
import MLELearning

/// `set`: change a session setting.
enum SetCommand: Command {
    static let spec = CommandSpec(
        name: "set",
        summary:
            "Change a session setting: format (table, json, csv), seed, timer (on, off), or output (a file the results go to from now on, in the current format, as sqlite3's .output; stdout sends them back)",
        positionals: [
            ParamSpec("setting", .choice(Setting.allCases.map(\.rawValue)), "the setting to change", required: true),
            ParamSpec("value", .word, "its new value", required: true)
        ],
        returns: "nothing",
        examples: [
            "set format json", "set seed 42", "set timer on", "set output \"results.csv\"", "set output stdout"
        ]
    ) { inv in try execute(inv) }

    /// The settings `set` changes.
    enum Setting: String, CaseIterable { case format, seed, timer, output }

    /// A setting and its new value, decoded.
    enum Options {
        case format(OutputFormat)
        case timer(Bool)
        case seed(UInt64)
        /// A file for results, or nil for the terminal again.
        case output(String?)
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
        case .output:
            switch value {
            case .symbol("stdout")?, .symbol("off")?: return .output(nil)
            case .string(let path)? where !path.isEmpty: return .output(path)
            default:
                throw inv.error(
                    "output takes a file name in quotes (set output \"results.csv\") or stdout", at: "value")
            }
        }
    }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        switch o {
        case .format(let f): inv.session.format = f
        case .timer(let on): inv.session.timer = on
        case .seed(let s): inv.session.seed = s
        case .output(let path?):
            // The file is created (empty) now, so a path that cannot be written is said here.
            do { try AtomicFile.write(Data(), to: path) } catch {
                throw inv.error("cannot write '\(path)': \(error.localizedDescription)", at: "value")
            }
            inv.session.channel.file = (path, "")
            inv.session.output.note("results go to \(path) (set output stdout sends them back)")
        case .output(nil):
            if let f = inv.session.channel.file {
                inv.session.output.note("results go to the terminal again (\(f.path) is written)")
            }
            inv.session.channel.file = nil
        }
        return .none
    }
}
