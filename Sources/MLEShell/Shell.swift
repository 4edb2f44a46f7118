import CEditLine
import Foundation
import MLELanguage
import MLETensor

/// The interactive shell: libedit line editing, history, completion, Ctrl-C handling.
public enum Shell {
    /// A cancellation tied to SIGINT: set by the handler, cleared before each command.
    public static let interruptCancellation = Cancellation {
        GapTrace.poll(); return mle_interrupted() != 0
    }

    /// Installs the SIGINT handler that long work polls.
    public static func installInterruptHandler() { mle_install_sigint_handler() }
    public static func clearInterrupt() { mle_clear_interrupted() }

    /// The history file: `$MLE_HISTORY`, else `~/.mle_history`.
    public static var historyPath: String {
        if let p = ProcessInfo.processInfo.environment["MLE_HISTORY"], !p.isEmpty { return p }
        return (NSHomeDirectory() as NSString).appendingPathComponent(".mle_history")
    }

    /// Runs the prompt loop until `quit` or Ctrl-D.
    public static func runInteractive(session: Session) {
        completionSession = session
        guard mle_el_open("mle", completeCallback) == 0 else {
            session.output.error("error: cannot start the line editor; reading commands without it")
            runPlain(session: session, text: readAllStdin(), file: "<stdin>", keepGoing: true)
            return
        }
        defer { mle_el_close() }
        let history = historyPath
        if let text = try? String(contentsOfFile: history, encoding: .utf8) {
            for line in text.split(separator: "\n") where !line.isEmpty { mle_history_add(String(line)) }
        }
        let banner = "mle — type 'help' for commands, Tab to complete, Ctrl-D to leave"
        mle_write_stderr(
            TextLayout.hanging(banner, width: terminalWidth() ?? TextLayout.defaultWidth, indent: 0) + "\n")
        let interpreter = Interpreter(session: session)
        var buffer = ""
        var lineNumber = 1  // the next input line's number, for <stdin>:LINE:COL
        var statementStart = 1
        while !session.quitRequested {
            mle_el_set_prompt(buffer.isEmpty ? "mle> " : "...> ")
            clearInterrupt()
            var count: Int32 = 0
            guard let raw = mle_el_gets(&count) else {
                if count == -1 {
                    // Ctrl-C at the prompt: drop the line (and any open statement), new prompt.
                    mle_write_stdout("\n")
                    buffer = ""
                    mle_el_reset()
                    continue
                }
                mle_write_stdout("\n")
                break
            }
            var line = String(cString: raw)
            if line.hasSuffix("\n") { line.removeLast() }
            if buffer.isEmpty { statementStart = lineNumber }
            lineNumber += 1
            buffer += buffer.isEmpty ? line : "\n" + line
            if Lexer.needsContinuation(buffer) { continue }
            // The whole statement is one history entry, on one line that means the same, so ↑
            // recalls all of it.
            let entry = Lexer.oneLine(buffer)
            if !entry.trimmingCharacters(in: .whitespaces).isEmpty {
                mle_history_add(entry)
                appendHistory(entry, to: history)
            }
            let text = buffer
            buffer = ""
            clearInterrupt()
            interpreter.run(text, file: "<stdin>", firstLine: statementStart, keepGoing: true)
        }
    }

    /// Runs text as a script without a terminal.
    /// - Returns: true when every statement succeeded.
    @discardableResult
    public static func runPlain(session: Session, text: String, file: String, keepGoing: Bool) -> Bool {
        Interpreter(session: session).run(text, file: file, keepGoing: keepGoing)
    }

    public static func readAllStdin() -> String {
        var lines: [String] = []
        while let l = readLine(strippingNewline: false) { lines.append(l) }
        return lines.joined()
    }

    /// Appends one entry to the history file right away, so a crash or a kill loses nothing.
    static func appendHistory(_ line: String, to path: String) {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0o600)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count) }
    }

    nonisolated(unsafe) static var completionSession: Session?

    /// Called by the C shim on Tab.
    static let completeCallback: mle_completer = { before, insert, listing in
        guard let before, let session = Shell.completionSession else { return 0 }
        let result = Completer(session: session).complete(String(cString: before))
        if !result.insert.isEmpty { insert?.pointee = strdup(result.insert) }
        if result.candidates.count > 1 { listing?.pointee = strdup(Shell.columns(result.candidates)) }
        return result.insert.isEmpty && result.candidates.isEmpty ? 0 : 1
    }

    /// Candidates laid out in columns for an 80-column terminal.
    static func columns(_ items: [String]) -> String {
        let width = (items.map(\.count).max() ?? 0) + 2
        let perLine = max(1, 80 / width)
        var lines: [String] = []
        var i = 0
        while i < items.count {
            let row = items[i..<min(i + perLine, items.count)]
            lines.append(
                row.map { $0.padding(toLength: width, withPad: " ", startingAt: 0) }.joined()
                    .trimmingCharacters(in: .whitespaces))
            i += perLine
        }
        return lines.joined(separator: "\n")
    }
}

/// `MLE_CTRL_C_GAPS=MS`: a developer's check of Ctrl-C latency. Every stretch of at least MS
/// milliseconds between two checks of the cancellation is written to standard error with the
/// call stack of the check that ended it (`scripts/checks/ctrl_c_gaps` symbolises them); the
/// place to add a check is in the code just before it. Off (one comparison per check) unless set.
enum GapTrace {
    static let limit: UInt64? = ProcessInfo.processInfo.environment["MLE_CTRL_C_GAPS"].flatMap { UInt64($0) }
    nonisolated(unsafe) private static var last: UInt64 = 0  // guarded by `lock`
    private static let lock = NSLock()

    static func poll() {
        guard let limit else { return }
        lock.lock()
        defer { lock.unlock() }
        let now = DispatchTime.now().uptimeNanoseconds
        let gap = last > 0 && now > last ? (now - last) / 1_000_000 : 0
        if gap >= limit {
            let stack = Thread.callStackSymbols.dropFirst(3).prefix(8).joined(separator: "\n")
            FileHandle.standardError.write(Data("mle: \(gap) ms without a Ctrl-C check, until:\n\(stack)\n".utf8))
        }
        last = DispatchTime.now().uptimeNanoseconds
    }
}
