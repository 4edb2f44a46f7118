import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

/// `fairness`: group fairness of a classifier's decisions (Burkov ch. 7) — per group of a
/// sensitive column its rates with intervals, and the gaps between groups (demographic parity,
/// equalized odds, equal opportunity) with bootstrap intervals and a χ² test of each.
enum FairnessCommand: Command {
    static let spec = CommandSpec(
        name: "fairness",
        summary:
            "Group fairness: per group selection rate, TPR, FPR, precision, accuracy; demographic parity, equalized odds and equal opportunity gaps with intervals and tests",
        positionals: [
            ParamSpec("model", .model, "a classifier (any: trained here, imported, or predictions)", required: true),
            ParamSpec("data", .dataset, "the test data, with the sensitive column", required: true)
        ],
        options: [
            ParamSpec(
                "group", .list(.string),
                "the sensitive column, or [a, b] for their intersections (numeric columns with more than 20 values cut at quantiles, bins=)",
                required: true),
            ParamSpec(
                "positive", .string,
                "for two classes, the favourable decision the rates are about (default: the second class)"),
            ParamSpec(
                "class", .string,
                "for more classes, the class whose rates each group's row shows (the gaps cover every class against the rest)"
            ),
            ParamSpec("bins", .integer, "quantile bins of a numeric group column", default: .number(4)),
            IntervalCommands.levelOption,
            ParamSpec(
                "resamples", .integer, "bootstrap resamples (rows drawn within their groups)", default: .number(2000)),
            ParamSpec.choice("method", BootstrapMethod.self, "bootstrap interval method", default: .percentile),
            ParamSpec("seed", .integer, "random seed of the resampling (default: the session seed)")
        ],
        returns: "a fairness report",
        examples: [
            "fairness net test group=sex",
            "fairness net test group=[sex, island] resamples=5000 seed=1",
            "fairness digits_net digits_test group=region class=8"
        ]
    ) { inv in try execute(inv) }

    struct Options {
        var model: ModelValue
        var data: Dataset
        var group: [String]
        var positive: String?
        var className: String?
        var bins: Int
        var level: Double
        var resamples: Int
        var method: BootstrapMethod
        var seed: UInt64
    }

    static func options(_ inv: Invocation) throws -> Options {
        Options(
            model: try inv.model("model"), data: try inv.dataset("data"), group: inv.stringList("group") ?? [],
            positive: inv.string("positive"), className: inv.string("class"), bins: try inv.declared("bins", Int.self),
            level: try inv.declared("level", Double.self), resamples: try inv.declared("resamples", Int.self),
            method: try inv.choice("method", BootstrapMethod.self), seed: inv.seed())
    }

    static func validate(_ o: Options, _ inv: Invocation) throws {
        try inv.check("bins", o.bins, in: 2...100)
        try inv.checkLevel(o.level)
        try inv.check("resamples", o.resamples, in: 100...1_000_000)
        guard case .classification = o.model.model.task else {
            throw inv.error("fairness needs a classifier: its decisions are what groups are compared on", at: "model")
        }
        if o.group.isEmpty {
            throw inv.error("fairness needs group=COLUMN: the sensitive column whose groups are compared", at: "group")
        }
        if Set(o.group).count != o.group.count { throw inv.error("group= names a column twice", at: "group") }
        for name in o.group where !o.data.featureNames.contains(name) {
            throw UnknownNameError(kind: "column", name: name, known: o.data.featureNames, setting: "group")
        }
        if o.className != nil, o.positive != nil {
            throw inv.error("give class= or positive=, not both (they name the same thing)", at: "positive")
        }
    }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        let labelled = try Outcomes.of(o.model.model, on: o.data, positive: o.positive ?? o.className)
        guard case .classification(let truth, let predicted, let classCount, _, let positive) = labelled.outcomes
        else { throw inv.error("fairness needs a classifier", at: "model") }
        let names = labelled.classNames
        // The groups: each column's groups, crossed.
        let columns = o.group.compactMap { name in
            o.data.featureNames.firstIndex(of: name).map { Drift.batches(o.data, column: $0, bins: o.bins) }
        }
        // In the columns' group order (levels as listed, bins low to high), not first-row order.
        let segments = Segments.segments(ofRow: columns.map(\.ofRow), count: truth.count).sorted {
            $0.key.lexicographicallyPrecedes($1.key)
        }
        guard segments.count > 1 else {
            throw inv.error("every row is in one group: fairness compares two groups or more", at: "group")
        }
        var groupOfRow = [Int](repeating: 0, count: truth.count)
        for (g, s) in segments.enumerated() { for r in s.rows { groupOfRow[r] = g } }
        let labels = segments.map { s in
            zip(o.group, zip(columns, s.key)).map { name, ck in
                SegmentReport.describe(ck.0.groups[ck.1], column: name)
            }
        }
        let f = Fairness(
            truth: truth, predicted: predicted, groupOfRow: groupOfRow, groups: segments.count, classes: classCount)
        let context = inv.context("bootstrap")
        let intervals: [[Fairness.Gap: BootstrapResult]]
        do {
            intervals = try f.intervals(
                resamples: o.resamples, seed: o.seed, method: o.method, level: o.level, context: context)
        } catch is Cancelled { throw Interrupted() }

