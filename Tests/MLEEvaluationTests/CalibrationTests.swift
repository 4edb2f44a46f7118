import CKernels
import Foundation
import MLETestSupport
import Testing

@testable import MLEEvaluation
@testable import MLELearning
@testable import MLETensor

/// Reference values from scripts/fixtures/make_calibration_fixture.py (scikit-learn's
/// calibration_curve, brier_score_loss and log_loss; ECE and MCE by a plain loop).
private var calibrationFixture: [String: Any] { jsonFixture("MLEEvaluationTests", "calibration.json") }

private func calibration(_ c: [String: Any], bins: Int, strategy: String) throws -> Calibration {
    let rows = try #require(c["probabilities"] as? [[Double]])
    let truth = try #require(c["truth"] as? [Int])
    let p = try Matrix(rows: rows.count, cols: rows[0].count, storage: rows.flatMap { $0.map(Float.init) })
    let event: CalibrationEvent = (c["event"] as? Int).map { .ofClass($0) } ?? .topLabel
    return try Calibration(
        probabilities: p, truth: truth, event: event, bins: bins,
        binning: try #require(CalibrationBinning(rawValue: strategy)))
}

@Test func calibrationMatchesScikitLearnAndAPlainLoop() throws {
    let cases = try #require(calibrationFixture["cases"] as? [[String: Any]])
    #expect(cases.count == 3)
    for c in cases {
        let name = try #require(c["name"] as? String)
        for b in try #require(c["binnings"] as? [[String: Any]]) {
            let bins = try #require(b["bins"] as? Int), strategy = try #require(b["strategy"] as? String)
            let cal = try calibration(c, bins: bins, strategy: strategy)
            let place = "\(name), \(bins) \(strategy) bins"
            let edges = try #require(b["edges"] as? [Double])
            #expect(cal.edges.count == edges.count)
            for (x, y) in zip(cal.edges, edges) {
                #expect(isClose(x, y, relative: 1e-12, absolute: 1e-15), "\(place): edge \(x) vs \(y)")
            }
            let s = cal.statistics
            let ece = try #require(b["ece"] as? Double), mce = try #require(b["mce"] as? Double)
            let brier = try #require(c["brier"] as? Double), loss = try #require(c["log_loss"] as? Double)
            #expect(isClose(s.ece, ece, relative: 1e-9), "\(place): ECE \(s.ece) vs \(ece)")
            #expect(isClose(s.mce, mce, relative: 1e-9), "\(place): MCE \(s.mce) vs \(mce)")
            #expect(isClose(s.brier, brier, relative: 1e-9), "\(place): Brier \(s.brier) vs \(brier)")
            // scikit-learn renormalises rows that float32 rounding left a few ulps from summing to 1.
            #expect(isClose(s.logLoss, loss, relative: 1e-6), "\(place): log loss \(s.logLoss) vs \(loss)")
            let table = try #require(b["table"] as? [[String: Any]])
            let mine = cal.bins
            #expect(mine.count == table.count)
            for (bin, ref) in zip(mine, table) {
                #expect(bin.count == (ref["count"] as? Int), "\(place): bin count")
                if bin.count > 0 {
                    let mean = try #require(ref["mean_probability"] as? Double)
                    let frequency = try #require(ref["frequency"] as? Double)
                    #expect(isClose(bin.meanProbability, mean, relative: 1e-12))
                    #expect(isClose(bin.frequency, frequency, relative: 1e-12))
                }
            }
            // calibration_curve lists the bins that hold rows.
            if let trueFreq = b["sklearn_prob_true"] as? [Double], let meanP = b["sklearn_prob_pred"] as? [Double] {
                let held = mine.filter { $0.count > 0 }
                #expect(held.count == trueFreq.count, "\(place): \(held.count) bins vs \(trueFreq.count)")
                for (bin, (f, m)) in zip(held, zip(trueFreq, meanP)) {
                    #expect(isClose(bin.frequency, f, relative: 1e-12), "\(place): frequency \(bin.frequency) vs \(f)")
                    #expect(
                        isClose(bin.meanProbability, m, relative: 1e-12),
                        "\(place): mean \(bin.meanProbability) vs \(m)")
                }
            }
        }
    }
}

