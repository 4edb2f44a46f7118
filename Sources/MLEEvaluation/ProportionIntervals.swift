import Foundation

/// A confidence interval with the point estimate it surrounds.
public struct Interval: Equatable, Sendable {
    public var estimate: Double
    public var low: Double
    public var high: Double
    public init(estimate: Double, low: Double, high: Double) {
        self.estimate = estimate; self.low = low; self.high = high
    }
}

/// Intervals for a binomial proportion x/n.
public enum ProportionMethod: String, CaseIterable, Sendable {
    /// Wilson's score interval (the default: good coverage, never outside [0, 1]).
    case wilson
    /// The normal approximation p ± z·sqrt(p(1−p)/n), Burkov's interval for the error rate.
    case wald
    /// Agresti–Coull: Wald on x + z²/2 successes out of n + z².
    case agrestiCoull = "agresti_coull"
    /// Clopper–Pearson's exact interval from beta quantiles.
    case clopperPearson = "clopper_pearson"
    /// Jeffreys' interval: quantiles of Beta(x + ½, n − x + ½).
    case jeffreys

    /// The interval at confidence `level` (e.g. 0.95). Formulas as in statsmodels'
    /// `proportion_confint`, whose published values for 18 of 20 the tests reproduce.
    public func interval(successes x: Int, trials n: Int, level: Double) -> Interval? {
        guard n > 0, x >= 0, x <= n, level > 0, level < 1 else { return nil }
        let alpha = 1 - level
        let p = Double(x) / Double(n)
        let nd = Double(n)
        let z = Distributions.normalQuantile(1 - alpha / 2)
        switch self {
        case .wald:
            let half = z * (p * (1 - p) / nd).squareRoot()
            // Clipped to [0, 1], as statsmodels does.
            return Interval(estimate: p, low: max(0, p - half), high: min(1, p + half))
        case .wilson:
            let z2 = z * z
            let center = (p + z2 / (2 * nd)) / (1 + z2 / nd)
            let half = z / (1 + z2 / nd) * (p * (1 - p) / nd + z2 / (4 * nd * nd)).squareRoot()
            return Interval(estimate: p, low: center - half, high: center + half)
        case .agrestiCoull:
            let z2 = z * z
            let nTilde = nd + z2
            let pTilde = (Double(x) + z2 / 2) / nTilde
            let half = z * (pTilde * (1 - pTilde) / nTilde).squareRoot()
            return Interval(estimate: p, low: max(0, pTilde - half), high: min(1, pTilde + half))
        case .clopperPearson:
            let low = x == 0 ? 0 : Distributions.betaQuantile(alpha / 2, Double(x), Double(n - x + 1))
            let high = x == n ? 1 : Distributions.betaQuantile(1 - alpha / 2, Double(x + 1), Double(n - x))
            return Interval(estimate: p, low: low, high: high)
        case .jeffreys:
            // The plain beta quantiles at every x, as statsmodels gives them (Brown, Cai and
            // DasGupta's variant sets the bound at x = 0 or n to 0 or 1 instead).
            let a = Double(x) + 0.5, b = Double(n - x) + 0.5
            return Interval(
                estimate: p, low: Distributions.betaQuantile(alpha / 2, a, b),
                high: Distributions.betaQuantile(1 - alpha / 2, a, b))
        }
    }
}
