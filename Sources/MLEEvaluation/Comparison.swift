import Foundation
import MLETensor

/// McNemar's test on the discordant pairs of two classifiers scored on the same items.
public struct McNemar: Equatable, Sendable {
    /// Items only model a gets right, and items only model b gets right.
    public var onlyA: Int
    public var onlyB: Int
    /// Exact two-sided binomial p-value: min(1, 2·P(X ≤ min(b, c))), X ~ Bin(b + c, ½).
    public var exactP: Double
    /// χ² with continuity correction (|b − c| − 1)² / (b + c), and its p-value (1 d.f.); with no
    /// discordant pairs χ² 0 and p 1 (statsmodels divides by zero).
    public var chiSquare: Double
    public var chiSquareP: Double

    public init(onlyA: Int, onlyB: Int) {
        self.onlyA = onlyA; self.onlyB = onlyB
        let n = onlyA + onlyB
        if n == 0 {
            exactP = 1; chiSquare = 0; chiSquareP = 1
        } else {
            exactP = min(1, 2 * Distributions.binomialCDF(min(onlyA, onlyB), n: n, p: 0.5))
            // (|b − c| − 1)² as statsmodels computes it: equal counts give 1 / (b + c), not 0.
            let d = Double(abs(onlyA - onlyB)) - 1
            chiSquare = d * d / Double(n)
            chiSquareP = Distributions.chiSquare1Survival(chiSquare)
        }
    }

    /// From truth and the two models' predicted classes.
    public init(truth: [Int], predictedA: [Int], predictedB: [Int]) {
        var a = 0, b = 0
        for i in truth.indices {
            let ra = predictedA[i] == truth[i], rb = predictedB[i] == truth[i]
            if ra && !rb { a += 1 } else if rb && !ra { b += 1 }
        }
        self.init(onlyA: a, onlyB: b)
    }
}

/// Paired comparison of two models on one test set.
public struct PairedComparison: Sendable {
    public var metric: Metric
    public var valueA: Double
    public var valueB: Double
    /// b − a with a paired-bootstrap percentile interval.
    public var difference: Interval
    public var resamples: Int
    public var mcnemar: McNemar?
    public var delong: (difference: Double, standardError: Double, z: Double, p: Double)?

    /// Compares a and b: both models' outcomes must be on the same items in the same order.
    /// - Throws: `IntervalError` when the metric is undefined for either model; `Cancelled`.
    public static func compare(
        _ a: Outcomes, _ b: Outcomes, metric: Metric, level: Double, resamples: Int,
        seed: UInt64, stratified: Bool, context: ExecutionContext = .standard
    ) throws -> PairedComparison {
        let ones = [Double](repeating: 1, count: a.count)
        guard let va = WeightedEvaluator(metric: metric, outcomes: a).value(weights: ones),
            let vb = WeightedEvaluator(metric: metric, outcomes: b).value(weights: ones)
        else {
            throw IntervalError.undefinedEstimate("\(metric.rawValue) is undefined for one of the models on this data")
        }
        try context.checkCancelled()
        let raw = try Bootstrap.replicates(
            metric: metric, outcomes: a, resamples: resamples, seed: seed,
            stratified: stratified, context: context, pairedWith: b)
        try context.checkCancelled()
        let summary = try Bootstrap.summarise(raw, estimate: vb - va, method: .percentile, level: level) { [] }
        var result = PairedComparison(
            metric: metric, valueA: va, valueB: vb, difference: summary.interval,
            resamples: resamples, mcnemar: nil, delong: nil)
        if case .classification(let truth, let pa, _, let sa, let positive) = a,
            case .classification(_, let pb, _, let sb, _) = b
        {
            result.mcnemar = McNemar(truth: truth, predictedA: pa, predictedB: pb)
            if metric == .auc, let sa, let sb {
                let t = truth.map { $0 == positive }
                result.delong = DeLong.compare(truth: t, scoresA: sa, scoresB: sb)
            }
        }
        return result
    }
}

/// Online evaluation (Burkov ch. 7): A/B tests and a multi-armed bandit.
public enum ABTest {
    /// The G-test of independence on a 2×2 table of yes/no outcomes:
    /// G = 2 Σ O ln(O/E), compared with χ² with 1 d.f.
    public static func gTest(successesA: Int, trialsA: Int, successesB: Int, trialsB: Int)
        -> (g: Double, p: Double, rateA: Double, rateB: Double)?
    {
        guard trialsA > 0, trialsB > 0, successesA >= 0, successesB >= 0,
            successesA <= trialsA, successesB <= trialsB
        else { return nil }
        let observed = [
            [Double(successesA), Double(trialsA - successesA)],
            [Double(successesB), Double(trialsB - successesB)]
        ]
        let total = Double(trialsA + trialsB)
        let colTotals = [observed[0][0] + observed[1][0], observed[0][1] + observed[1][1]]
        let rowTotals = [Double(trialsA), Double(trialsB)]
        var g = 0.0
        for i in 0..<2 {
            for j in 0..<2 where observed[i][j] > 0 {
                let expected = rowTotals[i] * colTotals[j] / total
                g += observed[i][j] * log(observed[i][j] / expected)
            }
        }
        g *= 2
        return (
            g, Distributions.chiSquare1Survival(g), Double(successesA) / Double(trialsA),
            Double(successesB) / Double(trialsB)
        )
    }

