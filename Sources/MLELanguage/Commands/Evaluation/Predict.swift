import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

/// `predict`: a model's predictions (and class probabilities) for every row.
enum PredictCommand: Command {
    static let spec = CommandSpec(
        name: "predict",
        summary: "Predictions (and class probabilities) of a model for every row of a dataset",
        positionals: [
            ParamSpec("model", .model, "the model", required: true),
            ParamSpec("data", .dataset, "the rows to predict", required: true)
        ],
        options: [
            ParamSpec("to", .path, "write every prediction to this CSV file (atomically) instead of showing them"),
            ParamSpec("rows", .integer, "how many rows to show", default: .number(20))
        ],
        returns: "a predictions report",
        examples: ["predict net test", "predict net test to=\"predictions.csv\""]
    ) { inv in try execute(inv) }

    struct Options {
        var model: ModelValue
        var data: Dataset
        /// Where every prediction is written instead of shown.
        var file: String?
        /// Rows people see.
        var rows: Int
    }

    static func options(_ inv: Invocation) throws -> Options {
        Options(
            model: try inv.model("model"), data: try inv.dataset("data"), file: inv.string("to"),
            rows: max(try inv.declared("rows", Int.self), 0))
    }

    static func validate(_ o: Options, _ inv: Invocation) throws {
        // Like save: a CSV file's name, not any path (a shell profile, a script).
        if let f = o.file, !f.hasSuffix(".csv") {
            throw inv.error("to= writes a CSV file; its name should end in .csv", at: "to")
        }
    }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        let m = o.model, d = o.data
        let prediction = try m.model.predict(d)
        var columns = [Table.Column("row")]
        var rows: [[Cell]] = []
        var truthNames: [String]?
        if case .classes(let labels, let names)? = d.target { truthNames = labels.map { names[$0] } }
        switch (prediction, m.model.task) {
        case (.probabilities(let p), .classification(let names)):
            if truthNames != nil { columns.append(Table.Column("actual")) }
            columns.append(Table.Column("predicted"))
            columns += names.map { Table.Column("p_\($0)") }
            let predicted = prediction.predictedClasses ?? []
            for r in 0..<p.rows {
                if r & 0xFFFF == 0, inv.cancellation.isCancelled {
                    // Freeing millions of rows takes a while: not on the way back to the prompt.
                    ReleaseLater.drop(rows)
                    throw Cancelled()
                }
                var row: [Cell] = [.count(r + 1)]
                if let t = truthNames { row.append(.text(t[r])) }
                row.append(.text(names[predicted[r]]))
                row += (0..<p.cols).map { .float(p[r, $0], .decimals(6)) }
                rows.append(row)
            }
        case (.values(let v), _):
            if case .values(let t)? = d.target {
                columns += [Table.Column("actual"), Table.Column("predicted")]
                rows = v.indices.map { [.count($0 + 1), .float(t[$0], .general), .float(v[$0], .general)] }
            } else {
                columns.append(Table.Column("predicted"))
                rows = v.indices.map { [.count($0 + 1), .float(v[$0], .general)] }
            }
        default:
            throw inv.error("the model's output does not match its task")
        }
        var table = Table(key: "predictions", columns: columns, rows: rows)
        if let path = o.file {
            do {
                try AtomicFile.write(Data((try table.csv(cancellation: inv.cancellation) + "\n").utf8), to: path)
            } catch let stop as Cancelled {
                throw stop
            } catch {
                throw inv.error("cannot write '\(path)': \(error.localizedDescription)", at: "to")
            }
            inv.session.output.note("wrote \(rows.count) predictions to \(path)")
            return .none
        }
        table.limit = o.rows
        table.moreHint = "show more with rows=N or write them all with to=\"file.csv\""
        return .report(Report(kind: "predictions", title: "\(rows.count) predictions", tables: [table]))
    }
}
