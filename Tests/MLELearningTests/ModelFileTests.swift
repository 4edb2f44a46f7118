import Foundation
import MLETensor
import MLETestSupport
import Testing

@testable import MLELearning

private let fixtures = fixtureURL("MLELearningTests", "")

private func probabilities(_ p: Prediction) -> Matrix? {
    if case .probabilities(let m) = p { return m }
    return nil
}

@Test func mleNetworksSurviveTheRoundTrip() throws {
    let data = try Dataset.load(
        path: packageRoot.appendingPathComponent("datasets/breast_cancer.csv").path, targetName: "diagnosis")
    var config = MLPConfig()
    config.hidden = [8, 4]
    config.epochs = 3
    let net = try MLPTrainer.train(data, config: config).model
    #expect(net.profile != nil)
    let bytes = try net.safeTensors().serialized()
    let back = try MLP(mleFile: try SafeTensors.parse(bytes), name: "net")
    #expect(back.layers == net.layers && back.standardizer == net.standardizer && back.profile == net.profile)
    #expect(back.featureNames == net.featureNames && back.task == net.task)
    let a = try #require(probabilities(try net.predict(data))), b = try #require(probabilities(try back.predict(data)))
    #expect(a.storage == b.storage)
    // The layout is PyTorch's: layers.0.weight is outputs × inputs.
    let file = try SafeTensors.parse(bytes)
    #expect(file.tensors["layers.0.weight"]?.shape == [8, 30])
    #expect(file.tensors["layers.0.weight"]?.values[1] == net.layers[0].weight[1, 0])
    // Regression: target scaling travels too.
    let reg = MLP(
        layers: net.layers.dropLast() + [DenseLayer(weight: Matrix(rows: 4, cols: 1), bias: [0.5])],
        standardizer: net.standardizer,
        featureNames: net.featureNames, task: .regression, targetMean: 3.25, targetScale: 0.5)
    let regBack = try MLP(mleFile: try SafeTensors.parse(try reg.safeTensors().serialized()), name: "reg")
    #expect(
        regBack.task == .regression && regBack.targetMean == 3.25 && regBack.targetScale == 0.5
            && regBack.profile == nil)
}

