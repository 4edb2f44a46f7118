import Foundation
import MLETensor

/// A fully connected layer: `y = x · weight + bias`, `weight` stored `in × out`.
public struct DenseLayer: Equatable, Sendable {
    public var weight: Matrix
    public var bias: [Float]
    public init(weight: Matrix, bias: [Float]) { self.weight = weight; self.bias = bias }
    public var inputs: Int { weight.rows }
    public var outputs: Int { weight.cols }
}

/// What the network is fitted to, for one batch.
public enum TrainingTargets {
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
    public var profile: UnitProfile?
    /// Imputation and encodings from raw columns to `featureNames` (nil when the training data
    /// was already numeric and complete).
    public var preprocessor: Preprocessor?
    /// The hidden layers' activation.
    public var activation: Kernels.Activation = .relu


    public init(layers: [DenseLayer], standardizer: Standardizer, featureNames: [String],
                task: Task, targetMean: Float = 0, targetScale: Float = 1) {
        self.layers = layers; self.standardizer = standardizer; self.featureNames = featureNames
        self.task = task; self.targetMean = targetMean; self.targetScale = targetScale
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
        return "mlp \(widths.map(String.init).joined(separator: "-")), \(activation.rawValue), \(parameterCount) parameters"
    }

    /// A network with PyTorch's default `nn.Linear` initialisation: weights and biases uniform in
    /// ±1/sqrt(fan_in).
    public static func initialised(widths: [Int], standardizer: Standardizer, featureNames: [String],
                                   task: Task, targetMean: Float = 0, targetScale: Float = 1,
                                   rng: inout SeededGenerator) -> MLP {
        var layers: [DenseLayer] = []
        for l in 0..<(widths.count - 1) {
            let fanIn = widths[l], fanOut = widths[l + 1]
            let bound = 1 / Float(fanIn).squareRoot()
            var w = Matrix(rows: fanIn, cols: fanOut)
            for i in w.storage.indices { w.storage[i] = Float(rng.nextUnit() * 2 - 1) * bound }
            let b = (0..<fanOut).map { _ in Float(rng.nextUnit() * 2 - 1) * bound }
            layers.append(DenseLayer(weight: w, bias: b))
        }
        return MLP(layers: layers, standardizer: standardizer, featureNames: featureNames, task: task,
                   targetMean: targetMean, targetScale: targetScale)
    }

    /// The output layer's values (logits, or the standardised regression output) for rows that
    /// are already standardised.
    public func outputs(standardized x: Matrix) throws -> Matrix {
        var a = x
        for (l, layer) in layers.enumerated() {
            var z = Kernels.repeatedRows(layer.bias, rows: a.rows)
            try Matrix.gemm(a, layer.weight, into: &z, beta: 1)
            if l < layers.count - 1 { Kernels.activate(&z, activation) }
            a = z
        }
        return a
    }

    public func predict(_ x: Matrix) throws -> Prediction {
        guard x.cols == standardizer.mean.count else {
            throw TensorError.shapeMismatch("the model takes \(standardizer.mean.count) features, the data has \(x.cols)")
        }
        var out = try outputs(standardized: standardizer.apply(x))
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
    public func lossAndGradients(standardized x: Matrix, targets: TrainingTargets,
                                 classWeights: [Float]? = nil) throws -> (loss: Float, gradients: [DenseLayer]) {
        let ws = Workspace(widths: widths, batch: x.rows)
        let loss = try ws.forwardBackward(self, x: x, targets: targets, offset: 0, classWeights: classWeights)
        let grads = zip(ws.weightGrads, ws.biasGrads).map { DenseLayer(weight: $0, bias: $1) }
        return (loss, grads)
    }
}

/// Preallocated buffers for one batch size: activations, their gradients and the parameter
/// gradients. Training reuses one per batch size, so the inner loop allocates nothing.
final class Workspace {
    let batch: Int
    var activations: [Matrix]      // post-activation output of each layer (last: logits/probabilities)
    var deltas: [Matrix]           // gradient of the loss w.r.t. each layer's pre-activation
    var weightGrads: [Matrix]
    var biasGrads: [[Float]]

    init(widths: [Int], batch: Int) {
        self.batch = batch
        activations = widths.dropFirst().map { Matrix(rows: batch, cols: $0) }
        deltas = widths.dropFirst().map { Matrix(rows: batch, cols: $0) }
        weightGrads = zip(widths.dropLast(), widths.dropFirst()).map { Matrix(rows: $0, cols: $1) }
        biasGrads = widths.dropFirst().map { [Float](repeating: 0, count: $0) }
    }

    /// Forward and backward pass over `x` (batch × inputs, standardised). Fills the gradients
    /// and returns the mean loss. `offset` indexes into the targets.
    func forwardBackward(_ net: MLP, x: Matrix, targets: TrainingTargets, offset: Int, classWeights: [Float]? = nil) throws -> Float {
        let layerCount = net.layers.count
        for l in 0..<layerCount {
            let input = l == 0 ? x : activations[l - 1]
            try Matrix.gemm(input, net.layers[l].weight, into: &activations[l])
            Kernels.addRowVector(&activations[l], net.layers[l].bias)
            if l < layerCount - 1 { Kernels.activate(&activations[l], net.activation) }
        }
        let last = layerCount - 1
        let b = Float(batch)
        var loss: Float = 0
        switch targets {
        case .classes(let labels):
            Kernels.softmaxRows(&activations[last])
            let k = activations[last].cols
            if let w = classWeights {
                // PyTorch's weighted mean: Σ w_y·(−log p_y) / Σ w_y over the batch.
                var total: Float = 0
                for r in 0..<batch { total += w[labels[offset + r]] }
                let scale = total > 0 ? 1 / total : 0
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
                loss *= scale * b   // returned divided by b below
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
            biasGrads[l] = Kernels.columnSums(deltas[l])
            if l > 0 {
                try Matrix.gemm(deltas[l], net.layers[l].weight, transposeB: true, into: &deltas[l - 1])
                Kernels.activateBackward(gradient: &deltas[l - 1], output: activations[l - 1], net.activation)
            }
        }
        return loss / b
    }
}
