import MLEEvaluation
import MLETestSupport
import Testing

@Test func classificationMetricsMatchHandComputation() {
    // truth 0,0,1,1,2,2 · predicted 0,1,1,1,2,0 → confusion [[1,1,0],[0,2,0],[1,0,1]].
    let m = ClassificationMetrics(truth: [0, 0, 1, 1, 2, 2], predicted: [0, 1, 1, 1, 2, 0], classNames: ["a", "b", "c"])
    #expect(m.confusion == [[1, 1, 0], [0, 2, 0], [1, 0, 1]])
    #expect(m.accuracy == 4.0 / 6.0)
    #expect(m.perClass.map(\.precision) == [0.5, 2.0 / 3.0, 1.0])
    #expect(m.perClass.map(\.recall) == [0.5, 1.0, 0.5])
    let f1 = m.perClass.map { $0.f1 ?? -1 }
    #expect(abs(f1[0] - 0.5) < 1e-12 && abs(f1[1] - 0.8) < 1e-12 && abs(f1[2] - 2.0 / 3.0) < 1e-12)
    // macro F1 = (0.5 + 0.8 + 0.6667) / 3 (scikit-learn f1_score(average="macro") gives 0.6555…)
    #expect(abs(m.macroF1 - (0.5 + 0.8 + 2.0 / 3.0) / 3) < 1e-12)
    #expect(abs(m.weightedF1 - (0.5 * 2 + 0.8 * 2 + 2.0 / 3.0 * 2) / 6) < 1e-12)
}

@Test func classNeverPredictedHasUndefinedPrecision() {
    let m = ClassificationMetrics(truth: [0, 0, 0, 1], predicted: [0, 0, 0, 0], classNames: ["neg", "pos"])
    // Precision 0/0 is undefined; F1 = 2·tp / (2·tp + fp + fn) = 0 / 1 is 0, as scikit-learn gives it.
    #expect(m.perClass[1].precision == nil && m.perClass[1].recall == 0 && m.perClass[1].f1 == 0)
    #expect(m.hasUndefined)
    // F1 of neg = 2·0.75·1/1.75 = 6/7; macro = (6/7 + 0)/2.
    #expect(abs(m.macroF1 - 3.0 / 7.0) < 1e-12)
}

@Test func regressionMetricsMatchHandComputation() {
    let r = RegressionMetrics(truth: [1, 2, 3, 4], predicted: [1, 3, 2, 6])
    #expect(r.mse == 1.5)  // (0 + 1 + 1 + 4) / 4
    #expect(r.mae == 1.0)  // (0 + 1 + 1 + 2) / 4
    #expect(r.r2 == 1 - 6.0 / 5.0)  // SSE 6, SST 5
    #expect(RegressionMetrics(truth: [2, 2], predicted: [1, 2]).r2 == nil)
}
