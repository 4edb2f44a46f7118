import Foundation
import MLETensor

/// A map from a classifier's probabilities to calibrated ones, fitted on validation data (Burkov
/// ch. 6). Platt scaling and isotonic regression follow scikit-learn's `CalibratedClassifierCV`
/// on a classifier's `predict_proba`: for two classes the positive class's probability is
/// calibrated and the other is its complement; for more, each class against the rest, then the
/// row is divided by its sum (uniform when the sum is 0). Temperature scaling divides the
/// log-probabilities by one temperature and takes their softmax again.
public enum Calibrator: Sendable, Equatable {
    /// Per calibrated class, P = 1 / (1 + exp(a · p + b)) (scikit-learn's sigmoid).
    case platt([PlattMap])
    /// Per calibrated class, the isotonic fit: linear between the points, clipped outside.
    case isotonic([IsotonicMap])
    /// softmax(log p / t).
    case temperature(Double)

    public enum Method: String, CaseIterable, Sendable {
        case platt, isotonic, temperature
    }

    public var method: Method {
        switch self {
        case .platt: return .platt
        case .isotonic: return .isotonic
        case .temperature: return .temperature
        }
    }

    public struct PlattMap: Sendable, Equatable {
        public var a: Double, b: Double
        public init(a: Double, b: Double) { self.a = a; self.b = b }
        public func callAsFunction(_ p: Double) -> Double { 1 / (1 + exp(a * p + b)) }
    }

    public struct IsotonicMap: Sendable, Equatable {
        /// Increasing x, non-decreasing y.
        public var x: [Double], y: [Double]
        public init(x: [Double], y: [Double]) { self.x = x; self.y = y }

        /// NumPy's `interp`: linear between the points, the end values outside.
        public func callAsFunction(_ p: Double) -> Double {
            guard let first = x.first, let last = x.last else { return p }
            if p <= first { return y[0] }
            if p >= last { return y[y.count - 1] }
            var lo = 0, hi = x.count - 1
            while hi - lo > 1 {
                let mid = (lo + hi) / 2
                if x[mid] <= p { lo = mid } else { hi = mid }
            }
            let t = (p - x[lo]) / (x[hi] - x[lo])
            return y[lo] + t * (y[hi] - y[lo])
        }
    }

    /// Fits the calibrator to probabilities `p` (rows × classes) and true classes.
    /// - Throws: `LearningError.invalid` for fewer than two rows or a class index outside the
    ///   columns; `Cancelled` when `cancellation` is set (heard once per pass over the rows).
    public static func fit(
        _ method: Method, probabilities p: Matrix, truth: [Int], cancellation: Cancellation = .never
    ) throws -> Calibrator {
        let n = p.rows, k = p.cols
        guard n >= 2, truth.count == n, k >= 2 else {
            throw LearningError.invalid("calibration needs at least two rows and two classes")
        }
        guard truth.allSatisfy({ (0..<k).contains($0) }) else {
            throw LearningError.invalid("a row's class is not one of the model's")
        }
        let calibrated = k == 2 ? [1] : Array(0..<k)
        func column(_ c: Int) -> [Double] { (0..<n).map { Double(p[$0, c]) } }
        switch method {
        case .platt:
            return .platt(try calibrated.map { c in try platt(column(c), truth.map { $0 == c }, cancellation) })
        case .isotonic:
            return .isotonic(calibrated.map { c in isotonic(column(c), truth.map { $0 == c ? 1 : 0 }) })
        case .temperature:
            return .temperature(try temperature(p, truth, cancellation))
        }
    }

    /// Calibrated probabilities for `p`.
    public func apply(_ p: Matrix) throws -> Matrix {
        let n = p.rows, k = p.cols
        var out = [Float](repeating: 0, count: n * k)
        switch self {
        case .temperature(let t):
            for r in 0..<n {
                var logs = (0..<k).map { Calibrator.log(Double(p[r, $0])) / t }
                let top = logs.max() ?? 0
                var sum = 0.0
                for j in 0..<k { logs[j] = exp(logs[j] - top); sum += logs[j] }
                for j in 0..<k { out[r * k + j] = Float(logs[j] / sum) }
            }
        case .platt, .isotonic:
            let maps: [(Double) -> Double]
            switch self {
            case .platt(let m): maps = m.map { f in { f($0) } }
            case .isotonic(let m): maps = m.map { f in { f($0) } }
            case .temperature: maps = []
            }
            if k == 2 {
                guard let f = maps.first else { throw LearningError.invalid("the calibrator has no map") }
                for r in 0..<n {
                    let q = f(Double(p[r, 1]))
                    out[r * 2 + 1] = Float(q)
                    out[r * 2] = Float(1 - q)
                }
            } else {
                guard maps.count == k else {
                    throw LearningError.invalid("the calibrator has \(maps.count) maps for \(k) classes")
                }
                for r in 0..<n {
                    let q = (0..<k).map { maps[$0](Double(p[r, $0])) }
                    let sum = q.reduce(0, +)
                    for j in 0..<k { out[r * k + j] = Float(sum > 0 ? q[j] / sum : 1 / Double(k)) }
                }
            }
        }
        return try Matrix(rows: n, cols: k, storage: out)
    }

