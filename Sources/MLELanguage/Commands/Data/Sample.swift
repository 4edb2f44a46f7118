import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

/// `sample`: a random sample of rows (Burkov ch. 3).
enum SampleCommand: Command {
    static let spec = CommandSpec(
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
    ) { inv in try execute(inv) }

    struct Options {
        var data: Dataset
        var size: RowSampler.Size
        var method: RowSampler.Method
        /// Only these classes are sampled; every other row is kept.
        var classes: [String]?
        var seed: UInt64
    }

    static func options(_ inv: Invocation) throws -> Options {
        let size: RowSampler.Size
        switch (inv.number("fraction"), inv.int("count")) {
        case (let f?, nil): size = .fraction(f)
        case (nil, let c?): size = .count(c)
        case (.some, .some): throw inv.error("give fraction= or count=, not both", at: "count")
        case (nil, nil): throw inv.error("give fraction=F or count=N")
        }
        return Options(
            data: try inv.dataset("data"), size: size, method: try inv.choice("method", RowSampler.Method.self),
            classes: inv.stringList("class"), seed: inv.seed())
    }

    static func validate(_ o: Options, _ inv: Invocation) throws {
        switch o.size {
        case .fraction(let f):
            guard f > 0, f <= 1 else { throw inv.error("fraction must be in (0, 1]", at: "fraction") }
        case .count(let c): guard c >= 0 else { throw inv.error("count must be ≥ 0", at: "count") }
        }
        if o.method == .stratified, o.data.task?.isClassification != true {
            throw inv.error(
                "stratified sampling needs a class target; \(o.data.target == nil ? "this dataset has none" : "this one holds numbers")",
                at: "method")
        }
        if let classes = o.classes {
            guard case .classes(_, let names)? = o.data.target else {
                throw inv.error("class= needs a class target", at: "class")
            }
            for c in classes where !names.contains(c) {
                throw inv.error(
                    Diagnostics.message(UnknownNameError(kind: "class", name: c, known: names, listing: "classes")),
                    at: "class")
            }
        }
    }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        let d = o.data
        var labels: [Int]?
        if case .classes(let l, _)? = d.target { labels = l }
        var candidates = Array(0..<d.rowCount)
        var kept: [Int] = []
        if let classes = o.classes, case .classes(let l, let names)? = d.target {
            let ks = classes.compactMap { names.firstIndex(of: $0) }
            candidates = candidates.filter { ks.contains(l[$0]) }
            kept = (0..<d.rowCount).filter { !ks.contains(l[$0]) }
        }
        let drawn = try RowSampler.draw(candidates, size: o.size, method: o.method, labels: labels, seed: o.seed)
        return .dataset(try d.subset((kept + drawn).sorted(), name: d.name))
    }
}
