import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

extension DataPrepCommands {
    static let check = CommandSpec(
        name: "check",
        summary:
            "Check a dataset (Burkov ch. 3): class balance, missing values, constant columns, duplicates, correlated pairs, possible leakage, train/test overlap",
        positionals: [
            ParamSpec("data", .dataset, "the dataset (the training set)", required: true),
            ParamSpec("test", .dataset, "a test set: report rows it shares with the first")
        ],
        options: [
            ParamSpec(
                "correlation", .number, "report feature pairs with |Pearson r| at or above this", default: .number(0.95)
            ),
            ParamSpec(
                "leakage", .number,
                "report single features whose score reaches this: accuracy of the majority class per bin or level (classes), |r| (numbers)",
                default: .number(0.95))
        ],
        returns: "a data-check report",
        examples: ["check data", "check train test"]
    ) { inv in
        let d = try inv.dataset("data")
        let test = inv.has("test") ? try inv.dataset("test") : nil
        let corr = (try inv.declared("correlation", Double.self)), leak = (try inv.declared("leakage", Double.self))
        guard corr > 0, corr <= 1 else { throw inv.error("correlation must be in (0, 1]", at: "correlation") }
        guard leak > 0, leak <= 1 else { throw inv.error("leakage must be in (0, 1]", at: "leakage") }
        let c: DataCheck
        do { c = try DataCheck.run(d, test: test, correlation: corr, leakage: leak) } catch let e as LearningError {
            throw inv.error(e.description, at: "test")
        }
        return .report(
            checkReport(
                c, name: inv.names["data"] ?? d.name, testName: inv.names["test"] ?? test?.name, correlation: corr,
                leakage: leak))
    }
}
