import Foundation
import MLETensor

/// Model files for every kind of model mle makes: baselines, ensembles (members and vote),
/// threshold-moved and prior-corrected models, and the networks inside them.
///
/// A plain network keeps mle's network format (`MLP.safeTensors()`, which PyTorch reads). Anything
/// else is a safetensors file with metadata `format` = `mle-model`, `format_version` and `model`:
/// a JSON tree with one node per model (`kind` and its settings; a network's node holds its own
/// metadata), whose arrays of floats are tensors named by the node's path (`members.2.layers.0.weight`,
/// `base.constant`). Floats are stored as float32 tensors and doubles as their shortest exact
/// decimal text, so a model read back predicts bit for bit what it did.
public enum ModelFile {
    public static let format = "mle-model"
    static let version = "1"
    /// Nodes nested deeper than this (a threshold of a prior correction of an ensemble …) are
    /// refused rather than followed: a damaged file must not recurse without end.
    static let deepest = 16

    /// The file of any model: a network's own format, or `mle-model`.
    /// - Throws: `LearningError.invalid` for a model that cannot be saved (predictions made
    ///   elsewhere are tied to their data).
    public static func encode(_ model: any Model) throws -> SafeTensors {
        if let net = model as? MLP { return net.safeTensors() }
        var file = SafeTensors()
        let node = try encode(model, path: "", into: &file)
        let json = try JSONSerialization.data(withJSONObject: node, options: [.sortedKeys])
        file.metadata["format"] = format
        file.metadata["format_version"] = version
        file.metadata["model"] = String(decoding: json, as: UTF8.self)
        return file
    }

    /// Reads a file written by `encode` (either format).
    public static func decode(_ file: SafeTensors, name: String) throws -> any Model {
        if file.metadata["format"] == "mle-mlp" { return try MLP(mleFile: file, name: name) }
        func bad(_ why: String) -> LearningError { .invalid("\(name): \(why)") }
        guard file.metadata["format"] == format else { throw bad("not an mle model file") }
        guard file.metadata["format_version"] == version else {
            throw bad(
                "model file version \(file.metadata["format_version"] ?? "none"); this mle reads version \(version)")
        }
        guard let text = file.metadata["model"],
            let node = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        else { throw bad("metadata 'model' is not a JSON object") }
        return try decode(node, path: "", file: file, name: name, depth: 0)
    }

    // MARK: Writing

    static func exact(_ x: Double) -> String { "\(x)" }

    static func encode(_ model: any Model, path: String, into file: inout SafeTensors) throws -> [String: Any] {
        func taskFields(_ task: Task) -> [String: Any] {
            switch task {
            case .classification(let names): ["task": "classification", "classes": names]
            case .regression: ["task": "regression"]
            }
        }
        switch model {
        case let net as MLP:
            let own = net.safeTensors()
            for (key, tensor) in own.tensors { file.tensors[path + key] = tensor }
            return ["kind": "mlp", "metadata": own.metadata]
        case let b as BaselineModel:
            file.tensors[path + "constant"] = .init(shape: [b.constant.count], values: b.constant)
            return [
                "kind": "baseline", "baseline": b.baselineKind.rawValue, "seed": String(b.seed),
                "features": b.featureNames
            ]
            .merging(taskFields(b.task)) { a, _ in a }
        case let e as EnsembleModel:
            var members: [[String: Any]] = []
            for (i, m) in e.members.enumerated() {
                members.append(try encode(m, path: path + "members.\(i).", into: &file))
            }
            let kinds = try JSONEncoder().encode(e.columnKinds)
            return [
                "kind": "ensemble", "vote": e.vote.rawValue, "method": e.method.rawValue, "classes": e.classNames,
                "features": e.featureNames, "column_kinds": String(decoding: kinds, as: UTF8.self), "members": members
            ]
        case let p as PriorCorrectedModel:
            return [
                "kind": "prior_corrected", "factors": p.factors.map(exact),
                "base": try encode(p.base, path: path + "base.", into: &file)
            ]
        case let t as ThresholdModel:
            return [
                "kind": "threshold", "positive": t.positive, "threshold": exact(t.threshold),
                "base": try encode(t.base, path: path + "base.", into: &file)
            ]
        case let c as CalibratedModel:
            var node: [String: Any] = [
                "kind": "calibrated", "method": c.calibrator.method.rawValue,
                "base": try encode(c.base, path: path + "base.", into: &file)
            ]
            switch c.calibrator {
            case .platt(let maps):
                node["a"] = maps.map { exact($0.a) }
                node["b"] = maps.map { exact($0.b) }
            case .isotonic(let maps):
                node["x"] = maps.map { $0.x.map(exact) }
                node["y"] = maps.map { $0.y.map(exact) }
            case .temperature(let t):
                node["temperature"] = exact(t)
            }
            return node
        case is PredictionsModel:
            throw LearningError.invalid(
                "predictions made elsewhere are tied to the rows of their data; save that data (a CSV) instead")
        default:
            throw LearningError.invalid("a \(model.kind) model cannot be saved")
        }
    }

    // MARK: Reading

