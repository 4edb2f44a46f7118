import Foundation
import MLELearning
import MLETensor

/// Which of a unit's values coverage looks at.
public enum ActivationValues: String, Sendable, CaseIterable {
    /// After the activation function (ReLU's output).
    case post
    /// Before it: `x·W + b`.
    case pre
}

/// What "the unit is activated by this input" means.
public enum ActivationRule: Equatable, Sendable {
    /// The value is above `t` (the book's reading, and the usual one for ReLU with t = 0).
    case threshold(Float)
    /// DeepXplore (Pei et al. 2017): the value, min-max scaled over its layer for that input, is
    /// above `t`. A layer whose values are all equal for an input activates nothing.
    case scaled(Float)
}

/// Which inputs may cover units.
public enum CoverageInputs: String, Sendable, CaseIterable {
    /// Only inputs the model predicts correctly (Burkov's test).
    case correct
    /// Every input, right or wrong (DeepXplore, DeepGauge).
    case all
}

/// The coverage criteria.
public enum CoverageCriterion: String, Sendable, CaseIterable {
    /// Neuron coverage: units activated by some input / units.
    case neuron
    /// DeepGauge k-multisection coverage: sections of [low, high] hit / (k · units).
    case kmnc
    /// DeepGauge neuron boundary coverage: (units seen above high + units seen below low) / (2 · units).
    case nbc
    /// DeepGauge strong neuron activation coverage: units seen above high / units.
    case snac
    /// DeepGauge top-k neuron coverage: units among the k largest of their layer for some input / units.
    case tknc

    public var title: String {
        switch self {
        case .neuron: return "neuron coverage"
        case .kmnc: return "k-multisection coverage"
        case .nbc: return "neuron boundary coverage"
        case .snac: return "strong neuron activation coverage"
        case .tknc: return "top-k neuron coverage"
        }
    }
}

/// A hidden (or output) unit: its layer (0 is the first hidden layer) and index in the layer.
public struct NetworkUnit: Hashable, Sendable, Comparable {
    public let layer: Int
    public let index: Int
    public init(layer: Int, index: Int) { self.layer = layer; self.index = index }
    public static func < (a: NetworkUnit, b: NetworkUnit) -> Bool { (a.layer, a.index) < (b.layer, b.index) }
}

/// Every setting of a coverage analysis; reports echo them all.
public struct CoverageSettings: Sendable {
    public var rule: ActivationRule = .threshold(0)
    public var values: ActivationValues = .post
    /// Layers that count, as indices into the network's layers; nil means every hidden layer.
    public var layers: [Int]? = nil
    public var inputs: CoverageInputs = .correct
    /// The book's loop stops once neuron coverage reaches this share (0 < target ≤ 1).
    public var target: Double = 1
    /// k of k-multisection coverage.
    public var sections: Int = 1000
    /// k of top-k neuron coverage.
    public var top: Int = 2
    /// Order in which examples are fed.
    public var seed: UInt64 = 0
    public init() {}
}

public enum CoverageError: Error, Equatable, CustomStringConvertible {
    case invalid(String)
    public var description: String {
        switch self {
        case .invalid(let m): return m
        }
    }
}

/// One criterion over the examples in the seeded order.
public struct CriterionResult: Sendable {
    public var criterion: CoverageCriterion
    /// Items (units, sections or unit-boundaries) covered by all the examples, and how many there are.
    public var covered: Int
    public var total: Int
    /// Items covered after each example, in feeding order (`curve.count` = examples).
    public var curve: [Int]
    public init(criterion: CoverageCriterion, covered: Int, total: Int, curve: [Int]) {
        self.criterion = criterion; self.covered = covered; self.total = total; self.curve = curve
    }
    public var value: Double { total > 0 ? Double(covered) / Double(total) : 0 }
    /// Examples fed until the criterion reached its final value (0 when nothing was covered).
    public var examplesToFinal: Int {
        guard covered > 0, let i = curve.firstIndex(of: covered) else { return 0 }
        return i + 1
    }
    /// True when the final value was reached within the first 1% of the examples (at least the
    /// first one): the criterion cannot tell test sets apart at these settings.
    public var saturatesEarly: Bool {
        covered > 0 && examplesToFinal <= max(1, Int((Double(curve.count) * 0.01).rounded(.up)))
    }
}

