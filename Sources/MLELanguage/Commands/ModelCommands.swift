import Foundation
import MLELearning
import MLETensor

/// `baseline`, `mlp`, `save`.
enum ModelCommands {
    static let all = [baseline, mlp, save]

    static let save = CommandSpec(
        name: "save",
        summary: "Write a network to a .safetensors file (PyTorch's layout, with its preprocessing and unit ranges), or a dataset to a CSV file",
        positionals: [ParamSpec("value", .modelOrDataset, "the network (an mlp) or the dataset to write", required: true),
                      ParamSpec("file", .path, "where to write it: .safetensors for a network, .csv for a dataset", required: true)],
        returns: "nothing; the file is written atomically",
        examples: ["save net \"net.safetensors\"", "net2 = load \"net.safetensors\"", "save train \"train.csv\""]
    ) { inv in
        let path = inv.string("file") ?? ""
        if case .dataset(let d)? = inv.value("value") {
            guard path.hasSuffix(".csv") else { throw inv.error("datasets are written as CSV; the file name should end in .csv", at: "file") }
            do {
                try Data(d.csv().utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            } catch {
                throw inv.error("cannot write '\(path)': \(error.localizedDescription)", at: "file")
            }
            inv.session.output.note("wrote \(d.rowCount) rows to \(path)")
            return .none
        }
        guard case .model(let value)? = inv.value("value") else { throw inv.error("save takes a model or a dataset", at: "value") }
        guard let net = value.model as? MLP else {
            throw inv.error("only mlp networks can be saved for now; \(inv.names["value"] ?? "this model") is a \(value.model.kind)", at: "value")
        }
        guard path.hasSuffix(".safetensors") else { throw inv.error("model files end in .safetensors", at: "file") }
        try net.safeTensors().write(path: path)
        return .none
    }

    static let baseline = CommandSpec(
        name: "baseline",
        summary: "Fit a baseline that ignores the features (Burkov ch. 5)",
        positionals: [ParamSpec("data", .dataset, "the training data", required: true)],
        options: [ParamSpec("kind", .choice(BaselineModel.Kind.allCases.map(\.rawValue)),
                            "zero_rule: the most frequent class, or the mean of a numeric target; mean, median: numeric targets",
                            default: .symbol("zero_rule"))],
        returns: "a model",
        examples: ["base = baseline train kind=zero_rule"]
    ) { inv in
        let d = try inv.dataset("data")
        let kind = BaselineModel.Kind(rawValue: inv.string("kind") ?? "") ?? .zeroRule
        do {
            let recipe = Recipe(description: "baseline kind=\(kind.rawValue)") { data, _, _ in
                try BaselineModel.fit(data, kind: kind)
            }
            return .model(ModelValue(model: try BaselineModel.fit(d, kind: kind), trainingNote: nil, recipe: recipe))
        } catch let e as LearningError {
            throw inv.error(e.description, at: kind == .zeroRule ? nil : "kind")
        }
    }

    static let mlp = CommandSpec(
        name: "mlp",
        summary: "Train a multilayer perceptron (ReLU, softmax or MSE output, Adam, mini-batches)",
        positionals: [ParamSpec("data", .dataset, "the training data", required: true)],
        options: [
            ParamSpec("hidden", .list(.integer), "sizes of the hidden layers", default: .list([.number(32)])),
            ParamSpec("epochs", .integer, "passes over the training data", default: .number(50)),
            ParamSpec("lr", .number, "Adam's learning rate", default: .number(0.001)),
            ParamSpec("batch", .integer, "rows per mini-batch", default: .number(32)),
            ParamSpec("seed", .integer, "random seed for initialisation and shuffling (default: the session seed)"),
        ] + PreprocessOptions.specs,
        returns: "a model; Ctrl-C stops training early and keeps the weights learned so far",
        examples: ["net = mlp train hidden=[32, 16] epochs=60 seed=7",
                   "net = mlp train hidden=64 lr=0.01 batch=64"]
    ) { inv in
        let d = try inv.dataset("data")
        var config = MLPConfig()
        config.hidden = inv.intList("hidden") ?? [32]
        config.epochs = inv.int("epochs") ?? 50
        config.learningRate = Float(inv.number("lr") ?? 0.001)
        config.batchSize = inv.int("batch") ?? 32
        config.seed = inv.seed()
        config.preprocess = try PreprocessOptions.settings(inv)
        guard !config.hidden.isEmpty, config.hidden.allSatisfy({ $0 >= 1 && $0 <= 65536 }) else {
            throw inv.error("hidden takes layer sizes between 1 and 65536, e.g. hidden=[32, 16]", at: "hidden")
        }
        guard config.epochs >= 1, config.epochs <= 1_000_000 else { throw inv.error("epochs must be between 1 and 1000000", at: "epochs") }
        guard config.learningRate > 0, config.learningRate.isFinite else { throw inv.error("lr must be a positive number", at: "lr") }
        guard config.batchSize >= 1 else { throw inv.error("batch must be at least 1", at: "batch") }

        let progress = inv.session.progress
        progress.start("mlp", total: config.epochs)
        defer { progress.finish() }
        let result = try MLPTrainer.train(d, config: config, cancellation: inv.cancellation) { epoch, _, loss in
            progress.update(epoch, detail: String(format: "loss %.4g", loss))
        }
        progress.finish()
        var note = "\(result.epochsCompleted) epochs"
        if let last = result.lossHistory.last { note += String(format: ", loss %.4g", last) }
        if result.interrupted {
            note += " (interrupted)"
            let kept = inv.assignedName.map { "; '\($0)' keeps" } ?? "; the model keeps"
            inv.session.output.note("training interrupted after \(result.epochsCompleted) of \(config.epochs) epochs\(kept) the weights learned so far")
        }
        let base = config
        let recipe = Recipe(description: "mlp hidden=[\(config.hidden.map(String.init).joined(separator: ", "))] epochs=\(config.epochs) lr=\(Format.number(Double(config.learningRate))) batch=\(config.batchSize)") { data, seed, cancellation in
            var c = base
            c.seed = seed
            let r = try MLPTrainer.train(data, config: c, cancellation: cancellation)
            if r.interrupted { throw Interrupted() }
            return r.model
        }
        return .model(ModelValue(model: result.model, trainingNote: note, recipe: recipe))
    }
}
