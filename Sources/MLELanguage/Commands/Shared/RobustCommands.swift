import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

/// What `robust` and `radius` share: the names in a report's title, the wording of the question
/// and its evidence, and the settings as JSON.
enum RobustCommands {
    struct Names {
        var model: String
        var data: String
        /// The names the model and data arguments were given by (for the report's wording).
        init(_ inv: Invocation, data: Dataset) {
            model = inv.names["model"] ?? "the model"
            self.data = inv.names["data"] ?? data.name
        }
    }

    /// The units distances are in. A network imported without data= has no statistics: its
    /// standardised units are its own input units, and the reports say so.
    static func unitsText(_ units: RobustUnits, _ net: MLP) -> String {
        if units == .standardized, net.standardizer.mean.allSatisfy({ $0 == 0 }),
            net.standardizer.scale.allSatisfy({ $0 == 1 })
        {
            return "the network's input units: it was imported without data="
        }
        return units == .standardized ? "standardised feature units" : "the data's own units"
    }

    /// "every x′ with ‖x′ − x‖₂ ≤ δ = 0.1 (…) has …"; without a δ, the curve's wording.
    static func question(_ s: RobustSettings, delta: Double?, net: MLP) -> String {
        let n = s.norm == .l2 ? "‖x′ − x‖₂" : "‖x′ − x‖∞"
        let units = unitsText(s.units, net)
        let radius = delta.map { "δ = \(Format.number($0))" } ?? "δ"
        return "every x′ with \(n) ≤ \(radius) (\(units)) has ‖f(x′) − f(x)‖₂ ≤ ε = \(Format.number(s.epsilon))"
    }

    static func outputText(_ s: RobustSettings, _ net: MLP) -> String {
        if !net.task.isClassification { return "the prediction" }
        return s.output == .probabilities ? "the probability vector" : "the logits"
    }

    static func evidenceText(_ s: RobustSettings) -> String {
        var parts: [String] = []
        if s.methods.contains(.sample) {
            parts.append("sampling \(s.samples) points per example (half on the surface)")
        }
        if s.methods.contains(.attack) {
            parts.append("attack: projected gradient ascent, \(s.steps) steps × \(s.restarts) restarts")
        }
        if s.methods.contains(.certify) { parts.append("certified: CROWN (tightened by IBP)") }
        if s.methods.contains(.complete) {
            parts.append(
                "complete: branch and bound over ReLU splits with α,β-CROWN bounds, up to \(Format.number(s.completeTimeout)) s per example the others leave unknown"
            )
        }
        return parts.joined(separator: "; ")
    }

    /// How the table names the method that decided an example.
    static func methodName(_ m: RobustMethod) -> String {
        switch m {
        case .sample: "sampling"
        case .attack: "attack"
        case .certify: "CROWN"
        case .complete: "B&B"
        }
    }

    /// "attack 8, sampling 2, CROWN 77, B&B 3 (2 robust, 1 not); 1 undecided".
    static func decidedText(_ results: [RobustExample], _ s: RobustSettings) -> String {
        var parts: [String] = []
        for m in RobustMethod.allCases {
            let decided = results.filter { $0.decidedBy == m }
            guard !decided.isEmpty || (m == .complete && s.methods.contains(.complete)) else { continue }
            var text = "\(methodName(m)) \(decided.count)"
            if m == .complete, !decided.isEmpty {
                let robust = decided.filter { $0.verdict == .robust }.count
                text += " (\(robust) robust, \(decided.count - robust) not)"
            }
            parts.append(text)
        }
        let unknown = results.filter { $0.verdict == .unknown }.count
        if unknown > 0 { parts.append("\(unknown) undecided") }
        return parts.isEmpty ? "—" : parts.joined(separator: ", ")
    }

    /// The B&B column: "≤ 0.0412" for a proof or an open bound, "= 0.123" at a counterexample.
    static func completeText(_ c: CompleteEvidence) -> String {
        guard let v = c.value else { return "—" }
        let number = String(format: "%.4g", v)
        switch c.answer {
        case .holds: return "≤ " + number
        case .violated: return "= " + number
        case .undecided: return "≤ " + number + " ?"
        }
    }

    static func undecidedText(_ reason: SplitUndecided, _ c: CompleteEvidence, _ s: RobustSettings) -> String {
        let bound =
            c.value.map { "; its bound reached \(String(format: "%.4g", $0)) against ε = \(Format.number(s.epsilon))" }
            ?? ""
        switch reason {
        case .timeBudget(let open):
            return
                "the \(Format.number(s.completeTimeout)) s budget ran out after \(c.branches) branches with \(open) open\(bound) (timeout= gives more)"
        case .memory(let open): return "\(open) sub-problems open, too many to keep\(bound)"
        case .interrupted: return "interrupted"
        case .fixedButOpen(let count):
            return
                "\(count) sub-problem\(count == 1 ? "" : "s") with every ReLU fixed kept a bound above ε\(bound): the distance is within rounding of ε there, or the bound of the probability vector from the logit differences stays loose"
        }
    }

    static func counts(_ results: [RobustExample]) -> (robust: Int, notRobust: Int, unknown: Int) {
        (
            results.filter { $0.verdict == .robust }.count, results.filter { $0.verdict == .notRobust }.count,
            results.filter { $0.verdict == .unknown }.count
        )
    }

    static func share(_ k: Int, _ n: Int) -> String {
        "\(k) (\(String(format: "%.1f%%", n > 0 ? 100 * Double(k) / Double(n) : 0)))"
    }

    static func distance(_ v: Double?) -> String { v.map { String(format: "%.4g", $0) } ?? "—" }

    static func settingsJSON(_ s: RobustSettings) -> JSON {
        .object([
            ("epsilon", .num(s.epsilon)), ("norm", .string(s.norm.rawValue)),
            ("methods", .array(RobustMethod.allCases.filter { s.methods.contains($0) }.map { .string($0.rawValue) })),
            ("samples", .number(Double(s.samples))), ("steps", .number(Double(s.steps))),
            ("restarts", .number(Double(s.restarts))),
            ("seed", .number(Double(s.seed))), ("output", .string(s.output.rawValue)),
            ("units", .string(s.units.rawValue)),
            ("timeout", s.methods.contains(.complete) ? .num(s.completeTimeout) : .null)
        ])
    }
}
