import Foundation
import MLEEvaluation
import MLELearning
import MLETensor
import Synchronization

/// `mutation`: test-set adequacy by mutation analysis (DeepCrime): faults put into the training
/// or the weights of a network trained here, k instances of each, and whether the test set tells
/// them from the original's k retrainings; neuron coverage of the same test set beside it.
enum MutationCommand: Command {
    static let spec = CommandSpec(
        name: "mutation",
        summary:
            "Test-set adequacy by mutation analysis: faulty retrainings and weights, killed when the test set tells them apart; neuron coverage beside it",
        positionals: [
            ParamSpec("model", .model, "a network trained here with mlp (its settings are retrained)", required: true),
            ParamSpec("train", .dataset, "the data it was trained on", required: true),
            ParamSpec("test", .dataset, "the test set whose adequacy is measured", required: true)
        ],
        options: [
            ParamSpec(
                "k", .integer, "instances of the original and of each mutant (different seeds)", default: .number(10)),
            ParamSpec(
                "mutants", .list(.string),
                "which mutants: label_noise, drop_rows, activation, lr, epochs, units (retrained), fuzz, block, switch (of the weights); default all"
            ),
            IntervalCommands.levelOption,
            ParamSpec("seed", .integer, "first seed of the instances (default: the session seed)")
        ],
        returns: "a mutation report",
        examples: [
            "mutation net train test", "mutation net train test k=20 mutants=[label_noise, units, fuzz]"
        ]
    ) { inv in try execute(inv) }
    .keepingPartialResults()

    /// The mutants by name, with the strength each is applied at.
    enum Kind: String, CaseIterable {
        case labelNoise = "label_noise"
        case dropRows = "drop_rows"
        case activation, lr, epochs, units, fuzz, block, `switch`
    }

    enum Operator {
        case training(Mutation.Training)
        case weights(Mutation.Weights)
        var name: String {
            switch self {
            case .training(let t): return t.name
            case .weights(let w): return w.name
            }
        }
    }

    static func mutant(_ kind: Kind, _ config: MLPConfig) -> Operator {
        switch kind {
        case .labelNoise: return .training(.labelNoise(0.1))
        case .dropRows: return .training(.dropRows(0.5))
        case .activation: return .training(.activation(config.activation == .relu ? .tanh : .relu))
        case .lr: return .training(.learningRate(10))
        case .epochs: return .training(.epochs(0.25))
        case .units: return .training(.removeUnits(0.25))
        case .fuzz: return .weights(.gaussianFuzz(share: 0.2, scale: 1))
        case .block: return .weights(.blockUnits(0.2))
        case .switch: return .weights(.switchUnits)
        }
    }

    struct Options {
        var model: ModelValue
        var config: MLPConfig
        var train: Dataset
        var test: Dataset
        var k: Int
        var kinds: [Kind]
        var level: Double
        var seed: UInt64
    }

    static func options(_ inv: Invocation) throws -> Options {
        let m = try inv.model("model")
        guard let config = m.recipe?.mlpConfig, m.model is MLP else {
            throw inv.error(
                "mutation retrains the network with its own settings: give a network trained here with mlp", at: "model"
            )
        }
        var kinds = Kind.allCases
        if let names = inv.stringList("mutants") {
            kinds = []
            for name in names {
                guard let k = Kind(rawValue: name) else {
                    throw UnknownNameError(
                        kind: "mutant", name: name, known: Kind.allCases.map(\.rawValue), setting: "mutants")
                }
                if !kinds.contains(k) { kinds.append(k) }
            }
        }
        return Options(
            model: m, config: config, train: try inv.dataset("train"), test: try inv.dataset("test"),
            k: try inv.declared("k", Int.self), kinds: kinds, level: try inv.declared("level", Double.self),
            seed: inv.seed())
    }

    static func validate(_ o: Options, _ inv: Invocation) throws {
        try inv.check("k", o.k, in: 2...1000)
        try inv.checkLevel(o.level)
        guard case .classification = o.model.model.task else {
            throw inv.error("mutation measures a classifier's test set (its accuracy)", at: "model")
        }
        if o.kinds.isEmpty { throw inv.error("mutants= names no mutant", at: "mutants") }
    }

