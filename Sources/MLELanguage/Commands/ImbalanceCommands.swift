import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

/// Commands that train models of a chosen kind take that kind's options as their own.
enum BaseModels {
    static let order = ["mlp", "logistic", "baseline"]
    static let specs: [String: CommandSpec] = ["mlp": ModelCommands.mlp, "logistic": ModelCommands.logistic,
                                               "baseline": ModelCommands.baseline]

    /// The `model=` option.
    static let modelOption = ParamSpec("model", .choice(order), "the kind of model to train; its own options (hidden=, epochs=, c=, …) follow",
                                       default: .symbol("mlp"))

    /// Every option of every kind except `seed`, without defaults (so the ones given are known),
    /// its help saying which kinds take it.
    static let options: [ParamSpec] = {
        var out: [ParamSpec] = []
        var kinds: [String: [String]] = [:]
        for kind in order {
            for o in specs[kind]?.options ?? [] where o.name != "seed" {
                if kinds[o.name] == nil { out.append(o) }
                kinds[o.name, default: []].append(kind)
            }
        }
        return out.map { o in
            var p = o
            p.defaultValue = nil
            p.help = "\(kinds[o.name, default: []].joined(separator: ", ")): \(o.help)"
            if let d = o.defaultValue { p.help += " (default \(d.summary))" }
            return p
        }
    }()

    /// How to train the kind `model=` names with the options given to `inv`, plus `overrides`.
    /// - Throws: `MLEError` at an option the kind does not take, or a bad value.
    static func recipe(_ inv: Invocation, data: Dataset, overrides: [String: Value] = [:]) throws -> Recipe {
        let kind = inv.string("model") ?? "mlp"
        guard let spec = specs[kind] else { throw inv.error("unknown model kind '\(kind)'", at: "model") }
        var values: [String: Value] = [:]
        var locations: [String: SourceLocation] = [:]
        for o in options where inv.has(o.name) {
            guard spec.option(o.name) != nil else {
                let takers = order.filter { specs[$0]?.option(o.name) != nil }
                throw inv.error("\(o.name) is an option of \(takers.joined(separator: " and ")), not of model=\(kind)", at: o.name)
            }
            values[o.name] = inv.value(o.name)
            locations[o.name] = inv.location(of: o.name)
        }
        for (k, v) in overrides { values[k] = v }
        for o in spec.options where values[o.name] == nil { if let d = o.defaultValue { values[o.name] = d } }
        let sub = Invocation(spec: spec, location: inv.location, session: inv.session, assignedName: nil,
                             values: values, locations: locations)
        return try ModelCommands.recipe(kind: kind, sub, data)
    }
}

/// `resample`, `ensemble`, `threshold`, `priors`, `imbalance` (Burkov ch. 6).
enum ImbalanceCommands {
    static let all = [resample, ensemble, threshold, priors, imbalance]

    /// Refuses data kept for judging models.
    static func refuseHeldOut(_ inv: Invocation, _ d: Dataset, _ param: String, doing: String) throws {
        guard d.isHeldOut else { return }
        let name = inv.names[param].map { "'\($0)'" } ?? "this dataset"
        throw inv.error("\(name) is the test side of a split: \(doing) it would change the data models are judged on (a test set must keep the class shares the model will meet); use training data, or split a validation share off it", at: param)
    }

