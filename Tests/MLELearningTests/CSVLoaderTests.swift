import Foundation
import MLETensor
import MLETestSupport
import Testing

@testable import MLELearning

// The streaming loader (CSVLoader, with its C scanner) against the simple reference: the whole
// file as a String, CSVReader.parse, then Dataset.fromCSV's column reading.

/// The fast number parser either declines or gives exactly Swift's (correctly rounded) Float.
@Test func fastNumberParserAgreesWithSwiftsFloat() {
    var rng = SeededGenerator(seed: 2026)
    var strings: [String] = []
    for _ in 0..<60_000 {
        let f = Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()) & 0x7FFF_FFFF)
        guard f.isFinite else { continue }
        let x = Double(rng.nextNormal()) * pow(10, Double(rng.nextIndex(16)) - 8)
        strings.append(String(f))
        strings.append(String(format: "%.\(rng.nextIndex(9))f", x))
        strings.append(String(format: "%.\(rng.nextIndex(20))e", x))
        strings.append(String(format: "%.17g", x))
        // Float midpoints and their neighbours, printed with 17 to 19 digits: where rounding a
        // double to float can go the wrong way.
        if f.isNormal, f < .greatestFiniteMagnitude {
            let mid = (Double(f) + Double(f.nextUp)) / 2
            for v in [mid, mid.nextUp, mid.nextDown] {
                strings.append(String(format: "%.\(16 + rng.nextIndex(3))e", v))
            }
        }
        // Digits with a random point, sign, leading zeros and exponent.
        var s = ["", "-", "+"][rng.nextIndex(3)] + String(repeating: "0", count: rng.nextIndex(3))
        let digits = 1 + rng.nextIndex(22)
        let point = rng.nextIndex(digits + 1)
        for k in 0..<digits {
            if k == point { s += "." }
            s += String(rng.nextIndex(10))
        }
        if rng.nextIndex(2) == 0 {
            s += ["e", "E"][rng.nextIndex(2)] + ["", "-", "+"][rng.nextIndex(3)] + String(rng.nextIndex(40))
        }
        strings.append(s)
    }
    strings += [
        "0", "-0", "+0", "0.0", "-.0", "5.", ".5", "1e5", "1E+05", "00012", "1e", "1e+", ".", "+", "-",
        "e5", ".e5", "1.5.", "--1", "1_0", "0x1p3", "inf", "nan", "1e39", "1e-50", "3.4028235e38",
        "3.4028236e38", "1.17549435e-38", "16777217", "9007199254740993", "0.1", "1d5", " 1", "1 "
    ]
    var fast = 0
    for s in strings {
        guard let v = CSVLoader.fastNumber(s) else { continue }
        fast += 1
        let swift = Float(s)
        #expect(swift?.bitPattern == v.bitPattern, "\(s): fast \(v), Swift \(swift.map { "\($0)" } ?? "nil")")
    }
    // The fast path takes most numbers (else the test would not test it).
    #expect(fast > strings.count / 2)
    for s in ["1e", ".", "+", "e5", "1.5.", "--1", "inf", "nan", "0x1p3", " 1", "1 "] {
        #expect(CSVLoader.fastNumber(s) == nil, "\(s)")
    }
}

/// What a read gave: the dataset and dropped rows, or the error.
private enum Outcome: CustomStringConvertible {
    case data(Dataset, Int)
    case failure(String)

    var description: String {
        switch self {
        case .data(let d, let n): return "\(d.rowCount) rows, \(d.featureNames), \(d.columnKinds), dropped \(n)"
        case .failure(let s): return "error: \(s)"
        }
    }
}

private func reference(_ path: String, target: String?, task: TaskChoice, options: ColumnOptions) -> Outcome {
    do {
        guard let data = FileManager.default.contents(atPath: path) else { return .failure("cannot open") }
        guard let text = String(data: data, encoding: .utf8) else {
            return .failure(DataFileError(file: path, position: nil, message: "the file is not UTF-8 text").description)
        }
        let table = try CSVReader.parse(text, file: path)
        let r = try Dataset.read(table, file: path, targetName: target, task: task, options: options)
        return .data(r.data, r.droppedRows)
    } catch {
        return .failure("\(error)")
    }
}

private func streamed(_ path: String, target: String?, task: TaskChoice, options: ColumnOptions) -> Outcome {
    do {
        let r = try Dataset.read(path: path, targetName: target, task: task, options: options)
        return .data(r.data, r.droppedRows)
    } catch {
        return .failure("\(error)")
    }
}