        // Which classes the gaps are about: the positive of two; every class against the rest of more.
        let binary = classCount == 2
        let focus: Int? = binary ? positive : (o.className.flatMap { names.firstIndex(of: $0) })
        let gapClasses = binary ? [positive] : Array(0..<classCount)

        // Per group: rows, accuracy, and the focus class's rates, each with its Wilson interval.
        let wilson = ProportionMethod.wilson
        func share(_ x: Double, _ n: Double) -> Cell {
            guard n > 0, let i = wilson.interval(successes: Int(x), trials: Int(n), level: o.level) else {
                return .missing("—")
            }
            return .estimate(x / n, low: i.low, high: i.high, .metric)
        }
        let allRates = f.rates(positive: focus ?? 0)
        var groupRows: [[Cell]] = []
        for (g, s) in segments.enumerated() {
            let r = allRates[g]
            var row: [Cell] = [
                .text(labels[g].map(\.label).joined(separator: ", ")), .count(s.rows.count), share(r.correct, r.rows)
            ]
            if focus != nil {
                row += [
                    share(r.truePositives + r.falsePositives, r.rows),
                    share(r.truePositives, r.truePositives + r.falseNegatives),
                    share(r.falsePositives, r.falsePositives + r.trueNegatives),
                    share(r.truePositives, r.truePositives + r.falsePositives)
                ]
            }
            row.append(.text(labels[g].map(\.condition).joined(separator: " and ")))
            groupRows.append(row)
        }
        var groupColumns = [
            Table.Column("group", "group", .left), Table.Column("rows"), Table.Column("accuracy")
        ]
        if focus != nil {
            groupColumns += [
                Table.Column("selection_rate", "selected"), Table.Column("tpr", "TPR"), Table.Column("fpr", "FPR"),
                Table.Column("precision")
            ]
        }
        groupColumns.append(Table.Column("condition", audience: .machines))
        let focusText = focus.map { "predicted \(names[$0])" } ?? ""
        let groupTable = Table(
            key: "groups",
            caption:
                "groups (\(Format.percent(o.level)) Wilson intervals\(focus == nil ? "; class=NAME adds one class's rates" : "; selected: share \(focusText); TPR, FPR and precision of \(names[focus ?? 0])"))",
            columns: groupColumns, rows: groupRows)

