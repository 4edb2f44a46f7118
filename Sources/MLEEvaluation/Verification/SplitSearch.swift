import Foundation
import MLELearning
import MLETensor

/// A question a split search decides over an input region: does every input x keep
/// `value(f(x)) ≤ threshold`?
struct SplitQuestion: Sendable {
    /// Linear functions of the outputs (coefficients, constant) whose lower bounds over a node
    /// `worst` turns into a bound of the value.
    var rows: [[Double]]
    var constants: [Double]
    /// The rows whose bounds matter most, the only ones whose α and β are optimised and that
    /// steer the branching (nil: all); the others keep CROWN's bounds.
    var focus: [Int]? = nil
    /// A sound upper bound of the value over a node, from its rows' sound lower bounds.
    var worst: @Sendable ([Double]) -> Double
    /// The value at outputs, and its gradient with respect to them (for attacks).
    var value: @Sendable ([Double]) -> Double
    var slope: @Sendable ([Double]) -> [Double]
    var threshold: Double
    /// Whether outputs are a clear violation (beyond the threshold by more than rounding).
    var violates: @Sendable ([Double]) -> Bool
    /// For a question whose `worst` combines rows nonlinearly: the row to split the outputs'
    /// space on at a leaf, and where, from the leaf's lower bounds (nil: never split outputs).
    var outputBranch: (@Sendable ([Double]) -> (row: Int, threshold: Double)?)? = nil
}

/// A split search's answer.
public struct SplitSearchResult: Sendable {
    public enum Answer: String, Sendable {
        /// Every input keeps the value within the threshold (proved).
        case holds
        /// An input takes it beyond (replayed in double and float32).
        case violated
        /// Neither, within the time allowed; `reason` says why.
        case undecided
    }
    public var answer: Answer
    /// The counterexample: a point of the region exactly representable in float32.
    public var counterexample: [Double]?
    /// The value there as mle computes it (float32).
    public var counterexampleValue: Double?
    /// A sound upper bound of the value over the region: the largest over the sub-problems
    /// still open (or proved) when the search stopped; nil for a violation.
    public var bound: Double?
    /// Sub-problems (sets of ReLU splits) bounded.
    public var branches: Int
    public var seconds: Double
    public var reason: SplitUndecided?
    /// The counterexample came from the attack before any branching.
    public var foundByAttack = false
}

/// Why a split search stopped without an answer.
public enum SplitUndecided: Sendable, Equatable {
    /// The time budget ran out with this many sub-problems open.
    case timeBudget(open: Int)
    /// Too many sub-problems open to keep.
    case memory(open: Int)
    case interrupted
    /// Sub-problems with every unit fixed whose bound stopped improving above the threshold: the
    /// value is within rounding of the threshold, or the bound of the output's nonlinearity (the
    /// probability vector from bounds of logit differences) stays loose there.
    case fixedButOpen(count: Int)
}

/// Branch and bound over ReLU splits (the inputs stay the whole region): each sub-problem fixes
/// some hidden units' phases and is bounded by `SplitBounder` (α- and β-CROWN); the one with
/// the highest bound is split on the unstable unit with the highest BaBSR-style score. Before it,
/// projected gradient ascent on the value from the centre and random points; during it, every
/// bound's minimising inputs are evaluated and, every 8 rounds, ascent runs from the most
/// promising of them. A sub-problem whose every unit is stable or split is bounded again with
/// more optimisation steps (its bound tends to the exact value); when that stops improving it is
/// left open and reported. With `threads` 2 the two halves of a split are bounded at once (for
/// one search alone; `robust` and `radius` run one search per thread instead).
enum SplitSearch {
    struct Node {
        var splits: ReluSplits
        var bound: SplitNodeBound
        var worst: Double
        var iterations: Int
        var depth: Int
        var outputSplits: [OutputSplit] = []
        /// Every row was optimised (not only the question's focus).
        var everyRow = false
    }

