import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

/// `compare`: a paired comparison of two models on one test set (Burkov ch. 7).
enum CompareCommand: Command {
    static let spec = CommandSpec(
        name: "compare",
        summary:
            "Paired comparison of two models on one test set: bootstrap interval of the difference, McNemar, DeLong",
        positionals: [
            ParamSpec("a", .model, "the first model (the reference)", required: true),
            ParamSpec("b", .model, "the second model", required: true),
            ParamSpec("data", .dataset, "the test data both are scored on", required: true)
        ],
        options: [IntervalCommands.metricOption] + IntervalCommands.commonOptions,
        returns: "a comparison report with a one-line verdict",
        examples: ["compare base net test", "compare net1 net2 test metric=auc"]
    ) { inv in try execute(inv) }

    struct Options {
        var data: Dataset
        var metric: Metric
        var level: Double
        var resamples: Int
        var seed: UInt64
        var stratify: Bool
        /// Each model's outcomes on the data, checked against the metric.
        var outcomesA: LabelledOutcomes
        var outcomesB: LabelledOutcomes
    }

    static func options(_ inv: Invocation) throws -> Options {
        let metric = try inv.choice("metric", Metric.self)
        let d = try inv.dataset("data")
        return Options(
            data: d, metric: metric, level: try inv.declared("level", Double.self),
            resamples: try inv.declared("resamples", Int.self), seed: inv.seed(),
            stratify: try inv.declared("stratify", Bool.self),
            outcomesA: try IntervalCommands.outcomes(inv, try inv.model("a").model, d, metric: metric),
            outcomesB: try IntervalCommands.outcomes(inv, try inv.model("b").model, d, metric: metric))
    }

    static func validate(_ o: Options, _ inv: Invocation) throws {
        try inv.checkLevel(o.level)
        try inv.check("resamples", o.resamples, in: 100...10_000_000)
        guard o.outcomesA.classNames == o.outcomesB.classNames else {
            throw inv.error(
                "the two models know different classes (\(o.outcomesA.classNames.joined(separator: ", ")) and \(o.outcomesB.classNames.joined(separator: ", ")))"
            )
        }
    }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        let metric = o.metric, level = o.level, resamples = o.resamples, seed = o.seed
        let la = o.outcomesA, lb = o.outcomesB, d = o.data
        let result: PairedComparison
        do {
            result = try PairedComparison.compare(
                la.outcomes, lb.outcomes, metric: metric, level: level, resamples: resamples,
                seed: seed, stratified: o.stratify, context: inv.context("compare"))
        } catch is Cancelled { throw Interrupted() }
        let nameA = inv.names["a"] ?? "a", nameB = inv.names["b"] ?? "b"
        // Shares (accuracy, AUC …) differ in percentage points; errors and losses in their units.
        let inPoints = !metric.isRegression && metric != .brier && metric != .logLoss
        let scale = inPoints ? 100.0 : 1.0
        let unit = inPoints ? " points" : ""
        func signed(_ v: Double) -> String {
            (v >= 0 ? "+" : "") + String(format: inPoints ? "%.1f" : "%.4g", v * scale)
        }
        let diff = result.difference
        var facts = [
            Field("value_a", "\(metric.rawValue) of \(nameA)", .number(result.valueA)),
            Field("value_b", "\(metric.rawValue) of \(nameB)", .number(result.valueB)),
            Field(
                "difference", "difference \(nameB) − \(nameA)",
                .shown(
                    .estimate(diff.estimate, low: diff.low, high: diff.high, .metric),
                    as:
                        "\(Format.metric(diff.estimate))  \(Format.percent(level)) paired bootstrap [\(Format.metric(diff.low)), \(Format.metric(diff.high))]"
                )),
            Field("resamples", "resamples, seed", .shown(.count(resamples), as: "\(resamples), \(seed)")),
            Field("seed", .count(Int(truncatingIfNeeded: seed)), audience: .machines)
        ]
        facts += [
            Field("metric", .text(metric.rawValue), audience: .machines),
            Field("level", .number(level), audience: .machines),
            Field("n", .count(la.outcomes.count), audience: .machines)
        ]
        var evidence = ""
        var significantTest: Bool?
        if let mc = result.mcnemar {
            facts.append(
                Field(
                    "mcnemar_p", "McNemar (accuracy)",
                    .shown(
                        .number(mc.exactP, .pValue),
                        as:
                            "only \(nameA) right \(mc.onlyA), only \(nameB) right \(mc.onlyB); exact \(Format.p(mc.exactP)), χ² = \(Format.metric(mc.chiSquare)) \(Format.p(mc.chiSquareP))"
                    )))
            facts += [
                Field("mcnemar_only_a", .count(mc.onlyA), audience: .machines),
                Field("mcnemar_only_b", .count(mc.onlyB), audience: .machines),
                Field("mcnemar_chi_square", .number(mc.chiSquare), audience: .machines),
                Field("mcnemar_chi_square_p", .number(mc.chiSquareP, .pValue), audience: .machines)
            ]
            if metric == .accuracy || metric == .error {
                evidence = ", McNemar \(Format.p(mc.exactP))"
                significantTest = mc.exactP < 1 - level
            }
        }
        if let dl = result.delong {
            facts.append(
                Field(
                    "delong_p", "DeLong",
                    .shown(
                        .number(dl.p, .pValue),
                        as:
                            "AUC difference \(Format.metric(dl.difference)), z = \(Format.metric(dl.z)), \(Format.p(dl.p))"
                    )))
            facts += [
                Field("delong_difference", .number(dl.difference), audience: .machines),
                Field("delong_standard_error", .number(dl.standardError), audience: .machines),
                Field("delong_z", .number(dl.z), audience: .machines)
            ]
            evidence = ", DeLong \(Format.p(dl.p))"
            significantTest = dl.p < 1 - level
        }
        // Lower is better for errors; higher for everything else.
        let lowerIsBetter = metric.lowerIsBetter
        let intervalExcludesZero = diff.low > 0 || diff.high < 0
        let detectable = intervalExcludesZero && (significantTest ?? true)
        let verdict: String
        if detectable {
            let bBetter = (diff.estimate > 0) != lowerIsBetter
            verdict =
                "\(bBetter ? nameB : nameA) is better on \(metric.rawValue): \(signed(diff.estimate))\(unit) [\(signed(diff.low)), \(signed(diff.high))]\(evidence)"
        } else {
            verdict =
                "no detectable difference on \(metric.rawValue): \(signed(diff.estimate))\(unit) [\(signed(diff.low)), \(signed(diff.high))]\(evidence)"
        }
        return .report(
            Report(
                kind: "compare",
                title: "compare \(nameA) and \(nameB) on \(inv.names["data"] ?? d.name) (\(la.outcomes.count) rows)",
                fields: facts, verdict: verdict))
    }
}
