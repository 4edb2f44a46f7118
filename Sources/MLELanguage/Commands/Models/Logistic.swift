import Foundation
import MLELearning
import MLETensor

extension ModelCommands {
    static let logistic = CommandSpec(
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
    ) { inv in
        let d = try inv.dataset("data")
        let config = try logisticConfig(inv, d)
        let result = try LogisticTrainer.train(d, config: config, context: inv.context("logistic"))
        var note = "\(result.iterations) L-BFGS iterations"
        if !result.converged {
            note += inv.cancellation.isCancelled ? " (interrupted)" : " (not converged; raise max_iter)"
        }
        return .model(ModelValue(model: result.model, trainingNote: note, recipe: logisticRecipe(config)))
    }
}
