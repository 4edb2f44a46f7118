import Foundation
import MLELearning
import MLETensor

/// `logistic`: logistic or softmax regression fitted to its optimum.
enum LogisticCommand: Command {
    static let spec = CommandSpec(
        name: "logistic",
        summary:
            "Fit logistic (two classes) or softmax regression to its optimum (L-BFGS, L2 penalty as scikit-learn's C)",
        positionals: [ParamSpec("data", .dataset, "the training data", required: true)],
        options: [
            ParamSpec(
                "c", .number,
                "inverse regularisation strength, as scikit-learn's C: the penalty is ‖W‖² / (2C) on standardised inputs",
                default: .number(LogisticConfig().c)),
            ParamSpec(
                "max_iter", .integer, "L-BFGS iterations at most",
                default: .number(Double(LogisticConfig().maxIterations))),
            ParamSpec("class_weights", .word, "weights of the classes in the loss: balanced or a list, one per class")
        ] + PreprocessOptions.specs,
        returns: "a model (a network without hidden layers: robust, save and the rest take it)",
        examples: ["lr = logistic train", "lr = logistic train c=0.1 class_weights=balanced"]
    ) { inv in try execute(inv) }
    .keepingPartialResults()

    struct Options {
        var data: Dataset
        var config: LogisticConfig
    }

    static func options(_ inv: Invocation) throws -> Options {
        let d = try inv.dataset("data")
        return Options(data: d, config: try ModelCommands.logisticConfig(inv, d))
    }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        let result = try LogisticTrainer.train(o.data, config: o.config, context: inv.context("logistic"))
        var note = "\(result.iterations) L-BFGS iterations"
        if !result.converged {
            note += inv.cancellation.isCancelled ? " (interrupted)" : " (not converged; raise max_iter)"
        }
        var value = ModelValue(model: result.model, trainingNote: note, recipe: ModelCommands.logisticRecipe(o.config))
        value.trainedOn = o.data.fingerprint
        return .model(value)
    }
}
