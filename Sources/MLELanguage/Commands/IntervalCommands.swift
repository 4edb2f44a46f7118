import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

/// `interval`, `compare`, `abtest`, `bandit`: statistical intervals and comparisons (Burkov ch. 7).
enum IntervalCommands {
    static let all = [interval, compare, abtest, bandit]

    static let methodChoices = ["auto"] + ProportionMethod.allCases.map(\.rawValue)
        + BootstrapMethod.allCases.map(\.rawValue) + ["delong"]

    /// Options shared by every command about a metric (`interval`, `compare`, `cvtest`, `retrain`).
    static let metricOption = ParamSpec("metric", .choice(Metric.allCases.map(\.rawValue)), "the metric", default: .symbol("accuracy"))
    static let levelOption = ParamSpec("level", .number, "confidence level", default: .number(0.95))
    static let positiveOption = ParamSpec("positive", .string,
                                          "the class one-vs-rest metrics are about (default: the second of two classes)")

    static let commonOptions = [
        levelOption,
        ParamSpec("resamples", .integer, "bootstrap resamples", default: .number(9999)),
        ParamSpec("seed", .integer, "random seed of the resampling (default: the session seed)"),
        ParamSpec("stratify", .bool, "resample each true class within itself", default: .bool(false)),
        positiveOption,
    ]

