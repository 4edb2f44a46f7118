import Foundation

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
        let values = series.flatMap(\.y).filter(\.isFinite)
        var low = yRange?.lowerBound ?? (values.min() ?? 0)
        var high = yRange?.upperBound ?? (values.max() ?? 1)
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
            percent ? String(format: "%.0f%%", v * 100) : String(format: "%.3g", v)
        }
        let labels = (0..<height).map { r -> String in
            if r == 0 { return label(high) }
            if r == height - 1 { return label(low) }
            if r == (height - 1) / 2 { return label(low + (high - low) * Double(height - 1 - r) / Double(height - 1)) }
            return ""
        }
        let labelWidth = labels.map(\.count).max() ?? 0
        var out = [title]
        for r in 0..<height {
            let l = labels[r]
            var line = String(repeating: " ", count: labelWidth - l.count) + l + " │" + String(grid[r])
            while line.hasSuffix(" ") { line.removeLast() }
            out.append(line)
        }
        out.append(String(repeating: " ", count: labelWidth) + " └" + String(repeating: "─", count: columns))
        let first = xEnds?.0 ?? "1", last = xEnds?.1 ?? (points > 1 ? "\(points)" : "")
        let gap = max(1, columns - first.count - last.count)
        out.append(String(repeating: " ", count: labelWidth + 2) + first + String(repeating: " ", count: gap) + last)
        if let (name, notes) = xNotes {
            var line = [Character](repeating: " ", count: labelWidth + 2 + columns + 8)
            for (k, ch) in name.enumerated() where k < labelWidth { line[labelWidth - name.count + k] = ch }
            var free = labelWidth + 2
            for (x, text) in notes {
                guard let c = column(x) else { continue }
                let start = max(free, labelWidth + 2 + c - text.count / 2)
                guard start + text.count <= line.count else { continue }
                for (k, ch) in text.enumerated() { line[start + k] = ch }
                free = start + text.count + 1
            }
            out.append(String(line).replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression))
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

/// Horizontal bars drawn with text, one per label, scaled from 0 to `maximum` (or the largest
/// value); eighth-blocks give the bar ends their resolution.
public struct BarChart: Sendable {
    public var title: String
    public var bars: [(label: String, value: Double?)]
    public var maximum: Double?
    public var width: Int

    public init(title: String, bars: [(label: String, value: Double?)], maximum: Double? = nil, width: Int = 40) {
        self.title = title; self.bars = bars; self.maximum = maximum; self.width = max(width, 5)
    }

    static let eighths: [Character] = ["▏", "▎", "▍", "▌", "▋", "▊", "▉"]

    public func text() -> String {
        let top = maximum ?? bars.compactMap(\.value).filter(\.isFinite).max() ?? 1
        let labelWidth = bars.map(\.label.count).max() ?? 0
        var out = [title]
        for (label, value) in bars {
            var line = label.padding(toLength: labelWidth, withPad: " ", startingAt: 0) + " │"
            if let v = value, v.isFinite, top > 0 {
                let eighthsTotal = Int((min(max(v, 0), top) / top * Double(width * 8)).rounded())
                line += String(repeating: "█", count: eighthsTotal / 8)
                if eighthsTotal % 8 > 0 { line.append(BarChart.eighths[eighthsTotal % 8 - 1]) }
                line += " " + String(format: "%.4f", v)
            } else {
                line += " undefined"
            }
            out.append(line)
        }
        return out.joined(separator: "\n")
    }
}
