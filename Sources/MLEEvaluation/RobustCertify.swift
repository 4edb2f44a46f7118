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
public enum Certify {
    static let margin = 1e-5

    struct Layers {
        var w: [[Double]]      // per layer, row-major inputs × outputs
        var b: [[Double]]
        var inputs: [Int], outputs: [Int]
    }

    static func layers(_ net: MLP) -> Layers {
        Layers(w: net.layers.map { $0.weight.storage.map(Double.init) }, b: net.layers.map { $0.bias.map(Double.init) },
               inputs: net.layers.map(\.inputs), outputs: net.layers.map(\.outputs))
    }

    /// The dual norm of the ball's norm: L2 for L2, L1 for L∞.
    @inline(__always)
    static func dualNorm(_ v: UnsafeBufferPointer<Double>, _ norm: PerturbationNorm) -> Double {
        switch norm {
        case .l2: return v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        case .linf: return v.reduce(0) { $0 + abs($1) }
        }
    }

    /// IBP and CROWN bounds on the logits of `net` (inputs are points of its space) over the ball.
    public static func bounds(_ net: MLP, center: [Float], delta: Double, norm: PerturbationNorm) -> (crown: LogitBounds, ibp: LogitBounds) {
        let L = layers(net)
        let x0 = center.map(Double.init)
        let count = L.w.count
        // Layer 0 is linear in x: exact bounds, the same for both methods.
        var first = (lower: [Double](), upper: [Double]())
        do {
            let n = L.outputs[0], m = L.inputs[0]
            var column = [Double](repeating: 0, count: m)
            for o in 0..<n {
                var c = L.b[0][o]
                for i in 0..<m { c += x0[i] * L.w[0][i * n + o]; column[i] = L.w[0][i * n + o] }
                let r = delta * column.withUnsafeBufferPointer { dualNorm($0, norm) }
                first.lower.append(c - r); first.upper.append(c + r)
            }
        }
        var ibpLower = [first.lower], ibpUpper = [first.upper]
        var lower = [first.lower], upper = [first.upper]
        for k in 1..<max(count, 1) {
            let ibp = intervalStep(L, k, ibpLower[k - 1], ibpUpper[k - 1])
            ibpLower.append(ibp.lower); ibpUpper.append(ibp.upper)
            // CROWN, intersected with IBP from CROWN's own previous bounds (both are sound).
            let fromCrown = intervalStep(L, k, lower[k - 1], upper[k - 1])
            let n = L.outputs[k]
            var identity = [Double](repeating: 0, count: n * n)
            for i in 0..<n { identity[i * n + i] = 1 }
            let up = backSubstitute(L, layer: k, spec: identity, rows: n, lower: lower, upper: upper, x0: x0, delta: delta, norm: norm, upperBound: true)
            let lo = backSubstitute(L, layer: k, spec: identity, rows: n, lower: lower, upper: upper, x0: x0, delta: delta, norm: norm, upperBound: false)
            lower.append((0..<n).map { max(lo[$0], fromCrown.lower[$0]) })
            upper.append((0..<n).map { min(up[$0], fromCrown.upper[$0]) })
        }
        func widened(_ l: [Double], _ u: [Double]) -> ([Double], [Double]) {
            (l.map { $0 - margin * (1 + abs($0)) }, u.map { $0 + margin * (1 + abs($0)) })
        }
        let last = count - 1
        let (cl, cu) = widened(lower[last], upper[last])
        let (il, iu) = widened(ibpLower[last], ibpUpper[last])
        // Differences z_i − z_j for the probability bound: C = e_i − e_j on the output layer.
        let k = L.outputs[last]
        var difference = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
        if k > 1, last >= 1 {
            var spec = [Double](repeating: 0, count: k * k * k)
            for i in 0..<k { for j in 0..<k where i != j { spec[(i * k + j) * k + i] = 1; spec[(i * k + j) * k + j] = -1 } }
            let up = backSubstitute(L, layer: last, spec: spec, rows: k * k, lower: lower, upper: upper, x0: x0, delta: delta,
                                    norm: norm, upperBound: true)
            for i in 0..<k {
                for j in 0..<k where i != j {
                    let v = min(up[i * k + j], cu[i] - cl[j])
                    difference[i][j] = v + margin * (1 + abs(v))
                }
            }
        } else {
            for i in 0..<k { for j in 0..<k where i != j { difference[i][j] = cu[i] - cl[j] } }
        }
        return (LogitBounds(lower: cl, upper: cu, differenceUpper: difference),
                LogitBounds(lower: il, upper: iu, differenceUpper: nil))
    }

