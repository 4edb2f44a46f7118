import Foundation

/// Fitting text to a width: word wrapping, fact lists and tables that shrink or fold.
public enum TextLayout {
    /// The width used when output does not go to a terminal.
    public static let defaultWidth = 100
    /// Narrower than this, nothing is fitted (a table cannot be read at 20 columns anyway).
    static let minimumWidth = 30

    /// Splits text into lines of at most `width` characters at word boundaries (spaces, and after
    /// `|` in a list of choices). A word longer than the width is cut only when nothing else fits.
    /// Line breaks in the text are kept; a wrapped line keeps its indentation.
    public static func wrap(_ text: String, width: Int) -> [String] {
        var out: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            out += wrapLine(String(line), width: width)
        }
        return out
    }

    static func wrapLine(_ line: String, width: Int) -> [String] {
        guard line.count > width, width >= 4 else { return [line] }
        let indent = String(line.prefix { $0 == " " })
        let words = breakable(String(line.dropFirst(indent.count)))
        var lines: [String] = []
        var current = indent
        var currentHasWord = false
        for word in words {
            // A word carries the separator that follows it ("word " or "a|").
            let trimmed = word.hasSuffix(" ") ? String(word.dropLast()) : word
            if currentHasWord, current.count + trimmed.count > width {
                lines.append(trimEnd(current))
                current = indent
                currentHasWord = false
            }
            var piece = word
            // A single word longer than the line: cut it.
            while indent.count + piece.count > width + (piece.hasSuffix(" ") ? 1 : 0), !currentHasWord {
                let room = max(1, width - indent.count)
                lines.append(indent + piece.prefix(room))
                piece = String(piece.dropFirst(room))
            }
            current += piece
            currentHasWord = !piece.isEmpty
        }
        if currentHasWord || lines.isEmpty { lines.append(trimEnd(current)) }
        return lines
    }

    /// Words with the separator after them kept: spaces, and `|` (between choices).
    static func breakable(_ s: String) -> [String] {
        var words: [String] = []
        var current = ""
        for ch in s {
            current.append(ch)
            if ch == " " || ch == "|" {
                words.append(current)
                current = ""
            }
        }
        if !current.isEmpty { words.append(current) }
        // Runs of spaces stay with the word before them.
        var merged: [String] = []
        for w in words {
            if w == " ", let last = merged.last, last.hasSuffix(" ") {
                merged[merged.count - 1] = last + w
            } else {
                merged.append(w)
            }
        }
        return merged
    }

    static func trimEnd(_ s: String) -> String {
        var s = s
        while s.hasSuffix(" ") { s.removeLast() }
        return s
    }

    /// Text whose first line starts at the margin and whose wrapped continuations are indented
    /// (an assignment's summary, an error message): each line of `text` fitted to `width`.
    public static func hanging(_ text: String, width: Int, indent: Int = 4) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).flatMap { line -> [String] in
            let lines = wrap(String(line), width: width)
            guard lines.count > 1 else { return lines }
            let pad = String(repeating: " ", count: indent)
            let rest = wrap(lines.dropFirst().joined(separator: " "), width: max(width - indent, minimumWidth / 2))
            return [lines[0]] + rest.map { pad + $0 }
        }.joined(separator: "\n")
    }

    /// `label  value` lines with the values aligned; a long value wraps under itself.
    public static func facts(_ pairs: [(String, String)], width: Int) -> String {
        let w = pairs.map(\.0.count).max() ?? 0
        let valueWidth = max(width - w - 2, minimumWidth / 2)
        var out: [String] = []
        for (label, value) in pairs {
            let lines = wrap(value, width: valueWidth)
            for (i, l) in lines.enumerated() {
                let head =
                    i == 0 ? label.padding(toLength: w, withPad: " ", startingAt: 0) : String(repeating: " ", count: w)
                out.append(trimEnd(head + "  " + l))
            }
        }
        return out.joined(separator: "\n")
    }
}

extension Table {
    /// The table for people: columns padded to their widest cell, two spaces apart, a rule under
    /// the header. Wider than `width`, text columns wrap; still too wide, the columns fold into
    /// blocks that each repeat the first column.
    public func text(width: Int = Int.max) -> String {
        let visible = columns.indices.filter { columns[$0].audience != .machines }
        var cells: [[String]] = []
        let hidden = limit.map { max(rows.count - max($0, 0) - tail, 0) } ?? 0
        func text(_ r: [Cell]) -> [String] { visible.map { r[safe: $0]?.display ?? "" } }
        if let limit, hidden > 0 {
            cells = rows.prefix(max(limit, 0)).map(text)
            if tail > 0 { cells += [visible.map { _ in "…" }] + rows.suffix(tail).map(text) }
        } else {
            cells = rows.map(text)
        }
        let header = visible.map { columns[$0].label }
        let aligns = visible.map { columns[$0].alignment }
        var out: [String] = []
        if let caption { out += TextLayout.wrap(caption, width: width) }
        out += Table.layout(header: header, cells: cells, alignments: aligns, width: width)
        if hidden > 0 {
            let what =
                tail > 0
                ? "\(hidden) row\(hidden == 1 ? "" : "s") not shown at …"
                : "… \(hidden) more row\(hidden == 1 ? "" : "s")"
            out += TextLayout.wrap("\(what); \(moreHint)", width: width)
        }
        return out.joined(separator: "\n")
    }

