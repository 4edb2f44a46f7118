import Foundation
import MLELearning
import MLETensor
import Synchronization

/// Settings of a label-robustness search.
public struct RadiusSettings: Sendable {
    public var norm: PerturbationNorm = .l2
    public var units: RobustUnits = .standardized
    /// Projected gradient steps per restart and restarts per attack.
    public var steps: Int = 50
    public var restarts: Int = 5
    public var seed: UInt64 = 0
    /// The largest radius searched, in the units of δ.
    public var maxRadius: Double = 10
    /// Both bisections stop when their interval is at most this fraction of its upper end.
    public var tolerance: Double = 0.001
    /// Narrow [certified, attacked] further by bisection with complete checks (`SplitSearch` on
    /// the label question), each given `exactTimeout` seconds.
    public var exact = false
    public var exactTimeout: Double = 10
    public init() {}
}

/// What the complete bisection of one example did.
public struct RadiusExactEvidence: Sendable {
    /// Complete checks made, branches bounded in all, and seconds.
    public var checks: Int
    public var branches: Int
    public var seconds: Double
    /// Why the bisection stopped before the tolerance (nil when it reached it).
    public var stopped: SplitUndecided?
}

/// The interval that brackets one example's robustness radius: the smallest ‖x′ − x‖ for which
/// the predicted class changes.
public struct RadiusExample: Sendable {
    public var row: Int
    /// The class predicted at x.
    public var label: Int
    /// CROWN proves that no input within this distance changes the label (0 when it cannot
    /// prove even a tiny ball).
    public var certified: Double
    /// An input at this distance changes the label; nil when the attack found none within the
    /// largest radius searched.
    public var attacked: Double?
    /// The class that input gets, and the input itself in the data's own units.
    public var flippedTo: Int?
    public var counterexample: [Float]?
    /// The complete bisection's record (`RadiusSettings.exact`).
    public var exact: RadiusExactEvidence?
}

/// Label robustness (what adversarial-robustness tools report): per example, a certified radius
/// found by bisection on CROWN's bounds of the logit differences, and the smallest radius at
/// which projected gradient ascent on the best other logit's margin changes the label, found by
/// bisection on the attack's radius and a line search back towards x. The true radius lies in
/// [certified, attacked].
public enum LabelRadius {
    /// - Parameter stopIdleWorkers: stop OpenBLAS's idle workers around each certification round
    ///   (two threads of ours bound the balls meanwhile), as `BLASThreads.single(stopIdleWorkers:)`
    ///   explains (only for the owner of the process).
    /// - Throws: `Cancelled` on Ctrl-C (`measureKeepingBrackets` keeps the brackets reached).
    public static func measure(
        _ model: MLP, x: Matrix, settings: RadiusSettings,
        context: ExecutionContext = .standard
    ) throws -> [RadiusExample] {
        let (results, interrupted) = try measureKeepingBrackets(model, x: x, settings: settings, context: context)
        if interrupted { throw Cancelled() }
        return results
    }

