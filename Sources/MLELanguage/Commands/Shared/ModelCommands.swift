import Foundation
import MLELearning
import MLETensor

/// `baseline`, `mlp`, `save`.
enum ModelCommands {
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
            guard w.count == names.count, w.count == items.count, w.allSatisfy({ $0 >= 0 && $0.isFinite }),
                w.contains(where: { $0 > 0 })
            else {
                throw inv.error(
                    "class_weights takes one non-negative number per class (\(names.joined(separator: ", "))), or balanced",
                    at: "class_weights")
            }
            return w
        default:
            throw inv.error("class_weights takes balanced or a list of numbers, one per class", at: "class_weights")
        }
    }

    /// The settings of `logistic`, checked.
    static func logisticConfig(_ inv: Invocation, _ d: Dataset) throws -> LogisticConfig {
        var config = LogisticConfig()
        config.c = try inv.declared("c", Double.self)
        guard config.c > 0, config.c.isFinite else { throw inv.error("c must be a positive number", at: "c") }
        config.maxIterations = try inv.declared("max_iter", Int.self)
        guard config.maxIterations >= 1, config.maxIterations <= 1_000_000 else {
            throw inv.error("max_iter must be between 1 and 1000000", at: "max_iter")
        }
        config.preprocess = try PreprocessOptions.settings(inv)
        config.classWeights = try classWeights(inv, d) ?? []
        return config
    }

    static func logisticRecipe(_ config: LogisticConfig) -> Recipe {
        Recipe(description: "logistic c=\(Format.number(config.c))") { data, _, cancellation in
            try LogisticTrainer.train(data, config: config, context: ExecutionContext(cancellation: cancellation)).model
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

    static func baselineRecipe(_ inv: Invocation) throws -> Recipe {
        let kind = try inv.choice("kind", BaselineModel.Kind.self)
        return Recipe(description: "baseline kind=\(kind.rawValue)") { data, seed, _ in
            try BaselineModel.fit(data, kind: kind, seed: seed)
        }
    }

    /// The settings of `mlp`, checked (the seed is left to the caller).
    static func mlpConfig(_ inv: Invocation, _ d: Dataset) throws -> MLPConfig {
        var config = MLPConfig()
        // Every value comes from the options given or from mlp's declaration, whose defaults are
        // MLPConfig's own.
        config.hidden = try inv.declared("hidden", [Int].self)
        config.epochs = try inv.declared("epochs", Int.self)
        config.learningRate = Float(try inv.declared("lr", Double.self))
        config.batchSize = try inv.declared("batch", Int.self)
        config.preprocess = try PreprocessOptions.settings(inv)
        config.activation = try inv.choice("activation", Kernels.Activation.self)
        config.optimizer = try inv.choice("optimizer", MLPConfig.Optimizer.self)
        config.momentum = Float(try inv.declared("momentum", Double.self))
        guard config.momentum >= 0, config.momentum < 1 else {
            throw inv.error("momentum must be in [0, 1)", at: "momentum")
        }
        config.weightDecay = Float(try inv.declared("weight_decay", Double.self))
        guard config.weightDecay >= 0, config.weightDecay.isFinite else {
            throw inv.error("weight_decay must be ≥ 0", at: "weight_decay")
        }
        config.validation = try inv.declared("validation", Double.self)
        guard config.validation >= 0, config.validation < 0.9 else {
            throw inv.error("validation is a share of the rows, in [0, 0.9)", at: "validation")
        }
        config.patience = try inv.declared("patience", Int.self)
        guard config.patience >= 1 else { throw inv.error("patience must be at least 1", at: "patience") }
        config.classWeights = try classWeights(inv, d).map { $0.map(Float.init) } ?? []
        guard !config.hidden.isEmpty, config.hidden.allSatisfy({ $0 >= 1 && $0 <= 65536 }) else {
            throw inv.error("hidden takes layer sizes between 1 and 65536, e.g. hidden=[32, 16]", at: "hidden")
        }
        guard config.epochs >= 1, config.epochs <= 1_000_000 else {
            throw inv.error("epochs must be between 1 and 1000000", at: "epochs")
        }
        guard config.learningRate > 0, config.learningRate.isFinite else {
            throw inv.error("lr must be a positive number", at: "lr")
        }
        guard config.batchSize >= 1 else { throw inv.error("batch must be at least 1", at: "batch") }
        return config
    }

    static func mlpRecipe(_ config: MLPConfig) -> Recipe {
        var recipe = Recipe(
            description:
                "mlp hidden=[\(config.hidden.map(String.init).joined(separator: ", "))] epochs=\(config.epochs) lr=\(Format.number(Double(config.learningRate))) batch=\(config.batchSize)"
        ) { data, seed, cancellation in
            var c = config
            c.seed = seed
            let r = try MLPTrainer.train(data, config: c, context: ExecutionContext(cancellation: cancellation))
            if r.interrupted { throw Interrupted() }
            return r.model
        }
        recipe.mlpConfig = config
        return recipe
    }
}
