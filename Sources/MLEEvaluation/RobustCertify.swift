import Foundation
import MLELearning
import MLETensor

/// Bounds on a ReLU network's logits over an input ball.
public struct LogitBounds: Sendable {
    public var lower: [Double]
    public var upper: [Double]
    /// upper bound of z_i − z_j, row i, column j (0 on the diagonal); nil for IBP (the box gives it).
    public var differenceUpper: [[Double]]?
}

/// Interval bound propagation and CROWN (Zhang et al. 2018) for the ball
/// ‖x − x0‖ ≤ δ in L2 or L∞, in double precision from the network's float32 weights.
///
/// Soundness and floating point: the bounds hold for the network evaluated in exact arithmetic.
/// They are computed in double precision (relative rounding about 1e-16 per operation, far
/// below the float32 forward pass's own rounding), and every final logit bound is widened by
/// 1e-5·(1 + |bound|) so that they also hold for mle's float32 evaluations, whose error on
/// these networks is of order 1e-6 relative.
///
/// Speed: many balls go through together. Back-substitution keeps one coefficient row per bound
/// it wants, stacks the rows of every ball in the batch, and moves them through each layer with
/// one double-precision GEMM; a hidden unit gets CROWN rows only when IBP cannot already show it
/// stable (a stable unit's relaxation does not depend on its bounds). For L2 balls on a first
/// layer narrower than the input, ‖λW₀ᵀ‖₂ is read from the Gram matrix W₀ᵀW₀ (√(λ·G·λᵀ)), which
/// costs n₀² per row instead of n₀·d.
public enum Certify {
    static let margin = 1e-5

    /// How the bounds of hidden pre-activations are found: CROWN, tightened by IBP (what mle
    /// reports), or IBP alone, which makes the final bound CROWN-IBP (Zhang et al. 2020); the
    /// latter exists to check the back-substitution against an independent implementation.
    enum Intermediate { case crown, ibp }

    /// The network in double precision, with what every ball shares.
    struct Plan {
        let count: Int
        let inputs: [Int], outputs: [Int]
        /// Per layer, row-major inputs × outputs; and the same with absolute values (for IBP).
        let w: [[Double]], absW: [[Double]], b: [[Double]]
        let norm: PerturbationNorm
        /// The dual norm of each column of the first layer's weights: a first-layer unit moves by
        /// at most δ times it.
        let columnNorms: [Double]
        /// W₀ᵀW₀ (n₀ × n₀), kept for L2 when the first layer is narrower than the input.
        var gram: [Double]?

        init(_ net: MLP, norm: PerturbationNorm) {
            count = net.layers.count
            inputs = net.layers.map(\.inputs)
            outputs = net.layers.map(\.outputs)
            w = net.layers.map { $0.weight.storage.map(Double.init) }
            absW = w.map { $0.map(abs) }
            b = net.layers.map { $0.bias.map(Double.init) }
            self.norm = norm
            let d = inputs.first ?? 0, n0 = outputs.first ?? 0
            let w0 = w.first ?? []
            columnNorms = (0..<n0).map { o in
                var sum = 0.0
                for i in 0..<d {
                    let v = w0[i * n0 + o]
                    sum += norm == .l2 ? v * v : abs(v)
                }
                return norm == .l2 ? sum.squareRoot() : sum
            }
            if norm == .l2, n0 < d, d > 0 {
                var g = [Double](repeating: 0, count: n0 * n0)
                w0.withUnsafeBufferPointer { p in
                    g.withUnsafeMutableBufferPointer { q in
                        if let a = p.baseAddress, let c = q.baseAddress {
                            DoubleGEMM.multiply(a, transposeA: true, a, into: c, m: n0, n: n0, k: d)
                        }
                    }
                }
                gram = g
            } else {
                gram = nil
            }
        }

        /// The largest product a batch of `balls` makes, to choose BLAS's thread count.
        func work(balls: Int) -> Int {
            let widest = max(outputs.max() ?? 0, inputs.max() ?? 0)
            return balls * 2 * widest * inputs.reduce(0, +)
        }
    }

    /// One row of a back-substitution: an upper bound of sign·z[unit] − sign·z[other] for one ball.
    struct SpecRow {
        var ball: Int
        var unit: Int
        var sign: Double
        var other: Int = -1
    }

