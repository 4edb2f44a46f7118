import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

/// `interval`: a confidence interval of a metric on a test set (Burkov ch. 7): binomial
/// intervals for proportions, bootstrap intervals (percentile, basic, BCa), DeLong for AUC.
enum IntervalCommand: Command {
    static let spec = CommandSpec(
        name: "interval",
        summary:
            "Confidence interval of a metric on a test set: binomial, bootstrap (percentile, basic, BCa) or DeLong",
        positionals: [
            ParamSpec("model", .model, "the model", required: true),
            ParamSpec("data", .dataset, "the test data", required: true)
        ],
        options: [
            IntervalCommands.metricOption,
            ParamSpec(
                "method", .choice(IntervalCommands.methodChoices),
                "auto: wilson for proportions (accuracy, error, recall, precision, specificity), bca otherwise",
                default: .symbol("auto"))
        ]
            + IntervalCommands.commonOptions
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
    ) { inv in try execute(inv) }

    /// How the interval is computed.
    enum Method {
        case proportion(ProportionMethod)
        case bootstrap(BootstrapMethod, resamples: Int, seed: UInt64, stratified: Bool, histogram: Bool)
        case delong
    }

    struct Options {
        var model: ModelValue
        var data: Dataset
        var metric: Metric
        var level: Double
        var method: Method
        var labelled: LabelledOutcomes
    }

    static func options(_ inv: Invocation) throws -> Options {
        let metric = try inv.choice("metric", Metric.self)
        let model = try inv.model("model"), data = try inv.dataset("data")
        var word = try inv.declared("method", String.self)
        if word == "auto" { word = metric.isProportion ? "wilson" : "bca" }
        let method: Method
        if let p = ProportionMethod(rawValue: word) {
            method = .proportion(p)
        } else if let b = BootstrapMethod(rawValue: word) {
            method = .bootstrap(
                b, resamples: try inv.declared("resamples", Int.self), seed: inv.seed(),
                stratified: try inv.declared("stratify", Bool.self), histogram: try inv.declared("histogram", Bool.self)
            )
        } else {
            method = .delong
        }
        return Options(
            model: model, data: data, metric: metric, level: try inv.declared("level", Double.self), method: method,
            labelled: try IntervalCommands.outcomes(inv, model.model, data, metric: metric))
    }

    static func validate(_ o: Options, _ inv: Invocation) throws {
        try inv.checkLevel(o.level)
        switch o.method {
        case .proportion(let p):
            guard o.metric.isProportion else {
                throw inv.error(
                    "method=\(p.rawValue) is for proportions (accuracy, error, recall, precision, specificity); use method=bca for \(o.metric.rawValue)",
                    at: "method")
            }
        case .bootstrap(_, let resamples, _, _, _):
            try inv.check("resamples", resamples, in: 100...10_000_000)
        case .delong:
            guard o.metric == .auc else { throw inv.error("method=delong is for metric=auc", at: "method") }
        }
    }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        let metric = o.metric, level = o.level
        var fields: [Field] = []
        var notes: [String] = []
        var tables: [Table] = []
        var figures: [Figure] = []
        var methodName: String
        let result: MLEEvaluation.Interval
        switch o.method {
        case .proportion(let pm):
            methodName = pm.rawValue
            guard
                let (x, trials) = metric.proportionCounts(
                    confusion: o.labelled.outcomes.confusion,
                    positive: IntervalCommands.positiveIndex(o.labelled)),
                let r = pm.interval(successes: x, trials: trials, level: level)
            else { throw inv.error("\(metric.rawValue) is undefined here: its denominator is 0") }
            result = r
            fields += [
                Field("counts", .text("\(x) of \(trials)"), audience: .people),
                Field("successes", .count(x), audience: .machines), Field("trials", .count(trials), audience: .machines)
            ]
            if pm == .wald, r.low < 0 || r.high > 1 {
                notes.append("the Wald interval leaves [0, 1] here; prefer method=wilson")
            }
        case .delong:
            methodName = "delong"
            guard case .classification(let truth, _, _, let scores?, let positive) = o.labelled.outcomes,
                let (r, se) = DeLong.interval(truth: truth.map { $0 == positive }, scores: scores, level: level)
            else { throw inv.error("AUC needs both positive and negative examples in the data") }
            result = r
            fields.append(Field("standard_error", "standard error", .number(se)))
        case .bootstrap(let bm, let resamples, let seed, let stratified, let histogram):
            methodName = bm.rawValue
            let b: BootstrapResult
            do {
                b = try Bootstrap.interval(
                    metric: metric, outcomes: o.labelled.outcomes, method: bm, level: level,
                    resamples: resamples, seed: seed, stratified: stratified, context: inv.context("bootstrap"))
            } catch is Cancelled { throw Interrupted() }
            result = b.interval
            fields += [
                Field(
                    "resamples",
                    .shown(.count(resamples), as: "\(resamples)" + (stratified ? ", stratified by class" : ""))),
                Field("seed", .count(Int(truncatingIfNeeded: seed))),
                Field("stratified", .flag(stratified), audience: .machines)
            ]
            if let reason = b.fallbackReason { notes.append(reason); methodName = b.method.rawValue }
            if let z0 = b.biasCorrection, let a = b.acceleration {
                fields += [
                    Field("bca", "BCa z0, a", .text("\(Format.metric(z0)), \(Format.metric(a))"), audience: .people),
                    Field("bias_correction", .number(z0), audience: .machines),
                    Field("acceleration", .number(a), audience: .machines)
                ]
            }
            if b.undefinedReplicates > 0 {
                notes.append("\(b.undefinedReplicates) resamples left \(metric.rawValue) undefined and were left out")
            }
            fields.append(Field("undefined_resamples", .count(b.undefinedReplicates), audience: .machines))
            if histogram {
                let (table, figure) = IntervalCommands.histogram(
                    b.replicates, bins: 20, estimate: b.interval.estimate, interval: (b.interval.low, b.interval.high),
                    level: level, metric: metric.rawValue)
                tables.append(table)
                figures.append(.histogram(figure))
            }
        }
        let positive = metric.needsPositiveClass ? o.labelled.positiveName : nil
        let label = positive.map { "\(metric.rawValue) (\($0))" } ?? metric.rawValue
        fields.insert(
            contentsOf: [
                Field("metric", .text(metric.rawValue), audience: .machines),
                Field("estimate", label, .number(result.estimate)),
                Field(
                    "interval", "\(Format.percent(level)) interval",
                    .interval(low: result.low, high: result.high, .metric),
                    audience: .people),
                Field("low", .number(result.low), audience: .machines),
                Field("high", .number(result.high), audience: .machines),
                Field("level", .number(level), audience: .machines),
                Field("method", .text(methodName)), Field("n", "N", .count(o.labelled.outcomes.count))
            ] + (positive.map { [Field("positive", .text($0), audience: .machines)] } ?? []), at: 0)
        let title =
            "interval of \(metric.rawValue) for \(inv.names["model"] ?? o.model.model.kind) on \(inv.names["data"] ?? o.data.name)"
        var report = Report(kind: "interval", title: title, fields: fields, tables: tables, notes: notes)
        report.figures = figures
        return .report(report)
    }
}
