import Foundation
import MLELearning

/// A session as one self-contained web page: each statement as typed, then what it printed —
/// reports as HTML tables with their plots inline as SVG, other results, notes and errors.
public enum HTMLPage {
    static func escape(_ s: String) -> String { SVGFigure.escape(s) }

    /// A report as an HTML fragment: the fields and tables people see (rows shortened as in the
    /// terminal), help text, the pictures as inline SVG, the verdict and the notes.
    public static func report(_ r: Report) -> String {
        var out = "<div class=\"report\">\n"
        if !r.title.isEmpty { out += "<h3>\(escape(r.title))</h3>\n" }
        let shown = r.fields.filter { $0.audience != .machines }
        if !shown.isEmpty {
            out += "<table class=\"facts\">\n"
            for f in shown {
                out += "<tr><th>\(escape(f.label))</th><td>\(escape(f.value.display))</td></tr>\n"
            }
            out += "</table>\n"
        }
        if !r.text.isEmpty { out += "<pre class=\"text\">\(escape(r.text))</pre>\n" }
        for t in r.tables where t.audience != .machines { out += table(t) }
        for f in r.figures { out += "<figure>\n\(SVGFigure.document(f))</figure>\n" }
        if let v = r.verdict { out += "<p class=\"verdict\">\(escape(v))</p>\n" }
        if !r.notes.isEmpty {
            out += "<ul class=\"notes\">\n" + r.notes.map { "<li>\(escape($0))</li>\n" }.joined() + "</ul>\n"
        }
        return out + "</div>\n"
    }

    /// A table: its caption, header and the rows people see, with the count of those left out.
    static func table(_ t: Table) -> String {
        let visible = t.columns.indices.filter { t.columns[$0].audience != .machines }
        let hidden = t.limit.map { max(t.rows.count - max($0, 0) - t.tail, 0) } ?? 0
        func row(_ cells: [Cell]) -> String {
            "<tr>"
                + visible.map { j in
                    let align = t.columns[j].alignment == .left ? "" : " class=\"num\""
                    return "<td\(align)>\(escape(cells[safe: j]?.display ?? ""))</td>"
                }.joined() + "</tr>\n"
        }
        var out = "<div class=\"table\"><table>\n"
        if let c = t.caption { out += "<caption>\(escape(c))</caption>\n" }
        out +=
            "<thead><tr>"
            + visible.map { j in
                let align = t.columns[j].alignment == .left ? "" : " class=\"num\""
                return "<th\(align)>\(escape(t.columns[j].label))</th>"
            }.joined() + "</tr></thead>\n<tbody>\n"
        if let limit = t.limit, hidden > 0 {
            out += t.rows.prefix(max(limit, 0)).map(row).joined()
            if t.tail > 0 {
                out += "<tr class=\"gap\">" + visible.map { _ in "<td>…</td>" }.joined() + "</tr>\n"
                out += t.rows.suffix(t.tail).map(row).joined()
            }
        } else {
            out += t.rows.map(row).joined()
        }
        out += "</tbody></table>\n"
        if hidden > 0 {
            out += "<p class=\"more\">\(hidden) more row\(hidden == 1 ? "" : "s") not shown</p>\n"
        }
        return out + "</div>\n"
    }

