import Foundation
import MLETensor

/// How to turn raw columns (numbers with gaps, text categories) into a model's numeric inputs
/// (Burkov ch. 3–4). Fitted on training data only; the fitted `Preprocessor` travels inside
/// the model, so test data and saved models get exactly the same transforms.
public struct PreprocessSettings: Equatable, Sendable {
    /// How a missing number is filled. Categories always take their most frequent level.
    public enum Impute: String, CaseIterable, Sendable {
        case median, mean
        case mostFrequent = "most_frequent"
    }
    /// How a categorical column becomes numbers.
    public enum Encoding: String, CaseIterable, Sendable {
        /// One 0/1 column per level (an unseen level is all zeros).
        case onehot
        /// Mean (target) encoding, Burkov's bin counting: the mean target of the level — the
        /// share of each class for a classifier (one column for two classes), the mean value
        /// for regression.
        case target
        /// Odds ratio of the positive class with and without the level (binary targets).
        case odds
        /// Natural logarithm of the odds ratio (binary targets).
        case logodds
        /// The level's index in sorted order.
        case ordinal
    }
    /// Where numeric bin edges go.
    public enum Binning: String, CaseIterable, Sendable { case uniform, quantile, kmeans }
    /// Scaling of numeric (unbinned) columns.
    public enum Scaling: String, CaseIterable, Sendable { case none, standard, minmax }

    public var impute: Impute = .median
    /// Adds a 0/1 column `name:missing` for each column that had missing values in training.
    public var indicator = false
    public var encoding: Encoding = .onehot
    /// m-estimate smoothing of target encoding: (sum + m·prior) / (count + m).
    public var smoothing: Double = 0
    /// Number of bins for numeric columns; 0 leaves them as numbers.
    public var bins = 0
    public var binning: Binning = .quantile
    /// The numeric columns to bin; nil bins all of them.
    public var binColumns: [String]?
    public var scaling: Scaling = .none

    public init() {}

    /// True when nothing was asked for beyond the defaults.
    public var isDefault: Bool { self == PreprocessSettings() }
}

/// A fitted preprocessing pipeline: one step per raw column, each producing one or more inputs.
public struct Preprocessor: Equatable, Sendable, Codable {
    /// The transform of one raw column.
    public struct Step: Equatable, Sendable, Codable {
        public var column: String
        /// Levels of a categorical column (empty for a numeric one).
        public var levels: [String]
        public var categorical: Bool
        /// Numeric: the value that fills a gap. Categorical: the index of the fill level.
        public var fill: Float
        public var indicator: Bool
        /// Interior bin edges; a value goes to the bin counting the edges ≤ it. Empty: no bins.
        public var edges: [Float]
        /// Numeric scaling `(x - shift) / scale`.
        public var shift: Float
        public var scale: Float
        /// Categorical encoding (`PreprocessSettings.Encoding` raw value).
        public var encoding: String
        /// Target, odds and ordinal encodings: the encoded values of each level.
        public var table: [[Float]]
        /// The encoded values of a level not seen in training.
        public var unseen: [Float]
        /// Names of the inputs this step produces.
        public var outputs: [String]
    }

    public var steps: [Step]
    public var settings: String

    /// The model's input names, in order.
    public var outputNames: [String] {
        steps.flatMap { step in step.outputs + (step.indicator ? ["\(step.column):missing"] : []) }
    }
    /// The raw columns it reads.
    public var inputColumns: [String] { steps.map(\.column) }

