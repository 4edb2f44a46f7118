import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

/// `search`: hyperparameter search by k-fold cross-validation (Burkov ch. 5).
enum SearchCommand: Command {
    static let spec = CommandSpec(
        name: "search",
        summary:
            "Hyperparameter search (Burkov ch. 5): grid, random or coarse-to-fine, scored by k-fold cross-validation on the training set",
        positionals: [ParamSpec("data", .dataset, "the training set", required: true)],
        options: [
            .choice("model", ModelKind.self, "the kind of model", default: .mlp),
            .choice(
                "method", HyperSearch.Method.self,
                "grid: every combination; random: trials= draws; coarse: random draws, then a grid around the best",
                default: .grid),
            ParamSpec(
                "trials", .integer, "candidates drawn by random search (coarse: half of them, then the fine grid)",
                default: .number(20)),
            ParamSpec("folds", .integer, "k of k-fold cross-validation (stratified for classes)", default: .number(5)),
            .choice("metric", Metric.self, "the score (default: accuracy for classes, rmse for numbers)"),
            ParamSpec("positive", .string, "the positive class of one-vs-rest metrics"),
            ParamSpec("hidden", .list(.word), "mlp: layer sizes, or a list of them to search: [[16], [32, 16]]"),
            ParamSpec(
                "lr", .list(.number), "mlp: learning rates; two numbers are a range (log scale) for random search"),
            ParamSpec("epochs", .list(.integer), "mlp: epochs to try", default: .list([.number(50)])),
            ParamSpec("batch", .list(.integer), "mlp: batch sizes to try", default: .list([.number(32)])),
            ParamSpec("weight_decay", .list(.number), "mlp: weight decays; two numbers are a range (log scale)"),
            ParamSpec("c", .list(.number), "logistic: values of C; two numbers are a range (log scale)"),
            ParamSpec("seed", .integer, "seed of the folds, the draws and training (default: the session seed)"),
            ParamSpec("rows", .integer, "how many candidates the table shows", default: .number(20))
        ],
        returns: "two values: the best model (retrained on the whole training set) and the results report",
        examples: [
            "best, results = search train hidden=[[16], [32], [64, 32]] lr=[0.001, 0.01] epochs=40",
            "best, results = search train method=random trials=30 lr=[0.0001, 0.1] hidden=[[32]] seed=1",
            "best, results = search train model=logistic method=coarse c=[0.001, 100] trials=12"
        ]
    ) { inv in try execute(inv) }
    .keepingPartialResults()

    /// The kinds of model a search trains.
    enum ModelKind: String, CaseIterable { case mlp, logistic }

    /// Numeric hyperparameters a [low, high] pair makes a range for random search, and whether
    /// the range is searched on a log scale.
    static let ranged: [String: Bool] = ["lr": true, "c": true, "weight_decay": true, "momentum": false]

    struct Options {
        var data: Dataset
        var settings: HyperSearch.Settings
        /// The model kind, mlp or logistic, and the values searched.
        var kind: String
        var space: [HyperSearch.Parameter]
        var classification: Bool
    }

