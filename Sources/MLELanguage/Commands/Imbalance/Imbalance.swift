import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

extension ImbalanceCommands {
    static let imbalance = CommandSpec(
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
    ) { inv in
        let train = try inv.dataset("train")
        let test = try inv.dataset("test")
        try refuseHeldOut(inv, train, "train", doing: "resampling")
        guard case .classes(_, let names)? = train.target, let counts = train.classCounts else {
            throw inv.error("imbalance compare needs a class target", at: "train")
        }
        guard test.target != nil else { throw inv.error("the test data needs the target to score against", at: "test") }
        let positive = inv.string("positive") ?? smallerClass(train) ?? names[0]
        guard names.contains(positive) else {
            throw inv.error("no class '\(positive)' (classes: \(names.joined(separator: ", ")))", at: "positive")
        }
        let kind = (try inv.declared("model", String.self))
        let k = (try inv.declared("k", Int.self))
        guard k >= 1, k <= 1000 else { throw inv.error("k must be between 1 and 1000", at: "k") }
        let holdout = (try inv.declared("holdout", Double.self))
        guard holdout > 0, holdout < 0.9 else { throw inv.error("holdout is a share in (0, 0.9)", at: "holdout") }
        let members = inv.int("chunks") ?? EnsemblePlan.defaultMembers(counts)
        guard members >= 1, members <= 10_000 else {
            throw inv.error("chunks must be between 1 and 10000", at: "chunks")
        }
        let thresholdMetric = try inv.choice("metric", Metric.self)
        let recipe = try BaseModels.recipe(inv, data: train)
        let weighted: Recipe? =
            kind == "baseline"
            ? nil
            : try BaseModels.recipe(inv, data: train, overrides: ["class_weights": .symbol("balanced")])
        let seed = inv.seed()
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
                        let (tuned, value) = try moveThreshold(
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
        for (i, (name, run)) in strategies.enumerated() {
            if cancel.isCancelled { throw Interrupted() }
            switch try run() {
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
        report.bars.append(
            BarChart(title: "balanced accuracy", bars: rowNames.enumerated().map { ($1, values[$0][0]) }, maximum: 1))
        return .report(report)
    }
}
