import Foundation
import MLELearning
import MLETensor

extension DataCommands {
    static let split = CommandSpec(
        name: "split",
        summary: "Split a dataset into training and test sets, at random or stratified by class",
        positionals: [ParamSpec("data", .dataset, "the dataset to split", required: true)],
        options: [
            ParamSpec("ratio", .number, "share of rows for training, between 0 and 1", default: .number(0.8)),
            ParamSpec("stratify", .bool, "keep each class's share equal on both sides", default: .bool(false)),
            ParamSpec("seed", .integer, "random seed (default: the session seed, then advanced)")
        ],
        returns: "two datasets: train, test",
        examples: ["train, test = split data ratio=0.8 stratify seed=7"]
    ) { inv in
        let d = try inv.dataset("data")
        let ratio = (try inv.declared("ratio", Double.self))
        guard ratio > 0, ratio < 1 else {
            throw inv.error("ratio must be between 0 and 1, got \(Format.number(ratio))", at: "ratio")
        }
        let (train, test) = try Splitter.split(d, ratio: ratio, stratify: inv.bool("stratify"), seed: inv.seed())
        return .tuple([.dataset(train), .dataset(test)])
    }
}
