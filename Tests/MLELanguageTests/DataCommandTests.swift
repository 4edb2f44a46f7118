import Foundation
import MLEEvaluation
import MLELanguage
import MLELearning
import MLETestSupport
import Testing

private func json(_ line: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
}

@Test func penguinsThroughTheCommandsWithTheirPipeline() throws {
    let (s, out, ok) = run(
        """
        p = load "\(dataPath("penguins.csv"))" target=species categorical=[year]
        train, test = split p ratio=0.8 stratify seed=3
        net = mlp train hidden=[8] epochs=40 validation=0.2 patience=5 seed=1
        set format json
        loss net
        evaluate net test
        """)
    #expect(ok, "\(out.errors)")
    guard case .model(let m)? = s.variables["net"], let net = m.model as? MLP else { Issue.record("no net"); return }
    #expect(net.preprocessor?.outputNames.contains("island=Biscoe") == true)
    let loss = try json(out.results[out.results.count - 2])
    // Every epoch, as rows of the epochs table.
    let epochs = try #require(loss["epochs"] as? [[String: Any]])
    let training = epochs.compactMap { $0["training"] as? Double },
        validation = epochs.compactMap { $0["validation"] as? Double }
    #expect(training.count == m.lossHistory.count && validation.count == training.count)
    #expect(zip(training, m.lossHistory).allSatisfy { abs($0 - Double($1)) < 1e-6 })
    let evaluation = try json(try #require(out.results.last))
    #expect((evaluation["accuracy"] as? Double ?? 0) > 0.9)
}

@Test func searchAndAdversarialCommandsMatchDirectCalls() throws {
    let (s, out, ok) = run(
        """
        d = load "\(dataPath("iris.csv"))" target=species
        set format json
        best, results = search d model=logistic c=[0.1, 1, 10] folds=3 seed=2
        results
        adversarial d d model=logistic seed=1
        """)
    #expect(ok, "\(out.errors)")
    guard case .dataset(let d)? = s.variables["d"] else { Issue.record("no data"); return }
    var settings = HyperSearch.Settings()
    settings.folds = 3; settings.seed = 2
    let direct = try HyperSearch.run(
        d, space: [HyperSearch.Parameter(name: "c", choices: [.number(0.1), .number(1), .number(10)])],
        settings: settings
    ) { data, c, _ in
        var config = LogisticConfig()
        config.c = c["c"]?.number ?? 1
        return try LogisticTrainer.train(data, config: config).model
    }
    let report = try json(out.results[out.results.count - 2])
    let rows = try #require(report["results"] as? [[String: Any]])
    #expect(rows.map { $0["c"] as? String } == direct.rows.map { $0.candidate["c"]?.description })
    #expect(zip(rows, direct.rows).allSatisfy { abs(($0["mean"] as? Double ?? -1) - $1.mean) < 1e-12 })
    // A set against itself cannot be told apart.
    let adversarial = try json(try #require(out.results.last))
    #expect(adversarial["alike"] as? Bool == true)
}
