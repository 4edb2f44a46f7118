import Foundation
import MLELearning
import MLETensor

/// The inputs a search covers: a box (an L∞ ball is one), or a Euclidean ball.
public enum InputRegion: Sendable {
    case box(lower: [Double], upper: [Double])
    case ball(center: [Double], radius: Double)

    public static func linf(center: [Double], radius: Double) -> InputRegion {
        .box(lower: center.map { $0 - radius }, upper: center.map { $0 + radius })
    }

    var dimension: Int {
        switch self {
        case .box(let lower, _): lower.count
        case .ball(let center, _): center.count
        }
    }

    /// The minimum of a·x over the region and a point of the region where it is reached.
    func minimum(_ a: UnsafePointer<Double>) -> (value: Double, point: [Double]) {
        switch self {
        case .box(let lo, let hi):
            var v = 0.0
            var p = lo
            for i in lo.indices {
                if a[i] >= 0 {
                    v += a[i] * lo[i]
                } else {
                    v += a[i] * hi[i]
                    p[i] = hi[i]
                }
            }
            return (v, p)
        case .ball(let c, let r):
            var dot = 0.0, norm = 0.0
            for i in c.indices {
                dot += a[i] * c[i]
                norm += a[i] * a[i]
            }
            norm = norm.squareRoot()
            guard norm > 0 else { return (dot, c) }
            return (dot - r * norm, project(c.indices.map { c[$0] - r * a[$0] / norm }))
        }
    }

    /// The nearest point of the region (a ball's points are pulled in a little further, so that
    /// rounding keeps them inside).
    func project(_ x: [Double]) -> [Double] {
        switch self {
        case .box(let lo, let hi):
            return x.indices.map { min(max(x[$0], lo[$0]), hi[$0]) }
        case .ball(let c, let r):
            var norm = 0.0
            for i in c.indices { norm += (x[i] - c[i]) * (x[i] - c[i]) }
            norm = norm.squareRoot()
            guard norm > r * (1 - 1e-9) else { return x }
            let t = r * (1 - 1e-9) / norm
            return c.indices.map { c[$0] + t * (x[$0] - c[$0]) }
        }
    }

    func contains(_ x: [Double]) -> Bool {
        switch self {
        case .box(let lo, let hi):
            return x.indices.allSatisfy { lo[$0] <= x[$0] && x[$0] <= hi[$0] }
        case .ball(let c, let r):
            var norm = 0.0
            for i in c.indices { norm += (x[i] - c[i]) * (x[i] - c[i]) }
            return norm.squareRoot() <= r
        }
    }

    /// A random point of the region (uniform in a box; in a ball, a random direction at a
    /// random radius).
    func random(_ rng: inout SeededGenerator) -> [Double] {
        switch self {
        case .box(let lo, let hi):
            return lo.indices.map { lo[$0] + rng.nextUnit() * (hi[$0] - lo[$0]) }
        case .ball(let c, let r):
            var v = c.map { _ in
                (-2 * log(max(rng.nextUnit(), 1e-300))).squareRoot() * cos(2 * Double.pi * rng.nextUnit())
            }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let t = r * pow(rng.nextUnit(), 1 / Double(max(c.count, 1))) / max(norm, 1e-300)
            for i in v.indices { v[i] = c[i] + t * v[i] }
            return project(v)
        }
    }

    /// A step of projected gradient descent: x − η·(scaled direction), back into the region.
    func descend(_ x: [Double], _ g: [Double], _ eta: Double) -> [Double] {
        switch self {
        case .box(let lo, let hi):
            return x.indices.map { i in
                g[i] == 0 ? x[i] : min(max(x[i] - eta * (hi[i] - lo[i]) * (g[i] > 0 ? 1 : -1), lo[i]), hi[i])
            }
        case .ball(_, let r):
            let norm = g.reduce(0) { $0 + $1 * $1 }.squareRoot()
            guard norm > 0 else { return x }
            return project(x.indices.map { x[$0] - eta * 2 * r * g[$0] / norm })
        }
    }
}

