import Foundation

/// A seeded pseudo-random generator: xoshiro256** (Blackman & Vigna 2018), seeded through
/// SplitMix64. Same seed, same stream, on every machine and every run.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    // Inlinable (with next, nextIndex and shuffle) so a shuffle in another module is specialised:
    // the generic version looked up Array's metadata on every call and swapped through witness
    // tables (perf: 6% of an ensemble of small networks, whose epochs are short).
    @usableFromInline var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    public init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix(); s1 = splitMix(); s2 = splitMix(); s3 = splitMix()
    }

    @inlinable
    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Uniform integer in `0..<n` (n > 0), without modulo bias.
    @inlinable
    public mutating func nextIndex(_ n: Int) -> Int {
        Int(next(upperBound: UInt64(max(n, 1))))
    }

    /// A standard normal deviate (Box–Muller).
    public mutating func nextNormal() -> Double {
        var u = nextUnit()
        while u <= 0 { u = nextUnit() }
        let v = nextUnit()
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }

    /// A standard normal deviate in single precision by Marsaglia and Tsang's ziggurat (2000,
    /// 128 layers): one 32-bit draw, a multiply and a compare 98.8% of the time, against a
    /// logarithm, a square root and a cosine for Box–Muller. For bulk sampling (robustness).
    public mutating func nextNormalFloat() -> Float {
        var x: Float = 0
        fillNormal(&x, count: 1)
        return x
    }

    /// Fills `count` floats at `out` with standard normal deviates (the ziggurat, as
    /// `nextNormalFloat`), reading the tables once for the whole run.
    public mutating func fillNormal(_ out: UnsafeMutablePointer<Float>, count: Int) {
        let z = Ziggurat.table
        z.k.withUnsafeBufferPointer { k in
            z.w.withUnsafeBufferPointer { w in
                z.f.withUnsafeBufferPointer { f in
                    for i in 0..<count {
                        out[i] = zigguratNormal(k, w, f)
                    }
                }
            }
        }
    }

    @inline(__always)
    private mutating func zigguratNormal(
        _ k: UnsafeBufferPointer<UInt32>, _ w: UnsafeBufferPointer<Float>,
        _ f: UnsafeBufferPointer<Float>
    ) -> Float {
        while true {
            let hz = Int32(truncatingIfNeeded: next() >> 32)
            let iz = Int(hz & 127)
            if hz.magnitude < k[iz] { return Float(hz) * w[iz] }
            // The base strip's tail beyond r, or a wedge between two layers.
            let x = Float(hz) * w[iz]
            if iz == 0 {
                var t: Float, y: Float
                repeat {
                    t = -Float(log(1 - nextUnit())) / Ziggurat.r
                    y = -Float(log(1 - nextUnit()))
                } while y + y < t * t
                return hz > 0 ? Ziggurat.r + t : -Ziggurat.r - t
            }
            if f[iz] + Float(nextUnit()) * (f[iz - 1] - f[iz]) < exp(-0.5 * x * x) { return x }
        }
    }

    /// Fisher–Yates shuffle with this generator (the standard library's algorithm may change
    /// between releases; this one does not).
    @inlinable
    public mutating func shuffle<T>(_ a: inout [T]) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) {
            let j = nextIndex(i + 1)
            if i != j { a.swapAt(i, j) }
        }
    }
}

/// Lets long numeric work stop early. The shell sets it from a SIGINT handler; numeric code only
/// polls it, between epochs or batches.
/// Thrown by long work stopped through its `Cancellation`.
public struct Cancelled: Error, Sendable { public init() {} }

public struct Cancellation: Sendable {
    private let check: @Sendable () -> Bool
    public init(_ check: @escaping @Sendable () -> Bool) { self.check = check }
    public static let never = Cancellation { false }
    public var isCancelled: Bool { check() }

    /// The cancellation of the command running on this thread, for work no context is passed to
    /// (a prediction over millions of rows, a copy of a dataset): set by the interpreter around
    /// each command, `.never` on any other thread. Polled once per large block, never per row.
    public static var current: Cancellation {
        (Thread.current.threadDictionary[currentKey] as? Box)?.value ?? .never
    }

    /// Runs `body` with `c` as this thread's current cancellation.
    public static func withCurrent<R>(_ c: Cancellation, _ body: () throws -> R) rethrows -> R {
        let dictionary = Thread.current.threadDictionary
        let previous = dictionary[currentKey]
        dictionary[currentKey] = Box(c)
        defer { dictionary[currentKey] = previous }
        return try body()
    }

    /// Throws `Cancelled` when this thread's current cancellation is set.
    public static func checkCurrent() throws { if current.isCancelled { throw Cancelled() } }

    private static let currentKey = "mle.cancellation"
    private final class Box: Sendable {
        let value: Cancellation
        init(_ value: Cancellation) { self.value = value }
    }
}

/// The ziggurat's tables for the standard normal (Marsaglia & Tsang 2000, "The ziggurat method
/// for generating random variables", J. Stat. Softw. 5(8), procedure zigset with 128 layers).
enum Ziggurat {
    static let r: Float = 3.442620
    struct Table: Sendable { var k: [UInt32]; var w: [Float]; var f: [Float] }
    static let table: Table = {
        let m1 = 2147483648.0
        var dn = 3.442619855899, tn = dn
        let vn = 9.91256303526217e-3
        var k = [UInt32](repeating: 0, count: 128), w = [Float](repeating: 0, count: 128),
            f = [Float](repeating: 0, count: 128)
        let q = vn / exp(-0.5 * dn * dn)
        k[0] = UInt32((dn / q) * m1)
        k[1] = 0
        w[0] = Float(q / m1)
        w[127] = Float(dn / m1)
        f[0] = 1
        f[127] = Float(exp(-0.5 * dn * dn))
        for i in stride(from: 126, through: 1, by: -1) {
            dn = (-2 * log(vn / dn + exp(-0.5 * dn * dn))).squareRoot()
            k[i + 1] = UInt32((dn / tn) * m1)
            tn = dn
            f[i] = Float(exp(-0.5 * dn * dn))
            w[i] = Float(dn / m1)
        }
        return Table(k: k, w: w, f: f)
    }()
}
