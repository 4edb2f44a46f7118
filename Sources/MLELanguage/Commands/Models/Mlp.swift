import Foundation
import MLELearning
import MLETensor

/// `mlp`: train a multilayer perceptron.
enum MLPCommand: Command {
    static let spec = CommandSpec(
        name: "mlp",
        summary: "Train a multilayer perceptron (ReLU, softmax or MSE output, Adam, mini-batches)",
        positionals: [ParamSpec("data", .dataset, "the training data", required: true)],
        // The defaults are MLPConfig's, the numeric layer's own.
        options: [
            ParamSpec(
                "hidden", .list(.integer), "sizes of the hidden layers",
                default: .list(MLPConfig().hidden.map { .number(Double($0)) })),
            ParamSpec(
                "epochs", .integer, "passes over the training data", default: .number(Double(MLPConfig().epochs))),
            ParamSpec("lr", .number, "the optimizer's learning rate", default: .float(MLPConfig().learningRate)),
            ParamSpec("batch", .integer, "rows per mini-batch", default: .number(Double(MLPConfig().batchSize))),
            .choice(
                "activation", Kernels.Activation.self, "hidden-layer activation (robust and radius need relu)",
                default: MLPConfig().activation),
            .choice(
                "optimizer", MLPConfig.Optimizer.self,
                "adam (PyTorch's defaults), sgd, or momentum (SGD with momentum=)",
                default: MLPConfig().optimizer),
            ParamSpec("momentum", .number, "momentum of optimizer=momentum", default: .float(MLPConfig().momentum)),
            ParamSpec(
                "weight_decay", .number,
                "L2 penalty on the weights, added to their gradients as PyTorch's weight_decay",
                default: .float(MLPConfig().weightDecay)),
            ParamSpec(
                "class_weights", .word,
                "weights of the classes in the loss: balanced (n / (classes · count)) or a list, one per class"),
            ParamSpec(
                "validation", .number, "share of the training rows held out for early stopping (0: none)",
                default: .number(MLPConfig().validation)),
            ParamSpec(
                "patience", .integer, "early stopping: epochs without a better validation loss before stopping",
                default: .number(Double(MLPConfig().patience))),
            ParamSpec("seed", .integer, "random seed for initialisation and shuffling (default: the session seed)")
        ] + PreprocessOptions.specs,
        returns: "a model; Ctrl-C stops training early and keeps the weights learned so far",
        examples: [
            "net = mlp train hidden=[32, 16] epochs=60 seed=7",
            "net = mlp train hidden=64 lr=0.01 batch=64",
            "net = mlp train hidden=[64] epochs=500 validation=0.2 patience=20 weight_decay=1e-4",
            "net = mlp train activation=tanh optimizer=momentum lr=0.01 class_weights=balanced"
        ]
    ) { inv in try execute(inv) }
    .keepingPartialResults()

    struct Options {
        var data: Dataset
        /// Every setting, checked, with the seed.
        var config: MLPConfig
    }

    static func options(_ inv: Invocation) throws -> Options {
        let d = try inv.dataset("data")
        var config = try ModelCommands.mlpConfig(inv, d)
        config.seed = inv.seed()
        return Options(data: d, config: config)
    }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        let d = o.data, config = o.config

        let progress = inv.session.progress
        progress.start("mlp", total: config.epochs)
        defer { progress.finish() }
        let result = try MLPTrainer.train(d, config: config, context: inv.context("mlp")) { epoch, _, loss in
            progress.update(epoch, detail: String(format: "loss %.4g", loss))
        }
        progress.finish()
        var note = "\(result.epochsCompleted) epochs"
        if let last = result.lossHistory.last { note += String(format: ", loss %.4g", last) }
        if result.interrupted {
            note += " (interrupted)"
            let kept = inv.assignedName.map { "; '\($0)' keeps" } ?? "; the model keeps"
            inv.session.output.note(
                "training interrupted after \(result.epochsCompleted) of \(config.epochs) epochs\(kept) the weights learned so far"
            )
        }
        if let best = result.bestEpoch { note += "; early stopping kept epoch \(best)" }
        var value = ModelValue(model: result.model, trainingNote: note, recipe: ModelCommands.mlpRecipe(config))
        value.lossHistory = result.lossHistory
        value.validationHistory = result.validationHistory
        value.trainedOn = try inv.dataset("data").fingerprint
        return .model(value)
    }
}