@Test func pytorchNetworksGiveTorchsProbabilities() throws {
    let outputs = try #require(
        try JSONSerialization.jsonObject(with: Data(contentsOf: fixtures.appendingPathComponent("torch_outputs.json")))
            as? [String: Any])
    let x = try Matrix((outputs["x"] as? [[Double]] ?? []).map { $0.map(Float.init) })
    let multi = outputs["multi"] as? [[Double]] ?? [], binary = outputs["binary"] as? [Double] ?? []
    #expect(x.rows == 20 && multi.count == 20 && binary.count == 20)
    let data = try Dataset.load(
        path: packageRoot.appendingPathComponent("datasets/breast_cancer.csv").path, targetName: "diagnosis")
    let classes = Task.classification(classNames: ["benign", "malignant"])
    let file = try SafeTensors.read(path: fixtures.appendingPathComponent("torch_mlp.safetensors").path)
    // As saved (inputs in the network's own units), and with breast_cancer's standardisation folded in.
    for standardizer in [nil, Standardizer.fit(data.features)] {
        let net = try MLP(
            pytorchFile: file, name: "torch_mlp", features: data.featureNames, task: classes, standardizer: standardizer
        )
        #expect(net.widths == [30, 12, 8, 2])
        let p = try #require(probabilities(try net.predict(x)))
        for r in 0..<20 { for c in 0..<2 { #expect(abs(Double(p[r, c]) - multi[r][c]) < 2e-5) } }
    }
    // One logit read as a binary classifier: softmax of (0, z) is the sigmoid.
    let one = try SafeTensors.read(path: fixtures.appendingPathComponent("torch_binary.safetensors").path)
    let net = try MLP(
        pytorchFile: one, name: "torch_binary", features: data.featureNames, task: classes,
        standardizer: Standardizer.fit(data.features))
    let p = try #require(probabilities(try net.predict(x)))
    for r in 0..<20 { #expect(abs(Double(p[r, 1]) - binary[r]) < 2e-5) }
    // Tanh and Sigmoid networks, with the activation given (state dicts do not record it).
    for (name, activation) in [("tanh", Kernels.Activation.tanh), ("sigmoid", .sigmoid)] {
        let expected = try #require(outputs[name] as? [[Double]])
        var smooth = try MLP(
            pytorchFile: try SafeTensors.read(path: fixtures.appendingPathComponent("torch_\(name).safetensors").path),
            name: name, features: data.featureNames, task: classes, standardizer: nil)
        smooth.activation = activation
        let q = try #require(probabilities(try smooth.predict(x)))
        for r in 0..<20 { for c in 0..<2 { #expect(abs(Double(q[r, c]) - expected[r][c]) < 1e-5, "\(name) row \(r)") } }
        // Saved by mle and read back, the activation travels in the metadata.
        let back = try MLP(mleFile: try SafeTensors.parse(try smooth.safeTensors().serialized()), name: name)
        #expect(back.activation == activation)
    }
    // A wrong count of classes or features is an error, not a crash.
    #expect(throws: LearningError.self) {
        try MLP(pytorchFile: file, name: "t", features: ["a"], task: classes, standardizer: nil)
    }
    #expect(throws: LearningError.self) {
        try MLP(
            pytorchFile: file, name: "t", features: data.featureNames,
            task: .classification(classNames: ["a", "b", "c"]), standardizer: nil)
    }
}

/// A safetensors file by hand: one tensor "t" of the given dtype and raw bytes.
private func handMade(dtype: String, shape: [Int], bytes: [UInt8], offsets: [Int]? = nil) -> Data {
    let range = offsets ?? [0, bytes.count]
    let header = "{\"t\":{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":\(range)}}"
    var out = Data()
    var n = UInt64(header.utf8.count).littleEndian
    withUnsafeBytes(of: &n) { out.append(contentsOf: $0) }
    out.append(contentsOf: Array(header.utf8))
    out.append(contentsOf: bytes)
    return out
}

@Test func safetensorsDecodesEveryFloatType() throws {
    // 1.5 and −2 in each width, little-endian.
    let f64 = (1.5).bitPattern, g64 = (-2.0).bitPattern
    let bytes64 =
        (0..<8).map { UInt8(truncatingIfNeeded: f64 >> (8 * UInt64($0))) }
        + (0..<8).map { UInt8(truncatingIfNeeded: g64 >> (8 * UInt64($0))) }
    #expect(try SafeTensors.parse(handMade(dtype: "F64", shape: [2], bytes: bytes64)).tensors["t"]?.values == [1.5, -2])
    // Half: 1.5 = 0x3E00, −2 = 0xC000, 2⁻²⁴ (the smallest subnormal) = 0x0001.
    #expect(
        try SafeTensors.parse(handMade(dtype: "F16", shape: [3], bytes: [0x00, 0x3E, 0x00, 0xC0, 0x01, 0x00])).tensors[
            "t"]?.values
            == [1.5, -2, Float(pow(2.0, -24.0))])
    // bfloat16: the top half of the float32 pattern (1.5 = 0x3FC0).
    #expect(
        try SafeTensors.parse(handMade(dtype: "BF16", shape: [1], bytes: [0xC0, 0x3F])).tensors["t"]?.values == [1.5])
}

