import Foundation
import MLETensor

/// Settings for training an MLP.
public struct MLPConfig: Equatable, Sendable {
    public var hidden: [Int] = [32]
    public var epochs: Int = 50
    public var learningRate: Float = 0.001
    public var batchSize: Int = 32
    public var seed: UInt64 = 0
    /// Imputation, encodings, binning and scaling, fitted on the training data.
    public var preprocess = PreprocessSettings()
    public var activation: Kernels.Activation = .relu
    public var optimizer: Optimizer = .adam
    /// Momentum of `.momentum` (PyTorch's SGD momentum, no dampening).
    public var momentum: Float = 0.9
    /// L2 weight decay added to the weights' gradients (not the biases'), as PyTorch's
    /// `weight_decay` on a parameter group of weights.
    public var weightDecay: Float = 0
    /// Per-class weights of the cross-entropy (PyTorch's `CrossEntropyLoss(weight=)`: the batch
    /// loss is Σ w_y·loss / Σ w_y). Empty: all 1.
    public var classWeights: [Float] = []
    /// Share of the training rows held out (stratified for classes) to decide early stopping;
    /// 0 trains on everything for all epochs.
    public var validation: Double = 0
    /// Epochs without a better validation loss before training stops (the best weights are kept).
    public var patience: Int = 10
    public init() {}

    public enum Optimizer: String, CaseIterable, Sendable { case sgd, momentum, adam }
}

/// The outcome of training: the model, and how training went.
public struct TrainingResult: Sendable {
    public var model: MLP
    public var epochsCompleted: Int
    /// True when training stopped early because it was cancelled.
    public var interrupted: Bool
    /// Mean training loss after each completed epoch.
    public var lossHistory: [Float]
    /// Validation loss after each epoch (empty without early stopping).
    public var validationHistory: [Float] = []
    /// The epoch whose weights were kept, when early stopping chose them.
    public var bestEpoch: Int?
}

/// Trains MLPs with mini-batches: Adam (β1 0.9, β2 0.999, ε 1e-8, PyTorch's defaults), plain SGD
/// or SGD with momentum; optional L2 weight decay, class weights and early stopping.
public enum MLPTrainer {
    /// Trains on `data`.
    /// - Parameters:
    ///   - onEpoch: called after each epoch with (epoch, epochs, mean loss).
    ///   - cancellation: polled after every batch; when set, training stops and keeps the
    ///     weights learned so far.
    /// - Throws: `LearningError` for a dataset without target or rows, bad settings, or a loss
    ///   that became non-finite (the learning rate is too high).
    /// Checks that training fits in the memory left: the parameters with their gradients, Adam's
    /// two moments, the best epoch's copy and a gradient per worker (about 8 copies), a batch's
    /// activations and gradients through every layer (about 8 copies), and the whole data's widest
    /// layer twice (evaluation and the unit profile). Each size may be valid alone
    /// (hidden=[65536, 65536]) and still need 140 GB together.
    static func reserveMemory(_ data: Dataset, task: Task, config: MLPConfig) throws {
        let outputs: Int
        switch task {
        case .classification(let names): outputs = names.count
        case .regression: outputs = 1
        }
        let widths = [data.featureNames.count] + config.hidden + [outputs]
        var parameters = 0
        for (a, b) in zip(widths, widths.dropFirst()) {
            parameters = parameters.addingReportingOverflow(Memory.product(a + 1, b)).partialValue
        }
        let widthSum = widths.reduce(0, +), widest = widths.max() ?? 0
        let rows = data.rowCount, batch = min(config.batchSize, rows)
        let floats = [
            Memory.product(parameters, 8), Memory.product(batch, widthSum, 8), Memory.product(rows, widest, 2)
        ]
        var total = 0
        for f in floats {
            let (sum, overflow) = total.addingReportingOverflow(f)
            total = overflow ? Int.max : sum
        }
        let layout = config.hidden.map(String.init).joined(separator: ", ")
        try Memory.reserve(
            Memory.product(total, 4), for: "train a network with hidden layers of [\(layout)] units on \(rows) rows",
            setting: "hidden")
    }

