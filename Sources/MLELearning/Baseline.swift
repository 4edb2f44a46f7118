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
    }

    public let baselineKind: Kind
    public let featureNames: [String]
    public let task: Task
    /// Class probabilities (classification) or the constant prediction (regression, one value).
    public let constant: [Float]

    public var kind: String { baselineKind.rawValue }

    public var summary: String {
        switch task {
        case .classification(let names):
            let k = constant.firstIndex(of: constant.max() ?? 0) ?? 0
            return "\(kind) baseline: always '\(names[k])'"
        case .regression:
            return "\(kind) baseline: always \(constant.first ?? 0)"
        }
    }

    /// Fits the baseline on `data`.
    /// - Throws: `LearningError` when the data has no target or the kind does not fit the task.
    public static func fit(_ data: Dataset, kind: Kind) throws -> BaselineModel {
        switch data.target {
        case nil:
            throw LearningError.noTarget("a baseline")
        case .classes(_, let names)?:
            guard kind == .zeroRule else {
                throw LearningError.invalid("kind=\(kind.rawValue) is for numeric targets; use kind=zero_rule for classes")
            }
            let counts = data.classCounts ?? []
            var best = 0
            for (k, c) in counts.enumerated() where c > counts[best] { best = k }
            var p = [Float](repeating: 0, count: names.count)
            if !p.isEmpty { p[best] = 1 }
            return BaselineModel(baselineKind: kind, featureNames: data.featureNames,
                                 task: .classification(classNames: names), constant: p)
        case .values(let v)?:
            guard !v.isEmpty else { throw LearningError.invalid("the dataset has no rows") }
            let c: Float
            switch kind {
            case .zeroRule, .mean:
                c = Float(v.reduce(0.0) { $0 + Double($1) } / Double(v.count))
            case .median:
                let s = v.sorted()
                c = s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
            }
            return BaselineModel(baselineKind: kind, featureNames: data.featureNames,
                                 task: .regression, constant: [c])
        }
    }

    /// A baseline reads no column: only the number of rows matters.
    public func inputs(_ data: Dataset) throws -> Matrix { Matrix(rows: data.rowCount, cols: 0) }

    public func predict(_ x: Matrix) throws -> Prediction {
        switch task {
        case .classification:
            var p = Matrix(rows: x.rows, cols: constant.count)
            for r in 0..<x.rows { for c in 0..<constant.count { p[r, c] = constant[c] } }
            return .probabilities(p)
        case .regression:
            return .values([Float](repeating: constant.first ?? 0, count: x.rows))
        }
    }
}
