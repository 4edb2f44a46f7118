import Foundation

/// How a plot's y axis is scaled: `auto` takes a log scale when positive values span a decade.
public enum PlotScale: String, CaseIterable, Sendable {
    case auto, linear, log

    public func logScale(for values: [Double]) -> Bool {
        switch self {
        case .linear: return false
        case .log: return true
        case .auto:
            let finite = values.filter(\.isFinite)
            guard let low = finite.min(), let high = finite.max(), low > 0 else { return false }
            return high / low >= 10
        }
    }
}

/// A line plot drawn with text, for curves in reports (coverage growth, loss, robustness).
/// Each series gets its own mark; where series overlap the later one shows.
public struct TextPlot: Sendable {
    public struct Series: Sendable {
        public var name: String
        public var y: [Double]
        /// The points' x values (a scatter, on the plot's `xRange`); nil for evenly spaced points
        /// drawn as steps.
        public var x: [Double]?
        /// The series' mark instead of the next of `marks` (a reference line's "·").
        public var mark: Character?
        public init(_ name: String, _ y: [Double]) { self.name = name; self.y = y }
        public init(_ name: String, x: [Double], y: [Double], mark: Character? = nil) {
            self.name = name; self.x = x; self.y = y; self.mark = mark
        }
    }

    public var title: String
    public var series: [Series]
    public var xLabel: String
    /// The y range; nil fits the data.
    public var yRange: ClosedRange<Double>?
    /// y values printed as percentages.
    public var percent: Bool
    public var width: Int
    public var height: Int
    /// Labels of the first and last x (default: 1 and the number of points).
    public var xEnds: (String, String)?
    /// The x range of series with x values (default [0, 1]).
    public var xRange: ClosedRange<Double> = 0...1
    /// Short texts under the x axis at x values (each bin's count under a reliability diagram),
    /// after a label; a text that would overlap the one before is left out.
    public var xNotes: (label: String, notes: [(x: Double, text: String)])?
    /// The y axis on a log10 scale (a loss that falls over decades); values ≤ 0 are not drawn.
    public var logScale = false
    /// Names of evenly spaced points drawn as a categorical axis (the radii of a robustness
    /// curve): each label under its own points, not a linear axis between the ends.
    public var categories: [String]?
    /// What the y axis measures, for the SVG form (the text form says it in the title).
    public var yLabel: String?

    public init(
        title: String, series: [Series], xLabel: String, yRange: ClosedRange<Double>? = nil,
        percent: Bool = false, width: Int = 60, height: Int = 11
    ) {
        self.title = title; self.series = series; self.xLabel = xLabel; self.yRange = yRange
        self.percent = percent; self.width = max(width, 10); self.height = max(height, 3)
    }

    static let marks: [Character] = ["●", "○", "+", "x", "*"]
    /// Where two series fall on the same cell.
    static let overlap: Character = "◆"

