import MLETensor

/// One layer's values for a batch of rows: before the activation function (`pre`, `x·W + b`)
/// and after it (`post`). The output layer has no activation here: its `post` equals `pre`
/// (logits for a classifier, the standardised value for regression).
public struct LayerValues: Sendable {
    public var pre: Matrix
    public var post: Matrix
}

/// The range of every unit's values over the training set, measured after training and kept
/// with the model: DeepGauge's [low, high] per unit, dead units, and the box of feature values
/// seen in training (in the data's own units) that input searches stay inside.
public struct UnitProfile: Equatable, Sendable {
    /// Training rows measured.
    public var rows: Int
    /// Per layer (all layers, output included), per unit.
    public var preLow: [[Float]], preHigh: [[Float]]
    public var postLow: [[Float]], postHigh: [[Float]]
    /// Per feature, raw units.
    public var featureLow: [Float], featureHigh: [Float]

    public init(rows: Int, preLow: [[Float]], preHigh: [[Float]], postLow: [[Float]], postHigh: [[Float]],
                featureLow: [Float], featureHigh: [Float]) {
        self.rows = rows; self.preLow = preLow; self.preHigh = preHigh; self.postLow = postLow
        self.postHigh = postHigh; self.featureLow = featureLow; self.featureHigh = featureHigh
    }

    /// Measures `net` on the raw rows `x`, a few thousand rows at a time to bound memory.
    public static func measure(_ net: MLP, on x: Matrix) throws -> UnitProfile {
        guard x.rows > 0 else { throw LearningError.invalid("the profile needs at least one training row") }
        let widths = net.layers.map(\.outputs)
        var preLow = widths.map { [Float](repeating: .infinity, count: $0) }
        var preHigh = widths.map { [Float](repeating: -.infinity, count: $0) }
        var postLow = preLow, postHigh = preHigh
        var featureLow = [Float](repeating: .infinity, count: x.cols)
        var featureHigh = [Float](repeating: -.infinity, count: x.cols)
        for r in 0..<x.rows {
            for j in 0..<x.cols {
                let v = x[r, j]
                if v < featureLow[j] { featureLow[j] = v }
                if v > featureHigh[j] { featureHigh[j] = v }
            }
        }
        let chunk = 4096
        var start = 0
        while start < x.rows {
            let count = min(chunk, x.rows - start)
            let rows = x.gatherRows(Array(start..<(start + count)))
            let values = try net.forward(standardized: net.standardizer.apply(rows))
            for (l, v) in values.enumerated() {
                update(&preLow[l], &preHigh[l], v.pre)
                update(&postLow[l], &postHigh[l], v.post)
            }
            start += count
        }
        return UnitProfile(rows: x.rows, preLow: preLow, preHigh: preHigh, postLow: postLow, postHigh: postHigh,
                           featureLow: featureLow, featureHigh: featureHigh)
    }

    private static func update(_ low: inout [Float], _ high: inout [Float], _ m: Matrix) {
        let cols = m.cols
        m.storage.withUnsafeBufferPointer { p in
            for r in 0..<m.rows {
                for j in 0..<cols {
                    let v = p[r * cols + j]
                    if v < low[j] { low[j] = v }
                    if v > high[j] { high[j] = v }
                }
            }
        }
    }
}

extension MLP {
    /// Every layer's pre- and post-activation values for rows that are already standardised:
    /// one batched pass, no loop per row.
    public func forward(standardized x: Matrix) throws -> [LayerValues] {
        try BLASThreads.forProductsOf(size: largestProduct(rows: x.rows)) { try forwardPass(x) }
    }

    /// The largest m·n·k of a pass over `rows` rows, to choose OpenBLAS's thread count.
    func largestProduct(rows: Int) -> Int {
        layers.map { rows * $0.inputs * $0.outputs }.max() ?? 0
    }

    private func forwardPass(_ x: Matrix) throws -> [LayerValues] {
        var out: [LayerValues] = []
        out.reserveCapacity(layers.count)
        var a = x
        for (l, layer) in layers.enumerated() {
            var z = try Matrix.product(a, layer.weight)
            Kernels.addRowVector(&z, layer.bias)
            if l < layers.count - 1 {
                var post = z
                Kernels.activate(&post, activation)
                out.append(LayerValues(pre: z, post: post))
                a = post
            } else {
                out.append(LayerValues(pre: z, post: z))
            }
        }
        return out
    }

    /// The gradient with respect to the standardised input rows of Σ_r Σ_j seed[r, j] · pre_l[r, j],
    /// where pre_l is layer `layer`'s pre-activation value: one backward pass for the batch.
    /// `values` must be `forward(standardized: x)`.
    public func inputGradient(layer: Int, seed: Matrix, values: [LayerValues]) throws -> Matrix {
        guard layers.indices.contains(layer), values.count == layers.count else {
            throw TensorError.shapeMismatch("layer \(layer + 1) is not a layer of this network")
        }
        guard seed.rows == values[layer].pre.rows, seed.cols == layers[layer].outputs else {
            throw TensorError.shapeMismatch("the gradient seed is \(seed.rows)×\(seed.cols), the layer gives \(values[layer].pre.rows)×\(layers[layer].outputs)")
        }
        return try BLASThreads.forProductsOf(size: largestProduct(rows: seed.rows)) {
            try backwardPass(layer: layer, seed: seed, values: values)
        }
    }

    private func backwardPass(layer: Int, seed: Matrix, values: [LayerValues]) throws -> Matrix {
        var delta = seed
        var l = layer
        while l > 0 {
            var previous = try Matrix.product(delta, layers[l].weight, transposeB: true)
            Kernels.activateBackward(gradient: &previous, output: values[l - 1].post, activation)
            delta = previous
            l -= 1
        }
        return try Matrix.product(delta, layers[0].weight, transposeB: true)
    }
}
