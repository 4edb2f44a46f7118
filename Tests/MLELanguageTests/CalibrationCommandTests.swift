import Foundation
import MLELearning
import MLETestSupport
import Testing

@testable import MLELanguage

/// Ten rows of an outside model's probabilities, counted by hand: with 2 uniform bins, rows with
/// P(yes) ≤ 0.5 (bin 1) and above (bin 2).
private let tenRows = """
    y,p_no,p_yes
    yes,0.1,0.9
    yes,0.1,0.9
    no,0.1,0.9
    no,0.1,0.9
    yes,0.2,0.8
    no,0.8,0.2
    no,0.8,0.2
    no,0.8,0.2
    yes,0.8,0.2
    no,1.0,0.0

    """

@Test func calibrationOfPredictionsIsAsCountedByHand() throws {
    try withFile("ten.csv", tenRows) { path in
        let (_, out, ok) = run(
            """
            d = load "\(path)" target=y
            m = predictions d scores=[p_no, p_yes]
            set format json
            calibration m d bins=2 resamples=200 seed=1
            calibration m d bins=2 class=no resamples=200 seed=1
            """)
        #expect(ok, "\(out.errors)")
        let r = try out.results.filter { $0.hasPrefix("{") }.map { try jsonReport($0) }
        #expect(r.count == 2)
        // Bin 1 (P(yes) ≤ 0.5): 0.2, 0.2, 0.2, 0.2, 0.0 — mean 0.16, one yes in five (0.2).
        // Bin 2: 0.9 × 4, 0.8 — mean 0.88, three yes in five (0.6).
        // ECE = (5/10)|0.2 − 0.16| + (5/10)|0.6 − 0.88| = 0.02 + 0.14 = 0.16; MCE = 0.28.
        let ece = try #require((r[0]["ece"] as? [String: Any])?["estimate"] as? Double)
        let mce = try #require((r[0]["mce"] as? [String: Any])?["estimate"] as? Double)
        #expect(isClose(ece, 0.16, relative: 1e-6), "\(ece)")
        #expect(isClose(mce, 0.28, relative: 1e-6), "\(mce)")
        // Brier: (0.1² ×2 + 0.9² ×2 + 0.2² + 0.2² ×3 + 0.8² + 0²) / 10 = (0.02 + 1.62 + 0.04 + 0.12 + 0.64) / 10.
        let brier = try #require((r[0]["brier"] as? [String: Any])?["estimate"] as? Double)
        #expect(isClose(brier, 0.244, relative: 1e-6), "\(brier)")
        // Log loss: −(2 ln 0.9 + 2 ln 0.1 + ln 0.8 + 3 ln 0.8 + ln 0.2 + ln 1) / 10.
        let ll = try #require((r[0]["log_loss"] as? [String: Any])?["estimate"] as? Double)
        let expected = -(2 * log(0.9) + 2 * log(0.1) + 4 * log(0.8) + log(0.2)) / 10
        #expect(isClose(ll, expected, relative: 1e-6), "\(ll) vs \(expected)")
        let bins = try #require(r[0]["reliability"] as? [[String: Any]])
        #expect(bins.map { $0["count"] as? Int } == [5, 5])
        #expect(r[0]["class"] as? String == "yes")
        // class=no calibrates P(no): 1 − P(yes), the event "no": the same gaps mirrored.
        #expect(r[1]["class"] as? String == "no")
        let eceNo = try #require((r[1]["ece"] as? [String: Any])?["estimate"] as? Double)
        #expect(isClose(eceNo, 0.16, relative: 1e-6), "\(eceNo)")
    }
}

/// A model that says 0.95 and is right half the time is over-confident, in words; the table and
/// the diagram fit 80 columns.
@Test func calibrationReadsAnOverConfidentModel() throws {
    var text = "y,p_no,p_yes\n"
    for i in 0..<400 { text += (i % 2 == 0 ? "yes" : "no") + ",0.05,0.95\n" }
    for i in 0..<400 { text += (i % 10 == 0 ? "yes" : "no") + ",0.9,0.1\n" }
    try withFile("over.csv", text) { path in
        let session = Session(output: BufferedOutput())
        session.width = 80
        let (_, out, ok) = run(
            """
            d = load "\(path)" target=y
            m = predictions d scores=[p_no, p_yes]
            calibration m d resamples=200 seed=1
            """, in: session)
        #expect(ok, "\(out.errors)")
        let report = out.results.joined(separator: "\n")
        #expect(
            report.contains("P(yes) too high above 0.90: yes 50% of the time where it says 95% (400 rows)"), "\(report)"
        )
        #expect(!report.contains("between 0.00"))
        for line in report.split(separator: "\n") { #expect(line.count <= 80, "\(line)") }
    }
}

