import Foundation
import MLELearning
import MLETensor

/// `describe`: a dataset's rows, columns, ranges and class counts.
enum DescribeCommand: Command {
    static let spec = CommandSpec(
        name: "describe",
        summary: "Rows, columns, their ranges and the class counts of a dataset",
        positionals: [ParamSpec("data", .dataset, "the dataset to describe", required: true)],
        returns: "a description report",
        examples: ["describe data"]
    ) { inv in try execute(inv) }

    struct Options { var data: Dataset }

    static func options(_ inv: Invocation) throws -> Options { Options(data: try inv.dataset("data")) }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        .report(try DataCommands.describeReport(o.data))
    }
}