    /// Two-sample z-test for numeric outcomes (unpooled standard error), with the difference of
    /// means b − a and its normal interval.
    public static func zTest(_ a: [Double], _ b: [Double], level: Double)
        -> (difference: Interval, z: Double, p: Double, meanA: Double, meanB: Double)?
    {
        guard a.count >= 2, b.count >= 2 else { return nil }
        func stats(_ x: [Double]) -> (Double, Double) {
            let m = x.reduce(0, +) / Double(x.count)
            return (m, x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.count - 1))
        }
        let (ma, va) = stats(a), (mb, vb) = stats(b)
        let se = (va / Double(a.count) + vb / Double(b.count)).squareRoot()
        let d = mb - ma
        let zc = Distributions.normalQuantile(1 - (1 - level) / 2)
        let z = se > 0 ? d / se : (d == 0 ? 0 : .infinity)
        let p = se > 0 ? 2 * Distributions.normalCDF(-abs(z)) : (d == 0 ? 1 : 0)
        return (Interval(estimate: d, low: d - zc * se, high: d + zc * se), z, p, ma, mb)
    }

    /// UCB1 (Auer, Cesa-Bianchi & Fischer 2002) on Bernoulli arms with the given success rates:
    /// play each arm once, then the arm maximising mean + sqrt(2 ln t / pulls).
    /// - Returns: pulls and rewards per arm, and the expected regret Σ pulls·(best rate − rate).
    public static func ucb1(rates: [Double], rounds: Int, seed: UInt64)
        -> (pulls: [Int], rewards: [Int], regret: Double)
    {
        var rng = SeededGenerator(seed: seed)
        var pulls = [Int](repeating: 0, count: rates.count)
        var rewards = [Int](repeating: 0, count: rates.count)
        guard !rates.isEmpty else { return ([], [], 0) }
        for t in 1...max(rounds, 1) where rounds > 0 {
            var arm = 0
            if let unplayed = pulls.firstIndex(of: 0) {
                arm = unplayed
            } else {
                var best = -Double.infinity
                for i in rates.indices {
                    let v = Double(rewards[i]) / Double(pulls[i]) + (2 * log(Double(t)) / Double(pulls[i])).squareRoot()
                    if v > best { best = v; arm = i }
                }
            }
            pulls[arm] += 1
            if rng.nextUnit() < rates[arm] { rewards[arm] += 1 }
        }
        let top = rates.max() ?? 0
        let regret = rates.indices.reduce(0.0) { $0 + Double(pulls[$1]) * (top - rates[$1]) }
        return (pulls, rewards, regret)
    }
}

extension Metric {
    /// The metric on unweighted outcomes; nil when undefined.
    public func value(of outcomes: Outcomes) -> Double? {
        WeightedEvaluator(metric: self, outcomes: outcomes).value(
            weights: [Double](repeating: 1, count: outcomes.count))
    }
}

/// Dietterich's (1998) 5×2cv paired t-test for two training methods.
public enum FiveByTwoCV {
    /// The statistic from five replications of two folds each: `differences[i]` holds the two
    /// differences (b − a) of replication i. t = p₁⁽¹⁾ / sqrt(Σ sᵢ² / 5), with
    /// sᵢ² = (p⁽¹⁾ − p̄)² + (p⁽²⁾ − p̄)², compared with Student's t with 5 d.f.
    /// - Returns: nil when every replication has zero variance (t is undefined).
    public static func test(differences: [[Double]]) -> (t: Double, p: Double, meanDifference: Double)? {
        guard differences.count == 5, differences.allSatisfy({ $0.count == 2 }) else { return nil }
        var varianceSum = 0.0
        for d in differences {
            let mean = (d[0] + d[1]) / 2
            varianceSum += (d[0] - mean) * (d[0] - mean) + (d[1] - mean) * (d[1] - mean)
        }
        guard varianceSum > 0 else { return nil }
        let t = differences[0][0] / (varianceSum / 5).squareRoot()
        let mean = differences.joined().reduce(0, +) / 10
        return (t, Distributions.studentTTwoSided(t, df: 5), mean)
    }
}
