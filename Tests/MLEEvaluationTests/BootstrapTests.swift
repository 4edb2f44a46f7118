import Foundation
import MLETensor
import MLETestSupport
import Testing

@testable import MLEEvaluation

nonisolated(unsafe) let fixture: [String: Any] = {
    let url = fixtureURL("MLEEvaluationTests", "evaluation.json")
    guard let data = try? Data(contentsOf: url),
        let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    else { return [:] }
    return object
}()

func section(_ name: String) -> [String: Any] { fixture[name] as? [String: Any] ?? [:] }
func ints(_ s: [String: Any], _ k: String) -> [Int] { (s[k] as? [NSNumber] ?? []).map(\.intValue) }
func doubles(_ s: [String: Any], _ k: String) -> [Double] { (s[k] as? [NSNumber] ?? []).map(\.doubleValue) }
func number(_ s: [String: Any], _ k: String) -> Double { (s[k] as? NSNumber)?.doubleValue ?? .nan }

func plainValue(_ metric: Metric, _ outcomes: Outcomes) -> Double? {
    WeightedEvaluator(metric: metric, outcomes: outcomes).value(weights: [Double](repeating: 1, count: outcomes.count))
}

@Test func metricsMatchScikitLearnOnBinaryData() {
    let b = section("binary")
    let truth = ints(b, "truth")
    #expect(truth.count == 60)
    let outcomes = Outcomes.classification(
        truth: truth, predicted: ints(b, "predicted_a"), classCount: 2,
        scores: doubles(b, "score_a"), positive: 1)
    for (metric, key) in [
        (Metric.accuracy, "accuracy"), (.precision, "precision"), (.recall, "recall"), (.f1, "f1"),
        (.macroF1, "macro_f1"), (.balancedAccuracy, "balanced_accuracy"), (.mcc, "mcc"),
        (.auc, "auc_a"), (.averagePrecision, "average_precision_a")
    ] {
        let v = plainValue(metric, outcomes) ?? .nan
        #expect(abs(v - number(b, key)) < 1e-12, "\(metric): \(v) vs \(number(b, key))")
    }
}

@Test func metricsMatchScikitLearnOnThreeClassesAndRegression() {
    let m = section("multiclass")
    let truth = ints(m, "truth"), predicted = ints(m, "predicted")
    let o = Outcomes.classification(truth: truth, predicted: predicted, classCount: 3, scores: nil, positive: 2)
    for (metric, key) in [
        (Metric.accuracy, "accuracy"), (.macroF1, "macro_f1"), (.balancedAccuracy, "balanced_accuracy"),
        (.mcc, "mcc"), (.recall, "recall_class_2"), (.precision, "precision_class_2")
    ] {
        #expect(abs((plainValue(metric, o) ?? .nan) - number(m, key)) < 1e-12, "\(metric)")
    }
    let r = section("regression")
    let ro = Outcomes.regression(truth: doubles(r, "truth"), predicted: doubles(r, "predicted"))
    for (metric, key) in [(Metric.mse, "mse"), (.mae, "mae"), (.r2, "r2")] {
        #expect(abs((plainValue(metric, ro) ?? .nan) - number(r, key)) < 1e-10, "\(metric)")
    }
    #expect(abs((plainValue(.rmse, ro) ?? .nan) - number(r, "mse").squareRoot()) < 1e-10)
}

@Test func deLongMatchesTheDirectDefinition() throws {
    let b = section("binary")
    let truth = ints(b, "truth").map { $0 == 1 }
    let a = try #require(DeLong.components(truth: truth, scores: doubles(b, "score_a")))
    let single = section("delong_single")
    #expect(abs(a.auc - number(single, "auc")) < 1e-12)
    #expect(abs(DeLong.variance(a) - number(single, "variance")) < 1e-14)
    let pair = section("delong_pair")
    let cmp = try #require(DeLong.compare(truth: truth, scoresA: doubles(b, "score_a"), scoresB: doubles(b, "score_b")))
    #expect(abs(cmp.difference - (number(pair, "auc_b") - number(pair, "auc_a"))) < 1e-12)
    #expect(abs(cmp.standardError * cmp.standardError - number(pair, "variance_difference")) < 1e-14)
    #expect(abs(cmp.z - number(pair, "z")) < 1e-9 && abs(cmp.p - number(pair, "p")) < 1e-9)
}

