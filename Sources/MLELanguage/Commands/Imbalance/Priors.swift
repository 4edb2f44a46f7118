import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

/// `priors`: correct a classifier's probabilities for a change of class shares.
enum PriorsCommand: Command {
    static let spec = CommandSpec(
        name: "priors",
        summary:
            "Correct a classifier's probabilities for a change of class shares: trained on resampled data, deployed where the shares are the original ones",
        positionals: [ParamSpec("model", .model, "a classifier", required: true)],
        options: [
            ParamSpec("trained", .dataset, "the data the model was trained on (its class shares)", required: true),
            ParamSpec(
                "deployed", .dataset,
                "data with the class shares the model will meet (usually the training data before resampling)",
                required: true)
        ],
        returns: "a model with corrected probabilities",
        examples: [
            "small = resample train method=under", "net = mlp small", "fixed = priors net trained=small deployed=train"
        ]
    ) { inv in try execute(inv) }

    struct Options {
        var model: ModelValue
        /// The class shares the model was trained on and those of where it is deployed.
        var trained: [Double]
        var deployed: [Double]
    }

    static func options(_ inv: Invocation) throws -> Options {
        let m = try inv.model("model")
        guard case .classification(let names) = m.model.task else {
            throw inv.error("prior correction needs a classifier", at: "model")
        }
        func shares(_ param: String) throws -> [Double] {
            guard case .dataset(let d)? = inv.value(param) else {
                throw inv.error("\(param)= needs a dataset", at: param)
            }
            guard case .classes(let labels, let dn)? = d.target, !labels.isEmpty else {
                throw inv.error("\(param)= needs data with a class target", at: param)
            }
            var counts = [Double](repeating: 0, count: names.count)
            for l in labels {
                guard let i = names.firstIndex(of: dn[l]) else {
                    throw inv.error("class '\(dn[l])' of this data is unknown to the model", at: param)
                }
                counts[i] += 1
            }
            return counts.map { $0 / Double(labels.count) }
        }
        return Options(model: m, trained: try shares("trained"), deployed: try shares("deployed"))
    }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        let corrected = try PriorCorrectedModel(
            base: o.model.model, trainedShares: o.trained, deployedShares: o.deployed)
        return .model(ModelValue(model: corrected, trainingNote: nil, recipe: nil))
    }
}
