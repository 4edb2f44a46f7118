import CKernels
import Foundation
import MLELearning
import MLETensor
import MLETestSupport
import Testing

@testable import MLEEvaluation

/// CROWN written the plain way, one bound at a time with nested loops over the float32 weights:
/// no GEMM, no Gram matrix, no skipped columns, no C kernels, no threads. The same rules as
/// `Certify` (CROWN rows only for the units IBP from CROWN's previous bounds cannot show stable,
/// each intersected with that IBP bound; adaptive lower lines), so the two must agree to
/// rounding. Returns the unwidened logit bounds and the bounds of z_i − z_j.
private func plainCrown(_ net: MLP, center x: [Double], delta: Double, norm: PerturbationNorm)
    -> (lower: [Double], upper: [Double], difference: [[Double]])
{
    let layers = net.layers
    func w(_ k: Int, _ i: Int, _ o: Int) -> Double { Double(layers[k].weight[i, o]) }
    func b(_ k: Int, _ o: Int) -> Double { Double(layers[k].bias[o]) }
    let d = layers[0].inputs, n0 = layers[0].outputs
    let z0 = (0..<n0).map { o in (0..<d).reduce(b(0, o)) { $0 + x[$1] * w(0, $1, o) } }
    func dual(_ v: [Double]) -> Double {
        norm == .l2 ? v.reduce(0) { $0 + $1 * $1 }.squareRoot() : v.reduce(0) { $0 + abs($1) }
    }
    let radius0 = (0..<n0).map { o in delta * dual((0..<d).map { w(0, $0, o) }) }
    var lower = [zip(z0, radius0).map { $0 - $1 }], upper = [zip(z0, radius0).map { $0 + $1 }]

    /// Upper bound over the ball of Σ_o c[o]·z_k[o], back-substituted through layers k−1 … 0.
    func bound(_ c: [Double], layer k: Int) -> Double {
        var lambda = c  // coefficients on z_j, j = k at first
        var constant = (0..<c.count).reduce(0.0) { $0 + c[$1] * b(k, $1) }
        var j = k
        while j > 0 {
            // On a_{j−1} = relu(z_{j−1}) through W_j.
            let m = layers[j].inputs
            var onA = [Double](repeating: 0, count: m)
            for i in 0..<m { for o in lambda.indices { onA[i] += lambda[o] * w(j, i, o) } }
            // Relax each unit of z_{j−1}.
            var onZ = [Double](repeating: 0, count: m)
            for i in 0..<m {
                let lo = lower[j - 1][i], hi = upper[j - 1][i], coefficient = onA[i]
                if hi <= 0 { continue }
                if lo >= 0 { onZ[i] = coefficient; continue }
                if coefficient > 0 {
                    let slope = hi / (hi - lo)
                    onZ[i] = coefficient * slope
                    constant -= coefficient * slope * lo
                } else if hi > -lo {
                    onZ[i] = coefficient
                }
            }
            lambda = onZ
            j -= 1
            constant += (0..<m).reduce(0.0) { $0 + lambda[$1] * b(j, $1) }
        }
        // λ on z0 = x·W0 + b0 (b0 already counted): λ·(x0·W0) ± δ‖λW0ᵀ‖*.
        let inputSide = (0..<d).map { i in (0..<n0).reduce(0.0) { $0 + lambda[$1] * w(0, i, $1) } }
        let atCenter = (0..<d).reduce(0.0) { $0 + x[$1] * inputSide[$1] }
        return constant + atCenter + delta * dual(inputSide)
    }
    func ibp(_ k: Int, _ l: [Double], _ u: [Double]) -> (lower: [Double], upper: [Double]) {
        let m = layers[k].inputs, n = layers[k].outputs
        var lo = [Double](repeating: 0, count: n), hi = lo
        for o in 0..<n {
            var mid = b(k, o), rad = 0.0
            for i in 0..<m {
                let a = max(l[i], 0), c = max(u[i], 0)
                mid += (a + c) / 2 * w(k, i, o)
                rad += (c - a) / 2 * abs(w(k, i, o))
            }
            lo[o] = mid - rad; hi[o] = mid + rad
        }
        return (lo, hi)
    }
    let last = layers.count - 1
    for k in stride(from: 1, to: last, by: 1) {
        var (l, u) = ibp(k, lower[k - 1], upper[k - 1])
        for o in 0..<layers[k].outputs where l[o] < 0 && u[o] > 0 {
            var unit = [Double](repeating: 0, count: layers[k].outputs)
            unit[o] = 1
            u[o] = min(u[o], bound(unit, layer: k))
            unit[o] = -1
            l[o] = max(l[o], -bound(unit, layer: k))
        }
        lower.append(l); upper.append(u)
    }
    let classes = layers[last].outputs
    let box = ibp(last, lower[last - 1], upper[last - 1])
    var lo = box.lower, hi = box.upper
    var difference = [[Double]](repeating: [Double](repeating: 0, count: classes), count: classes)
    for o in 0..<classes {
        var unit = [Double](repeating: 0, count: classes)
        unit[o] = 1
        hi[o] = min(hi[o], bound(unit, layer: last))
        unit[o] = -1
        lo[o] = max(lo[o], -bound(unit, layer: last))
        for other in 0..<classes where other != o {
            var pair = [Double](repeating: 0, count: classes)
            pair[o] = 1; pair[other] = -1
            difference[o][other] = bound(pair, layer: last)
        }
    }
    return (lo, hi, difference)
}

