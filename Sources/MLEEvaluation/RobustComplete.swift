import Foundation
import MLELearning
import MLETensor

/// What the complete search found for one example.
public struct CompleteEvidence: Sendable {
    public var answer: SplitSearchResult.Answer
    /// A sound upper bound of the output distance over the ball (holds: ≤ ε; undecided: the
    /// search's best), or the distance at the counterexample (violated).
    public var value: Double?
    public var branches: Int
    public var seconds: Double
    public var reason: SplitUndecided?
}

/// The ε-δ and label questions as split-search questions over a ball.
enum RobustQuestions {
    /// A sound lower bound made sounder: the float32 evaluation's rounding (1e-5 relative, as
    /// `Certify` widens its bounds) and double precision's own.
    static func widened(_ v: Double) -> Double { v - 1e-5 * (1 + abs(v)) }

    /// ‖m(f(x′)) − m(f(x))‖₂ ≤ ε, m the output ε is measured on: the probability vector, the
    /// logits, or a regression network's prediction (the network's outputs are then already in
    /// the target's units). `center` is f(x) as mle computes it.
    static func epsilonDelta(
        outputs k: Int, classification: Bool, output: RobustOutput, center z0: [Double], epsilon: Double
    ) -> SplitQuestion {
        let margin = 1e-6 * epsilon + 1e-7
        if !classification || k == 1 {
            // ±(y − y0).
            return SplitQuestion(
                rows: [[1], [-1]], constants: [-z0[0], z0[0]],
                worst: { lower in max(-widened(lower[0]), -widened(lower[1]), 0) },
                value: { y in abs(y[0] - z0[0]) }, slope: { y in [y[0] >= z0[0] ? 1 : -1] },
                threshold: epsilon, violates: { y in abs(y[0] - z0[0]) > epsilon + margin })
        }
        if output == .logits {
            let value: @Sendable ([Double]) -> Double = { y in
                var s = 0.0
                for j in 0..<k { s += (y[j] - z0[j]) * (y[j] - z0[j]) }
                return s.squareRoot()
            }
            let slope: @Sendable ([Double]) -> [Double] = { y in
                let v = max(value(y), 1e-300)
                return (0..<k).map { (y[$0] - z0[$0]) / v }
            }
            if k == 2 {
                // Upper bounds of u·(z − z0) for 32 directions u around the circle: their polygon
                // holds the logits' change, and its farthest vertex bounds the distance. As the
                // splits make each direction's bound exact, the polygon tends to the convex hull
                // of the changes, whose farthest point is the farthest change (a norm is convex).
                let m = 32
                let dirs = (0..<m).map { t in
                    (cos(2 * Double.pi * Double(t) / Double(m)), sin(2 * Double.pi * Double(t) / Double(m)))
                }
                return SplitQuestion(
                    rows: dirs.map { [-$0.0, -$0.1] }, constants: dirs.map { $0.0 * z0[0] + $0.1 * z0[1] },
                    worst: { lower in
                        let h = lower.map { -widened($0) }
                        return polygonFarthest(dirs, h)
                    }, value: value, slope: slope, threshold: epsilon, violates: { value($0) > epsilon + margin })
            }
            // ±(z_j − z0_j): the box's farthest corner.
            var rows: [[Double]] = [], constants: [Double] = []
            for j in 0..<k {
                var e = [Double](repeating: 0, count: k)
                e[j] = 1
                rows.append(e)
                constants.append(-z0[j])
                rows.append(e.map { -$0 })
                constants.append(z0[j])
            }
            return SplitQuestion(
                rows: rows, constants: constants,
                worst: { lower in
                    var s = 0.0
                    for j in 0..<k {
                        let e = max(-widened(lower[2 * j]), -widened(lower[2 * j + 1]), 0)
                        s += e * e
                    }
                    return s.squareRoot()
                }, value: value, slope: slope, threshold: epsilon, violates: { value($0) > epsilon + margin })
        }
        // Probabilities: bounds of every difference z_i − z_j give each p_j's range (p_j =
        // 1/Σ_i exp(z_i − z_j) is monotone in each), and the change's farthest point in that box
        // whose coordinates sum to 0 (probabilities sum to 1) bounds the distance.
        let p0 = softmax(z0)
        var rows: [[Double]] = [], pairs: [(Int, Int)] = []
        for i in 0..<k {
            for j in 0..<k where i != j {
                var e = [Double](repeating: 0, count: k)
                e[i] = 1
                e[j] = -1
                rows.append(e)
                pairs.append((i, j))
            }
        }
        var index = [[Int]](repeating: [Int](repeating: -1, count: k), count: k)
        for (r, p) in pairs.enumerated() { index[p.0][p.1] = r }
        let at = index
        let value: @Sendable ([Double]) -> Double = { y in
            let p = softmax(y)
            var s = 0.0
            for j in 0..<k { s += (p[j] - p0[j]) * (p[j] - p0[j]) }
            return s.squareRoot()
        }
        // The differences that move the predicted class's probability (z_c − z_j) set nearly
        // all of the bound when p0_c is large: only theirs are optimised.
        let c = (0..<k).max { p0[$0] < p0[$1] } ?? 0
        return SplitQuestion(
            rows: rows, constants: [Double](repeating: 0, count: rows.count),
            focus: pairs.indices.filter { pairs[$0].0 == c },
            worst: { lower in
                // Bounds that contradict each other (z_i − z_j above its own upper bound) mean
                // the sub-problem holds no input (output splits can make it empty).
                for i in 0..<k {
                    for j in 0..<k where i < j && widened(lower[at[i][j]]) + widened(lower[at[j][i]]) > 0 {
                        return -.infinity
                    }
                }
                var lo = [Double](repeating: 0, count: k), hi = lo
                for j in 0..<k {
                    var denLow = 1.0, denHigh = 1.0
                    for i in 0..<k where i != j {
                        // z_i − z_j ∈ [L_ij, −L_ji].
                        let up = -widened(lower[at[j][i]]), down = widened(lower[at[i][j]])
                        denLow += exp(min(up, 700))
                        denHigh += exp(min(down, 700))
                    }
                    lo[j] = 1 / denLow - p0[j]
                    hi[j] = 1 / denHigh - p0[j]
                }
                return min(farthestWithZeroSum(lo, hi), 2.0.squareRoot()) + 1e-7
            }, value: value,
            slope: { y in
                // ∂‖p − p0‖/∂z_j = p_j·((p − p0)_j − Σ_i p_i (p − p0)_i) / ‖p − p0‖.
                let p = softmax(y)
                var dist = 0.0, mean = 0.0
                for j in 0..<k {
                    dist += (p[j] - p0[j]) * (p[j] - p0[j])
                    mean += p[j] * (p[j] - p0[j])
                }
                let v = max(dist.squareRoot(), 1e-300)
                return (0..<k).map { p[$0] * ((p[$0] - p0[$0]) - mean) / v }
            }, threshold: epsilon, violates: { value($0) > epsilon + margin },
            outputBranch: { lower in
                // The difference z_i − z_j whose range moves the probabilities most: its width
                // times the slope of the logistic function σ(z_i − z_j) at the range's point
                // nearest 0 (a pair far apart shares little probability whatever it does).
                var best: (row: Int, threshold: Double)?
                var score = 0.0
                for i in 0..<k {
                    for j in (i + 1)..<k {
                        let low = lower[at[i][j]], high = -lower[at[j][i]]
                        guard high - low > 1e-9 * (1 + abs(low) + abs(high)) else { continue }
                        let t = min(max(0, low), high), e = exp(-abs(t))
                        let s = (high - low) * e / ((1 + e) * (1 + e))
                        if s > score { (best, score) = ((at[i][j], (low + high) / 2), s) }
                    }
                }
                return best
            })
    }

