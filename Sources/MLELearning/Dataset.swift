import CKernels
import Foundation
import MLETensor

/// What a target column holds.
public enum Target: Equatable, Sendable {
    /// Class labels: `labels[i]` indexes `names`.
    case classes(labels: [Int], names: [String])
    /// Numbers, for regression.
    case values([Float])

    public var count: Int {
        switch self {
        case .classes(let l, _): return l.count
        case .values(let v): return v.count
        }
    }

    /// The target restricted to `indices`, in that order.
    public func gather(_ indices: [Int]) -> Target {
        switch self {
        case .classes(let l, let n): return .classes(labels: indices.map { l[$0] }, names: n)
        case .values(let v): return .values(indices.map { v[$0] })
        }
    }
}

/// Whether a model predicts classes or numbers.
public enum Task: Equatable, Sendable {
    case classification(classNames: [String])
    case regression

    public var isClassification: Bool {
        if case .classification = self { return true }
        return false
    }

    /// The class names (none for regression).
    public var classNames: [String] {
        if case .classification(let names) = self { return names }
        return []
    }
}

/// What a feature column holds.
public enum ColumnKind: Equatable, Sendable, Codable {
    /// Numbers.
    case numeric
    /// Text categories: a cell holds the index of its level in `levels` (sorted).
    case categorical(levels: [String])

    public var isNumeric: Bool { self == .numeric }
    public var name: String { isNumeric ? "numeric" : "categorical" }
}

/// A table of features with an optional target. Every cell is a `Float`: a number, or for a
/// categorical column the index of its level; a missing value is NaN.
public struct Dataset: Sendable {
    public var name: String
    public var featureNames: [String]
    public var features: Matrix
    /// One per feature column; all numeric unless the data had text or was told otherwise.
    public var columnKinds: [ColumnKind]
    public var targetName: String?
    public var target: Target?
    /// True for the test side of a split and rows taken from it: data kept for judging models,
    /// which resampling refuses to touch.
    public var isHeldOut = false

    public init(
        name: String, featureNames: [String], features: Matrix,
        targetName: String?, target: Target?, columnKinds: [ColumnKind]? = nil
    ) {
        self.name = name; self.featureNames = featureNames; self.features = features
        self.columnKinds = columnKinds ?? Array(repeating: .numeric, count: featureNames.count)
        self.targetName = targetName; self.target = target
    }

    /// Missing values per feature column.
    public var missingCounts: [Int] {
        let rows = features.rows, cols = features.cols
        // Large tables in two halves on two threads: every model's inputs are checked for gaps,
        // and a pass over 100,000 × 784 cells was a twentieth of predicting them.
        let parts = rows * cols >= 4_000_000 ? 2 : 1
        let matrix = features
        let halves =
            (try? Parallel.map(parts) { part -> [Int] in
                let from = part * rows / parts, to = (part + 1) * rows / parts
                var counts = [Int](repeating: 0, count: cols)
                matrix.storage.withUnsafeBufferPointer { p in
                    counts.withUnsafeMutableBufferPointer { c in
                        guard let p = p.baseAddress, let c = c.baseAddress, to > from else { return }
                        _ = mle_count_nan(p + from * cols, to - from, cols, c)
                    }
                }
                return counts
            }) ?? []
        var counts = [Int](repeating: 0, count: cols)
        for h in halves { for j in 0..<cols { counts[j] += h[j] } }
        return counts
    }

    /// True when every feature is numeric and no value is missing: the matrix can go straight
    /// into a model.
    public var isPlainNumeric: Bool {
        columnKinds.allSatisfy(\.isNumeric) && missingCounts.allSatisfy { $0 == 0 }
    }

    public var rowCount: Int { features.rows }

