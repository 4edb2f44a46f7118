import Foundation
import MLETensor
import Synchronization

/// A fully connected layer: `y = x · weight + bias`, `weight` stored `in × out`.
public struct DenseLayer: Equatable, Sendable {
    public var weight: Matrix
    public var bias: [Float]
    public init(weight: Matrix, bias: [Float]) { self.weight = weight; self.bias = bias }
    public var inputs: Int { weight.rows }
    public var outputs: Int { weight.cols }
}

/// What the network is fitted to, for one batch.
public enum TrainingTargets: Sendable {
    case classes([Int])
    /// Standardised numbers (regression).
    case values([Float])
}

/// A multilayer perceptron with ReLU hidden layers: a softmax output trained with cross-entropy
/// for classes, or one linear output trained with mean squared error for numbers.
/// Inputs are standardised with the training set's statistics, which the model keeps.
public struct MLP: Model {
    public var layers: [DenseLayer]
    public let standardizer: Standardizer
    public let featureNames: [String]
    public let task: Task
    /// Regression targets are standardised for training; predictions are mapped back.
    public let targetMean: Float
    public let targetScale: Float
    /// Each unit's range over the training set (set by training; nil for networks built by hand).
    /// Training leaves it to be measured when first read (`measureProfileLater`).
    public var profile: UnitProfile? {
        get { profileSource?.value }
        set { profileSource = newValue.map(ProfileSource.init(measured:)) }
    }
    private var profileSource: ProfileSource?
    /// Imputation and encodings from raw columns to `featureNames` (nil when the training data
    /// was already numeric and complete).
    public var preprocessor: Preprocessor?
    /// The hidden layers' activation.
    public var activation: Kernels.Activation = .relu

    public init(
        layers: [DenseLayer], standardizer: Standardizer, featureNames: [String],
        task: Task, targetMean: Float = 0, targetScale: Float = 1
    ) {
        self.layers = layers; self.standardizer = standardizer; self.featureNames = featureNames
        self.task = task; self.targetMean = targetMean; self.targetScale = targetScale
    }

    /// Keeps the training rows `x` (raw, as `inputs` gives them) so that `profile` is measured on
    /// them, with the network as it is now, when first read: by a coverage command or `save`.
    /// Training does not pay for that pass over its rows (for 200,000 rows through 50-256-256-2,
    /// 0.17 s of a 1.9 s training), and most trained networks never need it. The rows stay in
    /// memory with the model meanwhile; they share their storage with the training data's.
    public mutating func measureProfileLater(on x: Matrix) {
        var plain = self
        plain.profileSource = nil
        profileSource = ProfileSource(net: plain, rows: x)
    }

    /// Layer widths from input to output, e.g. [30, 32, 16, 2].
    public var widths: [Int] { [layers.first?.inputs ?? 0] + layers.map(\.outputs) }

    public var parameterCount: Int { layers.reduce(0) { $0 + $1.weight.storage.count + $1.bias.count } }

    public var kind: String { layers.count == 1 ? "logistic" : "mlp" }

    public var summary: String {
        if layers.count == 1 {
            let what = task.isClassification ? "softmax regression" : "linear regression"
            return "logistic \(widths.map(String.init).joined(separator: "→")) (\(what)), \(parameterCount) parameters"
        }
        return
            "mlp \(widths.map(String.init).joined(separator: "-")), \(activation.rawValue), \(parameterCount) parameters"
    }

    /// A network with PyTorch's default `nn.Linear` initialisation: weights and biases uniform in
    /// ±1/sqrt(fan_in).
    public static func initialised(
        widths: [Int], standardizer: Standardizer, featureNames: [String],
        task: Task, targetMean: Float = 0, targetScale: Float = 1,
        rng: inout SeededGenerator
    ) -> MLP {
        var layers: [DenseLayer] = []
        for l in 0..<(widths.count - 1) {
            let fanIn = widths[l], fanOut = widths[l + 1]
            let bound = 1 / Float(fanIn).squareRoot()
            var w = Matrix(rows: fanIn, cols: fanOut)
            for i in w.storage.indices { w.storage[i] = Float(rng.nextUnit() * 2 - 1) * bound }
            let b = (0..<fanOut).map { _ in Float(rng.nextUnit() * 2 - 1) * bound }
            layers.append(DenseLayer(weight: w, bias: b))
        }
        return MLP(
            layers: layers, standardizer: standardizer, featureNames: featureNames, task: task,
            targetMean: targetMean, targetScale: targetScale)
    }

