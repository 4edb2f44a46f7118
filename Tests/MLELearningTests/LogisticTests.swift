import Foundation
import MLETensor
import MLETestSupport
import Testing

@testable import MLELearning

private func learningFixture() -> [String: Any] {
    let url = fixtureURL("MLELearningTests", "learning.json")
    guard let data = try? Data(contentsOf: url),
        let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    else { return [:] }
    return object
}

@Test func logisticRegressionReachesScikitLearnsOptimum() throws {
    let cases = try #require(learningFixture()["logistic"] as? [[String: Any]])
    #expect(cases.count == 3)
    for c in cases {
        let file = try #require(c["file"] as? String), target = try #require(c["target"] as? String)
        let data = try Dataset.load(
            path: packageRoot.appendingPathComponent("datasets/\(file)").path, targetName: target)
        var config = LogisticConfig()
        config.c = try #require(c["c"] as? Double)
        if c["class_weight"] as? String == "balanced" { config.classWeights = data.balancedClassWeights ?? [] }
        let result = try LogisticTrainer.train(data, config: config)
        #expect(result.converged)
        let expected = try #require(c["probabilities"] as? [[Double]])
        guard case .probabilities(let p) = try result.model.predict(data) else {
            Issue.record("no probabilities"); continue
        }
        var worst = 0.0
        for (r, row) in expected.enumerated() {
            for (k, v) in row.enumerated() { worst = max(worst, abs(Double(p[r, k]) - v)) }
        }
        #expect(worst < 1e-5, "\(file) C=\(config.c): largest probability difference \(worst)")
    }
}

@Test func binEdgesMatchScikitLearnOnRealColumns() throws {
    let cases = try #require(learningFixture()["bins"] as? [[String: Any]])
    let data = try Dataset.load(
        path: packageRoot.appendingPathComponent("datasets/breast_cancer.csv").path, targetName: "diagnosis")
    for c in cases {
        let column = try #require(c["column"] as? String), strategy = try #require(c["strategy"] as? String)
        let j = try #require(data.featureNames.firstIndex(of: column))
        let values = (0..<data.rowCount).map { data.features[$0, j] }
        let edges = Preprocessor.binEdges(
            values, bins: 5, how: try #require(PreprocessSettings.Binning(rawValue: strategy)))
        let expected = try #require(c["interior_edges"] as? [Double])
        #expect(edges.count == expected.count)
        for (a, b) in zip(edges, expected) {
            #expect(abs(Double(a) - b) <= 1e-4 * max(1, abs(b)), "\(column) \(strategy): \(edges) vs \(expected)")
        }
    }
}

@Test func randomBaselinesGuessAtTheirExpectedRates() throws {
    // 3 classes with shares 0.5, 0.3, 0.2: uniform guessing is right 1/3 of the time, prior
    // guessing Σ p² = 0.38 of the time.
    let labels = (0..<20_000).map { $0 % 10 < 5 ? 0 : ($0 % 10 < 8 ? 1 : 2) }
    let d = Dataset(
        name: "b", featureNames: ["x"], features: Matrix(rows: labels.count, cols: 1), targetName: "y",
        target: .classes(labels: labels, names: ["a", "b", "c"]))
    for (kind, expected) in [(BaselineModel.Kind.uniform, 1.0 / 3), (.prior, 0.38)] {
        let m = try BaselineModel.fit(d, kind: kind, seed: 7)
        let predicted = try #require(try m.predict(d).predictedClasses)
        let accuracy = Double(zip(predicted, labels).filter { $0 == $1 }.count) / Double(labels.count)
        let se = (expected * (1 - expected) / Double(labels.count)).squareRoot()
        #expect(abs(accuracy - expected) < 4 * se, "\(kind): \(accuracy) vs \(expected)")
        #expect(try m.predict(d).predictedClasses == predicted)  // seeded
    }
    #expect(throws: SettingError.self) {
        try BaselineModel.fit(
            Dataset(
                name: "r", featureNames: ["x"], features: Matrix(rows: 2, cols: 1), targetName: "y",
                target: .values([1, 2])), kind: .prior)
    }
}