    /// Trains a network on `data`. Ctrl-C (the context's cancellation) during the epochs stops
    /// with the weights so far (`interrupted` in the result).
    /// - Throws: `Cancelled` when Ctrl-C comes before the first epoch (nothing learned yet);
    ///   `MemoryError` when the work would not fit in the memory left; input errors.
    public static func train(
        _ data: Dataset, config: MLPConfig,
        context: ExecutionContext = .standard,
        onEpoch: (Int, Int, Float) -> Void = { _, _, _ in }
    ) throws -> TrainingResult {
        let cancellation = context.cancellation
        guard data.target != nil else { throw LearningError.noTarget("mlp") }
        let prepared = try Preprocessor.prepare(data, settings: config.preprocess)
        if cancellation.isCancelled { throw Cancelled() }
        var data = prepared.0
        let preprocessor = prepared.1
        guard let task = data.task else { throw LearningError.noTarget("mlp") }
        guard data.rowCount > 0 else { throw LearningError.invalid("the training data has no rows") }
        guard !data.featureNames.isEmpty else {
            throw LearningError.invalid("the training data has no feature columns")
        }
        guard config.hidden.allSatisfy({ $0 > 0 && $0 <= 1 << 16 }) else {
            throw SettingError(
                "hidden", "the hidden layer sizes must be between 1 and 65536", remedy: .example("[32, 16]"))
        }
        guard config.validation >= 0, config.validation < 1 else {
            throw SettingError("validation", "validation must be a share in [0, 1)")
        }
        guard config.weightDecay >= 0, config.weightDecay.isFinite else {
            throw SettingError("weightDecay", "the weight decay must be ≥ 0")
        }
        guard config.epochs >= 1 else { throw SettingError("epochs", "epochs must be at least 1") }
        guard config.batchSize >= 1 else { throw SettingError("batchSize", "the batch size must be at least 1") }
        guard config.learningRate > 0, config.learningRate.isFinite else {
            throw SettingError("learningRate", "the learning rate must be a positive number")
        }
        try reserveMemory(data, task: task, config: config)

        var rng = SeededGenerator(seed: config.seed)
        // Early stopping holds out a validation share, drawn from its own stream so the rest of
        // training draws the same numbers as without it.
        var validationSet: Dataset?
        if config.validation > 0 {
            let (fit, held) = try Splitter.split(
                data, ratio: 1 - config.validation,
                stratify: data.target.map { if case .classes = $0 { true } else { false } } ?? false,
                seed: config.seed ^ 0x5EED_0F_E5CA)
            data = fit
            validationSet = held
        }
        if !config.classWeights.isEmpty {
            guard case .classes(_, let names)? = data.target, config.classWeights.count == names.count,
                config.classWeights.allSatisfy({ $0 >= 0 && $0.isFinite }),
                config.classWeights.contains(where: { $0 > 0 })
            else {
                throw SettingError("classWeights", "class weights need one non-negative number per class")
            }
        }
        guard let target = data.target else { throw LearningError.noTarget("mlp") }
        // Before the first epoch nothing is learned: Ctrl-C during the preparation of millions
        // of rows stops with nothing to keep.
        if cancellation.isCancelled { throw Cancelled() }
        let standardizer = Standardizer.fit(data.features)
        if cancellation.isCancelled { throw Cancelled() }
        let x = try standardizer.apply(data.features)
        if cancellation.isCancelled { throw Cancelled() }
        let outputs: Int
        let targets: TrainingTargets
        var targetMean: Float = 0, targetScale: Float = 1
        switch target {
        case .classes(let labels, let names):
            guard names.count >= 2 else {
                throw LearningError.invalid(
                    "the target has a single class ('\(names.first ?? "")'); a classifier needs at least two")
            }
            outputs = names.count
            targets = .classes(labels)
        case .values(let v):
            let n = Float(v.count)
            targetMean = v.reduce(0, +) / n
            let variance = v.reduce(0) { $0 + ($1 - targetMean) * ($1 - targetMean) } / n
            targetScale = variance > 0 ? variance.squareRoot() : 1
            outputs = 1
            targets = .values(v.map { ($0 - targetMean) / targetScale })
        }
        let widths = [data.featureNames.count] + config.hidden + [outputs]
        var net = MLP.initialised(
            widths: widths, standardizer: standardizer, featureNames: data.featureNames,
            task: task, targetMean: targetMean, targetScale: targetScale, rng: &rng)
        net.activation = config.activation
        let validationX = try validationSet.map { try standardizer.apply(try $0.features(ordered: data.featureNames)) }
        var validationHistory: [Float] = []
        var best: (loss: Float, epoch: Int, layers: [DenseLayer])?
        let weights = config.classWeights.isEmpty ? nil : config.classWeights

        let n = data.rowCount
        let batch = min(config.batchSize, n)
        let partCount = BatchGradient.partCount(batch: batch, widths: widths)
        let worker = partCount == 2 ? PairedWorker() : nil
        defer { worker?.close() }
        let full = BatchGradient(rows: batch, widths: widths, partCount: partCount, worker: worker)
        let remainder =
            n % batch == 0 ? nil : BatchGradient(rows: n % batch, widths: widths, partCount: partCount, worker: worker)
        var mW = net.layers.map { Matrix(rows: $0.inputs, cols: $0.outputs) }
        var vW = mW
        var mB = net.layers.map { [Float](repeating: 0, count: $0.outputs) }
        var vB = mB
        var order = Array(0..<n)
        var batchTargets = TrainingTargets.classes([])
        var step = 0
        var history: [Float] = []
        var interrupted = false

        let rule = OptimizerRule(config)
        let largestProduct = zip(widths.dropLast(), widths.dropFirst()).map { batch * $0 * $1 }.max() ?? 0
        // Products of a batch split in parts run on one OpenBLAS thread each (the parts are the
        // threads); otherwise OpenBLAS decides by the products' size.
        try BLASThreads.forProductsOf(size: partCount > 1 ? 0 : largestProduct) {
            epochs: for epoch in 1...config.epochs {
                rng.shuffle(&order)
                // Targets in this epoch's order, so each batch reads a contiguous slice.
                switch targets {
                case .classes(let l): batchTargets = .classes(order.map { l[$0] })
                case .values(let v): batchTargets = .values(order.map { v[$0] })
                }
                var lossSum: Float = 0
                var start = 0
                while start < n {
                    if cancellation.isCancelled { interrupted = true; break epochs }
                    let size = min(batch, n - start)
                    let ws = size == batch ? full : (remainder ?? full)
                    let loss = try ws.compute(
                        net, x: x, order: order, from: start, targets: batchTargets, classWeights: weights,
                        addParts: false)
                    guard loss.isFinite else {
                        throw SettingError(
                            "learningRate",
                            "training diverged: the loss became \(loss) in epoch \(epoch); try a smaller learning rate")
                    }
                    lossSum += loss * Float(size)
                    step += 1
                    let first = ws.gradients, rest = ws.parts.dropFirst().map(\.workspace)
                    for l in net.layers.indices {
                        // Weight decay on the weights, not the biases.
                        update(
                            &net.layers[l].weight.storage, &mW[l].storage, &vW[l].storage,
                            gradient: &first.weightGrads[l].storage,
                            adding: rest.map { $0.weightGrads[l].storage }, decay: config.weightDecay, rule, step: step,
                            worker: worker)
                        update(
                            &net.layers[l].bias, &mB[l], &vB[l], gradient: &first.biasGrads[l],
                            adding: rest.map { $0.biasGrads[l] }, decay: 0, rule, step: step, worker: worker)
                    }
                    start += size
                }
                let meanLoss = lossSum / Float(n)
                history.append(meanLoss)
                onEpoch(epoch, config.epochs, meanLoss)
                if let vx = validationX, let vs = validationSet {
                    let vl = try validationLoss(
                        net, vx, vs, targetMean: targetMean, targetScale: targetScale, classWeights: weights)
                    validationHistory.append(vl)
                    if best.map({ vl < $0.loss }) ?? true { best = (vl, epoch, net.layers) }
                    if let b = best, epoch - b.epoch >= config.patience { break epochs }
                }
            }
        }
        if let b = best { net.layers = b.layers }
        net.measureProfileLater(on: data.features)
        net.preprocessor = preprocessor
        return TrainingResult(
            model: net, epochsCompleted: history.count,
            interrupted: interrupted, lossHistory: history,
            validationHistory: validationHistory, bestEpoch: best?.epoch)
    }

