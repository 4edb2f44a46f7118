import Foundation
import MLETensor

/// Model files: mle's own networks, and PyTorch `nn.Sequential` ReLU networks saved with
/// `safetensors.torch.save_file(model.state_dict(), path)`.
///
/// mle's format is safetensors with PyTorch's layout, so PyTorch can read it back:
/// `layers.{i}.weight` (outputs × inputs) and `layers.{i}.bias`, `standardizer.mean` and
/// `standardizer.scale`, the unit profile as `profile.{i}.{pre,post}_{low,high}` and
/// `profile.feature_{low,high}`, and metadata `format` = `mle-mlp`, `format_version`, `task`,
/// `classes` and `features` (JSON arrays), `target_mean`, `target_scale`, `profile_rows`, and
/// `preprocessor` (the fitted imputation/encoding pipeline as JSON) when the model has one.
extension MLP {
    static let fileFormat = "mle-mlp"
    static let fileVersion = "1"

    public func safeTensors() -> SafeTensors {
        var file = SafeTensors()
        for (i, layer) in layers.enumerated() {
            var transposed = [Float](repeating: 0, count: layer.inputs * layer.outputs)
            for r in 0..<layer.inputs {
                for c in 0..<layer.outputs { transposed[c * layer.inputs + r] = layer.weight[r, c] }
            }
            file.tensors["layers.\(i).weight"] = .init(shape: [layer.outputs, layer.inputs], values: transposed)
            file.tensors["layers.\(i).bias"] = .init(shape: [layer.outputs], values: layer.bias)
        }
        file.tensors["standardizer.mean"] = .init(shape: [standardizer.mean.count], values: standardizer.mean)
        file.tensors["standardizer.scale"] = .init(shape: [standardizer.scale.count], values: standardizer.scale)
        if let p = profile {
            for i in layers.indices {
                for (name, values) in [
                    ("pre_low", p.preLow), ("pre_high", p.preHigh), ("post_low", p.postLow), ("post_high", p.postHigh)
                ] {
                    file.tensors["profile.\(i).\(name)"] = .init(shape: [values[i].count], values: values[i])
                }
            }
            file.tensors["profile.feature_low"] = .init(shape: [p.featureLow.count], values: p.featureLow)
            file.tensors["profile.feature_high"] = .init(shape: [p.featureHigh.count], values: p.featureHigh)
            file.metadata["profile_rows"] = "\(p.rows)"
        }
        func json(_ a: [String]) -> String {
            (try? JSONSerialization.data(withJSONObject: a)).flatMap { String(data: $0, encoding: .utf8) } ?? "[]"
        }
        file.metadata["format"] = MLP.fileFormat
        file.metadata["format_version"] = MLP.fileVersion
        file.metadata["activation"] = activation.rawValue
        file.metadata["features"] = json(featureNames)
        switch task {
        case .classification(let names):
            file.metadata["task"] = "classification"
            file.metadata["classes"] = json(names)
        case .regression:
            file.metadata["task"] = "regression"
        }
        file.metadata["target_mean"] = "\(targetMean)"
        file.metadata["target_scale"] = "\(targetScale)"
        if let p = preprocessor, let data = try? JSONEncoder().encode(p) {
            file.metadata["preprocessor"] = String(decoding: data, as: UTF8.self)
        }
        return file
    }

