import Foundation
import MLETestSupport
import Testing

@testable import MLELanguage

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// Collects the elements of an SVG document, failing on XML that is not well formed.
final class SVGElements: NSObject, XMLParserDelegate {
    var elements: [(name: String, attributes: [String: String])] = []
    var texts: [String] = []
    private var inText = false

    static func parse(_ svg: String) -> SVGElements? {
        let collector = SVGElements()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = collector
        return parser.parse() ? collector : nil
    }

    func parser(
        _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String]
    ) {
        elements.append((name, attributes))
        if name == "text" { inText = true; texts.append("") }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inText { texts[texts.count - 1] += string }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "text" { inText = false }
    }

    func all(_ name: String) -> [[String: String]] { elements.filter { $0.name == name }.map(\.attributes) }

    /// A polyline's points as (x, y) pairs.
    static func points(_ attributes: [String: String]) -> [(Double, Double)] {
        (attributes["points"] ?? "").split(separator: " ").compactMap { pair in
            let xy = pair.split(separator: ",").compactMap { Double($0) }
            return xy.count == 2 ? (xy[0], xy[1]) : nil
        }
    }
}

@Test func ticksFallOnRoundValuesCoveringTheRange() {
    #expect(SVGFigure.ticks(0, 1).values.map { ($0 * 10).rounded() } == [0, 2, 4, 6, 8, 10])
    let close = SVGFigure.ticks(0.93, 0.96)
    #expect(
        isClose(close.step, 0.005) && isClose(close.values.first ?? 0, 0.93) && isClose(close.values.last ?? 0, 0.96))
    #expect(
        SVGFigure.tickLabel(0.935, step: 0.005) == "0.935"
            && SVGFigure.tickLabel(0.4, step: 0.2, percent: true) == "40%")
    #expect(SVGFigure.tickLabel(-1e-17, step: 0.2) == "0.0")
}

@Test func lineSVGPlacesPointsOnItsAxes() throws {
    var plot = TextPlot(
        title: "a & b", series: [TextPlot.Series("s", [1, 0.5, 0])], xLabel: "step", yRange: 0...1)
    plot.yLabel = "share"
    let svg = SVGFigure.document(.plot(plot))
    let doc = try #require(SVGElements.parse(svg), "well-formed XML")
    #expect(
        doc.elements.first?.name == "svg" && doc.elements.first?.attributes["xmlns"] == "http://www.w3.org/2000/svg")
    #expect(doc.texts.contains("a & b") && doc.texts.contains("step") && doc.texts.contains("share"))
    // y = 1 at the plot's top (64), 0 at its bottom (64 + 330); x = 1 … 3 across 92 … 784.
    let line = try #require(doc.all("polyline").first)
    let points = SVGElements.points(line)
    #expect(points.count == 3)
    #expect(isClose(points[0].0, 92, absolute: 0.06) && isClose(points[0].1, 64, absolute: 0.06))
    #expect(isClose(points[1].0, 438, absolute: 0.06) && isClose(points[1].1, 229, absolute: 0.06))
    #expect(isClose(points[2].0, 784, absolute: 0.06) && isClose(points[2].1, 394, absolute: 0.06))
    #expect(["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"].allSatisfy(doc.texts.contains))
}

