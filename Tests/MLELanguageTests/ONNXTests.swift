import Foundation
import MLELanguage
import MLELearning
import MLETensor
import MLETestSupport
import ONNXSchema
import Testing

/// onnxruntime's outputs for the first 40 rows of each fixture network
/// (scripts/fixtures/make_onnx_fixtures.sh).
private struct Recorded {
    var file: String
    var dataset: String
    var target: String
    var x: Matrix
    var probabilities: [[Double]]?
    var classes: [String]?
    var values: [Double]?
    var options: String
}

private func recorded() throws -> [Recorded] {
    let object = jsonFixture("MLELearningTests", "onnx/outputs.json")
    var out: [Recorded] = []
    for (file, value) in object.sorted(by: { $0.key < $1.key }) {
        guard let entry = value as? [String: Any], let x = entry["x"] as? [[Double]] else { continue }
        var options = entry["scaling"] as? String == "standardized" ? " scaling=standardized" : ""
        if entry["scaled_by"] != nil { options = " classes=[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]" }
        out.append(
            Recorded(
                file: file, dataset: entry["dataset"] as? String ?? "", target: entry["target"] as? String ?? "",
                x: try Matrix(x.map { $0.map(Float.init) }), probabilities: entry["probabilities"] as? [[Double]],
                classes: entry["classes"] as? [String], values: entry["values"] as? [Double], options: options))
    }
    return out
}

private func datasetPath(_ name: String) -> String {
    name.hasPrefix("onnx/") ? fixtureURL("MLELearningTests", name).path : dataPath(name)
}

private func onnxPath(_ file: String) -> String { fixtureURL("MLELearningTests", "onnx/\(file)").path }

@Test func everyExportersNetworkPredictsAsOnnxruntimeDoes() throws {
    let cases = try recorded()
    // Exporters: PyTorch's TorchScript and dynamo exporters, skl2onnx, tf2onnx, and mle's own.
    #expect(cases.count >= 15, "\(cases.map(\.file))")
    for c in cases {
        // Digits' network was trained on pixels / 16 and takes images: it is loaded without data=.
        let data = c.options.contains("classes=") ? "" : " data=d"
        let (session, out, ok) = run(
            """
            d = load "\(datasetPath(c.dataset))" target=\(c.target)
            net = load "\(onnxPath(c.file))"\(data)\(c.options)
            """)
        #expect(ok, "\(c.file): \(out.errors)")
        #expect(!out.notes.contains { $0.hasPrefix("warning") }, "\(c.file): \(out.notes)")
        guard case .model(let m)? = session.variables["net"] else { continue }
        let prediction = try m.model.predict(c.x)
        switch (prediction, c.probabilities, c.values) {
        case (.probabilities(let p), let expected?, _):
            guard case .classification(let names) = m.model.task, let classes = c.classes else {
                Issue.record("\(c.file) is not a classifier")
                continue
            }
            #expect(Set(names) == Set(classes), "\(c.file): \(names) vs \(classes)")
            var worst = 0.0
            for (r, row) in expected.enumerated() {
                for (j, name) in classes.enumerated() {
                    guard let k = names.firstIndex(of: name) else { continue }
                    worst = max(worst, abs(Double(p[r, k]) - row[j]))
                }
            }
            #expect(worst < 1e-5, "\(c.file): largest difference from onnxruntime \(worst)")
        case (.values(let v), _, let expected?):
            let worst = zip(v, expected).map { abs(Double($0) - $1) }.max() ?? 1
            #expect(v.count == expected.count && worst < 1e-5, "\(c.file): largest difference \(worst)")
        default:
            Issue.record("\(c.file): \(prediction) does not match the recorded kind")
        }
    }
}

