import Foundation

/// DeLong, DeLong & Clarke-Pearson (1988) variance of the ROC AUC, computed with midranks as in
/// Sun & Xu (2014), O(N log N).
public enum DeLong {
    /// The AUC's structural components for one model.
    public struct Components: Sendable {
        public var auc: Double
        /// Placement of each positive among the negatives (V10), and of each negative (V01).
        public var positives: [Double]
        public var negatives: [Double]
    }

    /// Midranks (1-based, ties averaged) of `values`.
    static func midranks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count, values[order[j + 1]] == values[order[i]] { j += 1 }
            let r = Double(i + j) / 2 + 1
            for k in i...j { ranks[order[k]] = r }
            i = j + 1
        }
        return ranks
    }

    /// Components for scores of positives and negatives; nil when either group is empty.
    public static func components(truth: [Bool], scores: [Double]) -> Components? {
        let pos = scores.indices.filter { truth[$0] }.map { scores[$0] }
        let neg = scores.indices.filter { !truth[$0] }.map { scores[$0] }
        let m = Double(pos.count), n = Double(neg.count)
        guard m > 0, n > 0 else { return nil }
        let all = midranks(pos + neg)
        let rp = midranks(pos), rn = midranks(neg)
        let v10 = pos.indices.map { (all[$0] - rp[$0]) / n }
        let v01 = neg.indices.map { 1 - (all[pos.count + $0] - rn[$0]) / m }
        let auc = v10.reduce(0, +) / m
        return Components(auc: auc, positives: v10, negatives: v01)
    }

    private static func covariance(_ a: [Double], _ b: [Double], _ ma: Double, _ mb: Double) -> Double {
        guard a.count > 1 else { return 0 }
        var s = 0.0
        for i in a.indices { s += (a[i] - ma) * (b[i] - mb) }
        return s / Double(a.count - 1)
    }

    /// DeLong's variance of one AUC.
    public static func variance(_ c: Components) -> Double {
        covariance(c.positives, c.positives, c.auc, c.auc) / Double(c.positives.count)
            + covariance(c.negatives, c.negatives, c.auc, c.auc) / Double(c.negatives.count)
    }

    /// The AUC with a normal interval from DeLong's variance, clipped to [0, 1] (as pROC).
    public static func interval(truth: [Bool], scores: [Double], level: Double) -> (Interval, Double)? {
        guard let c = components(truth: truth, scores: scores) else { return nil }
        let se = variance(c).squareRoot()
        let z = Distributions.normalQuantile(1 - (1 - level) / 2)
        return (Interval(estimate: c.auc, low: max(0, c.auc - z * se), high: min(1, c.auc + z * se)), se)
    }

    /// Test of two correlated AUCs on the same items: difference b − a, its standard error,
    /// z and the two-sided p-value.
    public static func compare(truth: [Bool], scoresA: [Double], scoresB: [Double])
        -> (difference: Double, standardError: Double, z: Double, p: Double)?
    {
        guard let a = components(truth: truth, scores: scoresA),
            let b = components(truth: truth, scores: scoresB)
        else { return nil }
        let m = Double(a.positives.count), n = Double(a.negatives.count)
        let s10 =
            covariance(a.positives, a.positives, a.auc, a.auc) + covariance(b.positives, b.positives, b.auc, b.auc)
            - 2 * covariance(a.positives, b.positives, a.auc, b.auc)
        let s01 =
            covariance(a.negatives, a.negatives, a.auc, a.auc) + covariance(b.negatives, b.negatives, b.auc, b.auc)
            - 2 * covariance(a.negatives, b.negatives, a.auc, b.auc)
        let varDiff = s10 / m + s01 / n
        let d = b.auc - a.auc
        let se = max(varDiff, 0).squareRoot()
        guard se > 0 else { return (d, 0, d == 0 ? 0 : .infinity, d == 0 ? 1 : 0) }
        let z = d / se
        return (d, se, z, 2 * Distributions.normalCDF(-abs(z)))
    }
}