    static let resample = CommandSpec(
        name: "resample",
        summary: "Rebalance the classes of training data: random undersampling, random oversampling or SMOTE (test sets are refused)",
        positionals: [ParamSpec("data", .dataset, "the training data", required: true)],
        options: [
            ParamSpec("method", .choice(Resampler.Method.allCases.map(\.rawValue)),
                      "under: drop rows of the larger classes; over: repeat rows of the smaller ones; smote: synthesise rows between neighbours of the smaller ones",
                      default: .symbol("smote")),
            ParamSpec("ratio", .number, "size of each class relative to the smallest (under) or largest (over, smote) class after resampling; 1 balances them", default: .number(1)),
            ParamSpec("k", .integer, "SMOTE: nearest neighbours to interpolate towards", default: .number(5)),
            ParamSpec("seed", .integer, "random seed (default: the session seed)"),
        ],
        returns: "a dataset",
        examples: ["balanced = resample train method=under seed=1", "bigger = resample train method=smote k=5", "half = resample train method=over ratio=0.5"]
    ) { inv in
        let d = try inv.dataset("data")
        try refuseHeldOut(inv, d, "data", doing: "resampling")
        let method = Resampler.Method(rawValue: inv.string("method") ?? "") ?? .smote
        let ratio = inv.number("ratio") ?? 1
        guard ratio > 0, ratio <= 1 else { throw inv.error("ratio must be in (0, 1]; 1 balances the classes", at: "ratio") }
        let k = inv.int("k") ?? 5
        guard k >= 1, k <= 1000 else { throw inv.error("k must be between 1 and 1000", at: "k") }
        let out = try Resampler.resample(d, method: method, ratio: ratio, neighbours: k, seed: inv.seed())
        if let before = d.classCounts, let after = out.classCounts, case .classes(_, let names)? = d.target {
            let changes = names.indices.filter { before[$0] != after[$0] }.map { "\(names[$0]) \(before[$0]) → \(after[$0])" }
            inv.session.output.note(changes.isEmpty ? "the classes already meet the target sizes; nothing changed" : changes.joined(separator: ", "))
        }
        return .dataset(out)
    }

    static let ensemble = CommandSpec(
        name: "ensemble",
        summary: "Burkov's ensemble of resampled datasets: the majority class cut into chunks, each paired with all minority rows, one model per chunk, votes combined (members train in parallel)",
        positionals: [ParamSpec("data", .dataset, "the training data (a class target)", required: true)],
        options: [
            BaseModels.modelOption,
            ParamSpec("method", .choice(EnsemblePlan.Method.allCases.map(\.rawValue)),
                      "chunks: the book's disjoint chunks of the larger classes; bags: EasyEnsemble's independent undersampled bags", default: .symbol("chunks")),
            ParamSpec("chunks", .integer, "members H: chunks of the majority class (or bags); default: the imbalance ratio, rounded"),
            ParamSpec("vote", .choice(EnsembleModel.Vote.allCases.map(\.rawValue)),
                      "soft: average the members' probabilities; hard: majority vote (ties: higher mean probability)", default: .symbol("soft")),
            ParamSpec("correct_priors", .bool, "correct the probabilities for the class shares of the data given (members see balanced data); decisions then lean back to the majority", default: .bool(false)),
            ParamSpec("workers", .integer, "threads training members (default: every core; 1 trains them one after another)"),
            ParamSpec("seed", .integer, "seed of the chunks and of the members (default: the session seed)"),
        ] + BaseModels.options,
        returns: "two values: the ensemble (a model) and a report of each member's balanced accuracy on the data given",
        examples: ["ens = ensemble train model=mlp hidden=[32] epochs=60 seed=1",
                   "ens, members = ensemble train chunks=5 vote=hard",
                   "easy = ensemble train method=bags chunks=10 model=logistic"]
    ) { inv in
        // Training and the diagnostics' products all run with OpenBLAS on one thread, its idle
        // workers stopped when the session owns the process (see BLASThreads.single).
        try BLASThreads.single(stopIdleWorkers: inv.session.ownsProcess) { try trainEnsemble(inv) }
    }

