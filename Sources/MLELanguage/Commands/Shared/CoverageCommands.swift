import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

/// `coverage`: neuron coverage, the book's model-adequacy test (Burkov ch. 7), and the
/// DeepXplore and DeepGauge criteria beside it.
enum CoverageCommands {
    static let criterionChoices = ["all"] + CoverageCriterion.allCases.map(\.rawValue)

    /// The `model` argument as an MLP, or an error naming what the command needs.
    static func network(_ inv: Invocation, purpose: String, lacks: String = "", reluOnly: Bool = false) throws -> MLP {
        let m = try inv.model("model")
        guard let net = m.model as? MLP else {
            throw inv.error(
                "\(purpose); '\(inv.names["model"] ?? m.model.kind)' is \(Format.withArticle(m.model.kind)) model\(lacks)",
                at: "model")
        }
        if reluOnly, net.activation != .relu, net.layers.count > 1 {
            throw inv.error(
                "\(purpose); '\(inv.names["model"] ?? "the model")' uses \(net.activation.rawValue) (its relaxations are not implemented yet)",
                at: "model")
        }
        return net
    }

    /// `layers=`: hidden, all, a layer number or a list of them (1-based, as users see them).
    static func layers(_ inv: Invocation, _ net: MLP) throws -> [Int]? {
        let count = net.layers.count
        func number(_ v: Value) throws -> Int {
            guard case .number(let x) = v, x == x.rounded(), x >= 1, x <= Double(count) else {
                throw inv.error(
                    "layers are numbered 1 to \(count) (\(count) is the output layer); got \(v.summary)", at: "layers")
            }
            return Int(x) - 1
        }
        switch inv.value("layers") {
        case .symbol("hidden")?, .string("hidden")?, nil: return nil
        case .symbol("all")?, .string("all")?: return Array(0..<count)
        case .number?: return [try number(inv.value("layers") ?? .none)]
        case .list(let items)?: return try items.map(number)
        case let v?:
            throw inv.error("layers takes hidden, all or layer numbers like [1, 2]; got \(v.summary)", at: "layers")
        }
    }

    /// The analysis of one dataset: its features in the model's order and its classes mapped
    /// to the model's (a class the model does not know is always predicted wrongly).
    static func analyse(_ net: MLP, _ data: Dataset, settings: CoverageSettings, profile: UnitProfile?) throws
        -> CoverageAnalysis
    {
        let x = try net.inputs(data)
        var truth: [Int]?
        switch (net.task, data.target) {
        case (.classification(let names), .classes(let labels, let dataNames)?):
            let index = Dictionary(names.enumerated().map { ($0.element, $0.offset) }, uniquingKeysWith: { a, _ in a })
            truth = labels.map { index[dataNames[$0]] ?? -1 }
        case (.classification, .values?):
            throw LearningError.invalid(
                "the model is a classifier but the target '\(data.targetName ?? "")' holds numbers")
        case (.classification, nil):
            if settings.inputs == .correct {
                throw LearningError.invalid(
                    "the book's loop needs the true class of each input; the data has no target (give inputs=all to count every input)"
                )
            }
        default: break
        }
        return try Coverage.analyse(net, x: x, truth: truth, settings: settings, profile: profile)
    }

    static func unitName(_ u: NetworkUnit) -> String { "\(u.layer + 1):\(u.index + 1)" }

    /// "post-activation value > 0", "pre-activation value min-max scaled within its layer > 0.25".
    static func ruleText(_ s: CoverageSettings) -> String {
        let kind = s.values == .post ? "post-activation value" : "pre-activation value"
        switch s.rule {
        case .threshold(let t): return "\(kind) > \(Format.number(Double(t)))"
        case .scaled(let t):
            return "\(kind), min-max scaled within its layer for each input, > \(Format.number(Double(t))) (DeepXplore)"
        }
    }

    static func layersText(_ a: CoverageAnalysis, outputLayer: Int) -> String {
        let names = a.layers.map { $0 == outputLayer ? "\($0 + 1) (output)" : "\($0 + 1)" }
        return (a.layers.count == 1 ? "layer " : "layers ") + names.joined(separator: ", ") + " (\(a.units) units)"
    }

