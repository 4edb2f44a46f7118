import Foundation
import MLEEvaluation
import MLETestSupport
import Testing

@Test func mcNemarMatchesHandComputation() {
    // b = 10, c = 3: exact p = 2·P(X ≤ 3 | 13, ½) = 2·(1 + 13 + 78 + 286)/8192;
    // χ² = (|10 − 3| − 1)²/13 = 36/13, p = scipy.stats.chi2.sf(36/13, 1) = 0.0960923294556734.
    let m = McNemar(onlyA: 10, onlyB: 3)
    #expect(abs(m.exactP - 2 * 378.0 / 8192) < 1e-14)
    #expect(abs(m.chiSquare - 36.0 / 13) < 1e-14)
    #expect(abs(m.chiSquareP - 0.0960923294556734) < 1e-12)
    let fromPredictions = McNemar(truth: [1, 1, 0, 0, 1], predictedA: [1, 0, 0, 1, 1], predictedB: [0, 1, 0, 0, 1])
    #expect(fromPredictions.onlyA == 1 && fromPredictions.onlyB == 2)
    #expect(McNemar(onlyA: 0, onlyB: 0).exactP == 1)
}

@Test func gTestMatchesHandComputation() throws {
    // Expected counts 136/1864 per arm; G = 2 Σ O ln(O/E) = 4.048120249269971, p = 0.04422055917389675.
    let g = try #require(ABTest.gTest(successesA: 120, trialsA: 2000, successesB: 152, trialsB: 2000))
    #expect(abs(g.g - 4.048120249269971) < 1e-10)
    #expect(abs(g.p - 0.04422055917389675) < 1e-10)
    #expect(ABTest.gTest(successesA: 5, trialsA: 4, successesB: 1, trialsB: 2) == nil)
}

@Test func zTestMatchesHandComputation() throws {
    // Means 2.5 and 5, variances 5/3 and 20/3: SE = sqrt(25/12), z = 2.5/SE = √3, p = 2Φ(−√3).
    let z = try #require(ABTest.zTest([1, 2, 3, 4], [2, 4, 6, 8], level: 0.95))
    #expect(abs(z.z - 3.0.squareRoot()) < 1e-12)
    #expect(abs(z.p - 0.0832645166635504) < 1e-12)
    let se = (25.0 / 12).squareRoot()
    #expect(abs(z.difference.low - (2.5 - 1.959963984540054 * se)) < 1e-9)
}

@Test func ucb1IsSeededAndFavoursTheBestArm() {
    let a = ABTest.ucb1(rates: [0.2, 0.5, 0.8], rounds: 5000, seed: 3)
    let b = ABTest.ucb1(rates: [0.2, 0.5, 0.8], rounds: 5000, seed: 3)
    #expect(a.pulls == b.pulls && a.rewards == b.rewards)
    #expect(a.pulls.reduce(0, +) == 5000)
    #expect(a.pulls[2] > a.pulls[1] && a.pulls[1] > a.pulls[0])
    // Regret is Σ pulls·(0.8 − rate), by definition.
    #expect(abs(a.regret - (Double(a.pulls[0]) * 0.6 + Double(a.pulls[1]) * 0.3)) < 1e-9)
    // UCB1's regret grows logarithmically: far below uniform play's 5000·0.3 = 1500.
    #expect(a.regret < 400)
}

@Test func pairedBootstrapOfIdenticalModelsIsZero() throws {
    let o = Outcomes.classification(
        truth: [0, 1, 1, 0, 1, 0, 1, 1], predicted: [0, 1, 0, 0, 1, 1, 1, 1],
        classCount: 2, scores: nil, positive: 1)
    let c = try PairedComparison.compare(
        o, o, metric: .accuracy, level: 0.95, resamples: 500, seed: 1, stratified: false)
    #expect(c.difference == Interval(estimate: 0, low: 0, high: 0))
    #expect(c.mcnemar == McNemar(onlyA: 0, onlyB: 0))
}

@Test func fiveByTwoStatisticMatchesHandComputation() throws {
    // s² per replication: (0.02,0.04) → 0.0002; (0.01,0.03) → 0.0002; (0.03,0.03) → 0;
    // (0,0.02) → 0.0002; (0.05,0.01) → 0.0008. Σ = 0.0014; t = 0.02 / sqrt(0.0014/5).
    let d = [[0.02, 0.04], [0.01, 0.03], [0.03, 0.03], [0.0, 0.02], [0.05, 0.01]]
    let r = try #require(FiveByTwoCV.test(differences: d))
    let t = 0.02 / (0.0014 / 5).squareRoot()
    #expect(abs(r.t - t) < 1e-12)
    #expect(abs(r.p - Distributions.studentTTwoSided(t, df: 5)) < 1e-15)
    #expect(abs(r.meanDifference - 0.024) < 1e-15)
    #expect(FiveByTwoCV.test(differences: [[Double]](repeating: [0.1, 0.1], count: 5)) == nil)
}
