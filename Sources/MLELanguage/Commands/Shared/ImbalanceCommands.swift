import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

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
