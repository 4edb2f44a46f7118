import CKernels
import Foundation
import MLELearning
import MLETensor
import Synchronization

/// How predicted probabilities are cut into bins: scikit-learn's `calibration_curve` strategies.
public enum CalibrationBinning: String, CaseIterable, Sendable {
    /// Bins of equal width on [0, 1].
    case uniform
    /// Bins of about equal numbers of predictions: edges at the quantiles of the probabilities.
    case quantile
}

/// The event whose predicted probability is checked against how often it happens.
public enum CalibrationEvent: Sendable, Equatable {
    /// A class's probability against whether the row is of that class (binary problems: the
    /// positive class, as scikit-learn's `calibration_curve`).
    case ofClass(Int)
    /// The top class's probability (the model's confidence) against whether the predicted class
    /// is right: top-label calibration, for several classes.
    case topLabel
}

/// Calibration of one classifier's probabilities on a test set (Burkov ch. 6): the reliability
/// diagram's bins, expected and maximum calibration error, Brier score and log loss.
///
/// Per row it keeps the bin, d = event − probability, and the row's Brier and log-loss terms:
/// every statistic is a function of per-bin counts and sums of d and of two totals, so a bootstrap
/// resample and a jackknife group cost no more than adding them up.
public struct Calibration: Sendable {
    public let event: CalibrationEvent
    public let binning: CalibrationBinning
    /// The bins' edges, `bins + 1` of them; a probability p falls in the bin whose number is how
    /// many interior edges lie strictly below p (NumPy's `searchsorted`, as scikit-learn), so
    /// p = 0 lands in the first bin and p = 1 in the last.
    public let edges: [Double]
    let bin: [Int32]
    let d: [Double]
    let probability: [Double]
    let hit: [Bool]
    let brierTerm: [Double]
    let logLossTerm: [Double]

    /// One bin of the reliability diagram.
    public struct Bin: Sendable, Equatable {
        public var low: Double, high: Double
        public var count: Int
        /// The mean predicted probability and the share of rows where the event happened.
        public var meanProbability: Double
        public var frequency: Double
    }

    /// The four statistics.
    public struct Statistics: Sendable, Equatable {
        /// Σ over bins of (count / n) · |frequency − mean probability|.
        public var ece: Double
        /// The largest |frequency − mean probability| over the bins that hold rows.
        public var mce: Double
        public var brier: Double
        public var logLoss: Double

        public subscript(_ s: Statistic) -> Double {
            switch s {
            case .ece: return ece
            case .mce: return mce
            case .brier: return brier
            case .logLoss: return logLoss
            }
        }
    }

    public enum Statistic: String, CaseIterable, Sendable {
        case ece, mce, brier
        case logLoss = "log_loss"
    }

    /// - Parameters:
    ///   - probabilities: rows × classes, each row a probability vector.
    ///   - truth: each row's class, an index into the columns.
    ///   - bins: 1 to 1,000.
    /// - Throws: `LearningError.invalid` for no rows, a class index outside the columns or a
    ///   probability that is not in [0, 1].
    public init(
        probabilities p: Matrix, truth: [Int], event: CalibrationEvent, bins: Int, binning: CalibrationBinning
    ) throws {
        let n = p.rows, k = p.cols
        guard n > 0, truth.count == n else { throw LearningError.invalid("calibration needs at least one row") }
        guard k >= 2 else { throw LearningError.invalid("calibration needs probabilities of at least two classes") }
        guard (1...1000).contains(bins), n < Int(UInt32.max) else {
            throw LearningError.invalid("bins must be from 1 to 1000 (and rows fewer than 4294967295)")
        }
        if case .ofClass(let c) = event, !(0..<k).contains(c) {
            throw LearningError.invalid("the class to calibrate is not one of the model's")
        }
        self.event = event
        self.binning = binning
        var probability = [Double](repeating: 0, count: n), hit = [Bool](repeating: false, count: n)
        var brierTerm = [Double](repeating: 0, count: n), logLossTerm = [Double](repeating: 0, count: n)
        // scikit-learn's log_loss clips at the float64 epsilon.
        let eps = Double.ulpOfOne
        try p.storage.withUnsafeBufferPointer { ps in
            for r in 0..<n {
                let t = truth[r]
                guard (0..<k).contains(t) else {
                    throw LearningError.invalid("row \(r + 1)'s class is not the model's")
                }
                let row = UnsafeBufferPointer(rebasing: ps[(r * k)..<(r * k + k)])
                var top = 0
                for j in 0..<k {
                    let v = row[j]
                    guard v >= 0, v <= 1 else {
                        throw LearningError.invalid("row \(r + 1) has a probability outside [0, 1]: \(v)")
                    }
                    if v > row[top] { top = j }
                }
                switch event {
                case .ofClass(let c):
                    probability[r] = Double(row[c]); hit[r] = t == c
                case .topLabel:
                    probability[r] = Double(row[top]); hit[r] = t == top
                }
                if k == 2 {
                    // Two classes: scikit-learn's brier_score_loss, the second class's squared error.
                    let e = Double(row[1]) - (t == 1 ? 1 : 0)
                    brierTerm[r] = e * e
                } else {
                    var s = 0.0
                    for j in 0..<k {
                        let e = Double(row[j]) - (t == j ? 1 : 0)
                        s += e * e
                    }
                    brierTerm[r] = s
                }
                logLossTerm[r] = -log(min(max(Double(row[t]), eps), 1 - eps))
            }
        }
        let edges = Calibration.edges(probability, bins: bins, binning: binning)
        let interior = Array(edges.dropFirst().dropLast())
        var bin = [Int32](repeating: 0, count: n), d = [Double](repeating: 0, count: n)
        for r in 0..<n {
            bin[r] = Int32(Calibration.count(below: probability[r], in: interior))
            d[r] = (hit[r] ? 1 : 0) - probability[r]
        }
        self.edges = edges
        self.bin = bin
        self.d = d
        self.probability = probability
        self.hit = hit
        self.brierTerm = brierTerm
        self.logLossTerm = logLossTerm
    }