    /// `measure`, keeping on Ctrl-C every example's bracket as far as the bisection got: the
    /// certified radius is still proved and the attacked one still a replayed counterexample;
    /// only the bracket may be wider than the tolerance (at worst [0, the largest radius]).
    public static func measureKeepingBrackets(
        _ model: MLP, x: Matrix, settings: RadiusSettings,
        context: ExecutionContext = .standard
    ) throws -> (results: [RadiusExample], interrupted: Bool) {
        let cancellation = context.cancellation
        var interrupted = false
        let stopIdleWorkers = context.threads.mayStopIdleWorkers
        func progress(_ done: Int, _ total: Int) { context.progress(done, of: total) }
        guard case .classification(let classes) = model.task, classes.count >= 2 else {
            throw RobustError("label robustness needs a classifier; a regression network has no label to change")
        }
        guard settings.maxRadius > 0, settings.maxRadius.isFinite else {
            throw SettingError("maxRadius", "the largest radius must be a number > 0")
        }
        guard settings.tolerance > 0, settings.tolerance < 1 else {
            throw SettingError("tolerance", "the tolerance must be between 0 and 1")
        }
        guard settings.steps >= 1, settings.restarts >= 1 else {
            throw SettingError(settings.steps < 1 ? "steps" : "restarts", "steps and restarts must be at least 1")
        }
        guard x.cols == model.standardizer.mean.count else {
            throw RobustError("the model takes \(model.standardizer.mean.count) features, the data has \(x.cols)")
        }
        let space = SpaceNetwork(model, units: settings.units)
        let net = space.net
        let n = x.rows, d = x.cols
        var centers = Matrix(rows: n, cols: d)
        for r in 0..<n { let p = space.toSpace(x.row(r)); for j in 0..<d { centers[r, j] = p[j] } }
        let labels = try predictedClasses(net, centers)
        let attackRounds = 1 + bisectionRounds(settings.tolerance, limit: 14)
        let certifyRounds = bisectionRounds(settings.tolerance, limit: 60)
        let total = attackRounds + certifyRounds + (settings.exact ? n : 0)
        var round = 0

        // Attack: at the largest radius first, then bisect below each success.
        var rng = SeededGenerator(seed: settings.seed &+ 0x5851_F42D_4C95_7F2D)
        var found: [(distance: Double, point: [Float])?] = Array(repeating: nil, count: n)
        var failed = [Double](repeating: 0, count: n)  // largest radius at which the attack failed
        var radii = [Double](repeating: settings.maxRadius, count: n)
        var active = Array(0..<n)
        while !active.isEmpty, round < attackRounds {
            if cancellation.isCancelled { interrupted = true; break }
            let points: [[Float]?]
            do {
                points = try Attack.flip(
                    net, centers: centers, examples: active, labels: labels,
                    radii: active.map { Float(radii[$0]) }, norm: settings.norm, steps: settings.steps,
                    restarts: settings.restarts, rng: &rng, cancellation: cancellation)
            } catch is Cancelled {
                interrupted = true; break
            }
            for (i, e) in active.enumerated() {
                if let p = points[i] {
                    let dist = distance(p, centers.row(e), settings.norm)
                    if found[e].map({ dist < $0.distance }) ?? true { found[e] = (dist, p) }
                } else {
                    failed[e] = max(failed[e], radii[e])
                }
            }
            round += 1
            progress(round, total)
            active = active.filter { e in
                guard let f = found[e] else { return false }
                return f.distance - failed[e] > settings.tolerance * f.distance
            }
            for e in active { radii[e] = (failed[e] + (found[e]?.distance ?? 0)) / 2 }
        }
        // Line search from x to each flipping point: the first point on the segment that flips.
        found = try shortenTowardsCenter(net, centers: centers, labels: labels, found: found, norm: settings.norm)

        // Certification: bisection on [0, attacked or the largest radius].
        let plan = Certify.Plan(net, norm: settings.norm)
        var low = [Double](repeating: 0, count: n)
        var high = (0..<n).map { found[$0]?.distance ?? settings.maxRadius }
        func certified(_ examples: [Int], _ deltas: [Double]) -> [Bool] {
            BLASThreads.single(stopIdleWorkers: stopIdleWorkers) { certifiedRound(examples, deltas) }
        }
        func certifiedRound(_ examples: [Int], _ deltas: [Double]) -> [Bool] {
            var out: [Bool] = []
            var start = 0
            while start < examples.count {
                // Ctrl-C: the examples bounded so far keep their answers; the caller stops.
                if cancellation.isCancelled { break }
                let chunk = Array(examples[start..<min(start + 32, examples.count)])
                let bounds = Certify.bounds(
                    plan, centers: chunk.map { centers.row($0).map(Double.init) },
                    deltas: (start..<(start + chunk.count)).map { deltas[$0] })
                for (i, e) in chunk.enumerated() {
                    let y = labels[e]
                    let diff = i < bounds.count ? bounds[i].crown.differenceUpper : nil
                    out.append((0..<classes.count).allSatisfy { j in j == y || (diff?[j][y] ?? 1) < 0 })
                }
                start += chunk.count
            }
            return out
        }
        // With no flip found, the whole searched range may be certified.
        let open = interrupted ? [] : (0..<n).filter { found[$0] == nil }
        for (i, ok) in certified(open, open.map { high[$0] }).enumerated() where ok { low[open[i]] = high[open[i]] }
        active = interrupted ? [] : (0..<n).filter { high[$0] - low[$0] > settings.tolerance * high[$0] }
        var rounds = 0
        while !active.isEmpty, rounds < certifyRounds {
            if cancellation.isCancelled { interrupted = true; break }
            let mids = active.map { (low[$0] + high[$0]) / 2 }
            for (i, ok) in certified(active, mids).enumerated() {
                if ok { low[active[i]] = mids[i] } else { high[active[i]] = mids[i] }
            }
            rounds += 1
            progress(attackRounds + rounds, total)
            active = active.filter { high[$0] - low[$0] > settings.tolerance * high[$0] }
        }

        // Exact: bisection on [certified, attacked] with complete checks, each example on its
        // own thread.
        var evidence = [RadiusExactEvidence?](repeating: nil, count: n)
        if settings.exact, !interrupted {
            let verifier = try VerifierNetwork(net)
            let k = classes.count
            let finished = Atomic<Int>(0)
            let start = attackRounds + certifyRounds
            let known = (0..<n).map { (low[$0], found[$0]) }
            let centerRows = (0..<n).map { centers.row($0) }
            let outcomes = try BLASThreads.single(stopIdleWorkers: stopIdleWorkers) {
                try Parallel.map(n) { e -> (Double, (distance: Double, point: [Float])?, RadiusExactEvidence) in
                    let r = exactBisection(
                        verifier, center: centerRows[e], label: labels[e], classes: k, known: known[e],
                        settings: settings, cancellation: cancellation)
                    context.progress(start + finished.add(1, ordering: .relaxed).newValue, of: total)
                    return r
                }
            }
            for e in 0..<n {
                low[e] = outcomes[e].0
                found[e] = outcomes[e].1
                evidence[e] = outcomes[e].2
                if outcomes[e].2.stopped == .interrupted { interrupted = true }
            }
        }

        // Counterexamples are checked once more through the model as the user calls it (raw rows).
        let examples = (0..<n).filter { found[$0] != nil }
        var raw = Matrix(rows: examples.count, cols: d)
        for (i, e) in examples.enumerated() {
            let p = space.toRaw(found[e]?.point ?? []); for j in 0..<min(d, p.count) { raw[i, j] = p[j] }
        }
        // The replay runs even after Ctrl-C: a counterexample is not reported unreplayed.
        let check =
            examples.isEmpty
            ? [] : (try Cancellation.withCurrent(.never) { try model.predict(raw) }.predictedClasses ?? [])
        let results = (0..<n).map { e in
            var result = RadiusExample(row: e, label: labels[e], certified: low[e])
            result.exact = evidence[e]
            if let f = found[e], let i = examples.firstIndex(of: e), i < check.count, check[i] != labels[e] {
                result.attacked = f.distance
                result.counterexample = raw.row(i)
                result.flippedTo = check[i]
            }
            return result
        }
        return (results, interrupted)
    }

