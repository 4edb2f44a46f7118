import CKernels
import Foundation
import MLETensor

/// Reads a CSV file straight into a `Dataset`, streaming it in blocks: the file is never held
/// whole, numbers go from the bytes into the row-major feature matrix, and text is kept only for
/// the target and for columns that turn out categorical. Plain records (no quotes; each field a
/// number, or any text in a text column) take a scanner written in C (`mle_csv_scan`), a large
/// block in two halves on two threads; any other record — quotes, a missing-value word, a blank
/// line, a number the fast parser leaves alone, an error — is read by the general RFC 4180 reader
/// below, one record at a time.
///
/// It gives the same dataset and the same errors as `CSVReader.parse` followed by
/// `Dataset.fromCSV` (the simple reference the tests compare it with on thousands of generated
/// files); only when a file has several errors may a different one be reported first, and a file
/// that is not UTF-8 gets the place of the field holding the first bad byte.
struct CSVLoader {
    let path: String
    let targetName: String?
    let task: TaskChoice
    let options: ColumnOptions
    /// Seen between blocks of the scanner and every 1024 records of the general reader.
    var cancellation: Cancellation = .never
    /// The file's bytes when they are already in memory (`path` then only names them).
    var bytes: [UInt8]?

    static let blockSize = 1 << 20
    /// The longest record read (a line, or a quoted field's several lines).
    static let maximumRecordBytes = 1 << 26
    /// Rows per call of the C scanner (bounds the text-range buffer).
    static let scanRows = 4096
    /// Unread bytes from which a block is read on two threads.
    static let parallelBytes = 1 << 16

    /// Columns to read as text from the start: when a column that looked numeric meets text after
    /// some numbers, their spelling is needed for the levels, and the file is read again.
    private struct Rescan: Error {
        var columns: Set<Int>
        /// The first number out of range the pass met (thrown once the file has been read).
        var outOfRange: DataFileError?
    }

    func read() throws -> (data: Dataset, droppedRows: Int) {
        var forced = Set<Int>()
        var outOfRange: DataFileError?
        while true {
            do {
                return try pass(forcedText: forced, outOfRange: outOfRange)
            } catch let r as Rescan {
                forced.formUnion(r.columns)
                outOfRange = outOfRange ?? r.outOfRange
            }
        }
    }