    static func trainEnsemble(_ inv: Invocation) throws -> Value {
        let d = try inv.dataset("data")
        guard case .classes(let labels, let names)? = d.target, let counts = d.classCounts else {
            throw inv.error("an ensemble of resampled datasets needs a class target", at: "data")
        }
        let method = EnsemblePlan.Method(rawValue: inv.string("method") ?? "") ?? .chunks
        let members = inv.int("chunks") ?? EnsemblePlan.defaultMembers(counts)
        guard members >= 1, members <= 10_000 else { throw inv.error("chunks must be between 1 and 10000", at: "chunks") }
        let workers = inv.int("workers")
        if let w = workers, w < 1 || w > 256 { throw inv.error("workers must be between 1 and 256", at: "workers") }
        let recipe = try BaseModels.recipe(inv, data: d)
        let seed = inv.seed()
        let plan: [[Int]]
        do {
            plan = try EnsemblePlan.rows(labels: labels, classCount: names.count, members: members, method: method, seed: seed)
        } catch let e as LearningError {
            throw inv.error(e.description, at: inv.has("chunks") ? "chunks" : "data")
        }
        let vote = EnsembleModel.Vote(rawValue: inv.string("vote") ?? "") ?? .soft

        let progress = inv.session.progress
        progress.start("ensemble", total: members)
        defer { progress.finish() }
        let finished = SharedProgress(progress)
        // Each member's check (its prediction of the data given and balanced accuracy) runs on a
        // core with no member left to train, while the last members train.
        @Sendable func balanced(_ m: any Model, _ p: Prediction) throws -> Double? {
            Metric.balancedAccuracy.value(of: try Outcomes.of(m, on: d, positive: nil, prediction: p).outcomes)
        }
        let (model, datasets, checks) = try EnsembleModel.train(
            d, plan: plan, vote: vote, method: method, seed: seed, workers: workers, cancellation: inv.cancellation,
            member: recipe.train,
            check: { _, m in let p = try m.predict(d); return (p, try balanced(m, p)) }) { _ in
            finished.step { "\($0) of \(members) members" }
        }
        progress.finish()
        var final: any Model = model
        var prediction = try model.combine(checks.map(\.0))
        if inv.bool("correct_priors") {
            let memberShares = names.indices.map { c in
                datasets.reduce(0.0) { acc, m in acc + Double(m.classCounts?[c] ?? 0) / Double(max(m.rowCount, 1)) } / Double(datasets.count)
            }
            let corrected = try PriorCorrectedModel(base: model, trainedShares: memberShares,
                                                    deployedShares: counts.map { Double($0) / Double(max(d.rowCount, 1)) })
            prediction = corrected.corrected(prediction)
            final = corrected
        }

        // Diagnostics: each member and the ensemble on the data given.
        var rows: [[String]] = []
        var memberJSON: [JSON] = []
        for h in checks.indices {
            let b = checks[h].1
            let mix = zip(names, datasets[h].classCounts ?? []).map { "\($0) \($1)" }.joined(separator: ", ")
            rows.append(["\(h + 1)", "\(datasets[h].rowCount)", mix, Format.metric(b)])
            memberJSON.append(.object([("member", .number(Double(h + 1))), ("rows", .number(Double(datasets[h].rowCount))),
                                       ("balanced_accuracy", b.map { .num($0) } ?? .null)]))
        }
        let whole = try balanced(final, prediction)
        rows.append(["ensemble", "\(d.rowCount)", zip(names, counts).map { "\($0) \($1)" }.joined(separator: ", "), Format.metric(whole)])
        var report = Report(
            kind: "ensemble", title: model.summary,
            facts: [("members", "\(members) (\(method == .chunks ? "disjoint chunks of each larger class, every member with all of the smallest" : "independent undersampled bags"))"),
                    ("member model", recipe.description),
                    ("vote", vote == .soft ? "soft (mean probability)" : "hard (majority vote)"),
                    ("seed", "\(seed)")],
            tables: [Table(caption: "balanced accuracy on the data given (\(inv.names["data"] ?? d.name)), which the members trained on: a check, not an estimate",
                           header: ["member", "rows", "classes", "balanced accuracy"], rows: rows,
                           alignments: [.left, .right, .left, .right])],
            json: .object([("report", .string("ensemble")), ("members", .array(memberJSON)),
                           ("method", .string(method.rawValue)), ("vote", .string(vote.rawValue)),
                           ("seed", .number(Double(seed))), ("balanced_accuracy", whole.map { .num($0) } ?? .null)]))
        if inv.bool("correct_priors") {
            report.notes.append("probabilities corrected from the members' balanced class shares to those of the data given")
        }
        let note = "\(members) members trained"
        return .tuple([.model(ModelValue(model: final, trainingNote: note, recipe: nil)), .report(report)])
    }

