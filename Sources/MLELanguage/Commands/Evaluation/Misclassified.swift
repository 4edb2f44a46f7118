import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

/// `misclassified`: the rows a classifier gets wrong, as a dataset for a closer look (error
/// analysis, Burkov ch. 6).
enum MisclassifiedCommand: Command {
    static let spec = CommandSpec(
        name: "misclassified",
        summary: "The rows a classifier gets wrong, as a dataset (with filter: one segment's errors)",
        positionals: [
            ParamSpec("model", .model, "a classifier", required: true),
            ParamSpec("data", .dataset, "data with the true classes", required: true)
        ],
        options: [],
        returns: "a dataset",
        examples: ["wrong = misclassified net test", "big = filter test \"mean_radius > 15\"", "misclassified net big"]
    ) { inv in try execute(inv) }

    struct Options {
        var model: ModelValue
        var data: Dataset
    }

    static func options(_ inv: Invocation) throws -> Options {
        Options(model: try inv.model("model"), data: try inv.dataset("data"))
    }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        guard o.model.model.task.isClassification else {
            throw inv.error("misclassified is about a classifier's errors; this model predicts numbers", at: "model")
        }
        let labelled = try Outcomes.of(o.model.model, on: o.data, positive: nil)
        guard case .classification(let truth, let predicted, _, _, _) = labelled.outcomes else {
            throw inv.error("misclassified needs a classifier", at: "model")
        }
        let rows = truth.indices.filter { truth[$0] != predicted[$0] }
        return .dataset(try o.data.subset(rows, name: o.data.name + " (misclassified)"))
    }
}
