import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

/// `robust`: ε-δ robustness (Burkov ch. 7) per example, by sampling, attack and certification.
enum RobustCommands {
    static let all = [robust]

    static let robust = CommandSpec(
        name: "robust",
        summary: "ε-δ robustness per example: is every input within δ of x mapped within ε of f(x)? Sampled, attacked and certified (CROWN)",
        positionals: [ParamSpec("model", .model, "the network (an mlp)", required: true),
                      ParamSpec("data", .dataset, "the examples to check", required: true)],
        options: [
            ParamSpec("delta", .word, "radius of the input ball, or a list of radii for a curve, e.g. [0.01, 0.05, 0.1]",
                      default: .number(0.1)),
            ParamSpec("epsilon", .number, "largest allowed change of the output (Euclidean)", default: .number(0.05)),
            ParamSpec("norm", .choice(PerturbationNorm.allCases.map(\.rawValue)), "the ball's norm (l2, as the book)", default: .symbol("l2")),
            ParamSpec("method", .choice(["all"] + RobustMethod.allCases.map(\.rawValue)),
                      "sample: random points in the ball; attack: projected gradient ascent; certify: CROWN and IBP bounds",
                      default: .symbol("all")),
            ParamSpec("samples", .integer, "random points per example (half on the ball's surface)", default: .number(1000)),
            ParamSpec("steps", .integer, "gradient steps of each attack restart", default: .number(50)),
            ParamSpec("restarts", .integer, "attack restarts per example, from random points in the ball", default: .number(5)),
            ParamSpec("seed", .integer, "random seed of sampling and attack starts (default: the session seed)"),
            ParamSpec("output", .choice(RobustOutput.allCases.map(\.rawValue)),
                      "what ε is measured on: the probability vector (or a regression's prediction) or the logits",
                      default: .symbol("probabilities")),
            ParamSpec("units", .choice(RobustUnits.allCases.map(\.rawValue)),
                      "δ in standardised feature units (each feature over its training standard deviation) or in the data's own units",
                      default: .symbol("standardized")),
            ParamSpec("rows", .integer, "examples shown in the table", default: .number(20)),
        ],
        returns: "a robustness report",
        examples: ["robust net test delta=0.1 epsilon=0.05",
                   "robust net test delta=0.05 epsilon=0.1 norm=linf method=certify",
                   "robust net test delta=[0.01, 0.05, 0.1, 0.2] epsilon=0.05"]
    ) { inv in
        let net = try CoverageCommands.network(inv, purpose: "robust analyses a neural network's ReLU layers")
        let data = try inv.dataset("data")
        let deltas = try deltaList(inv)
        var settings = RobustSettings()
        settings.epsilon = inv.number("epsilon") ?? 0.05
        guard settings.epsilon >= 0, settings.epsilon.isFinite else { throw inv.error("epsilon must be a number ≥ 0", at: "epsilon") }
        settings.norm = PerturbationNorm(rawValue: inv.string("norm") ?? "l2") ?? .l2
        let method = inv.string("method") ?? "all"
        settings.methods = method == "all" ? Set(RobustMethod.allCases) : [RobustMethod(rawValue: method) ?? .sample]
        settings.samples = inv.int("samples") ?? 1000
        settings.steps = inv.int("steps") ?? 50
        settings.restarts = inv.int("restarts") ?? 5
        for (name, v, limit) in [("samples", settings.samples, 1_000_000), ("steps", settings.steps, 100_000), ("restarts", settings.restarts, 10_000)] {
            guard v >= 1, v <= limit else { throw inv.error("\(name) must be between 1 and \(limit)", at: name) }
        }
        settings.output = RobustOutput(rawValue: inv.string("output") ?? "probabilities") ?? .probabilities
        if settings.output == .logits, !net.task.isClassification {
            throw inv.error("output=logits is for classifiers; a regression network's output is its prediction", at: "output")
        }
        settings.units = RobustUnits(rawValue: inv.string("units") ?? "standardized") ?? .standardized
        settings.seed = inv.seed()
        let x = try data.features(ordered: net.featureNames)
        guard x.rows > 0 else { throw inv.error("the data has no rows", at: "data") }

        let progress = inv.session.progress
        progress.start("robust", total: deltas.count * x.rows * settings.methods.count)
        defer { progress.finish() }
        var runs: [(delta: Double, results: [RobustExample])] = []
        for (i, delta) in deltas.enumerated() {
            var s = settings
            s.delta = delta
            let offset = i * x.rows * settings.methods.count
            let results = try Robustness.check(net, x: x, settings: s, cancellation: inv.cancellation) { done, _ in
                progress.update(offset + done, detail: "δ \(Format.number(delta))")
            }
            runs.append((delta, results))
        }
        progress.finish()
        let names = Names(model: inv.names["model"] ?? "the model", data: inv.names["data"] ?? data.name)
        if runs.count == 1, let run = runs.first {
            return .report(singleReport(run.results, delta: run.delta, settings: settings, net: net, data: data, names: names,
                                        rows: max(inv.int("rows") ?? 20, 0)))
        }
        return .report(curveReport(runs, settings: settings, names: names))
    }

