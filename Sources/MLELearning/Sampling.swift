import Foundation
import MLETensor

/// Row sampling (Burkov ch. 3): simple random, systematic and stratified, without replacement.
/// Every method returns row indices in their original order.
public enum RowSampler {
    public enum Method: String, CaseIterable, Sendable {
        /// Every subset of the size equally likely.
        case simple
        /// Every k-th row from a random start (k = N / n, fractional steps rounded down).
        case systematic
        /// A simple random sample within each class, classes keeping their shares.
        case stratified
    }

    /// How many rows to draw.
    public enum Size: Equatable, Sendable {
        case fraction(Double)
        case count(Int)

        func rows(of n: Int) -> Int {
            switch self {
            case .fraction(let f): return min(n, max(0, Int((Double(n) * f).rounded())))
            case .count(let c): return min(n, max(0, c))
            }
        }
    }

    /// Draws rows among `candidates` (row indices).
    /// - Parameter labels: each row's class, needed by `stratified`.
    /// - Throws: `LearningError.invalid` for stratified sampling without classes.
    public static func draw(
        _ candidates: [Int], size: Size, method: Method, labels: [Int]?,
        seed: UInt64
    ) throws -> [Int] {
        var rng = SeededGenerator(seed: seed)
        let n = candidates.count
        let m = size.rows(of: n)
        switch method {
        case .simple:
            var pool = candidates
            // A partial Fisher–Yates shuffle: the first m positions are a uniform sample.
            for i in 0..<m {
                let j = i + rng.nextIndex(n - i)
                pool.swapAt(i, j)
            }
            return pool.prefix(m).sorted()
        case .systematic:
            guard m > 0 else { return [] }
            let step = Double(n) / Double(m)
            let start = rng.nextUnit() * step
            return (0..<m).map { candidates[min(n - 1, Int(start + Double($0) * step))] }
        case .stratified:
            guard let labels else { throw LearningError.invalid("stratified sampling needs a class target") }
            var groups: [Int: [Int]] = [:]
            for row in candidates { groups[labels[row], default: []].append(row) }
            let keys = groups.keys.sorted()
            // Largest-remainder allocation, so the class sizes add up to exactly m.
            let counts = Generator.classSizes(rows: m, weights: keys.map { Double(groups[$0]?.count ?? 0) })
            var out: [Int] = []
            for (k, key) in keys.enumerated() {
                out += try draw(
                    groups[key] ?? [], size: .count(counts[k]), method: .simple, labels: nil, seed: rng.next())
            }
            return out.sorted()
        }
    }
}

/// A row condition such as `bill_length_mm > 40 and island == Dream`.
public struct RowCondition: Sendable {
    public enum Op: String, CaseIterable, Sendable {
        case lt = "<"
        case le = "<="
        case gt = ">"
        case ge = ">="
        case eq = "=="
        case ne = "!="
    }
    public struct Clause: Sendable {
        public var column: String
        public var op: Op
        public var value: String
    }
    public var clauses: [Clause]