    /// One optimizer step on a parameter buffer from its gradient given in parts (the parts of a
    /// split batch, added here in part order into the first), with weight decay `wd`; `m` and `v`
    /// are its state. Every step is elementwise, so with a paired worker a large buffer is updated
    /// in two halves at once, with the same result (the serial update of a 50-256-256-2 network's
    /// 80,000 parameters, mostly waiting on memory, took 47 µs a step, about 6% of its training).
    static func update(
        _ params: inout [Float], _ m: inout [Float], _ v: inout [Float], gradient first: inout [Float],
        adding rest: [[Float]], decay wd: Float, _ rule: OptimizerRule, step: Int, worker: PairedWorker?
    ) {
        let n = min(params.count, first.count, m.count, v.count)
        params.withUnsafeMutableBufferPointer { p in
            m.withUnsafeMutableBufferPointer { mm in
                v.withUnsafeMutableBufferPointer { vv in
                    first.withUnsafeMutableBufferPointer { g in
                        let buffers = UpdateBuffers(p: p, m: mm, v: vv, g: g)
                        // A hand-off costs about a microsecond; below this many parameters the
                        // update is not worth splitting.
                        if let worker, n >= 8192 {
                            let half = n / 2
                            worker.run(
                                { buffers.update(0..<half, adding: rest, decay: wd, rule, step: step) },
                                { buffers.update(half..<n, adding: rest, decay: wd, rule, step: step) })
                        } else {
                            buffers.update(0..<n, adding: rest, decay: wd, rule, step: step)
                        }
                    }
                }
            }
        }
    }

