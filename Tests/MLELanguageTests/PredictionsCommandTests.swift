import Foundation
import MLELanguage
import MLELearning
import MLETestSupport
import Testing

/// Six rows scored by two outside models; every number below is counted by hand.
private let handCSV = """
    id,y,p_yes,p_no,pred_a,pred_b,score
    r1,yes,0.9,0.1,yes,yes,0.8
    r2,yes,0.6,0.4,yes,no,0.7
    r3,no,0.3,0.7,no,no,0.2
    r4,no,0.8,0.2,yes,no,0.75
    r5,yes,0.2,0.8,no,yes,0.9
    r6,no,0.1,0.9,no,no,0.3

    """

@Test func predictionsFromColumnsAreEvaluatedAndComparedAsCountedByHand() throws {
    try withFile("hand.csv", handCSV) { path in
        let (_, out, ok) = run(
            """
            d = load "\(path)" target=y
            a = predictions d predicted=pred_a
            b = predictions d predicted=pred_b
            s = predictions d score=score positive=yes
            p = predictions d scores=[p_yes, p_no]
            set format json
            evaluate a d
            compare a b d
            interval s d metric=auc method=percentile resamples=200
            evaluate p d
            """)
        #expect(ok, "\(out.errors)")
        let r = try out.results.filter { $0.hasPrefix("{") }.map { try jsonReport($0) }
        // pred_a is right on r1, r2, r3, r6: 4 of 6; pred_b on all but r2: 5 of 6.
        #expect(r[0]["accuracy"] as? Double == 4.0 / 6 && r[0]["correct"] as? Int == 4)
        #expect(r[1]["value_b"] as? Double == 5.0 / 6)
        // Only a right: r2; only b right: r4, r5.
        #expect(r[1]["mcnemar_only_a"] as? Int == 1 && r[1]["mcnemar_only_b"] as? Int == 2)
        // AUC of score for yes: of the 9 (yes, no) pairs only (r2 0.7, r4 0.75) is out of order: 8/9.
        let auc = try #require(r[2]["estimate"] as? Double ?? (r[2]["auc"] as? Double) ?? findNumber(r[2], "auc"))
        #expect(isClose(auc, 8.0 / 9, relative: 1e-12))
        // p_yes's larger column predicts yes on r1, r2, r4: right on r1, r2, r3 (no), r6 (no) → 4 of 6.
        #expect(r[3]["accuracy"] as? Double == 4.0 / 6)
        // The mapping from columns to classes is said.
        #expect(out.notes.contains("classes: p_yes → yes, p_no → no"))
        #expect(out.notes.contains("classes: score is the probability of 'yes'; of no, yes"))
    }
}

/// The first number under a key containing `part`, at any depth of a JSON report.
private func findNumber(_ object: Any, _ part: String) -> Double? {
    if let d = object as? [String: Any] {
        for (k, v) in d.sorted(by: { $0.key < $1.key }) {
            if k.contains(part), let n = v as? Double { return n }
            if let n = findNumber(v, part) { return n }
        }
    }
    if let a = object as? [Any] { for v in a { if let n = findNumber(v, part) { return n } } }
    return nil
}