    static func criterionSetting(_ c: CoverageCriterion, _ s: CoverageSettings) -> String {
        switch c {
        case .neuron:
            let kind = s.values == .post ? "value" : "pre-activation value"
            switch s.rule {
            case .threshold(let t): return "\(kind) > \(Format.number(Double(t)))"
            case .scaled(let t): return "\(kind) scaled in layer > \(Format.number(Double(t)))"
            }
        case .kmnc: return "k = \(s.sections) sections of the training range"
        case .nbc: return "above or below the training range"
        case .snac: return "above the training range"
        case .tknc: return "k = \(s.top) largest of each layer"
        }
    }

    static func shown(_ a: CoverageAnalysis, _ criterion: String) -> [CriterionResult] {
        a.criteria.filter { criterion == "all" || $0.criterion.rawValue == criterion }
    }

    static func coverageReport(
        _ a: CoverageAnalysis, net: MLP, model: String, data: String, criterion: String,
        dead: [NetworkUnit]?, deadSource: String, hasProfile: Bool
    ) -> Report {
        let s = a.settings
        let outputLayer = net.layers.count - 1
        let inputsText =
            s.inputs == .correct ? "correctly predicted inputs only (the book)" : "every input, right or wrong"
        var facts: [Field] = []
        let stopText: String
        if a.reachedTarget {
            stopText = "target \(Format.percent(s.target)) reached after \(a.examplesUsed) of \(a.examples) examples"
        } else {
            stopText = "target \(Format.percent(s.target)) not reached with all \(a.examples) examples"
        }
        facts.append(
            Field(
                "coverage", "neuron coverage",
                .shown(
                    .number(a.coverage), as: "\(percent(a.coverage)) (\(a.covered) of \(a.units) units); \(stopText)")))
        if s.inputs == .correct {
            facts.append(
                Field(
                    "examples_used", "examples fed",
                    .shown(
                        .count(a.examplesUsed),
                        as:
                            "\(a.examplesUsed), of which \(a.skippedWrong) predicted wrongly and skipped (\(a.wrong) wrong in all)"
                    )))
        } else {
            facts.append(
                Field(
                    "examples_used", "examples fed",
                    .shown(
                        .count(a.examplesUsed),
                        as: "\(a.examplesUsed), of which \(a.skippedWrong) predicted wrongly, counted too")))
        }
        facts.append(.text("activated means", ruleText(s)))
        facts.append(.text("counted", "\(layersText(a, outputLayer: outputLayer)); \(inputsText)"))
        facts.append(
            Field("seed", "order", .shown(.count(Int(truncatingIfNeeded: s.seed)), as: "random, seed \(s.seed)")))
        if let dead {
            facts.append(
                Field(
                    "dead_units", "dead units",
                    .shown(
                        .count(dead.count),
                        as: dead.isEmpty
                            ? "none (every unit activates on some training row)"
                            : "\(dead.count): \(list(dead)) — never activated (by the rule above) \(deadSource)")))
        } else {
            facts.append(
                Field(
                    "dead_units", "dead units",
                    .missing(
                        hasProfile
                            ? "not known for rule=scaled without train=DATA"
                            : "not known: the model keeps no training profile; give train=DATA")))
        }

        var perLayer: [[Cell]] = []
        for (i, l) in a.layers.enumerated() {
            let missing = a.uncovered.filter { $0.layer == l }
            perLayer.append([
                .shown(.count(l + 1), as: "\(l + 1)" + (l == outputLayer ? " (output)" : "")), .count(a.widths[i]),
                .count(a.coveredPerLayer[i]),
                .number(Double(a.coveredPerLayer[i]) / Double(max(a.widths[i], 1)), .percent),
                missing.isEmpty
                    ? .missing("—")
                    : .text(list(missing.map { NetworkUnit(layer: $0.layer, index: $0.index) }, layerPrefix: false))
            ])
        }
        let layerTable = Table(
            caption: "per layer, when the loop stopped (units numbered from 1)",
            header: ["layer", "units", "covered", "coverage", "never covered"], cells: perLayer,
            alignments: [.left, .right, .right, .right, .left], key: "layers")
        let criteria = shown(a, criterion)
        var criteriaTable = Table(
            caption: "criteria over all \(a.examples) examples (same order and inputs)",
            header: ["criterion", "setting", "covered", "of", "coverage", "final after"],
            cells: criteria.map { c in
                [
                    .shown(.text(c.criterion.rawValue), as: c.criterion.title), .text(criterionSetting(c.criterion, s)),
                    .count(c.covered), .count(c.total),
                    .number(c.value, .percent),
                    c.covered == 0
                        ? .missing("—")
                        : .shown(
                            .count(c.examplesToFinal),
                            as: c.examplesToFinal == 1 ? "1 example" : "\(c.examplesToFinal) examples"),
                    .flag(c.saturatesEarly), .vector(c.curve.map(Double.init))
                ]
            }, alignments: [.left, .left, .right, .right, .right, .right], key: "criteria")
        var notes: [String] = []
        for c in criteria where c.saturatesEarly {
            notes.append(
                "\(c.criterion.title) reached its final value after \(c.examplesToFinal) of \(c.curve.count) examples (within the first 1%): at these settings it is too weak to tell test sets apart"
            )
        }
        if !hasProfile {
            notes.append(
                "k-multisection, boundary and strong-activation coverage need each unit's range on the training set; give train=DATA"
            )
        }
        if a.degenerateRanges > 0, hasProfile {
            notes.append(
                "\(a.degenerateRanges) unit(s) take a single value on the training set; their k-multisection sections cannot be hit"
            )
        }
        criteriaTable.columns[3].key = "total"
        criteriaTable.columns[5].key = "examples_to_final"
        criteriaTable.columns += [
            Table.Column("saturates_early", audience: .machines), Table.Column("curve", audience: .machines)
        ]
        facts += [
            Field("examples", .count(a.examples), audience: .machines),
            Field("wrong", .count(a.wrong), audience: .machines),
            Field("skipped_wrong", .count(a.skippedWrong), audience: .machines),
            Field("units", .count(a.units), audience: .machines),
            Field("covered", .count(a.covered), audience: .machines),
            Field("reached_target", .flag(a.reachedTarget), audience: .machines),
            Field("growth", .vector(a.growth), audience: .machines)
        ]
        var tables = [
            layerTable, criteriaTable,
            unitTable("uncovered", a.uncovered.map { NetworkUnit(layer: $0.layer, index: $0.index) })
        ]
        if let dead { tables.append(unitTable("dead", dead)) }
        return Report(
            kind: "coverage", title: "coverage of \(model) on \(data)", fields: facts,
            tables: tables, notes: notes, extra: [("settings", settingsJSON(a))])
    }