    static func options(_ inv: Invocation) throws -> Options {
        let d = try inv.dataset("data")
        var settings = HyperSearch.Settings()
        settings.method = try inv.choice("method", HyperSearch.Method.self)
        settings.trials = (try inv.declared("trials", Int.self))
        settings.folds = (try inv.declared("folds", Int.self))
        let classification = d.task?.isClassification ?? true
        settings.metric = Metric(rawValue: inv.string("metric") ?? "") ?? (classification ? .accuracy : .rmse)
        settings.positive = inv.string("positive")
        settings.seed = inv.seed()
        let kind = (try inv.choice("model", ModelKind.self).rawValue)

        var space: [HyperSearch.Parameter] = []
        func numbers(_ name: String) throws -> [Double]? {
            guard case .list(let items)? = inv.value(name) else { return nil }
            let v = items.compactMap { if case .number(let x) = $0 { return x } else { return nil } }
            guard !v.isEmpty, v.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
                throw inv.error("\(name) takes non-negative numbers", at: name)
            }
            return v
        }
        func add(_ name: String, _ values: [Double]) throws {
            var p = HyperSearch.Parameter(name: name, choices: values.map { .number($0) })
            if let log = ranged[name], values.count == 2, settings.method != .grid {
                let lo = min(values[0], values[1]), hi = max(values[0], values[1])
                guard hi > lo, !log || lo > 0 else {
                    throw inv.error(
                        "\(name)=[low, high] needs low < high\(log ? " and low > 0 (log scale)" : "")", at: name)
                }
                p.range = lo...hi
                p.logScale = log
            }
            space.append(p)
        }
        if kind == "logistic" {
            for name in ["hidden", "lr", "weight_decay"] where inv.has(name) {
                throw inv.error("\(name) is an mlp setting; logistic searches c", at: name)
            }
            try add("c", try numbers("c") ?? [0.01, 0.1, 1, 10, 100])  // a decade either side of LogisticConfig().c
        } else {
            if inv.has("c") {
                throw inv.error(
                    "c is a logistic setting; mlp searches hidden, lr, epochs, batch, weight_decay", at: "c")
            }
            var layouts: [[Int]] = []
            switch inv.value("hidden") {
            case .list(let items)?:
                let nested = items.contains { if case .list = $0 { return true } else { return false } }
                func sizes(_ v: Value) throws -> [Int] {
                    let xs: [Value] = if case .list(let l) = v { l } else { [v] }
                    let out = xs.compactMap { x -> Int? in
                        if case .number(let n) = x, n == n.rounded(), n >= 1, n <= 65536 {
                            return Int(n)
                        } else {
                            return nil
                        }
                    }
                    guard out.count == xs.count, !out.isEmpty else {
                        throw inv.error("hidden takes layer sizes such as [32, 16], or a list of them", at: "hidden")
                    }
                    return out
                }
                layouts = nested ? try items.map(sizes) : [try sizes(.list(items))]
            default: layouts = [MLPConfig().hidden]
            }
            space.append(HyperSearch.Parameter(name: "hidden", choices: layouts.map { .sizes($0) }))
            try add("lr", try numbers("lr") ?? [Double(String(MLPConfig().learningRate)) ?? 0.001])
            try add("epochs", try numbers("epochs") ?? [Double(MLPConfig().epochs)])
            try add("batch", try numbers("batch") ?? [Double(MLPConfig().batchSize)])
            if let wd = try numbers("weight_decay") { try add("weight_decay", wd) }
            for name in ["epochs", "batch"] {
                if let v = try numbers(name), !v.allSatisfy({ $0 >= 1 && $0 == $0.rounded() && $0 <= 100_000 }) {
                    throw inv.error("\(name) takes whole numbers between 1 and 100000", at: name)
                }
            }
        }

