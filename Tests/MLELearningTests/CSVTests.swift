import Foundation
import MLELearning
import MLETensor
import MLETestSupport
import Testing

@Test func csvReadsQuotedFieldsCRLFAndBOM() throws {
    let text = "\u{FEFF}a,\"b, with comma\",c\r\n1,\"say \"\"hi\"\"\",\"two\nlines\"\r\n\r\n3,4,5\r\n"
    let t = try CSVReader.parse(text, file: "x.csv")
    #expect(t.header == ["a", "b, with comma", "c"])
    #expect(t.records == [["1", "say \"hi\"", "two\nlines"], ["3", "4", "5"]])
    // The record after the quoted newline starts on line 5 (line 4 is blank).
    #expect(t.positions[1][0] == TextPosition(line: 5, column: 1))
}

@Test func csvWithoutTrailingNewlineAndEmptyFields() throws {
    let t = try CSVReader.parse("x,y\n1,\n,2", file: "x.csv")
    #expect(t.records == [["1", ""], ["", "2"]])
}

@Test func csvRaggedRowNamesLineAndColumn() {
    #expect(
        throws: DataFileError(
            file: "r.csv", position: TextPosition(line: 3, column: 5),
            message: "this row has 3 fields but the header has 2")
    ) {
        try CSVReader.parse("a,b\n1,2\n3,4,5\n", file: "r.csv")
    }
    #expect(
        throws: DataFileError(
            file: "r.csv", position: TextPosition(line: 2, column: 1),
            message: "this row has 1 fields but the header has 2")
    ) {
        try CSVReader.parse("a,b\n1\n", file: "r.csv")
    }
}

@Test func csvUnterminatedQuoteAndEmptyFile() {
    #expect(
        throws: DataFileError(
            file: "q.csv", position: TextPosition(line: 2, column: 3),
            message: "a quoted field is never closed")
    ) {
        try CSVReader.parse("a,b\n1,\"oops\n", file: "q.csv")
    }
    #expect(throws: DataFileError(file: "e.csv", position: nil, message: "the file is empty; expected a header row")) {
        try CSVReader.parse("", file: "e.csv")
    }
    #expect(throws: DataFileError.self) { try CSVReader.parse("\n\n", file: "e.csv") }
}

@Test func missingValuesAreCountedPerColumn() throws {
    // Wider than the counting kernel's vectors, NaNs scattered; counted by hand alongside.
    var rng = SeededGenerator(seed: 4)
    let rows = 37, cols = 19
    var m = Matrix(rows: rows, cols: cols)
    var expected = [Int](repeating: 0, count: cols)
    for r in 0..<rows {
        for j in 0..<cols {
            if rng.nextUnit() < 0.1 { m[r, j] = .nan; expected[j] += 1 } else { m[r, j] = Float(rng.nextUnit()) }
        }
    }
    let d = Dataset(name: "g", featureNames: (0..<cols).map { "x\($0)" }, features: m, targetName: nil, target: nil)
    #expect(d.missingCounts == expected && expected.reduce(0, +) > 20)
    #expect(!d.isPlainNumeric)
    var clean = m
    for i in clean.storage.indices where clean.storage[i].isNaN { clean.storage[i] = 0 }
    #expect(
        Dataset(name: "c", featureNames: d.featureNames, features: clean, targetName: nil, target: nil).isPlainNumeric)
}

@Test func columnTypesAreInferredAndOverridable() throws {
    let table = try CSVReader.parse("x,y,code,label\n1,2,7,a\n3,abc,8,b\nNA,,7,a\n", file: "n.csv")
    let d = try Dataset.fromCSV(table, file: "n.csv", targetName: "label")
    #expect(d.columnKinds == [.numeric, .categorical(levels: ["2", "abc"]), .numeric])
    #expect(d.missingCounts == [1, 1, 0])
    #expect(d.features[0, 1] == 0 && d.features[1, 1] == 1 && d.features[2, 1].isNaN && d.features[2, 0].isNaN)
    #expect(!d.isPlainNumeric)
    var options = ColumnOptions()
    options.categorical = ["code"]
    let typed = try Dataset.fromCSV(table, file: "n.csv", targetName: "label", options: options)
    #expect(typed.columnKinds[2] == .categorical(levels: ["7", "8"]))
    // A text cell in a column declared numeric names its line and column.
    options = ColumnOptions()
    options.numeric = ["y"]
    #expect(
        throws: DataFileError(
            file: "n.csv", position: TextPosition(line: 3, column: 3),
            message: "'abc' in column 'y' is not a number (the column was declared numeric)")
    ) {
        try Dataset.fromCSV(table, file: "n.csv", targetName: "label", options: options)
    }
    // Missing-value tokens are configurable, numeric sentinels included.
    options = ColumnOptions()
    options.missingTokens = ["-999"]
    let sentinel = try Dataset.fromCSV(
        try CSVReader.parse("x\n1\n-999\n", file: "s.csv"), file: "s.csv", targetName: nil, options: options)
    #expect(sentinel.missingCounts == [1] && sentinel.columnKinds == [.numeric])
    // A model that takes numbers refuses categorical and incomplete columns with a reason.
    #expect(throws: LearningError.self) { try d.features(ordered: ["y"]) }
    #expect(throws: LearningError.self) { try d.features(ordered: ["x"]) }
}

