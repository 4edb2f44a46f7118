import Foundation
import MLELearning

/// `once`: the next statement's results go to a file, as sqlite3's `.once`.
enum OnceCommand: Command {
    static let spec = CommandSpec(
        name: "once",
        summary:
            "Send the next statement's results to a file, in the current format (set format csv first for a CSV file); notes and errors stay on the terminal",
        positionals: [ParamSpec("file", .path, "the file to write (atomically, replacing it)", required: true)],
        returns: "nothing",
        examples: ["set format csv", "once \"metrics.csv\"", "evaluate net test"]
    ) { inv in try execute(inv) }

    struct Options { var file: String }

    static func options(_ inv: Invocation) throws -> Options { Options(file: try inv.declared("file", String.self)) }

    static func validate(_ o: Options, _ inv: Invocation) throws {
        guard !o.file.isEmpty else { throw inv.error("once takes a file name", at: "file") }
    }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        inv.session.channel.oncePending = o.file
        return .none
    }
}
