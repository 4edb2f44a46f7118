import Foundation
import MLELearning
import MLETensor

extension Verifier {
    /// Inputs up to which `verify` splits the input box; beyond, it splits ReLUs. Halving one
    /// input of 30 at a time shrinks a box too slowly for its bounds to tighten, while fixing
    /// ReLUs tightens them whatever the inputs; ACAS Xu's 5 inputs are input splitting's case
    /// (its 186 instances were measured with it, docs/benchmarks.md). The limit 8 is the issue's
    /// "low-dimensional" (its random test networks have 2 to 8 inputs), not a measured optimum.
    public static let inputSplittingLimit = 8

    /// The property as a split-search question over one case: the value at outputs y is
    /// −min over regions of the region's margin (max over its constraints of a·y + c), so y is
    /// in an unsafe region exactly when the value is ≥ 0; a sub-problem is proved when, for
    /// every region, one of its refutation rows (`refutationRows`) has a lower bound above the
    /// margin `Verifier.margin` leaves for rounding.
    static func splitQuestion(_ regions: [[VerificationProperty.Constraint]]) -> SplitQuestion {
        var rows: [[Double]] = [], constants: [Double] = [], owner: [Int] = []
        for (r, region) in regions.enumerated() {
            for con in refutationRows(region) {
                rows.append(con.coefficients)
                constants.append(con.constant)
                owner.append(r)
            }
        }
        let count = regions.count, owners = owner
        let value: @Sendable ([Double]) -> Double = { y in -(regions.map { margin($0, y) }.min() ?? .infinity) }
        return SplitQuestion(
            rows: rows, constants: constants,
            worst: { lower in
                var refuted = [Double](repeating: -.infinity, count: count)
                for (i, v) in lower.enumerated() {
                    let safe = v.isNaN ? -.infinity : v - margin * (1 + abs(v))
                    refuted[owners[i]] = max(refuted[owners[i]], safe)
                }
                // An empty region (no constraint) is never refuted.
                for r in 0..<count where regions[r].isEmpty { refuted[r] = -.infinity }
                return -(refuted.min() ?? .infinity)
            }, value: value,
            slope: { y in
                // The gradient of the margin of the region closest to being entered.
                var best = 0, top = Double.infinity
                for (r, region) in regions.enumerated() {
                    let m = margin(region, y)
                    if m < top { (best, top) = (r, m) }
                }
                var g = [Double](repeating: 0, count: y.count)
                for con in regions[safe: best] ?? [] where con.value(y) > -1e-6 * (1 + abs(con.constant)) {
                    for j in g.indices where j < con.coefficients.count { g[j] -= con.coefficients[j] }
                }
                return g
            },
            threshold: -Double.leastNonzeroMagnitude, violates: { value($0) >= 0 })
    }

    /// `verify` by branch and bound over ReLU splits (`SplitSearch`), case by case, each over its
    /// box — or over `ball` when given (a property with one case: the ball replaces its box).
    static func verifyBySplits(
        _ net: VerifierNetwork, cases: [VerificationProperty.Case], ball: (center: [Double], radius: Double)?,
        settings: VerifySettings, context: ExecutionContext, start: Date
    ) throws -> VerifyResult {
        let deadline = start.addingTimeInterval(settings.timeout)
        func elapsed() -> Double { Date().timeIntervalSince(start) }
        var branches = 0
        for (ci, c) in cases.enumerated() {
            let region: InputRegion =
                ball.map { .ball(center: $0.center, radius: $0.radius) } ?? .box(lower: c.lower, upper: c.upper)
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else {
                var result = VerifyResult(
                    answer: .timeout, counterexample: nil, seconds: elapsed(), domains: branches, depth: 0,
                    provedFraction: Double(ci) / Double(cases.count), lowestBound: nil, decidedAtRoot: false)
                result.splitting = .relus
                return result
            }
            let r = SplitSearch.run(
                net, region: region, question: splitQuestion(c.unsafe), timeout: left,
                seed: settings.seed &+ UInt64(ci),
                cancellation: context.cancellation, threads: settings.threads)
            branches += r.branches
            context.progress(min(999, (ci + 1) * 1000 / cases.count), of: 1000)
            switch r.answer {
            case .holds: continue
            case .violated:
                // The search replayed the point: it lies in the unsafe union in both precisions.
                // The region named is the first that holds it in both, else in double. A point
                // that is somehow missing is never read as "holds": the answer is unknown.
                guard let x = r.counterexample else {
                    var result = VerifyResult(
                        answer: .unknown, counterexample: nil, seconds: elapsed(), domains: branches, depth: 0,
                        provedFraction: Double(ci) / Double(cases.count), lowestBound: nil, decidedAtRoot: false)
                    result.splitting = .relus
                    return result
                }
                let y = net.evaluate(x)
                let yf = try net.evaluateFloat(x.map { Float($0) })
                let region =
                    c.unsafe.indices.first { margin(c.unsafe[$0], y) <= 0 && margin(c.unsafe[$0], yf) <= 0 }
                    ?? c.unsafe.indices.first { margin(c.unsafe[$0], y) <= 0 } ?? 0
                var result = VerifyResult(
                    answer: .violated,
                    counterexample: Counterexample(
                        input: x, outputs: y, outputsFloat: yf, caseIndex: ci, region: region,
                        foundBy: r.foundByAttack ? "attack" : "branch and bound over ReLU splits"),
                    seconds: elapsed(), domains: branches, depth: 0, provedFraction: Double(ci) / Double(cases.count),
                    lowestBound: nil, decidedAtRoot: false)
                result.splitting = .relus
                return result
            case .undecided:
                if r.reason == .interrupted { throw Cancelled() }
                var result = VerifyResult(
                    answer: .timeout, counterexample: nil,
                    seconds: elapsed(), domains: branches, depth: 0, provedFraction: Double(ci) / Double(cases.count),
                    lowestBound: r.bound.map { -$0 }, decidedAtRoot: false)
                if case .memory = r.reason { result.openLimitReached = true }
                result.splitting = .relus
                if case .fixedButOpen = r.reason { result.answer = .unknown }
                return result
            }
        }
        var result = VerifyResult(
            answer: .holds, counterexample: nil, seconds: elapsed(), domains: branches, depth: 0, provedFraction: 1,
            lowestBound: nil, decidedAtRoot: branches == cases.count)
        result.splitting = .relus
        return result
    }
}

extension Verifier {
    /// Verifies `property` (one case; its box is ignored) over the L2 ball of `radius` around
    /// the raw row `center`, the radius in `units` (standardised: the ball is in the space of
    /// standardised features, as `robust` measures δ). The counterexample is in raw units.
    public static func verifyBall(
        _ model: MLP, center: [Float], radius: Double, units: RobustUnits, property: VerificationProperty,
        settings: VerifySettings, context: ExecutionContext = .standard
    ) throws -> VerifyResult {
        let space = SpaceNetwork(model, units: units)
        let net = try VerifierNetwork(space.net)
        let c = space.toSpace(center).map(Double.init)
        var result = try verify(net, property, settings: settings, context: context, ball: (c, radius))
        if var cx = result.counterexample {
            cx.input = space.toRaw(cx.input.map { Float($0) }).map(Double.init)
            result.counterexample = cx
        }
        return result
    }
}
