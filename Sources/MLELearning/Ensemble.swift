import Foundation
import MLETensor

/// Which rows each member of a resampled ensemble trains on.
public enum EnsemblePlan {
    /// How the members' datasets are drawn.
    public enum Method: String, CaseIterable, Sendable {
        /// Burkov's ensemble of resampled datasets: every class larger than the smallest is
        /// shuffled and cut into disjoint chunks; member h gets chunk h of each and all of the
        /// smallest class.
        case chunks
        /// EasyEnsemble-style bags: each member draws, independently, as many rows of each larger
        /// class as the smallest has (without replacement within a bag; bags overlap).
        case bags
    }

    /// The default number of members: the imbalance ratio (largest class over smallest),
    /// rounded, at least 1.
    public static func defaultMembers(_ counts: [Int]) -> Int {
        let present = counts.filter { $0 > 0 }
        guard let lo = present.min(), let hi = present.max(), lo > 0 else { return 1 }
        return max(1, Int((Double(hi) / Double(lo)).rounded()))
    }

    /// The rows of each member.
    ///
    /// For `chunks`, with m the size of the smallest class and `members` = H: the largest class is
    /// cut into H chunks whose sizes differ by at most one. Another class larger than m (several
    /// classes) is cut into round(count · H / largest) chunks, between 1 and H, so its chunks are
    /// about as large as the largest class's; member h takes its chunk h mod that number. Every
    /// member holds every row of the smallest class. Each class's chunks are disjoint and cover
    /// it exactly once. Classes tied for the smallest count are all kept whole.
    /// - Throws: `LearningError.invalid` without two non-empty classes, or when a class to be cut
    ///   has fewer rows than `members` (a member would get none of it).
    /// - Parameter classNames: the classes' names, for errors (their indices otherwise).
    public static func rows(
        labels: [Int], classCount: Int, members: Int, method: Method,
        seed: UInt64, classNames: [String] = []
    ) throws -> [[Int]] {
        var byClass = [[Int]](repeating: [], count: classCount)
        for (i, l) in labels.enumerated() where l >= 0 && l < classCount { byClass[l].append(i) }
        let present = byClass.filter { !$0.isEmpty }
        guard present.count >= 2, let m = present.map(\.count).min(), let largest = present.map(\.count).max() else {
            throw LearningError.invalid("an ensemble of resampled datasets needs at least two classes with rows")
        }
        guard members >= 1 else { throw LearningError.invalid("an ensemble needs at least one member") }
        var rng = SeededGenerator(seed: seed)
        var out = [[Int]](repeating: [], count: members)
        for (c, rows) in byClass.enumerated() where !rows.isEmpty {
            if rows.count == m {
                for h in 0..<members { out[h] += rows }
                continue
            }
            var shuffled = rows
            rng.shuffle(&shuffled)
            switch method {
            case .chunks:
                let pieces =
                    rows.count == largest
                    ? members
                    : min(members, max(1, Int((Double(rows.count) * Double(members) / Double(largest)).rounded())))
                guard rows.count >= pieces else {
                    throw SettingError(
                        "chunks",
                        "class '\(classNames[safe: c] ?? "\(c)")' has \(rows.count) rows, fewer than the \(pieces) chunks asked for",
                        remedy: .atMost(rows.count))
                }
                let chunks = cut(shuffled, into: pieces)
                for h in 0..<members { out[h] += chunks[h % pieces] }
            case .bags:
                for h in 0..<members {
                    if h > 0 { rng.shuffle(&shuffled) }
                    out[h] += shuffled.prefix(m)
                }
            }
        }
        return out.map { $0.sorted() }
    }

    /// `items` cut into `pieces` consecutive runs whose lengths differ by at most one (the longer
    /// runs first).
    public static func cut(_ items: [Int], into pieces: Int) -> [[Int]] {
        let n = items.count, base = n / pieces, extra = n % pieces
        var out: [[Int]] = []
        var start = 0
        for p in 0..<pieces {
            let len = base + (p < extra ? 1 : 0)
            out.append(Array(items[start..<(start + len)]))
            start += len
        }
        return out
    }