        // The gaps, with their tests, Holm-adjusted over every test shown.
        let alpha = 1 - o.level
        var tests: [(c: Int, dp: Double, eo: Double, eop: Double)] = []
        for c in gapClasses {
            let t = f.tests(positive: c)
            tests.append((c, t.demographicParity, t.equalizedOdds, t.equalOpportunity))
        }
        let adjusted = MultipleTesting.holm(tests.flatMap { [$0.dp, $0.eo, $0.eop] })
        // Short labels for the table (the note spells them out), full names for the verdict.
        let labelsOfGaps: [(Fairness.Gap, String, String, Int)] = [
            (.demographicParityDifference, "parity difference", "demographic parity difference", 0),
            (.demographicParityRatio, "parity ratio", "demographic parity ratio", 0),
            (.equalizedOddsDifference, "odds difference", "equalized odds difference", 1),
            (.equalizedOddsRatio, "odds ratio", "equalized odds ratio", 1),
            (.equalOpportunityDifference, "opportunity difference", "equal opportunity difference", 2)
        ]
        var gapRows: [[Cell]] = []
        var beyond: [(String, Double, BootstrapResult?, Double)] = []
        var largest: (String, Double)?
        for (k, t) in tests.enumerated() {
            let estimate = f.gaps(positive: t.c)
            for (gap, label, fullName, test) in labelsOfGaps {
                guard let e = estimate[gap] else { continue }
                let raw = [t.dp, t.eo, t.eop][test], p = adjusted[3 * k + test]
                let i = intervals[t.c][gap]
                let isBeyond = p < alpha && !gap.isRatio
                let what = binary ? fullName : "\(fullName) (\(names[t.c]))"
                if isBeyond { beyond.append((what, e, i, p)) }
                if !gap.isRatio, !e.isNaN, e > (largest?.1 ?? -1) {
                    largest = (what + (i.map { " up to \(Format.metric($0.interval.high))" } ?? ""), e)
                }
                gapRows.append([
                    .text(names[t.c]), .text(gap.rawValue), .text(label),
                    e.isNaN
                        ? .missing("—")
                        : .estimate(e, low: i?.interval.low ?? .nan, high: i?.interval.high ?? .nan, .metric),
                    .number(raw, .pValue), .number(p, .pValue), .text(isBeyond ? "beyond noise" : "")
                ])
            }
        }
        let gapTable = Table(
            key: "gaps",
            caption:
                "gaps between groups (largest − smallest; ratios smallest / largest; \(Format.percent(o.level)) \(o.method.rawValue) bootstrap intervals, rows resampled within groups; p: χ² test that the groups share the rate, Holm-adjusted over \(adjusted.count) tests)",
            columns: [
                Table.Column("class", "class", .left, audience: binary ? .machines : .all),
                Table.Column("gap", audience: .machines), Table.Column("label", "gap", .left, audience: .people),
                Table.Column("value"), Table.Column("p", audience: .machines), Table.Column("adjusted_p", "p (Holm)"),
                Table.Column("verdict", "", .left)
            ], rows: gapRows)

        var fields: [Field] = [
            Field("group", .text(o.group.joined(separator: " × "))),
            Field("n", "N", .count(truth.count)),
            Field("group_count", "groups", .count(segments.count)),
            Field(
                "favourable", binary ? "decision" : "classes",
                .text(binary ? "\(names[positive]) (rates are about predicting it)" : "each against the rest")),
            Field(
                "interval",
                .text(
                    "\(Format.percent(o.level)) \(o.method.rawValue) bootstrap, \(o.resamples) resamples within groups"),
                audience: .people),
            Field("level", .number(o.level), audience: .machines),
            Field("method", .text(o.method.rawValue), audience: .machines),
            Field("resamples", .count(o.resamples), audience: .machines),
            Field("seed", .count(Int(truncatingIfNeeded: o.seed)))
        ]
        if binary { fields.append(Field("positive", .text(names[positive]), audience: .machines)) }
        let verdict: String
        if let (what, e, i, p) = beyond.max(by: { $0.1 < $1.1 }) {
            let interval = i.map { " [\(Format.metric($0.interval.low)), \(Format.metric($0.interval.high))]" } ?? ""
            verdict =
                "the groups differ beyond noise: \(what) \(Format.metric(e))\(interval) (χ² p\(Format.pValue(p).hasPrefix("<") ? " " : " = ")\(Format.pValue(p)), Holm-adjusted)"
                + (beyond.count > 1 ? "; \(beyond.count - 1) more gap\(beyond.count > 2 ? "s" : "") beyond noise" : "")
        } else {
            verdict =
                "no gap between the groups is beyond noise at these sizes"
                + (largest.map { "; the data cannot rule out a \($0.0)" } ?? "")
        }
        let smallest = segments.map(\.rows.count).min() ?? 0
        var notes: [String] = []
        if smallest < 30 {
            notes.append(
                "a group has \(smallest) rows: its rates are uncertain (see its interval) and the χ² approximation is rough"
            )
        }
        notes.append(
            "parity: demographic parity, groups selected at the same rate; odds: equalized odds, the same TPR and FPR (the worse gap); opportunity: equal opportunity, the same TPR — as fairlearn defines them"
        )
        let title =
            "fairness of \(inv.names["model"] ?? o.model.model.kind) on \(inv.names["data"] ?? o.data.name) by \(o.group.joined(separator: " × "))"
        return .report(
            Report(
                kind: "fairness", title: title, fields: fields, tables: [groupTable, gapTable], verdict: verdict,
                notes: notes))
    }
}
