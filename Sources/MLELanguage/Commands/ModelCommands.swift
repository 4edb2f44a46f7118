import Foundation
import MLELearning
import MLETensor

/// `baseline`, `mlp`, `save`.
enum ModelCommands {
    static let all = [baseline, logistic, mlp, loss, save]

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
            throw inv.error("only mlp networks can be saved for now; \(inv.names["value"] ?? "this model") is \(Format.withArticle(value.model.kind))", at: "value")
        }
        guard path.hasSuffix(".safetensors") else { throw inv.error("model files end in .safetensors", at: "file") }
        try net.safeTensors().write(path: path)
        return .none
    }

    /// `class_weights=`: balanced, or one number per class.
    static func classWeights(_ inv: Invocation, _ d: Dataset) throws -> [Double]? {
        guard let v = inv.value("class_weights") else { return nil }
        guard case .classes(_, let names)? = d.target, let balanced = d.balancedClassWeights else {
            throw inv.error("class_weights needs a class target", at: "class_weights")
        }
        switch v {
        case .symbol("balanced"), .string("balanced"):
            return balanced
        case .list(let items):
            let w = items.compactMap { if case .number(let x) = $0 { return x } else { return nil } }
            guard w.count == names.count, w.count == items.count, w.allSatisfy({ $0 >= 0 && $0.isFinite }), w.contains(where: { $0 > 0 }) else {
                throw inv.error("class_weights takes one non-negative number per class (\(names.joined(separator: ", "))), or balanced", at: "class_weights")
            }
            return w
        default:
            throw inv.error("class_weights takes balanced or a list of numbers, one per class", at: "class_weights")
        }
    }

    static let logistic = CommandSpec(
        name: "logistic",
        summary: "Fit logistic (two classes) or softmax regression to its optimum (L-BFGS, L2 penalty as scikit-learn's C)",
        positionals: [ParamSpec("data", .dataset, "the training data", required: true)],
        options: [
            ParamSpec("c", .number, "inverse regularisation strength, as scikit-learn's C: the penalty is ‖W‖² / (2C) on standardised inputs", default: .number(1)),
            ParamSpec("max_iter", .integer, "L-BFGS iterations at most", default: .number(1000)),
            ParamSpec("class_weights", .word, "weights of the classes in the loss: balanced or a list, one per class"),
        ] + PreprocessOptions.specs,
        returns: "a model (a network without hidden layers: robust, save and the rest take it)",
        examples: ["lr = logistic train", "lr = logistic train c=0.1 class_weights=balanced"]
    ) { inv in
        let d = try inv.dataset("data")
        let config = try logisticConfig(inv, d)
        let result = try LogisticTrainer.train(d, config: config, cancellation: inv.cancellation)
        var note = "\(result.iterations) L-BFGS iterations"
        if !result.converged {
            note += inv.cancellation.isCancelled ? " (interrupted)" : " (not converged; raise max_iter)"
        }
        return .model(ModelValue(model: result.model, trainingNote: note, recipe: logisticRecipe(config)))
    }

    /// The settings of `logistic`, checked.
    static func logisticConfig(_ inv: Invocation, _ d: Dataset) throws -> LogisticConfig {
        var config = LogisticConfig()
        config.c = inv.number("c") ?? 1
        guard config.c > 0, config.c.isFinite else { throw inv.error("c must be a positive number", at: "c") }
        config.maxIterations = inv.int("max_iter") ?? 1000
        guard config.maxIterations >= 1, config.maxIterations <= 1_000_000 else { throw inv.error("max_iter must be between 1 and 1000000", at: "max_iter") }
        config.preprocess = try PreprocessOptions.settings(inv)
        config.classWeights = try classWeights(inv, d) ?? []
        return config
    }

    static func logisticRecipe(_ config: LogisticConfig) -> Recipe {
        Recipe(description: "logistic c=\(Format.number(config.c))") { data, _, cancellation in
            try LogisticTrainer.train(data, config: config, cancellation: cancellation).model
        }
    }

    /// How to train a model of `kind` (mlp, logistic, baseline) with the options of `inv`, whose
    /// spec is that command's: for commands that train many models of one kind.
    static func recipe(kind: String, _ inv: Invocation, _ d: Dataset) throws -> Recipe {
        switch kind {
        case "logistic": return logisticRecipe(try logisticConfig(inv, d))
        case "baseline": return try baselineRecipe(inv)
        default: return mlpRecipe(try mlpConfig(inv, d))
        }
    }

    static let loss = CommandSpec(
        name: "loss",
        summary: "The training loss curve of a network trained in this session (and the validation loss with early stopping)",
        positionals: [ParamSpec("model", .model, "a network trained with mlp", required: true)],
        returns: "a loss report with a terminal plot",
        examples: ["loss net"]
    ) { inv in
        let m = try inv.model("model")
        guard !m.lossHistory.isEmpty else {
            throw inv.error("'\(inv.names["model"] ?? "this model")' has no loss curve: only networks trained here with mlp record one", at: "model")
        }
        var series = [TextPlot.Series("training", m.lossHistory.map(Double.init))]
        if !m.validationHistory.isEmpty { series.append(TextPlot.Series("validation", m.validationHistory.map(Double.init))) }
        let best = m.validationHistory.indices.min { m.validationHistory[$0] < m.validationHistory[$1] }
        var header = ["epoch", "training loss"]
        if best != nil { header.append("validation loss") }
        let rows = m.lossHistory.indices.map { e -> [String] in
            var row = ["\(e + 1)", String(format: "%.5g", Double(m.lossHistory[e]))]
            if best != nil { row.append(m.validationHistory[safe: e].map { String(format: "%.5g", Double($0)) } ?? "") }
            return row
        }
        let shown = rows.count > 12 ? Array(rows.prefix(5)) + [Array(repeating: "…", count: header.count)] + Array(rows.suffix(5)) : rows
        var facts: [(String, String)] = [("epochs", "\(m.lossHistory.count)"),
                                         ("final loss", String(format: "%.5g", Double(m.lossHistory.last ?? 0)))]
        if let b = best { facts.append(("best validation", String(format: "%.5g at epoch %d (the weights kept)", Double(m.validationHistory[b]), b + 1))) }
        var report = Report(kind: "loss", title: "loss of \(inv.names["model"] ?? "the model")", facts: facts,
                            tables: [Table(header: header, rows: shown)],
                            json: .object([("report", .string("loss")),
                                           ("training", .array(m.lossHistory.map { .num(Double($0)) })),
                                           ("validation", .array(m.validationHistory.map { .num(Double($0)) }))]))
        report.plots.append(TextPlot(title: "loss per epoch", series: series, xLabel: "epoch"))
        return .report(report)
    }

    static let baseline = CommandSpec(
        name: "baseline",
        summary: "Fit a baseline that ignores the features (Burkov ch. 5)",
        positionals: [ParamSpec("data", .dataset, "the training data", required: true)],
        options: [ParamSpec("kind", .choice(BaselineModel.Kind.allCases.map(\.rawValue)),
                            "zero_rule: the most frequent class, or the mean of a numeric target; uniform: a random class; prior: a random class with the training shares; mean, median: numeric targets",
                            default: .symbol("zero_rule")),
                  ParamSpec("seed", .integer, "seed of uniform and prior draws (default: the session seed, then advanced)")],
        returns: "a model",
        examples: ["base = baseline train kind=zero_rule", "guess = baseline train kind=prior seed=1"]
    ) { inv in
        let d = try inv.dataset("data")
        let kind = BaselineModel.Kind(rawValue: inv.string("kind") ?? "") ?? .zeroRule
        let seed = kind == .uniform || kind == .prior ? inv.seed() : 0
        do {
            return .model(ModelValue(model: try BaselineModel.fit(d, kind: kind, seed: seed), trainingNote: nil, recipe: try baselineRecipe(inv)))
        } catch let e as LearningError {
            throw inv.error(e.description, at: kind == .zeroRule ? nil : "kind")
        }
    }

    static func baselineRecipe(_ inv: Invocation) throws -> Recipe {
        let kind = BaselineModel.Kind(rawValue: inv.string("kind") ?? "") ?? .zeroRule
        return Recipe(description: "baseline kind=\(kind.rawValue)") { data, seed, _ in
            try BaselineModel.fit(data, kind: kind, seed: seed)
        }
    }

    static let mlp = CommandSpec(
        name: "mlp",
        summary: "Train a multilayer perceptron (ReLU, softmax or MSE output, Adam, mini-batches)",
        positionals: [ParamSpec("data", .dataset, "the training data", required: true)],
        options: [
            ParamSpec("hidden", .list(.integer), "sizes of the hidden layers", default: .list([.number(32)])),
            ParamSpec("epochs", .integer, "passes over the training data", default: .number(50)),
            ParamSpec("lr", .number, "the optimizer's learning rate", default: .number(0.001)),
            ParamSpec("batch", .integer, "rows per mini-batch", default: .number(32)),
            ParamSpec("activation", .choice(Kernels.Activation.allCases.map(\.rawValue)), "hidden-layer activation (robust and radius need relu)",
                      default: .symbol("relu")),
            ParamSpec("optimizer", .choice(MLPConfig.Optimizer.allCases.map(\.rawValue)),
                      "adam (PyTorch's defaults), sgd, or momentum (SGD with momentum=)", default: .symbol("adam")),
            ParamSpec("momentum", .number, "momentum of optimizer=momentum", default: .number(0.9)),
            ParamSpec("weight_decay", .number, "L2 penalty on the weights, added to their gradients as PyTorch's weight_decay", default: .number(0)),
            ParamSpec("class_weights", .word, "weights of the classes in the loss: balanced (n / (classes · count)) or a list, one per class"),
            ParamSpec("validation", .number, "share of the training rows held out for early stopping (0: none)", default: .number(0)),
            ParamSpec("patience", .integer, "early stopping: epochs without a better validation loss before stopping", default: .number(10)),
            ParamSpec("seed", .integer, "random seed for initialisation and shuffling (default: the session seed)"),
        ] + PreprocessOptions.specs,
        returns: "a model; Ctrl-C stops training early and keeps the weights learned so far",
        examples: ["net = mlp train hidden=[32, 16] epochs=60 seed=7",
                   "net = mlp train hidden=64 lr=0.01 batch=64",
                   "net = mlp train hidden=[64] epochs=500 validation=0.2 patience=20 weight_decay=1e-4",
                   "net = mlp train activation=tanh optimizer=momentum lr=0.01 class_weights=balanced"]
    ) { inv in
        let d = try inv.dataset("data")
        var config = try mlpConfig(inv, d)
        config.seed = inv.seed()

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
        if let best = result.bestEpoch { note += "; early stopping kept epoch \(best)" }
        var value = ModelValue(model: result.model, trainingNote: note, recipe: mlpRecipe(config))
        value.lossHistory = result.lossHistory
        value.validationHistory = result.validationHistory
        return .model(value)
    }

    /// The settings of `mlp`, checked (the seed is left to the caller).
    static func mlpConfig(_ inv: Invocation, _ d: Dataset) throws -> MLPConfig {
        var config = MLPConfig()
        config.hidden = inv.intList("hidden") ?? [32]
        config.epochs = inv.int("epochs") ?? 50
        config.learningRate = Float(inv.number("lr") ?? 0.001)
        config.batchSize = inv.int("batch") ?? 32
        config.preprocess = try PreprocessOptions.settings(inv)
        config.activation = Kernels.Activation(rawValue: inv.string("activation") ?? "") ?? .relu
        config.optimizer = MLPConfig.Optimizer(rawValue: inv.string("optimizer") ?? "") ?? .adam
        config.momentum = Float(inv.number("momentum") ?? 0.9)
        guard config.momentum >= 0, config.momentum < 1 else { throw inv.error("momentum must be in [0, 1)", at: "momentum") }
        config.weightDecay = Float(inv.number("weight_decay") ?? 0)
        guard config.weightDecay >= 0, config.weightDecay.isFinite else { throw inv.error("weight_decay must be ≥ 0", at: "weight_decay") }
        config.validation = inv.number("validation") ?? 0
        guard config.validation >= 0, config.validation < 0.9 else { throw inv.error("validation is a share of the rows, in [0, 0.9)", at: "validation") }
        config.patience = inv.int("patience") ?? 10
        guard config.patience >= 1 else { throw inv.error("patience must be at least 1", at: "patience") }
        config.classWeights = try classWeights(inv, d).map { $0.map(Float.init) } ?? []
        guard !config.hidden.isEmpty, config.hidden.allSatisfy({ $0 >= 1 && $0 <= 65536 }) else {
            throw inv.error("hidden takes layer sizes between 1 and 65536, e.g. hidden=[32, 16]", at: "hidden")
        }
        guard config.epochs >= 1, config.epochs <= 1_000_000 else { throw inv.error("epochs must be between 1 and 1000000", at: "epochs") }
        guard config.learningRate > 0, config.learningRate.isFinite else { throw inv.error("lr must be a positive number", at: "lr") }
        guard config.batchSize >= 1 else { throw inv.error("batch must be at least 1", at: "batch") }
        return config
    }

    static func mlpRecipe(_ config: MLPConfig) -> Recipe {
        Recipe(description: "mlp hidden=[\(config.hidden.map(String.init).joined(separator: ", "))] epochs=\(config.epochs) lr=\(Format.number(Double(config.learningRate))) batch=\(config.batchSize)") { data, seed, cancellation in
            var c = config
            c.seed = seed
            let r = try MLPTrainer.train(data, config: c, cancellation: cancellation)
            if r.interrupted { throw Interrupted() }
            return r.model
        }
    }
}