    public func text() -> String {
        let points = series.map(\.y.count).max() ?? 0
        guard points > 0 else { return title + "\n(no points)" }
        // On a log scale every position is the value's log10 (values ≤ 0 drop out as -inf).
        let series =
            logScale
            ? self.series.map { s in
                var s = s; s.y = s.y.map { log10($0) }; return s
            } : self.series
        let values = series.flatMap(\.y).filter(\.isFinite)
        let range = yRange.map { logScale ? log10($0.lowerBound)...log10($0.upperBound) : $0 }
        var low = values.min() ?? 0, high = values.max() ?? 1
        if let r = range, r.lowerBound.isFinite { low = r.lowerBound }
        if let r = range, r.upperBound.isFinite { high = r.upperBound }
        if !(high > low) { low -= 0.5; high += 0.5 }
        // Every column shows the value at the last x it covers; fewer points than columns
        // stretch into steps.
        let columns = width
        var grid = [[Character]](repeating: [Character](repeating: " ", count: columns), count: height)
        /// The column of x on the x range, nil outside it.
        func column(_ x: Double) -> Int? {
            let lo = xRange.lowerBound, hi = xRange.upperBound
            guard hi > lo, x >= lo, x <= hi else { return nil }
            return min(columns - 1, Int(((x - lo) / (hi - lo) * Double(columns - 1)).rounded()))
        }
        let referenceMarks = Set(series.compactMap(\.mark))
        for (s, line) in series.enumerated() where !line.y.isEmpty {
            let mark = line.mark ?? TextPlot.marks[s % TextPlot.marks.count]
            if let xs = line.x {
                for (x, y) in zip(xs, line.y) where x.isFinite && y.isFinite {
                    guard let c = column(x) else { continue }
                    let t = (min(max(y, low), high) - low) / (high - low)
                    let row = height - 1 - Int((t * Double(height - 1)).rounded())
                    let here = grid[row][c]
                    // A reference line (a series with its own mark) gives way to the points.
                    if here == " " || here == mark || referenceMarks.contains(here) && line.mark == nil {
                        grid[row][c] = mark
                    } else if line.mark == nil {
                        grid[row][c] = TextPlot.overlap
                    }
                }
                continue
            }
            for c in 0..<columns {
                // The value at the last x that falls in this column.
                let i = min(line.y.count - 1, Int((Double(c + 1) * Double(points) / Double(columns)).rounded(.up)) - 1)
                guard i >= 0, line.y[i].isFinite else { continue }
                let t = (min(max(line.y[i], low), high) - low) / (high - low)
                let row = height - 1 - Int((t * Double(height - 1)).rounded())
                let here = grid[row][c]
                grid[row][c] = here == " " || here == mark ? mark : TextPlot.overlap
            }
        }
        func label(_ v: Double) -> String {
            let v = logScale ? pow(10, v) : v
            return percent ? String(format: "%.0f%%", v * 100) : String(format: "%.3g", v)
        }
        let labels = (0..<height).map { r -> String in
            if r == 0 { return label(high) }
            if r == height - 1 { return label(low) }
            if r == (height - 1) / 2 { return label(low + (high - low) * Double(height - 1 - r) / Double(height - 1)) }
            return ""
        }
        let labelWidth = labels.map(\.count).max() ?? 0
        var out = [title + (logScale ? " (log scale)" : "")]
        for r in 0..<height {
            let l = labels[r]
            var line = String(repeating: " ", count: labelWidth - l.count) + l + " │" + String(grid[r])
            while line.hasSuffix(" ") { line.removeLast() }
            out.append(line)
        }
        out.append(String(repeating: " ", count: labelWidth) + " └" + String(repeating: "─", count: columns))
        /// A line of texts under the plot, each centred on its column; one that would run into
        /// the one before is left out. `name` labels the line in the axis labels' margin.
        func labelLine(_ items: [(column: Int, text: String)], name: String = "") -> String {
            var line = [Character](repeating: " ", count: labelWidth + 2 + columns + 8)
            for (k, ch) in name.enumerated() where k < labelWidth { line[labelWidth - name.count + k] = ch }
            var free = labelWidth + 2
            for (c, text) in items {
                let start = max(free, labelWidth + 2 + c - text.count / 2)
                guard start + text.count <= line.count else { continue }
                for (k, ch) in text.enumerated() { line[start + k] = ch }
                free = start + text.count + 1
            }
            return String(line).replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        if let categories {
            // Each name under the middle of the columns its point covers.
            out.append(
                labelLine(
                    categories.prefix(points).enumerated().map { i, name in
                        ((i * columns / points + (i + 1) * columns / points) / 2, name)
                    }))
        } else {
            let first = xEnds?.0 ?? "1", last = xEnds?.1 ?? (points > 1 ? "\(points)" : "")
            let gap = max(1, columns - first.count - last.count)
            out.append(
                String(repeating: " ", count: labelWidth + 2) + first + String(repeating: " ", count: gap) + last)
        }
        if let (name, notes) = xNotes {
            out.append(labelLine(notes.compactMap { x, text in column(x).map { ($0, text) } }, name: name))
        }
        let indent = String(repeating: " ", count: labelWidth + 2)
        var legend = indent + xLabel
        if series.count > 1 {
            // The series' marks after the axis label, on more lines when they do not fit the
            // plot's width.
            var items = series.enumerated().map {
                "\($0.element.mark ?? TextPlot.marks[$0.offset % TextPlot.marks.count]) \($0.element.name)"
            }
            if grid.contains(where: { $0.contains(TextPlot.overlap) }) { items.append("\(TextPlot.overlap) several") }
            let limit = labelWidth + 2 + max(columns, 40)
            var line = legend + " "
            var lines: [String] = []
            for item in items {
                if line.count + 2 + item.count > limit, line.trimmingCharacters(in: .whitespaces) != "" {
                    lines.append(line)
                    line = indent
                }
                line += (line == indent ? "" : "  ") + item
            }
            lines.append(line)
            legend = lines.joined(separator: "\n")
        }
        out.append(legend)
        return out.joined(separator: "\n")
    }
}

/// Horizontal bars drawn with text, one per label, from `baseline` to `maximum` (or the largest
/// value); eighth-blocks give the bar ends their resolution. A baseline above 0 is said in the
/// title, and every bar's value is printed after it.
public struct BarChart: Sendable {
    public var title: String
    public var bars: [(label: String, value: Double?)]
    public var maximum: Double?
    /// Where the bars start (0 unless the values lie close together; see `closeBaseline`).
    public var baseline: Double = 0
    public var width: Int

