import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

/// `generate`: a seeded synthetic dataset.
enum GenerateCommand: Command {
    static let spec = CommandSpec(
        name: "generate",
        summary: "A seeded synthetic dataset: classification, regression, two moons or blobs",
        positionals: [
            ParamSpec(
                "kind", .choice(Kind.allCases.map(\.rawValue)), "what to generate", required: true)
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
    ) { inv in try execute(inv) }

    /// What to generate.
    enum Kind: String, CaseIterable { case classification, regression, moons, blobs }

    struct Options {
        var kind: Kind
        var settings: Generator.Settings
    }

    static func options(_ inv: Invocation) throws -> Options {
        var s = Generator.Settings()
        s.cancellation = inv.cancellation
        s.rows = try inv.declared("rows", Int.self)
        s.features = try inv.declared("features", Int.self)
        s.informative = try inv.declared("informative", Int.self)
        s.classes = try inv.declared("classes", Int.self)
        s.separation = try inv.declared("separation", Double.self)
        s.noise = try inv.declared("noise", Double.self)
        if let w = inv.value("weights"), let weights = [Double](argument: w) { s.weights = weights }
        s.seed = inv.seed()
        return Options(kind: try inv.choice("kind", Kind.self), settings: s)
    }

    static func validate(_ o: Options, _ inv: Invocation) throws {
        let s = o.settings
        try inv.check("rows", s.rows, in: 1...10_000_000)
        guard s.features >= 1, s.rows * s.features <= 100_000_000 else {
            throw inv.error("features must be ≥ 1 with rows × features ≤ 100000000", at: "features")
        }
        guard s.noise >= 0, s.noise.isFinite else { throw inv.error("noise must be ≥ 0", at: "noise") }
        try inv.check("classes", s.classes, in: 1...1000)
        guard s.separation.isFinite else { throw inv.error("separation must be a number", at: "separation") }
    }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        switch o.kind {
        case .regression: return .dataset(try Generator.regression(o.settings).0)
        case .moons: return .dataset(try Generator.moons(o.settings))
        case .blobs: return .dataset(try Generator.blobs(o.settings).0)
        case .classification: return .dataset(try Generator.classification(o.settings))
        }
    }
}
