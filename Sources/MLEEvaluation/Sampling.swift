import Foundation
import MLETensor

/// Exact samplers for the multinomial bootstrap shortcut.
extension SeededGenerator {
    /// Gamma(shape, 1) for shape ≥ 1 (Marsaglia & Tsang 2000).
    mutating func nextGamma(_ shape: Double) -> Double {
        let d = shape - 1.0 / 3.0, c = 1 / (9 * d).squareRoot()
        while true {
            var x = 0.0, v = 0.0
            repeat { x = nextNormal(); v = 1 + c * x } while v <= 0
            v = v * v * v
            let u = nextUnit()
            if u < 1 - 0.0331 * x * x * x * x { return d * v }
            if log(max(u, 1e-300)) < 0.5 * x * x + d * (1 - v + log(v)) { return d * v }
        }
    }

    /// Binomial(n, p), exactly: Knuth's beta splitting (TAOCP vol. 2, 3.4.1) shrinks n until the
    /// mean is small, then inversion finishes. Expected cost O(log n + 30).
    mutating func nextBinomial(_ n: Int, _ p: Double) -> Int {
        var n = n, p = p, base = 0
        if n <= 0 || p <= 0 { return 0 }
        if p >= 1 { return n }
        while Double(n) * min(p, 1 - p) >= 30 {
            let a = 1 + n / 2, b = n + 1 - a
            let ga = nextGamma(Double(a)), gb = nextGamma(Double(b))
            let x = ga / (ga + gb)  // the a-th smallest of n uniforms
            if x >= p {
                n = a - 1; p /= x
            } else {
                base += a; n = b - 1; p = (p - x) / (1 - x)
            }
            if n <= 0 || p <= 0 { return base }
            if p >= 1 { return base + n }
        }
        // Inversion on the smaller of p and 1 − p.
        let flip = p > 0.5
        let q = flip ? 1 - p : p
        let ratio = q / (1 - q)
        var pmf = pow(1 - q, Double(n))
        var cumulative = pmf
        let u = nextUnit()
        var k = 0
        while u > cumulative && k < n {
            pmf *= ratio * Double(n - k) / Double(k + 1)
            k += 1
            cumulative += pmf
        }
        return base + (flip ? n - k : k)
    }

    /// Multinomial counts of `n` draws over cells with the given probabilities (summing to 1),
    /// by conditional binomials.
    mutating func nextMultinomial(_ n: Int, _ probabilities: [Double], into counts: inout [Int]) {
        var remaining = n
        var mass = 1.0
        for i in probabilities.indices {
            if i == probabilities.count - 1 || remaining == 0 { counts[i] = remaining; remaining = 0; continue }
            let p = mass > 0 ? min(max(probabilities[i] / mass, 0), 1) : 0
            let c = nextBinomial(remaining, p)
            counts[i] = c
            remaining -= c
            mass -= probabilities[i]
        }
    }
}