    /// Reads a network written by `safeTensors()`.
    public init(mleFile file: SafeTensors, name: String) throws {
        func bad(_ why: String) -> LearningError { .invalid("\(name): \(why)") }
        guard file.metadata["format_version"] == MLP.fileVersion else {
            throw bad(
                "format version \(file.metadata["format_version"] ?? "none"); this mle reads version \(MLP.fileVersion)"
            )
        }
        func strings(_ key: String) throws -> [String] {
            guard let text = file.metadata[key], let data = text.data(using: .utf8),
                let list = try? JSONSerialization.jsonObject(with: data) as? [String]
            else { throw bad("metadata '\(key)' is not a JSON list of names") }
            return list
        }
        // mle writes layers.0 … layers.N−1, each a 2-D weight and a 1-D bias: anything else (a
        // missing or extra layer, a 1-D weight, a stray tensor) is a damaged file, not a smaller network.
        let layerKeys = Set(file.tensors.keys.filter { $0.hasPrefix("layers.") })
        let layerCount = layerKeys.count / 2
        let expectedKeys = Set((0..<layerCount).flatMap { ["layers.\($0).weight", "layers.\($0).bias"] })
        guard layerCount > 0, layerKeys == expectedKeys else {
            let found = layerKeys.sorted { MLP.naturalOrder($0, $1) }
            throw bad(
                "the layers are not layers.0 … layers.N, each with a weight and a bias (found \(found.prefix(8).joined(separator: ", "))\(found.count > 8 ? ", …" : ""))"
            )
        }
        for i in 0..<layerCount {
            guard file.tensors["layers.\(i).weight"]?.shape.count == 2,
                file.tensors["layers.\(i).bias"]?.shape.count == 1
            else { throw bad("layers.\(i) is not a 2-D weight with a 1-D bias") }
        }
        let layers = try MLP.linearLayers(in: file, prefix: "layers.", name: name)
        let features = try strings("features")
        guard let mean = file.tensors["standardizer.mean"]?.values,
            let scale = file.tensors["standardizer.scale"]?.values,
            mean.count == features.count, scale.count == features.count, layers.first?.inputs == features.count
        else {
            throw bad("the standardizer, the feature names and the first layer disagree on the number of features")
        }
        guard scale.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw bad("a standardizer scale is not a positive number")
        }
        guard mean.allSatisfy(\.isFinite) else { throw bad("a standardizer mean is not a finite number") }
        let task: Task
        switch file.metadata["task"] {
        case "classification":
            let classes = try strings("classes")
            guard classes.count == layers.last?.outputs else {
                throw bad("\(classes.count) class names for \(layers.last?.outputs ?? 0) outputs")
            }
            task = .classification(classNames: classes)
        case "regression":
            guard layers.last?.outputs == 1 else { throw bad("a regression network has one output") }
            task = .regression
        default: throw bad("metadata 'task' is neither classification nor regression")
        }
        guard let targetMean = Float(file.metadata["target_mean"] ?? ""),
            let targetScale = Float(file.metadata["target_scale"] ?? "")
        else {
            throw bad("metadata target_mean and target_scale are not numbers")
        }
        guard targetMean.isFinite, targetScale.isFinite, targetScale > 0 else {
            throw bad("metadata target_mean is not finite or target_scale is not a positive number")
        }
        self.init(
            layers: layers, standardizer: Standardizer(mean: mean, scale: scale), featureNames: features,
            task: task, targetMean: targetMean, targetScale: targetScale)
        guard let activation = Kernels.Activation(rawValue: file.metadata["activation"] ?? "relu") else {
            throw bad(
                "metadata 'activation' is '\(file.metadata["activation"] ?? "")'; mle knows \(Kernels.Activation.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        self.activation = activation
        if let text = file.metadata["preprocessor"] {
            guard let p = try? JSONDecoder().decode(Preprocessor.self, from: Data(text.utf8)) else {
                throw bad("metadata 'preprocessor' is not a valid preprocessing pipeline")
            }
            guard p.outputNames == features else {
                throw bad("the preprocessing pipeline's outputs do not match the feature names")
            }
            preprocessor = p
        }
        if let rows = Int(file.metadata["profile_rows"] ?? "") {
            func per(_ key: String) throws -> [[Float]] {
                try layers.indices.map { i in
                    guard let v = file.tensors["profile.\(i).\(key)"]?.values, v.count == layers[i].outputs,
                        !v.contains(where: \.isNaN)
                    else {
                        throw bad("profile.\(i).\(key) is missing or the wrong size")
                    }
                    return v
                }
            }
            guard let low = file.tensors["profile.feature_low"]?.values,
                let high = file.tensors["profile.feature_high"]?.values,
                low.count == features.count, high.count == features.count,
                !low.contains(where: \.isNaN), !high.contains(where: \.isNaN)
            else { throw bad("the profile's feature ranges are missing or not numbers") }
            profile = UnitProfile(
                rows: rows, preLow: try per("pre_low"), preHigh: try per("pre_high"), postLow: try per("post_low"),
                postHigh: try per("post_high"), featureLow: low, featureHigh: high)
        }
    }

    /// The linear layers of a file, in order: `{prefix}{key}.weight` (outputs × inputs) with its
    /// `.bias`, keys in natural order (`0, 2, 10`; `fc1, fc2`), each taking the previous one's outputs.
    public static func linearLayers(in file: SafeTensors, prefix: String, name: String) throws -> [DenseLayer] {
        let keys = file.tensors.keys.filter { $0.hasPrefix(prefix) && $0.hasSuffix(".weight") }
            .map { String($0.dropLast(".weight".count)) }
            .filter { file.tensors[$0 + ".weight"]?.shape.count == 2 }
            .sorted { naturalOrder($0, $1) }
        guard !keys.isEmpty else {
            throw LearningError.invalid(
                "\(name) has no linear layers (2-D tensors named ….weight); found \(file.tensors.keys.sorted().prefix(8).joined(separator: ", "))"
            )
        }
        var layers: [DenseLayer] = []
        for key in keys {
            guard let w = file.tensors[key + ".weight"] else { continue }
            let outputs = w.shape[0], inputs = w.shape[1]
            guard outputs > 0, inputs > 0 else {
                throw LearningError.invalid("\(name): layer \(key) has an empty weight \(w.shape)")
            }
            if let previous = layers.last, previous.outputs != inputs {
                throw LearningError.invalid(
                    "\(name): layer \(key) takes \(inputs) inputs but the layer before it gives \(previous.outputs); "
                        + "mle reads a chain of Linear layers with ReLU between them (layers in order: \(keys.joined(separator: ", ")))"
                )
            }
            var weight = Matrix(rows: inputs, cols: outputs)
            for o in 0..<outputs { for i in 0..<inputs { weight[i, o] = w.values[o * inputs + i] } }
            let bias = file.tensors[key + ".bias"]?.values ?? [Float](repeating: 0, count: outputs)
            guard bias.count == outputs else {
                throw LearningError.invalid("\(name): \(key).bias has \(bias.count) values for \(outputs) outputs")
            }
            guard weight.storage.allSatisfy(\.isFinite), bias.allSatisfy(\.isFinite) else {
                throw LearningError.invalid("\(name): layer \(key) has values that are not finite")
            }
            layers.append(DenseLayer(weight: weight, bias: bias))
        }
        return layers
    }

    /// The layers of a PyTorch state dict: its Linear modules (`P.weight` 2-D, `P.bias`) and
    /// BatchNorm1d modules (`P.running_mean`, `P.running_var`, optional `P.weight`/`P.bias`), in
    /// natural key order or in `order` (module names, for keys that do not sort: `input`,
    /// `hidden`, `output`). A BatchNorm in eval mode is an affine map, folded into the Linear
    /// before it (or, after an activation or at the input, into the Linear after it), with
    /// PyTorch's default ε = 1e-5. A bare `weight`/`bias` pair is a single Linear: a logistic regression.
    /// - Returns: the layers, and what was folded, for the load note.
    public static func stateDictLayers(in file: SafeTensors, name: String, order: [String]? = nil) throws
        -> (layers: [DenseLayer], folded: [String])
    {
        func bad(_ why: String) -> LearningError { .invalid("\(name): \(why)") }
        func module(_ key: String) -> (String, String) {
            guard let dot = key.lastIndex(of: ".") else { return ("", key) }
            return (String(key[..<dot]), String(key[key.index(after: dot)...]))
        }
        var parts: [String: [String: SafeTensors.Tensor]] = [:]
        for (key, tensor) in file.tensors {
            let (m, field) = module(key)
            parts[m, default: [:]][field] = tensor
        }
        enum Kind { case linear, batchNorm }
        var kinds: [String: Kind] = [:]
        var unknown: [String] = []
        for (m, fields) in parts {
            if let w = fields["weight"], w.shape.count == 2 {
                guard Set(fields.keys).isSubset(of: ["weight", "bias"]) else {
                    unknown.append(m.isEmpty ? "the tensors without a module" : "'\(m)'"); continue
                }
                kinds[m] = .linear
            } else if fields["running_mean"] != nil, fields["running_var"] != nil {
                kinds[m] = .batchNorm
            } else {
                let shapes = fields.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.shape)" }
                unknown.append("'\(m.isEmpty ? "" : m + ".")…' (\(shapes.prefix(3).joined(separator: ", ")))")
            }
        }
        guard unknown.isEmpty else {
            throw bad(
                "mle reads Linear and BatchNorm1d layers of a state dict; it does not know the module\(unknown.count == 1 ? "" : "s") \(unknown.sorted().prefix(5).joined(separator: ", ")) (a convolution, an embedding, a LayerNorm?)"
            )
        }
        guard !kinds.isEmpty, kinds.values.contains(where: { $0 == .linear }) else {
            throw bad(
                "no linear layers (2-D tensors named ….weight); found \(file.tensors.keys.sorted().prefix(8).joined(separator: ", "))"
            )
        }
        let modules: [String]
        if let order {
            let listed = Set(order)
            guard listed.count == order.count else { throw SettingError("layers", "layers= names a module twice") }
            if let missing = order.first(where: { kinds[$0] == nil }) {
                throw SettingError(
                    "layers",
                    "\(name) has no Linear or BatchNorm module '\(missing)'; its modules are \(kinds.keys.sorted { naturalOrder($0, $1) }.joined(separator: ", "))"
                )
            }
            let left = kinds.keys.filter { !listed.contains($0) }.sorted { naturalOrder($0, $1) }
            guard left.isEmpty else {
                throw SettingError(
                    "layers", "layers= leaves out \(left.joined(separator: ", ")); name every layer in order")
            }
            modules = order
        } else {
            modules = kinds.keys.sorted { naturalOrder($0, $1) }
            // nn.Sequential numbers its modules in order; names (fc1, bn1) do not say where a
            // BatchNorm stands ("bn1" sorts before "fc1"), and folding it in the wrong place is a
            // wrong network that may still load: the order must be given.
            let named = modules.filter { kinds[$0] == .batchNorm && Int($0.split(separator: ".").last ?? "") == nil }
            if let first = named.first {
                throw SettingError(
                    "layers",
                    "\(name) has a BatchNorm named '\(first)': names do not say where it stands; give every layer in order with layers=[…] (its modules: \(modules.joined(separator: ", ")))"
                )
            }
        }
        var layers: [DenseLayer] = []
        var folded: [String] = []
        /// A BatchNorm waiting for the Linear after it (it followed an activation, or the input).
        var pending: (module: String, scale: [Float], shift: [Float])?
        for (position, m) in modules.enumerated() {
            let fields = parts[m] ?? [:]
            if kinds[m] == .batchNorm {
                guard let mean = fields["running_mean"]?.values, let variance = fields["running_var"]?.values,
                    variance.count == mean.count, variance.allSatisfy({ $0 >= 0 && $0.isFinite }),
                    mean.allSatisfy(\.isFinite)
                else {
                    throw bad(
                        "BatchNorm '\(m)' has running statistics that are not one finite mean and variance per unit")
                }
                let gamma = fields["weight"]?.values ?? [Float](repeating: 1, count: mean.count)
                let beta = fields["bias"]?.values ?? [Float](repeating: 0, count: mean.count)
                guard gamma.count == mean.count, beta.count == mean.count else {
                    throw bad(
                        "BatchNorm '\(m)' has \(gamma.count) weights and \(beta.count) biases for \(mean.count) units")
                }
                // y = (x − mean)/√(var + ε)·γ + β = x·s + t
                let s = zip(gamma, variance).map { Double($0) / (Double($1) + 1e-5).squareRoot() }
                let t = (0..<mean.count).map { Double(beta[$0]) - Double(mean[$0]) * s[$0] }
                // Right after a Linear (no module between, as nn.Sequential numbers them): before its activation.
                let previous = position > 0 ? modules[position - 1] : nil
                let adjacent: Bool = {
                    guard let previous, kinds[previous] == .linear else { return false }
                    if let a = Int(previous.split(separator: ".").last ?? ""),
                        let b = Int(m.split(separator: ".").last ?? "")
                    {
                        return b == a + 1
                    }
                    return true
                }()
                if adjacent, var last = layers.popLast() {
                    guard last.outputs == mean.count else {
                        throw bad("BatchNorm '\(m)' has \(mean.count) units after a layer of \(last.outputs)")
                    }
                    for o in 0..<last.outputs {
                        for i in 0..<last.inputs { last.weight[i, o] = Float(Double(last.weight[i, o]) * s[o]) }
                        last.bias[o] = Float(Double(last.bias[o]) * s[o] + t[o])
                    }
                    layers.append(last)
                    folded.append("\(m) into \(previous ?? "")")
                } else {
                    guard pending == nil else { throw bad("two BatchNorm layers in a row ('\(m)')") }
                    pending = (m, s.map { Float($0) }, t.map { Float($0) })
                }
                continue
            }
            guard let w = fields["weight"] else { continue }
            let outputs = w.shape[0], inputs = w.shape[1]
            guard outputs > 0, inputs > 0 else {
                throw bad("layer \(m.isEmpty ? "weight" : m) has an empty weight \(w.shape)")
            }
            if let previous = layers.last, previous.outputs != inputs {
                throw bad(
                    "layer \(m) takes \(inputs) inputs but the layer before it gives \(previous.outputs); "
                        + "mle reads a chain of Linear layers with an activation between them (layers in order: \(modules.joined(separator: ", "))\(order == nil ? "; layers=[…] gives the order" : ""))"
                )
            }
            var weight = Matrix(rows: inputs, cols: outputs)
            for o in 0..<outputs { for i in 0..<inputs { weight[i, o] = w.values[o * inputs + i] } }
            var bias = fields["bias"]?.values ?? [Float](repeating: 0, count: outputs)
            guard bias.count == outputs else {
                throw bad("\(m.isEmpty ? "" : m + ".")bias has \(bias.count) values for \(outputs) outputs")
            }
            if let (bn, s, t) = pending {
                guard s.count == inputs else {
                    throw bad("BatchNorm '\(bn)' has \(s.count) units before a layer of \(inputs) inputs")
                }
                // (x·s + t)·W + b = x·(diag(s)·W) + (b + t·W)
                for o in 0..<outputs {
                    var add = 0.0
                    for i in 0..<inputs { add += Double(t[i]) * Double(weight[i, o]) }
                    bias[o] = Float(Double(bias[o]) + add)
                }
                for i in 0..<inputs { for o in 0..<outputs { weight[i, o] *= s[i] } }
                folded.append("\(bn) into \(m.isEmpty ? "the layer" : m)")
                pending = nil
            }
            guard weight.storage.allSatisfy(\.isFinite), bias.allSatisfy(\.isFinite) else {
                throw bad("layer \(m.isEmpty ? "weight" : m) has values that are not finite")
            }
            layers.append(DenseLayer(weight: weight, bias: bias))
        }
        if let (bn, _, _) = pending { throw bad("BatchNorm '\(bn)' comes after the last layer; mle cannot fold it") }
        return (layers, folded)
    }

