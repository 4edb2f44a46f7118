import CBLAS
import CKernels
import Synchronization

/// Matrix products: small ones (under `smallProduct` multiply-adds) by `mle_sgemm_small`, the
/// rest through OpenBLAS's `cblas_sgemm`.
extension Matrix {
    /// Products smaller than this (m·n·k) go to `mle_sgemm_small`, which is faster than OpenBLAS's
    /// interface and packing at these sizes (measured in its comment) and takes no lock; the
    /// shapes it declines (narrow outputs, column counts not a multiple of 8) come back to
    /// OpenBLAS. The same size is where `BLASThreads.forProductsOf` keeps OpenBLAS on one thread.
    public static let smallProduct = 1_000_000

    /// `C = alpha · op(A) · op(B) + beta · C`, in place, where `op` transposes when asked.
    /// - Throws: `TensorError.shapeMismatch` when the inner or outer dimensions disagree.
    public static func gemm(
        _ a: Matrix, transposeA: Bool = false,
        _ b: Matrix, transposeB: Bool = false,
        into c: inout Matrix, alpha: Float = 1, beta: Float = 0
    ) throws {
        let m = transposeA ? a.cols : a.rows
        let k = transposeA ? a.rows : a.cols
        let kb = transposeB ? b.cols : b.rows
        let n = transposeB ? b.rows : b.cols
        guard k == kb, c.rows == m, c.cols == n else {
            throw TensorError.shapeMismatch(
                "cannot multiply \(m)×\(k) by \(kb)×\(n) into \(c.rows)×\(c.cols)")
        }
        if m == 0 || n == 0 { return }
        if k == 0 {
            // An empty inner dimension: the product is zero.
            for i in c.storage.indices { c.storage[i] *= beta }
            return
        }
        a.storage.withUnsafeBufferPointer { pa in
            guard let x = pa.baseAddress else { return }
            multiply(
                x, transposeA: transposeA, lda: a.cols, b, transposeB: transposeB, into: &c, m: m, n: n, k: k,
                alpha: alpha, beta: beta)
        }
    }

    /// The dispatch of both `gemm`s: `mle_sgemm_small` for small products it takes, else
    /// `cblas_sgemm`; A at `a` with leading dimension `lda`.
    private static func multiply(
        _ a: UnsafePointer<Float>, transposeA: Bool, lda: Int, _ b: Matrix, transposeB: Bool,
        into c: inout Matrix, m: Int, n: Int, k: Int, alpha: Float, beta: Float
    ) {
        b.storage.withUnsafeBufferPointer { pb in
            c.storage.withUnsafeMutableBufferPointer { pc in
                if m * n * k < smallProduct, alpha == 1, beta == 0 || beta == 1,
                    let y = pb.baseAddress, let z = pc.baseAddress,
                    mle_sgemm_small(
                        transposeA ? 1 : 0, transposeB ? 1 : 0, m, n, k, a, lda, y, b.cols, beta == 1 ? 1 : 0, z, n)
                        == 1
                {
                    return
                }
                if m * n * k >= smallProduct { BLASThreads.resumeThreads() }
                cblas_sgemm(
                    CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), pb.baseAddress, Int32(b.cols),
                    beta, pc.baseAddress, Int32(n))
            }
        }
    }

    /// `C = A · B + beta · C` for A given as `m` consecutive rows of `b.rows` floats at `a` (rows
    /// of a larger matrix, multiplied where they are), dispatched as `gemm` dispatches.
    public static func gemm(
        rows a: UnsafePointer<Float>, count m: Int, _ b: Matrix, into c: inout Matrix, beta: Float = 0
    )
        throws
    {
        let k = b.rows, n = b.cols
        guard c.rows == m, c.cols == n else {
            throw TensorError.shapeMismatch("cannot multiply \(m)×\(k) by \(k)×\(n) into \(c.rows)×\(c.cols)")
        }
        if m == 0 || n == 0 { return }
        if k == 0 {
            for i in c.storage.indices { c.storage[i] *= beta }
            return
        }
        multiply(
            a, transposeA: false, lda: k, b, transposeB: false, into: &c, m: m, n: n, k: k, alpha: 1, beta: beta)
    }

    /// `op(A) · op(B)` as a new matrix.
    public static func product(
        _ a: Matrix, transposeA: Bool = false,
        _ b: Matrix, transposeB: Bool = false
    ) throws -> Matrix {
        var c = Matrix(rows: transposeA ? a.cols : a.rows, cols: transposeB ? b.rows : b.cols)
        try gemm(a, transposeA: transposeA, b, transposeB: transposeB, into: &c)
        return c
    }
}