    /// A member's seed from the ensemble's: distinct, well mixed, independent of thread order.
    public static func memberSeed(_ seed: UInt64, _ member: Int) -> UInt64 {
        var z = seed &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(member + 1)
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Trains one model per dataset, in parallel on the machine's cores (OpenBLAS on one thread
    /// each), in a fixed order of seeds so the result does not depend on the scheduling.
    /// - Parameters:
    ///   - workers: threads to use (default: the active processor count); 1 trains one after another.
    ///   - done: called (from a worker thread) after each member finishes.
    /// - Throws: `Cancelled` when the context's cancellation fires, else the lowest failed member's error.
    public static func trainMembers(
        _ datasets: [Dataset], seed: UInt64, workers: Int? = nil,
        context: ExecutionContext = .standard,
        train: @escaping @Sendable (Dataset, UInt64, Cancellation) throws -> any Model,
        done: @escaping @Sendable (Int) -> Void = { _ in }
    ) throws -> [any Model] {
        try trainMembers(
            datasets.count, dataset: { datasets[$0] }, seed: seed, workers: workers,
            context: context, train: train, check: { _, _ in }, done: done
        ).map(\.1)
    }

    /// Trains `count` members as `trainMembers(_:seed:workers:context:train:done:)`, member
    /// h on `dataset(h)`, made inside its job so the members' copies of their rows are made in
    /// parallel too; and checks each trained member (its score on some data, say) on a thread
    /// that has no member left to train: while the last members train, the idle cores check the
    /// finished ones, so the checks add little to the wall time.
    /// - Returns: each member's data, model and check, in member order.
    /// - Throws: `Cancelled` when the context's cancellation fires, else the lowest failed member's error.
    public static func trainMembers<C: Sendable>(
        _ count: Int, dataset: @escaping @Sendable (Int) throws -> Dataset,
        seed: UInt64, workers: Int? = nil, context: ExecutionContext = .standard,
        train: @escaping @Sendable (Dataset, UInt64, Cancellation) throws -> any Model,
        check: @escaping @Sendable (Int, any Model) throws -> C,
        done: @escaping @Sendable (Int) -> Void = { _ in }
    ) throws -> [(Dataset, any Model, C)] {
        let (finished, interrupted) = try trainFinishedMembers(
            count, dataset: dataset, seed: seed, workers: workers, context: context, train: train, check: check,
            done: done)
        if interrupted { throw Cancelled() }
        return finished.map { ($0.data, $0.model, $0.check) }
    }

    /// A member trained to the end, with its place in the plan.
    public struct Finished<C: Sendable>: Sendable {
        public var index: Int
        public var data: Dataset
        public var model: any Model
        public var check: C
    }

    /// `trainMembers`, keeping on Ctrl-C the members whose training had finished (a member cut
    /// short is left out: its weights are not what its recipe trains).
    /// - Returns: the finished members in plan order, and whether the cancellation fired.
    /// - Throws: the lowest failed member's error (not `Cancelled`).
    public static func trainFinishedMembers<C: Sendable>(
        _ count: Int, dataset: @escaping @Sendable (Int) throws -> Dataset,
        seed: UInt64, workers: Int? = nil, context: ExecutionContext = .standard,
        train: @escaping @Sendable (Dataset, UInt64, Cancellation) throws -> any Model,
        check: @escaping @Sendable (Int, any Model) throws -> C,
        done: @escaping @Sendable (Int) -> Void = { _ in }
    ) throws -> (finished: [Finished<C>], interrupted: Bool) {
        let cancellation = context.cancellation
        let results = try BLASThreads.single {
            try Parallel.map(
                count, workers: workers,
                { h -> (Dataset, any Model)? in
                    if cancellation.isCancelled { return nil }
                    do {
                        let data = try dataset(h)
                        let model = try train(data, memberSeed(seed, h), cancellation)
                        if cancellation.isCancelled { return nil }
                        done(h)
                        return (data, model)
                    } catch  where cancellation.isCancelled {
                        return nil
                    }
                },
                then: { h, trained -> C? in
                    // A finished member is checked even after Ctrl-C (a prediction: quick), so the
                    // partial ensemble's report has every member's row.
                    guard let trained else { return nil }
                    do { return try check(h, trained.1) } catch  where cancellation.isCancelled { return nil }
                })
        }
        var finished: [Finished<C>] = []
        for (h, result) in results.enumerated() {
            if let trained = result.0, let checked = result.1 {
                finished.append(Finished(index: h, data: trained.0, model: trained.1, check: checked))
            }
        }
        return (finished, cancellation.isCancelled)
    }
}

/// Models combined by averaged probabilities or by majority vote. Each member keeps its own
/// preprocessing, so the ensemble reads the raw columns and hands each member the data.
public struct EnsembleModel: Model {
    public enum Vote: String, CaseIterable, Sendable {
        /// The mean of the members' class probabilities.
        case soft
        /// The share of members predicting each class; ties go to the class with the higher mean
        /// probability.
        case hard
    }

