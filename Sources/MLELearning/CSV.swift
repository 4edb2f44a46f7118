import Foundation

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
    public init(file: String, position: TextPosition?, message: String) {
        self.file = file; self.position = position; self.message = message
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
        var records: [[String]] = []
        var positions: [[TextPosition]] = []
        var field = String.UnicodeScalarView()
        var record: [String] = []
        var recordPositions: [TextPosition] = []
        var line = 1, column = 1
        var fieldStart = TextPosition(line: 1, column: 1)
        var recordLine = 1
        var inQuotes = false, afterQuote = false, fieldHasContent = false
        var quoteStart = TextPosition(line: 1, column: 1)

        func endField() {
            record.append(String(field))
            recordPositions.append(fieldStart)
            field = String.UnicodeScalarView()
            afterQuote = false
            fieldHasContent = false
        }
        func endRecord() {
            endField()
            // A line holding nothing at all is skipped, not read as a one-field record.
            if !(record.count == 1 && record[0].isEmpty && !fieldWasQuoted) {
                records.append(record)
                positions.append(recordPositions)
            }
            record = []
            recordPositions = []
        }
        var fieldWasQuoted = false

        var scalars = Array(text.unicodeScalars)
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            if inQuotes {
                if c == "\"" {
                    if i + 1 < scalars.count && scalars[i + 1] == "\"" {
                        field.append("\""); i += 2; column += 2; continue
                    }
                    inQuotes = false; afterQuote = true
                } else if c == "\n" {
                    field.append(c); line += 1; column = 0
                } else if c == "\r" && i + 1 < scalars.count && scalars[i + 1] == "\n" {
                    field.append("\n"); i += 1; line += 1; column = 0
                } else {
                    field.append(c)
                }
                i += 1; column += 1
                continue
            }
            switch c {
            case ",":
                endField(); fieldWasQuoted = false
                column += 1
                fieldStart = TextPosition(line: line, column: column)
                i += 1
                continue
            case "\r", "\n":
                if c == "\r", i + 1 < scalars.count, scalars[i + 1] == "\n" { i += 1 }
                if recordLine == line || !record.isEmpty || fieldHasContent || fieldWasQuoted {
                    endRecord()
                }
                fieldWasQuoted = false
                line += 1; column = 1; i += 1
                fieldStart = TextPosition(line: line, column: column)
                recordLine = line
                continue
            case "\"":
                if fieldHasContent || afterQuote {
                    throw DataFileError(file: file, position: TextPosition(line: line, column: column),
                                        message: "a quote inside an unquoted field; quote the whole field and double the quote (\"\")")
                }
                inQuotes = true; fieldHasContent = true; fieldWasQuoted = true
                quoteStart = TextPosition(line: line, column: column)
            default:
                if afterQuote {
                    throw DataFileError(file: file, position: TextPosition(line: line, column: column),
                                        message: "text after the closing quote of a field")
                }
                field.append(c); fieldHasContent = true
            }
            i += 1; column += 1
        }
        if inQuotes {
            throw DataFileError(file: file, position: quoteStart,
                                message: "a quoted field is never closed")
        }
        if !record.isEmpty || fieldHasContent || fieldWasQuoted { endRecord() }

        guard let header = records.first else {
            throw DataFileError(file: file, position: nil, message: "the file is empty; expected a header row")
        }
        let headerLine = positions[0].first?.line ?? 1
        var seen: [String: Int] = [:]
        for (j, name) in header.enumerated() {
            let trimmed = name.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty {
                throw DataFileError(file: file, position: positions[0][j], message: "column \(j + 1) has an empty name in the header")
            }
            if let k = seen[trimmed] {
                throw DataFileError(file: file, position: positions[0][j],
                                    message: "column name '\(trimmed)' appears twice in the header (columns \(k + 1) and \(j + 1))")
            }
            seen[trimmed] = j
        }
        let body = Array(records.dropFirst())
        let bodyPositions = Array(positions.dropFirst())
        for (r, rec) in body.enumerated() where rec.count != header.count {
            let pos = rec.count > header.count ? bodyPositions[r][header.count] : bodyPositions[r][rec.count - 1]
            throw DataFileError(file: file, position: pos,
                                message: "this row has \(rec.count) fields but the header has \(header.count)")
        }
        return CSVTable(header: header.map { $0.trimmingCharacters(in: .whitespaces) },
                        headerLine: headerLine, records: body, positions: bodyPositions)
    }
}
