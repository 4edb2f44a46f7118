import Foundation
import MLELearning
import MLETensor
import MLETestSupport
import Testing

@testable import MLEEvaluation

/// y = relu(x1 + x2) + relu(x1 − x2), a regression network on two inputs (identity scaling).
func twoUnitNetwork() throws -> MLP {
    MLP(
        layers: [
            DenseLayer(weight: try Matrix([[1, 1], [1, -1]]), bias: [0, 0]),
            DenseLayer(weight: try Matrix([[1], [1]]), bias: [0])
        ],
        standardizer: Standardizer(mean: [0, 0], scale: [1, 1]), featureNames: ["x1", "x2"], task: .regression)
}

func widened(_ v: Double, up: Bool) -> Double {
    up ? v + Certify.margin * (1 + abs(v)) : v - Certify.margin * (1 + abs(v))
}

@Test func ibpAndCrownEqualAHandComputation() throws {
    let net = try twoUnitNetwork()
    // L∞, δ = 1 at the origin: z1 = x1 + x2 and z2 = x1 − x2 lie in [−2, 2].
    // IBP: each ReLU in [0, 2], so y in [0, 4].
    // CROWN: upper lines relu(z) ≤ (z + 2)/2, so y ≤ (z1 + z2)/2 + 2 = x1 + 2 ≤ 3; lower lines:
    // u > −l fails (2 > 2), so relu ≥ 0 and y ≥ 0. (The true maximum is 2.)
    let linf = Certify.bounds(net, center: [0, 0], delta: 1, norm: .linf)
    #expect(linf.ibp.lower == [widened(0, up: false)] && linf.ibp.upper == [widened(4, up: true)])
    #expect(abs(linf.crown.upper[0] - widened(3, up: true)) < 1e-12)
    #expect(abs(linf.crown.lower[0] - widened(0, up: false)) < 1e-12)
    // L2, δ = 1: z in [−√2, √2]; IBP y ≤ 2√2; CROWN y ≤ x1 + √2 ≤ 1 + √2.
    let l2 = Certify.bounds(net, center: [0, 0], delta: 1, norm: .l2)
    #expect(abs(l2.ibp.upper[0] - widened(2 * 2.0.squareRoot(), up: true)) < 1e-12)
    #expect(abs(l2.crown.upper[0] - widened(1 + 2.0.squareRoot(), up: true)) < 1e-12)
    // Away from the kinks (center (3, 0), δ = 0.5, L∞) both units are always active: y = 2·x1
    // exactly, in [5, 7], which CROWN finds; IBP loses that z1 and z2 move together: each in
    // [2, 4], so y in [4, 8].
    let active = Certify.bounds(net, center: [3, 0], delta: 0.5, norm: .linf)
    #expect(
        abs(active.crown.lower[0] - widened(5, up: false)) < 1e-12
            && abs(active.crown.upper[0] - widened(7, up: true)) < 1e-12)
    #expect(
        abs(active.ibp.lower[0] - widened(4, up: false)) < 1e-12
            && abs(active.ibp.upper[0] - widened(8, up: true)) < 1e-12)
    // Output bound for the regression value: max(7 − 6, 6 − 5) = 1 (plus the margin).
    let bound = Certify.outputBound(active.crown, center: [6], net: net, output: .probabilities)
    #expect(abs(bound - (widened(7, up: true) - 6)) < 1e-12)
}

