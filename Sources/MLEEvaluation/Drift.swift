import Foundation
import MLELearning
import MLETensor

/// Data drift (Burkov ch. 9): does the current data still look like the reference data, column by
/// column? Each column gets an effect size — how far apart the two distributions are, which does
/// not grow with the sample — and a test — whether the difference is beyond noise, which does.
/// A column has drifted when both say so: the test at the chosen level after Holm's correction
/// over the columns, and the effect at least a stated size. With large samples tests flag
/// differences too small to matter; the effect size keeps them apart ("slight").
public enum Drift {
    /// How one column differs between the reference and the current rows.
    public struct Column: Sendable {
        public enum Kind: String, Sendable { case numeric, categorical }

        public var name: String
        public var kind: Kind
        /// The target column (label shift), not a feature.
        public var isTarget = false
        /// Rows with a value, in each set.
        public var referenceCount: Int
        public var currentCount: Int
        /// Shares of rows without a value.
        public var referenceMissing: Double
        public var currentMissing: Double
        /// The effect: numeric, the Wasserstein (earth mover's) distance between the two
        /// distributions in standard deviations of the reference; categorical, the total variation
        /// distance between the shares of the levels (missing a level of its own).
        public var effect: Double
        /// The raw Wasserstein distance (numeric columns; NaN otherwise).
        public var wasserstein: Double
        /// Population stability index over the reference's quantile bins (numeric) or the levels.
        public var psi: Double
        /// Bins or levels the PSI summed over.
        public var psiBins: Int
        /// The test: two-sample Kolmogorov–Smirnov (numeric) or χ² of homogeneity (categorical).
        public var test: String
        public var statistic: Double
        /// Whether the KS p-value is exact (else the asymptotic Kolmogorov distribution).
        public var exact: Bool
        public var p: Double
        public var adjustedP: Double
        /// χ²'s degrees of freedom (categorical columns).
        public var degreesOfFreedom: Int
    }

    /// A column's values in one set: numbers (NaN missing), or level names (nil missing).
    enum Values {
        case numbers([Double])
        case levels([String?])
    }

    static func values(_ data: Dataset, column j: Int) -> Values {
        let d = data.features.cols
        let raw = (0..<data.rowCount).map { data.features.storage[$0 * d + j] }
        switch data.columnKinds[j] {
        case .numeric: return .numbers(raw.map(Double.init))
        case .categorical(let levels):
            return .levels(raw.map { v in v.isNaN || Int(v) < 0 || Int(v) >= levels.count ? nil : levels[Int(v)] })
        }
    }

    /// Every feature column the two sets share (by name), compared; `skip` names columns left
    /// out (a batch column).
    /// - Throws: `LearningError.invalid` when a column is numeric in one set and categorical in
    ///   the other or a set has no rows; `Cancelled` between columns.
    public static func compare(
        _ reference: Dataset, _ current: Dataset, skip: Set<String> = [], bins: Int = 10,
        cancellation: Cancellation = .never
    ) throws -> [Column] {
        guard reference.rowCount > 0, current.rowCount > 0 else {
            throw LearningError.invalid("drift compares two sets with rows")
        }
        var out: [Column] = []
        for (j, name) in reference.featureNames.enumerated() where !skip.contains(name) {
            if cancellation.isCancelled { throw Cancelled() }
            guard let k = current.featureNames.firstIndex(of: name) else { continue }
            switch (values(reference, column: j), values(current, column: k)) {
            case (.numbers(let a), .numbers(let b)):
                out.append(numeric(name, a, b, bins: bins))
            case (.levels(let a), .levels(let b)):
                out.append(categorical(name, a, b))
            default:
                throw LearningError.invalid("column '\(name)' is numeric in one set and categorical in the other")
            }
        }
        if let name = reference.targetName, name == current.targetName, !skip.contains(name) {
            switch (reference.target, current.target) {
            case (.classes(let a, let an)?, .classes(let b, let bn)?):
                var column = categorical(name, a.map { an[$0] }, b.map { bn[$0] })
                column.isTarget = true
                out.append(column)
            case (.values(let a)?, .values(let b)?):
                var column = numeric(name, a.map(Double.init), b.map(Double.init), bins: bins)
                column.isTarget = true
                out.append(column)
            case (nil, _), (_, nil): break
            default:
                throw LearningError.invalid("the target '\(name)' holds classes in one set and numbers in the other")
            }
        }
        for (i, a) in MultipleTesting.holm(out.map(\.p)).enumerated() { out[i].adjustedP = a }
        return out
    }

    /// The features the two sets share, in the reference's order, without `skip`.
    public static func sharedFeatures(_ reference: Dataset, _ current: Dataset, skip: Set<String> = []) -> [String] {
        reference.featureNames.filter { current.featureNames.contains($0) && !skip.contains($0) }
    }

