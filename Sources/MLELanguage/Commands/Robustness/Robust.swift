import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

extension RobustCommands {
    static let robust = CommandSpec(
        name: "robust",
        summary: "ε-δ robustness per example: is every input within δ of x mapped within ε of f(x)? Sampled, attacked and certified (CROWN)",
        positionals: [ParamSpec("model", .model, "the network (an mlp)", required: true),
                      ParamSpec("data", .dataset, "the examples to check", required: true)],
        options: [
            ParamSpec("delta", .word, "radius of the input ball, or a list of radii for a curve, e.g. [0.01, 0.05, 0.1]",
                      default: .number(0.1)),
            ParamSpec("epsilon", .number, "largest allowed change of the output (Euclidean)", default: .number(0.05)),
            ParamSpec("norm", .choice(PerturbationNorm.allCases.map(\.rawValue)), "the ball's norm (l2, as the book)", default: .symbol("l2")),
            ParamSpec("method", .choice(["all"] + RobustMethod.allCases.map(\.rawValue)),
                      "sample: random points in the ball; attack: projected gradient ascent; certify: CROWN and IBP bounds",
                      default: .symbol("all")),
            ParamSpec("samples", .integer, "random points per example (half on the ball's surface)", default: .number(1000)),
            ParamSpec("steps", .integer, "gradient steps of each attack restart", default: .number(50)),
            ParamSpec("restarts", .integer, "attack restarts per example, from random points in the ball", default: .number(5)),
            ParamSpec("seed", .integer, "random seed of sampling and attack starts (default: the session seed)"),
            ParamSpec("output", .choice(RobustOutput.allCases.map(\.rawValue)),
                      "what ε is measured on: the probability vector (or a regression's prediction) or the logits",
                      default: .symbol("probabilities")),
            ParamSpec("units", .choice(RobustUnits.allCases.map(\.rawValue)),
                      "δ in standardised feature units (each feature over its training standard deviation) or in the data's own units",
                      default: .symbol("standardized")),
            ParamSpec("rows", .integer, "examples shown in the table", default: .number(20)),
            ParamSpec("features", .integer, "features shown in the sensitivity table (the most sensitive first; 0 hides it)",
                      default: .number(5)),
        ],
        returns: "a robustness report",
        examples: ["robust net test delta=0.1 epsilon=0.05",
                   "robust net test delta=0.05 epsilon=0.1 norm=linf method=certify",
                   "robust net test delta=[0.01, 0.05, 0.1, 0.2] epsilon=0.05"]
    ) { inv in
        let net = try CoverageCommands.network(inv, purpose: "robust analyses a neural network's ReLU layers", reluOnly: true)
        let data = try inv.dataset("data")
        let deltas = try deltaList(inv)
        var settings = RobustSettings()
        settings.epsilon = inv.number("epsilon") ?? 0.05
        guard settings.epsilon >= 0, settings.epsilon.isFinite else { throw inv.error("epsilon must be a number ≥ 0", at: "epsilon") }
        settings.norm = PerturbationNorm(rawValue: inv.string("norm") ?? "l2") ?? .l2
        let method = inv.string("method") ?? "all"
        settings.methods = method == "all" ? Set(RobustMethod.allCases) : [RobustMethod(rawValue: method) ?? .sample]
        settings.samples = inv.int("samples") ?? 1000
        settings.steps = inv.int("steps") ?? 50
        settings.restarts = inv.int("restarts") ?? 5
        for (name, v, limit) in [("samples", settings.samples, 1_000_000), ("steps", settings.steps, 100_000), ("restarts", settings.restarts, 10_000)] {
            guard v >= 1, v <= limit else { throw inv.error("\(name) must be between 1 and \(limit)", at: name) }
        }
        settings.output = RobustOutput(rawValue: inv.string("output") ?? "probabilities") ?? .probabilities
        if settings.output == .logits, !net.task.isClassification {
            throw inv.error("output=logits is for classifiers; a regression network's output is its prediction", at: "output")
        }
        settings.units = RobustUnits(rawValue: inv.string("units") ?? "standardized") ?? .standardized
        settings.seed = inv.seed()
        let x = try net.inputs(data)
        guard x.rows > 0 else { throw inv.error("the data has no rows", at: "data") }

        var runs: [(delta: Double, results: [RobustExample])] = []
        for (i, delta) in deltas.enumerated() {
            var s = settings
            s.delta = delta
            let offset = i * x.rows * settings.methods.count
            let whole = deltas.count * x.rows * settings.methods.count
            let context = inv.context("robust") { _, _ in "δ \(Format.number(delta))" }.reporting { done, _ in (offset + done, whole) }
            let results = try Robustness.check(net, x: x, settings: s, context: context)
            runs.append((delta, results))
        }
        let names = Names(model: inv.names["model"] ?? "the model", data: inv.names["data"] ?? data.name)
        if runs.count == 1, let run = runs.first {
            var s = settings
            s.delta = run.delta
            let sensitivity = try Robustness.sensitivity(net, x: x, results: run.results, settings: s)
            var report = singleReport(run.results, delta: run.delta, settings: settings, net: net, data: data, names: names,
                                      rows: max(inv.int("rows") ?? 20, 0))
            addSensitivity(sensitivity, to: &report, net: net, settings: s, shown: max(inv.int("features") ?? 5, 0))
            return .report(report)
        }
        return .report(curveReport(runs, settings: settings, names: names))
    }
}
