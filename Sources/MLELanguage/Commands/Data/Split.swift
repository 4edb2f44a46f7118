import Foundation
import MLELearning
import MLETensor

/// `split`: training and test sets, at random or stratified by class.
enum SplitCommand: Command {
    static let spec = CommandSpec(
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
    ) { inv in try execute(inv) }

    struct Options {
        var data: Dataset
        var ratio: Double
        var stratify: Bool
        var seed: UInt64
    }

    static func options(_ inv: Invocation) throws -> Options {
        Options(
            data: try inv.dataset("data"), ratio: try inv.declared("ratio", Double.self),
            stratify: try inv.declared("stratify", Bool.self), seed: inv.seed())
    }

    static func validate(_ o: Options, _ inv: Invocation) throws {
        guard o.ratio > 0, o.ratio < 1 else {
            throw inv.error("ratio must be between 0 and 1, got \(Format.number(o.ratio))", at: "ratio")
        }
    }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        let (train, test) = try Splitter.split(o.data, ratio: o.ratio, stratify: o.stratify, seed: o.seed)
        return .tuple([.dataset(train), .dataset(test)])
    }
}
