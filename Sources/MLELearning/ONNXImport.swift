import Foundation
import MLETensor
import ONNXSchema
import SwiftProtobuf

/// A feed-forward network read from an ONNX file: linear layers with one activation between
/// them, reduced from whatever nodes the exporter wrote.
///
/// The graph is evaluated symbolically, node by node in its (topological) order: each tensor is
/// a constant, an affine function of the previous activation, or the input passed through
/// activations. Gemm, MatMul, Add/Sub/Mul/Div by constants, `ai.onnx.ml` Scaler, LinearClassifier
/// and LinearRegressor compose into the pending affine map, so an input normalisation before the
/// first layer folds into it and two Linear layers without an activation between them become one;
/// Relu, LeakyRelu, Sigmoid and Tanh close a layer; Softmax or LogSoftmax (or a single Sigmoid
/// output) end the network. Tensors that only carry labels (ArgMax, ZipMap's maps) are followed
/// to find the class names and otherwise ignored. Anything else on the way from the input to the
/// output is refused, naming each such node.
public struct ImportedNetwork: Sendable {
    /// What the last layer's values go through.
    public enum Output: Sendable, Equatable {
        /// Nothing: logits, or a regression value.
        case linear
        /// Softmax (or log-softmax, which has the same arg max and whose softmax is the same):
        /// class probabilities.
        case softmax
        /// A sigmoid of a single output: the probability of the second class.
        case sigmoid
    }

    /// Layers from the raw input to the output, weights stored `in × out`.
    public var layers: [DenseLayer]
    /// The activation between layers (relu when there is a single layer).
    public var activation: Kernels.Activation
    public var output: Output
    public var inputName: String
    public var outputName: String
    /// The class of each output, when the file names them (scikit-learn's classes, mle's metadata).
    public var classLabels: [String]?
    /// `metadata_props`.
    public var metadata: [String: String]
    /// Who wrote the file: "pytorch 2.5.1", "skl2onnx 1.17.0".
    public var producer: String
    /// Each node kept, by operator, for the load note ("Gemm ×3, Relu ×2, Softmax").
    public var operators: [String]
}

public enum ONNXImport {
    /// Files larger than this are refused before they are read (a 784-4096-4096-10 network is 85 MB).
    static let largestFile = 2_000_000_000

    public static func read(path: String) throws -> ImportedNetwork {
        var st = stat()
        if stat(path, &st) == 0, (st.st_mode & S_IFMT) != S_IFREG {
            throw LearningError.invalid("cannot read '\(path)': it is not a regular file")
        }
        if Int(st.st_size) > largestFile {
            throw LearningError.invalid("'\(path)' is \(st.st_size / 1_000_000) MB; mle reads ONNX files up to 2 GB")
        }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw LearningError.invalid("cannot read '\(path)': \((error as NSError).localizedDescription)")
        }
        return try parse(
            data, name: (path as NSString).lastPathComponent, directory: (path as NSString).deletingLastPathComponent)
    }

    /// - Parameter directory: where tensors kept in external files are looked for (nil: such
    ///   tensors are an error).
    public static func parse(_ data: Data, name: String, directory: String? = nil) throws -> ImportedNetwork {
        let model: Onnx_ModelProto
        do {
            model = try Onnx_ModelProto(serializedBytes: data)
        } catch {
            throw LearningError.invalid("\(name) is not an ONNX model (the protobuf does not decode: \(error))")
        }
        guard model.hasGraph, !model.graph.node.isEmpty else {
            throw LearningError.invalid("\(name) is not an ONNX model: it has no graph")
        }
        var reader = GraphReader(
            graph: model.graph, name: name, opsets: model.opsetImport, external: ExternalData(directory: directory))
        var network = try reader.network()
        for entry in model.metadataProps { network.metadata[entry.key] = entry.value }
        network.producer = [model.producerName, model.producerVersion].filter { !$0.isEmpty }.joined(separator: " ")
        return network
    }
}

/// Tensors kept beside the model file (PyTorch's dynamo exporter writes `model.onnx.data`):
/// each file read once, each tensor's bytes checked to lie inside it.
final class ExternalData {
    let directory: String?
    private var files: [String: Data] = [:]

    init(directory: String?) { self.directory = directory }

    func bytes(of t: Onnx_TensorProto, model: String) throws -> Data {
        func bad(_ why: String) -> LearningError { .invalid("\(model): tensor '\(t.name)' \(why)") }
        var entries: [String: String] = [:]
        for e in t.externalData { entries[e.key] = e.value }
        guard let location = entries["location"], !location.isEmpty else {
            throw bad("is kept in an external file but does not say which")
        }
        // As ONNX's checker: a path relative to the model's folder that does not leave it.
        guard !location.hasPrefix("/"), !location.split(separator: "/").contains("..") else {
            throw bad("is kept in '\(location)', outside the model's folder")
        }
        guard let directory else { throw bad("is kept in an external file, '\(location)'") }
        let path = directory.isEmpty ? location : directory + "/" + location
        let data: Data
        if let cached = files[path] {
            data = cached
        } else {
            var st = stat()
            guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
                throw bad("is kept in '\(path)', which is missing or not a regular file (keep it beside the model)")
            }
            do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
                throw bad("is kept in '\(path)', which cannot be read: \((error as NSError).localizedDescription)")
            }
            files[path] = data
        }
        guard let offset = Int(entries["offset"] ?? "0"), offset >= 0, offset <= data.count else {
            throw bad("has an offset outside '\(location)'")
        }
        let length = entries["length"].flatMap { Int($0) } ?? (data.count - offset)
        guard length >= 0, length <= data.count - offset else {
            throw bad("has bytes \(offset)..<\(offset + length) outside '\(location)' (\(data.count) bytes)")
        }
        return data.subdata(in: (data.startIndex + offset)..<(data.startIndex + offset + length))
    }
}

