import CKernels
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
/// Speed: balls are independent, so two threads take one ball at a time each, with OpenBLAS on
/// one thread (a threaded OpenBLAS spun its idle workers between the small products: perf found
/// a third of the time in the scheduler). Back-substitution keeps one coefficient row per bound
/// it wants and moves a ball's rows through each layer with one double-precision GEMM; a hidden
/// unit gets CROWN rows only when IBP cannot already show it stable (a stable unit's relaxation
/// does not depend on its bounds), and the columns of a layer's inactive units, zero in every
/// row, are left out of the products. For L2 balls on a first layer narrower than the input,
/// ‖λW₀ᵀ‖₂ is read from the Gram matrix W₀ᵀW₀ (√(λ·G·λᵀ)), which costs n₀² per row instead of
/// n₀·d.
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
        /// Per layer, row-major inputs × outputs; the same with absolute values (for IBP); and
        /// transposed, outputs × inputs (a unit's incoming weights are a row, for back-substitution).
        let w: [[Double]], absW: [[Double]], wT: [[Double]], b: [[Double]]
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
            wT = net.layers.map { layer in
                let m = layer.inputs, n = layer.outputs
                var t = [Double](repeating: 0, count: m * n)
                for i in 0..<m { for o in 0..<n { t[o * m + i] = Double(layer.weight.storage[i * n + o]) } }
                return t
            }
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
    }

    /// One row of a back-substitution: an upper bound of sign·z[unit] − sign·z[other].
    struct SpecRow {
        var unit: Int
        var sign: Double
        var other: Int = -1
    }

    /// CROWN's lines for one layer's ReLUs, from the bounds of its pre-activations: a unit that
    /// can be negative and positive has the upper line slope·(z − lower) and the lower line z
    /// (slope 1) when upper > −lower, else 0 (CROWN's adaptive choice); an active unit is the
    /// identity and an inactive one 0. `kept` lists the units that are not inactive.
    struct Relaxation {
        var upperSlope: [Double], lowerSlope: [Double], upperAt: [Double]
        var kept: [Int]

        init(lower l: [Double], upper u: [Double]) {
            let n = l.count
            upperSlope = [Double](repeating: 0, count: n)
            lowerSlope = upperSlope
            upperAt = upperSlope
            kept = []
            for i in 0..<n {
                let lo = l[i], hi = u[i]
                if hi <= 0 { continue }
                kept.append(i)
                if lo >= 0 {
                    upperSlope[i] = 1; lowerSlope[i] = 1
                } else {
                    upperSlope[i] = hi / (hi - lo)
                    lowerSlope[i] = hi > -lo ? 1 : 0
                    upperAt[i] = lo
                }
            }
        }
    }

    /// Arrays one thread reuses from ball to ball: fresh ones per ball (a megabyte or two on a
    /// 784-256-256-10 network at δ = 2) cost page faults (perf: 4% of certification).
    final class Workspace {
        enum Slot: Int, CaseIterable { case rows, next, gathered, weights, product, gram, sums }
        private var pointers: [UnsafeMutablePointer<Double>?] = Array(repeating: nil, count: Slot.allCases.count)
        private var capacities = [Int](repeating: 0, count: Slot.allCases.count)

        /// The slot's array with room for at least `count` values; its contents are kept only
        /// while it is not asked for more room.
        func buffer(_ slot: Slot, _ count: Int) -> UnsafeMutablePointer<Double> {
            let i = slot.rawValue
            if let p = pointers[i], capacities[i] >= count { return p }
            pointers[i]?.deallocate()
            let p = UnsafeMutablePointer<Double>.allocate(capacity: max(count, 1))
            pointers[i] = p
            capacities[i] = max(count, 1)
            return p
        }

        deinit { for p in pointers { p?.deallocate() } }
    }

    /// IBP and CROWN bounds on the logits of `net` (inputs are points of its space) over one ball.
    public static func bounds(_ net: MLP, center: [Float], delta: Double, norm: PerturbationNorm) -> (
        crown: LogitBounds, ibp: LogitBounds
    ) {
        let plan = Plan(net, norm: norm)
        let all = bounds(plan, centers: [center.map(Double.init)], deltas: [delta])
        return all.first ?? (LogitBounds(lower: [], upper: []), LogitBounds(lower: [], upper: []))
    }

    /// IBP and CROWN bounds for each ball (centre in the network's space, radius), on up to
    /// `workers` threads with OpenBLAS on one; the bounds of a ball do not depend on the others
    /// or on the threads. Empty when a centre does not have the network's inputs.
    static func bounds(
        _ plan: Plan, centers: [[Double]], deltas: [Double], intermediate: Intermediate = .crown,
        workers: Int = 2
    ) -> [(crown: LogitBounds, ibp: LogitBounds)] {
        guard plan.count > 0, deltas.count == centers.count,
            centers.allSatisfy({ $0.count == plan.inputs[0] })
        else { return [] }
        return BLASThreads.single {
            (try? Parallel.map(centers.count, workers: workers, local: { Workspace() }) { workspace, e in
                ball(plan, center: centers[e], delta: deltas[e], intermediate: intermediate, workspace: workspace)
            }) ?? []
        }
    }

    /// IBP and CROWN bounds for one ball.
    static func ball(
        _ plan: Plan, center x: [Double], delta: Double, intermediate: Intermediate,
        workspace: Workspace
    ) -> (crown: LogitBounds, ibp: LogitBounds) {
        let d = plan.inputs[0], n0 = plan.outputs[0]
        // Layer 0 is linear in x: exact bounds x0·W0 + b0 ± δ‖W0[:, o]‖*, the same for both methods.
        var z0 = plan.b[0]
        multiply(x, plan.w[0], into: &z0, m: 1, n: n0, k: d, beta: 1)
        var l0 = z0, u0 = z0
        for o in 0..<n0 {
            let r = delta * plan.columnNorms[o]
            l0[o] -= r
            u0[o] += r
        }
        // The latest layer's IBP bounds, and CROWN's bounds of the layers before (each layer's
        // relaxation made from them).
        var ibpLower = l0, ibpUpper = u0
        var lower = l0, upper = u0
        var relaxations: [Relaxation] = []
        let last = plan.count - 1
        for k in stride(from: 1, to: plan.count, by: 1) {
            relaxations.append(Relaxation(lower: lower, upper: upper))
            if k == 1 { keepGram(plan, relaxations[0].kept, in: workspace) }
            let ibp = intervalStep(plan, k, ibpLower, ibpUpper)
            ibpLower = ibp.lower; ibpUpper = ibp.upper
            if k == last { break }
            if intermediate == .ibp {
                lower = ibp.lower; upper = ibp.upper
                continue
            }
            // CROWN, intersected with IBP from CROWN's own previous bounds (both are sound),
            // for the units IBP cannot show stable.
            var (l, u) = intervalStep(plan, k, lower, upper)
            var rows: [SpecRow] = []
            for o in 0..<plan.outputs[k] where l[o] < 0 && u[o] > 0 {
                rows.append(SpecRow(unit: o, sign: 1))
                rows.append(SpecRow(unit: o, sign: -1))
            }
            let bound = upperBounds(
                plan, layer: k, rows: rows, relaxations: relaxations, z0: z0, delta: delta,
                workspace: workspace)
            for (r, row) in rows.enumerated() {
                if row.sign > 0 {
                    u[row.unit] = min(u[row.unit], bound[r])
                } else {
                    l[row.unit] = max(l[row.unit], -bound[r])
                }
            }
            lower = l; upper = u
        }

        let k = plan.outputs[last]
        // Without a hidden layer the exact first-layer bounds are the logits' bounds.
        var crownLower = lower, crownUpper = upper
        var differences = [Double](repeating: .infinity, count: k * k)
        if last >= 1 {
            var rows: [SpecRow] = []
            for o in 0..<k {
                rows.append(SpecRow(unit: o, sign: 1))
                rows.append(SpecRow(unit: o, sign: -1))
            }
            // z_i − z_j, for the probability bound and the label.
            if k > 1 {
                for i in 0..<k { for j in 0..<k where i != j { rows.append(SpecRow(unit: i, sign: 1, other: j)) } }
            }
            let bound = upperBounds(
                plan, layer: last, rows: rows, relaxations: relaxations, z0: z0, delta: delta,
                workspace: workspace)
            crownLower = [Double](repeating: -.infinity, count: k)
            crownUpper = [Double](repeating: .infinity, count: k)
            for (r, row) in rows.enumerated() {
                if row.other >= 0 {
                    differences[row.unit * k + row.other] = bound[r]
                } else if row.sign > 0 {
                    crownUpper[row.unit] = bound[r]
                } else {
                    crownLower[row.unit] = -bound[r]
                }
            }
            if intermediate == .crown {
                let fromCrown = intervalStep(plan, last, lower, upper)
                for i in crownLower.indices {
                    crownLower[i] = max(crownLower[i], fromCrown.lower[i])
                    crownUpper[i] = min(crownUpper[i], fromCrown.upper[i])
                }
            }
        }
        func widened(_ v: Double, up: Bool) -> Double { up ? v + margin * (1 + abs(v)) : v - margin * (1 + abs(v)) }
        let cl = crownLower.map { widened($0, up: false) }, cu = crownUpper.map { widened($0, up: true) }
        var difference = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
        for i in 0..<k {
            for j in 0..<k where i != j {
                difference[i][j] = widened(min(differences[i * k + j], cu[i] - cl[j]), up: true)
            }
        }
        return (
            LogitBounds(lower: cl, upper: cu, differenceUpper: difference),
            LogitBounds(
                lower: ibpLower.map { widened($0, up: false) }, upper: ibpUpper.map { widened($0, up: true) },
                differenceUpper: nil)
        )
    }

    /// The Gram matrix's rows and columns of the first layer's units that are not inactive
    /// (`kept`), into the workspace's gram slot, for `upperBounds` of the same ball.
    static func keepGram(_ plan: Plan, _ kept: [Int], in workspace: Workspace) {
        guard let gram = plan.gram else { return }
        let n0 = plan.outputs[0], s = kept.count
        let g = workspace.buffer(.gram, s * s)
        for (p, i) in kept.enumerated() {
            for (q, j) in kept.enumerated() { g[p * s + q] = gram[i * n0 + j] }
        }
    }

    /// `c (m × n) = a (m × k) · b (k × n) (+ c when beta is 1)`.
    static func multiply(_ a: [Double], _ b: [Double], into c: inout [Double], m: Int, n: Int, k: Int, beta: Double = 0)
    {
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    guard let a = pa.baseAddress, let b = pb.baseAddress, let c = pc.baseAddress else { return }
                    DoubleGEMM.multiply(a, b, into: c, m: m, n: n, k: k, beta: beta)
                }
            }
        }
    }

    /// One IBP step: bounds of layer k's pre-activation from layer k − 1's: centre·W + b ±
    /// radius·|W| of the ReLU'd box.
    static func intervalStep(_ plan: Plan, _ k: Int, _ l: [Double], _ u: [Double]) -> (lower: [Double], upper: [Double])
    {
        let m = plan.inputs[k], n = plan.outputs[k]
        var mid = [Double](repeating: 0, count: m), rad = mid
        for i in 0..<m {
            let lo = max(l[i], 0), hi = max(u[i], 0)
            mid[i] = (lo + hi) / 2
            rad[i] = (hi - lo) / 2
        }
        var center = plan.b[k]
        multiply(mid, plan.w[k], into: &center, m: 1, n: n, k: m, beta: 1)
        var radius = [Double](repeating: 0, count: n)
        multiply(rad, plan.absW[k], into: &radius, m: 1, n: n, k: m)
        var lower = center, upper = center
        for i in 0..<n { lower[i] -= radius[i]; upper[i] += radius[i] }
        return (lower, upper)
    }

    /// CROWN's back-substitution for one ball: for each row, an upper bound over the ball of the
    /// row's combination of layer `layer`'s pre-activations, given the relaxations of every
    /// earlier layer (and the workspace's gram slot from `keepGram`).
    static func upperBounds(
        _ plan: Plan, layer k: Int, rows: [SpecRow], relaxations: [Relaxation],
        z0: [Double], delta: Double, workspace: Workspace
    ) -> [Double] {
        let count = rows.count
        guard count > 0 else { return [] }
        // The rows on a_{k−1}: sign·(W_k[:, unit] − W_k[:, other]), constants from b_k.
        var width = plan.inputs[k]
        let widest = plan.outputs[0..<k].max() ?? width
        var a = workspace.buffer(.rows, count * widest), next = workspace.buffer(.next, count * widest)
        var constant = [Double](repeating: 0, count: count)
        plan.wT[k].withUnsafeBufferPointer { wt in
            guard let wt = wt.baseAddress else { return }
            for (r, row) in rows.enumerated() {
                let out = a + r * width, unit = wt + row.unit * width
                constant[r] = row.sign * (plan.b[k][row.unit] - (row.other >= 0 ? plan.b[k][row.other] : 0))
                if row.other >= 0 {
                    let other = wt + row.other * width
                    for i in 0..<width { out[i] = row.sign * (unit[i] - other[i]) }
                } else {
                    for i in 0..<width { out[i] = row.sign * unit[i] }
                }
            }
        }
        let sums = workspace.buffer(.sums, count)
        var j = k - 1
        while true {
            // a_j = relu(z_j): each unit's line, chosen by the sign of its coefficient.
            let relaxation = relaxations[j]
            relaxation.upperSlope.withUnsafeBufferPointer { su in
                relaxation.lowerSlope.withUnsafeBufferPointer { sl in
                    relaxation.upperAt.withUnsafeBufferPointer { at in
                        constant.withUnsafeMutableBufferPointer { c in
                            guard let su = su.baseAddress, let sl = sl.baseAddress, let at = at.baseAddress,
                                let c = c.baseAddress
                            else { return }
                            mle_crown_relax(a, count, width, su, sl, at, c)
                        }
                    }
                }
            }
            // The inactive units' columns are now zero in every row.
            let kept = relaxation.kept
            let coefficients = gathered(a, rows: count, width: width, kept, workspace)
            if j == 0 {
                // Over the ball: λ·z0(x0) ± δ‖λW0ᵀ‖* (the dual norm).
                return overTheBall(
                    plan, coefficients, rows: count, kept: kept, constant: constant, z0: z0, delta: delta,
                    workspace: workspace)
            }
            // z_j = a_{j−1}·W_j + b_j.
            let s = kept.count, previous = plan.inputs[j]
            kept.map { plan.b[j][$0] }.withUnsafeBufferPointer { bias in
                guard let bias = bias.baseAddress else { return }
                mle_row_dots(coefficients, bias, count, s, 0, sums)
            }
            for r in 0..<count { constant[r] += sums[r] }
            if s == 0 {
                next.update(repeating: 0, count: count * previous)
            } else {
                plan.wT[j].withUnsafeBufferPointer { wt in
                    guard let wt = wt.baseAddress else { return }
                    if s == width {
                        DoubleGEMM.multiply(coefficients, wt, into: next, m: count, n: previous, k: s)
                    } else {
                        let weights = workspace.buffer(.weights, s * previous)
                        for (q, unit) in kept.enumerated() {
                            (weights + q * previous).update(from: wt + unit * previous, count: previous)
                        }
                        DoubleGEMM.multiply(coefficients, weights, into: next, m: count, n: previous, k: s)
                    }
                }
            }
            swap(&a, &next)
            width = previous
            j -= 1
        }
    }
    /// The columns `kept` of the rows × width matrix `a`: `a` itself when every column is kept,
    /// else a copy in the workspace's gathered slot (rows × kept.count).
    static func gathered(
        _ a: UnsafeMutablePointer<Double>, rows: Int, width: Int, _ kept: [Int],
        _ workspace: Workspace
    ) -> UnsafePointer<Double> {
        if kept.count == width { return UnsafePointer(a) }
        let s = kept.count
        let out = workspace.buffer(.gathered, rows * s)
        for r in 0..<rows {
            let from = a + r * width, to = out + r * s
            for (q, i) in kept.enumerated() { to[q] = from[i] }
        }
        return UnsafePointer(out)
    }

    /// The upper bound of each row over the ball, from its coefficients λ on the first layer's
    /// kept units (rows × kept.count) and its constant: constant + λ·z0(x0) + δ‖λW0ᵀ‖*, the
    /// dual norm read from the Gram matrix for L2 when the plan has one.
    static func overTheBall(
        _ plan: Plan, _ lambda: UnsafePointer<Double>, rows count: Int, kept: [Int], constant: [Double],
        z0: [Double], delta: Double, workspace: Workspace
    ) -> [Double] {
        let s = kept.count, d = plan.inputs[0]
        var dots = [Double](repeating: 0, count: count), norms = dots
        dots.withUnsafeMutableBufferPointer { dots in
            norms.withUnsafeMutableBufferPointer { norms in
                guard let dots = dots.baseAddress, let norms = norms.baseAddress else { return }
                kept.map { z0[$0] }.withUnsafeBufferPointer { center in
                    guard let center = center.baseAddress else { return }
                    mle_row_dots(lambda, center, count, s, 0, dots)
                }
                if s == 0 {
                    norms.update(repeating: 0, count: count)
                } else if plan.gram != nil {
                    // ‖λW0ᵀ‖₂² = λ·G·λᵀ, with G's kept rows and columns from keepGram.
                    let product = workspace.buffer(.product, count * s)
                    DoubleGEMM.multiply(lambda, workspace.buffer(.gram, s * s), into: product, m: count, n: s, k: s)
                    mle_row_dots(lambda, product, count, s, s, norms)
                    for r in 0..<count { norms[r] = max(norms[r], 0).squareRoot() }
                } else {
                    let inputSide = workspace.buffer(.product, count * d)
                    let weights = workspace.buffer(.weights, s * d)
                    plan.wT[0].withUnsafeBufferPointer { wt in
                        guard let wt = wt.baseAddress else { return }
                        for (q, unit) in kept.enumerated() { (weights + q * d).update(from: wt + unit * d, count: d) }
                    }
                    DoubleGEMM.multiply(lambda, weights, into: inputSide, m: count, n: d, k: s)
                    if plan.norm == .l2 {
                        mle_row_dots(inputSide, inputSide, count, d, d, norms)
                        for r in 0..<count { norms[r] = norms[r].squareRoot() }
                    } else {
                        mle_row_abs_sums(inputSide, count, d, norms)
                    }
                }
            }
        }
        return (0..<count).map { constant[$0] + dots[$0] + delta * norms[$0] }
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
