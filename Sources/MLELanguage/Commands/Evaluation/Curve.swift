import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

/// `curve`: the ROC or precision-recall curve of a classifier's positive-class probability, as a
/// terminal plot and a table of thresholds, with AUC (DeLong interval) or average precision
/// (bootstrap interval); other models on the same plot.
enum CurveCommand: Command {
    enum Kind: String, CaseIterable { case roc, pr }

    static let spec = CommandSpec(
        name: "curve",
        summary:
            "ROC or precision-recall curve: a terminal plot, the thresholds with TPR, FPR, precision and recall, AUC or AP with an interval",
        positionals: [
            ParamSpec("model", .model, "a classifier (any: trained here, imported, or predictions)", required: true),
            ParamSpec("data", .dataset, "the test data", required: true)
        ],
        options: [
            ParamSpec.choice("kind", Kind.self, "roc: TPR against FPR; pr: precision against recall", default: .roc),
            IntervalCommands.positiveOption,
            IntervalCommands.levelOption,
            ParamSpec("resamples", .integer, "bootstrap resamples for AP's interval", default: .number(2000)),
            ParamSpec("seed", .integer, "random seed of the resampling (default: the session seed)"),
            ParamSpec(
                "rows", .integer, "thresholds people see in the table (JSON and CSV carry all)", default: .number(15)),
            ParamSpec("versus", .list(.model), "other models of the same classes on the same plot")
        ],
        returns: "a curve report",
        examples: ["curve net test", "curve net test kind=pr positive=malignant", "curve net test versus=[lr, base]"]
    ) { inv in try execute(inv) }

    struct Options {
        var models: [(name: String, labelled: LabelledOutcomes)]
        var data: Dataset
        var kind: Kind
        var level: Double
        var resamples: Int
        var seed: UInt64
        var rows: Int
    }

    static func options(_ inv: Invocation) throws -> Options {
        let data = try inv.dataset("data")
        let first = try inv.model("model")
        func classifier(_ m: ModelValue, _ param: String) throws {
            guard m.model.task.isClassification else {
                throw inv.error("a curve is about a classifier's scores; this model predicts numbers", at: param)
            }
        }
        try classifier(first, "model")
        var models = [
            (
                inv.names["model"] ?? first.model.kind,
                try IntervalCommands.outcomes(inv, first.model, data, metric: .auc)
            )
        ]
        for (name, m) in inv.namedModels("versus") {
            try classifier(m, "versus")
            let labelled: LabelledOutcomes
            do { labelled = try IntervalCommands.outcomes(inv, m.model, data, metric: .auc) } catch let e as MLEError {
                throw inv.error(e.message, at: "versus")
            } catch let e as LearningError {
                throw inv.error(e.description, at: "versus")
            }
            guard labelled.positiveName == models[0].1.positiveName else {
                throw inv.error("the models in versus= must have the positive class of the first", at: "versus")
            }
            models.append((name, labelled))
        }
        return Options(
            models: models, data: data, kind: try inv.choice("kind", Kind.self),
            level: try inv.declared("level", Double.self), resamples: try inv.declared("resamples", Int.self),
            seed: inv.seed(), rows: try inv.declared("rows", Int.self))
    }

