import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

/// `cvtest` and `retrain`: questions about training methods rather than one trained model.
enum RetrainingCommands {
    static let all = [cvtest, retrain]

    static func recipe(_ inv: Invocation, _ name: String) throws -> Recipe {
        guard let r = try inv.model(name).recipe else {
            throw inv.error("this model was not trained in this session, so it cannot be retrained", at: name)
        }
        return r
    }

    /// The metric of `model` on `data`, or an error naming the metric.
    static func score(_ inv: Invocation, _ model: any Model, _ data: Dataset, _ metric: Metric) throws -> Double {
        let labelled = try IntervalCommands.outcomes(inv, model, data, metric: metric)
        guard let v = metric.value(of: labelled.outcomes) else {
            throw inv.error("\(metric.rawValue) is undefined on one of the folds (a zero denominator); choose another metric")
        }
        return v
    }

    static let cvtest = CommandSpec(
        name: "cvtest",
        summary: "Compare two training methods by Dietterich's 5×2cv paired t-test (ten trainings each)",
        positionals: [ParamSpec("a", .model, "a model whose training method is the reference", required: true),
                      ParamSpec("b", .model, "a model whose training method is compared", required: true),
                      ParamSpec("data", .dataset, "the data to cross-validate on (usually the training set)", required: true)],
        options: [IntervalCommands.metricOption, IntervalCommands.levelOption,
                  ParamSpec("seed", .integer, "seed of the five splits and the trainings (default: the session seed)"),
                  IntervalCommands.positiveOption],
        returns: "a 5×2cv report with a verdict",
        examples: ["cvtest base net train", "cvtest net1 net2 train metric=macro_f1 seed=3"]
    ) { inv in
        let ra = try recipe(inv, "a"), rb = try recipe(inv, "b")
        let d = try inv.dataset("data")
        let metric = Metric(rawValue: inv.string("metric") ?? "accuracy") ?? .accuracy
        let level = try IntervalCommands.checkedLevel(inv)
        let seed = inv.seed()
        let stratify = d.task?.isClassification ?? false
        let progress = inv.session.progress
        progress.start("cvtest", total: 10)
        defer { progress.finish() }
        var differences: [[Double]] = []
        var rows: [[String]] = []
        for i in 0..<5 {
            let (s1, s2) = try Splitter.split(d, ratio: 0.5, stratify: stratify, seed: seed &+ UInt64(i))
            var pair: [Double] = []
            for (fold, (train, test)) in [(s1, s2), (s2, s1)].enumerated() {
                let trainingSeed = seed &+ UInt64(10 * i + fold)
                let va = try score(inv, try ra.train(train, trainingSeed, inv.cancellation), test, metric)
                let vb = try score(inv, try rb.train(train, trainingSeed, inv.cancellation), test, metric)
                pair.append(vb - va)
                rows.append(["\(i + 1)", "\(fold + 1)", Format.metric(va), Format.metric(vb), Format.metric(vb - va)])
                progress.update(2 * i + fold + 1, detail: "replication \(i + 1), fold \(fold + 1)")
            }
            differences.append(pair)
        }
        let nameA = inv.names["a"] ?? "a", nameB = inv.names["b"] ?? "b"
        var facts: [(String, String)] = [("method of \(nameA)", ra.description), ("method of \(nameB)", rb.description),
                                         ("seed", "\(seed)")]
        var json: [(String, JSON)] = [("report", .string("cvtest")), ("metric", .string(metric.rawValue)),
                                      ("a", .string(ra.description)), ("b", .string(rb.description)), ("seed", .number(Double(seed))),
                                      ("differences", .array(differences.map { .array($0.map { .num($0) }) }))]
        let verdict: String
        if let r = FiveByTwoCV.test(differences: differences) {
            facts += [("mean difference \(nameB) − \(nameA)", Format.metric(r.meanDifference)),
                      ("t (5 d.f.)", Format.metric(r.t)), ("p", Format.pValue(r.p))]
            json += [("mean_difference", .num(r.meanDifference)), ("t", .num(r.t)), ("p", .num(r.p))]
            if r.p < 1 - level {
                let bBetter = (r.t > 0) != [Metric.error, .mse, .rmse, .mae].contains(metric)
                verdict = "\(bBetter ? nameB : nameA)'s training method is better on \(metric.rawValue) (5×2cv t = \(Format.metric(r.t)), \(Format.p(r.p)))"
            } else {
                verdict = "no detectable difference between the training methods on \(metric.rawValue) (5×2cv t = \(Format.metric(r.t)), \(Format.p(r.p)))"
            }
        } else {
            verdict = "the two methods gave identical differences on both folds of every replication; the 5×2cv t is undefined"
        }
        json.append(("verdict", .string(verdict)))
        return .report(Report(kind: "cvtest", title: "5×2cv paired t-test of \(nameA) and \(nameB) on \(inv.names["data"] ?? d.name)",
                              facts: facts,
                              tables: [Table(caption: "\(metric.rawValue) per fold", header: ["replication", "fold", nameA, nameB, "\(nameB) − \(nameA)"], rows: rows)],
                              notes: [verdict], json: .object(json)))
    }

