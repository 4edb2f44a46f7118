import Foundation
import MLELearning
import MLETensor
import MLETestSupport
import Testing

@testable import MLEEvaluation

private let acasxu = "benchmarks/acasxu"

// MARK: VNN-LIB

@Test func everyACASXuPropertyParsesIntoItsBoxesAndRegions() throws {
    // What each of the ten files says, read by eye: boxes, unsafe regions, constraints per region.
    let expected: [Int: (boxes: Int, regions: Int, constraints: Int)] = [
        1: (1, 1, 1), 2: (1, 1, 4), 3: (1, 1, 4), 4: (1, 1, 4), 5: (1, 4, 1), 6: (2, 4, 1), 7: (1, 2, 3),
        8: (1, 3, 2), 9: (1, 4, 1), 10: (1, 4, 1)
    ]
    for (n, e) in expected {
        let p = try VNNLib.read(path: sharedPath("\(acasxu)/prop_\(n).vnnlib"))
        #expect(p.inputs == 5 && p.outputs == 5)
        #expect(p.cases.count == e.boxes, "prop \(n)")
        for c in p.cases {
            #expect(c.unsafe.count == e.regions, "prop \(n)")
            #expect(c.unsafe.allSatisfy { $0.count == e.constraints }, "prop \(n)")
            #expect(zip(c.lower, c.upper).allSatisfy { $0 <= $1 })
        }
    }
    // Property 1: the box's numbers as written, and "unsafe if Y_0 ≥ 3.991125645861615".
    let p1 = try VNNLib.read(path: sharedPath("\(acasxu)/prop_1.vnnlib"))
    #expect(p1.cases[0].lower == [0.6, -0.5, -0.5, 0.45, -0.5])
    #expect(p1.cases[0].upper == [0.679857769, 0.5, 0.5, 0.5, -0.45])
    let c = p1.cases[0].unsafe[0][0]
    #expect(c.coefficients == [-1, 0, 0, 0, 0] && c.constant == 3.991125645861615)
    // Property 2: unsafe when Y_0 is the largest: Y_j − Y_0 ≤ 0 for j = 1…4.
    let p2 = try VNNLib.read(path: sharedPath("\(acasxu)/prop_2.vnnlib"))
    #expect(p2.cases[0].unsafe[0][0].coefficients == [-1, 1, 0, 0, 0])
    // Property 6: two boxes that differ in X_1's sign.
    let p6 = try VNNLib.read(path: sharedPath("\(acasxu)/prop_6.vnnlib"))
    #expect(p6.cases[0].lower[1] == 0.11140846 && p6.cases[1].upper[1] == -0.11140846)
}

@Test func vnnlibArithmeticStrictnessAndEquality() throws {
    let text = """
        ; a comment (declare-const Z Real)
        (declare-const X_0 Real)
        (declare-const X_1 Real)
        (declare-const Y_0 Real)
        (declare-const Y_1 Real)
        (assert (and (>= X_0 -1) (<= X_0 (+ 1 1))))
        (assert (= X_1 0.5))
        (assert (< (+ (* 2 Y_0) (- Y_1 3)) (* 0.5 4)))
        """
    let p = try VNNLib.parse(text)
    #expect(p.cases.count == 1)
    #expect(p.cases[0].lower == [-1, 0.5] && p.cases[0].upper == [2, 0.5])
    // 2·Y_0 + Y_1 − 3 − 2 ≤ 0
    let c = p.cases[0].unsafe[0][0]
    #expect(c.coefficients == [2, 1] && c.constant == -5)
}