    public let members: [any Model]
    public let vote: Vote
    public let classNames: [String]
    /// The raw columns the members read, with their kinds, so a matrix can become a dataset again.
    public let featureNames: [String]
    let columnKinds: [ColumnKind]
    /// How the members' data was drawn, for the summary.
    public let method: EnsemblePlan.Method

    public var kind: String { method == .chunks ? "ensemble" : "easy_ensemble" }
    public var task: Task { .classification(classNames: classNames) }
    public var summary: String {
        let base = members.first.map { $0.kind } ?? "?"
        return
            "\(method == .chunks ? "ensemble of resampled datasets" : "EasyEnsemble bags"): \(members.count) \(base) members, \(vote.rawValue) vote"
    }

    /// - Throws: `LearningError.invalid` when the members are not classifiers over `classNames`.
    public init(members: [any Model], vote: Vote, data: Dataset, method: EnsemblePlan.Method) throws {
        guard case .classes(_, let names)? = data.target else {
            throw LearningError.invalid("an ensemble needs a class target")
        }
        guard !members.isEmpty else { throw LearningError.invalid("an ensemble needs at least one member") }
        for m in members where m.task != .classification(classNames: names) {
            throw LearningError.invalid("every member must classify into \(names.joined(separator: ", "))")
        }
        self.members = members; self.vote = vote; self.classNames = names; self.method = method
        var columns: [String] = [], seen = Set<String>()
        // Members trained on the same columns (the usual case) are read once: hashing every
        // member's names took 0.05 ms of each ensemble call.
        var read: [[String]] = []
        for m in members {
            let raw = m.rawColumns
            if read.contains(raw) { continue }
            read.append(raw)
            for c in raw where seen.insert(c).inserted { columns.append(c) }
        }
        let kinds = Dictionary(zip(data.featureNames, data.columnKinds), uniquingKeysWith: { a, _ in a })
        featureNames = columns
        columnKinds = columns.map { kinds[$0] ?? .numeric }
    }

    /// An ensemble read back from a model file: the columns and their kinds as saved.
    /// - Throws: `LearningError.invalid` when the members are not classifiers over `classNames`.
    public init(
        members: [any Model], vote: Vote, classNames: [String], featureNames: [String], columnKinds: [ColumnKind],
        method: EnsemblePlan.Method
    ) throws {
        guard !members.isEmpty else { throw LearningError.invalid("an ensemble needs at least one member") }
        for m in members where m.task != .classification(classNames: classNames) {
            throw LearningError.invalid("every member must classify into \(classNames.joined(separator: ", "))")
        }
        let columns = Set(featureNames)
        for m in members where !m.rawColumns.allSatisfy(columns.contains) {
            throw LearningError.invalid("a member reads a column the ensemble does not list")
        }
        self.members = members; self.vote = vote; self.classNames = classNames; self.method = method
        self.featureNames = featureNames; self.columnKinds = columnKinds
    }

