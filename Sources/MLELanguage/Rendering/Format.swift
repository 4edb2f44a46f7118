import Foundation

/// Number formatting shared by every report.
public enum Format {
    /// Four decimals, the precision reports use for metrics.
    public static func metric(_ v: Double?) -> String {
        guard let v else { return "—" }
        guard v.isFinite else { return v.isNaN ? "nan" : (v > 0 ? "inf" : "-inf") }
        return String(format: "%.4f", v)
    }

    /// "a zero_rule", "an ensemble": a word with its indefinite article (by its first letter).
    public static func withArticle(_ word: String) -> String {
        ("aeiou".contains(word.first.map { Character($0.lowercased()) } ?? "x") ? "an " : "a ") + word
    }

    /// A confidence level as a percentage: 95%, 99.5%.
    public static func percent(_ level: Double) -> String { number(level * 100) + "%" }

    /// A p-value: four significant digits, or "< 1e-16".
    public static func pValue(_ p: Double) -> String {
        guard p.isFinite else { return "nan" }
        if p < 1e-16 { return "< 1e-16" }
        return p < 0.001 ? String(format: "%.3g", p) : String(format: "%.4f", p)
    }

    /// "p = 0.0123", or "p < 1e-16" when it underflows.
    public static func p(_ p: Double) -> String {
        let s = pValue(p)
        return s.hasPrefix("<") ? "p \(s)" : "p = \(s)"
    }

    /// A duration with three significant digits: "412 µs", "8.84 ms", "12.3 s", "95.2 min".
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "—" }
        func three(_ v: Double) -> String { String(format: v < 9.995 ? "%.2f" : v < 99.95 ? "%.1f" : "%.0f", v) }
        // A unit changes where its three digits would round up to the next one (0.99996 s is 1.00 s).
        if seconds < 0.9995e-3 { return three(seconds * 1e6) + " µs" }
        if seconds < 0.9995 { return three(seconds * 1e3) + " ms" }
        if seconds < 599.5 { return three(seconds) + " s" }
        return three(seconds / 60) + " min"
    }

    /// A general number: integers without decimals, others with up to 6 significant digits.
    public static func number(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return String(format: "%.6g", v)
    }
}
