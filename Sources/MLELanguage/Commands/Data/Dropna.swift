import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

/// `dropna`: the rows without missing values.
enum DropnaCommand: Command {
    static let spec = CommandSpec(
        name: "dropna",
        summary: "The rows without missing values (or without them in the given columns)",
        positionals: [ParamSpec("data", .dataset, "the dataset", required: true)],
        options: [ParamSpec("columns", .list(.string), "only look at these columns")],
        returns: "a dataset",
        examples: ["complete = dropna penguins", "known = dropna penguins columns=[sex]"]
    ) { inv in try execute(inv) }

    struct Options {
        var data: Dataset
        /// Only these columns count; all when nil.
        var columns: [String]?
    }

    static func options(_ inv: Invocation) throws -> Options {
        Options(data: try inv.dataset("data"), columns: inv.stringList("columns"))
    }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        let d = o.data
        var rows = d.completeRows
        if let cols = o.columns {
            let js = try cols.map { c -> Int in
                guard let j = d.featureNames.firstIndex(of: c) else {
                    throw inv.error(DataPrepCommands.noColumn(c, in: d), at: "columns")
                }
                return j
            }
            rows = (0..<d.rowCount).filter { r in !js.contains { d.features[r, $0].isNaN } }
        }
        inv.session.output.note("kept \(rows.count) of \(d.rowCount) rows")
        return .dataset(try d.subset(rows, name: d.name))
    }
}
