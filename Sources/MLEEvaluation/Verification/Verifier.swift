import Foundation
import MLELearning
import MLETensor

/// How hard `Verifier.verify` tries.
public struct VerifySettings: Sendable {
    /// Wall-clock seconds for the whole property.
    public var timeout: Double
    /// Projected-gradient restarts per unsafe region before branch and bound (the first from
    /// the box's centre, the rest from random points), and steps of each.
    public var restarts: Int
    public var steps: Int
    public var seed: UInt64
    /// Threads bounding domains (each takes half of every batch).
    public var threads: Int

    public init(timeout: Double = 60, restarts: Int = 10, steps: Int = 50, seed: UInt64 = 1, threads: Int? = nil) {
        self.timeout = timeout
        self.restarts = restarts
        self.steps = steps
        self.seed = seed
        self.threads = max(1, min(threads ?? ProcessInfo.processInfo.activeProcessorCount, 8))
    }
}

/// A verification's answer.
public enum VerifyAnswer: String, Sendable {
    /// No input in the boxes reaches an unsafe region (proved).
    case holds
    /// An input reaches one (a counterexample, replayed).
    case violated
    /// Neither within the time allowed.
    case timeout
    /// Neither: some domain is too small to split further in floating point and its bound
    /// still straddles 0 (the property is on a knife edge there).
    case unknown
}

/// A counterexample, replayed through the network in both precisions.
public struct Counterexample: Sendable {
    /// The input, exactly representable in float32 and inside the property's box.
    public var input: [Double]
    /// The outputs at it in double precision and as mle computes them in float32.
    public var outputs: [Double]
    public var outputsFloat: [Double]
    /// Which box (case) and unsafe region it reaches.
    public var caseIndex: Int
    public var region: Int
    /// What found it: "attack" or "branch and bound".
    public var foundBy: String
}

public struct VerifyResult: Sendable {
    public var answer: VerifyAnswer
    public var counterexample: Counterexample?
    /// Wall seconds.
    public var seconds: Double
    /// Domains (sub-boxes) bounded.
    public var domains: Int
    /// Deepest split.
    public var depth: Int
    /// Share of the boxes proved safe (1 when the property holds).
    public var provedFraction: Double
    /// The lowest lower bound among the domains still open when time ran out (how far from a
    /// proof: negative), nil when none was left.
    public var lowestBound: Double?
    /// Domains bounded at the root alone proved it (CROWN sufficed, no branching).
    public var decidedAtRoot: Bool
    /// The search stopped at the cap on open sub-boxes (memory), not at the timeout.
    public var openLimitReached = false
    /// What the branch and bound split: the input box, or the network's ReLUs (then `domains`
    /// counts sub-problems and `depth` is 0).
    public var splitting: Splitting = .inputs

    public enum Splitting: String, Sendable { case inputs, relus }
}

