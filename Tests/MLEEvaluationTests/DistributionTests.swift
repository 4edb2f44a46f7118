import Foundation
import MLEEvaluation
import MLETestSupport
import Testing

@Test func normalQuantileAndCDFMatchTables() {
    // Φ⁻¹(0.975) = 1.959963984540054, Φ⁻¹(0.995) = 2.5758293035489, Φ⁻¹(1e-10) = −6.361340902404
    #expect(abs(Distributions.normalQuantile(0.975) - 1.959963984540054) < 1e-12)
    #expect(abs(Distributions.normalQuantile(0.995) - 2.5758293035489004) < 1e-12)
    #expect(abs(Distributions.normalQuantile(1e-10) - (-6.361340902404056)) < 1e-9)
    #expect(abs(Distributions.normalQuantile(0.3) - (-0.5244005127080407)) < 1e-12)
    #expect(abs(Distributions.normalCDF(1.96) - 0.9750021048517795) < 1e-14)
}

@Test func incompleteBetaMatchesClosedForms() {
    // I_x(1, b) = 1 − (1−x)^b ; I_x(a, 1) = x^a ; I_0.5(a, a) = 0.5
    #expect(abs(Distributions.incompleteBeta(0.3, 1, 4) - (1 - pow(0.7, 4))) < 1e-14)
    #expect(abs(Distributions.incompleteBeta(0.3, 5, 1) - pow(0.3, 5)) < 1e-14)
    #expect(abs(Distributions.incompleteBeta(0.5, 7.5, 7.5) - 0.5) < 1e-14)
    #expect(abs(Distributions.betaQuantile(0.9, 1, 4) - (1 - pow(0.1, 0.25))) < 1e-12)
}

@Test func studentTChiSquareAndBinomialMatchTables() {
    // scipy.stats.t.sf(2.5705818366147395, 5) * 2 = 0.04999999994063355; χ²₁ = 3.841459 is the 5% point.
    #expect(abs(Distributions.studentTTwoSided(2.5705818366147395, df: 5) - 0.04999999994063355) < 1e-14)
    #expect(abs(Distributions.chiSquare1Survival(3.841458820694124) - 0.05) < 1e-12)
    // P(X ≤ 2), X ~ Bin(10, 0.5) = (1 + 10 + 45) / 1024
    #expect(abs(Distributions.binomialCDF(2, n: 10, p: 0.5) - 56.0 / 1024) < 1e-14)
}

@Test func proportionIntervalsMatchPublishedValuesFor18Of20() {
    // R binom.confint / statsmodels proportion_confint for 18 successes in 20 at 95%.
    let expected: [(ProportionMethod, Double, Double)] = [
        (.wilson, 0.698966, 0.972134), (.clopperPearson, 0.683017, 0.987651),
        (.agrestiCoull, 0.686756, 0.984344), (.jeffreys, 0.716147, 0.978628),
        // Wald is published to 4 decimals; by hand 0.9 ± 1.959964·sqrt(0.9·0.1/20) = [0.7685216, 1.0314784],
        // clipped to [0, 1] as statsmodels does.
        (.wald, 0.7685216, 1)
    ]
    for (method, low, high) in expected {
        guard let i = method.interval(successes: 18, trials: 20, level: 0.95) else {
            Issue.record("no interval"); continue
        }
        #expect(abs(i.low - low) < 1e-6 && abs(i.high - high) < 1e-6, "\(method): \(i.low) \(i.high)")
        #expect(i.estimate == 0.9)
    }
}

@Test func proportionIntervalsAtTheEdges() {
    let cp = ProportionMethod.clopperPearson.interval(successes: 0, trials: 10, level: 0.95)
    // Upper Clopper–Pearson bound for 0/10: 1 − 0.025^(1/10) = 0.3084971
    #expect(cp?.low == 0 && abs((cp?.high ?? 0) - (1 - pow(0.025, 0.1))) < 1e-9)
    #expect(ProportionMethod.wilson.interval(successes: 1, trials: 0, level: 0.95) == nil)
    let w = ProportionMethod.wilson.interval(successes: 10, trials: 10, level: 0.95)
    #expect((w?.high ?? 0) <= 1 + 1e-12 && (w?.low ?? 1) > 0.6)
}