    /// The settings a coverage analysis ran with, echoed for machines.
    static func settingsJSON(_ a: CoverageAnalysis) -> JSON {
        let s = a.settings
        let threshold: Double
        switch s.rule {
        case .threshold(let t), .scaled(let t): threshold = Double(t)
        }
        let rule: String
        if case .scaled = s.rule { rule = "scaled" } else { rule = "threshold" }
        return .object([
            ("rule", .string(rule)), ("threshold", .num(threshold)),
            ("values", .string(s.values.rawValue)), ("inputs", .string(s.inputs.rawValue)),
            ("layers", .array(a.layers.map { .number(Double($0 + 1)) })),
            ("target", .num(s.target)), ("sections", .number(Double(s.sections))), ("top", .number(Double(s.top))),
            ("seed", .number(Double(s.seed)))
        ])
    }

    /// Units as a table for machines: layer and unit, numbered from 1.
    static func unitTable(_ key: String, _ units: [NetworkUnit]) -> Table {
        var t = Table(
            key: key, columns: [Table.Column("layer"), Table.Column("unit")],
            rows: units.map { [.count($0.layer + 1), .count($0.index + 1)] })
        t.audience = .machines
        return t
    }

    /// Neuron coverage after each of all the examples (not stopped at the target).
    static func curve(_ a: CoverageAnalysis) -> [Double] {
        guard let neuron = a.criteria.first(where: { $0.criterion == .neuron }), neuron.total > 0 else { return [] }
        return neuron.curve.map { Double($0) / Double(neuron.total) }
    }

