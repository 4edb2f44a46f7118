import Foundation

/// Distribution functions the intervals and tests need, in Double precision.
public enum Distributions {
    /// Standard normal CDF Φ(x), through `erfc` so both tails keep full relative precision.
    public static func normalCDF(_ x: Double) -> Double {
        0.5 * erfc(-x / 2.0.squareRoot())
    }

    /// Standard normal quantile Φ⁻¹(p): a rational first guess refined by Halley steps on
    /// `normalCDF`, accurate to about 1e-15 for p in (1e-300, 1 − 1e-16).
    public static func normalQuantile(_ p: Double) -> Double {
        if p <= 0 { return -.infinity }
        if p >= 1 { return .infinity }
        if p == 0.5 { return 0 }
        // Initial guess (Abramowitz & Stegun 26.2.23), then Halley's method.
        let q = min(p, 1 - p)
        let t = (-2 * log(q)).squareRoot()
        var x =
            t - (2.515517 + 0.802853 * t + 0.010328 * t * t)
            / (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t)
        if p < 0.5 { x = -x }
        for _ in 0..<4 {
            // Work in the tail the target lies in, for precision.
            // e = Φ(x) − p, computed as −(Q(x) − (1 − p)) in the upper half.
            let e = p < 0.5 ? normalCDF(x) - p : (1 - p) - 0.5 * erfc(x / 2.0.squareRoot())
            let density = exp(-0.5 * x * x) / (2 * Double.pi).squareRoot()
            guard density > 0 else { break }
            let u = e / density
            x -= u / (1 + 0.5 * x * u)
        }
        return x
    }

    /// The regularised incomplete beta function I_x(a, b), by its continued fraction (Lentz's
    /// method; Numerical Recipes §6.4), using the symmetry I_x(a,b) = 1 − I_{1−x}(b,a) where the
    /// fraction converges faster.
    public static func incompleteBeta(_ x: Double, _ a: Double, _ b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let lnFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * log(x) + b * log1p(-x)
        if x < (a + 1) / (a + b + 2) {
            return exp(lnFront) * betaFraction(x, a, b) / a
        }
        return 1 - exp(lnFront) * betaFraction(1 - x, b, a) / b
    }

    private static func betaFraction(_ x: Double, _ a: Double, _ b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0
        var d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...100_000 {
            let m = Double(m)
            let m2 = 2 * m
            var aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2))
            d = 1 + aa * d; if abs(d) < tiny { d = tiny }
            c = 1 + aa / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1))
            d = 1 + aa * d; if abs(d) < tiny { d = tiny }
            c = 1 + aa / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return h
    }

    /// The p-quantile of the Beta(a, b) distribution, by bisection on `incompleteBeta`
    /// (monotone, so bisection cannot fail; 100 halvings reach Double resolution).
    public static func betaQuantile(_ p: Double, _ a: Double, _ b: Double) -> Double {
        if p <= 0 { return 0 }
        if p >= 1 { return 1 }
        var lo = 0.0, hi = 1.0
        for _ in 0..<200 {
            let mid = 0.5 * (lo + hi)
            if mid <= lo || mid >= hi { break }
            if incompleteBeta(mid, a, b) < p { lo = mid } else { hi = mid }
        }
        return 0.5 * (lo + hi)
    }

    /// Two-sided p-value of Student's t statistic with `df` degrees of freedom:
    /// P(|T| ≥ |t|) = I_{df/(df+t²)}(df/2, 1/2).
    public static func studentTTwoSided(_ t: Double, df: Double) -> Double {
        guard t.isFinite else { return t.isNaN ? .nan : 0 }
        return incompleteBeta(df / (df + t * t), df / 2, 0.5)
    }

    /// The p-quantile of Student's t distribution with `df` degrees of freedom, from
    /// P(|T| ≥ t) = I_{df/(df+t²)}(df/2, 1/2) inverted by `betaQuantile`.
    public static func studentTQuantile(_ p: Double, df: Double) -> Double {
        if p <= 0 { return -.infinity }
        if p >= 1 { return .infinity }
        if p == 0.5 { return 0 }
        let x = betaQuantile(2 * min(p, 1 - p), df / 2, 0.5)
        let t = (df * (1 - x) / x).squareRoot()
        return p < 0.5 ? -t : t
    }

    /// The regularised upper incomplete gamma function Q(a, x) = Γ(a, x)/Γ(a): its series below
    /// x = a + 1, else its continued fraction (Lentz; Numerical Recipes §6.2).
    public static func upperGamma(_ a: Double, _ x: Double) -> Double {
        if x <= 0 { return 1 }
        if x.isInfinite { return 0 }
        let front = a * log(x) - x - logGamma(a)
        if x < a + 1 {
            var term = 1 / a, sum = term, k = a
            for _ in 0..<100_000 {
                k += 1
                term *= x / k
                sum += term
                if abs(term) < abs(sum) * 1e-16 { break }
            }
            return max(0, 1 - sum * exp(front))
        }
        let tiny = 1e-300
        var b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d
        for i in 1...100_000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b; if abs(d) < tiny { d = tiny }
            c = b + an / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return min(1, exp(front) * h)
    }

    /// P(X ≥ x) for X ~ χ² with `df` degrees of freedom.
    public static func chiSquareSurvival(_ x: Double, df: Double) -> Double {
        x <= 0 ? 1 : upperGamma(df / 2, x / 2)
    }

    /// The p-quantile of χ² with `df` degrees of freedom, by bisection on `chiSquareSurvival`.
    public static func chiSquareQuantile(_ p: Double, df: Double) -> Double {
        if p <= 0 { return 0 }
        if p >= 1 { return .infinity }
        var lo = 0.0, hi = max(1, df)
        while chiSquareSurvival(hi, df: df) > 1 - p { hi *= 2 }
        for _ in 0..<200 {
            let mid = 0.5 * (lo + hi)
            if mid <= lo || mid >= hi { break }
            if chiSquareSurvival(mid, df: df) > 1 - p { lo = mid } else { hi = mid }
        }
        return 0.5 * (lo + hi)
    }

    /// Upper tail of the χ² distribution with one degree of freedom: P(X ≥ x) = erfc(√(x/2)).
    public static func chiSquare1Survival(_ x: Double) -> Double {
        x <= 0 ? 1 : erfc((x / 2).squareRoot())
    }

    /// P(X ≤ k) for X ~ Binomial(n, p), summed in log space.
    public static func binomialCDF(_ k: Int, n: Int, p: Double) -> Double {
        if k < 0 { return 0 }
        if k >= n { return 1 }
        var total = 0.0
        let lnP = log(p), lnQ = log1p(-p)
        let lnN = logGamma(Double(n) + 1)
        for i in 0...k {
            total += exp(
                lnN - logGamma(Double(i) + 1) - logGamma(Double(n - i) + 1) + Double(i) * lnP + Double(n - i) * lnQ)
        }
        return min(total, 1)
    }
}

#if canImport(Glibc)
    import Glibc
    /// ln Γ(x) from the C library (`lgamma` alone is ambiguous in Swift on Linux).
    @inline(__always) func logGamma(_ x: Double) -> Double { Glibc.lgamma(x) }
#else
    @inline(__always) func logGamma(_ x: Double) -> Double { Darwin.lgamma(x) }
#endif
