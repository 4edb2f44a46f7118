import Foundation
import MLELearning
import MLETensor

/// `load`, `describe`, `split`.
enum DataCommands {
    /// How an imported network expects its inputs.
    enum InputScaling {
        /// Raw columns (the default: any scaling is inside the network).
        case raw
        /// Standardised by `data=`'s means and standard deviations (a StandardScaler outside it).
        case standardized
        /// Standardised by these means and standard deviations.
        case given(means: [Float], scales: [Float])
    }

    /// A network as a file gives it, before it meets the data.
    struct NetworkFile {
        var layers: [DenseLayer]
        var activation: Kernels.Activation
        var output: ImportedNetwork.Output = .linear
        /// The class of each output, when the file names them.
        var classes: [String]?
        /// What mle wrote into its own ONNX files: feature names, task, standardised units.
        var features: [String]?
        var task: Task?
        var standardizer: Standardizer?
        /// "imported from PyTorch (net.safetensors); relu between its Linear layers (activation= to change)".
        var source: String
    }

    /// A model file: mle's own safetensors, an ONNX network, or a PyTorch state dict of Linear layers.
    /// - Returns: the model, and what to tell the user: the inputs and outputs as mapped, and a
    ///   warning when the network on `data` predicts one class for every row or does worse than
    ///   the zero rule (the signs of inputs scaled otherwise than it expects, or outputs in
    ///   another order).
    static func loadModel(
        path: String, task choice: TaskChoice, data: Dataset?, dataName: String?,
        activation: Kernels.Activation? = nil, classes: [String]? = nil, scaling: InputScaling = .raw,
        order: [String]? = nil
    ) throws -> (ModelValue, notes: [String]) {
        let name = (path as NSString).lastPathComponent
        let file: NetworkFile
        if path.hasSuffix(".onnx") {
            if activation != nil {
                throw SettingError(
                    "activation", "an ONNX file records its activations; activation= is for PyTorch state dicts")
            }
            if order != nil {
                throw SettingError("layers", "an ONNX graph orders its own layers; layers= is for PyTorch state dicts")
            }
            file = try onnxNetwork(path: path)
        } else {
            let tensors = try SafeTensors.read(path: path)
            if tensors.metadata["format"] == ModelFile.format {
                if order != nil { throw SettingError("layers", "an mle model file orders its own layers") }
                let model = try ModelFile.decode(tensors, name: name)
                return (ModelValue(model: model, trainingNote: "loaded from \(path)"), [])
            }
            if tensors.metadata["format"] == "mle-mlp" {
                if order != nil { throw SettingError("layers", "an mle network file orders its own layers") }
                let net = try MLP(mleFile: tensors, name: name)
                return (ModelValue(model: net, trainingNote: "loaded from \(path)"), [])
            }
            // Anything else is read as a PyTorch state dict of Linear (and BatchNorm1d) layers.
            let a = activation ?? .relu
            let (layers, folded) = try MLP.stateDictLayers(in: tensors, name: name, order: order)
            var source = "imported from PyTorch (\(path))"
            if layers.count > 1 {
                source +=
                    "; \(a.rawValue) between its Linear layers\(activation == nil ? " (activation= to change)" : "")"
            }
            if !folded.isEmpty {
                source += "; BatchNorm1d (eval mode, ε = 1e-5) folded: \(folded.joined(separator: ", "))"
            }
            file = NetworkFile(layers: layers, activation: a, source: source)
        }
        return try network(
            file, name: name, task: choice, data: data, dataName: dataName, classes: classes, scaling: scaling)
    }

