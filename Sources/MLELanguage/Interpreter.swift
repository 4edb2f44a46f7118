import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

/// Runs statements against a session: binds arguments to command specs, runs commands, assigns
/// results and prints them in the session's format.
public struct Interpreter {
    public let session: Session

    public init(session: Session) { self.session = session }

    /// Runs source text statement by statement.
    /// - Parameters:
    ///   - keepGoing: after an error, report it and go on with the next statement; otherwise stop.
    /// - Returns: true when every statement succeeded.
    @discardableResult
    public func run(_ text: String, file: String, firstLine: Int = 1, keepGoing: Bool = false) -> Bool {
        do {
            return try runThrowing(text, file: file, firstLine: firstLine, keepGoing: keepGoing)
        } catch is Interrupted {
            session.output.error("interrupted")
            return false
        } catch {
            return false
        }
    }

    /// Like `run`, but an interruption propagates as `Interrupted` so callers (a sourcing script)
    /// stop too. Errors are reported to the session's output as they happen.
    func runThrowing(_ text: String, file: String, firstLine: Int = 1, keepGoing: Bool) throws -> Bool {
        var parser = Parser(text, file: file, firstLine: firstLine)
        var ok = true
        while !session.quitRequested {
            let statement: Statement
            do {
                guard let s = try parser.nextStatement() else { break }
                statement = s
            } catch let e as MLEError {
                // Recorded under the lines read up to the error.
                session.transcript.begin(parser.lastStatementText, comment: parser.lastStatementComment)
                session.output.error(e.rendered)
                ok = false
                if !keepGoing { return false }
                parser.skipStatement()
                continue
            }
            // Ctrl-C during one statement stops the ones after it.
            if session.cancellation.isCancelled { throw Interrupted() }
            do {
                try execute(statement, source: parser.lastStatementText, comment: parser.lastStatementComment)
            } catch let e as MLEError {
                session.output.error(e.rendered)
                ok = false
                if !keepGoing { return false }
            }
        }
        return ok
    }

    /// Executes one statement; with `set timer on`, then reports its wall-clock and CPU time.
    /// - Throws: `MLEError` with the position of the problem; `Interrupted` on Ctrl-C.
    /// - Parameters:
    ///   - source: the statement's text, recorded with its output for an HTML report.
    ///   - comment: the comment lines above it, recorded with it.
    public func execute(_ statement: Statement, source: String? = nil, comment: String = "") throws {
        if let w = session.widthSource?() { session.width = max(w, 20) }
        session.channel.begin(source, comment: comment)
        defer { session.channel.end() }
        guard session.timer else { return try perform(statement) }
        let watch = Stopwatch()
        try perform(statement)
        // `set timer off` is not timed; `set timer on` was not either (the timer was off).
        guard session.timer else { return }
        let (wall, cpu) = watch.read()
        let loop = if case .forLoop = statement { true } else { false }
        switch session.format {
        case .json:
            session.output.note(
                JSON.object([
                    (
                        "time",
                        .object([
                            ("statement", .string(loop ? "for" : "command")),
                            ("wall_seconds", .num(wall)), ("cpu_seconds", .num(cpu))
                        ])
                    )
                ]).serialized())
        case .table, .csv:
            session.output.note(
                "time\(loop ? " (for loop)" : ""): \(Format.duration(wall)) wall, \(Format.duration(cpu)) cpu")
        }
    }

    private func perform(_ statement: Statement) throws {
        switch statement {
        case .call(let call):
            if session.registry[call.name] == nil, call.arguments.isEmpty, let v = session.variables[call.name] {
                session.variables["ans"] = v
                show(v)
                return
            }
            let v = try invoke(call, assignedTo: nil)
            if case .none = v {} else { session.variables["ans"] = v }
            show(v)
        case .assign(let targets, let locations, let assigned):
            for (t, loc) in zip(targets, locations) where session.registry[t] != nil || ["for", "in"].contains(t) {
                throw MLEError(loc, "'\(t)' is a command name; choose another variable name")
            }
            let value: Value
            switch assigned {
            case .value(let e): value = try evaluate(e)
            case .call(let c):
                if session.registry[c.name] == nil, c.arguments.isEmpty {
                    guard let v = session.variables[c.name] else { throw unknownName(c.name, at: c.location) }
                    value = v
                } else {
                    value = try invoke(c, assignedTo: targets.count == 1 ? targets[0] : nil)
                }
            }
            try assign(value, to: targets, at: locations)
            // `ans` is the last result, shown or assigned (as in Julia); a pair assigned to one
            // name is its first part.
            if targets.count == 1, case .tuple(let parts) = value, parts.count == 2, case .report = parts[1] {
                session.variables["ans"] = parts[0]
            } else {
                session.variables["ans"] = value
            }
        case .forLoop(let variable, let loc, let listExpr, let body):
            guard case .list(let items) = try evaluate(listExpr) else {
                throw MLEError(listExpr.location, "a for loop runs over a list, e.g. for d in [0.01, 0.1] { ... }")
            }
            if session.registry[variable] != nil {
                throw MLEError(loc, "'\(variable)' is a command name; choose another loop variable")
            }
            for item in items {
                if session.cancellation.isCancelled { throw Interrupted() }
                session.variables[variable] = item
                for s in body { try execute(s) }
            }
        }
    }