/// Complete verification of a ReLU network against a `VerificationProperty`, by input-space
/// branch and bound.
///
/// 1. Projected gradient descent on each unsafe region's margin (max over its constraints of
///    a·f(x) + c, which is ≤ 0 exactly in the region), with restarts, looks for a violation.
/// 2. Branch and bound over the input box: each domain (a sub-box) is bounded by linear
///    relaxation. Hidden units' pre-activation bounds come from forward symbolic propagation
///    (each unit's lower and upper linear functions of the inputs, the ReLU relaxed by the
///    triangle's upper side and the adaptive lower line, as in DeepPoly/CROWN) intersected with
///    interval propagation, and for the units those leave unstable from CROWN's
///    back-substitution; units the parent domain showed stable stay so. Each unsafe
///    constraint's lower bound comes from CROWN's backward pass over those bounds, with the
///    adaptive lower lines and again with lines parallel to the upper ones, the better kept.
///    A region is refuted in a domain when one of its constraints, or an average of them, is
///    bounded above 0; a domain whose regions are all refuted is proved. Otherwise the input
///    that minimises the best bound and the domain's centre are evaluated (a counterexample
///    when one lies in the region), and the domain is halved: along its widest input at even
///    depths, at odd ones along the input whose coefficient in the worst bound times its width
///    is largest. Open domains are taken lowest bound first (the order does not change the work
///    of a proof, and finds violations early), and every 16 batches an attack runs inside the
///    open domain with the lowest bound.
///
///    On ACAS Xu (scripts/bench/verify.py) these choices were measured one against another:
///    widest-only splitting timed out (20 s) on 1_1 property 3, which alternating proves in
///    0.1 s, and coefficient-only splitting on 5_9 property 1 (alternating: 0.7 s); the parallel
///    lower lines cut 4_2 property 2 from 377,389 sub-boxes to 220,703, and the interval and
///    forward bounds of the final rows cut 3_3 property 2 from 1,569,483 to 311,795; depth-first
///    order timed out (30 s) on 5_3 property 2, violated, where lowest-first finds it in 1.5 s
///    (each against the rest of the method as it stood then; docs/benchmarks.md).
/// 3. Every counterexample is rounded to float32 inside the box and replayed through the
///    network in double and in float32 (mle's own forward pass); it is reported only when both
///    land in the region.
///
/// Soundness in floating point: bounds are computed in double precision from the network's
/// float32 weights, and a constraint counts as refuted only when its bound exceeds
/// 1e-7·(1 + |bound|). The rounding error of these computations on such networks (values up to
/// 10³, sums of at most a few thousand terms, relative error 1.1e-16 each) is below 1e-9 — the
/// margin absorbs it with room. What is proved is the network in exact arithmetic, which is
/// what VNN-COMP asks; float32's own rounding of the network is a separate question.
///
/// Completeness: on a box of a ReLU network every domain small enough has all units stable,
/// where the bounds are exact; splitting therefore ends, within the time allowed.
public enum Verifier {
    static let margin = 1e-7
    /// Domains bounded together (split between the threads): enough for the products to be
    /// efficient, few enough that a proof near the root does not bound work it did not need —
    /// and fewer on wide inputs, whose linear functions take (inputs + 1) numbers per unit and
    /// domain: each buffer stays under 4 million numbers (32 MB; a 784-input network with
    /// 256-unit layers gets 19 domains a batch).
    /// Open sub-boxes kept at most: about 1 GB of them.
    static func maxOpen(_ net: VerifierNetwork) -> Int {
        max(10_000, 1_000_000_000 / (300 + net.widths.reduce(0, +) + 16 * net.inputs))
    }

    static func batchSize(_ net: VerifierNetwork) -> Int {
        let widest = net.widths.max() ?? 1
        return max(2, min(192, 4_000_000 / max(1, (net.inputs + 1) * widest)))
    }

