import Foundation
import FuzzSafeTensorsShim
import MLELearning
import MLETensor

/// libFuzzer target: the safetensors reader and the model readers (mle's network and model formats
/// and a PyTorch state dict of Linear and BatchNorm layers) on any bytes; a network that loads is run on one row.
@_cdecl("mle_fuzz_one")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let bytes = Data(UnsafeBufferPointer(start: data, count: size))
    guard let file = try? SafeTensors.parse(bytes, name: "fuzz.safetensors") else { return 0 }
    if let net = try? MLP(mleFile: file, name: "fuzz.safetensors") {
        _ = try? net.predict(Matrix(rows: 1, cols: net.featureNames.count))
    }
    _ = try? ModelFile.decode(file, name: "fuzz.safetensors")
    if let layers = try? MLP.stateDictLayers(in: file, name: "fuzz").layers, let first = layers.first,
        first.inputs <= 4096
    {
        let features = (0..<first.inputs).map { "x\($0)" }
        if let net = try? MLP(
            pytorchLayers: layers, name: "fuzz", features: features,
            task: .classification(classNames: (0..<max(2, layers.last?.outputs ?? 2)).map(String.init)),
            standardizer: nil)
        {
            _ = try? net.predict(Matrix(rows: 1, cols: first.inputs))
        }
    }
    return 0
}
