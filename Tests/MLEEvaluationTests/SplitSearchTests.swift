import Foundation
import MLELearning
import MLETensor
import Testing

@testable import MLEEvaluation

// ReLU-split branch and bound (α,β-CROWN bounds) and the complete ε-δ and label questions.

private func network(_ widths: [Int], seed: UInt64, task: Task? = nil) throws -> VerifierNetwork {
    try VerifierNetwork(randomNetwork(widths, seed: seed, task: task))
}

private func regions(_ d: Int, _ rng: inout SeededGenerator) -> [InputRegion] {
    let c = (0..<d).map { _ in rng.nextNormal() }
    let r = 0.2 + rng.nextUnit()
    return [.ball(center: c, radius: r), .linf(center: c, radius: r / 2)]
}

private func row(_ y: [Double], _ coefficients: [Double], _ constant: Double) -> Double {
    zip(y, coefficients).reduce(constant) { $0 + $1.0 * $1.1 }
}

/// Points of the region: random ones and, for a ball, points on its surface.
private func samples(_ region: InputRegion, _ count: Int, _ rng: inout SeededGenerator) -> [[Double]] {
    (0..<count).map { i in
        let x = region.random(&rng)
        guard i % 2 == 0, case .ball(let c, let r) = region else { return x }
        var norm = 0.0
        for j in c.indices { norm += (x[j] - c[j]) * (x[j] - c[j]) }
        norm = norm.squareRoot()
        return norm > 0 ? c.indices.map { c[$0] + (x[$0] - c[$0]) * r * (1 - 1e-12) / norm } : x
    }
}

/// The hidden pre-activations at x (layer by layer, flattened as `ReluSplits` are).
private func preActivations(_ net: VerifierNetwork, _ x: [Double]) -> [Double] {
    var out: [Double] = []
    var a = x
    for l in 0..<(net.layerCount - 1) {
        let m = net.widths[l], n = net.widths[l + 1]
        var z = net.b[l]
        for o in 0..<n { for i in 0..<m { z[o] += net.w[l][o * m + i] * a[i] } }
        out += z
        a = z.map { max($0, 0) }
    }
    return out
}

@Test func alphaCROWNIsNeverLooserThanCROWNAndHoldsOnSamples() throws {
    var rng = SeededGenerator(seed: 11)
    var improved = 0
    for trial in 0..<24 {
        let depth = 1 + trial % 3, d = 2 + trial % 7
        let widths = [d] + (0..<depth).map { _ in 4 + Int(rng.nextUnit() * 12) } + [3]
        let net = try network(widths, seed: UInt64(100 + trial))
        for region in regions(d, &rng) {
            let rows = (0..<4).map { _ in (0..<3).map { _ in rng.nextNormal() } }
            let constants = rows.map { _ in rng.nextNormal() }
            let bounder = SplitBounder(net, region: region)
            let crown = bounder.bound([], rows: rows, constants: constants, iterations: 0)
            let alpha = bounder.bound([], rows: rows, constants: constants, iterations: 40)
            let points = samples(region, 3000, &rng)
            let ys = net.evaluate(batch: points)
            for k in rows.indices {
                #expect(alpha.lower[k] >= crown.lower[k], "α-CROWN looser than CROWN, trial \(trial)")
                if alpha.lower[k] > crown.lower[k] + 1e-9 { improved += 1 }
                let lowest = ys.map { row($0, rows[k], constants[k]) }.min() ?? 0
                #expect(lowest >= alpha.lower[k] - 1e-9 * (1 + abs(lowest)), "unsound bound, trial \(trial)")
                // The bound's minimising input lies in the region.
                #expect(region.contains(alpha.points[k]))
            }
        }
    }
    // The optimisation does something on these networks.
    #expect(improved > 20)
}

