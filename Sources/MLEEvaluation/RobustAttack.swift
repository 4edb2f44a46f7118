import Foundation
import MLELearning
import MLETensor

/// Projected gradient ascent on ‖f(x′) − f(x)‖² over the ball, with random restarts, all
/// examples and restarts in one batch per step.
enum Attack {
    /// - Returns: the farthest output found per example, and how many leading examples were
    ///   attacked to the end (fewer than all after Ctrl-C).
    static func run(
        _ net: MLP, centers: Matrix, centerOutputs: Robustness.Outputs, settings: RobustSettings,
        cancellation: Cancellation, progress: (Int) -> Void
    ) throws -> (best: [(distance: Double, point: [Float])], completed: Int) {
        let d = centers.cols
        let restarts = settings.restarts
        let delta = Float(settings.delta)
        // Madry et al.'s step: 2.5 δ / steps, so a walk can cross the ball.
        let alpha = 2.5 * delta / Float(settings.steps)
        var rng = SeededGenerator(seed: settings.seed &+ 0x9E37_79B9_7F4A_7C15)
        var best = (0..<centers.rows).map { (distance: 0.0, point: centers.row($0)) }
        let perBatch = max(1, 16_384 / restarts)
        var start = 0
        while start < centers.rows {
            let examples = Array(start..<min(start + perBatch, centers.rows))
            let rows = examples.count * restarts
            var x = Matrix(rows: rows, cols: d)
            var reference = Matrix(rows: rows, cols: centerOutputs.measured.cols)
            for (b, e) in examples.enumerated() {
                for r in 0..<restarts {
                    let row = b * restarts + r
                    let offset = Robustness.sampleOffset(
                        d: d, delta: delta, norm: settings.norm, surface: false, rng: &rng)
                    for j in 0..<d { x[row, j] = centers[e, j] + offset[j] }
                    for c in 0..<reference.cols { reference[row, c] = centerOutputs.measured[e, c] }
                }
            }
            var cut = false
            for step in 0...settings.steps {
                // Ctrl-C: the batch under way is abandoned; the batches before it are complete.
                if cancellation.isCancelled { cut = true; break }
                let (values, distances, seed) = try objective(net, x, reference: reference, output: settings.output)
                for row in 0..<rows {
                    let e = examples[row / restarts]
                    if distances[row] > best[e].distance { best[e] = (distances[row], x.row(row)) }
                }
                if step == settings.steps { break }
                let g = try net.inputGradient(layer: net.layers.count - 1, seed: seed, values: values)
                for row in 0..<rows {
                    ascend(
                        &x, row: row, gradient: g, center: centers, centerRow: examples[row / restarts],
                        alpha: alpha, delta: delta, norm: settings.norm)
                }
            }
            if cut {
                for e in examples { best[e] = (0, centers.row(e)) }
                return (best, start)
            }
            start += examples.count
            progress(start)
        }
        return (best, start)
    }

    /// One projected ascent step of `row` of `x` along `g`: normalised (L2) or signed (L∞) with
    /// length `alpha`, then projected back onto the ball of radius `delta` around the centre.
    static func ascend(
        _ x: inout Matrix, row: Int, gradient g: Matrix, center: Matrix, centerRow e: Int,
        alpha: Float, delta: Float, norm: PerturbationNorm
    ) {
        let d = x.cols
        switch norm {
        case .l2:
            var n: Float = 0
            for j in 0..<d { n += g[row, j] * g[row, j] }
            n = n.squareRoot()
            guard n > 0, n.isFinite else { return }
            for j in 0..<d { x[row, j] += alpha * g[row, j] / n }
            var r: Float = 0
            for j in 0..<d { let o = x[row, j] - center[e, j]; r += o * o }
            r = r.squareRoot()
            if r > delta {
                for j in 0..<d { x[row, j] = center[e, j] + (x[row, j] - center[e, j]) * (delta / r) }
            }
        case .linf:
            for j in 0..<d {
                let step = g[row, j] > 0 ? alpha : (g[row, j] < 0 ? -alpha : 0)
                x[row, j] = min(max(x[row, j] + step, center[e, j] - delta), center[e, j] + delta)
            }
        }
    }

    /// The attack's objective ‖m(x) − m0‖² per row (m: the measured output) and its gradient
    /// with respect to the logits, with the forward values the input gradient needs.
    static func objective(_ net: MLP, _ x: Matrix, reference: Matrix, output: RobustOutput) throws
        -> (values: [LayerValues], distances: [Double], logitGradient: Matrix)
    {
        let values = try net.forward(standardized: x)
        let measured = Robustness.measured(values[values.count - 1].post, net, output)
        let k = measured.cols
        var seed = Matrix(rows: x.rows, cols: k)
        var distances = [Double](repeating: 0, count: x.rows)
        for row in 0..<x.rows {
            var dist = 0.0
            for c in 0..<k { let e = Double(measured[row, c]) - Double(reference[row, c]); dist += e * e }
            distances[row] = dist.squareRoot()
            // d‖m − m0‖²/dz = 2(m − m0) through the output map's Jacobian: for softmax
            // (diag(p) − p pᵀ) v = p ⊙ (v − p·v).
            var dot: Float = 0
            for c in 0..<k { dot += measured[row, c] * 2 * (measured[row, c] - reference[row, c]) }
            for c in 0..<k {
                let v = 2 * (measured[row, c] - reference[row, c])
                if !net.task.isClassification {
                    seed[row, c] = v * net.targetScale
                } else if output == .probabilities {
                    seed[row, c] = measured[row, c] * (v - dot)
                } else {
                    seed[row, c] = v
                }
            }
        }
        return (values, distances, seed)
    }
}