    /// A hash of the data that tells one dataset from another within a session: its shape, names
    /// and the bits of up to 4,096 evenly spaced rows and their targets. (Not stable across runs:
    /// `Hasher` is seeded per process.)
    public var fingerprint: Int {
        var h = Hasher()
        h.combine(features.rows); h.combine(features.cols); h.combine(featureNames); h.combine(targetName)
        let rows = features.rows, cols = features.cols
        let step = max(1, rows / 4096)
        features.storage.withUnsafeBufferPointer { s in
            var r = 0
            while r < rows {
                for c in 0..<cols { h.combine(s[r * cols + c].bitPattern) }
                r += step
            }
        }
        switch target {
        case .classes(let labels, let names)?:
            h.combine(names)
            var r = 0
            while r < labels.count { h.combine(labels[r]); r += step }
        case .values(let v)?:
            var r = 0
            while r < v.count { h.combine(v[r].bitPattern); r += step }
        case nil: break
        }
        return h.finalize()
    }

    /// The task this dataset's target implies, if it has one.
    public var task: Task? {
        switch target {
        case .classes(_, let names)?: return .classification(classNames: names)
        case .values?: return .regression
        case nil: return nil
        }
    }

    /// Rows at `indices`, in that order.
    /// - Throws: `Cancelled` on Ctrl-C (see `Matrix.gatherRows`).
    public func subset(_ indices: [Int], name: String) throws -> Dataset {
        var d = Dataset(
            name: name, featureNames: featureNames, features: try features.gatherRows(indices),
            targetName: targetName, target: target?.gather(indices), columnKinds: columnKinds)
        d.isHeldOut = isHeldOut
        return d
    }

    /// Class counts, in class order (classification only).
    public var classCounts: [Int]? {
        guard case .classes(let labels, let names)? = target else { return nil }
        var counts = [Int](repeating: 0, count: names.count)
        for l in labels { counts[l] += 1 }
        return counts
    }

    /// scikit-learn's "balanced" class weights, n / (classes · count of the class) (0 for an
    /// empty class); nil without classes.
    public var balancedClassWeights: [Double]? {
        guard let counts = classCounts else { return nil }
        return counts.map { $0 > 0 ? Double(rowCount) / Double(counts.count * $0) : 0 }
    }

    /// The feature matrix with columns in the order of `names`, for a model that takes numbers.
    /// - Throws: `LearningError.missingFeatures` when a named column is absent, and
    ///   `LearningError.invalid` when one is categorical or has missing values (only a model
    ///   trained with a preprocessing pipeline can take those).
    public func features(ordered names: [String]) throws -> Matrix {
        var index: [String: Int] = [:]
        for (j, n) in featureNames.enumerated() { index[n] = j }
        let missing = names.filter { index[$0] == nil }
        guard missing.isEmpty else {
            throw LearningError.missingFeatures(missing)
        }
        let cols = names.compactMap { index[$0] }
        if let j = cols.first(where: { !columnKinds[$0].isNumeric }) {
            throw LearningError.invalid(
                "column '\(featureNames[j])' is categorical and this model takes numbers; models trained in mle encode such columns themselves"
            )
        }
        let counts = missingCounts
        if let j = cols.first(where: { counts[$0] > 0 }) {
            throw LearningError.invalid(
                "column '\(featureNames[j])' has \(counts[j]) missing value\(counts[j] == 1 ? "" : "s") and this model has no imputation; drop them with dropna, or use a model trained in mle on data with missing values"
            )
        }
        if names == featureNames { return features }
        var out = Matrix(rows: rowCount, cols: cols.count)
        for r in 0..<rowCount {
            for (k, c) in cols.enumerated() { out[r, k] = features[r, c] }
        }
        return out
    }
}

/// How to read the target column.
public enum TaskChoice: String, CaseIterable, Sendable {
    case auto, classification, regression
}

/// How to read a CSV file's cells.
public struct ColumnOptions: Equatable, Sendable {
    /// Cells that mean "missing" (compared after trimming blanks).
    public var missingTokens: Set<String> = ColumnOptions.defaultMissing
    /// Columns to read as categories even when every value is a number (codes, years).
    public var categorical: [String] = []
    /// Columns that must be numbers; a text cell in one is an error.
    public var numeric: [String] = []
    /// The byte between fields: a comma, or another the file uses (tab, semicolon, bar;
    /// `CSVDialect.sniff` guesses it).
    public var separator: UInt8 = 0x2C
    public init() {}

