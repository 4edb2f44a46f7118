import MLETensor

/// One layer's values for a batch of rows: before the activation function (`pre`, `x·W + b`)
/// and after it (`post`). The output layer has no activation here: its `post` equals `pre`
/// (logits for a classifier, the standardised value for regression).
public struct LayerValues: Sendable {
    public var pre: Matrix
    public var post: Matrix
}

/// The range of every unit's values over the training set, measured on the network training
/// produced (when first read, see `MLP.measureProfileLater`) and kept with the model: DeepGauge's [low, high] per unit, dead units, and the box of feature values
/// seen in training (in the data's own units) that input searches stay inside.
public struct UnitProfile: Equatable, Sendable {
    /// Training rows measured.
    public var rows: Int
    /// Per layer (all layers, output included), per unit.
    public var preLow: [[Float]], preHigh: [[Float]]
    public var postLow: [[Float]], postHigh: [[Float]]
    /// Per feature, raw units.
    public var featureLow: [Float], featureHigh: [Float]

    public init(
        rows: Int, preLow: [[Float]], preHigh: [[Float]], postLow: [[Float]], postHigh: [[Float]],
        featureLow: [Float], featureHigh: [Float]
    ) {
        self.rows = rows; self.preLow = preLow; self.preHigh = preHigh; self.postLow = postLow
        self.postHigh = postHigh; self.featureLow = featureLow; self.featureHigh = featureHigh
    }

    /// Measures `net` on the raw rows `x`, a few thousand rows at a time to bound memory, the
    /// blocks on all cores (each block's products on one OpenBLAS thread). Minima and maxima do
    /// not depend on the order the blocks are combined in.
    public static func measure(_ net: MLP, on x: Matrix) throws -> UnitProfile {
        guard x.rows > 0 else { throw LearningError.invalid("the profile needs at least one training row") }
        let widths = net.layers.map(\.outputs)
        let chunk = 4096
        let blocks = (x.rows + chunk - 1) / chunk
        let ranges = try BLASThreads.single {
            try Parallel.map(blocks) { b -> Ranges in
                let start = b * chunk, count = min(chunk, x.rows - b * chunk)
                let rows = try x.gatherRows(Array(start..<(start + count)))
                var r = Ranges(widths: widths, features: x.cols)
                Kernels.columnRange(rows, low: &r.featureLow, high: &r.featureHigh)
                // The forward pass, keeping each layer's ranges instead of its values. ReLU and
                // leaky ReLU are non-decreasing, so the range after them is the function of the
                // range before (exactly, in floating point too): no second pass over the values.
                var a = try net.standardizer.apply(rows)
                for (l, layer) in net.layers.enumerated() {
                    var z = try Matrix.product(a, layer.weight)
                    Kernels.addRowVector(&z, layer.bias)
                    Kernels.columnRange(z, low: &r.preLow[l], high: &r.preHigh[l])
                    if l == net.layers.count - 1 {
                        r.postLow[l] = r.preLow[l]; r.postHigh[l] = r.preHigh[l]
                        break
                    }
                    Kernels.activate(&z, net.activation)
                    switch net.activation {
                    case .relu, .leakyRelu:
                        for j in r.preLow[l].indices {
                            r.postLow[l][j] = Kernels.activation(r.preLow[l][j], net.activation)
                            r.postHigh[l][j] = Kernels.activation(r.preHigh[l][j], net.activation)
                        }
                    case .tanh, .sigmoid:
                        Kernels.columnRange(z, low: &r.postLow[l], high: &r.postHigh[l])
                    }
                    a = z
                }
                return r
            }
        }
        var all = Ranges(widths: widths, features: x.cols)
        for r in ranges { all.widen(r) }
        return UnitProfile(
            rows: x.rows, preLow: all.preLow, preHigh: all.preHigh, postLow: all.postLow,
            postHigh: all.postHigh, featureLow: all.featureLow, featureHigh: all.featureHigh)
    }

    /// Per-column minima and maxima of every layer and of the features, for a block of rows.
    private struct Ranges: Sendable {
        var preLow: [[Float]], preHigh: [[Float]], postLow: [[Float]], postHigh: [[Float]]
        var featureLow: [Float], featureHigh: [Float]

        init(widths: [Int], features: Int) {
            preLow = widths.map { [Float](repeating: .infinity, count: $0) }
            preHigh = widths.map { [Float](repeating: -.infinity, count: $0) }
            postLow = preLow
            postHigh = preHigh
            featureLow = [Float](repeating: .infinity, count: features)
            featureHigh = [Float](repeating: -.infinity, count: features)
        }

        mutating func widen(_ o: Ranges) {
            func lower(_ a: inout [Float], _ b: [Float]) { for j in a.indices { a[j] = Swift.min(a[j], b[j]) } }
            func raise(_ a: inout [Float], _ b: [Float]) { for j in a.indices { a[j] = Swift.max(a[j], b[j]) } }
            for l in preLow.indices {
                lower(&preLow[l], o.preLow[l]); raise(&preHigh[l], o.preHigh[l])
                lower(&postLow[l], o.postLow[l]); raise(&postHigh[l], o.postHigh[l])
            }
            lower(&featureLow, o.featureLow); raise(&featureHigh, o.featureHigh)
        }
    }
}

extension MLP {
    /// Every layer's pre- and post-activation values for rows that are already standardised:
    /// one batched pass, no loop per row.
    public func forward(standardized x: Matrix) throws -> [LayerValues] {
        try reservePass(rows: x.rows, keepingEveryLayer: true)
        // Millions of rows go through in blocks, so that Ctrl-C is heard between them (rows are
        // independent: a row's values do not depend on the block).
        let block = 65_536
        guard x.rows > block else {
            return try BLASThreads.forProductsOf(size: largestProduct(rows: x.rows)) { try forwardPass(x) }
        }
        // Every row of every layer is written below, block by block.
        var out = layers.map { l in
            LayerValues(
                pre: Matrix(uninitializedRows: x.rows, cols: l.outputs),
                post: Matrix(uninitializedRows: x.rows, cols: l.outputs))
        }
        var start = 0
        while start < x.rows {
            try Cancellation.checkCurrent()
            let end = min(start + block, x.rows)
            let part = try BLASThreads.forProductsOf(size: largestProduct(rows: end - start)) {
                try forwardPass(x.rowRange(start, end))
            }
            for (l, values) in part.enumerated() {
                out[l].pre.storage.replaceSubrange(
                    (start * values.pre.cols)..<(end * values.pre.cols), with: values.pre.storage)
                out[l].post.storage.replaceSubrange(
                    (start * values.post.cols)..<(end * values.post.cols), with: values.post.storage)
            }
            start = end
        }
        return out
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
            throw TensorError.shapeMismatch(
                "the gradient seed is \(seed.rows)×\(seed.cols), the layer gives \(values[layer].pre.rows)×\(layers[layer].outputs)"
            )
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
