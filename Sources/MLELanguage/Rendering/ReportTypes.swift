import Foundation
import MLELearning
import MLETensor

/// How results are printed.
public enum OutputFormat: String, CaseIterable, Sendable {
    case table, json, csv
}

/// How a number is written for people (machines always get the full value).
public enum NumberStyle: Sendable {
    /// Four decimals (`0.9735`), the precision reports use for metrics.
    case metric
    /// Integers without decimals, others with up to six significant digits.
    case general
    /// Four significant digits (`0.0123`, `1.234e+05`).
    case significant
    /// Five significant digits (losses).
    case significant5
    /// A share as a percentage with one decimal (`62.7%`).
    case percent
    /// A p-value (`0.0123`, `3.64e-12`, `< 1e-16`).
    case pValue
    /// A fixed number of decimals (`0.123457` for 6).
    case decimals(Int)
    /// A probability: six decimals, or where those would hide it, its distance from 1 or 0 in
    /// three significant digits (`1 − 2.38e-07`, `3.1e-09`).
    case probability

    func text(_ v: Double) -> String {
        switch self {
        case .metric: return Format.metric(v)
        case .general: return v.isFinite ? Format.number(v) : Format.metric(v)
        case .significant: return v.isFinite ? String(format: "%.4g", v) : Format.metric(v)
        case .significant5: return v.isFinite ? String(format: "%.5g", v) : Format.metric(v)
        case .percent: return v.isFinite ? String(format: "%.1f%%", v * 100) : Format.metric(v)
        case .pValue: return Format.pValue(v)
        case .decimals(let n): return v.isFinite ? String(format: "%.\(n)f", v) : Format.metric(v)
        case .probability:
            guard v.isFinite else { return Format.metric(v) }
            if v < 1, 1 - v < 5e-4 { return "1 − " + String(format: "%.3g", 1 - v) }
            if v > 0, v < 5e-4 { return String(format: "%.3g", v) }
            return String(format: "%.6f", v)
        }
    }
}

