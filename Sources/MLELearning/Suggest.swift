/// "Did you mean" suggestions by edit distance.
public enum Suggest {
    /// Levenshtein distance between two strings, case-insensitive.
    public static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a.lowercased()), y = Array(b.lowercased())
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var prev = Array(0...y.count)
        var cur = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            cur[0] = i
            for j in 1...y.count {
                cur[j] = Swift.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            }
            swap(&prev, &cur)
        }
        return prev[y.count]
    }

    /// The candidate closest to `word`, if it is close enough to be a plausible typo
    /// (distance at most a third of the word's length, at least 1), or a prefix of it.
    public static func closest(to word: String, in candidates: [String]) -> String? {
        // No name people type is this long; the edit distance of a megabyte-long one would take seconds.
        guard word.utf8.count <= 256 else { return nil }
        let limit = Swift.max(1, word.count / 3)
        var best: (String, Int)?
        for c in candidates {
            let d = distance(word, c)
            if d <= limit, d < (best?.1 ?? Int.max) { best = (c, d) }
        }
        if let b = best { return b.0 }
        if word.count >= 3 { return candidates.first { $0.hasPrefix(word) } }
        return nil
    }
}