    /// One example's bisection with complete checks between its certified radius and its
    /// counterexample's distance (or the largest radius, checked first when there is none):
    /// a check that holds raises the lower end, a violation lowers the upper end to the
    /// counterexample's own distance, and an undecided check stops the bisection.
    static func exactBisection(
        _ net: VerifierNetwork, center: [Float], label: Int, classes k: Int,
        known: (low: Double, found: (distance: Double, point: [Float])?), settings: RadiusSettings,
        cancellation: Cancellation
    ) -> (Double, (distance: Double, point: [Float])?, RadiusExactEvidence) {
        var low = known.low, found = known.found
        var evidence = RadiusExactEvidence(checks: 0, branches: 0, seconds: 0, stopped: nil)
        let question = RobustQuestions.label(outputs: k, label: label)
        let c = center.map(Double.init)
        func check(_ radius: Double) -> SplitSearchResult {
            let region: InputRegion =
                settings.norm == .l2 ? .ball(center: c, radius: radius) : .linf(center: c, radius: radius)
            let r = SplitSearch.run(
                net, region: region, question: question, timeout: settings.exactTimeout,
                seed: settings.seed &+ UInt64(evidence.checks), cancellation: cancellation)
            evidence.checks += 1
            evidence.branches += r.branches
            evidence.seconds += r.seconds
            return r
        }
        func apply(_ r: SplitSearchResult, _ radius: Double) -> Bool {
            switch r.answer {
            case .holds:
                low = max(low, radius)
            case .violated:
                guard let x = r.counterexample else { return false }
                let p = x.map { Float($0) }
                let dist = distance(p, center, settings.norm)
                if found.map({ dist < $0.distance }) ?? true { found = (dist, p) }
            case .undecided:
                evidence.stopped = r.reason
                return false
            }
            return true
        }
        if found == nil, low < settings.maxRadius {
            guard apply(check(settings.maxRadius), settings.maxRadius) else { return (low, found, evidence) }
        }
        while let f = found, f.distance - low > settings.tolerance * f.distance, evidence.checks < 60 {
            if cancellation.isCancelled {
                evidence.stopped = .interrupted
                break
            }
            let mid = (low + f.distance) / 2
            guard apply(check(mid), mid) else { break }
        }
        return (low, found, evidence)
    }

