import Foundation
import MLELearning

/// `help`, `vars`, `set`, `source`, `quit`.
enum SessionCommands {
    /// The values `set` takes for each setting that has a fixed list (completion offers them).
    static let settingValues: [String: [String]] = [
        "format": OutputFormat.allCases.map(\.rawValue), "timer": ["on", "off"], "output": ["stdout"]
    ]
}