    /// The dataset with only the named feature columns (in that order), its target kept.
    public static func keeping(_ data: Dataset, _ names: [String]) throws -> Dataset {
        let index = names.compactMap { data.featureNames.firstIndex(of: $0) }
        let d = data.features.cols, n = data.rowCount
        var storage = [Float](repeating: 0, count: n * index.count)
        for r in 0..<n {
            for (k, j) in index.enumerated() { storage[r * index.count + k] = data.features.storage[r * d + j] }
        }
        var out = Dataset(
            name: data.name, featureNames: index.map { data.featureNames[$0] },
            features: try Matrix(rows: n, cols: index.count, storage: storage), targetName: data.targetName,
            target: data.target, columnKinds: index.map { data.columnKinds[$0] })
        out.isHeldOut = data.isHeldOut
        return out
    }

    /// The batches of a column (a time or batch column): one per value when a numeric column has
    /// at most 20 distinct values, else `bins` quantile bins; one per level of a categorical
    /// column; missing values a batch of their own.
    public static func batches(_ data: Dataset, column j: Int, bins: Int) -> (groups: [Segments.Group], ofRow: [Int]) {
        let d = data.features.cols
        let values = (0..<data.rowCount).map { data.features.storage[$0 * d + j] }
        guard case .numeric = data.columnKinds[j] else { return Segments.groups(data, column: j, bins: bins) }
        let distinct = Set(values.filter { !$0.isNaN })
        guard distinct.count <= 20 else { return Segments.groups(data, column: j, bins: bins) }
        let sorted = distinct.sorted()
        var groups: [Segments.Group] = sorted.map { .range(low: Double($0), high: Double($0), includesLow: true) }
        var index: [Float: Int] = [:]
        for (i, v) in sorted.enumerated() { index[v] = i }
        let ofRow = values.map { v in v.isNaN ? sorted.count : (index[v] ?? 0) }
        if values.contains(where: \.isNaN) { groups.append(.missing) }
        return (groups, ofRow)
    }

    /// A numeric column: Wasserstein distance in reference standard deviations, PSI over the
    /// reference's quantile bins, Kolmogorov–Smirnov.
    static func numeric(_ name: String, _ a: [Double], _ b: [Double], bins: Int) -> Column {
        let x = a.filter { !$0.isNaN }.sorted(), y = b.filter { !$0.isNaN }.sorted()
        let w = wasserstein(sorted: x, y)
        let sd = standardDeviation(x)
        let (ks, exact, p) = ksTest(sorted: x, y)
        let (psi, used) = psiNumeric(sorted: x, y, bins: bins)
        return Column(
            name: name, kind: .numeric, referenceCount: x.count, currentCount: y.count,
            referenceMissing: share(a.count - x.count, a.count), currentMissing: share(b.count - y.count, b.count),
            effect: sd > 0 ? w / sd : (w == 0 ? 0 : .infinity), wasserstein: w, psi: psi, psiBins: used, test: "KS",
            statistic: ks, exact: exact, p: p, adjustedP: p, degreesOfFreedom: 0)
    }

    /// A categorical column: total variation distance, PSI over the levels, χ² of homogeneity
    /// on the 2 × levels table (a missing value a level of its own; Yates' correction for one
    /// degree of freedom, as scipy's `chi2_contingency`).
    static func categorical(_ name: String, _ a: [String?], _ b: [String?]) -> Column {
        var order: [String?] = [], index: [String?: Int] = [:]
        var ca: [Double] = [], cb: [Double] = []
        for (values, isA) in [(a, true), (b, false)] {
            for v in values {
                let i: Int
                if let k = index[v] {
                    i = k
                } else {
                    i = order.count; index[v] = i; order.append(v); ca.append(0); cb.append(0)
                }
                if isA { ca[i] += 1 } else { cb[i] += 1 }
            }
        }
        let na = Double(a.count), nb = Double(b.count)
        let tv = 0.5 * zip(ca, cb).reduce(0) { $0 + abs($1.0 / na - $1.1 / nb) }
        let psi = psiOf(ca.map { $0 / na }, cb.map { $0 / nb })
        let (chi2, dof, p) = chiSquareHomogeneity(ca, cb)
        let missing = index[nil]
        return Column(
            name: name, kind: .categorical, referenceCount: a.count - Int(missing.map { ca[$0] } ?? 0),
            currentCount: b.count - Int(missing.map { cb[$0] } ?? 0),
            referenceMissing: (missing.map { ca[$0] } ?? 0) / na, currentMissing: (missing.map { cb[$0] } ?? 0) / nb,
            effect: tv, wasserstein: .nan, psi: psi, psiBins: order.count, test: "χ²", statistic: chi2, exact: false,
            p: p, adjustedP: p, degreesOfFreedom: dof)
    }

