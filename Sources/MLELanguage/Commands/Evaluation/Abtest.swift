import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

/// `abtest`: an A/B test, a G-test on yes/no counts or a z-test on a numeric outcome.
enum ABTestCommand: Command {
    static let spec = CommandSpec(
        name: "abtest",
        summary: "A/B test: G-test on yes/no counts, or a two-sample z-test on a numeric outcome column",
        positionals: [
            ParamSpec("data", .dataset, "per-user rows: the target names the group (two groups), outcome= a column")
        ],
        options: [
            ParamSpec("a", .list(.integer), "successes and trials of group a, e.g. a=[120, 2000]"),
            ParamSpec("b", .list(.integer), "successes and trials of group b"),
            ParamSpec("outcome", .string, "the outcome column of DATA (0/1 values: G-test; other numbers: z-test)"),
            IntervalCommands.levelOption
        ],
        returns: "an A/B test report",
        examples: ["abtest a=[120, 2000] b=[152, 2000]", "abtest visits outcome=converted"]
    ) { inv in try execute(inv) }

    /// What the groups are given as.
    enum Groups {
        /// Successes and trials of a and b.
        case counts(a: [Int], b: [Int])
        /// Per-user rows: the target names the group, `outcome` a column.
        case column(Dataset, outcome: String)
    }

    struct Options {
        var groups: Groups
        var level: Double
    }

    static func options(_ inv: Invocation) throws -> Options {
        let level = try inv.declared("level", Double.self)
        if let a = inv.intList("a"), let b = inv.intList("b") {
            return Options(groups: .counts(a: a, b: b), level: level)
        }
        guard case .dataset(let d)? = inv.value("data"), let column = inv.string("outcome") else {
            throw inv.error("give counts (a=[successes, trials] b=[...]) or a dataset with outcome=COLUMN")
        }
        return Options(groups: .column(d, outcome: column), level: level)
    }

    static func validate(_ o: Options, _ inv: Invocation) throws {
        try inv.checkLevel(o.level)
        if case .counts(let a, let b) = o.groups, a.count != 2 || b.count != 2 {
            throw inv.error("a= and b= take [successes, trials]", at: "a")
        }
    }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        let level = o.level
        switch o.groups {
        case .counts(let a, let b):
            return .report(
                try IntervalCommands.gTestReport(inv, a[0], a[1], b[0], b[1], level: level, names: ("a", "b")))
        case .column(let d, let column):
            return try columnTest(d, column, level: level, inv)
        }
    }

    /// The test on a column of per-user rows: a G-test when the outcome is 0/1, a z-test otherwise.
    static func columnTest(_ d: Dataset, _ column: String, level: Double, _ inv: Invocation) throws -> Value {
        guard case .classes(let labels, let names)? = d.target, names.count == 2 else {
            throw inv.error("the dataset's target must name two groups (load it with target=GROUP)", at: "data")
        }
        guard let j = d.featureNames.firstIndex(of: column) else {
            let hint = Diagnostics.didYouMean(column, in: d.featureNames)
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
            return .report(
                try IntervalCommands.gTestReport(
                    inv, s[0], groups[0].count, s[1], groups[1].count, level: level,
                    names: (names[0], names[1])))
        }
        guard let z = ABTest.zTest(groups[0], groups[1], level: level) else {
            throw inv.error("each group needs at least two rows")
        }
        let dz = z.difference
        let facts = [
            Field("mean_a", "mean of \(names[0])", .number(z.meanA)),
            Field("mean_b", "mean of \(names[1])", .number(z.meanB)),
            Field(
                "difference",
                .shown(
                    .estimate(dz.estimate, low: dz.low, high: dz.high, .metric),
                    as:
                        "\(Format.metric(dz.estimate))  \(Format.percent(level)) [\(Format.metric(dz.low)), \(Format.metric(dz.high))]"
                )),
            Field("z", .number(z.z)), Field("p", .number(z.p, .pValue)), Field("test", .text("z"), audience: .machines)
        ]
        let verdict =
            z.p < 1 - level
            ? "\(z.difference.estimate > 0 ? names[1] : names[0]) has the higher mean (\(Format.p(z.p)))"
            : "no detectable difference in means (\(Format.p(z.p)))"
        return .report(
            Report(
                kind: "abtest", title: "z-test of \(column) between \(names[0]) and \(names[1])", fields: facts,
                verdict: verdict))
    }
}