@Test func logScaleSpacesDecadesEvenly() throws {
    #expect(PlotScale.auto.logScale(for: [1, 0.05]) && !PlotScale.auto.logScale(for: [1, 0.2]))
    #expect(!PlotScale.auto.logScale(for: [1, 0]) && PlotScale.log.logScale(for: [1, 0.9]))
    var plot = TextPlot(title: "loss", series: [TextPlot.Series("training", [1, 0.1, 0.01])], xLabel: "epoch")
    plot.logScale = true
    let doc = try #require(SVGElements.parse(SVGFigure.document(.plot(plot))))
    let ys = SVGElements.points(try #require(doc.all("polyline").first)).map(\.1)
    // Equal ratios, equal steps: 1 → 0.1 drops as far as 0.1 → 0.01, from the top to the bottom.
    #expect(ys.count == 3 && isClose(ys[1] - ys[0], ys[2] - ys[1], absolute: 0.1))
    #expect(isClose(ys[0], 64, absolute: 0.06) && isClose(ys[2], 394, absolute: 0.06))
    #expect(["1", "0.1", "0.01"].allSatisfy(doc.texts.contains))
    // The text plot says so and labels its ends with the values, not their logs.
    let text = plot.text()
    #expect(text.hasPrefix("loss (log scale)"))
    let lines = text.split(separator: "\n")
    #expect(lines[1].hasPrefix("   1 │") && lines[lines.count - 4].hasPrefix("0.01 │"))
}

@Test func categoricalAxisNamesEachPoint() throws {
    var plot = TextPlot(
        title: "share per δ", series: [TextPlot.Series("robust", [1, 0.9, 0.5])], xLabel: "δ", yRange: 0...1,
        percent: true, width: 18)
    plot.categories = ["0.01", "0.1", "0.5"]
    let text = plot.text().split(separator: "\n").map(String.init)
    // Each radius under the middle of the columns its point covers (six each).
    let axis = try #require(text.first { $0.contains("0.01") })
    let origin = try #require(text.first { $0.contains("└") }?.firstIndex(of: "└"))
    let start = text.first { $0.contains("└") }.map { $0.distance(from: $0.startIndex, to: origin) + 1 } ?? 0
    func centre(_ s: String) -> Int {
        guard let r = axis.range(of: s) else { return -1 }
        return axis.distance(from: axis.startIndex, to: r.lowerBound) - start + s.count / 2
    }
    #expect(centre("0.01") == 3 && centre("0.1") == 8 + 1 && centre("0.5") == 15)
    let doc = try #require(SVGElements.parse(SVGFigure.document(.plot(plot))))
    #expect(["0.01", "0.1", "0.5"].allSatisfy(doc.texts.contains))
}

@Test func barChartsStartAtAStatedBaseline() throws {
    // Spread 0.07 to the top: from 0.93 − 0.07 = 0.86, on the hundredths.
    #expect(isClose(BarChart.closeBaseline([0.93, 0.96], maximum: 1), 0.86))
    #expect(BarChart.closeBaseline([0.3, 0.96], maximum: 1) == 0)
    var chart = BarChart(
        title: "balanced accuracy", bars: [("a", 0.93), ("b", 0.96), ("c", nil)], maximum: 1, width: 40)
    chart.baseline = 0.86
    let lines = chart.text().split(separator: "\n").map(String.init)
    #expect(lines[0] == "balanced accuracy (bars from 0.86)")
    // (0.93 − 0.86) / 0.14 of 40 columns is 20; (0.96 − 0.86) / 0.14 is 28.57 (28 and 5 eighths).
    #expect(lines[1] == "a │" + String(repeating: "█", count: 20) + " 0.9300")
    #expect(lines[2] == "b │" + String(repeating: "█", count: 28) + "▋ 0.9600")
    #expect(lines[3] == "c │ undefined")
    let doc = try #require(SVGElements.parse(SVGFigure.document(.bars(chart))))
    #expect(doc.texts.contains("0.9300") && doc.texts.contains { $0.hasPrefix("bars start at 0.86") })
    let widths = doc.all("rect").dropFirst().compactMap { Double($0["width"] ?? "") }
    #expect(widths.count == 2 && isClose(widths[1] / widths[0], 0.10 / 0.07, relative: 1e-3))
}

@Test func histogramMarksEstimateAndInterval() throws {
    let h = Histogram(
        title: "bootstrap", xLabel: "f1", starts: [0.8, 0.85, 0.9, 0.95], binWidth: 0.05, counts: [3, 73, 20, 0],
        estimate: 0.87, interval: (0.82, 0.91, "95% interval"))
    let lines = h.text().split(separator: "\n").map(String.init)
    // 3 of 73 over 40 columns: 13 eighths (one block and five eighths).
    #expect(lines[1].hasPrefix("┌ 0.80 │█▋ 3") && lines[1].hasSuffix("95% interval from 0.8200"))
    #expect(
        lines[2].hasPrefix("│ 0.85 │" + String(repeating: "█", count: 40) + " 73")
            && lines[2].contains("◆ estimate 0.8700"))
    #expect(lines[3].hasPrefix("└ 0.90 │") && lines[3].hasSuffix("95% interval to 0.9100"))
    #expect(lines[4] == "  0.95 │ 0")
    let doc = try #require(SVGElements.parse(SVGFigure.document(.histogram(h))))
    // The background, the interval's band and three bins (the empty one draws nothing).
    #expect(doc.all("rect").count == 5)
    #expect(doc.texts.contains("estimate 0.8700") && doc.texts.contains("95% interval [0.8200, 0.9100]"))
}

