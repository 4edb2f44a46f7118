import Foundation
import MLELearning
import MLETensor

/// Settings of the search for inputs that activate uncovered units.
public struct UnitSearchSettings: Sendable {
    /// Gradient steps per start.
    public var steps: Int = 200
    /// Length of each step, in standardised feature units (L2).
    public var stepSize: Float = 0.05
    /// Starting examples per unit: the rows on which the unit's pre-activation value is largest.
    public var starts: Int = 3
    public init() {}
}

/// What the search found for one unit.
public struct FoundInput: Sendable {
    public var unit: NetworkUnit
    /// True when the input activates the unit under the analysis's rule.
    public var found: Bool
    /// The data row the search started from.
    public var startRow: Int
    /// The starting example and the input reached, in the data's own units.
    public var start: [Float]
    public var input: [Float]
    /// The unit's value (the counted kind, pre or post) at the start and at the input reached.
    public var startValue: Float
    public var value: Float
    /// Euclidean distance from the starting example, in standardised feature units.
    public var distance: Double
    /// Gradient steps taken.
    public var steps: Int
    /// The model's prediction at the start and at the input: a class index or a number.
    public var before: Double
    public var after: Double
    public var predictionChanged: Bool { before != after }
}

/// A small DeepXplore-style test generator for tabular MLPs: gradient ascent on one unit's
/// pre-activation value, from the test inputs closest to activating it, projected after every
/// step onto the box of feature values seen in training.
public enum UnitSearch {
    public static func search(
        _ net: MLP, x: Matrix, units: [NetworkUnit], rule: ActivationRule, values kind: ActivationValues,
        box: (low: [Float], high: [Float]), settings: UnitSearchSettings,
        context: ExecutionContext = .standard
    ) throws -> [FoundInput] {
        let cancellation = context.cancellation
        guard x.rows > 0 else { throw CoverageError.invalid("the data has no rows to start the search from") }
        guard settings.steps >= 1, settings.starts >= 1 else {
            throw SettingError(settings.steps < 1 ? "steps" : "starts", "steps and starts must be at least 1")
        }
        guard settings.stepSize > 0, settings.stepSize.isFinite else {
            throw SettingError("stepSize", "the step size must be a positive number")
        }
        let d = x.cols
        guard box.low.count == d, box.high.count == d else {
            throw CoverageError.invalid("the feature box has \(box.low.count) features, the data \(d)")
        }
        let s = net.standardizer
        let xs = try s.apply(x)
        let lowS = (0..<d).map { (box.low[$0] - s.mean[$0]) / s.scale[$0] }
        let highS = (0..<d).map { (box.high[$0] - s.mean[$0]) / s.scale[$0] }
        let all = try net.forward(standardized: xs)
        var out: [FoundInput] = []

        for unit in units {
            guard net.layers.indices.contains(unit.layer), unit.index < net.layers[unit.layer].outputs else {
                throw CoverageError.invalid("unit \(unit.index + 1) of layer \(unit.layer + 1) is not in the network")
            }
            if cancellation.isCancelled { throw Cancelled() }
            let width = net.layers[unit.layer].outputs
            // Starts: the rows where the unit's pre-activation value is largest.
            let pre = all[unit.layer].pre
            let starts = Array(
                (0..<x.rows).sorted {
                    pre[$0, unit.index] != pre[$1, unit.index] ? pre[$0, unit.index] > pre[$1, unit.index] : $0 < $1
                }
                .prefix(settings.starts))
            let startX = try xs.gatherRows(starts)
            var z = startX
            let b = starts.count
            var done = [Bool](repeating: false, count: b)
            var success = [Bool](repeating: false, count: b)
            var stepsTaken = [Int](repeating: settings.steps, count: b)
            var lastValues = try net.forward(standardized: z)
            let startValues = lastValues
            for step in 0...settings.steps {
                if step > 0 { lastValues = try net.forward(standardized: z) }
                let m = kind == .post ? lastValues[unit.layer].post : lastValues[unit.layer].pre
                for r in 0..<b where !done[r] {
                    var lo = Float.infinity, hi = -Float.infinity
                    for j in 0..<width { lo = min(lo, m[r, j]); hi = max(hi, m[r, j]) }
                    if Coverage.activated(m[r, unit.index], rule: rule, rowMin: lo, rowMax: hi) {
                        done[r] = true; success[r] = true; stepsTaken[r] = step
                    }
                }
                if step == settings.steps || done.allSatisfy({ $0 }) { break }
                if cancellation.isCancelled { throw Cancelled() }
                var seed = Matrix(rows: b, cols: width)
                for r in 0..<b where !done[r] { seed.storage[r * width + unit.index] = 1 }
                let g = try net.inputGradient(layer: unit.layer, seed: seed, values: lastValues)
                for r in 0..<b where !done[r] {
                    var norm: Float = 0
                    for j in 0..<d { norm += g[r, j] * g[r, j] }
                    norm = norm.squareRoot()
                    guard norm > 0, norm.isFinite else {
                        // No gradient: the unit is cut off by inactive units upstream.
                        done[r] = true; stepsTaken[r] = step
                        continue
                    }
                    let scale = settings.stepSize / norm
                    for j in 0..<d {
                        let v = z.storage[r * d + j] + scale * g[r, j]
                        z.storage[r * d + j] = min(max(v, lowS[j]), highS[j])
                    }
                }
            }
            let final = kind == .post ? lastValues[unit.layer].post : lastValues[unit.layer].pre
            let initial = kind == .post ? startValues[unit.layer].post : startValues[unit.layer].pre
            func distance(_ r: Int) -> Double {
                var sum = 0.0
                for j in 0..<d { let e = Double(z[r, j] - startX[r, j]); sum += e * e }
                return sum.squareRoot()
            }
            // The closest success, else the start that got the unit's value highest.
            let candidates = (0..<b).filter { success[$0] }
            let best: Int
            if let closest = candidates.min(by: { distance($0) < distance($1) }) {
                best = closest
            } else {
                best = (0..<b).max { final[$0, unit.index] < final[$1, unit.index] } ?? 0
            }
            // Back to the data's units, clamped again: the round trip can step a hair outside.
            let raw = (0..<d).map { min(max(z[best, $0] * s.scale[$0] + s.mean[$0], box.low[$0]), box.high[$0]) }
            let startRaw = x.row(starts[best])
            let predictions = try net.predict(Matrix([startRaw, raw]))
            let before: Double, after: Double
            switch predictions {
            case .probabilities:
                let classes = predictions.predictedClasses ?? [0, 0]
                before = Double(classes[0]); after = Double(classes[1])
            case .values(let v):
                before = Double(v[0]); after = Double(v[1])
            }
            out.append(
                FoundInput(
                    unit: unit, found: success[best], startRow: starts[best], start: startRaw, input: raw,
                    startValue: initial[best, unit.index], value: final[best, unit.index],
                    distance: distance(best), steps: stepsTaken[best], before: before, after: after))
        }
        return out
    }
}
