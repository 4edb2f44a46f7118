import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

/// `drift`: does the current data still look like the reference data (Burkov ch. 9)? Per
/// column an effect size and a test, the verdict needing both; a classifier's view beside them
/// (adversarial validation); `by=` a batch column for drift batch by batch.
enum DriftCommand: Command {
    static let spec = CommandSpec(
        name: "drift",
        summary:
            "Data drift: per column an effect size (Wasserstein in SDs, PSI, total variation) and a test (KS, χ²), and a classifier's view",
        positionals: [
            ParamSpec("reference", .dataset, "the reference data (training data, say)", required: true),
            ParamSpec("current", .dataset, "the data to check (production data, say)", required: true)
        ],
        options: [
            ParamSpec(
                "by", .string,
                "a batch or time column of the current data: drift of each batch against the reference"),
            ParamSpec(
                "min_effect", .number,
                "the smallest effect called a shift: Wasserstein distance in reference SDs, or total variation",
                default: .number(0.1)),
            ParamSpec(
                "bins", .integer, "PSI: quantile bins of the reference; by=: bins of a numeric column",
                default: .number(10)),
            IntervalCommands.levelOption,
            .choice(
                "classifier", Classifier.self,
                "adversarial validation's classifier (none: leave it out)", default: .logistic),
            ParamSpec("seed", .integer, "random seed of the classifier's folds (default: the session seed)")
        ],
        returns: "a drift report",
        examples: [
            "drift train production",
            "drift train production by=month",
            "drift train test min_effect=0.2 classifier=none"
        ]
    ) { inv in try execute(inv) }

    enum Classifier: String, CaseIterable { case logistic, mlp, none }

    struct Options {
        var reference: Dataset
        var current: Dataset
        var by: String?
        var minEffect: Double
        var bins: Int
        var level: Double
        var classifier: Classifier
        var seed: UInt64
    }

    static func options(_ inv: Invocation) throws -> Options {
        Options(
            reference: try inv.dataset("reference"), current: try inv.dataset("current"), by: inv.string("by"),
            minEffect: try inv.declared("min_effect", Double.self), bins: try inv.declared("bins", Int.self),
            level: try inv.declared("level", Double.self), classifier: try inv.choice("classifier", Classifier.self),
            seed: inv.seed())
    }

    static func validate(_ o: Options, _ inv: Invocation) throws {
        try inv.check("bins", o.bins, in: 2...100)
        try inv.checkLevel(o.level)
        if !(o.minEffect >= 0 && o.minEffect.isFinite) {
            throw inv.error("min_effect is a distance of 0 or more", at: "min_effect")
        }
        if let by = o.by, !o.current.featureNames.contains(by) {
            throw UnknownNameError(kind: "column", name: by, known: o.current.featureNames, setting: "by")
        }
        if o.reference.rowCount == 0 { throw inv.error("the reference data has no rows", at: "reference") }
        if o.current.rowCount == 0 { throw inv.error("the current data has no rows", at: "current") }
        if Drift.sharedFeatures(o.reference, o.current, skip: Set([o.by].compactMap { $0 })).isEmpty {
            throw inv.error("the two sets share no feature column", at: "current")
        }
    }

    enum Verdict: String {
        case shifted, slight
        case none = ""
    }