/// An affine map of the current activation: diagonal (an element-wise scale and shift, as an
/// input normalisation) or dense. Kept in double precision until the layers are made.
struct Affine: Equatable {
    var inputs: Int
    var outputs: Int
    /// Dense weights, `inputs × outputs` row-major; nil for a diagonal map (`inputs == outputs`).
    var weight: [Double]?
    /// The diagonal map's scale (nil for a dense map).
    var scale: [Double]?
    var bias: [Double]

    static func identity(_ width: Int) -> Affine {
        Affine(
            inputs: width, outputs: width, weight: nil, scale: [Double](repeating: 1, count: width),
            bias: [Double](repeating: 0, count: width))
    }

    /// Then y ↦ y·s + t, column by column.
    mutating func scaleAndShift(_ s: [Double], _ t: [Double]) {
        if var w = weight {
            for i in 0..<inputs { for o in 0..<outputs { w[i * outputs + o] *= s[o] } }
            weight = w
        } else if var d = scale {
            for o in 0..<outputs { d[o] *= s[o] }
            scale = d
        }
        for o in 0..<outputs { bias[o] = bias[o] * s[o] + t[o] }
    }

    /// Then y ↦ y·B + c, with B `outputs × n` row-major.
    mutating func multiply(_ b: [Double], columns n: Int, plus c: [Double]) {
        var newWeight = [Double](repeating: 0, count: inputs * n)
        if let w = weight {
            for i in 0..<inputs {
                for k in 0..<outputs where w[i * outputs + k] != 0 {
                    let a = w[i * outputs + k]
                    for o in 0..<n { newWeight[i * n + o] += a * b[k * n + o] }
                }
            }
        } else if let d = scale {
            for i in 0..<inputs { for o in 0..<n { newWeight[i * n + o] = d[i] * b[i * n + o] } }
        }
        var newBias = c
        for k in 0..<outputs where bias[k] != 0 { for o in 0..<n { newBias[o] += bias[k] * b[k * n + o] } }
        weight = newWeight; scale = nil; bias = newBias; outputs = n
    }

    var layer: DenseLayer {
        var m = Matrix(rows: inputs, cols: outputs)
        if let w = weight {
            for i in 0..<(inputs * outputs) { m.storage[i] = Float(w[i]) }
        } else if let d = scale {
            for i in 0..<inputs { m[i, i] = Float(d[i]) }
        }
        return DenseLayer(weight: m, bias: bias.map { Float($0) })
    }
}

/// A hidden activation as the graph gives it (LeakyRelu with its slope).
enum GraphActivation: Equatable {
    case relu, sigmoid, tanh
    case leakyRelu(alpha: Double)

    var name: String {
        switch self {
        case .relu: "Relu"
        case .sigmoid: "Sigmoid"
        case .tanh: "Tanh"
        case .leakyRelu(let a): "LeakyRelu(alpha \(Float(a)))"
        }
    }
}

/// The input carried through the network so far.
struct Path {
    /// Affine maps; `activations[i]` follows `layers[i]`. One activation fewer than layers: the
    /// last map is still open (further affine nodes compose into it); as many: the last layer's
    /// values have been through an activation.
    var layers: [Affine] = []
    var activations: [GraphActivation] = []
    var width: Int
    /// A softmax (or log-softmax) after the last layer.
    var softmax = false
    /// Labels the path's columns stand for (from a LinearClassifier).
    var classLabels: [String]?
    var operators: [String] = []

    var isOpen: Bool { layers.count == activations.count + 1 }
}

/// A constant tensor (an initializer, a Constant node, or folded from them).
struct Constant {
    var dims: [Int]
    var values: [Double]
    /// String tensors (class names); `values` is empty for them.
    var strings: [String]?

    var count: Int { strings?.count ?? values.count }
    var labels: [String] {
        strings ?? values.map { $0 == $0.rounded() && abs($0) < 1e15 ? String(Int64($0)) : String($0) }
    }
}

/// What a tensor of the graph holds.
enum Symbol {
    case constant(Constant)
    case path(Path)
    /// Class labels or indices (ArgMax's output and what is computed from it).
    case labels
    /// Computed by a node mle does not reduce (its index in `GraphReader.refused`).
    case refused
}

struct GraphReader {
    let graph: Onnx_GraphProto
    let name: String
    let opset: Int
    let external: ExternalData
    var symbols: [String: Symbol] = [:]
    /// Why each refused node was refused, by node index.
    var refused: [Int: String] = [:]
    /// Class names found on the label path (ArrayFeatureExtractor of a constant list by ArgMax).
    var labelPathClasses: [String]?

    init(graph: Onnx_GraphProto, name: String, opsets: [Onnx_OperatorSetIdProto], external: ExternalData) {
        self.graph = graph
        self.name = name
        self.external = external
        opset = Int(opsets.first { $0.domain.isEmpty || $0.domain == "ai.onnx" }?.version ?? 13)
    }

    func bad(_ why: String) -> LearningError { .invalid("\(name): \(why)") }

