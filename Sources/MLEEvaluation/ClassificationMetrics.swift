import MLELearning

/// Per-class figures. A figure is nil when it is undefined (a zero denominator).
public struct ClassMetrics: Equatable, Sendable {
    public var name: String
    public var precision: Double?
    public var recall: Double?
    public var f1: Double?
    public var support: Int
}

/// Accuracy, per-class precision/recall/F1 and the confusion matrix of a classifier.
public struct ClassificationMetrics: Equatable, Sendable {
    public var classNames: [String]
    /// `confusion[actual][predicted]`.
    public var confusion: [[Int]]
    public var perClass: [ClassMetrics]

    public var total: Int { confusion.reduce(0) { $0 + $1.reduce(0, +) } }
    public var correct: Int { classNames.indices.reduce(0) { $0 + confusion[$1][$1] } }
    public var accuracy: Double { total == 0 ? 0 : Double(correct) / Double(total) }

    /// Unweighted mean of the per-class F1 scores over classes present in the truth or the
    /// predictions; an undefined F1 counts as 0 (scikit-learn's `zero_division=0`).
    public var macroF1: Double {
        let present = perClass.enumerated().filter { i, c in c.support > 0 || predictedCount(i) > 0 }
        guard !present.isEmpty else { return 0 }
        return present.reduce(0) { $0 + ($1.element.f1 ?? 0) } / Double(present.count)
    }

    /// Support-weighted mean of per-class F1 (undefined counts as 0).
    public var weightedF1: Double {
        let t = Double(total)
        guard t > 0 else { return 0 }
        return perClass.reduce(0) { $0 + ($1.f1 ?? 0) * Double($1.support) } / t
    }

    /// True when some class present in the data has an undefined figure.
    public var hasUndefined: Bool { perClass.contains { $0.precision == nil || $0.f1 == nil } }

    func predictedCount(_ k: Int) -> Int { confusion.reduce(0) { $0 + $1[k] } }

    /// Builds the metrics from true and predicted class indices into `classNames`.
    public init(truth: [Int], predicted: [Int], classNames: [String]) {
        let k = classNames.count
        var m = [[Int]](repeating: [Int](repeating: 0, count: k), count: k)
        for (t, p) in zip(truth, predicted) where t >= 0 && t < k && p >= 0 && p < k { m[t][p] += 1 }
        self.init(confusion: m, classNames: classNames)
    }

    /// Builds the metrics from a confusion matrix `confusion[actual][predicted]`.
    public init(confusion: [[Int]], classNames: [String]) {
        self.classNames = classNames
        self.confusion = confusion
        var per: [ClassMetrics] = []
        for (i, name) in classNames.enumerated() {
            let tp = confusion[i][i]
            let support = confusion[i].reduce(0, +)
            let predicted = confusion.reduce(0) { $0 + $1[i] }
            let precision = predicted == 0 ? nil : Double(tp) / Double(predicted)
            let recall = support == 0 ? nil : Double(tp) / Double(support)
            // 2·tp / (2·tp + fp + fn): defined (0) for a class with support that is never
            // predicted, as scikit-learn's f1_score and the imbalanced report give it.
            let f1Denominator = predicted + support
            let f1 = f1Denominator == 0 ? nil : Double(2 * tp) / Double(f1Denominator)
            per.append(ClassMetrics(name: name, precision: precision, recall: recall, f1: f1, support: support))
        }
        perClass = per
    }
}

/// MSE, RMSE, MAE and R² of a regressor.
public struct RegressionMetrics: Equatable, Sendable {
    public var count: Int
    public var mse: Double
    public var mae: Double
    /// Nil when the truth is constant (R² is undefined).
    public var r2: Double?
    public var rmse: Double { mse.squareRoot() }

    public init(truth: [Float], predicted: [Float]) {
        let n = min(truth.count, predicted.count)
        count = n
        guard n > 0 else { mse = 0; mae = 0; r2 = nil; return }
        var se = 0.0, ae = 0.0, mean = 0.0
        for i in 0..<n {
            let e = Double(predicted[i]) - Double(truth[i])
            se += e * e; ae += abs(e); mean += Double(truth[i])
        }
        mean /= Double(n)
        var tss = 0.0
        for i in 0..<n { let d = Double(truth[i]) - mean; tss += d * d }
        mse = se / Double(n)
        mae = ae / Double(n)
        r2 = tss > 0 ? 1 - se / tss : nil
    }
}

/// The evaluation of a model on a dataset.
public enum Evaluation: Sendable {
    case classification(ClassificationMetrics)
    case regression(RegressionMetrics)

    /// Evaluates `model` on `data`, matching classes by name (a class only one side knows gets
    /// its own row and column) and features by column name.
    /// - Throws: `LearningError` when the data has no target, lacks the model's features, or the
    ///   model's task does not fit the target.
    public static func evaluate(_ model: any Model, on data: Dataset) throws -> Evaluation {
        Evaluation(try Outcomes.of(model, on: data, positive: nil))
    }

    /// The evaluation of outcomes already gathered (so a caller that needs both predicts once).
    public init(_ labelled: LabelledOutcomes) {
        switch labelled.outcomes {
        case .classification(let truth, let predicted, _, _, _):
            self = .classification(
                ClassificationMetrics(truth: truth, predicted: predicted, classNames: labelled.classNames))
        case .regression(let truth, let predicted):
            self = .regression(
                RegressionMetrics(truth: truth.map { Float($0) }, predicted: predicted.map { Float($0) }))
        }
    }
}
