import Foundation
import MLELanguage
import MLETestSupport
import Testing

/// Runs a script in JSON mode and returns the parsed result lines.
func jsonResults(_ text: String) throws -> ([[String: Any]], BufferedOutput) {
    let (_, out, _) = run("set format json\n" + text, keepGoing: true)
    let objects = try out.results.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:] }
    return (objects, out)
}

let irisSetup = """
    data = load "\(dataPath("iris.csv"))" target=species
    train, test = split data ratio=0.8 stratify seed=1
    net = mlp train hidden=[8] epochs=30 lr=0.01 seed=2
    base = baseline train
    """

@Test func intervalCommandReportsWilsonForAccuracyByDefault() throws {
    let (results, out) = try jsonResults(irisSetup + "\ninterval base test")
    #expect(out.errors.isEmpty)
    let r = try #require(results.last)
    // The zero-rule baseline gets 10 of 30 right: Wilson's interval for 10/30 at 95%.
    #expect(r["method"] as? String == "wilson" && r["successes"] as? Int == 10 && r["trials"] as? Int == 30)
    let z = 1.959963984540054, p = 1.0 / 3, n = 30.0
    let center = (p + z * z / (2 * n)) / (1 + z * z / n)
    let half = z / (1 + z * z / n) * (p * (1 - p) / n + z * z / (4 * n * n)).squareRoot()
    #expect(abs((r["low"] as? Double ?? 0) - (center - half)) < 1e-12)
    #expect(abs((r["high"] as? Double ?? 0) - (center + half)) < 1e-12)
}

@Test func intervalCommandChecksMetricAndMethod() throws {
    let (_, out) = try jsonResults(
        irisSetup + """

            interval net test metric=f1
            interval net test metric=macro_f1 method=wilson
            interval net test metric=mse
            interval net test metric=auc method=delong positive=setosa
            interval net test metric=recall positive=setos
            """)
    #expect(
        out.errors == [
            "t.mle:6:1: error: f1 is about one class: add positive=CLASS (one of setosa, versicolor, virginica)",
            "t.mle:7:42: error: method=wilson is for proportions (accuracy, error, recall, precision, specificity); use method=bca for macro_f1",
            "t.mle:8:26: error: mse is a regression metric; the model predicts classes",
            "t.mle:10:42: error: no class named 'setos'; did you mean 'setosa'? (classes: setosa, versicolor, virginica)"
        ])
}

@Test func intervalBootstrapIsReproducibleWithSeed() throws {
    let (results, _) = try jsonResults(
        irisSetup + """

            interval net test metric=macro_f1 method=bca resamples=2000 seed=9
            interval net test metric=macro_f1 method=bca resamples=2000 seed=9
            interval net test metric=macro_f1 method=percentile resamples=2000 seed=9 histogram
            """)
    let a = results[results.count - 3], b = results[results.count - 2], c = results[results.count - 1]
    #expect(a["low"] as? Double == b["low"] as? Double && a["high"] as? Double == b["high"] as? Double)
    #expect(a["resamples"] as? Int == 2000 && a["seed"] as? Int == 9 && a["level"] as? Double == 0.95)
    // The histogram's bins, as rows of its table: every resample counted once.
    let histogram = c["histogram"] as? [[String: Any]] ?? []
    #expect(histogram.count == 20 && histogram.compactMap { $0["count"] as? Int }.reduce(0, +) == 2000)
}

@Test func compareGivesAVerdict() throws {
    let (results, out) = try jsonResults(irisSetup + "\ncompare base net test seed=3 resamples=2000")
    #expect(out.errors.isEmpty)
    let r = try #require(results.last)
    // The baseline is right on 10 items (all setosa); the network on those and more.
    #expect(r["mcnemar_only_a"] as? Int == 0)
    let onlyB = r["mcnemar_only_b"] as? Int ?? 0
    // The difference with its paired-bootstrap interval, as one value.
    let difference = r["difference"] as? [String: Double] ?? [:]
    #expect(
        (difference["low"] ?? 1) <= (difference["estimate"] ?? 0)
            && (difference["estimate"] ?? 0) <= (difference["high"] ?? -1))
    #expect(r["a"] as? String == "base" && r["b"] as? String == "net" && r["data"] as? String == "test")
    #expect(onlyB >= 15)
    let verdict = r["verdict"] as? String ?? ""
    #expect(verdict.hasPrefix("net is better on accuracy: +"), "\(verdict)")
    #expect(verdict.contains("McNemar p = ") || verdict.contains("McNemar p < "))
    let (same, _) = try jsonResults(irisSetup + "\ncompare net net test seed=3 resamples=500")
    #expect(
        same.last?["verdict"] as? String
            == "no detectable difference on accuracy: +0.0 points [+0.0, +0.0], McNemar p = 1.0000")
}

