import Foundation
import MLELearning

/// `report`: the session so far as one self-contained HTML page.
enum ReportCommand: Command {
    static let spec = CommandSpec(
        name: "report",
        summary:
            "Write the session so far as one self-contained HTML page: each statement, its results as tables and its plots as pictures, its notes and errors — to open in a browser or hand out (scripts/mle --report page.html script.mle writes a script's)",
        positionals: [ParamSpec("file", .path, "the page to write (.html, atomically)", required: true)],
        options: [ParamSpec("title", .string, "the page's title (default: mle session)")],
        returns: "nothing; the page is written",
        examples: ["report \"lesson.html\"", "report \"lesson.html\" title=\"Week 3: robustness\""]
    ) { inv in try execute(inv) }

    struct Options {
        var file: String
        var title: String?
    }

    static func options(_ inv: Invocation) throws -> Options {
        Options(file: try inv.declared("file", String.self), title: inv.string("title"))
    }

    static func validate(_ o: Options, _ inv: Invocation) throws {
        let lower = o.file.lowercased()
        guard lower.hasSuffix(".html") || lower.hasSuffix(".htm") else {
            throw inv.error("the page is HTML; the file name should end in .html", at: "file")
        }
    }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        let transcript = inv.session.transcript
        // The page is of what came before; this statement is not in it.
        transcript.discardCurrent()
        do {
            try AtomicFile.write(Data(page(inv.session, title: o.title, source: nil).utf8), to: o.file)
        } catch {
            throw inv.error("cannot write '\(o.file)': \(error.localizedDescription)", at: "file")
        }
        inv.session.output.note("wrote \(o.file): \(transcript.entries.count) statements")
        return .none
    }

    /// The session's transcript as a page.
    /// - Parameter source: the script the session ran, for the subtitle.
    static func page(_ session: Session, title: String?, source: String?) -> String {
        let date = ISO8601DateFormatter.string(
            from: Date(), timeZone: TimeZone(identifier: "UTC") ?? .current,
            formatOptions: [.withFullDate, .withTime, .withColonSeparatorInTime, .withSpaceBetweenDateAndTime])
        var subtitle = "mle \(MLEVersion.number) · \(date) UTC"
        if let source { subtitle = "\(source) · " + subtitle }
        return HTMLPage.document(
            title: title ?? "mle session", subtitle: subtitle, entries: session.transcript.entries,
            dropped: session.transcript.dropped)
    }
}

extension Session {
    /// Writes what the session printed so far as an HTML page (`mle --report FILE`).
    /// - Returns: an error message, or nil when the page was written.
    public func writeReport(to path: String, title: String? = nil, source: String? = nil) -> String? {
        do { try AtomicFile.write(Data(ReportCommand.page(self, title: title, source: source).utf8), to: path) } catch {
            return "\(path): error: cannot write the report: \(error.localizedDescription)"
        }
        return nil
    }
}