    /// One training job: the original (nil) or a training mutant, instance i.
    struct Job: Sendable {
        var mutant: Int?
        var instance: Int
    }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        let operators = o.kinds.map { mutant($0, o.config) }
        let trainingMutants = operators.indices.filter { if case .training = operators[$0] { true } else { false } }
        let jobs =
            (0..<o.k).map { Job(mutant: nil, instance: $0) }
            + trainingMutants.flatMap { m in (0..<o.k).map { Job(mutant: m, instance: $0) } }
        let cancellation = inv.cancellation
        let context = inv.context("train") { done, total in "\(done) of \(total) networks" }
        let config = o.config, train = o.train, test = o.test, seed = o.seed
        let done = Atomic<Int>(0)
        let total = jobs.count
        // Only the original's instances are kept (the weight mutants are made from them); every
        // other network is scored as soon as it is trained and dropped. They must fit.
        if let net = o.model.model as? MLP {
            let parameters = net.layers.reduce(0) { $0 + $1.weight.storage.count + $1.bias.count }
            try Memory.reserve(
                Memory.product(o.k, parameters, 4), for: "keep \(o.k) instances of the network", setting: "k")
        }
        // The finished networks are scored even after Ctrl-C (predictions: quick), so that an
        // interrupted run still reports every mutant whose instances all finished.
        @Sendable func accuracy(_ net: MLP) throws -> Double {
            let labelled = try Cancellation.withCurrent(.never) { try Outcomes.of(net, on: test, positive: nil) }
            return Metric.accuracy.value(of: labelled.outcomes) ?? .nan
        }
        // Every job on its own thread with single-threaded products; a job stopped by Ctrl-C is
        // dropped (its network is not what its settings train).
        let trained: [(accuracy: Double, network: MLP?)?]
        do {
            trained = try BLASThreads.single {
                try Parallel.map(jobs.count) { j -> (accuracy: Double, network: MLP?)? in
                    if cancellation.isCancelled { return nil }
                    let job = jobs[j]
                    var data = train, c = config
                    if let m = job.mutant, case .training(let t) = operators[m] {
                        (data, c) = try t.apply(train, config, seed: seed &+ UInt64(job.instance))
                    }
                    c.seed = seed &+ UInt64(job.instance)
                    do {
                        let r = try MLPTrainer.train(
                            data, config: c, context: ExecutionContext(cancellation: cancellation))
                        if r.interrupted || cancellation.isCancelled { return nil }
                        context.progress(done.add(1, ordering: .relaxed).newValue, of: total)
                        return (try accuracy(r.model), job.mutant == nil ? r.model : nil)
                    } catch  where cancellation.isCancelled {
                        return nil
                    }
                }
            }
        } catch let e as LearningError {
            throw inv.error("a retraining failed: \(e.description)", at: "mutants")
        }
        let originals = trained[0..<o.k].map { $0?.network }
        let originalAccuracy = trained[0..<o.k].map { $0?.accuracy }
        let alpha = 1 - o.level
        var rows: [[Cell]] = []
        var killed: [String] = [], survived: [String] = [], unfinished: [String] = []
        for (m, op) in operators.enumerated() {
            var pairs: [(Double, Double)] = []
            switch op {
            case .training:
                let index = trainingMutants.firstIndex(of: m) ?? 0
                let instances = trained[(o.k * (index + 1))..<(o.k * (index + 2))]
                for (i, result) in instances.enumerated() {
                    if let a = originalAccuracy[i], let result { pairs.append((a, result.accuracy)) }
                }
            case .weights(let w):
                for (i, net) in originals.enumerated() {
                    if let a = originalAccuracy[i], let net {
                        pairs.append((a, try accuracy(w.apply(net, seed: seed &+ UInt64(i)))))
                    }
                }
            }
            let kind = { if case .training = op { "training" } else { "weights" } }()
            guard pairs.count == o.k else {
                unfinished.append(op.name)
                rows.append([
                    .text(op.name), .text(kind), .missing("—"), .missing("—"), .missing("—"), .missing("—"),
                    .text("not finished")
                ])
                continue
            }
            let v = Mutation.killed(original: pairs.map(\.0), mutant: pairs.map(\.1), alpha: alpha)
            (v.killed ? { killed.append(op.name) } : { survived.append(op.name) })()
            rows.append([
                .text(op.name), .text(kind), .number(v.originalMean, .metric), .number(v.mutantMean, .metric),
                .number(v.effect, .metric), .number(v.p, .pValue), .text(v.killed ? "killed" : "survived")
            ])
        }
        let decided = killed.count + survived.count
        let score = decided > 0 ? Double(killed.count) / Double(decided) : .nan
        // Neuron coverage of the same test set, on the model given.
        var fields: [Field] = [
            Field("test_rows", "test rows", .count(test.rowCount)),
            Field("instances", .shown(.count(o.k), as: "\(o.k) of the original and of each mutant (seeds \(seed)…)")),
            Field(
                "mutation_score", "mutation score",
                .shown(
                    .number(score),
                    as: "\(NumberStyle.percent.text(score)) (\(killed.count) of \(decided) mutants killed)"))
        ]
        var coverageNote: String?
        if let net = o.model.model as? MLP,
            case .classification(let truth, _, _, _, _) = try Cancellation.withCurrent(
                .never, { try Outcomes.of(net, on: test, positive: nil) }
            ).outcomes
        {
            let analysis = try Cancellation.withCurrent(.never) {
                try Coverage.analyse(
                    net, x: try net.inputs(test), truth: truth, settings: CoverageSettings(), profile: nil)
            }
            fields.append(
                Field(
                    "neuron_coverage", "neuron coverage",
                    .shown(
                        .number(analysis.coverage),
                        as:
                            "\(NumberStyle.percent.text(analysis.coverage)) (\(analysis.covered) of \(analysis.units) units)"
                    )))
            let c = NumberStyle.percent.text(analysis.coverage), m = NumberStyle.percent.text(score)
            if analysis.coverage - score >= 0.2 {
                coverageNote =
                    "the two measures disagree: neuron coverage is \(c), yet the test set kills only \(m) of the mutants — coverage overstates its adequacy"
            } else if score - analysis.coverage >= 0.2 {
                coverageNote =
                    "the two measures disagree: the test set kills \(m) of the mutants though neuron coverage is only \(c)"
            } else {
                coverageNote = "neuron coverage (\(c)) and the mutation score (\(m)) agree within 20 points"
            }
        }
        let table = Table(
            key: "mutants",
            caption:
                "mutants (accuracy on the test set: mean over \(o.k) instances; d: Cohen's d of mutant − original; p: Welch's t-test)",
            columns: [
                Table.Column("mutant", "mutant", .left), Table.Column("kind", "kind", .left),
                Table.Column("original_accuracy", "original"), Table.Column("mutant_accuracy", "mutant"),
                Table.Column("effect", "d"), Table.Column("p"), Table.Column("verdict", "", .left)
            ], rows: rows)
        var verdict =
            "the test set kills \(killed.count) of \(decided) mutants (\(NumberStyle.percent.text(score)))"
            + (survived.isEmpty ? "" : "; it cannot tell these from the original: \(survived.joined(separator: ", "))")
        if !unfinished.isEmpty { verdict += "; stopped before \(unfinished.count) mutants finished" }
        var notes = [
            "a mutant is killed when its instances' test accuracies differ from the original's beyond noise (Welch's t-test at \(Format.percent(o.level))) and not negligibly (|d| ≥ 0.5), DeepCrime's rule"
        ]
        if let coverageNote { notes.insert(coverageNote, at: 0) }
        if o.k < 5 {
            notes.insert(
                "with k=\(o.k) instances the test has little power: a surviving mutant may only mean too few instances (k=10 or more; DeepCrime uses 20)",
                at: 0)
        }
        return .report(
            Report(
                kind: "mutation",
                title:
                    "mutation analysis of \(inv.names["test"] ?? test.name) with \(inv.names["model"] ?? o.model.model.kind)",
                fields: fields, tables: [table], verdict: verdict, notes: notes))
    }
}
