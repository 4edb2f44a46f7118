import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

/// `adversarial`: adversarial validation (Burkov ch. 6), can a classifier tell training rows from test rows?
enum AdversarialCommand: Command {
    static let spec = CommandSpec(
        name: "adversarial",
        summary: "Adversarial validation (Burkov ch. 6): can a classifier tell the training rows from the test rows?",
        positionals: [
            ParamSpec("train", .dataset, "the training set", required: true),
            ParamSpec("test", .dataset, "the test (or production) set", required: true)
        ],
        options: [
            .choice(
                "model", ModelKind.self, "the classifier that tries to tell them apart", default: .mlp),
            ParamSpec(
                "folds", .integer, "k of the cross-validation that scores every row out of fold", default: .number(5)),
            ParamSpec(
                "validation", .number,
                "also return this share of the training rows, the most test-like, as a validation set"),
            ParamSpec("seed", .integer, "random seed (default: the session seed)")
        ],
        returns: "a report; with validation=, two values: the report and the validation set",
        examples: ["adversarial train test", "av, val = adversarial train test validation=0.2"]
    ) { inv in try execute(inv) }

    /// The classifiers that can tell the two sets apart.
    enum ModelKind: String, CaseIterable { case logistic, mlp }

    struct Options {
        var train: Dataset
        var test: Dataset
        var folds: Int
        var seed: UInt64
        /// The classifier's kind: mlp or logistic.
        var model: String
        /// The share of the most test-like training rows returned as a validation set.
        var validation: Double?
    }

    static func options(_ inv: Invocation) throws -> Options {
        Options(
            train: try inv.dataset("train"), test: try inv.dataset("test"), folds: try inv.declared("folds", Int.self),
            seed: inv.seed(), model: try inv.choice("model", ModelKind.self).rawValue,
            validation: inv.number("validation"))
    }

    static func validate(_ o: Options, _ inv: Invocation) throws {
        try inv.check("folds", o.folds, in: 2...20)
        if let s = o.validation, !(s > 0 && s < 1) {
            throw inv.error("validation is a share between 0 and 1", at: "validation")
        }
    }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        let train = o.train, test = o.test, k = o.folds, seed = o.seed, kind = o.model, share = o.validation
        let r: AdversarialValidation.Result
        do {
            // Each fold's training hears Ctrl-C too (it stops early; the fold is then abandoned).
            let context = ExecutionContext(cancellation: inv.cancellation, threads: inv.session.threads)
            func stopped() throws { if context.isCancelled { throw Cancelled() } }
            r = try AdversarialValidation.run(train, test, folds: k, seed: seed, cancellation: inv.cancellation) {
                data in
                if kind == "logistic" {
                    let fit = try LogisticTrainer.train(data, config: LogisticConfig(), context: context)
                    try stopped()
                    return fit.model
                }
                var config = MLPConfig()
                config.hidden = [32]; config.epochs = 30; config.seed = seed
                // Train and test may differ in size.
                config.classWeights = (data.balancedClassWeights ?? []).map(Float.init)
                let fit = try MLPTrainer.train(data, config: config, context: context)
                try stopped()
                return fit.model
            }
        } catch let e as LearningError {
            throw inv.error(e.description)
        }
        let top = r.shifts.prefix(3).filter { $0.statistic > 0.1 }.map(\.feature)
        let reading =
            r.alike
            ? "train and test look alike: a classifier cannot tell them apart (AUC \(Format.metric(r.auc)) is near 0.5"
                + (r.auc < 0.5 ? "; out-of-fold AUCs of indistinguishable sets often land a little under 0.5)" : ")")
            : "they differ (AUC \(Format.metric(r.auc))): a classifier tells test rows from training rows"
                + (top.isEmpty ? "" : "; these features differ most: \(top.joined(separator: ", "))")
        var facts = [
            Field("training_rows", "training rows", .count(train.rowCount)),
            Field("test_rows", "test rows", .count(test.rowCount)),
            Field("classifier", .shown(.text(kind), as: "\(kind), \(k)-fold out-of-fold scores")),
            Field("auc", "AUC", .number(r.auc)),
            Field("alike", .flag(r.alike), audience: .machines), .text("reading", reading)
        ]
        var table = Table(
            caption:
                "how much each feature's distribution differs (KS: largest CDF gap, numeric; TV: total variation, categorical)",
            header: ["feature", "measure", "difference"],
            cells: r.shifts.map { [.text($0.feature), .text($0.measure), .number($0.statistic)] }, key: "shifts")
        table.limit = 15
        table.moreHint = "set format json or csv gives all"
        var notes: [String] = []
        var validation: Dataset?
        if let s = share {
            let rows = AdversarialValidation.mostTestLike(r, share: s)
            validation = try train.subset(rows, name: train.name + ".validation")
            notes.append("validation set: the \(rows.count) training rows the classifier found most test-like")
            facts.append(Field("validation_rows", .vector(rows.map { Double($0 + 1) }), audience: .machines))
        }
        let report = Report(
            kind: "adversarial",
            title: "adversarial validation: \(inv.names["train"] ?? train.name) vs \(inv.names["test"] ?? test.name)",
            fields: facts, tables: [table], notes: notes)
        if let v = validation { return .tuple([.report(report), .dataset(v)]) }
        return .report(report)
    }
}
