import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

extension DataPrepCommands {
    static let relabel = CommandSpec(
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
    ) { inv in
        let d = try inv.dataset("data")
        guard case .classes(let labels, let names)? = d.target else {
            throw inv.error("relabel needs a class target", at: "data")
        }
        guard case .list(let items)? = inv.value("keep"), !items.isEmpty else {
            throw inv.error("keep= names at least one class, e.g. keep=[8]", at: "keep")
        }
        let keep = try items.map { v -> Int in
            let name: String
            switch v {
            case .number(let x): name = Format.number(x)
            case .string(let t), .symbol(let t): name = t
            default: throw inv.error("keep= takes class names", at: "keep")
            }
            guard let k = names.firstIndex(of: name) else {
                let hint = Diagnostics.didYouMean(name, in: names)
                throw inv.error("no class '\(name)'\(hint) (classes: \(names.joined(separator: ", ")))", at: "keep")
            }
            return k
        }
        let other = (try inv.declared("other", String.self))
        guard !keep.map({ names[$0] }).contains(other) else {
            throw inv.error("'\(other)' is a kept class; choose another name for the rest", at: "other")
        }
        guard Set(keep).count < names.count else {
            throw inv.error("every class is kept; nothing is left to merge", at: "keep")
        }
        var unique: [Int] = []
        for k in keep where !unique.contains(k) { unique.append(k) }
        let newNames = unique.map { names[$0] } + [other]
        let map = names.indices.map { unique.firstIndex(of: $0) ?? unique.count }
        var out = d
        out.target = .classes(labels: labels.map { map[$0] }, names: newNames)
        return .dataset(out)
    }
}
