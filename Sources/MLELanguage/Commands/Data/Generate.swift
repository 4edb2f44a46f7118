import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

extension DataPrepCommands {
    static let generate = CommandSpec(
        name: "generate",
        summary: "A seeded synthetic dataset: classification, regression, two moons or blobs",
        positionals: [
            ParamSpec(
                "kind", .choice(["classification", "regression", "moons", "blobs"]), "what to generate", required: true)
        ],
        options: [
            ParamSpec("rows", .integer, "number of rows", default: .number(1000)),
            ParamSpec("features", .integer, "number of feature columns (moons: always 2)", default: .number(10)),
            ParamSpec(
                "informative", .integer, "features that carry the signal; the rest are noise", default: .number(2)),
            ParamSpec("classes", .integer, "number of classes (blobs: number of centres)", default: .number(2)),
            ParamSpec("weights", .list(.number), "class shares, e.g. [0.9, 0.1] for a 9:1 imbalance"),
            ParamSpec(
                "separation", .number, "classification: class centres at ±separation on each informative axis",
                default: .number(1)),
            ParamSpec(
                "noise", .number, "regression: sd of the target's noise; moons, blobs: sd of the points",
                default: .number(0)),
            ParamSpec("seed", .integer, "random seed (default: the session seed, then advanced)")
        ],
        returns: "a dataset",
        examples: [
            "toy = generate classification rows=2000 features=8 informative=3 weights=[0.9, 0.1] seed=1",
            "moons = generate moons rows=500 noise=0.1", "r = generate regression features=5 informative=2 noise=0.5"
        ]
    ) { inv in
        var s = Generator.Settings()
        s.rows = (try inv.declared("rows", Int.self))
        s.features = (try inv.declared("features", Int.self))
        s.informative = (try inv.declared("informative", Int.self))
        s.classes = (try inv.declared("classes", Int.self))
        s.separation = (try inv.declared("separation", Double.self))
        s.noise = (try inv.declared("noise", Double.self))
        s.seed = inv.seed()
        if case .list(let items)? = inv.value("weights") {
            s.weights = items.compactMap { if case .number(let v) = $0 { return v } else { return nil } }
        }
        guard s.rows >= 1, s.rows <= 10_000_000 else {
            throw inv.error("rows must be between 1 and 10000000", at: "rows")
        }
        guard s.features >= 1, s.rows * s.features <= 100_000_000 else {
            throw inv.error("features must be ≥ 1 with rows × features ≤ 100000000", at: "features")
        }
        guard s.noise >= 0, s.noise.isFinite else { throw inv.error("noise must be ≥ 0", at: "noise") }
        guard s.classes >= 1, s.classes <= 1000 else {
            throw inv.error("classes must be between 1 and 1000", at: "classes")
        }
        guard s.separation.isFinite else { throw inv.error("separation must be a number", at: "separation") }
        do {
            switch inv.string("kind") {
            case "regression": return .dataset(try Generator.regression(s).0)
            case "moons": return .dataset(try Generator.moons(s))
            case "blobs": return .dataset(try Generator.blobs(s).0)
            default: return .dataset(try Generator.classification(s))
            }
        } catch let e as LearningError {
            throw inv.error(e.description)
        }
    }
}
