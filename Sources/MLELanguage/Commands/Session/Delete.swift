import Foundation

/// `delete`: forget a variable (and the memory it holds).
enum DeleteCommand: Command {
    static let spec = CommandSpec(
        name: "delete",
        summary: "Forget a variable and free what it holds",
        positionals: [ParamSpec("name", .word, "the variable", required: true)],
        returns: "nothing",
        examples: ["delete big", "delete ans"]
    ) { inv in try execute(inv) }

    struct Options {
        var name: String
    }

    static func options(_ inv: Invocation) throws -> Options {
        // A variable's name is recorded beside its value; any other bare word is itself.
        guard let name = inv.names["name"] ?? inv.string("name") else {
            throw inv.error("delete takes a variable's name, e.g. delete big", at: "name")
        }
        return Options(name: name)
    }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        guard let value = inv.session.variables.removeValue(forKey: o.name) else {
            let known = inv.session.variables.keys.sorted()
            throw inv.error(
                "no variable named '\(o.name)'\(Diagnostics.didYouMean(o.name, in: known))", at: "name")
        }
        ReleaseLater.drop(value)
        inv.session.output.note("deleted \(o.name)")
        return .none
    }
}
