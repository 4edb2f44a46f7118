import Foundation
import MLELearning
import MLETensor

/// A ReLU network as the verifier sees it: double-precision layers from the network's raw
/// inputs to its outputs, the input standardisation folded into the first layer and, for a
/// regression network, the target's scale and mean into the last, so that properties are
/// written in the data's own units and the network's predictions.
public struct VerifierNetwork: Sendable {
    /// Inputs, then each layer's outputs: [d, n₁, …, n_L].
    public let widths: [Int]
    /// Layer l, row-major outputs × inputs (a unit's incoming weights are a row); its positive
    /// and negative parts; its bias.
    let w: [[Double]], wPos: [[Double]], wNeg: [[Double]], b: [[Double]]
    /// The network as mle runs it, in float32, for replaying counterexamples.
    public let model: MLP

    public var inputs: Int { widths.first ?? 0 }
    public var outputs: Int { widths.last ?? 0 }
    public var layerCount: Int { w.count }

    public init(_ model: MLP) throws {
        guard !model.layers.isEmpty else { throw VerifyError("the network has no layers") }
        if model.layers.count > 1, model.activation != .relu {
            throw VerifyError(
                "verification needs ReLU between layers; this network uses \(model.activation.rawValue)")
        }
        if model.preprocessor != nil {
            throw VerifyError(
                "the network encodes some columns before its first layer; verify takes networks whose inputs are numbers"
            )
        }
        self.model = model
        let s = model.standardizer
        var w: [[Double]] = [], b: [[Double]] = []
        for (l, layer) in model.layers.enumerated() {
            let m = layer.inputs, n = layer.outputs
            var t = [Double](repeating: 0, count: n * m)
            var bias = layer.bias.map(Double.init)
            for i in 0..<m {
                for o in 0..<n {
                    var v = Double(layer.weight.storage[i * n + o])
                    if l == 0, i < s.scale.count {
                        // ((x − mean)/scale)·W = x·(W/scale) − (mean/scale)·W
                        let scale = Double(s.scale[i]), mean = Double(s.mean[i])
                        bias[o] -= mean / scale * v
                        v /= scale
                    }
                    t[o * m + i] = v
                }
            }
            if l == model.layers.count - 1, !model.task.isClassification {
                let scale = Double(model.targetScale), mean = Double(model.targetMean)
                t = t.map { $0 * scale }
                bias = bias.map { $0 * scale + mean }
            }
            w.append(t)
            b.append(bias)
        }
        self.w = w
        self.b = b
        wPos = w.map { $0.map { max($0, 0) } }
        wNeg = w.map { $0.map { min($0, 0) } }
        widths = [model.layers[0].inputs] + model.layers.map(\.outputs)
    }

    /// The outputs at x, in double precision.
    public func evaluate(_ x: [Double]) -> [Double] { forward(x, recording: false).outputs }

    /// The outputs at x and, when `recording`, each hidden layer's active units.
    private func forward(_ x: [Double], recording: Bool) -> (outputs: [Double], active: [[Bool]]) {
        var active: [[Bool]] = []
        var a = x
        for l in 0..<w.count {
            let m = widths[l], n = widths[l + 1]
            var z = b[l]
            w[l].withUnsafeBufferPointer { wl in
                for o in 0..<n {
                    var s = 0.0
                    for i in 0..<m { s += wl[o * m + i] * a[i] }
                    z[o] += s
                }
            }
            if l < w.count - 1 {
                if recording { active.append(z.map { $0 > 0 }) }
                for o in 0..<n { z[o] = max(z[o], 0) }
            }
            a = z
        }
        return (a, active)
    }

    /// The outputs at x as mle computes them, in float32 (x is rounded to float first).
    public func evaluateFloat(_ x: [Float]) throws -> [Double] {
        var m = Matrix(rows: 1, cols: x.count)
        for (j, v) in x.enumerated() { m[0, j] = v }
        let out = try model.logits(raw: m)
        let values = out.row(0).map(Double.init)
        if model.task.isClassification { return values }
        return values.map { $0 * Double(model.targetScale) + Double(model.targetMean) }
    }

    /// The outputs at each of the points, in double precision, a layer at a time for all of them
    /// (one product per layer instead of a loop per point).
    public func evaluate(batch points: [[Double]]) -> [[Double]] {
        let n0 = points.count, d = inputs
        guard n0 > 0 else { return [] }
        var a = [Double](repeating: 0, count: n0 * d)
        for (r, x) in points.enumerated() { for i in 0..<d { a[r * d + i] = x[i] } }
        for l in 0..<w.count {
            let m = widths[l], n = widths[l + 1]
            var z = [Double](repeating: 0, count: n0 * n)
            a.withUnsafeBufferPointer { ap in
                w[l].withUnsafeBufferPointer { wp in
                    z.withUnsafeMutableBufferPointer { zp in
                        guard let x = ap.baseAddress, let y = wp.baseAddress, let out = zp.baseAddress else { return }
                        DoubleGEMM.multiply(x, y, transposeB: true, into: out, m: n0, n: n, k: m)
                    }
                }
            }
            let relu = l < w.count - 1
            b[l].withUnsafeBufferPointer { bias in
                for r in 0..<n0 {
                    for o in 0..<n {
                        let v = z[r * n + o] + bias[o]
                        z[r * n + o] = relu ? max(v, 0) : v
                    }
                }
            }
            a = z
        }
        let k = outputs
        return (0..<n0).map { r in Array(a[(r * k)..<((r + 1) * k)]) }
    }

    /// ∂(a·f(x))/∂x and f(x), in double precision (a ReLU's derivative at 0 is taken as 0).
    func gradient(_ x: [Double], of a: [Double]) -> (gradient: [Double], outputs: [Double]) {
        let (cur, actives) = forward(x, recording: true)
        var g = a
        for l in stride(from: w.count - 1, through: 0, by: -1) {
            let m = widths[l], n = widths[l + 1]
            if l < w.count - 1 { for o in 0..<n where !actives[l][o] { g[o] = 0 } }
            var next = [Double](repeating: 0, count: m)
            w[l].withUnsafeBufferPointer { wl in
                for o in 0..<n where g[o] != 0 {
                    let go = g[o]
                    for i in 0..<m { next[i] += go * wl[o * m + i] }
                }
            }
            g = next
        }
        return (g, cur)
    }
}

/// A reason verification cannot start (the network or the property does not fit).
public struct VerifyError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}