    /// Trains one member per row set of `plan` (from `EnsemblePlan.rows`) and combines them.
    /// - Parameter check: run on each trained member as in `EnsemblePlan.trainMembers`.
    /// - Returns: the ensemble, each member's training data and each member's check.
    public static func train<C: Sendable>(
        _ data: Dataset, plan: [[Int]], vote: Vote, method: EnsemblePlan.Method, seed: UInt64,
        workers: Int? = nil, context: ExecutionContext = .standard,
        member: @escaping @Sendable (Dataset, UInt64, Cancellation) throws -> any Model,
        check: @escaping @Sendable (Int, any Model) throws -> C,
        done: @escaping @Sendable (Int) -> Void = { _ in }
    ) throws -> (EnsembleModel, [Dataset], [C]) {
        let (model, finished, interrupted) = try trainKeepingFinished(
            data, plan: plan, vote: vote, method: method, seed: seed, workers: workers, context: context,
            member: member, check: check, done: done)
        if interrupted { throw Cancelled() }
        return (model, finished.map(\.data), finished.map(\.check))
    }

    /// `train`, keeping on Ctrl-C the members finished so far (see
    /// `EnsemblePlan.trainFinishedMembers`): the ensemble of those.
    /// - Returns: the ensemble, the finished members (with their places in the plan), and whether
    ///   it was interrupted.
    /// - Throws: `Cancelled` when no member had finished.
    public static func trainKeepingFinished<C: Sendable>(
        _ data: Dataset, plan: [[Int]], vote: Vote, method: EnsemblePlan.Method, seed: UInt64,
        workers: Int? = nil, context: ExecutionContext = .standard,
        member: @escaping @Sendable (Dataset, UInt64, Cancellation) throws -> any Model,
        check: @escaping @Sendable (Int, any Model) throws -> C,
        done: @escaping @Sendable (Int) -> Void = { _ in }
    ) throws -> (EnsembleModel, [EnsemblePlan.Finished<C>], interrupted: Bool) {
        let (finished, interrupted) = try EnsemblePlan.trainFinishedMembers(
            plan.count, dataset: { h in try data.subset(plan[h], name: "\(data.name).member\(h + 1)") },
            seed: seed, workers: workers, context: context,
            train: member, check: check, done: done)
        guard !finished.isEmpty else { throw Cancelled() }
        return (
            try EnsembleModel(members: finished.map(\.model), vote: vote, data: data, method: method), finished,
            interrupted
        )
    }

    /// The raw columns, categorical codes and gaps included (each member's pipeline handles them).
    public func inputs(_ data: Dataset) throws -> Matrix {
        var index: [String: Int] = [:]
        for (i, n) in data.featureNames.enumerated() where index[n] == nil { index[n] = i }
        let missing = featureNames.filter { index[$0] == nil }
        guard missing.isEmpty else { throw LearningError.missingFeatures(missing) }
        let cols = featureNames.compactMap { index[$0] }
        var out = Matrix(rows: data.rowCount, cols: cols.count)
        let src = data.features.cols
        data.features.storage.withUnsafeBufferPointer { p in
            out.storage.withUnsafeMutableBufferPointer { q in
                for r in 0..<data.rowCount {
                    for (j, c) in cols.enumerated() { q[r * cols.count + j] = p[r * src + c] }
                }
            }
        }
        return out
    }

