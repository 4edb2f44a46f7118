import Foundation
import MLEEvaluation
import MLETensor
import MLETestSupport
import Testing

@testable import MLELearning

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
    return Dataset(
        name: "toy", featureNames: ["a", "b", "c"], features: x, targetName: "y",
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
    let ids =
        (0..<train.rowCount).map { Int(train.features[$0, 0]) } + (0..<test.rowCount).map { Int(test.features[$0, 0]) }
    #expect(ids.sorted() == Array(0..<101))
}

@Test func splitRejectsBadRatios() {
    let d = toyDataset(rows: 3, seed: 1)
    #expect(throws: SettingError.self) { try Splitter.split(d, ratio: 1.2, stratify: false, seed: 0) }
    #expect(throws: SettingError.self) { try Splitter.split(d, ratio: 0.01, stratify: false, seed: 0) }
}

@Test func zeroRuleBaselines() throws {
    let d = Dataset(
        name: "d", featureNames: ["x"], features: try Matrix([[0], [1], [2], [3]]), targetName: "y",
        target: .classes(labels: [1, 1, 0, 1], names: ["a", "b"]))
    let m = try BaselineModel.fit(d, kind: .zeroRule)
    #expect(try m.predict(d).predictedClasses == [1, 1, 1, 1])
    let r = Dataset(
        name: "r", featureNames: ["x"], features: try Matrix([[0], [1], [2], [3]]), targetName: "y",
        target: .values([1, 2, 3, 10]))
    guard case .values(let mean) = try BaselineModel.fit(r, kind: .zeroRule).predict(r.features) else {
        Issue.record("values expected"); return
    }
    #expect(mean == [4, 4, 4, 4])
    guard case .values(let median) = try BaselineModel.fit(r, kind: .median).predict(r.features) else {
        Issue.record("values expected"); return
    }
    #expect(median == [2.5, 2.5, 2.5, 2.5])
    #expect(throws: SettingError.self) { try BaselineModel.fit(d, kind: .median) }
}

/// Central finite differences of the loss against the analytic gradient of every parameter.
func checkGradients(
    targets: TrainingTargets, outputs: Int, seed: UInt64, activation: Kernels.Activation = .relu,
    classWeights: [Float]? = nil
) throws {
    var rng = SeededGenerator(seed: seed)
    let widths = [4, 5, 3, outputs]
    var net = MLP.initialised(
        widths: widths, standardizer: Standardizer(mean: [0, 0, 0, 0], scale: [1, 1, 1, 1]),
        featureNames: ["a", "b", "c", "d"],
        task: outputs == 1 ? .regression : .classification(classNames: (0..<outputs).map(String.init)),
        rng: &rng)
    net.activation = activation
    var x = Matrix(rows: 6, cols: 4)
    for i in x.storage.indices { x.storage[i] = Float(rng.nextNormal()) }
    let (_, grads) = try net.lossAndGradients(standardized: x, targets: targets, classWeights: classWeights)
    let h: Float = 3e-3
    var worst: Float = 0
    for l in net.layers.indices {
        for i in net.layers[l].weight.storage.indices {
            var plus = net, minus = net
            plus.layers[l].weight.storage[i] += h
            minus.layers[l].weight.storage[i] -= h
            let numeric =
                (try plus.lossAndGradients(standardized: x, targets: targets, classWeights: classWeights).loss
                    - minus.lossAndGradients(standardized: x, targets: targets, classWeights: classWeights).loss)
                / (2 * h)
            let analytic = grads[l].weight.storage[i]
            worst = max(worst, abs(numeric - analytic) / max(1e-2, abs(numeric) + abs(analytic)))
        }
        for i in net.layers[l].bias.indices {
            var plus = net, minus = net
            plus.layers[l].bias[i] += h
            minus.layers[l].bias[i] -= h
            let numeric =
                (try plus.lossAndGradients(standardized: x, targets: targets, classWeights: classWeights).loss
                    - minus.lossAndGradients(standardized: x, targets: targets, classWeights: classWeights).loss)
                / (2 * h)
            worst = max(worst, abs(numeric - grads[l].bias[i]) / max(1e-2, abs(numeric) + abs(grads[l].bias[i])))
        }
    }
    #expect(worst < 2e-2, "largest relative gradient error \(worst)")
}

@Test func mlpCrossEntropyGradientMatchesFiniteDifferences() throws {
    try checkGradients(targets: .classes([0, 1, 2, 1, 0, 2]), outputs: 3, seed: 3)
}

@Test func otherActivationsAndClassWeightsHaveFiniteDifferenceGradients() throws {
    for a in [Kernels.Activation.tanh, .sigmoid, .leakyRelu] {
        try checkGradients(targets: .classes([0, 1, 2, 1, 0, 2]), outputs: 3, seed: 3, activation: a)
        try checkGradients(targets: .values([0.5, -1, 2, 0, 1, -0.3]), outputs: 1, seed: 4, activation: a)
    }
    try checkGradients(targets: .classes([0, 1, 2, 1, 0, 2]), outputs: 3, seed: 5, classWeights: [0.2, 3, 1])
}

