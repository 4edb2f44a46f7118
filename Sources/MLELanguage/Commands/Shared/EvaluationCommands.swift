import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

/// `evaluate`, `predict`.
enum EvaluationCommands {
    /// Balanced accuracy, G-mean, MCC, AP and ROC-AUC, and the per-class report of
    /// imbalanced-learn's classification_report_imbalanced.
    static func addImbalanced(to report: inout Report, labelled: LabelledOutcomes) {
        let o = labelled.outcomes
        let confusion = o.confusion.map { $0.map { Int($0) } }
        let r = ImbalancedReport(confusion: confusion, classNames: labelled.classNames)
        var facts: [Field] = [
            Field("balanced_accuracy", "balanced accuracy", .number(Metric.balancedAccuracy.value(of: o))),
            Field("gmean", "G-mean", .number(Metric.gmean.value(of: o))),
            Field("mcc", "MCC", .number(Metric.mcc.value(of: o)))
        ]
        if let p = labelled.positiveName {
            for (label, metric) in [("AP", Metric.averagePrecision), ("ROC-AUC", .auc)] {
                let v = metric.value(of: o)
                facts.append(Field(metric.rawValue, "\(label) (\(p))", .number(v, missing: "undefined")))
            }
        }
        report.fields += facts
        func cell(_ v: Double?) -> Cell { .number(v, missing: "undefined") }
        let rows = (r.rows + [r.average]).map { row -> [Cell] in
            [
                .text(row.name), cell(row.precision), cell(row.recall), cell(row.specificity), cell(row.f1),
                cell(row.gmean), cell(row.iba), .count(row.support)
            ]
        }
        report.tables.append(
            Table(
                key: "imbalanced_report",
                caption:
                    "each class against the rest (imbalanced-learn's layout; geo = √(rec · spe), iba = (1 + 0.1 (rec − spe)) · rec · spe)",
                columns: [
                    Table.Column("class", nil, .left), Table.Column("precision", "pre"), Table.Column("recall", "rec"),
                    Table.Column("specificity", "spe"), Table.Column("f1"), Table.Column("gmean", "geo"),
                    Table.Column("iba"), Table.Column("support", "sup")
                ], rows: rows))
        if r.hasUndefined {
            report.notes.append(
                "undefined: a zero denominator (a class never predicted, or never present); counted as 0 in avg / total"
            )
        }
    }