    /// The output layer's values (logits, or the standardised regression output) for rows that
    /// are already standardised.
    public func outputs(standardized x: Matrix) throws -> Matrix {
        try reservePass(rows: x.rows, keepingEveryLayer: false)
        // Millions of rows go through in blocks, so that Ctrl-C is heard between them (rows are
        // independent: the block size does not change any row's result).
        let block = 65_536
        if x.rows > block {
            var out = Matrix(uninitializedRows: x.rows, cols: layers.last?.outputs ?? 0)  // every row written below
            var start = 0
            while start < x.rows {
                try Cancellation.checkCurrent()
                let end = min(start + block, x.rows)
                let part = try outputs(standardized: x.rowRange(start, end))
                out.storage.withUnsafeMutableBufferPointer { o in
                    part.storage.withUnsafeBufferPointer { p in
                        guard let ob = o.baseAddress, let pb = p.baseAddress else { return }
                        (ob + start * out.cols).update(from: pb, count: p.count)
                    }
                }
                start = end
            }
            return out
        }
        var a = x
        for (l, layer) in layers.enumerated() {
            var z = Kernels.repeatedRows(layer.bias, rows: a.rows)
            try Matrix.gemm(a, layer.weight, into: &z, beta: 1)
            if l < layers.count - 1 { Kernels.activate(&z, activation) }
            a = z
        }
        return a
    }

    /// Checks that a pass over `rows` rows fits in the memory left, when it is large enough to
    /// matter (a network imported with 65536-unit layers run on a million rows needs 500 GB).
    func reservePass(rows: Int, keepingEveryLayer: Bool) throws {
        let widths = layers.map(\.outputs)
        let floats =
            keepingEveryLayer
            ? Memory.product(rows, widths.reduce(0, +), 2) : Memory.product(rows, widths.max() ?? 0, 2)
        let bytes = Memory.product(floats, 4)
        guard Memory.worthChecking(bytes) else { return }
        try Memory.reserve(bytes, for: "run the network on \(rows) rows")
    }

    /// `outputs(standardized:)` for callers that run many batches: each layer's values go into
    /// `buffers` (reallocated only when the batch's shape changes), and the bias and activation
    /// are applied in one pass after the product. Perf, robustness sampling: fresh 2 MB matrices
    /// for every batch spent a sixth of the time in page faults and in copying bias rows.
    /// The result is `buffers.last`. (The bias is added after the product rather than before,
    /// so for inputs wider than OpenBLAS's block (a few hundred) the last bit may differ from
    /// `outputs(standardized:)`.)
    public func outputs(standardized x: Matrix, reusing buffers: inout [Matrix]) throws {
        if buffers.count != layers.count { buffers = layers.map { _ in Matrix(rows: 0, cols: 0) } }
        for (l, layer) in layers.enumerated() {
            let input = l == 0 ? x : buffers[l - 1]
            var out = buffers[l]
            buffers[l] = Matrix(rows: 0, cols: 0)  // so `out` is the only reference: no copy on write
            if out.rows != input.rows || out.cols != layer.outputs {
                out = Matrix(rows: input.rows, cols: layer.outputs)
            }
            try Matrix.gemm(input, layer.weight, into: &out)
            Kernels.addBias(&out, layer.bias, activation: l < layers.count - 1 ? activation : nil)
            buffers[l] = out
        }
    }

    /// Rows per block of `logits(raw:)`: each layer's block of values (4096 × 256 floats, 4 MB)
    /// stays in the caches between its product and the next layer's.
    public static let predictionBlock = 4096