@Test func probabilityBoundByHand() {
    // Two classes, logits z = (0, 0), boxes [−1, 1] each, difference bounds z0 − z1 ≤ 1, z1 − z0 ≤ 1:
    // p0 ∈ [1/(1 + e), 1/(1 + e⁻¹)], so |Δp0| ≤ 1/(1 + e⁻¹) − 1/2 and the same for p1.
    let b = LogitBounds(lower: [-1, -1], upper: [1, 1], differenceUpper: [[0, 1], [1, 0]])
    let net = MLP(
        layers: [], standardizer: Standardizer(mean: [], scale: []), featureNames: [],
        task: .classification(classNames: ["a", "b"]))
    let e = 1 / (1 + exp(-1.0)) - 0.5
    #expect(
        abs(
            Certify.outputBound(b, center: [0, 0], net: net, output: .probabilities) - ((2 * e * e).squareRoot() + 1e-7)
        ) < 1e-12)
    // Logits: each moves at most 1: √2.
    #expect(abs(Certify.outputBound(b, center: [0, 0], net: net, output: .logits) - 2.0.squareRoot()) < 1e-12)
}

func trainedClassifier(hidden: [Int], seed: UInt64) throws -> (MLP, Dataset) {
    let data = blobs(rows: 240, seed: seed)
    var config = MLPConfig()
    config.hidden = hidden
    config.epochs = 25
    config.seed = seed
    return (try MLPTrainer.train(data, config: config).model, blobs(rows: 60, seed: seed + 100))
}

@Test func nothingSampledOrAttackedEverExceedsTheCertifiedBound() throws {
    var checks = 0, displaced = 0
    for (hidden, seed) in [([12, 8], UInt64(1)), ([16], UInt64(2))] {
        let (net, test) = try trainedClassifier(hidden: hidden, seed: seed)
        for norm in PerturbationNorm.allCases {
            for output in RobustOutput.allCases {
                for delta in [0.05, 0.3, 1.0] {
                    var s = RobustSettings()
                    s.delta = delta; s.norm = norm; s.output = output; s.samples = 200; s.steps = 20; s.restarts = 3;
                    s.seed = seed
                    s.epsilon = 0.05
                    let results = try Robustness.check(net, x: test.features, settings: s)
                    for r in results {
                        let found = max(r.sampled ?? 0, r.attacked ?? 0)
                        #expect(
                            found <= r.certified!,
                            "\(hidden) \(norm) \(output) δ \(delta) row \(r.row): \(found) > \(r.certified!)")
                        #expect(found <= r.certifiedIBP!, "IBP \(hidden) \(norm) \(output) δ \(delta) row \(r.row)")
                        // The verdict follows the evidence.
                        if found > s.epsilon {
                            #expect(r.verdict == .notRobust)
                        } else if r.certified! <= s.epsilon {
                            #expect(r.verdict == .robust)
                        } else {
                            #expect(r.verdict == .unknown)
                        }
                        // The counterexample lies in the ball.
                        if let dsp = r.displacement {
                            let n =
                                norm == .l2
                                ? Double(dsp.reduce(0) { $0 + $1 * $1 }).squareRoot() : Double(dsp.map(abs).max() ?? 0)
                            #expect(n <= delta * (1 + 1e-5))
                            displaced += 1
                        }
                        checks += 1
                    }
                }
            }
        }
    }
    #expect(checks == 2 * 2 * 2 * 3 * 60)
    // The ball check above ran on counterexamples, not on none.
    #expect(displaced > 100)
}

@Test func attackGradientMatchesFiniteDifferences() throws {
    let (net, test) = try trainedClassifier(hidden: [12, 8], seed: 3)
    let space = SpaceNetwork(net, units: .standardized)
    var x = Matrix(rows: 4, cols: 4)
    for r in 0..<4 { let p = space.toSpace(test.features.row(r)); for j in 0..<4 { x[r, j] = p[j] } }
    for output in RobustOutput.allCases {
        // A reference away from the outputs at x, so the gradient is not zero.
        var reference = try Robustness.outputs(space.net, x, output).measured
        for i in reference.storage.indices { reference.storage[i] += 0.3 }
        let (values, _, seed) = try Attack.objective(space.net, x, reference: reference, output: output)
        let g = try space.net.inputGradient(layer: space.net.layers.count - 1, seed: seed, values: values)
        func f(_ m: Matrix, _ r: Int) throws -> Double {
            let d = try Attack.objective(space.net, m, reference: reference, output: output).distances[r]
            return d * d
        }
        let h: Float = 1e-2
        for r in 0..<4 {
            for j in 0..<4 {
                var plus = x, minus = x
                plus[r, j] += h; minus[r, j] -= h
                let numeric = (try f(plus, r) - f(minus, r)) / Double(2 * h)
                #expect(
                    abs(numeric - Double(g[r, j])) < 2e-2 * max(0.1, abs(numeric)),
                    "\(output) row \(r) feature \(j): \(numeric) vs \(g[r, j])")
            }
        }
    }
}

