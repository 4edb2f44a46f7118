import Dispatch
import Foundation
import MLETensor

/// Thrown when long work is cancelled (Ctrl-C).

/// Bootstrap interval methods (Efron & Tibshirani 1993).
public enum BootstrapMethod: String, CaseIterable, Sendable {
    /// The α/2 and 1−α/2 quantiles of the replicates (Burkov's method).
    case percentile
    /// 2θ̂ minus those quantiles.
    case basic
    /// Bias-corrected and accelerated: quantile levels moved by z0 (from the share of replicates
    /// below θ̂) and a (from the jackknife).
    case bca
}

/// The outcome of a bootstrap: replicates and the interval.
public struct BootstrapResult: Sendable {
    public var interval: Interval
    public var method: BootstrapMethod
    public var resamples: Int
    /// Replicates where the metric was undefined (for example no predicted positives), left out.
    public var undefinedReplicates: Int
    /// Sorted defined replicates.
    public var replicates: [Double]
    /// Set when BCa could not be computed and the percentile interval was used instead.
    public var fallbackReason: String?
    public var biasCorrection: Double?
    public var acceleration: Double?
}

/// Errors of interval computation that the user can act on.
public enum IntervalError: Error, Equatable, CustomStringConvertible {
    case undefinedEstimate(String)
    case invalid(String)
    public var description: String {
        switch self {
        case .undefinedEstimate(let s), .invalid(let s): return s
        }
    }
}

