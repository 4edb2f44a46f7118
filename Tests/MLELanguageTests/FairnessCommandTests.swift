import Foundation
import MLELanguage
import MLETestSupport
import Testing

/// `fairness`: each group's rows and accuracy equal `filter` + `evaluate` on its condition; the
/// gaps equal the spread of the groups' rates in the same report; a gap is "beyond noise" exactly
/// when its Holm-adjusted p is below 1 − level; intersections hold every row once.
@Test func fairnessGroupsAndGapsAgreeWithFilterAndEvaluate() throws {
    let (session, out, ok) = run(
        """
        bc = load "\(dataPath("breast_cancer.csv"))" target=diagnosis
        tr, te = split bc ratio=0.5 stratify seed=2
        small = mlp tr hidden=[4] epochs=3 seed=1
        set format json
        fairness small te group=mean_texture resamples=500 seed=1
        fairness small te group=[mean_texture, mean_radius] bins=2 resamples=500 seed=1
        """)
    #expect(ok, "\(out.errors)")
    let r = try out.results.filter { $0.hasPrefix("{") }.map { try jsonReport($0) }.filter {
        $0["report"] as? String == "fairness"
    }
    #expect(r.count == 2)
    for report in r {
        let groups = try #require(report["groups"] as? [[String: Any]])
        #expect(groups.compactMap { $0["rows"] as? Int }.reduce(0, +) == 284)
        let selection = groups.compactMap { ($0["selection_rate"] as? [String: Any])?["estimate"] as? Double }
        let tpr = groups.compactMap { ($0["tpr"] as? [String: Any])?["estimate"] as? Double }
        let fpr = groups.compactMap { ($0["fpr"] as? [String: Any])?["estimate"] as? Double }
        let gaps = try #require(report["gaps"] as? [[String: Any]])
        func gap(_ key: String) throws -> Double {
            let row = try #require(gaps.first { $0["gap"] as? String == key })
            return try #require((row["value"] as? [String: Any])?["estimate"] as? Double)
        }
        let spread = { (v: [Double]) in (v.max() ?? 0) - (v.min() ?? 0) }
        #expect(isClose(try gap("demographic_parity_difference"), spread(selection), relative: 1e-12))
        #expect(isClose(try gap("equal_opportunity_difference"), spread(tpr), relative: 1e-12))
        #expect(isClose(try gap("equalized_odds_difference"), max(spread(tpr), spread(fpr)), relative: 1e-12))
        for g in gaps {
            let p = try #require(g["adjusted_p"] as? Double)
            let isRatio = (g["gap"] as? String)?.hasSuffix("ratio") == true
            #expect((g["verdict"] as? String == "beyond noise") == (p < 0.05 && !isRatio))
        }
        for g in groups {
            let condition = try #require(g["condition"] as? String)
            let e = try evaluationOfRows("small", "te", where: condition, in: session)
            let accuracy = (g["accuracy"] as? [String: Any])?["estimate"] as? Double
            #expect(e["accuracy"] as? Double == accuracy, "\(condition)")
        }
    }
    #expect(
        (r[0]["verdict"] as? String)?.hasPrefix("the groups differ beyond noise: demographic parity difference") == true
    )
}

/// Refused with the reason: a model of numbers, an unknown column, one group only.
@Test func fairnessRefusesWhatItCannotCompare() throws {
    let (session, out, ok) = run(
        """
        bc = load "\(dataPath("breast_cancer.csv"))" target=diagnosis
        net = logistic bc
        reg = generate regression rows=100 features=3 seed=1
        rnet = mlp reg hidden=[4] epochs=2 seed=1
        big = filter bc "mean_radius > 28"
        """)
    #expect(ok, "\(out.errors)")
    for (line, message) in [
        ("fairness rnet reg group=informative1", "fairness needs a classifier"),
        ("fairness net bc group=nothing", "no column named 'nothing'"),
        ("fairness net big group=mean_radius", "every row is in one group")
    ] {
        let (_, bad, fine) = run(line, in: session)
        #expect(!fine)
        #expect(bad.errors.joined().contains(message), "\(line): \(bad.errors)")
    }
}

/// Predictions from elsewhere are a classifier like any other: by hand, group a selects 3 of 4
/// rows and group b 1 of 4 (demographic parity difference 0.5, ratio 1/3); among actual yes,
/// a finds 2 of 2 and b 1 of 2 (equal opportunity difference 0.5); among actual no, a selects 1
/// of 2 and b 0 of 2 (equalized odds difference max(0.5, 0.5) = 0.5).
@Test func fairnessOfPredictionsIsAsCountedByHand() throws {
    let text = """
        actual,predicted,group
        yes,yes,a
        yes,yes,a
        no,yes,a
        no,no,a
        yes,yes,b
        yes,no,b
        no,no,b
        no,no,b
        """
    try withFile("fair.csv", text + "\n") { path in
        let (_, out, ok) = run(
            """
            d = load "\(path)" target=actual
            m = predictions d predicted=predicted
            set format json
            fairness m d group=group positive=yes resamples=200 seed=1
            """)
        #expect(ok, "\(out.errors)")
        let r = try #require(try out.results.filter { $0.hasPrefix("{") }.map { try jsonReport($0) }.last)
        let gaps = try #require(r["gaps"] as? [[String: Any]])
        func gap(_ key: String) -> Double? {
            (gaps.first { $0["gap"] as? String == key }?["value"] as? [String: Any])?["estimate"] as? Double
        }
        #expect(gap("demographic_parity_difference") == 0.5)
        #expect(isClose(gap("demographic_parity_ratio") ?? 0, 1.0 / 3, relative: 1e-12))
        #expect(gap("equal_opportunity_difference") == 0.5)
        #expect(gap("equalized_odds_difference") == 0.5)
        let groups = try #require(r["groups"] as? [[String: Any]])
        #expect(groups.map { $0["group"] as? String } == ["group = a", "group = b"])
    }
}