    static let threshold = CommandSpec(
        name: "threshold",
        summary: "Threshold moving: the decision threshold on the positive class's probability that maximises a metric on validation data",
        positionals: [ParamSpec("model", .model, "a classifier with two classes", required: true),
                      ParamSpec("data", .dataset, "validation data (not the test set)", required: true)],
        options: [
            ParamSpec("metric", .choice(Metric.allCases.filter { $0.isConfusionBased }.map(\.rawValue)),
                      "the metric to maximise", default: .symbol("balanced_accuracy")),
            ParamSpec("positive", .string, "the positive class (default: the smaller class of the data)"),
        ],
        returns: "a model that predicts the positive class from the chosen threshold on",
        examples: ["fit, valid = split train ratio=0.8 stratify seed=1", "net = mlp fit hidden=[32]", "tuned = threshold net valid metric=f1"]
    ) { inv in
        let m = try inv.model("model")
        let d = try inv.dataset("data")
        let metric = Metric(rawValue: inv.string("metric") ?? "") ?? .balancedAccuracy
        let (tuned, value) = try moveThreshold(m.model, on: d, metric: metric, positive: inv.string("positive"), inv: inv)
        return .model(ModelValue(model: tuned, trainingNote: "\(metric.rawValue) \(Format.metric(value)) on \(inv.names["data"] ?? "the validation data")", recipe: nil))
    }

    /// The threshold model and the metric's value there on `d`.
    static func moveThreshold(_ model: any Model, on d: Dataset, metric: Metric, positive: String?, inv: Invocation) throws -> (ThresholdModel, Double) {
        guard case .classification(let names) = model.task, names.count == 2 else {
            throw inv.error("threshold moving needs a classifier with two classes", at: "model")
        }
        let positiveName = positive ?? smallerClass(d) ?? names[1]
        guard let pos = names.firstIndex(of: positiveName) else {
            throw inv.error("no class '\(positiveName)' (classes: \(names.joined(separator: ", ")))", at: "positive")
        }
        let labelled = try Outcomes.of(model, on: d, positive: positiveName)
        guard case .classification(let truth, _, _, let scores?, let p) = labelled.outcomes else {
            throw inv.error("the model gives no probabilities to move a threshold on", at: "model")
        }
        guard let best = ThresholdSearch.best(scores: scores, truth: truth.map { $0 == p }, metric: metric) else {
            throw inv.error("\(metric.rawValue) is undefined at every threshold on this data (does it hold both classes?)", at: "data")
        }
        let tuned = try ThresholdModel(base: model, positive: pos, threshold: best.threshold)
        return (tuned, best.value)
    }

    /// The least frequent class of a dataset with classes.
    static func smallerClass(_ d: Dataset) -> String? {
        guard case .classes(_, let names)? = d.target, let counts = d.classCounts else { return nil }
        let present = names.indices.filter { counts[$0] > 0 }
        return present.min { counts[$0] < counts[$1] }.map { names[$0] }
    }

    static let priors = CommandSpec(
        name: "priors",
        summary: "Correct a classifier's probabilities for a change of class shares: trained on resampled data, deployed where the shares are the original ones",
        positionals: [ParamSpec("model", .model, "a classifier", required: true)],
        options: [
            ParamSpec("trained", .dataset, "the data the model was trained on (its class shares)", required: true),
            ParamSpec("deployed", .dataset, "data with the class shares the model will meet (usually the training data before resampling)", required: true),
        ],
        returns: "a model with corrected probabilities",
        examples: ["small = resample train method=under", "net = mlp small", "fixed = priors net trained=small deployed=train"]
    ) { inv in
        let m = try inv.model("model")
        guard case .classification(let names) = m.model.task else { throw inv.error("prior correction needs a classifier", at: "model") }
        func shares(_ param: String) throws -> [Double] {
            guard case .dataset(let d)? = inv.value(param) else { throw inv.error("\(param)= needs a dataset", at: param) }
            guard case .classes(let labels, let dn)? = d.target, !labels.isEmpty else { throw inv.error("\(param)= needs data with a class target", at: param) }
            var counts = [Double](repeating: 0, count: names.count)
            for l in labels {
                guard let i = names.firstIndex(of: dn[l]) else { throw inv.error("class '\(dn[l])' of this data is unknown to the model", at: param) }
                counts[i] += 1
            }
            return counts.map { $0 / Double(labels.count) }
        }
        let corrected = try PriorCorrectedModel(base: m.model, trainedShares: try shares("trained"), deployedShares: try shares("deployed"))
        return .model(ModelValue(model: corrected, trainingNote: nil, recipe: nil))
    }

