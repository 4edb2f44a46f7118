import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

extension ImbalanceCommands {
    static let ensemble = CommandSpec(
        name: "ensemble",
        summary:
            "Burkov's ensemble of resampled datasets: the majority class cut into chunks, each paired with all minority rows, one model per chunk, votes combined (members train in parallel)",
        positionals: [ParamSpec("data", .dataset, "the training data (a class target)", required: true)],
        options: [
            BaseModels.modelOption,
            .choice(
                "method", EnsemblePlan.Method.self,
                "chunks: the book's disjoint chunks of the larger classes; bags: EasyEnsemble's independent undersampled bags",
                default: .chunks),
            ParamSpec(
                "chunks", .integer,
                "members H: chunks of the majority class (or bags); default: the imbalance ratio, rounded"),
            .choice(
                "vote", EnsembleModel.Vote.self,
                "soft: average the members' probabilities; hard: majority vote (ties: higher mean probability)",
                default: .soft),
            ParamSpec(
                "correct_priors", .bool,
                "correct the probabilities for the class shares of the data given (members see balanced data); decisions then lean back to the majority",
                default: .bool(false)),
            ParamSpec(
                "workers", .integer, "threads training members (default: every core; 1 trains them one after another)"),
            ParamSpec("seed", .integer, "seed of the chunks and of the members (default: the session seed)")
        ] + BaseModels.options,
        returns: "two values: the ensemble (a model) and a report of each member's balanced accuracy on the data given",
        examples: [
            "ens = ensemble train model=mlp hidden=[32] epochs=60 seed=1",
            "ens, members = ensemble train chunks=5 vote=hard",
            "easy = ensemble train method=bags chunks=10 model=logistic"
        ]
    ) { inv in
        // Training and the diagnostics' products all run with OpenBLAS on one thread, its idle
        // workers stopped when the session owns the process (see BLASThreads.single).
        try BLASThreads.single(stopIdleWorkers: inv.session.threads.mayStopIdleWorkers) { try trainEnsemble(inv) }
    }
}
