import Foundation
import MLELearning
import MLETensor

/// `load`, `describe`, `split`.
enum DataCommands {
    static let all = [load, describe, split]

    static let load = CommandSpec(
        name: "load",
        summary: "Read a CSV file (header row; numeric and text columns, missing values) into a dataset, or a .safetensors file into a model",
        positionals: [ParamSpec("file", .path, "path of the CSV file or the model file (.safetensors)", required: true)],
        options: [
            ParamSpec("target", .string, "the column to predict; omit for data without a target"),
            ParamSpec("task", .choice(TaskChoice.allCases.map(\.rawValue)),
                      "how to read the target: auto takes text and whole numbers with at most 20 values as classes; "
                      + "for a PyTorch network without data=, classification or regression of its outputs",
                      default: .symbol("auto")),
            ParamSpec("activation", .choice(Kernels.Activation.allCases.map(\.rawValue)),
                      "for a PyTorch network: the activation between its Linear layers (state dicts do not record it; default relu)"),
            ParamSpec("na", .list(.string), "cells that mean a missing value (default: empty, NA, N/A, n/a, NaN, nan, NULL, null, None, <NA>, #N/A)"),
            ParamSpec("categorical", .list(.string), "columns to read as categories even if they hold numbers (codes, years)"),
            ParamSpec("numeric", .list(.string), "columns that must hold numbers; a text cell in one is an error"),
            ParamSpec("data", .dataset,
                      "for a PyTorch network: the data it was trained on; its columns name the inputs, its classes the outputs, "
                      + "and its means and standard deviations define mle's standardised units (the network's function is unchanged)"),
        ],
        returns: "a dataset, or a model",
        examples: ["data = load \"datasets/iris.csv\" target=species",
                   "digits = load \"datasets/digits.csv\" target=digit task=classification",
                   "penguins = load \"datasets/penguins.csv\" target=species categorical=[year]",
                   "net = load \"net.safetensors\"",
                   "torchnet = load \"torch_mlp.safetensors\" data=train"]
    ) { inv in
        let path = inv.string("file") ?? ""
        let task = TaskChoice(rawValue: inv.string("task") ?? "auto") ?? .auto
        if path.hasSuffix(".safetensors") {
            for option in ["target", "na", "categorical", "numeric"] where inv.has(option) {
                throw inv.error("\(option)= is for CSV data; a model file carries its own columns and outputs", at: option)
            }
            return .model(try loadModel(path: path, task: task, data: inv.has("data") ? try inv.dataset("data") : nil,
                                        dataName: inv.names["data"],
                                        activation: Kernels.Activation(rawValue: inv.string("activation") ?? "") ?? .relu))
        }
        for option in ["data", "activation"] where inv.has(option) {
            throw inv.error("\(option)= is for PyTorch model files (.safetensors)", at: option)
        }
        var options = ColumnOptions()
        if let na = inv.stringList("na") { options.missingTokens = Set(na) }
        options.categorical = inv.stringList("categorical") ?? []
        options.numeric = inv.stringList("numeric") ?? []
        let (data, dropped) = try Dataset.read(path: path, targetName: inv.string("target"), task: task, options: options)
        if dropped > 0 {
            inv.session.output.note("\(dropped) row\(dropped == 1 ? "" : "s") without a value of the target '\(inv.string("target") ?? "")' left out")
        }
        return .dataset(data)
    }