/// p = 0 and p = 1 land in the end bins; a probability on an interior edge in the lower bin.
@Test func calibrationBinsTheEndsAndTheEdges() throws {
    let p: [Float] = [0, 1, 0.5, 0.25, 0.75]
    let m = try Matrix(rows: 5, cols: 2, storage: p.flatMap { [1 - $0, $0] })
    let cal = try Calibration(probabilities: m, truth: [0, 1, 1, 0, 1], event: .ofClass(1), bins: 4, binning: .uniform)
    #expect(cal.bins.map(\.count) == [2, 1, 1, 1])  // 0 and 0.25 | 0.5 | 0.75 | 1
    #expect(cal.bins[0].frequency == 0 && cal.bins[3].frequency == 1)
    // By hand: bin 0 holds 0 and 0.25 (no events): |0 − 0.125| · 2/5; bin 1 holds 0.5 (an event):
    // |1 − 0.5| / 5; bin 2 0.75 (event): 0.25 / 5; bin 3 1.0 (event): 0.
    let s = cal.statistics
    let ece: Double = (0.25 + 0.5 + 0.25) / 5
    #expect(isClose(s.ece, ece, relative: 1e-12))
    #expect(isClose(s.mce, 0.5, relative: 1e-12))
    let brier: Double = (0 + 0 + 0.25 + 0.0625 + 0.0625) / 5
    #expect(isClose(s.brier, brier, relative: 1e-12))
}

/// Bad input is an error, not a crash.
@Test func calibrationRejectsWhatItCannotCalibrate() throws {
    let m = try Matrix(rows: 2, cols: 2, storage: [0.5, 0.5, 1.5, -0.5])
    #expect(throws: LearningError.self) {
        _ = try Calibration(probabilities: m, truth: [0, 1], event: .topLabel, bins: 10, binning: .uniform)
    }
    let ok = try Matrix(rows: 2, cols: 2, storage: [0.5, 0.5, 0.2, 0.8])
    #expect(throws: LearningError.self) {
        _ = try Calibration(probabilities: ok, truth: [0, 2], event: .topLabel, bins: 10, binning: .uniform)
    }
    #expect(throws: LearningError.self) {
        _ = try Calibration(probabilities: ok, truth: [0, 1], event: .topLabel, bins: 0, binning: .uniform)
    }
}

/// The bootstrap: seeded (same seed, same replicates whatever the cores), each replicate equal to
/// the statistics of its resample computed directly, and the percentile interval around the
/// estimate.
@Test func calibrationBootstrapIsSeededAndCountsTheResample() throws {
    let cases = try #require(calibrationFixture["cases"] as? [[String: Any]])
    let cal = try calibration(cases[0], bins: 10, strategy: "uniform")
    let a = try cal.resampled(300, seed: 9), b = try cal.resampled(300, seed: 9)
    #expect(a == b)
    #expect(try cal.resampled(300, seed: 10) != a)
    // Replicate 0 by hand: the first chunk's generator, n draws (draw j is the j-th row in bin
    // order), the statistics of that multiset, summed in the order drawn.
    let n = cal.count
    let order = Calibration.Rows(cal).order
    #expect(order.sorted() == Array(0..<n))
    #expect(
        zip(order, order.dropFirst()).allSatisfy {
            cal.bin[$0] < cal.bin[$1] || ($0 < $1 && cal.bin[$0] == cal.bin[$1])
        })
    var drawn = [UInt32](repeating: 0, count: n)
    mle_bootstrap_indices(Calibration.chunkSeed(9, 0), n, n, &drawn)
    var counts = [Double](repeating: 0, count: cal.binCount), sums = counts
    var brier = 0.0, loss = 0.0
    for j in drawn {
        let i = order[Int(j)]
        counts[Int(cal.bin[i])] += 1; sums[Int(cal.bin[i])] += cal.d[i]
        brier += cal.brierTerm[i]; loss += cal.logLossTerm[i]
    }
    let direct = Calibration.statistics(counts: counts, sums: sums, brier: brier, logLoss: loss, n: Double(n))
    for s in Calibration.Statistic.allCases {
        #expect(abs(a[0][s] - direct[s]) <= 1e-12 * max(1, abs(direct[s])), "\(s)")
    }
    let intervals = try cal.intervals(resamples: 2000, seed: 1, method: .percentile, level: 0.95)
    for (s, r) in intervals {
        #expect(r.interval.low <= cal.statistics[s] + 1e-12 || s == .ece || s == .mce, "\(s)")
        #expect(r.interval.low < r.interval.high, "\(s)")
    }
}