    static func versusTable(_ a: CoverageAnalysis, _ b: CoverageAnalysis, names: (String, String), criterion: String)
        -> Table
    {
        let rows = shown(a, criterion).map { ca -> [Cell] in
            let cb = b.criteria.first { $0.criterion == ca.criterion }
            return [
                .text(ca.criterion.title), .number(ca.value, .percent),
                ca.covered == 0 ? .missing("—") : .count(ca.examplesToFinal),
                cb.map { .number($0.value, .percent) } ?? .missing("—"),
                cb.map { $0.covered == 0 ? .missing("—") : .count($0.examplesToFinal) } ?? .missing("—")
            ]
        }
        return Table(
            key: "versus",
            caption: "\(names.0) (\(a.examples) examples) versus \(names.1) (\(b.examples) examples), same settings",
            columns: [
                Table.Column("criterion", nil, .left), Table.Column("coverage_a", names.0),
                Table.Column("final_after_a", "final after"),
                Table.Column("coverage_b", names.1), Table.Column("final_after_b", "final after")
            ], rows: rows)
    }

    static func versusReading(_ a: CoverageAnalysis, _ b: CoverageAnalysis, names: (String, String)) -> String {
        let fa = a.criteria[0], fb = b.criteria[0]
        if fb.covered == fa.covered {
            return
                "\(names.1) covers as many units as \(names.0) (\(percent(fb.value))): by neuron coverage it is as adequate"
        }
        if fb.covered > fa.covered {
            return "\(names.1) covers more units than \(names.0) (\(percent(fb.value)) against \(percent(fa.value)))"
        }
        let missing = Set(a.uncovered.map(\.self))
        let lost = b.uncovered.filter { !missing.contains($0) }
        return
            "\(names.1) covers fewer units than \(names.0) (\(percent(fb.value)) against \(percent(fa.value)); \(fa.covered - fb.covered) fewer"
            + (lost.isEmpty ? ")" : ": \(list(lost))) — by neuron coverage it is less adequate")
    }

