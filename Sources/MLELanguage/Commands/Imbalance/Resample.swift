import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

/// `resample`: rebalance the classes of training data.
enum ResampleCommand: Command {
    static let spec = CommandSpec(
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
    ) { inv in try execute(inv) }

    struct Options {
        var data: Dataset
        var method: Resampler.Method
        var ratio: Double
        /// SMOTE's neighbours.
        var k: Int
        var seed: UInt64
    }

    static func options(_ inv: Invocation) throws -> Options {
        Options(
            data: try inv.dataset("data"), method: try inv.choice("method", Resampler.Method.self),
            ratio: try inv.declared("ratio", Double.self), k: try inv.declared("k", Int.self), seed: inv.seed())
    }

    static func validate(_ o: Options, _ inv: Invocation) throws {
        try ImbalanceCommands.refuseHeldOut(inv, o.data, "data", doing: "resampling")
        guard o.ratio > 0, o.ratio <= 1 else {
            throw inv.error("ratio must be in (0, 1]; 1 balances the classes", at: "ratio")
        }
        try inv.check("k", o.k, in: 1...1000)
    }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        let d = o.data
        let out = try Resampler.resample(d, method: o.method, ratio: o.ratio, neighbours: o.k, seed: o.seed)
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