/// OpenBLAS's thread count. Small products (an MLP's mini-batches) run faster on one thread: the
/// hand-off to a second costs more than it saves (scripts/bench: 50 epochs on digits, batch 32,
/// 0.242 s with 2 threads against 0.230 s with 1).
public enum BLASThreads {
    /// Runs `body` with OpenBLAS on one thread, for work that runs its own threads, each making
    /// its own products (OpenBLAS's pthread build takes concurrent calls).
    ///
    /// `stopIdleWorkers` also stops OpenBLAS's idle worker threads. They spin (sched_yield) for
    /// about 0.1 s after start-up and after every threaded product, taking a core from `body`'s
    /// threads (perf: a quarter of the samples of an ensemble's parallel training). Joining them
    /// while another thread is inside OpenBLAS hangs the process, so only the owner of the process
    /// may ask for it, between commands — never code that may run beside other BLAS users
    /// (parallel tests do). OpenBLAS then stays on one thread, its workers stopped, until a
    /// product large enough to use them (`resumeThreads`): setting the count back at once started
    /// a worker that the next such command joined again, 0.15–0.3 ms of each call of an
    /// `ensemble` loop (timeline: 9.3 → 9.0 ms per call).
    public static func single<T>(stopIdleWorkers: Bool = false, _ body: () throws -> T) rethrows -> T {
        let previous = enter()
        defer { leave() }
        if stopIdleWorkers, previous > 1 {
            blas_thread_shutdown_()
            // The count stays at one (leave does not restore it) until a large product.
            state.withLock { $0.saved = 0 }
            deferredCount.store(Int(previous), ordering: .releasing)
        }
        return try body()
    }

    /// Stretches running (`single`, small `forProductsOf`, on any thread) and the thread count
    /// the first of them found. OpenBLAS's count is global: the first stretch to start lowers it
    /// to one and the last to end restores it, so one thread's stretch cannot restore the count
    /// while another's products are still running (parallel tests met that: two runs of the same
    /// prediction gave different bits).
    private struct Stretches {
        var depth = 0
        var saved: Int32 = 0
    }
    private static let state = Mutex(Stretches())
    /// The thread count `single(stopIdleWorkers: true)` left behind to restore, or 0.
    private static let deferredCount = Atomic<Int>(0)

    /// Starts a stretch; returns the thread count OpenBLAS had when it was the first (0 when
    /// another stretch was already running).
    private static func enter() -> Int32 {
        state.withLock { s in
            s.depth += 1
            guard s.depth == 1 else { return 0 }
            let previous = openblas_get_num_threads()
            s.saved = previous > 1 ? previous : 0
            if previous > 1 { openblas_set_num_threads(1) }
            return previous
        }
    }

    private static func leave() {
        state.withLock { s in
            s.depth -= 1
            if s.depth == 0, s.saved > 1 {
                openblas_set_num_threads(s.saved)
                s.saved = 0
            }
        }
    }

    /// Gives OpenBLAS back the thread count a `single(stopIdleWorkers: true)` left at one, unless
    /// a `single` or a small `forProductsOf` is running (its threads may be inside OpenBLAS).
    /// Called before products of `smallProduct` multiply-adds or more.
    @inline(__always)
    static func resumeThreads() {
        guard deferredCount.load(ordering: .relaxed) > 0 else { return }
        state.withLock { s in
            guard s.depth == 0 else { return }
            let n = deferredCount.exchange(0, ordering: .acquiringAndReleasing)
            if n > 1 { openblas_set_num_threads(Int32(n)) }
        }
    }

    /// Stops OpenBLAS's idle worker threads, which spin for about 0.1 s after start-up (perf: a
    /// fifth of the samples of loading a CSV file on two threads); the next threaded product
    /// starts them again. Only the owner of the process may call it, while no other thread can
    /// be inside OpenBLAS (see `single`): the `mle` program does at start-up.
    public static func stopIdleWorkers() {
        if openblas_get_num_threads() > 1 { blas_thread_shutdown_() }
    }

    /// Runs `body` with OpenBLAS limited to one thread when `multiplyAdds` (the largest product's
    /// m·n·k) is under a million, and restores the previous count afterwards.
    public static func forProductsOf<T>(size multiplyAdds: Int, _ body: () throws -> T) rethrows -> T {
        guard multiplyAdds < 1_000_000 else { resumeThreads(); return try body() }
        // Products inside stay on one thread even where one is large (a batch split over two
        // threads makes them from both): no `resumeThreads` meanwhile.
        _ = enter()
        defer { leave() }
        return try body()
    }
}

/// Double-precision products through `cblas_dgemm`, for the bound computations that must not
/// lose the precision float32 would: `C = op(A) · op(B) + beta · C` on row-major arrays.
public enum DoubleGEMM {
    /// `a` is m × k (or k × m when `transposeA`), `b` is k × n (or n × k when `transposeB`);
    /// `c` is m × n and is overwritten (beta 0) or accumulated into (beta 1).
    public static func multiply(
        _ a: UnsafePointer<Double>, transposeA: Bool = false,
        _ b: UnsafePointer<Double>, transposeB: Bool = false,
        into c: UnsafeMutablePointer<Double>, m: Int, n: Int, k: Int, beta: Double = 0
    ) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            for i in 0..<(m * n) { c[i] *= beta }
            return
        }
        if m * n * k >= Matrix.smallProduct { BLASThreads.resumeThreads() }
        cblas_dgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), 1, a, Int32(transposeA ? m : k), b, Int32(transposeB ? k : n),
            beta, c, Int32(n))
    }
}
