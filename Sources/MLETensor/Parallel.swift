import Foundation
import Synchronization

/// Work spread over threads.
public enum Parallel {
    /// The active processor count, read once: Foundation reads it from the system on every call
    /// (19 µs here, a fifth of the start of an ensemble's parallel training).
    public static let cores = ProcessInfo.processInfo.activeProcessorCount

    /// `body(0..<count)` on up to `workers` threads (default: every core), results in order.
    /// OpenBLAS must already be on one thread (`BLASThreads.single`) when `body` makes products.
    /// - Throws: the error of the lowest index that failed.
    public static func map<T: Sendable>(
        _ count: Int, workers: Int? = nil,
        _ body: @escaping @Sendable (Int) throws -> T
    ) throws -> [T] {
        let slots = Slots<T>(count: count)
        let threads = max(1, min(workers ?? cores, count))
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            while let i = slots.take() {
                do { slots.set(i, .success(try body(i))) } catch { slots.set(i, .failure(error)) }
            }
        }
        return try slots.values()
    }

    /// As `map(_:workers:_:)`, with one `local()` per thread handed to every job it runs: buffers a
    /// thread reuses from job to job instead of allocating them for each.
    public static func map<L, T: Sendable>(
        _ count: Int, workers: Int? = nil, local: @escaping @Sendable () -> L,
        _ body: @escaping @Sendable (L, Int) throws -> T
    ) throws -> [T] {
        let slots = Slots<T>(count: count)
        let threads = max(1, min(workers ?? cores, count))
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            let own = local()
            while let i = slots.take() {
                do { slots.set(i, .success(try body(own, i))) } catch { slots.set(i, .failure(error)) }
            }
        }
        return try slots.values()
    }

    /// `first(i)` for every i in 0..<count and then `then(i, first(i))`, on up to `workers`
    /// threads, results in order. A follow-up is taken only when no `first` job is left to start,
    /// so with more threads than jobs remaining the idle threads run follow-ups while the last
    /// `first` jobs are still running (an ensemble checks its finished members while the last one
    /// trains, instead of after). A failed `first(i)` has no follow-up.
    /// - Throws: the error of the lowest index that failed, in either part.
    public static func map<T: Sendable, U: Sendable>(
        _ count: Int, workers: Int? = nil,
        _ first: @escaping @Sendable (Int) throws -> T,
        then: @escaping @Sendable (Int, T) throws -> U
    ) throws -> [(T, U)] {
        let queue = FollowUps<T, U>(count: count)
        let threads = max(1, min(workers ?? cores, count))
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            var job = queue.take()
            while let current = job {
                switch current {
                case .first(let i):
                    let result: Result<T, any Error>
                    do { result = .success(try first(i)) } catch { result = .failure(error) }
                    job = queue.finish(first: i, result)
                case .then(let i, let value):
                    do { queue.set(i, .success((value, try then(i, value)))) } catch { queue.set(i, .failure(error)) }
                    job = queue.take()
                }
            }
        }
        return try queue.values()
    }
}

/// The jobs of `Parallel.map(_:workers:_:then:)`: every `first` job in index order, then the
/// follow-ups of finished ones; a thread finding neither waits while `first` jobs are running.
///
/// A thread that has just finished a `first` job leaves the follow-ups to threads waiting for
/// one, when there are enough of them, and is done: those threads have been running follow-ups,
/// whose data their caches hold (an ensemble's last check took 0.3 ms on the thread that had
/// trained the member against 0.14 ms on the one that had checked the others). A waiting thread
/// spins for a while before it sleeps, so such a hand-off costs no wake-up.
final class FollowUps<T: Sendable, U: Sendable>: @unchecked Sendable {
    enum Job {
        case first(Int)
        case then(Int, T)
    }
    private let condition = NSCondition()
    private var results: [Result<(T, U), any Error>?]
    private var next = 0
    private var running = 0
    private var waiting = 0
    private var ready: [(Int, T)] = []
    /// Bumped by every finished `first` job, for the spinning waiters.
    private let finished = Atomic<Int>(0)
    /// How long a waiting thread spins before it sleeps.
    private let spinNanoseconds: UInt64 = 1_000_000
    init(count: Int) { results = Array(repeating: nil, count: count) }

    /// Threads inside `take` waiting for a job (tests watch it).
    var waitingThreads: Int { condition.withLock { waiting } }

    /// The next job for a thread, waiting while there is none yet; nil when all are done.
    func take() -> Job? {
        condition.lock()
        defer { condition.unlock() }
        return nextJob(justFinishedFirst: false)
    }

    /// Records the result of `first(i)` and gives the thread that ran it its next job, in one
    /// step: nil when no job is left for it, or when threads waiting for follow-ups take them.
    func finish(first i: Int, _ r: Result<T, any Error>) -> Job? {
        condition.lock()
        defer { condition.unlock() }
        running -= 1
        switch r {
        case .success(let v): ready.append((i, v))
        case .failure(let e): results[i] = .failure(e)
        }
        finished.add(1, ordering: .releasing)
        condition.broadcast()
        return nextJob(justFinishedFirst: true)
    }

