import Foundation
import MLETensor
import MLETestSupport
import Testing

@testable import MLEEvaluation

private var fairnessFixture: [String: Any] { jsonFixture("MLEEvaluationTests", "fairness.json") }

private func same(_ a: Double, _ b: Double?) -> Bool {
    guard let b else { return a.isNaN }
    return abs(a - b) <= 1e-12 * max(1, abs(b))
}

/// Per-group rates and the gaps between groups against fairlearn's MetricFrame and its
/// difference and ratio functions (scripts/fixtures/make_fairness_fixture.sh): binary, one class
/// against the rest of three, and two sensitive columns crossed; the χ² tests against scipy.
@Test func fairnessMatchesFairlearn() throws {
    let cases = try #require(fairnessFixture["cases"] as? [[String: Any]])
    #expect(cases.count == 3)
    for c in cases {
        let name = c["name"] as? String ?? ""
        let groups = try #require(c["groups"] as? Int), classes = try #require(c["classes"] as? Int)
        let f = Fairness(
            truth: try #require(c["truth"] as? [Int]), predicted: try #require(c["predicted"] as? [Int]),
            groupOfRow: try #require(c["group"] as? [Int]), groups: groups, classes: classes)
        let accuracy = try #require(c["accuracy"] as? [Double])
        for perClass in try #require(c["per_class"] as? [[String: Any]]) {
            let k = try #require(perClass["class"] as? Int)
            let rates = f.rates(positive: k)
            let byGroup = try #require(perClass["by_group"] as? [[String: Any]])
            #expect(byGroup.count == groups)
            for (g, row) in byGroup.enumerated() {
                #expect(same(rates[g].selection, row["selection"] as? Double), "\(name) class \(k) group \(g)")
                #expect(same(rates[g].tpr, row["tpr"] as? Double), "\(name) class \(k) group \(g)")
                #expect(same(rates[g].fpr, row["fpr"] as? Double), "\(name) class \(k) group \(g)")
                #expect(same(rates[g].precision, row["precision"] as? Double), "\(name) class \(k) group \(g)")
                #expect(same(rates[g].accuracy, accuracy[g]), "\(name) group \(g)")
            }
            let gaps = f.gaps(positive: k)
            for gap in Fairness.Gap.allCases {
                #expect(same(try #require(gaps[gap]), perClass[gap.rawValue] as? Double), "\(name) class \(k) \(gap)")
            }
            let tests = try #require(perClass["tests"] as? [String: Double])
            let t = f.tests(positive: k)
            #expect(isClose(t.demographicParity, try #require(tests["dp"]), relative: 1e-9), "\(name)")
            #expect(isClose(t.equalOpportunity, try #require(tests["tpr"]), relative: 1e-9), "\(name)")
            let eo = min(1, 2 * min(try #require(tests["tpr"]), try #require(tests["fpr"])))
            #expect(isClose(t.equalizedOdds, eo, relative: 1e-9), "\(name)")
        }
    }
}

/// Resampling within groups: seeded (the same seed, the same replicates), each group's row count
/// kept in every resample, and the intervals' coverage by simulation — populations with a known
/// demographic parity difference of 0.15, 150 samples of 4 groups of 150 rows, each interval
/// from 800 resamples: the 95% percentile interval covers the true difference in 90–99% of
/// them.
@Test func fairnessIntervalsAreSeededAndCover() throws {
    let truth = (0..<400).map { $0 % 2 }, predicted = (0..<400).map { ($0 / 3) % 2 }
    let groupOf = (0..<400).map { $0 % 4 }
    let f = Fairness(truth: truth, predicted: predicted, groupOfRow: groupOf, groups: 4, classes: 2)
    let a = try f.replicates(resamples: 700, seed: 3), b = try f.replicates(resamples: 700, seed: 3)
    #expect(a.count == 700)
    #expect(a.map { $0[1][0] } == b.map { $0[1][0] })
    #expect(
        try f.replicates(resamples: 700, seed: 4).map { $0[1][0] }
            != a.map { $0[1][0] })

    var rng = SeededGenerator(seed: 11)
    let rates = [0.30, 0.40, 0.45, 0.35]  // selection rates: true difference 0.15
    var covered = 0
    let runs = 150
    for run in 0..<runs {
        var t: [Int] = [], p: [Int] = [], g: [Int] = []
        for (k, rate) in rates.enumerated() {
            for _ in 0..<150 {
                t.append(Int(rng.next() % 2))
                p.append(rng.nextUnit() < rate ? 1 : 0)
                g.append(k)
            }
        }
        let sample = Fairness(truth: t, predicted: p, groupOfRow: g, groups: 4, classes: 2)
        let i = try #require(
            try sample.intervals(resamples: 800, seed: UInt64(run), method: .percentile, level: 0.95)[1][
                .demographicParityDifference])
        if i.interval.low <= 0.15 && 0.15 <= i.interval.high { covered += 1 }
    }
    let share = Double(covered) / Double(runs)
    #expect(share >= 0.90 && share <= 0.99, "\(share)")
}