    /// Rounds of bisection until the interval is `tolerance` of its end, capped at `limit`.
    static func bisectionRounds(_ tolerance: Double, limit: Int) -> Int {
        min(limit, Int(ceil(log2(1 / tolerance))) + 2)
    }

    static func distance(_ a: [Float], _ b: [Float], _ norm: PerturbationNorm) -> Double {
        var sum = 0.0, top = 0.0
        for j in a.indices {
            let e = Double(a[j]) - Double(b[j])
            sum += e * e
            top = max(top, abs(e))
        }
        return norm == .l2 ? sum.squareRoot() : top
    }

    /// Whether row `r` of `logits` gives another class than `label` by a clear margin: the best
    /// other logit exceeds the label's by 1e-4·(1 + its size), so that the float32 rounding of a
    /// different but equal computation (the model's own standardisation instead of the folded
    /// layer) cannot undo the change.
    static func flips(_ logits: Matrix, _ r: Int, label y: Int) -> (flips: Bool, other: Int) {
        var other = y == 0 ? 1 : 0
        for c in 0..<logits.cols where c != y && logits[r, c] > logits[r, other] { other = c }
        let gap = logits[r, other] - logits[r, y]
        return (gap > 1e-4 * (1 + abs(logits[r, y])), other)
    }

    /// The first largest logit of each row.
    static func predictedClasses(_ net: MLP, _ x: Matrix) throws -> [Int] {
        let logits = try net.outputs(standardized: x)
        return (0..<x.rows).map { r in
            var best = 0
            for c in 1..<logits.cols where logits[r, c] > logits[r, best] { best = c }
            return best
        }
    }

