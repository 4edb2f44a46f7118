import Foundation
import MLETensor
import MLETestSupport
import Testing

@testable import MLELearning

/// A batch split in two parts on two threads gives the whole batch's loss and gradient (up to
/// float rounding of the sums), with and without class weights and for regression, and
/// whichever rows of the data the batch takes.
@Test(arguments: [0, 1, 2])
func splitBatchGradientEqualsTheWholeBatch(kind: Int) throws {
    var rng = SeededGenerator(seed: 41)
    let outputs = kind == 2 ? 1 : 3
    let widths = [6, 300, 300, outputs]
    #expect(BatchGradient.partCount(batch: 96, widths: widths) == 2)
    #expect(BatchGradient.partCount(batch: 32, widths: widths) == 1)
    let net = MLP.initialised(
        widths: widths,
        standardizer: Standardizer(mean: Array(repeating: 0, count: 6), scale: Array(repeating: 1, count: 6)),
        featureNames: (0..<6).map { "f\($0)" },
        task: outputs == 1 ? .regression : .classification(classNames: ["a", "b", "c"]), rng: &rng)
    let n = 500
    var x = Matrix(rows: n, cols: 6)
    for i in x.storage.indices { x.storage[i] = Float(rng.nextNormal()) }
    let targets: TrainingTargets =
        outputs == 1
        ? .values((0..<n).map { _ in Float(rng.nextNormal()) })
        : .classes((0..<n).map { _ in rng.nextIndex(3) })
    let weights: [Float]? = kind == 1 ? [0.5, 2, 1] : nil
    var order = Array(0..<n)
    rng.shuffle(&order)
    let worker = PairedWorker()
    defer { worker.close() }
    let whole = BatchGradient(rows: 97, widths: widths, partCount: 1)
    let split = BatchGradient(rows: 97, widths: widths, partCount: 2, worker: worker)
    #expect(split.parts.map(\.workspace.batch) == [49, 48])
    for from in [0, 130, 403] {
        let a = try whole.compute(net, x: x, order: order, from: from, targets: targets, classWeights: weights)
        let b = try BLASThreads.single {
            try split.compute(net, x: x, order: order, from: from, targets: targets, classWeights: weights)
        }
        #expect(abs(a - b) <= 1e-5 * max(1, abs(a)), "loss \(a) vs \(b)")
        for l in widths.indices.dropLast() {
            let g = whole.gradients.weightGrads[l].storage, h = split.gradients.weightGrads[l].storage
            let scale = g.map(abs).max() ?? 1
            #expect(zip(g, h).allSatisfy { abs($0 - $1) <= 1e-5 * max(scale, 1e-3) }, "layer \(l) weights")
            let gb = whole.gradients.biasGrads[l], hb = split.gradients.biasGrads[l]
            let bscale = gb.map(abs).max() ?? 1
            #expect(zip(gb, hb).allSatisfy { abs($0 - $1) <= 1e-5 * max(bscale, 1e-3) }, "layer \(l) biases")
        }
    }
}

/// The paired worker runs each job once, alongside the caller's, across many hand-offs, and
/// after sleeping between jobs; close() ends it.
@Test func pairedWorkerRunsEveryJobOnce() {
    final class Box: @unchecked Sendable { var values = [Int](repeating: 0, count: 2) }
    let worker = PairedWorker()
    let box = Box()
    for i in 0..<5_000 {
        worker.run({ box.values[0] += i }, { box.values[1] += 2 * i })
        if i % 1_000 == 0 { usleep(2_000) }  // long enough for the worker to go to sleep
    }
    let total = (0..<5_000).reduce(0, +)
    #expect(box.values == [total, 2 * total])
    worker.close()
    worker.close()
}

@Test func trainingKernelsMatchPlainLoops() {
    var rng = SeededGenerator(seed: 9)
    var m = Matrix(rows: 37, cols: 19)
    for i in m.storage.indices { m.storage[i] = Float(rng.nextNormal()) }
    m.storage[5] = .nan
    m.storage[6] = -0.0
    let bias = (0..<19).map { _ in Float(rng.nextNormal()) }
    var withBias = m
    Kernels.addBias(&withBias, bias, activation: .relu)
    for r in 0..<37 {
        for j in 0..<19 {
            let expected = Swift.max(m[r, j] + bias[j], 0)
            #expect(withBias[r, j].bitPattern == expected.bitPattern || (withBias[r, j].isNaN && expected.isNaN))
        }
    }
    var plain = m
    Kernels.addBias(&plain, bias, activation: nil)
    #expect(
        (0..<37).allSatisfy { r in (0..<19).allSatisfy { j in plain[r, j].isNaN || plain[r, j] == m[r, j] + bias[j] } })
    m.storage[5] = 1
    var sums = [Float](repeating: 7, count: 19)
    Kernels.columnSums(m, into: &sums)
    for j in 0..<19 {
        var s: Float = 0
        for r in 0..<37 { s += m[r, j] }
        #expect(sums[j] == s)
    }
    var low = [Float](repeating: .infinity, count: 19), high = [Float](repeating: -.infinity, count: 19)
    Kernels.columnRange(m, low: &low, high: &high)
    for j in 0..<19 {
        let column = (0..<37).map { m[$0, j] }
        #expect(low[j] == column.min() && high[j] == column.max())
    }
}

