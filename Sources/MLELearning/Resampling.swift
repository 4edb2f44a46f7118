import MLETensor

/// Rebalancing of a training set's classes (Burkov ch. 6): random undersampling, random
/// oversampling and SMOTE. Every method returns a new dataset; the original rows keep their order
/// and come first, synthetic or repeated rows follow.
public enum Resampler {
    public enum Method: String, CaseIterable, Sendable {
        /// Each class above the target size loses randomly chosen rows (without replacement).
        case under
        /// Each class below the target size gains randomly repeated rows.
        case over
        /// Each class below the target size gains synthetic rows on segments between one of its
        /// rows and one of that row's k nearest neighbours in the class (Chawla et al. 2002).
        case smote
    }

    /// The class counts a method aims at. `ratio` is the share of the smallest (under) or the
    /// largest (over, smote) class every other class is brought to: 1 balances the classes.
    /// Classes already on the right side of the target keep their size; empty classes stay empty.
    public static func targetCounts(_ counts: [Int], method: Method, ratio: Double) -> [Int] {
        let present = counts.filter { $0 > 0 }
        guard let smallest = present.min(), let largest = present.max() else { return counts }
        switch method {
        case .under:
            let cap = max(smallest, Int((Double(smallest) / ratio).rounded()))
            return counts.map { min($0, cap) }
        case .over, .smote:
            let floor = min(largest, Int((Double(largest) * ratio).rounded()))
            return counts.map { $0 == 0 ? 0 : max($0, floor) }
        }
    }

    /// Rebalances `data`'s classes.
    /// - Parameters:
    ///   - ratio: in (0, 1]; see `targetCounts`.
    ///   - neighbours: SMOTE's k (default 5 in the literature and imbalanced-learn); a class with
    ///     fewer rows uses all of its other rows.
    /// - Throws: `LearningError.invalid` without a class target, for a ratio outside (0, 1], and for
    ///   SMOTE on categorical or missing values (interpolating them means nothing), or on a class
    ///   with a single row (it has no neighbour).
    public static func resample(
        _ data: Dataset, method: Method, ratio: Double = 1, neighbours: Int = 5,
        seed: UInt64
    ) throws -> Dataset {
        guard case .classes(let labels, let names)? = data.target, let counts = data.classCounts else {
            throw LearningError.invalid(
                "resampling needs a class target; this dataset has \(data.target == nil ? "no target" : "a numeric target")"
            )
        }
        guard ratio > 0, ratio <= 1 else {
            throw SettingError("ratio", "ratio must be in (0, 1]; 1 balances the classes")
        }
        guard neighbours >= 1 else { throw SettingError("neighbours", "the number of neighbours must be at least 1") }
        let want = targetCounts(counts, method: method, ratio: ratio)
        var byClass = [[Int]](repeating: [], count: names.count)
        for (i, l) in labels.enumerated() { byClass[l].append(i) }
        var rng = SeededGenerator(seed: seed)
        let suffix = ".\(method.rawValue)"

        switch method {
        case .under:
            var keep: [Int] = []
            for (c, rows) in byClass.enumerated() {
                if rows.count <= want[c] { keep += rows; continue }
                var shuffled = rows
                rng.shuffle(&shuffled)
                keep += shuffled.prefix(want[c])
            }
            keep.sort()
            return try data.subset(keep, name: data.name + suffix)
        case .over:
            var extra: [Int] = []
            for (c, rows) in byClass.enumerated() where rows.count < want[c] && !rows.isEmpty {
                for _ in 0..<(want[c] - rows.count) { extra.append(rows[rng.nextIndex(rows.count)]) }
            }
            return try data.subset(Array(0..<data.rowCount) + extra, name: data.name + suffix)
        case .smote:
            guard data.columnKinds.allSatisfy(\.isNumeric) else {
                throw LearningError.invalid(
                    "SMOTE interpolates between rows, which means nothing for categorical columns (\(zip(data.featureNames, data.columnKinds).filter { !$0.1.isNumeric }.map(\.0).joined(separator: ", "))); oversample instead, or encode them first"
                )
            }
            guard !data.features.storage.contains(where: \.isNaN) else {
                throw LearningError.invalid(
                    "SMOTE cannot interpolate missing values; drop them first (dropna) or oversample instead")
            }
            let d = data.features.cols
            var synthetic: [Float] = []
            var syntheticLabels: [Int] = []
            for (c, rows) in byClass.enumerated() where rows.count < want[c] {
                guard rows.count >= 2 else {
                    throw LearningError.invalid(
                        "SMOTE needs at least two rows of class '\(names[c])' (it has \(rows.count)); oversample instead"
                    )
                }
                let k = min(neighbours, rows.count - 1)
                let nn = try nearestNeighbours(data.features, rows: rows, k: k)
                for _ in 0..<(want[c] - rows.count) {
                    let i = rng.nextIndex(rows.count)
                    let j = nn[i * k + rng.nextIndex(k)]
                    let gap = Float(rng.nextUnit())
                    let a = rows[i] * d, b = rows[j] * d
                    for f in 0..<d {
                        let x = data.features.storage[a + f], y = data.features.storage[b + f]
                        synthetic.append(x + gap * (y - x))
                    }
                    syntheticLabels.append(c)
                }
            }
            var features = data.features.storage
            features += synthetic
            var out = data
            out.name = data.name + suffix
            out.features = Matrix(rows: data.rowCount + syntheticLabels.count, cols: d, repeating: 0)
            out.features.storage = features
            out.target = .classes(labels: labels + syntheticLabels, names: names)
            return out
        }
    }

    /// For each of `rows` (indices into `x`), the positions in `rows` of its `k` nearest other
    /// rows by Euclidean distance (ties to the lower position), `k` per row.
    /// - Throws: `Cancelled` on Ctrl-C (heard every row: each row is a pass over the class).
    static func nearestNeighbours(_ x: Matrix, rows: [Int], k: Int) throws -> [Int] {
        let n = rows.count, d = x.cols
        var out = [Int](repeating: 0, count: n * k)
        var dist = [Double](repeating: 0, count: n)
        let cancellation = Cancellation.current
        try x.storage.withUnsafeBufferPointer { p in
            for i in 0..<n {
                if cancellation.isCancelled { throw Cancelled() }
                let a = rows[i] * d
                for j in 0..<n {
                    let b = rows[j] * d
                    var s = 0.0
                    for f in 0..<d { let t = Double(p[a + f]) - Double(p[b + f]); s += t * t }
                    dist[j] = s
                }
                dist[i] = .infinity
                // Partial selection: k is small, so k passes over the row beat a sort.
                for m in 0..<k {
                    var best = -1
                    for j in 0..<n where dist[j] != .infinity && (best < 0 || dist[j] < dist[best]) { best = j }
                    out[i * k + m] = max(best, 0)
                    if best >= 0 { dist[best] = .infinity }
                }
            }
        }
        return out
    }
}
