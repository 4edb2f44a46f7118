import Foundation
import MLELanguage
import MLELearning
import MLETensor
import MLETestSupport
import Testing

/// PyTorch's softmax outputs for the first 20 rows of breast_cancer
/// (scripts/fixtures/make_torch_layers_fixture.py).
private func outputs(_ key: String) throws -> (x: Matrix, p: [[Double]]) {
    let o = jsonFixture("MLELearningTests", "torch_layers_outputs.json")
    return (try Matrix((o["x"] as? [[Double]] ?? []).map { $0.map(Float.init) }), o[key] as? [[Double]] ?? [])
}

private func loaded(_ statement: String) throws -> (notes: [String], summary: String, model: ModelValue?) {
    let (session, out, ok) = run("d = load \"\(dataPath("breast_cancer.csv"))\" target=diagnosis\n" + statement)
    #expect(ok, "\(statement): \(out.errors)")
    guard case .model(let m)? = session.variables["net"] else { return (out.notes, out.errors.joined(), nil) }
    return (out.notes, out.results.joined(separator: " ").replacingOccurrences(of: "\n    ", with: " "), m)
}

private func matchesPyTorch(_ model: ModelValue?, _ key: String) throws -> Bool {
    let (x, expected) = try outputs(key)
    guard let model, case .probabilities(let p) = try model.model.predict(x), expected.count == 20 else { return false }
    return (0..<20).allSatisfy { r in (0..<2).allSatisfy { c in abs(Double(p[r, c]) - expected[r][c]) < 1e-5 } }
}

private func file(_ name: String) -> String { fixtureURL("MLELearningTests", name).path }

@Test func aSingleLinearLoadsAsLogisticRegression() throws {
    let (_, summary, model) = try loaded("net = load \"\(file("torch_linear.safetensors"))\" data=d")
    #expect(summary.contains("logistic 30→2 (softmax regression)"), "\(summary)")
    #expect(summary.contains("a single layer: logistic regression"))
    #expect(try matchesPyTorch(model, "linear"))
}

@Test func batchNormLayersFoldWhereverTheyStand() throws {
    // At the input, right after a Linear, and after an activation: all three fold.
    let (notes, summary, model) = try loaded("net = load \"\(file("torch_batchnorm.safetensors"))\" data=d")
    #expect(summary.contains("mlp 30-16-8-2"), "\(summary)")
    #expect(summary.contains("BatchNorm1d (eval mode, ε = 1e-5) folded: 0 into 1, 2 into 1, 6 into 7"), "\(summary)")
    #expect(!notes.contains { $0.hasPrefix("warning") }, "\(notes)")
    #expect(try matchesPyTorch(model, "batchnorm"))
}

@Test func layerNamesThatDoNotSortAreOrderedByLayers() throws {
    // input, hidden, output sort as hidden, input, output: the chain breaks, and the error says how to fix it.
    let (_, out, ok) = run(
        """
        d = load "\(dataPath("breast_cancer.csv"))" target=diagnosis
        net = load "\(file("torch_named.safetensors"))" data=d
        """)
    #expect(!ok)
    #expect(out.errors.joined().contains("layers=[…] gives the order"), "\(out.errors)")
    let (_, _, model) = try loaded(
        "net = load \"\(file("torch_named.safetensors"))\" data=d layers=[input, hidden, output]")
    #expect(try matchesPyTorch(model, "named"))
    for (statement, message) in [
        ("layers=[input, hidden]", "layers= leaves out output"),
        ("layers=[input, hidden, out]", "has no Linear or BatchNorm module 'out'"),
        ("layers=[input, input, output]", "names a module twice")
    ] {
        let line = "net = load \"\(file("torch_named.safetensors"))\" data=d \(statement)"
        let (_, bad, badOK) = run("d = load \"\(dataPath("breast_cancer.csv"))\" target=diagnosis\n" + line)
        #expect(!badOK)
        #expect(bad.errors.joined().contains(message), "\(statement): \(bad.errors)")
        // At the option's value, as every setting error.
        let column =
            line.distance(from: line.startIndex, to: line.range(of: "layers=")?.upperBound ?? line.endIndex) + 1
        #expect(bad.errors.joined().hasPrefix("t.mle:2:\(column): error:"), "the error is at the option: \(bad.errors)")
    }
}

@Test func modulesMleDoesNotKnowAreNamed() throws {
    var f = SafeTensors()
    f.tensors["0.weight"] = .init(shape: [4, 3], values: [Float](repeating: 0.5, count: 12))
    f.tensors["0.bias"] = .init(shape: [4], values: [Float](repeating: 0, count: 4))
    f.tensors["1.weight"] = .init(shape: [4], values: [Float](repeating: 1, count: 4))  // LayerNorm: no running stats
    f.tensors["1.bias"] = .init(shape: [4], values: [Float](repeating: 0, count: 4))
    f.tensors["2.weight"] = .init(shape: [2, 4], values: [Float](repeating: 0.5, count: 8))
    do {
        _ = try MLP.stateDictLayers(in: f, name: "f")
        Issue.record("a LayerNorm was read")
    } catch {
        #expect("\(error)".contains("it does not know the module '1.…' (bias [4], weight [4])"), "\(error)")
    }
    f.tensors["1.weight"] = nil
    f.tensors["1.bias"] = nil
    let (layers, folded) = try MLP.stateDictLayers(in: f, name: "f")
    #expect(layers.count == 2 && folded.isEmpty)
    #expect(layers[1].bias == [0, 0])  // no bias: zeros
}

@Test func aNamedBatchNormNeedsTheOrderGiven() throws {
    // fc1 (3 → 3), bn1, fc2: "bn1" sorts first, and as a 3-unit BatchNorm it would fold into fc1's
    // inputs without complaint; the order must be given instead.
    var f = SafeTensors()
    f.tensors["fc1.weight"] = .init(shape: [3, 3], values: [1, 0, 0, 0, 1, 0, 0, 0, 1])
    f.tensors["fc1.bias"] = .init(shape: [3], values: [0, 0, 0])
    f.tensors["bn1.running_mean"] = .init(shape: [3], values: [1, 2, 3])
    f.tensors["bn1.running_var"] = .init(shape: [3], values: [4, 4, 4])
    f.tensors["fc2.weight"] = .init(shape: [2, 3], values: [1, 1, 1, -1, -1, -1])
    f.tensors["fc2.bias"] = .init(shape: [2], values: [0, 0])
    #expect(throws: SettingError.self) { try MLP.stateDictLayers(in: f, name: "f") }
    let (layers, folded) = try MLP.stateDictLayers(in: f, name: "f", order: ["fc1", "bn1", "fc2"])
    #expect(folded == ["bn1 into fc1"])
    // After fc1 (the identity), bn1 is (x − mean)/√(var + ε): fc1's bias becomes −mean/√(4 + 1e-5).
    #expect(isClose(layers[0].bias, [1, 2, 3].map { -Float($0) / Float((4 + 1e-5).squareRoot()) }, relative: 1e-6))
}