    /// "The predicted class stays c": every z_c − z_j > 0. The value is the best other logit's
    /// lead, max_j z_j − z_c; a violation needs a lead clear of rounding (as `Radius.flips`).
    static func label(outputs k: Int, label c: Int) -> SplitQuestion {
        let others = (0..<k).filter { $0 != c }
        let value: @Sendable ([Double]) -> Double = { y in others.map { y[$0] - y[c] }.max() ?? -.infinity }
        return SplitQuestion(
            rows: others.map { j in (0..<k).map { $0 == c ? 1 : $0 == j ? -1 : 0 } },
            constants: others.map { _ in 0 },
            worst: { lower in lower.map { -widened($0) }.max() ?? -.infinity },
            value: value,
            slope: { y in
                var best = others.first ?? 0
                for j in others where y[j] > y[best] { best = j }
                return (0..<k).map { $0 == best ? 1 : $0 == c ? -1 : 0 }
            }, threshold: 0,
            violates: { y in value(y) > 1e-4 * (1 + abs(y[c])) })
    }

    static func softmax(_ z: [Double]) -> [Double] {
        let top = z.max() ?? 0
        let e = z.map { exp($0 - top) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }

    /// The largest ‖Δ‖₂ over the box lo ≤ Δ ≤ hi with ΣΔ = 0. A convex function's maximum over
    /// that polytope is at a vertex, where every coordinate but one is at a bound and the last
    /// is what makes the sum 0; up to 12 coordinates they are all tried (k·2^(k−1)), beyond
    /// that the box's farthest corner is taken (looser, still sound).
    static func farthestWithZeroSum(_ lo: [Double], _ hi: [Double]) -> Double {
        let k = lo.count
        let corner = (0..<k).reduce(0.0) { $0 + max(lo[$1] * lo[$1], hi[$1] * hi[$1]) }.squareRoot()
        guard k >= 2, k <= 12 else { return corner }
        var best = -1.0
        for free in 0..<k {
            for mask in 0..<(1 << (k - 1)) {
                var sum = 0.0, squares = 0.0, bit = 0
                for j in 0..<k where j != free {
                    let v = mask & (1 << bit) != 0 ? hi[j] : lo[j]
                    sum += v
                    squares += v * v
                    bit += 1
                }
                let v = -sum, slack = 1e-12 * (1 + abs(v))
                guard v >= lo[free] - slack, v <= hi[free] + slack else { continue }
                best = max(best, squares + v * v)
            }
        }
        return best < 0 ? corner : best.squareRoot()
    }

    /// The farthest point from the origin of the polygon {y : u_t·y ≤ h_t}: the largest norm
    /// among the intersections of two of its lines that meet every constraint (a convex
    /// function's maximum is at a vertex). When rounding leaves no vertex, the box of the four
    /// axis directions (t = 0, m/4, m/2, 3m/4) bounds it.
    static func polygonFarthest(_ u: [(Double, Double)], _ h: [Double]) -> Double {
        let m = u.count
        var best = -1.0
        for a in 0..<m {
            for b in (a + 1)..<m {
                let det = u[a].0 * u[b].1 - u[a].1 * u[b].0
                guard abs(det) > 1e-9 else { continue }
                let y0 = (h[a] * u[b].1 - u[a].1 * h[b]) / det
                let y1 = (u[a].0 * h[b] - h[a] * u[b].0) / det
                var inside = true
                for t in 0..<m where u[t].0 * y0 + u[t].1 * y1 > h[t] + 1e-7 * (1 + abs(h[t]) + abs(y0) + abs(y1)) {
                    inside = false
                    break
                }
                if inside { best = max(best, y0 * y0 + y1 * y1) }
            }
        }
        if best >= 0 { return best.squareRoot() }
        let q = m / 4
        let e0 = max(h[0], h[2 * q], 0), e1 = max(h[q], h[3 * q], 0)
        return (e0 * e0 + e1 * e1).squareRoot()
    }
}
