import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

/// `dropna`, `sample`, `filter`, `generate`, `check`: deriving and checking datasets.
enum DataPrepCommands {
    static let all = [sample, filter, dropna, relabel, generate, check]

    static let dropna = CommandSpec(
        name: "dropna",
        summary: "The rows without missing values (or without them in the given columns)",
        positionals: [ParamSpec("data", .dataset, "the dataset", required: true)],
        options: [ParamSpec("columns", .list(.string), "only look at these columns")],
        returns: "a dataset",
        examples: ["complete = dropna penguins", "known = dropna penguins columns=[sex]"]
    ) { inv in
        let d = try inv.dataset("data")
        var rows = d.completeRows
        if let cols = inv.stringList("columns") {
            let js = try cols.map { c -> Int in
                guard let j = d.featureNames.firstIndex(of: c) else { throw inv.error(noColumn(c, in: d), at: "columns") }
                return j
            }
            rows = (0..<d.rowCount).filter { r in !js.contains { d.features[r, $0].isNaN } }
        }
        inv.session.output.note("kept \(rows.count) of \(d.rowCount) rows")
        return .dataset(d.subset(rows, name: d.name))
    }

    static let relabel = CommandSpec(
        name: "relabel",
        summary: "Merge classes: keep the named classes and put every other row in one class (one-versus-rest data such as digits' 8 versus the rest)",
        positionals: [ParamSpec("data", .dataset, "a dataset with a class target", required: true)],
        options: [ParamSpec("keep", .list(.word), "the classes that keep their names", required: true),
                  ParamSpec("other", .string, "the name of the merged class", default: .string("rest"))],
        returns: "a dataset with the kept classes followed by the merged one",
        examples: ["eights = relabel digits keep=[8]", "pair = relabel digits keep=[3, 8] other=others"]
    ) { inv in
        let d = try inv.dataset("data")
        guard case .classes(let labels, let names)? = d.target else { throw inv.error("relabel needs a class target", at: "data") }
        guard case .list(let items)? = inv.value("keep"), !items.isEmpty else { throw inv.error("keep= names at least one class, e.g. keep=[8]", at: "keep") }
        let keep = try items.map { v -> Int in
            let name: String
            switch v {
            case .number(let x): name = Format.number(x)
            case .string(let t), .symbol(let t): name = t
            default: throw inv.error("keep= takes class names", at: "keep")
            }
            guard let k = names.firstIndex(of: name) else {
                let hint = Suggest.closest(to: name, in: names).map { "; did you mean '\($0)'?" } ?? ""
                throw inv.error("no class '\(name)'\(hint) (classes: \(names.joined(separator: ", ")))", at: "keep")
            }
            return k
        }
        let other = inv.string("other") ?? "rest"
        guard !keep.map({ names[$0] }).contains(other) else { throw inv.error("'\(other)' is a kept class; choose another name for the rest", at: "other") }
        guard Set(keep).count < names.count else { throw inv.error("every class is kept; nothing is left to merge", at: "keep") }
        var unique: [Int] = []
        for k in keep where !unique.contains(k) { unique.append(k) }
        let newNames = unique.map { names[$0] } + [other]
        let map = names.indices.map { unique.firstIndex(of: $0) ?? unique.count }
        var out = d
        out.target = .classes(labels: labels.map { map[$0] }, names: newNames)
        return .dataset(out)
    }