    mutating func network() throws -> ImportedNetwork {
        for t in graph.initializer { symbols[t.name] = .constant(try constant(t)) }
        let inputs = graph.input.filter { symbols[$0.name] == nil }
        guard inputs.count == 1, let input = inputs.first else {
            throw bad(
                "mle imports networks with one input; this graph has \(inputs.count) (\(inputs.map(\.name).prefix(5).joined(separator: ", ")))"
            )
        }
        let width = try inputWidth(input)
        symbols[input.name] = .path(Path(width: width))
        for (index, node) in graph.node.enumerated() { try evaluate(node, index: index) }
        // The output: the first graph output carrying the input's path, preferring probabilities.
        var candidates: [(String, Path)] = []
        for output in graph.output {
            if case .path(let p)? = symbols[output.name] { candidates.append((output.name, p)) }
        }
        guard
            let (outputName, path) = candidates.first(where: { $0.1.softmax || $0.1.activations.last == .sigmoid })
                ?? candidates.first
        else {
            let slice = backwardSlice(of: graph.output.map(\.name))
            let reasons = slice.sorted().compactMap { refused[$0] }
            if reasons.isEmpty {
                throw bad("no output of the graph is computed from its input '\(input.name)'")
            }
            throw bad(
                "mle imports feed-forward networks (Gemm or MatMul+Add layers with Relu, LeakyRelu, Sigmoid, Tanh between them, Softmax at the end); "
                    + "it does not support \(reasons.prefix(8).joined(separator: "; "))\(reasons.count > 8 ? "; and \(reasons.count - 8) more" : "")"
            )
        }
        return try finish(path, input: input.name, output: outputName)
    }

    /// The network from the output's path: one hidden activation, a recognised ending.
    func finish(_ path: Path, input: String, output: String) throws -> ImportedNetwork {
        guard !path.layers.isEmpty else {
            throw bad("the output '\(output)' is the input passed through without a layer")
        }
        var kind = ImportedNetwork.Output.linear
        var hidden = path.activations
        if path.softmax {
            kind = .softmax
            guard path.width >= 2 else { throw bad("the softmax is over a single output, which is always 1") }
        } else if !path.isOpen {
            let last = hidden.removeLast()
            guard last == .sigmoid, path.width == 1 else {
                throw bad(
                    last == .sigmoid
                        ? "the network ends in \(path.width) independent sigmoids (a multi-label output); mle imports one sigmoid or a softmax"
                        : "the network ends in \(last.name) after its last layer; mle imports networks ending in a layer, a softmax or a sigmoid of one output"
                )
            }
            kind = .sigmoid
        }
        let activation: Kernels.Activation
        switch Set(hidden.map(\.name)).count {
        case 0: activation = .relu
        case 1:
            switch hidden[0] {
            case .relu: activation = .relu
            case .sigmoid: activation = .sigmoid
            case .tanh: activation = .tanh
            case .leakyRelu(let alpha):
                guard abs(alpha - 0.01) < 1e-6 else {
                    throw bad(
                        "its LeakyRelu has slope \(Float(alpha)); mle's leaky ReLU has PyTorch's default slope 0.01")
                }
                activation = .leakyRelu
            }
        default:
            throw bad(
                "its layers use different activations (\(hidden.map(\.name).joined(separator: ", "))); mle's networks have one activation between all layers"
            )
        }
        for (i, a) in path.layers.enumerated() {
            // A diagonal map becomes a dense layer of width² weights.
            let elements = Memory.product(a.inputs, a.outputs)
            guard elements < 1 << 31 else {
                throw bad("layer \(i + 1) would have \(elements) weights, more than mle reads")
            }
            let bytes = Memory.product(elements, 4)
            if Memory.worthChecking(bytes) { try Memory.reserve(bytes, for: "read \(name)'s layer \(i + 1)") }
        }
        let layers = path.layers.map(\.layer)
        for (i, layer) in layers.enumerated() {
            guard layer.weight.storage.allSatisfy(\.isFinite), layer.bias.allSatisfy(\.isFinite) else {
                throw bad("layer \(i + 1) has weights that are not finite numbers (or overflow float32)")
            }
        }
        return ImportedNetwork(
            layers: layers, activation: activation, output: kind, inputName: input, outputName: output,
            classLabels: path.classLabels ?? labelPathClasses, metadata: [:], producer: "",
            operators: path.operators)
    }

    /// Nodes the named tensors depend on.
    func backwardSlice(of names: [String]) -> Set<Int> {
        var producer: [String: Int] = [:]
        for (i, node) in graph.node.enumerated() { for o in node.output where !o.isEmpty { producer[o] = i } }
        var seen = Set<Int>()
        var stack = names.compactMap { producer[$0] }
        while let i = stack.popLast() {
            guard seen.insert(i).inserted else { continue }
            stack += graph.node[i].input.compactMap { producer[$0] }
        }
        return seen
    }

    /// The number of values in one row of the input: its dimensions after the first (the batch).
    func inputWidth(_ input: Onnx_ValueInfoProto) throws -> Int {
        guard
            input.type.tensorType.elemType == Int32(Onnx_TensorProto.DataType.float.rawValue)
                || input.type.tensorType.elemType == Int32(Onnx_TensorProto.DataType.double.rawValue)
        else {
            throw bad("its input '\(input.name)' is not a tensor of floats")
        }
        let dims = input.type.tensorType.shape.dim
        guard dims.count >= 2 else {
            throw bad(
                "its input '\(input.name)' has \(dims.count) dimension\(dims.count == 1 ? "" : "s"); mle reads a batch of rows [N, features]"
            )
        }
        var width = 1
        for d in dims.dropFirst() {
            guard case .dimValue(let v)? = d.value, v > 0, v < 1 << 28 else {
                throw bad("its input '\(input.name)' has a row size that is not fixed (\(describe(dims)))")
            }
            width = Int(v) * width
            guard width < 1 << 28 else { throw bad("its input '\(input.name)' has rows too large to read") }
        }
        return width
    }