    /// - Parameter outOfRange: a number out of range an earlier pass met in a column now read as text.
    private func pass(forcedText: Set<Int>, outOfRange earlier: DataFileError?) throws -> (
        data: Dataset, droppedRows: Int
    ) {
        var outOfRange = earlier
        var input = try bytes.map { BlockInput(bytes: $0, name: path) } ?? BlockInput(path: path)
        input.separator = options.separator
        defer { input.close() }

        // The header.
        guard let headerRecord = try input.generalRecord() else {
            throw DataFileError(file: path, position: nil, message: "the file is empty; expected a header row")
        }
        let headerLine = headerRecord.first?.position.line ?? 1
        let header = try CSVReader.checkedHeader(
            headerRecord.map(\.text), positions: headerRecord.map(\.position), file: path)
        let roles = try ColumnRoles(
            header: header, headerLine: headerLine, file: path, targetName: targetName, options: options)
        let targetIndex = roles.target, declaredCategorical = roles.categorical, declaredNumeric = roles.numeric

        // How each column is read.
        let ncols = header.count
        let featureColumns = header.indices.filter { $0 != targetIndex }
        let d = featureColumns.count
        var slot = [Int](repeating: -1, count: ncols)
        for (k, j) in featureColumns.enumerated() { slot[j] = k }
        var isText = header.indices.map {
            $0 == targetIndex || declaredCategorical.contains($0) || forcedText.contains($0)
        }
        // Text cells of kept rows, per column (nil: missing); allocated when a column becomes text.
        var texts = [[String?]?](repeating: nil, count: ncols)
        for j in 0..<ncols where isText[j] { texts[j] = [] }
        var rescan = Set<Int>()
        let missing = options.missingTokens
        let numericMissing = missing.filter { Float($0)?.isFinite == true }
        /// The target cells: while the scanner meets few distinct texts, as numbers of
        /// `allTargetTexts` (the texts in order of appearance); after that (or once a row came
        /// through the general reader), as texts in `allTargetValues`.
        var allTargetValues: [String] = []
        var allTargetCodes: [Int32]? = []
        var allTargetTexts: [String] = []
        var badTarget: DataFileError?

        var storage = FeatureRows(columns: d, fileSize: input.fileSize, fileName: (path as NSString).lastPathComponent)
        var rows = 0, dropped = 0

        // Turns column j to text at the current row; earlier present numbers need a second pass.
        func turnToText(_ j: Int) {
            isText[j] = true
            if storage.hasNumber(column: slot[j], rows: rows) { rescan.insert(j) }
            texts[j] = [String?](repeating: nil, count: rows)
        }

        // A record the general reader read: checked and stored as row `rows`.
        func take(_ record: [CSVField]) throws {
            if record.count != ncols {
                let pos = record.count > ncols ? record[ncols].position : record[record.count - 1].position
                throw DataFileError(
                    file: path, position: pos,
                    message: "this row has \(record.count) fields but the header has \(ncols)")
            }
            if let tj = targetIndex, missing.contains(String(trimSpaces(record[tj].text))) {
                dropped += 1
                return
            }
            try storage.ensure(rows: rows + 1)
            for j in 0..<ncols {
                let cell = String(trimSpaces(record[j].text))
                if !isText[j] {
                    if let v = Float(cell), v.isFinite, numericMissing.isEmpty || !numericMissing.contains(cell) {
                        storage.set(row: rows, column: slot[j], v)
                        continue
                    }
                    if missing.contains(cell) { storage.set(row: rows, column: slot[j], .nan); continue }
                    if outOfRange == nil, j != targetIndex, !declaredNumeric.contains(j),
                        Float(cell)?.isInfinite == true, storage.hasNumber(column: slot[j], rows: rows)
                    {
                        outOfRange = DataFileError(
                            file: path, position: record[j].position,
                            message: Dataset.outOfRangeMessage(cell, column: header[j]))
                    }
                    if declaredNumeric.contains(j) {
                        throw DataFileError(
                            file: path, position: record[j].position,
                            message:
                                "'\(cell)' in column '\(header[j])' is not a number (the column was declared numeric)")
                    }
                    turnToText(j)
                }
                if j == targetIndex {
                    if badTarget == nil { badTarget = targetError(cell, column: header[j]) { record[j].position } }
                    if let codes = allTargetCodes {
                        allTargetValues = codes.map { allTargetTexts[Int($0)] }
                        allTargetCodes = nil
                    }
                    allTargetValues.append(cell)
                } else {
                    storage.set(row: rows, column: slot[j], .nan)
                    texts[j]?.append(missing.contains(cell) ? nil : cell)
                }
            }
            rows += 1
        }

        // The body: plain records through the C scanner, the rest through the general reader.
        var scannerInterners: [TextInterner] = []
        var internedColumns: [Int]? = nil
        let useScanner = numericMissing.isEmpty
        var generalRecords = 0
        let blankIsMissing: Int32 = missing.contains("") ? 1 : 0
        while true {
            if useScanner {
                let textColumns = (0..<ncols).filter { isText[$0] }
                var textSlot = [Int](repeating: -1, count: ncols)
                for (t, j) in textColumns.enumerated() { textSlot[j] = t }
                let layout = ScanLayout(
                    ncols: ncols, modes: isText.map { UInt8($0 ? MLE_CSV_TEXT : MLE_CSV_NUMBER) },
                    slot: slot, textSlot: textSlot, features: d, texts: textColumns.count,
                    blankIsMissing: blankIsMissing, separator: options.separator)
                // The interners carry over from one scanner stretch to the next (rows through the
                // general reader between them), so the target's numbers keep their meaning; a
                // column turned to text renumbers the slots: the numbers become texts first.
                if textColumns != internedColumns {
                    if internedColumns != nil, let codes = allTargetCodes {
                        allTargetValues = codes.map { allTargetTexts[Int($0)] }
                        allTargetCodes = nil
                    }
                    scannerInterners = [TextInterner](repeating: TextInterner(), count: textColumns.count)
                    internedColumns = textColumns
                }

                // Text cells of `got` rows the scanner wrote from row `first` on (at or after
                // `rows`), their ranges in `ranges` and their numbers among the texts known
                // before the scan in codes[t * codeStride + r] (or -1); they become rows `rows`,
                // `rows + 1`, ... but for those whose target is missing, which are dropped.
                func absorb(
                    _ got: Int, from first: Int, _ ranges: [UInt32], codes: [Int32], codeStride: Int,
                    buf: UnsafeBufferPointer<UInt8>, line: Int
                ) throws {
                    var kept = rows
                    // The state every row touches, moved into locals for the loop: captured
                    // variables are checked for exclusive access at run time on every access
                    // (perf: a sixth of loading 1,000,000 rows of text targets).
                    var interners = [TextInterner]()
                    var targetValues = [String](), targetCodes: [Int32]? = nil, targetTexts = [String]()
                    swap(&interners, &scannerInterners)
                    swap(&targetValues, &allTargetValues)
                    swap(&targetCodes, &allTargetCodes)
                    swap(&targetTexts, &allTargetTexts)
                    defer {
                        swap(&interners, &scannerInterners)
                        swap(&targetValues, &allTargetValues)
                        swap(&targetCodes, &allTargetCodes)
                        swap(&targetTexts, &allTargetTexts)
                    }
                    // Only a target column of few texts (a file of predictions or labels): runs
                    // of rows whose target the scan matched are taken as their numbers at once.
                    let targetOnly = textColumns.count == 1 && textColumns.first == targetIndex && task != .regression
                    var next = 0
                    while next < got {
                        let r = next
                        next += 1
                        if targetOnly, targetCodes != nil, !interners[0].isFull {
                            var e = r
                            codes.withUnsafeBufferPointer { codes in
                                interners[0].missing.withUnsafeBufferPointer { missing in
                                    while e < got {
                                        let c = Int(codes[e])
                                        if c < 0 || missing[c] { break }
                                        e += 1
                                    }
                                }
                            }
                            if e > r {
                                if kept != first + r {
                                    for q in r..<e { storage.moveRow(first + q, to: kept + q - r) }
                                }
                                // Out of the optional while it grows, so that it is not copied.
                                if var taken = targetCodes {
                                    targetCodes = nil
                                    // Room for the rows the file is estimated to hold, once.
                                    if taken.capacity < taken.count + e - r {
                                        taken.reserveCapacity(max(storage.rowCapacity, taken.count + e - r))
                                    }
                                    codes.withUnsafeBufferPointer { taken.append(contentsOf: $0[r..<e]) }
                                    targetCodes = taken
                                }
                                kept += e - r
                                next = e
                                continue
                            }
                        }
                        let base = r * textColumns.count * 2
                        /// The cell's text, whether it is a missing-value token, and its number among
                        /// the column's distinct texts (nil once there are too many).
                        func text(_ t: Int) throws -> (String, missing: Bool, code: Int?) {
                            let s = Int(ranges[base + 2 * t]), n = Int(ranges[base + 2 * t + 1])
                            let matched = Int(codes[t * codeStride + r])
                            if matched >= 0, !interners[t].isFull {
                                return (interners[t].texts[matched], interners[t].missing[matched], matched)
                            }
                            let cell = UnsafeBufferPointer(rebasing: buf[s..<s + n])
                            if let code = interners[t].lookup(cell) {
                                return (interners[t].texts[code], interners[t].missing[code], code)
                            }
                            guard let v = String(validating: cell, as: UTF8.self) else { throw input.notUTF8(at: s) }
                            let isMissing = missing.contains(v)
                            return (v, isMissing, interners[t].remember(cell, v, missing: isMissing))
                        }
                        if let tj = targetIndex {
                            let (t, isMissing, code) = try text(textSlot[tj])
                            if isMissing {
                                dropped += 1
                                for (k, j) in textColumns.enumerated() where j != tj { _ = try text(k) }
                                continue
                            }
                            if task == .regression, badTarget == nil {
                                badTarget = targetError(t, column: header[tj]) {
                                    input.position(of: Int(ranges[base + 2 * textSlot[tj]]), line: line + r)
                                }
                            }
                            if let code, targetCodes != nil {
                                // Few distinct targets: a number per row, the text once.
                                // (Codes count the missing-value tokens too, whose rows are dropped.)
                                while targetTexts.count <= code { targetTexts.append("") }
                                targetTexts[code] = t
                                targetCodes?.append(Int32(code))
                            } else {
                                if let codes = targetCodes {
                                    targetValues = codes.map { targetTexts[Int($0)] }
                                    targetCodes = nil
                                }
                                targetValues.append(t)
                            }
                        }
                        if kept != first + r { storage.moveRow(first + r, to: kept) }
                        for (k, j) in textColumns.enumerated() where j != targetIndex {
                            let (t, isMissing, _) = try text(k)
                            texts[j]?.append(isMissing ? nil : t)
                        }
                        kept += 1
                    }
                    rows = kept
                }

                var rangesA: [UInt32] = [], rangesB: [UInt32] = [], codesA: [Int32] = [], codesB: [Int32] = []
                while true {
                    if cancellation.isCancelled { throw Cancelled() }
                    try input.fill()
                    let start = input.position
                    // Once the row count is estimated, a large block is cut at a line end near its
                    // middle and the halves are read on two threads; the second half's rows count
                    // only when the first half was plain to its end.
                    if storage.estimated, let cut = input.lineEnd(near: start + input.available / 2),
                        input.available >= Self.parallelBytes
                    {
                        let linesA = input.lineEnds(from: start, to: cut)
                        let linesB = input.lineEnds(from: cut, to: start + input.available)
                        try storage.ensure(rows: rows + linesA + linesB)
                        // Buffers kept from block to block (allocating them anew cost page faults).
                        let ntext = textColumns.count
                        if rangesA.count < linesA * ntext * 2 {
                            rangesA = [UInt32](repeating: 0, count: linesA * ntext * 2)
                        }
                        if rangesB.count < linesB * ntext * 2 {
                            rangesB = [UInt32](repeating: 0, count: linesB * ntext * 2)
                        }
                        if codesA.count < linesA * ntext { codesA = [Int32](repeating: -1, count: linesA * ntext) }
                        if codesB.count < linesB * ntext { codesB = [Int32](repeating: -1, count: linesB * ntext) }
                        let known = scannerInterners.map(\.known)
                        let (a, b) = input.withBuffer { buf in
                            storage.withRows { out in
                                rangesA.withUnsafeMutableBufferPointer { ra in
                                    rangesB.withUnsafeMutableBufferPointer { rb in
                                        codesA.withUnsafeMutableBufferPointer { ca in
                                            codesB.withUnsafeMutableBufferPointer { cb in
                                                let jobs = [
                                                    ScanJob(
                                                        buf: buf, start: start, end: cut, out: out, ranges: ra,
                                                        codes: ca, known: known, firstRow: rows, maxRows: linesA),
                                                    ScanJob(
                                                        buf: buf, start: cut, end: buf.count, out: out, ranges: rb,
                                                        codes: cb, known: known, firstRow: rows + linesA,
                                                        maxRows: linesB)
                                                ]
                                                let done = (try? Parallel.map(2) { layout.scan(jobs[$0]) }) ?? []
                                                return (done.first ?? (0, start), done.last ?? (0, cut))
                                            }
                                        }
                                    }
                                }
                            }
                        }
                        let line = input.line, first = rows
                        try input.withBuffer { buf in
                            try absorb(
                                a.rows, from: first, rangesA, codes: codesA, codeStride: linesA, buf: buf, line: line)
                        }
                        var end = a.pos, lines = a.rows
                        if a.rows == linesA && a.pos == cut && b.rows > 0 {
                            try input.withBuffer { buf in
                                try absorb(
                                    b.rows, from: first + linesA, rangesB, codes: codesB, codeStride: linesB, buf: buf,
                                    line: line + linesA)
                            }
                            end = b.pos; lines += b.rows
                        }
                        input.advance(to: end, lines: lines)
                        if lines == 0 { break }
                        continue
                    }
                    if storage.rowCapacity == rows { try storage.ensure(rows: rows + Self.scanRows) }
                    let maxRows = min(Self.scanRows, storage.rowCapacity - rows)
                    var ranges = [UInt32](repeating: 0, count: maxRows * textColumns.count * 2)
                    var codes = [Int32](repeating: -1, count: maxRows * textColumns.count)
                    let known = scannerInterners.map(\.known)
                    let done = input.withBuffer { buf in
                        storage.withRows { out in
                            ranges.withUnsafeMutableBufferPointer { r in
                                codes.withUnsafeMutableBufferPointer { c in
                                    layout.scan(
                                        ScanJob(
                                            buf: buf, start: start, end: buf.count, out: out, ranges: r, codes: c,
                                            known: known, firstRow: rows, maxRows: maxRows))
                                }
                            }
                        }
                    }
                    if done.rows == 0 { break }
                    let line = input.line
                    let first = rows
                    try input.withBuffer { buf in
                        try absorb(
                            done.rows, from: first, ranges, codes: codes, codeStride: maxRows, buf: buf, line: line)
                    }
                    input.advance(to: done.pos, lines: done.rows)
                    try storage.estimate(bytesPerRow: input.bytesPerRow)
                }
            }
            guard let record = try input.generalRecord() else { break }
            generalRecords += 1
            if generalRecords & 1023 == 0, cancellation.isCancelled { throw Cancelled() }
            try take(record)
        }
        if !rescan.isEmpty { throw Rescan(columns: rescan, outOfRange: outOfRange) }
        if let e = outOfRange { throw e }
        if let e = badTarget { throw e }

        // Categorical columns: levels sorted (numerically when every level is a number).
        var kinds = [ColumnKind](repeating: .numeric, count: d)
        var features = storage.finish(rows: rows)
        for (k, j) in featureColumns.enumerated() where isText[j] {
            let cells = texts[j] ?? []
            let levels = sortedLevels(Set(cells.compactMap { $0 }))
            var index: [String: Int] = [:]
            for (c, l) in levels.enumerated() { index[l] = c }
            for (r, cell) in cells.enumerated() {
                features[r * d + k] = cell.flatMap { index[$0] }.map(Float.init) ?? .nan
            }
            kinds[k] = .categorical(levels: levels)
        }
        let target: Target?
        if targetIndex == nil {
            target = nil
        } else if let codes = allTargetCodes {
            target = Dataset.target(codes: codes, distinct: allTargetTexts, task: task)
        } else {
            target = Dataset.target(fromCells: allTargetValues, task: task)
        }
        let base = (path as NSString).lastPathComponent
        let name = (base as NSString).deletingPathExtension
        return (
            Dataset(
                name: name, featureNames: featureColumns.map { header[$0] },
                features: try Matrix(rows: rows, cols: d, storage: features),
                targetName: targetName, target: target, columnKinds: kinds),
            dropped
        )
    }