    /// An ONNX file's network, with what mle's own export recorded in its metadata.
    static func onnxNetwork(path: String) throws -> NetworkFile {
        let net = try ONNXImport.read(path: path)
        var file = NetworkFile(
            layers: net.layers, activation: net.activation, output: net.output, classes: net.classLabels,
            source: "")
        func strings(_ key: String) -> [String]? {
            net.metadata[key].flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String] }
        }
        func numbers(_ key: String) -> [Float]? {
            net.metadata[key].flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [Double] }?
                .map { Float($0) }
        }
        let inputs = net.layers.first?.inputs ?? 0
        if net.metadata["mle.format"] == MLP.onnxFormat {
            if let f = strings("mle.features"), f.count == inputs { file.features = f }
            if net.metadata["mle.task"] == "regression" {
                file.task = .regression
            } else if let c = strings("mle.classes") {
                file.task = .classification(classNames: c)
                file.classes = c
            }
            if let m = numbers("mle.means"), let s = numbers("mle.scales"), m.count == inputs, s.count == inputs,
                s.allSatisfy({ $0 > 0 && $0.isFinite }), m.allSatisfy(\.isFinite)
            {
                file.standardizer = Standardizer(mean: m, scale: s)
            }
        }
        var counts: [(String, Int)] = []
        for op in net.operators {
            if let i = counts.firstIndex(where: { $0.0 == op }) { counts[i].1 += 1 } else { counts.append((op, 1)) }
        }
        let operators = counts.map { $1 > 1 ? "\($0) ×\($1)" : $0 }.joined(separator: ", ")
        let ending: String
        switch net.output {
        case .softmax: ending = "softmax output"
        case .sigmoid: ending = "sigmoid output"
        case .linear: ending = "linear output"
        }
        let widths = ([inputs] + net.layers.map(\.outputs)).map(String.init).joined(separator: "-")
        file.source =
            "imported from ONNX (\(path)\(net.producer.isEmpty ? "" : ", written by \(net.producer)")): \(operators) → \(widths), \(net.layers.count > 1 ? "\(net.activation.rawValue) between layers, " : "")\(ending); input '\(net.inputName)', output '\(net.outputName)'"
        return file
    }

    /// The network of a file on the data it comes with: inputs named, outputs mapped to classes,
    /// the scaling it expects, and mle's standardised units.
    static func network(
        _ file: NetworkFile, name: String, task choice: TaskChoice, data: Dataset?, dataName: String?,
        classes given: [String]?, scaling: InputScaling
    ) throws -> (ModelValue, notes: [String]) {
        let layers = file.layers
        let inputs = layers.first?.inputs ?? 0, outputs = layers.last?.outputs ?? 0
        let probabilities = file.output != .linear
        var task: Task
        switch (choice, data?.task) {
        case (.classification, .regression?), (.regression, .classification?):
            throw LearningError.invalid(
                "task=\(choice.rawValue) disagrees with the target of \(dataName ?? "the data")")
        case (_, let dataTask?): task = dataTask
        case (.regression, nil): task = .regression
        case (.classification, nil): task = .classification(classNames: (0..<max(outputs, 2)).map(String.init))
        case (.auto, nil):
            task =
                file.task
                ?? (outputs > 1 || probabilities
                    ? .classification(classNames: (0..<max(outputs, 2)).map(String.init)) : .regression)
        }
        if probabilities, !task.isClassification {
            throw LearningError.invalid(
                "\(name) ends in a \(file.output == .softmax ? "softmax" : "sigmoid"): it predicts classes, but \(data == nil ? "task=regression was given" : "the target of \(dataName ?? "the data") is a number")"
            )
        }
        // The outputs' classes: classes= first, else the file's own names when they are the data's classes.
        var notes: [String] = []
        var classes = given
        if classes == nil, let named = file.classes, case .classification(let names) = task {
            if data == nil || (Set(named) == Set(names) && named.count == names.count) {
                classes = named
            } else {
                notes.append(
                    "\(name) names its classes \(named.prefix(6).joined(separator: ", ")), which are not \(dataName ?? "the data")'s (\(names.prefix(6).joined(separator: ", "))); its outputs are taken as \(dataName ?? "the data")'s classes in name order (classes= to change)"
                )
            }
        }
        // Without data, the classes named (by classes= or by the file) are the task's, in name order inside mle.
        // (mle's own files keep mle's order, which sorts numbers as numbers.)
        if data == nil, let classes, task.isClassification {
            let own = file.task?.classNames ?? []
            task = .classification(classNames: Set(own) == Set(classes) ? own : classes.sorted())
        }
        if let d = data, !d.isPlainNumeric {
            throw LearningError.invalid(
                "data= must be numeric and complete for an imported network (its inputs are numbers); \(dataName ?? "this data") has categorical columns or missing values"
            )
        }
        let features = data?.featureNames ?? file.features ?? (0..<inputs).map { "x\($0 + 1)" }
        let standardizer: Standardizer?
        switch scaling {
        case .raw, .standardized: standardizer = data.map { Standardizer.fit($0.features) } ?? file.standardizer
        case .given(let means, let scales):
            guard means.count == inputs, scales.count == inputs else {
                throw SettingError(
                    means.count == inputs ? "scales" : "means",
                    "\(name) takes \(inputs) inputs; give \(inputs) means and \(inputs) standard deviations")
            }
            guard scales.allSatisfy({ $0 > 0 && $0.isFinite }), means.allSatisfy(\.isFinite) else {
                throw SettingError("scales", "standard deviations must be positive numbers")
            }
            standardizer = Standardizer(mean: means, scale: scales)
        }
        if case .standardized = scaling, data == nil {
            throw SettingError("scaling", "scaling=standardized uses data='s means and standard deviations; give data=")
        }
        var net = try MLP(
            pytorchLayers: layers, name: name, features: features, task: task, standardizer: standardizer,
            outputClasses: classes, standardizedInputs: { if case .raw = scaling { false } else { true } }())
        net.activation = file.activation
        var note = file.source
        switch scaling {
        case .raw: note += "; it takes the raw columns"
        case .standardized: note += "; it takes the columns standardised by \(dataName ?? "the data")'s statistics"
        case .given: note += "; it takes the columns standardised by the means and scales given"
        }
        if data != nil {
            note += "; inputs, outputs and standardised units from \(dataName ?? "the data")"
        } else if file.standardizer != nil {
            note += "; standardised units as mle trained it"
        } else if case .raw = scaling {
            note +=
                "; inputs named \(file.features == nil ? "x1…x\(features.count)" : "as saved"); δ and other distances are in the network's input units"
        } else {
            note += "; inputs named x1…x\(features.count)"
        }
        if layers.count == 1, task.isClassification {
            note += "; a single layer: logistic regression"
        }
        let shown =
            features.count > 6
            ? features.prefix(3).joined(separator: ", ") + ", …, " + (features.last ?? "")
            : features.joined(separator: ", ")
        notes.insert("inputs: \(features.count) (\(shown))", at: 0)
        if case .classification(let names) = task {
            let order = classes ?? names
            let change = given == nil ? "; classes= to change" : ""
            notes.insert(
                outputs == 1
                    ? "output: the \(file.output == .sigmoid ? "probability" : "logit") of '\(order[safe: 1] ?? "")' (against '\(order[safe: 0] ?? "")')\(change)"
                    : "outputs: " + order.enumerated().map { "\($0) → \($1)" }.joined(separator: ", ")
                        + (classes == nil
                            ? " (the classes in name order\(change))"
                            : given == nil ? " (as the file names them)" : ""),
                at: 1)
        }
        if let d = data { notes += try importWarnings(net, on: d, dataName: dataName ?? d.name) }
        return (ModelValue(model: net, trainingNote: note), notes)
    }

    /// Warnings when an imported network does not fit the data it came with.
    static func importWarnings(_ net: MLP, on d: Dataset, dataName: String) throws -> [String] {
        // A sample of rows is enough to see a network that does not fit its data.
        let rows = d.rowCount > 100_000 ? try d.subset(Array(0..<100_000), name: d.name) : d
        let advice =
            "are its inputs scaled as it expects (scaling=standardized, means=, scales=) and its outputs in this order (classes=[…])?"
        switch (try net.predict(rows), rows.target) {
        case (let p, .classes(let labels, let names)?):
            guard let predicted = p.predictedClasses, !labels.isEmpty else { return [] }
            let counts = rows.classCounts ?? []
            let zeroRule = Double(counts.max() ?? 0) / Double(labels.count)
            let correct = zip(predicted, labels).filter { $0 == $1 }.count
            let accuracy = Double(correct) / Double(labels.count)
            if names.count > 1, let first = predicted.first, predicted.allSatisfy({ $0 == first }) {
                return [
                    "warning: the network predicts '\(names[safe: first] ?? "")' for every row of \(dataName) (accuracy \(Format.metric(accuracy))); \(advice)"
                ]
            }
            if accuracy < zeroRule {
                return [
                    "warning: the network's accuracy on \(dataName), \(Format.metric(accuracy)), is below the zero rule's \(Format.metric(zeroRule)) (always the largest class); \(advice)"
                ]
            }
        case (.values(let v), .values(let t)?):
            let mean = t.reduce(0.0) { $0 + Double($1) } / Double(max(t.count, 1))
            var residual = 0.0, total = 0.0
            for (a, b) in zip(v, t) {
                residual += (Double(a) - Double(b)) * (Double(a) - Double(b))
                total += (Double(b) - mean) * (Double(b) - mean)
            }
            if total > 0, residual > total {
                return [
                    "warning: the network's R² on \(dataName) is \(Format.metric(1 - residual / total)), worse than predicting the mean; \(advice)"
                ]
            }
        default: break
        }
        return []
    }

    static func describeReport(_ d: Dataset) throws -> Report {
        var rows: [[Cell]] = []
        var categoricalRows: [[Cell]] = []
        let missing = d.missingCounts
        for (j, name) in d.featureNames.enumerated() {
            // A column of millions of rows takes a while to summarise: Ctrl-C is heard between columns.
            try Cancellation.checkCurrent()
            if case .categorical(let levels) = d.columnKinds[j] {
                var counts = [Int](repeating: 0, count: levels.count)
                for r in 0..<d.rowCount {
                    let v = d.features[r, j]
                    if !v.isNaN, Int(v) >= 0, Int(v) < levels.count { counts[Int(v)] += 1 }
                }
                let top = counts.indices.max { counts[$0] < counts[$1] || (counts[$0] == counts[$1] && $0 > $1) }
                let shown =
                    levels.count > 6 ? levels.prefix(6).joined(separator: ", ") + ", …" : levels.joined(separator: ", ")
                categoricalRows.append([
                    .text(name), .count(missing[j]), .count(levels.count),
                    top.map { .shown(.text(levels[$0]), as: "\(levels[$0]) (\(counts[$0]))") } ?? .missing(""),
                    .text(shown)
                ])
                continue
            }
            var lo = Double.infinity, hi = -Double.infinity, sum = 0.0, sq = 0.0, count = 0
            for r in 0..<d.rowCount {
                let v = Double(d.features[r, j])
                if v.isNaN { continue }
                lo = min(lo, v); hi = max(hi, v); sum += v; count += 1
            }
            let mean = count > 0 ? sum / Double(count) : .nan
            for r in 0..<d.rowCount where !d.features[r, j].isNaN {
                let x = Double(d.features[r, j]) - mean; sq += x * x
            }
            let sd = count > 1 ? (sq / Double(count - 1)).squareRoot() : 0
            // A column with no value (every cell missing, or no rows) has no statistics.
            if count == 0 {
                rows.append(
                    [.text(name), .text("numeric"), .count(missing[j])] + Array(repeating: .missing("—"), count: 4))
                continue
            }
            rows.append([
                .text(name), .text("numeric"), .count(missing[j]), .float(Float(lo), .general), .number(mean, .general),
                .number(sd, .general), .float(Float(hi), .general)
            ])
        }
        var tables = [
            Table(
                caption: "numeric columns", header: ["column", "type", "missing", "min", "mean", "std", "max"],
                cells: rows, alignments: [.left, .left, .right, .right, .right, .right, .right], key: "numeric")
        ]
        if rows.isEmpty { tables.removeAll() }
        if !categoricalRows.isEmpty {
            tables.append(
                Table(
                    caption: "categorical columns", header: ["column", "missing", "levels", "most frequent", "values"],
                    cells: categoricalRows, alignments: [.left, .right, .right, .left, .left], key: "categorical"))
        }
        var facts: [Field] = [
            Field("name", .text(d.name), audience: .machines),
            Field("rows", .count(d.rowCount)), Field("features", .count(d.featureNames.count))
        ]
        let totalMissing = missing.reduce(0, +)
        if totalMissing > 0 {
            var incomplete = 0
            for r in 0..<d.rowCount where (0..<d.features.cols).contains(where: { d.features[r, $0].isNaN }) {
                incomplete += 1
            }
            facts.append(
                Field(
                    "missing",
                    .shown(
                        .count(totalMissing),
                        as:
                            "\(totalMissing) values in \(missing.filter { $0 > 0 }.count) columns; \(incomplete) rows incomplete"
                    )))
        }
        switch d.target {
        case .classes(_, let names)?:
            let counts = d.classCounts ?? []
            facts.append(
                Field("target", .shown(.text(d.targetName ?? ""), as: "\(d.targetName ?? "") (\(names.count) classes)"))
            )
            let total = Double(max(d.rowCount, 1))
            tables.append(
                Table(
                    caption: "classes of \(d.targetName ?? "")", header: ["class", "count", "share"],
                    cells: zip(names, counts).map { [.text($0), .count($1), .number(Double($1) / total, .percent)] },
                    key: "classes"))
            if let mx = counts.max(), let mn = counts.min(), mn > 0 {
                facts.append(
                    Field(
                        "imbalance",
                        .shown(
                            .number(Double(mx) / Double(mn)),
                            as: String(format: "%.2f : 1 (largest to smallest class)", Double(mx) / Double(mn)))))
            }
        case .values(let v)?:
            let mean = v.reduce(0.0) { $0 + Double($1) } / Double(max(v.count, 1))
            facts.append(
                Field(
                    "target",
                    .shown(
                        .text(d.targetName ?? ""), as: "\(d.targetName ?? "") (numeric, mean \(Format.number(mean)))")))
        case nil:
            facts.append(Field("target", .missing("none")))
        }
        return Report(
            kind: "describe", title: "\(d.name): \(d.rowCount) rows × \(d.featureNames.count) features",
            fields: facts, tables: tables)
    }

}