    /// IBP and CROWN bounds on the logits of `net` (inputs are points of its space) over one ball.
    public static func bounds(_ net: MLP, center: [Float], delta: Double, norm: PerturbationNorm) -> (crown: LogitBounds, ibp: LogitBounds) {
        let plan = Plan(net, norm: norm)
        let all = BLASThreads.forProductsOf(size: plan.work(balls: 1)) {
            bounds(plan, centers: [center.map(Double.init)], deltas: [delta])
        }
        return all.first ?? (LogitBounds(lower: [], upper: []), LogitBounds(lower: [], upper: []))
    }

    /// IBP and CROWN bounds for each ball (centre in the network's space, radius), together.
    static func bounds(_ plan: Plan, centers: [[Double]], deltas: [Double], intermediate: Intermediate = .crown)
        -> [(crown: LogitBounds, ibp: LogitBounds)] {
        let balls = centers.count
        guard balls > 0, plan.count > 0, deltas.count == balls else { return [] }
        let d = plan.inputs[0], n0 = plan.outputs[0]
        // Layer 0 is linear in x: exact bounds x0·W0 + b0 ± δ‖W0[:, o]‖*, the same for both methods.
        var z0 = [Double](repeating: 0, count: balls * n0)
        for e in 0..<balls { for o in 0..<n0 { z0[e * n0 + o] = plan.b[0][o] } }
        let x = centers.flatMap { $0 }
        guard x.count == balls * d else { return [] }
        multiply(x, plan.w[0], into: &z0, m: balls, n: n0, k: d, beta: 1)
        var l0 = z0, u0 = z0
        for e in 0..<balls {
            for o in 0..<n0 {
                let r = deltas[e] * plan.columnNorms[o]
                l0[e * n0 + o] -= r
                u0[e * n0 + o] += r
            }
        }
        var ibpLower = [l0], ibpUpper = [u0]
        var lower = [l0], upper = [u0]
        let last = plan.count - 1
        for k in stride(from: 1, to: plan.count, by: 1) {
            let ibp = intervalStep(plan, k, ibpLower[k - 1], ibpUpper[k - 1], balls: balls)
            ibpLower.append(ibp.lower); ibpUpper.append(ibp.upper)
            if k == last { break }
            if intermediate == .ibp {
                lower.append(ibp.lower); upper.append(ibp.upper)
                continue
            }
            // CROWN, intersected with IBP from CROWN's own previous bounds (both are sound),
            // for the units IBP cannot show stable.
            var (l, u) = intervalStep(plan, k, lower[k - 1], upper[k - 1], balls: balls)
            let n = plan.outputs[k]
            var rows: [SpecRow] = []
            for e in 0..<balls {
                for o in 0..<n where l[e * n + o] < 0 && u[e * n + o] > 0 {
                    rows.append(SpecRow(ball: e, unit: o, sign: 1))
                    rows.append(SpecRow(ball: e, unit: o, sign: -1))
                }
            }
            let bound = upperBounds(plan, layer: k, rows: rows, lower: lower, upper: upper, z0: z0, deltas: deltas)
            for (r, row) in rows.enumerated() {
                let i = row.ball * n + row.unit
                if row.sign > 0 { u[i] = min(u[i], bound[r]) } else { l[i] = max(l[i], -bound[r]) }
            }
            lower.append(l); upper.append(u)
        }

        let k = plan.outputs[last]
        // Without a hidden layer the exact first-layer bounds are the logits' bounds.
        var crownLower = lower[0], crownUpper = upper[0]
        var differences = [Double](repeating: .infinity, count: balls * k * k)
        if last >= 1 {
            var rows: [SpecRow] = []
            for e in 0..<balls {
                for o in 0..<k {
                    rows.append(SpecRow(ball: e, unit: o, sign: 1))
                    rows.append(SpecRow(ball: e, unit: o, sign: -1))
                }
                // z_i − z_j, for the probability bound and the label.
                if k > 1 { for i in 0..<k { for j in 0..<k where i != j { rows.append(SpecRow(ball: e, unit: i, sign: 1, other: j)) } } }
            }
            let bound = upperBounds(plan, layer: last, rows: rows, lower: lower, upper: upper, z0: z0, deltas: deltas)
            crownLower = [Double](repeating: -.infinity, count: balls * k)
            crownUpper = [Double](repeating: .infinity, count: balls * k)
            for (r, row) in rows.enumerated() {
                if row.other >= 0 {
                    differences[(row.ball * k + row.unit) * k + row.other] = bound[r]
                } else if row.sign > 0 {
                    crownUpper[row.ball * k + row.unit] = bound[r]
                } else {
                    crownLower[row.ball * k + row.unit] = -bound[r]
                }
            }
            if intermediate == .crown {
                let fromCrown = intervalStep(plan, last, lower[last - 1], upper[last - 1], balls: balls)
                for i in crownLower.indices {
                    crownLower[i] = max(crownLower[i], fromCrown.lower[i])
                    crownUpper[i] = min(crownUpper[i], fromCrown.upper[i])
                }
            }
        }
        func widened(_ v: Double, up: Bool) -> Double { up ? v + margin * (1 + abs(v)) : v - margin * (1 + abs(v)) }
        return (0..<balls).map { e in
            let range = (e * k)..<(e * k + k)
            let cl = crownLower[range].map { widened($0, up: false) }, cu = crownUpper[range].map { widened($0, up: true) }
            var difference = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
            for i in 0..<k {
                for j in 0..<k where i != j {
                    difference[i][j] = widened(min(differences[(e * k + i) * k + j], cu[i] - cl[j]), up: true)
                }
            }
            return (LogitBounds(lower: cl, upper: cu, differenceUpper: difference),
                    LogitBounds(lower: ibpLower[last][range].map { widened($0, up: false) },
                                upper: ibpUpper[last][range].map { widened($0, up: true) }, differenceUpper: nil))
        }
    }