@Test func malformedModelFilesAreErrors() throws {
    let good = handMade(dtype: "F32", shape: [1], bytes: [0, 0, 0xC0, 0x3F])
    #expect(try SafeTensors.parse(good).tensors["t"]?.values == [1.5])
    let cases: [Data] = [
        Data([1, 2, 3]),  // shorter than the length
        Data([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]) + Data("{}".utf8),  // length past the end
        good.prefix(good.count - 2),  // data cut short
        handMade(dtype: "F32", shape: [2], bytes: [0, 0, 0xC0, 0x3F]),  // shape larger than the data
        handMade(dtype: "F32", shape: [1], bytes: [0, 0, 0xC0, 0x3F], offsets: [4, 0]),
        handMade(dtype: "U64", shape: [1], bytes: [0, 0, 0, 0, 0, 0, 0, 0]),  // a type mle does not read
        handMade(dtype: "F32", shape: [-1], bytes: []),
        Data([2, 0, 0, 0, 0, 0, 0, 0]) + Data("[]".utf8)  // header not an object
    ]
    for data in cases {
        #expect(throws: LearningError.self) { try SafeTensors.parse(data) }
    }
    // A chain that does not connect names its layers.
    var file = SafeTensors()
    file.tensors["0.weight"] = .init(shape: [4, 3], values: [Float](repeating: 0, count: 12))
    file.tensors["2.weight"] = .init(shape: [2, 5], values: [Float](repeating: 0, count: 10))
    #expect(throws: LearningError.self) { try MLP.linearLayers(in: file, prefix: "", name: "f") }
    #expect(MLP.naturalOrder("fc2", "fc10") && MLP.naturalOrder("2", "10") && !MLP.naturalOrder("net.10", "net.2"))
}

/// A safetensors file with the given header text over `bytes`.
private func rawFile(_ header: String, bytes: [UInt8]) -> Data {
    var out = Data()
    var n = UInt64(header.utf8.count).littleEndian
    withUnsafeBytes(of: &n) { out.append(contentsOf: $0) }
    out.append(contentsOf: Array(header.utf8))
    out.append(contentsOf: bytes)
    return out
}

private func message(_ body: () throws -> Void) -> String {
    do { try body() } catch { return "\(error)" }
    return "no error"
}

