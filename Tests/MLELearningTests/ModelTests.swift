import Foundation
import Testing
import MLEEvaluation
import MLELearning
import MLETensor

func toyDataset(rows: Int, seed: UInt64) -> Dataset {
    // Two Gaussian blobs in 3-D plus a third class, separable.
    var rng = SeededGenerator(seed: seed)
    var x = Matrix(rows: rows, cols: 3)
    var labels: [Int] = []
    for r in 0..<rows {
        let c = r % 3
        labels.append(c)
        for j in 0..<3 { x[r, j] = Float(rng.nextNormal() * 0.5) + (j == c ? 3 : 0) }
    }
    return Dataset(name: "toy", featureNames: ["a", "b", "c"], features: x, targetName: "y",
                   target: .classes(labels: labels, names: ["p", "q", "r"]))
}

@Test func stratifiedSplitKeepsClassSharesAndIsSeeded() throws {
    let d = toyDataset(rows: 300, seed: 1)
    let (train, test) = try Splitter.split(d, ratio: 0.8, stratify: true, seed: 7)
    #expect(train.rowCount == 240 && test.rowCount == 60)
    #expect(train.classCounts == [80, 80, 80] && test.classCounts == [20, 20, 20])
    let (train2, _) = try Splitter.split(d, ratio: 0.8, stratify: true, seed: 7)
    #expect(train2.features == train.features)
    let (train3, _) = try Splitter.split(d, ratio: 0.8, stratify: true, seed: 8)
    #expect(train3.features != train.features)
}

@Test func randomSplitPartitionsTheRows() throws {
    var d = toyDataset(rows: 101, seed: 2)
    // Tag each row in the first feature so we can check the partition.
    for r in 0..<101 { d.features[r, 0] = Float(r) }
    let (train, test) = try Splitter.split(d, ratio: 0.7, stratify: false, seed: 3)
    #expect(train.rowCount == 71 && test.rowCount == 30)
    let ids = (0..<train.rowCount).map { Int(train.features[$0, 0]) } + (0..<test.rowCount).map { Int(test.features[$0, 0]) }
    #expect(ids.sorted() == Array(0..<101))
}

@Test func splitRejectsBadRatios() {
    let d = toyDataset(rows: 3, seed: 1)
    #expect(throws: LearningError.self) { try Splitter.split(d, ratio: 1.2, stratify: false, seed: 0) }
    #expect(throws: LearningError.self) { try Splitter.split(d, ratio: 0.01, stratify: false, seed: 0) }
}

@Test func zeroRuleBaselines() throws {
    let d = Dataset(name: "d", featureNames: ["x"], features: try Matrix([[0], [1], [2], [3]]), targetName: "y",
                    target: .classes(labels: [1, 1, 0, 1], names: ["a", "b"]))
    let m = try BaselineModel.fit(d, kind: .zeroRule)
    #expect(try m.predict(d).predictedClasses == [1, 1, 1, 1])
    let r = Dataset(name: "r", featureNames: ["x"], features: try Matrix([[0], [1], [2], [3]]), targetName: "y",
                    target: .values([1, 2, 3, 10]))
    guard case .values(let mean) = try BaselineModel.fit(r, kind: .zeroRule).predict(r.features) else { Issue.record("values expected"); return }
    #expect(mean == [4, 4, 4, 4])
    guard case .values(let median) = try BaselineModel.fit(r, kind: .median).predict(r.features) else { Issue.record("values expected"); return }
    #expect(median == [2.5, 2.5, 2.5, 2.5])
    #expect(throws: LearningError.self) { try BaselineModel.fit(d, kind: .median) }
}

