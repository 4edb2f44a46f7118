import Foundation
import MLETensor

/// Group fairness of a classifier's decisions (Burkov ch. 7): per group of a sensitive column,
/// how often the model selects a class and how often it is right, and the gaps between groups —
/// demographic parity, equalized odds, equal opportunity — as fairlearn defines them, each with a
/// bootstrap interval (rows resampled within their groups) and a χ² test of whether the gap is
/// larger than noise.
public struct Fairness: Sendable {
    public let groupCount: Int
    public let classCount: Int
    /// confusion[g][actual][predicted], counts of each group's rows.
    public let confusion: [[[Int]]]

    /// - Throws: `LearningError`-free: rows whose group or class is out of range are a
    ///   programming error and are skipped.
    public init(truth: [Int], predicted: [Int], groupOfRow: [Int], groups: Int, classes: Int) {
        var c = [[[Int]]](
            repeating: [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes), count: groups)
        for r in truth.indices {
            let g = groupOfRow[r], t = truth[r], p = predicted[r]
            guard (0..<groups).contains(g), (0..<classes).contains(t), (0..<classes).contains(p) else { continue }
            c[g][t][p] += 1
        }
        groupCount = groups; classCount = classes; confusion = c
    }

    /// One group's rates for one class against the rest (NaN where a denominator is 0).
    public struct Rates: Sendable, Equatable {
        public var rows: Double
        public var truePositives: Double, falsePositives: Double, falseNegatives: Double, trueNegatives: Double
        public var correct: Double
        /// Share of the group's rows predicted as the class.
        public var selection: Double { ratio(truePositives + falsePositives, rows) }
        public var tpr: Double { ratio(truePositives, truePositives + falseNegatives) }
        public var fpr: Double { ratio(falsePositives, falsePositives + trueNegatives) }
        public var precision: Double { ratio(truePositives, truePositives + falsePositives) }
        /// All classes: the share of the group's rows predicted right.
        public var accuracy: Double { ratio(correct, rows) }

        func ratio(_ a: Double, _ b: Double) -> Double { b > 0 ? a / b : .nan }
    }

    static func rates(_ m: [[Double]], positive c: Int) -> Rates {
        var r = Rates(
            rows: 0, truePositives: 0, falsePositives: 0, falseNegatives: 0, trueNegatives: 0, correct: 0)
        for t in m.indices {
            for p in m[t].indices {
                let v = m[t][p]
                r.rows += v
                if t == p { r.correct += v }
                switch (t == c, p == c) {
                case (true, true): r.truePositives += v
                case (false, true): r.falsePositives += v
                case (true, false): r.falseNegatives += v
                case (false, false): r.trueNegatives += v
                }
            }
        }
        return r
    }

    /// Each group's rates for class `c` against the rest.
    public func rates(positive c: Int) -> [Rates] {
        confusion.map { Fairness.rates($0.map { $0.map(Double.init) }, positive: c) }
    }

    /// The gaps between groups, as fairlearn computes them: differences are the largest group
    /// value minus the smallest, ratios the smallest over the largest, over the groups where the
    /// rate is defined.
    public enum Gap: String, CaseIterable, Sendable {
        case demographicParityDifference = "demographic_parity_difference"
        case demographicParityRatio = "demographic_parity_ratio"
        case equalizedOddsDifference = "equalized_odds_difference"
        case equalizedOddsRatio = "equalized_odds_ratio"
        case equalOpportunityDifference = "equal_opportunity_difference"

        public var isRatio: Bool { self == .demographicParityRatio || self == .equalizedOddsRatio }
    }

    static func spread(_ values: [Double]) -> (difference: Double, ratio: Double) {
        let v = values.filter { !$0.isNaN }
        guard let lo = v.min(), let hi = v.max() else { return (.nan, .nan) }
        return (hi - lo, hi > 0 ? lo / hi : .nan)
    }

    /// The gaps for class `c` from per-group rates, in the order of `Gap.allCases`. Equalized odds
    /// takes the worse of the true and false positive rates' gaps (fairlearn's "worst_case").
    static func gapValues(_ rates: [Rates]) -> [Double] {
        let selection = spread(rates.map(\.selection)), tpr = spread(rates.map(\.tpr)), fpr = spread(rates.map(\.fpr))
        return [
            selection.difference, selection.ratio, max(tpr.difference, fpr.difference), min(tpr.ratio, fpr.ratio),
            tpr.difference
        ]
    }

    static func gaps(_ rates: [Rates]) -> [Gap: Double] {
        Dictionary(uniqueKeysWithValues: zip(Gap.allCases, gapValues(rates)))
    }

    public func gaps(positive c: Int) -> [Gap: Double] { Fairness.gaps(rates(positive: c)) }