/// Bootstrap resampling of a test set.
public enum Bootstrap {
    /// Quantile with linear interpolation between order statistics (type 7, NumPy's default).
    public static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let h = Double(sorted.count - 1) * min(max(q, 0), 1)
        let lo = Int(h.rounded(.down))
        let hi = min(lo + 1, sorted.count - 1)
        return sorted[lo] + (h - Double(lo)) * (sorted[hi] - sorted[lo])
    }

    /// Replicates of `metric` over `resamples` bootstrap resamples of the test set.
    ///
    /// Confusion-matrix metrics draw multinomial counts over the matrix's cells (the same
    /// distribution as resampling the items, at O(cells) per replicate); other metrics draw
    /// per-item counts. With `stratified`, each true class is resampled within itself.
    /// Work is split into fixed chunks, each with its own generator derived from `seed`, run on
    /// all cores: the result does not depend on the number of cores.
    /// - Throws: `Cancelled` when `cancellation` is set.
    public static func replicates(
        metric: Metric, outcomes: Outcomes, resamples: Int, seed: UInt64,
        stratified: Bool, context: ExecutionContext = .standard,
        pairedWith other: Outcomes? = nil
    ) throws -> [Double?] {
        let cancellation = context.cancellation
        let chunk = 250
        let chunks = (resamples + chunk - 1) / chunk
        let output = ReplicateBuffer(count: resamples)
        let evaluator = WeightedEvaluator(metric: metric, outcomes: outcomes)
        let otherEvaluator = other.map { WeightedEvaluator(metric: metric, outcomes: $0) }
        let plan = ResamplingPlan(
            outcomes: outcomes, stratified: stratified,
            cellsOnly: metric.isConfusionBased && other == nil)
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            if cancellation.isCancelled { output.cancelled = true; return }
            var rng = SeededGenerator(seed: seed &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(c + 1))
            let start = c * chunk, end = min(resamples, start + chunk)
            var scratch = plan.makeScratch()
            for r in start..<end {
                // Each resample of a large test set takes milliseconds: Ctrl-C is heard between them.
                if cancellation.isCancelled { output.cancelled = true; return }
                let v: Double?
                if plan.cellsOnly {
                    v = metric.value(confusion: plan.drawConfusion(&rng, &scratch), positive: plan.positive)
                } else {
                    guard let w = plan.drawWeights(&rng, &scratch, cancellation: cancellation) else {
                        output.cancelled = true
                        return
                    }
                    if let otherEvaluator {
                        // Paired: both models on the same resample; the replicate is b − a.
                        let a = evaluator.value(weights: w)
                        if cancellation.isCancelled { output.cancelled = true; return }
                        if let a, let b = otherEvaluator.value(weights: w) {
                            v = b - a
                        } else {
                            v = nil
                        }
                    } else {
                        v = evaluator.value(weights: w)
                    }
                }
                output.store(r, v)
            }
        }
        if output.cancelled { throw Cancelled() }
        return output.values()
    }

    /// A bootstrap confidence interval of `metric`.
    /// - Throws: `IntervalError` when the metric is undefined on the data itself; `Cancelled`.
    public static func interval(
        metric: Metric, outcomes: Outcomes, method: BootstrapMethod, level: Double,
        resamples: Int, seed: UInt64, stratified: Bool,
        context: ExecutionContext = .standard
    ) throws -> BootstrapResult {
        let evaluator = WeightedEvaluator(metric: metric, outcomes: outcomes)
        let ones = [Double](repeating: 1, count: outcomes.count)
        guard let estimate = evaluator.value(weights: ones) else {
            throw IntervalError.undefinedEstimate("\(metric.rawValue) is undefined on this data (a zero denominator)")
        }
        let raw = try replicates(
            metric: metric, outcomes: outcomes, resamples: resamples, seed: seed,
            stratified: stratified, context: context)
        return try summarise(raw, estimate: estimate, method: method, level: level) {
            jackknife(evaluator: evaluator, outcomes: outcomes)
        }
    }

    /// Turns replicates into an interval; `jackknifeValues` supplies leave-one-out estimates
    /// with their multiplicities (for BCa's acceleration).
    static func summarise(
        _ raw: [Double?], estimate: Double, method: BootstrapMethod, level: Double,
        jackknifeValues: () -> [(Double, Double)]
    ) throws -> BootstrapResult {
        let defined = raw.compactMap { $0 }.sorted()
        guard !defined.isEmpty else {
            throw IntervalError.undefinedEstimate("the metric is undefined on every resample")
        }
        let alpha = 1 - level
        var result = BootstrapResult(
            interval: Interval(estimate: estimate, low: .nan, high: .nan), method: method,
            resamples: raw.count, undefinedReplicates: raw.count - defined.count,
            replicates: defined)
        let qLow = quantile(defined, alpha / 2), qHigh = quantile(defined, 1 - alpha / 2)
        switch method {
        case .percentile:
            result.interval = Interval(estimate: estimate, low: qLow, high: qHigh)
        case .basic:
            result.interval = Interval(estimate: estimate, low: 2 * estimate - qHigh, high: 2 * estimate - qLow)
        case .bca:
            // z0 from the share below θ̂, counting ties as half (as scipy.stats.bootstrap does).
            let below = Double(defined.filter { $0 < estimate }.count)
            let belowOrEqual = Double(defined.filter { $0 <= estimate }.count)
            let share = (below + belowOrEqual) / (2 * Double(defined.count))
            let z0 = Distributions.normalQuantile(share)
            guard defined.first != defined.last, z0.isFinite else {
                result.method = .percentile
                result.fallbackReason =
                    defined.first == defined.last
                    ? "every resample gives the same value, so BCa is undefined; percentile interval shown"
                    : "the estimate lies outside the resampled values, so BCa is undefined; percentile interval shown"
                result.interval = Interval(estimate: estimate, low: qLow, high: qHigh)
                return result
            }
            let jack = jackknifeValues()
            let n = jack.reduce(0) { $0 + $1.1 }
            let mean = jack.reduce(0) { $0 + $1.0 * $1.1 } / max(n, 1)
            var num = 0.0, den = 0.0
            for (v, m) in jack { let d = mean - v; num += m * d * d * d; den += m * d * d }
            let a = den > 0 ? num / (6 * pow(den, 1.5)) : 0
            func level(_ z: Double) -> Double {
                Distributions.normalCDF(z0 + (z0 + z) / (1 - a * (z0 + z)))
            }
            let zl = Distributions.normalQuantile(alpha / 2), zh = Distributions.normalQuantile(1 - alpha / 2)
            result.interval = Interval(
                estimate: estimate, low: quantile(defined, level(zl)), high: quantile(defined, level(zh)))
            result.biasCorrection = z0
            result.acceleration = a
        }
        return result
    }

    /// Leave-one-out values with multiplicities. Confusion metrics leave out one item of each
    /// cell (O(cells)); others leave out each item, or for more than 2,000 items each of 2,000
    /// contiguous groups (a grouped jackknife) to stay fast.
    static func jackknife(evaluator: WeightedEvaluator, outcomes: Outcomes) -> [(Double, Double)] {
        let n = outcomes.count
        if evaluator.metric.isConfusionBased, case .classification(_, _, _, _, let positive) = outcomes {
            var c = outcomes.confusion
            var out: [(Double, Double)] = []
            for i in c.indices {
                for j in c.indices where c[i][j] > 0 {
                    let m = c[i][j]
                    c[i][j] -= 1
                    if let v = evaluator.metric.value(confusion: c, positive: positive) { out.append((v, m)) }
                    c[i][j] += 1
                }
            }
            return out
        }
        let groups = min(n, 2000)
        var out: [(Double, Double)] = []
        var w = [Double](repeating: 1, count: n)
        for g in 0..<groups {
            let lo = g * n / groups, hi = (g + 1) * n / groups
            for i in lo..<hi { w[i] = 0 }
            if let v = evaluator.value(weights: w) { out.append((v, 1)) }
            for i in lo..<hi { w[i] = 1 }
        }
        return out
    }
}