@Test func damagedSafetensorsHeadersAreRefusedWithTheReason() throws {
    let four: [UInt8] = [0, 0, 0xC0, 0x3F, 0, 0, 0x80, 0x3F]
    let cases: [(String, [UInt8], String)] = [
        (#"{"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}"#, four, "two whole numbers"),
        (#"{"t":{"dtype":"F32","shape":[1],"data_offsets":["0",4]}}"#, four, "two whole numbers"),
        (#"{"t":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#, four, "not a list of whole numbers"),
        (#"{"t":{"dtype":"F32","shape":[true],"data_offsets":[0,4]}}"#, four, "not a list of whole numbers"),
        (#"{"t":{"dtype":"F32","shape":[1],"data_offsets":[0.5,4]}}"#, four, "two whole numbers"),
        (
            #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,
            four, "overlaps"
        ),
        (
            #"{"t":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, four,
            "bytes 0..<4 of the data belong to no tensor"
        ),
        (
            #"{"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, four,
            "bytes 4..<8 of the data belong to no tensor"
        )
    ]
    for (header, bytes, reason) in cases {
        let m = message { _ = try SafeTensors.parse(rawFile(header, bytes: bytes)) }
        #expect(m.contains(reason), "\(header): \(m)")
    }
    // Two tensors that tile the data exactly are read.
    let two = try SafeTensors.parse(
        rawFile(
            #"{"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#,
            bytes: four))
    #expect(two.tensors["a"]?.values == [1.5] && two.tensors["b"]?.values == [1])
}

@Test func damagedMLEModelFilesAreRefusedRatherThanLoadedSmallerOrWrong() throws {
    let data = try Dataset.load(path: dataPath("iris.csv"), targetName: "species")
    var config = MLPConfig()
    config.hidden = [5, 4]
    config.epochs = 2
    let net = try MLPTrainer.train(data, config: config).model
    let good = net.safeTensors()
    #expect(try MLP(mleFile: try SafeTensors.parse(try good.serialized()), name: "m").layers.count == 3)
    func damaged(_ change: (inout SafeTensors) -> Void) -> String {
        var file = good
        change(&file)
        return message {
            // Through the bytes, as a file on disk would be read.
            _ = try MLP(mleFile: try SafeTensors.parse(try file.serialized()), name: "m.safetensors")
        }
    }
    let cases: [(String, (inout SafeTensors) -> Void, String)] = [
        ("NaN mean", { $0.tensors["standardizer.mean"]?.values[1] = .nan }, "standardizer mean is not a finite"),
        ("inf mean", { $0.tensors["standardizer.mean"]?.values[0] = .infinity }, "standardizer mean is not a finite"),
        ("zero scale", { $0.tensors["standardizer.scale"]?.values[0] = 0 }, "scale is not a positive"),
        (
            "no layers.0",
            {
                $0.tensors["layers.0.weight"] = nil; $0.tensors["layers.0.bias"] = nil
            }, "not layers.0 … layers.N"
        ),
        ("no bias", { $0.tensors["layers.1.bias"] = nil }, "not layers.0 … layers.N"),
        (
            "1-D weight",
            {
                let w = $0.tensors["layers.0.weight"]!
                $0.tensors["layers.0.weight"] = .init(shape: [w.values.count], values: w.values)
            }, "layers.0 is not a 2-D weight"
        ),
        (
            "extra layer",
            {
                $0.tensors["layers.7.weight"] = .init(shape: [1, 1], values: [1])
                $0.tensors["layers.7.bias"] = .init(shape: [1], values: [0])
            }, "not layers.0 … layers.N"
        ),
        ("NaN weight", { $0.tensors["layers.2.weight"]?.values[3] = .nan }, "not finite"),
        ("NaN profile", { $0.tensors["profile.1.post_high"]?.values[0] = .nan }, "profile.1.post_high"),
        ("NaN target mean", { $0.metadata["target_mean"] = "nan" }, "target_mean is not finite"),
        ("zero target scale", { $0.metadata["target_scale"] = "0" }, "target_scale is not a positive")
    ]
    for (what, change, reason) in cases {
        let m = damaged(change)
        #expect(m.contains(reason), "\(what): \(m)")
    }
}

@Test func atomicWritesLeaveNoPartialFileAndSweepWhatAKilledProcessLeft() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mle-atomic-\(getpid())")
    let state = dir.appendingPathComponent("state").path, markers = state + "/partial"
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("out.csv").path
    try AtomicFile.write(Data("a\n1\n".utf8), to: path, markers: markers)
    #expect(try String(contentsOfFile: path, encoding: .utf8) == "a\n1\n")
    // A write that fails (its folder is not writable) leaves the old file and nothing beside it.
    let locked = dir.appendingPathComponent("locked")
    try FileManager.default.createDirectory(at: locked, withIntermediateDirectories: true)
    chmod(locked.path, 0o500)
    defer { chmod(locked.path, 0o700) }
    if getuid() != 0 {
        #expect(throws: (any Error).self) {
            try AtomicFile.write(Data("x".utf8), to: locked.path + "/f.csv", markers: markers)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: locked.path).isEmpty)
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["locked", "out.csv", "state"])
    // No marker outlives a write.
    #expect(try FileManager.default.contentsOfDirectory(atPath: state + "/partial").isEmpty)

    // A process killed mid-write left a partial file and its marker: the next start removes both.
    let child = Process()
    child.executableURL = URL(fileURLWithPath: "/bin/true")
    try child.run()
    child.waitUntilExit()
    let dead = child.processIdentifier
    let partial = dir.appendingPathComponent(".big.csv.\(dead).1.mle-partial").path
    try Data(count: 1000).write(to: URL(fileURLWithPath: partial))
    try Data(partial.utf8).write(to: URL(fileURLWithPath: state + "/partial/\(dead)-1"))
    // A write still in progress in a live process (this one) is left alone.
    let live = dir.appendingPathComponent(".other.csv.\(getpid()).9.mle-partial").path
    try Data(count: 10).write(to: URL(fileURLWithPath: live))
    try Data(live.utf8).write(to: URL(fileURLWithPath: state + "/partial/\(getpid())-999999"))
    #expect(AtomicFile.sweepAbandoned(markers: markers) == [partial])
    #expect(!FileManager.default.fileExists(atPath: partial) && FileManager.default.fileExists(atPath: live))
    #expect(try FileManager.default.contentsOfDirectory(atPath: state + "/partial") == ["\(getpid())-999999"])
}

@Test func passesOverManyRowsInBlocksEqualPassesRowByBlock() throws {
    // 70,000 rows go through in two blocks; every row's values equal those of the row alone in a
    // small pass (up to OpenBLAS's summation order).
    var rng = SeededGenerator(seed: 3)
    let layers = [
        DenseLayer(
            weight: try Matrix((0..<5).map { _ in (0..<8).map { _ in Float(rng.nextNormal()) } }),
            bias: [Float](repeating: 0.1, count: 8)),
        DenseLayer(
            weight: try Matrix((0..<8).map { _ in (0..<3).map { _ in Float(rng.nextNormal()) } }), bias: [0, 0.2, -0.1])
    ]
    let net = MLP(
        layers: layers,
        standardizer: Standardizer(mean: [Float](repeating: 0, count: 5), scale: [Float](repeating: 1, count: 5)),
        featureNames: ["a", "b", "c", "d", "e"], task: .classification(classNames: ["x", "y", "z"]))
    var x = Matrix(rows: 70_000, cols: 5)
    for i in x.storage.indices { x.storage[i] = Float(rng.nextNormal()) }
    let all = try net.forward(standardized: x)
    let outputs = try net.outputs(standardized: x)
    for r in [0, 65_535, 65_536, 69_999] {
        let one = try net.forward(standardized: x.rowRange(r, r + 1))
        for l in 0..<2 {
            #expect(isClose(all[l].post.row(r), one[l].post.row(0), relative: 1e-5, absolute: 1e-6))
        }
        #expect(isClose(outputs.row(r), one[1].post.row(0), relative: 1e-5, absolute: 1e-6))
    }
    // Between blocks the command's Ctrl-C (this thread's current cancellation) is heard.
    let stopped = Cancellation { true }
    #expect(throws: Cancelled.self) { try Cancellation.withCurrent(stopped) { try net.forward(standardized: x) } }
    #expect(throws: Cancelled.self) { try Cancellation.withCurrent(stopped) { try net.outputs(standardized: x) } }
    // A small pass is one block and is not asked.
    #expect(try Cancellation.withCurrent(stopped) { try net.outputs(standardized: x.rowRange(0, 10)) }.rows == 10)
}

@Test func atomicWritesGiveNewFilesTheUmasksModeAndKeepAnExistingFilesMode() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mle-mode-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let mask = umask(0o022)
    umask(mask)
    let fresh = dir.appendingPathComponent("new.csv").path
    try AtomicFile.write(Data("a\n".utf8), to: fresh, markers: nil)
    let mode = { (p: String) in
        (try FileManager.default.attributesOfItem(atPath: p)[.posixPermissions] as? NSNumber)?.intValue
    }
    #expect(try mode(fresh) == Int(0o666 & ~mask))
    chmod(fresh, 0o600)
    try AtomicFile.write(Data("b\n".utf8), to: fresh, markers: nil)
    #expect(try mode(fresh) == 0o600)
}

@Test func predictionsInBlocksOnTwoThreadsEqualTheWholePass() throws {
    // 2 · 4096 + 123 rows: whole blocks on two threads and a short last block; a standardiser
    // and none (an imported network's inputs, multiplied where they are).
    var rng = SeededGenerator(seed: 11)
    func matrix(_ r: Int, _ c: Int) throws -> Matrix {
        try Matrix((0..<r).map { _ in (0..<c).map { _ in Float(rng.nextNormal()) } })
    }
    let layers = [
        DenseLayer(weight: try matrix(40, 64), bias: (0..<64).map { Float($0) / 100 }),
        DenseLayer(weight: try matrix(64, 16), bias: [Float](repeating: -0.05, count: 16)),
        DenseLayer(weight: try matrix(16, 3), bias: [0.1, 0, -0.1])
    ]
    let rows = 2 * MLP.predictionBlock + 123
    let x = try matrix(rows, 40)
    for standardizer in [
        Standardizer(mean: (0..<40).map { Float($0) / 10 }, scale: (0..<40).map { 1 + Float($0) / 7 }),
        Standardizer(mean: [Float](repeating: 0, count: 40), scale: [Float](repeating: 1, count: 40))
    ] {
        let net = MLP(
            layers: layers, standardizer: standardizer, featureNames: (0..<40).map { "f\($0)" },
            task: .classification(classNames: ["a", "b", "c"]))
        let whole = try net.outputs(standardized: standardizer.apply(x))
        let blocks = try net.logits(raw: x)
        #expect(blocks.rows == rows)
        // The same values up to OpenBLAS's summation order (it blocks a product by its shape).
        // (Relative to the outputs' scale: these random layers sum terms of ±50 into values near 0.)
        let scale = whole.storage.map { abs($0) }.max() ?? 1
        let worst = (zip(blocks.storage, whole.storage).map { abs($0 - $1) }.max() ?? 1) / scale
        #expect(worst < 1e-5, "largest relative difference \(worst)")
        // And the same bits from one run to the next, whichever thread takes which block.
        let again = try net.logits(raw: x)
        #expect(again.storage.map(\.bitPattern) == blocks.storage.map(\.bitPattern), "not reproducible")
        // Ctrl-C is heard between blocks.
        #expect(throws: Cancelled.self) {
            try Cancellation.withCurrent(Cancellation { true }) { try net.logits(raw: x) }
        }
    }
}

