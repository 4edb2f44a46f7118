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
}

/// A table of numeric features with an optional target.
public struct Dataset: Sendable {
    public var name: String
    public var featureNames: [String]
    public var features: Matrix
    public var targetName: String?
    public var target: Target?

    public init(name: String, featureNames: [String], features: Matrix,
                targetName: String?, target: Target?) {
        self.name = name; self.featureNames = featureNames; self.features = features
        self.targetName = targetName; self.target = target
    }

    public var rowCount: Int { features.rows }

    /// The task this dataset's target implies, if it has one.
    public var task: Task? {
        switch target {
        case .classes(_, let names)?: return .classification(classNames: names)
        case .values?: return .regression
        case nil: return nil
        }
    }

    /// Rows at `indices`, in that order.
    public func subset(_ indices: [Int], name: String) -> Dataset {
        Dataset(name: name, featureNames: featureNames, features: features.gatherRows(indices),
                targetName: targetName, target: target?.gather(indices))
    }

    /// Class counts, in class order (classification only).
    public var classCounts: [Int]? {
        guard case .classes(let labels, let names)? = target else { return nil }
        var counts = [Int](repeating: 0, count: names.count)
        for l in labels { counts[l] += 1 }
        return counts
    }

    /// The feature matrix with columns in the order of `names`.
    /// - Throws: `LearningError.missingFeatures` when a named column is absent.
    public func features(ordered names: [String]) throws -> Matrix {
        if names == featureNames { return features }
        var index: [String: Int] = [:]
        for (j, n) in featureNames.enumerated() { index[n] = j }
        let missing = names.filter { index[$0] == nil }
        guard missing.isEmpty else {
            throw LearningError.missingFeatures(missing)
        }
        let cols = names.compactMap { index[$0] }
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

extension Dataset {
    /// Builds a dataset from a parsed CSV table.
    /// - Parameters:
    ///   - table: the parsed file.
    ///   - file: the file name, for errors.
    ///   - targetName: the target column, or nil for a dataset without one.
    ///   - task: `auto` reads text labels, and whole numbers with at most 20 distinct values, as
    ///     classes; other numbers as a regression target.
    /// - Throws: `DataFileError` naming the line and column of a non-numeric feature value, a
    ///   missing target value, or a target column that is not in the header.
    public static func fromCSV(_ table: CSVTable, file: String, targetName: String?,
                               task: TaskChoice = .auto) throws -> Dataset {
        var targetIndex: Int?
        if let t = targetName {
            guard let j = table.header.firstIndex(of: t) else {
                let hint = Suggest.closest(to: t, in: table.header).map { "; did you mean '\($0)'?" } ?? ""
                throw DataFileError(file: file, position: TextPosition(line: table.headerLine, column: 1),
                                    message: "no column named '\(t)' in the header\(hint) (columns: \(table.header.joined(separator: ", ")))")
            }
            targetIndex = j
        }
        let featureColumns = table.header.indices.filter { $0 != targetIndex }
        let n = table.records.count
        var storage = [Float](repeating: 0, count: n * featureColumns.count)
        for (r, rec) in table.records.enumerated() {
            for (k, j) in featureColumns.enumerated() {
                let cell = trimSpaces(rec[j])
                guard let v = Float(cell), v.isFinite else {
                    let what = cell.isEmpty ? "an empty cell" : "'\(cell)'"
                    throw DataFileError(file: file, position: table.positions[r][j],
                                        message: "\(what) in column '\(table.header[j])' is not a number (feature columns must be numeric)")
                }
                storage[r * featureColumns.count + k] = v
            }
        }
        let features = try Matrix(rows: n, cols: featureColumns.count, storage: storage)
        var target: Target?
        if let tj = targetIndex {
            target = try readTarget(table, column: tj, file: file, task: task)
        }
        let base = (file as NSString).lastPathComponent
        let name = (base as NSString).deletingPathExtension
        return Dataset(name: name, featureNames: featureColumns.map { table.header[$0] },
                       features: features, targetName: targetName, target: target)
    }

    private static func readTarget(_ table: CSVTable, column tj: Int, file: String,
                                   task: TaskChoice) throws -> Target {
        let cells = table.records.map { String(trimSpaces($0[tj])) }
        for (r, c) in cells.enumerated() where c.isEmpty || c == "NA" {
            throw DataFileError(file: file, position: table.positions[r][tj],
                                message: "the target '\(table.header[tj])' is missing on this row")
        }
        let numbers = cells.map { Double($0) }
        let allNumeric = numbers.allSatisfy { $0?.isFinite == true }
        let numeric = numbers.compactMap { $0 }
        switch task {
        case .regression:
            if let r = numbers.firstIndex(where: { !($0?.isFinite ?? false) }) {
                throw DataFileError(file: file, position: table.positions[r][tj],
                                    message: "'\(cells[r])' in target '\(table.header[tj])' is not a number; regression needs numbers")
            }
            return .values(numeric.map { Float($0) })
        case .auto where allNumeric:
            let whole = numeric.allSatisfy { $0 == $0.rounded() }
            if !whole || Set(numeric).count > 20 { return .values(numeric.map { Float($0) }) }
            fallthrough
        case .auto, .classification:
            var names = Array(Set(cells))
            if allNumeric {
                names.sort { (Double($0) ?? 0) < (Double($1) ?? 0) }
            } else {
                names.sort()
            }
            var index: [String: Int] = [:]
            for (k, n) in names.enumerated() { index[n] = k }
            return .classes(labels: cells.map { index[$0] ?? 0 }, names: names)
        }
    }

    /// Reads a CSV file into a dataset.
    /// - Throws: `DataFileError` when the file cannot be read or parsed.
    public static func load(path: String, targetName: String?, task: TaskChoice = .auto) throws -> Dataset {
        guard let data = FileManager.default.contents(atPath: path) else {
            var isDir: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDir)
            let why = !exists ? "no such file" : (isDir.boolValue ? "it is a directory" : "it cannot be read")
            throw DataFileError(file: path, position: nil, message: "cannot open: \(why)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw DataFileError(file: path, position: nil, message: "the file is not UTF-8 text")
        }
        let table = try CSVReader.parse(text, file: path)
        return try fromCSV(table, file: path, targetName: targetName, task: task)
    }
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
            return "the data lacks the model's feature column\(m.count == 1 ? "" : "s") \(m.map { "'\($0)'" }.joined(separator: ", "))"
        case .noTarget(let what):
            return "\(what) needs a target column; load the data with target=COLUMN"
        case .invalid(let s): return s
        }
    }
}