@Test func abtestFromCountsAndFromAColumn() throws {
    let (results, _) = try jsonResults("abtest a=[120, 2000] b=[152, 2000]")
    #expect(abs((results.last?["g"] as? Double ?? 0) - 4.048120249269971) < 1e-9)
    #expect(results.last?["verdict"] as? String == "b converts better (G-test p = 0.0442)")
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("mle-ab-\(UUID().uuidString).csv").path
    try "group,spent\nA,1\nA,2\nA,3\nA,4\nB,2\nB,4\nB,6\nB,8\n".write(toFile: file, atomically: true, encoding: .utf8)
    let (z, _) = try jsonResults("visits = load \"\(file)\" target=group\nabtest visits outcome=spent")
    #expect(abs((z.last?["z"] as? Double ?? 0) - 3.0.squareRoot()) < 1e-6)
}

@Test func evaluateWithIntervalsAddsThemToEveryMetric() throws {
    let (results, _) = try jsonResults(irisSetup + "\nevaluate net test intervals resamples=1000 seed=4")
    let r = try #require(results.last)
    // Each metric is its estimate with its interval.
    for key in ["accuracy", "macro_f1", "weighted_f1"] {
        let i = r[key] as? [String: Double] ?? [:]
        #expect((i["low"] ?? 1) <= (i["estimate"] ?? 0) && (i["estimate"] ?? 0) <= (i["high"] ?? -1), "\(key)")
    }
    let perClass = r["class_intervals"] as? [[String: Any]] ?? []
    #expect(perClass.count == 3 && perClass.allSatisfy { ($0["recall"] as? [String: Double])?["low"] != nil })
}

@Test func cvtestRunsTenTrainingsPerMethodAndIsReproducible() throws {
    let script = irisSetup + "\ncvtest base net train seed=5"
    let (first, out) = try jsonResults(script)
    #expect(out.errors.isEmpty)
    let (second, _) = try jsonResults(script)
    let r = try #require(first.last)
    // Each replication's two folds, from the rows of the folds table.
    func foldDifferences(_ report: [String: Any]?) -> [[Double]] {
        let folds = report?["folds"] as? [[String: Any]] ?? []
        return (1...5).map { i in
            folds.filter { $0["replication"] as? Int == i }.compactMap { $0["difference"] as? Double }
        }
    }
    let differences = foldDifferences(r)
    #expect(differences.count == 5 && differences.allSatisfy { $0.count == 2 })
    #expect(differences == foldDifferences(second.last))
    // The statistic is Dietterich's, recomputed here from the recorded differences.
    var s2 = 0.0
    for d in differences { let m = (d[0] + d[1]) / 2; s2 += (d[0] - m) * (d[0] - m) + (d[1] - m) * (d[1] - m) }
    #expect(abs((r["t"] as? Double ?? 0) - differences[0][0] / (s2 / 5).squareRoot()) < 1e-9)
    #expect((r["verdict"] as? String ?? "").hasPrefix("net's training method is better on accuracy"))
    #expect(r["method_a"] as? String == "baseline kind=zero_rule" && r["a"] as? String == "base")
}

@Test func retrainReportsTheSpreadBesideTheTestSetInterval() throws {
    let (results, out) = try jsonResults(irisSetup + "\nretrain net train test seeds=4 seed=1")
    #expect(out.errors.isEmpty)
    let r = try #require(results.last)
    // Every retraining's score, as rows of a table machines get; people see the spread.
    let values = (r["retrainings"] as? [[String: Any]] ?? []).compactMap { $0["value"] as? Double }
    #expect(values.count == 4)
    let mean = values.reduce(0, +) / 4
    #expect(abs((r["mean"] as? Double ?? 0) - mean) < 1e-12)
    #expect(r["test_set_method"] as? String == "Wilson")
    let testSet = r["test_set"] as? [String: Double] ?? [:]
    #expect(
        (testSet["low"] ?? 1) <= (testSet["estimate"] ?? 0) && (testSet["estimate"] ?? 0) <= (testSet["high"] ?? -1))
    let (_, table, _) = run(
        irisSetup.replacingOccurrences(of: "set format json", with: "") + "\nretrain net train test seeds=2 seed=1")
    #expect(
        table.results.last?.contains("source of variation") == true && table.results.last?.contains("\nseed  ") == false
    )
    let (bad, badOut) = try jsonResults(irisSetup + "\nretrain net train test seeds=1")
    #expect(bad.count == 4 && badOut.errors == ["t.mle:6:30: error: seeds must be between 2 and 10000"])
}

@Test func evaluateWithIntervalsOnARegressionModel() throws {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("mle-reg-\(UUID().uuidString).csv").path
    var rows = "x,y\n"
    for i in 0..<60 { let x = Double(i) / 10; rows += "\(x),\(2 * x + 1 + sin(Double(i)))\n" }
    try rows.write(toFile: file, atomically: true, encoding: .utf8)
    let (results, out) = try jsonResults(
        """
        d = load "\(file)" target=y
        base = baseline d
        evaluate base d intervals resamples=1000 seed=2
        """)
    #expect(out.errors.isEmpty)
    let r = try #require(results.last)
    let mse = r["mse"] as? [String: Double] ?? [:]
    #expect((mse["low"] ?? 1) < (mse["estimate"] ?? 0) && (mse["estimate"] ?? 0) < (mse["high"] ?? -1))
    for key in ["rmse", "mae", "r2"] { #expect((r[key] as? [String: Double])?.count == 3, "\(key)") }
}
