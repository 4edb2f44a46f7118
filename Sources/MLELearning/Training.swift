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
    public init() {}
}

/// The outcome of training: the model, and how training went.
public struct TrainingResult: Sendable {
    public var model: MLP
    public var epochsCompleted: Int
    /// True when training stopped early because it was cancelled.
    public var interrupted: Bool
    /// Mean training loss after each completed epoch.
    public var lossHistory: [Float]
}

/// Trains MLPs with mini-batch Adam (β1 0.9, β2 0.999, ε 1e-8, PyTorch's defaults).
public enum MLPTrainer {
    /// Trains on `data`.
    /// - Parameters:
    ///   - onEpoch: called after each epoch with (epoch, epochs, mean loss).
    ///   - cancellation: polled after every batch; when set, training stops and keeps the
    ///     weights learned so far.
    /// - Throws: `LearningError` for a dataset without target or rows, bad settings, or a loss
    ///   that became non-finite (the learning rate is too high).
    public static func train(_ data: Dataset, config: MLPConfig,
                             cancellation: Cancellation = .never,
                             onEpoch: (Int, Int, Float) -> Void = { _, _, _ in }) throws -> TrainingResult {
        guard data.target != nil else { throw LearningError.noTarget("mlp") }
        let (data, preprocessor) = try Preprocessor.prepare(data, settings: config.preprocess)
        guard let target = data.target, let task = data.task else { throw LearningError.noTarget("mlp") }
        guard data.rowCount > 0 else { throw LearningError.invalid("the training data has no rows") }
        guard !data.featureNames.isEmpty else { throw LearningError.invalid("the training data has no feature columns") }
        guard !config.hidden.isEmpty, config.hidden.allSatisfy({ $0 > 0 && $0 <= 1 << 16 }) else {
            throw LearningError.invalid("hidden must list one or more layer sizes between 1 and 65536, e.g. hidden=[32, 16]")
        }
        guard config.epochs >= 1 else { throw LearningError.invalid("epochs must be at least 1") }
        guard config.batchSize >= 1 else { throw LearningError.invalid("batch must be at least 1") }
        guard config.learningRate > 0, config.learningRate.isFinite else {
            throw LearningError.invalid("lr must be a positive number")
        }

        var rng = SeededGenerator(seed: config.seed)
        let standardizer = Standardizer.fit(data.features)
        let x = standardizer.apply(data.features)
        let outputs: Int
        let targets: TrainingTargets
        var targetMean: Float = 0, targetScale: Float = 1
        switch target {
        case .classes(let labels, let names):
            guard names.count >= 2 else {
                throw LearningError.invalid("the target has a single class ('\(names.first ?? "")'); a classifier needs at least two")
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
        var net = MLP.initialised(widths: widths, standardizer: standardizer, featureNames: data.featureNames,
                                  task: task, targetMean: targetMean, targetScale: targetScale, rng: &rng)

        let n = data.rowCount
        let batch = min(config.batchSize, n)
        let full = Workspace(widths: widths, batch: batch)
        let remainder = n % batch == 0 ? nil : Workspace(widths: widths, batch: n % batch)
        var fullX = Matrix(rows: batch, cols: x.cols)
        var restX = Matrix(rows: n % batch, cols: x.cols)
        var mW = net.layers.map { Matrix(rows: $0.inputs, cols: $0.outputs) }
        var vW = mW
        var mB = net.layers.map { [Float](repeating: 0, count: $0.outputs) }
        var vB = mB
        var order = Array(0..<n)
        var batchTargets = TrainingTargets.classes([])
        var step = 0
        var history: [Float] = []
        var interrupted = false

        let largestProduct = zip(widths.dropLast(), widths.dropFirst()).map { batch * $0 * $1 }.max() ?? 0
        try BLASThreads.forProductsOf(size: largestProduct) {
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
                    let loss: Float
                    if size == batch {
                        gatherRows(x, order, from: start, count: size, into: &fullX)
                        loss = try ws.forwardBackward(net, x: fullX, targets: batchTargets, offset: start)
                    } else {
                        gatherRows(x, order, from: start, count: size, into: &restX)
                        loss = try ws.forwardBackward(net, x: restX, targets: batchTargets, offset: start)
                    }
                    guard loss.isFinite else {
                        throw LearningError.invalid("training diverged: the loss became \(loss) in epoch \(epoch); try a smaller lr")
                    }
                    lossSum += loss * Float(size)
                    step += 1
                    for l in net.layers.indices {
                        net.layers[l].weight.storage.withUnsafeMutableBufferPointer { p in
                            ws.weightGrads[l].storage.withUnsafeBufferPointer { g in
                                mW[l].storage.withUnsafeMutableBufferPointer { m in
                                    vW[l].storage.withUnsafeMutableBufferPointer { v in
                                        Kernels.adamStep(params: p, grads: g, m: m, v: v, lr: config.learningRate,
                                                         beta1: 0.9, beta2: 0.999, eps: 1e-8, step: step)
                                    }
                                }
                            }
                        }
                        net.layers[l].bias.withUnsafeMutableBufferPointer { p in
                            ws.biasGrads[l].withUnsafeBufferPointer { g in
                                mB[l].withUnsafeMutableBufferPointer { m in
                                    vB[l].withUnsafeMutableBufferPointer { v in
                                        Kernels.adamStep(params: p, grads: g, m: m, v: v, lr: config.learningRate,
                                                         beta1: 0.9, beta2: 0.999, eps: 1e-8, step: step)
                                    }
                                }
                            }
                        }
                    }
                    start += size
                }
                let meanLoss = lossSum / Float(n)
                history.append(meanLoss)
                onEpoch(epoch, config.epochs, meanLoss)
            }
        }
        net.profile = try UnitProfile.measure(net, on: data.features)
        net.preprocessor = preprocessor
        return TrainingResult(model: net, epochsCompleted: history.count,
                              interrupted: interrupted, lossHistory: history)
    }

    /// Copies rows `order[from ..< from+count]` of `x` into `out`.
    private static func gatherRows(_ x: Matrix, _ order: [Int], from: Int, count: Int, into out: inout Matrix) {
        let cols = x.cols
        x.storage.withUnsafeBufferPointer { src in
            out.storage.withUnsafeMutableBufferPointer { dst in
                for k in 0..<count {
                    let s = order[from + k] * cols, d = k * cols
                    for j in 0..<cols { dst[d + j] = src[s + j] }
                }
            }
        }
    }
}
