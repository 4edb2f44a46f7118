import MLETensor

/// Per-feature standardisation `(x - mean) / scale`, with statistics from training data.
/// A constant feature gets scale 1, so it maps to 0 instead of dividing by zero.
public struct Standardizer: Equatable, Sendable {
    public var mean: [Float]
    public var scale: [Float]

    public init(mean: [Float], scale: [Float]) { self.mean = mean; self.scale = scale }

    /// Fits on the columns of `x` (population standard deviation, as scikit-learn's StandardScaler).
    public static func fit(_ x: Matrix) -> Standardizer {
        var mean = [Double](repeating: 0, count: x.cols)
        var sq = [Double](repeating: 0, count: x.cols)
        for r in 0..<x.rows { for j in 0..<x.cols { mean[j] += Double(x[r, j]) } }
        let n = Double(max(x.rows, 1))
        for j in 0..<x.cols { mean[j] /= n }
        for r in 0..<x.rows {
            for j in 0..<x.cols { let d = Double(x[r, j]) - mean[j]; sq[j] += d * d }
        }
        let scale = sq.map { s -> Float in
            let sd = (s / n).squareRoot()
            return sd > 1e-12 ? Float(sd) : 1
        }
        return Standardizer(mean: mean.map { Float($0) }, scale: scale)
    }

    /// `x` standardised column by column.
    public func apply(_ x: Matrix) -> Matrix {
        var out = x
        let cols = x.cols
        guard cols == mean.count else { return out }
        out.storage.withUnsafeMutableBufferPointer { p in
            for r in 0..<x.rows {
                let base = r * cols
                for j in 0..<cols { p[base + j] = (p[base + j] - mean[j]) / scale[j] }
            }
        }
        return out
    }
}
