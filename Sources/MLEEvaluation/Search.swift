import Foundation
import MLELearning
import MLETensor

/// Hyperparameter search (Burkov ch. 5): grid, random, and coarse-to-fine, each candidate
/// scored by k-fold cross-validation on the training data.
public enum HyperSearch {
    /// A value a hyperparameter can take: a number or a list of layer sizes.
    public enum Value: Hashable, Sendable, CustomStringConvertible {
        case number(Double)
        case sizes([Int])

        public var description: String {
            switch self {
            case .number(let v):
                if v == v.rounded(), abs(v) < 1e9 { return String(Int(v)) }
                return String(format: "%.4g", v)
            case .sizes(let s): return "[" + s.map(String.init).joined(separator: ", ") + "]"
            }
        }
        public var number: Double? { if case .number(let v) = self { return v } else { return nil } }
    }

    /// One searched hyperparameter.
    public struct Parameter: Sendable {
        public var name: String
        /// The values a grid tries and a random search picks from.
        public var choices: [Value]
        /// For numeric parameters given as [low, high]: random and coarse-to-fine search draw
        /// from this range (log-uniformly when `logScale`).
        public var range: ClosedRange<Double>?
        public var logScale: Bool
        public init(name: String, choices: [Value], range: ClosedRange<Double>? = nil, logScale: Bool = false) {
            self.name = name; self.choices = choices; self.range = range; self.logScale = logScale
        }
    }

    public typealias Candidate = [String: Value]

    public enum Method: String, CaseIterable, Sendable {
        case grid, random
        /// Random search over the space, then a grid of three values per ranged parameter
        /// around the best candidate.
        case coarse
    }

    public struct Settings: Sendable {
        public var method: Method = .grid
        /// Candidates drawn by random search (coarse-to-fine: half random, then the fine grid).
        public var trials = 20
        public var folds = 5
        public var metric: Metric = .accuracy
        public var positive: String?
        public var seed: UInt64 = 0
        public init() {}
    }

    public struct Row: Sendable {
        public var candidate: Candidate
        /// The metric on each fold (nil where it was undefined).
        public var foldScores: [Double?]
        public var mean: Double
        public var sd: Double
        /// "random", "grid" or "fine" (the coarse-to-fine stage that proposed it).
        public var stage: String
    }

    public struct Result: Sendable {
        /// Best first.
        public var rows: [Row]
        public var lowerIsBetter: Bool
        /// Ctrl-C stopped the search; the rows are the candidates scored before.
        public var interrupted = false
    }

    private struct Stopped: Error {}

    /// The test rows of each of `k` folds: shuffled with `seed`, and for classes dealt class by
    /// class so each fold keeps the class shares (stratified k-fold).
    public static func folds(_ data: Dataset, k: Int, seed: UInt64) -> [[Int]] {
        (try? folds(data, k: k, seed: seed, cancellation: .never)) ?? []
    }

    /// `folds(_:k:seed:)`, hearing Ctrl-C between its passes (each over millions of rows at most).
    /// The rows below `count` that are not in `fold`, in order (through a mask: a `Set` of
    /// millions of rows took a fifth of a second to build and probe).
    static func rows(of count: Int, notIn fold: [Int]) -> [Int] {
        var held = [Bool](repeating: false, count: count)
        for r in fold { held[r] = true }
        return (0..<count).filter { !held[$0] }
    }

    public static func folds(_ data: Dataset, k: Int, seed: UInt64, cancellation: Cancellation) throws -> [[Int]] {
        var rng = SeededGenerator(seed: seed)
        var groups: [[Int]]
        if case .classes(let labels, let names)? = data.target {
            groups = Array(repeating: [], count: names.count)
            for (r, l) in labels.enumerated() { groups[l].append(r) }
        } else {
            groups = [Array(0..<data.rowCount)]
        }
        var folds = [[Int]](repeating: [], count: k)
        var next = 0
        for var g in groups {
            if cancellation.isCancelled { throw Cancelled() }
            rng.shuffle(&g)
            for r in g { folds[next % k].append(r); next += 1 }
        }
        return try folds.map { fold in
            if cancellation.isCancelled { throw Cancelled() }
            return fold.sorted()
        }
    }

    /// The candidates of a grid: every combination, the first parameter varying slowest.
    public static func grid(_ space: [Parameter]) -> [Candidate] {
        var out: [Candidate] = [[:]]
        for p in space {
            out = out.flatMap { c in p.choices.map { v in c.merging([p.name: v]) { $1 } } }
        }
        return out
    }

    static func draw(_ space: [Parameter], _ rng: inout SeededGenerator) -> Candidate {
        var c: Candidate = [:]
        for p in space {
            if let r = p.range {
                let u = rng.nextUnit()
                c[p.name] = .number(
                    p.logScale
                        ? exp(log(r.lowerBound) + u * (log(r.upperBound) - log(r.lowerBound)))
                        : r.lowerBound + u * (r.upperBound - r.lowerBound))
            } else {
                c[p.name] = p.choices[rng.nextIndex(p.choices.count)]
            }
        }
        return c
    }