    /// A regression target must be a number: the error for the first cell that is not, thrown
    /// once the whole file has been read (errors in the file's form come first, as in
    /// `CSVReader.parse`).
    private func targetError(_ cell: String, column: String, at position: () -> TextPosition) -> DataFileError? {
        guard task == .regression, !(Double(cell)?.isFinite ?? false) else { return nil }
        return DataFileError(
            file: path, position: position(),
            message: "'\(cell)' in target '\(column)' is not a number; regression needs numbers")
    }
}

/// How the C scanner reads the columns.
private struct ScanLayout: Sendable {
    var ncols: Int
    var modes: [UInt8]
    var slot: [Int]
    var textSlot: [Int]
    var features: Int
    var texts: Int
    var blankIsMissing: Int32
    var separator: UInt8

    /// Scans `job`'s bytes; returns the rows read and where the scan stopped.
    func scan(_ job: ScanJob) -> (rows: Int, pos: Int) {
        var pos = job.start
        let rows = mle_csv_scan(
            job.buf.baseAddress, job.end, &pos, ncols, modes, slot, textSlot, features, texts,
            blankIsMissing, separator, job.out.baseAddress, job.ranges.baseAddress, job.firstRow, job.maxRows)
        // The text cells matched against the texts seen before, here on the scanning thread
        // rather than one by one afterwards (perf: a sixth of loading a predictions file).
        if let ranges = job.ranges.baseAddress, let codes = job.codes.baseAddress {
            for (t, known) in job.known.enumerated() {
                known.match(
                    job.buf, ranges: ranges + 2 * t, stride: 2 * texts, rows: rows, into: codes + t * job.maxRows)
            }
        }
        return (rows, pos)
    }
}

