import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

extension DataPrepCommands {
    static let dropna = CommandSpec(
        name: "dropna",
        summary: "The rows without missing values (or without them in the given columns)",
        positionals: [ParamSpec("data", .dataset, "the dataset", required: true)],
        options: [ParamSpec("columns", .list(.string), "only look at these columns")],
        returns: "a dataset",
        examples: ["complete = dropna penguins", "known = dropna penguins columns=[sex]"]
    ) { inv in
        let d = try inv.dataset("data")
        var rows = d.completeRows
        if let cols = inv.stringList("columns") {
            let js = try cols.map { c -> Int in
                guard let j = d.featureNames.firstIndex(of: c) else {
                    throw inv.error(noColumn(c, in: d), at: "columns")
                }
                return j
            }
            rows = (0..<d.rowCount).filter { r in !js.contains { d.features[r, $0].isNaN } }
        }
        inv.session.output.note("kept \(rows.count) of \(d.rowCount) rows")
        return .dataset(d.subset(rows, name: d.name))
    }
}