    static func verdict(_ c: Drift.Column, _ o: Options) -> Verdict {
        guard c.adjustedP < 1 - o.level else { return .none }
        return c.effect >= o.minEffect ? .shifted : .slight
    }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        let skip = Set([o.by].compactMap { $0 })
        let columns: [Drift.Column]
        do {
            columns = try Drift.compare(
                o.reference, o.current, skip: skip, bins: o.bins, cancellation: inv.cancellation)
        } catch let e as LearningError {
            throw inv.error(e.description, at: "current")
        } catch is Cancelled { throw Interrupted() }
        let sorted = columns.sorted { ($0.effect, $1.name) > ($1.effect, $0.name) }
        let alpha = 1 - o.level
        let anyMissing = columns.contains { $0.referenceMissing > 0 || $0.currentMissing > 0 }
        var rows: [[Cell]] = []
        for c in sorted {
            let v = verdict(c, o)
            var row: [Cell] = [
                .text(c.name + (c.isTarget ? " (target)" : "")), .text(c.kind.rawValue),
                .number(c.effect, .metric), .text(c.kind == .numeric ? "W/SD" : "TV"),
                c.wasserstein.isNaN ? .missing("") : .number(c.wasserstein, .general),
                c.psi.isNaN ? .missing("—") : .number(c.psi, .metric), .count(c.psiBins),
                .text(c.test), .number(c.statistic, .metric), .number(c.p, .pValue), .number(c.adjustedP, .pValue),
                .text(v.rawValue)
            ]
            if anyMissing {
                row.append(
                    .shown(
                        .text("\(c.referenceMissing) → \(c.currentMissing)"),
                        as:
                            "\(NumberStyle.percent.text(c.referenceMissing)) → \(NumberStyle.percent.text(c.currentMissing))"
                    ))
            }
            row += [
                .number(c.referenceMissing, .metric), .number(c.currentMissing, .metric), .flag(c.exact),
                .count(c.referenceCount), .count(c.currentCount), .flag(c.isTarget)
            ]
            rows.append(row)
        }
        var tableColumns: [Table.Column] = [
            Table.Column("column", "column", .left), Table.Column("kind", audience: .machines),
            Table.Column("effect"), Table.Column("measure", "", .left),
            Table.Column("wasserstein", audience: .machines),
            Table.Column("psi", "PSI"), Table.Column("psi_bins", audience: .machines),
            Table.Column("test", "test", .left), Table.Column("statistic", audience: .machines),
            Table.Column("p", audience: .machines),
            Table.Column("adjusted_p", "p (Holm)"), Table.Column("verdict", "", .left)
        ]
        if anyMissing { tableColumns.append(Table.Column("missing_shift", "missing", audience: .people)) }
        tableColumns += [
            Table.Column("missing_reference", audience: .machines),
            Table.Column("missing_current", audience: .machines),
            Table.Column("exact", audience: .machines), Table.Column("reference_rows", audience: .machines),
            Table.Column("current_rows", audience: .machines), Table.Column("target", audience: .machines)
        ]
        var table = Table(
            key: "columns",
            caption:
                "columns, largest effect first (effect: Wasserstein distance in reference SDs, or total variation; test: KS or χ², Holm-adjusted over \(columns.count) columns)",
            columns: tableColumns, rows: rows)
        table.limit = 20
        table.moreHint = "set format json or csv gives all"

