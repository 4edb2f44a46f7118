import CKernels
import Foundation

/// The elementwise kernels training needs. Each works on the matrix's buffer directly.
/// Shapes are checked by the callers in the learning layer, which build every matrix they pass.
public enum Kernels {
    /// A rows × bias.count matrix whose every row is `bias`: the starting value of `x·W + b`
    /// computed by GEMM with beta 1 (one pass over the output instead of zeroing and adding).
    public static func repeatedRows(_ bias: [Float], rows: Int) -> Matrix {
        let cols = bias.count
        let storage = [Float](unsafeUninitializedCapacity: rows * cols) { out, count in
            bias.withUnsafeBufferPointer { b in
                guard let src = b.baseAddress, let dst = out.baseAddress else { return }
                for r in 0..<rows { (dst + r * cols).initialize(from: src, count: cols) }
            }
            count = rows * cols
        }
        return (try? Matrix(rows: rows, cols: cols, storage: storage)) ?? Matrix(rows: rows, cols: cols)
    }

    /// Adds `bias` (length `m.cols`) to every row of `m`.
    public static func addRowVector(_ m: inout Matrix, _ bias: [Float]) {
        biasActivate(&m, bias, relu: false)
    }

    /// Adds `bias` to every row of `m`, then applies `activation` (nil: none); ReLU in the same
    /// pass.
    public static func addBias(_ m: inout Matrix, _ bias: [Float], activation: Activation?) {
        if activation == .relu { biasActivate(&m, bias, relu: true); return }
        biasActivate(&m, bias, relu: false)
        if let a = activation { activate(&m, a) }
    }

    private static func biasActivate(_ m: inout Matrix, _ bias: [Float], relu: Bool) {
        let rows = m.rows, cols = m.cols
        guard bias.count == cols, rows * cols > 0 else { return }
        m.storage.withUnsafeMutableBufferPointer { p in
            bias.withUnsafeBufferPointer { b in
                guard let pp = p.baseAddress, let bp = b.baseAddress else { return }
                mle_bias_activate(pp, rows, cols, bp, relu ? 1 : 0)
            }
        }
    }

    /// A hidden-layer activation.
    public enum Activation: String, CaseIterable, Sendable, Codable {
        case relu, tanh, sigmoid
        /// max(x, 0.01·x), PyTorch's default slope.
        case leakyRelu = "leaky_relu"
    }

    /// The activation of one value, as `activate` computes it (ReLU and leaky ReLU only; tanh
    /// and sigmoid as Foundation's).
    public static func activation(_ x: Float, _ a: Activation) -> Float {
        switch a {
        case .relu: return Swift.max(x, 0)
        case .leakyRelu: return Swift.max(x, 0.01 * x)
        case .tanh: return Foundation.tanh(x)
        case .sigmoid: return 1 / (1 + expf(-x))
        }
    }

