import Foundation
import MLETensor

extension Report {
    /// The report as one JSON object: `report` (its kind), `command`, `title`, what it is about
    /// (model, data), every field by key, every table as an array of row objects, the verdict and
    /// the notes.
    public var jsonValue: JSON { (try? jsonValue(cancellation: .never)) ?? .null }  // .never: it cannot throw

    /// `jsonValue`, hearing Ctrl-C every 1,024 table rows (a table of millions of rows).
    public func jsonValue(cancellation: Cancellation) throws -> JSON {
        var head: [(String, JSON)] = [("report", .string(kind)), ("command", .string(command))]
        if !title.isEmpty { head.append(("title", .string(title))) }
        head += subjects.map { ($0.0, .string($0.1)) }
        var out = head
        out += fields.filter { $0.audience != .people }.map { ($0.key, $0.value.json) }
        for t in tables where t.audience != .people {
            let cols = t.columns.indices.filter { t.columns[$0].audience != .people }
            var rows: [JSON] = []
            rows.reserveCapacity(t.rows.count)
            for (i, row) in t.rows.enumerated() {
                if i & 1023 == 1023, cancellation.isCancelled {
                    ReleaseLater.drop(rows)  // freed off the way back to the prompt
                    throw Cancelled()
                }
                rows.append(.object(cols.map { (t.columns[$0].key, row[safe: $0]?.json ?? .null) }))
            }
            out.append((t.key, .array(rows)))
        }
        if let verdict { out.append(("verdict", .string(verdict))) }
        if !notes.isEmpty { out.append(("notes", .array(notes.map { .string($0) }))) }
        out += extra
        return .object(out)
    }

    /// The command the report answers (its kind, or the command that made it).
    public var command: String { commandName ?? kind }

    /// The report as one RFC 4180 CSV table. Fields, the verdict and notes are rows of a `summary`
    /// part (key, value, and low, high for intervals); each table's rows follow. With more than one
    /// part, a first column `table` says which part a row belongs to; the header is the union of
    /// the parts' columns. Numbers are written in full, intervals as low and high columns.
    public func csv() -> String { (try? csv(cancellation: .never)) ?? "" }  // .never: it cannot throw

    /// `csv()` for millions of rows: throws `Cancelled` within 1,024 rows of Ctrl-C.
    public func csv(cancellation: Cancellation) throws -> String {
        struct Part { var name: String; var columns: [String]; var rows: [[String: String]] }
        var parts: [Part] = []
        let machineFields = fields.filter { $0.audience != .people }
        var summary: [[String: String]] = machineFields.map { f in
            let cells = f.value.csvCells(estimate: true)
            var row = ["key": f.key, "value": cells[0]]
            if cells.count == 3 { row["low"] = cells[1]; row["high"] = cells[2] }
            return row
        }
        if let verdict { summary.append(["key": "verdict", "value": CSVText.text(verdict)]) }
        summary += notes.map { ["key": "note", "value": CSVText.text($0)] }
        if !text.isEmpty, tables.isEmpty { summary.append(["key": "text", "value": CSVText.text(text)]) }
        if !summary.isEmpty {
            let ranged = machineFields.contains { $0.value.isRange }
            parts.append(
                Part(name: "summary", columns: ["key", "value"] + (ranged ? ["low", "high"] : []), rows: summary))
        }
        for t in tables where t.audience != .people {
            let cols = t.columns.indices.filter { t.columns[$0].audience != .people }
            var names: [String] = []
            var layout: [(Int, [String])] = []
            for j in cols {
                let key = t.columns[j].key
                let ranged = t.rows.contains { $0[safe: j]?.isRange ?? false }
                let estimate = ranged && t.rows.contains { $0[safe: j]?.hasEstimate ?? false }
                let sub = ranged ? (estimate ? [key] : []) + [key + "_low", key + "_high"] : [key]
                layout.append((j, sub))
                names += sub
            }
            let rows = try t.rows.enumerated().map { i, row -> [String: String] in
                if i & 1023 == 1023, cancellation.isCancelled { throw Cancelled() }
                var out: [String: String] = [:]
                for (j, sub) in layout {
                    let cell = row[safe: j] ?? .missing("")
                    let values =
                        sub.count == 1
                        ? [cell.csvCells(estimate: false).first ?? ""]
                        : cell.csvCells(estimate: sub.count == 3)
                    for (k, v) in zip(sub, values) { out[k] = v }
                }
                return out
            }
            parts.append(Part(name: t.key, columns: names, rows: rows))
        }
        guard !parts.isEmpty else { return CSVText.line([kind]) }
        var header: [String] = parts.count > 1 ? ["table"] : []
        for p in parts { for c in p.columns where !header.contains(c) { header.append(c) } }
        var lines = [CSVText.line(header.map(CSVText.text))]
        for p in parts {
            for (i, r) in p.rows.enumerated() {
                if i & 1023 == 1023, cancellation.isCancelled { throw Cancelled() }
                lines.append(CSVText.line(header.map { $0 == "table" && parts.count > 1 ? p.name : r[$0] ?? "" }))
            }
        }
        return lines.joined(separator: "\n")
    }
}

/// RFC 4180 fields: quoted when they hold a comma, a quote or a line break.
enum CSVText {
    static func field(_ s: String) -> String {
        if s.contains(",") || s.contains("\"") || s.contains("\n") || s.contains("\r") {
            return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return s
    }

    /// Text from data (a class name, a column name) as a spreadsheet reads it as text: when it
    /// starts with =, +, −, @, a tab or a carriage return and is not a number, an apostrophe goes
    /// before it, as OWASP advises against CSV injection (a class `=HYPERLINK(…)` stays text).
    /// Numbers mle writes are left alone. `save` of a dataset writes values unchanged instead,
    /// so that loading the file gives the same data back.
    static func text(_ s: String) -> String {
        if let first = s.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first), Double(s) == nil {
            return "'" + s
        }
        return s
    }

    static func line(_ fields: [String]) -> String { fields.map(field).joined(separator: ",") }
}

extension Table {
    /// The table alone as CSV (a header row, then every row; intervals as low and high columns).
    public func csv() -> String { Report(kind: key, title: "", tables: [self]).csv() }
    /// `csv()`, hearing Ctrl-C (for files of millions of rows).
    public func csv(cancellation: Cancellation) throws -> String {
        try Report(kind: key, title: "", tables: [self]).csv(cancellation: cancellation)
    }
}