/// The result of a coverage analysis.
public struct CoverageAnalysis: Sendable {
    public var settings: CoverageSettings
    /// The layers that count (indices into the network's layers) and their widths.
    public var layers: [Int]
    public var widths: [Int]
    public var examples: Int
    /// Examples the model predicts wrongly (all of them, not only those the book's loop used).
    public var wrong: Int
    /// The book's loop: examples fed until the target was reached (or all of them).
    public var examplesUsed: Int
    /// Wrongly predicted examples among those fed (skipped by the loop when inputs=correct).
    public var skippedWrong: Int
    /// Units covered when the loop stopped, per counted layer and in total.
    public var coveredPerLayer: [Int]
    public var covered: Int { coveredPerLayer.reduce(0, +) }
    public var units: Int { widths.reduce(0, +) }
    public var coverage: Double { units > 0 ? Double(covered) / Double(units) : 0 }
    public var reachedTarget: Bool
    /// Units not covered when the loop stopped.
    public var uncovered: [NetworkUnit]
    /// The neuron coverage (share) after each example the loop fed.
    public var growth: [Double]
    /// Every criterion over all the examples, in the same order.
    public var criteria: [CriterionResult]
    /// Units whose [low, high] range is a single point (KMNC sections cannot be told apart).
    public var degenerateRanges: Int
    /// Rows of the data in feeding order.
    public var order: [Int]
}

/// Coverage of a network's units by a set of inputs. All values come from one batched forward
/// pass with captured activations; the criteria are then counted in one sweep over the
/// examples in a seeded order, recording when each item is first covered.
public enum Coverage {
    /// Counted layers: the given ones, or every hidden layer.
    public static func layers(of net: MLP, _ requested: [Int]?) throws -> [Int] {
        let hidden = Array(0..<(net.layers.count - 1))
        guard let requested else {
            guard !hidden.isEmpty else {
                throw SettingError(
                    "layers", "the network has no hidden layer; its output units can be counted", remedy: .use("all"))
            }
            return hidden
        }
        guard !requested.isEmpty else { throw SettingError("layers", "no layer is chosen", remedy: .example("[1, 2]")) }
        for l in requested where !net.layers.indices.contains(l) {
            throw SettingError(
                "layers",
                "the network has layers 1 to \(net.layers.count) (the last is the output layer); \(l + 1) is not one of them"
            )
        }
        return Array(Set(requested)).sorted()
    }

    /// Is each value of `row` (one layer's values for one input) activated under `rule`?
    @inline(__always)
    static func activated(_ v: Float, rule: ActivationRule, rowMin: Float, rowMax: Float) -> Bool {
        switch rule {
        case .threshold(let t): return v > t
        case .scaled(let t):
            let span = rowMax - rowMin
            guard span > 0 else { return false }
            return (v - rowMin) / span > t
        }
    }