    /// log p with p clipped below at the smallest normal double (a probability of 0 stays finite).
    static func log(_ p: Double) -> Double { Foundation.log(max(p, Double.leastNormalMagnitude)) }

    // MARK: Fitting

    /// Platt scaling as scikit-learn's `_sigmoid_calibration`: targets smoothed to
    /// (n₊ + 1) / (n₊ + 2) and 1 / (n₋ + 2), inputs divided by their largest magnitude when it is
    /// 30 or more, and the cross-entropy minimised over (a, b) — here by Newton's method with a
    /// line search to convergence (the loss is convex), where scikit-learn stops L-BFGS at a
    /// gradient of 1e-6.
    static func platt(_ f: [Double], _ positive: [Bool], _ cancellation: Cancellation = .never) throws -> PlattMap {
        let n = f.count
        let scale = max(f.map(abs).max() ?? 1, 0) >= 30 ? (f.map(abs).max() ?? 1) : 1
        let x = f.map { $0 / scale }
        let n1 = Double(positive.filter { $0 }.count), n0 = Double(n) - n1
        let t = positive.map { $0 ? (n1 + 1) / (n1 + 2) : 1 / (n0 + 2) }
        // P = σ(−(a x + b)); loss = −Σ t log P + (1 − t) log(1 − P).
        func loss(_ a: Double, _ b: Double) -> Double {
            var s = 0.0
            for i in 0..<n {
                let z = -(a * x[i] + b)
                // log σ(z) and log(1 − σ(z)) = log σ(−z), stably.
                s -= t[i] * logSigmoid(z) + (1 - t[i]) * logSigmoid(-z)
            }
            return s
        }
        var a = 0.0, b = Foundation.log((n0 + 1) / (n1 + 1))
        var current = loss(a, b)
        for _ in 0..<100 {
            if cancellation.isCancelled { throw Cancelled() }
            var ga = 0.0, gb = 0.0, haa = 0.0, hab = 0.0, hbb = 0.0
            for i in 0..<n {
                let p = sigmoid(-(a * x[i] + b))
                // d loss / d z = p − t with z = −(a x + b): dz/da = −x, dz/db = −1.
                let g = p - t[i], w = p * (1 - p)
                ga -= g * x[i]; gb -= g
                haa += w * x[i] * x[i]; hab += w * x[i]; hbb += w
            }
            let det = haa * hbb - hab * hab
            var da: Double, db: Double
            if det > 1e-300 * max(1, haa * hbb) {
                da = -(hbb * ga - hab * gb) / det
                db = -(haa * gb - hab * ga) / det
            } else {
                da = -ga; db = -gb
            }
            var step = 1.0, next = loss(a + da, b + db)
            while !(next <= current), step > 1e-12 {
                step /= 2
                next = loss(a + step * da, b + step * db)
            }
            guard next <= current else { break }
            a += step * da; b += step * db
            let improvement = current - next
            current = next
            if improvement <= 1e-15 * max(1, abs(current)), abs(ga) + abs(gb) < 1e-9 { break }
        }
        return PlattMap(a: a / scale, b: b)
    }