    static func loadModel(path: String, task choice: TaskChoice, data: Dataset?, dataName: String?,
                          activation: Kernels.Activation = .relu) throws -> ModelValue {
        let file = try SafeTensors.read(path: path)
        let name = (path as NSString).lastPathComponent
        if file.metadata["format"] == "mle-mlp" {
            let net = try MLP(mleFile: file, name: name)
            return ModelValue(model: net, trainingNote: "loaded from \(path)")
        }
        // Anything else is read as a PyTorch state dict of Linear layers with ReLU between them.
        let layers = try MLP.linearLayers(in: file, prefix: "", name: name)
        let inputs = layers.first?.inputs ?? 0, outputs = layers.last?.outputs ?? 0
        let task: Task
        switch (choice, data?.task) {
        case (.classification, .regression?), (.regression, .classification?):
            throw LearningError.invalid("task=\(choice.rawValue) disagrees with the target of \(dataName ?? "the data")")
        case (_, let dataTask?): task = dataTask
        case (.regression, nil): task = .regression
        case (.classification, nil): task = .classification(classNames: (0..<max(outputs, 2)).map(String.init))
        case (.auto, nil): task = outputs > 1 ? .classification(classNames: (0..<outputs).map(String.init)) : .regression
        }
        if let d = data, !d.isPlainNumeric {
            throw LearningError.invalid("data= must be numeric and complete for a PyTorch network (its inputs are numbers); \(dataName ?? "this data") has categorical columns or missing values")
        }
        let features = data?.featureNames ?? (0..<inputs).map { "x\($0 + 1)" }
        var net = try MLP(pytorchLayers: layers, name: name, features: features, task: task,
                          standardizer: data.map { Standardizer.fit($0.features) })
        net.activation = activation
        var note = "imported from PyTorch (\(path)); \(activation.rawValue) between its Linear layers\(activation == .relu ? " (activation= to change)" : "")"
        if data != nil { note += "; inputs, outputs and standardised units from \(dataName ?? "the data")" }
        else { note += "; inputs named x1…x\(features.count), standardised units are the network's own input units" }
        return ModelValue(model: net, trainingNote: note)
    }

    static let describe = CommandSpec(
        name: "describe",
        summary: "Rows, columns, their ranges and the class counts of a dataset",
        positionals: [ParamSpec("data", .dataset, "the dataset to describe", required: true)],
        returns: "a description report",
        examples: ["describe data"]
    ) { inv in
        let d = try inv.dataset("data")
        return .report(describeReport(d))
    }

