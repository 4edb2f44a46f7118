import Foundation
import MLELearning

/// `quit`: leave the shell.
enum QuitCommand: Command {
    static let spec = CommandSpec(
        name: "quit",
        summary: "Leave the shell (Ctrl-D too)",
        returns: "nothing",
        examples: ["quit"]
    ) { inv in try execute(inv) }

    struct Options {}

    static func options(_ inv: Invocation) throws -> Options { Options() }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        inv.session.quitRequested = true
        return .none
    }
}