@Test func predictionsFindTheirRowsByIdentifierOrRefuseRowsThatDoNotLineUp() throws {
    // The same predictions in another order, with an identifier; and a truth file in the first order.
    let shuffled = """
        id,p_yes,p_no
        r4,0.8,0.2
        r1,0.9,0.1
        r6,0.1,0.9
        r3,0.3,0.7
        r5,0.2,0.8
        r2,0.6,0.4

        """
    try withFile("hand.csv", handCSV) { (truth: String) throws in
        try withFile("shuffled.csv", shuffled) { (preds: String) throws in
            // A missing score, and a score that is no probability.
            let gapPath = preds + ".gap.csv", widePath = preds + ".wide.csv"
            try "y,score\nyes,0.5\nno,NA\n".write(toFile: gapPath, atomically: true, encoding: .utf8)
            try "y,score\nyes,1.5\nno,0.2\n".write(toFile: widePath, atomically: true, encoding: .utf8)
            let (session, out, ok) = run(
                """
                d = load "\(truth)" target=y
                s = load "\(preds)"
                m = predictions s scores=[p_yes, p_no] classes=[yes, no] id=id
                gap = load "\(gapPath)" target=y
                wide = load "\(widePath)" target=y
                set format json
                evaluate m d
                """)
            #expect(ok, "\(out.errors)")
            #expect(try jsonReport(try #require(out.results.last))["accuracy"] as? Double == 4.0 / 6)
            // By position, the shuffled rows are refused: the targets do not match.
            let errors = [
                (
                    "k = predictions d predicted=pred_a\nr = load \"\(truth)\" target=y\nx = filter r \"id != 'r1'\"\nevaluate k x",
                    "has 5 (give id= a column that identifies rows)"
                ),
                ("evaluate m s", "needs a target column"),
                ("q = predictions d scores=[p_yes, pred_a]", "'pred_a' holds names, not probabilities"),
                ("q = predictions d score=pred_b", "'pred_b' holds names, not probabilities"),
                ("q = predictions gap score=score", "row 2 has no value in 'score'"),
                ("q = predictions wide score=score", "row 1 has 1.5 in 'score'"),
                ("q = predictions d scores=[p_yes, score] classes=[yes, no]", "row 1's probabilities sum to 1.7"),
                ("q = predictions d scores=[p_yes, score]", "classes= names them in the columns' order"),
                (
                    "q = predictions d predicted=pred_a classes=[no]",
                    "which is not one of the classes (no); classes= lists"
                ),
                ("q = predictions d predicted=nothing", "the data has no column 'nothing'"),
                ("q = predictions d predicted=y", "is the data's target"),
                ("q = predictions d", "say where the predictions are"),
                ("q = predictions d predicted=pred_a score=score", "give one of predicted=, scores= and score="),
                ("q = predictions d score=score positive=maybe", "'maybe' is not one of the classes"),
                ("q = predictions d predicted=pred_a id=y", "error:"),
                ("q = predictions d predicted=pred_a id=pred_b", "have the same pred_b"),
                (
                    "q = predictions d scores=[p_yes, p_no] classes=[a, b]",
                    "the data's class 'no' has no probability column"
                )
            ]
            for (statement, message) in errors {
                let (_, o, done) = run(statement, in: session)
                #expect(!done, "\(statement) should fail")
                #expect(o.errors.joined().contains(message), "\(statement): \(o.errors)")
                #expect(session.variables["q"] == nil)
            }
        }
    }
}