    /// Adds an interval to every metric of an evaluation report: Wilson for proportions
    /// (accuracy, per-class precision and recall), BCa for the others, one seed for all.
    static func addIntervals(to report: inout Report, inv: Invocation, labelled: LabelledOutcomes) throws {
        let level = try IntervalCommands.checkedLevel(inv)
        let resamples = try IntervalCommands.checkedResamples(inv)
        let seed = inv.seed()
        var fallbacks: [String] = []
        func bca(_ metric: Metric, _ outcomes: Outcomes, _ what: String) throws -> MLEEvaluation.Interval? {
            do {
                let r = try Bootstrap.interval(
                    metric: metric, outcomes: outcomes, method: .bca, level: level,
                    resamples: resamples, seed: seed, stratified: false,
                    context: inv.context("bootstrap"))
                if r.fallbackReason != nil { fallbacks.append(what) }
                return r.interval
            } catch is IntervalError { return nil } catch is Cancelled { throw Interrupted() }
        }
        func text(_ i: MLEEvaluation.Interval?) -> String {
            guard let i else { return "—" }
            return "[\(Format.metric(i.low)), \(Format.metric(i.high))]"
        }
        func cell(_ i: MLEEvaluation.Interval?) -> Cell {
            guard let i else { return .missing("—") }
            return .interval(low: i.low, high: i.high, .metric)
        }
        /// The field's value gains its interval; people see the interval after the value.
        func widen(_ key: String, _ i: MLEEvaluation.Interval?, _ method: String) {
            guard let j = report.fields.firstIndex(where: { $0.key == key }) else { return }
            let f = report.fields[j]
            let shown = f.value.display + "  \(column) \(text(i)) (\(method))"
            if let i {
                report.fields[j].value = .shown(.estimate(i.estimate, low: i.low, high: i.high, .metric), as: shown)
            } else {
                report.fields[j].value = .shown(f.value.value, as: shown)
            }
        }
        let column = "\(Format.percent(level)) interval"
        switch labelled.outcomes {
        case .classification(let truth, let predicted, let k, _, _):
            let confusion = labelled.outcomes.confusion
            let acc = Metric.accuracy.proportionCounts(confusion: confusion, positive: 0)
                .flatMap { ProportionMethod.wilson.interval(successes: $0.0, trials: $0.1, level: level) }
            let macro = try bca(.macroF1, labelled.outcomes, "macro F1")
            let weighted = try bca(.weightedF1, labelled.outcomes, "weighted F1")
            widen("accuracy", acc, "Wilson")
            widen("macro_f1", macro, "BCa")
            widen("weighted_f1", weighted, "BCa")
            var rows: [[Cell]] = []
            for c in 0..<k {
                let oneVsRest = Outcomes.classification(
                    truth: truth, predicted: predicted, classCount: k, scores: nil, positive: c)
                let precision = Metric.precision.proportionCounts(confusion: confusion, positive: c)
                    .flatMap { ProportionMethod.wilson.interval(successes: $0.0, trials: $0.1, level: level) }
                let recall = Metric.recall.proportionCounts(confusion: confusion, positive: c)
                    .flatMap { ProportionMethod.wilson.interval(successes: $0.0, trials: $0.1, level: level) }
                let f1 = try bca(.f1, oneVsRest, "f1 of \(labelled.classNames[c])")
                rows.append([.text(labelled.classNames[c]), cell(precision), cell(recall), cell(f1)])
            }
            report.tables.insert(
                Table(
                    caption: "\(column)s (precision, recall: Wilson; f1: BCa, \(resamples) resamples, seed \(seed))",
                    header: ["class", "precision", "recall", "f1"], cells: rows,
                    alignments: [.left, .right, .right, .right], key: "class_intervals"), at: 1)
        case .regression:
            var map: [String: MLEEvaluation.Interval?] = [:]
            for (label, metric) in [("MSE", Metric.mse), ("RMSE", .rmse), ("MAE", .mae), ("R²", .r2)] {
                let i = try bca(metric, labelled.outcomes, label)
                map[label] = i
            }
            for (key, label) in [("mse", "MSE"), ("rmse", "RMSE"), ("mae", "MAE"), ("r2", "R²")] {
                widen(key, map[label] ?? nil, "BCa")
            }
            report.notes.append("intervals: BCa bootstrap, \(resamples) resamples, seed \(seed)")
        }
        if !fallbacks.isEmpty {
            report.notes.append(
                "BCa is undefined where every resample gives the same value (\(fallbacks.joined(separator: ", "))); the percentile interval is shown there"
            )
        }
    }

    static func evaluationReport(_ e: Evaluation, model: String, data: String, kind: String) -> Report {
        switch e {
        case .classification(let m):
            let facts = [
                Field(
                    "accuracy",
                    .shown(
                        .number(m.accuracy), as: "\(Format.metric(m.accuracy))  (\(m.correct) of \(m.total) correct)")),
                Field("macro_f1", "macro F1", .number(m.macroF1)),
                Field("weighted_f1", "weighted F1", .number(m.weightedF1)),
                Field("task", .text("classification"), audience: .machines),
                Field("rows", .count(m.total), audience: .machines),
                Field("correct", .count(m.correct), audience: .machines)
            ]
            let perClass = Table(
                header: ["class", "precision", "recall", "f1", "support"],
                cells: m.perClass.map {
                    [
                        .text($0.name), .number($0.precision), .number($0.recall),
                        .number($0.f1), .count($0.support)
                    ]
                }, key: "classes")
            var confusion = Table(
                caption: "confusion matrix (rows: actual, columns: predicted)",
                header: ["actual \\ predicted"] + m.classNames,
                cells: m.classNames.indices.map { i in [.text(m.classNames[i])] + m.confusion[i].map { .count(Int($0)) }
                },
                key: "confusion")
            confusion.columns[0].key = "actual"
            var notes: [String] = []
            if m.hasUndefined {
                notes.append(
                    "— undefined: the model never predicts that class (precision 0/0); counted as 0 in the F1 averages")
            }
            return Report(
                kind: "evaluation", title: "evaluate \(model) on \(data) (\(m.total) rows)",
                fields: facts, tables: [perClass, confusion], notes: notes)
        case .regression(let r):
            let facts = [
                Field("mse", "MSE", .number(r.mse)), Field("rmse", "RMSE", .number(r.rmse)),
                Field("mae", "MAE", .number(r.mae)), Field("r2", "R²", .number(r.r2)),
                Field("task", .text("regression"), audience: .machines),
                Field("rows", .count(r.count), audience: .machines)
            ]
            return Report(
                kind: "evaluation", title: "evaluate \(model) on \(data) (\(r.count) rows)", fields: facts,
                notes: r.r2 == nil ? ["— R² is undefined: the true values are all equal"] : [])
        }
    }

}