@Test func binomialAndMultinomialSamplersHaveTheRightMoments() {
    var rng = SeededGenerator(seed: 3)
    for (n, p) in [(10, 0.3), (1000, 0.5), (100_000, 0.02), (100_000, 0.97)] {
        let draws = (0..<4000).map { _ in Double(rng.nextBinomial(n, p)) }
        let mean = draws.reduce(0, +) / 4000
        let variance = draws.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 3999
        let mu = Double(n) * p, sigma2 = Double(n) * p * (1 - p)
        // Mean within 5 standard errors; variance within 15%.
        #expect(abs(mean - mu) < 5 * (sigma2 / 4000).squareRoot(), "Bin(\(n), \(p)) mean \(mean)")
        #expect(abs(variance / sigma2 - 1) < 0.15, "Bin(\(n), \(p)) variance \(variance)")
        #expect(draws.allSatisfy { $0 >= 0 && $0 <= Double(n) })
    }
    var counts = [0, 0, 0]
    rng.nextMultinomial(1000, [0.2, 0.5, 0.3], into: &counts)
    #expect(counts.reduce(0, +) == 1000)
}

@Test func quantileIsNumPysLinearInterpolation() {
    // numpy.percentile([1, 2, 3, 4, 10], [2.5, 50, 97.5]) = [1.1, 3.0, 9.4]
    let s: [Double] = [1, 2, 3, 4, 10]
    #expect(abs(Bootstrap.quantile(s, 0.025) - 1.1) < 1e-12)
    #expect(Bootstrap.quantile(s, 0.5) == 3)
    #expect(abs(Bootstrap.quantile(s, 0.975) - 9.4) < 1e-12)
}

@Test func bootstrapIsSeededAndIndependentOfScheduling() throws {
    let b = section("binary")
    let o = Outcomes.classification(
        truth: ints(b, "truth"), predicted: ints(b, "predicted_a"), classCount: 2,
        scores: doubles(b, "score_a"), positive: 1)
    for metric in [Metric.accuracy, .auc] {
        let x = try Bootstrap.interval(
            metric: metric, outcomes: o, method: .bca, level: 0.95, resamples: 2000, seed: 5, stratified: false)
        let y = try Bootstrap.interval(
            metric: metric, outcomes: o, method: .bca, level: 0.95, resamples: 2000, seed: 5, stratified: false)
        let z = try Bootstrap.interval(
            metric: metric, outcomes: o, method: .bca, level: 0.95, resamples: 2000, seed: 6, stratified: false)
        #expect(x.interval == y.interval && x.interval != z.interval)
        #expect(x.interval.low < x.interval.estimate && x.interval.estimate < x.interval.high)
    }
}

@Test func bcaFallsBackToPercentileOnAPerfectScore() throws {
    let o = Outcomes.classification(
        truth: [0, 1, 0, 1, 1], predicted: [0, 1, 0, 1, 1], classCount: 2, scores: nil, positive: 1)
    let r = try Bootstrap.interval(
        metric: .accuracy, outcomes: o, method: .bca, level: 0.95, resamples: 999, seed: 1, stratified: false)
    #expect(r.method == .percentile && r.fallbackReason != nil)
    #expect(r.interval == Interval(estimate: 1, low: 1, high: 1))
}

@Test func percentileAndBasicAreMirrorImages() throws {
    let o = Outcomes.regression(
        truth: (0..<40).map { Double($0) }, predicted: (0..<40).map { Double($0) + sin(Double($0)) * 3 })
    let p = try Bootstrap.interval(
        metric: .mae, outcomes: o, method: .percentile, level: 0.9, resamples: 999, seed: 2, stratified: false)
    let q = try Bootstrap.interval(
        metric: .mae, outcomes: o, method: .basic, level: 0.9, resamples: 999, seed: 2, stratified: false)
    #expect(abs((p.interval.low + q.interval.high) - 2 * p.interval.estimate) < 1e-12)
    #expect(abs((p.interval.high + q.interval.low) - 2 * p.interval.estimate) < 1e-12)
}

