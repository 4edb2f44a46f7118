import Foundation
import MLEEvaluation
import MLELanguage
import MLELearning
import MLETestSupport
import Testing

let coverageSetup = """
    data = load "\(dataPath("breast_cancer.csv"))" target=diagnosis
    train, test = split data ratio=0.8 stratify seed=7
    net = mlp train hidden=[16, 8] epochs=20 seed=7
    """

func jsonReport(_ text: String) throws -> [String: Any] {
    try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
}

/// The report of `evaluate MODEL` on the rows of `data` that satisfy `condition`, run in
/// `session` (which prints JSON): how tests check a segment or group against filter + evaluate.
func evaluationOfRows(_ model: String, _ data: String, where condition: String, in session: Session) throws
    -> [String: Any]
{
    let (_, out, ok) = run(
        """
        rows = filter \(data) "\(condition)"
        evaluate \(model) rows
        """, in: session)
    #expect(ok, "\(condition): \(out.errors)")
    let reports = try out.results.filter { $0.hasPrefix("{") }.map { try jsonReport($0) }
    return try #require(reports.first { $0["report"] as? String == "evaluation" })
}

@Test func coverageCommandMatchesTheAnalysisAndEchoesItsSettings() throws {
    let (s, out, ok) = run(
        coverageSetup
            + "\nset format json\ncoverage net test rule=scaled threshold=0.25 values=pre inputs=all layers=[2] seed=5 sections=50 top=1"
    )
    #expect(ok, "\(out.errors)")
    let r = try jsonReport(try #require(out.results.last))
    let settings = try #require(r["settings"] as? [String: Any])
    #expect(settings["rule"] as? String == "scaled" && settings["threshold"] as? Double == 0.25)
    #expect(settings["values"] as? String == "pre" && settings["inputs"] as? String == "all")
    #expect(settings["layers"] as? [Int] == [2] && settings["seed"] as? Int == 5)
    #expect(settings["sections"] as? Int == 50 && settings["top"] as? Int == 1)

    // The same analysis, called directly.
    guard case .model(let m)? = s.variables["net"], let net = m.model as? MLP,
        case .dataset(let test)? = s.variables["test"], case .classes(let labels, _)? = test.target
    else {
        Issue.record("setup"); return
    }
    var settingsValue = CoverageSettings()
    settingsValue.rule = .scaled(0.25); settingsValue.values = .pre; settingsValue.inputs = .all
    settingsValue.layers = [1]; settingsValue.seed = 5; settingsValue.sections = 50; settingsValue.top = 1
    let a = try Coverage.analyse(net, x: test.features, truth: labels, settings: settingsValue, profile: net.profile)
    #expect(r["covered"] as? Int == a.covered && r["units"] as? Int == 8)
    #expect(r["examples_used"] as? Int == a.examplesUsed)
    #expect((r["growth"] as? [Double])?.count == a.examplesUsed)
    let criteria = try #require(r["criteria"] as? [[String: Any]])
    #expect(criteria.map { $0["criterion"] as? String } == ["neuron", "kmnc", "nbc", "snac", "tknc"])
    for (c, expected) in zip(criteria, a.criteria) {
        #expect(c["covered"] as? Int == expected.covered && c["total"] as? Int == expected.total)
        #expect((c["curve"] as? [Int])?.last == expected.covered)
    }
}

@Test func coverageReportReadsWellAndIsDeterministic() throws {
    let script = coverageSetup + "\ncoverage net test seed=1\ncoverage net test threshold=2 seed=1 criterion=neuron"
    let (_, out, ok) = run(script)
    #expect(ok, "\(out.errors)")
    let first = try #require(out.results.first { $0.hasPrefix("coverage of net on test") })
    #expect(first.contains("activated means  post-activation value > 0"))
    #expect(first.contains("correctly predicted inputs only (the book)"))
    #expect(first.contains("order            random, seed 1"))
    #expect(first.contains("k-multisection coverage") && first.contains("top-k neuron coverage"))
    #expect(first.contains("examples fed"))
    let last = try #require(out.results.last)
    #expect(last.contains("neuron coverage after each example fed"))
    #expect(!last.contains("k-multisection coverage"))  // criterion=neuron shows only that row
    let (_, again, _) = run(script)
    #expect(again.results == out.results)
}

@Test func coverageSaysWhenTheCriterionSaturatesEarly() throws {
    // A threshold far below every value: the first correct input covers every unit.
    let (_, out, ok) = run(coverageSetup + "\ncoverage net test threshold=-1000 seed=1 criterion=neuron")
    #expect(ok)
    #expect(out.results.last?.contains("too weak to tell test sets apart") == true)
}

@Test func coverageComparesTwoTestSets() throws {
    let (_, out, ok) = run(
        coverageSetup
            + "\nhalf, rest = split test ratio=0.5 stratify seed=3\ncoverage net test half threshold=1 seed=2\nset format json\ncoverage net test half threshold=1 seed=2"
    )
    #expect(ok, "\(out.errors)")
    let text = try #require(out.results.dropLast().last)
    #expect(text.contains("test (113 examples) versus half (57 examples), same settings"))
    #expect(text.contains("● test  ○ half"))
    let r = try jsonReport(try #require(out.results.last))
    #expect(r["versus_data"] as? String == "half" && r["versus_examples"] as? Int == 57)
    // The comparison, criterion by criterion, as the table people see.
    let versus = r["versus"] as? [[String: Any]] ?? []
    #expect(versus.first?["criterion"] as? String == "neuron coverage" && versus.first?["coverage_b"] is Double)
}

@Test func coverageSearchWritesTheInputsItFound() throws {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("mle-found-\(UUID().uuidString).csv").path
    defer { try? FileManager.default.removeItem(atPath: file) }
    let (_, out, ok) = run(
        coverageSetup + "\nset format json\ncoverage net test threshold=4 seed=1 search limit=3 to=\"\(file)\"")
    #expect(ok, "\(out.errors)")
    let r = try jsonReport(try #require(out.results.last))
    let search = try #require(r["search"] as? [[String: Any]])
    let uncovered = try #require(r["uncovered"] as? [[String: Any]])
    #expect(search.count == min(3, uncovered.count))
    let csv = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n")
    #expect(csv.first?.hasPrefix("layer,unit,found,from_row,prediction,mean_radius") == true)
    #expect(csv.count == search.count + 1)
    #expect(out.notes.contains { $0.hasPrefix("wrote \(search.count) searched inputs to") })
}

@Test func coverageRefusesWhatItCannotDo() {
    let cases: [(String, String)] = [
        (
            "base = baseline train\ncoverage base test",
            "coverage looks inside a neural network; 'base' is a zero_rule model"
        ),
        ("coverage net test layers=4", "layers are numbered 1 to 3 (3 is the output layer); got 4"),
        ("coverage net test layers=somewhere", "layers takes hidden, all or layer numbers like [1, 2]; got somewhere"),
        ("coverage net test target=1.5", "target is a share above 0 and at most 1"),
        ("coverage net test to=\"x.csv\"", "to= writes the inputs a search finds; add the flag search"),
        ("coverage net test rule=loud", "'loud' is not a choice for rule")
    ]
    for (line, message) in cases {
        let (s, out, ok) = run(coverageSetup + "\n" + line)
        #expect(!ok)
        #expect(out.errors.first?.contains(message) == true, "\(line): \(out.errors)")
        #expect(s.variables["net"] != nil)
    }
}

@Test func textPlotDrawsStepsAxesAndLegend() {
    let plot = TextPlot(
        title: "growth", series: [.init("a", [0, 0.5, 1]), .init("b", [0, 0.5, 0.5])],
        xLabel: "examples", yRange: 0...1, percent: true, width: 10, height: 3)
    // Ten columns over three points: each column shows the last point it reaches.
    #expect(
        plot.text() == """
            growth
            100% │      ●●●●
             50% │   ◆◆◆○○○○
              0% │◆◆◆
                 └──────────
                  1        3
                  examples   ● a  ○ b  ◆ several
            """)
}

@Test func trainOptionMeasuresRangesAndDeadUnitsOnTheGivenData() throws {
    // A threshold high enough that some units never pass it on the training set.
    let (_, out, ok) = run(
        coverageSetup
            + "\nset format json\ncoverage net test threshold=3 seed=1\ncoverage net test threshold=3 seed=1 train=train\ncoverage net test rule=scaled threshold=0.9 seed=1\ncoverage net test rule=scaled threshold=0.9 seed=1 train=train"
    )
    #expect(ok, "\(out.errors)")
    let reports = try out.results.suffix(4).map(jsonReport)
    // The profile kept from training and a re-measurement on the same training set agree.
    let fromProfile = try #require(reports[0]["dead"] as? [[String: Int]])
    let fromData = try #require(reports[1]["dead"] as? [[String: Int]])
    #expect(fromProfile == fromData)
    #expect(
        (reports[0]["criteria"] as? [[String: Any]])?.map { $0["covered"] as? Int }
            == (reports[1]["criteria"] as? [[String: Any]])?.map { $0["covered"] as? Int })
    // The scaled rule has no dead units from a profile; with train= they are computed.
    #expect(reports[2]["dead"] == nil)
    #expect(reports[3]["dead"] is [[String: Int]])
}