    static func sigmoid(_ z: Double) -> Double { z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z)) }
    static func logSigmoid(_ z: Double) -> Double { z >= 0 ? -log1p(exp(-z)) : z - log1p(exp(z)) }

    /// Isotonic regression as scikit-learn's `IsotonicRegression(out_of_bounds="clip")`: rows
    /// sorted by x, equal x merged into their mean y, pool-adjacent-violators for a
    /// non-decreasing fit; every distinct x keeps its fitted y.
    static func isotonic(_ x: [Double], _ y: [Double]) -> IsotonicMap {
        let order = x.indices.sorted { x[$0] < x[$1] || (x[$0] == x[$1] && $0 < $1) }
        var xs: [Double] = [], sums: [Double] = [], weights: [Double] = []
        for i in order {
            if let last = xs.last, last == x[i] {
                sums[sums.count - 1] += y[i]; weights[weights.count - 1] += 1
            } else {
                xs.append(x[i]); sums.append(y[i]); weights.append(1)
            }
        }
        // Blocks of (sum, weight, how many distinct x).
        var blockSum: [Double] = [], blockWeight: [Double] = [], blockSize: [Int] = []
        for j in xs.indices {
            blockSum.append(sums[j]); blockWeight.append(weights[j]); blockSize.append(1)
            while blockSum.count > 1,
                blockSum[blockSum.count - 2] / blockWeight[blockWeight.count - 2]
                    >= blockSum[blockSum.count - 1] / blockWeight[blockWeight.count - 1]
            {
                let s = blockSum.removeLast(), w = blockWeight.removeLast(), c = blockSize.removeLast()
                blockSum[blockSum.count - 1] += s; blockWeight[blockWeight.count - 1] += w
                blockSize[blockSize.count - 1] += c
            }
        }
        var ys: [Double] = []
        for (b, size) in blockSize.enumerated() {
            ys += [Double](repeating: blockSum[b] / blockWeight[b], count: size)
        }
        return IsotonicMap(x: xs, y: ys)
    }

    /// The temperature minimising the mean negative log-likelihood of softmax(log p / t): the
    /// loss is convex in β = 1/t, so its derivative, mean(E[z] − z_true) with z = log p and E
    /// under softmax(β z), is bisected to zero on β in [1e-4, 1e4].
    static func temperature(_ p: Matrix, _ truth: [Int], _ cancellation: Cancellation = .never) throws -> Double {
        let n = p.rows, k = p.cols
        let z = (0..<n).map { r in (0..<k).map { log(Double(p[r, $0])) } }
        func derivative(_ beta: Double) throws -> Double {
            if cancellation.isCancelled { throw Cancelled() }
            var s = 0.0
            for r in 0..<n {
                let row = z[r]
                let top = (row.max() ?? 0) * beta
                var sum = 0.0, weighted = 0.0
                for j in 0..<k {
                    let e = exp(beta * row[j] - top)
                    sum += e; weighted += e * row[j]
                }
                s += weighted / sum - row[truth[r]]
            }
            return s / Double(n)
        }
        var lo = 1e-4, hi = 1e4
        // Already at an end: the probabilities are (nearly) all equal, or the truth is always the
        // top class with room to sharpen without bound.
        if try derivative(lo) >= 0 { return 1 / lo }
        if try derivative(hi) <= 0 { return 1 / hi }
        for _ in 0..<200 {
            let mid = (lo * hi).squareRoot()
            if try derivative(mid) < 0 { lo = mid } else { hi = mid }
            if hi / lo - 1 < 1e-13 { break }
        }
        return 1 / (lo * hi).squareRoot()
    }
}

/// A classifier whose probabilities go through a fitted `Calibrator`; its predicted class is the
/// most probable calibrated class.
public struct CalibratedModel: Model {
    public let base: any Model
    public let calibrator: Calibrator
    public var kind: String { base.kind }
    public var featureNames: [String] { base.featureNames }
    public var task: Task { base.task }
    public var preprocessor: Preprocessor? { base.preprocessor }
    public var summary: String {
        base.summary + " · calibrated (\(calibrator.method.rawValue))"
            + (base is ThresholdModel ? ", predicts the most probable calibrated class" : "")
    }

    public init(base: any Model, calibrator: Calibrator) throws {
        guard case .classification(let names) = base.task else {
            throw LearningError.invalid("only a classifier's probabilities can be calibrated")
        }
        switch calibrator {
        case .platt(let maps):
            guard maps.count == (names.count == 2 ? 1 : names.count),
                maps.allSatisfy({ $0.a.isFinite && $0.b.isFinite })
            else { throw LearningError.invalid("Platt scaling needs one finite map per calibrated class") }
        case .isotonic(let maps):
            guard maps.count == (names.count == 2 ? 1 : names.count),
                maps.allSatisfy({ m in
                    m.x.count == m.y.count && !m.x.isEmpty && m.x.allSatisfy(\.isFinite) && m.y.allSatisfy(\.isFinite)
                        && zip(m.x, m.x.dropFirst()).allSatisfy { $0 < $1 }
                })
            else { throw LearningError.invalid("isotonic calibration needs one increasing map per calibrated class") }
        case .temperature(let t):
            guard t.isFinite, t > 0 else { throw LearningError.invalid("a temperature must be positive") }
        }
        self.base = base
        self.calibrator = calibrator
    }

    public func inputs(_ data: Dataset) throws -> Matrix { try base.inputs(data) }

    public func predict(_ x: Matrix) throws -> Prediction {
        guard case .probabilities(let p) = try base.predict(x) else {
            throw LearningError.invalid("the calibrated model's base gives no probabilities")
        }
        return .probabilities(try calibrator.apply(p))
    }
}