    static let interval = CommandSpec(
        name: "interval",
        summary: "Confidence interval of a metric on a test set: binomial, bootstrap (percentile, basic, BCa) or DeLong",
        positionals: [ParamSpec("model", .model, "the model", required: true),
                      ParamSpec("data", .dataset, "the test data", required: true)],
        options: [metricOption,
                  ParamSpec("method", .choice(methodChoices),
                            "auto: wilson for proportions (accuracy, error, recall, precision, specificity), bca otherwise",
                            default: .symbol("auto"))]
            + commonOptions
            + [ParamSpec("histogram", .bool, "show the bootstrap distribution as a terminal histogram", default: .bool(false))],
        returns: "an interval report",
        examples: ["interval net test metric=accuracy method=wilson",
                   "interval net test metric=f1 method=bca resamples=9999 seed=1",
                   "interval net test metric=auc method=delong"]
    ) { inv in
        let m = try inv.model("model")
        let d = try inv.dataset("data")
        let metric = Metric(rawValue: inv.string("metric") ?? "accuracy") ?? .accuracy
        let level = try checkedLevel(inv)
        let labelled = try outcomes(inv, m.model, d, metric: metric)
        var method = inv.string("method") ?? "auto"
        if method == "auto" { method = metric.isProportion ? "wilson" : "bca" }
        let n = labelled.outcomes.count
        var facts: [(String, String)] = []
        var json: [(String, JSON)] = [("report", .string("interval")), ("metric", .string(metric.rawValue))]
        var notes: [String] = []
        var tables: [Table] = []
        let result: MLEEvaluation.Interval
        if let pm = ProportionMethod(rawValue: method) {
            guard metric.isProportion, let (x, trials) = metric.proportionCounts(confusion: labelled.outcomes.confusion,
                                                                                 positive: positiveIndex(labelled)) else {
                throw inv.error("method=\(method) is for proportions (accuracy, error, recall, precision, specificity); use method=bca for \(metric.rawValue)", at: "method")
            }
            guard let r = pm.interval(successes: x, trials: trials, level: level) else {
                throw inv.error("\(metric.rawValue) is undefined here: its denominator is 0")
            }
            result = r
            facts.append(("counts", "\(x) of \(trials)"))
            json += [("successes", .number(Double(x))), ("trials", .number(Double(trials)))]
            if pm == .wald, r.low < 0 || r.high > 1 {
                notes.append("the Wald interval leaves [0, 1] here; prefer method=wilson")
            }
        } else if method == "delong" {
            guard metric == .auc, case .classification(let truth, _, _, let scores?, let positive) = labelled.outcomes else {
                throw inv.error("method=delong is for metric=auc", at: "method")
            }
            guard let (r, se) = DeLong.interval(truth: truth.map { $0 == positive }, scores: scores, level: level) else {
                throw inv.error("AUC needs both positive and negative examples in the data")
            }
            result = r
            facts.append(("standard error", Format.metric(se)))
            json.append(("standard_error", .num(se)))
        } else {
            let bm = BootstrapMethod(rawValue: method) ?? .bca
            let resamples = try checkedResamples(inv)
            let seed = inv.seed()
            let progress = inv.session.progress
            progress.start("bootstrap", total: 1)
            defer { progress.finish() }
            let b: BootstrapResult
            do {
                b = try Bootstrap.interval(metric: metric, outcomes: labelled.outcomes, method: bm, level: level,
                                           resamples: resamples, seed: seed, stratified: inv.bool("stratify"),
                                           cancellation: inv.cancellation)
            } catch is Cancelled { throw Interrupted() }
            result = b.interval
            facts.append(("resamples", "\(resamples)" + (inv.bool("stratify") ? ", stratified by class" : "")))
            facts.append(("seed", "\(seed)"))
            json += [("resamples", .number(Double(resamples))), ("seed", .number(Double(seed))),
                     ("stratified", .bool(inv.bool("stratify")))]
            if let reason = b.fallbackReason { notes.append(reason); method = b.method.rawValue }
            if let z0 = b.biasCorrection, let a = b.acceleration {
                facts.append(("BCa z0, a", "\(Format.metric(z0)), \(Format.metric(a))"))
                json += [("bias_correction", .num(z0)), ("acceleration", .num(a))]
            }
            if b.undefinedReplicates > 0 {
                notes.append("\(b.undefinedReplicates) resamples left \(metric.rawValue) undefined and were left out")
            }
            json.append(("undefined_resamples", .number(Double(b.undefinedReplicates))))
            if inv.bool("histogram") {
                let h = histogram(b.replicates, bins: 20)
                tables.append(h.table)
                json.append(("histogram", h.json))
            }
        }
        let label = metric.needsPositiveClass ? "\(metric.rawValue) (\(labelled.positiveName ?? "?"))" : metric.rawValue
        facts.insert(contentsOf: [
            (label, Format.metric(result.estimate)),
            ("\(Format.percent(level)) interval", "[\(Format.metric(result.low)), \(Format.metric(result.high))]"),
            ("method", method), ("N", "\(n)"),
        ], at: 0)
        json += [("estimate", .num(result.estimate)), ("low", .num(result.low)), ("high", .num(result.high)),
                 ("method", .string(method)), ("level", .num(level)), ("n", .number(Double(n)))]
        if let p = labelled.positiveName, metric.needsPositiveClass { json.append(("positive", .string(p))) }
        let title = "interval of \(metric.rawValue) for \(inv.names["model"] ?? m.model.kind) on \(inv.names["data"] ?? d.name)"
        return .report(Report(kind: "interval", title: title, facts: facts, tables: tables, notes: notes, json: .object(json)))
    }

    static func checkedLevel(_ inv: Invocation) throws -> Double {
        let level = inv.number("level") ?? 0.95
        guard level > 0, level < 1 else { throw inv.error("level must be between 0 and 1, e.g. 0.95", at: "level") }
        return level
    }

    static func checkedResamples(_ inv: Invocation) throws -> Int {
        let r = inv.int("resamples") ?? 9999
        guard r >= 100, r <= 10_000_000 else { throw inv.error("resamples must be between 100 and 10000000", at: "resamples") }
        return r
    }

    static func positiveIndex(_ l: LabelledOutcomes) -> Int {
        if case .classification(_, _, _, _, let p) = l.outcomes { return p }
        return 0
    }