@Test func weightedLossIsPyTorchsWeightedMean() throws {
    // One layer, zero weights: every class has probability 1/3, so each row's loss is ln 3 and
    // any weighted mean of equal losses is ln 3; the output gradient is w_y·(p − e_y) / Σw.
    let net = MLP(
        layers: [DenseLayer(weight: Matrix(rows: 1, cols: 3), bias: [0, 0, 0])],
        standardizer: Standardizer(mean: [0], scale: [1]), featureNames: ["x"],
        task: .classification(classNames: ["a", "b", "c"]))
    let x = try Matrix(rows: 2, cols: 1, storage: [1, 1])
    let (loss, grads) = try net.lossAndGradients(standardized: x, targets: .classes([0, 1]), classWeights: [1, 3, 1])
    #expect(abs(loss - logf(3)) < 1e-6)
    // Bias gradient of class 0: (1·(1/3 − 1) + 3·(1/3)) / 4 = 1/12; class 1: (1/3 + 3·(1/3 − 1)) / 4 = −5/12.
    #expect(abs(grads[0].bias[0] - 1.0 / 12) < 1e-6 && abs(grads[0].bias[1] + 5.0 / 12) < 1e-6)
}

@Test func optimizersTakeTheStepsTheirFormulasGive() throws {
    // A 1-1-1 network on two rows in one full batch, two steps with weight decay 0.01 on the
    // weights, replayed by hand with the textbook update of each optimizer.
    let d = Dataset(
        name: "o", featureNames: ["x"], features: try Matrix(rows: 2, cols: 1, storage: [-1, 1]),
        targetName: "y", target: .values([-1, 1]))
    for optimizer in MLPConfig.Optimizer.allCases {
        var config = MLPConfig()
        config.hidden = [1]; config.epochs = 2; config.batchSize = 2; config.learningRate = 0.1; config.seed = 3
        config.optimizer = optimizer; config.momentum = 0.5; config.weightDecay = 0.01
        let trained = try MLPTrainer.train(d, config: config).model
        // Replay by hand from the same initial weights.
        var rng = SeededGenerator(seed: 3)
        var net = MLP.initialised(
            widths: [1, 1, 1], standardizer: Standardizer.fit(d.features), featureNames: ["x"],
            task: .regression, rng: &rng)
        let x = try Standardizer.fit(d.features).apply(d.features)
        var buffers = net.layers.map { ($0.weight.storage.map { _ in Float(0) }, $0.bias.map { _ in Float(0) }) }
        var second = buffers
        for step in 1...2 {
            let (_, g) = try net.lossAndGradients(standardized: x, targets: .values([-1, 1]))
            for l in net.layers.indices {
                for i in net.layers[l].weight.storage.indices {
                    let p = net.layers[l].weight.storage[i]
                    let grad = g[l].weight.storage[i] + 0.01 * p
                    net.layers[l].weight.storage[i] = update(
                        optimizer, p, grad, &buffers[l].0[i], &second[l].0[i], step)
                }
                for i in net.layers[l].bias.indices {
                    let p = net.layers[l].bias[i]
                    net.layers[l].bias[i] = update(optimizer, p, g[l].bias[i], &buffers[l].1[i], &second[l].1[i], step)
                }
            }
        }
        for l in net.layers.indices {
            for (a, b) in zip(
                trained.layers[l].weight.storage + trained.layers[l].bias,
                net.layers[l].weight.storage + net.layers[l].bias)
            {
                #expect(abs(a - b) < 1e-6, "\(optimizer): \(a) vs \(b)")
            }
        }
    }
}

/// One parameter's update by the textbook formulas (PyTorch's SGD, momentum and Adam).
private func update(_ o: MLPConfig.Optimizer, _ p: Float, _ g: Float, _ m: inout Float, _ v: inout Float, _ t: Int)
    -> Float
{
    switch o {
    case .sgd: return p - 0.1 * g
    case .momentum:
        m = t == 1 ? g : 0.5 * m + g
        return p - 0.1 * m
    case .adam:
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        let mHat = Double(m) / (1 - pow(0.9, Double(t))), vHat = Double(v) / (1 - pow(0.999, Double(t)))
        return Float(Double(p) - 0.1 * mHat / (vHat.squareRoot() + 1e-8))
    }
}

