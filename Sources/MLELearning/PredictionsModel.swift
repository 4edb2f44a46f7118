import MLETensor

/// Predictions made elsewhere (another library, another team's service), read from columns of a
/// dataset: a model whose predictions are those columns, so that every evaluation takes a model
/// mle did not train.
///
/// It is tied to the rows it was read from: by an identifier column when there is one (the
/// data evaluated must have that column; each row finds its prediction by it), else by position
/// (the data must have as many rows, and the same target values when both have a target, so
/// that predictions are never scored against another row's truth).
/// The rows of a predictions file by identifier: numbers by their bits, names by their text.
enum IDIndex: Sendable {
    /// Whole numbers from `first` on: the row of number i at `rows[i − first]` (−1: none).
    case dense(first: Int, rows: [Int32])
    case numbers([UInt32: Int])
    case names([String: Int])

    /// A number's key: its bits, with −0 as 0 (both are written "0").
    static func key(_ v: Float) -> UInt32 { v == 0 ? 0 : v.bitPattern }

    /// The row of a number (numbers indexes only).
    func row(ofNumber v: Float) -> Int? {
        switch self {
        case .dense(let first, let rows):
            guard v == v.rounded(), abs(v) < 1e9 else { return nil }
            let slot = Int(v) - first
            return slot >= 0 && slot < rows.count && rows[slot] >= 0 ? Int(rows[slot]) : nil
        case .numbers(let rows): return rows[IDIndex.key(v)]
        case .names: return nil
        }
    }

    /// Every (number, row) of a numbers index.
    var numberedRows: [(Float, Int)] {
        switch self {
        case .dense(let first, let rows):
            return rows.enumerated().compactMap { i, r in r >= 0 ? (Float(first + i), Int(r)) : nil }
        case .numbers(let rows): return rows.map { (Float(bitPattern: $0.key), $0.value) }
        case .names: return []
        }
    }
}

public struct PredictionsModel: Model {
    /// Where the predictions are.
    public enum Columns: Sendable, Equatable {
        /// Predicted class names (or regression predictions, with a numeric target).
        case predicted(String)
        /// One probability column per class.
        case probabilities([String])
        /// The probability of the positive class, in one column (two classes).
        case positiveScore(String)
    }

    public var kind: String { "predictions" }
    /// The columns read.
    public let featureNames: [String]
    public let task: Task
    /// Predictions per row of the data they came from: class probabilities, or one column of values.
    let stored: Matrix
    let idColumn: String?
    let rowOfID: IDIndex
    /// The target of the rows the predictions came from, to check the rows line up by position.
    let truth: Target?
    let dataName: String
    /// With one probability column per class: each column's class, in the columns' order.
    public private(set) var columnClasses: [String] = []

    public var summary: String {
        let what: String
        switch task {
        case .classification(let names): what = "\(names.count) classes (\(names.joined(separator: ", ")))"
        case .regression: what = "values"
        }
        let matched = idColumn.map { "matched by '\($0)'" } ?? "matched by position"
        return "predictions of \(what) from \(featureNames.joined(separator: ", ")) of '\(dataName)', "
            + "\(stored.rows) rows, \(matched)"
    }

