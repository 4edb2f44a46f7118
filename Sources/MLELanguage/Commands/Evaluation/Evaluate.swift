import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

extension EvaluationCommands {
    static let evaluate = CommandSpec(
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
            ParamSpec("seed", .integer, "random seed of the resampling (default: the session seed)")
        ],
        returns: "an evaluation report",
        examples: [
            "evaluate net test", "evaluate base test", "evaluate net test intervals", "evaluate net test imbalanced"
        ]
    ) { inv in
        let m = try inv.model("model")
        let d = try inv.dataset("data")
        var positive = inv.string("positive")
        if inv.bool("imbalanced"), positive == nil, case .classification = m.model.task {
            positive = ImbalanceCommands.smallerClass(d)
        }
        let labelled = try Outcomes.of(m.model, on: d, positive: positive)
        let evaluation = Evaluation(labelled)
        let modelName = argumentName(inv, "model") ?? m.model.kind
        let dataName = argumentName(inv, "data") ?? d.name
        var report = evaluationReport(evaluation, model: modelName, data: dataName, kind: m.model.kind)
        if inv.bool("intervals") {
            try addIntervals(to: &report, inv: inv, labelled: labelled)
        }
        if inv.bool("imbalanced") {
            guard case .classification = labelled.outcomes else {
                throw inv.error("imbalanced needs a classifier and a class target", at: "imbalanced")
            }
            addImbalanced(to: &report, labelled: labelled)
        }
        return .report(report)
    }
}
