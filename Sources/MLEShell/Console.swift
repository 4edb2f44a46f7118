import CEditLine
import Foundation
import MLELanguage

/// Results to stdout; notes and errors to stderr. On a terminal, errors and notes wrap at word
/// boundaries to its width; elsewhere each stays one line, as tools reading FILE:LINE:COL expect.
public final class ConsoleOutput: OutputSink {
    private let wrapStderr = isatty(STDERR_FILENO) != 0
    /// Errors and warnings in colour on a terminal (not with NO_COLOR).
    private let colour = TextColour.wanted(
        isTerminal: isatty(STDERR_FILENO) != 0, environment: ProcessInfo.processInfo.environment)
    public init() {}
    /// Writes in pieces of 16 KB, and stops at Ctrl-C: a terminal takes seconds to show
    /// millions of rows of CSV.
    public func result(_ text: String) {
        let whole = text + "\n"
        guard whole.utf8.count > 1 << 14 else { return mle_write_stdout(whole) }
        let utf8 = whole.utf8
        // A partial result, shown after the Ctrl-C that stopped its command, is written whole.
        let stoppable = mle_interrupted() == 0
        var start = utf8.startIndex
        while start < utf8.endIndex {
            if stoppable, mle_interrupted() != 0 {
                mle_write_stdout("\n")
                note("interrupted: the rest of the output was not shown")
                return
            }
            var end = utf8.index(start, offsetBy: 1 << 14, limitedBy: utf8.endIndex) ?? utf8.endIndex
            // Back to the start of a character's bytes (UTF-8 continuation bytes are 10xxxxxx).
            while end < utf8.endIndex, end > start, utf8[end] & 0xC0 == 0x80 { end = utf8.index(before: end) }
            mle_write_stdout(String(whole[start..<end]))
            start = end
        }
    }
    public func note(_ text: String) {
        let fitted = fitted(text)
        mle_write_stderr((colour ? TextColour.note(fitted) : fitted) + "\n")
    }
    public func error(_ text: String) {
        let fitted = fitted(text)
        mle_write_stderr((colour ? TextColour.error(fitted) : fitted) + "\n")
    }

    private func fitted(_ text: String) -> String {
        guard wrapStderr, let width = terminalWidth() else { return text }
        return TextLayout.hanging(text, width: width)
    }
}

/// The width output is fitted to: `COLUMNS` when set (as shells and `COLUMNS=80 mle ...` give
/// it), else the terminal's width; nil when neither is known (the session keeps its default).
public func terminalWidth() -> Int? {
    if let c = ProcessInfo.processInfo.environment["COLUMNS"], let n = Int(c), n > 0 { return n }
    let n = Int(mle_terminal_columns())
    return n > 0 ? n : nil
}

/// A one-line progress bar on stderr, drawn only when stderr is a terminal.
public final class ProgressBar: ProgressSink {
    private let enabled: Bool
    private var label = ""
    private var total = 1
    private var lastDraw = Date.distantPast
    private var drawn = false

    public init(enabled: Bool = isatty(STDERR_FILENO) != 0) { self.enabled = enabled }

    public func start(_ label: String, total: Int) {
        self.label = label; self.total = max(total, 1); drawn = false; lastDraw = .distantPast
    }

    public func update(_ done: Int, detail: String) {
        guard enabled else { return }
        let now = Date()
        // At most ten redraws a second, and always the last step.
        guard now.timeIntervalSince(lastDraw) > 0.1 || done >= total else { return }
        lastDraw = now
        let width = 30
        let filled = min(width, width * done / total)
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        mle_write_stderr("\r\u{1B}[2K\(label) \(bar) \(done)/\(total)  \(detail)")
        drawn = true
    }

    public func finish() {
        guard enabled, drawn else { return }
        mle_write_stderr("\r\u{1B}[2K")
        drawn = false
    }
}
