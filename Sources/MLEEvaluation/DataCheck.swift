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
        // Duplicates: rows compared by their cells (NaN equals NaN here, as a missing cell).
        let codes = RowCodes(data, withTarget: true)
        var seen = try RowTable(capacityFor: n)
        var duplicates = 0
        var firstDuplicate: (Int, Int)?
        for r in 0..<n {
            if r & 4095 == 0 { try stop() }
            if let earlier = seen.insert(r, codes) {
                duplicates += 1
                if firstDuplicate == nil { firstDuplicate = (r, earlier) }
            }
        }
        // Correlations over numeric columns, on rows where both values are present.
        var pairs: [Pair] = []
        let numeric = (0..<d).filter { data.columnKinds[$0].isNumeric && !constant.contains(data.featureNames[$0]) }
        let r = try RowStatistics.correlations(x, columns: numeric, cancellation: cancellation)
        for ia in numeric.indices {
            for ib in numeric.indices where ib > ia {
                if let v = r[ia][ib], abs(v) >= correlation {
                    pairs.append(
                        Pair(a: data.featureNames[numeric[ia]], b: data.featureNames[numeric[ib]], correlation: v))
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
                let (groups, groupCount) = try groupsOf(
                    x, j, kind: data.columnKinds[j], rows: n, cancellation: cancellation)
                try stop()
                let correct = majorityCount(groups, groupCount: groupCount, labels: labels, classes: names.count)
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
            let trainCodes = RowCodes(data, withTarget: false)
            let testCodes = RowCodes(t, withTarget: false, levelsOf: data)
            var trainRows = try RowTable(capacityFor: n)
            for r in 0..<n {
                if r & 4095 == 0 { try stop() }
                _ = trainRows.insert(r, trainCodes)
            }
            var count = 0
            for r in 0..<t.rowCount {
                if r & 4095 == 0 { try stop() }
                if trainRows.find(r, of: testCodes, in: trainCodes) != nil { count += 1 }
            }
            shared = count
        }
        return DataCheck(
            rows: n, classCounts: counts, imbalanceRatio: ratio, missingCells: missing.reduce(0, +),
            constantColumns: constant, duplicateRows: duplicates, firstDuplicate: firstDuplicate,
            correlatedPairs: pairs, strongPredictors: predictors, sharedWithTest: shared)
    }

    /// Bins of a numeric column (up to 10 quantile bins) or the levels of a categorical one, as
    /// group numbers below `count`; a missing value is the last group.
    static func groupsOf(
        _ x: Matrix, _ j: Int, kind: ColumnKind, rows n: Int, cancellation: Cancellation = .never
    ) throws -> (groups: [Int32], count: Int) {
        if case .categorical(let levels) = kind {
            let missing = Int32(clamping: levels.count)
            let groups = (0..<n).map { r -> Int32 in
                let v = x[r, j]
                return v.isNaN || v < 0 || v >= Float(levels.count) ? missing : Int32(v)
            }
            return (groups, levels.count + 1)
        }
        var present: [Float] = []
        present.reserveCapacity(n)
        for r in 0..<n where !x[r, j].isNaN { present.append(x[r, j]) }
        guard !present.isEmpty else { return ([Int32](repeating: 0, count: n), 1) }
        try RowStatistics.sort(&present, cancellation: cancellation)
        var edges: [Float] = []
        for k in 1..<10 {
            let e = present[min(present.count - 1, present.count * k / 10)]
            if edges.last.map({ e > $0 }) ?? true { edges.append(e) }
        }
        let missing = Int32(edges.count + 1)
        let groups = (0..<n).map { r -> Int32 in
            let v = x[r, j]
            if v.isNaN { return missing }
            var g: Int32 = 0  // how many edges are at or below v (at most 9)
            for e in edges where v >= e { g += 1 }
            return g
        }
        return (groups, edges.count + 2)
    }

    /// Rows a feature gets right by predicting each of its groups' majority class.
    static func majorityCount(_ groups: [Int32], groupCount: Int, labels: [Int], classes: Int) -> Int {
        guard classes > 0 else { return 0 }
        let (cells, overflow) = groupCount.multipliedReportingOverflow(by: classes)
        if !overflow, cells <= 4 * groups.count + 4096 {
            var table = [Int](repeating: 0, count: cells)
            for (g, label) in zip(groups, labels) { table[Int(g) * classes + label] += 1 }
            return stride(from: 0, to: cells, by: classes).reduce(0) { sum, start in
                sum + (table[start..<(start + classes)].max() ?? 0)
            }
        }
        // Many levels (an identifier-like column): count only the pairs that occur.
        var table: [Int: Int] = [:]
        table.reserveCapacity(groups.count)
        for (g, label) in zip(groups, labels) { table[Int(g) * classes + label, default: 0] += 1 }
        var best: [Int32: Int] = [:]
        for (cell, count) in table {
            let g = Int32(cell / classes)
            best[g] = max(best[g] ?? 0, count)
        }
        return best.values.reduce(0, +)
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

/// A dataset's rows as cell codes that compare as the cells do: a number by its bit pattern
/// (−0 as 0, every missing value alike), a category by its level's name (as an index into the
/// levels of the dataset the codes are matched against), a class by its name, a target value by
/// its bits.
struct RowCodes {
    let data: Dataset
    let withTarget: Bool
    /// Per categorical column: the code of each level (nil for numeric columns).
    private let levelCodes: [[UInt64]?]
    private let classCodes: [UInt64]?
    static let missing: UInt64 = 1 << 40
    static let absent: UInt64 = 1 << 41  // a level name the other dataset does not have
    static let level: UInt64 = 1 << 42  // marks a level's index, so it never equals a number's bits

    /// - Parameter reference: the dataset whose level indices the codes use (`data` itself when nil).
    init(_ data: Dataset, withTarget: Bool, levelsOf reference: Dataset? = nil) {
        self.data = data
        self.withTarget = withTarget
        let ref = reference ?? data
        levelCodes = data.columnKinds.enumerated().map { j, kind in
            guard case .categorical(let levels) = kind else { return nil }
            guard j < ref.columnKinds.count, case .categorical(let refLevels) = ref.columnKinds[j] else {
                return levels.map { _ in Self.absent }
            }
            var index: [String: Int] = [:]
            for (i, name) in refLevels.enumerated() where index[name] == nil { index[name] = i }
            return levels.map { index[$0].map { Self.level | UInt64($0) } ?? Self.absent }
        }
        if case .classes(_, let names)? = data.target, case .classes(_, let refNames)? = ref.target {
            var index: [String: Int] = [:]
            for (i, name) in refNames.enumerated() where index[name] == nil { index[name] = i }
            classCodes = names.map { index[$0].map(UInt64.init) ?? Self.absent }
        } else {
            classCodes = nil
        }
    }

    var width: Int { data.features.cols + (withTarget && data.target != nil ? 1 : 0) }

    func cell(_ r: Int, _ j: Int) -> UInt64 {
        let x = data.features
        guard j < x.cols else {
            switch data.target {
            case .classes(let labels, _)?: return classCodes?[safe: labels[r]] ?? Self.absent
            case .values(let v)?: return UInt64(v[r].bitPattern)
            case nil: return Self.absent
            }
        }
        let v = x[r, j]
        if v.isNaN { return Self.missing }
        if let levels = levelCodes[j] { return levels[safe: Int(v)] ?? Self.absent }
        return UInt64((v == 0 ? 0 : v).bitPattern)
    }

    func hash(_ r: Int) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for j in 0..<width {
            h = (h ^ cell(r, j)) &* 0x100_0000_01b3
            h ^= h >> 29
        }
        return h
    }

    func equal(_ r: Int, _ other: RowCodes, _ s: Int) -> Bool {
        guard width == other.width else { return false }
        for j in 0..<width where cell(r, j) != other.cell(s, j) { return false }
        return true
    }
}

/// A fixed-size open-addressing set of rows of one dataset, found by their cells (written by
/// hand: a `Set` of per-row arrays took seconds to grow on 2 M rows, between two Ctrl-C checks,
/// and several times the memory).
struct RowTable {
    private var slots: [Int]
    private var hashes: [UInt64]
    private let mask: Int

    init(capacityFor n: Int) throws {
        var size = 16
        while size < 2 * n { size <<= 1 }
        try Memory.reserve(Memory.product(size, 16), for: "compare \(n) rows with each other")
        slots = [Int](repeating: -1, count: size)
        hashes = [UInt64](repeating: 0, count: size)
        mask = size - 1
    }

    /// Adds row `r`; returns an earlier row with the same cells instead when there is one.
    mutating func insert(_ r: Int, _ codes: RowCodes) -> Int? {
        let h = codes.hash(r)
        var i = Int(truncatingIfNeeded: h) & mask
        while slots[i] >= 0 {
            if hashes[i] == h, codes.equal(slots[i], codes, r) { return slots[i] }
            i = (i + 1) & mask
        }
        slots[i] = r
        hashes[i] = h
        return nil
    }

    /// A row of the table with the same cells as row `r` of `other`.
    func find(_ r: Int, of other: RowCodes, in codes: RowCodes) -> Int? {
        let h = other.hash(r)
        var i = Int(truncatingIfNeeded: h) & mask
        while slots[i] >= 0 {
            if hashes[i] == h, codes.equal(slots[i], other, r) { return slots[i] }
            i = (i + 1) & mask
        }
        return nil
    }
}
