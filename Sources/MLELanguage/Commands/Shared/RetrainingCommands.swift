import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

/// `cvtest` and `retrain`: questions about training methods rather than one trained model.
enum RetrainingCommands {
    static func recipe(_ inv: Invocation, _ name: String) throws -> Recipe {
        guard let r = try inv.model(name).recipe else {
            throw inv.error("this model was not trained in this session, so it cannot be retrained", at: name)
        }
        return r
    }

    /// The metric of `model` on `data`, or an error naming the metric.
    static func score(_ inv: Invocation, _ model: any Model, _ data: Dataset, _ metric: Metric) throws -> Double {
        let labelled = try IntervalCommands.outcomes(inv, model, data, metric: metric)
        guard let v = metric.value(of: labelled.outcomes) else {
            throw inv.error(
                "\(metric.rawValue) is undefined on one of the folds (a zero denominator); choose another metric")
        }
        return v
    }

}