    static func share(_ k: Int, _ n: Int) -> Double { n > 0 ? Double(k) / Double(n) : 0 }

    /// Sample standard deviation (n − 1).
    static func standardDeviation(_ x: [Double]) -> Double {
        guard x.count > 1 else { return 0 }
        let mean = x.reduce(0, +) / Double(x.count)
        return (x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(x.count - 1)).squareRoot()
    }

    /// The Wasserstein-1 distance between two empirical distributions: ∫ |F_a − F_b|, over the
    /// merged sorted values (scipy's `wasserstein_distance`). 0 when either is empty.
    public static func wasserstein(sorted a: [Double], _ b: [Double]) -> Double {
        guard !a.isEmpty, !b.isEmpty else { return 0 }
        var i = 0, j = 0, total = 0.0
        var x = min(a[0], b[0])
        while i < a.count || j < b.count {
            while i < a.count && a[i] <= x { i += 1 }
            while j < b.count && b[j] <= x { j += 1 }
            guard i < a.count || j < b.count else { break }
            let next = min(i < a.count ? a[i] : .infinity, j < b.count ? b[j] : .infinity)
            total += abs(Double(i) / Double(a.count) - Double(j) / Double(b.count)) * (next - x)
            x = next
        }
        return total
    }

    /// Population stability index Σ (c − r) ln(c / r) of two share vectors; an empty bin counts
    /// as a share of 0.0001 (the usual convention, so that one empty bin does not make it
    /// infinite).
    public static func psiOf(_ r: [Double], _ c: [Double]) -> Double {
        zip(r, c).reduce(0) { total, rc in
            let (x, y) = (max(rc.0, 1e-4), max(rc.1, 1e-4))
            return total + (y - x) * log(y / x)
        }
    }

    /// PSI over `bins` bins at the reference's quantiles (equal edges merged; a value on an edge
    /// in the lower bin, values beyond the ends in the end bins).
    static func psiNumeric(sorted a: [Double], _ b: [Double], bins: Int) -> (Double, Int) {
        guard !a.isEmpty, !b.isEmpty else { return (.nan, 0) }
        var edges: [Double] = []
        for i in 1..<max(bins, 1) {
            let e = Bootstrap.quantile(a, Double(i) / Double(bins))
            if edges.last != e { edges.append(e) }
        }
        let count = edges.count + 1
        var ra = [Double](repeating: 0, count: count), rb = ra
        for v in a { ra[Calibration.count(below: v, in: edges)] += 1 / Double(a.count) }
        for v in b { rb[Calibration.count(below: v, in: edges)] += 1 / Double(b.count) }
        return (psiOf(ra, rb), count)
    }

    /// The two-sample Kolmogorov–Smirnov test, two-sided: D = sup |F_a − F_b|, and P(D ≥ d)
    /// exactly by counting the lattice paths that stay inside the band (when n·m ≤ 10⁷), else from
    /// the Kolmogorov distribution with Stephens' small-sample correction.
    public static func ksTest(sorted a: [Double], _ b: [Double]) -> (d: Double, exact: Bool, p: Double) {
        let n = a.count, m = b.count
        guard n > 0, m > 0 else { return (0, true, 1) }
        // D as the integer max |i·m − j·n| over the merged steps, so the band below is exact.
        var i = 0, j = 0, best = 0
        while i < n && j < m {
            let v = min(a[i], b[j])
            while i < n && a[i] <= v { i += 1 }
            while j < m && b[j] <= v { j += 1 }
            best = max(best, abs(i * m - j * n))
        }
        let d = Double(best) / Double(n * m)
        if Double(n) * Double(m) <= 1e7 { return (d, true, ksExactGreaterOrEqual(n, m, best)) }
        return (d, false, kolmogorovSurvival(d, n, m))
    }

