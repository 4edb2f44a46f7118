import Foundation
import MLELearning
import MLETensor

/// `baseline`: a model that ignores the features (Burkov ch. 5).
enum BaselineCommand: Command {
    static let spec = CommandSpec(
        name: "baseline",
        summary: "Fit a baseline that ignores the features (Burkov ch. 5)",
        positionals: [ParamSpec("data", .dataset, "the training data", required: true)],
        options: [
            .choice(
                "kind", BaselineModel.Kind.self,
                "zero_rule: the most frequent class, or the mean of a numeric target; uniform: a random class; prior: a random class with the training shares; mean, median: numeric targets",
                default: .zeroRule),
            ParamSpec("seed", .integer, "seed of uniform and prior draws (default: the session seed, then advanced)")
        ],
        returns: "a model",
        examples: ["base = baseline train kind=zero_rule", "guess = baseline train kind=prior seed=1"]
    ) { inv in try execute(inv) }

    struct Options {
        var data: Dataset
        var kind: BaselineModel.Kind
        /// The random baselines' seed (0 for the others, which draw nothing).
        var seed: UInt64
        var recipe: Recipe
    }

    static func options(_ inv: Invocation) throws -> Options {
        let kind = try inv.choice("kind", BaselineModel.Kind.self)
        return Options(
            data: try inv.dataset("data"), kind: kind, seed: kind == .uniform || kind == .prior ? inv.seed() : 0,
            recipe: try ModelCommands.baselineRecipe(inv))
    }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        do {
            var value = ModelValue(
                model: try BaselineModel.fit(o.data, kind: o.kind, seed: o.seed), trainingNote: nil, recipe: o.recipe)
            value.trainedOn = o.data.fingerprint
            return .model(value)
        } catch let e as LearningError {
            throw inv.error(e.description, at: o.kind == .zeroRule ? nil : "kind")
        }
    }
}
