import Foundation

/// Work spread over threads.
public enum Parallel {
    /// `body(0..<count)` on up to `workers` threads (default: every core), results in order.
    /// OpenBLAS must already be on one thread (`BLASThreads.single`) when `body` makes products.
    /// - Throws: the error of the lowest index that failed.
    public static func map<T: Sendable>(_ count: Int, workers: Int? = nil,
                                        _ body: @escaping @Sendable (Int) throws -> T) throws -> [T] {
        let slots = Slots<T>(count: count)
        let threads = max(1, min(workers ?? ProcessInfo.processInfo.activeProcessorCount, count))
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            while let i = slots.take() {
                do { slots.set(i, .success(try body(i))) } catch { slots.set(i, .failure(error)) }
            }
        }
        return try slots.values()
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