/// One typed value of a report: a field's value or a table cell. People see `display`; JSON and
/// CSV get the value itself (numbers as numbers, intervals as their ends).
public indirect enum Cell: Sendable {
    case text(String)
    case number(Double, NumberStyle)
    /// A float32 number (see `float`).
    case single(Float, NumberStyle)
    case count(Int)
    case flag(Bool)
    /// An interval without a point estimate: `[low, high]`.
    case interval(low: Double, high: Double, NumberStyle)
    /// A point estimate with its interval: `estimate [low, high]`.
    case estimate(Double, low: Double, high: Double, NumberStyle)
    /// No value (undefined, not found): people see the text given (`—`, `> 10`); JSON null, CSV empty.
    case missing(String)
    /// A vector of numbers (a counterexample): a JSON array, space-separated in CSV.
    case vector([Double])
    /// A value whose text for people says more than the value (`0.9735  (110 of 113 correct)`).
    case shown(Cell, as: String)

    public static func number(_ v: Double) -> Cell { .number(v, .metric) }
    /// A number, or `missing("—")` when there is none.
    public static func number(_ v: Double?, _ style: NumberStyle = .metric, missing: String = "—") -> Cell {
        guard let v else { return .missing(missing) }
        return .number(v, style)
    }

    /// A float32 result: people see it rounded from its exact value; machines read its shortest
    /// decimal form (`0.12345679`, not the binary expansion `0.12345679104328156`).
    public static func float(_ v: Float, _ style: NumberStyle = .metric) -> Cell { .single(v, style) }

    /// The text people see.
    public var display: String {
        switch self {
        case .text(let s): return s
        case .number(let v, let style): return style.text(v)
        case .single(let v, let style): return style.text(Double(v))
        case .count(let n): return "\(n)"
        case .flag(let b): return b ? "yes" : "no"
        case .interval(let lo, let hi, let style): return "[\(style.text(lo)), \(style.text(hi))]"
        case .estimate(let v, let lo, let hi, let style):
            return "\(style.text(v)) [\(style.text(lo)), \(style.text(hi))]"
        case .missing(let s): return s
        case .shown(_, let s): return s
        case .vector(let v): return v.map { Format.number($0) }.joined(separator: " ")
        }
    }

    /// The value without its display text.
    public var value: Cell {
        if case .shown(let c, _) = self { return c.value }
        return self
    }

    var isRange: Bool {
        switch value {
        case .interval, .estimate: return true
        default: return false
        }
    }

    var hasEstimate: Bool {
        if case .estimate = value { return true }
        return false
    }

    /// JSON: numbers as numbers (null when not finite), intervals as `{estimate, low, high}`.
    public var json: JSON {
        switch value {
        case .text(let s): return .string(s)
        case .number(let v, _): return .num(v)
        case .single(let v, _): return .num(v.isFinite ? Double(String(v)) ?? Double(v) : nil)
        case .count(let n): return .number(Double(n))
        case .flag(let b): return .bool(b)
        case .interval(let lo, let hi, _): return .object([("low", .num(lo)), ("high", .num(hi))])
        case .estimate(let v, let lo, let hi, _):
            return .object([("estimate", .num(v)), ("low", .num(lo)), ("high", .num(hi))])
        case .missing: return .null
        case .vector(let v): return .array(v.map { .num($0) })
        case .shown(let c, _): return c.json
        }
    }

    /// CSV cells: one for a plain value; estimate, low, high (or low, high) for an interval.
    func csvCells(estimate: Bool) -> [String] {
        func num(_ v: Double) -> String {
            guard v.isFinite else { return v.isNaN ? "nan" : (v > 0 ? "inf" : "-inf") }
            if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
            return "\(v)"
        }
        switch value {
        case .interval(let lo, let hi, _): return (estimate ? [""] : []) + [num(lo), num(hi)]
        case .estimate(let v, let lo, let hi, _): return (estimate ? [num(v)] : []) + [num(lo), num(hi)]
        case .text(let s): return [CSVText.text(s)]
        case .number(let v, _): return [num(v)]
        case .single(let v, _):
            guard v.isFinite, v != v.rounded() || abs(v) >= 1e7 else { return [num(Double(v))] }
            return [String(v)]
        case .count(let n): return ["\(n)"]
        case .flag(let b): return [b ? "true" : "false"]
        case .vector(let v): return [v.map(num).joined(separator: " ")]
        case .missing, .shown: return [""]
        }
    }
}

/// Who sees a field or column: everyone, or only JSON and CSV (detail too long for a table).
public enum Audience: Sendable { case all, machines, people }

/// One labelled value of a report (`accuracy  0.9735`).
public struct Field: Sendable {
    /// The name machines see (snake_case).
    public var key: String
    /// The label people see.
    public var label: String
    public var value: Cell
    public var audience: Audience

    public init(_ key: String, _ label: String, _ value: Cell, audience: Audience = .all) {
        self.key = key; self.label = label; self.value = value; self.audience = audience
    }

    /// A field labelled for people, keyed by the label's snake_case form.
    public static func labelled(_ label: String, _ value: Cell, audience: Audience = .all) -> Field {
        Field(Table.machineName(label), label, value, audience: audience)
    }

    /// A field of text (a sentence, a setting), keyed by its label's snake_case form.
    public static func text(_ label: String, _ text: String) -> Field { labelled(label, .text(text)) }

    /// A field whose label is its key.
    public init(_ key: String, _ value: Cell, audience: Audience = .all) {
        self.init(key, key, value, audience: audience)
    }
}

/// A table of typed cells. `limit` shortens what people see; JSON and CSV carry every row.
public struct Table: Sendable {
    public enum Alignment: Sendable { case left, right }

    public struct Column: Sendable {
        public var key: String
        public var label: String
        public var alignment: Alignment
        public var audience: Audience
        public init(_ key: String, _ label: String? = nil, _ alignment: Alignment = .right, audience: Audience = .all) {
            self.key = key; self.label = label ?? key; self.alignment = alignment; self.audience = audience
        }
    }

    /// The name machines see (JSON key, CSV `table` column).
    public var key: String
    public var caption: String?
    public var columns: [Column]
    public var rows: [[Cell]]
    /// Rows people see; the rest are counted in a line under the table.
    public var limit: Int?
    /// With `limit`, the last rows people also see, after a row of "…" (a loss curve's end).
    public var tail = 0
    /// A table for machines only (every retraining's score) is left out of the table text.
    public var audience: Audience = .all
    /// What people are told about rows left out (after "… N more rows").
    public var moreHint: String = "rows=N shows more; set format json or csv gives all"

