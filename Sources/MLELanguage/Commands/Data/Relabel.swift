import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

/// `relabel`: merge classes, keeping the named ones.
enum RelabelCommand: Command {
    static let spec = CommandSpec(
        name: "relabel",
        summary:
            "Merge classes: keep the named classes and put every other row in one class (one-versus-rest data such as digits' 8 versus the rest)",
        positionals: [ParamSpec("data", .dataset, "a dataset with a class target", required: true)],
        options: [
            ParamSpec("keep", .list(.word), "the classes that keep their names", required: true),
            ParamSpec("other", .string, "the name of the merged class", default: .string("rest"))
        ],
        returns: "a dataset with the kept classes followed by the merged one",
        examples: ["eights = relabel digits keep=[8]", "pair = relabel digits keep=[3, 8] other=others"]
    ) { inv in try execute(inv) }

    struct Options {
        var data: Dataset
        /// The kept classes' names, as given.
        var keep: [String]
        /// The name of the merged rest.
        var other: String
    }

    static func options(_ inv: Invocation) throws -> Options {
        guard let keep = inv.stringList("keep") else {
            throw inv.error("keep= names at least one class, e.g. keep=[8]", at: "keep")
        }
        return Options(data: try inv.dataset("data"), keep: keep, other: try inv.declared("other", String.self))
    }

    static func validate(_ o: Options, _ inv: Invocation) throws {
        guard case .classes(_, let names)? = o.data.target else {
            throw inv.error("relabel needs a class target", at: "data")
        }
        guard !o.keep.isEmpty else { throw inv.error("keep= names at least one class, e.g. keep=[8]", at: "keep") }
        for name in o.keep where !names.contains(name) {
            throw inv.error(
                Diagnostics.message(UnknownNameError(kind: "class", name: name, known: names, listing: "classes")),
                at: "keep")
        }
        guard !o.keep.contains(o.other) else {
            throw inv.error("'\(o.other)' is a kept class; choose another name for the rest", at: "other")
        }
        guard Set(o.keep).count < names.count else {
            throw inv.error("every class is kept; nothing is left to merge", at: "keep")
        }
    }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        guard case .classes(let labels, let names)? = o.data.target else {
            throw inv.error("relabel needs a class target", at: "data")
        }
        var unique: [Int] = []
        for name in o.keep { if let k = names.firstIndex(of: name), !unique.contains(k) { unique.append(k) } }
        let newNames = unique.map { names[$0] } + [o.other]
        let map = names.indices.map { unique.firstIndex(of: $0) ?? unique.count }
        var out = o.data
        out.target = .classes(labels: labels.map { map[$0] }, names: newNames)
        return .dataset(out)
    }
}
