import Foundation
import MLELearning

/// `source`: run another script in this session.
enum SourceCommand: Command {
    static let spec = CommandSpec(
        name: "source",
        summary: "Run another .mle script in this session (its variables stay)",
        positionals: [ParamSpec("file", .path, "the script to run", required: true)],
        returns: "nothing; stops at the script's first error",
        examples: ["source \"scripts/tour.mle\""]
    ) { inv in try execute(inv) }

    struct Options { var file: String }

    static func options(_ inv: Invocation) throws -> Options { Options(file: try inv.declared("file", String.self)) }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        let path = o.file
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
        else {
            throw inv.error("cannot read '\(path)'", at: "file")
        }
        let session = inv.session
        let key = URL(fileURLWithPath: path).standardizedFileURL.path
        guard !session.sourceStack.contains(key) else {
            throw inv.error("'\(path)' is already being sourced (a script cannot source itself)", at: "file")
        }
        session.sourceStack.append(key)
        defer { session.sourceStack.removeLast() }
        let ok = try Interpreter(session: session).runThrowing(text, file: path, keepGoing: false)
        guard ok else { throw inv.error("stopped: '\(path)' failed (see the error above)", at: "file") }
        return .none
    }
}
