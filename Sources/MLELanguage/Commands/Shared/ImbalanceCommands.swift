import Foundation
import MLEEvaluation
import MLELearning
import MLETensor
import Synchronization

/// Commands that train models of a chosen kind take that kind's options as their own.
enum BaseModels {
    static let order = ["mlp", "logistic", "baseline"]
    static let specs: [String: CommandSpec] = [
        "mlp": MLPCommand.spec, "logistic": LogisticCommand.spec,
        "baseline": BaselineCommand.spec
    ]

    /// The `model=` option.
    static let modelOption = ParamSpec(
        "model", .choice(order), "the kind of model to train; its own options (hidden=, epochs=, c=, …) follow",
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
        let kind = (try inv.declared("model", String.self))
        guard let spec = specs[kind] else { throw inv.error("unknown model kind '\(kind)'", at: "model") }
        var values: [String: Value] = [:]
        var locations: [String: SourceLocation] = [:]
        for o in options where inv.has(o.name) {
            guard spec.option(o.name) != nil else {
                let takers = order.filter { specs[$0]?.option(o.name) != nil }
                throw inv.error(
                    "\(o.name) is an option of \(takers.joined(separator: " and ")), not of model=\(kind)", at: o.name)
            }
            values[o.name] = inv.value(o.name)
            locations[o.name] = inv.location(of: o.name)
        }
        for (k, v) in overrides { values[k] = v }
        for o in spec.options where values[o.name] == nil { if let d = o.defaultValue { values[o.name] = d } }
        let sub = Invocation(
            spec: spec, location: inv.location, session: inv.session, assignedName: nil,
            values: values, locations: locations)
        return try ModelCommands.recipe(kind: kind, sub, data)
    }
}

/// `resample`, `ensemble`, `threshold`, `priors`, `imbalance` (Burkov ch. 6).
enum ImbalanceCommands {
    /// Refuses data kept for judging models.
    static func refuseHeldOut(_ inv: Invocation, _ d: Dataset, _ param: String, doing: String) throws {
        guard d.isHeldOut else { return }
        let name = inv.names[param].map { "'\($0)'" } ?? "this dataset"
        throw inv.error(
            "\(name) is the test side of a split: \(doing) it would change the data models are judged on (a test set must keep the class shares the model will meet); use training data, or split a validation share off it",
            at: param)
    }

    static func trainEnsemble(_ inv: Invocation) throws -> Value {
        let d = try inv.dataset("data")
        guard case .classes(let labels, let names)? = d.target, let counts = d.classCounts else {
            throw inv.error("an ensemble of resampled datasets needs a class target", at: "data")
        }
        let method = try inv.choice("method", EnsemblePlan.Method.self)
        let members = inv.int("chunks") ?? EnsemblePlan.defaultMembers(counts)
        guard members >= 1, members <= 10_000 else {
            throw inv.error("chunks must be between 1 and 10000", at: "chunks")
        }
        let workers = inv.int("workers")
        if let w = workers, w < 1 || w > 256 { throw inv.error("workers must be between 1 and 256", at: "workers") }
        let recipe = try BaseModels.recipe(inv, data: d)
        let seed = inv.seed()
        let plan: [[Int]]
        do {
            plan = try EnsemblePlan.rows(
                labels: labels, classCount: names.count, members: members, method: method, seed: seed,
                classNames: names)
        } catch let e as LearningError {
            throw inv.error(e.description, at: inv.has("chunks") ? "chunks" : "data")
        }
        let vote = try inv.choice("vote", EnsembleModel.Vote.self)

        let context = inv.context("ensemble") { done, _ in "\(done) of \(members) members" }
        let finished = Mutex(0)
        // Each member's check (its prediction of the data given and balanced accuracy) runs on a
        // core with no member left to train, while the last members train.
        @Sendable func balanced(_ m: any Model, _ p: Prediction) throws -> Double? {
            Metric.balancedAccuracy.value(of: try Outcomes.of(m, on: d, positive: nil, prediction: p).outcomes)
        }
        let (model, datasets, checks) = try EnsembleModel.train(
            d, plan: plan, vote: vote, method: method, seed: seed, workers: workers, context: context,
            member: recipe.train,
            check: { _, m in
                let p = try m.predict(d); return (p, try balanced(m, p))
            },
            done: { _ in
                let done = finished.withLock { n in
                    n += 1; return n
                }
                context.progress(done, of: members)
            })
        var final: any Model = model
        var prediction = try model.combine(checks.map(\.0))
        if inv.bool("correct_priors") {
            let memberShares = names.indices.map { c in
                datasets.reduce(0.0) { acc, m in acc + Double(m.classCounts?[c] ?? 0) / Double(max(m.rowCount, 1)) }
                    / Double(datasets.count)
            }
            let corrected = try PriorCorrectedModel(
                base: model, trainedShares: memberShares,
                deployedShares: counts.map { Double($0) / Double(max(d.rowCount, 1)) })
            prediction = corrected.corrected(prediction)
            final = corrected
        }

        // Diagnostics: each member and the ensemble on the data given.
        var rows: [[Cell]] = []
        for h in checks.indices {
            let b = checks[h].1
            let mix = zip(names, datasets[h].classCounts ?? []).map { "\($0) \($1)" }.joined(separator: ", ")
            rows.append([.count(h + 1), .count(datasets[h].rowCount), .text(mix), .number(b)])
        }
        let whole = try balanced(final, prediction)
        rows.append([
            .text("ensemble"), .count(d.rowCount),
            .text(zip(names, counts).map { "\($0) \($1)" }.joined(separator: ", ")), .number(whole)
        ])
        var report = Report(
            kind: "ensemble", title: model.summary,
            fields: [
                Field(
                    "member_count", "members",
                    .shown(
                        .count(members),
                        as:
                            "\(members) (\(method == .chunks ? "disjoint chunks of each larger class, every member with all of the smallest" : "independent undersampled bags"))"
                    )),
                .text("member model", recipe.description),
                Field(
                    "vote",
                    .shown(.text(vote.rawValue), as: vote == .soft ? "soft (mean probability)" : "hard (majority vote)")
                ),
                Field("seed", .count(Int(truncatingIfNeeded: seed))),
                Field("method", .text(method.rawValue), audience: .machines),
                Field("balanced_accuracy", .number(whole), audience: .machines)
            ],
            tables: [
                Table(
                    caption:
                        "balanced accuracy on the data given (\(inv.names["data"] ?? d.name)), which the members trained on: a check, not an estimate",
                    header: ["member", "rows", "classes", "balanced accuracy"], cells: rows,
                    alignments: [.left, .right, .left, .right], key: "members")
            ])
        if inv.bool("correct_priors") {
            report.notes.append(
                "probabilities corrected from the members' balanced class shares to those of the data given")
        }
        let note = "\(members) members trained"
        return .tuple([.model(ModelValue(model: final, trainingNote: note, recipe: nil)), .report(report)])
    }

    /// The threshold model and the metric's value there on `d`.
    static func moveThreshold(_ model: any Model, on d: Dataset, metric: Metric, positive: String?, inv: Invocation)
        throws -> (ThresholdModel, Double)
    {
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
            throw inv.error(
                "\(metric.rawValue) is undefined at every threshold on this data (does it hold both classes?)",
                at: "data")
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

}