/// Central finite differences of the loss against the analytic gradient of every parameter.
func checkGradients(targets: TrainingTargets, outputs: Int, seed: UInt64) throws {
    var rng = SeededGenerator(seed: seed)
    let widths = [4, 5, 3, outputs]
    let net = MLP.initialised(widths: widths, standardizer: Standardizer(mean: [0, 0, 0, 0], scale: [1, 1, 1, 1]),
                              featureNames: ["a", "b", "c", "d"],
                              task: outputs == 1 ? .regression : .classification(classNames: (0..<outputs).map(String.init)),
                              rng: &rng)
    var x = Matrix(rows: 6, cols: 4)
    for i in x.storage.indices { x.storage[i] = Float(rng.nextNormal()) }
    let (_, grads) = try net.lossAndGradients(standardized: x, targets: targets)
    let h: Float = 3e-3
    var worst: Float = 0
    for l in net.layers.indices {
        for i in net.layers[l].weight.storage.indices {
            var plus = net, minus = net
            plus.layers[l].weight.storage[i] += h
            minus.layers[l].weight.storage[i] -= h
            let numeric = (try plus.lossAndGradients(standardized: x, targets: targets).loss
                           - minus.lossAndGradients(standardized: x, targets: targets).loss) / (2 * h)
            let analytic = grads[l].weight.storage[i]
            worst = max(worst, abs(numeric - analytic) / max(1e-2, abs(numeric) + abs(analytic)))
        }
        for i in net.layers[l].bias.indices {
            var plus = net, minus = net
            plus.layers[l].bias[i] += h
            minus.layers[l].bias[i] -= h
            let numeric = (try plus.lossAndGradients(standardized: x, targets: targets).loss
                           - minus.lossAndGradients(standardized: x, targets: targets).loss) / (2 * h)
            worst = max(worst, abs(numeric - grads[l].bias[i]) / max(1e-2, abs(numeric) + abs(grads[l].bias[i])))
        }
    }
    #expect(worst < 2e-2, "largest relative gradient error \(worst)")
}

@Test func mlpCrossEntropyGradientMatchesFiniteDifferences() throws {
    try checkGradients(targets: .classes([0, 1, 2, 1, 0, 2]), outputs: 3, seed: 3)
}

@Test func mlpSquaredErrorGradientMatchesFiniteDifferences() throws {
    try checkGradients(targets: .values([0.5, -1, 2, 0, 1, -0.3]), outputs: 1, seed: 4)
}

@Test func mlpLearnsSeparableClassesAndIsReproducible() throws {
    let d = toyDataset(rows: 300, seed: 5)
    var config = MLPConfig()
    config.hidden = [16]
    config.epochs = 30
    config.learningRate = 0.01
    config.seed = 9
    let a = try MLPTrainer.train(d, config: config)
    let b = try MLPTrainer.train(d, config: config)
    #expect(a.model.layers == b.model.layers)
    #expect(a.lossHistory.count == 30 && a.lossHistory.last! < a.lossHistory.first!)
    guard case .classification(let m) = try Evaluation.evaluate(a.model, on: d) else { Issue.record("classification expected"); return }
    #expect(m.accuracy > 0.95)
}

@Test func mlpRegressionFitsALine() throws {
    var rng = SeededGenerator(seed: 6)
    var x = Matrix(rows: 200, cols: 1)
    var y: [Float] = []
    for r in 0..<200 { let v = Float(rng.nextUnit() * 4 - 2); x[r, 0] = v; y.append(3 * v + 100) }
    let d = Dataset(name: "line", featureNames: ["x"], features: x, targetName: "y", target: .values(y))
    var config = MLPConfig()
    config.hidden = [8]; config.epochs = 100; config.learningRate = 0.01; config.seed = 1
    let result = try MLPTrainer.train(d, config: config)
    guard case .regression(let m) = try Evaluation.evaluate(result.model, on: d) else { Issue.record("regression expected"); return }
    #expect((m.r2 ?? 0) > 0.99)
}

@Test func cancellationStopsTrainingAndKeepsTheModel() throws {
    let d = toyDataset(rows: 90, seed: 7)
    var config = MLPConfig()
    config.epochs = 1000
    config.batchSize = 10
    final class Counter: @unchecked Sendable { var polls = 0 }
    let counter = Counter()
    // Cancel after 25 batches: 2 full epochs of 9 batches, then 7 batches into the third.
    let result = try MLPTrainer.train(d, config: config, cancellation: Cancellation {
        counter.polls += 1
        return counter.polls > 25
    })
    #expect(result.interrupted)
    #expect(result.epochsCompleted == 2)
    #expect(result.model.layers.count == 2)
}

@Test func trainingRejectsBadInput() {
    let d = toyDataset(rows: 30, seed: 1)
    var config = MLPConfig()
    config.hidden = [0]
    #expect(throws: LearningError.self) { try MLPTrainer.train(d, config: config) }
    var noTarget = d
    noTarget.target = nil
    #expect(throws: LearningError.noTarget("mlp")) { try MLPTrainer.train(noTarget, config: MLPConfig()) }
    var huge = MLPConfig()
    huge.learningRate = 1e30
    huge.epochs = 5
    #expect(throws: LearningError.self) { try MLPTrainer.train(d, config: huge) }
}