    static let sample = CommandSpec(
        name: "sample",
        summary: "A random sample of rows (Burkov ch. 3): simple, systematic or stratified, by fraction or count",
        positionals: [ParamSpec("data", .dataset, "the dataset to sample from", required: true)],
        options: [
            ParamSpec("fraction", .number, "share of rows to keep, between 0 and 1"),
            ParamSpec("count", .integer, "number of rows to keep"),
            ParamSpec("method", .choice(RowSampler.Method.allCases.map(\.rawValue)),
                      "simple: every subset equally likely; systematic: every k-th row from a random start; stratified: classes keep their shares",
                      default: .symbol("simple")),
            ParamSpec("class", .list(.string), "sample only these classes' rows and keep every other row (derive an imbalanced set)"),
            ParamSpec("seed", .integer, "random seed (default: the session seed, then advanced)"),
        ],
        returns: "a dataset, rows in their original order",
        examples: ["small = sample data fraction=0.1 method=stratified seed=1",
                   "imbalanced = sample data class=malignant fraction=0.1 seed=1",
                   "every10 = sample data count=50 method=systematic"]
    ) { inv in
        let d = try inv.dataset("data")
        let size: RowSampler.Size
        switch (inv.number("fraction"), inv.int("count")) {
        case (let f?, nil):
            guard f > 0, f <= 1 else { throw inv.error("fraction must be in (0, 1]", at: "fraction") }
            size = .fraction(f)
        case (nil, let c?):
            guard c >= 0 else { throw inv.error("count must be ≥ 0", at: "count") }
            size = .count(c)
        case (.some, .some): throw inv.error("give fraction= or count=, not both", at: "count")
        case (nil, nil): throw inv.error("give fraction=F or count=N")
        }
        let method = RowSampler.Method(rawValue: inv.string("method") ?? "") ?? .simple
        var labels: [Int]?
        if case .classes(let l, _)? = d.target { labels = l }
        if method == .stratified, labels == nil {
            throw inv.error("stratified sampling needs a class target; \(d.target == nil ? "this dataset has none" : "this one holds numbers")", at: "method")
        }
        var candidates = Array(0..<d.rowCount)
        var kept: [Int] = []
        if let classes = inv.stringList("class") {
            guard case .classes(let l, let names)? = d.target else { throw inv.error("class= needs a class target", at: "class") }
            let ks = try classes.map { c -> Int in
                guard let k = names.firstIndex(of: c) else {
                    let hint = Suggest.closest(to: c, in: names).map { "; did you mean '\($0)'?" } ?? ""
                    throw inv.error("no class '\(c)'\(hint) (classes: \(names.joined(separator: ", ")))", at: "class")
                }
                return k
            }
            candidates = candidates.filter { ks.contains(l[$0]) }
            kept = (0..<d.rowCount).filter { !ks.contains(l[$0]) }
        }
        let drawn = try RowSampler.draw(candidates, size: size, method: method, labels: labels, seed: inv.seed())
        let rows = (kept + drawn).sorted()
        return .dataset(d.subset(rows, name: d.name))
    }

    static let filter = CommandSpec(
        name: "filter",
        summary: "The rows that satisfy a condition, such as \"island == Dream and bill_length_mm > 40\"",
        positionals: [ParamSpec("data", .dataset, "the dataset", required: true),
                      ParamSpec("where", .string, "clauses COLUMN OP VALUE (OP: < <= > >= == !=; VALUE a number, a category or missing), joined by 'and'", required: true)],
        returns: "a dataset",
        examples: ["benign = filter data \"diagnosis == benign\"", "big = filter penguins \"body_mass_g >= 4000 and sex != missing\""]
    ) { inv in
        let d = try inv.dataset("data")
        do {
            let rows = try RowCondition.parse(inv.string("where") ?? "").rows(of: d)
            return .dataset(d.subset(rows, name: d.name))
        } catch let e as LearningError {
            throw inv.error(e.description, at: "where")
        }
    }