/// The generator: the stream of `mle_bootstrap_indices` does not depend on how it is asked for
/// (a longer request starts with a shorter one's indices, also where rejections happen), its
/// indices are in range and uniform (a chi-squared check over 10 cells at p = 0.001; seeded).
@Test func bootstrapGeneratorIsOneStreamInRangeAndUniform() {
    var a = [UInt32](repeating: 0, count: 100_003)
    mle_bootstrap_indices(42, 7, a.count, &a)
    #expect(a.allSatisfy { $0 < 7 })
    var b = [UInt32](repeating: 0, count: 13)
    mle_bootstrap_indices(42, 7, b.count, &b)
    #expect(Array(a.prefix(13)) == b)
    // n near 2^32 rejects often (2^32 mod n is about half of 2^32): still in range, still one stream.
    let big = 3_000_000_000
    var c = [UInt32](repeating: 0, count: 1000), e = [UInt32](repeating: 0, count: 999)
    mle_bootstrap_indices(5, big, c.count, &c)
    mle_bootstrap_indices(5, big, e.count, &e)
    #expect(c.allSatisfy { Int($0) < big })
    #expect(Array(c.prefix(999)) == e)
    var cells = [Double](repeating: 0, count: 10)
    var u = [UInt32](repeating: 0, count: 200_000)
    mle_bootstrap_indices(3, 10, u.count, &u)
    for x in u { cells[Int(x)] += 1 }
    let expected = Double(u.count) / 10
    let chi2 = cells.reduce(0) { $0 + ($1 - expected) * ($1 - expected) / expected }
    #expect(chi2 < 27.88)  // chi-squared with 9 degrees of freedom, p = 0.001
}