    /// Fits the pipeline on `data` (training data).
    /// - Throws: `LearningError.invalid` for an encoding the target does not allow (odds ratios
    ///   need two classes; target encoding needs a target), bins < 2, or a bin column that is
    ///   not numeric.
    public static func fit(_ data: Dataset, settings: PreprocessSettings) throws -> Preprocessor {
        let numericNames = Set(zip(data.featureNames, data.columnKinds).filter { $0.1.isNumeric }.map(\.0))
        if let cols = settings.binColumns {
            for c in cols where !numericNames.contains(c) {
                if data.featureNames.contains(c) {
                    throw SettingError("binColumns", "'\(c)' is categorical; only numeric columns are binned")
                }
                throw UnknownNameError(kind: "column", name: c, known: data.featureNames, setting: "binColumns")
            }
        }
        if settings.bins == 1 || settings.bins < 0 {
            throw SettingError("bins", "bins must be 0 (no binning) or at least 2")
        }
        let hasCategorical = data.columnKinds.contains { !$0.isNumeric }
        if hasCategorical, settings.encoding != .onehot, settings.encoding != .ordinal {
            switch (settings.encoding, data.target) {
            case (_, nil): throw LearningError.noTarget("\(settings.encoding.rawValue) encoding")
            case (.odds, .classes(_, let n)?) where n.count != 2, (.logodds, .classes(_, let n)?) where n.count != 2:
                throw SettingError(
                    "encoding",
                    "\(settings.encoding.rawValue) encoding needs a target with two classes; this one has \(n.count)",
                    remedy: .useOneOf(["target", "onehot"]))
            case (.odds, .values?), (.logodds, .values?):
                throw SettingError(
                    "encoding",
                    "\(settings.encoding.rawValue) encoding needs a target with two classes; this one holds numbers",
                    remedy: .use("target"))
            default: break
            }
        }
        let missing = data.missingCounts
        var steps: [Step] = []
        for (j, name) in data.featureNames.enumerated() {
            var column = (0..<data.rowCount).map { data.features[$0, j] }
            let present = column.filter { !$0.isNaN }
            var step = Step(
                column: name, levels: [], categorical: false, fill: 0, indicator: settings.indicator && missing[j] > 0,
                edges: [], shift: 0, scale: 1, encoding: "", table: [], unseen: [], outputs: [name])
            switch data.columnKinds[j] {
            case .numeric:
                switch settings.impute {
                case .mean:
                    step.fill =
                        present.isEmpty ? 0 : Float(present.reduce(0.0) { $0 + Double($1) } / Double(present.count))
                case .median: step.fill = median(present)
                case .mostFrequent: step.fill = mostFrequent(present)
                }
                for r in column.indices where column[r].isNaN { column[r] = step.fill }
                if settings.bins >= 2, settings.binColumns?.contains(name) ?? true {
                    step.edges = binEdges(column, bins: settings.bins, how: settings.binning)
                    step.outputs = (0...step.edges.count).map { "\(name):bin\($0 + 1)" }
                } else {
                    (step.shift, step.scale) = scaling(column, settings.scaling)
                }
            case .categorical(let levels):
                step.categorical = true
                step.levels = levels
                let codes = column.map { $0.isNaN ? -1 : Int($0) }
                var counts = [Int](repeating: 0, count: levels.count)
                for c in codes where c >= 0 && c < levels.count { counts[c] += 1 }
                step.fill = Float(
                    counts.indices.max { counts[$0] < counts[$1] || (counts[$0] == counts[$1] && $0 > $1) } ?? 0)
                let filled = codes.map { $0 >= 0 && $0 < levels.count ? $0 : Int(step.fill) }
                step.encoding = settings.encoding.rawValue
                switch settings.encoding {
                case .onehot:
                    step.outputs = levels.map { "\(name)=\($0)" }
                case .ordinal:
                    step.table = levels.indices.map { [Float($0)] }
                    step.unseen = [-1]
                case .target:
                    (step.table, step.unseen, step.outputs) = try targetEncoding(
                        filled, levels: levels.count, target: data.target,
                        smoothing: settings.smoothing, name: name)
                case .odds, .logodds:
                    guard case .classes(let labels, _)? = data.target else {
                        throw LearningError.noTarget("odds encoding")
                    }
                    let log = settings.encoding == .logodds
                    step.table = oddsRatios(filled, levels: levels.count, positive: labels.map { $0 == 1 }).map {
                        [log ? Float(Foundation.log($0)) : Float($0)]
                    }
                    step.unseen = [log ? 0 : 1]
                    step.outputs = ["\(name):\(log ? "log_odds_ratio" : "odds_ratio")"]
                }
            }
            steps.append(step)
        }
        var described = ["impute=\(settings.impute.rawValue)", "encode=\(settings.encoding.rawValue)"]
        if settings.indicator { described.append("indicator") }
        if settings.bins >= 2 { described.append("bins=\(settings.bins) binning=\(settings.binning.rawValue)") }
        if settings.scaling != .none { described.append("scale=\(settings.scaling.rawValue)") }
        if settings.encoding == .target, settings.smoothing > 0 { described.append("smoothing=\(settings.smoothing)") }
        return Preprocessor(steps: steps, settings: described.joined(separator: " "))
    }