    /// χ² tests that the groups share one rate (p-values): selection (demographic parity), the
    /// true positive rate among the class's rows (equal opportunity), and equalized odds as the
    /// smaller of the true and false positive rates' p doubled (Bonferroni).
    public func tests(positive c: Int) -> (demographicParity: Double, equalOpportunity: Double, equalizedOdds: Double) {
        let r = rates(positive: c)
        func p(_ yes: [Double], _ no: [Double]) -> Double {
            let keep = yes.indices.filter { yes[$0] + no[$0] > 0 }
            guard keep.count > 1 else { return 1 }
            return Drift.chiSquareHomogeneity(keep.map { yes[$0] }, keep.map { no[$0] }).2
        }
        let dp = p(r.map { $0.truePositives + $0.falsePositives }, r.map { $0.falseNegatives + $0.trueNegatives })
        let tpr = p(r.map(\.truePositives), r.map(\.falseNegatives))
        let fpr = p(r.map(\.falsePositives), r.map(\.trueNegatives))
        return (dp, tpr, min(1, 2 * min(tpr, fpr)))
    }

    /// The gaps of `resamples` bootstrap resamples, rows drawn within their groups (each group's
    /// confusion counts multinomial over its cells: the same distribution as drawing its rows),
    /// for every class against the rest; replicates[r][c][g] in the order of `Gap.allCases`, NaN
    /// where undefined. Seeded by
    /// chunk, on every core: the result does not depend on the number of cores.
    /// - Throws: `Cancelled` (heard between chunks).
    public func replicates(resamples: Int, seed: UInt64, context: ExecutionContext = .standard) throws
        -> [[[Double]]]
    {
        let chunk = 500
        let chunks = (resamples + chunk - 1) / chunk
        let k = classCount
        let cells = confusion.map { m -> (total: Int, probabilities: [Double]) in
            let flat = m.flatMap { $0 }
            let total = flat.reduce(0, +)
            return (total, flat.map { total > 0 ? Double($0) / Double(total) : 0 })
        }
        let cancellation = context.cancellation
        let parts = try Parallel.map(chunks) { ch -> [[[Double]]] in
            if cancellation.isCancelled { throw Cancelled() }
            var rng = SeededGenerator(seed: seed &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(ch + 1))
            var counts = [Int](repeating: 0, count: k * k)
            var out: [[[Double]]] = []
            for _ in (ch * chunk)..<min(resamples, (ch + 1) * chunk) {
                var drawn: [[[Double]]] = []
                for g in cells {
                    rng.nextMultinomial(g.total, g.probabilities, into: &counts)
                    drawn.append((0..<k).map { t in (0..<k).map { p in Double(counts[t * k + p]) } })
                }
                out.append((0..<k).map { c in Fairness.gapValues(drawn.map { Fairness.rates($0, positive: c) }) })
            }
            context.progress(min(resamples, (ch + 1) * chunk), of: resamples)
            return out
        }
        return parts.flatMap { $0 }
    }

    /// Leave-one-row-out values of a gap with their multiplicities (one per nonempty cell of each
    /// group), for BCa's acceleration.
    public func jackknife(_ gap: Gap, positive c: Int) -> [(Double, Double)] {
        var out: [(Double, Double)] = []
        let base = confusion.map { $0.map { $0.map(Double.init) } }
        for g in 0..<groupCount {
            for t in 0..<classCount {
                for p in 0..<classCount where confusion[g][t][p] > 0 {
                    var m = base
                    m[g][t][p] -= 1
                    if let v = Fairness.gaps(m.map { Fairness.rates($0, positive: c) })[gap], !v.isNaN {
                        out.append((v, Double(confusion[g][t][p])))
                    }
                }
            }
        }
        return out
    }

    /// Bootstrap intervals of every gap for every class against the rest, from one set of
    /// resamples: intervals[c][gap] (absent when the gap is undefined on the data).
    /// - Throws: `Cancelled`.
    public func intervals(
        resamples: Int, seed: UInt64, method: BootstrapMethod, level: Double, context: ExecutionContext = .standard
    ) throws -> [[Gap: BootstrapResult]] {
        let replicates = try replicates(resamples: resamples, seed: seed, context: context)
        return try (0..<classCount).map { c in
            let estimate = gaps(positive: c)
            var out: [Gap: BootstrapResult] = [:]
            for (index, gap) in Gap.allCases.enumerated() {
                guard let e = estimate[gap], !e.isNaN else { continue }
                let raw: [Double?] = replicates.map { r in r[c][index].isNaN ? nil : r[c][index] }
                out[gap] = try? Bootstrap.summarise(raw, estimate: e, method: method, level: level) {
                    jackknife(gap, positive: c)
                }
                if context.isCancelled { throw Cancelled() }
            }
            return out
        }
    }
}
