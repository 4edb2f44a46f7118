import Foundation
import MLELanguage
import MLELearning
import MLETensor
import MLETestSupport
import Testing

/// PyTorch's outputs for the first 20 rows of breast_cancer (scripts/fixtures/make_torch_fixture.py).
private func torchOutputs() throws -> (x: Matrix, multi: [[Double]]) {
    let url = fixtureURL("MLELearningTests", "torch_outputs.json")
    let o = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    return (try Matrix((o["x"] as? [[Double]] ?? []).map { $0.map(Float.init) }), o["multi"] as? [[Double]] ?? [])
}

/// torch_mlp as a user saves it more often: trained on standardised inputs with the scaler kept
/// outside (the fixture has the scaler folded into its first layer; unfolding it gives the network
/// as trained), and optionally with its two outputs in scikit-learn's order (malignant first).
private func variant(unfold: Bool, swapOutputs: Bool, data: Dataset, to path: String) throws {
    var file = try SafeTensors.read(path: fixtureURL("MLELearningTests", "torch_mlp.safetensors").path)
    if unfold, var w = file.tensors["0.weight"], var b = file.tensors["0.bias"] {
        // W′ = W / sd, b′ = b − W·(mean / sd)  ⇒  W = W′·sd, b = b′ + W′·mean.
        let s = Standardizer.fit(data.features)
        let inputs = w.shape[1]
        for o in 0..<w.shape[0] {
            for i in 0..<inputs {
                b.values[o] += w.values[o * inputs + i] * s.mean[i]
                w.values[o * inputs + i] *= s.scale[i]
            }
        }
        file.tensors["0.weight"] = w; file.tensors["0.bias"] = b
    }
    if swapOutputs, var w = file.tensors["4.weight"], var b = file.tensors["4.bias"] {
        let inputs = w.shape[1]
        for i in 0..<inputs { w.values.swapAt(i, inputs + i) }
        b.values.swapAt(0, 1)
        file.tensors["4.weight"] = w; file.tensors["4.bias"] = b
    }
    try file.write(path: path)
}

@Test func importsThatWouldMisleadSaySoAndTheirOptionsFixThem() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mle-import-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let dataFile = dataPath("breast_cancer.csv")
    let data = try Dataset.load(path: dataFile, targetName: "diagnosis")
    let scaled = dir.appendingPathComponent("scaled.safetensors").path
    let swapped = dir.appendingPathComponent("swapped.safetensors").path
    try variant(unfold: true, swapOutputs: false, data: data, to: scaled)
    try variant(unfold: false, swapOutputs: true, data: data, to: swapped)
    let (x, multi) = try torchOutputs()
    let (session, _, ok) = run("d = load \"\(dataFile)\" target=diagnosis")
    #expect(ok)

    func load(_ statement: String) throws -> (notes: [String], probabilities: Matrix) {
        let (_, out, done) = run(statement, in: session)
        #expect(done, "\(out.errors)")
        guard case .model(let m)? = session.variables["net"] else { throw LearningError.invalid("no net") }
        guard case .probabilities(let p) = try m.model.predict(x) else { throw LearningError.invalid("no p") }
        return (out.notes, p)
    }
    func matchesTorch(_ p: Matrix) -> Bool {
        (0..<20).allSatisfy { r in (0..<2).allSatisfy { c in abs(Double(p[r, c]) - multi[r][c]) < 1e-4 } }
    }

    // The scaler outside the network: read as raw inputs it is wrong, and says so.
    let wrong = try load("net = load \"\(scaled)\" data=d")
    #expect(wrong.notes.contains { $0.hasPrefix("warning: the network") && $0.contains("scaling=standardized") })
    #expect(!matchesTorch(wrong.probabilities))
    let right = try load("net = load \"\(scaled)\" data=d scaling=standardized")
    #expect(!right.notes.contains { $0.hasPrefix("warning") }, "\(right.notes)")
    #expect(matchesTorch(right.probabilities))
    // The same scaler given as numbers.
    let s = Standardizer.fit(data.features)
    let given = try load(
        "net = load \"\(scaled)\" means=[\(s.mean.map { "\($0)" }.joined(separator: ", "))] scales=[\(s.scale.map { "\($0)" }.joined(separator: ", "))] data=d"
    )
    #expect(matchesTorch(given.probabilities))

    // Output 0 is malignant: in name order the classes are swapped, which the warning catches;
    // classes= puts them right.
    let swappedWrong = try load("net = load \"\(swapped)\" data=d")
    #expect(
        swappedWrong.notes.contains(
            "outputs: 0 → benign, 1 → malignant (the classes in name order; classes= to change)"))
    #expect(swappedWrong.notes.contains { $0.contains("is below the zero rule's") })
    let swappedRight = try load("net = load \"\(swapped)\" data=d classes=[malignant, benign]")
    #expect(swappedRight.notes.contains("outputs: 0 → malignant, 1 → benign"))
    #expect(!swappedRight.notes.contains { $0.hasPrefix("warning") })
    #expect(matchesTorch(swappedRight.probabilities))

    // Mistakes in the options are errors at the option.
    for (statement, message) in [
        ("net = load \"\(swapped)\" data=d classes=[a, b]", "classes= names 2 classes"),
        ("net = load \"\(scaled)\" scaling=standardized", "give data="),
        ("net = load \"\(scaled)\" means=[1, 2] scales=[1, 2]", "takes 30 inputs"),
        ("net = load \"\(scaled)\" means=[1, 2]", "give means= and scales= together"),
        ("net = load \"\(dataFile)\" scaling=standardized", "is for network files")
    ] {
        let (_, out, done) = run(statement, in: session)
        #expect(!done)
        #expect(out.errors.joined().contains(message), "\(statement): \(out.errors)")
    }
}
