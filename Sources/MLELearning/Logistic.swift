import Foundation
import MLETensor

/// Settings for logistic (two classes) and softmax (more) regression.
public struct LogisticConfig: Equatable, Sendable {
    /// Inverse regularisation strength, as scikit-learn's `C`: the objective is
    /// Σ wᵢ·lossᵢ + ‖W‖² / (2C), the intercepts unpenalised.
    public var c: Double = 1
    public var maxIterations = 1000
    /// Stop when the largest gradient component is below this (relative to the row count).
    public var tolerance = 1e-8
    public var classWeights: [Double] = []
    public var preprocess = PreprocessSettings()
    public init() {}
}

/// Fits logistic and softmax regression to the optimum of its convex objective with L-BFGS
/// (memory 10, backtracking Armijo line search) in double precision, on standardised inputs.
/// The result is an `MLP` with no hidden layer — so evaluation, robustness (where CROWN is
/// exact), model files and everything else that takes a network take it too.
public enum LogisticTrainer {
    public struct Result: Sendable {
        public var model: MLP
        public var iterations: Int
        public var converged: Bool
        public var objective: Double
    }

    /// - Throws: `LearningError` for data without class target or rows, or bad settings.
    public static func train(_ raw: Dataset, config: LogisticConfig, context: ExecutionContext = .standard) throws
        -> Result
    {
        let cancellation = context.cancellation
        guard raw.target != nil else { throw LearningError.noTarget("logistic") }
        let (data, preprocessor) = try Preprocessor.prepare(raw, settings: config.preprocess)
        guard case .classes(let labels, let names)? = data.target, let task = data.task else {
            throw LearningError.invalid(
                "logistic regression needs a class target; for numbers train an mlp (MSE loss) or a mean baseline")
        }
        guard names.count >= 2 else {
            throw LearningError.invalid("the target has a single class; a classifier needs at least two")
        }
        guard data.rowCount > 0, !data.featureNames.isEmpty else {
            throw LearningError.invalid("the training data has no rows or no feature columns")
        }
        guard config.c > 0, config.c.isFinite else { throw SettingError("c", "c must be a positive number") }
        guard config.maxIterations >= 1 else {
            throw SettingError("maxIterations", "the iteration limit must be at least 1")
        }
        if !config.classWeights.isEmpty {
            guard config.classWeights.count == names.count, config.classWeights.allSatisfy({ $0 >= 0 && $0.isFinite })
            else {
                throw SettingError("classWeights", "class weights need one non-negative number per class")
            }
        }
        let standardizer = Standardizer.fit(data.features)
        let xs = try standardizer.apply(data.features)
        let n = data.rowCount, d = xs.cols
        let x = xs.storage.map(Double.init)
        let rowWeight = labels.map { config.classWeights.isEmpty ? 1.0 : config.classWeights[$0] }
        let binary = names.count == 2
        let k = binary ? 1 : names.count
        // Parameters: W (d × k, row-major) then the k intercepts.
        let size = d * k + k
        let lambda = 1 / config.c

        var z = [Double](repeating: 0, count: n * k)
        func objective(_ p: [Double], _ grad: inout [Double]) -> Double {
            var f = 0.0
            x.withUnsafeBufferPointer { xp in
                p.withUnsafeBufferPointer { pp in
                    z.withUnsafeMutableBufferPointer { zp in
                        for r in 0..<n { for c in 0..<k { zp[r * k + c] = pp[d * k + c] } }
                        guard let a = xp.baseAddress, let b = pp.baseAddress, let c = zp.baseAddress else { return }
                        DoubleGEMM.multiply(a, b, into: c, m: n, n: k, k: d, beta: 1)
                    }
                }
            }
            // z becomes the residual (probability − indicator) times the row weight.
            for r in 0..<n {
                let w = rowWeight[r], y = labels[r]
                if binary {
                    let t = z[r], target = y == 1 ? 1.0 : 0.0
                    // log(1 + e^t) − y·t, computed without overflow.
                    f += w * ((t > 0 ? t + log1p(exp(-t)) : log1p(exp(t))) - target * t)
                    let s = t >= 0 ? 1 / (1 + exp(-t)) : exp(t) / (1 + exp(t))
                    z[r] = w * (s - target)
                } else {
                    var m = -Double.infinity
                    for c in 0..<k { m = max(m, z[r * k + c]) }
                    var sum = 0.0
                    for c in 0..<k { sum += exp(z[r * k + c] - m) }
                    let logSum = m + log(sum)
                    f += w * (logSum - z[r * k + y])
                    for c in 0..<k { z[r * k + c] = w * (exp(z[r * k + c] - logSum) - (c == y ? 1 : 0)) }
                }
            }
            grad = [Double](repeating: 0, count: size)
            x.withUnsafeBufferPointer { xp in
                z.withUnsafeBufferPointer { zp in
                    grad.withUnsafeMutableBufferPointer { gp in
                        guard let a = xp.baseAddress, let b = zp.baseAddress, let c = gp.baseAddress else { return }
                        DoubleGEMM.multiply(a, transposeA: true, b, into: c, m: d, n: k, k: n)
                    }
                }
            }
            for r in 0..<n { for c in 0..<k { grad[d * k + c] += z[r * k + c] } }
            for i in 0..<(d * k) { f += 0.5 * lambda * p[i] * p[i]; grad[i] += lambda * p[i] }
            return f
        }

        var p = [Double](repeating: 0, count: size)
        var g = [Double](repeating: 0, count: size)
        var f = objective(p, &g)
        var sHistory: [[Double]] = [], yHistory: [[Double]] = []
        var iterations = 0, converged = false
        let gtol = config.tolerance * Double(max(n, 1))
        while iterations < config.maxIterations {
            if (g.map(abs).max() ?? 0) <= gtol { converged = true; break }
            if cancellation.isCancelled { break }
            iterations += 1
            // Two-loop recursion for the direction −H·g.
            var q = g
            var alphas: [Double] = []
            for (s, y) in zip(sHistory, yHistory).reversed() {
                let rho = 1 / dot(y, s)
                let a = rho * dot(s, q)
                alphas.append(a)
                for i in q.indices { q[i] -= a * y[i] }
            }
            if let s = sHistory.last, let y = yHistory.last {
                let gamma = dot(s, y) / dot(y, y)
                for i in q.indices { q[i] *= gamma }
            } else {
                let norm = dot(g, g).squareRoot()
                for i in q.indices { q[i] /= max(norm, 1) }
            }
            for ((s, y), a) in zip(zip(sHistory, yHistory), alphas.reversed()) {
                let rho = 1 / dot(y, s)
                let b = rho * dot(y, q)
                for i in q.indices { q[i] += s[i] * (a - b) }
            }
            var direction = q.map { -$0 }
            var slope = dot(g, direction)
            if slope >= 0 {  // not a descent direction: restart from the gradient
                sHistory.removeAll(); yHistory.removeAll()
                direction = g.map { -$0 }
                slope = -dot(g, g)
            }
            var step = 1.0
            var next = p, nextG = g, nextF = f
            var accepted = false
            for _ in 0..<60 {
                for i in p.indices { next[i] = p[i] + step * direction[i] }
                nextF = objective(next, &nextG)
                if nextF <= f + 1e-4 * step * slope { accepted = true; break }
                step *= 0.5
            }
            guard accepted else { converged = (g.map(abs).max() ?? 0) <= gtol * 100; break }
            let s = zip(next, p).map { $0 - $1 }, y = zip(nextG, g).map { $0 - $1 }
            if dot(s, y) > 1e-12 {
                sHistory.append(s); yHistory.append(y)
                if sHistory.count > 10 { sHistory.removeFirst(); yHistory.removeFirst() }
            }
            let change = abs(f - nextF)
            p = next; g = nextG; f = nextF
            if change <= 1e-15 * max(abs(f), 1) { converged = (g.map(abs).max() ?? 0) <= gtol * 100; break }
        }

        // As a one-layer network: weights d × outputs. Two classes become the logits (0, z),
        // whose softmax is the logistic function of z.
        let outputs = binary ? 2 : k
        var weight = Matrix(rows: d, cols: outputs)
        var bias = [Float](repeating: 0, count: outputs)
        for j in 0..<d {
            for c in 0..<k { weight[j, binary ? 1 : c] = Float(p[j * k + c]) }
        }
        for c in 0..<k { bias[binary ? 1 : c] = Float(p[d * k + c]) }
        var net = MLP(
            layers: [DenseLayer(weight: weight, bias: bias)], standardizer: standardizer,
            featureNames: data.featureNames, task: task)
        net.preprocessor = preprocessor
        return Result(model: net, iterations: iterations, converged: converged, objective: f)
    }

    private static func dot(_ a: [Double], _ b: [Double]) -> Double {
        var s = 0.0
        for i in a.indices { s += a[i] * b[i] }
        return s
    }
}
