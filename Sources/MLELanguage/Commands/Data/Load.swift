import Foundation
import MLELearning
import MLETensor

extension DataCommands {
    static let load = CommandSpec(
        name: "load",
        summary:
            "Read a CSV file (header row; numeric and text columns, missing values) into a dataset, or a .safetensors file into a model",
        positionals: [
            ParamSpec("file", .path, "path of the CSV file or the model file (.safetensors)", required: true)
        ],
        options: [
            ParamSpec("target", .string, "the column to predict; omit for data without a target"),
            .choice(
                "task", TaskChoice.self,
                "how to read the target: auto takes text and whole numbers with at most 20 values as classes; "
                    + "for a PyTorch network without data=, classification or regression of its outputs", default: .auto
            ),
            .choice(
                "activation", Kernels.Activation.self,
                "for a PyTorch network: the activation between its Linear layers (state dicts do not record it; default relu)"
            ),
            ParamSpec(
                "na", .list(.string),
                "cells that mean a missing value (default: empty, NA, N/A, n/a, NaN, nan, NULL, null, None, <NA>, #N/A)"
            ),
            ParamSpec(
                "categorical", .list(.string), "columns to read as categories even if they hold numbers (codes, years)"),
            ParamSpec("numeric", .list(.string), "columns that must hold numbers; a text cell in one is an error"),
            ParamSpec(
                "data", .dataset,
                "for a PyTorch network: the data it was trained on; its columns name the inputs, its classes the outputs, "
                    + "and its means and standard deviations define mle's standardised units (the network's function is unchanged)"
            )
        ],
        returns: "a dataset, or a model",
        examples: [
            "data = load \"datasets/iris.csv\" target=species",
            "digits = load \"datasets/digits.csv\" target=digit task=classification",
            "penguins = load \"datasets/penguins.csv\" target=species categorical=[year]",
            "net = load \"net.safetensors\"",
            "torchnet = load \"torch_mlp.safetensors\" data=train"
        ]
    ) { inv in
        let path = try inv.declared("file", String.self)
        let task = try inv.choice("task", TaskChoice.self)
        if path.hasSuffix(".safetensors") {
            for option in ["target", "na", "categorical", "numeric"] where inv.has(option) {
                throw inv.error(
                    "\(option)= is for CSV data; a model file carries its own columns and outputs", at: option)
            }
            return .model(
                try loadModel(
                    path: path, task: task, data: inv.has("data") ? try inv.dataset("data") : nil,
                    dataName: inv.names["data"],
                    // Without activation=, PyTorch's usual hidden activation.
                    activation: try inv.optionalChoice("activation", Kernels.Activation.self) ?? .relu))
        }
        for option in ["data", "activation"] where inv.has(option) {
            throw inv.error("\(option)= is for PyTorch model files (.safetensors)", at: option)
        }
        var options = ColumnOptions()
        if let na = inv.stringList("na") { options.missingTokens = Set(na) }
        options.categorical = inv.stringList("categorical") ?? []
        options.numeric = inv.stringList("numeric") ?? []
        let (data, dropped) = try Dataset.read(
            path: path, targetName: inv.string("target"), task: task, options: options)
        if dropped > 0 {
            inv.session.output.note(
                "\(dropped) row\(dropped == 1 ? "" : "s") without a value of the target '\(inv.string("target") ?? "")' left out"
            )
        }
        return .dataset(data)
    }
}
