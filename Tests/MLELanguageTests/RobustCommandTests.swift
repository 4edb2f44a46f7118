import Foundation
import MLEEvaluation
import MLELanguage
import MLELearning
import MLETestSupport
import Testing

@Test func robustCommandMatchesTheCheckAndEchoesItsSettings() throws {
    let (s, out, ok) = run(
        coverageSetup
            + "\nset format json\nrobust net test delta=0.2 epsilon=0.02 norm=linf samples=50 steps=10 restarts=2 seed=4"
    )
    #expect(ok, "\(out.errors)")
    let r = try jsonReport(try #require(out.results.last))
    let settings = try #require(r["settings"] as? [String: Any])
    #expect(
        settings["norm"] as? String == "linf" && settings["epsilon"] as? Double == 0.02 && settings["seed"] as? Int == 4
    )
    #expect(settings["samples"] as? Int == 50 && settings["units"] as? String == "standardized")
    guard case .model(let m)? = s.variables["net"], let net = m.model as? MLP,
        case .dataset(let test)? = s.variables["test"]
    else {
        Issue.record("setup"); return
    }
    var direct = RobustSettings()
    direct.delta = 0.2; direct.epsilon = 0.02; direct.norm = .linf; direct.samples = 50; direct.steps = 10;
    direct.restarts = 2; direct.seed = 4
    let results = try Robustness.check(net, x: test.features, settings: direct)
    #expect(r["robust"] as? Int == results.filter { $0.verdict == .robust }.count)
    #expect(r["not_robust"] as? Int == results.filter { $0.verdict == .notRobust }.count)
    let examples = try #require(r["examples"] as? [[String: Any]])
    #expect(examples.count == test.rowCount)
    for (e, d) in zip(examples, results) {
        // Equal up to float32 rounding: the center logits come from BLAS products whose last bits
        // can depend on how the buffers happen to be aligned.
        let certified = try #require(e["certified"] as? Double), attacked = try #require(e["attacked"] as? Double)
        #expect(abs(certified - d.certified!) <= 1e-9 * max(1e-12, abs(d.certified!)))
        #expect(abs(attacked - d.attacked!) <= 1e-9 * max(1e-12, abs(d.attacked!)))
    }
}

@Test func robustCurveOverSeveralRadii() throws {
    let (_, out, ok) = run(
        coverageSetup + "\nrobust net test delta=[0.01, 0.5] epsilon=0.05 samples=20 steps=5 restarts=1 seed=1")
    #expect(ok, "\(out.errors)")
    let text = try #require(out.results.last)
    #expect(text.contains("verdicts per δ (113 examples each)"))
    #expect(text.contains("share of examples per δ"))
    #expect(text.contains("0.01") && text.contains("0.5"))
}

@Test func robustRefusesWhatItCannotDo() {
    let cases: [(String, String)] = [
        (
            "base = baseline train\nrobust base test",
            "robust analyses a neural network's ReLU layers; 'base' is a zero_rule model"
        ),
        ("robust net test delta=-1", "delta takes a number ≥ 0 or a list of them"),
        ("robust net test delta=[]", "delta lists take 1 to 100 radii"),
        ("robust net test epsilon=-0.1", "epsilon must be a number ≥ 0"),
        ("robust net test samples=0", "samples must be between 1 and 1000000"),
        ("robust net test norm=l3", "'l3' is not a choice for norm")
    ]
    for (line, message) in cases {
        let (s, out, ok) = run(coverageSetup + "\n" + line)
        #expect(!ok)
        #expect(out.errors.first?.contains(message) == true, "\(line): \(out.errors)")
        #expect(s.variables["net"] != nil)
    }
}

@Test func radiusCommandMatchesTheSearchAndSensitivityIsReported() throws {
    let (s, out, ok) = run(
        coverageSetup + "\nset format json\nradius net test norm=linf steps=10 restarts=2 seed=3 tolerance=0.01"
            + "\nrobust net test delta=0.5 epsilon=0.02 samples=50 steps=10 restarts=2 seed=4")
    #expect(ok, "\(out.errors)")
    let r = try jsonReport(try #require(out.results.dropLast().last))
    #expect(r["report"] as? String == "label_radius")
    guard case .model(let m)? = s.variables["net"], let net = m.model as? MLP,
        case .dataset(let test)? = s.variables["test"]
    else {
        Issue.record("setup"); return
    }
    var direct = RadiusSettings()
    direct.norm = .linf; direct.steps = 10; direct.restarts = 2; direct.seed = 3; direct.tolerance = 0.01
    let results = try LabelRadius.measure(net, x: test.features, settings: direct)
    let examples = try #require(r["examples"] as? [[String: Any]])
    #expect(examples.count == results.count)
    for (e, d) in zip(examples, results) {
        #expect(abs((e["certified"] as? Double ?? -1) - d.certified) <= 1e-9 * (1 + d.certified))
        #expect(
            (e["attacked"] as? Double).map { abs($0 - (d.attacked ?? -1)) <= 1e-6 * (1 + $0) } ?? (d.attacked == nil))
    }
    // The robustness report carries one sensitivity entry per feature.
    let robust = try jsonReport(try #require(out.results.last))
    let sensitivity = try #require(robust["sensitivity"] as? [[String: Any]])
    #expect(sensitivity.count == net.featureNames.count)
    let shares = sensitivity.compactMap { $0["displacement_share"] as? Double }
    if (robust["not_robust"] as? Int ?? 0) > 0 { #expect(abs(shares.reduce(0, +) - 1) < 1e-6) }
    // Bad settings are errors with the option's position.
    let (_, bad, badOK) = run(coverageSetup + "\nradius net test max=0")
    #expect(!badOK && bad.errors.joined().contains("max must be a number > 0"))
}
