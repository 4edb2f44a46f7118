import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

extension RobustCommands {
    static let radius = CommandSpec(
        name: "radius",
        summary:
            "Label robustness per example: the smallest perturbation that changes the predicted class lies in [certified, attacked]",
        positionals: [
            ParamSpec("model", .model, "the classifier network (an mlp)", required: true),
            ParamSpec("data", .dataset, "the examples to check", required: true)
        ],
        options: [
            .choice("norm", PerturbationNorm.self, "the norm distances are measured in", default: .l2),
            .choice(
                "units", RobustUnits.self,
                "distances in standardised feature units or in the data's own units", default: .standardized),
            ParamSpec("max", .number, "the largest radius searched", default: .number(10)),
            ParamSpec(
                "tolerance", .number, "bisection stops when an interval is this fraction of its upper end",
                default: .number(0.001)),
            ParamSpec("steps", .integer, "gradient steps of each attack restart", default: .number(50)),
            ParamSpec(
                "restarts", .integer, "attack restarts (the first from x, the others from random points in the ball)",
                default: .number(5)),
            ParamSpec("seed", .integer, "random seed of the attack starts (default: the session seed)"),
            ParamSpec("rows", .integer, "examples shown in the table", default: .number(20))
        ],
        returns: "a label-robustness report",
        examples: ["radius net test", "radius net test norm=linf units=raw max=5"]
    ) { inv in
        let net = try CoverageCommands.network(
            inv, purpose: "radius analyses a neural network's ReLU layers", reluOnly: true)
        guard net.task.isClassification else {
            throw inv.error(
                "radius needs a classifier: a regression network has no label to change; robust measures how far its prediction moves",
                at: "model")
        }
        let data = try inv.dataset("data")
        var s = RadiusSettings()
        s.norm = try inv.choice("norm", PerturbationNorm.self)
        s.units = try inv.choice("units", RobustUnits.self)
        s.maxRadius = (try inv.declared("max", Double.self))
        guard s.maxRadius > 0, s.maxRadius.isFinite else { throw inv.error("max must be a number > 0", at: "max") }
        s.tolerance = (try inv.declared("tolerance", Double.self))
        guard s.tolerance >= 1e-6, s.tolerance < 1 else {
            throw inv.error("tolerance must be between 1e-6 and 1", at: "tolerance")
        }
        s.steps = (try inv.declared("steps", Int.self))
        s.restarts = (try inv.declared("restarts", Int.self))
        for (name, v, limit) in [("steps", s.steps, 100_000), ("restarts", s.restarts, 10_000)] {
            guard v >= 1, v <= limit else { throw inv.error("\(name) must be between 1 and \(limit)", at: name) }
        }
        s.seed = inv.seed()
        let x = try net.inputs(data)
        guard x.rows > 0 else { throw inv.error("the data has no rows", at: "data") }
        let results = try LabelRadius.measure(
            net, x: x, settings: s, context: inv.context("radius") { _, _ in "bisection" })
        return .report(
            radiusReport(
                results, settings: s, net: net,
                names: Names(model: inv.names["model"] ?? "the model", data: inv.names["data"] ?? data.name),
                rows: max((try inv.declared("rows", Int.self)), 0)))
    }
}
