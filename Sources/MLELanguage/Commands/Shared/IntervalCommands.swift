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

    /// The bootstrap distribution in `bins` equal bins: a table of each bin's start and count
    /// for machines (a bin ends where the next starts; the last at the maximum), and a histogram
    /// marking the estimate and the interval for people.
    static func histogram(
        _ values: [Double], bins: Int, estimate: Double, interval: (low: Double, high: Double), level: Double,
        metric: String
    ) -> (Table, Histogram) {
        let columns = [Table.Column("from"), Table.Column("count")]
        let sorted = values.filter(\.isFinite).sorted()
        let lo = sorted.first ?? 0, hi = sorted.last ?? 0
        let width = hi > lo ? (hi - lo) / Double(bins) : 1
        var counts = [Int](repeating: 0, count: sorted.isEmpty ? 0 : (hi > lo ? bins : 1))
        for v in sorted { counts[min(counts.count - 1, Int((v - lo) / width))] += 1 }
        let starts = counts.indices.map { lo + Double($0) * width }
        var table = Table(
            key: "histogram", caption: "bootstrap distribution", columns: columns,
            rows: counts.indices.map { [.number(starts[$0]), .count(counts[$0])] })
        table.audience = .machines
        let figure = Histogram(
            title: "bootstrap distribution of \(metric) (\(sorted.count) resamples)", xLabel: metric, starts: starts,
            binWidth: width, counts: counts, estimate: estimate,
            interval: (interval.low, interval.high, "\(Format.percent(level)) interval"))
        return (table, figure)
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
