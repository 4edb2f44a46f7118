import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

/// `cvtest`: Dietterich's 5×2cv paired t-test of two training methods.
enum CVTestCommand: Command {
    static let spec = CommandSpec(
        name: "cvtest",
        summary: "Compare two training methods by Dietterich's 5×2cv paired t-test (ten trainings each)",
        positionals: [
            ParamSpec("a", .model, "a model whose training method is the reference", required: true),
            ParamSpec("b", .model, "a model whose training method is compared", required: true),
            ParamSpec("data", .dataset, "the data to cross-validate on (usually the training set)", required: true)
        ],
        options: [
            IntervalCommands.metricOption, IntervalCommands.levelOption,
            ParamSpec("seed", .integer, "seed of the five splits and the trainings (default: the session seed)"),
            IntervalCommands.positiveOption
        ],
        returns: "a 5×2cv report with a verdict",
        examples: ["cvtest base net train", "cvtest net1 net2 train metric=macro_f1 seed=3"]
    ) { inv in try execute(inv) }

    struct Options {
        /// How to train each model again.
        var methodA: Recipe
        var methodB: Recipe
        var data: Dataset
        var metric: Metric
        var level: Double
        var seed: UInt64
    }

    static func options(_ inv: Invocation) throws -> Options {
        Options(
            methodA: try RetrainingCommands.recipe(inv, "a"), methodB: try RetrainingCommands.recipe(inv, "b"),
            data: try inv.dataset("data"), metric: try inv.choice("metric", Metric.self),
            level: try inv.declared("level", Double.self), seed: inv.seed())
    }

    static func validate(_ o: Options, _ inv: Invocation) throws {
        try inv.checkLevel(o.level)
    }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        let ra = o.methodA, rb = o.methodB, d = o.data, metric = o.metric, level = o.level, seed = o.seed
        let stratify = d.task?.isClassification ?? false
        let context = inv.context("cvtest") { done, _ in "replication \((done + 1) / 2), fold \(2 - done % 2)" }
        var differences: [[Double]] = []
        var rows: [[Cell]] = []
        for i in 0..<5 {
            let (s1, s2) = try Splitter.split(d, ratio: 0.5, stratify: stratify, seed: seed &+ UInt64(i))
            var pair: [Double] = []
            for (fold, (train, test)) in [(s1, s2), (s2, s1)].enumerated() {
                let trainingSeed = seed &+ UInt64(10 * i + fold)
                let va = try RetrainingCommands.score(
                    inv, try ra.train(train, trainingSeed, inv.cancellation), test, metric)
                let vb = try RetrainingCommands.score(
                    inv, try rb.train(train, trainingSeed, inv.cancellation), test, metric)
                pair.append(vb - va)
                rows.append([.count(i + 1), .count(fold + 1), .number(va), .number(vb), .number(vb - va)])
                context.progress(2 * i + fold + 1, of: 10)
            }
            differences.append(pair)
        }
        let nameA = inv.names["a"] ?? "a", nameB = inv.names["b"] ?? "b"
        var facts = [
            Field("method_a", "method of \(nameA)", .text(ra.description)),
            Field("method_b", "method of \(nameB)", .text(rb.description)),
            Field("seed", .count(Int(truncatingIfNeeded: seed)))
        ]
        facts += [Field("metric", .text(metric.rawValue), audience: .machines)]
        let verdict: String
        if let r = FiveByTwoCV.test(differences: differences) {
            facts += [
                Field("mean_difference", "mean difference \(nameB) − \(nameA)", .number(r.meanDifference)),
                Field("t", "t (5 d.f.)", .number(r.t)), Field("p", .number(r.p, .pValue))
            ]
            if r.p < 1 - level {
                let bBetter = (r.t > 0) != [Metric.error, .mse, .rmse, .mae].contains(metric)
                verdict =
                    "\(bBetter ? nameB : nameA)'s training method is better on \(metric.rawValue) (5×2cv t = \(Format.metric(r.t)), \(Format.p(r.p)))"
            } else {
                verdict =
                    "no detectable difference between the training methods on \(metric.rawValue) (5×2cv t = \(Format.metric(r.t)), \(Format.p(r.p)))"
            }
        } else {
            verdict =
                "the two methods gave identical differences on both folds of every replication; the 5×2cv t is undefined"
        }
        return .report(
            Report(
                kind: "cvtest", title: "5×2cv paired t-test of \(nameA) and \(nameB) on \(inv.names["data"] ?? d.name)",
                fields: facts,
                tables: [
                    Table(
                        key: "folds", caption: "\(metric.rawValue) per fold",
                        columns: [
                            Table.Column("replication"), Table.Column("fold"), Table.Column("a", nameA),
                            Table.Column("b", nameB), Table.Column("difference", "\(nameB) − \(nameA)")
                        ], rows: rows)
                ],
                verdict: verdict))
    }
}
