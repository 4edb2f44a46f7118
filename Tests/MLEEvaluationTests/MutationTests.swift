import Foundation
import MLELearning
import MLETensor
import MLETestSupport
import Testing

@testable import MLEEvaluation

/// A 2-3-2 network with distinct weights, for checking what each weight operator changes.
private func network() throws -> MLP {
    MLP(
        layers: [
            DenseLayer(weight: try Matrix(rows: 2, cols: 3, storage: [1, 2, 3, 4, 5, 6]), bias: [0.1, 0.2, 0.3]),
            DenseLayer(weight: try Matrix(rows: 3, cols: 2, storage: [7, 8, 9, 10, 11, 12]), bias: [0.4, 0.5])
        ],
        standardizer: Standardizer(mean: [0, 0], scale: [1, 1]), featureNames: ["a", "b"],
        task: .classification(classNames: ["x", "y"]))
}

/// The weight operators change exactly what they say: block zeroes one hidden unit's outgoing
/// weights (a row of the next layer) and nothing else; switch swaps two rows of the next layer;
/// fuzz changes the chosen share of weights and no bias; each is seeded.
@Test func weightMutantsChangeExactlyWhatTheySay() throws {
    let net = try network()
    let blocked = Mutation.Weights.blockUnits(0.2).apply(net, seed: 1)  // 20% of 3 units: at least 1
    #expect(blocked.layers[0] == net.layers[0])
    #expect(blocked.layers[1].bias == net.layers[1].bias)
    let w = blocked.layers[1].weight.storage, w0 = net.layers[1].weight.storage
    let zeroRows = (0..<3).filter { u in w[2 * u] == 0 && w[2 * u + 1] == 0 }
    #expect(zeroRows.count == 1)
    for u in 0..<3 where !zeroRows.contains(u) { #expect(w[2 * u] == w0[2 * u] && w[2 * u + 1] == w0[2 * u + 1]) }

    let switched = Mutation.Weights.switchUnits.apply(net, seed: 2)
    #expect(switched.layers[0] == net.layers[0])
    let s = switched.layers[1].weight.storage
    let moved = (0..<3).filter { u in s[2 * u] != w0[2 * u] }
    #expect(moved.count == 2)
    let (a, b) = (moved[0], moved[1])
    #expect(s[2 * a] == w0[2 * b] && s[2 * a + 1] == w0[2 * b + 1] && s[2 * b] == w0[2 * a])
    #expect(Set(s) == Set(w0))

    let fuzzed = Mutation.Weights.gaussianFuzz(share: 0.5, scale: 1).apply(net, seed: 3)
    for l in 0..<2 {
        let changed = zip(fuzzed.layers[l].weight.storage, net.layers[l].weight.storage).filter { $0 != $1 }.count
        #expect(changed == 3, "layer \(l): half of 6 weights")
        #expect(fuzzed.layers[l].bias == net.layers[l].bias)
    }
    #expect(Mutation.Weights.gaussianFuzz(share: 0.5, scale: 1).apply(net, seed: 3).layers == fuzzed.layers)
    #expect(Mutation.Weights.gaussianFuzz(share: 0.5, scale: 1).apply(net, seed: 4).layers != fuzzed.layers)
}

/// The training operators: label noise relabels exactly the share of rows, each to another class;
/// dropped rows leave the share out; the settings operators change one setting.
@Test func trainingMutantsChangeExactlyWhatTheySay() throws {
    let n = 100
    let labels = (0..<n).map { $0 % 3 }
    let data = Dataset(
        name: "d", featureNames: ["x"], features: try Matrix(rows: n, cols: 1, storage: (0..<n).map(Float.init)),
        targetName: "y", target: .classes(labels: labels, names: ["a", "b", "c"]))
    var config = MLPConfig()
    config.hidden = [8, 4]; config.epochs = 40; config.learningRate = 0.001
    let (noisy, same) = try Mutation.Training.labelNoise(0.1).apply(data, config, seed: 1)
    guard case .classes(let l, _)? = noisy.target else { Issue.record("no classes"); return }
    #expect(zip(l, labels).filter { $0 != $1 }.count == 10)
    #expect(same == config && noisy.features.storage == data.features.storage)
    let (fewer, _) = try Mutation.Training.dropRows(0.25).apply(data, config, seed: 1)
    #expect(fewer.rowCount == 75)
    #expect(Set(fewer.features.storage).isSubset(of: Set(data.features.storage)))
    #expect(
        try Mutation.Training.learningRate(10).apply(data, config, seed: 1).1.learningRate
            == Float(Double(Float(0.001)) * 10))
    #expect(try Mutation.Training.epochs(0.25).apply(data, config, seed: 1).1.epochs == 10)
    #expect(try Mutation.Training.removeUnits(0.25).apply(data, config, seed: 1).1.hidden == [2, 1])
    #expect(try Mutation.Training.activation(.tanh).apply(data, config, seed: 1).1.activation == .tanh)
}

/// DeepCrime's rule by hand: Welch's t and Cohen's d of two small samples.
@Test func killingRuleAsByHand() {
    let a = [0.90, 0.92, 0.91, 0.93], b = [0.80, 0.82, 0.85, 0.81]
    let v = Mutation.killed(original: a, mutant: b)
    // Means 0.915 and 0.82; variances 0.000166…/… by hand.
    let ma = 0.915, mb = 0.82
    let va = [0.90, 0.92, 0.91, 0.93].reduce(0) { $0 + ($1 - ma) * ($1 - ma) } / 3
    let vb = [0.80, 0.82, 0.85, 0.81].reduce(0) { $0 + ($1 - mb) * ($1 - mb) } / 3
    let t = (mb - ma) / (va / 4 + vb / 4).squareRoot()
    let df = (va / 4 + vb / 4) * (va / 4 + vb / 4) / ((va / 4) * (va / 4) / 3 + (vb / 4) * (vb / 4) / 3)
    #expect(isClose(v.p, Distributions.studentTTwoSided(t, df: df), relative: 1e-12))
    #expect(isClose(v.effect, (mb - ma) / ((va + vb) / 2).squareRoot(), relative: 1e-12))
    #expect(v.killed)
    // The same accuracies: not killed; a tiny difference with overlap: not killed.
    #expect(!Mutation.killed(original: a, mutant: a).killed)
    #expect(!Mutation.killed(original: a, mutant: [0.91, 0.92, 0.90, 0.93]).killed)
    // No spread on either side: killed exactly when the accuracies differ.
    #expect(Mutation.killed(original: [0.9, 0.9], mutant: [0.8, 0.8]).killed)
    #expect(!Mutation.killed(original: [0.9, 0.9], mutant: [0.9, 0.9]).killed)
}