/// `calibrate` takes predictions from elsewhere and any classifier trained here; it warns when
/// the validation data is the training data; `calibration … versus=` sets models side by side.
@Test func calibrateWarnsOnTrainingDataAndComparesSideBySide() throws {
    try withFile("ten.csv", tenRows) { path in
        let (_, out, ok) = run(
            """
            d = load "\(path)" target=y
            m = predictions d scores=[p_no, p_yes]
            iso = calibrate m d method=isotonic
            bc = load "\(dataPath("breast_cancer.csv"))" target=diagnosis
            fit, valid = split bc ratio=0.7 stratify seed=1
            lr = logistic fit
            t = calibrate lr fit method=temperature
            v = calibrate lr valid method=platt
            set format json
            calibration m d bins=2 resamples=200 seed=1 versus=iso
            calibration lr valid resamples=200 seed=1 versus=[t, v]
            """)
        #expect(ok, "\(out.errors)")
        let warnings = out.notes.filter { $0.hasPrefix("warning:") }
        #expect(warnings.count == 1 && warnings[0].contains("fit is the data lr was trained on"), "\(out.notes)")
        let r = try out.results.filter { $0.hasPrefix("{") }.map { try jsonReport($0) }
        let models = try #require(r[0]["models"] as? [[String: Any]])
        #expect(models.map { $0["model"] as? String } == ["m", "iso"])
        // Isotonic regression on its own fitting rows: each bin's frequency is met exactly, so
        // its ECE on them is 0 (the fitted values are the bins' shares).
        let isoECE = try #require((models[1]["ece"] as? [String: Any])?["estimate"] as? Double)
        #expect(isoECE < 1e-6, "\(isoECE)")
        let three = try #require(r[1]["models"] as? [[String: Any]])
        #expect(three.map { $0["model"] as? String } == ["lr", "t", "v"])
    }
}

/// Brier score and log loss are metrics of `interval` and `compare` (lower is better), counted by
/// hand on the ten rows and their isotonic calibration (P(yes) 0.9 and 0.8 → 0.6, 0.2 → 0.25,
/// 0 → 0: the shares of yes in those groups).
@Test func brierAndLogLossAreMetricsOfIntervalAndCompare() throws {
    try withFile("ten.csv", tenRows) { path in
        let (_, out, ok) = run(
            """
            d = load "\(path)" target=y
            m = predictions d scores=[p_no, p_yes]
            iso = calibrate m d method=isotonic
            set format json
            interval m d metric=brier resamples=200 seed=1
            interval m d metric=log_loss method=percentile resamples=200 seed=1
            compare m iso d metric=brier resamples=200 seed=1
            """)
        #expect(ok, "\(out.errors)")
        let r = try out.results.filter { $0.hasPrefix("{") }.map { try jsonReport($0) }
        #expect(isClose(try #require(r[0]["estimate"] as? Double), 0.244, relative: 1e-6))
        let expected = -(2 * log(0.9) + 2 * log(0.1) + 4 * log(0.8) + log(0.2)) / 10
        #expect(isClose(try #require(r[1]["estimate"] as? Double), expected, relative: 1e-6))
        // Isotonic: yes at 0.6 three times (0.4²), no at 0.6 twice (0.6²), no at 0.25 three times
        // (0.25²), yes at 0.25 once (0.75²), no at 0: 0.48 + 0.72 + 0.1875 + 0.5625 = 1.95 over 10 rows.
        #expect(isClose(try #require(r[2]["value_b"] as? Double), 0.195, relative: 1e-6))
        let verdict = try #require(r[2]["verdict"] as? String)
        #expect(
            verdict.hasPrefix("iso is better on brier: -0.049")
                || verdict.hasPrefix("no detectable difference on brier: -0.049"), "\(verdict)")
    }
}