/// The resampling kernel's one-byte weights: a resample in which a weight wraps is summed again by
/// gathering. Steps of 64 and 128 make weights wrap at 4 and 2 draws of a row (most resamples);
/// every replicate equals step 1's.
@Test func calibrationResamplesDoNotDependOnWeightWraps() throws {
    let cases = try #require(calibrationFixture["cases"] as? [[String: Any]])
    let cal = try calibration(cases[0], bins: 10, strategy: "uniform")
    let rows = Calibration.Rows(cal)
    let width = 2 * cal.binCount + 2
    func run(_ step: UInt32) -> [Double] {
        var out = [Double](repeating: 0, count: 37 * width)
        rows.resample(seed: 77, resamples: 37, weightStep: step, into: &out)
        return out
    }
    let base = run(1)
    #expect(base.allSatisfy { $0.isFinite })
    for step: UInt32 in [2, 64, 128] {
        let other = run(step)
        for (x, y) in zip(base, other) { #expect(abs(x - y) <= 1e-12 * max(1, abs(x)), "step \(step)") }
    }
    // Each resample's counts add up to the row count.
    for r in 0..<37 {
        #expect(base[(r * width)..<(r * width + cal.binCount)].reduce(0, +) == Double(cal.count))
    }
}

/// `calibrate`'s maps against scikit-learn's CalibratedClassifierCV (sigmoid, isotonic) on a
/// frozen classifier of the same probabilities, and temperature scaling against scipy's bounded
/// minimisation of the validation log loss (scripts/fixtures/make_calibration_fixture.py).
@Test func calibratorsMatchScikitLearnAndScipy() throws {
    let fixture = jsonFixture("MLEEvaluationTests", "calibrate.json")
    let cases = try #require(fixture["cases"] as? [[String: Any]])
    #expect(cases.count == 2)
    for c in cases {
        let name = try #require(c["name"] as? String)
        let rows = try #require(c["probabilities"] as? [[Double]])
        let truth = try #require(c["truth"] as? [Int])
        let nValid = try #require(c["valid"] as? Int)
        let k = rows[0].count
        func matrix(_ r: ArraySlice<[Double]>) throws -> Matrix {
            try Matrix(rows: r.count, cols: k, storage: r.flatMap { $0.map(Float.init) })
        }
        let valid = try matrix(rows[..<nValid]), test = try matrix(rows[nValid...])
        let validTruth = Array(truth[..<nValid])

        let platt = try Calibrator.fit(.platt, probabilities: valid, truth: validTruth)
        guard case .platt(let maps) = platt else { Issue.record("not Platt"); continue }
        let a = try #require(c["sigmoid_a"] as? [Double]), b = try #require(c["sigmoid_b"] as? [Double])
        #expect(maps.count == a.count)
        for (m, (ra, rb)) in zip(maps, zip(a, b)) {
            // scikit-learn stops L-BFGS at a gradient of 1e-6; mle runs Newton to convergence.
            #expect(isClose(m.a, ra, relative: 1e-4, absolute: 1e-6), "\(name): a \(m.a) vs \(ra)")
            #expect(isClose(m.b, rb, relative: 1e-4, absolute: 1e-6), "\(name): b \(m.b) vs \(rb)")
        }
        for (method, key) in [(Calibrator.Method.platt, "sigmoid"), (.isotonic, "isotonic")] {
            let fitted = try Calibrator.fit(method, probabilities: valid, truth: validTruth)
            let mine = try fitted.apply(test)
            let reference = try #require(c[key] as? [[Double]])
            var worst = 0.0
            for r in 0..<test.rows {
                for j in 0..<k { worst = max(worst, abs(Double(mine[r, j]) - reference[r][j])) }
            }
            // Float32 outputs; the sigmoid's (a, b) differ in the fifth digit at most.
            #expect(worst < (method == .isotonic ? 1e-6 : 2e-5), "\(name) \(key): largest difference \(worst)")
        }
        let temperature = try Calibrator.fit(.temperature, probabilities: valid, truth: validTruth)
        guard case .temperature(let t) = temperature else { Issue.record("not a temperature"); continue }
        let reference = try #require(c["temperature"] as? Double)
        #expect(isClose(t, reference, relative: 1e-6), "\(name): temperature \(t) vs \(reference)")
    }
}

/// Isotonic regression by hand: pool-adjacent-violators merges (0.2: 1, 0.4: 0) into 0.5 each,
/// equal x are averaged first, and prediction interpolates between the points and clips outside.
@Test func isotonicRegressionPoolsViolatorsAsByHand() {
    let map = Calibrator.isotonic([0.1, 0.2, 0.4, 0.6, 0.6, 0.9], [0, 1, 0, 1, 0, 1])
    #expect(map.x == [0.1, 0.2, 0.4, 0.6, 0.9])
    #expect(map.y == [0, 0.5, 0.5, 0.5, 1])
    #expect(map(0.0) == 0 && map(1.0) == 1)
    #expect(isClose(map(0.15), 0.25, relative: 1e-12))
    #expect(isClose(map(0.75), 0.75, relative: 1e-12))
}

/// A calibrated model is saved and loaded back predicting the same probabilities, for each method.
@Test func calibratedModelsSaveAndLoadBack() throws {
    let cases = try #require(jsonFixture("MLEEvaluationTests", "calibrate.json")["cases"] as? [[String: Any]])
    let rows = try #require(cases[1]["probabilities"] as? [[Double]])
    let truth = try #require(cases[1]["truth"] as? [Int])
    let p = try Matrix(rows: rows.count, cols: 3, storage: rows.flatMap { $0.map(Float.init) })
    // A baseline stands in for the base model; the calibrator is fitted on the fixture's rows.
    let base = BaselineModel(
        baselineKind: .prior, featureNames: ["x"], task: .classification(classNames: ["a", "b", "c"]),
        constant: [0.2, 0.3, 0.5])
    for method in Calibrator.Method.allCases {
        let calibrator = try Calibrator.fit(method, probabilities: p, truth: truth)
        let model = try CalibratedModel(base: base, calibrator: calibrator)
        let file = try ModelFile.encode(model)
        let back = try #require(try ModelFile.decode(file, name: "m") as? CalibratedModel)
        #expect(back.calibrator == calibrator, "\(method)")
        let x = try Matrix(rows: 2, cols: 1, storage: [0, 1])
        guard case .probabilities(let a) = try model.predict(x), case .probabilities(let b) = try back.predict(x) else {
            Issue.record("no probabilities"); continue
        }
        #expect(a.storage == b.storage, "\(method)")
    }
}

/// The metrics `brier` and `log_loss` (for `interval` and `compare`) equal scikit-learn's
/// brier_score_loss and log_loss on the binary fixture.
@Test func brierAndLogLossMetricsMatchScikitLearn() throws {
    let c = try #require((calibrationFixture["cases"] as? [[String: Any]])?.first)
    let rows = try #require(c["probabilities"] as? [[Double]])
    let truth = try #require(c["truth"] as? [Int])
    let outcomes = Outcomes.classification(
        truth: truth, predicted: rows.map { $0[1] > $0[0] ? 1 : 0 }, classCount: 2,
        scores: rows.map { Double(Float($0[1])) }, positive: 1)
    let ones = [Double](repeating: 1, count: truth.count)
    let brier = try #require(WeightedEvaluator(metric: .brier, outcomes: outcomes).value(weights: ones))
    let loss = try #require(WeightedEvaluator(metric: .logLoss, outcomes: outcomes).value(weights: ones))
    #expect(isClose(brier, try #require(c["brier"] as? Double), relative: 1e-9))
    #expect(isClose(loss, try #require(c["log_loss"] as? Double), relative: 1e-6))
    #expect(Metric.brier.lowerIsBetter && Metric.logLoss.lowerIsBetter && !Metric.auc.lowerIsBetter)
}

/// ROC and precision-recall curves against scikit-learn's roc_curve (collinear points dropped),
/// precision_recall_curve, roc_auc_score and average_precision_score, on scores with ties.
@Test func curvesMatchScikitLearn() throws {
    let cases = try #require(jsonFixture("MLEEvaluationTests", "curves.json")["cases"] as? [[String: Any]])
    #expect(cases.count == 2)
    for c in cases {
        let name = try #require(c["name"] as? String)
        let positive = try #require(c["positive"] as? [Bool]), scores = try #require(c["scores"] as? [Double])
        let roc = try #require(Curves.roc(positive: positive, scores: scores))
        let fpr = try #require(c["roc_fpr"] as? [Double]), tpr = try #require(c["roc_tpr"] as? [Double])
        let thresholds = try #require(c["roc_thresholds"] as? [Any])
        // scikit-learn sums the counts as floats: equal to the last bits.
        #expect(isClose(roc.map(\.fpr), fpr, relative: 1e-12), "\(name): FPR")
        #expect(isClose(roc.map(\.tpr), tpr, relative: 1e-12), "\(name): TPR")
        #expect(roc.map(\.threshold) == thresholds.map { ($0 as? Double) ?? .infinity }, "\(name): thresholds")
        #expect(isClose(Curves.area(roc), try #require(c["auc"] as? Double), relative: 1e-12), "\(name): AUC")

        let pr = try #require(Curves.precisionRecall(positive: positive, scores: scores))
        let precision = try #require(c["pr_precision"] as? [Double]), recall = try #require(c["pr_recall"] as? [Double])
        let prThresholds = try #require(c["pr_thresholds"] as? [Double])
        #expect(pr.count == precision.count, "\(name): \(pr.count) points vs \(precision.count)")
        #expect(isClose(pr.map { $0.precision ?? .nan }, precision, relative: 1e-12), "\(name): precision")
        #expect(isClose(pr.map(\.recall), recall, relative: 1e-12), "\(name): recall")
        #expect(pr.dropLast().map(\.threshold) == prThresholds, "\(name): thresholds")
        let outcomes = Outcomes.classification(
            truth: positive.map { $0 ? 1 : 0 }, predicted: scores.map { $0 >= 0.5 ? 1 : 0 }, classCount: 2,
            scores: scores, positive: 1)
        let ap = WeightedEvaluator(metric: .averagePrecision, outcomes: outcomes).value(
            weights: [Double](repeating: 1, count: scores.count))
        #expect(isClose(try #require(ap), try #require(c["ap"] as? Double), relative: 1e-12), "\(name): AP")
    }
}

/// Segments by hand: quantile bins of 1…8 (edges 1, 2.75, 4.5, 6.25, 8: two values each, the
/// first bin closed), Fisher's one-sided test from the hypergeometric, Holm's correction.
@Test func segmentsBinCountAndTestAsByHand() throws {
    let values: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, .nan, .nan]
    let data = Dataset(
        name: "t", featureNames: ["x"], features: try Matrix(rows: 10, cols: 1, storage: values),
        targetName: "y", target: .classes(labels: [Int](repeating: 0, count: 10), names: ["a", "b"]),
        columnKinds: [.numeric])
    let (groups, ofRow) = Segments.groups(data, column: 0, bins: 4)
    #expect(groups.count == 5 && groups[4] == .missing)
    #expect(groups[0] == .range(low: 1, high: 2.75, includesLow: true))
    #expect(groups[1] == .range(low: 2.75, high: 4.5, includesLow: false))
    #expect(ofRow == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4])
    // 4 errors in 10 rows; a segment of 4 rows holding 3 of them: P(X ≥ 3) = (C(4,3)·C(6,1) + 1) / C(10,4).
    let p = Segments.fisherGreater(errors: 3, size: 4, totalErrors: 4, total: 10)
    #expect(isClose(p, 25.0 / 210, relative: 1e-12), "\(p)")
    // Segments: rows 0–3 (3 errors), 4–7 (1 error), 8–9 (0).
    let wrong = [true, true, true, false, true, false, false, false, false, false]
    let results = Segments.analyse(ofRow: [[0, 0, 0, 0, 1, 1, 1, 1, 2, 2]], wrong: wrong)
    #expect(results.map(\.key) == [[0], [1], [2]])  // worst first: 0.25, 0.75, 1.0
    #expect(results.map(\.errors) == [3, 1, 0])
    let p0 = Segments.fisherGreater(errors: 3, size: 4, totalErrors: 4, total: 10)
    let p1 = Segments.fisherGreater(errors: 1, size: 4, totalErrors: 4, total: 10)
    // Holm over 3: the smallest × 3, the next × 2 (kept non-decreasing), the last × 1.
    #expect(isClose(results[0].adjustedP, min(1, 3 * p0), relative: 1e-12))
    #expect(isClose(results[1].adjustedP, max(min(1, 3 * p0), min(1, 2 * p1)), relative: 1e-12))
    #expect(results[2].p == 1 && results[2].adjustedP == 1)
}

