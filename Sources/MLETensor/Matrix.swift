/// A dense row-major matrix of `Float`.
///
/// Storage is a plain array, so a `Matrix` is a value: copies are cheap until written (copy on
/// write). Hot loops live in `Kernels.swift` and work on its buffer directly.
public struct Matrix: Equatable, Sendable {
    public let rows: Int
    public let cols: Int
    public var storage: [Float]

    /// A `rows × cols` matrix filled with `value`.
    public init(rows: Int, cols: Int, repeating value: Float = 0) {
        self.rows = max(rows, 0)
        self.cols = max(cols, 0)
        storage = [Float](repeating: value, count: self.rows * self.cols)
    }

    /// A matrix whose values the caller writes in full before reading any: no zeroing pass, so
    /// the pages of a large one are touched only as it is filled (block by block, between
    /// which Ctrl-C is heard; zeroing 500 MB up front once took a second).
    public init(uninitializedRows rows: Int, cols: Int) {
        self.rows = max(rows, 0)
        self.cols = max(cols, 0)
        let count = self.rows * self.cols
        storage = [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }

    /// A matrix over existing row-major storage.
    /// - Throws: `TensorError.shapeMismatch` when `storage.count != rows * cols`.
    public init(rows: Int, cols: Int, storage: [Float]) throws {
        guard rows >= 0, cols >= 0, storage.count == rows * cols else {
            throw TensorError.shapeMismatch(
                "storage of \(storage.count) values cannot be a \(rows)×\(cols) matrix")
        }
        self.rows = rows
        self.cols = cols
        self.storage = storage
    }

    /// A matrix from rows of equal length.
    /// - Throws: `TensorError.shapeMismatch` for ragged rows.
    public init(_ rowArrays: [[Float]]) throws {
        let c = rowArrays.first?.count ?? 0
        var flat: [Float] = []
        flat.reserveCapacity(rowArrays.count * c)
        for (i, r) in rowArrays.enumerated() {
            guard r.count == c else {
                throw TensorError.shapeMismatch("row \(i) has \(r.count) values, expected \(c)")
            }
            flat.append(contentsOf: r)
        }
        try self.init(rows: rowArrays.count, cols: c, storage: flat)
    }

    /// Element access; callers keep `row` and `col` in range (checked by the array).
    @inlinable
    public subscript(row: Int, col: Int) -> Float {
        get { storage[row * cols + col] }
        set { storage[row * cols + col] = newValue }
    }

    /// One row as an array.
    public func row(_ r: Int) -> [Float] {
        Array(storage[(r * cols)..<((r + 1) * cols)])
    }

    /// Rows `start..<end` as a matrix of their own.
    public func rowRange(_ start: Int, _ end: Int) -> Matrix {
        var out = Matrix(rows: end - start, cols: cols)
        out.storage.withUnsafeMutableBufferPointer { dst in
            storage.withUnsafeBufferPointer { src in
                guard let d = dst.baseAddress, let s = src.baseAddress else { return }
                d.update(from: s + start * cols, count: (end - start) * cols)
            }
        }
        return out
    }

    /// The rows at `indices`, in that order.
    /// - Throws: `Cancelled` when the thread's current cancellation fires (polled every
    ///   65,536 rows: copying millions of rows into fresh memory can take most of a second).
    public func gatherRows(_ indices: [Int]) throws -> Matrix {
        var out = Matrix(uninitializedRows: indices.count, cols: cols)  // every row is copied below
        let cols = cols
        let cancellation = Cancellation.current
        var stopped = false
        storage.withUnsafeBufferPointer { src in
            out.storage.withUnsafeMutableBufferPointer { dst in
                guard let from = src.baseAddress, let to = dst.baseAddress else { return }
                for (k, r) in indices.enumerated() {
                    if k & 0xFFFF == 0xFFFF, cancellation.isCancelled { stopped = true; return }
                    (to + k * cols).initialize(from: from + r * cols, count: cols)
                }
            }
        }
        if stopped { throw Cancelled() }
        return out
    }
}

/// Errors from the tensor core. They describe shapes; the language layer adds positions.
public enum TensorError: Error, Equatable, CustomStringConvertible {
    case shapeMismatch(String)
    /// Work handed to a thread that never reported back (a bug, not bad input).
    case unfinished(String)

    public var description: String {
        switch self {
        case .shapeMismatch(let s): return "shape mismatch: \(s)"
        case .unfinished(let s): return s
        }
    }
}
