import Foundation
import MLELearning

/// `show`: the session's settings, as `set` changes them, and what else shapes its output.
enum ShowCommand: Command {
    static let spec = CommandSpec(
        name: "show",
        summary: "The session's settings (format, seed, timer), its width, variables and mle's version",
        returns: "a report",
        examples: ["show"]
    ) { inv in try execute(inv) }

    struct Options {}

    static func options(_ inv: Invocation) throws -> Options { Options() }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        let s = inv.session
        let fields: [Field] = [
            Field("format", .text(s.format.rawValue)),
            Field(
                "seed",
                .shown(
                    .count(Int(truncatingIfNeeded: s.seed)),
                    as: "\(s.seed) (the next random command's, when it is not given seed=)")),
            Field("timer", .text(s.timer ? "on" : "off")),
            Field("width", .shown(.count(s.width), as: "\(s.width) columns")),
            Field("variables", .count(s.variables.count)),
            Field("version", .text(MLEVersion.number))
        ]
        return .report(
            Report(
                kind: "settings", title: "session settings", fields: fields,
                notes: ["change them with set format json, set seed 42, set timer on"]))
    }
}
