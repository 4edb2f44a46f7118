import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

/// `interval`, `compare`, `abtest`, `bandit`: statistical intervals and comparisons (Burkov ch. 7).
enum IntervalCommands {
    static let methodChoices =
        ["auto"] + ProportionMethod.allCases.map(\.rawValue)
        + BootstrapMethod.allCases.map(\.rawValue) + ["delong"]

    /// Options shared by every command about a metric (`interval`, `compare`, `cvtest`, `retrain`).
    static let metricOption = ParamSpec.choice("metric", Metric.self, "the metric", default: .accuracy)
    static let levelOption = ParamSpec("level", .number, "confidence level", default: .number(0.95))
    static let positiveOption = ParamSpec(
        "positive", .string,
        "the class one-vs-rest metrics are about (default: the second of two classes)")

    static let commonOptions = [
        levelOption,
        ParamSpec("resamples", .integer, "bootstrap resamples", default: .number(9999)),
        ParamSpec("seed", .integer, "random seed of the resampling (default: the session seed)"),
        ParamSpec("stratify", .bool, "resample each true class within itself", default: .bool(false)),
        positiveOption
    ]

    static func checkedLevel(_ inv: Invocation) throws -> Double {
        let level = (try inv.declared("level", Double.self))
        try inv.checkLevel(level)
        return level
    }

    static func checkedResamples(_ inv: Invocation) throws -> Int {
        let r = (try inv.declared("resamples", Int.self))
        guard r >= 100, r <= 10_000_000 else {
            throw inv.error("resamples must be between 100 and 10000000", at: "resamples")
        }
        return r
    }

    static func positiveIndex(_ l: LabelledOutcomes) -> Int {
        if case .classification(_, _, _, _, let p) = l.outcomes { return p }
        return 0
    }

    /// The model's outcomes on the data, checked against what the metric needs.
    static func outcomes(_ inv: Invocation, _ model: any Model, _ d: Dataset, metric: Metric) throws -> LabelledOutcomes
    {
        let labelled = try Outcomes.of(model, on: d, positive: inv.string("positive"))
        switch labelled.outcomes {
        case .regression:
            guard metric.isRegression else {
                throw inv.error(
                    "\(metric.rawValue) is a classification metric; the model predicts numbers (use mse, rmse, mae or r2)",
                    at: "metric")
            }
        case .classification:
            guard !metric.isRegression else {
                throw inv.error("\(metric.rawValue) is a regression metric; the model predicts classes", at: "metric")
            }
            if metric.needsPositiveClass, labelled.positiveName == nil {
                throw inv.error(
                    "\(metric.rawValue) is about one class: add positive=CLASS (one of \(labelled.classNames.joined(separator: ", ")))"
                )
            }
        }
        return labelled
    }

    /// A text histogram of values in `bins` equal bins.
    /// The bootstrap distribution in `bins` equal bins: each bin's start and count, with a bar
    /// for people (the bins' ends are `from` and the next row's `from`; the last ends at the maximum).
    static func histogram(_ values: [Double], bins: Int) -> Table {
        let columns = [Table.Column("from"), Table.Column("count"), Table.Column("bar", "", .left, audience: .people)]
        guard let lo = values.first, let hi = values.last else {
            return Table(key: "histogram", caption: "bootstrap distribution", columns: columns, rows: [])
        }
        let width = hi > lo ? (hi - lo) / Double(bins) : 1
        var counts = [Int](repeating: 0, count: hi > lo ? bins : 1)
        for v in values { counts[min(counts.count - 1, Int((v - lo) / width))] += 1 }
        let top = counts.max() ?? 1
        let rows = counts.indices.map { i -> [Cell] in
            let start = lo + Double(i) * width
            let bar = String(repeating: "█", count: max(counts[i] > 0 ? 1 : 0, 40 * counts[i] / max(top, 1)))
            return [.number(start), .count(counts[i]), .text(bar)]
        }
        return Table(key: "histogram", caption: "bootstrap distribution", columns: columns, rows: rows)
    }

    static func gTestReport(
        _ inv: Invocation, _ sa: Int, _ na: Int, _ sb: Int, _ nb: Int, level: Double,
        names: (String, String)
    ) throws -> Report {
        guard let g = ABTest.gTest(successesA: sa, trialsA: na, successesB: sb, trialsB: nb) else {
            let bad = sa < 0 || na <= 0 || sa > na ? "a" : "b"
            throw inv.error("counts must be 0 ≤ successes ≤ trials with trials > 0", at: bad)
        }
        // Effect: difference of rates with a Wald interval.
        let d = g.rateB - g.rateA
        let se = (g.rateA * (1 - g.rateA) / Double(na) + g.rateB * (1 - g.rateB) / Double(nb)).squareRoot()
        let z = Distributions.normalQuantile(1 - (1 - level) / 2)
        let facts = [
            Field(
                "rate_a", "rate of \(names.0)",
                .shown(.number(g.rateA), as: "\(Format.metric(g.rateA))  (\(sa) of \(na))")),
            Field(
                "rate_b", "rate of \(names.1)",
                .shown(.number(g.rateB), as: "\(Format.metric(g.rateB))  (\(sb) of \(nb))")),
            Field(
                "difference",
                .shown(
                    .estimate(d, low: d - z * se, high: d + z * se, .metric),
                    as:
                        "\(Format.metric(d))  \(Format.percent(level)) [\(Format.metric(d - z * se)), \(Format.metric(d + z * se))]"
                )),
            Field("g", "G", .number(g.g)), Field("p", .number(g.p, .pValue)),
            Field("test", .text("g"), audience: .machines)
        ]
        let verdict =
            g.p < 1 - level
            ? "\(d > 0 ? names.1 : names.0) converts better (G-test \(Format.p(g.p)))"
            : "no detectable difference in rates (G-test \(Format.p(g.p)))"
        return Report(
            kind: "abtest", title: "G-test of \(names.0) against \(names.1)", fields: facts, verdict: verdict)
    }

}