@Test func splitBoundsHoldOnTheInputsThatMeetTheSplits() throws {
    var rng = SeededGenerator(seed: 12)
    var checked = 0, empty = 0
    for trial in 0..<30 {
        let d = 2 + trial % 4
        let widths = [d, 8, 6, 2]
        let net = try network(widths, seed: UInt64(200 + trial))
        guard let region = regions(d, &rng).first else { continue }
        let bounder = SplitBounder(net, region: region)
        var splits = ReluSplits(repeating: 0, count: bounder.hiddenCount)
        for _ in 0..<2 { splits[Int(rng.nextUnit() * Double(bounder.hiddenCount))] = rng.nextUnit() < 0.5 ? 1 : -1 }
        let rows = [[1.0, -1.0], [-1.0, 1.0], [0.5, 2.0]]
        // A parent with two splits, and the child with a third that starts from the parent's
        // relaxation, slopes and multipliers (as the search bounds its children).
        let parent = bounder.bound(splits, rows: rows, constants: [0, 0, 0], iterations: 20)
        let unit = Int(rng.nextUnit() * Double(bounder.hiddenCount))
        splits[unit] = rng.nextUnit() < 0.5 ? 1 : -1
        let output = OutputSplit(coefficients: [1, 1], threshold: rng.nextNormal(), sign: rng.nextUnit() < 0.5 ? 1 : -1)
        let b = bounder.bound(
            splits, rows: rows, constants: [0, 0, 0], iterations: 60,
            parent: trial % 3 == 0 || parent.infeasible ? nil : parent,
            outputSplits: trial % 2 == 0 ? [output] : [], changed: bounder.offsets.lastIndex { $0 <= unit })
        let points = samples(region, 4000, &rng).filter { x in
            let z = preActivations(net, x)
            guard splits.indices.allSatisfy({ splits[$0] == 0 || Double(splits[$0]) * z[$0] >= 0 }) else {
                return false
            }
            guard trial % 2 == 0 else { return true }
            let y = net.evaluate(x)
            return Double(output.sign) * (y[0] + y[1] - output.threshold) >= 0
        }
        if b.infeasible || b.lower.contains(where: { $0 == .infinity }) {
            // Claimed empty: no sampled input meets the splits.
            #expect(points.isEmpty, "a node called empty has inputs, trial \(trial)")
            empty += 1
            continue
        }
        for x in points {
            let y = net.evaluate(x)
            for (k, r) in rows.enumerated() {
                let v = row(y, r, 0)
                #expect(v >= b.lower[k] - 1e-9 * (1 + abs(v)), "trial \(trial) row \(k): \(v) < \(b.lower[k])")
            }
            checked += 1
        }
    }
    #expect(checked > 1000)
    _ = empty
}

@Test func theZeroSumBoxAndThePolygonGiveTheirFarthestPoints() {
    // Δ ∈ [−0.3, 0] × [0, 0.3] × [0, 0.3], ΣΔ = 0: farthest is (−0.3, 0.3, 0), norm 0.3·√2.
    let v = RobustQuestions.farthestWithZeroSum([-0.3, 0, 0], [0, 0.3, 0.3])
    #expect(abs(v - 0.3 * 2.0.squareRoot()) < 1e-12)
    // Against a brute-force search over a grid of the polytope.
    var rng = SeededGenerator(seed: 3)
    for _ in 0..<20 {
        let lo = (0..<4).map { _ in -rng.nextUnit() }, hi = (0..<4).map { _ in rng.nextUnit() }
        let bound = RobustQuestions.farthestWithZeroSum(lo, hi)
        var best = 0.0
        for _ in 0..<20000 {
            var x = (0..<3).map { lo[$0] + rng.nextUnit() * (hi[$0] - lo[$0]) }
            x.append(-x.reduce(0, +))
            guard x[3] >= lo[3], x[3] <= hi[3] else { continue }
            best = max(best, x.reduce(0) { $0 + $1 * $1 }.squareRoot())
        }
        #expect(best <= bound + 1e-12)
        #expect(best >= bound * 0.9)
    }
    // A square |y_i| ≤ 1 seen through 8 directions: its corner, √2.
    let dirs = (0..<8).map { t in (cos(Double(t) * .pi / 4), sin(Double(t) * .pi / 4)) }
    let h = (0..<8).map { t in t % 2 == 0 ? 1.0 : 2.0.squareRoot() }
    #expect(abs(RobustQuestions.polygonFarthest(dirs, h) - 2.0.squareRoot()) < 1e-9)
}

/// The largest value of the question over dense samples of the region.
private func sampledMax(
    _ net: VerifierNetwork, _ q: SplitQuestion, _ region: InputRegion, _ rng: inout SeededGenerator
) -> Double {
    net.evaluate(batch: samples(region, 20000, &rng)).map(q.value).max() ?? 0
}