    /// The output layer's values for raw rows, as `outputs(standardized: standardizer.apply(x))`
    /// computes them (up to OpenBLAS's summation order, which depends on a product's shape; the
    /// same bits from run to run, as blocks are cut the same way), a block of rows at a time: each block
    /// is standardised into a reused buffer and carried through every layer in buffers reused from
    /// block to block; with two cores or more, two threads take half the rows each, OpenBLAS on
    /// one thread in each. Perf (scripts/bench/own_models.py, 100,000 rows through
    /// 784-256-256-10): standardising the whole matrix and multiplying one 65,536-row block after
    /// another spent more than half of its 1.4 s allocating, faulting in and copying 300 MB
    /// matrices (0.57 s in blocks); OpenBLAS's two threads handing each product over spent a
    /// further fifth in sched_yield.
    public func logits(raw x: Matrix) throws -> Matrix {
        let d = standardizer.mean.count
        guard x.cols == d, layers.first?.inputs == d, let k = layers.last?.outputs else {
            throw TensorError.shapeMismatch("the model takes \(d) features, the data has \(x.cols)")
        }
        let block = min(MLP.predictionBlock, max(x.rows, 1))
        let parts = x.rows >= 2 * block && ProcessInfo.processInfo.activeProcessorCount > 1 ? 2 : 1
        try reservePass(rows: parts * block, keepingEveryLayer: true)
        let outBytes = Memory.product(x.rows, k, 4)
        if Memory.worthChecking(outBytes) {
            try Memory.reserve(outBytes, for: "the network's outputs for \(x.rows) rows")
        }
        var out = Matrix(uninitializedRows: x.rows, cols: k)  // every row written below
        let cancellation = Cancellation.current
        if parts == 1 {
            try out.storage.withUnsafeMutableBufferPointer { o in
                guard let base = o.baseAddress else { return }
                var next = 0
                try forward(x, block: block, into: base, cancellation: cancellation) {
                    defer { next += 1 }
                    return next
                }
            }
            return out
        }
        // The two threads take the next block as they finish one: an even share whatever else
        // the machine runs (halves of whole blocks left one thread idle for a twentieth).
        let counter = Atomic<Int>(0)
        var errors: [(any Error)?] = [nil, nil]
        try BLASThreads.single {
            out.storage.withUnsafeMutableBufferPointer { o in
                errors.withUnsafeMutableBufferPointer { e in
                    guard let base = o.baseAddress else { return }
                    let slots = ForwardSlots(out: base, errors: e)
                    DispatchQueue.concurrentPerform(iterations: 2) { part in
                        do {
                            try forward(x, block: block, into: slots.out, cancellation: cancellation) {
                                counter.add(1, ordering: .relaxed).oldValue
                            }
                        } catch {
                            slots.errors[part] = error
                        }
                    }
                }
            }
            if let error = errors.compactMap({ $0 }).first { throw error }
        }
        return out
    }

    /// `logits(raw:)` for the blocks of `x` that `nextBlock` hands out (block b: rows b·block
    /// ..< (b + 1)·block), written to `out` (row r at `out + r·outputs`), until it hands out one
    /// past the last.
    func forward(
        _ x: Matrix, block: Int, into out: UnsafeMutablePointer<Float>, cancellation: Cancellation,
        nextBlock: () -> Int
    ) throws {
        let d = x.cols, k = layers.last?.outputs ?? 0
        let identity = standardizer.mean.allSatisfy { $0 == 0 } && standardizer.scale.allSatisfy { $0 == 1 }
        var input = Matrix(uninitializedRows: identity ? 0 : block, cols: d)
        var values = layers.map { Matrix(uninitializedRows: block, cols: $0.outputs) }
        while true {
            let start = nextBlock() * block
            guard start < x.rows else { return }
            if cancellation.isCancelled { throw Cancelled() }
            let n = min(block, x.rows - start)
            if n != values[0].rows {
                input = Matrix(uninitializedRows: identity ? 0 : n, cols: d)
                values = layers.map { Matrix(uninitializedRows: n, cols: $0.outputs) }
            }
            if !identity {
                x.storage.withUnsafeBufferPointer { src in
                    input.storage.withUnsafeMutableBufferPointer { p in
                        standardizer.mean.withUnsafeBufferPointer { mean in
                            standardizer.scale.withUnsafeBufferPointer { scale in
                                for r in 0..<n {
                                    let from = (start + r) * d, to = r * d
                                    for j in 0..<d { p[to + j] = (src[from + j] - mean[j]) / scale[j] }
                                }
                            }
                        }
                    }
                }
            }
            for (l, layer) in layers.enumerated() {
                var z = values[l]
                values[l] = Matrix(rows: 0, cols: 0)  // `z` the only reference: written in place
                // The bias first and the product added to it, as `outputs(standardized:)` does.
                z.storage.withUnsafeMutableBufferPointer { p in
                    layer.bias.withUnsafeBufferPointer { b in
                        guard let dst = p.baseAddress, let src = b.baseAddress else { return }
                        for r in 0..<n { (dst + r * layer.outputs).update(from: src, count: layer.outputs) }
                    }
                }
                if l == 0, identity {
                    // A network imported without data: (x − 0) / 1 is x, multiplied where it is.
                    try x.storage.withUnsafeBufferPointer { src in
                        guard let base = src.baseAddress else { return }
                        try Matrix.gemm(rows: base + start * d, count: n, layer.weight, into: &z, beta: 1)
                    }
                } else {
                    try Matrix.gemm(l == 0 ? input : values[l - 1], layer.weight, into: &z, beta: 1)
                }
                if l < layers.count - 1 { Kernels.activate(&z, activation) }
                values[l] = z
            }
            values[layers.count - 1].storage.withUnsafeBufferPointer { v in
                guard let vb = v.baseAddress else { return }
                (out + start * k).update(from: vb, count: n * k)
            }
        }
    }

