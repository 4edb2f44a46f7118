import Foundation
import MLELearning

extension SessionCommands {
    static let quit = CommandSpec(
        name: "quit",
        summary: "Leave the shell (Ctrl-D too)",
        returns: "nothing",
        examples: ["quit"]
    ) { inv in
        inv.session.quitRequested = true
        return .none
    }
}