/// `curve`: the ten rows' ROC by hand (scores 0.9 ×4 with 2 yes, 0.8 yes, 0.2 ×4 with 1 yes, 0)
/// and every point for machines while people see `rows=` of them.
@Test func curveOfPredictionsIsAsCountedByHand() throws {
    try withFile("ten.csv", tenRows) { path in
        let (_, out, ok) = run(
            """
            d = load "\(path)" target=y
            m = predictions d scores=[p_no, p_yes]
            set format json
            curve m d
            curve m d kind=pr rows=2 resamples=200 seed=1
            """)
        #expect(ok, "\(out.errors)")
        let r = try out.results.filter { $0.hasPrefix("{") }.map { try jsonReport($0) }
        // Thresholds +∞, 0.9 (TP 2, FP 2), 0.8 (3, 2), 0.2 (4, 5), 0 (4, 6): no three collinear.
        let points = try #require(r[0]["points"] as? [[String: Any]])
        #expect(points.map { $0["tp"] as? Int } == [0, 2, 3, 4, 4])
        #expect(points.map { $0["fp"] as? Int } == [0, 2, 2, 5, 6])
        // AUC over the 4 × 6 (yes, no) pairs, ties counting one half: each yes at 0.9 beats the
        // four no below it and ties two (5 each, 10); the yes at 0.8 beats four (4); the yes at
        // 0.2 beats one and ties three (2.5): 16.5 of 24.
        let auc = try #require((r[0]["auc"] as? [String: Any])?["estimate"] as? Double)
        #expect(isClose(auc, 16.5 / 24, relative: 1e-12), "\(auc)")
        // Precision-recall: every point for machines.
        #expect((r[1]["points"] as? [[String: Any]])?.count == 5)
    }
}

/// `evaluate … by=`: each segment's rows, errors and accuracy equal `filter` on its condition
/// followed by `evaluate` and `misclassified`; crossings hold every row once.
@Test func segmentsEqualFilterAndEvaluateOnTheSameRows() throws {
    let (session, out, ok) = run(
        """
        bc = load "\(dataPath("breast_cancer.csv"))" target=diagnosis
        tr, te = split bc ratio=0.5 stratify seed=2
        net = mlp tr hidden=[4] epochs=3 seed=1
        set format json
        evaluate net te by=mean_radius
        evaluate net te by=[mean_radius, diagnosis] bins=2
        """)
    #expect(ok, "\(out.errors)")
    let r = try out.results.filter { $0.hasPrefix("{") }.map { try jsonReport($0) }
    for report in r {
        let segments = try #require(report["segments"] as? [[String: Any]])
        #expect(segments.compactMap { $0["rows"] as? Int }.reduce(0, +) == 284)
        for s in segments {
            let condition = try #require(s["condition"] as? String)
            let (_, check, fine) = run(
                """
                rows = filter te "\(condition)"
                wrong = misclassified net rows
                set format json
                evaluate net rows
                describe wrong
                """, in: session)
            #expect(fine, "\(condition): \(check.errors)")
            // The session prints JSON since the first run: pick the evaluation and the description.
            let reports = try check.results.filter { $0.hasPrefix("{") }.map { try jsonReport($0) }
            let e = try #require(reports.first { $0["report"] as? String == "evaluation" })
            let accuracy = (s["accuracy"] as? [String: Any])?["estimate"] as? Double
            #expect(e["accuracy"] as? Double == accuracy, "\(condition)")
            #expect(e["rows"] as? Int == s["rows"] as? Int, "\(condition)")
            let described = try #require(reports.first { $0["report"] as? String == "describe" })
            #expect(described["rows"] as? Int == s["errors"] as? Int, "\(condition): \(described.keys)")
        }
    }
    #expect(r[1]["verdict"] as? String != nil)
}

/// `evaluate … by=` for a model of numbers: each segment's rows and MAE equal `filter` on its
/// condition followed by `evaluate`; the numeric target can be a segment column too.
@Test func regressionSegmentsEqualFilterAndEvaluate() throws {
    let (session, out, ok) = run(
        """
        p = load "\(dataPath("penguins.csv"))" target=body_mass_g categorical=[year]
        tr, te = split p ratio=0.6 seed=1
        net = mlp tr hidden=[8] epochs=40 seed=1
        set format json
        evaluate net te by=species
        evaluate net te by=[sex, body_mass_g] bins=2
        """)
    #expect(ok, "\(out.errors)")
    let r = try out.results.filter { $0.hasPrefix("{") }.map { try jsonReport($0) }
    #expect(r.count == 2)
    for report in r {
        let segments = try #require(report["segments"] as? [[String: Any]])
        #expect(segments.compactMap { $0["rows"] as? Int }.reduce(0, +) == 137)
        let maes = segments.compactMap { ($0["mae"] as? [String: Any])?["estimate"] as? Double }
        #expect(maes == maes.sorted(by: >), "worst first")
        for s in segments {
            let condition = try #require(s["condition"] as? String)
            let e = try evaluationOfRows("net", "te", where: condition, in: session)
            let mae = try #require((s["mae"] as? [String: Any])?["estimate"] as? Double)
            #expect(isClose(try #require(e["mae"] as? Double), mae, relative: 1e-9), "\(condition)")
            #expect(isClose(try #require(e["rmse"] as? Double), try #require(s["rmse"] as? Double), relative: 1e-9))
        }
    }
}

