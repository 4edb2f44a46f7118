import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

extension ImbalanceCommands {
    static let threshold = CommandSpec(
        name: "threshold",
        summary:
            "Threshold moving: the decision threshold on the positive class's probability that maximises a metric on validation data",
        positionals: [
            ParamSpec("model", .model, "a classifier with two classes", required: true),
            ParamSpec("data", .dataset, "validation data (not the test set)", required: true)
        ],
        options: [
            ParamSpec(
                "metric", .choice(Metric.allCases.filter { $0.isConfusionBased }.map(\.rawValue)),
                "the metric to maximise", default: .symbol("balanced_accuracy")),
            ParamSpec("positive", .string, "the positive class (default: the smaller class of the data)")
        ],
        returns: "a model that predicts the positive class from the chosen threshold on",
        examples: [
            "fit, valid = split train ratio=0.8 stratify seed=1", "net = mlp fit hidden=[32]",
            "tuned = threshold net valid metric=f1"
        ]
    ) { inv in
        let m = try inv.model("model")
        let d = try inv.dataset("data")
        let metric = try inv.choice("metric", Metric.self)
        let (tuned, value) = try moveThreshold(
            m.model, on: d, metric: metric, positive: inv.string("positive"), inv: inv)
        return .model(
            ModelValue(
                model: tuned,
                trainingNote:
                    "\(metric.rawValue) \(Format.metric(value)) on \(inv.names["data"] ?? "the validation data")",
                recipe: nil))
    }
}