    /// Wall-clock time and the CPU time of every thread of the process since its start.
    struct Stopwatch {
        let wall = DispatchTime.now().uptimeNanoseconds
        let cpu = Stopwatch.cpuNanoseconds()

        static func cpuNanoseconds() -> UInt64 {
            var t = timespec()
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
            return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
        }

        /// Seconds elapsed: (wall, cpu).
        func read() -> (Double, Double) {
            let w = DispatchTime.now().uptimeNanoseconds, c = Stopwatch.cpuNanoseconds()
            return (Double(w &- wall) / 1e9, Double(c >= cpu ? c - cpu : 0) / 1e9)
        }
    }

    private func assign(_ value: Value, to targets: [String], at locations: [SourceLocation]) throws {
        if targets.count == 1 {
            // A command that returns a result and its report (search, ensemble) binds the
            // result to a single name and shows the report.
            if case .tuple(let parts) = value, parts.count == 2, case .report = parts[1] {
                session.variables[targets[0]] = parts[0]
                announce([(targets[0], parts[0])])
                show(parts[1])
                return
            }
            if case .none = value {
                throw MLEError(locations[0], "this command returns nothing to assign to '\(targets[0])'")
            }
            session.variables[targets[0]] = value
            announce([(targets[0], value)])
            return
        }
        guard case .tuple(let parts) = value, parts.count == targets.count else {
            let got = if case .tuple(let p) = value { "\(p.count) values" } else { "one value" }
            throw MLEError(locations[0], "\(targets.count) names on the left but the right side gives \(got)")
        }
        for (t, v) in zip(targets, parts) { session.variables[t] = v }
        announce(Array(zip(targets, parts)))
    }

    /// Prints the one-line summary of new variables.
    private func announce(_ pairs: [(String, Value)]) {
        switch session.format {
        case .json:
            session.output.result(JSON.object(pairs.map { ($0.0, $0.1.json) }).serialized())
        case .csv:
            // A table like every other result, so a CSV reader never meets free text.
            session.output.result(
                CSVText.line(["variable", "type", "value"]) + "\n"
                    + pairs.map { CSVText.line([$0.0, $0.1.typeName, CSVText.text($0.1.summary)]) }.joined(
                        separator: "\n") + "\n")
        case .table:
            let line =
                pairs.count == 1
                ? "\(pairs[0].0): \(pairs[0].1.summary)"
                : pairs.map { "\($0.0): \(Interpreter.brief($0.1))" }.joined(separator: " · ")
            session.output.result(TextLayout.hanging(line, width: session.width))
        }
    }

    static func brief(_ v: Value) -> String {
        if case .dataset(let d) = v { return "\(d.rowCount) rows" }
        return v.summary
    }

    /// Prints a result in the session's format.
    func show(_ v: Value) {
        switch v {
        case .none: return
        case .tuple(let parts):
            for p in parts { show(p) }
        case .report(let r):
            var text: String
            do {
                // A partial result (Ctrl-C already pressed) is shown whole; otherwise Ctrl-C stops
                // the rendering of millions of rows.
                let stop = session.cancellation.isCancelled ? Cancellation.never : session.cancellation
                text = try r.render(session.format, width: session.width, cancellation: stop)
                if session.colour, session.format == .table, !session.channel.redirected {
                    text = TextColour.report(text, verdict: r.verdict, width: session.width)
                }
            } catch {
                session.output.note("interrupted: the result was not shown (the value is kept)")
                return
            }
            // A blank line after a multi-line table keeps consecutive reports apart.
            // CSV results are separated by a blank line too, one table per result.
            session.channel.report(r, rendered: session.format != .json && text.contains("\n") ? text + "\n" : text)
        default:
            switch session.format {
            case .json: session.output.result(v.json.serialized())
            case .csv:
                session.output.result(
                    CSVText.line(["type", "value"]) + "\n" + CSVText.line([v.typeName, CSVText.text(v.summary)]) + "\n")
            case .table: session.output.result(v.summary)
            }
        }
    }

