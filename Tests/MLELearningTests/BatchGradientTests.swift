import Foundation
import Testing
@testable import MLELearning
import MLETensor

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
    let net = MLP.initialised(widths: widths, standardizer: Standardizer(mean: Array(repeating: 0, count: 6), scale: Array(repeating: 1, count: 6)),
                              featureNames: (0..<6).map { "f\($0)" },
                              task: outputs == 1 ? .regression : .classification(classNames: ["a", "b", "c"]), rng: &rng)
    let n = 500
    var x = Matrix(rows: n, cols: 6)
    for i in x.storage.indices { x.storage[i] = Float(rng.nextNormal()) }
    let targets: TrainingTargets = outputs == 1 ? .values((0..<n).map { _ in Float(rng.nextNormal()) })
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
        if i % 1_000 == 0 { usleep(2_000) }   // long enough for the worker to go to sleep
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
    #expect((0..<37).allSatisfy { r in (0..<19).allSatisfy { j in plain[r, j].isNaN || plain[r, j] == m[r, j] + bias[j] } })
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