/// How one resample is drawn.
struct ResamplingPlan: Sendable {
    let cellsOnly: Bool
    let positive: Int
    let classCount: Int
    /// Cells: per stratum (true class, or one stratum), the nonzero cells and their probabilities.
    let cellStrata: [(total: Int, cells: [(Int, Int)], probabilities: [Double])]
    /// Items: per stratum, the item indices.
    let itemStrata: [[Int]]
    let itemCount: Int

    init(outcomes: Outcomes, stratified: Bool, cellsOnly: Bool) {
        self.cellsOnly = cellsOnly
        itemCount = outcomes.count
        switch outcomes {
        case .classification(let truth, _, let k, _, let pos):
            positive = pos
            classCount = k
            let c = outcomes.confusion
            var strata: [(Int, [(Int, Int)], [Double])] = []
            let rowsets: [[Int]] = stratified ? (0..<k).map { [$0] } : [Array(0..<k)]
            for rows in rowsets {
                var cells: [(Int, Int)] = [], counts: [Double] = []
                for i in rows { for j in 0..<k where c[i][j] > 0 { cells.append((i, j)); counts.append(c[i][j]) } }
                let total = counts.reduce(0, +)
                if total > 0 { strata.append((Int(total), cells, counts.map { $0 / total })) }
            }
            cellStrata = strata
            if stratified {
                var byClass = [[Int]](repeating: [], count: k)
                for (i, t) in truth.enumerated() { byClass[t].append(i) }
                itemStrata = byClass.filter { !$0.isEmpty }
            } else {
                itemStrata = [Array(0..<truth.count)]
            }
        case .regression(let truth, _):
            positive = 0; classCount = 0; cellStrata = []
            itemStrata = [Array(0..<truth.count)]
        }
    }

    struct Scratch {
        var confusion: [[Double]]
        var counts: [Int]
        var weights: [Double]
    }

    func makeScratch() -> Scratch {
        Scratch(
            confusion: [[Double]](repeating: [Double](repeating: 0, count: classCount), count: classCount),
            counts: [Int](repeating: 0, count: cellStrata.map(\.cells.count).max() ?? 0),
            weights: [Double](repeating: 0, count: itemCount))
    }

    func drawConfusion(_ rng: inout SeededGenerator, _ s: inout Scratch) -> [[Double]] {
        for i in 0..<classCount { for j in 0..<classCount { s.confusion[i][j] = 0 } }
        for stratum in cellStrata {
            rng.nextMultinomial(stratum.total, stratum.probabilities, into: &s.counts)
            for (k, cell) in stratum.cells.enumerated() { s.confusion[cell.0][cell.1] = Double(s.counts[k]) }
        }
        return s.confusion
    }

    /// - Returns: nil when `cancellation` fires (polled every 65,536 draws: a resample of
    ///   millions of items takes a tenth of a second).
    func drawWeights(_ rng: inout SeededGenerator, _ s: inout Scratch, cancellation: Cancellation = .never)
        -> [Double]?
    {
        for i in 0..<itemCount { s.weights[i] = 0 }
        for stratum in itemStrata {
            for k in 0..<stratum.count {
                if k & 0xFFFF == 0xFFFF, cancellation.isCancelled { return nil }
                s.weights[stratum[rng.nextIndex(stratum.count)]] += 1
            }
        }
        return s.weights
    }
}

/// Replicates written by concurrent chunks into disjoint slots.
final class ReplicateBuffer: @unchecked Sendable {
    private var storage: [Double]
    private var defined: [Bool]
    var cancelled = false
    private let lock = NSLock()

    init(count: Int) {
        storage = [Double](repeating: 0, count: count)
        defined = [Bool](repeating: false, count: count)
    }

    func store(_ i: Int, _ v: Double?) {
        // Each index is written by exactly one chunk; the lock only orders the array accesses.
        lock.lock(); defer { lock.unlock() }
        if let v { storage[i] = v; defined[i] = true }
    }

    func values() -> [Double?] { storage.indices.map { defined[$0] ? storage[$0] : nil } }
}
