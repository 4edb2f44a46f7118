import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

/// `retrain`: the spread of a test metric over retraining with several seeds.
enum RetrainCommand: Command {
    static let spec = CommandSpec(
        name: "retrain",
        summary: "Spread of a test metric over retraining with K seeds, beside the trained model's test-set interval",
        positionals: [
            ParamSpec("model", .model, "a model whose training method is retrained", required: true),
            ParamSpec("train", .dataset, "the training data", required: true),
            ParamSpec("test", .dataset, "the test data", required: true)
        ],
        options: [
            ParamSpec("seeds", .integer, "how many retrainings", default: .number(10)),
            IntervalCommands.metricOption,
            ParamSpec(
                "resample_train", .bool, "also draw each training set by bootstrap from TRAIN", default: .bool(false)),
            IntervalCommands.levelOption,
            ParamSpec("resamples", .integer, "bootstrap resamples of the test-set interval", default: .number(9999)),
            ParamSpec("seed", .integer, "first seed (default: the session seed)"),
            IntervalCommands.positiveOption
        ],
        returns: "a retraining report",
        examples: ["retrain net train test seeds=10", "retrain net train test seeds=20 resample_train metric=f1"]
    ) { inv in try execute(inv) }

    struct Options {
        var model: ModelValue
        /// How to train the model again.
        var method: Recipe
        var train: Dataset
        var test: Dataset
        var metric: Metric
        var level: Double
        var seeds: Int
        var seed: UInt64
        var resampleTrain: Bool
        var resamples: Int
    }

    static func options(_ inv: Invocation) throws -> Options {
        Options(
            model: try inv.model("model"), method: try RetrainingCommands.recipe(inv, "model"),
            train: try inv.dataset("train"), test: try inv.dataset("test"),
            metric: try inv.choice("metric", Metric.self),
            level: try inv.declared("level", Double.self), seeds: try inv.declared("seeds", Int.self), seed: inv.seed(),
            resampleTrain: try inv.declared("resample_train", Bool.self),
            resamples: try inv.declared("resamples", Int.self))
    }

    static func validate(_ o: Options, _ inv: Invocation) throws {
        try inv.checkLevel(o.level)
        try inv.check("seeds", o.seeds, in: 2...10000)
        try inv.check("resamples", o.resamples, in: 100...10_000_000)
    }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        let m = o.model, r = o.method, train = o.train, test = o.test, metric = o.metric, level = o.level
        let k = o.seeds, seed = o.seed
        let context = inv.context("retrain") { done, _ in "seed \(seed &+ UInt64(max(done - 1, 0)))" }
        var values: [Double] = []
        for i in 0..<k {
            let s = seed &+ UInt64(i)
            var data = train
            if o.resampleTrain {
                var rng = SeededGenerator(seed: s ^ 0x5DEE_CE66_D1CE_5EED)
                data = try train.subset(
                    (0..<train.rowCount).map { _ in rng.nextIndex(train.rowCount) }, name: train.name)
            }
            values.append(try RetrainingCommands.score(inv, try r.train(data, s, inv.cancellation), test, metric))
            context.progress(i + 1, of: k)
        }
        let sorted = values.sorted()
        let mean = values.reduce(0, +) / Double(k)
        let sd = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(k - 1)).squareRoot()
        let spread = (Bootstrap.quantile(sorted, (1 - level) / 2), Bootstrap.quantile(sorted, 1 - (1 - level) / 2))
        // The frozen model's interval on the test set, for comparison.
        let labelled = try IntervalCommands.outcomes(inv, m.model, test, metric: metric)
        let frozen: MLEEvaluation.Interval
        let frozenMethod: String
        if metric.isProportion,
            let (x, n) = metric.proportionCounts(
                confusion: labelled.outcomes.confusion,
                positive: IntervalCommands.positiveIndex(labelled)),
            let w = ProportionMethod.wilson.interval(successes: x, trials: n, level: level)
        {
            frozen = w; frozenMethod = "Wilson"
        } else {
            do {
                frozen = try Bootstrap.interval(
                    metric: metric, outcomes: labelled.outcomes, method: .bca, level: level,
                    resamples: o.resamples, seed: seed,
                    stratified: false, context: inv.context("bootstrap")
                ).interval
            } catch is Cancelled { throw Interrupted() }
            frozenMethod = "BCa bootstrap"
        }
        let pct = Format.percent(level)
        let table = Table(
            key: "sources",
            columns: [
                Table.Column("source", "source of variation", .left),
                Table.Column("value", metric.rawValue), Table.Column("sd", audience: .machines),
                Table.Column("range", "\(pct) range")
            ],
            rows: [
                [
                    .text("retraining, \(k) seeds\(o.resampleTrain ? " + bootstrap training sets" : "")"),
                    .shown(.number(mean), as: "\(Format.metric(mean)) ± \(Format.metric(sd)) sd"), .number(sd),
                    .interval(low: spread.0, high: spread.1, .metric)
                ],
                [
                    .text("test set, this model (\(frozenMethod))"), .number(frozen.estimate), .missing(""),
                    .interval(low: frozen.low, high: frozen.high, .metric)
                ]
            ])
        // Every retraining's score, for machines (people see the spread).
        var retrainings = Table(
            key: "retrainings", columns: [Table.Column("seed"), Table.Column("value", metric.rawValue)],
            rows: values.indices.map { [.count(Int(truncatingIfNeeded: seed &+ UInt64($0))), .number(values[$0])] })
        retrainings.audience = .machines
        return .report(
            Report(
                kind: "retrain", title: "\(metric.rawValue) of \(r.description) over \(k) retrainings",
                fields: [
                    Field(
                        "range", "min, max",
                        .shown(
                            .interval(low: sorted.first ?? .nan, high: sorted.last ?? .nan, .metric),
                            as: "\(Format.metric(sorted.first)), \(Format.metric(sorted.last))")),
                    Field("first_seed", "first seed", .count(Int(truncatingIfNeeded: seed))),
                    Field("metric", .text(metric.rawValue), audience: .machines),
                    Field("method", .text(r.description), audience: .machines),
                    Field("resample_train", .flag(o.resampleTrain), audience: .machines),
                    Field("mean", .number(mean), audience: .machines), Field("sd", .number(sd), audience: .machines),
                    Field("spread", .interval(low: spread.0, high: spread.1, .metric), audience: .machines),
                    Field(
                        "test_set", .estimate(frozen.estimate, low: frozen.low, high: frozen.high, .metric),
                        audience: .machines),
                    Field("test_set_method", .text(frozenMethod), audience: .machines)
                ],
                tables: [table, retrainings],
                notes: [
                    "the first row is the method's variation (what another training run would give); the second, this trained model's uncertainty from the finite test set"
                ]))
    }
}
