import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

/// `imbalance compare`: every remedy for imbalanced classes with one model kind, compared on the test set.
enum ImbalanceCommand: Command {
    static let spec = CommandSpec(
        name: "imbalance",
        summary:
            "imbalance compare: train one model kind under every remedy for imbalanced classes and compare them on the test set",
        positionals: [
            ParamSpec("action", .choice(["compare"]), "compare: every strategy side by side", required: true),
            ParamSpec("train", .dataset, "the training data", required: true),
            ParamSpec("test", .dataset, "the test data (never resampled)", required: true)
        ],
        options: [
            BaseModels.modelOption,
            ParamSpec(
                "positive", .string,
                "the class of sensitivity, IBA, AP and ROC-AUC (default: the smallest class of the training data)"),
            ParamSpec("chunks", .integer, "members of the two ensembles (default: the imbalance ratio)"),
            ParamSpec("k", .integer, "SMOTE's neighbours", default: .number(5)),
            ParamSpec(
                "holdout", .number, "threshold moving: share of the training data held out to choose the threshold",
                default: .number(0.2)),
            ParamSpec(
                "metric", .choice(Metric.allCases.filter { $0.isConfusionBased }.map(\.rawValue)),
                "threshold moving: the metric the threshold maximises", default: .symbol("balanced_accuracy")),
            ParamSpec("seed", .integer, "one seed for every strategy (default: the session seed)")
        ] + BaseModels.options.filter { $0.name != "class_weights" },
        returns: "a report: strategy × metrics, the best per column marked, and a bar chart of balanced accuracy",
        examples: [
            "imbalance compare train test model=mlp hidden=[32] epochs=60 seed=1",
            "imbalance compare train test model=logistic"
        ]
    ) { inv in try execute(inv) }
    .keepingPartialResults()

    struct Options {
        var train: Dataset
        var test: Dataset
        var classNames: [String]
        /// The class one-vs-rest metrics are about (default: the smaller class).
        var positive: String
        /// The model kind and how to train it, plain and with balanced class weights.
        var kind: String
        var recipe: Recipe
        var weighted: Recipe?
        /// SMOTE's neighbours; threshold moving's held-out share and metric; the ensembles' members.
        var k: Int
        var holdout: Double
        var metric: Metric
        var members: Int
        var seed: UInt64
    }

    static func options(_ inv: Invocation) throws -> Options {
        let train = try inv.dataset("train"), test = try inv.dataset("test")
        guard case .classes(_, let names)? = train.target, let counts = train.classCounts else {
            throw inv.error("imbalance compare needs a class target", at: "train")
        }
        let kind = try inv.declared("model", String.self)
        return Options(
            train: train, test: test, classNames: names,
            positive: inv.string("positive") ?? ImbalanceCommands.smallerClass(train) ?? names.first ?? "", kind: kind,
            recipe: try BaseModels.recipe(inv, data: train),
            weighted: kind == "baseline"
                ? nil : try BaseModels.recipe(inv, data: train, overrides: ["class_weights": .symbol("balanced")]),
            k: try inv.declared("k", Int.self), holdout: try inv.declared("holdout", Double.self),
            metric: try inv.choice("metric", Metric.self),
            // The book's default: as many members as the imbalance ratio.
            members: inv.int("chunks") ?? EnsemblePlan.defaultMembers(counts), seed: inv.seed())
    }

    static func validate(_ o: Options, _ inv: Invocation) throws {
        try ImbalanceCommands.refuseHeldOut(inv, o.train, "train", doing: "resampling")
        for (name, d) in [("train", o.train), ("test", o.test)] where d.rowCount == 0 {
            throw inv.error("'\(inv.names[name] ?? d.name)' has no rows", at: name)
        }
        guard o.test.target != nil else {
            throw inv.error("the test data needs the target to score against", at: "test")
        }
        guard o.classNames.contains(o.positive) else {
            throw inv.error(
                Diagnostics.message(
                    UnknownNameError(kind: "class", name: o.positive, known: o.classNames, listing: "classes")),
                at: "positive")
        }
        try inv.check("k", o.k, in: 1...1000)
        guard o.holdout > 0, o.holdout < 0.9 else { throw inv.error("holdout is a share in (0, 0.9)", at: "holdout") }
        try inv.check("chunks", o.members, in: 1...10_000)
    }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        let train = o.train, test = o.test, names = o.classNames, positive = o.positive, kind = o.kind, k = o.k
        let holdout = o.holdout, members = o.members, thresholdMetric = o.metric, recipe = o.recipe
        let weighted = o.weighted, seed = o.seed, counts = o.train.classCounts ?? []
        let cancel = inv.cancellation

