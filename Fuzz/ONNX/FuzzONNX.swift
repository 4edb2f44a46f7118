import Foundation
import FuzzONNXShim
import MLELearning
import MLETensor

/// libFuzzer target: the ONNX reader (protobuf decoding and the graph's reduction to layers) on
/// any bytes; a network that loads is made into an MLP, run on one row and exported again.
@_cdecl("mle_fuzz_one")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let bytes = Data(UnsafeBufferPointer(start: data, count: size))
    guard let network = try? ONNXImport.parse(bytes, name: "fuzz.onnx"), let first = network.layers.first,
        first.inputs <= 4096
    else { return 0 }
    let outputs = network.layers.last?.outputs ?? 1
    let task: Task = outputs == 1 ? .regression : .classification(classNames: (0..<outputs).map(String.init))
    if let net = try? MLP(
        pytorchLayers: network.layers, name: "fuzz", features: (0..<first.inputs).map { "x\($0)" }, task: task,
        standardizer: nil)
    {
        _ = try? net.predict(Matrix(rows: 1, cols: first.inputs))
        _ = try? net.onnxModel().serializedData()
    }
    return 0
}