@Test func malformedVNNLibFilesSayWhereAndWhat() {
    let head = "(declare-const X_0 Real)\n(declare-const Y_0 Real)\n"
    let cases: [(String, Int, Int, String)] = [
        (head + "(assert (<= X_0 1)", 3, 1, "never closed"),
        (head + "(assert (<= X_0 1)))", 3, 20, "without a matching"),
        (head + "(assert (<= X_9 1))", 3, 13, "'X_9' is not declared"),
        (head + "(assert (<= (* X_0 Y_0) 1))", 3, 13, "not linear"),
        (head + "(assert (<= X_0 Y_0))", 3, 9, "mixes inputs and outputs"),
        (head + "(assert (<= X_0 1))\n(assert (>= Y_0 2))", 3, 1, "X_0 has no lower bound"),
        (head + "(check-sat)", 3, 2, "'check-sat' is not supported"),
        (
            "(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const Y_0 Real)\n(assert (<= (+ X_0 X_1) 1))",
            4, 9, "bound one X at a time"
        ),
        ("(declare-const X_0 Int)", 1, 20, "must be declared Real"),
        ("(declare-const W_0 Real)", 1, 16, "neither"),
        (head + "(assert (~ X_0 1))", 3, 10, "'~' is not a VNN-LIB constraint")
    ]
    for (text, line, column, message) in cases {
        do {
            _ = try VNNLib.parse(text)
            Issue.record("parsed: \(text)")
        } catch let e as VNNLibError {
            #expect(e.line == line && e.column == column, "\(e) for \(text)")
            #expect(e.message.contains(message), "\(e.message)")
        } catch {
            Issue.record("\(error)")
        }
    }
}

// MARK: Bounds

/// A random ReLU network with standardisation left as the identity.
/// A seeded random ReLU network with unit-scale standardisation (also used by SplitSearchTests).
func randomNetwork(_ widths: [Int], seed: UInt64, task: Task? = nil) throws -> MLP {
    var rng = SeededGenerator(seed: seed)
    var layers: [DenseLayer] = []
    for l in 0..<(widths.count - 1) {
        var w = Matrix(rows: widths[l], cols: widths[l + 1])
        for i in 0..<w.storage.count { w.storage[i] = Float(rng.nextNormal()) / Float(widths[l]).squareRoot() }
        layers.append(DenseLayer(weight: w, bias: (0..<widths[l + 1]).map { _ in Float(rng.nextNormal()) * 0.3 }))
    }
    let d = widths[0]
    return MLP(
        layers: layers,
        standardizer: Standardizer(mean: [Float](repeating: 0, count: d), scale: [Float](repeating: 1, count: d)),
        featureNames: (0..<d).map { "x\($0)" },
        task: task ?? .classification(classNames: (0..<widths.last!).map(String.init)))
}

@Test func boundsHoldOnSamplesAndAreNoLooserThanCROWN() throws {
    var rng = SeededGenerator(seed: 11)
    for trial in 0..<12 {
        let d = 2 + trial % 7, hidden = 1 + trial % 3
        let widths = [d] + [Int](repeating: 8 + trial % 9, count: hidden) + [3]
        let mlp = try randomNetwork(widths, seed: UInt64(100 + trial))
        let net = try VerifierNetwork(mlp)
        let center = (0..<d).map { _ in rng.nextUnit() * 2 - 1 }
        let delta = 0.05 + 0.4 * rng.nextUnit()
        // Lower bounds of +y_j and −y_j over the box, as branch and bound sees them.
        let regions: [[VerificationProperty.Constraint]] = (0..<3).flatMap { j -> [[VerificationProperty.Constraint]] in
            var a = [Double](repeating: 0, count: 3)
            a[j] = 1
            return [[.init(coefficients: a, constant: 0)], [.init(coefficients: a.map { -$0 }, constant: 0)]]
        }
        let domain = Domain(
            lower: center.map { $0 - delta }, upper: center.map { $0 + delta }, open: Array(regions.indices), depth: 0)
        let bounder = Bounder(net)
        let lowerOf = try boundsOf(bounder, domain, regions)
        let crown = Certify.bounds(mlp, center: center.map(Float.init), delta: delta, norm: .linf).crown
        for j in 0..<3 {
            let lower = lowerOf[2 * j], upper = -lowerOf[2 * j + 1]
            #expect(lower <= upper)
            // At least as tight as mle's CROWN of the same ball (which is widened by 1e-5 relative).
            #expect(
                lower >= crown.lower[j] - 1e-9 && upper <= crown.upper[j] + 1e-9,
                "trial \(trial), y\(j): [\(lower), \(upper)] against [\(crown.lower[j]), \(crown.upper[j])]")
            // And sound: no sampled point beyond them.
            for _ in 0..<2000 {
                let x = center.map { $0 + delta * (rng.nextUnit() * 2 - 1) }
                let y = net.evaluate(x)[j]
                #expect(y >= lower - 1e-9 && y <= upper + 1e-9)
            }
        }
    }
}