    struct Names { var model: String; var data: String }

    static func deltaList(_ inv: Invocation) throws -> [Double] {
        func number(_ v: Value) throws -> Double {
            guard case .number(let d) = v, d >= 0, d.isFinite else {
                throw inv.error("delta takes a number ≥ 0 or a list of them, e.g. delta=[0.01, 0.1]; got \(v.summary)", at: "delta")
            }
            return d
        }
        switch inv.value("delta") {
        case nil: return [0.1]
        case .list(let items)?:
            guard !items.isEmpty, items.count <= 100 else { throw inv.error("delta lists take 1 to 100 radii", at: "delta") }
            return try items.map(number)
        case let v?: return [try number(v)]
        }
    }

    /// "every x′ with ‖x′ − x‖₂ ≤ δ = 0.1 (…) has …"; without a δ, the curve's wording.
    static func question(_ s: RobustSettings, delta: Double?) -> String {
        let n = s.norm == .l2 ? "‖x′ − x‖₂" : "‖x′ − x‖∞"
        let units = s.units == .standardized ? "standardised feature units" : "the data's own units"
        let radius = delta.map { "δ = \(Format.number($0))" } ?? "δ"
        return "every x′ with \(n) ≤ \(radius) (\(units)) has ‖f(x′) − f(x)‖₂ ≤ ε = \(Format.number(s.epsilon))"
    }

    static func outputText(_ s: RobustSettings, _ net: MLP) -> String {
        if !net.task.isClassification { return "the prediction" }
        return s.output == .probabilities ? "the probability vector" : "the logits"
    }

    static func evidenceText(_ s: RobustSettings) -> String {
        var parts: [String] = []
        if s.methods.contains(.sample) { parts.append("sampling \(s.samples) points per example (half on the surface)") }
        if s.methods.contains(.attack) { parts.append("attack: projected gradient ascent, \(s.steps) steps × \(s.restarts) restarts") }
        if s.methods.contains(.certify) { parts.append("certified: CROWN (tightened by IBP)") }
        return parts.joined(separator: "; ")
    }

    static func counts(_ results: [RobustExample]) -> (robust: Int, notRobust: Int, unknown: Int) {
        (results.filter { $0.verdict == .robust }.count, results.filter { $0.verdict == .notRobust }.count,
         results.filter { $0.verdict == .unknown }.count)
    }

    static func share(_ k: Int, _ n: Int) -> String { "\(k) (\(String(format: "%.1f%%", n > 0 ? 100 * Double(k) / Double(n) : 0)))" }

    static func distance(_ v: Double?) -> String { v.map { String(format: "%.4g", $0) } ?? "—" }

    static func settingsJSON(_ s: RobustSettings) -> JSON {
        .object([("epsilon", .num(s.epsilon)), ("norm", .string(s.norm.rawValue)),
                 ("methods", .array(RobustMethod.allCases.filter { s.methods.contains($0) }.map { .string($0.rawValue) })),
                 ("samples", .number(Double(s.samples))), ("steps", .number(Double(s.steps))), ("restarts", .number(Double(s.restarts))),
                 ("seed", .number(Double(s.seed))), ("output", .string(s.output.rawValue)), ("units", .string(s.units.rawValue))])
    }