    /// "fc2" before "fc10", "0" before "2" before "10": digit runs compare as numbers.
    static func naturalOrder(_ a: String, _ b: String) -> Bool {
        func parts(_ s: String) -> [(String, Int?)] {
            var out: [(String, Int?)] = []
            var current = "", digits = false
            for ch in s {
                if ch.isASCII && ch.isNumber != digits, !current.isEmpty {
                    out.append((current, digits ? Int(current) : nil)); current = ""
                }
                digits = ch.isASCII && ch.isNumber
                current.append(ch)
            }
            if !current.isEmpty { out.append((current, digits ? Int(current) : nil)) }
            return out
        }
        for (x, y) in zip(parts(a), parts(b)) {
            if let i = x.1, let j = y.1, i != j { return i < j }
            if x.0 != y.0 { return x.0 < y.0 }
        }
        return a.count < b.count
    }

    /// A PyTorch ReLU network (Linear layers with ReLU between them) from its state dict.
    /// `features` names its inputs; `task` its outputs (one output read as a binary classifier's
    /// logit becomes the logits (0, z), whose softmax is the sigmoid). `standardizer`, when given,
    /// is folded into the first layer so that the network computes the same function of the raw
    /// inputs while mle's standardised units (for δ, coverage search) are the data's.
    public init(
        pytorchFile file: SafeTensors, name: String, features: [String], task: Task,
        standardizer: Standardizer?
    ) throws {
        try self.init(
            pytorchLayers: try MLP.stateDictLayers(in: file, name: name).layers, name: name, features: features,
            task: task, standardizer: standardizer)
    }