    /// The activation in place.
    public static func activate(_ m: inout Matrix, _ a: Activation) {
        switch a {
        case .relu: relu(&m)
        case .tanh:
            m.storage.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] = Foundation.tanh(p[i]) } }
        case .sigmoid:
            m.storage.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] = 1 / (1 + expf(-p[i])) } }
        case .leakyRelu:
            m.storage.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] = Swift.max(p[i], 0.01 * p[i]) }
            }
        }
    }

    /// Backward of the activation in place, from the forward output: multiplies the gradient by
    /// the derivative (relu: out > 0; tanh: 1 − out²; sigmoid: out·(1 − out); leaky: 1 or 0.01).
    public static func activateBackward(gradient g: inout Matrix, output: Matrix, _ a: Activation) {
        if a == .relu { reluBackward(gradient: &g, output: output); return }
        g.storage.withUnsafeMutableBufferPointer { pg in
            output.storage.withUnsafeBufferPointer { po in
                for i in 0..<Swift.min(pg.count, po.count) {
                    let o = po[i]
                    switch a {
                    case .tanh: pg[i] *= 1 - o * o
                    case .sigmoid: pg[i] *= o * (1 - o)
                    case .leakyRelu: pg[i] *= o > 0 ? 1 : 0.01
                    case .relu: break
                    }
                }
            }
        }
    }

    /// ReLU in place: `x = max(x, 0)`.
    ///
    /// Branch-free on purpose: half the pre-activations are negative at random, and the branchy
    /// loop's mispredictions made ReLU and its backward a quarter of a training step (perf, on
    /// the digits benchmark); the select form vectorises.
    public static func relu(_ m: inout Matrix) {
        m.storage.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count { p[i] = Swift.max(p[i], 0) }
        }
    }

    /// Backward of ReLU in place: zero the gradient where the forward output was not positive.
    public static func reluBackward(gradient g: inout Matrix, output: Matrix) {
        g.storage.withUnsafeMutableBufferPointer { pg in
            output.storage.withUnsafeBufferPointer { po in
                let count = Swift.min(pg.count, po.count)
                var i = 0
                // SIMD8 by hand: the compiler kept the scalar select as a branch (perf).
                if let gp = pg.baseAddress, let op = po.baseAddress {
                    while i + 8 <= count {
                        let o = UnsafeRawPointer(op + i).loadUnaligned(as: SIMD8<Float>.self)
                        var v = UnsafeRawPointer(gp + i).loadUnaligned(as: SIMD8<Float>.self)
                        v.replace(with: 0, where: o .<= 0)
                        UnsafeMutableRawPointer(gp + i).storeBytes(of: v, as: SIMD8<Float>.self)
                        i += 8
                    }
                }
                while i < count { if po[i] <= 0 { pg[i] = 0 }; i += 1 }
            }
        }
    }

    /// Row-wise softmax in place, stabilised by subtracting each row's maximum.
    public static func softmaxRows(_ m: inout Matrix) {
        let cols = m.cols
        guard cols > 0 else { return }
        m.storage.withUnsafeMutableBufferPointer { p in
            for r in 0..<m.rows {
                let base = r * cols
                var mx = p[base]
                for j in 1..<cols where p[base + j] > mx { mx = p[base + j] }
                var sum: Float = 0
                for j in 0..<cols {
                    let e = expf(p[base + j] - mx)
                    p[base + j] = e
                    sum += e
                }
                let inv = 1 / sum
                for j in 0..<cols { p[base + j] *= inv }
            }
        }
    }

    /// `b += a` element-wise (equal lengths; a shorter `a` adds to a prefix).
    public static func add(_ a: [Float], into b: inout [Float]) {
        let n = min(a.count, b.count)
        a.withUnsafeBufferPointer { x in
            b.withUnsafeMutableBufferPointer { y in
                for i in 0..<n { y[i] += x[i] }
            }
        }
    }

    /// Column sums of `m` (length `m.cols`).
    public static func columnSums(_ m: Matrix) -> [Float] {
        var out = [Float](repeating: 0, count: m.cols)
        columnSums(m, into: &out)
        return out
    }

    /// Column sums of `m` into `out` (length `m.cols`), summed in row order.
    public static func columnSums(_ m: Matrix, into out: inout [Float]) {
        let rows = m.rows, cols = m.cols
        guard out.count == cols else { out = columnSums(m); return }
        m.storage.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer { o in
                guard let op = o.baseAddress else { return }
                guard let pp = p.baseAddress else { for j in 0..<cols { o[j] = 0 }; return }
                mle_column_sums(pp, rows, cols, op)
            }
        }
    }

    /// Widens `low` and `high` (length `m.cols`) to every value of each column of `m`.
    public static func columnRange(_ m: Matrix, low: inout [Float], high: inout [Float]) {
        let rows = m.rows, cols = m.cols
        guard low.count == cols, high.count == cols, rows > 0 else { return }
        m.storage.withUnsafeBufferPointer { p in
            low.withUnsafeMutableBufferPointer { lo in
                high.withUnsafeMutableBufferPointer { hi in
                    guard let pp = p.baseAddress, let l = lo.baseAddress, let h = hi.baseAddress else { return }
                    mle_column_min_max(pp, rows, cols, l, h)
                }
            }
        }
    }

    /// One Adam step (Kingma & Ba 2015) on `params` with gradient `grads`, updating the first and
    /// second moment estimates `m` and `v` in place. `step` counts from 1. Runs over the shortest
    /// of the four buffers. The loop is in C (`mle_adam_step`), where `restrict` lets it vectorise.
    public static func adamStep(
        params: UnsafeMutableBufferPointer<Float>,
        grads: UnsafeBufferPointer<Float>,
        m: UnsafeMutableBufferPointer<Float>,
        v: UnsafeMutableBufferPointer<Float>,
        lr: Float, beta1: Float, beta2: Float, eps: Float, step: Int
    ) {
        let count = min(params.count, grads.count, m.count, v.count)
        guard count > 0, let pp = params.baseAddress, let gp = grads.baseAddress,
            let mp = m.baseAddress, let vp = v.baseAddress
        else { return }
        mle_adam_step(pp, gp, mp, vp, count, lr, beta1, beta2, eps, step)
    }
}