    static func describeReport(_ d: Dataset) -> Report {
        var rows: [[String]] = []
        var categoricalRows: [[String]] = []
        var columns: [JSON] = []
        let missing = d.missingCounts
        for (j, name) in d.featureNames.enumerated() {
            if case .categorical(let levels) = d.columnKinds[j] {
                var counts = [Int](repeating: 0, count: levels.count)
                for r in 0..<d.rowCount {
                    let v = d.features[r, j]
                    if !v.isNaN, Int(v) >= 0, Int(v) < levels.count { counts[Int(v)] += 1 }
                }
                let top = counts.indices.max { counts[$0] < counts[$1] || (counts[$0] == counts[$1] && $0 > $1) }
                let shown = levels.count > 6 ? levels.prefix(6).joined(separator: ", ") + ", …" : levels.joined(separator: ", ")
                categoricalRows.append([name, "\(missing[j])", "\(levels.count)",
                                        top.map { "\(levels[$0]) (\(counts[$0]))" } ?? "", shown])
                columns.append(.object([("name", .string(name)), ("type", .string("categorical")), ("missing", .number(Double(missing[j]))),
                                        ("levels", .object(zip(levels, counts).map { ($0, .number(Double($1))) }))]))
                continue
            }
            var lo = Double.infinity, hi = -Double.infinity, sum = 0.0, sq = 0.0, count = 0
            for r in 0..<d.rowCount {
                let v = Double(d.features[r, j])
                if v.isNaN { continue }
                lo = min(lo, v); hi = max(hi, v); sum += v; count += 1
            }
            let mean = count > 0 ? sum / Double(count) : .nan
            for r in 0..<d.rowCount where !d.features[r, j].isNaN { let x = Double(d.features[r, j]) - mean; sq += x * x }
            let sd = count > 1 ? (sq / Double(count - 1)).squareRoot() : 0
            if count == 0 { lo = .nan; hi = .nan }
            rows.append([name, "numeric", "\(missing[j])", Format.number(lo), Format.number(mean), Format.number(sd), Format.number(hi)])
            columns.append(.object([("name", .string(name)), ("type", .string("numeric")), ("missing", .number(Double(missing[j]))),
                                    ("min", .num(lo)), ("mean", .num(mean)), ("std", .num(sd)), ("max", .num(hi))]))
        }
        var tables = [Table(caption: "numeric columns", header: ["column", "type", "missing", "min", "mean", "std", "max"],
                            rows: rows, alignments: [.left, .left, .right, .right, .right, .right, .right])]
        if rows.isEmpty { tables.removeAll() }
        if !categoricalRows.isEmpty {
            tables.append(Table(caption: "categorical columns", header: ["column", "missing", "levels", "most frequent", "values"],
                                rows: categoricalRows, alignments: [.left, .right, .right, .left, .left]))
        }
        var facts: [(String, String)] = [("rows", "\(d.rowCount)"), ("features", "\(d.featureNames.count)")]
        let totalMissing = missing.reduce(0, +)
        if totalMissing > 0 {
            var incomplete = 0
            for r in 0..<d.rowCount where (0..<d.features.cols).contains(where: { d.features[r, $0].isNaN }) { incomplete += 1 }
            facts.append(("missing", "\(totalMissing) values in \(missing.filter { $0 > 0 }.count) columns; \(incomplete) rows incomplete"))
        }
        var json: [(String, JSON)] = [("report", .string("describe")), ("name", .string(d.name)),
                                      ("rows", .number(Double(d.rowCount))), ("columns", .array(columns))]
        switch d.target {
        case .classes(_, let names)?:
            let counts = d.classCounts ?? []
            facts.append(("target", "\(d.targetName ?? "") (\(names.count) classes)"))
            let total = Double(max(d.rowCount, 1))
            tables.append(Table(caption: "classes of \(d.targetName ?? "")", header: ["class", "count", "share"],
                                rows: zip(names, counts).map { [$0, "\($1)", String(format: "%.1f%%", 100 * Double($1) / total)] }))
            if let mx = counts.max(), let mn = counts.min(), mn > 0 {
                facts.append(("imbalance", String(format: "%.2f : 1 (largest to smallest class)", Double(mx) / Double(mn))))
            }
            json.append(("target", .object([("name", .string(d.targetName ?? "")), ("kind", .string("classes")),
                                            ("counts", .object(zip(names, counts).map { ($0, .number(Double($1))) }))])))
        case .values(let v)?:
            let mean = v.reduce(0.0) { $0 + Double($1) } / Double(max(v.count, 1))
            facts.append(("target", "\(d.targetName ?? "") (numeric, mean \(Format.number(mean)))"))
            json.append(("target", .object([("name", .string(d.targetName ?? "")), ("kind", .string("numeric")),
                                            ("mean", .num(mean))])))
        case nil:
            facts.append(("target", "none"))
        }
        return Report(kind: "describe", title: "\(d.name): \(d.rowCount) rows × \(d.featureNames.count) features",
                      facts: facts, tables: tables, json: .object(json))
    }

    static let split = CommandSpec(
        name: "split",
        summary: "Split a dataset into training and test sets, at random or stratified by class",
        positionals: [ParamSpec("data", .dataset, "the dataset to split", required: true)],
        options: [
            ParamSpec("ratio", .number, "share of rows for training, between 0 and 1", default: .number(0.8)),
            ParamSpec("stratify", .bool, "keep each class's share equal on both sides", default: .bool(false)),
            ParamSpec("seed", .integer, "random seed (default: the session seed, then advanced)"),
        ],
        returns: "two datasets: train, test",
        examples: ["train, test = split data ratio=0.8 stratify seed=7"]
    ) { inv in
        let d = try inv.dataset("data")
        let ratio = inv.number("ratio") ?? 0.8
        guard ratio > 0, ratio < 1 else { throw inv.error("ratio must be between 0 and 1, got \(Format.number(ratio))", at: "ratio") }
        let (train, test) = try Splitter.split(d, ratio: ratio, stratify: inv.bool("stratify"), seed: inv.seed())
        return .tuple([.dataset(train), .dataset(test)])
    }
}