        return Options(data: d, settings: settings, kind: kind, space: space, classification: classification)
    }

    static func validate(_ o: Options, _ inv: Invocation) throws {
        guard o.data.target != nil else {
            throw inv.error("search needs a target to score against; load the data with target=COLUMN", at: "data")
        }
        try inv.check("trials", o.settings.trials, in: 1...10_000)
        try inv.check("folds", o.settings.folds, in: 2...100)
        guard o.settings.metric.isRegression != o.classification else {
            throw inv.error(
                "metric=\(o.settings.metric.rawValue) does not fit a \(o.classification ? "class" : "numeric") target",
                at: "metric")
        }
    }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        let d = o.data, settings = o.settings, kind = o.kind, space = o.space, classification = o.classification
        // Each fold's training hears Ctrl-C: it stops early, and the search leaves that candidate out.
        let context = ExecutionContext(cancellation: inv.cancellation, threads: inv.session.threads)
        let train: @Sendable (Dataset, HyperSearch.Candidate, UInt64) throws -> any Model = { data, c, seed in
            if kind == "logistic" {
                var config = LogisticConfig()
                if let v = c["c"]?.number { config.c = v }
                return try LogisticTrainer.train(data, config: config, context: context).model
            }
            var config = MLPConfig()
            if case .sizes(let s)? = c["hidden"] { config.hidden = s }
            // A setting the search leaves out keeps MLPConfig's default.
            if let v = c["lr"]?.number { config.learningRate = Float(v) }
            if let v = c["epochs"]?.number { config.epochs = Int(v) }
            if let v = c["batch"]?.number { config.batchSize = Int(v) }
            if let v = c["weight_decay"]?.number { config.weightDecay = Float(v) }
            config.seed = seed
            return try MLPTrainer.train(data, config: config, context: context).model
        }
        let result: HyperSearch.Result
        do {
            result = try HyperSearch.run(
                d, space: space, settings: settings,
                context: inv.context("search") { done, total in "\(done) of \(total) candidates" },
                train: train)
        } catch let e as LearningError {
            throw inv.error(e.description)
        }
        guard let best = result.rows.first else { throw inv.error("no candidate was scored") }
        // After Ctrl-C the best candidate so far is not retrained (that could take as long as the
        // search): the scores are kept and the model slot is left empty, said so in the report.
        var model: (any Model)?
        if !result.interrupted {
            do { model = try train(d, best.candidate, settings.seed) } catch is Cancelled { model = nil }
        }
        // Ctrl-C during that retraining stops it early: its weights are not the best candidate's.
        let interrupted = result.interrupted || inv.cancellation.isCancelled
        if interrupted { model = nil }
        let names = space.map(\.name)
        let rows = result.rows.enumerated().map { i, r -> [Cell] in
            [.count(i + 1)] + names.map { .text(r.candidate[$0]?.description ?? "") } + [
                .number(r.mean), .number(r.sd), .text(r.stage), .vector(r.foldScores.map { $0 ?? .nan })
            ]
        }
        var table = Table(
            key: "results",
            columns: [Table.Column("rank")] + names.map { Table.Column($0) }
                + [
                    Table.Column("mean", "mean " + settings.metric.rawValue), Table.Column("sd"), Table.Column("stage"),
                    Table.Column("fold_scores", audience: .machines)
                ],
            rows: rows, limit: max((try inv.declared("rows", Int.self)), 1))
        table.moreHint = "rows=N shows more; set format json or csv gives all"
        var notes: [String] = []
        if result.interrupted {
            notes.append(
                "interrupted: \(result.rows.count) candidates were scored; the best so far was not retrained, so no model is returned (run again, or train it with mlp)"
            )
        } else if interrupted {
            notes.append(
                "interrupted: every candidate was scored, but retraining the best on all rows was stopped, so no model is returned (train it with mlp)"
            )
        } else {
            notes.append(
                "the best candidate was retrained on all \(d.rowCount) rows; cross-validation scores estimate, with optimism from choosing the best, how it does on new data"
            )
        }
        let facts = [
            Field("model", .text(kind)), Field("method", .text(settings.method.rawValue)),
            Field(
                "folds",
                .shown(.count(settings.folds), as: "\(settings.folds) (stratified: \(classification ? "yes" : "no"))")),
            Field(
                "metric",
                .shown(
                    .text(settings.metric.rawValue),
                    as: "\(settings.metric.rawValue) (\(result.lowerIsBetter ? "lower" : "higher") is better)")),
            Field("candidates", .count(result.rows.count)),
            Field("seed", .count(Int(truncatingIfNeeded: settings.seed))),
            Field(
                "best",
                .shown(
                    .number(best.mean),
                    as: names.map { "\($0)=\(best.candidate[$0]?.description ?? "")" }.joined(separator: " ")
                        + " — \(Format.metric(best.mean)) ± \(Format.metric(best.sd))"))
        ]
        var report = Report(
            kind: "search",
            title:
                "search \(inv.names["data"] ?? d.name): best \(settings.metric.rawValue) \(Format.metric(best.mean))",
            fields: facts, tables: [table],
            notes: notes)
        guard let model else {
            report.fields.append(Field("interrupted", .flag(true), audience: .machines))
            return .tuple([.none, .report(report)])
        }
        var value = ModelValue(
            model: model,
            trainingNote:
                "best of \(result.rows.count) candidates by \(settings.folds)-fold \(settings.metric.rawValue)")
        value.trainedOn = try inv.dataset("data").fingerprint
        value.recipe = Recipe(
            description: "search best: "
                + names.map { "\($0)=\(best.candidate[$0]?.description ?? "")" }.joined(separator: " ")
        ) { data, seed, _ in
            try train(data, best.candidate, seed)
        }
        return .tuple([.model(value), .report(report)])
    }
}
