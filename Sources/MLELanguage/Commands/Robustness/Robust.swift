import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

/// `robust`: ε-δ robustness (Burkov ch. 7) per example, sampled, attacked and certified.
enum RobustCommand: Command {
    static let spec = CommandSpec(
        name: "robust",
        summary:
            "ε-δ robustness per example: is every input within δ of x mapped within ε of f(x)? Sampled, attacked and certified (CROWN)",
        positionals: [
            ParamSpec("model", .model, "the network (an mlp)", required: true),
            ParamSpec("data", .dataset, "the examples to check", required: true)
        ],
        options: [
            ParamSpec(
                "delta", .list(.number),
                "radius of the input ball, or a list of radii for a curve, e.g. [0.01, 0.05, 0.1]",
                default: .list([.number(0.1)])),
            ParamSpec("epsilon", .number, "largest allowed change of the output (Euclidean)", default: .number(0.05)),
            .choice("norm", PerturbationNorm.self, "the ball's norm (l2, as the book)", default: .l2),
            ParamSpec(
                "method", .choice(["all"] + RobustMethod.allCases.map(\.rawValue)),
                "sample: random points in the ball; attack: projected gradient ascent; certify: CROWN and IBP bounds; all: the three; complete: the three, then branch and bound over ReLU splits (α,β-CROWN) for every example they leave unknown",
                default: .symbol("all")),
            ParamSpec(
                "timeout", .number, "seconds of branch and bound per example left unknown (method=complete)",
                default: .number(10)),
            ParamSpec(
                "samples", .integer, "random points per example (half on the ball's surface)", default: .number(1000)),
            ParamSpec("steps", .integer, "gradient steps of each attack restart", default: .number(50)),
            ParamSpec(
                "restarts", .integer, "attack restarts per example, from random points in the ball", default: .number(5)
            ),
            ParamSpec("seed", .integer, "random seed of sampling and attack starts (default: the session seed)"),
            .choice(
                "output", RobustOutput.self,
                "what ε is measured on: the probability vector (or a regression's prediction) or the logits",
                default: .probabilities),
            .choice(
                "units", RobustUnits.self,
                "δ in standardised feature units (each feature over its training standard deviation) or in the data's own units",
                default: .standardized),
            ParamSpec("rows", .integer, "examples shown in the table", default: .number(20)),
            ParamSpec(
                "features", .integer, "features shown in the sensitivity table (the most sensitive first; 0 hides it)",
                default: .number(5))
        ],
        returns: "a robustness report",
        examples: [
            "robust net test delta=0.1 epsilon=0.05",
            "robust net test delta=0.05 epsilon=0.1 norm=linf method=certify",
            "robust net test delta=[0.01, 0.05, 0.1, 0.2] epsilon=0.05"
        ]
    ) { inv in try execute(inv) }
    .keepingPartialResults()

    struct Options {
        var net: MLP
        var data: Dataset
        var names: RobustCommands.Names
        /// One radius, or several for a curve.
        var deltas: [Double]
        var settings: RobustSettings
        /// Examples and features people see.
        var rows: Int
        var features: Int
    }

    static func options(_ inv: Invocation) throws -> Options {
        let net = try CoverageCommands.network(
            inv, purpose: "robust analyses a neural network's ReLU layers", reluOnly: true)
        let data = try inv.dataset("data")
        var settings = RobustSettings()
        settings.epsilon = try inv.declared("epsilon", Double.self)
        settings.norm = try inv.choice("norm", PerturbationNorm.self)
        let method = try inv.declared("method", String.self)
        switch method {
        case "all": settings.methods = RobustMethod.usual
        case "complete": settings.methods = RobustMethod.usual.union([.complete])
        default: settings.methods = [try inv.choice("method", RobustMethod.self)]
        }
        settings.completeTimeout = try inv.declared("timeout", Double.self)
        settings.samples = try inv.declared("samples", Int.self)
        settings.steps = try inv.declared("steps", Int.self)
        settings.restarts = try inv.declared("restarts", Int.self)
        settings.output = try inv.choice("output", RobustOutput.self)
        settings.units = try inv.choice("units", RobustUnits.self)
        settings.seed = inv.seed()
        return Options(
            net: net, data: data,
            names: RobustCommands.Names(inv, data: data),
            deltas: try deltaList(inv), settings: settings,
            rows: max(try inv.declared("rows", Int.self), 0), features: max(try inv.declared("features", Int.self), 0))
    }