    static func run(
        _ net: VerifierNetwork, region: InputRegion, question q: SplitQuestion, timeout: Double, seed: UInt64,
        cancellation: Cancellation, threads: Int = 1
    ) -> SplitSearchResult {
        let start = Date()
        let deadline = start.addingTimeInterval(timeout)
        func elapsed() -> Double { Date().timeIntervalSince(start) }
        var rng = SeededGenerator(seed: seed)
        var branches = 0

        func violation(_ x: [Double]) -> (point: [Double], value: Double)? {
            guard let (point, yf) = replay(net, x, region), q.violates(net.evaluate(point)), q.violates(yf) else {
                return nil
            }
            return (point, q.value(yf))
        }
        func found(_ v: (point: [Double], value: Double), attack: Bool = false) -> SplitSearchResult {
            SplitSearchResult(
                answer: .violated, counterexample: v.point, counterexampleValue: v.value, bound: nil,
                branches: branches, seconds: elapsed(), reason: nil, foundByAttack: attack)
        }
        /// Projected gradient ascent on the value from each start; the first clear violation.
        func ascend(_ starts: [[Double]], steps: Int) -> (point: [Double], value: Double)? {
            for s in starts {
                var x = region.project(s)
                for step in 0..<steps {
                    if step % 16 == 15, cancellation.isCancelled || Date() >= deadline { return nil }
                    let y = net.evaluate(x)
                    if q.violates(y), let v = violation(x) { return v }
                    let (g, _) = net.gradient(x, of: q.slope(y).map { -$0 })
                    let eta = 0.2 * pow(0.05, Double(step) / Double(max(steps - 1, 1)))
                    x = region.descend(x, g, eta)
                }
                if q.violates(net.evaluate(x)), let v = violation(x) { return v }
            }
            return nil
        }

        // 1. Attack.
        let center: [Double]
        switch region {
        case .box(let lo, let hi): center = lo.indices.map { (lo[$0] + hi[$0]) / 2 }
        case .ball(let c, _): center = c
        }
        if let v = ascend([center] + (0..<8).map { _ in region.random(&rng) }, steps: 60) {
            return found(v, attack: true)
        }

        // 2. Branch and bound.
        let bounder = SplitBounder(net, region: region, cancellation: cancellation)
        /// A node's bounds; at a leaf (`everyRow`) every row is optimised, not only the focus.
        func bound(
            _ splits: ReluSplits, iterations: Int, depth: Int, parent: SplitNodeBound? = nil, everyRow: Bool = false,
            outputSplits: [OutputSplit] = [], changed: Int? = nil
        ) -> Node {
            branches += 1
            let b = bounder.bound(
                splits, rows: q.rows, constants: q.constants, iterations: iterations,
                focus: everyRow ? nil : q.focus, parent: parent, outputSplits: outputSplits, changed: changed)
            return Node(
                splits: splits, bound: b, worst: b.infeasible ? -.infinity : q.worst(b.lower), iterations: iterations,
                depth: depth, outputSplits: outputSplits, everyRow: everyRow || q.focus == nil)
        }
        /// A node's minimising inputs, as counterexample candidates.
        func check(_ node: Node) -> (point: [Double], value: Double)? {
            guard !node.bound.infeasible else { return nil }
            let ys = net.evaluate(batch: node.bound.points)
            for (k, y) in ys.enumerated() where q.violates(y) {
                if let v = violation(node.bound.points[k]) { return v }
            }
            return nil
        }
        let root = bound([], iterations: 20, depth: 0)
        if let v = check(root) { return found(v) }
        if root.worst <= q.threshold {
            return SplitSearchResult(
                answer: .holds, bound: root.worst, branches: branches, seconds: elapsed(), reason: nil)
        }
        // Each open sub-problem keeps its relaxation (about 18 bytes a hidden unit) and its
        // rows' slopes and multipliers (16 bytes a unit and optimised row): about 1 GB of them.
        let rowsKept = q.focus?.count ?? q.rows.count
        let maxOpen = max(1_000, min(200_000, 1_000_000_000 / max(1, bounder.hiddenCount * (18 + 16 * rowsKept))))
        var open = [root]
        var stuck: [Node] = []
        /// The highest bound among the sub-problems proved (what the proof shows of the value).
        var provedWorst = -Double.infinity
        func settled(_ node: Node) -> Bool {
            guard node.worst <= q.threshold else { return false }
            if node.worst.isFinite { provedWorst = max(provedWorst, node.worst) }
            return true
        }
        var rounds = 0
        func undecided(_ reason: SplitUndecided) -> SplitSearchResult {
            let worst = (open + stuck).map(\.worst).max()
            return SplitSearchResult(
                answer: .undecided, bound: worst, branches: branches, seconds: elapsed(), reason: reason)
        }
        while !open.isEmpty {
            if cancellation.isCancelled { return undecided(.interrupted) }
            if Date() >= deadline { return undecided(.timeBudget(open: open.count + stuck.count)) }
            guard open.count + stuck.count <= maxOpen else { return undecided(.memory(open: open.count + stuck.count)) }
            // The node with the highest bound.
            var at = 0
            for i in open.indices where open[i].worst > open[at].worst { at = i }
            let node = open.swapRemoveAt(at)
            rounds += 1
            if rounds % 8 == 0 {
                let ys = net.evaluate(batch: node.bound.points)
                let order = ys.indices.sorted { q.value(ys[$0]) > q.value(ys[$1]) }
                if let v = ascend(order.prefix(2).map { node.bound.points[$0] }, steps: 30) { return found(v) }
            }
            if node.bound.unstable == 0 {
                // Every unit fixed: the multipliers' optimisation is left (now for every row, not
                // only the focus), and for a question that combines several rows nonlinearly,
                // splitting the outputs' space, each half starting from this node's multipliers.
                if node.everyRow, let branch = q.outputBranch {
                    guard let pick = branch(node.bound.lower), node.outputSplits.count < 60 else {
                        stuck.append(node)
                        continue
                    }
                    for sign: Int8 in [1, -1] {
                        let split = OutputSplit(coefficients: q.rows[pick.row], threshold: pick.threshold, sign: sign)
                        let child = bound(
                            node.splits, iterations: 40, depth: node.depth + 1, parent: node.bound,
                            everyRow: true, outputSplits: node.outputSplits + [split])
                        if let v = check(child) { return found(v) }
                        if !settled(child) { open.append(child) }
                    }
                    continue
                }
                guard !node.everyRow || node.iterations < 1_280 else {
                    stuck.append(node)
                    continue
                }
                let again = bound(
                    node.splits, iterations: node.everyRow ? node.iterations * 2 : 60, depth: node.depth,
                    parent: node.bound, everyRow: true, outputSplits: node.outputSplits)
                if let v = check(again) { return found(v) }
                if !settled(again) { open.append(again) }
                continue
            }
            var unit = 0
            for i in node.bound.scores.indices where node.bound.scores[i] > node.bound.scores[unit] { unit = i }
            let base = node.splits.isEmpty ? ReluSplits(repeating: 0, count: bounder.hiddenCount) : node.splits
            let layer = bounder.offsets.lastIndex { $0 <= unit } ?? 0
            let halves = ([1, -1] as [Int8]).map { phase in
                var splits = base
                splits[unit] = phase
                return splits
            }
            let children: [Node]
            if threads > 1 {
                // The two halves on two threads (the bounder keeps no state between calls).
                let parent = node.bound, focus = q.focus, rows = q.rows, constants = q.constants
                let bounds =
                    (try? Parallel.map(2, workers: 2) { k in
                        bounder.bound(
                            halves[k], rows: rows, constants: constants, iterations: 10, focus: focus,
                            parent: parent, changed: layer)
                    }) ?? []
                branches += bounds.count
                children = zip(halves, bounds).map { splits, b in
                    Node(
                        splits: splits, bound: b, worst: b.infeasible ? -.infinity : q.worst(b.lower), iterations: 10,
                        depth: node.depth + 1, everyRow: q.focus == nil)
                }
            } else {
                children = halves.map {
                    bound($0, iterations: 10, depth: node.depth + 1, parent: node.bound, changed: layer)
                }
            }
            for child in children {
                if let v = check(child) { return found(v) }
                if !settled(child) { open.append(child) }
            }
        }
        if !stuck.isEmpty {
            return undecided(.fixedButOpen(count: stuck.count))
        }
        return SplitSearchResult(
            answer: .holds, bound: provedWorst.isFinite ? provedWorst : nil, branches: branches, seconds: elapsed(),
            reason: nil)
    }

    /// x rounded to float32 inside the region, with the outputs mle computes there; nil when
    /// no such point is found.
    static func replay(_ net: VerifierNetwork, _ x: [Double], _ region: InputRegion) -> ([Double], [Double])? {
        var p = region.project(x)
        for _ in 0..<8 {
            var xf = p.map { Float($0) }
            if case .box(let lo, let hi) = region {
                for i in xf.indices {
                    while Double(xf[i]) < lo[i] { xf[i] = xf[i].nextUp }
                    while Double(xf[i]) > hi[i] { xf[i] = xf[i].nextDown }
                }
            }
            let xd = xf.map(Double.init)
            if region.contains(xd) {
                guard let y = try? net.evaluateFloat(xf) else { return nil }
                return (xd, y)
            }
            // Pull a ball's point further in and round again.
            if case .ball(let c, _) = region { p = c.indices.map { c[$0] + (1 - 1e-6) * (p[$0] - c[$0]) } }
        }
        return nil
    }
}

extension Array {
    /// Removes element i by moving the last one into its place (O(1)).
    mutating func swapRemoveAt(_ i: Int) -> Element {
        swapAt(i, count - 1)
        return removeLast()
    }
}
