import MLETensor

/// Baselines (Burkov ch. 5): a model that ignores the features.
public struct BaselineModel: Model {
    public enum Kind: String, CaseIterable, Sendable {
        /// The most frequent class (classification) or the mean (regression).
        case zeroRule = "zero_rule"
        /// The mean of the target (regression only; the zero rule for numbers).
        case mean
        /// The median of the target (regression only).
        case median
        /// A class drawn uniformly at random for each row (classification).
        case uniform
        /// A class drawn at random with the training set's class shares (scikit-learn's
        /// "stratified" dummy; classification).
        case prior
    }

    /// Seed of the random draws of `uniform` and `prior` (predicting the same data twice gives
    /// the same draws).
    public var seed: UInt64 = 0

    public let baselineKind: Kind
    public let featureNames: [String]
    public let task: Task
    /// Class probabilities (classification) or the constant prediction (regression, one value).
    public let constant: [Float]

    public var kind: String { baselineKind.rawValue }

    public var summary: String {
        switch task {
        case .classification(let names):
            switch baselineKind {
            case .uniform: return "uniform baseline: a random class, each with probability 1/\(names.count)"
            case .prior:
                return "prior baseline: a random class with the training shares ("
                    + zip(names, constant).map { "\($0) \(String(format: "%.2f", $1))" }.joined(separator: ", ") + ")"
            default:
                let k = constant.firstIndex(of: constant.max() ?? 0) ?? 0
                return "\(kind) baseline: always '\(names[k])'"
            }
        case .regression:
            return "\(kind) baseline: always \(constant.first ?? 0)"
        }
    }

    /// Fits the baseline on `data`.
    /// - Throws: `LearningError` when the data has no target or the kind does not fit the task.
    public static func fit(_ data: Dataset, kind: Kind, seed: UInt64 = 0) throws -> BaselineModel {
        switch data.target {
        case nil:
            throw LearningError.noTarget("a baseline")
        case .classes(_, let names)?:
            guard kind == .zeroRule || kind == .uniform || kind == .prior else {
                throw SettingError(
                    "kind", "a \(kind.rawValue) baseline is for numeric targets",
                    remedy: .useOneOf(["zero_rule", "uniform", "prior"]))
            }
            guard data.rowCount > 0 else { throw LearningError.invalid("the dataset has no rows") }
            let counts = data.classCounts ?? []
            var p = [Float](repeating: 0, count: names.count)
            switch kind {
            case .uniform: p = p.map { _ in 1 / Float(names.count) }
            case .prior: p = counts.map { Float($0) / Float(data.rowCount) }
            default:
                var best = 0
                for (k, c) in counts.enumerated() where c > counts[best] { best = k }
                if !p.isEmpty { p[best] = 1 }
            }
            var model = BaselineModel(
                baselineKind: kind, featureNames: data.featureNames,
                task: .classification(classNames: names), constant: p)
            model.seed = seed
            return model
        case .values(let v)?:
            guard !v.isEmpty else { throw LearningError.invalid("the dataset has no rows") }
            let c: Float
            switch kind {
            case .uniform, .prior:
                throw SettingError(
                    "kind", "a \(kind.rawValue) baseline draws classes; the target holds numbers",
                    remedy: .useOneOf(["mean", "median"]))
            case .zeroRule, .mean:
                c = Float(v.reduce(0.0) { $0 + Double($1) } / Double(v.count))
            case .median:
                c = Preprocessor.median(v)
            }
            return BaselineModel(
                baselineKind: kind, featureNames: data.featureNames,
                task: .regression, constant: [c])
        }
    }

    /// A baseline reads no column: only the number of rows matters.
    public func inputs(_ data: Dataset) throws -> Matrix { Matrix(rows: data.rowCount, cols: 0) }

    public func predict(_ x: Matrix) throws -> Prediction {
        switch task {
        case .classification:
            var p = Matrix(rows: x.rows, cols: constant.count)
            if baselineKind == .uniform || baselineKind == .prior {
                // Each row's prediction is a drawn class (probability 1), as scikit-learn's
                // DummyClassifier(strategy="stratified") does, so accuracy and AUC measure guessing.
                var rng = SeededGenerator(seed: seed)
                for r in 0..<x.rows {
                    var u = Float(rng.nextUnit()), k = 0
                    while k < constant.count - 1, u >= constant[k] { u -= constant[k]; k += 1 }
                    p[r, k] = 1
                }
                return .probabilities(p)
            }
            for r in 0..<x.rows { for c in 0..<constant.count { p[r, c] = constant[c] } }
            return .probabilities(p)
        case .regression:
            return .values([Float](repeating: constant.first ?? 0, count: x.rows))
        }
    }
}
