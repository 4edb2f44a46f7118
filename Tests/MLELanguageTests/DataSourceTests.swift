import CSQLite
import CZlib
import Foundation
import MLELanguage
import MLELearning
import MLETensor
import MLETestSupport
import Testing

/// The features and target of a dataset, for comparing two reads of the same data.
private func contents(_ v: Value?) -> ([Float], [String], String)? {
    guard case .dataset(let d)? = v else { return nil }
    return (d.features.storage, d.featureNames, d.target.map { "\($0)" } ?? "")
}

/// Bit-for-bit equality, NaN (a missing value) equal to NaN.
private func same(_ a: [Float], _ b: [Float]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }
}

@Test func separatorsAreSniffedFromTheFirstRecords() {
    func sniff(_ s: String) -> UInt8 { DataSource.sniff(Array(s.utf8), whole: true) }
    #expect(sniff("a,b,c\n1,2,3\n") == 0x2C)
    #expect(sniff("a\tb\tc\n1\t2\t3\n") == 0x09)
    #expect(sniff("a;b;c\n1,5;2,5;3\n") == 0x3B)  // decimal commas: only ';' is the same on every line
    #expect(sniff("a|b\n1|2\n") == 0x7C)
    #expect(sniff("\"x,y\";b\n\"1,2\";3\n") == 0x3B)  // commas inside quotes do not count
    #expect(sniff("single\n1\n2\n") == 0x2C)
    // A cut-off last line does not spoil the guess.
    #expect(DataSource.sniff(Array("a\tb\tc\n1\t2\t3\n4\t5".utf8), whole: false) == 0x09)
}

@Test func delimitedGzipAndSQLiteDataReadAsTheCSVDoes() throws {
    try withTemporaryDirectory { dir in
        let csv = try String(contentsOfFile: dataPath("penguins.csv"), encoding: .utf8)
        // Tab- and bar-separated copies: penguins has text and missing cells, so the fast scanner
        // meets empty fields between tabs.
        let lines = csv.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(!csv.contains("\""))
        try lines.joined(separator: "\n").replacingOccurrences(of: ",", with: "\t")
            .write(toFile: "\(dir)/p.tsv", atomically: true, encoding: .utf8)
        try csv.replacingOccurrences(of: ",", with: "|").write(
            toFile: "\(dir)/p.txt", atomically: true, encoding: .utf8)
        // gzip in two members, as `cat a.gz b.gz` makes.
        let half = csv.index(csv.startIndex, offsetBy: csv.count / 2)
        var gz = Data()
        for part in [csv[..<half], csv[half...]] { gz.append(try gzip(Array(part.utf8))) }
        try gz.write(to: URL(fileURLWithPath: "\(dir)/p.csv.gz"))
        try gz.prefix(gz.count - 20).write(to: URL(fileURLWithPath: "\(dir)/cut.csv.gz"))
        // A database made with the SQLite library: the CSV's cells as text, numbers as reals.
        try makeDatabase("\(dir)/p.sqlite", csv: csv)

        let script = """
            ref = load "\(dataPath("penguins.csv"))" target=species
            tsv = load "\(dir)/p.tsv" target=species
            bar = load "\(dir)/p.txt" target=species sep="|"
            gz = load "\(dir)/p.csv.gz" target=species
            db = load "\(dir)/p.sqlite" table=penguins target=species
            q = load "\(dir)/p.sqlite" query="select * from penguins where island = 'Dream'" target=species
            """
        let (session, out, ok) = run(script)
        #expect(ok, "\(out.errors)")
        #expect(out.notes.contains("fields separated by tab (guessed from the first lines; sep= to say)"))
        let reference = try #require(contents(session.variables["ref"]))
        for name in ["tsv", "bar", "gz", "db"] {
            let got = try #require(contents(session.variables[name]), "\(name)")
            #expect(same(got.0, reference.0) && got.1 == reference.1 && got.2 == reference.2, "\(name)")
        }
        guard case .dataset(let gzData)? = session.variables["gz"],
            case .dataset(let dbData)? = session.variables["db"],
            case .dataset(let q)? = session.variables["q"]
        else { return }
        #expect(gzData.name == "p" && dbData.name == "penguins")
        let dream = lines.dropFirst().filter { $0.contains(",Dream,") }.count
        #expect(q.rowCount == dream && dream > 0)

        for (line, message) in [
            ("load \"\(dir)/cut.csv.gz\"", "the gzip file is cut short"),
            ("load \"\(dir)/p.sqlite\"", "name one with table= (blobs, penguins)"),
            (
                "load \"\(dir)/p.sqlite\" table=pengiuns",
                "no table named 'pengiuns' in \(dir)/p.sqlite; did you mean 'penguins'?"
            ),
            ("load \"\(dir)/p.sqlite\" query=\"selct 1\"", "near \"selct\": syntax error (in query=)"),
            ("load \"\(dir)/p.sqlite\" table=penguins query=\"select 1\"", "give table= or query=, not both"),
            ("load \"\(dir)/p.sqlite\" query=\"select * from penguins where 0\"", "the query returned no rows"),
            ("load \"\(dir)/p.tsv\" sep=\"ab\"", "sep takes one character"),
            ("load \"\(dir)/p.tsv\" table=x", "table= is for SQLite databases"),
            ("load \"\(dir)/p.sqlite\" table=blobs", "column 'b' holds binary data")
        ] {
            let (_, o, good) = run(line)
            #expect(!good && o.errors.first?.contains(message) == true, "\(line): \(o.errors)")
        }
    }
}