    /// The whole page.
    public static func document(title: String, subtitle: String, entries: [Transcript.Entry], dropped: Int) -> String {
        var body = ""
        if dropped > 0 {
            body +=
                "<p class=\"note\">\(dropped) earlier statement\(dropped == 1 ? " is" : "s are") not in this page (a page keeps the last \(Transcript.capacity))</p>\n"
        }
        for e in entries {
            body += "<section class=\"statement\">\n"
            if !e.comment.isEmpty { body += "<p class=\"comment\">\(escape(e.comment))</p>\n" }
            body += "<pre class=\"source\">\(escape(e.source))</pre>\n"
            for o in e.outputs {
                switch o {
                case .html(let h): body += h
                case .result(let t): body += "<pre class=\"result\">\(escape(t))</pre>\n"
                case .note(let t):
                    let warning = t.hasPrefix("warning:")
                    body += "<p class=\"\(warning ? "warning" : "note")\">\(escape(t))</p>\n"
                case .error(let t): body += "<pre class=\"error\">\(escape(t))</pre>\n"
                }
            }
            body += "</section>\n"
        }
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="generator" content="mle \(MLEVersion.number)">
            <title>\(escape(title))</title>
            <style>
            body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; max-width: 60rem; margin: 2rem auto; \
            padding: 0 1rem; color: #222; line-height: 1.4; }
            h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
            .subtitle { color: #555; margin-top: 0; }
            section.statement { border-top: 1px solid #ddd; padding: 0.6rem 0 1rem; }
            pre { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.9rem; \
            white-space: pre-wrap; margin: 0.4rem 0; }
            pre.source { background: #f3f5f8; border-left: 4px solid #8a94a6; padding: 0.4rem 0.6rem; }
            pre.source::before { content: "mle> "; color: #5a6478; }
            pre.error { color: #b00020; }
            p.comment { white-space: pre-line; margin: 0.2rem 0 0.4rem; }
            p.note { color: #555; font-size: 0.9rem; margin: 0.3rem 0; }
            p.warning { color: #8a5a00; font-size: 0.9rem; margin: 0.3rem 0; }
            h3 { font-size: 1.1rem; margin: 0.6rem 0 0.4rem; }
            div.table { overflow-x: auto; margin: 0.6rem 0; }
            table { border-collapse: collapse; font-size: 0.9rem; }
            caption { text-align: left; color: #444; padding-bottom: 0.2rem; }
            th, td { padding: 0.15rem 0.7rem; text-align: left; vertical-align: top; }
            thead th { border-bottom: 2px solid #888; }
            tbody tr:nth-child(even) { background: #f7f7f7; }
            .num { text-align: right; font-variant-numeric: tabular-nums; }
            table.facts th { font-weight: normal; color: #555; padding-left: 0; }
            p.verdict { font-weight: bold; }
            p.more { color: #666; font-size: 0.85rem; margin: 0.2rem 0; }
            ul.notes { color: #444; font-size: 0.9rem; }
            figure { margin: 0.8rem 0; }
            figure svg { max-width: 100%; height: auto; }
            </style>
            </head>
            <body>
            <h1>\(escape(title))</h1>
            <p class="subtitle">\(escape(subtitle))</p>
            \(body)</body>
            </html>

            """
    }
}

/// What a session printed, statement by statement, kept for `report "page.html"`. Reports are
/// kept as their HTML (a table of a million rows keeps only the rows people see), and only the
/// last `capacity` statements are kept.
public final class Transcript {
    public enum Output {
        /// A report, already rendered as HTML.
        case html(String)
        case result(String)
        case note(String)
        case error(String)
    }

    public struct Entry {
        public var source: String
        /// The comment lines above the statement, shown as prose before it.
        public var comment: String = ""
        public var outputs: [Output] = []
    }

    public static let capacity = 2000
    public private(set) var entries: [Entry] = []
    /// Statements dropped from the front to keep `capacity`.
    public private(set) var dropped = 0
    public init() {}

    func begin(_ source: String, comment: String = "") {
        entries.append(Entry(source: source, comment: comment))
        if entries.count > Transcript.capacity {
            entries.removeFirst(entries.count - Transcript.capacity)
            dropped += 1
        }
    }

    /// Leaves out the statement being run (the `report` command that writes the page).
    func discardCurrent() { if !entries.isEmpty { entries.removeLast() } }

    func add(_ output: Output) {
        guard !entries.isEmpty else { return }
        entries[entries.count - 1].outputs.append(output)
    }
}

/// The session's output channel: passes everything to the host's sink (the console, a test's
/// buffer), sends results to a file while `set output` or `once` says so, and records what was
/// printed for an HTML session report.
final class SessionOutput: OutputSink {
    var inner: OutputSink
    let transcript = Transcript()
    /// Where results go instead of `inner` (`set output FILE`), with what was written so far
    /// (rewritten atomically after each result).
    var file: (path: String, text: String)?
    /// `once FILE`: the next statement's results go to this file.
    var oncePending: String?
    /// The file of an active `once`, with its text.
    var onceFile: (path: String, text: String)?

    init(_ inner: OutputSink) { self.inner = inner }

    /// Statements running: a loop's body and a sourced script run inside their statement, which
    /// `once` covers whole.
    private var depth = 0

    /// Whether results go to a file now (and so get no colour).
    var redirected: Bool { file != nil || onceFile != nil }

    func result(_ text: String) {
        transcript.add(.result(text))
        deliver(text)
    }

    func report(_ r: Report, rendered: String) {
        transcript.add(.html(HTMLPage.report(r)))
        deliver(rendered)
    }

    func note(_ text: String) {
        transcript.add(.note(text))
        inner.note(text)
    }

    func error(_ text: String) {
        transcript.add(.error(text))
        inner.error(text)
    }

    /// Starts a statement: recorded under its source, and a pending `once` takes effect.
    func begin(_ source: String?, comment: String = "") {
        depth += 1
        if let source { transcript.begin(source, comment: comment) }
        if depth == 1, let path = oncePending {
            oncePending = nil
            onceFile = (path, "")
        }
    }

    /// Ends a statement: an active `once` writes its file (atomically) and ends with the
    /// outermost statement.
    func end() {
        depth -= 1
        guard depth == 0, let once = onceFile else { return }
        onceFile = nil
        // A statement that failed or printed nothing leaves the file as it was.
        guard !once.text.isEmpty else {
            inner.note("nothing written to \(once.path): the statement printed no result")
            return
        }
        do {
            try AtomicFile.write(Data(once.text.utf8), to: once.path)
            inner.note("wrote \(once.path)")
        } catch {
            inner.error("error: cannot write '\(once.path)' (\(error.localizedDescription))")
        }
    }

    /// A result to the console or the redirecting file. A file that cannot be written is said
    /// once, and the output goes back to the console.
    private func deliver(_ text: String) {
        if var once = onceFile {
            once.text += text + "\n"
            onceFile = once
            return
        }
        guard var f = file else { return inner.result(text) }
        f.text += text + "\n"
        do {
            try AtomicFile.write(Data(f.text.utf8), to: f.path)
            file = f
        } catch {
            file = nil
            inner.error(
                "error: cannot write '\(f.path)' (\(error.localizedDescription)); output goes to the terminal again")
            inner.result(text)
        }
    }
}
