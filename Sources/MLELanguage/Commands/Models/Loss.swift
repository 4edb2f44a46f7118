import Foundation
import MLELearning
import MLETensor

extension ModelCommands {
    static let loss = CommandSpec(
        name: "loss",
        summary: "The training loss curve of a network trained in this session (and the validation loss with early stopping)",
        positionals: [ParamSpec("model", .model, "a network trained with mlp", required: true)],
        returns: "a loss report with a terminal plot",
        examples: ["loss net"]
    ) { inv in
        let m = try inv.model("model")
        guard !m.lossHistory.isEmpty else {
            throw inv.error("'\(inv.names["model"] ?? "this model")' has no loss curve: only networks trained here with mlp record one", at: "model")
        }
        var series = [TextPlot.Series("training", m.lossHistory.map(Double.init))]
        if !m.validationHistory.isEmpty { series.append(TextPlot.Series("validation", m.validationHistory.map(Double.init))) }
        let best = m.validationHistory.indices.min { m.validationHistory[$0] < m.validationHistory[$1] }
        var header = ["epoch", "training loss"]
        if best != nil { header.append("validation loss") }
        let rows = m.lossHistory.indices.map { e -> [String] in
            var row = ["\(e + 1)", String(format: "%.5g", Double(m.lossHistory[e]))]
            if best != nil { row.append(m.validationHistory[safe: e].map { String(format: "%.5g", Double($0)) } ?? "") }
            return row
        }
        let shown = rows.count > 12 ? Array(rows.prefix(5)) + [Array(repeating: "…", count: header.count)] + Array(rows.suffix(5)) : rows
        var facts: [(String, String)] = [("epochs", "\(m.lossHistory.count)"),
                                         ("final loss", String(format: "%.5g", Double(m.lossHistory.last ?? 0)))]
        if let b = best { facts.append(("best validation", String(format: "%.5g at epoch %d (the weights kept)", Double(m.validationHistory[b]), b + 1))) }
        var report = Report(kind: "loss", title: "loss of \(inv.names["model"] ?? "the model")", facts: facts,
                            tables: [Table(header: header, rows: shown)],
                            json: .object([("report", .string("loss")),
                                           ("training", .array(m.lossHistory.map { .num(Double($0)) })),
                                           ("validation", .array(m.validationHistory.map { .num(Double($0)) }))]))
        report.plots.append(TextPlot(title: "loss per epoch", series: series, xLabel: "epoch"))
        return .report(report)
    }
}