    /// Reads predictions from `data`.
    /// - Parameters:
    ///   - classes: the class of each probability column, or every class a predicted-label
    ///     column may name; by default the data's classes (probability columns are matched to
    ///     them by name, after a prefix all of them share such as `p_`).
    ///   - positive: with `.positiveScore`, the class the column is the probability of (by
    ///     default the second of two classes in name order, as everywhere else in mle).
    ///   - id: a column identifying rows.
    /// - Throws: `SettingError` (at `predicted`, `scores`, `score`, `classes`, `positive` or
    ///   `id`) for a column that is not there or not of the right kind, a missing value,
    ///   probabilities outside [0, 1] or not summing to 1, an unknown class name or a
    ///   duplicate identifier.
    public init(
        _ data: Dataset, columns: Columns, classes: [String]? = nil, positive: String? = nil, id: String? = nil
    ) throws {
        if let classes, Set(classes).count != classes.count {
            throw SettingError("classes", "a class is named twice in classes=")
        }
        dataName = data.name
        truth = data.target
        idColumn = id
        func column(_ name: String, setting: String) throws -> Int {
            guard let j = data.featureNames.firstIndex(of: name) else {
                let why =
                    name == data.targetName
                    ? "'\(name)' is the data's target; the predictions must be other columns"
                    : "the data has no column '\(name)'"
                throw SettingError(setting, why)
            }
            return j
        }
        func numericColumn(_ name: String, setting: String) throws -> Int {
            let j = try column(name, setting: setting)
            guard data.columnKinds[j].isNumeric else {
                throw SettingError(setting, "'\(name)' holds names, not probabilities")
            }
            return j
        }
        func value(_ r: Int, _ j: Int, _ setting: String) throws -> Float {
            let v = data.features[r, j]
            guard !v.isNaN else {
                throw SettingError(setting, "row \(r + 1) has no value in '\(data.featureNames[j])'")
            }
            return v
        }
        let dataClasses: [String]? = {
            if case .classes(_, let names)? = data.target { return names }
            return nil
        }()
        let n = data.rowCount
        switch columns {
        case .predicted(let name):
            let j = try column(name, setting: "predicted")
            featureNames = [name]
            let numericTarget: Bool = {
                if case .values? = data.target { return true }
                return false
            }()
            if numericTarget || (data.target == nil && data.columnKinds[j].isNumeric && classes == nil) {
                guard data.columnKinds[j].isNumeric else {
                    throw SettingError("predicted", "'\(name)' holds names, but the target is numbers")
                }
                var m = Matrix(rows: n, cols: 1)
                for r in 0..<n { m[r, 0] = try value(r, j, "predicted") }
                stored = m
                task = .regression
            } else {
                let labels = try (0..<n).map { Self.text(data, $0, j, try value($0, j, "predicted")) }
                // The classes: as given, else the data's, else those predicted; in name order, as
                // every model of mle has its classes.
                let names = (classes ?? dataClasses ?? Array(Set(labels))).sorted()
                var index: [String: Int] = [:]
                for (i, c) in names.enumerated() { index[c] = i }
                var m = Matrix(rows: n, cols: max(names.count, 1))
                for (r, label) in labels.enumerated() {
                    guard let i = index[label] else {
                        throw SettingError(
                            "predicted",
                            "row \(r + 1) predicts '\(label)', which is not one of the classes (\(names.joined(separator: ", "))); classes= lists every class"
                        )
                    }
                    m[r, i] = 1
                }
                stored = m
                task = .classification(classNames: names)
            }
        case .probabilities(let names):
            guard names.count >= 2 else {
                throw SettingError(
                    "scores", "give one probability column per class (at least two), or one column with score=")
            }
            let js = try names.map { try numericColumn($0, setting: "scores") }
            featureNames = names
            let classNames = try Self.classNames(of: names, given: classes, dataClasses: dataClasses)
            // Classes in name order, as every model of mle has them (the default positive class
            // is then the same second class whatever the columns' order): stored column `to`
            // is read from data column `from[to]`.
            let order = classNames.indices.sorted { classNames[$0] < classNames[$1] }
            let from = order.map { js[$0] }
            let k = names.count, width = data.features.cols
            var sorted = Matrix(uninitializedRows: n, cols: k)  // every cell written below
            // Over the buffers, the checks inline: the subscripted loop was a fifth of reading a
            // predictions file of 1,000,000 rows (scripts/bench/own_models.py).
            var bad: (row: Int, column: Int)?
            data.features.storage.withUnsafeBufferPointer { src in
                sorted.storage.withUnsafeMutableBufferPointer { dst in
                    for r in 0..<n {
                        var sum: Float = 0
                        for (to, j) in from.enumerated() {
                            let v = src[r * width + j]
                            // NaN fails both comparisons.
                            guard v >= 0, v <= 1 else { bad = (r, order[to]); return }
                            dst[r * k + to] = v
                            sum += v
                        }
                        // Probabilities written with 6 significant digits sum to 1 within about 1e-5.
                        guard abs(sum - 1) <= 1e-3 else { bad = (r, -1); return }
                    }
                }
            }
            if let (r, c) = bad {
                if c >= 0 {
                    let v = try value(r, js[c], "scores")
                    throw SettingError(
                        "scores", "row \(r + 1) has \(v) in '\(names[c])'; probabilities lie between 0 and 1")
                }
                let sum = js.reduce(Float(0)) { $0 + data.features[r, $1] }
                throw SettingError(
                    "scores",
                    "row \(r + 1)'s probabilities sum to \(sum), not 1; give every class's column, or the positive class's alone with score="
                )
            }
            stored = sorted
            task = .classification(classNames: order.map { classNames[$0] })
            columnClasses = classNames
        case .positiveScore(let name):
            let j = try numericColumn(name, setting: "score")
            featureNames = [name]
            guard let names = (classes ?? dataClasses)?.sorted(), names.count == 2 else {
                throw SettingError(
                    classes == nil ? "score" : "classes",
                    "one score column is the probability of one of two classes; "
                        + (dataClasses == nil
                            ? "name them with classes=[…]"
                            : "this data has \(dataClasses?.count ?? 0) classes: give one column per class with scores=[…]")
                )
            }
            let positiveName = positive ?? names[1]
            guard let p = names.firstIndex(of: positiveName) else {
                throw SettingError(
                    "positive", "'\(positiveName)' is not one of the classes (\(names.joined(separator: ", ")))")
            }
            var m = Matrix(rows: n, cols: 2)
            for r in 0..<n {
                let v = try value(r, j, "score")
                guard v >= 0, v <= 1 else {
                    throw SettingError(
                        "score",
                        "row \(r + 1) has \(v) in '\(name)'; score= takes the probability of '\(positiveName)', between 0 and 1"
                    )
                }
                m[r, p] = v
                m[r, 1 - p] = 1 - v
            }
            stored = m
            task = .classification(classNames: names)
        }
        var index = IDIndex.names([:])
        if let id {
            let j = try column(id, setting: "id")
            if case .categorical(let levels) = data.columnKinds[j] {
                // One row per level: the level's name is the row's identifier.
                var rowOfLevel = [Int](repeating: -1, count: levels.count)
                var rows: [String: Int] = [:]
                rows.reserveCapacity(min(n, levels.count))
                for r in 0..<n {
                    let level = Int(try value(r, j, "id"))
                    guard level >= 0, level < levels.count else { continue }
                    if rowOfLevel[level] >= 0 {
                        throw SettingError(
                            "id", "rows \(rowOfLevel[level] + 1) and \(r + 1) have the same \(id) '\(levels[level])'")
                    }
                    rowOfLevel[level] = r
                    rows[levels[level]] = r
                }
                index = .names(rows)
            } else {
                // Numbers by their bits (−0 as 0): the text of a number is one-to-one with it, and
                // hashing 1,000,000 strings made the predictions file 4 times slower to read than
                // pandas (scripts/bench/own_models.py).
                // Over the buffer, a column of the row-major matrix (subscripts per cell were a
                // tenth of reading a predictions file of 1,000,000 rows).
                let width = data.features.cols
                var low = Float.infinity, high = -Float.infinity, whole = true, gap: Int?
                data.features.storage.withUnsafeBufferPointer { p in
                    for r in 0..<n {
                        let v = p[r * width + j]
                        if v.isNaN { gap = r; return }
                        low = min(low, v); high = max(high, v)
                        if v != v.rounded() { whole = false }
                    }
                }
                if let r = gap { _ = try value(r, j, "id") }  // the error at the first missing id
                if whole, n > 0, high - low < Float(4 * n), abs(low) < 1e7, abs(high) < 1e7 {
                    // Whole numbers in a range not much wider than the row count (0…n−1, 1…n):
                    // a row per number in an array, no hashing.
                    let first = Int(low)
                    var rows = [Int32](repeating: -1, count: Int(high) - first + 1)
                    var repeated: (Int, Int)?
                    data.features.storage.withUnsafeBufferPointer { p in
                        rows.withUnsafeMutableBufferPointer { slots in
                            for r in 0..<n {
                                let slot = Int(p[r * width + j]) - first
                                if slots[slot] >= 0 { repeated = (Int(slots[slot]), r); return }
                                slots[slot] = Int32(r)
                            }
                        }
                    }
                    if let (earlier, r) = repeated {
                        throw SettingError(
                            "id",
                            "rows \(earlier + 1) and \(r + 1) have the same \(id) '\(Self.text(data, r, j, data.features[r, j]))'"
                        )
                    }
                    index = .dense(first: first, rows: rows)
                } else {
                    var rows: [UInt32: Int] = [:]
                    rows.reserveCapacity(n)
                    for r in 0..<n {
                        let v = data.features[r, j]
                        if let earlier = rows.updateValue(r, forKey: IDIndex.key(v)) {
                            throw SettingError(
                                "id",
                                "rows \(earlier + 1) and \(r + 1) have the same \(id) '\(Self.text(data, r, j, v))'")
                        }
                    }
                    index = .numbers(rows)
                }
            }
        }
        rowOfID = index
    }

