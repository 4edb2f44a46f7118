import Foundation
import MLELearning
import MLETensor
import MLETestSupport
import Testing

@testable import MLEEvaluation

private var driftFixture: [String: Any] { jsonFixture("MLEEvaluationTests", "drift.json") }

/// Kolmogorov–Smirnov and the Wasserstein distance against scipy (scripts/fixtures/
/// make_drift_fixture.sh): the statistic, the exact p-value of small samples (with ties too),
/// the asymptotic one of large samples within 5% of scipy's exact value.
@Test func ksAndWassersteinMatchScipy() throws {
    let samples = try #require(driftFixture["samples"] as? [[String: Any]])
    #expect(samples.count == 4)
    for s in samples {
        let name = s["name"] as? String ?? ""
        let a = try #require(s["a"] as? [Double]).sorted(), b = try #require(s["b"] as? [Double]).sorted()
        let (d, exact, p) = Drift.ksTest(sorted: a, b)
        #expect(isClose(d, try #require(s["ks"] as? Double), relative: 1e-12), "\(name)")
        let scipyP = try #require(s["ks_p_exact"] as? Double)
        if name == "large" {
            #expect(!exact)
            #expect(abs(p - scipyP) <= 0.05 * scipyP, "\(name): \(p) against \(scipyP)")
        } else {
            #expect(exact)
            #expect(isClose(p, scipyP, relative: 1e-9), "\(name): \(p) against \(scipyP)")
        }
        let w = Drift.wasserstein(sorted: a, b)
        #expect(isClose(w, try #require(s["wasserstein"] as? Double), relative: 1e-10), "\(name)")
        #expect(isClose(Drift.standardDeviation(a), try #require(s["sd_a"] as? Double), relative: 1e-12))
        // Swapping the samples changes nothing.
        #expect(Drift.wasserstein(sorted: b, a) == w)
        #expect(Drift.ksTest(sorted: b, a).d == d)
    }
    // By hand: {0, 1} against {1, 2}: F gaps 1/2 on [0, 1) and 1/2 on [1, 2): W = 1; D = 1/2.
    #expect(Drift.wasserstein(sorted: [0, 1], [1, 2]) == 1)
    #expect(Drift.ksTest(sorted: [0, 1], [1, 2]).d == 0.5)
    // Exact p by enumeration: 2 + 2 values, 6 interleavings; D ≥ 1/2 unless the path alternates
    // around the diagonal (abab, abba, baab, baba have max |i − j| = 1, i.e. D = 1/2; aabb, bbaa
    // reach D = 1): P(D ≥ 1) = 2/6.
    #expect(isClose(Drift.ksExactGreaterOrEqual(2, 2, 4), 2.0 / 6, relative: 1e-12))
    #expect(isClose(Drift.ksExactGreaterOrEqual(2, 2, 2), 1, relative: 1e-12))
    // Small p keeps its precision: 30 against 30 values, fully apart (D = 1) only on the two
    // interleavings aaa…bbb and bbb…aaa: P = 2 / C(60, 30) ≈ 1.7e-17.
    let apart = Drift.ksTest(sorted: (0..<30).map(Double.init), (30..<60).map(Double.init))
    #expect(apart.d == 1 && apart.exact)
    let logC = lgamma(61.0) - 2 * lgamma(31.0)
    #expect(isClose(apart.p, 2 * exp(-logC), relative: 1e-9), "\(apart.p)")
}

