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
        return parts.joined(separator: "; ")
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
            ("units", .string(s.units.rawValue))
        ])
    }
}