    /// One IBP step: bounds of layer k's pre-activation from layer k − 1's.
    static func intervalStep(_ L: Layers, _ k: Int, _ l: [Double], _ u: [Double]) -> (lower: [Double], upper: [Double]) {
        let m = L.inputs[k], n = L.outputs[k]
        var lower = [Double](repeating: 0, count: n), upper = lower
        for o in 0..<n {
            var mid = L.b[k][o], rad = 0.0
            for i in 0..<m {
                let lo = max(l[i], 0), hi = max(u[i], 0)
                let w = L.w[k][i * n + o]
                mid += w * (lo + hi) / 2
                rad += abs(w) * (hi - lo) / 2
            }
            lower[o] = mid - rad; upper[o] = mid + rad
        }
        return (lower, upper)
    }

    /// CROWN's back-substitution: an upper (or lower) bound of spec · z_layer over the ball, for
    /// each of the `rows` rows of `spec` (row-major rows × width of the layer), given bounds
    /// on the pre-activations of every earlier layer.
    static func backSubstitute(_ L: Layers, layer: Int, spec: [Double], rows: Int, lower: [[Double]], upper: [[Double]],
                               x0: [Double], delta: Double, norm: PerturbationNorm, upperBound: Bool) -> [Double] {
        var lambda = spec
        var constant = [Double](repeating: 0, count: rows)
        var k = layer
        while true {
            let m = L.inputs[k], n = L.outputs[k]
            // z_k = a·W_k + b_k: the constant takes Λ·b_k, and Λ moves to a: Λ·W_kᵀ.
            var next = [Double](repeating: 0, count: rows * m)
            for s in 0..<rows {
                var c = 0.0
                for j in 0..<n {
                    let lj = lambda[s * n + j]
                    if lj == 0 { continue }
                    c += lj * L.b[k][j]
                    for i in 0..<m { next[s * m + i] += lj * L.w[k][i * n + j] }
                }
                constant[s] += c
            }
            if k == 0 {
                // Over the ball: Λx0 ± δ‖Λ‖ (the dual norm).
                var out = [Double](repeating: 0, count: rows)
                next.withUnsafeBufferPointer { p in
                    for s in 0..<rows {
                        let row = UnsafeBufferPointer(rebasing: p[(s * m)..<(s * m + m)])
                        var dot = 0.0
                        for i in 0..<m { dot += row[i] * x0[i] }
                        let r = delta * dualNorm(row, norm)
                        out[s] = constant[s] + dot + (upperBound ? r : -r)
                    }
                }
                return out
            }
            // a = relu(z_{k-1}): relax each unit by lines, chosen by the sign of its coefficient.
            let l = lower[k - 1], u = upper[k - 1]
            for s in 0..<rows {
                for i in 0..<m {
                    let c = next[s * m + i]
                    if c == 0 { continue }
                    if u[i] <= 0 {
                        next[s * m + i] = 0
                    } else if l[i] >= 0 {
                        continue
                    } else {
                        let slope = u[i] / (u[i] - l[i])
                        if (c >= 0) == upperBound {
                            // The upper line: relu(z) ≤ slope·(z − l).
                            next[s * m + i] = c * slope
                            constant[s] += -c * slope * l[i]
                        } else {
                            // The lower line: relu(z) ≥ z when u > −l, else ≥ 0 (CROWN's choice).
                            next[s * m + i] = u[i] > -l[i] ? c : 0
                        }
                    }
                }
            }
            lambda = next
            k -= 1
        }
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