    /// A cell as text: a category's name, a whole number without a decimal point.
    static func text(_ data: Dataset, _ r: Int, _ j: Int, _ v: Float) -> String {
        if case .categorical(let levels) = data.columnKinds[j] { return levels[safe: Int(v)] ?? "" }
        return numberText(v)
    }

    static func numberText(_ v: Float) -> String { v == v.rounded() && abs(v) < 1e9 ? String(Int(v)) : "\(v)" }

    /// The class of each probability column: as given, else the data's classes matched by name
    /// after the columns' shared prefix (`p_yes`, `p_no` → yes, no).
    static func classNames(of columns: [String], given: [String]?, dataClasses: [String]?) throws -> [String] {
        if let given {
            guard given.count == columns.count else {
                throw SettingError(
                    "classes", "\(given.count) classes for \(columns.count) probability columns; give one per column")
            }
            guard Set(given).count == given.count else { throw SettingError("classes", "a class is named twice") }
            if let data = dataClasses, let unknown = data.first(where: { !given.contains($0) }) {
                throw SettingError(
                    "classes",
                    "the data's class '\(unknown)' has no probability column (classes are \(given.joined(separator: ", ")))"
                )
            }
            return given
        }
        var prefix = columns[0]
        for c in columns.dropFirst() { while !c.hasPrefix(prefix) { prefix.removeLast() } }
        let stripped = columns.map { String($0.dropFirst(prefix.count)) }
        guard let data = dataClasses else { return stripped }
        for names in [stripped, columns] where Set(names) == Set(data) && Set(names).count == names.count {
            return names
        }
        throw SettingError(
            "classes",
            "cannot tell which class each of \(columns.joined(separator: ", ")) is the probability of; the data's classes are \(data.joined(separator: ", ")); classes= names them in the columns' order",
            remedy: .example("[\(data.joined(separator: ", "))]"))
    }