/// One scanner call: bytes [start, end) of the buffer, rows from `firstRow` of `out`, text ranges
/// into `ranges`; text column t's cells matched against `known[t]` into codes[t * maxRows ...]
/// (-1 when not known). Two jobs at once write disjoint rows and their own ranges and codes.
private struct ScanJob: @unchecked Sendable {
    var buf: UnsafeBufferPointer<UInt8>
    var start: Int
    var end: Int
    var out: UnsafeMutableBufferPointer<Float>
    var ranges: UnsafeMutableBufferPointer<UInt32>
    var codes: UnsafeMutableBufferPointer<Int32>
    var known: [KnownTexts]
    var firstRow: Int
    var maxRows: Int
}

/// One field as the general reader returns it.
struct CSVField {
    var text: String
    var position: TextPosition
}

/// The row-major feature matrix being filled, sized from an estimate of the row count so that
/// it is allocated once for a file of even rows (peak memory about the matrix itself).
private struct FeatureRows {
    let columns: Int
    let fileSize: Int
    let fileName: String
    var values: [Float] = []
    var estimated = false

    init(columns: Int, fileSize: Int, fileName: String) {
        self.columns = columns; self.fileSize = fileSize; self.fileName = fileName
    }

    /// Rows there is room for.
    var rowCapacity: Int { columns == 0 ? Int.max / 2 : values.count / columns }