    /// pandas' default missing-value strings, less the exotic ones.
    public static let defaultMissing: Set<String> = [
        "", "NA", "N/A", "n/a", "NaN", "nan", "NULL", "null", "None", "<NA>", "#N/A"
    ]
}

extension Dataset {
    /// Builds a dataset from a parsed CSV table.
    /// - Parameters:
    ///   - table: the parsed file.
    ///   - file: the file name, for errors.
    ///   - targetName: the target column, or nil for a dataset without one.
    ///   - task: `auto` reads text labels, and whole numbers with at most 20 distinct values, as
    ///     classes; other numbers as a regression target.
    ///   - options: missing-value tokens and column types that override inference (a column is
    ///     numeric when every present cell is a number, categorical otherwise).
    /// - Returns: the dataset and the number of rows dropped because their target was missing.
    /// - Throws: `DataFileError` naming the line and column of a text value in a column declared
    ///   numeric, or a target or declared column that is not in the header.
    public static func fromCSV(
        _ table: CSVTable, file: String, targetName: String?,
        task: TaskChoice = .auto, options: ColumnOptions = ColumnOptions()
    ) throws -> Dataset {
        try read(table, file: file, targetName: targetName, task: task, options: options).data
    }

    /// `fromCSV`, also returning how many rows were dropped because their target was missing.
    public static func read(
        _ table: CSVTable, file: String, targetName: String?,
        task: TaskChoice = .auto, options: ColumnOptions = ColumnOptions()
    ) throws -> (data: Dataset, droppedRows: Int) {
        let roles = try ColumnRoles(
            header: table.header, headerLine: table.headerLine, file: file,
            targetName: targetName, options: options)
        let targetIndex = roles.target, declaredCategorical = roles.categorical, declaredNumeric = roles.numeric
        // Rows whose target is missing cannot be used for training or evaluation: they are dropped.
        var keep = Array(table.records.indices)
        if let tj = targetIndex {
            keep = keep.filter { !options.missingTokens.contains(String(trimSpaces(table.records[$0][tj]))) }
        }
        let featureColumns = table.header.indices.filter { $0 != targetIndex }
        let n = keep.count, d = featureColumns.count
        var storage = [Float](repeating: 0, count: n * d)
        var kinds: [ColumnKind] = []
        // Missing-value tokens that read as numbers (a sentinel such as -999).
        let numericMissing = options.missingTokens.filter { Float($0)?.isFinite == true }
        // The first number out of range in a column of numbers, by place in the file: thrown once
        // every column has been read, as the streaming loader does.
        var outOfRange: TextPosition?
        var outOfRangeError: DataFileError?
        for (k, j) in featureColumns.enumerated() {
            var numbers = [Float](repeating: .nan, count: n)
            var textRow: Int?
            if !declaredCategorical.contains(j) {
                for (r, rec) in keep.enumerated() {
                    let cell = trimSpaces(table.records[rec][j])
                    if let v = Float(cell), v.isFinite, numericMissing.isEmpty || !numericMissing.contains(String(cell))
                    {
                        numbers[r] = v; continue
                    }
                    if options.missingTokens.contains(String(cell)) { continue }
                    if Float(cell)?.isInfinite == true, !declaredNumeric.contains(j),
                        numbers.contains(where: { !$0.isNaN })
                    {
                        let position = table.positions[rec][j]
                        if outOfRange.map({ (position.line, position.column) < ($0.line, $0.column) }) ?? true {
                            outOfRange = position
                            outOfRangeError = DataFileError(
                                file: file, position: position,
                                message: outOfRangeMessage(String(cell), column: table.header[j]))
                        }
                    }
                    textRow = rec; break
                }
            }
            if textRow == nil && !declaredCategorical.contains(j) {
                kinds.append(.numeric)
                for r in 0..<n { storage[r * d + k] = numbers[r] }
                continue
            }
            if let rec = textRow, declaredNumeric.contains(j) {
                let cell = trimSpaces(table.records[rec][j])
                throw DataFileError(
                    file: file, position: table.positions[rec][j],
                    message:
                        "'\(cell)' in column '\(table.header[j])' is not a number (the column was declared numeric)")
            }
            var cells: [String?] = []
            cells.reserveCapacity(n)
            for rec in keep {
                let cell = String(trimSpaces(table.records[rec][j]))
                cells.append(options.missingTokens.contains(cell) ? nil : cell)
            }
            let levels = sortedLevels(Set(cells.compactMap { $0 }))
            var index: [String: Int] = [:]
            for (c, l) in levels.enumerated() { index[l] = c }
            for (r, cell) in cells.enumerated() {
                storage[r * d + k] = cell.flatMap { index[$0] }.map(Float.init) ?? .nan
            }
            kinds.append(.categorical(levels: levels))
        }
        if let e = outOfRangeError { throw e }
        let features = try Matrix(rows: n, cols: d, storage: storage)
        var target: Target?
        if let tj = targetIndex {
            target = try readTarget(table, column: tj, rows: keep, file: file, task: task)
        }
        let base = (file as NSString).lastPathComponent
        let name = (base as NSString).deletingPathExtension
        return (
            Dataset(
                name: name, featureNames: featureColumns.map { table.header[$0] },
                features: features, targetName: targetName, target: target, columnKinds: kinds),
            table.records.count - n
        )
    }

