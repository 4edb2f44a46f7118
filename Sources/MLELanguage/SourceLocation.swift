/// Where a piece of source text is: a file (or `<stdin>`, `<command line>`), line and column, 1-based.
public struct SourceLocation: Equatable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public init(file: String, line: Int, column: Int) {
        self.file = file; self.line = line; self.column = column
    }
    public var description: String { "\(file):\(line):\(column)" }
}

/// A user-facing error with the place it refers to. Rendering is `Diagnostic.render`.
public struct MLEError: Error, Equatable, Sendable {
    public var location: SourceLocation
    public var message: String
    /// Extra lines shown after the error (usage, hints).
    public var notes: [String]

    public init(_ location: SourceLocation, _ message: String, notes: [String] = []) {
        self.location = location; self.message = message; self.notes = notes
    }

    /// `file:line:col: error: message`, then any notes indented. Text that came from the input
    /// is made safe to print: control characters are shown as `\u{1B}` (a NUL once cut the message
    /// and an escape sequence recoloured the terminal) and a run of more than 120 characters
    /// without a space is cut in the middle (a megabyte-long name is shown as its ends).
    public var rendered: String {
        (["\(location): error: \(MLEError.printable(message))"] + notes.map { "    " + MLEError.printable($0) })
            .joined(separator: "\n")
    }

    /// `text` with control characters escaped and long unbroken runs cut.
    public static func printable(_ text: String) -> String {
        var out = ""
        var run: [Character] = []
        func flush() {
            if run.count > 120 {
                out += String(run.prefix(80)) + "…(\(run.count - 100) more characters)…" + String(run.suffix(20))
            } else {
                out += String(run)
            }
            run.removeAll(keepingCapacity: true)
        }
        for c in text {
            if c == " " || c == "\n" {
                flush(); out.append(c); continue
            }
            if c.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                for u in c.unicodeScalars {
                    run += Array(
                        u.properties.generalCategory == .control
                            ? "\\u{\(String(u.value, radix: 16, uppercase: true))}" : "\(u)")
                }
                continue
            }
            run.append(c)
        }
        flush()
        return out
    }
}

/// Raised when the user interrupts long work with Ctrl-C.
public struct Interrupted: Error, Sendable {
    public init() {}
}