    /// - Parameter ball: an L2 ball (centre, radius) that replaces the box of a one-case
    ///   property; it is searched by ReLU splitting, as are boxes of more than
    ///   `inputSplittingLimit` inputs.
    public static func verify(
        _ net: VerifierNetwork, _ property: VerificationProperty, settings: VerifySettings,
        context: ExecutionContext = .standard, ball: (center: [Double], radius: Double)? = nil
    ) throws -> VerifyResult {
        guard property.inputs == net.inputs else {
            throw VerifyError(
                "the property has \(property.inputs) input\(property.inputs == 1 ? "" : "s") (X_0…), the network takes \(net.inputs)"
            )
        }
        guard property.outputs <= net.outputs else {
            throw VerifyError(
                "the property speaks of \(property.outputs) outputs (Y_0…), the network has \(net.outputs)")
        }
        guard settings.timeout > 0, settings.timeout.isFinite else { throw VerifyError("the timeout must be > 0") }
        let start = Date()
        let deadline = start.addingTimeInterval(settings.timeout)
        // Constraints on Y_0…Y_{k−1} of a network with more outputs: pad with zeros.
        let cases = property.cases.map { c in
            VerificationProperty.Case(
                lower: c.lower, upper: c.upper,
                unsafe: c.unsafe.map { region in
                    region.map {
                        VerificationProperty.Constraint(
                            coefficients: $0.coefficients
                                + [Double](repeating: 0, count: net.outputs - $0.coefficients.count),
                            constant: $0.constant)
                    }
                })
        }
        if let ball {
            guard cases.count == 1, ball.center.count == net.inputs, ball.radius >= 0, ball.radius.isFinite else {
                throw VerifyError("a ball replaces the box of a property with one case, around a point of the inputs")
            }
        }
        if ball != nil || net.inputs > inputSplittingLimit {
            return try verifyBySplits(net, cases: cases, ball: ball, settings: settings, context: context, start: start)
        }
        var rng = SeededGenerator(seed: settings.seed)
        func elapsed() -> Double { Date().timeIntervalSince(start) }

        // 1. Attack.
        for (ci, c) in cases.enumerated() {
            for (ri, region) in c.unsafe.enumerated() {
                try context.checkCancelled()
                if let x = attack(
                    net, c, region, settings: settings, rng: &rng, deadline: deadline,
                    cancellation: context.cancellation),
                    var found = try replay(net, x, c, region)
                {
                    found.caseIndex = ci
                    found.region = ri
                    found.foundBy = "attack"
                    return VerifyResult(
                        answer: .violated, counterexample: found, seconds: elapsed(), domains: 0, depth: 0,
                        provedFraction: 0, lowestBound: nil, decidedAtRoot: false)
                }
            }
        }

        // 2. Branch and bound, box by box.
        var domains = 0, depth = 0
        var proved = 0.0
        var atRoot = true
        let threads = settings.threads
        let bounders = (0..<threads).map { _ in Bounder(net) }
        for (ci, c) in cases.enumerated() {
            var stack = OpenDomains()
            var undecidable: [Double] = []
            var casesProved = 0.0
            let weight = Double(cases.count)
            /// Counts a bounded domain: proved, a counterexample (returned), or kept for splitting.
            func settle(_ domain: Domain, _ r: DomainOutcome) throws -> Counterexample? {
                depth = max(depth, domain.depth)
                if r.openRegions.isEmpty {
                    casesProved += pow(0.5, Double(domain.depth))
                    return nil
                }
                for (x, region) in r.candidates {
                    if var found = try replay(net, x, c, c.unsafe[region]) {
                        found.caseIndex = ci
                        found.region = region
                        found.foundBy = "branch and bound"
                        return found
                    }
                }
                var kept = domain
                kept.open = r.openRegions
                kept.stable = []  // the children inherit the outcome's; this one's is spent
                var outcome = r
                outcome.candidates = []  // checked; not kept for the domain's life in the queue
                stack.push(kept, outcome)
                return nil
            }
            func violated(_ found: Counterexample) -> VerifyResult {
                VerifyResult(
                    answer: .violated, counterexample: found, seconds: elapsed(), domains: domains, depth: depth,
                    provedFraction: (proved + casesProved) / weight, lowestBound: nil, decidedAtRoot: false)
            }
            let rows = c.unsafe.map(refutationRows)
            let root = Domain(lower: c.lower, upper: c.upper, open: Array(c.unsafe.indices), depth: 0)
            domains += 1
            if let found = try settle(root, BoundsBatch.run(bounders, [root], regions: rows, unsafe: c.unsafe)[0]) {
                return violated(found)
            }
            var rounds = 0
            while !stack.isEmpty {
                try context.checkCancelled()
                atRoot = false
                // Out of time — or out of room: each open sub-box holds its bounds' unit
                // stability (a byte per hidden unit), so their number is capped.
                if Date() >= deadline || stack.count > maxOpen(net) {
                    var r = VerifyResult(
                        answer: .timeout, counterexample: nil, seconds: elapsed(), domains: domains, depth: depth,
                        provedFraction: (proved + casesProved) / weight,
                        lowestBound: stack.lowest, decidedAtRoot: false)
                    r.openLimitReached = stack.count > maxOpen(net)
                    return r
                }
                // Now and then, an attack inside the open sub-box with the lowest bound: the
                // violations the first attack missed hide in small regions that branching
                // narrows down to.
                rounds += 1
                if rounds % 16 == 0, settings.restarts > 0, let dom = stack.first?.domain {
                    var local = settings
                    local.restarts = 3
                    local.steps = max(10, settings.steps / 2)
                    let sub = VerificationProperty.Case(lower: dom.lower, upper: dom.upper, unsafe: c.unsafe)
                    for region in dom.open {
                        if let x = attack(
                            net, sub, c.unsafe[region], settings: local, rng: &rng, deadline: deadline,
                            cancellation: context.cancellation),
                            var found = try replay(net, x, c, c.unsafe[region])
                        {
                            found.caseIndex = ci
                            found.region = region
                            found.foundBy = "an attack inside a sub-box"
                            return violated(found)
                        }
                    }
                }
                // Each parent halved along the input its bound points at.
                let take = min(stack.count, max(1, batchSize(net) / 2))
                var children: [Domain] = []
                for _ in 0..<take {
                    guard let parent = stack.pop() else { break }
                    let dom = parent.domain, i = parent.outcome.splitDimension
                    let mid = (dom.lower[i] + dom.upper[i]) / 2
                    guard dom.lower[i] < mid, mid < dom.upper[i], dom.depth < 2000 else {
                        undecidable.append(parent.outcome.lowest)
                        continue
                    }
                    var left = dom
                    left.stable = parent.outcome.stable
                    left.depth += 1
                    var right = left
                    left.upper[i] = mid
                    right.lower[i] = mid
                    children.append(left)
                    children.append(right)
                }
                let bounded =
                    children.isEmpty ? [] : BoundsBatch.run(bounders, children, regions: rows, unsafe: c.unsafe)
                domains += children.count
                for (k, child) in children.enumerated() {
                    if let found = try settle(child, bounded[k]) { return violated(found) }
                }
                context.progress(min(Int((proved + casesProved) / weight * 1000), 999), of: 1000)
            }
            if !undecidable.isEmpty {
                return VerifyResult(
                    answer: .unknown, counterexample: nil, seconds: elapsed(), domains: domains, depth: depth,
                    provedFraction: (proved + casesProved) / Double(cases.count), lowestBound: undecidable.min(),
                    decidedAtRoot: false)
            }
            proved += 1
        }
        return VerifyResult(
            answer: .holds, counterexample: nil, seconds: elapsed(), domains: domains, depth: depth, provedFraction: 1,
            lowestBound: nil, decidedAtRoot: atRoot)
    }

