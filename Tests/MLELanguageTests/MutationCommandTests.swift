import Foundation
import MLELanguage
import MLETestSupport
import Testing

/// `mutation`: seeded (the same statement, the same report, whatever the scheduling of the
/// parallel retrainings); every mutant's verdict follows from its row; the score counts them;
/// neuron coverage is reported beside it.
@Test func mutationIsSeededAndCountsItsVerdicts() throws {
    let script = """
        iris = load "\(dataPath("iris.csv"))" target=species
        train, test = split iris ratio=0.6 stratify seed=1
        net = mlp train hidden=[8] epochs=30 seed=1
        set format json
        mutation net train test k=4 seed=3
        """
    let (_, a, okA) = run(script), (_, b, okB) = run(script)
    #expect(okA && okB, "\(a.errors)")
    let ra = try #require(try a.results.filter { $0.hasPrefix("{") }.map { try jsonReport($0) }.last)
    let rb = try #require(try b.results.filter { $0.hasPrefix("{") }.map { try jsonReport($0) }.last)
    let mutants = try #require(ra["mutants"] as? [[String: Any]])
    #expect(mutants.count == 9)
    #expect(
        try JSONSerialization.data(withJSONObject: mutants, options: .sortedKeys)
            == JSONSerialization.data(withJSONObject: rb["mutants"] ?? [], options: .sortedKeys))
    var killed = 0
    for m in mutants {
        let p = try #require(m["p"] as? Double)
        let d = m["effect"] as? Double ?? .infinity  // ±∞ is JSON null
        let verdict = try #require(m["verdict"] as? String)
        #expect(verdict == (p < 0.05 && abs(d) >= 0.5 ? "killed" : "survived"), "\(m["mutant"] ?? "")")
        if verdict == "killed" { killed += 1 }
    }
    #expect(isClose(try #require(ra["mutation_score"] as? Double), Double(killed) / 9, relative: 1e-12))
    #expect(ra["neuron_coverage"] as? Double != nil)
}

/// Ctrl-C during the retrainings keeps the finished ones: the report still comes, with the
/// mutants whose instances did not all finish marked, and the score over the others.
@Test func mutationInterruptedKeepsWhatIsDone() throws {
    let (session, _, ok) = run(
        """
        iris = load "\(dataPath("iris.csv"))" target=species
        train, test = split iris ratio=0.6 stratify seed=1
        net = mlp train hidden=[8] epochs=30 seed=1
        """)
    #expect(ok)
    let statement = "r = mutation net train test k=3 seed=3"
    let counter = Tripwire(passes: .max)
    session.cancellation = counter.cancellation
    _ = run(statement, in: session)
    session.cancellation = Tripwire(passes: counter.count / 2).cancellation
    session.format = .json
    session.variables["r"] = nil
    let (_, out, _) = run(statement, in: session)
    guard case .report(let report)? = session.variables["r"] else {
        Issue.record("r is not a report: \(out.errors) \(out.notes) (checks \(counter.count))"); return
    }
    #expect(report.verdict?.contains("stopped before") == true, "\(report.verdict ?? "")")
}

/// Refused with the reason: a model without a network's settings, an unknown mutant, k below 2.
@Test func mutationRefusesWhatItCannotMutate() throws {
    let (session, _, ok) = run(
        """
        iris = load "\(dataPath("iris.csv"))" target=species
        lr = logistic iris
        net = mlp iris hidden=[4] epochs=2 seed=1
        """)
    #expect(ok)
    for (line, message) in [
        ("mutation lr iris iris", "give a network trained here with mlp"),
        ("mutation net iris iris mutants=[bogus]", "no mutant named 'bogus'"),
        ("mutation net iris iris k=1", "k must be between 2 and 1000")
    ] {
        let (_, bad, fine) = run(line, in: session)
        #expect(!fine)
        #expect(bad.errors.joined().contains(message), "\(line): \(bad.errors)")
    }
}
