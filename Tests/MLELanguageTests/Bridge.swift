import MLEEvaluation
import MLELearning

/// Lets the language tests call the evaluation layer directly.
enum MLEEvaluationBridge {
    static func evaluate(_ model: any Model, _ data: Dataset) throws -> Evaluation {
        try Evaluation.evaluate(model, on: data)
    }
}
