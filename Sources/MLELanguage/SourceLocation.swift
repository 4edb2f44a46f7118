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

    /// `file:line:col: error: message`, then any notes indented.
    public var rendered: String {
        (["\(location): error: \(message)"] + notes.map { "    " + $0 }).joined(separator: "\n")
    }
}

/// Raised when the user interrupts long work with Ctrl-C.
public struct Interrupted: Error, Sendable {
    public init() {}
}