/// Thresholds are written so that people can tell them apart near 1 and 0 (a network's
/// probabilities crowd there): the distance from 1 in significant digits.
@Test func probabilitiesNearTheEndsStayDistinct() {
    let style = NumberStyle.probability
    #expect(style.text(0.5) == "0.500000")
    #expect(style.text(1) == "1.000000")
    #expect(style.text(1 - 1.1920928955078125e-07) == "1 − 1.19e-07")
    #expect(style.text(Double(Float(0.99999917))) == "1 − 8.34e-07")
    #expect(style.text(6.5e-07) == "6.5e-07")
    #expect(style.text(0) == "0.000000")
    #expect(style.text(0.9994) == "0.999400")
}

/// `calibrate` takes the imbalance chapter's models too — the ensemble of disjoint majority
/// chunks, a threshold-moved and a prior-corrected network — and predicts through the map it
/// fitted: isotonic regression on its own validation rows meets each bin's frequency, so the
/// calibrated model's ECE there is 0. Each calibrated model saves and loads back predicting the
/// same probabilities.
@Test func calibrateTakesEnsemblesAndWrappedModels() throws {
    try withFile("keep.txt", "") { path in
        let folder = (path as NSString).deletingLastPathComponent
        let (_, out, ok) = run(
            """
            digits = load "\(dataPath("digits.csv"))" target=digit
            eights = relabel digits keep=[8]
            train, valid = split eights ratio=0.6 stratify seed=1
            ens, members = ensemble train model=logistic seed=1
            net = mlp train hidden=[8] epochs=20 seed=1
            tuned = threshold net valid metric=f1
            fixed = priors net trained=train deployed=valid
            a = calibrate ens valid method=isotonic
            b = calibrate tuned valid method=isotonic
            c = calibrate fixed valid method=isotonic
            save a "\(folder)/a.safetensors"
            save b "\(folder)/b.safetensors"
            save c "\(folder)/c.safetensors"
            a2 = load "\(folder)/a.safetensors"
            b2 = load "\(folder)/b.safetensors"
            c2 = load "\(folder)/c.safetensors"
            set format json
            calibration a valid resamples=100 seed=1 versus=[b, c]
            predict a valid
            predict a2 valid
            predict b valid
            predict b2 valid
            predict c valid
            predict c2 valid
            """)
        #expect(ok, "\(out.errors)")
        let r = try out.results.filter { $0.hasPrefix("{") }.map { try jsonReport($0) }
        let report = try #require(r.first { $0["report"] as? String == "calibration" })
        let models = try #require(report["models"] as? [[String: Any]])
        #expect(models.count == 3)
        for m in models {
            let ece = try #require((m["ece"] as? [String: Any])?["estimate"] as? Double)
            #expect(ece < 1e-6, "\(m["model"] ?? "?"): \(ece)")
        }
        // ECE = 0 lies below every resample's: said in a note. The threshold-moved model's
        // decision rule changes with calibration: said when it is calibrated.
        let notes = report["notes"] as? [String] ?? []
        #expect(notes.contains { $0.hasPrefix("ECE and MCE lie outside their intervals for a, b, c") }, "\(notes)")
        #expect(out.notes.contains { $0.hasPrefix("note: tuned predicts from p ≥") }, "\(out.notes)")
        let predictions = r.filter { $0["report"] as? String != "calibration" }
        #expect(predictions.count == 6)
        for k in stride(from: 0, to: predictions.count - 1, by: 2) {
            let a = try JSONSerialization.data(
                withJSONObject: predictions[k]["predictions"] ?? [], options: .sortedKeys)
            let b = try JSONSerialization.data(
                withJSONObject: predictions[k + 1]["predictions"] ?? [], options: .sortedKeys)
            #expect(a == b && a.count > 100, "pair \(k / 2)")
        }
    }
}