    /// Evaluates a plain value expression.
    func evaluate(_ e: Expr) throws -> Value {
        switch e {
        case .number(let v, _): return .number(v)
        case .string(let s, _): return .string(s)
        case .list(let items, _): return .list(try items.map(evaluate))
        case .name(let n, let loc):
            if let v = session.variables[n] { return v }
            if n == "true" { return .bool(true) }
            if n == "false" { return .bool(false) }
            throw unknownName(n, at: loc)
        }
    }

    func unknownName(_ n: String, at loc: SourceLocation) -> MLEError {
        if session.registry[n] != nil {
            return MLEError(loc, "'\(n)' is a command; to use its result, assign it first (x = \(n) ...)")
        }
        let hint = Diagnostics.didYouMean(n, in: Array(session.variables.keys).sorted() + session.registry.names)
        return MLEError(loc, "unknown variable '\(n)'\(hint)")
    }

    /// Looks up, binds and runs a command.
    func invoke(_ call: Call, assignedTo name: String?) throws -> Value {
        guard let spec = session.registry[call.name] else {
            let candidates = session.registry.names + Array(session.variables.keys).sorted()
            let hint = Diagnostics.didYouMean(call.name, in: candidates)
            if session.variables[call.name] != nil {
                throw MLEError(call.location, "'\(call.name)' is a variable, not a command; write it alone to show it")
            }
            throw MLEError(
                call.location, "unknown command '\(call.name)'\(hint)",
                notes: hint.isEmpty ? ["type 'help' for the list of commands"] : [])
        }
        let invocation = try bind(call, to: spec, assignedTo: name)
        defer { session.progress.finish() }
        // A failed command leaves the session seed where it was, too: the next random command
        // draws what it would have drawn without the failure.
        let seed = session.seed
        do {
            let value = try Cancellation.withCurrent(session.cancellation) { try spec.run(invocation) }
            // Ctrl-C while the command ran, and it finished anyway: its result is dropped
            // unless it is a partial result the command marks.
            if session.cancellation.isCancelled, !spec.keepsPartialResults {
                ReleaseLater.drop(value)  // a large result is freed off the way back to the prompt
                throw Interrupted()
            }
            return Interpreter.label(value, by: invocation)
        } catch {
            // Not after `source`: the statements of the script that ran keep what they drew.
            if spec.name != "source" { session.seed = seed }
            throw Diagnostics.render(error, in: invocation)
        }
    }

    /// Names the command and its subjects (the models and datasets it was given, as written) on
    /// every report a command returns, so JSON says what each report is about.
    static func label(_ v: Value, by inv: Invocation) -> Value {
        switch v {
        case .report(var r):
            if r.kind != inv.spec.name { r.commandName = inv.spec.name }
            if r.subjects.isEmpty {
                r.subjects = inv.spec.positionals.compactMap { p in
                    switch inv.value(p.name) {
                    case .model(let m)?: return (p.name, inv.names[p.name] ?? m.model.kind)
                    case .dataset(let d)?: return (p.name, inv.names[p.name] ?? d.name)
                    default: return nil
                    }
                }
            }
            return .report(r)
        case .tuple(let parts): return .tuple(parts.map { label($0, by: inv) })
        default: return v
        }
    }

