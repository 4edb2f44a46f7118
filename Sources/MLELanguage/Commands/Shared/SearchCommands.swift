import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

/// `search` (hyperparameters) and `adversarial` (distribution shift).
enum SearchCommands {
    /// Numeric hyperparameters a [low, high] pair makes a range for random search, and whether
    /// the range is searched on a log scale.
    static let ranged: [String: Bool] = ["lr": true, "c": true, "weight_decay": true, "momentum": false]

}