    /// Room for at least `rows` rows; an error, before allocating, when the machine has not the
    /// memory for them.
    mutating func ensure(rows: Int) throws {
        let needed = Memory.product(rows, columns)
        guard needed > values.count else { return }
        let grown = max(needed, values.count + values.count / 4, 1024 * max(columns, 1))
        let bytes = Memory.product(grown, MemoryLayout<Float>.stride)
        // Growing keeps the old values until the copy is made. (Growth is geometric: few checks.)
        try Memory.reserve(
            Memory.product(bytes, values.isEmpty ? 1 : 2),
            for: "load \(fileName) (room for \(rows) rows × \(columns) columns)")
        // Rows past those read are not filled: a row the scanner or the general reader keeps has
        // every feature written before anything reads it (numbers, or NaN for text and missing
        // cells), and `finish` cuts the rest off. Zero-filling the estimated 12 MB of a predictions
        // file on one thread, before the two-thread scan, was a tenth of its load (perf); the
        // pages are now first touched by the threads that write them.
        let old = values
        values = [Float](unsafeUninitializedCapacity: grown) { buffer, initialized in
            _ = buffer.initialize(from: old)
            initialized = grown
        }
    }

    /// After the first rows: reserve the whole file's rows once, with 2% to spare.
    mutating func estimate(bytesPerRow: Double) throws {
        guard !estimated, bytesPerRow > 0 else { return }
        estimated = true
        let rows = Int(min(Double(fileSize) / bytesPerRow * 1.02, 1e15)) + 64
        try ensure(rows: rows)
    }

    mutating func set(row: Int, column: Int, _ v: Float) {
        if column >= 0 { values[row * columns + column] = v }
    }