    static let generate = CommandSpec(
        name: "generate",
        summary: "A seeded synthetic dataset: classification, regression, two moons or blobs",
        positionals: [ParamSpec("kind", .choice(["classification", "regression", "moons", "blobs"]), "what to generate", required: true)],
        options: [
            ParamSpec("rows", .integer, "number of rows", default: .number(1000)),
            ParamSpec("features", .integer, "number of feature columns (moons: always 2)", default: .number(10)),
            ParamSpec("informative", .integer, "features that carry the signal; the rest are noise", default: .number(2)),
            ParamSpec("classes", .integer, "number of classes (blobs: number of centres)", default: .number(2)),
            ParamSpec("weights", .list(.number), "class shares, e.g. [0.9, 0.1] for a 9:1 imbalance"),
            ParamSpec("separation", .number, "classification: class centres at ±separation on each informative axis", default: .number(1)),
            ParamSpec("noise", .number, "regression: sd of the target's noise; moons, blobs: sd of the points", default: .number(0)),
            ParamSpec("seed", .integer, "random seed (default: the session seed, then advanced)"),
        ],
        returns: "a dataset",
        examples: ["toy = generate classification rows=2000 features=8 informative=3 weights=[0.9, 0.1] seed=1",
                   "moons = generate moons rows=500 noise=0.1", "r = generate regression features=5 informative=2 noise=0.5"]
    ) { inv in
        var s = Generator.Settings()
        s.rows = inv.int("rows") ?? 1000
        s.features = inv.int("features") ?? 10
        s.informative = inv.int("informative") ?? 2
        s.classes = inv.int("classes") ?? 2
        s.separation = inv.number("separation") ?? 1
        s.noise = inv.number("noise") ?? 0
        s.seed = inv.seed()
        if case .list(let items)? = inv.value("weights") {
            s.weights = items.compactMap { if case .number(let v) = $0 { return v } else { return nil } }
        }
        guard s.rows >= 1, s.rows <= 10_000_000 else { throw inv.error("rows must be between 1 and 10000000", at: "rows") }
        guard s.features >= 1, s.rows * s.features <= 100_000_000 else { throw inv.error("features must be ≥ 1 with rows × features ≤ 100000000", at: "features") }
        guard s.noise >= 0, s.noise.isFinite else { throw inv.error("noise must be ≥ 0", at: "noise") }
        guard s.classes >= 1, s.classes <= 1000 else { throw inv.error("classes must be between 1 and 1000", at: "classes") }
        guard s.separation.isFinite else { throw inv.error("separation must be a number", at: "separation") }
        do {
            switch inv.string("kind") {
            case "regression": return .dataset(try Generator.regression(s).0)
            case "moons": return .dataset(try Generator.moons(s))
            case "blobs": return .dataset(try Generator.blobs(s).0)
            default: return .dataset(try Generator.classification(s))
            }
        } catch let e as LearningError {
            throw inv.error(e.description)
        }
    }

    static let check = CommandSpec(
        name: "check",
        summary: "Check a dataset (Burkov ch. 3): class balance, missing values, constant columns, duplicates, correlated pairs, possible leakage, train/test overlap",
        positionals: [ParamSpec("data", .dataset, "the dataset (the training set)", required: true),
                      ParamSpec("test", .dataset, "a test set: report rows it shares with the first")],
        options: [
            ParamSpec("correlation", .number, "report feature pairs with |Pearson r| at or above this", default: .number(0.95)),
            ParamSpec("leakage", .number, "report single features whose score reaches this: accuracy of the majority class per bin or level (classes), |r| (numbers)",
                      default: .number(0.95)),
        ],
        returns: "a data-check report",
        examples: ["check data", "check train test"]
    ) { inv in
        let d = try inv.dataset("data")
        let test = inv.has("test") ? try inv.dataset("test") : nil
        let corr = inv.number("correlation") ?? 0.95, leak = inv.number("leakage") ?? 0.95
        guard corr > 0, corr <= 1 else { throw inv.error("correlation must be in (0, 1]", at: "correlation") }
        guard leak > 0, leak <= 1 else { throw inv.error("leakage must be in (0, 1]", at: "leakage") }
        let c: DataCheck
        do { c = try DataCheck.run(d, test: test, correlation: corr, leakage: leak) } catch let e as LearningError { throw inv.error(e.description, at: "test") }
        return .report(checkReport(c, name: inv.names["data"] ?? d.name, testName: inv.names["test"] ?? test?.name, correlation: corr, leakage: leak))
    }

