import MLETensor

/// Per-feature standardisation `(x - mean) / scale`, with statistics from training data.
/// A constant feature gets scale 1, so it maps to 0 instead of dividing by zero.
public struct Standardizer: Equatable, Sendable {
    public var mean: [Float]
    public var scale: [Float]

    public init(mean: [Float], scale: [Float]) { self.mean = mean; self.scale = scale }

    /// Fits on the columns of `x` (population standard deviation, as scikit-learn's StandardScaler).
    public static func fit(_ x: Matrix) -> Standardizer {
        let cols = x.cols
        var mean = [Double](repeating: 0, count: cols)
        var sq = [Double](repeating: 0, count: cols)
        let n = Double(max(x.rows, 1))
        // Over the buffers: subscripts and array writes per cell made this take most of a
        // second on 2 M rows × 30 columns, between two of the trainer's Ctrl-C checks.
        x.storage.withUnsafeBufferPointer { p in
            mean.withUnsafeMutableBufferPointer { m in
                for r in 0..<x.rows {
                    let base = r * cols
                    for j in 0..<cols { m[j] += Double(p[base + j]) }
                }
                for j in 0..<cols { m[j] /= n }
                sq.withUnsafeMutableBufferPointer { s in
                    for r in 0..<x.rows {
                        let base = r * cols
                        for j in 0..<cols {
                            let d = Double(p[base + j]) - m[j]
                            s[j] += d * d
                        }
                    }
                }
            }
        }
        let scale = sq.map { s -> Float in
            let sd = (s / n).squareRoot()
            return sd > 1e-12 ? Float(sd) : 1
        }
        return Standardizer(mean: mean.map { Float($0) }, scale: scale)
    }

    /// `x` standardised column by column.
    /// - Throws: `Cancelled` when the thread's current cancellation fires (polled every 65,536 rows).
    public func apply(_ x: Matrix) throws -> Matrix {
        let cols = x.cols
        guard cols == mean.count else { return x }
        var out = Matrix(uninitializedRows: x.rows, cols: cols)  // every cell is written below
        let cancellation = Cancellation.current
        var stopped = false
        x.storage.withUnsafeBufferPointer { src in
            out.storage.withUnsafeMutableBufferPointer { p in
                for r in 0..<x.rows {
                    if r & 0xFFFF == 0xFFFF, cancellation.isCancelled { stopped = true; return }
                    let base = r * cols
                    for j in 0..<cols { p[base + j] = (src[base + j] - mean[j]) / scale[j] }
                }
            }
        }
        if stopped { throw Cancelled() }
        return out
    }
}
