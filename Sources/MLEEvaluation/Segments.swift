import Foundation
import MLELearning

/// Error analysis by segment (Burkov ch. 6): rows grouped by the values of one or more columns —
/// numeric columns cut at their quantiles, categorical ones by level — and each group's errors
/// set against the rest's.
public enum Segments {
    /// What one column's group holds.
    public enum Group: Sendable, Equatable {
        /// Values in (low, high], or [low, high] for the first bin.
        case range(low: Double, high: Double, includesLow: Bool)
        case level(String)
        case missing
    }

    /// The groups of one column and each row's group: numeric columns in `bins` bins at the
    /// quantiles of their present values (pandas' `qcut`, equal edges merged), categorical columns
    /// by level; a missing value is its own group.
    public static func groups(_ data: Dataset, column: Int, bins: Int) -> (groups: [Group], ofRow: [Int]) {
        let d = data.features.cols
        let values = (0..<data.rowCount).map { data.features.storage[$0 * d + column] }
        return groups(values: values, kind: data.columnKinds[column], bins: bins)
    }

    /// The groups of a column's values (a numeric target's, say), as `groups(_:column:bins:)`.
    public static func groups(values: [Float], kind: ColumnKind, bins: Int) -> (groups: [Group], ofRow: [Int]) {
        var groups: [Group] = []
        var ofRow = [Int](repeating: 0, count: values.count)
        switch kind {
        case .categorical(let levels):
            var index: [Int: Int] = [:]
            for (r, v) in values.enumerated() {
                let key = v.isNaN ? -1 : Int(v)
                if let g = index[key] {
                    ofRow[r] = g
                } else {
                    index[key] = groups.count
                    ofRow[r] = groups.count
                    groups.append(key < 0 || key >= levels.count ? .missing : .level(levels[key]))
                }
            }
            // Levels in their order, missing last.
            let order = groups.indices.sorted { a, b in
                switch (groups[a], groups[b]) {
                case (.level(let x), .level(let y)):
                    return levels.firstIndex(of: x) ?? 0 < levels.firstIndex(of: y) ?? 0
                case (.missing, _): return false
                default: return true
                }
            }
            var renumber = [Int](repeating: 0, count: groups.count)
            for (new, old) in order.enumerated() { renumber[old] = new }
            groups = order.map { groups[$0] }
            ofRow = ofRow.map { renumber[$0] }
        case .numeric:
            let present = values.filter { !$0.isNaN }.map(Double.init).sorted()
            var edges: [Double] = []
            if !present.isEmpty {
                for i in 0...bins {
                    let e = Bootstrap.quantile(present, i == bins ? 1 : Double(i) / Double(bins))
                    if edges.last != e { edges.append(e) }
                }
                if edges.count == 1 { edges.append(edges[0]) }
                for b in 0..<(edges.count - 1) {
                    groups.append(.range(low: edges[b], high: edges[b + 1], includesLow: b == 0))
                }
            }
            let interior = Array(edges.dropFirst().dropLast())
            let missingGroup = groups.count
            var anyMissing = false
            for (r, v) in values.enumerated() {
                if v.isNaN {
                    ofRow[r] = missingGroup; anyMissing = true
                } else {
                    ofRow[r] = Calibration.count(below: Double(v), in: interior)
                }
            }
            if anyMissing { groups.append(.missing) }
        }
        return (groups, ofRow)
    }

    /// One segment's errors against the rest's.
    public struct Result: Sendable {
        /// The group of each column, in the order of the columns.
        public var key: [Int]
        public var rows: [Int]
        public var errors: Int
        public var accuracy: Double { rows.isEmpty ? .nan : 1 - Double(errors) / Double(rows.count) }
        /// Fisher's exact test, one-sided: the chance of this many errors or more in a segment of
        /// this size drawn from all rows (hypergeometric); and that p after Holm's correction for
        /// the number of segments.
        public var p: Double
        public var adjustedP: Double
    }

    /// The segments of rows by the groups of several columns: the crossings that hold rows, in
    /// the order their first row comes, each with its rows.
    public static func segments(ofRow: [[Int]], count n: Int) -> [(key: [Int], rows: [Int])] {
        var index: [[Int]: Int] = [:]
        var out: [(key: [Int], rows: [Int])] = []
        for r in 0..<n {
            let key = ofRow.map { $0[r] }
            if let i = index[key] {
                out[i].rows.append(r)
            } else {
                index[key] = out.count
                out.append((key, [r]))
            }
        }
        return out
    }

    /// Segments of rows by the groups of several columns (their crossings that hold rows), with
    /// each segment's errors tested against the rest; sorted by accuracy, worst first (then by
    /// size, larger first).
    public static func analyse(ofRow: [[Int]], wrong: [Bool]) -> [Result] {
        let n = wrong.count
        let totalErrors = wrong.filter { $0 }.count
        var results = segments(ofRow: ofRow, count: n).map { s -> Result in
            let errors = s.rows.filter { wrong[$0] }.count
            return Result(
                key: s.key, rows: s.rows, errors: errors,
                p: fisherGreater(errors: errors, size: s.rows.count, totalErrors: totalErrors, total: n), adjustedP: 1)
        }
        for (i, a) in MultipleTesting.holm(results.map(\.p)).enumerated() { results[i].adjustedP = a }
        return results.sorted {
            $0.accuracy != $1.accuracy ? $0.accuracy < $1.accuracy : $0.rows.count > $1.rows.count
        }
    }

