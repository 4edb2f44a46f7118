import Foundation

/// ROC and precision-recall curves of a positive class's scores, as scikit-learn's `roc_curve`
/// (with `drop_intermediate=True`) and `precision_recall_curve` compute them.
public enum Curves {
    /// One point of a curve: the threshold (a row is predicted positive when its score is at or
    /// above it) and the rates there.
    public struct Point: Sendable, Equatable {
        public var threshold: Double
        public var truePositives: Int, falsePositives: Int
        public var tpr: Double, fpr: Double
        /// TP / (TP + FP); nil when nothing is predicted positive.
        public var precision: Double?
        public var recall: Double { tpr }
    }

    /// Per distinct score, from the highest down: the score and the true and false positives at
    /// or above it (scikit-learn's `_binary_clf_curve`).
    static func cumulative(_ positive: [Bool], _ scores: [Double]) -> [(score: Double, tp: Int, fp: Int)] {
        let order = scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
        var out: [(Double, Int, Int)] = []
        var tp = 0, fp = 0
        for (k, i) in order.enumerated() {
            if positive[i] { tp += 1 } else { fp += 1 }
            if k == order.count - 1 || scores[order[k + 1]] != scores[i] { out.append((scores[i], tp, fp)) }
        }
        return out
    }

    /// The ROC curve: a first point at threshold +∞ (nothing positive), then the thresholds where
    /// the curve turns (collinear points dropped, as `drop_intermediate=True`).
    /// - Returns: nil without positives or without negatives.
    public static func roc(positive: [Bool], scores: [Double]) -> [Point]? {
        let c = cumulative(positive, scores)
        guard let last = c.last, last.tp > 0, last.fp > 0 else { return nil }
        var kept = c.indices.map { $0 }
        if c.count > 2 {
            // Keep the ends and every point where the second difference of fp or tp is not 0.
            kept = c.indices.filter { i in
                if i == 0 || i == c.count - 1 { return true }
                return c[i + 1].fp - 2 * c[i].fp + c[i - 1].fp != 0 || c[i + 1].tp - 2 * c[i].tp + c[i - 1].tp != 0
            }
        }
        func point(_ t: Double, _ tp: Int, _ fp: Int) -> Point {
            Point(
                threshold: t, truePositives: tp, falsePositives: fp, tpr: Double(tp) / Double(last.tp),
                fpr: Double(fp) / Double(last.fp), precision: tp + fp > 0 ? Double(tp) / Double(tp + fp) : nil)
        }
        return [point(.infinity, 0, 0)] + kept.map { point(c[$0].score, c[$0].tp, c[$0].fp) }
    }

    /// The precision-recall curve, from the lowest threshold up, ending with scikit-learn's
    /// extra point (precision 1, recall 0, no threshold: its `threshold` is +∞).
    /// - Returns: nil without positives.
    public static func precisionRecall(positive: [Bool], scores: [Double]) -> [Point]? {
        let c = cumulative(positive, scores)
        guard let last = c.last, last.tp > 0 else { return nil }
        var points = c.reversed().map { x in
            Point(
                threshold: x.score, truePositives: x.tp, falsePositives: x.fp, tpr: Double(x.tp) / Double(last.tp),
                fpr: last.fp > 0 ? Double(x.fp) / Double(last.fp) : 0,
                precision: x.tp + x.fp > 0 ? Double(x.tp) / Double(x.tp + x.fp) : 0)
        }
        points.append(Point(threshold: .infinity, truePositives: 0, falsePositives: 0, tpr: 0, fpr: 0, precision: 1))
        return points
    }

    /// The area under the ROC points by the trapezoidal rule (scikit-learn's `auc` of
    /// `roc_curve`'s output, equal to the Mann–Whitney AUC with ties counted one half).
    public static func area(_ points: [Point]) -> Double {
        var a = 0.0
        for (p, q) in zip(points, points.dropFirst()) { a += (q.fpr - p.fpr) * (q.tpr + p.tpr) / 2 }
        return a
    }
}