    static func checkReport(_ c: DataCheck, name: String, testName: String?, correlation: Double, leakage: Double) -> Report {
        var facts: [(String, String)] = [("rows", "\(c.rows)")]
        var warnings = 0
        if let counts = c.classCounts {
            facts.append(("classes", counts.map { "\($0.0) \($0.1)" }.joined(separator: ", ")))
            if let r = c.imbalanceRatio {
                let reading = r >= 4 ? " — imbalanced: look at balanced accuracy, recall per class and the imbalance remedies" : ""
                if r >= 4 { warnings += 1 }
                facts.append(("imbalance", String(format: "%.2f : 1", r) + reading))
            } else if counts.contains(where: { $0.1 == 0 }) {
                facts.append(("imbalance", "a class has no rows"))
                warnings += 1
            }
        }
        facts.append(("missing values", c.missingCells == 0 ? "none" : "\(c.missingCells) cells"))
        facts.append(("constant columns", c.constantColumns.isEmpty ? "none" : c.constantColumns.joined(separator: ", ")))
        warnings += c.constantColumns.isEmpty ? 0 : 1
        var duplicate = "none"
        if c.duplicateRows > 0, let f = c.firstDuplicate {
            duplicate = "\(c.duplicateRows) rows repeat an earlier row (first: row \(f.row + 1) repeats row \(f.of + 1))"
            warnings += 1
        }
        facts.append(("duplicate rows", duplicate))
        if let s = c.sharedWithTest {
            facts.append(("shared with \(testName ?? "test")", s == 0 ? "none" : "\(s) test rows equal a training row — they inflate test scores"))
            warnings += s == 0 ? 0 : 1
        }
        var tables: [Table] = []
        if !c.correlatedPairs.isEmpty {
            tables.append(Table(caption: "feature pairs with |r| ≥ \(Format.number(correlation)) (one of each pair may be redundant)",
                                header: ["feature", "feature", "r"],
                                rows: c.correlatedPairs.prefix(20).map { [$0.a, $0.b, String(format: "%.4f", $0.correlation)] },
                                alignments: [.left, .left, .right]))
        }
        if !c.strongPredictors.isEmpty {
            warnings += 1
            tables.append(Table(caption: "features that alone nearly predict the target (possible leakage: is each known at prediction time?)",
                                header: ["feature", "score", "without features"],
                                rows: c.strongPredictors.map { [$0.feature, String(format: "%.4f", $0.score), String(format: "%.4f", $0.baseline)] }))
        }
        var notes: [String] = []
        if c.correlatedPairs.count > 20 { notes.append("… \(c.correlatedPairs.count - 20) more pairs; set format json gives all") }
        notes.append(warnings == 0 ? "no problems found" : "\(warnings) thing\(warnings == 1 ? "" : "s") to look at")
        var json: [(String, JSON)] = [("report", .string("check")), ("rows", .number(Double(c.rows))),
                                      ("missing_cells", .number(Double(c.missingCells))),
                                      ("constant_columns", .array(c.constantColumns.map { .string($0) })),
                                      ("duplicate_rows", .number(Double(c.duplicateRows))),
                                      ("correlated_pairs", .array(c.correlatedPairs.map { .object([("a", .string($0.a)), ("b", .string($0.b)), ("r", .num($0.correlation))]) })),
                                      ("strong_predictors", .array(c.strongPredictors.map { .object([("feature", .string($0.feature)), ("score", .num($0.score)), ("baseline", .num($0.baseline))]) }))]
        if let counts = c.classCounts { json.append(("classes", .object(counts.map { ($0.0, .number(Double($0.1))) }))) }
        if let r = c.imbalanceRatio { json.append(("imbalance_ratio", .num(r))) }
        if let s = c.sharedWithTest { json.append(("shared_with_test", .number(Double(s)))) }
        return Report(kind: "check", title: "check \(name)", facts: facts, tables: tables, notes: notes, json: .object(json))
    }

    static func noColumn(_ c: String, in d: Dataset) -> String {
        let hint = Suggest.closest(to: c, in: d.featureNames).map { "; did you mean '\($0)'?" } ?? ""
        return "no column named '\(c)'\(hint)"
    }
}
