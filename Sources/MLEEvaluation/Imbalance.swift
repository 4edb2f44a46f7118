import MLELearning

/// Per-class figures in the style of imbalanced-learn's `classification_report_imbalanced`: each
/// class against the rest. A figure is nil when undefined (a zero denominator).
public struct ImbalancedClassRow: Equatable, Sendable {
    public var name: String
    public var precision: Double?
    public var recall: Double?
    public var specificity: Double?
    public var f1: Double?
    /// √(recall · specificity).
    public var gmean: Double?
    /// (1 + α(recall − specificity)) · recall · specificity, α = 0.1.
    public var iba: Double?
    public var support: Int
}

public struct ImbalancedReport: Equatable, Sendable {
    public var rows: [ImbalancedClassRow]
    /// Support-weighted means of the rows (imbalanced-learn's "avg / total"); an undefined figure
    /// counts as 0 there, as scikit-learn's `zero_division=0`.
    public var average: ImbalancedClassRow
    /// True when some row has an undefined figure.
    public var hasUndefined: Bool

    /// α of the index balanced accuracy (imbalanced-learn's default).
    public static let alpha = 0.1

    /// Builds the report from a confusion matrix `confusion[actual][predicted]`.
    public init(confusion c: [[Int]], classNames: [String]) {
        let k = classNames.count
        let total = c.joined().reduce(0, +)
        var rows: [ImbalancedClassRow] = []
        for i in 0..<k {
            let tp = c[i][i]
            let actual = c[i].reduce(0, +)
            let predicted = c.reduce(0) { $0 + $1[i] }
            let fp = predicted - tp, fn = actual - tp, tn = total - tp - fp - fn
            func ratio(_ a: Int, _ b: Int) -> Double? { b > 0 ? Double(a) / Double(b) : nil }
            let p = ratio(tp, tp + fp), r = ratio(tp, tp + fn), s = ratio(tn, tn + fp)
            let f1 = ratio(2 * tp, 2 * tp + fp + fn)
            var g: Double?, iba: Double?
            if let r, let s {
                g = (r * s).squareRoot()
                iba = (1 + ImbalancedReport.alpha * (r - s)) * r * s
            }
            rows.append(
                ImbalancedClassRow(
                    name: classNames[i], precision: p, recall: r, specificity: s, f1: f1,
                    gmean: g, iba: iba, support: actual))
        }
        self.rows = rows
        hasUndefined = rows.contains { [$0.precision, $0.recall, $0.specificity, $0.f1].contains(nil) }
        let n = Double(rows.reduce(0) { $0 + $1.support })
        func mean(_ f: (ImbalancedClassRow) -> Double?) -> Double? {
            n > 0 ? rows.reduce(0.0) { $0 + (f($1) ?? 0) * Double($1.support) } / n : nil
        }
        average = ImbalancedClassRow(
            name: "avg / total", precision: mean(\.precision), recall: mean(\.recall),
            specificity: mean(\.specificity), f1: mean(\.f1), gmean: mean(\.gmean),
            iba: mean(\.iba), support: Int(n))
    }
}

/// Threshold moving: the decision threshold on the positive class's probability that maximises
/// a metric on validation data.
public enum ThresholdSearch {
    /// The best threshold and its metric value. Candidates are the midpoints between consecutive
    /// distinct scores (and one below the lowest and one above the highest), so every distinct
    /// decision is tried once; ties in the metric go to the threshold nearest one half.
    /// - Returns: nil when the metric is undefined at every candidate (for example a validation
    ///   set with one class only).
    public static func best(scores: [Double], truth: [Bool], metric: Metric) -> (threshold: Double, value: Double)? {
        guard !scores.isEmpty, scores.count == truth.count, metric.isConfusionBased else { return nil }
        // One sweep from the lowest score up: at first every row is predicted positive; passing a
        // group of tied scores turns its rows negative. O(n log n), not a pass per candidate.
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var tp = Double(truth.filter { $0 }.count), fp = Double(truth.count) - tp, fn = 0.0, tn = 0.0
        var best: (Double, Double)?
        func consider(_ t: Double) {
            guard t > 0, t < 1, let v = metric.value(confusion: [[tn, fp], [fn, tp]], positive: 1) else { return }
            if let b = best, v < b.1 || (v == b.1 && abs(t - 0.5) >= abs(b.0 - 0.5)) { return }
            best = (t, v)
        }
        consider(max(scores[order[0]] / 2, 1e-6))
        var i = 0
        while i < order.count {
            let score = scores[order[i]]
            while i < order.count, scores[order[i]] == score {
                if truth[order[i]] { tp -= 1; fn += 1 } else { fp -= 1; tn += 1 }
                i += 1
            }
            consider(i < order.count ? (score + scores[order[i]]) / 2 : min((score + 1) / 2, 1 - 1e-6))
        }
        return best.map { (threshold: $0.0, value: $0.1) }
    }
}