    public func predict(_ x: Matrix) throws -> Prediction {
        guard x.cols == standardizer.mean.count else {
            throw TensorError.shapeMismatch(
                "the model takes \(standardizer.mean.count) features, the data has \(x.cols)")
        }
        var out = try logits(raw: x)
        switch task {
        case .classification:
            Kernels.softmaxRows(&out)
            return .probabilities(out)
        case .regression:
            return .values(out.storage.map { $0 * targetScale + targetMean })
        }
    }

    /// The mean loss over a batch and its gradient with respect to every weight and bias.
    /// Used by the tests' finite-difference check; training uses the allocation-free `Workspace`.
    public func lossAndGradients(
        standardized x: Matrix, targets: TrainingTargets,
        classWeights: [Float]? = nil
    ) throws -> (loss: Float, gradients: [DenseLayer]) {
        let ws = Workspace(widths: widths, batch: x.rows)
        let loss = try ws.forwardBackward(self, x: x, targets: targets, offset: 0, classWeights: classWeights)
        let grads = zip(ws.weightGrads, ws.biasGrads).map { DenseLayer(weight: $0, bias: $1) }
        return (loss, grads)
    }
}

/// Where the two halves of `logits(raw:)` write: each its own rows and its own error slot.
struct ForwardSlots: @unchecked Sendable {
    let out: UnsafeMutablePointer<Float>
    let errors: UnsafeMutableBufferPointer<(any Error)?>
}

/// Preallocated buffers for one batch size: activations, their gradients and the parameter
/// gradients. Training reuses one per batch size, so the inner loop allocates nothing.
final class Workspace {
    let batch: Int
    var activations: [Matrix]  // post-activation output of each layer (last: logits/probabilities)
    var deltas: [Matrix]  // gradient of the loss w.r.t. each layer's pre-activation
    var weightGrads: [Matrix]
    var biasGrads: [[Float]]

    init(widths: [Int], batch: Int) {
        self.batch = batch
        activations = widths.dropFirst().map { Matrix(rows: batch, cols: $0) }
        deltas = widths.dropFirst().map { Matrix(rows: batch, cols: $0) }
        weightGrads = zip(widths.dropLast(), widths.dropFirst()).map { Matrix(rows: $0, cols: $1) }
        biasGrads = widths.dropFirst().map { [Float](repeating: 0, count: $0) }
    }

    /// The divisor that makes a batch's summed loss its mean: the row count, or with class
    /// weights the rows' total weight (PyTorch's weighted mean).
    static func normalizer(rows: Int, targets: TrainingTargets, offset: Int, classWeights: [Float]?) -> Float {
        guard let w = classWeights, case .classes(let labels) = targets else { return Float(rows) }
        var total: Float = 0
        for r in 0..<rows { total += w[labels[offset + r]] }
        return total
    }

