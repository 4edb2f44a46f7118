import Foundation
import MLELearning
import MLETensor

extension DataCommands {
    static let describe = CommandSpec(
        name: "describe",
        summary: "Rows, columns, their ranges and the class counts of a dataset",
        positionals: [ParamSpec("data", .dataset, "the dataset to describe", required: true)],
        returns: "a description report",
        examples: ["describe data"]
    ) { inv in
        let d = try inv.dataset("data")
        return .report(describeReport(d))
    }
}