@Test func importNotesSayWhatTheFileHoldsAndHowItIsMapped() {
    let (_, out, ok) = run(
        """
        d = load "\(dataPath("iris.csv"))" target=species
        net = load "\(onnxPath("skl_mlp_iris.onnx"))" data=d
        """)
    #expect(ok, "\(out.errors)")
    // Long summaries are wrapped to the width: read them as one line.
    let summary = out.results.joined(separator: " ").replacingOccurrences(of: "\n    ", with: " ")
    #expect(summary.contains("mlp 4-10-3, relu"), "\(summary)")
    #expect(summary.contains("written by skl2onnx"))
    #expect(summary.contains("Scaler, MatMul ×2, Add ×2, Relu, Softmax → 4-10-3"))
    #expect(summary.contains("input 'X', output 'output_probability'"))
    #expect(out.notes.contains("inputs: 4 (sepal_length, sepal_width, petal_length, petal_width)"))
    #expect(out.notes.contains("outputs: 0 → setosa, 1 → versicolor, 2 → virginica (as the file names them)"))

    // A single layer is a logistic regression (the BatchNorm before it folds in).
    let (_, linear, linearOK) = run(
        """
        d = load "\(dataPath("breast_cancer.csv"))" target=diagnosis
        lr = load "\(onnxPath("torchscript_linear.onnx"))" data=d
        """)
    #expect(linearOK, "\(linear.errors)")
    let linearSummary = linear.results.joined().replacingOccurrences(of: "\n    ", with: " ")
    #expect(linearSummary.contains("logistic 30→2 (softmax regression)"), "\(linear.results)")
    #expect(linearSummary.contains("BatchNormalization, Gemm"))

    // Without data=: δ is in the network's own input units, and the note says so.
    let (_, bare, bareOK) = run("r = load \"\(onnxPath("skl_mlp_regressor.onnx"))\"")
    #expect(bareOK, "\(bare.errors)")
    #expect(
        bare.results.joined().replacingOccurrences(of: "\n    ", with: " ").contains(
            "δ and other distances are in the network's input units"))
}

@Test func mlesOwnExportRunsInOnnxruntimeAndLoadsBackAsItWas() throws {
    // The committed ONNX files were written by mle's `save` from the committed safetensors; the
    // exporter run again on them must give the same graph, which onnxruntime ran (above).
    for name in ["mle_classifier", "mle_leaky", "mle_regressor"] {
        let file = try SafeTensors.read(path: onnxPath("\(name).safetensors"))
        let net = try MLP(mleFile: file, name: name)
        let again = try ONNXImport.parse(try net.onnxModel().serializedData(), name: name)
        let committed = try ONNXImport.read(path: onnxPath("\(name).onnx"))
        #expect(again.layers == committed.layers, "\(name): the exporter no longer writes the committed file")
        #expect(again.metadata == committed.metadata)
        // Loaded back without data=: the same features, classes, standardised units and predictions.
        let (session, out, ok) = run("net = load \"\(onnxPath("\(name).onnx"))\"")
        #expect(ok, "\(out.errors)")
        guard case .model(let m)? = session.variables["net"], let back = m.model as? MLP else { continue }
        #expect(back.featureNames == net.featureNames)
        #expect(back.task == net.task)
        #expect(isClose(back.standardizer.mean, net.standardizer.mean))
        #expect(isClose(back.standardizer.scale, net.standardizer.scale))
        #expect(back.activation == net.activation)
        let x = try Matrix((0..<40).map { r in (0..<net.featureNames.count).map { Float(r * 7 % 13) + Float($0) } })
        switch (try back.predict(x), try net.predict(x)) {
        case (.probabilities(let a), .probabilities(let b)):
            #expect(isClose(a.storage, b.storage, relative: 1e-5, absolute: 1e-6))
        case (.values(let a), .values(let b)):
            #expect(isClose(a, b, relative: 1e-5, absolute: 1e-5))
        default: Issue.record("\(name): prediction kinds differ")
        }
        // Weights back in mle's units: within float rounding of the original's (but a regression's
        // last layer, which carries the target's scale in the file).
        for (l, layer) in back.layers.enumerated() where net.task.isClassification || l < back.layers.count - 1 {
            #expect(isClose(layer.weight.storage, net.layers[l].weight.storage, relative: 1e-4, absolute: 1e-5))
        }
    }
}