    /// Whether column c holds a present value in the first `rows` rows.
    func hasNumber(column c: Int, rows: Int) -> Bool {
        c >= 0 && (0..<rows).contains { !values[$0 * columns + c].isNaN }
    }

    mutating func moveRow(_ from: Int, to: Int) {
        for c in 0..<columns { values[to * columns + c] = values[from * columns + c] }
    }

    mutating func withRows<R>(_ body: (UnsafeMutableBufferPointer<Float>) -> R) -> R {
        values.withUnsafeMutableBufferPointer { body($0) }
    }

    mutating func finish(rows: Int) -> [Float] {
        values.removeLast(values.count - rows * columns)
        return values
    }
}

/// A file read in blocks, with the general record reader: RFC 4180 quoted fields holding
/// commas, doubled quotes and newlines; LF, CRLF or CR line ends; a UTF-8 byte-order mark;
/// blank lines skipped.
private struct BlockInput {
    let path: String
    /// The byte between fields (a comma unless the file uses another).
    var separator: UInt8 = 0x2C
    let fd: Int32
    let fileSize: Int
    /// The whole file when it was given in memory (fd is then -1), and how much of it was read.
    private let memory: [UInt8]?
    private var memoryRead = 0
    private var buffer: [UInt8]
    /// Valid bytes in `buffer`, and the start of the next record.
    private var count = 0
    private(set) var position = 0
    private var eof = false
    /// The line the next record starts on.
    private(set) var line = 1
    private var scannedRows = 0, scannedBytes = 0
    private var startOfFile = true