    func describe(_ dims: [Onnx_TensorShapeProto.Dimension]) -> String {
        "["
            + dims.map { d in
                switch d.value {
                case .dimValue(let v)?: String(v)
                case .dimParam(let p)?: p
                case nil: "?"
                }
            }.joined(separator: ", ") + "]"
    }

    // MARK: Constants

    func constant(_ t: Onnx_TensorProto) throws -> Constant {
        let raw = t.dataLocation == .external ? try external.bytes(of: t, model: name) : t.rawData
        var count = 1
        for d in t.dims {
            guard d >= 0, d < 1 << 31 else { throw bad("tensor '\(t.name)' has a negative or huge dimension") }
            let (product, overflow) = count.multipliedReportingOverflow(by: Int(d))
            guard !overflow, product < 1 << 31 else { throw bad("tensor '\(t.name)' is too large") }
            count = product
        }
        let dims = t.dims.map { Int($0) }
        func fromRaw(_ size: Int, _ decode: (UnsafeRawBufferPointer, Int) -> Double) throws -> [Double] {
            guard raw.count == count * size else {
                throw bad("tensor '\(t.name)' has \(raw.count) bytes for \(count) values of \(size) bytes")
            }
            return raw.withUnsafeBytes { p in (0..<count).map { decode(p, $0 * size) } }
        }
        func checked(_ v: [Double]) throws -> [Double] {
            guard v.count == count else {
                throw bad("tensor '\(t.name)' has \(v.count) values for its shape \(dims)")
            }
            return v
        }
        let type = Onnx_TensorProto.DataType(rawValue: Int(t.dataType)) ?? .undefined
        switch type {
        case .float:
            if !raw.isEmpty {
                return Constant(
                    dims: dims,
                    values: try fromRaw(4) { p, o in
                        Double(
                            Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: o, as: UInt32.self)))
                        )
                    })
            }
            return Constant(dims: dims, values: try checked(t.floatData.map(Double.init)))
        case .double:
            if !raw.isEmpty {
                return Constant(
                    dims: dims,
                    values: try fromRaw(8) { p, o in
                        Double(bitPattern: UInt64(littleEndian: p.loadUnaligned(fromByteOffset: o, as: UInt64.self)))
                    })
            }
            return Constant(dims: dims, values: try checked(t.doubleData))
        case .float16, .bfloat16:
            let half = type == .float16
            func decode(_ bits: UInt16) -> Double {
                half ? Double(SafeTensors.halfToFloat(bits)) : Double(Float(bitPattern: UInt32(bits) << 16))
            }
            if !raw.isEmpty {
                return Constant(
                    dims: dims,
                    values: try fromRaw(2) { p, o in
                        decode(UInt16(littleEndian: p.loadUnaligned(fromByteOffset: o, as: UInt16.self)))
                    })
            }
            // Stored in int32_data, one value in the low 16 bits of each.
            return Constant(dims: dims, values: try checked(t.int32Data.map { decode(UInt16(truncatingIfNeeded: $0)) }))
        case .int64:
            if !raw.isEmpty {
                return Constant(
                    dims: dims,
                    values: try fromRaw(8) { p, o in
                        Double(Int64(littleEndian: p.loadUnaligned(fromByteOffset: o, as: Int64.self)))
                    })
            }
            return Constant(dims: dims, values: try checked(t.int64Data.map(Double.init)))
        case .int32, .int16, .int8, .uint8, .uint16, .bool:
            let size = [.int32: 4, .int16: 2, .uint16: 2][type] ?? 1
            if !raw.isEmpty {
                return Constant(
                    dims: dims,
                    values: try fromRaw(size) { p, o in
                        switch type {
                        case .int32: Double(Int32(littleEndian: p.loadUnaligned(fromByteOffset: o, as: Int32.self)))
                        case .int16: Double(Int16(littleEndian: p.loadUnaligned(fromByteOffset: o, as: Int16.self)))
                        case .uint16: Double(UInt16(littleEndian: p.loadUnaligned(fromByteOffset: o, as: UInt16.self)))
                        case .int8: Double(p.load(fromByteOffset: o, as: Int8.self))
                        default: Double(p.load(fromByteOffset: o, as: UInt8.self))
                        }
                    })
            }
            return Constant(dims: dims, values: try checked(t.int32Data.map(Double.init)))
        case .string:
            guard t.stringData.count == count else {
                throw bad("tensor '\(t.name)' has \(t.stringData.count) strings for its shape \(dims)")
            }
            return Constant(dims: dims, values: [], strings: t.stringData.map { String(decoding: $0, as: UTF8.self) })
        default:
            throw bad("tensor '\(t.name)' has data type \(t.dataType), which mle does not read")
        }
    }

    // MARK: Nodes

    func attribute(_ node: Onnx_NodeProto, _ key: String) -> Onnx_AttributeProto? {
        node.attribute.first { $0.name == key }
    }

    func int(_ node: Onnx_NodeProto, _ key: String, _ fallback: Int) -> Int {
        attribute(node, key).map { Int($0.i) } ?? fallback
    }

    func float(_ node: Onnx_NodeProto, _ key: String, _ fallback: Double) -> Double {
        attribute(node, key).map { Double($0.f) } ?? fallback
    }

    func text(_ node: Onnx_NodeProto, _ key: String) -> String? {
        attribute(node, key).map { String(decoding: $0.s, as: UTF8.self) }
    }

    func floats(_ node: Onnx_NodeProto, _ key: String) -> [Double]? {
        attribute(node, key).map { $0.floats.map(Double.init) }
    }

    /// Checks that `elements` doubles (a map the reduction is about to make) fit in the memory
    /// left, and refuses sizes no network of this kind has.
    func afford(_ elements: Int, _ node: Onnx_NodeProto) throws {
        guard elements < 1 << 31 else {
            throw bad("\(GraphReader.label(node)) makes a layer of \(elements) weights, more than mle reads")
        }
        let bytes = Memory.product(elements, 8)
        if Memory.worthChecking(bytes) { try Memory.reserve(bytes, for: "read \(name)'s \(GraphReader.label(node))") }
    }

    static func label(_ node: Onnx_NodeProto) -> String {
        node.name.isEmpty ? node.opType : "\(node.opType) (node '\(node.name)')"
    }

    mutating func evaluate(_ node: Onnx_NodeProto, index: Int) throws {
        let inputs: [Symbol?] = node.input.map { $0.isEmpty ? nil : symbols[$0] }
        func set(_ s: Symbol) { for o in node.output where !o.isEmpty { symbols[o] = s } }
        func refuse(_ why: String) {
            refused[index] = "\(GraphReader.label(node))\(why.isEmpty ? "" : ": \(why)")"
            set(.refused)
        }
        let domain = node.domain == "ai.onnx" ? "" : node.domain
        if inputs.contains(where: { if case .refused? = $0 { true } else { false } }) { return set(.refused) }
        let paths = inputs.enumerated().compactMap { i, s -> (Int, Path)? in
            if case .path(let p)? = s { (i, p) } else { nil }
        }
        let carriesLabels = inputs.contains { if case .labels? = $0 { true } else { false } }
        if paths.isEmpty {
            if carriesLabels {
                // The label path: remember the class list an ArrayFeatureExtractor picks from.
                if node.opType == "ArrayFeatureExtractor", case .constant(let c)? = inputs.first ?? nil {
                    labelPathClasses = c.labels
                }
                return set(.labels)
            }
            if let folded = try fold(node, inputs.map { if case .constant(let c)? = $0 { c } else { nil } }) {
                return set(.constant(folded))
            }
            // A constant computation mle does not fold; refused only if the output needs it.
            return refuse("")
        }
        if domain.isEmpty, node.opType == "Concat", paths.count == 2 {
            guard let joined = concatenate(node, inputs: inputs) else {
                return refuse("it joins values computed from the input")
            }
            return set(.path(joined))
        }
        guard paths.count == 1, let (slot, pathIn) = paths.first else {
            return refuse("it combines two values computed from the input (a residual or parallel branch)")
        }
        var path = pathIn
        func constantInput(_ i: Int) -> Constant? {
            if i < inputs.count, case .constant(let c)? = inputs[i] { return c }
            return nil
        }
        /// A constant broadcast over the row's columns: one value or one per column.
        func perColumn(_ c: Constant) -> [Double]? {
            guard c.strings == nil else { return nil }
            if c.values.count == 1 { return [Double](repeating: c.values[0], count: path.width) }
            let leading = c.dims.dropLast()
            guard c.values.count == path.width, c.dims.last == path.width, leading.allSatisfy({ $0 == 1 }) else {
                return nil
            }
            return c.values
        }
        func affine(_ apply: (inout Affine) -> Void) throws {
            if !path.isOpen {
                // A diagonal map over the row: its scale and shift (the width comes from the
                // input's declared shape, which a small file can make huge).
                try afford(Memory.product(path.width, 2), node)
                path.layers.append(.identity(path.width))
            }
            apply(&path.layers[path.layers.count - 1])
            path.width = path.layers[path.layers.count - 1].outputs
            path.operators.append(node.opType)
            set(.path(path))
        }
        let afterEnd = path.softmax || (!path.isOpen && path.activations.last == .sigmoid && path.width == 1)
        switch (domain, node.opType) {
        case ("", "Identity"), ("", "Dropout"):
            set(.path(path))
            if node.output.count > 1, !node.output[1].isEmpty { symbols[node.output[1]] = .refused }
        case ("", "Cast"):
            let to = int(node, "to", 1)
            guard to == Onnx_TensorProto.DataType.float.rawValue || to == Onnx_TensorProto.DataType.double.rawValue
            else { return refuse("casts the values to data type \(to)") }
            set(.path(path))
        case ("", "Flatten"):
            guard int(node, "axis", 1) == 1 else { return refuse("flattens along axis \(int(node, "axis", 1))") }
            set(.path(path))
        case ("", "Reshape"):
            guard let shape = constantInput(1), shape.values.count == 2 else {
                return refuse("reshapes to a shape that is not a constant [rows, columns]")
            }
            let rows = shape.values[0], columns = shape.values[1]
            guard
                (columns == Double(path.width) || columns == -1)
                    && (rows == -1 || rows == 0 || columns == Double(path.width))
            else {
                return refuse("reshapes rows of \(path.width) values to \(shape.values.map { Int($0) })")
            }
            set(.path(path))
        case ("", "MatMul"), ("", "Gemm"):
            guard !afterEnd else { return refuse("comes after the network's softmax or sigmoid output") }
            let isGemm = node.opType == "Gemm"
            guard slot == 0 else {
                return refuse("multiplies a constant by the input's values (the input must come first)")
            }
            guard let b = constantInput(1), b.strings == nil, b.dims.count == 2 else {
                return refuse("its weight is not a constant matrix")
            }
            if isGemm, int(node, "transA", 0) != 0 { return refuse("transA=1 transposes the batch") }
            let transposed = isGemm && int(node, "transB", 0) != 0
            let rows = transposed ? b.dims[1] : b.dims[0], n = transposed ? b.dims[0] : b.dims[1]
            guard rows == path.width else {
                return refuse("its weight is \(b.dims[0])×\(b.dims[1]) for rows of \(path.width) values")
            }
            var weight = b.values
            if transposed {
                for i in 0..<rows { for o in 0..<n { weight[i * n + o] = b.values[o * rows + i] } }
            }
            let alpha = isGemm ? float(node, "alpha", 1) : 1, beta = isGemm ? float(node, "beta", 1) : 1
            if alpha != 1 { weight = weight.map { $0 * alpha } }
            var bias = [Double](repeating: 0, count: n)
            if isGemm, let c = constantInput(2) {
                guard c.strings == nil, c.values.count == 1 || (c.values.count == n && c.dims.last == n) else {
                    return refuse("its bias has \(c.values.count) values for \(n) outputs")
                }
                bias =
                    c.values.count == 1 ? [Double](repeating: c.values[0] * beta, count: n) : c.values.map { $0 * beta }
            }
            if !path.isOpen {
                path.layers.append(Affine(inputs: rows, outputs: n, weight: weight, scale: nil, bias: bias))
                path.width = n
                path.operators.append(node.opType)
                set(.path(path))
            } else {
                // Two products without an activation between them compose: inputs × n values,
                // more than either weight held (1e5×1 then 1×1e5 is 1e10).
                try afford(Memory.product(path.layers[path.layers.count - 1].inputs, n), node)
                try affine { $0.multiply(weight, columns: n, plus: bias) }
            }
        case ("", "Add"), ("", "Sub"), ("", "Mul"), ("", "Div"):
            guard !afterEnd || (node.opType == "Sub" && slot == 1 && !path.softmax) else {
                return refuse("comes after the network's softmax or sigmoid output")
            }
            guard let c = constantInput(1 - slot), let v = perColumn(c) else {
                return refuse("its constant does not have one value or one per column (\(path.width))")
            }
            let ones = [Double](repeating: 1, count: path.width), zeros = [Double](repeating: 0, count: path.width)
            switch (node.opType, slot) {
            case ("Add", _): try affine { $0.scaleAndShift(ones, v) }
            case ("Sub", 0): try affine { $0.scaleAndShift(ones, v.map { -$0 }) }
            case ("Sub", _):
                if afterEnd {
                    // 1 − σ(z) = σ(−z): scikit-learn's binary MLP writes [1 − p, p].
                    guard v.allSatisfy({ $0 == 1 }) else { return refuse("subtracts the output from \(v[0])") }
                    var negated = path
                    let last = negated.layers.count - 1
                    negated.layers[last].scaleAndShift([-1], [0])
                    negated.operators.append("Sub")
                    return set(.path(negated))
                }
                try affine { $0.scaleAndShift(ones.map { -$0 }, v) }
            case ("Mul", _): try affine { $0.scaleAndShift(v, zeros) }
            default:
                guard slot == 0, v.allSatisfy({ $0 != 0 }) else {
                    return refuse(slot == 0 ? "divides by zero" : "divides a constant by the input's values")
                }
                try affine { $0.scaleAndShift(v.map { 1 / $0 }, zeros) }
            }
        case ("", "BatchNormalization"):
            // Inference mode: y = (x − mean) / √(var + ε) · scale + B, column by column.
            guard !afterEnd else { return refuse("comes after the network's output") }
            guard slot == 0, let scale = constantInput(1).flatMap(perColumn),
                let shift = constantInput(2).flatMap(perColumn),
                let mean = constantInput(3).flatMap(perColumn), let variance = constantInput(4).flatMap(perColumn),
                node.output.count == 1 || node.output.dropFirst().allSatisfy(\.isEmpty)
            else {
                return refuse(
                    "its statistics are not constants with one value per column (\(path.width)) in inference mode")
            }
            let epsilon = float(node, "epsilon", 1e-5)
            guard variance.allSatisfy({ $0 + epsilon > 0 }) else { return refuse("a variance is negative") }
            let s = zip(scale, variance).map { $0 / ($1 + epsilon).squareRoot() }
            try affine { $0.scaleAndShift(s, zip(zip(shift, mean), s).map { $0.0 - $0.1 * $1 }) }
        case ("", "Concat"):
            refuse("it joins the input's values with constants")
        case ("", "Relu"), ("", "LeakyRelu"), ("", "Sigmoid"), ("", "Tanh"):
            guard !afterEnd else { return refuse("comes after the network's softmax or sigmoid output") }
            guard path.isOpen else {
                return refuse(
                    path.layers.isEmpty
                        ? "an activation of the inputs themselves" : "a second activation without a layer between")
            }
            let activation: GraphActivation =
                switch node.opType {
                case "Relu": .relu
                case "Sigmoid": .sigmoid
                case "Tanh": .tanh
                default: .leakyRelu(alpha: float(node, "alpha", 0.01))
                }
            path.activations.append(activation)
            path.operators.append(node.opType)
            set(.path(path))
        case ("", "Softmax"), ("", "LogSoftmax"):
            let axis = int(node, "axis", opset >= 13 ? -1 : 1)
            guard axis == 1 || axis == -1 else { return refuse("over axis \(axis), not the classes") }
            guard path.isOpen, !path.softmax else {
                return refuse("a softmax that does not follow a layer")
            }
            path.softmax = true
            path.operators.append(node.opType)
            set(.path(path))
        case ("", "ArgMax"):
            set(.labels)
        case ("ai.onnx.ml", "ZipMap"):
            if let names = attribute(node, "classlabels_strings")?.strings, !names.isEmpty {
                path.classLabels = names.map { String(decoding: $0, as: UTF8.self) }
            } else if let ints = attribute(node, "classlabels_int64s")?.ints, !ints.isEmpty {
                path.classLabels = ints.map(String.init)
            }
            set(.path(path))
        case ("ai.onnx.ml", "Normalizer"):
            // L1 normalisation of probabilities that already sum to 1 changes nothing.
            guard text(node, "norm") == "L1", path.softmax || path.classLabels != nil && afterEnd else {
                return refuse("normalises the values (norm \(text(node, "norm") ?? "MAX")), which is not a layer")
            }
            set(.path(path))
        case ("ai.onnx.ml", "Scaler"):
            guard !afterEnd else { return refuse("comes after the network's output") }
            let offset = floats(node, "offset") ?? [0], scale = floats(node, "scale") ?? [1]
            func broadcast(_ v: [Double]) -> [Double]? {
                v.count == 1 ? [Double](repeating: v[0], count: path.width) : v.count == path.width ? v : nil
            }
            guard let o = broadcast(offset), let s = broadcast(scale) else {
                return refuse("its offset and scale do not have one value per column (\(path.width))")
            }
            // y = (x − offset)·scale
            try affine { $0.scaleAndShift(s, zip(o, s).map { -$0 * $1 }) }
        case ("ai.onnx.ml", "LinearClassifier"), ("ai.onnx.ml", "LinearRegressor"):
            guard !afterEnd else { return refuse("comes after the network's output") }
            let classifier = node.opType == "LinearClassifier"
            let coefficients = floats(node, "coefficients") ?? []
            let intercepts = floats(node, "intercepts") ?? []
            let n = path.width > 0 ? coefficients.count / path.width : 0
            guard n > 0, coefficients.count == n * path.width, intercepts.isEmpty || intercepts.count == n else {
                return refuse(
                    "\(coefficients.count) coefficients and \(intercepts.count) intercepts for rows of \(path.width) values"
                )
            }
            var weight = [Double](repeating: 0, count: path.width * n)
            for o in 0..<n { for i in 0..<path.width { weight[i * n + o] = coefficients[o * path.width + i] } }
            let bias = intercepts.isEmpty ? [Double](repeating: 0, count: n) : intercepts
            let transform = text(node, "post_transform") ?? "NONE"
            guard ["NONE", "SOFTMAX", "LOGISTIC"].contains(transform) else {
                return refuse("post_transform \(transform)")
            }
            if !classifier, int(node, "targets", 1) != 1 {
                return refuse("predicts \(int(node, "targets", 1)) targets")
            }
            var labels: [String]?
            if classifier {
                if let s = attribute(node, "classlabels_strings")?.strings, !s.isEmpty {
                    labels = s.map { String(decoding: $0, as: UTF8.self) }
                } else if let i = attribute(node, "classlabels_ints")?.ints, !i.isEmpty {
                    labels = i.map(String.init)
                }
            }
            var out = path
            if !out.isOpen {
                out.layers.append(Affine(inputs: path.width, outputs: n, weight: weight, scale: nil, bias: bias))
            } else {
                try afford(Memory.product(out.layers[out.layers.count - 1].inputs, n), node)
                out.layers[out.layers.count - 1].multiply(weight, columns: n, plus: bias)
            }
            out.width = n
            out.operators.append(node.opType)
            if transform == "SOFTMAX" {
                out.softmax = true
            } else if transform == "LOGISTIC", n == 2,
                (0..<path.width).allSatisfy({ coefficients[$0] == -coefficients[path.width + $0] }),
                bias[0] == -bias[1]
            {
                // scikit-learn's binary logistic regression: scores [−z, z] through sigmoids,
                // [σ(−z), σ(z)], which is the softmax of [0, z].
                out.layers[out.layers.count - 1].multiply([0, 0, 0, 1], columns: 2, plus: [0, 0])
                out.softmax = true
            } else if transform == "LOGISTIC" {
                out.activations.append(.sigmoid)
            }
            if let labels {
                out.classLabels = labels
                // One score column for two classes: the score of the second (scikit-learn's binary case).
                if n == 1, labels.count == 2, transform == "LOGISTIC" {
                    // [1 − σ(z), σ(z)] is written by the node itself: the softmax of [0, z].
                    out.activations.removeLast()
                    out.layers[out.layers.count - 1].multiply([0, 1], columns: 2, plus: [0, 0])
                    out.width = 2
                    out.softmax = true
                }
            }
            if node.output.count > 1 {
                if !node.output[0].isEmpty { symbols[node.output[0]] = .labels }
                symbols[node.output[1]] = .path(out)
            } else {
                set(.path(out))
            }
        default:
            refuse("")
        }
    }

    /// Concat of [σ(−z), σ(z)] (how scikit-learn writes a binary network's probabilities): the
    /// softmax of [0, z]. Anything else that joins the input's path is refused.
    func concatenate(_ node: Onnx_NodeProto, inputs: [Symbol?]) -> Path? {
        let parts = inputs.compactMap { s -> Path? in if case .path(let p)? = s { p } else { nil } }
        guard parts.count == 2, inputs.count == 2, int(node, "axis", 1) == 1 || int(node, "axis", 1) == -1,
            parts.allSatisfy({ !$0.isOpen && $0.activations.last == .sigmoid && $0.width == 1 }),
            parts[0].layers.dropLast() == parts[1].layers.dropLast(),
            parts[0].activations == parts[1].activations,
            let first = parts[0].layers.last, let second = parts[1].layers.last,
            let w0 = first.weight, let w1 = second.weight, w0.count == w1.count,
            zip(w0, w1).allSatisfy({ $0 == -$1 }), first.bias[0] == -second.bias[0]
        else { return nil }
        var out = parts[1]
        out.activations.removeLast()
        out.layers[out.layers.count - 1].multiply([0, 1], columns: 2, plus: [0, 0])
        out.width = 2
        out.softmax = true
        out.operators.append("Concat")
        return out
    }

    /// The value of a node whose inputs are all constants, for the few operators exporters use
    /// to prepare weights and shapes (nil when mle does not fold it).
    func fold(_ node: Onnx_NodeProto, _ inputs: [Constant?]) throws -> Constant? {
        let domain = node.domain == "ai.onnx" ? "" : node.domain
        guard domain.isEmpty else { return nil }
        switch node.opType {
        case "Constant":
            if let t = attribute(node, "value"), t.hasT { return try constant(t.t) }
            if let f = attribute(node, "value_float") { return Constant(dims: [], values: [Double(f.f)]) }
            if let f = attribute(node, "value_floats") {
                return Constant(dims: [f.floats.count], values: f.floats.map(Double.init))
            }
            if let i = attribute(node, "value_int") { return Constant(dims: [], values: [Double(i.i)]) }
            if let i = attribute(node, "value_ints") {
                return Constant(dims: [i.ints.count], values: i.ints.map(Double.init))
            }
            return nil
        case "Identity", "Cast":
            return inputs.first ?? nil
        case "Transpose":
            guard let c = inputs.first ?? nil, c.dims.count == 2, c.strings == nil else { return nil }
            let perm = attribute(node, "perm")?.ints ?? [1, 0]
            guard perm == [1, 0] else { return perm == [0, 1] ? c : nil }
            let r = c.dims[0], k = c.dims[1]
            var v = c.values
            for i in 0..<r { for j in 0..<k { v[j * r + i] = c.values[i * k + j] } }
            return Constant(dims: [k, r], values: v)
        case "Reshape":
            guard let c = inputs.first ?? nil, let s = inputs.count > 1 ? inputs[1] : nil else { return nil }
            var dims = s.values.enumerated().map { i, d in d == 0 && i < c.dims.count ? c.dims[i] : Int(d) }
            if let unknown = dims.firstIndex(of: -1) {
                let known = dims.enumerated().filter { $0.offset != unknown }.reduce(1) { $0 * max($1.element, 1) }
                guard known > 0 else { return nil }
                dims[unknown] = c.count / known
            }
            guard dims.allSatisfy({ $0 >= 0 }), dims.reduce(1, *) == c.count else { return nil }
            return Constant(dims: dims, values: c.values, strings: c.strings)
        case "Squeeze", "Unsqueeze":
            guard let c = inputs.first ?? nil else { return nil }
            // Only a change of shape: the values keep their order.
            let axes =
                attribute(node, "axes")?.ints.map(Int.init)
                ?? (inputs.count > 1 ? inputs[1]?.values.map { Int($0) } ?? [] : [])
            if node.opType == "Squeeze" {
                return Constant(dims: c.dims.filter { $0 != 1 }, values: c.values, strings: c.strings)
            }
            var dims = c.dims
            for a in axes.sorted() { dims.insert(1, at: min(max(a < 0 ? a + dims.count + 1 : a, 0), dims.count)) }
            return Constant(dims: dims, values: c.values, strings: c.strings)
        case "Neg":
            guard let c = inputs.first ?? nil, c.strings == nil else { return nil }
            return Constant(dims: c.dims, values: c.values.map { -$0 })
        case "Add", "Sub", "Mul", "Div":
            guard inputs.count == 2, let a = inputs[0], let b = inputs[1], a.strings == nil, b.strings == nil else {
                return nil
            }
            let op: (Double, Double) -> Double =
                switch node.opType {
                case "Add": (+)
                case "Sub": (-)
                case "Mul": (*)
                default: (/)
                }
            if a.values.count == b.values.count {
                return Constant(
                    dims: a.dims.count >= b.dims.count ? a.dims : b.dims, values: zip(a.values, b.values).map(op))
            }
            if b.values.count == 1 { return Constant(dims: a.dims, values: a.values.map { op($0, b.values[0]) }) }
            if a.values.count == 1 { return Constant(dims: b.dims, values: b.values.map { op(a.values[0], $0) }) }
            return nil
        default:
            return nil
        }
    }
}
