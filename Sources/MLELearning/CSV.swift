import Foundation
import MLETensor

/// A position in a text file, 1-based.
public struct TextPosition: Equatable, Sendable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public init(line: Int, column: Int) { self.line = line; self.column = column }
    public var description: String { "\(line):\(column)" }
}

/// An error in a data file, with the place it was found.
public struct DataFileError: Error, Equatable, CustomStringConvertible {
    public var file: String
    public var position: TextPosition?
    public var message: String
    /// The name the file lacks, when that is the error (the language adds its suggestion).
    public var unknownName: UnknownNameError?
    public init(file: String, position: TextPosition?, message: String, unknownName: UnknownNameError? = nil) {
        self.file = file; self.position = position; self.message = message; self.unknownName = unknownName
    }
    public var description: String {
        if let p = position { return "\(file):\(p.line):\(p.column): \(message)" }
        return "\(file): \(message)"
    }
}

/// A CSV table as read: the header, and each record's fields with where each field starts.
public struct CSVTable: Sendable {
    public var header: [String]
    public var headerLine: Int
    public var records: [[String]]
    /// Start of each field, parallel to `records`.
    public var positions: [[TextPosition]]
}

/// An RFC 4180 reader: quoted fields holding commas, doubled quotes and newlines; LF or CRLF line
/// ends; an optional UTF-8 byte-order mark; a header row. Blank lines are skipped.
public enum CSVReader {
    /// Parses CSV text.
    /// - Parameters:
    ///   - text: the file's contents.
    ///   - file: the name used in error messages.
    /// - Throws: `DataFileError` for an empty file, an unterminated quote, text after a closing
    ///   quote, or a record whose field count differs from the header's.
    public static func parse(_ text: String, file: String) throws -> CSVTable {
        // Works on UTF-8 bytes: every delimiter is ASCII, so fields are byte ranges, and this is
        // several times faster than walking Unicode scalars (measured on digits.csv).
        var records: [[String]] = []
        var positions: [[TextPosition]] = []
        var utf8 = Array(text.utf8)
        if utf8.starts(with: [0xEF, 0xBB, 0xBF]) { utf8.removeFirst(3) }
        let quote: UInt8 = 0x22, comma: UInt8 = 0x2C, cr: UInt8 = 0x0D, lf: UInt8 = 0x0A
        var line = 1
        var lineStart = 0  // byte offset where the current line starts
        var i = 0
        let n = utf8.count

        // Column (in characters) of byte offset `k` on the current line, counted on from the
        // last call so a whole line costs one pass.
        var countedTo = 0, countedColumn = 1
        func column(_ k: Int) -> Int {
            if countedTo < lineStart || countedTo > k { countedTo = lineStart; countedColumn = 1 }
            while countedTo < k { if utf8[countedTo] & 0xC0 != 0x80 { countedColumn += 1 }; countedTo += 1 }
            return countedColumn
        }

        while i < n {
            // Skip blank lines.
            if utf8[i] == lf { line += 1; i += 1; lineStart = i; continue }
            if utf8[i] == cr, i + 1 < n, utf8[i + 1] == lf { line += 1; i += 2; lineStart = i; continue }
            var record: [String] = []
            var recordPositions: [TextPosition] = []
            while true {
                let fieldPos = TextPosition(line: line, column: column(i))
                if i < n, utf8[i] == quote {
                    var bytes: [UInt8] = []
                    i += 1
                    var closed = false
                    while i < n {
                        let b = utf8[i]
                        if b == quote {
                            if i + 1 < n, utf8[i + 1] == quote { bytes.append(quote); i += 2; continue }
                            i += 1; closed = true; break
                        }
                        if b == cr, i + 1 < n, utf8[i + 1] == lf {
                            bytes.append(lf); i += 2; line += 1; lineStart = i; continue
                        }
                        if b == lf { line += 1; lineStart = i + 1 }
                        bytes.append(b); i += 1
                    }
                    guard closed else {
                        throw DataFileError(file: file, position: fieldPos, message: "a quoted field is never closed")
                    }
                    if i < n, utf8[i] != comma, utf8[i] != lf, utf8[i] != cr {
                        throw DataFileError(
                            file: file, position: TextPosition(line: line, column: column(i)),
                            message: "text after the closing quote of a field")
                    }
                    record.append(String(decoding: bytes, as: UTF8.self))
                } else {
                    let s = i
                    while i < n, utf8[i] != comma, utf8[i] != lf, utf8[i] != cr {
                        if utf8[i] == quote {
                            throw DataFileError(
                                file: file, position: TextPosition(line: line, column: column(i)),
                                message:
                                    "a quote inside an unquoted field; quote the whole field and double the quote (\"\")"
                            )
                        }
                        i += 1
                    }
                    record.append(String(decoding: utf8[s..<i], as: UTF8.self))
                }
                recordPositions.append(fieldPos)
                if i < n, utf8[i] == comma { i += 1; continue }
                // End of the record: a line end or the end of the text.
                if i < n, utf8[i] == cr { i += 1 }
                if i < n, utf8[i] == lf { i += 1 }
                line += 1
                lineStart = i
                break
            }
            records.append(record)
            positions.append(recordPositions)
        }

        guard let header = records.first else {
            throw DataFileError(file: file, position: nil, message: "the file is empty; expected a header row")
        }
        let headerLine = positions[0].first?.line ?? 1
        let names = try checkedHeader(header, positions: positions[0], file: file)
        let body = Array(records.dropFirst())
        let bodyPositions = Array(positions.dropFirst())
        for (r, rec) in body.enumerated() where rec.count != header.count {
            let pos = rec.count > header.count ? bodyPositions[r][header.count] : bodyPositions[r][rec.count - 1]
            throw DataFileError(
                file: file, position: pos,
                message: "this row has \(rec.count) fields but the header has \(header.count)")
        }
        return CSVTable(header: names, headerLine: headerLine, records: body, positions: bodyPositions)
    }

