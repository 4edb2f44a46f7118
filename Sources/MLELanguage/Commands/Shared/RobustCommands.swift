import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

/// `robust`: ε-δ robustness (Burkov ch. 7) per example, by sampling, attack and certification.
enum RobustCommands {
    static func radiusReport(
        _ results: [RadiusExample], settings s: RadiusSettings, net: MLP, names: Names, rows limit: Int
    ) -> Report {
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
        func medianValue(_ v: [Double]) -> Double? { v.isEmpty ? nil : v.sorted()[v.count / 2] }
        func medianCell(_ v: [Double], _ text: String) -> Cell {
            medianValue(v).map { .shown(.number($0, .significant), as: text) } ?? .shown(.missing("—"), as: text)
        }
        var fields: [Field] = [
            Field("question", .text("the smallest \(norm) (\(units)) that changes the predicted class")),
            Field(
                "certified",
                medianCell(
                    results.map(\.certified),
                    "median \(median(results.map(\.certified))) — CROWN proves no smaller perturbation changes the class"
                )),
            Field(
                "attacked",
                medianCell(
                    attacked,
                    "median \(median(attacked)) — an input this far away changes it (\(attacked.count) of \(n) found within \(Format.number(s.maxRadius)))"
                )),
            Field(
                "gap",
                gaps.isEmpty
                    ? .missing("—")
                    : medianCell(
                        gaps, "median certified/attacked \(median(gaps)) (1 means the radius is known exactly)")),
            Field(
                "evidence",
                .text(
                    "bisection to \(Format.number(s.tolerance)) relative; attack: \(s.steps) steps × \(s.restarts) restarts on the best other class's margin"
                )),
            Field("seed", .count(Int(truncatingIfNeeded: s.seed)))
        ]
        if attacked.count < n {
            fields.append(
                Field(
                    "not_found", "not found",
                    .shown(
                        .count(n - attacked.count),
                        as: "\(n - attacked.count) examples: no change found within max=\(Format.number(s.maxRadius))"))
            )
        }
        var table = Table(
            key: "examples", caption: "per example: the true radius lies in [certified, attacked]",
            columns: [
                Table.Column("row"), Table.Column("predicted", nil, .left), Table.Column("certified", "certified ≥"),
                Table.Column("attacked", "attacked ≤"), Table.Column("changes_to", "changes to", .left),
                Table.Column("counterexample", audience: .machines)
            ],
            rows: results.map { r in
                [
                    .count(r.row + 1), .text(classNames[safe: r.label] ?? "\(r.label)"),
                    .number(r.certified, .significant),
                    .number(r.attacked, .significant, missing: "> \(Format.number(s.maxRadius))"),
                    r.flippedTo.map { .text(classNames[safe: $0] ?? "\($0)") } ?? .missing("—"),
                    r.counterexample.map { .vector($0.map { Double(String($0)) ?? Double($0) }) } ?? .missing("")
                ]
            }, limit: limit)
        table.moreHint = "rows=N shows more; set format json or csv gives all"
        var report = Report(
            kind: "label_radius", title: "label robustness of \(names.model) on \(names.data) (\(n) examples)",
            fields: fields, tables: [table],
            extra: [
                (
                    "settings",
                    .object([
                        ("norm", .string(s.norm.rawValue)), ("units", .string(s.units.rawValue)),
                        ("max", .num(s.maxRadius)),
                        ("tolerance", .num(s.tolerance)), ("steps", .number(Double(s.steps))),
                        ("restarts", .number(Double(s.restarts))), ("seed", .number(Double(s.seed)))
                    ])
                )
            ])
        report.subjects = [("model", names.model), ("data", names.data)]
        return report
    }

