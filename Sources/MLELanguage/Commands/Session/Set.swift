import Foundation
import MLELearning

extension SessionCommands {
    static let set = CommandSpec(
        name: "set",
        summary: "Change a session setting: format (table, json, csv), seed, or timer (on, off)",
        positionals: [
            ParamSpec("setting", .choice(["format", "seed", "timer"]), "the setting to change", required: true),
            ParamSpec("value", .word, "its new value", required: true)
        ],
        returns: "nothing",
        examples: ["set format json", "set seed 42", "set timer on"]
    ) { inv in
        let value = inv.value("value")
        switch inv.string("setting") {
        case "format":
            guard case .symbol(let s)? = value, let f = OutputFormat(rawValue: s) else {
                let shown = value?.summary ?? ""
                let choices = settingValues["format", default: []].joined(separator: ", ")
                throw inv.error("'\(shown)' is not an output format (choices: \(choices))", at: "value")
            }
            inv.session.format = f
        case "timer":
            switch value {
            case .symbol("on")?, .symbol("true")?, .bool(true)?: inv.session.timer = true
            case .symbol("off")?, .symbol("false")?, .bool(false)?: inv.session.timer = false
            default:
                let choices = settingValues["timer", default: []].joined(separator: ", ")
                throw inv.error("'\(value?.summary ?? "")' is not a timer setting (choices: \(choices))", at: "value")
            }
        default:
            guard case .number(let v)? = value, v >= 0, v == v.rounded(), v < 9.2e18 else {
                throw inv.error("seed takes a whole number of 0 or more", at: "value")
            }
            inv.session.seed = UInt64(v)
        }
        return .none
    }
}
