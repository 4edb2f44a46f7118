import Foundation

/// A verification property: input boxes and, for each, the output regions that are unsafe.
///
/// The property *holds* when no input in any box reaches an unsafe region, and is *violated*
/// when one does. Each unsafe region is a conjunction of linear constraints `a·y + c ≤ 0` on the
/// network's outputs y.
public struct VerificationProperty: Sendable, Equatable {
    /// One linear constraint on the outputs: Σ coefficients[j]·y_j + constant ≤ 0.
    public struct Constraint: Sendable, Equatable {
        public var coefficients: [Double]
        public var constant: Double
        public init(coefficients: [Double], constant: Double) {
            self.coefficients = coefficients
            self.constant = constant
        }
        /// The constraint's value at y: ≤ 0 inside the unsafe side.
        public func value(_ y: [Double]) -> Double {
            var s = constant
            for (a, v) in zip(coefficients, y) { s += a * v }
            return s
        }
    }

    /// An input box and the unsafe regions (a disjunction of conjunctions) checked over it.
    public struct Case: Sendable, Equatable {
        public var lower: [Double]
        public var upper: [Double]
        public var unsafe: [[Constraint]]
        public init(lower: [Double], upper: [Double], unsafe: [[Constraint]]) {
            self.lower = lower
            self.upper = upper
            self.unsafe = unsafe
        }
    }

    public var inputs: Int
    public var outputs: Int
    public var cases: [Case]
    /// A short description for reports: "box on 5 inputs, 1 unsafe region of 4 constraints".
    public var summary: String {
        let regions = cases.reduce(0) { $0 + $1.unsafe.count }
        let boxes = cases.count == 1 ? "a box" : "\(cases.count) boxes"
        return
            "\(boxes) on \(inputs) input\(inputs == 1 ? "" : "s"), \(regions) unsafe region\(regions == 1 ? "" : "s")"
    }

    public init(inputs: Int, outputs: Int, cases: [Case]) {
        self.inputs = inputs
        self.outputs = outputs
        self.cases = cases
    }
}

/// An error in a VNN-LIB file, at a line and column of it.
public struct VNNLibError: Error, Equatable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var message: String
    public var description: String { "\(line):\(column): \(message)" }
}

/// Reads VNN-LIB 1.0 properties (the SMT-LIB subset VNN-COMP uses): `declare-const` of `X_i`
/// and `Y_j` as `Real`, and `assert` of `<=`, `>=`, `<`, `>` between linear terms (numbers,
/// variables, `+`, `-`, and `*` by a number), combined with `and` and `or`.
///
/// The asserted formula is brought to disjunctive normal form. Each disjunct's constraints on
/// inputs must bound one X at a time (a box); its constraints on outputs form an unsafe region;
/// a constraint mixing X and Y is refused. A strict inequality is read as non-strict: the unsafe
/// region's closure is checked, so "holds" is never claimed wrongly, and a counterexample on the
/// boundary is reported as one (VNN-COMP does the same).
public enum VNNLib {
    /// More disjuncts than this after normalisation are refused (ACAS Xu's largest has 8).
    static let largestNormalForm = 100_000

