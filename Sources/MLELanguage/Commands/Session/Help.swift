import Foundation
import MLELearning

/// `help`: the commands by area, or one command's arguments, options and examples.
enum HelpCommand: Command {
    static let spec = CommandSpec(
        name: "help",
        summary: "List the commands, or explain one, or a topic: language, formats, metrics, units",
        positionals: [ParamSpec("command", .word, "a command name, or a topic (language, formats, metrics, units)")],
        returns: "help text",
        examples: ["help", "help mlp", "?mlp", "help metrics"]
    ) { inv in try execute(inv) }

    struct Options {
        /// The command asked about; the overview when nil.
        var command: String?
    }

    static func options(_ inv: Invocation) throws -> Options { Options(command: inv.string("command")) }

    static func validate(_ o: Options, _ inv: Invocation) throws {
        if let name = o.command, inv.session.registry[name] == nil, HelpTopic(rawValue: name) == nil {
            let topics = HelpTopic.allCases.map(\.rawValue)
            let suggestion = Diagnostics.didYouMean(name, in: inv.session.registry.names + topics)
            throw inv.error(
                "no command or topic named '\(name)'"
                    + (suggestion.isEmpty
                        ? " (topics: \(topics.joined(separator: ", ")); help lists the commands)" : suggestion),
                at: "command")
        }
    }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        let registry = inv.session.registry
        if let name = o.command, registry[name] == nil, let topic = HelpTopic(rawValue: name) {
            return .report(topic.report)
        }
        guard let name = o.command, let spec = registry[name] else { return .report(overview(registry)) }
        return .report(detail(spec))
    }

    static func overview(_ registry: CommandRegistry) -> Report {
        let specs = registry.names.compactMap { registry[$0] }
        let fields = [
            Field(
                "statements",
                .text(
                    "COMMAND ARGS key=value  ·  name = COMMAND ...  ·  a, b = COMMAND ...\n"
                        + "for x in [1, 2] { ... }  ·  NAME shows a variable  ·  # comment")),
            Field("more", .text("help COMMAND for its arguments, options and examples; Tab completes")),
            Field(
                "topics",
                .text(HelpTopic.allCases.map { "help \($0.rawValue): \($0.summary)" }.joined(separator: "\n")))
        ]
        let tables = CommandArea.allCases.compactMap { area -> Table? in
            let rows = specs.filter { $0.area == area }.map { [Cell.text($0.name), .text($0.summary)] }
            guard !rows.isEmpty else { return nil }
            return Table(
                key: area.rawValue, caption: area.title,
                columns: [Table.Column("name", "command", .left), Table.Column("summary", "what it does", .left)],
                rows: rows)
        }
        return Report(kind: "help", title: "mle commands", fields: fields, tables: tables)
    }

    static func detail(_ spec: CommandSpec) -> Report {
        func defaultCell(_ p: ParamSpec) -> Cell {
            guard let d = p.defaultValue else { return p.required ? .text("required") : .missing("") }
            switch d {
            case .bool(let b): return .shown(.flag(b), as: b ? "on" : "off")
            case .number(let v): return .number(v, .general)
            default: return .text(d.summary)
            }
        }
        let columns = [
            Table.Column("name", nil, .left), Table.Column("type", nil, .left),
            Table.Column("default", nil, .left), Table.Column("meaning", nil, .left)
        ]
        var tables: [Table] = []
        if !spec.positionals.isEmpty {
            tables.append(
                Table(
                    key: "arguments", caption: "arguments", columns: columns,
                    rows: spec.positionals.map {
                        [.text($0.name.uppercased()), .text($0.type.description), defaultCell($0), .text($0.help)]
                    }))
        }
        if !spec.options.isEmpty {
            tables.append(
                Table(
                    key: "options", caption: "options", columns: columns,
                    rows: spec.options.map {
                        [.text($0.name), .text($0.type.description), defaultCell($0), .text($0.help)]
                    }))
        }
        let examples = "examples:\n" + spec.examples.map { "  " + $0 }.joined(separator: "\n")
        return Report(
            kind: "help", title: "\(spec.name) — \(spec.summary)",
            fields: [
                Field("name", .text(spec.name), audience: .machines),
                Field("area", .text(spec.area.title), audience: .machines),
                Field("usage", .text(spec.usage)), Field("returns", .text(spec.returns)),
                Field("examples", .text(spec.examples.joined(separator: "\n")), audience: .machines)
            ],
            tables: tables, notes: [examples].filter { _ in !spec.examples.isEmpty })
    }
}