    /// The model's outcomes on the data, checked against what the metric needs.
    static func outcomes(_ inv: Invocation, _ model: any Model, _ d: Dataset, metric: Metric) throws -> LabelledOutcomes {
        let labelled = try Outcomes.of(model, on: d, positive: inv.string("positive"))
        switch labelled.outcomes {
        case .regression:
            guard metric.isRegression else {
                throw inv.error("\(metric.rawValue) is a classification metric; the model predicts numbers (use mse, rmse, mae or r2)", at: "metric")
            }
        case .classification:
            guard !metric.isRegression else {
                throw inv.error("\(metric.rawValue) is a regression metric; the model predicts classes", at: "metric")
            }
            if metric.needsPositiveClass, labelled.positiveName == nil {
                throw inv.error("\(metric.rawValue) is about one class: add positive=CLASS (one of \(labelled.classNames.joined(separator: ", ")))")
            }
        }
        return labelled
    }

    /// A text histogram of values in `bins` equal bins.
    static func histogram(_ values: [Double], bins: Int) -> (table: Table, json: JSON) {
        guard let lo = values.first, let hi = values.last else { return (Table(header: [], rows: []), .null) }
        let width = hi > lo ? (hi - lo) / Double(bins) : 1
        var counts = [Int](repeating: 0, count: hi > lo ? bins : 1)
        for v in values { counts[min(counts.count - 1, Int((v - lo) / width))] += 1 }
        let top = counts.max() ?? 1
        let rows = counts.indices.map { i -> [String] in
            let start = lo + Double(i) * width
            let bar = String(repeating: "█", count: max(counts[i] > 0 ? 1 : 0, 40 * counts[i] / max(top, 1)))
            return [Format.metric(start), "\(counts[i])", bar]
        }
        let json = JSON.object([("edges", .array((0...counts.count).map { .num(lo + Double($0) * width) })),
                                ("counts", .array(counts.map { .number(Double($0)) }))])
        return (Table(caption: "bootstrap distribution", header: ["from", "count", ""], rows: rows,
                      alignments: [.right, .right, .left]), json)
    }