    /// Forward and backward pass over `x` (batch × inputs, standardised). Fills the gradients
    /// and returns the mean loss. `offset` indexes into the targets. `normalizer` (default: this
    /// batch's own, see `normalizer(rows:...)`) divides the summed loss and its gradient, so the
    /// parts of a batch split over threads add up to the whole batch's mean.
    func forwardBackward(
        _ net: MLP, x: Matrix, targets: TrainingTargets, offset: Int, classWeights: [Float]? = nil,
        normalizer: Float? = nil
    ) throws -> Float {
        let layerCount = net.layers.count
        for l in 0..<layerCount {
            let input = l == 0 ? x : activations[l - 1]
            try Matrix.gemm(input, net.layers[l].weight, into: &activations[l])
            Kernels.addBias(&activations[l], net.layers[l].bias, activation: l < layerCount - 1 ? net.activation : nil)
        }
        let last = layerCount - 1
        let b =
            normalizer
            ?? Workspace.normalizer(rows: batch, targets: targets, offset: offset, classWeights: classWeights)
        var loss: Float = 0
        switch targets {
        case .classes(let labels):
            Kernels.softmaxRows(&activations[last])
            let k = activations[last].cols
            if let w = classWeights {
                // PyTorch's weighted mean: Σ w_y·(−log p_y) / Σ w_y over the batch.
                let scale = b > 0 ? 1 / b : 0
                activations[last].storage.withUnsafeBufferPointer { p in
                    deltas[last].storage.withUnsafeMutableBufferPointer { d in
                        for r in 0..<batch {
                            let y = labels[offset + r], wy = w[y] * scale
                            for c in 0..<k { d[r * k + c] = p[r * k + c] * wy }
                            d[r * k + y] -= wy
                            loss -= w[y] * logf(max(p[r * k + y], 1e-30))
                        }
                    }
                }
                loss *= scale * b  // returned divided by b below (0 when no row has weight)
            } else {
                activations[last].storage.withUnsafeBufferPointer { p in
                    deltas[last].storage.withUnsafeMutableBufferPointer { d in
                        for r in 0..<batch {
                            let y = labels[offset + r]
                            for c in 0..<k { d[r * k + c] = p[r * k + c] / b }
                            d[r * k + y] -= 1 / b
                            loss -= logf(max(p[r * k + y], 1e-30))
                        }
                    }
                }
            }
        case .values(let values):
            activations[last].storage.withUnsafeBufferPointer { p in
                deltas[last].storage.withUnsafeMutableBufferPointer { d in
                    for r in 0..<batch {
                        let e = p[r] - values[offset + r]
                        d[r] = 2 * e / b
                        loss += e * e
                    }
                }
            }
        }
        for l in stride(from: last, through: 0, by: -1) {
            let input = l == 0 ? x : activations[l - 1]
            try Matrix.gemm(input, transposeA: true, deltas[l], into: &weightGrads[l])
            Kernels.columnSums(deltas[l], into: &biasGrads[l])
            if l > 0 {
                try Matrix.gemm(deltas[l], net.layers[l].weight, transposeB: true, into: &deltas[l - 1])
                Kernels.activateBackward(gradient: &deltas[l - 1], output: activations[l - 1], net.activation)
            }
        }
        return b > 0 ? loss / b : 0
    }
}

/// One mini-batch's loss and gradient, computed in parts: a large batch is split in two halves
/// whose forward and backward passes run on two threads, each making its products on one
/// OpenBLAS thread, and their gradients are added. OpenBLAS's own threads split each product
/// instead, and for products as small as a batch of 256 rows through 256 units they wait on each
/// other more than they compute (scripts/bench/data.py: 86 GFLOPS of sgemm's 249). The split
/// depends on the batch size only, never on the core count, so results are the same everywhere.
final class BatchGradient: @unchecked Sendable {
    /// A part of the batch: rows [offset, offset + rows) with its own buffers.
    final class Part: @unchecked Sendable {
        let offset: Int
        let workspace: Workspace
        var x: Matrix
        var loss: Float = 0
        var error: (any Error)?
        init(offset: Int, rows: Int, widths: [Int]) {
            self.offset = offset
            workspace = Workspace(widths: widths, batch: rows)
            x = Matrix(rows: rows, cols: widths[0])
        }
    }

    let rows: Int
    let parts: [Part]
    /// The thread that computes the second of two parts (else Dispatch's workers).
    let worker: PairedWorker?

    /// Buffers for batches of `rows` rows, in `partCount` parts.
    init(rows: Int, widths: [Int], partCount: Int, worker: PairedWorker? = nil) {
        self.rows = rows
        self.worker = worker
        let count = max(1, min(partCount, rows))
        var parts: [Part] = []
        var offset = 0
        for p in 0..<count {
            let size = rows / count + (p < rows % count ? 1 : 0)
            parts.append(Part(offset: offset, rows: size, widths: widths))
            offset += size
        }
        self.parts = parts
    }

