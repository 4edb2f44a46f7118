import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

/// `robust`: ε-δ robustness (Burkov ch. 7) per example, by sampling, attack and certification.
enum RobustCommands {
    static func radiusReport(_ results: [RadiusExample], settings s: RadiusSettings, net: MLP, names: Names, rows limit: Int) -> Report {
        let classNames: [String]
        if case .classification(let c) = net.task { classNames = c } else { classNames = [] }
        let n = results.count
        let norm = s.norm == .l2 ? "‖x′ − x‖₂" : "‖x′ − x‖∞"
        let units = s.units == .standardized ? "standardised feature units" : "the data's own units"
        func median(_ v: [Double]) -> String {
            let sorted = v.sorted()
            return sorted.isEmpty ? "—" : String(format: "%.4g", sorted[sorted.count / 2])
        }
        let attacked = results.compactMap(\.attacked)
        let gaps = results.compactMap { r in r.attacked.flatMap { $0 > 0 ? r.certified / $0 : nil } }
        var facts: [(String, String)] = [
            ("question", "the smallest \(norm) (\(units)) that changes the predicted class"),
            ("certified", "median \(median(results.map(\.certified))) — CROWN proves no smaller perturbation changes the class"),
            ("attacked", "median \(median(attacked)) — an input this far away changes it (\(attacked.count) of \(n) found within \(Format.number(s.maxRadius)))"),
            ("gap", gaps.isEmpty ? "—" : "median certified/attacked \(median(gaps)) (1 means the radius is known exactly)"),
            ("evidence", "bisection to \(Format.number(s.tolerance)) relative; attack: \(s.steps) steps × \(s.restarts) restarts on the best other class's margin"),
            ("seed", "\(s.seed)"),
        ]
        if attacked.count < n { facts.append(("not found", "\(n - attacked.count) examples: no change found within max=\(Format.number(s.maxRadius))")) }
        let table = Table(caption: "per example: the true radius lies in [certified, attacked]",
                          header: ["row", "predicted", "certified ≥", "attacked ≤", "changes to"],
                          rows: results.prefix(limit).map { r in
                              ["\(r.row + 1)", classNames[safe: r.label] ?? "\(r.label)", String(format: "%.4g", r.certified),
                               r.attacked.map { String(format: "%.4g", $0) } ?? "> \(Format.number(s.maxRadius))",
                               r.flippedTo.map { classNames[safe: $0] ?? "\($0)" } ?? "—"]
                          }, alignments: [.right, .left, .right, .right, .left])
        var notes: [String] = []
        if n > limit { notes.append("… \(n - limit) more examples; rows=N shows more, set format json gives all") }
        let json = JSON.object([
            ("report", .string("label_radius")), ("model", .string(names.model)), ("data", .string(names.data)),
            ("settings", .object([("norm", .string(s.norm.rawValue)), ("units", .string(s.units.rawValue)), ("max", .num(s.maxRadius)),
                                  ("tolerance", .num(s.tolerance)), ("steps", .number(Double(s.steps))),
                                  ("restarts", .number(Double(s.restarts))), ("seed", .number(Double(s.seed)))])),
            ("examples", .array(results.map { r in
                var f: [(String, JSON)] = [("row", .number(Double(r.row + 1))), ("predicted", .string(classNames[safe: r.label] ?? "\(r.label)")),
                                           ("certified", .num(r.certified)), ("attacked", r.attacked.map { .num($0) } ?? .null)]
                if let to = r.flippedTo { f.append(("changes_to", .string(classNames[safe: to] ?? "\(to)"))) }
                if let ce = r.counterexample { f.append(("counterexample", .array(ce.map { .num(Double($0)) }))) }
                return .object(f)
            })),
        ])
        return Report(kind: "radius", title: "label robustness of \(names.model) on \(names.data) (\(n) examples)",
                      facts: facts, tables: [table], notes: notes, json: json)
    }

    struct Names { var model: String; var data: String }

    /// The per-feature sensitivity table (the most sensitive features first) and its JSON.
    static func addSensitivity(_ f: FeatureSensitivity, to report: inout Report, net: MLP, settings s: RobustSettings, shown: Int) {
        let order = f.gradient.indices.sorted { f.gradient[$0] > f.gradient[$1] }
        let unit = s.units == .standardized ? "per standard deviation" : "per unit"
        if shown > 0 {
            var header = ["feature", "mean ‖∂f/∂x‖ (\(unit))"]
            if f.displacementShare != nil { header.append("share of counterexample displacement") }
            let rows = order.prefix(shown).map { j -> [String] in
                var row = [net.featureNames[safe: j] ?? "x\(j + 1)", String(format: "%.4g", f.gradient[j])]
                if let share = f.displacementShare { row.append(String(format: "%.1f%%", 100 * share[j])) }
                return row
            }
            let caption = "features the output is most sensitive to (\(min(shown, order.count)) of \(order.count)"
                + (f.displacementShare != nil ? "; displacement over \(f.counterexamples) counterexamples" : "") + ")"
            report.tables.append(Table(caption: caption, header: header, rows: rows,
                                       alignments: [.left, .right] + (f.displacementShare != nil ? [.right] : [])))
        }
        if case .object(var fields) = report.json {
            fields.append(("sensitivity", .array(f.gradient.indices.map { j in
                var item: [(String, JSON)] = [("feature", .string(net.featureNames[safe: j] ?? "x\(j + 1)")), ("gradient", .num(f.gradient[j]))]
                if let share = f.displacementShare { item.append(("displacement_share", .num(share[j]))) }
                return .object(item)
            })))
            report.json = .object(fields)
        }
    }

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
        if let prediction = try? net.predict(net.inputs(data)) {
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
