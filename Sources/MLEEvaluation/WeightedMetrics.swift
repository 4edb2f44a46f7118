import Foundation

/// Metric values under per-item weights (bootstrap counts), with the sorting done once.
/// Weight 1 everywhere gives the plain metric.
struct WeightedEvaluator: Sendable {
    let metric: Metric
    let outcomes: Outcomes
    /// Items ordered by descending score (scored metrics).
    private let order: [Int]
    /// Start index in `order` of each group of tied scores, plus `order.count`.
    private let groupStarts: [Int]

    init(metric: Metric, outcomes: Outcomes) {
        self.metric = metric
        self.outcomes = outcomes
        if metric == .auc || metric == .averagePrecision, case .classification(_, _, _, let scores?, _) = outcomes {
            let o = scores.indices.sorted { scores[$0] > scores[$1] }
            var starts: [Int] = []
            for (i, item) in o.enumerated() where i == 0 || scores[item] != scores[o[i - 1]] { starts.append(i) }
            starts.append(o.count)
            order = o; groupStarts = starts
        } else {
            order = []; groupStarts = []
        }
    }

    /// The metric with item `i` counted `weights[i]` times; nil when undefined.
    func value(weights w: [Double]) -> Double? {
        switch outcomes {
        case .classification(let truth, let predicted, let k, _, let positive):
            if metric.isConfusionBased {
                var c = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
                for i in truth.indices where w[i] != 0 { c[truth[i]][predicted[i]] += w[i] }
                return metric.value(confusion: c, positive: positive)
            }
            return scored(truth: truth, positive: positive, weights: w)
        case .regression(let truth, let predicted):
            var sw = 0.0, se = 0.0, sa = 0.0, sy = 0.0, syy = 0.0
            for i in truth.indices where w[i] != 0 {
                let e = predicted[i] - truth[i]
                sw += w[i]; se += w[i] * e * e; sa += w[i] * abs(e)
                sy += w[i] * truth[i]; syy += w[i] * truth[i] * truth[i]
            }
            guard sw > 0 else { return nil }
            switch metric {
            case .mse: return se / sw
            case .rmse: return (se / sw).squareRoot()
            case .mae: return sa / sw
            case .r2:
                let tss = syy - sy * sy / sw
                return tss > 1e-12 * max(syy, 1) ? 1 - se / tss : nil
            default: return nil
            }
        }
    }

    /// ROC AUC (ties count one half) or average precision (scikit-learn's step definition).
    private func scored(truth: [Int], positive: Int, weights w: [Double]) -> Double? {
        if metric == .brier || metric == .logLoss {
            guard case .classification(_, _, _, let scores?, _) = outcomes else { return nil }
            let eps = Double.ulpOfOne
            var sum = 0.0, total = 0.0
            for i in truth.indices where w[i] != 0 {
                let y = truth[i] == positive ? 1.0 : 0.0, p = scores[i]
                let term =
                    metric == .brier
                    ? (p - y) * (p - y)
                    : -(y * log(min(max(p, eps), 1 - eps)) + (1 - y) * log(min(max(1 - p, eps), 1 - eps)))
                sum += w[i] * term; total += w[i]
            }
            return total > 0 ? sum / total : nil
        }
        var totalPos = 0.0, totalNeg = 0.0
        for i in truth.indices { if truth[i] == positive { totalPos += w[i] } else { totalNeg += w[i] } }
        guard totalPos > 0 else { return nil }
        if metric == .auc {
            guard totalNeg > 0 else { return nil }
            // Sweep from the lowest score up: each positive beats the negatives below it.
            var negBelow = 0.0, numerator = 0.0
            for g in stride(from: groupStarts.count - 2, through: 0, by: -1) {
                var p = 0.0, n = 0.0
                for idx in groupStarts[g]..<groupStarts[g + 1] {
                    let item = order[idx]
                    if truth[item] == positive { p += w[item] } else { n += w[item] }
                }
                numerator += p * (negBelow + 0.5 * n)
                negBelow += n
            }
            return numerator / (totalPos * totalNeg)
        }
        var tp = 0.0, fp = 0.0, ap = 0.0, previousRecall = 0.0
        for g in 0..<(groupStarts.count - 1) {
            for idx in groupStarts[g]..<groupStarts[g + 1] {
                let item = order[idx]
                if truth[item] == positive { tp += w[item] } else { fp += w[item] }
            }
            guard tp + fp > 0 else { continue }
            let recall = tp / totalPos
            ap += (recall - previousRecall) * tp / (tp + fp)
            previousRecall = recall
        }
        return ap
    }
}
