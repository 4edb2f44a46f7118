import Foundation
import MLELearning

/// `plot`: a report's pictures drawn again in the terminal, or written as standalone SVG files.
enum PlotCommand: Command {
    static let spec = CommandSpec(
        name: "plot",
        summary:
            "Draw a report's plots again (loss, coverage growth, robustness per δ, reliability, ROC and PR curves, bar charts, bootstrap histograms), or write one as a standalone SVG picture with axes, ticks, labels and a legend",
        positionals: [
            ParamSpec("report", .word, "a variable holding a report with plots (default: the last result, ans)")
        ],
        options: [
            ParamSpec("to", .path, "write the picture to this .svg file (atomically) instead of drawing it as text"),
            ParamSpec("figure", .integer, "which of the report's pictures (1, 2, …; default: all, or the only one)"),
            .choice(
                "scale", PlotScale.self,
                "the y axis of line plots: log, linear, or auto (as the report drew it)", default: .auto)
        ],
        returns: "nothing; the plot is drawn, or the file written",
        examples: [
            "loss net", "plot to=\"loss.svg\"", "r = robust net test delta=[0.01, 0.1, 0.5]",
            "plot r to=\"robust.svg\"",
            "plot r scale=log"
        ]
    ) { inv in try execute(inv) }

    struct Options {
        var name: String
        var report: Report
        var to: String?
        var figure: Int?
        var scale: PlotScale
    }

    static func options(_ inv: Invocation) throws -> Options {
        let name = inv.names["report"] ?? inv.string("report") ?? "ans"
        guard let value = inv.session.variables[name] else {
            if name == "ans" {
                throw inv.error("there is no result yet to plot; run a command that draws a plot first")
            }
            let known = inv.session.variables.keys.sorted()
            throw inv.error("no variable named '\(name)'\(Diagnostics.didYouMean(name, in: known))", at: "report")
        }
        guard case .report(let report) = value else {
            throw inv.error("'\(name)' is \(Format.withArticle(value.typeName)), not a report with plots", at: "report")
        }
        return Options(
            name: name, report: report, to: inv.string("to"), figure: inv.int("figure"),
            scale: try inv.choice("scale", PlotScale.self))
    }

    static func validate(_ o: Options, _ inv: Invocation) throws {
        let count = o.report.figures.count
        guard count > 0 else {
            throw inv.error(
                "'\(o.name)' (\(o.report.kind)) has no plots; loss, coverage … plot, robust with several δ, calibration, curve, imbalance compare and interval … histogram draw them",
                at: inv.values["report"] != nil ? "report" : nil)
        }
        if let k = o.figure, !(1...count).contains(k) {
            throw inv.error(
                count == 1
                    ? "'\(o.name)' has one plot: figure=1" : "'\(o.name)' has \(count) plots: figure=1 to \(count)",
                at: "figure")
        }
        if o.to != nil, o.figure == nil, count > 1 {
            throw inv.error(
                "'\(o.name)' has \(count) plots (\(o.report.figures.map(\.title).joined(separator: "; "))); choose one with figure=",
                at: "to")
        }
        if let path = o.to, !path.lowercased().hasSuffix(".svg") {
            throw inv.error("plots are written as SVG; the file name should end in .svg", at: "to")
        }
        if o.scale == .log, let k = chosen(o).first(where: { !positive($0) }) {
            throw inv.error("a log scale needs positive values; '\(k.title)' has none", at: "scale")
        }
    }

    static func chosen(_ o: Options) -> [Figure] {
        o.figure.map { [o.report.figures[$0 - 1]] } ?? o.report.figures
    }

    /// Whether a figure has a positive y value to put on a log scale (bar charts and histograms
    /// are not rescaled).
    static func positive(_ f: Figure) -> Bool {
        guard case .plot(let p) = f else { return true }
        return p.series.contains { $0.y.contains { $0 > 0 && $0.isFinite } }
    }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        let figures = chosen(o).map { f -> Figure in
            guard case .plot(var p) = f, o.scale != .auto else { return f }
            p.logScale = o.scale == .log
            return .plot(p)
        }
        guard let path = o.to else {
            // People get the pictures; JSON and CSV the points they are drawn from. Either way
            // the report plotted stays the last result (ans), to plot again.
            guard inv.session.format == .table else {
                let s = inv.session
                let text = points(figures, name: o.name).render(s.format, width: s.width)
                // As `show` does: a blank line after a CSV table keeps results apart.
                s.output.result(s.format == .csv ? text + "\n" : text)
                return .none
            }
            inv.session.output.result(figures.map { $0.text() }.joined(separator: "\n\n") + "\n")
            return .none
        }
        do {
            try AtomicFile.write(Data(SVGFigure.document(figures[0]).utf8), to: path)
        } catch {
            throw inv.error("cannot write '\(path)': \(error.localizedDescription)", at: "to")
        }
        inv.session.output.note("wrote \(path): \(figures[0].title)")
        return .none
    }

    /// The figures' points as tables: one row per point of each series (x is the point's number
    /// or its category when the series has no x values), per bar, per histogram bin.
    static func points(_ figures: [Figure], name: String) -> Report {
        let tables = figures.enumerated().map { k, f -> Table in
            let key = "figure_\(k + 1)"
            switch f {
            case .plot(let p):
                var rows: [[Cell]] = []
                for s in p.series {
                    for (i, y) in s.y.enumerated() {
                        let x: Cell =
                            s.x.map { .number($0[safe: i] ?? .nan, .general) }
                            ?? p.categories.flatMap { $0[safe: i] }.map { .text($0) } ?? .count(i + 1)
                        rows.append([.text(s.name), x, .number(y, .general)])
                    }
                }
                return Table(
                    key: key, caption: p.title,
                    columns: [Table.Column("series", nil, .left), Table.Column("x", p.xLabel), Table.Column("y")],
                    rows: rows)
            case .bars(let b):
                return Table(
                    key: key, caption: b.title,
                    columns: [Table.Column("label", nil, .left), Table.Column("value")],
                    rows: b.bars.map { [.text($0.label), .number($0.value, .general)] })
            case .histogram(let h):
                return Table(
                    key: key, caption: h.title, columns: [Table.Column("from"), Table.Column("count")],
                    rows: h.starts.indices.map { [.number(h.starts[$0], .general), .count(h.counts[$0])] })
            }
        }
        return Report(kind: "plot", title: "the points of \(name)'s plots", tables: tables)
    }
}