    /// The rows whose lower bounds can refute a region: its constraints, and (for two to six)
    /// their average and the average of each pair. A point of the region makes every
    /// constraint ≤ 0, so any average of them too; one average bounded above 0 refutes the
    /// region where no single constraint is (near the boundary between two outputs, each wins
    /// part of the domain). The relaxation follows each row's own signs, so an average's bound
    /// is often tighter than the average of the bounds.
    static func refutationRows(_ region: [VerificationProperty.Constraint]) -> [VerificationProperty.Constraint] {
        let m = region.count
        guard (2...6).contains(m) else { return region }
        func average(_ parts: [VerificationProperty.Constraint]) -> VerificationProperty.Constraint {
            var a = [Double](repeating: 0, count: parts[0].coefficients.count)
            var c = 0.0
            for p in parts {
                for j in a.indices { a[j] += p.coefficients[j] / Double(parts.count) }
                c += p.constant / Double(parts.count)
            }
            return .init(coefficients: a, constant: c)
        }
        var rows = region + [average(region)]
        if m > 2 {
            for i in 0..<m { for j in (i + 1)..<m { rows.append(average([region[i], region[j]])) } }
        }
        return rows
    }

    /// Keeps only the candidate inputs that land in their region in double precision (all of
    /// them evaluated together), the ones worth replaying.
    static func screen(
        _ outcomes: inout [DomainOutcome], _ net: VerifierNetwork, _ regions: [[VerificationProperty.Constraint]]
    ) {
        let points = outcomes.flatMap { $0.candidates.map(\.0) }
        guard !points.isEmpty else { return }
        let outputs = net.evaluate(batch: points)
        var i = 0
        for k in outcomes.indices {
            let all = outcomes[k].candidates
            outcomes[k].candidates = []
            for candidate in all {
                if margin(regions[candidate.1], outputs[i]) <= 0 { outcomes[k].candidates.append(candidate) }
                i += 1
            }
        }
    }

