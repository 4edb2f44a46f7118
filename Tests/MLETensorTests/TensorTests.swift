import CBLAS
import CKernels
import Foundation
import MLETestSupport
import Synchronization
import Testing

@testable import MLETensor

/// A naive triple loop, the reference for `cblas_sgemm`.
func naiveProduct(_ a: Matrix, transposeA: Bool, _ b: Matrix, transposeB: Bool) -> [[Double]] {
    let m = transposeA ? a.cols : a.rows, k = transposeA ? a.rows : a.cols
    let n = transposeB ? b.rows : b.cols
    var out = [[Double]](repeating: [Double](repeating: 0, count: n), count: m)
    for i in 0..<m {
        for j in 0..<n {
            var s = 0.0
            for p in 0..<k {
                let x = transposeA ? a[p, i] : a[i, p]
                let y = transposeB ? b[j, p] : b[p, j]
                s += Double(x) * Double(y)
            }
            out[i][j] = s
        }
    }
    return out
}

func randomMatrix(_ rows: Int, _ cols: Int, _ rng: inout SeededGenerator) -> Matrix {
    var m = Matrix(rows: rows, cols: cols)
    for i in m.storage.indices { m.storage[i] = Float(rng.nextUnit() * 2 - 1) }
    return m
}

@Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
func gemmMatchesNaiveLoops(transposeA: Bool, transposeB: Bool) throws {
    var rng = SeededGenerator(seed: 11)
    // The last shape is over Matrix.smallProduct: OpenBLAS computes it.
    for (m, k, n) in [(1, 1, 1), (3, 5, 7), (17, 9, 4), (64, 33, 10), (128, 90, 100)] {
        let a = transposeA ? randomMatrix(k, m, &rng) : randomMatrix(m, k, &rng)
        let b = transposeB ? randomMatrix(n, k, &rng) : randomMatrix(k, n, &rng)
        let c = try Matrix.product(a, transposeA: transposeA, b, transposeB: transposeB)
        let ref = naiveProduct(a, transposeA: transposeA, b, transposeB: transposeB)
        #expect(c.rows == m && c.cols == n)
        for i in 0..<m { for j in 0..<n { #expect(abs(Double(c[i, j]) - ref[i][j]) < 1e-4) } }
    }
}

@Test func smallProductsAreOneFusedChainPerElementBitForBit() throws {
    // mle_sgemm_small's contract: every element is fma(a, b, acc) over k in order from 0, added
    // to C last when beta is 1, whatever tile (4 × 32 … 1 × 1) or strategy (few columns: Cᵀ)
    // computes it; the shapes it declines (it returns 0) leave C untouched for OpenBLAS.
    var rng = SeededGenerator(seed: 21)
    var checked = 0, declined = 0, narrow = 0
    for (m, k, n) in [
        (1, 1, 8), (3, 7, 2), (4, 5, 32), (9, 17, 1), (13, 6, 16), (32, 64, 32), (33, 31, 48),
        (64, 32, 2), (8, 40, 8), (5, 3, 72), (70, 12, 5), (32, 64, 10), (37, 9, 3), (300, 20, 64)
    ] {
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                for beta: Float in [0, 1] {
                    let a = transposeA ? randomMatrix(k, m, &rng) : randomMatrix(m, k, &rng)
                    let b = transposeB ? randomMatrix(n, k, &rng) : randomMatrix(k, n, &rng)
                    let start = randomMatrix(m, n, &rng)
                    var c = start
                    let taken = c.storage.withUnsafeMutableBufferPointer { pc in
                        mle_sgemm_small(
                            transposeA ? 1 : 0, transposeB ? 1 : 0, m, n, k, a.storage, a.cols, b.storage, b.cols,
                            beta == 1 ? 1 : 0, pc.baseAddress!, n)
                    }
                    if taken == 0 {
                        #expect(c == start)
                        declined += 1
                        // Matrix.gemm then computes it with OpenBLAS.
                        try Matrix.gemm(a, transposeA: transposeA, b, transposeB: transposeB, into: &c, beta: beta)
                        let ref = naiveProduct(a, transposeA: transposeA, b, transposeB: transposeB)
                        for i in 0..<m {
                            for j in 0..<n {
                                #expect(abs(Double(c[i, j]) - (Double(beta) * Double(start[i, j]) + ref[i][j])) < 1e-4)
                            }
                        }
                        continue
                    }
                    if n < 8 { narrow += 1 }
                    for i in 0..<m {
                        for j in 0..<n {
                            var acc: Float = 0
                            for p in 0..<k {
                                acc = acc.addingProduct(transposeA ? a[p, i] : a[i, p], transposeB ? b[j, p] : b[p, j])
                            }
                            let expected = beta == 1 ? start[i, j] + acc : acc
                            #expect(c[i, j].bitPattern == expected.bitPattern)
                            checked += 1
                        }
                    }
                }
            }
        }
    }
    #expect(checked > 10_000 && declined > 20 && narrow > 4)
    // The products of a small network's training are taken: 32 × 64 · 64 × 32 forward, its
    // weight gradient (A transposed), the gradient through the weights (B transposed) and the
    // two-class output's weight gradient.
    for (ta, tb, m, n, k) in [(0, 0, 32, 32, 64), (1, 0, 64, 32, 32), (0, 1, 32, 32, 2), (1, 0, 32, 2, 32)] {
        let a = [Float](repeating: 1, count: m * k), b = [Float](repeating: 1, count: k * n)
        var c = [Float](repeating: 0, count: m * n)
        let taken = c.withUnsafeMutableBufferPointer { pc in
            mle_sgemm_small(
                Int32(ta), Int32(tb), m, n, k, a, ta == 1 ? m : k, b, tb == 1 ? k : n, 0, pc.baseAddress!, n)
        }
        #expect(taken == 1 && c.allSatisfy { $0 == Float(k) })
    }
}

