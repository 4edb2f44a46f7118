import Foundation
import MLEEvaluation
import MLELanguage
import MLELearning
import MLETensor
import MLETestSupport
import Testing

private let stopped = Cancellation { true }

@Test func longDataWorkHearsCtrlCInsideItsLoops() throws {
    // Each entry point throws Cancelled on its own, before finishing, when Ctrl-C is pressed.
    #expect(throws: Cancelled.self) {
        try Dataset.read(path: dataPath("digits.csv"), targetName: "digit", cancellation: stopped)
    }
    let digits = try Dataset.load(path: dataPath("digits.csv"), targetName: "digit")
    #expect(throws: Cancelled.self) { try DataCheck.run(digits, cancellation: stopped) }
    #expect(throws: Cancelled.self) { try digits.csv(cancellation: stopped) }
    var s = Generator.Settings()
    s.cancellation = stopped
    #expect(throws: Cancelled.self) { try Generator.classification(s) }
    #expect(throws: Cancelled.self) { try Generator.regression(s) }
    #expect(throws: Cancelled.self) { try Generator.moons(s) }
    #expect(throws: Cancelled.self) { try Generator.blobs(s) }
    #expect(throws: Cancelled.self) {
        try AdversarialValidation.run(digits, digits, seed: 1, cancellation: stopped) { _ in
            Issue.record("no fold should be trained after Ctrl-C")
            return try BaselineModel.fit(digits, kind: .prior)
        }
    }
    // The loader sees Ctrl-C in the general reader too (quoted fields), every 1024 records.
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("mle-cancel-\(getpid()).csv").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    try ("a,b\n" + String(repeating: "\"1\",2\n", count: 5000)).write(toFile: path, atomically: true, encoding: .utf8)
    let wire = Tripwire(passes: 2)
    #expect(throws: Cancelled.self) { try Dataset.read(path: path, targetName: "b", cancellation: wire.cancellation) }
}

@Test func aCommandThatFinishesAfterCtrlCBindsNothing() throws {
    let (session, _, ok) = run("d = load \"\(dataPath("iris.csv"))\" target=species\nkept = 1")
    #expect(ok)
    // The statement's own check passes; Ctrl-C arrives while the command runs.
    for statement in [
        "x = describe d", "x = split d ratio=0.5", "x = check d", "x = generate kind=moons rows=100",
        "x = load \"\(dataPath("iris.csv"))\" target=species"
    ] {
        session.cancellation = Tripwire(passes: 1).cancellation
        let (_, _, done) = run(statement, in: session)
        #expect(!done, "\(statement) should be interrupted")
        #expect(session.variables["x"] == nil, "\(statement) bound x after Ctrl-C")
    }
    if case .number(let kept)? = session.variables["kept"] { #expect(kept == 1) } else { Issue.record("kept lost") }
    // A command that keeps partial results still binds them: the network learned so far.
    // (The statement's check, three in the preparation of the rows, then the batches of epoch 1.)
    session.cancellation = Tripwire(passes: 8).cancellation
    let (_, output, _) = run("net = mlp d hidden=[4] epochs=100000", in: session)
    #expect(session.variables["net"] != nil)
    #expect(
        output.notes.contains { $0.contains("interrupted") } || output.results.contains { $0.contains("interrupted") })
}

@Test func searchInterruptedKeepsItsScoresAndReturnsNoModel() throws {
    let (session, _, ok) = run("d = load \"\(dataPath("iris.csv"))\" target=species")
    #expect(ok)
    let statement = "m, r = search d hidden=[[2], [3], [4]] epochs=20 folds=2 seed=1"
    // How often a whole run checks for Ctrl-C (each batch of each fold's training, each fold,
    // the final retraining's batches).
    let counter = Tripwire(passes: .max)
    session.cancellation = counter.cancellation
    _ = run(statement, in: session)
    let checks = counter.count
    #expect(checks > 100)
    // Ctrl-C during the third candidate's training: the first two are kept, no model is retrained.
    session.cancellation = Tripwire(passes: checks * 5 / 8).cancellation
    session.format = .json
    let (_, out, _) = run(statement, in: session)
    guard case .none? = session.variables["m"] else {
        Issue.record("m should be bound to nothing: \(String(describing: session.variables["m"]))"); return
    }
    guard case .report(let report)? = session.variables["r"] else { Issue.record("r is not a report"); return }
    #expect(report.notes.contains { $0.hasPrefix("interrupted: 2 candidates were scored") })
    #expect(!out.results.isEmpty)
    // Ctrl-C near the end of the final retraining: every candidate scored, but the model the
    // training stopped early is not returned as the best one.
    session.cancellation = Tripwire(passes: checks - 3).cancellation
    _ = run(statement, in: session)
    guard case .none? = session.variables["m"] else { Issue.record("a model cut short was returned"); return }
    guard case .report(let last)? = session.variables["r"] else { Issue.record("r is not a report"); return }
    #expect(last.notes.contains { $0.contains("every candidate was scored, but retraining the best") })
}