    /// The region's margin at outputs y: ≤ 0 exactly when y is in it.
    static func margin(_ region: [VerificationProperty.Constraint], _ y: [Double]) -> Double {
        region.reduce(-Double.infinity) { max($0, $1.value(y)) }
    }

    /// Rounds x to float32 inside the box, and returns it when the network puts it in the region
    /// both in double precision and in float32.
    static func replay(
        _ net: VerifierNetwork, _ x: [Double], _ c: VerificationProperty.Case,
        _ region: [VerificationProperty.Constraint]
    ) throws -> Counterexample? {
        var xf = x.map { Float($0) }
        for i in xf.indices {
            while Double(xf[i]) < c.lower[i] { xf[i] = xf[i].nextUp }
            while Double(xf[i]) > c.upper[i] { xf[i] = xf[i].nextDown }
            if Double(xf[i]) < c.lower[i] { return nil }  // no float32 in the box's width
        }
        let xd = xf.map(Double.init)
        let y = net.evaluate(xd)
        guard margin(region, y) <= 0 else { return nil }
        let yf = try net.evaluateFloat(xf)
        guard margin(region, yf) <= 0 else { return nil }
        return Counterexample(input: xd, outputs: y, outputsFloat: yf, caseIndex: 0, region: 0, foundBy: "")
    }

    /// Projected sign-gradient descent on the region's margin from the box's centre and from
    /// random points; the first point with margin ≤ 0 in both precisions (a little below 0, so
    /// float32's rounding keeps it inside) is returned.
    static func attack(
        _ net: VerifierNetwork, _ c: VerificationProperty.Case, _ region: [VerificationProperty.Constraint],
        settings: VerifySettings, rng: inout SeededGenerator, deadline: Date, cancellation: Cancellation
    ) -> [Double]? {
        let d = c.lower.count
        let width = (0..<d).map { c.upper[$0] - c.lower[$0] }
        for restart in 0..<settings.restarts {
            if restart > 0, Date() >= deadline || cancellation.isCancelled { return nil }
            var x = (0..<d).map { i in
                restart == 0 ? (c.lower[i] + c.upper[i]) / 2 : c.lower[i] + rng.nextUnit() * width[i]
            }
            for step in 0..<settings.steps {
                if step % 64 == 63, cancellation.isCancelled { return nil }
                // Descend on the sum of the constraints not yet met (each pushed a little past
                // 0, so that float32's rounding keeps the point inside): following only the
                // worst one zigzags between two outputs that trade places.
                let y = net.evaluate(x)
                let value = margin(region, y)
                if value <= 0, (try? replay(net, x, c, region)) != nil { return x }
                var direction = [Double](repeating: 0, count: y.count)
                var any = false
                for con in region where con.value(y) > -1e-6 * (1 + abs(con.constant)) {
                    for j in direction.indices { direction[j] += con.coefficients[j] }
                    any = true
                }
                if !any { break }
                let (g, _) = net.gradient(x, of: direction)
                let eta = 0.25 * pow(0.02, Double(step) / Double(max(settings.steps - 1, 1)))
                for i in 0..<d where g[i] != 0 {
                    x[i] = min(max(x[i] - eta * width[i] * (g[i] > 0 ? 1 : -1), c.lower[i]), c.upper[i])
                }
            }
            let y = net.evaluate(x)
            if margin(region, y) <= 0, (try? replay(net, x, c, region)) != nil { return x }
        }
        return nil
    }
}

