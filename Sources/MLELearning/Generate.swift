import Foundation
import MLETensor

/// Seeded synthetic datasets for trying things out.
public enum Generator {
    /// Settings shared by the generators.
    public struct Settings: Sendable {
        public var rows = 1000
        public var features = 10
        /// Features that carry the signal; the rest are standard normal noise.
        public var informative = 2
        public var classes = 2
        /// Class shares (normalised); nil means equal.
        public var weights: [Double]?
        /// Distance of class centres from the origin along each informative axis.
        public var separation = 1.0
        /// Standard deviation of noise added to the target (regression) or points (moons, blobs).
        public var noise = 0.0
        public var seed: UInt64 = 0
        /// Seen every 4096 rows.
        public var cancellation: Cancellation = .never
        public init() {}
    }

    /// Exact class sizes for `rows` rows in proportion to `weights` (largest remainder; ties to
    /// the earlier class).
    public static func classSizes(rows: Int, weights: [Double]) -> [Int] {
        let total = max(weights.reduce(0, +), .leastNonzeroMagnitude)
        let exact = weights.map { Double(rows) * $0 / total }
        var sizes = exact.map { Int($0.rounded(.down)) }
        let order = exact.indices.sorted { (exact[$0] - Double(sizes[$0]), $1) > (exact[$1] - Double(sizes[$1]), $0) }
        for k in order.prefix(rows - sizes.reduce(0, +)) { sizes[k] += 1 }
        return sizes
    }

    /// Classification in the manner of scikit-learn's `make_classification`, simplified: each
    /// class is a standard normal cloud around its own vertex of the hypercube
    /// {−separation, +separation}^informative; the other features are independent N(0, 1) noise.
    /// Rows are shuffled; class sizes follow `weights` exactly.
    /// - Throws: `LearningError.invalid` when the settings cannot be met (more classes than the
    ///   2^informative vertices, informative > features, bad weights).
    public static func classification(_ s: Settings) throws -> Dataset {
        guard s.rows >= 1, s.features >= 1, s.informative >= 1, s.informative <= s.features else {
            throw LearningError.invalid("generate needs rows ≥ 1, features ≥ 1 and 1 ≤ informative ≤ features")
        }
        guard s.classes >= 2, s.informative >= 63 || s.classes <= 1 << s.informative else {
            throw LearningError.invalid(
                "\(s.classes) classes need at least \(Int(ceil(log2(Double(s.classes))))) informative features (one hypercube vertex per class)"
            )
        }
        let weights = s.weights ?? Array(repeating: 1, count: s.classes)
        guard weights.count == s.classes, weights.allSatisfy({ $0 >= 0 && $0.isFinite }), weights.reduce(0, +) > 0
        else {
            throw SettingError(
                "weights", "the class weights must be \(s.classes) non-negative shares", remedy: .example("[0.9, 0.1]"))
        }
        var rng = SeededGenerator(seed: s.seed)
        // Distinct vertices, chosen at random: a random permutation of vertex numbers.
        var vertices: [[Double]] = []
        var used = Set<UInt64>()
        while vertices.count < s.classes {
            let bits = s.informative >= 64 ? rng.next() : rng.next() & ((1 << UInt64(s.informative)) - 1)
            if used.insert(bits).inserted {
                vertices.append(
                    (0..<s.informative).map { (bits >> UInt64($0 % 64)) & 1 == 1 ? s.separation : -s.separation })
            }
        }
        let sizes = classSizes(rows: s.rows, weights: weights)
        var labels: [Int] = []
        for (k, n) in sizes.enumerated() { labels += Array(repeating: k, count: n) }
        rng.shuffle(&labels)
        var x = Matrix(uninitializedRows: s.rows, cols: s.features)  // every cell is written below
        for r in 0..<s.rows {
            if r & 4095 == 0, s.cancellation.isCancelled { throw Cancelled() }
            for j in 0..<s.features {
                let centre = j < s.informative ? vertices[labels[r]][j] : 0
                x[r, j] = Float(centre + rng.nextNormal())
            }
        }
        let names = (0..<s.features).map {
            $0 < s.informative ? "informative\($0 + 1)" : "noise\($0 - s.informative + 1)"
        }
        return Dataset(
            name: "classification", featureNames: names, features: x, targetName: "class",
            target: .classes(labels: labels, names: (0..<s.classes).map { "class\($0)" }))
    }