    /// A cell spelled as a number beyond float32's range (1e400, inf) in a column of numbers: an
    /// error, not a silent change of the column into categories.
    static func outOfRangeMessage(_ cell: String, column: String) -> String {
        "'\(cell)' in column '\(column)' is beyond the range of numbers mle keeps (±3.4e38) in a column of numbers; "
            + "list it as a missing-value cell to read it as missing"
    }

    private static func readTarget(
        _ table: CSVTable, column tj: Int, rows: [Int], file: String,
        task: TaskChoice
    ) throws -> Target {
        let cells = rows.map { String(trimSpaces(table.records[$0][tj])) }
        if task == .regression, let r = cells.firstIndex(where: { !(Double($0)?.isFinite ?? false) }) {
            throw DataFileError(
                file: file, position: table.positions[rows[r]][tj],
                message: "'\(cells[r])' in target '\(table.header[tj])' is not a number; regression needs numbers")
        }
        return target(fromCells: cells, task: task)
    }

    /// The target a column's cells give (for regression every cell must be a number; the
    /// readers check that first): `auto` reads text labels, and whole numbers with at most 20
    /// distinct values, as classes; other numbers as values.
    static func target(fromCells cells: [String], task: TaskChoice) -> Target {
        // Each cell hashed once, to its distinct value in order of appearance; what the values
        // are (numbers, how many) is decided on the distinct values. Perf: parsing every cell as
        // a number and hashing it twice was a fifth of loading 1,000,000 rows of "yes"/"no".
        var firstSeen: [String: Int32] = [:]
        var distinct: [String] = []
        var codes = [Int32](repeating: 0, count: cells.count)
        for (r, cell) in cells.enumerated() {
            if let c = firstSeen[cell] {
                codes[r] = c
            } else {
                firstSeen[cell] = Int32(distinct.count)
                codes[r] = Int32(distinct.count)
                distinct.append(cell)
            }
        }
        return target(codes: codes, distinct: distinct, task: task)
    }

