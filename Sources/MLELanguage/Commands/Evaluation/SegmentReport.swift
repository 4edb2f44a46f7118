import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

/// `evaluate … by=`: error analysis by segment (Burkov ch. 6).
enum SegmentReport {
    /// A group of one column in words, and as a condition `filter` takes: its numbers in full
    /// (Swift's shortest exact text of the double), so that the condition selects exactly the
    /// segment's rows — the rounded edges people see can fall on the other side of a value.
    static func describe(_ g: Segments.Group, column: String) -> (label: String, condition: String) {
        func number(_ v: Double) -> String { Format.number(v) }
        switch g {
        case .range(let lo, let hi, let includesLow):
            if lo == hi { return ("\(column) = \(number(lo))", "\(column) == \(lo)") }
            return (
                "\(column) in \(includesLow ? "[" : "(")\(number(lo)), \(number(hi))]",
                "\(column) \(includesLow ? ">=" : ">") \(lo) and \(column) <= \(hi)"
            )
        case .level(let l): return ("\(column) = \(l)", "\(column) == \(l)")
        case .missing: return ("\(column) missing", "\(column) missing")
        }
    }

    static func report(_ o: EvaluateCommand.Options, _ labelled: LabelledOutcomes, _ inv: Invocation) throws -> Report {
        guard case .classification(let truth, let predicted, _, _, _) = labelled.outcomes else {
            throw inv.error("by= needs a classifier", at: "by")
        }
        let data = o.data
        var columns: [(groups: [Segments.Group], ofRow: [Int])] = []
        for name in o.by {
            if let j = data.featureNames.firstIndex(of: name) {
                columns.append(Segments.groups(data, column: j, bins: o.bins))
            } else if case .classes(let labels, let names)? = data.target {
                columns.append((names.map { .level($0) }, labels))
            } else {
                throw inv.error("'\(name)' holds numbers as the target; by= takes feature columns here", at: "by")
            }
        }
        let wrong = zip(truth, predicted).map { $0 != $1 }
        let results = Segments.analyse(ofRow: columns.map(\.ofRow), wrong: wrong)
        let alpha = 1 - o.level
        let total = wrong.count, totalErrors = wrong.filter { $0 }.count
        var rows: [[Cell]] = []
        var worse: [(String, Segments.Result)] = []
        for r in results {
            let parts = zip(o.by, zip(columns, r.key)).map { name, ck in describe(ck.0.groups[ck.1], column: name) }
            let label = parts.map(\.label).joined(separator: ", ")
            let condition = parts.map(\.condition).joined(separator: " and ")
            let correct = r.rows.count - r.errors
            let w = ProportionMethod.wilson.interval(successes: correct, trials: r.rows.count, level: o.level)
            let restRows = total - r.rows.count, restErrors = totalErrors - r.errors
            let isWorse = r.adjustedP < alpha
            if isWorse { worse.append((label, r)) }
            rows.append([
                .text(label), .count(r.rows.count), .count(r.errors),
                .estimate(r.accuracy, low: w?.low ?? .nan, high: w?.high ?? .nan, .metric),
                restRows > 0 ? .number(1 - Double(restErrors) / Double(restRows), .metric) : .missing("—"),
                .number(r.p, .pValue), .number(r.adjustedP, .pValue), .text(isWorse ? "worse" : ""), .text(condition)
            ])
        }
        let table = Table(
            key: "segments",
            caption:
                "segments, worst first (accuracy with its \(Format.percent(o.level)) Wilson interval; p: Fisher's exact test of more errors than the rest, Holm-adjusted over \(results.count) segments)",
            columns: [
                Table.Column("segment", "segment", .left), Table.Column("rows"), Table.Column("errors"),
                Table.Column("accuracy"), Table.Column("rest_accuracy", "rest"), Table.Column("p", audience: .machines),
                Table.Column("adjusted_p", "p (Holm)"), Table.Column("worse", "", .left),
                Table.Column("condition", audience: .machines)
            ], rows: rows)
        let overall = total > 0 ? 1 - Double(totalErrors) / Double(total) : .nan
        let fields: [Field] = [
            Field("by", .text(o.by.joined(separator: ", "))),
            Field("n", "N", .count(total)),
            Field("accuracy", "overall accuracy", .number(overall)),
            Field("segment_count", "segments", .count(results.count)),
            Field("bins", .count(o.bins), audience: .machines),
            Field("level", .number(o.level), audience: .machines)
        ]
        let verdict: String
        if let (label, r) = worse.first {
            let rest = total - r.rows.count
            let restAccuracy = rest > 0 ? 1 - Double(totalErrors - r.errors) / Double(rest) : .nan
            verdict =
                "\(worse.count == 1 ? "worse than the rest" : "\(worse.count) segments worse than the rest; the worst"): \(label), accuracy \(Format.metric(r.accuracy)) against \(Format.metric(restAccuracy)) elsewhere (Holm-adjusted p = \(Format.pValue(r.adjustedP)), \(r.errors) errors in \(r.rows.count) rows)"
        } else {
            verdict =
                "no segment has more errors than the rest beyond noise (Fisher's exact test, Holm-adjusted, at \(Format.percent(o.level)))"
        }
        let dataName = inv.names["data"] ?? data.name
        return Report(
            kind: "segments",
            title:
                "errors of \(inv.names["model"] ?? o.model.model.kind) on \(dataName) by \(o.by.joined(separator: " × "))",
            fields: fields, tables: [table], verdict: verdict,
            notes: [
                "a segment's rows: rows = filter \(dataName) \"CONDITION\" (the condition column of JSON and CSV); its errors: misclassified \(inv.names["model"] ?? "MODEL") rows"
            ])
    }
}