    static let imbalance = CommandSpec(
        name: "imbalance",
        summary: "imbalance compare: train one model kind under every remedy for imbalanced classes and compare them on the test set",
        positionals: [ParamSpec("action", .choice(["compare"]), "compare: every strategy side by side", required: true),
                      ParamSpec("train", .dataset, "the training data", required: true),
                      ParamSpec("test", .dataset, "the test data (never resampled)", required: true)],
        options: [
            BaseModels.modelOption,
            ParamSpec("positive", .string, "the class of sensitivity, IBA, AP and ROC-AUC (default: the smallest class of the training data)"),
            ParamSpec("chunks", .integer, "members of the two ensembles (default: the imbalance ratio)"),
            ParamSpec("k", .integer, "SMOTE's neighbours", default: .number(5)),
            ParamSpec("holdout", .number, "threshold moving: share of the training data held out to choose the threshold", default: .number(0.2)),
            ParamSpec("metric", .choice(Metric.allCases.filter { $0.isConfusionBased }.map(\.rawValue)),
                      "threshold moving: the metric the threshold maximises", default: .symbol("balanced_accuracy")),
            ParamSpec("seed", .integer, "one seed for every strategy (default: the session seed)"),
        ] + BaseModels.options.filter { $0.name != "class_weights" },
        returns: "a report: strategy × metrics, the best per column marked, and a bar chart of balanced accuracy",
        examples: ["imbalance compare train test model=mlp hidden=[32] epochs=60 seed=1",
                   "imbalance compare train test model=logistic"]
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
        let kind = inv.string("model") ?? "mlp"
        let k = inv.int("k") ?? 5
        guard k >= 1, k <= 1000 else { throw inv.error("k must be between 1 and 1000", at: "k") }
        let holdout = inv.number("holdout") ?? 0.2
        guard holdout > 0, holdout < 0.9 else { throw inv.error("holdout is a share in (0, 0.9)", at: "holdout") }
        let members = inv.int("chunks") ?? EnsemblePlan.defaultMembers(counts)
        guard members >= 1, members <= 10_000 else { throw inv.error("chunks must be between 1 and 10000", at: "chunks") }
        let thresholdMetric = Metric(rawValue: inv.string("metric") ?? "") ?? .balancedAccuracy
        let recipe = try BaseModels.recipe(inv, data: train)
        let weighted: Recipe? = kind == "baseline" ? nil
            : try BaseModels.recipe(inv, data: train, overrides: ["class_weights": .symbol("balanced")])
        let seed = inv.seed()
        let cancel = inv.cancellation

        typealias Outcome = Result<(any Model, String?), LearningError>
        func attempt(_ body: () throws -> (any Model, String?)) throws -> Outcome {
            do { return .success(try body()) } catch let e as LearningError { return .failure(e) }
        }
        func ensemble(_ method: EnsemblePlan.Method) throws -> (any Model, String?) {
            guard case .classes(let labels, _)? = train.target else { throw LearningError.invalid("no classes") }
            let plan = try EnsemblePlan.rows(labels: labels, classCount: names.count, members: members, method: method, seed: seed)
            let (model, _, _) = try EnsembleModel.train(train, plan: plan, vote: .soft, method: method, seed: seed,
                                                        cancellation: cancel, member: recipe.train, check: { _, _ in })
            return (model, "\(members) members")
        }
        let strategies: [(String, () throws -> Outcome)] = [
            ("none", { try attempt { (try recipe.train(train, seed, cancel), nil) } }),
            ("class weights", {
                guard let weighted else { return .failure(.invalid("baselines take no class weights")) }
                return try attempt { (try weighted.train(train, seed, cancel), "balanced") }
            }),
            ("undersampling", { try attempt { (try recipe.train(try Resampler.resample(train, method: .under, seed: seed), seed, cancel), nil) } }),
            ("oversampling", { try attempt { (try recipe.train(try Resampler.resample(train, method: .over, seed: seed), seed, cancel), nil) } }),
            ("SMOTE", { try attempt { (try recipe.train(try Resampler.resample(train, method: .smote, neighbours: k, seed: seed), seed, cancel), "k=\(k)") } }),
            ("EasyEnsemble", { try attempt { try ensemble(.bags) } }),
            ("book's ensemble", { try attempt { try ensemble(.chunks) } }),
            ("threshold moving", {
                guard names.count == 2 else { return .failure(.invalid("threshold moving needs two classes")) }
                return try attempt {
                    let (fit, valid) = try Splitter.split(train, ratio: 1 - holdout, stratify: true, seed: seed)
                    let model = try recipe.train(fit, seed, cancel)
                    let (tuned, value) = try moveThreshold(model, on: valid, metric: thresholdMetric, positive: positive, inv: inv)
                    return (tuned, String(format: "threshold %.4g on p(%@), chosen on %.0f%% of the training rows (%@ %.4f there)",
                                          tuned.threshold, positive, holdout * 100, thresholdMetric.rawValue, value))
                }
            }),
        ]

        let metrics: [(String, Metric)] = [("balanced acc", .balancedAccuracy), ("sensitivity", .sensitivity),
                                           ("specificity", .specificity), ("G-mean", .gmean), ("IBA", .iba),
                                           ("MCC", .mcc), ("AP", .averagePrecision), ("ROC-AUC", .auc)]
        let progress = inv.session.progress
        progress.start("imbalance", total: strategies.count)
        defer { progress.finish() }
        var values: [[Double?]] = []
        var notes: [String] = []
        var rowNames: [String] = []
        var rowJSON: [JSON] = []
        for (i, (name, run)) in strategies.enumerated() {
            if cancel.isCancelled { throw Interrupted() }
            switch try run() {
            case .success(let (model, detail)):
                let labelled = try Outcomes.of(model, on: test, positive: positive)
                let v = metrics.map { $0.1.value(of: labelled.outcomes) }
                values.append(v)
                rowNames.append(name)
                if let detail { notes.append("\(name): \(detail)") }
                rowJSON.append(.object([("strategy", .string(name))] + zip(metrics, v).map { ($0.1.rawValue, $1.map { .num($0) } ?? .null) }))
            case .failure(let e):
                notes.append("\(name): not run — \(e.description)")
            }
            progress.update(i + 1, detail: name)
        }
        progress.finish()
        // The best value of each column is marked; an undefined value is never best.
        let best = metrics.indices.map { j in values.compactMap { $0[j] }.max() }
        let rows = values.enumerated().map { i, v in
            [rowNames[i]] + v.enumerated().map { j, x in
                guard let x else { return "undefined" }
                return Format.metric(x) + (x == best[j] ? " *" : "  ")
            }
        }
        var report = Report(
            kind: "imbalance", title: "imbalanced-data strategies: \(kind) on \(inv.names["train"] ?? train.name), scored on \(inv.names["test"] ?? test.name)",
            facts: [("training classes", zip(names, counts).map { "\($0) \($1)" }.joined(separator: ", ")),
                    ("positive class", "\(positive) (sensitivity, IBA, AP, ROC-AUC)"),
                    ("member model", recipe.description),
                    ("seed", "\(seed)")],
            tables: [Table(caption: "* best in its column", header: ["strategy"] + metrics.map(\.0), rows: rows)],
            notes: notes,
            json: .object([("report", .string("imbalance")), ("positive", .string(positive)), ("seed", .number(Double(seed))),
                           ("strategies", .array(rowJSON))]))
        report.bars.append(BarChart(title: "balanced accuracy", bars: rowNames.enumerated().map { ($1, values[$0][0]) }, maximum: 1))
        return .report(report)
    }
}

/// A progress sink updated from worker threads: one step per finished piece of work, one thread
/// at a time (the sink itself is not thread-safe).
final class SharedProgress: @unchecked Sendable {
    private let lock = NSLock()
    private let sink: any ProgressSink
    private var done = 0
    init(_ sink: any ProgressSink) { self.sink = sink }

    func step(_ detail: (Int) -> String) {
        lock.withLock {
            done += 1
            sink.update(done, detail: detail(done))
        }
    }
}