@Test func anImportedNetworkIsANetworkLikeAnyOther() {
    let (_, out, ok) = run(
        """
        d = load "\(dataPath("breast_cancer.csv"))" target=diagnosis
        net = load "\(onnxPath("torchscript_mlp.onnx"))" data=d
        evaluate net d
        robust net d delta=0.05 samples=20 steps=3 restarts=1 seed=1
        robust net d delta=0.05 method=certify
        radius net d steps=3 restarts=1 seed=1
        coverage net d seed=1
        save net "\(FileManager.default.temporaryDirectory.path)/mle-onnx-again-\(getpid()).onnx"
        """)
    #expect(ok, "\(out.errors)")
    try? FileManager.default.removeItem(
        atPath: "\(FileManager.default.temporaryDirectory.path)/mle-onnx-again-\(getpid()).onnx")
}

// MARK: Graphs built here, with outputs computed by hand

private func tensor(_ name: String, _ dims: [Int], _ values: [Float]) -> Onnx_TensorProto {
    var t = Onnx_TensorProto()
    t.name = name
    t.dims = dims.map(Int64.init)
    t.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
    t.floatData = values
    return t
}

private func node(_ op: String, _ inputs: [String], _ outputs: [String], name: String = "", alpha: Float? = nil)
    -> Onnx_NodeProto
{
    var n = Onnx_NodeProto()
    n.opType = op
    n.input = inputs
    n.output = outputs
    n.name = name
    if let alpha {
        var a = Onnx_AttributeProto()
        a.name = "alpha"
        a.f = alpha
        a.type = .float
        n.attribute = [a]
    }
    return n
}

private func graph(
    _ nodes: [Onnx_NodeProto], _ initializers: [Onnx_TensorProto], inputs: [String] = ["x"], width: Int = 2,
    output: String = "y"
) -> Data {
    var g = Onnx_GraphProto()
    g.node = nodes
    g.initializer = initializers
    g.input = inputs.map { name in
        var v = Onnx_ValueInfoProto()
        v.name = name
        v.type.tensorType.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        var batch = Onnx_TensorShapeProto.Dimension()
        batch.dimParam = "N"
        var columns = Onnx_TensorShapeProto.Dimension()
        columns.dimValue = Int64(width)
        v.type.tensorType.shape.dim = [batch, columns]
        return v
    }
    var o = Onnx_ValueInfoProto()
    o.name = output
    g.output = [o]
    var m = Onnx_ModelProto()
    m.irVersion = 8
    m.graph = g
    return (try? m.serializedData()) ?? Data()
}

@Test func normalisationAndTwoLinearLayersFoldIntoOneByHand() throws {
    // y = ((x − [1, 2]) / [2, 4]) · W + b, W = [[1, 0], [0, 1]] → then · [[1], [1]] + 0.5
    // x = (3, 6): (1, 1) → 2 + 0.5 = 2.5.
    let data = graph(
        [
            node("Sub", ["x", "m"], ["a"]), node("Div", ["a", "s"], ["b"]),
            node("MatMul", ["b", "w1"], ["c"]), node("Gemm", ["c", "w2", "b2"], ["y"])
        ],
        [
            tensor("m", [2], [1, 2]), tensor("s", [2], [2, 4]), tensor("w1", [2, 2], [1, 0, 0, 1]),
            tensor("w2", [2, 1], [1, 1]), tensor("b2", [1], [0.5])
        ])
    let net = try ONNXImport.parse(data, name: "hand.onnx")
    #expect(net.layers.count == 1)
    #expect(net.output == .linear)
    // One layer: weights 1/2 and 1/4, bias 0.5 − 1/2 − 2/4 = −0.5.
    #expect(net.layers[0].weight.storage == [0.5, 0.25])
    #expect(net.layers[0].bias == [-0.5])
}