    /// For each flipping point p, the smallest t in (0, 1] (to 2⁻²⁰) for which x + t·(p − x)
    /// still changes the label, checked by a forward pass; the point there.
    static func shortenTowardsCenter(
        _ net: MLP, centers: Matrix, labels: [Int], found: [(distance: Double, point: [Float])?],
        norm: PerturbationNorm
    ) throws -> [(distance: Double, point: [Float])?] {
        let examples = found.indices.filter { found[$0] != nil }
        guard !examples.isEmpty else { return found }
        let d = centers.cols
        var low = [Float](repeating: 0, count: examples.count), high = [Float](repeating: 1, count: examples.count)
        func point(_ i: Int, _ t: Float) -> [Float] {
            let e = examples[i]
            let p = found[e]?.point ?? centers.row(e)
            return (0..<d).map { centers[e, $0] + t * (p[$0] - centers[e, $0]) }
        }
        for _ in 0..<20 {
            var batch = Matrix(rows: examples.count, cols: d)
            for i in examples.indices {
                let p = point(i, (low[i] + high[i]) / 2)
                for j in 0..<d { batch[i, j] = p[j] }
            }
            let logits = try net.outputs(standardized: batch)
            for i in examples.indices {
                if flips(logits, i, label: labels[examples[i]]).flips {
                    high[i] = (low[i] + high[i]) / 2
                } else {
                    low[i] = (low[i] + high[i]) / 2
                }
            }
        }
        var out = found
        for (i, e) in examples.enumerated() {
            let p = point(i, high[i])
            out[e] = (distance(p, centers.row(e), norm), p)
        }
        return out
    }
}

extension Attack {
    /// Projected gradient ascent on max_{j≠y} z_j − z_y (the best other class's margin) in the
    /// ball of radius `radii[i]` around each example; restart 0 starts at x, the others at random
    /// points in the ball. Returns, per example, the closest input found that changes the label.
    static func flip(
        _ net: MLP, centers: Matrix, examples: [Int], labels: [Int], radii: [Float], norm: PerturbationNorm,
        steps: Int, restarts: Int, rng: inout SeededGenerator, cancellation: Cancellation
    ) throws -> [[Float]?] {
        let d = centers.cols
        var best: [(distance: Double, point: [Float])?] = Array(repeating: nil, count: examples.count)
        let perBatch = max(1, 16_384 / restarts)
        var start = 0
        while start < examples.count {
            let chunk = Array(start..<min(start + perBatch, examples.count))
            let rows = chunk.count * restarts
            var x = Matrix(rows: rows, cols: d)
            var rowCenters = Matrix(rows: rows, cols: d)
            for (b, i) in chunk.enumerated() {
                let e = examples[i]
                for r in 0..<restarts {
                    let offset =
                        r == 0
                        ? [Float](repeating: 0, count: d)
                        : Robustness.sampleOffset(d: d, delta: radii[i], norm: norm, surface: false, rng: &rng)
                    for j in 0..<d {
                        x[b * restarts + r, j] = centers[e, j] + offset[j];
                        rowCenters[b * restarts + r, j] = centers[e, j]
                    }
                }
            }
            for step in 0...steps {
                if cancellation.isCancelled { throw Cancelled() }
                let values = try net.forward(standardized: x)
                let logits = values[values.count - 1].post
                var seed = Matrix(rows: rows, cols: logits.cols)
                for row in 0..<rows {
                    let i = chunk[row / restarts]
                    let y = labels[examples[i]]
                    let (flipped, other) = LabelRadius.flips(logits, row, label: y)
                    if flipped {
                        let p = x.row(row)
                        let dist = LabelRadius.distance(p, centers.row(examples[i]), norm)
                        if best[i].map({ dist < $0.distance }) ?? true { best[i] = (dist, p) }
                    }
                    seed[row, other] = 1
                    seed[row, y] = -1
                }
                if step == steps { break }
                let g = try net.inputGradient(layer: net.layers.count - 1, seed: seed, values: values)
                for row in 0..<rows {
                    let i = chunk[row / restarts]
                    ascend(
                        &x, row: row, gradient: g, center: rowCenters, centerRow: row,
                        alpha: 2.5 * radii[i] / Float(steps), delta: radii[i], norm: norm)
                }
            }
            start += chunk.count
        }
        return best.map { $0?.point }
    }
}
