import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

/// `radius`: label robustness, the smallest perturbation that changes the predicted class,
/// bracketed between a certified and an attacked radius.
enum RadiusCommand: Command {
    static let spec = CommandSpec(
        name: "radius",
        summary:
            "Label robustness per example: the smallest perturbation that changes the predicted class lies in [certified, attacked]",
        positionals: [
            ParamSpec("model", .model, "the classifier network (an mlp)", required: true),
            ParamSpec("data", .dataset, "the examples to check", required: true)
        ],
        options: [
            .choice("norm", PerturbationNorm.self, "the norm distances are measured in", default: .l2),
            .choice(
                "units", RobustUnits.self,
                "distances in standardised feature units or in the data's own units", default: .standardized),
            ParamSpec("max", .number, "the largest radius searched", default: .number(10)),
            ParamSpec(
                "tolerance", .number, "bisection stops when an interval is this fraction of its upper end",
                default: .number(0.001)),
            ParamSpec("steps", .integer, "gradient steps of each attack restart", default: .number(50)),
            ParamSpec(
                "restarts", .integer, "attack restarts (the first from x, the others from random points in the ball)",
                default: .number(5)),
            ParamSpec("seed", .integer, "random seed of the attack starts (default: the session seed)"),
            ParamSpec(
                "exact", .bool,
                "narrow each bracket to the tolerance by bisection with complete checks (branch and bound over ReLU splits)",
                default: .bool(false)),
            ParamSpec("timeout", .number, "seconds per complete check (with exact)", default: .number(10)),
            ParamSpec("rows", .integer, "examples shown in the table", default: .number(20))
        ],
        returns: "a label-robustness report",
        examples: [
            "radius net test", "radius net test norm=linf units=raw max=5", "radius net test exact tolerance=0.01"
        ]
    ) { inv in try execute(inv) }
    .keepingPartialResults()

    struct Options {
        var net: MLP
        var data: Dataset
        var names: RobustCommands.Names
        var settings: RadiusSettings
        var rows: Int
    }

    static func options(_ inv: Invocation) throws -> Options {
        let net = try CoverageCommands.network(
            inv, purpose: "radius analyses a neural network's ReLU layers", reluOnly: true)
        let data = try inv.dataset("data")
        var s = RadiusSettings()
        s.norm = try inv.choice("norm", PerturbationNorm.self)
        s.units = try inv.choice("units", RobustUnits.self)
        s.maxRadius = try inv.declared("max", Double.self)
        s.tolerance = try inv.declared("tolerance", Double.self)
        s.steps = try inv.declared("steps", Int.self)
        s.restarts = try inv.declared("restarts", Int.self)
        s.seed = inv.seed()
        s.exact = try inv.declared("exact", Bool.self)
        s.exactTimeout = try inv.declared("timeout", Double.self)
        return Options(
            net: net, data: data,
            names: RobustCommands.Names(inv, data: data),
            settings: s, rows: max(try inv.declared("rows", Int.self), 0))
    }