    /// Parses clauses `COLUMN OP VALUE` joined by `and`; VALUE is a number, a category, or
    /// `missing` (with == and !=).
    /// - Throws: `LearningError.invalid` naming what could not be read.
    public static func parse(_ text: String) throws -> RowCondition {
        let parts = text.components(separatedBy: " and ").map { $0.trimmingCharacters(in: .whitespaces) }
        var clauses: [Clause] = []
        for part in parts {
            // Longest operators first, so `<=` is not read as `<`.
            guard let op = [Op.le, .ge, .eq, .ne, .lt, .gt].first(where: { part.contains($0.rawValue) }),
                let range = part.range(of: op.rawValue)
            else {
                throw LearningError.invalid(
                    "cannot read the condition '\(part)'; write COLUMN OP VALUE with OP one of < <= > >= == != (join clauses with 'and')"
                )
            }
            let column = part[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
            var value = part[range.upperBound...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("'"), value.hasSuffix("'") {
                value = String(value.dropFirst().dropLast())
            }
            guard !column.isEmpty, !value.isEmpty else {
                throw LearningError.invalid("the condition '\(part)' lacks a column or a value")
            }
            clauses.append(Clause(column: column, op: op, value: value))
        }
        return RowCondition(clauses: clauses)
    }

    /// The rows of `data` that satisfy every clause. A missing value satisfies only `== missing`
    /// and fails every other comparison (`!= missing` holds for present values).
    public func rows(of data: Dataset) throws -> [Int] {
        var tests: [(Int) -> Bool] = []
        for c in clauses {
            if c.column == data.targetName {
                guard case .classes(let labels, let names)? = data.target else {
                    guard case .values(let v)? = data.target, let x = Double(c.value) else {
                        throw LearningError.invalid("compare the numeric target '\(c.column)' with a number")
                    }
                    tests.append { r in RowCondition.compare(Double(v[r]), c.op, x) }
                    continue
                }
                guard c.op == .eq || c.op == .ne else {
                    throw LearningError.invalid("classes compare with == or != only")
                }
                guard let k = names.firstIndex(of: c.value) else {
                    throw UnknownNameError(
                        kind: "class", name: c.value, known: names, owner: c.column, listing: "classes")
                }
                tests.append { r in (labels[r] == k) == (c.op == .eq) }
                continue
            }
            guard let j = data.featureNames.firstIndex(of: c.column) else {
                let all = data.featureNames + (data.targetName.map { [$0] } ?? [])
                throw UnknownNameError(kind: "column", name: c.column, known: all)
            }
            let x = data.features
            if c.value == "missing" {
                guard c.op == .eq || c.op == .ne else {
                    throw LearningError.invalid("missing compares with == or != only")
                }
                tests.append { r in x[r, j].isNaN == (c.op == .eq) }
                continue
            }
            switch data.columnKinds[j] {
            case .numeric:
                guard let v = Double(c.value) else {
                    throw LearningError.invalid("'\(c.column)' holds numbers; '\(c.value)' is not one")
                }
                tests.append { r in !x[r, j].isNaN && RowCondition.compare(Double(x[r, j]), c.op, v) }
            case .categorical(let levels):
                guard c.op == .eq || c.op == .ne else {
                    throw LearningError.invalid("'\(c.column)' holds categories; compare with == or !=")
                }
                guard let k = levels.firstIndex(of: c.value) else {
                    throw UnknownNameError(kind: "value", name: c.value, known: levels, owner: c.column)
                }
                tests.append { r in !x[r, j].isNaN && ((Int(x[r, j]) == k) == (c.op == .eq)) }
            }
        }
        return (0..<data.rowCount).filter { r in tests.allSatisfy { $0(r) } }
    }

    static func compare(_ a: Double, _ op: Op, _ b: Double) -> Bool {
        switch op {
        case .lt: return a < b
        case .le: return a <= b
        case .gt: return a > b
        case .ge: return a >= b
        case .eq: return a == b
        case .ne: return a != b
        }
    }
}

extension Dataset {
    /// The rows with no missing feature value.
    public var completeRows: [Int] {
        let cols = features.cols
        return (0..<rowCount).filter { r in !(0..<cols).contains { features[r, $0].isNaN } }
    }

    /// The dataset as CSV text: a header, categories by name, missing values as `NA`, text
    /// quoted when it holds a comma, quote or line break.
    /// - Throws: `Cancelled` within 4096 rows of the caller's asking.
    public func csv(cancellation: Cancellation = .never) throws -> String {
        func quoted(_ s: String) -> String {
            s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        var lines: [String] = [(featureNames + (targetName.map { [$0] } ?? [])).map(quoted).joined(separator: ",")]
        lines.reserveCapacity(rowCount + 1)
        for r in 0..<rowCount {
            if r & 4095 == 0, cancellation.isCancelled { throw Cancelled() }
            var cells: [String] = []
            for j in 0..<features.cols {
                let v = features[r, j]
                if v.isNaN { cells.append("NA"); continue }
                switch columnKinds[j] {
                case .numeric: cells.append(v == v.rounded() && abs(v) < 1e7 ? String(Int(v)) : "\(v)")
                case .categorical(let levels): cells.append(quoted(levels[safe: Int(v)] ?? "NA"))
                }
            }
            switch target {
            case .classes(let labels, let names)?: cells.append(quoted(names[safe: labels[r]] ?? ""))
            case .values(let v)?: cells.append("\(v[r])")
            case nil: break
            }
            lines.append(cells.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension Array {
    /// The element at `i`, or nil when out of range.
    public subscript(safe i: Int) -> Element? { i >= 0 && i < count ? self[i] : nil }
}
