import Foundation
import MLETensor
import ONNXSchema
import SwiftProtobuf

/// ONNX export: the way a network leaves mle for any runtime.
///
/// The graph is the network as a function of its raw feature columns: Gemm layers with the
/// hidden activation between them and a Softmax ("probabilities", N × classes) for classes, or a
/// single value ("prediction", N × 1) for numbers. The standardisation is folded into the first
/// layer and a regression target's scaling into the last, in double precision. mle's metadata
/// (`mle.format`, `mle.features`, `mle.task`, `mle.classes`, `mle.means`, `mle.scales`) lets mle
/// read the file back with its feature names, classes and standardised units; other runtimes
/// ignore it. A model with a preprocessing pipeline (imputation, encodings) is exported from its
/// encoded features: the pipeline stays in mle (`featureNames` are the graph's columns).
extension MLP {
    public static let onnxFormat = "mle-mlp-onnx"

    /// The layers as functions of the raw columns, in double precision.
    func foldedLayers() -> [(weight: [Double], bias: [Double], inputs: Int, outputs: Int)] {
        var out: [(weight: [Double], bias: [Double], inputs: Int, outputs: Int)] = []
        for (l, layer) in layers.enumerated() {
            let n = layer.inputs, k = layer.outputs
            var w = layer.weight.storage.map(Double.init)
            var b = layer.bias.map(Double.init)
            if l == 0 {
                // ((x − m)/s)·W + b = x·(W/s) + (b − Σ_i m_i/s_i·W_i)
                for i in 0..<n {
                    let s = Double(standardizer.scale[i]), m = Double(standardizer.mean[i])
                    for o in 0..<k {
                        b[o] -= m / s * w[i * k + o]
                        w[i * k + o] /= s
                    }
                }
            }
            if l == layers.count - 1, !task.isClassification {
                let s = Double(targetScale), m = Double(targetMean)
                for i in 0..<w.count { w[i] *= s }
                for o in 0..<k { b[o] = b[o] * s + m }
            }
            out.append((w, b, n, k))
        }
        return out
    }

    public func onnxModel() -> Onnx_ModelProto {
        func tensor(_ name: String, _ dims: [Int], _ values: [Double]) -> Onnx_TensorProto {
            var t = Onnx_TensorProto()
            t.name = name
            t.dims = dims.map(Int64.init)
            t.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
            var bytes = Data(capacity: values.count * 4)
            for v in values {
                var le = Float(v).bitPattern.littleEndian
                withUnsafeBytes(of: &le) { bytes.append(contentsOf: $0) }
            }
            t.rawData = bytes
            return t
        }
        func valueInfo(_ name: String, _ width: Int) -> Onnx_ValueInfoProto {
            var v = Onnx_ValueInfoProto()
            v.name = name
            var type = Onnx_TypeProto.Tensor()
            type.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
            var batch = Onnx_TensorShapeProto.Dimension()
            batch.dimParam = "batch"
            var columns = Onnx_TensorShapeProto.Dimension()
            columns.dimValue = Int64(width)
            type.shape.dim = [batch, columns]
            v.type.tensorType = type
            return v
        }
        func node(_ op: String, _ inputs: [String], _ output: String, _ attributes: [Onnx_AttributeProto] = [])
            -> Onnx_NodeProto
        {
            var n = Onnx_NodeProto()
            n.opType = op
            n.name = output + "/" + op
            n.input = inputs
            n.output = [output]
            n.attribute = attributes
            return n
        }
        func attribute(_ name: String, int: Int? = nil, float: Float? = nil) -> Onnx_AttributeProto {
            var a = Onnx_AttributeProto()
            a.name = name
            if let int { a.i = Int64(int); a.type = .int }
            if let float { a.f = float; a.type = .float }
            return a
        }
        var graph = Onnx_GraphProto()
        graph.name = "mle_\(kind)"
        let inputName = "features"
        let outputName = task.isClassification ? "probabilities" : "prediction"
        graph.input = [valueInfo(inputName, layers.first?.inputs ?? 0)]
        var current = inputName
        let folded = foldedLayers()
        for (l, layer) in folded.enumerated() {
            let last = l == folded.count - 1
            graph.initializer.append(tensor("layers.\(l).weight", [layer.inputs, layer.outputs], layer.weight))
            graph.initializer.append(tensor("layers.\(l).bias", [layer.outputs], layer.bias))
            let z = last && !task.isClassification ? outputName : "layers.\(l).output"
            graph.node.append(node("Gemm", [current, "layers.\(l).weight", "layers.\(l).bias"], z))
            current = z
            if !last {
                let a = "layers.\(l).\(activation.rawValue)"
                switch activation {
                case .relu: graph.node.append(node("Relu", [current], a))
                case .tanh: graph.node.append(node("Tanh", [current], a))
                case .sigmoid: graph.node.append(node("Sigmoid", [current], a))
                case .leakyRelu: graph.node.append(node("LeakyRelu", [current], a, [attribute("alpha", float: 0.01)]))
                }
                current = a
            }
        }
        if task.isClassification {
            graph.node.append(node("Softmax", [current], outputName, [attribute("axis", int: 1)]))
        }
        graph.output = [valueInfo(outputName, layers.last.map { task.isClassification ? $0.outputs : 1 } ?? 1)]
        var model = Onnx_ModelProto()
        model.irVersion = 8
        var opset = Onnx_OperatorSetIdProto()
        opset.version = 17
        model.opsetImport = [opset]
        model.producerName = "mle"
        model.graph = graph
        func json(_ value: Any) -> String {
            (try? JSONSerialization.data(withJSONObject: value)).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
        }
        var metadata: [(String, String)] = [
            ("mle.format", MLP.onnxFormat), ("mle.features", json(featureNames)),
            ("mle.means", json(standardizer.mean.map(Double.init))),
            ("mle.scales", json(standardizer.scale.map(Double.init)))
        ]
        switch task {
        case .classification(let names):
            metadata += [("mle.task", "classification"), ("mle.classes", json(names))]
        case .regression:
            metadata.append(("mle.task", "regression"))
        }
        model.metadataProps = metadata.map { key, value in
            var entry = Onnx_StringStringEntryProto()
            entry.key = key
            entry.value = value
            return entry
        }
        return model
    }

    /// Writes the network as an ONNX file, atomically.
    public func writeONNX(path: String) throws {
        let data: Data
        do { data = try onnxModel().serializedData() } catch {
            throw LearningError.invalid("cannot encode the network as ONNX: \(error)")
        }
        do { try AtomicFile.write(data, to: path) } catch {
            throw LearningError.invalid("cannot write '\(path)': \((error as NSError).localizedDescription)")
        }
    }
}
