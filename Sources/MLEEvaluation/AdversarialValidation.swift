import Foundation
import MLELearning
import MLETensor

/// Adversarial validation (Burkov ch. 6): can a classifier tell training rows from test rows?
/// An AUC near 0.5 says the two sets look alike; a high AUC says the distribution shifted, and
/// the training rows the classifier finds most test-like make a validation set that resembles
/// the test set.
public enum AdversarialValidation {
    public struct FeatureShift: Sendable, Equatable {
        public var feature: String
        /// Numeric: the two-sample Kolmogorov–Smirnov statistic (largest gap between the two
        /// empirical CDFs). Categorical: total variation distance between the level shares.
        public var statistic: Double
        public var measure: String
    }

    public struct Result: Sendable {
        /// Cross-validated AUC of telling test rows (positive) from training rows.
        public var auc: Double
        public var folds: Int
        /// Out-of-fold probability that each training row is a test row.
        public var trainScores: [Double]
        public var shifts: [FeatureShift]
        public var alike: Bool { auc < 0.6 }
    }

    /// Both sets' features as one dataset with the target "train"/"test": categories are matched
    /// by name, the target columns left out.
    /// - Throws: `Cancelled` between columns when `cancellation` fires (a column of millions of
    ///   rows takes tens of milliseconds).
    public static func combined(_ train: Dataset, _ test: Dataset, cancellation: Cancellation = .never) throws
        -> Dataset
    {
        guard Set(train.featureNames) == Set(test.featureNames) else {
            let missing =
                train.featureNames.filter { !test.featureNames.contains($0) }
                + test.featureNames.filter { !train.featureNames.contains($0) }
            throw LearningError.invalid(
                "the two sets have different columns (\(missing.prefix(5).joined(separator: ", "))); adversarial validation compares the same features"
            )
        }
        let d = train.featureNames.count, n = train.rowCount, m = test.rowCount
        var x = Matrix(rows: n + m, cols: d)
        var kinds: [ColumnKind] = []
        for (j, name) in train.featureNames.enumerated() {
            if cancellation.isCancelled { throw Cancelled() }
            guard let k = test.featureNames.firstIndex(of: name) else { continue }
            switch (train.columnKinds[j], test.columnKinds[k]) {
            case (.numeric, .numeric):
                kinds.append(.numeric)
                for r in 0..<n { x[r, j] = train.features[r, j] }
                for r in 0..<m { x[n + r, j] = test.features[r, k] }
            case (.categorical(let a), .categorical(let b)):
                var levels = a
                for l in b where !levels.contains(l) { levels.append(l) }
                kinds.append(.categorical(levels: levels))
                for r in 0..<n { x[r, j] = train.features[r, j] }
                for r in 0..<m {
                    let v = test.features[r, k]
                    x[n + r, j] = v.isNaN ? .nan : Float(levels.firstIndex(of: b[safe: Int(v)] ?? "") ?? 0)
                }
            default:
                throw LearningError.invalid("column '\(name)' is numeric in one set and categorical in the other")
            }
        }
        return Dataset(
            name: "train+test", featureNames: train.featureNames, features: x, targetName: "set",
            target: .classes(
                labels: Array(repeating: 0, count: n) + Array(repeating: 1, count: m), names: ["train", "test"]),
            columnKinds: kinds)
    }

    /// Runs adversarial validation with `classifier` trained on k folds of the combined rows.
    public static func run(
        _ train: Dataset, _ test: Dataset, folds k: Int = 5, seed: UInt64,
        cancellation: Cancellation = .never, classifier: (Dataset) throws -> any Model
    ) throws -> Result {
        let all = try combined(train, test, cancellation: cancellation)
        if cancellation.isCancelled { throw Cancelled() }
        guard train.rowCount >= k, test.rowCount >= k else {
            throw LearningError.invalid("each set needs at least \(k) rows for \(k)-fold adversarial validation")
        }
        var scores = [Double](repeating: 0, count: all.rowCount)
        for fold in try HyperSearch.folds(all, k: k, seed: seed, cancellation: cancellation) {
            if cancellation.isCancelled { throw Cancelled() }
            let rest = try all.subset(HyperSearch.rows(of: all.rowCount, notIn: fold), name: all.name)
            if cancellation.isCancelled { throw Cancelled() }
            let model = try classifier(rest)
            guard case .probabilities(let p) = try model.predict(all.subset(fold, name: all.name)) else {
                throw LearningError.invalid("the classifier must give probabilities")
            }
            for (i, r) in fold.enumerated() { scores[r] = Double(p[i, 1]) }
        }
        guard case .classes(let labels, _)? = all.target else { throw LearningError.invalid("internal: no labels") }
        let outcomes = Outcomes.classification(
            truth: labels, predicted: scores.map { $0 >= 0.5 ? 1 : 0 }, classCount: 2,
            scores: scores, positive: 1)
        let auc = Metric.auc.value(of: outcomes) ?? 0.5
        var shifts: [FeatureShift] = []
        let n = train.rowCount
        for (j, name) in all.featureNames.enumerated() {
            if cancellation.isCancelled { throw Cancelled() }
            var a = (0..<n).map { all.features[$0, j] }.filter { !$0.isNaN }
            var b = (n..<all.rowCount).map { all.features[$0, j] }.filter { !$0.isNaN }
            switch all.columnKinds[j] {
            case .numeric:
                try RowStatistics.sort(&a, cancellation: cancellation)
                try RowStatistics.sort(&b, cancellation: cancellation)
                shifts.append(FeatureShift(feature: name, statistic: ks(sorted: a, b), measure: "KS"))
            case .categorical(let levels):
                var pa = [Double](repeating: 0, count: levels.count), pb = pa
                for v in a where Int(v) < levels.count { pa[Int(v)] += 1 / Double(max(a.count, 1)) }
                for v in b where Int(v) < levels.count { pb[Int(v)] += 1 / Double(max(b.count, 1)) }
                shifts.append(
                    FeatureShift(
                        feature: name, statistic: 0.5 * zip(pa, pb).reduce(0) { $0 + abs($1.0 - $1.1) }, measure: "TV"))
            }
        }
        shifts.sort { $0.statistic > $1.statistic }
        return Result(auc: auc, folds: k, trainScores: Array(scores[0..<n]), shifts: shifts)
    }

    /// The two-sample Kolmogorov–Smirnov statistic: sup |F_a − F_b|.
    public static func ks(_ a: [Double], _ b: [Double]) -> Double {
        ks(sorted: a.sorted(), b.sorted())
    }

    /// `ks` of two samples already in ascending order.
    static func ks<T: Comparable>(sorted sa: [T], _ sb: [T]) -> Double {
        guard !sa.isEmpty, !sb.isEmpty else { return 0 }
        var i = 0, j = 0, best = 0.0
        while i < sa.count && j < sb.count {
            let v = min(sa[i], sb[j])
            while i < sa.count && sa[i] <= v { i += 1 }
            while j < sb.count && sb[j] <= v { j += 1 }
            best = max(best, abs(Double(i) / Double(sa.count) - Double(j) / Double(sb.count)))
        }
        return best
    }

    /// The training rows most like the test set: the `share` with the highest scores.
    public static func mostTestLike(_ r: Result, share: Double) -> [Int] {
        let count = max(1, Int((Double(r.trainScores.count) * share).rounded()))
        return r.trainScores.indices.sorted { (r.trainScores[$0], $1) > (r.trainScores[$1], $0) }.prefix(count).sorted()
    }
}