    static func validate(_ o: Options, _ inv: Invocation) throws {
        try inv.checkLevel(o.level)
        try inv.check("resamples", o.resamples, in: 100...1_000_000)
        try inv.check("rows", o.rows, in: 1...100_000)
    }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        var curves: [[Curves.Point]] = []
        var areas: [(estimate: Double, low: Double, high: Double, method: String)] = []
        for (k, (_, labelled)) in o.models.enumerated() {
            guard case .classification(let truth, _, _, let scores?, let positive) = labelled.outcomes else {
                throw inv.error("the model gives no probability of the positive class", at: k == 0 ? "model" : "versus")
            }
            let isPositive = truth.map { $0 == positive }
            switch o.kind {
            case .roc:
                guard let points = Curves.roc(positive: isPositive, scores: scores),
                    let (i, _) = DeLong.interval(truth: isPositive, scores: scores, level: o.level)
                else { throw inv.error("a ROC curve needs both positive and negative rows in the data", at: "data") }
                curves.append(points)
                areas.append((Curves.area(points), i.low, i.high, "DeLong"))
            case .pr:
                guard let points = Curves.precisionRecall(positive: isPositive, scores: scores) else {
                    throw inv.error("a precision-recall curve needs positive rows in the data", at: "data")
                }
                curves.append(points)
                let b: BootstrapResult
                do {
                    b = try Bootstrap.interval(
                        metric: .averagePrecision, outcomes: labelled.outcomes, method: .percentile, level: o.level,
                        resamples: o.resamples, seed: o.seed, stratified: false, context: inv.context("bootstrap"))
                } catch is Cancelled { throw Interrupted() }
                areas.append((b.interval.estimate, b.interval.low, b.interval.high, "percentile bootstrap"))
            }
        }
        return .report(report(o, curves, areas, inv))
    }

    static func report(
        _ o: Options, _ curves: [[Curves.Point]],
        _ areas: [(estimate: Double, low: Double, high: Double, method: String)],
        _ inv: Invocation
    ) -> Report {
        let positive = o.models[0].labelled.positiveName ?? ""
        let areaName = o.kind == .roc ? "AUC" : "AP"
        // The point at the lowest threshold counts every row as positive.
        let everything = curves[0].max { $0.truePositives + $0.falsePositives < $1.truePositives + $1.falsePositives }
        let positives = everything?.truePositives ?? 0, total = positives + (everything?.falsePositives ?? 0)
        var fields: [Field] = [
            Field(
                "kind",
                .text(
                    o.kind == .roc ? "ROC: true positive rate against false positive rate" : "precision against recall")
            ),
            Field("positive", .text(positive)),
            Field("n", "N", .shown(.count(total), as: "\(total) (\(positives) \(positive))")),
            Field("positives", .count(positives), audience: .machines),
            Field(
                areaName.lowercased(), areaName,
                .estimate(areas[0].estimate, low: areas[0].low, high: areas[0].high, .metric)),
            Field(
                "interval",
                .text(
                    "\(Format.percent(o.level)) \(areas[0].method)\(o.kind == .pr ? ", \(o.resamples) resamples" : "")"),
                audience: .people),
            Field("level", .number(o.level), audience: .machines),
            Field("method", .text(areas[0].method), audience: .machines)
        ]
        if o.kind == .pr { fields.append(Field("seed", .count(Int(truncatingIfNeeded: o.seed)))) }

        func cell(_ v: Double?) -> Cell { v.map { .number($0, .metric) } ?? .missing("—") }
        let points = curves[0]
        let rows: [[Cell]] = points.map { p in
            [
                p.threshold.isFinite ? .number(p.threshold, .probability) : .missing("—"), .count(p.truePositives),
                .count(p.falsePositives), cell(p.tpr), cell(p.fpr), cell(p.precision), cell(p.recall)
            ]
        }
        // People see thresholds spread over the curve; JSON and CSV every point.
        var table = Table(
            key: "points",
            caption:
                "thresholds (predicted \(positive) when its probability is at least the threshold; — : none predicted)",
            columns: [
                Table.Column("threshold"), Table.Column("tp", "TP"), Table.Column("fp", "FP"),
                Table.Column("tpr", "TPR"),
                Table.Column("fpr", "FPR"), Table.Column("precision"), Table.Column("recall")
            ], rows: rows)
        if rows.count > o.rows {
            let step = Double(rows.count - 1) / Double(max(o.rows - 1, 1))
            let picked = Set((0..<o.rows).map { Int((Double($0) * step).rounded()) })
            var shown = Table(
                key: "points_shown",
                caption: (table.caption ?? "") + "; \(picked.count) of \(rows.count) shown, evenly spread (rows=N)",
                columns: table.columns, rows: rows.indices.filter { picked.contains($0) }.map { rows[$0] })
            shown.audience = .people
            table.audience = .machines
            return finish(o, curves, areas, fields, [shown, table], inv)
        }
        return finish(o, curves, areas, fields, [table], inv)
    }

    static func finish(
        _ o: Options, _ curves: [[Curves.Point]],
        _ areas: [(estimate: Double, low: Double, high: Double, method: String)],
        _ fields: [Field], _ tables: [Table], _ inv: Invocation
    ) -> Report {
        var tables = tables
        let areaName = o.kind == .roc ? "AUC" : "AP"
        if o.models.count > 1 {
            tables.insert(
                Table(
                    key: "models", caption: "\(areaName) of each model (\(Format.percent(o.level)) intervals)",
                    columns: [Table.Column("model", "model", .left), Table.Column(areaName.lowercased(), areaName)],
                    rows: o.models.enumerated().map { k, m in
                        [.text(m.name), .estimate(areas[k].estimate, low: areas[k].low, high: areas[k].high, .metric)]
                    }), at: 0)
        }
        // Drawn on a grid of x values: ROC as its step (the best TPR at that FPR or below),
        // precision-recall interpolated (the best precision at that recall or above).
        let steps = 61
        let grid = (0..<steps).map { Double($0) / Double(steps - 1) }
        var series: [TextPlot.Series] = []
        for (k, points) in curves.enumerated() {
            let y: [Double] = grid.map { x in
                switch o.kind {
                case .roc: return points.filter { $0.fpr <= x + 1e-12 }.map(\.tpr).max() ?? 0
                case .pr: return points.filter { $0.recall >= x - 1e-12 }.compactMap(\.precision).max() ?? 0
                }
            }
            series.append(TextPlot.Series(o.models[k].name, x: grid, y: y))
        }
        let chance: [Double]
        switch o.kind {
        case .roc: chance = grid
        case .pr:
            // The precision of calling every row positive: the curve's first point.
            let share = curves[0].first?.precision ?? 0
            chance = grid.map { _ in share }
        }
        series.append(
            TextPlot.Series(o.kind == .roc ? "chance" : "chance (the positive share)", x: grid, y: chance, mark: "·"))
        var plot = TextPlot(
            title: o.kind == .roc ? "ROC curve" : "precision-recall curve", series: series,
            xLabel: o.kind == .roc ? "false positive rate" : "recall", yRange: 0...1, width: 60, height: 13)
        plot.xEnds = ("0", "1")
        plot.yLabel = o.kind == .roc ? "true positive rate" : "precision"
        let names = o.models.map(\.name).joined(separator: ", ")
        var report = Report(
            kind: "curve",
            title:
                "\(o.kind == .roc ? "ROC" : "precision-recall") curve of \(names) on \(inv.names["data"] ?? o.data.name)",
            fields: fields, tables: tables)
        report.figures = [.plot(plot)]
        return report
    }
}
