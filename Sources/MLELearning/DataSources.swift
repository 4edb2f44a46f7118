import CSQLite
import CZlib
import Foundation
import MLETensor

/// Data in the forms people have it: delimited text with any of the common separators, gzip-
/// compressed, or a table of a SQLite database. Each is brought to the CSV loader, so columns,
/// missing values and errors are read the same way whatever the form.
public enum DataSource {
    /// The separators `sniff` chooses between: comma, tab, semicolon, bar.
    public static let separators: [UInt8] = [0x2C, 0x09, 0x3B, 0x7C]

    /// A separator's name for people.
    public static func name(of separator: UInt8) -> String {
        switch separator {
        case 0x2C: return "comma"
        case 0x09: return "tab"
        case 0x3B: return "semicolon"
        case 0x7C: return "bar"
        default: return "'\(Character(Unicode.Scalar(separator)))'"
        }
    }

    /// The separator of delimited text, from its first records (up to 20, quotes respected): the
    /// candidate found the same number of times, at least once, in every record, the most such;
    /// failing that, the one most frequent in the header; a comma when none appears.
    public static func sniff(_ head: [UInt8], whole: Bool) -> UInt8 {
        var records: [[UInt8: Int]] = [[:]]
        var quoted = false
        for b in head {
            if b == 0x22 { quoted.toggle(); continue }
            if quoted { continue }
            if b == 0x0A {
                if records.count >= 21 { break }
                records.append([:])
            } else if separators.contains(b) {
                records[records.count - 1][b, default: 0] += 1
            }
        }
        // The last record may be cut off by the end of the head; blank lines count for nothing.
        if !whole, records.count > 1 { records.removeLast() }
        records.removeAll { $0.isEmpty }
        guard let header = records.first else { return 0x2C }
        var best: (separator: UInt8, count: Int)?
        for s in separators {
            let n = header[s] ?? 0
            guard n > 0, records.allSatisfy({ $0[s] == n }) else { continue }
            if best == nil || n > (best?.count ?? 0) { best = (s, n) }
        }
        if let best { return best.separator }
        return separators.max { (header[$0] ?? 0) < (header[$1] ?? 0) }.flatMap { header[$0] != nil ? $0 : nil } ?? 0x2C
    }