    /// The header's column names without surrounding blanks.
    /// - Throws: `DataFileError` at a name that is empty or appears twice.
    static func checkedHeader(_ fields: [String], positions: [TextPosition], file: String) throws -> [String] {
        var names: [String] = []
        var seen: [String: Int] = [:]
        for (j, name) in fields.enumerated() {
            let trimmed = name.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty {
                throw DataFileError(
                    file: file, position: positions[j], message: "column \(j + 1) has an empty name in the header")
            }
            if let k = seen[trimmed] {
                throw DataFileError(
                    file: file, position: positions[j],
                    message: "column name '\(trimmed)' appears twice in the header (columns \(k + 1) and \(j + 1))")
            }
            seen[trimmed] = j
            names.append(trimmed)
        }
        return names
    }
}

/// Which columns of a header are the target and which were declared categorical or numeric.
struct ColumnRoles {
    var target: Int?
    var categorical: Set<Int>
    var numeric: Set<Int>

    /// - Throws: `DataFileError` for a named column not in the header (with a suggestion), or one
    ///   declared both categorical and numeric.
    init(header: [String], headerLine: Int, file: String, targetName: String?, options: ColumnOptions) throws {
        func column(_ t: String, _ what: String) throws -> Int {
            guard let j = header.firstIndex(of: t) else {
                throw DataFileError(
                    file: file, position: TextPosition(line: headerLine, column: 1),
                    message: "no column named '\(t)' in the header\(what)",
                    unknownName: UnknownNameError(kind: "column", name: t, known: header, listing: "columns"))
            }
            return j
        }
        target = try targetName.map { try column($0, "") }
        categorical = Set(try options.categorical.map { try column($0, " (given in categorical=)") })
        numeric = Set(try options.numeric.map { try column($0, " (given in numeric=)") })
        if let both = categorical.intersection(numeric).first {
            throw DataFileError(
                file: file, position: nil, message: "column '\(header[both])' is declared both categorical and numeric")
        }
    }
}