/// The optimizer's update adds a split batch's gradient parts, applies weight decay and steps,
/// elementwise; split in two halves on the paired worker it gives exactly the serial result
/// (every optimizer, with and without decay, buffers above and below the splitting size), and
/// it equals the update written out for plain SGD: p − lr·(g₀ + g₁ + wd·p).
@Test func optimizerUpdateSplitOnTheWorkerEqualsTheSerialUpdate() {
    var rng = SeededGenerator(seed: 77)
    let worker = PairedWorker()
    defer { worker.close() }
    for optimizer in MLPConfig.Optimizer.allCases {
        for n in [37, 20_001] {
            for wd: Float in [0, 0.01] {
                var config = MLPConfig()
                config.optimizer = optimizer; config.learningRate = 0.01
                let rule = MLPTrainer.OptimizerRule(config)
                let p0 = (0..<n).map { _ in Float(rng.nextNormal()) }
                var results: [[Float]] = []
                for useWorker in [false, true] {
                    var p = p0, m = [Float](repeating: 0, count: n), v = m
                    var r = SeededGenerator(seed: 5)
                    for step in 1...3 {
                        var g0 = (0..<n).map { _ in Float(r.nextNormal()) }
                        let g1 = (0..<n).map { _ in Float(r.nextNormal()) }
                        MLPTrainer.update(
                            &p, &m, &v, gradient: &g0, adding: [g1], decay: wd, rule, step: step,
                            worker: useWorker ? worker : nil)
                    }
                    results.append(p + m + v)
                }
                #expect(results[0].map(\.bitPattern) == results[1].map(\.bitPattern), "\(optimizer) n=\(n) wd=\(wd)")
                if optimizer == .sgd {
                    var p = p0, m = [Float](repeating: 0, count: n), v = m
                    var g0 = (0..<n).map { _ in Float(rng.nextNormal()) }
                    let g1 = (0..<n).map { _ in Float(rng.nextNormal()) }
                    let expected = (0..<n).map { p0[$0] - 0.01 * ((g0[$0] + g1[$0]) + wd * p0[$0]) }
                    MLPTrainer.update(&p, &m, &v, gradient: &g0, adding: [g1], decay: wd, rule, step: 1, worker: worker)
                    #expect(p == expected)
                }
            }
        }
    }
}

/// Weight decay reaches the weights, not the biases: one full-batch SGD step from the same
/// initial network with and without decay leaves the biases bit for bit equal and moves each
/// weight by lr·wd·w₀ (the batch is large enough to be split and its update too).
@Test func weightDecayStepsTheWeightsOnly() throws {
    var settings = Generator.Settings()
    settings.rows = 64; settings.features = 6; settings.informative = 4; settings.seed = 8
    let data = try Generator.classification(settings)
    var config = MLPConfig()
    config.hidden = [128, 128]; config.epochs = 1; config.batchSize = 64; config.optimizer = .sgd
    config.learningRate = 0.1; config.seed = 3
    #expect(BatchGradient.partCount(batch: 64, widths: [6, 128, 128, 2]) == 2)
    let plain = try MLPTrainer.train(data, config: config).model
    config.weightDecay = 0.5
    let decayed = try MLPTrainer.train(data, config: config).model
    config.weightDecay = 0.25
    let half = try MLPTrainer.train(data, config: config).model
    for l in plain.layers.indices {
        #expect(plain.layers[l].bias == decayed.layers[l].bias)
        // w(0) − w(wd) = lr·wd·w₀, so the shift is proportional to wd.
        let a = zip(plain.layers[l].weight.storage, decayed.layers[l].weight.storage).map { $0 - $1 }
        let b = zip(plain.layers[l].weight.storage, half.layers[l].weight.storage).map { $0 - $1 }
        #expect(a.contains { $0 != 0 })
        #expect(zip(a, b).allSatisfy { abs($0 - 2 * $1) <= 1e-5 * max(1, abs($0)) })
    }
}