    /// Analyses `net` on the raw rows `x` with true classes `truth` (nil for regression, which
    /// only allows inputs=all). `profile` supplies DeepGauge's ranges; without it the criteria
    /// that need them are left out.
    public static func analyse(
        _ net: MLP, x: Matrix, truth: [Int]?, settings: CoverageSettings,
        profile: UnitProfile?
    ) throws -> CoverageAnalysis {
        guard x.rows > 0 else { throw CoverageError.invalid("the data has no rows") }
        guard settings.target > 0, settings.target <= 1 else {
            throw SettingError("target", "the target must be above 0 and at most 1 (1 = 100%)")
        }
        guard settings.sections >= 1, settings.sections <= 1_000_000 else {
            throw SettingError("sections", "sections must be between 1 and 1000000")
        }
        guard settings.top >= 1 else { throw SettingError("top", "top must be at least 1") }
        guard x.cols == net.standardizer.mean.count else {
            throw CoverageError.invalid(
                "the model takes \(net.standardizer.mean.count) features, the data has \(x.cols)")
        }
        let layers = try Coverage.layers(of: net, settings.layers)
        // Ctrl-C between the passes over millions of rows.
        let standardized = try net.standardizer.apply(x)
        try Cancellation.checkCurrent()
        let values = try net.forward(standardized: standardized)
        try Cancellation.checkCurrent()
        let n = x.rows

        // Which rows may cover units.
        var countable = [Bool](repeating: true, count: n)
        var wrongRows = [Bool](repeating: false, count: n)
        if let truth, net.task.isClassification, let last = values.last {
            guard truth.count == n else {
                throw CoverageError.invalid("the data has \(n) rows but \(truth.count) labels")
            }
            var p = last.post
            Kernels.softmaxRows(&p)
            let predicted = Prediction.probabilities(p).predictedClasses ?? []
            for r in 0..<n where predicted[r] != truth[r] { wrongRows[r] = true }
            if settings.inputs == .correct { countable = wrongRows.map { !$0 } }
        } else if settings.inputs == .correct {
            throw SettingError(
                "inputs", "only classifiers have correctly predicted inputs; a regression model's inputs all count",
                remedy: .use("all"))
        }

        try Cancellation.checkCurrent()
        var rng = SeededGenerator(seed: settings.seed)
        var order = Array(0..<n)
        rng.shuffle(&order)
        try Cancellation.checkCurrent()

        let widths = layers.map { net.layers[$0].outputs }
        var offsets = [0]
        for w in widths { offsets.append((offsets.last ?? 0) + w) }
        let unitCount = offsets.last ?? 0
        let layerValues = layers.map { settings.values == .post ? values[$0].post : values[$0].pre }

        let never = Int.max
        let k = settings.sections
        let ranges: (low: [Float], high: [Float])? = profile.map { p in
            let lows = layers.flatMap { settings.values == .post ? p.postLow[$0] : p.preLow[$0] }
            let highs = layers.flatMap { settings.values == .post ? p.postHigh[$0] : p.preHigh[$0] }
            return (lows, highs)
        }
        if let ranges, ranges.low.count != unitCount {
            throw CoverageError.invalid("the model's training profile does not match its layers")
        }
        // The position at which each item is first covered, for every criterion, in one block:
        // neuron | top-k | above high | below low | k sections per unit.
        let withRanges = ranges != nil
        // Sections are counted unit by unit into a histogram of first positions, so only one
        // unit's k sections are held at a time.
        let first = UnsafeMutableBufferPointer<Int>.allocate(capacity: unitCount * 4 + k + 3)
        first.initialize(repeating: never)
        defer { first.deallocate() }
        let slots = UnsafeMutablePointer<Int32>.allocate(capacity: max(n, 1))
        defer { slots.deallocate() }
        let hitList = UnsafeMutablePointer<Int>.allocate(capacity: k + 3)
        defer { hitList.deallocate() }
        guard let firstNeuron = first.baseAddress else { throw CoverageError.invalid("out of memory") }
        let firstTop = firstNeuron + unitCount
        let firstUpper = firstTop + unitCount, firstLower = firstUpper + unitCount, sections = firstLower + unitCount
        var sectionsFirstCovered = [Int](repeating: 0, count: n)
        // Per unit: low, high and k / (high − low) (0 for a single-point range).
        let low = ranges?.low ?? [], high = ranges?.high ?? []
        let factor = zip(low, high).map { lo, hi -> Float in
            let f = Float(k) / (hi - lo)
            // A span so small that k / span overflows counts as a single point.
            return hi > lo && f.isFinite ? f : 0
        }
        let (threshold, scaled): (Float, Bool) = {
            switch settings.rule {
            case .threshold(let t): return (t, false)
            case .scaled(let t): return (t, true)
            }
        }()
        // A top at least a layer's width puts every unit of it in the top; beyond the widest
        // layer a larger top changes nothing, so the buffers are no larger than that layer
        // (top=1000000000 once tried to allocate 12 GB).
        let top = min(settings.top, layerValues.map(\.cols).max() ?? 1)
        var topValues = [Float](repeating: 0, count: top)
        var topIndices = [Int](repeating: 0, count: top)

        // The examples that may cover units, in feeding order: (position, row).
        let fed = order.enumerated().filter { countable[$0.element] }
        let count = fed.count
        // One layer's values of the fed rows, transposed so that each unit's values are
        // contiguous and its k sections stay in L1. (Measured at 1,000 × 128, k = 1000: a
        // table of every unit's sections, walked row by row, made k-multisection coverage
        // cost as much as all the rest.)
        // Not zeroed: each layer writes the part it reads (zeroing 2 M rows × 32 units took 0.2 s
        // between two Ctrl-C checks).
        let columnCount = count * (layerValues.map(\.cols).max() ?? 0)
        var column = [Float](unsafeUninitializedCapacity: columnCount) { _, n in n = columnCount }
        var rowLow = [Float](repeating: 0, count: count), rowSpan = rowLow

        for (li, m) in layerValues.enumerated() {
            let w = m.cols, base = offsets[li]
            // No example to feed (every one predicted wrongly): nothing is covered.
            if count == 0 || w == 0 { continue }
            // Ctrl-C (the command's, on this thread) is heard every 65,536 rows and every unit.
            let cancellation = Cancellation.current
            try m.storage.withUnsafeBufferPointer { p in
                try column.withUnsafeMutableBufferPointer { col in
                    guard let pBase = p.baseAddress, let colBase = col.baseAddress else { return }
                    for (i, f) in fed.enumerated() {
                        if i & 0xFFFF == 0, cancellation.isCancelled { throw Cancelled() }
                        let values = pBase + f.element * w
                        for j in 0..<w { col[j * count + i] = values[j] }
                        if scaled {
                            var lo = Float.infinity, hi = -Float.infinity
                            for j in 0..<w { lo = min(lo, values[j]); hi = max(hi, values[j]) }
                            rowLow[i] = lo; rowSpan[i] = hi - lo
                        }
                        // Top-k: the k largest values of the layer (ties to the lower index).
                        let position = f.offset
                        if top >= w {
                            for j in 0..<w where firstTop[base + j] == never { firstTop[base + j] = position }
                            continue
                        }
                        // The k largest by insertion into a sorted list: O(w·k), and k is small.
                        // Scanning j upwards and inserting only on a strictly larger value sends
                        // ties to the lower index. (Measured: sorting each row cost more than
                        // everything else together.)
                        var filled = 0
                        for j in 0..<w {
                            let v = values[j]
                            guard !v.isNaN else { continue }
                            if filled == top && !(v > topValues[top - 1]) { continue }
                            var t = filled == top ? top - 1 : filled
                            if filled < top { filled += 1 }
                            while t > 0 && v > topValues[t - 1] {
                                topValues[t] = topValues[t - 1]; topIndices[t] = topIndices[t - 1]; t -= 1
                            }
                            topValues[t] = v; topIndices[t] = j
                        }
                        for t in 0..<filled where firstTop[base + topIndices[t]] == never {
                            firstTop[base + topIndices[t]] = position
                        }
                    }
                    // Unit by unit, examples in feeding order.
                    for j in 0..<w {
                        if cancellation.isCancelled { throw Cancelled() }
                        let u = base + j
                        let values = colBase + j * count
                        if scaled {
                            for i in 0..<count where rowSpan[i] > 0 && (values[i] - rowLow[i]) / rowSpan[i] > threshold
                            {
                                firstNeuron[u] = fed[i].offset; break
                            }
                        } else {
                            for i in 0..<count where values[i] > threshold { firstNeuron[u] = fed[i].offset; break }
                        }
                        guard withRanges else { continue }
                        let lo = low[u], hi = high[u], f = factor[u]
                        // A range that is not finite (a network giving infinities) covers nothing.
                        guard lo.isFinite, hi.isFinite else { continue }
                        // Pass 1, branch-free: each value's slot — its section, or k (above the
                        // range), k + 1 (below) or k + 2 (not a number, or a value of a unit whose
                        // range is a single point: DeepGauge's sections of it are empty, so
                        // nothing inside it counts as a section hit).
                        let point = f == 0
                        for i in 0..<count {
                            let v = values[i]
                            let above = v > hi, below = v < lo, nan = v != v
                            let inside = above || below || nan ? lo : v
                            let section = min(Int32(k - 1), Int32((inside - lo) * f))
                            slots[i] =
                                above ? Int32(k) : below ? Int32(k + 1) : nan || point ? Int32(k + 2) : section
                        }
                        // Pass 2: the first position of each slot; a branch only on a first hit.
                        var hits = 0
                        for i in 0..<count {
                            let slot = Int(slots[i])
                            if sections[slot] == never {
                                sections[slot] = fed[i].offset; hitList[hits] = slot; hits += 1
                            }
                        }
                        firstUpper[u] = sections[k]; firstLower[u] = sections[k + 1]
                        for h in 0..<hits {
                            let slot = hitList[h]
                            if slot < k { sectionsFirstCovered[sections[slot]] += 1 }
                            sections[slot] = never
                        }
                    }
                }
            }
        }

        func result(_ c: CoverageCriterion, _ firsts: UnsafeMutablePointer<Int>, count: Int, total: Int)
            -> CriterionResult
        {
            var perPosition = [Int](repeating: 0, count: n)
            for i in 0..<count where firsts[i] != never { perPosition[firsts[i]] += 1 }
            return result(c, firstCovered: perPosition, total: total)
        }
        /// From the number of items first covered at each position.
        func result(_ c: CoverageCriterion, firstCovered perPosition: [Int], total: Int) -> CriterionResult {
            let covered = perPosition.reduce(0, +)
            var curve = [Int](repeating: 0, count: n)
            var running = 0
            for i in 0..<n { running += perPosition[i]; curve[i] = running }
            return CriterionResult(criterion: c, covered: covered, total: total, curve: curve)
        }
        var criteria = [result(.neuron, firstNeuron, count: unitCount, total: unitCount)]
        var degenerate = 0
        if let ranges {
            criteria.append(result(.kmnc, firstCovered: sectionsFirstCovered, total: unitCount * k))
            // Above high and below low sit next to each other in the block.
            criteria.append(result(.nbc, firstUpper, count: 2 * unitCount, total: 2 * unitCount))
            criteria.append(result(.snac, firstUpper, count: unitCount, total: unitCount))
            degenerate = zip(ranges.low, ranges.high).filter { !($0.1 > $0.0) }.count
        }
        criteria.append(result(.tknc, firstTop, count: unitCount, total: unitCount))

        // The book's loop: feed examples until neuron coverage reaches the target.
        let neuron = criteria[0]
        let needed = Int((settings.target * Double(unitCount) - 1e-9).rounded(.up))
        let stop = neuron.curve.firstIndex { $0 >= needed }
        let used = stop.map { $0 + 1 } ?? n
        let growth = neuron.curve.prefix(used).map { unitCount > 0 ? Double($0) / Double(unitCount) : 0 }
        var coveredPerLayer = [Int](repeating: 0, count: layers.count)
        var uncovered: [NetworkUnit] = []
        for (li, l) in layers.enumerated() {
            for j in 0..<widths[li] {
                if firstNeuron[offsets[li] + j] < used {
                    coveredPerLayer[li] += 1
                } else {
                    uncovered.append(NetworkUnit(layer: l, index: j))
                }
            }
        }
        let skipped = order.prefix(used).filter { wrongRows[$0] }.count
        return CoverageAnalysis(
            settings: settings, layers: layers, widths: widths, examples: n,
            wrong: wrongRows.filter { $0 }.count, examplesUsed: used, skippedWrong: skipped,
            coveredPerLayer: coveredPerLayer, reachedTarget: stop != nil, uncovered: uncovered,
            growth: growth, criteria: criteria, degenerateRanges: degenerate, order: order)
    }

    /// Units of the counted layers that no row of `x` activates under the settings' rule
    /// (every row counts, right or wrong): dead units, when `x` is the training set.
    public static func deadUnits(_ net: MLP, x: Matrix, settings: CoverageSettings) throws -> [NetworkUnit] {
        var s = settings
        s.inputs = .all
        s.target = 1
        return try analyse(net, x: x, truth: nil, settings: s, profile: nil).uncovered
    }

    /// Dead units read from the training profile: units whose largest training value is not
    /// above the threshold. Only defined for the threshold rule.
    public static func deadUnits(profile: UnitProfile, layers: [Int], settings: CoverageSettings) -> [NetworkUnit]? {
        guard case .threshold(let t) = settings.rule else { return nil }
        var dead: [NetworkUnit] = []
        for l in layers {
            let highs = settings.values == .post ? profile.postHigh[l] : profile.preHigh[l]
            for (j, h) in highs.enumerated() where !(h > t) { dead.append(NetworkUnit(layer: l, index: j)) }
        }
        return dead
    }
}