    struct Names { var model: String; var data: String }

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
        if s.methods.contains(.sample) {
            parts.append("sampling \(s.samples) points per example (half on the surface)")
        }
        if s.methods.contains(.attack) {
            parts.append("attack: projected gradient ascent, \(s.steps) steps × \(s.restarts) restarts")
        }
        if s.methods.contains(.certify) { parts.append("certified: CROWN (tightened by IBP)") }
        return parts.joined(separator: "; ")
    }

    static func counts(_ results: [RobustExample]) -> (robust: Int, notRobust: Int, unknown: Int) {
        (
            results.filter { $0.verdict == .robust }.count, results.filter { $0.verdict == .notRobust }.count,
            results.filter { $0.verdict == .unknown }.count
        )
    }

    static func share(_ k: Int, _ n: Int) -> String {
        "\(k) (\(String(format: "%.1f%%", n > 0 ? 100 * Double(k) / Double(n) : 0)))"
    }

    static func distance(_ v: Double?) -> String { v.map { String(format: "%.4g", $0) } ?? "—" }

    static func settingsJSON(_ s: RobustSettings) -> JSON {
        .object([
            ("epsilon", .num(s.epsilon)), ("norm", .string(s.norm.rawValue)),
            ("methods", .array(RobustMethod.allCases.filter { s.methods.contains($0) }.map { .string($0.rawValue) })),
            ("samples", .number(Double(s.samples))), ("steps", .number(Double(s.steps))),
            ("restarts", .number(Double(s.restarts))),
            ("seed", .number(Double(s.seed))), ("output", .string(s.output.rawValue)),
            ("units", .string(s.units.rawValue))
        ])
    }

    static func singleReport(
        _ results: [RobustExample], delta: Double, settings s: RobustSettings, net: MLP, data: Dataset,
        names: Names, rows limit: Int
    ) -> Report {
        let c = counts(results)
        let n = results.count
        var fields: [Field] = [
            Field("question", .text(question(s, delta: delta))),
            Field("delta", "δ", .number(delta, .general), audience: .machines),
            Field("output", "f(x)", .text(outputText(s, net))),
            Field(
                "robust",
                .shown(
                    .count(c.robust),
                    as: share(c.robust, n)
                        + (s.methods.contains(.certify)
                            ? " — proved by a sound bound" : " — needs method=certify or all"))),
            Field(
                "not_robust", "not robust",
                .shown(.count(c.notRobust), as: share(c.notRobust, n) + " — a counterexample was found")),
            Field("unknown", .shown(.count(c.unknown), as: share(c.unknown, n) + " — neither")),
            Field("evidence", .text(evidenceText(s))),
            Field("seed", .count(Int(truncatingIfNeeded: s.seed)))
        ]
        let certified = results.compactMap(\.certified).sorted()
        if !certified.isEmpty {
            fields.append(
                Field(
                    "median_bound", "median bound",
                    .shown(
                        .number(certified[certified.count / 2], .significant),
                        as: distance(certified[certified.count / 2]) + " (CROWN)")))
        }
        // Predicted class (or value) of each example, for the table.
        var predicted: [Cell] = Array(repeating: .missing(""), count: n)
        if let prediction = try? net.predict(net.inputs(data)) {
            switch (prediction, net.task) {
            case (.probabilities, .classification(let classNames)):
                predicted = (prediction.predictedClasses ?? []).map { .text(classNames[safe: $0] ?? "?") }
            case (.values(let v), _):
                predicted = v.map { .float($0, .general) }
            default: break
            }
        }
        func bound(_ v: Double?) -> Cell { .number(v, .significant) }
        var table = Table(
            key: "examples",
            caption:
                "per example (distances are ‖f(x′) − f(x)‖₂; a verdict needs sampled or attacked > ε, or certified ≤ ε)",
            columns: [
                Table.Column("row"), Table.Column("predicted", nil, .left), Table.Column("verdict", nil, .left),
                Table.Column("sampled", "sampled max"), Table.Column("attacked", "attacked max"),
                Table.Column("certified", "certified ≤"), Table.Column("certified_ibp", "IBP ≤"),
                Table.Column("counterexample", audience: .machines)
            ],
            rows: results.map { r in
                [
                    .count(r.row + 1), predicted[safe: r.row] ?? .missing(""), .text(r.verdict.rawValue),
                    bound(r.sampled), bound(r.attacked), bound(r.certified), bound(r.certifiedIBP),
                    r.verdict == .notRobust
                        ? r.counterexample.map { .vector($0.map { Double(String($0)) ?? Double($0) }) } ?? .missing("")
                        : .missing("")
                ]
            }, limit: limit)
        table.moreHint = "rows=N shows more; set format json or csv gives all"
        var report = Report(
            kind: "robustness", title: "ε-δ robustness of \(names.model) on \(names.data) (\(n) examples)",
            fields: fields, tables: [table],
            notes: [
                "bounds are computed in double precision from the float32 weights and widened by 1e-5 relative, so they hold for mle's float32 evaluation too"
            ],
            extra: [("settings", settingsJSON(s))])
        report.subjects = [("model", names.model), ("data", names.data)]
        return report
    }

    static func curveReport(
        _ runs: [(delta: Double, results: [RobustExample])], settings s: RobustSettings, names: Names
    ) -> Report {
        let n = runs.first?.results.count ?? 0
        func pct(_ k: Int) -> Double { n > 0 ? Double(k) / Double(n) : 0 }
        func shareCell(_ k: Int) -> Cell { .shown(.count(k), as: share(k, n)) }
        let rows = runs.map { run -> [Cell] in
            let c = counts(run.results)
            return [.number(run.delta, .general), shareCell(c.robust), shareCell(c.notRobust), shareCell(c.unknown)]
        }
        let table = Table(
            key: "curve", caption: "verdicts per δ (\(n) examples each)",
            columns: [
                Table.Column("delta", "δ"), Table.Column("robust"), Table.Column("not_robust", "not robust"),
                Table.Column("unknown")
            ], rows: rows)
        let series = [
            TextPlot.Series("robust", runs.map { pct(counts($0.results).robust) }),
            TextPlot.Series("not robust", runs.map { pct(counts($0.results).notRobust) }),
            TextPlot.Series("unknown", runs.map { pct(counts($0.results).unknown) })
        ]
        var plot = TextPlot(
            title: "share of examples per δ", series: series, xLabel: "δ", yRange: 0...1, percent: true,
            width: max(10, min(60, runs.count * 6)))
        plot.xEnds = (Format.number(runs.first?.delta ?? 0), Format.number(runs.last?.delta ?? 0))
        var report = Report(
            kind: "robustness_curve",
            title: "ε-δ robustness of \(names.model) on \(names.data) over \(runs.count) radii",
            fields: [
                Field("question", .text(question(s, delta: nil))), Field("evidence", .text(evidenceText(s))),
                Field("seed", .count(Int(truncatingIfNeeded: s.seed))), Field("rows", .count(n), audience: .machines)
            ],
            tables: [table], extra: [("settings", settingsJSON(s))])
        report.subjects = [("model", names.model), ("data", names.data)]
        report.plots.append(plot)
        return report
    }
}