@Test func gemmAccumulatesWithBeta() throws {
    let a = try Matrix([[1, 2], [3, 4]])
    let b = try Matrix([[5, 6], [7, 8]])
    var c = try Matrix([[1, 1], [1, 1]])
    try Matrix.gemm(a, b, into: &c, alpha: 2, beta: 3)
    // 2·[[19, 22], [43, 50]] + 3
    #expect(c == (try Matrix([[41, 47], [89, 103]])))
}

@Test func gemmRejectsMismatchedShapes() {
    let a = Matrix(rows: 2, cols: 3), b = Matrix(rows: 2, cols: 3)
    #expect(throws: TensorError.self) { try Matrix.product(a, b) }
}

@Test func matrixInitRejectsWrongStorageAndRaggedRows() {
    #expect(throws: TensorError.self) { try Matrix(rows: 2, cols: 2, storage: [1, 2, 3]) }
    #expect(throws: TensorError.self) { try Matrix([[1, 2], [3]]) }
}

@Test func softmaxRowsMatchesDefinition() throws {
    var m = try Matrix([[1, 2, 3], [1000, 1000, 1000], [-5, 0, 5]])
    let input = m
    Kernels.softmaxRows(&m)
    for r in 0..<3 {
        let row = input.row(r).map(Double.init)
        let mx = row.max() ?? 0
        let e = row.map { Foundation.exp($0 - mx) }
        let s = e.reduce(0, +)
        for c in 0..<3 { #expect(abs(Double(m[r, c]) - e[c] / s) < 1e-6) }
    }
}

@Test func reluColumnSumsAndBias() throws {
    var m = try Matrix([[-1, 2], [3, -4]])
    Kernels.addRowVector(&m, [1, 1])
    #expect(m == (try Matrix([[0, 3], [4, -3]])))
    Kernels.relu(&m)
    #expect(m == (try Matrix([[0, 3], [4, 0]])))
    #expect(Kernels.columnSums(m) == [4, 3])
    var g = try Matrix([[1, 1], [1, 1]])
    Kernels.reluBackward(gradient: &g, output: m)
    #expect(g == (try Matrix([[0, 1], [1, 0]])))
}

@Test func adamStepMatchesHandComputation() {
    // One step from m = v = 0 with gradient g: m̂ = g, v̂ = g², so Δ = lr·g/(|g| + ε) ≈ lr·sign(g).
    var p: [Float] = [1, -2]
    let g: [Float] = [0.5, -3]
    var m: [Float] = [0, 0], v: [Float] = [0, 0]
    p.withUnsafeMutableBufferPointer { pp in
        g.withUnsafeBufferPointer { gg in
            m.withUnsafeMutableBufferPointer { mm in
                v.withUnsafeMutableBufferPointer { vv in
                    Kernels.adamStep(
                        params: pp, grads: gg, m: mm, v: vv, lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, step: 1)
                }
            }
        }
    }
    #expect(abs(p[0] - 0.9) < 1e-6 && abs(p[1] - (-1.9)) < 1e-6)
    #expect(abs(m[0] - 0.05) < 1e-7 && abs(v[1] - 0.009) < 1e-6)
}

@Test func seededGeneratorIsReproducible() {
    var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42), c = SeededGenerator(seed: 43)
    let xa = (0..<100).map { _ in a.next() }
    #expect(xa == (0..<100).map { _ in b.next() })
    #expect(xa != (0..<100).map { _ in c.next() })
    var u = SeededGenerator(seed: 1)
    let mean = (0..<100_000).reduce(0.0) { s, _ in s + u.nextUnit() } / 100_000
    #expect(abs(mean - 0.5) < 0.01)
    var n = SeededGenerator(seed: 2)
    let normals = (0..<100_000).map { _ in n.nextNormal() }
    let nm = normals.reduce(0, +) / 1e5
    let nv = normals.reduce(0) { $0 + ($1 - nm) * ($1 - nm) } / 1e5
    #expect(abs(nm) < 0.02 && abs(nv - 1) < 0.02)
}

