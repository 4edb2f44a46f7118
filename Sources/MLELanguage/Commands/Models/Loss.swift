import Foundation
import MLELearning
import MLETensor

/// `loss`: the training (and validation) loss per epoch of a network trained in the session.
enum LossCommand: Command {
    static let spec = CommandSpec(
        name: "loss",
        summary:
            "The training loss curve of a network trained in this session (and the validation loss with early stopping)",
        positionals: [ParamSpec("model", .model, "a network trained with mlp", required: true)],
        options: [
            .choice(
                "scale", PlotScale.self,
                "the plot's y axis: log, linear, or auto (log when the loss spans a decade or more)", default: .auto)
        ],
        returns: "a loss report with a terminal plot",
        examples: ["loss net", "loss net scale=linear"]
    ) { inv in try execute(inv) }

    struct Options {
        var model: ModelValue
        var scale: PlotScale
    }

    static func options(_ inv: Invocation) throws -> Options {
        Options(model: try inv.model("model"), scale: try inv.choice("scale", PlotScale.self))
    }

    static func validate(_ o: Options, _ inv: Invocation) throws {
        guard !o.model.lossHistory.isEmpty else {
            throw inv.error(
                "'\(inv.names["model"] ?? "this model")' has no loss curve: only networks trained here with mlp record one",
                at: "model")
        }
    }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        let m = o.model
        var series = [TextPlot.Series("training", m.lossHistory.map(Double.init))]
        if !m.validationHistory.isEmpty {
            series.append(TextPlot.Series("validation", m.validationHistory.map(Double.init)))
        }
        let best = m.validationHistory.indices.min { m.validationHistory[$0] < m.validationHistory[$1] }
        var columns = [Table.Column("epoch"), Table.Column("training", "training loss")]
        if best != nil { columns.append(Table.Column("validation", "validation loss")) }
        let rows = m.lossHistory.indices.map { e -> [Cell] in
            var row: [Cell] = [.count(e + 1), .float(m.lossHistory[e], .significant5)]
            if best != nil {
                row.append(m.validationHistory[safe: e].map { .float($0, .significant5) } ?? .missing(""))
            }
            return row
        }
        var table = Table(key: "epochs", columns: columns, rows: rows, limit: rows.count > 12 ? 5 : nil)
        table.tail = 5
        table.moreHint = "set format json or csv gives every epoch"
        var facts = [
            Field("epochs_trained", "epochs", .count(m.lossHistory.count)),
            Field("final_loss", "final loss", .float(m.lossHistory.last ?? 0, .significant5))
        ]
        if let b = best {
            facts.append(
                Field(
                    "best_validation", "best validation",
                    .shown(
                        .float(m.validationHistory[b], .significant5),
                        as: String(format: "%.5g at epoch %d (the weights kept)", Double(m.validationHistory[b]), b + 1)
                    )))
            facts.append(Field("best_epoch", .count(b + 1), audience: .machines))
        }
        var report = Report(
            kind: "loss", title: "loss of \(inv.names["model"] ?? "the model")", fields: facts, tables: [table])
        var plot = TextPlot(title: "loss per epoch", series: series, xLabel: "epoch")
        plot.yLabel = "loss"
        plot.logScale = o.scale.logScale(for: series.flatMap(\.y))
        report.figures.append(.plot(plot))
        return .report(report)
    }
}