    /// Matches a call's arguments to a spec's positionals and options, converting each value.
    func bind(_ call: Call, to spec: CommandSpec, assignedTo name: String?) throws -> Invocation {
        var values: [String: Value] = [:]
        var locations: [String: SourceLocation] = [:]
        var nextPositional = 0
        for arg in call.arguments {
            if let label = arg.label {
                let loc = arg.labelLocation ?? arg.value.location
                guard let param = spec.option(label) ?? spec.positionals.first(where: { $0.name == label }) else {
                    let names = spec.options.map(\.name) + spec.positionals.map(\.name)
                    let hint = Diagnostics.didYouMean(label, in: names)
                    throw MLEError(
                        loc, "unknown option '\(label)' for '\(spec.name)'\(hint)",
                        notes: ["usage: \(spec.shortUsage)"])
                }
                guard values[param.name] == nil else {
                    throw MLEError(loc, "'\(param.name)' is given twice")
                }
                values[param.name] = try convert(arg.value, to: param.type, param: param.name, command: spec.name)
                locations[param.name] = arg.value.location
                continue
            }
            // A bare word naming a flag sets it (`stratify`).
            if case .name(let n, let loc) = arg.value, let opt = spec.option(n), case .bool = opt.type {
                guard values[n] == nil else { throw MLEError(loc, "'\(n)' is given twice") }
                values[n] = .bool(true)
                locations[n] = loc
                continue
            }
            while nextPositional < spec.positionals.count, values[spec.positionals[nextPositional].name] != nil {
                nextPositional += 1
            }
            guard nextPositional < spec.positionals.count else {
                var hint = ""
                if case .name(let n, _) = arg.value, session.variables[n] == nil {
                    let flags = spec.options.filter { if case .bool = $0.type { true } else { false } }.map(\.name)
                    hint = Diagnostics.didYouMean(n, in: flags + spec.options.map { $0.name })
                }
                throw MLEError(
                    arg.value.location,
                    "'\(spec.name)' takes \(spec.positionals.count) positional argument\(spec.positionals.count == 1 ? "" : "s"); this one is extra\(hint)",
                    notes: ["usage: \(spec.shortUsage)"])
            }
            let param = spec.positionals[nextPositional]
            values[param.name] = try convert(arg.value, to: param.type, param: param.name, command: spec.name)
            locations[param.name] = arg.value.location
            nextPositional += 1
        }
        for p in spec.positionals where values[p.name] == nil {
            if let d = p.defaultValue { values[p.name] = d; continue }
            if p.required {
                throw MLEError(
                    call.location, "'\(spec.name)' needs a \(p.name.uppercased()) (\(p.help))",
                    notes: ["usage: \(spec.shortUsage)"])
            }
        }
        for o in spec.options where values[o.name] == nil {
            if let d = o.defaultValue { values[o.name] = d }
        }
        var invocation = Invocation(
            spec: spec, location: call.location, session: session, assignedName: name,
            values: values, locations: locations)
        for arg in call.arguments {
            guard case .name(let n, let loc) = arg.value, session.variables[n] != nil else { continue }
            if let p = locations.first(where: { $0.value == loc })?.key { invocation.names[p] = n }
        }
        // The variables in a list argument (`versus=[a, b]`) by position: "versus.0", "versus.1".
        for arg in call.arguments {
            guard case .list(let items, let loc) = arg.value,
                let p = locations.first(where: { $0.value == loc })?.key
            else { continue }
            for (i, item) in items.enumerated() {
                if case .name(let n, _) = item, session.variables[n] != nil { invocation.names["\(p).\(i)"] = n }
            }
        }
        return invocation
    }

