import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

extension DataPrepCommands {
    static let filter = CommandSpec(
        name: "filter",
        summary: "The rows that satisfy a condition, such as \"island == Dream and bill_length_mm > 40\"",
        positionals: [
            ParamSpec("data", .dataset, "the dataset", required: true),
            ParamSpec(
                "where", .string,
                "clauses COLUMN OP VALUE (OP: < <= > >= == !=; VALUE a number, a category or missing), joined by 'and'",
                required: true)
        ],
        returns: "a dataset",
        examples: [
            "benign = filter data \"diagnosis == benign\"",
            "big = filter penguins \"body_mass_g >= 4000 and sex != missing\""
        ]
    ) { inv in
        let d = try inv.dataset("data")
        do {
            let rows = try RowCondition.parse(inv.string("where") ?? "").rows(of: d)
            return .dataset(d.subset(rows, name: d.name))
        } catch let e as LearningError {
            throw inv.error(e.description, at: "where")
        }
    }
}
