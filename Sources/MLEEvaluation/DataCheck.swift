import Foundation
import MLELearning
import MLETensor

/// Burkov ch. 3's data checks: class balance, constant columns, duplicate rows, highly
/// correlated feature pairs, single features that nearly predict the target (possible
/// leakage), and rows shared between a training and a test set.
public struct DataCheck: Sendable {
    public struct Pair: Sendable, Equatable {
        public var a: String, b: String
        public var correlation: Double
    }
    public struct Predictor: Sendable, Equatable {
        public var feature: String
        /// Accuracy of predicting the majority class of the feature's bin or level (classes),
        /// or |Pearson r| with the target (numbers).
        public var score: Double
        /// What a feature-blind guess reaches: the zero rule's accuracy, or 0 for numbers.
        public var baseline: Double
    }

    public var rows: Int
    public var classCounts: [(String, Int)]?
    /// Largest class over smallest; nil without classes or when a class is empty.
    public var imbalanceRatio: Double?
    public var missingCells: Int
    public var constantColumns: [String]
    /// Rows equal to an earlier row in every feature and the target.
    public var duplicateRows: Int
    /// Example: the first duplicated row and the row it repeats (0-based).
    public var firstDuplicate: (row: Int, of: Int)?
    public var correlatedPairs: [Pair]
    public var strongPredictors: [Predictor]
    /// Rows of the test set whose features equal a training row's (nil without a test set).
    public var sharedWithTest: Int?

    /// Runs every check.
    /// - Parameters:
    ///   - correlation: |r| at or above which a pair is reported.
    ///   - leakage: the single-feature score at or above which a feature is reported.
    public static func run(
        _ data: Dataset, test: Dataset? = nil, correlation: Double = 0.95,
        leakage: Double = 0.95, cancellation: Cancellation = .never
    ) throws -> DataCheck {
        let n = data.rowCount, d = data.featureNames.count
        // Ctrl-C is seen between columns, pairs and blocks of 4096 rows.
        func stop() throws { if cancellation.isCancelled { throw Cancelled() } }
        let x = data.features
        var counts: [(String, Int)]?
        var ratio: Double?
        if case .classes(_, let names)? = data.target, let c = data.classCounts {
            counts = Array(zip(names, c))
            if let mx = c.max(), let mn = c.min(), mn > 0 { ratio = Double(mx) / Double(mn) }
        }
        let missing = data.missingCounts
        // Constant: a single distinct present value (or none at all).
        var constant: [String] = []
        for j in 0..<d {
            try stop()
            var first: Float?
            var varies = false
            for r in 0..<n where !x[r, j].isNaN {
                if let f = first { if x[r, j] != f { varies = true; break } } else { first = x[r, j] }
            }
            if !varies { constant.append(data.featureNames[j]) }
        }
        // Duplicates: rows hashed by their bit patterns (NaN equals NaN here, as a missing cell).
        var seen: [RowKey: Int] = [:]
        var duplicates = 0
        var firstDuplicate: (Int, Int)?
        for r in 0..<n {
            if r & 4095 == 0 { try stop() }
            let key = RowKey(data, r, withTarget: true)
            if let earlier = seen[key] {
                duplicates += 1
                if firstDuplicate == nil { firstDuplicate = (r, earlier) }
            } else {
                seen[key] = r
            }
        }
        // Correlations over numeric columns, on rows where both values are present.
        var pairs: [Pair] = []
        let numeric = (0..<d).filter { data.columnKinds[$0].isNumeric && !constant.contains(data.featureNames[$0]) }
        for (ia, a) in numeric.enumerated() {
            for b in numeric[(ia + 1)...] {
                try stop()
                if let r = pearson(x, a, b, rows: n), abs(r) >= correlation {
                    pairs.append(Pair(a: data.featureNames[a], b: data.featureNames[b], correlation: r))
                }
            }
        }
        pairs.sort { abs($0.correlation) > abs($1.correlation) }
        // Single-feature predictors.
        var predictors: [Predictor] = []
        switch data.target {
        case .classes(let labels, let names)?:
            let zeroRule = Double(data.classCounts?.max() ?? 0) / Double(max(n, 1))
            for j in 0..<d {
                try stop()
                let groups = groupsOf(x, j, kind: data.columnKinds[j], rows: n)
                var table: [Int: [Int]] = [:]
                for r in 0..<n { table[groups[r], default: [Int](repeating: 0, count: names.count)][labels[r]] += 1 }
                let correct = table.values.reduce(0) { $0 + ($1.max() ?? 0) }
                let score = Double(correct) / Double(max(n, 1))
                if score >= leakage && score > zeroRule {
                    predictors.append(Predictor(feature: data.featureNames[j], score: score, baseline: zeroRule))
                }
            }
        case .values(let v)?:
            for j in 0..<d where data.columnKinds[j].isNumeric {
                try stop()
                var xs: [Double] = [], ys: [Double] = []
                for r in 0..<n where !x[r, j].isNaN { xs.append(Double(x[r, j])); ys.append(Double(v[r])) }
                if let r = pearson(xs, ys), abs(r) >= leakage {
                    predictors.append(Predictor(feature: data.featureNames[j], score: abs(r), baseline: 0))
                }
            }
        case nil: break
        }
        predictors.sort { $0.score > $1.score }
        // Train/test overlap on the features (columns matched by name).
        var shared: Int?
        if let t = test {
            guard t.featureNames == data.featureNames else {
                throw LearningError.invalid(
                    "the test set's columns differ from the training set's; overlap compares rows column by column")
            }
            var trainKeys = Set<RowKey>()
            for r in 0..<n {
                if r & 4095 == 0 { try stop() }
                trainKeys.insert(RowKey(data, r, withTarget: false))
            }
            var count = 0
            for r in 0..<t.rowCount {
                if r & 4095 == 0 { try stop() }
                if trainKeys.contains(RowKey(t, r, withTarget: false)) { count += 1 }
            }
            shared = count
        }
        return DataCheck(
            rows: n, classCounts: counts, imbalanceRatio: ratio, missingCells: missing.reduce(0, +),
            constantColumns: constant, duplicateRows: duplicates, firstDuplicate: firstDuplicate,
            correlatedPairs: pairs, strongPredictors: predictors, sharedWithTest: shared)
    }