@Test func accelerationMatchesTheJackknifeFormulaForAccuracy() {
    // Accuracy with c correct of n: leave-one-out values are (c−1)/(n−1) (c times) and c/(n−1)
    // (n−c times); a = Σ(θ̄−θᵢ)³ / (6 (Σ(θ̄−θᵢ)²)^1.5), computed here by hand.
    let truth = [0, 0, 0, 1, 1, 1, 1, 0, 1, 0], predicted = [0, 0, 1, 1, 1, 0, 1, 0, 1, 0]
    let o = Outcomes.classification(truth: truth, predicted: predicted, classCount: 2, scores: nil, positive: 1)
    let jack = Bootstrap.jackknife(evaluator: WeightedEvaluator(metric: .accuracy, outcomes: o), outcomes: o)
    let c = 8.0, n = 10.0
    let values = [Double](repeating: (c - 1) / (n - 1), count: 8) + [Double](repeating: c / (n - 1), count: 2)
    let mean = values.reduce(0, +) / n
    let num = values.reduce(0) { $0 + pow(mean - $1, 3) }, den = values.reduce(0) { $0 + pow(mean - $1, 2) }
    let expected = num / (6 * pow(den, 1.5))
    let jn = jack.reduce(0) { $0 + $1.1 }
    let jm = jack.reduce(0) { $0 + $1.0 * $1.1 } / jn
    let a =
        jack.reduce(0) { $0 + $1.1 * pow(jm - $1.0, 3) }
        / (6 * pow(jack.reduce(0) { $0 + $1.1 * pow(jm - $1.0, 2) }, 1.5))
    #expect(jn == 10 && abs(a - expected) < 1e-12)
}

@Test func wilsonAndBootstrapIntervalsCoverTheTrueAccuracy() throws {
    // 400 synthetic test sets of 211 items from a classifier whose true accuracy is 0.8. With 211
    // items 0.8 is never exactly an attainable accuracy, so discreteness does not inflate coverage.
    var rng = SeededGenerator(seed: 99)
    var wilson = 0, percentile = 0, bca = 0
    let sets = 400
    for s in 0..<sets {
        let truth = (0..<211).map { _ in rng.nextIndex(2) }
        let predicted = truth.map { rng.nextUnit() < 0.8 ? $0 : 1 - $0 }
        let o = Outcomes.classification(truth: truth, predicted: predicted, classCount: 2, scores: nil, positive: 1)
        let correct = zip(truth, predicted).filter { $0 == $1 }.count
        if let w = ProportionMethod.wilson.interval(successes: correct, trials: 211, level: 0.95), w.low <= 0.8,
            0.8 <= w.high
        {
            wilson += 1
        }
        let p = try Bootstrap.interval(
            metric: .accuracy, outcomes: o, method: .percentile, level: 0.95, resamples: 999, seed: UInt64(s),
            stratified: false)
        if p.interval.low <= 0.8, 0.8 <= p.interval.high { percentile += 1 }
        let b = try Bootstrap.interval(
            metric: .accuracy, outcomes: o, method: .bca, level: 0.95, resamples: 999, seed: UInt64(s),
            stratified: false)
        if b.interval.low <= 0.8, 0.8 <= b.interval.high { bca += 1 }
    }
    // Nominal 95%: expect 92–98% over 400 sets (binomial sd ≈ 1.1 points).
    for (name, hits) in [("wilson", wilson), ("percentile", percentile), ("bca", bca)] {
        let share = Double(hits) / Double(sets)
        #expect(share > 0.92 && share < 0.98, "\(name) coverage \(share)")
    }
}

@Test func stratifiedResamplingKeepsEachClassSize() throws {
    // Model a is right on every item of class 0 and wrong on every item of class 1, so its
    // accuracy is the share of class 0: constant when each class keeps its size, variable if not.
    let truth = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1]
    let a = Outcomes.classification(
        truth: truth, predicted: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0], classCount: 2, scores: nil, positive: 1)
    // Cells route (confusion metric alone).
    let strat = try Bootstrap.replicates(metric: .accuracy, outcomes: a, resamples: 500, seed: 1, stratified: true)
    #expect(Set(strat.compactMap { $0 }) == [0.6])
    let plain = try Bootstrap.replicates(metric: .accuracy, outcomes: a, resamples: 500, seed: 1, stratified: false)
    #expect(Set(plain.compactMap { $0 }).count > 3)
    // Items route (paired): b is wrong everywhere, so b − a = −accuracy(a) = −0.6 on every stratified resample.
    let b = Outcomes.classification(
        truth: truth, predicted: [1, 1, 1, 1, 1, 1, 0, 0, 0, 0], classCount: 2, scores: nil, positive: 1)
    let paired = try Bootstrap.replicates(
        metric: .accuracy, outcomes: a, resamples: 500, seed: 1, stratified: true, pairedWith: b)
    #expect(paired.allSatisfy { $0.map { abs($0 + 0.6) < 1e-12 } ?? false })
}
