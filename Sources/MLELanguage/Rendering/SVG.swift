import Foundation

/// A figure as a standalone SVG document: axes with ticks at round values, axis labels, a
/// legend and a title, in type large enough to read when projected. The same document is put
/// inline into an HTML session report.
public enum SVGFigure {
    /// Colours told apart by people with the common colour-vision deficiencies (Okabe and Ito).
    static let palette = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9"]
    static let font = "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\""
    /// A polyline keeps at most this many points (a coverage curve over 10,000 examples).
    static let maxPoints = 1500

    public static func document(_ figure: Figure) -> String {
        switch figure {
        case .plot(let p): return plot(p)
        case .bars(let b): return bars(b)
        case .histogram(let h): return histogram(h)
        }
    }

    // MARK: pieces

    /// Text made safe for XML.
    static func escape(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(ch)
            }
        }
        return out
    }

    static func f(_ v: Double) -> String { String(format: "%.1f", v) }

    static func open(width: Int, height: Int, title: String) -> String {
        """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)" \
        role="img" aria-label="\(escape(title))">
        <title>\(escape(title))</title>
        <rect width="100%" height="100%" fill="white"/>

        """
    }

    static func text(
        _ s: String, x: Double, y: Double, size: Int = 15, anchor: String = "middle", weight: String? = nil,
        fill: String = "#222", rotate: Bool = false
    ) -> String {
        let turn = rotate ? " transform=\"rotate(-90 \(f(x)) \(f(y)))\"" : ""
        let bold = weight.map { " font-weight=\"\($0)\"" } ?? ""
        return
            "<text x=\"\(f(x))\" y=\"\(f(y))\" \(font) font-size=\"\(size)\" text-anchor=\"\(anchor)\" fill=\"\(fill)\"\(bold)\(turn)>\(escape(s))</text>\n"
    }

    static func line(
        _ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, width: Double = 1, dash: String? = nil
    )
        -> String
    {
        let d = dash.map { " stroke-dasharray=\"\($0)\"" } ?? ""
        return
            "<line x1=\"\(f(x1))\" y1=\"\(f(y1))\" x2=\"\(f(x2))\" y2=\"\(f(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(width)\"\(d)/>\n"
    }

    /// Round tick values covering [low, high]: steps of 1, 2 or 5 times a power of ten.
    static func ticks(_ low: Double, _ high: Double, count: Int = 6) -> (values: [Double], step: Double) {
        guard high > low, (high - low).isFinite else { return ([low], 1) }
        let raw = (high - low) / Double(max(count, 1))
        let magnitude = pow(10, log10(raw).rounded(.down))
        let r = raw / magnitude
        let step = (r < 1.5 ? 1 : r < 3 ? 2 : r < 7 ? 5 : 10) * magnitude
        var values: [Double] = []
        var k = (low / step).rounded(.up)
        while k * step <= high + step * 1e-9, values.count < 50 {
            values.append(k * step)
            k += 1
        }
        return (values, step)
    }

    /// A tick's text with as many decimals as the step needs.
    static func tickLabel(_ v: Double, step: Double, percent: Bool = false) -> String {
        let shown = percent ? v * 100 : v
        let unit = percent ? step * 100 : step
        let decimals = max(0, min(8, -Int(log10(unit).rounded(.down))))
        let s = String(format: "%.\(decimals)f", abs(shown) < unit * 1e-9 ? 0 : shown)
        return percent ? s + "%" : s
    }

    /// A legend in rows under the plot: a swatch (line or square) and each name.
    static func legend(_ items: [(name: String, colour: String, dashed: Bool)], x: Double, y: Double, width: Double)
        -> (svg: String, height: Double)
    {
        var svg = ""
        var cx = x, cy = y
        for item in items {
            let w = 34 + Double(item.name.count) * 8.5 + 24
            if cx + w > x + width, cx > x { cx = x; cy += 24 }
            svg += line(cx, cy - 5, cx + 26, cy - 5, stroke: item.colour, width: 3, dash: item.dashed ? "6 4" : nil)
            svg += text(item.name, x: cx + 34, y: cy, size: 15, anchor: "start")
            cx += w
        }
        return (svg, cy - y + 24)
    }

    // MARK: line plots

    static func plot(_ p: TextPlot) -> String {
        let width = 820.0
        let left = 92.0, right = width - 36, top = 64.0
        let plotHeight = 330.0
        let bottom = top + plotHeight
        // Positions: the series' own x on the x range, or evenly spaced points (1…n, or the
        // categories' centres).
        let points = p.series.map(\.y.count).max() ?? 0
        let scattered = p.series.contains { $0.x != nil }
        let xLow: Double, xHigh: Double
        if scattered {
            (xLow, xHigh) = (p.xRange.lowerBound, p.xRange.upperBound)
        } else if p.categories != nil {
            (xLow, xHigh) = (-0.5, Double(max(points, 1)) - 0.5)
        } else {
            (xLow, xHigh) = points > 1 ? (1, Double(points)) : (0.5, 1.5)
        }
        func px(_ x: Double) -> Double { left + (x - xLow) / (xHigh - xLow) * (right - left) }
        let transform: (Double) -> Double = p.logScale ? { $0 > 0 ? log10($0) : -.infinity } : { $0 }
        let values = p.series.flatMap(\.y).map(transform).filter(\.isFinite)
        var yLow = values.min() ?? 0, yHigh = values.max() ?? 1
        if let r = p.yRange {
            let lo = transform(r.lowerBound), hi = transform(r.upperBound)
            if lo.isFinite { yLow = lo }
            if hi.isFinite { yHigh = hi }
        }
        if !(yHigh > yLow) { yLow -= 0.5; yHigh += 0.5 }
        var yTicks: [(Double, String)]
        if p.logScale {
            yLow = yLow.rounded(.down); yHigh = yHigh.rounded(.up)
            if yHigh == yLow { yHigh += 1 }
            let every = max(1, (Int(yHigh - yLow) + 5) / 6)
            yTicks = stride(from: yLow, through: yHigh, by: Double(every)).map {
                ($0, String(format: "%g", pow(10, $0)))
            }
        } else {
            let t = ticks(yLow, yHigh)
            if p.yRange == nil, let first = t.values.first, let last = t.values.last {
                // A fitted axis ends on round values around the data.
                if first > yLow + 1e-12 { yLow = first - t.step }
                if last < yHigh - 1e-12 { yHigh = last + t.step }
            }
            yTicks = ticks(yLow, yHigh).values.map { ($0, tickLabel($0, step: t.step, percent: p.percent)) }
        }
        func py(_ y: Double) -> Double { bottom - (y - yLow) / (yHigh - yLow) * plotHeight }

        var body = ""
        // Grid and y ticks.
        for (v, label) in yTicks where v >= yLow - 1e-12 && v <= yHigh + 1e-12 {
            body += line(left, py(v), right, py(v), stroke: "#e3e3e3")
            body += text(label, x: left - 10, y: py(v) + 5, size: 14, anchor: "end")
        }
        // x ticks.
        var noteRow = bottom + 44
        if let categories = p.categories {
            for (i, name) in categories.prefix(points).enumerated() {
                body += line(px(Double(i)), bottom, px(Double(i)), bottom + 6, stroke: "#444")
                body += text(name, x: px(Double(i)), y: bottom + 24, size: 14)
            }
        } else {
            let t = ticks(xLow, xHigh, count: 8)
            let integral = !scattered
            for v in t.values where !integral || v == v.rounded() {
                body += line(px(v), bottom, px(v), bottom + 6, stroke: "#444")
                body += text(integral ? String(Int(v)) : tickLabel(v, step: t.step), x: px(v), y: bottom + 24, size: 14)
            }
        }
        if let (label, notes) = p.xNotes {
            body += text(label, x: left - 10, y: noteRow, size: 12, anchor: "end", fill: "#666")
            var free = -Double.infinity
            for (x, note) in notes where x >= xLow && x <= xHigh {
                let w = Double(note.count) * 7 + 6
                guard px(x) - w / 2 >= free else { continue }
                body += text(note, x: px(x), y: noteRow, size: 12, fill: "#666")
                free = px(x) + w / 2
            }
            noteRow += 20
        }
        // Axes.
        body += line(left, top, left, bottom, stroke: "#444")
        body += line(left, bottom, right, bottom, stroke: "#444")
        body += text(p.xLabel, x: (left + right) / 2, y: noteRow + 8, size: 16)
        if let y = p.yLabel {
            body += text(y + (p.logScale ? " (log scale)" : ""), x: 24, y: (top + bottom) / 2, size: 16, rotate: true)
        }
        // Series: a reference line (with its own mark) dashed grey, the others in the palette.
        var legendItems: [(String, String, Bool)] = []
        var colourIndex = 0
        for s in p.series where !s.y.isEmpty {
            let reference = s.mark != nil
            let colour = reference ? "#777777" : palette[colourIndex % palette.count]
            if !reference { colourIndex += 1 }
            let xs: [Double] = s.x ?? s.y.indices.map { p.categories != nil ? Double($0) : Double($0 + 1) }
            var pairs = zip(xs, s.y.map(transform)).filter { $0.0.isFinite }
            if pairs.count > maxPoints {
                let stride = Double(pairs.count - 1) / Double(maxPoints - 1)
                pairs = (0..<maxPoints).map { pairs[min(pairs.count - 1, Int((Double($0) * stride).rounded()))] }
            }
            // Gaps (undefined values) break the line.
            var segments: [[(Double, Double)]] = [[]]
            for (x, y) in pairs {
                if y.isFinite {
                    segments[segments.count - 1].append((px(x), py(min(max(y, yLow), yHigh))))
                } else if !(segments.last?.isEmpty ?? true) {
                    segments.append([])
                }
            }
            for seg in segments where seg.count > 1 {
                let d = seg.map { "\(f($0.0)),\(f($0.1))" }.joined(separator: " ")
                body +=
                    "<polyline points=\"\(d)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"\(reference ? 2 : 2.5)\"\(reference ? " stroke-dasharray=\"6 4\"" : "") stroke-linejoin=\"round\"/>\n"
            }
            if !reference, pairs.count <= 40 {
                for seg in segments {
                    for (x, y) in seg {
                        body += "<circle cx=\"\(f(x))\" cy=\"\(f(y))\" r=\"4\" fill=\"\(colour)\"/>\n"
                    }
                }
            }
            legendItems.append((s.name, colour, reference))
        }
        var legendHeight = 0.0
        if legendItems.count > 1 {
            let l = legend(legendItems, x: left, y: noteRow + 40, width: right - left)
            body += l.svg
            legendHeight = l.height
        }
        let height = Int((noteRow + 24 + legendHeight + 16).rounded(.up))
        let title = p.title + (p.logScale && p.yLabel == nil ? " (log scale)" : "")
        return open(width: Int(width), height: height, title: title)
            + text(title, x: width / 2, y: 34, size: 19, weight: "bold") + body + "</svg>\n"
    }

    // MARK: bar charts

    static func bars(_ b: BarChart) -> String {
        let labelWidth = Double(b.bars.map(\.label.count).max() ?? 0) * 8.6 + 20
        let width = max(640.0, labelWidth + 560)
        let left = labelWidth, right = width - 90, top = 80.0
        let barHeight = 30.0, gap = 12.0
        let bottom = top + Double(b.bars.count) * (barHeight + gap)
        let high = b.top, low = b.baseline
        func px(_ v: Double) -> Double {
            guard high > low else { return left }
            return left + (min(max(v, low), high) - low) / (high - low) * (right - left)
        }
        var body = ""
        let t = ticks(low, high, count: 5)
        for v in t.values {
            body += line(px(v), top - 8, px(v), bottom, stroke: "#e3e3e3")
            body += text(tickLabel(v, step: t.step), x: px(v), y: bottom + 22, size: 14)
        }
        for (i, bar) in b.bars.enumerated() {
            let y = top + Double(i) * (barHeight + gap)
            body += text(bar.label, x: left - 10, y: y + barHeight / 2 + 5, size: 15, anchor: "end")
            if let v = bar.value, v.isFinite {
                body +=
                    "<rect x=\"\(f(left))\" y=\"\(f(y))\" width=\"\(f(max(0, px(v) - left)))\" height=\"\(f(barHeight))\" fill=\"\(palette[0])\"/>\n"
                body += text(
                    String(format: "%.4f", v), x: px(v) + 8, y: y + barHeight / 2 + 5, size: 14, anchor: "start")
            } else {
                body += text(
                    "undefined", x: left + 8, y: y + barHeight / 2 + 5, size: 14, anchor: "start", fill: "#666")
            }
        }
        body += line(left, top - 8, left, bottom, stroke: "#444")
        body += line(left, bottom, right, bottom, stroke: "#444")
        let subtitle =
            low != 0
            ? "bars start at \(Format.number(low)), not 0, so that close values can be told apart" : "bars start at 0"
        let height = Int(bottom + 44)
        return open(width: Int(width), height: height, title: b.title)
            + text(b.title, x: width / 2, y: 32, size: 19, weight: "bold")
            + text(subtitle, x: width / 2, y: 56, size: 14, fill: "#555") + body + "</svg>\n"
    }

    // MARK: histograms

    static func histogram(_ h: Histogram) -> String {
        let width = 820.0
        let left = 84.0, right = width - 36, top = 92.0, plotHeight = 300.0
        let bottom = top + plotHeight
        let xLow = h.starts.first ?? 0
        var xHigh = (h.starts.last ?? 0) + h.binWidth
        if !(xHigh > xLow) { xHigh = xLow + 1 }
        func px(_ x: Double) -> Double { left + (x - xLow) / (xHigh - xLow) * (right - left) }
        let yt = ticks(0, Double(max(h.counts.max() ?? 1, 1)), count: 5)
        let yHigh = max(yt.values.last ?? 1, Double(h.counts.max() ?? 1))
        func py(_ y: Double) -> Double { bottom - y / yHigh * plotHeight }
        var body = ""
        for v in yt.values {
            body += line(left, py(v), right, py(v), stroke: "#e3e3e3")
            body += text(tickLabel(v, step: yt.step), x: left - 10, y: py(v) + 5, size: 14, anchor: "end")
        }
        if let iv = h.interval {
            let a = px(max(iv.low, xLow)), b = px(min(iv.high, xHigh))
            body +=
                "<rect x=\"\(f(a))\" y=\"\(f(top))\" width=\"\(f(max(b - a, 1)))\" height=\"\(f(plotHeight))\" fill=\"#0072B2\" fill-opacity=\"0.12\"/>\n"
            body += line(a, top, a, bottom, stroke: "#0072B2", width: 1.5, dash: "5 4")
            body += line(b, top, b, bottom, stroke: "#0072B2", width: 1.5, dash: "5 4")
        }
        for (i, count) in h.counts.enumerated() where count > 0 {
            let x0 = px(h.starts[i]), x1 = px(h.starts[i] + h.binWidth)
            body +=
                "<rect x=\"\(f(x0 + 0.5))\" y=\"\(f(py(Double(count))))\" width=\"\(f(max(x1 - x0 - 1, 0.5)))\" height=\"\(f(bottom - py(Double(count))))\" fill=\"#56B4E9\" stroke=\"#2a7fb0\" stroke-width=\"0.5\"/>\n"
        }
        if let e = h.estimate, e >= xLow, e <= xHigh {
            body += line(px(e), top - 6, px(e), bottom, stroke: "#D55E00", width: 3)
        }
        let xt = ticks(xLow, xHigh, count: 7)
        for v in xt.values {
            body += line(px(v), bottom, px(v), bottom + 6, stroke: "#444")
            body += text(tickLabel(v, step: xt.step), x: px(v), y: bottom + 24, size: 14)
        }
        body += line(left, top, left, bottom, stroke: "#444")
        body += line(left, bottom, right, bottom, stroke: "#444")
        body += text(h.xLabel, x: (left + right) / 2, y: bottom + 52, size: 16)
        body += text("resamples per bin", x: 22, y: (top + bottom) / 2, size: 16, rotate: true)
        var items: [(String, String, Bool)] = []
        if let e = h.estimate { items.append(("estimate \(Format.metric(e))", "#D55E00", false)) }
        if let iv = h.interval {
            items.append(("\(iv.label) [\(Format.metric(iv.low)), \(Format.metric(iv.high))]", "#0072B2", true))
        }
        let l = legend(items, x: left, y: 68, width: right - left)
        let height = Int(bottom + 72)
        return open(width: Int(width), height: height, title: h.title)
            + text(h.title, x: width / 2, y: 34, size: 19, weight: "bold") + l.svg + body + "</svg>\n"
    }
}
