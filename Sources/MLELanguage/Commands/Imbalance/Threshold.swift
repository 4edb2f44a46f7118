import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

/// `threshold`: threshold moving, the cut that maximises a metric on validation data.
enum ThresholdCommand: Command {
    static let spec = CommandSpec(
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
    ) { inv in try execute(inv) }

    struct Options {
        var model: ModelValue
        var data: Dataset
        var metric: Metric
        var positive: String?
    }

    static func options(_ inv: Invocation) throws -> Options {
        Options(
            model: try inv.model("model"), data: try inv.dataset("data"), metric: try inv.choice("metric", Metric.self),
            positive: inv.string("positive"))
    }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        let (tuned, value) = try ImbalanceCommands.moveThreshold(
            o.model.model, on: o.data, metric: o.metric, positive: o.positive, inv: inv)
        return .model(
            ModelValue(
                model: tuned,
                trainingNote:
                    "\(o.metric.rawValue) \(Format.metric(value)) on \(inv.names["data"] ?? "the validation data")",
                recipe: nil))
    }
}