@Test func completeEpsilonDeltaAnswersAreRightBySamplingAndReplay() throws {
    var rng = SeededGenerator(seed: 13)
    var decided = 0, holds = 0, violated = 0, total = 0
    for trial in 0..<18 {
        let d = 2 + trial % 6, depth = 1 + trial % 3
        let output: RobustOutput = trial % 3 == 2 ? .logits : .probabilities
        let k = trial % 3 == 1 ? 3 : 2
        let regression = trial % 6 == 5
        let widths = [d] + (0..<depth).map { _ in 6 + trial % 5 } + [regression ? 1 : k]
        let net = try network(widths, seed: UInt64(300 + trial), task: regression ? .regression : nil)
        let region = regions(d, &rng)[trial % 2]
        let center: [Double]
        switch region {
        case .ball(let c, _): center = c
        case .box(let lo, let hi): center = lo.indices.map { (lo[$0] + hi[$0]) / 2 }
        }
        let z0 = net.evaluate(center)
        // ε below the largest sampled change ("holds" would be wrong) and a quarter above it (a
        // margin the search closes on these networks; right at the threshold it may not).
        let probe = RobustQuestions.epsilonDelta(
            outputs: widths.last ?? 1, classification: !regression, output: output, center: z0, epsilon: 1)
        let seen = sampledMax(net, probe, region, &rng)
        guard seen > 1e-6 else { continue }
        for factor in [0.9, 1.25] {
            let epsilon = seen * factor
            let q = RobustQuestions.epsilonDelta(
                outputs: widths.last ?? 1, classification: !regression, output: output, center: z0, epsilon: epsilon)
            let r = SplitSearch.run(net, region: region, question: q, timeout: 20, seed: 1, cancellation: .never)
            total += 1
            switch r.answer {
            case .holds:
                #expect(factor > 1, "holds with ε below a sampled change, trial \(trial)")
                let again = sampledMax(net, q, region, &rng)
                #expect(again <= epsilon + 1e-6, "trial \(trial): sampled \(again) > ε \(epsilon)")
                holds += 1
                decided += 1
            case .violated:
                let x = try #require(r.counterexample)
                #expect(region.contains(x))
                #expect(q.value(net.evaluate(x)) > epsilon)
                #expect(q.value(try net.evaluateFloat(x.map { Float($0) })) > epsilon)
                violated += 1
                decided += 1
            case .undecided:
                Issue.record(
                    "trial \(trial) (\(output), k \(k), regression \(regression)) ε \(epsilon): \(String(describing: r.reason)), bound \(r.bound ?? .nan), \(r.branches) branches"
                )
            }
        }
    }
    #expect(total >= 30)
    #expect(decided == total, "\(total - decided) of \(total) undecided")
    #expect(holds > 5 && violated > 5)
}

@Test func completeLabelAnswersAgreeWithSampling() throws {
    var rng = SeededGenerator(seed: 14)
    var total = 0, decided = 0
    for trial in 0..<12 {
        let d = 2 + trial % 5
        let net = try network([d, 10, 8, 3], seed: UInt64(400 + trial))
        let c = (0..<d).map { _ in rng.nextNormal() }
        let y = net.evaluate(c)
        let label = y.indices.max { y[$0] < y[$1] } ?? 0
        let q = RobustQuestions.label(outputs: 3, label: label)
        for radius in [0.05, 0.3, 1.0] {
            let region = InputRegion.ball(center: c, radius: radius)
            let r = SplitSearch.run(net, region: region, question: q, timeout: 20, seed: 1, cancellation: .never)
            total += 1
            switch r.answer {
            case .holds:
                #expect(sampledMax(net, q, region, &rng) <= 0, "trial \(trial) δ \(radius)")
                decided += 1
            case .violated:
                let x = try #require(r.counterexample)
                let out = try net.evaluateFloat(x.map { Float($0) })
                #expect(region.contains(x) && (out.indices.max { out[$0] < out[$1] } ?? label) != label)
                decided += 1
            case .undecided: break
            }
        }
    }
    #expect(decided == total)
}

@Test func exactRadiusBracketsAreNarrowAndHoldTheTrueRadius() throws {
    let (net, test) = try trainedClassifier(hidden: [12, 8], seed: 9)
    let x = try test.features.gatherRows(Array(0..<8))
    var s = RadiusSettings()
    s.steps = 20; s.restarts = 2; s.seed = 4; s.tolerance = 0.01; s.exact = true; s.exactTimeout = 20
    s.units = .raw  // distances in the raw units the sampling below uses
    let loose = try LabelRadius.measure(
        net, x: x,
        settings: {
            var t = s; t.exact = false; return t
        }())
    let exact = try LabelRadius.measure(net, x: x, settings: s)
    var rng = SeededGenerator(seed: 8)
    let space = try VerifierNetwork(net)
    for (e, l) in zip(exact, loose) {
        let high = try #require(e.attacked)
        // Within the tolerance, and inside the bracket without the complete checks.
        #expect(high - e.certified <= s.tolerance * high, "row \(e.row): [\(e.certified), \(high)]")
        #expect(e.certified >= l.certified - 1e-12)
        #expect(high <= (l.attacked ?? .infinity) + 1e-12)
        #expect((e.exact?.checks ?? 0) > 0)
        // The counterexample changes the label (through the model, raw units) at that distance.
        let point = try #require(e.counterexample)
        #expect(try net.predict(try Matrix([point])).predictedClasses?.first != e.label)
        // No sampled point within the certified radius changes it.
        let c = x.row(e.row).map(Double.init)
        let region = InputRegion.ball(center: c, radius: e.certified)
        let q = RobustQuestions.label(outputs: 2, label: e.label)
        #expect(space.evaluate(batch: samples(region, 5000, &rng)).allSatisfy { q.value($0) <= 0 })
    }
}

