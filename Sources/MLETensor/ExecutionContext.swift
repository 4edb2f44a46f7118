import Synchronization

/// Who else may be using OpenBLAS in this process, which decides what long work may do with its
/// threads (see `BLASThreads.single(stopIdleWorkers:)`).
public enum ThreadPolicy: Sendable {
    /// Other code may run BLAS beside this work (parallel tests, a host program): OpenBLAS's
    /// idle workers are left alone.
    case shared
    /// The process is this work's alone (the `mle` program, between commands): OpenBLAS's idle
    /// workers may be stopped so that they do not spin beside this work's own threads.
    case ownsProcess

    /// Whether OpenBLAS's idle workers may be stopped.
    public var mayStopIdleWorkers: Bool { self == .ownsProcess }
}

/// What long numeric work needs from whoever started it: a way to hear of Ctrl-C, somewhere to
/// report progress, and the thread policy. The shell makes one per command; the numeric entry
/// points take it instead of separate flags, and never print.
public struct ExecutionContext: Sendable {
    public var cancellation: Cancellation
    public var threads: ThreadPolicy
    private let onProgress: @Sendable (Int, Int) -> Void

    /// - Parameters:
    ///   - progress: called with (done, total) as work advances, from one thread at a time
    ///     (`ExecutionContext` serialises the calls).
    public init(
        cancellation: Cancellation = .never, threads: ThreadPolicy = .shared,
        progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }
    ) {
        self.cancellation = cancellation
        self.threads = threads
        let lock = Mutex(())
        self.onProgress = { done, total in lock.withLock { _ in progress(done, total) } }
    }

    /// No cancellation, no progress, OpenBLAS shared: tests and library callers.
    public static let standard = ExecutionContext()

    public var isCancelled: Bool { cancellation.isCancelled }

    /// - Throws: `Cancelled` once the caller asked to stop.
    public func checkCancelled() throws {
        if cancellation.isCancelled { throw Cancelled() }
    }

    /// Reports that `done` of `total` steps are finished.
    public func progress(_ done: Int, of total: Int) { onProgress(done, total) }

    /// The same context with progress reported through `map` first (a part of a larger job:
    /// `context.reporting { done, total in (offset + done, whole) }`).
    public func reporting(_ map: @escaping @Sendable (Int, Int) -> (Int, Int)) -> ExecutionContext {
        let parent = onProgress
        var child = self
        child.setProgress { done, total in
            let (d, t) = map(done, total)
            parent(d, t)
        }
        return child
    }

    /// The same context reporting no progress (work whose steps its caller counts itself).
    public var silent: ExecutionContext {
        var child = self
        child.setProgress { _, _ in }
        return child
    }

    private mutating func setProgress(_ p: @escaping @Sendable (Int, Int) -> Void) {
        self = ExecutionContext(cancellation: cancellation, threads: threads, progress: p)
    }
}