    public func predict(_ x: Matrix) throws -> Prediction {
        let data = Dataset(
            name: "", featureNames: featureNames, features: x, targetName: nil, target: nil, columnKinds: columnKinds)
        return try combine(members.map { try $0.predict(data) })
    }

    /// The ensemble's prediction from its members' predictions of the same rows, in member order.
    /// - Throws: `LearningError.invalid` unless there is one class-probability matrix per member,
    ///   all of the same shape with one column per class.
    public func combine(_ predictions: [Prediction]) throws -> Prediction {
        let k = classNames.count
        var probabilities: [Matrix] = []
        for p in predictions {
            guard case .probabilities(let m) = p, m.cols == k, m.rows == probabilities.first?.rows ?? m.rows else {
                throw LearningError.invalid("an ensemble member did not return class probabilities")
            }
            probabilities.append(m)
        }
        guard probabilities.count == members.count, let rows = probabilities.first?.rows else {
            throw LearningError.invalid("an ensemble needs one prediction per member")
        }
        var mean = Matrix(rows: rows, cols: k)
        var votes = Matrix(rows: rows, cols: k)
        // Through the buffers: the subscripted loop checked each matrix for sharing on every
        // element (perf: 0.07 ms of an ensemble's 9 ms for 9 × 1258 rows).
        mean.storage.withUnsafeMutableBufferPointer { m in
            votes.storage.withUnsafeMutableBufferPointer { v in
                for p in probabilities {
                    p.storage.withUnsafeBufferPointer { q in
                        for r in 0..<rows {
                            var best = 0
                            for c in 0..<k {
                                m[r * k + c] += q[r * k + c]
                                if q[r * k + c] > q[r * k + best] { best = c }
                            }
                            v[r * k + best] += 1
                        }
                    }
                }
            }
        }
        let h = Float(members.count)
        mean.storage.withUnsafeMutableBufferPointer { m in
            votes.storage.withUnsafeMutableBufferPointer { v in
                for i in m.indices { m[i] /= h; v[i] /= h }
            }
        }
        guard vote == .hard else { return .probabilities(mean) }
        // Break ties between the most voted classes by the mean probability: the winner gets a
        // hundredth of a vote from each of the others tied with it, so predictedClasses picks it.
        for r in 0..<rows {
            let row = (r * k)..<(r * k + k)
            guard let top = votes.storage[row].max() else { continue }
            let tied = row.filter { votes.storage[$0] == top }
            guard tied.count > 1,
                let winner = tied.max(by: {
                    mean.storage[$0] < mean.storage[$1] || (mean.storage[$0] == mean.storage[$1] && $0 > $1)
                })
            else { continue }
            let shift = 0.01 / h
            for t in tied where t != winner { votes.storage[t] -= shift; votes.storage[winner] += shift }
        }
        return .probabilities(votes)
    }
}

/// A classifier whose probabilities are corrected for a change of class shares (prior shift):
/// trained where class c had share s_c, deployed where it has share π_c, the probability of c
/// becomes p_c · (π_c / s_c), renormalised over the classes (Saerens, Latinne & Decaestecker 2002;
/// for undersampling with keep-rate β it is Dal Pozzolo et al.'s β·p / (β·p − p + 1)).
public struct PriorCorrectedModel: Model {
    public let base: any Model
    /// π_c / s_c per class.
    public let factors: [Double]
    public var kind: String { base.kind }
    public var featureNames: [String] { base.featureNames }
    public var task: Task { base.task }
    public var preprocessor: Preprocessor? { base.preprocessor }
    public var summary: String { base.summary + " · probabilities corrected for the class shares" }