    /// The fine grid of coarse-to-fine search: for each ranged parameter, the best value and its
    /// neighbours a sixth of the range away (a factor of (high/low)^(1/6) on a log scale),
    /// kept inside the range; other parameters stay at the best candidate's values.
    public static func fineGrid(around best: Candidate, _ space: [Parameter]) -> [Candidate] {
        var fine: [Parameter] = []
        for p in space {
            guard let value = best[p.name] else { continue }
            guard let r = p.range, let v = value.number else {
                fine.append(Parameter(name: p.name, choices: [value])); continue
            }
            let around: [Double]
            if p.logScale {
                let f = pow(r.upperBound / r.lowerBound, 1.0 / 6)
                around = [v / f, v, v * f]
            } else {
                let step = (r.upperBound - r.lowerBound) / 6
                around = [v - step, v, v + step]
            }
            var kept: [Double] = []
            for a in around.map({ min(max($0, r.lowerBound), r.upperBound) }) where !kept.contains(a) { kept.append(a) }
            fine.append(Parameter(name: p.name, choices: kept.map { .number($0) }))
        }
        return grid(fine).filter { $0 != best }
    }

    /// Runs the search.
    /// - Parameters:
    ///   - train: trains a model on a dataset with a candidate's values and a seed.
    ///   - progress: called after each candidate with (done, planned).
    /// - Throws: `LearningError` for too few rows for the folds, an empty space, or a grid larger
    ///   than 10,000 candidates. Cancellation ends the search with what was scored so far.
    public static func run(
        _ data: Dataset, space: [Parameter], settings: Settings,
        context: ExecutionContext = .standard,
        train: (Dataset, Candidate, UInt64) throws -> any Model
    ) throws -> Result {
        let cancellation = context.cancellation
        func progress(_ done: Int, _ total: Int) { context.progress(done, of: total) }
        guard settings.folds >= 2, settings.folds <= data.rowCount else {
            throw SettingError("folds", "folds must be between 2 and the number of rows (\(data.rowCount))")
        }
        let folds = self.folds(data, k: settings.folds, seed: settings.seed)
        var rng = SeededGenerator(seed: settings.seed ^ 0xC0A125E)
        var rows: [Row] = []
        var interrupted = false
        let lower = settings.metric.lowerIsBetter

        func score(_ c: Candidate, stage: String) throws {
            var scores: [Double?] = []
            for (f, test) in folds.enumerated() {
                let trainRows = HyperSearch.rows(of: data.rowCount, notIn: test)
                let model = try train(try data.subset(trainRows, name: data.name), c, settings.seed &+ UInt64(f))
                // A fold whose training was stopped by Ctrl-C does not score the candidate.
                if cancellation.isCancelled { throw Stopped() }
                let outcomes = try Outcomes.of(
                    model, on: data.subset(test, name: data.name), positive: settings.positive)
                scores.append(settings.metric.value(of: outcomes.outcomes))
                if cancellation.isCancelled { throw Stopped() }
            }
            let defined = scores.compactMap { $0 }
            let mean = defined.isEmpty ? Double.nan : defined.reduce(0, +) / Double(defined.count)
            let sd =
                defined.count > 1
                ? (defined.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(defined.count - 1)).squareRoot() : 0
            rows.append(Row(candidate: c, foldScores: scores, mean: mean, sd: sd, stage: stage))
        }
        func better(_ a: Row, _ b: Row) -> Bool {
            if a.mean.isNaN { return false }
            if b.mean.isNaN { return true }
            return lower ? a.mean < b.mean : a.mean > b.mean
        }

        let first: [Candidate]
        switch settings.method {
        case .grid:
            first = grid(space)
            guard first.count <= 10_000 else {
                throw SettingError(
                    "method", "the grid has \(first.count) candidates; at most 10000", remedy: .use("random"))
            }
        case .random:
            first = (0..<settings.trials).map { _ in draw(space, &rng) }
        case .coarse:
            first = (0..<max(1, settings.trials / 2)).map { _ in draw(space, &rng) }
        }
        do {
            for (i, c) in first.enumerated() {
                try score(c, stage: settings.method == .grid ? "grid" : "random")
                progress(i + 1, first.count)
            }
            if settings.method == .coarse, let best = rows.min(by: better) {
                let fine = fineGrid(around: best.candidate, space)
                for (i, c) in fine.enumerated() {
                    try score(c, stage: "fine")
                    progress(first.count + i + 1, first.count + fine.count)
                }
            }
        } catch  where error is Stopped || error is Cancelled {
            guard !rows.isEmpty else { throw LearningError.invalid("interrupted before any candidate was scored") }
            interrupted = true
        }
        rows.sort(by: better)
        return Result(rows: rows, lowerIsBetter: lower, interrupted: interrupted)
    }
}