    static func validate(_ o: Options, _ inv: Invocation) throws {
        guard o.settings.epsilon >= 0, o.settings.epsilon.isFinite else {
            throw inv.error("epsilon must be a number ≥ 0", at: "epsilon")
        }
        guard o.settings.completeTimeout > 0, o.settings.completeTimeout <= 86_400 else {
            throw inv.error("timeout takes seconds in (0, 86400]", at: "timeout")
        }
        if inv.given("timeout"), !o.settings.methods.contains(.complete) {
            throw inv.error("timeout is the branch and bound's budget: it goes with method=complete", at: "timeout")
        }
        try inv.check("samples", o.settings.samples, in: 1...1_000_000)
        try inv.check("steps", o.settings.steps, in: 1...100_000)
        try inv.check("restarts", o.settings.restarts, in: 1...10_000)
        if o.settings.output == .logits, !o.net.task.isClassification {
            throw inv.error(
                "output=logits is for classifiers; a regression network's output is its prediction", at: "output")
        }
        guard o.data.rowCount > 0 else { throw inv.error("the data has no rows", at: "data") }
    }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        let x = try o.net.inputs(o.data)
        let settings = o.settings
        var runs: [(delta: Double, results: [RobustExample])] = []
        var interrupted: (delta: Double, decided: Int)?
        for (i, delta) in o.deltas.enumerated() {
            var s = settings
            s.delta = delta
            let offset = i * x.rows * settings.methods.count
            let whole = o.deltas.count * x.rows * settings.methods.count
            let context = inv.context("robust") { _, _ in "δ \(Format.number(delta))" }.reporting { done, _ in
                (offset + done, whole)
            }
            // Ctrl-C keeps what is decided: the examples of this δ settled so far (one δ), or
            // the δs finished (several).
            let (results, cut) = try Robustness.checkKeepingDecided(o.net, x: x, settings: s, context: context)
            if cut {
                interrupted = (delta, results.count)
                if o.deltas.count == 1, !results.isEmpty { runs.append((delta, results)) }
                break
            }
            runs.append((delta, results))
        }
        if interrupted != nil, runs.isEmpty { throw Interrupted() }
        guard o.deltas.count == 1, let run = runs.first else {
            var report = curveReport(runs, settings: settings, net: o.net, names: o.names)
            if let (delta, _) = interrupted {
                report.notes.append(
                    "interrupted at δ = \(Format.number(delta)): \(runs.count) of \(o.deltas.count) radii checked; the curve shows those"
                )
                report.fields.append(Field("interrupted", .flag(true), audience: .machines))
            }
            return .report(report)
        }
        var s = settings
        s.delta = run.delta
        var report = singleReport(
            run.results, delta: run.delta, settings: settings, net: o.net, data: o.data,
            names: o.names, rows: o.rows)
        // The sensitivity is more work over every row: not after Ctrl-C.
        if interrupted == nil {
            let sensitivity = try Robustness.sensitivity(o.net, x: x, results: run.results, settings: s)
            addSensitivity(sensitivity, to: &report, net: o.net, settings: s, shown: o.features)
        }
        if let (_, decided) = interrupted {
            report.notes.append(
                "interrupted: \(decided) of \(x.rows) examples decided; the counts above are over those, and the feature sensitivity is left out (run again for all)"
            )
            report.fields.append(Field("interrupted", .flag(true), audience: .machines))
            report.fields.append(Field("examples_decided", .count(decided), audience: .machines))
        }
        return .report(report)
    }

    /// The per-feature sensitivity table: every feature, the most sensitive first; people see
    /// the first `shown` (none when 0).
    static func addSensitivity(
        _ f: FeatureSensitivity, to report: inout Report, net: MLP, settings s: RobustSettings, shown: Int
    ) {
        let order = f.gradient.indices.sorted { f.gradient[$0] > f.gradient[$1] }
        let unit = s.units == .standardized ? "per standard deviation" : "per unit"
        var columns = [Table.Column("feature", "feature", .left), Table.Column("gradient", "mean ‖∂f/∂x‖ (\(unit))")]
        if f.displacementShare != nil {
            columns.append(Table.Column("displacement_share", "share of counterexample displacement"))
        }
        let rows = order.map { j -> [Cell] in
            var row: [Cell] = [.text(net.featureNames[safe: j] ?? "x\(j + 1)"), .number(f.gradient[j], .significant)]
            if let share = f.displacementShare { row.append(.number(share[j], .percent)) }
            return row
        }
        let caption =
            "features the output is most sensitive to (\(min(shown, order.count)) of \(order.count)"
            + (f.displacementShare != nil ? "; displacement over \(f.counterexamples) counterexamples" : "") + ")"
        var table = Table(key: "sensitivity", caption: caption, columns: columns, rows: rows, limit: shown)
        table.moreHint = "features=N shows more"
        report.tables.append(table)
    }

    static func deltaList(_ inv: Invocation) throws -> [Double] {
        func number(_ v: Value) throws -> Double {
            guard case .number(let d) = v, d >= 0, d.isFinite else {
                throw inv.error(
                    "delta takes a number ≥ 0 or a list of them, e.g. delta=[0.01, 0.1]; got \(v.summary)", at: "delta")
            }
            return d
        }
        switch inv.value("delta") {
        case nil: return [0.1]
        case .list(let items)?:
            guard !items.isEmpty, items.count <= 100 else {
                throw inv.error("delta lists take 1 to 100 radii", at: "delta")
            }
            return try items.map(number)
        case let v?: return [try number(v)]
        }
    }

    static func singleReport(
        _ results: [RobustExample], delta: Double, settings s: RobustSettings, net: MLP, data: Dataset,
        names: RobustCommands.Names, rows limit: Int
    ) -> Report {
        let c = RobustCommands.counts(results)
        let n = results.count
        var fields: [Field] = [
            Field("question", .text(RobustCommands.question(s, delta: delta, net: net))),
            Field("delta", "δ", .number(delta, .general), audience: .machines),
            Field("output", "f(x)", .text(RobustCommands.outputText(s, net))),
            Field(
                "robust",
                .shown(
                    .count(c.robust),
                    as: RobustCommands.share(c.robust, n)
                        + (s.methods.contains(.certify)
                            ? " — proved by a sound bound" : " — needs method=certify or all"))),
            Field(
                "not_robust", "not robust",
                .shown(.count(c.notRobust), as: RobustCommands.share(c.notRobust, n) + " — a counterexample was found")),
            Field("unknown", .shown(.count(c.unknown), as: RobustCommands.share(c.unknown, n) + " — neither")),
            Field("evidence", .text(RobustCommands.evidenceText(s))),
            Field("seed", .count(Int(truncatingIfNeeded: s.seed)))
        ]
        let certified = results.compactMap(\.certified).sorted()
        if !certified.isEmpty {
            fields.append(
                Field(
                    "median_bound", "median bound",
                    .shown(
                        .number(certified[certified.count / 2], .significant),
                        as: RobustCommands.distance(certified[certified.count / 2]) + " (CROWN)")))
        }
        // Predicted class (or value) of each example, for the table.
        var predicted: [Cell] = Array(repeating: .missing(""), count: n)
        // Not cancellable: after Ctrl-C the report of what was decided still names the classes.
        if let prediction = try? Cancellation.withCurrent(.never, { try net.predict(net.inputs(data)) }) {
            switch (prediction, net.task) {
            case (.probabilities, .classification(let classNames)):
                predicted = (prediction.predictedClasses ?? []).map { .text(classNames[safe: $0] ?? "?") }
            case (.values(let v), _):
                predicted = v.map { .float($0, .general) }
            default: break
            }
        }
        func bound(_ v: Double?) -> Cell { .number(v, .significant) }
        // After the three counts (question, δ, f(x), robust, not robust, unknown).
        fields.insert(
            Field("decided_by", "decided by", .text(RobustCommands.decidedText(results, s))),
            at: min(6, fields.count))
        let complete = s.methods.contains(.complete)
        var columns = [
            Table.Column("row"), Table.Column("predicted", nil, .left), Table.Column("verdict", nil, .left),
            Table.Column("decided_by", "by", .left),
            Table.Column("sampled", "sampled max"), Table.Column("attacked", "attacked max"),
            Table.Column("certified", "certified ≤"), Table.Column("certified_ibp", "IBP ≤")
        ]
        if complete {
            columns += [
                Table.Column("complete", "B&B"), Table.Column("branches"),
                Table.Column("complete_seconds", audience: .machines)
            ]
        }
        columns.append(Table.Column("counterexample", audience: .machines))
        var table = Table(
            key: "examples",
            caption:
                "per example (distances are ‖f(x′) − f(x)‖₂; a verdict needs sampled or attacked > ε, or certified ≤ ε)",
            columns: columns,
            rows: results.map { r in
                var row: [Cell] = [
                    .count(r.row + 1), predicted[safe: r.row] ?? .missing(""), .text(r.verdict.rawValue),
                    r.decidedBy.map { .text(RobustCommands.methodName($0)) } ?? .missing("—"),
                    bound(r.sampled), bound(r.attacked), bound(r.certified), bound(r.certifiedIBP)
                ]
                if complete {
                    row += [
                        r.complete.map { .shown(.number($0.value, .significant), as: RobustCommands.completeText($0)) }
                            ?? .missing(""),
                        r.complete.map { .count($0.branches) } ?? .missing(""),
                        r.complete.map { .number($0.seconds, .general) } ?? .missing("")
                    ]
                }
                row.append(
                    r.verdict == .notRobust
                        ? r.counterexample.map { .vector($0.map { Double(String($0)) ?? Double($0) }) } ?? .missing("")
                        : .missing(""))
                return row
            }, limit: limit)
        table.moreHint = "rows=N shows more; set format json or csv gives all"
        var notes: [String] = []
        for r in results where r.verdict == .unknown {
            guard let c = r.complete, let reason = c.reason else { continue }
            notes.append("row \(r.row + 1) undecided: " + RobustCommands.undecidedText(reason, c, s))
        }
        var report = Report(
            kind: "robustness", title: "ε-δ robustness of \(names.model) on \(names.data) (\(n) examples)",
            fields: fields, tables: [table],
            notes: notes + [
                "bounds are computed in double precision from the float32 weights and widened by 1e-5 relative, so they hold for mle's float32 evaluation too"
            ],
            extra: [("settings", RobustCommands.settingsJSON(s))])
        report.subjects = [("model", names.model), ("data", names.data)]
        return report
    }

    static func curveReport(
        _ runs: [(delta: Double, results: [RobustExample])], settings s: RobustSettings, net: MLP,
        names: RobustCommands.Names
    ) -> Report {
        let n = runs.first?.results.count ?? 0
        func pct(_ k: Int) -> Double { n > 0 ? Double(k) / Double(n) : 0 }
        func shareCell(_ k: Int) -> Cell { .shown(.count(k), as: RobustCommands.share(k, n)) }
        let complete = s.methods.contains(.complete)
        let rows = runs.map { run -> [Cell] in
            let c = RobustCommands.counts(run.results)
            var row: [Cell] = [
                .number(run.delta, .general), shareCell(c.robust), shareCell(c.notRobust), shareCell(c.unknown)
            ]
            if complete { row.append(.count(run.results.filter { $0.decidedBy == .complete }.count)) }
            return row
        }
        var columns = [
            Table.Column("delta", "δ"), Table.Column("robust"), Table.Column("not_robust", "not robust"),
            Table.Column("unknown")
        ]
        if complete { columns.append(Table.Column("decided_by_complete", "decided by B&B")) }
        let table = Table(key: "curve", caption: "verdicts per δ (\(n) examples each)", columns: columns, rows: rows)
        let series = [
            TextPlot.Series("robust", runs.map { pct(RobustCommands.counts($0.results).robust) }),
            TextPlot.Series("not robust", runs.map { pct(RobustCommands.counts($0.results).notRobust) }),
            TextPlot.Series("unknown", runs.map { pct(RobustCommands.counts($0.results).unknown) })
        ]
        var plot = TextPlot(
            title: "share of examples per δ", series: series, xLabel: "δ", yRange: 0...1, percent: true,
            width: max(10, min(60, runs.count * 6)))
        // The radii are the ones asked for, evenly spaced on the plot whatever their values: a
        // categorical axis, each radius under its points.
        plot.categories = runs.map { Format.number($0.delta) }
        plot.yLabel = "share of examples"
        var report = Report(
            kind: "robustness_curve",
            title: "ε-δ robustness of \(names.model) on \(names.data) over \(runs.count) radii",
            fields: [
                Field("question", .text(RobustCommands.question(s, delta: nil, net: net))),
                Field("evidence", .text(RobustCommands.evidenceText(s))),
                Field("seed", .count(Int(truncatingIfNeeded: s.seed))), Field("rows", .count(n), audience: .machines)
            ],
            tables: [table], extra: [("settings", RobustCommands.settingsJSON(s))])
        report.subjects = [("model", names.model), ("data", names.data)]
        report.figures.append(.plot(plot))
        return report
    }
}
