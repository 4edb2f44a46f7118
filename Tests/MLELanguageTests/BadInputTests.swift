import Foundation
import MLETestSupport
import Testing

@testable import MLELanguage

/// The bad-input catalogue (Tests/cli/bad_inputs.json, from scripts/fixtures/make_bad_inputs.py):
/// each case after the same set-up must give exactly its recorded errors, at their places, leave
/// every variable and the session seed as they were, and let the next statement run.
@Test func everyCaseOfTheBadInputCatalogueFailsCleanly() throws {
    let data = try Data(contentsOf: root.appendingPathComponent("Tests/cli/bad_inputs.json"))
    let catalogue = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    let setup = try #require(catalogue["setup"] as? [String])
    let cases = try #require(catalogue["cases"] as? [[String: Any]])
    #expect(cases.count >= 150)
    let datasets = root.appendingPathComponent("datasets").path
    let (session, setupOut, ok) = run(setup.joined(separator: "\n").replacingOccurrences(of: "DATA", with: datasets))
    #expect(ok, "\(setupOut.errors)")
    func snapshot() -> [String: String] { session.variables.mapValues { $0.summary } }
    var swallowing = 0
    for c in cases {
        let input = try #require(c["input"] as? String)
        let expected = try #require(c["errors"] as? [String])
        let afterRuns = try #require(c["after_runs"] as? Bool)
        let before = snapshot(), seed = session.seed
        let (_, out, done) = run(
            input.replacingOccurrences(of: "DATA", with: datasets) + "\nafter = 2", in: session, keepGoing: true)
        let errors = out.errors.joined(separator: "\n").replacingOccurrences(of: datasets, with: "DATA")
            .replacingOccurrences(
                of: #"and [0-9.]+ [KMGTPE]?B is free"#, with: "and N is free", options: .regularExpression
            )
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(!done, "\(input): no error")
        #expect(errors == expected, "\(input)")
        #expect(session.seed == seed, "\(input): the seed moved")
        var after = snapshot(), unchanged = before
        let ran = after.removeValue(forKey: "after") != nil
        #expect(ran == afterRuns, "\(input): the statement after it \(ran ? "ran" : "did not run")")
        // `ans` is the statement after it's result when that ran, else what it was.
        let ans = after.removeValue(forKey: "ans"), ansBefore = unchanged.removeValue(forKey: "ans")
        #expect(ans == (ran ? "2" : ansBefore), "\(input): ans changed")
        // Only statements that parse on their own run; nothing the failed statement names changes.
        #expect(after == unchanged, "\(input): variables changed")
        session.variables["after"] = nil
        if !afterRuns { swallowing += 1 }
    }
    // Only an unclosed loop body takes the lines after it (they are its body).
    #expect(swallowing == 1)
}