    /// Whether a batch should be split: when its largest product is big enough for OpenBLAS to
    /// use several threads (`BLASThreads.forProductsOf`) and each half keeps 32 rows or more.
    static func partCount(batch: Int, widths: [Int]) -> Int {
        let largest = zip(widths.dropLast(), widths.dropFirst()).map { batch * $0 * $1 }.max() ?? 0
        return largest >= 1_000_000 && batch >= 64 ? 2 : 1
    }

    /// The gradient and mean loss of rows `order[from ..< from + rows]` of `x`; the gradient is
    /// left in `gradients`. With several parts, OpenBLAS must be on one thread (the caller's
    /// `BLASThreads` scope), as the parts make their products at once.
    /// - Parameter addParts: false leaves each part's gradient in its own workspace, for a caller
    ///   that adds them itself (training adds them inside the optimizer's split update).
    func compute(
        _ net: MLP, x: Matrix, order: [Int], from: Int, targets: TrainingTargets,
        classWeights: [Float]?, addParts: Bool = true
    ) throws -> Float {
        let normalizer = Workspace.normalizer(rows: rows, targets: targets, offset: from, classWeights: classWeights)
        if parts.count == 1 {
            // Directly: a closure here would copy the network (a retain of each of its arrays)
            // and allocate its context on every step (perf: 3% of a small network's training).
            let part = parts[0]
            BatchGradient.gather(x, order, from: from + part.offset, into: &part.x)
            return try part.workspace.forwardBackward(
                net, x: part.x, targets: targets, offset: from + part.offset,
                classWeights: classWeights, normalizer: normalizer)
        }
        let work: @Sendable (Int) -> Void = { [parts] i in
            let part = parts[i]
            BatchGradient.gather(x, order, from: from + part.offset, into: &part.x)
            do {
                part.loss = try part.workspace.forwardBackward(
                    net, x: part.x, targets: targets, offset: from + part.offset,
                    classWeights: classWeights, normalizer: normalizer)
            } catch {
                part.error = error
            }
        }
        if let worker, parts.count == 2 {
            worker.run({ work(0) }, { work(1) })
        } else {
            DispatchQueue.concurrentPerform(iterations: parts.count, execute: work)
        }
        if let e = parts.lazy.compactMap(\.error).first { throw e }
        guard addParts else { return parts.reduce(0) { $0 + $1.loss } }
        // The parts' gradients added into the first part's, in part order.
        let first = parts[0].workspace
        for part in parts.dropFirst() {
            for l in first.weightGrads.indices {
                Kernels.add(part.workspace.weightGrads[l].storage, into: &first.weightGrads[l].storage)
                Kernels.add(part.workspace.biasGrads[l], into: &first.biasGrads[l])
            }
        }
        return parts.reduce(0) { $0 + $1.loss }
    }

    /// Where `compute` leaves the gradient (the first part's buffers).
    var gradients: Workspace { parts[0].workspace }

    /// Copies rows `order[from ..< from + out.rows]` of `x` into `out`.
    static func gather(_ x: Matrix, _ order: [Int], from: Int, into out: inout Matrix) {
        let cols = x.cols
        // A row at a time by memcpy: the element loop did not vectorise (its index arithmetic
        // is overflow-checked) and was an eighth of a small network's training (perf).
        x.storage.withUnsafeBufferPointer { src in
            out.storage.withUnsafeMutableBufferPointer { dst in
                guard let src = src.baseAddress, let dst = dst.baseAddress else { return }
                for k in 0..<out.rows {
                    (dst + k * cols).update(from: src + order[from + k] * cols, count: cols)
                }
            }
        }
    }
}

/// A network's unit profile, measured or still to be measured (once, by whoever reads it first).
final class ProfileSource: @unchecked Sendable {
    private let lock = NSLock()
    private var measured: UnitProfile?
    private var pending: (net: MLP, rows: Matrix)?

    init(measured: UnitProfile) { self.measured = measured }
    init(net: MLP, rows: Matrix) { pending = (net, rows) }

    var value: UnitProfile? {
        lock.withLock {
            if let (net, rows) = pending {
                // measure throws only for no rows or mismatched shapes; training has rows, and
                // they are the network's own inputs.
                measured = try? UnitProfile.measure(net, on: rows)
                pending = nil
            }
            return measured
        }
    }
}