    /// Regression: features N(0, 1); the target is a linear function of the informative ones,
    /// with coefficients uniform in [1, 10] and random signs, plus N(0, noise²).
    /// - Returns: the data and the coefficients (zero for noise features).
    public static func regression(_ s: Settings) throws -> (Dataset, coefficients: [Double]) {
        guard s.rows >= 1, s.features >= 1, s.informative >= 1, s.informative <= s.features else {
            throw LearningError.invalid("generate needs rows ≥ 1, features ≥ 1 and 1 ≤ informative ≤ features")
        }
        var rng = SeededGenerator(seed: s.seed)
        let w = (0..<s.features).map { j -> Double in
            guard j < s.informative else { return 0 }
            let size = 1 + 9 * rng.nextUnit()
            return rng.nextUnit() < 0.5 ? -size : size
        }
        var x = Matrix(uninitializedRows: s.rows, cols: s.features)  // every cell is written below
        var y = [Float](repeating: 0, count: s.rows)
        for r in 0..<s.rows {
            if r & 4095 == 0, s.cancellation.isCancelled { throw Cancelled() }
            var sum = 0.0
            for j in 0..<s.features {
                let v = rng.nextNormal()
                x[r, j] = Float(v)
                sum += w[j] * Double(Float(v))
            }
            y[r] = Float(sum + s.noise * rng.nextNormal())
        }
        let names = (0..<s.features).map {
            $0 < s.informative ? "informative\($0 + 1)" : "noise\($0 - s.informative + 1)"
        }
        return (Dataset(name: "regression", featureNames: names, features: x, targetName: "y", target: .values(y)), w)
    }

    /// Two interleaving half circles (scikit-learn's `make_moons`): class 0 on the upper unit
    /// half circle, class 1 on the lower one shifted by (1, 0.5); Gaussian noise of sd `noise`.
    /// Class sizes follow `weights` (default equal); angles are uniform at random.
    public static func moons(_ s: Settings) throws -> Dataset {
        guard s.rows >= 2 else { throw LearningError.invalid("moons needs rows ≥ 2") }
        var rng = SeededGenerator(seed: s.seed)
        let sizes = classSizes(rows: s.rows, weights: s.weights ?? [1, 1])
        var x = Matrix(uninitializedRows: s.rows, cols: 2)  // every cell is written below
        var labels: [Int] = []
        for (k, n) in sizes.enumerated() { labels += Array(repeating: k, count: n) }
        rng.shuffle(&labels)
        for r in 0..<s.rows {
            if r & 4095 == 0, s.cancellation.isCancelled { throw Cancelled() }
            let t = Double.pi * rng.nextUnit()
            let (a, b) = labels[r] == 0 ? (cos(t), sin(t)) : (1 - cos(t), 0.5 - sin(t))
            x[r, 0] = Float(a + s.noise * rng.nextNormal())
            x[r, 1] = Float(b + s.noise * rng.nextNormal())
        }
        return Dataset(
            name: "moons", featureNames: ["x1", "x2"], features: x, targetName: "class",
            target: .classes(labels: labels, names: ["class0", "class1"]))
    }

    /// Isotropic Gaussian blobs: `classes` centres uniform in [−10, 10]^features, points with
    /// standard deviation `noise` (1 when 0) around them.
    public static func blobs(_ s: Settings) throws -> (Dataset, centres: [[Double]]) {
        guard s.rows >= 1, s.features >= 1, s.classes >= 1 else {
            throw LearningError.invalid("blobs needs rows, features and classes ≥ 1")
        }
        var rng = SeededGenerator(seed: s.seed)
        let centres = (0..<s.classes).map { _ in (0..<s.features).map { _ in 20 * rng.nextUnit() - 10 } }
        let sizes = classSizes(rows: s.rows, weights: s.weights ?? Array(repeating: 1, count: s.classes))
        var labels: [Int] = []
        for (k, n) in sizes.enumerated() { labels += Array(repeating: k, count: n) }
        rng.shuffle(&labels)
        let sd = s.noise > 0 ? s.noise : 1
        var x = Matrix(uninitializedRows: s.rows, cols: s.features)  // every cell is written below
        for r in 0..<s.rows {
            if r & 4095 == 0, s.cancellation.isCancelled { throw Cancelled() }
            for j in 0..<s.features { x[r, j] = Float(centres[labels[r]][j] + sd * rng.nextNormal()) }
        }
        return (
            Dataset(
                name: "blobs", featureNames: (1...s.features).map { "x\($0)" }, features: x, targetName: "class",
                target: .classes(labels: labels, names: (0..<s.classes).map { "class\($0)" })), centres
        )
    }
}