    static let compare = CommandSpec(
        name: "compare",
        summary: "Paired comparison of two models on one test set: bootstrap interval of the difference, McNemar, DeLong",
        positionals: [ParamSpec("a", .model, "the first model (the reference)", required: true),
                      ParamSpec("b", .model, "the second model", required: true),
                      ParamSpec("data", .dataset, "the test data both are scored on", required: true)],
        options: [metricOption] + commonOptions,
        returns: "a comparison report with a one-line verdict",
        examples: ["compare base net test", "compare net1 net2 test metric=auc"]
    ) { inv in
        let a = try inv.model("a"), b = try inv.model("b")
        let d = try inv.dataset("data")
        let metric = Metric(rawValue: inv.string("metric") ?? "accuracy") ?? .accuracy
        let level = try checkedLevel(inv)
        let resamples = try checkedResamples(inv)
        let la = try outcomes(inv, a.model, d, metric: metric)
        let lb = try outcomes(inv, b.model, d, metric: metric)
        guard la.classNames == lb.classNames else {
            throw inv.error("the two models know different classes (\(la.classNames.joined(separator: ", ")) and \(lb.classNames.joined(separator: ", ")))")
        }
        let seed = inv.seed()
        let result: PairedComparison
        do {
            result = try PairedComparison.compare(la.outcomes, lb.outcomes, metric: metric, level: level, resamples: resamples,
                                                  seed: seed, stratified: inv.bool("stratify"), cancellation: inv.cancellation)
        } catch is Cancelled { throw Interrupted() }
        let nameA = inv.names["a"] ?? "a", nameB = inv.names["b"] ?? "b"
        let scale = metric.isRegression ? 1.0 : 100.0
        let unit = metric.isRegression ? "" : " points"
        func signed(_ v: Double) -> String { (v >= 0 ? "+" : "") + String(format: metric.isRegression ? "%.4g" : "%.1f", v * scale) }
        let diff = result.difference
        var facts: [(String, String)] = [
            ("\(metric.rawValue) of \(nameA)", Format.metric(result.valueA)),
            ("\(metric.rawValue) of \(nameB)", Format.metric(result.valueB)),
            ("difference \(nameB) − \(nameA)", "\(Format.metric(diff.estimate))  \(Format.percent(level)) paired bootstrap [\(Format.metric(diff.low)), \(Format.metric(diff.high))]"),
            ("resamples, seed", "\(resamples), \(seed)"),
        ]
        var json: [(String, JSON)] = [("report", .string("compare")), ("metric", .string(metric.rawValue)),
                                      ("a", .string(nameA)), ("b", .string(nameB)), ("value_a", .num(result.valueA)),
                                      ("value_b", .num(result.valueB)), ("difference", .num(diff.estimate)),
                                      ("low", .num(diff.low)), ("high", .num(diff.high)), ("level", .num(level)),
                                      ("resamples", .number(Double(resamples))), ("seed", .number(Double(seed))),
                                      ("n", .number(Double(la.outcomes.count)))]
        var evidence = ""
        var significantTest: Bool?
        if let mc = result.mcnemar {
            facts.append(("McNemar (accuracy)", "only \(nameA) right \(mc.onlyA), only \(nameB) right \(mc.onlyB); exact \(Format.p(mc.exactP)), χ² = \(Format.metric(mc.chiSquare)) \(Format.p(mc.chiSquareP))"))
            json.append(("mcnemar", .object([("only_a", .number(Double(mc.onlyA))), ("only_b", .number(Double(mc.onlyB))),
                                             ("exact_p", .num(mc.exactP)), ("chi_square", .num(mc.chiSquare)),
                                             ("chi_square_p", .num(mc.chiSquareP))])))
            if metric == .accuracy || metric == .error {
                evidence = ", McNemar \(Format.p(mc.exactP))"
                significantTest = mc.exactP < 1 - level
            }
        }
        if let dl = result.delong {
            facts.append(("DeLong", "AUC difference \(Format.metric(dl.difference)), z = \(Format.metric(dl.z)), \(Format.p(dl.p))"))
            json.append(("delong", .object([("difference", .num(dl.difference)), ("standard_error", .num(dl.standardError)),
                                            ("z", .num(dl.z)), ("p", .num(dl.p))])))
            evidence = ", DeLong \(Format.p(dl.p))"
            significantTest = dl.p < 1 - level
        }
        // Lower is better for errors; higher for everything else.
        let lowerIsBetter = [Metric.error, .mse, .rmse, .mae].contains(metric)
        let intervalExcludesZero = diff.low > 0 || diff.high < 0
        let detectable = intervalExcludesZero && (significantTest ?? true)
        let verdict: String
        if detectable {
            let bBetter = (diff.estimate > 0) != lowerIsBetter
            verdict = "\(bBetter ? nameB : nameA) is better on \(metric.rawValue): \(signed(diff.estimate))\(unit) [\(signed(diff.low)), \(signed(diff.high))]\(evidence)"
        } else {
            verdict = "no detectable difference on \(metric.rawValue): \(signed(diff.estimate))\(unit) [\(signed(diff.low)), \(signed(diff.high))]\(evidence)"
        }
        json.append(("verdict", .string(verdict)))
        return .report(Report(kind: "compare", title: "compare \(nameA) and \(nameB) on \(inv.names["data"] ?? d.name) (\(la.outcomes.count) rows)",
                              facts: facts, notes: [verdict], json: .object(json)))
    }