    static func decode(_ node: [String: Any], path: String, file: SafeTensors, name: String, depth: Int) throws
        -> any Model
    {
        func bad(_ why: String) -> LearningError {
            .invalid("\(name): \(path.isEmpty ? "the model" : "'\(path.dropLast())'") \(why)")
        }
        guard depth < deepest else { throw bad("is nested more than \(deepest) models deep") }
        func string(_ key: String) throws -> String {
            guard let s = node[key] as? String else { throw bad("lacks '\(key)'") }
            return s
        }
        func strings(_ key: String) throws -> [String] {
            guard let s = node[key] as? [String] else { throw bad("lacks the list '\(key)'") }
            return s
        }
        func number(_ text: String, _ key: String) throws -> Double {
            guard let x = Double(text), x.isFinite else { throw bad("has '\(key)' that is not a number") }
            return x
        }
        func task() throws -> Task {
            switch try string("task") {
            case "classification":
                let names = try strings("classes")
                guard names.count >= 2 else { throw bad("has fewer than two classes") }
                return .classification(classNames: names)
            case "regression": return .regression
            default: throw bad("has a task that is neither classification nor regression")
            }
        }
        func child(_ key: String) throws -> [String: Any] {
            guard let c = node[key] as? [String: Any] else { throw bad("lacks its '\(key)' model") }
            return c
        }
        switch try string("kind") {
        case "mlp":
            guard let metadata = node["metadata"] as? [String: String] else {
                throw bad("lacks the network's metadata")
            }
            var own = SafeTensors(metadata: metadata)
            for (key, tensor) in file.tensors where key.hasPrefix(path) {
                let rest = key.dropFirst(path.count)
                // Only this network's own tensors: not those of members nested below it.
                if rest.hasPrefix("layers.") || rest.hasPrefix("standardizer.") || rest.hasPrefix("profile.") {
                    own.tensors[String(rest)] = tensor
                }
            }
            return try MLP(mleFile: own, name: path.isEmpty ? name : "\(name) '\(path.dropLast())'")
        case "baseline":
            guard let kind = BaselineModel.Kind(rawValue: try string("baseline")) else {
                throw bad("has an unknown baseline kind")
            }
            guard let seed = UInt64(try string("seed")) else { throw bad("has a seed that is not a whole number") }
            let t = try task()
            guard let constant = file.tensors[path + "constant"]?.values, constant.allSatisfy(\.isFinite),
                constant.count == (t.isClassification ? t.classNames.count : 1)
            else { throw bad("has a constant that is missing, not finite or the wrong size") }
            var model = BaselineModel(
                baselineKind: kind, featureNames: try strings("features"), task: t, constant: constant)
            model.seed = seed
            return model
        case "ensemble":
            guard let vote = EnsembleModel.Vote(rawValue: try string("vote")),
                let method = EnsemblePlan.Method(rawValue: try string("method"))
            else { throw bad("has an unknown vote or method") }
            guard let nodes = node["members"] as? [[String: Any]], !nodes.isEmpty else { throw bad("has no members") }
            guard let kinds = try? JSONDecoder().decode([ColumnKind].self, from: Data(try string("column_kinds").utf8))
            else { throw bad("has column kinds that do not decode") }
            let members = try nodes.enumerated().map { i, m in
                try decode(m, path: path + "members.\(i).", file: file, name: name, depth: depth + 1)
            }
            let features = try strings("features")
            guard kinds.count == features.count else {
                throw bad("has \(kinds.count) column kinds for \(features.count) columns")
            }
            return try EnsembleModel(
                members: members, vote: vote, classNames: try strings("classes"), featureNames: features,
                columnKinds: kinds, method: method)
        case "prior_corrected":
            let base = try decode(try child("base"), path: path + "base.", file: file, name: name, depth: depth + 1)
            let factors = try strings("factors").map { try number($0, "factors") }
            guard factors.count == base.task.classNames.count, factors.allSatisfy({ $0 >= 0 }) else {
                throw bad("has \(factors.count) correction factors for \(base.task.classNames.count) classes")
            }
            return try PriorCorrectedModel(base: base, factors: factors)
        case "threshold":
            let base = try decode(try child("base"), path: path + "base.", file: file, name: name, depth: depth + 1)
            guard let positive = node["positive"] as? Int else { throw bad("lacks 'positive'") }
            return try ThresholdModel(
                base: base, positive: positive, threshold: try number(try string("threshold"), "threshold"))
        case "calibrated":
            let base = try decode(try child("base"), path: path + "base.", file: file, name: name, depth: depth + 1)
            func numbers(_ key: String) throws -> [Double] {
                guard let list = node[key] as? [String] else { throw bad("lacks the list '\(key)'") }
                return try list.map { try number($0, key) }
            }
            func lists(_ key: String) throws -> [[Double]] {
                guard let list = node[key] as? [[String]] else { throw bad("lacks the lists '\(key)'") }
                return try list.map { try $0.map { try number($0, key) } }
            }
            let calibrator: Calibrator
            switch try string("method") {
            case "platt":
                let a = try numbers("a"), b = try numbers("b")
                guard a.count == b.count else { throw bad("has \(a.count) Platt slopes for \(b.count) intercepts") }
                calibrator = .platt(zip(a, b).map { Calibrator.PlattMap(a: $0, b: $1) })
            case "isotonic":
                let x = try lists("x"), y = try lists("y")
                guard x.count == y.count else { throw bad("has \(x.count) isotonic inputs for \(y.count) outputs") }
                calibrator = .isotonic(zip(x, y).map { Calibrator.IsotonicMap(x: $0, y: $1) })
            case "temperature":
                calibrator = .temperature(try number(try string("temperature"), "temperature"))
            default:
                throw bad("has an unknown calibration method")
            }
            do { return try CalibratedModel(base: base, calibrator: calibrator) } catch let e as LearningError {
                throw bad("does not hold a valid calibration (\(e))")
            }
        case let other:
            throw bad("is of a kind this mle does not know, '\(other)'")
        }
    }
}
