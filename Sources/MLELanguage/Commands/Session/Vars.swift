import Foundation
import MLELearning

/// `vars`: the session's variables.
enum VarsCommand: Command {
    static let spec = CommandSpec(
        name: "vars",
        summary: "List the session's variables",
        returns: "a table of variables",
        examples: ["vars"]
    ) { inv in try execute(inv) }

    struct Options {}

    static func options(_ inv: Invocation) throws -> Options { Options() }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        let names = inv.session.variables.keys.sorted()
        let rows = names.compactMap { n in inv.session.variables[n].map { [n, $0.typeName, $0.summary] } }
        let notes = rows.isEmpty ? ["no variables yet; assign one with name = COMMAND ..."] : []
        return .report(
            Report(
                kind: "vars", title: "",
                tables: rows.isEmpty
                    ? []
                    : [
                        Table(
                            header: ["name", "type", "value"], rows: rows, alignments: [.left, .left, .left],
                            key: "variables")
                    ],
                notes: notes))
    }
}
