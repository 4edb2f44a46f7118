import Foundation
import MLELearning
import MLETensor
import MLETestSupport
import Testing

@testable import MLEEvaluation

/// Bounds recorded from DeepMind's jax_verify on networks trained on breast_cancer
/// (scripts/fixtures/make_crown_fixture.py).
nonisolated(unsafe) private let crownFixture: [String: Any] = {
    let url = fixtureURL("MLEEvaluationTests", "crown.json")
    guard let data = try? Data(contentsOf: url),
        let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    else { return [:] }
    return object
}()

private struct FixtureNetwork {
    var net: MLP
    var centers: [[Float]]
    var balls: [[String: Any]]
}

private func fixtureNetworks() throws -> [FixtureNetwork] {
    let networks = crownFixture["networks"] as? [[String: Any]] ?? []
    return try networks.map { entry in
        let weights = entry["weights"] as? [[[Double]]] ?? []
        let biases = entry["biases"] as? [[Double]] ?? []
        let layers = try zip(weights, biases).map { w, b in
            DenseLayer(weight: try Matrix(w.map { $0.map(Float.init) }), bias: b.map(Float.init))
        }
        let d = layers.first?.inputs ?? 0
        let net = MLP(
            layers: layers,
            standardizer: Standardizer(mean: [Float](repeating: 0, count: d), scale: [Float](repeating: 1, count: d)),
            featureNames: (0..<d).map { "x\($0)" }, task: .classification(classNames: ["benign", "malignant"]))
        let centers = (entry["centers"] as? [[Double]] ?? []).map { $0.map(Float.init) }
        return FixtureNetwork(net: net, centers: centers, balls: entry["balls"] as? [[String: Any]] ?? [])
    }
}

private func recorded(_ ball: [String: Any], _ method: String) -> (lower: [[Double]], upper: [[Double]]) {
    let m = ball[method] as? [String: Any] ?? [:]
    return (m["lower"] as? [[Double]] ?? [], m["upper"] as? [[Double]] ?? [])
}

private func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-9 * (1 + abs(b)) }

@Test func boundsEqualJaxVerifyOnTrainedNetworks() throws {
    let networks = try fixtureNetworks()
    #expect(networks.count == 2)
    var compared = 0
    for fixture in networks {
        let oneHidden = fixture.net.layers.count == 2
        let plan = Certify.Plan(fixture.net, norm: .linf)
        for ball in fixture.balls {
            let delta = ball["delta"] as? Double ?? -1
            let ibp = recorded(ball, "ibp"), crown = recorded(ball, "crown")
            #expect(ibp.lower.count == fixture.centers.count && crown.upper.count == fixture.centers.count)
            // All eight balls in one batch, as mle computes them.
            let ours = Certify.bounds(
                plan, centers: fixture.centers.map { $0.map(Double.init) },
                deltas: [Double](repeating: delta, count: fixture.centers.count))
            for (e, bounds) in ours.enumerated() {
                for o in 0..<2 {
                    // IBP equals jax_verify's at any depth.
                    #expect(close(bounds.ibp.lower[o], widened(ibp.lower[e][o], up: false)))
                    #expect(close(bounds.ibp.upper[o], widened(ibp.upper[e][o], up: true)))
                    if oneHidden {
                        // One hidden layer: CROWN equals jax_verify's CROWN, and mle keeps the
                        // tighter of CROWN and IBP.
                        #expect(
                            close(bounds.crown.lower[o], widened(max(crown.lower[e][o], ibp.lower[e][o]), up: false)))
                        #expect(
                            close(bounds.crown.upper[o], widened(min(crown.upper[e][o], ibp.upper[e][o]), up: true)))
                    } else {
                        // Two hidden layers: back-substitution is at least as tight as jax_verify's
                        // forward composition of the same relaxation, and as IBP.
                        #expect(
                            bounds.crown.lower[o] >= widened(max(crown.lower[e][o], ibp.lower[e][o]), up: false) - 1e-9)
                        #expect(
                            bounds.crown.upper[o] <= widened(min(crown.upper[e][o], ibp.upper[e][o]), up: true) + 1e-9)
                    }
                    compared += 1
                }
            }
        }
    }
    #expect(compared == 2 * 3 * 8 * 2)
}

@Test func batchedBoundsEqualOneBallAtATime() throws {
    // Balls of different radii in one batch give what each gives alone; in L2 the dual norm read
    // from the Gram matrix W₀ᵀW₀ equals the one from λW₀ᵀ itself.
    for fixture in try fixtureNetworks() {
        for norm in PerturbationNorm.allCases {
            let plan = Certify.Plan(fixture.net, norm: norm)
            #expect((plan.gram != nil) == (norm == .l2))
            let deltas = fixture.centers.indices.map { 0.05 + 0.1 * Double($0) }
            let together = Certify.bounds(plan, centers: fixture.centers.map { $0.map(Double.init) }, deltas: deltas)
            for (e, center) in fixture.centers.enumerated() {
                let alone = Certify.bounds(fixture.net, center: center, delta: deltas[e], norm: norm)
                for o in 0..<2 {
                    #expect(
                        close(together[e].crown.lower[o], alone.crown.lower[o])
                            && close(together[e].crown.upper[o], alone.crown.upper[o]))
                    #expect(close(together[e].ibp.upper[o], alone.ibp.upper[o]))
                }
            }
            if norm == .l2 {
                var direct = plan
                direct.gram = nil
                let withoutGram = Certify.bounds(
                    direct, centers: fixture.centers.map { $0.map(Double.init) }, deltas: deltas)
                for e in together.indices {
                    for o in 0..<2 { #expect(close(together[e].crown.upper[o], withoutGram[e].crown.upper[o])) }
                    #expect(together[e].crown.differenceUpper?[0][1] != nil)
                    #expect(
                        close(
                            together[e].crown.differenceUpper?[0][1] ?? 0,
                            withoutGram[e].crown.differenceUpper?[0][1] ?? 1))
                }
            }
        }
    }
}
