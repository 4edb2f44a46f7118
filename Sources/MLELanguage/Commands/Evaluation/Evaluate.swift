import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

/// `evaluate`: a model's metrics on a dataset, with intervals or the imbalanced view on request.
enum EvaluateCommand: Command {
    static let spec = CommandSpec(
        name: "evaluate",
        summary: "Metrics of a model on a dataset: accuracy, per-class precision/recall/F1, confusion matrix",
        positionals: [
            ParamSpec("model", .model, "the model to evaluate", required: true),
            ParamSpec("data", .dataset, "data with the true target (usually the test set)", required: true)
        ],
        options: [
            ParamSpec(
                "intervals", .bool,
                "add a confidence interval to every metric: Wilson for proportions, BCa bootstrap otherwise",
                default: .bool(false)),
            ParamSpec(
                "imbalanced", .bool,
                "add the metrics for imbalanced classes: balanced accuracy, G-mean, MCC, AP and ROC-AUC, and a per-class report with specificity, G-mean and IBA (as imbalanced-learn's classification_report_imbalanced)",
                default: .bool(false)),
            ParamSpec(
                "positive", .string, "imbalanced: the class of AP and ROC-AUC (default: the smallest class of the data)"
            ),
            ParamSpec("level", .number, "confidence level of the intervals", default: .number(0.95)),
            ParamSpec("resamples", .integer, "bootstrap resamples for the intervals", default: .number(9999)),
            ParamSpec("seed", .integer, "random seed of the resampling (default: the session seed)"),
            ParamSpec(
                "by", .list(.string),
                "error analysis by segment: the rows grouped by these columns (numeric ones cut at quantiles, by=[a, b] for crossings), each segment's accuracy (a model of numbers: mean absolute error) against the rest's, worst first"
            ),
            ParamSpec("bins", .integer, "by: quantile bins of a numeric column", default: .number(4))
        ],
        returns: "an evaluation report",
        examples: [
            "evaluate net test", "evaluate base test", "evaluate net test intervals", "evaluate net test imbalanced",
            "evaluate net test by=mean_radius", "evaluate net test by=[island, sex]"
        ]
    ) { inv in try execute(inv) }

    struct Options {
        var model: ModelValue
        var data: Dataset
        /// The class one-vs-rest metrics are about.
        var positive: String?
        var intervals: Bool
        var imbalanced: Bool
        var by: [String]
        var bins: Int
        var level: Double
    }

    static func options(_ inv: Invocation) throws -> Options {
        let m = try inv.model("model"), d = try inv.dataset("data")
        let imbalanced = try inv.declared("imbalanced", Bool.self)
        var positive = inv.string("positive")
        if imbalanced, positive == nil, case .classification = m.model.task {
            positive = ImbalanceCommands.smallerClass(d)
        }
        return Options(
            model: m, data: d, positive: positive, intervals: try inv.declared("intervals", Bool.self),
            imbalanced: imbalanced, by: inv.stringList("by") ?? [], bins: try inv.declared("bins", Int.self),
            level: try inv.declared("level", Double.self))
    }

    static func validate(_ o: Options, _ inv: Invocation) throws {
        try inv.check("bins", o.bins, in: 1...100)
        try inv.checkLevel(o.level)
        for name in o.by where !o.data.featureNames.contains(name) && name != o.data.targetName {
            throw UnknownNameError(
                kind: "column", name: name, known: o.data.featureNames + [o.data.targetName].compactMap { $0 },
                setting: "by")
        }
        if Set(o.by).count != o.by.count { throw inv.error("by= names a column twice", at: "by") }
    }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        let labelled = try Outcomes.of(o.model.model, on: o.data, positive: o.positive)
        if !o.by.isEmpty { return .report(try SegmentReport.report(o, labelled, inv)) }
        var report = EvaluationCommands.evaluationReport(
            Evaluation(labelled), model: inv.names["model"] ?? o.model.model.kind,
            data: inv.names["data"] ?? o.data.name,
            kind: o.model.model.kind)
        if o.intervals { try EvaluationCommands.addIntervals(to: &report, inv: inv, labelled: labelled) }
        if o.imbalanced {
            guard case .classification = labelled.outcomes else {
                throw inv.error("imbalanced needs a classifier and a class target", at: "imbalanced")
            }
            EvaluationCommands.addImbalanced(to: &report, labelled: labelled)
        }
        return .report(report)
    }
}
