import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

/// `robust`: ε-δ robustness (Burkov ch. 7) per example, sampled, attacked and certified.
enum RobustCommand: Command {
    static let spec = CommandSpec(
        name: "robust",
        summary:
            "ε-δ robustness per example: is every input within δ of x mapped within ε of f(x)? Sampled, attacked and certified (CROWN)",
        positionals: [
            ParamSpec("model", .model, "the network (an mlp)", required: true),
            ParamSpec("data", .dataset, "the examples to check", required: true)
        ],
        options: [
            ParamSpec(
                "delta", .word, "radius of the input ball, or a list of radii for a curve, e.g. [0.01, 0.05, 0.1]",
                default: .number(0.1)),
            ParamSpec("epsilon", .number, "largest allowed change of the output (Euclidean)", default: .number(0.05)),
            .choice("norm", PerturbationNorm.self, "the ball's norm (l2, as the book)", default: .l2),
            ParamSpec(
                "method", .choice(["all"] + RobustMethod.allCases.map(\.rawValue)),
                "sample: random points in the ball; attack: projected gradient ascent; certify: CROWN and IBP bounds",
                default: .symbol("all")),
            ParamSpec(
                "samples", .integer, "random points per example (half on the ball's surface)", default: .number(1000)),
            ParamSpec("steps", .integer, "gradient steps of each attack restart", default: .number(50)),
            ParamSpec(
                "restarts", .integer, "attack restarts per example, from random points in the ball", default: .number(5)
            ),
            ParamSpec("seed", .integer, "random seed of sampling and attack starts (default: the session seed)"),
            .choice(
                "output", RobustOutput.self,
                "what ε is measured on: the probability vector (or a regression's prediction) or the logits",
                default: .probabilities),
            .choice(
                "units", RobustUnits.self,
                "δ in standardised feature units (each feature over its training standard deviation) or in the data's own units",
                default: .standardized),
            ParamSpec("rows", .integer, "examples shown in the table", default: .number(20)),
            ParamSpec(
                "features", .integer, "features shown in the sensitivity table (the most sensitive first; 0 hides it)",
                default: .number(5))
        ],
        returns: "a robustness report",
        examples: [
            "robust net test delta=0.1 epsilon=0.05",
            "robust net test delta=0.05 epsilon=0.1 norm=linf method=certify",
            "robust net test delta=[0.01, 0.05, 0.1, 0.2] epsilon=0.05"
        ]
    ) { inv in try execute(inv) }

    struct Options {
        var net: MLP
        var data: Dataset
        var names: RobustCommands.Names
        /// One radius, or several for a curve.
        var deltas: [Double]
        var settings: RobustSettings
        /// Examples and features people see.
        var rows: Int
        var features: Int
    }

    static func options(_ inv: Invocation) throws -> Options {
        let net = try CoverageCommands.network(
            inv, purpose: "robust analyses a neural network's ReLU layers", reluOnly: true)
        let data = try inv.dataset("data")
        var settings = RobustSettings()
        settings.epsilon = try inv.declared("epsilon", Double.self)
        settings.norm = try inv.choice("norm", PerturbationNorm.self)
        let method = try inv.declared("method", String.self)
        settings.methods =
            method == "all" ? Set(RobustMethod.allCases) : Set([try inv.choice("method", RobustMethod.self)])
        settings.samples = try inv.declared("samples", Int.self)
        settings.steps = try inv.declared("steps", Int.self)
        settings.restarts = try inv.declared("restarts", Int.self)
        settings.output = try inv.choice("output", RobustOutput.self)
        settings.units = try inv.choice("units", RobustUnits.self)
        settings.seed = inv.seed()
        return Options(
            net: net, data: data,
            names: RobustCommands.Names(model: inv.names["model"] ?? "the model", data: inv.names["data"] ?? data.name),
            deltas: try RobustCommands.deltaList(inv), settings: settings,
            rows: max(try inv.declared("rows", Int.self), 0), features: max(try inv.declared("features", Int.self), 0))
    }

    static func validate(_ o: Options, _ inv: Invocation) throws {
        guard o.settings.epsilon >= 0, o.settings.epsilon.isFinite else {
            throw inv.error("epsilon must be a number ≥ 0", at: "epsilon")
        }
        try inv.check("samples", o.settings.samples, in: 1...1_000_000)
        try inv.check("steps", o.settings.steps, in: 1...100_000)
        try inv.check("restarts", o.settings.restarts, in: 1...10_000)
        if o.settings.output == .logits, !o.net.task.isClassification {
            throw inv.error(
                "output=logits is for classifiers; a regression network's output is its prediction", at: "output")
        }
        guard o.data.rowCount > 0 else { throw inv.error("the data has no rows", at: "data") }
    }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        let x = try o.net.inputs(o.data)
        let settings = o.settings
        var runs: [(delta: Double, results: [RobustExample])] = []
        for (i, delta) in o.deltas.enumerated() {
            var s = settings
            s.delta = delta
            let offset = i * x.rows * settings.methods.count
            let whole = o.deltas.count * x.rows * settings.methods.count
            let context = inv.context("robust") { _, _ in "δ \(Format.number(delta))" }.reporting { done, _ in
                (offset + done, whole)
            }
            runs.append((delta, try Robustness.check(o.net, x: x, settings: s, context: context)))
        }
        guard runs.count == 1, let run = runs.first else {
            return .report(RobustCommands.curveReport(runs, settings: settings, names: o.names))
        }
        var s = settings
        s.delta = run.delta
        let sensitivity = try Robustness.sensitivity(o.net, x: x, results: run.results, settings: s)
        var report = RobustCommands.singleReport(
            run.results, delta: run.delta, settings: settings, net: o.net, data: o.data,
            names: o.names, rows: o.rows)
        RobustCommands.addSensitivity(sensitivity, to: &report, net: o.net, settings: s, shown: o.features)
        return .report(report)
    }
}
