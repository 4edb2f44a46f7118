import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

extension IntervalCommands {
    static let interval = CommandSpec(
        name: "interval",
        summary:
            "Confidence interval of a metric on a test set: binomial, bootstrap (percentile, basic, BCa) or DeLong",
        positionals: [
            ParamSpec("model", .model, "the model", required: true),
            ParamSpec("data", .dataset, "the test data", required: true)
        ],
        options: [
            metricOption,
            ParamSpec(
                "method", .choice(methodChoices),
                "auto: wilson for proportions (accuracy, error, recall, precision, specificity), bca otherwise",
                default: .symbol("auto"))
        ]
            + commonOptions
            + [
                ParamSpec(
                    "histogram", .bool, "show the bootstrap distribution as a terminal histogram", default: .bool(false)
                )
            ],
        returns: "an interval report",
        examples: [
            "interval net test metric=accuracy method=wilson",
            "interval net test metric=f1 method=bca resamples=9999 seed=1",
            "interval net test metric=auc method=delong"
        ]
    ) { inv in
        let m = try inv.model("model")
        let d = try inv.dataset("data")
        let metric = try inv.choice("metric", Metric.self)
        let level = try checkedLevel(inv)
        let labelled = try outcomes(inv, m.model, d, metric: metric)
        var method = (try inv.declared("method", String.self))
        if method == "auto" { method = metric.isProportion ? "wilson" : "bca" }
        let n = labelled.outcomes.count
        var facts: [Field] = []
        var json: [(String, JSON)] = [("report", .string("interval")), ("metric", .string(metric.rawValue))]
        var notes: [String] = []
        var tables: [Table] = []
        let result: MLEEvaluation.Interval
        if let pm = ProportionMethod(rawValue: method) {
            guard metric.isProportion,
                let (x, trials) = metric.proportionCounts(
                    confusion: labelled.outcomes.confusion,
                    positive: positiveIndex(labelled))
            else {
                throw inv.error(
                    "method=\(method) is for proportions (accuracy, error, recall, precision, specificity); use method=bca for \(metric.rawValue)",
                    at: "method")
            }
            guard let r = pm.interval(successes: x, trials: trials, level: level) else {
                throw inv.error("\(metric.rawValue) is undefined here: its denominator is 0")
            }
            result = r
            facts.append(Field("counts", .shown(.count(x), as: "\(x) of \(trials)")))
            json += [("successes", .number(Double(x))), ("trials", .number(Double(trials)))]
            if pm == .wald, r.low < 0 || r.high > 1 {
                notes.append("the Wald interval leaves [0, 1] here; prefer method=wilson")
            }
        } else if method == "delong" {
            guard metric == .auc, case .classification(let truth, _, _, let scores?, let positive) = labelled.outcomes
            else {
                throw inv.error("method=delong is for metric=auc", at: "method")
            }
            guard let (r, se) = DeLong.interval(truth: truth.map { $0 == positive }, scores: scores, level: level)
            else {
                throw inv.error("AUC needs both positive and negative examples in the data")
            }
            result = r
            facts.append(Field("standard_error", "standard error", .number(se)))
            json.append(("standard_error", .num(se)))
        } else {
            let bm = BootstrapMethod(rawValue: method) ?? .bca
            let resamples = try checkedResamples(inv)
            let seed = inv.seed()
            let b: BootstrapResult
            do {
                b = try Bootstrap.interval(
                    metric: metric, outcomes: labelled.outcomes, method: bm, level: level,
                    resamples: resamples, seed: seed, stratified: inv.bool("stratify"),
                    context: inv.context("bootstrap"))
            } catch is Cancelled { throw Interrupted() }
            result = b.interval
            facts.append(
                Field(
                    "resamples",
                    .shown(
                        .count(resamples), as: "\(resamples)" + (inv.bool("stratify") ? ", stratified by class" : ""))))
            facts.append(Field("seed", .count(Int(truncatingIfNeeded: seed))))
            json += [
                ("resamples", .number(Double(resamples))), ("seed", .number(Double(seed))),
                ("stratified", .bool(inv.bool("stratify")))
            ]
            if let reason = b.fallbackReason { notes.append(reason); method = b.method.rawValue }
            if let z0 = b.biasCorrection, let a = b.acceleration {
                facts.append(
                    Field("bca", "BCa z0, a", .text("\(Format.metric(z0)), \(Format.metric(a))"), audience: .people))
                facts += [
                    Field("bias_correction", .number(z0), audience: .machines),
                    Field("acceleration", .number(a), audience: .machines)
                ]
                json += [("bias_correction", .num(z0)), ("acceleration", .num(a))]
            }
            if b.undefinedReplicates > 0 {
                notes.append("\(b.undefinedReplicates) resamples left \(metric.rawValue) undefined and were left out")
            }
            json.append(("undefined_resamples", .number(Double(b.undefinedReplicates))))
            if inv.bool("histogram") {
                let h = histogram(b.replicates, bins: 20)
                tables.append(h.table)
                json.append(("histogram", h.json))
            }
        }
        let label = metric.needsPositiveClass ? "\(metric.rawValue) (\(labelled.positiveName ?? "?"))" : metric.rawValue
        facts.insert(
            contentsOf: [
                Field("estimate", label, .number(result.estimate)),
                Field(
                    "interval", "\(Format.percent(level)) interval",
                    .interval(low: result.low, high: result.high, .metric)),
                Field("method", .text(method)), Field("n", "N", .count(n))
            ], at: 0)
        json += [
            ("estimate", .num(result.estimate)), ("low", .num(result.low)), ("high", .num(result.high)),
            ("method", .string(method)), ("level", .num(level)), ("n", .number(Double(n)))
        ]
        if let p = labelled.positiveName, metric.needsPositiveClass { json.append(("positive", .string(p))) }
        let title =
            "interval of \(metric.rawValue) for \(inv.names["model"] ?? m.model.kind) on \(inv.names["data"] ?? d.name)"
        return .report(
            Report(kind: "interval", title: title, fields: facts, tables: tables, notes: notes, json: .object(json)))
    }
}