/// A network with random weights of the given widths (biases spread so that at the radii below
/// some units are always off, some always on and some unstable).
private func randomNetwork(_ widths: [Int], seed: UInt64) throws -> MLP {
    var rng = SeededGenerator(seed: seed)
    let layers = try (1..<widths.count).map { k in
        let m = widths[k - 1], n = widths[k]
        let w = (0..<m).map { _ in (0..<n).map { _ in Float(rng.nextUnit() * 2 - 1) / Float(m).squareRoot() } }
        return DenseLayer(weight: try Matrix(w), bias: (0..<n).map { _ in Float(rng.nextUnit() * 2 - 1) })
    }
    let d = widths[0]
    return MLP(
        layers: layers,
        standardizer: Standardizer(mean: [Float](repeating: 0, count: d), scale: [Float](repeating: 1, count: d)),
        featureNames: (0..<d).map { "x\($0)" },
        task: .classification(classNames: (0..<(widths.last ?? 1)).map { "c\($0)" }))
}

@Test func crownEqualsAPlainOneBoundAtATimeImplementation() throws {
    // Inputs wider than the first layer (L2 reads the dual norm from the Gram matrix) and
    // narrower; one to three hidden layers; radii from nearly stable to mostly unstable.
    var compared = 0, skippedColumns = 0, unstable = 0
    for (n, widths) in [[12, 8, 10, 6, 3], [4, 9, 7, 3], [10, 6, 2], [7, 5, 6, 5, 6, 4]].enumerated() {
        let net = try randomNetwork(widths, seed: UInt64(11 + n))
        var rng = SeededGenerator(seed: UInt64(100 + n))
        let centers = (0..<6).map { _ in (0..<widths[0]).map { _ in rng.nextUnit() * 2 - 1 } }
        for norm in PerturbationNorm.allCases {
            let plan = Certify.Plan(net, norm: norm)
            for delta in [0.05, 0.3, 1.0, 3.0] {
                let ours = Certify.bounds(
                    plan, centers: centers, deltas: [Double](repeating: delta, count: centers.count))
                #expect(ours.count == centers.count)
                for (e, bounds) in ours.enumerated() {
                    let plain = plainCrown(net, center: centers[e], delta: delta, norm: norm)
                    for o in plain.lower.indices {
                        #expect(
                            abs(bounds.crown.lower[o] - widened(plain.lower[o], up: false)) <= 1e-9
                                * (1 + abs(plain.lower[o])))
                        #expect(
                            abs(bounds.crown.upper[o] - widened(plain.upper[o], up: true)) <= 1e-9
                                * (1 + abs(plain.upper[o])))
                        for other in plain.lower.indices where other != o {
                            let box = widened(plain.upper[o], up: true) - widened(plain.lower[other], up: false)
                            let expected = widened(min(plain.difference[o][other], box), up: true)
                            let got = bounds.crown.differenceUpper?[o][other] ?? .nan
                            #expect(abs(got - expected) <= 1e-9 * (1 + abs(expected)))
                        }
                        compared += 1
                    }
                    // What the fast path skips: first-layer units that are off over the whole ball.
                    let relaxation = Certify.Relaxation(
                        lower: (0..<widths[1]).map { o in
                            (0..<widths[0]).reduce(Double(net.layers[0].bias[o])) {
                                $0 + centers[e][$1] * Double(net.layers[0].weight[$1, o])
                            } - delta * plan.columnNorms[o]
                        },
                        upper: (0..<widths[1]).map { o in
                            (0..<widths[0]).reduce(Double(net.layers[0].bias[o])) {
                                $0 + centers[e][$1] * Double(net.layers[0].weight[$1, o])
                            } + delta * plan.columnNorms[o]
                        })
                    skippedColumns += widths[1] - relaxation.kept.count
                    unstable += relaxation.upperAt.filter { $0 != 0 }.count
                }
            }
        }
    }
    #expect(compared > 500)
    // Both kinds of unit occur, so the skipped columns and the relaxation are both exercised.
    #expect(skippedColumns > 50 && unstable > 50)
}