private func same(_ a: Outcome, _ b: Outcome, utf8Error: Bool) -> Bool {
    switch (a, b) {
    case (.data(let x, let n), .data(let y, let m)):
        return n == m && x.name == y.name && x.featureNames == y.featureNames && x.columnKinds == y.columnKinds
            && x.targetName == y.targetName && x.target == y.target && x.features.rows == y.features.rows
            && x.features.cols == y.features.cols
            && x.features.storage.map(\.bitPattern) == y.features.storage.map(\.bitPattern)
    case (.failure(let e), .failure(let f)):
        // A file that is not UTF-8: the streaming reader also names the place.
        return utf8Error
            ? e.hasSuffix("the file is not UTF-8 text") && f.hasSuffix("the file is not UTF-8 text") : e == f
    default:
        return false
    }
}

/// A random CSV file exercising what the two readers must agree on, with at most one error.
private struct RandomCSV {
    var bytes: [UInt8] = []
    var target: String?
    var task: TaskChoice = .auto
    var options = ColumnOptions()
    var utf8Error = false

    init(rng: inout SeededGenerator, rows: Int) {
        let ncols = 1 + rng.nextIndex(6)
        let names = (0..<ncols).map { "c\($0)" }
        // Column styles: 0 clean numbers, 1 numbers with missing values, 2 categories, 3 numbers
        // then text, 4 whole-number classes, 5 odd number spellings.
        let styles = (0..<ncols).map { _ in rng.nextIndex(6) }
        let crlf = rng.nextIndex(3) == 0
        let eol = crlf ? "\r\n" : "\n"
        let injected = rng.nextIndex(6) == 0 ? rng.nextIndex(8) : -1
        let errorRow = rows > 0 ? rng.nextIndex(rows) : 0
        var text = rng.nextIndex(8) == 0 ? "\u{FEFF}" : ""
        var header = names.map { rng.nextIndex(8) == 0 ? " \($0) " : $0 }
        if rng.nextIndex(8) == 0 { header[0] = "\"\(names[0])\"" }
        if injected == 6, ncols > 1 { header[ncols - 1] = names[0] }
        text += header.joined(separator: ",") + eol
        let switchRow = rows > 0 ? rng.nextIndex(rows) : 0
        for r in 0..<rows {
            if rng.nextIndex(20) == 0 { text += eol }  // a blank line
            var fields: [String] = []
            for j in 0..<ncols {
                let x = rng.nextNormal()
                var cell: String
                switch styles[j] {
                case 0: cell = String(format: "%.\(1 + rng.nextIndex(6))f", x)
                case 1:
                    cell =
                        rng.nextIndex(4) == 0
                        ? ["", "NA", "nan", " ", "?"][rng.nextIndex(5)] : String(format: "%.3f", x)
                case 2: cell = rng.nextIndex(6) == 0 ? "NA" : ["red", "green", "blue", "ünï", "a b"][rng.nextIndex(5)]
                case 3: cell = r < switchRow ? String(format: "%.2f", x) : ["x", "1.50", "NA"][rng.nextIndex(3)]
                case 4: cell = String(rng.nextIndex(3))
                default:
                    cell =
                        [
                            String(Float(x)), String(format: "%.10e", x), " \(String(format: "%.2f", x))\t",
                            "\"\(String(format: "%.1f", x))\"", "1e38", "-1e-40", "-0", "+.5", "5.",
                            String(format: "%.22f", x)
                        ][rng.nextIndex(10)]
                }
                if rng.nextIndex(30) == 0 { cell = "\"a, \"\"quoted\"\"\nvalue\"" }
                fields.append(cell)
            }
            if r == errorRow {
                switch injected {
                case 0: fields.append("extra")
                case 1: if fields.count > 1 { fields.removeLast() } else { fields.append("x") }
                case 2: fields[0] = "ab\"c"
                case 3: fields[0] = "\"never closed"
                case 4: fields[0] = "\"done\"x"
                case 5: fields[0] = "\u{FFFF}bad"
                // A number beyond float32: an error when its column held numbers before it.
                case 7: fields[rng.nextIndex(ncols)] = ["1e39", "inf", "-Infinity"][rng.nextIndex(3)]
                default: break
                }
            }
            text += fields.joined(separator: ",")
            if r < rows - 1 || rng.nextIndex(3) > 0 { text += eol }
        }
        bytes = Array(text.utf8)
        if injected == 5, rows > 0, let nl = bytes.firstIndex(of: 0x0A),
            let k = bytes[nl...].firstIndex(of: 0xEF)
        {
            // U+FFFF is EF BF BF; an EF followed by ASCII is not UTF-8.
            bytes[k + 1] = 0x41
            utf8Error = true
        }
        if rng.nextIndex(3) > 0 { target = names[rng.nextIndex(ncols)] }
        task = [TaskChoice.auto, .auto, .classification, .regression][rng.nextIndex(4)]
        if rng.nextIndex(4) == 0 { options.categorical = [names[rng.nextIndex(ncols)]] }
        if rng.nextIndex(5) == 0, injected < 0, task != .regression {
            let j = rng.nextIndex(ncols)
            if !options.categorical.contains(names[j]) { options.numeric = [names[j]] }
        }
        switch rng.nextIndex(6) {
        case 0: options.missingTokens = ["?", "NA"]
        case 1: options.missingTokens = ["", "-0", "NA"]  // a token that reads as a number
        default: break
        }
    }
}

