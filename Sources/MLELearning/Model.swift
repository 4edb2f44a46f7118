import MLETensor

/// What a model returns for a batch of rows.
public enum Prediction: Sendable {
    /// Class probabilities, one row per input, one column per class.
    case probabilities(Matrix)
    /// One number per input.
    case values([Float])
}

/// A fitted model: anything that predicts from a feature matrix.
public protocol Model: Sendable {
    /// A short name of the model's kind (`zero_rule`, `mlp`).
    var kind: String { get }
    /// The feature columns it was trained on, in order.
    var featureNames: [String] { get }
    var task: Task { get }
    /// A one-line description of its structure.
    var summary: String { get }
    /// Predicts for rows of `x`, whose columns follow `featureNames`.
    func predict(_ x: Matrix) throws -> Prediction
    /// The pipeline that turns raw columns into `featureNames`, if the model has one.
    var preprocessor: Preprocessor? { get }
    /// The model's input matrix for a dataset: its columns matched by name, through the
    /// preprocessing pipeline when there is one.
    func inputs(_ data: Dataset) throws -> Matrix
}

extension Model {
    public var preprocessor: Preprocessor? { nil }

    public func inputs(_ data: Dataset) throws -> Matrix {
        if let p = preprocessor { return try p.transform(data) }
        return try data.features(ordered: featureNames)
    }

    /// Predicts for a dataset, matching its columns to the model's by name.
    public func predict(_ data: Dataset) throws -> Prediction {
        try predict(inputs(data))
    }

    /// The raw columns the model reads.
    public var rawColumns: [String] { preprocessor?.inputColumns ?? featureNames }
}

extension Prediction {
    /// The most probable class of each row (ties go to the lower class index).
    public var predictedClasses: [Int]? {
        guard case .probabilities(let p) = self else { return nil }
        var out = [Int](repeating: 0, count: p.rows)
        for r in 0..<p.rows {
            var best = 0
            for c in 1..<max(p.cols, 1) where p[r, c] > p[r, best] { best = c }
            out[r] = best
        }
        return out
    }
}