    /// The table's lines at the width (folded blocks separated by a blank line).
    static func layout(header: [String], cells: [[String]], alignments: [Alignment], width: Int) -> [String] {
        let cols = header.count
        guard cols > 0 else { return [] }
        var widths = header.map(\.count)
        for r in cells { for (j, c) in r.enumerated() where j < cols { widths[j] = max(widths[j], longestLine(c)) } }
        func total(_ ws: [Int]) -> Int { ws.reduce(0, +) + 2 * max(ws.count - 1, 0) }
        if total(widths) > width, width >= TextLayout.minimumWidth {
            // How narrow each column may get without cutting a word: a text column down to its
            // longest word (at most 24 characters, at least 8); a number column down to its widest
            // value, its header wrapping onto a second line.
            var floor = [Int](repeating: 8, count: cols)
            for j in 0..<cols {
                let headerWord = TextLayout.breakable(header[j]).map { TextLayout.trimEnd($0).count }.max() ?? 0
                if alignments[j] == .left {
                    let words = cells.flatMap { TextLayout.breakable($0[safe: j] ?? "") }.map {
                        TextLayout.trimEnd($0).count
                    }
                    floor[j] = min(max(max(words.max() ?? 0, headerWord), 8), 24)
                } else {
                    floor[j] = max(cells.map { longestLine($0[safe: j] ?? "") }.max() ?? 0, headerWord)
                }
                floor[j] = min(floor[j], widths[j])
            }
            // Only when narrowing can make the table fit; otherwise it folds at its natural widths.
            if total(floor) <= width {
                // Each step narrows the column whose narrowing adds the fewest wrapped lines (the
                // widest on a tie), so a list of choices folds before a sentence does.
                func lineCount(_ j: Int, _ w: Int) -> Int {
                    ([header[j]] + cells.map { $0[safe: j] ?? "" }).reduce(0) { n, c in
                        n + (c.count > w || c.contains("\n") ? TextLayout.wrap(c, width: w).count : 1)
                    }
                }
                var lines = (0..<cols).map { lineCount($0, widths[$0]) }
                var excess = total(widths) - width
                while excess > 0 {
                    let candidates = (0..<cols).filter { widths[$0] > floor[$0] }
                    guard !candidates.isEmpty else { break }
                    var best = candidates[0], bestCost = Int.max, bestLines = 0
                    for j in candidates {
                        let n = lineCount(j, widths[j] - 1)
                        let cost = n - lines[j]
                        if cost < bestCost || (cost == bestCost && widths[j] > widths[best]) {
                            best = j; bestCost = cost; bestLines = n
                        }
                    }
                    widths[best] -= 1
                    lines[best] = bestLines
                    excess -= 1
                }
            }
        }
        if total(widths) <= width || cols == 1 || width < TextLayout.minimumWidth {
            return block(Array(0..<cols), header: header, cells: cells, alignments: alignments, widths: widths)
        }
        // Fold: the first column, then as many of the others as fit, block after block.
        var blocks: [[Int]] = []
        var current: [Int] = [0]
        for j in 1..<cols {
            if current.count > 1, total((current + [j]).map { widths[$0] }) > width {
                blocks.append(current)
                current = [0]
            }
            current.append(j)
        }
        blocks.append(current)
        var out: [String] = []
        for (i, b) in blocks.enumerated() {
            if i > 0 { out.append("") }
            out += block(b, header: header, cells: cells, alignments: alignments, widths: widths)
        }
        return out
    }

    static func longestLine(_ s: String) -> Int {
        s.contains("\n") ? s.split(separator: "\n").map(\.count).max() ?? 0 : s.count
    }

    static func block(_ cols: [Int], header: [String], cells: [[String]], alignments: [Alignment], widths: [Int])
        -> [String]
    {
        func lines(_ row: [String]) -> [String] {
            let wrapped = cols.map { j -> [String] in
                let c = j < row.count ? row[j] : ""
                return c.count > widths[j] || c.contains("\n") ? TextLayout.wrap(c, width: widths[j]) : [c]
            }
            let height = wrapped.map(\.count).max() ?? 1
            return (0..<height).map { k in
                var parts: [String] = []
                for (i, j) in cols.enumerated() {
                    let c = wrapped[i][safe: k] ?? ""
                    let pad = String(repeating: " ", count: max(widths[j] - c.count, 0))
                    parts.append(alignments[j] == .right ? pad + c : c + pad)
                }
                return TextLayout.trimEnd(parts.joined(separator: "  "))
            }
        }
        var out = lines(header)
        out.append(cols.map { String(repeating: "─", count: widths[$0]) }.joined(separator: "  "))
        for r in cells { out += lines(r) }
        return out
    }
}

extension Report {
    /// The report for people at the given width.
    func tableText(width: Int) -> String {
        var parts: [String] = []
        if !title.isEmpty { parts.append(TextLayout.wrap(title, width: width).joined(separator: "\n")) }
        let shown = fields.filter { $0.audience != .machines }
        if !shown.isEmpty { parts.append(TextLayout.facts(shown.map { ($0.label, $0.value.display) }, width: width)) }
        if !text.isEmpty { parts.append(TextLayout.wrap(text, width: width).joined(separator: "\n")) }
        parts += tables.filter { $0.audience != .machines }.map { $0.text(width: width) }
        parts += figures.map { $0.text() }
        let closing = (verdict.map { [$0] } ?? []) + notes
        if !closing.isEmpty {
            parts.append(closing.flatMap { TextLayout.wrap($0, width: width) }.joined(separator: "\n"))
        }
        return parts.joined(separator: "\n\n")
    }
}
