import Foundation
import MLELanguage
import MLELearning
import MLETensor
import MLETestSupport
import Testing

/// Every kind of model mle makes, saved and loaded back, predicts bit for bit what it did.
@Test func everyModelKindSavesAndLoadsBackBitForBit() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mle-save-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let models = [
        "zero", "prior", "mean", "lr", "net", "ens", "hard", "bags", "nets", "corrected", "tuned", "fixed",
        "tuned_fixed", "penguin_net", "penguin_ens"
    ]
    var script = """
        data = load "\(dataPath("breast_cancer.csv"))" target=diagnosis
        train, test = split data ratio=0.7 stratify seed=3
        numbers = load "\(fixtureURL("MLELearningTests", "onnx/iris_numeric.csv").path)" target=petal_width
        zero = baseline train kind=zero_rule
        prior = baseline train kind=prior seed=5
        mean = baseline numbers kind=median
        lr = logistic train
        net = mlp train hidden=[8] epochs=5 seed=1
        ens, m1 = ensemble train model=logistic chunks=2 seed=1
        hard, m2 = ensemble train model=logistic chunks=2 vote=hard seed=1
        bags, m3 = ensemble train model=baseline method=bags chunks=3 seed=1
        nets, m4 = ensemble train model=mlp hidden=[4] epochs=3 chunks=2 seed=2
        corrected, m5 = ensemble train model=logistic chunks=2 correct_priors seed=1
        under = resample train method=under seed=1
        small = mlp under hidden=[6] epochs=5 seed=4
        tuned = threshold net test metric=f1
        fixed = priors small trained=under deployed=train
        tuned_fixed = threshold fixed test metric=f1
        penguins = load "\(dataPath("penguins.csv"))" target=species
        penguin_net = mlp penguins hidden=[6] epochs=3 seed=1
        penguin_ens, m6 = ensemble penguins model=logistic chunks=2 seed=1

        """
    for m in models { script += "save \(m) \"\(dir.path)/\(m).safetensors\"\n" }
    for m in models { script += "\(m)_back = load \"\(dir.path)/\(m).safetensors\"\n" }
    let (session, out, ok) = run(script)
    #expect(ok, "\(out.errors)")
    for m in models {
        guard case .model(let a)? = session.variables[m], case .model(let b)? = session.variables["\(m)_back"],
            case .dataset(let test)? = session.variables[
                m == "mean" ? "numbers" : m.hasPrefix("penguin") ? "penguins" : "test"]
        else {
            Issue.record("\(m) or its copy is missing")
            continue
        }
        #expect(a.model.kind == b.model.kind && a.model.summary == b.model.summary, "\(m): \(b.model.summary)")
        #expect(a.model.task == b.model.task && a.model.featureNames == b.model.featureNames)
        switch (try a.model.predict(test), try b.model.predict(test)) {
        case (.probabilities(let p), .probabilities(let q)):
            #expect(p.storage.map(\.bitPattern) == q.storage.map(\.bitPattern), "\(m): probabilities differ")
        case (.values(let p), .values(let q)):
            #expect(p.map(\.bitPattern) == q.map(\.bitPattern), "\(m): values differ")
        default: Issue.record("\(m): prediction kinds differ")
        }
    }
    // Only networks go to ONNX; predictions made elsewhere are tied to their data.
    let (_, refused, refusedOK) = run("save ens \"\(dir.path)/ens.onnx\"", in: session)
    #expect(!refusedOK)
    #expect(refused.errors.joined().contains("ONNX export is for networks (mlp, logistic); ens is an ensemble"))
    let (_, tied, tiedOK) = run(
        """
        predict net test to="\(dir.path)/p.csv"
        pdata = load "\(dir.path)/p.csv" target=actual
        outside = predictions pdata scores=[p_benign, p_malignant]
        save outside "\(dir.path)/outside.safetensors"
        """, in: session)
    #expect(!tiedOK)
    #expect(tied.errors.joined().contains("tied to the rows of their data"), "\(tied.errors)")
    #expect(!FileManager.default.fileExists(atPath: "\(dir.path)/outside.safetensors"))
}

@Test func damagedModelFilesAreRefusedWithTheReason() throws {
    let data = try Dataset.load(path: dataPath("breast_cancer.csv"), targetName: "diagnosis")
    let base = try BaselineModel.fit(data, kind: .zeroRule)
    let wrapped = try PriorCorrectedModel(base: base, trainedShares: [0.5, 0.5], deployedShares: [0.6, 0.4])
    let good = try ModelFile.encode(wrapped)
    #expect(try ModelFile.decode(good, name: "f").summary == wrapped.summary)
    func broken(_ change: (inout SafeTensors) -> Void) -> String {
        var f = good
        change(&f)
        do {
            _ = try ModelFile.decode(try SafeTensors.parse(try f.serialized()), name: "f")
            return "read"
        } catch { return "\(error)" }
    }
    let version = broken { $0.metadata["format_version"] = "9" }
    #expect(version.contains("this mle reads version 1"), "\(version)")
    let json = broken { $0.metadata["model"] = "[" }
    #expect(json.contains("is not a JSON object"), "\(json)")
    let constant = broken { $0.tensors["base.constant"] = nil }
    #expect(constant.contains("'base' has a constant that is missing"), "\(constant)")
    let kind = broken { f in
        f.metadata["model"] = f.metadata["model"].map { $0.replacingOccurrences(of: "prior_corrected", with: "x") }
    }
    #expect(kind.contains("a kind this mle does not know, 'x'"), "\(kind)")
    // A file nesting models without end is refused at a fixed depth.
    var deep: [String: Any] = ["kind": "baseline"]
    for _ in 0..<40 { deep = ["kind": "threshold", "positive": 1, "threshold": "0.5", "base": deep] }
    let text = String(decoding: try JSONSerialization.data(withJSONObject: deep), as: UTF8.self)
    let nested = broken { $0.metadata["model"] = text }
    #expect(nested.contains("nested more than 16 models deep"), "\(nested)")
}