@Test func plotCommandWritesSVGAndSaysWhatIsWrong() throws {
    try withTemporaryDirectory { dir in
        let setup = irisSetup + "\ni = interval net test method=percentile resamples=300 seed=1 histogram\n"
        let (session, out, ok) = run(setup + "plot to=\"\(dir)/h.svg\"\nplot i\nplot i figure=1 scale=linear")
        #expect(ok, "\(out.errors)")
        let svg = try String(contentsOfFile: "\(dir)/h.svg", encoding: .utf8)
        let doc = try #require(SVGElements.parse(svg))
        #expect(doc.texts.contains { $0.hasPrefix("bootstrap distribution of accuracy") })
        #expect(out.notes.contains { $0.hasPrefix("wrote \(dir)/h.svg") })
        #expect(out.results.suffix(2).allSatisfy { $0.contains("◆ estimate") })
        for (line, message) in [
            ("plot base", "'base' is a model, not a report with plots"),
            ("plot nothing", "no variable named 'nothing'"),
            ("d = describe data\nplot d", "'d' (describe) has no plots"),
            ("plot i figure=2", "'i' has one plot: figure=1"),
            ("plot i to=\"\(dir)/h.png\"", "plots are written as SVG"),
            ("plot i to=\"\(dir)/no/such/h.svg\"", "cannot write")
        ] {
            let (_, o, good) = run(line, in: session)
            #expect(!good && o.errors.first?.contains(message) == true, "\(line): \(o.errors)")
        }
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/h.png"))
        let (_, fresh, good) = run("plot")
        #expect(!good && fresh.errors.first?.contains("there is no result yet to plot") == true)
    }
}

@Test func sessionReportIsAPageOfStatementsTablesAndPlots() throws {
    try withTemporaryDirectory { dir in
        let script = """
            # Load the flowers.
            data = load "\(dataPath("iris.csv"))" target=species
            describe data
            net = mlp data hidden=[4] epochs=5 seed=1
            loss net
            nosuch
            report "\(dir)/page.html" title="Week 1 <iris>"
            """
        let (_, out, _) = run(script, keepGoing: true)
        let page = try String(contentsOfFile: "\(dir)/page.html", encoding: .utf8)
        #expect(page.hasPrefix("<!DOCTYPE html>") && page.contains("<title>Week 1 &lt;iris&gt;</title>"))
        // Every statement but the report itself, in order, with the comment above the first.
        let sources = page.components(separatedBy: "<pre class=\"source\">").dropFirst().map {
            String($0.prefix { $0 != "<" })
        }
        #expect(sources.count == 5 && sources[1] == "describe data" && sources[4] == "nosuch")
        #expect(page.contains("<p class=\"comment\">Load the flowers.</p>"))
        #expect(page.contains("<h3>iris: 150 rows × 4 features</h3>") && page.contains("<th class=\"num\">count</th>"))
        #expect(page.components(separatedBy: "<svg").count == 2 && page.contains("loss per epoch"))
        #expect(page.contains("<pre class=\"error\">t.mle:6:1: error: unknown command 'nosuch'"))
        #expect(out.notes.last == "wrote \(dir)/page.html: 5 statements")
    }
}