    static func addSearch(
        to report: inout Report, inv: Invocation, net: MLP, data: Dataset, analysis: CoverageAnalysis,
        profile: UnitProfile?
    ) throws {
        guard let profile else {
            throw inv.error(
                "the search stays inside the feature ranges seen in training; this model keeps none, so give train=DATA",
                at: "search")
        }
        var settings = UnitSearchSettings()
        settings.steps = (try inv.declared("steps", Int.self))
        settings.stepSize = Float((try inv.declared("step", Double.self)))
        settings.starts = (try inv.declared("starts", Int.self))
        guard settings.steps >= 1, settings.steps <= 100_000 else {
            throw inv.error("steps must be between 1 and 100000", at: "steps")
        }
        guard settings.stepSize > 0, settings.stepSize.isFinite else {
            throw inv.error("step must be a positive number", at: "step")
        }
        guard settings.starts >= 1 else { throw inv.error("starts must be at least 1", at: "starts") }
        let limit = max((try inv.declared("limit", Int.self)), 0)
        let units = Array(analysis.uncovered.prefix(limit))
        let x = try net.inputs(data)
        let found = try UnitSearch.search(
            net, x: x, units: units, rule: analysis.settings.rule, values: analysis.settings.values,
            box: (profile.featureLow, profile.featureHigh), settings: settings,
            context: inv.context("search"))
        let classNames: [String] = { if case .classification(let n) = net.task { return n } else { return [] } }()
        func prediction(_ v: Double) -> String {
            classNames.isEmpty ? Format.number(v) : (classNames[safe: Int(v)] ?? "?")
        }
        func moved(_ f: FoundInput) -> String {
            // The features that moved most, in standardised units.
            var deltas: [(delta: Float, feature: Int)] = []
            for j in 0..<f.input.count {
                let delta: Float = (f.input[j] - f.start[j]) / net.standardizer.scale[j]
                if abs(delta) > 1e-6 { deltas.append((delta, j)) }
            }
            deltas.sort { abs($0.delta) > abs($1.delta) }
            let parts: [String] = deltas.prefix(3).map { d in
                net.featureNames[d.feature] + " " + String(format: "%+.2f", Double(d.delta))
            }
            return parts.isEmpty ? "—" : parts.joined(separator: ", ")
        }
        let rows = found.map { f -> [Cell] in
            [
                .text(unitName(f.unit)), .flag(f.found), .count(f.startRow + 1),
                .number(Double(f.startValue), .significant),
                .shown(
                    .number(Double(f.value), .significant), as: String(format: "%.3g → %.3g", f.startValue, f.value)),
                .number(Double(f.distance), .decimals(3)),
                .shown(
                    .text(prediction(f.after)),
                    as: "\(prediction(f.before)) → \(prediction(f.after))" + (f.predictionChanged ? " (changed)" : "")),
                .flag(f.predictionChanged), .text(moved(f)), .count(f.steps), .vector(f.input.map(Double.init))
            ]
        }
        let foundCount = found.filter(\.found).count
        if !rows.isEmpty {
            report.tables.append(
                Table(
                    caption:
                        "search for inputs that activate uncovered units (layer:unit; distance in standardised units; inside the training feature ranges)",
                    header: [
                        "unit", "found", "from row", "start value", "value", "distance", "prediction", "changed",
                        "features moved most (sd)"
                    ],
                    cells: rows, alignments: [.left, .left, .right, .right, .right, .right, .left, .left, .left],
                    key: "search"))
            report.tables[report.tables.count - 1].columns[3].audience = .machines
            report.tables[report.tables.count - 1].columns[7].audience = .machines
            report.tables[report.tables.count - 1].columns += [
                Table.Column("steps", audience: .machines), Table.Column("input", audience: .machines)
            ]
        }
        if analysis.uncovered.count > units.count {
            report.notes.append(
                "searched \(units.count) of \(analysis.uncovered.count) uncovered units; raise limit= to search more")
        }
        if units.isEmpty {
            report.notes.append("search: every counted unit is covered; nothing to search for")
        } else {
            report.notes.append(
                "search: \(foundCount) of \(found.count) units activated; \(found.filter { $0.found && $0.predictionChanged }.count) of those inputs change the prediction; gradient ascent, \(settings.steps) steps of \(Format.number(Double(settings.stepSize))), \(settings.starts) starts per unit"
            )
        }
        if let path = inv.string("to") {
            let header = ["layer", "unit", "found", "from_row", "prediction"] + net.featureNames
            let table = Table(
                header: header,
                rows: found.map { f in
                    [
                        "\(f.unit.layer + 1)", "\(f.unit.index + 1)", f.found ? "yes" : "no", "\(f.startRow + 1)",
                        prediction(f.after)
                    ]
                        + f.input.map { Format.number(Double($0)) }
                })
            do {
                try AtomicFile.write(Data((table.csv() + "\n").utf8), to: path)
            } catch {
                throw inv.error("cannot write '\(path)': \(error.localizedDescription)", at: "to")
            }
            inv.session.output.note("wrote \(found.count) searched inputs to \(path)")
        }
    }

    static func percent(_ v: Double) -> String { String(format: "%.1f%%", v * 100) }

    /// "1:3, 2:7, … (12 more)" — layer:unit, 1-based.
    static func list(_ units: [NetworkUnit], layerPrefix: Bool = true, max: Int = 12) -> String {
        let shown = units.prefix(max).map { layerPrefix ? unitName($0) : "\($0.index + 1)" }.joined(separator: ", ")
        return units.count > max ? shown + ", … (\(units.count - max) more)" : shown
    }
}
