import Foundation
import MLELearning
import MLETensor

/// `load`: a CSV file into a dataset, or a network file (safetensors, ONNX) into a model.
enum LoadCommand: Command {
    static let spec = CommandSpec(
        name: "load",
        summary:
            "Read a CSV file (header row; numeric and text columns, missing values) into a dataset, or a network (.safetensors, .onnx) into a model",
        positionals: [
            ParamSpec(
                "file", .path,
                "path of the CSV file or the network file (.safetensors: mle's or a PyTorch state dict; .onnx)",
                required: true)
        ],
        options: [
            ParamSpec("target", .string, "the column to predict; omit for data without a target"),
            .choice(
                "task", TaskChoice.self,
                "how to read the target: auto takes text and whole numbers with at most 20 values as classes; "
                    + "for an imported network without data=, classification or regression of its outputs",
                default: .auto
            ),
            .choice(
                "activation", Kernels.Activation.self,
                "for a PyTorch state dict: the activation between its Linear layers (state dicts do not record it; default relu; ONNX files record theirs)"
            ),
            ParamSpec(
                "na", .list(.string),
                "cells that mean a missing value (default: empty, NA, N/A, n/a, NaN, nan, NULL, null, None, <NA>, #N/A)"
            ),
            ParamSpec(
                "categorical", .list(.string), "columns to read as categories even if they hold numbers (codes, years)"),
            ParamSpec("numeric", .list(.string), "columns that must hold numbers; a text cell in one is an error"),
            ParamSpec(
                "classes", .list(.string),
                "for an imported network: the class of each output in its order (for one logit, [negative, positive]); default: the classes the file names, else the classes in name order"
            ),
            ParamSpec(
                "scaling", .choice(["raw", "standardized"]),
                "for an imported network: the inputs it expects — raw columns, or standardized by data='s means and standard deviations (a StandardScaler outside the network)"
            ),
            ParamSpec(
                "layers", .list(.string),
                "for a PyTorch state dict: its Linear and BatchNorm1d modules in order, when their names do not sort (default: the names in natural order: 0, 2, 10; fc1, fc2)"
            ),
            ParamSpec("means", .list(.number), "for an imported network: the means its inputs were standardised with"),
            ParamSpec(
                "scales", .list(.number), "for an imported network: the standard deviations its inputs were divided by"),
            ParamSpec(
                "data", .dataset,
                "for an imported network: the data it was trained on; its columns name the inputs, its classes the outputs, "
                    + "and its means and standard deviations define mle's standardised units (the network's function is unchanged)"
            )
        ],
        returns: "a dataset, or a model",
        examples: [
            "data = load \"datasets/iris.csv\" target=species",
            "digits = load \"datasets/digits.csv\" target=digit task=classification",
            "penguins = load \"datasets/penguins.csv\" target=species categorical=[year]",
            "net = load \"net.safetensors\"",
            "torchnet = load \"torch_mlp.safetensors\" data=train",
            "sknet = load \"model.onnx\" data=train"
        ]
    ) { inv in try execute(inv) }

    /// What the file holds, decided by its name.
    enum Source {
        /// A network file (mle, PyTorch, ONNX), checked against `data` when given.
        case model(
            data: Dataset?, activation: Kernels.Activation?, classes: [String]?, scaling: DataCommands.InputScaling,
            order: [String]?)
        case csv(target: String?, options: ColumnOptions)
    }

    struct Options {
        var file: String
        var task: TaskChoice
        var source: Source
    }

    static func options(_ inv: Invocation) throws -> Options {
        let path = try inv.declared("file", String.self)
        let task = try inv.choice("task", TaskChoice.self)
        if path.hasSuffix(".safetensors") || path.hasSuffix(".onnx") {
            return Options(
                file: path, task: task,
                source: .model(
                    data: inv.has("data") ? try inv.dataset("data") : nil,
                    activation: try inv.optionalChoice("activation", Kernels.Activation.self),
                    classes: inv.stringList("classes"), scaling: try scaling(inv), order: inv.stringList("layers")))
        }
        var options = ColumnOptions()
        if let na = inv.stringList("na") { options.missingTokens = Set(na) }
        options.categorical = inv.stringList("categorical") ?? []
        options.numeric = inv.stringList("numeric") ?? []
        return Options(file: path, task: task, source: .csv(target: inv.string("target"), options: options))
    }

    static func scaling(_ inv: Invocation) throws -> DataCommands.InputScaling {
        if inv.has("means") || inv.has("scales") {
            guard let m = inv.numberList("means"), let s = inv.numberList("scales") else {
                throw inv.error("give means= and scales= together", at: inv.has("means") ? "means" : "scales")
            }
            if inv.has("scaling") { throw inv.error("means= and scales= already say the scaling", at: "scaling") }
            return .given(means: m.map { Float($0) }, scales: s.map { Float($0) })
        }
        return inv.string("scaling") == "standardized" ? .standardized : .raw
    }

    static func validate(_ o: Options, _ inv: Invocation) throws {
        switch o.source {
        case .model:
            for option in ["target", "na", "categorical", "numeric"] where inv.has(option) {
                throw inv.error(
                    "\(option)= is for CSV data; a model file carries its own columns and outputs", at: option)
            }
        case .csv:
            for option in ["data", "activation", "classes", "scaling", "means", "scales", "layers"]
            where inv.has(option) {
                throw inv.error("\(option)= is for network files (.safetensors, .onnx)", at: option)
            }
        }
    }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        switch o.source {
        case .model(let data, let activation, let classes, let scaling, let order):
            let (model, notes) = try DataCommands.loadModel(
                path: o.file, task: o.task, data: data, dataName: inv.names["data"],
                activation: activation, classes: classes, scaling: scaling, order: order)
            for n in notes { inv.session.output.note(n) }
            return .model(model)
        case .csv(let target, let options):
            let (data, dropped) = try Dataset.read(
                path: o.file, targetName: target, task: o.task, options: options, cancellation: inv.cancellation)
            guard data.rowCount > 0 else {
                throw inv.error(
                    dropped > 0
                        ? "'\(o.file)' has no row with a value of the target '\(target ?? "")'"
                        : "'\(o.file)' has a header but no data rows", at: "file")
            }
            if dropped > 0 {
                inv.session.output.note(
                    "\(dropped) row\(dropped == 1 ? "" : "s") without a value of the target '\(target ?? "")' left out")
            }
            return .dataset(data)
        }
    }
}