    static func validate(_ o: Options, _ inv: Invocation) throws {
        guard o.net.task.isClassification else {
            throw inv.error(
                "radius needs a classifier: a regression network has no label to change; robust measures how far its prediction moves",
                at: "model")
        }
        guard o.settings.maxRadius > 0, o.settings.maxRadius.isFinite else {
            throw inv.error("max must be a number > 0", at: "max")
        }
        guard o.settings.tolerance >= 1e-6, o.settings.tolerance < 1 else {
            throw inv.error("tolerance must be between 1e-6 and 1", at: "tolerance")
        }
        try inv.check("steps", o.settings.steps, in: 1...100_000)
        try inv.check("restarts", o.settings.restarts, in: 1...10_000)
        guard o.settings.exactTimeout > 0, o.settings.exactTimeout <= 86_400 else {
            throw inv.error("timeout takes seconds in (0, 86400]", at: "timeout")
        }
        if inv.given("timeout"), !o.settings.exact {
            throw inv.error("timeout is the budget of each complete check: it goes with exact", at: "timeout")
        }
        guard o.data.rowCount > 0 else { throw inv.error("the data has no rows", at: "data") }
    }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        let x = try o.net.inputs(o.data)
        // Ctrl-C keeps every example's bracket as far as the bisection got (still sound).
        let (results, interrupted) = try LabelRadius.measureKeepingBrackets(
            o.net, x: x, settings: o.settings, context: inv.context("radius") { _, _ in "bisection" })
        var report = radiusReport(results, settings: o.settings, net: o.net, names: o.names, rows: o.rows)
        if interrupted {
            let wide = results.filter { r in
                let high = r.attacked ?? o.settings.maxRadius
                return high - r.certified > o.settings.tolerance * high
            }.count
            report.notes.append(
                "interrupted: every bracket is sound (certified radius proved, attacked one replayed), but \(wide) of \(results.count) are wider than the tolerance (run again to narrow them)"
            )
            report.fields.append(Field("interrupted", .flag(true), audience: .machines))
        }
        return .report(report)
    }

    static func radiusReport(
        _ results: [RadiusExample], settings s: RadiusSettings, net: MLP, names: RobustCommands.Names, rows limit: Int
    ) -> Report {
        let classNames: [String]
        if case .classification(let c) = net.task { classNames = c } else { classNames = [] }
        let n = results.count
        let norm = s.norm == .l2 ? "‖x′ − x‖₂" : "‖x′ − x‖∞"
        let units = RobustCommands.unitsText(s.units, net)
        func median(_ v: [Double]) -> String {
            let sorted = v.sorted()
            return sorted.isEmpty ? "—" : String(format: "%.4g", sorted[sorted.count / 2])
        }
        let attacked = results.compactMap(\.attacked)
        let gaps = results.compactMap { r in r.attacked.flatMap { $0 > 0 ? r.certified / $0 : nil } }
        func medianValue(_ v: [Double]) -> Double? { v.isEmpty ? nil : v.sorted()[v.count / 2] }
        func medianCell(_ v: [Double], _ text: String) -> Cell {
            medianValue(v).map { .shown(.number($0, .significant), as: text) } ?? .shown(.missing("—"), as: text)
        }
        var fields: [Field] = [
            Field("question", .text("the smallest \(norm) (\(units)) that changes the predicted class")),
            Field(
                "certified",
                medianCell(
                    results.map(\.certified),
                    "median \(median(results.map(\.certified))) — CROWN proves no smaller perturbation changes the class"
                )),
            Field(
                "attacked",
                medianCell(
                    attacked,
                    "median \(median(attacked)) — an input this far away changes it (\(attacked.count) of \(n) found within \(Format.number(s.maxRadius)))"
                )),
            Field(
                "gap",
                gaps.isEmpty
                    ? .missing("—")
                    : medianCell(
                        gaps, "median certified/attacked \(median(gaps)) (1 means the radius is known exactly)")),
            Field(
                "evidence",
                .text(
                    "bisection to \(Format.number(s.tolerance)) relative; attack: \(s.steps) steps × \(s.restarts) restarts on the best other class's margin"
                        + (s.exact
                            ? "; exact: then bisection with complete checks (branch and bound over ReLU splits, α,β-CROWN), \(Format.number(s.exactTimeout)) s each"
                            : ""))),
            Field("seed", .count(Int(truncatingIfNeeded: s.seed)))
        ]
        if attacked.count < n {
            fields.append(
                Field(
                    "not_found", "not found",
                    .shown(
                        .count(n - attacked.count),
                        as: "\(n - attacked.count) examples: no change found within max=\(Format.number(s.maxRadius))"))
            )
        }
        var notes: [String] = []
        if s.exact {
            let narrowed = results.filter { r in
                let high = r.attacked ?? s.maxRadius
                return high - r.certified <= s.tolerance * high || (r.attacked == nil && r.certified >= s.maxRadius)
            }.count
            let branches = results.reduce(0) { $0 + ($1.exact?.branches ?? 0) }
            fields.append(
                Field(
                    "exact",
                    .shown(
                        .count(narrowed),
                        as:
                            "\(narrowed) of \(n) brackets within the tolerance after complete checks (\(branches) branches in all)"
                    )))
            for r in results {
                guard let e = r.exact, let why = e.stopped else { continue }
                let reason: String
                switch why {
                case .timeBudget:
                    reason = "a check ran out of its \(Format.number(s.exactTimeout)) s (timeout= gives more)"
                case .memory: reason = "a check had too many sub-problems open"
                case .interrupted: reason = "interrupted"
                case .fixedButOpen: reason = "a check stayed within rounding of the decision"
                }
                notes.append("row \(r.row + 1): bisection stopped after \(e.checks) complete checks — \(reason)")
            }
        }
        var columns = [
            Table.Column("row"), Table.Column("predicted", nil, .left), Table.Column("certified", "certified ≥"),
            Table.Column("attacked", "attacked ≤"), Table.Column("changes_to", "changes to", .left)
        ]
        if s.exact { columns += [Table.Column("checks"), Table.Column("branches")] }
        columns.append(Table.Column("counterexample", audience: .machines))
        var table = Table(
            key: "examples", caption: "per example: the true radius lies in [certified, attacked]",
            columns: columns,
            rows: results.map { r in
                var row: [Cell] = [
                    .count(r.row + 1), .text(classNames[safe: r.label] ?? "\(r.label)"),
                    .number(r.certified, .significant),
                    .number(r.attacked, .significant, missing: "> \(Format.number(s.maxRadius))"),
                    r.flippedTo.map { .text(classNames[safe: $0] ?? "\($0)") } ?? .missing("—")
                ]
                if s.exact {
                    row += [
                        r.exact.map { .count($0.checks) } ?? .missing(""),
                        r.exact.map { .count($0.branches) } ?? .missing("")
                    ]
                }
                row.append(
                    r.counterexample.map { .vector($0.map { Double(String($0)) ?? Double($0) }) } ?? .missing(""))
                return row
            }, limit: limit)
        table.moreHint = "rows=N shows more; set format json or csv gives all"
        var report = Report(
            kind: "label_radius", title: "label robustness of \(names.model) on \(names.data) (\(n) examples)",
            fields: fields, tables: [table], notes: notes,
            extra: [
                (
                    "settings",
                    .object([
                        ("norm", .string(s.norm.rawValue)), ("units", .string(s.units.rawValue)),
                        ("max", .num(s.maxRadius)),
                        ("tolerance", .num(s.tolerance)), ("steps", .number(Double(s.steps))),
                        ("restarts", .number(Double(s.restarts))), ("seed", .number(Double(s.seed))),
                        ("exact", .bool(s.exact)), ("timeout", .num(s.exactTimeout))
                    ])
                )
            ])
        report.subjects = [("model", names.model), ("data", names.data)]
        return report
    }
}
