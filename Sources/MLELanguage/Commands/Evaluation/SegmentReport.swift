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
        case .missing: return ("\(column) missing", "\(column) == missing")
        }
    }

    /// The groups of each `by=` column: a feature, or the target (its classes, or a numeric
    /// target cut at its quantiles).
    static func columns(_ o: EvaluateCommand.Options) -> [(groups: [Segments.Group], ofRow: [Int])] {
        let data = o.data
        return o.by.map { name in
            if let j = data.featureNames.firstIndex(of: name) { return Segments.groups(data, column: j, bins: o.bins) }
            switch data.target {
            case .classes(let labels, let names)?: return (names.map { .level($0) }, labels)
            case .values(let v)?: return Segments.groups(values: v, kind: .numeric, bins: o.bins)
            case nil: return ([.missing], [Int](repeating: 0, count: data.rowCount))
            }
        }
    }

    /// Each segment's label for people and condition for `filter`.
    static func described(
        _ key: [Int], _ columns: [(groups: [Segments.Group], ofRow: [Int])], _ by: [String]
    ) -> (label: String, condition: String) {
        let parts = zip(by, zip(columns, key)).map { name, ck in describe(ck.0.groups[ck.1], column: name) }
        return (parts.map(\.label).joined(separator: ", "), parts.map(\.condition).joined(separator: " and "))
    }

    static func report(_ o: EvaluateCommand.Options, _ labelled: LabelledOutcomes, _ inv: Invocation) throws -> Report {
        switch labelled.outcomes {
        case .classification(let truth, let predicted, _, _, _):
            return classification(o, truth: truth, predicted: predicted, inv)
        case .regression(let truth, let predicted):
            return regression(o, truth: truth, predicted: predicted, inv)
        }
    }

    static func classification(_ o: EvaluateCommand.Options, truth: [Int], predicted: [Int], _ inv: Invocation)
        -> Report
    {
        let columns = columns(o)
        let wrong = zip(truth, predicted).map { $0 != $1 }
        let results = Segments.analyse(ofRow: columns.map(\.ofRow), wrong: wrong)
        let alpha = 1 - o.level
        let total = wrong.count, totalErrors = wrong.filter { $0 }.count
        var rows: [[Cell]] = []
        var worse: [(String, Segments.Result)] = []
        for r in results {
            let (label, condition) = described(r.key, columns, o.by)
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
        let dataName = inv.names["data"] ?? o.data.name
        return segmentReport(
            o, inv, overall: Field("accuracy", "overall accuracy", .number(overall)), total: total,
            segments: results.count, table: table, verdict: verdict,
            notes: [
                "a segment's rows: rows = filter \(dataName) \"CONDITION\" (the condition column of JSON and CSV); its errors: misclassified \(inv.names["model"] ?? "MODEL") rows"
            ])
    }

    static func regression(_ o: EvaluateCommand.Options, truth: [Double], predicted: [Double], _ inv: Invocation)
        -> Report
    {
        let columns = columns(o)
        let results = Segments.analyseRegression(
            ofRow: columns.map(\.ofRow), truth: truth, predicted: predicted, level: o.level)
        let alpha = 1 - o.level
        var rows: [[Cell]] = []
        var worse: [(String, Segments.RegressionResult)] = []
        for r in results {
            let (label, condition) = described(r.key, columns, o.by)
            let isWorse = r.adjustedP < alpha
            if isWorse { worse.append((label, r)) }
            rows.append([
                .text(label), .count(r.rows.count),
                r.rows.count > 1
                    ? .estimate(r.mae, low: r.maeInterval.low, high: r.maeInterval.high, .metric)
                    : .shown(.estimate(r.mae, low: .nan, high: .nan, .metric), as: "\(Format.metric(r.mae)) (one row)"),
                .number(r.rmse, .metric), r.restMAE.isNaN ? .missing("—") : .number(r.restMAE, .metric),
                .number(r.p, .pValue), .number(r.adjustedP, .pValue), .text(isWorse ? "worse" : ""), .text(condition)
            ])
        }
        let table = Table(
            key: "segments",
            caption:
                "segments, worst first (MAE with its \(Format.percent(o.level)) t interval; p: Mann–Whitney's test of larger absolute errors than the rest, Holm-adjusted over \(results.count) segments)",
            columns: [
                Table.Column("segment", "segment", .left), Table.Column("rows"), Table.Column("mae", "MAE"),
                Table.Column("rmse", "RMSE"), Table.Column("rest_mae", "rest MAE"),
                Table.Column("p", audience: .machines), Table.Column("adjusted_p", "p (Holm)"),
                Table.Column("worse", "", .left), Table.Column("condition", audience: .machines)
            ], rows: rows)
        let total = truth.count
        let overall = total > 0 ? zip(truth, predicted).reduce(0.0) { $0 + abs($1.0 - $1.1) } / Double(total) : .nan
        let verdict: String
        if let (label, r) = worse.first {
            verdict =
                "\(worse.count == 1 ? "worse than the rest" : "\(worse.count) segments worse than the rest; the worst"): \(label), MAE \(Format.metric(r.mae)) against \(Format.metric(r.restMAE)) elsewhere (Holm-adjusted p = \(Format.pValue(r.adjustedP)), \(r.rows.count) rows)"
        } else {
            verdict =
                "no segment has larger errors than the rest beyond noise (Mann–Whitney's test, Holm-adjusted, at \(Format.percent(o.level)))"
        }
        let dataName = inv.names["data"] ?? o.data.name
        return segmentReport(
            o, inv, overall: Field("mae", "overall MAE", .number(overall, .metric)), total: total,
            segments: results.count, table: table, verdict: verdict,
            notes: [
                "a segment's rows: rows = filter \(dataName) \"CONDITION\" (the condition column of JSON and CSV)"
            ])
    }

    static func segmentReport(
        _ o: EvaluateCommand.Options, _ inv: Invocation, overall: Field, total: Int, segments: Int, table: Table,
        verdict: String, notes: [String]
    ) -> Report {
        let fields: [Field] = [
            Field("by", .text(o.by.joined(separator: ", "))),
            Field("n", "N", .count(total)),
            overall,
            Field("segment_count", "segments", .count(segments)),
            Field("bins", .count(o.bins), audience: .machines),
            Field("level", .number(o.level), audience: .machines)
        ]
        return Report(
            kind: "segments",
            title:
                "errors of \(inv.names["model"] ?? o.model.model.kind) on \(inv.names["data"] ?? o.data.name) by \(o.by.joined(separator: " × "))",
            fields: fields, tables: [table], verdict: verdict, notes: notes)
    }
}
