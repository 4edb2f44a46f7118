import Foundation

/// Colour on a terminal (ANSI SGR codes), added to text already laid out so that widths are
/// untouched: the verdict in bold, a comparison's best cells (`0.9650 *`) in bold green,
/// warnings in yellow, the `error:` of an error in bold red. The shell decides whether to use
/// it (a terminal, and no `NO_COLOR`); files, pipes, JSON and CSV never get it.
public enum TextColour {
    static let bold = "\u{1B}[1m", green = "\u{1B}[1;32m", yellow = "\u{1B}[33m", red = "\u{1B}[1;31m"
    static let reset = "\u{1B}[0m"

    /// Whether output to a stream should be coloured: it is a terminal, `NO_COLOR` is not set
    /// (no-color.org) and `TERM` is not `dumb`.
    public static func wanted(isTerminal: Bool, environment: [String: String]) -> Bool {
        guard isTerminal else { return false }
        if let no = environment["NO_COLOR"], !no.isEmpty { return false }
        return environment["TERM"] != "dumb"
    }

    /// A report's table text with its verdict and best cells marked.
    static func report(_ text: String, verdict: String?, width: Int) -> String {
        var lines = text.components(separatedBy: "\n")
        for k in lines.indices where lines[k].range(of: #"[0-9] \*"#, options: .regularExpression) != nil {
            lines[k] = lines[k].replacingOccurrences(
                of: #"([-0-9.e+]+ \*)"#, with: green + "$1" + reset, options: .regularExpression)
        }
        if let verdict {
            // The verdict's lines as the layout wrapped them, found from the end (it closes the report).
            let wrapped = TextLayout.wrap(verdict, width: width)
            if let first = wrapped.first, let start = lines.lastIndex(of: first),
                start + wrapped.count <= lines.count, Array(lines[start..<(start + wrapped.count)]) == wrapped
            {
                for k in start..<(start + wrapped.count) { lines[k] = bold + lines[k] + reset }
            }
        }
        return lines.joined(separator: "\n")
    }

    /// A note: a warning in yellow; others as they are.
    public static func note(_ text: String) -> String {
        text.hasPrefix("warning:") ? yellow + "warning:" + reset + text.dropFirst("warning:".count) : text
    }

    /// An error: its `error:` in bold red (after `FILE:LINE:COL: `, or at the start).
    public static func error(_ text: String) -> String {
        guard let r = text.range(of: "error:") else { return text }
        return text.replacingCharacters(in: r, with: red + "error:" + reset)
    }
}