/// The best lower bound of each region (its single constraint) over the domain, recomputed from
/// the outcome: a region is refuted exactly when its bound is above 0, so the outcome alone does
/// not give the number — this shifts each constraint until the bound is found by bisection.
private func boundsOf(
    _ bounder: Bounder, _ domain: Domain, _ regions: [[VerificationProperty.Constraint]]
) throws -> [Double] {
    regions.map { region in
        // Refuted when a·y + c > 0 everywhere, i.e. c > −min a·y: bisect on c.
        var lo = -1e3, hi = 1e3
        for _ in 0..<80 {
            let mid = (lo + hi) / 2
            var shifted = region[0]
            shifted.constant = mid
            let out = bounder.bound(
                [Domain(lower: domain.lower, upper: domain.upper, open: [0], depth: 0)][...], regions: [[shifted]])
            if out[0].openRegions.isEmpty { hi = mid } else { lo = mid }
        }
        return -hi
    }
}

// MARK: Verification

@Test func verifiedAnswersOnRandomNetworksAreRightBySamplingAndReplay() throws {
    var rng = SeededGenerator(seed: 5)
    var answers: [VerifyAnswer: Int] = [:]
    for trial in 0..<40 {
        let d = 2 + trial % 7, hidden = 1 + trial % 3
        let widths = [d] + [Int](repeating: 6 + trial % 7, count: hidden) + [2]
        let mlp = try randomNetwork(widths, seed: UInt64(300 + trial))
        let net = try VerifierNetwork(mlp)
        let center = (0..<d).map { _ in rng.nextUnit() * 2 - 1 }
        let delta = 0.1 + 0.5 * rng.nextUnit()
        let lower = center.map { $0 - delta }, upper = center.map { $0 + delta }
        // Unsafe: y_0 − y_1 ≥ t, with t near the largest sampled value so both answers occur.
        var samples: [[Double]] = []
        var largest = -Double.infinity
        for _ in 0..<3000 {
            let x = (0..<d).map { lower[$0] + rng.nextUnit() * (upper[$0] - lower[$0]) }
            samples.append(x)
            let y = net.evaluate(x)
            largest = max(largest, y[0] - y[1])
        }
        let t = largest + (rng.nextUnit() - 0.5) * 0.2 * (1 + abs(largest))
        let region = [VerificationProperty.Constraint(coefficients: [-1, 1], constant: t)]
        let property = VerificationProperty(
            inputs: d, outputs: 2, cases: [.init(lower: lower, upper: upper, unsafe: [region])])
        var s = VerifySettings(timeout: 20, restarts: 3, steps: 20, seed: UInt64(trial))
        s.threads = 1 + trial % 2
        let r = try Verifier.verify(net, property, settings: s)
        answers[r.answer, default: 0] += 1
        switch r.answer {
        case .holds:
            // Dense sampling (and the box's corners) never reaches the region.
            for x in samples { #expect(net.evaluate(x)[0] - net.evaluate(x)[1] < t, "trial \(trial)") }
            for corner in 0..<(1 << d) {
                let x = (0..<d).map { (corner >> $0) & 1 == 1 ? upper[$0] : lower[$0] }
                let y = net.evaluate(x)
                #expect(y[0] - y[1] < t + 1e-9)
            }
        case .violated:
            let cx = try #require(r.counterexample)
            #expect(zip(cx.input, lower).allSatisfy { $0 >= $1 } && zip(cx.input, upper).allSatisfy { $0 <= $1 })
            let y = net.evaluate(cx.input)
            #expect(region[0].value(y) <= 0 && y == cx.outputs)
            #expect(region[0].value(cx.outputsFloat) <= 0)
        default:
            Issue.record("trial \(trial): \(r.answer)")
        }
    }
    #expect((answers[.holds] ?? 0) >= 8 && (answers[.violated] ?? 0) >= 8, "\(answers)")
}

@Test func aDeadUnsafeRegionAndAnEmptyOneAreAnsweredAtOnce() throws {
    let mlp = try randomNetwork([3, 5, 2], seed: 1)
    let net = try VerifierNetwork(mlp)
    let box = VerificationProperty.Case(lower: [0, 0, 0], upper: [1, 1, 1], unsafe: [[]])
    let r = try Verifier.verify(
        net, VerificationProperty(inputs: 3, outputs: 2, cases: [box]), settings: VerifySettings())
    #expect(r.answer == .violated)
    // y_0 ≥ 1e6 is out of reach: proved at the root.
    var far = box
    far.unsafe = [[.init(coefficients: [-1, 0], constant: 1e6)]]
    let q = try Verifier.verify(
        net, VerificationProperty(inputs: 3, outputs: 2, cases: [far]), settings: VerifySettings())
    #expect(q.answer == .holds && q.decidedAtRoot && q.domains == 1)
}

@Test func boundsThatOverflowProveNothing() throws {
    // y0 = relu(10x), y1 = relu(−10x) on x in [−1e308, 1e308]: 10x overflows to ±∞, the bounds
    // to NaN, and a NaN bound must not count as above 0. y0 − y1 ≥ 1 holds for every x ≥ 0.1.
    let mlp = MLP(
        layers: [
            DenseLayer(weight: try Matrix([[10, -10]]), bias: [0, 0]),
            DenseLayer(weight: try Matrix([[1, 0], [0, 1]]), bias: [0, 0])
        ],
        standardizer: Standardizer(mean: [0], scale: [1]), featureNames: ["x"],
        task: .classification(classNames: ["a", "b"]))
    let box = VerificationProperty.Case(
        lower: [-1e308], upper: [1e308], unsafe: [[.init(coefficients: [-1, 1], constant: 1)]])
    let r = try Verifier.verify(
        try VerifierNetwork(mlp), VerificationProperty(inputs: 1, outputs: 2, cases: [box]),
        settings: VerifySettings(timeout: 1, restarts: 0))
    #expect(r.answer != .holds, "\(r.answer)")
}

@Test func acasXuAnswersAgreeWithThePublishedConsensus() throws {
    // A handful across the properties, the violated ones among them; the whole benchmark is
    // scripts/bench/verify.sh.
    let instances: [(String, Int, VerifyAnswer)] = [
        ("1_1", 1, .holds), ("2_1", 2, .violated), ("1_1", 3, .holds), ("1_7", 3, .violated),
        ("1_1", 4, .holds), ("1_9", 4, .violated), ("1_1", 5, .holds)
    ]
    let consensus = try String(contentsOfFile: sharedPath("\(acasxu)/vnncomp2021_results.csv"), encoding: .utf8)
    for (network, prop, answer) in instances {
        let line = "ACASXU_run2a_\(network)_batch_2000.onnx,prop_\(prop).vnnlib,\(answer.rawValue),"
        #expect(consensus.contains(line), "the published consensus of \(network) prop \(prop)")
        let imported = try ONNXImport.read(path: sharedPath("\(acasxu)/ACASXU_run2a_\(network)_batch_2000.onnx"))
        let mlp = MLP(
            layers: imported.layers,
            standardizer: Standardizer(mean: [Float](repeating: 0, count: 5), scale: [Float](repeating: 1, count: 5)),
            featureNames: (0..<5).map { "x\($0)" }, task: .classification(classNames: (0..<5).map(String.init)))
        let property = try VNNLib.read(path: sharedPath("\(acasxu)/prop_\(prop).vnnlib"))
        let r = try Verifier.verify(try VerifierNetwork(mlp), property, settings: VerifySettings(timeout: 60))
        #expect(r.answer == answer, "\(network) prop \(prop): \(r.answer)")
        if let cx = r.counterexample {
            let region = property.cases[cx.caseIndex].unsafe[cx.region]
            #expect(Verifier.margin(region, cx.outputs) <= 0 && Verifier.margin(region, cx.outputsFloat) <= 0)
        }
    }
}