/// Per hidden unit of a network, layer by layer: 0 free, 1 split active (z ≥ 0), −1 split
/// inactive (z ≤ 0).
typealias ReluSplits = [Int8]

/// What bounding one node (a set of ReLU splits) over the region found.
struct SplitNodeBound {
    /// The split constraints cannot all hold in the region: the node holds no input.
    var infeasible = false
    /// Per row, a sound lower bound of row·f(x) + constant over the node's inputs.
    var lower: [Double] = []
    /// Per row, the input minimising the relaxation that gave that bound.
    var points: [[Double]] = []
    /// Per hidden unit, how much its relaxation loosens the bounds (0 when it is stable or
    /// split): the branching score.
    var scores: [Double] = []
    /// Free units whose pre-activation can take both signs.
    var unstable = 0
    /// The optimised rows' slopes and multipliers (per hidden layer, rows × units), to start
    /// the children's optimisation from.
    var alpha: [[Double]] = [], beta: [[Double]] = []
    /// The optimised rows' multipliers of the output splits (rows × splits).
    var outputBeta: [Double] = []
    /// The hidden layers' relaxations, for the children to start from.
    var layers: [SplitBounder.Layer] = []
}

/// A split of the outputs' space: the sub-problem keeps the inputs with
/// sign·(coefficients·f(x) − threshold) ≥ 0. Splitting a leaf (every ReLU fixed) this way narrows
/// the ranges of the output functions a nonlinear question combines, until their combination is
/// tight.
struct OutputSplit: Sendable {
    var coefficients: [Double]
    var threshold: Double
    var sign: Int8
}

/// Bounds of linear functions of a ReLU network's outputs over an input region with some of
/// its ReLUs split, by α-CROWN and β-CROWN (Xu et al. 2021; Wang et al. 2021).
///
/// Hidden units' pre-activation bounds come from CROWN's back-substitution over the region,
/// clamped by the node's splits (a unit split active has lower bound ≥ 0, one split inactive
/// upper bound ≤ 0; a split its bounds contradict makes the node empty). Each row's final
/// bound is the Lagrangian relaxation
///
///     min over x in the region of  row·f̃(x) + constant − Σ βᵢ·sᵢ·zᵢ(x),   βᵢ ≥ 0
///
/// where f̃ replaces every unstable free unit by its relaxation (upper line u(z − l)/(u − l),
/// lower line α·z with α ∈ [0, 1]) and each split unit i by its phase (identity or 0), the split
/// constraint sᵢ·zᵢ ≥ 0 entering with the multiplier βᵢ. Every α and β gives a sound bound; the
/// search starts at CROWN's adaptive slopes and β = 0 (so the best bound kept is never looser
/// than CROWN's) and takes projected Adam steps on the bound's supergradient: ∂/∂αᵢ = μᵢ·ẑᵢ and
/// ∂/∂βᵢ = −sᵢ·ẑᵢ, where μᵢ is the row's coefficient on the unit in the back-substitution and ẑ
/// the pre-activations at the minimising input pushed forward through the same relaxation
/// (envelope theorem). With every unit split or stable the relaxation is the network itself
/// and the optimal β gives the exact minimum over the node (strong duality of a convex
/// problem): the search over splits is complete in the limit.
///
/// Only the final rows' α and β are optimised; intermediate bounds are plain CROWN's.
/// Arithmetic is in double precision from the float32 weights; callers widen the bounds they
/// rely on (see `Verifier` on the size of the rounding).
final class SplitBounder: @unchecked Sendable {
    let net: VerifierNetwork
    let region: InputRegion
    /// Where each hidden layer's units start in a `ReluSplits`, and how many there are in all.
    let offsets: [Int]
    let hiddenCount: Int
    /// The weights transposed (inputs × outputs), for the forward passes.
    private let wT: [[Double]]

    /// Ctrl-C ends a bound's optimisation early (the bound reached so far is still sound).
    let cancellation: Cancellation