    public var count: Int { d.count }
    public var binCount: Int { edges.count - 1 }

    /// The edges of `bins` bins for these probabilities: NumPy's `linspace(0, 1, bins + 1)`, or
    /// its `percentile` of the probabilities at those levels (linear interpolation).
    static func edges(_ p: [Double], bins: Int, binning: CalibrationBinning) -> [Double] {
        let step = 1.0 / Double(bins)
        let levels = (0...bins).map { $0 == bins ? 1.0 : Double($0) * step }
        switch binning {
        case .uniform:
            return levels
        case .quantile:
            let sorted = p.sorted()
            return levels.map { Bootstrap.quantile(sorted, $0) }
        }
    }

    /// How many of the sorted `edges` lie strictly below p (a binary search).
    static func count(below p: Double, in edges: [Double]) -> Int {
        var lo = 0, hi = edges.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if edges[mid] < p { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// The reliability diagram's bins (empty bins included, with count 0 and NaN means).
    public var bins: [Bin] {
        var count = [Int](repeating: 0, count: binCount)
        var sumP = [Double](repeating: 0, count: binCount), sumHit = [Double](repeating: 0, count: binCount)
        for r in 0..<self.count {
            let b = Int(bin[r])
            count[b] += 1
            sumP[b] += probability[r]
            if hit[r] { sumHit[b] += 1 }
        }
        return (0..<binCount).map { b in
            Bin(
                low: edges[b], high: edges[b + 1], count: count[b],
                meanProbability: count[b] > 0 ? sumP[b] / Double(count[b]) : .nan,
                frequency: count[b] > 0 ? sumHit[b] / Double(count[b]) : .nan)
        }
    }

    /// The statistics from per-bin counts and sums of d and the totals of the Brier and
    /// log-loss terms over `n` rows.
    static func statistics(counts: [Double], sums: [Double], brier: Double, logLoss: Double, n: Double) -> Statistics {
        var ece = 0.0, mce = 0.0
        for b in counts.indices where counts[b] > 0 {
            ece += abs(sums[b])
            mce = max(mce, abs(sums[b]) / counts[b])
        }
        return Statistics(ece: ece / n, mce: mce, brier: brier / n, logLoss: logLoss / n)
    }

    /// The statistics on the whole test set.
    public var statistics: Statistics {
        let t = totals()
        return Calibration.statistics(
            counts: t.counts, sums: t.sums, brier: t.brier, logLoss: t.logLoss, n: Double(count))
    }

    /// Per-bin counts and sums of d, and the sums of the Brier and log-loss terms, over every row.
    func totals() -> (counts: [Double], sums: [Double], brier: Double, logLoss: Double) {
        var counts = [Double](repeating: 0, count: binCount), sums = [Double](repeating: 0, count: binCount)
        var brier = 0.0, logLoss = 0.0
        for r in 0..<count {
            counts[Int(bin[r])] += 1
            sums[Int(bin[r])] += d[r]
            brier += brierTerm[r]
            logLoss += logLossTerm[r]
        }
        return (counts, sums, brier, logLoss)
    }

    /// Resamples per call of the C kernel: about two million draws, so that Ctrl-C, heard between
    /// calls, stops within milliseconds; fixed by the row count, so the result is too.
    func chunkSize() -> Int { max(1, min(100, 2_000_000 / max(count, 1))) }

    /// The statistics of `resamples` bootstrap resamples (rows drawn with replacement, the bins'
    /// edges kept), in order. Resamples are drawn in fixed chunks (`chunkSize`), chunk c by the
    /// generator of `mle_bootstrap_indices` seeded with `chunkSeed(seed, c)`, on every core: the
    /// result does not depend on the number of cores.
    /// - Throws: `Cancelled` (heard between chunks).
    public func resampled(_ resamples: Int, seed: UInt64, context: ExecutionContext = .standard) throws -> [Statistics]
    {
        let chunk = chunkSize()
        let chunks = (resamples + chunk - 1) / chunk
        let cancellation = context.cancellation
        let nb = binCount, n = count, width = 2 * nb + 2
        let rows = Rows(self)
        let done = Atomic<Int>(0)
        let results = try Parallel.map(chunks) { c -> [Statistics] in
            if cancellation.isCancelled { throw Cancelled() }
            let start = c * chunk, end = min(resamples, start + chunk)
            var out = [Double](repeating: 0, count: (end - start) * width)
            rows.resample(seed: Calibration.chunkSeed(seed, c), resamples: end - start, into: &out)
            let finished = done.add(end - start, ordering: .relaxed).newValue
            context.progress(finished, of: resamples)
            return (0..<(end - start)).map { r in
                let base = r * width
                return Calibration.statistics(
                    counts: Array(out[base..<(base + nb)]), sums: Array(out[(base + nb)..<(base + 2 * nb)]),
                    brier: out[base + 2 * nb], logLoss: out[base + 2 * nb + 1], n: Double(n))
            }
        }
        return results.flatMap { $0 }
    }

    static func chunkSeed(_ seed: UInt64, _ c: Int) -> UInt64 { seed &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(c + 1) }

    /// The rows as the C kernel reads them: sorted by bin (stably), each term in its own array.
    final class Rows: @unchecked Sendable {
        /// The row of the test set at each sorted position: the kernel's draw j is row order[j].
        let order: [Int]
        let d: [Double], brier: [Double], loss: [Double]
        /// One past each bin's last sorted position.
        let binEnd: [Int]

        init(_ c: Calibration) {
            var end = [Int](repeating: 0, count: c.binCount)
            for b in c.bin { end[Int(b)] += 1 }
            for b in end.indices.dropFirst() { end[b] += end[b - 1] }
            var next = [0] + end.dropLast(), order = [Int](repeating: 0, count: c.count)
            for (r, b) in c.bin.enumerated() {
                order[next[Int(b)]] = r
                next[Int(b)] += 1
            }
            self.order = order
            d = order.map { c.d[$0] }
            brier = order.map { c.brierTerm[$0] }
            loss = order.map { c.logLossTerm[$0] }
            binEnd = end
        }

        /// Resamples in `out` (see `mle_calibration_resamples`); a `weightStep` above 1 only in tests.
        func resample(seed: UInt64, resamples: Int, weightStep: UInt32 = 1, into out: inout [Double]) {
            var weights = [UInt8](repeating: 0, count: 4 * d.count)
            let nb = binEnd.count
            d.withUnsafeBufferPointer { d in
                brier.withUnsafeBufferPointer { brier in
                    loss.withUnsafeBufferPointer { loss in
                        binEnd.withUnsafeBufferPointer { end in
                            weights.withUnsafeMutableBufferPointer { w in
                                out.withUnsafeMutableBufferPointer { o in
                                    mle_calibration_resamples(
                                        d.baseAddress, brier.baseAddress, loss.baseAddress, end.baseAddress, d.count,
                                        nb, seed, resamples, weightStep, w.baseAddress, o.baseAddress)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Grouped jackknife values of a statistic (each row left out for up to 2,000 rows, else each
    /// of 2,000 contiguous groups), for BCa's acceleration: the totals minus a group's sums.
    func jackknife(_ statistic: Statistic) -> [(Double, Double)] {
        let n = count
        let (counts, sums, brier, logLoss) = totals()
        let groups = min(n, 2000)
        var out: [(Double, Double)] = []
        guard groups > 1 else { return out }
        for g in 0..<groups {
            let lo = g * n / groups, hi = (g + 1) * n / groups
            var c = counts, s = sums, b = brier, l = logLoss
            for r in lo..<hi {
                c[Int(bin[r])] -= 1; s[Int(bin[r])] -= d[r]
                b -= brierTerm[r]; l -= logLossTerm[r]
            }
            let v = Calibration.statistics(counts: c, sums: s, brier: b, logLoss: l, n: Double(n - (hi - lo)))
            out.append((v[statistic], 1))
        }
        return out
    }

    /// Bootstrap intervals of every statistic from one set of resamples.
    /// - Throws: `Cancelled`; `IntervalError` when a statistic has no defined replicate.
    public func intervals(
        resamples: Int, seed: UInt64, method: BootstrapMethod, level: Double, context: ExecutionContext = .standard
    ) throws -> [Statistic: BootstrapResult] {
        let estimate = statistics
        let replicates = try resampled(resamples, seed: seed, context: context)
        var out: [Statistic: BootstrapResult] = [:]
        for s in Statistic.allCases {
            let raw: [Double?] = replicates.map { $0[s].isFinite ? $0[s] : nil }
            out[s] = try Bootstrap.summarise(raw, estimate: estimate[s], method: method, level: level) {
                jackknife(s)
            }
        }
        return out
    }
}