@Test func regressionPredictionsFromAColumn() throws {
    let csv = "y,yhat\n1.5,2\n2.5,2.5\n3.5,3\n4.5,4.5\n"
    try withFile("reg.csv", csv) { path in
        let (_, out, ok) = run(
            "d = load \"\(path)\" target=y\nm = predictions d predicted=yhat\nset format json\nevaluate m d")
        #expect(ok, "\(out.errors)")
        let r = try jsonReport(try #require(out.results.last))
        // Errors 0.5, 0, 0.5, 0: MAE 0.25, RMSE √(0.5 / 4).
        #expect(isClose(try #require(findNumber(r, "mae")), 0.25, relative: 1e-6))
        #expect(isClose(try #require(findNumber(r, "rmse")), (0.5 / 4).squareRoot(), relative: 1e-6))
    }
}

@Test func predictionsOfAModelGiveTheSameNumbersAsTheModel() throws {
    // A network and a logistic regression trained here, their predictions written to CSV and
    // read back as models: every interval and paired test is the same, number for number.
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mle-same-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let netCSV = dir.appendingPathComponent("net.csv").path, lrCSV = dir.appendingPathComponent("lr.csv").path
    let (session, out, ok) = run(
        """
        d = load "\(dataPath("breast_cancer.csv"))" target=diagnosis
        train, test = split d ratio=0.7 stratify seed=1
        net = mlp train hidden=[8] epochs=10 seed=1
        lr = logistic train
        predict net test to="\(netCSV)"
        predict lr test to="\(lrCSV)"
        np = load "\(netCSV)" target=actual
        lp = load "\(lrCSV)" target=actual
        a = predictions np scores=[p_benign, p_malignant]
        b = predictions lp score=p_malignant positive=malignant
        set format json
        """)
    #expect(ok, "\(out.errors)")
    let pairs = [
        ("interval net test metric=auc method=delong", "interval a np metric=auc method=delong"),
        (
            "interval net test metric=f1 method=bca resamples=500 seed=3",
            "interval a np metric=f1 method=bca resamples=500 seed=3"
        ),
        ("interval net test metric=accuracy method=wilson", "interval a np metric=accuracy method=wilson"),
        ("compare net lr test metric=auc resamples=500 seed=4", "compare a b np metric=auc resamples=500 seed=4"),
        ("compare net lr test resamples=500 seed=5", "compare a b np resamples=500 seed=5"),
        ("evaluate net test imbalanced", "evaluate a np imbalanced")
    ]
    // Everything but the names of the model and the data.
    func numbers(_ text: String) throws -> String {
        var r = try jsonReport(text)
        for key in ["title", "model", "data", "a", "b", "verdict"] { r[key] = nil }
        return String(decoding: try JSONSerialization.data(withJSONObject: r, options: .sortedKeys), as: UTF8.self)
    }
    for (own, outside) in pairs {
        let (_, o1, ok1) = run(own, in: session)
        let (_, o2, ok2) = run(outside, in: session)
        #expect(ok1 && ok2, "\(o1.errors) \(o2.errors)")
        #expect(try numbers(try #require(o1.results.last)) == numbers(try #require(o2.results.last)), "\(outside)")
    }
}

@Test func numericIdentifiersMatchDenseSparseAndAsText() throws {
    // handCSV's rows with numbers for identifiers: 1…6 (dense), and far apart (hashed).
    let truth = handCSV.replacingOccurrences(of: "\nr", with: "\n")
    let sparseTruth = ["1": "7", "2": "2000000", "3": "-35", "4": "0", "5": "123456", "6": "9"].reduce(truth) {
        $0.replacingOccurrences(of: "\n\($1.key),", with: "\n\($1.value),")
    }
    for (name, text) in [("dense", truth), ("sparse", sparseTruth)] {
        // The predictions in another order: the last row first.
        var lines = text.split(separator: "\n").map(String.init)
        let header = lines.removeFirst()
        let shuffled = ([header, lines[5]] + lines[0..<5]).joined(separator: "\n") + "\n"
        try withFile("\(name)-truth.csv", text) { (truthPath: String) throws in
            try withFile("\(name)-preds.csv", shuffled) { (predsPath: String) throws in
                let (_, out, ok) = run(
                    """
                    d = load "\(truthPath)" target=y
                    t = load "\(truthPath)" target=y categorical=[id]
                    s = load "\(predsPath)"
                    m = predictions s scores=[p_yes, p_no] classes=[yes, no] id=id
                    set format json
                    evaluate m d
                    evaluate m t
                    """)
                #expect(ok, "\(name): \(out.errors)")
                // By identifier, the rows are the truth file's own: p_yes ≥ ½ is right for 4 of 6.
                let reports = out.results.filter { $0.hasPrefix("{") }
                #expect(reports.count == 2)
                for r in reports { #expect(try jsonReport(r)["accuracy"] as? Double == 4.0 / 6, "\(name)") }
                // A duplicate identifier is an error naming both rows.
                let duplicated = shuffled.replacingOccurrences(
                    of: "\n\(lines[1].prefix { $0 != "," }),", with: "\n\(lines[0].prefix { $0 != "," }),")
                try withFile("\(name)-dup.csv", duplicated) { (dupPath: String) throws in
                    let (_, dup, dupOK) = run(
                        "s = load \"\(dupPath)\"\nm = predictions s scores=[p_yes, p_no] classes=[yes, no] id=id")
                    #expect(!dupOK)
                    #expect(dup.errors.joined().contains("rows 2 and 3 have the same id"), "\(name): \(dup.errors)")
                }
            }
        }
    }
}