    static let abtest = CommandSpec(
        name: "abtest",
        summary: "A/B test: G-test on yes/no counts, or a two-sample z-test on a numeric outcome column",
        positionals: [ParamSpec("data", .dataset, "per-user rows: the target names the group (two groups), outcome= a column")],
        options: [ParamSpec("a", .list(.integer), "successes and trials of group a, e.g. a=[120, 2000]"),
                  ParamSpec("b", .list(.integer), "successes and trials of group b"),
                  ParamSpec("outcome", .string, "the outcome column of DATA (0/1 values: G-test; other numbers: z-test)"),
                  levelOption],
        returns: "an A/B test report",
        examples: ["abtest a=[120, 2000] b=[152, 2000]", "abtest visits outcome=converted"]
    ) { inv in
        let level = try checkedLevel(inv)
        if let a = inv.intList("a"), let b = inv.intList("b") {
            guard a.count == 2, b.count == 2 else { throw inv.error("a= and b= take [successes, trials]", at: "a") }
            return .report(try gTestReport(inv, a[0], a[1], b[0], b[1], level: level, names: ("a", "b")))
        }
        guard case .dataset(let d)? = inv.value("data"), let column = inv.string("outcome") else {
            throw inv.error("give counts (a=[successes, trials] b=[...]) or a dataset with outcome=COLUMN")
        }
        guard case .classes(let labels, let names)? = d.target, names.count == 2 else {
            throw inv.error("the dataset's target must name two groups (load it with target=GROUP)", at: "data")
        }
        guard let j = d.featureNames.firstIndex(of: column) else {
            let hint = Suggest.closest(to: column, in: d.featureNames).map { "; did you mean '\($0)'?" } ?? ""
            throw inv.error("no column '\(column)'\(hint)", at: "outcome")
        }
        guard d.columnKinds[j].isNumeric else {
            throw inv.error("'\(column)' is categorical; the outcome must be 0/1 or a number", at: "outcome")
        }
        var groups: [[Double]] = [[], []]
        // Rows without an outcome are left out.
        for r in 0..<d.rowCount where !d.features[r, j].isNaN { groups[labels[r]].append(Double(d.features[r, j])) }
        if groups.joined().allSatisfy({ $0 == 0 || $0 == 1 }) {
            let s = groups.map { Int($0.reduce(0, +)) }
            return .report(try gTestReport(inv, s[0], groups[0].count, s[1], groups[1].count, level: level,
                                           names: (names[0], names[1])))
        }
        guard let z = ABTest.zTest(groups[0], groups[1], level: level) else {
            throw inv.error("each group needs at least two rows")
        }
        let facts: [(String, String)] = [
            ("mean of \(names[0])", Format.metric(z.meanA)), ("mean of \(names[1])", Format.metric(z.meanB)),
            ("difference", "\(Format.metric(z.difference.estimate))  \(Format.percent(level)) [\(Format.metric(z.difference.low)), \(Format.metric(z.difference.high))]"),
            ("z", Format.metric(z.z)), ("p", Format.pValue(z.p)),
        ]
        let verdict = z.p < 1 - level ? "\(z.difference.estimate > 0 ? names[1] : names[0]) has the higher mean (\(Format.p(z.p)))"
            : "no detectable difference in means (\(Format.p(z.p)))"
        return .report(Report(kind: "abtest", title: "z-test of \(column) between \(names[0]) and \(names[1])", facts: facts,
                              notes: [verdict],
                              json: .object([("report", .string("abtest")), ("test", .string("z")), ("mean_a", .num(z.meanA)),
                                             ("mean_b", .num(z.meanB)), ("difference", .num(z.difference.estimate)),
                                             ("low", .num(z.difference.low)), ("high", .num(z.difference.high)),
                                             ("z", .num(z.z)), ("p", .num(z.p)), ("verdict", .string(verdict))])))
    }