/// A sub-box with the unsafe regions not yet refuted in it.
struct Domain: Sendable {
    var lower: [Double]
    var upper: [Double]
    var open: [Int]
    var depth: Int
    /// What the parent's bounds showed of each hidden unit (layer by layer): 1 active, 2
    /// inactive, 0 neither; empty at the root. The parent's box holds this one, so a unit stable
    /// there is stable here and needs no back-substitution of its own.
    var stable: [UInt8] = []
}

/// The open sub-boxes, lowest bound first (a binary heap): for a property that holds every one
/// must be proved whatever the order, and for one that is violated the lowest bounds are where
/// the counterexamples are.
struct OpenDomains {
    private var heap: [(domain: Domain, outcome: DomainOutcome)] = []
    var count: Int { heap.count }
    var isEmpty: Bool { heap.isEmpty }
    var first: (domain: Domain, outcome: DomainOutcome)? { heap.first }
    var lowest: Double? { heap.first?.outcome.lowest }

    mutating func push(_ d: Domain, _ o: DomainOutcome) {
        heap.append((d, o))
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard heap[i].outcome.lowest < heap[parent].outcome.lowest else { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> (domain: Domain, outcome: DomainOutcome)? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var smallest = i
            if l < heap.count, heap[l].outcome.lowest < heap[smallest].outcome.lowest { smallest = l }
            if r < heap.count, heap[r].outcome.lowest < heap[smallest].outcome.lowest { smallest = r }
            if smallest == i { break }
            heap.swapAt(i, smallest)
            i = smallest
        }
        return top
    }
}

/// What bounding one domain found.
struct DomainOutcome: Sendable {
    /// The regions not refuted.
    var openRegions: [Int] = []
    /// For each, the input minimising its best constraint's linear bound.
    var candidates: [([Double], Int)] = []
    var splitDimension = 0
    /// The lowest, over open regions, of the region's best lower bound.
    var lowest = Double.infinity
    /// Each hidden unit's stability in this domain (see `Domain.stable`), for its children.
    var stable: [UInt8] = []
}

enum BoundsBatch {
    /// Bounds the domains, split evenly between the bounders' threads.
    /// Each part's candidate inputs are screened (`Verifier.screen`) on its own thread too.
    static func run(
        _ bounders: [Bounder], _ batch: [Domain], regions: [[VerificationProperty.Constraint]],
        unsafe: [[VerificationProperty.Constraint]]
    ) -> [DomainOutcome] {
        @Sendable func part(_ p: Int, _ slice: ArraySlice<Domain>) -> [DomainOutcome] {
            var out = bounders[p].bound(slice, regions: regions)
            Verifier.screen(&out, bounders[p].net, unsafe)
            return out
        }
        let parts = min(bounders.count, max(1, batch.count / 8))
        if parts == 1 { return part(0, batch[...]) }
        let per = (batch.count + parts - 1) / parts
        // One job per bounder (job p is the only user of bounders[p]); nothing in it throws, so
        // the serial fallback never runs.
        let results =
            (try? Parallel.map(parts, workers: parts) { p in
                let lo = p * per, hi = min(batch.count, lo + per)
                return lo < hi ? part(p, batch[lo..<hi]) : []
            }) ?? [part(0, batch[...])]
        return results.flatMap { $0 }
    }
}