    /// The model inputs for `data`, whose columns are matched by name.
    /// - Throws: `LearningError.missingFeatures` when a column is absent, `LearningError.invalid`
    ///   when a column the pipeline reads as numbers holds categories.
    public func transform(_ data: Dataset) throws -> Matrix {
        var index: [String: Int] = [:]
        for (j, n) in data.featureNames.enumerated() { index[n] = j }
        let absent = steps.map(\.column).filter { index[$0] == nil }
        guard absent.isEmpty else { throw LearningError.missingFeatures(absent) }
        let width = outputNames.count
        var out = Matrix(rows: data.rowCount, cols: width)
        var offset = 0
        for step in steps {
            guard let j = index[step.column] else { continue }
            let n = data.rowCount
            if !step.categorical {
                guard data.columnKinds[j].isNumeric else {
                    throw LearningError.invalid(
                        "column '\(step.column)' holds categories here but numbers in the model's training data")
                }
                for r in 0..<n {
                    let raw = data.features[r, j]
                    let v = raw.isNaN ? step.fill : raw
                    if step.edges.isEmpty {
                        out[r, offset] = (v - step.shift) / step.scale
                    } else {
                        out[r, offset + Preprocessor.bin(v, step.edges)] = 1
                    }
                }
            } else {
                // Codes index this dataset's levels; map them to the model's by name.
                let map: [Int]
                var lookup: [String: Int] = [:]
                for (k, l) in step.levels.enumerated() { lookup[l] = k }
                switch data.columnKinds[j] {
                case .categorical(let levels): map = levels.map { lookup[$0] ?? -1 }
                case .numeric: map = []
                }
                for r in 0..<n {
                    let raw = data.features[r, j]
                    var level: Int
                    if raw.isNaN {
                        level = Int(step.fill)
                    } else if case .numeric = data.columnKinds[j] {
                        level = lookup[levelName(raw)] ?? -1
                    } else {
                        let c = Int(raw)
                        level = c >= 0 && c < map.count ? map[c] : -1
                    }
                    if step.encoding == PreprocessSettings.Encoding.onehot.rawValue {
                        if level >= 0 { out[r, offset + level] = 1 }
                    } else {
                        let values = level >= 0 && level < step.table.count ? step.table[level] : step.unseen
                        for (k, v) in values.enumerated() { out[r, offset + k] = v }
                    }
                }
            }
            offset += step.outputs.count
            if step.indicator {
                for r in 0..<n where data.features[r, j].isNaN { out[r, offset] = 1 }
                offset += 1
            }
        }
        return out
    }

    /// Training data ready for a model: unchanged with no pipeline when it is numeric and
    /// complete and nothing was asked for, else the pipeline fitted on it and its output.
    public static func prepare(_ data: Dataset, settings: PreprocessSettings) throws -> (Dataset, Preprocessor?) {
        if settings.isDefault && data.isPlainNumeric { return (data, nil) }
        let p = try fit(data, settings: settings)
        return (try p.apply(data), p)
    }

    /// `data` with its features replaced by the pipeline's output (all numeric, no gaps).
    public func apply(_ data: Dataset) throws -> Dataset {
        Dataset(
            name: data.name, featureNames: outputNames, features: try transform(data),
            targetName: data.targetName, target: data.target)
    }

    // MARK: - Fitting helpers