@Test func targetTextsAreNumberedAsReadAndSpelledOutPastSixteen() throws {
    // 25 classes, a missing target among them: the loader numbers the first sixteen texts as it
    // reads them and switches to texts after; every row keeps its own class either way.
    var text = "x,y\n"
    var expected: [String] = []
    for r in 0..<300 {
        let name = r == 7 ? "NA" : "class\((r * 7) % 25)"
        text += "\(r),\(name)\n"
        if name != "NA" { expected.append(name) }
    }
    let (data, dropped) = try Dataset.read(csv: Array(text.utf8), name: "t", targetName: "y")
    #expect(dropped == 1)
    guard case .classes(let labels, let names)? = data.target else {
        Issue.record("not classes")
        return
    }
    #expect(names.count == 25)
    #expect(labels.map { names[$0] } == expected)
    // A few classes only: the numbered path to its end.
    let (small, _) = try Dataset.read(csv: Array("x,y\n1,b\n2,NA\n3,a\n4,b\n".utf8), name: "s", targetName: "y")
    guard case .classes(let l, let n)? = small.target else { return }
    #expect(n == ["a", "b"] && l == [1, 0, 1])
    // A row the scanner leaves to the general reader (quoted) whose target is missing, between
    // two scanner stretches: the numbering carries over (it once restarted, and rows 1–2 read
    // as the later stretch's texts; found by the differential CSV test).
    let (mixed, _) = try Dataset.read(
        csv: Array("x,y\n1,a\n2,b\n\"3\",NA\n4,c\n5,a\n".utf8), name: "m", targetName: "y")
    guard case .classes(let ml, let mn)? = mixed.target else { return }
    #expect(ml.map { mn[$0] } == ["a", "b", "c", "a"])
}