@Test func streamingLoaderAgreesWithTheReferenceOnRandomFiles() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mle-csv-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    var rng = SeededGenerator(seed: ProcessInfo.processInfo.environment["MLE_CSV_SEED"].flatMap(UInt64.init) ?? 77)
    var loaded = 0, failed = 0
    for k in 0..<(ProcessInfo.processInfo.environment["MLE_CSV_FILES"].flatMap(Int.init) ?? 400) {
        let csv = RandomCSV(rng: &rng, rows: rng.nextIndex(40))
        let path = dir.appendingPathComponent("f\(k).csv").path
        try Data(csv.bytes).write(to: URL(fileURLWithPath: path))
        let a = reference(path, target: csv.target, task: csv.task, options: csv.options)
        let b = streamed(path, target: csv.target, task: csv.task, options: csv.options)
        #expect(same(a, b, utf8Error: csv.utf8Error), "file \(k): reference \(a), streamed \(b)")
        if case .data = a { loaded += 1 } else { failed += 1 }
    }
    // Both outcomes are exercised.
    #expect(loaded > 150 && failed > 30, "\(loaded) loaded, \(failed) failed")
}

/// Files of several megabytes: blocks, the two-thread split, a record longer than a block, rows
/// dropped for a missing target, and a column that turns to text late (the second pass). Variants
/// 4–6 have the target as their only text column (a file of predictions), whose cells the scan
/// matches to the texts seen before: with rows dropped among them, with more than 16 distinct
/// targets from a late row on, and with a feature that turns to text late.
@Test func streamingLoaderAgreesOnLargeFiles() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mle-csv-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    var rng = SeededGenerator(seed: 5)
    for variant in 0..<7 {
        let colour = variant < 4
        var text = colour ? "a,b,c,d,colour,y\n" : "a,b,c,d,y\n"
        let rows = 40_000
        for r in 0..<rows {
            let x = (0..<4).map { _ in String(format: "%.6f", rng.nextNormal()) }
            var row = x
            if variant == 1, r % 997 == 5 { row[1] = "NA" }
            if variant == 2 || variant == 6, r == rows - 3 { row[2] = "late text" }
            if colour { row.append(["red", "green", "blue"][rng.nextIndex(3)]) }
            var y = colour ? String(rng.nextIndex(2)) : ["yes", "no"][rng.nextIndex(2)]
            if variant == 1 || variant == 4, r % 1_003 == 7 { y = variant == 1 ? "" : "NA" }
            if variant == 5, r >= 30_000 { y = "class \(r % 40)" }
            if variant == 3, r == 20_000 { row[4] = "\"" + String(repeating: "long, text ", count: 150_000) + "\"" }
            row.append(y)
            text += row.joined(separator: ",") + (variant == 3 && r % 2 == 0 ? "\r\n" : "\n")
        }
        let path = dir.appendingPathComponent("big\(variant).csv").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let a = reference(path, target: "y", task: .auto, options: ColumnOptions())
        let b = streamed(path, target: "y", task: .auto, options: ColumnOptions())
        #expect(same(a, b, utf8Error: false), "variant \(variant): reference \(a), streamed \(b)")
        if case .data(let d, let dropped) = b {
            #expect(d.rowCount + dropped == rows)
            let dropsRows = variant == 1 || variant == 4
            #expect(dropped == (dropsRows ? (0..<rows).filter { $0 % 1_003 == 7 }.count : 0))
            #expect(d.columnKinds[2].isNumeric == (variant != 2 && variant != 6))
            if colour { #expect(!d.columnKinds[4].isNumeric) }
            if case .classes(_, let names)? = d.target {
                #expect(names.count == (variant == 5 ? 42 : 2), "variant \(variant): \(names.count) classes")
            }
        } else {
            Issue.record("variant \(variant): the streamed loader failed: \(b)")
        }
    }
}