    /// One segment's errors against the rest's, for a model of numbers.
    public struct RegressionResult: Sendable {
        public var key: [Int]
        public var rows: [Int]
        /// Mean absolute error, with the t interval of the mean of the absolute errors (its low end
        /// kept at 0 or above; NaN for a segment of one row).
        public var mae: Double
        public var maeInterval: (low: Double, high: Double)
        public var rmse: Double
        /// The rest's mean absolute error (NaN when the segment holds every row).
        public var restMAE: Double
        /// Mann–Whitney's one-sided test that the segment's absolute errors tend to be larger than
        /// the rest's (normal approximation with the tie and continuity corrections, as scipy's
        /// `mannwhitneyu(method="asymptotic")`); and that p after Holm's correction.
        public var p: Double
        public var adjustedP: Double
    }

    /// Segments of a model of numbers, each segment's absolute errors tested against the rest's;
    /// sorted by mean absolute error, worst first (then by size, larger first).
    public static func analyseRegression(ofRow: [[Int]], truth: [Double], predicted: [Double], level: Double)
        -> [RegressionResult]
    {
        let n = truth.count
        let errors = zip(truth, predicted).map { abs($0 - $1) }
        let ranks = midranks(errors)
        let tieTerm = tieSum(errors)
        let total = errors.reduce(0, +)
        var results = segments(ofRow: ofRow, count: n).map { s -> RegressionResult in
            let k = Double(s.rows.count)
            let sum = s.rows.reduce(0.0) { $0 + errors[$1] }
            let mae = sum / k
            let squares = s.rows.reduce(0.0) { $0 + errors[$1] * errors[$1] }
            var interval = (low: Double.nan, high: Double.nan)
            if s.rows.count > 1 {
                let variance = s.rows.reduce(0.0) { $0 + (errors[$1] - mae) * (errors[$1] - mae) } / (k - 1)
                let half = Distributions.studentTQuantile(1 - (1 - level) / 2, df: k - 1) * (variance / k).squareRoot()
                interval = (max(0, mae - half), mae + half)
            }
            let rest = n - s.rows.count
            return RegressionResult(
                key: s.key, rows: s.rows, mae: mae, maeInterval: interval, rmse: (squares / k).squareRoot(),
                restMAE: rest > 0 ? (total - sum) / Double(rest) : .nan,
                p: mannWhitneyGreater(
                    rankSum: s.rows.reduce(0.0) { $0 + ranks[$1] }, size: s.rows.count, total: n, tieTerm: tieTerm),
                adjustedP: 1)
        }
        for (i, a) in MultipleTesting.holm(results.map(\.p)).enumerated() { results[i].adjustedP = a }
        return results.sorted { $0.mae != $1.mae ? $0.mae > $1.mae : $0.rows.count > $1.rows.count }
    }

    /// Ranks 1 … n of the values, ties given the mean of their ranks.
    static func midranks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && values[order[j + 1]] == values[order[i]] { j += 1 }
            let rank = Double(i + j) / 2 + 1
            for k in i...j { ranks[order[k]] = rank }
            i = j + 1
        }
        return ranks
    }

    /// Σ (t³ − t) over the groups of tied values.
    static func tieSum(_ values: [Double]) -> Double {
        var counts: [Double: Double] = [:]
        for v in values { counts[v, default: 0] += 1 }
        return counts.values.reduce(0) { $0 + $1 * $1 * $1 - $1 }
    }

    /// P(U ≥ u) for Mann–Whitney's U of a sample of `size` of `total` values whose ranks sum to
    /// `rankSum`, against the other values: the normal approximation with the tie correction and
    /// a continuity correction of 0.5 (scipy's asymptotic method). 1 when either sample is empty
    /// or every value is tied.
    static func mannWhitneyGreater(rankSum: Double, size: Int, total: Int, tieTerm: Double) -> Double {
        let n1 = Double(size), n2 = Double(total - size), n = Double(total)
        guard size > 0, total > size else { return 1 }
        let u = rankSum - n1 * (n1 + 1) / 2
        let variance = n1 * n2 / 12 * ((n + 1) - tieTerm / (n * (n - 1)))
        guard variance > 0 else { return 1 }
        let z = (u - n1 * n2 / 2 - 0.5) / variance.squareRoot()
        return 0.5 * erfc(z / 2.0.squareRoot())
    }

    /// P(X ≥ errors) for X hypergeometric: `size` rows drawn without replacement from `total`
    /// rows of which `totalErrors` are errors.
    static func fisherGreater(errors: Int, size: Int, totalErrors: Int, total: Int) -> Double {
        func logChoose(_ n: Int, _ k: Int) -> Double {
            lgamma(Double(n) + 1) - lgamma(Double(k) + 1) - lgamma(Double(n - k) + 1)
        }
        let low = max(0, size - (total - totalErrors)), high = min(size, totalErrors)
        guard errors > low else { return 1 }
        let denominator = logChoose(total, size)
        var p = 0.0
        var x = max(errors, low)
        while x <= high {
            p += exp(logChoose(totalErrors, x) + logChoose(total - totalErrors, size - x) - denominator)
            x += 1
        }
        return min(1, p)
    }
}