@Test func shuffleIsAPermutationAndSeeded() {
    var r1 = SeededGenerator(seed: 5), r2 = SeededGenerator(seed: 5)
    var a = Array(0..<50), b = Array(0..<50)
    r1.shuffle(&a); r2.shuffle(&b)
    #expect(a == b)
    #expect(a.sorted() == Array(0..<50))
    #expect(a != Array(0..<50))
}

@Test func adamVectorisedPathMatchesScalarFormula() {
    // 21 elements: two SIMD8 blocks and a scalar tail, over three steps, against Double arithmetic.
    var rng = SeededGenerator(seed: 8)
    var p = (0..<21).map { _ in Float(rng.nextNormal()) }
    var m = [Float](repeating: 0, count: 21), v = m
    var rp = p.map(Double.init), rm = [Double](repeating: 0, count: 21), rv = rm
    for step in 1...3 {
        let g = (0..<21).map { _ in Float(rng.nextNormal()) }
        p.withUnsafeMutableBufferPointer { pp in
            g.withUnsafeBufferPointer { gg in
                m.withUnsafeMutableBufferPointer { mm in
                    v.withUnsafeMutableBufferPointer { vv in
                        Kernels.adamStep(
                            params: pp, grads: gg, m: mm, v: vv, lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8,
                            step: step)
                    }
                }
            }
        }
        for i in 0..<21 {
            let gi = Double(g[i])
            rm[i] = 0.9 * rm[i] + 0.1 * gi
            rv[i] = 0.999 * rv[i] + 0.001 * gi * gi
            let mhat = rm[i] / (1 - pow(0.9, Double(step))), vhat = rv[i] / (1 - pow(0.999, Double(step)))
            rp[i] -= 0.01 * mhat / (vhat.squareRoot() + 1e-8)
        }
    }
    for i in 0..<21 { #expect(abs(Double(p[i]) - rp[i]) < 1e-5) }
}

/// The Adam kernel is compiled for several vector widths (AVX-512, AVX2, SSE2) and must compute,
/// on any of them, exactly the scalar single-precision expression: no fused multiply-adds, no
/// reordering. 53 elements cover the 16- and 8-wide blocks and the tails.
@Test func adamKernelEqualsTheScalarExpressionBitForBit() {
    var rng = SeededGenerator(seed: 12)
    let n = 53
    var p = (0..<n).map { _ in Float(rng.nextNormal()) }
    var m = [Float](repeating: 0, count: n), v = m
    var rp = p, rm = m, rv = v
    for step in 1...4 {
        let g = (0..<n).map { _ in Float(rng.nextNormal()) * 0.3 }
        p.withUnsafeMutableBufferPointer { pp in
            g.withUnsafeBufferPointer { gg in
                m.withUnsafeMutableBufferPointer { mm in
                    v.withUnsafeMutableBufferPointer { vv in
                        Kernels.adamStep(
                            params: pp, grads: gg, m: mm, v: vv, lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8,
                            step: step)
                    }
                }
            }
        }
        let c1: Float = 1 - powf(0.9, Float(step)), c2: Float = 1 - powf(0.999, Float(step))
        let stepSize: Float = 0.01 / c1, invC2: Float = 1 / c2
        let b1c: Float = 1 - 0.9, b2c: Float = 1 - 0.999
        for i in 0..<n {
            let gi = g[i]
            let mi: Float = 0.9 * rm[i] + b1c * gi
            let vi: Float = 0.999 * rv[i] + b2c * gi * gi
            rm[i] = mi; rv[i] = vi
            rp[i] -= stepSize * mi / ((vi * invC2).squareRoot() + 1e-8)
        }
    }
    #expect(p.map(\.bitPattern) == rp.map(\.bitPattern))
    #expect(m.map(\.bitPattern) == rm.map(\.bitPattern))
    #expect(v.map(\.bitPattern) == rv.map(\.bitPattern))
}

/// `Parallel.map(_:then:)`: results in order; a thread with no `first` job left runs follow-ups
/// while other `first` jobs are still running (here the last `first` job waits until follow-ups
/// 0 and 1 have run, which only such a thread can do; a scheduler that ran follow-ups after all
/// `first` jobs would time out); a failed `first` has no follow-up; the lowest failure is thrown.
@Test func parallelMapRunsFollowUpsWhileTheLastJobsRun() throws {
    final class Flags: @unchecked Sendable {
        let lock = NSLock()
        var followed: Set<Int> = []
        let earlyDone = DispatchSemaphore(value: 0)
    }
    let flags = Flags()
    let out = try Parallel.map(
        3, workers: 2,
        { i -> Int in
            if i == 2 {
                // Both earlier follow-ups must run while this job runs.
                for _ in 0..<2 { guard flags.earlyDone.wait(timeout: .now() + 10) == .success else { return -1 } }
            }
            return i * 10
        },
        then: { i, v -> String in
            flags.lock.withLock { _ = flags.followed.insert(i) }
            if i < 2 { flags.earlyDone.signal() }
            return "\(i):\(v)"
        })
    #expect(out.map(\.0) == [0, 10, 20])
    #expect(out.map(\.1) == ["0:0", "1:10", "2:20"])
    #expect(flags.followed == [0, 1, 2])

    struct Failed: Error, Equatable { let at: Int }
    let followedAfterFailure = Flags()
    #expect(throws: Failed(at: 1)) {
        _ = try Parallel.map(
            5, workers: 2,
            { i -> Int in
                if i == 1 || i == 3 { throw Failed(at: i) }
                return i
            },
            then: { i, _ -> Int in
                followedAfterFailure.lock.withLock { _ = followedAfterFailure.followed.insert(i) }
                if i == 4 { throw Failed(at: 4) }
                return i
            })
    }
    #expect(followedAfterFailure.followed == [0, 2, 4])
    // One worker: every first job, then the follow-ups, in order.
    #expect(try Parallel.map(4, workers: 1, { $0 }, then: { $1 * 2 }).map(\.1) == [0, 2, 4, 6])
}