/// Segments of a model of numbers against scipy (scripts/fixtures/make_segments_fixture.sh):
/// Mann–Whitney's one-sided asymptotic test with ties, Student's t quantiles, the t interval of a
/// mean absolute error; and through `analyseRegression`, each segment's MAE, RMSE and rest's MAE
/// by hand.
@Test func regressionSegmentsMatchScipy() throws {
    let fixture = jsonFixture("MLEEvaluationTests", "segments.json")
    let tests = try #require(fixture["mann_whitney"] as? [[String: Any]])
    #expect(tests.count == 3)
    for t in tests {
        let x = try #require(t["segment"] as? [Double]), y = try #require(t["rest"] as? [Double])
        let name = t["name"] as? String ?? ""
        // Absolute errors x then y: predictions 0, truth the values (all ≥ 0).
        let values = x + y
        let results = Segments.analyseRegression(
            ofRow: [x.map { _ in 0 } + y.map { _ in 1 }], truth: values, predicted: values.map { _ in 0 }, level: 0.95)
        let segment = try #require(results.first { $0.key == [0] })
        #expect(isClose(segment.p, try #require(t["p"] as? Double), relative: 1e-10), "\(name)")
        let ranks = Segments.midranks(values)
        let u = x.indices.reduce(0.0) { $0 + ranks[$1] } - Double(x.count * (x.count + 1)) / 2
        #expect(u == t["u"] as? Double, "\(name)")
        #expect(isClose(segment.mae, x.reduce(0, +) / Double(x.count), relative: 1e-12))
        #expect(isClose(segment.rmse, (x.reduce(0) { $0 + $1 * $1 } / Double(x.count)).squareRoot(), relative: 1e-12))
        #expect(isClose(segment.restMAE, y.reduce(0, +) / Double(y.count), relative: 1e-12))
        // Holm over two segments: the smaller p doubled, the larger kept at least as large.
        let other = try #require(results.first { $0.key == [1] })
        #expect(segment.adjustedP == min(1, max(2 * min(segment.p, other.p), segment.p)))
    }
    for q in try #require(fixture["t_quantiles"] as? [[String: Any]]) {
        let p = try #require(q["p"] as? Double), df = try #require(q["df"] as? Double)
        let t = Distributions.studentTQuantile(p, df: df)
        #expect(isClose(t, try #require(q["t"] as? Double), relative: 1e-9), "p \(p), df \(df): \(t)")
    }
    let m = try #require(fixture["mae_interval"] as? [String: Any])
    let errors = try #require(m["errors"] as? [Double])
    let one = Segments.analyseRegression(
        ofRow: [errors.map { _ in 0 }], truth: errors, predicted: errors.map { _ in 0 },
        level: try #require(m["level"] as? Double))
    #expect(one.count == 1 && one[0].p == 1 && one[0].restMAE.isNaN)
    #expect(isClose(one[0].mae, try #require(m["mae"] as? Double), relative: 1e-12))
    #expect(isClose(one[0].maeInterval.low, try #require(m["low"] as? Double), relative: 1e-9))
    #expect(isClose(one[0].maeInterval.high, try #require(m["high"] as? Double), relative: 1e-9))
    // Worst first: the larger MAE leads.
    let two = Segments.analyseRegression(
        ofRow: [[0, 0, 1, 1]], truth: [1, 1, 5, 6], predicted: [0, 0, 0, 0], level: 0.95)
    #expect(two.map(\.key) == [[1], [0]])
}

/// Ctrl-C is heard while a calibrator is fitted (once per pass over the rows).
@Test func calibratorFittingHearsCancellation() throws {
    let p = try Matrix(rows: 4, cols: 2, storage: [0.9, 0.1, 0.2, 0.8, 0.6, 0.4, 0.3, 0.7])
    for method in [Calibrator.Method.platt, .temperature] {
        #expect(throws: Cancelled.self) {
            _ = try Calibrator.fit(method, probabilities: p, truth: [0, 1, 1, 0], cancellation: Cancellation { true })
        }
    }
}