    init(path: String) throws {
        self.path = path
        var st = stat()
        // A FIFO would block the open until a writer comes, a device (/dev/zero) never ends: only
        // regular files are read.
        if stat(path, &st) == 0, (st.st_mode & S_IFMT) != S_IFREG, (st.st_mode & S_IFMT) != S_IFDIR {
            throw DataFileError(file: path, position: nil, message: "cannot open: it is not a regular file")
        }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            var isDir: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDir)
            let why = !exists ? "no such file" : (isDir.boolValue ? "it is a directory" : "it cannot be read")
            throw DataFileError(file: path, position: nil, message: "cannot open: \(why)")
        }
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) != S_IFDIR else {
            Foundation.close(fd)
            throw DataFileError(file: path, position: nil, message: "cannot open: it is a directory")
        }
        self.fd = fd
        self.fileSize = Int(st.st_size)
        memory = nil
        buffer = [UInt8](repeating: 0, count: CSVLoader.blockSize)
    }

    /// A file already in memory: read from `bytes` as from a file, no copy of it made up front.
    init(bytes: [UInt8], name: String) {
        path = name
        fd = -1
        fileSize = bytes.count
        memory = bytes
        buffer = [UInt8](repeating: 0, count: CSVLoader.blockSize)
    }

    func close() { if fd >= 0 { Foundation.close(fd) } }

    var bytesPerRow: Double { scannedRows > 0 ? Double(scannedBytes) / Double(scannedRows) : 0 }

    /// Unread bytes in the buffer.
    var available: Int { count - position }

    /// The offset just after the first line feed at or after `k`, if the buffer holds one.
    func lineEnd(near k: Int) -> Int? {
        guard k < count else { return nil }
        return buffer.withUnsafeBufferPointer { b in
            guard let base = b.baseAddress, let p = memchr(base + k, 0x0A, count - k) else { return nil }
            return base.distance(to: p.assumingMemoryBound(to: UInt8.self)) + 1
        }
    }

    /// Line feeds in [from, to).
    func lineEnds(from: Int, to: Int) -> Int {
        buffer.withUnsafeBufferPointer { b in mle_count_byte(b.baseAddress.map { $0 + from }, to - from, 0x0A) }
    }

    func withBuffer<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try buffer.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[0..<count])) }
    }

    mutating func advance(to pos: Int, lines: Int) {
        scannedBytes += pos - position
        scannedRows += lines
        position = pos
        line += lines
    }

    /// Moves the unread bytes to the front and reads more; grows the buffer when a record fills
    /// it. Returns false at the end of the file.
    private mutating func refill() throws -> Bool {
        if eof { return false }
        if position > 0 {
            buffer.withUnsafeMutableBufferPointer { b in
                if let base = b.baseAddress { memmove(base, base + position, count - position) }
            }
            count -= position
            position = 0
        }
        if count == buffer.count {
            // One record fills the buffer: grow it, up to a limit, so that a file that is not a
            // table (one enormous line) is an error rather than memory doubling until it runs out.
            guard buffer.count < CSVLoader.maximumRecordBytes else {
                throw DataFileError(
                    file: path, position: TextPosition(line: line, column: 1),
                    message:
                        "the record starting here is longer than \(Memory.describe(CSVLoader.maximumRecordBytes)); mle reads records up to that length (is this a CSV file?)"
                )
            }
            buffer.append(contentsOf: repeatElement(0, count: buffer.count))
        }
        let n: Int
        if let memory {
            n = min(buffer.count - count, memory.count - memoryRead)
            buffer.withUnsafeMutableBufferPointer { b in
                memory.withUnsafeBufferPointer { m in
                    guard n > 0, let bb = b.baseAddress, let mb = m.baseAddress else { return }
                    (bb + count).update(from: mb + memoryRead, count: n)
                }
            }
            memoryRead += n
        } else {
            n = buffer.withUnsafeMutableBufferPointer { b in
                Foundation.read(fd, b.baseAddress.map { $0 + count }, b.count - count)
            }
        }
        guard n >= 0 else {
            throw DataFileError(file: path, position: nil, message: "cannot read: \(String(cString: strerror(errno)))")
        }
        if n == 0 { eof = true; return false }
        count += n
        if startOfFile, count >= 3 || eof {
            startOfFile = false
            if buffer.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
        }
        return true
    }

    /// Reads more when less than half a block is unread (before each call of the C scanner, which
    /// only takes records wholly in the buffer).
    mutating func fill() throws { if count - position < CSVLoader.blockSize / 2 { _ = try refill() } }

    /// The position of the field whose trimmed text starts at byte `offset` of the buffer, on line
    /// `line` (which holds no quoted line break before it): blanks before the text are the field's.
    func position(of offset: Int, line: Int) -> TextPosition {
        var offset = offset
        while offset > 0, buffer[offset - 1] == 0x20 || buffer[offset - 1] == 0x09 { offset -= 1 }
        var lineStart = offset
        while lineStart > 0, buffer[lineStart - 1] != 0x0A { lineStart -= 1 }
        return TextPosition(line: line, column: column(from: lineStart, to: offset))
    }

    func notUTF8(at offset: Int) -> DataFileError {
        // The line of a bad byte in the block: lines before it since the record start.
        var l = line, lineStart = position
        for k in position..<min(offset, count) where buffer[k] == 0x0A { l += 1; lineStart = k + 1 }
        return DataFileError(
            file: path, position: TextPosition(line: l, column: column(from: lineStart, to: offset)),
            message: "the file is not UTF-8 text")
    }

    private func column(from start: Int, to k: Int) -> Int {
        var c = 1
        var i = start
        while i < k { if buffer[i] & 0xC0 != 0x80 { c += 1 }; i += 1 }
        return c
    }

    /// Asked for a byte past the buffer before the end of the file: read more, start again.
    private struct Incomplete: Error {}

    /// The next record by the general reader, or nil at the end of the file.
    mutating func generalRecord() throws -> [CSVField]? {
        while true {
            do {
                return try parseRecord()
            } catch is Incomplete {
                // Read until a line feed arrives after the bytes already there (memchr, fast)
                // before parsing again, so a long record is parsed about once rather than once
                // per doubling of the buffer.
                var seen = count - position
                repeat {
                    guard try refill() else { return try parseRecord() }
                    defer { seen = count - position }
                    if lineEnd(near: position + seen) != nil { break }
                } while true
            }
        }
    }

    /// Parses one record at `position` as `CSVReader.parse` does; throws Incomplete when it runs
    /// past the buffer before the end of the file.
    private mutating func parseRecord() throws -> [CSVField]? {
        let quote: UInt8 = 0x22, comma = separator, cr: UInt8 = 0x0D, lf: UInt8 = 0x0A
        let n = count, atEnd = eof
        let bytes = buffer
        func at(_ k: Int) throws -> UInt8? {
            if k < n { return bytes[k] }
            if atEnd { return nil }
            throw Incomplete()
        }
        var i = position, l = line, lineStart = position
        // Blank lines.
        while true {
            if try at(i) == lf { l += 1; i += 1; lineStart = i; continue }
            if try at(i) == cr, try at(i + 1) == lf { l += 1; i += 2; lineStart = i; continue }
            break
        }
        if try at(i) == nil { position = i; line = l; return nil }
        func column(_ k: Int) -> Int {
            var c = 1
            for m in lineStart..<k where bytes[m] & 0xC0 != 0x80 { c += 1 }
            return c
        }
        func text(_ b: ArraySlice<UInt8>, at position: TextPosition) throws -> String {
            guard let s = String(validating: b, as: UTF8.self) else {
                throw DataFileError(file: path, position: position, message: "the file is not UTF-8 text")
            }
            return s
        }
        var record: [CSVField] = []
        while true {
            let fieldPos = TextPosition(line: l, column: column(i))
            if try at(i) == quote {
                var content: [UInt8] = []
                i += 1
                var closed = false
                while let b = try at(i) {
                    if b == quote {
                        if try at(i + 1) == quote { content.append(quote); i += 2; continue }
                        i += 1; closed = true; break
                    }
                    if b == cr, try at(i + 1) == lf { content.append(lf); i += 2; l += 1; lineStart = i; continue }
                    if b == lf { l += 1; lineStart = i + 1 }
                    content.append(b); i += 1
                }
                guard closed else {
                    throw DataFileError(file: path, position: fieldPos, message: "a quoted field is never closed")
                }
                if let b = try at(i), b != comma, b != lf, b != cr {
                    throw DataFileError(
                        file: path, position: TextPosition(line: l, column: column(i)),
                        message: "text after the closing quote of a field")
                }
                record.append(CSVField(text: try text(content[...], at: fieldPos), position: fieldPos))
            } else {
                let s = i
                while let b = try at(i), b != comma, b != lf, b != cr {
                    if b == quote {
                        throw DataFileError(
                            file: path, position: TextPosition(line: l, column: column(i)),
                            message:
                                "a quote inside an unquoted field; quote the whole field and double the quote (\"\")")
                    }
                    i += 1
                }
                record.append(CSVField(text: try text(bytes[s..<i], at: fieldPos), position: fieldPos))
            }
            if try at(i) == comma { i += 1; continue }
            // The end of the record: a line end or the end of the file.
            if try at(i) == cr { i += 1 }
            if try at(i) == lf { i += 1 }
            l += 1
            break
        }
        position = i
        line = l
        return record
    }
}

