import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

extension IntervalCommands {
    static let bandit = CommandSpec(
        name: "bandit",
        summary: "Simulate the UCB1 multi-armed bandit over arms with given success rates",
        positionals: [ParamSpec("policy", .choice(["ucb1"]), "the policy", default: .symbol("ucb1"))],
        options: [
            ParamSpec("arms", .list(.number), "each arm's true success rate, e.g. arms=[0.04, 0.05, 0.06]"),
            ParamSpec("rounds", .integer, "how many pulls", default: .number(10000)),
            ParamSpec("seed", .integer, "random seed (default: the session seed)")
        ],
        returns: "a bandit report: pulls and rewards per arm, regret",
        examples: ["bandit ucb1 arms=[0.04, 0.05, 0.06] rounds=10000 seed=1"]
    ) { inv in
        guard case .list(let items)? = inv.value("arms") else { throw inv.error("give arms=[rate, rate, ...]") }
        let rates = items.compactMap { if case .number(let v) = $0 { return v } else { return nil } }
        guard rates.count >= 2, rates.allSatisfy({ $0 >= 0 && $0 <= 1 }) else {
            throw inv.error("arms takes two or more rates between 0 and 1", at: "arms")
        }
        let rounds = (try inv.declared("rounds", Int.self))
        guard rounds >= 1, rounds <= 10_000_000 else {
            throw inv.error("rounds must be between 1 and 10000000", at: "rounds")
        }
        let seed = inv.seed()
        let r = ABTest.ucb1(rates: rates, rounds: rounds, seed: seed)
        let rows = rates.indices.map { i -> [Cell] in
            [
                .count(i + 1), .number(rates[i]), .count(r.pulls[i]), .count(r.rewards[i]),
                .number(r.pulls[i] > 0 ? Double(r.rewards[i]) / Double(r.pulls[i]) : nil)
            ]
        }
        let facts = [
            Field("policy", .text("ucb1"), audience: .machines), Field("rounds", .count(rounds)),
            Field("seed", .count(Int(truncatingIfNeeded: seed))),
            Field(
                "regret",
                .shown(.number(r.regret), as: "\(Format.metric(r.regret)) (expected successes lost to the best arm)"))
        ]
        return .report(
            Report(
                kind: "bandit", title: "UCB1 over \(rates.count) arms", fields: facts,
                tables: [Table(header: ["arm", "rate", "pulls", "rewards", "observed"], cells: rows, key: "arms")]))
    }
}
