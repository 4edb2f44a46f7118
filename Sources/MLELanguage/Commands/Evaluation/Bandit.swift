import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

/// `bandit`: a simulation of the UCB1 multi-armed bandit.
enum BanditCommand: Command {
    static let spec = CommandSpec(
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
    ) { inv in try execute(inv) }

    struct Options {
        /// Each arm's true success rate.
        var rates: [Double]
        var rounds: Int
        var seed: UInt64
    }

    static func options(_ inv: Invocation) throws -> Options {
        guard let arms = inv.value("arms") else { throw inv.error("give arms=[rate, rate, ...]") }
        guard let rates = [Double](argument: arms) else {
            throw inv.error("arms takes two or more rates between 0 and 1", at: "arms")
        }
        return Options(rates: rates, rounds: try inv.declared("rounds", Int.self), seed: inv.seed())
    }

    static func validate(_ o: Options, _ inv: Invocation) throws {
        guard o.rates.count >= 2, o.rates.allSatisfy({ $0 >= 0 && $0 <= 1 }) else {
            throw inv.error("arms takes two or more rates between 0 and 1", at: "arms")
        }
        try inv.check("rounds", o.rounds, in: 1...10_000_000)
    }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        let rates = o.rates, rounds = o.rounds, seed = o.seed
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
