import MLELearning
import MLETensor

/// A model's outcomes on a dataset, with the class names they index.
public struct LabelledOutcomes: Sendable {
    public var outcomes: Outcomes
    /// Class names (classification), in index order; empty for regression.
    public var classNames: [String]
    /// The class one-vs-rest metrics are about (nil for multiclass without `positive=`).
    public var positiveName: String?
}

extension Outcomes {
    /// Predicts `data` with `model` and gathers what the metrics need. Classes are matched by
    /// name: the model's classes first, then any class only the data has.
    /// - Parameters:
    ///   - positive: the class for one-vs-rest metrics; nil picks the last class of a binary
    ///     problem and leaves multiclass problems without one.
    ///   - prediction: the model's prediction of `data` when the caller has it already.
    /// - Throws: `LearningError` for data without a target, a task mismatch or an unknown class.
    public static func of(
        _ model: any Model, on data: Dataset, positive: String?,
        prediction given: Prediction? = nil
    ) throws -> LabelledOutcomes {
        guard let target = data.target else { throw LearningError.noTarget("this command") }
        let prediction = try given ?? model.predict(data)
        switch (model.task, target, prediction) {
        case (.classification(let modelNames), .classes(let labels, let dataNames), .probabilities(let p)):
            var names = modelNames
            for n in dataNames where !names.contains(n) { names.append(n) }
            var index: [String: Int] = [:]
            for (i, n) in names.enumerated() { index[n] = i }
            // Class index → name index once per class, not a name lookup per row.
            let fromData = dataNames.map { index[$0] ?? 0 }, fromModel = modelNames.map { index[$0] ?? 0 }
            let truth = labels.map { fromData[$0] }
            let predicted = (prediction.predictedClasses ?? []).map { fromModel[$0] }
            let positiveName: String?
            if let positive {
                guard names.contains(positive) else {
                    throw UnknownNameError(
                        kind: "class", name: positive, known: names, setting: "positive", listing: "classes")
                }
                positiveName = positive
            } else {
                positiveName = names.count == 2 ? names[1] : nil
            }
            let posIndex = positiveName.flatMap { index[$0] } ?? 0
            var scores: [Double]?
            if let name = positiveName {
                if let column = modelNames.firstIndex(of: name) {
                    scores = (0..<p.rows).map { Double(p[$0, column]) }
                } else {
                    scores = [Double](repeating: 0, count: p.rows)
                }
            }
            return LabelledOutcomes(
                outcomes: .classification(
                    truth: truth, predicted: predicted, classCount: names.count,
                    scores: scores, positive: posIndex),
                classNames: names, positiveName: positiveName)
        case (.regression, .values(let truth), .values(let predicted)):
            return LabelledOutcomes(
                outcomes: .regression(truth: truth.map(Double.init), predicted: predicted.map(Double.init)),
                classNames: [], positiveName: nil)
        case (.classification, .values, _):
            throw LearningError.invalid(
                "the model is a classifier but the target '\(data.targetName ?? "")' holds numbers")
        default:
            throw LearningError.invalid(
                "the model predicts numbers but the target '\(data.targetName ?? "")' holds classes")
        }
    }
}
