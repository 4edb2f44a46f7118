import Foundation
import MLEEvaluation
import MLELearning
import MLETensor
import MLETestSupport
import Testing

@Test func robustKeepsTheExamplesItDecidedBeforeCtrlC() throws {
    let (net, test) = try trainedClassifier(hidden: [16], seed: 5)
    var s = RobustSettings()
    s.delta = 0.3; s.epsilon = 0.05; s.samples = 500; s.steps = 10; s.restarts = 2; s.seed = 3
    let full = try Robustness.check(net, x: test.features, settings: s)
    #expect(full.count == test.rowCount)
    var sawPartial = false
    // Ctrl-C in the sampling, the attack and the certification phases.
    for passes in [1, 2, 3, 5, 8, 13] {
        let (kept, interrupted) = try Robustness.checkKeepingDecided(
            net, x: test.features, settings: s, context: Tripwire(passes: passes).context)
        #expect(interrupted)
        sawPartial = sawPartial || (!kept.isEmpty && kept.count < full.count)
        // Every example kept has the verdict the whole check gives it.
        for r in kept { #expect(r.verdict == full[r.row].verdict, "passes \(passes), row \(r.row)") }
        #expect(kept.map(\.row) == kept.map(\.row).sorted())
    }
    #expect(sawPartial)
    // The throwing entry point still throws.
    #expect(throws: Cancelled.self) {
        try Robustness.check(net, x: test.features, settings: s, context: Tripwire(passes: 1).context)
    }
}

@Test func radiusKeepsSoundBracketsWhenInterrupted() throws {
    let (net, test) = try trainedClassifier(hidden: [16], seed: 6)
    let x = try test.features.gatherRows(Array(0..<20))
    var s = RadiusSettings()
    s.steps = 10; s.restarts = 2; s.seed = 2; s.tolerance = 0.01
    let full = try LabelRadius.measure(net, x: x, settings: s)
    for passes in [1, 3, 6, 12] {
        let (partial, interrupted) = try LabelRadius.measureKeepingBrackets(
            net, x: x, settings: s, context: Tripwire(passes: passes).context)
        #expect(interrupted && partial.count == full.count)
        for (p, f) in zip(partial, full) {
            // Both brackets hold the true radius, so they overlap.
            #expect(p.certified <= (f.attacked ?? s.maxRadius) * (1 + 1e-6), "row \(p.row)")
            #expect(f.certified <= (p.attacked ?? s.maxRadius) * (1 + 1e-6), "row \(p.row)")
            if let point = p.counterexample {
                let label = try #require(try net.predict(try Matrix([point])).predictedClasses?.first)
                #expect(label != p.label)
            }
        }
    }
}

@Test func ensembleKeepsTheMembersThatFinished() throws {
    let data = blobs(rows: 300, seed: 4)
    let plan = (0..<6).map { h in Array(stride(from: h, to: 300, by: 6)) }
    let train: @Sendable (Dataset, UInt64, Cancellation) throws -> any Model = { d, seed, c in
        var config = MLPConfig()
        config.hidden = [8]; config.epochs = 20; config.seed = seed
        let r = try MLPTrainer.train(d, config: config, context: ExecutionContext(cancellation: c))
        if r.interrupted { throw Cancelled() }
        return r.model
    }
    let (whole, _, _) = try EnsembleModel.trainKeepingFinished(
        data, plan: plan, vote: .soft, method: .chunks, seed: 1, workers: 1, member: train, check: { _, _ in })
    var partials = 0
    for passes in [25, 60, 90] {
        do {
            let (model, finished, interrupted) = try EnsembleModel.trainKeepingFinished(
                data, plan: plan, vote: .soft, method: .chunks, seed: 1, workers: 1,
                context: Tripwire(passes: passes).context, member: train, check: { _, _ in })
            #expect(interrupted && finished.count < 6 && model.members.count == finished.count)
            // A finished member is the member the whole run trains.
            for f in finished {
                let a = try whole.members[f.index].predict(data), b = try f.model.predict(data)
                if case .probabilities(let p) = a, case .probabilities(let q) = b {
                    #expect(p.storage == q.storage)
                } else {
                    Issue.record("no probabilities")
                }
            }
            partials += 1
        } catch is Cancelled {
            // No member had finished.
        }
    }
    #expect(partials >= 2)
}