    public init(title: String, bars: [(label: String, value: Double?)], maximum: Double? = nil, width: Int = 40) {
        self.title = title; self.bars = bars; self.maximum = maximum; self.width = max(width, 5)
    }

    static let eighths: [Character] = ["▏", "▎", "▍", "▌", "▋", "▊", "▉"]

    /// A bar `n` eighths of a column long: whole blocks, then an eighth-block for the rest.
    static func bar(eighths n: Int) -> String {
        let n = max(n, 0)
        return String(repeating: "█", count: n / 8) + (n % 8 > 0 ? String(eighths[n % 8 - 1]) : "")
    }

    var top: Double { maximum ?? bars.compactMap(\.value).filter(\.isFinite).max() ?? 1 }

    /// A baseline that tells values apart that lie close together near the top (0.93 and 0.96
    /// drawn from 0 look alike): the smallest value less the spread to the top, rounded down to
    /// that spread's decimal; 0 when the values already spread over more than half the range.
    public static func closeBaseline(_ values: [Double], maximum top: Double) -> Double {
        let finite = values.filter(\.isFinite)
        guard let low = finite.min(), low > 0, top > low, low > top / 2 else { return 0 }
        let spread = top - low
        let step = pow(10, (log10(spread)).rounded(.down))
        return max(0, ((low - spread) / step).rounded(.down) * step)
    }

    public func text() -> String {
        let top = self.top
        let labelWidth = bars.map(\.label.count).max() ?? 0
        var out = [title + (baseline != 0 ? " (bars from \(Format.number(baseline)))" : "")]
        for (label, value) in bars {
            var line = label.padding(toLength: labelWidth, withPad: " ", startingAt: 0) + " │"
            if let v = value, v.isFinite, top > baseline {
                let share = (min(max(v, baseline), top) - baseline) / (top - baseline)
                line += BarChart.bar(eighths: Int((share * Double(width * 8)).rounded()))
                line += " " + String(format: "%.4f", v)
            } else {
                line += " undefined"
            }
            out.append(line)
        }
        return out.joined(separator: "\n")
    }
}

/// A histogram of a bootstrap distribution: bins of equal width with their counts, the point
/// estimate and the interval marked.
public struct Histogram: Sendable {
    public var title: String
    public var xLabel: String
    /// Each bin's start; every bin is `binWidth` wide.
    public var starts: [Double]
    public var binWidth: Double
    public var counts: [Int]
    public var estimate: Double?
    public var interval: (low: Double, high: Double, label: String)?
    public var width = 40

