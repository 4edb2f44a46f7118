import Foundation
import MLEEvaluation
import MLELearning
import MLETensor
import Synchronization

/// `ensemble`: Burkov's ensemble of resampled datasets (ch. 6), members trained in parallel.
enum EnsembleCommand: Command {
    static let spec = CommandSpec(
        name: "ensemble",
        summary:
            "Burkov's ensemble of resampled datasets: the majority class cut into chunks, each paired with all minority rows, one model per chunk, votes combined (members train in parallel)",
        positionals: [ParamSpec("data", .dataset, "the training data (a class target)", required: true)],
        options: [
            BaseModels.modelOption,
            .choice(
                "method", EnsemblePlan.Method.self,
                "chunks: the book's disjoint chunks of the larger classes; bags: EasyEnsemble's independent undersampled bags",
                default: .chunks),
            ParamSpec(
                "chunks", .integer,
                "members H: chunks of the majority class (or bags); default: the imbalance ratio, rounded"),
            .choice(
                "vote", EnsembleModel.Vote.self,
                "soft: average the members' probabilities; hard: majority vote (ties: higher mean probability)",
                default: .soft),
            ParamSpec(
                "correct_priors", .bool,
                "correct the probabilities for the class shares of the data given (members see balanced data); decisions then lean back to the majority",
                default: .bool(false)),
            ParamSpec(
                "workers", .integer, "threads training members (default: every core; 1 trains them one after another)"),
            ParamSpec("seed", .integer, "seed of the chunks and of the members (default: the session seed)")
        ] + BaseModels.options,
        returns: "two values: the ensemble (a model) and a report of each member's balanced accuracy on the data given",
        examples: [
            "ens = ensemble train model=mlp hidden=[32] epochs=60 seed=1",
            "ens, members = ensemble train chunks=5 vote=hard",
            "easy = ensemble train method=bags chunks=10 model=logistic"
        ]
    ) { inv in try execute(inv) }
    .keepingPartialResults()

    struct Options {
        var data: Dataset
        var method: EnsemblePlan.Method
        /// Members: chunks of the majority class (or bags).
        var members: Int
        var workers: Int?
        /// How each member is trained.
        var recipe: Recipe
        var seed: UInt64
        var vote: EnsembleModel.Vote
        var correctPriors: Bool
    }

    static func options(_ inv: Invocation) throws -> Options {
        let d = try inv.dataset("data")
        guard d.task?.isClassification == true, let counts = d.classCounts else {
            throw inv.error("an ensemble of resampled datasets needs a class target", at: "data")
        }
        return Options(
            data: d, method: try inv.choice("method", EnsemblePlan.Method.self),
            // The book's default: as many members as the imbalance ratio.
            members: inv.int("chunks") ?? EnsemblePlan.defaultMembers(counts), workers: inv.int("workers"),
            recipe: try BaseModels.recipe(inv, data: d), seed: inv.seed(),
            vote: try inv.choice("vote", EnsembleModel.Vote.self),
            correctPriors: try inv.declared("correct_priors", Bool.self))
    }

    static func validate(_ o: Options, _ inv: Invocation) throws {
        try inv.check("chunks", o.members, in: 1...10_000)
        if let w = o.workers { try inv.check("workers", w, in: 1...256) }
    }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        // Training and the diagnostics' products all run with OpenBLAS on one thread, its idle
        // workers stopped when the session owns the process (see BLASThreads.single).
        try BLASThreads.single(stopIdleWorkers: inv.session.threads.mayStopIdleWorkers) { try train(o, inv) }
    }

    static func train(_ o: Options, _ inv: Invocation) throws -> Value {
        let d = o.data, method = o.method, members = o.members, workers = o.workers, recipe = o.recipe, seed = o.seed
        let vote = o.vote
        guard case .classes(let labels, let names)? = d.target, let counts = d.classCounts else {
            throw inv.error("an ensemble of resampled datasets needs a class target", at: "data")
        }
        let plan: [[Int]]
        do {
            plan = try EnsemblePlan.rows(
                labels: labels, classCount: names.count, members: members, method: method, seed: seed,
                classNames: names)
        } catch let e as LearningError {
            throw inv.error(e.description, at: inv.has("chunks") ? "chunks" : "data")
        }

        let context = inv.context("ensemble") { done, _ in "\(done) of \(members) members" }
        let finishedCount = Mutex(0)
        // Each member's check (its prediction of the data given and balanced accuracy) runs on a
        // core with no member left to train, while the last members train.
        @Sendable func balanced(_ m: any Model, _ p: Prediction) throws -> Double? {
            Metric.balancedAccuracy.value(of: try Outcomes.of(m, on: d, positive: nil, prediction: p).outcomes)
        }
        // Ctrl-C keeps the members finished so far: the ensemble of those, marked.
        let (model, finished, interrupted) = try EnsembleModel.trainKeepingFinished(
            d, plan: plan, vote: vote, method: method, seed: seed, workers: workers, context: context,
            member: recipe.train,
            check: { _, m in
                let p = try m.predict(d); return (p, try balanced(m, p))
            },
            done: { _ in
                let done = finishedCount.withLock { n in
                    n += 1; return n
                }
                context.progress(done, of: members)
            })
        let datasets = finished.map(\.data), checks = finished.map(\.check)
        var final: any Model = model
        var prediction = try model.combine(checks.map(\.0))
        if o.correctPriors {
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
            rows.append([.count(finished[h].index + 1), .count(datasets[h].rowCount), .text(mix), .number(b)])
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
        if o.correctPriors {
            report.notes.append(
                "probabilities corrected from the members' balanced class shares to those of the data given")
        }
        var note = "\(members) members trained"
        if interrupted {
            note = "\(finished.count) of \(members) members trained (interrupted)"
            report.notes.append(
                "interrupted: \(finished.count) of \(members) members had finished; the ensemble combines those (run again for all)"
            )
            report.fields.append(Field("interrupted", .flag(true), audience: .machines))
            report.fields.append(Field("members_finished", .count(finished.count), audience: .machines))
        }
        var value = ModelValue(model: final, trainingNote: note, recipe: nil)
        value.trainedOn = try inv.dataset("data").fingerprint
        return .tuple([.model(value), .report(report)])
    }
}