/// `FollowUps`: a thread that has just finished a `first` job leaves its follow-up to a thread
/// waiting for one (which keeps the data of the follow-ups in its cache) and is done; with no
/// thread waiting, or fewer waiting than follow-ups ready, it takes one itself. Driven step by
/// step: the test runs the `first` jobs' thread itself and starts the waiting thread; finishing a
/// job and choosing the next are one step under the queue's lock, so nothing races.
@Test func followUpsGoToTheThreadWaitingForThem() throws {
    let queue = FollowUps<Int, Int>(count: 3)
    for i in 0..<3 {
        guard case .first(let j)? = queue.take() else { Issue.record("first \(i) expected"); return }
        #expect(j == i)
    }
    // A second thread asks for work: nothing is ready, three jobs run, so it waits.
    final class Taken: @unchecked Sendable { var job: FollowUps<Int, Int>.Job?; let done = DispatchSemaphore(value: 0) }
    let taken = Taken()
    Thread {
        taken.job = queue.take(); taken.done.signal()
    }.start()
    let deadline = DispatchTime.now().uptimeNanoseconds + 10_000_000_000
    while queue.waitingThreads == 0 && DispatchTime.now().uptimeNanoseconds < deadline { usleep(100) }
    #expect(queue.waitingThreads == 1)

    // Job 0 finishes here: its follow-up goes to the waiting thread, and this thread is done.
    #expect(queue.finish(first: 0, .success(10)) == nil)
    #expect(taken.done.wait(timeout: .now() + 10) == .success)
    guard case .then(let i, let v)? = taken.job else {
        Issue.record("the waiting thread should get follow-up 0"); return
    }
    #expect(i == 0 && v == 10)
    queue.set(0, .success((10, 100)))

    // No thread waits now: the thread that finished job 1 takes its follow-up itself.
    guard case .then(let k, _)? = queue.finish(first: 1, .success(11)) else {
        Issue.record("follow-up 1 expected"); return
    }
    #expect(k == 1)
    queue.set(1, .success((11, 101)))
    guard case .then(2, 12)? = queue.finish(first: 2, .success(12)) else {
        Issue.record("follow-up 2 expected"); return
    }
    queue.set(2, .success((12, 102)))
    #expect(queue.take() == nil)
    #expect(try queue.values().map(\.1) == [100, 101, 102])
}

/// OpenBLAS's thread count is global: while any thread's `single` or small `forProductsOf`
/// stretch runs, every product in it stays on one thread, and the count comes back only when the
/// last one ends. (One stretch restoring the count while another's products ran made two runs of
/// the same prediction differ in parallel tests.)
@Test func blasStaysOnOneThreadWhileAnyStretchRuns() {
    let before = openblas_get_num_threads()
    openblas_set_num_threads(2)
    defer { openblas_set_num_threads(before) }
    let wrong = Atomic<Int>(0)
    DispatchQueue.concurrentPerform(iterations: 6) { i in
        for k in 0..<300 {
            let body = {
                if openblas_get_num_threads() != 1 { wrong.add(1, ordering: .relaxed) }
                usleep(UInt32((i * 37 + k * 11) % 50))
                if openblas_get_num_threads() != 1 { wrong.add(1, ordering: .relaxed) }
            }
            if i % 2 == 0 { BLASThreads.single(body) } else { BLASThreads.forProductsOf(size: 10, body) }
        }
    }
    #expect(wrong.load(ordering: .relaxed) == 0)
    #expect(openblas_get_num_threads() == 2)
}
