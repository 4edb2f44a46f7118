import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

/// `check`: Burkov ch. 3's checks of a dataset (and its overlap with a test set).
enum CheckCommand: Command {
    static let spec = CommandSpec(
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
    ) { inv in try execute(inv) }

    struct Options {
        var data: Dataset
        var test: Dataset?
        /// |r| from which a pair of features is reported, and the score from which a feature is a possible leak.
        var correlation: Double
        var leakage: Double
    }

    static func options(_ inv: Invocation) throws -> Options {
        Options(
            data: try inv.dataset("data"), test: inv.has("test") ? try inv.dataset("test") : nil,
            correlation: try inv.declared("correlation", Double.self), leakage: try inv.declared("leakage", Double.self)
        )
    }

    static func validate(_ o: Options, _ inv: Invocation) throws {
        guard o.correlation > 0, o.correlation <= 1 else {
            throw inv.error("correlation must be in (0, 1]", at: "correlation")
        }
        guard o.leakage > 0, o.leakage <= 1 else { throw inv.error("leakage must be in (0, 1]", at: "leakage") }
    }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        let c: DataCheck
        do {
            c = try DataCheck.run(
                o.data, test: o.test, correlation: o.correlation, leakage: o.leakage,
                cancellation: inv.cancellation)
        } catch let e
            as LearningError
        {
            throw inv.error(e.description, at: "test")
        }
        return .report(
            DataPrepCommands.checkReport(
                c, name: inv.names["data"] ?? o.data.name, testName: inv.names["test"] ?? o.test?.name,
                correlation: o.correlation,
                leakage: o.leakage))
    }
}
