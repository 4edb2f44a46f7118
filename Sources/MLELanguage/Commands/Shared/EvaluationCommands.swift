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
        var facts: [(String, String)] = [("balanced accuracy", Format.metric(Metric.balancedAccuracy.value(of: o))),
                                         ("G-mean", Format.metric(Metric.gmean.value(of: o))),
                                         ("MCC", Format.metric(Metric.mcc.value(of: o)))]
        var extra: [(String, JSON)] = [("balanced_accuracy", Metric.balancedAccuracy.value(of: o).map { .num($0) } ?? .null),
                                       ("gmean", Metric.gmean.value(of: o).map { .num($0) } ?? .null),
                                       ("mcc", Metric.mcc.value(of: o).map { .num($0) } ?? .null)]
        if let p = labelled.positiveName {
            for (label, metric) in [("AP", Metric.averagePrecision), ("ROC-AUC", .auc)] {
                let v = metric.value(of: o)
                facts.append(("\(label) (\(p))", v.map(Format.metric) ?? "undefined"))
                extra.append((metric.rawValue, v.map { .num($0) } ?? .null))
            }
        }
        report.facts += facts
        func cell(_ v: Double?) -> String { v.map(Format.metric) ?? "undefined" }
        let rows = (r.rows + [r.average]).map { row in
            [row.name, cell(row.precision), cell(row.recall), cell(row.specificity), cell(row.f1), cell(row.gmean), cell(row.iba), "\(row.support)"]
        }
        report.tables.append(Table(caption: "each class against the rest (imbalanced-learn's layout; geo = √(rec · spe), iba = (1 + 0.1 (rec − spe)) · rec · spe)",
                                   header: ["class", "pre", "rec", "spe", "f1", "geo", "iba", "sup"], rows: rows))
        if r.hasUndefined {
            report.notes.append("undefined: a zero denominator (a class never predicted, or never present); counted as 0 in avg / total")
        }
        func json(_ row: ImbalancedClassRow) -> JSON {
            .object([("name", .string(row.name)), ("precision", row.precision.map { .num($0) } ?? .null),
                     ("recall", row.recall.map { .num($0) } ?? .null), ("specificity", row.specificity.map { .num($0) } ?? .null),
                     ("f1", row.f1.map { .num($0) } ?? .null), ("gmean", row.gmean.map { .num($0) } ?? .null),
                     ("iba", row.iba.map { .num($0) } ?? .null), ("support", .number(Double(row.support)))])
        }
        extra.append(("imbalanced_report", .array(r.rows.map(json) + [json(r.average)])))
        if case .object(let fields) = report.json { report.json = .object(fields + extra) }
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
                let r = try Bootstrap.interval(metric: metric, outcomes: outcomes, method: .bca, level: level,
                                               resamples: resamples, seed: seed, stratified: false,
                                               cancellation: inv.cancellation)
                if r.fallbackReason != nil { fallbacks.append(what) }
                return r.interval
            } catch is IntervalError { return nil } catch is Cancelled { throw Interrupted() }
        }
        func text(_ i: MLEEvaluation.Interval?) -> String {
            guard let i else { return "—" }
            return "[\(Format.metric(i.low)), \(Format.metric(i.high))]"
        }
        func json(_ i: MLEEvaluation.Interval?) -> JSON {
            guard let i else { return .null }
            return .array([.num(i.low), .num(i.high)])
        }
        let column = "\(Format.percent(level)) interval"
        var extra: [(String, JSON)] = [("interval_level", .num(level)), ("interval_resamples", .number(Double(resamples))),
                                       ("interval_seed", .number(Double(seed)))]
        switch labelled.outcomes {
        case .classification(let truth, let predicted, let k, _, _):
            let confusion = labelled.outcomes.confusion
            let acc = Metric.accuracy.proportionCounts(confusion: confusion, positive: 0)
                .flatMap { ProportionMethod.wilson.interval(successes: $0.0, trials: $0.1, level: level) }
            let macro = try bca(.macroF1, labelled.outcomes, "macro F1")
            let weighted = try bca(.weightedF1, labelled.outcomes, "weighted F1")
            report.facts = report.facts.map { fact in
                switch fact.0 {
                case "accuracy": return (fact.0, fact.1 + "  \(column) \(text(acc)) (Wilson)")
                case "macro F1": return (fact.0, fact.1 + "  \(column) \(text(macro)) (BCa)")
                case "weighted F1": return (fact.0, fact.1 + "  \(column) \(text(weighted)) (BCa)")
                default: return fact
                }
            }
            extra += [("accuracy_interval", json(acc)), ("macro_f1_interval", json(macro)),
                      ("weighted_f1_interval", json(weighted))]
            var perClass: [JSON] = []
            var rows: [[String]] = []
            for c in 0..<k {
                let oneVsRest = Outcomes.classification(truth: truth, predicted: predicted, classCount: k, scores: nil, positive: c)
                let precision = Metric.precision.proportionCounts(confusion: confusion, positive: c)
                    .flatMap { ProportionMethod.wilson.interval(successes: $0.0, trials: $0.1, level: level) }
                let recall = Metric.recall.proportionCounts(confusion: confusion, positive: c)
                    .flatMap { ProportionMethod.wilson.interval(successes: $0.0, trials: $0.1, level: level) }
                let f1 = try bca(.f1, oneVsRest, "f1 of \(labelled.classNames[c])")
                rows.append([labelled.classNames[c], text(precision), text(recall), text(f1)])
                perClass.append(.object([("name", .string(labelled.classNames[c])), ("precision", json(precision)),
                                         ("recall", json(recall)), ("f1", json(f1))]))
            }
            report.tables.insert(Table(caption: "\(column)s (precision, recall: Wilson; f1: BCa, \(resamples) resamples, seed \(seed))",
                                       header: ["class", "precision", "recall", "f1"], rows: rows,
                                       alignments: [.left, .right, .right, .right]), at: 1)
            extra.append(("class_intervals", .array(perClass)))
        case .regression:
            var map: [String: MLEEvaluation.Interval?] = [:]
            for (label, metric) in [("MSE", Metric.mse), ("RMSE", .rmse), ("MAE", .mae), ("R²", .r2)] {
                let i = try bca(metric, labelled.outcomes, label)
                map[label] = i
                extra.append(("\(metric.rawValue)_interval", json(i)))
            }
            report.facts = report.facts.map { fact in
                guard let i = map[fact.0] else { return fact }
                return (fact.0, fact.1 + "  \(column) \(text(i)) (BCa)")
            }
            report.notes.append("intervals: BCa bootstrap, \(resamples) resamples, seed \(seed)")
        }
        if !fallbacks.isEmpty {
            report.notes.append("BCa is undefined where every resample gives the same value (\(fallbacks.joined(separator: ", "))); the percentile interval is shown there")
        }
        if case .object(let fields) = report.json { report.json = .object(fields + extra) }
    }

    /// The variable name an argument was written as, for report titles.
    static func argumentName(_ inv: Invocation, _ param: String) -> String? {
        inv.names[param]
    }

    static func evaluationReport(_ e: Evaluation, model: String, data: String, kind: String) -> Report {
        switch e {
        case .classification(let m):
            let facts: [(String, String)] = [
                ("accuracy", "\(Format.metric(m.accuracy))  (\(m.correct) of \(m.total) correct)"),
                ("macro F1", Format.metric(m.macroF1)),
                ("weighted F1", Format.metric(m.weightedF1)),
            ]
            let perClass = Table(header: ["class", "precision", "recall", "f1", "support"],
                                 rows: m.perClass.map { [$0.name, Format.metric($0.precision), Format.metric($0.recall),
                                                         Format.metric($0.f1), "\($0.support)"] })
            let confusion = Table(caption: "confusion matrix (rows: actual, columns: predicted)",
                                  header: ["actual \\ predicted"] + m.classNames,
                                  rows: m.classNames.indices.map { i in [m.classNames[i]] + m.confusion[i].map(String.init) })
            var notes: [String] = []
            if m.hasUndefined {
                notes.append("— undefined: the model never predicts that class (precision 0/0); counted as 0 in the F1 averages")
            }
            let json = JSON.object([
                ("report", .string("evaluation")), ("model", .string(model)), ("data", .string(data)),
                ("task", .string("classification")), ("rows", .number(Double(m.total))),
                ("accuracy", .num(m.accuracy)), ("correct", .number(Double(m.correct))),
                ("macro_f1", .num(m.macroF1)), ("weighted_f1", .num(m.weightedF1)),
                ("classes", .array(m.perClass.map {
                    .object([("name", .string($0.name)), ("precision", .num($0.precision)), ("recall", .num($0.recall)),
                             ("f1", .num($0.f1)), ("support", .number(Double($0.support)))])
                })),
                ("confusion", .object([("labels", .array(m.classNames.map { .string($0) })),
                                       ("matrix", .array(m.confusion.map { .array($0.map { .number(Double($0)) }) }))])),
            ])
            return Report(kind: "evaluation", title: "evaluate \(model) on \(data) (\(m.total) rows)",
                          facts: facts, tables: [perClass, confusion], notes: notes, json: json)
        case .regression(let r):
            let facts: [(String, String)] = [("MSE", Format.metric(r.mse)), ("RMSE", Format.metric(r.rmse)),
                                             ("MAE", Format.metric(r.mae)), ("R²", Format.metric(r.r2))]
            let json = JSON.object([
                ("report", .string("evaluation")), ("model", .string(model)), ("data", .string(data)),
                ("task", .string("regression")), ("rows", .number(Double(r.count))),
                ("mse", .num(r.mse)), ("rmse", .num(r.rmse)), ("mae", .num(r.mae)), ("r2", .num(r.r2)),
            ])
            return Report(kind: "evaluation", title: "evaluate \(model) on \(data) (\(r.count) rows)", facts: facts,
                          notes: r.r2 == nil ? ["— R² is undefined: the true values are all equal"] : [], json: json)
        }
    }

}