@Test func crownBoundsDoNotDependOnTheThreads() throws {
    let net = try randomNetwork([20, 16, 16, 5], seed: 3)
    var rng = SeededGenerator(seed: 9)
    let centers = (0..<40).map { _ in (0..<20).map { _ in rng.nextUnit() * 2 - 1 } }
    let deltas = (0..<40).map { 0.02 * Double($0 + 1) }
    let plan = Certify.Plan(net, norm: .l2)
    let one = Certify.bounds(plan, centers: centers, deltas: deltas, workers: 1)
    let two = Certify.bounds(plan, centers: centers, deltas: deltas, workers: 2)
    #expect(one.count == 40 && two.count == 40)
    for (a, b) in zip(one, two) {
        #expect(
            a.crown.lower == b.crown.lower && a.crown.upper == b.crown.upper
                && a.crown.differenceUpper == b.crown.differenceUpper)
        #expect(a.ibp.lower == b.ibp.lower && a.ibp.upper == b.ibp.upper)
    }
    // A centre of the wrong size gives no bounds rather than an out-of-range read.
    #expect(Certify.bounds(plan, centers: [[1, 2]], deltas: [0.1]).isEmpty)
}

@Test func crownRelaxKernelEqualsItsDefinition() {
    // Widths around the kernel's eight lanes, every kind of unit and coefficient sign.
    var rng = SeededGenerator(seed: 5)
    for width in [1, 7, 8, 9, 16, 23] {
        let rows = 3
        var a = (0..<(rows * width)).map { _ in rng.nextUnit() < 0.2 ? 0 : rng.nextUnit() * 4 - 2 }
        let lower = (0..<width).map { _ in rng.nextUnit() * 4 - 3 }
        let upper = lower.map { $0 + rng.nextUnit() * 4 }
        let relaxation = Certify.Relaxation(lower: lower, upper: upper)
        var constant = [Double](repeating: 1, count: rows)
        var expectedA = a, expectedConstant = constant
        for r in 0..<rows {
            for i in 0..<width {
                let c = a[r * width + i], lo = lower[i], hi = upper[i]
                if hi <= 0 {
                    expectedA[r * width + i] = 0
                } else if lo >= 0 {
                    expectedA[r * width + i] = c
                } else if c > 0 {
                    expectedA[r * width + i] = c * hi / (hi - lo)
                    expectedConstant[r] -= c * hi / (hi - lo) * lo
                } else {
                    expectedA[r * width + i] = hi > -lo ? c : 0
                }
            }
        }
        a.withUnsafeMutableBufferPointer { pa in
            constant.withUnsafeMutableBufferPointer { pc in
                mle_crown_relax(
                    pa.baseAddress!, rows, width, relaxation.upperSlope, relaxation.lowerSlope,
                    relaxation.upperAt, pc.baseAddress!)
            }
        }
        for i in a.indices { #expect(abs(a[i] - expectedA[i]) <= 1e-15 * (1 + abs(expectedA[i]))) }
        for r in 0..<rows { #expect(abs(constant[r] - expectedConstant[r]) <= 1e-13 * (1 + abs(expectedConstant[r]))) }
    }
}