    init(_ net: VerifierNetwork, region: InputRegion, cancellation: Cancellation = .never) {
        self.net = net
        self.region = region
        self.cancellation = cancellation
        var offsets: [Int] = []
        var at = 0
        for h in 0..<max(net.layerCount - 1, 0) {
            offsets.append(at)
            at += net.widths[h + 1]
        }
        self.offsets = offsets
        hiddenCount = at
        wT = (0..<net.layerCount).map { l in
            let n = net.widths[l + 1], m = net.widths[l]
            var t = [Double](repeating: 0, count: n * m)
            for o in 0..<n { for i in 0..<m { t[i * n + o] = net.w[l][o * m + i] } }
            return t
        }
    }

    /// One hidden layer's relaxation: per unit its pre-activation bounds and kind.
    struct Layer {
        var lower: [Double], upper: [Double]
        /// 0 inactive (a = 0), 1 active (a = z), 2 unstable and free.
        var kind: [UInt8]
        /// The split's sign per unit (0 when not split).
        var split: [Int8]
    }

    /// `c (m × n) = a (m × k) · b (k × n)`, or with b given n × k (`transposeB`).
    static func product(_ a: [Double], _ b: [Double], m: Int, n: Int, k: Int, transposeB: Bool = false) -> [Double] {
        var c = [Double](repeating: 0, count: m * n)
        guard m > 0, n > 0, k > 0 else { return c }
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    guard let x = ap.baseAddress, let y = bp.baseAddress, let z = cp.baseAddress else { return }
                    DoubleGEMM.multiply(x, y, transposeB: transposeB, into: z, m: m, n: n, k: k)
                }
            }
        }
        return c
    }

    /// The hidden layers' relaxations under the splits; nil when the splits contradict the
    /// bounds (the node is empty).
    ///
    /// With `reuse` (the parent's relaxations) the layers up to `changed` (the layer of the unit
    /// split since; nil: none) keep the parent's bounds, which hold in the child; deeper layers
    /// bound again only the units the parent left unstable (with the child's tighter relaxation
    /// of the layers above), intersected with the parent's bounds.
    func layers(_ splits: ReluSplits, reuse: [Layer]? = nil, changed: Int? = nil) -> [Layer]? {
        var layers: [Layer] = []
        for h in 0..<(net.layerCount - 1) {
            let n = net.widths[h + 1]
            var lower = [Double](repeating: 0, count: n), upper = lower
            if let reuse, h < reuse.count, reuse[h].lower.count == n {
                lower = reuse[h].lower
                upper = reuse[h].upper
                if let changed, h > changed {
                    let open = (0..<n).filter { lower[$0] < 0 && upper[$0] > 0 }
                    if !open.isEmpty {
                        var rows = [Double](repeating: 0, count: 2 * open.count * n)
                        for (k, o) in open.enumerated() {
                            rows[(2 * k) * n + o] = 1
                            rows[(2 * k + 1) * n + o] = -1
                        }
                        let values = backward(
                            rows, count: 2 * open.count, constants: [Double](repeating: 0, count: 2 * open.count),
                            top: h, layers: layers, alpha: nil, beta: nil
                        ).values
                        for (k, o) in open.enumerated() {
                            lower[o] = max(lower[o], values[2 * k])
                            upper[o] = max(min(upper[o], -values[2 * k + 1]), lower[o])
                        }
                    }
                }
            } else if h == 0 {
                net.w[0].withUnsafeBufferPointer { w in
                    guard let base = w.baseAddress else { return }
                    let m = net.widths[0]
                    var neg = [Double](repeating: 0, count: m)
                    for o in 0..<n {
                        let row = base + o * m
                        for i in 0..<m { neg[i] = -row[i] }
                        lower[o] = net.b[0][o] + region.minimum(row).value
                        upper[o] =
                            net.b[0][o] - neg.withUnsafeBufferPointer { region.minimum($0.baseAddress ?? row).value }
                    }
                }
            } else {
                // Rows +e_o and −e_o on this layer's pre-activations, back to the inputs.
                var rows = [Double](repeating: 0, count: 2 * n * n)
                for o in 0..<n {
                    rows[(2 * o) * n + o] = 1
                    rows[(2 * o + 1) * n + o] = -1
                }
                let values = backward(
                    rows, count: 2 * n, constants: [Double](repeating: 0, count: 2 * n), top: h, layers: layers,
                    alpha: nil, beta: nil
                ).values
                for o in 0..<n {
                    lower[o] = values[2 * o]
                    upper[o] = max(-values[2 * o + 1], lower[o])
                }
            }
            var kind = [UInt8](repeating: 2, count: n)
            var split = [Int8](repeating: 0, count: n)
            for o in 0..<n {
                let s = splits.isEmpty ? 0 : splits[offsets[h] + o]
                split[o] = s
                let slack = 1e-7 * (1 + abs(lower[o]) + abs(upper[o]))
                if s == 1 {
                    if upper[o] + slack < 0 { return nil }
                    lower[o] = max(lower[o], 0)
                    upper[o] = max(upper[o], 0)
                    kind[o] = 1
                } else if s == -1 {
                    if lower[o] - slack > 0 { return nil }
                    upper[o] = min(upper[o], 0)
                    lower[o] = min(lower[o], 0)
                    kind[o] = 0
                } else if lower[o] >= 0 {
                    kind[o] = 1
                } else if upper[o] <= 0 {
                    kind[o] = 0
                }
            }
            layers.append(Layer(lower: lower, upper: upper, kind: kind, split: split))
        }
        return layers
    }

    /// What a back-substitution returns: per row the bound and the coefficients on the inputs,
    /// and per hidden layer the rows' coefficients μ on its activations (for the gradients).
    struct Backward {
        var values: [Double]
        var onInputs: [Double]
        var mu: [[Double]]
    }

    /// Lower bounds of `count` rows on the outputs of layer `top` (rows × widths[top + 1]) plus
    /// constants, over the region, through the relaxations `layers` with per-row slopes `alpha`
    /// and multipliers `beta` (rows × units per hidden layer; nil: CROWN's adaptive slopes and
    /// no multipliers).
    func backward(
        _ rows: [Double], count r: Int, constants: [Double], top: Int, layers: [Layer],
        alpha: [[Double]]?, beta: [[Double]]?
    ) -> Backward {
        var lam = rows
        var constant = constants
        var mus = [[Double]](repeating: [], count: layers.count)
        for l in stride(from: top, through: 0, by: -1) {
            let n = net.widths[l + 1], m = net.widths[l]
            let bias = net.b[l]
            for row in 0..<r {
                var s = 0.0
                for o in 0..<n { s += lam[row * n + o] * bias[o] }
                constant[row] += s
            }
            var mu = SplitBounder.product(lam, net.w[l], m: r, n: m, k: n)
            if l == 0 {
                lam = mu
                break
            }
            let h = l - 1, layer = layers[h]
            let a = alpha?[h], b = beta?[h]
            mus[h] = mu
            for row in 0..<r {
                for i in 0..<m {
                    let at = row * m + i, v = mu[at]
                    var out: Double
                    switch layer.kind[i] {
                    case 0: out = 0
                    case 1: out = v
                    default:
                        let lo = layer.lower[i], hi = layer.upper[i]
                        if v >= 0 {
                            out = v * (a?[at] ?? (hi > -lo ? 1 : 0))
                        } else {
                            let slope = hi / (hi - lo)
                            out = v * slope
                            constant[row] -= v * slope * lo
                        }
                    }
                    if let b, layer.split[i] != 0 { out -= b[at] * Double(layer.split[i]) }
                    mu[at] = out
                }
            }
            lam = mu
        }
        let d = net.inputs
        var values = constant
        lam.withUnsafeBufferPointer { p in
            guard let base = p.baseAddress else { return }
            for row in 0..<r { values[row] += region.minimum(base + row * d).value }
        }
        return Backward(values: values, onInputs: lam, mu: mus)
    }

    /// Each row's minimising input, and the pre-activations of every hidden layer pushed
    /// forward from it through the relaxation the back-substitution chose (rows × units).
    func primal(_ back: Backward, count r: Int, layers: [Layer], alpha: [[Double]]?) -> (
        points: [[Double]], pre: [[Double]], outputs: [Double]
    ) {
        let d = net.inputs
        var points: [[Double]] = []
        back.onInputs.withUnsafeBufferPointer { p in
            guard let base = p.baseAddress else { return }
            for row in 0..<r { points.append(region.minimum(base + row * d).point) }
        }
        var a = points.flatMap { $0 }
        var pre: [[Double]] = []
        for h in 0..<layers.count {
            let n = net.widths[h + 1], m = net.widths[h]
            var z = SplitBounder.product(a, wT[h], m: r, n: n, k: m)
            for row in 0..<r { for o in 0..<n { z[row * n + o] += net.b[h][o] } }
            pre.append(z)
            let layer = layers[h], mu = back.mu[h]
            for row in 0..<r {
                for o in 0..<n {
                    let at = row * n + o
                    switch layer.kind[o] {
                    case 0: z[at] = 0
                    case 1: break
                    default:
                        let lo = layer.lower[o], hi = layer.upper[o]
                        if mu.isEmpty || mu[at] >= 0 {
                            z[at] *= alpha?[h][at] ?? (hi > -lo ? 1 : 0)
                        } else {
                            z[at] = hi / (hi - lo) * (z[at] - lo)
                        }
                    }
                }
            }
            a = z
        }
        let top = net.layerCount - 1, n = net.widths[top + 1]
        var y = SplitBounder.product(a, wT[top], m: r, n: n, k: net.widths[top])
        for row in 0..<r { for o in 0..<n { y[row * n + o] += net.b[top][o] } }
        return (points, pre, y)
    }

    /// Sound lower bounds of each row (coefficients on the outputs) plus its constant over the
    /// node's inputs, after `iterations` steps of α and β optimisation.
    func bound(
        _ splits: ReluSplits, rows all: [[Double]], constants allConstants: [Double], iterations: Int,
        focus: [Int]? = nil, parent: SplitNodeBound? = nil, outputSplits: [OutputSplit] = [],
        changed: Int? = nil
    ) -> SplitNodeBound {
        guard let layers = layers(splits, reuse: parent?.layers, changed: changed) else {
            return SplitNodeBound(infeasible: true)
        }
        var result = SplitNodeBound()
        result.layers = layers
        let out = net.outputs, top = net.layerCount - 1
        func flatten(_ rows: [[Double]]) -> [Double] {
            rows.flatMap { row in (0..<out).map { $0 < row.count ? row[$0] : 0 } }
        }
        // The rows outside the focus: CROWN's bounds only.
        var others: Backward?
        var otherIndices: [Int] = []
        if let focus, focus.count < all.count {
            let inFocus = Set(focus)
            otherIndices = all.indices.filter { !inFocus.contains($0) }
            others = backward(
                flatten(otherIndices.map { all[$0] }), count: otherIndices.count,
                constants: otherIndices.map { allConstants[$0] }, top: top, layers: layers, alpha: nil, beta: nil)
        }
        let chosen = others == nil ? Array(all.indices) : (focus ?? [])
        let rows = chosen.map { all[$0] }, constants = chosen.map { allConstants[$0] }
        let r = rows.count
        let flat = flatten(rows)
        // CROWN's adaptive slopes to start.
        var alpha = layers.map { layer in
            (0..<r).flatMap { _ in
                layer.kind.indices.map { i in layer.upper[i] > -layer.lower[i] ? 1.0 : 0.0 }
            }
        }
        var beta = layers.map { layer in [Double](repeating: 0, count: r * layer.kind.count) }
        // A child starts from its parent's slopes and multipliers (a unit split since has β 0).
        if let parent, parent.alpha.count == alpha.count, parent.beta.count == beta.count,
            zip(parent.alpha, alpha).allSatisfy({ $0.count == $1.count })
        {
            alpha = parent.alpha
            beta = parent.beta
        }
        // Output splits' multipliers (rows × splits), from the parent's where it had them.
        let ko = outputSplits.count
        var betaOut = [Double](repeating: 0, count: r * ko)
        if let parent, ko > 0, parent.outputBeta.count == r * (ko - 1) {
            for row in 0..<r { for k in 0..<(ko - 1) { betaOut[row * ko + k] = parent.outputBeta[row * (ko - 1) + k] } }
        }
        /// The rows and constants with the output splits' terms −β·s·(coefficients·y − threshold).
        func withOutputSplits() -> (rows: [Double], constants: [Double]) {
            guard ko > 0 else { return (flat, constants) }
            var f = flat, c = constants
            for row in 0..<r {
                for (k, split) in outputSplits.enumerated() {
                    let b = betaOut[row * ko + k] * Double(split.sign)
                    guard b != 0 else { continue }
                    for o in 0..<out where o < split.coefficients.count {
                        f[row * out + o] -= b * split.coefficients[o]
                    }
                    c[row] += b * split.threshold
                }
            }
            return (f, c)
        }
        var effective = withOutputSplits()
        let first = backward(
            effective.rows, count: r, constants: effective.constants, top: top, layers: layers, alpha: alpha,
            beta: beta)
        var best = first.values
        var bestPoints = primal(first, count: r, layers: layers, alpha: alpha).points
        var bestAlpha = alpha, bestBeta = beta, bestBetaOut = betaOut

        // The branching score: for each unstable free unit, the gap its upper line leaves,
        // weighted by how much the rows lean on it (BaBSR's intercept score), plus a small part of
        // the lower line's gap so that every unstable unit scores above 0.
        result.scores = [Double](repeating: 0, count: hiddenCount)
        for (h, layer) in layers.enumerated() {
            let n = layer.kind.count, mu = first.mu[h]
            for i in 0..<n where layer.kind[i] == 2 {
                result.unstable += 1
                let lo = layer.lower[i], hi = layer.upper[i]
                let gap = hi * -lo / (hi - lo)
                var s = 0.0
                for row in 0..<r {
                    let v = mu.isEmpty ? 0 : mu[row * n + i]
                    s += v < 0 ? -v * gap : 1e-3 * v * min(hi, -lo)
                }
                result.scores[offsets[h] + i] = s + 1e-12 * (hi - lo)
            }
        }

        var free = ko > 0
        for layer in layers where layer.kind.contains(2) || layer.split.contains(where: { $0 != 0 }) { free = true }
        if iterations > 0, free {
            // Projected Adam ascent; β's steps are scaled by the size of the rows' coefficients
            // on its layer (an output split's by the rows' own size), α's are in [0, 1].
            let scale: [Double] = first.mu.map { mu in
                mu.isEmpty ? 1 : max(mu.reduce(0) { $0 + abs($1) } / Double(mu.count), 1e-6)
            }
            let outScale = max(flat.reduce(0) { $0 + abs($1) } / Double(max(flat.count, 1)), 1e-6)
            var mA = alpha.map { $0.map { _ in 0.0 } }, vA = mA, mB = mA, vB = mA
            var mO = betaOut.map { _ in 0.0 }, vO = mO
            let b1 = 0.9, b2 = 0.999
            var current = first
            for t in 1...iterations {
                if t % 8 == 0, cancellation.isCancelled { break }
                let (_, pre, outputs) = primal(current, count: r, layers: layers, alpha: alpha)
                let lr = 0.1 * pow(0.96, Double(t - 1))
                for row in 0..<r {
                    for (k, split) in outputSplits.enumerated() {
                        var v = -split.threshold
                        for o in 0..<out where o < split.coefficients.count {
                            v += split.coefficients[o] * outputs[row * out + o]
                        }
                        let g = -Double(split.sign) * v, at = row * ko + k
                        mO[at] = b1 * mO[at] + (1 - b1) * g
                        vO[at] = b2 * vO[at] + (1 - b2) * g * g
                        let step = mO[at] / (1 - pow(b1, Double(t)))
                        let size = (vO[at] / (1 - pow(b2, Double(t)))).squareRoot() + 1e-12
                        betaOut[at] = max(betaOut[at] + lr * outScale * step / size, 0)
                    }
                }
                for (h, layer) in layers.enumerated() {
                    let n = layer.kind.count, mu = current.mu[h], z = pre[h]
                    for row in 0..<r {
                        for i in 0..<n {
                            let at = row * n + i
                            if layer.kind[i] == 2, !mu.isEmpty, mu[at] >= 0 {
                                let g = mu[at] * z[at]
                                mA[h][at] = b1 * mA[h][at] + (1 - b1) * g
                                vA[h][at] = b2 * vA[h][at] + (1 - b2) * g * g
                                let step = mA[h][at] / (1 - pow(b1, Double(t)))
                                let size = (vA[h][at] / (1 - pow(b2, Double(t)))).squareRoot() + 1e-12
                                alpha[h][at] = min(max(alpha[h][at] + lr * step / size, 0), 1)
                            }
                            if layer.split[i] != 0 {
                                let g = -Double(layer.split[i]) * z[at]
                                mB[h][at] = b1 * mB[h][at] + (1 - b1) * g
                                vB[h][at] = b2 * vB[h][at] + (1 - b2) * g * g
                                let step = mB[h][at] / (1 - pow(b1, Double(t)))
                                let size = (vB[h][at] / (1 - pow(b2, Double(t)))).squareRoot() + 1e-12
                                beta[h][at] = max(beta[h][at] + lr * scale[h] * step / size, 0)
                            }
                        }
                    }
                }
                effective = withOutputSplits()
                current = backward(
                    effective.rows, count: r, constants: effective.constants, top: top, layers: layers, alpha: alpha,
                    beta: beta)
                let improved = (0..<r).filter { current.values[$0] > best[$0] }
                if !improved.isEmpty {
                    let newPoints = primal(current, count: r, layers: layers, alpha: alpha).points
                    for row in improved {
                        best[row] = current.values[row]
                        bestPoints[row] = newPoints[row]
                        for h in layers.indices {
                            let n = layers[h].kind.count
                            for i in 0..<n {
                                bestAlpha[h][row * n + i] = alpha[h][row * n + i]
                                bestBeta[h][row * n + i] = beta[h][row * n + i]
                            }
                        }
                        for k in 0..<ko { bestBetaOut[row * ko + k] = betaOut[row * ko + k] }
                    }
                }
            }
        }
        result.alpha = bestAlpha
        result.beta = bestBeta
        result.outputBeta = bestBetaOut
        var lower = [Double](repeating: -.infinity, count: all.count)
        var points = [[Double]](repeating: [], count: all.count)
        for (k, row) in chosen.enumerated() {
            lower[row] = best[k]
            points[row] = bestPoints[k]
        }
        if let others {
            let p = primal(others, count: otherIndices.count, layers: layers, alpha: nil).points
            for (k, row) in otherIndices.enumerated() {
                lower[row] = others.values[k]
                points[row] = p[k]
            }
        }
        // The child's inputs are among its parent's: the parent's bounds hold here too.
        if let parent, parent.lower.count == lower.count {
            for i in lower.indices { lower[i] = max(lower[i], parent.lower[i]) }
        }
        // A row that is an output split's own function (or its negation) is bounded by it.
        for split in outputSplits {
            for (i, row) in all.enumerated() {
                let same = (0..<out).allSatisfy { (row[safe: $0] ?? 0) == (split.coefficients[safe: $0] ?? 0) }
                let opposite = (0..<out).allSatisfy { (row[safe: $0] ?? 0) == -(split.coefficients[safe: $0] ?? 0) }
                if same, split.sign > 0 { lower[i] = max(lower[i], split.threshold + allConstants[i]) }
                if opposite, split.sign < 0 { lower[i] = max(lower[i], -split.threshold + allConstants[i]) }
            }
        }
        result.lower = lower.map { $0.isNaN ? -.infinity : $0 }
        result.points = points
        return result
    }
}