    static func gTestReport(_ inv: Invocation, _ sa: Int, _ na: Int, _ sb: Int, _ nb: Int, level: Double,
                            names: (String, String)) throws -> Report {
        guard let g = ABTest.gTest(successesA: sa, trialsA: na, successesB: sb, trialsB: nb) else {
            throw inv.error("counts must be 0 ≤ successes ≤ trials with trials > 0")
        }
        // Effect: difference of rates with a Wald interval.
        let d = g.rateB - g.rateA
        let se = (g.rateA * (1 - g.rateA) / Double(na) + g.rateB * (1 - g.rateB) / Double(nb)).squareRoot()
        let z = Distributions.normalQuantile(1 - (1 - level) / 2)
        let facts: [(String, String)] = [
            ("rate of \(names.0)", "\(Format.metric(g.rateA))  (\(sa) of \(na))"),
            ("rate of \(names.1)", "\(Format.metric(g.rateB))  (\(sb) of \(nb))"),
            ("difference", "\(Format.metric(d))  \(Format.percent(level)) [\(Format.metric(d - z * se)), \(Format.metric(d + z * se))]"),
            ("G", Format.metric(g.g)), ("p", Format.pValue(g.p)),
        ]
        let verdict = g.p < 1 - level ? "\(d > 0 ? names.1 : names.0) converts better (G-test \(Format.p(g.p)))"
            : "no detectable difference in rates (G-test \(Format.p(g.p)))"
        return Report(kind: "abtest", title: "G-test of \(names.0) against \(names.1)", facts: facts, notes: [verdict],
                      json: .object([("report", .string("abtest")), ("test", .string("g")), ("rate_a", .num(g.rateA)),
                                     ("rate_b", .num(g.rateB)), ("difference", .num(d)), ("low", .num(d - z * se)),
                                     ("high", .num(d + z * se)), ("g", .num(g.g)), ("p", .num(g.p)), ("verdict", .string(verdict))]))
    }

    static let bandit = CommandSpec(
        name: "bandit",
        summary: "Simulate the UCB1 multi-armed bandit over arms with given success rates",
        positionals: [ParamSpec("policy", .choice(["ucb1"]), "the policy", default: .symbol("ucb1"))],
        options: [ParamSpec("arms", .list(.number), "each arm's true success rate, e.g. arms=[0.04, 0.05, 0.06]"),
                  ParamSpec("rounds", .integer, "how many pulls", default: .number(10000)),
                  ParamSpec("seed", .integer, "random seed (default: the session seed)")],
        returns: "a bandit report: pulls and rewards per arm, regret",
        examples: ["bandit ucb1 arms=[0.04, 0.05, 0.06] rounds=10000 seed=1"]
    ) { inv in
        guard case .list(let items)? = inv.value("arms") else { throw inv.error("give arms=[rate, rate, ...]") }
        let rates = items.compactMap { if case .number(let v) = $0 { return v } else { return nil } }
        guard rates.count >= 2, rates.allSatisfy({ $0 >= 0 && $0 <= 1 }) else {
            throw inv.error("arms takes two or more rates between 0 and 1", at: "arms")
        }
        let rounds = inv.int("rounds") ?? 10000
        guard rounds >= 1, rounds <= 10_000_000 else { throw inv.error("rounds must be between 1 and 10000000", at: "rounds") }
        let seed = inv.seed()
        let r = ABTest.ucb1(rates: rates, rounds: rounds, seed: seed)
        let rows = rates.indices.map { i in
            ["\(i + 1)", Format.metric(rates[i]), "\(r.pulls[i])", "\(r.rewards[i])",
             r.pulls[i] > 0 ? Format.metric(Double(r.rewards[i]) / Double(r.pulls[i])) : "—"]
        }
        let facts: [(String, String)] = [("rounds", "\(rounds)"), ("seed", "\(seed)"),
                                         ("regret", "\(Format.metric(r.regret)) (expected successes lost to the best arm)")]
        return .report(Report(kind: "bandit", title: "UCB1 over \(rates.count) arms", facts: facts,
                              tables: [Table(header: ["arm", "rate", "pulls", "rewards", "observed"], rows: rows)],
                              json: .object([("report", .string("bandit")), ("policy", .string("ucb1")), ("rounds", .number(Double(rounds))),
                                             ("seed", .number(Double(seed))), ("rates", .array(rates.map { .num($0) })),
                                             ("pulls", .array(r.pulls.map { .number(Double($0)) })),
                                             ("rewards", .array(r.rewards.map { .number(Double($0)) })), ("regret", .num(r.regret))])))
    }
}
