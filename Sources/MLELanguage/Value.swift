import MLELearning
import MLETensor

/// A trained or loaded model with how it came to be.
public struct ModelValue: Sendable {
    public var model: any Model
    /// A line about training (epochs, final loss, interruption), if it was trained here.
    public var trainingNote: String?
    /// How to train the same kind of model again, for comparisons of training methods.
    public var recipe: Recipe?
    /// Mean training loss per epoch, and validation loss when early stopping held rows out.
    public var lossHistory: [Float] = []
    public var validationHistory: [Float] = []
    /// `Dataset.fingerprint` of the data it was trained on, when it was trained here (so that
    /// calibrating or evaluating on that data can be warned about).
    public var trainedOn: Int?

    public init(model: any Model, trainingNote: String?, recipe: Recipe? = nil) {
        self.model = model; self.trainingNote = trainingNote; self.recipe = recipe
    }
}

/// A model specification that can be trained again on other data with another seed.
public struct Recipe: Sendable {
    /// The command that trains it, e.g. `mlp hidden=[32, 16] epochs=60 lr=0.001 batch=32`.
    public var description: String
    public var train: @Sendable (Dataset, UInt64, Cancellation) throws -> any Model
    /// A network's settings, for commands that change them (mutation analysis); nil otherwise.
    public var mlpConfig: MLPConfig? = nil
}

/// Everything a variable can hold and a command can return.
public enum Value: Sendable {
    case none
    case number(Double)
    case string(String)
    case bool(Bool)
    /// A bare word used as a value (`kind=zero_rule`).
    case symbol(String)
    case list([Value])
    case dataset(Dataset)
    case model(ModelValue)
    case report(Report)
    /// Several results at once (`train, test = split ...`).
    case tuple([Value])

    /// A float32 setting as a number: the double nearest its shortest decimal form (0.001, not
    /// 0.0010000000474974513).
    public static func float(_ f: Float) -> Value { .number(Double(String(f)) ?? Double(f)) }

    /// The name of the value's type, as users see it.
    public var typeName: String {
        switch self {
        case .none: return "nothing"
        case .number: return "number"
        case .string: return "string"
        case .bool: return "boolean"
        case .symbol: return "word"
        case .list: return "list"
        case .dataset: return "dataset"
        case .model: return "model"
        case .report(let r): return "\(r.kind) report"
        case .tuple(let t): return "\(t.count) values"
        }
    }

    /// A one-line description, as printed after an assignment and by `vars`.
    public var summary: String {
        switch self {
        case .none: return "nothing"
        case .number(let v): return Format.number(v)
        case .string(let s): return "\"\(s)\""
        case .bool(let b): return b ? "true" : "false"
        case .symbol(let s): return s
        case .list(let items): return "[" + items.map(\.summary).joined(separator: ", ") + "]"
        case .dataset(let d): return Value.describe(d)
        case .model(let m):
            return m.model.summary + (m.trainingNote.map { " · " + $0 } ?? "")
        case .report(let r): return r.title
        case .tuple(let t): return t.map(\.summary).joined(separator: " · ")
        }
    }

    static func describe(_ d: Dataset) -> String {
        var s = "\(d.rowCount) rows × \(d.featureNames.count) features"
        switch d.target {
        case .classes(_, let names)?:
            let counts = d.classCounts ?? []
            let parts = zip(names, counts).map { "\($0) \($1)" }
            let shown =
                parts.count > 6 ? parts.prefix(6).joined(separator: ", ") + ", …" : parts.joined(separator: ", ")
            s += ", target \(d.targetName ?? "") (\(shown))"
        case .values?:
            s += ", numeric target \(d.targetName ?? "")"
        case nil:
            s += ", no target"
        }
        return s
    }

    /// The value as JSON: reports in full, other values by their summary.
    public var json: JSON {
        switch self {
        case .none: return .null
        case .number(let v): return .num(v)
        case .string(let s), .symbol(let s): return .string(s)
        case .bool(let b): return .bool(b)
        case .list(let items): return .array(items.map(\.json))
        case .report(let r): return r.jsonValue
        case .tuple(let t): return .array(t.map(\.json))
        case .dataset(let d):
            var o: [(String, JSON)] = [
                ("type", .string("dataset")), ("name", .string(d.name)),
                ("rows", .number(Double(d.rowCount))),
                ("features", .number(Double(d.featureNames.count)))
            ]
            if let t = d.targetName { o.append(("target", .string(t))) }
            if case .classes(_, let names)? = d.target {
                o.append(("classes", .object(zip(names, d.classCounts ?? []).map { ($0, .number(Double($1))) })))
            }
            return .object(o)
        case .model(let m):
            var o: [(String, JSON)] = [
                ("type", .string("model")), ("kind", .string(m.model.kind)),
                ("summary", .string(m.model.summary))
            ]
            if let n = m.trainingNote { o.append(("training", .string(n))) }
            return .object(o)
        }
    }
}
