import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

extension DataPrepCommands {
    static let sample = CommandSpec(
        name: "sample",
        summary: "A random sample of rows (Burkov ch. 3): simple, systematic or stratified, by fraction or count",
        positionals: [ParamSpec("data", .dataset, "the dataset to sample from", required: true)],
        options: [
            ParamSpec("fraction", .number, "share of rows to keep, between 0 and 1"),
            ParamSpec("count", .integer, "number of rows to keep"),
            .choice(
                "method", RowSampler.Method.self,
                "simple: every subset equally likely; systematic: every k-th row from a random start; stratified: classes keep their shares",
                default: .simple),
            ParamSpec(
                "class", .list(.string),
                "sample only these classes' rows and keep every other row (derive an imbalanced set)"),
            ParamSpec("seed", .integer, "random seed (default: the session seed, then advanced)")
        ],
        returns: "a dataset, rows in their original order",
        examples: [
            "small = sample data fraction=0.1 method=stratified seed=1",
            "imbalanced = sample data class=malignant fraction=0.1 seed=1",
            "every10 = sample data count=50 method=systematic"
        ]
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
        let method = try inv.choice("method", RowSampler.Method.self)
        var labels: [Int]?
        if case .classes(let l, _)? = d.target { labels = l }
        if method == .stratified, labels == nil {
            throw inv.error(
                "stratified sampling needs a class target; \(d.target == nil ? "this dataset has none" : "this one holds numbers")",
                at: "method")
        }
        var candidates = Array(0..<d.rowCount)
        var kept: [Int] = []
        if let classes = inv.stringList("class") {
            guard case .classes(let l, let names)? = d.target else {
                throw inv.error("class= needs a class target", at: "class")
            }
            let ks = try classes.map { c -> Int in
                guard let k = names.firstIndex(of: c) else {
                    let hint = Diagnostics.didYouMean(c, in: names)
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
}
