import FuzzCSVShim
import MLELearning

/// libFuzzer target: the streaming CSV loader on any bytes, from memory (no temporary file),
/// with and without a target column, beside the simple reference reader: when both read the
/// input they must give the same dataset.
@_cdecl("mle_fuzz_one")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    for target in [nil, "y"] as [String?] {
        let streamed = try? Dataset.read(csv: bytes, name: "fuzz.csv", targetName: target)
        guard let text = String(validating: bytes, as: UTF8.self),
            let table = try? CSVReader.parse(text, file: "fuzz.csv"),
            let reference = try? Dataset.read(table, file: "fuzz.csv", targetName: target)
        else { continue }
        if let streamed {
            let a = streamed.data, b = reference.data
            let same =
                a.featureNames == b.featureNames && a.columnKinds == b.columnKinds && a.target == b.target
                && a.features.storage.map(\.bitPattern) == b.features.storage.map(\.bitPattern)
                && streamed.droppedRows == reference.droppedRows
            if !same { fatalError("the streaming loader and the reference reader disagree") }
        }
    }
    return 0
}