        typealias Outcome = Result<(any Model, String?), LearningError>
        func attempt(_ body: () throws -> (any Model, String?)) throws -> Outcome {
            do { return .success(try body()) } catch let e as LearningError { return .failure(e) }
        }
        func ensemble(_ method: EnsemblePlan.Method) throws -> (any Model, String?) {
            guard case .classes(let labels, _)? = train.target else { throw LearningError.invalid("no classes") }
            let plan = try EnsemblePlan.rows(
                labels: labels, classCount: names.count, members: members, method: method, seed: seed,
                classNames: names)
            let (model, _, _) = try EnsembleModel.train(
                train, plan: plan, vote: .soft, method: method, seed: seed,
                context: inv.context("ensemble").silent, member: recipe.train, check: { _, _ in })
            return (model, "\(members) members")
        }
        let strategies: [(String, () throws -> Outcome)] = [
            ("none", { try attempt { (try recipe.train(train, seed, cancel), nil) } }),
            (
                "class weights",
                {
                    guard let weighted else { return .failure(.invalid("baselines take no class weights")) }
                    return try attempt { (try weighted.train(train, seed, cancel), "balanced") }
                }
            ),
            (
                "undersampling",
                {
                    try attempt {
                        (try recipe.train(try Resampler.resample(train, method: .under, seed: seed), seed, cancel), nil)
                    }
                }
            ),
            (
                "oversampling",
                {
                    try attempt {
                        (try recipe.train(try Resampler.resample(train, method: .over, seed: seed), seed, cancel), nil)
                    }
                }
            ),
            (
                "SMOTE",
                {
                    try attempt {
                        (
                            try recipe.train(
                                try Resampler.resample(train, method: .smote, neighbours: k, seed: seed), seed, cancel),
                            "k=\(k)"
                        )
                    }
                }
            ),
            ("EasyEnsemble", { try attempt { try ensemble(.bags) } }),
            ("book's ensemble", { try attempt { try ensemble(.chunks) } }),
            (
                "threshold moving",
                {
                    guard names.count == 2 else { return .failure(.invalid("threshold moving needs two classes")) }
                    return try attempt {
                        let (fit, valid) = try Splitter.split(train, ratio: 1 - holdout, stratify: true, seed: seed)
                        let model = try recipe.train(fit, seed, cancel)
                        let (tuned, value) = try ImbalanceCommands.moveThreshold(
                            model, on: valid, metric: thresholdMetric, positive: positive, inv: inv)
                        return (
                            tuned,
                            String(
                                format:
                                    "threshold %.4g on p(%@), chosen on %.0f%% of the training rows (%@ %.4f there)",
                                tuned.threshold, positive, holdout * 100, thresholdMetric.rawValue, value)
                        )
                    }
                }
            )
        ]

        let metrics: [(String, Metric)] = [
            ("balanced acc", .balancedAccuracy), ("sensitivity", .sensitivity),
            ("specificity", .specificity), ("G-mean", .gmean), ("IBA", .iba),
            ("MCC", .mcc), ("AP", .averagePrecision), ("ROC-AUC", .auc)
        ]
        let progress = inv.session.progress
        progress.start("imbalance", total: strategies.count)
        defer { progress.finish() }
        var values: [[Double?]] = []
        var notes: [String] = []
        var rowNames: [String] = []
        // Ctrl-C keeps the strategies compared so far; the one being trained is left out.
        var interrupted = false, processed = 0
        for (i, (name, run)) in strategies.enumerated() {
            if cancel.isCancelled { interrupted = true; break }
            let outcome: Outcome
            do {
                outcome = try run()
            } catch  where cancel.isCancelled {
                interrupted = true; break
            }
            if cancel.isCancelled { interrupted = true; break }
            switch outcome {
            case .success(let (model, detail)):
                let labelled = try Outcomes.of(model, on: test, positive: positive)
                let v = metrics.map { $0.1.value(of: labelled.outcomes) }
                values.append(v)
                rowNames.append(name)
                if let detail { notes.append("\(name): \(detail)") }
            case .failure(let e):
                notes.append("\(name): not run — \(e.description)")
            }
            progress.update(i + 1, detail: name)
            processed = i + 1
        }
        progress.finish()
        // The best value of each column is marked; an undefined value is never best.
        let best = metrics.indices.map { j in values.compactMap { $0[j] }.max() }
        // People see the mark beside the number; machines get the number and, in a column of its
        // own, the metrics the row is best on.
        let columns =
            [Table.Column("strategy", nil, .left)] + metrics.map { Table.Column($0.1.rawValue, $0.0) }
            + [Table.Column("best_in", audience: .machines)]
        let rows = values.enumerated().map { i, v -> [Cell] in
            let cells = v.enumerated().map { j, x -> Cell in
                guard let x else { return .missing("undefined") }
                return .shown(.number(x), as: Format.metric(x) + (x == best[j] ? " *" : "  "))
            }
            let bestIn = v.enumerated().compactMap { j, x in x != nil && x == best[j] ? metrics[j].1.rawValue : nil }
            return [.text(rowNames[i])] + cells + [.text(bestIn.joined(separator: " "))]
        }
        var report = Report(
            kind: "imbalance",
            title:
                "imbalanced-data strategies: \(kind) on \(inv.names["train"] ?? train.name), scored on \(inv.names["test"] ?? test.name)",
            fields: [
                .text("training classes", zip(names, counts).map { "\($0) \($1)" }.joined(separator: ", ")),
                Field(
                    "positive", "positive class",
                    .shown(.text(positive), as: "\(positive) (sensitivity, IBA, AP, ROC-AUC)")),
                .text("member model", recipe.description),
                Field("seed", .count(Int(truncatingIfNeeded: seed)))
            ],
            tables: [Table(key: "strategies", caption: "* best in its column", columns: columns, rows: rows)],
            notes: notes)
        var chart = BarChart(
            title: "balanced accuracy", bars: rowNames.enumerated().map { ($1, values[$0][0]) }, maximum: 1)
        chart.baseline = BarChart.closeBaseline(chart.bars.compactMap(\.value), maximum: 1)
        report.figures.append(.bars(chart))
        if interrupted {
            guard !values.isEmpty else { throw Interrupted() }
            let done = processed
            report.notes.append(
                "interrupted after \(done) of \(strategies.count) strategies; not run: \(strategies.dropFirst(done).map(\.0).joined(separator: ", "))"
            )
            report.fields.append(Field("interrupted", .flag(true), audience: .machines))
        }
        return .report(report)
    }
}