@Test func missingTargetColumnSuggestsTheClosest() throws {
    let table = try CSVReader.parse("sepal,species\n1,a\n", file: "t.csv")
    // The error carries the name and the columns; the language adds "did you mean 'species'?".
    #expect(
        throws: DataFileError(
            file: "t.csv", position: TextPosition(line: 1, column: 1),
            message: "no column named 'specis' in the header",
            unknownName: UnknownNameError(
                kind: "column", name: "specis", known: ["sepal", "species"],
                listing: "columns"))
    ) {
        try Dataset.fromCSV(table, file: "t.csv", targetName: "specis")
    }
}

@Test func rowsWithoutATargetAreDroppedAndCounted() throws {
    let table = try CSVReader.parse("x,y\n1,a\n2,\n3,NA\n4,b\n", file: "m.csv")
    let (d, dropped) = try Dataset.read(table, file: "m.csv", targetName: "y")
    #expect(dropped == 2 && d.rowCount == 2)
    #expect(d.target == .classes(labels: [0, 1], names: ["a", "b"]))
    #expect(d.features.storage == [1, 4])
}

@Test func targetKindIsInferred() throws {
    let classes = try Dataset.fromCSV(
        try CSVReader.parse("x,y\n1,2\n2,10\n3,2\n", file: "c.csv"), file: "c.csv", targetName: "y")
    #expect(classes.target == .classes(labels: [0, 1, 0], names: ["2", "10"]))
    let values = try Dataset.fromCSV(
        try CSVReader.parse("x,y\n1,2.5\n2,3\n", file: "v.csv"), file: "v.csv", targetName: "y")
    #expect(values.target == .values([2.5, 3]))
    let forced = try Dataset.fromCSV(
        try CSVReader.parse("x,y\n1,2\n2,3\n", file: "f.csv"), file: "f.csv", targetName: "y", task: .regression)
    #expect(forced.target == .values([2, 3]))
    let none = try Dataset.fromCSV(try CSVReader.parse("x,y\n1,2\n", file: "n.csv"), file: "n.csv", targetName: nil)
    #expect(none.target == nil && none.featureNames == ["x", "y"])
}

/// The package root, found from this file's path.

@Test func shippedDatasetsLoad() throws {
    let iris = try Dataset.load(
        path: packageRoot.appendingPathComponent("datasets/iris.csv").path, targetName: "species")
    #expect(iris.rowCount == 150 && iris.featureNames.count == 4)
    #expect(iris.classCounts == [50, 50, 50])
    let bc = try Dataset.load(
        path: packageRoot.appendingPathComponent("datasets/breast_cancer.csv").path, targetName: "diagnosis")
    #expect(bc.rowCount == 569 && bc.featureNames.count == 30)
    #expect(bc.classCounts == [357, 212])
    let digits = try Dataset.load(
        path: packageRoot.appendingPathComponent("datasets/digits.csv").path, targetName: "digit")
    #expect(digits.rowCount == 1797 && digits.featureNames.count == 64)
    if case .classes(_, let names)? = digits.target {
        #expect(names == (0...9).map(String.init))
    } else {
        Issue.record("digits should be classes")
    }
}

@Test func loadingAMissingFileSaysSo() {
    #expect(throws: DataFileError(file: "/nonexistent/x.csv", position: nil, message: "cannot open: no such file")) {
        try Dataset.load(path: "/nonexistent/x.csv", targetName: nil)
    }
}