    /// The median (mean of the middle two for an even count), NumPy's definition.
    static func median(_ v: [Float]) -> Float {
        guard !v.isEmpty else { return 0 }
        let s = v.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// The most frequent value; the smallest among ties (as scikit-learn's SimpleImputer).
    static func mostFrequent(_ v: [Float]) -> Float {
        var counts: [Float: Int] = [:]
        for x in v { counts[x, default: 0] += 1 }
        return counts.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }?.key ?? 0
    }

    static func scaling(_ v: [Float], _ how: PreprocessSettings.Scaling) -> (Float, Float) {
        guard !v.isEmpty else { return (0, 1) }
        switch how {
        case .none: return (0, 1)
        case .standard:
            let mean = v.reduce(0.0) { $0 + Double($1) } / Double(v.count)
            let variance = v.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(v.count)
            let sd = variance.squareRoot()
            return (Float(mean), sd > 1e-12 ? Float(sd) : 1)
        case .minmax:
            let lo = v.min() ?? 0, hi = v.max() ?? 0
            return (lo, hi > lo ? hi - lo : 1)
        }
    }

    /// Interior edges of `bins` bins over `v`, as scikit-learn's KBinsDiscretizer places them:
    /// equal widths; linear-interpolated quantiles (coinciding edges merged); or the midpoints
    /// between sorted 1-D k-means centres started from the uniform bins' centres.
    ///
    /// scikit-learn works on the double each CSV cell holds; mle keeps cells as float32. The edges
    /// are therefore placed on the cells' decimal values (`decimalValue`) in double, as numpy's
    /// linspace computes them, and each is stored as the float threshold that sends a float
    /// cell to the same side as its decimal value (`threshold`): a value on an edge lands in
    /// the upper bin as in scikit-learn (edges rounded to float32 once sent 3 of 240 penguins
    /// rows to the wrong bin).
    static func binEdges(_ v: [Float], bins: Int, how: PreprocessSettings.Binning) -> [Float] {
        let s = v.map(decimalValue).sorted()
        guard let lo = s.first, let hi = s.last, hi > lo else { return [] }
        var edges: [Double]
        switch how {
        case .uniform:
            let step = (hi - lo) / Double(bins)
            edges = (1..<bins).map { Double($0) * step + lo }
        case .quantile:
            edges = (1..<bins).map { k -> Double in
                let pos = Double(s.count - 1) * Double(k) / Double(bins)
                let i = Int(pos.rounded(.down)), f = pos - Double(i)
                return i + 1 < s.count ? s[i] + (s[i + 1] - s[i]) * f : s[i]
            }
            // Merge edges that coincide (with each other or the ends), as scikit-learn does.
            var kept: [Double] = []
            var previous = lo
            for e in edges where e - previous > 1e-8 && hi - e > 1e-8 { kept.append(e); previous = e }
            edges = kept
        case .kmeans:
            // Lloyd's algorithm with scikit-learn's KMeans stopping rule (labels unchanged, or the
            // squared centre shifts summing to at most 1e-4 × the column's variance), so the edges
            // agree with KBinsDiscretizer's.
            var centres = (0..<bins).map { lo + (hi - lo) * (Double($0) + 0.5) / Double(bins) }
            let mean = s.reduce(0, +) / Double(s.count)
            let tolerance = 1e-4 * s.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(s.count)
            var labels = [Int](repeating: -1, count: s.count)
            for _ in 0..<300 {
                var sums = [Double](repeating: 0, count: bins), counts = [Int](repeating: 0, count: bins)
                var next = labels
                for (i, x) in s.enumerated() {
                    var best = 0
                    for c in 1..<bins where abs(centres[c] - x) < abs(centres[best] - x) { best = c }
                    next[i] = best
                    sums[best] += x; counts[best] += 1
                }
                let moved = (0..<bins).map { counts[$0] > 0 ? sums[$0] / Double(counts[$0]) : centres[$0] }
                let shift = zip(moved, centres).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
                let unchanged = next == labels
                centres = moved
                labels = next
                if unchanged || shift <= tolerance { break }
            }
            centres.sort()
            edges = (1..<bins).map { (centres[$0 - 1] + centres[$0]) / 2 }
        }
        return edges.map(threshold)
    }