    /// The same from the file's linear layers, already read by `linearLayers(in:prefix:name:)`.
    ///
    /// - Parameters:
    ///   - outputClasses: the class of each output in the network's order (of the logit's
    ///     positive class, `[negative, positive]`, for one output); the outputs are reordered to
    ///     `task`'s classes. Nil: the outputs are `task`'s classes in order.
    ///   - standardizedInputs: the network was trained on inputs standardised by `standardizer`
    ///     (a StandardScaler outside it): it is applied before the network, not folded into it.
    public init(
        pytorchLayers: [DenseLayer], name: String, features: [String], task: Task,
        standardizer: Standardizer?, outputClasses: [String]? = nil, standardizedInputs: Bool = false
    ) throws {
        var layers = pytorchLayers
        let d = layers.first?.inputs ?? 0, k = layers.last?.outputs ?? 0
        guard features.count == d else {
            throw LearningError.invalid("\(name) takes \(d) inputs but \(features.count) feature names were given")
        }
        switch task {
        case .classification(let classes):
            if let given = outputClasses, var last = layers.last {
                guard Set(given) == Set(classes), given.count == classes.count, given.count == max(k, 2) else {
                    throw SettingError(
                        "classes",
                        "classes= names \(given.count) classes for \(name)'s \(k) output\(k == 1 ? " (a logit: [negative, positive])" : "s"); the classes are \(classes.joined(separator: ", "))"
                    )
                }
                if k == 1 {
                    // The logit is for given[1]; for the other class, σ(−z) = 1 − σ(z).
                    if given[1] != classes[1] {
                        for i in 0..<last.inputs { last.weight[i, 0] = -last.weight[i, 0] }
                        last.bias[0] = -last.bias[0]
                    }
                } else {
                    let from = classes.map { c in given.firstIndex(of: c) ?? 0 }
                    var weight = Matrix(rows: last.inputs, cols: k)
                    for i in 0..<last.inputs { for (o, f) in from.enumerated() { weight[i, o] = last.weight[i, f] } }
                    last = DenseLayer(weight: weight, bias: from.map { last.bias[$0] })
                }
                layers[layers.count - 1] = last
            }
            if k == 1, classes.count == 2, var last = layers.last {
                var weight = Matrix(rows: last.inputs, cols: 2)
                for i in 0..<last.inputs { weight[i, 1] = last.weight[i, 0] }
                last = DenseLayer(weight: weight, bias: [0, last.bias[0]])
                layers[layers.count - 1] = last
            } else if classes.count != k {
                throw LearningError.invalid(
                    "\(name) has \(k) outputs but \(classes.count) classes (\(classes.prefix(5).joined(separator: ", ")))"
                )
            }
        case .regression:
            guard k == 1 else { throw LearningError.invalid("\(name) has \(k) outputs; a regression network has one") }
        }
        let s =
            standardizer ?? Standardizer(mean: [Float](repeating: 0, count: d), scale: [Float](repeating: 1, count: d))
        guard s.mean.count == d else {
            throw LearningError.invalid("the data has \(s.mean.count) features, \(name) takes \(d)")
        }
        if standardizer != nil, !standardizedInputs, var first = layers.first {
            // ((x − m)/s)·W′ + b′ = x·W + b: W′[i, o] = s[i]·W[i, o], b′ = b + Σ_i m[i]·W[i, o].
            for i in 0..<d {
                for o in 0..<first.outputs {
                    first.bias[o] += s.mean[i] * first.weight[i, o]
                    first.weight[i, o] *= s.scale[i]
                }
            }
            layers[0] = first
        }
        self.init(layers: layers, standardizer: s, featureNames: features, task: task)
    }
}