@Test func streamingLoaderErrorsNameThePlace() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mle-csv-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    func load(_ bytes: [UInt8], options: ColumnOptions = ColumnOptions(), task: TaskChoice = .auto) -> String {
        let path = dir.appendingPathComponent("e.csv").path
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        do { _ = try Dataset.read(path: path, targetName: "y", task: task, options: options); return "loaded" } catch {
            return "\(error)".replacingOccurrences(of: path, with: "e.csv")
        }
    }
    #expect(load(Array("x,y\n1,2\n3,4,5\n".utf8)) == "e.csv:3:5: this row has 3 fields but the header has 2")
    var numeric = ColumnOptions()
    numeric.numeric = ["x"]
    #expect(
        load(Array("x,y\n1,2\nab,4\n".utf8), options: numeric)
            == "e.csv:3:1: 'ab' in column 'x' is not a number (the column was declared numeric)")
    #expect(
        load(Array("x,y\n1,2\n3,a\n".utf8), task: .regression)
            == "e.csv:3:3: 'a' in target 'y' is not a number; regression needs numbers")
    #expect(
        load(Array("x,y\n1,2\n3,\u{e9}\n".utf8).map { $0 == 0xC3 ? 0xFF : $0 })
            == "e.csv:3:3: the file is not UTF-8 text")
    #expect(load([]) == "e.csv: the file is empty; expected a header row")
    #expect(load(Array("x,y\n".utf8)) == "loaded")
    #expect(load(Array("x,y\n1,2".utf8)) == "loaded")
}

@Test func numbersBeyondFloat32InAColumnOfNumbersAreErrorsAtTheCell() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mle-range-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let big = (0..<20_000).map { "\($0),\($0 * 2),x\n" }.joined()
    let cases: [(String, String?, String?)] = [
        ("a,b,y\n1,2,x\n1e400,3,y\n2,4,x\n", "1e400", "3:1"),
        ("a,b,y\n1,2,x\n2, inf ,y\n", "inf", "3:3"),
        ("a,b,y\n" + big + "-1e400,3,y\n", "-1e400", "20002:1"),
        // Where no number came before it, a word such as inf may be a category.
        ("a,b,y\ninf,2,x\nlow,3,y\n", nil, nil),
        // 3e38 is within range.
        ("a,b,y\n1,2,x\n3e38,3,y\n", nil, nil)
    ]
    for (i, (text, cell, position)) in cases.enumerated() {
        let path = dir.appendingPathComponent("c\(i).csv").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        for outcome in [
            reference(path, target: "y", task: .auto, options: ColumnOptions()),
            streamed(path, target: "y", task: .auto, options: ColumnOptions())
        ] {
            if let cell, let position {
                #expect(
                    outcome.description
                        == "error: \(path):\(position): '\(cell)' in column '\(position.hasSuffix(":3") ? "b" : "a")' is beyond the range of numbers mle keeps (±3.4e38) in a column of numbers; list it as a missing-value cell to read it as missing",
                    "case \(i): \(outcome)")
            } else if case .failure = outcome {
                Issue.record("case \(i): \(outcome)")
            }
        }
    }
}

@Test func csvTextInMemoryReadsAsTheFileDoes() throws {
    // The in-memory entry (the fuzz target's) is the same loader: same dataset, same errors.
    for (name, target) in [("penguins.csv", "species"), ("iris.csv", "species")] {
        let path = dataPath(name)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let fromFile = try Dataset.read(path: path, targetName: target)
        let fromMemory = try Dataset.read(csv: bytes, name: path, targetName: target)
        #expect(fromFile.data.featureNames == fromMemory.data.featureNames)
        #expect(
            fromFile.data.columnKinds == fromMemory.data.columnKinds && fromFile.data.target == fromMemory.data.target)
        #expect(fromFile.data.features.storage.map(\.bitPattern) == fromMemory.data.features.storage.map(\.bitPattern))
        #expect(fromFile.droppedRows == fromMemory.droppedRows)
    }
    let bad = Array("a,b\n1,2,3\n".utf8)
    #expect(throws: DataFileError.self) { try Dataset.read(csv: bad, name: "t.csv", targetName: nil) }
    #expect(throws: DataFileError.self) { try Dataset.read(csv: [], name: "t.csv", targetName: nil) }
}