@Test func earlyStoppingKeepsTheBestEpochAndStopsAfterPatience() throws {
    let d = toyDataset(rows: 300, seed: 5)
    var config = MLPConfig()
    config.hidden = [32]; config.epochs = 400; config.learningRate = 0.05; config.seed = 2
    config.validation = 0.3; config.patience = 5
    let r = try MLPTrainer.train(d, config: config)
    let best = try #require(r.bestEpoch)
    #expect(r.validationHistory.count == r.lossHistory.count)
    // The kept epoch has the lowest validation loss, and training stopped `patience` later.
    #expect(r.validationHistory.indices.min { r.validationHistory[$0] < r.validationHistory[$1] } == best - 1)
    #expect(r.lossHistory.count == best + 5 || r.lossHistory.count == 400)
    // The returned weights are the kept epoch's: their validation loss is the recorded minimum.
    let (_, held) = try Splitter.split(d, ratio: 0.7, stratify: true, seed: 2 ^ 0x5EED_0F_E5CA)
    let vx = try r.model.standardizer.apply(held.features)
    let again = try MLPTrainer.validationLoss(r.model, vx, held, targetMean: 0, targetScale: 1, classWeights: nil)
    #expect(abs(again - r.validationHistory[best - 1]) < 1e-5)
    // The held-out split keeps features and labels aligned: the kept model classifies well.
    guard case .classification(let m) = try Evaluation.evaluate(r.model, on: d) else {
        Issue.record("classification expected"); return
    }
    #expect(m.accuracy > 0.95)
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
    guard case .classification(let m) = try Evaluation.evaluate(a.model, on: d) else {
        Issue.record("classification expected"); return
    }
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
    guard case .regression(let m) = try Evaluation.evaluate(result.model, on: d) else {
        Issue.record("regression expected"); return
    }
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
    let result = try MLPTrainer.train(
        d, config: config,
        context: ExecutionContext(
            cancellation: Cancellation {
                counter.polls += 1
                return counter.polls > 25
            }))
    #expect(result.interrupted)
    #expect(result.epochsCompleted == 2)
    #expect(result.model.layers.count == 2)
}

@Test func trainingRejectsBadInput() {
    let d = toyDataset(rows: 30, seed: 1)
    var config = MLPConfig()
    config.hidden = [0]
    #expect(settingOf { _ = try MLPTrainer.train(d, config: config) } == "hidden")
    var noTarget = d
    noTarget.target = nil
    #expect(throws: LearningError.noTarget("mlp")) { try MLPTrainer.train(noTarget, config: MLPConfig()) }
    var huge = MLPConfig()
    huge.learningRate = 1e30
    huge.epochs = 5
    #expect(throws: SettingError.self) { try MLPTrainer.train(d, config: huge) }
}

/// Training leaves the unit profile to be measured when first read: it then equals a profile
/// measured right after training on the training rows, also when the network's weights were
/// changed in between (the profile belongs to the network training produced).
@Test func unitProfileMeasuredLaterEqualsTheProfileAtTheEndOfTraining() throws {
    var settings = Generator.Settings()
    settings.rows = 300; settings.features = 5; settings.informative = 3; settings.seed = 4
    let data = try Generator.classification(settings)
    var config = MLPConfig()
    config.hidden = [16, 8]; config.epochs = 3; config.seed = 2
    var net = try MLPTrainer.train(data, config: config).model
    var plain = net
    plain.profile = nil
    let direct = try UnitProfile.measure(plain, on: data.features)
    net.layers[0].bias = net.layers[0].bias.map { $0 + 5 }
    #expect(net.profile == direct)
    #expect(net.profile?.rows == 300)
}

/// The forward pass into reused buffers gives the allocating pass's outputs (bit for bit for
/// inputs narrower than OpenBLAS's block), across batches of changing size and for a
/// non-ReLU activation, and the buffers are reused when the shape stays.
@Test func forwardPassIntoReusedBuffersEqualsTheAllocatingPass() throws {
    var rng = SeededGenerator(seed: 21)
    for activation in [Kernels.Activation.relu, .tanh] {
        var net = MLP.initialised(
            widths: [30, 64, 16, 3],
            standardizer: Standardizer(
                mean: [Float](repeating: 0, count: 30),
                scale: [Float](repeating: 1, count: 30)),
            featureNames: (0..<30).map { "f\($0)" }, task: .classification(classNames: ["a", "b", "c"]), rng: &rng)
        net.activation = activation
        var buffers: [Matrix] = []
        for rows in [7, 500, 500, 1] {
            var x = Matrix(rows: rows, cols: 30)
            for i in x.storage.indices { x.storage[i] = Float(rng.nextNormal()) }
            try net.outputs(standardized: x, reusing: &buffers)
            let expected = try net.outputs(standardized: x)
            #expect(buffers.count == 3 && buffers[2].rows == rows)
            #expect(
                buffers[2].storage.map(\.bitPattern) == expected.storage.map(\.bitPattern), "\(activation) \(rows) rows"
            )
        }
    }
}