@Test func graphsMleCannotReduceAreRefusedNamingTheNodes() throws {
    let w = tensor("w", [2, 2], [1, 2, 3, 4]), b = tensor("b", [2], [0, 0])
    let cases: [(Data, String)] = [
        (
            graph(
                [
                    node("Gemm", ["x", "w", "b"], ["h"]), node("LeakyRelu", ["h"], ["a"], alpha: 0.2),
                    node("Gemm", ["a", "w", "b"], ["y"])
                ], [w, b]),
            "slope 0.2"
        ),
        (
            graph(
                [
                    node("Gemm", ["x", "w", "b"], ["h"]), node("Relu", ["h"], ["a"]),
                    node("Gemm", ["a", "w", "b"], ["h2"]), node("Tanh", ["h2"], ["a2"]),
                    node("Gemm", ["a2", "w", "b"], ["y"])
                ], [w, b]),
            "different activations (Relu, Tanh)"
        ),
        (
            graph([node("Gemm", ["x", "w", "b"], ["h"]), node("Add", ["h", "x"], ["y"], name: "residual")], [w, b]),
            "Add (node 'residual'): it combines two values computed from the input"
        ),
        (
            graph([node("Gemm", ["x", "w", "b"], ["h"]), node("Relu", ["h"], ["y"])], [w, b]),
            "ends in Relu"
        ),
        (
            graph([node("Gemm", ["x", "w", "b"], ["h"]), node("MaxPool", ["h"], ["y"], name: "pool")], [w, b]),
            "does not support MaxPool (node 'pool')"
        ),
        (graph([node("Gemm", ["x", "w", "b"], ["y"])], [w, b], inputs: ["x", "z"]), "this graph has 2 (x, z)"),
        (graph([node("Gemm", ["x", "w", "b"], ["y"])], [w, b], width: 3), "its weight is 2×2 for rows of 3 values"),
        (Data([0x0a, 0xff, 0xff]), "not an ONNX model"),
        (Data(), "it has no graph")
    ]
    for (data, message) in cases {
        #expect(throws: LearningError.self) { try ONNXImport.parse(data, name: "bad.onnx") }
        do {
            _ = try ONNXImport.parse(data, name: "bad.onnx")
        } catch {
            #expect("\(error)".contains(message), "\(message): \(error)")
        }
    }
}

@Test func theConvolutionalNetworkAndMissingExternalWeightsAreClearErrors() throws {
    let (_, out, ok) = run("net = load \"\(onnxPath("torchscript_conv.onnx"))\"")
    #expect(!ok)
    #expect(out.errors.joined().contains("does not support Conv (node '/0/Conv')"), "\(out.errors)")
    // The dynamo exporter's weights file left behind.
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mle-onnx-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let copy = dir.appendingPathComponent("alone.onnx")
    try FileManager.default.copyItem(at: URL(fileURLWithPath: onnxPath("dynamo_matmul.onnx")), to: copy)
    let (_, alone, aloneOK) = run("net = load \"\(copy.path)\"")
    #expect(!aloneOK)
    #expect(alone.errors.joined().contains("dynamo_matmul.onnx.data"), "\(alone.errors)")
    #expect(alone.errors.joined().contains("keep it beside the model"))
    // activation= is for state dicts: an ONNX file records its activations.
    let (_, act, actOK) = run("net = load \"\(onnxPath("torchscript_mlp.onnx"))\" activation=tanh")
    #expect(!actOK)
    #expect(act.errors.joined().contains("an ONNX file records its activations"), "\(act.errors)")
}

