import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

/// `filter`: the rows that satisfy a condition.
enum FilterCommand: Command {
    static let spec = CommandSpec(
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
    ) { inv in try execute(inv) }

    struct Options {
        var data: Dataset
        var condition: String
    }

    static func options(_ inv: Invocation) throws -> Options {
        Options(data: try inv.dataset("data"), condition: try inv.declared("where", String.self))
    }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        do {
            return .dataset(try o.data.subset(try RowCondition.parse(o.condition).rows(of: o.data), name: o.data.name))
        } catch let e as UnknownNameError {
            throw inv.error(Diagnostics.message(e), at: "where")
        } catch let e as LearningError {
            throw inv.error(e.description, at: "where")
        }
    }
}