    /// - Throws: `LearningError.invalid` when the shares do not match the classes or a trained
    ///   share is zero for a class that occurs in deployment.
    public init(base: any Model, trainedShares: [Double], deployedShares: [Double]) throws {
        guard case .classification(let names) = base.task, trainedShares.count == names.count,
            deployedShares.count == names.count
        else {
            throw LearningError.invalid("prior correction needs a classifier and one share per class")
        }
        for (i, (s, p)) in zip(trainedShares, deployedShares).enumerated() where s <= 0 && p > 0 {
            throw LearningError.invalid(
                "class '\(names[i])' was absent from the training data, so its probability cannot be corrected")
        }
        self.base = base
        factors = zip(trainedShares, deployedShares).map { s, p in s > 0 ? p / s : 0 }
    }

    /// A correction read back from a model file: π_c / s_c per class.
    public init(base: any Model, factors: [Double]) throws {
        guard case .classification(let names) = base.task, factors.count == names.count,
            factors.allSatisfy({ $0 >= 0 && $0.isFinite })
        else {
            throw LearningError.invalid("prior correction needs a classifier and one factor per class")
        }
        self.base = base
        self.factors = factors
    }

    public func inputs(_ data: Dataset) throws -> Matrix { try base.inputs(data) }

    public func predict(_ x: Matrix) throws -> Prediction { corrected(try base.predict(x)) }

    /// The base model's prediction with its probabilities corrected (anything else unchanged).
    public func corrected(_ prediction: Prediction) -> Prediction {
        guard case .probabilities(var p) = prediction, p.cols == factors.count else { return prediction }
        let k = p.cols
        for r in 0..<p.rows {
            var total = 0.0
            for c in 0..<k { total += Double(p.storage[r * k + c]) * factors[c] }
            for c in 0..<k {
                p.storage[r * k + c] =
                    total > 0 ? Float(Double(p.storage[r * k + c]) * factors[c] / total) : p.storage[r * k + c]
            }
        }
        return .probabilities(p)
    }
}

/// A binary classifier that predicts the positive class when its probability reaches a threshold
/// other than one half (threshold moving). The probabilities are shifted so the usual "most
/// probable class" rule applies: the positive probability p becomes p/(2t) below t and
/// 1 − (1 − p)/(2(1 − t)) above, a monotone map sending t to one half, so rankings (AUC, average
/// precision) are unchanged.
public struct ThresholdModel: Model {
    public let base: any Model
    public let positive: Int
    public let threshold: Double
    public var kind: String { base.kind }
    public var featureNames: [String] { base.featureNames }
    public var task: Task { base.task }
    public var preprocessor: Preprocessor? { base.preprocessor }
    public var summary: String {
        guard case .classification(let names) = base.task else { return base.summary }
        return base.summary + String(format: " · predicts %@ from p ≥ %.3g", names[positive], threshold)
    }

    /// - Throws: `LearningError.invalid` unless the base model has exactly two classes and the
    ///   threshold is in (0, 1).
    public init(base: any Model, positive: Int, threshold: Double) throws {
        guard case .classification(let names) = base.task, names.count == 2 else {
            throw LearningError.invalid("threshold moving needs a classifier with two classes")
        }
        guard positive >= 0, positive < 2, threshold > 0, threshold < 1 else {
            throw LearningError.invalid("the threshold must lie strictly between 0 and 1")
        }
        self.base = base; self.positive = positive; self.threshold = threshold
    }

    public func inputs(_ data: Dataset) throws -> Matrix { try base.inputs(data) }

    public func predict(_ x: Matrix) throws -> Prediction {
        guard case .probabilities(var p) = try base.predict(x) else { return try base.predict(x) }
        let t = threshold
        for r in 0..<p.rows {
            let q = Double(p.storage[r * 2 + positive])
            // Below t the positive class must lose and at t it must win, also after rounding to Float.
            let s =
                q < t
                ? min(Float(q / (2 * t)), Float(0.5).nextDown)
                : max(Float(1 - (1 - q) / (2 * (1 - t))), Float(0.5).nextUp)
            p.storage[r * 2 + positive] = s
            p.storage[r * 2 + 1 - positive] = 1 - s
        }
        return .probabilities(p)
    }
}