@Test func robustMethodCompleteDecidesWhatTheOthersLeaveAndAgreesWithThem() throws {
    let net = try randomNetwork([5, 12, 10, 2], seed: 21)
    var rng = SeededGenerator(seed: 2)
    var features = Matrix(rows: 30, cols: 5)
    for i in features.storage.indices { features.storage[i] = Float(rng.nextNormal()) }
    let test = (features: features, rowCount: 30)
    let space = try VerifierNetwork(net)
    var settled = 0
    for (delta, epsilon) in [(0.2, 0.05), (0.3, 0.05), (0.4, 0.1)] {
        var usual = RobustSettings()
        usual.delta = delta; usual.epsilon = epsilon; usual.samples = 100; usual.steps = 5; usual.restarts = 1
        usual.seed = 5; usual.units = .raw
        var complete = usual
        complete.methods = RobustMethod.usual.union([.complete])
        let before = try Robustness.check(net, x: test.features, settings: usual)
        let after = try Robustness.check(net, x: test.features, settings: complete)
        for (b, a) in zip(before, after) {
            #expect(
                a.verdict != .unknown,
                "δ \(delta) row \(a.row) undecided: \(String(describing: a.complete?.reason)) \(a.complete?.value ?? .nan) \(a.attacked ?? .nan)"
            )
            if b.verdict != .unknown {
                #expect(a.verdict == b.verdict && a.complete == nil)
                continue
            }
            settled += 1
            #expect(a.decidedBy == .complete)
            let c = test.features.row(a.row).map(Double.init)
            let z0 = try space.evaluateFloat(test.features.row(a.row))
            let q = RobustQuestions.epsilonDelta(
                outputs: 2, classification: true, output: .probabilities, center: z0, epsilon: epsilon)
            let region = InputRegion.ball(center: c, radius: delta)
            if a.verdict == .robust {
                #expect(space.evaluate(batch: samples(region, 5000, &rng)).allSatisfy { q.value($0) <= epsilon })
            } else if a.verdict == .notRobust {
                let x = try #require(a.counterexample)
                #expect(region.contains(x.map(Double.init)))
                #expect(q.value(try space.evaluateFloat(x)) > epsilon)
            }
        }
    }
    // The case means something only with examples the usual methods leave unknown.
    #expect(settled >= 3)
}

@Test func verifyAnswersByReluSplittingAreRightBySamplingAndReplay() throws {
    // More inputs than input splitting takes, boxes and L2 balls: "holds" checked by dense
    // sampling, "violated" by the replayed counterexample.
    var rng = SeededGenerator(seed: 15)
    var holds = 0, violated = 0
    for trial in 0..<16 {
        let d = Verifier.inputSplittingLimit + 2 + trial % 4
        let net = try network([d, 12, 10, 3], seed: UInt64(500 + trial))
        let c = (0..<d).map { _ in rng.nextNormal() }
        let y = net.evaluate(c)
        let label = y.indices.max { y[$0] < y[$1] } ?? 0
        let regions: [[VerificationProperty.Constraint]] = (0..<3).filter { $0 != label }.map { j in
            [.init(coefficients: (0..<3).map { $0 == label ? 1 : $0 == j ? -1 : 0 }, constant: 0)]
        }
        let radius = [0.05, 0.3, 1.0, 2.0][trial % 4]
        let box = VerificationProperty(
            inputs: d, outputs: 3,
            cases: [.init(lower: c.map { $0 - radius }, upper: c.map { $0 + radius }, unsafe: regions)])
        for ball in [false, true] {
            let settings = VerifySettings(timeout: 30, seed: 1)
            let r = try Verifier.verify(net, box, settings: settings, ball: ball ? (c, radius) : nil)
            #expect(r.splitting == .relus)
            let region: InputRegion = ball ? .ball(center: c, radius: radius) : .linf(center: c, radius: radius)
            switch r.answer {
            case .holds:
                let ys = net.evaluate(batch: samples(region, 5000, &rng))
                #expect(ys.allSatisfy { out in regions.allSatisfy { Verifier.margin($0, out) > 0 } }, "trial \(trial)")
                holds += 1
            case .violated:
                let cx = try #require(r.counterexample)
                #expect(region.contains(cx.input))
                #expect(Verifier.margin(regions[cx.region], net.evaluate(cx.input)) <= 0)
                #expect(Verifier.margin(regions[cx.region], try net.evaluateFloat(cx.input.map { Float($0) })) <= 0)
                violated += 1
            case .timeout, .unknown:
                Issue.record("trial \(trial) ball \(ball): \(r.answer)")
            }
        }
    }
    #expect(holds >= 4 && violated >= 4)
}