    /// The stored predictions for the rows of `data`: by identifier, or by position after
    /// checking the rows line up.
    public func inputs(_ data: Dataset) throws -> Matrix {
        if let idColumn {
            guard let j = data.featureNames.firstIndex(of: idColumn) else {
                throw LearningError.invalid(
                    "these predictions find their rows by '\(idColumn)', which '\(data.name)' does not have")
            }
            var rows = [Int](repeating: 0, count: data.rowCount)
            // The identifiers as this data holds them: numbers by their bits when both are
            // numbers, else by their text.
            var byText: [String: Int] = [:]
            var byNumber = false
            switch (rowOfID, data.columnKinds[j]) {
            case (.names(let rows), _): byText = rows
            case (_, .numeric): byNumber = true
            case (_, .categorical):
                for (v, row) in rowOfID.numberedRows { byText[Self.numberText(v)] = row }
            }
            for r in 0..<data.rowCount {
                let v = data.features[r, j]
                let found = v.isNaN ? nil : byNumber ? rowOfID.row(ofNumber: v) : byText[Self.text(data, r, j, v)]
                guard let i = found else {
                    let key = v.isNaN ? "" : Self.text(data, r, j, v)
                    throw LearningError.invalid(
                        "row \(r + 1) of '\(data.name)' has \(idColumn) '\(key)', which has no prediction in '\(dataName)'"
                    )
                }
                rows[r] = i
            }
            return try stored.gatherRows(rows)
        }
        guard data.rowCount == stored.rows else {
            throw LearningError.invalid(
                "these predictions are for the \(stored.rows) rows of '\(dataName)'; '\(data.name)' has \(data.rowCount) (give id= a column that identifies rows)"
            )
        }
        switch (truth, data.target) {
        case (.classes(let a, let an)?, .classes(let b, let bn)?):
            for r in 0..<a.count where an[a[r]] != bn[b[r]] {
                throw LearningError.invalid(
                    "row \(r + 1) is '\(bn[b[r]])' in '\(data.name)' but '\(an[a[r]])' in '\(dataName)': the rows do not line up (give id= a column that identifies rows)"
                )
            }
        case (.values(let a)?, .values(let b)?):
            for r in 0..<a.count where a[r] != b[r] && !(a[r].isNaN && b[r].isNaN) {
                throw LearningError.invalid(
                    "row \(r + 1)'s target is \(b[r]) in '\(data.name)' but \(a[r]) in '\(dataName)': the rows do not line up (give id= a column that identifies rows)"
                )
            }
        default: break
        }
        return stored
    }

    /// The predictions themselves (what `inputs` gave): the model has no function to call on
    /// other inputs.
    public func predict(_ x: Matrix) throws -> Prediction {
        guard x.cols == stored.cols else {
            throw LearningError.invalid(
                "a model made of predictions gives only the predictions it was read from; it cannot predict for new inputs"
            )
        }
        switch task {
        case .classification: return .probabilities(x)
        case .regression: return .values((0..<x.rows).map { x[$0, 0] })
        }
    }
}
