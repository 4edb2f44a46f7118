import Foundation
import MLETensor
import MLETestSupport
import Testing

@Test func zigguratNormalsFollowTheStandardNormal() {
    var rng = SeededGenerator(seed: 11)
    let n = 200_000
    var v = (0..<n).map { _ in Double(rng.nextNormalFloat()) }
    let mean = v.reduce(0, +) / Double(n)
    let variance = v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)
    #expect(abs(mean) < 0.01 && abs(variance - 1) < 0.015)
    // Kolmogorov–Smirnov against Φ: the 1% critical value is 1.63/√n.
    v.sort()
    var ks = 0.0
    for (i, x) in v.enumerated() {
        let phi = 0.5 * (1 + erf(x / 2.0.squareRoot()))
        ks = max(ks, abs(phi - Double(i) / Double(n)), abs(phi - Double(i + 1) / Double(n)))
    }
    #expect(ks < 1.63 / Double(n).squareRoot(), "KS \(ks)")
    // The tail beyond the base strip (r ≈ 3.44) is drawn separately: P(|x| > 3.5) = 4.65e-4.
    let tail = Double(v.filter { abs($0) > 3.5 }.count) / Double(n)
    #expect(abs(tail - 4.65e-4) < 1.5e-4, "tail \(tail)")
}