    public init(
        title: String, xLabel: String, starts: [Double], binWidth: Double, counts: [Int], estimate: Double? = nil,
        interval: (low: Double, high: Double, label: String)? = nil
    ) {
        self.title = title; self.xLabel = xLabel; self.starts = starts; self.binWidth = binWidth
        self.counts = counts; self.estimate = estimate; self.interval = interval
    }

    /// Bins as rows: a bracket beside the bins the interval covers, bars with eighth-block ends
    /// (a bin of 3 is not drawn like one of 73), each count, and marks on the bins holding the
    /// estimate and the interval's ends.
    public func text() -> String {
        guard !counts.isEmpty else { return title + "\n(no values)" }
        let top = max(counts.max() ?? 1, 1)
        // Enough decimals to tell neighbouring bins apart, the same for every bin.
        // (A start and the next, binWidth ≥ 10^-decimals apart, round to different texts.)
        let decimals = binWidth > 0 ? min(10, max(0, Int((-log10(binWidth)).rounded(.up)))) : 4
        let labels = starts.map { String(format: "%.\(decimals)f", $0) }
        let labelWidth = labels.map(\.count).max() ?? 0
        func bin(_ v: Double) -> Int {
            guard binWidth > 0 else { return 0 }
            return min(counts.count - 1, max(0, Int(((v - (starts.first ?? 0)) / binWidth).rounded(.down))))
        }
        let lowBin = interval.map { bin($0.low) }, highBin = interval.map { bin($0.high) }
        let estimateBin = estimate.map(bin)
        var out = [title]
        for (i, count) in counts.enumerated() {
            var bracket = " "
            if let lo = lowBin, let hi = highBin {
                if i == lo, i == hi {
                    bracket = "["
                } else if i == lo {
                    bracket = "┌"
                } else if i == hi {
                    bracket = "└"
                } else if i > lo,
                    i < hi
                {
                    bracket = "│"
                }
            }
            // A bin with any value shows at least an eighth.
            let bar = BarChart.bar(
                eighths: max(count > 0 ? 1 : 0, Int((Double(count) / Double(top) * Double(width * 8)).rounded())))
            var line =
                bracket + " " + String(repeating: " ", count: labelWidth - labels[i].count) + labels[i] + " │" + bar
                + " \(count)"
            var marks: [String] = []
            if i == estimateBin, let e = estimate { marks.append("◆ estimate \(Format.metric(e))") }
            if i == lowBin, let iv = interval { marks.append("\(iv.label) from \(Format.metric(iv.low))") }
            if i == highBin, let iv = interval { marks.append("\(iv.label) to \(Format.metric(iv.high))") }
            if !marks.isEmpty { line += "   ← " + marks.joined(separator: "; ") }
            out.append(line)
        }
        out.append(
            "  " + String(repeating: " ", count: labelWidth)
                + "  each bin starts at its value and is \(String(format: "%.\(decimals + 1)f", binWidth)) wide; the bracket spans the interval"
        )
        return out.joined(separator: "\n")
    }
}

/// A picture a report draws: in the terminal as text, in a file as SVG (`SVGFigure`).
public enum Figure: Sendable {
    case plot(TextPlot)
    case bars(BarChart)
    case histogram(Histogram)

    public var title: String {
        switch self {
        case .plot(let p): return p.title
        case .bars(let b): return b.title
        case .histogram(let h): return h.title
        }
    }

    public func text() -> String {
        switch self {
        case .plot(let p): return p.text()
        case .bars(let b): return b.text()
        case .histogram(let h): return h.text()
        }
    }
}
