import Foundation
import MLELearning
import MLETensor

/// `save`: write a network to a safetensors or ONNX file, or a dataset to CSV.
enum SaveCommand: Command {
    static let spec = CommandSpec(
        name: "save",
        summary:
            "Write a model to a .safetensors file (networks in PyTorch's layout with their preprocessing and unit ranges; every other model — baselines, ensembles, threshold-moved and prior-corrected models — in mle's model format), a network to an .onnx file (for any runtime), or a dataset to a CSV file",
        positionals: [
            ParamSpec("value", .modelOrDataset, "the model or the dataset to write", required: true),
            ParamSpec(
                "file", .path, "where to write it: .safetensors for a model, .onnx for a network, .csv for a dataset",
                required: true)
        ],
        returns: "nothing; the file is written atomically",
        examples: [
            "save net \"net.safetensors\"", "net2 = load \"net.safetensors\"", "save net \"net.onnx\"",
            "save train \"train.csv\""
        ]
    ) { inv in try execute(inv) }

    struct Options {
        /// The model or dataset to write.
        var value: Value
        var file: String
    }

    static func options(_ inv: Invocation) throws -> Options {
        guard let value = inv.value("value") else { throw inv.error("save takes a model or a dataset", at: "value") }
        return Options(value: value, file: try inv.declared("file", String.self))
    }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        let path = o.file
        if case .dataset(let d) = o.value {
            guard path.hasSuffix(".csv") else {
                throw inv.error("datasets are written as CSV; the file name should end in .csv", at: "file")
            }
            do {
                try AtomicFile.write(Data(try d.csv(cancellation: inv.cancellation).utf8), to: path)
            } catch is Cancelled {
                throw Interrupted()
            } catch {
                throw inv.error("cannot write '\(path)': \(error.localizedDescription)", at: "file")
            }
            inv.session.output.note("wrote \(d.rowCount) rows to \(path)")
            return .none
        }
        guard case .model(let value) = o.value else {
            throw inv.error("save takes a model or a dataset", at: "value")
        }
        guard let net = value.model as? MLP else {
            // Every other kind of model: mle's model file, read back bit for bit.
            if path.hasSuffix(".onnx") {
                throw inv.error(
                    "ONNX export is for networks (mlp, logistic); \(inv.names["value"] ?? "this model") is \(Format.withArticle(value.model.kind)); save it as .safetensors",
                    at: "value")
            }
            guard path.hasSuffix(".safetensors") else {
                throw inv.error("model files end in .safetensors (only networks are saved as .onnx)", at: "file")
            }
            let file: SafeTensors
            do { file = try ModelFile.encode(value.model) } catch let e as LearningError {
                throw inv.error("\(inv.names["value"] ?? "this model") cannot be saved: \(e.description)", at: "value")
            }
            try file.write(path: path)
            inv.session.output.note("wrote \(path): \(value.model.summary)")
            return .none
        }
        if path.hasSuffix(".onnx") {
            try net.writeONNX(path: path)
            var note = "wrote \(path): ONNX, input 'features' (N × \(net.featureNames.count))"
            note +=
                net.task.isClassification
                ? ", output 'probabilities' (N × \(net.layers.last?.outputs ?? 0): \(net.task.classNames.joined(separator: ", ")))"
                : ", output 'prediction' (N × 1)"
            note += "; the standardisation is inside the network"
            if let p = net.preprocessor {
                note +=
                    "; its inputs are the \(net.featureNames.count) encoded features, not the \(p.inputColumns.count) raw columns: the imputation and encodings stay in mle"
            }
            inv.session.output.note(note)
            return .none
        }
        guard path.hasSuffix(".safetensors") else {
            throw inv.error("model files end in .safetensors (a network may also be saved as .onnx)", at: "file")
        }
        try net.safeTensors().write(path: path)
        return .none
    }
}
