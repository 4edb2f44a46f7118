import Foundation
import MLELanguage
import MLETestSupport
import Testing

/// `drift`: random halves of one dataset are alike; a filtered "production" set shifts its size
/// columns and its target; each row's verdict follows the rule (Holm-adjusted p below 1 − level
/// and effect at least min_effect); batches hold every current row once.
@Test func driftFindsAFilteredShiftAndNotRandomHalves() throws {
    let (_, out, ok) = run(
        """
        bc = load "\(dataPath("breast_cancer.csv"))" target=diagnosis
        train, test = split bc ratio=0.5 stratify seed=1
        production = filter test "mean_radius > 14"
        p = load "\(dataPath("penguins.csv"))" target=species
        first = filter p "year == 2007"
        set format json
        drift train test classifier=none
        drift train production classifier=none min_effect=0.3
        drift first p by=year classifier=none
        """)
    #expect(ok, "\(out.errors)")
    let r = try out.results.filter { $0.hasPrefix("{") }.map { try jsonReport($0) }.filter {
        $0["report"] as? String == "drift"
    }
    #expect(r.count == 3)
    #expect(r[0]["shifted"] as? Int == 0)
    #expect((r[0]["verdict"] as? String)?.hasPrefix("no column differs beyond noise") == true)
    let shifted = try #require(r[1]["columns"] as? [[String: Any]])
    #expect(shifted.count == 31)
    for (report, minEffect) in [(r[0], 0.1), (r[1], 0.3)] {
        for c in try #require(report["columns"] as? [[String: Any]]) {
            let p = try #require(c["adjusted_p"] as? Double), effect = try #require(c["effect"] as? Double)
            let expected = p < 0.05 ? (effect >= minEffect ? "shifted" : "slight") : ""
            #expect(c["verdict"] as? String == expected, "\(c["column"] ?? "")")
        }
    }
    let byName = Dictionary(uniqueKeysWithValues: shifted.map { ($0["column"] as? String ?? "", $0) })
    #expect(byName["mean_radius"]?["verdict"] as? String == "shifted")
    #expect(byName["diagnosis (target)"]?["verdict"] as? String == "shifted")
    #expect(byName["diagnosis (target)"]?["target"] as? Bool == true)
    // Largest effect first.
    let effects = shifted.compactMap { $0["effect"] as? Double }
    #expect(effects == effects.sorted(by: >))
    let batches = try #require(r[2]["batches"] as? [[String: Any]])
    #expect(batches.compactMap { $0["rows"] as? Int }.reduce(0, +) == 344)
    #expect(batches.map { $0["batch"] as? String } == ["year = 2007", "year = 2008", "year = 2009"])
    // The 2007 batch against the 2007 reference: identical, nothing shifted.
    #expect(batches[0]["shifted"] as? Int == 0 && batches[0]["adjusted_p"] as? Double == 1)
    // The year column is the batch column: not compared.
    let columns = try #require(r[2]["columns"] as? [[String: Any]])
    #expect(!columns.contains { $0["column"] as? String == "year" })
}

/// The classifier's view joins the report; bad options are refused at the argument.
@Test func driftAddsTheClassifierAndRefusesBadOptions() throws {
    let (session, out, ok) = run(
        """
        bc = load "\(dataPath("breast_cancer.csv"))" target=diagnosis
        train, test = split bc ratio=0.5 stratify seed=1
        production = filter test "mean_radius > 14"
        set format json
        drift train production seed=1
        """)
    #expect(ok, "\(out.errors)")
    let r = try #require(try out.results.filter { $0.hasPrefix("{") }.map { try jsonReport($0) }.last)
    let auc = try #require(r["adversarial_auc"] as? Double)
    #expect(auc > 0.7, "\(auc)")
    for (line, message) in [
        ("drift train test by=nothing", "no column named 'nothing'"), ("drift train test min_effect=-1", "min_effect"),
        ("drift train test bins=1", "bins")
    ] {
        let (_, bad, fine) = run(line, in: session)
        #expect(!fine)
        #expect(bad.errors.joined().contains(message), "\(line): \(bad.errors)")
    }
}