    public static func read(path: String) throws -> VerificationProperty {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw VerifyError("cannot read '\(path)': \((error as NSError).localizedDescription)")
        }
        return try parse(text)
    }

    // MARK: S-expressions

    indirect enum Expr {
        case atom(String, line: Int, column: Int)
        case list([Expr], line: Int, column: Int)

        var position: (Int, Int) {
            switch self {
            case .atom(_, let l, let c): return (l, c)
            case .list(_, let l, let c): return (l, c)
            }
        }
    }

    static func error(_ e: Expr, _ message: String) -> VNNLibError {
        let (l, c) = e.position
        return VNNLibError(line: l, column: c, message: message)
    }

    /// The file's top-level expressions. Iterative (an explicit stack), so deep nesting in a
    /// malformed file cannot overflow the call stack.
    static func expressions(_ text: String) throws -> [Expr] {
        var stack: [(items: [Expr], line: Int, column: Int)] = [([], 0, 0)]
        var line = 1, column = 1
        var chars = Array(text.unicodeScalars)[...]
        var atom = "", atomLine = 0, atomColumn = 0
        func flush() {
            if atom.isEmpty { return }
            stack[stack.count - 1].items.append(.atom(atom, line: atomLine, column: atomColumn))
            atom = ""
        }
        while let c = chars.popFirst() {
            defer {
                if c == "\n" {
                    line += 1
                    column = 1
                } else {
                    column += 1
                }
            }
            switch c {
            case ";":
                flush()
                while let n = chars.first, n != "\n" { chars.removeFirst() }
            case "(":
                flush()
                if stack.count > 1000 {
                    throw VNNLibError(line: line, column: column, message: "expressions nest more than 1000 deep")
                }
                stack.append(([], line, column))
            case ")":
                flush()
                guard stack.count > 1, let open = stack.popLast() else {
                    throw VNNLibError(line: line, column: column, message: "')' without a matching '('")
                }
                stack[stack.count - 1].items.append(.list(open.items, line: open.line, column: open.column))
            case " ", "\t", "\n", "\r":
                flush()
            default:
                if atom.isEmpty {
                    atomLine = line
                    atomColumn = column
                }
                atom.unicodeScalars.append(c)
            }
        }
        flush()
        if stack.count > 1, let open = stack.last {
            throw VNNLibError(line: open.line, column: open.column, message: "'(' is never closed")
        }
        return stack[0].items
    }

    // MARK: Linear terms and formulas

    enum Variable: Hashable {
        case input(Int)
        case output(Int)
    }

    /// Σ coefficient·variable + constant.
    struct Linear {
        var terms: [Variable: Double] = [:]
        var constant = 0.0

        static func + (a: Linear, b: Linear) -> Linear {
            var r = a
            for (v, c) in b.terms { r.terms[v, default: 0] += c }
            r.constant += b.constant
            return r
        }
        func scaled(_ s: Double) -> Linear {
            Linear(terms: terms.mapValues { $0 * s }, constant: constant * s)
        }
    }

    /// A constraint `linear ≤ 0`, with where it was written.
    struct Atom {
        var linear: Linear
        var at: Expr
    }

    typealias NormalForm = [[Atom]]

    struct Reader {
        var declared: [String: Variable] = [:]
        var inputs = 0, outputs = 0

        mutating func declare(_ items: [Expr], _ whole: Expr) throws {
            guard items.count == 3, case .atom(let name, _, _) = items[1] else {
                throw error(whole, "declare-const takes a name and a sort: (declare-const X_0 Real)")
            }
            guard case .atom(let sort, _, _) = items[2], sort == "Real" else {
                throw error(items[2], "'\(name)' must be declared Real")
            }
            guard declared[name] == nil else { throw error(items[1], "'\(name)' is declared twice") }
            let parts = name.split(separator: "_", maxSplits: 1)
            guard parts.count == 2, parts[0] == "X" || parts[0] == "Y", let i = Int(parts[1]), i >= 0, i < 1_000_000
            else {
                throw error(items[1], "VNN-LIB names inputs X_0, X_1, … and outputs Y_0, Y_1, …; '\(name)' is neither")
            }
            if parts[0] == "X" {
                declared[name] = .input(i)
                inputs = max(inputs, i + 1)
            } else {
                declared[name] = .output(i)
                outputs = max(outputs, i + 1)
            }
        }

        func term(_ e: Expr) throws -> Linear {
            switch e {
            case .atom(let s, _, _):
                if let v = declared[s] { return Linear(terms: [v: 1]) }
                if let x = Double(s), x.isFinite { return Linear(constant: x) }
                if s.first == "X" || s.first == "Y" { throw error(e, "'\(s)' is not declared") }
                throw error(e, "expected a number or a declared variable, found '\(s)'")
            case .list(let items, _, _):
                guard case .atom(let op, _, _)? = items.first, items.count >= 2 else {
                    throw error(e, "expected a term such as (+ X_0 1) or (* 2 Y_1)")
                }
                let args = try items.dropFirst().map(term)
                switch op {
                case "+": return args.dropFirst().reduce(args[0], +)
                case "-":
                    if args.count == 1 { return args[0].scaled(-1) }
                    return args.dropFirst().reduce(args[0]) { $0 + $1.scaled(-1) }
                case "*":
                    var product = Linear(constant: 1)
                    for a in args {
                        if a.terms.isEmpty {
                            product = product.scaled(a.constant)
                        } else if product.terms.isEmpty {
                            product = a.scaled(product.constant)
                        } else {
                            throw error(e, "a product of two variables is not linear")
                        }
                    }
                    return product
                default:
                    throw error(items[0], "'\(op)' is not a linear operation (+, -, *)")
                }
            }
        }

        func formula(_ e: Expr) throws -> NormalForm {
            guard case .list(let items, _, _) = e, case .atom(let op, _, _)? = items.first else {
                throw error(e, "expected a constraint such as (<= X_0 1) or (and …) / (or …)")
            }
            let args = Array(items.dropFirst())
            switch op {
            case "and":
                var form: NormalForm = [[]]
                for a in args {
                    let f = try formula(a)
                    guard form.count * f.count <= largestNormalForm else {
                        throw error(e, "the property has more than \(largestNormalForm) cases once expanded")
                    }
                    form = form.flatMap { left in f.map { left + $0 } }
                }
                return form
            case "or":
                guard !args.isEmpty else { throw error(e, "(or) needs at least one operand") }
                var form: NormalForm = []
                for a in args {
                    form += try formula(a)
                    guard form.count <= largestNormalForm else {
                        throw error(e, "the property has more than \(largestNormalForm) cases once expanded")
                    }
                }
                return form
            case "<=", "<", ">=", ">":
                guard args.count == 2 else { throw error(e, "'\(op)' compares two terms") }
                let a = try term(args[0]), b = try term(args[1])
                let lessSide = op.hasPrefix("<") ? a + b.scaled(-1) : b + a.scaled(-1)
                return [[Atom(linear: lessSide, at: e)]]
            case "=":
                guard args.count == 2 else { throw error(e, "'=' compares two terms") }
                let a = try term(args[0]), b = try term(args[1])
                return [[Atom(linear: a + b.scaled(-1), at: e), Atom(linear: b + a.scaled(-1), at: e)]]
            default:
                throw error(items[0], "'\(op)' is not a VNN-LIB constraint (<=, >=, <, >, =, and, or)")
            }
        }
    }

    public static func parse(_ text: String) throws -> VerificationProperty {
        var reader = Reader()
        var form: NormalForm = [[]]
        var firstAssert: Expr?
        for e in try expressions(text) {
            guard case .list(let items, _, _) = e, case .atom(let head, _, _)? = items.first else {
                throw error(e, "expected (declare-const …) or (assert …)")
            }
            switch head {
            case "declare-const": try reader.declare(items, e)
            case "assert":
                guard items.count == 2 else { throw error(e, "assert takes one formula") }
                firstAssert = firstAssert ?? e
                let f = try reader.formula(items[1])
                guard form.count * f.count <= largestNormalForm else {
                    throw error(e, "the property has more than \(largestNormalForm) cases once expanded")
                }
                form = form.flatMap { left in f.map { left + $0 } }
            default:
                throw error(items[0], "'\(head)' is not supported (declare-const and assert are)")
            }
        }
        guard reader.inputs > 0 else { throw VNNLibError(line: 1, column: 1, message: "no input X_0 is declared") }
        guard reader.outputs > 0 else { throw VNNLibError(line: 1, column: 1, message: "no output Y_0 is declared") }
        for i in 0..<reader.inputs where reader.declared["X_\(i)"] == nil {
            throw VNNLibError(
                line: 1, column: 1, message: "X_\(i) is not declared (inputs are X_0 … X_\(reader.inputs - 1))")
        }
        guard let anchor = firstAssert else {
            throw VNNLibError(line: 1, column: 1, message: "the file asserts nothing")
        }
        var cases: [VerificationProperty.Case] = []
        var index: [[Double]: Int] = [:]
        for disjunct in form {
            var lower = [Double](repeating: -.infinity, count: reader.inputs)
            var upper = [Double](repeating: .infinity, count: reader.inputs)
            var region: [VerificationProperty.Constraint] = []
            var empty = false
            for atom in disjunct {
                let vars = atom.linear.terms.filter { $0.value != 0 }
                let onInputs = vars.keys.filter { if case .input = $0 { return true } else { return false } }
                if onInputs.isEmpty {
                    if vars.isEmpty {
                        // A constant constraint: true is dropped, false empties the disjunct.
                        if atom.linear.constant > 0 { empty = true }
                        continue
                    }
                    var a = [Double](repeating: 0, count: reader.outputs)
                    for (v, c) in vars { if case .output(let j) = v { a[j] += c } }
                    region.append(.init(coefficients: a, constant: atom.linear.constant))
                    continue
                }
                guard onInputs.count == vars.count else {
                    throw error(atom.at, "a constraint that mixes inputs and outputs is not supported")
                }
                guard onInputs.count == 1, let v = onInputs.first, case .input(let i) = v, let c = vars[v] else {
                    throw error(atom.at, "input constraints must bound one X at a time (a box)")
                }
                // c·x + k ≤ 0  ⇔  x ≤ −k/c (c > 0) or x ≥ −k/c (c < 0)
                let bound = -atom.linear.constant / c
                if c > 0 { upper[i] = min(upper[i], bound) } else { lower[i] = max(lower[i], bound) }
            }
            if empty { continue }
            for i in 0..<reader.inputs where !(lower[i].isFinite && upper[i].isFinite) {
                throw error(
                    anchor, "X_\(i) has no \(lower[i].isFinite ? "upper" : "lower") bound; every input needs a box")
            }
            if zip(lower, upper).contains(where: { $0 > $1 }) { continue }  // an empty box reaches nothing
            let key = lower + upper
            if let k = index[key] {
                cases[k].unsafe.append(region)
            } else {
                index[key] = cases.count
                cases.append(.init(lower: lower, upper: upper, unsafe: [region]))
            }
        }
        return VerificationProperty(inputs: reader.inputs, outputs: reader.outputs, cases: cases)
    }
}