    /// Converts an argument expression to the parameter's type.
    func convert(_ e: Expr, to type: ArgType, param: String, command: String) throws -> Value {
        let loc = e.location
        switch type {
        case .choice(let choices):
            var word: String?
            switch e {
            case .name(let n, _):
                word =
                    session.variables[n].flatMap {
                        if case .symbol(let s) = $0 { s } else if case .string(let s) = $0 { s } else { nil }
                    } ?? n
            case .string(let s, _): word = s
            default: break
            }
            guard let w = word, choices.contains(w) else {
                let shown = word.map { "'\($0)'" } ?? "this value"
                let hint = word.map { Diagnostics.didYouMean($0, in: choices) } ?? ""
                throw MLEError(
                    loc, "\(shown) is not a choice for \(param)\(hint) (choices: \(choices.joined(separator: ", ")))")
            }
            return .symbol(w)
        case .word:
            // A bare word is itself (`class_weights=balanced`) unless it names a variable, whose
            // value is taken (`for d in [0.05, 0.1] { robust net test delta=d }`).
            if case .name(let n, _) = e {
                guard let v = session.variables[n] else { return .symbol(n) }
                return v
            }
            return try evaluate(e)
        case .string:
            // A bare word is taken as itself (`target=diagnosis`) unless it names a variable
            // holding a string, a word or a number; a number stands for its text (`positive=8`,
            // a class named 8).
            if case .name(let n, _) = e {
                switch session.variables[n] {
                case .string(let s)?, .symbol(let s)?: return .string(s)
                case .number(let v)?: return .string(Format.number(v))
                default: return .string(n)
                }
            }
            if case .number(let v, _) = e { return .string(Format.number(v)) }
            return try check(try evaluate(e), type, param: param, at: loc)
        case .list(let inner) where isWordLike(inner):
            // Items of a literal list convert one by one, so bare words name columns or choices
            // (`categorical=[island, sex]`); a single word is a list of one.
            if case .list(let items, _) = e {
                return .list(try items.map { try convert($0, to: inner, param: param, command: command) })
            }
            if case .name(let n, _) = e, case .list? = session.variables[n] {
                return try check(try evaluate(e), type, param: param, at: loc)
            }
            if case .name = e { return .list([try convert(e, to: inner, param: param, command: command)]) }
            if case .string = e { return .list([try convert(e, to: inner, param: param, command: command)]) }
            return try check(try evaluate(e), type, param: param, at: loc)
        case .bool:
            if case .name(let n, _) = e {
                switch n {
                case "true", "yes", "on": return .bool(true)
                case "false", "no", "off": return .bool(false)
                default: break
                }
            }
            let v = try evaluate(e)
            switch v {
            case .bool: return v
            case .number(let x) where x == 0 || x == 1: return .bool(x == 1)
            default: throw MLEError(loc, "\(param) takes true or false, got \(v.typeName) \(v.summary)")
            }
        default:
            let v = try evaluate(e)
            do {
                let checked = try check(v, type, param: param, at: loc)
                // Data without rows (a filter that kept none) is refused here, once for every
                // command, rather than giving 0-of-0 accuracies or failing deep inside; only
                // describe shows it as it is.
                if case .dataset(let d) = checked, d.rowCount == 0, command != "describe" {
                    let name: String
                    if case .name(let n, _) = e { name = "'\(n)'" } else { name = "the data" }
                    throw MLEError(loc, "\(name) has no rows; \(command) needs data (describe shows what it holds)")
                }
                return checked
            } catch let err as MLEError {
                // Name the variable when the argument was one: "'data' is a dataset, but ...".
                if case .name(let n, _) = e, err.message.hasPrefix("\(param) takes \(type.withArticle), got") {
                    throw MLEError(loc, "'\(n)' is a \(v.typeName), but \(param) takes \(type.withArticle)")
                }
                throw err
            }
        }
    }

    private func isWordLike(_ t: ArgType) -> Bool {
        switch t {
        case .string, .choice, .word: return true
        default: return false
        }
    }

    private func check(_ v: Value, _ type: ArgType, param: String, at loc: SourceLocation) throws -> Value {
        func mismatch() -> MLEError {
            MLEError(
                loc,
                "\(param) takes \(type.withArticle), got \(v.typeName) \(v.summary.count > 40 ? String(v.summary.prefix(40)) + "…" : v.summary)"
            )
        }
        switch (type, v) {
        case (.dataset, .dataset), (.model, .model), (.number, .number), (.modelOrDataset, .model),
            (.modelOrDataset, .dataset):
            return v
        case (.string, .string), (.path, .string), (.word, _): return v
        case (.string, .symbol(let s)): return .string(s)
        case (.string, .number(let x)): return .string(Format.number(x))
        case (.choice(let c), .symbol(let s)) where c.contains(s): return .symbol(s)
        case (.choice(let c), .string(let s)) where c.contains(s): return .symbol(s)
        case (.integer, .number(let x)):
            guard x == x.rounded(), abs(x) < 1e15 else {
                throw MLEError(loc, "\(param) takes a whole number, got \(Format.number(x))")
            }
            return v
        case (.list(let inner), .list(let items)):
            return .list(try items.map { try check($0, inner, param: param, at: loc) })
        case (.list(let inner), .number), (.list(let inner), .model), (.list(let inner), .dataset):
            // A single number, model or dataset where a list is expected is a list of one
            // (`hidden=32`, `versus=cal`).
            return .list([try check(v, inner, param: param, at: loc)])
        default:
            throw mismatch()
        }
    }
}

/// Frees a large value on a background thread: dropping millions of table rows after Ctrl-C
/// took 0.4 s, all of it between the interrupt and the prompt.
enum ReleaseLater {
    /// Takes a reference to `value` and lets it go a second later, after the caller has let go
    /// of its own (so the last release, which frees, is the background thread's).
    static func drop<T>(_ value: T) {
        nonisolated(unsafe) let held = value
        DispatchQueue.global(qos: .utility).asyncAfter(deadline: .now() + 1) { withExtendedLifetime(held) {} }
    }
}