    public init(key: String, caption: String? = nil, columns: [Column], rows: [[Cell]], limit: Int? = nil) {
        self.key = key; self.caption = caption; self.columns = columns; self.rows = rows; self.limit = limit
    }

    /// A table of text cells (a header row and string rows).
    public init(
        caption: String? = nil, header: [String], rows: [[String]], alignments: [Alignment]? = nil, key: String? = nil
    ) {
        let aligns = alignments ?? header.indices.map { $0 == 0 ? .left : .right }
        self.key = key ?? Table.machineName(caption ?? "table")
        self.caption = caption
        self.columns = header.indices.map { j in
            Column(
                header[j].isEmpty ? "column_\(j + 1)" : Table.machineName(header[j]), header[j],
                aligns[safe: j] ?? .right)
        }
        self.rows = rows.map { $0.map { .text($0) } }
    }

    /// A table of typed cells under a header row (keys made from the labels).
    public init(
        caption: String? = nil, header: [String], cells: [[Cell]], alignments: [Alignment]? = nil, key: String? = nil
    ) {
        self.init(caption: caption, header: header, rows: [], alignments: alignments, key: key)
        self.rows = cells
    }

    public var header: [String] { columns.filter { $0.audience != .machines }.map(\.label) }

    /// A snake_case name from a label: "macro F1" → "macro_f1", "actual \ predicted" → "actual_predicted".
    public static func machineName(_ label: String) -> String {
        var out = ""
        var gap = false
        for ch in label.lowercased() {
            if ch.isLetter || ch.isNumber {
                if gap, !out.isEmpty { out.append("_") }
                out.append(ch); gap = false
            } else {
                gap = true
            }
            if out.count >= 40 { break }
        }
        return out.isEmpty ? "value" : out
    }
}

/// A command's result for printing: a title, typed fields and tables, a verdict and notes. The
/// table text, the JSON object and the CSV are all derived from the same fields.
public struct Report: Sendable {
    /// The command (or report kind) it came from.
    public var kind: String
    public var title: String
    /// What the report is about, as written: ("model", "net"), ("data", "test").
    public var subjects: [(String, String)] = []
    public var fields: [Field] = []
    public var tables: [Table]
    /// The one-line answer, when the report has one.
    public var verdict: String?
    public var notes: [String]
    /// Machine data with no table form (raw curves, vectors); JSON only.
    public var extra: [(String, JSON)] = []
    /// Free text printed as is (help); empty for most reports.
    public var text: String
    /// Pictures drawn after the tables: as text in the table format (JSON and CSV carry the
    /// data), as SVG by `plot … to=` and in an HTML session report.
    public var figures: [Figure] = []
    /// The command that made the report, when it differs from `kind`; set by the interpreter.
    public var commandName: String?

    public init(
        kind: String, title: String, subjects: [(String, String)] = [], fields: [Field] = [],
        tables: [Table] = [], verdict: String? = nil, notes: [String] = [], extra: [(String, JSON)] = [],
        text: String = ""
    ) {
        self.kind = kind; self.title = title; self.subjects = subjects; self.fields = fields
        self.tables = tables; self.verdict = verdict; self.notes = notes; self.extra = extra
        self.text = text
    }

    public func render(_ format: OutputFormat, width: Int = 100) -> String {
        (try? render(format, width: width, cancellation: .never)) ?? ""  // .never: it cannot throw
    }

    /// `render`, hearing Ctrl-C while it writes the rows of JSON or CSV (seconds for millions).
    public func render(_ format: OutputFormat, width: Int = 100, cancellation: Cancellation) throws -> String {
        switch format {
        case .json:
            let tree = try jsonValue(cancellation: cancellation)
            do { return try tree.serialized(cancellation: cancellation) } catch {
                ReleaseLater.drop(tree)  // millions of rows' objects: freed off the way to the prompt
                throw error
            }
        case .csv: return try csv(cancellation: cancellation)
        case .table: return tableText(width: width)
        }
    }
}