        let shifted = sorted.filter { verdict($0, o) == .shifted }
        let slight = sorted.filter { verdict($0, o) == .slight }
        let n = o.reference.rowCount, m = o.current.rowCount
        var fields: [Field] = [
            Field("reference_rows", "reference rows", .count(n)),
            Field("current_rows", "current rows", .count(m)),
            Field("columns_compared", "columns", .count(columns.count)),
            Field("shifted", .count(shifted.count)),
            Field("slight", .count(slight.count), audience: .machines),
            Field("min_effect", "min effect", .number(o.minEffect, .general)),
            Field("level", .number(o.level), audience: .machines),
            Field(
                "noise_ks", "noise alone reaches",
                .shown(
                    .number(Drift.noiseKS(alpha: alpha, n, m)),
                    as:
                        "KS \(Format.metric(Drift.noiseKS(alpha: alpha, n, m))), PSI \(Format.metric(Drift.noisePSI(alpha: alpha, bins: o.bins, n, m))) (\(o.bins) bins; \(Format.percent(o.level)) of the time, at these sizes)"
                )),
            Field("noise_psi", .number(Drift.noisePSI(alpha: alpha, bins: o.bins, n, m)), audience: .machines)
        ]
        var notes: [String] = []
        if o.classifier != .none {
            if let (auc, reading) = try adversarial(o, skip: skip, inv) {
                fields.append(Field("adversarial_auc", "classifier AUC", .number(auc)))
                notes.append(reading)
            }
        }
        let onlyOne =
            o.reference.featureNames.filter { !o.current.featureNames.contains($0) && !skip.contains($0) }
            + o.current.featureNames.filter { !o.reference.featureNames.contains($0) && !skip.contains($0) }
        if !onlyOne.isEmpty {
            notes.append("in one set only, not compared: \(onlyOne.prefix(8).joined(separator: ", "))")
        }
        notes.append(
            "a column has shifted when its test is significant after Holm's correction and its effect is at least \(Format.number(o.minEffect)); slight: significant, smaller (large samples find small differences). PSI over the reference's \(o.bins) quantile bins: 0.1 and 0.25 are the usual marks of a moderate and a major shift"
        )
        var tables = [table]
        if let by = o.by { tables.append(try batchTable(o, by: by, skip: skip, inv)) }
        let verdictText: String
        if !shifted.isEmpty {
            let names = shifted.prefix(4).map { "\($0.name) (\(Format.metric($0.effect)))" }
            verdictText =
                "\(shifted.count) of \(columns.count) columns shifted beyond noise and by at least \(Format.number(o.minEffect)): \(names.joined(separator: ", "))\(shifted.count > 4 ? ", …" : "")"
        } else if !slight.isEmpty {
            verdictText =
                "no column shifted by \(Format.number(o.minEffect)) or more; \(slight.count) differ beyond noise but slightly (largest: \(slight[0].name), \(Format.metric(slight[0].effect)))"
        } else {
            verdictText = "no column differs beyond noise: the current data looks like the reference"
        }
        return .report(
            Report(
                kind: "drift",
                title:
                    "drift of \(inv.names["current"] ?? o.current.name) against \(inv.names["reference"] ?? o.reference.name)",
                fields: fields, tables: tables, verdict: verdictText, notes: notes))
    }

    /// Adversarial validation on the shared columns: the classifier's out-of-fold AUC and its
    /// reading; nil when either set is too small for the folds.
    static func adversarial(_ o: Options, skip: Set<String>, _ inv: Invocation) throws -> (Double, String)? {
        let shared = Drift.sharedFeatures(o.reference, o.current, skip: skip)
        let folds = 5
        guard o.reference.rowCount >= folds, o.current.rowCount >= folds else { return nil }
        let context = ExecutionContext(cancellation: inv.cancellation, threads: inv.session.threads)
        let kind = o.classifier, seed = o.seed
        do {
            let a = try Drift.keeping(o.reference, shared), b = try Drift.keeping(o.current, shared)
            let r = try AdversarialValidation.run(a, b, folds: folds, seed: seed, cancellation: inv.cancellation) {
                data in
                if kind == .logistic {
                    return try LogisticTrainer.train(data, config: LogisticConfig(), context: context).model
                }
                var config = MLPConfig()
                config.hidden = [32]; config.epochs = 30; config.seed = seed
                config.classWeights = (data.balancedClassWeights ?? []).map(Float.init)
                return try MLPTrainer.train(data, config: config, context: context).model
            }
            if context.isCancelled { throw Interrupted() }
            let reading =
                r.alike
                ? "a \(kind.rawValue) classifier cannot tell the sets apart (out-of-fold AUC \(Format.metric(r.auc)), near 0.5)"
                : "a \(kind.rawValue) classifier tells current rows from reference rows (out-of-fold AUC \(Format.metric(r.auc)))"
            return (r.auc, reading)
        } catch let e as LearningError {
            throw inv.error("adversarial validation: \(e.description)", at: "classifier")
        } catch is Cancelled { throw Interrupted() }
    }

    /// Each batch of the current data against the reference: its rows, how many columns shifted
    /// or differ slightly, and the column with the largest effect.
    static func batchTable(_ o: Options, by: String, skip: Set<String>, _ inv: Invocation) throws -> Table {
        guard let j = o.current.featureNames.firstIndex(of: by) else {
            throw inv.error("no column '\(by)' in the current data", at: "by")
        }
        let (groups, ofRow) = Drift.batches(o.current, column: j, bins: o.bins)
        var rows: [[Cell]] = []
        for (g, group) in groups.enumerated() {
            if inv.cancellation.isCancelled { throw Interrupted() }
            let members = ofRow.indices.filter { ofRow[$0] == g }
            guard !members.isEmpty else { continue }
            let (label, condition) = SegmentReport.describe(group, column: by)
            let batch = try o.current.subset(members, name: label)
            let columns: [Drift.Column]
            do {
                columns = try Drift.compare(
                    o.reference, batch, skip: skip, bins: o.bins, cancellation: inv.cancellation)
            } catch let e as LearningError {
                throw inv.error(e.description, at: "by")
            } catch is Cancelled { throw Interrupted() }
            let top = columns.max { ($0.effect, $1.name) < ($1.effect, $0.name) }
            rows.append([
                .text(label), .count(members.count),
                .count(columns.filter { verdict($0, o) == .shifted }.count),
                .count(columns.filter { verdict($0, o) == .slight }.count),
                top.map { .text($0.name) } ?? .missing("—"), top.map { .number($0.effect, .metric) } ?? .missing("—"),
                top.map { .number($0.adjustedP, .pValue) } ?? .missing("—"), .text(condition)
            ])
        }
        return Table(
            key: "batches",
            caption:
                "each batch of \(by) against the reference (columns shifted and slight, Holm within the batch; the largest effect)",
            columns: [
                Table.Column("batch", "batch", .left), Table.Column("rows"), Table.Column("shifted"),
                Table.Column("slight"), Table.Column("largest", "largest effect", .left),
                Table.Column("effect"), Table.Column("adjusted_p", "p (Holm)"),
                Table.Column("condition", audience: .machines)
            ], rows: rows)
    }
}
