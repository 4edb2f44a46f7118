import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

extension ImbalanceCommands {
    static let resample = CommandSpec(
        name: "resample",
        summary:
            "Rebalance the classes of training data: random undersampling, random oversampling or SMOTE (test sets are refused)",
        positionals: [ParamSpec("data", .dataset, "the training data", required: true)],
        options: [
            .choice(
                "method", Resampler.Method.self,
                "under: drop rows of the larger classes; over: repeat rows of the smaller ones; smote: synthesise rows between neighbours of the smaller ones",
                default: .smote),
            ParamSpec(
                "ratio", .number,
                "size of each class relative to the smallest (under) or largest (over, smote) class after resampling; 1 balances them",
                default: .number(1)),
            ParamSpec("k", .integer, "SMOTE: nearest neighbours to interpolate towards", default: .number(5)),
            ParamSpec("seed", .integer, "random seed (default: the session seed)")
        ],
        returns: "a dataset",
        examples: [
            "balanced = resample train method=under seed=1", "bigger = resample train method=smote k=5",
            "half = resample train method=over ratio=0.5"
        ]
    ) { inv in
        let d = try inv.dataset("data")
        try refuseHeldOut(inv, d, "data", doing: "resampling")
        let method = try inv.choice("method", Resampler.Method.self)
        let ratio = (try inv.declared("ratio", Double.self))
        guard ratio > 0, ratio <= 1 else {
            throw inv.error("ratio must be in (0, 1]; 1 balances the classes", at: "ratio")
        }
        let k = (try inv.declared("k", Int.self))
        guard k >= 1, k <= 1000 else { throw inv.error("k must be between 1 and 1000", at: "k") }
        let out = try Resampler.resample(d, method: method, ratio: ratio, neighbours: k, seed: inv.seed())
        if let before = d.classCounts, let after = out.classCounts, case .classes(_, let names)? = d.target {
            let changes = names.indices.filter { before[$0] != after[$0] }.map {
                "\(names[$0]) \(before[$0]) → \(after[$0])"
            }
            inv.session.output.note(
                changes.isEmpty
                    ? "the classes already meet the target sizes; nothing changed" : changes.joined(separator: ", "))
        }
        return .dataset(out)
    }
}