/// `bytes` as one gzip member, by zlib.
private func gzip(_ bytes: [UInt8]) throws -> Data {
    var stream = z_stream()
    guard
        deflateInit2_(
            &stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
            Int32(MemoryLayout<z_stream>.size)) == Z_OK
    else { throw CancellationError() }
    defer { deflateEnd(&stream) }
    var input = bytes
    var out = [UInt8](repeating: 0, count: bytes.count + 1024)
    let written = input.withUnsafeMutableBufferPointer { inBuf in
        out.withUnsafeMutableBufferPointer { outBuf -> Int in
            stream.next_in = inBuf.baseAddress
            stream.avail_in = UInt32(inBuf.count)
            stream.next_out = outBuf.baseAddress
            stream.avail_out = UInt32(outBuf.count)
            guard deflate(&stream, Z_FINISH) == Z_STREAM_END else { return -1 }
            return outBuf.count - Int(stream.avail_out)
        }
    }
    guard written > 0 else { throw CancellationError() }
    return Data(out[0..<written])
}

/// A database with the CSV's rows in table `penguins` (numbers as REAL, empty cells NULL) and a
/// table `blobs` holding binary data.
private func makeDatabase(_ path: String, csv: String) throws {
    var db: OpaquePointer?
    guard sqlite3_open(path, &db) == SQLITE_OK else { throw CancellationError() }
    defer { sqlite3_close(db) }
    let lines = csv.split(separator: "\n").map {
        $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    }
    let header = lines[0]
    let numeric = header.indices.map { j in lines.dropFirst().allSatisfy { $0[j].isEmpty || Double($0[j]) != nil } }
    let columns = header.indices.map { "\"\(header[$0])\" \(numeric[$0] ? "real" : "text")" }.joined(separator: ", ")
    sqlite3_exec(db, "create table penguins (\(columns)); create table blobs (a real, b blob);", nil, nil, nil)
    sqlite3_exec(db, "insert into blobs values (1, x'00ff')", nil, nil, nil)
    var statement: OpaquePointer?
    let marks = header.map { _ in "?" }.joined(separator: ", ")
    guard sqlite3_prepare_v2(db, "insert into penguins values (\(marks))", -1, &statement, nil) == SQLITE_OK else {
        throw CancellationError()
    }
    defer { sqlite3_finalize(statement) }
    let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
    sqlite3_exec(db, "begin", nil, nil, nil)
    for row in lines.dropFirst() {
        sqlite3_reset(statement)
        for (j, cell) in row.enumerated() {
            let k = Int32(j + 1)
            if cell.isEmpty {
                sqlite3_bind_null(statement, k)
            } else if numeric[j], let v = Double(cell) {
                sqlite3_bind_double(statement, k, v)
            } else {
                sqlite3_bind_text(statement, k, cell, -1, transient)
            }
        }
        guard sqlite3_step(statement) == SQLITE_DONE else { throw CancellationError() }
    }
    sqlite3_exec(db, "commit", nil, nil, nil)
}

@Test func textFromAGzipFileOrADatabaseHearsCtrlC() {
    // What a gzip file or a query gives is read from memory, block by block, hearing Ctrl-C.
    let csv = Array(("a,b\n" + String(repeating: "1,2\n", count: 400_000)).utf8)
    #expect(throws: Cancelled.self) {
        try Dataset.read(csv: csv, name: "x.csv", targetName: nil, cancellation: Cancellation { true })
    }
}