    /// The double a CSV cell held, recovered from its float32 as the shortest decimal that reads
    /// back as the same float (exact for cells of up to 7 significant digits).
    static func decimalValue(_ v: Float) -> Double {
        v.isFinite ? Double(v.description) ?? Double(v) : Double(v)
    }

    /// The smallest float whose decimal value is ≥ `edge`, so that `x >= threshold(edge)` for a
    /// float x exactly when `decimalValue(x) >= edge`. The decimal value of a float lies within
    /// half a unit in the last place of it, so the answer is the float nearest the edge or one
    /// of its neighbours.
    static func threshold(_ edge: Double) -> Float {
        let nearest = Float(edge)
        for x in [nearest.nextDown, nearest] where decimalValue(x) >= edge { return x }
        return nearest.nextUp
    }

    /// The bin of `v`: how many edges are ≤ v.
    static func bin(_ v: Float, _ edges: [Float]) -> Int {
        var lo = 0, hi = edges.count
        while lo < hi { let mid = (lo + hi) / 2; if edges[mid] <= v { lo = mid + 1 } else { hi = mid } }
        return lo
    }

    static func targetEncoding(
        _ levels: [Int], levels count: Int, target: Target?, smoothing m: Double,
        name: String
    ) throws -> ([[Float]], [Float], [String]) {
        let columns: [[Double]]  // per output, the per-row value to average
        let outputs: [String]
        switch target {
        case .classes(let labels, let names)?:
            let ks = names.count == 2 ? [1] : Array(names.indices)
            columns = ks.map { k in labels.map { $0 == k ? 1.0 : 0.0 } }
            outputs = names.count == 2 ? ["\(name):mean_\(names[1])"] : names.map { "\(name):mean_\($0)" }
        case .values(let v)?:
            columns = [v.map(Double.init)]
            outputs = ["\(name):mean"]
        case nil:
            throw LearningError.noTarget("target encoding")
        }
        let n = Double(max(levels.count, 1))
        let priors = columns.map { $0.reduce(0, +) / n }
        var sums = [[Double]](repeating: [Double](repeating: 0, count: columns.count), count: count)
        var counts = [Double](repeating: 0, count: count)
        for (r, level) in levels.enumerated() where level >= 0 && level < count {
            counts[level] += 1
            for c in columns.indices { sums[level][c] += columns[c][r] }
        }
        let table = (0..<count).map { level in
            columns.indices.map { c -> Float in
                let denominator = counts[level] + m
                return Float(denominator > 0 ? (sums[level][c] + m * priors[c]) / denominator : priors[c])
            }
        }
        return (table, priors.map { Float($0) }, outputs)
    }

    /// Odds ratio of each level: (a·d)/(b·c) with a, b the positives and negatives with the
    /// level and c, d those without; 0.5 is added to all four cells when one is zero
    /// (the Haldane–Anscombe correction), so the ratio is always finite and positive.
    static func oddsRatios(_ levels: [Int], levels count: Int, positive: [Bool]) -> [Double] {
        let totalPositive = Double(positive.filter { $0 }.count), total = Double(positive.count)
        var positives = [Double](repeating: 0, count: count), negatives = positives
        for (l, p) in zip(levels, positive) where l >= 0 && l < count {
            if p { positives[l] += 1 } else { negatives[l] += 1 }
        }
        return (0..<count).map { level in
            var a = positives[level], b = negatives[level]
            var c = totalPositive - a, d = total - totalPositive - b
            if a == 0 || b == 0 || c == 0 || d == 0 { a += 0.5; b += 0.5; c += 0.5; d += 0.5 }
            return (a * d) / (b * c)
        }
    }
}

/// The text a number had in a CSV file, for matching a numeric column against category names
/// (2007 → "2007", 1.5 → "1.5").
func levelName(_ v: Float) -> String {
    if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
    return String(v)
}