    /// P(max |i·m − j·n| ≥ h) over uniformly random interleavings of n and m values, summed over
    /// the points where a path first leaves the band, so that small p-values keep their relative
    /// precision (one minus the probability of staying inside lost them below about 1e-13).
    /// p(i, j) = (i·p(i−1, j) + j·p(i, j−1)) / (i + j) is the share of the paths to (i, j) that
    /// stayed inside (in [0, 1], no overflow); at a point outside, that share of first arrivals
    /// times the chance that a random path passes the point, C(i+j, i)·C(n+m−i−j, n−i)/C(n+m, n),
    /// is the chance of first leaving there.
    static func ksExactGreaterOrEqual(_ n: Int, _ m: Int, _ h: Int) -> Double {
        guard h > 0 else { return 1 }
        func logChoose(_ a: Int, _ b: Int) -> Double {
            lgamma(Double(a) + 1) - lgamma(Double(b) + 1) - lgamma(Double(a - b) + 1)
        }
        let logAll = logChoose(n + m, n)
        var total = 0.0
        func leave(_ i: Int, _ j: Int, _ share: Double) {
            guard share > 0 else { return }
            total += share * exp(logChoose(i + j, i) + logChoose(n + m - i - j, n - i) - logAll)
        }
        var p = [Double](repeating: 0, count: m + 1)
        p[0] = 1
        for j in 1...m {
            if j * n < h { p[j] = p[j - 1] } else { leave(0, j, p[j - 1]); p[j] = 0 }
        }
        for i in 1...n {
            if i * m >= h {
                leave(i, 0, p[0])
                p[0] = 0
            }
            for j in 1...m {
                let share = (Double(i) * p[j] + Double(j) * p[j - 1]) / Double(i + j)
                if abs(i * m - j * n) >= h {
                    leave(i, j, share)
                    p[j] = 0
                } else {
                    p[j] = share
                }
            }
        }
        return min(1, total)
    }

    /// Q_KS(λ) = 2 Σ (−1)^(k−1) exp(−2k²λ²) at λ = (√e + 0.12 + 0.11/√e)·D, e = n·m/(n+m)
    /// (Stephens 1970; Numerical Recipes §14.3).
    static func kolmogorovSurvival(_ d: Double, _ n: Int, _ m: Int) -> Double {
        let e = (Double(n) * Double(m) / Double(n + m)).squareRoot()
        let lambda = (e + 0.12 + 0.11 / e) * d
        guard lambda > 0.2 else { return 1 }
        var sum = 0.0, sign = 1.0
        for k in 1...200 {
            let term = sign * exp(-2 * Double(k * k) * lambda * lambda)
            sum += term
            if abs(term) < 1e-16 * abs(sum) { break }
            sign = -sign
        }
        return min(1, max(0, 2 * sum))
    }

    /// χ² of homogeneity of two count vectors (levels with no rows in either dropped): the
    /// statistic, degrees of freedom and p; Yates' correction when there is one degree of freedom.
    public static func chiSquareHomogeneity(_ a: [Double], _ b: [Double]) -> (Double, Int, Double) {
        let kept = a.indices.filter { a[$0] + b[$0] > 0 }
        let na = kept.reduce(0) { $0 + a[$1] }, nb = kept.reduce(0) { $0 + b[$1] }
        let dof = kept.count - 1
        guard dof > 0, na > 0, nb > 0 else { return (0, max(dof, 0), 1) }
        let total = na + nb
        var chi2 = 0.0
        for i in kept {
            let column = a[i] + b[i]
            for (observed, rowTotal) in [(a[i], na), (b[i], nb)] {
                let expected = rowTotal * column / total
                var gap = abs(observed - expected)
                if dof == 1 { gap = max(0, gap - 0.5) }
                chi2 += gap * gap / expected
            }
        }
        return (chi2, dof, Distributions.chiSquareSurvival(chi2, df: Double(dof)))
    }

    /// The classifier-free thresholds noise reaches at these sizes, at level α: the KS distance
    /// c(α)·√((n + m)/(n·m)) with c(α) = √(−ln(α/2)/2), and the PSI over B bins,
    /// χ²_{B−1}(1 − α)·(1/n + 1/m) (PSI is about χ² / the harmonic size under no drift).
    public static func noiseKS(alpha: Double, _ n: Int, _ m: Int) -> Double {
        (-log(alpha / 2) / 2).squareRoot() * (Double(n + m) / (Double(n) * Double(m))).squareRoot()
    }

    public static func noisePSI(alpha: Double, bins: Int, _ n: Int, _ m: Int) -> Double {
        guard bins > 1 else { return 0 }
        return Distributions.chiSquareQuantile(1 - alpha, df: Double(bins - 1)) * (1 / Double(n) + 1 / Double(m))
    }
}

/// Corrections for testing several hypotheses at once.
public enum MultipleTesting {
    /// Holm's step-down correction: the k-th smallest p times (m − k + 1), kept non-decreasing,
    /// at most 1.
    public static func holm(_ p: [Double]) -> [Double] {
        let m = p.count
        var adjusted = [Double](repeating: 1, count: m), running = 0.0
        for (k, i) in p.indices.sorted(by: { p[$0] < p[$1] }).enumerated() {
            running = max(running, min(1, p[i] * Double(m - k)))
            adjusted[i] = running
        }
        return adjusted
    }
}
