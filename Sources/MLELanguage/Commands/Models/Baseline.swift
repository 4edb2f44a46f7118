import Foundation
import MLELearning
import MLETensor

extension ModelCommands {
    static let baseline = CommandSpec(
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
    ) { inv in
        let d = try inv.dataset("data")
        let kind = try inv.choice("kind", BaselineModel.Kind.self)
        let seed = kind == .uniform || kind == .prior ? inv.seed() : 0
        do {
            return .model(
                ModelValue(
                    model: try BaselineModel.fit(d, kind: kind, seed: seed), trainingNote: nil,
                    recipe: try baselineRecipe(inv)))
        } catch let e as LearningError {
            throw inv.error(e.description, at: kind == .zeroRule ? nil : "kind")
        }
    }
}
