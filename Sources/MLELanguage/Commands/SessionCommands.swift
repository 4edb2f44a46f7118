import Foundation
import MLELearning

/// `help`, `vars`, `set`, `source`, `quit`.
enum SessionCommands {
    static let all = [help, vars, set, source, quit]

    static let help = CommandSpec(
        name: "help",
        summary: "List the commands, or explain one",
        positionals: [ParamSpec("command", .word, "a command name")],
        returns: "help text",
        examples: ["help", "help mlp"]
    ) { inv in
        let registry = inv.session.registry
        guard let name = inv.string("command") else {
            return .report(overview(registry))
        }
        guard let spec = registry[name] else {
            let hint = Suggest.closest(to: name, in: registry.names).map { "; did you mean '\($0)'?" } ?? ""
            throw inv.error("no command named '\(name)'\(hint)", at: "command")
        }
        return .report(detail(spec))
    }

    static func overview(_ registry: CommandRegistry) -> Report {
        let rows = registry.names.compactMap { registry[$0] }.map { [$0.name, $0.summary] }
        let text = """
        Statements: COMMAND ARGS... key=value...  ·  name = COMMAND ...  ·  a, b = COMMAND ...
                    for x in [1, 2] { ... }  ·  a bare variable name shows it  ·  # comment
        Type 'help COMMAND' for its arguments, options and examples; Tab completes.
        """
        let json = JSON.object([("report", .string("help")),
                                ("commands", .array(rows.map { .object([("name", .string($0[0])), ("summary", .string($0[1]))]) }))])
        return Report(kind: "help", title: "mle commands", tables: [Table(header: ["command", "what it does"], rows: rows,
                                                                          alignments: [.left, .left])],
                      json: json, text: text)
    }

    static func detail(_ spec: CommandSpec) -> Report {
        var tables: [Table] = []
        func defaultText(_ p: ParamSpec) -> String {
            guard let d = p.defaultValue else { return p.required ? "required" : "" }
            if case .bool(let b) = d { return b ? "on" : "off" }
            return d.summary
        }
        if !spec.positionals.isEmpty {
            tables.append(Table(caption: "arguments", header: ["name", "type", "default", "meaning"],
                                rows: spec.positionals.map { [$0.name.uppercased(), $0.type.description, defaultText($0), $0.help] },
                                alignments: [.left, .left, .left, .left]))
        }
        if !spec.options.isEmpty {
            tables.append(Table(caption: "options", header: ["name", "type", "default", "meaning"],
                                rows: spec.options.map { [$0.name, $0.type.description, defaultText($0), $0.help] },
                                alignments: [.left, .left, .left, .left]))
        }
        let text = "usage: \(spec.usage)\nreturns: \(spec.returns)"
        let examples = "examples:\n" + spec.examples.map { "  " + $0 }.joined(separator: "\n")
        func params(_ ps: [ParamSpec]) -> JSON {
            .array(ps.map { .object([("name", .string($0.name)), ("type", .string($0.type.description)),
                                     ("default", $0.defaultValue?.json ?? .null), ("help", .string($0.help))]) })
        }
        let json = JSON.object([("report", .string("help")), ("command", .string(spec.name)),
                                ("summary", .string(spec.summary)), ("usage", .string(spec.usage)),
                                ("arguments", params(spec.positionals)), ("options", params(spec.options)),
                                ("examples", .array(spec.examples.map { .string($0) }))])
        return Report(kind: "help", title: "\(spec.name) — \(spec.summary)", tables: tables, notes: [examples],
                      json: json, text: text)
    }

    static let vars = CommandSpec(
        name: "vars",
        summary: "List the session's variables",
        returns: "a table of variables",
        examples: ["vars"]
    ) { inv in
        let names = inv.session.variables.keys.sorted()
        let rows = names.compactMap { n in inv.session.variables[n].map { [n, $0.typeName, $0.summary] } }
        let json = JSON.object([("report", .string("vars")), ("variables", .array(rows.map {
            .object([("name", .string($0[0])), ("type", .string($0[1])), ("summary", .string($0[2]))])
        }))])
        let notes = rows.isEmpty ? ["no variables yet; assign one with name = COMMAND ..."] : []
        return .report(Report(kind: "vars", title: "", tables: rows.isEmpty ? [] : [Table(header: ["name", "type", "value"], rows: rows, alignments: [.left, .left, .left])],
                              notes: notes, json: json))
    }

    /// The values `set` takes for each setting that has a fixed list (completion offers them).
    static let settingValues: [String: [String]] = ["format": OutputFormat.allCases.map(\.rawValue), "timer": ["on", "off"]]

    static let set = CommandSpec(
        name: "set",
        summary: "Change a session setting: format (table, json, csv), seed, or timer (on, off)",
        positionals: [ParamSpec("setting", .choice(["format", "seed", "timer"]), "the setting to change", required: true),
                      ParamSpec("value", .word, "its new value", required: true)],
        returns: "nothing",
        examples: ["set format json", "set seed 42", "set timer on"]
    ) { inv in
        let value = inv.value("value")
        switch inv.string("setting") {
        case "format":
            guard case .symbol(let s)? = value, let f = OutputFormat(rawValue: s) else {
                let shown = value?.summary ?? ""
                let choices = settingValues["format", default: []].joined(separator: ", ")
                throw inv.error("'\(shown)' is not an output format (choices: \(choices))", at: "value")
            }
            inv.session.format = f
        case "timer":
            switch value {
            case .symbol("on")?, .symbol("true")?, .bool(true)?: inv.session.timer = true
            case .symbol("off")?, .symbol("false")?, .bool(false)?: inv.session.timer = false
            default:
                let choices = settingValues["timer", default: []].joined(separator: ", ")
                throw inv.error("'\(value?.summary ?? "")' is not a timer setting (choices: \(choices))", at: "value")
            }
        default:
            guard case .number(let v)? = value, v >= 0, v == v.rounded(), v < 9.2e18 else {
                throw inv.error("seed takes a whole number of 0 or more", at: "value")
            }
            inv.session.seed = UInt64(v)
        }
        return .none
    }

    static let source = CommandSpec(
        name: "source",
        summary: "Run another .mle script in this session (its variables stay)",
        positionals: [ParamSpec("file", .path, "the script to run", required: true)],
        returns: "nothing; stops at the script's first error",
        examples: ["source \"scripts/tour.mle\""]
    ) { inv in
        let path = inv.string("file") ?? ""
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw inv.error("cannot read '\(path)'", at: "file")
        }
        let session = inv.session
        let key = URL(fileURLWithPath: path).standardizedFileURL.path
        guard !session.sourceStack.contains(key) else {
            throw inv.error("'\(path)' is already being sourced (a script cannot source itself)", at: "file")
        }
        session.sourceStack.append(key)
        defer { session.sourceStack.removeLast() }
        let ok = try Interpreter(session: session).runThrowing(text, file: path, keepGoing: false)
        guard ok else { throw inv.error("stopped: '\(path)' failed (see the error above)", at: "file") }
        return .none
    }

    static let quit = CommandSpec(
        name: "quit",
        summary: "Leave the shell (Ctrl-D too)",
        returns: "nothing",
        examples: ["quit"]
    ) { inv in
        inv.session.quitRequested = true
        return .none
    }
}