    /// With the lock held (released while spinning or sleeping).
    private func nextJob(justFinishedFirst: Bool) -> Job? {
        var spun = false
        while true {
            if next < results.count {
                defer { next += 1; running += 1 }
                return .first(next)
            }
            if !ready.isEmpty {
                if justFinishedFirst && waiting >= ready.count { return nil }
                let (i, v) = ready.removeFirst()
                return .then(i, v)
            }
            if running == 0 { return nil }
            waiting += 1
            if spun {
                condition.wait()
            } else {
                spun = true
                let seen = finished.load(ordering: .acquiring)
                condition.unlock()
                let start = DispatchTime.now().uptimeNanoseconds
                var n = 0
                while finished.load(ordering: .acquiring) == seen {
                    n += 1
                    if n % 1024 == 0 && DispatchTime.now().uptimeNanoseconds - start > spinNanoseconds { break }
                }
                condition.lock()
            }
            waiting -= 1
        }
    }

    func set(_ i: Int, _ r: Result<(T, U), any Error>) { condition.withLock { results[i] = r } }

    func values() throws -> [(T, U)] {
        try condition.withLock {
            try results.map { slot in
                guard let slot else { throw TensorError.unfinished("a parallel task did not finish") }
                return try slot.get()
            }
        }
    }
}

/// Results written by several threads, one slot each, and the next index to work on.
final class Slots<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result<T, any Error>?]
    private var next = 0
    init(count: Int) { slots = Array(repeating: nil, count: count) }

    /// The next index no thread has taken, each once.
    func take() -> Int? {
        lock.withLock {
            guard next < slots.count else { return nil }
            defer { next += 1 }
            return next
        }
    }

    func set(_ i: Int, _ r: Result<T, any Error>) { lock.withLock { slots[i] = r } }

    func values() throws -> [T] {
        try lock.withLock {
            try slots.map { slot in
                guard let slot else { throw TensorError.unfinished("a parallel task did not finish") }
                return try slot.get()
            }
        }
    }
}

/// A second thread for work that alternates between a short parallel part and a short serial
/// part thousands of times (an MLP's mini-batch steps: ~0.5 ms each). Handing each part to a
/// Dispatch worker costs a thread wake-up per step on the critical path (measured: a batch
/// split over two threads lost 0.27 s in 2,344 steps); this thread spins for a while between
/// jobs instead, then sleeps. `close()` (or deinit) ends it.
public final class PairedWorker: @unchecked Sendable {
    private let posted = Atomic<Int>(0)
    private let finished = Atomic<Int>(0)
    private let closed = Atomic<Bool>(false)
    private let condition = NSCondition()
    /// Written by the caller before `posted` is released, read by the worker after acquiring it.
    private var job: (@Sendable () -> Void)?
    /// Spin iterations before the worker sleeps (about 0.2 ms).
    private let spins = 20_000

    public init() {
        let thread = Thread { [unowned(unsafe) self] in self.loop() }
        thread.start()
    }

    deinit { close() }

    /// Ends the thread once it has finished its current job.
    public func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        condition.lock()
        condition.signal()
        condition.unlock()
        while running.load(ordering: .acquiring) { sched_yield() }
    }

    private let running = Atomic<Bool>(true)

    /// Runs `other` on the worker and `mine` on the calling thread, and returns when both are done.
    public func run(_ mine: () -> Void, _ other: @escaping @Sendable () -> Void) {
        job = other
        let generation = posted.add(1, ordering: .releasing).newValue
        condition.lock()
        condition.signal()
        condition.unlock()
        mine()
        var n = 0
        while finished.load(ordering: .acquiring) != generation {
            n += 1
            if n > 64 { sched_yield() }
        }
        // Whatever the job captured is released now, not at the next job (a captured array kept
        // alive would make the caller's next write copy it).
        job = nil
    }

    private func loop() {
        var seen = 0
        while true {
            var n = 0
            while posted.load(ordering: .acquiring) == seen && !closed.load(ordering: .acquiring) && n < spins {
                n += 1
            }
            if posted.load(ordering: .acquiring) == seen && !closed.load(ordering: .acquiring) {
                condition.lock()
                while posted.load(ordering: .acquiring) == seen && !closed.load(ordering: .acquiring) {
                    condition.wait()
                }
                condition.unlock()
            }
            let now = posted.load(ordering: .acquiring)
            if now != seen {
                seen = now
                job?()
                finished.store(seen, ordering: .releasing)
                continue
            }
            if closed.load(ordering: .acquiring) { break }
        }
        running.store(false, ordering: .releasing)
    }
}