@Test func ballSamplesAreUniform() {
    var rng = SeededGenerator(seed: 4)
    let d = 5, n = 20_000
    // Inside an L2 ball, (r/δ)^d is uniform on [0, 1]: mean 1/2, variance 1/12.
    var moments = [0.0, 0.0]
    var coordinateMean = [Double](repeating: 0, count: d)
    for _ in 0..<n {
        let v = Robustness.sampleOffset(d: d, delta: 2, norm: .l2, surface: false, rng: &rng)
        let r = Double(v.reduce(0) { $0 + $1 * $1 }).squareRoot() / 2
        #expect(r <= 1 + 1e-6)
        let u = pow(r, Double(d))
        moments[0] += u; moments[1] += u * u
        for j in 0..<d { coordinateMean[j] += Double(v[j]) / Double(n) }
    }
    let mean = moments[0] / Double(n), variance = moments[1] / Double(n) - mean * mean
    // Standard errors: 0.002 for the mean; five of them is far beyond chance.
    #expect(abs(mean - 0.5) < 0.01)
    #expect(abs(variance - 1.0 / 12) < 0.005)
    for m in coordinateMean { #expect(abs(m) < 0.03) }
    // On the surface the radius is δ exactly.
    let s = Robustness.sampleOffset(d: d, delta: 2, norm: .l2, surface: true, rng: &rng)
    #expect(abs(Double(s.reduce(0) { $0 + $1 * $1 }).squareRoot() - 2) < 1e-5)
    // L∞: every coordinate uniform on [−δ, δ] (variance δ²/3); on the surface one is ±δ.
    var sq = 0.0
    for _ in 0..<n {
        let v = Robustness.sampleOffset(d: d, delta: 2, norm: .linf, surface: false, rng: &rng)
        #expect(v.allSatisfy { abs($0) <= 2 })
        sq += Double(v[0] * v[0])
    }
    #expect(abs(sq / Double(n) - 4.0 / 3) < 0.05)
    let face = Robustness.sampleOffset(d: d, delta: 2, norm: .linf, surface: true, rng: &rng)
    #expect(face.contains { abs($0) == 2 })
}

@Test func rawUnitsFoldTheStandardisationIntoTheFirstLayer() throws {
    let (net, test) = try trainedClassifier(hidden: [8], seed: 5)
    let raw = SpaceNetwork(net, units: .raw)
    let x = try test.features.gatherRows([0, 1, 2])
    let a = try net.outputs(standardized: net.standardizer.apply(x))
    let b = try raw.net.outputs(standardized: x)
    for i in a.storage.indices { #expect(abs(a.storage[i] - b.storage[i]) < 1e-4 * max(1, abs(a.storage[i]))) }
}

@Test func robustnessRejectsBadSettings() throws {
    let (net, test) = try trainedClassifier(hidden: [4], seed: 6)
    var s = RobustSettings()
    s.delta = -1
    #expect(settingOf { _ = try Robustness.check(net, x: test.features, settings: s) } == "delta")
    s = RobustSettings(); s.samples = 0
    #expect(settingOf { _ = try Robustness.check(net, x: test.features, settings: s) } == "samples")
    #expect(throws: RobustError.self) { try Robustness.check(net, x: try Matrix([[1, 2]]), settings: RobustSettings()) }
}