/// χ² of homogeneity against scipy's chi2_contingency (Yates for one degree of freedom, an empty
/// level dropped), and χ²'s tail probabilities and quantiles.
@Test func chiSquareMatchesScipy() throws {
    for t in try #require(driftFixture["tables"] as? [[String: Any]]) {
        let a = try #require(t["a"] as? [Double]), b = try #require(t["b"] as? [Double])
        let (chi2, dof, p) = Drift.chiSquareHomogeneity(a, b)
        #expect(dof == t["dof"] as? Int)
        #expect(isClose(chi2, try #require(t["chi2"] as? Double), relative: 1e-10), "\(t["name"] ?? "")")
        #expect(isClose(p, try #require(t["p"] as? Double), relative: 1e-9), "\(t["name"] ?? "")")
    }
    for v in try #require(driftFixture["chi2_sf"] as? [[String: Any]]) {
        let x = try #require(v["x"] as? Double), df = try #require(v["df"] as? Double)
        let expected = try #require(v["sf"] as? Double)
        #expect(isClose(Distributions.chiSquareSurvival(x, df: df), expected, relative: 1e-9), "x \(x) df \(df)")
    }
    for v in try #require(driftFixture["chi2_ppf"] as? [[String: Any]]) {
        let p = try #require(v["p"] as? Double), df = try #require(v["df"] as? Double)
        let expected = try #require(v["x"] as? Double)
        #expect(isClose(Distributions.chiSquareQuantile(p, df: df), expected, relative: 1e-9), "p \(p) df \(df)")
    }
}

/// PSI by hand: shares (0.5, 0.5) against (0.25, 0.75) give (0.25 − 0.5)·ln(0.5) +
/// (0.75 − 0.5)·ln(1.5); an empty bin counts as 0.0001. The
/// reference's quantile bins: deciles of 1…100 put 10 values in each bin.
@Test func psiAsByHand() {
    let psi = Drift.psiOf([0.5, 0.5], [0.25, 0.75])
    #expect(isClose(psi, -0.25 * log(0.5) + 0.25 * log(1.5), relative: 1e-12))
    #expect(isClose(Drift.psiOf([1, 0], [0.5, 0.5]), -0.5 * log(0.5) + (0.5 - 1e-4) * log(0.5 / 1e-4), relative: 1e-12))
    let ref = (1...100).map(Double.init)
    let (same, bins) = Drift.psiNumeric(sorted: ref, ref, bins: 10)
    #expect(same == 0 && bins == 10)
    // The current values all in the top decile: 9 bins at 0.0001 against 0.1, one at 1 against 0.1.
    let (top, _) = Drift.psiNumeric(sorted: ref, [95, 96, 97], bins: 10)
    #expect(isClose(top, 9 * (1e-4 - 0.1) * log(1e-4 / 0.1) + 0.9 * log(10), relative: 1e-9), "\(top)")
}

/// Drift of a column end to end: a dataset against itself is alike (p = 1, effects 0); a shifted
/// copy's numeric column moves by its shift in standard deviations; categorical shares by TV;
/// Holm over the columns.
@Test func driftComparesEveryColumn() throws {
    let n = 200
    let x = (0..<n).map { Float($0 % 17) }
    let c = (0..<n).map { Float($0 % 3) }
    func data(_ shift: Float, _ levels: [String]) throws -> Dataset {
        Dataset(
            name: "d", featureNames: ["x", "c"],
            features: try Matrix(rows: n, cols: 2, storage: zip(x, c).flatMap { [$0 + shift, $1] }), targetName: nil,
            target: nil, columnKinds: [.numeric, .categorical(levels: levels)])
    }
    let reference = try data(0, ["a", "b", "c"])
    let same = try Drift.compare(reference, reference)
    #expect(same.allSatisfy { $0.effect == 0 && $0.p == 1 && $0.psi == 0 })
    // Shifted by 2; the levels renamed so that 'a' becomes 'b' and so on: matched by name.
    let moved = try Drift.compare(reference, try data(2, ["b", "c", "a"]))
    let sd = Drift.standardDeviation(x.map(Double.init))
    #expect(isClose(moved[0].wasserstein, 2, relative: 1e-9))
    #expect(isClose(moved[0].effect, 2 / sd, relative: 1e-9))
    // Matched by name: a 67 → 66 rows, b 67 → 67, c 66 → 67 of 200: TV = (1 + 0 + 1) / 400.
    #expect(isClose(moved[1].effect, 0.005, relative: 1e-9), "\(moved[1].effect)")
    #expect(moved[0].adjustedP == min(1, max(2 * min(moved[0].p, moved[1].p), moved[0].p)))
    #expect(moved[0].test == "KS" && moved[1].test == "χ²")
}