    /// `c (m × n) = a (m × k) · b (k × n) (+ c when beta is 1)`, or with b stored n × k.
    static func multiply(_ a: [Double], _ b: [Double], transposeB: Bool = false, into c: inout [Double],
                         m: Int, n: Int, k: Int, beta: Double = 0) {
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    guard let a = pa.baseAddress, let b = pb.baseAddress, let c = pc.baseAddress else { return }
                    DoubleGEMM.multiply(a, b, transposeB: transposeB, into: c, m: m, n: n, k: k, beta: beta)
                }
            }
        }
    }

    /// One IBP step for every ball: bounds of layer k's pre-activation from layer k − 1's
    /// (balls × width, row-major): centre·W + b ± radius·|W| of the ReLU'd box.
    static func intervalStep(_ plan: Plan, _ k: Int, _ l: [Double], _ u: [Double], balls: Int) -> (lower: [Double], upper: [Double]) {
        let m = plan.inputs[k], n = plan.outputs[k]
        var mid = [Double](repeating: 0, count: balls * m), rad = mid
        for i in 0..<(balls * m) {
            let lo = max(l[i], 0), hi = max(u[i], 0)
            mid[i] = (lo + hi) / 2
            rad[i] = (hi - lo) / 2
        }
        var center = [Double](repeating: 0, count: balls * n)
        for e in 0..<balls { for o in 0..<n { center[e * n + o] = plan.b[k][o] } }
        multiply(mid, plan.w[k], into: &center, m: balls, n: n, k: m, beta: 1)
        var radius = [Double](repeating: 0, count: balls * n)
        multiply(rad, plan.absW[k], into: &radius, m: balls, n: n, k: m)
        var lower = center, upper = center
        for i in 0..<(balls * n) { lower[i] -= radius[i]; upper[i] += radius[i] }
        return (lower, upper)
    }

    /// CROWN's back-substitution: for each row, an upper bound over its ball of the row's
    /// combination of layer `layer`'s pre-activations, given bounds on every earlier layer's.
    static func upperBounds(_ plan: Plan, layer k: Int, rows: [SpecRow], lower: [[Double]], upper: [[Double]],
                            z0: [Double], deltas: [Double]) -> [Double] {
        let count = rows.count
        guard count > 0 else { return [] }
        // The rows on a_{k−1}: sign·(W_k[:, unit] − W_k[:, other]), constants from b_k.
        var width = plan.inputs[k]
        let n = plan.outputs[k]
        var a = [Double](repeating: 0, count: count * width)
        var constant = [Double](repeating: 0, count: count)
        for (r, row) in rows.enumerated() {
            constant[r] = row.sign * (plan.b[k][row.unit] - (row.other >= 0 ? plan.b[k][row.other] : 0))
            for i in 0..<width {
                let v = plan.w[k][i * n + row.unit] - (row.other >= 0 ? plan.w[k][i * n + row.other] : 0)
                a[r * width + i] = row.sign * v
            }
        }
        var j = k - 1
        while true {
            // a_j = relu(z_j): relax each unit by a line, chosen by the sign of its coefficient.
            let l = lower[j], u = upper[j]
            for (r, row) in rows.enumerated() {
                let base = row.ball * width
                for i in 0..<width {
                    let c = a[r * width + i]
                    if c == 0 { continue }
                    let lo = l[base + i], hi = u[base + i]
                    if hi <= 0 {
                        a[r * width + i] = 0
                    } else if lo < 0 {
                        if c > 0 {
                            // The upper line: relu(z) ≤ slope·(z − l).
                            let slope = hi / (hi - lo)
                            a[r * width + i] = c * slope
                            constant[r] -= c * slope * lo
                        } else if hi <= -lo {
                            // The lower line: relu(z) ≥ z when u > −l, else ≥ 0 (CROWN's choice).
                            a[r * width + i] = 0
                        }
                    }
                }
            }
            if j == 0 { break }
            // z_j = a_{j−1}·W_j + b_j.
            for r in 0..<count {
                var c = 0.0
                for i in 0..<width { c += a[r * width + i] * plan.b[j][i] }
                constant[r] += c
            }
            let previous = plan.inputs[j]
            var next = [Double](repeating: 0, count: count * previous)
            multiply(a, plan.w[j], transposeB: true, into: &next, m: count, n: previous, k: width)
            a = next
            width = previous
            j -= 1
        }
        // Over the ball: λ·z0(x0) ± δ‖λW0ᵀ‖* (the dual norm).
        let d = plan.inputs[0]
        var out = [Double](repeating: 0, count: count)
        if let gram = plan.gram {
            var p = [Double](repeating: 0, count: count * width)
            multiply(a, gram, into: &p, m: count, n: width, k: width)
            for (r, row) in rows.enumerated() {
                var dot = 0.0, q = 0.0
                for i in 0..<width {
                    dot += a[r * width + i] * z0[row.ball * width + i]
                    q += a[r * width + i] * p[r * width + i]
                }
                out[r] = constant[r] + dot + deltas[row.ball] * max(q, 0).squareRoot()
            }
        } else {
            var inputSide = [Double](repeating: 0, count: count * d)
            multiply(a, plan.w[0], transposeB: true, into: &inputSide, m: count, n: d, k: width)
            for (r, row) in rows.enumerated() {
                var dot = 0.0, dual = 0.0
                for i in 0..<width { dot += a[r * width + i] * z0[row.ball * width + i] }
                for i in 0..<d {
                    let v = inputSide[r * d + i]
                    dual += plan.norm == .l2 ? v * v : abs(v)
                }
                out[r] = constant[r] + dot + deltas[row.ball] * (plan.norm == .l2 ? dual.squareRoot() : dual)
            }
        }
        return out
    }

    /// A sound bound on ‖f(x′) − f(x)‖ over the ball from bounds on the logits, for the output ε
    /// is measured on; `center` is the logits at x.
    public static func outputBound(_ b: LogitBounds, center z: [Double], net: MLP, output: RobustOutput) -> Double {
        let k = z.count
        guard net.task.isClassification else {
            return max(b.upper[0] - z[0], z[0] - b.lower[0], 0) * Double(net.targetScale)
        }
        if output == .logits {
            var sum = 0.0
            for j in 0..<k { let e = max(b.upper[j] - z[j], z[j] - b.lower[j], 0); sum += e * e }
            return sum.squareRoot()
        }
        // Probabilities: p_j = 1 / Σ_i exp(z_i − z_j), monotone in every difference.
        let zmax = z.max() ?? 0
        let ez = z.map { exp($0 - zmax) }
        let total = ez.reduce(0, +)
        var sum = 0.0
        for j in 0..<k {
            let p = ez[j] / total
            var hiDen = 1.0, loDen = 1.0
            for i in 0..<k where i != j {
                let up = b.differenceUpper?[i][j] ?? (b.upper[i] - b.lower[j])
                let lowDiff = -(b.differenceUpper?[j][i] ?? (b.upper[j] - b.lower[i]))
                loDen += exp(min(up, 700))
                hiDen += exp(min(lowDiff, 700))
            }
            let pLow = 1 / loDen, pHigh = 1 / hiDen
            let e = max(pHigh - p, p - pLow, 0)
            sum += e * e
        }
        // Two probability vectors are never further apart than √2; 1e-7 covers float32 softmax.
        return min(sum.squareRoot(), 2.0.squareRoot()) + 1e-7
    }
}