    /// The first `count` bytes of a file (fewer when it is shorter), and whether that is all of it.
    /// Nothing but a regular file is opened: a FIFO would block the open until a writer comes, a
    /// device may never end (the CSV loader then says what the path is).
    public static func head(of path: String, count: Int = 1 << 16) -> (bytes: [UInt8], whole: Bool) {
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG,
            let handle = FileHandle(forReadingAtPath: path)
        else { return ([], true) }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: count)) ?? Data()
        return ([UInt8](data), data.count < count)
    }

    /// Whether a file starts as a gzip stream does (1f 8b).
    public static func isGzip(_ head: [UInt8]) -> Bool { head.count >= 2 && head[0] == 0x1F && head[1] == 0x8B }

    /// Whether a file starts as a SQLite 3 database does.
    public static func isSQLite(_ head: [UInt8]) -> Bool { head.starts(with: Array("SQLite format 3\0".utf8)) }

    /// A gzip file's contents (several members are read one after another, as gunzip does).
    /// - Throws: `DataFileError` for a file that is not gzip or is cut short; `MemoryError` when
    ///   the contents outgrow the memory available; `Cancelled`.
    public static func gunzip(path: String, cancellation: Cancellation = .never) throws -> [UInt8] {
        // A regular file only; its compressed bytes are held whole: checked first.
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        guard attributes?[.type] as? FileAttributeType == .typeRegular else {
            throw DataFileError(file: path, position: nil, message: "cannot open: it is not a regular file")
        }
        if let size = attributes?[.size] as? Int { try Memory.reserve(size, for: "read \(path)") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataFileError(file: path, position: nil, message: "cannot open: no such file or it is unreadable")
        }
        var input = [UInt8](data)
        var out: [UInt8] = []
        var checkedUpTo = 0
        var stream = z_stream()
        // 15 window bits + 32: zlib detects the gzip header itself.
        guard inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DataFileError(file: path, position: nil, message: "cannot start zlib")
        }
        defer { inflateEnd(&stream) }
        let chunk = 1 << 20
        var chunkBuffer = [UInt8](repeating: 0, count: chunk)
        var consumed = 0
        try input.withUnsafeMutableBufferPointer { inBuf in
            guard let base = inBuf.baseAddress else { return }
            stream.next_in = base
            stream.avail_in = UInt32(clamping: inBuf.count)
            while true {
                if cancellation.isCancelled { throw Cancelled() }
                let status = chunkBuffer.withUnsafeMutableBufferPointer { outBuf -> Int32 in
                    stream.next_out = outBuf.baseAddress
                    stream.avail_out = UInt32(chunk)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                out.append(contentsOf: chunkBuffer[0..<(chunk - Int(stream.avail_out))])
                // The contents are held whole: checked against the memory left every 64 MB.
                if out.count - checkedUpTo > 1 << 26 {
                    try Memory.reserve(out.count, for: "decompress \(path)")
                    checkedUpTo = out.count
                }
                consumed = inBuf.count - Int(stream.avail_in)
                switch status {
                case Z_STREAM_END:
                    // Another member may follow (cat a.gz b.gz); trailing zeros end it.
                    let rest = inBuf[consumed...]
                    guard rest.contains(where: { $0 != 0 }) else { return }
                    guard inflateReset(&stream) == Z_OK else { return }
                case Z_OK:
                    if stream.avail_in == 0, stream.avail_out != 0 {
                        throw DataFileError(file: path, position: nil, message: "the gzip file is cut short")
                    }
                case Z_BUF_ERROR:
                    if stream.avail_in == 0 {
                        throw DataFileError(file: path, position: nil, message: "the gzip file is cut short")
                    }
                default:
                    let reason = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                    throw DataFileError(file: path, position: nil, message: "not a valid gzip file: \(reason)")
                }
            }
        }
        return out
    }

    /// A SQLite database's tables, in name order.
    public static func sqliteTables(path: String) throws -> [String] {
        let db = try SQLiteDatabase(path: path)
        defer { db.close() }
        var tables: [String] = []
        try db.query(
            "select name from sqlite_master where type in ('table', 'view') and name not like 'sqlite_%' order by name",
            file: path
        ) { _, row in
            if let name = row.first ?? nil { tables.append(name) }
        }
        return tables
    }

    /// The rows of a SQLite table or query as CSV text, to be read by the CSV loader: a header of
    /// the result's column names; integers and reals as numbers (reals in their shortest exact
    /// form), text quoted, NULL as an empty cell (a missing value).
    /// - Throws: `DataFileError` with SQLite's message (a missing table, a query that does not
    ///   parse), for binary data; `MemoryError`; `Cancelled`.
    public static func sqliteCSV(path: String, query: String, cancellation: Cancellation = .never) throws -> [UInt8] {
        let db = try SQLiteDatabase(path: path)
        defer { db.close() }
        db.cancellation = cancellation
        var out: [UInt8] = []
        var rows = 0, checkedUpTo = 0
        try db.query(query, file: path) { names, row in
            if rows == 0 { out += Array((names.map(csvText).joined(separator: ",") + "\n").utf8) }
            out += Array((row.map { $0 ?? "" }.joined(separator: ",") + "\n").utf8)
            rows += 1
            if rows % 4096 == 0 {
                if cancellation.isCancelled { throw Cancelled() }
                if out.count - checkedUpTo > 1 << 26 {
                    try Memory.reserve(out.count, for: "read the query's rows")
                    checkedUpTo = out.count
                }
            }
        }
        if rows == 0 {
            throw DataFileError(file: path, position: nil, message: "the query returned no rows")
        }
        return out
    }

    /// A text cell of CSV: quoted when it holds a comma, a quote or a line break.
    static func csvText(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// An open SQLite database, read only.
private final class SQLiteDatabase {
    private var db: OpaquePointer?
    let path: String
    /// Heard by SQLite itself every 10,000 virtual-machine steps, so a long query before its
    /// first row (a join, a sort) stops at Ctrl-C too.
    var cancellation: Cancellation = .never {
        didSet {
            let context = Unmanaged.passUnretained(self).toOpaque()
            sqlite3_progress_handler(
                db, 10_000,
                { context in
                    guard let context else { return 0 }
                    return Unmanaged<SQLiteDatabase>.fromOpaque(context).takeUnretainedValue().cancellation.isCancelled
                        ? 1 : 0
                }, context)
        }
    }

    init(path: String) throws {
        self.path = path
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw DataFileError(file: path, position: nil, message: "cannot open: no such file or it is unreadable")
        }
        // SQLite would block opening a FIFO until a writer comes.
        guard (try? FileManager.default.attributesOfItem(atPath: path))?[.type] as? FileAttributeType == .typeRegular
        else {
            throw DataFileError(file: path, position: nil, message: "cannot open: it is not a regular file")
        }
        guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, nil) == SQLITE_OK else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close(db)
            db = nil
            throw DataFileError(file: path, position: nil, message: "not a SQLite database: \(message)")
        }
    }

    func close() {
        sqlite3_progress_handler(db, 0, nil, nil)
        sqlite3_close(db)
        db = nil
    }

    /// Runs `sql`, calling `row` with the column names and each row's cells as CSV text (nil for NULL).
    func query(_ sql: String, file: String, row: ([String], [String?]) throws -> Void) throws {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot prepare the query"
            sqlite3_finalize(statement)
            throw DataFileError(file: file, position: nil, message: message)
        }
        defer { sqlite3_finalize(statement) }
        let columns = Int(sqlite3_column_count(statement))
        let names = (0..<columns).map { j in
            sqlite3_column_name(statement, Int32(j)).map { String(cString: $0) } ?? "column_\(j + 1)"
        }
        while true {
            let status = sqlite3_step(statement)
            if status == SQLITE_DONE { return }
            guard status == SQLITE_ROW else {
                if status == SQLITE_INTERRUPT, cancellation.isCancelled { throw Cancelled() }
                let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "error \(status)"
                throw DataFileError(file: file, position: nil, message: message)
            }
            var cells: [String?] = []
            cells.reserveCapacity(columns)
            for j in 0..<columns {
                let k = Int32(j)
                switch sqlite3_column_type(statement, k) {
                case SQLITE_NULL: cells.append(nil)
                case SQLITE_INTEGER: cells.append(String(sqlite3_column_int64(statement, k)))
                case SQLITE_FLOAT:
                    let v = sqlite3_column_double(statement, k)
                    cells.append(v.isFinite ? "\(v)" : (v.isNaN ? "" : (v > 0 ? "inf" : "-inf")))
                case SQLITE_TEXT:
                    let text = sqlite3_column_text(statement, k).map { String(cString: $0) } ?? ""
                    cells.append(DataSource.csvText(text))
                default:
                    throw DataFileError(
                        file: file, position: nil,
                        message: "column '\(names[j])' holds binary data (a BLOB), not numbers or text")
                }
            }
            try row(names, cells)
        }
    }
}