@Test func withoutDataTheRobustnessReportsSayDeltaIsInTheNetworksInputUnits() throws {
    let csv = FileManager.default.temporaryDirectory.appendingPathComponent("mle-onnx-units-\(getpid()).csv")
    defer { try? FileManager.default.removeItem(at: csv) }
    try "x1,x2,x3,x4,species\n5.1,3.5,1.4,0.2,setosa\n6.2,2.9,4.3,1.3,versicolor\n7.7,3.0,6.1,2.3,virginica\n"
        .write(to: csv, atomically: true, encoding: .utf8)
    let (session, out, ok) = run(
        """
        d = load "\(csv.path)" target=species
        net = load "\(onnxPath("skl_mlp_iris.onnx"))"
        robust net d delta=0.1 samples=10 steps=2 restarts=1 seed=1
        radius net d steps=2 restarts=1 seed=1
        """)
    #expect(ok, "\(out.errors)")
    let text = out.results.joined(separator: " ").replacingOccurrences(of: "\n    ", with: " ")
    #expect(text.contains("the network's input units: it was imported without data="), "\(text)")
    #expect(!text.contains("standardised feature units"))
    // With data=, the units are the data's standard deviations.
    let (_, withData, withDataOK) = run(
        """
        net = load "\(onnxPath("skl_mlp_iris.onnx"))" data=d
        robust net d delta=0.1 samples=10 steps=2 restarts=1 seed=1
        """, in: session)
    #expect(withDataOK, "\(withData.errors)")
    #expect(withData.results.joined(separator: " ").contains("standardised feature units"))
}

@Test func graphsThatWouldMakeHugeLayersAreRefusedBeforeAllocating() throws {
    // Two products without an activation between them: 100,000 × 1 then 1 × 100,000 compose
    // into 10¹⁰ weights from a file of under a megabyte.
    let n = 100_000
    let data = graph(
        [node("MatMul", ["x", "a"], ["h"]), node("MatMul", ["h", "b"], ["y"])],
        [tensor("a", [n, 1], [Float](repeating: 0.5, count: n)), tensor("b", [1, n], [Float](repeating: 2, count: n))],
        width: n)
    do {
        _ = try ONNXImport.parse(data, name: "huge.onnx")
        Issue.record("a 10¹⁰-weight layer was made")
    } catch {
        #expect("\(error)".contains("10000000000 weights") || "\(error)".contains("GB"), "\(error)")
    }
    // A normalisation alone over a row of 100,000 values would be a 100,000² layer.
    let scaler = graph(
        [node("Mul", ["x", "s"], ["y"])], [tensor("s", [1], [2])], width: n)
    #expect(throws: (any Error).self) { try ONNXImport.parse(scaler, name: "wide.onnx") }
}

@Test func linearRegressorDropoutAndFoldedConstantsReduceByHand() throws {
    // A weight given transposed through Transpose of a constant, a Dropout (inference: nothing),
    // then ai.onnx.ml's LinearRegressor: y = (x·Wᵀᵀ)·c + i with W = [[1, 2], [3, 4]] stored
    // transposed, c = [0.5, −1], i = 2. For x = (1, 1): x·W = (4, 6) → 2 − 6 + 2 = −2.
    var regressor = node("LinearRegressor", ["d"], ["y"])
    regressor.domain = "ai.onnx.ml"
    var coefficients = Onnx_AttributeProto()
    coefficients.name = "coefficients"
    coefficients.floats = [0.5, -1]
    coefficients.type = .floats
    var intercepts = Onnx_AttributeProto()
    intercepts.name = "intercepts"
    intercepts.floats = [2]
    intercepts.type = .floats
    regressor.attribute = [coefficients, intercepts]
    let data = graph(
        [
            node("Transpose", ["wt"], ["w"]), node("MatMul", ["x", "w"], ["h"]), node("Dropout", ["h"], ["d"]),
            regressor
        ],
        [tensor("wt", [2, 2], [1, 3, 2, 4])])
    let net = try ONNXImport.parse(data, name: "regressor.onnx")
    #expect(net.layers.count == 1 && net.output == .linear)
    #expect(net.operators == ["MatMul", "LinearRegressor"])
    let x = try Matrix([[1, 1]])
    var z = Matrix(rows: 1, cols: 1)
    try Matrix.gemm(x, net.layers[0].weight, into: &z)
    #expect(z[0, 0] + net.layers[0].bias[0] == -2)
}
