import Foundation

/// The metrics an interval or a comparison can be about.
public enum Metric: String, CaseIterable, Sendable {
    case accuracy, error, recall, sensitivity, precision, specificity, f1
    case macroF1 = "macro_f1"
    case weightedF1 = "weighted_f1"
    case balancedAccuracy = "balanced_accuracy"
    case mcc, auc
    /// Geometric mean of the per-class recalls (√(sensitivity · specificity) for two classes).
    case gmean
    /// Index balanced accuracy of the positive class (García, Mollineda & Sánchez 2009), as
    /// imbalanced-learn: (1 + α · (sensitivity − specificity)) · sensitivity · specificity, α = 0.1.
    case iba
    case averagePrecision = "average_precision"
    /// The positive class's probability against the truth: mean (p − y)² (scikit-learn's
    /// brier_score_loss) and −mean(y log p + (1 − y) log(1 − p)) clipped at the float64 epsilon
    /// (its log_loss, for two classes).
    case brier
    case logLoss = "log_loss"
    case mse, rmse, mae, r2

    /// A share of counted items (x of n), so the binomial intervals apply.
    public var isProportion: Bool {
        [.accuracy, .error, .recall, .sensitivity, .precision, .specificity].contains(self)
    }
    /// Needs the positive class's scores (probabilities), not only the predicted labels.
    public var needsScores: Bool { [.auc, .averagePrecision, .brier, .logLoss].contains(self) }
    /// Smaller values are better (errors and losses).
    public var lowerIsBetter: Bool { [.error, .mse, .rmse, .mae, .brier, .logLoss].contains(self) }
    public var isRegression: Bool { [.mse, .rmse, .mae, .r2].contains(self) }
    /// A function of the confusion matrix alone (so the multinomial bootstrap shortcut applies).
    public var isConfusionBased: Bool { !isRegression && !needsScores }
    /// Computed for one class against the rest (`positive=`).
    public var needsPositiveClass: Bool {
        [.recall, .sensitivity, .precision, .specificity, .f1, .iba, .auc, .averagePrecision, .brier, .logLoss]
            .contains(self)
    }
}

/// A model's predictions on a test set, in the form metrics need.
public enum Outcomes: Sendable {
    /// Class indices (truth and prediction in `0..<classCount`) and, for scored metrics, the
    /// positive class's probability per item.
    case classification(truth: [Int], predicted: [Int], classCount: Int, scores: [Double]?, positive: Int)
    case regression(truth: [Double], predicted: [Double])

    public var count: Int {
        switch self {
        case .classification(let t, _, _, _, _): return t.count
        case .regression(let t, _): return t.count
        }
    }

    /// The confusion matrix `[actual][predicted]` as counts.
    public var confusion: [[Double]] {
        guard case .classification(let truth, let predicted, let k, _, _) = self else { return [] }
        var c = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
        for (t, p) in zip(truth, predicted) { c[t][p] += 1 }
        return c
    }
}

extension Metric {
    /// The metric's value from a (possibly weighted) confusion matrix; nil when undefined
    /// (a zero denominator). `positive` picks the class for one-vs-rest metrics.
    public func value(confusion c: [[Double]], positive: Int) -> Double? {
        let k = c.count
        guard k > 0 else { return nil }
        var total = 0.0, trace = 0.0
        var rows = [Double](repeating: 0, count: k), cols = [Double](repeating: 0, count: k)
        for i in 0..<k {
            for j in 0..<k { rows[i] += c[i][j]; cols[j] += c[i][j] }
            trace += c[i][i]
        }
        total = rows.reduce(0, +)
        guard total > 0 else { return nil }
        let pos = min(max(positive, 0), k - 1)
        let tp = c[pos][pos], fn = rows[pos] - tp, fp = cols[pos] - tp
        let tn = total - tp - fn - fp
        func ratio(_ a: Double, _ b: Double) -> Double? { b > 0 ? a / b : nil }
        switch self {
        case .accuracy: return trace / total
        case .error: return 1 - trace / total
        case .recall, .sensitivity: return ratio(tp, tp + fn)
        case .precision: return ratio(tp, tp + fp)
        case .specificity: return ratio(tn, tn + fp)
        case .f1: return ratio(2 * tp, 2 * tp + fp + fn)
        case .macroF1:
            // Over classes present in truth or predictions; an undefined F1 counts as 0.
            var sum = 0.0, n = 0.0
            for i in 0..<k where rows[i] > 0 || cols[i] > 0 {
                let d = rows[i] + cols[i]
                sum += d > 0 ? 2 * c[i][i] / d : 0
                n += 1
            }
            return n > 0 ? sum / n : nil
        case .weightedF1:
            // Support-weighted mean of per-class F1; an undefined F1 counts as 0.
            var sum = 0.0
            for i in 0..<k where rows[i] > 0 {
                let d = rows[i] + cols[i]
                sum += rows[i] * (d > 0 ? 2 * c[i][i] / d : 0)
            }
            return sum / total
        case .balancedAccuracy:
            var sum = 0.0, n = 0.0
            for i in 0..<k where rows[i] > 0 { sum += c[i][i] / rows[i]; n += 1 }
            return n > 0 ? sum / n : nil
        case .gmean:
            // Over classes present in the truth; a class never recognised makes it 0.
            var logSum = 0.0, n = 0.0
            for i in 0..<k where rows[i] > 0 {
                if c[i][i] == 0 { return 0 }
                logSum += Foundation.log(c[i][i] / rows[i]); n += 1
            }
            return n > 0 ? Foundation.exp(logSum / n) : nil
        case .iba:
            guard let sen = ratio(tp, tp + fn), let spe = ratio(tn, tn + fp) else { return nil }
            return (1 + 0.1 * (sen - spe)) * sen * spe
        case .mcc:
            // Gorodkin's multiclass form (as scikit-learn); 0 when a denominator vanishes.
            var pt = 0.0, pp = 0.0, tt = 0.0
            for i in 0..<k { pt += cols[i] * rows[i]; pp += cols[i] * cols[i]; tt += rows[i] * rows[i] }
            let cov = trace * total - pt
            let d = ((total * total - pp) * (total * total - tt)).squareRoot()
            return d > 0 ? cov / d : 0
        default:
            return nil
        }
    }

    /// The (x, n) counts of a proportion metric.
    public func proportionCounts(confusion c: [[Double]], positive: Int) -> (Int, Int)? {
        let k = c.count
        guard k > 0, isProportion else { return nil }
        let pos = min(max(positive, 0), k - 1)
        let total = c.joined().reduce(0, +)
        let trace = (0..<k).reduce(0.0) { $0 + c[$1][$1] }
        let row = c[pos].reduce(0, +), col = c.reduce(0.0) { $0 + $1[pos] }
        let tp = c[pos][pos]
        let pair: (Double, Double)
        switch self {
        case .accuracy: pair = (trace, total)
        case .error: pair = (total - trace, total)
        case .recall, .sensitivity: pair = (tp, row)
        case .precision: pair = (tp, col)
        case .specificity: pair = (total - row - col + tp, total - row)
        default: return nil
        }
        return (Int(pair.0.rounded()), Int(pair.1.rounded()))
    }
}
