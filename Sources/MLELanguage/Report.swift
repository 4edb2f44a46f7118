import Foundation

/// How results are printed.
public enum OutputFormat: String, CaseIterable, Sendable {
    case table, json, csv
}

/// A table of text cells with a header row.
public struct Table: Equatable, Sendable {
    public enum Alignment: Sendable { case left, right }
    public var caption: String?
    public var header: [String]
    public var rows: [[String]]
    public var alignments: [Alignment]

    public init(caption: String? = nil, header: [String], rows: [[String]], alignments: [Alignment]? = nil) {
        self.caption = caption; self.header = header; self.rows = rows
        self.alignments = alignments ?? header.indices.map { $0 == 0 ? .left : .right }
    }

    /// Columns padded to their widest cell, two spaces apart, a rule under the header.
    public func text() -> String {
        let cols = header.count
        var widths = header.map(\.count)
        for r in rows { for (j, c) in r.enumerated() where j < cols { widths[j] = max(widths[j], c.count) } }
        func line(_ cells: [String]) -> String {
            var parts: [String] = []
            for j in 0..<cols {
                let c = j < cells.count ? cells[j] : ""
                let pad = String(repeating: " ", count: widths[j] - c.count)
                parts.append(alignments[safe: j] == .right ? pad + c : c + pad)
            }
            var s = parts.joined(separator: "  ")
            while s.hasSuffix(" ") { s.removeLast() }
            return s
        }
        var out: [String] = []
        if let caption { out.append(caption) }
        out.append(line(header))
        out.append(widths.map { String(repeating: "─", count: $0) }.joined(separator: "  "))
        out += rows.map(line)
        return out.joined(separator: "\n")
    }

    /// RFC 4180 CSV: header and rows, fields quoted when needed.
    public func csv() -> String {
        ([header] + rows).map { $0.map(Table.csvField).joined(separator: ",") }.joined(separator: "\n")
    }

    static func csvField(_ s: String) -> String {
        if s.contains(",") || s.contains("\"") || s.contains("\n") || s.contains("\r") {
            return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return s
    }
}

/// A command's printable result: a title, key facts, tables and notes for people, and one JSON
/// object for machines. Every report renders in all three output formats.
public struct Report: Sendable {
    public var kind: String
    public var title: String
    public var facts: [(String, String)]
    public var tables: [Table]
    public var notes: [String]
    public var json: JSON
    /// Free text printed as is (help); empty for most reports.
    public var text: String
    /// Curves drawn as text after the tables (table format only; JSON carries the data).
    public var plots: [TextPlot] = []
    /// Bar charts drawn after the plots (table format only).
    public var bars: [BarChart] = []

    public init(kind: String, title: String, facts: [(String, String)] = [], tables: [Table] = [],
                notes: [String] = [], json: JSON, text: String = "") {
        self.kind = kind; self.title = title; self.facts = facts; self.tables = tables
        self.notes = notes; self.json = json; self.text = text
    }

    public func render(_ format: OutputFormat) -> String {
        switch format {
        case .json:
            return json.serialized()
        case .csv:
            var parts: [String] = []
            if !facts.isEmpty { parts.append(Table(header: ["key", "value"], rows: facts.map { [$0.0, $0.1] }).csv()) }
            parts += tables.map { $0.csv() }
            if parts.isEmpty { return text }
            return parts.joined(separator: "\n\n")
        case .table:
            var parts: [String] = []
            if !title.isEmpty { parts.append(title) }
            if !facts.isEmpty {
                let w = facts.map(\.0.count).max() ?? 0
                parts.append(facts.map { $0.0.padding(toLength: w, withPad: " ", startingAt: 0) + "  " + $0.1 }
                    .joined(separator: "\n"))
            }
            if !text.isEmpty { parts.append(text) }
            parts += tables.map { $0.text() }
            parts += plots.map { $0.text() }
            parts += bars.map { $0.text() }
            if !notes.isEmpty { parts.append(notes.joined(separator: "\n")) }
            return parts.joined(separator: "\n\n")
        }
    }
}

/// Number formatting shared by every report.
public enum Format {
    /// Four decimals, the precision reports use for metrics.
    public static func metric(_ v: Double?) -> String {
        guard let v else { return "—" }
        guard v.isFinite else { return v.isNaN ? "nan" : (v > 0 ? "inf" : "-inf") }
        return String(format: "%.4f", v)
    }

    /// "a zero_rule", "an ensemble": a word with its indefinite article (by its first letter).
    public static func withArticle(_ word: String) -> String {
        ("aeiou".contains(word.first.map { Character($0.lowercased()) } ?? "x") ? "an " : "a ") + word
    }

    /// A confidence level as a percentage: 95%, 99.5%.
    public static func percent(_ level: Double) -> String { number(level * 100) + "%" }

    /// A p-value: four significant digits, or "< 1e-16".
    public static func pValue(_ p: Double) -> String {
        guard p.isFinite else { return "nan" }
        if p < 1e-16 { return "< 1e-16" }
        return p < 0.001 ? String(format: "%.3g", p) : String(format: "%.4f", p)
    }

    /// "p = 0.0123", or "p < 1e-16" when it underflows.
    public static func p(_ p: Double) -> String {
        let s = pValue(p)
        return s.hasPrefix("<") ? "p \(s)" : "p = \(s)"
    }

    /// A duration with three significant digits: "412 µs", "8.84 ms", "12.3 s", "95.2 min".
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "—" }
        func three(_ v: Double) -> String { String(format: v < 9.995 ? "%.2f" : v < 99.95 ? "%.1f" : "%.0f", v) }
        // A unit changes where its three digits would round up to the next one (0.99996 s is 1.00 s).
        if seconds < 0.9995e-3 { return three(seconds * 1e6) + " µs" }
        if seconds < 0.9995 { return three(seconds * 1e3) + " ms" }
        if seconds < 599.5 { return three(seconds) + " s" }
        return three(seconds / 60) + " min"
    }

    /// A general number: integers without decimals, others with up to 6 significant digits.
    public static func number(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return String(format: "%.6g", v)
    }
}