extension CSVLoader {
    /// The C scanner's number parser on a whole string: the float, or nil when it leaves the
    /// string to the general path (which then uses Swift's `Float(_:)`).
    static func fastNumber(_ s: String) -> Float? {
        var bytes = Array(s.utf8)
        let n = bytes.count
        bytes.append(0)
        var v: Float = 0
        let consumed: Int? = bytes.withUnsafeBufferPointer { b in
            guard let base = b.baseAddress, let end = mle_parse_float(base, base + n, &v) else { return nil }
            return base.distance(to: end)
        }
        return consumed == n ? v : nil
    }
}

/// A `TextInterner`'s texts as bytes: text k is bytes[offsets[k] ..< offsets[k + 1]].
struct KnownTexts: Sendable {
    var bytes: [UInt8] = []
    var offsets: [Int] = [0]
    var count: Int { offsets.count - 1 }

    /// For `rows` cells of `buf` — cell r's start and length at ranges[r * stride] and
    /// ranges[r * stride + 1] — each cell's number among these texts, or -1, into codes[r].
    func match(
        _ buf: UnsafeBufferPointer<UInt8>, ranges: UnsafePointer<UInt32>, stride: Int, rows: Int,
        into codes: UnsafeMutablePointer<Int32>
    ) {
        bytes.withUnsafeBufferPointer { b in
            offsets.withUnsafeBufferPointer { o in
                mle_csv_match(buf.baseAddress, ranges, stride, rows, b.baseAddress, o.baseAddress, count, codes)
            }
        }
    }
}

/// The few distinct texts of a column seen so far (a class column's "yes" and "no"), found again
/// by their bytes: a cell equal to one of them is that String, without validating and building
/// it again. Perf (scripts/bench/own_models.py, a predictions file of 1,000,000 rows): building
/// each target cell's String, with Swift's generic UTF-8 validation, was a third of the load.
/// A column with more than `capacity` distinct texts (identifiers, free text) stops looking.
struct TextInterner {
    static let capacity = 16
    private var bytes: [[UInt8]] = []
    private(set) var texts: [String] = []
    /// Whether each text is a missing-value token.
    private(set) var missing: [Bool] = []
    private var full = false

    /// Whether the column had too many distinct texts (the numbers of earlier texts then mean
    /// nothing).
    var isFull: Bool { full }

    /// The texts' bytes end to end, for matching cells in C on another thread.
    var known: KnownTexts {
        var k = KnownTexts()
        for b in bytes {
            k.bytes += b
            k.offsets.append(k.bytes.count)
        }
        return k
    }

    /// The number of a text seen before.
    func lookup(_ cell: UnsafeBufferPointer<UInt8>) -> Int? {
        guard !full else { return nil }
        for (i, b) in bytes.enumerated() where b.count == cell.count {
            let same = b.withUnsafeBufferPointer { p in
                guard let x = p.baseAddress, let y = cell.baseAddress else { return true }  // both empty
                return memcmp(x, y, cell.count) == 0
            }
            if same { return i }
        }
        return nil
    }

    /// Remembers a new text; returns its number, or nil when the column has too many.
    mutating func remember(_ cell: UnsafeBufferPointer<UInt8>, _ text: String, missing isMissing: Bool) -> Int? {
        guard !full else { return nil }
        if bytes.count == TextInterner.capacity {
            full = true; bytes = []; texts = []; missing = []
            return nil
        }
        bytes.append(Array(cell))
        texts.append(text)
        missing.append(isMissing)
        return texts.count - 1
    }
}