    /// The target of cells given as numbers of `distinct` texts (the CSV loader numbers a
    /// column's few distinct texts as it reads them); texts no cell has are ignored.
    static func target(codes: [Int32], distinct: [String], task: TaskChoice) -> Target {
        var used = [Bool](repeating: false, count: distinct.count)
        for c in codes { used[Int(c)] = true }
        let present = distinct.indices.filter { used[$0] }
        let numbers = distinct.map { Double($0) }
        let allNumeric = present.allSatisfy { numbers[$0]?.isFinite == true }
        func values() -> Target { .values(codes.compactMap { numbers[Int($0)].map { Float($0) } }) }
        switch task {
        case .regression:
            return values()
        case .auto where allNumeric:
            let present = present.compactMap { numbers[$0] }
            if !present.allSatisfy({ $0 == $0.rounded() }) || Set(present).count > 20 { return values() }
            fallthrough
        case .auto, .classification:
            let names = sortedLevels(Set(present.map { distinct[$0] }))
            var index: [String: Int] = [:]
            for (k, n) in names.enumerated() { index[n] = k }
            let sortedCode = distinct.map { index[$0] ?? 0 }
            return .classes(labels: codes.map { sortedCode[Int($0)] }, names: names)
        }
    }

    /// Reads a CSV file into a dataset.
    /// - Throws: `DataFileError` when the file cannot be read or parsed.
    public static func load(path: String, targetName: String?, task: TaskChoice = .auto) throws -> Dataset {
        try read(path: path, targetName: targetName, task: task).data
    }

    /// Reads a CSV file into a dataset, with column options; also returns how many rows were
    /// dropped because their target was missing.
    /// Reads CSV text already in memory as `read(path:)` reads a file (`name` stands for the
    /// file in errors and names the dataset): the same loader, without a file.
    public static func read(
        csv bytes: [UInt8], name: String, targetName: String?, task: TaskChoice = .auto,
        options: ColumnOptions = ColumnOptions(), cancellation: Cancellation = .never
    ) throws -> (data: Dataset, droppedRows: Int) {
        var loader = CSVLoader(path: name, targetName: targetName, task: task, options: options)
        loader.bytes = bytes
        loader.cancellation = cancellation
        return try loader.read()
    }

    /// - Throws: `Cancelled` within a block (1 MB) of the caller's asking.
    public static func read(
        path: String, targetName: String?, task: TaskChoice = .auto,
        options: ColumnOptions = ColumnOptions(), cancellation: Cancellation = .never
    ) throws -> (data: Dataset, droppedRows: Int) {
        try CSVLoader(
            path: path, targetName: targetName, task: task, options: options, cancellation: cancellation
        ).read()
    }
}

/// Category levels in order: by value when every level is a finite number (the spelling breaks
/// ties, so "2" and "2.0" keep one order), else by text.
func sortedLevels(_ present: Set<String>) -> [String] {
    let values = present.map { ($0, Double($0)) }
    if values.allSatisfy({ $0.1?.isFinite == true }) {
        return values.sorted { ($0.1 ?? 0, $0.0) < ($1.1 ?? 0, $1.0) }.map(\.0)
    }
    return present.sorted()
}

/// `s` without leading and trailing blanks; cheaper than Foundation's trimming for the common
/// case of nothing to trim.
func trimSpaces(_ s: String) -> Substring {
    var sub = Substring(s)
    while let f = sub.first, f == " " || f == "\t" { sub.removeFirst() }
    while let l = sub.last, l == " " || l == "\t" { sub.removeLast() }
    return sub
}

/// Errors from the learning layer; the language layer adds positions.
public enum LearningError: Error, Equatable, CustomStringConvertible {
    case missingFeatures([String])
    case noTarget(String)
    case invalid(String)

    public var description: String {
        switch self {
        case .missingFeatures(let m):
            return
                "the data lacks the model's feature column\(m.count == 1 ? "" : "s") \(m.prefix(6).map { "'\($0)'" }.joined(separator: ", "))"
                + (m.count > 6 ? " and \(m.count - 6) more" : "")
        case .noTarget(let what):
            return "\(what) needs a target column"
        case .invalid(let s): return s
        }
    }
}
