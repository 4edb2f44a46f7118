import Foundation
import MLETestSupport
import Testing

@testable import MLEEvaluation
@testable import MLELearning

/// The places mle once differed from its references, checked against values recorded by
/// scripts/fixtures/make_reference_fixtures.py (statsmodels and scikit-learn).
private var references: [String: Any] { jsonFixture("MLEEvaluationTests", "references.json") }

@Test func proportionIntervalsMatchStatsmodelsAtTheEdges() throws {
    let cases = try #require(references["proportion_intervals"] as? [[String: Any]])
    #expect(cases.count == 110)
    for c in cases {
        let x = try #require(c["successes"] as? Int), n = try #require(c["trials"] as? Int)
        let level = try #require(c["level"] as? Double)
        let name = try #require(c["method"] as? String)
        let method = try #require(ProportionMethod(rawValue: name))
        let i = try #require(method.interval(successes: x, trials: n, level: level))
        let low = try #require(c["low"] as? Double), high = try #require(c["high"] as? Double)
        #expect(
            isClose(i.low, low, relative: 1e-9, absolute: 1e-12)
                && isClose(i.high, high, relative: 1e-9, absolute: 1e-12),
            "\(name) \(x)/\(n) at \(level): [\(i.low), \(i.high)] vs [\(low), \(high)]")
    }
}

@Test func mcNemarMatchesStatsmodelsIncludingEqualCounts() throws {
    let cases = try #require(references["mcnemar"] as? [[String: Any]])
    #expect(cases.count == 8)
    for c in cases {
        let a = try #require(c["only_a"] as? Int), b = try #require(c["only_b"] as? Int)
        let m = McNemar(onlyA: a, onlyB: b)
        let chi = try #require(c["chi_square"] as? Double), p = try #require(c["chi_square_p"] as? Double)
        let exact = try #require(c["exact_p"] as? Double)
        #expect(isClose(m.chiSquare, chi, relative: 1e-12), "\(a), \(b): χ² \(m.chiSquare) vs \(chi)")
        #expect(isClose(m.chiSquareP, p, relative: 1e-9), "\(a), \(b): p \(m.chiSquareP) vs \(p)")
        #expect(isClose(m.exactP, exact, relative: 1e-9), "\(a), \(b): exact p \(m.exactP) vs \(exact)")
    }
}

@Test func uniformBinsPutEveryPenguinInScikitLearnsBin() throws {
    let cases = try #require(references["uniform_bins"] as? [[String: Any]])
    #expect(cases.count == 20)
    let data = try Dataset.load(path: dataPath("penguins.csv"), targetName: "species")
    var onEdges = 0
    for c in cases {
        let column = try #require(c["column"] as? String), bins = try #require(c["bins"] as? Int)
        let rows = try #require(c["rows"] as? [Int]), expected = try #require(c["bin"] as? [Int])
        onEdges += try #require(c["values_on_an_edge"] as? Int)
        let j = try #require(data.featureNames.firstIndex(of: column))
        let values = rows.map { data.features[$0, j] }
        let edges = Preprocessor.binEdges(values, bins: bins, how: .uniform)
        let got = values.map { Preprocessor.bin($0, edges) }
        let wrong = zip(got, expected).filter { $0 != $1 }.count
        #expect(got.count == expected.count && wrong == 0, "\(column), \(bins) bins: \(wrong) rows in another bin")
    }
    // The fixture exercises the case that once failed: values exactly on an edge.
    #expect(onEdges > 50)
}

@Test func perClassFiguresOfANeverPredictedClassMatchScikitLearn() throws {
    let c = try #require(references["never_predicted"] as? [String: Any])
    let truth = try #require(c["truth"] as? [Int]), predicted = try #require(c["predicted"] as? [Int])
    let names = ["a", "b", "c", "d"]
    let metrics = ClassificationMetrics(truth: truth, predicted: predicted, classNames: names)
    var confusion = [[Int]](repeating: [0, 0, 0, 0], count: 4)
    for (t, p) in zip(truth, predicted) { confusion[t][p] += 1 }
    let imbalanced = ImbalancedReport(confusion: confusion, classNames: names)
    for (key, evaluate, imbalance) in [
        ("precision", metrics.perClass.map(\.precision), imbalanced.rows.map(\.precision)),
        ("recall", metrics.perClass.map(\.recall), imbalanced.rows.map(\.recall)),
        ("f1", metrics.perClass.map(\.f1), imbalanced.rows.map(\.f1))
    ] {
        let expected = try #require(c[key] as? [Any]).map { $0 as? Double }
        #expect(evaluate.count == 4 && imbalance.count == 4)
        for k in 0..<4 {
            #expect(
                evaluate[k] == expected[k] || isClose(evaluate[k] ?? .nan, expected[k] ?? .nan), "evaluate \(key)[\(k)]"
            )
            #expect(
                imbalance[k] == expected[k] || isClose(imbalance[k] ?? .nan, expected[k] ?? .nan),
                "imbalanced \(key)[\(k)]")
        }
    }
    // Class c has support and is never predicted: its F1 is 0, not undefined, in both reports.
    #expect(metrics.perClass[2].f1 == 0 && imbalanced.rows[2].f1 == 0)
}