    static func singleReport(_ results: [RobustExample], delta: Double, settings s: RobustSettings, net: MLP, data: Dataset,
                             names: Names, rows limit: Int) -> Report {
        let c = counts(results)
        let n = results.count
        var facts: [(String, String)] = [
            ("question", question(s, delta: delta)),
            ("f(x)", outputText(s, net)),
            ("robust", share(c.robust, n) + (s.methods.contains(.certify) ? " — proved by a sound bound" : " — needs method=certify or all")),
            ("not robust", share(c.notRobust, n) + " — a counterexample was found"),
            ("unknown", share(c.unknown, n) + " — neither"),
            ("evidence", evidenceText(s)),
            ("seed", "\(s.seed)"),
        ]
        let certified = results.compactMap(\.certified).sorted()
        if !certified.isEmpty {
            facts.append(("median bound", distance(certified[certified.count / 2]) + " (CROWN)"))
        }
        // Predicted class (or value) of each example, for the table.
        var predicted: [String] = Array(repeating: "", count: n)
        if let prediction = try? net.predict(data.features(ordered: net.featureNames)) {
            switch (prediction, net.task) {
            case (.probabilities, .classification(let classNames)):
                predicted = (prediction.predictedClasses ?? []).map { classNames[safe: $0] ?? "?" }
            case (.values(let v), _):
                predicted = v.map { Format.number(Double($0)) }
            default: break
            }
        }
        let shown = results.prefix(limit)
        let table = Table(caption: "per example (distances are ‖f(x′) − f(x)‖₂; a verdict needs sampled or attacked > ε, or certified ≤ ε)",
                          header: ["row", "predicted", "verdict", "sampled max", "attacked max", "certified ≤", "IBP ≤"],
                          rows: shown.map { r in
                              ["\(r.row + 1)", predicted[safe: r.row] ?? "", r.verdict.rawValue, distance(r.sampled), distance(r.attacked),
                               distance(r.certified), distance(r.certifiedIBP)]
                          }, alignments: [.right, .left, .left, .right, .right, .right, .right])
        var notes: [String] = []
        if n > shown.count { notes.append("… \(n - shown.count) more examples; rows=N shows more, set format json gives all") }
        notes.append("bounds are computed in double precision from the float32 weights and widened by 1e-5 relative, so they hold for mle's float32 evaluation too")
        let json = JSON.object([
            ("report", .string("robustness")), ("model", .string(names.model)), ("data", .string(names.data)),
            ("delta", .num(delta)), ("settings", settingsJSON(s)),
            ("robust", .number(Double(c.robust))), ("not_robust", .number(Double(c.notRobust))), ("unknown", .number(Double(c.unknown))),
            ("examples", .array(results.map { r in
                var fields: [(String, JSON)] = [("row", .number(Double(r.row + 1))), ("verdict", .string(r.verdict.rawValue))]
                fields.append(("sampled", r.sampled.map { .num($0) } ?? .null))
                fields.append(("attacked", r.attacked.map { .num($0) } ?? .null))
                fields.append(("certified", r.certified.map { .num($0) } ?? .null))
                fields.append(("certified_ibp", r.certifiedIBP.map { .num($0) } ?? .null))
                if let ce = r.counterexample, r.verdict == .notRobust { fields.append(("counterexample", .array(ce.map { .num(Double($0)) }))) }
                return .object(fields)
            })),
        ])
        return Report(kind: "robustness", title: "ε-δ robustness of \(names.model) on \(names.data) (\(n) examples)",
                      facts: facts, tables: [table], notes: notes, json: json)
    }

    static func curveReport(_ runs: [(delta: Double, results: [RobustExample])], settings s: RobustSettings, names: Names) -> Report {
        let n = runs.first?.results.count ?? 0
        func pct(_ k: Int) -> Double { n > 0 ? Double(k) / Double(n) : 0 }
        let rows = runs.map { run -> [String] in
            let c = counts(run.results)
            return [Format.number(run.delta), share(c.robust, n), share(c.notRobust, n), share(c.unknown, n)]
        }
        let table = Table(caption: "verdicts per δ (\(n) examples each)", header: ["δ", "robust", "not robust", "unknown"], rows: rows)
        let series = [TextPlot.Series("robust", runs.map { pct(counts($0.results).robust) }),
                      TextPlot.Series("not robust", runs.map { pct(counts($0.results).notRobust) }),
                      TextPlot.Series("unknown", runs.map { pct(counts($0.results).unknown) })]
        var plot = TextPlot(title: "share of examples per δ", series: series, xLabel: "δ", yRange: 0...1, percent: true,
                            width: max(10, min(60, runs.count * 6)))
        plot.xEnds = (Format.number(runs.first?.delta ?? 0), Format.number(runs.last?.delta ?? 0))
        var report = Report(kind: "robustness", title: "ε-δ robustness of \(names.model) on \(names.data) over \(runs.count) radii",
                            facts: [("question", question(s, delta: nil)),
                                    ("evidence", evidenceText(s)), ("seed", "\(s.seed)")],
                            tables: [table],
                            json: .object([("report", .string("robustness_curve")), ("model", .string(names.model)), ("data", .string(names.data)),
                                           ("settings", settingsJSON(s)),
                                           ("curve", .array(runs.map { run in
                                               let c = counts(run.results)
                                               return .object([("delta", .num(run.delta)), ("robust", .number(Double(c.robust))),
                                                               ("not_robust", .number(Double(c.notRobust))), ("unknown", .number(Double(c.unknown)))])
                                           }))]))
        report.plots.append(plot)
        return report
    }
}
