import Foundation
import MLELearning
import MLETestSupport
import Testing

@testable import MLEEvaluation

private func outcomes(_ truth: [Int], _ predicted: [Int], classes: Int, positive: Int) -> Outcomes {
    .classification(truth: truth, predicted: predicted, classCount: classes, scores: nil, positive: positive)
}

/// Confusion `[actual][predicted]` spelled out as items.
private func items(_ c: [[Int]]) -> (truth: [Int], predicted: [Int]) {
    var t: [Int] = [], p: [Int] = []
    for (i, row) in c.enumerated() {
        for (j, n) in row.enumerated() { t += Array(repeating: i, count: n); p += Array(repeating: j, count: n) }
    }
    return (t, p)
}

@Test func imbalancedMetricsMatchHandComputationsOnSmallConfusionMatrices() throws {
    // Positive class 1: TP 6, FN 4, FP 9, TN 81.
    let c = [[81, 9], [4, 6]]
    let (t, p) = items(c)
    let o = outcomes(t, p, classes: 2, positive: 1)
    let sen = 0.6, spe = 0.9
    #expect(abs(try #require(Metric.sensitivity.value(of: o)) - sen) < 1e-12)
    #expect(abs(try #require(Metric.specificity.value(of: o)) - spe) < 1e-12)
    #expect(abs(try #require(Metric.balancedAccuracy.value(of: o)) - 0.75) < 1e-12)
    #expect(abs(try #require(Metric.gmean.value(of: o)) - (sen * spe).squareRoot()) < 1e-12)  // √0.54
    #expect(abs(try #require(Metric.iba.value(of: o)) - (1 + 0.1 * (sen - spe)) * sen * spe) < 1e-12)  // 0.97 · 0.54
    // MCC = (6·81 − 9·4) / √(15 · 10 · 90 · 85) = 450 / √1147500.
    #expect(abs(try #require(Metric.mcc.value(of: o)) - 450 / 1_147_500.0.squareRoot()) < 1e-12)

    // No positive predicted: sensitivity 0, G-mean 0, IBA 0, MCC 0 by convention, precision undefined.
    let (t0, p0) = items([[90, 0], [10, 0]])
    let none = outcomes(t0, p0, classes: 2, positive: 1)
    #expect(Metric.sensitivity.value(of: none) == 0)
    #expect(Metric.gmean.value(of: none) == 0)
    #expect(Metric.iba.value(of: none) == 0)
    #expect(Metric.mcc.value(of: none) == 0)
    #expect(Metric.precision.value(of: none) == nil)
    // No positive in the truth: sensitivity and IBA are undefined, not NaN.
    let (t1, p1) = items([[95, 5], [0, 0]])
    let absent = outcomes(t1, p1, classes: 2, positive: 1)
    #expect(Metric.sensitivity.value(of: absent) == nil)
    #expect(Metric.iba.value(of: absent) == nil)
    #expect(Metric.gmean.value(of: absent).map { abs($0 - 0.95) < 1e-12 } == true)  // over the classes present
    // Three classes: G-mean is the cube root of the recalls' product.
    let (t3, p3) = items([[8, 1, 1], [2, 6, 2], [0, 1, 4]])
    let three = outcomes(t3, p3, classes: 3, positive: 2)
    #expect(abs(try #require(Metric.gmean.value(of: three)) - Foundation.cbrt(0.8 * 0.6 * 0.8)) < 1e-12)
}

@Test func imbalancedReportMatchesImbalancedLearn() throws {
    let url = fixtureURL("MLEEvaluationTests", "imbalance.json")
    let fixture = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    let cases = try #require(fixture["cases"] as? [[String: Any]])
    #expect(cases.count == 4)
    for c in cases {
        let name = c["name"] as? String ?? ""
        let truth = try #require(c["truth"] as? [Int]), predicted = try #require(c["predicted"] as? [Int])
        let k = try #require(c["classes"] as? Int), positive = try #require(c["positive"] as? Int)
        let o = outcomes(truth, predicted, classes: k, positive: positive)
        func near(_ a: Double?, _ key: String, undefinedAsZero: Bool = false) {
            let b = c[key] as? Double ?? .nan
            let v = a ?? (undefinedAsZero ? 0 : .nan)
            #expect(abs(v - b) < 1e-12, "\(name) \(key): \(v) vs imbalanced-learn \(b)")
        }
        near(Metric.gmean.value(of: o), "gmean")
        near(Metric.sensitivity.value(of: o), "sensitivity")
        near(Metric.specificity.value(of: o), "specificity")
        near(Metric.iba.value(of: o), "iba")
        near(Metric.balancedAccuracy.value(of: o), "balanced_accuracy")
        near(Metric.mcc.value(of: o), "mcc")

        var confusion = [[Int]](repeating: [Int](repeating: 0, count: k), count: k)
        for (t, p) in zip(truth, predicted) { confusion[t][p] += 1 }
        let report = ImbalancedReport(confusion: confusion, classNames: (0..<k).map(String.init))
        let rows = try #require(c["report"] as? [String: [String: Double]])
        for row in report.rows {
            let ref = try #require(rows[row.name])
            // imbalanced-learn reports an undefined figure as 0 (zero_division=0); here it is nil.
            for (key, v) in [
                ("pre", row.precision), ("rec", row.recall), ("spe", row.specificity), ("f1", row.f1),
                ("geo", row.gmean), ("iba", row.iba), ("sup", Double(row.support))
            ] {
                #expect(abs((v ?? 0) - (ref[key] ?? .nan)) < 1e-12, "\(name) class \(row.name) \(key)")
            }
        }
        let avg = try #require(c["avg"] as? [String: Double])
        let a = report.average
        for (key, v) in [
            ("avg_pre", a.precision), ("avg_rec", a.recall), ("avg_spe", a.specificity), ("avg_f1", a.f1),
            ("avg_geo", a.gmean), ("avg_iba", a.iba)
        ] {
            #expect(abs((v ?? .nan) - (avg[key] ?? .nan)) < 1e-12, "\(name) \(key)")
        }
        if name == "none_predicted" || name == "class_never_predicted" {
            #expect(report.hasUndefined && report.rows.contains { $0.precision == nil })
        }
    }
}

@Test func thresholdSearchFindsTheBestCutByHand() throws {
    // Scores and truth: positives at 0.35, 0.6, 0.9; negatives at 0.1, 0.2, 0.4, 0.5.
    let scores = [0.1, 0.2, 0.35, 0.4, 0.5, 0.6, 0.9]
    let truth = [false, false, true, false, false, true, true]
    // Balanced accuracy by cut: above 0.5 → (2/3 + 1)/2 = 0.8333; above 0.3 → (1 + 2/4)/2 = 0.75.
    let best = try #require(ThresholdSearch.best(scores: scores, truth: truth, metric: .balancedAccuracy))
    #expect(abs(best.threshold - 0.55) < 1e-12 && abs(best.value - 5.0 / 6) < 1e-12)
    // Sensitivity is 1 at every cut below 0.35; of those, the one nearest one half wins.
    let all = try #require(ThresholdSearch.best(scores: scores, truth: truth, metric: .sensitivity))
    #expect(all.value == 1 && abs(all.threshold - 0.275) < 1e-12)
    // One class only: balanced accuracy is still defined, but MCC and sensitivity of an absent class are not.
    #expect(ThresholdSearch.best(scores: [0.2, 0.7], truth: [false, false], metric: .sensitivity) == nil)
}
