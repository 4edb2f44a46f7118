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
        let n = data.rowCount, d = data.features.cols
        let values = (0..<n).map { data.features.storage[$0 * d + column] }
        var groups: [Group] = []
        var ofRow = [Int](repeating: 0, count: n)
        switch data.columnKinds[column] {
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

    /// Segments of rows by the groups of several columns (their crossings that hold rows), with
    /// each segment's errors tested against the rest; sorted by accuracy, worst first (then by
    /// size, larger first).
    public static func analyse(ofRow: [[Int]], wrong: [Bool]) -> [Result] {
        let n = wrong.count
        var index: [[Int]: Int] = [:]
        var results: [Result] = []
        for r in 0..<n {
            let key = ofRow.map { $0[r] }
            let s: Int
            if let i = index[key] {
                s = i
            } else {
                s = results.count
                index[key] = s
                results.append(Result(key: key, rows: [], errors: 0, p: 1, adjustedP: 1))
            }
            results[s].rows.append(r)
            if wrong[r] { results[s].errors += 1 }
        }
        let totalErrors = wrong.filter { $0 }.count
        for i in results.indices {
            results[i].p = fisherGreater(
                errors: results[i].errors, size: results[i].rows.count, totalErrors: totalErrors, total: n)
        }
        // Holm: the k-th smallest p times (m − k + 1), kept non-decreasing, at most 1.
        let m = results.count
        let order = results.indices.sorted { results[$0].p < results[$1].p }
        var running = 0.0
        for (k, i) in order.enumerated() {
            running = max(running, min(1, results[i].p * Double(m - k)))
            results[i].adjustedP = running
        }
        return results.sorted {
            $0.accuracy != $1.accuracy ? $0.accuracy < $1.accuracy : $0.rows.count > $1.rows.count
        }
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