    /// Bins of a numeric column (up to 10 quantile bins; a missing value is its own group) or
    /// the levels of a categorical one.
    static func groupsOf(_ x: Matrix, _ j: Int, kind: ColumnKind, rows n: Int) -> [Int] {
        let missingGroup = Int.max
        if case .categorical = kind { return (0..<n).map { x[$0, j].isNaN ? missingGroup : Int(x[$0, j]) } }
        let present = (0..<n).compactMap { x[$0, j].isNaN ? nil : Double(x[$0, j]) }.sorted()
        guard !present.isEmpty else { return Array(repeating: missingGroup, count: n) }
        var edges: [Double] = []
        for k in 1..<10 {
            let e = present[min(present.count - 1, present.count * k / 10)]
            if edges.last.map({ e > $0 }) ?? true { edges.append(e) }
        }
        return (0..<n).map { r in
            let v = x[r, j]
            if v.isNaN { return missingGroup }
            return edges.filter { Double(v) >= $0 }.count
        }
    }

    static func pearson(_ x: Matrix, _ a: Int, _ b: Int, rows n: Int) -> Double? {
        var xs: [Double] = [], ys: [Double] = []
        for r in 0..<n where !x[r, a].isNaN && !x[r, b].isNaN { xs.append(Double(x[r, a])); ys.append(Double(x[r, b])) }
        return pearson(xs, ys)
    }

    /// Pearson's r; nil with fewer than three pairs or a constant side.
    public static func pearson(_ xs: [Double], _ ys: [Double]) -> Double? {
        let n = Double(xs.count)
        guard xs.count >= 3 else { return nil }
        let mx = xs.reduce(0, +) / n, my = ys.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for (a, b) in zip(xs, ys) { sxy += (a - mx) * (b - my); sxx += (a - mx) * (a - mx); syy += (b - my) * (b - my) }
        guard sxx > 0, syy > 0 else { return nil }
        return sxy / (sxx * syy).squareRoot()
    }
}

/// A row's feature values (and optionally its target) as a hashable key; categories compare by
/// name so two datasets with different level lists match.
struct RowKey: Hashable {
    var cells: [String]

    init(_ d: Dataset, _ r: Int, withTarget: Bool) {
        var cells: [String] = []
        cells.reserveCapacity(d.features.cols + 1)
        for j in 0..<d.features.cols {
            let v = d.features[r, j]
            if v.isNaN { cells.append("NA"); continue }
            switch d.columnKinds[j] {
            case .numeric: cells.append(String((v == 0 ? 0 : v).bitPattern))  // -0 equals 0
            case .categorical(let levels): cells.append("=" + (levels[safe: Int(v)] ?? ""))
            }
        }
        if withTarget {
            switch d.target {
            case .classes(let l, let names)?: cells.append(names[safe: l[r]] ?? "")
            case .values(let v)?: cells.append(String(v[r].bitPattern))
            case nil: break
            }
        }
        self.cells = cells
    }
}