@Test func onceAndSetOutputSendResultsToAFile() throws {
    try withTemporaryDirectory { dir in
        let script = """
            data = load "\(dataPath("iris.csv"))" target=species
            set format csv
            once "\(dir)/once.csv"
            describe data
            x = 1
            set output "\(dir)/all.txt"
            y = 2
            z = 3
            set output stdout
            w = 4
            """
        let (_, out, ok) = run(script)
        #expect(ok, "\(out.errors)")
        let once = try String(contentsOfFile: "\(dir)/once.csv", encoding: .utf8)
        #expect(once.hasPrefix("table,") && once.contains("sepal_length"))
        let all = try String(contentsOfFile: "\(dir)/all.txt", encoding: .utf8)
        #expect(all.contains("y,number,2") && all.contains("z,number,3") && !all.contains("w,"))
        // Only the statements around them reached the console.
        let console = out.results.joined(separator: "\n")
        #expect(console.contains("x,number,1") && console.contains("w,number,4"))
        #expect(!console.contains("sepal_length") && !console.contains("y,number"))
        // A loop is one statement: once takes all its results.
        let (_, loop, looped) = run("once \"\(dir)/loop.txt\"\nfor x in [1, 2] { y = x }\nz = 3")
        #expect(looped && loop.results.joined() == "z: 3")
        #expect(try String(contentsOfFile: "\(dir)/loop.txt", encoding: .utf8) == "y: 1\ny: 2\n")
        let (_, bad, good) = run("set output \"\(dir)/no/such/file.txt\"\nset output 5")
        #expect(!good && bad.errors.first?.contains("cannot write") == true)
        let (_, bad2, good2) = run("set output 5")
        #expect(!good2 && bad2.errors.first?.contains("output takes a file name") == true)
    }
}

@Test func colourOnlyOnATerminalWithoutNO_COLOR() throws {
    #expect(TextColour.wanted(isTerminal: true, environment: [:]))
    #expect(!TextColour.wanted(isTerminal: false, environment: [:]))
    #expect(!TextColour.wanted(isTerminal: true, environment: ["NO_COLOR": "1"]))
    #expect(!TextColour.wanted(isTerminal: true, environment: ["TERM": "dumb"]))
    #expect(TextColour.error("t.mle:1:2: error: bad") == "t.mle:1:2: \u{1B}[1;31merror:\u{1B}[0m bad")
    #expect(TextColour.note("warning: x") == "\u{1B}[33mwarning:\u{1B}[0m x" && TextColour.note("wrote x") == "wrote x")
    try withTemporaryDirectory { dir in
        let script = """
            train = load "\(dataPath("breast_cancer.csv"))" target=diagnosis
            a, b = split train ratio=0.7 stratify seed=1
            imbalance compare a b model=logistic seed=1
            set output "\(dir)/out.txt"
            imbalance compare a b model=logistic seed=1
            """
        let session = Session()
        session.colour = true
        let (_, out, ok) = run(script, in: session)
        #expect(ok, "\(out.errors)")
        // The best cells in bold green on the console; the file gets plain text.
        let shown = out.results.last ?? ""
        #expect(shown.contains("\u{1B}[1;32m") && shown.contains(" *\u{1B}[0m"))
        let file = try String(contentsOfFile: "\(dir)/out.txt", encoding: .utf8)
        #expect(file.contains(" *") && !file.contains("\u{1B}"))
        session.colour = false
        let (_, plain, good) = run("set output stdout\nimbalance compare a b model=logistic seed=1", in: session)
        #expect(good && plain.results.joined().contains(" *") && !plain.results.joined().contains("\u{1B}"))
    }
}