    static let retrain = CommandSpec(
        name: "retrain",
        summary: "Spread of a test metric over retraining with K seeds, beside the trained model's test-set interval",
        positionals: [ParamSpec("model", .model, "a model whose training method is retrained", required: true),
                      ParamSpec("train", .dataset, "the training data", required: true),
                      ParamSpec("test", .dataset, "the test data", required: true)],
        options: [ParamSpec("seeds", .integer, "how many retrainings", default: .number(10)),
                  IntervalCommands.metricOption,
                  ParamSpec("resample_train", .bool, "also draw each training set by bootstrap from TRAIN", default: .bool(false)),
                  IntervalCommands.levelOption,
                  ParamSpec("resamples", .integer, "bootstrap resamples of the test-set interval", default: .number(9999)),
                  ParamSpec("seed", .integer, "first seed (default: the session seed)"),
                  IntervalCommands.positiveOption],
        returns: "a retraining report",
        examples: ["retrain net train test seeds=10", "retrain net train test seeds=20 resample_train metric=f1"]
    ) { inv in
        let m = try inv.model("model")
        let r = try recipe(inv, "model")
        let train = try inv.dataset("train"), test = try inv.dataset("test")
        let metric = Metric(rawValue: inv.string("metric") ?? "accuracy") ?? .accuracy
        let level = try IntervalCommands.checkedLevel(inv)
        let k = inv.int("seeds") ?? 10
        guard k >= 2, k <= 10000 else { throw inv.error("seeds must be between 2 and 10000", at: "seeds") }
        let seed = inv.seed()
        let progress = inv.session.progress
        progress.start("retrain", total: k)
        defer { progress.finish() }
        var values: [Double] = []
        for i in 0..<k {
            let s = seed &+ UInt64(i)
            var data = train
            if inv.bool("resample_train") {
                var rng = SeededGenerator(seed: s ^ 0x5DEE_CE66_D1CE_5EED)
                data = train.subset((0..<train.rowCount).map { _ in rng.nextIndex(train.rowCount) }, name: train.name)
            }
            values.append(try score(inv, try r.train(data, s, inv.cancellation), test, metric))
            progress.update(i + 1, detail: "seed \(s)")
        }
        let sorted = values.sorted()
        let mean = values.reduce(0, +) / Double(k)
        let sd = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(k - 1)).squareRoot()
        let spread = (Bootstrap.quantile(sorted, (1 - level) / 2), Bootstrap.quantile(sorted, 1 - (1 - level) / 2))
        // The frozen model's interval on the test set, for comparison.
        let labelled = try IntervalCommands.outcomes(inv, m.model, test, metric: metric)
        let frozen: MLEEvaluation.Interval
        let frozenMethod: String
        if metric.isProportion, let (x, n) = metric.proportionCounts(confusion: labelled.outcomes.confusion,
                                                                     positive: IntervalCommands.positiveIndex(labelled)),
           let w = ProportionMethod.wilson.interval(successes: x, trials: n, level: level) {
            frozen = w; frozenMethod = "Wilson"
        } else {
            do {
                frozen = try Bootstrap.interval(metric: metric, outcomes: labelled.outcomes, method: .bca, level: level,
                                                resamples: try IntervalCommands.checkedResamples(inv), seed: seed,
                                                stratified: false, cancellation: inv.cancellation).interval
            } catch is Cancelled { throw Interrupted() }
            frozenMethod = "BCa bootstrap"
        }
        let pct = Format.percent(level)
        let table = Table(header: ["source of variation", metric.rawValue, "\(pct) range"], rows: [
            ["retraining, \(k) seeds\(inv.bool("resample_train") ? " + bootstrap training sets" : "")", "\(Format.metric(mean)) ± \(Format.metric(sd)) sd",
             "[\(Format.metric(spread.0)), \(Format.metric(spread.1))]"],
            ["test set, this model (\(frozenMethod))", Format.metric(frozen.estimate),
             "[\(Format.metric(frozen.low)), \(Format.metric(frozen.high))]"],
        ], alignments: [.left, .right, .right])
        let json = JSON.object([
            ("report", .string("retrain")), ("metric", .string(metric.rawValue)), ("method", .string(r.description)),
            ("seeds", .number(Double(k))), ("first_seed", .number(Double(seed))), ("resample_train", .bool(inv.bool("resample_train"))),
            ("values", .array(values.map { .num($0) })), ("mean", .num(mean)), ("sd", .num(sd)),
            ("low", .num(spread.0)), ("high", .num(spread.1)), ("min", .num(sorted.first)), ("max", .num(sorted.last)),
            ("test_set_interval", .object([("method", .string(frozenMethod)), ("estimate", .num(frozen.estimate)),
                                           ("low", .num(frozen.low)), ("high", .num(frozen.high))])),
        ])
        return .report(Report(kind: "retrain", title: "\(metric.rawValue) of \(r.description) over \(k) retrainings",
                              facts: [("min, max", "\(Format.metric(sorted.first)), \(Format.metric(sorted.last))"),
                                      ("first seed", "\(seed)")],
                              tables: [table],
                              notes: ["the first row is the method's variation (what another training run would give); the second, this trained model's uncertainty from the finite test set"],
                              json: json))
    }
}