    /// The buffers of one update, handed to the paired worker while their owner waits in
    /// `worker.run`, which returns only when both halves are done.
    private struct UpdateBuffers: @unchecked Sendable {
        let p: UnsafeMutableBufferPointer<Float>, m: UnsafeMutableBufferPointer<Float>
        let v: UnsafeMutableBufferPointer<Float>, g: UnsafeMutableBufferPointer<Float>

        /// The update of elements `range`: the other parts' gradients added, weight decay, a step.
        func update(_ range: Range<Int>, adding rest: [[Float]], decay wd: Float, _ rule: OptimizerRule, step: Int) {
            for part in rest {
                part.withUnsafeBufferPointer { q in
                    for i in range where i < q.count { g[i] += q[i] }
                }
            }
            if wd > 0 { for i in range { g[i] += wd * p[i] } }
            rule.step(
                UnsafeMutableBufferPointer(rebasing: p[range]), UnsafeBufferPointer(rebasing: g[range]),
                UnsafeMutableBufferPointer(rebasing: m[range]), UnsafeMutableBufferPointer(rebasing: v[range]), step)
        }
    }

    /// The optimizer's settings, without the rest of the configuration.
    struct OptimizerRule: Sendable {
        let optimizer: MLPConfig.Optimizer, lr: Float, momentum: Float
        init(_ config: MLPConfig) { optimizer = config.optimizer; lr = config.learningRate; momentum = config.momentum }

        /// One optimizer step on a parameter buffer; `m` and `v` are its state (Adam's moments,
        /// or in `m` the momentum buffer).
        func step(
            _ p: UnsafeMutableBufferPointer<Float>, _ g: UnsafeBufferPointer<Float>,
            _ m: UnsafeMutableBufferPointer<Float>, _ v: UnsafeMutableBufferPointer<Float>, _ step: Int
        ) {
            switch optimizer {
            case .adam:
                Kernels.adamStep(
                    params: p, grads: g, m: m, v: v, lr: lr, beta1: 0.9, beta2: 0.999, eps: 1e-8, step: step)
            case .sgd:
                for i in 0..<p.count { p[i] -= lr * g[i] }
            case .momentum:
                // PyTorch: the buffer starts as the first gradient, then b = μ·b + g.
                let mu = step == 1 ? 0 : momentum
                for i in 0..<p.count { m[i] = mu * m[i] + g[i]; p[i] -= lr * m[i] }
            }
        }
    }

    /// The mean loss on held-out rows (cross-entropy, class-weighted as in training, or the MSE
    /// of the standardised target).
    static func validationLoss(
        _ net: MLP, _ x: Matrix, _ data: Dataset, targetMean: Float, targetScale: Float,
        classWeights: [Float]?
    ) throws -> Float {
        var out = try net.outputs(standardized: x)
        switch data.target {
        case .classes(let labels, _)?:
            Kernels.softmaxRows(&out)
            var loss = 0.0, total = 0.0
            for (r, y) in labels.enumerated() {
                let w = Double(classWeights?[y] ?? 1)
                loss -= w * Double(logf(max(out[r, y], 1e-30)))
                total += w
            }
            return Float(loss / max(total, 1e-30))
        case .values(let v)?:
            var sum = 0.0
            for (r, t) in v.enumerated() {
                let e = Double(out[r, 0]) - Double((t - targetMean) / targetScale); sum += e * e
            }
            return Float(sum / Double(max(v.count, 1)))
        case nil:
            return 0
        }
    }
}
